/**
 * A fresh, migrated database per test file on the suite's server (see global-setup.ts): a copy of the
 * run's migrated template. Use: `const t = await testDatabase();` in beforeAll, `await t.drop()` in
 * afterAll. drop() closes the file's connections; the database itself goes at the end of the run
 * (global-setup.ts), where dropping it costs no test a checkpoint.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Connection, openDatabase, withDefaultUser } from '../src/db/connection.ts';

export interface TestDatabase extends Connection {
  /** Close connections (the run's teardown drops the database). */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function testDatabase(): Promise<TestDatabase> {
  const serverUrl = withDefaultUser(inject('serverUrl'));
  const template = inject('templateDatabase');
  // without a template (a global setup of before it), an empty database, migrated and dropped here
  const name = `${template ? inject('databasePrefix') : 'huikuan_t_'}${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  // openDatabase migrates as the program does at start-up: on a copy of the template, a check only
  const connection = await openDatabase({ url: withDatabase(serverUrl, name) });
  return {
    ...connection,
    drop: async () => {
      await connection.close();
      if (!template) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}
