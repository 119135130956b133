/**
 * Kysely types of the channel tables (migrations/0017_channels.sql, 0021_channels_letters_calls.sql);
 * used through `withTables`.
 */
import type { ColumnType, Generated } from 'kysely';
import type { MessageStatus } from './model.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type ChannelMessagesTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  debtor_id: bigint;
  /** null for a letter: its contact point is the debtor's postal address. */
  contact_point_id: bigint | null;
  channel: 'email' | 'sms' | 'letter' | 'call';
  provider: string;
  idempotency_key: string;
  purpose: string;
  party: string;
  actor: string;
  recipient_masked: string;
  subject: string | null;
  body_text: string;
  body_html: string | null;
  template_code: string | null;
  template_params: Json | null;
  verdict_id: bigint | null;
  verdict: string | null;
  reasons: Generated<string[]>;
  contact_id: bigint | null;
  status: Generated<MessageStatus>;
  provider_message_id: string | null;
  send_attempts: Generated<number>;
  error: string | null;
  created_at: Generated<Date>;
  claimed_at: Generated<Date>;
  sent_at: Timestamp | null;
  status_at: Generated<Date>;
};

export type ChannelDeliveryEventsTable = {
  id: Generated<bigint>;
  client_id: bigint | null;
  account_id: bigint | null;
  message_id: bigint | null;
  provider: string;
  provider_message_id: string;
  provider_status: string;
  status: 'sent' | 'delivered' | 'undelivered';
  error_code: string | null;
  from_status: string | null;
  to_status: string | null;
  occurred_at: Timestamp;
  received_at: Generated<Date>;
};

export type ChannelRepliesTable = {
  id: Generated<bigint>;
  client_id: bigint | null;
  account_id: bigint | null;
  debtor_id: bigint | null;
  contact_point_id: bigint | null;
  message_id: bigint | null;
  channel: 'email' | 'sms' | 'page';
  provider: string;
  provider_reply_id: string;
  from_masked: string;
  body: string;
  opt_out: boolean;
  received_at: Timestamp;
  recorded_at: Generated<Date>;
};

export type ChannelWebhookSecretsTable = {
  id: Generated<bigint>;
  provider: string;
  secret_enc: Buffer;
  created_by: string;
  created_at: Generated<Date>;
  expires_at: Timestamp | null;
};

export type ChannelPrintBatchesTable = {
  id: Generated<bigint>;
  client_id: bigint;
  letters: number;
  pages: number;
  pdf: Buffer;
  closed_by: string;
  closed_at: Generated<Date>;
};

export type ChannelLettersTable = {
  message_id: bigint;
  client_id: bigint;
  account_id: bigint;
  kind: 'letter' | 'validation_notice';
  input: Json;
  pdf: Buffer;
  pages: number;
  sent_on: string | null;
  period_ends_on: string | null;
  batch_id: bigint | null;
  created_at: Generated<Date>;
};

export type CallState = 'dialling' | 'answered' | 'ended' | 'failed';

export type ChannelCallsTable = {
  message_id: bigint;
  client_id: bigint;
  account_id: bigint;
  extension: string;
  action_id: string;
  pbx_call_id: string | null;
  state: Generated<CallState>;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  duration_seconds: number | null;
  hangup_cause: string | null;
  recording_ref: string | null;
  disposition: string | null;
  disposition_by: string | null;
  note: string | null;
};

export type ChannelTables = {
  channel_print_batches: ChannelPrintBatchesTable;
  channel_letters: ChannelLettersTable;
  channel_calls: ChannelCallsTable;
  channel_messages: ChannelMessagesTable;
  channel_delivery_events: ChannelDeliveryEventsTable;
  channel_replies: ChannelRepliesTable;
  channel_webhook_secrets: ChannelWebhookSecretsTable;
};
