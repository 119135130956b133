/**
 * HTTP routes for retention (/api/v1/retention): the queue of debtors due for anonymisation and the
 * legal holds that stop it. Anonymisation itself runs from `huikuan retention run` and, weekly, from `huikuan serve`'s pg-boss job.
 * Compliance and admins only.
 */
import { z } from 'zod';
import { principalOf, requireRoles } from '../server/access.ts';
import { type Api, bodyId, idParam, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { todayIn } from '../shared/dates.ts';
import {
  listLegalHolds,
  placeLegalHold,
  releaseLegalHold,
  retentionLimits,
  retentionQueue,
} from './service.ts';

const tags = ['retention'];
const roles = ['admin', 'compliance'] as const;

const holdResponse = z.object({
  id: z.number().int(),
  client_id: z.number().int(),
  debtor_id: z.number().int().nullable(),
  account_id: z.number().int().nullable(),
  reason: z.string(),
  placed_by: z.string(),
  placed_at: z.string(),
  released_by: z.string().nullable(),
  released_at: z.string().nullable(),
  release_reason: z.string().nullable(),
});

export async function retentionRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/retention/queue',
    {
      schema: {
        response: documented({
          200: z.object({
            as_of: z.string(),
            items: z.array(
              z.object({
                debtor_id: z.number().int(),
                client_id: z.number().int(),
                jurisdiction: z.string(),
                retention_years: z.number().int(),
                last_activity_at: z.string(),
                accounts: z.number().int(),
                reason: z
                  .enum(['period_elapsed', 'contract_ended'])
                  .describe(
                    'the records period after the last activity passed, or the client contract ended',
                  ),
                contract_ended_on: z.string().nullable(),
              }),
            ),
          }),
        }),
        tags,
        summary: `Debtors due for anonymisation today, oldest activity first (at most ${retentionLimits.queueRows})`,
      },
      preValidation: requireRoles(...roles),
    },
    async () => {
      const asOf = todayIn();
      return { as_of: asOf, items: await retentionQueue(db, asOf) };
    },
  );

  app.get(
    '/retention/legal-holds',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(holdResponse) }) }),
        tags,
        summary: 'Legal holds, newest first',
        querystring: z.object({ open: z.enum(['true', 'false']).default('false') }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request) => ({ items: await listLegalHolds(db, { open: request.query.open === 'true' }) }),
  );

  app.post(
    '/retention/legal-holds',
    {
      schema: {
        response: documented({ 201: holdResponse }),
        tags,
        summary:
          'Place a legal hold on a client, or one of its debtors or accounts: retention leaves their data alone',
        body: z.object({
          client_id: bodyId,
          debtor_id: bodyId.optional(),
          account_id: bodyId.optional(),
          reason: reasonText,
        }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request, reply) => {
      const body = request.body;
      const hold = await placeLegalHold(
        db,
        {
          clientId: body.client_id,
          debtorId: body.debtor_id ?? null,
          accountId: body.account_id ?? null,
          reason: body.reason,
        },
        principalOf(request).username,
      );
      return reply.status(201).send(hold);
    },
  );

  app.post(
    '/retention/legal-holds/:id/release',
    {
      schema: {
        response: documented({ 200: holdResponse }),
        tags,
        summary: 'Release a legal hold',
        params: idParam,
        body: z.object({ reason: reasonText }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request) =>
      releaseLegalHold(db, request.params.id, request.body.reason, principalOf(request).username),
  );
}
