/**
 * Kysely types of the risk platform's tables (migrations/0020_risk_platform.sql); used through
 * `withTables`.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

export type ModelStatus = 'proposed' | 'approved' | 'champion' | 'challenger' | 'retired';

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type RiskModelsTable = {
  id: Generated<bigint>;
  name: string;
  version: number;
  client_id: bigint | null;
  status: Generated<ModelStatus>;
  model: Json;
  training: Json;
  outcome_days: number;
  paid_share: ColumnType<string, string | number, string | number>;
  validation_auc: number | null;
  validation_ks: number | null;
  validation_psi: number | null;
  owner: string;
  note: string | null;
  proposed_by: string;
  proposed_at: Generated<Date>;
  approved_by: string | null;
  approved_at: Timestamp | null;
  promoted_by: string | null;
  promoted_at: Timestamp | null;
  retired_by: string | null;
  retired_at: Timestamp | null;
};

export type RiskWatchTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  rule: string;
  detail: string;
  first_seen: string;
  last_seen: string;
  status: Generated<'open' | 'acknowledged' | 'actioned'>;
  acknowledged_by: string | null;
  acknowledged_at: Timestamp | null;
  actioned_by: string | null;
  actioned_at: Timestamp | null;
  action_note: string | null;
};

export type RiskWatchRulesTable = {
  code: string;
  enabled: Generated<boolean>;
  threshold: number | null;
  updated_by: Generated<string>;
  updated_at: Generated<Date>;
};

export type RiskPlatformTables = {
  risk_models: RiskModelsTable;
  risk_watch: RiskWatchTable;
  risk_watch_rules: RiskWatchRulesTable;
};
