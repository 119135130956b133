/**
 * Queries on debtors, contact points and accounts for the other modules, the CLI and the API:
 * accounts by client reference, an account with its debtor and masked contact points, and debtor
 * search by exact ID number or phone through the keyed hash (the clear value never reaches SQL).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AccountStatus, Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type PiiCipher, piiCipher } from './pii.ts';
import { checkChineseId, normalisePhone } from './validate.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const liveStatuses: AccountStatus[] = ['active', 'paid', 'settled'];

export interface AccountSummary {
  id: bigint;
  clientId: bigint;
  batchId: bigint;
  debtorId: bigint;
  ref: string;
  currency: string;
  status: AccountStatus;
  delinquencyDate: string;
  principalMinor: bigint;
  interestMinor: bigint;
  feesMinor: bigint;
  penaltyMinor: bigint;
  overpaymentMinor: bigint;
}

const summaryColumns = [
  'id',
  'client_id',
  'batch_id',
  'debtor_id',
  'client_account_ref',
  'currency',
  'status',
  'delinquency_date',
  'principal_minor',
  'interest_minor',
  'fees_minor',
  'penalty_minor',
  'overpayment_minor',
] as const;

type SummaryRow = {
  id: bigint;
  client_id: bigint;
  batch_id: bigint;
  debtor_id: bigint;
  client_account_ref: string;
  currency: string;
  status: AccountStatus;
  delinquency_date: string;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  overpayment_minor: bigint;
};

function toSummary(row: SummaryRow): AccountSummary {
  return {
    id: row.id,
    clientId: row.client_id,
    batchId: row.batch_id,
    debtorId: row.debtor_id,
    ref: row.client_account_ref,
    currency: row.currency,
    status: row.status,
    delinquencyDate: row.delinquency_date,
    principalMinor: row.principal_minor,
    interestMinor: row.interest_minor,
    feesMinor: row.fees_minor,
    penaltyMinor: row.penalty_minor,
    overpaymentMinor: row.overpayment_minor,
  };
}

/** Every account (live or not) the client placed under this reference, newest first. */
export async function findAccountsByRef(db: Db, clientId: bigint, ref: string): Promise<AccountSummary[]> {
  const rows = await db
    .selectFrom('accounts')
    .select(summaryColumns)
    .where('client_id', '=', clientId)
    .where('client_account_ref', '=', ref)
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toSummary);
}

/** The live account (active, paid or settled) of a client reference, or null. */
export async function findLiveAccount(db: Db, clientId: bigint, ref: string): Promise<AccountSummary | null> {
  const row = await db
    .selectFrom('accounts')
    .select(summaryColumns)
    .where('client_id', '=', clientId)
    .where('client_account_ref', '=', ref)
    .where('status', 'in', liveStatuses)
    .executeTakeFirst();
  return row ? toSummary(row) : null;
}

/** Live accounts of a client by reference, set-based (for files): ref → account. */
export async function findLiveAccountsByRefs(
  db: Db,
  clientId: bigint,
  refs: string[],
): Promise<Map<string, AccountSummary>> {
  const found = new Map<string, AccountSummary>();
  for (let start = 0; start < refs.length; start += 10_000) {
    const slice = refs.slice(start, start + 10_000);
    const rows = await db
      .selectFrom('accounts')
      .select(summaryColumns)
      .where('client_id', '=', clientId)
      .where('client_account_ref', 'in', slice)
      .where('status', 'in', liveStatuses)
      .execute();
    for (const row of rows) found.set(row.client_account_ref, toSummary(row));
  }
  return found;
}

export interface ContactPointView {
  id: bigint;
  kind: 'phone' | 'email';
  position: number;
  masked: string;
  status: string;
}

export interface DebtorView {
  id: bigint;
  clientId: bigint;
  name: string;
  idNumberMasked: string | null;
  dateOfBirth: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
  contactPoints: ContactPointView[];
}

export interface AccountDetail extends AccountSummary {
  clientCode: string;
  productType: string | null;
  originalCreditor: string | null;
  chargeOffDate: string | null;
  openDate: string | null;
  lastPaymentDate: string | null;
  lastPaymentAmountMinor: bigint | null;
  notes: string | null;
  placed: { principalMinor: bigint; interestMinor: bigint; feesMinor: bigint; penaltyMinor: bigint };
  debtor: DebtorView;
}

/** An account with its debtor and masked contact points (no clear PII). */
export async function accountDetail(db: Db, accountId: bigint): Promise<AccountDetail> {
  // one round trip: the account, its client's code, its debtor and the debtor's contact points
  const row = await db
    .selectFrom('accounts as a')
    .innerJoin('clients as c', 'c.id', 'a.client_id')
    .innerJoin('debtors as d', 'd.id', 'a.debtor_id')
    .selectAll('a')
    .select([
      'c.code as client_code',
      'd.name as debtor_name',
      'd.client_id as debtor_client_id',
      'd.id_number_masked',
      'd.date_of_birth',
      'd.address',
      'd.city',
      'd.region',
      'd.postal_code',
      'd.country',
      sql<Array<[string, 'phone' | 'email', number, string, string]> | null>`(
        SELECT json_agg(json_build_array(cp.id::text, cp.kind, cp.position, cp.value_masked, cp.status)
                        ORDER BY cp.kind DESC, cp.id)
          FROM contact_points cp WHERE cp.debtor_id = a.debtor_id)`.as('contacts'),
    ])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `No account ${accountId}.`);
  return {
    ...toSummary(row),
    clientCode: row.client_code,
    productType: row.product_type,
    originalCreditor: row.original_creditor,
    chargeOffDate: row.charge_off_date,
    openDate: row.open_date,
    lastPaymentDate: row.last_payment_date,
    lastPaymentAmountMinor: row.last_payment_amount_minor,
    notes: row.notes,
    placed: {
      principalMinor: row.placed_principal_minor,
      interestMinor: row.placed_interest_minor,
      feesMinor: row.placed_fees_minor,
      penaltyMinor: row.placed_penalty_minor,
    },
    debtor: {
      id: row.debtor_id,
      clientId: row.debtor_client_id,
      name: row.debtor_name,
      idNumberMasked: row.id_number_masked,
      dateOfBirth: row.date_of_birth,
      address: row.address,
      city: row.city,
      region: row.region,
      postalCode: row.postal_code,
      country: row.country,
      contactPoints: (row.contacts ?? []).map(([id, kind, position, masked, status]) => ({
        id: BigInt(id),
        kind,
        position,
        masked,
        status,
      })),
    },
  };
}

export async function debtorView(db: Db, debtorId: bigint): Promise<DebtorView> {
  const debtor = await db.selectFrom('debtors').selectAll().where('id', '=', debtorId).executeTakeFirst();
  if (!debtor) throw new HuikuanError('not_found', `No debtor ${debtorId}.`);
  const contacts = await db
    .selectFrom('contact_points')
    .select(['id', 'kind', 'position', 'value_masked', 'status'])
    .where('debtor_id', '=', debtorId)
    .orderBy('kind', 'desc')
    .orderBy('id')
    .execute();
  return {
    id: debtor.id,
    clientId: debtor.client_id,
    name: debtor.name,
    idNumberMasked: debtor.id_number_masked,
    dateOfBirth: debtor.date_of_birth,
    address: debtor.address,
    city: debtor.city,
    region: debtor.region,
    postalCode: debtor.postal_code,
    country: debtor.country,
    contactPoints: contacts.map((contact) => ({
      id: contact.id,
      kind: contact.kind,
      position: contact.position,
      masked: contact.value_masked,
      status: contact.status,
    })),
  };
}

export interface DebtorMatch {
  debtorId: bigint;
  clientId: bigint;
  name: string;
  idNumberMasked: string | null;
  matchedOn: 'id_number' | 'phone';
  accounts: Array<{ id: bigint; ref: string; status: AccountStatus }>;
}

/**
 * Debtors whose ID number or phone equals the given one exactly, through the keyed hash; optionally
 * within one client. The search value is validated and normalised first (E.164 for phones).
 */
export async function searchDebtors(
  db: Db,
  query: { idNumber?: string; phone?: string; clientId?: bigint; defaultCountry?: string },
  cipher: PiiCipher = piiCipher(),
): Promise<DebtorMatch[]> {
  let hash: Buffer;
  let matchedOn: DebtorMatch['matchedOn'];
  if (query.idNumber !== undefined) {
    const checked = checkChineseId(query.idNumber);
    if (!checked.ok) throw new HuikuanError('bad_input', checked.reason);
    hash = cipher.searchHash(checked.value.id);
    matchedOn = 'id_number';
  } else if (query.phone !== undefined) {
    const checked = normalisePhone(query.phone, query.defaultCountry ?? 'CN');
    if (!checked.ok) throw new HuikuanError('bad_input', checked.reason);
    hash = cipher.searchHash(checked.value);
    matchedOn = 'phone';
  } else {
    throw new HuikuanError('bad_usage', 'Search by an ID number or a phone number.');
  }
  let debtors = db.selectFrom('debtors as d').select(['d.id', 'd.client_id', 'd.name', 'd.id_number_masked']);
  debtors =
    matchedOn === 'id_number'
      ? debtors.where('d.id_number_hash', '=', hash)
      : debtors.where((eb) =>
          eb.exists(
            eb
              .selectFrom('contact_points as cp')
              .select('cp.id')
              .whereRef('cp.debtor_id', '=', 'd.id')
              .where('cp.value_hash', '=', hash),
          ),
        );
  if (query.clientId !== undefined) debtors = debtors.where('d.client_id', '=', query.clientId);
  const found = await debtors.orderBy('d.id').limit(1000).execute();
  if (found.length === 0) return [];
  const accounts = await db
    .selectFrom('accounts')
    .select(['id', 'debtor_id', 'client_account_ref', 'status'])
    .where(
      'debtor_id',
      'in',
      found.map((debtor) => debtor.id),
    )
    .orderBy('id')
    .execute();
  return found.map((debtor) => ({
    debtorId: debtor.id,
    clientId: debtor.client_id,
    name: debtor.name,
    idNumberMasked: debtor.id_number_masked,
    matchedOn,
    accounts: accounts
      .filter((account) => account.debtor_id === debtor.id)
      .map((account) => ({ id: account.id, ref: account.client_account_ref, status: account.status })),
  }));
}

/** The clear ID number of a debtor (for a permitted purpose such as a court filing). */
export async function revealIdNumber(
  db: Db,
  debtorId: bigint,
  cipher: PiiCipher = piiCipher(),
): Promise<string | null> {
  const row = await db
    .selectFrom('debtors')
    .select('id_number_enc')
    .where('id', '=', debtorId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `No debtor ${debtorId}.`);
  return row.id_number_enc ? cipher.decrypt(row.id_number_enc) : null;
}
