/**
 * The feature builder: one row per account with features computed only from what was known on or
 * before a date — balance and its components from the postings effective up to it (not the cached
 * balance on `accounts`, which is today's), days past due and bucket on it, product, days since
 * placement, payments in the 30 / 90 days up to it, payments ever, and, when their tables exist,
 * contact attempts, promises made / kept / broken, plan status, the lost-contact flag and dispute /
 * bankruptcy / deceased holds. For training, the outcome `paid`: payments in (date, date + N days]
 * reach the share asked of the balance on the date. One set-based query per call.
 */
import { type RawBuilder, sql } from 'kysely';
import { splitCells } from '../../db/columns.ts';
import type { Db } from '../../db/connection.ts';
import type { BusinessDate } from '../../shared/dates.ts';
import { HuikuanError } from '../../shared/errors.ts';
import { bucketCaseSql } from '../../strategy/model.ts';
import type { Table } from '../data.ts';

/** Which optional source tables exist in this database (other modules' migrations). */
export interface Sources {
  /** contact_attempts (src/worklist, migration 0019) */
  contacts: boolean;
  /** promises (src/worklist) */
  promises: boolean;
  /** payment_plans (src/worklist) */
  plans: boolean;
  /** compliance_holds (src/compliance, 0016) */
  holds: boolean;
  /** compliance_lost_contact (src/compliance, 0016) */
  lostContact: boolean;
}

export async function availableSources(db: Db): Promise<Sources> {
  const found = await sql<Sources>`
    SELECT to_regclass('contact_attempts') IS NOT NULL AS contacts,
           to_regclass('promises') IS NOT NULL AS promises,
           to_regclass('payment_plans') IS NOT NULL AS plans,
           to_regclass('compliance_holds') IS NOT NULL AS holds,
           to_regclass('compliance_lost_contact') IS NOT NULL AS "lostContact"`.execute(db);
  const row = found.rows[0];
  if (!row) throw new HuikuanError('internal', 'Could not read which tables exist.');
  return row;
}

/** The feature columns for the sources present, in the order the query returns them. */
export function featureNames(sources: Sources): string[] {
  return [
    'principal_minor',
    'interest_minor',
    'fees_minor',
    'penalty_minor',
    'balance_minor',
    'days_past_due',
    'bucket',
    'product_type',
    'days_since_placement',
    'paid_30d_minor',
    'paid_90d_minor',
    'payments_ever',
    'days_since_payment',
    ...(sources.contacts ? ['contact_attempts_90d', 'right_party_contacts_90d', 'days_since_contact'] : []),
    ...(sources.promises ? ['promises_made', 'promises_kept', 'promises_broken'] : []),
    ...(sources.plans ? ['plan_status'] : []),
    ...(sources.lostContact ? ['lost_contact'] : []),
    ...(sources.holds || sources.contacts ? ['dispute', 'bankruptcy_deceased'] : []),
  ];
}

/** Features the builder leaves out, with why (shown by the CLI and the README). */
export function missingFeatures(sources: Sources): Array<{ feature: string; reason: string }> {
  const out: Array<{ feature: string; reason: string }> = [];
  if (!sources.contacts)
    out.push({
      feature: 'contact attempts',
      reason: 'no contact_attempts table (src/worklist) in this database',
    });
  if (!sources.promises)
    out.push({ feature: 'promises', reason: 'no promises table (src/worklist) in this database' });
  if (!sources.plans)
    out.push({ feature: 'plan status', reason: 'no payment_plans table (src/worklist) in this database' });
  if (!sources.lostContact)
    out.push({ feature: 'lost contact', reason: 'no compliance_lost_contact table in this database' });
  return out;
}

export interface FeatureQuery {
  asOf: BusinessDate;
  clientId?: bigint;
  /**
   * scoring: a slice of one client's accounts by id, and only accounts live now. Other clients'
   * accounts may lie in the range (ids follow placement, not client); only this client's entries are
   * read (from `acc`), the range bounds the index scan.
   */
  range?: { from: bigint; to: bigint };
  /** training: the outcome window */
  outcome?: { days: number; paidShare: number };
}

export interface FeatureRows {
  names: string[];
  /** account id, client id, then one text cell per feature ('' = missing), then `paid` when asked */
  rows: Array<{ account_id: bigint; client_id: bigint; cells: string[] }>;
}

const paymentKinds = "('payment', 'direct_payment')";
const bucketOf = sql.raw(bucketCaseSql('f.dpd'));

/** What each entry moved on its account's debt, summed from its debt postings. */
const debtSums = sql`
  coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'debt:principal'), 0) AS principal,
  coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'debt:interest'), 0) AS interest,
  coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'debt:fees'), 0) AS fees,
  coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'debt:penalty'), 0) AS penalty,
  -sum(p.amount_minor) AS paid`;

/**
 * The `mv` and `ag` CTEs: per account in `acc`, its balance by component, placement date and payment
 * figures on the date `d` (and the payments after it up to `horizon`, for training's outcome).
 *
 * Training reads the whole ledger: every entry's debt postings, hash-joined. Scoring reads one slice
 * of a partition's accounts each night; joining the whole postings table there made each slice cost
 * as much as the ledger (1.3 s per 50,000 accounts at 200,000, growing with every account placed), so
 * it starts from the accounts' cached balances (ledger invariant 4: the sum of their debt postings)
 * less the entries dated after `d`, and reads postings only for those entries and the payments and
 * reversals, each through the postings key. src/risk/platform/features.test.ts holds the two equal.
 */
function aggregates(
  query: FeatureQuery,
  d: RawBuilder<unknown>,
  horizon: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const isPayment = sql`coalesce(orig.kind, je.kind) IN ${sql.raw(paymentKinds)}`;
  const paymentColumns = sql`
             coalesce(sum(mv.paid) FILTER (WHERE mv.is_payment AND mv.d > ${d} - 30 AND mv.d <= ${d}), 0) AS paid_30,
             coalesce(sum(mv.paid) FILTER (WHERE mv.is_payment AND mv.d > ${d} - 90 AND mv.d <= ${d}), 0) AS paid_90,
             count(mv.d) FILTER (WHERE mv.kind IN ${sql.raw(paymentKinds)} AND mv.d <= ${d})
               - count(mv.d) FILTER (WHERE mv.kind = 'reversal' AND mv.is_payment AND mv.d <= ${d}) AS payments_ever,
             max(mv.d) FILTER (WHERE mv.kind IN ${sql.raw(paymentKinds)} AND mv.d <= ${d}) AS last_paid_on,
             sum(mv.paid) FILTER (WHERE mv.is_payment AND mv.d > ${d} AND mv.d <= ${horizon}) AS paid_after`;
  if (!query.range) {
    return sql`
    mv AS (
      SELECT je.account_id, je.effective_date AS d, je.kind, ${isPayment} AS is_payment, ${debtSums}
        FROM acc JOIN journal_entries je ON je.account_id = acc.id
        LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
        JOIN postings p ON p.entry_id = je.id AND p.account_id = acc.id
       WHERE je.effective_date <= ${horizon}
       GROUP BY je.id, je.account_id, je.effective_date, je.kind, orig.kind),
    ag AS (
      SELECT mv.account_id,
             sum(mv.principal) FILTER (WHERE mv.d <= ${d}) AS principal,
             sum(mv.interest) FILTER (WHERE mv.d <= ${d}) AS interest,
             sum(mv.fees) FILTER (WHERE mv.d <= ${d}) AS fees,
             sum(mv.penalty) FILTER (WHERE mv.d <= ${d}) AS penalty,
             min(mv.d) FILTER (WHERE mv.kind = 'placement') AS placed_on,
             ${paymentColumns}
        FROM mv GROUP BY mv.account_id)`;
  }
  const { from, to } = query.range;
  return sql`
    mv AS (
      SELECT je.account_id, je.effective_date AS d, je.kind, ${isPayment} AS is_payment,
             m.principal, m.interest, m.fees, m.penalty, m.paid
        FROM acc JOIN journal_entries je ON je.account_id = acc.id
        LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
        CROSS JOIN LATERAL (
          SELECT ${debtSums}, count(*) AS lines
            FROM postings p WHERE p.entry_id = je.id AND p.account_id = je.account_id) m
       WHERE je.account_id BETWEEN ${from} AND ${to}
         AND (je.effective_date > ${d} OR je.kind IN ('payment', 'direct_payment', 'reversal'))
         AND m.lines > 0),
    placed AS (
      SELECT je.account_id, min(je.effective_date) AS placed_on
        FROM acc JOIN journal_entries je ON je.account_id = acc.id
       WHERE je.account_id BETWEEN ${from} AND ${to} AND je.kind = 'placement'
       GROUP BY je.account_id),
    ag AS (
      SELECT acc.id AS account_id,
             acc.principal_minor - coalesce(sum(mv.principal) FILTER (WHERE mv.d > ${d}), 0) AS principal,
             acc.interest_minor - coalesce(sum(mv.interest) FILTER (WHERE mv.d > ${d}), 0) AS interest,
             acc.fees_minor - coalesce(sum(mv.fees) FILTER (WHERE mv.d > ${d}), 0) AS fees,
             acc.penalty_minor - coalesce(sum(mv.penalty) FILTER (WHERE mv.d > ${d}), 0) AS penalty,
             placed.placed_on,
             ${paymentColumns}
        FROM acc JOIN placed ON placed.account_id = acc.id
        LEFT JOIN mv ON mv.account_id = acc.id
       GROUP BY acc.id, acc.principal_minor, acc.interest_minor, acc.fees_minor, acc.penalty_minor, placed.placed_on)`;
}

/** The features of every account in scope on `asOf`, in one statement. */
export async function queryFeatures(db: Db, query: FeatureQuery, sources: Sources): Promise<FeatureRows> {
  const d = sql`${query.asOf}::date`;
  const next = sql`(${query.asOf}::date + 1)::timestamptz`;
  const horizon = query.outcome ? sql`${query.asOf}::date + ${query.outcome.days}::int` : d;
  const filters: RawBuilder<unknown>[] = [];
  if (query.clientId !== undefined) filters.push(sql`a.client_id = ${query.clientId}`);
  if (query.range) {
    filters.push(sql`a.id BETWEEN ${query.range.from} AND ${query.range.to}`);
    filters.push(sql`a.status IN ('active', 'paid', 'settled')`);
  } else {
    // live on the date: not closed, recalled or written off by then
    filters.push(sql`NOT EXISTS (SELECT FROM account_events e WHERE e.account_id = a.id
                       AND e.to_status IN ('closed', 'recalled', 'written_off') AND e.at < ${next})`);
  }
  const where = sql.join(filters, sql` AND `);
  const optionalCtes: RawBuilder<unknown>[] = [];
  const optionalCols: RawBuilder<unknown>[] = [];
  const optionalJoins: RawBuilder<unknown>[] = [];
  if (sources.contacts) {
    optionalCtes.push(sql`, ca AS (
      SELECT c.account_id,
             count(*) FILTER (WHERE c.at >= ${next} - interval '90 days') AS attempts,
             count(*) FILTER (WHERE c.at >= ${next} - interval '90 days'
                              AND c.disposition IN ('right_party_contact', 'promise_to_pay', 'refuse_to_pay',
                                                    'claims_paid', 'dispute', 'hardship', 'call_back_requested')) AS rpc,
             max(c.at) AS last_at,
             bool_or(c.disposition = 'dispute') AS dispute,
             bool_or(c.disposition IN ('bankruptcy', 'deceased')) AS bankrupt
        FROM acc JOIN contact_attempts c ON c.account_id = acc.id
       WHERE c.at < ${next}
       GROUP BY c.account_id)`);
    optionalCols.push(
      sql`coalesce(ca.attempts, 0)::text, coalesce(ca.rpc, 0)::text,
          (${d} - ca.last_at::date)::text`,
    );
    optionalJoins.push(sql`LEFT JOIN ca ON ca.account_id = f.id`);
  }
  if (sources.promises) {
    optionalCtes.push(sql`, pr AS (
      SELECT p.account_id, count(*) AS made,
             count(*) FILTER (WHERE p.kept_on <= ${d}) AS kept,
             count(*) FILTER (WHERE p.broken_at <= ${d}) AS broken
        FROM acc JOIN promises p ON p.account_id = acc.id
       WHERE p.promised_on <= ${d}
       GROUP BY p.account_id)`);
    optionalCols.push(
      sql`coalesce(pr.made, 0)::text, coalesce(pr.kept, 0)::text, coalesce(pr.broken, 0)::text`,
    );
    optionalJoins.push(sql`LEFT JOIN pr ON pr.account_id = f.id`);
  }
  if (sources.plans) {
    // the latest plan proposed by the date, in the state it was in on the date
    optionalCtes.push(sql`, pl AS (
      SELECT DISTINCT ON (p.account_id) p.account_id,
             CASE WHEN p.broken_at <= ${d} THEN 'broken'
                  WHEN p.completed_on <= ${d} THEN 'completed'
                  WHEN p.decided_at < ${next} AND p.status = 'rejected' THEN 'rejected'
                  WHEN p.decided_at < ${next} AND p.status = 'cancelled' THEN 'cancelled'
                  WHEN p.decided_at < ${next} THEN 'active'
                  ELSE 'pending' END AS state
        FROM acc JOIN payment_plans p ON p.account_id = acc.id
       WHERE p.proposed_at < ${next}
       ORDER BY p.account_id, p.proposed_at DESC, p.id DESC)`);
    optionalCols.push(sql`coalesce(pl.state, 'none')`);
    optionalJoins.push(sql`LEFT JOIN pl ON pl.account_id = f.id`);
  }
  if (sources.lostContact) {
    optionalCols.push(sql`(EXISTS (SELECT FROM compliance_lost_contact l WHERE l.debtor_id = f.debtor_id
                             AND l.set_at < ${next} AND (l.cleared_at IS NULL OR l.cleared_at >= ${next})))::int::text`);
  }
  if (sources.holds || sources.contacts) {
    const held = (kinds: string) =>
      sources.holds
        ? sql`EXISTS (SELECT FROM compliance_holds h WHERE h.debtor_id = f.debtor_id
                 AND (h.account_id IS NULL OR h.account_id = f.id) AND h.kind IN (${sql.raw(kinds)})
                 AND h.starts_at < ${next} AND (h.lifted_at IS NULL OR h.lifted_at >= ${next})
                 AND (h.ends_at IS NULL OR h.ends_at >= ${next}))`
        : sql`false`;
    const told = (column: string) =>
      sources.contacts ? sql`coalesce(ca.${sql.raw(column)}, false)` : sql`false`;
    optionalCols.push(
      sql`(${held("'dispute'")} OR ${told('dispute')})::int::text,
          (${held("'bankruptcy', 'deceased'")} OR ${told('bankrupt')})::int::text`,
    );
  }
  const outcomeCol = query.outcome
    ? sql`, (coalesce(f.paid_after, 0) >= ${query.outcome.paidShare}::numeric * f.balance)::int::text`
    : sql``;
  const extra = optionalCols.length ? sql`, ${sql.join(optionalCols, sql`, `)}` : sql``;
  // the cells as one text split in Node (node-postgres parses a text[] result in JavaScript, cell by
  // cell: most of the nightly scoring's time in Node); product type, the one free-text cell, beside it
  const result = await sql<{
    account_id: bigint;
    client_id: bigint;
    cells: string;
    product_type: string | null;
  }>`
    WITH acc AS (
      SELECT a.id, a.client_id, a.debtor_id, a.delinquency_date, a.product_type, a.principal_minor,
             a.interest_minor, a.fees_minor, a.penalty_minor
        FROM accounts a WHERE ${where}),
    ${aggregates(query, d, horizon)},
    f AS (
      SELECT acc.id, acc.client_id, acc.debtor_id, acc.product_type, ag.principal, ag.interest, ag.fees,
             ag.penalty, ag.placed_on, ag.paid_30, ag.paid_90, ag.payments_ever, ag.last_paid_on, ag.paid_after,
             ag.principal + ag.interest + ag.fees + ag.penalty AS balance,
             ${d} - acc.delinquency_date AS dpd
        FROM acc JOIN ag ON ag.account_id = acc.id
       WHERE ag.placed_on <= ${d})
    ${sql.join(optionalCtes, sql``)}
    SELECT f.id AS account_id, f.client_id, f.product_type, array_to_string(ARRAY[
             f.principal::text, f.interest::text, f.fees::text, f.penalty::text, f.balance::text,
             f.dpd::text, ${bucketOf}, '', (${d} - f.placed_on)::text,
             f.paid_30::text, f.paid_90::text, f.payments_ever::text, (${d} - f.last_paid_on)::text
             ${extra} ${outcomeCol}], E'\x1f', '') AS cells
      FROM f ${sql.join(optionalJoins, sql` `)}
     WHERE ${query.range ? sql`true` : sql`f.balance > 0`}
     ORDER BY f.id`.execute(db);
  const names = featureNames(sources);
  const productType = names.indexOf('product_type');
  return {
    names: query.outcome ? [...names, 'paid'] : names,
    rows: result.rows.map((row) => {
      const cells = splitCells(row.cells);
      cells[productType] = row.product_type ?? '';
      return { account_id: row.account_id, client_id: row.client_id, cells };
    }),
  };
}

export interface TrainingTableOptions {
  observationDate: BusinessDate;
  outcomeDays: number;
  paidShare: number;
  clientId?: bigint;
}

/** Largest training table built in memory. */
export const maxTrainingRows = 2_000_000;

/**
 * The training table on an observation date: `account_id`, the features, and `paid` (1 when the
 * payments after the date and within `outcomeDays` reach `paidShare` of the balance on the date).
 * The window must have closed: a date whose window reaches past today is refused.
 */
export async function buildTrainingTable(db: Db, options: TrainingTableOptions): Promise<Table> {
  if (!Number.isInteger(options.outcomeDays) || options.outcomeDays < 1 || options.outcomeDays > 730) {
    throw new HuikuanError(
      'bad_usage',
      `The outcome window must be 1 to 730 days, not ${options.outcomeDays}.`,
    );
  }
  if (!(options.paidShare > 0 && options.paidShare <= 1)) {
    throw new HuikuanError(
      'bad_usage',
      `The paid share must be above 0 and at most 1 (0.5 = half the balance), not ${options.paidShare}.`,
    );
  }
  const closed = await sql<{ open: boolean }>`
    SELECT ${options.observationDate}::date + ${options.outcomeDays}::int >= current_date AS open`.execute(
    db,
  );
  if (closed.rows[0]?.open) {
    throw new HuikuanError(
      'bad_usage',
      `The outcome window of ${options.observationDate} (${options.outcomeDays} days) has not closed yet. Pick an observation date at least ${options.outcomeDays + 1} days ago.`,
    );
  }
  const sources = await availableSources(db);
  const built = await queryFeatures(
    db,
    {
      asOf: options.observationDate,
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      outcome: { days: options.outcomeDays, paidShare: options.paidShare },
    },
    sources,
  );
  if (built.rows.length > maxTrainingRows) {
    throw new HuikuanError(
      'limit_exceeded',
      `The training table has ${built.rows.length} rows, more than ${maxTrainingRows}; pass a client to build it for one client.`,
    );
  }
  const headers = ['account_id', ...built.names];
  const columns: string[][] = headers.map(() => []);
  for (const row of built.rows) {
    (columns[0] as string[]).push(String(row.account_id));
    for (let c = 0; c < row.cells.length; c++) (columns[c + 1] as string[]).push(row.cells[c] as string);
  }
  return { headers, columns, rows: built.rows.length };
}

/** The table as CSV text (header row first), for `huikuan model train --data`. */
export function tableCsv(table: Table): string {
  const cell = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = [table.headers.map(cell).join(',')];
  for (let r = 0; r < table.rows; r++)
    lines.push(table.columns.map((column) => cell(column[r] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}
