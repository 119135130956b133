/**
 * Saved filters (pure rules, no SQL): which lists have them, which filter fields each list takes,
 * how a filter set is normalised before it is stored (empty fields dropped, keys in a fixed order, so
 * the same filters saved twice are the same JSON), and how many one user may keep per list.
 */
import { HuikuanError } from '../shared/errors.ts';

export const filterLists = ['accounts'] as const;
export type FilterList = (typeof filterLists)[number];

/** The query parameters of each list that a saved filter may hold, in display order. */
export const filterFields: Record<FilterList, readonly string[]> = {
  accounts: ['q', 'client', 'batch', 'status', 'bucket', 'min_balance_minor', 'max_balance_minor'],
};

/** More than this many per list and the picker stops being a picker. */
export const maxSavedFiltersPerList = 50;
export const maxFilterNameLength = 100;

export type FilterValues = Record<string, string>;

/** Drops empty values and unknown keys (refused), trims, and orders the keys as the list names them. */
export function normaliseFilters(list: FilterList, values: Record<string, string | undefined>): FilterValues {
  const allowed = filterFields[list];
  const unknown = Object.keys(values).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new HuikuanError(
      'bad_input',
      `The ${list} list has no filter ${unknown.join(', ')}; it filters by ${allowed.join(', ')}.`,
    );
  }
  const result: FilterValues = {};
  for (const key of allowed) {
    const value = values[key]?.trim();
    if (value) result[key] = value;
  }
  return result;
}

export function normaliseFilterName(name: string): string {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  if (trimmed === '' || trimmed.length > maxFilterNameLength) {
    throw new HuikuanError('bad_input', `A saved filter's name has 1–${maxFilterNameLength} characters.`);
  }
  return trimmed;
}
