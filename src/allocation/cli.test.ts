/** `huikuan allocation preview` and `run`: the preview in words and JSON, then the run does it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { setRule } from './service.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
  const client = await createClient(t.db, 'CLA');
  await placeAccounts(t.db, client.clientId, [
    { ref: 'C1', principal: 10_000n, delinquencyDate: '2026-01-01' },
    { ref: 'C2', principal: 20_000n, delinquencyDate: '2026-01-01' },
    { ref: 'C3', principal: 30_000n, delinquencyDate: '2026-01-01' },
  ]);
  const team = await createTeam(t.db, { name: 'CliTeam', clientCodes: ['CLA'] }, { actor: 'setup' });
  for (const username of ['c.one', 'c.two']) {
    await createUser(
      t.db,
      {
        username,
        displayName: username,
        roles: ['agent'],
        team: BigInt(team.id),
        password: 'Password-12345',
      },
      { actor: 'setup' },
    );
  }
  await setRule(t.db, { teamId: BigInt(team.id), method: 'balanced_count', capPerAgent: 1 }, 'lead');
});

afterAll(async () => {
  await t?.drop();
});

describe('huikuan allocation', () => {
  it('previews in words and JSON without writing, runs, and refuses an unknown team', async () => {
    const words = await cli(['allocation', 'preview', '--team', 'cliteam']);
    expect(words.code).toBe(0);
    expect(words.stdout).toContain('Team cliteam: balanced_count, cap 1');
    expect(words.stdout).toContain('2 account(s) would get an agent, 1 would wait.');
    expect(words.stdout).toContain('c.one: 0 → 1 accounts, 0.00 → 100.00');
    expect(words.stdout).toContain('waiting (cap): 1');
    const json = await cli(['allocation', 'preview', '--team', 'CliTeam', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ assigned: 2, waiting: 1, waiting_by_reason: { cap: 1 } });
    const run = await cli(['allocation', 'run', '--team', 'CliTeam', '--json', '--user', 'lead']);
    expect(JSON.parse(run.stdout)).toEqual({ assigned: 2, waiting: 1 });
    expect(
      JSON.parse((await cli(['allocation', 'preview', '--team', 'CliTeam', '--json'])).stdout),
    ).toMatchObject({
      assigned: 0,
      waiting: 1,
    });
    const unknown = await cli(['allocation', 'preview', '--team', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No team "nope"');
  });
});
