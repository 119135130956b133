/**
 * Kysely types of the tables migrations/0015_strategy_run.sql, 0022_account_states.sql and 0032_strategies.sql add;
 * src/db/schema.ts merges them into Database.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A business date, 'YYYY-MM-DD'. */
type DateString = string;

/** The nightly run's state of an account (migrations/0022 moved it off accounts into its own narrow table). */
export interface AccountStatesTable {
  client_id: bigint;
  account_id: bigint;
  days_past_due: number;
  bucket: string;
  prior_bucket: string | null;
  as_of: DateString;
}

export interface StrategyRunsTable {
  id: Generated<bigint>;
  as_of: DateString;
  status: Generated<'running' | 'completed'>;
  partition_size: number;
  partitions_total: Generated<number>;
  accounts_planned: Generated<bigint>;
  started_by: string;
  started_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface StrategyRunPartitionsTable {
  run_id: bigint;
  part: number;
  client_id: bigint;
  first_id: bigint;
  last_id: bigint;
  accounts_planned: number;
  status: Generated<'pending' | 'done'>;
  worker: string | null;
  accounts: number | null;
  advanced: number | null;
  bucket_changes: number | null;
  recalled: number | null;
  finished_at: Timestamp | null;
}

export interface AccountBucketHistoryTable {
  client_id: bigint;
  account_id: bigint;
  as_of: DateString;
  from_bucket: string | null;
  to_bucket: string;
  days_past_due: number;
  balance_minor: bigint;
  run_id: bigint;
}

/** Strategy versions (migrations/0032): a document proposed, approved or rejected by another user. */
export interface StrategyVersionsTable {
  id: Generated<bigint>;
  version: number;
  name: string;
  document: unknown;
  status: Generated<'proposed' | 'approved' | 'rejected'>;
  reason: string;
  proposed_by: string;
  proposed_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
  effective_from: DateString | null;
}

/** An account's place in the strategy in force (0032). */
export interface AccountTreatmentsTable {
  client_id: bigint;
  account_id: bigint;
  strategy_version_id: bigint;
  segment: string;
  arm: string;
  entered_on: DateString;
  next_step: string | null;
  next_due: DateString | null;
}

/** The decision log: each account each night (0032). */
export interface StrategyDecisionsTable {
  client_id: bigint;
  account_id: bigint;
  run_date: DateString;
  strategy_version_id: bigint;
  segment: string;
  arm: string;
  action: string;
  alternatives: string[];
  probability: number;
}

export type StrategyActionStatus =
  | 'pending'
  | 'sending'
  | 'sent'
  | 'refused'
  | 'failed'
  | 'open'
  | 'done'
  | 'cancelled';

/** The messages and tasks the treatment paths created (0032). */
export interface StrategyActionsTable {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  run_date: DateString;
  strategy_version_id: bigint;
  segment: string;
  arm: string;
  step: string;
  anchor: string;
  anchor_date: DateString;
  kind: 'message' | 'task';
  channel: string | null;
  template: string | null;
  task: string | null;
  team: string | null;
  priority: number;
  due_on: DateString;
  status: StrategyActionStatus;
  reasons: Generated<string[]>;
  error: string | null;
  message_id: bigint | null;
  attempts: Generated<number>;
  claimed_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: Generated<Date>;
  /** an escalation: when it moved the account to its team (0039); null until it has */
  moved_at: Timestamp | null;
}

/** Which account entered which arm of a test when (0039): the champion / challenger results read it. */
export interface StrategyTestEntriesTable {
  strategy_version_id: bigint;
  segment: string;
  client_id: bigint;
  account_id: bigint;
  arm: string;
  entered_on: DateString;
}

export interface StrategyTables {
  strategy_runs: StrategyRunsTable;
  strategy_run_partitions: StrategyRunPartitionsTable;
  account_bucket_history: AccountBucketHistoryTable;
  account_states: AccountStatesTable;
  strategy_versions: StrategyVersionsTable;
  account_treatments: AccountTreatmentsTable;
  strategy_decisions: StrategyDecisionsTable;
  strategy_actions: StrategyActionsTable;
  strategy_test_entries: StrategyTestEntriesTable;
}
