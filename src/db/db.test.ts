import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe('database', () => {
  it('parses int8 as bigint and dates as YYYY-MM-DD', async () => {
    const result = await sql<{
      big: bigint;
      day: string;
    }>`SELECT 9007199254740993::int8 AS big, DATE '2026-03-01' AS day`.execute(t.db);
    expect(result.rows[0]).toEqual({ big: 9007199254740993n, day: '2026-03-01' });
  });

  it('sends statements marked /* prepare:NAME */ as named prepared statements, others as before', async () => {
    // one connection, so the session's prepared statements are the ones this test made
    const rows = await t.db.connection().execute(async (db) => {
      for (const n of [1, 2, 3]) {
        const marked = await sql<{ n: number }>`/* prepare:db_test */ SELECT ${n}::int AS n`.execute(db);
        expect(marked.rows).toEqual([{ n }]);
      }
      await sql`SELECT 1 AS plain`.execute(db);
      return (
        await sql<{
          name: string;
          statement: string;
        }>`SELECT name, statement FROM pg_prepared_statements`.execute(db)
      ).rows;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.name).toMatch(/^db_test_[0-9a-f]{12}$/);
    expect(rows[0]?.statement).toContain('SELECT $1::int AS n');
  });

  it('refuses UPDATE, DELETE and TRUNCATE on postings and entries', async () => {
    const client = await t.db
      .insertInto('clients')
      .values({ code: 'C1', name: 'c', created_by: 'u' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entry = await t.db
      .insertInto('journal_entries')
      .values({
        client_id: client.id,
        kind: 'remittance',
        currency: 'CNY',
        effective_date: '2026-01-01',
        created_by: 'u',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('postings')
      .values([
        {
          entry_id: entry.id,
          line: 1,
          client_id: client.id,
          ledger_account: 'client:payable',
          amount_minor: 100n,
        },
        {
          entry_id: entry.id,
          line: 2,
          client_id: client.id,
          ledger_account: 'trust:bank',
          amount_minor: -100n,
        },
      ])
      .execute();
    await expect(t.db.updateTable('postings').set({ amount_minor: 5n }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.deleteFrom('postings').execute()).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE postings`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom('journal_entries').execute()).rejects.toThrow(/append-only/);
  });

  it('refuses an unbalanced entry', async () => {
    const client = await t.db
      .insertInto('clients')
      .values({ code: 'C2', name: 'c', created_by: 'u' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entry = await t.db
      .insertInto('journal_entries')
      .values({
        client_id: client.id,
        kind: 'remittance',
        currency: 'CNY',
        effective_date: '2026-01-01',
        created_by: 'u',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(
      t.db
        .insertInto('postings')
        .values([
          {
            entry_id: entry.id,
            line: 1,
            client_id: client.id,
            ledger_account: 'client:payable',
            amount_minor: 100n,
          },
          {
            entry_id: entry.id,
            line: 2,
            client_id: client.id,
            ledger_account: 'trust:bank',
            amount_minor: -99n,
          },
        ])
        .execute(),
    ).rejects.toThrow(/does not balance/);
  });

  it('compares account references and external ids byte by byte, whatever the database collation', async () => {
    // migration 0046: their indexes are probed hundreds of thousands of times per payment import, and
    // under a language collation each comparison went through strcoll
    const columns = await sql<{ table_name: string; column_name: string; collation_name: string | null }>`
      SELECT table_name, column_name, collation_name FROM information_schema.columns
       WHERE table_schema = 'public'
         AND (table_name, column_name) IN (('accounts', 'client_account_ref'), ('journal_entries', 'external_id'),
                                           ('payment_import_rows', 'external_id'), ('placement_rows', 'client_account_ref'))
       ORDER BY table_name`.execute(t.db);
    expect(columns.rows.map((c) => `${c.table_name}.${c.column_name} ${c.collation_name}`)).toEqual([
      'accounts.client_account_ref C',
      'journal_entries.external_id C',
      'payment_import_rows.external_id C',
      'placement_rows.client_account_ref C',
    ]);
  });
});
