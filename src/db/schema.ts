/**
 * Kysely table types for the schema in migrations/. Keep in step with the SQL: a module that adds a
 * migration adds its tables here (or in its own `tables.ts`, merged into `Database` below).
 */
import type { ColumnType, Generated } from 'kysely';
import type { AuditTables } from '../audit/tables.ts';
import type { ComplianceTables } from '../compliance/tables.ts';
import type { FilterTables } from '../filters/tables.ts';
import type { IdentityTables } from '../identity/tables.ts';
import type { LedgerTables } from '../ledger/tables.ts';
import type { PaymentTables } from '../payments/tables.ts';
import type { PlacementTables } from '../placements/tables.ts';
import type { StrategyTables } from '../strategy/tables.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A business date, 'YYYY-MM-DD'. */
type DateString = string;

export type LedgerAccount =
  | 'debt:principal'
  | 'debt:interest'
  | 'debt:fees'
  | 'debt:penalty'
  | 'debt:overpayment'
  | 'client:placed'
  | 'client:collected'
  | 'client:discounts'
  | 'client:recalled'
  | 'client:written_off'
  | 'client:adjustments'
  | 'client:payable'
  | 'client:direct_paid'
  | 'client:commission_receivable'
  | 'trust:bank'
  | 'agency:commission_revenue'
  | 'agency:operating_bank';

export type EntryKind =
  | 'placement'
  | 'accrual'
  | 'payment'
  | 'direct_payment'
  | 'remittance'
  | 'commission_transfer'
  | 'reversal'
  | 'discount'
  | 'recall'
  | 'write_off'
  | 'adjustment';

export type AccountStatus = 'active' | 'paid' | 'settled' | 'closed' | 'recalled' | 'written_off';
export type Component = 'principal' | 'interest' | 'fees' | 'penalty';

export interface ClientsTable {
  id: Generated<bigint>;
  code: string;
  name: string;
  created_by: string;
  created_at: Timestamp;
}

export interface ContractsTable {
  id: Generated<bigint>;
  client_id: bigint;
  version: number;
  effective_from: DateString;
  currency: string;
  jurisdiction: string;
  waterfall: Component[];
  netting: boolean;
  discount_limit_bp: number;
  accrual_allowed: Generated<boolean>;
  created_by: string;
  created_at: Timestamp;
  /** The contract's last day; null = open-ended (0031_contract_end.sql). */
  ends_on: Generated<DateString | null>;
}

export interface ContractCommissionRatesTable {
  contract_id: bigint;
  from_dpd: number;
  to_dpd: number | null;
  rate_bp: number;
}

export interface PlacementBatchesTable {
  id: Generated<bigint>;
  client_id: bigint;
  name: string;
  status: Generated<'pending_approval' | 'approved' | 'rejected'>;
  file_name: string;
  file_sha256: string;
  file_format: string;
  file_encoding: string | null;
  rows_total: Generated<number>;
  accepted: Generated<number>;
  rejected: Generated<number>;
  duplicates: Generated<number>;
  placed_total_minor: Generated<bigint>;
  recall_date: DateString | null;
  proposed_by: string;
  proposed_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  reject_reason: string | null;
}

export interface DebtorsTable {
  id: Generated<bigint>;
  client_id: bigint;
  name: string;
  id_number_enc: Buffer | null;
  id_number_hash: Buffer | null;
  id_number_masked: string | null;
  date_of_birth: DateString | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  created_at: Timestamp;
}

export interface ContactPointsTable {
  id: Generated<bigint>;
  client_id: bigint;
  debtor_id: bigint;
  kind: 'phone' | 'email';
  position: number;
  value_enc: Buffer | null;
  value_hash: Buffer | null;
  value_masked: string;
  value_text: string | null;
  status: Generated<'unverified' | 'valid' | 'invalid' | 'do_not_contact'>;
  created_at: Timestamp;
  /** Whose point it is: the debtor's own or an agreed (emergency) contact's (0016_holds_consent.sql). */
  party: Generated<'debtor' | 'agreed_contact'>;
  holder_name: string | null;
  relation: string | null;
}

/** accounts, with the nightly run's columns (0015_strategy_run.sql) */
export interface AccountsTable {
  id: Generated<bigint>;
  client_id: bigint;
  batch_id: bigint;
  debtor_id: bigint;
  client_account_ref: string;
  currency: string;
  status: Generated<AccountStatus>;
  product_type: string | null;
  original_creditor: string | null;
  delinquency_date: DateString;
  charge_off_date: DateString | null;
  open_date: DateString | null;
  last_payment_date: DateString | null;
  last_payment_amount_minor: bigint | null;
  notes: string | null;
  placed_principal_minor: bigint;
  placed_interest_minor: bigint;
  placed_fees_minor: bigint;
  placed_penalty_minor: bigint;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  overpayment_minor: Generated<bigint>;
  created_at: Timestamp;
  closed_at: Timestamp | null;
}

export interface AccountEventsTable {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  entry_id: bigint | null;
  actor: string;
  at: Timestamp;
}

export interface JournalEntriesTable {
  id: Generated<bigint>;
  client_id: bigint;
  account_id: bigint | null;
  kind: EntryKind;
  currency: string;
  effective_date: DateString;
  external_id: string | null;
  reverses_entry_id: bigint | null;
  contract_id: bigint | null;
  commission_rate_bp: number | null;
  days_past_due: number | null;
  commission_exact_numerator: bigint | null;
  source: string | null;
  reason: string | null;
  memo: unknown | null;
  created_by: string;
  created_at: Timestamp;
}

export interface PostingsTable {
  entry_id: bigint;
  line: number;
  client_id: bigint;
  account_id: bigint | null;
  ledger_account: LedgerAccount;
  amount_minor: bigint;
}

export interface Database
  extends PlacementTables,
    LedgerTables,
    PaymentTables,
    IdentityTables,
    AuditTables,
    ComplianceTables,
    FilterTables,
    StrategyTables {
  clients: ClientsTable;
  contracts: ContractsTable;
  contract_commission_rates: ContractCommissionRatesTable;
  placement_batches: PlacementBatchesTable;
  debtors: DebtorsTable;
  contact_points: ContactPointsTable;
  accounts: AccountsTable;
  account_events: AccountEventsTable;
  journal_entries: JournalEntriesTable;
  postings: PostingsTable;
}
