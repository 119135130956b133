/**
 * Holds and consent in the database (migrations/0016_holds_consent.sql): holds on a debtor or an
 * account, channel opt-outs, consent, the lost-contact (失联) state, agreed contacts and the US
 * validation notice — what the gate (`gateContact`, service.ts) reads besides its contact log.
 * Every change is audited and takes the debtor's advisory lock, the one the gate decides under,
 * so the next verdict sees it. Nothing is deleted: holds are lifted, consent withdrawn, the
 * lost-contact state cleared, each with who and why.
 */
import { type Kysely, sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { ComplianceTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ComplianceTables>();
}

// the first key of pg_advisory_xact_lock(int, int) for a debtor: the gate's lock
const debtorLockClass = 7_303_014;

/** Takes the debtor's transaction-level lock: the gate and every holds change on one debtor go in turn. */
export async function lockDebtor(trx: Db, debtorId: bigint): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${debtorLockClass}, (${debtorId}::bigint % 2147483647)::int)`.execute(
    trx,
  );
}

/** How the agency learnt of a hold or a consent. Written ones (letter, debtor page, SMS, e-mail) count as written disputes. */
export const holdSources = [
  'letter',
  'phone',
  'debtor_page',
  'sms_reply',
  'email',
  'client',
  'court',
  'attorney',
  'agency',
] as const;
export type HoldSource = (typeof holdSources)[number];

function checkSource(source: string): HoldSource {
  if (!(holdSources as readonly string[]).includes(source)) {
    throw new HuikuanError('bad_input', `"${source}" is not a source; use one of ${holdSources.join(', ')}.`);
  }
  return source as HoldSource;
}

function checkActor(actor: string): string {
  const trimmed = actor.trim();
  if (trimmed === '' || trimmed.length > 200)
    throw new HuikuanError('bad_input', 'Say who records it (a user name of at most 200 characters).');
  return trimmed;
}

const optOutKinds = { call: 'opt_out_call', sms: 'opt_out_sms', email: 'opt_out_email' } as const;

/**
 * Records the debtor's opt-out of a channel (STOP / 退订 / TD, an opt-out link, a request on the
 * phone), on every point of the channel or one point. Idempotent: when an opt-out of the channel
 * covering that point is already open, nothing is added (and nothing audited). The opt-out is in
 * force from `at` (default now) until lifted. `source` is one of `holdSources`.
 */
export async function recordChannelOptOut(
  db: Db,
  input: {
    debtorId: bigint;
    channel: 'sms' | 'email' | 'call';
    contactPointId?: bigint | null;
    source: string;
    actor: string;
    at?: Date;
  },
): Promise<void> {
  const kind = optOutKinds[input.channel];
  if (kind === undefined) {
    throw new HuikuanError('bad_input', `"${input.channel}" has no opt-out; use call, sms or email.`);
  }
  const source = checkSource(input.source);
  const actor = checkActor(input.actor);
  const contactPointId = input.contactPointId ?? null;
  const at = input.at ?? new Date();
  await db.transaction().execute(async (trx) => {
    const debtor = await debtorOf(trx, input.debtorId);
    if (contactPointId !== null) await contactPointOf(trx, debtor.id, contactPointId);
    await lockDebtor(trx, debtor.id);
    const covering = await tables(trx)
      .selectFrom('compliance_holds')
      .select('id')
      .where('debtor_id', '=', debtor.id)
      .where('kind', '=', kind)
      .where('account_id', 'is', null)
      .where('lifted_at', 'is', null)
      .where((eb) =>
        contactPointId === null
          ? eb('contact_point_id', 'is', null)
          : eb.or([eb('contact_point_id', 'is', null), eb('contact_point_id', '=', contactPointId)]),
      )
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', at)]))
      .executeTakeFirst();
    if (covering) return;
    const row = await tables(trx)
      .insertInto('compliance_holds')
      .values({
        client_id: debtor.client_id,
        debtor_id: debtor.id,
        account_id: null,
        contact_point_id: contactPointId,
        kind,
        source,
        starts_at: at,
        recorded_by: actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor,
      action: 'compliance.hold_added',
      entityType: 'compliance_hold',
      entityId: row.id,
      clientId: debtor.client_id,
      after: { debtor_id: debtor.id, kind, contact_point_id: contactPointId, source, starts_at: at },
    });
  });
}

async function debtorOf(
  db: Db,
  debtorId: bigint,
): Promise<{ id: bigint; client_id: bigint; country: string | null }> {
  const debtor = await db
    .selectFrom('debtors')
    .select(['id', 'client_id', 'country'])
    .where('id', '=', debtorId)
    .executeTakeFirst();
  if (!debtor) throw new HuikuanError('not_found', `Debtor ${debtorId} does not exist.`);
  return debtor;
}

async function contactPointOf(
  db: Db,
  debtorId: bigint,
  contactPointId: bigint,
): Promise<{ id: bigint; kind: 'phone' | 'email'; party: 'debtor' | 'agreed_contact' }> {
  const point = await db
    .selectFrom('contact_points')
    .select(['id', 'debtor_id', 'kind', 'party'])
    .where('id', '=', contactPointId)
    .executeTakeFirst();
  if (!point || point.debtor_id !== debtorId) {
    throw new HuikuanError(
      'bad_input',
      `Contact point ${contactPointId} is not one of debtor ${debtorId}'s.`,
    );
  }
  return point;
}
