/**
 * The retention run as a pg-boss job (like the nightly strategy run, src/strategy/jobs.ts): scheduled
 * weekly by `huikuan serve` (schedule.ts; `serve --no-jobs` or HUIKUAN_RETENTION_CRON=off disables
 * it). A scheduled job runs for today in the schedule's zone; a job's data may name the date
 * (`{"as_of": "2026-03-01"}`, never in the future). The run is idempotent (anonymised debtors leave
 * the queue), so a retried or doubled job changes nothing more.
 */
import PgBoss from 'pg-boss';
import type { Connection } from '../db/connection.ts';
import { parseBusinessDateOrThrow, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import {
  defaultRetentionCron,
  defaultRetentionTimeZone,
  type RetentionSchedule,
  retentionQueueName,
} from './schedule.ts';
import { runRetention } from './service.ts';

export interface RetentionJobData {
  as_of?: string;
}

export type RetentionRunResult = Awaited<ReturnType<typeof runRetention>>;

export interface RetentionJobsOptions extends Partial<RetentionSchedule> {
  onResult?: (result: RetentionRunResult) => void;
  onError?: (error: Error) => void;
  /** pg-boss settings (tests shorten its cron intervals); not used with `on`. */
  boss?: Partial<PgBoss.ConstructorOptions>;
  /**
   * A started pg-boss to schedule and work the run on — `huikuan serve` passes the strategy jobs'
   * (src/strategy/jobs.ts), so a server keeps one pg-boss. Its owner listens to its errors and stops
   * it; stop() then only stops working the retention queue.
   */
  on?: PgBoss;
}

export interface RetentionJobs {
  boss: PgBoss;
  schedule: RetentionSchedule;
  stop(): Promise<void>;
}

export async function startRetentionJobs(
  connection: Pick<Connection, 'db' | 'url'>,
  options: RetentionJobsOptions = {},
): Promise<RetentionJobs> {
  const schedule: RetentionSchedule = {
    cron: options.cron === undefined ? defaultRetentionCron : options.cron,
    timeZone: options.timeZone ?? defaultRetentionTimeZone,
  };
  const shared = options.on;
  const boss = shared ?? new PgBoss({ connectionString: connection.url, max: 2, ...options.boss });
  if (!shared) {
    boss.on('error', (error) => options.onError?.(error));
    await boss.start();
  }
  await boss.createQueue(retentionQueueName, {
    name: retentionQueueName,
    retryLimit: 3,
    retryDelay: 300,
    expireInSeconds: 6 * 3600,
  });
  if (schedule.cron !== null) {
    await boss.schedule(retentionQueueName, schedule.cron, {}, { tz: schedule.timeZone });
  } else {
    await boss.unschedule(retentionQueueName);
  }
  await boss.work<RetentionJobData>(retentionQueueName, async (jobs) => {
    const outputs: unknown[] = [];
    for (const job of jobs) {
      const today = todayIn(schedule.timeZone);
      const asOf = job.data?.as_of === undefined ? today : parseBusinessDateOrThrow(job.data.as_of, 'as_of');
      if (asOf > today)
        throw new HuikuanError('bad_input', `A retention run cannot be for a future date (${asOf}).`);
      const result = await runRetention(connection.db, { asOf, actor: `pg-boss job ${job.id}` });
      options.onResult?.(result);
      outputs.push(JSON.parse(toJson(result)));
    }
    return outputs.length === 1 ? outputs[0] : outputs;
  });
  return {
    boss,
    schedule,
    stop: () => (shared ? boss.offWork(retentionQueueName) : boss.stop({ graceful: true, wait: true })),
  };
}

/** Queues a run for a date (for a worker to pick up); returns the job id. */
export async function enqueueRetentionRun(boss: PgBoss, asOf: string): Promise<string | null> {
  return boss.send(retentionQueueName, { as_of: asOf } satisfies RetentionJobData);
}
