/**
 * Vitest global setup: decides which PostgreSQL server the suite runs against.
 * - DATABASE_URL set: that server (CI's second pass uses the machine's server on 127.0.0.1:5432).
 * - unset: the embedded PostgreSQL, started through the program's own code path in a fresh
 *   HUIKUAN_HOME, and stopped at the end.
 * It then migrates one template database for this run; each test file gets its own copy of it
 * (test/db.ts: CREATE DATABASE … TEMPLATE, a quarter of a second instead of running every migration
 * again, one to five seconds per file on a loaded machine).
 *
 * The test databases are dropped here, at the end of the run, not by each file: DROP DATABASE makes
 * the server checkpoint (flush every dirty buffer of every database), which stalled the other worker's
 * tests once per file. On the embedded server nothing is dropped: its whole data directory goes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { withDefaultUser } from '../src/db/connection.ts';
import { acquireEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { admin, withDatabase } from './admin.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    serverKind: 'embedded' | 'external';
    /** The migrated database each test database is copied from. */
    templateDatabase: string;
    /** Names of this run's test databases start with it (test/db.ts), so the teardown finds them. */
    databasePrefix: string;
  }
}

/** A run's databases carry the run's start (base 36 seconds) so that a later run can tell stale ones. */
const runStamp = Math.floor(Date.now() / 1000).toString(36);
const runId = `${runStamp}_${randomBytes(3).toString('hex')}`;
const staleAfter_s = 24 * 3600;

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  let serverUrl: string;
  let stop: () => Promise<void>;
  if (external) {
    serverUrl = withDefaultUser(external);
    project.provide('serverKind', 'external');
    stop = () => dropRun(serverUrl);
  } else {
    const home = mkdtempSync(path.join(tmpdir(), 'huikuan-test-'));
    const server = await acquireEmbedded(home);
    serverUrl = server.url;
    project.provide('serverKind', 'embedded');
    stop = async () => {
      await server.release();
      rmSync(home, { recursive: true, force: true });
    };
  }
  project.provide('serverUrl', serverUrl);
  try {
    if (external) await dropStale(serverUrl);
    const template = `huikuan_tpl_${runId}`;
    await createTemplate(serverUrl, template);
    project.provide('templateDatabase', template);
    project.provide('databasePrefix', `huikuan_t_${runId}_`);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

async function createTemplate(serverUrl: string, name: string): Promise<void> {
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  // A pool of one: when it ends, no session is left on the template (CREATE DATABASE … TEMPLATE
  // refuses a source database that anyone is connected to).
  const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, name), max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

/**
 * This run's template and test databases; sessions a file left open are ended (FORCE). Four at a
 * time: drops that ask for a checkpoint at the same moment share one.
 */
async function dropRun(serverUrl: string): Promise<void> {
  const { rows } = await admin(serverUrl, (client) =>
    client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2',
      [`huikuan\\_t\\_${runId}\\_%`, `huikuan_tpl_${runId}`],
    ),
  );
  const lanes = 4;
  await Promise.all(
    Array.from({ length: lanes }, (_, lane) =>
      admin(serverUrl, async (client) => {
        for (const [index, { datname }] of rows.entries()) {
          if (index % lanes === lane) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
        }
      }),
    ),
  );
}

/**
 * Databases of runs that started more than a day ago and never reached their teardown (a run that was
 * killed). Runs going on now are younger; a database still in use is left alone (no FORCE).
 */
async function dropStale(serverUrl: string): Promise<void> {
  const now_s = Math.floor(Date.now() / 1000);
  await admin(serverUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname ~ '^huikuan_(t|tpl)_[0-9a-z]{6,}_[0-9a-f]{6}(_|$)'",
    );
    for (const { datname } of rows) {
      const started_s = Number.parseInt(datname.split('_')[2] ?? '', 36);
      if (!Number.isFinite(started_s) || now_s - started_s < staleAfter_s) continue;
      await client.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
    }
  });
}
