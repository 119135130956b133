/**
 * Forward-only SQL migrations: every file `migrations/NNNN_name.sql` runs once, in order, in its own
 * transaction, and is recorded in `schema_migrations` with its checksum. An applied file that was
 * later edited is refused (migrations are history; write a new one). An advisory lock lets several
 * processes start at once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { HuikuanError } from '../shared/errors.ts';

export const migrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'migrations',
);
const lockKey = 7_303_011_955; // any constant shared by all huikuan processes

export interface MigrationResult {
  applied: string[];
  current: string | null;
}

export async function migrate(pool: pg.Pool): Promise<MigrationResult> {
  const files = readdirSync(migrationsDir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Map(
      (
        await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations')
      ).rows.map((row) => [row.name, row.checksum]),
    );
    for (const name of files) {
      const sql = readFileSync(path.join(migrationsDir, name), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = done.get(name);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new HuikuanError(
            'invalid_state',
            `Migration ${name} was changed after it was applied to this database. Migrations are forward-only: restore the file and add a new migration instead.`,
          );
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          name,
          checksum,
        ]);
        await client.query('COMMIT');
        applied.push(name);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new HuikuanError(
          'internal',
          `Migration ${name} failed: ${(error as Error).message}`,
          undefined,
          {
            cause: error,
          },
        );
      }
    }
    return { applied, current: files.at(-1) ?? null };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => {});
    client.release();
  }
}
