import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { withClientScope } from './rls.ts';

let t: TestDatabase;
let acme: bigint;
let beta: bigint;
beforeAll(async () => {
  t = await testDatabase();
  ({ clientId: acme } = await createClient(t.db, 'ACME'));
  ({ clientId: beta } = await createClient(t.db, 'BETA'));
  await placeAccounts(t.db, acme, [
    { ref: 'A-1', principal: 100_00n },
    { ref: 'A-2', principal: 200_00n },
  ]);
  await placeAccounts(t.db, beta, [{ ref: 'B-1', principal: 300_00n }]);
});
afterAll(async () => {
  await t?.drop();
});

const tables = ['accounts', 'debtors', 'journal_entries', 'postings', 'placement_batches'] as const;

async function clientsSeen(trx: Parameters<Parameters<typeof withClientScope>[2]>[0]) {
  const seen: Record<string, bigint[]> = {};
  for (const table of tables) {
    // no WHERE clause on the client: the database's policy is all that separates them
    const rows = await sql<{
      client_id: bigint;
    }>`SELECT DISTINCT client_id FROM ${sql.table(table)} ORDER BY 1`.execute(trx);
    seen[table] = rows.rows.map((r) => r.client_id);
  }
  return seen;
}

describe('row-level security by client scope', () => {
  it('a query that forgets its scope still sees only the principal’s clients', async () => {
    const seen = await withClientScope(t.db, { clientIds: [acme] }, clientsSeen);
    for (const table of tables) expect(seen[table], table).toEqual([acme]);
    const count = await withClientScope(t.db, { clientIds: [beta] }, (trx) =>
      trx.selectFrom('accounts').select(['client_account_ref']).execute(),
    );
    expect(count.map((r) => r.client_account_ref)).toEqual(['B-1']);
  });

  it("'all' sees every client; an empty scope sees none", async () => {
    const all = await withClientScope(t.db, { clientIds: 'all' }, clientsSeen);
    for (const table of tables) expect(all[table], table).toEqual([acme, beta]);
    const none = await withClientScope(t.db, { clientIds: [] }, clientsSeen);
    for (const table of tables) expect(none[table], table).toEqual([]);
  });

  it('refuses writing a row of another client, and changing rows it cannot see does nothing', async () => {
    await expect(
      withClientScope(t.db, { clientIds: [acme] }, (trx) =>
        trx.insertInto('debtors').values({ client_id: beta, name: 'Sneaky' }).execute(),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await withClientScope(t.db, { clientIds: [acme] }, (trx) =>
      trx.updateTable('accounts').set({ notes: 'touched' }).where('client_id', '=', beta).executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(0n);
  });

  it('runs as huikuan_app only inside the transaction; the connection is the owner again afterwards', async () => {
    const inside = await withClientScope(t.db, { clientIds: [acme] }, async (trx) => {
      const r = await sql<{
        u: string;
        s: string;
      }>`SELECT current_user AS u, current_setting('huikuan.client_scope') AS s`.execute(trx);
      return r.rows[0];
    });
    expect(inside).toEqual({ u: 'huikuan_app', s: String(acme) });
    // outside (the CLI and jobs): unset scope, the owner's role, every row
    const rows = await t.db.selectFrom('accounts').select('client_id').execute();
    expect(new Set(rows.map((r) => r.client_id))).toEqual(new Set([acme, beta]));
    const user = await sql<{ u: string }>`SELECT current_user AS u`.execute(t.db);
    expect(user.rows[0]?.u).not.toBe('huikuan_app');
  });

  it('evaluates the scope once per query (an InitPlan), not once per row', async () => {
    const plan = await withClientScope(t.db, { clientIds: [acme] }, async (trx) => {
      const rows = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT * FROM accounts`.execute(trx);
      return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/InitPlan/);
    expect(plan).not.toMatch(/current_setting/);
  });
});
