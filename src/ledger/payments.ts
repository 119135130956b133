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
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type CommissionBand, versionInForce } from '../clients/model.ts';
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

function postChunkWithRetry(
  db: Kysely<Database>,
  chunk: readonly PaymentInput[],
  actor: string,
): Promise<PaymentResult[]> {
  return withRetry(db, (trx) => postChunk(trx, chunk, actor));
}

/** Runs `work` in a transaction, again when it meets a concurrent writer (see below). */
async function withRetry<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
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

interface WorkRow {
  seq: number;
  status: 'pending' | 'duplicate' | 'rejected';
  reason: string | null;
  entry_id: bigint | null;
  a_principal: bigint | null;
  a_interest: bigint | null;
  a_fees: bigint | null;
  a_penalty: bigint | null;
  a_over: bigint | null;
  commission: bigint | null;
}

/** A contract version with what the posting statement takes from it, worked out once per chunk. */
interface ContractVersion {
  id: bigint;
  effectiveFrom: string;
  version: number;
  /** Comma-joined: a payment whose waterfall differs from its account's previous one waits a round. */
  waterfall: string;
  /** Where principal, interest, fees and penalty stand in the waterfall (1..4), in `comps` order. */
  positions: (number | null)[];
  bands: CommissionBand[];
}

/** The contract versions of the clients with their commission bands, by client id. */
async function contractVersions(
  trx: Kysely<Database>,
  clientIds: readonly string[],
): Promise<Map<string, ContractVersion[]>> {
  const versions = await sql<{
    id: bigint;
    client_id: bigint;
    effective_from: string;
    version: number;
    waterfall: string[];
    bands: { from_dpd: number; to_dpd: number | null; rate_bp: number }[];
  }>`
    SELECT k.id, k.client_id, k.effective_from, k.version, k.waterfall,
           coalesce((SELECT json_agg(json_build_object('from_dpd', r.from_dpd, 'to_dpd', r.to_dpd,
                                                       'rate_bp', r.rate_bp) ORDER BY r.from_dpd)
                       FROM contract_commission_rates r WHERE r.contract_id = k.id), '[]') AS bands
      FROM contracts k
     WHERE k.client_id = ANY(${clientIds}::bigint[])`.execute(trx);
  const byClient = new Map<string, ContractVersion[]>();
  for (const v of versions.rows) {
    const list = byClient.get(String(v.client_id)) ?? [];
    list.push({
      id: v.id,
      effectiveFrom: v.effective_from,
      version: v.version,
      waterfall: v.waterfall.join(','),
      positions: comps.map((c) => {
        const at = v.waterfall.indexOf(c);
        return at < 0 ? null : at + 1;
      }),
      bands: v.bands.map((b) => ({ fromDpd: b.from_dpd, toDpd: b.to_dpd, rateBp: b.rate_bp })),
    });
    byClient.set(String(v.client_id), list);
  }
  return byClient;
}

/** Days past due never exceed an int4 (dates are at most 5.9 million days apart). */
const maxDays = 2n ** 31n - 1n;

/**
 * The commission bands of the contracts in one statement, as the three arrays it searches: a
 * payment's key is its contract's base (the contract's ordinal × 2³²) plus its days past due (at least
 * 0); its band is the last one starting at or before the key (width_bucket, a binary search), if the
 * key is within that band's end, and no band means rate 0: rateForDpd's rule (ledger/model.ts). A
 * contract's bands lie between its base and the next contract's, so a key never finds another
 * contract's band. This replaced a table of every day of every band joined to each payment.
 */
class CommissionBands {
  readonly starts: string[] = [];
  readonly ends: string[] = [];
  readonly rates: number[] = [];
  readonly #keys = new Map<bigint, string>();

  keyOf(contract: ContractVersion): string {
    let key = this.#keys.get(contract.id);
    if (key === undefined) {
      const base = BigInt(this.#keys.size) << 32n;
      for (const band of [...contract.bands].sort((a, b) => a.fromDpd - b.fromDpd)) {
        this.starts.push(String(base + BigInt(band.fromDpd)));
        this.ends.push(String(base + (band.toDpd === null ? maxDays : BigInt(band.toDpd))));
        this.rates.push(band.rateBp);
      }
      key = String(base);
      this.#keys.set(contract.id, key);
    }
    return key;
  }
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
  const valid = chunk.map((input, seq) => ({ input, seq })).filter(({ seq }) => results[seq] === undefined);
  if (valid.length === 0) return results as PaymentResult[];

  // The contract version of every payment (a client has a handful), and the rounds: a payment whose
  // waterfall differs from the previous one on the same account waits for the next round.
  const clientIds = [...new Set(valid.map(({ input }) => String(input.clientId)))];
  const byClient = await contractVersions(trx, clientIds);
  const rounds: { input: PaymentInput; seq: number; contract: ContractVersion | undefined }[][] = [];
  const lastOnAccount = new Map<string, { round: number; waterfall: string }>();
  const seen = new Set<string>();
  for (const { input, seq } of valid) {
    // the same external id again in this input: a duplicate of the first
    const idKey = `${input.clientId}\u0000${input.externalId}`;
    if (seen.has(idKey)) {
      results[seq] = { externalId: input.externalId, status: 'duplicate' };
      continue;
    }
    seen.add(idKey);
    const contract = versionInForce(byClient.get(String(input.clientId)) ?? [], input.paidOn);
    const key = String(input.accountId);
    const previous = lastOnAccount.get(key);
    const waterfall = contract?.waterfall ?? '';
    const round =
      previous === undefined ? 0 : previous.waterfall === waterfall ? previous.round : previous.round + 1;
    lastOnAccount.set(key, { round, waterfall });
    if (!rounds[round]) rounds[round] = [];
    rounds[round]?.push({ input, seq, contract });
  }

  // The sorts of a big chunk stay in memory. JIT compilation of the posting statement (its cost
  // estimate passes jit_above_cost at a few thousand payments) took longer than running it: off.
  if (valid.length >= 1000)
    await sql`SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`.execute(trx);
  const touched = new Set<bigint>();
  for (const round of rounds) {
    if (!round || round.length === 0) continue;
    const rows = await postRound(trx, round, actor);
    for (const row of rows) {
      const input = chunk[row.seq] as PaymentInput;
      if (row.status === 'pending') {
        touched.add(input.accountId);
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
  }
  if (touched.size > 0) await applyDueSettlements(trx, [...touched], actor);
  return results as PaymentResult[];
}

const comps: Component[] = ['principal', 'interest', 'fees', 'penalty'];
const balanceColumn = (c: Component) => `c.b_${c}`;
// Where each component stands in the payment's waterfall (1..4), looked up once per payment in
// `classified`: the allocation and line numbers below compare these integers dozens of times a row,
// and array_position on the text[] each time was a tenth of the statement.
const position = (c: Component) => `c.w_${c}`;

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
    return `CASE WHEN c.status = 'pending' THEN greatest(0, least(c.cum, ${upper}) - greatest(c.cum - c.amount, ${lower})) END AS a_${c}`;
  })
  .join(',\n');

/** For each component, how many non-zero components precede it in the waterfall; and their count. */
const lineColumns = [
  ...comps.map(
    (c) =>
      `${comps
        .filter((d) => d !== c)
        .map((d) => `(p.w_${d} < p.w_${c} AND p.a_${d} <> 0)::int`)
        .join(' + ')} AS before_${c}`,
  ),
  `${comps.map((c) => `(p.a_${c} <> 0)::int`).join(' + ')} AS debt_lines`,
].join(',\n');

/**
 * One round (one waterfall per account): lock the accounts, then ONE statement classifies, prices
 * and allocates the payments and writes entries, postings, cached balances and account events
 * through data-modifying CTEs, returning one row per payment.
 */
async function postRound(
  trx: Kysely<Database>,
  round: readonly { input: PaymentInput; seq: number; contract: ContractVersion | undefined }[],
  actor: string,
): Promise<WorkRow[]> {
  // The statement's input as one array per column, built in one pass (no closure per row and
  // column); the account ids double as the set to lock.
  const n = round.length;
  const seqs = new Array<number>(n);
  const clientIds = new Array<string>(n);
  const accountIdList = new Array<string>(n);
  const externalIds = new Array<string>(n);
  const amounts = new Array<string>(n);
  const currencies = new Array<string>(n);
  const paidOns = new Array<string>(n);
  const paidAts = new Array<string | null>(n);
  const channels = new Array<string>(n);
  const directs = new Array<boolean>(n);
  const payerNames = new Array<string | null>(n);
  const references = new Array<string | null>(n);
  const sources = new Array<string | null>(n);
  const contractIds = new Array<string | null>(n);
  const positions = comps.map(() => new Array<number | null>(n));
  const rateKeys = new Array<string | null>(n);
  const bands = new CommissionBands();
  for (let k = 0; k < n; k++) {
    const { input, seq, contract } = round[k] as (typeof round)[number];
    seqs[k] = seq;
    clientIds[k] = String(input.clientId);
    accountIdList[k] = String(input.accountId);
    externalIds[k] = input.externalId;
    amounts[k] = String(input.amountMinor);
    currencies[k] = input.currency;
    paidOns[k] = input.paidOn;
    paidAts[k] = input.paidAt;
    channels[k] = input.channel;
    directs[k] = input.direct;
    payerNames[k] = input.payerName ?? null;
    references[k] = input.reference ?? null;
    sources[k] = input.source ?? null;
    contractIds[k] = contract ? String(contract.id) : null;
    positions.forEach((column, c) => {
      column[k] = contract?.positions[c] ?? null;
    });
    rateKeys[k] = contract ? bands.keyOf(contract) : null;
  }
  const accountIds = [...new Set(accountIdList)];
  // Serialise with every other writer of these accounts; id order avoids deadlocks.
  await sql`SELECT id FROM accounts WHERE id = ANY(${accountIds}::bigint[]) ORDER BY id FOR UPDATE`.execute(
    trx,
  );

  // This statement's snapshot is taken after the locks: payments committed meanwhile are seen, and
  // every part of it reads the accounts as they were before its own update.
  const input = sql`
      SELECT * FROM unnest(
        ${seqs}::int[], ${clientIds}::bigint[], ${accountIdList}::bigint[], ${externalIds}::text[],
        ${amounts}::bigint[], ${currencies}::text[], ${paidOns}::date[], ${paidAts}::timestamptz[],
        ${channels}::text[], ${directs}::boolean[], ${payerNames}::text[], ${references}::text[],
        ${sources}::text[], ${contractIds}::bigint[], ${positions[0]}::int[], ${positions[1]}::int[],
        ${positions[2]}::int[], ${positions[3]}::int[], ${rateKeys}::int8[])
        AS u(seq, client_id, account_id, external_id, amount, currency, paid_on, paid_at, channel, direct,
             payer_name, reference, source, contract_id, w_principal, w_interest, w_fees, w_penalty, rate_key)`;
  const result = await sql<WorkRow>`${postingStatement(input, bands, actor)}
    SELECT seq, status, reason, entry_id, a_principal, a_interest, a_fees, a_penalty, a_over, commission
      FROM priced ORDER BY seq`.execute(trx);
  return result.rows;
}

/**
 * The posting statement up to its final SELECT: `input` gives one row per payment (seq, client_id,
 * account_id, external_id, amount, currency, paid_on, paid_at, channel, direct, payer_name,
 * reference, source, contract_id, the contract's waterfall positions w_principal, w_interest, w_fees,
 * w_penalty, and its rate_key in `bands`); the caller appends the SELECT over `priced` it needs.
 * The contract's terms come with the input, worked out from the versions the caller read: joining
 * contracts and its rates here cost a probe, four array_position calls and a hash join per payment.
 */
function postingStatement(
  input: RawBuilder<unknown>,
  bands: CommissionBands,
  actor: string,
): RawBuilder<unknown> {
  return sql`
    WITH input AS (${input}),
    -- The ledger's entry with the payment's external id, one index probe per payment in input
    -- order (a join let the planner merge against the client's whole external-id index, a scan that
    -- grows with the ledger rather than with the file). Then the payments are sorted into the
    -- window's order (by account, in input order) before the account probe below joins its columns:
    -- nothing is sorted after it, and an account's payments probe its page one after the other.
    probed AS (
      SELECT i.*, je.id AS duplicate_of
        FROM input i
        LEFT JOIN LATERAL (
          SELECT je.id FROM journal_entries je
           WHERE je.client_id = i.client_id AND je.external_id = i.external_id LIMIT 1) je ON true
       ORDER BY i.account_id, i.seq),
    classified AS (
      SELECT i.*, a.delinquency_date, a.status AS account_status, a.ctid AS account_row,
             a.principal_minor AS b_principal, a.interest_minor AS b_interest, a.fees_minor AS b_fees,
             a.penalty_minor AS b_penalty,
             CASE
               WHEN i.duplicate_of IS NOT NULL THEN 'duplicate'
               WHEN a.id IS NULL OR a.status NOT IN ('active', 'paid', 'settled') OR a.currency <> i.currency
                 OR i.contract_id IS NULL THEN 'rejected'
               ELSE 'pending' END AS status,
             CASE
               WHEN i.duplicate_of IS NOT NULL THEN NULL
               WHEN a.id IS NULL THEN 'unknown account'
               WHEN a.status NOT IN ('active', 'paid', 'settled') THEN 'account is ' || replace(a.status, '_', ' ')
               WHEN a.currency <> i.currency THEN
                 'currency ' || i.currency || ' does not match the account''s ' || a.currency
               WHEN i.contract_id IS NULL THEN 'the client has no contract' END AS reason
        FROM probed i
        -- index probes (the primary key; LIMIT keeps the planner from flattening it back into a
        -- hash of every account): the cost follows the file, not the number of accounts
        LEFT JOIN LATERAL (
          SELECT a.id, a.ctid, a.status, a.currency, a.delinquency_date, a.principal_minor, a.interest_minor,
                 a.fees_minor, a.penalty_minor
            FROM accounts a WHERE a.id = i.account_id AND a.client_id = i.client_id LIMIT 1) a ON true),
    c AS (
      SELECT cl.*, cl.paid_on - cl.delinquency_date AS dpd,
             width_bucket(cl.rate_key + greatest(0, cl.paid_on - cl.delinquency_date),
                          ${bands.starts}::int8[]) AS band,
             (sum(cl.amount) FILTER (WHERE cl.status = 'pending')
               OVER (PARTITION BY cl.account_id ORDER BY cl.seq))::bigint AS cum
        FROM classified cl),
    allocated AS (
      SELECT c.*, ${sql.raw(allocationColumns)},
             CASE WHEN c.status = 'pending' THEN greatest(0, c.cum - greatest(c.cum - c.amount,
               c.b_principal + c.b_interest + c.b_fees + c.b_penalty)) END AS a_over,
             CASE WHEN c.status <> 'pending' THEN NULL
                  WHEN c.band > 0 AND c.rate_key + greatest(0, c.dpd) <= (${bands.ends}::int8[])[c.band]
                  THEN (${bands.rates}::int[])[c.band]
                  ELSE 0 END AS rate_bp
        -- OFFSET 0 keeps this a subquery of its own: pulled up into \`ordered\`, every allocation
        -- and the rate were computed twice, once for their columns and once inside the numerator
        FROM c OFFSET 0),
    -- only what the writes and the answer read: the sort and the materialised \`priced\` copy every
    -- column of every payment (the balances, bands and running sums were a fifth of their width)
    ordered AS (
      SELECT al.seq, al.client_id, al.account_id, al.external_id, al.amount, al.currency, al.paid_on,
             al.paid_at, al.channel, al.direct, al.payer_name, al.reference, al.source, al.contract_id,
             al.w_principal, al.w_interest, al.w_fees, al.w_penalty, al.account_status, al.account_row,
             al.duplicate_of,
             al.status, al.reason, al.dpd, al.a_principal, al.a_interest, al.a_fees, al.a_penalty,
             al.a_over, al.rate_bp,
             (al.a_principal + al.a_interest + al.a_fees + al.a_penalty) * al.rate_bp AS numerator
        FROM allocated al ORDER BY al.seq),
    -- entry ids drawn in input order; half-even commission with the exact numerator kept. The
    -- sequence is looked up once (an InitPlan): pg_get_serial_sequence per row searched the catalog
    -- for every payment, a tenth of the statement.
    priced AS MATERIALIZED (
      SELECT o.*,
             CASE WHEN o.status = 'pending'
                  THEN nextval((SELECT pg_get_serial_sequence('journal_entries', 'id')::regclass))
                  ELSE o.duplicate_of END AS entry_id,
             o.numerator / 10000 + CASE
               WHEN (o.numerator % 10000) * 2 > 10000 THEN 1
               WHEN (o.numerator % 10000) * 2 = 10000 AND (o.numerator / 10000) % 2 = 1 THEN 1
               ELSE 0 END AS commission
        FROM ordered o),
    entries AS (
      INSERT INTO journal_entries (id, client_id, account_id, kind, currency, effective_date, external_id,
        contract_id, commission_rate_bp, days_past_due, commission_exact_numerator, source, memo, created_by)
      OVERRIDING SYSTEM VALUE
      SELECT entry_id, client_id, account_id, CASE WHEN direct THEN 'direct_payment' ELSE 'payment' END,
             currency, paid_on, external_id, contract_id, rate_bp, dpd, numerator, source,
             jsonb_strip_nulls(jsonb_build_object('paid_at', paid_at, 'channel', channel,
               'payer_name', payer_name, 'reference', reference)),
             ${actor}
        FROM priced WHERE status = 'pending'),
    -- Lines 1..n per entry: cash pair, debt pair (components in waterfall order, overpayment last),
    -- commission pair; zero lines are left out, and each line number is computed, not sorted for.
    numbered AS (
      SELECT p.*, CASE WHEN p.direct THEN 1 ELSE 3 END AS base, ${sql.raw(lineColumns)}
        FROM priced p WHERE p.status = 'pending'),
    -- Line k (1..10) of every payment from one uncorrelated series and CASE: a LATERAL VALUES list
    -- correlated with the payment initialised its ten rows' expressions again for every payment (a
    -- third of the insert's time). The rows come out in (entry, line) order without a sort, so the
    -- primary key grows at its end: \`priced\` is stored in input order, its entry ids drawn in that
    -- order, and the series is the inner side of the loop (an ORDER BY here sorted 77,000 rows a chunk
    -- that were already in order, 7 % of the statement).
    posted AS (
      INSERT INTO postings (entry_id, line, client_id, account_id, ledger_account, amount_minor)
      SELECT v.entry_id, v.line, v.client_id, v.account_id, v.acct, v.amount
        FROM (
          SELECT w.entry_id, w.client_id, k,
                 CASE k WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 3
                        WHEN 4 THEN w.base + 1 + w.before_principal WHEN 5 THEN w.base + 1 + w.before_interest
                        WHEN 6 THEN w.base + 1 + w.before_fees WHEN 7 THEN w.base + 1 + w.before_penalty
                        WHEN 8 THEN w.base + 1 + w.debt_lines
                        WHEN 9 THEN w.base + 1 + w.debt_lines + (w.a_over <> 0)::int
                        ELSE w.base + 2 + w.debt_lines + (w.a_over <> 0)::int END::smallint AS line,
                 CASE k WHEN 1 THEN CASE WHEN w.direct THEN 'client:direct_paid'::ledger_account
                                         ELSE 'trust:bank'::ledger_account END
                        WHEN 2 THEN 'client:payable'::ledger_account
                        WHEN 3 THEN 'client:collected'::ledger_account
                        WHEN 4 THEN 'debt:principal'::ledger_account
                        WHEN 5 THEN 'debt:interest'::ledger_account
                        WHEN 6 THEN 'debt:fees'::ledger_account
                        WHEN 7 THEN 'debt:penalty'::ledger_account
                        WHEN 8 THEN 'debt:overpayment'::ledger_account
                        WHEN 9 THEN CASE WHEN w.direct THEN 'client:commission_receivable'::ledger_account
                                         ELSE 'client:payable'::ledger_account END
                        ELSE 'agency:commission_revenue'::ledger_account END AS acct,
                 CASE WHEN k BETWEEN 4 AND 8 THEN w.account_id END AS account_id,
                 CASE k WHEN 1 THEN w.amount
                        WHEN 2 THEN CASE WHEN w.direct THEN 0 ELSE -w.amount END
                        WHEN 3 THEN CASE WHEN w.direct THEN 0 ELSE w.amount END
                        WHEN 4 THEN -w.a_principal WHEN 5 THEN -w.a_interest WHEN 6 THEN -w.a_fees
                        WHEN 7 THEN -w.a_penalty WHEN 8 THEN -w.a_over
                        WHEN 9 THEN w.commission ELSE -w.commission END AS amount
            FROM numbered w CROSS JOIN generate_series(1, 10) AS k) v
       WHERE v.amount <> 0),
    -- The last payment is the latest by (date, input order): the greatest (day, seq, amount) array
    -- carries its amount. Two ordered array_aggs sorted every account's payments twice and made the
    -- grouping sort all of them by account first.
    moved AS (
      SELECT account_id, sum(a_principal) AS p, sum(a_interest) AS i, sum(a_fees) AS f,
             sum(a_penalty) AS n, sum(a_over) AS o, max(paid_on) AS last_on,
             (max(ARRAY[paid_on - DATE '2000-01-01', seq, amount]))[3] AS last_amount,
             max(entry_id) AS last_entry, min(account_status) AS prior_status, min(account_row) AS account_row
        FROM priced WHERE status = 'pending'
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
       -- the row version this statement read, still the current one as the accounts are locked: a
       -- TID probe instead of a descent of the primary key for every account
       WHERE a.ctid = m.account_row AND a.id = m.account_id
      RETURNING a.id, a.client_id, a.status, m.last_entry, m.prior_status),
    -- the status before is the one this statement read (classified), not a second scan of accounts
    events AS (
      INSERT INTO account_events (client_id, account_id, kind, from_status, to_status, reason, entry_id, actor)
      SELECT u.client_id, u.id, 'status', u.prior_status, u.status, 'paid in full', u.last_entry, ${actor}
        FROM updated u
       WHERE u.status <> u.prior_status)
  `;
}

// ---------------------------------------------------------------- payments staged by an import

/** One chunk of a payment import's staging rows (migration 0011): a stream's chunk. */
export interface StagedChunk {
  stageId: bigint;
  stream: number;
  chunk: number;
  clientId: bigint;
  /** journal_entries.source of the entries, e.g. 'payment_import:12' */
  source: string;
}

export interface StagedOutcome {
  /** The rows not posted, by file row: repeats of an external id in the books, refusals. */
  notPosted: { row: number; externalId: string; status: 'duplicate' | 'rejected'; reason: string | null }[];
  /** What was posted, by currency. */
  posted: { currency: string; count: number; amountMinor: bigint; commissionMinor: bigint }[];
}

/**
 * Posts one chunk of staged payments in one transaction (retried as `postPayments` is), as
 * `postPayments` would post the same payments in file order, and answers only what the import
 * reports: the rows not posted and the totals, not a row per payment.
 */
export async function postStagedChunk(
  db: Kysely<Database>,
  chunk: StagedChunk,
  actor: string,
): Promise<StagedOutcome> {
  return withRetry(db, (trx) => postStaged(trx, chunk, actor));
}

interface StagedRow {
  seq: number | null;
  external_id: string | null;
  status: string;
  reason: string | null;
  currency: string | null;
  amount: bigint | null;
  commission: bigint | null;
  n: number | null;
  account_id: bigint | null;
}

async function postStaged(trx: Kysely<Database>, chunk: StagedChunk, actor: string): Promise<StagedOutcome> {
  // the chunk through its index (stage, stream, chunk, rows: migration 0040)
  const where = sql`s.stage_id = ${chunk.stageId} AND s.stream = ${chunk.stream} AND s.chunk = ${chunk.chunk}
                    AND s.status = 'p'`;
  await sql`SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`.execute(trx);
  // The contract version in force on each payment date, by the one rule (versionInForce); a chunk
  // holds whole accounts, so it spans every date of the file (a few hundred at most).
  const list = (await contractVersions(trx, [String(chunk.clientId)])).get(String(chunk.clientId)) ?? [];
  const dates = await sql<{ paid_on: string | null }>`
    SELECT DISTINCT s.paid_on FROM payment_import_rows s WHERE ${where}`.execute(trx);
  // ascending, for the binary search (width_bucket) that finds a payment's date among them
  const days = dates.rows
    .map((d) => d.paid_on)
    .filter((day): day is string => day !== null)
    .sort();
  const contractIds: (string | null)[] = [];
  const positions = comps.map((): (number | null)[] => []);
  const rateKeys: (string | null)[] = [];
  const bands = new CommissionBands();
  // each distinct waterfall by number (an int compares cheaper than the text in the rounds' window)
  const waterfalls = new Map<string, number>();
  const dayWaterfalls: number[] = [];
  for (const day of days) {
    const contract = versionInForce(list, day);
    contractIds.push(contract ? String(contract.id) : null);
    positions.forEach((column, c) => {
      column.push(contract?.positions[c] ?? null);
    });
    rateKeys.push(contract ? bands.keyOf(contract) : null);
    const waterfall = contract?.waterfall ?? '';
    if (!waterfalls.has(waterfall)) waterfalls.set(waterfall, waterfalls.size);
    dayWaterfalls.push(waterfalls.get(waterfall) ?? 0);
  }
  // Rounds as postChunk makes them: a payment whose waterfall differs from the previous one on its
  // account waits for the next round (whenever the file's dates span a contract change: chunks hold
  // whole accounts over all of the file's dates).
  const rounds = waterfalls.size > 1;
  const staged = sql`
    SELECT s.row_number AS seq, ${chunk.clientId}::bigint AS client_id, s.account_id, s.external_id,
           s.amount_minor AS amount, s.currency, s.paid_on, s.paid_at, s.channel,
           s.channel = 'direct_to_client' AS direct, s.payer_name, s.reference, ${chunk.source}::text AS source,
           (${contractIds}::bigint[])[s.day] AS contract_id, (${positions[0]}::int[])[s.day] AS w_principal,
           (${positions[1]}::int[])[s.day] AS w_interest, (${positions[2]}::int[])[s.day] AS w_fees,
           (${positions[3]}::int[])[s.day] AS w_penalty, (${rateKeys}::int8[])[s.day] AS rate_key,
           (${dayWaterfalls}::int[])[s.day] AS waterfall
      -- The contract and its terms per date, from the versions read above (not a probe of contracts
      -- per staged row), picked by the date's place among the chunk's dates. A join with the dates
      -- hashed the chunk's rows and gave them out by date; read this way they stay in file order,
      -- so the external-id probes of the posting statement walk the index in the file's id order.
      -- (OFFSET 0 keeps the subquery whole: pulled up, the search would run once per column.)
      FROM (SELECT s.*, width_bucket(s.paid_on, ${days}::date[]) AS day
              FROM payment_import_rows s WHERE ${where} OFFSET 0) s`;
  const numbered = rounds
    ? sql`
      SELECT r.*, sum(r.changed) OVER (PARTITION BY r.account_id ORDER BY r.seq) AS round
        FROM (SELECT t.*, (t.waterfall <> lag(t.waterfall, 1, t.waterfall)
                             OVER (PARTITION BY t.account_id ORDER BY t.seq))::int AS changed
                FROM (${staged}) t) r`
    : sql`SELECT t.*, 0 AS round FROM (${staged}) t`;
  let last = 0;
  if (rounds) {
    const max = await sql<{ n: number | null }>`SELECT max(x.round)::int AS n FROM (${numbered}) x`.execute(
      trx,
    );
    last = max.rows[0]?.n ?? 0;
  }
  // Serialise with every other writer of these accounts; id order avoids deadlocks. The ids as one
  // array: the primary key is scanned in id order (no sort of the locked rows, and neighbouring
  // accounts probed one after the other) rather than probed in a hash's order and sorted.
  await sql`
    SELECT a.id FROM accounts a
     WHERE a.id = ANY(ARRAY(SELECT DISTINCT s.account_id FROM payment_import_rows s WHERE ${where}))
     ORDER BY a.id FOR UPDATE`.execute(trx);
  const outcome: StagedOutcome = { notPosted: [], posted: [] };
  const settle: bigint[] = [];
  for (let round = 0; round <= last; round++) {
    const input = sql`SELECT * FROM (${numbered}) x WHERE x.round = ${round}`;
    const rows = await sql<StagedRow>`${postingStatement(input, bands, actor)}
      SELECT seq, external_id, status, reason, NULL::text AS currency, NULL::int8 AS amount, NULL::int8 AS commission,
             NULL::int AS n, NULL::int8 AS account_id
        FROM priced WHERE status <> 'pending'
      UNION ALL
      SELECT NULL, NULL, 'posted', NULL, currency, sum(amount)::int8, sum(commission)::int8, count(*)::int, NULL
        FROM priced WHERE status = 'pending' GROUP BY currency
      UNION ALL
      -- \`updated\` has the accounts with a posted payment once each (no DISTINCT over the payments)
      SELECT NULL, NULL, 'settle', NULL, NULL, NULL, NULL, NULL, u.id
        FROM updated u
       WHERE EXISTS (SELECT 1 FROM ledger_settlements st WHERE st.account_id = u.id AND st.status = 'open')`.execute(
      trx,
    );
    for (const row of rows.rows) {
      if (row.status === 'posted') {
        outcome.posted.push({
          currency: row.currency as string,
          count: row.n ?? 0,
          amountMinor: row.amount ?? 0n,
          commissionMinor: row.commission ?? 0n,
        });
      } else if (row.status === 'settle') {
        settle.push(row.account_id as bigint);
      } else {
        outcome.notPosted.push({
          row: row.seq as number,
          externalId: row.external_id as string,
          status: row.status === 'duplicate' ? 'duplicate' : 'rejected',
          reason: row.reason,
        });
      }
    }
  }
  if (settle.length > 0) await applyDueSettlements(trx, [...new Set(settle)], actor);
  return outcome;
}
