import { describe, expect, it } from 'vitest';
import { WorkerPool } from './worker-pool.ts';

type Request = { kind: 'count' | 'refuse' | 'fail' };

describe('WorkerPool', () => {
  it('sends a request to the worker named, keeps an error code across the thread and turns other errors into internal ones', async () => {
    const pool = await WorkerPool.start<Request, number>(
      new URL('./worker-pool.fixture.ts', import.meta.url),
      2,
      null,
      'test',
    );
    try {
      // each worker counts its own requests: the named worker answered them
      expect(await pool.run({ kind: 'count' }, 0)).toBe(1);
      expect(await pool.run({ kind: 'count' }, 0)).toBe(2);
      expect(await pool.run({ kind: 'count' }, 1)).toBe(1);
      await expect(pool.run({ kind: 'refuse' }, 1)).rejects.toMatchObject({
        code: 'bad_input',
        message: 'refused on purpose',
      });
      await expect(pool.run({ kind: 'fail' }, 0)).rejects.toMatchObject({
        code: 'internal',
        message: 'failed on purpose',
      });
      // the workers go on after an error; requests without a worker take turns
      const answers = await Promise.all([pool.run({ kind: 'count' }), pool.run({ kind: 'count' })]);
      expect(answers.sort()).toEqual([2, 3]);
    } finally {
      await pool.close();
    }
  });
});
