/**
 * Placement entries (ledger.md event 1), set-based: one `placement` journal entry per account of a
 * batch, Dr `debt:{account}:{component}` for every non-zero component and Cr `client:{client}:placed`
 * for the total. The placements module calls this inside its approval transaction, after it has
 * inserted the batch's accounts with cached balances equal to the placed amounts.
 *
 * Two statements whatever the batch size: the entries (ids drawn from the identity sequence in the
 * same statement, so the postings need no join back) and all their postings in ONE insert, which is
 * what the statement-level balance trigger checks.
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
  // Draw one entry id per account from the identity sequence and keep them in a temporary table,
  // so entries and postings are two plain INSERT … SELECT statements.
  await sql`
    CREATE TEMP TABLE IF NOT EXISTS ledger_placement_stage (
      entry_id bigint, client_id bigint, account_id bigint, currency char(3),
      p bigint, i bigint, f bigint, n bigint
    ) ON COMMIT DROP`.execute(trx);
  await sql`TRUNCATE ledger_placement_stage`.execute(trx);
  await sql`
    INSERT INTO ledger_placement_stage
    SELECT nextval(pg_get_serial_sequence('journal_entries', 'id')), a.client_id, a.id, a.currency,
           a.placed_principal_minor, a.placed_interest_minor, a.placed_fees_minor, a.placed_penalty_minor
      FROM accounts a
     WHERE a.batch_id = ${input.batchId}
       AND a.placed_principal_minor + a.placed_interest_minor + a.placed_fees_minor + a.placed_penalty_minor > 0
     ORDER BY a.id`.execute(trx);
  const entries = await sql`
    INSERT INTO journal_entries (id, client_id, account_id, kind, currency, effective_date, source, created_by)
    OVERRIDING SYSTEM VALUE
    SELECT entry_id, client_id, account_id, 'placement', currency, ${input.effectiveDate}::date,
           ${`batch:${input.batchId}`}, ${input.actor}
      FROM ledger_placement_stage
     ORDER BY entry_id`.execute(trx);
  // Lines are numbered 1..n without gaps (ledger check reads a gap as a removed posting).
  const postings = await sql`
    INSERT INTO postings (entry_id, line, client_id, account_id, ledger_account, amount_minor)
    SELECT s.entry_id, v.line, s.client_id, v.account_id, v.ledger_account::ledger_account, v.amount
      FROM ledger_placement_stage s
     CROSS JOIN LATERAL (VALUES
       (1, s.account_id, 'debt:principal', s.p),
       (1 + (s.p <> 0)::int, s.account_id, 'debt:interest', s.i),
       (1 + (s.p <> 0)::int + (s.i <> 0)::int, s.account_id, 'debt:fees', s.f),
       (1 + (s.p <> 0)::int + (s.i <> 0)::int + (s.f <> 0)::int, s.account_id, 'debt:penalty', s.n),
       (1 + (s.p <> 0)::int + (s.i <> 0)::int + (s.f <> 0)::int + (s.n <> 0)::int, NULL::bigint,
        'client:placed', -(s.p + s.i + s.f + s.n))
     ) AS v(line, account_id, ledger_account, amount)
     WHERE v.amount <> 0`.execute(trx);
  const total = await sql<{ total: bigint | null }>`
    SELECT sum(p + i + f + n)::bigint AS total FROM ledger_placement_stage`.execute(trx);
  await sql`TRUNCATE ledger_placement_stage`.execute(trx);
  return {
    entries: Number(entries.numAffectedRows ?? 0n),
    postings: Number(postings.numAffectedRows ?? 0n),
    placedTotalMinor: total.rows[0]?.total ?? 0n,
  };
}
