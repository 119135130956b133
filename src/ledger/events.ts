/**
 * The ledger's single-account and client-level events (ledger.md events 2, 5–10) and the
 * maker-checker controls around them. Each runs in one transaction holding the account's row lock.
 */
import { type Kysely, sql } from 'kysely';
import type { Component, Database } from '../db/schema.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  accrualPostings,
  type Components,
  commissionTransferPostings,
  components,
  discountByComponent,
  discountWithinLimit,
  minBig,
  type PostingLine,
  type ReductionKind,
  reductionPostings,
  remittancePostings,
  reversalPostings,
  totalOf,
  type WriteOffReason,
  writeOffReasons,
  zeroComponents,
} from './model.ts';
import {
  balancesAfter,
  contractRowInForce,
  insertEntry,
  type LockedAccount,
  lockAccount,
  reevaluatedStatus,
  requireLive,
  updateAccount,
} from './post.ts';
import { applyDueSettlements } from './settlements.ts';
import type { ProposalKind } from './tables.ts';

type Db = Kysely<Database>;

export interface AccountEventBase {
  clientId: bigint;
  accountId: bigint;
  actor: string;
  /** Business date of the entry; default today (Asia/Shanghai). */
  effectiveDate?: string;
}

export type PostedOrProposed =
  | { status: 'posted'; entryId: bigint | null }
  | { status: 'proposed'; proposalId: bigint }
  | { status: 'agreed'; settlementId: bigint };

function positive(amount: bigint, what: string): void {
  if (amount <= 0n) throw new HuikuanError('bad_input', `${what} must be greater than 0.`);
}

// --------------------------------------------------------------------------------- accrual (2)

export async function accrue(
  db: Db,
  input: AccountEventBase & {
    interestMinor: bigint;
    feesMinor: bigint;
    reason?: string;
    externalId?: string;
  },
): Promise<{ entryId: bigint }> {
  if (input.interestMinor < 0n || input.feesMinor < 0n) {
    throw new HuikuanError('bad_input', 'Accrued interest and fees must be ≥ 0.');
  }
  positive(input.interestMinor + input.feesMinor, 'The accrued amount');
  const date = input.effectiveDate ?? todayIn();
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, input.clientId, input.accountId);
    requireLive(account, 'accrue');
    const contract = await contractRowInForce(trx, input.clientId, date);
    if (!contract.accrual_allowed) {
      throw new HuikuanError(
        'invalid_state',
        `The client's contract (version ${contract.version}) does not allow accrual on placed accounts.`,
      );
    }
    const lines = accrualPostings(account.id, {
      ...zeroComponents(),
      interest: input.interestMinor,
      fees: input.feesMinor,
    });
    const entryId = await insertEntry(
      trx,
      {
        clientId: account.clientId,
        accountId: account.id,
        kind: 'accrual',
        currency: account.currency,
        effectiveDate: date,
        externalId: input.externalId ?? null,
        contractId: contract.id,
        reason: input.reason ?? null,
        actor: input.actor,
      },
      lines,
    );
    const after = balancesAfter(account, lines);
    await updateAccount(trx, account, after, {
      status: reevaluatedStatus(account.status, after.balances),
      reason: 'accrual',
      entryId,
      actor: input.actor,
    });
    return { entryId };
  });
}

// ------------------------------------------------------------ reductions (7–10) and maker-checker

async function postReduction(
  trx: Db,
  account: LockedAccount,
  kind: ReductionKind,
  amounts: Components,
  meta: { reason: string | null; effectiveDate: string; actor: string; memo?: unknown },
): Promise<bigint | null> {
  const status =
    kind === 'recall'
      ? 'recalled'
      : kind === 'write_off'
        ? 'written_off'
        : reevaluatedStatus(account.status, subtract(account.balances, amounts));
  if (totalOf(amounts) === 0n) {
    await updateAccount(trx, account, account, {
      status,
      reason: meta.reason,
      entryId: null,
      actor: meta.actor,
    });
    return null;
  }
  const lines = reductionPostings(kind, account.id, amounts);
  const entryId = await insertEntry(
    trx,
    {
      clientId: account.clientId,
      accountId: account.id,
      kind,
      currency: account.currency,
      effectiveDate: meta.effectiveDate,
      reason: meta.reason,
      memo: meta.memo,
      actor: meta.actor,
    },
    lines,
  );
  await updateAccount(trx, account, balancesAfter(account, lines), {
    status,
    reason: meta.reason,
    entryId,
    actor: meta.actor,
  });
  return entryId;
}

function subtract(a: Components, b: Components): Components {
  return {
    principal: a.principal - b.principal,
    interest: a.interest - b.interest,
    fees: a.fees - b.fees,
    penalty: a.penalty - b.penalty,
  };
}

async function createProposal(
  trx: Db,
  kind: ProposalKind,
  account: LockedAccount,
  payload: Record<string, unknown>,
  reason: string | null,
  actor: string,
): Promise<bigint> {
  const pending = await trx
    .selectFrom('ledger_proposals')
    .select('id')
    .where('account_id', '=', account.id)
    .where('status', '=', 'pending')
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (pending) {
    throw new HuikuanError(
      'conflict',
      `Account ${account.ref} already has a pending ${kind.replace('_', '-')} proposal (${pending.id}); approve or reject it first.`,
    );
  }
  const row = await trx
    .insertInto('ledger_proposals')
    .values({
      client_id: account.clientId,
      account_id: account.id,
      kind,
      payload: JSON.stringify(payload),
      reason,
      proposed_by: actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function componentsToJson(c: Components): Record<string, string> {
  return Object.fromEntries(components.map((k) => [k, String(c[k])]));
}

function componentsFromJson(value: unknown): Components {
  const record = (value ?? {}) as Record<string, string>;
  const out = zeroComponents();
  for (const k of components) out[k] = BigInt(record[k] ?? '0');
  return out;
}

/**
 * Settlement discount / waiver (event 7) of `amountMinor`, taken off the components in the
 * waterfall order unless `components` names them. Within the contract's discount limit (basis points
 * of the balance) it posts at once; above it, it becomes a proposal for a second user.
 */
export async function discount(
  db: Db,
  input: AccountEventBase & { amountMinor: bigint; components?: Partial<Components>; reason: string },
): Promise<PostedOrProposed> {
  positive(input.amountMinor, 'The discount');
  const date = input.effectiveDate ?? todayIn();
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, input.clientId, input.accountId);
    requireLive(account, 'discount');
    const contract = await contractRowInForce(trx, input.clientId, date);
    const amounts = discountAmounts(account, contract.waterfall, input.amountMinor, input.components);
    if (discountWithinLimit(input.amountMinor, totalOf(account.balances), contract.discount_limit_bp)) {
      const entryId = await postReduction(trx, account, 'discount', amounts, {
        reason: input.reason,
        effectiveDate: date,
        actor: input.actor,
      });
      return { status: 'posted', entryId };
    }
    const proposalId = await createProposal(
      trx,
      'discount',
      account,
      {
        amount_minor: String(input.amountMinor),
        components: componentsToJson(amounts),
        effective_date: date,
      },
      input.reason,
      input.actor,
    );
    return { status: 'proposed', proposalId };
  });
}

function discountAmounts(
  account: LockedAccount,
  waterfall: readonly Component[],
  amount: bigint,
  explicit?: Partial<Components>,
): Components {
  if (amount > totalOf(account.balances)) {
    throw new HuikuanError(
      'bad_input',
      `A discount of ${amount} minor units exceeds the balance of account ${account.ref} (${totalOf(account.balances)}).`,
    );
  }
  if (!explicit) return discountByComponent(account.balances, waterfall, amount);
  const amounts = { ...zeroComponents(), ...explicit };
  if (totalOf(amounts) !== amount) {
    throw new HuikuanError('bad_input', 'The discount by component must add up to the discount amount.');
  }
  for (const c of components) {
    if (amounts[c] < 0n || amounts[c] > account.balances[c]) {
      throw new HuikuanError(
        'bad_input',
        `The ${c} discount must be between 0 and the ${c} balance (${account.balances[c]}).`,
      );
    }
  }
  return amounts;
}

/** Recall (event 8) — always a proposal; approval credits every remaining component. */
export async function proposeRecall(db: Db, input: AccountEventBase & { reason: string }): Promise<bigint> {
  return proposeClosing(db, 'recall', input, {});
}

/** Write-off (event 9) with its reason — always a proposal; approval credits every remaining component. */
export async function proposeWriteOff(
  db: Db,
  input: AccountEventBase & { reason: string; note?: string },
): Promise<bigint> {
  if (!writeOffReasons.includes(input.reason as WriteOffReason)) {
    throw new HuikuanError(
      'bad_input',
      `Write-off reason "${input.reason}" is not one of ${writeOffReasons.join(', ')}.`,
    );
  }
  return proposeClosing(db, 'write_off', input, { note: input.note ?? null });
}

async function proposeClosing(
  db: Db,
  kind: 'recall' | 'write_off',
  input: AccountEventBase & { reason: string },
  extra: Record<string, unknown>,
): Promise<bigint> {
  if (!input.reason.trim()) throw new HuikuanError('bad_input', 'Give a reason.');
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, input.clientId, input.accountId);
    requireLive(account, kind === 'recall' ? 'recall' : 'write off');
    return createProposal(
      trx,
      kind,
      account,
      { effective_date: input.effectiveDate ?? null, ...extra },
      input.reason,
      input.actor,
    );
  });
}

/**
 * Client adjustment (event 10, a reduction that is neither payment nor discount) by component —
 * always a proposal.
 */
export async function proposeAdjustment(
  db: Db,
  input: AccountEventBase & { amounts: Partial<Components>; reason: string },
): Promise<bigint> {
  const amounts = { ...zeroComponents(), ...input.amounts };
  if (components.some((c) => amounts[c] < 0n))
    throw new HuikuanError('bad_input', 'Adjustments are reductions: amounts ≥ 0.');
  positive(totalOf(amounts), 'The adjustment');
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, input.clientId, input.accountId);
    requireLive(account, 'adjust');
    checkWithin(account, amounts);
    return createProposal(
      trx,
      'adjustment',
      account,
      { components: componentsToJson(amounts), effective_date: input.effectiveDate ?? null },
      input.reason,
      input.actor,
    );
  });
}

function checkWithin(account: LockedAccount, amounts: Components): void {
  for (const c of components) {
    if (amounts[c] > account.balances[c]) {
      throw new HuikuanError(
        'invalid_state',
        `The ${c} reduction (${amounts[c]}) exceeds the ${c} balance of account ${account.ref} (${account.balances[c]}).`,
      );
    }
  }
}

/**
 * Agrees a settlement: the debtor pays `amountMinor` (from now on) and the rest is waived. Within the
 * discount limit it is agreed at once; above it, it becomes a proposal.
 */
export async function agreeSettlement(
  db: Db,
  input: AccountEventBase & { amountMinor: bigint; reason?: string },
): Promise<PostedOrProposed> {
  positive(input.amountMinor, 'The settlement amount');
  const date = input.effectiveDate ?? todayIn();
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, input.clientId, input.accountId);
    requireLive(account, 'settle');
    const balance = totalOf(account.balances);
    if (input.amountMinor >= balance) {
      throw new HuikuanError(
        'bad_input',
        `A settlement of ${input.amountMinor} is not below the balance (${balance}); nothing to waive.`,
      );
    }
    const contract = await contractRowInForce(trx, input.clientId, date);
    if (discountWithinLimit(balance - input.amountMinor, balance, contract.discount_limit_bp)) {
      const settlementId = await createSettlement(trx, account, input.amountMinor, date, null, input.actor);
      return { status: 'agreed', settlementId };
    }
    const proposalId = await createProposal(
      trx,
      'settlement',
      account,
      { amount_minor: String(input.amountMinor), effective_date: date },
      input.reason ?? null,
      input.actor,
    );
    return { status: 'proposed', proposalId };
  });
}

async function createSettlement(
  trx: Db,
  account: LockedAccount,
  amount: bigint,
  date: string,
  proposalId: bigint | null,
  actor: string,
): Promise<bigint> {
  const open = await trx
    .selectFrom('ledger_settlements')
    .select('id')
    .where('account_id', '=', account.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (open)
    await trx
      .updateTable('ledger_settlements')
      .set({ status: 'cancelled' })
      .where('id', '=', open.id)
      .execute();
  const last = await sql<{ id: bigint | null }>`
    SELECT max(id) AS id FROM journal_entries WHERE account_id = ${account.id}`.execute(trx);
  const row = await trx
    .insertInto('ledger_settlements')
    .values({
      client_id: account.clientId,
      account_id: account.id,
      agreed_minor: amount,
      balance_at_agreement_minor: totalOf(account.balances),
      after_entry_id: last.rows[0]?.id ?? 0n,
      agreed_on: date,
      proposal_id: proposalId,
      created_by: actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface ProposalView {
  id: bigint;
  client_id: bigint;
  client_code: string;
  account_id: bigint | null;
  account_ref: string | null;
  kind: ProposalKind;
  status: string;
  reason: string | null;
  payload: unknown;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  entry_id: bigint | null;
}

export async function listProposals(
  db: Db,
  filter: { status?: 'pending' | 'approved' | 'rejected' | 'all'; clientId?: bigint } = {},
): Promise<ProposalView[]> {
  let query = db
    .selectFrom('ledger_proposals as p')
    .innerJoin('clients as c', 'c.id', 'p.client_id')
    .leftJoin('accounts as a', 'a.id', 'p.account_id')
    .select([
      'p.id',
      'p.client_id',
      'c.code as client_code',
      'p.account_id',
      'a.client_account_ref as account_ref',
      'p.kind',
      'p.status',
      'p.reason',
      'p.payload',
      'p.proposed_by',
      'p.proposed_at',
      'p.decided_by',
      'p.decided_at',
      'p.decision_reason',
      'p.entry_id',
    ])
    .orderBy('p.id');
  const status = filter.status ?? 'pending';
  if (status !== 'all') query = query.where('p.status', '=', status);
  if (filter.clientId !== undefined) query = query.where('p.client_id', '=', filter.clientId);
  return (await query.execute()) as ProposalView[];
}

async function lockProposal(trx: Db, proposalId: bigint, actor: string, verb: string) {
  const proposal = await trx
    .selectFrom('ledger_proposals')
    .selectAll()
    .where('id', '=', proposalId)
    .forUpdate()
    .executeTakeFirst();
  if (!proposal) throw new HuikuanError('not_found', `There is no proposal ${proposalId}.`);
  if (proposal.status !== 'pending') {
    throw new HuikuanError('invalid_state', `Proposal ${proposalId} was already ${proposal.status}.`);
  }
  if (proposal.proposed_by === actor) {
    throw new HuikuanError(
      'forbidden',
      `${actor} proposed ${proposalId} and cannot ${verb} it; a second user must (maker-checker).`,
    );
  }
  return proposal;
}

/** The second pair of eyes: approval posts the proposed entry (against the balance of now). */
export async function approveProposal(
  db: Db,
  input: { proposalId: bigint; actor: string; reason?: string },
): Promise<{ proposalId: bigint; kind: ProposalKind; entryId: bigint | null; settlementId?: bigint }> {
  return db.transaction().execute(async (trx) => {
    const proposal = await lockProposal(trx, input.proposalId, input.actor, 'approve');
    const account = await lockAccount(trx, proposal.client_id, proposal.account_id as bigint);
    const payload = (proposal.payload ?? {}) as Record<string, unknown>;
    const date = (payload.effective_date as string | null) ?? todayIn();
    const reason = proposal.reason;
    let entryId: bigint | null = null;
    let settlementId: bigint | undefined;
    const meta = {
      reason,
      effectiveDate: date,
      actor: input.actor,
      memo: { proposal_id: String(proposal.id) },
    };
    switch (proposal.kind) {
      case 'recall':
      case 'write_off': {
        requireLive(account, proposal.kind === 'recall' ? 'recall' : 'write off');
        entryId = await postReduction(trx, account, proposal.kind, { ...account.balances }, meta);
        break;
      }
      case 'discount':
      case 'adjustment': {
        requireLive(account, proposal.kind === 'discount' ? 'discount' : 'adjust');
        const amounts = componentsFromJson(payload.components);
        checkWithin(account, amounts);
        entryId = await postReduction(trx, account, proposal.kind, amounts, meta);
        break;
      }
      case 'settlement': {
        requireLive(account, 'settle');
        settlementId = await createSettlement(
          trx,
          account,
          BigInt(payload.amount_minor as string),
          date,
          proposal.id,
          input.actor,
        );
        break;
      }
    }
    await trx
      .updateTable('ledger_proposals')
      .set({
        status: 'approved',
        decided_by: input.actor,
        decided_at: new Date(),
        decision_reason: input.reason ?? null,
        entry_id: entryId,
      })
      .where('id', '=', proposal.id)
      .execute();
    return {
      proposalId: proposal.id,
      kind: proposal.kind,
      entryId,
      ...(settlementId ? { settlementId } : {}),
    };
  });
}

export async function rejectProposal(
  db: Db,
  input: { proposalId: bigint; actor: string; reason: string },
): Promise<{ proposalId: bigint }> {
  if (!input.reason.trim())
    throw new HuikuanError('bad_usage', 'Give the reason for the rejection (--reason).');
  return db.transaction().execute(async (trx) => {
    await lockProposal(trx, input.proposalId, input.actor, 'reject');
    await trx
      .updateTable('ledger_proposals')
      .set({
        status: 'rejected',
        decided_by: input.actor,
        decided_at: new Date(),
        decision_reason: input.reason,
      })
      .where('id', '=', input.proposalId)
      .execute();
    return { proposalId: input.proposalId };
  });
}

// ------------------------------------------------------------------- remittance and commission (5)

async function lockClient(trx: Db, clientId: bigint): Promise<void> {
  const row = await sql`SELECT id FROM clients WHERE id = ${clientId} FOR UPDATE`.execute(trx);
  if (row.rows.length === 0) throw new HuikuanError('not_found', `There is no client ${clientId}.`);
}

/** The sums the client-level events need, over entries effective on or before `through`. */
async function clientPositions(trx: Db, clientId: bigint, through: string) {
  const result = await sql<{ payable: bigint; receivable: bigint; held: bigint; currency: string | null }>`
    SELECT coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:payable'), 0)::bigint AS payable,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:commission_receivable'), 0)::bigint
             AS receivable,
           coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:commission_revenue'
                      AND (je.kind = 'payment' OR (je.kind = 'reversal' AND orig.kind = 'payment'))), 0)
           + coalesce(-sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'client:commission_receivable'
                      AND (je.kind = 'remittance' OR (je.kind = 'reversal' AND orig.kind = 'remittance'))), 0)
           - coalesce(sum(p.amount_minor) FILTER (WHERE p.ledger_account = 'agency:operating_bank'), 0) AS held,
           min(je.currency) AS currency
      FROM journal_entries je
      JOIN postings p ON p.entry_id = je.id
      LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
     WHERE je.client_id = ${clientId} AND je.effective_date <= ${through}::date`.execute(trx);
  const row = result.rows[0];
  return {
    payable: BigInt(row?.payable ?? 0n),
    receivable: BigInt(row?.receivable ?? 0n),
    held: BigInt(row?.held ?? 0n),
    currency: row?.currency?.trim() ?? null,
  };
}

/**
 * Remits to the client what it is owed through `through` (entries effective on or before it): nets
 * the commission the client owes on direct payments first where the contract allows.
 */
export async function remit(
  db: Db,
  input: { clientId: bigint; through?: string; actor: string; externalId?: string },
): Promise<{ entryId: bigint | null; netMinor: bigint; nettedMinor: bigint; currency: string | null }> {
  const through = input.through ?? todayIn();
  return db.transaction().execute(async (trx) => {
    await lockClient(trx, input.clientId);
    const contract = await contractRowInForce(trx, input.clientId, through);
    const position = await clientPositions(trx, input.clientId, through);
    if (position.payable <= 0n)
      return { entryId: null, netMinor: 0n, nettedMinor: 0n, currency: contract.currency };
    const netted =
      contract.netting && position.receivable > 0n ? minBig(position.receivable, position.payable) : 0n;
    const net = position.payable - netted;
    const lines = remittancePostings(net, netted);
    const entryId = await insertEntry(
      trx,
      {
        clientId: input.clientId,
        accountId: null,
        kind: 'remittance',
        currency: position.currency ?? contract.currency,
        effectiveDate: through,
        externalId: input.externalId ?? null,
        contractId: contract.id,
        memo: { through, netted_minor: String(netted) },
        actor: input.actor,
      },
      lines,
    );
    return { entryId, netMinor: net, nettedMinor: netted, currency: position.currency ?? contract.currency };
  });
}

/** Moves the commission earned and held in trust (through `through`) to the agency's own account. */
export async function transferCommission(
  db: Db,
  input: { clientId: bigint; through?: string; actor: string; externalId?: string },
): Promise<{ entryId: bigint | null; amountMinor: bigint }> {
  const through = input.through ?? todayIn();
  return db.transaction().execute(async (trx) => {
    await lockClient(trx, input.clientId);
    const contract = await contractRowInForce(trx, input.clientId, through);
    const position = await clientPositions(trx, input.clientId, through);
    if (position.held <= 0n) return { entryId: null, amountMinor: 0n };
    const entryId = await insertEntry(
      trx,
      {
        clientId: input.clientId,
        accountId: null,
        kind: 'commission_transfer',
        currency: position.currency ?? contract.currency,
        effectiveDate: through,
        externalId: input.externalId ?? null,
        memo: { through },
        actor: input.actor,
      },
      commissionTransferPostings(position.held),
    );
    return { entryId, amountMinor: position.held };
  });
}

// ------------------------------------------------------------------------------- reversal (6)

export interface ReverseInput {
  clientId: bigint;
  externalId?: string;
  entryId?: bigint;
  reason: string;
  actor: string;
  reversalExternalId?: string;
  effectiveDate?: string;
}

export interface ReverseResult {
  status: 'reversed' | 'duplicate';
  entryId: bigint;
  reversedEntryId: bigint;
  accountStatus?: string;
}

/**
 * Reverses an entry: the exact negation of its postings (commission clawed back), once only; the
 * account's status is re-evaluated. Refused when it would drive a component below zero.
 */
export async function reverseEntry(db: Db, input: ReverseInput): Promise<ReverseResult> {
  if (!input.reason.trim())
    throw new HuikuanError('bad_usage', 'Give the reason for the reversal (--reason).');
  if ((input.externalId === undefined) === (input.entryId === undefined)) {
    throw new HuikuanError('bad_usage', 'Name the entry to reverse by its external id or by its entry id.');
  }
  const date = input.effectiveDate ?? todayIn();
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => reverseInTransaction(trx, input, date));
    } catch (error) {
      if ((error as { code?: string }).code === '23505' && attempt < 3) continue;
      throw error;
    }
  }
}

async function reverseInTransaction(trx: Db, input: ReverseInput, date: string): Promise<ReverseResult> {
  let query = trx.selectFrom('journal_entries').selectAll().where('client_id', '=', input.clientId);
  query =
    input.externalId !== undefined
      ? query.where('external_id', '=', input.externalId)
      : query.where('id', '=', input.entryId as bigint);
  const original = await query.executeTakeFirst();
  if (!original) {
    throw new HuikuanError(
      'not_found',
      input.externalId !== undefined
        ? `No entry of this client has external id "${input.externalId}".`
        : `Entry ${input.entryId} does not exist for this client.`,
    );
  }
  if (original.kind === 'reversal') {
    throw new HuikuanError(
      'invalid_state',
      `Entry ${original.id} is itself a reversal; post the event again instead.`,
    );
  }
  if (original.account_id !== null) await lockAccount(trx, original.client_id, original.account_id);
  else await lockClient(trx, original.client_id);
  const existing = await trx
    .selectFrom('journal_entries')
    .select('id')
    .where('reverses_entry_id', '=', original.id)
    .executeTakeFirst();
  if (existing) return { status: 'duplicate', entryId: existing.id, reversedEntryId: original.id };
  if (input.reversalExternalId !== undefined) {
    const taken = await trx
      .selectFrom('journal_entries')
      .select(['id', 'reverses_entry_id'])
      .where('client_id', '=', input.clientId)
      .where('external_id', '=', input.reversalExternalId)
      .executeTakeFirst();
    if (taken) {
      if (taken.reverses_entry_id === original.id) {
        return { status: 'duplicate', entryId: taken.id, reversedEntryId: original.id };
      }
      throw new HuikuanError(
        'conflict',
        `External id "${input.reversalExternalId}" already names entry ${taken.id}; use another for this reversal.`,
      );
    }
  }
  const postings = await trx
    .selectFrom('postings')
    .select(['ledger_account', 'account_id', 'amount_minor'])
    .where('entry_id', '=', original.id)
    .orderBy('line')
    .execute();
  const lines: PostingLine[] = reversalPostings(
    postings.map((p) => ({
      ledgerAccount: p.ledger_account,
      accountId: p.account_id,
      amountMinor: p.amount_minor,
    })),
  );
  let account: LockedAccount | null = null;
  let after: ReturnType<typeof balancesAfter> | null = null;
  if (original.account_id !== null) {
    account = await lockAccount(trx, original.client_id, original.account_id);
    after = balancesAfter(account, lines);
  }
  const entryId = await insertEntry(
    trx,
    {
      clientId: original.client_id,
      accountId: original.account_id,
      kind: 'reversal',
      currency: original.currency.trim(),
      effectiveDate: date,
      externalId: input.reversalExternalId ?? null,
      reversesEntryId: original.id,
      contractId: original.contract_id,
      commissionRateBp: original.commission_rate_bp,
      daysPastDue: original.days_past_due,
      commissionExactNumerator:
        original.commission_exact_numerator === null ? null : -original.commission_exact_numerator,
      reason: input.reason,
      actor: input.actor,
    },
    lines,
  );
  let accountStatus: string | undefined;
  if (account && after) {
    let status = reevaluatedStatus(account.status, after.balances);
    if (original.kind === 'recall' || original.kind === 'write_off') {
      status = totalOf(after.balances) > 0n ? 'active' : 'paid';
    }
    // a placement taken back entirely: the account was never really placed
    if (original.kind === 'placement' && totalOf(after.balances) === 0n && after.overpayment === 0n)
      status = 'closed';
    accountStatus = await updateAccount(trx, account, after, {
      status,
      reason: `reversal of entry ${original.id}: ${input.reason}`,
      entryId,
      actor: input.actor,
    });
    if (original.kind === 'discount') {
      // a settlement whose closing discount is reversed is open again
      await trx
        .updateTable('ledger_settlements')
        .set({ status: 'cancelled' })
        .where('discount_entry_id', '=', original.id)
        .execute();
    }
    if (original.kind === 'payment' || original.kind === 'direct_payment') {
      await applyDueSettlements(trx, [account.id], input.actor);
    }
  }
  return {
    status: 'reversed',
    entryId,
    reversedEntryId: original.id,
    ...(accountStatus ? { accountStatus } : {}),
  };
}
