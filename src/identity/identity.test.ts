import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { resolveActor } from './actor.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
  expect((await cli(['client', 'add', '--code', 'ACME', '--name', 'Acme', '--user', 'ops'])).code).toBe(0);
});
afterAll(async () => {
  await t?.drop();
});

describe('resolveActor', () => {
  it('accepts any name while no user exists', async () => {
    expect(await resolveActor(t.db, 'whoever', ['finance'])).toBe('whoever');
  });

  it('once users exist, needs an active user holding one of the roles', async () => {
    const added = await cli([
      'user',
      'add',
      '--username',
      'root',
      '--name',
      'Root',
      '--role',
      'admin',
      '--password',
      'root-password-1',
      '--user',
      'installer',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(await resolveActor(t.db, 'root', ['admin'])).toBe('root');
    expect(await resolveActor(t.db, 'ROOT', ['finance', 'admin'])).toBe('root');
    await expect(resolveActor(t.db, 'whoever', ['admin'])).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/not a Huikuan user/),
    });
    await expect(resolveActor(t.db, 'root', ['finance'])).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/needs the role finance/),
    });
  });
});

describe('the people commands', () => {
  it('user add: a generated password is printed once and must be changed; only an admin may add', async () => {
    const refused = await cli([
      'user',
      'add',
      '--username',
      'x1',
      '--name',
      'X',
      '--role',
      'agent',
      '--user',
      'stranger',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a Huikuan user/);
    const team = await cli(['team', 'add', '--name', 'East', '--client', 'ACME', '--user', 'root', '--json']);
    expect(team.code, team.stderr).toBe(0);
    expect(team.json().team).toMatchObject({ name: 'East', client_codes: ['ACME'] });
    const human = await cli([
      'user',
      'add',
      '--username',
      'li.wei',
      '--name',
      '李伟',
      '--role',
      'agent,supervisor',
      '--team',
      'East',
      '--user',
      'root',
    ]);
    expect(human.code, human.stderr).toBe(0);
    const password = /Password \(shown once; to be changed at first login\): (\w+)/.exec(human.stdout)?.[1];
    expect(password).toMatch(/^\w{16}$/);
    const list = await cli(['user', 'list', '--json']);
    const li = list.json().users.find((u: { username: string }) => u.username === 'li.wei');
    expect(li).toMatchObject({
      roles: ['agent', 'supervisor'],
      must_change_password: true,
      client_codes: 'all',
    });
    expect(list.stdout).not.toContain(password);
    const client = await cli([
      'user',
      'add',
      '--username',
      'acme-portal',
      '--name',
      'Acme',
      '--role',
      'client',
      '--client',
      'ACME',
      '--password',
      'portal-password-1',
      '--approval-limit',
      '0',
      '--user',
      'root',
      '--json',
    ]);
    expect(client.code, client.stderr).toBe(0);
    expect(client.json()).toMatchObject({
      user: { client_codes: ['ACME'], must_change_password: false },
      generated_password: null,
    });
    const dup = await cli([
      'user',
      'add',
      '--username',
      'LI.WEI',
      '--name',
      'Again',
      '--role',
      'agent',
      '--user',
      'root',
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
  });

  it('enforces the password policy and the role rules', async () => {
    const short = await cli([
      'user',
      'add',
      '--username',
      'p1',
      '--name',
      'P',
      '--role',
      'agent',
      '--password',
      'short',
      '--user',
      'root',
    ]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 10/);
    const asName = await cli([
      'user',
      'add',
      '--username',
      'longusername',
      '--name',
      'P',
      '--role',
      'agent',
      '--password',
      'LongUserName',
      '--user',
      'root',
    ]);
    expect(asName.code).toBe(2);
    expect(asName.stderr).toMatch(/user name/);
    const badRole = await cli([
      'user',
      'add',
      '--username',
      'p2',
      '--name',
      'P',
      '--role',
      'boss',
      '--user',
      'root',
    ]);
    expect(badRole.code).toBe(2);
    const mixed = await cli([
      'user',
      'add',
      '--username',
      'p3',
      '--name',
      'P',
      '--role',
      'client,admin',
      '--client',
      'ACME',
      '--user',
      'root',
    ]);
    expect(mixed.code).toBe(2);
    const orphan = await cli([
      'user',
      'add',
      '--username',
      'p4',
      '--name',
      'P',
      '--role',
      'client',
      '--user',
      'root',
    ]);
    expect(orphan.code).toBe(2);
    const noTeam = await cli([
      'user',
      'add',
      '--username',
      'p5',
      '--name',
      'P',
      '--role',
      'agent',
      '--team',
      'Nowhere',
      '--user',
      'root',
    ]);
    expect(noTeam.code).toBe(1);
  });

  it('passwd, unlock, disable and enable, each audited', async () => {
    const passwd = await cli([
      'user',
      'passwd',
      'li.wei',
      '--password',
      'brand-new-pass-1',
      '--user',
      'root',
      '--json',
    ]);
    expect(passwd.code, passwd.stderr).toBe(0);
    expect(passwd.json().user.must_change_password).toBe(false);
    const reset = await cli(['user', 'passwd', 'li.wei', '--user', 'root']);
    expect(reset.stdout).toMatch(/to be changed at next login\): \w{16}/);
    await t.db
      .updateTable('users')
      .set({ locked_until: new Date(Date.now() + 600_000) })
      .where('username', '=', 'li.wei')
      .execute();
    const unlock = await cli(['user', 'unlock', 'li.wei', '--user', 'root', '--json']);
    expect(unlock.json().user.locked_until).toBeNull();
    expect((await cli(['user', 'disable', 'li.wei', '--user', 'root', '--json'])).json().user.active).toBe(
      false,
    );
    expect((await cli(['user', 'disable', 'root', '--user', 'root'])).code).toBe(1);
    expect((await cli(['user', 'enable', 'li.wei', '--user', 'root', '--json'])).json().user.active).toBe(
      true,
    );
    expect((await cli(['user', 'unlock', 'nobody', '--user', 'root'])).code).toBe(1);
    const audit = await cli(['audit', 'list', '--entity-type', 'user', '--user', 'root', '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    const actions = audit
      .json()
      .events.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'installer user.created',
        'root user.created',
        'root user.password_reset',
        'root user.unlocked',
        'root user.disabled',
        'root user.enabled',
      ]),
    );
    // audit commands need compliance or admin once users exist
    const byAgent = await cli(['audit', 'verify', '--user', 'li.wei']);
    expect(byAgent.code).toBe(1);
    expect(byAgent.stderr).toMatch(/needs one of the roles compliance, admin/);
    expect((await cli(['audit', 'verify', '--user', 'root'])).code).toBe(0);
  });

  it('token create prints the secret once; token revoke ends it', async () => {
    const created = await cli([
      'token',
      'create',
      '--user',
      'li.wei',
      '--name',
      'dialler',
      '--scope',
      'read,calls:write',
      '--actor',
      'root',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { token, secret } = created.json();
    expect(secret).toMatch(/^hkt_[\w-]{43}$/);
    expect(token).toMatchObject({
      username: 'li.wei',
      name: 'dialler',
      scopes: ['read', 'calls:write'],
      revoked_at: null,
    });
    const listed = await cli(['token', 'list']);
    expect(listed.stdout).toContain('dialler');
    expect(listed.stdout).not.toContain(secret);
    const badScope = await cli([
      'token',
      'create',
      '--user',
      'li.wei',
      '--name',
      'x',
      '--scope',
      'ALL',
      '--actor',
      'root',
    ]);
    expect(badScope.code).toBe(2);
    const notAdmin = await cli([
      'token',
      'create',
      '--user',
      'root',
      '--name',
      'x',
      '--scope',
      'read',
      '--actor',
      'li.wei',
    ]);
    expect(notAdmin.code).toBe(1);
    const revoked = await cli(['token', 'revoke', String(token.id), '--user', 'root', '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json().token.revoked_at).not.toBeNull();
    const audit = await cli(['audit', 'list', '--entity-type', 'api_token', '--user', 'root', '--json']);
    expect(audit.json().events.map((e: { action: string }) => e.action)).toEqual([
      'token.revoked',
      'token.created',
    ]);
  });
});
