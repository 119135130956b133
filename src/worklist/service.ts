/**
 * Agent actions on an account (issue 5, point 6): contact attempts with their disposition,
 * call-backs, promises to pay, payment plans (maker-checker above the limits), hardship marks and
 * field visits. Every change is audited in its own transaction. Recording an attempt places no call;
 * with the gate's contact id it reports the outcome to the gate's counters (recordContactOutcome),
 * and a dispute / deceased / bankruptcy disposition records the hold (src/compliance/holds.ts).
 * Kept / broken is the nightly run's (nightly.ts). Settlements are the ledger's (src/ledger).
 */
import { type Selectable, sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { addHold } from '../compliance/holds.ts';
import { debtorZone } from '../compliance/holds-model.ts';
import { recordContactOutcome } from '../compliance/service.ts';
import { isKnownZone } from '../compliance/zone.ts';
import type { Db } from '../db/connection.ts';
import { addDays, parseDateOrInstant, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type AgentLimits,
  type AttemptChannel,
  attemptChannels,
  checkInstalments,
  type Disposition,
  dispositions,
  gateOutcomeOf,
  hardLimits,
  hardshipOptions,
  holdKindOf,
  type InstalmentInput,
  planLimitReasons,
  promiseLimitReasons,
} from './model.ts';
import type {
  CallbacksTable,
  ContactAttemptsTable,
  FieldVisitsTable,
  PaymentPlansTable,
  PlanInstalmentsTable,
  PromisesTable,
  WorklistTables,
} from './tables.ts';

function tables(db: Db) {
  return db.withTables<WorklistTables>();
}

/** Who acts: the user name, and from the API the user id and IP for the audit trail. */
export interface Actor {
  actor: string;
  actorUserId?: bigint | null;
  ip?: string | null;
}

async function audit(
  trx: Db,
  by: Actor,
  event: {
    action: string;
    entityType: string;
    entityId: bigint;
    clientId: bigint;
    before?: unknown;
    after?: unknown;
  },
): Promise<void> {
  await recordAudit(trx, {
    ...event,
    actor: by.actor,
    actorUserId: by.actorUserId ?? null,
    ip: by.ip ?? null,
  });
}

function text(value: string | null | undefined, field: string, max: number, required = false): string | null {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') {
    if (required) throw new HuikuanError('bad_input', `Give the ${field}.`);
    return null;
  }
  if (trimmed.length > max)
    throw new HuikuanError('bad_input', `The ${field} is over ${max} characters; shorten it.`);
  return trimmed;
}

interface AccountRow {
  id: bigint;
  client_id: bigint;
  debtor_id: bigint;
  currency: string;
  status: string;
  balance_minor: bigint;
  country: string | null;
}

/** The account with its balance and its debtor's country; locked for the transaction with `lock`. */
async function accountOf(db: Db, accountId: bigint, lock = false): Promise<AccountRow> {
  const rows = await sql<AccountRow>`
    SELECT a.id, a.client_id, a.debtor_id, a.currency, a.status,
           a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance_minor, d.country
      FROM accounts a JOIN debtors d ON d.id = a.debtor_id
     WHERE a.id = ${accountId} ${lock ? sql`FOR UPDATE OF a` : sql``}`.execute(db);
  const row = rows.rows[0];
  if (!row) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  return row;
}

function requireActive(account: AccountRow, what: string): void {
  if (account.status !== 'active') {
    throw new HuikuanError(
      'invalid_state',
      `Account ${account.id} is ${account.status}; ${what} is taken on an active account only.`,
    );
  }
}

/** The owner (client) of a promise, plan or call-back, for the routes' scope check. */
export async function clientOf(db: Db, kind: 'promise' | 'plan' | 'callback', id: bigint): Promise<bigint> {
  const table = { promise: 'promises', plan: 'payment_plans', callback: 'callbacks' }[kind];
  const rows = await sql<{
    client_id: bigint;
  }>`SELECT client_id FROM ${sql.table(table)} WHERE id = ${id}`.execute(db);
  const row = rows.rows[0];
  if (!row)
    throw new HuikuanError('not_found', `There is no ${kind === 'callback' ? 'call-back' : kind} ${id}.`);
  return row.client_id;
}

/** A promise, plan or call-back locked for the transaction, or not_found. */
async function lockedRow<T extends 'promises' | 'payment_plans' | 'callbacks'>(
  trx: Db,
  table: T,
  id: bigint,
  noun: string,
): Promise<Selectable<WorklistTables[T]>> {
  const rows = await sql<Selectable<WorklistTables[T]>>`
    SELECT * FROM ${sql.table(table)} WHERE id = ${id} FOR UPDATE`.execute(trx);
  const row = rows.rows[0];
  if (!row) throw new HuikuanError('not_found', `There is no ${noun} ${id}.`);
  return row;
}

// ---------------------------------------------------------------- contact attempts

export interface AttemptInput {
  accountId: bigint;
  disposition: string;
  channel: string;
  contactPointId?: bigint | null;
  /** The compliance gate's contact (compliance_contacts.id) this attempt reports on. */
  gateContactId?: bigint | null;
  notes?: string | null;
  durationSeconds?: number | null;
}

export type AttemptView = Omit<Selectable<ContactAttemptsTable>, 'client_id' | 'debtor_id'> & {
  disposition: Disposition;
  channel: AttemptChannel;
};

const holdSourceOfChannel: Record<AttemptChannel, 'phone' | 'sms_reply' | 'email' | 'letter' | 'agency'> = {
  call: 'phone',
  sms: 'sms_reply',
  email: 'email',
  letter: 'letter',
  visit: 'agency',
  other: 'agency',
};

/**
 * Logs a contact attempt. With `gateContactId` the gate's contact gets its outcome (once: a second
 * report is refused by the gate). A dispute records a dispute hold on the account; deceased and
 * bankruptcy record the hold on the debtor (every account), to be verified by compliance — a hold
 * only stops contact, it never loosens anything.
 */
export async function logAttempt(db: Db, input: AttemptInput, by: Actor): Promise<AttemptView> {
  if (!(dispositions as readonly string[]).includes(input.disposition)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.disposition}" is not a disposition; use ${dispositions.join(', ')}.`,
    );
  }
  if (!(attemptChannels as readonly string[]).includes(input.channel)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.channel}" is not a channel; use ${attemptChannels.join(', ')}.`,
    );
  }
  const disposition = input.disposition as Disposition;
  const channel = input.channel as AttemptChannel;
  const notes = text(input.notes, 'notes', 4000);
  const duration = input.durationSeconds ?? null;
  if (duration !== null && (!Number.isInteger(duration) || duration < 0 || duration > 86_400)) {
    throw new HuikuanError('bad_input', 'The duration is whole seconds from 0 to 86400 (one day).');
  }
  const account = await accountOf(db, input.accountId);
  const pointId = input.contactPointId ?? null;
  if (pointId !== null) {
    const point = await db
      .selectFrom('contact_points')
      .select('debtor_id')
      .where('id', '=', pointId)
      .executeTakeFirst();
    if (point?.debtor_id !== account.debtor_id) {
      throw new HuikuanError('bad_input', `Contact point ${pointId} is not one of this account's debtor's.`);
    }
  }
  const gateContactId = input.gateContactId ?? null;
  if (gateContactId !== null) {
    // checked before the hold, so a refused attempt leaves no hold behind
    const contact = await sql<{ account_id: bigint; outcome: string }>`
      SELECT account_id, outcome FROM compliance_contacts WHERE id = ${gateContactId}`.execute(db);
    const found = contact.rows[0];
    if (found?.account_id !== account.id) {
      throw new HuikuanError(
        'bad_input',
        `The gate's contact ${gateContactId} is not a contact on this account.`,
      );
    }
    if (found.outcome !== 'pending') {
      throw new HuikuanError(
        'invalid_state',
        `The gate's contact ${gateContactId} already has its outcome (${found.outcome}); log the attempt without it.`,
      );
    }
  }
  const holdKind = holdKindOf(disposition);
  let holdId: bigint | null = null;
  if (holdKind !== null) {
    // before the attempt: addHold has its own transaction; a hold without its attempt only stops contact
    const { hold } = await addHold(
      db,
      {
        accountId: account.id,
        onDebtor: holdKind !== 'dispute',
        kind: holdKind,
        source: holdSourceOfChannel[channel],
        note: `recorded with a contact attempt (${channel}) by ${by.actor}${holdKind === 'dispute' ? '' : '; to be verified by compliance'}`,
      },
      { actor: by.actor, actorUserId: by.actorUserId ?? null, ip: by.ip ?? null },
    );
    holdId = hold.id;
  }
  return db.transaction().execute(async (trx) => {
    if (gateContactId !== null) await recordContactOutcome(trx, gateContactId, gateOutcomeOf(disposition));
    const row = await tables(trx)
      .insertInto('contact_attempts')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        debtor_id: account.debtor_id,
        disposition,
        channel,
        contact_point_id: pointId,
        gate_contact_id: gateContactId,
        notes,
        duration_seconds: duration,
        hold_id: holdId,
        agent: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = attemptView(row);
    await audit(trx, by, {
      action: 'worklist.attempt_logged',
      entityType: 'contact_attempt',
      entityId: row.id,
      clientId: account.client_id,
      after: { ...view, at: undefined },
    });
    return view;
  });
}

function attemptView(row: Selectable<ContactAttemptsTable>): AttemptView {
  return {
    id: row.id,
    account_id: row.account_id,
    disposition: row.disposition as Disposition,
    channel: row.channel as AttemptChannel,
    contact_point_id: row.contact_point_id,
    gate_contact_id: row.gate_contact_id,
    notes: row.notes,
    duration_seconds: row.duration_seconds,
    hold_id: row.hold_id,
    agent: row.agent,
    at: row.at,
  };
}

// ---------------------------------------------------------------- promises to pay

export interface PromiseInput {
  accountId: bigint;
  amountMinor: bigint;
  dueOn: string;
  attemptId?: bigint | null;
  /** The business date it is taken on (default today in the debtor's zone). */
  today?: string;
}

/**
 * Takes a promise to pay. Payments posted from today through due + grace count toward it. Outside
 * the limits (below the minimum share of the balance, or due too far out) only a supervisor may take
 * it (`supervisor`: the caller has the role); it records who and why. One open promise per account;
 * a new promise closes an earlier kept one still in its grace (it stays kept, and is no longer
 * re-checked), so payments count toward one promise at a time and a reversal cannot reopen it.
 */
export async function takePromise(
  db: Db,
  input: PromiseInput,
  by: Actor & { supervisor: boolean },
  limits: AgentLimits,
) {
  return db.transaction().execute(async (trx) => {
    const account = await accountOf(trx, input.accountId, true);
    requireActive(account, 'a promise');
    const today = input.today ?? todayIn(debtorZone(account.country));
    if (input.amountMinor <= 0n)
      throw new HuikuanError('bad_input', 'The promised amount must be greater than 0.');
    if (input.amountMinor > account.balance_minor) {
      throw new HuikuanError(
        'bad_input',
        `The promised amount is more than the balance (${account.balance_minor} minor units); promise at most the balance.`,
      );
    }
    if (input.dueOn < today) {
      throw new HuikuanError(
        'bad_input',
        `The due date ${input.dueOn} is before today (${today}); give a date from today.`,
      );
    }
    if (input.dueOn > addDays(today, hardLimits.promiseDays)) {
      throw new HuikuanError(
        'bad_input',
        `A promise is due within ${hardLimits.promiseDays} days; use a payment plan.`,
      );
    }
    const reasons = promiseLimitReasons(
      {
        amountMinor: input.amountMinor,
        balanceMinor: account.balance_minor,
        currency: account.currency,
        today,
        dueOn: input.dueOn,
      },
      limits,
    );
    if (reasons.length > 0 && !by.supervisor) {
      throw new HuikuanError(
        'forbidden',
        `An agent may not take this promise alone: ${reasons.join('; ')}. Ask a supervisor to take it, or agree one within the limits.`,
        { limit_reasons: reasons },
      );
    }
    const open = await tables(trx)
      .selectFrom('promises')
      .select(['id', 'due_on'])
      .where('account_id', '=', account.id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (open) {
      throw new HuikuanError(
        'conflict',
        `Account ${account.id} already has open promise ${open.id} (due ${open.due_on}); cancel it before taking another.`,
      );
    }
    if (input.attemptId != null) await checkAttempt(trx, input.attemptId, account.id);
    const superseded = await tables(trx)
      .updateTable('promises')
      .set({ final: true })
      .where('account_id', '=', account.id)
      .where('status', '=', 'kept')
      .where('final', '=', false)
      .returning('id')
      .execute();
    const row = await tables(trx)
      .insertInto('promises')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        attempt_id: input.attemptId ?? null,
        amount_minor: input.amountMinor,
        currency: account.currency,
        balance_minor: account.balance_minor,
        promised_on: today,
        due_on: input.dueOn,
        grace_days: limits.graceDays,
        approved_by: reasons.length > 0 ? by.actor : null,
        limit_reasons: reasons,
        taken_by: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, by, {
      action: 'worklist.promise_taken',
      entityType: 'promise',
      entityId: row.id,
      clientId: account.client_id,
      after: { ...promiseView(row), closed_kept_promises: superseded.map((kept) => kept.id) },
    });
    return promiseView(row);
  });
}

async function checkAttempt(db: Db, attemptId: bigint, accountId: bigint): Promise<void> {
  const attempt = await tables(db)
    .selectFrom('contact_attempts')
    .select('account_id')
    .where('id', '=', attemptId)
    .executeTakeFirst();
  if (attempt?.account_id !== accountId) {
    throw new HuikuanError('bad_input', `Contact attempt ${attemptId} is not one on this account.`);
  }
}

type PromiseRow = Selectable<PromisesTable>;

export function promiseView(row: PromiseRow) {
  return {
    id: row.id,
    account_id: row.account_id,
    attempt_id: row.attempt_id,
    amount_minor: row.amount_minor,
    currency: row.currency,
    promised_on: row.promised_on,
    due_on: row.due_on,
    grace_days: row.grace_days,
    grace_ends_on: addDays(row.due_on, row.grace_days),
    status: row.status as 'open' | 'kept' | 'broken' | 'cancelled',
    paid_minor: row.paid_minor,
    kept_on: row.kept_on,
    broken_at: row.broken_at,
    final: row.final,
    approved_by: row.approved_by,
    limit_reasons: row.limit_reasons,
    taken_by: row.taken_by,
    taken_at: row.taken_at,
    cancelled_by: row.cancelled_by,
    cancel_reason: row.cancel_reason,
  };
}
export type PromiseView = ReturnType<typeof promiseView>;

/** Cancels an open promise (the debtor withdrew it, or a plan replaces it). */
export async function cancelPromise(
  db: Db,
  promiseId: bigint,
  reason: string,
  by: Actor,
): Promise<PromiseView> {
  const why = text(reason, 'reason', 2000, true);
  return db.transaction().execute(async (trx) => {
    const before = await lockedRow(trx, 'promises', promiseId, 'promise');
    if (before.status !== 'open') {
      throw new HuikuanError(
        'invalid_state',
        `Promise ${promiseId} is ${before.status}; only an open promise is cancelled.`,
      );
    }
    const row = await tables(trx)
      .updateTable('promises')
      .set({ status: 'cancelled', cancelled_by: by.actor, cancelled_at: new Date(), cancel_reason: why })
      .where('id', '=', promiseId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, by, {
      action: 'worklist.promise_cancelled',
      entityType: 'promise',
      entityId: promiseId,
      clientId: row.client_id,
      before: { status: before.status },
      after: { status: row.status, reason: why },
    });
    return promiseView(row);
  });
}

// ---------------------------------------------------------------- payment plans

export interface PlanInput {
  accountId: bigint;
  totalMinor: bigint;
  instalments: InstalmentInput[];
  note?: string | null;
  today?: string;
}

/**
 * Proposes a payment plan. Within the limits it is active at once; above them it waits for a
 * supervisor other than the proposer (`decidePlan`). Payments posted from the day it is proposed
 * count toward its instalments in order. One pending or active plan per account.
 */
export async function proposePlan(db: Db, input: PlanInput, by: Actor, limits: AgentLimits) {
  const note = text(input.note, 'note', 2000);
  return db.transaction().execute(async (trx) => {
    const account = await accountOf(trx, input.accountId, true);
    requireActive(account, 'a payment plan');
    const today = input.today ?? todayIn(debtorZone(account.country));
    if (input.totalMinor <= 0n)
      throw new HuikuanError('bad_input', "The plan's total must be greater than 0.");
    if (input.totalMinor > account.balance_minor) {
      throw new HuikuanError(
        'bad_input',
        `The plan's total is more than the balance (${account.balance_minor} minor units); plan at most the balance.`,
      );
    }
    checkInstalments(input.instalments, input.totalMinor, account.currency, today);
    const live = await tables(trx)
      .selectFrom('payment_plans')
      .select(['id', 'status'])
      .where('account_id', '=', account.id)
      .where('status', 'in', ['pending_approval', 'active'])
      .executeTakeFirst();
    if (live) {
      throw new HuikuanError(
        'conflict',
        `Account ${account.id} already has plan ${live.id} (${live.status}); one plan at a time.`,
      );
    }
    const reasons = planLimitReasons(
      {
        totalMinor: input.totalMinor,
        balanceMinor: account.balance_minor,
        currency: account.currency,
        today,
        instalments: input.instalments,
      },
      limits,
    );
    const plan = await tables(trx)
      .insertInto('payment_plans')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        total_minor: input.totalMinor,
        currency: account.currency,
        balance_minor: account.balance_minor,
        starts_on: today,
        grace_days: limits.graceDays,
        status: reasons.length > 0 ? 'pending_approval' : 'active',
        limit_reasons: reasons,
        note,
        proposed_by: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    let cumulative = 0n;
    await tables(trx)
      .insertInto('plan_instalments')
      .values(
        input.instalments.map((instalment, index) => {
          cumulative += instalment.amountMinor;
          return {
            plan_id: plan.id,
            n: index + 1,
            client_id: account.client_id,
            account_id: account.id,
            due_on: instalment.dueOn,
            amount_minor: instalment.amountMinor,
            cumulative_minor: cumulative,
          };
        }),
      )
      .execute();
    const view = await planView(trx, plan.id);
    await audit(trx, by, {
      action: 'worklist.plan_proposed',
      entityType: 'payment_plan',
      entityId: plan.id,
      clientId: account.client_id,
      after: view,
    });
    return view;
  });
}

/**
 * A supervisor's decision on a plan above the limits (maker-checker): the proposer may not decide
 * their own plan. Approval is refused once the first instalment's grace has ended (propose it anew).
 */
export async function decidePlan(
  db: Db,
  planId: bigint,
  decision: 'approve' | 'reject',
  reason: string | null,
  by: Actor,
  today?: string,
) {
  const why = text(reason, 'reason', 2000, decision === 'reject');
  return db.transaction().execute(async (trx) => {
    const plan = await lockedRow(trx, 'payment_plans', planId, 'plan');
    if (plan.status !== 'pending_approval') {
      throw new HuikuanError(
        'invalid_state',
        `Plan ${planId} is ${plan.status}; only a plan awaiting approval is decided.`,
      );
    }
    if (plan.proposed_by === by.actor) {
      throw new HuikuanError(
        'forbidden',
        `You proposed plan ${planId}; another supervisor approves or rejects it (maker-checker).`,
      );
    }
    if (decision === 'approve') {
      const first = await tables(trx)
        .selectFrom('plan_instalments')
        .select('due_on')
        .where('plan_id', '=', planId)
        .where('n', '=', 1)
        .executeTakeFirstOrThrow();
      const account = await accountOf(trx, plan.account_id);
      const now = today ?? todayIn(debtorZone(account.country));
      if (addDays(first.due_on, plan.grace_days) < now) {
        throw new HuikuanError(
          'invalid_state',
          `Plan ${planId}'s first instalment (${first.due_on}) and its grace have passed; reject it and propose a new plan.`,
        );
      }
    }
    await tables(trx)
      .updateTable('payment_plans')
      .set({
        status: decision === 'approve' ? 'active' : 'rejected',
        decided_by: by.actor,
        decided_at: new Date(),
        decision_reason: why,
      })
      .where('id', '=', planId)
      .execute();
    const view = await planView(trx, planId);
    await audit(trx, by, {
      action: decision === 'approve' ? 'worklist.plan_approved' : 'worklist.plan_rejected',
      entityType: 'payment_plan',
      entityId: planId,
      clientId: plan.client_id,
      before: { status: plan.status },
      after: { status: view.status, reason: why },
    });
    return view;
  });
}

export async function planView(db: Db, planId: bigint) {
  const plan = await tables(db)
    .selectFrom('payment_plans')
    .selectAll()
    .where('id', '=', planId)
    .executeTakeFirst();
  if (!plan) throw new HuikuanError('not_found', `There is no plan ${planId}.`);
  const instalments = await tables(db)
    .selectFrom('plan_instalments')
    .selectAll()
    .where('plan_id', '=', planId)
    .orderBy('n')
    .execute();
  return planJson(plan, instalments);
}

type PlanRow = Selectable<PaymentPlansTable>;

type InstalmentRow = Selectable<PlanInstalmentsTable>;

function planJson(plan: PlanRow, instalments: InstalmentRow[]) {
  return {
    id: plan.id,
    account_id: plan.account_id,
    total_minor: plan.total_minor,
    currency: plan.currency,
    starts_on: plan.starts_on,
    grace_days: plan.grace_days,
    status: plan.status as 'pending_approval' | 'active' | 'rejected' | 'completed' | 'broken' | 'cancelled',
    limit_reasons: plan.limit_reasons,
    note: plan.note,
    proposed_by: plan.proposed_by,
    proposed_at: plan.proposed_at,
    decided_by: plan.decided_by,
    decided_at: plan.decided_at,
    decision_reason: plan.decision_reason,
    broken_at: plan.broken_at,
    completed_on: plan.completed_on,
    instalments: instalments.map((i) => ({
      n: i.n,
      due_on: i.due_on,
      amount_minor: i.amount_minor,
      status: i.status as 'open' | 'kept' | 'broken',
      paid_minor: i.paid_minor,
      kept_on: i.kept_on,
      broken_at: i.broken_at,
      final: i.final,
    })),
  };
}
export type PlanView = ReturnType<typeof planJson>;

// ---------------------------------------------------------------- call-backs

export interface CallbackInput {
  accountId: bigint;
  /** A local date and time in `zone` ('2026-03-01 14:30') or an ISO instant. */
  at: string;
  /** The IANA zone of `at` (default the debtor's, from the debtor's country). */
  zone?: string | null;
  note?: string | null;
  attemptId?: bigint | null;
}

/** Sets a call-back: stored as the UTC instant and the zone it was given in; due until done or missed. */
export async function setCallback(db: Db, input: CallbackInput, by: Actor, now = new Date()) {
  const note = text(input.note, 'note', 2000);
  return db.transaction().execute(async (trx) => {
    const account = await accountOf(trx, input.accountId);
    const zone = input.zone?.trim() || debtorZone(account.country);
    if (!isKnownZone(zone))
      throw new HuikuanError(
        'bad_input',
        `"${zone}" is not a time zone; give an IANA zone such as Asia/Shanghai.`,
      );
    const parsed = parseDateOrInstant(input.at, zone);
    if (!parsed.ok) throw new HuikuanError('bad_input', `The call-back time: ${parsed.reason}.`);
    if (parsed.instant === null) {
      throw new HuikuanError(
        'bad_input',
        `The call-back needs a time of day as well as the date ("${input.at} 14:30").`,
      );
    }
    const dueAt = new Date(parsed.instant);
    if (dueAt.getTime() <= now.getTime()) {
      throw new HuikuanError(
        'bad_input',
        `The call-back time ${input.at} (${zone}) has passed; give a later time.`,
      );
    }
    if (dueAt.getTime() > now.getTime() + 366 * 86_400_000) {
      throw new HuikuanError('bad_input', 'A call-back is set at most a year ahead.');
    }
    if (input.attemptId != null) await checkAttempt(trx, input.attemptId, account.id);
    const row = await tables(trx)
      .insertInto('callbacks')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        attempt_id: input.attemptId ?? null,
        due_at: dueAt,
        zone,
        note,
        created_by: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, by, {
      action: 'worklist.callback_set',
      entityType: 'callback',
      entityId: row.id,
      clientId: account.client_id,
      after: callbackView(row),
    });
    return callbackView(row);
  });
}

type CallbackRow = Selectable<CallbacksTable>;

export function callbackView(row: CallbackRow) {
  return {
    id: row.id,
    account_id: row.account_id,
    attempt_id: row.attempt_id,
    due_at: row.due_at,
    zone: row.zone,
    note: row.note,
    status: row.status as 'due' | 'done' | 'missed',
    missed_on: row.missed_on,
    created_by: row.created_by,
    done_by: row.done_by,
    done_at: row.done_at,
  };
}

/** Marks a call-back done (a missed one too: the call was made late). */
export async function completeCallback(db: Db, callbackId: bigint, by: Actor) {
  return db.transaction().execute(async (trx) => {
    const before = await lockedRow(trx, 'callbacks', callbackId, 'call-back');
    if (before.status === 'done')
      throw new HuikuanError('invalid_state', `Call-back ${callbackId} is done already.`);
    const row = await tables(trx)
      .updateTable('callbacks')
      .set({ status: 'done', done_by: by.actor, done_at: new Date() })
      .where('id', '=', callbackId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, by, {
      action: 'worklist.callback_done',
      entityType: 'callback',
      entityId: callbackId,
      clientId: row.client_id,
      before: { status: before.status },
      after: { status: row.status },
    });
    return callbackView(row);
  });
}

// ---------------------------------------------------------------- hardship and field visits

export async function markHardship(
  db: Db,
  input: { accountId: bigint; options: string[]; note: string },
  by: Actor,
) {
  const note = text(input.note, 'note', 2000, true) as string;
  for (const option of input.options) {
    if (!(hardshipOptions as readonly string[]).includes(option)) {
      throw new HuikuanError(
        'bad_input',
        `"${option}" is not a hardship option; use ${hardshipOptions.join(', ')}.`,
      );
    }
  }
  return db.transaction().execute(async (trx) => {
    const account = await accountOf(trx, input.accountId);
    const row = await tables(trx)
      .insertInto('hardship_marks')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        options: [...new Set(input.options)],
        note,
        marked_by: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = {
      id: row.id,
      account_id: row.account_id,
      options: row.options,
      note: row.note,
      marked_by: row.marked_by,
      marked_at: row.marked_at,
    };
    await audit(trx, by, {
      action: 'worklist.hardship_marked',
      entityType: 'hardship_mark',
      entityId: row.id,
      clientId: account.client_id,
      after: view,
    });
    return view;
  });
}

export interface FieldVisitInput {
  accountId: bigint;
  visitedAt: string;
  address: string;
  visitors: string;
  result: string;
  recordingRef?: string | null;
  latitude?: number | null;
  longitude?: number | null;
}

/** Records a field visit (外访); refused without the reference of its recording. */
export async function recordFieldVisit(db: Db, input: FieldVisitInput, by: Actor, now = new Date()) {
  const recording = text(input.recordingRef, 'recording reference', 500);
  if (recording === null) {
    throw new HuikuanError(
      'bad_input',
      "A field visit is recorded in full (NIFA 公约 Art. 21): give the reference of the visit's audio or video recording (recording_ref); a visit without its recording is not recorded.",
    );
  }
  const address = text(input.address, 'address', 500, true) as string;
  const visitors = text(input.visitors, 'visitors', 500, true) as string;
  const result = text(input.result, 'result', 4000, true) as string;
  for (const [value, field, bound] of [
    [input.latitude, 'latitude', 90],
    [input.longitude, 'longitude', 180],
  ] as const) {
    if (value != null && !(Number.isFinite(value) && Math.abs(value) <= bound)) {
      throw new HuikuanError('bad_input', `The ${field} is a number from -${bound} to ${bound}.`);
    }
  }
  return db.transaction().execute(async (trx) => {
    const account = await accountOf(trx, input.accountId);
    const parsed = parseDateOrInstant(input.visitedAt, debtorZone(account.country));
    if (!parsed.ok || parsed.instant === null) {
      throw new HuikuanError(
        'bad_input',
        `The visit time "${input.visitedAt}" is not a date and time (2026-03-01 14:30).`,
      );
    }
    const visitedAt = new Date(parsed.instant);
    if (visitedAt.getTime() > now.getTime())
      throw new HuikuanError('bad_input', 'The visit time is in the future; record a visit once made.');
    const row = await tables(trx)
      .insertInto('field_visits')
      .values({
        client_id: account.client_id,
        account_id: account.id,
        visited_at: visitedAt,
        address,
        visitors,
        result,
        recording_ref: recording,
        latitude: input.latitude == null ? null : input.latitude.toFixed(6),
        longitude: input.longitude == null ? null : input.longitude.toFixed(6),
        recorded_by: by.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = fieldVisitView(row);
    await audit(trx, by, {
      action: 'worklist.field_visit_recorded',
      entityType: 'field_visit',
      entityId: row.id,
      clientId: account.client_id,
      after: view,
    });
    return view;
  });
}

function fieldVisitView(row: Selectable<FieldVisitsTable>) {
  return {
    id: row.id,
    account_id: row.account_id,
    visited_at: row.visited_at,
    address: row.address,
    visitors: row.visitors,
    result: row.result,
    recording_ref: row.recording_ref,
    latitude: row.latitude === null ? null : Number(row.latitude),
    longitude: row.longitude === null ? null : Number(row.longitude),
    recorded_by: row.recorded_by,
    recorded_at: row.recorded_at,
  };
}

// ---------------------------------------------------------------- the account's actions

/** The most recent of each kind shown at once (older ones are in the timeline). */
export const actionsPerKind = 100;

/** An account's attempts, promises, plans (with instalments), call-backs, hardship marks and field visits, newest first. */
export async function accountActions(db: Db, accountId: bigint) {
  const t = tables(db);
  const [attempts, promises, plans, callbacks, hardship, visits] = await Promise.all([
    t
      .selectFrom('contact_attempts')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
    t
      .selectFrom('promises')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
    t
      .selectFrom('payment_plans')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
    t
      .selectFrom('callbacks')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
    t
      .selectFrom('hardship_marks')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
    t
      .selectFrom('field_visits')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(actionsPerKind)
      .execute(),
  ]);
  const instalments =
    plans.length === 0
      ? []
      : await t
          .selectFrom('plan_instalments')
          .selectAll()
          .where(
            'plan_id',
            'in',
            plans.map((plan) => plan.id),
          )
          .orderBy('plan_id')
          .orderBy('n')
          .execute();
  return {
    attempts: attempts.map(attemptView),
    promises: promises.map(promiseView),
    plans: plans.map((plan) =>
      planJson(
        plan,
        instalments.filter((i) => i.plan_id === plan.id),
      ),
    ),
    callbacks: callbacks.map(callbackView),
    hardship: hardship.map((row) => ({
      id: row.id,
      account_id: row.account_id,
      options: row.options,
      note: row.note,
      marked_by: row.marked_by,
      marked_at: row.marked_at,
    })),
    field_visits: visits.map(fieldVisitView),
  };
}
