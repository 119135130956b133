import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { isHuikuanError } from '../shared/errors.ts';
import {
  type ArmMoments,
  type ArmShare,
  armBucket,
  armBucketSql,
  armMetrics,
  armSql,
  assignArm,
  compareArms,
  defaultSequentialOptions,
  emptyMoments,
  type Look,
  meanEstimate,
  msprtLook,
  proportionEstimate,
  ratioEstimate,
  sequentialTest,
  validateArms,
} from './experiment.ts';

const arbShares = fc
  .array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 5 })
  .map((weights): ArmShare[] => {
    // whole basis points adding to 10 000: floor each, give the remainder to the first arm
    const total = weights.reduce((a, b) => a + b, 0);
    const shares = weights.map((w) => Math.max(1, Math.floor((w * 10_000) / total)));
    shares[0] = (shares[0] as number) + 10_000 - shares.reduce((a, b) => a + b, 0);
    return shares.map((share_bp, i) => ({ code: `arm${i}`, share_bp }));
  })
  .filter((arms) => arms.every((a) => a.share_bp >= 1));

const arbTestId = fc.string({ minLength: 1, maxLength: 30 });
const arbAccount = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n });

function codeOf(error: unknown): string | undefined {
  return isHuikuanError(error) ? error.code : undefined;
}

describe('the arm of an account', () => {
  it('is the bucket computed independently (Python hashlib: sha256 of "test:account", 8 bytes × 10000 >> 64)', () => {
    expect(armBucket(1n, 'T1')).toBe(3262);
    expect(armBucket(2n, 'T1')).toBe(889);
    expect(armBucket(123456789012345n, 'ccx-2026')).toBe(6515);
    expect(armBucket(42n, '测试')).toBe(4224);
    const arms = [
      { code: 'champion', share_bp: 3262 },
      { code: 'challenger', share_bp: 6738 },
    ];
    // bucket 3262 is the first of the second arm; 889 falls in the first
    expect(assignArm(1n, 'T1', arms)).toBe('challenger');
    expect(assignArm(2n, 'T1', arms)).toBe('champion');
  });

  it('is stable: the same account and test always give the same arm, in range', () => {
    fc.assert(
      fc.property(arbAccount, arbTestId, arbShares, (account, test, arms) => {
        const first = assignArm(account, test, arms);
        expect(assignArm(account, test, arms)).toBe(first);
        expect(arms.map((a) => a.code)).toContain(first);
        const bucket = armBucket(account, test);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 10_000).toBe(true);
      }),
    );
  });

  it('respects the shares within 1 percentage point over 100 000 accounts', () => {
    fc.assert(
      fc.property(arbTestId, arbShares, (test, arms) => {
        const counts = new Map<string, number>();
        for (let id = 1n; id <= 100_000n; id++) {
          const arm = assignArm(id, test, arms);
          counts.set(arm, (counts.get(arm) ?? 0) + 1);
        }
        for (const arm of arms) {
          // the standard error of a share is at most 0.16 points at n = 100 000; 1 point is > 6 of them
          expect(Math.abs((counts.get(arm.code) ?? 0) / 100_000 - arm.share_bp / 10_000)).toBeLessThan(0.01);
        }
      }),
      { numRuns: 4 },
    );
  });

  it('splits independently across test ids: the arms of two tests cross as the product of their shares', () => {
    fc.assert(
      fc.property(arbTestId, arbTestId, (a, b) => {
        fc.pre(a !== b);
        const half = [
          { code: 'x', share_bp: 5000 },
          { code: 'y', share_bp: 5000 },
        ];
        const cells = new Map<string, number>();
        const n = 40_000;
        for (let id = 1; id <= n; id++) {
          const key = `${assignArm(BigInt(id), a, half)}${assignArm(BigInt(id), b, half)}`;
          cells.set(key, (cells.get(key) ?? 0) + 1);
        }
        // chi-square with 1 degree of freedom under independence; 15.1 is its 0.01 % quantile
        let chi = 0;
        for (const key of ['xx', 'xy', 'yx', 'yy']) chi += ((cells.get(key) ?? 0) - n / 4) ** 2 / (n / 4);
        expect(chi).toBeLessThan(15.1);
      }),
      { numRuns: 4 },
    );
  });

  it('adding a test (or changing another test) never moves the accounts of an existing one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbTestId, arbShares), { minLength: 1, maxLength: 4 }),
        fc.tuple(arbTestId, arbShares),
        fc.array(arbAccount, { minLength: 1, maxLength: 50 }),
        (tests, added, accounts) => {
          const assignAll = (all: Array<[string, ArmShare[]]>) =>
            accounts.map((account) => all.map(([test, arms]) => assignArm(account, test, arms)));
          const before = assignAll(tests);
          const after = assignAll([...tests, added]).map((row) => row.slice(0, tests.length));
          expect(after).toEqual(before);
        },
      ),
    );
  });

  it('refuses an invalid arm list with bad_input naming each problem', () => {
    const cases: Array<[ArmShare[], string]> = [
      [[], 'a test has 1 to 20 arms, not 0'],
      [[{ code: 'a', share_bp: 9999 }], 'the shares add up to 9999 basis points, not 10000'],
      [
        [
          { code: 'a', share_bp: 5000 },
          { code: 'a', share_bp: 5000 },
        ],
        'arm 2: the code a is used twice',
      ],
      [
        [
          { code: 'a', share_bp: 10000 },
          { code: 'b', share_bp: 0 },
        ],
        'arm 2: the share must be a whole number of basis points from 1 to 10000',
      ],
      [
        [{ code: 'a', share_bp: 10000.5 }],
        'arm 1: the share must be a whole number of basis points from 1 to 10000',
      ],
      [[{ code: 'a b', share_bp: 10000 }], 'arm 1: the code must be 1–40 letters, digits, _ or -'],
    ];
    for (const [arms, problem] of cases) {
      let caught: unknown;
      try {
        validateArms(arms);
      } catch (error) {
        caught = error;
      }
      expect(codeOf(caught)).toBe('bad_input');
      expect((caught as Error).message).toContain(problem);
      expect(() => assignArm(1n, 't', arms)).toThrow(problem);
    }
  });
});

describe('the SQL arm', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('gives exactly the bucket and arm of assignArm for 5 000 account ids, including very large ones', async () => {
    const arms = [
      { code: 'champion', share_bp: 7000 },
      { code: 'challenger', share_bp: 2500 },
      { code: 'holdout', share_bp: 500 },
    ];
    const ids = [
      ...Array.from({ length: 4000 }, (_, i) => BigInt(i + 1)),
      ...fc.sample(arbAccount, { numRuns: 1000, seed: 7 }),
    ];
    for (const test of ['ccx-2026-05', '测试:挑战者']) {
      const rows = await sql<{ id: string; bucket: number; arm: string }>`
        SELECT a.id::text AS id, ${armBucketSql(sql.ref('a.id'), test)} AS bucket,
               ${armSql(sql.ref('a.id'), test, arms)} AS arm
          FROM unnest(${ids.map(String)}::bigint[]) AS a(id)`.execute(t.db);
      expect(rows.rows).toHaveLength(ids.length);
      const expected = ids.map((id) => ({
        id: String(id),
        bucket: armBucket(id, test),
        arm: assignArm(id, test, arms),
      }));
      expect(rows.rows).toEqual(expected);
      // all three arms actually occur, so the CASE is exercised on every branch
      expect(new Set(rows.rows.map((r) => r.arm))).toEqual(new Set(['champion', 'challenger', 'holdout']));
    }
  });
});

/** Σ and Σ² of a list. */
function sums(xs: number[]): { n: number; sum: number; sq: number } {
  return { n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sq: xs.reduce((a, b) => a + b * b, 0) };
}

function repeat<T>(xs: T[], times: number): T[] {
  return Array.from({ length: times }, () => xs).flat();
}

/** An arm's moments from per-account rows (fen). */
function momentsOf(
  rows: Array<{
    placed: number;
    collected: number;
    due?: number;
    kept?: number;
    contacts?: number;
    cost?: number;
  }>,
): ArmMoments {
  const m = { ...emptyMoments };
  for (const r of rows) {
    m.accounts++;
    m.placed += BigInt(r.placed);
    m.collected += BigInt(r.collected);
    m.collectedSq += r.collected * r.collected;
    m.placedSq += r.placed * r.placed;
    m.collectedPlaced += r.collected * r.placed;
    m.promisesDue += r.due ?? 0;
    m.promisesKept += r.kept ?? 0;
    m.contacts += r.contacts ?? 0;
    m.contactsSq += (r.contacts ?? 0) ** 2;
    m.cost += BigInt(r.cost ?? 0);
    m.costSq += (r.cost ?? 0) ** 2;
    m.costCollected += (r.cost ?? 0) * r.collected;
  }
  return m;
}

// Reference numbers from an independent Python script (statistics.NormalDist, the formulas of the
// module comment written out again over the raw lists), pasted here.
describe('the mixture sequential test at one look', () => {
  it('matches the reference for two proportions (120 / 600 against 165 / 600)', () => {
    const a = proportionEstimate(120, 600);
    const b = proportionEstimate(165, 600);
    const m = msprtLook(a, b);
    expect(m.difference).toBeCloseTo(0.075, 12);
    expect(m.variance).toBeCloseTo(0.0005989583333333334, 15);
    expect(m.tau2).toBeCloseTo(0.001796875, 15);
    expect(m.likelihoodRatio).toBeCloseTo(16.921617556503687, 9);
    expect(m.difference - m.halfWidth).toBeCloseTo(-0.0017591052527956286, 9);
    expect(m.difference + m.halfWidth).toBeCloseTo(0.15175910525279565, 9);
    expect(m.interval[0]).toBeCloseTo(0.027032575920614796, 9);
    expect(m.interval[1]).toBeCloseTo(0.12296742407938523, 9);
    // the fixed-horizon interval excludes 0 (z ≈ 3.06) but the always-valid test is not yet sure
    const [result] = sequentialTest(
      [{ championAccounts: 600, challengerAccounts: 600, champion: a, challenger: b }],
      'proportion',
      true,
    );
    expect(result?.pValue).toBeCloseTo(0.05909600525250366, 9);
    expect(result?.verdict).toBe('no_difference');
  });

  it('matches the reference for two means (collected per account over 200 accounts each)', () => {
    const a = sums(repeat([0, 0, 100, 250, 0, 400, 50, 0, 0, 900], 20));
    const b = sums(repeat([0, 300, 100, 250, 0, 400, 50, 0, 700, 900], 20));
    const ea = meanEstimate(a.n, a.sum, a.sq);
    const eb = meanEstimate(b.n, b.sum, b.sq);
    expect(ea.value).toBe(170);
    expect(ea.variance).toBeCloseTo(379.8994974874372, 9);
    expect(eb.variance).toBeCloseTo(450.25125628140705, 9);
    const m = msprtLook(ea, eb);
    expect(m.likelihoodRatio).toBeCloseTo(14.366909636813647, 8);
    expect(m.difference - m.halfWidth).toBeCloseTo(-5.349280627592194, 8);
    expect(m.difference + m.halfWidth).toBeCloseTo(205.34928062759218, 8);
    expect(m.interval[0]).toBeCloseTo(43.528857497203035, 8);
  });

  it('matches the reference for a ratio of sums (recovery rate, delta method) through the arm moments', () => {
    const placed = [1000, 2000, 1500, 3000, 500];
    const rowsA = repeat(
      [100, 0, 300, 600, 0].map((collected, i) => ({ placed: placed[i] as number, collected })),
      30,
    );
    const rowsB = repeat(
      [200, 500, 300, 900, 100].map((collected, i) => ({ placed: placed[i] as number, collected })),
      30,
    );
    const a = armMetrics(momentsOf(rowsA)).recovery_rate;
    const b = armMetrics(momentsOf(rowsB)).recovery_rate;
    expect(a.value).toBe(0.125);
    expect(b.value).toBe(0.25);
    expect(a.variance).toBeCloseTo(6.832660444630873e-5, 15);
    expect(b.variance).toBeCloseTo(1.6385276845637584e-5, 15);
    const m = msprtLook(a, b);
    expect(m.likelihoodRatio / 1.1062502172165126e17).toBeCloseTo(1, 6);
    expect(m.difference - m.halfWidth).toBeCloseTo(0.0890153719034854, 9);
    expect(m.difference + m.halfWidth).toBeCloseTo(0.1609846280965146, 9);
    const compared = compareArms([{ champion: momentsOf(rowsA), challenger: momentsOf(rowsB) }]);
    expect(compared.verdict).toBe('challenger_better');
    const recovery = compared.metrics.find((x) => x.metric === 'recovery_rate');
    expect(recovery?.p_value).toBeCloseTo(9.039546247648623e-18, 24);
  });

  it('gives nothing for an estimate that cannot be computed', () => {
    expect(proportionEstimate(0, 0)).toEqual({ value: null, variance: null, units: 0, successes: 0 });
    expect(meanEstimate(1, 5, 25)).toEqual({ value: 5, variance: null, units: 1 });
    expect(ratioEstimate(3, { y: 1, x: 0, yy: 1, xx: 0, xy: 0 }).value).toBeNull();
  });
});

describe('the verdict', () => {
  const rows = (
    n: number,
    collected: number,
    extra: Partial<{ cost: number; due: number; kept: number }> = {},
  ) =>
    Array.from({ length: n }, (_, i) => ({
      placed: 10_000,
      collected: i % 2 === 0 ? collected : 0,
      cost: extra.cost ?? 0,
      due: extra.due ?? 0,
      kept: extra.kept ?? 0,
    }));

  it('is not_enough_accounts while an arm has fewer than the minimum, however large the difference', () => {
    const small = compareArms([{ champion: momentsOf(rows(99, 0)), challenger: momentsOf(rows(500, 9000)) }]);
    expect(small.verdict).toBe('not_enough_accounts');
    expect(small.metrics.every((m) => m.verdict === 'not_enough_accounts')).toBe(true);
    const enough = compareArms([
      { champion: momentsOf(rows(100, 1000)), challenger: momentsOf(rows(100, 9000)) },
    ]);
    expect(enough.verdict).toBe('challenger_better');
    // nobody promised anything: the promise kept rate has no units
    expect(enough.metrics.find((m) => m.metric === 'promise_kept_rate')?.verdict).toBe('not_enough_accounts');
    // a lower minimum is honoured: 20 accounts a side now count (the difference is not yet shown)
    const lowered = compareArms(
      [{ champion: momentsOf(rows(20, 1000)), challenger: momentsOf(rows(20, 9000)) }],
      { ...defaultSequentialOptions, minAccounts: 20 },
    );
    expect(lowered.verdict).toBe('no_difference');
    expect(lowered.metrics.find((m) => m.metric === 'recovery_rate')?.p_value).toBeGreaterThan(0.05);
  });

  it('reads cost per yuan as lower is better, and says challenger_worse for less recovery', () => {
    // the challenger collects less and spends more per yuan
    const result = compareArms([
      {
        champion: momentsOf(rows(400, 6000, { cost: 300 })),
        challenger: momentsOf(rows(400, 2000, { cost: 900 })),
      },
    ]);
    expect(result.verdict).toBe('challenger_worse');
    const cost = result.metrics.find((m) => m.metric === 'cost_per_yuan');
    // champion 300·400 / (6000·200) = 0.1; challenger 900·400 / (2000·200) = 0.9
    expect(cost?.champion).toBeCloseTo(0.1, 12);
    expect(cost?.challenger).toBeCloseTo(0.9, 12);
    expect(cost?.verdict).toBe('challenger_worse');
    const cheaper = compareArms([
      {
        champion: momentsOf(rows(400, 2000, { cost: 900 })),
        challenger: momentsOf(rows(400, 6000, { cost: 300 })),
      },
    ]);
    expect(cheaper.metrics.find((m) => m.metric === 'cost_per_yuan')?.verdict).toBe('challenger_better');
  });

  it('keeps the p-value non-increasing and the sequence nested across looks, skipping looks without enough', () => {
    const looks = [50, 150, 300, 600, 1200].map((n) => ({
      champion: momentsOf(rows(n, 1000, { due: 1, kept: 0 })),
      challenger: momentsOf(rows(n, 1300, { due: 1, kept: 0 })),
    }));
    const { series } = compareArms(looks);
    const recovery = series.map((s) => s.recovery_rate);
    expect(recovery[0]?.enough).toBe(false);
    expect(recovery[0]?.pValue).toBeNull();
    expect(recovery[0]?.verdict).toBe('not_enough_accounts');
    for (let i = 2; i < recovery.length; i++) {
      const prev = recovery[i - 1] as { pValue: number; sequence: [number, number] };
      const cur = recovery[i] as { pValue: number; sequence: [number, number] };
      expect(cur.pValue).toBeLessThanOrEqual(prev.pValue);
      expect(cur.sequence[0]).toBeGreaterThanOrEqual(prev.sequence[0]);
      expect(cur.sequence[1]).toBeLessThanOrEqual(prev.sequence[1]);
    }
    // promises: every one broken in both arms (no successes) is never enough for a proportion
    expect(series.every((s) => s.promise_kept_rate.verdict === 'not_enough_accounts')).toBe(true);
  });
});

/** mulberry32: a small seeded generator, so the simulations are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Simulated experiments: each day `perDay` new accounts join each arm; looked at every day for 30
 * days. Returns the share of experiments that ever declared a winner (either way) with the mSPRT,
 * and with a plain z-test at 1.96 re-checked daily.
 */
function simulate(
  kind: 'proportion' | 'mean',
  draw: (arm: 0 | 1, random: () => number) => number,
  experiments: number,
  seed: number,
): { msprt: number; naive: number; betterAtEnd: number } {
  const random = seeded(seed);
  let msprtWins = 0;
  let naiveWins = 0;
  let betterAtEnd = 0;
  const perDay = 40;
  for (let e = 0; e < experiments; e++) {
    const acc = [
      { n: 0, sum: 0, sq: 0 },
      { n: 0, sum: 0, sq: 0 },
    ];
    const looks: Look[] = [];
    let naive = false;
    for (let day = 0; day < 30; day++) {
      for (const arm of [0, 1] as const) {
        for (let i = 0; i < perDay; i++) {
          const y = draw(arm, random);
          const s = acc[arm] as { n: number; sum: number; sq: number };
          s.n++;
          s.sum += y;
          s.sq += y * y;
        }
      }
      const [a, b] = acc as [{ n: number; sum: number; sq: number }, { n: number; sum: number; sq: number }];
      const ea = kind === 'proportion' ? proportionEstimate(a.sum, a.n) : meanEstimate(a.n, a.sum, a.sq);
      const eb = kind === 'proportion' ? proportionEstimate(b.sum, b.n) : meanEstimate(b.n, b.sum, b.sq);
      looks.push({ championAccounts: a.n, challengerAccounts: b.n, champion: ea, challenger: eb });
      const se = Math.sqrt((ea.variance as number) + (eb.variance as number));
      if (a.n >= 100 && Math.abs(((eb.value as number) - (ea.value as number)) / se) > 1.96) naive = true;
    }
    const results = sequentialTest(looks, kind, true);
    if (results.some((r) => r.verdict === 'challenger_better' || r.verdict === 'challenger_worse'))
      msprtWins++;
    if (results.at(-1)?.verdict === 'challenger_better') betterAtEnd++;
    if (naive) naiveWins++;
  }
  return {
    msprt: msprtWins / experiments,
    naive: naiveWins / experiments,
    betterAtEnd: betterAtEnd / experiments,
  };
}

describe('looking every day for 30 days', () => {
  const experiments = 400;

  it('keeps false winners at or below about 5 % for a proportion (no true difference), where a daily z-test does not', () => {
    const r = simulate('proportion', (_arm, random) => (random() < 0.3 ? 1 : 0), experiments, 20261129);
    expect(r.msprt).toBeLessThanOrEqual(0.05);
    // the same data re-checked daily with a plain z at 1.96 crowns many false winners
    expect(r.naive).toBeGreaterThan(0.1);
  });

  it('keeps false winners at or below about 5 % for a skewed mean (collected per account, no true difference)', () => {
    // 30 % pay, an exponential amount of mean 500 yuan
    const draw = (_arm: 0 | 1, random: () => number) => (random() < 0.3 ? -500 * Math.log(1 - random()) : 0);
    const r = simulate('mean', draw, experiments, 7);
    expect(r.msprt).toBeLessThanOrEqual(0.05);
    expect(r.naive).toBeGreaterThan(0.1);
  });

  it('finds a real difference: 30 % against 40 % payers is called challenger_better by day 30 in most experiments', () => {
    const r = simulate('proportion', (arm, random) => (random() < (arm === 0 ? 0.3 : 0.4) ? 1 : 0), 100, 99);
    expect(r.betterAtEnd).toBeGreaterThan(0.9);
  });
});
