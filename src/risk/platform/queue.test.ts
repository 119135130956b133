/**
 * The champion's nightly scores feed the agent's queue (strategy.md "Allocation and queues"): within
 * what is due, accounts go by expected value — probability of payment × balance — with the
 * probability turned round when the model's event is not paying; unscored accounts come after the
 * scored ones of their tier.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../../test/db.ts';
import { agentQueue } from '../../allocation/service.ts';
import { createTeam } from '../../identity/service.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { todayIn } from '../../shared/dates.ts';
import { testModel } from './test-model.ts';

let t: TestDatabase;
let clientId: bigint;
let ids: Record<string, bigint>;

async function model(name: string, positive: '0' | '1', status: 'champion' | 'retired'): Promise<bigint> {
  const m = testModel();
  m.data.positive = positive;
  m.data.negative = positive === '0' ? '1' : '0';
  const row = await sql<{ id: bigint }>`
    INSERT INTO risk_models (name, version, client_id, status, model, training, outcome_days, paid_share, owner,
                             proposed_by, approved_by, approved_at, retired_by, retired_at)
    VALUES (${name}, 1, ${clientId}, ${status}, ${JSON.stringify(m)}::jsonb, '{}'::jsonb, 30, 0.5, 'owner',
            'maker', 'checker', now(), ${status === 'retired' ? 'checker' : null},
            ${status === 'retired' ? new Date() : null}) RETURNING id`.execute(t.db);
  return (row.rows[0] as { id: bigint }).id;
}

async function score(ref: string, modelId: bigint, value: number, band: number, probability: number) {
  await sql`
    INSERT INTO risk_account_scores (account_id, client_id, model_id, as_of, score, band, probability, reasons)
    VALUES (${ids[ref]}, ${clientId}, ${modelId}, ${todayIn()}, ${value}, ${band}, ${probability}, '{}')`.execute(
    t.db,
  );
}

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await createClient(t.db, 'EVQ')).clientId;
  const refs = { A: 10_000n, B: 20_000n, C: 40_000n, D: 30_000n, E: 5_000n, F: 10_000n };
  const placed = await placeAccounts(
    t.db,
    clientId,
    Object.entries(refs).map(([ref, principal]) => ({ ref, principal, delinquencyDate: '2026-01-01' })),
  );
  ids = Object.fromEntries(Object.keys(refs).map((ref, i) => [ref, placed[i] as bigint]));
  const team = await createTeam(t.db, { name: 'EV组', clientCodes: ['EVQ'] }, { actor: 'setup' });
  for (const id of placed) {
    await sql`INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
              VALUES (${clientId}, ${id}, ${team.id}, 'agent.ev', 'setup')`.execute(t.db);
  }
  // the champion's event is not paying (testModel: positive '0'); a retired model's event is paying
  const champion = await model('ev', '0', 'champion');
  const older = await model('ev-old', '1', 'retired');
  await score('A', champion, 540, 3, 0.1); // pays 0.9 × 10,000 = 9,000
  await score('B', champion, 500, 2, 0.5); // 0.5 × 20,000 = 10,000
  await score('C', champion, 460, 0, 0.9); // 0.1 × 40,000 = 4,000
  await score('E', champion, 460, 0, 0.9); // 0.1 × 5,000 = 500, but a promise is due
  await score('F', older, 520, 3, 0.95); // the event is paying: 0.95 × 10,000 = 9,500
  await sql`
    INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on, grace_days, taken_by)
    VALUES (${clientId}, ${ids.E}, 1000, 'CNY', 5000, ${todayIn()}, ${todayIn()}, 3, 'agent.ev')`.execute(
    t.db,
  );
});

afterAll(async () => {
  await t?.drop();
});

describe("the agent's queue by expected value", () => {
  it('puts what is due first, then the largest expected value, unscored accounts last in their tier', async () => {
    const queue = await agentQueue(t.db, 'agent.ev');
    const refOf = new Map(Object.entries(ids).map(([ref, id]) => [id, ref]));
    expect(
      queue.map((item) => [
        refOf.get(item.account_id),
        item.tier,
        item.expected_minor === null ? null : Number(item.expected_minor),
        item.score_band,
      ]),
    ).toEqual([
      ['E', 'promise_due', 500, 0],
      ['B', 'new', 10_000, 2],
      ['F', 'new', 9_500, 3],
      ['A', 'new', 9_000, 3],
      ['C', 'new', 4_000, 0],
      // not scored: after the scored ones although its balance is the second largest
      ['D', 'new', null, null],
    ]);
    expect(queue.find((item) => item.account_id === ids.A)).toMatchObject({
      score: 540,
      pay_probability: 0.9,
    });
    expect(queue.find((item) => item.account_id === ids.D)).toMatchObject({
      score: null,
      pay_probability: null,
    });
  });
});
