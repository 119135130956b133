/**
 * The identity plugin: sets request.principal from the session cookie (hk_session) or a Bearer API
 * token on every request, enforces CSRF on unsafe methods of cookie sessions, the forced password
 * change, and a token's read/write scopes; and serves the session, users, teams and tokens routes
 * of docs/api-contract.md. Registered with `app.register(identityPlugin, { db })`; it is not
 * encapsulated (skip-override), so its hook and decorator reach every route of the app.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import { requirePrincipal, requireRoles, requireSession } from './guards.ts';
import { type Principal, roles } from './principal.ts';
import {
  type ChangeContext,
  changeOwnPassword,
  createTeam,
  createToken,
  createUser,
  describeUser,
  endSession,
  listTeams,
  listTokens,
  listUsers,
  login,
  type ResolvedSession,
  resetPassword,
  resolveSession,
  resolveToken,
  revokeToken,
  sameSecret,
  sessionAbsolute_ms,
  updateUser,
} from './service.ts';

export interface IdentityOptions {
  db: Kysely<Database>;
  /** The clock (tests move it to expire sessions). */
  now?: () => Date;
  /** Secure cookies; default: when the request came over https (trustProxy decides behind a proxy). */
  secureCookies?: boolean;
}

export const sessionCookie = 'hk_session';
export const csrfHeader = 'x-csrf-token';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const loginRoute = '/api/v1/session';
/** What a user whose password must be changed may still do. */
const allowedWhilePasswordForced = new Set([
  'GET /api/v1/session',
  'DELETE /api/v1/session',
  'POST /api/v1/session/password',
]);

/** The session behind a request (for logout and the password change). */
const sessions = new WeakMap<FastifyRequest, ResolvedSession>();

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json; charset=utf-8').send(toJson(body));
}

function changeContext(request: FastifyRequest): ChangeContext {
  const principal = requirePrincipal(request);
  return { actor: principal.username, actorUserId: principal.userId, ip: request.ip };
}

const page = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(200).default(50),
});

function paged<T>(all: T[], query: { page: number; page_size: number }) {
  const start = (query.page - 1) * query.page_size;
  return { items: all.slice(start, start + query.page_size), total: all.length, ...query };
}

const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a numeric id') });
const roleSchema = z.enum(roles);
const localeSchema = z.enum(['zh-CN', 'en']);
const minorSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

async function resolvePrincipal(
  request: FastifyRequest,
  reply: FastifyReply,
  db: Kysely<Database>,
  now: Date,
): Promise<void> {
  request.principal = null;
  const method = request.method.toUpperCase();
  const route = request.routeOptions.url ?? '';
  const authorization = request.headers.authorization;
  if (authorization !== undefined && /^bearer\s/i.test(authorization)) {
    const principal = await resolveToken(db, authorization.slice(7).trim(), now);
    if (!principal) {
      throw new HuikuanError('unauthenticated', 'The API token is unknown, expired or revoked.');
    }
    const scopes = principal.scopes ?? [];
    if (
      safeMethods.has(method)
        ? !scopes.includes('read') && !scopes.includes('write')
        : !scopes.includes('write')
    ) {
      throw new HuikuanError(
        'forbidden',
        `This API token may not ${safeMethods.has(method) ? 'read' : 'write'}: it has the scopes ${scopes.join(', ')}.`,
      );
    }
    request.principal = principal;
    return;
  }
  const secret = request.cookies[sessionCookie];
  if (secret === undefined || secret === '') return;
  const session = await resolveSession(db, secret, now);
  if (!session) {
    reply.clearCookie(sessionCookie, { path: '/' });
    return;
  }
  request.principal = session.principal;
  sessions.set(request, session);
  if (!safeMethods.has(method) && !(method === 'POST' && route === loginRoute)) {
    const header = request.headers[csrfHeader];
    if (typeof header !== 'string' || !sameSecret(header, session.csrfToken)) {
      throw new HuikuanError(
        'forbidden',
        `The request lacks the right ${csrfHeader} header: send the csrf_token from the login (or GET /api/v1/session).`,
      );
    }
  }
  if (session.mustChangePassword && !allowedWhilePasswordForced.has(`${method} ${route}`)) {
    throw new HuikuanError(
      'forbidden',
      'Your password was set for you and must be changed first: POST /api/v1/session/password.',
      { must_change_password: true },
    );
  }
}

export async function identityPlugin(app: FastifyInstance, opts: IdentityOptions): Promise<void> {
  const { db } = opts;
  const clock = opts.now ?? (() => new Date());
  if (!app.hasDecorator('parseCookie')) await app.register(cookie);
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    await resolvePrincipal(request, reply, db, clock());
  });

  const api = app.withTypeProvider<ZodTypeProvider>();

  // ------------------------------------------------------------ session

  api.post(
    '/api/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Log in: sets the hk_session cookie and returns the CSRF token',
        body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
      },
    },
    async (request, reply) => {
      const result = await login(
        db,
        {
          username: request.body.username,
          password: request.body.password,
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        },
        clock(),
      );
      reply.setCookie(sessionCookie, result.sessionSecret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: opts.secureCookies ?? request.protocol === 'https',
        maxAge: Math.floor(sessionAbsolute_ms / 1000),
      });
      return sendJson(reply, 200, { user: result.user, csrf_token: result.csrfToken });
    },
  );

  api.get(
    '/api/v1/session',
    { schema: { tags: ['session'], summary: 'Who is logged in, with the CSRF token' } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      return sendJson(reply, 200, {
        user: await describeUser(db, principal.userId),
        csrf_token: sessions.get(request)?.csrfToken ?? null,
      });
    },
  );

  api.delete(
    '/api/v1/session',
    { schema: { tags: ['session'], summary: 'Log out' } },
    async (request, reply) => {
      const session = sessions.get(request);
      if (session) await endSession(db, session.sessionHash, changeContext(request));
      reply.clearCookie(sessionCookie, { path: '/' });
      return reply.status(204).send();
    },
  );

  api.post(
    '/api/v1/session/password',
    {
      preHandler: requireSession,
      schema: {
        tags: ['session'],
        summary: 'Change one’s own password (at least 10 characters, not the user name)',
        body: z.object({
          current_password: z.string().min(1).max(1000),
          new_password: z.string().min(1).max(1000),
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await changeOwnPassword(
        db,
        principal.userId,
        request.body.current_password,
        request.body.new_password,
        changeContext(request),
        sessions.get(request)?.sessionHash,
      );
      return reply.status(204).send();
    },
  );

  // ------------------------------------------------------------ users

  api.get(
    '/api/v1/users',
    {
      preHandler: requireRoles('admin', 'supervisor'),
      schema: { tags: ['people'], summary: 'Users', querystring: page },
    },
    async (request, reply) => sendJson(reply, 200, paged(await listUsers(db), request.query)),
  );

  api.get(
    '/api/v1/users/:id',
    { schema: { tags: ['people'], summary: 'One user', params: idParam } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const id = BigInt(request.params.id);
      if (id !== principal.userId && !principal.roles.some((r) => r === 'admin' || r === 'supervisor')) {
        throw new HuikuanError('forbidden', 'You may see only your own user.');
      }
      return sendJson(reply, 200, await describeUser(db, id));
    },
  );

  api.post(
    '/api/v1/users',
    {
      preHandler: [requireSession, requireRoles('admin')],
      schema: {
        tags: ['people'],
        summary: 'Add a user (without a password one is generated, shown once, and changed at first login)',
        body: z.object({
          username: z.string().min(1).max(64),
          display_name: z.string().min(1).max(200),
          roles: z.array(roleSchema).min(1),
          team_id: z.number().int().positive().nullish(),
          client_codes: z.array(z.string().min(1).max(32)).optional(),
          password: z.string().min(1).max(1000).optional(),
          approval_limit_minor: minorSchema.nullish(),
          locale: localeSchema.optional(),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await createUser(
        db,
        {
          username: body.username,
          displayName: body.display_name,
          roles: body.roles,
          team: body.team_id === undefined || body.team_id === null ? null : BigInt(body.team_id),
          clientCodes: body.client_codes,
          password: body.password,
          approvalLimitMinor:
            body.approval_limit_minor === undefined || body.approval_limit_minor === null
              ? null
              : BigInt(body.approval_limit_minor),
          locale: body.locale,
        },
        changeContext(request),
      );
      return sendJson(reply, 201, { ...result.user, generated_password: result.generatedPassword });
    },
  );

  api.patch(
    '/api/v1/users/:id',
    {
      preHandler: [requireSession, requireRoles('admin')],
      schema: {
        tags: ['people'],
        summary:
          'Change a user: roles, team, clients, active, approval limit, locale; unlock; reset password',
        params: idParam,
        body: z.object({
          display_name: z.string().min(1).max(200).optional(),
          roles: z.array(roleSchema).min(1).optional(),
          team_id: z.number().int().positive().nullable().optional(),
          client_codes: z.array(z.string().min(1).max(32)).optional(),
          active: z.boolean().optional(),
          approval_limit_minor: minorSchema.nullable().optional(),
          locale: localeSchema.optional(),
          unlock: z.boolean().optional(),
          reset_password: z.boolean().optional(),
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const id = BigInt(request.params.id);
      const body = request.body;
      if (
        id === principal.userId &&
        (body.active === false || (body.roles && !body.roles.includes('admin')))
      ) {
        throw new HuikuanError(
          'invalid_state',
          'You cannot disable yourself or take away your own admin role.',
        );
      }
      const context = changeContext(request);
      let user = await updateUser(
        db,
        { id },
        {
          displayName: body.display_name,
          roles: body.roles,
          team: body.team_id === undefined ? undefined : body.team_id === null ? null : BigInt(body.team_id),
          clientCodes: body.client_codes,
          active: body.active,
          approvalLimitMinor:
            body.approval_limit_minor === undefined
              ? undefined
              : body.approval_limit_minor === null
                ? null
                : BigInt(body.approval_limit_minor),
          locale: body.locale,
          unlock: body.unlock,
        },
        context,
      );
      let generatedPassword: string | null = null;
      if (body.reset_password) {
        const reset = await resetPassword(db, user.username, undefined, context);
        user = reset.user;
        generatedPassword = reset.generatedPassword;
      }
      return sendJson(reply, 200, { ...user, generated_password: generatedPassword });
    },
  );

  // ------------------------------------------------------------ teams

  api.get(
    '/api/v1/teams',
    {
      preHandler: requireRoles('admin', 'supervisor'),
      schema: { tags: ['people'], summary: 'Teams with their clients', querystring: page },
    },
    async (request, reply) => sendJson(reply, 200, paged(await listTeams(db), request.query)),
  );

  api.post(
    '/api/v1/teams',
    {
      preHandler: [requireSession, requireRoles('admin')],
      schema: {
        tags: ['people'],
        summary: 'Add a team with the clients assigned to it',
        body: z.object({
          name: z.string().min(1).max(100),
          client_codes: z.array(z.string().min(1).max(32)).default([]),
        }),
      },
    },
    async (request, reply) =>
      sendJson(
        reply,
        201,
        await createTeam(
          db,
          { name: request.body.name, clientCodes: request.body.client_codes },
          changeContext(request),
        ),
      ),
  );

  // ------------------------------------------------------------ API tokens

  const isAdmin = (principal: Principal) => principal.roles.includes('admin');

  api.get(
    '/api/v1/tokens',
    {
      preHandler: requireSession,
      schema: { tags: ['people'], summary: 'API tokens (one’s own; all for an admin)', querystring: page },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tokens = await listTokens(db, isAdmin(principal) ? undefined : principal.userId);
      return sendJson(reply, 200, paged(tokens, request.query));
    },
  );

  api.post(
    '/api/v1/tokens',
    {
      preHandler: requireSession,
      schema: {
        tags: ['people'],
        summary: 'Create an API token for oneself; the secret is shown once',
        body: z.object({
          name: z.string().min(1).max(100),
          scopes: z.array(z.string().min(1).max(50)).min(1),
          expires_at: z.iso.datetime({ offset: true }).optional(),
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const result = await createToken(
        db,
        {
          user: { id: principal.userId },
          name: request.body.name,
          scopes: request.body.scopes,
          expiresAt: request.body.expires_at ? new Date(request.body.expires_at) : null,
        },
        changeContext(request),
      );
      return sendJson(reply, 201, { ...result.token, secret: result.secret });
    },
  );

  api.delete(
    '/api/v1/tokens/:id',
    {
      preHandler: requireSession,
      schema: { tags: ['people'], summary: 'Revoke an API token', params: idParam },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await revokeToken(
        db,
        BigInt(request.params.id),
        changeContext(request),
        isAdmin(principal) ? undefined : principal.userId,
      );
      return reply.status(204).send();
    },
  );
}

// Not encapsulated: the principal hook and decorator apply to the routes of the whole app.
Object.assign(identityPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'huikuan-identity',
});
