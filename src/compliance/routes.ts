/**
 * HTTP routes for holds and consent (src/compliance/holds.ts) on an account: holds (list, add, lift),
 * consent (list, record, withdraw), the lost-contact (失联) state (show, set, clear), agreed
 * contacts (list, add) and the US validation notice (show, sent, verification sent). Staff in scope
 * and the account's client read; compliance, supervisors and admins write; agents may record what
 * they hear on the phone — a dispute, a cease request, an opt-out. Each change is audited by the
 * service in its transaction, with the user and IP.
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
import { type Api, businessDate, idParam, idText, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type AgreedContactView,
  addAgreedContact,
  addHold,
  type ConsentView,
  clearLostContact,
  holdJson,
  type LostContactState,
  liftHold,
  listAgreedContacts,
  listConsents,
  listHolds,
  lostContactState,
  ownerOf,
  type Recorder,
  recordConsent,
  recordValidationNotice,
  recordVerificationSent,
  setLostContact,
  type ValidationNoticeView,
  validationNotice,
  withdrawConsent,
} from './holds.ts';
import { agentHoldKinds, consentKinds, holdSources, holdStatuses, storedHoldKinds } from './holds-model.ts';
import { channels } from './profiles.ts';

const readers = [...staffRoles, 'client'] as const;
const writers = ['compliance', 'supervisor', 'admin'] as const;

// ---------------------------------------------------------------- JSON shapes

const int = z.number().int();
const id = int.describe('numeric id');
const instant = z.string().describe('ISO-8601 instant, UTC');
const date = z.string().describe('YYYY-MM-DD');

const holdResponse = z.object({
  id,
  debtor_id: id,
  account_id: id.nullable().describe('null: every account of the debtor'),
  contact_point_id: id.nullable().describe('null: every contact point'),
  kind: z.enum(storedHoldKinds),
  source: z.enum(holdSources),
  note: z.string().nullable(),
  attorney_name: z.string().nullable(),
  attorney_contact: z.string().nullable(),
  starts_at: instant,
  ends_at: instant.nullable(),
  recorded_by: z.string(),
  recorded_at: instant,
  lifted_at: instant.nullable(),
  lifted_by: z.string().nullable(),
  lift_reason: z.string().nullable(),
  status: z.enum(holdStatuses),
  verification_required: z
    .boolean()
    .describe('a written dispute inside the US validation period: lifted only by the verification'),
});

const consentResponse = z.object({
  id,
  debtor_id: id,
  contact_point_id: id.nullable(),
  kind: z.enum(consentKinds),
  channel: z.enum(channels).nullable(),
  source: z.enum(holdSources),
  note: z.string().nullable(),
  given_at: instant,
  expires_at: instant.nullable(),
  recorded_by: z.string(),
  recorded_at: instant,
  withdrawn_at: instant.nullable(),
  withdrawn_by: z.string().nullable(),
  withdraw_reason: z.string().nullable(),
  current: z.boolean(),
});

function consentJson(consent: ConsentView) {
  return {
    id: consent.id,
    debtor_id: consent.debtorId,
    contact_point_id: consent.contactPointId,
    kind: consent.kind,
    channel: consent.channel,
    source: consent.source,
    note: consent.note,
    given_at: consent.givenAt,
    expires_at: consent.expiresAt,
    recorded_by: consent.recordedBy,
    recorded_at: consent.recordedAt,
    withdrawn_at: consent.withdrawnAt,
    withdrawn_by: consent.withdrawnBy,
    withdraw_reason: consent.withdrawReason,
    current: consent.current,
  };
}

const lostContactResponse = z.object({
  debtor_id: id,
  lost: z.boolean(),
  history: z.array(
    z.object({
      id,
      set_at: instant,
      set_by: z.string(),
      set_reason: z.string(),
      cleared_at: instant.nullable(),
      cleared_by: z.string().nullable(),
      clear_reason: z.string().nullable(),
    }),
  ),
});

function lostContactJson(state: LostContactState) {
  return {
    debtor_id: state.debtorId,
    lost: state.lost,
    history: state.history.map((period) => ({
      id: period.id,
      set_at: period.setAt,
      set_by: period.setBy,
      set_reason: period.setReason,
      cleared_at: period.clearedAt,
      cleared_by: period.clearedBy,
      clear_reason: period.clearReason,
    })),
  };
}

const agreedContactResponse = z.object({
  id,
  debtor_id: id,
  kind: z.enum(['phone', 'email']),
  masked: z.string(),
  holder_name: z.string().nullable(),
  relation: z.string().nullable(),
  status: z.string(),
});

function agreedJson(contact: AgreedContactView) {
  return {
    id: contact.id,
    debtor_id: contact.debtorId,
    kind: contact.kind,
    masked: contact.masked,
    holder_name: contact.holderName,
    relation: contact.relation,
    status: contact.status,
  };
}

const noticeResponse = z.object({
  account_id: id,
  sent_on: date,
  assumed_receipt: date.describe('5 days after sending, weekends and US federal holidays not counted'),
  period_ends_on: date.describe('the last day of the validation period: 30 days after receipt'),
  recorded_by: z.string(),
  recorded_at: instant,
  verification_sent_on: date.nullable(),
  verification_recorded_by: z.string().nullable(),
});

function noticeJson(notice: ValidationNoticeView) {
  return {
    account_id: notice.accountId,
    sent_on: notice.sentOn,
    assumed_receipt: notice.assumedReceipt,
    period_ends_on: notice.periodEndsOn,
    recorded_by: notice.recordedBy,
    recorded_at: notice.recordedAt,
    verification_sent_on: notice.verificationSentOn,
    verification_recorded_by: notice.verificationRecordedBy,
  };
}

// ---------------------------------------------------------------- request shapes

const when = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .describe("a date (YYYY-MM-DD, in the debtor's zone) or an ISO-8601 instant");
const note = z.string().trim().max(2000).optional();
const sourceField = z.enum(holdSources).describe('how the agency learnt of it');

const holdBody = z.object({
  kind: z.enum(storedHoldKinds),
  scope: z
    .enum(['account', 'debtor'])
    .default('account')
    .describe("account: this account alone; debtor: every account of the account's debtor"),
  contact_point_id: idText.optional().describe('opt-outs and do_not_contact: this point alone'),
  source: sourceField,
  note,
  starts: when.optional().describe('when it takes effect (default now)'),
  ends: when
    .nullable()
    .optional()
    .describe('a date is the last day in force; null = no end; absent = none (breathing space: 60 days)'),
  attorney_name: z.string().trim().min(1).max(200).optional(),
  attorney_contact: z.string().trim().min(1).max(200).optional(),
});

const consentBody = z.object({
  kind: z.enum(consentKinds),
  channel: z
    .enum(channels)
    .optional()
    .describe('required for channel; absent for quiet_hours = every channel'),
  contact_point_id: idText.optional(),
  source: sourceField,
  note,
  given: when.optional().describe('when it was given (default now)'),
  expires: when.optional().describe('a date is the last day it holds; absent = until withdrawn'),
});

const reasonBody = z.object({ reason: reasonText });
const sentBody = z.object({ sent_on: businessDate });

// ---------------------------------------------------------------- the routes

function recorderOf(request: FastifyRequest): Recorder {
  const principal = principalOf(request);
  return { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null };
}

export async function complianceRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  /** The account's client checked against the caller's scope (404 outside it). */
  async function scoped(request: FastifyRequest, accountId: bigint, on: Db = db): Promise<void> {
    assertClientAccess(principalOf(request), await accountClientId(on, accountId), 'account');
  }

  const tags = ['compliance'];

  app.get(
    '/accounts/:id/holds',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(holdResponse) }) }),
        tags,
        summary: 'The holds on the account and on its debtor, newest first, with lifted and ended ones',
        params: idParam,
        querystring: z.object({
          current: z
            .enum(['true', 'false'])
            .default('false')
            .describe('true: only holds in force or scheduled'),
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        await scoped(request, request.params.id, trx);
        const holds = await listHolds(
          trx,
          { accountId: request.params.id },
          { current: request.query.current === 'true' },
        );
        return { items: holds.map(holdJson) };
      }),
  );

  app.post(
    '/accounts/:id/holds',
    {
      schema: {
        response: documented({ 200: holdResponse, 201: holdResponse }),
        tags,
        summary:
          'Add a hold on the account or its debtor (201); an opt-out already in force is returned as it is (200). Agents: dispute, cease and opt-outs only',
        params: idParam,
        body: holdBody,
      },
      preValidation: requireRoles(...writers, 'agent'),
    },
    async (request, reply) => {
      const body = request.body;
      const principal = principalOf(request);
      if (!hasRole(principal, ...writers) && !agentHoldKinds.includes(body.kind)) {
        throw new HuikuanError(
          'forbidden',
          `An agent may record ${agentHoldKinds.join(', ')}; a ${body.kind} hold is recorded by compliance, a supervisor or an admin.`,
        );
      }
      await scoped(request, request.params.id);
      const account = request.params.id;
      const { hold, created } = await addHold(
        db,
        {
          accountId: account,
          onDebtor: body.scope === 'debtor',
          kind: body.kind,
          source: body.source,
          contactPointId: body.contact_point_id ?? null,
          note: body.note ?? null,
          startsAt: body.starts,
          endsAt: body.ends,
          attorneyName: body.attorney_name ?? null,
          attorneyContact: body.attorney_contact ?? null,
        },
        recorderOf(request),
      );
      return reply.status(created ? 201 : 200).send(holdJson(hold));
    },
  );

  app.post(
    '/holds/:id/lift',
    {
      schema: {
        response: documented({ 200: holdResponse }),
        tags,
        summary: 'Lift a hold (it stays in the history with who, when and why)',
        params: idParam,
        body: reasonBody,
      },
      preValidation: requireRoles(...writers),
    },
    async (request) => {
      assertClientAccess(
        principalOf(request),
        (await ownerOf(db, 'hold', request.params.id)).clientId,
        'hold',
      );
      return holdJson(await liftHold(db, request.params.id, request.body.reason, recorderOf(request)));
    },
  );

  /** A read of the account's state: staff in scope and the account's client, under row-level security. */
  function accountRead(
    path: string,
    summary: string,
    response: z.ZodType,
    read: (trx: Db, accountId: bigint) => Promise<unknown>,
  ): void {
    app.get(
      path,
      {
        schema: { response: documented({ 200: response }), tags, summary, params: idParam },
        preValidation: requireRoles(...readers),
      },
      async (request) =>
        readScoped(db, request, async (trx) => {
          await scoped(request, request.params.id, trx);
          return read(trx, request.params.id);
        }),
    );
  }

  /** A change on the account by compliance, a supervisor or an admin (audited by the service). */
  function accountChange<B extends z.ZodType>(
    path: string,
    summary: string,
    status: 200 | 201,
    response: z.ZodType,
    body: B,
    change: (accountId: bigint, body: z.infer<B>, by: Recorder) => Promise<unknown>,
  ): void {
    app.post(
      path,
      {
        schema: { response: documented({ [status]: response }), tags, summary, params: idParam, body },
        preValidation: requireRoles(...writers),
      },
      async (request, reply) => {
        await scoped(request, request.params.id);
        const result = await change(request.params.id, request.body as z.infer<B>, recorderOf(request));
        return reply.status(status).send(result);
      },
    );
  }

  accountRead(
    '/accounts/:id/consents',
    "The debtor's consents (channels, quiet hours, prior consent to calls), newest first",
    z.object({ items: z.array(consentResponse) }),
    async (trx, accountId) => ({ items: (await listConsents(trx, { accountId })).map(consentJson) }),
  );

  accountChange(
    '/accounts/:id/consents',
    "Record the debtor's consent: to a channel, to the quiet hours, or a prior consent to calls (US)",
    201,
    consentResponse,
    consentBody,
    async (accountId, body, by) =>
      consentJson(
        await recordConsent(
          db,
          {
            accountId,
            kind: body.kind,
            channel: body.channel ?? null,
            contactPointId: body.contact_point_id ?? null,
            source: body.source,
            note: body.note ?? null,
            givenAt: body.given,
            expiresAt: body.expires ?? null,
          },
          by,
        ),
      ),
  );

  app.post(
    '/consents/:id/withdraw',
    {
      schema: {
        response: documented({ 200: consentResponse }),
        tags,
        summary: 'Withdraw a consent (it stays in the history)',
        params: idParam,
        body: reasonBody,
      },
      preValidation: requireRoles(...writers),
    },
    async (request) => {
      const owner = await ownerOf(db, 'consent', request.params.id);
      assertClientAccess(principalOf(request), owner.clientId, 'consent');
      return consentJson(
        await withdrawConsent(db, request.params.id, request.body.reason, recorderOf(request)),
      );
    },
  );

  accountRead(
    '/accounts/:id/lost-contact',
    "Whether the account's debtor is in lost-contact (失联) state, with its history",
    lostContactResponse,
    async (trx, accountId) => lostContactJson(await lostContactState(trx, { accountId })),
  );

  accountChange(
    '/accounts/:id/lost-contact',
    'Put the debtor in lost-contact (失联) state: only then may agreed contacts be reached (CN)',
    200,
    lostContactResponse,
    reasonBody,
    async (accountId, body, by) => lostContactJson(await setLostContact(db, { accountId }, body.reason, by)),
  );

  accountChange(
    '/accounts/:id/lost-contact/clear',
    "End the debtor's lost-contact state",
    200,
    lostContactResponse,
    reasonBody,
    async (accountId, body, by) =>
      lostContactJson(await clearLostContact(db, { accountId }, body.reason, by)),
  );

  accountRead(
    '/accounts/:id/agreed-contacts',
    "The debtor's agreed (emergency) contacts, masked",
    z.object({ items: z.array(agreedContactResponse) }),
    async (trx, accountId) => ({ items: (await listAgreedContacts(trx, { accountId })).map(agreedJson) }),
  );

  accountChange(
    '/accounts/:id/agreed-contacts',
    'Add an agreed (emergency) contact of the debtor: a phone (sealed) or an e-mail',
    201,
    agreedContactResponse,
    z.object({
      kind: z.enum(['phone', 'email']),
      value: z.string().trim().min(3).max(254),
      holder_name: z.string().trim().min(1).max(200),
      relation: z.string().trim().min(1).max(100).describe('同事, 配偶, friend …'),
    }),
    async (accountId, body, by) =>
      agreedJson(
        await addAgreedContact(
          db,
          {
            accountId,
            kind: body.kind,
            value: body.value,
            holderName: body.holder_name,
            relation: body.relation,
          },
          by,
        ),
      ),
  );

  accountRead(
    '/accounts/:id/validation-notice',
    'The US validation notice of the account and its period (null when none was sent)',
    z.object({ notice: noticeResponse.nullable() }),
    async (trx, accountId) => {
      const notice = await validationNotice(trx, accountId);
      return { notice: notice ? noticeJson(notice) : null };
    },
  );

  accountChange(
    '/accounts/:id/validation-notice',
    'Record that the US validation notice was sent; the assumed receipt and the end of the validation period are computed',
    201,
    noticeResponse,
    sentBody,
    async (accountId, body, by) => noticeJson(await recordValidationNotice(db, accountId, body.sent_on, by)),
  );

  accountChange(
    '/accounts/:id/validation-notice/verification',
    "Record that the verification answering a dispute was sent: the account's dispute holds are lifted",
    200,
    z.object({ notice: noticeResponse, lifted_hold_ids: z.array(id) }),
    sentBody,
    async (accountId, body, by) => {
      const result = await recordVerificationSent(db, accountId, body.sent_on, by);
      return { notice: noticeJson(result.notice), lifted_hold_ids: result.liftedHoldIds };
    },
  );
}
