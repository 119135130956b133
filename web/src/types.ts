/** Shapes of the API's answers (docs/api-contract.md). Money fields end `_minor` with `currency` beside. */
import type { Minor } from './money.ts';

export const roles = ['admin', 'supervisor', 'agent', 'finance', 'compliance', 'client'] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: number | string;
  username: string;
  display_name: string;
  roles: Role[];
  team_id: number | string | null;
  client_codes: string[] | 'all';
  must_change_password: boolean;
  locale?: string | null;
  active?: boolean;
  approval_limit_minor?: Minor | null;
  locked_until?: string | null;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface Team {
  id: number | string;
  name: string;
  client_codes: string[];
}

export interface Contract {
  version: number;
  effective_from: string;
  currency: string;
  jurisdiction: string;
  waterfall: string[];
  commission: Array<{ from_dpd?: number; to_dpd?: number | null; rate_bp?: number }> | string;
  netting: boolean;
  discount_limit_bp: number;
  accrual_allowed: boolean;
}

export interface Client {
  code: string;
  name: string;
  contract?: Contract | null;
  contracts?: Contract[];
}

export interface Batch {
  batch_id?: number | string;
  id?: number | string;
  client: string;
  name: string;
  status: string;
  file_name: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  placed_total_minor: Minor;
  currency: string | null;
  recall_date: string | null;
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reject_reason: string | null;
  errors?: Array<{
    row?: number;
    line?: number;
    column?: string;
    field?: string;
    reason?: string;
    message?: string;
  }>;
  errors_total?: number;
  totals?: Array<{ currency: string; accounts: number; placed_total_minor: Minor }>;
}

export interface AccountRow {
  id: number | string;
  client?: string;
  client_code?: string;
  batch_id?: number | string;
  ref?: string;
  client_account_ref?: string;
  debtor_name?: string;
  name?: string;
  currency: string;
  status: string;
  bucket?: string;
  dpd?: number;
  days_past_due?: number;
  balance_minor?: Minor;
  total_minor?: Minor;
  principal_minor?: Minor;
  interest_minor?: Minor;
  fees_minor?: Minor;
  penalty_minor?: Minor;
  overpayment_minor?: Minor;
  delinquency_date?: string;
  balance?: {
    principal_minor?: Minor;
    interest_minor?: Minor;
    fees_minor?: Minor;
    penalty_minor?: Minor;
    overpayment_minor?: Minor;
    total_minor?: Minor;
  };
}

export interface ContactPoint {
  id: number | string;
  kind: string;
  position?: number;
  masked: string;
  status: string;
}

export interface Debtor {
  id: number | string;
  name: string;
  id_number_masked?: string | null;
  date_of_birth?: string | null;
  address?: string | null;
  city?: string | null;
  region?: string | null;
  contact_points?: ContactPoint[];
}

export interface AccountDetail extends AccountRow {
  product_type?: string | null;
  original_creditor?: string | null;
  charge_off_date?: string | null;
  open_date?: string | null;
  last_payment_date?: string | null;
  last_payment_amount_minor?: Minor | null;
  placed?: { principal_minor?: Minor; interest_minor?: Minor; fees_minor?: Minor; penalty_minor?: Minor };
  debtor?: Debtor;
  notes?: Note[] | string | null;
}

export interface Posting {
  line: number;
  ledger_account: string;
  amount_minor: Minor;
}

export interface LedgerEntry {
  entry_id: number | string;
  kind: string;
  effective_date: string;
  currency: string;
  external_id: string | null;
  reverses_entry_id: number | string | null;
  reversed_by_entry_id: number | string | null;
  reason: string | null;
  created_by: string;
  created_at: string;
  postings: Posting[];
}

export interface TimelineEvent {
  type?: string;
  from_status?: string | null;
  to_status?: string | null;
  effective_date?: string | null;
  at?: string;
  occurred_at?: string;
  created_at?: string;
  kind?: string;
  action?: string;
  actor?: string;
  by?: string;
  summary?: string;
  text?: string;
  amount_minor?: Minor | null;
  currency?: string;
}

export interface Note {
  id?: number | string;
  text?: string;
  body?: string;
  created_by?: string;
  author?: string;
  created_at?: string;
}

export interface PaymentClaim {
  id: number | string;
  account_id: number | string;
  account_ref?: string;
  client?: string;
  debtor_name?: string;
  amount_minor: Minor;
  currency?: string;
  paid_on: string;
  channel: string;
  reference: string;
  status: string;
  claimed_by?: string;
  claimed_at?: string;
  created_by?: string;
  registered_by?: string;
  created_at?: string;
  decided_by?: string | null;
  reject_reason?: string | null;
}

export interface Approval {
  id: number | string;
  kind: string;
  status: string;
  account_id?: number | string | null;
  account_ref?: string | null;
  client?: string;
  client_code?: string;
  payload?: { amount_minor?: Minor; components?: Record<string, Minor>; [key: string]: unknown } | null;
  proposed_at?: string;
  decision_reason?: string | null;
  decided_by?: string | null;
  own?: boolean;
  amount_minor?: Minor;
  currency?: string;
  requested_by?: string;
  proposed_by?: string;
  created_at?: string;
  requested_at?: string;
  reason?: string | null;
  required_role?: string | null;
  approver_role?: string | null;
  details?: Record<string, unknown>;
}

export interface BalanceRow {
  client: string;
  currency: string | null;
  accounts: number;
  principal_minor: Minor;
  interest_minor: Minor;
  fees_minor: Minor;
  penalty_minor: Minor;
  overpayment_minor?: Minor;
  total_minor: Minor;
  collected_minor?: Minor;
  commission_minor?: Minor;
  payable_minor?: Minor;
}

export interface AuditEvent {
  id?: number | string;
  seq?: number | string;
  at?: string;
  created_at?: string;
  occurred_at?: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string | number | null;
  ip?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The first of several possible field names that holds a value. */
export function pick<T = unknown>(row: object | null | undefined, ...names: string[]): T | undefined {
  if (!row) return undefined;
  for (const name of names) {
    const value = (row as Record<string, unknown>)[name];
    if (value !== undefined && value !== null) return value as T;
  }
  return undefined;
}
