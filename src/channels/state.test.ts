/**
 * The account page's channels through the API: each contact point's state and the gate's verdict
 * now (a preview that stores nothing), masked more for a client user; the contact check; sending
 * from a template, sent and refused, with the reasons in the answer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addAgreedContact, addHold, recordConsent } from '../compliance/holds.ts';
import type { Party } from '../compliance/profiles.ts';
import { previewContact, previewContacts } from '../compliance/service.ts';
import type { ComplianceTables } from '../compliance/tables.ts';
import type { Api } from '../server/context.ts';
import { decideTemplate, proposeTemplate } from '../templates/service.ts';
import { channelsFrom, sendMessage } from './service.ts';
import { accountChannels, maskForClient } from './state.ts';
import {
  channelFixture,
  daytime,
  startProvider,
  testCallers,
  testConfig,
  testServer,
} from './test-support.ts';

let t: TestDatabase;
let app: Api;
let provider: Awaited<ReturnType<typeof startProvider>>;
let f: Awaited<ReturnType<typeof channelFixture>>;
let agreedId: bigint;
const { caller, callers } = testCallers();
const since = new Date('2026-01-05T02:00:00Z');

async function call(as: string, method: 'GET' | 'POST', url: string, body?: unknown) {
  const response = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { 'x-test-caller': as, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, json: () => response.json() };
}

async function verdictCount(): Promise<number> {
  const rows = await t.db
    .withTables<ComplianceTables>()
    .selectFrom('compliance_verdicts')
    .select('id')
    .where('account_id', '=', f.accountId)
    .execute();
  return rows.length;
}

beforeAll(async () => {
  t = await testDatabase();
  let sids = 0;
  provider = await startProvider(() => ({
    status: 201,
    body: { sid: `SM${(++sids).toString(16).padStart(32, '0')}`, status: 'queued' },
  }));
  const config = testConfig({
    agency: { name: '回款催收服务有限公司', address: ['上海'], phone: '400-800-1234', email: null },
    smsProvider: 'twilio',
    twilio: {
      apiBase: provider.url,
      accountSid: `AC${'c3'.repeat(16)}`,
      authToken: 'x',
      from: '+15005550006',
      messagingServiceSid: null,
    },
  });
  app = await testServer(t, config, callers);
  f = await channelFixture(t.db, { phone: '+8613800000301', email: 'zhou.jiu@example.com' });
  caller('agent.a', ['agent'], [f.clientId]);
  caller('agent.elsewhere', ['agent'], []);
  caller('client.a', ['client'], [f.clientId]);
  caller('compliance.a', ['compliance'], 'all');
  // the debtor agreed to be reached at any hour: the verdicts below do not depend on the clock
  await recordConsent(
    t.db,
    { debtorId: f.debtorId, kind: 'quiet_hours', source: 'phone', givenAt: since },
    'agent.a',
  );
  await addHold(
    t.db,
    {
      debtorId: f.debtorId,
      kind: 'opt_out_sms',
      source: 'sms_reply',
      contactPointId: f.phoneId,
      startsAt: since,
    },
    'system',
  );
  await t.db
    .updateTable('contact_points')
    .set({ status: 'do_not_contact' })
    .where('id', '=', f.emailId)
    .execute();
  const agreed = await addAgreedContact(
    t.db,
    { debtorId: f.debtorId, kind: 'phone', value: '+8613900000302', holderName: '周母', relation: '母亲' },
    'agent.a',
  );
  agreedId = BigInt(agreed.id);
  // an e-mail refused earlier: the latest message of that point and channel
  await sendMessage(
    t.db,
    {
      accountId: f.accountId,
      contactPointId: f.emailId,
      channel: 'email',
      subject: '提醒',
      text: '请还款',
      at: daytime,
      actor: 'agent.a',
    },
    channelsFrom(
      testConfig({
        smtp: {
          host: '127.0.0.1',
          port: 9,
          secure: false,
          user: null,
          password: null,
          from: 'a@b.test',
          requireTls: false,
        },
      }),
    ),
  );
  const proposed = await proposeTemplate(
    t.db,
    {
      code: 'reminder',
      channel: 'sms',
      language: 'zh-CN',
      subject: null,
      body: '{{debtor_name}}您好，您的欠款{{balance}}尚未结清。',
      reason: 'v1',
    },
    'supervisor.li',
  );
  await decideTemplate(t.db, proposed.id, 'approve', 'ok', 'compliance.zhou');
});
afterAll(async () => {
  await app?.close();
  await provider?.close();
  await t?.drop();
});

/** Whether the CN profile's contact hours (08:00–21:59:59 in Shanghai) are over now. */
function quietHoursNow(): boolean {
  const hour = Number(
    new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', hour: 'numeric', hourCycle: 'h23' }).format(
      new Date(),
    ),
  );
  return hour < 8 || hour >= 22;
}

describe('GET /accounts/:id/channels', () => {
  it("shows each point's state and the gate's verdict now, storing no verdict", async () => {
    const before = await verdictCount();
    const quietBefore = quietHoursNow();
    const response = await call('agent.a', 'GET', `/accounts/${f.accountId}/channels`);
    const quietAfter = quietHoursNow();
    expect(response.status).toBe(200);
    const body = response.json();
    expect(await verdictCount()).toBe(before);
    expect(body.points.map((p: { id: number }) => BigInt(p.id))).toEqual([f.phoneId, f.emailId, agreedId]);
    const [phone, email, agreed] = body.points;
    expect(phone).toMatchObject({
      kind: 'phone',
      party: 'debtor',
      value: '+86 138****0301',
      status: 'unverified',
      holder_name: null,
      opt_outs: [{ channel: 'sms', source: 'sms_reply', scope: 'point', since: since.toISOString() }],
      consents: [
        { kind: 'quiet_hours', channel: null, source: 'phone', current: true, given_at: since.toISOString() },
      ],
    });
    expect(phone.channels).toEqual([
      {
        channel: 'call',
        preview: { verdict: 'allow', reasons: [], jurisdiction: 'CN', profile_version: 1, overrides: [] },
        last: null,
      },
      {
        channel: 'sms',
        preview: {
          verdict: 'deny',
          reasons: ['hold_opt_out_sms'],
          jurisdiction: 'CN',
          profile_version: 1,
          overrides: [],
        },
        last: null,
      },
    ]);
    expect(email).toMatchObject({
      kind: 'email',
      value: 'z***@example.com',
      status: 'do_not_contact',
      opt_outs: [],
    });
    expect(email.channels).toHaveLength(1);
    expect(email.channels[0]).toMatchObject({
      channel: 'email',
      preview: { verdict: 'deny', reasons: ['hold_do_not_contact'] },
      last: { channel: 'email', status: 'blocked', verdict: 'deny', reasons: ['hold_do_not_contact'] },
    });
    // an agreed contact: reached only while the debtor is in lost contact (CN)
    expect(agreed).toMatchObject({
      party: 'agreed_contact',
      holder_name: '周母',
      relation: '母亲',
      opt_outs: [],
    });
    // the debtor's consent to any hour is the debtor's: a third party's points are in quiet hours
    // outside 08:00–22:00 in Shanghai, by the real clock the route reads (either answer when the hour
    // turned during the call)
    const expected = (quiet: boolean) => {
      const reasons = ['third_party_not_lost_contact', ...(quiet ? ['quiet_hours'] : [])];
      return [reasons, reasons];
    };
    expect([expected(quietBefore), expected(quietAfter)]).toContainEqual(
      agreed.channels.map((c: { preview: { reasons: string[] } }) => c.preview.reasons),
    );
  });

  it('reads the account’s part of the gate once for all its points and channels, not once per preview', async () => {
    // every statement sent to the server while `work` runs
    let counted = 0;
    const counting = new WeakSet<object>();
    const connect = t.pool.connect.bind(t.pool);
    const spy = vi.spyOn(t.pool, 'connect').mockImplementation((async () => {
      const client = await connect();
      if (!counting.has(client)) {
        counting.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: unknown }).query = (...args: unknown[]) => {
          counted++;
          return query(...args);
        };
      }
      return client;
    }) as never);
    const queries = async (work: () => Promise<unknown>) => {
      const before = counted;
      await work();
      return counted - before;
    };
    try {
      const at = daytime;
      const state = await accountChannels(t.db, {
        accountId: f.accountId,
        actor: 'agent.a',
        forClient: false,
        at,
      });
      const targets = state.points.flatMap((point) =>
        point.channels.map((c) => ({
          contactPointId: point.id,
          channel: c.channel,
          party: (point.party === 'agreed_contact' ? 'agreed_contact' : 'debtor') as Party,
        })),
      );
      expect(targets).toHaveLength(5);
      const batched = await queries(() =>
        accountChannels(t.db, { accountId: f.accountId, actor: 'agent.a', forClient: false, at }),
      );
      let oneByOne = 0;
      for (const target of targets) {
        const single = await queries(() =>
          previewContact(t.db, { ...target, accountId: f.accountId, at, actor: 'agent.a' }),
        );
        oneByOne += single;
      }
      const perAccount = await queries(() => previewContacts(t.db, f.accountId, at, []));
      // BEGIN, COMMIT and the account's reads (account, contract, profile): once, not once per target
      expect(perAccount).toBeGreaterThanOrEqual(4);
      const perTargets = oneByOne - targets.length * perAccount;
      // the page's own five reads (account, points, holds, consents, latest messages), the account's
      // part of the gate once, each target's own part — but a person's contact history once: two
      // persons (the debtor on three targets, the agreed contact on two) spare three reads
      const persons = new Set(
        targets.map((target) => (target.party === 'debtor' ? 'debtor' : target.contactPointId)),
      );
      expect(persons.size).toBe(2);
      expect(batched).toBe(5 + perAccount + perTargets - (targets.length - persons.size));
      expect(batched).toBeLessThan(oneByOne);
    } finally {
      spy.mockRestore();
    }
  });

  it('a client user sees less of each value and no agreed contact’s name; another client’s agent nothing', async () => {
    const response = await call('client.a', 'GET', `/accounts/${f.accountId}/channels`);
    expect(response.status).toBe(200);
    const [phone, email, agreed] = response.json().points;
    expect(phone.value).toBe('***01');
    expect(email.value).toBe('***@example.com');
    expect(agreed).toMatchObject({ holder_name: null, relation: null, value: '***02' });
    expect(maskForClient('email', 'no-at-sign')).toBe('***');
    const elsewhere = await call('agent.elsewhere', 'GET', `/accounts/${f.accountId}/channels`);
    expect([403, 404]).toContain(elsewhere.status);
    expect((await call('agent.a', 'GET', '/accounts/999999/channels')).status).toBe(404);
  });
});

describe('POST /accounts/:id/contact-check', () => {
  it("answers the gate's verdict for one proposed contact without storing it", async () => {
    const before = await verdictCount();
    const sms = await call('agent.a', 'POST', `/accounts/${f.accountId}/contact-check`, {
      channel: 'sms',
      contact_point_id: String(f.phoneId),
    });
    expect(sms.status).toBe(200);
    expect(sms.json()).toMatchObject({
      channel: 'sms',
      contact_point_id: Number(f.phoneId),
      verdict: 'deny',
      reasons: ['hold_opt_out_sms'],
      jurisdiction: 'CN',
      profile_version: 1,
    });
    const dial = await call('compliance.a', 'POST', `/accounts/${f.accountId}/contact-check`, {
      channel: 'call',
      contact_point_id: String(f.phoneId),
    });
    expect(dial.json()).toMatchObject({ verdict: 'allow', reasons: [] });
    const wrongKind = await call('agent.a', 'POST', `/accounts/${f.accountId}/contact-check`, {
      channel: 'sms',
      contact_point_id: String(f.emailId),
    });
    expect(wrongKind.status).toBe(422);
    expect(wrongKind.json().error.code).toBe('bad_input');
    expect(await verdictCount()).toBe(before);
  });
});

describe('POST /accounts/:id/messages/from-template', () => {
  it('previews, then refuses the opted-out phone with its reason and sends to another allowed phone', async () => {
    const preview = await call(
      'agent.a',
      'GET',
      `/accounts/${f.accountId}/messages/from-template/preview?channel=sms&template_code=reminder&contact_point_id=${f.phoneId}`,
    );
    expect(preview.status).toBe(200);
    expect(preview.json()).toMatchObject({
      template: { code: 'reminder', version: 1, language: 'zh-CN' },
      contact_point_id: Number(f.phoneId),
      jurisdiction: 'CN',
      body: '张三您好，您的欠款¥1,000.00尚未结清。',
    });
    expect(preview.json().disclosures.at(-1)).toBe('回复TD退订');

    const requests = provider.requests.length;
    const refused = await call('agent.a', 'POST', `/accounts/${f.accountId}/messages/from-template`, {
      channel: 'sms',
      template_code: 'reminder',
      contact_point_id: String(f.phoneId),
    });
    expect(refused.status).toBe(201);
    expect(refused.json()).toMatchObject({
      repeated: false,
      template: { code: 'reminder', version: 1 },
      message: { status: 'blocked', verdict: 'deny', reasons: ['hold_opt_out_sms'] },
    });
    expect(provider.requests).toHaveLength(requests);

    // a second phone of the debtor, not opted out: the default point is the valid one
    const second = await t.db
      .insertInto('contact_points')
      .values({
        client_id: f.clientId,
        debtor_id: f.debtorId,
        kind: 'phone',
        position: 3,
        value_text: '+8613800000303',
        value_masked: '138****0303',
        status: 'valid',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sent = await call('agent.a', 'POST', `/accounts/${f.accountId}/messages/from-template`, {
      channel: 'sms',
      template_code: 'reminder',
      idempotency_key: 'state-test-1',
    });
    expect(sent.status).toBe(201);
    expect(sent.json().message).toMatchObject({
      status: 'sent',
      contact_point_id: Number(second.id),
      recipient: '+86 138****0303',
    });
    expect(provider.requests).toHaveLength(requests + 1);
    const again = await call('agent.a', 'POST', `/accounts/${f.accountId}/messages/from-template`, {
      channel: 'sms',
      template_code: 'reminder',
      idempotency_key: 'state-test-1',
    });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ repeated: true, message: { id: sent.json().message.id } });
    const missing = await call('agent.a', 'POST', `/accounts/${f.accountId}/messages/from-template`, {
      channel: 'sms',
      template_code: 'nothing-here',
    });
    expect(missing.status).toBe(404);
    expect(missing.json().error.details).toMatchObject({ reason: 'no_approved_template' });
  });
});
