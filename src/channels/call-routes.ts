/**
 * HTTP routes of click-to-call (/api/v1): dial a phone of an account's debtor from the agent's
 * extension (agents and supervisors; the rule gate before the dial), hang up, record the call's
 * disposition, and an account's calls. The PBX's events are applied as they come, in order.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, idText, pageOf, pageQuery, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import {
  callClientId,
  callDispositions,
  callLimits,
  hangUpCall,
  listCalls,
  placeCall,
  recordPbxEvent,
  setCallDisposition,
} from './calls.ts';
import { channelLimits } from './model.ts';
import { messageResponse } from './schemas.ts';
import type { Channels } from './service.ts';

const int = z.number().int();
const callResponse = z.object({
  message_id: int,
  account_id: int,
  extension: z.string(),
  state: z.enum(['dialling', 'answered', 'ended', 'failed']),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_seconds: int.nullable(),
  hangup_cause: z.string().nullable(),
  recording_ref: z.string().nullable(),
  disposition: z.string().nullable(),
  disposition_by: z.string().nullable(),
  note: z.string().nullable(),
});
const placed = z.object({ message: messageResponse, call: callResponse.nullable(), repeated: z.boolean() });

export async function callRoutes(app: Api, deps: ServerDeps, channels: Channels): Promise<void> {
  const { db } = deps;
  const pbx = channels.pbx;
  if (pbx) {
    // one event after the other: a call's answer is recorded before its end
    let queue = Promise.resolve();
    pbx.onEvent((event) => {
      queue = queue
        .then(() => recordPbxEvent(db, event))
        .catch((error: unknown) =>
          app.log.error({ err: error, call: event.callId }, 'a PBX event was not recorded'),
        );
    });
    app.addHook('onClose', async () => {
      await pbx.close();
      await queue;
    });
  }

  async function scopedCall(request: FastifyRequest, messageId: bigint) {
    assertClientAccess(principalOf(request), await callClientId(db, messageId), 'call');
  }

  app.post(
    '/accounts/:id/calls',
    {
      schema: {
        response: documented({ 200: placed, 201: placed }),
        tags: ['channels'],
        summary:
          "Click-to-call a phone of the account's debtor from the agent's extension: the rule gate first (a denied call is recorded blocked and never dialled), then the PBX rings the extension and dials the number",
        params: idParam,
        body: z.object({
          contact_point_id: idText,
          extension: z.string().regex(/^[0-9A-Za-z_-]{1,20}$/, "the agent's extension"),
          idempotency_key: z.string().min(1).max(channelLimits.idempotencyKeyChars).optional(),
        }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertClientAccess(principal, await accountClientId(db, request.params.id), 'account');
      const outcome = await placeCall(
        db,
        {
          accountId: request.params.id,
          contactPointId: request.body.contact_point_id,
          extension: request.body.extension,
          ...(request.body.idempotency_key ? { idempotencyKey: request.body.idempotency_key } : {}),
          actor: principal.username,
          actorUserId: principal.userId,
          ip: request.ip,
        },
        channels,
      );
      return reply.status(outcome.repeated ? 200 : 201).send(outcome);
    },
  );

  app.get(
    '/accounts/:id/calls',
    {
      schema: {
        response: documented({
          200: z.object({ items: z.array(callResponse), total: int, page: int, page_size: int }),
        }),
        tags: ['channels'],
        summary:
          "The account's calls, newest first: state, duration, hang-up cause, recording and disposition",
        params: idParam,
        querystring: z.object(pageQuery),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        assertClientAccess(principalOf(request), await accountClientId(trx, request.params.id), 'account');
        const query = request.query;
        const { items, total } = await listCalls(trx, request.params.id, {
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.post(
    '/calls/:id/hangup',
    {
      schema: {
        response: documented({ 200: callResponse }),
        tags: ['channels'],
        summary: 'Hang up a call in progress (the PBX then reports its end)',
        params: idParam,
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request) => {
      await scopedCall(request, request.params.id);
      return hangUpCall(db, request.params.id, channels);
    },
  );

  app.post(
    '/calls/:id/disposition',
    {
      schema: {
        response: documented({ 200: callResponse }),
        tags: ['channels'],
        summary:
          "The call's disposition (once), the gate's outcome of a connected call: conversation, connected_no_answer or voicemail; with a note",
        params: idParam,
        body: z.object({
          disposition: z.enum(callDispositions),
          note: z.string().trim().max(callLimits.noteChars).optional(),
        }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request) => {
      await scopedCall(request, request.params.id);
      const principal = principalOf(request);
      return setCallDisposition(db, request.params.id, {
        disposition: request.body.disposition,
        note: request.body.note ?? null,
        actor: principal.username,
        actorUserId: principal.userId,
        ip: request.ip,
      });
    },
  );
}
