/**
 * The watch notification flow: the nightly run puts a lost-contact account on the risk watch list,
 * the supervisor of the account's team (not another team's) gets one in-app notice, read through the
 * routes and marked read; the e-mail digest arrives on a loopback SMTP server once, and not again.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { startSmtp } from '../channels/test-support.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { runStrategy } from '../strategy/service.ts';
import { digestMessage, notificationLimits, sendDigests, setNotificationEmail } from './service.ts';

let t: TestDatabase;
let api: TestApi;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let clientId: bigint;
let accountId: bigint;
let quietId: bigint;
const { caller, callers } = testCallers();

async function user(username: string, roles: Array<'supervisor' | 'agent'>, team: bigint): Promise<bigint> {
  const made = await createUser(
    t.db,
    { username, displayName: username, roles, team, password: 'Password-12345' },
    { actor: 'setup' },
  );
  return BigInt(made.user.id);
}

beforeAll(async () => {
  t = await testDatabase();
  smtp = await startSmtp();
  clientId = (await createClient(t.db, 'NTF')).clientId;
  [accountId, quietId] = (await placeAccounts(t.db, clientId, [
    { ref: 'W1', principal: 80_000n, delinquencyDate: '2025-01-01' },
    { ref: 'W2', principal: 10_000n, delinquencyDate: '2025-01-01' },
  ])) as [bigint, bigint];
  const teamA = BigInt(
    (await createTeam(t.db, { name: '一组', clientCodes: ['NTF'] }, { actor: 'setup' })).id,
  );
  const teamB = BigInt(
    (await createTeam(t.db, { name: '二组', clientCodes: ['NTF'] }, { actor: 'setup' })).id,
  );
  const supA = await user('sup.a', ['supervisor'], teamA);
  const supB = await user('sup.b', ['supervisor'], teamB);
  await user('agent.a', ['agent'], teamA);
  await setNotificationEmail(t.db, supA, 'sup.a@agency.example', { actor: 'sup.a' });
  for (const id of [accountId, quietId]) {
    await sql`INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
              VALUES (${clientId}, ${id}, ${teamA}, 'agent.a', 'setup')`.execute(t.db);
  }
  const { debtor_id } = await t.db
    .selectFrom('accounts')
    .select('debtor_id')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO compliance_lost_contact (client_id, debtor_id, set_at, set_by, set_reason)
            VALUES (${clientId}, ${debtor_id}, '2025-04-20', 'tester', 'numbers dead')`.execute(t.db);
  caller('sup.a', ['supervisor'], [clientId]).userId = supA;
  caller('sup.b', ['supervisor'], [clientId]).userId = supB;
  caller('client.a', ['client'], [clientId]);
  api = await testApi(t, callers);
});

afterAll(async () => {
  await api?.close();
  await smtp?.close();
  await t?.drop();
});

/** Whether the notices matching `where` are e-mailed and claimed by a digest run, by id. */
async function digestState(where: string): Promise<Array<{ emailed: boolean; claimed: boolean }>> {
  const rows = await sql<{ emailed: boolean; claimed: boolean }>`
    SELECT emailed_at IS NOT NULL AS emailed, digest_claimed_at IS NOT NULL AS claimed
      FROM notifications WHERE ${sql.raw(where)} ORDER BY id`.execute(t.db);
  return rows.rows;
}

const settings = () => ({
  host: '127.0.0.1',
  port: smtp.port,
  secure: false,
  user: null,
  password: null,
  from: '回款 <notice@agency.example>',
  requireTls: false,
});

describe('risk watch notifications', () => {
  it('tells the supervisor of the account’s team once, in the bell and by one e-mail digest', async () => {
    await runStrategy(t.db, { asOf: '2025-05-01', actor: 'tester' });
    const listed = await api.call('sup.a', 'GET', '/notifications');
    expect(listed.status).toBe(200);
    expect(listed.json()).toMatchObject({
      unread: 1,
      items: [
        {
          kind: 'risk_watch',
          account_id: Number(accountId),
          rule: 'lost_contact',
          detail: 'lost contact (失联) is set',
          read_at: null,
          emailed_at: null,
        },
      ],
    });
    // another team's supervisor is not told; a client user has no bell
    expect((await api.call('sup.b', 'GET', '/notifications')).json()).toEqual({
      unread: 0,
      items: [],
    });
    expect((await api.call('client.a', 'GET', '/notifications')).status).toBe(403);

    const digest = await sendDigests(t.db, settings(), { publicUrl: 'https://huikuan.example' });
    expect(digest).toEqual({ sent: 1, notices: 1, failed: [], skipped: null });
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail?.to).toEqual(['sup.a@agency.example']);
    const raw = mail?.raw.toString('utf8') ?? '';
    expect(raw).toContain('X-Huikuan-Notification: risk-watch-digest');
    expect(raw).toContain(`https://huikuan.example/accounts/${accountId}`);
    // nothing left to send: a second digest sends nothing
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 0, notices: 0, failed: [], skipped: null });
    expect(smtp.received).toHaveLength(1);

    // the next night sees the entry again: no second notice
    await runStrategy(t.db, { asOf: '2025-05-02', actor: 'tester' });
    const again = (await api.call('sup.a', 'GET', '/notifications')).json();
    expect(again.items).toHaveLength(1);
    expect(again.items[0].emailed_at).not.toBeNull();

    const id = again.items[0].id;
    expect((await api.call('sup.b', 'POST', `/notifications/${id}/read`)).status).toBe(404);
    const read = await api.call('sup.a', 'POST', `/notifications/${id}/read`);
    expect(read.status).toBe(200);
    expect(read.json().read_at).not.toBeNull();
    expect((await api.call('sup.a', 'GET', '/notifications?status=unread')).json()).toEqual({
      unread: 0,
      items: [],
    });
    expect((await api.call('sup.a', 'POST', '/notifications/read-all')).json()).toEqual({ marked: 0 });
  });

  it('skips the digest without SMTP and leaves a refused one for the next run', async () => {
    await sql`INSERT INTO notifications (user_id, kind, client_id, account_id, watch_id, rule, detail)
              SELECT u.id, 'risk_watch', w.client_id, w.account_id, w.id, w.rule, 'planted'
                FROM users u, risk_watch w WHERE u.username = 'sup.b'`.execute(t.db);
    await setNotificationEmail(
      t.db,
      (callers.get('sup.b') as { userId: bigint }).userId,
      'b@agency.example',
      {
        actor: 'sup.b',
      },
    );
    expect((await sendDigests(t.db, null)).skipped).toContain('SMTP is not configured');
    smtp.refuse({ code: 550, message: 'no such user' });
    const refused = await sendDigests(t.db, settings());
    expect(refused).toMatchObject({ sent: 0, notices: 0, failed: [{ user: 'sup.b' }] });
    // the refusal drops the claim: neither e-mailed nor held, so the next run sends them at once
    expect(await digestState("detail = 'planted'")).toEqual([{ emailed: false, claimed: false }]);
    smtp.refuse(null);
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 1, notices: 1, failed: [], skipped: null });
    expect(await digestState("detail = 'planted'")).toEqual([{ emailed: true, claimed: false }]);
    // read-all up to the newest seen leaves a later notice unread
    const planted = (await api.call('sup.b', 'GET', '/notifications')).json();
    expect(planted.unread).toBe(1);
    const newest = planted.items[0].id;
    const before = { up_to_id: String(newest - 1) };
    expect((await api.call('sup.b', 'POST', '/notifications/read-all', before)).json()).toEqual({
      marked: 0,
    });
    const upTo = { up_to_id: String(newest) };
    expect((await api.call('sup.b', 'POST', '/notifications/read-all', upTo)).json()).toEqual({ marked: 1 });
  });

  it('holds no lock or transaction while the SMTP server answers, so the notices can be read and changed meanwhile', async () => {
    // one of sup.a's notices, not yet e-mailed again
    await sql`UPDATE notifications SET emailed_at = NULL, detail = 'while sending'
               WHERE id = (SELECT min(n.id) FROM notifications n JOIN users u ON u.id = n.user_id
                            WHERE u.username = 'sup.a')`.execute(t.db);
    const seen: string[] = [];
    smtp.whileReceiving(async () => {
      // a digest that kept its transaction open over the send would hold these rows' locks
      await t.db.transaction().execute(async (trx) => {
        const rows = await sql<{ detail: string; emailed: boolean; claimed: boolean }>`
          SELECT detail, emailed_at IS NOT NULL AS emailed, digest_claimed_at IS NOT NULL AS claimed
            FROM notifications WHERE detail = 'while sending' FOR UPDATE NOWAIT`.execute(trx);
        seen.push(
          ...rows.rows.map(
            (row) =>
              `${row.detail}: ${row.claimed ? 'claimed' : 'unclaimed'}, ${row.emailed ? 'emailed' : 'not emailed'}`,
          ),
        );
      });
    });
    try {
      expect(await sendDigests(t.db, settings())).toEqual({ sent: 1, notices: 1, failed: [], skipped: null });
    } finally {
      smtp.whileReceiving(null);
    }
    // while the server answers it is claimed, not yet e-mailed: a crash here leaves it to be sent again
    expect(seen).toEqual(['while sending: claimed, not emailed']);
    expect(await digestState("detail = 'while sending'")).toEqual([{ emailed: true, claimed: false }]);
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 0, notices: 0, failed: [], skipped: null });
  });

  it('sends the notices of a crashed send once its claim has run out, and leaves a live claim alone', async () => {
    // sup.a's send crashed an hour ago (claimed, never e-mailed); sup.b's run is sending right now
    await sql`UPDATE notifications SET emailed_at = NULL, digest_claimed_at = now() - interval '1 hour',
                     detail = 'crashed send'
               WHERE user_id = (SELECT id FROM users WHERE username = 'sup.a')`.execute(t.db);
    await sql`UPDATE notifications SET emailed_at = NULL, digest_claimed_at = now(), detail = 'live send'
               WHERE user_id = (SELECT id FROM users WHERE username = 'sup.b')`.execute(t.db);
    const before = smtp.received.length;
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 1, notices: 1, failed: [], skipped: null });
    expect(smtp.received).toHaveLength(before + 1);
    expect(smtp.received.at(-1)?.to).toEqual(['sup.a@agency.example']);
    expect(await digestState("detail = 'crashed send'")).toEqual([{ emailed: true, claimed: false }]);
    // the live claim is untouched, and a run before it runs out still leaves it to its sender
    expect(await digestState("detail = 'live send'")).toEqual([{ emailed: false, claimed: true }]);
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 0, notices: 0, failed: [], skipped: null });
    expect(smtp.received).toHaveLength(before + 1);

    // just inside the lease it still holds; just past it, the next run takes the notices over
    await sql`UPDATE notifications SET digest_claimed_at = now() - ${`${notificationLimits.digestLeaseMs - 60_000} milliseconds`}::interval
               WHERE detail = 'live send'`.execute(t.db);
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 0, notices: 0, failed: [], skipped: null });
    await sql`UPDATE notifications SET digest_claimed_at = now() - ${`${notificationLimits.digestLeaseMs + 60_000} milliseconds`}::interval
               WHERE detail = 'live send'`.execute(t.db);
    expect(await sendDigests(t.db, settings())).toEqual({ sent: 1, notices: 1, failed: [], skipped: null });
    expect(smtp.received.at(-1)?.to).toEqual(['b@agency.example']);
    expect(await digestState("detail = 'live send'")).toEqual([{ emailed: true, claimed: false }]);
  });

  it('refuses an SMTP time-out a send could outlast its claim by', async () => {
    const before = smtp.received.length;
    await expect(
      sendDigests(t.db, settings(), { timeoutMs: notificationLimits.digestLeaseMs }),
    ).rejects.toMatchObject({ code: 'bad_usage' });
    expect(smtp.received).toHaveLength(before);
  });

  it('sets your digest address, refusing what is not one, audited', async () => {
    const bad = await api.call('sup.a', 'POST', '/notifications/email', { email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(
      (await api.call('sup.a', 'POST', '/notifications/email', { email: 'lead@agency.example' })).json(),
    ).toEqual({ email: 'lead@agency.example' });
    expect((await api.call('sup.a', 'GET', '/notifications/email')).json()).toEqual({
      email: 'lead@agency.example',
    });
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['actor', 'action'])
      .where('action', '=', 'user.notification_email_set')
      .orderBy('id')
      .execute();
    expect(audit.at(-1)).toEqual({ actor: 'sup.a', action: 'user.notification_email_set' });
  });

  it('writes the digest in the user’s language', () => {
    const item = {
      account_id: 7n,
      rule: 'score_drop',
      detail: 'score fell 60 points',
      created_at: new Date(),
    };
    expect(digestMessage('zh-CN', [item], null).text).toContain('账户 7 — 评分骤降: score fell 60 points');
    expect(digestMessage('en', [item, item], null).subject).toBe('Huikuan: 2 new risk watch entries');
  });
});
