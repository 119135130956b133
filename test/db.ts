/**
 * A fresh, migrated database per test file on the suite's server (see global-setup.ts): a copy of the
 * run's migrated template. Use: `const t = await testDatabase();` in beforeAll, `await t.drop()` in
 * afterAll. drop() closes the file's connections; the database itself goes at the end of the run
 * (global-setup.ts), where dropping it costs no test a checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type Connection, openDatabase, withDefaultUser } from '../src/db/connection.ts';
import { admin, withDatabase } from './admin.ts';

export interface TestDatabase extends Connection {
  /** Close connections (the run's teardown drops the database). */
  drop(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase> {
  const provided = inject('serverUrl');
  const template = inject('templateDatabase');
  if (!provided || !template) {
    // Only test/global-setup.ts provides these; a runner without it has no server and no template.
    throw new Error(
      "No test database server or template: test/global-setup.ts did not run. Run the tests through vitest with this repository's vitest.config.ts (npx vitest run <file>), whose global setup starts the server and migrates the template.",
    );
  }
  const serverUrl = withDefaultUser(provided);
  const name = `${inject('databasePrefix')}${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  // openDatabase migrates as the program does at start-up: on a copy of the template, a check only
  const connection = await openDatabase({ url: withDatabase(serverUrl, name) });
  return { ...connection, drop: () => connection.close() };
}
