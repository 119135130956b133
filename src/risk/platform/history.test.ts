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
import { pruneScoreHistory } from './history.ts';
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
