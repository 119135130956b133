/**
 * What the compliance console's lists share (the hold list, hold-list.ts; the verdict log,
 * verdicts.ts): a range of business dates in China time as conditions on an instant column, and a
 * count of the matching rows that stops at a cap.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { addDays } from '../shared/dates.ts';

/** Counted up to this many; past it `total_capped`. */
export const listCountCap = 10_000;

/** `column` (an instant) within the business dates `from`–`to`, China time, both inclusive. */
export function chinaDayRange(
  column: RawBuilder<unknown>,
  from?: string,
  to?: string,
): RawBuilder<unknown>[] {
  const conditions: RawBuilder<unknown>[] = [];
  if (from) conditions.push(sql`${column} >= (${from}::date)::timestamp AT TIME ZONE 'Asia/Shanghai'`);
  if (to) conditions.push(sql`${column} < (${addDays(to, 1)}::date)::timestamp AT TIME ZONE 'Asia/Shanghai'`);
  return conditions;
}

/** How many rows of `from` (a table and its alias) meet `condition`, counted up to the cap. */
export async function cappedCount(
  db: Db,
  from: RawBuilder<unknown>,
  condition: RawBuilder<unknown>,
): Promise<{ total: number; total_capped: boolean }> {
  const counted = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM ${from} WHERE ${condition} LIMIT ${listCountCap + 1}) c`.execute(
    db,
  );
  const total = counted.rows[0]?.n ?? 0;
  return { total: Math.min(total, listCountCap), total_capped: total > listCountCap };
}
