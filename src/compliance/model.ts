/**
 * The rule gate: `evaluate` decides whether one proposed contact may happen — allow, deny with
 * reason codes, or allow with conditions — from the attempt, its history with the same person about
 * the same debt, the holds and consent state, and a profile (compliance.md). Pure and synchronous:
 * no SQL, no clock (the proposed instant is an input), no Intl construction after a zone's first use.
 */

import { storedHoldKinds } from './holds-model.ts';
import {
  type Channel,
  type Party,
  type PartyTreatment,
  type Profile,
  type ProfileRules,
  thirdPartyConditionCodes,
} from './profiles.ts';
import { dayMs, localSecondOfDay, type Zone, zone, zonesForNumber } from './zone.ts';

/** The holds kept in the database (holds-model.ts) and those the account's status gives. */
export const holdCodes = [...storedHoldKinds, 'recalled', 'closed'] as const;
export type Hold = (typeof holdCodes)[number];

export const outcomes = [
  'conversation',
  'connected_no_answer',
  'voicemail',
  'no_answer',
  'busy',
  'not_in_service',
  'delivered',
] as const;
/**
 * Outcomes as the gate's own contact log holds them: also `pending`, a contact the gate allowed
 * whose outcome the channel has not reported yet. It counts wherever an outcome might (placed,
 * unanswered, connected, reached a third party) but is not taken for a conversation.
 */
export type Outcome = (typeof outcomes)[number] | 'pending';

/**
 * What the contact is for. `collect` is any ordinary contact; `cease_notice` a letter with one of
 * the notices still permitted after a cease; `dispute_verification` the verification that answers
 * a dispute.
 */
export const purposes = ['collect', 'cease_notice', 'dispute_verification'] as const;
export type Purpose = (typeof purposes)[number];

/**
 * Every reason code, in the order verdicts list them: holds, then rules, then conditions. A verdict's
 * reasons are the deny codes when it denies, else the condition codes.
 */
export const reasonCodes = [
  ...holdCodes.map((hold) => `hold_${hold}` as const),
  'party_not_permitted',
  'third_party_not_lost_contact',
  'third_party_already_contacted',
  'quiet_hours',
  'unanswered_calls_cap',
  'robot_calls_cap',
  'daily_calls_cap',
  'calls_in_window_cap',
  'recent_conversation',
  'sms_consent_required',
  'cease_notices_only',
  ...thirdPartyConditionCodes,
  'email_consent_unconfirmed',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

export type VerdictKind = 'allow' | 'deny' | 'allow_with_conditions';

export interface HistoryEntry {
  /** UTC milliseconds. */
  atMs: number;
  channel: Channel;
  party: Party;
  /** Normalised phone number, or null when not known. */
  number: string | null;
  robot: boolean;
  outcome: Outcome;
}

export interface Attempt {
  /** Identifiers carried into the stored verdict; the rules do not read them. */
  accountId?: string | null;
  debtorId?: string | null;
  contactPointId?: string | null;
  actor?: string | null;
  purpose: Purpose;
  channel: Channel;
  party: Party;
  /** The proposed instant, UTC milliseconds. */
  atMs: number;
  /** IANA zone of the contact point or address; null = from the number, else the profile's country. */
  timezone: string | null;
  number: string | null;
  robot: boolean;
  /** The account is in lost-contact (失联) state. */
  lostContact: boolean;
  /** The person consented beforehand to contact outside the usual hours. */
  consentQuietHours: boolean;
  holds: readonly Hold[];
  /** Earlier contacts about the same debt with the same person (any order). */
  history: readonly HistoryEntry[];
  /**
   * The debtor's channel consent and texts, read by the database-backed gate only (the attempt file of
   * `huikuan compliance check` carries none, so its verdicts stay as compliance.md fixes them).
   * Undefined or null: not known, the consent rules are not applied.
   */
  channelConsent?: ChannelConsentState | null;
}

/**
 * What the consent rules read: a current consent of the debtor to the channel (on this point or
 * every point), and the last text the debtor sent from the number (its instant, UTC ms).
 */
export interface ChannelConsentState {
  consent: boolean;
  lastInboundTextMs: number | null;
}

/**
 * The consent rules per jurisdiction (compliance.md's US row "e-mail / text safe harbour", Regulation F
 * 1006.6(d)(4)–(5)). US text: without the debtor's consent to SMS, only within `textDays` calendar
 * days (the person's zone) of a text the debtor sent from that number — the text's day is day 0, the
 * 60th day after it is the last — else denied, `sms_consent_required`. US e-mail: without consent to
 * e-mail, allowed with the condition `email_consent_unconfirmed` (the creditor's notice with its 35-day
 * opt-out window must have gone first; Huikuan does not hold the creditor's notices). CN's "no private
 * phones or social apps without consent" is about channels Huikuan never uses — every channel it has
 * is agency-controlled — so CN and UK have no consent rule here.
 */
export const consentRules: Readonly<Record<string, { textDays: number; emailCondition: boolean }>> = {
  US: { textDays: 60, emailCondition: true },
};

export interface Verdict {
  verdict: VerdictKind;
  reasons: readonly ReasonCode[];
  profile: { code: string; version: number; overrides: readonly string[] };
  /** The zones the time rules were read in (several when the person's zone was unknown). */
  zones: readonly string[];
}

const bit: Record<ReasonCode, number> = Object.fromEntries(
  reasonCodes.map((code, i) => [code, 1 << i]),
) as Record<ReasonCode, number>;
const holdBit: Record<Hold, number> = Object.fromEntries(
  holdCodes.map((hold) => [hold, bit[`hold_${hold}`]]),
) as Record<Hold, number>;
const conditionMask = reasonCodes.reduce(
  (mask, code, i) =>
    code === 'cease_notices_only' || i > reasonCodes.indexOf('cease_notices_only') ? mask | (1 << i) : mask,
  0,
);

const placed: Record<Outcome, boolean> = {
  pending: true,
  conversation: true,
  connected_no_answer: true,
  voicemail: true,
  no_answer: true,
  busy: false,
  not_in_service: false,
  delivered: true,
};
const unanswered: Record<Outcome, boolean> = {
  pending: true,
  conversation: false,
  connected_no_answer: true,
  voicemail: false,
  no_answer: true,
  busy: true,
  not_in_service: false,
  delivered: false,
};
const connected: Record<Outcome, boolean> = {
  pending: true,
  conversation: true,
  connected_no_answer: true,
  voicemail: true,
  no_answer: false,
  busy: false,
  not_in_service: false,
  delivered: true,
};
/** Outcomes in which something reached the person (a third party "contacted"). */
const communicated: Record<Outcome, boolean> = {
  pending: true,
  conversation: true,
  connected_no_answer: false,
  voicemail: true,
  no_answer: false,
  busy: false,
  not_in_service: false,
  delivered: true,
};

const noReasons: readonly ReasonCode[] = Object.freeze([]);
const reasonLists = new Map<number, readonly ReasonCode[]>();

function reasonsOf(mask: number): readonly ReasonCode[] {
  if (mask === 0) return noReasons;
  let list = reasonLists.get(mask);
  if (list === undefined) {
    const codes: ReasonCode[] = [];
    for (let i = 0; i < reasonCodes.length; i++) {
      if (mask & (1 << i)) codes.push(reasonCodes[i] as ReasonCode);
    }
    list = Object.freeze(codes);
    reasonLists.set(mask, list);
  }
  return list;
}

const zoneLists = new Map<string, readonly Zone[]>();

/** The zones to read local time in: the attempt's zone, else its number's country, else the profile's country. */
export function zonesFor(
  attempt: Pick<Attempt, 'timezone' | 'number'>,
  rules: ProfileRules,
): readonly Zone[] {
  if (attempt.timezone !== null) {
    let list = zoneLists.get(attempt.timezone);
    if (list === undefined) {
      list = [zone(attempt.timezone)];
      zoneLists.set(attempt.timezone, list);
    }
    return list;
  }
  const names = zonesForNumber(attempt.number) ?? rules.countryZones;
  const key = names.join(' ');
  let list = zoneLists.get(key);
  if (list === undefined) {
    list = names.map((name) => zone(name));
    zoneLists.set(key, list);
  }
  return list;
}

/** Deny and condition bits of the rules that do not depend on local time. */
function timelessMask(attempt: Attempt, rules: ProfileRules): number {
  let mask = 0;
  const { channel, purpose } = attempt;
  for (const hold of attempt.holds) {
    if (hold === 'cease') {
      if (rules.ceaseAllowsNotices && channel === 'letter') {
        if (purpose !== 'cease_notice') mask |= bit.cease_notices_only;
      } else mask |= bit.hold_cease;
    } else if (hold === 'dispute') {
      if (purpose !== 'dispute_verification' || (channel !== 'letter' && channel !== 'email')) {
        mask |= bit.hold_dispute;
      }
    } else if (hold === 'opt_out_call') {
      if (channel === 'call') mask |= bit.hold_opt_out_call;
    } else if (hold === 'opt_out_sms') {
      if (channel === 'sms') mask |= bit.hold_opt_out_sms;
    } else if (hold === 'opt_out_email') {
      if (channel === 'email') mask |= bit.hold_opt_out_email;
    } else mask |= holdBit[hold];
  }
  const treatment: PartyTreatment = rules.parties[attempt.party];
  if (treatment === 'forbidden') mask |= bit.party_not_permitted;
  else if (treatment === 'locate') {
    if (rules.locateRequiresLostContact && !attempt.lostContact) mask |= bit.third_party_not_lost_contact;
    if (rules.locateOncePerPerson) {
      for (const entry of attempt.history) {
        if (communicated[entry.outcome]) {
          mask |= bit.third_party_already_contacted;
          break;
        }
      }
    }
    for (const condition of rules.locateConditions) mask |= bit[condition];
  }
  return mask;
}

/** Deny bits of the time rules (contact hours, daily and windowed caps, texts' window) read in zone `z`. */
function timeMask(attempt: Attempt, rules: ProfileRules, z: Zone, textDays: number | null): number {
  let mask = 0;
  const at = attempt.atMs;
  const consent = attempt.channelConsent;
  if (textDays !== null && consent && !consent.consent && attempt.channel === 'sms') {
    const last = consent.lastInboundTextMs;
    const today = Math.floor((at + z.offsetAt(at)) / dayMs);
    if (last === null || last > at || today - Math.floor((last + z.offsetAt(last)) / dayMs) > textDays) {
      mask |= bit.sms_consent_required;
    }
  }
  if (
    !(attempt.consentQuietHours && rules.contactHoursConsentLifts) &&
    rules.contactHoursChannels.includes(attempt.channel)
  ) {
    const second = localSecondOfDay(z, at);
    if (second < rules.contactHours.earliest || second > rules.contactHours.latest) mask |= bit.quiet_hours;
  }
  if (attempt.channel !== 'call') return mask;
  const history = attempt.history;
  const day = Math.floor((at + z.offsetAt(at)) / dayMs);
  const windowDays = rules.callsPerWindow === null ? 0 : rules.callsPerWindow.days;
  const blockDays = rules.conversationBlockDays ?? 0;
  const number = attempt.number;
  let unansweredToday = 0;
  let robotToday = 0;
  let callsToday = 0;
  let callsInWindow = 0;
  let recentConversation = false;
  for (let i = 0; i < history.length; i++) {
    const entry = history[i] as HistoryEntry;
    if (entry.channel !== 'call') continue;
    const t = entry.atMs;
    const age = day - Math.floor((t + z.offsetAt(t)) / dayMs);
    if (age < 0) continue;
    const outcome = entry.outcome;
    if (age === 0) {
      // a number not known on either side is counted: it may be the same number
      if (unanswered[outcome] && (number === null || entry.number === null || entry.number === number)) {
        unansweredToday++;
      }
      if (entry.robot && connected[outcome] && entry.party === attempt.party) robotToday++;
      if (placed[outcome]) callsToday++;
    }
    if (age < windowDays && placed[outcome]) callsInWindow++;
    if (age < blockDays && outcome === 'conversation') recentConversation = true;
  }
  const unansweredCap = rules.unansweredCallsPerNumberPerDay;
  if (unansweredCap !== null && unansweredToday >= unansweredCap) mask |= bit.unanswered_calls_cap;
  const robotCap = rules.robotCallsPerDay;
  if (attempt.robot && robotCap !== null && robotToday >= robotCap) mask |= bit.robot_calls_cap;
  if (rules.callsPerDay !== null && callsToday >= rules.callsPerDay) mask |= bit.daily_calls_cap;
  if (rules.callsPerWindow !== null && callsInWindow >= rules.callsPerWindow.calls)
    mask |= bit.calls_in_window_cap;
  if (recentConversation) mask |= bit.recent_conversation;
  return mask;
}

/**
 * The verdict on one proposed contact under `profile`. When the person's zone is not known, the
 * time rules are read in each zone of the profile's country and the strictest result holds (a zone
 * that denies denies; the reasons of all zones are listed).
 */
export function evaluate(attempt: Attempt, profile: Profile): Verdict {
  const rules = profile.rules;
  const zones = zonesFor(attempt, rules);
  let mask = timelessMask(attempt, rules);
  const consentRule = attempt.channelConsent ? consentRules[profile.code] : undefined;
  if (consentRule?.emailCondition && attempt.channel === 'email' && !attempt.channelConsent?.consent) {
    mask |= bit.email_consent_unconfirmed;
  }
  const textDays = consentRule ? consentRule.textDays : null;
  for (let i = 0; i < zones.length; i++) mask |= timeMask(attempt, rules, zones[i] as Zone, textDays);
  const denied = mask & ~conditionMask;
  const kind: VerdictKind = denied !== 0 ? 'deny' : mask !== 0 ? 'allow_with_conditions' : 'allow';
  return {
    verdict: kind,
    reasons: reasonsOf(denied !== 0 ? denied : mask),
    profile: describeProfile(profile),
    zones: zoneNames(zones),
  };
}

const profileDescriptions = new WeakMap<Profile, Verdict['profile']>();

function describeProfile(profile: Profile): Verdict['profile'] {
  let description = profileDescriptions.get(profile);
  if (description === undefined) {
    description = Object.freeze({
      code: profile.code,
      version: profile.version,
      overrides: profile.overrides,
    });
    profileDescriptions.set(profile, description);
  }
  return description;
}

const zoneNameLists = new WeakMap<readonly Zone[], readonly string[]>();

function zoneNames(zones: readonly Zone[]): readonly string[] {
  let names = zoneNameLists.get(zones);
  if (names === undefined) {
    names = Object.freeze(zones.map((z) => z.name));
    zoneNameLists.set(zones, names);
  }
  return names;
}
