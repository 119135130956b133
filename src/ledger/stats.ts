/**
 * Figures for charts: live balances by delinquency bucket, and collections by day (payments into
 * trust and direct to the client, net of their reversals, by effective date).
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { todayIn } from '../shared/dates.ts';

export interface BucketRow {
  bucket: string;
  currency: string;
  accounts: number;
  balance_minor: bigint;
}

const bucketOrder = ['current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'];

function clientCondition(clientIds: bigint[] | 'all', column: ReturnType<typeof sql.ref>) {
  return clientIds === 'all' ? sql`true` : sql`${column} = ANY(${clientIds.map(String)}::bigint[])`;
}

export async function balancesByBucket(
  db: Db,
  input: { clientIds: bigint[] | 'all'; today?: string },
): Promise<BucketRow[]> {
  if (input.clientIds !== 'all' && input.clientIds.length === 0) return [];
  const today = input.today ?? todayIn();
  const rows = await sql<{ bucket: string; currency: string; accounts: number; balance: bigint }>`
    WITH live AS (
      SELECT a.currency, (${today}::date - a.delinquency_date) AS dpd,
             a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance
        FROM accounts a
       WHERE a.status IN ('active', 'paid', 'settled') AND ${clientCondition(input.clientIds, sql.ref('a.client_id'))})
    SELECT CASE WHEN dpd <= 0 THEN 'current' WHEN dpd > 180 THEN 'M6+'
                ELSE 'M' || ((dpd - 1) / 30 + 1)::text END AS bucket,
           trim(currency) AS currency, count(*)::int AS accounts, coalesce(sum(balance), 0)::bigint AS balance
      FROM live GROUP BY 1, 2`.execute(db);
  return rows.rows
    .map((row) => ({
      bucket: row.bucket,
      currency: row.currency,
      accounts: row.accounts,
      balance_minor: row.balance,
    }))
    .sort(
      (a, b) =>
        bucketOrder.indexOf(a.bucket) - bucketOrder.indexOf(b.bucket) || a.currency.localeCompare(b.currency),
    );
}

export interface CollectionDay {
  date: string;
  currency: string;
  collected_minor: bigint;
  direct_paid_minor: bigint;
  total_minor: bigint;
  payments: number;
}

export async function collectionsByDay(
  db: Db,
  input: { clientIds: bigint[] | 'all'; from: string; to: string },
): Promise<CollectionDay[]> {
  if (input.clientIds !== 'all' && input.clientIds.length === 0) return [];
  const rows = await sql<{
    date: string;
    currency: string;
    collected: bigint;
    direct: bigint;
    payments: number;
  }>`
    SELECT je.effective_date::text AS date, trim(je.currency) AS currency,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:collected'), 0)::bigint AS collected,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:direct_paid'), 0)::bigint AS direct,
           count(DISTINCT je.id) FILTER (WHERE je.kind IN ('payment', 'direct_payment'))::int AS payments
      FROM journal_entries je JOIN postings p ON p.entry_id = je.id
     WHERE je.effective_date BETWEEN ${input.from}::date AND ${input.to}::date
       AND p.ledger_account IN ('client:collected', 'client:direct_paid')
       AND ${clientCondition(input.clientIds, sql.ref('je.client_id'))}
     GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  return rows.rows.map((row) => ({
    date: row.date,
    currency: row.currency,
    collected_minor: row.collected,
    direct_paid_minor: row.direct,
    total_minor: row.collected + row.direct,
    payments: row.payments,
  }));
}
