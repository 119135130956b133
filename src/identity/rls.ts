/**
 * Row-level security as a second line of defence: work runs in a transaction as the role huikuan_app
 * with huikuan.client_scope set from the principal, so PostgreSQL itself hides other clients' rows of
 * accounts, debtors, contact_points, journal_entries, postings and placement_batches even when a
 * query forgets its WHERE clause (migrations/0005_identity_rls.sql).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Principal } from './principal.ts';

export function scopeSetting(clientIds: bigint[] | 'all'): string {
  if (clientIds === 'all') return 'all';
  if (clientIds.length === 0) return 'none';
  return clientIds.map(String).join(',');
}

export async function withClientScope<T>(
  db: Kysely<Database>,
  principal: Pick<Principal, 'clientIds'>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    // SET LOCAL ROLE and the scope in one statement (set_config('role', …, true) is SET LOCAL ROLE):
    // every request runs this, and each round trip costs both processes CPU
    await sql`SELECT set_config('role', 'huikuan_app', true),
                     set_config('huikuan.client_scope', ${scopeSetting(principal.clientIds)}, true)`.execute(
      trx,
    );
    return work(trx);
  });
}
