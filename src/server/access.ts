/**
 * Who may call a route and which clients they see. The routes ask only these functions, so the
 * rules live in one place: `requireRoles` (401 without a principal, 403 for a role that may not),
 * `scopeOf` (the client ids in scope or 'all') and `assertClientAccess` (404 outside the scope — no
 * existence leak).
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HuikuanError } from '../shared/errors.ts';

export const roles = ['admin', 'supervisor', 'agent', 'finance', 'compliance', 'client'] as const;
export type Role = (typeof roles)[number];
export const staffRoles: Role[] = ['admin', 'supervisor', 'agent', 'finance', 'compliance'];

export type Locale = 'zh-CN' | 'en';

export interface Principal {
  userId: bigint;
  username: string;
  displayName: string;
  roles: Role[];
  clientIds: bigint[] | 'all';
  teamIds: bigint[];
  via: 'session' | 'token';
  /** The API token's scopes; null for a session. */
  scopes: string[] | null;
  locale: Locale;
  approvalLimitMinor: bigint | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by identityPlugin from the session cookie or the Bearer token; null when anonymous. */
    principal: Principal | null;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new HuikuanError('unauthenticated', 'Sign in first (POST /api/v1/session).');
  return principal;
}

/** preHandler: the caller is signed in and holds one of the roles. */
export function requireRoles(...allowed: Role[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = principalOf(request);
    if (!principal.roles.some((role) => allowed.includes(role))) {
      throw new HuikuanError(
        'forbidden',
        `This needs the role ${allowed.join(' or ')}; you are ${principal.roles.join(', ')}.`,
      );
    }
  };
}

export function scopeOf(principal: Principal): bigint[] | 'all' {
  return principal.clientIds;
}

export function inScope(principal: Principal, clientId: bigint): boolean {
  const scope = scopeOf(principal);
  return scope === 'all' || scope.includes(clientId);
}

/** Out of scope reads as "not there": the same 404 as a missing record. */
export function assertClientAccess(principal: Principal, clientId: bigint, what = 'record'): void {
  if (!inScope(principal, clientId)) throw new HuikuanError('not_found', `There is no such ${what}.`);
}

export function hasRole(principal: Principal, ...wanted: Role[]): boolean {
  return principal.roles.some((role) => wanted.includes(role));
}
