/**
 * The nightly run's step 'promises and plans' (registered in src/strategy/service.ts): for one
 * partition (one client's accounts in an id range) as of the run's date, a few set-based statements
 * mark promises and plan instalments kept or broken, plans broken or completed, and call-backs
 * missed. Idempotent for a date: a second pass finds nothing to change.
 *
 * The rules (README "Agent actions"):
 * - What counts as paid: the account's payment and direct-payment entries (the debt postings they
 *   credit, overpayment included) with an effective date from the promise's date (a plan's start)
 *   through the cut-off = min(run date, due + grace), less those whose reversal is effective by the
 *   cut-off. The ledger is only read.
 * - A promise is kept once paid ≥ its amount; broken when the run's date is past due + grace and it
 *   is not kept. Until due + grace has passed a kept promise is re-evaluated, so a reversal turns it
 *   open again (and broken once the grace ends); after that its state is final.
 * - Plan instalments are paid in order: instalment n is kept once paid (from the plan's start) ≥ the
 *   sum of instalments 1 … n; broken when its due + grace has passed and it is not kept. A plan is
 *   broken as soon as one of its instalments is broken, and completed once every instalment is kept
 *   and final (the last one's grace has ended). Only active plans are evaluated.
 * - A call-back still due whose local date (in its zone) is before the run's date is missed.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';

export interface AgentActionCounts {
  promises_kept: number;
  promises_broken: number;
  instalments_kept: number;
  instalments_broken: number;
  plans_broken: number;
  callbacks_missed: number;
}

/** Nothing changed: the counts a partition starts from. */
export const noActionCounts: Readonly<AgentActionCounts> = {
  promises_kept: 0,
  promises_broken: 0,
  instalments_kept: 0,
  instalments_broken: 0,
  plans_broken: 0,
  callbacks_missed: 0,
};

export interface ActionScope {
  clientId: bigint;
  firstId: bigint;
  lastId: bigint;
  asOf: string;
}

/** The amount paid toward a window of the account (`s` has account_id, from_on and cutoff). */
const paidInWindow = sql`coalesce((
  SELECT -sum(po.amount_minor)
    FROM journal_entries je
    JOIN postings po ON po.entry_id = je.id AND po.account_id = s.account_id
   WHERE je.account_id = s.account_id
     AND je.kind IN ('payment', 'direct_payment')
     AND je.effective_date BETWEEN s.from_on AND s.cutoff
     AND NOT EXISTS (SELECT FROM journal_entries r
                      WHERE r.reverses_entry_id = je.id AND r.effective_date <= s.cutoff)), 0)::int8`;

/** Marks the scope's promises, instalments, plans and call-backs as of `asOf` (inside the caller's transaction). */
export async function evaluateAgentActions(db: Db, scope: ActionScope): Promise<AgentActionCounts> {
  const { clientId, firstId, lastId, asOf } = scope;
  const promises = await sql<{ kept: number; broken: number }>`
    WITH s AS (
      SELECT p.id, p.account_id, p.amount_minor, p.promised_on AS from_on, p.kept_on AS old_kept_on,
             p.status AS old_status, p.due_on + p.grace_days AS ends_on,
             least(${asOf}::date, p.due_on + p.grace_days) AS cutoff
        FROM promises p
       WHERE p.client_id = ${clientId} AND p.account_id BETWEEN ${firstId} AND ${lastId}
         AND p.status IN ('open', 'kept') AND NOT p.final AND p.promised_on <= ${asOf}::date),
    paid AS (SELECT s.*, ${paidInWindow} AS paid FROM s),
    decided AS (
      SELECT id, old_status, old_kept_on, paid,
             CASE WHEN paid >= amount_minor THEN 'kept'
                  WHEN ${asOf}::date > ends_on THEN 'broken' ELSE 'open' END AS status,
             ${asOf}::date > ends_on AS final
        FROM paid),
    changed AS (
      UPDATE promises p
         SET status = d.status, paid_minor = d.paid, final = d.final,
             kept_on = CASE WHEN d.status = 'kept' THEN coalesce(d.old_kept_on, ${asOf}::date) END,
             broken_at = CASE WHEN d.status = 'broken' THEN ${asOf}::date END
        FROM decided d
       WHERE p.id = d.id AND (p.status, p.paid_minor, p.final) IS DISTINCT FROM (d.status, d.paid, d.final)
      RETURNING d.old_status, p.status)
    SELECT count(*) FILTER (WHERE status = 'kept' AND old_status <> 'kept')::int AS kept,
           count(*) FILTER (WHERE status = 'broken')::int AS broken
      FROM changed`.execute(db);
  const instalments = await sql<{ kept: number; broken: number }>`
    WITH s AS (
      SELECT i.plan_id, i.n, i.account_id, i.amount_minor, i.cumulative_minor, pl.starts_on AS from_on,
             i.kept_on AS old_kept_on, i.status AS old_status, i.due_on + pl.grace_days AS ends_on,
             least(${asOf}::date, i.due_on + pl.grace_days) AS cutoff
        FROM plan_instalments i JOIN payment_plans pl ON pl.id = i.plan_id
       WHERE i.client_id = ${clientId} AND i.account_id BETWEEN ${firstId} AND ${lastId}
         AND pl.status = 'active' AND NOT i.final AND pl.starts_on <= ${asOf}::date),
    paid AS (SELECT s.*, ${paidInWindow} AS paid FROM s),
    decided AS (
      SELECT plan_id, n, old_status, old_kept_on,
             greatest(0, least(amount_minor, paid - (cumulative_minor - amount_minor))) AS share,
             CASE WHEN paid >= cumulative_minor THEN 'kept'
                  WHEN ${asOf}::date > ends_on THEN 'broken' ELSE 'open' END AS status,
             ${asOf}::date > ends_on AS final
        FROM paid),
    changed AS (
      UPDATE plan_instalments i
         SET status = d.status, paid_minor = d.share, final = d.final,
             kept_on = CASE WHEN d.status = 'kept' THEN coalesce(d.old_kept_on, ${asOf}::date) END,
             broken_at = CASE WHEN d.status = 'broken' THEN ${asOf}::date END
        FROM decided d
       WHERE i.plan_id = d.plan_id AND i.n = d.n
         AND (i.status, i.paid_minor, i.final) IS DISTINCT FROM (d.status, d.share, d.final)
      RETURNING d.old_status, i.status)
    SELECT count(*) FILTER (WHERE status = 'kept' AND old_status <> 'kept')::int AS kept,
           count(*) FILTER (WHERE status = 'broken')::int AS broken
      FROM changed`.execute(db);
  const plans = await sql<{ broken: number }>`
    WITH broken AS (
      UPDATE payment_plans pl SET status = 'broken', broken_at = ${asOf}::date
       WHERE pl.client_id = ${clientId} AND pl.account_id BETWEEN ${firstId} AND ${lastId} AND pl.status = 'active'
         AND EXISTS (SELECT FROM plan_instalments i WHERE i.plan_id = pl.id AND i.status = 'broken')
      RETURNING 1),
    completed AS (
      UPDATE payment_plans pl SET status = 'completed', completed_on = ${asOf}::date
       WHERE pl.client_id = ${clientId} AND pl.account_id BETWEEN ${firstId} AND ${lastId} AND pl.status = 'active'
         AND NOT EXISTS (SELECT FROM plan_instalments i
                          WHERE i.plan_id = pl.id AND NOT (i.status = 'kept' AND i.final))
      RETURNING 1)
    SELECT (SELECT count(*) FROM broken)::int AS broken, (SELECT count(*) FROM completed)::int AS completed`.execute(
    db,
  );
  const callbacks = await sql<{ missed: number }>`
    WITH missed AS (
      UPDATE callbacks c SET status = 'missed', missed_on = ${asOf}::date
       WHERE c.client_id = ${clientId} AND c.account_id BETWEEN ${firstId} AND ${lastId} AND c.status = 'due'
         AND (c.due_at AT TIME ZONE c.zone)::date < ${asOf}::date
      RETURNING 1)
    SELECT count(*)::int AS missed FROM missed`.execute(db);
  return {
    promises_kept: promises.rows[0]?.kept ?? 0,
    promises_broken: promises.rows[0]?.broken ?? 0,
    instalments_kept: instalments.rows[0]?.kept ?? 0,
    instalments_broken: instalments.rows[0]?.broken ?? 0,
    plans_broken: plans.rows[0]?.broken ?? 0,
    callbacks_missed: callbacks.rows[0]?.missed ?? 0,
  };
}

/** The nightly run's step: its partition as of its date, in the partition's transaction. */
export function promisesAndPlansStep(context: {
  trx: Db;
  run: { as_of: string };
  partition: { client_id: bigint; first_id: bigint; last_id: bigint };
}): Promise<AgentActionCounts> {
  return evaluateAgentActions(context.trx, {
    clientId: context.partition.client_id,
    firstId: context.partition.first_id,
    lastId: context.partition.last_id,
    asOf: context.run.as_of,
  });
}

export interface BrokenItem {
  kind: 'promise' | 'plan';
  id: bigint;
  client_id: bigint;
  account_id: bigint;
  broken_at: string;
}

/** The most broken promises and plans `brokenSince` returns at once. */
export const brokenSinceCap = 100_000;

/**
 * Promises and plans broken on or after `date` (the run's date that found them broken), oldest
 * first, for the work queues: a broken one re-enters its agent's queue.
 */
export async function brokenSince(db: Db, date: string, limit = brokenSinceCap): Promise<BrokenItem[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new HuikuanError('bad_usage', `"${date}" is not a date (YYYY-MM-DD).`);
  const rows = await sql<BrokenItem>`
    SELECT 'promise' AS kind, id, client_id, account_id, broken_at FROM promises
     WHERE status = 'broken' AND broken_at >= ${date}::date
    UNION ALL
    SELECT 'plan', id, client_id, account_id, broken_at FROM payment_plans
     WHERE status = 'broken' AND broken_at >= ${date}::date
     ORDER BY broken_at, kind DESC, id
     LIMIT ${Math.min(Math.max(1, limit), brokenSinceCap)}`.execute(db);
  return rows.rows;
}
