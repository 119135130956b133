import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { enqueueStrategyRun, type StrategyJobs, startStrategyJobs, strategyQueue } from './jobs.ts';
import type { RunResult } from './service.ts';
import { placePortfolio, standardPortfolio } from './test-support.ts';

describe('the nightly run as a pg-boss job', () => {
  let t: TestDatabase;
  let jobs: StrategyJobs | undefined;
  const results: RunResult[] = [];
  const waitFor = async (asOf: string) => {
    for (let i = 0; i < 300 && !results.some((r) => r.as_of === asOf); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return results.find((r) => r.as_of === asOf);
  };
  beforeAll(async () => {
    t = await testDatabase();
    await placePortfolio(t.db, addDays(todayIn(), -10), standardPortfolio);
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.drop();
  });

  it('the schedule fires, and the job runs the night for today; a queued date runs too', async () => {
    jobs = await startStrategyJobs(t, {
      cron: '* * * * *', // every minute, so the first tick comes at once
      onResult: (result) => results.push(result),
      boss: { cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 },
    });
    const schedules = await jobs.boss.getSchedules();
    expect(schedules).toEqual([
      expect.objectContaining({ name: strategyQueue, cron: '* * * * *', timezone: 'Asia/Shanghai' }),
    ]);
    const today = todayIn('Asia/Shanghai');
    const scheduled = await waitFor(today);
    expect(scheduled).toMatchObject({ status: 'completed', totals: { accounts: 83 } });

    const tomorrow = addDays(today, 1);
    expect(await enqueueStrategyRun(jobs.boss, tomorrow)).toEqual(expect.any(String));
    expect(await waitFor(tomorrow)).toMatchObject({ status: 'completed', as_of: tomorrow });
    const runs = await sql<{ as_of: string; status: string; started_by: string }>`
      SELECT as_of, status, started_by FROM strategy_runs ORDER BY as_of`.execute(t.db);
    expect(runs.rows.map((r) => [r.as_of, r.status])).toEqual([
      [today, 'completed'],
      [tomorrow, 'completed'],
    ]);
    expect(runs.rows[0]?.started_by).toMatch(/^pg-boss job /);
  });
});
