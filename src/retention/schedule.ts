/**
 * When the retention run is scheduled (src/retention/jobs.ts, started by `huikuan serve`): weekly by
 * default, Sundays at 03:00 China time; HUIKUAN_RETENTION_CRON sets another cron expression
 * (five fields, in HUIKUAN_RETENTION_TZ, default Asia/Shanghai), `off` schedules nothing. No pg-boss
 * here, so the CLI can describe the schedule without loading it.
 */
import { HuikuanError } from '../shared/errors.ts';

export const retentionQueueName = 'retention-run';
export const defaultRetentionCron = '0 3 * * 0';
export const defaultRetentionTimeZone = 'Asia/Shanghai';
export const retentionCronText = `cron "${defaultRetentionCron}" ${defaultRetentionTimeZone} by default, HUIKUAN_RETENTION_CRON to change or "off"`;

export interface RetentionSchedule {
  /** null: not scheduled. */
  cron: string | null;
  timeZone: string;
}

/** The schedule from the environment; a malformed cron is refused at start with what to write. */
export function retentionScheduleFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionSchedule {
  const timeZone = env.HUIKUAN_RETENTION_TZ?.trim() || defaultRetentionTimeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new HuikuanError('bad_usage', `HUIKUAN_RETENTION_TZ "${timeZone}" is not an IANA time zone.`);
  }
  const raw = env.HUIKUAN_RETENTION_CRON?.trim();
  if (raw === undefined || raw === '') return { cron: defaultRetentionCron, timeZone };
  if (raw.toLowerCase() === 'off') return { cron: null, timeZone };
  if (!/^(\S+\s+){4}\S+$/.test(raw) || !/^[\d*/,\-\sA-Za-z]+$/.test(raw)) {
    throw new HuikuanError(
      'bad_usage',
      `HUIKUAN_RETENTION_CRON "${raw}" is not a cron expression of five fields (e.g. "0 3 * * 0", Sundays 03:00), or "off".`,
    );
  }
  return { cron: raw, timeZone };
}
