/**
 * Who may call a route and which clients they see, for the routes of the books. The rules are the
 * identity module's (src/identity/guards.ts): `requireRoles` (401 without a principal, 403 for a
 * role that may not), `clientScope` (the client ids in scope or 'all') and `assertClientAccess` (404
 * outside the scope — no existence leak); this file names them the way the route files use them.
 */
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/connection.ts';
import { assertClientAccess, clientScope, requirePrincipal, requireRoles } from '../identity/guards.ts';
import { type Principal, type Role, roles } from '../identity/principal.ts';
import { withClientScope } from '../identity/rls.ts';

export { assertClientAccess, type Principal, type Role, requireRoles, roles };

export const staffRoles: Role[] = ['admin', 'supervisor', 'agent', 'finance', 'compliance'];

export function principalOf(request: FastifyRequest): Principal {
  return requirePrincipal(request);
}

export function scopeOf(principal: Principal): bigint[] | 'all' {
  return clientScope(principal);
}

export function hasRole(principal: Principal, ...wanted: Role[]): boolean {
  return principal.roles.some((role) => wanted.includes(role));
}

/**
 * Runs a read under row-level security for the caller's client scope (the database's second line
 * of defence behind the routes' own checks): other clients' rows are invisible to `work`.
 */
export function readScoped<T>(db: Db, request: FastifyRequest, work: (trx: Db) => Promise<T>): Promise<T> {
  return withClientScope(db, principalOf(request), work);
}
