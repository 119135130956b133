/**
 * E-mail bounces. Two ways an e-mail comes back:
 *
 * - At send time: the SMTP server answers RCPT TO or DATA with 5xx (refused for good) or 4xx (try
 *   later). email.ts throws an `SmtpRejection` carrying the reply code and the enhanced status code
 *   (RFC 3463, "5.1.1") when the server gives one; the service records it here (`recordSmtpRejection`).
 *   A 4xx is tried again inside the send (channelLimits.sendRetries more tries, backing off), then the
 *   message stays `failed`; nothing else changes and a new send is a new message.
 * - Later: the receiving side returns a delivery status notification (RFC 3464,
 *   multipart/report; report-type=delivery-status) to our envelope sender. The mailbox or relay that
 *   receives it POSTs the raw message to /api/v1/channels/email/bounces, signed like the Aliyun
 *   webhooks (X-Huikuan-Timestamp, X-Huikuan-Signature: sha256=HMAC-SHA256(secret, timestamp + "." +
 *   body), a secret of provider `smtp` made by an admin). The notification is matched to our message
 *   by the Message-ID of the returned headers (we set it: `<ID.RANDOM@sender-domain>`, message-id.ts),
 *   else by the X-Huikuan-Message header we put on every e-mail.
 *
 * Either way a bounce is one row in channel_delivery_events (provider `smtp`, the Message-ID, the
 * status `bounce:permanent`, `bounce:temporary` or `dsn:ACTION`), which is the account's timeline
 * item and makes a repeated notification add nothing. A permanent bounce about the address (status
 * 5.1.x address, 5.2.x mailbox, 5.4.x routing, or a 5xx reply without an enhanced code) marks the
 * e-mail contact point `invalid`, so the rule gate refuses it from then on (reason do_not_contact);
 * a permanent bounce for the message's content or a policy (5.3.x, 5.5.x, 5.6.x, 5.7.x) leaves the
 * address as it is.
 */
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { lockDebtor } from '../compliance/holds.ts';
import type { Database } from '../db/schema.ts';
import { SendError } from './adapter.ts';
import { messageIdOfHeader } from './message-id.ts';
import { channelLimits, type DeliveryStatus } from './model.ts';
import { applyReceipt, type MessageState, stateColumns } from './receipts.ts';
import type { ChannelTables } from './tables.ts';
import { badField } from './webhook-body.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

/** The provider name of e-mail in channel_messages, channel_delivery_events and the webhook secrets. */
export const emailProvider = 'smtp';

export type BounceKind = 'permanent' | 'temporary';

export interface Bounce {
  kind: BounceKind;
  /** The SMTP reply code (550), when the bounce came from an SMTP answer. */
  reply: number | null;
  /** The enhanced status code (RFC 3463), e.g. "5.1.1". */
  status: string | null;
  diagnostic: string;
}

const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code inside an SMTP answer or a DSN's Status field, if any. */
export function enhancedStatus(text: string): string | null {
  const match = enhanced.exec(text);
  return match ? `${match[1]}.${match[2]}.${match[3]}` : null;
}

/** A refusal of an SMTP server about the recipient: 5xx permanent, 4xx temporary, else none. */
export function bounceOfReply(reply: number | undefined, text: string): Bounce | null {
  if (reply === undefined || reply < 400 || reply >= 600) return null;
  const status = enhancedStatus(text);
  const kind: BounceKind = status
    ? status.startsWith('5')
      ? 'permanent'
      : 'temporary'
    : reply >= 500
      ? 'permanent'
      : 'temporary';
  return { kind, reply, status, diagnostic: text.slice(0, 500) };
}

/**
 * Whether a bounce says the address itself is bad: permanent, and about the address (x.1.x), the
 * mailbox (x.2.x) or routing to it (x.4.x) — or a 5xx reply without an enhanced code, which a
 * server gives for "no such user" as often as not.
 */
export function invalidatesAddress(bounce: Bounce): boolean {
  if (bounce.kind !== 'permanent') return false;
  if (bounce.status === null) return true;
  const subject = bounce.status.split('.')[1];
  return subject === '1' || subject === '2' || subject === '4';
}

/** What email.ts throws when the server refuses the recipient or the message (4xx / 5xx). */
export class SmtpRejection extends SendError {
  readonly bounce: Bounce;
  /** The Message-ID the e-mail was given (the bounce's key). */
  readonly messageIdHeader: string;

  constructor(message: string, bounce: Bounce, messageIdHeader: string, cause: unknown) {
    super(message, { retryable: bounce.kind === 'temporary', cause });
    this.name = 'SmtpRejection';
    this.bounce = bounce;
    this.messageIdHeader = messageIdHeader;
  }
}

function errorCode(bounce: Bounce): string {
  return [bounce.reply === null ? '' : String(bounce.reply), bounce.status ?? ''].join(' ').trim() || 'none';
}

/** The message a bounce is about, with what marking its address needs. */
type BouncedMessage = MessageState & { debtor_id: bigint; contact_point_id: bigint | null };

export interface BounceOutcome {
  /** False when this bounce had been recorded before (nothing changed now). */
  recorded: boolean;
  /** The contact point marked invalid now (null: none, or it was already). */
  invalidated: bigint | null;
}

/**
 * Records one bounce of a message (in the caller's transaction or a new one): the delivery event,
 * the message's status (`undelivered` for a notification of failure; a refusal at send time leaves
 * it `failed`), and — for a permanent bounce about the address — the contact point marked invalid
 * under the debtor's lock, audited. Once per (Message-ID, status): a repeat adds nothing.
 */
async function recordBounce(
  trx: Db,
  message: BouncedMessage,
  input: {
    messageIdHeader: string;
    providerStatus: string;
    bounce: Bounce;
    receipt: DeliveryStatus | null;
    at: Date;
    actor: string;
  },
): Promise<BounceOutcome> {
  const event = await tables(trx)
    .insertInto('channel_delivery_events')
    .values({
      client_id: message.client_id,
      account_id: message.account_id,
      message_id: message.id,
      provider: emailProvider,
      provider_message_id: input.messageIdHeader.slice(0, 200),
      provider_status: input.providerStatus,
      status: input.receipt ?? 'undelivered',
      error_code: errorCode(input.bounce),
      occurred_at: input.at,
    })
    .onConflict((oc) => oc.columns(['provider', 'provider_message_id', 'provider_status']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!event) return { recorded: false, invalidated: null };
  // the receipt path of SMS: the message forward only, a delivered one settles the gate's contact
  if (input.receipt !== null) {
    await applyReceipt(trx, message, event.id, input.receipt, `Bounced: ${input.bounce.diagnostic}`);
  }
  let invalidated: bigint | null = null;
  if (message.contact_point_id !== null && invalidatesAddress(input.bounce)) {
    await lockDebtor(trx, message.debtor_id);
    const point = await trx
      .updateTable('contact_points')
      .set({ status: 'invalid' })
      .where('id', '=', message.contact_point_id)
      .where('status', 'in', ['unverified', 'valid'])
      .returning(['id', 'value_masked'])
      .executeTakeFirst();
    if (point) {
      invalidated = point.id;
      await recordAudit(trx, {
        actor: input.actor,
        action: 'contact_point.invalidated',
        entityType: 'contact_point',
        entityId: point.id,
        clientId: message.client_id,
        after: {
          status: 'invalid',
          reason: 'email_bounce',
          message_id: message.id,
          code: errorCode(input.bounce),
          address: point.value_masked,
        },
      });
    }
  }
  return { recorded: true, invalidated };
}

const bouncedColumns = [...stateColumns, 'debtor_id', 'contact_point_id'] as const;

/** A refusal at send time (SmtpRejection): recorded on the failed message, the address marked when it is bad. */
export async function recordSmtpRejection(
  db: Db,
  messageId: bigint,
  rejection: SmtpRejection,
  at: Date = new Date(),
): Promise<BounceOutcome> {
  return db.transaction().execute(async (trx) => {
    const message = (await tables(trx)
      .selectFrom('channel_messages')
      .select(bouncedColumns)
      .where('id', '=', messageId)
      .forUpdate()
      .executeTakeFirstOrThrow()) as BouncedMessage;
    return recordBounce(trx, message, {
      messageIdHeader: rejection.messageIdHeader,
      providerStatus: `bounce:${rejection.bounce.kind}`,
      bounce: rejection.bounce,
      receipt: null,
      at,
      actor: 'system',
    });
  });
}

// ---------------------------------------------------------------- delivery status notifications

export interface DsnRecipient {
  finalRecipient: string;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  status: string;
  diagnostic: string | null;
}

export interface Dsn {
  /** The Message-ID of the returned message's headers (with its angle brackets). */
  messageIdHeader: string | null;
  /** Our X-Huikuan-Message header of the returned message. */
  huikuanId: bigint | null;
  recipients: DsnRecipient[];
  arrivedAt: Date | null;
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Header fields (unfolded, names lower case; the first of a repeated field). */
function parseHeaders(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  const unfolded = block.replace(/\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function splitPart(text: string): Part {
  const end = text.indexOf('\n\n');
  if (end < 0) return { headers: parseHeaders(text), body: '' };
  return { headers: parseHeaders(text.slice(0, end)), body: text.slice(end + 2) };
}

/** The media type (lower case) and the parameters of a Content-Type. */
function contentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = (value ?? 'text/plain').split(';');
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params.set(
      param.slice(0, eq).trim().toLowerCase(),
      param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  return { type: type.trim().toLowerCase(), params };
}

function decode(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    return Buffer.from(
      part.body
        .replace(/=\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  }
  return part.body;
}

function multipartParts(body: string, boundary: string): Part[] {
  const delimiter = `--${boundary}`;
  const parts: Part[] = [];
  const pieces = body.split(delimiter);
  // before the first delimiter: the preamble; after the closing one ("--"): the epilogue
  for (const piece of pieces.slice(1)) {
    if (piece.startsWith('--')) break;
    parts.push(splitPart(piece.replace(/^[ \t]*\n/, '').replace(/\n$/, '')));
    if (parts.length > 20) break;
  }
  return parts;
}

const actions = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const;

/**
 * Reads an RFC 3464 delivery status notification: a multipart/report with report-type
 * delivery-status, its message/delivery-status part (one block per recipient: Final-Recipient,
 * Action, Status, Diagnostic-Code) and the returned headers (text/rfc822-headers or message/rfc822).
 * Throws `bad_input` naming what is missing.
 */
export function parseDsn(raw: string): Dsn {
  if (Buffer.byteLength(raw) > channelLimits.webhookBodyBytes) {
    throw badField('body', `is over ${channelLimits.webhookBodyBytes} bytes`);
  }
  const text = raw.replace(/\r\n?/g, '\n');
  const top = splitPart(text);
  const type = contentType(top.headers.get('content-type'));
  if (
    type.type !== 'multipart/report' ||
    (type.params.get('report-type') ?? '').toLowerCase() !== 'delivery-status'
  ) {
    throw badField(
      'body',
      'is not a delivery status notification (RFC 3464: Content-Type multipart/report; report-type=delivery-status)',
    );
  }
  const boundary = type.params.get('boundary');
  if (!boundary) throw badField('body.content-type', 'has no boundary');
  const parts = multipartParts(top.body, boundary);
  const statusPart = parts.find((part) =>
    ['message/delivery-status', 'message/global-delivery-status'].includes(
      contentType(part.headers.get('content-type')).type,
    ),
  );
  if (!statusPart) throw badField('body', 'has no message/delivery-status part');
  const blocks = decode(statusPart)
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== '');
  const perMessage = parseHeaders(blocks[0] ?? '');
  const recipients: DsnRecipient[] = [];
  for (const block of blocks.slice(1, 1 + channelLimits.webhookItems)) {
    const fields = parseHeaders(block);
    const action = (fields.get('action') ?? '').toLowerCase().split(/\s/)[0] ?? '';
    const status = fields.get('status') ?? '';
    const finalRecipient = fields.get('final-recipient') ?? '';
    if (finalRecipient === '') throw badField('body.final-recipient', 'is missing in a recipient block');
    if (!(actions as readonly string[]).includes(action)) {
      throw badField('body.action', `"${action}" is not one of ${actions.join(', ')}`);
    }
    if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(status.split(/\s/)[0] ?? '')) {
      throw badField('body.status', `"${status}" is not a status code such as 5.1.1`);
    }
    recipients.push({
      finalRecipient: finalRecipient.replace(/^[^;]*;\s*/, '').slice(0, 320),
      action: action as DsnRecipient['action'],
      status: status.split(/\s/)[0] as string,
      diagnostic:
        fields
          .get('diagnostic-code')
          ?.replace(/^[^;]*;\s*/, '')
          .slice(0, 500) ?? null,
    });
  }
  if (recipients.length === 0) throw badField('body', 'has no recipient block in its delivery-status part');
  const returned = parts.find((part) =>
    ['text/rfc822-headers', 'message/rfc822', 'message/rfc822-headers', 'message/global-headers'].includes(
      contentType(part.headers.get('content-type')).type,
    ),
  );
  const original = returned ? splitPart(decode(returned)).headers : new Map<string, string>();
  const messageIdHeader = original.get('message-id')?.trim() ?? null;
  const huikuan = original.get('x-huikuan-message')?.trim() ?? '';
  const arrival = perMessage.get('arrival-date');
  const arrivedAt = arrival ? new Date(arrival) : null;
  return {
    messageIdHeader: messageIdHeader ? messageIdHeader.slice(0, 200) : null,
    huikuanId: /^[1-9]\d{0,17}$/.test(huikuan) ? BigInt(huikuan) : null,
    recipients,
    arrivedAt: arrivedAt && !Number.isNaN(arrivedAt.getTime()) ? arrivedAt : null,
  };
}

export interface DsnTally {
  recorded: number;
  repeated: number;
  /** Notifications about no message of ours. */
  unmatched: number;
  /** Contact points marked invalid. */
  invalidated: number;
}

function receiptOf(action: DsnRecipient['action']): DeliveryStatus {
  if (action === 'failed') return 'undelivered';
  if (action === 'delayed') return 'sent';
  return 'delivered';
}

/**
 * Records a delivery status notification against the e-mail it is about: each recipient block one
 * event (`dsn:failed`, `dsn:delayed`, `dsn:delivered` …), the message moved forward (failed →
 * undelivered), a permanent failure about the address marks the contact point invalid. Idempotent.
 */
export async function recordDsn(db: Db, dsn: Dsn, now: Date = new Date()): Promise<DsnTally> {
  const tally: DsnTally = { recorded: 0, repeated: 0, unmatched: 0, invalidated: 0 };
  await db.transaction().execute(async (trx) => {
    let query = tables(trx)
      .selectFrom('channel_messages')
      .select(bouncedColumns)
      .where('channel', '=', 'email');
    const header = dsn.messageIdHeader;
    const ours = header === null ? null : messageIdOfHeader(header);
    if (header !== null) {
      // an unconfirmed send (the conversation broke off after DATA) never stored its Message-ID
      query = query.where((eb) =>
        ours === null
          ? eb('provider_message_id', '=', header)
          : eb.or([
              eb('provider_message_id', '=', header),
              eb.and([eb('id', '=', ours), eb('provider_message_id', 'is', null)]),
            ]),
      );
    } else if (dsn.huikuanId !== null) query = query.where('id', '=', dsn.huikuanId);
    else {
      tally.unmatched = 1;
      return;
    }
    const message = (await query.forUpdate().executeTakeFirst()) as BouncedMessage | undefined;
    if (!message) {
      tally.unmatched = 1;
      return;
    }
    for (const recipient of dsn.recipients) {
      const outcome = await recordBounce(trx, message, {
        messageIdHeader: dsn.messageIdHeader ?? `x-huikuan-message:${message.id}`,
        providerStatus: `dsn:${recipient.action}`,
        bounce: {
          kind: recipient.status.startsWith('5') ? 'permanent' : 'temporary',
          reply: null,
          status: recipient.status,
          diagnostic: recipient.diagnostic ?? recipient.status,
        },
        receipt: receiptOf(recipient.action),
        at: dsn.arrivedAt ?? now,
        actor: 'system',
      });
      if (outcome.recorded) tally.recorded++;
      else tally.repeated++;
      if (outcome.invalidated !== null) tally.invalidated++;
    }
  });
  return tally;
}
