/**
 * Editing a team through the API (PATCH /api/v1/teams/:id): admin only (401 anonymous, 403 other
 * roles, 403 without the CSRF header), the new clients decide what the team's agents see, bad
 * payloads change nothing, and the change is audited with before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addClient } from '../clients/service.ts';
import { buildServer } from '../server/app.ts';
import type { Api } from '../server/context.ts';
import { roles } from './principal.ts';
import { createTeam, createUser, principalOfUser } from './service.ts';

let t: TestDatabase;
let app: Api;
let teamId: bigint;
const password = 'Lantern-Quarry-7-Osmosis';
const sessions: Record<string, { cookie: string; csrf: string }> = {};

async function patch(as: string | null, url: string, body: unknown, csrf = true) {
  const session = as ? sessions[as] : undefined;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (session) {
    headers.cookie = session.cookie;
    if (csrf) headers['x-csrf-token'] = session.csrf;
  }
  return app.inject({ method: 'PATCH', url, headers, payload: JSON.stringify(body) });
}

beforeAll(async () => {
  t = await testDatabase();
  app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, requestsPerMinute: 100_000 });
  await addClient(t.db, { code: 'ZSB', name: '招行' }, 'setup');
  await addClient(t.db, { code: 'PAB', name: '平安' }, 'setup');
  teamId = (await createTeam(t.db, { name: '一组', clientCodes: ['ZSB'] }, { actor: 'setup' })).id;
  for (const role of roles) {
    await createUser(
      t.db,
      {
        username: role,
        displayName: role,
        roles: [role],
        password,
        team: role === 'agent' ? teamId : null,
        clientCodes: role === 'client' ? ['ZSB'] : undefined,
      },
      { actor: 'setup' },
    );
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: role, password }),
    });
    const cookie = response.cookies.find((c) => c.name === 'hk_session');
    sessions[role] = { cookie: `hk_session=${cookie?.value}`, csrf: response.json().csrf_token };
  }
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('PATCH /api/v1/teams/:id', () => {
  it('is for an administrator only', async () => {
    const url = `/api/v1/teams/${teamId}`;
    expect((await patch(null, url, { name: 'x' })).statusCode).toBe(401);
    for (const role of roles.filter((r) => r !== 'admin')) {
      const response = await patch(role, url, { name: 'x' });
      expect(response.statusCode, role).toBe(403);
    }
    expect((await patch('admin', url, { name: 'x' }, false)).statusCode).toBe(403);
  });

  it('renames the team and replaces its clients, which the agents then see; audited', async () => {
    const agent = await t.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'agent')
      .executeTakeFirstOrThrow();
    expect((await principalOfUser(t.db, agent.id))?.clientIds).toHaveLength(1);
    const response = await patch('admin', `/api/v1/teams/${teamId}`, {
      name: ' 催收一组 ',
      client_codes: ['ZSB', 'PAB'],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ name: '催收一组', client_codes: ['PAB', 'ZSB'], members: 1 });
    expect((await principalOfUser(t.db, agent.id))?.clientIds).toHaveLength(2);
    const event = await t.db
      .selectFrom('audit_events')
      .select(['actor', 'before', 'after'])
      .where('action', '=', 'team.updated')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({
      actor: 'admin',
      before: { name: '一组', client_codes: ['ZSB'] },
      after: { name: '催收一组', client_codes: ['PAB', 'ZSB'] },
    });
  });

  it('refuses bad payloads, unknown clients, a clashing name and an unknown team, changing nothing', async () => {
    const other = await createTeam(t.db, { name: '二组' }, { actor: 'setup' });
    const cases: [string, unknown, number][] = [
      [`/api/v1/teams/${teamId}`, {}, 400],
      [`/api/v1/teams/${teamId}`, { name: '' }, 400],
      [`/api/v1/teams/${teamId}`, { client_codes: 'ZSB' }, 400],
      ['/api/v1/teams/abc', { name: 'x' }, 400],
      [`/api/v1/teams/${teamId}`, { client_codes: ['NOPE'] }, 404],
      [`/api/v1/teams/${teamId}`, { name: '二组' }, 409],
      ['/api/v1/teams/999999', { name: 'x' }, 404],
    ];
    const before = await t.db
      .selectFrom('team_clients')
      .selectAll()
      .orderBy('team_id')
      .orderBy('client_id')
      .execute();
    for (const [url, body, status] of cases) {
      const response = await patch('admin', url, body);
      expect(response.statusCode, `${url} ${JSON.stringify(body)}: ${response.body}`).toBe(status);
    }
    expect(
      await t.db.selectFrom('team_clients').selectAll().orderBy('team_id').orderBy('client_id').execute(),
    ).toEqual(before);
    const names = await t.db.selectFrom('teams').select('name').orderBy('name').execute();
    expect(names.map((n) => n.name)).toEqual(['二组', '催收一组'].sort());
    expect(other.name).toBe('二组');
  });
});
