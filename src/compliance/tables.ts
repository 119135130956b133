/**
 * Kysely types of the compliance tables (migrations/0014_compliance.sql, 0016_holds_consent.sql);
 * used through `withTables`.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type ComplianceProfileChangesTable = {
  id: Generated<bigint>;
  jurisdiction: string;
  scope: 'base' | 'client' | 'account';
  client_id: bigint | null;
  account_id: bigint | null;
  changes: Json;
  rules: Json | null;
  version: number | null;
  status: Generated<'pending' | 'approved' | 'rejected'>;
  reason: string;
  proposed_by: string;
  proposed_at: Generated<Date>;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
};

export type ComplianceVerdictsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  debtor_id: bigint;
  contact_point_id: bigint | null;
  actor: string;
  purpose: string;
  channel: string;
  party: string;
  person: string;
  proposed_at: Timestamp;
  verdict: string;
  reasons: string[];
  jurisdiction: string;
  profile_version: number;
  overrides: string[];
  zones: string[];
  inputs: Json;
  decided_at: Generated<Date>;
};

export type ComplianceContactsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  debtor_id: bigint;
  contact_point_id: bigint | null;
  person: string;
  party: string;
  channel: string;
  robot: boolean;
  at: Timestamp;
  outcome: Generated<string>;
  verdict_id: bigint;
  outcome_at: Timestamp | null;
};

export type ComplianceHoldsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  debtor_id: bigint;
  account_id: bigint | null;
  contact_point_id: bigint | null;
  kind: string;
  source: string;
  note: string | null;
  attorney_name: string | null;
  attorney_contact: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  recorded_by: string;
  recorded_at: Generated<Date>;
  lifted_at: Timestamp | null;
  lifted_by: string | null;
  lift_reason: string | null;
};

export type ComplianceConsentsTable = {
  id: Generated<bigint>;
  client_id: bigint;
  debtor_id: bigint;
  contact_point_id: bigint | null;
  kind: string;
  channel: string | null;
  source: string;
  note: string | null;
  given_at: Timestamp;
  expires_at: Timestamp | null;
  recorded_by: string;
  recorded_at: Generated<Date>;
  withdrawn_at: Timestamp | null;
  withdrawn_by: string | null;
  withdraw_reason: string | null;
};

export type ComplianceLostContactTable = {
  id: Generated<bigint>;
  client_id: bigint;
  debtor_id: bigint;
  set_at: Timestamp;
  set_by: string;
  set_reason: string;
  cleared_at: Timestamp | null;
  cleared_by: string | null;
  clear_reason: string | null;
};

export type ComplianceValidationNoticesTable = {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  /** 'YYYY-MM-DD' */
  sent_on: string;
  assumed_receipt: string;
  period_ends_on: string;
  recorded_by: string;
  recorded_at: Generated<Date>;
  verification_sent_on: string | null;
  verification_recorded_by: string | null;
};

export type ComplianceTables = {
  compliance_profile_changes: ComplianceProfileChangesTable;
  compliance_verdicts: ComplianceVerdictsTable;
  compliance_contacts: ComplianceContactsTable;
  compliance_holds: ComplianceHoldsTable;
  compliance_consents: ComplianceConsentsTable;
  compliance_lost_contact: ComplianceLostContactTable;
  compliance_validation_notices: ComplianceValidationNoticesTable;
};
