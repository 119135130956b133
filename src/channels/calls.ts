/**
 * Click-to-call. A call is a channel_messages row (channel `call`, provider `asterisk`) with its
 * PBX state in channel_calls. `placeCall` claims the key and runs the rule gate BEFORE the dial: a
 * denied call is recorded `blocked` and the PBX never hears of it. An allowed call is originated
 * (the agent's extension rings, then the debtor's number); the PBX's events (`recordPbxEvent`) set
 * it answered (message `delivered`) or ended — with the duration, the hang-up cause and the
 * recording's reference. A call that did not connect tells the gate its outcome (no_answer, busy,
 * not_in_service) at once; a connected call's outcome is the agent's disposition (conversation,
 * connected_no_answer, voicemail), until then it counts as connected. Everything shows on the
 * account's timeline as the message's text.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { PbxEvent } from './pbx.ts';
import { settleContact } from './receipts.ts';
import {
  type Channels,
  type ClaimInput,
  claimAndGate,
  type MessageView,
  messageView,
  recipientOf,
} from './service.ts';
import type { CallState, ChannelTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

/** The agent's disposition of a connected call, in the gate's outcome words. */
export const callDispositions = [
  'conversation',
  'connected_no_answer',
  'voicemail',
  'no_answer',
  'busy',
  'not_in_service',
] as const;
export type CallDisposition = (typeof callDispositions)[number];

export const callLimits = {
  /** The PBX's answer to an Originate or a Hangup. */
  pbxTimeoutMs: 10_000,
  noteChars: 2_000,
} as const;

export interface PlaceCallInput extends Omit<ClaimInput, 'channel' | 'contactPointId'> {
  contactPointId: bigint;
  /** The agent's extension on the PBX. */
  extension: string;
  idempotencyKey?: string;
}

export interface CallView {
  message_id: bigint;
  account_id: bigint;
  extension: string;
  state: CallState;
  answered_at: Date | null;
  ended_at: Date | null;
  duration_seconds: number | null;
  hangup_cause: string | null;
  recording_ref: string | null;
  disposition: string | null;
  disposition_by: string | null;
  note: string | null;
}

const callColumns = [
  'message_id',
  'account_id',
  'extension',
  'state',
  'answered_at',
  'ended_at',
  'duration_seconds',
  'hangup_cause',
  'recording_ref',
  'disposition',
  'disposition_by',
  'note',
] as const;

async function callView(db: Db, messageId: bigint): Promise<CallView | null> {
  return (
    (await tables(db)
      .selectFrom('channel_calls')
      .select(callColumns)
      .where('message_id', '=', messageId)
      .executeTakeFirst()) ?? null
  );
}

function pbxOf(channels: Channels) {
  if (!channels.pbx) {
    throw new HuikuanError(
      'invalid_state',
      'The phone is not configured on this server: set HUIKUAN_AMI_URL and HUIKUAN_AMI_CONTEXT (README "Channels"). Nothing was dialled.',
      { reason: 'channel_not_configured', channel: 'call' },
    );
  }
  return channels.pbx;
}

/** What the timeline shows of a call: its state, duration, recording and disposition. */
function summary(call: CallView): string {
  const parts = [`call from extension ${call.extension}`, call.state];
  if (call.duration_seconds !== null) parts.push(`${call.duration_seconds} s`);
  if (call.hangup_cause) parts.push(`cause ${call.hangup_cause}`);
  if (call.recording_ref) parts.push(`recording ${call.recording_ref}`);
  if (call.disposition) parts.push(`disposition ${call.disposition}`);
  if (call.note) parts.push(call.note);
  return parts.join(' · ').slice(0, 20_000);
}

async function refreshSummary(db: Db, messageId: bigint): Promise<CallView> {
  const call = await callView(db, messageId);
  if (!call) throw new HuikuanError('not_found', `Message ${messageId} is not a call.`);
  await tables(db)
    .updateTable('channel_messages')
    .set({ body_text: summary(call) })
    .where('id', '=', messageId)
    .execute();
  return call;
}

/**
 * Places a click-to-call from the agent's extension to a phone of the account's debtor: the gate
 * first (a denied call is recorded blocked and never dialled), then the PBX's Originate. The same
 * idempotency key dials at most once.
 */
export async function placeCall(
  db: Db,
  input: PlaceCallInput,
  channels: Channels,
): Promise<{ message: MessageView; call: CallView | null; repeated: boolean }> {
  const pbx = pbxOf(channels);
  if (!/^[0-9A-Za-z_-]{1,20}$/.test(input.extension)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.extension}" is not an extension (1–20 letters, digits, _ or -).`,
    );
  }
  const recipient = await recipientOf(db, { ...input, channel: 'call' });
  const key = input.idempotencyKey ?? randomUUID();
  const gated = await claimAndGate(
    db,
    { ...input, channel: 'call' },
    key,
    recipient,
    'asterisk',
    { subject: null, text: `call from extension ${input.extension}`, html: null, template: null },
    channels.config,
  );
  if (gated.outcome !== 'allowed') {
    return {
      message: gated.message,
      call: await callView(db, gated.id),
      repeated: gated.outcome === 'repeated',
    };
  }
  const id = gated.id;
  const callId = `huikuan-call-${id}`;
  const inserted = await tables(db)
    .insertInto('channel_calls')
    .values({
      message_id: id,
      client_id: recipient.clientId,
      account_id: input.accountId,
      extension: input.extension,
      action_id: callId,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('message_id')
    .executeTakeFirst();
  if (!inserted) return { message: await messageView(db, id), call: await callView(db, id), repeated: true };
  await tables(db)
    .updateTable('channel_messages')
    .set({ status: 'sending', status_at: new Date() })
    .where('id', '=', id)
    .execute();
  let action = 'channel_call.dialled';
  try {
    await pbx.originate(
      {
        callId,
        extension: input.extension,
        number: recipient.address,
        callerId: channels.config.ami?.callerId ?? null,
      },
      callLimits.pbxTimeoutMs,
    );
    await tables(db)
      .updateTable('channel_messages')
      .set({ status: 'sent', sent_at: new Date(), status_at: new Date(), send_attempts: 1 })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  } catch (error) {
    action = 'channel_call.failed';
    await tables(db)
      .updateTable('channel_calls')
      .set({ state: 'failed' })
      .where('message_id', '=', id)
      .execute();
    await tables(db)
      .updateTable('channel_messages')
      .set({
        status: 'failed',
        status_at: new Date(),
        send_attempts: 1,
        error: (error as Error).message.slice(0, 2000),
      })
      .where('id', '=', id)
      .execute();
  }
  const call = await refreshSummary(db, id);
  const message = await messageView(db, id);
  await recordAudit(db, {
    actor: input.actor,
    actorUserId: input.actorUserId ?? null,
    ip: input.ip ?? null,
    action,
    entityType: 'channel_message',
    entityId: id,
    clientId: recipient.clientId,
    after: {
      account_id: input.accountId,
      contact_point_id: input.contactPointId,
      to: recipient.masked,
      extension: input.extension,
      error: message.error,
    },
  });
  return { message, call, repeated: false };
}

/** Applies one PBX event to its call (events of calls Huikuan did not place are ignored). */
export async function recordPbxEvent(db: Db, event: PbxEvent): Promise<void> {
  const row = await tables(db)
    .selectFrom('channel_calls')
    .select(['message_id', 'state'])
    .where('action_id', '=', event.callId)
    .executeTakeFirst();
  if (!row || row.state === 'ended') return;
  if (event.kind === 'answered') {
    await tables(db)
      .updateTable('channel_calls')
      .set({ state: 'answered', answered_at: event.at, pbx_call_id: event.pbxCallId })
      .where('message_id', '=', row.message_id)
      .execute();
    await tables(db)
      .updateTable('channel_messages')
      .set({ status: 'delivered', status_at: event.at })
      .where('id', '=', row.message_id)
      .execute();
  } else {
    await tables(db)
      .updateTable('channel_calls')
      .set({
        state: 'ended',
        ended_at: event.at,
        duration_seconds: event.durationSeconds,
        hangup_cause: event.cause.slice(0, 100),
        recording_ref: event.recording,
        ...(event.outcome ? { disposition: event.outcome, disposition_by: 'pbx' } : {}),
        ...(event.pbxCallId ? { pbx_call_id: event.pbxCallId } : {}),
      })
      .where('message_id', '=', row.message_id)
      .execute();
    if (!event.answered) {
      await tables(db)
        .updateTable('channel_messages')
        .set({ status: 'undelivered', status_at: event.at })
        .where('id', '=', row.message_id)
        .execute();
      await settleContact(db, row.message_id, event.outcome ?? 'no_answer');
    }
  }
  await refreshSummary(db, row.message_id);
}

/**
 * The agent's disposition of a call (once): a connected call's outcome for the gate (conversation,
 * connected_no_answer or voicemail), with a note. A call the PBX reported unconnected keeps its
 * outcome; the agent may still add the note.
 */
export async function setCallDisposition(
  db: Db,
  messageId: bigint,
  input: {
    disposition: CallDisposition;
    note?: string | null;
    actor: string;
    actorUserId?: bigint | null;
    ip?: string | null;
  },
): Promise<CallView> {
  if (!(callDispositions as readonly string[]).includes(input.disposition)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.disposition}" is not a disposition; use ${callDispositions.join(', ')}.`,
    );
  }
  const note = input.note?.trim() || null;
  if (note && note.length > callLimits.noteChars) {
    throw new HuikuanError(
      'bad_input',
      `The note has ${note.length} characters; at most ${callLimits.noteChars}.`,
    );
  }
  const call = await callView(db, messageId);
  if (!call) throw new HuikuanError('not_found', `Message ${messageId} is not a call.`);
  if (call.disposition_by !== null && call.disposition_by !== 'pbx') {
    throw new HuikuanError(
      'invalid_state',
      `Call ${messageId} already has its disposition (${call.disposition}).`,
    );
  }
  const byPbx = call.disposition_by === 'pbx';
  await tables(db)
    .updateTable('channel_calls')
    .set({ disposition: byPbx ? call.disposition : input.disposition, disposition_by: input.actor, note })
    .where('message_id', '=', messageId)
    .execute();
  if (!byPbx) await settleContact(db, messageId, input.disposition);
  const updated = await refreshSummary(db, messageId);
  const message = await messageView(db, messageId);
  const owner = await tables(db)
    .selectFrom('channel_messages')
    .select('client_id')
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  await recordAudit(db, {
    actor: input.actor,
    actorUserId: input.actorUserId ?? null,
    ip: input.ip ?? null,
    action: 'channel_call.disposition',
    entityType: 'channel_message',
    entityId: messageId,
    clientId: owner.client_id,
    after: { account_id: message.account_id, disposition: updated.disposition, note },
  });
  return updated;
}

/** Hangs up a call in progress through the PBX (the Hangup event then ends it). */
export async function hangUpCall(db: Db, messageId: bigint, channels: Channels): Promise<CallView> {
  const pbx = pbxOf(channels);
  const call = await tables(db)
    .selectFrom('channel_calls')
    .select(['action_id', 'state'])
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (!call) throw new HuikuanError('not_found', `Message ${messageId} is not a call.`);
  if (call.state === 'ended' || call.state === 'failed') {
    throw new HuikuanError('invalid_state', `Call ${messageId} is already over (${call.state}).`);
  }
  try {
    await pbx.hangup(call.action_id, callLimits.pbxTimeoutMs);
  } catch (error) {
    throw new HuikuanError(
      'invalid_state',
      `The PBX did not hang up call ${messageId}: ${(error as Error).message}`,
    );
  }
  return (await callView(db, messageId)) as CallView;
}

export async function listCalls(db: Db, accountId: bigint, page: { offset: number; limit: number }) {
  const [items, count] = await Promise.all([
    tables(db)
      .selectFrom('channel_calls')
      .select(callColumns)
      .where('account_id', '=', accountId)
      .orderBy('message_id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    tables(db)
      .selectFrom('channel_calls')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow(),
  ]);
  return { items: items as CallView[], total: Number(count.n) };
}

/** Where a call's client is, for the routes' scope check. */
export async function callClientId(db: Db, messageId: bigint): Promise<bigint> {
  const row = await tables(db)
    .selectFrom('channel_calls')
    .select('client_id')
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `Message ${messageId} is not a call.`);
  return row.client_id;
}
