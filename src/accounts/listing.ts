/**
 * Accounts for the API: filtered, paged lists (client scope, batch, status, delinquency bucket,
 * balance range, and a search box matching an exact reference, a debtor name, or an exact phone or
 * ID number through the keyed hash), days past due and bucket, the account's timeline, notes, and
 * revealing one clear value.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import type { AccountStatus } from '../db/schema.ts';
import { addDays, daysBetween, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type PiiCipher, piiCipher } from './pii.ts';
import { checkChineseId, normalisePhone } from './validate.ts';

export const buckets = ['current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'] as const;
export type Bucket = (typeof buckets)[number];

/** M1 = 1–30 days past due … M6 = 151–180, M6+ beyond; not yet due = current. */
export function bucketOf(dpd: number): Bucket {
  if (dpd <= 0) return 'current';
  if (dpd > 180) return 'M6+';
  return `M${Math.ceil(dpd / 30)}` as Bucket;
}

/** The days-past-due range of a bucket, inclusive; null = unbounded. */
export function dpdRange(bucket: Bucket): [number | null, number | null] {
  if (bucket === 'current') return [null, 0];
  if (bucket === 'M6+') return [181, null];
  const n = Number(bucket.slice(1));
  return [(n - 1) * 30 + 1, n * 30];
}

export function daysPastDue(delinquencyDate: string, today: string): number {
  return daysBetween(delinquencyDate, today);
}

/** Lists count their matches up to this many; `total_capped` says when there are more. */
export const countCap = 10_000;

/**
 * With a balance filter (no index holds the balance: it changes with every payment, and an index on
 * it would make every payment's update of the account write index entries) the count reads
 * accounts newest first and stops after this many per client read, whatever it found: an exact count
 * of a rare balance range among a million accounts reads them all (hundreds of milliseconds on every
 * page). When it stops early the total is a lower bound and `total_capped` says so ("at least").
 * Status and bucket have indexes (accounts_closed_newest, accounts_client_delinquency).
 */
export const countScanBudget = 20_000;

export interface AccountFilter {
  clientIds: bigint[] | 'all';
  clientId?: bigint;
  batchId?: bigint;
  status?: AccountStatus;
  bucket?: Bucket;
  minBalanceMinor?: bigint;
  maxBalanceMinor?: bigint;
  q?: string;
  today?: string;
  /** Count every match up to `countCap`, however many accounts that reads (the XLSX export's check). */
  exactCount?: boolean;
  /** Accounts the count reads per client read when row filters apply (default countScanBudget). */
  scanBudget?: number;
  offset: number;
  limit: number;
}

export interface AccountListItem {
  id: bigint;
  client: string;
  client_id: bigint;
  batch_id: bigint;
  ref: string;
  debtor_id: bigint;
  debtor_name: string;
  status: AccountStatus;
  product_type: string | null;
  currency: string;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  overpayment_minor: bigint;
  balance_minor: bigint;
  delinquency_date: string;
  days_past_due: number;
  bucket: Bucket;
}

/** What the search box matched on, the hashes computed once in Node (clear values never reach SQL). */
function searchTerms(q: string, cipher: PiiCipher) {
  const text = q.trim();
  const id = checkChineseId(text.toUpperCase());
  const phone = /^[+\d][\d\s()-]{5,}$/.test(text) ? normalisePhone(text, 'CN') : null;
  return {
    text,
    idHash: id.ok ? cipher.searchHash(id.value.id) : null,
    phoneHash: phone?.ok ? cipher.searchHash(phone.value) : null,
  };
}

/** `text` followed by anything, as a range: LIKE is not leakproof, so under row-level security
 * PostgreSQL will not use it in an index scan (it would see rows the policy hides), while the
 * byte-wise comparisons ~>=~ and ~<~ are, and debtors_name_prefix (text_pattern_ops) answers them. */
function prefixRange(text: string) {
  const chars = [...text];
  const last = chars.pop()?.codePointAt(0) ?? 0;
  let next = last + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  const upper = next > 0x10ffff ? null : chars.join('') + String.fromCodePoint(next);
  return upper === null
    ? sql<SqlBool>`name ~>=~ ${text} AND starts_with(name, ${text})`
    : sql<SqlBool>`name ~>=~ ${text} AND name ~<~ ${upper}`;
}

/** A search counts (and pages through) at most this many matches; past it people type more. */
export const searchCap = 1_000;

/**
 * The search box: the accounts of an exact reference, of debtors whose name begins with the text,
 * or of an exact phone or ID number, within the clients read. Each alternative starts from its own
 * index and stops after `searchCap + 1` accounts: a surname typed alone (欧阳) names thousands of
 * debtors, and counting or sorting all of their accounts would cost more than the page.
 */
function searchMatches(q: string, cipher: PiiCipher, clientIds: bigint[]) {
  const terms = searchTerms(q, cipher);
  const inClients = (column: string) =>
    clientIds.length === 0 ? sql`true` : sql`${sql.ref(column)} IN (${sql.join(clientIds)})`;
  const arms = [
    sql`SELECT a.id FROM accounts a WHERE a.client_account_ref = ${terms.text} AND ${inClients('a.client_id')}`,
    sql`SELECT a.id FROM debtors d JOIN accounts a ON a.debtor_id = d.id
         WHERE ${prefixRange(terms.text)} AND ${inClients('d.client_id')}`,
  ];
  if (terms.idHash)
    arms.push(sql`SELECT a.id FROM debtors d JOIN accounts a ON a.debtor_id = d.id
                   WHERE d.id_number_hash = ${terms.idHash} AND ${inClients('d.client_id')}`);
  if (terms.phoneHash)
    arms.push(sql`SELECT a.id FROM contact_points c JOIN accounts a ON a.debtor_id = c.debtor_id
                   WHERE c.value_hash = ${terms.phoneHash} AND ${inClients('c.client_id')}`);
  return sql`SELECT DISTINCT id FROM (${sql.join(
    arms.map((arm, i) => sql`SELECT * FROM (${arm} LIMIT ${searchCap + 1}) ${sql.id(`m${i}`)}`),
    sql` UNION ALL `,
  )}) m`;
}

/** A row of the list's statement: the item before days past due, bucket and balance are worked out. */
type ListRow = Omit<AccountListItem, 'ref' | 'balance_minor' | 'days_past_due' | 'bucket'> & {
  client_account_ref: string;
};

export async function listAccounts(
  db: Db,
  filter: AccountFilter,
  cipher: PiiCipher = piiCipher(),
): Promise<{ items: AccountListItem[]; total: number; total_capped: boolean }> {
  const today = filter.today ?? todayIn();
  const balance = sql<bigint>`(a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor)`;
  const searching = filter.q !== undefined && filter.q.trim() !== '';
  // The clients to read: the scope, narrowed by the client filter. Without a search each client is
  // read on its own through accounts (client_id, id), newest first, and the branches merged: one
  // scan of the accounts newest first would step over every account of the clients out of view.
  let clients: Array<bigint | null> = filter.clientIds === 'all' ? [null] : filter.clientIds;
  if (filter.clientId !== undefined) clients = clients.filter((c) => c === null || c === filter.clientId);
  if (filter.clientId !== undefined && clients.length > 0) clients = [filter.clientId];
  if (clients.length === 0) return { items: [], total: 0, total_capped: false };
  // Row filters besides the client and the batch (status and bucket have indexes; the balance has none).
  const rowFilters: Array<RawBuilder<SqlBool>> = [];
  if (filter.status !== undefined) rowFilters.push(sql<SqlBool>`a.status = ${filter.status}`);
  if (filter.bucket !== undefined) {
    const [from, to] = dpdRange(filter.bucket);
    // dpd = today − delinquency_date, so a dpd range is a delinquency-date range
    if (to !== null) rowFilters.push(sql<SqlBool>`a.delinquency_date >= ${addDays(today, -to)}`);
    if (from !== null) rowFilters.push(sql<SqlBool>`a.delinquency_date <= ${addDays(today, -from)}`);
  }
  if (filter.minBalanceMinor !== undefined)
    rowFilters.push(sql<SqlBool>`${balance} >= ${filter.minBalanceMinor}`);
  if (filter.maxBalanceMinor !== undefined)
    rowFilters.push(sql<SqlBool>`${balance} <= ${filter.maxBalanceMinor}`);
  const matches =
    rowFilters.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`${sql.join(rowFilters, sql` AND `)}`;
  const budgeted =
    (filter.minBalanceMinor !== undefined || filter.maxBalanceMinor !== undefined) &&
    filter.exactCount !== true;
  const budget = filter.scanBudget ?? countScanBudget;

  /**
   * What one branch reads: one client's accounts (or the scope's, for a search or every client),
   * or one batch's. The batch, else a single client, is named as `= ANY(array)` and read in
   * (batch_id, id) or (client_id, id) order: with `client_id = 1` PostgreSQL treats the client as a
   * constant, may prefer walking the primary key backwards and filtering, and when that client's
   * accounts are the oldest it steps over every newer account of the others (600,000 rows, ≈ 150 ms,
   * for a page of the bench's largest client); likewise sorting a whole batch to read its newest.
   */
  const branchOf = (clientIds: Array<bigint | null>) => {
    const ids = clientIds.filter((c): c is bigint => c !== null);
    const where: Array<RawBuilder<SqlBool>> = [];
    let order = sql`a.id DESC`;
    if (filter.batchId !== undefined) {
      where.push(sql<SqlBool>`a.batch_id = ANY(${[String(filter.batchId)]}::bigint[])`);
      order = sql`a.batch_id DESC, a.id DESC`;
      if (ids.length > 0) where.push(sql<SqlBool>`a.client_id IN (${sql.join(ids)})`);
    } else if (ids.length === 1) {
      where.push(sql<SqlBool>`a.client_id = ANY(${ids.map(String)}::bigint[])`);
      order = sql`a.client_id DESC, a.id DESC`;
    } else if (ids.length > 0) where.push(sql<SqlBool>`a.client_id IN (${sql.join(ids)})`);
    return { where: sql<SqlBool>`${sql.join(where.length === 0 ? [sql`true`] : where, sql` AND `)}`, order };
  };
  const window = filter.offset + filter.limit;
  const columns = sql`a.id, a.client_id, a.batch_id, a.client_account_ref, a.debtor_id, a.status, a.product_type,
    a.currency, a.principal_minor, a.interest_minor, a.fees_minor, a.penalty_minor, a.overpayment_minor,
    a.delinquency_date`;
  const pageOfRows = (rows: RawBuilder<unknown>) => sql`
        SELECT a.*, c.code AS client, d.name AS debtor_name
          FROM (${rows}) a
          JOIN debtors d ON d.id = a.debtor_id
          JOIN clients c ON c.id = a.client_id
         ORDER BY a.id DESC OFFSET ${filter.offset} LIMIT ${filter.limit}`;
  if (searching) {
    // the matches (at most a few times searchCap), then the filters, the total and the page over them
    const ids = clients.filter((c): c is bigint => c !== null);
    const batch = filter.batchId === undefined ? sql`true` : sql`a.batch_id = ${filter.batchId}`;
    const result = await sql<ListRow & { n: string; partial: boolean }>`
      WITH m AS MATERIALIZED (${searchMatches(filter.q as string, cipher, ids)}),
           hits AS MATERIALIZED (SELECT ${columns} FROM m JOIN accounts a ON a.id = m.id WHERE ${batch} AND ${matches})
      SELECT p.*, t.n, t.partial
        FROM (SELECT (SELECT count(*) FROM hits)::text AS n, (SELECT count(*) FROM m) > ${searchCap} AS partial) t
        LEFT JOIN (${pageOfRows(sql`SELECT * FROM hits`)}) p ON true
       ORDER BY p.id DESC`.execute(db);
    return listResult(result.rows, searchCap, today);
  }
  // Every branch is meant to walk an index newest first and stop early. The planner's row estimates
  // assume a client's or batch's accounts are spread evenly over the table; they are not (they
  // arrive batch by batch), so a sequential or bitmap scan "expected" to stop early reads most of the
  // table (660,000 rows for the bench's newest client) or sorts a whole batch. For this transaction
  // only (is_local: nothing leaks to the pool's next user):
  await sql`SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`.execute(
    db,
  );
  const branches = (
    filter.batchId !== undefined || clients.length === 1 ? [clients] : clients.map((c) => [c])
  ).map(branchOf);
  const union = (parts: RawBuilder<unknown>[]) =>
    sql.join(
      parts.map((part, i) => sql`SELECT * FROM (${part}) ${sql.id(`b${i}`)}`),
      sql` UNION ALL `,
    );
  // The total is counted up to a cap: an exact count of a million accounts on every page costs more
  // than the page itself, and past the cap people narrow the search rather than page. With a
  // balance filter each branch also stops after reading its newest countScanBudget accounts; then the
  // total is what it found, a lower bound. It counts the filtered accounts alone (every account has its debtor
  // and client), and it and the page are one statement (after the planner settings above), and an empty page still
  // brings its total.
  const counted = union(
    branches.map((b) =>
      budgeted
        ? sql`SELECT count(*) FILTER (WHERE hit) AS matched, count(*) >= ${budget} AS partial
                FROM (SELECT ${matches} AS hit FROM accounts a WHERE ${b.where}
                       ORDER BY ${b.order} LIMIT ${budget}) s`
        : sql`SELECT count(*) AS matched, false AS partial
                FROM (SELECT 1 FROM accounts a WHERE ${b.where} AND ${matches} LIMIT ${countCap + 1}) s`,
    ),
  );
  const paged = union(
    branches.map(
      (b) =>
        sql`SELECT ${columns} FROM accounts a WHERE ${b.where} AND ${matches} ORDER BY ${b.order} LIMIT ${window}`,
    ),
  );
  const result = await sql<ListRow & { n: string; partial: boolean }>`
    SELECT p.*, t.n, t.partial
      FROM (SELECT sum(matched)::text AS n, bool_or(partial) AS partial FROM (${counted}) u) t
      LEFT JOIN (${pageOfRows(paged)}) p ON true
     ORDER BY p.id DESC`.execute(db);
  return listResult(result.rows, countCap, today);
}

/** The list's answer from its statement's rows: the page (no account on it: one row of the total
 * with the page's columns null) and the total, capped. */
function listResult(
  resultRows: Array<ListRow & { n: string; partial: boolean }>,
  cap: number,
  today: string,
): { items: AccountListItem[]; total: number; total_capped: boolean } {
  const rows = resultRows.filter((row) => row.id !== null);
  const total = Number(resultRows[0]?.n ?? '0');
  return {
    total: Math.min(total, cap),
    total_capped: total > cap || resultRows[0]?.partial === true,
    items: rows.map((row) => {
      const dpd = daysPastDue(row.delinquency_date, today);
      return {
        id: row.id,
        client: row.client,
        client_id: row.client_id,
        batch_id: row.batch_id,
        ref: row.client_account_ref,
        debtor_id: row.debtor_id,
        debtor_name: row.debtor_name,
        status: row.status,
        product_type: row.product_type,
        currency: row.currency.trim(),
        principal_minor: row.principal_minor,
        interest_minor: row.interest_minor,
        fees_minor: row.fees_minor,
        penalty_minor: row.penalty_minor,
        overpayment_minor: row.overpayment_minor,
        balance_minor: row.principal_minor + row.interest_minor + row.fees_minor + row.penalty_minor,
        delinquency_date: row.delinquency_date,
        days_past_due: dpd,
        bucket: bucketOf(dpd),
      };
    }),
  };
}

/** The client of an account (for the scope check), or not_found. */
export async function accountClientId(db: Db, accountId: bigint): Promise<bigint> {
  const row = await db
    .selectFrom('accounts')
    .select('client_id')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  return row.client_id;
}

export interface TimelineItem {
  at: Date;
  type: 'event' | 'entry' | 'note' | 'message' | 'delivery' | 'reply' | 'action';
  id: bigint;
  kind: string;
  actor: string;
  text: string | null;
  from_status: string | null;
  to_status: string | null;
  entry_id: bigint | null;
  effective_date: string | null;
  amount_minor: bigint | null;
}

/**
 * Everything that happened to an account, newest first: status events, ledger entries (with the
 * amount that moved the debt: negative reduces it), notes, and the channels' messages (sent or
 * blocked, kind e.g. sms_sent / email_blocked), delivery receipts (sms_delivered, from → to status)
 * and replies (sms_reply, sms_opt_out); agent actions (type 'action', src/worklist): contact attempts
 * (kind attempt_<disposition>), promises and plans (to_status their current status, the amount and
 * the date), call-backs, hardship marks and field visits.
 */
export async function accountTimeline(
  db: Db,
  accountId: bigint,
  page: { offset: number; limit: number },
): Promise<{ items: TimelineItem[]; total: number }> {
  const union = sql`
    SELECT e.at, 'event' AS type, e.id, e.kind, e.actor, e.reason AS text, e.from_status, e.to_status,
           e.entry_id, NULL::date AS effective_date, NULL::bigint AS amount_minor
      FROM account_events e WHERE e.account_id = ${accountId}
    UNION ALL
    SELECT je.created_at, 'entry', je.id, je.kind, je.created_by, je.reason, NULL, NULL, je.id, je.effective_date,
           (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p
             WHERE p.entry_id = je.id AND p.account_id IS NOT NULL AND p.ledger_account <> 'debt:overpayment')::bigint
      FROM journal_entries je WHERE je.account_id = ${accountId}
    UNION ALL
    SELECT n.created_at, 'note', n.id, 'note', n.author, n.body, NULL, NULL, NULL, NULL, NULL
      FROM account_notes n WHERE n.account_id = ${accountId}
    UNION ALL
    SELECT m.created_at, 'message', m.id,
           m.channel || '_' || CASE WHEN m.status IN ('delivered', 'undelivered') THEN 'sent' ELSE m.status END,
           m.actor,
           CASE WHEN m.status = 'blocked' THEN array_to_string(m.reasons, ', ')
                ELSE m.recipient_masked || ': ' || coalesce(m.subject, left(m.body_text, 200)) END,
           NULL, m.status, NULL, NULL, NULL
      FROM channel_messages m WHERE m.account_id = ${accountId}
    UNION ALL
    SELECT d.occurred_at, 'delivery', d.id, m.channel || '_' || d.status, 'system',
           d.provider_status || coalesce(' ' || d.error_code, ''), d.from_status, d.to_status, NULL, NULL, NULL
      FROM channel_delivery_events d JOIN channel_messages m ON m.id = d.message_id
     WHERE d.account_id = ${accountId}
    UNION ALL
    SELECT r.received_at, 'reply', r.id, r.channel || CASE WHEN r.opt_out THEN '_opt_out' ELSE '_reply' END,
           r.from_masked, r.body, NULL, NULL, NULL, NULL, NULL
      FROM channel_replies r WHERE r.account_id = ${accountId}
    UNION ALL
    SELECT ca.at, 'action', ca.id, 'attempt_' || ca.disposition, ca.agent, ca.channel || coalesce(': ' || ca.notes, ''),
           NULL, NULL, NULL, NULL, NULL
      FROM contact_attempts ca WHERE ca.account_id = ${accountId}
    UNION ALL
    SELECT pr.taken_at, 'action', pr.id, 'promise', pr.taken_by, coalesce(pr.cancel_reason, 'due ' || pr.due_on),
           NULL, pr.status, NULL, pr.due_on, pr.amount_minor
      FROM promises pr WHERE pr.account_id = ${accountId}
    UNION ALL
    SELECT pl.proposed_at, 'action', pl.id, 'plan', pl.proposed_by, pl.note, NULL, pl.status, NULL, pl.starts_on,
           pl.total_minor
      FROM payment_plans pl WHERE pl.account_id = ${accountId}
    UNION ALL
    SELECT cb.created_at, 'action', cb.id, 'callback', cb.created_by,
           to_char(cb.due_at AT TIME ZONE cb.zone, 'YYYY-MM-DD HH24:MI') || ' ' || cb.zone || coalesce(': ' || cb.note, ''),
           NULL, cb.status, NULL, NULL, NULL
      FROM callbacks cb WHERE cb.account_id = ${accountId}
    UNION ALL
    SELECT hm.marked_at, 'action', hm.id, 'hardship', hm.marked_by, hm.note, NULL, NULL, NULL, NULL, NULL
      FROM hardship_marks hm WHERE hm.account_id = ${accountId}
    UNION ALL
    SELECT fv.recorded_at, 'action', fv.id, 'field_visit', fv.recorded_by, fv.result || ' (recording ' || fv.recording_ref || ')',
           NULL, NULL, NULL, NULL, NULL
      FROM field_visits fv WHERE fv.account_id = ${accountId}`;
  // the page and its total in one statement (one round trip); an empty page still brings the total
  // prepared (src/db/connection.ts): planning this union of a dozen tables cost ≈ 4× running it
  const rows = await sql<TimelineItem & { total: string }>`/* prepare:account_timeline */
    SELECT p.*, n.total
      FROM (SELECT count(*)::text AS total FROM (${union}) u) n
      LEFT JOIN (SELECT * FROM (${union}) t ORDER BY at DESC, type, id DESC OFFSET ${page.offset} LIMIT ${page.limit}) p
        ON true
     ORDER BY p.at DESC, p.type, p.id DESC`.execute(db);
  const items = rows.rows.filter((row) => row.id !== null).map(({ total: _total, ...item }) => item);
  return { items, total: Number(rows.rows[0]?.total ?? 0) };
}

export interface NoteView {
  id: bigint;
  account_id: bigint;
  body: string;
  author: string;
  created_at: Date;
}

export async function addNote(
  db: Db,
  input: { accountId: bigint; clientId: bigint; body: string; author: string },
): Promise<NoteView> {
  const body = input.body.trim();
  if (body === '' || body.length > 4000) throw new HuikuanError('bad_input', 'A note is 1–4000 characters.');
  const row = await sql<NoteView>`
    INSERT INTO account_notes (client_id, account_id, body, author)
    VALUES (${input.clientId}, ${input.accountId}, ${body}, ${input.author})
    RETURNING id, account_id, body, author, created_at`.execute(db);
  const note = row.rows[0];
  if (!note) throw new HuikuanError('internal', 'The note was not stored.');
  return note;
}

/** The clear phone number of one of the debtor's contact points. */
export async function revealContactPoint(
  db: Db,
  debtorId: bigint,
  contactPointId: bigint,
  cipher: PiiCipher = piiCipher(),
): Promise<{ kind: string; value: string | null; masked: string }> {
  const row = await db
    .selectFrom('contact_points')
    .select(['kind', 'value_enc', 'value_text', 'value_masked'])
    .where('id', '=', contactPointId)
    .where('debtor_id', '=', debtorId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `The debtor has no contact point ${contactPointId}.`);
  const value = row.value_enc ? cipher.decrypt(row.value_enc) : row.value_text;
  return { kind: row.kind, value, masked: row.value_masked };
}
