/**
 * The channels with their state in the database. `sendMessage` is the only way a message leaves:
 * it claims the message's idempotency key, asks the rule gate (`gateContact`), records a blocked
 * attempt and stops when the gate denies, else sends through the channel's adapter with a time-out
 * and a bounded number of retries, and records the provider's message id. Receipts and replies
 * pushed by a provider (`recordReceipts`, `recordReplies`) are recorded once however often they
 * come; an opt-out reply or link records the opt-out through the holds module.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { maskEmail, maskPhone, piiCipher } from '../accounts/pii.ts';
import { normalisePhone } from '../accounts/validate.ts';
import { recordAudit } from '../audit/service.ts';
import { recordChannelOptOut } from '../compliance/holds.ts';
import type { Purpose } from '../compliance/model.ts';
import type { Party } from '../compliance/profiles.ts';
import { gateContact } from '../compliance/service.ts';
import type { Database } from '../db/schema.ts';
import { assertCleanOutbound } from '../qa/service.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import {
  type ChannelAdapter,
  type DeliveryReport,
  type InboundReply,
  type OutboundMessage,
  SendError,
  type SendResult,
} from './adapter.ts';
import { amiAdapter } from './ami.ts';
import { recordSmtpRejection, SmtpRejection } from './bounces.ts';
import type { ChannelConfig } from './config.ts';
import { smtpAdapter } from './email.ts';
import { optOutUrl } from './links.ts';
import {
  type AnyChannel,
  channelLimits,
  checkEmailContent,
  checkSmsContent,
  emailOptOutFooter,
  htmlFromText,
  isOptOutReply,
  type MessageChannel,
  type MessageStatus,
  type ProviderName,
  type SmsProviderName,
  withSmsOptOut,
} from './model.ts';
import type { PbxAdapter } from './pbx.ts';
import { applyReceipt, type MessageState, settleContact, stateColumns } from './receipts.ts';
import { aliyunAdapter } from './sms-aliyun.ts';
import { twilioAdapter } from './sms-twilio.ts';
import type { ChannelTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

// ---------------------------------------------------------------- the configured channels

export interface Channels {
  config: ChannelConfig;
  /** The adapter that sends each channel (null: not configured). */
  email: ChannelAdapter | null;
  sms: ChannelAdapter | null;
  /** Every configured SMS provider, for its webhooks (the one that sends and any other). */
  providers: Partial<Record<SmsProviderName, ChannelAdapter>>;
  /** The PBX that places calls (null: not configured). */
  pbx: PbxAdapter | null;
}

export function channelsFrom(config: ChannelConfig): Channels {
  const providers: Partial<Record<SmsProviderName, ChannelAdapter>> = {};
  if (config.aliyun) providers.aliyun = aliyunAdapter(config.aliyun);
  if (config.twilio) providers.twilio = twilioAdapter(config.twilio);
  return {
    config,
    email: config.smtp ? smtpAdapter(config.smtp) : null,
    sms: config.smsProvider ? (providers[config.smsProvider] ?? null) : null,
    providers,
    pbx: config.ami ? amiAdapter(config.ami) : null,
  };
}

function notConfigured(channel: MessageChannel, what: string): HuikuanError {
  return new HuikuanError(
    'invalid_state',
    `${channel === 'email' ? 'E-mail' : 'SMS'} is not configured on this server: ${what} (README "Channels"). Nothing was sent.`,
    { reason: 'channel_not_configured', channel },
  );
}

/** The adapter that sends `channel`, or `invalid_state` (details.reason channel_not_configured). */
function senderOf(channels: Channels, channel: MessageChannel): ChannelAdapter {
  if (channel === 'email') {
    if (!channels.email) throw notConfigured('email', 'set HUIKUAN_SMTP_URL and HUIKUAN_SMTP_FROM');
    if (!channels.config.publicUrl) {
      throw notConfigured('email', 'set HUIKUAN_PUBLIC_URL, the address of its opt-out link');
    }
    return channels.email;
  }
  if (!channels.sms) {
    throw notConfigured('sms', 'set the variables of Aliyun or Twilio (and HUIKUAN_SMS_PROVIDER if both)');
  }
  return channels.sms;
}

// ---------------------------------------------------------------- sending

export interface SendInput {
  accountId: bigint;
  contactPointId: bigint;
  channel: MessageChannel;
  purpose?: Purpose;
  party?: Party;
  /** E-mail: the subject. */
  subject?: string | null;
  /** E-mail: the text part; SMS: the text (the opt-out line is added when it has none). */
  text: string;
  /** E-mail: the HTML part (default: made from the text). */
  html?: string | null;
  /** SMS through a template-based provider (Aliyun): its code and parameters. */
  template?: { code: string; params: Record<string, string> } | null;
  /** The same key sends at most once; default a fresh one (no protection against a repeat). */
  idempotencyKey?: string;
  actor: string;
  actorUserId?: bigint | null;
  ip?: string | null;
  /** The proposed instant for the gate (default now). */
  at?: Date;
}

export interface MessageView {
  id: bigint;
  account_id: bigint;
  /** null for a letter (the debtor's postal address). */
  contact_point_id: bigint | null;
  channel: AnyChannel;
  provider: string;
  recipient: string;
  status: MessageStatus;
  verdict: string | null;
  reasons: string[];
  subject: string | null;
  text: string;
  provider_message_id: string | null;
  error: string | null;
  send_attempts: number;
  idempotency_key: string;
  actor: string;
  created_at: Date;
  sent_at: Date | null;
  status_at: Date;
}

export interface SendOutcome {
  message: MessageView;
  /** True when the key had been used before: this is the earlier message, nothing was done now. */
  repeated: boolean;
}

const messageColumns = [
  'id',
  'account_id',
  'contact_point_id',
  'channel',
  'provider',
  'recipient_masked as recipient',
  'status',
  'verdict',
  'reasons',
  'subject',
  'body_text as text',
  'provider_message_id',
  'error',
  'send_attempts',
  'idempotency_key',
  'actor',
  'created_at',
  'sent_at',
  'status_at',
] as const;

export async function messageView(db: Db, id: bigint): Promise<MessageView> {
  return (await tables(db)
    .selectFrom('channel_messages')
    .select(messageColumns)
    .where('id', '=', id)
    .executeTakeFirstOrThrow()) as MessageView;
}

export interface Recipient {
  clientId: bigint;
  debtorId: bigint;
  address: string;
  masked: string;
}

/** The clear address of the account's debtor's contact point, checked against the channel. */
export async function recipientOf(
  db: Db,
  input: { accountId: bigint; contactPointId: bigint; channel: MessageChannel | 'call' },
): Promise<Recipient> {
  const row = await db
    .selectFrom('accounts')
    .innerJoin('contact_points', 'contact_points.debtor_id', 'accounts.debtor_id')
    .select([
      'accounts.client_id',
      'accounts.debtor_id',
      'contact_points.kind',
      'contact_points.value_enc',
      'contact_points.value_text',
    ])
    .where('accounts.id', '=', input.accountId)
    .where('contact_points.id', '=', input.contactPointId)
    .executeTakeFirst();
  if (!row) {
    const account = await db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', input.accountId)
      .executeTakeFirst();
    throw account
      ? new HuikuanError(
          'bad_input',
          `Contact point ${input.contactPointId} is not one of account ${input.accountId}'s debtor's; pick one of the debtor's contact points.`,
        )
      : new HuikuanError('not_found', `There is no account ${input.accountId}.`);
  }
  const wanted = input.channel === 'email' ? 'email' : 'phone';
  if (row.kind !== wanted) {
    throw new HuikuanError(
      'bad_input',
      `Contact point ${input.contactPointId} is ${row.kind === 'email' ? 'an e-mail address' : 'a phone number'}; ${input.channel === 'email' ? 'an e-mail needs an e-mail address' : `${input.channel === 'sms' ? 'an SMS' : 'a call'} needs a phone number`}.`,
    );
  }
  const address = row.value_enc ? piiCipher().decrypt(row.value_enc) : (row.value_text ?? '');
  if (address === '') {
    throw new HuikuanError('invalid_state', `Contact point ${input.contactPointId} has no value to send to.`);
  }
  return {
    clientId: row.client_id,
    debtorId: row.debtor_id,
    address,
    masked: wanted === 'email' ? maskEmail(address) : maskPhone(address),
  };
}

interface Content {
  subject: string | null;
  text: string;
  html: string | null;
  template: { code: string; params: Record<string, string> } | null;
}

function contentOf(input: SendInput): Content {
  if (input.channel === 'email') {
    const checked = checkEmailContent({
      subject: input.subject ?? '',
      text: input.text,
      html: input.html ?? null,
    });
    return { subject: checked.subject, text: checked.text, html: checked.html, template: null };
  }
  const checked = checkSmsContent({ body: input.text, template: input.template ?? null });
  return { subject: null, text: withSmsOptOut(checked.body), html: null, template: checked.template };
}

/** A claim older than this, with no send started, may be taken over by a retry of the same key. */
function staleClaimMs(config: ChannelConfig): number {
  return config.sendTimeoutMs * (config.sendRetries + 1) + 60_000;
}

/**
 * Takes the key: a new row, or the earlier row of the key. Returns the row id and whether this
 * call owns it (a new claim, or a stale claim taken over); `null` owner means report the earlier one.
 */
async function claim(
  db: Db,
  input: ClaimInput,
  key: string,
  recipient: Omit<Recipient, 'address'>,
  provider: ProviderName,
  content: Content,
  config: ChannelConfig,
): Promise<{ id: bigint; owned: boolean }> {
  const inserted = await tables(db)
    .insertInto('channel_messages')
    .values({
      client_id: recipient.clientId,
      account_id: input.accountId,
      debtor_id: recipient.debtorId,
      contact_point_id: input.contactPointId,
      channel: input.channel,
      provider,
      idempotency_key: key,
      purpose: input.purpose ?? 'collect',
      party: input.party ?? 'debtor',
      actor: input.actor,
      recipient_masked: recipient.masked,
      subject: content.subject,
      body_text: content.text,
      body_html: content.html,
      template_code: content.template?.code ?? null,
      template_params: content.template ? toJson(content.template.params) : null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, owned: true };
  const earlier = await tables(db)
    .selectFrom('channel_messages')
    .select(['id', 'account_id', 'contact_point_id', 'channel', 'status', 'claimed_at'])
    .where('idempotency_key', '=', key)
    .executeTakeFirstOrThrow();
  if (
    earlier.account_id !== input.accountId ||
    earlier.contact_point_id !== input.contactPointId ||
    earlier.channel !== input.channel
  ) {
    throw new HuikuanError(
      'conflict',
      `The idempotency key "${key}" was used for message ${earlier.id} to another account, point or channel; use a new key for a new message.`,
    );
  }
  if (earlier.status !== 'pending') return { id: earlier.id, owned: false };
  // a claim whose process died before sending: taken over once it is stale
  const taken = await tables(db)
    .updateTable('channel_messages')
    .set({ claimed_at: new Date() })
    .where('id', '=', earlier.id)
    .where('status', '=', 'pending')
    .where('claimed_at', '=', earlier.claimed_at)
    .where('claimed_at', '<', new Date(Date.now() - staleClaimMs(config)))
    .returning('id')
    .executeTakeFirst();
  return { id: earlier.id, owned: taken !== undefined };
}

async function audit(
  db: Db,
  input: ClaimInput,
  clientId: bigint,
  action: string,
  message: Pick<
    MessageView,
    'id' | 'channel' | 'status' | 'reasons' | 'recipient' | 'provider_message_id' | 'error'
  >,
): Promise<void> {
  await recordAudit(db, {
    actor: input.actor,
    actorUserId: input.actorUserId ?? null,
    ip: input.ip ?? null,
    action,
    entityType: 'channel_message',
    entityId: message.id,
    clientId,
    after: {
      account_id: input.accountId,
      contact_point_id: input.contactPointId,
      channel: message.channel,
      to: message.recipient,
      status: message.status,
      reasons: message.reasons,
      provider_message_id: message.provider_message_id,
      error: message.error,
    },
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One message through the adapter: retries only what cannot have been sent, each within the time-out. */
async function deliver(
  adapter: ChannelAdapter,
  message: OutboundMessage,
  config: ChannelConfig,
): Promise<{ result: SendResult; attempts: number } | { error: SendError; attempts: number }> {
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      return { result: await adapter.send(message, config.sendTimeoutMs), attempts };
    } catch (error) {
      const failure =
        error instanceof SendError
          ? error
          : new SendError(`The ${adapter.provider} adapter failed: ${(error as Error).message}`, {
              ambiguous: true,
              cause: error,
            });
      if (!failure.retryable || attempts > config.sendRetries) return { error: failure, attempts };
      await sleep(config.retryBackoffMs * 2 ** (attempts - 1));
    }
  }
}

/** What `claimAndGate` asks of a message: the fields the claim and the gate read. */
export interface ClaimInput {
  accountId: bigint;
  /** null only for a letter (the debtor's postal address). */
  contactPointId: bigint | null;
  channel: AnyChannel;
  purpose?: Purpose;
  party?: Party;
  actor: string;
  actorUserId?: bigint | null;
  ip?: string | null;
  at?: Date;
}

export type GatedClaim =
  | { outcome: 'repeated' | 'blocked'; id: bigint; message: MessageView }
  | { outcome: 'allowed'; id: bigint; contactId: bigint | null };

/**
 * The first half of every channel's send (e-mail, SMS, letters, calls): claims the idempotency key
 * and asks the rule gate. `repeated`: the key was used before (the earlier message); `blocked`: the
 * gate denied it, recorded and audited, nothing may leave; `allowed`: the caller may send it now.
 */
export async function claimAndGate(
  db: Db,
  input: ClaimInput,
  key: string,
  recipient: Omit<Recipient, 'address'>,
  provider: ProviderName,
  content: Content,
  config: ChannelConfig,
): Promise<GatedClaim> {
  const claimed = await claim(db, input, key, recipient, provider, content, config);
  if (!claimed.owned)
    return { outcome: 'repeated', id: claimed.id, message: await messageView(db, claimed.id) };
  const id = claimed.id;
  const row = await tables(db)
    .selectFrom('channel_messages')
    .select(['verdict', 'contact_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  if (row.verdict !== null) return { outcome: 'allowed', id, contactId: row.contact_id };
  let verdict: Awaited<ReturnType<typeof gateContact>>;
  try {
    verdict = await gateContact(db, {
      accountId: input.accountId,
      contactPointId: input.contactPointId,
      channel: input.channel,
      party: input.party ?? 'debtor',
      purpose: input.purpose ?? 'collect',
      at: input.at,
      actor: input.actor,
    });
  } catch (error) {
    // nothing was decided: free the key so that the same request can be tried again
    await tables(db)
      .deleteFrom('channel_messages')
      .where('id', '=', id)
      .where('verdict', 'is', null)
      .execute();
    throw error;
  }
  const blocked = verdict.verdict === 'deny';
  await tables(db)
    .updateTable('channel_messages')
    .set({
      verdict_id: verdict.verdictId,
      verdict: verdict.verdict,
      reasons: [...verdict.reasons],
      contact_id: verdict.contactId,
      ...(blocked ? { status: 'blocked', status_at: new Date() } : {}),
    })
    .where('id', '=', id)
    .execute();
  if (blocked) {
    const message = await messageView(db, id);
    await audit(db, input, recipient.clientId, 'channel_message.blocked', message);
    return { outcome: 'blocked', id, message };
  }
  return { outcome: 'allowed', id, contactId: verdict.contactId };
}

/**
 * Sends one e-mail or SMS to a contact point of the account's debtor — after the rule gate, and at
 * most once per idempotency key. A denied message is recorded `blocked` with the gate's reasons and
 * nothing is sent. Throws `invalid_state` (details.reason channel_not_configured) when the channel
 * has no provider configured, before anything is recorded.
 */
export async function sendMessage(db: Db, input: SendInput, channels: Channels): Promise<SendOutcome> {
  const adapter = senderOf(channels, input.channel);
  const key = input.idempotencyKey ?? randomUUID();
  if (key.length === 0 || key.length > channelLimits.idempotencyKeyChars) {
    throw new HuikuanError(
      'bad_input',
      `An idempotency key has 1–${channelLimits.idempotencyKeyChars} characters.`,
    );
  }
  const content = contentOf(input);
  // what leaves must pass the quality check (threats, insults, impersonation, false consequences,
  // third-party disclosure): refused before anything is claimed or sent
  assertCleanOutbound(
    [content.subject ?? '', content.text, ...Object.values(content.template?.params ?? {})].join('\n'),
    'The message',
  );
  const recipient = await recipientOf(db, input);
  const gated = await claimAndGate(db, input, key, recipient, adapter.provider, content, channels.config);
  if (gated.outcome !== 'allowed') return { message: gated.message, repeated: gated.outcome === 'repeated' };
  const id = gated.id;

  // from here on the message may leave: it is never handed over again without knowing the answer
  const started = await tables(db)
    .updateTable('channel_messages')
    .set({ status: 'sending', status_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  if (!started) return { message: await messageView(db, id), repeated: true };

  const optOut = input.channel === 'email' ? optOutUrl(channels.config.publicUrl ?? '', id) : null;
  const footer = optOut ? emailOptOutFooter(`${content.subject ?? ''}${content.text}`, optOut) : null;
  const outbound: OutboundMessage = {
    messageId: id,
    idempotencyKey: key,
    to: recipient.address,
    subject: content.subject,
    text: footer ? `${content.text.trimEnd()}${footer.text}` : content.text,
    html: footer ? `${content.html ?? htmlFromText(content.text)}\n${footer.html}` : null,
    template: content.template,
    optOutUrl: optOut,
    statusCallbackUrl:
      adapter.provider === 'twilio' && channels.config.publicUrl
        ? `${channels.config.publicUrl}/api/v1/channels/sms/twilio/receipts`
        : null,
  };
  const sent = await deliver(adapter, outbound, channels.config);
  const now = new Date();
  let action: string;
  if ('result' in sent) {
    action = 'channel_message.sent';
    await db.transaction().execute(async (trx) => {
      await tables(trx)
        .updateTable('channel_messages')
        .set({
          // a receipt matched by our id (Aliyun's OutId) may have moved it on already
          status: sql<MessageStatus>`CASE WHEN status = 'sending' THEN 'sent' ELSE status END`,
          provider_message_id: sent.result.providerMessageId,
          send_attempts: sent.attempts,
          sent_at: now,
          status_at: now,
          error: null,
        })
        .where('id', '=', id)
        .execute();
      await attachWaitingReceipts(trx, id, adapter.provider, sent.result.providerMessageId);
      // SMTP says only that the server took it: the best an e-mail's outcome gets
      if (input.channel === 'email') await settleContact(trx, id);
    });
  } else {
    const ambiguous = sent.error.ambiguous;
    action = ambiguous ? 'channel_message.unconfirmed' : 'channel_message.failed';
    await tables(db)
      .updateTable('channel_messages')
      .set({
        status: sql<MessageStatus>`CASE WHEN status = 'sending' THEN ${ambiguous ? 'sending' : 'failed'} ELSE status END`,
        send_attempts: sent.attempts,
        status_at: now,
        error: (ambiguous
          ? `${sent.error.message} It may have been sent; it is not sent again.`
          : sent.error.message
        ).slice(0, 2000),
      })
      .where('id', '=', id)
      .execute();
    // refused by the server (bounces.ts): on the timeline; a permanent bounce marks the address invalid
    if (sent.error instanceof SmtpRejection) await recordSmtpRejection(db, id, sent.error, now);
  }
  const message = await messageView(db, id);
  await audit(db, input, recipient.clientId, action, message);
  return { message, repeated: false };
}

export interface BatchItemResult {
  index: number;
  message: MessageView | null;
  repeated: boolean;
  error: { code: string; message: string } | null;
}

/**
 * A batch job's chunk: at most `channelLimits.recipientsPerBatch` messages, sent in turn; one that
 * cannot be sent (bad input, channel not configured) is reported and the others go on.
 */
export async function sendMessages(
  db: Db,
  inputs: SendInput[],
  channels: Channels,
): Promise<BatchItemResult[]> {
  if (inputs.length > channelLimits.recipientsPerBatch) {
    throw new HuikuanError(
      'limit_exceeded',
      `A batch carries at most ${channelLimits.recipientsPerBatch} messages; this one has ${inputs.length}. Split it.`,
    );
  }
  const results: BatchItemResult[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      const outcome = await sendMessage(db, input, channels);
      results.push({ index, message: outcome.message, repeated: outcome.repeated, error: null });
    } catch (error) {
      if (!(error instanceof HuikuanError)) throw error;
      results.push({
        index,
        message: null,
        repeated: false,
        error: { code: error.code, message: error.message },
      });
    }
  }
  return results;
}

// ---------------------------------------------------------------- receipts

/** Receipts that came before the send stored the provider's id, now attached in the order they happened. */
async function attachWaitingReceipts(
  trx: Db,
  messageId: bigint,
  provider: string,
  providerMessageId: string,
): Promise<void> {
  const waiting = await tables(trx)
    .selectFrom('channel_delivery_events')
    .select(['id', 'status'])
    .where('provider', '=', provider)
    .where('provider_message_id', '=', providerMessageId)
    .where('message_id', 'is', null)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  if (waiting.length === 0) return;
  const message = (await tables(trx)
    .selectFrom('channel_messages')
    .select(stateColumns)
    .where('id', '=', messageId)
    .forUpdate()
    .executeTakeFirstOrThrow()) as MessageState;
  for (const event of waiting) await applyReceipt(trx, message, event.id, event.status);
}

export interface WebhookTally {
  recorded: number;
  repeated: number;
  /** Receipts of messages not known (yet): kept, attached when the message's id is stored. */
  waiting: number;
}

/** Records a provider's delivery receipts; a receipt already recorded (same id and status) adds nothing. */
export async function recordReceipts(
  db: Db,
  provider: SmsProviderName,
  reports: DeliveryReport[],
): Promise<WebhookTally> {
  const tally: WebhookTally = { recorded: 0, repeated: 0, waiting: 0 };
  for (const report of reports) {
    await db.transaction().execute(async (trx) => {
      const event = await tables(trx)
        .insertInto('channel_delivery_events')
        .values({
          provider,
          provider_message_id: report.providerMessageId,
          provider_status: report.providerStatus,
          status: report.status,
          error_code: report.errorCode,
          occurred_at: report.at,
        })
        .onConflict((oc) => oc.columns(['provider', 'provider_message_id', 'provider_status']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!event) {
        tally.repeated++;
        return;
      }
      tally.recorded++;
      const byId = report.messageId;
      const message = (await tables(trx)
        .selectFrom('channel_messages')
        .select(stateColumns)
        .where('provider', '=', provider)
        .where((eb) =>
          byId === null
            ? eb('provider_message_id', '=', report.providerMessageId)
            : eb.or([eb('provider_message_id', '=', report.providerMessageId), eb('id', '=', byId)]),
        )
        .forUpdate()
        .executeTakeFirst()) as MessageState | undefined;
      if (!message) {
        tally.waiting++;
        return;
      }
      await applyReceipt(trx, message, event.id, report.status);
    });
  }
  return tally;
}

// ---------------------------------------------------------------- replies and opt-outs

interface ReplyTarget {
  client_id: bigint;
  debtor_id: bigint;
  contact_point_id: bigint;
  account_id: bigint | null;
  message_id: bigint | null;
}

/**
 * The contact points with this number, each with the account it belongs with: the account of the
 * latest message sent to the point, else the debtor's latest account.
 */
async function replyTargets(db: Db, e164: string): Promise<ReplyTarget[]> {
  const hash = piiCipher().searchHash(e164);
  const { rows } = await sql<ReplyTarget>`
    SELECT cp.client_id, cp.debtor_id, cp.id AS contact_point_id,
           coalesce(m.account_id, a.id) AS account_id, m.id AS message_id
      FROM contact_points cp
      LEFT JOIN LATERAL (SELECT id, account_id FROM channel_messages
                          WHERE contact_point_id = cp.id AND channel = 'sms' AND status <> 'blocked'
                          ORDER BY id DESC LIMIT 1) m ON true
      LEFT JOIN LATERAL (SELECT id FROM accounts WHERE debtor_id = cp.debtor_id ORDER BY id DESC LIMIT 1) a ON true
     WHERE cp.value_hash = ${hash} AND cp.kind = 'phone'
     ORDER BY cp.id`.execute(db);
  return rows;
}

export interface ReplyTally extends WebhookTally {
  optOuts: number;
}

/**
 * Records the replies a provider pushed: on every contact point with the sender's number (on none
 * when the number is unknown), once per reply. TD / 退订 / STOP records the SMS opt-out of that
 * point through the holds module — again on a repeated push, which adds nothing there either.
 */
export async function recordReplies(
  db: Db,
  provider: SmsProviderName,
  replies: InboundReply[],
): Promise<ReplyTally> {
  const tally: ReplyTally = { recorded: 0, repeated: 0, waiting: 0, optOuts: 0 };
  for (const reply of replies) {
    const number = normalisePhone(reply.from, 'CN');
    const optOut = isOptOutReply(reply.body);
    const targets = number.ok ? await replyTargets(db, number.value) : [];
    const masked = number.ok ? maskPhone(number.value) : '***';
    const rows = targets.length > 0 ? targets : [null];
    for (const target of rows) {
      const inserted = await tables(db)
        .insertInto('channel_replies')
        .values({
          client_id: target?.client_id ?? null,
          account_id: target?.account_id ?? null,
          debtor_id: target?.debtor_id ?? null,
          contact_point_id: target?.contact_point_id ?? null,
          message_id: target?.message_id ?? null,
          channel: 'sms',
          provider,
          provider_reply_id: reply.providerReplyId,
          from_masked: masked,
          body: reply.body.slice(0, channelLimits.replyChars),
          opt_out: optOut,
          received_at: reply.at,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) tally.recorded++;
      else tally.repeated++;
      if (optOut && target) {
        await recordChannelOptOut(db, {
          debtorId: target.debtor_id,
          channel: 'sms',
          contactPointId: target.contact_point_id,
          source: 'sms_reply',
          actor: 'system',
          at: reply.at,
        });
        tally.optOuts++;
      }
    }
    if (targets.length === 0) tally.waiting++;
  }
  return tally;
}

/**
 * The person followed a message's opt-out link: the opt-out of that channel on that contact point,
 * recorded through the holds module and on the account's timeline (once, however often followed).
 */
export async function optOutByLink(
  db: Db,
  messageId: bigint,
  at: Date = new Date(),
): Promise<{ channel: MessageChannel; recipient: string; repeated: boolean }> {
  const message = await tables(db)
    .selectFrom('channel_messages')
    .select([
      'id',
      'client_id',
      'account_id',
      'debtor_id',
      'contact_point_id',
      'channel',
      'provider',
      'recipient_masked',
    ])
    .where('id', '=', messageId)
    .where('channel', 'in', ['email', 'sms'])
    .$narrowType<{ channel: MessageChannel }>()
    .executeTakeFirst();
  // only e-mails and SMS carry an opt-out link
  if (!message) throw new HuikuanError('not_found', 'This opt-out link names no message.');
  await recordChannelOptOut(db, {
    debtorId: message.debtor_id,
    channel: message.channel,
    contactPointId: message.contact_point_id,
    source: message.channel === 'email' ? 'email' : 'sms_reply',
    actor: 'system',
    at,
  });
  const inserted = await tables(db)
    .insertInto('channel_replies')
    .values({
      client_id: message.client_id,
      account_id: message.account_id,
      debtor_id: message.debtor_id,
      contact_point_id: message.contact_point_id,
      message_id: message.id,
      channel: message.channel,
      provider: message.provider,
      provider_reply_id: `opt-out-link:${message.id}`,
      from_masked: message.recipient_masked,
      body: 'opt-out link',
      opt_out: true,
      received_at: at,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return { channel: message.channel, recipient: message.recipient_masked, repeated: !inserted };
}

// ---------------------------------------------------------------- webhook secrets

/**
 * A new webhook secret for the provider, shown once: older ones stay valid for
 * `channelLimits.webhookSecretOverlapMs` (time to change the relay), then lapse.
 */
export async function createWebhookSecret(
  db: Db,
  provider: SmsProviderName | 'smtp',
  actor: string,
  now: Date = new Date(),
): Promise<{ id: bigint; secret: string; created_at: Date }> {
  const secret = randomBytes(32).toString('base64url');
  return db.transaction().execute(async (trx) => {
    await tables(trx)
      .updateTable('channel_webhook_secrets')
      .set({ expires_at: new Date(now.getTime() + channelLimits.webhookSecretOverlapMs) })
      .where('provider', '=', provider)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    const row = await tables(trx)
      .insertInto('channel_webhook_secrets')
      .values({ provider, secret_enc: piiCipher().encrypt(secret), created_by: actor, created_at: now })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor,
      action: 'channel_webhook_secret.created',
      entityType: 'channel_webhook_secret',
      entityId: row.id,
      after: { provider },
    });
    return { id: row.id, secret, created_at: row.created_at };
  });
}

/** The provider's secrets in force at `now` (clear). */
export async function webhookSecrets(
  db: Db,
  provider: SmsProviderName | 'smtp',
  now: Date = new Date(),
): Promise<string[]> {
  const rows = await tables(db)
    .selectFrom('channel_webhook_secrets')
    .select('secret_enc')
    .where('provider', '=', provider)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
  const cipher = piiCipher();
  return rows.map((row) => cipher.decrypt(row.secret_enc));
}

// ---------------------------------------------------------------- reading

export async function listMessages(
  db: Db,
  accountId: bigint,
  page: { offset: number; limit: number },
): Promise<{ items: MessageView[]; total: number }> {
  const [items, count] = await Promise.all([
    tables(db)
      .selectFrom('channel_messages')
      .select(messageColumns)
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    tables(db)
      .selectFrom('channel_messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow(),
  ]);
  return { items: items as MessageView[], total: Number(count.n) };
}
