/** Kysely types of the message templates table (migrations/0023_message_templates.sql); used through `withTables`. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type MessageTemplatesTable = {
  id: Generated<bigint>;
  code: string;
  channel: string;
  language: string;
  version: number;
  subject: string | null;
  body: string;
  variables: string[];
  status: Generated<'proposed' | 'approved' | 'rejected'>;
  reason: string;
  proposed_by: string;
  proposed_at: Generated<Date>;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
};

export type TemplateTables = {
  message_templates: MessageTemplatesTable;
};
