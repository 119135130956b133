/** Kysely types of the tables this module's migrations add (merged into Database in src/db/schema.ts). */

import type { Generated } from 'kysely';

/** A business date, 'YYYY-MM-DD'. */
type DateString = string;

export interface PlacementRowsTable {
  batch_id: bigint;
  row_number: number;
  client_account_ref: string;
  debtor_name: string;
  id_number_enc: Buffer | null;
  id_number_hash: Buffer | null;
  id_number_masked: string | null;
  date_of_birth: DateString | null;
  phone_1_enc: Buffer | null;
  phone_1_hash: Buffer | null;
  phone_1_masked: string | null;
  phone_2_enc: Buffer | null;
  phone_2_hash: Buffer | null;
  phone_2_masked: string | null;
  phone_3_enc: Buffer | null;
  phone_3_hash: Buffer | null;
  phone_3_masked: string | null;
  email: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  product_type: string | null;
  original_creditor: string | null;
  currency: string;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  delinquency_date: DateString;
  charge_off_date: DateString | null;
  last_payment_date: DateString | null;
  last_payment_amount_minor: bigint | null;
  open_date: DateString | null;
  notes: string | null;
  /** drawn from accounts' identity sequence when the row is staged */
  account_id: Generated<bigint>;
  /** drawn from debtors' identity sequence; re-pointed on approval when the debtor is shared */
  debtor_id: Generated<bigint>;
  creates_debtor: Generated<boolean>;
  shared_debtor: Generated<boolean>;
}

export interface PlacementErrorsTable {
  batch_id: bigint;
  row_number: number;
  column_name: string;
  reason: string;
  duplicate: boolean;
}

export interface PlacementTables {
  placement_rows: PlacementRowsTable;
  placement_errors: PlacementErrorsTable;
}
