/**
 * SMS end to end against providers on loopback: a Twilio-shaped server (Basic auth, form-encoded
 * Messages.json) and an Aliyun-shaped one (SendSms signed as an RPC request, checked the way
 * Aliyun checks it) — then their webhooks through the API: signed delivery receipts and replies,
 * recorded once; a bad signature is 401 and records nothing; TD / 退订 / STOP record the opt-out.
 * The signature functions are checked against the vectors the providers publish.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountTimeline } from '../accounts/listing.ts';
import { recordConsent } from '../compliance/holds.ts';
import type { Api } from '../server/context.ts';
import { webhookSignature } from './adapter.ts';
import type { ChannelConfig } from './config.ts';
import { channelLimits, isOptOutReply, withSmsOptOut } from './model.ts';
import {
  channelsFrom,
  createWebhookSecret,
  type SendInput,
  sendMessage,
  sendMessages,
  webhookSecrets,
} from './service.ts';
import { aliyunSignature } from './sms-aliyun.ts';
import { twilioSignature } from './sms-twilio.ts';
import {
  channelFixture,
  daytime,
  night,
  type ProviderRequest,
  startProvider,
  testCallers,
  testConfig,
  testServer,
} from './test-support.ts';

const accountSid = `AC${'a1'.repeat(16)}`;
const authToken = 'twilio-test-auth-token';
const accessKeyId = 'LTAI-test';
const accessKeySecret = 'aliyun-test-secret';

let t: TestDatabase;
let app: Api;
let twilio: Awaited<ReturnType<typeof startProvider>>;
let aliyun: Awaited<ReturnType<typeof startProvider>>;
let twilioConfig: ChannelConfig;
let aliyunConfig: ChannelConfig;
let sids = 0;
/** Set by a test: what the Twilio server does before answering a send (e.g. post a receipt first). */
let beforeTwilioAnswers: ((sid: string) => Promise<void>) | null = null;
/** Set by a test: what the Aliyun server does before answering a send. */
let beforeAliyunAnswers: ((outId: string, bizId: string) => Promise<void>) | null = null;
/** How many Aliyun sends to refuse as throttled before accepting. */
let aliyunBusy = 0;
const { caller, callers } = testCallers();

// ------------------------------------------------------------------ the providers on loopback

/** Twilio's check: the account in the path, Basic auth of that account, a form with To, From and Body. */
async function twilioServer(request: ProviderRequest) {
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  if (request.method !== 'POST' || request.url !== path) return { status: 404, body: { code: 20404 } };
  if (request.headers.authorization !== basic) {
    return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
  }
  if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
    return { status: 400, body: { code: 21000, message: 'form expected' } };
  }
  const form = new URLSearchParams(request.body);
  if (!form.get('To')?.startsWith('+') || !form.get('From') || !form.get('Body')) {
    return { status: 400, body: { code: 21604, message: "A 'To' phone number is required." } };
  }
  const sid = `SM${(++sids).toString(16).padStart(32, '0')}`;
  if (beforeTwilioAnswers) await beforeTwilioAnswers(sid);
  return { status: 201, body: { sid, status: 'queued', to: form.get('To'), body: form.get('Body') } };
}

/** Aliyun's check of an RPC request: every common parameter, then the signature recomputed from the form. */
async function aliyunServer(request: ProviderRequest) {
  const form = new URLSearchParams(request.body);
  const params: Record<string, string> = {};
  for (const [name, value] of form) if (name !== 'Signature') params[name] = value;
  for (const name of [
    'AccessKeyId',
    'SignatureNonce',
    'Timestamp',
    'SignName',
    'TemplateCode',
    'PhoneNumbers',
  ]) {
    if (!params[name]) return { status: 400, body: { Code: 'MissingParameter', Message: name } };
  }
  if (
    params.Action !== 'SendSms' ||
    params.Version !== '2017-05-25' ||
    params.SignatureMethod !== 'HMAC-SHA1'
  ) {
    return { status: 400, body: { Code: 'InvalidParameter', Message: 'Action / Version / SignatureMethod' } };
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(params.Timestamp ?? '')) {
    return { status: 400, body: { Code: 'InvalidTimeStamp.Format' } };
  }
  // the canonical string the way Aliyun's documentation builds it: java.net.URLEncoder, then + → %20, * → %2A, %7E → ~
  const encode = (text: string) =>
    encodeURIComponent(text)
      .replace(/!/g, '%21')
      .replace(/'/g, '%27')
      .replace(/\(/g, '%28')
      .replace(/\)/g, '%29')
      .replace(/\*/g, '%2A');
  const canonical = Object.keys(params)
    .sort()
    .map((name) => `${encode(name)}=${encode(params[name] ?? '')}`)
    .join('&');
  const expected = createHmac('sha1', `${accessKeySecret}&`)
    .update(`${request.method}&%2F&${encode(canonical)}`)
    .digest('base64');
  if (form.get('Signature') !== expected) {
    return {
      status: 400,
      body: { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched' },
    };
  }
  JSON.parse(params.TemplateParam ?? '{}');
  if (aliyunBusy > 0) {
    aliyunBusy--;
    return {
      status: 200,
      body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
    };
  }
  const bizId = `9006197469364984^${++sids}`;
  if (beforeAliyunAnswers) await beforeAliyunAnswers(params.OutId ?? '', bizId);
  return { status: 200, body: { Code: 'OK', Message: 'OK', BizId: bizId, RequestId: 'F655A8D5' } };
}

beforeAll(async () => {
  t = await testDatabase();
  twilio = await startProvider(twilioServer);
  aliyun = await startProvider(aliyunServer);
  const twilioSettings = {
    apiBase: twilio.url,
    accountSid,
    authToken,
    from: '+15005550006',
    messagingServiceSid: null,
  };
  const aliyunSettings = {
    endpoint: aliyun.url,
    accessKeyId,
    accessKeySecret,
    regionId: 'cn-hangzhou',
    signName: '回款催收',
    templateCode: 'SMS_000001',
    templateParam: 'content',
  };
  twilioConfig = testConfig({ smsProvider: 'twilio', twilio: twilioSettings, aliyun: aliyunSettings });
  aliyunConfig = testConfig({ smsProvider: 'aliyun', twilio: twilioSettings, aliyun: aliyunSettings });
  // who calls is named by a test header (the identity module's own tests cover sessions)
  app = await testServer(t, twilioConfig, callers);
});
afterAll(async () => {
  await app?.close();
  await twilio?.close();
  await aliyun?.close();
  await t?.drop();
});

function sms(f: { accountId: bigint; phoneId: bigint }, fields: Partial<SendInput> = {}): SendInput {
  return {
    accountId: f.accountId,
    contactPointId: f.phoneId,
    channel: 'sms',
    text: '您好，您的账户尚有欠款，请尽快还款。',
    at: daytime,
    actor: 'agent.wang',
    ...fields,
  };
}

/** A Twilio webhook as Twilio sends it: a form signed over the public URL and the sorted fields. */
function twilioPost(path: string, fields: Record<string, string>, signature?: string) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature ?? twilioSignature(authToken, `http://huikuan.test${path}`, fields),
    },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** An Aliyun push as the relay forwards it: the JSON array signed with Huikuan's webhook secret. */
function aliyunPost(path: string, items: unknown, secret: string, at = new Date()) {
  const body = JSON.stringify(items);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/json',
      'x-huikuan-timestamp': timestamp,
      'x-huikuan-signature': webhookSignature(secret, timestamp, body),
    },
    payload: body,
  });
}

async function count(table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(t.db);
  return rows[0]?.n ?? 0;
}

async function messageStatus(id: bigint): Promise<string | undefined> {
  const { rows } = await sql<{
    status: string;
  }>`SELECT status FROM channel_messages WHERE id = ${id}`.execute(t.db);
  return rows[0]?.status;
}

// ------------------------------------------------------------------ the rules

describe('the signatures and the opt-out words', () => {
  it("computes Aliyun's published SendSms example signature", () => {
    // Aliyun Dysms "签名机制" example: AccessKeyId testId, secret testSecret, GET
    const params = {
      AccessKeyId: 'testId',
      Action: 'SendSms',
      Format: 'XML',
      OutId: '123',
      PhoneNumbers: '15300000001',
      RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007',
      TemplateParam: '{"customer":"test"}',
      Timestamp: '2017-07-12T02:42:19Z',
      Version: '2017-05-25',
    };
    expect(aliyunSignature('GET', params, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it("computes Twilio's request-validation example signature", () => {
    // Twilio "Validating requests" example: URL with a query, five POST parameters, token 12345
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+12349013030',
      Digits: '1234',
      From: '+12349013030',
      To: '+18005551212',
    };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
      '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
    );
  });

  it('reads TD, 退订 and STOP whatever their case, width and surrounding spaces', () => {
    for (const reply of [
      'TD',
      'td',
      ' Td ',
      'ＴＤ',
      '退订',
      ' 退订。',
      'STOP',
      'stop',
      'Stop!',
      'ＳＴＯＰ',
      '\tstop\n',
      'unsubscribe',
    ]) {
      expect(isOptOutReply(reply), reply).toBe(true);
    }
    for (const reply of ['', 'T D', 'TDX', 'stop it', '不要退订', '好的', 'STOPP', '退订吗我想问一下']) {
      expect(isOptOutReply(reply), reply).toBe(false);
    }
  });

  it('adds the opt-out line to an SMS in its language, once', () => {
    expect(withSmsOptOut('请尽快还款。')).toBe('请尽快还款。，回复TD退订');
    expect(withSmsOptOut('Please pay.')).toBe('Please pay. Reply STOP to opt out');
    expect(withSmsOptOut('请尽快还款，回复TD退订')).toBe('请尽快还款，回复TD退订');
    expect(withSmsOptOut('Pay now. Text STOP to end.')).toBe('Pay now. Text STOP to end.');
  });
});

// ------------------------------------------------------------------ Twilio

describe('SMS through the Twilio-shaped provider', () => {
  it('sends through the gate with Basic auth and a status callback; receipts move it to delivered, once', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000201', email: 'a@example.com' });
    const before = twilio.requests.length;
    const { message } = await sendMessage(t.db, sms(f), channelsFrom(twilioConfig));
    expect(message).toMatchObject({ status: 'sent', provider: 'twilio', verdict: 'allow', send_attempts: 1 });
    expect(message.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.requests).toHaveLength(before + 1);
    const form = new URLSearchParams(twilio.requests.at(-1)?.body);
    expect(Object.fromEntries(form)).toEqual({
      To: '+8613800000201',
      From: '+15005550006',
      Body: '您好，您的账户尚有欠款，请尽快还款。，回复TD退订',
      StatusCallback: 'http://huikuan.test/api/v1/channels/sms/twilio/receipts',
    });
    expect(message.text).toBe('您好，您的账户尚有欠款，请尽快还款。，回复TD退订');

    const sid = message.provider_message_id ?? '';
    const path = '/api/v1/channels/sms/twilio/receipts';
    const sent = await twilioPost(path, { MessageSid: sid, MessageStatus: 'sent', AccountSid: accountSid });
    expect(sent.statusCode).toBe(200);
    expect(await messageStatus(message.id)).toBe('sent');
    const delivered = {
      MessageSid: sid,
      MessageStatus: 'delivered',
      AccountSid: accountSid,
      To: '+8613800000201',
    };
    expect((await twilioPost(path, delivered)).statusCode).toBe(200);
    expect(await messageStatus(message.id)).toBe('delivered');
    const events = await count('channel_delivery_events');
    expect((await twilioPost(path, delivered)).statusCode).toBe(200);
    expect(await count('channel_delivery_events')).toBe(events);
    // a late "sent" does not move it back
    await twilioPost(path, { MessageSid: sid, MessageStatus: 'queued', AccountSid: accountSid });
    expect(await messageStatus(message.id)).toBe('delivered');
    const contact = await sql<{ outcome: string }>`
      SELECT outcome FROM compliance_contacts WHERE id = (SELECT contact_id FROM channel_messages WHERE id = ${message.id})`.execute(
      t.db,
    );
    expect(contact.rows).toEqual([{ outcome: 'delivered' }]);

    const { items } = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 50 });
    expect(items.map((i) => [i.type, i.kind, i.from_status, i.to_status])).toEqual(
      expect.arrayContaining([
        ['message', 'sms_sent', null, 'delivered'],
        ['delivery', 'sms_delivered', 'sent', 'delivered'],
      ]),
    );
  });

  it('refuses a receipt with a bad or missing signature (401) and records nothing', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000202', email: 'b@example.com' });
    const { message } = await sendMessage(t.db, sms(f), channelsFrom(twilioConfig));
    const fields = {
      MessageSid: message.provider_message_id ?? '',
      MessageStatus: 'delivered',
      AccountSid: accountSid,
    };
    const events = await count('channel_delivery_events');
    const path = '/api/v1/channels/sms/twilio/receipts';
    const forged = await twilioPost(
      path,
      fields,
      twilioSignature('not-the-token', `http://huikuan.test${path}`, fields),
    );
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('unauthenticated');
    // signed for another URL (a replay at another route)
    const elsewhere = await twilioPost(
      path,
      fields,
      twilioSignature(authToken, 'http://huikuan.test/other', fields),
    );
    expect(elsewhere.statusCode).toBe(401);
    const unsigned = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
    expect(unsigned.statusCode).toBe(401);
    expect(await count('channel_delivery_events')).toBe(events);
    expect(await messageStatus(message.id)).toBe('sent');
    // signed but not Twilio's shape: 400 naming the field
    const malformed = await twilioPost(path, {
      MessageSid: 'nope',
      MessageStatus: 'delivered',
      AccountSid: accountSid,
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/MessageSid/),
    });
    expect(await count('channel_delivery_events')).toBe(events);
  });

  it('keeps a receipt that comes before the send has stored the sid, and applies it then', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000203', email: 'c@example.com' });
    beforeTwilioAnswers = async (sid) => {
      const early = await twilioPost('/api/v1/channels/sms/twilio/receipts', {
        MessageSid: sid,
        MessageStatus: 'delivered',
        AccountSid: accountSid,
      });
      expect(early.statusCode).toBe(200);
    };
    try {
      const { message } = await sendMessage(t.db, sms(f), channelsFrom(twilioConfig));
      expect(message.status).toBe('delivered');
      const event = await sql<{ message_id: string; to_status: string }>`
        SELECT message_id::text, to_status FROM channel_delivery_events WHERE provider_message_id = ${message.provider_message_id}`.execute(
        t.db,
      );
      expect(event.rows).toEqual([{ message_id: String(message.id), to_status: 'delivered' }]);
    } finally {
      beforeTwilioAnswers = null;
    }
  });

  it('records replies once; STOP (any width or case) records the SMS opt-out of that number, and the next SMS is blocked', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000204', email: 'd@example.com' });
    const first = await sendMessage(t.db, sms(f), channelsFrom(twilioConfig));
    const path = '/api/v1/channels/sms/twilio/inbound';
    const question = {
      MessageSid: `SM${'b'.repeat(32)}`,
      AccountSid: accountSid,
      From: '+8613800000204',
      To: '+15005550006',
      Body: '我下周还',
    };
    const answered = await twilioPost(path, question);
    expect(answered.statusCode).toBe(200);
    expect(answered.headers['content-type']).toMatch(/text\/xml/);
    expect(answered.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    const stop = { ...question, MessageSid: `SM${'c'.repeat(32)}`, Body: ' ＳＴＯＰ ' };
    expect((await twilioPost(path, stop)).statusCode).toBe(200);
    expect((await twilioPost(path, stop)).statusCode).toBe(200);
    const replies = await sql<{
      body: string;
      opt_out: boolean;
      account_id: string;
      message_id: string;
      from_masked: string;
    }>`
      SELECT body, opt_out, account_id::text, message_id::text, from_masked FROM channel_replies
       WHERE debtor_id = ${f.debtorId} ORDER BY id`.execute(t.db);
    expect(replies.rows).toEqual([
      {
        body: '我下周还',
        opt_out: false,
        account_id: String(f.accountId),
        message_id: String(first.message.id),
        from_masked: '+86 138****0204',
      },
      {
        body: ' ＳＴＯＰ ',
        opt_out: true,
        account_id: String(f.accountId),
        message_id: String(first.message.id),
        from_masked: '+86 138****0204',
      },
    ]);
    const holds = await sql<{ kind: string; source: string; contact_point_id: string; recorded_by: string }>`
      SELECT kind, source, contact_point_id::text, recorded_by FROM compliance_holds WHERE debtor_id = ${f.debtorId}`.execute(
      t.db,
    );
    expect(holds.rows).toEqual([
      {
        kind: 'opt_out_sms',
        source: 'sms_reply',
        contact_point_id: String(f.phoneId),
        recorded_by: 'system',
      },
    ]);
    const { items } = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 50 });
    expect(items.filter((i) => i.type === 'reply').map((i) => i.kind)).toEqual(['sms_opt_out', 'sms_reply']);

    const requests = twilio.requests.length;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const next = await sendMessage(
      t.db,
      sms(f, { at: new Date(`${tomorrow}T10:00:00+08:00`) }),
      channelsFrom(twilioConfig),
    );
    expect(next.message).toMatchObject({ status: 'blocked', reasons: ['hold_opt_out_sms'] });
    expect(twilio.requests).toHaveLength(requests);
  });

  it('sends nothing when the gate denies', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000205', email: 'e@example.com' });
    const requests = twilio.requests.length;
    const { message } = await sendMessage(t.db, sms(f, { at: night }), channelsFrom(twilioConfig));
    expect(message).toMatchObject({ status: 'blocked', reasons: ['quiet_hours'], send_attempts: 0 });
    expect(twilio.requests).toHaveLength(requests);
  });

  it('records a refusal by the provider as failed, not tried again', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000206', email: 'g@example.com' });
    const wrong = testConfig({
      ...twilioConfig,
      twilio: { ...(twilioConfig.twilio as NonNullable<ChannelConfig['twilio']>), authToken: 'wrong' },
    });
    const requests = twilio.requests.length;
    const { message } = await sendMessage(t.db, sms(f), channelsFrom(wrong));
    expect(message).toMatchObject({ status: 'failed', send_attempts: 1 });
    expect(message.error).toMatch(/HTTP 401\): 20003 Authenticate/);
    expect(twilio.requests).toHaveLength(requests + 1);
  });
});

// ------------------------------------------------------------------ Aliyun

describe('SMS through the Aliyun-shaped provider', () => {
  let secret = '';
  beforeAll(async () => {
    secret = (await createWebhookSecret(t.db, 'aliyun', 'admin')).secret;
  });

  it('sends a signed SendSms with the template, its parameters and the message id as OutId', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000301', email: 'h@example.com' });
    const { message } = await sendMessage(
      t.db,
      sms(f, { template: { code: 'SMS_123456', params: { name: '张三', amount: '1,000.00' } } }),
      channelsFrom(aliyunConfig),
    );
    expect(message).toMatchObject({ status: 'sent', provider: 'aliyun' });
    expect(message.provider_message_id).toMatch(/^9006197469364984\^\d+$/);
    const form = new URLSearchParams(aliyun.requests.at(-1)?.body);
    expect(form.get('PhoneNumbers')).toBe('13800000301');
    expect(form.get('SignName')).toBe('回款催收');
    expect(form.get('TemplateCode')).toBe('SMS_123456');
    expect(JSON.parse(form.get('TemplateParam') ?? '')).toEqual({ name: '张三', amount: '1,000.00' });
    expect(form.get('OutId')).toBe(String(message.id));
    // without a template: the configured one, the text (with its opt-out line) as its parameter
    const plain = await sendMessage(t.db, sms(f), channelsFrom(aliyunConfig));
    const plainForm = new URLSearchParams(aliyun.requests.at(-1)?.body);
    expect(plainForm.get('TemplateCode')).toBe('SMS_000001');
    expect(JSON.parse(plainForm.get('TemplateParam') ?? '')).toEqual({ content: plain.message.text });
  });

  it('tries a throttled send again (the provider sent nothing) up to the limit', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000302', email: 'i@example.com' });
    aliyunBusy = 1;
    const once = await sendMessage(t.db, sms(f), channelsFrom(aliyunConfig));
    expect(once.message).toMatchObject({ status: 'sent', send_attempts: 2 });
    aliyunBusy = 5;
    const gaveUp = await sendMessage(t.db, sms(f), channelsFrom({ ...aliyunConfig, sendRetries: 2 }));
    expect(gaveUp.message).toMatchObject({ status: 'failed', send_attempts: 3 });
    expect(gaveUp.message.error).toMatch(/Throttling.User/);
    aliyunBusy = 0;
  });

  it('records signed receipts (matched by OutId) and replies; 退订 records the opt-out', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000303', email: 'j@example.com' });
    const { message } = await sendMessage(t.db, sms(f), channelsFrom(aliyunConfig));
    const receipts = '/api/v1/channels/sms/aliyun/receipts';
    const report = {
      phone_number: '13800000303',
      send_time: '2026-03-02 10:00:01',
      report_time: '2026-03-02 10:00:08',
      success: true,
      err_code: 'DELIVERED',
      err_msg: '用户接收成功',
      sms_size: '1',
      biz_id: message.provider_message_id,
      out_id: String(message.id),
    };
    const answered = await aliyunPost(receipts, [report], secret);
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toEqual({ code: 0, msg: '成功' });
    expect(await messageStatus(message.id)).toBe('delivered');
    const event = await sql<{ occurred_at: Date; provider_status: string }>`
      SELECT occurred_at, provider_status FROM channel_delivery_events WHERE message_id = ${message.id}`.execute(
      t.db,
    );
    expect(event.rows).toEqual([
      { occurred_at: new Date('2026-03-02T02:00:08Z'), provider_status: 'DELIVERED' },
    ]);
    expect((await aliyunPost(receipts, [report], secret)).statusCode).toBe(200);
    expect(await count('channel_delivery_events')).toBeGreaterThan(0);
    const again = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM channel_delivery_events WHERE message_id = ${message.id}`.execute(t.db);
    expect(again.rows).toEqual([{ n: 1 }]);

    const inbound = '/api/v1/channels/sms/aliyun/inbound';
    const up = {
      phone_number: '13800000303',
      send_time: '2026-03-02 10:05:00',
      content: '退订',
      sign_name: '回款催收',
      dest_code: '1234',
      sequence_id: 1234567,
    };
    expect((await aliyunPost(inbound, [up], secret)).statusCode).toBe(200);
    const holds = await sql<{ kind: string; source: string }>`
      SELECT kind, source FROM compliance_holds WHERE debtor_id = ${f.debtorId}`.execute(t.db);
    expect(holds.rows).toEqual([{ kind: 'opt_out_sms', source: 'sms_reply' }]);
    const reply = await sql<{ received_at: Date; opt_out: boolean }>`
      SELECT received_at, opt_out FROM channel_replies WHERE debtor_id = ${f.debtorId}`.execute(t.db);
    expect(reply.rows).toEqual([{ received_at: new Date('2026-03-02T02:05:00Z'), opt_out: true }]);
  });

  it('keeps the status a receipt (matched by OutId) set while the send was still waiting for its answer', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000304', email: 'jj@example.com' });
    beforeAliyunAnswers = async (outId, bizId) => {
      const report = {
        success: true,
        err_code: 'DELIVERED',
        biz_id: bizId,
        out_id: outId,
        report_time: '2026-03-02 10:00:05',
      };
      expect((await aliyunPost('/api/v1/channels/sms/aliyun/receipts', [report], secret)).statusCode).toBe(
        200,
      );
    };
    try {
      const { message } = await sendMessage(t.db, sms(f), channelsFrom(aliyunConfig));
      expect(message).toMatchObject({ status: 'delivered', send_attempts: 1 });
      expect(message.provider_message_id).toMatch(/^9006197469364984\^/);
    } finally {
      beforeAliyunAnswers = null;
    }
  });

  it('refuses a push with a wrong secret, an old timestamp or no signature (401), recording nothing', async () => {
    const before = [await count('channel_delivery_events'), await count('channel_replies')];
    const up = [{ phone_number: '13800000399', content: 'TD', sequence_id: 99 }];
    const inbound = '/api/v1/channels/sms/aliyun/inbound';
    expect((await aliyunPost(inbound, up, 'wrong-secret')).statusCode).toBe(401);
    const old = new Date(Date.now() - channelLimits.webhookClockSkewMs - 60_000);
    expect((await aliyunPost(inbound, up, secret, old)).statusCode).toBe(401);
    const unsigned = await app.inject({
      method: 'POST',
      url: inbound,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(up),
    });
    expect(unsigned.statusCode).toBe(401);
    expect([await count('channel_delivery_events'), await count('channel_replies')]).toEqual(before);
    // signed but not the shape: 400 naming the field; too large: 413
    const bad = await aliyunPost('/api/v1/channels/sms/aliyun/receipts', [{ success: 'yes' }], secret);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/body\.0\.biz_id/);
    const huge = await aliyunPost(
      inbound,
      [{ phone_number: '13800000399', content: 'x'.repeat(300_000), sequence_id: 1 }],
      secret,
    );
    expect(huge.statusCode).toBe(413);
    expect([await count('channel_delivery_events'), await count('channel_replies')]).toEqual(before);
  });

  it('keeps an older secret valid for the overlap after a new one is made', async () => {
    const now = new Date();
    const before = await webhookSecrets(t.db, 'aliyun', now);
    const next = await createWebhookSecret(t.db, 'aliyun', 'admin', now);
    expect(await webhookSecrets(t.db, 'aliyun', now)).toEqual([next.secret, ...before]);
    const later = new Date(now.getTime() + channelLimits.webhookSecretOverlapMs + 1000);
    expect(await webhookSecrets(t.db, 'aliyun', later)).toEqual([next.secret]);
  });
});

describe('limits and configuration', () => {
  it('refuses a batch over the limit before sending any, and an SMS over its length', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000401', email: 'k@example.com' });
    const requests = twilio.requests.length;
    const many = Array.from({ length: channelLimits.recipientsPerBatch + 1 }, () => sms(f));
    await expect(sendMessages(t.db, many, channelsFrom(twilioConfig))).rejects.toMatchObject({
      code: 'limit_exceeded',
    });
    await expect(
      sendMessage(t.db, sms(f, { text: '还'.repeat(channelLimits.smsChars) }), channelsFrom(twilioConfig)),
    ).rejects.toMatchObject({
      code: 'limit_exceeded',
    });
    expect(twilio.requests).toHaveLength(requests);
    const results = await sendMessages(
      t.db,
      [sms(f), sms(f, { contactPointId: f.emailId })],
      channelsFrom(twilioConfig),
    );
    expect(results.map((r) => [r.message?.status ?? null, r.error?.code ?? null])).toEqual([
      ['sent', null],
      [null, 'bad_input'],
    ]);
  });

  it('says SMS is not configured when no provider is', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000402', email: 'l@example.com' });
    await expect(sendMessage(t.db, sms(f), channelsFrom(testConfig({})))).rejects.toMatchObject({
      code: 'invalid_state',
      details: { reason: 'channel_not_configured', channel: 'sms' },
    });
  });
});

describe('the API', () => {
  it('sends as an agent of the client; the same Idempotency-Key answers 200 with the earlier message', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000501', email: 'm@example.com' });
    // the route's gate reads the real clock: the debtor's consent to any hour keeps this test from
    // failing between 22:00 and 08:00 in Shanghai (it did, in a clean-clone run at 22:05)
    await recordConsent(
      t.db,
      { debtorId: f.debtorId, kind: 'quiet_hours', source: 'phone', givenAt: new Date(Date.now() - 60_000) },
      'agent.api',
    );
    caller('agent.api', ['agent'], [f.clientId]);
    caller('agent.other', ['agent'], []);
    caller('client.api', ['client'], [f.clientId]);
    caller('admin.api', ['admin'], 'all');
    const send = (as: string, key?: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/accounts/${f.accountId}/messages`,
        headers: {
          'x-test-caller': as,
          'content-type': 'application/json',
          ...(key ? { 'idempotency-key': key } : {}),
        },
        payload: JSON.stringify({
          channel: 'sms',
          contact_point_id: String(f.phoneId),
          text: '请回电 400-000-0000',
        }),
      });
    const requests = twilio.requests.length;
    const first = await send('agent.api', 'api-1');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      repeated: false,
      message: { status: 'sent', channel: 'sms', recipient: '+86 138****0501' },
    });
    const again = await send('agent.api', 'api-1');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ repeated: true, message: { id: first.json().message.id } });
    expect(twilio.requests).toHaveLength(requests + 1);
    expect((await send('client.api')).statusCode).toBe(403);
    expect((await send('agent.other')).statusCode).toBe(404);
    expect(twilio.requests).toHaveLength(requests + 1);
    const audited = await sql<{ action: string; actor: string; ip: string }>`
      SELECT action, actor, ip FROM audit_events WHERE entity_type = 'channel_message'
         AND entity_id = ${String(first.json().message.id)}`.execute(t.db);
    expect(audited.rows).toEqual([{ action: 'channel_message.sent', actor: 'agent.api', ip: '127.0.0.1' }]);

    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/accounts/${f.accountId}/messages`,
      headers: { 'x-test-caller': 'client.api' },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: first.json().message.id, status: 'sent' }] });
    const hidden = await app.inject({
      method: 'GET',
      url: `/api/v1/accounts/${f.accountId}/messages`,
      headers: { 'x-test-caller': 'agent.other' },
    });
    expect(hidden.statusCode).toBe(404);

    const status = await app.inject({
      method: 'GET',
      url: '/api/v1/channels',
      headers: { 'x-test-caller': 'agent.api' },
    });
    expect(status.json()).toEqual({
      email: { configured: false, provider: null },
      sms: { configured: true, provider: 'twilio' },
      letter: { configured: false, provider: 'print' },
      call: { configured: false, provider: null },
      webhooks: { aliyun: { configured: true }, twilio: { configured: true } },
      public_url: 'http://huikuan.test',
    });
    const secret = await app.inject({
      method: 'POST',
      url: '/api/v1/channels/webhook-secrets',
      headers: { 'x-test-caller': 'admin.api', 'content-type': 'application/json' },
      payload: JSON.stringify({ provider: 'aliyun' }),
    });
    expect(secret.statusCode).toBe(201);
    expect(secret.json()).toMatchObject({
      provider: 'aliyun',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(await webhookSecrets(t.db, 'aliyun')).toContain(secret.json().secret);
  });

  it('says e-mail is not configured with 409 and the reason', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000502', email: 'n@example.com' });
    caller('agent.mail', ['agent'], [f.clientId]);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${f.accountId}/messages`,
      headers: { 'x-test-caller': 'agent.mail', 'content-type': 'application/json' },
      payload: JSON.stringify({
        channel: 'email',
        contact_point_id: String(f.emailId),
        subject: 'Hi',
        text: 'Pay',
      }),
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'invalid_state',
      details: { reason: 'channel_not_configured', channel: 'email' },
    });
  });
});
