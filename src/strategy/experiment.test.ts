import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { isHuikuanError } from '../shared/errors.ts';
import { type ArmShare, armBucket, armBucketSql, armSql, assignArm, validateArms } from './experiment.ts';

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
