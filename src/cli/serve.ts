import { type Connection, openDatabase, redactUrl } from '../db/connection.ts';
import { demoOnServe } from '../demo/cli.ts';
import { type RetentionJobs, startRetentionJobs } from '../retention/jobs.ts';
import {
  type RetentionSchedule,
  retentionCronText,
  retentionQueueName,
  retentionScheduleFromEnv,
} from '../retention/schedule.ts';
import { buildServer } from '../server/app.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  defaultCron,
  defaultTimeZone,
  type StrategyJobs,
  type StrategyJobsOptions,
  startStrategyJobs,
} from '../strategy/jobs.ts';
import type { RegisterCommands } from './context.ts';

export interface ServeJobs {
  strategy: StrategyJobs;
  retention: RetentionJobs;
  stop(): Promise<void>;
}

/**
 * The scheduled jobs of `huikuan serve` on one pg-boss: the nightly strategy run (scheduled in the
 * database, so several servers share one schedule; each run is partitioned, so every server may work
 * it) and the weekly retention run (src/retention/jobs.ts; idempotent) on the strategy jobs' pg-boss.
 * Each error reaches `onError` as `strategy job: …` or `retention job: …` (the original as its cause),
 * so one log tells the two apart.
 */
export async function startServeJobs(
  connection: Pick<Connection, 'db' | 'url'>,
  retentionSchedule: RetentionSchedule,
  onError: (error: Error) => void,
  strategyOptions: Omit<StrategyJobsOptions, 'onError'> = {},
): Promise<ServeJobs> {
  const strategy = await startStrategyJobs(connection, {
    ...strategyOptions,
    // The strategy jobs own the shared pg-boss, so its errors all arrive here, the retention worker's
    // too: pg-boss names a worker's queue on its error (`queue`). pg-boss's own (maintenance, the
    // scheduler) go under the strategy job's name, whose pg-boss it is.
    onError: (error) =>
      onError(jobError(queueOf(error) === retentionQueueName ? 'retention job' : 'strategy job', error)),
  });
  const retention = await startRetentionJobs(connection, {
    ...retentionSchedule,
    on: strategy.boss,
    onError: (error) => onError(jobError('retention job', error)),
  }).catch(async (error) => {
    await strategy.stop();
    throw error;
  });
  return {
    strategy,
    retention,
    stop: async () => {
      await retention.stop();
      await strategy.stop();
    },
  };
}

/** `error` with the job it came from in front of its message. */
function jobError(job: string, error: Error): Error {
  return new Error(`${job}: ${error.message}`, { cause: error });
}

/** The queue pg-boss names on a worker's error (it emits a plain object with `queue`), else undefined. */
function queueOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'queue' in error ? error.queue : undefined;
}

/**
 * `huikuan serve`: the HTTP server — the API under /api/v1, its OpenAPI document and reference page,
 * the web UI's build when there is one, and /health — over the migrated database.
 */
export const registerServeCommand: RegisterCommands = (program, context) => {
  program
    .command('serve')
    .description('start the HTTP server (API, web UI, scheduled jobs) on the embedded or configured database')
    .option('--port <port>', 'TCP port (default $PORT or 3000)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--demo', 'seed the demo agency first (default: only on an empty database)')
    .option('--no-demo', 'never seed the demo agency')
    .option(
      '--no-jobs',
      `do not run scheduled jobs here (the nightly strategy run, cron "${defaultCron}" in ${defaultTimeZone}, and the weekly retention run, ${retentionCronText}, through pg-boss); run \`huikuan strategy worker\` elsewhere instead`,
    )
    .action(async (options: { port?: string; host: string; demo?: boolean; jobs: boolean }) => {
      const port = Number(options.port ?? process.env.PORT ?? 3000);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new HuikuanError('bad_usage', `--port must be a TCP port number, not "${options.port}".`);
      }
      // a malformed schedule is refused before anything starts
      const retentionSchedule = options.jobs ? retentionScheduleFromEnv() : null;
      const connection = await openDatabase();
      const demo = await demoOnServe(connection, options.demo, context.io.stderr).catch(async (error) => {
        await connection.close();
        throw error;
      });
      const app = await buildServer({
        db: connection.db,
        pool: connection.pool,
        logger: process.env.HUIKUAN_LOG ? { level: process.env.HUIKUAN_LOG } : false,
        health: async () => {
          const row = await connection.pool.query<{ name: string }>(
            'SELECT name FROM schema_migrations ORDER BY name DESC LIMIT 1',
          );
          return {
            database: connection.embedded ? 'embedded' : 'external',
            schema: row.rows[0]?.name,
          };
        },
      });
      const started = retentionSchedule
        ? await startServeJobs(connection, retentionSchedule, (error) =>
            context.io.stderr(`scheduled jobs: ${error.message}\n`),
          ).catch(async (error) => {
            await app.close();
            await connection.close();
            throw error;
          })
        : null;
      const jobs = started?.strategy ?? null;
      const retention = started?.retention ?? null;
      const address = await app.listen({ port, host: options.host });
      context.io.stdout(
        `Huikuan is running at ${address}\n` +
          `  API:      ${address}/api/v1 (reference: ${address}/api/docs)\n` +
          `  health:   ${address}/health\n` +
          `  database: ${connection.embedded ? `embedded PostgreSQL in ${process.env.HUIKUAN_HOME ?? '.huikuan/'}` : redactUrl(connection.url)}\n` +
          `  jobs:     ${jobs ? `nightly strategy run, cron "${defaultCron}" ${defaultTimeZone} (pg-boss)` : 'off (--no-jobs)'}\n` +
          (retention
            ? `  retention: ${retention.schedule.cron ? `cron "${retention.schedule.cron}" ${retention.schedule.timeZone}` : 'not scheduled (HUIKUAN_RETENTION_CRON=off)'}\n`
            : '') +
          '  CLI:      npx huikuan --help\n' +
          demo +
          'Press Ctrl+C to stop.\n',
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await started?.stop();
      await app.close();
      await connection.close();
      context.io.stdout('Stopped.\n');
    });
};
