/**
 * The debtor page: a signed, expiring link to one account of one debtor, where the debtor sees what
 * is owed (by component, the client, the agency's contact) and can record a dispute (the holds
 * module), opt out of a channel (recordChannelOptOut) or ask for a call back. No login: the link's
 * token is the credential — `<account>.<expiry>.<HMAC-SHA-256 over account, debtor and expiry>`
 * under a key derived from the data key (HUIKUAN_DATA_KEY) for this purpose only, valid at most
 * `pageLimits.maxDays` days. Each form carries a nonce (HMAC over the token, the form and its
 * time, valid `pageLimits.nonceMs`) used once: what the debtor does is a channel_replies row of
 * channel `page` keyed by the nonce, on the account's timeline, recorded once however often posted.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { addHold, recordChannelOptOut } from '../compliance/holds.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { sameText } from './adapter.ts';
import { derivedKey } from './links.ts';
import type { ChannelTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

export const pageLimits = {
  /** A link's longest life. */
  maxDays: 14,
  /** A form's nonce is good this long after the page was shown. */
  nonceMs: 2 * 3_600_000,
  textChars: 1_000,
  formBytes: 8 * 1024,
  /** Requests per minute from one address to the page and its forms. */
  perMinute: 30,
} as const;

export const pageForms = ['dispute', 'opt-out', 'callback'] as const;
export type PageForm = (typeof pageForms)[number];

function mac(text: string): string {
  return createHmac('sha256', derivedKey('huikuan debtor page v1'))
    .update(text, 'utf8')
    .digest()
    .subarray(0, 18)
    .toString('base64url');
}

export const pageTokenPattern = /^([1-9]\d{0,17})\.(\d{10})\.([A-Za-z0-9_-]{24})$/;

export function pageToken(accountId: bigint, debtorId: bigint, expires: Date): string {
  const seconds = Math.floor(expires.getTime() / 1000);
  return `${accountId}.${seconds}.${mac(`page:${accountId}:${debtorId}:${seconds}`)}`;
}

export interface PageLink {
  url: string;
  token: string;
  expires_at: Date;
}

/** A link to the account's debtor page, valid `days` days (1–14); audited. */
export async function createPageLink(
  db: Db,
  accountId: bigint,
  input: {
    days?: number;
    publicUrl: string | null;
    actor: string;
    actorUserId?: bigint | null;
    ip?: string | null;
  },
  now: Date = new Date(),
): Promise<PageLink> {
  const days = input.days ?? pageLimits.maxDays;
  if (!Number.isInteger(days) || days < 1 || days > pageLimits.maxDays) {
    throw new HuikuanError('bad_input', `A debtor page link lasts 1–${pageLimits.maxDays} days.`);
  }
  const account = await db
    .selectFrom('accounts')
    .select(['client_id', 'debtor_id'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  const expires = new Date(now.getTime() + days * 86_400_000);
  const token = pageToken(accountId, account.debtor_id, expires);
  await recordAudit(db, {
    actor: input.actor,
    actorUserId: input.actorUserId ?? null,
    ip: input.ip ?? null,
    action: 'channel_page_link.created',
    entityType: 'account',
    entityId: accountId,
    clientId: account.client_id,
    after: { expires_at: expires.toISOString() },
  });
  return {
    url: `${(input.publicUrl ?? '').replace(/\/+$/, '')}${pagePath}${token}`,
    token,
    expires_at: expires,
  };
}

export const pagePath = '/api/v1/debtor-page/';

export interface PageAccount {
  accountId: bigint;
  debtorId: bigint;
  clientId: bigint;
  clientName: string;
  reference: string;
  currency: string;
  components: { principal: bigint; interest: bigint; fees: bigint; penalty: bigint };
  expires: Date;
}

/** The account of a genuine, unexpired token; null for anything else (the page shows nothing). */
export async function readPageToken(
  db: Db,
  token: string,
  now: Date = new Date(),
): Promise<PageAccount | null> {
  const match = pageTokenPattern.exec(token);
  if (!match) return null;
  const accountId = BigInt(match[1] ?? '0');
  const seconds = Number(match[2]);
  if (seconds * 1000 <= now.getTime()) return null;
  if (seconds * 1000 > now.getTime() + (pageLimits.maxDays + 1) * 86_400_000) return null;
  const row = await db
    .selectFrom('accounts')
    .innerJoin('clients', 'clients.id', 'accounts.client_id')
    .select([
      'accounts.debtor_id',
      'accounts.client_id',
      'clients.name',
      'accounts.client_account_ref',
      'accounts.currency',
      'accounts.principal_minor',
      'accounts.interest_minor',
      'accounts.fees_minor',
      'accounts.penalty_minor',
    ])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (!row) return null;
  if (!sameText(match[3] ?? '', mac(`page:${accountId}:${row.debtor_id}:${seconds}`))) return null;
  return {
    accountId,
    debtorId: row.debtor_id,
    clientId: row.client_id,
    clientName: row.name,
    reference: row.client_account_ref,
    currency: row.currency,
    components: {
      principal: row.principal_minor,
      interest: row.interest_minor,
      fees: row.fees_minor,
      penalty: row.penalty_minor,
    },
    expires: new Date(seconds * 1000),
  };
}

/** A form's nonce: when the page was shown and an HMAC over the token, the form and that time. */
export function formNonce(token: string, form: PageForm, now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000);
  return `${seconds}.${mac(`nonce:${token}:${form}:${seconds}`)}`;
}

function nonceValid(token: string, form: PageForm, nonce: string, now: Date): boolean {
  const match = /^(\d{10})\.([A-Za-z0-9_-]{24})$/.exec(nonce);
  if (!match) return false;
  const seconds = Number(match[1]);
  const age = now.getTime() - seconds * 1000;
  if (age < -60_000 || age > pageLimits.nonceMs) return false;
  return sameText(match[2] ?? '', mac(`nonce:${token}:${form}:${seconds}`));
}

export type PageAction =
  | { form: 'dispute'; text: string }
  | { form: 'opt-out'; channel: 'sms' | 'email' | 'call' }
  | { form: 'callback'; when: string; text: string };

function clean(text: string, field: string, required: boolean): string {
  const trimmed = text.trim();
  if (required && trimmed === '') throw new HuikuanError('bad_input', `Say ${field}.`);
  if (trimmed.length > pageLimits.textChars) {
    throw new HuikuanError(
      'bad_input',
      `The ${field} has over ${pageLimits.textChars} characters; shorten it.`,
    );
  }
  return trimmed;
}

/**
 * Records what the debtor did on the page, once per form nonce: `repeated` when the nonce was used
 * already (nothing done again). `unauthenticated` for a nonce that is not the page's or too old.
 */
export async function recordPageAction(
  db: Db,
  page: PageAccount,
  token: string,
  nonce: string,
  action: PageAction,
  ip: string | null,
  now: Date = new Date(),
): Promise<{ repeated: boolean }> {
  if (!nonceValid(token, action.form, nonce, now)) {
    throw new HuikuanError(
      'unauthenticated',
      'This form has expired or is not the page’s; open the link again.',
    );
  }
  let body: string;
  if (action.form === 'dispute') body = `dispute: ${clean(action.text, 'what is disputed', true)}`;
  else if (action.form === 'opt-out') body = `opt-out: ${action.channel}`;
  else {
    const when = clean(action.when, 'when to call', false);
    const text = clean(action.text, 'note', false);
    body = `call-back request${when ? `: ${when}` : ''}${text ? ` — ${text}` : ''}`;
  }
  const inserted = await tables(db)
    .insertInto('channel_replies')
    .values({
      client_id: page.clientId,
      account_id: page.accountId,
      debtor_id: page.debtorId,
      contact_point_id: null,
      message_id: null,
      channel: 'page',
      provider: 'page',
      provider_reply_id: nonce,
      from_masked: 'debtor page',
      body,
      opt_out: action.form === 'opt-out',
      received_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { repeated: true };
  if (action.form === 'dispute') {
    await addHold(
      db,
      {
        accountId: page.accountId,
        kind: 'dispute',
        source: 'debtor_page',
        note: body.slice(9),
        startsAt: now,
      },
      { actor: 'debtor-page', ip },
    );
  } else if (action.form === 'opt-out') {
    await recordChannelOptOut(db, {
      debtorId: page.debtorId,
      channel: action.channel,
      source: 'debtor_page',
      actor: 'debtor-page',
      at: now,
    });
  } else {
    await recordAudit(db, {
      actor: 'debtor-page',
      ip,
      action: 'channel_page.callback_requested',
      entityType: 'account',
      entityId: page.accountId,
      clientId: page.clientId,
      after: { reply_id: inserted.id, body },
    });
  }
  return { repeated: false };
}
