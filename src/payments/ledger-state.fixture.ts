/**
 * What a client's payment imports left in the books, for tests that compare two ways of posting the
 * same payments (staged.test.ts, read.test.ts): the postings by external id, and account balances.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Each entry's postings ("line account amount", and the memo with `withMemo`) by external id. */
export async function postingsOf(
  db: Kysely<Database>,
  clientId: bigint,
  options: { kinds: 'payments' | 'all but placements'; withMemo?: boolean },
): Promise<Record<string, string[]>> {
  const kinds = options.kinds === 'payments' ? sql`je.kind = 'payment'` : sql`je.kind <> 'placement'`;
  const found = await sql<{
    external_id: string;
    line: number;
    account: string;
    amount: bigint;
    memo: string;
  }>`
    SELECT je.external_id, p.line, p.ledger_account::text AS account, p.amount_minor AS amount, je.memo::text AS memo
      FROM journal_entries je JOIN postings p ON p.entry_id = je.id
     WHERE je.client_id = ${clientId} AND ${kinds} ORDER BY je.external_id, p.line`.execute(db);
  const byEntry: Record<string, string[]> = {};
  for (const r of found.rows) {
    const list = byEntry[r.external_id] ?? [];
    list.push(`${r.line} ${r.account} ${r.amount}${options.withMemo ? ` ${r.memo}` : ''}`);
    byEntry[r.external_id] = list;
  }
  return byEntry;
}

/** The accounts' cached balances, status and last payment, in id order. */
export async function balancesOf(db: Kysely<Database>, accounts: bigint[]) {
  const found = await sql<Record<string, unknown>>`
    SELECT principal_minor, interest_minor, fees_minor, penalty_minor, overpayment_minor, status,
           last_payment_date, last_payment_amount_minor
      FROM accounts WHERE id = ANY(${accounts.map(String)}::bigint[]) ORDER BY id`.execute(db);
  return found.rows;
}
