/** Saved filters in the database: each user's own, listed, added and deleted (SQL only; rules in model.ts). */
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type FilterList,
  type FilterValues,
  maxSavedFiltersPerList,
  normaliseFilterName,
  normaliseFilters,
} from './model.ts';
import type { FilterTables } from './tables.ts';

export interface SavedFilterView {
  id: bigint;
  list: FilterList;
  name: string;
  filters: FilterValues;
  created_at: Date;
}

function table(db: Db) {
  return db.withTables<FilterTables>();
}

export async function listSavedFilters(db: Db, userId: bigint, list: FilterList): Promise<SavedFilterView[]> {
  const rows = await table(db)
    .selectFrom('saved_filters')
    .select(['id', 'list', 'name', 'filters', 'created_at'])
    .where('user_id', '=', userId)
    .where('list', '=', list)
    .orderBy('name')
    .execute();
  return rows.map((row) => ({ ...row, list: row.list as FilterList }));
}

export async function saveFilter(
  db: Db,
  input: { userId: bigint; list: FilterList; name: string; filters: Record<string, string | undefined> },
): Promise<SavedFilterView> {
  const name = normaliseFilterName(input.name);
  const filters = normaliseFilters(input.list, input.filters);
  const tx = table(db);
  const existing = await tx
    .selectFrom('saved_filters')
    .select(['name'])
    .where('user_id', '=', input.userId)
    .where('list', '=', input.list)
    .execute();
  if (existing.some((row) => row.name === name)) {
    throw new HuikuanError(
      'duplicate',
      `You already have a saved filter named "${name}": pick another name or delete that one first.`,
    );
  }
  if (existing.length >= maxSavedFiltersPerList) {
    throw new HuikuanError(
      'limit_exceeded',
      `You may keep at most ${maxSavedFiltersPerList} saved filters per list: delete one you no longer use.`,
    );
  }
  const row = await tx
    .insertInto('saved_filters')
    .values({ user_id: input.userId, list: input.list, name, filters: JSON.stringify(filters) })
    .returning(['id', 'list', 'name', 'filters', 'created_at'])
    .executeTakeFirstOrThrow();
  return { ...row, list: row.list as FilterList };
}

/** Deletes one of the user's own saved filters; another user's is not_found (existence does not leak). */
export async function deleteSavedFilter(db: Db, userId: bigint, id: bigint): Promise<SavedFilterView> {
  const row = await table(db)
    .deleteFrom('saved_filters')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .returning(['id', 'list', 'name', 'filters', 'created_at'])
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `You have no saved filter ${id}.`);
  return { ...row, list: row.list as FilterList };
}
