/**
 * Rule profiles as data: the parameters of compliance.md's profiles CN, US and UK as version 1 of
 * each, and overrides a client or an account may carry, which may only tighten. Pure.
 */
import { HuikuanError } from '../shared/errors.ts';
import { usZones } from './zone.ts';

export const jurisdictions = ['CN', 'US', 'UK'] as const;
export type Jurisdiction = (typeof jurisdictions)[number];

export const channels = ['call', 'sms', 'email', 'letter', 'visit'] as const;
export type Channel = (typeof channels)[number];

export const parties = ['debtor', 'guarantor', 'agreed_contact', 'third_party'] as const;
export type Party = (typeof parties)[number];

/**
 * How a profile treats a person: `pursue` (the debt may be discussed), `locate` (only to find the
 * debtor or pass a message, never the debt's details), `forbidden`. Tightening moves right.
 */
export const partyTreatments = ['pursue', 'locate', 'forbidden'] as const;
export type PartyTreatment = (typeof partyTreatments)[number];

/** Conditions the gate may attach to an allowed third-party contact; a tighter profile may add more. */
export const thirdPartyConditionCodes = [
  'no_debt_details',
  'location_only',
  'locate_or_message_only',
  'stop_if_asked',
] as const;
export type ThirdPartyCondition = (typeof thirdPartyConditionCodes)[number];

/** A cap of `calls` calls within `days` consecutive local days ending on the proposed day. */
export interface WindowCap {
  calls: number;
  days: number;
}

export interface ProfileRules {
  /** Zones tried when the person's zone is unknown; the strictest verdict wins. */
  countryZones: string[];
  /** Contact allowed from `earliest` to `latest` local time, both inclusive, in seconds since midnight. */
  contactHours: { earliest: number; latest: number };
  /** Channels the contact hours apply to. */
  contactHoursChannels: Channel[];
  /** Whether the person's prior consent lifts the contact hours. */
  contactHoursConsentLifts: boolean;
  /** CN: unanswered call attempts to the same number per local day (null = no cap). */
  unansweredCallsPerNumberPerDay: number | null;
  /** CN: connected recorded-voice calls per person per local day. */
  robotCallsPerDay: number | null;
  /** Calls placed (busy and not-in-service excepted) per local day. */
  callsPerDay: number | null;
  /** Calls placed (busy and not-in-service excepted) within a window of days. */
  callsPerWindow: WindowCap | null;
  /** No call within this many days of a telephone conversation, its day being day 1 (null = none). */
  conversationBlockDays: number | null;
  /** How each kind of person may be contacted. */
  parties: Record<Party, PartyTreatment>;
  /** Locate-only contact allowed only while the account is in lost-contact (失联) state. */
  locateRequiresLostContact: boolean;
  /** Locate-only contact at most once per person (a later one is refused). */
  locateOncePerPerson: boolean;
  /** Conditions attached to an allowed locate-only contact. */
  locateConditions: ThirdPartyCondition[];
  /** After a cease: letters still allowed, limited to the permitted notices. */
  ceaseAllowsNotices: boolean;
}

export interface Profile {
  code: Jurisdiction;
  version: number;
  /** What tightened it, in order ("client:ZSB@2", "account:123@1"); empty for the base profile. */
  overrides: string[];
  rules: ProfileRules;
}

const hour = 3600;

const allChannels: Channel[] = [...channels];

/** Version 1 of each profile, with compliance.md's values. */
export const defaultProfiles: Record<Jurisdiction, Profile> = {
  CN: {
    code: 'CN',
    version: 1,
    overrides: [],
    rules: {
      countryZones: ['Asia/Shanghai'],
      // no contact 22:00–08:00 local
      contactHours: { earliest: 8 * hour, latest: 22 * hour - 1 },
      contactHoursChannels: allChannels,
      contactHoursConsentLifts: true,
      unansweredCallsPerNumberPerDay: 6,
      robotCallsPerDay: 3,
      callsPerDay: null,
      callsPerWindow: null,
      conversationBlockDays: null,
      parties: { debtor: 'pursue', guarantor: 'pursue', agreed_contact: 'locate', third_party: 'locate' },
      locateRequiresLostContact: true,
      locateOncePerPerson: false,
      locateConditions: ['no_debt_details', 'locate_or_message_only', 'stop_if_asked'],
      ceaseAllowsNotices: true,
    },
  },
  US: {
    code: 'US',
    version: 1,
    overrides: [],
    rules: {
      countryZones: [...usZones],
      // inconvenient: before 8:00 or after 21:00
      contactHours: { earliest: 8 * hour, latest: 21 * hour },
      contactHoursChannels: allChannels,
      contactHoursConsentLifts: true,
      unansweredCallsPerNumberPerDay: null,
      robotCallsPerDay: null,
      callsPerDay: null,
      callsPerWindow: { calls: 7, days: 7 },
      conversationBlockDays: 7,
      parties: { debtor: 'pursue', guarantor: 'pursue', agreed_contact: 'locate', third_party: 'locate' },
      locateRequiresLostContact: false,
      locateOncePerPerson: true,
      locateConditions: ['no_debt_details', 'location_only'],
      ceaseAllowsNotices: true,
    },
  },
  UK: {
    code: 'UK',
    version: 1,
    overrides: [],
    rules: {
      countryZones: ['Europe/London'],
      contactHours: { earliest: 8 * hour, latest: 21 * hour },
      contactHoursChannels: allChannels,
      contactHoursConsentLifts: true,
      unansweredCallsPerNumberPerDay: null,
      robotCallsPerDay: null,
      callsPerDay: 3,
      callsPerWindow: { calls: 10, days: 7 },
      conversationBlockDays: null,
      parties: { debtor: 'pursue', guarantor: 'pursue', agreed_contact: 'locate', third_party: 'locate' },
      locateRequiresLostContact: false,
      locateOncePerPerson: false,
      locateConditions: ['no_debt_details'],
      ceaseAllowsNotices: true,
    },
  },
};

export function parseJurisdiction(text: string): Jurisdiction {
  const upper = text.trim().toUpperCase();
  const found = jurisdictions.find((j) => j === upper);
  if (found === undefined) {
    throw new HuikuanError('bad_usage', `"${text}" is not a jurisdiction; write CN, US or UK.`);
  }
  return found;
}

/** Seconds since midnight → "HH:MM:SS". */
export function formatClock(seconds: number): string {
  const h = Math.floor(seconds / hour);
  const m = Math.floor((seconds % hour) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** "08:00" or "21:59:59" → seconds since midnight. */
export function parseClock(text: string): number | null {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return null;
  const h = Number(match[1]);
  const m = Number(match[2]);
  const s = Number(match[3] ?? 0);
  if (h > 23 || m > 59 || s > 59) return null;
  return h * hour + m * 60 + s;
}

/**
 * An override as stored and edited (JSON): any subset of the rules, clock times as "HH:MM[:SS]".
 * `unansweredCallsPerNumberPerDay: 4` tightens CN's 6; `contactHours: {"latest": "20:00"}` ends
 * the day earlier.
 */
export type OverrideDocument = Record<string, unknown>;

export interface OverrideProblem {
  rule: string;
  reason: string;
}

const capKeys = [
  'unansweredCallsPerNumberPerDay',
  'robotCallsPerDay',
  'callsPerDay',
  'conversationBlockDays',
] as const;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10_000;
}

function describeCap(value: number | null): string {
  return value === null ? 'no cap' : String(value);
}

/**
 * How rule changes meet the rules they change: `tighten` (a client's or an account's override:
 * anything looser is refused), `clamp` (an approved override read against a base that has since
 * moved: each rule is the stricter of the two, silently) and `edit` (a new version of a base
 * profile, which the law may loosen as well as tighten).
 */
export type ChangeMode = 'tighten' | 'clamp' | 'edit';

const nullableKeys = new Set([...capKeys, 'callsPerWindow']);
const settableKeys = [
  ...capKeys,
  'callsPerWindow',
  'contactHours',
  'contactHoursChannels',
  'contactHoursConsentLifts',
  'locateConditions',
  'locateRequiresLostContact',
  'locateOncePerPerson',
  'ceaseAllowsNotices',
  'parties',
];

/**
 * Applies the changes in `document` to `base`'s rules under `mode`; throws one `bad_input` naming
 * every rule that is unknown, malformed or (when tightening) looser, so an admin sees all at once.
 */
export function changeRules(base: ProfileRules, document: OverrideDocument, mode: ChangeMode): ProfileRules {
  const problems: OverrideProblem[] = [];
  const rules: ProfileRules = structuredClone(base);
  const b = base;
  for (const [key, value] of Object.entries(document)) {
    const problem = (reason: string) => problems.push({ rule: key, reason });
    // whether a looser value is kept: only in edit mode (tighten reports it, clamp keeps the base's)
    const keepLooser = (reason: string): boolean => {
      if (mode === 'tighten') problem(`${reason}; an override may only tighten`);
      return mode === 'edit';
    };
    if (value === null && nullableKeys.has(key)) {
      // null removes a cap: looser unless the base has none either
      if (
        (b[key as keyof ProfileRules] === null || keepLooser('null would remove the cap')) &&
        mode !== 'clamp'
      ) {
        (rules as unknown as Record<string, unknown>)[key] = null;
      }
      continue;
    }
    if ((capKeys as readonly string[]).includes(key)) {
      const capKey = key as (typeof capKeys)[number];
      const current = b[capKey];
      if (!isCount(value)) problem('must be a whole number from 0 to 10000 (or null for none)');
      else if (capKey === 'conversationBlockDays') {
        if (
          current === null ||
          value >= current ||
          keepLooser(`${value} days is shorter than the profile's ${current}`)
        ) {
          rules.conversationBlockDays = value;
        }
      } else if (
        current === null ||
        value <= current ||
        keepLooser(`${value} is looser than the profile's ${describeCap(current)}`)
      ) {
        rules[capKey] = value;
      }
      continue;
    }
    switch (key) {
      case 'callsPerWindow': {
        const v = value as { calls?: unknown; days?: unknown };
        const w = b.callsPerWindow;
        if (typeof v !== 'object' || !isCount(v.calls) || !isCount(v.days) || v.days < 1) {
          problem('must be {"calls": N, "days": D} with whole numbers, D at least 1 (or null for none)');
        } else if (w === null || (v.calls <= w.calls && v.days >= w.days)) {
          rules.callsPerWindow = { calls: v.calls, days: v.days };
        } else if (
          keepLooser(
            `${v.calls} calls in ${v.days} days is looser than the profile's ${w.calls} in ${w.days} (lower the calls, lengthen the days)`,
          )
        ) {
          rules.callsPerWindow = { calls: v.calls, days: v.days };
        } else if (mode === 'clamp') {
          rules.callsPerWindow = { calls: Math.min(v.calls, w.calls), days: Math.max(v.days, w.days) };
        }
        break;
      }
      case 'contactHours': {
        const v = value as { earliest?: unknown; latest?: unknown } | null;
        if (typeof v !== 'object' || v === null) {
          problem('must be {"earliest": "HH:MM", "latest": "HH:MM"} (either may be left out)');
          break;
        }
        const unknown = Object.keys(v).filter((k) => k !== 'earliest' && k !== 'latest');
        if (unknown.length > 0) problem(`unknown field ${unknown.join(', ')}; use earliest and latest`);
        let earliest = v.earliest === undefined ? b.contactHours.earliest : parseClock(String(v.earliest));
        let latest = v.latest === undefined ? b.contactHours.latest : parseClock(String(v.latest));
        if (earliest === null || latest === null) {
          problem('times must be written HH:MM or HH:MM:SS, e.g. "09:00"');
          break;
        }
        if (
          earliest < b.contactHours.earliest &&
          !keepLooser(
            `earliest ${formatClock(earliest)} is before the profile's ${formatClock(b.contactHours.earliest)}`,
          )
        ) {
          earliest = b.contactHours.earliest;
        }
        if (
          latest > b.contactHours.latest &&
          !keepLooser(
            `latest ${formatClock(latest)} is after the profile's ${formatClock(b.contactHours.latest)}`,
          )
        ) {
          latest = b.contactHours.latest;
        }
        if (earliest > latest && mode !== 'clamp') {
          problem(`earliest ${formatClock(earliest)} is after latest ${formatClock(latest)}`);
        } else rules.contactHours = { earliest, latest };
        break;
      }
      case 'contactHoursChannels':
      case 'locateConditions': {
        const allowed: readonly string[] =
          key === 'contactHoursChannels' ? channels : thirdPartyConditionCodes;
        const current: readonly string[] = b[key];
        if (!Array.isArray(value) || !value.every((item) => allowed.includes(item))) {
          problem(`must be a list from ${allowed.join(', ')}`);
          break;
        }
        const dropped = current.filter((c) => !value.includes(c));
        const keep =
          dropped.length === 0 ||
          keepLooser(`leaves out ${dropped.join(', ')}, which the profile has (an override may only add)`);
        const list = allowed.filter((a) => value.includes(a) || (!keep && current.includes(a)));
        if (key === 'contactHoursChannels') rules.contactHoursChannels = list as Channel[];
        else rules.locateConditions = list as ThirdPartyCondition[];
        break;
      }
      case 'contactHoursConsentLifts':
      case 'ceaseAllowsNotices':
      case 'locateRequiresLostContact':
      case 'locateOncePerPerson': {
        // the first two allow something (true is looser), the last two require something (false is looser)
        const looser = key === 'contactHoursConsentLifts' || key === 'ceaseAllowsNotices';
        if (typeof value !== 'boolean') problem('must be true or false');
        else if (
          value !== looser ||
          b[key] === looser ||
          keepLooser(`${value} would loosen the profile (${b[key]})`)
        ) {
          rules[key] = value;
        }
        break;
      }
      case 'parties': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          problem(`must be an object of person → ${partyTreatments.join(' | ')}`);
          break;
        }
        for (const [party, treatment] of Object.entries(value)) {
          const p = parties.find((x) => x === party);
          const t = partyTreatments.find((x) => x === treatment);
          if (p === undefined) problem(`"${party}" is not a person; use ${parties.join(', ')}`);
          else if (t === undefined) {
            problem(`${party}: "${String(treatment)}" is not one of ${partyTreatments.join(', ')}`);
          } else if (
            partyTreatments.indexOf(t) >= partyTreatments.indexOf(b.parties[p]) ||
            keepLooser(`${party}: ${t} is looser than the profile's ${b.parties[p]}`)
          ) {
            rules.parties[p] = t;
          }
        }
        break;
      }
      default:
        problem(`is not a rule that can be set (these can: ${settableKeys.join(', ')})`);
    }
  }
  if (problems.length > 0) {
    throw new HuikuanError('bad_input', problems.map((p) => `${p.rule} ${p.reason}`).join('; '), {
      problems,
    });
  }
  return rules;
}

/**
 * Validates a client's or an account's `override` against `base` and returns the tightened
 * profile, named by `label` ("client:ZSB@2"); anything looser is a `bad_input` error.
 */
export function tighten(base: Profile, override: OverrideDocument, label: string): Profile {
  let rules: ProfileRules;
  try {
    rules = changeRules(base.rules, override, 'tighten');
  } catch (error) {
    if (!(error instanceof HuikuanError)) throw error;
    throw new HuikuanError(
      'bad_input',
      `Override ${label} of profile ${base.code} v${base.version} is refused: ${error.message}.`,
      error.details,
    );
  }
  return { code: base.code, version: base.version, overrides: [...base.overrides, label], rules };
}

/** An approved override on a base that may have moved since: each rule the stricter of the two. */
export function clampOverride(base: Profile, override: OverrideDocument, label: string): Profile {
  return {
    code: base.code,
    version: base.version,
    overrides: [...base.overrides, label],
    rules: changeRules(base.rules, override, 'clamp'),
  };
}
