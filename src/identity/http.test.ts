import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { auditRoutes } from '../audit/routes.ts';
import { verifyAudit } from '../audit/service.ts';
import { httpStatusFor, isHuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import { requireRoles } from './guards.ts';
import { identityPlugin } from './plugin.ts';
import { createTeam, createUser } from './service.ts';

let t: TestDatabase;
let app: FastifyInstance;
const clock = { now: new Date('2026-03-02T01:00:00Z') };
const advance = (minutes: number) => {
  clock.now = new Date(clock.now.getTime() + minutes * 60_000);
};
const system = { actor: 'setup' };

async function buildApp(): Promise<FastifyInstance> {
  const server = Fastify();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.setErrorHandler((error: FastifyError, _request, reply) => {
    if (isHuikuanError(error)) {
      return reply.status(httpStatusFor(error)).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation)
      return reply.status(400).send({ error: { code: 'bad_input', message: error.message } });
    return reply.status(500).send({ error: { code: 'internal', message: error.message } });
  });
  await server.register(identityPlugin, { db: t.db, now: () => clock.now });
  await server.register(auditRoutes, { db: t.db });
  server.get('/api/v1/probe/finance', { preHandler: requireRoles('finance') }, async () => ({ ok: true }));
  server.post('/api/v1/probe/write', { preHandler: requireRoles() }, async () => ({ ok: true }));
  server.get('/api/v1/probe/me', async (request, reply) =>
    reply.type('application/json').send(toJson(request.principal)),
  );
  await server.ready();
  return server;
}

interface Session {
  cookie: string;
  csrf: string;
}

async function login(username: string, password: string): Promise<Session> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { username, password },
  });
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'hk_session');
  return { cookie: cookie?.value as string, csrf: response.json().csrf_token };
}

function as(session: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return app.inject({
    method,
    url,
    cookies: { hk_session: session.cookie },
    headers: method === 'GET' ? {} : { 'x-csrf-token': session.csrf },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const passwords = {
  admin: 'admin-password-1',
  fin: 'finance-password-1',
  agent: 'agent-password-1',
  client: 'client-password-1',
  comp: 'compliance-pass-1',
};

beforeAll(async () => {
  t = await testDatabase();
  const cli = cliFor(t);
  for (const code of ['ACME', 'BETA']) {
    expect(
      (await cli(['client', 'add', '--code', code, '--name', `${code} Bank`, '--user', 'setup'])).code,
    ).toBe(0);
  }
  await createTeam(t.db, { name: 'East', clientCodes: ['ACME'] }, system);
  await createUser(
    t.db,
    { username: 'admin', displayName: 'Admin', roles: ['admin'], password: passwords.admin },
    system,
  );
  await createUser(
    t.db,
    {
      username: 'fin',
      displayName: '财务',
      roles: ['finance'],
      password: passwords.fin,
      approvalLimitMinor: 500_000n,
    },
    system,
  );
  await createUser(
    t.db,
    { username: 'agent', displayName: 'Agent', roles: ['agent'], team: 'East', password: passwords.agent },
    system,
  );
  await createUser(
    t.db,
    {
      username: 'beta',
      displayName: 'Beta',
      roles: ['client'],
      clientCodes: ['BETA'],
      password: passwords.client,
    },
    system,
  );
  await createUser(
    t.db,
    { username: 'comp', displayName: 'Compliance', roles: ['compliance'], password: passwords.comp },
    system,
  );
  app = await buildApp();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('passwords', () => {
  it('are stored only as argon2id hashes', async () => {
    const rows = await sql<{ username: string; hash: string; row: string }>`
      SELECT username, password_hash AS hash, row_to_json(users)::text AS row FROM users`.execute(t.db);
    expect(rows.rows.length).toBe(5);
    for (const row of rows.rows) {
      expect(row.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      for (const password of Object.values(passwords)) expect(row.row).not.toContain(password);
    }
  });
});

describe('login and sessions', () => {
  it('logs in with the right password: an httpOnly SameSite=Strict cookie and a CSRF token', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'fin', password: passwords.fin },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toMatchObject({
      username: 'fin',
      display_name: '财务',
      roles: ['finance'],
      client_codes: 'all',
      must_change_password: false,
      locale: 'zh-CN',
      approval_limit_minor: 500000,
    });
    expect(body.csrf_token).toMatch(/^[\w-]{43}$/);
    const cookie = response.cookies.find((c) => c.name === 'hk_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // the database keeps only a hash of the cookie's value
    const stored = await t.db.selectFrom('sessions').select('id_hash').execute();
    expect(stored.some((s) => s.id_hash.toString('base64url') === cookie?.value)).toBe(false);
    const again = await app.inject({
      method: 'GET',
      url: '/api/v1/session',
      cookies: { hk_session: cookie?.value as string },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ user: { username: 'fin' }, csrf_token: body.csrf_token });
  });

  it('refuses a wrong password or an unknown user with 401, the same message', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'fin', password: 'not-the-password' },
    });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'nobody', password: 'whatever-it-is' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'fin' } });
    expect(bad.statusCode).toBe(400);
  });

  it('locks a user out for 15 minutes after 5 failures; an admin can unlock', async () => {
    const attempt = (password: string) =>
      app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'agent', password } });
    for (let i = 1; i <= 4; i += 1) expect((await attempt(`wrong-${i}-password`)).statusCode).toBe(401);
    const fifth = await attempt('wrong-5-password');
    expect(fifth.statusCode).toBe(403);
    expect(fifth.json().error.message).toMatch(/locked/);
    // even the right password is refused while locked
    const locked = await attempt(passwords.agent);
    expect(locked.statusCode).toBe(403);
    advance(14);
    expect((await attempt(passwords.agent)).statusCode).toBe(403);
    advance(2);
    expect((await attempt(passwords.agent)).statusCode).toBe(200);

    for (let i = 1; i <= 5; i += 1) await attempt(`wrong-${i}-password`);
    expect((await attempt(passwords.agent)).statusCode).toBe(403);
    const admin = await login('admin', passwords.admin);
    const agent = await t.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'agent')
      .executeTakeFirstOrThrow();
    const unlocked = await as(admin, 'PATCH', `/api/v1/users/${agent.id}`, { unlock: true });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json().locked_until).toBeNull();
    expect((await attempt(passwords.agent)).statusCode).toBe(200);

    const events = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor', 'ip'])
      .where('entity_id', '=', String(agent.id))
      .orderBy('id')
      .execute();
    const actions = events.map((e) => e.action);
    expect(actions.filter((a) => a === 'user.locked')).toHaveLength(2);
    expect(actions).toContain('user.unlocked');
    expect(actions.filter((a) => a === 'session.login_failed').length).toBeGreaterThanOrEqual(10);
    expect(events.find((e) => e.action === 'user.unlocked')).toMatchObject({
      actor: 'admin',
      ip: '127.0.0.1',
    });
  });

  it('expires a session after 30 idle minutes', async () => {
    const session = await login('fin', passwords.fin);
    const get = () => as(session, 'GET', '/api/v1/session');
    advance(29);
    expect((await get()).statusCode).toBe(200);
    advance(29);
    expect((await get()).statusCode).toBe(200);
    advance(30);
    const expired = await get();
    expect(expired.statusCode).toBe(401);
    advance(-30);
    // gone for good, not only too old
    expect((await get()).statusCode).toBe(401);
    advance(30);
  });

  it('expires a session 12 hours after login however active', async () => {
    const session = await login('fin', passwords.fin);
    for (let minutes = 25; minutes < 12 * 60; minutes += 25) {
      advance(25);
      expect((await as(session, 'GET', '/api/v1/session')).statusCode).toBe(200);
    }
    advance(12 * 60 - Math.floor((12 * 60) / 25) * 25);
    expect((await as(session, 'GET', '/api/v1/session')).statusCode).toBe(401);
  });

  it('logs out', async () => {
    const session = await login('fin', passwords.fin);
    expect((await as(session, 'DELETE', '/api/v1/session')).statusCode).toBe(204);
    expect((await as(session, 'GET', '/api/v1/session')).statusCode).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses an unsafe request of a cookie session without the header or with a wrong one', async () => {
    const session = await login('fin', passwords.fin);
    const none = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/write',
      cookies: { hk_session: session.cookie },
    });
    expect(none.statusCode).toBe(403);
    expect(none.json().error.message).toMatch(/x-csrf-token/);
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/write',
      cookies: { hk_session: session.cookie },
      headers: { 'x-csrf-token': `${session.csrf.slice(0, -1)}x` },
    });
    expect(wrong.statusCode).toBe(403);
    const logout = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      cookies: { hk_session: session.cookie },
    });
    expect(logout.statusCode).toBe(403);
    const right = await as(session, 'POST', '/api/v1/probe/write');
    expect(right.statusCode).toBe(200);
  });
});

describe('guards and scope', () => {
  it('requireRoles: 401 without a session, 403 for another role, 200 for the role', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/probe/finance' })).statusCode).toBe(401);
    const agent = await login('agent', passwords.agent);
    const refused = await as(agent, 'GET', '/api/v1/probe/finance');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('forbidden');
    const fin = await login('fin', passwords.fin);
    expect((await as(fin, 'GET', '/api/v1/probe/finance')).statusCode).toBe(200);
  });

  it('gives staff all clients, an agent its team’s clients, a client user its own', async () => {
    const ids = Object.fromEntries(
      (await t.db.selectFrom('clients').select(['id', 'code']).execute()).map((c) => [c.code, Number(c.id)]),
    );
    const me = async (username: string, password: string) =>
      (await as(await login(username, password), 'GET', '/api/v1/probe/me')).json();
    expect(await me('fin', passwords.fin)).toMatchObject({ clientIds: 'all', via: 'session', scopes: null });
    expect(await me('agent', passwords.agent)).toMatchObject({ clientIds: [ids.ACME], roles: ['agent'] });
    expect((await me('agent', passwords.agent)).teamIds).toHaveLength(1);
    expect(await me('beta', passwords.client)).toMatchObject({ clientIds: [ids.BETA], teamIds: [] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/probe/me' })).body).toBe('null');
  });
});

describe('forced password change', () => {
  it('a generated password works once, then only the password change is allowed', async () => {
    const admin = await login('admin', passwords.admin);
    const created = await as(admin, 'POST', '/api/v1/users', {
      username: 'newfin',
      display_name: 'New Finance',
      roles: ['finance'],
    });
    expect(created.statusCode).toBe(201);
    const generated = created.json().generated_password as string;
    expect(generated).toMatch(/^\w{16}$/);
    expect(created.json().must_change_password).toBe(true);

    const session = await login('newfin', generated);
    const blocked = await as(session, 'GET', '/api/v1/probe/finance');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.message).toMatch(/must be changed/);
    expect((await as(session, 'GET', '/api/v1/session')).json().user.must_change_password).toBe(true);

    const short = await as(session, 'POST', '/api/v1/session/password', {
      current_password: generated,
      new_password: 'short',
    });
    expect(short.statusCode).toBe(422);
    const sameAsName = await as(session, 'POST', '/api/v1/session/password', {
      current_password: generated,
      new_password: 'NEWFIN',
    });
    expect(sameAsName.statusCode).toBe(422);
    const notTheName = await as(session, 'POST', '/api/v1/session/password', {
      current_password: generated,
      new_password: 'newfin',
    });
    expect(notTheName.statusCode).toBe(422);
    const wrongCurrent = await as(session, 'POST', '/api/v1/session/password', {
      current_password: 'not-it-at-all',
      new_password: 'a-good-new-password',
    });
    expect(wrongCurrent.statusCode).toBe(403);
    const changed = await as(session, 'POST', '/api/v1/session/password', {
      current_password: generated,
      new_password: 'a-good-new-password',
    });
    expect(changed.statusCode).toBe(204);
    expect((await as(session, 'GET', '/api/v1/probe/finance')).statusCode).toBe(200);
    const old = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'newfin', password: generated },
    });
    expect(old.statusCode).toBe(401);
    await login('newfin', 'a-good-new-password');
    // neither password reached the audit trail
    const trail = await sql<{
      row: string;
    }>`SELECT row_to_json(audit_events)::text AS row FROM audit_events`.execute(t.db);
    for (const row of trail.rows) {
      expect(row.row).not.toContain(generated);
      expect(row.row).not.toContain('a-good-new-password');
    }
  });
});

describe('API tokens', () => {
  it('act as their owner within their scopes, need no CSRF, and stop when revoked', async () => {
    const fin = await login('fin', passwords.fin);
    const read = await as(fin, 'POST', '/api/v1/tokens', { name: 'bank feed', scopes: ['read'] });
    expect(read.statusCode).toBe(201);
    const readSecret = read.json().secret as string;
    expect(readSecret).toMatch(/^hkt_/);
    const write = await as(fin, 'POST', '/api/v1/tokens', { name: 'uploader', scopes: ['read', 'write'] });
    const writeSecret = write.json().secret as string;
    const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/probe/finance', headers: bearer(readSecret) }))
        .statusCode,
    ).toBe(200);
    const me = await app.inject({ method: 'GET', url: '/api/v1/probe/me', headers: bearer(readSecret) });
    expect(me.json()).toMatchObject({ username: 'fin', via: 'token', scopes: ['read'] });
    const readWrites = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/write',
      headers: bearer(readSecret),
    });
    expect(readWrites.statusCode).toBe(403);
    const writes = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/write',
      headers: bearer(writeSecret),
    });
    expect(writes.statusCode).toBe(200);
    // a token cannot mint tokens or manage people
    const mint = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(writeSecret),
      payload: { name: 'x', scopes: ['write'] },
    });
    expect(mint.statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/probe/me', headers: bearer('hkt_nonsense') }))
        .statusCode,
    ).toBe(401);
    // tokens are stored hashed
    const stored = await sql<{
      row: string;
    }>`SELECT row_to_json(api_tokens)::text AS row FROM api_tokens`.execute(t.db);
    for (const row of stored.rows) expect(row.row).not.toContain(readSecret.slice(4));
    const trail = await sql<{
      row: string;
    }>`SELECT row_to_json(audit_events)::text AS row FROM audit_events`.execute(t.db);
    for (const row of trail.rows) expect(row.row).not.toContain(readSecret.slice(4));

    const list = await as(fin, 'GET', '/api/v1/tokens');
    expect(list.json().items.map((x: { name: string }) => x.name)).toEqual(['bank feed', 'uploader']);
    expect(list.body).not.toContain(readSecret);
    const agent = await login('agent', passwords.agent);
    // someone else's token is not found
    expect((await as(agent, 'DELETE', `/api/v1/tokens/${read.json().id}`)).statusCode).toBe(404);
    expect((await as(fin, 'DELETE', `/api/v1/tokens/${read.json().id}`)).statusCode).toBe(204);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/probe/finance', headers: bearer(readSecret) }))
        .statusCode,
    ).toBe(401);
    const expiring = await as(fin, 'POST', '/api/v1/tokens', {
      name: 'short-lived',
      scopes: ['read'],
      expires_at: new Date(clock.now.getTime() + 60_000).toISOString(),
    });
    const expiringSecret = expiring.json().secret as string;
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/probe/me', headers: bearer(expiringSecret) }))
        .statusCode,
    ).toBe(200);
    advance(2);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/probe/me', headers: bearer(expiringSecret) }))
        .statusCode,
    ).toBe(401);
    const badScope = await as(fin, 'POST', '/api/v1/tokens', { name: 'bad', scopes: ['Everything!'] });
    expect(badScope.statusCode).toBe(422);
  });
});

describe('people routes', () => {
  it('admins manage users and teams; others may not', async () => {
    const admin = await login('admin', passwords.admin);
    const agent = await login('agent', passwords.agent);
    const users = await as(admin, 'GET', '/api/v1/users?page=1&page_size=2');
    expect(users.statusCode).toBe(200);
    expect(users.json()).toMatchObject({ total: 6, page: 1, page_size: 2 });
    expect(users.json().items).toHaveLength(2);
    expect(users.body).not.toContain('argon2');
    expect((await as(agent, 'GET', '/api/v1/users')).statusCode).toBe(403);
    expect(
      (await as(agent, 'POST', '/api/v1/users', { username: 'x', display_name: 'x', roles: ['admin'] }))
        .statusCode,
    ).toBe(403);

    const team = await as(admin, 'POST', '/api/v1/teams', { name: 'West', client_codes: ['BETA'] });
    expect(team.statusCode).toBe(201);
    expect(team.json()).toMatchObject({ name: 'West', client_codes: ['BETA'], members: 0 });
    expect((await as(admin, 'POST', '/api/v1/teams', { name: 'west' })).statusCode).toBe(409);
    expect(
      (await as(admin, 'POST', '/api/v1/teams', { name: 'North', client_codes: ['NOPE'] })).statusCode,
    ).toBe(404);

    const agentRow = await t.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'agent')
      .executeTakeFirstOrThrow();
    const moved = await as(admin, 'PATCH', `/api/v1/users/${agentRow.id}`, {
      team_id: Number(team.json().id),
      approval_limit_minor: 100_00,
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ client_codes: ['BETA'], approval_limit_minor: 10000 });
    const badRole = await as(admin, 'PATCH', `/api/v1/users/${agentRow.id}`, { roles: ['boss'] });
    expect(badRole.statusCode).toBe(400);
    const clientWithTeam = await as(admin, 'POST', '/api/v1/users', {
      username: 'c2',
      display_name: 'C2',
      roles: ['client'],
      client_codes: ['ACME'],
      team_id: Number(team.json().id),
    });
    expect(clientWithTeam.statusCode).toBe(422);
    const disabled = await as(admin, 'PATCH', `/api/v1/users/${agentRow.id}`, { active: false });
    expect(disabled.json().active).toBe(false);
    // the disabled user's sessions ended with it
    expect((await as(agent, 'GET', '/api/v1/session')).statusCode).toBe(401);
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'agent', password: passwords.agent },
    });
    expect(refused.statusCode).toBe(401);
    await as(admin, 'PATCH', `/api/v1/users/${agentRow.id}`, { active: true });
    const self = await t.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    expect((await as(admin, 'PATCH', `/api/v1/users/${self.id}`, { active: false })).statusCode).toBe(409);
    const reset = await as(admin, 'PATCH', `/api/v1/users/${agentRow.id}`, { reset_password: true });
    expect(reset.json()).toMatchObject({
      must_change_password: true,
      generated_password: expect.any(String),
    });
  });
});

describe('the audit route', () => {
  it('shows compliance and admins the trail of every identity change, with the IP', async () => {
    const comp = await login('comp', passwords.comp);
    const response = await as(comp, 'GET', '/api/v1/audit?action=session.login&actor=comp');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.total).toBeGreaterThanOrEqual(1);
    expect(body.items[0]).toMatchObject({ actor: 'comp', action: 'session.login', ip: '127.0.0.1' });
    const all = await as(comp, 'GET', '/api/v1/audit?page_size=200');
    const actions = new Set(all.json().items.map((e: { action: string }) => e.action));
    for (const action of [
      'user.created',
      'user.changed',
      'user.disabled',
      'user.enabled',
      'user.locked',
      'user.unlocked',
      'user.password_changed',
      'user.password_reset',
      'team.created',
      'token.created',
      'token.revoked',
      'session.login',
      'session.login_failed',
      'session.logout',
    ]) {
      expect(actions, action).toContain(action);
    }
    const agent = await login('fin', passwords.fin);
    expect((await as(agent, 'GET', '/api/v1/audit')).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit' })).statusCode).toBe(401);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
});
