/**
 * Test fixtures: clients, contracts and placed accounts by direct inserts, so the ledger's tests do
 * not depend on the clients and placements modules. Not used by production code.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Component, Database } from '../db/schema.ts';
import { postPlacementEntries } from './placement.ts';

export interface ContractTerms {
  effectiveFrom?: string;
  currency?: string;
  waterfall?: Component[];
  netting?: boolean;
  discountLimitBp?: number;
  accrualAllowed?: boolean;
  commission?: { fromDpd: number; toDpd: number | null; rateBp: number }[];
}

export async function createClient(
  db: Kysely<Database>,
  code: string,
  terms: ContractTerms = {},
): Promise<{ clientId: bigint; contractId: bigint }> {
  const client = await db
    .insertInto('clients')
    .values({ code, name: `Client ${code}`, created_by: 'fixture' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const contractId = await addContract(db, client.id, terms);
  return { clientId: client.id, contractId };
}

export async function addContract(
  db: Kysely<Database>,
  clientId: bigint,
  terms: ContractTerms = {},
): Promise<bigint> {
  const last = await db
    .selectFrom('contracts')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  const contract = await db
    .insertInto('contracts')
    .values({
      client_id: clientId,
      version: (last?.v ?? 0) + 1,
      effective_from: terms.effectiveFrom ?? '2020-01-01',
      currency: terms.currency ?? 'CNY',
      jurisdiction: 'CN',
      waterfall: terms.waterfall ?? ['penalty', 'fees', 'interest', 'principal'],
      netting: terms.netting ?? true,
      discount_limit_bp: terms.discountLimitBp ?? 0,
      accrual_allowed: terms.accrualAllowed ?? true,
      created_by: 'fixture',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rates = terms.commission ?? [{ fromDpd: 0, toDpd: null, rateBp: 2000 }];
  await db
    .insertInto('contract_commission_rates')
    .values(
      rates.map((r) => ({
        contract_id: contract.id,
        from_dpd: r.fromDpd,
        to_dpd: r.toDpd,
        rate_bp: r.rateBp,
      })),
    )
    .execute();
  return contract.id;
}

export interface PlacedAccount {
  ref: string;
  principal: bigint;
  interest?: bigint;
  fees?: bigint;
  penalty?: bigint;
  delinquencyDate?: string;
  currency?: string;
}

/** An approved batch of accounts with their placement entries posted. Returns the account ids in order. */
export async function placeAccounts(
  db: Kysely<Database>,
  clientId: bigint,
  accounts: PlacedAccount[],
  options: { effectiveDate?: string; actor?: string } = {},
): Promise<bigint[]> {
  return db.transaction().execute(async (trx) => {
    const batch = await trx
      .insertInto('placement_batches')
      .values({
        client_id: clientId,
        name: 'fixture',
        status: 'approved',
        file_name: 'fixture.csv',
        file_sha256: randomBytes(16).toString('hex'),
        file_format: 'csv',
        file_encoding: null,
        proposed_by: 'importer',
        decided_by: 'approver',
        decided_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ids: bigint[] = [];
    for (const account of accounts) {
      const debtor = await trx
        .insertInto('debtors')
        .values({ client_id: clientId, name: `Debtor ${account.ref}` })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('accounts')
        .values({
          client_id: clientId,
          batch_id: batch.id,
          debtor_id: debtor.id,
          client_account_ref: account.ref,
          currency: account.currency ?? 'CNY',
          delinquency_date: account.delinquencyDate ?? '2025-01-01',
          product_type: null,
          original_creditor: null,
          charge_off_date: null,
          open_date: null,
          last_payment_date: null,
          last_payment_amount_minor: null,
          notes: null,
          placed_principal_minor: account.principal,
          placed_interest_minor: account.interest ?? 0n,
          placed_fees_minor: account.fees ?? 0n,
          placed_penalty_minor: account.penalty ?? 0n,
          principal_minor: account.principal,
          interest_minor: account.interest ?? 0n,
          fees_minor: account.fees ?? 0n,
          penalty_minor: account.penalty ?? 0n,
          closed_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    await postPlacementEntries(trx, {
      batchId: batch.id,
      actor: options.actor ?? 'approver',
      effectiveDate: options.effectiveDate ?? '2025-06-01',
    });
    return ids;
  });
}

/** An entry's postings as [ledger account, account id or null, amount], in line order. */
export async function postingsOfEntry(
  db: Kysely<Database>,
  entryId: bigint,
): Promise<[string, bigint | null, bigint][]> {
  const rows = await db
    .selectFrom('postings')
    .select(['ledger_account', 'account_id', 'amount_minor', 'line'])
    .where('entry_id', '=', entryId)
    .orderBy('line')
    .execute();
  rows.forEach((r, i) => {
    if (r.line !== i + 1) throw new Error(`entry ${entryId}: line ${r.line} where ${i + 1} was expected`);
  });
  return rows.map((r) => [r.ledger_account, r.account_id, r.amount_minor]);
}

export async function accountState(db: Kysely<Database>, accountId: bigint) {
  const a = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  return {
    status: a.status,
    principal: a.principal_minor,
    interest: a.interest_minor,
    fees: a.fees_minor,
    penalty: a.penalty_minor,
    overpayment: a.overpayment_minor,
  };
}

let paymentCounter = 0;

/** A payment input with defaults (trust payment in CNY on 2025-06-10). */
export function payment(
  clientId: bigint,
  accountId: bigint,
  amountMinor: bigint,
  extra: Partial<import('./payments.ts').PaymentInput> = {},
): import('./payments.ts').PaymentInput {
  paymentCounter += 1;
  return {
    clientId,
    accountId,
    externalId: `P${paymentCounter}-${randomBytes(4).toString('hex')}`,
    amountMinor,
    currency: 'CNY',
    paidOn: '2025-06-10',
    paidAt: null,
    channel: 'bank_transfer',
    direct: false,
    ...extra,
  };
}
