/**
 * Reading the books: balances by component (cached balances for the debt, posting sums for the
 * client's side), an account's history, and `checkLedger`, the proof of ledger.md's six invariants.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';

type Db = Kysely<Database>;

export interface BalanceReport {
  client: string;
  currency: string | null;
  accounts: number;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  overpayment_minor: bigint;
  total_minor: bigint;
  collected_minor: bigint;
  direct_paid_minor: bigint;
  discounts_minor: bigint;
  commission_minor: bigint;
  payable_minor: bigint;
}

/**
 * The balances of a client (all its accounts) or of one account. For one account, payable is what
 * its payments left the client owed (P − K, less reversals); for the client it is the whole
 * client:payable balance, remittances included.
 */
export async function balances(
  db: Db,
  input: { clientId: bigint; clientCode: string; accountId?: bigint },
): Promise<BalanceReport> {
  const accountFilter = input.accountId === undefined ? sql`` : sql`AND a.id = ${input.accountId}`;
  const debt = await sql<{
    accounts: bigint;
    currency: string | null;
    p: bigint;
    i: bigint;
    f: bigint;
    n: bigint;
    o: bigint;
  }>`
    SELECT count(*)::bigint AS accounts, min(a.currency) AS currency,
           coalesce(sum(a.principal_minor), 0)::bigint AS p, coalesce(sum(a.interest_minor), 0)::bigint AS i,
           coalesce(sum(a.fees_minor), 0)::bigint AS f, coalesce(sum(a.penalty_minor), 0)::bigint AS n,
           coalesce(sum(a.overpayment_minor), 0)::bigint AS o
      FROM accounts a JOIN placement_batches b ON b.id = a.batch_id
     WHERE a.client_id = ${input.clientId} AND b.status = 'approved' ${accountFilter}`.execute(db);
  const entryFilter = input.accountId === undefined ? sql`` : sql`AND je.account_id = ${input.accountId}`;
  const sums = await sql<{
    collected: bigint;
    direct: bigint;
    discounts: bigint;
    commission: bigint;
    payable: bigint;
    currency: string | null;
  }>`
    SELECT coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:collected'), 0)::bigint AS collected,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:direct_paid'), 0)::bigint AS direct,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:discounts'), 0)::bigint AS discounts,
           coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:commission_revenue'), 0)::bigint
             AS commission,
           coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:payable'), 0)::bigint AS payable,
           min(je.currency) AS currency
      FROM postings p JOIN journal_entries je ON je.id = p.entry_id
     WHERE p.client_id = ${input.clientId} ${entryFilter}`.execute(db);
  const d = debt.rows[0];
  const s = sums.rows[0];
  const principal = d?.p ?? 0n;
  const interest = d?.i ?? 0n;
  const fees = d?.f ?? 0n;
  const penalty = d?.n ?? 0n;
  return {
    client: input.clientCode,
    currency: (d?.currency ?? s?.currency)?.trim() ?? null,
    accounts: Number(d?.accounts ?? 0n),
    principal_minor: principal,
    interest_minor: interest,
    fees_minor: fees,
    penalty_minor: penalty,
    overpayment_minor: d?.o ?? 0n,
    total_minor: principal + interest + fees + penalty,
    collected_minor: s?.collected ?? 0n,
    direct_paid_minor: s?.direct ?? 0n,
    discounts_minor: s?.discounts ?? 0n,
    commission_minor: s?.commission ?? 0n,
    payable_minor: s?.payable ?? 0n,
  };
}

/** The live account with this reference (else the latest one), or not_found. */
export async function findAccountByRef(
  db: Db,
  clientId: bigint,
  ref: string,
): Promise<{ id: bigint; status: string }> {
  const row = await db
    .selectFrom('accounts')
    .select(['id', 'status'])
    .where('client_id', '=', clientId)
    .where('client_account_ref', '=', ref)
    .orderBy(sql`status IN ('active', 'paid', 'settled')`, 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `The client has no account "${ref}".`);
  return row;
}

export interface HistoryEntry {
  entry_id: bigint;
  kind: string;
  effective_date: string;
  currency: string;
  external_id: string | null;
  reverses_entry_id: bigint | null;
  reversed_by_entry_id: bigint | null;
  commission_rate_bp: number | null;
  days_past_due: number | null;
  commission_exact_numerator: bigint | null;
  reason: string | null;
  source: string | null;
  created_by: string;
  created_at: Date;
  postings: { line: number; ledger_account: string; amount_minor: bigint }[];
}

/** An account's entries with their postings, newest first, paged. */
export async function accountHistory(
  db: Db,
  input: { accountId: bigint; limit?: number; beforeEntryId?: bigint },
): Promise<{ entries: HistoryEntry[]; next_before_entry_id: bigint | null; total: number }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 500);
  const before = input.beforeEntryId === undefined ? sql`` : sql`AND je.id < ${input.beforeEntryId}`;
  // one round trip: the page's entries with their postings (amounts as text: JSON numbers lose
  // precision past 2^53) and the account's number of entries; no entry gives one row of the total
  const rows = await sql<
    Omit<HistoryEntry, 'postings'> & { postings: Array<[number, string, string]> | null; total: string }
  >`/* prepare:account_history */
    SELECT e.*, t.total
      FROM (SELECT count(*)::text AS total FROM journal_entries WHERE account_id = ${input.accountId}) t
      LEFT JOIN LATERAL (
        SELECT je.id AS entry_id, je.kind, je.effective_date, trim(je.currency) AS currency, je.external_id,
               je.reverses_entry_id, r.id AS reversed_by_entry_id, je.commission_rate_bp, je.days_past_due,
               je.commission_exact_numerator, je.reason, je.source, je.created_by, je.created_at,
               (SELECT json_agg(json_build_array(p.line, p.ledger_account::text, p.amount_minor::text) ORDER BY p.line)
                  FROM postings p WHERE p.entry_id = je.id) AS postings
          FROM journal_entries je
          LEFT JOIN journal_entries r ON r.reverses_entry_id = je.id
         WHERE je.account_id = ${input.accountId} ${before}
         ORDER BY je.id DESC LIMIT ${limit + 1}) e ON true
     ORDER BY e.entry_id DESC`.execute(db);
  const found = rows.rows.filter((row) => row.entry_id !== null);
  const page = found.slice(0, limit);
  return {
    entries: page.map(({ postings, total: _total, ...entry }) => ({
      ...entry,
      postings: (postings ?? []).map(([line, ledger_account, amount]) => ({
        line,
        ledger_account,
        amount_minor: BigInt(amount),
      })),
    })),
    next_before_entry_id: found.length > limit ? (page.at(-1)?.entry_id ?? null) : null,
    total: Number(rows.rows[0]?.total ?? 0),
  };
}

// ------------------------------------------------------------------------------- ledger check

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6;
  message: string;
  ledger_account?: string;
  entry_id?: bigint;
  account_id?: bigint;
  client_id?: bigint;
  expected?: bigint | string;
  actual?: bigint | string;
}

const maxPerCheck = 100;

/** Proves ledger.md's six invariants; returns every violation found (at most 100 per check). */
export async function checkLedger(db: Db): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (rows: Violation[]) => violations.push(...rows);

  // 1. Every entry sums to zero (one currency per entry: the currency is the entry's), has at least
  //    two postings, and its debt postings name the entry's own account.
  const unbalanced = await sql<{ entry_id: bigint; total: bigint; n: bigint }>`
    SELECT je.id AS entry_id, coalesce(sum(p.amount_minor), 0)::bigint AS total, count(p.line)::bigint AS n
      FROM journal_entries je LEFT JOIN postings p ON p.entry_id = je.id
     GROUP BY je.id HAVING coalesce(sum(p.amount_minor), 0) <> 0 OR count(p.line) < 2
     ORDER BY je.id LIMIT ${maxPerCheck}`.execute(db);
  add(
    unbalanced.rows.map((r) => ({
      invariant: 1,
      entry_id: r.entry_id,
      message:
        r.n < 2n
          ? `entry ${r.entry_id} has ${r.n} posting(s); an entry has at least two`
          : `entry ${r.entry_id} does not sum to zero`,
      expected: 0n,
      actual: r.total,
    })),
  );
  const foreign = await sql<{ entry_id: bigint; account_id: bigint | null }>`
    SELECT p.entry_id, p.account_id FROM postings p JOIN journal_entries je ON je.id = p.entry_id
     WHERE (p.account_id IS NOT NULL AND p.account_id IS DISTINCT FROM je.account_id) OR p.client_id <> je.client_id
     LIMIT ${maxPerCheck}`.execute(db);
  add(
    foreign.rows.map((r) => ({
      invariant: 1,
      entry_id: r.entry_id,
      ...(r.account_id !== null ? { account_id: r.account_id } : {}),
      message: `entry ${r.entry_id} has a posting for another account or client than the entry's`,
    })),
  );

  // Posting sums per account and component.
  const sums = await db.connection().execute(async (conn) => {
    await sql`DROP TABLE IF EXISTS ledger_check_sums_local`.execute(conn);
    await sql`
      CREATE TEMP TABLE ledger_check_sums_local AS
      SELECT account_id,
             coalesce(sum(amount_minor) FILTER (WHERE ledger_account = 'debt:principal'), 0)::bigint AS p,
             coalesce(sum(amount_minor) FILTER (WHERE ledger_account = 'debt:interest'), 0)::bigint AS i,
             coalesce(sum(amount_minor) FILTER (WHERE ledger_account = 'debt:fees'), 0)::bigint AS f,
             coalesce(sum(amount_minor) FILTER (WHERE ledger_account = 'debt:penalty'), 0)::bigint AS n,
             coalesce(-sum(amount_minor) FILTER (WHERE ledger_account = 'debt:overpayment'), 0)::bigint AS o
        FROM postings WHERE account_id IS NOT NULL GROUP BY account_id`.execute(conn);
    await sql`ANALYZE ledger_check_sums_local`.execute(conn);

    // 2. No debt component below zero; overpayment (a credit) never a debit balance.
    const negative = await sql<{ account_id: bigint; ledger_account: string; value: bigint }>`
      SELECT account_id, c.ledger_account, c.value
        FROM ledger_check_sums_local s
       CROSS JOIN LATERAL (VALUES ('debt:principal', s.p), ('debt:interest', s.i), ('debt:fees', s.f),
                                  ('debt:penalty', s.n), ('debt:overpayment', s.o)) AS c(ledger_account, value)
       WHERE c.value < 0 ORDER BY account_id LIMIT ${maxPerCheck}`.execute(conn);
    const v2: Violation[] = negative.rows.map((r) => ({
      invariant: 2,
      account_id: r.account_id,
      ledger_account: r.ledger_account,
      message: `${r.ledger_account} of account ${r.account_id} is below zero`,
      expected: '>= 0',
      actual: r.value,
    }));
    const wrongSide = await sql<{ entry_id: bigint; ledger_account: string; amount_minor: bigint }>`
      SELECT p.entry_id, p.ledger_account::text AS ledger_account, p.amount_minor
        FROM postings p JOIN journal_entries je ON je.id = p.entry_id
       WHERE p.account_id IS NOT NULL AND je.kind <> 'reversal' AND (
             (je.kind IN ('placement', 'accrual') AND p.amount_minor < 0)
          OR (je.kind NOT IN ('placement', 'accrual') AND p.amount_minor > 0)
          OR (p.ledger_account = 'debt:overpayment' AND je.kind NOT IN ('payment', 'direct_payment')))
       LIMIT ${maxPerCheck}`.execute(conn);
    v2.push(
      ...wrongSide.rows.map(
        (r): Violation => ({
          invariant: 2,
          entry_id: r.entry_id,
          ledger_account: r.ledger_account,
          message: `entry ${r.entry_id} moves ${r.ledger_account} the wrong way for its kind`,
          actual: r.amount_minor,
        }),
      ),
    );

    // 4. Cached balances equal posting sums (accounts of approved batches).
    const cached = await sql<{ account_id: bigint; ledger_account: string; cached: bigint; posted: bigint }>`
      SELECT a.id AS account_id, c.ledger_account, c.cached, c.posted
        FROM accounts a JOIN placement_batches b ON b.id = a.batch_id AND b.status = 'approved'
        LEFT JOIN ledger_check_sums_local s ON s.account_id = a.id
       CROSS JOIN LATERAL (VALUES
         ('debt:principal', a.principal_minor, coalesce(s.p, 0)),
         ('debt:interest', a.interest_minor, coalesce(s.i, 0)),
         ('debt:fees', a.fees_minor, coalesce(s.f, 0)),
         ('debt:penalty', a.penalty_minor, coalesce(s.n, 0)),
         ('debt:overpayment', a.overpayment_minor, coalesce(s.o, 0))) AS c(ledger_account, cached, posted)
       WHERE c.cached <> c.posted ORDER BY a.id LIMIT ${maxPerCheck}`.execute(conn);
    const v4: Violation[] = cached.rows.map((r) => ({
      invariant: 4,
      account_id: r.account_id,
      ledger_account: r.ledger_account,
      message: `account ${r.account_id}: cached ${r.ledger_account} differs from the sum of its postings`,
      expected: r.posted,
      actual: r.cached,
    }));

    // 3. Per account: placed + accrued − collected − paid direct − discounted − adjusted − recalled −
    //    written off = balance, per component and in total; placed = the account's placed amounts;
    //    and in every entry the debt movement is matched by its client-side counterpart.
    const identity = await sql<{
      account_id: bigint;
      component: string;
      placement: boolean;
      expected: bigint;
      actual: bigint;
    }>`
      WITH moves AS (
        SELECT p.account_id, coalesce(orig.kind, je.kind) AS kind, je.reverses_entry_id IS NOT NULL AS rev,
               p.ledger_account, sum(p.amount_minor)::bigint AS amount
          FROM postings p JOIN journal_entries je ON je.id = p.entry_id
          LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
         WHERE p.account_id IS NOT NULL AND p.ledger_account <> 'debt:overpayment'
         GROUP BY 1, 2, 3, 4),
      per AS (
        SELECT a.id AS account_id, c.component, c.placed, c.cached,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'placement' AND NOT m.rev), 0) AS placed_original,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'placement'), 0) AS placed_net,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'accrual'), 0) AS accrued,
               coalesce(-sum(m.amount) FILTER (WHERE m.kind IN ('payment', 'direct_payment', 'discount',
                 'adjustment', 'recall', 'write_off')), 0) AS reduced,
               coalesce(sum(m.amount) FILTER (WHERE m.kind NOT IN ('placement', 'accrual', 'payment',
                 'direct_payment', 'discount', 'adjustment', 'recall', 'write_off')), 0) AS unexplained
          FROM accounts a JOIN placement_batches b ON b.id = a.batch_id AND b.status = 'approved'
         CROSS JOIN LATERAL (VALUES
           ('principal', a.placed_principal_minor, a.principal_minor),
           ('interest', a.placed_interest_minor, a.interest_minor),
           ('fees', a.placed_fees_minor, a.fees_minor),
           ('penalty', a.placed_penalty_minor, a.penalty_minor)) AS c(component, placed, cached)
          LEFT JOIN moves m ON m.account_id = a.id AND m.ledger_account::text = 'debt:' || c.component
         GROUP BY a.id, c.component, c.placed, c.cached)
      SELECT account_id, component, false AS placement, placed_net + accrued - reduced AS expected, cached AS actual
        FROM per WHERE placed_net + accrued - reduced + unexplained <> cached
      UNION ALL
      SELECT account_id, component, true, placed, placed_original FROM per WHERE placed_original <> placed
      UNION ALL
      SELECT account_id, 'total', false, sum(placed_net + accrued - reduced), sum(cached)
        FROM per GROUP BY account_id HAVING sum(placed_net + accrued - reduced + unexplained) <> sum(cached)
       ORDER BY 1, 2 LIMIT ${maxPerCheck}`.execute(conn);
    const v3: Violation[] = identity.rows.map((r) => ({
      invariant: 3,
      account_id: r.account_id,
      ledger_account: r.component === 'total' ? 'debt:*' : `debt:${r.component}`,
      message: r.placement
        ? `account ${r.account_id}: the placement entry's ${r.component} differs from the placed amount`
        : `account ${r.account_id}: placed + accrued − collected − paid direct − discounted − adjusted − recalled − written off ≠ the ${r.component} balance`,
      expected: r.expected,
      actual: r.actual,
    }));
    await sql`DROP TABLE IF EXISTS ledger_check_sums_local`.execute(conn);
    return { v2, v3, v4 };
  });
  const counterpart = await sql<{ entry_id: bigint; kind: string; debt: bigint; other: bigint }>`
    WITH e AS (
      SELECT je.id, coalesce(orig.kind, je.kind) AS kind FROM journal_entries je
        LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
       WHERE je.account_id IS NOT NULL)
    SELECT e.id AS entry_id, e.kind,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.account_id IS NOT NULL), 0)::bigint AS debt,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account::text = CASE e.kind
               WHEN 'placement' THEN 'client:placed' WHEN 'accrual' THEN 'client:placed'
               WHEN 'payment' THEN 'client:collected' WHEN 'direct_payment' THEN 'client:direct_paid'
               WHEN 'discount' THEN 'client:discounts' WHEN 'recall' THEN 'client:recalled'
               WHEN 'write_off' THEN 'client:written_off' WHEN 'adjustment' THEN 'client:adjustments' END), 0)::bigint
             AS other
      FROM e JOIN postings p ON p.entry_id = e.id
     GROUP BY e.id, e.kind
    HAVING coalesce(sum(p.amount_minor) FILTER (WHERE p.account_id IS NOT NULL), 0)
         + coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account::text = CASE e.kind
               WHEN 'placement' THEN 'client:placed' WHEN 'accrual' THEN 'client:placed'
               WHEN 'payment' THEN 'client:collected' WHEN 'direct_payment' THEN 'client:direct_paid'
               WHEN 'discount' THEN 'client:discounts' WHEN 'recall' THEN 'client:recalled'
               WHEN 'write_off' THEN 'client:written_off' WHEN 'adjustment' THEN 'client:adjustments' END), 0) <> 0
     LIMIT ${maxPerCheck}`.execute(db);
  add(sums.v2);
  add(sums.v3);
  add(
    counterpart.rows.map((r) => ({
      invariant: 3,
      entry_id: r.entry_id,
      message: `${r.kind} entry ${r.entry_id}: its debt postings are not matched by its client-side counterpart`,
      expected: -r.debt,
      actual: r.other,
    })),
  );
  add(sums.v4);

  // 5. trust:bank = Σ client:payable + unremitted commission held in trust (per client and currency).
  const trust = await sql<{
    client_id: bigint;
    currency: string;
    bank: bigint;
    payable: bigint;
    held: bigint;
  }>`
    SELECT je.client_id, trim(je.currency) AS currency,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'trust:bank'), 0)::bigint AS bank,
           coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:payable'), 0)::bigint AS payable,
           (coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:commission_revenue'
                      AND coalesce(orig.kind, je.kind) = 'payment'), 0)
            + coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:commission_receivable'
                      AND coalesce(orig.kind, je.kind) = 'remittance'), 0)
            - coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:operating_bank'), 0))::bigint AS held
      FROM postings p JOIN journal_entries je ON je.id = p.entry_id
      LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
     WHERE p.ledger_account IN ('trust:bank', 'client:payable', 'agency:commission_revenue',
                                'client:commission_receivable', 'agency:operating_bank')
     GROUP BY je.client_id, je.currency
    HAVING coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'trust:bank'), 0)
        <> coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:payable'), 0)
         + coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:commission_revenue'
                      AND coalesce(orig.kind, je.kind) = 'payment'), 0)
         + coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:commission_receivable'
                      AND coalesce(orig.kind, je.kind) = 'remittance'), 0)
         - coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:operating_bank'), 0)
     LIMIT ${maxPerCheck}`.execute(db);
  add(
    trust.rows.map((r) => ({
      invariant: 5,
      client_id: r.client_id,
      ledger_account: 'trust:bank',
      message: `client ${r.client_id} (${r.currency}): trust:bank ≠ client:payable + commission held in trust`,
      expected: r.payable + r.held,
      actual: r.bank,
    })),
  );

  // 6. Append-only: the refusing triggers exist and are enabled; no posting line is missing.
  const triggers = await sql<{ name: string; enabled: string | null }>`
    SELECT t.name, tg.tgenabled::text AS enabled
      FROM (VALUES ('postings', 'postings_append_only'), ('postings', 'postings_no_truncate'),
                   ('postings', 'postings_balanced'), ('journal_entries', 'journal_entries_append_only'),
                   ('journal_entries', 'journal_entries_no_truncate')) AS t(tbl, name)
      LEFT JOIN pg_trigger tg ON tg.tgname = t.name AND tg.tgrelid = to_regclass(t.tbl)`.execute(db);
  for (const t of triggers.rows) {
    if (t.enabled === null || t.enabled === 'D') {
      violations.push({
        invariant: 6,
        message:
          t.enabled === null
            ? `trigger ${t.name} is missing: the ledger is not protected from change`
            : `trigger ${t.name} is disabled: the ledger is not protected from change`,
        expected: 'enabled',
        actual: t.enabled === null ? 'missing' : 'disabled',
      });
    }
  }
  const gaps = await sql<{ entry_id: bigint; n: bigint; max_line: number }>`
    SELECT entry_id, count(*)::bigint AS n, max(line) AS max_line FROM postings
     GROUP BY entry_id HAVING count(*) <> max(line) OR min(line) <> 1 LIMIT ${maxPerCheck}`.execute(db);
  add(
    gaps.rows.map((r) => ({
      invariant: 6,
      entry_id: r.entry_id,
      message: `entry ${r.entry_id} has posting lines missing (${r.n} lines up to line ${r.max_line}): a posting was removed`,
      expected: BigInt(r.max_line),
      actual: r.n,
    })),
  );
  const orphans = await sql<{ id: bigint }>`
    SELECT r.id FROM journal_entries r LEFT JOIN journal_entries o ON o.id = r.reverses_entry_id
     WHERE r.reverses_entry_id IS NOT NULL AND (o.id IS NULL OR o.client_id <> r.client_id) LIMIT ${maxPerCheck}`.execute(
    db,
  );
  add(
    orphans.rows.map((r) => ({
      invariant: 6,
      entry_id: r.id,
      message: `reversal ${r.id} points to an entry that is not there`,
    })),
  );
  // What foreign keys would otherwise hold (dropped for speed in 0003_ledger_speed.sql).
  const strayPostings = await sql<{ entry_id: bigint; n: bigint }>`
    SELECT p.entry_id, count(*)::bigint AS n FROM postings p
     WHERE NOT EXISTS (SELECT 1 FROM journal_entries je WHERE je.id = p.entry_id)
     GROUP BY p.entry_id LIMIT ${maxPerCheck}`.execute(db);
  add(
    strayPostings.rows.map((r) => ({
      invariant: 6,
      entry_id: r.entry_id,
      message: `${r.n} posting(s) belong to entry ${r.entry_id}, which is not there: an entry was removed`,
    })),
  );
  const strayEntries = await sql<{ id: bigint; what: string }>`
    SELECT je.id, CASE WHEN c.id IS NULL THEN 'client' WHEN je.account_id IS NOT NULL AND a.id IS NULL THEN 'account'
                       ELSE 'contract' END AS what
      FROM journal_entries je
      LEFT JOIN clients c ON c.id = je.client_id
      LEFT JOIN accounts a ON a.id = je.account_id
      LEFT JOIN contracts k ON k.id = je.contract_id
     WHERE c.id IS NULL OR (je.account_id IS NOT NULL AND (a.id IS NULL OR a.client_id <> je.client_id))
        OR (je.contract_id IS NOT NULL AND (k.id IS NULL OR k.client_id <> je.client_id))
     LIMIT ${maxPerCheck}`.execute(db);
  add(
    strayEntries.rows.map((r) => ({
      invariant: 1,
      entry_id: r.id,
      message: `entry ${r.id} names a ${r.what} that does not exist or belongs to another client`,
    })),
  );
  // What the placement tables' foreign keys would otherwise hold (dropped in 0008_placement_speed.sql).
  const strayRows = await sql<{ what: string; id: bigint; client_id: bigint }>`
    (SELECT 'account' AS what, a.id, a.client_id FROM accounts a
      WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = a.client_id)
         OR NOT EXISTS (SELECT 1 FROM placement_batches b WHERE b.id = a.batch_id AND b.client_id = a.client_id)
         OR NOT EXISTS (SELECT 1 FROM debtors d WHERE d.id = a.debtor_id AND d.client_id = a.client_id)
      LIMIT ${maxPerCheck})
    UNION ALL
    (SELECT 'debtor', d.id, d.client_id FROM debtors d
      WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = d.client_id) LIMIT ${maxPerCheck})
    UNION ALL
    (SELECT 'contact point', p.id, p.client_id FROM contact_points p
      WHERE NOT EXISTS (SELECT 1 FROM debtors d WHERE d.id = p.debtor_id AND d.client_id = p.client_id)
      LIMIT ${maxPerCheck})
    UNION ALL
    (SELECT 'account event', e.id, e.client_id FROM account_events e
      WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id AND a.client_id = e.client_id)
      LIMIT ${maxPerCheck})`.execute(db);
  add(
    strayRows.rows.map((r) => ({
      invariant: 6,
      client_id: r.client_id,
      message: `${r.what} ${r.id} names a client, batch, debtor or account that does not exist or belongs to another client`,
    })),
  );
  // What the nightly run's tables' foreign keys would otherwise hold (dropped in 0041_nightly_keys.sql):
  // each row's account is there and of the row's client; its strategy version or risk model is there.
  const nightlyTables: { what: RawBuilder<unknown>; table: string; parent?: [string, string, string] }[] = [
    { what: sql`'day state'`, table: 'account_states' },
    {
      what: sql`'treatment'`,
      table: 'account_treatments',
      parent: ['strategy_versions', 'strategy_version_id', 'strategy version'],
    },
    {
      what: sql`'strategy action ' || x.id`,
      table: 'strategy_actions',
      parent: ['strategy_versions', 'strategy_version_id', 'strategy version'],
    },
    {
      what: sql`'test entry'`,
      table: 'strategy_test_entries',
      parent: ['strategy_versions', 'strategy_version_id', 'strategy version'],
    },
    {
      what: sql`'risk score'`,
      table: 'risk_account_scores',
      parent: ['risk_models', 'model_id', 'risk model'],
    },
    {
      what: sql`'score history row'`,
      table: 'risk_score_history',
      parent: ['risk_models', 'model_id', 'risk model'],
    },
  ];
  const strayNightly = await sql<{
    what: string;
    account_id: bigint;
    client_id: bigint;
    names: string;
  }>`${sql.join(
    nightlyTables.map(({ what, table, parent }) => {
      const accountThere = sql`EXISTS (SELECT 1 FROM accounts a WHERE a.id = x.account_id AND a.client_id = x.client_id)`;
      const parentThere = parent
        ? sql`EXISTS (SELECT 1 FROM ${sql.table(parent[0])} v WHERE v.id = x.${sql.ref(parent[1])})`
        : sql`true`;
      const names = parent ? sql`${`${parent[2]} `}::text || x.${sql.ref(parent[1])}` : sql`'account'`;
      return sql`(SELECT ${what} AS what, x.account_id, x.client_id,
                         CASE WHEN NOT ${accountThere} THEN 'account' ELSE ${names} END AS names
                    FROM ${sql.table(table)} x
                   WHERE NOT ${accountThere} OR NOT ${parentThere}
                   LIMIT ${maxPerCheck})`;
    }),
    sql` UNION ALL `,
  )}`.execute(db);
  add(
    strayNightly.rows.map((r) => ({
      invariant: 6,
      client_id: r.client_id,
      account_id: r.account_id,
      message:
        r.names === 'account'
          ? `${r.what} of account ${r.account_id} names an account that does not exist or belongs to another client`
          : `${r.what} of account ${r.account_id} names ${r.names}, which does not exist`,
    })),
  );
  return violations;
}
