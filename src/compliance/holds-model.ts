/**
 * The pure part of holds and consent: the kinds and sources, when a hold is in force, which dispute
 * must wait for the verification (Regulation F 1006.38), the calls a prior consent takes out of the
 * US 7-in-7 count (1006.14(b)(3)(i)), and dates given by people read as instants. No SQL, no clock.
 */
import { addDays, parseDateOrInstant } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { HistoryEntry } from './model.ts';

/** The holds kept in the database (model.ts's holdCodes add `recalled` and `closed`, from the account's status). */
export const storedHoldKinds = [
  'dispute',
  'cease',
  'bankruptcy',
  'deceased',
  'legal',
  'breathing_space',
  'attorney',
  'opt_out_call',
  'opt_out_sms',
  'opt_out_email',
  'do_not_contact',
] as const;
export type StoredHold = (typeof storedHoldKinds)[number];

/** What an agent may record (they hear it on the phone); every other kind is for compliance, supervisors and admins. */
export const agentHoldKinds: readonly StoredHold[] = [
  'dispute',
  'cease',
  'opt_out_call',
  'opt_out_sms',
  'opt_out_email',
];

/** Holds that may name one contact point (else they cover every point). */
export const pointHoldKinds: readonly StoredHold[] = [
  'opt_out_call',
  'opt_out_sms',
  'opt_out_email',
  'do_not_contact',
];

export const optOutKinds: readonly StoredHold[] = ['opt_out_call', 'opt_out_sms', 'opt_out_email'];

/** How the agency learnt of a hold or a consent. */
export const holdSources = [
  'letter',
  'phone',
  'debtor_page',
  'sms_reply',
  'email',
  'client',
  'court',
  'attorney',
  'agency',
] as const;
export type HoldSource = (typeof holdSources)[number];

/** Sources that are the person's own writing: a dispute from one of them is a written dispute. */
export const writtenSources: readonly HoldSource[] = ['letter', 'debtor_page', 'sms_reply', 'email'];

export const consentKinds = ['channel', 'quiet_hours', 'prior_call'] as const;
export type ConsentKind = (typeof consentKinds)[number];

/** The UK standard breathing space: 60 days unless an end is given (a mental-health crisis has none). */
export const breathingSpaceDays = 60;
/** Regulation F 1006.14(b)(3)(i): calls within this many days of a prior consent are not counted. */
export const priorConsentDays = 7;

export function parseHoldKind(text: string): StoredHold {
  if (!(storedHoldKinds as readonly string[]).includes(text)) {
    throw new HuikuanError('bad_input', `"${text}" is not a hold; use one of ${storedHoldKinds.join(', ')}.`);
  }
  return text as StoredHold;
}

export function parseSource(text: string): HoldSource {
  if (!(holdSources as readonly string[]).includes(text)) {
    throw new HuikuanError('bad_input', `"${text}" is not a source; use one of ${holdSources.join(', ')}.`);
  }
  return text as HoldSource;
}

export const holdStatuses = ['active', 'scheduled', 'ended', 'lifted'] as const;
export type HoldStatus = (typeof holdStatuses)[number];

/** A hold's state at `atMs`: lifted before then, ended (its end date passed), not yet started, or in force. */
export function holdStatus(
  hold: { startsAt: Date; endsAt: Date | null; liftedAt: Date | null },
  atMs: number,
): HoldStatus {
  if (hold.liftedAt !== null && hold.liftedAt.getTime() <= atMs) return 'lifted';
  if (hold.endsAt !== null && hold.endsAt.getTime() <= atMs) return 'ended';
  if (hold.startsAt.getTime() > atMs) return 'scheduled';
  return 'active';
}

/**
 * Whether a dispute holds collection until the verification is sent (Regulation F 1006.38): a
 * written dispute on a US account received by the last day of the validation period — or before
 * any notice was sent, when the period has not even begun. Such a dispute is lifted only by
 * recording the verification.
 */
export function disputeNeedsVerification(dispute: {
  jurisdiction: string;
  source: string;
  /** The day the dispute was received, in the debtor's zone. */
  receivedOn: string;
  /** The last day of the account's validation period; null when no notice was sent. */
  periodEndsOn: string | null;
}): boolean {
  if (dispute.jurisdiction !== 'US') return false;
  if (!(writtenSources as readonly string[]).includes(dispute.source)) return false;
  return dispute.periodEndsOn === null || dispute.receivedOn <= dispute.periodEndsOn;
}

/**
 * The history without the calls a prior consent covers: calls (a conversation excepted, which
 * still blocks the next seven days) placed while a consent window [from, until) was open. Returns
 * the same array when nothing is taken out.
 */
export function withoutConsentedCalls(
  history: readonly HistoryEntry[],
  windows: readonly (readonly [number, number])[],
): readonly HistoryEntry[] {
  if (windows.length === 0) return history;
  const kept = history.filter(
    (entry) =>
      entry.channel !== 'call' ||
      entry.outcome === 'conversation' ||
      !windows.some(([from, until]) => entry.atMs >= from && entry.atMs < until),
  );
  return kept.length === history.length ? history : kept;
}

/**
 * A date or instant a person wrote, as the instant it means: an instant as given; a date, the start
 * of that day in `zone` — or, for an end (`edge` 'end'), the start of the next day, so the date is
 * the last day in force.
 */
export function parseWhen(text: string, zone: string, edge: 'start' | 'end', field: string): Date {
  const parsed = parseDateOrInstant(text, zone);
  if (!parsed.ok) throw new HuikuanError('bad_input', `${field}: ${parsed.reason}.`);
  if (parsed.instant !== null) return new Date(parsed.instant);
  const day = edge === 'end' ? addDays(parsed.date, 1) : parsed.date;
  const midnight = parseDateOrInstant(`${day} 00:00`, zone);
  if (!midnight.ok || midnight.instant === null) {
    throw new HuikuanError('bad_input', `${field}: "${text}" has no midnight in ${zone}.`);
  }
  return new Date(midnight.instant);
}

/** The IANA zone a debtor's dates are read in, from the debtor's country (the agencies' home when unknown). */
export const countryZones: Record<string, string> = {
  CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong',
  MO: 'Asia/Macau',
  TW: 'Asia/Taipei',
  GB: 'Europe/London',
};

export function debtorZone(country: string | null): string {
  if (country === 'US') return 'America/New_York';
  return (country ? countryZones[country] : undefined) ?? 'Asia/Shanghai';
}
