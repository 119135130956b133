/**
 * HTTP routes of letters (/api/v1): queue a letter or the US validation notice for an account
 * (agents and supervisors; through the rule gate), a client's print batches, closing the client's
 * queue into a batch (supervisors and admins) and downloading a batch's PDF.
 */
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { findClientByCode } from '../clients/service.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, clientCode, idParam, pageOf, pageQuery, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import {
  closePrintBatch,
  letterStoreLimits,
  listPrintBatches,
  printBatchPdf,
  queueLetter,
} from './letters.ts';
import { channelLimits } from './model.ts';
import { messageResponse } from './schemas.ts';
import type { Channels } from './service.ts';

const int = z.number().int();
const batchResponse = z.object({
  id: int,
  client_id: int,
  letters: int,
  pages: int,
  bytes: int,
  closed_by: z.string(),
  closed_at: z.string(),
});

const letterBody = z.object({
  kind: z
    .enum(['letter', 'validation_notice'])
    .default('letter')
    .describe('validation_notice: the US Regulation F notice, once per account, recorded with its dates'),
  lang: z.enum(['zh-CN', 'en']).optional().describe('default: zh-CN under the CN profile, else en'),
  subject: z.string().trim().min(1).max(channelLimits.subjectChars).optional(),
  body: z
    .array(z.string().trim().min(1).max(letterStoreLimits.paragraphChars))
    .min(1)
    .max(letterStoreLimits.paragraphs)
    .optional()
    .describe("the letter's paragraphs; default a reminder of the balance"),
  idempotency_key: z.string().min(1).max(channelLimits.idempotencyKeyChars).optional(),
});

export async function letterRoutes(app: Api, deps: ServerDeps, channels: Channels): Promise<void> {
  const { db } = deps;

  app.post(
    '/accounts/:id/letters',
    {
      schema: {
        response: documented({
          200: z.object({ message: messageResponse, repeated: z.boolean(), notice: z.unknown() }),
          201: z.object({ message: messageResponse, repeated: z.boolean(), notice: z.unknown() }),
        }),
        tags: ['channels'],
        summary:
          "Queue a letter (or the US validation notice) to the debtor's postal address: the rule gate first (a denied one is recorded blocked, no PDF made), then the PDF, queued for the next print batch",
        params: idParam,
        body: letterBody,
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const principal = principalOf(request);
      assertClientAccess(principal, await accountClientId(db, accountId), 'account');
      const body = request.body;
      const outcome = await queueLetter(
        db,
        {
          accountId,
          kind: body.kind,
          ...(body.lang ? { lang: body.lang } : {}),
          ...(body.subject ? { subject: body.subject } : {}),
          ...(body.body ? { body: body.body } : {}),
          ...(body.idempotency_key ? { idempotencyKey: body.idempotency_key } : {}),
          actor: principal.username,
          actorUserId: principal.userId,
          ip: request.ip,
        },
        channels.config,
      );
      return reply.status(outcome.repeated ? 200 : 201).send(outcome);
    },
  );

  app.get(
    '/letters/batches',
    {
      schema: {
        response: documented({
          200: z.object({ items: z.array(batchResponse), total: int, page: int, page_size: int }),
        }),
        tags: ['channels'],
        summary: 'Print batches, newest first (of one client with client=CODE), with their letters and pages',
        querystring: z.object({ ...pageQuery, client: clientCode.optional() }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        const query = request.query;
        let clientId: bigint | null = null;
        if (query.client !== undefined) {
          clientId = (await findClientByCode(trx, query.client)).id;
          assertClientAccess(principalOf(request), clientId, 'client');
        }
        const { items, total } = await listPrintBatches(trx, clientId, {
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.post(
    '/letters/batches',
    {
      schema: {
        response: documented({ 201: batchResponse }),
        tags: ['channels'],
        summary: `Close the client's queue of letters (the oldest ${letterStoreLimits.batchLetters}) into one print batch PDF; its letters become printed. 409 when none is queued`,
        body: z.object({ client: clientCode }),
      },
      preValidation: requireRoles('supervisor', 'admin'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const clientId = (await findClientByCode(db, request.body.client)).id;
      assertClientAccess(principal, clientId, 'client');
      const batch = await closePrintBatch(db, clientId, {
        actor: principal.username,
        actorUserId: principal.userId,
        ip: request.ip,
      });
      return reply.status(201).send(batch);
    },
  );

  app.get(
    '/letters/batches/:id/pdf',
    {
      schema: {
        tags: ['channels'],
        summary: "A print batch's PDF (cover sheet and every letter)",
        params: idParam,
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request, reply) => {
      const batch = await printBatchPdf(db, request.params.id);
      assertClientAccess(principalOf(request), batch.clientId, 'print batch');
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="print-batch-${request.params.id}.pdf"`)
        .send(batch.pdf);
    },
  );
}
