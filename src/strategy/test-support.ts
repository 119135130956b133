/**
 * The strategy tests' portfolio: two clients, batches with and without recall dates, delinquency
 * dates spread over every bucket, placed through the ledger's fixtures; and a snapshot of everything
 * the nightly run writes, by account reference (so two databases can be compared).
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';

export interface Portfolio {
  clients: bigint[];
  accounts: number;
}

/** `days` after `start` each batch of client A (then B) reaches its recall date; null = never. */
export async function placePortfolio(
  db: Db,
  start: string,
  recallAfterDays: Array<{ client: 0 | 1; count: number; recallAfter: number | null }>,
): Promise<Portfolio> {
  const a = await createClient(db, 'STRA');
  const b = await createClient(db, 'STRB');
  const clients = [a.clientId, b.clientId];
  let n = 0;
  for (const [index, batch] of recallAfterDays.entries()) {
    const clientId = clients[batch.client] as bigint;
    const ids = await placeAccounts(
      db,
      clientId,
      Array.from({ length: batch.count }, (_, i) => {
        n++;
        return {
          ref: `S${index}-${i}`,
          principal: 10_000n + BigInt(n) * 137n,
          interest: BigInt(n % 5) * 100n,
          // spread over current … M6+: 0 to 400 days before the start, a few not yet due
          delinquencyDate: addDays(start, 5 - ((n * 37) % 405)),
        };
      }),
    );
    if (batch.recallAfter !== null) {
      await sql`UPDATE placement_batches SET recall_date = ${addDays(start, batch.recallAfter)}::date
                 WHERE id = (SELECT batch_id FROM accounts WHERE id = ${ids[0]})`.execute(db);
    }
  }
  return { clients, accounts: n };
}

export const standardPortfolio = [
  { client: 0 as const, count: 17, recallAfter: 0 },
  { client: 0 as const, count: 23, recallAfter: 1 },
  { client: 1 as const, count: 19, recallAfter: null },
  { client: 0 as const, count: 11, recallAfter: null },
  { client: 1 as const, count: 13, recallAfter: 2 },
];

/** Everything the run writes, keyed by account reference, in a stable order. */
export async function snapshot(db: Db): Promise<unknown> {
  const accounts = await sql`
    SELECT a.client_account_ref AS ref, a.status, s.days_past_due, s.bucket, s.prior_bucket, s.as_of AS strategy_as_of,
           a.principal_minor, a.interest_minor, a.fees_minor, a.penalty_minor
      FROM accounts a LEFT JOIN account_states s ON s.client_id = a.client_id AND s.account_id = a.id
     ORDER BY a.client_account_ref`.execute(db);
  const history = await sql`
    SELECT a.client_account_ref AS ref, h.as_of, h.from_bucket, h.to_bucket, h.days_past_due, h.balance_minor
      FROM account_bucket_history h JOIN accounts a ON a.id = h.account_id
     ORDER BY 1, 2`.execute(db);
  const entries = await sql`
    SELECT a.client_account_ref AS ref, e.kind, e.effective_date, p.ledger_account, sum(p.amount_minor)::text AS amount
      FROM journal_entries e JOIN accounts a ON a.id = e.account_id JOIN postings p ON p.entry_id = e.id
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`.execute(db);
  const events = await sql`
    SELECT a.client_account_ref AS ref, v.kind, v.from_status, v.to_status, v.reason
      FROM account_events v JOIN accounts a ON a.id = v.account_id ORDER BY 1, 2, 3, 4`.execute(db);
  const runs = await sql`
    SELECT r.as_of, r.status, r.partitions_total, r.accounts_planned,
           sum(p.advanced)::int AS advanced, sum(p.bucket_changes)::int AS bucket_changes,
           sum(p.recalled)::int AS recalled
      FROM strategy_runs r JOIN strategy_run_partitions p ON p.run_id = r.id
     GROUP BY 1, 2, 3, 4 ORDER BY 1`.execute(db);
  return {
    accounts: accounts.rows,
    history: history.rows,
    entries: entries.rows,
    events: events.rows,
    runs: runs.rows,
  };
}
