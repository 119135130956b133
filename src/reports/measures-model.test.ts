/**
 * The pure rules of Measures: exact rates rounded half-even, the two-proportion comparison, months,
 * the liquidation curve's points and the roll matrix's shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  checkPeriod,
  compareProportions,
  curveOf,
  emptyMeasureValues,
  erfc,
  formatMicro,
  type MeasureFacts,
  measureValuesOf,
  monthDays,
  monthsBetween,
  normalCdf,
  rateOf,
  reachedDispositions,
  rightPartyDispositions,
  rollMatrixOf,
} from './measures-model.ts';
import { rollFromBuckets, rollToStates } from './measures-types.ts';

/** A six-place decimal string back to micro-units. */
function micro(text: string): bigint {
  const match = /^(-?)(\d+)\.(\d{6})$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a six-place decimal`);
  const magnitude = BigInt(match[2] as string) * 1_000_000n + BigInt(match[3] as string);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** n ÷ d in micro-units rounded half to even, by floor division and the remainder (a second derivation). */
function referenceMicro(n: bigint, d: bigint): bigint {
  let numerator = n * 1_000_000n;
  let denominator = d;
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const floor = numerator >= 0n ? numerator / denominator : -((-numerator + denominator - 1n) / denominator);
  const remainder = numerator - floor * denominator;
  if (remainder * 2n > denominator) return floor + 1n;
  if (remainder * 2n === denominator) return floor % 2n === 0n ? floor : floor + 1n;
  return floor;
}

describe('rateOf', () => {
  it('rounds the quotient half-even to six places, with its exact parts', () => {
    expect(rateOf(1n, 3n)).toEqual({ numerator: 1n, denominator: 3n, value: '0.333333' });
    expect(rateOf(2n, 3n).value).toBe('0.666667');
    expect(rateOf(1n, 1n).value).toBe('1.000000');
    expect(rateOf(0n, 7n).value).toBe('0.000000');
    expect(rateOf(7n, 2n).value).toBe('3.500000');
    // exact ties go to the even last place
    expect(rateOf(1n, 2_000_000n).value).toBe('0.000000');
    expect(rateOf(3n, 2_000_000n).value).toBe('0.000002');
    expect(rateOf(5n, 2_000_000n).value).toBe('0.000002');
  });

  it('keeps the sign of net amounts and writes no negative zero', () => {
    expect(rateOf(-1n, 3n).value).toBe('-0.333333');
    expect(rateOf(1n, -3n).value).toBe('-0.333333');
    expect(rateOf(-2n, -3n).value).toBe('0.666667');
    expect(rateOf(-3n, 2_000_000n).value).toBe('-0.000002');
    expect(rateOf(-1n, 2_000_000n).value).toBe('0.000000');
    expect(rateOf(-1_234_567n, 1_000n).value).toBe('-1234.567000');
  });

  it('has no value without a denominator', () => {
    expect(rateOf(0n, 0n)).toEqual({ numerator: 0n, denominator: 0n, value: null });
    expect(rateOf(5n, 0n).value).toBeNull();
  });

  it('agrees with exact rational rounding half-even for any bigint pair', () => {
    const big = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });
    fc.assert(
      fc.property(big, big, (n, d) => {
        const rate = rateOf(n, d);
        if (d === 0n) return rate.value === null;
        expect(rate.value).toMatch(/^-?\d+\.\d{6}$/);
        expect(rate.value?.startsWith('-0.000000')).toBe(false);
        expect(micro(rate.value as string)).toBe(referenceMicro(n, d));
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees for small denominators, where ties are common', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -5_000n, max: 5_000n }),
        fc.bigInt({ min: 1n, max: 64n }),
        (n, d) => micro(rateOf(n, d * 1_000_000n).value as string) === referenceMicro(n, d * 1_000_000n),
      ),
    );
  });
});

describe('compareProportions', () => {
  const rate = (n: number, d: number) => rateOf(BigInt(n), BigInt(d));

  it('gives the exact difference, the unpooled 95 % interval and the pooled z-test p-value', () => {
    expect(compareProportions(rate(40, 100), rate(60, 100))).toEqual({
      difference: '0.200000',
      // 0.2 ± 1.959964 · √(0.24/100 + 0.24/100) = 0.2 ± 0.135790 (widened outward)
      interval: { low: '0.064209', high: '0.335791' },
      // z = 0.2 / √(0.25 · 0.02) = 2.828427; 2 (1 − Φ(z)) = erfc(2) = 0.0046777
      p_value: '0.004678',
      enough: true,
    });
    expect(compareProportions(rate(15, 50), rate(20, 40))).toEqual({
      difference: '0.200000',
      interval: { low: '-0.000358', high: '0.400358' },
      p_value: '0.053116',
      enough: true,
    });
  });

  it('says when there are too few to tell, and has nothing to say without denominators', () => {
    expect(compareProportions(rate(1, 29), rate(2, 30)).enough).toBe(false);
    expect(compareProportions(rate(1, 30), rate(2, 30)).enough).toBe(true);
    expect(compareProportions(rate(0, 0), rate(2, 30))).toEqual({
      difference: null,
      interval: null,
      p_value: null,
      enough: false,
    });
  });

  it('has a difference but no interval for a ratio above one (more promises than contacts)', () => {
    expect(compareProportions(rate(45, 40), rate(30, 40))).toEqual({
      difference: '-0.375000',
      interval: null,
      p_value: null,
      enough: true,
    });
  });

  it('keeps the interval within ±1 however wide the approximation makes it', () => {
    expect(compareProportions(rate(1, 30), rate(29, 30)).interval?.high).toBe('1.000000');
    expect(compareProportions(rate(29, 30), rate(1, 30)).interval?.low).toBe('-1.000000');
  });

  it('gives p = 1 when both sides are all or nothing alike', () => {
    expect(compareProportions(rate(0, 50), rate(0, 80))).toMatchObject({
      difference: '0.000000',
      interval: { low: '0.000000', high: '0.000000' },
      p_value: '1.000000',
    });
  });

  const side = fc
    .tuple(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([denominator, share]) => rate(Math.floor(denominator * share), denominator));

  it('always has the difference inside its interval, a p-value in [0, 1], and is symmetric', () => {
    fc.assert(
      fc.property(side, side, (before, after) => {
        const forward = compareProportions(before, after);
        const backward = compareProportions(after, before);
        const difference = micro(forward.difference as string);
        const interval = forward.interval as { low: string; high: string };
        expect(micro(interval.low)).toBeLessThanOrEqual(difference);
        expect(micro(interval.high)).toBeGreaterThanOrEqual(difference);
        // a difference of proportions, and so its interval, lies within ±1
        expect(micro(interval.low)).toBeGreaterThanOrEqual(-1_000_000n);
        expect(micro(interval.high)).toBeLessThanOrEqual(1_000_000n);
        const p = micro(forward.p_value as string);
        expect(p).toBeGreaterThanOrEqual(0n);
        expect(p).toBeLessThanOrEqual(1_000_000n);
        expect(backward.p_value).toBe(forward.p_value);
        expect(micro(backward.difference as string)).toBe(-difference);
        expect(micro(backward.interval?.low as string)).toBe(-micro(interval.high));
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the normal distribution', () => {
  it('is within 1e-7 of known values', () => {
    expect(Math.abs(erfc(0) - 1)).toBeLessThan(1e-7);
    expect(Math.abs(erfc(1) - 0.157299207050285)).toBeLessThan(1e-7);
    expect(Math.abs(erfc(2) - 0.004677734981047)).toBeLessThan(1e-7);
    expect(Math.abs(erfc(-1) - 1.842700792949715)).toBeLessThan(1e-7);
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-7);
    expect(Math.abs(normalCdf(-1.644853626951472) - 0.05)).toBeLessThan(1e-7);
    expect(Math.abs(normalCdf(0) - 0.5)).toBeLessThan(1e-7);
  });
});

describe('months and periods', () => {
  it('counts months between two months and adds months across years', () => {
    expect(monthsBetween('2026-01', '2026-03')).toBe(2);
    expect(monthsBetween('2025-11', '2026-02')).toBe(3);
    expect(monthsBetween('2026-03', '2026-01')).toBe(-2);
    expect(addMonths('2025-11', 3)).toBe('2026-02');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(monthDays('2024-02')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(monthDays('2026-11')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(() => monthsBetween('2026-13', '2026-01')).toThrow(/YYYY-MM/);
  });

  it('refuses a period that is not two dates in order', () => {
    expect(() => checkPeriod({ from: '2026-02-30', to: '2026-03-01' })).toThrow(/not a date/);
    expect(() => checkPeriod({ from: '2026-03-02', to: '2026-03-01' })).toThrow(/after it ends/);
    expect(() => checkPeriod({ from: '2026-03-01', to: '2026-03-01' })).not.toThrow();
  });

  it('formats micro-units', () => {
    expect(formatMicro(0n)).toBe('0.000000');
    expect(formatMicro(-5n)).toBe('-0.000005');
    expect(formatMicro(12_345_678n)).toBe('12.345678');
  });
});

describe('the liquidation curve', () => {
  it('is cumulative from month 0, as many points as asked but never past this month', () => {
    const collected = new Map([
      [-1, 10n],
      [0, 100n],
      [2, 50n],
      [5, 999n],
    ]);
    const curve = curveOf('2026-01', 3, 1_000n, collected, 4, '2026-11');
    expect(curve.points.map((point) => [point.month, point.collected_minor, point.rate.value])).toEqual([
      [0, 110n, '0.110000'],
      [1, 110n, '0.110000'],
      [2, 160n, '0.160000'],
      [3, 160n, '0.160000'],
    ]);
    expect(curveOf('2026-10', 1, 0n, new Map(), 12, '2026-11').points).toEqual([
      { month: 0, collected_minor: 0n, rate: { numerator: 0n, denominator: 0n, value: null } },
      { month: 1, collected_minor: 0n, rate: { numerator: 0n, denominator: 0n, value: null } },
    ]);
  });
});

describe('the roll matrix', () => {
  it('has every bucket as a row and every state as a column, rates weighted by balance', () => {
    const matrix = rollMatrixOf('2026-03', monthDays('2026-03'), [
      { from_bucket: 'M1', to_state: 'M2', accounts: 2, balance_minor: 300n },
      { from_bucket: 'M1', to_state: 'paid', accounts: 1, balance_minor: 100n },
    ]);
    expect(matrix.from).toBe('2026-03-01');
    expect(matrix.to).toBe('2026-03-31');
    expect(matrix.rows.map((row) => row.from)).toEqual([...rollFromBuckets]);
    for (const row of matrix.rows) expect(row.to.map((cell) => cell.state)).toEqual([...rollToStates]);
    const m1 = matrix.rows.find((row) => row.from === 'M1');
    expect(m1).toMatchObject({ accounts: 3, balance_minor: 400n });
    expect(m1?.to.find((cell) => cell.state === 'M2')?.rate.value).toBe('0.750000');
    expect(m1?.to.find((cell) => cell.state === 'paid')?.rate.value).toBe('0.250000');
    expect(m1?.to.find((cell) => cell.state === 'M1')).toMatchObject({ accounts: 0, balance_minor: 0n });
    expect(matrix.rows.find((row) => row.from === 'current')?.to[0]?.rate.value).toBeNull();
  });
});

describe('measure values', () => {
  it('build every rate from its parts', () => {
    const facts: MeasureFacts = {
      accounts_placed: 4,
      placed_minor: 10_000n,
      collected_trust_minor: 1_500n,
      collected_direct_minor: 500n,
      payments: 3,
      accounts_paying: 2,
      commission_minor: 300n,
      net_to_client_minor: 1_200n,
      written_off_minor: 2_500n,
      attempts: 8,
      reached: 6,
      right_party: 3,
      promises_made: 2,
      promises_due: 2,
      promises_kept: 1,
      plans_ended: 1,
      plans_completed: 1,
      live_accounts: 3,
      lost_contact_accounts: 1,
      first_payment_accounts: 2,
      first_payment_median_days: 10,
      first_payment_p90_days: 20,
      full_payment_accounts: 0,
      full_payment_median_days: null,
      full_payment_p90_days: null,
    };
    const values = measureValuesOf(facts);
    expect(values.collected_minor).toBe(2_000n);
    expect(values.recovery_rate.value).toBe('0.200000');
    expect(values.account_recovery_rate).toEqual({ numerator: 2n, denominator: 4n, value: '0.500000' });
    expect(values.bad_debt_rate.value).toBe('0.250000');
    expect(values.contact_rate.value).toBe('0.750000');
    expect(values.rpc_rate.value).toBe('0.375000');
    expect(values.promise_rate.value).toBe('0.666667');
    expect(values.promise_kept_rate.value).toBe('0.500000');
    expect(values.plan_completion_rate.value).toBe('1.000000');
    expect(values.lost_contact_rate.value).toBe('0.333333');
    expect(values.days_to_first_payment).toEqual({ accounts: 2, median_days: 10, p90_days: 20 });
    expect(values.days_to_full_payment).toEqual({ accounts: 0, median_days: null, p90_days: null });
    expect(emptyMeasureValues().recovery_rate.value).toBeNull();
  });

  it('count right-party contacts among those that reached someone', () => {
    for (const disposition of rightPartyDispositions)
      expect(reachedDispositions as readonly string[]).toContain(disposition);
  });
});
