/**
 * A simulated month (issue 5 point 8): a hand-built portfolio run night by night through April 2026
 * with the day's payments posted before each night. Checked: the day each account's bucket rolls,
 * a promise kept, a promise broken after its grace, a plan whose second instalment breaks it, a
 * batch recalled on its recall date through the ledger, the books clean at the end, and running a
 * night again changing nothing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from '../ledger/payments.ts';
import { checkLedger } from '../ledger/queries.ts';
import { createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { defaultLimits } from '../worklist/model.ts';
import { proposePlan, takePromise } from '../worklist/service.ts';
import { runStrategy } from './service.ts';
import { snapshot } from './test-support.ts';

let t: TestDatabase;
let clientId: bigint;
const id: Record<string, bigint> = {};
const agent = { actor: 'agent1', supervisor: false };

/** Payments by the day they are paid (posted before that night's run). */
const payments: Record<string, Array<[string, bigint]>> = {
  '2026-04-04': [['PLAN', 10_000n]],
  '2026-04-08': [['KEPT', 30_000n]],
};

beforeAll(async () => {
  t = await testDatabase();
  ({ clientId } = await createClient(t.db, 'MON'));
  const refs = ['ROLL', 'KEPT', 'BROKE', 'PLAN'];
  const placed = await placeAccounts(
    t.db,
    clientId,
    refs.map((ref) => ({
      ref,
      principal: 100_000n,
      // ROLL: 30 days past due on 1 April (M1), 31 on the 2nd (M2); the others deep in M2
      delinquencyDate: ref === 'ROLL' ? '2026-03-02' : '2026-02-01',
    })),
  );
  refs.forEach((ref, i) => {
    id[ref] = placed[i] as bigint;
  });
  const [recall] = await placeAccounts(t.db, clientId, [
    { ref: 'RECALL', principal: 50_000n, delinquencyDate: '2026-02-01' },
  ]);
  id.RECALL = recall as bigint;
  await sql`UPDATE placement_batches SET recall_date = '2026-04-15'
             WHERE id = (SELECT batch_id FROM accounts WHERE id = ${id.RECALL})`.execute(t.db);
  await takePromise(
    t.db,
    { accountId: id.KEPT as bigint, amountMinor: 30_000n, dueOn: '2026-04-10', today: '2026-04-01' },
    agent,
    defaultLimits,
  );
  await takePromise(
    t.db,
    { accountId: id.BROKE as bigint, amountMinor: 20_000n, dueOn: '2026-04-05', today: '2026-04-01' },
    agent,
    defaultLimits,
  );
  await proposePlan(
    t.db,
    {
      accountId: id.PLAN as bigint,
      totalMinor: 100_000n,
      instalments: [
        { dueOn: '2026-04-05', amountMinor: 10_000n },
        { dueOn: '2026-04-20', amountMinor: 90_000n },
      ],
      today: '2026-04-01',
    },
    { actor: 'agent1' },
    defaultLimits,
  );
});

afterAll(async () => {
  await t?.drop();
});

describe('a month of nights', () => {
  it('rolls buckets, keeps and breaks promises and plans, and recalls on the day each is due', async () => {
    const seen: Record<string, string> = {};
    const record = (key: string, day: string) => {
      seen[key] ??= day;
    };
    for (let day = '2026-04-01'; day <= '2026-04-30'; day = addDays(day, 1)) {
      for (const [ref, amount] of payments[day] ?? []) {
        const [result] = await postPayments(
          t.db,
          [payment(clientId, id[ref] as bigint, amount, { paidOn: day })],
          'tester',
        );
        expect(result?.status).toBe('posted');
      }
      await runStrategy(t.db, { asOf: day, actor: 'tester' });
      const roll = await sql<{
        bucket: string;
      }>`SELECT bucket FROM account_states WHERE account_id = ${id.ROLL}`.execute(t.db);
      if (roll.rows[0]?.bucket === 'M2') record('roll to M2', day);
      const promises = await sql<{
        account_id: bigint;
        status: string;
      }>`SELECT account_id, status FROM promises`.execute(t.db);
      for (const promise of promises.rows) {
        if (promise.status !== 'open')
          record(`${promise.account_id === id.KEPT ? 'KEPT' : 'BROKE'} ${promise.status}`, day);
      }
      const plan = await sql<{
        status: string;
      }>`SELECT status FROM payment_plans WHERE account_id = ${id.PLAN}`.execute(t.db);
      if (plan.rows[0]?.status !== 'active') record(`plan ${plan.rows[0]?.status}`, day);
      const recalled = await sql<{
        status: string;
      }>`SELECT status FROM accounts WHERE id = ${id.RECALL}`.execute(t.db);
      if (recalled.rows[0]?.status === 'recalled') record('recalled', day);
    }
    expect(seen).toEqual({
      'roll to M2': '2026-04-02',
      // paid on the 8th, counted that night
      'KEPT kept': '2026-04-08',
      // due on the 5th, three days' grace: broken the night after the 8th
      'BROKE broken': '2026-04-09',
      // the second instalment, due on the 20th, unpaid after its grace
      'plan broken': '2026-04-24',
      recalled: '2026-04-15',
    });
    const history = await sql<{ as_of: string; from_bucket: string | null; to_bucket: string }>`
      SELECT as_of::text, from_bucket, to_bucket FROM account_bucket_history WHERE account_id = ${id.ROLL} ORDER BY as_of`.execute(
      t.db,
    );
    expect(history.rows).toEqual([
      { as_of: '2026-04-01', from_bucket: null, to_bucket: 'M1' },
      { as_of: '2026-04-02', from_bucket: 'M1', to_bucket: 'M2' },
    ]);
    const instalments = await sql<{ n: number; status: string }>`
      SELECT i.n, i.status FROM plan_instalments i JOIN payment_plans p ON p.id = i.plan_id
       WHERE p.account_id = ${id.PLAN} ORDER BY i.n`.execute(t.db);
    expect(instalments.rows).toEqual([
      { n: 1, status: 'kept' },
      { n: 2, status: 'broken' },
    ]);
    expect(await checkLedger(t.db)).toEqual([]);

    // the last night again: nothing changes
    const before = await snapshot(t.db);
    const again = await runStrategy(t.db, { asOf: '2026-04-30', actor: 'tester' });
    expect(again.already_completed).toBe(true);
    expect(await snapshot(t.db)).toEqual(before);
  });
});
