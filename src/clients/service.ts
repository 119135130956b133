import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type Contract,
  type ContractTerms,
  checkEndsOn,
  defaultTerms,
  validateClientCode,
  validateCommission,
  versionInForce,
} from './model.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface Client {
  id: bigint;
  code: string;
  name: string;
  createdBy: string;
  createdAt: Date;
}

export async function findClientByCode(db: Db, code: string): Promise<Client> {
  const row = await db.selectFrom('clients').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) {
    throw new HuikuanError(
      'not_found',
      `No client with code "${code}". List clients with "huikuan client list".`,
    );
  }
  return { id: row.id, code: row.code, name: row.name, createdBy: row.created_by, createdAt: row.created_at };
}

export async function listClients(db: Db): Promise<(Client & { contract: Contract })[]> {
  const rows = await db.selectFrom('clients').selectAll().orderBy('code').execute();
  const today = todayIn();
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      code: row.code,
      name: row.name,
      createdBy: row.created_by,
      createdAt: row.created_at,
      contract: await contractInForce(db, row.id, today),
    })),
  );
}

async function loadContracts(db: Db, clientId: bigint): Promise<Contract[]> {
  const rows = await db
    .selectFrom('contracts')
    .selectAll()
    .where('client_id', '=', clientId)
    .orderBy('effective_from')
    .orderBy('version')
    .execute();
  if (rows.length === 0) return [];
  const bands = await db
    .selectFrom('contract_commission_rates')
    .selectAll()
    .where(
      'contract_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('from_dpd')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    version: row.version,
    effectiveFrom: row.effective_from,
    currency: row.currency,
    jurisdiction: row.jurisdiction,
    waterfall: row.waterfall,
    netting: row.netting,
    discountLimitBp: row.discount_limit_bp,
    accrualAllowed: row.accrual_allowed,
    endsOn: row.ends_on,
    commission: bands
      .filter((b) => b.contract_id === row.id)
      .map((b) => ({ fromDpd: b.from_dpd, toDpd: b.to_dpd, rateBp: b.rate_bp })),
  }));
}

/** Every version of a client's contract, oldest first. */
export async function contractHistory(db: Db, clientId: bigint): Promise<Contract[]> {
  return loadContracts(db, clientId);
}

/**
 * The contract version in force on `date`: the latest effective_from on or before the date, the
 * highest version among those. Before the first version's date the first version applies (a
 * client's terms exist from the day it was added; back-dated payments still need terms).
 */
export async function contractInForce(db: Db, clientId: bigint, date: string): Promise<Contract> {
  const inForce = versionInForce(await loadContracts(db, clientId), date);
  if (!inForce)
    throw new HuikuanError(
      'invalid_state',
      `Client ${clientId} has no contract; add one with "huikuan client contract".`,
    );
  return inForce;
}

export interface AddClientInput {
  code: string;
  name: string;
  terms?: Partial<ContractTerms>;
  effectiveFrom?: string;
}

export async function addClient(
  db: Kysely<Database>,
  input: AddClientInput,
  actor: string,
): Promise<{ client: Client; contract: Contract }> {
  const code = validateClientCode(input.code);
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200)
    throw new HuikuanError('bad_usage', '--name must be 1–200 characters.');
  const terms: ContractTerms = { ...defaultTerms, ...input.terms };
  validateCommission(terms.commission);
  checkEndsOn(terms.endsOn, input.effectiveFrom ?? todayIn());
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('clients').select('id').where('code', '=', code).executeTakeFirst();
    if (existing) {
      throw new HuikuanError(
        'conflict',
        `A client with code "${code}" exists already; change its terms with "huikuan client contract ${code}".`,
      );
    }
    const row = await trx
      .insertInto('clients')
      .values({ code, name, created_by: actor })
      .returningAll()
      .executeTakeFirstOrThrow();
    const client: Client = {
      id: row.id,
      code: row.code,
      name: row.name,
      createdBy: row.created_by,
      createdAt: row.created_at,
    };
    const contract = await insertContract(trx, client.id, 1, input.effectiveFrom ?? todayIn(), terms, actor);
    return { client, contract };
  });
}

/**
 * A new contract version from `effectiveFrom` (default today). Unspecified terms carry over from
 * the latest version. Versions are never changed: what a past payment earned stays as it was.
 */
export async function addContractVersion(
  db: Kysely<Database>,
  clientCode: string,
  changes: Partial<ContractTerms>,
  effectiveFrom: string | undefined,
  actor: string,
): Promise<Contract> {
  return db.transaction().execute(async (trx) => {
    const client = await findClientByCode(trx, clientCode);
    // serialise versioning per client
    await trx.selectFrom('clients').select('id').where('id', '=', client.id).forUpdate().execute();
    const history = await loadContracts(trx, client.id);
    const latest = history.reduce<Contract | undefined>(
      (a, b) => (a && a.version > b.version ? a : b),
      undefined,
    );
    if (!latest) throw new HuikuanError('invalid_state', `Client ${clientCode} has no contract.`);
    const from = effectiveFrom ?? todayIn();
    const latestDate =
      history
        .map((c) => c.effectiveFrom)
        .sort()
        .at(-1) ?? '';
    if (from < latestDate) {
      throw new HuikuanError(
        'bad_usage',
        `--effective ${from} is before the latest version's date ${latestDate}; a new version cannot take effect before the current one.`,
      );
    }
    if (changes.currency && changes.currency !== latest.currency) {
      throw new HuikuanError(
        'bad_usage',
        `A contract's currency cannot change (accounts are booked in ${latest.currency}); add a new client for ${changes.currency}.`,
      );
    }
    const terms: ContractTerms = {
      currency: latest.currency,
      jurisdiction: changes.jurisdiction ?? latest.jurisdiction,
      waterfall: changes.waterfall ?? latest.waterfall,
      commission: changes.commission ?? latest.commission,
      netting: changes.netting ?? latest.netting,
      discountLimitBp: changes.discountLimitBp ?? latest.discountLimitBp,
      accrualAllowed: changes.accrualAllowed ?? latest.accrualAllowed,
      // an end carries over like the other terms; null given explicitly makes it open-ended again
      endsOn: changes.endsOn !== undefined ? changes.endsOn : latest.endsOn,
    };
    validateCommission(terms.commission);
    checkEndsOn(terms.endsOn, from);
    return insertContract(trx, client.id, latest.version + 1, from, terms, actor);
  });
}

async function insertContract(
  trx: Transaction<Database>,
  clientId: bigint,
  version: number,
  effectiveFrom: string,
  terms: ContractTerms,
  actor: string,
): Promise<Contract> {
  const row = await trx
    .insertInto('contracts')
    .values({
      client_id: clientId,
      version,
      effective_from: effectiveFrom,
      currency: terms.currency,
      jurisdiction: terms.jurisdiction,
      waterfall: terms.waterfall,
      netting: terms.netting,
      discount_limit_bp: terms.discountLimitBp,
      accrual_allowed: terms.accrualAllowed,
      ends_on: terms.endsOn,
      created_by: actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('contract_commission_rates')
    .values(
      terms.commission.map((b) => ({
        contract_id: row.id,
        from_dpd: b.fromDpd,
        to_dpd: b.toDpd,
        rate_bp: b.rateBp,
      })),
    )
    .execute();
  return { id: row.id, clientId, version, effectiveFrom, ...terms };
}
