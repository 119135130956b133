/** Who is calling: the user behind a session cookie or an API token, with roles and client scope. */
export const roles = ['admin', 'supervisor', 'agent', 'finance', 'compliance', 'client'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Roles that see every client's accounts. Agents see their team's clients, client users their own. */
export const allClientRoles: readonly Role[] = ['admin', 'supervisor', 'finance', 'compliance'];

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

/**
 * API token scopes. `read` allows GET/HEAD, `write` allows every method; a route may ask for more
 * with requireScopes (e.g. `payments:write`), which a token must then carry by name.
 */
export const baseScopes = ['read', 'write'] as const;
export const scopePattern = /^[a-z][a-z_]*(:[a-z_]+)?$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by identityPlugin from the session cookie or the Bearer token; null when anonymous. */
    principal: Principal | null;
  }
}
