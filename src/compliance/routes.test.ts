/**
 * The holds and consent routes through app.inject: who may write what (agents record disputes,
 * cease requests and opt-outs; compliance, supervisors and admins everything), client users read
 * their own client's only, every change audited with the user and IP, and the gate reading what
 * the routes stored. The authorisation matrix and bad payloads are in src/server/routes.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import type { Api } from '../server/context.ts';
import { gateFixture } from './holds-fixture.ts';
import { gateContact } from './service.ts';

let t: TestDatabase;
let app: Api;
let cn: Awaited<ReturnType<typeof gateFixture>>;
let us: Awaited<ReturnType<typeof gateFixture>>;
const { caller, callers } = testCallers();
let api: TestApi;
const call: TestApi['call'] = (...args) => api.call(...args);

beforeAll(async () => {
  t = await testDatabase();
  cn = await gateFixture(t.db, 'CN', 'CN');
  us = await gateFixture(t.db, 'US', 'US');
  // user ids 1, 2, 3 in this order (the audit rows name them)
  caller('agent.wang', ['agent'], [cn.clientId]);
  caller('compliance.li', ['compliance'], 'all');
  caller('client.cn', ['client'], [cn.clientId]);
  api = await testApi(t, callers);
  app = api.app;
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('holds through the API', () => {
  it('an agent records a cease and an opt-out heard on the phone, not a bankruptcy; compliance lifts', async () => {
    const cease = await call('agent.wang', 'POST', `/accounts/${cn.accountId}/holds`, {
      kind: 'cease',
      source: 'phone',
      note: '债务人要求停止催收',
      starts: '2026-03-01',
    });
    expect(cease.status).toBe(201);
    expect(cease.json()).toMatchObject({
      kind: 'cease',
      account_id: Number(cn.accountId),
      source: 'phone',
      recorded_by: 'agent.wang',
      // a date is the start of the day in the debtor's zone (China)
      starts_at: '2026-02-28T16:00:00.000Z',
      status: 'active',
    });
    expect((await gateContact(t.db, cn.call())).reasons).toEqual(['hold_cease']);

    const optOut = {
      kind: 'opt_out_sms',
      scope: 'debtor',
      source: 'phone',
      contact_point_id: String(cn.phoneId),
    };
    const first = await call('agent.wang', 'POST', `/accounts/${cn.accountId}/holds`, optOut);
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({ account_id: null, contact_point_id: Number(cn.phoneId) });
    const again = await call('agent.wang', 'POST', `/accounts/${cn.accountId}/holds`, optOut);
    expect(again.status).toBe(200);
    expect(again.json().id).toBe(first.json().id);

    const bankruptcy = await call('agent.wang', 'POST', `/accounts/${cn.accountId}/holds`, {
      kind: 'bankruptcy',
      source: 'court',
    });
    expect(bankruptcy.status).toBe(403);
    expect(bankruptcy.json().error.message).toMatch(/An agent may record dispute, cease/);
    expect((await call('agent.wang', 'POST', `/holds/${cease.json().id}/lift`, { reason: 'x' })).status).toBe(
      403,
    );

    const lifted = await call('compliance.li', 'POST', `/holds/${cease.json().id}/lift`, { reason: '误录' });
    expect(lifted.status).toBe(200);
    expect(lifted.json()).toMatchObject({
      status: 'lifted',
      lifted_by: 'compliance.li',
      lift_reason: '误录',
    });

    const audit = await sql<{
      action: string;
      actor: string;
      actor_user_id: bigint | null;
      ip: string | null;
    }>`
      SELECT action, actor, actor_user_id, ip FROM audit_events
       WHERE entity_type = 'compliance_hold' AND entity_id = ${String(cease.json().id)} ORDER BY id`.execute(
      t.db,
    );
    expect(audit.rows).toEqual([
      { action: 'compliance.hold_added', actor: 'agent.wang', actor_user_id: 1n, ip: '127.0.0.1' },
      { action: 'compliance.hold_lifted', actor: 'compliance.li', actor_user_id: 2n, ip: '127.0.0.1' },
    ]);

    const list = await call('client.cn', 'GET', `/accounts/${cn.accountId}/holds`);
    expect(list.json().items.map((h: { kind: string; status: string }) => [h.kind, h.status])).toEqual([
      ['opt_out_sms', 'active'],
      ['cease', 'lifted'],
    ]);
    const current = await call('client.cn', 'GET', `/accounts/${cn.accountId}/holds?current=true`);
    expect(current.json().items.map((h: { kind: string }) => h.kind)).toEqual(['opt_out_sms']);
  });

  it('a client user reads its own client only and writes nothing; a bad end date is refused', async () => {
    expect((await call('client.cn', 'GET', `/accounts/${us.accountId}/holds`)).status).toBe(404);
    expect(
      (
        await call('agent.wang', 'POST', `/accounts/${us.accountId}/holds`, {
          kind: 'cease',
          source: 'phone',
        })
      ).status,
    ).toBe(404);
    expect(
      (await call('client.cn', 'POST', `/accounts/${cn.accountId}/holds`, { kind: 'cease', source: 'phone' }))
        .status,
    ).toBe(403);
    const bad = await call('compliance.li', 'POST', `/accounts/${cn.accountId}/holds`, {
      kind: 'breathing_space',
      source: 'court',
      starts: '2026-03-10',
      ends: '2026-03-01',
    });
    expect(bad.status).toBe(422);
    expect(bad.json().error.message).toMatch(/must end after it starts/);
  });
});

describe('consent, lost contact and agreed contacts through the API', () => {
  it('records and withdraws consent; sets and clears lost contact; adds an agreed contact the gate then reaches', async () => {
    const consent = await call('compliance.li', 'POST', `/accounts/${cn.accountId}/consents`, {
      kind: 'quiet_hours',
      source: 'phone',
      given: '2026-03-01',
    });
    expect(consent.status).toBe(201);
    expect(consent.json()).toMatchObject({ kind: 'quiet_hours', channel: null, current: true });
    const withdrawn = await call('compliance.li', 'POST', `/consents/${consent.json().id}/withdraw`, {
      reason: '债务人撤回',
    });
    expect(withdrawn.json()).toMatchObject({ current: false, withdraw_reason: '债务人撤回' });
    const consents = await call('client.cn', 'GET', `/accounts/${cn.accountId}/consents`);
    expect(consents.json().items).toHaveLength(1);

    const contact = await call('compliance.li', 'POST', `/accounts/${cn.accountId}/agreed-contacts`, {
      kind: 'phone',
      value: '13900002222',
      holder_name: '王五',
      relation: '配偶',
    });
    expect(contact.status).toBe(201);
    expect(contact.json()).toMatchObject({ kind: 'phone', masked: '+86 139****2222', relation: '配偶' });
    const listed = await call('client.cn', 'GET', `/accounts/${cn.accountId}/agreed-contacts`);
    expect(listed.json().items.map((c: { id: number }) => c.id)).toEqual([contact.json().id]);

    // the state is set and cleared now: the gate is asked about a later instant
    const agreed = cn.call({
      contactPointId: BigInt(contact.json().id),
      party: 'agreed_contact',
      at: new Date('2027-01-04T10:00:00+08:00'),
    });
    expect((await gateContact(t.db, agreed)).reasons).toEqual(['third_party_not_lost_contact']);
    const set = await call('compliance.li', 'POST', `/accounts/${cn.accountId}/lost-contact`, {
      reason: '空号',
    });
    expect(set.json()).toMatchObject({
      lost: true,
      history: [{ set_by: 'compliance.li', set_reason: '空号' }],
    });
    expect(
      (await call('compliance.li', 'POST', `/accounts/${cn.accountId}/lost-contact`, { reason: '空号' }))
        .status,
    ).toBe(409);
    expect((await gateContact(t.db, agreed)).verdict).toBe('allow_with_conditions');
    const cleared = await call('compliance.li', 'POST', `/accounts/${cn.accountId}/lost-contact/clear`, {
      reason: '已联系上',
    });
    expect(cleared.json()).toMatchObject({ lost: false });
    expect((await gateContact(t.db, agreed)).reasons).toEqual(['third_party_not_lost_contact']);
    const state = await call('client.cn', 'GET', `/accounts/${cn.accountId}/lost-contact`);
    expect(state.json().history[0]).toMatchObject({ cleared_by: 'compliance.li', clear_reason: '已联系上' });
  });
});

describe('the US validation notice through the API', () => {
  it('records the notice with its computed dates; the verification lifts a written dispute', async () => {
    expect(
      (await call('compliance.li', 'GET', `/accounts/${us.accountId}/validation-notice`)).json(),
    ).toEqual({
      notice: null,
    });
    // sent Friday 20 November 2026: Thanksgiving (26th) and a weekend are not business days
    const notice = await call('compliance.li', 'POST', `/accounts/${us.accountId}/validation-notice`, {
      sent_on: '2026-11-20',
    });
    expect(notice.status).toBe(201);
    expect(notice.json()).toMatchObject({
      sent_on: '2026-11-20',
      assumed_receipt: '2026-11-30',
      period_ends_on: '2026-12-30',
    });
    const dispute = await call('compliance.li', 'POST', `/accounts/${us.accountId}/holds`, {
      kind: 'dispute',
      source: 'letter',
      starts: '2026-12-01',
    });
    expect(dispute.json()).toMatchObject({ verification_required: true });
    const refused = await call('compliance.li', 'POST', `/holds/${dispute.json().id}/lift`, {
      reason: 'done',
    });
    expect(refused.status).toBe(409);
    const verification = await call(
      'compliance.li',
      'POST',
      `/accounts/${us.accountId}/validation-notice/verification`,
      {
        sent_on: '2026-12-02',
      },
    );
    expect(verification.status).toBe(200);
    expect(verification.json()).toMatchObject({
      notice: { verification_sent_on: '2026-12-02' },
      lifted_hold_ids: [dispute.json().id],
    });
    expect(
      (
        await call('compliance.li', 'POST', `/accounts/${cn.accountId}/validation-notice`, {
          sent_on: '2026-11-20',
        })
      ).status,
    ).toBe(409);
  });
});
