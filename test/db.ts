/**
 * A fresh, migrated database per test file on the suite's server (see global-setup.ts), dropped
 * afterwards. Use: `const t = await testDatabase();` in beforeAll, `await t.drop()` in afterAll.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Connection, openDatabase, withDefaultUser } from '../src/db/connection.ts';

export interface TestDatabase extends Connection {
  /** Close connections and drop the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function testDatabase(): Promise<TestDatabase> {
  const serverUrl = withDefaultUser(inject('serverUrl'));
  const name = `huikuan_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const connection = await openDatabase({ url });
  return {
    ...connection,
    drop: async () => {
      await connection.close();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
