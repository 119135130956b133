import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/db.ts';
import { postPayments } from '../../ledger/payments.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { runStrategy } from '../../strategy/service.ts';
import { sigmoid } from '../logistic.ts';
import { availableSources } from './features.ts';
import { approveModel, promoteModel, proposeModel } from './registry.ts';
import { scorePartition } from './scoring.ts';
import { bankPayment, testModel } from './test-model.ts';
import { configureWatchRule, decideWatch, listWatch, watchRuleStates } from './watch.ts';

const t = await testDatabase();
afterAll(() => t.drop());

let clientId = 0n;
let ids: bigint[] = [];
let championId = 0n;
let challengerId = 0n;
const maxId = 9_223_372_036_854_775_807n;
const id = (k: number) => ids[k] as bigint;

beforeAll(async () => {
  ({ clientId } = await createClient(t.db, 'RISKS'));
  ids = await placeAccounts(
    t.db,
    clientId,
    [
      { ref: 'A', principal: 100_000n, delinquencyDate: '2025-02-10' },
      { ref: 'B', principal: 100_000n, delinquencyDate: '2025-01-01' },
      { ref: 'C', principal: 100_000n, delinquencyDate: '2025-01-20' },
      { ref: 'D', principal: 100_000n, delinquencyDate: '2025-03-01' },
      { ref: 'E', principal: 100_000n, delinquencyDate: '2025-01-25' },
    ],
    { effectiveDate: '2025-03-01' },
  );
  const payments: Array<[number, string, bigint, string]> = [
    [0, 'a1', 5_000n, '2025-04-10'],
    [2, 'c1', 5_000n, '2025-04-20'],
    [4, 'e1', 1_000n, '2025-03-05'],
  ];
  await postPayments(
    t.db,
    payments.map(([k, externalId, amountMinor, paidOn]) =>
      bankPayment(clientId, id(k), externalId, amountMinor, paidOn),
    ),
    'tester',
  );
  const champion = await proposeModel(
    t.db,
    { model: testModel(), name: 'night', outcomeDays: 30, paidShare: 0.5 },
    'ana',
  );
  await approveModel(t.db, champion.id, 'bo');
  await promoteModel(t.db, champion.id, 'champion', 'bo');
  championId = champion.id;
  const challenger = await proposeModel(
    t.db,
    { model: testModel(), name: 'night-challenger', outcomeDays: 30, paidShare: 0.5 },
    'ana',
  );
  await approveModel(t.db, challenger.id, 'bo');
  await promoteModel(t.db, challenger.id, 'challenger', 'bo');
  challengerId = challenger.id;

  // watch-rule data: A deceased, B lost contact, C disputes, D broke two promises
  const debtor = async (k: number) =>
    (await t.db.selectFrom('accounts').select('debtor_id').where('id', '=', id(k)).executeTakeFirstOrThrow())
      .debtor_id;
  await sql`INSERT INTO compliance_holds (client_id, debtor_id, account_id, kind, source, starts_at, recorded_by)
            VALUES (${clientId}, ${await debtor(0)}, ${id(0)}, 'deceased', 'client', '2025-04-01', 'tester'),
                   (${clientId}, ${await debtor(2)}, ${id(2)}, 'dispute', 'letter', '2025-04-15', 'tester')`.execute(
    t.db,
  );
  await sql`INSERT INTO compliance_lost_contact (client_id, debtor_id, set_at, set_by, set_reason)
            VALUES (${clientId}, ${await debtor(1)}, '2025-04-01', 'tester', 'every number dead')`.execute(
    t.db,
  );
  if ((await availableSources(t.db)).promises) {
    await sql`INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on,
                                    due_on, grace_days, status, broken_at, taken_by)
              VALUES (${clientId}, ${id(3)}, 1000, 'CNY', 100000, '2025-04-01', '2025-04-05', 3, 'broken', '2025-04-09', 'agent'),
                     (${clientId}, ${id(3)}, 1000, 'CNY', 100000, '2025-04-12', '2025-04-15', 3, 'broken', '2025-04-19', 'agent')`.execute(
      t.db,
    );
  }
  // a drop of 40 points is enough to watch
  await configureWatchRule(t.db, 'score_drop', { threshold: 40 }, 'sup');
});

async function history(asOf: string) {
  return t.db
    .selectFrom('risk_score_history' as never)
    .selectAll()
    .where(sql`as_of`, '=', asOf)
    .orderBy(sql`account_id`)
    .orderBy(sql`model_id`)
    .execute() as Promise<Array<Record<string, unknown>>>;
}

describe('nightly scoring', () => {
  it('scores every live account with the champion and the challenger in the nightly run, with exact scores', async () => {
    await runStrategy(t.db, { asOf: '2025-04-23', actor: 'night' });
    await runStrategy(t.db, { asOf: '2025-04-30', actor: 'night' });
    const rows = await history('2025-04-30');
    expect(rows).toHaveLength(10);
    const champion = rows.filter((row) => row.model_id === championId);
    expect(
      champion.map((row) => [row.account_id, row.role, row.score, row.band, row.balance_minor, row.reasons]),
    ).toEqual([
      [id(0), 'champion', 530, 3, 95_000n, []],
      [id(1), 'champion', 470, 0, 100_000n, ['days_past_due:2', 'paid_90d_minor:1']],
      [id(2), 'champion', 490, 1, 95_000n, ['days_past_due:2']],
      [id(3), 'champion', 510, 2, 100_000n, ['paid_90d_minor:1']],
      [id(4), 'champion', 490, 1, 99_000n, ['days_past_due:2']],
    ]);
    expect(champion.map((row) => row.probability)).toEqual([
      sigmoid(-1.5),
      sigmoid(1.5),
      sigmoid(0.5),
      sigmoid(-0.5),
      sigmoid(0.5),
    ]);
    expect(rows.filter((row) => row.model_id === challengerId).map((row) => row.role)).toEqual(
      Array(5).fill('challenger'),
    );
    const latest = await sql<{ account_id: bigint; model_id: bigint; as_of: string; score: number }>`
      SELECT account_id, model_id, as_of, score FROM risk_account_scores ORDER BY account_id`.execute(t.db);
    expect(latest.rows).toEqual(
      [530, 470, 490, 510, 490].map((score, k) => ({
        account_id: id(k),
        model_id: championId,
        as_of: '2025-04-30',
        score,
      })),
    );
    const earlier = await history('2025-04-23');
    expect(earlier.filter((row) => row.model_id === championId).map((row) => row.score)).toEqual([
      530, 470, 490, 510, 530,
    ]);
  });

  it('is idempotent for a date: a second pass rewrites the same rows', async () => {
    const before = await history('2025-04-30');
    const again = await t.db
      .transaction()
      .execute((trx) =>
        scorePartition(trx, { asOf: '2025-04-30', clientId, fromAccountId: 0n, toAccountId: maxId }),
      );
    expect(again.accounts).toBe(5);
    expect(again.scored.map((s) => s.rows)).toEqual([5, 5]);
    expect(again.watch).toEqual({ seen: (await listWatch(t.db, {})).length, opened: 0 });
    expect(await history('2025-04-30')).toEqual(before);
    // in slices of two live accounts (three slices): every account scored once, the same rows
    const sliced = await t.db.transaction().execute((trx) =>
      scorePartition(trx, {
        asOf: '2025-04-30',
        clientId,
        fromAccountId: 0n,
        toAccountId: maxId,
        slice: 2,
      }),
    );
    expect(sliced.accounts).toBe(5);
    expect(sliced.scored.map((s) => s.rows)).toEqual([5, 5]);
    expect(await history('2025-04-30')).toEqual(before);
  });
});

describe('risk watch', () => {
  it('puts each rule’s accounts on the watch list once, extending them night after night', async () => {
    const promises = (await availableSources(t.db)).promises;
    const entries = await listWatch(t.db, {});
    const summary = entries
      .map((e) => [e.account_id, e.rule, e.first_seen, e.last_seen, e.status, e.detail])
      .sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint)));
    expect(summary).toEqual([
      [id(0), 'bankruptcy_deceased', '2025-04-23', '2025-04-30', 'open', 'bankruptcy or death recorded'],
      [id(1), 'lost_contact', '2025-04-23', '2025-04-30', 'open', 'lost contact (失联) is set'],
      [id(2), 'dispute', '2025-04-23', '2025-04-30', 'open', 'a dispute is open'],
      ...(promises
        ? [[id(3), 'broken_promises', '2025-04-23', '2025-04-30', 'open', '2 broken promises']]
        : []),
      [
        id(4),
        'score_drop',
        '2025-04-30',
        '2025-04-30',
        'open',
        'score fell 40 points in a week (530 on 2025-04-23, 490 on 2025-04-30)',
      ],
    ]);
  });

  it('lists complaints as an inactive rule with the reason, and the configured threshold', async () => {
    const states = await watchRuleStates(t.db);
    expect(states.find((s) => s.code === 'complaint')).toMatchObject({
      active: false,
      reason: expect.stringContaining('complaints are not recorded'),
    });
    expect(states.find((s) => s.code === 'score_drop')).toMatchObject({ active: true, threshold: 40 });
    await expect(configureWatchRule(t.db, 'dispute', { threshold: 3 }, 'sup')).rejects.toMatchObject({
      code: 'bad_input',
    });
  });

  it('goes open → acknowledged → actioned with who did what, and no further', async () => {
    const [entry] = await listWatch(t.db, { accountId: id(1) });
    if (!entry) throw new Error('no entry');
    const seen = await decideWatch(t.db, entry.id, { status: 'acknowledged' }, 'sup');
    expect(seen).toMatchObject({ status: 'acknowledged', acknowledged_by: 'sup' });
    await expect(decideWatch(t.db, entry.id, { status: 'actioned', note: ' ' }, 'sup')).rejects.toMatchObject(
      {
        code: 'bad_input',
      },
    );
    const done = await decideWatch(
      t.db,
      entry.id,
      { status: 'actioned', note: 'traced a new number through the employer' },
      'sup',
    );
    expect(done).toMatchObject({
      status: 'actioned',
      actioned_by: 'sup',
      action_note: 'traced a new number through the employer',
    });
    await expect(decideWatch(t.db, entry.id, { status: 'acknowledged' }, 'sup')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const audit = await t.db
      .selectFrom('audit_events')
      .select('action')
      .where('entity_type', '=', 'risk_watch')
      .where('entity_id', '=', String(entry.id))
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['risk_watch.acknowledged', 'risk_watch.actioned']);
  });
});
