/**
 * Upkeep of risk_score_history (issue 6 point 4): the nightly run writes a row per live account, model
 * and day, so the table would grow by the book's size every night. It is not append-only by design —
 * the nightly pass upserts a day's rows — and what reads it needs only:
 *   - the last `scoreHistoryDays` days in full: an account's Score tab, the score-drop watch rule
 *     (a week to a fortnight back);
 *   - beyond that, each account's and model's first row of every month — what the monthly
 *     monitoring measures (src/risk/platform/monitor.ts takes the first champion score of the month)
 *     — and its last (month-end) row, which keeps the score history's line over the years.
 * Older rows that are neither are deleted by the nightly step, per partition and at most
 * `pruneBatchRows` a night, so a long backlog drains over several nights without one long transaction.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connection.ts';
import { addDays, type BusinessDate } from '../../shared/dates.ts';

/** Days of daily scores kept in full. */
export const scoreHistoryDays = 400;
/** Rows deleted at most per partition and night. */
export const pruneBatchRows = 100_000;

export async function pruneScoreHistory(
  db: Db,
  scope: { asOf: BusinessDate; clientId: bigint; fromAccountId: bigint; toAccountId: bigint },
  options: { keepDays?: number; limit?: number } = {},
): Promise<number> {
  const cutoff = addDays(scope.asOf, -(options.keepDays ?? scoreHistoryDays));
  const limit = options.limit ?? pruneBatchRows;
  const deleted = await sql`
    DELETE FROM risk_score_history
     WHERE ctid IN (
       SELECT x.ctid FROM risk_score_history x
        WHERE x.client_id = ${scope.clientId}
          AND x.account_id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}
          AND x.as_of < ${cutoff}::date
          -- not the month's first row of this account and model …
          AND EXISTS (SELECT FROM risk_score_history e
                       WHERE e.account_id = x.account_id AND e.model_id = x.model_id
                         AND e.as_of >= date_trunc('month', x.as_of)::date AND e.as_of < x.as_of)
          -- … nor its last
          AND EXISTS (SELECT FROM risk_score_history l
                       WHERE l.account_id = x.account_id AND l.model_id = x.model_id
                         AND l.as_of > x.as_of
                         AND l.as_of < (date_trunc('month', x.as_of) + interval '1 month')::date)
        LIMIT ${limit})`.execute(db);
  return Number(deleted.numAffectedRows ?? 0n);
}
