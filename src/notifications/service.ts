/**
 * Staff notifications (通知): in-app notices to a user, read in the header's bell and marked read,
 * and an e-mail digest of the ones not yet sent to the user's own address when one is set.
 *
 * Today they tell the supervisors about the risk watch: when the nightly run puts an account on the
 * watch list (src/risk/platform/watch.ts), each active supervisor of the account's team — the team it
 * is assigned to, or, while it has none, the teams that serve its client — gets one notice per entry
 * (however many nights the entry is seen again).
 *
 * These are internal messages to the agency's own staff about its work, not contacts with debtors:
 * they do not pass the compliance gate (src/compliance), which rules on contacting debtors (hours,
 * frequency, holds, consent) and has nothing to say about a supervisor's mailbox. The digest holds no
 * debtor contact details: the account's id, the rule and its detail.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { SmtpSettings } from '../channels/config.ts';
import { sendSmtpMail } from '../channels/email.ts';
import { escapeHtml } from '../channels/model.ts';
import type { Db } from '../db/connection.ts';
import type { BusinessDate } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';

export const notificationLimits = {
  /** notices in one list */
  listRows: 200,
  /** notices in one e-mail digest (the rest wait for the next) */
  digestRows: 200,
  /** users e-mailed in one digest run */
  digestUsers: 1_000,
  /** sendSmtpMail's time-out for each step of the SMTP conversation (connect, greeting, each reply) */
  sendTimeoutMs: 30_000,
  /**
   * How long a digest run's claim on a user's notices holds. A claim older than this is taken for a
   * send that crashed or was killed before it finished, and the next run sends those notices. It must
   * outlast any send that is still going: a send is about eight SMTP steps of at most sendTimeoutMs
   * each (30 s: four minutes at worst), so a live send is not sent again by a second worker; a crashed
   * one waits at most this long plus the time to the next run.
   */
  digestLeaseMs: 15 * 60_000,
};

/**
 * sendTimeoutMs times the steps of one SMTP conversation (connect, greeting, EHLO, MAIL, RCPT, DATA,
 * the message, QUIT), with room to spare: a send this slow must still end within the lease.
 */
const digestSendStepsWithinLease = 10;

export const notificationKinds = ['risk_watch'] as const;

export interface Notification {
  id: bigint;
  kind: (typeof notificationKinds)[number];
  client_id: bigint;
  account_id: bigint | null;
  watch_id: bigint | null;
  rule: string | null;
  detail: string;
  created_at: Date;
  read_at: Date | null;
  emailed_at: Date | null;
}

const columns = sql.raw(
  'n.id, n.kind, n.client_id, n.account_id, n.watch_id, n.rule, n.detail, n.created_at, n.read_at, n.emailed_at',
);

/**
 * The nightly step's part (in the partition's transaction): a notice to each supervisor of the team
 * of every account whose watch-list entry was opened on the date. Idempotent: a notice per user and
 * entry. Returns how many notices were made.
 */
export async function notifyWatchEntries(
  trx: Db,
  scope: { asOf: BusinessDate; clientId: bigint; fromAccountId: bigint; toAccountId: bigint },
): Promise<number> {
  const made = await sql`
    INSERT INTO notifications (user_id, kind, client_id, account_id, watch_id, rule, detail)
    SELECT u.id, 'risk_watch', w.client_id, w.account_id, w.id, w.rule, w.detail
      FROM risk_watch w
      LEFT JOIN account_assignments s ON s.account_id = w.account_id
      JOIN users u ON u.active AND 'supervisor' = ANY (u.roles)
       AND (u.team_id = s.team_id
            OR (s.team_id IS NULL
                AND u.team_id IN (SELECT tc.team_id FROM team_clients tc WHERE tc.client_id = w.client_id)))
     WHERE w.client_id = ${scope.clientId} AND w.account_id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}
       AND w.first_seen = ${scope.asOf}::date
    ON CONFLICT (user_id, watch_id) DO NOTHING`.execute(trx);
  return Number(made.numAffectedRows ?? 0n);
}

export async function listNotifications(
  db: Db,
  userId: bigint,
  options: { unreadOnly?: boolean; limit?: number } = {},
): Promise<{ unread: number; items: Notification[] }> {
  const limit = Math.min(options.limit ?? 50, notificationLimits.listRows);
  const items = await sql<Notification>`
    SELECT ${columns} FROM notifications n
     WHERE n.user_id = ${userId} ${options.unreadOnly ? sql`AND n.read_at IS NULL` : sql``}
     ORDER BY n.id DESC LIMIT ${limit}`.execute(db);
  const unread = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM notifications WHERE user_id = ${userId} AND read_at IS NULL`.execute(db);
  return { unread: unread.rows[0]?.n ?? 0, items: items.rows };
}

/** Marks one of the user's notices read (reading it again changes nothing). */
export async function markRead(db: Db, userId: bigint, id: bigint): Promise<Notification> {
  const row = await sql<Notification>`
    UPDATE notifications n SET read_at = coalesce(n.read_at, now())
     WHERE n.id = ${id} AND n.user_id = ${userId}
    RETURNING ${columns}`.execute(db);
  const found = row.rows[0];
  // another user's notice is as unknown as one that does not exist
  if (!found) throw new HuikuanError('not_found', `You have no notification ${id}.`);
  return found;
}

export async function markAllRead(db: Db, userId: bigint, upToId?: bigint): Promise<number> {
  const done = await sql`
    UPDATE notifications SET read_at = now()
     WHERE user_id = ${userId} AND read_at IS NULL ${upToId !== undefined ? sql`AND id <= ${upToId}` : sql``}`.execute(
    db,
  );
  return Number(done.numAffectedRows ?? 0n);
}

const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export async function notificationEmail(db: Db, userId: bigint): Promise<string | null> {
  const row = await sql<{ email: string | null }>`SELECT email FROM users WHERE id = ${userId}`.execute(db);
  return row.rows[0]?.email ?? null;
}

/** Sets (or, with null, clears) the user's own address for the digest; audited. */
export async function setNotificationEmail(
  db: Db,
  userId: bigint,
  email: string | null,
  who: { actor: string; actorUserId?: bigint | null; ip?: string | null },
): Promise<string | null> {
  const value = email === null ? null : email.trim();
  if (value !== null && (value.length > 254 || !emailPattern.test(value))) {
    throw new HuikuanError('bad_input', `"${email}" is not an e-mail address.`);
  }
  return db.transaction().execute(async (trx) => {
    const before = await sql<{ email: string | null }>`
      SELECT email FROM users WHERE id = ${userId} FOR UPDATE`.execute(trx);
    if (before.rows.length === 0) throw new HuikuanError('not_found', `There is no user ${userId}.`);
    await sql`UPDATE users SET email = ${value}, updated_at = now() WHERE id = ${userId}`.execute(trx);
    await recordAudit(trx, {
      ...who,
      action: 'user.notification_email_set',
      entityType: 'user',
      entityId: userId,
      before: { email: before.rows[0]?.email ?? null },
      after: { email: value },
    });
    return value;
  });
}

const ruleWords: Record<string, { en: string; 'zh-CN': string }> = {
  lost_contact: { en: 'lost contact', 'zh-CN': '失联' },
  broken_promises: { en: 'broken promises', 'zh-CN': '多次违约承诺' },
  dispute: { en: 'dispute', 'zh-CN': '争议' },
  complaint: { en: 'complaint', 'zh-CN': '投诉' },
  bankruptcy_deceased: { en: 'bankruptcy or death', 'zh-CN': '破产或身故' },
  score_drop: { en: 'score drop', 'zh-CN': '评分骤降' },
};

/** The digest's subject, text and HTML in the user's language. */
export function digestMessage(
  locale: 'zh-CN' | 'en',
  items: Array<Pick<Notification, 'account_id' | 'rule' | 'detail' | 'created_at'>>,
  publicUrl: string | null,
) {
  const zh = locale === 'zh-CN';
  const subject = zh
    ? `回款：风险观察名单新增 ${items.length} 条`
    : `Huikuan: ${items.length} new risk watch ${items.length === 1 ? 'entry' : 'entries'}`;
  const lines = items.map((item) => {
    const rule = item.rule ? (ruleWords[item.rule]?.[locale] ?? item.rule) : '';
    const link =
      publicUrl && item.account_id !== null
        ? ` ${publicUrl.replace(/\/$/, '')}/accounts/${item.account_id}`
        : '';
    return {
      text: `${zh ? '账户' : 'Account'} ${item.account_id} — ${rule}: ${item.detail}${link}`,
      link,
      item,
      rule,
    };
  });
  const intro = zh
    ? '夜间风险观察为您团队的以下账户新增了观察条目，请在“风险评估”页面确认并记录处理情况。'
    : 'The nightly risk watch added these accounts of your team to the watch list; acknowledge them and record what was done on the Risk page.';
  const text = `${intro}\n\n${lines.map((l) => `- ${l.text}`).join('\n')}\n`;
  const html = `<p>${escapeHtml(intro)}</p><ul>${lines
    .map(
      (l) =>
        `<li>${zh ? '账户' : 'Account'} ${l.item.account_id} — <b>${escapeHtml(l.rule)}</b>: ${escapeHtml(l.item.detail)}${
          l.link ? ` <a href="${escapeHtml(l.link.trim())}">${zh ? '打开' : 'open'}</a>` : ''
        }</li>`,
    )
    .join('')}</ul>`;
  return { subject, text, html };
}

export interface DigestResult {
  /** users whose digest the SMTP server accepted */
  sent: number;
  /** notices those digests carried */
  notices: number;
  failed: Array<{ user: string; error: string }>;
  /** why nothing was sent, when SMTP is not configured */
  skipped: string | null;
}

/**
 * E-mails each user with an address the notices not yet e-mailed (at most `digestRows` each), one
 * message per user through the e-mail channel's SMTP settings and sending (sendSmtpMail, README
 * "Channels"). The notices are claimed (digest_claimed_at, committed) before the send, so no
 * transaction or row lock is held while the SMTP server answers and a concurrent run skips them;
 * emailed_at is set only once the server has accepted the digest, and a refusal or a broken
 * conversation drops the claim, leaving them for the next run. A claim is a lease
 * (`digestLeaseMs`): when the process dies between the claim and the send, the notices are not lost
 * but sent by the first run after the lease has passed. Runs after the nightly run
 * (src/strategy/jobs.ts) and as `huikuan notifications digest`.
 */
export async function sendDigests(
  db: Db,
  smtp: SmtpSettings | null,
  options: { publicUrl?: string | null; actor?: string; timeoutMs?: number } = {},
): Promise<DigestResult> {
  if (!smtp) {
    return {
      sent: 0,
      notices: 0,
      failed: [],
      skipped: 'SMTP is not configured (HUIKUAN_SMTP_URL): no digest was e-mailed',
    };
  }
  const timeout = options.timeoutMs ?? notificationLimits.sendTimeoutMs;
  const leaseMs = notificationLimits.digestLeaseMs;
  if (timeout * digestSendStepsWithinLease > leaseMs) {
    // a send outliving its claim would be sent a second time by the next run
    throw new HuikuanError(
      'bad_usage',
      `An SMTP time-out of ${timeout} ms is too long for the digest's ${leaseMs} ms claim: use at most ${Math.floor(leaseMs / digestSendStepsWithinLease)} ms.`,
    );
  }
  // a claim not yet expired belongs to a run still sending; an expired one to a run that died
  const unclaimed = sql`n.emailed_at IS NULL
       AND (n.digest_claimed_at IS NULL OR n.digest_claimed_at < now() - ${`${leaseMs} milliseconds`}::interval)`;
  const users = await sql<{ id: bigint; username: string; email: string; locale: 'zh-CN' | 'en' }>`
    SELECT u.id, u.username, u.email, u.locale FROM users u
     WHERE u.email IS NOT NULL AND u.active
       AND EXISTS (SELECT FROM notifications n WHERE n.user_id = u.id AND ${unclaimed})
     ORDER BY u.id LIMIT ${notificationLimits.digestUsers}`.execute(db);
  const result: DigestResult = { sent: 0, notices: 0, failed: [], skipped: null };
  for (const user of users.rows) {
    // claimed first (committed): another digest run skips them, and no lock or transaction stays
    // open while the SMTP server answers
    const claimed = await db.transaction().execute(async (trx) => {
      const items = await sql<Notification>`
        SELECT ${columns} FROM notifications n
         WHERE n.user_id = ${user.id} AND ${unclaimed}
         ORDER BY n.id LIMIT ${notificationLimits.digestRows} FOR UPDATE SKIP LOCKED`.execute(trx);
      const ids = items.rows.map((row) => String(row.id));
      if (ids.length === 0) return { items: [], ids, claimedAt: null };
      // as text: a Date would drop the microseconds the claim is compared by below
      const stamped = await sql<{ claimed_at: string }>`
        UPDATE notifications SET digest_claimed_at = now() WHERE id = ANY (${ids}::bigint[])
        RETURNING digest_claimed_at::text AS claimed_at`.execute(trx);
      return { items: items.rows, ids, claimedAt: stamped.rows[0]?.claimed_at ?? null };
    });
    if (claimed.ids.length === 0) continue;
    const message = digestMessage(user.locale, claimed.items, options.publicUrl ?? null);
    try {
      await sendSmtpMail(
        smtp,
        {
          to: user.email,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'X-Huikuan-Notification': 'risk-watch-digest', 'Auto-Submitted': 'auto-generated' },
        },
        timeout,
      );
    } catch (error) {
      // refused or broken off: the claim goes, so the next run tries them again — unless it is no
      // longer this run's (the lease ran out and another run claimed them)
      await sql`UPDATE notifications SET digest_claimed_at = NULL
                 WHERE id = ANY (${claimed.ids}::bigint[]) AND emailed_at IS NULL
                   AND digest_claimed_at = ${claimed.claimedAt}::timestamptz`.execute(db);
      result.failed.push({ user: user.username, error: (error as Error).message });
      continue;
    }
    // sent: whoever holds the claim now, these notices are e-mailed (if this update never happens,
    // the lease runs out and they are sent again: twice rather than never)
    await sql`UPDATE notifications SET emailed_at = now(), digest_claimed_at = NULL
               WHERE id = ANY (${claimed.ids}::bigint[]) AND emailed_at IS NULL`.execute(db);
    await recordAudit(db, {
      actor: options.actor ?? 'notifications',
      action: 'notification.digest_sent',
      entityType: 'user',
      entityId: user.id,
      after: { to: user.email, notices: claimed.ids.length },
    });
    result.sent += 1;
    result.notices += claimed.ids.length;
  }
  return result;
}
