/**
 * The score history's upkeep keeps exactly: every row of the last N days, and beyond them each
 * account's and model's first row of a month (what monitoring measures) and its last (month-end);
 * only the given partition's rows, at most the batch's number a pass.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../../test/db.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { addDays } from '../../shared/dates.ts';
import { pruneRange, pruneScoreHistory } from './history.ts';
import { testModel } from './test-model.ts';

let t: TestDatabase;
let clientId: bigint;
let otherClient: bigint;
let account: bigint;
let other: bigint;
let modelId: bigint;
const maxId = 9_223_372_036_854_775_807n;

async function day(accountId: bigint, client: bigint, asOf: string) {
  await sql`
    INSERT INTO risk_score_history (client_id, account_id, as_of, model_id, role, score, band, probability, balance_minor, reasons)
    VALUES (${client}, ${accountId}, ${asOf}, ${modelId}, 'champion', 500, 1, 0.5, 1000, '{}')`.execute(t.db);
}

const dates = async (accountId: bigint) =>
  (
    await sql<{ as_of: string }>`
      SELECT as_of FROM risk_score_history WHERE account_id = ${accountId} ORDER BY as_of`.execute(t.db)
  ).rows.map((r) => r.as_of);

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await createClient(t.db, 'HIS')).clientId;
  otherClient = (await createClient(t.db, 'HIT')).clientId;
  [account] = (await placeAccounts(t.db, clientId, [
    { ref: 'H1', principal: 1000n, delinquencyDate: '2024-01-01' },
  ])) as [bigint];
  [other] = (await placeAccounts(t.db, otherClient, [
    { ref: 'H2', principal: 1000n, delinquencyDate: '2024-01-01' },
  ])) as [bigint];
  modelId = (
    await sql<{ id: bigint }>`
      INSERT INTO risk_models (name, version, model, training, outcome_days, paid_share, owner, proposed_by)
      VALUES ('hist', 1, ${JSON.stringify(testModel())}::jsonb, '{}'::jsonb, 30, 0.5, 'o', 'p') RETURNING id`.execute(
      t.db,
    )
  ).rows[0]?.id as bigint;
  // daily from 2025-01-01 to 2025-03-10 for both accounts
  for (let d = '2025-01-01'; d <= '2025-03-10'; d = addDays(d, 1)) {
    await day(account, clientId, d);
    await day(other, otherClient, d);
  }
});

afterAll(async () => {
  await t?.drop();
});

describe('score history upkeep', () => {
  it('keeps the last N days and each month’s first and last row before them, in batches', async () => {
    const scope = { asOf: '2025-03-10', clientId, fromAccountId: 0n, toAccountId: maxId };
    // keep 20 days: the cutoff is 2025-02-18; before it January's and February's middles go
    const first = await pruneScoreHistory(t.db, scope, { keepDays: 20, limit: 10 });
    expect(first).toBe(10);
    const rest = await pruneScoreHistory(t.db, scope, { keepDays: 20 });
    // January: 31 days − first − last = 29; February before the 18th: 2nd … 17th = 16
    expect(first + rest).toBe(29 + 16);
    const kept = await dates(account);
    const daily: string[] = [];
    for (let d = '2025-02-18'; d <= '2025-03-10'; d = addDays(d, 1)) daily.push(d);
    expect(kept).toEqual(['2025-01-01', '2025-01-31', '2025-02-01', ...daily]);
    // nothing more to do, and the other client's partition untouched
    expect(await pruneScoreHistory(t.db, scope, { keepDays: 20 })).toBe(0);
    expect(await dates(other)).toHaveLength(69);
  });
});

describe('the upkeep after a previous run', () => {
  let u: TestDatabase;
  let client: bigint;
  let accounts: bigint[];
  const scopeOf = (asOf: string) => ({ asOf, clientId: client, fromAccountId: 0n, toAccountId: maxId });
  const ran = (asOf: string) =>
    sql`INSERT INTO strategy_runs (as_of, partition_size, started_by) VALUES (${asOf}, 1, 'test')`.execute(
      u.db,
    );

  /** The night's upkeep, with the history rows it read: the table's and its indexes' tuples returned. */
  async function night(asOf: string, limit?: number) {
    return u.db.transaction().execute(async (trx) => {
      // the backend's counts not yet reported include its earlier transactions': the difference is the night's
      const returned = async () =>
        Number(
          (
            await sql<{ tuples: string }>`
              SELECT (pg_stat_get_xact_tuples_returned('risk_score_history'::regclass)
                      + (SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index
                          WHERE indrelid = 'risk_score_history'::regclass))::text AS tuples`.execute(trx)
          ).rows[0]?.tuples,
        );
      const before = await returned();
      const deleted = await pruneScoreHistory(trx, scopeOf(asOf), limit === undefined ? {} : { limit });
      return { deleted, read: (await returned()) - before };
    });
  }

  const datesOf = async (accountId: bigint) =>
    (
      await sql<{ as_of: string }>`
        SELECT as_of FROM risk_score_history WHERE account_id = ${accountId} ORDER BY as_of`.execute(u.db)
    ).rows.map((r) => r.as_of);

  /** What the upkeep keeps of daily rows from 2021-01-01 with the line at `before`. */
  function kept(before: string, last: string): string[] {
    const list: string[] = [];
    for (let d = '2021-01-01'; d <= last; d = addDays(d, 1)) {
      const monthEnd = addDays(d, 1).slice(8) === '01';
      if (d >= before || d.slice(8) === '01' || monthEnd) list.push(d);
    }
    return list;
  }

  beforeAll(async () => {
    u = await testDatabase();
    client = (await createClient(u.db, 'HIU')).clientId;
    accounts = await placeAccounts(
      u.db,
      client,
      ['U1', 'U2', 'U3'].map((ref) => ({ ref, principal: 1000n, delinquencyDate: '2022-12-01' })),
    );
    const model = (
      await sql<{ id: bigint }>`
        INSERT INTO risk_models (name, version, model, training, outcome_days, paid_share, owner, proposed_by)
        VALUES ('hist', 1, ${JSON.stringify(testModel())}::jsonb, '{}'::jsonb, 30, 0.5, 'o', 'p') RETURNING id`.execute(
        u.db,
      )
    ).rows[0]?.id as bigint;
    await sql`
      INSERT INTO risk_score_history (client_id, account_id, as_of, model_id, role, score, band, probability, balance_minor, reasons)
      SELECT ${client}, a, d::date, ${model}, 'champion', 500, 1, 0.5, 1000, '{}'
        FROM unnest(${sql.val(accounts)}::bigint[]) a, generate_series('2021-01-01'::date, '2025-03-14', '1 day') d`.execute(
      u.db,
    );
    // planned as on a table the autovacuum has analysed
    await sql`ANALYZE risk_score_history`.execute(u.db);
    await ran('2025-03-09');
  });

  afterAll(async () => {
    await u?.drop();
  });

  it('looks only at the days that crossed the line since the previous run', () => {
    expect(pruneRange('2025-03-13', '2025-03-12', 400)).toEqual({ from: '2024-02-06', before: '2024-02-07' });
    // missed nights: every day since
    expect(pruneRange('2025-03-13', '2025-03-01', 400)).toEqual({ from: '2024-01-26', before: '2024-02-07' });
    // no run before: all of the history before the line
    expect(pruneRange('2025-03-13', null, 400)).toEqual({ from: null, before: '2024-02-07' });
  });

  it('drains a backlog over nights within the limit, then reads only what crossed the line', async () => {
    // the first nights after the upkeep came: a backlog of three years and more, 1,200 rows a night (each
    // night after the first has a previous run: were the backlog not noticed, it would take one day's 3)
    const drained: number[] = [];
    let asOf = '2025-03-10';
    for (;;) {
      const { deleted } = await night(asOf, 1200);
      drained.push(deleted);
      await ran(asOf);
      if (deleted < 1200) break;
      asOf = addDays(asOf, 1);
    }
    expect(asOf).toBe('2025-03-12');
    // per account, before the third night's line (2024-02-06), all but the months' first and last rows:
    // 2021's, 2022's and 2023's 365 − 24, January 2024's 29, February's 2nd to 5th
    expect(drained).toEqual([1200, 1200, 3 * (3 * 341 + 29 + 4) - 2400]);
    for (const account of accounts) expect(await datesOf(account)).toEqual(kept('2024-02-06', '2025-03-14'));

    // the next night: the day that crossed the line (2024-02-06, in the middle of its month) goes
    const next = await night('2025-03-13');
    expect(next.deleted).toBe(3);
    for (const account of accounts) expect(await datesOf(account)).toEqual(kept('2024-02-07', '2025-03-14'));
    // and it read that day's rows and their neighbours in the month, and each account's latest kept
    // rows before the previous line (about 8 rows an account): not the 74 kept rows an account of the
    // 37 months behind the line, nor the 400 days after it (all of them, 4,300 rows, before). The
    // exact count follows the plan, which follows the statistics (autovacuum's ANALYZE may come in
    // between on a busy machine: 24 alone, 61 and 135 in full runs), so the bound is half the rows the
    // accounts hold (≈ 1,400): reading all of them, as before (4,300 with their index entries), fails.
    const history = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM risk_score_history WHERE account_id = ANY(${accounts}::bigint[])`.execute(
      u.db,
    );
    expect(history.rows[0]?.n).toBeGreaterThan(1000);
    expect(next.read).toBeLessThan((history.rows[0]?.n ?? 0) / 2);
    await ran('2025-03-13');
    expect((await night('2025-03-14')).deleted).toBe(3);
  });
});
