/**
 * Champion / challenger end to end: a strategy with a split segment approved, nights run, payments
 * made, and the results read back from what the nightly step logged — every account in the arm
 * assignArm gives it, every arm's collections to the fen.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from '../ledger/payments.ts';
import { createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { assignArm } from './experiment.ts';
import { listExperiments } from './experiments.ts';
import { runStrategy } from './service.ts';
import { decideStrategy, proposeStrategy } from './strategies.ts';

const start = '2026-03-01';
const arms = [
  {
    code: 'std',
    role: 'champion',
    share_bp: 6000,
    steps: [{ code: 'call_d2', day: 2, kind: 'task', task: 'call' }],
  },
  {
    code: 'firm',
    role: 'challenger',
    share_bp: 4000,
    steps: [{ code: 'call_d0', day: 0, kind: 'task', task: 'call', priority: 90 }],
  },
];
const document = {
  name: 'Split',
  segments: [{ code: 'all', name: 'Everyone', conditions: { all: [] }, test_id: 'split-2026', arms }],
};

let t: TestDatabase;
let ids: bigint[];
let clientId: bigint;

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await createClient(t.db, 'EXPN')).clientId;
  ids = await placeAccounts(
    t.db,
    clientId,
    Array.from({ length: 60 }, (_, i) => ({
      ref: `N${i}`,
      principal: 10_000n + BigInt(i) * 100n,
      delinquencyDate: addDays(start, -10),
    })),
    { effectiveDate: '2026-02-01' },
  );
  const proposed = await proposeStrategy(t.db, { document, reason: 'split test' }, 'alice');
  await decideStrategy(t.db, proposed.id, 'approve', 'fine', 'bob');
  for (const day of [start, addDays(start, 1)]) {
    await runStrategy(t.db, { asOf: day, actor: 'tester', partitionSize: 25 });
  }
  // every third account pays 12.34 yuan on 4 March
  const paid = await postPayments(
    t.db,
    ids.filter((_, i) => i % 3 === 0).map((id) => payment(clientId, id, 1234n, { paidOn: '2026-03-04' })),
    'test',
  );
  expect(paid.every((p) => p.status === 'posted')).toBe(true);
});

afterAll(async () => {
  await t?.drop();
});

describe('results of a test the nightly run assigned', () => {
  it('put every account in the arm assignArm gives it, and sum each arm to the fen', async () => {
    const logged = await sql<{ account_id: bigint; arm: string; n: number }>`
      SELECT account_id, min(arm) AS arm, count(*)::int AS n FROM strategy_decisions GROUP BY account_id`.execute(
      t.db,
    );
    expect(logged.rows).toHaveLength(60);
    for (const row of logged.rows) {
      expect(row.n).toBe(2); // one decision a night
      expect(row.arm).toBe(assignArm(row.account_id, 'split-2026', arms));
    }
    const expected = new Map<string, { accounts: number; placed: bigint; collected: bigint }>(
      arms.map((arm) => [arm.code, { accounts: 0, placed: 0n, collected: 0n }]),
    );
    ids.forEach((id, i) => {
      const e = expected.get(assignArm(id, 'split-2026', arms)) as {
        accounts: number;
        placed: bigint;
        collected: bigint;
      };
      e.accounts++;
      e.placed += 10_000n + BigInt(i) * 100n;
      if (i % 3 === 0) e.collected += 1234n;
    });
    const [result, ...rest] = await listExperiments(t.db, { window: 7, asOf: '2026-03-10', minAccounts: 2 });
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ segment: 'all', test_id: 'split-2026', entered: 60 });
    expect(result?.arms.map((a) => [a.code, a.role, a.accounts, a.placed_minor, a.collected_minor])).toEqual(
      arms.map((arm) => {
        const e = expected.get(arm.code) as { accounts: number; placed: bigint; collected: bigint };
        return [arm.code, arm.role, e.accounts, e.placed, e.collected];
      }),
    );
    // both arms are populated by the hash (60 / 40 of 60 accounts, roughly)
    expect(result?.arms.every((a) => a.accounts >= 10)).toBe(true);
    // all entered on 1 March: one look a day from 8 to 10 March
    expect(result?.comparisons[0]?.series.map((p) => p.date)).toEqual([
      '2026-03-08',
      '2026-03-09',
      '2026-03-10',
    ]);
  });

  it('record each account once per version and test segment: its first night there, in that arm', async () => {
    // a second version splits differently (another test id) and sends the large accounts elsewhere
    const v2 = {
      name: 'Split again',
      segments: [
        {
          code: 'large',
          name: 'Large',
          conditions: { field: 'balance_minor', op: '>=', value: 15_000 },
          arms: [{ code: 'std', role: 'champion', share_bp: 10000, steps: [] }],
        },
        { ...document.segments[0], test_id: 'split-v2' },
      ],
    };
    const proposed = await proposeStrategy(t.db, { document: v2, reason: 'resplit' }, 'alice');
    await decideStrategy(t.db, proposed.id, 'approve', 'fine', 'bob');
    for (const day of [addDays(start, 2), addDays(start, 3)]) {
      await runStrategy(t.db, { asOf: day, actor: 'tester', partitionSize: 25 });
    }
    const recorded = await sql`
      SELECT strategy_version_id, segment, account_id, arm, entered_on::text AS entered_on
        FROM strategy_test_entries ORDER BY 1, 2, 3`.execute(t.db);
    // what the results used to compute from the whole decision log: the first decision in a test segment
    const fromTheLog = await sql`
      SELECT d.strategy_version_id, d.segment, d.account_id, (array_agg(d.arm ORDER BY d.run_date))[1] AS arm,
             min(d.run_date)::text AS entered_on
        FROM strategy_decisions d WHERE d.segment = 'all'
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(t.db);
    expect(recorded.rows).toEqual(fromTheLog.rows);
    // 60 under the first version; under the second only the accounts owing less than 150 yuan: 50, and
    // three of the ten above it that paid 12.34 yuan on 4 March
    expect(recorded.rows.filter((r) => (r as { segment: string }).segment === 'all')).toHaveLength(60 + 53);
    const second = await listExperiments(t.db, {
      strategyVersionId: proposed.id,
      window: 7,
      asOf: '2026-03-20',
    });
    expect(second[0]?.entered).toBe(53);
    expect(second[0]?.arms.map((a) => a.code)).toEqual(['std', 'firm']);
  });
});
