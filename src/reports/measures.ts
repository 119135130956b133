/**
 * The SQL of Measures (效果评估, ../shared/spec/kpi.md): the ledger's and the agents' figures for a
 * cut of the accounts and a period, the same grouped by a dimension, the liquidation curve by
 * vintage, the roll-rate matrix of a month and a before / after comparison. One statement per call
 * (two for a comparison); the rules of rates and comparisons are in measures-model.ts.
 *
 * Where the cost goes (performance.md: < 1 s at 1,000,000 accounts and 5,000,000 postings): the
 * cut's accounts are read once (`acc`); flows start from journal_entries by (client_id, kind,
 * effective_date) — the journal_entries_client_kind index — and read postings only for those
 * entries, through the postings key (entry_id, line). Balances on a past date are the cached balances
 * less the entries dated after it, read the same way, so cost follows the entries after the date and
 * not the whole ledger. An account is placed from its batch's approval (decided_at); its status at
 * the end of a past day is its status now or, when it changed since, the `from_status` of its first
 * change after that day (account_events, 'placed' rows left out: they are nearly all of the table).
 * Statements that read a large cut pass jit_above_cost, and compiling them costs seconds (2.5–4 s
 * measured at 1,000,000 accounts): callers should run them with jit off, as the ledger's bulk
 * statements do (docs/decisions/0003); these functions issue no SET of their own.
 */
import { type QueryResult, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { bucketCaseSql } from '../strategy/model.ts';
import {
  businessZone,
  checkPeriod,
  comparison,
  curveOf,
  emptyMeasureValues,
  type MeasureFacts,
  measureValuesOf,
  monthDays,
  monthOf,
  parseMonth,
  paymentKinds,
  reachedDispositions,
  rightPartyDispositions,
  rollMatrixOf,
} from './measures-model.ts';
import type {
  ComparableMeasure,
  Comparison,
  MeasureCut,
  MeasureDimension,
  MeasurePeriod,
  MeasureRow,
  MeasureValues,
  RollMatrix,
  VintageCurve,
} from './measures-types.ts';

/**
 * Kinds of entry that change one debtor account's balance after it was placed (remittances and
 * commission transfers are the client's; an account placed after a date is not counted on it).
 */
const balanceEntryKinds = [
  'accrual',
  'payment',
  'direct_payment',
  'reversal',
  'discount',
  'recall',
  'write_off',
  'adjustment',
];
/** Entries that carry a period's flows: payments, write-offs and the reversals of either. */
const flowEntryKinds = ['payment', 'direct_payment', 'reversal', 'write_off'];
const closedStatuses = ['recalled', 'written_off', 'closed'];
const paidStatuses = ['paid', 'settled'];

function textList(values: readonly string[]): RawBuilder<unknown> {
  return sql`(${sql.join(values.map((value) => sql.lit(value)))})`;
}

/** The first instant of a business date in the business zone. */
function startOf(date: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(${date}::timestamp AT TIME ZONE ${sql.lit(businessZone)})`;
}

/** The month ('YYYY-MM', Asia/Shanghai) an account's batch was approved in: its vintage. */
const vintageOfBatch = sql<string>`to_char(b.decided_at AT TIME ZONE ${sql.lit(businessZone)}, 'YYYY-MM')`;

/** The clients a cut reads: the caller's scope narrowed to the cut's client; null when none remain. */
function clientsOf(cut: MeasureCut): bigint[] | 'all' | null {
  if (cut.clientId !== undefined) {
    if (cut.clientIds !== 'all' && !cut.clientIds.includes(cut.clientId)) return null;
    return [cut.clientId];
  }
  if (cut.clientIds !== 'all' && cut.clientIds.length === 0) return null;
  return cut.clientIds;
}

/** `column` is one of the clients (an index condition on journal_entries' leading client_id). */
function clientIn(column: string, clients: bigint[] | 'all'): RawBuilder<SqlBool> {
  return clients === 'all'
    ? sql<SqlBool>`${sql.ref(column)} = ANY(ARRAY(SELECT id FROM clients))`
    : sql<SqlBool>`${sql.ref(column)} = ANY(${clients.map(String)}::bigint[])`;
}

interface Needs {
  assignment: boolean;
  state: boolean;
  treatment: boolean;
}

/** What each dimension groups by, per account in `a` (with its joins), '' when the account has none. */
function keyOf(dimension: MeasureDimension | null): RawBuilder<string> {
  switch (dimension) {
    case null:
      return sql<string>`''`;
    case 'client':
      return sql<string>`a.client_id::text`;
    case 'batch':
      return sql<string>`a.batch_id::text`;
    case 'vintage':
      return sql<string>`coalesce(${vintageOfBatch}, '')`;
    case 'team':
      return sql<string>`coalesce(aa.team_id::text, '')`;
    case 'agent':
      return sql<string>`coalesce(aa.agent, '')`;
    case 'product':
      return sql<string>`coalesce(a.product_type, '')`;
    case 'bucket':
      return sql<string>`coalesce(st.bucket, '')`;
    case 'segment':
      return sql<string>`coalesce(tr.segment, '')`;
    case 'arm':
      return sql<string>`coalesce(tr.arm, '')`;
  }
}

/**
 * The `acc` CTE: the cut's accounts (currency, client scope, every cut given) with what the other
 * CTEs read and their dimension key. Joins only the tables the cut and the dimension need.
 */
function accountsOfCut(
  cut: MeasureCut,
  clients: bigint[] | 'all',
  dimension: MeasureDimension | null,
): RawBuilder<unknown> {
  const needs: Needs = {
    assignment:
      cut.teamId !== undefined || cut.agent !== undefined || dimension === 'team' || dimension === 'agent',
    state: cut.bucket !== undefined || dimension === 'bucket',
    treatment:
      cut.segment !== undefined || cut.arm !== undefined || dimension === 'segment' || dimension === 'arm',
  };
  const conditions: RawBuilder<SqlBool>[] = [
    sql<SqlBool>`a.currency = ${cut.currency}`,
    // every client: no condition (row-level security still narrows to the caller's clients)
    clients === 'all' ? sql<SqlBool>`true` : clientIn('a.client_id', clients),
  ];
  if (cut.batchId !== undefined) conditions.push(sql<SqlBool>`a.batch_id = ${cut.batchId}`);
  if (cut.vintage !== undefined) {
    parseMonth(cut.vintage, 'vintage');
    conditions.push(sql<SqlBool>`${vintageOfBatch} = ${cut.vintage}`);
  }
  if (cut.teamId !== undefined) conditions.push(sql<SqlBool>`aa.team_id = ${cut.teamId}`);
  if (cut.agent !== undefined) conditions.push(sql<SqlBool>`aa.agent = ${cut.agent}`);
  if (cut.product !== undefined) conditions.push(sql<SqlBool>`a.product_type = ${cut.product}`);
  if (cut.bucket !== undefined) conditions.push(sql<SqlBool>`st.bucket = ${cut.bucket}`);
  if (cut.segment !== undefined) conditions.push(sql<SqlBool>`tr.segment = ${cut.segment}`);
  if (cut.arm !== undefined) conditions.push(sql<SqlBool>`tr.arm = ${cut.arm}`);
  const joins = [
    // always: an account is placed (live, its status counts) from its batch's approval
    sql`JOIN placement_batches b ON b.id = a.batch_id`,
    needs.assignment
      ? sql`LEFT JOIN account_assignments aa ON aa.client_id = a.client_id AND aa.account_id = a.id`
      : sql``,
    needs.state
      ? sql`LEFT JOIN account_states st ON st.client_id = a.client_id AND st.account_id = a.id`
      : sql``,
    needs.treatment
      ? sql`LEFT JOIN account_treatments tr ON tr.client_id = a.client_id AND tr.account_id = a.id`
      : sql``,
  ];
  return sql`
    acc AS MATERIALIZED (
      SELECT a.id, a.client_id, a.batch_id, a.debtor_id, a.status, a.delinquency_date, b.decided_at AS placed_at,
             a.placed_principal_minor + a.placed_interest_minor + a.placed_fees_minor + a.placed_penalty_minor AS placed,
             a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance,
             ${keyOf(dimension)} AS key
        FROM accounts a ${sql.join(joins, sql` `)}
       WHERE ${sql.join(conditions, sql` AND `)})`;
}

/** The business date an account was placed: its placement entry's, else (nothing placed) its batch's approval. */
function placedOn(account: string): RawBuilder<unknown> {
  return sql`coalesce(
    (SELECT min(pe.effective_date) FROM journal_entries pe
      WHERE pe.account_id = ${sql.ref(`${account}.id`)} AND pe.kind = 'placement'),
    (SELECT (pb.decided_at AT TIME ZONE ${sql.lit(businessZone)})::date FROM placement_batches pb
      WHERE pb.id = ${sql.ref(`${account}.batch_id`)}))`;
}

/**
 * Status changes after `instant` of accounts placed by then (the first one's `from_status` is the
 * status the account had at that instant). Placements are left out: whether an account was placed by
 * an instant is its batch's approval time, and 'placed' events are nearly every row of account_events.
 */
function changesAfter(instant: RawBuilder<unknown>, clients: bigint[] | 'all'): RawBuilder<unknown> {
  return sql`
      SELECT DISTINCT ON (e.account_id) e.account_id, e.from_status
        FROM account_events e
       WHERE e.at >= ${instant} AND e.kind <> 'placed' AND e.to_status IS NOT NULL
         AND ${clients === 'all' ? sql`true` : clientIn('e.client_id', clients)}
       ORDER BY e.account_id, e.at, e.id`;
}

/**
 * One row of facts per key of the cut's accounts (see MeasureFacts), in one statement. The cut's
 * accounts are read once (`acc`); each kind of fact is gathered per account from its own table,
 * bounded by the period (entries through journal_entries_client_kind, their postings through the
 * postings key), and one pass over `acc` joins them and sums per key. The percentiles, which cannot
 * be summed in that pass (PostgreSQL sorts for an ordered-set aggregate), come per key from the
 * accounts that have a first or full payment in the period.
 */
function factsQuery(
  cut: MeasureCut,
  clients: bigint[] | 'all',
  period: MeasurePeriod,
  dimension: MeasureDimension | null,
  label: RawBuilder<string>,
  limit: number | null,
): RawBuilder<MeasureFacts & { key: string; label: string }> {
  const from = sql`${period.from}::date`;
  const to = sql`${period.to}::date`;
  const fromInstant = startOf(from);
  const untilInstant = startOf(sql`(${to} + 1)`);
  const payments = textList(paymentKinds);
  const paid = textList(paidStatuses);
  const ofClients = (column: string) => (clients === 'all' ? sql`true` : clientIn(column, clients));
  // active at the end of the period: placed by then, and its status then (now's, or the one its first
  // change since left) is active
  const liveAtEnd = sql`acc.placed_at < ${untilInstant}
    AND (CASE WHEN ch.account_id IS NULL THEN acc.status ELSE ch.from_status END) = 'active'`;
  return sql<MeasureFacts & { key: string; label: string }>`
    WITH ${accountsOfCut(cut, clients, dimension)},
    ent AS MATERIALIZED (
      SELECT je.id, je.account_id, je.kind, je.effective_date, acc.key, acc.batch_id,
             CASE WHEN je.kind = 'reversal'
                  THEN (SELECT o.kind FROM journal_entries o WHERE o.id = je.reverses_entry_id) END AS reversed_kind
        FROM journal_entries je
        JOIN acc ON acc.id = je.account_id
       WHERE ${clientIn('je.client_id', clients)} AND je.kind IN ${textList(flowEntryKinds)}
         AND je.effective_date BETWEEN ${from} AND ${to}),
    per_account AS (
      SELECT ent.account_id, sum(m.trust) AS trust, sum(m.direct) AS direct, sum(m.commission) AS commission,
             sum(m.written_off) AS written_off,
             count(*) FILTER (WHERE ent.kind IN ${payments})
               - count(*) FILTER (WHERE ent.reversed_kind IN ${payments}) AS payments
        FROM ent
        CROSS JOIN LATERAL (
          SELECT coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:collected'), 0) AS trust,
                 coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:direct_paid'), 0) AS direct,
                 -coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:commission_revenue'), 0) AS commission,
                 coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:written_off'), 0) AS written_off
            FROM postings p WHERE p.entry_id = ent.id) m
       GROUP BY ent.account_id),
    first_days AS (
      SELECT f.key, count(*)::int AS accounts,
             percentile_disc(0.5) WITHIN GROUP (ORDER BY f.days) AS median_days,
             percentile_disc(0.9) WITHIN GROUP (ORDER BY f.days) AS p90_days
        FROM (SELECT fp.key, fp.paid_on - ${placedOn('fp')} AS days
                FROM (SELECT DISTINCT ON (ent.account_id) ent.account_id AS id, ent.key, ent.batch_id,
                             ent.effective_date AS paid_on
                        FROM ent
                       WHERE ent.kind IN ${payments}
                         AND NOT EXISTS (SELECT FROM journal_entries e0
                                          WHERE e0.account_id = ent.account_id AND e0.kind IN ${payments}
                                            AND e0.effective_date < ${from})
                       ORDER BY ent.account_id, ent.effective_date) fp) f
       GROUP BY f.key),
    full_days AS (
      SELECT f.key, count(*)::int AS accounts,
             percentile_disc(0.5) WITHIN GROUP (ORDER BY f.days) AS median_days,
             percentile_disc(0.9) WITHIN GROUP (ORDER BY f.days) AS p90_days
        -- the day of the payment that paid the account off (its entry's effective date), not the
        -- day it was posted: a bank file imported late would otherwise add its delay
        FROM (SELECT fp.key, fp.paid_on - ${placedOn('fp')} AS days
                FROM (SELECT DISTINCT ON (e.account_id) acc.id, acc.key, acc.batch_id, pd.paid_on
                        FROM account_events e JOIN acc ON acc.id = e.account_id
                        CROSS JOIN LATERAL (
                          SELECT coalesce((SELECT je.effective_date FROM journal_entries je WHERE je.id = e.entry_id),
                                          (e.at AT TIME ZONE ${sql.lit(businessZone)})::date) AS paid_on) pd
                       WHERE e.to_status IN ${paid} AND ${ofClients('e.client_id')}
                       ORDER BY e.account_id, pd.paid_on, e.id) fp
               WHERE fp.paid_on BETWEEN ${from} AND ${to}) f
       GROUP BY f.key),
    contacts AS (
      SELECT c.account_id, count(*) AS attempts,
             count(*) FILTER (WHERE c.disposition IN ${textList(reachedDispositions)}) AS reached,
             count(*) FILTER (WHERE c.disposition IN ${textList(rightPartyDispositions)}) AS right_party
        FROM contact_attempts c
       WHERE c.at >= ${fromInstant} AND c.at < ${untilInstant} AND ${ofClients('c.client_id')}
       GROUP BY c.account_id),
    promised AS (
      SELECT p.account_id,
             count(*) FILTER (WHERE p.promised_on BETWEEN ${from} AND ${to}) AS made,
             -- due and decided: an open promise the nightly run has not yet judged is neither kept nor broken
             count(*) FILTER (WHERE p.due_on + p.grace_days BETWEEN ${from} AND ${to}
                                AND p.status IN ('kept', 'broken')) AS due,
             count(*) FILTER (WHERE p.due_on + p.grace_days BETWEEN ${from} AND ${to}
                                AND p.status = 'kept') AS kept
        FROM promises p
       WHERE (p.promised_on BETWEEN ${from} AND ${to} OR p.due_on + p.grace_days BETWEEN ${from} AND ${to})
         AND ${ofClients('p.client_id')}
       GROUP BY p.account_id),
    plans AS (
      SELECT pl.account_id, count(*) AS ended,
             count(*) FILTER (WHERE pl.completed_on BETWEEN ${from} AND ${to}) AS completed
        FROM payment_plans pl
       WHERE (pl.completed_on BETWEEN ${from} AND ${to} OR pl.broken_at BETWEEN ${from} AND ${to})
         AND ${ofClients('pl.client_id')}
       GROUP BY pl.account_id),
    changed AS MATERIALIZED (${changesAfter(untilInstant, clients)}),
    lost AS (
      -- placed by the period's end and possibly live then (active now, or changed since); whether it
      -- was live is decided in per_key, so no set of every live account is built and joined back
      SELECT acc.id FROM acc
       WHERE acc.placed_at < ${untilInstant}
         AND (acc.status = 'active' OR acc.id IN (SELECT account_id FROM changed))
         AND NOT EXISTS (SELECT FROM contact_points cp
                          WHERE cp.debtor_id = acc.debtor_id AND cp.status IN ('valid', 'unverified'))
      UNION
      SELECT acc.id FROM acc JOIN compliance_lost_contact l ON l.debtor_id = acc.debtor_id AND l.cleared_at IS NULL),
    per_key AS (
      SELECT acc.key,
             -- placed by the period's end: an account placed later had nothing to pay in the period
             count(*) FILTER (WHERE acc.placed_at < ${untilInstant})::int AS accounts_placed,
             coalesce(sum(acc.placed) FILTER (WHERE acc.placed_at < ${untilInstant}), 0)::int8 AS placed_minor,
             coalesce(sum(pa.trust), 0)::int8 AS collected_trust_minor,
             coalesce(sum(pa.direct), 0)::int8 AS collected_direct_minor,
             coalesce(sum(pa.payments), 0)::int AS payments,
             count(*) FILTER (WHERE pa.trust + pa.direct > 0)::int AS accounts_paying,
             coalesce(sum(pa.commission), 0)::int8 AS commission_minor,
             -- kpi.md: gross collected in trust less the commission (on trust and direct payments alike)
             (coalesce(sum(pa.trust), 0) - coalesce(sum(pa.commission), 0))::int8 AS net_to_client_minor,
             coalesce(sum(pa.written_off), 0)::int8 AS written_off_minor,
             coalesce(sum(ct.attempts), 0)::int AS attempts, coalesce(sum(ct.reached), 0)::int AS reached,
             coalesce(sum(ct.right_party), 0)::int AS right_party,
             coalesce(sum(pr.made), 0)::int AS promises_made, coalesce(sum(pr.due), 0)::int AS promises_due,
             coalesce(sum(pr.kept), 0)::int AS promises_kept,
             coalesce(sum(pl.ended), 0)::int AS plans_ended, coalesce(sum(pl.completed), 0)::int AS plans_completed,
             count(*) FILTER (WHERE ${liveAtEnd})::int AS live_accounts,
             count(lo.id) FILTER (WHERE ${liveAtEnd})::int AS lost_contact_accounts
        FROM acc
        LEFT JOIN per_account pa ON pa.account_id = acc.id
        LEFT JOIN contacts ct ON ct.account_id = acc.id
        LEFT JOIN promised pr ON pr.account_id = acc.id
        LEFT JOIN plans pl ON pl.account_id = acc.id
        LEFT JOIN changed ch ON ch.account_id = acc.id
        LEFT JOIN lost lo ON lo.id = acc.id
       GROUP BY acc.key)
    SELECT base.*, ${label} AS label,
           base.collected_trust_minor + base.collected_direct_minor AS collected_minor,
           coalesce(first_days.accounts, 0) AS first_payment_accounts,
           first_days.median_days AS first_payment_median_days, first_days.p90_days AS first_payment_p90_days,
           coalesce(full_days.accounts, 0) AS full_payment_accounts,
           full_days.median_days AS full_payment_median_days, full_days.p90_days AS full_payment_p90_days
      FROM per_key base
      LEFT JOIN first_days USING (key)
      LEFT JOIN full_days USING (key)
     ORDER BY collected_minor DESC, base.key
     ${limit === null ? sql`` : sql`LIMIT ${limit}`}`;
}

/** How long one measures statement may run: an interactive question, not a batch job. */
export const measureLimits = { timeout_ms: 60_000 };

/**
 * Runs one measures statement with settings local to the caller's transaction (the routes run each
 * in one, readScoped): no JIT — at a million accounts the cost estimates pass jit_above_cost and
 * compiling took 2.5–4 s, more than running them; room for the hash tables of a cut's accounts (64 MB
 * a node, as the payment posting has: bounded, since a statement has about ten such nodes and several
 * people may look at once); and a time limit, past which the caller is told to ask for less.
 */
async function counted<R>(db: Db, statement: RawBuilder<R>): Promise<QueryResult<R>> {
  await sql`SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
                   set_config('statement_timeout', ${String(measureLimits.timeout_ms)}, true)`.execute(db);
  try {
    return await statement.execute(db);
  } catch (error) {
    // 57014 query_canceled: the statement ran past statement_timeout
    if ((error as { code?: string }).code === '57014') {
      throw new HuikuanError(
        'limit_exceeded',
        `Counting these measures took longer than ${Math.round(measureLimits.timeout_ms / 1000)} s. Narrow the cut (a client, a batch or a vintage) or shorten the period, and ask again.`,
        undefined,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The measures of kpi.md for the cut's accounts over the period (measures-types.ts says what each
 * is). Choices the spec leaves open:
 * - a promise is kept when the nightly run marked it kept: that rule already counts only payments
 *   effective by due + grace, while its kept_on is the date of the run that saw it (often the day
 *   after), so kept_on is not compared;
 * - live = active at the end of the period's last day (exact, from account_events); lost contact is
 *   today's state of the debtor (an open lost-contact mark, or no valid / unverified contact point);
 * - the first payment is the account's first payment or direct-payment entry ever, even if it was
 *   reversed later (it was received); days count from its placement entry's date.
 */
export async function measureSummary(db: Db, cut: MeasureCut, period: MeasurePeriod): Promise<MeasureValues> {
  checkPeriod(period);
  const clients = clientsOf(cut);
  if (clients === null) return emptyMeasureValues();
  const result = await counted(db, factsQuery(cut, clients, period, null, sql<string>`''`, null));
  const row = result.rows[0];
  return row ? measureValuesOf(row) : emptyMeasureValues();
}

/** What people read for a dimension's key (the key itself where it is already readable). */
function labelOf(dimension: MeasureDimension): RawBuilder<string> {
  switch (dimension) {
    case 'client':
      return sql<string>`coalesce((SELECT c.name FROM clients c WHERE c.id = base.key::bigint), base.key)`;
    case 'batch':
      return sql<string>`coalesce((SELECT pb.name FROM placement_batches pb WHERE pb.id = base.key::bigint), base.key)`;
    case 'team':
      return sql<string>`CASE WHEN base.key = '' THEN ''
        ELSE coalesce((SELECT t.name FROM teams t WHERE t.id = base.key::bigint), base.key) END`;
    case 'agent':
      return sql<string>`CASE WHEN base.key = '' THEN ''
        ELSE coalesce((SELECT u.display_name FROM users u WHERE u.username = base.key LIMIT 1), base.key) END`;
    default:
      return sql<string>`base.key`;
  }
}

/**
 * The same measures per value of a dimension among the cut's accounts (accounts with none under ''),
 * most collected first, then by key; at most `limit` rows, `truncated` when there were more.
 */
export async function measuresBy(
  db: Db,
  dimension: MeasureDimension,
  cut: MeasureCut,
  period: MeasurePeriod,
  limit: number,
): Promise<{ rows: MeasureRow[]; truncated: boolean }> {
  checkPeriod(period);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new HuikuanError('bad_input', `The row limit ${limit} is not a whole number from 1.`);
  }
  const clients = clientsOf(cut);
  if (clients === null) return { rows: [], truncated: false };
  const result = await counted(
    db,
    factsQuery(cut, clients, period, dimension, labelOf(dimension), limit + 1),
  );
  const rows = result.rows
    .slice(0, limit)
    .map((row) => ({ key: row.key, label: row.label ?? row.key, ...measureValuesOf(row) }));
  return { rows, truncated: result.rows.length > limit };
}

/**
 * The liquidation curve: per vintage (the month its batch was approved, Asia/Shanghai) among the
 * cut's accounts, the latest `vintages` up to today's month, oldest first; cumulative collections
 * (trust + direct, net of reversals, by effective date, up to today) at the end of month 0, 1, … since
 * placement over the vintage's placed balance.
 */
export async function recoveryCurves(
  db: Db,
  cut: MeasureCut,
  options: { months: number; vintages: number; today: string },
): Promise<VintageCurve[]> {
  if (!Number.isInteger(options.months) || options.months < 1)
    throw new HuikuanError(
      'bad_input',
      `The number of months ${options.months} is not a whole number from 1.`,
    );
  if (!Number.isInteger(options.vintages) || options.vintages < 1)
    throw new HuikuanError(
      'bad_input',
      `The number of vintages ${options.vintages} is not a whole number from 1.`,
    );
  checkPeriod({ from: options.today, to: options.today }, 'curve');
  const clients = clientsOf(cut);
  if (clients === null) return [];
  const todayMonth = monthOf(options.today);
  const rows = await counted(
    db,
    sql<{
      vintage: string;
      accounts: number;
      placed_minor: bigint;
      month: number | null;
      collected_minor: bigint | null;
    }>`
    WITH ${accountsOfCut(cut, clients, 'vintage')},
    vint AS (
      SELECT key AS vintage, count(*)::int AS accounts, coalesce(sum(placed), 0)::int8 AS placed_minor
        FROM acc WHERE key <> '' AND key <= ${todayMonth}
       GROUP BY key ORDER BY key DESC LIMIT ${options.vintages}),
    ent AS (
      SELECT je.id, je.effective_date, acc.key
        FROM journal_entries je
        JOIN acc ON acc.id = je.account_id
       WHERE ${clientIn('je.client_id', clients)} AND je.kind IN ${textList([...paymentKinds, 'reversal'])}
         AND je.effective_date BETWEEN ((SELECT min(vintage) FROM vint) || '-01')::date AND ${options.today}::date
         AND acc.key IN (SELECT vintage FROM vint)),
    by_month AS (
      SELECT ent.key,
             (extract(year FROM ent.effective_date)::int * 12 + extract(month FROM ent.effective_date)::int)
               - (substr(ent.key, 1, 4)::int * 12 + substr(ent.key, 6, 2)::int) AS month,
             sum(p.amount_minor)::int8 AS collected_minor
        FROM ent JOIN postings p ON p.entry_id = ent.id
       WHERE p.ledger_account IN ('client:collected', 'client:direct_paid')
       GROUP BY 1, 2)
    SELECT vint.vintage, vint.accounts, vint.placed_minor, by_month.month, by_month.collected_minor
      FROM vint LEFT JOIN by_month ON by_month.key = vint.vintage
     ORDER BY vint.vintage, by_month.month`,
  );
  // rows come oldest vintage first; a Map keeps that order
  const byVintage = new Map<string, { accounts: number; placed: bigint; byMonth: Map<number, bigint> }>();
  for (const row of rows.rows) {
    let vintage = byVintage.get(row.vintage);
    if (!vintage) {
      vintage = { accounts: row.accounts, placed: row.placed_minor, byMonth: new Map() };
      byVintage.set(row.vintage, vintage);
    }
    if (row.month !== null && row.collected_minor !== null)
      vintage.byMonth.set(row.month, row.collected_minor);
  }
  return [...byVintage].map(([vintage, facts]) =>
    curveOf(vintage, facts.accounts, facts.placed, facts.byMonth, options.months, todayMonth),
  );
}

/**
 * kpi.md's roll rates for a month: the cut's accounts active at the start of its first day (so what
 * happens on the 1st falls inside the month, not between two matrices), by their bucket then (days
 * past due = that date − delinquency date) and their balance then, against where each was at the end
 * of the last day — closed (recalled, written off, closed), paid (paid, settled
 * or no balance left) or its bucket then. Balances on a date are the cached balances less the debt
 * postings of the entries dated after it; statuses come from account_events (Asia/Shanghai days).
 */
export async function rollRates(db: Db, cut: MeasureCut, month: string): Promise<RollMatrix> {
  parseMonth(month);
  const days = monthDays(month);
  const clients = clientsOf(cut);
  if (clients === null) return rollMatrixOf(month, days, []);
  const first = sql`${days.from}::date`;
  const last = sql`${days.to}::date`;
  const firstStart = startOf(first);
  const lastEnd = startOf(sql`(${last} + 1)`);
  const rows = await counted(
    db,
    sql<{ from_bucket: string; to_state: string; accounts: number; balance_minor: bigint }>`
    WITH ${accountsOfCut(cut, clients, null)},
    changed_first AS MATERIALIZED (${changesAfter(firstStart, clients)}),
    changed_last AS MATERIALIZED (${changesAfter(lastEnd, clients)}),
    start AS MATERIALIZED (
      SELECT acc.id, acc.status, acc.balance, acc.delinquency_date
        FROM acc LEFT JOIN changed_first cf ON cf.account_id = acc.id
       WHERE acc.placed_at < ${firstStart}
         AND (CASE WHEN cf.account_id IS NULL THEN acc.status ELSE cf.from_status END) = 'active'),
    moved AS (
      SELECT je.account_id, sum(m.debt) AS after_first,
             coalesce(sum(m.debt) FILTER (WHERE je.effective_date > ${last}), 0) AS after_last
        FROM journal_entries je
        -- acc, not start: joined to start, whose size the planner cannot know, it walked every
        -- account's entries instead of the index of the entries after the date
        JOIN acc ON acc.id = je.account_id
        CROSS JOIN LATERAL (
          SELECT coalesce(sum(p.amount_minor), 0) AS debt FROM postings p
           WHERE p.entry_id = je.id AND p.account_id = je.account_id
             AND p.ledger_account IN ('debt:principal', 'debt:interest', 'debt:fees', 'debt:penalty')) m
       WHERE ${clientIn('je.client_id', clients)} AND je.kind IN ${textList(balanceEntryKinds)}
         AND je.effective_date >= ${first}
       GROUP BY je.account_id),
    f AS (
      SELECT ${first} - start.delinquency_date AS dpd_first,
             ${last} - start.delinquency_date AS dpd_last,
             start.balance - coalesce(m.after_first, 0) AS balance_first,
             start.balance - coalesce(m.after_last, 0) AS balance_last,
             CASE WHEN cl.account_id IS NULL THEN start.status ELSE cl.from_status END AS status_last
        FROM start
        LEFT JOIN moved m ON m.account_id = start.id
        LEFT JOIN changed_last cl ON cl.account_id = start.id),
    classified AS (
      SELECT ${sql.raw(bucketCaseSql('f.dpd_first'))} AS from_bucket, f.balance_first,
             CASE WHEN f.status_last IN ${textList(closedStatuses)} THEN 'closed'
                  WHEN f.status_last IN ${textList(paidStatuses)} OR f.balance_last = 0 THEN 'paid'
                  ELSE ${sql.raw(bucketCaseSql('f.dpd_last'))} END AS to_state
        FROM f)
    SELECT from_bucket, to_state, count(*)::int AS accounts, coalesce(sum(balance_first), 0)::int8 AS balance_minor
      FROM classified GROUP BY 1, 2`,
  );
  return rollMatrixOf(month, days, rows.rows);
}

/** A proportion measure over two periods, compared (measures-model.ts compareProportions). */
export async function compareMeasure(
  db: Db,
  measure: ComparableMeasure,
  cut: MeasureCut,
  before: MeasurePeriod,
  after: MeasurePeriod,
): Promise<Comparison> {
  checkPeriod(before, 'before period');
  checkPeriod(after, 'after period');
  const beforeValues = await measureSummary(db, cut, before);
  const afterValues = await measureSummary(db, cut, after);
  return comparison(measure, beforeValues[measure], before, afterValues[measure], after);
}
