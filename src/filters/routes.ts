/**
 * HTTP routes for saved filters (/api/v1/saved-filters): each signed-in user lists, saves and deletes
 * its own named filter sets of a list (today the account list). Changes are audited; nobody sees or
 * deletes another user's filters.
 */
import { z } from 'zod';
import { principalOf, requireRoles, roles } from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import { type Api, idParam, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { filterFields, filterLists, maxFilterNameLength } from './model.ts';
import { deleteSavedFilter, listSavedFilters, saveFilter } from './service.ts';

const filterValue = z.string().trim().max(200);

export const savedFilterResponse = z.object({
  id: z.number().int(),
  list: z.enum(filterLists),
  name: z.string(),
  filters: z.record(z.string(), z.string()),
  created_at: z.string(),
});

export async function savedFilterRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/saved-filters',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(savedFilterResponse) }) }),
        tags: ['saved filters'],
        summary: "The caller's own saved filters of a list, by name",
        querystring: z.object({ list: z.enum(filterLists).default('accounts') }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request) => ({
      items: await listSavedFilters(db, principalOf(request).userId, request.query.list),
    }),
  );

  app.post(
    '/saved-filters',
    {
      schema: {
        response: documented({ 201: savedFilterResponse }),
        tags: ['saved filters'],
        summary: `Save the current filters of a list under a name (unique per user and list; fields: ${filterFields.accounts.join(', ')})`,
        body: z.object({
          list: z.enum(filterLists).default('accounts'),
          name: z.string().trim().min(1).max(maxFilterNameLength),
          filters: z.record(z.string().max(40), filterValue),
        }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const saved = await db.transaction().execute(async (trx) => {
        const row = await saveFilter(trx, {
          userId: principal.userId,
          list: request.body.list,
          name: request.body.name,
          filters: request.body.filters,
        });
        await auditChange(
          deps,
          request,
          {
            action: 'saved_filter.created',
            entityType: 'saved_filter',
            entityId: row.id,
            after: { list: row.list, name: row.name, filters: row.filters },
          },
          trx,
        );
        return row;
      });
      return reply.status(201).send(saved);
    },
  );

  app.delete(
    '/saved-filters/:id',
    {
      schema: {
        response: documented({ 200: savedFilterResponse }),
        tags: ['saved filters'],
        summary: 'Delete one of your saved filters',
        params: idParam,
      },
      preValidation: requireRoles(...roles),
    },
    async (request) => {
      const principal = principalOf(request);
      return db.transaction().execute(async (trx) => {
        const row = await deleteSavedFilter(trx, principal.userId, request.params.id);
        await auditChange(
          deps,
          request,
          {
            action: 'saved_filter.deleted',
            entityType: 'saved_filter',
            entityId: row.id,
            before: { list: row.list, name: row.name, filters: row.filters },
          },
          trx,
        );
        return row;
      });
    },
  );
}
