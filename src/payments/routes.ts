/** HTTP routes for payments: payment-file upload and payment claims (register → verify / reject). */
import { z } from 'zod';
import { findClientByCode } from '../clients/service.ts';
import {
  assertClientAccess,
  hasRole,
  principalOf,
  readScoped,
  requireRoles,
  scopeOf,
} from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import {
  type Api,
  actorOf,
  businessDate,
  clientCode,
  idParam,
  idText,
  pageOf,
  pageQuery,
  positiveMinor,
  reasonText,
  type ServerDeps,
} from '../server/context.ts';
import { RequestFieldError } from '../server/errors.ts';
import {
  claimResponse,
  documented,
  pageOf as pageSchema,
  paymentImportResponse,
} from '../server/responses.ts';
import { receiveUpload } from '../server/uploads.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { claimClientId, listClaims, registerClaim, rejectClaim, verifyClaim } from './claims.ts';
import { channelNames } from './model.ts';
import { importPayments } from './service.ts';

export async function paymentRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.post(
    '/payment-files',
    {
      schema: {
        response: documented({ 201: paymentImportResponse }),
        tags: ['payments'],
        summary: 'Upload a payment file (multipart: file, client): good rows post, bad rows are listed',
        description:
          'CSV or XLSX up to 200 MiB. Each row is idempotent by its external_id: a repeat is a duplicate, never posted twice. 201 with the result; 422 when no row could be posted.',
        consumes: ['multipart/form-data'],
      },
      preValidation: requireRoles('finance'),
    },
    async (request, reply) => {
      const upload = await receiveUpload(request, ['client']);
      try {
        const code = clientCode.safeParse(upload.fields.client);
        if (!code.success) throw new RequestFieldError('client', 'give the client code');
        const client = await findClientByCode(db, code.data);
        assertClientAccess(principalOf(request), client.id, 'client');
        const result = await importPayments(db, {
          filePath: upload.filePath,
          clientCode: client.code,
          actor: actorOf(request),
        });
        const out = { ...result, file: upload.fileName, error_file: null };
        await auditChange(deps, request, {
          action: 'payment_file.imported',
          entityType: 'payment_import',
          entityId: result.import_id,
          clientId: client.id,
          after: {
            file: upload.fileName,
            sha256: result.sha256,
            rows: result.rows,
            posted: result.posted,
            reversed: result.reversed,
            duplicates: result.duplicates,
            rejected: result.rejected,
            posted_total_minor: result.posted_total_minor,
          },
        });
        if (result.posted + result.reversed + result.duplicates === 0 && result.rejected > 0) {
          throw new HuikuanError(
            'bad_input',
            `No row of ${upload.fileName} could be posted (${result.rejected} rejected). Fix the rows listed and upload it again.`,
            out,
          );
        }
        return reply.status(201).send(out);
      } finally {
        await upload.cleanup();
      }
    },
  );

  app.post(
    '/payment-claims',
    {
      schema: {
        response: documented({ 201: claimResponse }),
        tags: ['payments'],
        summary: 'Register a payment the debtor says they made (awaits verification by finance)',
        body: z.object({
          account_id: idText,
          amount_minor: positiveMinor,
          paid_on: businessDate,
          channel: z.enum(channelNames),
          reference: z.string().trim().max(200).optional(),
        }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const body = request.body;
      const clientId = await accountClient(body.account_id);
      assertClientAccess(principalOf(request), clientId, 'account');
      // the claim and its audit event commit together
      const claim = await db.transaction().execute(async (trx) => {
        const registered = await registerClaim(trx, {
          accountId: body.account_id,
          amountMinor: body.amount_minor,
          paidOn: body.paid_on,
          channel: body.channel,
          reference: body.reference,
          actor: actorOf(request),
          today: todayIn(),
        });
        await auditChange(
          deps,
          request,
          {
            action: 'payment_claim.registered',
            entityType: 'payment_claim',
            entityId: registered.id,
            clientId,
            after: registered,
          },
          trx,
        );
        return registered;
      });
      return reply.status(201).send(claim);
    },
  );

  async function accountClient(accountId: bigint): Promise<bigint> {
    const row = await db
      .selectFrom('accounts')
      .select('client_id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
    return row.client_id;
  }

  app.get(
    '/payment-claims',
    {
      schema: {
        response: documented({ 200: pageSchema(claimResponse) }),
        tags: ['payments'],
        summary: 'Payment claims in scope (an agent sees its own), newest first',
        querystring: z.object({
          status: z.enum(['pending', 'verified', 'rejected']).optional(),
          client: clientCode.optional(),
          account_id: idText.optional(),
          ...pageQuery,
        }),
      },
      preValidation: requireRoles('agent', 'supervisor', 'finance', 'admin'),
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
        const ownOnly = !hasRole(principal, 'supervisor', 'finance', 'admin');
        const { items, total } = await listClaims(db, {
          clientIds: scopeOf(principal),
          clientId,
          status: query.status,
          accountId: query.account_id,
          claimedBy: ownOnly ? principal.username : undefined,
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.post(
    '/payment-claims/:id/verify',
    {
      schema: {
        response: documented({ 200: claimResponse }),
        tags: ['payments'],
        summary: 'Verify a claim against the bank: the payment is posted through the ledger',
        params: idParam,
      },
      preValidation: requireRoles('finance'),
    },
    async (request) => {
      const clientId = await claimClientId(db, request.params.id);
      assertClientAccess(principalOf(request), clientId, 'payment claim');
      const claim = await verifyClaim(db, request.params.id, actorOf(request));
      await auditChange(deps, request, {
        action: 'payment_claim.verified',
        entityType: 'payment_claim',
        entityId: claim.id,
        clientId,
        before: { status: 'pending' },
        after: { status: claim.status, entry_id: claim.entry_id },
      });
      return claim;
    },
  );

  app.post(
    '/payment-claims/:id/reject',
    {
      schema: {
        response: documented({ 200: claimResponse }),
        tags: ['payments'],
        summary: 'Reject a claim (跳票 / 作废) with a reason',
        params: idParam,
        body: z.object({ reason: reasonText }),
      },
      preValidation: requireRoles('finance'),
    },
    async (request) => {
      const clientId = await claimClientId(db, request.params.id);
      assertClientAccess(principalOf(request), clientId, 'payment claim');
      const claim = await db.transaction().execute(async (trx) => {
        const rejected = await rejectClaim(trx, request.params.id, actorOf(request), request.body.reason);
        await auditChange(
          deps,
          request,
          {
            action: 'payment_claim.rejected',
            entityType: 'payment_claim',
            entityId: rejected.id,
            clientId,
            before: { status: 'pending' },
            after: { status: rejected.status, reason: rejected.reject_reason },
          },
          trx,
        );
        return rejected;
      });
      return claim;
    },
  );
}
