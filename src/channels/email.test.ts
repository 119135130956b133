/**
 * E-mail end to end: messages go through the rule gate to a real SMTP server on loopback and are read
 * back with mailparser — text and HTML parts, the signed opt-out link, List-Unsubscribe headers; a
 * denied message and a repeated key send nothing; the opt-out link records the opt-out.
 */

import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountTimeline } from '../accounts/listing.ts';
import { buildServer } from '../server/app.ts';
import type { Api } from '../server/context.ts';
import { unconfigured } from './config.ts';
import { optOutPath, optOutToken, readOptOutToken } from './links.ts';
import { channelsFrom, type SendInput, sendMessage } from './service.ts';
import { channelFixture, daytime, night, startSmtp, testConfig } from './test-support.ts';

let t: TestDatabase;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let app: Api;
let f: Awaited<ReturnType<typeof channelFixture>>;

beforeAll(async () => {
  t = await testDatabase();
  smtp = await startSmtp();
  f = await channelFixture(t.db, { phone: '+8613800000101', email: 'zhang.san@example.com' });
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
      port: smtp.port,
      secure: false,
      user: null,
      password: null,
      from: '回款催收 <notice@agency.test>',
      requireTls: false,
    },
  });
}

function email(fields: Partial<SendInput> = {}): SendInput {
  return {
    accountId: f.accountId,
    contactPointId: f.emailId,
    channel: 'email',
    subject: '还款提醒 Payment reminder',
    text: '您好，您的账户尚有欠款 1,000.00 元，请尽快还款。',
    at: daytime,
    actor: 'agent.wang',
    ...fields,
  };
}

describe('e-mail over SMTP', () => {
  it('arrives with a text and an HTML part, the opt-out link in both and in List-Unsubscribe', async () => {
    const before = smtp.received.length;
    const { message, repeated } = await sendMessage(
      t.db,
      email({ idempotencyKey: 'reminder-1' }),
      channelsFrom(config()),
    );
    expect(repeated).toBe(false);
    expect(message).toMatchObject({
      status: 'sent',
      verdict: 'allow',
      reasons: [],
      channel: 'email',
      provider: 'smtp',
    });
    expect(message.recipient).toBe('z***@example.com');
    expect(smtp.received).toHaveLength(before + 1);
    const arrived = smtp.received.at(-1);
    expect(arrived?.to).toEqual(['zhang.san@example.com']);
    expect(arrived?.from).toBe('notice@agency.test');
    const mail = await simpleParser(arrived?.raw ?? Buffer.alloc(0));
    expect(mail.subject).toBe('还款提醒 Payment reminder');
    expect(mail.messageId).toBe(message.provider_message_id);
    const link = `http://huikuan.test${optOutPath}${optOutToken(message.id)}`;
    expect(mail.text).toContain('您好，您的账户尚有欠款 1,000.00 元，请尽快还款。');
    expect(mail.text).toContain(link);
    expect(mail.html).toContain('<p>您好，您的账户尚有欠款 1,000.00 元，请尽快还款。</p>');
    expect(mail.html).toContain(`href="${link}"`);
    // mailparser folds List-* headers into one object: read them as they arrived
    const raw = (arrived?.raw.toString('utf8') ?? '').replace(/\r\n[ \t]+/g, ' ');
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw).toContain(`List-Unsubscribe: <${link}>\r\n`);
    expect(mail.headers.get('x-huikuan-message')).toBe(String(message.id));
    expect(readOptOutToken(optOutToken(message.id))).toBe(message.id);

    // the gate's verdict and contact are stored, the send audited
    const verdict = await sql<{ verdict: string; channel: string }>`
      SELECT verdict, channel FROM compliance_verdicts WHERE id = (SELECT verdict_id FROM channel_messages WHERE id = ${message.id})`.execute(
      t.db,
    );
    expect(verdict.rows).toEqual([{ verdict: 'allow', channel: 'email' }]);
    const contact = await sql<{ outcome: string }>`
      SELECT outcome FROM compliance_contacts WHERE id = (SELECT contact_id FROM channel_messages WHERE id = ${message.id})`.execute(
      t.db,
    );
    expect(contact.rows).toEqual([{ outcome: 'delivered' }]);
    const audited = await sql<{ action: string; actor: string }>`
      SELECT action, actor FROM audit_events WHERE entity_type = 'channel_message' AND entity_id = ${String(message.id)}`.execute(
      t.db,
    );
    expect(audited.rows).toEqual([{ action: 'channel_message.sent', actor: 'agent.wang' }]);
  });

  it('sends an HTML part given by the caller, and the text part as given', async () => {
    const { message } = await sendMessage(
      t.db,
      email({ subject: 'Statement', text: 'Your statement.', html: '<p><b>Your</b> statement.</p>' }),
      channelsFrom(config()),
    );
    const mail = await simpleParser(smtp.received.at(-1)?.raw ?? Buffer.alloc(0));
    expect(mail.html).toContain('<p><b>Your</b> statement.</p>');
    expect(mail.html).toContain('unsubscribe</a>');
    expect(mail.text).toContain('Your statement.');
    expect(mail.text).toContain(
      `To stop receiving these e-mails, unsubscribe here: http://huikuan.test${optOutPath}`,
    );
    expect(message.status).toBe('sent');
  });

  it('refuses a message that fails the quality check: nothing is claimed, gated or sent', async () => {
    const before = smtp.received.length;
    const rows = async () =>
      Number(
        (await sql<{ n: string }>`SELECT count(*)::text AS n FROM channel_messages`.execute(t.db)).rows[0]?.n,
      );
    const stored = await rows();
    await expect(
      sendMessage(t.db, email({ text: '再不还钱就通知你单位，让你坐牢。' }), channelsFrom(config())),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/quality check: third party disclosure/),
    });
    expect(smtp.received.length).toBe(before);
    expect(await rows()).toBe(stored);
  });

  it('sends nothing when the gate denies: the attempt is recorded blocked with the reason', async () => {
    const before = smtp.received.length;
    const rcpts = smtp.rcptCalls();
    const { message } = await sendMessage(t.db, email({ at: night }), channelsFrom(config()));
    expect(message).toMatchObject({
      status: 'blocked',
      verdict: 'deny',
      reasons: ['quiet_hours'],
      provider_message_id: null,
    });
    expect(smtp.received).toHaveLength(before);
    expect(smtp.rcptCalls()).toBe(rcpts);
    const audited = await sql<{ action: string }>`
      SELECT action FROM audit_events WHERE entity_type = 'channel_message' AND entity_id = ${String(message.id)}`.execute(
      t.db,
    );
    expect(audited.rows).toEqual([{ action: 'channel_message.blocked' }]);
  });

  it('sends once per idempotency key: a retried job gets the earlier message back', async () => {
    const channels = channelsFrom(config());
    const first = await sendMessage(t.db, email({ idempotencyKey: 'job-7:account-1' }), channels);
    const before = smtp.received.length;
    const again = await sendMessage(t.db, email({ idempotencyKey: 'job-7:account-1' }), channels);
    expect(again).toEqual({ message: first.message, repeated: true });
    expect(smtp.received).toHaveLength(before);
    const verdicts = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM compliance_verdicts WHERE account_id = ${f.accountId}`.execute(t.db);
    const blockedToo = await sendMessage(
      t.db,
      email({ idempotencyKey: 'job-7:account-1', at: night }),
      channels,
    );
    expect(blockedToo.repeated).toBe(true);
    const after = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM compliance_verdicts WHERE account_id = ${f.accountId}`.execute(t.db);
    expect(after.rows).toEqual(verdicts.rows);
    await expect(
      sendMessage(
        t.db,
        email({ idempotencyKey: 'job-7:account-1', contactPointId: f.phoneId, channel: 'sms' }),
        channels,
      ),
    ).rejects.toThrow(/not configured/);
  });

  it('refuses a key used for another contact point, and a point of the wrong kind', async () => {
    const channels = channelsFrom(config());
    await expect(sendMessage(t.db, email({ contactPointId: f.phoneId }), channels)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/an e-mail needs an e-mail address/),
    });
    const other = await channelFixture(t.db, { phone: '+8613800000102', email: 'li.si@example.com' });
    await expect(
      sendMessage(
        t.db,
        email({ idempotencyKey: 'reminder-1', accountId: other.accountId, contactPointId: other.emailId }),
        channels,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(sendMessage(t.db, email({ contactPointId: other.emailId }), channels)).rejects.toMatchObject(
      {
        code: 'bad_input',
      },
    );
  });

  it('records a refusal (550) as failed without trying again; a deferral (451) is tried again up to the limit', async () => {
    smtp.refuse({ code: 550, message: 'No such user' });
    const before = smtp.rcptCalls();
    const refused = await sendMessage(t.db, email(), channelsFrom(config(2)));
    expect(refused.message).toMatchObject({ status: 'failed', send_attempts: 1 });
    expect(refused.message.error).toMatch(/refused the message \(550\)/);
    expect(smtp.rcptCalls()).toBe(before + 1);
    // a permanent refusal of the recipient marks the address invalid (bounces.ts, bounces.test.ts):
    // the address is good again for the tests below
    const point = await t.db
      .selectFrom('contact_points')
      .select('status')
      .where('id', '=', f.emailId)
      .executeTakeFirstOrThrow();
    expect(point.status).toBe('invalid');
    await t.db
      .updateTable('contact_points')
      .set({ status: 'unverified' })
      .where('id', '=', f.emailId)
      .execute();

    smtp.refuse({ code: 451, message: 'Try again later' });
    const deferred = await sendMessage(t.db, email(), channelsFrom(config(2)));
    expect(deferred.message).toMatchObject({ status: 'failed', send_attempts: 3 });
    expect(deferred.message.error).toMatch(/deferred the message \(451\)/);
    expect(smtp.rcptCalls()).toBe(before + 4);
    smtp.refuse(null);
  });

  it('records an unreachable server as failed after the retries', async () => {
    const closed = testConfig({
      sendRetries: 1,
      smtp: { ...(config().smtp as NonNullable<ReturnType<typeof config>['smtp']>), port: 9 },
    });
    const { message } = await sendMessage(t.db, email(), channelsFrom(closed));
    expect(message).toMatchObject({ status: 'failed', send_attempts: 2 });
    expect(message.error).toMatch(/could not be reached/);
  });

  it('says e-mail is not configured, and records nothing, when SMTP or the public URL is missing', async () => {
    const count = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM channel_messages`.execute(t.db)).rows[0]?.n;
    const before = await count();
    await expect(sendMessage(t.db, email(), channelsFrom(unconfigured))).rejects.toMatchObject({
      code: 'invalid_state',
      details: { reason: 'channel_not_configured', channel: 'email' },
      message: expect.stringMatching(/HUIKUAN_SMTP_URL/),
    });
    await expect(sendMessage(t.db, email(), channelsFrom({ ...config(), publicUrl: null }))).rejects.toThrow(
      /HUIKUAN_PUBLIC_URL/,
    );
    expect(await count()).toBe(before);
  });

  it('records the opt-out when the link is followed (GET or one-click POST), once, and on the timeline', async () => {
    app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, channels: config() });
    const { message } = await sendMessage(t.db, email({ subject: 'Last one' }), channelsFrom(config()));
    const url = `${optOutPath}${optOutToken(message.id)}`;
    const page = await app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('z***@example.com');
    const oneClick = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect(oneClick.json()).toEqual({ opted_out: true, channel: 'email' });
    const holds = await sql<{ kind: string; source: string; contact_point_id: string }>`
      SELECT kind, source, contact_point_id::text FROM compliance_holds WHERE debtor_id = ${f.debtorId} AND lifted_at IS NULL`.execute(
      t.db,
    );
    expect(holds.rows).toEqual([
      { kind: 'opt_out_email', source: 'email', contact_point_id: String(f.emailId) },
    ]);
    const { items } = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 100 });
    expect(items.filter((i) => i.type === 'reply').map((i) => i.kind)).toEqual(['email_opt_out']);
    expect(items.filter((i) => i.type === 'message').map((i) => i.kind)).toEqual(
      expect.arrayContaining(['email_sent', 'email_blocked', 'email_failed']),
    );

    // the next e-mail to that address (once the opt-out is in force: it starts now) is blocked by
    // the hold; nothing reaches the server
    const before = smtp.received.length;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const next = await sendMessage(
      t.db,
      email({ at: new Date(`${tomorrow}T10:00:00+08:00`) }),
      channelsFrom(config()),
    );
    expect(next.message).toMatchObject({ status: 'blocked', reasons: ['hold_opt_out_email'] });
    expect(smtp.received).toHaveLength(before);

    // a forged or altered token is refused and records nothing
    const forged = await app.inject({
      method: 'GET',
      url: `${optOutPath}${message.id + 1n}.${optOutToken(message.id).split('.')[1]}`,
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('unauthenticated');
    const malformed = await app.inject({ method: 'GET', url: `${optOutPath}nonsense` });
    expect(malformed.statusCode).toBe(400);
  });
});
