/**
 * Holds and consent in the database (migrations/0016_holds_consent.sql): holds on a debtor or an
 * account, channel opt-outs, consent, the lost-contact (失联) state, agreed contacts and the US
 * validation notice — what the gate (`gateContact`, service.ts) reads besides its contact log, in
 * one statement (`storedContactState`). Every change is audited and takes the debtor's advisory
 * lock, the one the gate decides under, so the next verdict sees it. Nothing is deleted: holds are
 * lifted, consent withdrawn, the lost-contact state cleared, each with who and why. The rules
 * themselves are in holds-model.ts (pure).
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { maskEmail, maskPhone, type PiiCipher, piiCipher } from '../accounts/pii.ts';
import { checkEmail, normalisePhone } from '../accounts/validate.ts';
import { recordAudit } from '../audit/service.ts';
import { contractInForce } from '../clients/service.ts';
import type { Database } from '../db/schema.ts';
import { groupBy } from '../shared/collections.ts';
import { type BusinessDate, parseBusinessDateOrThrow, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { usValidationPeriod } from './calendar.ts';
import {
  breathingSpaceDays,
  type ConsentKind,
  consentKinds,
  debtorZone,
  disputeNeedsVerification,
  type HoldSource,
  type HoldStatus,
  holdStatus,
  optOutKinds,
  parseHoldKind,
  parseSource,
  parseWhen,
  pointHoldKinds,
  priorConsentDays,
  type StoredHold,
} from './holds-model.ts';
import type { Hold } from './model.ts';
import { type Channel, channels } from './profiles.ts';
import type { ComplianceConsentsTable, ComplianceHoldsTable, ComplianceTables } from './tables.ts';

export { holdSources } from './holds-model.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ComplianceTables>();
}

const dayMs = 86_400_000;
const maxText = 2000;
// the first key of pg_advisory_xact_lock(int, int) for a debtor: the gate's lock
const debtorLockClass = 7_303_014;

/** Takes the debtor's transaction-level lock: the gate and every holds change on one debtor go in turn. */
export async function lockDebtor(trx: Db, debtorId: bigint): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${debtorLockClass}, (${debtorId}::bigint % 2147483647)::int)`.execute(
    trx,
  );
}

// ---------------------------------------------------------------- who and what

/** Who records a change: a user name, or (from the API) the user with id and IP for the audit trail. */
export type Recorder = string | { actor: string; actorUserId?: bigint | null; ip?: string | null };

interface Who {
  actor: string;
  actorUserId: bigint | null;
  ip: string | null;
}

function who(by: Recorder): Who {
  const raw = typeof by === 'string' ? { actor: by } : by;
  const actor = raw.actor.trim();
  if (actor === '' || actor.length > 200)
    throw new HuikuanError('bad_input', 'Say who records it (a user name of at most 200 characters).');
  return { actor, actorUserId: raw.actorUserId ?? null, ip: raw.ip ?? null };
}

function text(value: string | null | undefined, field: string, required = false): string | null {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') {
    if (required) throw new HuikuanError('bad_input', `Give the ${field}.`);
    return null;
  }
  if (trimmed.length > maxText)
    throw new HuikuanError('bad_input', `The ${field} is over ${maxText} characters; shorten it.`);
  return trimmed;
}

async function audit(
  trx: Db,
  by: Who,
  event: {
    action: string;
    entityType: string;
    entityId: bigint;
    clientId: bigint;
    before?: unknown;
    after?: unknown;
  },
): Promise<void> {
  await recordAudit(trx, { ...by, ...event });
}

/** A debtor, or one account of a debtor; holds on the account apply to it alone. */
export interface Target {
  accountId?: bigint | null;
  debtorId?: bigint | null;
}

interface Resolved {
  debtorId: bigint;
  clientId: bigint;
  accountId: bigint | null;
  country: string | null;
}

async function resolve(db: Db, target: Target): Promise<Resolved> {
  if (target.accountId != null) {
    const row = await db
      .selectFrom('accounts')
      .innerJoin('debtors', 'debtors.id', 'accounts.debtor_id')
      .select(['accounts.debtor_id', 'accounts.client_id', 'debtors.country'])
      .where('accounts.id', '=', target.accountId)
      .executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `Account ${target.accountId} does not exist.`);
    if (target.debtorId != null && target.debtorId !== row.debtor_id) {
      throw new HuikuanError('bad_input', `Account ${target.accountId} is not debtor ${target.debtorId}'s.`);
    }
    return {
      debtorId: row.debtor_id,
      clientId: row.client_id,
      accountId: target.accountId,
      country: row.country,
    };
  }
  if (target.debtorId == null) throw new HuikuanError('bad_input', 'Name the account or the debtor.');
  const debtor = await db
    .selectFrom('debtors')
    .select(['id', 'client_id', 'country'])
    .where('id', '=', target.debtorId)
    .executeTakeFirst();
  if (!debtor) throw new HuikuanError('not_found', `Debtor ${target.debtorId} does not exist.`);
  return { debtorId: debtor.id, clientId: debtor.client_id, accountId: null, country: debtor.country };
}

/** The target resolved, with its debtor's lock taken. */
async function resolveLocked(trx: Db, target: Target): Promise<Resolved> {
  const resolved = await resolve(trx, target);
  await lockDebtor(trx, resolved.debtorId);
  return resolved;
}

async function checkContactPoint(
  db: Db,
  debtorId: bigint,
  contactPointId: bigint,
): Promise<{ kind: 'phone' | 'email'; party: 'debtor' | 'agreed_contact' }> {
  const point = await db
    .selectFrom('contact_points')
    .select(['debtor_id', 'kind', 'party'])
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

/** The jurisdiction of the client's contract in force today (compliance.md's profile). */
async function jurisdictionOf(db: Db, clientId: bigint, at: Date): Promise<string> {
  return (await contractInForce(db, clientId, todayIn('Asia/Shanghai', at))).jurisdiction;
}

// ---------------------------------------------------------------- holds

export interface HoldView {
  id: bigint;
  debtorId: bigint;
  /** Null: the hold covers every account of the debtor. */
  accountId: bigint | null;
  /** Null: every contact point (of the channel, for an opt-out). */
  contactPointId: bigint | null;
  kind: StoredHold;
  source: HoldSource;
  note: string | null;
  attorneyName: string | null;
  attorneyContact: string | null;
  startsAt: Date;
  endsAt: Date | null;
  recordedBy: string;
  recordedAt: Date;
  liftedAt: Date | null;
  liftedBy: string | null;
  liftReason: string | null;
  status: HoldStatus;
  /** A written dispute inside a US validation period: lifted only by recording the verification. */
  verificationRequired: boolean;
}

type HoldRow = Selectable<ComplianceHoldsTable>;

function holdView(row: HoldRow, nowMs: number, verificationRequired: boolean): HoldView {
  const startsAt = row.starts_at;
  return {
    id: row.id,
    debtorId: row.debtor_id,
    accountId: row.account_id,
    contactPointId: row.contact_point_id,
    kind: row.kind as StoredHold,
    source: row.source as HoldSource,
    note: row.note,
    attorneyName: row.attorney_name,
    attorneyContact: row.attorney_contact,
    startsAt,
    endsAt: row.ends_at,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    liftedAt: row.lifted_at,
    liftedBy: row.lifted_by,
    liftReason: row.lift_reason,
    status: holdStatus({ startsAt, endsAt: row.ends_at, liftedAt: row.lifted_at }, nowMs),
    verificationRequired,
  };
}

/** A hold as the API and the CLI print it (snake_case). */
export function holdJson(hold: HoldView) {
  return {
    id: hold.id,
    debtor_id: hold.debtorId,
    account_id: hold.accountId,
    contact_point_id: hold.contactPointId,
    kind: hold.kind,
    source: hold.source,
    note: hold.note,
    attorney_name: hold.attorneyName,
    attorney_contact: hold.attorneyContact,
    starts_at: hold.startsAt,
    ends_at: hold.endsAt,
    recorded_by: hold.recordedBy,
    recorded_at: hold.recordedAt,
    lifted_at: hold.liftedAt,
    lifted_by: hold.liftedBy,
    lift_reason: hold.liftReason,
    status: hold.status,
    verification_required: hold.verificationRequired,
  };
}

/** Whether an open dispute hold on an account may only be lifted by the verification. */
async function needsVerification(db: Db, row: HoldRow, country: string | null, at: Date): Promise<boolean> {
  if (row.kind !== 'dispute' || row.account_id === null || row.lifted_at !== null) return false;
  const notice = await tables(db)
    .selectFrom('compliance_validation_notices')
    .select(['period_ends_on', 'verification_sent_on'])
    .where('account_id', '=', row.account_id)
    .executeTakeFirst();
  if (notice?.verification_sent_on) return false;
  return disputeNeedsVerification({
    jurisdiction: await jurisdictionOf(db, row.client_id, at),
    source: row.source,
    receivedOn: todayIn(debtorZone(country), row.starts_at),
    periodEndsOn: notice?.period_ends_on ?? null,
  });
}

export interface AddHoldInput extends Target {
  /** With an account: hold its debtor (every account) rather than the account alone. */
  onDebtor?: boolean;
  kind: string;
  source: string;
  /** Opt-outs and do-not-contact only: this point alone. */
  contactPointId?: bigint | null;
  note?: string | null;
  /** Attorney-represented: whom to deal with instead. */
  attorneyName?: string | null;
  attorneyContact?: string | null;
  /** When it takes effect (default now); a date is the start of that day in the debtor's zone. */
  startsAt?: Date | string;
  /**
   * When it stops applying by itself (a date: the last day in force); undefined = none (a breathing
   * space: 60 days), null = none.
   */
  endsAt?: Date | string | null;
}

/** An instant given as a Date or as a person's date or instant (holds-model.ts, parseWhen). */
function instantOf(value: Date | string, country: string | null, edge: 'start' | 'end', field: string): Date {
  return typeof value === 'string' ? parseWhen(value, debtorZone(country), edge, field) : value;
}

/**
 * Records a hold. Opt-outs are idempotent: when an open opt-out of the channel already covers the
 * point (the debtor's, the account's, or the point's own), it is returned and nothing is added.
 * A dispute is about a debt: it is recorded on an account. Returns the hold and whether it is new.
 */
export async function addHold(
  db: Db,
  input: AddHoldInput,
  by: Recorder,
): Promise<{ hold: HoldView; created: boolean }> {
  const recorder = who(by);
  const kind = parseHoldKind(input.kind);
  const source = parseSource(input.source);
  const note = text(input.note, 'note');
  const contactPointId = input.contactPointId ?? null;
  if (contactPointId !== null && !pointHoldKinds.includes(kind)) {
    throw new HuikuanError(
      'bad_input',
      `A ${kind} hold covers the debtor or the account, not one contact point; leave the contact point out.`,
    );
  }
  if (kind === 'dispute' && (input.accountId == null || input.onDebtor)) {
    throw new HuikuanError('bad_input', 'A dispute is about a debt: record it on the account.');
  }
  const attorneyName = text(input.attorneyName, "attorney's name", kind === 'attorney');
  const attorneyContact = text(input.attorneyContact, "attorney's contact", kind === 'attorney');
  if (kind !== 'attorney' && (attorneyName !== null || attorneyContact !== null)) {
    throw new HuikuanError('bad_input', 'Only an attorney hold carries an attorney; leave the attorney out.');
  }
  return db.transaction().execute(async (trx) => {
    const resolved = await resolve(trx, input);
    const target = input.onDebtor ? { ...resolved, accountId: null } : resolved;
    const startsAt = instantOf(input.startsAt ?? new Date(), target.country, 'start', 'starts');
    const endsAt =
      input.endsAt === undefined
        ? kind === 'breathing_space'
          ? new Date(startsAt.getTime() + breathingSpaceDays * dayMs)
          : null
        : input.endsAt === null
          ? null
          : instantOf(input.endsAt, target.country, 'end', 'ends');
    if (endsAt !== null && endsAt.getTime() <= startsAt.getTime()) {
      throw new HuikuanError('bad_input', 'The hold must end after it starts; check the end date.');
    }
    if (endsAt !== null && optOutKinds.includes(kind)) {
      throw new HuikuanError('bad_input', 'An opt-out lasts until it is lifted; leave the end out.');
    }
    if (contactPointId !== null) await checkContactPoint(trx, target.debtorId, contactPointId);
    await lockDebtor(trx, target.debtorId);
    if (optOutKinds.includes(kind)) {
      const covering = await tables(trx)
        .selectFrom('compliance_holds')
        .selectAll()
        .where('debtor_id', '=', target.debtorId)
        .where('kind', '=', kind)
        .where('lifted_at', 'is', null)
        .where((eb) =>
          target.accountId === null
            ? eb('account_id', 'is', null)
            : eb.or([eb('account_id', 'is', null), eb('account_id', '=', target.accountId)]),
        )
        .where((eb) =>
          contactPointId === null
            ? eb('contact_point_id', 'is', null)
            : eb.or([eb('contact_point_id', 'is', null), eb('contact_point_id', '=', contactPointId)]),
        )
        .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', startsAt)]))
        .orderBy('id')
        .executeTakeFirst();
      if (covering) return { hold: holdView(covering, Date.now(), false), created: false };
    }
    const row = await tables(trx)
      .insertInto('compliance_holds')
      .values({
        client_id: target.clientId,
        debtor_id: target.debtorId,
        account_id: target.accountId,
        contact_point_id: contactPointId,
        kind,
        source,
        note,
        attorney_name: attorneyName,
        attorney_contact: attorneyContact,
        starts_at: startsAt,
        ends_at: endsAt,
        recorded_by: recorder.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, recorder, {
      action: 'compliance.hold_added',
      entityType: 'compliance_hold',
      entityId: row.id,
      clientId: target.clientId,
      after: {
        debtor_id: row.debtor_id,
        account_id: row.account_id,
        contact_point_id: row.contact_point_id,
        kind,
        source,
        note,
        attorney_name: attorneyName,
        attorney_contact: attorneyContact,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
      },
    });
    const verification = await needsVerification(trx, row, target.country, new Date());
    return { hold: holdView(row, Date.now(), verification), created: true };
  });
}

/**
 * Records the debtor's opt-out of a channel (STOP / 退订 / TD, an opt-out link, a request on the
 * phone), on every point of the channel or one point. Idempotent: when an opt-out of the channel
 * covering that point is already open, nothing is added (and nothing audited). In force from `at`
 * (default now) until lifted. `source` is one of `holdSources` (sms_reply, email, debtor_page,
 * phone, letter …).
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
  const kinds = { call: 'opt_out_call', sms: 'opt_out_sms', email: 'opt_out_email' } as const;
  const kind = kinds[input.channel];
  if (kind === undefined) {
    throw new HuikuanError('bad_input', `"${input.channel}" has no opt-out; use call, sms or email.`);
  }
  await addHold(
    db,
    {
      debtorId: input.debtorId,
      kind,
      source: input.source,
      contactPointId: input.contactPointId ?? null,
      startsAt: input.at,
    },
    input.actor,
  );
}

/**
 * Lifts a hold (an end stamp: who, when, why; the row stays). A written dispute inside a US
 * validation period is lifted only by recording the verification (`recordVerificationSent`).
 */
export async function liftHold(
  db: Db,
  holdId: bigint,
  reason: string,
  by: Recorder,
  at: Date = new Date(),
): Promise<HoldView> {
  const recorder = who(by);
  const why = text(reason, 'reason for lifting', true) as string;
  return db.transaction().execute(async (trx) => {
    await lockOwner(trx, 'hold', holdId);
    const row = await tables(trx)
      .selectFrom('compliance_holds')
      .selectAll()
      .where('id', '=', holdId)
      .executeTakeFirstOrThrow();
    if (row.lifted_at !== null) {
      throw new HuikuanError(
        'invalid_state',
        `Hold ${holdId} was already lifted by ${row.lifted_by} on ${row.lifted_at.toISOString()}.`,
      );
    }
    const debtor = await resolve(trx, { debtorId: row.debtor_id });
    if (await needsVerification(trx, row, debtor.country, at)) {
      throw new HuikuanError(
        'invalid_state',
        `Hold ${holdId} is a written dispute inside the validation period: collection stays held until the verification is sent. Record the verification (POST /api/v1/accounts/ACCOUNT/validation-notice/verification), which lifts the dispute.`,
      );
    }
    const lifted = await tables(trx)
      .updateTable('compliance_holds')
      .set({ lifted_at: at, lifted_by: recorder.actor, lift_reason: why })
      .where('id', '=', holdId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, recorder, {
      action: 'compliance.hold_lifted',
      entityType: 'compliance_hold',
      entityId: holdId,
      clientId: row.client_id,
      before: { kind: row.kind, lifted_at: null },
      after: { kind: row.kind, lifted_at: at, reason: why },
    });
    return holdView(lifted, Date.now(), false);
  });
}

/**
 * The holds of an account (its own and its debtor's) or of a debtor (every one of its accounts'
 * too), newest first, with their history: lifted and ended ones included unless `current`.
 */
export async function listHolds(
  db: Db,
  target: Target,
  options: { current?: boolean; limit?: number } = {},
): Promise<HoldView[]> {
  const resolved = await resolve(db, target);
  const limit = Math.min(Math.max(options.limit ?? 500, 1), 2000);
  let query = tables(db)
    .selectFrom('compliance_holds')
    .selectAll()
    .where('debtor_id', '=', resolved.debtorId)
    .orderBy('id', 'desc')
    .limit(limit);
  if (resolved.accountId !== null) {
    query = query.where((eb) =>
      eb.or([eb('account_id', 'is', null), eb('account_id', '=', resolved.accountId)]),
    );
  }
  const rows = await query.execute();
  const now = new Date();
  const views: HoldView[] = [];
  for (const row of rows) {
    const view = holdView(row, now.getTime(), await needsVerification(db, row, resolved.country, now));
    if (!options.current || view.status === 'active' || view.status === 'scheduled') views.push(view);
  }
  return views;
}

/**
 * Stamps holds whose end has passed by `asOf` as lifted ("ended on …", by `system`), at most
 * `limit` per call (call again while it returns `limit`). The gate does not need it — a hold past
 * its end stops applying by its date — but lists of open holds and the unique open opt-out do:
 * the nightly run (src/strategy, step "expired holds") is meant to call it. Idempotent.
 */
export async function closeEndedHolds(
  db: Db,
  options: { asOf?: Date; limit?: number; actor?: string } = {},
): Promise<{ closed: number; holdIds: bigint[] }> {
  const asOf = options.asOf ?? new Date();
  const limit = Math.min(Math.max(options.limit ?? 1000, 1), 10_000);
  const actor = options.actor ?? 'system';
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ id: bigint; client_id: bigint; ends_at: Date }>`
      UPDATE compliance_holds h
         SET lifted_at = h.ends_at, lifted_by = ${actor},
             lift_reason = 'ended on ' || to_char(h.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
       WHERE h.id IN (SELECT id FROM compliance_holds
                       WHERE lifted_at IS NULL AND ends_at IS NOT NULL AND ends_at <= ${asOf}
                       ORDER BY ends_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING h.id, h.client_id, h.ends_at`.execute(trx);
    for (const [clientId, ids] of groupBy(
      rows,
      (row) => row.client_id,
      (row) => row.id,
    )) {
      await recordAudit(trx, {
        actor,
        action: 'compliance.holds_ended',
        entityType: 'compliance_hold',
        entityId: null,
        clientId,
        after: { as_of: asOf, hold_ids: ids.sort((a, b) => (a < b ? -1 : 1)) },
      });
    }
    return { closed: rows.length, holdIds: rows.map((row) => row.id) };
  });
}

// ---------------------------------------------------------------- consent

export interface ConsentView {
  id: bigint;
  debtorId: bigint;
  contactPointId: bigint | null;
  kind: ConsentKind;
  /** Null for quiet-hours consent on every channel. */
  channel: Channel | null;
  source: HoldSource;
  note: string | null;
  givenAt: Date;
  expiresAt: Date | null;
  recordedBy: string;
  recordedAt: Date;
  withdrawnAt: Date | null;
  withdrawnBy: string | null;
  withdrawReason: string | null;
  /** In force now: given, not expired, not withdrawn. */
  current: boolean;
}

type ConsentRow = Selectable<ComplianceConsentsTable>;

function consentView(row: ConsentRow, nowMs: number): ConsentView {
  return {
    id: row.id,
    debtorId: row.debtor_id,
    contactPointId: row.contact_point_id,
    kind: row.kind as ConsentKind,
    channel: row.channel as Channel | null,
    source: row.source as HoldSource,
    note: row.note,
    givenAt: row.given_at,
    expiresAt: row.expires_at,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    withdrawnAt: row.withdrawn_at,
    withdrawnBy: row.withdrawn_by,
    withdrawReason: row.withdraw_reason,
    current:
      row.given_at.getTime() <= nowMs &&
      (row.expires_at === null || row.expires_at.getTime() > nowMs) &&
      (row.withdrawn_at === null || row.withdrawn_at.getTime() > nowMs),
  };
}

export interface ConsentInput extends Target {
  kind: string;
  /** Required for `channel`; optional for `quiet_hours` (every channel); `call` for `prior_call`. */
  channel?: string | null;
  contactPointId?: bigint | null;
  source: string;
  note?: string | null;
  /** When it was given (default now); a date is the start of that day in the debtor's zone. */
  givenAt?: Date | string;
  /** When it lapses (a date: the last day it holds); null or undefined = until withdrawn. */
  expiresAt?: Date | string | null;
}

/**
 * Records the debtor's consent: to a channel, to contact in the quiet hours (lifts the hours in
 * every profile), or a prior consent to a call (US: calls within 7 days of it are not counted
 * towards 7 in 7).
 */
export async function recordConsent(db: Db, input: ConsentInput, by: Recorder): Promise<ConsentView> {
  const recorder = who(by);
  if (!(consentKinds as readonly string[]).includes(input.kind)) {
    throw new HuikuanError('bad_input', `"${input.kind}" is not a consent; use ${consentKinds.join(', ')}.`);
  }
  const kind = input.kind as ConsentKind;
  const channel = kind === 'prior_call' ? 'call' : (input.channel ?? null);
  if (channel !== null && !(channels as readonly string[]).includes(channel)) {
    throw new HuikuanError('bad_input', `"${channel}" is not a channel; use ${channels.join(', ')}.`);
  }
  if (kind === 'channel' && channel === null) {
    throw new HuikuanError(
      'bad_input',
      'Consent to a channel names the channel (call, sms, email, letter, visit).',
    );
  }
  if (input.kind === 'prior_call' && input.channel != null && input.channel !== 'call') {
    throw new HuikuanError('bad_input', 'A prior consent is to a call; leave the channel out or give call.');
  }
  const source = parseSource(input.source);
  const note = text(input.note, 'note');
  const contactPointId = input.contactPointId ?? null;
  return db.transaction().execute(async (trx) => {
    const target = await resolve(trx, input);
    const givenAt = instantOf(input.givenAt ?? new Date(), target.country, 'start', 'given');
    const expiresAt =
      input.expiresAt == null ? null : instantOf(input.expiresAt, target.country, 'end', 'expires');
    if (expiresAt !== null && expiresAt.getTime() <= givenAt.getTime()) {
      throw new HuikuanError('bad_input', 'The consent must expire after it was given; check the expiry.');
    }
    if (contactPointId !== null) await checkContactPoint(trx, target.debtorId, contactPointId);
    await lockDebtor(trx, target.debtorId);
    const row = await tables(trx)
      .insertInto('compliance_consents')
      .values({
        client_id: target.clientId,
        debtor_id: target.debtorId,
        contact_point_id: contactPointId,
        kind,
        channel,
        source,
        note,
        given_at: givenAt,
        expires_at: expiresAt,
        recorded_by: recorder.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, recorder, {
      action: 'compliance.consent_recorded',
      entityType: 'compliance_consent',
      entityId: row.id,
      clientId: target.clientId,
      after: {
        debtor_id: target.debtorId,
        kind,
        channel,
        contact_point_id: contactPointId,
        source,
        given_at: givenAt,
        expires_at: expiresAt,
      },
    });
    return consentView(row, Date.now());
  });
}

/** Withdraws a consent (an end stamp with who and why; the row stays). */
export async function withdrawConsent(
  db: Db,
  consentId: bigint,
  reason: string,
  by: Recorder,
  at: Date = new Date(),
): Promise<ConsentView> {
  const recorder = who(by);
  const why = text(reason, 'reason for withdrawing', true) as string;
  return db.transaction().execute(async (trx) => {
    const owner = await lockOwner(trx, 'consent', consentId);
    const row = await tables(trx)
      .updateTable('compliance_consents')
      .set({ withdrawn_at: at, withdrawn_by: recorder.actor, withdraw_reason: why })
      .where('id', '=', consentId)
      .where('withdrawn_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new HuikuanError('invalid_state', `Consent ${consentId} was already withdrawn.`);
    await audit(trx, recorder, {
      action: 'compliance.consent_withdrawn',
      entityType: 'compliance_consent',
      entityId: consentId,
      clientId: owner.clientId,
      after: { kind: row.kind, channel: row.channel, withdrawn_at: at, reason: why },
    });
    return consentView(row, Date.now());
  });
}

/** The debtor's consents, newest first, withdrawn and expired ones included. */
export async function listConsents(db: Db, target: Target): Promise<ConsentView[]> {
  const resolved = await resolve(db, target);
  const rows = await tables(db)
    .selectFrom('compliance_consents')
    .selectAll()
    .where('debtor_id', '=', resolved.debtorId)
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  const now = Date.now();
  return rows.map((row) => consentView(row, now));
}

// ---------------------------------------------------------------- lost contact (失联)

export interface LostContactPeriod {
  id: bigint;
  setAt: Date;
  setBy: string;
  setReason: string;
  clearedAt: Date | null;
  clearedBy: string | null;
  clearReason: string | null;
}

export interface LostContactState {
  debtorId: bigint;
  /** In lost-contact state now. */
  lost: boolean;
  /** Periods, newest first. */
  history: LostContactPeriod[];
}

/**
 * Puts the debtor in lost-contact (失联) state: the only state in which CN lets agreed contacts and
 * third parties be reached (to re-establish contact, never about the debt).
 */
export function setLostContact(
  db: Db,
  target: Target,
  reason: string,
  by: Recorder,
  at: Date = new Date(),
): Promise<LostContactState> {
  return changeLostContact(
    db,
    target,
    true,
    text(reason, 'reason (how contact was lost)', true) as string,
    by,
    at,
  );
}

/** Ends the debtor's lost-contact state (contact re-established, or set by mistake). */
export function clearLostContact(
  db: Db,
  target: Target,
  reason: string,
  by: Recorder,
  at: Date = new Date(),
): Promise<LostContactState> {
  return changeLostContact(db, target, false, text(reason, 'reason for clearing', true) as string, by, at);
}

/** Opens (`lost`) or closes the debtor's lost-contact period, refusing a change to the state it is in. */
async function changeLostContact(
  db: Db,
  target: Target,
  lost: boolean,
  why: string,
  by: Recorder,
  at: Date,
): Promise<LostContactState> {
  const recorder = who(by);
  return db.transaction().execute(async (trx) => {
    const resolved = await resolveLocked(trx, target);
    const open = await tables(trx)
      .selectFrom('compliance_lost_contact')
      .select(['id', 'set_at', 'set_by'])
      .where('debtor_id', '=', resolved.debtorId)
      .where('cleared_at', 'is', null)
      .executeTakeFirst();
    let periodId: bigint;
    let when = at;
    if (lost) {
      if (open) {
        throw new HuikuanError(
          'invalid_state',
          `Debtor ${resolved.debtorId} is already in lost-contact state (set by ${open.set_by} on ${open.set_at.toISOString()}).`,
        );
      }
      const row = await tables(trx)
        .insertInto('compliance_lost_contact')
        .values({
          client_id: resolved.clientId,
          debtor_id: resolved.debtorId,
          set_at: at,
          set_by: recorder.actor,
          set_reason: why,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      periodId = row.id;
    } else {
      if (!open) {
        throw new HuikuanError('invalid_state', `Debtor ${resolved.debtorId} is not in lost-contact state.`);
      }
      // a period never ends before it began
      if (at.getTime() < open.set_at.getTime()) when = open.set_at;
      await tables(trx)
        .updateTable('compliance_lost_contact')
        .set({ cleared_at: when, cleared_by: recorder.actor, clear_reason: why })
        .where('id', '=', open.id)
        .execute();
      periodId = open.id;
    }
    await audit(trx, recorder, {
      action: lost ? 'compliance.lost_contact_set' : 'compliance.lost_contact_cleared',
      entityType: 'debtor',
      entityId: resolved.debtorId,
      clientId: resolved.clientId,
      after: { period_id: periodId, [lost ? 'set_at' : 'cleared_at']: when, reason: why },
    });
    return lostContactState(trx, { debtorId: resolved.debtorId });
  });
}

export async function lostContactState(db: Db, target: Target): Promise<LostContactState> {
  const resolved = await resolve(db, target);
  const rows = await tables(db)
    .selectFrom('compliance_lost_contact')
    .selectAll()
    .where('debtor_id', '=', resolved.debtorId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  return {
    debtorId: resolved.debtorId,
    lost: rows.some((row) => row.cleared_at === null),
    history: rows.map((row) => ({
      id: row.id,
      setAt: row.set_at,
      setBy: row.set_by,
      setReason: row.set_reason,
      clearedAt: row.cleared_at,
      clearedBy: row.cleared_by,
      clearReason: row.clear_reason,
    })),
  };
}

// ---------------------------------------------------------------- agreed contacts

export interface AgreedContactView {
  id: bigint;
  debtorId: bigint;
  kind: 'phone' | 'email';
  masked: string;
  holderName: string | null;
  relation: string | null;
  status: string;
}

/**
 * Adds an agreed (emergency) contact of the debtor: a contact point held by someone else, sealed
 * like the debtor's own (phones encrypted, hashed and masked). The gate reaches it only as
 * `agreed_contact`, and in CN only while the debtor is in lost-contact state.
 */
export async function addAgreedContact(
  db: Db,
  input: Target & { kind: 'phone' | 'email'; value: string; holderName: string; relation: string },
  by: Recorder,
  cipher: PiiCipher = piiCipher(),
): Promise<AgreedContactView> {
  const recorder = who(by);
  const holderName = text(input.holderName, "contact's name", true) as string;
  const relation = text(input.relation, 'relation to the debtor', true) as string;
  if (holderName.length > 200)
    throw new HuikuanError('bad_input', "The contact's name is over 200 characters.");
  if (relation.length > 100) throw new HuikuanError('bad_input', 'The relation is over 100 characters.');
  return db.transaction().execute(async (trx) => {
    const target = await resolve(trx, input);
    let sealed: {
      value_enc: Buffer | null;
      value_hash: Buffer | null;
      value_masked: string;
      value_text: string | null;
    };
    if (input.kind === 'phone') {
      const phone = normalisePhone(input.value, target.country ?? 'CN');
      if (!phone.ok) throw new HuikuanError('bad_input', `${phone.reason}.`);
      sealed = {
        value_enc: cipher.encrypt(phone.value),
        value_hash: cipher.searchHash(phone.value),
        value_masked: maskPhone(phone.value),
        value_text: null,
      };
    } else if (input.kind === 'email') {
      const email = checkEmail(input.value);
      if (!email.ok) throw new HuikuanError('bad_input', `${email.reason}.`);
      sealed = {
        value_enc: null,
        value_hash: null,
        value_masked: maskEmail(email.value),
        value_text: email.value,
      };
    } else {
      throw new HuikuanError(
        'bad_input',
        `"${String(input.kind)}" is not a contact point kind; use phone or email.`,
      );
    }
    await lockDebtor(trx, target.debtorId);
    const last = await trx
      .selectFrom('contact_points')
      .select((eb) => eb.fn.max('position').as('position'))
      .where('debtor_id', '=', target.debtorId)
      .where('kind', '=', input.kind)
      .executeTakeFirst();
    const row = await trx
      .insertInto('contact_points')
      .values({
        client_id: target.clientId,
        debtor_id: target.debtorId,
        kind: input.kind,
        position: (last?.position ?? 0) + 1,
        ...sealed,
        status: 'unverified',
        party: 'agreed_contact',
        holder_name: holderName,
        relation,
      })
      .returning(['id', 'debtor_id', 'kind', 'value_masked', 'holder_name', 'relation', 'status'])
      .executeTakeFirstOrThrow();
    await audit(trx, recorder, {
      action: 'compliance.agreed_contact_added',
      entityType: 'contact_point',
      entityId: row.id,
      clientId: target.clientId,
      after: {
        debtor_id: target.debtorId,
        kind: row.kind,
        masked: row.value_masked,
        holder_name: holderName,
        relation,
      },
    });
    return agreedView(row);
  });
}

function agreedView(row: {
  id: bigint;
  debtor_id: bigint;
  kind: 'phone' | 'email';
  value_masked: string;
  holder_name: string | null;
  relation: string | null;
  status: string;
}): AgreedContactView {
  return {
    id: row.id,
    debtorId: row.debtor_id,
    kind: row.kind,
    masked: row.value_masked,
    holderName: row.holder_name,
    relation: row.relation,
    status: row.status,
  };
}

export async function listAgreedContacts(db: Db, target: Target): Promise<AgreedContactView[]> {
  const resolved = await resolve(db, target);
  const rows = await db
    .selectFrom('contact_points')
    .select(['id', 'debtor_id', 'kind', 'value_masked', 'holder_name', 'relation', 'status'])
    .where('debtor_id', '=', resolved.debtorId)
    .where('party', '=', 'agreed_contact')
    .orderBy('id')
    .limit(200)
    .execute();
  return rows.map(agreedView);
}

// ---------------------------------------------------------------- the US validation notice

export interface ValidationNoticeView {
  accountId: bigint;
  sentOn: BusinessDate;
  /** Five days after sending, weekends and federal holidays not counted. */
  assumedReceipt: BusinessDate;
  /** The last day of the validation period (printed on the notice): 30 days after receipt. */
  periodEndsOn: BusinessDate;
  recordedBy: string;
  recordedAt: Date;
  verificationSentOn: BusinessDate | null;
  verificationRecordedBy: string | null;
}

function noticeView(row: {
  account_id: bigint;
  sent_on: string;
  assumed_receipt: string;
  period_ends_on: string;
  recorded_by: string;
  recorded_at: Date;
  verification_sent_on: string | null;
  verification_recorded_by: string | null;
}): ValidationNoticeView {
  return {
    accountId: row.account_id,
    sentOn: row.sent_on,
    assumedReceipt: row.assumed_receipt,
    periodEndsOn: row.period_ends_on,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    verificationSentOn: row.verification_sent_on,
    verificationRecordedBy: row.verification_recorded_by,
  };
}

/**
 * Records that the validation notice of a US account was sent on `sentOn`, with the assumed
 * receipt and the period's end computed by calendar.ts (Regulation F 1006.34). Once per account.
 */
export async function recordValidationNotice(
  db: Db,
  accountId: bigint,
  sentOn: string,
  by: Recorder,
): Promise<ValidationNoticeView> {
  const recorder = who(by);
  const date = parseBusinessDateOrThrow(sentOn, 'sent_on');
  const period = usValidationPeriod(date);
  return db.transaction().execute(async (trx) => {
    const target = await resolve(trx, { accountId });
    const jurisdiction = await jurisdictionOf(trx, target.clientId, new Date());
    if (jurisdiction !== 'US') {
      throw new HuikuanError(
        'invalid_state',
        `Account ${accountId}'s contract is under the ${jurisdiction} profile; the validation notice is a US (Regulation F) notice.`,
      );
    }
    await lockDebtor(trx, target.debtorId);
    const existing = await tables(trx)
      .selectFrom('compliance_validation_notices')
      .select(['sent_on'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (existing) {
      throw new HuikuanError(
        'invalid_state',
        `Account ${accountId}'s validation notice was already recorded as sent on ${existing.sent_on}; its period stands.`,
      );
    }
    const row = await tables(trx)
      .insertInto('compliance_validation_notices')
      .values({
        client_id: target.clientId,
        account_id: accountId,
        sent_on: period.sentOn,
        assumed_receipt: period.assumedReceipt,
        period_ends_on: period.endsOn,
        recorded_by: recorder.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, recorder, {
      action: 'compliance.validation_notice_recorded',
      entityType: 'account',
      entityId: accountId,
      clientId: target.clientId,
      after: {
        sent_on: row.sent_on,
        assumed_receipt: row.assumed_receipt,
        period_ends_on: row.period_ends_on,
      },
    });
    return noticeView(row);
  });
}

/**
 * Records that the verification answering the account's dispute was sent on `sentOn` (Regulation F
 * 1006.38): the account's open dispute holds are lifted with that reason at `at` (default now),
 * and collection resumes.
 */
export async function recordVerificationSent(
  db: Db,
  accountId: bigint,
  sentOn: string,
  by: Recorder,
  at: Date = new Date(),
): Promise<{ notice: ValidationNoticeView; liftedHoldIds: bigint[] }> {
  const recorder = who(by);
  const date = parseBusinessDateOrThrow(sentOn, 'sent_on');
  return db.transaction().execute(async (trx) => {
    const target = await resolveLocked(trx, { accountId });
    const notice = await tables(trx)
      .selectFrom('compliance_validation_notices')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!notice) {
      throw new HuikuanError(
        'invalid_state',
        `Account ${accountId} has no validation notice recorded; record when it was sent first.`,
      );
    }
    if (notice.verification_sent_on !== null) {
      throw new HuikuanError(
        'invalid_state',
        `Account ${accountId}'s verification was already recorded as sent on ${notice.verification_sent_on}.`,
      );
    }
    const updated = await tables(trx)
      .updateTable('compliance_validation_notices')
      .set({ verification_sent_on: date, verification_recorded_by: recorder.actor })
      .where('account_id', '=', accountId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const lifted = await tables(trx)
      .updateTable('compliance_holds')
      .set({ lifted_at: at, lifted_by: recorder.actor, lift_reason: `verification sent on ${date}` })
      .where('account_id', '=', accountId)
      .where('kind', '=', 'dispute')
      .where('lifted_at', 'is', null)
      .returning('id')
      .execute();
    const liftedHoldIds = lifted.map((row) => row.id);
    await audit(trx, recorder, {
      action: 'compliance.verification_recorded',
      entityType: 'account',
      entityId: accountId,
      clientId: target.clientId,
      after: { verification_sent_on: date, lifted_hold_ids: liftedHoldIds },
    });
    return { notice: noticeView(updated), liftedHoldIds };
  });
}

export async function validationNotice(db: Db, accountId: bigint): Promise<ValidationNoticeView | null> {
  await resolve(db, { accountId });
  const row = await tables(db)
    .selectFrom('compliance_validation_notices')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row ? noticeView(row) : null;
}

// ---------------------------------------------------------------- what the gate reads

export interface StoredContactState {
  /** Holds in force at the instant, for this account and contact point. */
  holds: Hold[];
  /** The debtor is in lost-contact state at the instant. */
  lostContact: boolean;
  /** The debtor consented to contact in the quiet hours on this channel (and point). */
  consentQuietHours: boolean;
  /** Windows [from, until) in UTC ms in which calls to the debtor had prior consent. */
  priorCallWindows: Array<[number, number]>;
  /** The last day of the account's validation period, when a notice was sent. */
  validationPeriodEndsOn: BusinessDate | null;
}

interface StateRow {
  holds: string[];
  lost_contact: boolean;
  consent_quiet_hours: boolean;
  prior_calls: Array<[number, number]> | null;
  validation_period_ends_on: string | null;
}

/**
 * Everything stored that the gate reads for one proposed contact, in one statement. Call it inside
 * the gate's transaction after `lockDebtor`, so a change committed before the lock is seen.
 * Holds apply whoever is contacted; consent is the debtor's and applies only to the debtor.
 */
export async function storedContactState(
  trx: Db,
  request: {
    debtorId: bigint;
    accountId: bigint;
    contactPointId: bigint | null;
    channel: Channel;
    forDebtor: boolean;
    at: Date;
  },
): Promise<StoredContactState> {
  const { debtorId, accountId, contactPointId, channel, forDebtor, at } = request;
  const { rows } = await sql<StateRow>`
    SELECT
      ARRAY(SELECT DISTINCT kind FROM compliance_holds
             WHERE debtor_id = ${debtorId}
               AND (account_id IS NULL OR account_id = ${accountId})
               AND (contact_point_id IS NULL OR ${contactPointId}::bigint IS NULL
                    OR contact_point_id = ${contactPointId}::bigint)
               AND starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at})
               AND (lifted_at IS NULL OR lifted_at > ${at})) AS holds,
      EXISTS (SELECT 1 FROM compliance_lost_contact
               WHERE debtor_id = ${debtorId} AND set_at <= ${at}
                 AND (cleared_at IS NULL OR cleared_at > ${at})) AS lost_contact,
      ${forDebtor} AND EXISTS (
        SELECT 1 FROM compliance_consents
         WHERE debtor_id = ${debtorId} AND kind = 'quiet_hours'
           AND (channel IS NULL OR channel = ${channel})
           AND (contact_point_id IS NULL OR contact_point_id = ${contactPointId}::bigint)
           AND given_at <= ${at} AND (expires_at IS NULL OR expires_at > ${at})
           AND (withdrawn_at IS NULL OR withdrawn_at > ${at})) AS consent_quiet_hours,
      CASE WHEN ${forDebtor} AND ${channel} = 'call' THEN (
        SELECT json_agg(json_build_array(
                 extract(epoch FROM given_at) * 1000,
                 extract(epoch FROM least(given_at + make_interval(days => ${priorConsentDays}), expires_at, withdrawn_at)) * 1000))
          FROM compliance_consents
         WHERE debtor_id = ${debtorId} AND kind = 'prior_call'
           AND (contact_point_id IS NULL OR contact_point_id = ${contactPointId}::bigint)
           AND given_at <= ${at} AND given_at > ${at}::timestamptz - interval '20 days') END AS prior_calls,
      (SELECT period_ends_on FROM compliance_validation_notices
        WHERE account_id = ${accountId}) AS validation_period_ends_on`.execute(trx);
  const row = rows[0] as StateRow;
  return {
    holds: row.holds as Hold[],
    lostContact: row.lost_contact,
    consentQuietHours: row.consent_quiet_hours === true,
    priorCallWindows: (row.prior_calls ?? []).map(([from, until]) => [Number(from), Number(until)]),
    validationPeriodEndsOn: row.validation_period_ends_on,
  };
}

/** The client and debtor of a hold or a consent (the routes check the client against the caller's scope). */
export async function ownerOf(
  db: Db,
  what: 'hold' | 'consent',
  id: bigint,
): Promise<{ clientId: bigint; debtorId: bigint }> {
  const row = await tables(db)
    .selectFrom(what === 'hold' ? 'compliance_holds' : 'compliance_consents')
    .select(['client_id', 'debtor_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row)
    throw new HuikuanError('not_found', `${what === 'hold' ? 'Hold' : 'Consent'} ${id} does not exist.`);
  return { clientId: row.client_id, debtorId: row.debtor_id };
}

/** Takes the lock of the debtor a hold or a consent is about; returns its owner. */
async function lockOwner(trx: Db, what: 'hold' | 'consent', id: bigint) {
  const owner = await ownerOf(trx, what, id);
  await lockDebtor(trx, owner.debtorId);
  return owner;
}
