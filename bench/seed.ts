/**
 * Placed accounts in bulk for the payment benchmark (and large tests), set-based: an approved batch,
 * its debtors and accounts drawn in a few INSERT … SELECT statements with skewed balances (seeded, so
 * deterministic), then the ledger's own placement entries. Not timed by the benchmarks.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import { postPlacementEntries } from '../src/ledger/placement.ts';
import { placementRef } from './generate.ts';

export async function seedPlacedAccounts(
  db: Kysely<Database>,
  options: { clientId: bigint; count: number; seed?: number; refPrefix?: string; currency?: string },
): Promise<{ batchId: bigint; refs: string[] }> {
  const prefix = options.refPrefix ?? 'CC';
  const batchId = await db.transaction().execute(async (trx) => {
    const batch = await trx
      .insertInto('placement_batches')
      .values({
        client_id: options.clientId,
        name: 'bench seed',
        status: 'approved',
        file_name: 'seed.csv',
        file_sha256: `seed-${Date.now()}-${Math.random()}`,
        file_format: 'csv',
        file_encoding: null,
        recall_date: null,
        proposed_by: 'bench-importer',
        decided_by: 'bench-approver',
        decided_at: new Date(),
        reject_reason: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // setseed makes random() repeatable within this transaction's session
    await sql`SELECT setseed(${((options.seed ?? 42) % 1000) / 1000})`.execute(trx);
    await sql`
      CREATE TEMP TABLE bench_seed ON COMMIT DROP AS
      SELECT i,
             nextval(pg_get_serial_sequence('debtors', 'id')) AS debtor_id,
             nextval(pg_get_serial_sequence('accounts', 'id')) AS account_id,
             greatest(10000, round(exp(ln(1200000) + 1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int8 AS p,
             0::int8 AS i_, 0::int8 AS f, 0::int8 AS n,
             date '2022-01-01' + (random() * 1400)::int AS delinquency_date
        FROM generate_series(1, ${options.count}::int) AS i`.execute(trx);
    await sql`
      UPDATE bench_seed SET i_ = (p * random() * 0.25)::int8,
                            f = CASE WHEN random() < 0.6 THEN (random() * 30000)::int8 ELSE 0 END,
                            n = CASE WHEN random() < 0.4 THEN (p * random() * 0.08)::int8 ELSE 0 END`.execute(
      trx,
    );
    await sql`
      INSERT INTO debtors (id, client_id, name)
      OVERRIDING SYSTEM VALUE
      SELECT debtor_id, ${options.clientId}, 'Debtor ' || i FROM bench_seed ORDER BY debtor_id`.execute(trx);
    await sql`
      INSERT INTO accounts (id, client_id, batch_id, debtor_id, client_account_ref, currency, delinquency_date,
                            placed_principal_minor, placed_interest_minor, placed_fees_minor, placed_penalty_minor,
                            principal_minor, interest_minor, fees_minor, penalty_minor)
      OVERRIDING SYSTEM VALUE
      SELECT account_id, ${options.clientId}, ${batch.id}, debtor_id,
             ${prefix} || lpad(i::text, 9, '0'), ${options.currency ?? 'CNY'}, delinquency_date,
             p, i_, f, n, p, i_, f, n
        FROM bench_seed ORDER BY account_id`.execute(trx);
    await postPlacementEntries(trx, {
      batchId: batch.id,
      actor: 'bench-approver',
      effectiveDate: '2025-12-01',
    });
    return batch.id;
  });
  await sql`ANALYZE accounts`.execute(db);
  await sql`ANALYZE journal_entries`.execute(db);
  const refs = Array.from({ length: options.count }, (_, i) => placementRef(i, prefix));
  return { batchId, refs };
}
