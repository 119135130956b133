/**
 * The nightly run as a pg-boss job (pg-boss 10, its own `pgboss` schema in the same database).
 * Started only by the processes that schedule or work it (`huikuan strategy worker`); the rest of
 * Huikuan never loads pg-boss. A job's data may name the business date (`{"as_of": "2026-03-01"}`);
 * a scheduled job carries none and runs for today in the schedule's time zone. A job that fails (a
 * crash, a lost connection) is retried, and the retry resumes the run where it stopped. After the run
 * the strategy's due messages are dispatched (src/strategy/dispatch.ts, channels from the environment).
 */
import PgBoss from 'pg-boss';
import { channelConfigFromEnv } from '../channels/config.ts';
import { channelsFrom } from '../channels/service.ts';
import type { Connection } from '../db/connection.ts';
import { sendDigests } from '../notifications/service.ts';
import { todayIn } from '../shared/dates.ts';
import { toJson } from '../shared/json.ts';
import { type DispatchResult, dispatchStrategyMessages } from './dispatch.ts';
import { parseAsOf } from './model.ts';
import { defaultParallel, type RunResult, runStrategy } from './service.ts';

export const strategyQueue = 'strategy-run';
/** 01:30 every night. */
export const defaultCron = '30 1 * * *';
export const defaultTimeZone = 'Asia/Shanghai';

export interface StrategyJobData {
  as_of?: string;
}

export interface StrategyJobsOptions {
  /** Cron expression of the nightly schedule; null = work jobs only, schedule nothing. */
  cron?: string | null;
  timeZone?: string;
  /** Each run's result, for logs (and tests). */
  onResult?: (result: RunResult) => void;
  onError?: (error: Error) => void;
  /** After each run, dispatch the strategy's due messages (default true). */
  dispatch?: boolean;
  onDispatch?: (result: DispatchResult) => void;
  /** pg-boss settings (tests shorten its cron intervals). */
  boss?: Partial<PgBoss.ConstructorOptions>;
  /** Partitions of a run worked at once (default `defaultParallel`). */
  parallel?: number;
}

export interface StrategyJobs {
  boss: PgBoss;
  stop(): Promise<void>;
}

export async function startStrategyJobs(
  connection: Pick<Connection, 'db' | 'url'>,
  options: StrategyJobsOptions = {},
): Promise<StrategyJobs> {
  const timeZone = options.timeZone ?? defaultTimeZone;
  const boss = new PgBoss({ connectionString: connection.url, max: 2, ...options.boss });
  // pg-boss reports its background failures as events; without a listener they would crash the process
  boss.on('error', (error) => options.onError?.(error));
  await boss.start();
  await boss.createQueue(strategyQueue, {
    name: strategyQueue,
    retryLimit: 3,
    retryDelay: 60,
    expireInSeconds: 4 * 3600,
  });
  const cron = options.cron === undefined ? defaultCron : options.cron;
  if (cron !== null) await boss.schedule(strategyQueue, cron, {}, { tz: timeZone });
  await boss.work<StrategyJobData>(strategyQueue, async (jobs) => {
    const outputs: unknown[] = [];
    for (const job of jobs) {
      const asOf = job.data?.as_of === undefined ? todayIn(timeZone) : parseAsOf(job.data.as_of);
      const result = await runStrategy(connection.db, {
        asOf,
        actor: `pg-boss job ${job.id}`,
        parallel: options.parallel ?? defaultParallel,
      });
      options.onResult?.(result);
      // then the strategy's messages due, through the templates and the gate (src/strategy/dispatch.ts)
      if (options.dispatch !== false) {
        const sent = await dispatchStrategyMessages(connection.db, channelsFrom(channelConfigFromEnv()), {
          asOf,
        });
        options.onDispatch?.(sent);
      }
      // the risk watch's new entries e-mailed to their supervisors (src/notifications); a failure is
      // logged and the notices wait for the next run, the run itself stands
      try {
        const config = channelConfigFromEnv();
        const digest = await sendDigests(connection.db, config.smtp, {
          publicUrl: config.publicUrl,
          actor: `pg-boss job ${job.id}`,
        });
        for (const failure of digest.failed) {
          options.onError?.(new Error(`notification digest to ${failure.user}: ${failure.error}`));
        }
      } catch (error) {
        options.onError?.(error as Error);
      }
      outputs.push(JSON.parse(toJson(result)));
    }
    return outputs.length === 1 ? outputs[0] : outputs;
  });
  return {
    boss,
    stop: () => boss.stop({ graceful: true, wait: true }),
  };
}

/** Queues a run for a date (for a worker to pick up); returns the job id. */
export async function enqueueStrategyRun(boss: PgBoss, asOf: string): Promise<string | null> {
  return boss.send(strategyQueue, { as_of: asOf } satisfies StrategyJobData);
}
