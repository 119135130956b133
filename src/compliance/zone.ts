/**
 * Local time in IANA zones, fast enough for the gate's hot path: one Intl formatter per zone, built
 * once, and each zone's UTC offset cached per UTC day (with the instant it changes on the days a
 * daylight-saving transition falls). A lookup after the first for a day is a Map probe, no Intl.
 */
import { HuikuanError } from '../shared/errors.ts';

export const dayMs = 86_400_000;

interface ZoneDay {
  startOffset: number;
  /** The first instant of the day with `endOffset` (Infinity when the offset holds all day). */
  transition: number;
  endOffset: number;
}

const partOptions: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

/** One IANA zone: offsets (ms to add to UTC) by instant. Get it through `zone(name)`. */
export class Zone {
  readonly name: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, ZoneDay>();
  private lastDay = Number.NaN;
  private last: ZoneDay = { startOffset: 0, transition: Number.POSITIVE_INFINITY, endOffset: 0 };

  constructor(name: string) {
    this.format = new Intl.DateTimeFormat('en-US', { ...partOptions, timeZone: name });
    this.name = this.format.resolvedOptions().timeZone;
  }

  /** Milliseconds to add to a UTC instant to get the wall-clock time in this zone. */
  offsetAt(ms: number): number {
    const day = Math.floor(ms / dayMs);
    let info = day === this.lastDay ? this.last : this.days.get(day);
    if (info === undefined) info = this.load(day);
    this.lastDay = day;
    this.last = info;
    return ms < info.transition ? info.startOffset : info.endOffset;
  }

  /** The local calendar day as a day number (days since 1970-01-01) for a UTC instant. */
  localDay(ms: number): number {
    return Math.floor((ms + this.offsetAt(ms)) / dayMs);
  }

  private load(day: number): ZoneDay {
    const start = day * dayMs;
    const startOffset = this.slowOffset(start);
    const endOffset = this.slowOffset(start + dayMs);
    let transition = Number.POSITIVE_INFINITY;
    if (startOffset !== endOffset) {
      // binary search to the second: the first instant showing the new offset
      let lo = start;
      let hi = start + dayMs;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (this.slowOffset(mid) === startOffset) lo = mid;
        else hi = mid;
      }
      transition = hi;
    }
    const info = { startOffset, transition, endOffset };
    if (this.days.size >= 100_000) this.days.clear();
    this.days.set(day, info);
    return info;
  }

  private slowOffset(ms: number): number {
    const at = ms - (((ms % 1000) + 1000) % 1000);
    let year = 0;
    let month = 0;
    let dayOfMonth = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(at)) {
      if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') dayOfMonth = Number(part.value);
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
      else if (part.type === 'second') second = Number(part.value);
    }
    return Date.UTC(year, month - 1, dayOfMonth, hour, minute, second) - at;
  }
}

const zones = new Map<string, Zone>();

/** The zone named `name` (an IANA name such as Asia/Shanghai); unknown names are a `bad_input` error. */
export function zone(name: string): Zone {
  let found = zones.get(name);
  if (found === undefined) {
    try {
      found = new Zone(name);
    } catch {
      throw new HuikuanError(
        'bad_input',
        `"${name}" is not a known IANA time zone; write a name such as Asia/Shanghai or America/New_York.`,
      );
    }
    if (zones.size >= 1000) zones.clear();
    zones.set(name, found);
  }
  return found;
}

export function isKnownZone(name: string): boolean {
  try {
    zone(name);
    return true;
  } catch {
    return false;
  }
}

/** Seconds since local midnight of a UTC instant in `z`. */
export function localSecondOfDay(z: Zone, ms: number): number {
  const local = ms + z.offsetAt(ms);
  return Math.floor((local - Math.floor(local / dayMs) * dayMs) / 1000);
}

/**
 * Zones for a phone number's country calling code where one zone (or one known set) fits; null
 * when the country is not one we know. +1 is read as the United States (all its zones).
 */
export function zonesForNumber(number: string | null): readonly string[] | null {
  if (number === null) return null;
  for (const [prefix, names] of callingCodeZones) {
    if (number.startsWith(prefix)) return names;
  }
  return null;
}

export const usZones: readonly string[] = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
];

// longest prefixes first
const callingCodeZones: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['+852', ['Asia/Hong_Kong']],
  ['+853', ['Asia/Macau']],
  ['+886', ['Asia/Taipei']],
  ['+86', ['Asia/Shanghai']],
  ['+44', ['Europe/London']],
  ['+1', usZones],
];
