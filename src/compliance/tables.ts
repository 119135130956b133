/** Kysely types of the compliance tables (migrations/0014_compliance.sql); used through `withTables`. */
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

export type ComplianceTables = {
  compliance_profile_changes: ComplianceProfileChangesTable;
  compliance_verdicts: ComplianceVerdictsTable;
  compliance_contacts: ComplianceContactsTable;
};
