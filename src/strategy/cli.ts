import type { CliContext, RegisterCommands } from '../cli/context.ts';
import { progressBar } from '../cli/progress.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { parseAsOf } from './model.ts';
import {
  defaultParallel,
  defaultPartitionSize,
  maxParallel,
  type RunProgress,
  type RunResult,
  runStrategy,
} from './service.ts';
import { registerStrategyVersionCommands } from './strategies-cli.ts';

export const registerStrategyCommands: RegisterCommands = (program, context) => {
  const strategy = program
    .command('strategy')
    .description(
      'collection strategy: the nightly run, strategy versions, dry run, message dispatch and champion / challenger results',
    );
  registerStrategyVersionCommands(strategy, context);
  strategy
    .command('run')
    .description(
      'the nightly run for a business date: days past due and bucket of every live account, recall dates reached (退案); idempotent for a date, resumes after a crash, several runs of one date share the work',
    )
    .option('--as-of <date>', 'the business date (default: today in Asia/Shanghai)')
    .option(
      '--partition-size <n>',
      'live accounts per partition when the date is planned',
      String(defaultPartitionSize),
    )
    .option('--worker <name>', "this worker's name on the partitions it does (default host:pid:random)")
    .option(
      '--parallel <n>',
      `partitions worked at once, each on its own database connection (1–${maxParallel})`,
      String(defaultParallel),
    )
    .option('--user <name>', 'who starts the run (default: HUIKUAN_USER or the operating-system user)')
    .option('--json', 'print the result as one JSON document')
    .action(
      async (options: {
        asOf?: string;
        partitionSize: string;
        worker?: string;
        parallel: string;
        user?: string;
        json?: boolean;
      }) => {
        const asOf = options.asOf === undefined ? todayIn() : parseAsOf(options.asOf);
        const partitionSize = parseWhole(options.partitionSize, '--partition-size');
        const parallel = parseParallel(options.parallel);
        const actor = context.actor(options);
        await context.withDatabase(async ({ db }) => {
          const progress = startProgress(context, asOf);
          let result: RunResult;
          try {
            result = await runStrategy(db, {
              asOf,
              actor,
              partitionSize,
              parallel,
              ...(options.worker ? { worker: options.worker } : {}),
              onProgress: progress.update,
            });
          } finally {
            progress.stop();
          }
          context.report(options, result, () => describeRun(result));
        });
      },
    );
  strategy
    .command('worker')
    .description(
      'work the nightly run as a pg-boss job, scheduled by cron, and the weekly retention run (HUIKUAN_RETENTION_CRON / _TZ) on the same pg-boss — what `serve --no-jobs` leaves to it; runs until stopped (Ctrl-C)',
    )
    .option('--cron <expression>', 'when the run starts, as cron', '30 1 * * *')
    .option('--no-schedule', 'work queued runs only; leave the schedule as it is')
    .option('--tz <zone>', "the schedule's time zone (and today's date for a scheduled run)", 'Asia/Shanghai')
    .option(
      '--parallel <n>',
      `partitions of a run worked at once, each on its own database connection (1–${maxParallel})`,
      String(defaultParallel),
    )
    .action(async (options: { cron: string; schedule: boolean; tz: string; parallel: string }) => {
      const parallel = parseParallel(options.parallel);
      const { startServeJobs } = await import('../cli/serve.ts');
      const { retentionScheduleFromEnv } = await import('../retention/schedule.ts');
      // a malformed retention schedule is refused before anything starts
      const retentionSchedule = retentionScheduleFromEnv();
      await context.withDatabase(async (connection) => {
        // the same jobs as `serve` runs: the nightly run and the retention run on one pg-boss
        const jobs = await startServeJobs(
          connection,
          retentionSchedule,
          (error) => context.io.stderr(`strategy worker: ${error.message}\n`),
          {
            cron: options.schedule ? options.cron : null,
            timeZone: options.tz,
            parallel,
            onResult: (result) => context.io.stderr(`${describeRun(result)}\n`),
          },
        );
        context.io.stderr(
          `Nightly run worker started${options.schedule ? ` (schedule "${options.cron}" ${options.tz})` : ''}; retention run ${retentionSchedule.cron === null ? 'not scheduled' : `cron "${retentionSchedule.cron}" ${retentionSchedule.timeZone}`}; Ctrl-C stops it.\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await jobs.stop();
      });
    });
  strategy
    .command('experiments')
    .description(
      'champion / challenger results: each test of the approved strategy versions, arm by arm, and each challenger against the champion with the always-valid 95% interval, p-value and verdict',
    )
    .option('--strategy <id>', 'one strategy version (default: every approved version)')
    .option('--window <days>', 'days after entry over which outcomes are measured: 7, 30 or 90', '30')
    .option('--as-of <date>', 'the last look (default: today in Asia/Shanghai)')
    .option('--min-accounts <n>', 'accounts each arm needs before a verdict', '100')
    .option('--json', 'print the results, with the daily series, as one JSON document')
    .action(
      async (options: {
        strategy?: string;
        window: string;
        asOf?: string;
        minAccounts: string;
        json?: boolean;
      }) => {
        const { describeExperiments, experimentQueryOf, listExperiments } = await import('./experiments.ts');
        const query = experimentQueryOf(options);
        await context.withDatabase(async ({ db }) => {
          const results = await listExperiments(db, query);
          context.report(options, { items: results }, () => describeExperiments(results));
        });
      },
    );
};

function parseWhole(text: string, flag: string): number {
  const size = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(size) || size < 1) {
    throw new HuikuanError('bad_usage', `${flag}: "${text}" is not a whole number of at least 1.`);
  }
  return size;
}

function parseParallel(text: string): number {
  const parallel = parseWhole(text, '--parallel');
  if (parallel > maxParallel) {
    throw new HuikuanError(
      'bad_usage',
      `--parallel: at most ${maxParallel} partitions at once; got ${parallel}.`,
    );
  }
  return parallel;
}

export function describeRun(result: RunResult): string {
  const t = result.totals;
  const mine = result.by_this_worker;
  const head = `Nightly run for ${result.as_of}${result.already_completed ? ' (already completed; nothing to do)' : ''}:`;
  const share =
    !result.already_completed && mine.partitions !== t.partitions
      ? ` This worker did ${mine.partitions} of them.`
      : '';
  return `${head} ${t.accounts} live accounts in ${t.partitions} partitions; ${t.advanced} advanced to the date, ${t.bucket_changes} changed bucket, ${t.recalled} recalled (退案); ${t.escalations_moved} escalations moved to their team (调案), ${t.escalations_held} still held.${share} ${result.seconds} s.`;
}

function startProgress(
  context: CliContext,
  asOf: string,
): { update: (p: RunProgress) => void; stop: () => void } {
  const bar = progressBar(
    context,
    `Nightly run ${asOf} | {bar} | {value}/{total} accounts | {partitions} partitions | {duration_formatted}`,
  );
  return {
    update: (progress) =>
      bar.show(progress.accounts_done, progress.accounts_total, {
        partitions: `${progress.partitions_done}/${progress.partitions_total}`,
      }),
    stop: () => bar.stop(),
  };
}
