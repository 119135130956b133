/**
 * The API on a test database for route tests: callers named by a test header (buildServer's
 * `authenticate`; the identity module's own tests cover sessions, cookies and CSRF) and `call`, which
 * sends JSON and reads JSON. Usage:
 *   const { caller, callers } = testCallers();
 *   caller('agent.wang', ['agent'], [clientId]);
 *   const api = await testApi(t, callers);  …  await api.call('agent.wang', 'POST', '/accounts/1/notes', {…})
 */
import type { Principal, Role } from '../src/identity/principal.ts';
import { buildServer } from '../src/server/app.ts';
import type { Api } from '../src/server/context.ts';
import type { TestDatabase } from './db.ts';

export const testCallerHeader = 'x-test-caller';

/** Principals by user name, made up for a test (user ids count from 1 in the order made). */
export function testCallers() {
  const callers = new Map<string, Principal>();
  function caller(username: string, roles: Role[], clientIds: bigint[] | 'all'): Principal {
    const principal: Principal = {
      userId: BigInt(callers.size + 1),
      username,
      displayName: username,
      roles,
      clientIds,
      teamIds: [],
      via: 'session',
      scopes: null,
      locale: 'zh-CN',
      approvalLimitMinor: null,
    };
    callers.set(username, principal);
    return principal;
  }
  return { caller, callers };
}

export interface TestApi {
  app: Api;
  call(
    as: string,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
  ): Promise<{ status: number; body: string; json(): any }>;
  close(): Promise<void>;
}

/** The API under /api/v1 on this database, the caller named by the `x-test-caller` header. */
export async function testApi(
  t: Pick<TestDatabase, 'db' | 'pool'>,
  callers: Map<string, Principal>,
  options: Omit<Partial<Parameters<typeof buildServer>[0]>, 'db' | 'pool' | 'authenticate'> = {},
): Promise<TestApi> {
  const app = await buildServer({
    db: t.db,
    pool: t.pool,
    webRoot: null,
    requestsPerMinute: 100_000,
    ...options,
    authenticate: (request) => callers.get(String(request.headers[testCallerHeader] ?? '')) ?? null,
  });
  return {
    app,
    async call(as, method, url, body) {
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: {
          [testCallerHeader]: as,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, body: response.body, json: () => JSON.parse(response.body) };
    },
    close: () => app.close(),
  };
}
