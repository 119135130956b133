/**
 * `npm run bench -- payments [--size N] [--runs N]` (default 20,000; the target is measured at
 * 200,000): a payment file of N rows (a few per cent bad) against N/2 accounts placed and vacuumed
 * first (not timed), imported through `huikuan import payments` run as its own process (seconds: the
 * import's own time; process_seconds includes the process's start); the floor is `COPY` of the same
 * file into one plain table, measured before each run. With --runs N the file is imported N times,
 * each into its own copy of the prepared database, and the median run is reported with every run's
 * seconds (`seconds_each`; of an even number of runs, the slower middle one). Target: ≥ 25,000 payments/s.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/connection.ts';
import {
  benchDatabase,
  copyFloor,
  huikuan,
  huikuanProcess,
  log,
  parseArgs,
  report,
  round,
  tempDir,
} from './common.ts';
import { writePaymentFile } from './generate.ts';
import { seedPlacedAccounts } from './seed.ts';

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args, 20_000, { runs: true });
  const temp = tempDir();
  const db = await benchDatabase();
  log(`database ${db.name}${db.embedded ? ' (embedded server)' : ''}`);
  try {
    await huikuan([
      'client',
      'add',
      '--code',
      'BENCH',
      '--name',
      '基准测试客户',
      '--commission',
      '0-90:1500,91-180:2500,181-:3500',
      '--effective',
      '2020-01-01',
      '--user',
      'bench',
    ]);
    const client = await db.db
      .selectFrom('clients')
      .select('id')
      .where('code', '=', 'BENCH')
      .executeTakeFirstOrThrow();
    const accounts = Math.max(100, Math.floor(options.size / 2));
    log(`placing ${accounts} accounts (not timed)`);
    const { refs } = await seedPlacedAccounts(db.db, {
      clientId: client.id,
      count: accounts,
      seed: options.seed,
    });
    const file = path.join(temp.dir, `payments-${options.size}.csv`);
    log(`writing ${options.size} payments to ${file}`);
    const generated = await writePaymentFile(file, { rows: options.size, refs, seed: options.seed });
    // The placed accounts settled as a live database's are (the import comes long after the
    // placement): vacuumed now rather than by an autovacuum worker that would visit the new tables
    // while the import is timed, as bench/api.ts does.
    await sql`VACUUM (ANALYZE)`.execute(db.db);
    await sql`CHECKPOINT`.execute(db.db).catch(() => {});
    // Each run imports the file into its own copy of the prepared database (a single run, into the
    // database itself); the report is the median run's, with every run's seconds beside it, as the
    // machine's speed drifts by a quarter within minutes.
    const runs: Measured[] = [];
    for (let index = 0; index < options.runs; index++) {
      log('floor: COPY of the file into a plain table');
      const floor = await copyFloor(db.pool, file);
      const target = options.runs === 1 ? null : await db.copy(`r${index + 1}`);
      log(`floor ${round(floor)} s; importing${target ? ` into ${target.name}` : ''}`);
      try {
        runs.push({ floor, ...(await importOnce(file, target?.url ?? db.url)) });
      } finally {
        await target?.drop();
      }
      const last = runs.at(-1) as Measured;
      log(
        `posted ${last.result.posted}, duplicates ${last.result.duplicates}, rejected ${last.result.rejected} in ${round(last.seconds)} s`,
      );
    }
    // the middle run (of an even number, the slower of the two middle ones)
    const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)] as Measured;
    const result = median.result;
    report({
      bench: 'payments',
      size: options.size,
      seconds: round(median.seconds),
      per_second: Math.round(options.size / median.seconds),
      floor_seconds: round(median.floor),
      ratio: round(median.seconds / median.floor, 2),
      rss_mb_max: Math.max(...runs.map((r) => r.rssMbMax)),
      process_seconds: round(median.processSeconds),
      read_seconds: (result.seconds as { read: number }).read,
      post_seconds: (result.seconds as { post: number }).post,
      ...(runs.length > 1 ? { runs: runs.length, seconds_each: runs.map((r) => round(r.seconds)) } : {}),
      posted: result.posted,
      duplicates: result.duplicates,
      rejected: result.rejected,
      bad_rows_generated: generated.badRows,
      payment_entries: median.paymentEntries,
      accounts,
      server: db.embedded ? 'embedded' : 'DATABASE_URL',
    });
    return 0;
  } finally {
    if (!options.keep) await db.drop();
    temp.remove();
  }
}

interface Measured {
  floor: number;
  seconds: number;
  processSeconds: number;
  rssMbMax: number;
  result: Record<string, unknown>;
  paymentEntries: number;
}

/**
 * One import of the file through `huikuan import payments` in its own process against the database at
 * `url`: its peak RSS is the import's, not the bench's (which generated the file); the time is the
 * import's own, process_seconds adds the process's start (loading the TypeScript sources), which
 * does not grow with the file.
 */
async function importOnce(file: string, url: string): Promise<Omit<Measured, 'floor'>> {
  const started = performance.now();
  const run = await huikuanProcess(['import', 'payments', file, '--client', 'BENCH', '--user', 'bench'], {
    databaseUrl: url,
  });
  const processSeconds = (performance.now() - started) / 1000;
  const checked = await openDatabase({ url, migrate: false, maxConnections: 1 });
  try {
    const check = await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM journal_entries WHERE kind IN ('payment', 'direct_payment')`.execute(
      checked.db,
    );
    return {
      seconds: (run.result.seconds as { total: number }).total,
      processSeconds,
      rssMbMax: run.rssMbMax,
      result: run.result,
      paymentEntries: Number(check.rows[0]?.n ?? 0),
    };
  } finally {
    await checked.close();
  }
}
