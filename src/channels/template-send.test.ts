/**
 * Sending from a Huikuan template: what reaches the loopback SMS provider and SMTP server carries
 * the jurisdiction's disclosures; no approved version, no usable point and a hold each stop it with
 * their own answer; and the gate's preview never counts towards a cap.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addHold } from '../compliance/holds.ts';
import { gateFixture } from '../compliance/holds-fixture.ts';
import { gateContact, previewContact } from '../compliance/service.ts';
import type { ComplianceTables } from '../compliance/tables.ts';
import { decideTemplate, proposeTemplate } from '../templates/service.ts';
import type { ChannelConfig } from './config.ts';
import { type Channels, channelsFrom } from './service.ts';
import type { ChannelTables } from './tables.ts';
import { sendTemplateMessage } from './template-send.ts';
import { channelFixture, daytime, startProvider, startSmtp, testConfig } from './test-support.ts';

let t: TestDatabase;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let provider: Awaited<ReturnType<typeof startProvider>>;
let channels: Channels;
let sids = 0;
const accountSid = `AC${'b2'.repeat(16)}`;
const agency = {
  name: '回款催收服务有限公司',
  address: ['上海市浦东新区'],
  phone: '400-800-1234',
  email: null,
};

async function approved(input: Parameters<typeof proposeTemplate>[1]) {
  const proposed = await proposeTemplate(t.db, input, 'supervisor.li');
  return decideTemplate(t.db, proposed.id, 'approve', 'ok', 'compliance.zhou');
}

beforeAll(async () => {
  t = await testDatabase();
  smtp = await startSmtp();
  provider = await startProvider(() => ({
    status: 201,
    body: { sid: `SM${(++sids).toString(16).padStart(32, '0')}`, status: 'queued' },
  }));
  const config: ChannelConfig = testConfig({
    agency,
    smsProvider: 'twilio',
    twilio: {
      apiBase: provider.url,
      accountSid,
      authToken: 'x',
      from: '+15005550006',
      messagingServiceSid: null,
    },
    smtp: {
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      user: null,
      password: null,
      from: '回款催收 <notice@agency.test>',
      requireTls: false,
    },
  });
  channels = channelsFrom(config);
  await approved({
    code: 'reminder',
    channel: 'sms',
    language: 'zh-CN',
    subject: null,
    body: '{{debtor_name}}您好，您的欠款{{balance}}已逾期{{days_past_due}}天，请尽快还款。',
    reason: 'first version',
  });
  await approved({
    code: 'reminder',
    channel: 'email',
    language: 'zh-CN',
    subject: '还款提醒 {{account_ref}}',
    body: '{{debtor_name}}您好：\n\n您的欠款{{balance}}尚未结清。',
    reason: 'first version',
  });
  // proposed only: never sent
  await proposeTemplate(
    t.db,
    { code: 'draft', channel: 'sms', language: 'zh-CN', subject: null, body: '草稿', reason: 'try' },
    'supervisor.li',
  );
});
afterAll(async () => {
  await smtp?.close();
  await provider?.close();
  await t?.drop();
});

describe('sendTemplateMessage', () => {
  it('sends the SMS in force to the best phone, with the CN disclosures in what the provider received', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000201', email: 'li.si@example.com' });
    const before = provider.requests.length;
    const outcome = await sendTemplateMessage(
      t.db,
      { accountId: f.accountId, templateCode: 'reminder', channel: 'sms', at: daytime, actor: 'agent.wang' },
      channels,
    );
    expect(outcome.repeated).toBe(false);
    expect(outcome.template).toMatchObject({ code: 'reminder', version: 1, language: 'zh-CN' });
    expect(outcome.message).toMatchObject({
      status: 'sent',
      verdict: 'allow',
      channel: 'sms',
      contact_point_id: f.phoneId,
    });
    expect(provider.requests).toHaveLength(before + 1);
    const body = new URLSearchParams(provider.requests.at(-1)?.body ?? '').get('Body') ?? '';
    expect(body).toContain('张三您好，您的欠款¥1,000.00已逾期');
    expect(body).toContain('本信息由回款催收服务有限公司受');
    expect(body).toContain('请仅向');
    expect(body).toContain('官方指定账户还款');
    expect(body).toContain('回复TD退订');
    expect(new URLSearchParams(provider.requests.at(-1)?.body ?? '').get('To')).toBe('+8613800000201');
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['action', 'after'])
      .where('entity_type', '=', 'channel_message')
      .where('entity_id', '=', String(outcome.message.id))
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['channel_message.sent', 'channel_message.from_template']);
    expect(audit[1]?.after).toMatchObject({ template_code: 'reminder', template_version: 1 });
  });

  it('sends the e-mail with its subject, the disclosures and the opt-out link to the SMTP server', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000202', email: 'wang.wu@example.com' });
    const before = smtp.received.length;
    const outcome = await sendTemplateMessage(
      t.db,
      {
        accountId: f.accountId,
        templateCode: 'REMINDER',
        channel: 'email',
        contactPointId: f.emailId,
        at: daytime,
        actor: 'agent.wang',
        idempotencyKey: 'tpl-email-1',
      },
      channels,
    );
    expect(outcome.message).toMatchObject({ status: 'sent', channel: 'email' });
    expect(smtp.received).toHaveLength(before + 1);
    const mail = await simpleParser(smtp.received.at(-1)?.raw ?? Buffer.alloc(0));
    expect(smtp.received.at(-1)?.to).toEqual(['wang.wu@example.com']);
    expect(mail.subject).toMatch(/^还款提醒 C\d+-1$/);
    expect(mail.text).toContain('您的欠款¥1,000.00尚未结清。');
    expect(mail.text).toContain('本信息由回款催收服务有限公司受');
    expect(mail.text).toContain('不想再收到我们的邮件？请使用邮件中的退订链接。');
    expect(mail.text).toMatch(/http:\/\/huikuan\.test\/\S+/);
    // the same key again: the earlier message, nothing sent
    const again = await sendTemplateMessage(
      t.db,
      {
        accountId: f.accountId,
        templateCode: 'reminder',
        channel: 'email',
        contactPointId: f.emailId,
        at: daytime,
        actor: 'agent.wang',
        idempotencyKey: 'tpl-email-1',
      },
      channels,
    );
    expect(again).toMatchObject({ repeated: true, message: { id: outcome.message.id } });
    expect(smtp.received).toHaveLength(before + 1);
  });

  it('refuses a code with no approved version, in that language, or malformed — nothing recorded', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000203', email: 'zhao.liu@example.com' });
    const base = { accountId: f.accountId, channel: 'sms' as const, at: daytime, actor: 'agent.wang' };
    await expect(
      sendTemplateMessage(t.db, { ...base, templateCode: 'draft' }, channels),
    ).rejects.toMatchObject({
      code: 'not_found',
      details: { reason: 'no_approved_template', code: 'draft' },
    });
    await expect(
      sendTemplateMessage(t.db, { ...base, templateCode: 'reminder', language: 'en' }, channels),
    ).rejects.toMatchObject({
      code: 'not_found',
      details: { reason: 'no_approved_template', language: 'en' },
    });
    await expect(
      sendTemplateMessage(t.db, { ...base, templateCode: '../etc' }, channels),
    ).rejects.toMatchObject({ code: 'bad_input' });
    const messages = await t.db
      .withTables<ChannelTables>()
      .selectFrom('channel_messages')
      .select('id')
      .where('account_id', '=', f.accountId)
      .execute();
    expect(messages).toHaveLength(0);
  });

  it('refuses when the debtor has no usable point of the channel, and a point of the wrong kind', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000204', email: 'qian.qi@example.com' });
    await t.db.updateTable('contact_points').set({ status: 'invalid' }).where('id', '=', f.phoneId).execute();
    await expect(
      sendTemplateMessage(
        t.db,
        { accountId: f.accountId, templateCode: 'reminder', channel: 'sms', at: daytime, actor: 'a' },
        channels,
      ),
    ).rejects.toMatchObject({
      code: 'invalid_state',
      details: { reason: 'no_valid_contact_point', channel: 'sms' },
    });
    await expect(
      sendTemplateMessage(
        t.db,
        {
          accountId: f.accountId,
          templateCode: 'reminder',
          channel: 'sms',
          contactPointId: f.emailId,
          at: daytime,
          actor: 'a',
        },
        channels,
      ),
    ).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/needs a phone number/) });
  });

  it('a hold denies it: recorded blocked with the reason, nothing reaches the provider', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000205', email: 'sun.ba@example.com' });
    await addHold(
      t.db,
      {
        debtorId: f.debtorId,
        accountId: f.accountId,
        kind: 'dispute',
        source: 'phone',
        startsAt: new Date('2026-01-01T00:00:00Z'),
      },
      'agent.wang',
    );
    const before = provider.requests.length;
    const outcome = await sendTemplateMessage(
      t.db,
      { accountId: f.accountId, templateCode: 'reminder', channel: 'sms', at: daytime, actor: 'agent.wang' },
      channels,
    );
    expect(outcome.message).toMatchObject({ status: 'blocked', verdict: 'deny', reasons: ['hold_dispute'] });
    expect(outcome.message.text).toContain('回复TD退订');
    expect(provider.requests).toHaveLength(before);
  });
});

describe('previewContact', () => {
  it('stores nothing and never counts: the 7th call in 7 days is allowed after many previews, the 8th not', async () => {
    const f = await gateFixture(t.db, 'US', 'US');
    const day = (d: number) => new Date(`2026-03-0${d}T15:00:00Z`);
    const us = (at: Date) => f.call({ at, timezone: 'America/New_York' });
    const verdicts = async () =>
      (
        await t.db
          .withTables<ComplianceTables>()
          .selectFrom('compliance_verdicts')
          .select('id')
          .where('account_id', '=', f.accountId)
          .execute()
      ).length;
    for (let d = 2; d <= 8; d++) {
      for (let i = 0; i < 5; i++) {
        const preview = await previewContact(t.db, us(day(d)));
        expect(preview).toMatchObject({ verdict: 'allow', reasons: [], jurisdiction: 'US' });
        expect(preview.profile).toMatchObject({ code: 'US', version: 1 });
      }
      expect((await gateContact(t.db, us(day(d)))).verdict, `day ${d}`).toBe('allow');
    }
    expect(await verdicts()).toBe(7);
    const eighth = us(new Date('2026-03-08T18:00:00Z'));
    expect(await previewContact(t.db, eighth)).toMatchObject({
      verdict: 'deny',
      reasons: ['calls_in_window_cap'],
    });
    expect(await verdicts()).toBe(7);
    expect(await gateContact(t.db, eighth)).toMatchObject({
      verdict: 'deny',
      reasons: ['calls_in_window_cap'],
    });
    expect(await verdicts()).toBe(8);
  });
});
