/**
 * The server's own behaviour, apart from any route of the books: request rate limit, upload size
 * limit, an unexpected error that leaks nothing, the web UI's build with its single-page fallback,
 * and /health.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import type { Principal } from './access.ts';
import { buildServer } from './app.ts';

let t: TestDatabase;
const webRoot = mkdtempSync(path.join(tmpdir(), 'huikuan-web-'));

const finance: Principal = {
  userId: 7n,
  username: 'finance',
  displayName: '财务',
  roles: ['finance'],
  clientIds: 'all',
  teamIds: [],
  via: 'session',
  scopes: null,
  locale: 'zh-CN',
  approvalLimitMinor: null,
};

beforeAll(async () => {
  t = await testDatabase();
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>回款</title><div id="root"></div>');
  writeFileSync(path.join(webRoot, 'app.js'), 'console.log("ui")');
});
afterAll(async () => {
  await t?.drop();
  rmSync(webRoot, { recursive: true, force: true });
});

function multipartBody(fields: Record<string, string>, fileName: string, content: Buffer) {
  const boundary = '----huikuanTestBoundary';
  const head = Object.entries(fields)
    .map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    )
    .join('');
  return {
    payload: Buffer.concat([
      Buffer.from(
        `${head}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

describe('the server', () => {
  it('limits the request rate per user with 429 limit_exceeded', async () => {
    const app = await buildServer({
      db: t.db,
      pool: t.pool,
      webRoot: null,
      requestsPerMinute: 3,
      authenticate: () => finance,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await app.inject({ method: 'GET', url: '/api/v1/clients' })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await app.inject({ method: 'GET', url: '/api/v1/clients' });
      expect(refused.json().error.code).toBe('limit_exceeded');
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('limits logins strictly per IP', async () => {
    const app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, loginsPerMinute: 2 });
    try {
      const attempt = () =>
        app.inject({
          method: 'POST',
          url: '/api/v1/session',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ username: 'nobody', password: 'wrong-password-123' }),
        });
      const statuses = [
        (await attempt()).statusCode,
        (await attempt()).statusCode,
        (await attempt()).statusCode,
      ];
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await app.close();
    }
  });

  it('refuses an upload over the size limit with 413 limit_exceeded and writes nothing', async () => {
    const app = await buildServer({
      db: t.db,
      pool: t.pool,
      webRoot: null,
      uploadBytes: 1024,
      authenticate: () => finance,
    });
    try {
      const big = multipartBody({ client: 'NONE' }, 'big.csv', Buffer.alloc(4096, 'a'));
      const response = await app.inject({ method: 'POST', url: '/api/v1/placement-batches', ...big });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('limit_exceeded');
      const batches = await t.db.selectFrom('placement_batches').select('id').execute();
      expect(batches).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('takes an upload far over the 1 MiB JSON body limit', async () => {
    const app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, authenticate: () => finance });
    try {
      const big = multipartBody({ client: 'NONE' }, 'big.csv', Buffer.alloc(3 * 1024 * 1024, 'a'));
      const response = await app.inject({ method: 'POST', url: '/api/v1/payment-files', ...big });
      // through the size gates to the import, which finds no such client
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    } finally {
      await app.close();
    }
  });

  it('answers an unexpected failure with 500 internal and no detail of it', async () => {
    const app = await buildServer({ db: t.db, pool: t.pool, webRoot: null, authenticate: () => finance });
    app.get('/api/v1/boom', async () => {
      throw new Error('connection to postgres://admin:hunter2@db failed');
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/v1/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.json().error.code).toBe('internal');
      expect(response.body).not.toContain('hunter2');
      expect(response.body).not.toContain('postgres');
    } finally {
      await app.close();
    }
  });

  it('serves the web UI build with a single-page fallback, and JSON 404s under /api', async () => {
    const app = await buildServer({ db: t.db, pool: t.pool, webRoot });
    try {
      const home = await app.inject({ method: 'GET', url: '/' });
      expect(home.statusCode).toBe(200);
      expect(home.body).toContain('回款');
      const asset = await app.inject({ method: 'GET', url: '/app.js' });
      expect(asset.body).toContain('ui');
      const deep = await app.inject({ method: 'GET', url: '/accounts/12?tab=ledger' });
      expect(deep.statusCode).toBe(200);
      expect(deep.headers['content-type']).toContain('text/html');
      const api = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
      expect(api.statusCode).toBe(404);
      expect(api.json().error.code).toBe('not_found');
      const anonymous = await app.inject({ method: 'GET', url: '/api/v1/accounts' });
      expect(anonymous.statusCode).toBe(401);
      const docs = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-ui.css' });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers['content-type']).toContain('text/css');
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toMatchObject({ status: 'ok' });
    } finally {
      await app.close();
    }
  });
});
