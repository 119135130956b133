/**
 * Placement entries (ledger.md event 1), set-based: one `placement` journal entry per account of a
 * batch, Dr `debt:{account}:{component}` for every non-zero component and Cr `client:{client}:placed`
 * for the total. The placements module calls this inside its approval transaction, after it has
 * inserted the batch's accounts with cached balances equal to the placed amounts.
 *
 * One statement whatever the batch size: entry ids drawn from the identity sequence (so the
 * postings need no join back), the entries, and all their postings in ONE insert, which is what the
 * statement-level balance trigger checks.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';

export interface PlacementEntriesInput {
  batchId: bigint;
  actor: string;
  /** The business date of the approval, 'YYYY-MM-DD'. */
  effectiveDate: string;
}

export interface PlacementEntriesResult {
  entries: number;
  postings: number;
  placedTotalMinor: bigint;
}

/**
 * Posts the placement entries of every account of the batch (accounts whose placed total is zero get
 * none). Refuses a batch whose entries were already posted (conflict). Run it inside a transaction.
 */
export async function postPlacementEntries(
  trx: Kysely<Database>,
  input: PlacementEntriesInput,
): Promise<PlacementEntriesResult> {
  const already = await sql<{ id: bigint }>`
    SELECT je.id FROM journal_entries je
     WHERE je.kind = 'placement'
       AND je.account_id = (SELECT min(id) FROM accounts WHERE batch_id = ${input.batchId})
     LIMIT 1`.execute(trx);
  if (already.rows.length > 0) {
    throw new HuikuanError(
      'conflict',
      `The placement entries of batch ${input.batchId} were already posted; a batch is approved once.`,
    );
  }
  // The sequence by name, resolved once: `nextval(pg_get_serial_sequence(…))` looked it up in the
  // catalog for every row, ten times the cost of the draw itself.
  const sequence = await sql<{ name: string }>`
    SELECT pg_get_serial_sequence('journal_entries', 'id') AS name`.execute(trx);
  const entrySequence = sequence.rows[0]?.name ?? 'journal_entries_id_seq';
  // One statement: draw one entry id per account from the identity sequence, insert the entries,
  // and insert all their postings in one INSERT (which the balance trigger checks as a whole).
  // Lines are numbered 1..n without gaps (ledger check reads a gap as a removed posting).
  const result = await sql<{ entries: bigint; postings: bigint; total: bigint | null }>`
    WITH src AS MATERIALIZED (
      SELECT nextval(${sql.lit(entrySequence)}::regclass) AS entry_id, o.*
        FROM (SELECT a.client_id, a.id AS account_id, a.currency, a.placed_principal_minor AS p,
                     a.placed_interest_minor AS i, a.placed_fees_minor AS f, a.placed_penalty_minor AS n
                FROM accounts a
               WHERE a.batch_id = ${input.batchId}
                 AND a.placed_principal_minor + a.placed_interest_minor + a.placed_fees_minor
                     + a.placed_penalty_minor > 0
               ORDER BY a.id) o),
    entries AS (
      INSERT INTO journal_entries (id, client_id, account_id, kind, currency, effective_date, source, created_by)
      OVERRIDING SYSTEM VALUE
      SELECT entry_id, client_id, account_id, 'placement', currency, ${input.effectiveDate}::date,
             ${`batch:${input.batchId}`}, ${input.actor}
        FROM src),
    posted AS (
      -- line k (1..5) of every entry from one uncorrelated series and CASE: a LATERAL VALUES list
      -- had PostgreSQL set up its five rows' expressions again for every account
      INSERT INTO postings (entry_id, line, client_id, account_id, ledger_account, amount_minor)
      SELECT v.entry_id, v.line, v.client_id, v.account_id, v.ledger_account, v.amount
        FROM (SELECT s.entry_id, s.client_id,
                     CASE k WHEN 1 THEN 1
                            WHEN 2 THEN 1 + (s.p <> 0)::int
                            WHEN 3 THEN 1 + (s.p <> 0)::int + (s.i <> 0)::int
                            WHEN 4 THEN 1 + (s.p <> 0)::int + (s.i <> 0)::int + (s.f <> 0)::int
                            ELSE 1 + (s.p <> 0)::int + (s.i <> 0)::int + (s.f <> 0)::int + (s.n <> 0)::int
                     END AS line,
                     CASE WHEN k < 5 THEN s.account_id END AS account_id,
                     CASE k WHEN 1 THEN 'debt:principal'::ledger_account
                            WHEN 2 THEN 'debt:interest'::ledger_account
                            WHEN 3 THEN 'debt:fees'::ledger_account
                            WHEN 4 THEN 'debt:penalty'::ledger_account
                            ELSE 'client:placed'::ledger_account
                     END AS ledger_account,
                     CASE k WHEN 1 THEN s.p WHEN 2 THEN s.i WHEN 3 THEN s.f WHEN 4 THEN s.n
                            ELSE -(s.p + s.i + s.f + s.n)
                     END AS amount,
                     k
                FROM src s CROSS JOIN generate_series(1, 5) AS k) v
       WHERE v.amount <> 0
       ORDER BY v.entry_id, v.k)
    -- the data-modifying CTEs run to completion whether or not they are read
    SELECT count(*)::bigint AS entries,
           sum(2 + (p <> 0)::int + (i <> 0)::int + (f <> 0)::int + (n <> 0)::int - 1)::bigint AS postings,
           sum(p + i + f + n)::bigint AS total
      FROM src`.execute(trx);
  const row = result.rows[0];
  return {
    entries: Number(row?.entries ?? 0n),
    postings: Number(row?.postings ?? 0n),
    placedTotalMinor: row?.total ?? 0n,
  };
}
