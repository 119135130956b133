import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPlacementEntries } from './placement.ts';
import { createClient, placeAccounts } from './test-fixtures.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function postingsOf(accountId: bigint) {
  const result = await sql<{
    line: number;
    ledger_account: string;
    account_id: bigint | null;
    amount_minor: bigint;
  }>`
    SELECT p.line, p.ledger_account::text AS ledger_account, p.account_id, p.amount_minor
      FROM postings p JOIN journal_entries je ON je.id = p.entry_id
     WHERE je.account_id = ${accountId} ORDER BY p.entry_id, p.line`.execute(t.db);
  return result.rows;
}

describe('postPlacementEntries', () => {
  it('posts one balanced placement entry per account, Dr each non-zero component, Cr client:placed', async () => {
    const { clientId } = await createClient(t.db, 'PL1');
    const [a, b, zero] = await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 100_00n, interest: 5_00n, fees: 0n, penalty: 1_23n },
      { ref: 'B', principal: 0n, interest: 0n, fees: 7n, penalty: 0n },
      { ref: 'Z', principal: 0n },
    ]);
    expect(await postingsOf(a as bigint)).toEqual([
      { line: 1, ledger_account: 'debt:principal', account_id: a, amount_minor: 100_00n },
      { line: 2, ledger_account: 'debt:interest', account_id: a, amount_minor: 5_00n },
      { line: 3, ledger_account: 'debt:penalty', account_id: a, amount_minor: 1_23n },
      { line: 4, ledger_account: 'client:placed', account_id: null, amount_minor: -106_23n },
    ]);
    expect(await postingsOf(b as bigint)).toEqual([
      { line: 1, ledger_account: 'debt:fees', account_id: b, amount_minor: 7n },
      { line: 2, ledger_account: 'client:placed', account_id: null, amount_minor: -7n },
    ]);
    expect(await postingsOf(zero as bigint)).toEqual([]);
    const entry = await t.db
      .selectFrom('journal_entries')
      .selectAll()
      .where('account_id', '=', a as bigint)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      kind: 'placement',
      client_id: clientId,
      currency: 'CNY',
      created_by: 'approver',
    });
  });

  it('refuses to post a batch twice', async () => {
    const { clientId } = await createClient(t.db, 'PL2');
    const [a] = await placeAccounts(t.db, clientId, [{ ref: 'A', principal: 1n }]);
    const account = await t.db
      .selectFrom('accounts')
      .select('batch_id')
      .where('id', '=', a as bigint)
      .executeTakeFirstOrThrow();
    await expect(
      t.db
        .transaction()
        .execute((trx) =>
          postPlacementEntries(trx, { batchId: account.batch_id, actor: 'x', effectiveDate: '2025-06-01' }),
        ),
    ).rejects.toThrow(/already posted/);
  });
});
