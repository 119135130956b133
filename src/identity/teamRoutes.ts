/** PATCH /api/v1/teams/:id: an administrator renames a team or changes the clients assigned to it. */
import { z } from 'zod';
import type { Api, ServerDeps } from '../server/context.ts';
import { idParam } from '../server/context.ts';
import { requireRoles, requireSession } from './guards.ts';
import { updateTeam } from './teams.ts';

export async function teamRoutes(app: Api, deps: ServerDeps): Promise<void> {
  app.patch(
    '/teams/:id',
    {
      preHandler: [requireSession, requireRoles('admin')],
      schema: {
        tags: ['people'],
        summary: "Rename a team or replace its clients (its agents then see those clients' accounts)",
        params: idParam,
        body: z
          .object({
            name: z.string().trim().min(1).max(100).optional(),
            client_codes: z.array(z.string().min(1).max(32)).max(500).optional(),
          })
          .refine((body) => body.name !== undefined || body.client_codes !== undefined, {
            message: 'change the name, the client codes or both',
          }),
      },
    },
    async (request) => {
      const principal = request.principal;
      return updateTeam(
        deps.db,
        request.params.id,
        { name: request.body.name, clientCodes: request.body.client_codes },
        { actor: principal?.username ?? 'anonymous', actorUserId: principal?.userId ?? null, ip: request.ip },
      );
    },
  );
}
