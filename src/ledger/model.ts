/**
 * The ledger's pure domain (ledger.md): allocation by waterfall, commission, days past due, and the
 * balanced postings of every event. No SQL. The service's set-based SQL must give the same results;
 * property tests use this module as the oracle.
 *
 * Signs: a debit is positive, a credit negative; every entry's postings sum to zero.
 */
import type { Component, EntryKind, LedgerAccount } from '../db/schema.ts';
import { daysBetween } from '../shared/dates.ts';
import { divideHalfEven } from '../shared/money.ts';

export const components: readonly Component[] = ['principal', 'interest', 'fees', 'penalty'];
export const defaultWaterfall: readonly Component[] = ['penalty', 'fees', 'interest', 'principal'];

export type Components = Record<Component, bigint>;

export const zeroComponents = (): Components => ({ principal: 0n, interest: 0n, fees: 0n, penalty: 0n });

export function totalOf(c: Components): bigint {
  return c.principal + c.interest + c.fees + c.penalty;
}

export interface PostingLine {
  ledgerAccount: LedgerAccount;
  /** The debtor account for debt:* lines, null otherwise. */
  accountId: bigint | null;
  amountMinor: bigint;
}

export interface Allocation {
  components: Components;
  overpayment: bigint;
}

/**
 * Allocates `amount` over the balances in waterfall order; whatever exceeds the balance goes to
 * overpayment. A negative amount is refused.
 */
export function allocate(balances: Components, waterfall: readonly Component[], amount: bigint): Allocation {
  if (amount < 0n) throw new RangeError('an allocated amount cannot be negative');
  const allocated = zeroComponents();
  let rest = amount;
  for (const component of waterfall) {
    const take = minBig(rest, balances[component]);
    allocated[component] = take;
    rest -= take;
  }
  return { components: allocated, overpayment: rest };
}

/** Days past due on the payment date: payment date − delinquency date (may be negative). */
export function daysPastDue(delinquencyDate: string, paidOn: string): number {
  return daysBetween(delinquencyDate, paidOn);
}

export interface CommissionBand {
  fromDpd: number;
  toDpd: number | null;
  rateBp: number;
}

/**
 * The rate for `dpd` (a payment before delinquency counts as 0 days): the band with the greatest
 * start ≤ dpd, if it reaches dpd; no band = 0.
 */
export function rateForDpd(schedule: readonly CommissionBand[], dpd: number): number {
  const days = Math.max(0, dpd);
  let band: CommissionBand | undefined;
  for (const b of schedule) if (b.fromDpd <= days && (!band || b.fromDpd > band.fromDpd)) band = b;
  if (!band || (band.toDpd !== null && days > band.toDpd)) return 0;
  return band.rateBp;
}

export interface Commission {
  /** commissionable × rate_bp: the exact commission is numerator / 10 000 minor units. */
  numerator: bigint;
  /** Rounded half-even to the minor unit. */
  minor: bigint;
}

export function commissionFor(commissionable: bigint, rateBp: number): Commission {
  const numerator = commissionable * BigInt(rateBp);
  return { numerator, minor: divideHalfEven(numerator, 10_000n) };
}

const debtAccount: Record<Component, LedgerAccount> = {
  principal: 'debt:principal',
  interest: 'debt:interest',
  fees: 'debt:fees',
  penalty: 'debt:penalty',
};

function debtLines(
  accountId: bigint,
  amounts: Components,
  sign: 1n | -1n,
  order = components,
): PostingLine[] {
  return order
    .filter((c) => amounts[c] !== 0n)
    .map((c) => ({ ledgerAccount: debtAccount[c], accountId, amountMinor: sign * amounts[c] }));
}

function line(
  ledgerAccount: LedgerAccount,
  amountMinor: bigint,
  accountId: bigint | null = null,
): PostingLine {
  return { ledgerAccount, accountId, amountMinor };
}

/** Event 1: Dr debt:A:c per non-zero component / Cr client:C:placed. */
export function placementPostings(accountId: bigint, placed: Components): PostingLine[] {
  return nonZero([...debtLines(accountId, placed, 1n), line('client:placed', -totalOf(placed))]);
}

/** Event 2: Dr debt:A:interest|fees / Cr client:C:placed. */
export function accrualPostings(accountId: bigint, accrued: Components): PostingLine[] {
  if (accrued.principal !== 0n || accrued.penalty !== 0n) {
    throw new RangeError('accrual adds interest or fees only');
  }
  return nonZero([...debtLines(accountId, accrued, 1n), line('client:placed', -totalOf(accrued))]);
}

export interface PaymentComputation {
  allocation: Allocation;
  dpd: number;
  rateBp: number;
  commission: Commission;
}

/** Allocation and commission of one payment on the given balances. */
export function computePayment(args: {
  balances: Components;
  waterfall: readonly Component[];
  schedule: readonly CommissionBand[];
  delinquencyDate: string;
  paidOn: string;
  amount: bigint;
}): PaymentComputation {
  const allocation = allocate(args.balances, args.waterfall, args.amount);
  const dpd = daysPastDue(args.delinquencyDate, args.paidOn);
  const rateBp = rateForDpd(args.schedule, dpd);
  const commission = commissionFor(totalOf(allocation.components), rateBp);
  return { allocation, dpd, rateBp, commission };
}

/**
 * Event 3 (direct = false): cash Dr trust:bank / Cr client:payable; debt Dr client:collected / Cr
 * debt:A:* by waterfall (+ overpayment); commission Dr client:payable / Cr agency:commission_revenue.
 * Event 4 (direct = true): Dr client:direct_paid / Cr debt:A:*; commission Dr
 * client:commission_receivable / Cr agency:commission_revenue.
 */
export function paymentPostings(
  accountId: bigint,
  amount: bigint,
  allocation: Allocation,
  commissionMinor: bigint,
  waterfall: readonly Component[],
  direct: boolean,
): PostingLine[] {
  const lines: PostingLine[] = direct
    ? [line('client:direct_paid', amount)]
    : [line('trust:bank', amount), line('client:payable', -amount), line('client:collected', amount)];
  lines.push(...debtLines(accountId, allocation.components, -1n, waterfall));
  lines.push(line('debt:overpayment', -allocation.overpayment, accountId));
  lines.push(line(direct ? 'client:commission_receivable' : 'client:payable', commissionMinor));
  lines.push(line('agency:commission_revenue', -commissionMinor));
  return nonZero(lines);
}

/**
 * Event 5: remittance of `netMinor` (Dr client:payable / Cr trust:bank) after netting `nettedMinor`
 * of commission receivable (Dr client:payable / Cr client:commission_receivable).
 */
export function remittancePostings(netMinor: bigint, nettedMinor: bigint): PostingLine[] {
  return nonZero([
    line('client:payable', nettedMinor),
    line('client:commission_receivable', -nettedMinor),
    line('client:payable', netMinor),
    line('trust:bank', -netMinor),
  ]);
}

/** Event 5: earned commission moved out of trust: Dr agency:operating_bank / Cr trust:bank. */
export function commissionTransferPostings(amount: bigint): PostingLine[] {
  return nonZero([line('agency:operating_bank', amount), line('trust:bank', -amount)]);
}

/** Event 6: the exact negation of the original entry (commission included). */
export function reversalPostings(original: readonly PostingLine[]): PostingLine[] {
  return original.map((p) => ({ ...p, amountMinor: -p.amountMinor }));
}

export type ReductionKind = 'discount' | 'recall' | 'write_off' | 'adjustment';

export const reductionCounterpart: Record<ReductionKind, LedgerAccount> = {
  discount: 'client:discounts',
  recall: 'client:recalled',
  write_off: 'client:written_off',
  adjustment: 'client:adjustments',
};

/**
 * Events 7–10: Dr client:C:{discounts|recalled|written_off|adjustments} / Cr debt:A:* for the
 * amounts by component (recall and write-off: every remaining balance).
 */
export function reductionPostings(
  kind: ReductionKind,
  accountId: bigint,
  amounts: Components,
): PostingLine[] {
  return nonZero([line(reductionCounterpart[kind], totalOf(amounts)), ...debtLines(accountId, amounts, -1n)]);
}

export const writeOffReasons = [
  'bankruptcy',
  'deceased',
  'statute_barred',
  'uncollectable',
  'client_instruction',
] as const;
export type WriteOffReason = (typeof writeOffReasons)[number];

/** The ledger account whose movements a kind of entry explains on the client side (invariant 3). */
export const counterpartOf: Partial<Record<EntryKind, LedgerAccount>> = {
  placement: 'client:placed',
  accrual: 'client:placed',
  payment: 'client:collected',
  direct_payment: 'client:direct_paid',
  discount: 'client:discounts',
  recall: 'client:recalled',
  write_off: 'client:written_off',
  adjustment: 'client:adjustments',
};

/** Whether a discount of `discount` on a balance of `balance` is within `limitBp` basis points. */
export function discountWithinLimit(discount: bigint, balance: bigint, limitBp: number): boolean {
  return discount * 10_000n <= balance * BigInt(limitBp);
}

/**
 * The amounts a discount of `amount` takes off by component: in the waterfall's order, as a
 * payment would (usually penalty and fees are waived first). More than the balance is refused.
 */
export function discountByComponent(
  balances: Components,
  waterfall: readonly Component[],
  amount: bigint,
): Components {
  const result = allocate(balances, waterfall, amount);
  if (result.overpayment > 0n) throw new RangeError('a discount cannot exceed the balance');
  return result.components;
}

/** The smaller of two bigints (Math.min does not take bigint). */
export function minBig(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

function nonZero(lines: PostingLine[]): PostingLine[] {
  return lines.filter((l) => l.amountMinor !== 0n);
}

/** paid ↔ active as the balance empties or returns; other statuses stay. */
export function reevaluate(status: string, balances: Components): string {
  const total = totalOf(balances);
  if (total === 0n && status === 'active') return 'paid';
  if (total > 0n && (status === 'paid' || status === 'settled')) return 'active';
  return status;
}

export function sumLines(lines: readonly PostingLine[]): bigint {
  return lines.reduce((s, l) => s + l.amountMinor, 0n);
}

// ------------------------------------------------------------------ an in-memory ledger (oracle)

export interface ModelAccount {
  id: bigint;
  clientId: bigint;
  delinquencyDate: string;
  status: 'active' | 'paid' | 'settled' | 'closed' | 'recalled' | 'written_off';
  balances: Components;
  overpayment: bigint;
}

export interface ModelEntry {
  id: number;
  kind: EntryKind;
  accountId: bigint | null;
  externalId: string | null;
  reverses: number | null;
  lines: PostingLine[];
}

/**
 * Applies entries to balances exactly as the service does; used by property tests to predict the
 * database's state after a random sequence of events.
 */
export class ModelLedger {
  readonly accounts = new Map<bigint, ModelAccount>();
  readonly entries: ModelEntry[] = [];
  readonly totals = new Map<LedgerAccount, bigint>();

  post(
    kind: EntryKind,
    accountId: bigint | null,
    lines: PostingLine[],
    extra: Partial<ModelEntry> = {},
  ): ModelEntry {
    if (sumLines(lines) !== 0n) throw new Error(`unbalanced ${kind} entry`);
    const entry: ModelEntry = {
      id: this.entries.length + 1,
      kind,
      accountId,
      externalId: null,
      reverses: null,
      lines,
      ...extra,
    };
    for (const l of lines) {
      this.totals.set(l.ledgerAccount, (this.totals.get(l.ledgerAccount) ?? 0n) + l.amountMinor);
      if (l.accountId !== null) {
        const account = this.accounts.get(l.accountId);
        if (!account) throw new Error(`no account ${l.accountId}`);
        if (l.ledgerAccount === 'debt:overpayment') account.overpayment -= l.amountMinor;
        else account.balances[l.ledgerAccount.slice(5) as Component] += l.amountMinor;
      }
    }
    this.entries.push(entry);
    return entry;
  }

  total(ledgerAccount: LedgerAccount): bigint {
    return this.totals.get(ledgerAccount) ?? 0n;
  }
}
