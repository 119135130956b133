/**
 * Accounts for the API: filtered, paged lists (client scope, batch, status, delinquency bucket,
 * balance range, and a search box matching an exact reference, a debtor name, or an exact phone or
 * ID number through the keyed hash), days past due and bucket, the account's timeline, notes, and
 * revealing one clear value.
 */
import { type Compilable, type SqlBool, sql } from 'kysely';
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

/** The search box: an exact reference, a debtor name or its beginning, an exact phone or ID number. */
function searchCondition(q: string, cipher: PiiCipher) {
  const terms = searchTerms(q, cipher);
  // each alternative is an index probe; the union names the matching accounts
  const debtorIds = [sql`SELECT id FROM debtors WHERE ${prefixRange(terms.text)}`];
  if (terms.idHash) debtorIds.push(sql`SELECT id FROM debtors WHERE id_number_hash = ${terms.idHash}`);
  if (terms.phoneHash)
    debtorIds.push(sql`SELECT debtor_id FROM contact_points WHERE value_hash = ${terms.phoneHash}`);
  return sql<SqlBool>`a.id IN (
    SELECT id FROM accounts WHERE client_account_ref = ${terms.text}
    UNION SELECT id FROM accounts WHERE debtor_id IN (${sql.join(debtorIds, sql` UNION `)}))`;
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
  const search = filter.q !== undefined && filter.q.trim() !== '' ? searchCondition(filter.q, cipher) : null;
  // The clients to read: the scope, narrowed by the client filter. Without a search each client is
  // read on its own through accounts (client_id, id), newest first, and the branches merged: one
  // scan of the accounts newest first would step over every account of the clients out of view.
  let clients: Array<bigint | null> = filter.clientIds === 'all' ? [null] : filter.clientIds;
  if (filter.clientId !== undefined) clients = clients.filter((c) => c === null || c === filter.clientId);
  if (filter.clientId !== undefined && clients.length > 0) clients = [filter.clientId];
  if (clients.length === 0) return { items: [], total: 0, total_capped: false };
  const branch = (clientIds: Array<bigint | null>) => {
    // accounts exist only once their batch is approved: no join to the batches is needed
    let query = db.selectFrom('accounts as a');
    const ids = clientIds.filter((c): c is bigint => c !== null);
    if (ids.length > 0) query = query.where('a.client_id', 'in', ids);
    if (filter.batchId !== undefined) query = query.where('a.batch_id', '=', filter.batchId);
    if (filter.status !== undefined) query = query.where('a.status', '=', filter.status);
    if (filter.bucket !== undefined) {
      const [from, to] = dpdRange(filter.bucket);
      // dpd = today − delinquency_date, so a dpd range is a delinquency-date range
      if (to !== null) query = query.where('a.delinquency_date', '>=', addDays(today, -to));
      if (from !== null) query = query.where('a.delinquency_date', '<=', addDays(today, -from));
    }
    if (filter.minBalanceMinor !== undefined)
      query = query.where(sql<SqlBool>`${balance} >= ${filter.minBalanceMinor}`);
    if (filter.maxBalanceMinor !== undefined)
      query = query.where(sql<SqlBool>`${balance} <= ${filter.maxBalanceMinor}`);
    if (search) query = query.where(search);
    return query;
  };
  const branches = search || clients.length === 1 ? [branch(clients)] : clients.map((c) => branch([c]));
  const window = filter.offset + filter.limit;
  const union = (parts: Compilable[]) =>
    sql.join(
      parts.map((part, i) => sql`SELECT * FROM (${part}) ${sql.id(`b${i}`)}`),
      sql` UNION ALL `,
    );
  // The total is counted up to a cap: an exact count of a million accounts on every page costs more
  // than the page itself, and past the cap people narrow the search rather than page. It counts the
  // filtered accounts alone (every account has its debtor and client), and it and the page are one
  // statement: one round trip, and an empty page still brings its total.
  const counted = union(branches.map((b) => b.select(sql`1`.as('one')).limit(countCap + 1)));
  const paged = union(
    branches.map((b) =>
      b
        .select([
          'a.id',
          'a.client_id',
          'a.batch_id',
          'a.client_account_ref',
          'a.debtor_id',
          'a.status',
          'a.product_type',
          'a.currency',
          'a.principal_minor',
          'a.interest_minor',
          'a.fees_minor',
          'a.penalty_minor',
          'a.overpayment_minor',
          'a.delinquency_date',
        ])
        .orderBy('a.id', 'desc')
        .limit(window),
    ),
  );
  const result = await sql<ListRow & { n: string }>`
    SELECT p.*, t.n
      FROM (SELECT count(*)::text AS n FROM (SELECT 1 FROM (${counted}) u LIMIT ${countCap + 1}) capped) t
      LEFT JOIN (
        SELECT a.*, c.code AS client, d.name AS debtor_name
          FROM (${paged}) a
          JOIN debtors d ON d.id = a.debtor_id
          JOIN clients c ON c.id = a.client_id
         ORDER BY a.id DESC OFFSET ${filter.offset} LIMIT ${filter.limit}) p ON true
     ORDER BY p.id DESC`.execute(db);
  const count = { n: result.rows[0]?.n ?? '0' };
  // no account on the page: one row of the total with the page's columns null
  const rows = result.rows.filter((row) => row.id !== null);
  const total = Number(count.n);
  return {
    total: Math.min(total, countCap),
    total_capped: total > countCap,
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
  type: 'event' | 'entry' | 'note';
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
 * amount that moved the debt: negative reduces it) and notes.
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
      FROM account_notes n WHERE n.account_id = ${accountId}`;
  // the page and its total in one statement (one round trip); an empty page still brings the total
  const rows = await sql<TimelineItem & { total: string }>`
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
