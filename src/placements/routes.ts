/** HTTP routes for placement batches (/api/v1/placement-batches): upload, list, show, errors, decide. */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { findClientByCode } from '../clients/service.ts';
import {
  assertClientAccess,
  principalOf,
  readScoped,
  requireRoles,
  scopeOf,
  staffRoles,
} from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import {
  type Api,
  actorOf,
  businessDate,
  clientCode,
  idParam,
  pageOf,
  pageQuery,
  reasonText,
  type ServerDeps,
} from '../server/context.ts';
import { RequestFieldError } from '../server/errors.ts';
import {
  batchDecisionResponse,
  batchDetailResponse,
  batchResponse,
  documented,
  importResponse,
  pageOf as pageSchema,
} from '../server/responses.ts';
import { receiveUpload } from '../server/uploads.ts';
import { HuikuanError } from '../shared/errors.ts';
import { batchErrorCsv, batchOwner, pageBatches } from './listing.ts';
import { approveBatch, batchStatuses, importPlacements, rejectBatch, showBatch } from './service.ts';

const uploadFields = z.object({
  client: clientCode,
  batch: z.string().trim().min(1).max(200).optional(),
  recall_date: businessDate.optional(),
});

const importers = ['admin', 'supervisor', 'finance'] as const;
const deciders = ['supervisor', 'admin', 'finance'] as const;

export async function placementRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.post(
    '/placement-batches',
    {
      schema: {
        response: documented({ 200: importResponse, 201: importResponse }),
        tags: ['placements'],
        summary:
          'Upload a placement file (multipart: file, client, batch?, recall_date?) → its validation result',
        description:
          'CSV (UTF-8, BOM or GB18030) or XLSX up to 200 MiB. Good rows wait in a batch for a second user to approve; bad rows are listed with row, column and reason. The same file again changes nothing. 201 with the batch, 200 when the file was imported before, 422 when no row is good.',
        consumes: ['multipart/form-data'],
      },
      preValidation: requireRoles(...importers),
    },
    async (request, reply) => {
      const upload = await receiveUpload(request, ['client', 'batch', 'recall_date']);
      try {
        const parsed = uploadFields.safeParse(upload.fields);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new RequestFieldError(String(issue?.path[0] ?? 'body'), issue?.message ?? 'is not valid');
        }
        const fields = parsed.data;
        const client = await findClientByCode(db, fields.client);
        assertClientAccess(principalOf(request), client.id, 'client');
        const result = await importPlacements(deps, {
          filePath: upload.filePath,
          clientCode: client.code,
          batchName: fields.batch ?? upload.fileName,
          user: actorOf(request),
          recallDate: fields.recall_date,
        });
        const out = {
          ...result,
          file: upload.fileName,
          error_file:
            result.batch_id !== null && result.rejected + result.duplicates > 0
              ? `/api/v1/placement-batches/${result.batch_id}/errors.csv`
              : null,
        };
        if (result.batch_id === null) {
          throw new HuikuanError(
            'bad_input',
            `No row of ${upload.fileName} is good (${result.rejected} rejected, ${result.duplicates} duplicates): nothing was imported. Fix the rows listed and upload it again.`,
            out,
          );
        }
        if (!result.already_imported) {
          await auditChange(deps, request, {
            action: 'placement_batch.imported',
            entityType: 'placement_batch',
            entityId: result.batch_id,
            clientId: client.id,
            after: {
              file: upload.fileName,
              bytes: upload.bytes,
              rows: result.rows,
              accepted: result.accepted,
              rejected: result.rejected,
              duplicates: result.duplicates,
            },
          });
        }
        return reply.status(result.already_imported ? 200 : 201).send(out);
      } finally {
        await upload.cleanup();
      }
    },
  );

  app.get(
    '/placement-batches',
    {
      schema: {
        response: documented({ 200: pageSchema(batchResponse) }),
        tags: ['placements'],
        summary: 'Placement batches in scope, newest first',
        querystring: z.object({
          client: clientCode.optional(),
          status: z.enum(batchStatuses).optional(),
          ...pageQuery,
        }),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const principal = principalOf(request);
        const query = request.query;
        let clientId: bigint | undefined;
        if (query.client !== undefined) {
          const client = await findClientByCode(db, query.client);
          assertClientAccess(principal, client.id, 'client');
          clientId = client.id;
        }
        const { items, total } = await pageBatches(db, {
          clientIds: scopeOf(principal),
          clientId,
          status: query.status,
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.get(
    '/placement-batches/:id',
    {
      schema: {
        response: documented({ 200: batchDetailResponse }),
        tags: ['placements'],
        summary: 'A batch with its totals and first 1,000 row errors',
        params: idParam,
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const { clientId } = await batchOwner(db, request.params.id);
        assertClientAccess(principalOf(request), clientId, 'placement batch');
        const batch = await showBatch(db, request.params.id, 1000);
        return {
          ...batch,
          errors_csv:
            batch.errors_total > 0 ? `/api/v1/placement-batches/${batch.batch_id}/errors.csv` : null,
        };
      }),
  );

  app.get(
    '/placement-batches/:id/errors.csv',
    {
      schema: {
        tags: ['placements'],
        summary: "The batch's bad and duplicate rows as CSV (row, column, reason)",
        params: idParam,
        produces: ['text/csv'],
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request, reply) => {
      const id = request.params.id;
      const { clientId } = await batchOwner(db, id);
      assertClientAccess(principalOf(request), clientId, 'placement batch');
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="batch-${id}-errors.csv"`);
      return reply.send(Readable.from(batchErrorCsv(db, id)));
    },
  );

  app.post(
    '/placement-batches/:id/approve',
    {
      schema: {
        response: documented({ 200: batchDecisionResponse }),
        tags: ['placements'],
        summary:
          'Approve a batch: its accounts go live and their placement entries are posted (not by the importer)',
        params: idParam,
      },
      preValidation: requireRoles(...deciders),
    },
    async (request) => {
      const id = request.params.id;
      const { clientId } = await batchOwner(db, id);
      assertClientAccess(principalOf(request), clientId, 'placement batch');
      const result = await approveBatch(db, id, actorOf(request));
      await auditChange(deps, request, {
        action: 'placement_batch.approved',
        entityType: 'placement_batch',
        entityId: id,
        clientId,
        before: { status: 'pending_approval' },
        after: { status: 'approved', accounts: result.accounts, totals: result.totals },
      });
      return result;
    },
  );

  app.post(
    '/placement-batches/:id/reject',
    {
      schema: {
        response: documented({ 200: batchDecisionResponse }),
        tags: ['placements'],
        summary: 'Reject a batch with a reason (its staged rows are removed)',
        params: idParam,
        body: z.object({ reason: reasonText }),
      },
      preValidation: requireRoles(...deciders),
    },
    async (request) => {
      const id = request.params.id;
      const { clientId, proposedBy, status } = await batchOwner(db, id);
      assertClientAccess(principalOf(request), clientId, 'placement batch');
      if (status === 'pending_approval' && proposedBy === actorOf(request)) {
        throw new HuikuanError(
          'forbidden',
          `You imported batch ${id}; another user must decide it (approve or reject).`,
        );
      }
      const result = await rejectBatch(db, id, actorOf(request), request.body.reason);
      await auditChange(deps, request, {
        action: 'placement_batch.rejected',
        entityType: 'placement_batch',
        entityId: id,
        clientId,
        before: { status: 'pending_approval' },
        after: { status: 'rejected', reason: result.reason },
      });
      return result;
    },
  );
}
