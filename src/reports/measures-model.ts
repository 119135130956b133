/**
 * The pure rules of Measures (效果评估, ../shared/spec/kpi.md): exact rates from bigint parts, the
 * before / after comparison of two proportions, months, and which contact dispositions count as
 * reaching someone. No SQL, no HTTP; measures.ts runs the queries.
 */
import { daysInMonth, isRealDate } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type ComparableMeasure,
  type Comparison,
  type MeasurePeriod,
  type MeasureValues,
  type Rate,
  type RollMatrix,
  type RollRow,
  rollFromBuckets,
  rollToStates,
  type VintageCurve,
} from './measures-types.ts';

/** Dispositions where the attempt reached a person, whoever it was (接通). */
export const reachedDispositions = [
  'right_party_contact',
  'third_party',
  'wrong_party',
  'promise_to_pay',
  'refuse_to_pay',
  'claims_paid',
  'dispute',
  'hardship',
  'call_back_requested',
  'deceased',
  'bankruptcy',
] as const;

/**
 * Dispositions where the attempt reached the debtor (本人接通): the strategy's own list (the risk
 * features read the same dispositions), so a model's `right_party_contacts_90d`, a strategy's
 * conditions and the RPC rate agree.
 */
export { rightPartyDispositions } from '../strategy/document.ts';

/** Journal entry kinds that are payments (into trust and direct to the client). */
export const paymentKinds = ['payment', 'direct_payment'] as const;

/** The zone whose calendar days bound a period's instants (contact attempts, status changes). */
export const businessZone = 'Asia/Shanghai';

/** Six decimal places: rates, differences and p-values are strings of micro-units. */
const scale = 1_000_000n;

/** n ÷ d rounded half-even to an integer (d ≠ 0), signs handled. */
function divideHalfEvenSigned(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  const twiceRemainder = (n % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** Micro-units as a decimal string with six places: 333333n → '0.333333', -1500000n → '-1.500000'. */
export function formatMicro(micro: bigint): string {
  const negative = micro < 0n;
  const magnitude = negative ? -micro : micro;
  const whole = magnitude / scale;
  const fraction = (magnitude % scale).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** The quotient in micro-units rounded half-even, null when the denominator is 0. */
function microOf(numerator: bigint, denominator: bigint): bigint | null {
  return denominator === 0n ? null : divideHalfEvenSigned(numerator * scale, denominator);
}

/** A rate as its exact parts and its quotient rounded half-even to six places (null for 0 / 0 and n / 0). */
export function rateOf(numerator: bigint, denominator: bigint): Rate {
  const micro = microOf(numerator, denominator);
  return { numerator, denominator, value: micro === null ? null : formatMicro(micro) };
}

/**
 * The complementary error function, W. H. Press et al.'s Chebyshev fit (Numerical Recipes, erfcc):
 * fractional error below 1.2e-7 everywhere, enough for a p-value shown to six places.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The 97.5 % point of the standard normal: a two-sided 95 % interval is ± this many standard errors. */
export const z975 = 1.959963984540054;

/** A comparison needs at least this many in each side's denominator to tell anything (kpi.md). */
export const enoughDenominator = 30n;

/** A float in [0, 1] as six places, rounded half-up (a statistic, not money); clamped into [0, 1]. */
function probabilityText(p: number): string {
  const clamped = Math.min(1, Math.max(0, p));
  return formatMicro(BigInt(Math.round(clamped * 1e6)));
}

/**
 * Before / after as two proportions: the difference after − before (exact, rounded half-even), its
 * 95 % interval by the unpooled normal approximation (widened outward to whole micro-units, so it
 * always contains the shown difference), and the two-sided p-value of the pooled z-test. Interval and
 * p-value are null when either side has no denominator or is not a proportion (below 0 or above 1,
 * e.g. more promises than right-party contacts): the normal approximation means nothing there.
 */
export function compareProportions(
  before: Rate,
  after: Rate,
): Pick<Comparison, 'difference' | 'interval' | 'p_value' | 'enough'> {
  const enough = before.denominator >= enoughDenominator && after.denominator >= enoughDenominator;
  if (before.denominator <= 0n || after.denominator <= 0n) {
    return { difference: null, interval: null, p_value: null, enough };
  }
  // after − before = (n2·d1 − n1·d2) / (d1·d2), exactly
  const differenceMicro = microOf(
    after.numerator * before.denominator - before.numerator * after.denominator,
    before.denominator * after.denominator,
  ) as bigint;
  const difference = formatMicro(differenceMicro);
  const isProportion = (rate: Rate) => rate.numerator >= 0n && rate.numerator <= rate.denominator;
  if (!isProportion(before) || !isProportion(after)) {
    return { difference, interval: null, p_value: null, enough };
  }
  const n1 = Number(before.denominator);
  const n2 = Number(after.denominator);
  const p1 = Number(before.numerator) / n1;
  const p2 = Number(after.numerator) / n2;
  const halfWidth = z975 * Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const halfWidthMicro = BigInt(Math.ceil(halfWidth * 1e6));
  const pooled = Number(before.numerator + after.numerator) / Number(before.denominator + after.denominator);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // no spread at all (everyone or no one on both sides): the two proportions are equal
  const pValue = standardError > 0 ? erfc(Math.abs(p2 - p1) / standardError / Math.SQRT2) : 1;
  return {
    difference,
    // a difference of two proportions lies within ±1, whatever the approximation's width says
    interval: {
      low: formatMicro(maxBig(differenceMicro - halfWidthMicro, -1_000_000n)),
      high: formatMicro(minBig(differenceMicro + halfWidthMicro, 1_000_000n)),
    },
    p_value: probabilityText(pValue),
    enough,
  };
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The comparison of one measure's rates over two periods. */
export function comparison(
  measure: ComparableMeasure,
  before: Rate,
  beforePeriod: MeasurePeriod,
  after: Rate,
  afterPeriod: MeasurePeriod,
): Comparison {
  return {
    measure,
    before: { ...before, ...beforePeriod },
    after: { ...after, ...afterPeriod },
    ...compareProportions(before, after),
  };
}

// ---------------------------------------------------------------- months and periods

const monthPattern = /^(\d{4})-(\d{2})$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** 'YYYY-MM' as year and month, or bad_input naming the field. */
export function parseMonth(month: string, field = 'month'): { year: number; month: number } {
  const match = monthPattern.exec(month);
  const year = Number(match?.[1]);
  const number = Number(match?.[2]);
  if (!match || number < 1 || number > 12) {
    throw new HuikuanError('bad_input', `The ${field} "${month}" is not a month; give it as YYYY-MM.`);
  }
  return { year, month: number };
}

/** Whole months from `from` to `to` ('YYYY-MM'): '2026-01' → '2026-03' is 2; negative when `to` is earlier. */
export function monthsBetween(from: string, to: string): number {
  const a = parseMonth(from);
  const b = parseMonth(to);
  return (b.year - a.year) * 12 + (b.month - a.month);
}

/** The month `count` months after `month` ('YYYY-MM'; count may be negative). */
export function addMonths(month: string, count: number): string {
  const { year, month: number } = parseMonth(month);
  const index = year * 12 + (number - 1) + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month a business date falls in. */
export function monthOf(date: string): string {
  return date.slice(0, 7);
}

/** A month's first and last days. */
export function monthDays(month: string): MeasurePeriod {
  const { year, month: number } = parseMonth(month);
  const last = String(daysInMonth(year, number)).padStart(2, '0');
  return { from: `${month}-01`, to: `${month}-${last}` };
}

/** Refuses a period that is not two real dates in order. */
export function checkPeriod(period: MeasurePeriod, name = 'period'): void {
  for (const date of [period.from, period.to]) {
    const [year, month, day] = date.split('-').map(Number);
    if (!datePattern.test(date) || !isRealDate(year ?? 0, month ?? 0, day ?? 0)) {
      throw new HuikuanError(
        'bad_input',
        `The ${name}'s date "${date}" is not a date; give it as YYYY-MM-DD.`,
      );
    }
  }
  if (period.from > period.to) {
    throw new HuikuanError(
      'bad_input',
      `The ${name} starts (${period.from}) after it ends (${period.to}); give the earlier date first.`,
    );
  }
}

/**
 * A vintage's liquidation curve from what each month since placement collected: month 0 … the
 * number of points asked, never past `todayMonth`; each point cumulative, its rate over the placed
 * balance. Collections dated before the placement month count at month 0.
 */
export function curveOf(
  vintage: string,
  accounts: number,
  placedMinor: bigint,
  collectedByMonth: ReadonlyMap<number, bigint>,
  months: number,
  todayMonth: string,
): VintageCurve {
  const lastPoint = Math.min(months - 1, monthsBetween(vintage, todayMonth));
  let cumulative = 0n;
  for (const [month, amount] of collectedByMonth) if (month < 0) cumulative += amount;
  const points: VintageCurve['points'] = [];
  for (let month = 0; month <= lastPoint; month++) {
    cumulative += collectedByMonth.get(month) ?? 0n;
    points.push({ month, collected_minor: cumulative, rate: rateOf(cumulative, placedMinor) });
  }
  return { vintage, accounts, placed_minor: placedMinor, points };
}

// ---------------------------------------------------------------- figures into measures

/** What the measures' SQL counts per cut (or per dimension key): the parts every measure is made of. */
export interface MeasureFacts {
  accounts_placed: number;
  placed_minor: bigint;
  collected_trust_minor: bigint;
  collected_direct_minor: bigint;
  payments: number;
  accounts_paying: number;
  commission_minor: bigint;
  net_to_client_minor: bigint;
  written_off_minor: bigint;
  attempts: number;
  reached: number;
  right_party: number;
  promises_made: number;
  promises_due: number;
  promises_kept: number;
  plans_ended: number;
  plans_completed: number;
  live_accounts: number;
  lost_contact_accounts: number;
  first_payment_accounts: number;
  first_payment_median_days: number | null;
  first_payment_p90_days: number | null;
  full_payment_accounts: number;
  full_payment_median_days: number | null;
  full_payment_p90_days: number | null;
}

const noFacts: MeasureFacts = {
  accounts_placed: 0,
  placed_minor: 0n,
  collected_trust_minor: 0n,
  collected_direct_minor: 0n,
  payments: 0,
  accounts_paying: 0,
  commission_minor: 0n,
  net_to_client_minor: 0n,
  written_off_minor: 0n,
  attempts: 0,
  reached: 0,
  right_party: 0,
  promises_made: 0,
  promises_due: 0,
  promises_kept: 0,
  plans_ended: 0,
  plans_completed: 0,
  live_accounts: 0,
  lost_contact_accounts: 0,
  first_payment_accounts: 0,
  first_payment_median_days: null,
  first_payment_p90_days: null,
  full_payment_accounts: 0,
  full_payment_median_days: null,
  full_payment_p90_days: null,
};

const count = (value: number | bigint | string): bigint => BigInt(value);

/** The measures of kpi.md from their parts: each rate exact (numerator / denominator) and rounded. */
export function measureValuesOf(facts: MeasureFacts): MeasureValues {
  const collected = facts.collected_trust_minor + facts.collected_direct_minor;
  return {
    accounts_placed: facts.accounts_placed,
    placed_minor: facts.placed_minor,
    collected_minor: collected,
    collected_trust_minor: facts.collected_trust_minor,
    collected_direct_minor: facts.collected_direct_minor,
    payments: facts.payments,
    accounts_paying: facts.accounts_paying,
    recovery_rate: rateOf(collected, facts.placed_minor),
    account_recovery_rate: rateOf(count(facts.accounts_paying), count(facts.accounts_placed)),
    commission_minor: facts.commission_minor,
    net_to_client_minor: facts.net_to_client_minor,
    written_off_minor: facts.written_off_minor,
    bad_debt_rate: rateOf(facts.written_off_minor, facts.placed_minor),
    attempts: facts.attempts,
    reached: facts.reached,
    right_party: facts.right_party,
    contact_rate: rateOf(count(facts.reached), count(facts.attempts)),
    rpc_rate: rateOf(count(facts.right_party), count(facts.attempts)),
    promises_made: facts.promises_made,
    promise_rate: rateOf(count(facts.promises_made), count(facts.right_party)),
    promises_due: facts.promises_due,
    promises_kept: facts.promises_kept,
    promise_kept_rate: rateOf(count(facts.promises_kept), count(facts.promises_due)),
    plans_ended: facts.plans_ended,
    plans_completed: facts.plans_completed,
    plan_completion_rate: rateOf(count(facts.plans_completed), count(facts.plans_ended)),
    live_accounts: facts.live_accounts,
    lost_contact_accounts: facts.lost_contact_accounts,
    lost_contact_rate: rateOf(count(facts.lost_contact_accounts), count(facts.live_accounts)),
    days_to_first_payment: {
      accounts: facts.first_payment_accounts,
      median_days: facts.first_payment_median_days,
      p90_days: facts.first_payment_p90_days,
    },
    days_to_full_payment: {
      accounts: facts.full_payment_accounts,
      median_days: facts.full_payment_median_days,
      p90_days: facts.full_payment_p90_days,
    },
  };
}

/** The measures of a cut with no accounts. */
export function emptyMeasureValues(): MeasureValues {
  return measureValuesOf(noFacts);
}

/**
 * The roll matrix from the SQL's (from bucket, to state) counts: every bucket a row (zeros when no
 * account was in it), every state a column in rollToStates' order, rates over the row's balance.
 */
export function rollMatrixOf(
  month: string,
  days: MeasurePeriod,
  cells: ReadonlyArray<{ from_bucket: string; to_state: string; accounts: number; balance_minor: bigint }>,
): RollMatrix {
  const rows: RollRow[] = rollFromBuckets.map((from) => {
    const mine = cells.filter((cell) => cell.from_bucket === from);
    const balance = mine.reduce((sum, cell) => sum + cell.balance_minor, 0n);
    return {
      from,
      accounts: mine.reduce((sum, cell) => sum + cell.accounts, 0),
      balance_minor: balance,
      to: rollToStates.map((state) => {
        const cell = mine.find((candidate) => candidate.to_state === state);
        const moved = cell?.balance_minor ?? 0n;
        return { state, accounts: cell?.accounts ?? 0, balance_minor: moved, rate: rateOf(moved, balance) };
      }),
    };
  });
  return { month, from: days.from, to: days.to, rows };
}
