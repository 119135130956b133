import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { withClientScope } from '../identity/rls.ts';
import { reverseEntry } from '../ledger/events.ts';
import { postPayments } from '../ledger/payments.ts';
import { createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { isHuikuanError } from '../shared/errors.ts';
import {
  contactCostsFromEnv,
  defaultContactCosts,
  listExperiments,
  promotedDocument,
  testsOf,
} from './experiments.ts';

let t: TestDatabase;
let clientId: bigint;
let otherClient: bigint;
let versionId: bigint;
const ids: bigint[] = [];

const testDocument = {
  name: 'Early',
  segments: [
    {
      code: 'early',
      name: 'Early',
      conditions: { all: [] },
      test_id: 'T1',
      arms: [
        { code: 'A', role: 'champion', share_bp: 5000, steps: [] },
        { code: 'B', role: 'challenger', share_bp: 5000, steps: [] },
      ],
    },
    {
      code: 'late',
      name: 'Late',
      conditions: { all: [] },
      test_id: null,
      arms: [{ code: 'only', role: 'champion', share_bp: 10000, steps: [] }],
    },
  ],
};

async function decide(account: bigint, client: bigint, day: string, segment: string, arm: string) {
  await sql`INSERT INTO strategy_decisions (client_id, account_id, run_date, strategy_version_id, segment, arm, action, alternatives, probability)
            VALUES (${client}, ${account}, ${day}::date, ${versionId}, ${segment}, ${arm}, 'wait', '{}', 0.5)`.execute(
    t.db,
  );
}

/**
 * The test entries the nightly step would have recorded for the decisions above, by the definition the
 * results used to compute from the whole decision log each time: an account's first decision in the
 * segment (its date and arm). The figures below were written against that computation, so they hold
 * the results to the same numbers.
 */
async function entriesAsTheLogSays() {
  await sql`
    INSERT INTO strategy_test_entries (strategy_version_id, segment, client_id, account_id, arm, entered_on)
    SELECT d.strategy_version_id, d.segment, d.client_id, d.account_id,
           (array_agg(d.arm ORDER BY d.run_date))[1], min(d.run_date)
      FROM strategy_decisions d WHERE d.segment = 'early'
     GROUP BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING`.execute(t.db);
}

async function attempt(account: bigint, channel: string, at: string) {
  await sql`INSERT INTO contact_attempts (client_id, account_id, debtor_id, disposition, channel, agent, at)
            SELECT client_id, id, debtor_id, 'no_answer', ${channel}, 'agent.wang', ${at}::timestamptz
              FROM accounts WHERE id = ${account}`.execute(t.db);
}

async function message(account: bigint, channel: string, status: string, at: string) {
  const point = await sql<{ id: bigint }>`
    INSERT INTO contact_points (client_id, debtor_id, kind, position, value_masked)
    SELECT client_id, debtor_id, 'phone', 1 + (SELECT count(*) FROM contact_points), '138****0000'
      FROM accounts WHERE id = ${account} RETURNING id`.execute(t.db);
  await sql`INSERT INTO channel_messages (contact_point_id, client_id, account_id, debtor_id, channel, provider, idempotency_key, purpose,
                                          party, actor, recipient_masked, body_text, status, sent_at)
            SELECT ${point.rows[0]?.id}, client_id, id, debtor_id, ${channel}, 'aliyun', ${`k-${account}-${at}-${status}`}, 'reminder',
                   'debtor', 'nightly', '138****0000', '提醒', ${status}, ${at}::timestamptz
              FROM accounts WHERE id = ${account}`.execute(t.db);
}

async function promise(
  account: bigint,
  promisedOn: string,
  status: 'open' | 'kept' | 'broken',
  decidedOn?: string,
) {
  await sql`INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on,
                                  grace_days, status, kept_on, broken_at, taken_by)
            SELECT client_id, id, 1000, 'CNY', 10000, ${promisedOn}::date, ${promisedOn}::date + 2, 1, ${status},
                   ${status === 'kept' ? (decidedOn ?? null) : null}::date,
                   ${status === 'broken' ? (decidedOn ?? null) : null}::date, 'agent.wang'
              FROM accounts WHERE id = ${account}`.execute(t.db);
}

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await createClient(t.db, 'EXPA')).clientId;
  otherClient = (await createClient(t.db, 'EXPB')).clientId;
  ids.push(
    ...(await placeAccounts(
      t.db,
      clientId,
      Array.from({ length: 6 }, (_, i) => ({ ref: `E${i + 1}`, principal: 10_000n })),
      { effectiveDate: '2026-02-01' },
    )),
  );
  const [other] = await placeAccounts(t.db, otherClient, [{ ref: 'O1', principal: 50_000n }], {
    effectiveDate: '2026-02-01',
  });
  const version = await sql<{ id: bigint }>`
    INSERT INTO strategy_versions (version, name, document, status, reason, proposed_by, decided_by, decided_at, effective_from)
    VALUES (1, 'Early', ${JSON.stringify(testDocument)}::jsonb, 'approved', 'test', 'maker', 'checker', now(), '2026-03-01')
    RETURNING id`.execute(t.db);
  versionId = version.rows[0]?.id as bigint;
  const [a1, a2, a3, a4, a5, a6] = ids as [bigint, bigint, bigint, bigint, bigint, bigint];
  // arm A: accounts 1, 2 (from 1 March) and 3 (from 5 March); arm B: 4 (1 March), 5 (2 March), 6 (20 March)
  for (const day of ['2026-03-01', '2026-03-02', '2026-03-03']) await decide(a1, clientId, day, 'early', 'A');
  await decide(a2, clientId, '2026-03-01', 'early', 'A');
  await decide(a3, clientId, '2026-03-05', 'early', 'A');
  await decide(a4, clientId, '2026-03-01', 'early', 'B');
  await decide(a5, clientId, '2026-03-02', 'early', 'B');
  await decide(a6, clientId, '2026-03-20', 'early', 'B');
  // another segment's decision and another client's account
  await decide(a1, clientId, '2026-02-20', 'late', 'only');
  await decide(other as bigint, otherClient, '2026-03-01', 'early', 'B');
  await entriesAsTheLogSays();
  const paid = await postPayments(
    t.db,
    [
      payment(clientId, a1, 500n, { paidOn: '2026-03-01' }), // on the entry day: not in the window
      payment(clientId, a1, 3000n, { paidOn: '2026-03-03' }),
      payment(clientId, a1, 1000n, { paidOn: '2026-03-09' }), // day 8: only in the 30-day window
      payment(clientId, a4, 5000n, { paidOn: '2026-03-08' }), // day 7: the window's last day
      payment(clientId, a5, 2000n, { paidOn: '2026-03-04', externalId: 'REV-ME' }),
      payment(otherClient, other as bigint, 40_000n, { paidOn: '2026-03-02' }),
    ],
    'test',
  );
  expect(paid.every((p) => p.status === 'posted')).toBe(true);
  await reverseEntry(t.db, {
    clientId,
    externalId: 'REV-ME',
    reason: 'bounced',
    actor: 'test',
    effectiveDate: '2026-03-05',
  });
  await promise(a2, '2026-03-02', 'kept', '2026-03-06');
  await promise(a4, '2026-03-02', 'broken', '2026-03-07');
  await promise(a5, '2026-03-03', 'open');
  await promise(a1, '2026-03-03', 'kept', '2026-03-25'); // kept after the as-of date: not yet decided then
  // China time: 2 March 10:00 is in account 1's window (2 … 8 March)
  await attempt(a1, 'call', '2026-03-02T02:00:00Z');
  await attempt(a1, 'sms', '2026-03-02T03:00:00Z'); // an agent's SMS attempt is not counted (messages are)
  await message(a1, 'sms', 'delivered', '2026-03-02T04:00:00Z');
  await message(a1, 'email', 'blocked', '2026-03-02T04:00:00Z'); // never sent
  await attempt(a4, 'visit', '2026-03-03T01:00:00Z');
  await attempt(a4, 'call', '2026-03-08T16:30:00Z'); // 9 March 00:30 in Shanghai: outside the 7 days
  await attempt(a4, 'call', '2026-03-01T15:59:00Z'); // 1 March 23:59 in Shanghai: the entry day, outside
});

afterAll(async () => {
  await t?.drop();
});

describe('experiment results', () => {
  it('measure each arm over 7 days after entry, accounts counting once their window has closed', async () => {
    const [result, ...rest] = await listExperiments(t.db, { window: 7, asOf: '2026-03-20' });
    expect(rest).toHaveLength(0); // the 'late' segment has one arm: no test
    expect(result).toMatchObject({
      strategy_version_id: versionId,
      version: 1,
      segment: 'early',
      test_id: 'T1',
      window_days: 7,
      as_of: '2026-03-20',
      primary_metric: 'recovery_rate',
      entered: 7, // six of EXPA and one of EXPB (no client scope here)
    });
    const [a, b] = result?.arms ?? [];
    expect(a).toEqual({
      code: 'A',
      role: 'champion',
      share_bp: 5000,
      accounts: 3,
      placed_minor: 30_000n,
      collected_minor: 3000n,
      recovery_rate: 0.1,
      collected_per_account_minor: 1000,
      promises_due: 1,
      promises_kept: 1,
      promise_kept_rate: 1,
      contacts: 2,
      contacts_per_account: 2 / 3,
      cost_minor: defaultContactCosts.call + defaultContactCosts.sms,
      cost_per_yuan: 205 / 3000,
    });
    // B: 4 (5000 collected), 5 (paid and reversed) and EXPB's account (40 000 of 50 000); 6 entered on the 20th
    expect(b).toEqual({
      code: 'B',
      role: 'challenger',
      share_bp: 5000,
      accounts: 3,
      placed_minor: 70_000n,
      collected_minor: 45_000n,
      recovery_rate: 45_000 / 70_000,
      collected_per_account_minor: 15_000,
      promises_due: 1,
      promises_kept: 0,
      promise_kept_rate: 0,
      contacts: 1,
      contacts_per_account: 1 / 3,
      cost_minor: 5000n,
      cost_per_yuan: 5000 / 45_000,
    });
    const [comparison] = result?.comparisons ?? [];
    expect(comparison?.challenger).toBe('B');
    expect(comparison?.verdict).toBe('not_enough_accounts');
    // one look a day from 8 March (first windows closed) to 20 March
    expect(comparison?.series.map((p) => p.date)).toEqual(
      Array.from({ length: 13 }, (_, i) => `2026-03-${String(8 + i).padStart(2, '0')}`),
    );
    const byDate = Object.fromEntries((comparison?.series ?? []).map((p) => [p.date, p]));
    expect(byDate['2026-03-08']).toMatchObject({
      champion_accounts: 2,
      challenger_accounts: 2,
      champion: 0.15,
    });
    expect(byDate['2026-03-09']).toMatchObject({ champion_accounts: 2, challenger_accounts: 3 });
    expect(byDate['2026-03-12']).toMatchObject({ champion_accounts: 3, champion: 0.1, p_value: null });
    expect(byDate['2026-03-20']?.difference).toBeCloseTo(45_000 / 70_000 - 0.1, 12);
  });

  it('count from the 30-day window only accounts whose 30 days have passed', async () => {
    const [early] = await listExperiments(t.db, { window: 30, asOf: '2026-03-20' });
    expect(early?.arms.map((a) => a.accounts)).toEqual([0, 0]);
    expect(early?.comparisons[0]?.series).toEqual([]);
    expect(early?.comparisons[0]?.verdict).toBe('not_enough_accounts');
    const [later] = await listExperiments(t.db, { window: 30, asOf: '2026-04-04' });
    // accounts 1, 2 (A) and 4, EXPB's (B) entered on 1 March: 31 March closed their windows; 5 on 1 April
    expect(later?.arms.map((a) => a.accounts)).toEqual([3, 3]);
    expect(later?.arms[0]?.collected_minor).toBe(4000n); // 3000 + the 1000 of day 8
    expect(later?.arms[0]?.promises_kept).toBe(2); // account 1's promise was kept on 25 March
  });

  it('judge with a lower minimum of accounts once both arms have it', async () => {
    const [result] = await listExperiments(t.db, { window: 7, asOf: '2026-03-20', minAccounts: 3 });
    const recovery = result?.comparisons[0]?.metrics.find((m) => m.metric === 'recovery_rate');
    expect(recovery?.verdict).toBe('no_difference');
    expect(recovery?.p_value).toBeGreaterThan(0.05);
    expect(recovery?.p_value).toBeLessThanOrEqual(1);
    expect(result?.comparisons[0]?.verdict).toBe('no_difference');
  });

  it("see only the caller's clients under row-level security", async () => {
    const scoped = await withClientScope(t.db, { clientIds: [clientId] }, (trx) =>
      listExperiments(trx, { window: 7, asOf: '2026-03-20' }),
    );
    expect(scoped[0]?.entered).toBe(6);
    expect(scoped[0]?.arms[1]?.collected_minor).toBe(5000n);
  });

  it('refuse an unknown strategy version', async () => {
    const missing = await listExperiments(t.db, { strategyVersionId: 999n }).catch((e: unknown) => e);
    expect(isHuikuanError(missing) && missing.code).toBe('not_found');
    expect(await listExperiments(t.db, { strategyVersionId: versionId, asOf: '2026-03-20' })).toHaveLength(1);
  });

  it('price contacts by the configured unit costs, per channel in minor units', async () => {
    const costs = contactCostsFromEnv({ HUIKUAN_CONTACT_COST_CALL: '250', HUIKUAN_CONTACT_COST_SMS: ' 0 ' });
    expect(costs).toEqual({ ...defaultContactCosts, call: 250n, sms: 0n });
    expect(contactCostsFromEnv({})).toEqual(defaultContactCosts);
    // arm A: one call and one SMS in the window; B: one visit
    const [result] = await listExperiments(t.db, { window: 7, asOf: '2026-03-20', costs });
    expect(result?.arms.map((a) => a.cost_minor)).toEqual([250n, defaultContactCosts.visit]);
    expect(result?.arms[0]?.cost_per_yuan).toBe(250 / 3000);
    for (const [value, message] of [
      ['-1', 'HUIKUAN_CONTACT_COST_VISIT is "-1"'],
      ['1.5', 'whole minor units'],
      ['10000001', 'from 0 to 10000000'],
      ['abc', 'HUIKUAN_CONTACT_COST_VISIT'],
    ] as const) {
      const wrong = (() => {
        try {
          return contactCostsFromEnv({ HUIKUAN_CONTACT_COST_VISIT: value });
        } catch (error) {
          return error;
        }
      })();
      expect(isHuikuanError(wrong) && wrong.code).toBe('bad_usage');
      expect(String((wrong as Error).message)).toContain(message);
    }
  });

  it('read the tests of a document: segments with a test id and at least two arms', () => {
    expect(testsOf(testDocument)).toEqual([
      {
        segment: 'early',
        testId: 'T1',
        arms: [
          { code: 'A', role: 'champion', share_bp: 5000 },
          { code: 'B', role: 'challenger', share_bp: 5000 },
        ],
      },
    ]);
    expect(testsOf(null)).toEqual([]);
    expect(testsOf({ segments: 'x' })).toEqual([]);
  });
});

describe('huikuan strategy experiments', () => {
  it('prints each arm and the verdict, or the whole results as JSON', async () => {
    const cli = cliFor(t);
    const human = await cli(['strategy', 'experiments', '--as-of', '2026-03-20', '--window', '7']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(
      'Strategy v1 "Early", segment early, test T1 — 7-day window, as of 2026-03-20; 7 accounts entered',
    );
    expect(human.stdout).toMatch(/\n {2}A +champion +50% +3 +10\.00% +10\.00 +100\.0% +0\.67 +0\.0683\n/);
    expect(human.stdout).toMatch(/\n {2}B +challenger +50% +3 +64\.29% +150\.00 +0\.0% +0\.33 +0\.1111\n/);
    expect(human.stdout).toContain(
      'B vs champion on recovery_rate: not enough accounts yet; difference 54.29%, always-valid 95% interval –, p – (each arm needs 100 accounts whose window has closed)',
    );
    const json = await cli([
      'strategy',
      'experiments',
      '--strategy',
      String(versionId),
      '--as-of',
      '2026-03-20',
      '--window',
      '7',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const [item] = json.json().items;
    expect(item.arms[1].collected_minor).toBe(45_000);
    expect(item.comparisons[0].series).toHaveLength(13);
  });

  it.each([
    [['--window', '14'], '--window 14: use 7, 30 or 90 days.'],
    [['--strategy', 'x'], '--strategy x is not a strategy version id.'],
    [['--min-accounts', '1'], '--min-accounts 1: a whole number from 2 to 1000000.'],
    [['--as-of', '2026-02-30'], '--as-of'],
  ])('refuses %j as bad usage (exit 2)', async (args, message) => {
    const result = await cliFor(t)(['strategy', 'experiments', ...args, '--json']);
    expect(result.code).toBe(2);
    expect(result.json().error.message).toContain(message);
  });
});

describe('a holdout', () => {
  it('is compared with the champion like a challenger, with its role, and cannot be promoted', async () => {
    const document = structuredClone(testDocument) as unknown as {
      segments: Array<{
        test_id: string | null;
        arms: Array<{ code: string; role: string; share_bp: number; steps: [] }>;
      }>;
    };
    const early = document.segments[0] as (typeof document.segments)[number];
    early.test_id = 'T2';
    early.arms = [
      { code: 'A', role: 'champion', share_bp: 4000, steps: [] },
      { code: 'B', role: 'challenger', share_bp: 4000, steps: [] },
      { code: 'H', role: 'holdout', share_bp: 2000, steps: [] },
    ];
    const inserted = await sql<{ id: bigint }>`
      INSERT INTO strategy_versions (version, name, document, status, reason, proposed_by, decided_by, decided_at, effective_from)
      VALUES (50, 'With holdout', ${JSON.stringify(document)}::jsonb, 'approved', 'test', 'maker', 'checker', now(), '2026-03-01')
      RETURNING id`.execute(t.db);
    const id = inserted.rows[0]?.id as bigint;
    const [result] = await listExperiments(t.db, { strategyVersionId: id, window: 7, asOf: '2026-03-20' });
    expect(result?.test_id).toBe('T2');
    expect(result?.comparisons.map((c) => [c.challenger, c.role, c.verdict])).toEqual([
      ['B', 'challenger', 'not_enough_accounts'],
      ['H', 'holdout', 'not_enough_accounts'],
    ]);
    expect(() => promotedDocument(document, 'early', 'H')).toThrow('its challengers are: B');
    const promoted = promotedDocument(document, 'early', 'B') as typeof document;
    // the champion takes B's share; the holdout keeps its place at the end of the range
    expect(promoted.segments[0]?.arms.map((a) => [a.code, a.share_bp])).toEqual([
      ['A', 8000],
      ['H', 2000],
    ]);
    expect(document.segments[0]?.arms).toHaveLength(3); // the input is not changed
  });
});
