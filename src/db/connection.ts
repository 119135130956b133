import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { HuikuanError } from '../shared/errors.ts';
import { acquireEmbedded } from './embedded.ts';
import { migrate } from './migrate.ts';
import type { Database } from './schema.ts';

// int8 → bigint (money is bigint end to end); date → 'YYYY-MM-DD' string (business dates carry no
// time and no zone); numeric stays a string (exact decimals).
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

export type Db = Kysely<Database>;

/**
 * Runs `work` in the caller's transaction when there is one (a route's client-scoped transaction,
 * where opening another would fail), else in a new one.
 */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

// The pool behind each database handle openDatabase made, for what Kysely cannot do: COPY.
const pools = new WeakMap<Db, pg.Pool>();

/** The node-postgres pool behind `db` (a handle openDatabase returned, not a transaction), for COPY. */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

export interface Connection {
  db: Db;
  pool: pg.Pool;
  url: string;
  /** True when the program started (or attached to) its own embedded server. */
  embedded: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Explicit server URL; default DATABASE_URL, else the embedded server of HUIKUAN_HOME. */
  url?: string;
  /** Apply pending migrations (default true: the program migrates at start-up). */
  migrate?: boolean;
  maxConnections?: number;
}

const statementTimeout_ms = 15 * 60_000;
const connectTimeout_ms = 10_000;

export async function openDatabase(options: OpenOptions = {}): Promise<Connection> {
  const configured = options.url ?? process.env.DATABASE_URL;
  const embedded = configured ? null : await acquireEmbedded();
  const url = withDefaultUser(configured ?? embedded?.url ?? '');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectTimeout_ms,
    statement_timeout: statementTimeout_ms,
    application_name: 'huikuan',
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  pool.on('connect', preparesMarkedStatements);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  const close = async () => {
    await db.destroy();
    await embedded?.release();
  };
  try {
    await pool.query('SELECT 1');
    if (options.migrate !== false) await migrate(pool);
  } catch (error) {
    await close();
    if (error instanceof HuikuanError) throw error;
    throw new HuikuanError(
      'database_unavailable',
      `Cannot use the database at ${redactUrl(url)}: ${(error as Error).message}. Check DATABASE_URL, or unset it to use the embedded PostgreSQL.`,
      undefined,
      { cause: error },
    );
  }
  return { db, pool, url, embedded: embedded !== null, close };
}

/**
 * A statement whose text starts with `/* prepare:NAME *\/` (see `preparedSql`) is sent as a named
 * prepared statement: each connection parses and plans it once and then only executes it, and after
 * a few executions PostgreSQL may keep one generic plan. For hot statements whose plan does not
 * depend on their parameters (an account's timeline, a union of a dozen tables under row-level
 * security, spent ≈ 2.3 ms planning and 0.6 ms executing). The name carries a hash of the text,
 * so two texts never share a name; the statements a connection keeps are the few marked ones.
 */
export function preparesMarkedStatements(client: pg.PoolClient): void {
  const marked = client as pg.PoolClient & { [preparedMark]?: true };
  if (marked[preparedMark]) return;
  marked[preparedMark] = true;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text === 'string' && text.startsWith('/* prepare:')) {
      const label = text.slice(11, text.indexOf('*/')).trim();
      const name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
      return callback === undefined ? query({ name, text, values }) : query({ name, text, values }, callback);
    }
    return query(...args);
  };
}

const preparedMark = Symbol('huikuan.prepared');

/**
 * libpq takes the operating-system user when a URL names none; node-postgres reads $USER, which
 * services and CI may not set. Fill the user in the way libpq would.
 */
export function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username === '') {
    parsed.username = process.env.PGUSER ?? userInfo().username;
    return parsed.toString();
  }
  return url;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
