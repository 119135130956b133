/**
 * What every benchmark shares: arguments, a fresh database on the configured server (dropped
 * afterwards), the `COPY` floor, RSS sampling, running `huikuan` commands in-process, and the one
 * JSON line each run prints last (performance.md).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildProgram, main } from '../src/cli/main.ts';
import { type Connection, openDatabase } from '../src/db/connection.ts';

export interface BenchArgs {
  size: number;
  seed: number;
  keep: boolean;
  /** times the work is measured, each on a copy of the prepared database (benches that support it) */
  runs: number;
}

/** Most runs one bench makes (each copies the prepared database). */
const maxRuns = 9;

/** `--runs` is accepted only where the bench repeats its timed part (`runs`: true). */
export function parseArgs(args: string[], defaultSize: number, accepts: { runs?: boolean } = {}): BenchArgs {
  const result: BenchArgs = { size: defaultSize, seed: 20260301, keep: false, runs: 1 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = Number(args[++i]);
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${arg} needs a positive whole number`);
      return v;
    };
    if (arg === '--size') result.size = value();
    else if (arg === '--seed') result.seed = value();
    else if (arg === '--keep') result.keep = true;
    else if (arg === '--runs' && accepts.runs) {
      result.runs = value();
      if (result.runs > maxRuns) throw new Error(`--runs is at most ${maxRuns}`);
    } else {
      throw new Error(
        `unknown argument ${arg} (use --size N, --seed N${accepts.runs ? ', --runs N' : ''}, --keep)`,
      );
    }
  }
  return result;
}

export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BenchDatabase extends Connection {
  name: string;
  drop(): Promise<void>;
  /**
   * A copy of the database as it is now (CREATE DATABASE … TEMPLATE, which needs no other session
   * on it: the bench's own idle connections are ended first and reopen on their next query).
   */
  copy(suffix: string): Promise<{ name: string; url: string; drop(): Promise<void> }>;
}

/**
 * A fresh migrated database `huikuan_bench_<random>` on DATABASE_URL's server, else on the
 * embedded one; DATABASE_URL is pointed at it so in-process `huikuan` commands use it too.
 */
export async function benchDatabase(): Promise<BenchDatabase> {
  if (process.env.DATABASE_URL && !process.env.HUIKUAN_DATA_KEY) {
    // the bench database is dropped at the end: a throw-away key for its encrypted PII will do
    process.env.HUIKUAN_DATA_KEY = randomBytes(32).toString('hex');
  }
  const server = await openDatabase({ migrate: false, maxConnections: 2 });
  const name = `huikuan_bench_${randomBytes(5).toString('hex')}`;
  await server.pool.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const previousUrl = process.env.DATABASE_URL;
  process.env.DATABASE_URL = url.toString();
  const connection = await openDatabase({ url: url.toString() });
  return {
    ...connection,
    // the server the bench database lives on (the connection itself names it by URL)
    embedded: server.embedded,
    name,
    copy: async (suffix) => {
      const copyName = `${name}_${suffix}`;
      await server.pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await server.pool.query(`CREATE DATABASE ${copyName} TEMPLATE ${name}`);
      const copyUrl = new URL(url);
      copyUrl.pathname = `/${copyName}`;
      return {
        name: copyName,
        url: copyUrl.toString(),
        drop: async () => {
          await server.pool.query(`DROP DATABASE IF EXISTS ${copyName} WITH (FORCE)`);
        },
      };
    },
    drop: async () => {
      await connection.close();
      await server.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await server.close();
      if (previousUrl === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previousUrl;
    },
  };
}

/** Seconds `COPY` takes to load the CSV file into one plain table of text columns. */
export async function copyFloor(pool: pg.Pool, filePath: string): Promise<number> {
  const handle = await open(filePath, 'r');
  const head = Buffer.alloc(64 * 1024);
  await handle.read(head, 0, head.length, 0);
  await handle.close();
  const header = head.toString('utf8').split('\n')[0] ?? '';
  const columns = header.split(',').length;
  const client = await pool.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_floor');
    await client.query(
      `CREATE TABLE bench_floor (${Array.from({ length: columns }, (_, i) => `c${i + 1} text`).join(', ')})`,
    );
    const started = performance.now();
    await pipeline(
      createReadStream(filePath),
      client.query(copyFrom('COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true)')),
    );
    const seconds = (performance.now() - started) / 1000;
    await client.query('DROP TABLE bench_floor');
    return seconds;
  } finally {
    client.release();
  }
}

/** Samples this process's RSS every 50 ms. */
export function rssSampler(): { stop: () => number } {
  let max = process.memoryUsage.rss();
  const timer = setInterval(() => {
    max = Math.max(max, process.memoryUsage.rss());
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((Math.max(max, process.memoryUsage.rss()) / 1024 / 1024) * 10) / 10;
    },
  };
}

/** Runs a `huikuan` command in-process with --json and returns its parsed output; throws on a failure. */
export async function huikuan(argv: string[]): Promise<Record<string, unknown>> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--json'], {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    interactive: false,
  });
  if (code !== 0) throw new Error(`huikuan ${argv.join(' ')} exited ${code}: ${err.trim()} ${out.trim()}`);
  return JSON.parse(out) as Record<string, unknown>;
}

/**
 * Runs `huikuan` as its own process with --json, sampling its resident memory (worker threads
 * included): the peak is the command's own, not the bench's (which generated the file).
 */
export async function huikuanProcess(
  argv: string[],
  options: { databaseUrl?: string } = {},
): Promise<{ result: Record<string, unknown>; rssMbMax: number }> {
  const bin = fileURLToPath(new URL('../bin/huikuan.js', import.meta.url));
  // the bench's database unless another is named (a copy of it: bench/payments.ts --runs)
  const env = options.databaseUrl ? { ...process.env, DATABASE_URL: options.databaseUrl } : process.env;
  const child = spawn(process.execPath, [bin, ...argv, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  let peakKb = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+)/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // the process has ended, or this system has no /proc
    }
  };
  const timer = setInterval(sample, 100);
  const code = await new Promise<number>((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? 1)));
  clearInterval(timer);
  if (err.trim() !== '') process.stderr.write(err);
  if (code !== 0) throw new Error(`huikuan ${argv.join(' ')} exited ${code}: ${err.trim()} ${out.trim()}`);
  return { result: JSON.parse(out) as Record<string, unknown>, rssMbMax: Math.round(peakKb / 102.4) / 10 };
}

/** Whether the program has `huikuan <group> <name>` (modules land at different times). */
export function hasCommand(group: string, name: string): boolean {
  const program = buildProgram({ stdout: () => {}, stderr: () => {}, interactive: false }, { exitCode: 0 });
  const parent = program.commands.find((command) => command.name() === group);
  return parent?.commands.some((command) => command.name() === name) ?? false;
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Prints the benchmark's one JSON line, last, on stdout. */
export function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
