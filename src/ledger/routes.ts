/**
 * HTTP routes over the ledger: balances, reversals, proposals (discount, settlement, write-off,
 * recall, adjustment), the approvals inbox (maker-checker within each user's approval limit), and
 * the figures for charts.
 */
import { z } from 'zod';
import { findClientByCode, listClients } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
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
  businessDate,
  clientCode,
  idParam,
  idText,
  minorAmount,
  pageQuery,
  positiveMinor,
  reasonText,
  type ServerDeps,
  slicePage,
} from '../server/context.ts';
import {
  approvalItem,
  balanceResponse,
  bucketsResponse,
  collectionsResponse,
  decisionResponse,
  documented,
  pageOf as pageSchema,
  proposalOutcome,
  reversalResponse,
} from '../server/responses.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  agreeSettlement,
  approveProposal,
  discount,
  listProposals,
  type PostedOrProposed,
  proposeAdjustment,
  proposeRecall,
  proposeWriteOff,
  rejectProposal,
  reverseEntry,
} from './events.ts';
import { type Components, writeOffReasons } from './model.ts';
import { balances } from './queries.ts';
import { balancesByBucket, collectionsByDay } from './stats.ts';

const readers = [...staffRoles, 'client'] as const;
const approvers = ['supervisor', 'finance', 'admin'] as const;

const componentAmounts = z
  .object({
    principal_minor: minorAmount.optional(),
    interest_minor: minorAmount.optional(),
    fees_minor: minorAmount.optional(),
    penalty_minor: minorAmount.optional(),
  })
  .strict();

function components(amounts: z.infer<typeof componentAmounts>): Partial<Components> {
  const out: Partial<Components> = {};
  if (amounts.principal_minor !== undefined) out.principal = amounts.principal_minor;
  if (amounts.interest_minor !== undefined) out.interest = amounts.interest_minor;
  if (amounts.fees_minor !== undefined) out.fees = amounts.fees_minor;
  if (amounts.penalty_minor !== undefined) out.penalty = amounts.penalty_minor;
  return out;
}

const common = { account_id: idText, effective_date: businessDate.optional() };

const proposalBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('discount'),
    ...common,
    amount_minor: positiveMinor,
    components: componentAmounts.optional(),
    reason: reasonText,
  }),
  z.object({
    kind: z.literal('settlement'),
    ...common,
    amount_minor: positiveMinor,
    reason: reasonText.optional(),
  }),
  z.object({
    kind: z.literal('write_off'),
    ...common,
    reason: z.enum(writeOffReasons),
    note: z.string().trim().max(2000).optional(),
  }),
  z.object({ kind: z.literal('recall'), ...common, reason: reasonText }),
  z.object({ kind: z.literal('adjustment'), ...common, amounts: componentAmounts, reason: reasonText }),
]);

function outcomeJson(result: PostedOrProposed) {
  switch (result.status) {
    case 'posted':
      return { status: 'posted' as const, entry_id: result.entryId };
    case 'proposed':
      return { status: 'proposed' as const, proposal_id: result.proposalId };
    case 'agreed':
      return { status: 'agreed' as const, settlement_id: result.settlementId };
  }
}

/** The money a proposal moves, for the approver's limit. */
async function proposalAmount(
  db: Db,
  proposal: { kind: string; payload: unknown; account_id: bigint | null },
) {
  const payload = (proposal.payload ?? {}) as Record<string, unknown>;
  const account =
    proposal.account_id === null
      ? null
      : await db
          .selectFrom('accounts')
          .select(['principal_minor', 'interest_minor', 'fees_minor', 'penalty_minor'])
          .where('id', '=', proposal.account_id)
          .executeTakeFirst();
  const balance = account
    ? account.principal_minor + account.interest_minor + account.fees_minor + account.penalty_minor
    : 0n;
  switch (proposal.kind) {
    case 'discount':
      return BigInt(String(payload.amount_minor ?? '0'));
    case 'settlement':
      return balance - BigInt(String(payload.amount_minor ?? '0'));
    case 'adjustment': {
      const parts = (payload.components ?? {}) as Record<string, string>;
      return Object.values(parts).reduce((sum, value) => sum + BigInt(value), 0n);
    }
    default:
      return balance;
  }
}

function checkLimit(principal: Principal, amount: bigint, id: bigint): void {
  const limit = principal.approvalLimitMinor;
  if (limit !== null && amount > limit) {
    throw new HuikuanError(
      'forbidden',
      `Proposal ${id} moves ${amount} minor units, above your approval limit of ${limit}; someone with a higher limit must approve it.`,
    );
  }
}

export async function ledgerRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  async function accountOf(request: Parameters<typeof principalOf>[0], accountId: bigint) {
    const row = await db
      .selectFrom('accounts')
      .select(['id', 'client_id'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
    assertClientAccess(principalOf(request), row.client_id, 'account');
    return row;
  }

  app.get(
    '/balances',
    {
      schema: {
        response: documented({ 200: pageSchema(balanceResponse) }),
        tags: ['ledger'],
        summary:
          "Each client's balances by component and its collected, discounted, commission and payable sums",
        querystring: z.object({ client: clientCode.optional(), ...pageQuery }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const principal = principalOf(request);
        const scope = scopeOf(principal);
        let clients: { id: bigint; code: string }[];
        if (request.query.client !== undefined) {
          const client = await findClientByCode(db, request.query.client);
          assertClientAccess(principal, client.id, 'client');
          clients = [client];
        } else {
          clients = (await listClients(db)).filter((c) => scope === 'all' || scope.includes(c.id));
        }
        const page = slicePage(clients, request.query);
        const items = [];
        for (const client of page.items)
          items.push(await balances(db, { clientId: client.id, clientCode: client.code }));
        return { ...page, items };
      }),
  );

  app.post(
    '/reversals',
    {
      schema: {
        response: documented({ 200: reversalResponse, 201: reversalResponse }),
        tags: ['ledger'],
        summary: 'Reverse a posted payment (or other entry) by its external id: the exact negation, once',
        body: z.object({
          client: clientCode,
          external_id: z.string().trim().min(1).max(200),
          reason: reasonText,
          effective_date: businessDate.optional(),
        }),
      },
      preValidation: requireRoles('finance'),
    },
    async (request, reply) => {
      const body = request.body;
      const client = await findClientByCode(db, body.client);
      assertClientAccess(principalOf(request), client.id, 'client');
      const result = await reverseEntry(db, {
        clientId: client.id,
        externalId: body.external_id,
        reason: body.reason,
        actor: actorOf(request),
        effectiveDate: body.effective_date,
      });
      const out = {
        status: result.status,
        entry_id: result.entryId,
        reversed_entry_id: result.reversedEntryId,
        account_status: result.accountStatus ?? null,
      };
      if (result.status === 'reversed') {
        await auditChange(deps, request, {
          action: 'entry.reversed',
          entityType: 'journal_entry',
          entityId: result.reversedEntryId,
          clientId: client.id,
          after: { ...out, external_id: body.external_id, reason: body.reason },
        });
      }
      return reply.status(result.status === 'reversed' ? 201 : 200).send(out);
    },
  );

  app.post(
    '/proposals',
    {
      schema: {
        response: documented({ 201: proposalOutcome }),
        tags: ['approvals'],
        summary: 'Propose a discount, settlement, write-off, recall or adjustment',
        description:
          "A discount or settlement within the contract's discount limit takes effect at once (status posted / agreed); above it, and every write-off, recall and adjustment, waits for a second user (status proposed).",
        body: proposalBody,
      },
      preValidation: requireRoles('agent', 'supervisor', 'finance'),
    },
    async (request, reply) => {
      const body = request.body;
      const account = await accountOf(request, body.account_id);
      const base = {
        clientId: account.client_id,
        accountId: account.id,
        actor: actorOf(request),
        effectiveDate: body.effective_date,
      };
      let outcome: ReturnType<typeof outcomeJson>;
      switch (body.kind) {
        case 'discount':
          outcome = outcomeJson(
            await discount(db, {
              ...base,
              amountMinor: body.amount_minor,
              components: body.components ? components(body.components) : undefined,
              reason: body.reason,
            }),
          );
          break;
        case 'settlement':
          outcome = outcomeJson(
            await agreeSettlement(db, { ...base, amountMinor: body.amount_minor, reason: body.reason }),
          );
          break;
        case 'write_off':
          outcome = outcomeJson({
            status: 'proposed',
            proposalId: await proposeWriteOff(db, { ...base, reason: body.reason, note: body.note }),
          });
          break;
        case 'recall':
          outcome = outcomeJson({
            status: 'proposed',
            proposalId: await proposeRecall(db, { ...base, reason: body.reason }),
          });
          break;
        case 'adjustment':
          outcome = outcomeJson({
            status: 'proposed',
            proposalId: await proposeAdjustment(db, {
              ...base,
              amounts: components(body.amounts),
              reason: body.reason,
            }),
          });
          break;
      }
      await auditChange(deps, request, {
        action: `${body.kind}.${outcome.status}`,
        entityType:
          outcome.status === 'proposed'
            ? 'ledger_proposal'
            : outcome.status === 'agreed'
              ? 'settlement'
              : 'journal_entry',
        entityId:
          outcome.status === 'proposed'
            ? outcome.proposal_id
            : outcome.status === 'agreed'
              ? outcome.settlement_id
              : outcome.entry_id,
        clientId: account.client_id,
        after: { ...body, ...outcome },
      });
      return reply.status(201).send({ kind: body.kind, account_id: account.id, ...outcome });
    },
  );

  app.get(
    '/approvals',
    {
      schema: {
        response: documented({ 200: pageSchema(approvalItem) }),
        tags: ['approvals'],
        summary: 'Proposals awaiting (or past) a decision, in scope',
        querystring: z.object({
          status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'),
          client: clientCode.optional(),
          ...pageQuery,
        }),
      },
      preValidation: requireRoles(...approvers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const principal = principalOf(request);
        const scope = scopeOf(principal);
        let clientId: bigint | undefined;
        if (request.query.client !== undefined) {
          const client = await findClientByCode(db, request.query.client);
          assertClientAccess(principal, client.id, 'client');
          clientId = client.id;
        }
        const all = (await listProposals(db, { status: request.query.status, clientId })).filter(
          (p) => scope === 'all' || scope.includes(p.client_id),
        );
        all.reverse();
        const page = slicePage(all, request.query);
        return {
          ...page,
          items: page.items.map((p) => ({ ...p, own: p.proposed_by === principal.username })),
        };
      }),
  );

  async function scopedProposal(request: Parameters<typeof principalOf>[0], id: bigint) {
    const proposal = await db
      .selectFrom('ledger_proposals')
      .select(['id', 'client_id', 'account_id', 'kind', 'payload', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!proposal) throw new HuikuanError('not_found', `There is no proposal ${id}.`);
    assertClientAccess(principalOf(request), proposal.client_id, 'proposal');
    return proposal;
  }

  app.post(
    '/approvals/:id/approve',
    {
      schema: {
        response: documented({ 200: decisionResponse }),
        tags: ['approvals'],
        summary: 'Approve a proposal (never your own; within your approval limit): its entry is posted',
        params: idParam,
        body: z.object({ reason: z.string().trim().max(2000).optional() }).nullish(),
      },
      preValidation: requireRoles(...approvers),
    },
    async (request) => {
      const proposal = await scopedProposal(request, request.params.id);
      if (proposal.status === 'pending') {
        checkLimit(principalOf(request), await proposalAmount(db, proposal), proposal.id);
      }
      const result = await approveProposal(db, {
        proposalId: proposal.id,
        actor: actorOf(request),
        reason: request.body?.reason,
      });
      const out = {
        proposal_id: result.proposalId,
        kind: result.kind,
        status: 'approved' as const,
        entry_id: result.entryId,
        settlement_id: result.settlementId ?? null,
      };
      await auditChange(deps, request, {
        action: 'proposal.approved',
        entityType: 'ledger_proposal',
        entityId: proposal.id,
        clientId: proposal.client_id,
        before: { status: 'pending' },
        after: out,
      });
      return out;
    },
  );

  app.post(
    '/approvals/:id/reject',
    {
      schema: {
        response: documented({ 200: decisionResponse }),
        tags: ['approvals'],
        summary: 'Reject a proposal with a reason (never your own)',
        params: idParam,
        body: z.object({ reason: reasonText }),
      },
      preValidation: requireRoles(...approvers),
    },
    async (request) => {
      const proposal = await scopedProposal(request, request.params.id);
      await rejectProposal(db, {
        proposalId: proposal.id,
        actor: actorOf(request),
        reason: request.body.reason,
      });
      const out = { proposal_id: proposal.id, kind: proposal.kind, status: 'rejected' as const };
      await auditChange(deps, request, {
        action: 'proposal.rejected',
        entityType: 'ledger_proposal',
        entityId: proposal.id,
        clientId: proposal.client_id,
        before: { status: 'pending' },
        after: { ...out, reason: request.body.reason },
      });
      return out;
    },
  );

  async function statsScope(request: Parameters<typeof principalOf>[0], code: string | undefined) {
    const principal = principalOf(request);
    if (code === undefined) return scopeOf(principal);
    const client = await findClientByCode(db, code);
    assertClientAccess(principal, client.id, 'client');
    return [client.id];
  }

  app.get(
    '/stats/balances-by-bucket',
    {
      schema: {
        response: documented({ 200: bucketsResponse }),
        tags: ['stats'],
        summary: 'Live balances and account counts by delinquency bucket (M1 = 1–30 days past due … M6+)',
        querystring: z.object({ client: clientCode.optional() }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const clientIds = await statsScope(request, request.query.client);
        return { as_of: todayIn(), items: await balancesByBucket(db, { clientIds }) };
      }),
  );

  app.get(
    '/stats/collections-by-day',
    {
      schema: {
        response: documented({ 200: collectionsResponse }),
        tags: ['stats'],
        summary:
          'Collections by day (into trust and direct to the client, net of reversals); default the last 30 days',
        querystring: z.object({
          client: clientCode.optional(),
          from: businessDate.optional(),
          to: businessDate.optional(),
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const to = request.query.to ?? todayIn();
        const from = request.query.from ?? addDays(to, -29);
        if (from > to) throw new HuikuanError('bad_usage', `from (${from}) is after to (${to}).`);
        if (addDays(from, 366) < to) throw new HuikuanError('bad_usage', 'Ask for at most 366 days at once.');
        const clientIds = await statsScope(request, request.query.client);
        return { from, to, items: await collectionsByDay(db, { clientIds, from, to }) };
      }),
  );
}
