/**
 * Route guards. Use as preHandler hooks: `{ preHandler: requireRoles('finance', 'admin') }`. Scope
 * helpers for services: clientScope for queries, assertClientAccess for one record (404 outside the
 * caller's scope, so existence does not leak).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HuikuanError } from '../shared/errors.ts';
import type { Principal, Role } from './principal.ts';

export function requirePrincipal(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) {
    throw new HuikuanError(
      'unauthenticated',
      'Log in first (POST /api/v1/session) or send a Bearer API token.',
    );
  }
  return principal;
}

/** 401 without a principal; 403 unless it holds one of `roles` (no roles given: any signed-in user). */
export function requireRoles(...roles: Role[]) {
  return async function requireRolesHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = requirePrincipal(request);
    if (roles.length > 0 && !principal.roles.some((role) => roles.includes(role))) {
      throw new HuikuanError(
        'forbidden',
        `Your role (${principal.roles.join(', ')}) may not do this; it needs ${roles.join(' or ')}.`,
      );
    }
  };
}

/** For API tokens: each named scope must be granted (sessions pass). */
export function requireScopes(...scopes: string[]) {
  return async function requireScopesHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = requirePrincipal(request);
    if (principal.scopes === null) return;
    const missing = scopes.filter((s) => !principal.scopes?.includes(s));
    if (missing.length > 0) {
      throw new HuikuanError('forbidden', `This API token lacks the scope ${missing.join(', ')}.`);
    }
  };
}

/** Refuses API tokens (routes that manage people and credentials need a person). */
export async function requireSession(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const principal = requirePrincipal(request);
  if (principal.via !== 'session') {
    throw new HuikuanError('forbidden', 'This route needs a logged-in person, not an API token.');
  }
}

/** The clients a principal may see: 'all' or a list of ids (possibly empty). */
export function clientScope(principal: Principal): bigint[] | 'all' {
  return principal.clientIds;
}

export function canSeeClient(principal: Principal, clientId: bigint): boolean {
  return principal.clientIds === 'all' || principal.clientIds.includes(clientId);
}

/** Throws not_found when `clientId` is outside the principal's scope. */
export function assertClientAccess(principal: Principal, clientId: bigint, what = 'record'): void {
  if (!canSeeClient(principal, clientId)) {
    throw new HuikuanError('not_found', `No such ${what}.`);
  }
}
