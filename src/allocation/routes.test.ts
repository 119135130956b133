/**
 * Allocation routes through app.inject: a supervisor sets agents' attributes and a rule with match
 * requirements, previews (nothing written), runs, and the run matches the preview; bad attributes
 * and an unknown team are refused. The authorisation matrix and bad payloads are in
 * src/server/routes.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';

let t: TestDatabase;
let api: TestApi;
let teamId: number;
let ids: bigint[];
const { caller, callers } = testCallers();

beforeAll(async () => {
  t = await testDatabase();
  const client = await createClient(t.db, 'ART');
  ids = await placeAccounts(t.db, client.clientId, [
    { ref: 'E1', principal: 10_000n, delinquencyDate: '2026-01-01' },
    { ref: 'E2', principal: 20_000n, delinquencyDate: '2026-01-01' },
    { ref: 'E3', principal: 30_000n, delinquencyDate: '2026-01-01' },
  ]);
  await sql`UPDATE debtors SET country = 'GB' WHERE id = (SELECT debtor_id FROM accounts WHERE id = ${ids[2] as bigint})`.execute(
    t.db,
  );
  teamId = Number(
    (await createTeam(t.db, { name: 'Route team', clientCodes: ['ART'] }, { actor: 'setup' })).id,
  );
  for (const username of ['r.one', 'r.two']) {
    await createUser(
      t.db,
      { username, displayName: username, roles: ['agent'], team: BigInt(teamId), password: 'Password-12345' },
      { actor: 'setup' },
    );
  }
  caller('sup', ['supervisor'], [client.clientId]);
  api = await testApi(t, callers);
});

afterAll(async () => {
  await api?.close();
  await t?.drop();
});

describe('allocation preview and agent attributes over HTTP', () => {
  it('sets attributes and a matched rule, previews without writing, and the run does the preview', async () => {
    const set = await api.call('sup', 'POST', '/allocation/agents', {
      agent: 'r.one',
      languages: ['zh-CN'],
      regions: ['*'],
    });
    expect(set.status).toBe(200);
    expect(set.json()).toMatchObject({ agent: 'r.one', languages: ['zh-CN'], regions: ['*'], skills: [] });
    expect(
      (await api.call('sup', 'POST', '/allocation/agents', { agent: 'r.two', skills: ['magic'] })).status,
    ).toBe(400);
    expect((await api.call('sup', 'POST', '/allocation/agents', { agent: 'ghost' })).json().error.code).toBe(
      'not_found',
    );
    const agents = (await api.call('sup', 'GET', `/allocation/agents?team_id=${teamId}`)).json();
    expect(agents.items.map((agent: { agent: string }) => agent.agent)).toEqual(['r.one', 'r.two']);

    const rule = await api.call('sup', 'POST', '/allocation/rules', {
      team_id: teamId,
      method: 'round_robin',
      cap_per_agent: 5,
      match: { language: true },
      high_balance_minor: 1_000_000,
    });
    expect(rule.status).toBe(200);
    expect(rule.json()).toMatchObject({
      method: 'round_robin',
      cap_per_agent: 5,
      match: { region: false, language: true, skills: false },
      high_balance_minor: 1_000_000,
    });

    const preview = await api.call('sup', 'POST', '/allocation/preview', { team_id: teamId });
    expect(preview.status).toBe(200);
    const body = preview.json();
    // r.two speaks nothing, so r.one takes the two Mandarin accounts; the British debtor's waits
    expect(body.plan).toEqual([
      { account_id: Number(ids[0]), agent: 'r.one' },
      { account_id: Number(ids[1]), agent: 'r.one' },
      { account_id: Number(ids[2]), agent: null },
    ]);
    expect(body).toMatchObject({ assigned: 2, waiting: 1, waiting_by_reason: { language: 1 } });
    expect(body.unassigned).toEqual([
      expect.objectContaining({ account_id: Number(ids[2]), language: 'en', reason: 'language' }),
    ]);
    expect(body.agents).toEqual([
      expect.objectContaining({
        agent: 'r.one',
        accounts_before: 0,
        accounts_after: 2,
        balance_after_minor: 30_000,
      }),
      expect.objectContaining({ agent: 'r.two', accounts_before: 0, accounts_after: 0 }),
    ]);
    const written = await sql<{ n: number }>`SELECT count(*)::int AS n FROM account_assignments`.execute(
      t.db,
    );
    expect(written.rows[0]?.n).toBe(0);

    expect((await api.call('sup', 'POST', '/allocation/run', { team_id: teamId })).json()).toEqual({
      assigned: 2,
      waiting: 1,
    });
    const queues = (await api.call('sup', 'GET', `/allocation/teams/${teamId}/queues`)).json();
    expect(queues.items).toEqual([
      expect.objectContaining({ agent: 'r.one', accounts: 2, balance_minor: 30_000 }),
      expect.objectContaining({ agent: 'r.two', accounts: 0 }),
    ]);
    expect((await api.call('sup', 'POST', '/allocation/preview', { team_id: 999999 })).status).toBe(404);
  });
});
