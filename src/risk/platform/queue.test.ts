/**
 * The champion's nightly scores feed the agent's queue (strategy.md "Allocation and queues"): within
 * what is due, accounts go by expected value — probability of payment × balance — with the
 * probability turned round when the model's event is not paying; unscored accounts come after the
 * scored ones of their tier. And a team's allocation rule by score band deals each band out evenly.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../../test/db.ts';
import { allocate } from '../../allocation/model.ts';
import { agentQueue, allocateNew, setRule } from '../../allocation/service.ts';
import { createTeam, createUser } from '../../identity/service.ts';
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

describe('allocation by score band', () => {
  it('deals every band out in turn, highest band first, unscored last', () => {
    const accounts = [
      { id: 1n, balance_minor: 100n, band: 2 },
      { id: 2n, balance_minor: 900n, band: 3 },
      { id: 3n, balance_minor: 500n, band: null },
      { id: 4n, balance_minor: 300n, band: 3 },
      { id: 5n, balance_minor: 700n, band: 2 },
      { id: 6n, balance_minor: 200n },
    ];
    const agents = [
      { agent: 'li', accounts: 0, balance_minor: 0n },
      { agent: 'wang', accounts: 0, balance_minor: 0n },
    ];
    // order: band 3 (900, 300), band 2 (700, 100), unscored (500, 200); dealt li, wang, li, wang …
    expect(
      Object.fromEntries([...allocate('score_band', agents, accounts)].map(([id, a]) => [String(id), a])),
    ).toEqual({
      2: 'li',
      4: 'wang',
      5: 'li',
      1: 'wang',
      3: 'li',
      6: 'wang',
    });
  });

  it('reads the bands of the champion’s nightly scores when a team’s rule is score_band', async () => {
    const client = (await createClient(t.db, 'EVB')).clientId;
    const placed = await placeAccounts(
      t.db,
      client,
      [1, 2, 3, 4].map((k) => ({ ref: `B${k}`, principal: BigInt(k * 1000), delinquencyDate: '2026-01-01' })),
    );
    const team = await createTeam(t.db, { name: '分段组', clientCodes: ['EVB'] }, { actor: 'setup' });
    for (const username of ['band.a', 'band.b']) {
      await createUser(
        t.db,
        {
          username,
          displayName: username,
          roles: ['agent'],
          team: BigInt(team.id),
          password: 'Password-12345',
        },
        { actor: 'setup' },
      );
    }
    const champion = (await sql<{ id: bigint }>`SELECT id FROM risk_models WHERE name = 'ev'`.execute(t.db))
      .rows[0]?.id as bigint;
    // bands 3, 3, 0, 0 by account: a balance rule would give band.a the two largest (B4, B2)
    const bands = [3, 3, 0, 0];
    for (const [k, id] of placed.entries()) {
      await sql`
        INSERT INTO risk_account_scores (account_id, client_id, model_id, as_of, score, band, probability, reasons)
        VALUES (${id}, ${client}, ${champion}, ${todayIn()}, 500, ${bands[k]}, 0.5, '{}')`.execute(t.db);
    }
    await setRule(t.db, { teamId: BigInt(team.id), method: 'score_band', capPerAgent: null }, 'lead');
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 4, waiting: 0 });
    const held = await sql<{ ref: string; agent: string }>`
      SELECT a.client_account_ref AS ref, s.agent FROM account_assignments s JOIN accounts a ON a.id = s.account_id
       WHERE s.client_id = ${client} ORDER BY a.client_account_ref`.execute(t.db);
    const byAgent = (agent: string) => held.rows.filter((row) => row.agent === agent).map((row) => row.ref);
    // each agent one account of band 3 (B1, B2) and one of band 0 (B3, B4)
    expect([byAgent('band.a'), byAgent('band.b')]).toEqual([
      ['B2', 'B4'],
      ['B1', 'B3'],
    ]);
  });
});
