/**
 * Reports: the team board's ranking and totals (pure), a month's bounds, saved filters' rules, and
 * the account export's row cap through the API on a client with more accounts than an export holds.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addClient } from '../clients/service.ts';
import { normaliseFilterName, normaliseFilters } from '../filters/model.ts';
import type { Principal } from '../identity/principal.ts';
import { buildServer } from '../server/app.ts';
import type { Api } from '../server/context.ts';
import { type BoardAgent, buildBoard, monthBounds, noFacts } from './board.ts';
import { exportRowCap } from './exportModel.ts';
import { writeAccountsXlsx } from './service.ts';

const agent = (username: string, team = 1n): BoardAgent => ({
  user_id: BigInt(username.length),
  username,
  display_name: username,
  team_id: team,
  team_name: `team ${team}`,
});

describe('the team board', () => {
  it('ranks agents by the amount verified, ties sharing a rank, and totals the teams once', () => {
    const board = buildBoard(
      [agent('chen'), agent('li'), agent('wang', 2n), agent('zhao', 2n)],
      [
        { id: 1n, name: 'team 1', accounts_in_scope: 40 },
        { id: 2n, name: 'team 2', accounts_in_scope: 7 },
      ],
      new Map([
        [
          'li',
          {
            ...noFacts,
            verified_count: 2,
            verified_minor: 5000n,
            registered_minor: 5000n,
            registered_count: 2,
          },
        ],
        [
          'wang',
          { ...noFacts, verified_count: 1, verified_minor: 5000n, pending_count: 3, pending_minor: 90n },
        ],
        [
          'zhao',
          { ...noFacts, verified_count: 1, verified_minor: 5000n, pending_count: 1, pending_minor: 10n },
        ],
      ]),
    );
    expect(board.agents.map((row) => [row.username, row.rank])).toEqual([
      ['li', 1],
      ['wang', 2],
      ['zhao', 2],
      ['chen', 4],
    ]);
    expect(board.agents.find((row) => row.username === 'chen')).toMatchObject({
      accounts_in_scope: 40,
      verified_minor: 0n,
    });
    expect(board.totals).toMatchObject({
      agents: 4,
      accounts_in_scope: 47,
      verified_count: 4,
      verified_minor: 15_000n,
      pending_count: 4,
      pending_minor: 100n,
    });
  });

  it('bounds a month by its first day and the next month’s, and refuses a non-month', () => {
    expect(monthBounds('2026-03')).toEqual({ from: '2026-03-01', until: '2026-04-01' });
    expect(monthBounds('2026-12')).toEqual({ from: '2026-12-01', until: '2027-01-01' });
    expect(() => monthBounds('2026-13')).toThrow(/YYYY-MM/);
  });
});

describe('saved filters', () => {
  it('keep only the list’s own fields, trimmed and in a fixed order', () => {
    expect(normaliseFilters('accounts', { status: 'active', q: ' 张 ', bucket: '', client: 'ZSB' })).toEqual({
      q: '张',
      client: 'ZSB',
      status: 'active',
    });
    expect(Object.keys(normaliseFilters('accounts', { status: 'active', q: 'x' }))).toEqual(['q', 'status']);
    expect(() => normaliseFilters('accounts', { colour: 'red' })).toThrow(/colour/);
    expect(normaliseFilterName('  my   list ')).toBe('my list');
    expect(() => normaliseFilterName(' ')).toThrow(/1–100/);
  });
});

describe('the account export', () => {
  let t: TestDatabase;
  let app: Api;
  const admin: Principal = {
    userId: 1n,
    username: 'exporter',
    displayName: 'exporter',
    roles: ['admin'],
    clientIds: 'all',
    teamIds: [],
    via: 'session',
    scopes: null,
    locale: 'en',
    approvalLimitMinor: null,
  };

  beforeAll(async () => {
    t = await testDatabase();
    await addClient(t.db, { code: 'BIG', name: '大客户' }, 'setup');
    // one more account than an export holds, written straight into the tables (no ledger needed to list them)
    await sql`
      WITH c AS (SELECT id FROM clients WHERE code = 'BIG'),
      b AS (INSERT INTO placement_batches (client_id, name, status, file_name, file_sha256, file_format, proposed_by, decided_by, decided_at)
            SELECT id, 'big', 'approved', 'big.csv', 'x', 'csv', 'setup', 'checker', now() FROM c RETURNING id, client_id),
      d AS (INSERT INTO debtors (client_id, name, id_number_masked) SELECT client_id, '大户', '110105********002X' FROM b RETURNING id, client_id)
      INSERT INTO accounts (client_id, batch_id, debtor_id, client_account_ref, currency, delinquency_date,
                            placed_principal_minor, placed_interest_minor, placed_fees_minor, placed_penalty_minor,
                            principal_minor, interest_minor, fees_minor, penalty_minor)
      SELECT d.client_id, b.id, d.id, 'R' || lpad(n::text, 6, '0'), 'CNY', '2026-01-01', 100, 0, 0, 0, 100, 0, 0, 0
        FROM b, d, generate_series(1, ${exportRowCap + 1}) AS n`.execute(t.db);
    app = await buildServer({
      db: t.db,
      pool: t.pool,
      webRoot: null,
      requestsPerMinute: 100_000,
      authenticate: () => admin,
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it(`refuses more than ${exportRowCap} rows with 413, saying the cap and what to do`, async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/exports/accounts.xlsx?client=BIG' });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'limit_exceeded', details: { cap: exportRowCap } });
    expect(response.json().error.message).toContain('10,000');
    expect(response.json().error.message).toContain('narrow');
    const narrowed = await app.inject({ method: 'GET', url: '/api/v1/exports/accounts.xlsx?q=R000007' });
    expect(narrowed.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(narrowed.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets[0]?.rowCount).toBe(2);
    expect(workbook.worksheets[0]?.getRow(2).getCell(1).value).toBe('R000007');
    expect(workbook.worksheets[0]?.getRow(2).getCell(5).value).toBe('110105********002X');
  });

  it('streams the rows a chunk at a time up to the cap it is given', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const written = await writeAccountsXlsx(t.db, out, {
      filter: { clientIds: 'all' },
      cap: 1500,
      language: 'zh-CN',
    });
    expect(written).toBe(1500);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    expect(sheet?.name).toBe('案件');
    expect(sheet?.rowCount).toBe(1501);
    expect(sheet?.getRow(1).getCell(1).value).toBe('客户账号');
    expect(sheet?.getRow(2).getCell(13).value).toBe(1);
  });

  it('stops reading when the download is abandoned', async () => {
    const out = new PassThrough();
    out.destroy();
    await expect(
      writeAccountsXlsx(t.db, out, { filter: { clientIds: 'all' }, cap: 3000, language: 'en' }),
    ).rejects.toThrow(/abandoned/);
  });
});
