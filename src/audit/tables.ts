/** Kysely types of the audit trail (migrations/0006_audit.sql), merged into Database in src/db/schema.ts. */
import type { Generated } from 'kysely';

export interface AuditEventsTable {
  /** Drawn by the chain trigger under its lock, so id order is chain order. */
  id: Generated<bigint>;
  at: Generated<Date>;
  actor: string;
  actor_user_id: bigint | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  client_id: bigint | null;
  before: unknown | null;
  after: unknown | null;
  ip: string | null;
  /** Set by the chain trigger. */
  prev_hash: Generated<string>;
  /** Set by the chain trigger. */
  hash: Generated<string>;
}

export interface AuditHeadTable {
  singleton: Generated<boolean>;
  last_id: bigint | null;
  last_hash: string;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
}
