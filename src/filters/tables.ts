/** Kysely types of the saved filters table (migrations/0013_saved_filters.sql); used through `withTables`. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type SavedFiltersTable = {
  id: Generated<bigint>;
  user_id: bigint;
  list: string;
  name: string;
  filters: ColumnType<Record<string, string>, string, string>;
  created_at: Timestamp;
};

// type aliases, not interfaces: withTables wants an index-signature-compatible record
export type FilterTables = {
  saved_filters: SavedFiltersTable;
};
