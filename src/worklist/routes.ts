/**
 * HTTP routes for agent actions on an account (src/worklist/service.ts): log a contact attempt,
 * list the account's actions, take or cancel a promise, propose a plan and approve or reject it
 * (a supervisor other than the proposer), set a call-back and mark it done, mark hardship, record a
 * field visit. Agents and supervisors act on accounts of their team's clients; client users and the
 * other staff read. Every change is audited by the service in its transaction, with the user and IP.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import type { Db } from '../db/connection.ts';
import {
  assertClientAccess,
  hasRole,
  principalOf,
  readScoped,
  requireRoles,
  staffRoles,
} from '../server/access.ts';
import {
  type Api,
  businessDate,
  idParam,
  idText,
  positiveMinor,
  reasonText,
  type ServerDeps,
} from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { assertTrained } from '../training/service.ts';
import { attemptChannels, dispositions, hardLimits, hardshipOptions, limitsFromEnv } from './model.ts';
import {
  type Actor,
  accountActions,
  cancelPromise,
  clientOf,
  completeCallback,
  decidePlan,
  logAttempt,
  markHardship,
  proposePlan,
  recordFieldVisit,
  setCallback,
  takePromise,
} from './service.ts';

const readers = [...staffRoles, 'client'] as const;
const workers = ['agent', 'supervisor'] as const;

// ---------------------------------------------------------------- JSON shapes (documentation)

const int = z.number().int();
const id = int.describe('numeric id');
const minor = int.describe('minor units (fen, cents)');
const instant = z.string().describe('ISO-8601 instant, UTC');
const date = z.string().describe('YYYY-MM-DD');

const limitsResponse = z.object({
  grace_days: int.describe('days after due (or an instalment due) a payment still keeps it'),
  promise_min_share_bp: int.describe(
    'a promise below this share of the balance (basis points) needs a supervisor',
  ),
  promise_max_days: int.describe('a promise due further out than this many days needs a supervisor'),
  plan_max_instalments: int.describe('a plan with more instalments needs approval'),
  plan_max_days: int.describe(
    'a plan whose last instalment is further out than this many days needs approval',
  ),
  plan_first_payment_max_days: int.describe(
    'a plan whose first payment is further out than this many days needs approval',
  ),
  plan_first_payment_min_share_bp: int.describe(
    'a plan whose first payment is below this share of its total (basis points) needs approval',
  ),
});

const attemptResponse = z.object({
  id,
  account_id: id,
  disposition: z.enum(dispositions),
  channel: z.enum(attemptChannels),
  contact_point_id: id.nullable(),
  gate_contact_id: id.nullable(),
  notes: z.string().nullable(),
  duration_seconds: int.nullable(),
  hold_id: id.nullable().describe('the hold a dispute / deceased / bankruptcy disposition recorded'),
  agent: z.string(),
  at: instant,
});

const promiseResponse = z.object({
  id,
  account_id: id,
  attempt_id: id.nullable(),
  amount_minor: minor,
  currency: z.string(),
  promised_on: date,
  due_on: date,
  grace_days: int,
  grace_ends_on: date.describe('payments through this date keep it'),
  status: z.enum(['open', 'kept', 'broken', 'cancelled']),
  paid_minor: minor.describe('counted toward it at the last nightly run'),
  kept_on: date.nullable(),
  broken_at: date.nullable().describe("the nightly run's date that found it broken"),
  final: z.boolean().describe('the grace has ended: kept or broken no longer changes'),
  approved_by: z.string().nullable().describe('the supervisor who took it outside the limits'),
  limit_reasons: z.array(z.string()),
  taken_by: z.string(),
  taken_at: instant,
  cancelled_by: z.string().nullable(),
  cancel_reason: z.string().nullable(),
});

const planResponse = z.object({
  id,
  account_id: id,
  total_minor: minor,
  currency: z.string(),
  starts_on: date,
  grace_days: int,
  status: z.enum(['pending_approval', 'active', 'rejected', 'completed', 'broken', 'cancelled']),
  limit_reasons: z.array(z.string()).describe('why it needs approval (empty: within the limits)'),
  note: z.string().nullable(),
  proposed_by: z.string(),
  proposed_at: instant,
  decided_by: z.string().nullable(),
  decided_at: instant.nullable(),
  decision_reason: z.string().nullable(),
  broken_at: date.nullable(),
  completed_on: date.nullable(),
  instalments: z.array(
    z.object({
      n: int,
      due_on: date,
      amount_minor: minor,
      status: z.enum(['open', 'kept', 'broken']),
      paid_minor: minor,
      kept_on: date.nullable(),
      broken_at: date.nullable(),
      final: z.boolean(),
    }),
  ),
});

const callbackResponse = z.object({
  id,
  account_id: id,
  attempt_id: id.nullable(),
  due_at: instant,
  zone: z.string().describe('the IANA zone the time was given in'),
  note: z.string().nullable(),
  status: z.enum(['due', 'done', 'missed']),
  missed_on: date.nullable(),
  created_by: z.string(),
  done_by: z.string().nullable(),
  done_at: instant.nullable(),
});

const hardshipResponse = z.object({
  id,
  account_id: id,
  options: z.array(z.string()),
  note: z.string(),
  marked_by: z.string(),
  marked_at: instant,
});

const visitResponse = z.object({
  id,
  account_id: id,
  visited_at: instant,
  address: z.string(),
  visitors: z.string(),
  result: z.string(),
  recording_ref: z.string(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  recorded_by: z.string(),
  recorded_at: instant,
});

const actionsResponse = z.object({
  attempts: z.array(attemptResponse),
  promises: z.array(promiseResponse),
  plans: z.array(planResponse),
  callbacks: z.array(callbackResponse),
  hardship: z.array(hardshipResponse),
  field_visits: z.array(visitResponse),
});

// ---------------------------------------------------------------- request shapes

const note = z.string().trim().max(2000).optional();
const when = z.string().trim().min(1).max(40);

const attemptBody = z.object({
  disposition: z.enum(dispositions),
  channel: z.enum(attemptChannels),
  contact_point_id: idText.optional(),
  gate_contact_id: idText.optional().describe("the compliance gate's contact id this attempt reports on"),
  notes: z.string().trim().max(4000).optional(),
  duration_seconds: z.number().int().min(0).max(86_400).optional(),
});

const promiseBody = z.object({
  amount_minor: positiveMinor,
  due_on: businessDate,
  attempt_id: idText.optional(),
});

const planBody = z.object({
  total_minor: positiveMinor,
  instalments: z
    .array(z.object({ due_on: businessDate, amount_minor: positiveMinor }))
    .min(1)
    .max(hardLimits.instalments)
    .describe('in date order; the first is the first payment; they sum to the total'),
  note,
});

const callbackBody = z.object({
  at: when.describe("the local date and time ('2026-03-01 14:30') in `zone`, or an ISO-8601 instant"),
  zone: z.string().trim().min(1).max(64).optional().describe("IANA zone (default the debtor's)"),
  note,
  attempt_id: idText.optional(),
});

const hardshipBody = z.object({
  options: z.array(z.enum(hardshipOptions)).max(hardshipOptions.length).default([]),
  note: z.string().trim().min(1).max(2000),
});

const visitBody = z.object({
  visited_at: when.describe("the local date and time of the visit in the debtor's zone, or an instant"),
  address: z.string().trim().min(1).max(500),
  visitors: z.string().trim().min(1).max(500).describe('who went'),
  result: z.string().trim().min(1).max(4000),
  recording_ref: z
    .string()
    .max(500)
    .optional()
    .describe('the audio or video recording of the visit: required, a visit is recorded in full'),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});

const decisionBody = z.object({ reason: z.string().trim().max(2000).optional() });
const reasonBody = z.object({ reason: reasonText });

// ---------------------------------------------------------------- the routes

function actorOfRequest(request: FastifyRequest): Actor {
  const principal = principalOf(request);
  return { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null };
}

export async function worklistRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  const limits = limitsFromEnv();
  const tags = ['worklist'];

  /** The account's client checked against the caller's scope (404 outside it). */
  async function scoped(request: FastifyRequest, accountId: bigint, on: Db = db): Promise<void> {
    assertClientAccess(principalOf(request), await accountClientId(on, accountId), 'account');
  }

  /** A contact action on an account: its scope, and (agents) a current training record. */
  async function contactAction(request: FastifyRequest, accountId: bigint): Promise<void> {
    await scoped(request, accountId);
    await assertTrained(db, principalOf(request));
  }

  async function scopedTo(request: FastifyRequest, kind: 'promise' | 'plan' | 'callback', itemId: bigint) {
    assertClientAccess(principalOf(request), await clientOf(db, kind, itemId), kind);
  }

  // The limits this server applies (HUIKUAN_PROMISE_* and HUIKUAN_PLAN_*), so that the forms say
  // beforehand what will need a supervisor rather than the defaults'.
  app.get(
    '/worklist/limits',
    {
      schema: {
        response: documented({ 200: limitsResponse }),
        tags,
        summary:
          'The limits of promises and plans this server applies: outside them a promise needs a supervisor and a plan approval',
      },
      preValidation: requireRoles(...readers),
    },
    async () => ({
      grace_days: limits.graceDays,
      promise_min_share_bp: limits.promiseMinShareBp,
      promise_max_days: limits.promiseMaxDays,
      plan_max_instalments: limits.planMaxInstalments,
      plan_max_days: limits.planMaxDays,
      plan_first_payment_max_days: limits.planFirstPaymentMaxDays,
      plan_first_payment_min_share_bp: limits.planFirstPaymentMinShareBp,
    }),
  );

  app.get(
    '/accounts/:id/actions',
    {
      schema: {
        response: documented({ 200: actionsResponse }),
        tags,
        summary:
          "The account's contact attempts, promises, plans, call-backs, hardship marks and field visits, newest first (100 of each)",
        params: idParam,
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        await scoped(request, request.params.id, trx);
        return accountActions(trx, request.params.id);
      }),
  );

  app.post(
    '/accounts/:id/attempts',
    {
      schema: {
        response: documented({ 201: attemptResponse }),
        tags,
        summary:
          "Log a contact attempt with its disposition (places no call). With the gate's contact id the gate gets the outcome; a dispute, deceased or bankruptcy disposition records the hold",
        params: idParam,
        body: attemptBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const body = request.body;
      const attempt = await logAttempt(
        db,
        {
          accountId: request.params.id,
          disposition: body.disposition,
          channel: body.channel,
          contactPointId: body.contact_point_id ?? null,
          gateContactId: body.gate_contact_id ?? null,
          notes: body.notes ?? null,
          durationSeconds: body.duration_seconds ?? null,
        },
        actorOfRequest(request),
      );
      return reply.status(201).send(attempt);
    },
  );

  app.post(
    '/accounts/:id/promises',
    {
      schema: {
        response: documented({ 201: promiseResponse }),
        tags,
        summary:
          'Take a promise to pay (amount, due date). Outside the limits (minimum share of the balance, days out) only a supervisor may take it',
        params: idParam,
        body: promiseBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const promise = await takePromise(
        db,
        {
          accountId: request.params.id,
          amountMinor: request.body.amount_minor,
          dueOn: request.body.due_on,
          attemptId: request.body.attempt_id ?? null,
        },
        { ...actorOfRequest(request), supervisor: hasRole(principalOf(request), 'supervisor') },
        limits,
      );
      return reply.status(201).send(promise);
    },
  );

  app.post(
    '/promises/:id/cancel',
    {
      schema: {
        response: documented({ 200: promiseResponse }),
        tags,
        summary: 'Cancel an open promise, with the reason',
        params: idParam,
        body: reasonBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request) => {
      await scopedTo(request, 'promise', request.params.id);
      return cancelPromise(db, request.params.id, request.body.reason, actorOfRequest(request));
    },
  );

  app.post(
    '/accounts/:id/plans',
    {
      schema: {
        response: documented({ 201: planResponse }),
        tags,
        summary:
          'Propose a payment plan: active at once within the limits, else pending a supervisor other than the proposer',
        params: idParam,
        body: planBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const plan = await proposePlan(
        db,
        {
          accountId: request.params.id,
          totalMinor: request.body.total_minor,
          instalments: request.body.instalments.map((i) => ({
            dueOn: i.due_on,
            amountMinor: i.amount_minor,
          })),
          note: request.body.note ?? null,
        },
        actorOfRequest(request),
        limits,
      );
      return reply.status(201).send(plan);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/plans/:id/${decision}`,
      {
        schema: {
          response: documented({ 200: planResponse }),
          tags,
          summary:
            decision === 'approve'
              ? 'Approve a plan awaiting approval (a supervisor, not its proposer)'
              : 'Reject a plan awaiting approval, with the reason (a supervisor, not its proposer)',
          params: idParam,
          body: decision === 'approve' ? decisionBody : reasonBody,
        },
        preValidation: requireRoles('supervisor'),
      },
      async (request) => {
        await scopedTo(request, 'plan', request.params.id);
        return decidePlan(
          db,
          request.params.id,
          decision,
          request.body.reason ?? null,
          actorOfRequest(request),
        );
      },
    );
  }

  app.post(
    '/accounts/:id/callbacks',
    {
      schema: {
        response: documented({ 201: callbackResponse }),
        tags,
        summary: "Set a call-back at a local time of the debtor's (stored as the UTC instant and the zone)",
        params: idParam,
        body: callbackBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const callback = await setCallback(
        db,
        {
          accountId: request.params.id,
          at: request.body.at,
          zone: request.body.zone ?? null,
          note: request.body.note ?? null,
          attemptId: request.body.attempt_id ?? null,
        },
        actorOfRequest(request),
      );
      return reply.status(201).send(callback);
    },
  );

  app.post(
    '/callbacks/:id/done',
    {
      schema: {
        response: documented({ 200: callbackResponse }),
        tags,
        summary: 'Mark a call-back done (a missed one too)',
        params: idParam,
      },
      preValidation: requireRoles(...workers),
    },
    async (request) => {
      await scopedTo(request, 'callback', request.params.id);
      return completeCallback(db, request.params.id, actorOfRequest(request));
    },
  );

  app.post(
    '/accounts/:id/hardship',
    {
      schema: {
        response: documented({ 201: hardshipResponse }),
        tags,
        summary:
          "Mark the debtor's hardship on the account, with the forbearance options asked for or offered",
        params: idParam,
        body: hardshipBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const mark = await markHardship(
        db,
        { accountId: request.params.id, options: request.body.options, note: request.body.note },
        actorOfRequest(request),
      );
      return reply.status(201).send(mark);
    },
  );

  app.post(
    '/accounts/:id/field-visits',
    {
      schema: {
        response: documented({ 201: visitResponse }),
        tags,
        summary: 'Record a field visit (外访) with the reference of its recording (refused without it)',
        params: idParam,
        body: visitBody,
      },
      preValidation: requireRoles(...workers),
    },
    async (request, reply) => {
      await contactAction(request, request.params.id);
      const body = request.body;
      const visit = await recordFieldVisit(
        db,
        {
          accountId: request.params.id,
          visitedAt: body.visited_at,
          address: body.address,
          visitors: body.visitors,
          result: body.result,
          recordingRef: body.recording_ref ?? null,
          latitude: body.latitude ?? null,
          longitude: body.longitude ?? null,
        },
        actorOfRequest(request),
      );
      return reply.status(201).send(visit);
    },
  );
}
