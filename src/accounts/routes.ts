/** HTTP routes for accounts (/api/v1/accounts): lists, detail, ledger history, timeline, notes, reveal. */
import { z } from 'zod';
import { findClientByCode } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { accountHistory } from '../ledger/queries.ts';
import { checkNote } from '../qa/service.ts';
import {
  assertClientAccess,
  type Principal,
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
  clientCode,
  idParam,
  idText,
  minorAmount,
  pageOf,
  pageQuery,
  type ServerDeps,
} from '../server/context.ts';
import { RequestFieldError } from '../server/errors.ts';
import {
  accountDetailResponse,
  accountPage,
  documented,
  ledgerPage,
  noteResponse,
  revealResponse,
  timelinePage,
} from '../server/responses.ts';
import { todayIn } from '../shared/dates.ts';
import {
  type AccountFilter,
  accountClientId,
  accountTimeline,
  addNote,
  bucketOf,
  buckets,
  daysPastDue,
  listAccounts,
  revealContactPoint,
} from './listing.ts';
import { accountDetail, revealIdNumber } from './service.ts';

const statuses = ['active', 'paid', 'settled', 'closed', 'recalled', 'written_off'] as const;
const readers = [...staffRoles, 'client'] as const;

/** The account list's filters, shared by the list and its XLSX export (src/reports). */
export const accountFilterQuery = {
  client: clientCode.optional(),
  batch: idText.optional(),
  status: z.enum(statuses).optional(),
  bucket: z.enum(buckets).optional().describe('M1 = 1–30 days past due … M6 = 151–180, M6+ beyond'),
  min_balance_minor: minorAmount.optional(),
  max_balance_minor: minorAmount.optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('an exact account reference, a debtor name (or its beginning), or an exact phone or ID number'),
};

/**
 * The list filter of a query: the caller's client scope, and the named client (by code) if it is in
 * that scope (else 404 as for any client outside it).
 */
export async function accountFilterOf(
  db: Db,
  principal: Principal,
  query: z.infer<z.ZodObject<typeof accountFilterQuery>>,
): Promise<Omit<AccountFilter, 'offset' | 'limit'>> {
  let clientId: bigint | undefined;
  if (query.client !== undefined) {
    const client = await findClientByCode(db, query.client);
    assertClientAccess(principal, client.id, 'client');
    clientId = client.id;
  }
  return {
    clientIds: scopeOf(principal),
    clientId,
    batchId: query.batch,
    status: query.status,
    bucket: query.bucket,
    minBalanceMinor: query.min_balance_minor,
    maxBalanceMinor: query.max_balance_minor,
    q: query.q,
  };
}

export async function accountRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  /**
   * The account's client, checked against the caller's scope (404 outside it). Inside readScoped
   * pass its transaction: a second connection taken while the first is held starves the pool
   * under load (every connection held, each request waiting for one more).
   */
  async function scopedAccount(
    request: Parameters<typeof principalOf>[0],
    accountId: bigint,
    on: typeof db = db,
  ): Promise<bigint> {
    const clientId = await accountClientId(on, accountId);
    assertClientAccess(principalOf(request), clientId, 'account');
    return clientId;
  }

  app.get(
    '/accounts',
    {
      schema: {
        response: documented({ 200: accountPage }),
        tags: ['accounts'],
        summary: 'Accounts in scope, filtered and paged, newest first',
        querystring: z.object({ ...accountFilterQuery, ...pageQuery }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const query = request.query;
        const filter = await accountFilterOf(db, principalOf(request), query);
        const { items, total, total_capped } = await listAccounts(db, {
          ...filter,
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return { ...pageOf(items, total, query), total_capped };
      }),
  );

  app.get(
    '/accounts/:id',
    {
      schema: {
        response: documented({ 200: accountDetailResponse }),
        tags: ['accounts'],
        summary: 'An account: debtor, masked contact points, balance by component, days past due and bucket',
        params: idParam,
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        // the account's own row says its client: the scope check needs no query of its own
        const a = await accountDetail(db, request.params.id);
        assertClientAccess(principalOf(request), a.clientId, 'account');
        const dpd = daysPastDue(a.delinquencyDate, todayIn());
        return {
          id: a.id,
          client: a.clientCode,
          client_id: a.clientId,
          batch_id: a.batchId,
          ref: a.ref,
          status: a.status,
          currency: a.currency.trim(),
          product_type: a.productType,
          original_creditor: a.originalCreditor,
          delinquency_date: a.delinquencyDate,
          charge_off_date: a.chargeOffDate,
          open_date: a.openDate,
          last_payment_date: a.lastPaymentDate,
          last_payment_amount_minor: a.lastPaymentAmountMinor,
          notes: a.notes,
          days_past_due: dpd,
          bucket: bucketOf(dpd),
          balance: {
            principal_minor: a.principalMinor,
            interest_minor: a.interestMinor,
            fees_minor: a.feesMinor,
            penalty_minor: a.penaltyMinor,
            overpayment_minor: a.overpaymentMinor,
            total_minor: a.principalMinor + a.interestMinor + a.feesMinor + a.penaltyMinor,
          },
          placed: {
            principal_minor: a.placed.principalMinor,
            interest_minor: a.placed.interestMinor,
            fees_minor: a.placed.feesMinor,
            penalty_minor: a.placed.penaltyMinor,
            total_minor:
              a.placed.principalMinor + a.placed.interestMinor + a.placed.feesMinor + a.placed.penaltyMinor,
          },
          debtor: {
            id: a.debtor.id,
            name: a.debtor.name,
            id_number_masked: a.debtor.idNumberMasked,
            date_of_birth: a.debtor.dateOfBirth,
            address: a.debtor.address,
            city: a.debtor.city,
            region: a.debtor.region,
            postal_code: a.debtor.postalCode,
            country: a.debtor.country,
            contact_points: a.debtor.contactPoints.map((c) => ({
              id: c.id,
              kind: c.kind,
              position: c.position,
              masked: c.masked,
              status: c.status,
            })),
          },
        };
      }),
  );

  app.get(
    '/accounts/:id/ledger',
    {
      schema: {
        response: documented({ 200: ledgerPage }),
        tags: ['accounts'],
        summary: "The account's journal entries with their postings, newest first",
        params: idParam,
        querystring: z.object({
          before_entry_id: idText
            .optional()
            .describe('continue after this entry (the previous page’s next_before_entry_id)'),
          page_size: pageQuery.page_size,
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const id = request.params.id;
        await scopedAccount(request, id, db);
        const history = await accountHistory(db, {
          accountId: id,
          limit: request.query.page_size,
          beforeEntryId: request.query.before_entry_id,
        });
        return {
          items: history.entries,
          total: history.total,
          page_size: request.query.page_size,
          next_before_entry_id: history.next_before_entry_id,
        };
      }),
  );

  app.get(
    '/accounts/:id/timeline',
    {
      schema: {
        response: documented({ 200: timelinePage }),
        tags: ['accounts'],
        summary:
          'Everything that happened to the account: status events, ledger entries and notes, newest first',
        params: idParam,
        querystring: z.object(pageQuery),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        await scopedAccount(request, request.params.id, db);
        const query = request.query;
        const { items, total } = await accountTimeline(db, request.params.id, {
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.post(
    '/accounts/:id/notes',
    {
      schema: {
        response: documented({ 201: noteResponse }),
        tags: ['accounts'],
        summary: 'Add a note to the account',
        params: idParam,
        body: z.object({ text: z.string().trim().min(1).max(4000) }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const clientId = await scopedAccount(request, request.params.id);
      // the note and its audit event commit together
      const note = await db.transaction().execute(async (trx) => {
        const added = await addNote(trx, {
          accountId: request.params.id,
          clientId,
          body: request.body.text,
          author: actorOf(request),
        });
        await auditChange(
          deps,
          request,
          {
            action: 'account_note.created',
            entityType: 'account_note',
            entityId: added.id,
            clientId,
            after: { account_id: added.account_id, body: added.body },
          },
          trx,
        );
        // a note that fails the quality check is kept (it is a record) and opens a QA case
        await checkNote(trx, {
          id: added.id,
          clientId,
          accountId: added.account_id,
          author: added.author,
          body: added.body,
        });
        return added;
      });
      return reply.status(201).send(note);
    },
  );

  app.post(
    '/accounts/:id/reveal',
    {
      schema: {
        response: documented({ 200: revealResponse }),
        tags: ['accounts'],
        summary: "Reveal the debtor's clear ID number or one phone number (audited)",
        params: idParam,
        body: z.object({
          field: z.enum(['id_number', 'phone']),
          contact_point_id: idText.optional(),
          purpose: z.string().trim().max(500).optional(),
        }),
      },
      preValidation: requireRoles('supervisor', 'compliance', 'admin'),
    },
    async (request) => {
      const id = request.params.id;
      const clientId = await scopedAccount(request, id);
      const account = await db
        .selectFrom('accounts')
        .select('debtor_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const body = request.body;
      let value: string | null;
      let entity: { type: string; id: bigint };
      if (body.field === 'id_number') {
        value = await revealIdNumber(db, account.debtor_id);
        entity = { type: 'debtor', id: account.debtor_id };
      } else {
        if (body.contact_point_id === undefined) {
          throw new RequestFieldError(
            'body.contact_point_id',
            'name the contact point whose number to reveal',
          );
        }
        const contact = await revealContactPoint(db, account.debtor_id, body.contact_point_id);
        if (contact.kind !== 'phone') {
          throw new RequestFieldError('body.contact_point_id', 'that contact point is not a phone number');
        }
        value = contact.value;
        entity = { type: 'contact_point', id: body.contact_point_id };
      }
      await auditChange(deps, request, {
        action: 'pii.revealed',
        entityType: entity.type,
        entityId: entity.id,
        clientId,
        after: { account_id: id, field: body.field, purpose: body.purpose ?? null },
      });
      return { account_id: id, field: body.field, contact_point_id: body.contact_point_id ?? null, value };
    },
  );
}
