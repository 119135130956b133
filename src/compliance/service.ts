/**
 * The gate with its state in the database: profile versions and overrides proposed and decided by
 * two users, the profile in force for an account, and `gateContact`, which evaluates one proposed
 * contact against the contacts already let through, stores the verdict and — when it allows —
 * records the contact (outcome pending) in the same transaction, under a per-debtor advisory lock:
 * concurrent attempts on one debtor are decided in turn, each seeing those before it and every
 * hold, consent or lost-contact change committed before it (holds.ts takes the same lock). Rules
 * are in model.ts and profiles.ts; this file is SQL.
 */
import { type Kysely, sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { contractInForce } from '../clients/service.ts';
import type { Database } from '../db/schema.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import { channelConsentState } from './consent-state.ts';
import { lockDebtor, storedContactState } from './holds.ts';
import { countryZones, withoutConsentedCalls } from './holds-model.ts';
import {
  type Attempt,
  consentRules,
  evaluate,
  type HistoryEntry,
  type Hold,
  type Outcome,
  outcomes,
  type Purpose,
  type Verdict,
} from './model.ts';
import {
  type Channel,
  changeRules,
  clampOverride,
  defaultProfiles,
  type Jurisdiction,
  jurisdictions,
  type OverrideDocument,
  type Party,
  type Profile,
  type ProfileRules,
  tighten,
} from './profiles.ts';
import type { ComplianceTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ComplianceTables>();
}

// advisory lock class of profile approvals (the first key of pg_advisory_xact_lock(int, int));
// the debtor's lock is holds.ts's lockDebtor
const profileLockClass = 7_303_015;
const dayMs = 86_400_000;

export type ProfileScope = 'base' | 'client' | 'account';

// ---------------------------------------------------------------- profiles

interface ApprovedRow {
  scope: ProfileScope;
  version: number;
  changes: unknown;
  rules: unknown;
}

/**
 * The profile in force: the latest approved base version (else compliance.md's version 1), then
 * the client's latest approved override, then the account's, each clamped to be no looser.
 */
export async function effectiveProfile(
  db: Db,
  jurisdiction: Jurisdiction,
  clientId: bigint | null = null,
  accountId: bigint | null = null,
): Promise<Profile> {
  const { rows } = await sql<ApprovedRow>`
    SELECT DISTINCT ON (scope) scope, version, changes, rules
    FROM compliance_profile_changes
    WHERE jurisdiction = ${jurisdiction} AND status = 'approved'
      AND (scope = 'base'
           OR (scope = 'client' AND client_id = ${clientId})
           OR (scope = 'account' AND account_id = ${accountId}))
    ORDER BY scope, version DESC`.execute(db);
  const byScope = new Map(rows.map((row) => [row.scope, row]));
  const base = byScope.get('base');
  let profile: Profile = base
    ? { code: jurisdiction, version: base.version, overrides: [], rules: base.rules as ProfileRules }
    : defaultProfiles[jurisdiction];
  const client = byScope.get('client');
  if (client)
    profile = clampOverride(
      profile,
      client.changes as OverrideDocument,
      `client:${clientId}@${client.version}`,
    );
  const account = byScope.get('account');
  if (account) {
    profile = clampOverride(
      profile,
      account.changes as OverrideDocument,
      `account:${accountId}@${account.version}`,
    );
  }
  return profile;
}

export interface ProfileChangeInput {
  jurisdiction: Jurisdiction;
  scope: ProfileScope;
  /** For a client override. */
  clientId?: bigint | null;
  /** For an account override (its client is the account's). */
  accountId?: bigint | null;
  changes: OverrideDocument;
  reason: string;
}

interface Target {
  jurisdiction: Jurisdiction;
  scope: ProfileScope;
  clientId: bigint | null;
  accountId: bigint | null;
}

async function resolveTarget(db: Db, input: ProfileChangeInput): Promise<Target> {
  if (!jurisdictions.includes(input.jurisdiction)) {
    throw new HuikuanError('bad_input', `"${input.jurisdiction}" is not a jurisdiction; use CN, US or UK.`);
  }
  if (input.scope === 'base') {
    return { jurisdiction: input.jurisdiction, scope: 'base', clientId: null, accountId: null };
  }
  if (input.scope === 'account') {
    if (input.accountId == null)
      throw new HuikuanError('bad_input', 'An account override needs the account.');
    const account = await db
      .selectFrom('accounts')
      .select('client_id')
      .where('id', '=', input.accountId)
      .executeTakeFirst();
    if (!account) throw new HuikuanError('not_found', `Account ${input.accountId} does not exist.`);
    return {
      jurisdiction: input.jurisdiction,
      scope: 'account',
      clientId: account.client_id,
      accountId: input.accountId,
    };
  }
  if (input.clientId == null) throw new HuikuanError('bad_input', 'A client override needs the client.');
  const client = await db
    .selectFrom('clients')
    .select('id')
    .where('id', '=', input.clientId)
    .executeTakeFirst();
  if (!client) throw new HuikuanError('not_found', `Client ${input.clientId} does not exist.`);
  return { jurisdiction: input.jurisdiction, scope: 'client', clientId: input.clientId, accountId: null };
}

/** The change applied to what is in force now: throws `bad_input` when it is malformed or loosens an override. */
async function applyChange(
  db: Db,
  target: Target,
  changes: OverrideDocument,
  label: string,
): Promise<{ parent: Profile; result: Profile }> {
  if (target.scope === 'base') {
    const parent = await effectiveProfile(db, target.jurisdiction);
    const rules = changeRules(parent.rules, changes, 'edit');
    return { parent, result: { code: parent.code, version: parent.version + 1, overrides: [], rules } };
  }
  // an account's override tightens the client's profile; a client's the base
  const parent = await effectiveProfile(
    db,
    target.jurisdiction,
    target.scope === 'account' ? target.clientId : null,
  );
  return { parent, result: tighten(parent, changes, label) };
}

function isDocument(value: unknown): value is OverrideDocument {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Who proposes or decides a profile change: a user name, or with the user's id and IP (the routes) for the audit. */
export type ProfileActor = string | { actor: string; actorUserId?: bigint | null; ip?: string | null };

function profileActor(by: ProfileActor): { actor: string; actorUserId: bigint | null; ip: string | null } {
  return typeof by === 'string'
    ? { actor: by, actorUserId: null, ip: null }
    : { actor: by.actor, actorUserId: by.actorUserId ?? null, ip: by.ip ?? null };
}

/** Proposes a new base version or an override; a second user decides it. Returns the proposal's id. */
export async function proposeProfileChange(
  db: Db,
  input: ProfileChangeInput,
  by: ProfileActor,
): Promise<bigint> {
  const { actor, actorUserId, ip } = profileActor(by);
  if (!isDocument(input.changes) || Object.keys(input.changes).length === 0) {
    throw new HuikuanError(
      'bad_input',
      'A profile change must change at least one rule (a JSON object of rules).',
    );
  }
  if (input.reason.trim() === '')
    throw new HuikuanError('bad_input', 'Say why the profile changes (--reason).');
  return db.transaction().execute(async (trx) => {
    const target = await resolveTarget(trx, input);
    await applyChange(trx, target, input.changes, `${target.scope}:proposed`);
    const row = await tables(trx)
      .insertInto('compliance_profile_changes')
      .values({
        jurisdiction: target.jurisdiction,
        scope: target.scope,
        client_id: target.clientId,
        account_id: target.accountId,
        changes: toJson(input.changes),
        reason: input.reason.trim(),
        proposed_by: actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor,
      actorUserId,
      ip,
      action: 'compliance.profile_proposed',
      entityType: 'compliance_profile_change',
      entityId: row.id,
      clientId: target.clientId,
      after: { ...target, changes: input.changes, reason: input.reason },
    });
    return row.id;
  });
}

export interface ProfileDecision {
  id: bigint;
  status: 'approved' | 'rejected';
  version: number | null;
  profile: Profile | null;
}

/**
 * Approves or rejects a pending change; the decider must not be its proposer. Approval checks the
 * change again against what is in force now (it may have moved since the proposal) and numbers it.
 */
export async function decideProfileChange(
  db: Db,
  id: bigint,
  decision: 'approve' | 'reject',
  by: ProfileActor,
  reason: string | null = null,
): Promise<ProfileDecision> {
  const { actor, actorUserId, ip } = profileActor(by);
  return db.transaction().execute(async (trx) => {
    const row = await tables(trx)
      .selectFrom('compliance_profile_changes')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `Profile change ${id} does not exist.`);
    if (row.status !== 'pending') {
      throw new HuikuanError('invalid_state', `Profile change ${id} was already ${row.status}.`);
    }
    if (row.proposed_by === actor) {
      throw new HuikuanError(
        'forbidden',
        `${actor} proposed profile change ${id}; another user must decide it.`,
      );
    }
    const target: Target = {
      jurisdiction: row.jurisdiction as Jurisdiction,
      scope: row.scope,
      clientId: row.client_id,
      accountId: row.account_id,
    };
    let version: number | null = null;
    let profile: Profile | null = null;
    if (decision === 'approve') {
      // one approval per jurisdiction at a time: versions are numbered without gaps or races
      await sql`SELECT pg_advisory_xact_lock(${profileLockClass}, hashtext(${target.jurisdiction}))`.execute(
        trx,
      );
      const last = await tables(trx)
        .selectFrom('compliance_profile_changes')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('jurisdiction', '=', target.jurisdiction)
        .where('scope', '=', target.scope)
        .where(sql<boolean>`coalesce(client_id, 0) = ${target.clientId ?? 0n}`)
        .where(sql<boolean>`coalesce(account_id, 0) = ${target.accountId ?? 0n}`)
        .executeTakeFirst();
      // base versions continue from compliance.md's version 1
      version = (last?.version ?? (target.scope === 'base' ? 1 : 0)) + 1;
      const label =
        target.scope === 'base'
          ? ''
          : `${target.scope}:${target.scope === 'client' ? target.clientId : target.accountId}@${version}`;
      try {
        profile = (await applyChange(trx, target, row.changes as OverrideDocument, label)).result;
      } catch (error) {
        if (!(error instanceof HuikuanError)) throw error;
        throw new HuikuanError(
          'invalid_state',
          `Profile change ${id} no longer fits the profile in force (${error.message}); reject it and propose it again.`,
          error.details,
        );
      }
      if (target.scope === 'base') profile = { ...profile, version };
    }
    await tables(trx)
      .updateTable('compliance_profile_changes')
      .set({
        status: decision === 'approve' ? 'approved' : 'rejected',
        version,
        rules: target.scope === 'base' && profile ? toJson(profile.rules) : null,
        decided_by: actor,
        decided_at: new Date(),
        decision_reason: reason,
      })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, {
      actor,
      actorUserId,
      ip,
      action: decision === 'approve' ? 'compliance.profile_approved' : 'compliance.profile_rejected',
      entityType: 'compliance_profile_change',
      entityId: id,
      clientId: target.clientId,
      after: { ...target, version, reason },
    });
    return { id, status: decision === 'approve' ? 'approved' : 'rejected', version, profile };
  });
}

// ---------------------------------------------------------------- the gate

export interface GateRequest {
  accountId: bigint;
  /** The phone, e-mail or address used; its status can hold the contact. */
  contactPointId?: bigint | null;
  channel: Channel;
  party: Party;
  purpose?: Purpose;
  /** The proposed instant (default now). */
  at?: Date;
  /** Who exactly (default: "debtor:ID" for the debtor and guarantor, "PARTY:cp:ID" for others). */
  person?: string;
  robot?: boolean;
  /** IANA zone of the person; default from the debtor's country, else every zone of the profile's country. */
  timezone?: string | null;
  /**
   * Holds the caller knows of besides the stored ones (holds.ts), which the gate always reads with
   * the lost-contact state, the debtor's consent and the validation notice: those loosen the
   * rules, so they come from the database only, never from the caller.
   */
  holds?: Hold[];
  actor: string;
}

export interface GateResult extends Verdict {
  verdictId: bigint;
  /** The contact recorded when the gate allowed it (outcome pending). */
  contactId: bigint | null;
  jurisdiction: Jurisdiction;
}

const closedStatuses = new Set(['closed', 'paid', 'settled', 'written_off']);

/** The history the rules can read for `rules`: days back from the proposed instant (null = all). */
function lookbackDays(profile: Profile, party: Party): number | null {
  const rules = profile.rules;
  if (rules.parties[party] === 'locate' && rules.locateOncePerPerson) return null;
  // one day more than the longest window, for zones' offsets
  return Math.max(1, rules.callsPerWindow?.days ?? 0, rules.conversationBlockDays ?? 0) + 1;
}

/**
 * Decides one proposed contact, stores the verdict and, when it is allowed, records the contact;
 * all in one transaction under the debtor's lock. The caller acts only on the returned verdict.
 */
export async function gateContact(db: Db, request: GateRequest): Promise<GateResult> {
  return (await runGate(db, request, false)) as GateResult;
}

export interface GatePreview extends Verdict {
  jurisdiction: Jurisdiction;
}

/**
 * The verdict the gate would give now, read from the same holds, consent and contact history as
 * `gateContact`, WITHOUT storing anything: no verdict row and no contact, so a preview never
 * counts towards a cap (the 7-in-7 call cap, the daily cap) nor "contacts" a third party. Previews
 * are deliberately not stored: they are asked for every time a page shows a contact point, and
 * the verdict log is the record of contacts proposed for real. The debtor's lock is not taken (a
 * preview decides nothing; the real send decides again under the lock).
 */
export async function previewContact(db: Db, request: GateRequest): Promise<GatePreview> {
  const { verdictId: _verdictId, contactId: _contactId, ...preview } = await runGate(db, request, true);
  return preview;
}

/**
 * Previews (as `previewContact`) of several contacts of one account at one instant — the account
 * page's channels, a point × channel each: what the gate reads of the account (the account, its
 * contract's jurisdiction, the profile in force) is read once; each contact's own state (its point,
 * holds, consent, history) as for one preview. In order of `requests`.
 */
export async function previewContacts(
  db: Db,
  accountId: bigint,
  at: Date,
  requests: ReadonlyArray<Omit<GateRequest, 'accountId' | 'at'>>,
): Promise<GatePreview[]> {
  const work = async (trx: Db) => {
    const known = await gateAccount(trx, accountId, at);
    const previews: GatePreview[] = [];
    for (const request of requests) {
      const {
        verdictId: _v,
        contactId: _c,
        ...one
      } = await runGate(trx, { ...request, accountId, at }, true, known);
      previews.push(one);
    }
    return previews;
  };
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * What the gate reads of the account whatever the contact: the account and debtor, the jurisdiction,
 * the profile; and, for previews at one instant, the contact histories read so far, by person.
 */
/** A stored contact as the gate reads it for the caps. */
interface HistoryRow {
  at: Date;
  channel: string;
  party: string;
  contact_point_id: bigint | null;
  robot: boolean;
  outcome: string;
}

interface GateAccount {
  account: { client_id: bigint; debtor_id: bigint; status: string; country: string | null };
  jurisdiction: Jurisdiction;
  profile: Profile;
  histories: Map<string, HistoryRow[]>;
}

async function gateAccount(trx: Db, accountId: bigint, at: Date): Promise<GateAccount> {
  const account = await trx
    .selectFrom('accounts')
    .innerJoin('debtors', 'debtors.id', 'accounts.debtor_id')
    .select(['accounts.client_id', 'accounts.debtor_id', 'accounts.status', 'debtors.country'])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `Account ${accountId} does not exist.`);
  const contract = await contractInForce(trx, account.client_id, todayIn('Asia/Shanghai', at));
  const jurisdiction = contract.jurisdiction as Jurisdiction;
  const profile = await effectiveProfile(trx, jurisdiction, account.client_id, accountId);
  return { account, jurisdiction, profile, histories: new Map() };
}

async function runGate(
  db: Db,
  request: GateRequest,
  preview: boolean,
  known?: GateAccount,
): Promise<GatePreview & { verdictId: bigint | null; contactId: bigint | null }> {
  const at = request.at ?? new Date();
  // a preview writes nothing: it may run inside the caller's (client-scoped) read transaction
  const inTransaction = <T>(work: (trx: Db) => Promise<T>) =>
    preview && db.isTransaction ? work(db) : db.transaction().execute(work);
  return inTransaction(async (trx) => {
    const { account, jurisdiction, profile } = known ?? (await gateAccount(trx, request.accountId, at));
    const holds = new Set<Hold>(request.holds ?? []);
    if (account.status === 'recalled') holds.add('recalled');
    else if (closedStatuses.has(account.status)) holds.add('closed');
    const contactPointId = request.contactPointId ?? null;
    if (contactPointId !== null) {
      const point = await trx
        .selectFrom('contact_points')
        .select(['debtor_id', 'status', 'party'])
        .where('id', '=', contactPointId)
        .executeTakeFirst();
      if (!point || point.debtor_id !== account.debtor_id) {
        throw new HuikuanError(
          'bad_input',
          `Contact point ${contactPointId} is not one of account ${request.accountId}'s debtor's.`,
        );
      }
      if (point.status === 'invalid' || point.status === 'do_not_contact') holds.add('do_not_contact');
      // an agreed contact's point is reached as the agreed contact, and an agreed contact only on theirs
      const agreedPoint = point.party === 'agreed_contact';
      if (agreedPoint !== (request.party === 'agreed_contact')) {
        throw new HuikuanError(
          'bad_input',
          agreedPoint
            ? `Contact point ${contactPointId} is an agreed contact's: gate it with party agreed_contact.`
            : `Contact point ${contactPointId} is the debtor's own, not an agreed contact's: give the agreed contact's point.`,
        );
      }
    }
    const person =
      request.person ??
      (request.party === 'debtor' || request.party === 'guarantor'
        ? `${request.party}:${account.debtor_id}`
        : `${request.party}:cp:${contactPointId ?? 'none'}`);

    if (!preview) await lockDebtor(trx, account.debtor_id);
    // read after the lock: a hold committed by a change that held it is seen
    const state = await storedContactState(trx, {
      debtorId: account.debtor_id,
      accountId: request.accountId,
      contactPointId,
      channel: request.channel,
      forDebtor: request.party === 'debtor',
      at,
    });
    for (const hold of state.holds) holds.add(hold);
    // the consent rules (model.ts consentRules): the debtor's channel consent and texts, for the debtor
    const channelConsent =
      request.party === 'debtor' &&
      consentRules[jurisdiction] !== undefined &&
      (request.channel === 'sms' || request.channel === 'email')
        ? await channelConsentState(trx, {
            debtorId: account.debtor_id,
            contactPointId,
            channel: request.channel,
            at,
          })
        : null;
    const days = lookbackDays(profile, request.party);
    let historyQuery = tables(trx)
      .selectFrom('compliance_contacts')
      .select(['at', 'channel', 'party', 'contact_point_id', 'robot', 'outcome'])
      .where('debtor_id', '=', account.debtor_id)
      .where('person', '=', person);
    if (days !== null) historyQuery = historyQuery.where('at', '>=', new Date(at.getTime() - days * dayMs));
    // previews of one account at one instant (previewContacts) read a person's history once
    const historyKey = `${person}|${days ?? 'all'}`;
    const rows = known?.histories.get(historyKey) ?? (await historyQuery.execute());
    known?.histories.set(historyKey, rows);
    const logged: HistoryEntry[] = rows.map((row) => ({
      atMs: row.at.getTime(),
      channel: row.channel as Channel,
      party: row.party as Party,
      // numbers are compared by contact point: the gate never needs the number itself
      number: row.contact_point_id === null ? null : `cp:${row.contact_point_id}`,
      robot: row.robot,
      outcome: row.outcome as Outcome,
    }));
    // US: calls within 7 days of the debtor's prior consent are not counted (1006.14(b)(3)(i))
    const history = withoutConsentedCalls(logged, state.priorCallWindows);
    const attempt: Attempt = {
      accountId: String(request.accountId),
      debtorId: String(account.debtor_id),
      contactPointId: contactPointId === null ? null : String(contactPointId),
      actor: request.actor,
      purpose: request.purpose ?? 'collect',
      channel: request.channel,
      party: request.party,
      atMs: at.getTime(),
      timezone: request.timezone ?? (account.country ? (countryZones[account.country] ?? null) : null),
      number: contactPointId === null ? null : `cp:${contactPointId}`,
      robot: request.robot ?? false,
      lostContact: state.lostContact,
      consentQuietHours: state.consentQuietHours,
      holds: [...holds],
      history,
      channelConsent,
    };
    const verdict = evaluate(attempt, profile);
    if (preview) return { ...verdict, verdictId: null, contactId: null, jurisdiction };
    const stored = await tables(trx)
      .insertInto('compliance_verdicts')
      .values({
        client_id: account.client_id,
        account_id: request.accountId,
        debtor_id: account.debtor_id,
        contact_point_id: contactPointId,
        actor: request.actor,
        purpose: attempt.purpose,
        channel: attempt.channel,
        party: attempt.party,
        person,
        proposed_at: at,
        verdict: verdict.verdict,
        reasons: [...verdict.reasons],
        jurisdiction,
        profile_version: profile.version,
        overrides: [...profile.overrides],
        zones: [...verdict.zones],
        inputs: toJson({
          holds: attempt.holds,
          robot: attempt.robot,
          lost_contact: attempt.lostContact,
          consent_quiet_hours: attempt.consentQuietHours,
          timezone: attempt.timezone,
          history: history.length,
          prior_consent_excluded: logged.length - history.length,
          validation_period_ends_on: state.validationPeriodEndsOn,
          channel_consent: channelConsent
            ? { consent: channelConsent.consent, last_text_at: channelConsent.lastInboundTextMs }
            : null,
        }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let contactId: bigint | null = null;
    if (verdict.verdict !== 'deny') {
      const contact = await tables(trx)
        .insertInto('compliance_contacts')
        .values({
          client_id: account.client_id,
          account_id: request.accountId,
          debtor_id: account.debtor_id,
          contact_point_id: contactPointId,
          person,
          party: attempt.party,
          channel: attempt.channel,
          robot: attempt.robot,
          at,
          verdict_id: stored.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      contactId = contact.id;
    }
    return { ...verdict, verdictId: stored.id, contactId, jurisdiction };
  });
}

/** What happened on a contact the gate let through (the channel reports it once). */
export async function recordContactOutcome(db: Db, contactId: bigint, outcome: Outcome): Promise<void> {
  if (!(outcomes as readonly string[]).includes(outcome)) {
    throw new HuikuanError('bad_input', `"${outcome}" is not an outcome; use ${outcomes.join(', ')}.`);
  }
  const result = await tables(db)
    .updateTable('compliance_contacts')
    .set({ outcome, outcome_at: new Date() })
    .where('id', '=', contactId)
    .where('outcome', '=', 'pending')
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    const exists = await tables(db)
      .selectFrom('compliance_contacts')
      .select('outcome')
      .where('id', '=', contactId)
      .executeTakeFirst();
    throw exists
      ? new HuikuanError('invalid_state', `Contact ${contactId} already has its outcome (${exists.outcome}).`)
      : new HuikuanError('not_found', `Contact ${contactId} does not exist.`);
  }
}
