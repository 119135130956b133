/**
 * The pure part of the agent workspace (/workspace): the one-key actions and when a key counts
 * (never while typing), the digit shortcuts of the common dispositions and what each implies next,
 * a plan's instalments split and checked in minor units (bigint, exact), and a local date-time in one
 * zone read in another (a call-back in the debtor's zone and the agent's). No React, no requests.
 */

/** The dispositions of a contact attempt (src/worklist/model.ts keeps the same closed list). */
export const dispositions = [
  'right_party_contact',
  'third_party',
  'wrong_party',
  'no_answer',
  'busy',
  'voicemail',
  'not_in_service',
  'promise_to_pay',
  'refuse_to_pay',
  'claims_paid',
  'dispute',
  'hardship',
  'deceased',
  'bankruptcy',
  'call_back_requested',
  'lost_contact',
] as const;
export type Disposition = (typeof dispositions)[number];

export const hardshipOptions = [
  'longer_term',
  'interest_suspended',
  'charges_reduced',
  'charges_waived',
  'token_payments',
  'debt_advice_referral',
] as const;

/** Digit keys 1–9 of the disposition select: the common outcomes of a call first. */
export const dispositionShortcuts: Record<string, Disposition> = {
  '1': 'promise_to_pay',
  '2': 'right_party_contact',
  '3': 'no_answer',
  '4': 'busy',
  '5': 'voicemail',
  '6': 'call_back_requested',
  '7': 'refuse_to_pay',
  '8': 'wrong_party',
  '9': 'dispute',
};

export function shortcutOf(disposition: Disposition): string | null {
  for (const [digit, value] of Object.entries(dispositionShortcuts)) if (value === disposition) return digit;
  return null;
}

/** What an attempt with this disposition leads to: the next form, or the hold the server records. */
export type FollowUp = 'promise' | 'callback' | 'hardship' | 'hold' | null;

export function followUpOf(disposition: Disposition): FollowUp {
  switch (disposition) {
    case 'promise_to_pay':
      return 'promise';
    case 'call_back_requested':
      return 'callback';
    case 'hardship':
      return 'hardship';
    case 'dispute':
    case 'deceased':
    case 'bankruptcy':
      return 'hold';
    default:
      return null;
  }
}

// ---------------------------------------------------------------- keys

export const workspaceActions = [
  'call',
  'attempt',
  'promise',
  'plan',
  'settle',
  'callback',
  'hardship',
  'visit',
  'message',
] as const;
export type WorkspaceAction = (typeof workspaceActions)[number];

export const actionKeys: Record<WorkspaceAction, string> = {
  call: 'C',
  attempt: 'A',
  promise: 'P',
  plan: 'L',
  settle: 'S',
  callback: 'B',
  hardship: 'H',
  visit: 'V',
  message: 'M',
};

export type KeyCommand =
  | { kind: 'action'; action: WorkspaceAction }
  | { kind: 'next' | 'down' | 'up' | 'close' };

/** The part of a keyboard event the workspace reads (a DOM KeyboardEvent has it). */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: unknown;
}

/** Whether the event's target is somewhere the user types (an input, a text area, an editable or a select). */
export function isTyping(target: unknown): boolean {
  if (!target || typeof target !== 'object') return false;
  const element = target as {
    tagName?: string;
    isContentEditable?: boolean;
    getAttribute?: (name: string) => string | null;
  };
  const tag = (element.tagName ?? '').toUpperCase();
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (element.isContentEditable) return true;
  return element.getAttribute?.('role') === 'combobox';
}

/**
 * The command a key press means in the workspace: N next account, J / K down / up the queue, Esc
 * close, the action letters; nothing while typing, with Ctrl / ⌘ / Alt, or (letters) while a
 * dialog is open — Esc still closes it.
 */
export function commandOf(event: KeyLike, dialogOpen: boolean): KeyCommand | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (event.key === 'Escape') return dialogOpen ? { kind: 'close' } : null;
  if (dialogOpen || isTyping(event.target)) return null;
  const key = event.key.length === 1 ? event.key.toUpperCase() : '';
  if (key === 'N') return { kind: 'next' };
  if (key === 'J') return { kind: 'down' };
  if (key === 'K') return { kind: 'up' };
  for (const action of workspaceActions) if (actionKeys[action] === key) return { kind: 'action', action };
  return null;
}

/** The queue position after J / K: down one further (stays at the end), up one back (stays at 0). */
export function moveIndex(current: number, length: number, move: 'next' | 'down' | 'up'): number {
  if (length === 0) return -1;
  if (current < 0) return 0;
  if (move === 'up') return Math.max(0, current - 1);
  return Math.min(length - 1, current + 1);
}

/**
 * N: the account to work next — the first of the queue other than the current one. The server
 * re-sorts the queue after each action (a worked account moves down), so its top is the next to work.
 */
export function nextIndex(ids: readonly string[], current: string | null): number {
  return ids.findIndex((id) => id !== current);
}

// ---------------------------------------------------------------- plans

/** `count` instalments summing exactly to `total` (minor units): equal parts, the remainder on the first ones. */
export function splitInstalments(total: bigint, count: number): bigint[] {
  if (!Number.isInteger(count) || count < 1) return [];
  if (total <= 0n) return [];
  const n = BigInt(count);
  const base = total / n;
  const remainder = total % n;
  return Array.from({ length: count }, (_unused, index) => base + (BigInt(index) < remainder ? 1n : 0n));
}

/** YYYY-MM-DD plus whole months, the day kept or the month's last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const last = new Date(Date.UTC(targetYear, targetMonth, 0)).getUTCDate();
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${targetYear}-${pad(targetMonth)}-${pad(Math.min(day, last))}`;
}

/** Monthly due dates from the first. */
export function monthlyDates(first: string, count: number): string[] {
  return Array.from({ length: Math.max(0, count) }, (_unused, index) => addMonths(first, index));
}

export interface PlanRow {
  due_on: string;
  amount_minor: bigint | null;
}

export type PlanProblem =
  | { kind: 'empty' }
  | { kind: 'amount'; row: number }
  | { kind: 'date'; row: number }
  | { kind: 'order'; row: number }
  | { kind: 'sum'; sum: bigint; difference: bigint };

/** Why these instalments are not a plan of `total` (null: they are): each a positive amount and a date, dates rising, summing exactly to the total. */
export function planProblem(total: bigint, rows: readonly PlanRow[]): PlanProblem | null {
  if (rows.length === 0) return { kind: 'empty' };
  let sum = 0n;
  for (const [index, row] of rows.entries()) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(row.due_on)) return { kind: 'date', row: index + 1 };
    if (row.amount_minor === null || row.amount_minor <= 0n) return { kind: 'amount', row: index + 1 };
    const previous = rows[index - 1];
    if (previous && previous.due_on >= row.due_on) return { kind: 'order', row: index + 1 };
    sum += row.amount_minor;
  }
  if (sum !== total) return { kind: 'sum', sum, difference: total - sum };
  return null;
}

// ---------------------------------------------------------------- zones

/**
 * The zone a debtor's times are read in, from the debtor's country (the agencies' home, China, when
 * unknown): the server's debtorZone (src/compliance/holds-model.ts), held equal by test/web.
 */
const countryZones: Record<string, string> = {
  CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong',
  MO: 'Asia/Macau',
  TW: 'Asia/Taipei',
  GB: 'Europe/London',
  US: 'America/New_York',
};

export function zoneOfDebtor(country: string | null): string {
  return (country ? countryZones[country] : undefined) ?? 'Asia/Shanghai';
}

/** The offset of `zone` from UTC at an instant, in minutes. */
function offsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? '0');
  const wall = Date.UTC(
    value('year'),
    value('month') - 1,
    value('day'),
    value('hour'),
    value('minute'),
    value('second'),
  );
  return Math.round((wall - instant) / 60_000);
}

/** The UTC instant of a local 'YYYY-MM-DD HH:mm' in `zone` (null: not such a text). */
export function instantOf(local: string, zone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(local.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  // two passes settle a guess that crossed a change of offset
  let instant = guess - offsetMinutes(guess, zone) * 60_000;
  instant = guess - offsetMinutes(instant, zone) * 60_000;
  return instant;
}

/** An instant as 'YYYY-MM-DD HH:mm' on the wall clock of `zone`. */
export function wallTimeIn(instant: number, zone: string): string {
  const shifted = new Date(instant + offsetMinutes(instant, zone) * 60_000);
  return shifted.toISOString().slice(0, 16).replace('T', ' ');
}
