/**
 * Applying a delivery receipt to its message — the one path for SMS receipts (service.ts) and e-mail
 * delivery status notifications and bounces (bounces.ts): the message moves forward only, the
 * receipt notes the change, and a message now delivered settles the contact the rule gate recorded.
 */
import type { Kysely } from 'kysely';
import type { Outcome } from '../compliance/model.ts';
import { recordContactOutcome } from '../compliance/service.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type DeliveryStatus, type MessageChannel, type MessageStatus, nextStatus } from './model.ts';
import type { ChannelTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

export interface MessageState {
  id: bigint;
  client_id: bigint;
  account_id: bigint;
  channel: MessageChannel;
  status: MessageStatus;
  contact_id: bigint | null;
}

export const stateColumns = ['id', 'client_id', 'account_id', 'channel', 'status', 'contact_id'] as const;

/**
 * The contact the gate recorded for the message gets its outcome (once; a later one is ignored):
 * `delivered` from a receipt, a call's disposition from the PBX or the agent (calls.ts).
 */
export async function settleContact(
  trx: Db,
  messageId: bigint,
  outcome: Exclude<Outcome, 'pending'> = 'delivered',
): Promise<void> {
  const message = await tables(trx)
    .selectFrom('channel_messages')
    .select('contact_id')
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  if (message.contact_id === null) return;
  try {
    await recordContactOutcome(trx, message.contact_id, outcome);
  } catch (error) {
    if (!(error instanceof HuikuanError && error.code === 'invalid_state')) throw error;
  }
}

/**
 * Applies one recorded receipt to its message (forward only) and notes the change on the receipt;
 * `error` is stored on the message when the receipt moves it to undelivered. `message.status`
 * follows, so the caller can apply the next receipt of the same message.
 */
export async function applyReceipt(
  trx: Db,
  message: MessageState,
  eventId: bigint,
  status: DeliveryStatus,
  error: string | null = null,
): Promise<void> {
  const next = nextStatus(message.status, status);
  await tables(trx)
    .updateTable('channel_delivery_events')
    .set({
      message_id: message.id,
      client_id: message.client_id,
      account_id: message.account_id,
      from_status: next ? message.status : null,
      to_status: next,
    })
    .where('id', '=', eventId)
    .execute();
  if (!next) return;
  await tables(trx)
    .updateTable('channel_messages')
    .set({
      status: next,
      status_at: new Date(),
      ...(next === 'undelivered' && error !== null ? { error: error.slice(0, 2000) } : {}),
    })
    .where('id', '=', message.id)
    .execute();
  message.status = next;
  if (next === 'delivered') await settleContact(trx, message.id);
}
