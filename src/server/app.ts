/**
 * The HTTP server: Fastify with zod route schemas (validation and the OpenAPI 3.1 document), one
 * error shape, limits (JSON body 1 MiB, uploads 200 MiB streamed to disk, page size 200, request
 * rate, request time), the routes of every module under /api/v1, and the web UI's build when there
 * is one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { accountRoutes } from '../accounts/routes.ts';
import { allocationRoutes } from '../allocation/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import type { ChannelConfig } from '../channels/config.ts';
import { channelRoutes } from '../channels/routes.ts';
import { clientRoutes } from '../clients/routes.ts';
import { complianceProfileRoutes } from '../compliance/profile-routes.ts';
import { complianceRoutes } from '../compliance/routes.ts';
import { verdictRoutes } from '../compliance/verdicts.ts';
import type { Db } from '../db/connection.ts';
import { savedFilterRoutes } from '../filters/routes.ts';
import { identityPlugin } from '../identity/plugin.ts';
import { teamRoutes } from '../identity/teamRoutes.ts';
import { ledgerRoutes } from '../ledger/routes.ts';
import { notificationRoutes } from '../notifications/routes.ts';
import { paymentRoutes } from '../payments/routes.ts';
import { placementRoutes } from '../placements/routes.ts';
import { qaRoutes } from '../qa/routes.ts';
import { measureRoutes } from '../reports/measures-routes.ts';
import { reportRoutes } from '../reports/routes.ts';
import { retentionRoutes } from '../retention/routes.ts';
import { riskRoutes } from '../risk/platform/routes.ts';
import { toJson } from '../shared/json.ts';
import { experimentRoutes } from '../strategy/experiment-routes.ts';
import { strategyRoutes } from '../strategy/routes.ts';
import { templateRoutes } from '../templates/routes.ts';
import { trainingRoutes } from '../training/routes.ts';
import { worklistRoutes } from '../worklist/routes.ts';
import type { Principal } from './access.ts';
import { type Api, limits, type ServerDeps } from './context.ts';
import { errorBody, handleError, notFoundHandler } from './errors.ts';

export interface BuildOptions {
  db: Db;
  pool: pg.Pool;
  logger?: boolean | { level: string };
  /** Web UI build to serve (default web/dist beside the program, when it exists). */
  webRoot?: string | null;
  /** Overrides of the request rate limit and upload size (tests). */
  requestsPerMinute?: number;
  uploadBytes?: number;
  loginsPerMinute?: number;
  /**
   * Tests only: who is calling, decided after the identity plugin (a non-null answer replaces the
   * session's principal). The program never passes it.
   */
  authenticate?: (request: FastifyRequest) => Promise<Principal | null> | Principal | null;
  /** Secure session cookies (default: when the request came over https). */
  secureCookies?: boolean;
  /** Where the database's version is read for /health. */
  health?: () => Promise<Record<string, unknown>>;
  /** E-mail and SMS settings (default: from the environment, src/channels/config.ts). */
  channels?: ChannelConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, method and URL (the authorisation matrix and the OpenAPI test read it). */
    routeList: { method: string; url: string }[];
  }
}

const defaultWebRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export async function buildServer(options: BuildOptions): Promise<Api> {
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.jsonBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    // request ids for the 500 message and the log
    genReqId: () => crypto.randomUUID(),
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  // money is bigint: every reply is written as JSON with bigint as bare integers; the response
  // schemas are documentation (src/server/responses.ts), not a second serialiser
  app.setSerializerCompiler(() => (data) => toJson(data));
  app.setReplySerializer((payload) => toJson(payload));
  app.setErrorHandler(handleError);

  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') routeList.push({ method, url: route.url });
    // logging in is limited strictly, per IP (password guessing); the lock-out is the identity module's
    if (route.url === '/api/v1/session' && methods.includes('POST')) {
      route.config = {
        ...route.config,
        rateLimit: { max: options.loginsPerMinute ?? limits.loginsPerMinute, timeWindow: 60_000 },
      };
    }
  });

  await app.register(rateLimit, {
    global: true,
    max: options.requestsPerMinute ?? limits.requestsPerMinute,
    timeWindow: 60_000,
    hook: 'preValidation',
    keyGenerator: (request) => (request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody(
        'limit_exceeded',
        `Too many requests: at most ${context.max} a minute. Wait ${context.after} and try again.`,
      ),
    }),
  });

  await app.register(multipart, {
    limits: {
      fileSize: options.uploadBytes ?? limits.uploadBytes,
      files: 1,
      fields: 20,
      fieldSize: 10_000,
      parts: 22,
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Huikuan (回款) API',
        description:
          'The books of a debt-collection agency: clients and contracts, placements, accounts, ledger, payments and approvals. Money is an integer of minor units in fields ending _minor; errors are {error:{code,message,details}}.',
        version: '1',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'hk_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  // sessions, API tokens, CSRF, people and teams (src/identity); sets request.principal
  await app.register(identityPlugin, { db: options.db, secureCookies: options.secureCookies });
  const authenticate = options.authenticate;
  if (authenticate) {
    app.addHook('onRequest', async (request) => {
      const principal = await authenticate(request);
      if (principal) request.principal = principal;
    });
  }
  await app.register(auditRoutes, { db: options.db });

  const deps: ServerDeps = { db: options.db, pool: options.pool };
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/api/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );
  api.get('/health', { schema: { hide: true }, config: { rateLimit: false } }, async () => ({
    status: 'ok',
    ...(options.health ? await options.health() : {}),
  }));

  await api.register(
    async (v1) => {
      await clientRoutes(v1 as unknown as Api, deps);
      await placementRoutes(v1 as unknown as Api, deps);
      await accountRoutes(v1 as unknown as Api, deps);
      await complianceRoutes(v1 as unknown as Api, deps);
      await ledgerRoutes(v1 as unknown as Api, deps);
      await paymentRoutes(v1 as unknown as Api, deps);
      await reportRoutes(v1 as unknown as Api, deps);
      await measureRoutes(v1 as unknown as Api, deps);
      await savedFilterRoutes(v1 as unknown as Api, deps);
      await teamRoutes(v1 as unknown as Api, deps);
      await channelRoutes(v1 as unknown as Api, deps, options.channels);
      await worklistRoutes(v1 as unknown as Api, deps);
      await templateRoutes(v1 as unknown as Api, deps);
      await qaRoutes(v1 as unknown as Api, deps);
      await verdictRoutes(v1 as unknown as Api, deps);
      await complianceProfileRoutes(v1 as unknown as Api, deps);
      await trainingRoutes(v1 as unknown as Api, deps);
      await retentionRoutes(v1 as unknown as Api, deps);
      await allocationRoutes(v1 as unknown as Api, deps);
      await riskRoutes(v1 as unknown as Api, deps);
      await strategyRoutes(v1 as unknown as Api, deps);
      await experimentRoutes(v1 as unknown as Api, deps);
      await notificationRoutes(v1 as unknown as Api, deps);
    },
    { prefix: '/api/v1' },
  );

  const webRoot = options.webRoot === undefined ? defaultWebRoot : options.webRoot;
  if (webRoot && existsSync(path.join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: ['index.html'] });
    app.setNotFoundHandler((request, reply) => {
      const pathname = request.url.split('?')[0] ?? '';
      if (request.method === 'GET' && !pathname.startsWith('/api/') && pathname !== '/health') {
        // the single-page app routes in the browser
        return reply.type('text/html').sendFile('index.html');
      }
      return notFoundHandler(request, reply);
    });
  } else {
    app.setNotFoundHandler(notFoundHandler);
  }
  return api as unknown as Api;
}
