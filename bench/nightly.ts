/**
 * `npm run bench -- nightly [--size N] [--workers W]` (default 1,000,000 accounts, 2 workers: W
 * partitions at once, `runStrategy`'s `parallel`, as `huikuan strategy run --parallel W`): the
 * nightly run (src/strategy) over N live accounts of two clients, seeded set-based (not timed), at
 * N/10 and then at N, each in a fresh database. Per size: the floor — a full-table `UPDATE` of one
 * column of accounts (performance.md) — then the first night (every account gets its first DPD and
 * bucket: a history row each) and the next night (DPD + 1; only accounts crossing a bucket boundary
 * get a history row). Both nights run the demo agency's approved strategy (segment, arm, treatment
 * steps, one decision-log row per account) and evaluate the agents' promises (one account in 20) and
 * plans (one in 50), none paid. Tables are vacuumed and checkpointed before each timed statement so each starts
 * from the same state. Target: ≤ 30 s at 1,000,000. `seconds` is the slower night. `--scores` adds
 * an agency-wide champion and a challenger scorecard, so both nights also score every account.
 */
import { sql } from 'kysely';
import type { Db } from '../src/db/connection.ts';
import { demoStrategy } from '../src/demo/strategy.ts';
import { approveModel, promoteModel, proposeModel } from '../src/risk/platform/registry.ts';
import { testModel } from '../src/risk/platform/test-model.ts';
import { addDays } from '../src/shared/dates.ts';
import { defaultParallel, type RunResult, runStrategy } from '../src/strategy/service.ts';
import { benchDatabase, huikuan, log, report, round, rssSampler } from './common.ts';
import { seedPlacedAccounts } from './seed.ts';

const firstNight = '2026-03-02';
const targetSeconds = 30;

interface Measured {
  size: number;
  floor: number;
  first: number;
  next: number;
  firstResult: RunResult;
  nextResult: RunResult;
  rss: number;
}

export async function run(args: string[]): Promise<number> {
  let size = 1_000_000;
  let workers = defaultParallel;
  let seed = 20260301;
  let scores = false;
  for (let i = 0; i < args.length; i++) {
    const value = Number(args[i + 1]);
    if (args[i] === '--scores') {
      scores = true;
      continue;
    }
    if (args[i] === '--size' && Number.isSafeInteger(value) && value >= 20) size = value;
    else if (args[i] === '--workers' && Number.isSafeInteger(value) && value >= 1) workers = value;
    else if (args[i] === '--seed' && Number.isSafeInteger(value)) seed = value;
    else throw new Error(`bad argument ${args[i]} (use --size N ≥ 20, --workers W, --seed N, --scores)`);
    i++;
  }
  const small = await measure(Math.floor(size / 10), workers, seed, scores);
  const large = await measure(size, workers, seed, scores);
  const seconds = Math.max(large.first, large.next);
  report({
    bench: 'nightly',
    size,
    seconds: round(seconds),
    per_second: Math.round(size / seconds),
    floor_seconds: round(large.floor),
    ratio: round(seconds / large.floor, 2),
    rss_mb_max: Math.max(small.rss, large.rss),
    target_seconds: targetSeconds,
    met: seconds <= targetSeconds,
    workers,
    scores,
    first_night_seconds: round(large.first),
    next_night_seconds: round(large.next),
    partitions: large.firstResult.totals.partitions,
    bucket_changes_first: large.firstResult.totals.bucket_changes,
    bucket_changes_next: large.nextResult.totals.bucket_changes,
    promises_broken: large.firstResult.totals.promises_broken + large.nextResult.totals.promises_broken,
    instalments_broken:
      large.firstResult.totals.instalments_broken + large.nextResult.totals.instalments_broken,
    small: {
      size: small.size,
      first_night_seconds: round(small.first),
      next_night_seconds: round(small.next),
      floor_seconds: round(small.floor),
    },
    growth: round(Math.max(large.first, large.next) / Math.max(small.first, small.next) / 10, 2),
  });
  return 0;
}

async function measure(size: number, workers: number, seed: number, scores: boolean): Promise<Measured> {
  const bench = await benchDatabase();
  log(`database ${bench.name}${bench.embedded ? ' (embedded server)' : ''}: ${size} accounts`);
  try {
    const half = Math.floor(size / 2);
    for (const [code, count, prefix] of [
      ['BENCHA', half, 'CA'],
      ['BENCHB', size - half, 'CB'],
    ] as const) {
      await huikuan([
        'client',
        'add',
        '--code',
        code,
        '--name',
        `基准 ${code}`,
        '--effective',
        '2020-01-01',
        '--user',
        'bench',
      ]);
      const client = await bench.db
        .selectFrom('clients')
        .select('id')
        .where('code', '=', code)
        .executeTakeFirstOrThrow();
      log(`seeding ${count} accounts of ${code} (not timed)`);
      await seedPlacedAccounts(bench.db, { clientId: client.id, count, seed, refPrefix: prefix });
    }
    // the demo agency's strategy (src/demo/strategy.ts), approved: segments, arms, treatment steps and
    // the decision log are part of every night
    await demoStrategy(bench.db, log);
    await seedPromisesAndPlans(bench.db);
    if (scores) {
      // an agency-wide champion scorecard (two features, src/risk/platform/test-model.ts) and a challenger:
      // every night reads each account's features, scores it twice, keeps both in risk_score_history and
      // the champion's in risk_account_scores, and runs the watch rules
      for (const [name, role] of [
        ['bench-champion', 'champion'],
        ['bench-challenger', 'challenger'],
      ] as const) {
        const model = await proposeModel(
          bench.db,
          { model: testModel(), name, outcomeDays: 30, paidShare: 0.5 },
          'bench',
        );
        await approveModel(bench.db, model.id, 'bench-checker');
        await promoteModel(bench.db, model.id, role, 'bench-checker');
      }
      log('risk: a champion and a challenger scorecard, scored every night');
    }
    await settle(bench.db);
    log('floor: a full-table UPDATE of one column of accounts');
    let started = performance.now();
    // an unindexed column, written as it is: the same row versions the nightly run once wrote on
    // accounts (the run's own state is in account_states since migration 0022)
    await sql`UPDATE accounts SET product_type = product_type`.execute(bench.db);
    const floor = (performance.now() - started) / 1000;
    log(`floor ${round(floor)} s`);
    await settle(bench.db);
    const rss = rssSampler();
    started = performance.now();
    const firstResult = await night(bench.db, firstNight, workers);
    const first = (performance.now() - started) / 1000;
    log(`first night ${round(first)} s: ${describe(firstResult)}`);
    await settle(bench.db);
    started = performance.now();
    const nextResult = await night(bench.db, addDays(firstNight, 1), workers);
    const next = (performance.now() - started) / 1000;
    log(`next night ${round(next)} s: ${describe(nextResult)}`);
    return { size, floor, first, next, firstResult, nextResult, rss: rss.stop() };
  } finally {
    await bench.drop();
  }
}

// the workers as one run working that many partitions at once (`parallel`, what `strategy run` and
// the scheduled job do), not as separate runs
async function night(db: Db, asOf: string, workers: number): Promise<RunResult> {
  return runStrategy(db, { asOf, actor: 'bench', worker: 'bench', parallel: workers });
}

function describe(result: RunResult): string {
  const t = result.totals;
  return `${t.accounts} accounts in ${t.partitions} partitions, ${t.advanced} advanced, ${t.bucket_changes} bucket changes, ${t.promises_broken} promises and ${t.instalments_broken} instalments broken`;
}

/**
 * Agents' work the night's 'promises and plans' step evaluates: an open promise on every 20th
 * account (due between a week before the first night and the night itself, three days' grace) and
 * an active plan of three monthly instalments on every 50th (started forty days before), none of
 * them paid, so the nights mark promises and instalments broken as their grace ends.
 */
async function seedPromisesAndPlans(db: Db): Promise<void> {
  const balance = sql.raw('(a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor)');
  const promises = await sql`
    INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on,
                          grace_days, taken_by)
    SELECT a.client_id, a.id, greatest(100, ${balance} / 10), a.currency, ${balance},
           ${firstNight}::date - 10, ${firstNight}::date - 7 + (a.id % 8)::int, 3, 'bench'
      FROM accounts a
     WHERE a.status = 'active' AND a.id % 20 = 0 AND ${balance} > 0`.execute(db);
  const plans = await sql`
    WITH plans AS (
      INSERT INTO payment_plans (client_id, account_id, total_minor, currency, balance_minor, starts_on,
                                 grace_days, status, proposed_by)
      SELECT a.client_id, a.id, ${balance}, a.currency, ${balance}, ${firstNight}::date - 40, 3, 'active', 'bench'
        FROM accounts a
       WHERE a.status = 'active' AND a.id % 50 = 1 AND ${balance} >= 300
      RETURNING id, client_id, account_id, total_minor, starts_on)
    INSERT INTO plan_instalments (plan_id, n, client_id, account_id, due_on, amount_minor, cumulative_minor)
    SELECT p.id, n, p.client_id, p.account_id, p.starts_on + 30 * n,
           CASE WHEN n < 3 THEN p.total_minor / 3 ELSE p.total_minor - 2 * (p.total_minor / 3) END,
           CASE WHEN n < 3 THEN n * (p.total_minor / 3) ELSE p.total_minor END
      FROM plans p CROSS JOIN generate_series(1, 3) AS n`.execute(db);
  log(
    `agents' work: ${promises.numAffectedRows ?? 0n} open promises, ${(plans.numAffectedRows ?? 0n) / 3n} active plans (not timed)`,
  );
}

async function settle(db: Db): Promise<void> {
  await sql`VACUUM (ANALYZE) accounts, promises, payment_plans, plan_instalments`.execute(db);
  await sql`CHECKPOINT`.execute(db).catch(() => {});
}
