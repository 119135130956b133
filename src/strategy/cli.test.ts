import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { main } from '../cli/main.ts';
import { placePortfolio, standardPortfolio } from './test-support.ts';

describe('huikuan strategy run', () => {
  let t: TestDatabase;
  let cli: ReturnType<typeof cliFor>;
  beforeAll(async () => {
    t = await testDatabase();
    cli = cliFor(t);
    await placePortfolio(t.db, '2026-03-01', standardPortfolio);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it.each([
    ['2026-02-30', 'not a real calendar date'],
    ['yesterday', 'is not a date'],
    ['2026-13-01', 'not a real calendar date'],
  ])('refuses --as-of %s as bad usage (exit 2), saying why', async (asOf, why) => {
    const result = await cli(['strategy', 'run', '--as-of', asOf, '--json']);
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('bad_usage');
    expect(result.json().error.message).toContain('--as-of');
    expect(result.json().error.message).toContain(why);
  });

  it('refuses a bad --partition-size', async () => {
    const result = await cli(['strategy', 'run', '--as-of', '2026-03-01', '--partition-size', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--partition-size');
  });

  it.each([
    ['0', 'not a whole number of at least 1'],
    ['5', 'at most 4 partitions at once'],
    ['two', 'not a whole number'],
  ])('refuses --parallel %s', async (value, why) => {
    const result = await cli(['strategy', 'run', '--as-of', '2026-03-01', '--parallel', value, '--json']);
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('bad_usage');
    expect(result.json().error.message).toContain(why);
  });

  it('runs a date and prints the totals and progress as JSON; again, it has nothing to do', async () => {
    const result = await cli(['strategy', 'run', '--as-of', '2026/3/1', '--partition-size', '10', '--json']);
    expect(result.code).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({
      as_of: '2026-03-01',
      status: 'completed',
      already_completed: false,
      // no strategy in force: no escalation step ran (escalation.test.ts counts them)
      totals: { accounts: 83, advanced: 66, recalled: 17, escalations_moved: 0, escalations_held: 0 },
      progress: { partitions_done: body.progress.partitions_total, accounts_done: 83, accounts_total: 83 },
    });
    const again = await cli(['strategy', 'run', '--as-of', '2026-03-01']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already completed; nothing to do');
    expect(again.stdout).toContain('0 escalations moved to their team (调案), 0 still held.');
  });

  it('shows a progress bar on a terminal', async () => {
    let stderr = '';
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = t.url;
    try {
      const code = await main(['strategy', 'run', '--as-of', '2026-03-02', '--partition-size', '10'], {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
        interactive: true,
      });
      expect(code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
    expect(stderr).toContain('Nightly run 2026-03-02');
    expect(stderr).toMatch(/\d+\/\d+ partitions/);
  });

  it('refuses to go back to an earlier date (exit 1)', async () => {
    const result = await cli(['strategy', 'run', '--as-of', '2026-02-28', '--json']);
    expect(result.code).toBe(1);
    expect(result.json().error.code).toBe('invalid_state');
  });
});
