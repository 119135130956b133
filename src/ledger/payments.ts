/**
 * Payments into trust (ledger.md event 3) and direct payments to the client (event 4), set-based.
 *
 * Per chunk of up to 20,000 payments, one transaction of a fixed number of statements:
 * stage the chunk (unnest arrays into a temporary table) → lock the touched accounts FOR UPDATE in id
 * order → mark duplicates (same client + external id, in the ledger or earlier in the chunk) and
 * rejects (unknown account, account not live, currency mismatch) → the contract in force on each
 * payment date (waterfall, commission rate by days past due) → allocate with window functions
 * (cumulative payment sums per account in input order against cumulative component boundaries in the
 * waterfall order, so several payments on one account allocate sequentially) → insert entries and
 * postings → update the cached balances, status and last payment, with account events.
 *
 * When a contract change alters the waterfall between two payments of one account in the same chunk,
 * the later ones are allocated in a further round, after the earlier ones are applied, so the result
 * is always that of posting the payments one by one in input order (the pure model's answer).
 */
import { type Kysely, sql } from 'kysely';
import type { Component, Database } from '../db/schema.ts';
import { applyDueSettlements } from './settlements.ts';

export interface PaymentInput {
  clientId: bigint;
  accountId: bigint;
  externalId: string;
  amountMinor: bigint;
  currency: string;
  /** The business date of the payment, 'YYYY-MM-DD'. */
  paidOn: string;
  /** The instant, ISO UTC, when known. */
  paidAt: string | null;
  channel: string;
  /** 客户直还: paid straight to the client (event 4) rather than into trust (event 3). */
  direct: boolean;
  payerName?: string;
  reference?: string;
  /** Where it came from, e.g. 'payment_import:12' or 'api'. */
  source?: string;
}

export interface AllocationMinor {
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  overpayment_minor: bigint;
}

export interface PaymentResult {
  externalId: string;
  status: 'posted' | 'duplicate' | 'rejected';
  reason?: string;
  entryId?: bigint;
  allocation?: AllocationMinor;
  commissionMinor?: bigint;
}

export const paymentChunkSize = 20_000;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const maxRetries = 3;

/**
 * Posts payments and returns one result per input, in input order. Idempotent by (client,
 * external id): a repeat is 'duplicate', never an error. Safe to call concurrently.
 */
export async function postPayments(
  db: Kysely<Database>,
  inputs: readonly PaymentInput[],
  actor: string,
  options: { chunkSize?: number } = {},
): Promise<PaymentResult[]> {
  const results: PaymentResult[] = new Array(inputs.length);
  const chunkSize = options.chunkSize ?? paymentChunkSize;
  for (let start = 0; start < inputs.length; start += chunkSize) {
    const chunk = inputs.slice(start, start + chunkSize);
    const chunkResults = await postChunkWithRetry(db, chunk, actor);
    chunkResults.forEach((r, i) => {
      results[start + i] = r;
    });
  }
  return results;
}

function precheck(input: PaymentInput): string | null {
  if (typeof input.externalId !== 'string' || input.externalId.trim() === '') return 'external id is missing';
  if (input.externalId.length > 200) return 'external id is longer than 200 characters';
  if (typeof input.amountMinor !== 'bigint' || input.amountMinor <= 0n)
    return 'amount must be greater than 0';
  if (!datePattern.test(input.paidOn)) return `payment date "${input.paidOn}" is not YYYY-MM-DD`;
  if (!/^[A-Z]{3}$/.test(input.currency)) return `currency "${input.currency}" is not an ISO 4217 code`;
  return null;
}

async function postChunkWithRetry(
  db: Kysely<Database>,
  chunk: readonly PaymentInput[],
  actor: string,
): Promise<PaymentResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => postChunk(trx, chunk, actor));
    } catch (error) {
      // A payment with the same external id committed by a concurrent call on another account: the
      // retry sees it and reports a duplicate. A deadlock cannot arise from our id-ordered locks but
      // may from others'; retry both.
      const code = (error as { code?: string }).code;
      if ((code === '23505' || code === '40P01' || code === '40001') && attempt < maxRetries) continue;
      throw error;
    }
  }
}

interface StagedRow {
  seq: number;
  status: 'posted' | 'duplicate' | 'rejected';
  reason: string | null;
  entry_id: bigint | null;
  a_principal: bigint | null;
  a_interest: bigint | null;
  a_fees: bigint | null;
  a_penalty: bigint | null;
  a_over: bigint | null;
  commission: bigint | null;
}

async function postChunk(
  trx: Kysely<Database>,
  chunk: readonly PaymentInput[],
  actor: string,
): Promise<PaymentResult[]> {
  const results: (PaymentResult | undefined)[] = chunk.map((input) => {
    const problem = precheck(input);
    return problem ? { externalId: input.externalId, status: 'rejected', reason: problem } : undefined;
  });
  const staged = chunk.map((input, seq) => ({ input, seq })).filter(({ seq }) => results[seq] === undefined);
  if (staged.length === 0) return results as PaymentResult[];

  await sql`
    CREATE TEMP TABLE IF NOT EXISTS ledger_payment_stage (
      seq int PRIMARY KEY, client_id bigint NOT NULL, account_id bigint NOT NULL, external_id text NOT NULL,
      amount bigint NOT NULL, currency text NOT NULL, paid_on date NOT NULL, paid_at timestamptz,
      channel text, direct boolean NOT NULL, payer_name text, reference text, source text,
      status text NOT NULL DEFAULT 'pending', reason text, round int NOT NULL DEFAULT 0,
      contract_id bigint, waterfall text[], rate_bp int, dpd int, entry_id bigint,
      a_principal bigint, a_interest bigint, a_fees bigint, a_penalty bigint, a_over bigint,
      commission bigint, numerator bigint
    ) ON COMMIT DELETE ROWS`.execute(trx);

  const col = <T>(pick: (input: PaymentInput) => T) => staged.map(({ input }) => pick(input));
  await sql`
    INSERT INTO ledger_payment_stage
      (seq, client_id, account_id, external_id, amount, currency, paid_on, paid_at, channel, direct,
       payer_name, reference, source)
    SELECT * FROM unnest(
      ${staged.map((s) => s.seq)}::int[], ${col((i) => String(i.clientId))}::bigint[],
      ${col((i) => String(i.accountId))}::bigint[], ${col((i) => i.externalId)}::text[],
      ${col((i) => String(i.amountMinor))}::bigint[], ${col((i) => i.currency)}::text[],
      ${col((i) => i.paidOn)}::date[], ${col((i) => i.paidAt)}::timestamptz[], ${col((i) => i.channel)}::text[],
      ${col((i) => i.direct)}::boolean[], ${col((i) => i.payerName ?? null)}::text[],
      ${col((i) => i.reference ?? null)}::text[], ${col((i) => i.source ?? null)}::text[])`.execute(trx);

  // Serialise with every other writer of these accounts; id order avoids deadlocks.
  await sql`
    SELECT a.id FROM accounts a
     WHERE a.id IN (SELECT DISTINCT account_id FROM ledger_payment_stage)
     ORDER BY a.id FOR UPDATE`.execute(trx);

  // Duplicates first (a repeat stays a duplicate whatever became of the account), then rejects.
  await sql`
    UPDATE ledger_payment_stage s SET status = 'duplicate', entry_id = je.id
      FROM journal_entries je
     WHERE je.client_id = s.client_id AND je.external_id = s.external_id`.execute(trx);
  await sql`
    UPDATE ledger_payment_stage s SET status = 'duplicate', entry_id = NULL
      FROM (SELECT seq, row_number() OVER (PARTITION BY client_id, external_id ORDER BY seq) AS n
              FROM ledger_payment_stage WHERE status = 'pending') d
     WHERE d.seq = s.seq AND d.n > 1`.execute(trx);
  await sql`
    UPDATE ledger_payment_stage s SET status = 'rejected', reason = CASE
        WHEN a.id IS NULL THEN 'unknown account'
        WHEN a.status NOT IN ('active', 'paid', 'settled') THEN 'account is ' || replace(a.status, '_', ' ')
        ELSE 'currency ' || s.currency || ' does not match the account''s ' || a.currency END
      FROM ledger_payment_stage s2
      LEFT JOIN accounts a ON a.id = s2.account_id AND a.client_id = s2.client_id
     WHERE s2.seq = s.seq AND s.status = 'pending'
       AND (a.id IS NULL OR a.status NOT IN ('active', 'paid', 'settled') OR a.currency <> s.currency)`.execute(
    trx,
  );

  // Terms in force on the payment date (before the first version: the first version).
  await sql`
    UPDATE ledger_payment_stage t
       SET contract_id = y.contract_id, waterfall = y.waterfall, dpd = y.dpd,
           rate_bp = coalesce((
             SELECT r.rate_bp FROM contract_commission_rates r
              WHERE r.contract_id = y.contract_id AND r.from_dpd <= greatest(0, y.dpd)
                AND (r.to_dpd IS NULL OR r.to_dpd >= greatest(0, y.dpd))
              ORDER BY r.from_dpd DESC LIMIT 1), 0)
      FROM (
        SELECT s.seq, c.id AS contract_id, c.waterfall, s.paid_on - a.delinquency_date AS dpd
          FROM ledger_payment_stage s
          JOIN accounts a ON a.id = s.account_id
         CROSS JOIN LATERAL (
             SELECT cc.id, cc.waterfall FROM contracts cc
              WHERE cc.client_id = a.client_id
              ORDER BY (cc.effective_from <= s.paid_on) DESC,
                       CASE WHEN cc.effective_from <= s.paid_on THEN cc.effective_from END DESC,
                       CASE WHEN cc.effective_from > s.paid_on THEN cc.effective_from END ASC,
                       cc.version DESC
              LIMIT 1) c
         WHERE s.status = 'pending'
      ) y
     WHERE y.seq = t.seq`.execute(trx);

  // Rounds: a later payment of an account allocated under another waterfall waits for a later round.
  const rounds = await sql<{ max_round: number | null }>`
    WITH r AS (
      SELECT seq, sum(changed) OVER (PARTITION BY account_id ORDER BY seq) AS round
        FROM (SELECT seq, account_id,
                     CASE WHEN waterfall IS DISTINCT FROM lag(waterfall) OVER (PARTITION BY account_id ORDER BY seq)
                          AND lag(seq) OVER (PARTITION BY account_id ORDER BY seq) IS NOT NULL
                          THEN 1 ELSE 0 END AS changed
                FROM ledger_payment_stage WHERE status = 'pending') x)
    UPDATE ledger_payment_stage s SET round = r.round FROM r WHERE r.seq = s.seq AND r.round > 0
    RETURNING s.round AS max_round`.execute(trx);
  const maxRound = rounds.rows.reduce((m, r) => Math.max(m, r.max_round ?? 0), 0);

  for (let round = 0; round <= maxRound; round++) {
    await allocateRound(trx, round, actor);
  }

  const touched = await sql<{ account_id: bigint }>`
    SELECT DISTINCT account_id FROM ledger_payment_stage WHERE status = 'posted'`.execute(trx);
  if (touched.rows.length > 0) {
    await applyDueSettlements(
      trx,
      touched.rows.map((r) => r.account_id),
      actor,
    );
  }

  const rows = await sql<StagedRow>`
    SELECT seq, status, reason, entry_id, a_principal, a_interest, a_fees, a_penalty, a_over, commission
      FROM ledger_payment_stage ORDER BY seq`.execute(trx);
  for (const row of rows.rows) {
    const input = chunk[row.seq] as PaymentInput;
    if (row.status === 'posted') {
      results[row.seq] = {
        externalId: input.externalId,
        status: 'posted',
        entryId: row.entry_id as bigint,
        allocation: {
          principal_minor: row.a_principal ?? 0n,
          interest_minor: row.a_interest ?? 0n,
          fees_minor: row.a_fees ?? 0n,
          penalty_minor: row.a_penalty ?? 0n,
          overpayment_minor: row.a_over ?? 0n,
        },
        commissionMinor: row.commission ?? 0n,
      };
    } else if (row.status === 'duplicate') {
      results[row.seq] = {
        externalId: input.externalId,
        status: 'duplicate',
        ...(row.entry_id !== null ? { entryId: row.entry_id } : {}),
      };
    } else {
      results[row.seq] = {
        externalId: input.externalId,
        status: 'rejected',
        reason: row.reason ?? 'rejected',
      };
    }
  }
  await sql`DELETE FROM ledger_payment_stage`.execute(trx);
  return results as PaymentResult[];
}

const comps: Component[] = ['principal', 'interest', 'fees', 'penalty'];
const balanceColumn = (c: Component) => `a.${c}_minor`;
const position = (c: Component) => `array_position(s.waterfall, '${c}')`;

/** The sum of the balances paid before component `c` in the payment's waterfall. */
function lowerBoundary(c: Component): string {
  return comps
    .filter((d) => d !== c)
    .map((d) => `CASE WHEN ${position(d)} < ${position(c)} THEN ${balanceColumn(d)} ELSE 0 END`)
    .join(' + ');
}

const allocationColumns = comps
  .map((c) => {
    const lower = `(${lowerBoundary(c)})`;
    const upper = `(${lower} + ${balanceColumn(c)})`;
    return `greatest(0, least(x.cum, ${upper}) - greatest(x.cum - s.amount, ${lower})) AS a_${c}`;
  })
  .join(',\n');

async function allocateRound(trx: Kysely<Database>, round: number, actor: string): Promise<void> {
  // Allocation: cumulative sums of this round's payments per account against the locked balances.
  await sql`
    UPDATE ledger_payment_stage t
       SET a_principal = y.a_principal, a_interest = y.a_interest, a_fees = y.a_fees,
           a_penalty = y.a_penalty, a_over = y.a_over
      FROM (
        SELECT s.seq, ${sql.raw(allocationColumns)},
               greatest(0, x.cum - greatest(x.cum - s.amount,
                 a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor)) AS a_over
          FROM ledger_payment_stage s
          JOIN (SELECT seq, sum(amount) OVER (PARTITION BY account_id ORDER BY seq) AS cum
                  FROM ledger_payment_stage WHERE status = 'pending' AND round = ${round}) x ON x.seq = s.seq
          JOIN accounts a ON a.id = s.account_id
      ) y
     WHERE y.seq = t.seq`.execute(trx);
  // Commission, half-even, with the exact numerator kept; entry ids in input order.
  await sql`
    UPDATE ledger_payment_stage t
       SET numerator = y.numerator,
           commission = y.numerator / 10000 + CASE
             WHEN (y.numerator % 10000) * 2 > 10000 THEN 1
             WHEN (y.numerator % 10000) * 2 = 10000 AND (y.numerator / 10000) % 2 = 1 THEN 1
             ELSE 0 END,
           entry_id = y.entry_id
      FROM (
        SELECT o.seq, o.numerator, nextval(pg_get_serial_sequence('journal_entries', 'id')) AS entry_id
          FROM (SELECT seq, (a_principal + a_interest + a_fees + a_penalty) * rate_bp AS numerator
                  FROM ledger_payment_stage WHERE status = 'pending' AND round = ${round}
                 ORDER BY seq) o
      ) y
     WHERE y.seq = t.seq`.execute(trx);
  await sql`
    INSERT INTO journal_entries (id, client_id, account_id, kind, currency, effective_date, external_id,
      contract_id, commission_rate_bp, days_past_due, commission_exact_numerator, source, memo, created_by)
    OVERRIDING SYSTEM VALUE
    SELECT entry_id, client_id, account_id, CASE WHEN direct THEN 'direct_payment' ELSE 'payment' END,
           currency, paid_on, external_id, contract_id, rate_bp, dpd, numerator, source,
           jsonb_strip_nulls(jsonb_build_object('paid_at', paid_at, 'channel', channel,
             'payer_name', payer_name, 'reference', reference)),
           ${actor}
      FROM ledger_payment_stage WHERE status = 'pending' AND round = ${round}
     ORDER BY entry_id`.execute(trx);
  await sql`
    INSERT INTO postings (entry_id, line, client_id, account_id, ledger_account, amount_minor)
    SELECT entry_id, row_number() OVER (PARTITION BY entry_id ORDER BY ord), client_id,
           CASE WHEN acct LIKE 'debt:%' THEN account_id END, acct::ledger_account, amount
      FROM (
        SELECT s.entry_id, s.client_id, s.account_id, v.ord, v.acct, v.amount
          FROM ledger_payment_stage s
         CROSS JOIN LATERAL (VALUES
           (1, CASE WHEN s.direct THEN 'client:direct_paid' ELSE 'trust:bank' END, s.amount),
           (2, 'client:payable', CASE WHEN s.direct THEN 0 ELSE -s.amount END),
           (3, 'client:collected', CASE WHEN s.direct THEN 0 ELSE s.amount END),
           (10 + array_position(s.waterfall, 'principal'), 'debt:principal', -s.a_principal),
           (10 + array_position(s.waterfall, 'interest'), 'debt:interest', -s.a_interest),
           (10 + array_position(s.waterfall, 'fees'), 'debt:fees', -s.a_fees),
           (10 + array_position(s.waterfall, 'penalty'), 'debt:penalty', -s.a_penalty),
           (20, 'debt:overpayment', -s.a_over),
           (30, CASE WHEN s.direct THEN 'client:commission_receivable' ELSE 'client:payable' END, s.commission),
           (31, 'agency:commission_revenue', -s.commission)
         ) AS v(ord, acct, amount)
         WHERE s.status = 'pending' AND s.round = ${round} AND v.amount <> 0
      ) lines`.execute(trx);
  await sql`
    WITH moved AS (
      SELECT account_id, sum(a_principal) AS p, sum(a_interest) AS i, sum(a_fees) AS f,
             sum(a_penalty) AS n, sum(a_over) AS o,
             (array_agg(paid_on ORDER BY paid_on DESC, seq DESC))[1] AS last_on,
             (array_agg(amount ORDER BY paid_on DESC, seq DESC))[1] AS last_amount,
             max(entry_id) AS last_entry
        FROM ledger_payment_stage WHERE status = 'pending' AND round = ${round}
       GROUP BY account_id),
    updated AS (
      UPDATE accounts a
         SET principal_minor = a.principal_minor - m.p, interest_minor = a.interest_minor - m.i,
             fees_minor = a.fees_minor - m.f, penalty_minor = a.penalty_minor - m.n,
             overpayment_minor = a.overpayment_minor + m.o,
             last_payment_date = CASE WHEN a.last_payment_date IS NULL OR m.last_on >= a.last_payment_date
                                      THEN m.last_on ELSE a.last_payment_date END,
             last_payment_amount_minor = CASE WHEN a.last_payment_date IS NULL OR m.last_on >= a.last_payment_date
                                      THEN m.last_amount ELSE a.last_payment_amount_minor END,
             status = CASE WHEN a.status = 'active'
                            AND a.principal_minor - m.p + a.interest_minor - m.i + a.fees_minor - m.f
                                + a.penalty_minor - m.n = 0 THEN 'paid' ELSE a.status END
        FROM moved m
       WHERE a.id = m.account_id
      RETURNING a.id, a.client_id, a.status, m.last_entry
    )
    -- the outer query reads the accounts as they were before the update: their old status
    INSERT INTO account_events (client_id, account_id, kind, from_status, to_status, reason, entry_id, actor)
    SELECT u.client_id, u.id, 'status', prior.status, u.status, 'paid in full', u.last_entry, ${actor}
      FROM updated u JOIN accounts prior ON prior.id = u.id
     WHERE u.status <> prior.status`.execute(trx);
  await sql`
    UPDATE ledger_payment_stage SET status = 'posted' WHERE status = 'pending' AND round = ${round}`.execute(
    trx,
  );
}
