/**
 * `huikuan serve`'s scheduled jobs: the nightly strategy run and the weekly retention run share one
 * pg-boss (one pool, one maintenance loop), and stopping them stops it.
 */
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { enqueueRetentionRun } from '../retention/jobs.ts';
import { retentionQueueName } from '../retention/schedule.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { enqueueStrategyRun } from '../strategy/jobs.ts';
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

  it("name the job each worker's error came from, though both report through one pg-boss", async () => {
    const errors: Error[] = [];
    let jobs: ServeJobs | undefined;
    try {
      jobs = await startServeJobs(t, { cron: null, timeZone: 'Asia/Shanghai' }, (e) => errors.push(e), {
        cron: null,
        dispatch: false,
        // pg-boss's own test switch: a worker throws when it fetches a job, as a worker whose fetch
        // or handler setup fails does, and pg-boss reports it on its error event with the queue
        boss: { __test__throw_worker: true } as Partial<PgBoss.ConstructorOptions>,
      });
      const day = addDays(todayIn('Asia/Shanghai'), -1);
      await enqueueRetentionRun(jobs.strategy.boss, day);
      for (let i = 0; i < 300 && errors.length < 1; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      await enqueueStrategyRun(jobs.strategy.boss, day);
      for (let i = 0; i < 300 && errors.length < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      await jobs.stop();
      jobs = undefined;
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(
          /^retention job: __test__throw_worker \(Queue: retention-run, Worker: [0-9a-f-]+\)$/,
        ),
        expect.stringMatching(
          /^strategy job: __test__throw_worker \(Queue: strategy-run, Worker: [0-9a-f-]+\)$/,
        ),
      ]);
      expect(errors[0]?.cause).toEqual(expect.objectContaining({ queue: retentionQueueName }));
    } finally {
      await jobs?.stop();
    }
  });
});
