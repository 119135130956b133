/** GET /api/v1/audit: the audit trail, filtered and paged, for compliance and admins. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { requireRoles } from '../identity/guards.ts';
import { toJson } from '../shared/json.ts';
import { listAudit } from './service.ts';

export async function auditRoutes(app: FastifyInstance, opts: { db: Kysely<Database> }): Promise<void> {
  const { db } = opts;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/audit',
    {
      preHandler: requireRoles('compliance', 'admin'),
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first',
        querystring: z.object({
          actor: z.string().min(1).max(200).optional(),
          action: z.string().min(1).max(100).optional(),
          entity_type: z.string().min(1).max(100).optional(),
          entity_id: z.string().min(1).max(100).optional(),
          client_id: z
            .string()
            .regex(/^\d{1,18}$/)
            .optional(),
          from: z.string().min(1).max(40).optional(),
          to: z.string().min(1).max(40).optional(),
          page: z.coerce.number().int().min(1).default(1),
          page_size: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const result = await listAudit(db, {
        actor: q.actor,
        action: q.action,
        entityType: q.entity_type,
        entityId: q.entity_id,
        clientId: q.client_id === undefined ? undefined : BigInt(q.client_id),
        from: q.from,
        to: q.to,
        limit: q.page_size,
        offset: (q.page - 1) * q.page_size,
      });
      return reply
        .type('application/json; charset=utf-8')
        .send(toJson({ items: result.items, total: result.total, page: q.page, page_size: q.page_size }));
    },
  );
}
