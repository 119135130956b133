/**
 * The rule profiles and the holds list through app.inject (src/compliance/profile-routes.ts): who
 * may read, propose and decide; maker-checker; validation errors naming the rule; an approved base
 * change raising the version the gate then uses; overrides shown as tightened; and the holds list's
 * filters and client scope. The authorisation matrix and bad payloads are in src/server/routes.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { addHold, liftHold } from './holds.ts';
import { gateFixture } from './holds-fixture.ts';
import { gateContact } from './service.ts';

let t: TestDatabase;
let api: TestApi;
let cn: Awaited<ReturnType<typeof gateFixture>>;
let other: Awaited<ReturnType<typeof gateFixture>>;
const { caller, callers } = testCallers();
const call: TestApi['call'] = (...args) => api.call(...args);

beforeAll(async () => {
  t = await testDatabase();
  cn = await gateFixture(t.db, 'CN', 'CN');
  other = await gateFixture(t.db, 'CN', 'CN');
  caller('compliance.li', ['compliance'], 'all');
  caller('compliance.chen', ['compliance'], 'all');
  caller('admin.zhao', ['admin'], 'all');
  caller('supervisor.he', ['supervisor'], [cn.clientId]);
  caller('agent.wang', ['agent'], [cn.clientId]);
  caller('client.cn', ['client'], [cn.clientId]);
  // a compliance officer who sees only the other client
  caller('compliance.other', ['compliance'], [other.clientId]);
  api = await testApi(t, callers);
});

afterAll(async () => {
  await api?.close();
  await t?.drop();
});

async function pendingCount(): Promise<number> {
  const row = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM compliance_profile_changes WHERE status = 'pending'`.execute(t.db);
  return row.rows[0]?.n ?? 0;
}

describe('rule profiles', () => {
  it('client users and agents see nothing; supervisors read but do not propose', async () => {
    for (const who of ['client.cn', 'agent.wang']) {
      const list = await call(who, 'GET', '/compliance/profiles');
      expect(list.status).toBe(403);
      expect(list.json().error.code).toBe('forbidden');
      const effective = await call(who, 'GET', `/compliance/profiles/CN/effective?client=${cn.clientCode}`);
      expect(effective.status).toBe(403);
    }
    const read = await call('supervisor.he', 'GET', '/compliance/profiles');
    expect(read.status).toBe(200);
    expect(read.json().profiles.map((p: { jurisdiction: string; version: number }) => p)).toMatchObject([
      { jurisdiction: 'CN', version: 1, approved_by: null },
      { jurisdiction: 'US', version: 1 },
      { jurisdiction: 'UK', version: 1 },
    ]);
    expect(read.json().profiles[0].rules.contactHours).toEqual({ earliest: '08:00:00', latest: '21:59:59' });
    const propose = await call('supervisor.he', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      client: cn.clientCode,
      changes: { robotCallsPerDay: 1 },
      reason: 'client asked',
    });
    expect(propose.status).toBe(403);
    const client = await call('client.cn', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      client: cn.clientCode,
      changes: { robotCallsPerDay: 1 },
      reason: 'we want fewer calls',
    });
    expect(client.status).toBe(403);
    expect(await pendingCount()).toBe(0);
  });

  it('a base change: the proposer cannot approve it, a second user does, and the gate uses the new version', async () => {
    // 21:30 in Shanghai: allowed under version 1 (until 21:59:59)
    const before = await gateContact(t.db, cn.call({ at: new Date('2026-03-02T21:30:00+08:00') }));
    expect(before.verdict).toBe('allow');

    const proposed = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'base',
      changes: { contactHours: { latest: '21:00' } },
      reason: '新规：21:00 后不得联系',
    });
    expect(proposed.status, proposed.body).toBe(201);
    const change = proposed.json();
    expect(change).toMatchObject({
      jurisdiction: 'CN',
      scope: 'base',
      status: 'pending',
      version: null,
      proposed_by: 'compliance.li',
      changes: { contactHours: { latest: '21:00' } },
      diff: [{ rule: 'contactHours.latest', before: '21:59:59', after: '21:00:00' }],
      diff_basis: 'in_force',
      problem: null,
    });

    const own = await call('compliance.li', 'POST', `/compliance/profile-changes/${change.id}/approve`, {});
    expect(own.status).toBe(403);
    expect(own.json().error).toMatchObject({
      code: 'forbidden',
      details: { rule: 'maker_checker', proposed_by: 'compliance.li' },
    });
    expect(own.json().error.message).toMatch(/another user must approve it/);
    const ownReject = await call('compliance.li', 'POST', `/compliance/profile-changes/${change.id}/reject`, {
      reason: 'changed my mind',
    });
    expect(ownReject.status).toBe(403);
    expect(await pendingCount()).toBe(1);

    const listed = await call('compliance.chen', 'GET', '/compliance/profiles');
    expect(listed.json().pending).toMatchObject([{ id: change.id, diff: change.diff }]);
    expect(listed.json().profiles[0].version).toBe(1);

    const approved = await call('admin.zhao', 'POST', `/compliance/profile-changes/${change.id}/approve`, {
      reason: '已核对',
    });
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      version: 2,
      decided_by: 'admin.zhao',
      decision_reason: '已核对',
      diff: [{ rule: 'contactHours.latest', before: '21:59:59', after: '21:00:00' }],
      diff_basis: 'previous_version',
      profile: { jurisdiction: 'CN', version: 2, rules: { contactHours: { latest: '21:00:00' } } },
    });
    const again = await call(
      'compliance.chen',
      'POST',
      `/compliance/profile-changes/${change.id}/approve`,
      {},
    );
    expect(again.status).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');

    const after = await call('supervisor.he', 'GET', '/compliance/profiles');
    expect(after.json().profiles[0]).toMatchObject({
      jurisdiction: 'CN',
      version: 2,
      approved_by: 'admin.zhao',
      rules: { contactHours: { earliest: '08:00:00', latest: '21:00:00' } },
    });
    expect(after.json().pending).toEqual([]);
    expect(after.json().recent[0]).toMatchObject({ id: change.id, status: 'approved', version: 2 });

    // the gate now refuses 21:30 and stores the version that refused it
    const refused = await gateContact(t.db, cn.call({ at: new Date('2026-03-03T21:30:00+08:00') }));
    expect(refused).toMatchObject({ verdict: 'deny', reasons: ['quiet_hours'] });
    const stored = await sql<{ verdict: string; profile_version: number }>`
      SELECT verdict, profile_version FROM compliance_verdicts WHERE id = ${refused.verdictId}`.execute(t.db);
    expect(stored.rows).toEqual([{ verdict: 'deny', profile_version: 2 }]);
    const atNine = await gateContact(t.db, cn.call({ at: new Date('2026-03-03T21:00:00+08:00') }));
    expect(atNine.verdict).toBe('allow');

    const audit = await sql<{ actor: string; action: string; actor_user_id: bigint; ip: string }>`
      SELECT actor, action, actor_user_id, ip FROM audit_events
       WHERE entity_type = 'compliance_profile_change' AND entity_id = ${String(change.id)} ORDER BY id`.execute(
      t.db,
    );
    // user ids in the order the callers were made; app.inject's remote address
    expect(audit.rows).toEqual([
      { actor: 'compliance.li', action: 'compliance.profile_proposed', actor_user_id: 1n, ip: '127.0.0.1' },
      { actor: 'admin.zhao', action: 'compliance.profile_approved', actor_user_id: 3n, ip: '127.0.0.1' },
    ]);
  });

  it('validation errors name the rule and the problem; nothing is stored', async () => {
    const loosen = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      client: cn.clientCode,
      changes: { contactHours: { latest: '23:00' }, callsPerDy: 2, robotCallsPerDay: 'two' },
      reason: 'client wants late calls',
    });
    expect(loosen.status).toBe(422);
    const error = loosen.json().error;
    expect(error.code).toBe('bad_input');
    expect(error.details.problems).toEqual([
      {
        rule: 'contactHours',
        reason: "latest 23:00:00 is after the profile's 21:00:00; an override may only tighten",
      },
      { rule: 'callsPerDy', reason: expect.stringMatching(/^is not a rule that can be set/) },
      { rule: 'robotCallsPerDay', reason: 'must be a whole number from 0 to 10000 (or null for none)' },
    ]);
    expect(error.message).toMatch(/contactHours latest 23:00:00 is after/);

    const noClient = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      changes: { robotCallsPerDay: 1 },
      reason: 'x',
    });
    expect(noClient.status).toBe(400);
    expect(noClient.json().error.code).toBe('bad_input');
    expect(JSON.stringify(noClient.json().error.details)).toContain('client');
    const empty = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'base',
      changes: {},
      reason: 'x',
    });
    expect(empty.status).toBe(400);
    const earlyAfterLate = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'UK',
      scope: 'base',
      changes: { contactHours: { earliest: '22:00' } },
      reason: 'typo',
    });
    expect(earlyAfterLate.status).toBe(422);
    expect(earlyAfterLate.json().error.details.problems).toEqual([
      { rule: 'contactHours', reason: 'earliest 22:00:00 is after latest 21:00:00' },
    ]);
    expect(await pendingCount()).toBe(0);
  });

  it('client and account overrides tighten; the effective profile says which value each set', async () => {
    const clientChange = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      client: cn.clientCode,
      changes: { unansweredCallsPerNumberPerDay: 4 },
      reason: '委托方要求',
    });
    expect(clientChange.status, clientChange.body).toBe(201);
    expect(clientChange.json()).toMatchObject({
      scope: 'client',
      client_code: cn.clientCode,
      diff: [{ rule: 'unansweredCallsPerNumberPerDay', before: 6, after: 4 }],
    });
    const accountChange = await call('compliance.chen', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'account',
      account_id: Number(cn.accountId),
      changes: { robotCallsPerDay: 1, contactHours: { earliest: '09:00' } },
      reason: '投诉后收紧',
    });
    expect(accountChange.status, accountChange.body).toBe(201);
    expect(accountChange.json().account_ref).toBe(`${cn.clientCode}-1`);
    expect(
      (await call('admin.zhao', 'POST', `/compliance/profile-changes/${clientChange.json().id}/approve`, {}))
        .status,
    ).toBe(200);
    expect(
      (
        await call(
          'compliance.li',
          'POST',
          `/compliance/profile-changes/${accountChange.json().id}/approve`,
          {},
        )
      ).status,
    ).toBe(200);

    const forClient = await call(
      'supervisor.he',
      'GET',
      `/compliance/profiles/CN/effective?client=${cn.clientCode}`,
    );
    expect(forClient.status, forClient.body).toBe(200);
    const clientLabel = `client:${cn.clientId}@1`;
    expect(forClient.json()).toMatchObject({
      jurisdiction: 'CN',
      version: 2,
      base_version: 2,
      client: cn.clientCode,
      account_id: null,
      overrides: [clientLabel],
      tightened: [{ rule: 'unansweredCallsPerNumberPerDay', base: 6, value: 4, by: clientLabel }],
    });
    const forAccount = await call(
      'compliance.li',
      'GET',
      `/compliance/profiles/CN/effective?account=${cn.accountId}`,
    );
    const accountLabel = `account:${cn.accountId}@1`;
    expect(forAccount.json()).toMatchObject({
      client: cn.clientCode,
      account_id: Number(cn.accountId),
      overrides: [clientLabel, accountLabel],
      rules: { contactHours: { earliest: '09:00:00', latest: '21:00:00' }, robotCallsPerDay: 1 },
      tightened: [
        { rule: 'unansweredCallsPerNumberPerDay', base: 6, value: 4, by: clientLabel },
        { rule: 'contactHours.earliest', base: '08:00:00', value: '09:00:00', by: accountLabel },
        { rule: 'robotCallsPerDay', base: 3, value: 1, by: accountLabel },
      ],
    });
    // the other client has none of it
    const plain = await call(
      'compliance.li',
      'GET',
      `/compliance/profiles/CN/effective?client=${other.clientCode}`,
    );
    expect(plain.json()).toMatchObject({ overrides: [], tightened: [] });
    const mismatch = await call(
      'compliance.li',
      'GET',
      `/compliance/profiles/CN/effective?client=${other.clientCode}&account=${cn.accountId}`,
    );
    expect(mismatch.status).toBe(422);
  });

  it('a rejection needs a reason; a compliance officer outside the client sees neither the override nor its decision', async () => {
    const proposed = await call('compliance.li', 'POST', '/compliance/profile-changes', {
      jurisdiction: 'CN',
      scope: 'client',
      client: cn.clientCode,
      changes: { locateOncePerPerson: true },
      reason: '只联系一次第三方',
    });
    const id = proposed.json().id;
    const outsider = await call('compliance.other', 'GET', '/compliance/profiles');
    expect(outsider.json().pending.map((c: { id: number }) => c.id)).not.toContain(id);
    expect(outsider.json().recent.every((c: { scope: string }) => c.scope === 'base')).toBe(true);
    const hidden = await call('compliance.other', 'POST', `/compliance/profile-changes/${id}/approve`, {});
    expect(hidden.status).toBe(404);
    const outsideClient = await call(
      'compliance.other',
      'GET',
      `/compliance/profiles/CN/effective?client=${cn.clientCode}`,
    );
    expect(outsideClient.status).toBe(404);

    const noReason = await call('compliance.chen', 'POST', `/compliance/profile-changes/${id}/reject`, {});
    expect(noReason.status).toBe(400);
    const rejected = await call('compliance.chen', 'POST', `/compliance/profile-changes/${id}/reject`, {
      reason: '与合同不符',
    });
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      version: null,
      decided_by: 'compliance.chen',
      decision_reason: '与合同不符',
      profile: null,
    });
    const missing = await call('admin.zhao', 'POST', '/compliance/profile-changes/999999/approve', {});
    expect(missing.status).toBe(404);
  });
});

describe('holds across accounts', () => {
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    const second = await cn.addAccount('2');
    const by = 'compliance.li';
    const add = async (name: string, input: Parameters<typeof addHold>[1]) => {
      ids[name] = Number((await addHold(t.db, input, by)).hold.id);
    };
    await add('dispute', { accountId: cn.accountId, kind: 'dispute', source: 'phone' });
    await add('debtorCease', { accountId: second, onDebtor: true, kind: 'cease', source: 'letter' });
    await add('scheduled', { accountId: second, kind: 'legal', source: 'court', startsAt: '2099-01-01' });
    await add('ended', {
      accountId: second,
      kind: 'breathing_space',
      source: 'agency',
      startsAt: '2026-01-01',
      endsAt: '2026-01-10',
    });
    await add('lifted', { accountId: cn.accountId, kind: 'opt_out_sms', source: 'sms_reply' });
    await liftHold(t.db, BigInt(ids.lifted as number), 'opted back in', by);
    await add('otherClient', { accountId: other.accountId, kind: 'dispute', source: 'email' });
  });

  type Row = {
    id: number;
    status: string;
    kind: string;
    link_account_id: number;
    account_ref: string | null;
  };
  const listed = async (query: string, as = 'compliance.li') => {
    const response = await call(as, 'GET', `/compliance/holds${query}`);
    expect(response.status, response.body).toBe(200);
    return response.json() as { items: Row[]; total: number; total_capped: boolean; page: number };
  };

  it('lists every hold newest first with its status, filtered by status and kind', async () => {
    const all = await listed('');
    expect(all.items.map((h) => h.id)).toEqual(
      ['otherClient', 'lifted', 'ended', 'scheduled', 'debtorCease', 'dispute'].map((n) => ids[n]),
    );
    expect(all.total).toBe(6);
    expect(all.items.map((h) => h.status)).toEqual([
      'active',
      'lifted',
      'ended',
      'scheduled',
      'active',
      'active',
    ]);
    const cease = all.items.find((h) => h.id === ids.debtorCease) as Row;
    // a debtor-wide hold links to the debtor's first account
    expect(cease).toMatchObject({ account_ref: null, link_account_id: Number(cn.accountId) });

    for (const [status, names] of Object.entries({
      active: ['otherClient', 'debtorCease', 'dispute'],
      scheduled: ['scheduled'],
      ended: ['ended'],
      lifted: ['lifted'],
    })) {
      expect(
        (await listed(`?status=${status}`)).items.map((h) => h.id),
        status,
      ).toEqual(names.map((n) => ids[n]));
    }
    expect((await listed('?kind=dispute&status=active')).items.map((h) => h.id)).toEqual([
      ids.otherClient,
      ids.dispute,
    ]);
  });

  it('filters by client, account (its debtor’s holds too) and the day recorded, in pages', async () => {
    expect((await listed(`?client=${cn.clientCode}`)).total).toBe(5);
    // account 1: its own holds and the debtor-wide cease, not account 2's
    expect((await listed(`?account=${cn.accountId}`)).items.map((h) => h.id)).toEqual([
      ids.lifted,
      ids.debtorCease,
      ids.dispute,
    ]);
    const today = todayIn('Asia/Shanghai');
    expect((await listed(`?from=${today}&to=${today}`)).total).toBe(6);
    expect((await listed(`?to=${addDays(today, -1)}`)).total).toBe(0);
    const page2 = await listed('?page=2&page_size=4');
    expect(page2).toMatchObject({ total: 6, page: 2, total_capped: false });
    expect(page2.items.map((h) => h.id)).toEqual([ids.debtorCease, ids.dispute]);
    const bad = await call('compliance.li', 'GET', '/compliance/holds?status=in_force');
    expect(bad.status).toBe(400);
  });

  it('keeps to the caller’s clients; client users and agents are refused', async () => {
    const scoped = await listed('', 'compliance.other');
    expect(scoped.items.map((h) => h.id)).toEqual([ids.otherClient]);
    expect(scoped.total).toBe(1);
    const supervisor = await listed('', 'supervisor.he');
    expect(supervisor.total).toBe(5);
    const outside = await call('compliance.other', 'GET', `/compliance/holds?client=${cn.clientCode}`);
    expect(outside.status).toBe(404);
    const outsideAccount = await call('compliance.other', 'GET', `/compliance/holds?account=${cn.accountId}`);
    expect(outsideAccount.status).toBe(404);
    for (const who of ['client.cn', 'agent.wang']) {
      expect((await call(who, 'GET', '/compliance/holds')).status).toBe(403);
    }
  });
});
