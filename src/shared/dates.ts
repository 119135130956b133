import { HuikuanError } from './errors.ts';

/** A business date, always `YYYY-MM-DD`. */
export type BusinessDate = string;

const patterns: RegExp[] = [
  /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
  /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/,
  /^(\d{4})年(\d{1,2})月(\d{1,2})日$/,
  /^(\d{4})(\d{2})(\d{2})$/,
];

export type DateParse = { ok: true; date: BusinessDate } | { ok: false; reason: string };

/** Accepts `2026-03-01`, `2026/3/1`, `2026年3月1日`, `20260301`; anything else is an error. */
export function parseBusinessDate(text: string): DateParse {
  // the common form, `YYYY-MM-DD`, read by character codes: no match arrays, no new string
  if (text.length === 10 && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45) {
    const year = fourDigits(text, 0);
    const month = twoDigits(text, 5);
    const day = twoDigits(text, 8);
    if (year >= 0 && month >= 0 && day >= 0) {
      return isRealDate(year, month, day)
        ? { ok: true, date: text }
        : { ok: false, reason: `"${text}" is not a real calendar date` };
    }
  }
  const trimmed = text.trim();
  for (const pattern of patterns) {
    const match = pattern.exec(trimmed);
    if (!match) continue;
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    if (!isRealDate(year, month, day)) return { ok: false, reason: `"${text}" is not a real calendar date` };
    return { ok: true, date: formatDate(year, month, day) };
  }
  return {
    ok: false,
    reason: `"${text}" is not a date (write 2026-03-01, 2026/3/1, 2026年3月1日 or 20260301)`,
  };
}

export function parseBusinessDateOrThrow(text: string, field: string): BusinessDate {
  const parsed = parseBusinessDate(text);
  if (!parsed.ok) throw new HuikuanError('bad_input', `${field}: ${parsed.reason}`);
  return parsed.date;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return monthDays[month - 1] ?? 0;
}

/** The number written by two ASCII digits at `at`, or -1. */
export function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

export function fourDigits(text: string, at: number): number {
  const high = twoDigits(text, at);
  const low = twoDigits(text, at + 2);
  return high < 0 || low < 0 ? -1 : high * 100 + low;
}

export function formatDate(year: number, month: number, day: number): BusinessDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: BusinessDate, to: BusinessDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: BusinessDate, days: number): BusinessDate {
  const d = new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** Today's business date in the given IANA zone (default Asia/Shanghai, the agencies' home). */
export function todayIn(timeZone = 'Asia/Shanghai', now = new Date()): BusinessDate {
  return cachedFormat(dayFormats, 'en-CA', timeZone, dayFormatOptions).format(now);
}

// Building an Intl.DateTimeFormat costs tens of microseconds (far more than formatting with it):
// one per time zone and shape, kept. An unknown zone throws on creation, as before, and is not kept.
const dayFormatOptions: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
const instantFormatOptions: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};
const dayFormats = new Map<string, Intl.DateTimeFormat>();
const instantFormats = new Map<string, Intl.DateTimeFormat>();

function cachedFormat(
  cache: Map<string, Intl.DateTimeFormat>,
  locale: string,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  let format = cache.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    if (cache.size >= 64) cache.clear();
    cache.set(timeZone, format);
  }
  return format;
}

/**
 * Parses a date or timestamp ("2026-03-01", "2026-03-01 14:05:00", ISO with zone) into the
 * business date it falls on in `timeZone` plus the UTC instant (null for a plain date).
 */
export function parseDateOrInstant(
  text: string,
  timeZone = 'Asia/Shanghai',
): { ok: true; date: BusinessDate; instant: string | null } | { ok: false; reason: string } {
  const asDate = parseBusinessDate(text);
  if (asDate.ok) return { ok: true, date: asDate.date, instant: null };
  const trimmed = text.trim();
  const local = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(trimmed);
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((part) => Number(part ?? 0)) as number[];
    if (!isRealDate(y ?? 0, mo ?? 0, d ?? 0) || (h ?? 0) > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59) {
      return { ok: false, reason: `"${text}" is not a real date and time` };
    }
    const date = formatDate(y ?? 0, mo ?? 0, d ?? 0);
    const offsetMs = zoneOffsetMs(timeZone, Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
    const instant = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0) - offsetMs);
    return { ok: true, date, instant: instant.toISOString() };
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) return { ok: false, reason: `"${text}" is not a real timestamp` };
    const instant = new Date(ms);
    return { ok: true, date: todayIn(timeZone, instant), instant: instant.toISOString() };
  }
  return {
    ok: false,
    reason: `"${text}" is not a date or timestamp (write 2026-03-01 or 2026-03-01 14:05:00)`,
  };
}

function zoneOffsetMs(timeZone: string, utcGuessMs: number): number {
  const parts = cachedFormat(instantFormats, 'en-US', timeZone, instantFormatOptions).formatToParts(
    new Date(utcGuessMs),
  );
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - utcGuessMs;
}
