/**
 * Kysely types of the tables migrations/0015_strategy_run.sql and 0022_account_states.sql add;
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

export interface StrategyTables {
  strategy_runs: StrategyRunsTable;
  strategy_run_partitions: StrategyRunPartitionsTable;
  account_bucket_history: AccountBucketHistoryTable;
  account_states: AccountStatesTable;
}
