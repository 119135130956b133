/**
 * The one place single entries are written: an entry and all its postings (one INSERT, which the
 * balance trigger checks), the cached balances of the account it touches, and status changes with
 * their account events. Callers hold the account's row lock (lockAccount) in the same transaction.
 */
import { type Kysely, sql } from 'kysely';
import type { AccountStatus, Component, Database, EntryKind } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type Components, type PostingLine, sumLines, totalOf } from './model.ts';

export interface LockedAccount {
  id: bigint;
  clientId: bigint;
  ref: string;
  currency: string;
  status: AccountStatus;
  delinquencyDate: string;
  balances: Components;
  overpayment: bigint;
}

export const liveStatuses: readonly AccountStatus[] = ['active', 'paid', 'settled'];

/** Locks the account row (FOR UPDATE) and returns it; not_found when it is not the client's. */
export async function lockAccount(
  trx: Kysely<Database>,
  clientId: bigint,
  accountId: bigint,
): Promise<LockedAccount> {
  const row = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .where('client_id', '=', clientId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `Account ${accountId} of client ${clientId} does not exist.`);
  return {
    id: row.id,
    clientId: row.client_id,
    ref: row.client_account_ref,
    currency: row.currency.trim(),
    status: row.status,
    delinquencyDate: row.delinquency_date,
    balances: {
      principal: row.principal_minor,
      interest: row.interest_minor,
      fees: row.fees_minor,
      penalty: row.penalty_minor,
    },
    overpayment: row.overpayment_minor,
  };
}

export function requireLive(account: LockedAccount, what: string): void {
  if (!liveStatuses.includes(account.status)) {
    throw new HuikuanError(
      'invalid_state',
      `Cannot ${what}: account ${account.ref} is ${account.status.replace('_', ' ')}.`,
    );
  }
}

export interface EntryHeader {
  clientId: bigint;
  accountId: bigint | null;
  kind: EntryKind;
  currency: string;
  effectiveDate: string;
  externalId?: string | null;
  reversesEntryId?: bigint | null;
  contractId?: bigint | null;
  commissionRateBp?: number | null;
  daysPastDue?: number | null;
  commissionExactNumerator?: bigint | null;
  source?: string | null;
  reason?: string | null;
  memo?: unknown;
  actor: string;
}

/** Inserts the entry and its postings (lines numbered 1..n); returns the entry id. */
export async function insertEntry(
  trx: Kysely<Database>,
  header: EntryHeader,
  lines: PostingLine[],
): Promise<bigint> {
  if (lines.length < 2)
    throw new HuikuanError('internal', `A ${header.kind} entry needs at least two postings.`);
  if (sumLines(lines) !== 0n) throw new HuikuanError('internal', `A ${header.kind} entry does not balance.`);
  const entry = await trx
    .insertInto('journal_entries')
    .values({
      client_id: header.clientId,
      account_id: header.accountId,
      kind: header.kind,
      currency: header.currency,
      effective_date: header.effectiveDate,
      external_id: header.externalId ?? null,
      reverses_entry_id: header.reversesEntryId ?? null,
      contract_id: header.contractId ?? null,
      commission_rate_bp: header.commissionRateBp ?? null,
      days_past_due: header.daysPastDue ?? null,
      commission_exact_numerator: header.commissionExactNumerator ?? null,
      source: header.source ?? null,
      reason: header.reason ?? null,
      memo: header.memo === undefined ? null : JSON.stringify(header.memo),
      created_by: header.actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('postings')
    .values(
      lines.map((l, i) => ({
        entry_id: entry.id,
        line: i + 1,
        client_id: header.clientId,
        account_id: l.ledgerAccount.startsWith('debt:') ? l.accountId : null,
        ledger_account: l.ledgerAccount,
        amount_minor: l.amountMinor,
      })),
    )
    .execute();
  return entry.id;
}

/** The account's balances after the debt lines (refuses a component below zero with a clear message). */
export function balancesAfter(
  account: LockedAccount,
  lines: readonly PostingLine[],
): { balances: Components; overpayment: bigint } {
  const balances = { ...account.balances };
  let overpayment = account.overpayment;
  for (const l of lines) {
    if (l.accountId === null || !l.ledgerAccount.startsWith('debt:')) continue;
    if (l.accountId !== account.id) throw new HuikuanError('internal', 'a posting names another account');
    if (l.ledgerAccount === 'debt:overpayment') overpayment -= l.amountMinor;
    else balances[l.ledgerAccount.slice(5) as Component] += l.amountMinor;
  }
  for (const [component, value] of Object.entries(balances)) {
    if (value < 0n) {
      throw new HuikuanError(
        'invalid_state',
        `This would drive the ${component} of account ${account.ref} below zero (to ${value} minor units); a later entry has already reduced it. Reverse the later entry first.`,
      );
    }
  }
  if (overpayment < 0n) {
    throw new HuikuanError(
      'invalid_state',
      `This would drive the overpayment of account ${account.ref} below zero (to ${overpayment} minor units).`,
    );
  }
  return { balances, overpayment };
}

/** Writes the cached balances (and the status, with an account event, when it changes). */
export async function updateAccount(
  trx: Kysely<Database>,
  account: LockedAccount,
  after: { balances: Components; overpayment: bigint },
  change: { status?: AccountStatus; reason?: string | null; entryId: bigint | null; actor: string },
): Promise<AccountStatus> {
  const status = change.status ?? account.status;
  await trx
    .updateTable('accounts')
    .set({
      principal_minor: after.balances.principal,
      interest_minor: after.balances.interest,
      fees_minor: after.balances.fees,
      penalty_minor: after.balances.penalty,
      overpayment_minor: after.overpayment,
      status,
      ...(status === 'closed' || status === 'recalled' || status === 'written_off'
        ? { closed_at: new Date() }
        : {}),
    })
    .where('id', '=', account.id)
    .execute();
  if (status !== account.status) {
    await trx
      .insertInto('account_events')
      .values({
        client_id: account.clientId,
        account_id: account.id,
        kind: 'status',
        from_status: account.status,
        to_status: status,
        reason: change.reason ?? null,
        entry_id: change.entryId,
        actor: change.actor,
      })
      .execute();
  }
  account.balances = after.balances;
  account.overpayment = after.overpayment;
  account.status = status;
  return status;
}

/** paid ↔ active as the balance empties or returns; other statuses are left alone. */
export function reevaluatedStatus(status: AccountStatus, balances: Components): AccountStatus {
  const total = totalOf(balances);
  if (total === 0n && status === 'active') return 'paid';
  if (total > 0n && (status === 'paid' || status === 'settled')) return 'active';
  return status;
}

/** The contract version in force on a date (before the first version: the first). */
export async function contractRowInForce(trx: Kysely<Database>, clientId: bigint, date: string) {
  const row = await sql<{
    id: bigint;
    version: number;
    currency: string;
    waterfall: Component[];
    netting: boolean;
    discount_limit_bp: number;
    accrual_allowed: boolean;
  }>`
    SELECT id, version, trim(currency) AS currency, waterfall, netting, discount_limit_bp, accrual_allowed
      FROM contracts WHERE client_id = ${clientId}
     ORDER BY (effective_from <= ${date}::date) DESC,
              CASE WHEN effective_from <= ${date}::date THEN effective_from END DESC,
              CASE WHEN effective_from > ${date}::date THEN effective_from END ASC,
              version DESC
     LIMIT 1`.execute(trx);
  const contract = row.rows[0];
  if (!contract) {
    throw new HuikuanError(
      'invalid_state',
      `Client ${clientId} has no contract; add one with "huikuan client contract".`,
    );
  }
  return contract;
}
