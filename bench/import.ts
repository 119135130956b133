/**
 * `npm run bench -- import [--size N]` (default 100,000; the target is measured at 1,000,000):
 * a placement file of N rows (a few per cent bad), imported with `huikuan import placements` and
 * approved with `huikuan batch approve` — file to live accounts with debtors, contact points and
 * placement entries. The floor is `COPY` of the same file into one plain table of text columns.
 * Target: ≤ 8 × floor.
 */
import path from 'node:path';
import { sql } from 'kysely';
import {
  benchDatabase,
  copyFloor,
  hasCommand,
  huikuan,
  huikuanProcess,
  log,
  parseArgs,
  report,
  round,
  tempDir,
} from './common.ts';
import { writePlacementFile } from './generate.ts';

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args, 100_000);
  if (!hasCommand('import', 'placements') || !hasCommand('batch', 'approve')) {
    process.stderr.write('huikuan has no "import placements" / "batch approve" yet; nothing to measure.\n');
    return 1;
  }
  const temp = tempDir();
  const file = path.join(temp.dir, `placements-${options.size}.csv`);
  log(`writing ${options.size} placement rows to ${file}`);
  const generated = await writePlacementFile(file, { rows: options.size, seed: options.seed });
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
      '--effective',
      '2020-01-01',
      '--user',
      'bench',
    ]);
    await sql`CHECKPOINT`.execute(db.db).catch(() => {});
    log('floor: COPY of the file into a plain table');
    const floor = await copyFloor(db.pool, file);
    log(`floor ${round(floor)} s; importing`);
    const started = performance.now();
    // each command in its own process, as a user runs it: its peak memory is its own
    const importRun = await huikuanProcess([
      'import',
      'placements',
      file,
      '--client',
      'BENCH',
      '--user',
      'bench-importer',
    ]);
    const imported = importRun.result;
    const importSeconds = (performance.now() - started) / 1000;
    log(
      `imported in ${round(importSeconds)} s: ${imported.accepted} accepted, ${imported.rejected} rejected, ${imported.duplicates} duplicates; approving`,
    );
    const approveStarted = performance.now();
    const approveRun = await huikuanProcess([
      'batch',
      'approve',
      String(imported.batch_id),
      '--user',
      'bench-approver',
    ]);
    const approveSeconds = (performance.now() - approveStarted) / 1000;
    const seconds = (performance.now() - started) / 1000;
    const counts = await sql<{ accounts: bigint; debtors: bigint; contacts: bigint; entries: bigint }>`
      SELECT (SELECT count(*) FROM accounts WHERE status = 'active') AS accounts,
             (SELECT count(*) FROM debtors) AS debtors,
             (SELECT count(*) FROM contact_points) AS contacts,
             (SELECT count(*) FROM journal_entries WHERE kind = 'placement') AS entries`.execute(db.db);
    const c = counts.rows[0];
    log(`approved in ${round(approveSeconds)} s`);
    report({
      bench: 'import',
      size: options.size,
      seconds: round(seconds),
      per_second: Math.round(options.size / seconds),
      floor_seconds: round(floor),
      ratio: round(seconds / floor, 2),
      rss_mb_max: Math.max(importRun.rssMbMax, approveRun.rssMbMax),
      import_rss_mb_max: importRun.rssMbMax,
      approve_rss_mb_max: approveRun.rssMbMax,
      import_seconds: round(importSeconds),
      approve_seconds: round(approveSeconds),
      accepted: imported.accepted,
      rejected: imported.rejected,
      duplicates: imported.duplicates,
      bad_rows_generated: generated.badRows,
      live_accounts: Number(c?.accounts ?? 0),
      debtors: Number(c?.debtors ?? 0),
      contact_points: Number(c?.contacts ?? 0),
      placement_entries: Number(c?.entries ?? 0),
      server: db.embedded ? 'embedded' : 'DATABASE_URL',
    });
    return 0;
  } finally {
    if (!options.keep) await db.drop();
    temp.remove();
  }
}
