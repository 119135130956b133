/**
 * `npm run bench -- payments [--size N]` (default 20,000; the target is measured at 200,000):
 * a payment file of N rows (a few per cent bad) against N/2 accounts placed and vacuumed first (not timed),
 * imported through `huikuan import payments` run as its own process (seconds: the import's own
 * time; process_seconds includes the process's start); the floor is `COPY` of the same file into one
 * plain table. Target: ≥ 25,000 payments/s.
 */
import path from 'node:path';
import { sql } from 'kysely';
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
  const options = parseArgs(args, 20_000);
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
    log('floor: COPY of the file into a plain table');
    const floor = await copyFloor(db.pool, file);
    log(`floor ${round(floor)} s; importing`);
    // its own process, so the peak RSS is the import's, not the bench's (which generated the file);
    // the time is the import's own (as when it ran in this process), process_seconds adds the
    // process's start (loading the TypeScript sources), which does not grow with the file
    const started = performance.now();
    const run = await huikuanProcess(['import', 'payments', file, '--client', 'BENCH', '--user', 'bench']);
    const processSeconds = (performance.now() - started) / 1000;
    const result = run.result;
    const seconds = (result.seconds as { total: number }).total;
    const rssMax = run.rssMbMax;
    const check = await sql<{
      n: bigint;
    }>`SELECT count(*) AS n FROM journal_entries WHERE kind IN ('payment', 'direct_payment')`.execute(db.db);
    log(
      `posted ${result.posted}, duplicates ${result.duplicates}, rejected ${result.rejected} in ${round(seconds)} s`,
    );
    report({
      bench: 'payments',
      size: options.size,
      seconds: round(seconds),
      per_second: Math.round(options.size / seconds),
      floor_seconds: round(floor),
      ratio: round(seconds / floor, 2),
      rss_mb_max: rssMax,
      process_seconds: round(processSeconds),
      read_seconds: (result.seconds as { read: number }).read,
      post_seconds: (result.seconds as { post: number }).post,
      posted: result.posted,
      duplicates: result.duplicates,
      rejected: result.rejected,
      bad_rows_generated: generated.badRows,
      payment_entries: Number(check.rows[0]?.n ?? 0),
      accounts,
      server: db.embedded ? 'embedded' : 'DATABASE_URL',
    });
    return 0;
  } finally {
    if (!options.keep) await db.drop();
    temp.remove();
  }
}
