/**
 * Kysely types of the tables migrations/0019_agent_actions.sql adds (agent actions on an account);
 * used through `withTables`.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A business date, 'YYYY-MM-DD'. */
type DateString = string;

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type ContactAttemptsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  debtor_id: bigint;
  disposition: string;
  channel: string;
  contact_point_id: bigint | null;
  gate_contact_id: bigint | null;
  notes: string | null;
  duration_seconds: number | null;
  hold_id: bigint | null;
  agent: string;
  at: Timestamp;
};

export type CallbacksTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  attempt_id: bigint | null;
  due_at: Timestamp;
  zone: string;
  note: string | null;
  status: Generated<'due' | 'done' | 'missed'>;
  missed_on: DateString | null;
  created_by: string;
  created_at: Timestamp;
  done_by: string | null;
  done_at: Timestamp | null;
};

export type PromiseStatus = 'open' | 'kept' | 'broken' | 'cancelled';

export type PromisesTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  attempt_id: bigint | null;
  amount_minor: bigint;
  currency: string;
  balance_minor: bigint;
  promised_on: DateString;
  due_on: DateString;
  grace_days: number;
  status: Generated<PromiseStatus>;
  paid_minor: Generated<bigint>;
  kept_on: DateString | null;
  broken_at: DateString | null;
  final: Generated<boolean>;
  approved_by: string | null;
  limit_reasons: Generated<string[]>;
  taken_by: string;
  taken_at: Timestamp;
  cancelled_by: string | null;
  cancelled_at: Timestamp | null;
  cancel_reason: string | null;
};

export type PlanStatus = 'pending_approval' | 'active' | 'rejected' | 'completed' | 'broken' | 'cancelled';

export type PaymentPlansTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  total_minor: bigint;
  currency: string;
  balance_minor: bigint;
  starts_on: DateString;
  grace_days: number;
  status: PlanStatus;
  limit_reasons: Generated<string[]>;
  note: string | null;
  proposed_by: string;
  proposed_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
  broken_at: DateString | null;
  completed_on: DateString | null;
};

export type PlanInstalmentsTable = {
  plan_id: bigint;
  n: number;
  client_id: bigint;
  account_id: bigint;
  due_on: DateString;
  amount_minor: bigint;
  cumulative_minor: bigint;
  status: Generated<'open' | 'kept' | 'broken'>;
  paid_minor: Generated<bigint>;
  kept_on: DateString | null;
  broken_at: DateString | null;
  final: Generated<boolean>;
};

export type HardshipMarksTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  options: Generated<string[]>;
  note: string;
  marked_by: string;
  marked_at: Timestamp;
};

export type FieldVisitsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  visited_at: Timestamp;
  address: string;
  visitors: string;
  result: string;
  recording_ref: string;
  latitude: string | null;
  longitude: string | null;
  recorded_by: string;
  recorded_at: Timestamp;
};

export type WorklistTables = {
  contact_attempts: ContactAttemptsTable;
  callbacks: CallbacksTable;
  promises: PromisesTable;
  payment_plans: PaymentPlansTable;
  plan_instalments: PlanInstalmentsTable;
  hardship_marks: HardshipMarksTable;
  field_visits: FieldVisitsTable;
};
