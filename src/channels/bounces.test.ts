/**
 * E-mail bounces: a refusal by the (loopback) SMTP server at send time — 5xx about the address marks
 * the contact point invalid and the gate refuses it from then on, 5.7.x (policy) does not, 4xx is
 * tried again and left failed — and delivery status notifications (RFC 3464) posted to the signed
 * webhook: matched by Message-ID, recorded once, unsigned / forged / malformed bodies refused.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountTimeline } from '../accounts/listing.ts';
import { buildServer } from '../server/app.ts';
import type { Api } from '../server/context.ts';
import { webhookSignature } from './adapter.ts';
import { bounceOfReply, invalidatesAddress, parseDsn } from './bounces.ts';
import { channelsFrom, createWebhookSecret, type SendInput, sendMessage } from './service.ts';
import type { ChannelTables } from './tables.ts';
import { channelFixture, daytime, startSmtp, testConfig } from './test-support.ts';

let t: TestDatabase;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let app: Api;
let secret = '';
let phones = 200;

beforeAll(async () => {
  t = await testDatabase();
  smtp = await startSmtp();
  app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, channels: config() });
  secret = (await createWebhookSecret(t.db, 'smtp', 'admin')).secret;
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await t?.drop();
});

function config(retries = 2) {
  return testConfig({
    sendRetries: retries,
    smtp: {
      host: '127.0.0.1',
      port: smtp?.port ?? 25,
      secure: false,
      user: null,
      password: null,
      from: 'Agency <notice@agency.test>',
      requireTls: false,
    },
  });
}

async function fixture() {
  phones++;
  return channelFixture(t.db, {
    phone: `+86138000${String(phones).padStart(5, '0')}`,
    email: `p${phones}@example.com`,
  });
}

function email(f: Awaited<ReturnType<typeof fixture>>, fields: Partial<SendInput> = {}): SendInput {
  return {
    accountId: f.accountId,
    contactPointId: f.emailId,
    channel: 'email',
    subject: 'Payment reminder',
    text: 'Your account has a balance of 1,000.00.',
    at: daytime,
    actor: 'agent.wang',
    ...fields,
  };
}

async function pointStatus(id: bigint): Promise<string> {
  const row = await t.db
    .selectFrom('contact_points')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.status;
}

async function storedMessage(id: bigint) {
  return t.db
    .withTables<ChannelTables>()
    .selectFrom('channel_messages')
    .select(['status', 'error'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function events(messageId: bigint) {
  const rows = await sql<{
    provider_status: string;
    status: string;
    error_code: string;
    to_status: string | null;
  }>`
    SELECT provider_status, status, error_code, to_status FROM channel_delivery_events
     WHERE message_id = ${messageId} ORDER BY id`.execute(t.db);
  return rows.rows;
}

describe('what a bounce means', () => {
  it.each([
    [550, '550 5.1.1 No such user', 'permanent', '5.1.1', true],
    [550, '550 No such user', 'permanent', null, true],
    [552, '552 5.2.2 Mailbox full', 'permanent', '5.2.2', true],
    [554, '554 5.4.4 Unable to route', 'permanent', '5.4.4', true],
    [550, '550 5.7.1 Message rejected as spam', 'permanent', '5.7.1', false],
    [554, '554 5.6.0 Content refused', 'permanent', '5.6.0', false],
    [451, '451 4.3.0 Try again later', 'temporary', '4.3.0', false],
    [450, '450 Mailbox busy', 'temporary', null, false],
    // a 5xx reply with a 4.x.x enhanced code: the enhanced code decides
    [550, '550 4.2.2 Over quota, try later', 'temporary', '4.2.2', false],
  ] as const)('%i "%s" is %s (%s), address invalid: %s', (reply, text, kind, status, invalid) => {
    const bounce = bounceOfReply(reply, text);
    expect(bounce).toMatchObject({ kind, reply, status });
    expect(bounce && invalidatesAddress(bounce)).toBe(invalid);
  });

  it('is no bounce for a 2xx or 3xx answer or none', () => {
    expect(bounceOfReply(250, '250 OK')).toBeNull();
    expect(bounceOfReply(354, '354 go on')).toBeNull();
    expect(bounceOfReply(undefined, 'connection reset')).toBeNull();
  });
});

describe('a refusal at send time', () => {
  it('550 5.1.1: the message fails with the code, the address is marked invalid, the gate refuses it next', async () => {
    const f = await fixture();
    smtp.refuse({ code: 550, message: '5.1.1 No such user' });
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    smtp.refuse(null);
    expect(message).toMatchObject({ status: 'failed', send_attempts: 1 });
    expect(message.error).toMatch(/refused the message \(550 5\.1\.1\)/);
    expect(await events(message.id)).toEqual([
      {
        provider_status: 'bounce:permanent',
        status: 'undelivered',
        error_code: '550 5.1.1',
        to_status: null,
      },
    ]);
    expect(await pointStatus(f.emailId)).toBe('invalid');
    const audited = await sql<{ action: string; after: { reason: string; code: string } }>`
      SELECT action, after FROM audit_events WHERE entity_type = 'contact_point' AND entity_id = ${String(f.emailId)}`.execute(
      t.db,
    );
    expect(audited.rows).toEqual([
      {
        action: 'contact_point.invalidated',
        after: expect.objectContaining({ reason: 'email_bounce', code: '550 5.1.1' }),
      },
    ]);
    const { items } = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 50 });
    expect(items.filter((i) => i.type === 'delivery').map((i) => [i.kind, i.text])).toEqual([
      ['email_undelivered', 'bounce:permanent 550 5.1.1'],
    ]);

    // the next e-mail to the address: the gate refuses it (do_not_contact), nothing reaches the server
    const before = smtp.rcptCalls();
    const next = await sendMessage(t.db, email(f), channelsFrom(config()));
    expect(next.message).toMatchObject({
      status: 'blocked',
      verdict: 'deny',
      reasons: ['hold_do_not_contact'],
    });
    expect(smtp.rcptCalls()).toBe(before);
  });

  it('550 5.7.1 (policy): the message fails, the address stays as it was', async () => {
    const f = await fixture();
    smtp.refuse({ code: 550, message: '5.7.1 Rejected by policy' });
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    smtp.refuse(null);
    expect(message.status).toBe('failed');
    expect(await events(message.id)).toEqual([
      {
        provider_status: 'bounce:permanent',
        status: 'undelivered',
        error_code: '550 5.7.1',
        to_status: null,
      },
    ]);
    expect(await pointStatus(f.emailId)).toBe('unverified');
  });

  it('451: tried again up to the limit, then left failed; the address stays', async () => {
    const f = await fixture();
    smtp.refuse({ code: 451, message: '4.3.0 Try again later' });
    const before = smtp.rcptCalls();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config(2)));
    smtp.refuse(null);
    expect(message).toMatchObject({ status: 'failed', send_attempts: 3 });
    expect(smtp.rcptCalls()).toBe(before + 3);
    expect(await events(message.id)).toEqual([
      {
        provider_status: 'bounce:temporary',
        status: 'undelivered',
        error_code: '451 4.3.0',
        to_status: null,
      },
    ]);
    expect(await pointStatus(f.emailId)).toBe('unverified');
  });
});

/** An RFC 3464 report about the message whose headers carried `messageIdHeader`. */
function dsn(
  messageIdHeader: string,
  recipient: { action: string; status: string; diagnostic?: string } = {
    action: 'failed',
    status: '5.1.1',
    diagnostic: 'smtp; 550 5.1.1 <p@example.com>: Recipient address rejected: User unknown',
  },
): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
    'To: notice@agency.test',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="B0UND"',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--B0UND',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'I could not deliver your message.',
    '',
    '--B0UND',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    'Arrival-Date: Mon, 2 Mar 2026 10:00:05 +0800',
    '',
    'Final-Recipient: rfc822; p@example.com',
    'Original-Recipient: rfc822;p@example.com',
    `Action: ${recipient.action}`,
    `Status: ${recipient.status}`,
    ...(recipient.diagnostic ? [`Diagnostic-Code: ${recipient.diagnostic}`] : []),
    '',
    '--B0UND',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Agency <notice@agency.test>',
    'To: p@example.com',
    'Subject: Payment reminder',
    `Message-ID: ${messageIdHeader}`,
    'X-Huikuan-Message: 1',
    '',
    '--B0UND--',
    '',
  ].join('\r\n');
}

function post(body: string, options: { secret?: string; timestamp?: number; unsigned?: boolean } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return app.inject({
    method: 'POST',
    url: '/api/v1/channels/email/bounces',
    headers: {
      'content-type': 'message/rfc822',
      ...(options.unsigned
        ? {}
        : {
            'x-huikuan-timestamp': timestamp,
            'x-huikuan-signature': webhookSignature(options.secret ?? secret, timestamp, body),
          }),
    },
    payload: body,
  });
}

describe('a delivery status notification by webhook', () => {
  it('marks the sent message undelivered and the address invalid, once however often it comes', async () => {
    const f = await fixture();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    expect(message.status).toBe('sent');
    const report = dsn(message.provider_message_id ?? '');
    const first = await post(report);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ recorded: 1, repeated: 0, unmatched: 0, invalidated: 1 });
    const again = await post(report);
    expect(again.json()).toEqual({ recorded: 0, repeated: 1, unmatched: 0, invalidated: 0 });
    const stored = await storedMessage(message.id);
    expect(stored.status).toBe('undelivered');
    expect(stored.error).toMatch(/Recipient address rejected/);
    expect(await events(message.id)).toEqual([
      { provider_status: 'dsn:failed', status: 'undelivered', error_code: '5.1.1', to_status: 'undelivered' },
    ]);
    expect(await pointStatus(f.emailId)).toBe('invalid');
    const { items } = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 50 });
    expect(items.filter((i) => i.type === 'delivery').map((i) => i.text)).toEqual(['dsn:failed 5.1.1']);
  });

  it('records a delay without changing the message or the address', async () => {
    const f = await fixture();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    const response = await post(
      dsn(message.provider_message_id ?? '', { action: 'delayed', status: '4.4.7' }),
    );
    expect(response.json()).toEqual({ recorded: 1, repeated: 0, unmatched: 0, invalidated: 0 });
    expect((await events(message.id)).map((e) => [e.provider_status, e.to_status])).toEqual([
      ['dsn:delayed', null],
    ]);
    expect(await pointStatus(f.emailId)).toBe('unverified');
    const stored = await storedMessage(message.id);
    expect(stored.status).toBe('sent');
  });

  it('a "delivered" report settles an unconfirmed e-mail and its contact like a delivered SMS', async () => {
    const f = await fixture();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    // the conversation broke off after DATA: the message stays 'sending' with no Message-ID stored,
    // and the gate's contact waits for its outcome
    await sql`UPDATE channel_messages SET status = 'sending', provider_message_id = NULL WHERE id = ${message.id}`.execute(
      t.db,
    );
    await sql`UPDATE compliance_contacts SET outcome = 'pending', outcome_at = NULL
               WHERE id = (SELECT contact_id FROM channel_messages WHERE id = ${message.id})`.execute(t.db);
    const report = dsn(message.provider_message_id ?? '', { action: 'delivered', status: '2.0.0' }).replace(
      'X-Huikuan-Message: 1',
      `X-Huikuan-Message: ${message.id}`,
    );
    const response = await post(report);
    expect(response.json()).toEqual({ recorded: 1, repeated: 0, unmatched: 0, invalidated: 0 });
    const stored = await storedMessage(message.id);
    expect(stored).toEqual({ status: 'delivered', error: null });
    const contact = await sql<{ outcome: string }>`
      SELECT outcome FROM compliance_contacts WHERE id = (SELECT contact_id FROM channel_messages WHERE id = ${message.id})`.execute(
      t.db,
    );
    expect(contact.rows).toEqual([{ outcome: 'delivered' }]);
    expect(await pointStatus(f.emailId)).toBe('unverified');
  });

  it('matches by our X-Huikuan-Message header when the returned headers carry no Message-ID', async () => {
    const f = await fixture();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    const report = dsn(message.provider_message_id ?? '')
      .replace(`Message-ID: ${message.provider_message_id}\r\n`, '')
      .replace('X-Huikuan-Message: 1', `X-Huikuan-Message: ${message.id}`);
    const response = await post(report);
    expect(response.json()).toEqual({ recorded: 1, repeated: 0, unmatched: 0, invalidated: 1 });
    expect((await events(message.id)).map((e) => e.provider_status)).toEqual(['dsn:failed']);
  });

  it('answers unmatched for a report about no message of ours, recording nothing', async () => {
    const count = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM channel_delivery_events`.execute(t.db)).rows[0]
        ?.n;
    const before = await count();
    const response = await post(dsn('<nobody.0000@elsewhere.test>'));
    expect(response.json()).toEqual({ recorded: 0, repeated: 0, unmatched: 1, invalidated: 0 });
    expect(await count()).toBe(before);
  });

  it('refuses unsigned, forged and stale bodies (401) and malformed ones (400), recording nothing', async () => {
    const f = await fixture();
    const { message } = await sendMessage(t.db, email(f), channelsFrom(config()));
    const report = dsn(message.provider_message_id ?? '');
    for (const refused of [
      await post(report, { unsigned: true }),
      await post(report, { secret: 'forged' }),
      await post(report, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ]) {
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('unauthenticated');
    }
    const plain = await post('From: someone\r\nSubject: hello\r\n\r\nNot a report.');
    expect(plain.statusCode).toBe(400);
    expect(plain.json().error.code).toBe('bad_input');
    expect(plain.json().error.message).toMatch(/multipart\/report/);
    const noStatus = await post(report.replace('Status: 5.1.1\r\n', ''));
    expect(noStatus.statusCode).toBe(400);
    expect(noStatus.json().error.message).toMatch(/body\.status/);
    const badAction = await post(report.replace('Action: failed', 'Action: exploded'));
    expect(badAction.statusCode).toBe(400);
    expect(badAction.json().error.message).toMatch(/body\.action/);
    expect(await events(message.id)).toEqual([]);
    expect(await pointStatus(f.emailId)).toBe('unverified');
  });
});

describe('parseDsn', () => {
  it('reads the recipient blocks and the returned Message-ID, base64 parts included', () => {
    const body = dsn('<7.abc@agency.test>')
      .replace(
        'Content-Type: text/rfc822-headers\r\n\r\n',
        'Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      )
      .replace(
        /From: Agency <notice@agency.test>\r\nTo: p@example.com\r\nSubject: Payment reminder\r\nMessage-ID: <7.abc@agency.test>\r\nX-Huikuan-Message: 1\r\n/,
        `${Buffer.from('Message-ID: <7.abc@agency.test>\r\nX-Huikuan-Message: 7\r\n').toString('base64')}\r\n`,
      );
    expect(parseDsn(body)).toEqual({
      messageIdHeader: '<7.abc@agency.test>',
      huikuanId: 7n,
      recipients: [
        {
          finalRecipient: 'p@example.com',
          action: 'failed',
          status: '5.1.1',
          diagnostic: '550 5.1.1 <p@example.com>: Recipient address rejected: User unknown',
        },
      ],
      arrivedAt: new Date('2026-03-02T02:00:05Z'),
    });
  });
});
