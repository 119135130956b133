/** Kysely types of the tables this module's migrations add (merged into Database in src/db/schema.ts). */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface PaymentImportsTable {
  id: Generated<bigint>;
  client_id: bigint;
  file_name: string;
  file_sha256: string;
  file_format: string;
  file_encoding: string | null;
  byte_size: bigint;
  status: Generated<'running' | 'done' | 'failed'>;
  rows_total: Generated<number>;
  posted: Generated<number>;
  reversed: Generated<number>;
  duplicates: Generated<number>;
  rejected: Generated<number>;
  currency: string | null;
  posted_total_minor: Generated<bigint>;
  reversed_total_minor: Generated<bigint>;
  commission_minor: Generated<bigint>;
  error_file: string | null;
  failure: string | null;
  imported_by: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface PaymentTables {
  payment_imports: PaymentImportsTable;
}
