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
 *
 * A night looks only at the days that crossed the line since the previous run (strategy_runs): the
 * rows before them were looked at on earlier nights and what is left of them is kept for good (the
 * months behind the line get no new rows: the nightly run writes its own date). Reading all of the
 * partition's older history every night to find a day's worth of rows made the step's cost grow with
 * the years kept. Only when the previous nights left work behind — the first night after the upkeep
 * came, a night that reached its limit — does a night look at all of it again, until it is done.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connection.ts';
import { addDays, type BusinessDate } from '../../shared/dates.ts';

/** Days of daily scores kept in full. */
export const scoreHistoryDays = 400;
/** Rows deleted at most per partition and night. */
export const pruneBatchRows = 100_000;

type Scope = { asOf: BusinessDate; clientId: bigint; fromAccountId: bigint; toAccountId: bigint };

/**
 * The rows a night looks at: as_of before `before` (the line: `keepDays` before the run date) and, after
 * a previous run, from `from` on (that run's line: the rows before it were looked at then); `from` is
 * null without a previous run (all of the history before the line).
 */
export function pruneRange(
  asOf: BusinessDate,
  previousRun: BusinessDate | null,
  keepDays: number,
): { from: BusinessDate | null; before: BusinessDate } {
  const before = addDays(asOf, -keepDays);
  return {
    from: previousRun !== null && previousRun < asOf ? addDays(previousRun, -keepDays) : null,
    before,
  };
}

/**
 * Row x (of risk_score_history) is neither its account's and model's first row of its month nor its
 * last. OFFSET 0 keeps each EXISTS a probe per row, an index range within x's month: made a semi-join,
 * the planner matched the later row on account and model alone and read the account's history from
 * its start.
 */
const neitherFirstNorLast = sql`
  -- not the month's first row of this account and model …
  EXISTS (SELECT FROM risk_score_history e
           WHERE e.account_id = x.account_id AND e.model_id = x.model_id
             AND e.as_of >= date_trunc('month', x.as_of)::date AND e.as_of < x.as_of OFFSET 0)
  -- … nor its last
  AND EXISTS (SELECT FROM risk_score_history l
               WHERE l.account_id = x.account_id AND l.model_id = x.model_id
                 AND l.as_of > x.as_of
                 AND l.as_of < (date_trunc('month', x.as_of) + interval '1 month')::date OFFSET 0)`;

/** The partition's accounts (an index range on accounts; history is read per account from there). */
const partitionAccounts = (scope: Scope) =>
  sql`a.client_id = ${scope.clientId} AND a.id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}`;

export async function pruneScoreHistory(
  db: Db,
  scope: Scope,
  options: { keepDays?: number; limit?: number } = {},
): Promise<number> {
  const keepDays = options.keepDays ?? scoreHistoryDays;
  const limit = options.limit ?? pruneBatchRows;
  const previous = await sql<{ as_of: string | null }>`
    SELECT max(as_of)::text AS as_of FROM strategy_runs WHERE as_of < ${scope.asOf}::date`.execute(db);
  const range = pruneRange(scope.asOf, previous.rows[0]?.as_of ?? null, keepDays);
  const from = range.from !== null && !(await leftBehind(db, scope, range.from)) ? range.from : null;
  // Per account, an index range each (a range of accounts with a range of dates would read every
  // entry of the accounts' history), its rows oldest first (OFFSET 0 keeps the subquery a subquery,
  // read per account in that order): a night stopped by the limit leaves an account's newest rows,
  // where leftBehind looks.
  const candidates = sql`
    SELECT x.ctid FROM accounts a
     CROSS JOIN LATERAL (
       SELECT x.ctid FROM risk_score_history x
        WHERE x.account_id = a.id AND x.client_id = ${scope.clientId}
          ${from === null ? sql`` : sql`AND x.as_of >= ${from}::date`} AND x.as_of < ${range.before}::date
          AND ${neitherFirstNorLast}
        ORDER BY x.as_of, x.model_id OFFSET 0) x
     WHERE ${partitionAccounts(scope)}
     ORDER BY a.id
     LIMIT ${limit}`;
  const deleted = await sql`DELETE FROM risk_score_history WHERE ctid IN (${candidates})`.execute(db);
  return Number(deleted.numAffectedRows ?? 0n);
}

/**
 * Whether earlier nights left rows to delete before `from` (the previous run's line): a night that
 * reached its limit, or the first night after the upkeep came. Read per account: its history's latest
 * month before `from` and the month before that — where a backlog's undeleted rows show (a night
 * deletes an account's rows oldest first, so one stopped part-way left its newest) — a few kept rows
 * each when there is nothing left, not the account's whole older history.
 */
async function leftBehind(db: Db, scope: Scope, from: BusinessDate): Promise<boolean> {
  const found = await sql<{ left: boolean }>`
    SELECT EXISTS (
      SELECT FROM accounts a
       CROSS JOIN LATERAL (
         SELECT r.as_of FROM risk_score_history r
          WHERE r.account_id = a.id AND r.as_of < ${from}::date
          ORDER BY r.as_of DESC LIMIT 1) latest
       WHERE ${partitionAccounts(scope)}
         AND EXISTS (
           SELECT FROM risk_score_history x
            WHERE x.account_id = a.id AND x.client_id = ${scope.clientId}
              AND x.as_of >= (date_trunc('month', latest.as_of) - interval '1 month')::date
              AND x.as_of < ${from}::date
              AND ${neitherFirstNorLast})) AS left`.execute(db);
  return found.rows[0]?.left === true;
}
