/** HTTP routes for clients and their versioned contracts (/api/v1/clients). */
import { z } from 'zod';
import { assertClientAccess, principalOf, requireRoles, scopeOf, staffRoles } from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import {
  type Api,
  actorOf,
  businessDate,
  clientCode,
  pageQuery,
  type ServerDeps,
  slicePage,
} from '../server/context.ts';
import { clientResponse, contractResponse, documented, pageOf as pageSchema } from '../server/responses.ts';
import type { Contract, ContractTerms } from './model.ts';
import { addClient, addContractVersion, contractHistory, findClientByCode, listClients } from './service.ts';

const component = z.enum(['principal', 'interest', 'fees', 'penalty']);

const terms = {
  jurisdiction: z.enum(['CN', 'US', 'UK']).optional(),
  waterfall: z
    .array(component)
    .length(4)
    .refine((list) => new Set(list).size === 4, 'each component once')
    .optional()
    .describe('the order payments pay the components off'),
  commission: z
    .array(
      z.object({
        from_dpd: z.number().int().min(0),
        to_dpd: z.number().int().min(0).nullable(),
        rate_bp: z.number().int().min(0).max(10_000),
      }),
    )
    .min(1)
    .max(50)
    .optional()
    .describe(
      'commission bands by days past due; they start at 0, touch, and the last is open (to_dpd null)',
    ),
  netting: z.boolean().optional(),
  discount_limit_bp: z.number().int().min(0).max(10_000).optional(),
  accrual_allowed: z.boolean().optional(),
  ends_on: businessDate
    .nullable()
    .optional()
    .describe("the contract's last day (null: open-ended; default: as the latest version)"),
  effective_from: businessDate.optional(),
};

function termsOf(body: {
  jurisdiction?: string;
  waterfall?: ContractTerms['waterfall'];
  commission?: { from_dpd: number; to_dpd: number | null; rate_bp: number }[];
  netting?: boolean;
  discount_limit_bp?: number;
  accrual_allowed?: boolean;
  ends_on?: string | null;
  currency?: string;
}): Partial<ContractTerms> {
  const out: Partial<ContractTerms> = {};
  if (body.currency !== undefined) out.currency = body.currency;
  if (body.jurisdiction !== undefined) out.jurisdiction = body.jurisdiction;
  if (body.waterfall !== undefined) out.waterfall = body.waterfall;
  if (body.commission !== undefined)
    out.commission = body.commission.map((b) => ({
      fromDpd: b.from_dpd,
      toDpd: b.to_dpd,
      rateBp: b.rate_bp,
    }));
  if (body.netting !== undefined) out.netting = body.netting;
  if (body.discount_limit_bp !== undefined) out.discountLimitBp = body.discount_limit_bp;
  if (body.accrual_allowed !== undefined) out.accrualAllowed = body.accrual_allowed;
  if (body.ends_on !== undefined) out.endsOn = body.ends_on;
  return out;
}

export function contractJson(contract: Contract) {
  return {
    id: contract.id,
    version: contract.version,
    effective_from: contract.effectiveFrom,
    currency: contract.currency,
    jurisdiction: contract.jurisdiction,
    waterfall: contract.waterfall,
    commission: contract.commission.map((b) => ({ from_dpd: b.fromDpd, to_dpd: b.toDpd, rate_bp: b.rateBp })),
    netting: contract.netting,
    discount_limit_bp: contract.discountLimitBp,
    accrual_allowed: contract.accrualAllowed,
    ends_on: contract.endsOn,
  };
}

export async function clientRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/clients',
    {
      schema: {
        response: documented({ 200: pageSchema(clientResponse) }),
        tags: ['clients'],
        summary: 'Clients in scope with the contract in force',
        querystring: z.object(pageQuery),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) => {
      const scope = scopeOf(principalOf(request));
      const all = (await listClients(db)).filter((c) => scope === 'all' || scope.includes(c.id));
      return slicePage(
        all.map((c) => ({
          id: c.id,
          code: c.code,
          name: c.name,
          created_by: c.createdBy,
          created_at: c.createdAt,
          contract: contractJson(c.contract),
        })),
        request.query,
      );
    },
  );

  app.post(
    '/clients',
    {
      schema: {
        response: documented({ 201: clientResponse }),
        tags: ['clients'],
        summary: 'Add a client with its first contract',
        body: z.object({
          code: clientCode,
          name: z.string().trim().min(1).max(200),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/, 'an ISO 4217 code')
            .optional(),
          ...terms,
        }),
      },
      preValidation: requireRoles('admin'),
    },
    async (request, reply) => {
      const body = request.body;
      const result = await addClient(
        db,
        { code: body.code, name: body.name, terms: termsOf(body), effectiveFrom: body.effective_from },
        actorOf(request),
      );
      const out = {
        id: result.client.id,
        code: result.client.code,
        name: result.client.name,
        contract: contractJson(result.contract),
      };
      await auditChange(deps, request, {
        action: 'client.created',
        entityType: 'client',
        entityId: result.client.id,
        clientId: result.client.id,
        after: out,
      });
      return reply.status(201).send(out);
    },
  );

  app.get(
    '/clients/:code',
    {
      schema: {
        response: documented({ 200: clientResponse }),
        tags: ['clients'],
        summary: 'A client with every contract version',
        params: z.object({ code: clientCode }),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) => {
      const client = await findClientByCode(db, request.params.code);
      assertClientAccess(principalOf(request), client.id, 'client');
      const history = await contractHistory(db, client.id);
      return {
        id: client.id,
        code: client.code,
        name: client.name,
        created_by: client.createdBy,
        created_at: client.createdAt,
        contracts: history.map(contractJson),
      };
    },
  );

  app.post(
    '/clients/:code/contracts',
    {
      schema: {
        response: documented({ 201: contractResponse }),
        tags: ['clients'],
        summary: 'A new contract version from a date (history is kept)',
        params: z.object({ code: clientCode }),
        body: z.object(terms),
      },
      preValidation: requireRoles('admin'),
    },
    async (request, reply) => {
      const body = request.body;
      const contract = await addContractVersion(
        db,
        request.params.code,
        termsOf(body),
        body.effective_from,
        actorOf(request),
      );
      const out = contractJson(contract);
      await auditChange(deps, request, {
        action: 'contract.created',
        entityType: 'contract',
        entityId: contract.id,
        clientId: contract.clientId,
        after: out,
      });
      return reply.status(201).send(out);
    },
  );
}
