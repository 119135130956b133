import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from '../ledger/payments.ts';
import { createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { todayIn } from '../shared/dates.ts';
import { decideStrategy, proposeStrategy } from './strategies.ts';

let t: TestDatabase;
let api: TestApi;
let clientA: bigint;
let clientB: bigint;
let versionId: bigint;

const document = {
  name: 'Promotion test',
  segments: [
    {
      code: 'early',
      name: 'Early',
      conditions: { all: [] },
      test_id: 't1',
      arms: [
        {
          code: 'a',
          role: 'champion',
          share_bp: 5000,
          steps: [{ code: 'call_d3', day: 3, kind: 'task', task: 'call' }],
        },
        {
          code: 'b',
          role: 'challenger',
          share_bp: 5000,
          steps: [{ code: 'call_d0', day: 0, kind: 'task', task: 'call', priority: 80 }],
        },
      ],
    },
  ],
};

const { caller, callers } = testCallers();

/** Accounts of 100.00 yuan entering arm `arm` on 1 March; every second one pays `paid` fen on 3 March. */
async function cohort(client: bigint, prefix: string, count: number, arm: string, paid: bigint) {
  const ids = await placeAccounts(
    t.db,
    client,
    Array.from({ length: count }, (_, i) => ({ ref: `${prefix}${i}`, principal: 10_000n })),
    { effectiveDate: '2026-02-01' },
  );
  await sql`INSERT INTO strategy_decisions (client_id, account_id, run_date, strategy_version_id, segment, arm, action, alternatives, probability)
            SELECT ${client}, id, '2026-03-01', ${versionId}, 'early', ${arm}, 'wait', '{}', 0.5
              FROM unnest(${ids.map(String)}::bigint[]) AS id`.execute(t.db);
  // the entry the nightly step records on an account's first night in the test
  await sql`INSERT INTO strategy_test_entries (strategy_version_id, segment, client_id, account_id, arm, entered_on)
            SELECT ${versionId}, 'early', ${client}, id, ${arm}, '2026-03-01'
              FROM unnest(${ids.map(String)}::bigint[]) AS id`.execute(t.db);
  const results = await postPayments(
    t.db,
    ids.filter((_, i) => i % 2 === 0).map((id) => payment(client, id, paid, { paidOn: '2026-03-03' })),
    'test',
  );
  expect(results.every((r) => r.status === 'posted')).toBe(true);
}

beforeAll(async () => {
  t = await testDatabase();
  clientA = (await createClient(t.db, 'EXRA')).clientId;
  clientB = (await createClient(t.db, 'EXRB')).clientId;
  caller('boss', ['admin'], 'all');
  caller('sup.a', ['supervisor'], [clientA]);
  caller('sup.all', ['supervisor'], 'all');
  caller('comp', ['compliance'], 'all');
  caller('agent', ['agent'], [clientA]);
  const proposed = await proposeStrategy(t.db, { document, reason: 'test T1' }, 'sup.all');
  versionId = (await decideStrategy(t.db, proposed.id, 'approve', 'ok', 'boss')).id;
  // client A: 100 accounts a side, the challenger collecting 90 yuan where the champion collects 10
  await cohort(clientA, 'CA', 100, 'a', 1000n);
  await cohort(clientA, 'CB', 100, 'b', 9000n);
  // client B: two a side
  await cohort(clientB, 'DA', 2, 'a', 1000n);
  await cohort(clientB, 'DB', 2, 'b', 1000n);
  api = await testApi(t, callers);
});

afterAll(async () => {
  await api?.close();
  await t?.drop();
});

describe('GET /experiments', () => {
  it('gives each arm and the verdict with its daily series, to admins, supervisors and compliance', async () => {
    const response = await api.call('comp', 'GET', '/experiments?as_of=2026-04-15');
    expect(response.status, response.body).toBe(200);
    const [item, ...rest] = response.json().items;
    expect(rest).toEqual([]);
    expect(item).toMatchObject({
      strategy_version_id: Number(versionId),
      version: 1,
      strategy: 'Promotion test',
      segment: 'early',
      test_id: 't1',
      window_days: 30,
      as_of: '2026-04-15',
      primary_metric: 'recovery_rate',
      min_accounts: 100,
      entered: 204,
    });
    // A: 51 payers × 10 yuan of 102 × 100 yuan; B: 50 × 90 + 1 × 10 yuan
    expect(
      item.arms.map((a: { code: string; accounts: number; collected_minor: number }) => [
        a.code,
        a.accounts,
        a.collected_minor,
      ]),
    ).toEqual([
      ['a', 102, 51_000],
      ['b', 102, 451_000],
    ]);
    const [comparison] = item.comparisons;
    expect(comparison.challenger).toBe('b');
    expect(comparison.role).toBe('challenger');
    expect(comparison.verdict).toBe('challenger_better');
    const recovery = comparison.metrics.find((m: { metric: string }) => m.metric === 'recovery_rate');
    expect(recovery.champion).toBeCloseTo(51_000 / 1_020_000, 12);
    expect(recovery.challenger).toBeCloseTo(451_000 / 1_020_000, 12);
    expect(recovery.p_value).toBeLessThan(0.05);
    expect(recovery.sequence[0]).toBeGreaterThan(0);
    // the 30-day windows all closed on 31 March: one look a day from then to 15 April
    expect(comparison.series).toHaveLength(16);
    expect(comparison.series[0]).toMatchObject({
      date: '2026-03-31',
      champion_accounts: 102,
      challenger_accounts: 102,
    });
    expect(comparison.series.at(-1).date).toBe('2026-04-15');
  });

  it("shows a client's supervisor only that client's accounts", async () => {
    const response = await api.call('sup.a', 'GET', `/experiments?as_of=2026-04-15&strategy=${versionId}`);
    expect(response.status, response.body).toBe(200);
    const [item] = response.json().items;
    expect(item.entered).toBe(200);
    expect(item.arms.map((a: { accounts: number }) => a.accounts)).toEqual([100, 100]);
  });

  it('says not enough accounts before the windows close, and reads the 7-day window and a lower minimum', async () => {
    const early = (await api.call('boss', 'GET', '/experiments?as_of=2026-03-20')).json().items[0];
    expect(early.arms.map((a: { accounts: number }) => a.accounts)).toEqual([0, 0]);
    expect(early.comparisons[0].verdict).toBe('not_enough_accounts');
    const week = (
      await api.call('boss', 'GET', '/experiments?as_of=2026-03-08&window=7&min_accounts=2')
    ).json().items[0];
    expect(week.window_days).toBe(7);
    expect(week.min_accounts).toBe(2);
    expect(week.comparisons[0].series.map((p: { date: string }) => p.date)).toEqual(['2026-03-08']);
    expect(week.comparisons[0].verdict).toBe('challenger_better');
  });

  it('refuses agents, a window other than 7, 30 or 90, a bad date and an unknown version', async () => {
    expect((await api.call('agent', 'GET', '/experiments')).status).toBe(403);
    const window = await api.call('boss', 'GET', '/experiments?window=14');
    expect(window.status).toBe(400);
    expect(window.body).toContain('use 7, 30 or 90');
    expect((await api.call('boss', 'GET', '/experiments?as_of=2026-13-01')).status).toBe(400);
    expect((await api.call('boss', 'GET', '/experiments?metric=happiness')).status).toBe(400);
    const missing = await api.call('boss', 'GET', '/experiments?strategy=999999');
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });
});

describe('POST /experiments/promote', () => {
  it("proposes a version with the challenger's path as the champion's, approved by someone else, audited", async () => {
    const response = await api.call('sup.all', 'POST', '/experiments/promote', {
      strategy_version_id: Number(versionId),
      segment: 'early',
      challenger: 'b',
      reason: 'B collects nine times more',
    });
    expect(response.status, response.body).toBe(200);
    const result = response.json();
    expect(result).toMatchObject({ proposed_version: 2, verdict: 'challenger_better' });
    const stored = await sql<{
      status: string;
      document: typeof document;
      reason: string;
      proposed_by: string;
    }>`
      SELECT status, document, reason, proposed_by FROM strategy_versions WHERE id = ${result.proposed_version_id}`.execute(
      t.db,
    );
    const row = stored.rows[0];
    expect(row?.status).toBe('proposed');
    expect(row?.proposed_by).toBe('sup.all');
    expect(row?.reason).toBe(
      `Promote challenger b of test t1 in segment early (version 1; verdict challenger_better on recovery_rate, 30-day window, as of ${todayIn()}, at least 100 accounts an arm): B collects nine times more`,
    );
    expect(row?.document.segments[0]?.arms).toEqual([
      {
        code: 'a',
        role: 'champion',
        share_bp: 10000,
        steps: [
          expect.objectContaining({ code: 'call_d0', day: 0, kind: 'task', task: 'call', priority: 80 }),
        ],
      },
    ]);
    // maker-checker: the proposer cannot approve it; another supervisor can
    await expect(
      decideStrategy(t.db, BigInt(result.proposed_version_id), 'approve', 'ok', 'sup.all'),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const approved = await decideStrategy(
      t.db,
      BigInt(result.proposed_version_id),
      'approve',
      'agreed',
      'boss',
    );
    expect(approved.status).toBe('approved');
    const audit = await sql<{
      action: string;
      actor: string;
      after: { challenger?: string; verdict?: string };
    }>`
      SELECT action, actor, after FROM audit_events WHERE entity_type = 'strategy_version'
         AND entity_id = ${String(result.proposed_version_id)} ORDER BY id`.execute(t.db);
    expect(audit.rows.map((r) => [r.action, r.actor])).toEqual([
      ['strategy.proposed', 'sup.all'],
      ['strategy.challenger_promotion', 'sup.all'],
      ['strategy.approved', 'boss'],
    ]);
    expect(audit.rows[1]?.after).toMatchObject({
      challenger: 'b',
      verdict: 'challenger_better',
      segment: 'early',
    });
  });

  it('judges the promoted test alone with the parameters its results were read with', async () => {
    const response = await api.call('sup.all', 'POST', '/experiments/promote', {
      strategy_version_id: Number(versionId),
      segment: 'early',
      challenger: 'b',
      reason: 'read on the 7-day window',
      window: 7,
      as_of: '2026-03-20',
      min_accounts: 500,
      metric: 'collected_per_account',
    });
    expect(response.status, response.body).toBe(200);
    // 102 accounts a side: fewer than the 500 asked for
    expect(response.json().verdict).toBe('not_enough_accounts');
    const stored = await sql<{ reason: string }>`
      SELECT reason FROM strategy_versions WHERE id = ${response.json().proposed_version_id}`.execute(t.db);
    expect(stored.rows[0]?.reason).toBe(
      'Promote challenger b of test t1 in segment early (version 1; verdict not_enough_accounts on collected_per_account, 7-day window, as of 2026-03-20, at least 500 accounts an arm): read on the 7-day window',
    );
    const lower = await api.call('sup.all', 'POST', '/experiments/promote', {
      strategy_version_id: Number(versionId),
      segment: 'early',
      challenger: 'b',
      reason: 'read with 100 accounts an arm',
      window: 7,
      as_of: '2026-03-20',
    });
    expect(lower.json().verdict).toBe('challenger_better');
  });

  it('refuses the champion, an unknown arm or segment, a version not approved, agents and compliance', async () => {
    const body = { strategy_version_id: Number(versionId), segment: 'early', challenger: 'a', reason: 'x' };
    const champion = await api.call('boss', 'POST', '/experiments/promote', body);
    expect(champion.status).toBe(404);
    expect(champion.json().error.message).toContain('its challengers are: b');
    expect(
      (await api.call('boss', 'POST', '/experiments/promote', { ...body, challenger: 'z' })).status,
    ).toBe(404);
    expect(
      (await api.call('boss', 'POST', '/experiments/promote', { ...body, segment: 'late', challenger: 'b' }))
        .status,
    ).toBe(404);
    const pending = await proposeStrategy(t.db, { document, reason: 'pending' }, 'boss');
    const notApproved = await api.call('sup.all', 'POST', '/experiments/promote', {
      ...body,
      strategy_version_id: Number(pending.id),
      challenger: 'b',
    });
    expect(notApproved.status).toBe(409);
    expect(notApproved.json().error.code).toBe('invalid_state');
    expect(
      (await api.call('agent', 'POST', '/experiments/promote', { ...body, challenger: 'b' })).status,
    ).toBe(403);
    expect(
      (await api.call('comp', 'POST', '/experiments/promote', { ...body, challenger: 'b' })).status,
    ).toBe(403);
    const bad = await api.call('boss', 'POST', '/experiments/promote', {
      strategy_version_id: 'one',
      segment: '',
      challenger: 'b',
      reason: '',
    });
    expect(bad.status).toBe(400);
    const versions = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strategy_versions`.execute(t.db);
    expect(versions.rows[0]?.n).toBe(5); // v1, the three promotions, the pending one: nothing more
  });
});
