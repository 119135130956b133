/**
 * `huikuan serve`'s scheduled jobs: the nightly strategy run and the weekly retention run share one
 * pg-boss (one pool, one maintenance loop), and stopping them stops it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { enqueueRetentionRun } from '../retention/jobs.ts';
import { retentionQueueName } from '../retention/schedule.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { type ServeJobs, startServeJobs } from './serve.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("serve's scheduled jobs", () => {
  it('schedule and work the retention run on the strategy jobs’ pg-boss', async () => {
    const errors: Error[] = [];
    let jobs: ServeJobs | undefined;
    try {
      jobs = await startServeJobs(
        t,
        { cron: '0 3 * * 0', timeZone: 'Asia/Shanghai' },
        (e) => errors.push(e),
        {
          cron: null,
          dispatch: false,
        },
      );
      const boss = jobs.strategy.boss;
      expect(jobs.retention.boss).toBe(boss);
      expect(await boss.getSchedules()).toEqual([
        expect.objectContaining({ name: retentionQueueName, cron: '0 3 * * 0', timezone: 'Asia/Shanghai' }),
      ]);
      const id = await enqueueRetentionRun(boss, addDays(todayIn('Asia/Shanghai'), -1));
      expect(id).toEqual(expect.any(String));
      let state: string | undefined;
      for (let i = 0; i < 300 && state !== 'completed' && state !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = (await boss.getJobById(retentionQueueName, id ?? ''))?.state;
      }
      expect(state).toBe('completed');
      await jobs.stop();
      jobs = undefined;
      // the one pg-boss is stopped with them: it takes no more work
      await expect(boss.send(retentionQueueName, {})).rejects.toThrow();
      expect(errors).toEqual([]);
    } finally {
      await jobs?.stop();
    }
  });
});
