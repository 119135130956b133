/** Kysely types of the tables this module's migrations add (merged into Database in src/db/schema.ts). */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type ProposalKind = 'discount' | 'settlement' | 'write_off' | 'recall' | 'adjustment';
export type ProposalStatus = 'pending' | 'approved' | 'rejected';

export interface LedgerProposalsTable {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint | null;
  kind: ProposalKind;
  status: Generated<ProposalStatus>;
  payload: unknown;
  reason: string | null;
  proposed_by: string;
  proposed_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
  entry_id: bigint | null;
}

export interface LedgerSettlementsTable {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  agreed_minor: bigint;
  balance_at_agreement_minor: bigint;
  after_entry_id: bigint;
  agreed_on: string;
  status: Generated<'open' | 'completed' | 'cancelled'>;
  proposal_id: bigint | null;
  discount_entry_id: bigint | null;
  created_by: string;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface LedgerTables {
  ledger_proposals: LedgerProposalsTable;
  ledger_settlements: LedgerSettlementsTable;
}
