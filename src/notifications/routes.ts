/**
 * HTTP routes of a user's own notifications (the header's bell): the list with the unread count,
 * marking one or all read, and the user's own e-mail address for the digest. Every staff role may
 * call them and sees only their own notices (and, through row-level security, only those of clients
 * in their scope).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, idText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import {
  listNotifications,
  markAllRead,
  markRead,
  notificationEmail,
  notificationKinds,
  notificationLimits,
  setNotificationEmail,
} from './service.ts';

const id = z.number().int().describe('numeric id');
const instant = z.string().describe('ISO-8601 instant, UTC');

const notificationResponse = z.object({
  id,
  kind: z.enum(notificationKinds),
  client_id: id,
  account_id: id.nullable(),
  watch_id: id.nullable().describe('the risk watch entry it is about'),
  rule: z.string().nullable().describe('the watch rule'),
  detail: z.string(),
  created_at: instant,
  read_at: instant.nullable(),
  emailed_at: instant.nullable().describe('when an e-mail digest carried it'),
});

const emailBody = z.object({
  email: z
    .string()
    .trim()
    .max(254)
    .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address')
    .nullable()
    .describe('your address for the e-mail digest; null: no digest'),
});

function recorderOf(request: FastifyRequest) {
  const principal = principalOf(request);
  return { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null };
}

export async function notificationRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  const tags = ['notifications'];
  const staff = requireRoles(...staffRoles);

  app.get(
    '/notifications',
    {
      schema: {
        response: documented({
          200: z.object({ unread: z.number().int(), items: z.array(notificationResponse) }),
        }),
        tags,
        summary: `Your notifications, newest first (at most ${notificationLimits.listRows}), and how many are unread`,
        querystring: z.object({
          status: z.enum(['unread', 'all']).default('all'),
          limit: z.coerce.number().int().min(1).max(notificationLimits.listRows).default(50),
        }),
      },
      preValidation: staff,
    },
    async (request) =>
      readScoped(db, request, (trx) =>
        listNotifications(trx, principalOf(request).userId, {
          unreadOnly: request.query.status === 'unread',
          limit: request.query.limit,
        }),
      ),
  );

  app.post(
    '/notifications/:id/read',
    {
      schema: {
        response: documented({ 200: notificationResponse }),
        tags,
        summary: 'Mark one of your notifications read (404 for anyone else’s)',
        params: idParam,
      },
      preValidation: staff,
    },
    async (request) =>
      readScoped(db, request, (trx) => markRead(trx, principalOf(request).userId, request.params.id)),
  );

  app.post(
    '/notifications/read-all',
    {
      schema: {
        response: documented({ 200: z.object({ marked: z.number().int() }) }),
        tags,
        summary: 'Mark all your notifications read (up to `up_to_id`, the newest you saw, when given)',
        body: z
          .object({ up_to_id: idText.optional().describe('leave later notices unread') })
          .nullish()
          .describe('optional'),
      },
      preValidation: staff,
    },
    async (request) => ({
      marked: await readScoped(db, request, (trx) =>
        markAllRead(trx, principalOf(request).userId, request.body?.up_to_id ?? undefined),
      ),
    }),
  );

  app.get(
    '/notifications/email',
    {
      schema: {
        response: documented({ 200: z.object({ email: z.string().nullable() }) }),
        tags,
        summary: 'Your address for the e-mail digest of notifications (null: none)',
      },
      preValidation: staff,
    },
    async (request) => ({ email: await notificationEmail(db, principalOf(request).userId) }),
  );

  app.post(
    '/notifications/email',
    {
      schema: {
        response: documented({ 200: z.object({ email: z.string().nullable() }) }),
        tags,
        summary: 'Set or clear your address for the e-mail digest (audited)',
        body: emailBody,
      },
      preValidation: staff,
    },
    async (request) => ({
      email: await setNotificationEmail(
        db,
        principalOf(request).userId,
        request.body.email,
        recorderOf(request),
      ),
    }),
  );
}
