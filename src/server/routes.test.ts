/**
 * The API end to end through app.inject: the books (placement upload, approval, payment file,
 * claims, reversal, proposals and approvals) with figures worked out by hand; the authorisation
 * matrix (every route × every role, from one table that, with the table of routes signed instead of
 * logged in — webhooks, opt-out links — must name every route); client separation
 * and an agent outside the team; bad payloads on every write route (400, nothing changed); and the
 * OpenAPI document.
 */
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { webhookSignature } from '../channels/adapter.ts';
import { pageToken } from '../channels/debtor-page.ts';
import { optOutToken } from '../channels/links.ts';
import { createWebhookSecret } from '../channels/service.ts';
import { twilioSignature } from '../channels/sms-twilio.ts';
import { testConfig } from '../channels/test-support.ts';
import { createTeam, createToken, createUser } from '../identity/service.ts';
import { testModel } from '../risk/platform/test-model.ts';
import { todayIn } from '../shared/dates.ts';
import type { Role } from './access.ts';
import { roles } from './access.ts';
import { buildServer } from './app.ts';
import type { Api } from './context.ts';

let t: TestDatabase;
let app: Api;

// SMS providers configured (their APIs unreachable: nothing is sent here), e-mail not configured
const twilioAccount = `AC${'0'.repeat(32)}`;
const twilioToken = 'routes-test-token';
const channelSettings = testConfig({
  sendRetries: 0,
  smsProvider: 'twilio',
  twilio: {
    apiBase: 'http://127.0.0.1:9',
    accountSid: twilioAccount,
    authToken: twilioToken,
    from: '+15005550006',
    messagingServiceSid: null,
  },
  aliyun: {
    endpoint: 'http://127.0.0.1:9',
    accessKeyId: 'LTAI',
    accessKeySecret: 'secret',
    regionId: 'cn-hangzhou',
    signName: '回款',
    templateCode: 'SMS_1',
    templateParam: 'content',
  },
});
let channelSecret = '';
let bounceSecret = '';

/** A Twilio status callback or Aliyun push for `url`, signed as the provider (or forged). */
function twilioWebhook(
  url: string,
  fields: Record<string, string>,
  token = twilioToken,
): Omit<Call, 'method'> {
  return {
    url,
    raw: {
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams(fields).toString(),
      headers: { 'x-twilio-signature': twilioSignature(token, `http://huikuan.test${url}`, fields) },
    },
  };
}
function aliyunWebhook(url: string, items: unknown, secret = channelSecret): Omit<Call, 'method'> {
  const body = JSON.stringify(items);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    url,
    raw: {
      contentType: 'application/json',
      body,
      headers: {
        'x-huikuan-timestamp': timestamp,
        'x-huikuan-signature': webhookSignature(secret, timestamp, body),
      },
    },
  };
}

/** A delivery status notification (RFC 3464) about no message of ours. */
const matrixBounce = [
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
  '',
  '--b',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.com',
  '',
  'Final-Recipient: rfc822; nobody@example.com',
  'Action: failed',
  'Status: 5.1.1',
  '',
  '--b',
  'Content-Type: text/rfc822-headers',
  '',
  'Message-ID: <0.matrix@agency.test>',
  '',
  '--b--',
  '',
].join('\r\n');

/** A delivery status notification (RFC 3464) for the e-mail bounce webhook, signed (or forged). */
function bounceWebhook(secret = bounceSecret, report?: string): Omit<Call, 'method'> {
  const body = report ?? matrixBounce;
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    url: '/api/v1/channels/email/bounces',
    raw: {
      contentType: 'message/rfc822',
      body,
      headers: {
        'x-huikuan-timestamp': timestamp,
        'x-huikuan-signature': webhookSignature(secret, timestamp, body),
      },
    },
  };
}

// ------------------------------------------------------------------------------ who is calling

const password = 'Lantern-Quarry-7-Osmosis';
const sessions: Record<string, { cookie: string; csrf: string }> = {};
const setup = { actor: 'test-setup' };

async function login(username: string): Promise<void> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username, password }),
  });
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'hk_session');
  if (!cookie) throw new Error(`no session cookie for ${username}`);
  sessions[username] = { cookie: `hk_session=${cookie.value}`, csrf: response.json().csrf_token };
}

/** The people of the agency (after the clients exist: teams and client users name them). */
async function createPeople(): Promise<void> {
  const teamA = await createTeam(t.db, { name: 'A组', clientCodes: ['ZSB'] }, setup);
  const teamB = await createTeam(t.db, { name: 'B组', clientCodes: ['OTHER'] }, setup);
  const people: [string, Role[], { team?: bigint; clientCodes?: string[]; limit?: bigint }][] = [
    ['supervisor', ['supervisor'], { team: teamA.id, limit: 100_000n }],
    ['agent', ['agent'], { team: teamA.id }],
    ['finance', ['finance'], {}],
    ['compliance', ['compliance'], {}],
    ['client', ['client'], { clientCodes: ['ZSB'] }],
    ['agentB', ['agent'], { team: teamB.id }],
    ['clientB', ['client'], { clientCodes: ['OTHER'] }],
    ['finance2', ['finance'], {}],
  ];
  for (const [username, userRoles, extra] of people) {
    await createUser(
      t.db,
      {
        username,
        displayName: username,
        roles: userRoles,
        team: extra.team ?? null,
        clientCodes: extra.clientCodes,
        password,
        approvalLimitMinor: extra.limit ?? null,
      },
      setup,
    );
    await login(username);
  }
}

interface Call {
  as?: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  body?: unknown;
  multipart?: { fields: Record<string, string>; file?: { name: string; content: string } };
  /** A body sent as it is (a provider's signed webhook), with its extra headers. */
  raw?: { contentType: string; body: string; headers?: Record<string, string> };
}

async function call(c: Call) {
  const headers: Record<string, string> = {};
  if (c.as) {
    const session = sessions[c.as];
    if (!session) throw new Error(`${c.as} has not logged in`);
    headers.cookie = session.cookie;
    if (c.method !== 'GET') headers['x-csrf-token'] = session.csrf;
  }
  let payload: string | Buffer | undefined;
  if (c.multipart) {
    const boundary = `----huikuan${randomBytes(8).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries(c.multipart.fields)) {
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      );
    }
    if (c.multipart.file) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${c.multipart.file.name}"\r\nContent-Type: text/csv\r\n\r\n`,
        ),
        Buffer.from(c.multipart.file.content, 'utf8'),
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    payload = Buffer.concat(parts);
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  } else if (c.raw) {
    payload = c.raw.body;
    Object.assign(headers, c.raw.headers, { 'content-type': c.raw.contentType });
  } else if (c.body !== undefined) {
    payload = JSON.stringify(c.body);
    headers['content-type'] = 'application/json';
  }
  const response = await app.inject({ method: c.method, url: c.url, headers, payload });
  return {
    status: response.statusCode,
    text: response.body,
    // biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
    json: (): any => JSON.parse(response.body),
  };
}

// ------------------------------------------------------------------------------ the files

const placementsA = [
  '客户账号,姓名,身份证号,手机号,本金,利息,费用,罚息,逾期日期,产品类型',
  'A001,张三,11010519491231002X,13812345678,"10,000.00",500.00,50.00,20.00,2026-01-10,credit_card',
  'A002,李四,,+86 139 0000 1111,3000,0,0,0,2025/6/1,personal_loan',
  'A003,王五,,,800.00,12.34,,,2026年2月1日,',
  'A004,赵六,,,12.345,0,0,0,2026-01-01,',
  'A001,张三,,,1.00,0,0,0,2026-01-10,',
].join('\n');
const placementsB = [
  'client_account_ref,debtor_name,principal,delinquency_date',
  'B001,钱七,5000.00,2026-02-01',
].join('\n');
const paymentsA = [
  'external_id,client_account_ref,amount,paid_at,channel',
  'P1,A001,100.00,2026-03-01,bank_transfer',
  'P2,A002,"3,005.00",2026-03-01 10:30:00,alipay',
  'P3,A003,100.01,2026-03-02,direct_to_client',
  'P1,A001,100.00,2026-03-01,bank_transfer',
  'P4,NOPE,50.00,2026-03-01,bank_transfer',
].join('\n');

const ids = {
  batchA: 0,
  batchB: 0,
  A001: 0,
  A002: 0,
  A003: 0,
  B001: 0,
  phoneA001: 0,
  claim: 0,
  decidedProposal: 0,
};

async function balanceOf(client: string) {
  const response = await call({ as: 'finance', method: 'GET', url: `/api/v1/balances?client=${client}` });
  expect(response.status).toBe(200);
  return response.json().items[0];
}

async function auditEvents() {
  return t.db.selectFrom('audit_events').select(['actor', 'action', 'ip']).orderBy('id').execute();
}

/** Counts and sums that any change would move. */
async function fingerprint() {
  const row = await sql<Record<string, string>>`
    SELECT (SELECT count(*) FROM clients)::text AS clients, (SELECT count(*) FROM contracts)::text AS contracts,
           (SELECT count(*) FROM placement_batches)::text AS batches,
           (SELECT string_agg(status, ',' ORDER BY id) FROM placement_batches) AS batch_status,
           (SELECT count(*) FROM accounts)::text AS accounts, (SELECT count(*) FROM journal_entries)::text AS entries,
           (SELECT count(*) FROM postings)::text AS postings, (SELECT count(*) FROM payment_claims)::text AS claims,
           (SELECT string_agg(status, ',' ORDER BY id) FROM payment_claims) AS claim_status,
           (SELECT count(*) FROM account_notes)::text AS notes, (SELECT count(*) FROM ledger_proposals)::text AS proposals,
           (SELECT string_agg(status, ',' ORDER BY id) FROM ledger_proposals) AS proposal_status,
           (SELECT count(*) FROM payment_imports)::text AS imports,
           (SELECT count(*) FROM saved_filters)::text AS saved_filters,
           (SELECT sum(principal_minor + interest_minor + fees_minor + penalty_minor)::text FROM accounts) AS balance`.execute(
    t.db,
  );
  return row.rows[0];
}

beforeAll(async () => {
  t = await testDatabase();
  app = await buildServer({
    db: t.db,
    pool: t.pool,
    webRoot: null,
    requestsPerMinute: 100_000,
    channels: channelSettings,
  });
  channelSecret = (await createWebhookSecret(t.db, 'aliyun', 'test-setup')).secret;
  bounceSecret = (await createWebhookSecret(t.db, 'smtp', 'test-setup')).secret;
  await createUser(t.db, { username: 'admin', displayName: 'admin', roles: ['admin'], password }, setup);
  await login('admin');
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

// ------------------------------------------------------------------------------ the books

describe('the books through the API', () => {
  it('adds two clients and their contracts (admin only)', async () => {
    const a = await call({
      as: 'admin',
      method: 'POST',
      url: '/api/v1/clients',
      body: {
        code: 'ZSB',
        name: '招商银行信用卡中心',
        commission: [
          { from_dpd: 0, to_dpd: 90, rate_bp: 1500 },
          { from_dpd: 91, to_dpd: null, rate_bp: 3000 },
        ],
        effective_from: '2025-01-01',
      },
    });
    expect(a.status).toBe(201);
    const b = await call({
      as: 'admin',
      method: 'POST',
      url: '/api/v1/clients',
      body: { code: 'OTHER', name: '另一家' },
    });
    expect(b.status).toBe(201);
    await createPeople();
    const version = await call({
      as: 'admin',
      method: 'POST',
      url: '/api/v1/clients/ZSB/contracts',
      body: { discount_limit_bp: 0, effective_from: '2025-06-01' },
    });
    expect(version.status).toBe(201);
    expect(version.json()).toMatchObject({ version: 2, effective_from: '2025-06-01' });
    const shown = await call({ as: 'client', method: 'GET', url: '/api/v1/clients/ZSB' });
    expect(shown.json().contracts).toHaveLength(2);
  });

  it('uploads a placement file: good rows wait, bad and duplicate rows are reported with an error file', async () => {
    const upload = await call({
      as: 'supervisor',
      method: 'POST',
      url: '/api/v1/placement-batches',
      multipart: {
        fields: { client: 'ZSB', batch: '2026-03 批次' },
        file: { name: 'placements.csv', content: placementsA },
      },
    });
    expect(upload.status).toBe(201);
    const body = upload.json();
    expect(body).toMatchObject({
      accepted: 3,
      rejected: 1,
      duplicates: 1,
      file: 'placements.csv',
      status: 'pending_approval',
    });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 5, column: 'principal' }),
        expect.objectContaining({ row: 6 }),
      ]),
    );
    ids.batchA = body.batch_id;
    expect(body.error_file).toBe(`/api/v1/placement-batches/${ids.batchA}/errors.csv`);
    const csv = await call({ as: 'client', method: 'GET', url: body.error_file });
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n')[0]).toBe('\uFEFFrow,column,reason');
    expect(csv.text).toContain('5,principal,');

    const again = await call({
      as: 'finance',
      method: 'POST',
      url: '/api/v1/placement-batches',
      multipart: { fields: { client: 'ZSB' }, file: { name: 'placements.csv', content: placementsA } },
    });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ batch_id: ids.batchA, already_imported: true });
    expect((await balanceOf('ZSB')).accounts).toBe(0);
  });

  it('refuses approval by the importer; a second user approves and the accounts go live', async () => {
    const self = await call({
      as: 'supervisor',
      method: 'POST',
      url: `/api/v1/placement-batches/${ids.batchA}/approve`,
    });
    expect(self.status).toBe(403);
    expect(self.json().error.code).toBe('forbidden');
    const selfReject = await call({
      as: 'supervisor',
      method: 'POST',
      url: `/api/v1/placement-batches/${ids.batchA}/reject`,
      body: { reason: '我自己' },
    });
    expect(selfReject.status).toBe(403);
    const approved = await call({
      as: 'finance',
      method: 'POST',
      url: `/api/v1/placement-batches/${ids.batchA}/approve`,
    });
    expect(approved.status).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', accounts: 3 });
    expect(await balanceOf('ZSB')).toMatchObject({
      accounts: 3,
      principal_minor: 1_380_000,
      interest_minor: 51_234,
      fees_minor: 5_000,
      penalty_minor: 2_000,
      total_minor: 1_438_234,
    });

    const b = await call({
      as: 'admin',
      method: 'POST',
      url: '/api/v1/placement-batches',
      multipart: { fields: { client: 'OTHER' }, file: { name: 'b.csv', content: placementsB } },
    });
    expect(b.status).toBe(201);
    ids.batchB = b.json().batch_id;
    expect(
      (
        await call({
          as: 'supervisor',
          method: 'POST',
          url: `/api/v1/placement-batches/${ids.batchB}/approve`,
        })
      ).status,
    ).toBe(200);

    const list = await call({
      as: 'finance',
      method: 'GET',
      url: '/api/v1/accounts?client=ZSB&page_size=10',
    });
    expect(list.json()).toMatchObject({ total: 3, page: 1, page_size: 10 });
    for (const item of list.json().items) ids[item.ref as 'A001'] = item.id;
    const listB = await call({ as: 'finance', method: 'GET', url: '/api/v1/accounts?client=OTHER' });
    ids.B001 = listB.json().items[0].id;
  });

  it('posts a payment file with commission by days past due; a repeat changes nothing', async () => {
    const posted = await call({
      as: 'finance',
      method: 'POST',
      url: '/api/v1/payment-files',
      multipart: { fields: { client: 'ZSB' }, file: { name: 'payments.csv', content: paymentsA } },
    });
    expect(posted.status).toBe(201);
    expect(posted.json()).toMatchObject({ posted: 3, duplicates: 1, rejected: 1, file: 'payments.csv' });
    const expected = {
      client: 'ZSB',
      currency: 'CNY',
      accounts: 3,
      principal_minor: 1_071_233,
      interest_minor: 47_000,
      fees_minor: 0,
      penalty_minor: 0,
      overpayment_minor: 500,
      total_minor: 1_118_233,
      collected_minor: 310_500,
      direct_paid_minor: 10_001,
      discounts_minor: 0,
      commission_minor: 93_000,
      payable_minor: 219_000,
    };
    expect(await balanceOf('ZSB')).toEqual(expected);
    const again = await call({
      as: 'finance',
      method: 'POST',
      url: '/api/v1/payment-files',
      multipart: { fields: { client: 'ZSB' }, file: { name: 'payments.csv', content: paymentsA } },
    });
    expect(again.status).toBe(201);
    expect(again.json()).toMatchObject({ posted: 0 });
    expect(await balanceOf('ZSB')).toEqual(expected);
  });

  it('shows an account: masked contacts, balance by component, DPD and bucket, ledger, timeline', async () => {
    const detail = await call({ as: 'agent', method: 'GET', url: `/api/v1/accounts/${ids.A001}` });
    expect(detail.status).toBe(200);
    const body = detail.json();
    expect(body).toMatchObject({
      ref: 'A001',
      client: 'ZSB',
      balance: { principal_minor: 1_000_000, interest_minor: 47_000, total_minor: 1_047_000 },
      debtor: { name: '张三', id_number_masked: expect.stringMatching(/\*/) },
    });
    expect(body.bucket).toBe('M6+');
    expect(body.debtor.contact_points[0].masked).toBe('+86 138****5678');
    expect(detail.text).not.toContain('13812345678');
    expect(detail.text).not.toContain('11010519491231002X');
    ids.phoneA001 = body.debtor.contact_points[0].id;

    const ledger = await call({ as: 'client', method: 'GET', url: `/api/v1/accounts/${ids.A001}/ledger` });
    expect(ledger.json().items.map((e: { kind: string }) => e.kind)).toEqual(['payment', 'placement']);
    expect(ledger.json().items[0].postings.length).toBeGreaterThan(2);

    const note = await call({
      as: 'agent',
      method: 'POST',
      url: `/api/v1/accounts/${ids.A001}/notes`,
      body: { text: '债务人承诺月底还款' },
    });
    expect(note.status).toBe(201);
    const timeline = await call({
      as: 'supervisor',
      method: 'GET',
      url: `/api/v1/accounts/${ids.A001}/timeline`,
    });
    const types = timeline.json().items.map((i: { type: string }) => i.type);
    expect(types).toEqual(expect.arrayContaining(['note', 'entry', 'event']));
  });

  it('searches by exact reference, name, phone and ID number; filters by bucket and balance', async () => {
    const q = async (query: string) =>
      (await call({ as: 'finance', method: 'GET', url: `/api/v1/accounts?${query}` }))
        .json()
        .items.map((i: { ref: string }) => i.ref)
        .sort();
    expect(await q('q=A002')).toEqual(['A002']);
    expect(await q(`q=${encodeURIComponent('王五')}`)).toEqual(['A003']);
    expect(await q(`q=${encodeURIComponent('张')}`)).toEqual(['A001']);
    expect(await q(`q=${encodeURIComponent('%')}`)).toEqual([]);
    expect(await q(`q=${encodeURIComponent('+86 138 1234 5678')}`)).toEqual(['A001']);
    expect(await q('q=11010519491231002x')).toEqual(['A001']);
    expect(await q('client=ZSB&min_balance_minor=100000')).toEqual(['A001']);
    expect(await q('client=ZSB&max_balance_minor=0')).toEqual(['A002']);
    expect(await q('client=ZSB&bucket=M6%2B')).toEqual(['A001', 'A002', 'A003']);
    expect(await q('client=ZSB&bucket=M1')).toEqual([]);
  });

  it('reveals a phone number and an ID number to a supervisor, audited', async () => {
    const phone = await call({
      as: 'supervisor',
      method: 'POST',
      url: `/api/v1/accounts/${ids.A001}/reveal`,
      body: { field: 'phone', contact_point_id: String(ids.phoneA001) },
    });
    expect(phone.status).toBe(200);
    expect(phone.json().value).toBe('+8613812345678');
    const id = await call({
      as: 'compliance',
      method: 'POST',
      url: `/api/v1/accounts/${ids.A001}/reveal`,
      body: { field: 'id_number' },
    });
    expect(id.json().value).toBe('11010519491231002X');
    expect((await auditEvents()).filter((e) => e.action === 'pii.revealed').map((e) => e.actor)).toEqual([
      'supervisor',
      'compliance',
    ]);
  });

  it('an agent registers a payment claim; finance verifies it through the ledger (never the claimant)', async () => {
    const claim = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/payment-claims',
      body: {
        account_id: String(ids.A001),
        amount_minor: 1000,
        paid_on: '2026-03-05',
        channel: 'bank_transfer',
        reference: '回单 123',
      },
    });
    expect(claim.status).toBe(201);
    ids.claim = claim.json().id;
    const mine = await call({ as: 'agent', method: 'GET', url: '/api/v1/payment-claims?status=pending' });
    expect(mine.json().total).toBe(1);
    const verified = await call({
      as: 'finance',
      method: 'POST',
      url: `/api/v1/payment-claims/${ids.claim}/verify`,
    });
    expect(verified.status).toBe(200);
    expect(verified.json()).toMatchObject({ status: 'verified', decided_by: 'finance' });
    // 10.00 on A001 at 54 DPD (15%): interest 10.00; commission 1.50
    expect(await balanceOf('ZSB')).toMatchObject({
      interest_minor: 46_000,
      collected_minor: 311_500,
      commission_minor: 93_150,
      payable_minor: 219_850,
    });
    const twice = await call({
      as: 'finance2',
      method: 'POST',
      url: `/api/v1/payment-claims/${ids.claim}/verify`,
    });
    expect(twice.status).toBe(409);
  });

  it('finance reverses a returned payment with its commission', async () => {
    const reversed = await call({
      as: 'finance',
      method: 'POST',
      url: '/api/v1/reversals',
      body: { client: 'ZSB', external_id: 'P2', reason: '退票' },
    });
    expect(reversed.status).toBe(201);
    expect(await balanceOf('ZSB')).toMatchObject({
      principal_minor: 1_371_233,
      overpayment_minor: 0,
      collected_minor: 11_000,
      commission_minor: 3_150,
      payable_minor: 9_350,
    });
    const day = await call({
      as: 'client',
      method: 'GET',
      url: '/api/v1/stats/collections-by-day?from=2026-03-01&to=2026-03-31',
    });
    expect(day.json().items).toEqual([
      expect.objectContaining({ date: '2026-03-01', collected_minor: 310_500, direct_paid_minor: 0 }),
      expect.objectContaining({ date: '2026-03-02', direct_paid_minor: 10_001 }),
      expect.objectContaining({ date: '2026-03-05', collected_minor: 1_000 }),
    ]);
    const buckets = await call({ as: 'client', method: 'GET', url: '/api/v1/stats/balances-by-bucket' });
    expect(buckets.json().items).toEqual([
      { bucket: 'M6+', currency: 'CNY', accounts: 3, balance_minor: 1_371_233 + 46_000 },
    ]);
  });

  it('proposals wait for a second user within their approval limit', async () => {
    const writeOff = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/proposals',
      body: { kind: 'write_off', account_id: String(ids.A003), reason: 'uncollectable' },
    });
    expect(writeOff.status).toBe(201);
    expect(writeOff.json().status).toBe('proposed');
    ids.decidedProposal = writeOff.json().proposal_id;
    const approved = await call({
      as: 'supervisor',
      method: 'POST',
      url: `/api/v1/approvals/${ids.decidedProposal}/approve`,
    });
    expect(approved.status, approved.text).toBe(200);

    const big = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/proposals',
      body: {
        kind: 'adjustment',
        account_id: String(ids.A001),
        amounts: { principal_minor: 200_000 },
        reason: '客户调账',
      },
    });
    const bigId = big.json().proposal_id;
    const overLimit = await call({
      as: 'supervisor',
      method: 'POST',
      url: `/api/v1/approvals/${bigId}/approve`,
    });
    expect(overLimit.status).toBe(403);
    const own = await call({
      as: 'supervisor',
      method: 'POST',
      url: '/api/v1/proposals',
      body: { kind: 'discount', account_id: String(ids.A001), amount_minor: 100, reason: '减免' },
    });
    expect(own.json().status).toBe('proposed');
    expect(
      (
        await call({
          as: 'supervisor',
          method: 'POST',
          url: `/api/v1/approvals/${own.json().proposal_id}/approve`,
        })
      ).status,
    ).toBe(403);
    const inbox = await call({ as: 'finance', method: 'GET', url: '/api/v1/approvals' });
    expect(inbox.json().total).toBe(2);
    for (const id of [bigId, own.json().proposal_id]) {
      expect(
        (
          await call({
            as: 'finance',
            method: 'POST',
            url: `/api/v1/approvals/${id}/reject`,
            body: { reason: '不同意' },
          })
        ).status,
      ).toBe(200);
    }
    // a pending write-off on A002 stays for the matrix below
    const pending = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/proposals',
      body: { kind: 'write_off', account_id: String(ids.A002), reason: 'deceased' },
    });
    expect(pending.status).toBe(201);
    expect(
      (await call({ as: 'finance', method: 'GET', url: `/api/v1/accounts/${ids.A003}` })).json().status,
    ).toBe('written_off');
  });

  it('records an audit event, with the IP, for every change made', async () => {
    const audited = await auditEvents();
    const actions = new Set(audited.map((e) => e.action));
    for (const action of [
      'client.created',
      'contract.created',
      'placement_batch.imported',
      'placement_batch.approved',
      'payment_file.imported',
      'account_note.created',
      'payment_claim.registered',
      'payment_claim.verified',
      'entry.reversed',
      'write_off.proposed',
      'proposal.approved',
      'proposal.rejected',
    ]) {
      expect(actions).toContain(action);
    }
    expect(audited.filter((e) => e.actor !== 'test-setup').every((e) => e.ip === '127.0.0.1')).toBe(true);
  });
});

// ------------------------------------------------------------------------------ reports and saved filters

async function download(as: string, url: string) {
  const session = sessions[as];
  const response = await app.inject({ method: 'GET', url, headers: { cookie: session?.cookie ?? '' } });
  return response;
}

async function sheetText(buffer: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  const rows: string[][] = [];
  sheet?.eachRow((row) => {
    rows.push((row.values as unknown[]).slice(1).map((value) => (value == null ? '' : String(value))));
  });
  return rows;
}

describe('the team board, saved filters and the account export', () => {
  it("shows a supervisor its team's agents with this month's payments; an admin every team", async () => {
    const pending = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/payment-claims',
      body: { account_id: String(ids.A001), amount_minor: 250, paid_on: '2026-03-06', channel: 'cash' },
    });
    expect(pending.status, pending.text).toBe(201);
    const live = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM accounts a JOIN clients c ON c.id = a.client_id
       WHERE c.code = 'ZSB' AND a.status = 'active'`.execute(t.db);
    const board = await call({ as: 'supervisor', method: 'GET', url: '/api/v1/reports/team-board' });
    expect(board.status, board.text).toBe(200);
    const body = board.json();
    expect(body.currency).toBe('CNY');
    expect(body.teams).toEqual([
      expect.objectContaining({ name: 'A组', accounts_in_scope: live.rows[0]?.n }),
    ]);
    expect(body.agents).toEqual([
      expect.objectContaining({
        rank: 1,
        username: 'agent',
        team_name: 'A组',
        accounts_in_scope: live.rows[0]?.n,
        accounts_worked: 1,
        registered_count: 2,
        registered_minor: 1250,
        verified_count: 1,
        verified_minor: 1000,
        pending_count: 1,
        pending_minor: 250,
      }),
    ]);
    expect(body.totals).toMatchObject({ agents: 1, verified_minor: 1000, pending_minor: 250 });

    const all = await call({ as: 'admin', method: 'GET', url: '/api/v1/reports/team-board' });
    expect(all.json().agents.map((a: { username: string }) => a.username)).toEqual(['agent', 'agentB']);
    expect(all.json().agents[1]).toMatchObject({ rank: 2, verified_minor: 0, pending_count: 0 });
    expect(
      all
        .json()
        .teams.map((team: { name: string }) => team.name)
        .sort(),
    ).toEqual(['A组', 'B组']);

    const old = await call({
      as: 'supervisor',
      method: 'GET',
      url: '/api/v1/reports/team-board?month=2020-01',
    });
    expect(old.json().agents[0]).toMatchObject({ verified_count: 0, registered_count: 0, pending_count: 1 });
    const teamB = all.json().teams.find((team: { name: string }) => team.name === 'B组');
    const notMine = await call({
      as: 'supervisor',
      method: 'GET',
      url: `/api/v1/reports/team-board?team=${teamB.id}`,
    });
    expect(notMine.status).toBe(404);
    // a supervisor who leads no team sees an empty board (the UI says to ask an admin), not every team
    await createUser(
      t.db,
      { username: 'lead2', displayName: 'lead2', roles: ['supervisor'], password },
      setup,
    );
    await login('lead2');
    const empty = await call({ as: 'lead2', method: 'GET', url: '/api/v1/reports/team-board' });
    expect(empty.json()).toMatchObject({ teams: [], agents: [], totals: { agents: 0 } });
    const badMonth = await call({
      as: 'supervisor',
      method: 'GET',
      url: '/api/v1/reports/team-board?month=2026-13',
    });
    expect(badMonth.status).toBe(400);
    expect(badMonth.json().error.details.fields[0].field).toBe('querystring.month');
  });

  it('keeps each user’s saved filters to itself; saving and deleting are audited', async () => {
    const saved = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/saved-filters',
      body: { list: 'accounts', name: ' 招行 M6+ ', filters: { client: 'ZSB', bucket: 'M6+', q: '' } },
    });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.json()).toMatchObject({ name: '招行 M6+', filters: { client: 'ZSB', bucket: 'M6+' } });
    const again = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/saved-filters',
      body: { list: 'accounts', name: '招行 M6+', filters: {} },
    });
    expect(again.status).toBe(409);
    const unknown = await call({
      as: 'agent',
      method: 'POST',
      url: '/api/v1/saved-filters',
      body: { list: 'accounts', name: 'colour', filters: { colour: 'red' } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json().error.message).toContain('colour');
    const mine = await call({ as: 'agent', method: 'GET', url: '/api/v1/saved-filters?list=accounts' });
    expect(mine.json().items.map((f: { name: string }) => f.name)).toEqual(['招行 M6+']);
    const theirs = await call({ as: 'agentB', method: 'GET', url: '/api/v1/saved-filters' });
    expect(theirs.json().items).toEqual([]);
    const id = saved.json().id;
    const stolen = await call({ as: 'agentB', method: 'DELETE', url: `/api/v1/saved-filters/${id}` });
    expect(stolen.status).toBe(404);
    const deleted = await call({ as: 'agent', method: 'DELETE', url: `/api/v1/saved-filters/${id}` });
    expect(deleted.status).toBe(200);
    expect((await call({ as: 'agent', method: 'GET', url: '/api/v1/saved-filters' })).json().items).toEqual(
      [],
    );
    const actions = (await auditEvents()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['saved_filter.created', 'saved_filter.deleted']));
  });

  it('exports the filtered account list as XLSX with PII masked, audited, inside the client scope', async () => {
    const response = await download('finance', '/api/v1/exports/accounts.xlsx?client=ZSB&lang=en');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toContain('spreadsheetml');
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="accounts-.*\.xlsx"/);
    const rows = await sheetText(response.rawPayload);
    expect(rows[0]?.slice(0, 6)).toEqual([
      'Account ref',
      'Client',
      'Batch',
      'Debtor',
      'ID number (masked)',
      'Phones (masked)',
    ]);
    expect(
      rows
        .slice(1)
        .map((row) => row[0])
        .sort(),
    ).toEqual(['A001', 'A002', 'A003']);
    const a001 = rows.find((row) => row[0] === 'A001') ?? [];
    expect(a001[4]).toMatch(/\*/);
    expect(a001[5]).toBe('+86 138****5678');
    const all = rows.flat().join('|');
    expect(all).not.toContain('13812345678');
    expect(all).not.toContain('11010519491231002X');

    const zh = await sheetText(
      (await download('finance', '/api/v1/exports/accounts.xlsx?client=ZSB&lang=zh-CN')).rawPayload,
    );
    expect(zh[0]?.[0]).toBe('客户账号');

    const outside = await download('clientB', '/api/v1/exports/accounts.xlsx?client=ZSB');
    expect(outside.statusCode).toBe(404);
    const own = await sheetText((await download('clientB', '/api/v1/exports/accounts.xlsx')).rawPayload);
    expect(own.slice(1).map((row) => row[0])).toEqual(['B001']);
    const exported = await t.db
      .selectFrom('audit_events')
      .select(['actor', 'after'])
      .where('action', '=', 'accounts.exported')
      .orderBy('id')
      .execute();
    expect(exported[0]).toMatchObject({ actor: 'finance', after: { rows: 3, filters: { client: 'ZSB' } } });
  });
});

describe('the measures (效果评估)', () => {
  const march = 'from=2026-03-01&to=2026-03-31';

  it("agree with the ledger's own figures, for staff and for the client's own users", async () => {
    const summary = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/measures/summary?client=ZSB&${march}`,
    });
    expect(summary.status, summary.text).toBe(200);
    const body = summary.json();
    expect(body).toMatchObject({ from: '2026-03-01', to: '2026-03-31', currency: 'CNY' });
    // the placed balance is what the placement entries credited to client:placed; the accounts were
    // placed today, so a period up to today counts them (March, before they were placed, does not)
    const placed = await sql<{ placed: string }>`
      SELECT (-sum(p.amount_minor))::text AS placed
        FROM postings p JOIN journal_entries je ON je.id = p.entry_id JOIN clients c ON c.id = je.client_id
       WHERE c.code = 'ZSB' AND je.kind = 'placement' AND p.ledger_account = 'client:placed'`.execute(t.db);
    const toDate = (
      await call({ as: 'finance', method: 'GET', url: '/api/v1/measures/summary?client=ZSB' })
    ).json();
    expect(toDate.values.accounts_placed).toBe(3);
    expect(String(toDate.values.placed_minor)).toBe(placed.rows[0]?.placed);
    expect(body.values.accounts_placed).toBe(0);
    // gross collected over March is what collections by day adds up for the same days
    const days = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/stats/collections-by-day?client=ZSB&${march}`,
    });
    const byDay = days.json().items.reduce(
      (
        sum: { trust: number; direct: number },
        day: { collected_minor: number; direct_paid_minor: number },
      ) => ({
        trust: sum.trust + day.collected_minor,
        direct: sum.direct + day.direct_paid_minor,
      }),
      { trust: 0, direct: 0 },
    );
    expect(body.values.collected_trust_minor).toBe(byDay.trust);
    expect(body.values.collected_direct_minor).toBe(byDay.direct);
    expect(body.values.collected_minor).toBe(byDay.trust + byDay.direct);
    expect(body.values.recovery_rate).toMatchObject({
      numerator: body.values.collected_minor,
      denominator: body.values.placed_minor,
    });

    // the client's own user sees the same figures without naming itself; the other client's sees its own
    const own = await call({ as: 'client', method: 'GET', url: `/api/v1/measures/summary?${march}` });
    expect(own.json().values).toEqual(body.values);
    const other = await call({ as: 'clientB', method: 'GET', url: '/api/v1/measures/summary' });
    expect(other.json().values.accounts_placed).toBe(1);
    expect(other.json().values.collected_minor).toBe(0);
    const outside = await call({ as: 'clientB', method: 'GET', url: `/api/v1/measures/summary?client=ZSB` });
    expect(outside.status).toBe(404);

    const byClient = await call({
      as: 'admin',
      method: 'GET',
      url: `/api/v1/measures/by?dimension=client&${march}`,
    });
    expect(byClient.status, byClient.text).toBe(200);
    expect(byClient.json().truncated).toBe(false);
    const rows = byClient.json().rows as Array<{
      label: string;
      accounts_placed: number;
      collected_minor: number;
    }>;
    // in March no account was placed yet (they were placed today), but ZSB's payments are dated then
    expect(rows.map((row) => [row.accounts_placed, row.collected_minor])).toEqual([
      [0, body.values.collected_minor],
      [0, 0],
    ]);
  });

  it('keep the agency’s organisation from client users and refuse bad periods with what to do', async () => {
    for (const url of [
      '/api/v1/measures/summary?agent=agent',
      '/api/v1/measures/summary?team=1',
      '/api/v1/measures/by?dimension=agent',
      '/api/v1/measures/by?dimension=arm',
    ]) {
      const refused = await call({ as: 'client', method: 'GET', url });
      expect(refused.status, url).toBe(403);
      expect(refused.json().error.code).toBe('forbidden');
    }
    const staff = await call({ as: 'supervisor', method: 'GET', url: '/api/v1/measures/by?dimension=agent' });
    expect(staff.status, staff.text).toBe(200);

    const backwards = await call({
      as: 'finance',
      method: 'GET',
      url: '/api/v1/measures/summary?from=2026-03-31&to=2026-03-01',
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json().error).toMatchObject({
      code: 'bad_usage',
      message: expect.stringContaining('swap'),
    });
    const tooLong = await call({
      as: 'finance',
      method: 'GET',
      url: '/api/v1/measures/summary?from=2020-01-01&to=2026-03-01',
    });
    expect(tooLong.status).toBe(400);
    const overlapping = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/measures/compare?measure=contact_rate&${march}&before_from=2026-02-01&before_to=2026-03-10`,
    });
    expect(overlapping.status).toBe(400);
    const unknown = await call({
      as: 'finance',
      method: 'GET',
      url: '/api/v1/measures/compare?measure=recovery_rate',
    });
    expect(unknown.status).toBe(400);

    // the "before" period defaults to as many days just before the period
    const compared = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/measures/compare?measure=account_recovery_rate&${march}`,
    });
    expect(compared.status, compared.text).toBe(200);
    expect(compared.json()).toMatchObject({
      measure: 'account_recovery_rate',
      before: { from: '2026-01-29', to: '2026-02-28' },
      after: { from: '2026-03-01', to: '2026-03-31' },
      enough: false,
    });
    const future = await call({
      as: 'finance',
      method: 'GET',
      url: '/api/v1/measures/roll-rates?month=2999-01',
    });
    expect(future.status).toBe(400);
    // this month is not over: its last day's buckets would be a guess
    const current = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/measures/roll-rates?month=${todayIn().slice(0, 7)}`,
    });
    expect(current.status).toBe(400);
    expect(current.json().error.message).toContain('not over yet');
    const before = await call({
      as: 'finance',
      method: 'GET',
      url: `/api/v1/measures/compare?measure=contact_rate&${march}&before_from=2026-02-20&before_to=2026-02-10`,
    });
    expect(before.json().error.message).toContain('swap before_from and before_to');
  });
});

// ------------------------------------------------------------------------------ the matrix

const everyone = roles;

interface MatrixCase {
  allowed: readonly Role[];
  /** What an allowed caller gets (business refusals such as 409 count: the role was let through). */
  ok: number[];
  call: () => Omit<Call, 'as' | 'method' | 'url'> & { url: string };
}

/** Every /api/v1 route of the books, keyed `METHOD /url` as registered. */
const matrix: Record<string, MatrixCase> = {
  'GET /api/v1/clients': { allowed: everyone, ok: [200], call: () => ({ url: '/api/v1/clients' }) },
  'POST /api/v1/clients': {
    allowed: ['admin'],
    ok: [409],
    call: () => ({ url: '/api/v1/clients', body: { code: 'ZSB', name: 'again' } }),
  },
  'GET /api/v1/clients/:code': { allowed: everyone, ok: [200], call: () => ({ url: '/api/v1/clients/ZSB' }) },
  'POST /api/v1/clients/:code/contracts': {
    allowed: ['admin'],
    ok: [400],
    call: () => ({ url: '/api/v1/clients/ZSB/contracts', body: { effective_from: '2020-01-01' } }),
  },
  'POST /api/v1/placement-batches': {
    allowed: ['admin', 'supervisor', 'finance'],
    ok: [200],
    call: () => ({
      url: '/api/v1/placement-batches',
      multipart: { fields: { client: 'ZSB' }, file: { name: 'placements.csv', content: placementsA } },
    }),
  },
  'GET /api/v1/placement-batches': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/placement-batches' }),
  },
  'GET /api/v1/placement-batches/:id': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/placement-batches/${ids.batchA}` }),
  },
  'GET /api/v1/placement-batches/:id/errors.csv': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/placement-batches/${ids.batchA}/errors.csv` }),
  },
  'POST /api/v1/placement-batches/:id/approve': {
    allowed: ['supervisor', 'admin', 'finance'],
    ok: [409],
    call: () => ({ url: `/api/v1/placement-batches/${ids.batchA}/approve` }),
  },
  'POST /api/v1/placement-batches/:id/reject': {
    allowed: ['supervisor', 'admin', 'finance'],
    ok: [409],
    call: () => ({ url: `/api/v1/placement-batches/${ids.batchA}/reject`, body: { reason: 'late' } }),
  },
  'GET /api/v1/accounts': { allowed: everyone, ok: [200], call: () => ({ url: '/api/v1/accounts' }) },
  'GET /api/v1/accounts/:id': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}` }),
  },
  'GET /api/v1/accounts/:id/ledger': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/ledger` }),
  },
  'GET /api/v1/accounts/:id/timeline': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/timeline` }),
  },
  'POST /api/v1/accounts/:id/notes': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/notes`, body: { text: '已联系' } }),
  },
  'POST /api/v1/accounts/:id/reveal': {
    allowed: ['supervisor', 'compliance', 'admin'],
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/reveal`, body: { field: 'id_number' } }),
  },
  'GET /api/v1/balances': { allowed: everyone, ok: [200], call: () => ({ url: '/api/v1/balances' }) },
  'POST /api/v1/payment-claims': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({
      url: '/api/v1/payment-claims',
      body: { account_id: String(ids.A001), amount_minor: 500, paid_on: '2026-03-06', channel: 'wechat_pay' },
    }),
  },
  'GET /api/v1/payment-claims': {
    allowed: ['agent', 'supervisor', 'finance', 'admin'],
    ok: [200],
    call: () => ({ url: '/api/v1/payment-claims' }),
  },
  'POST /api/v1/payment-claims/:id/verify': {
    allowed: ['finance'],
    ok: [409],
    call: () => ({ url: `/api/v1/payment-claims/${ids.claim}/verify` }),
  },
  'POST /api/v1/payment-claims/:id/reject': {
    allowed: ['finance'],
    ok: [409],
    call: () => ({ url: `/api/v1/payment-claims/${ids.claim}/reject`, body: { reason: '查无此款' } }),
  },
  'POST /api/v1/payment-files': {
    allowed: ['finance'],
    ok: [201],
    call: () => ({
      url: '/api/v1/payment-files',
      multipart: { fields: { client: 'ZSB' }, file: { name: 'payments.csv', content: paymentsA } },
    }),
  },
  'POST /api/v1/reversals': {
    allowed: ['finance'],
    ok: [200],
    call: () => ({ url: '/api/v1/reversals', body: { client: 'ZSB', external_id: 'P2', reason: '退票' } }),
  },
  'POST /api/v1/proposals': {
    allowed: ['agent', 'supervisor', 'finance'],
    ok: [409],
    call: () => ({
      url: '/api/v1/proposals',
      body: { kind: 'write_off', account_id: String(ids.A002), reason: 'deceased' },
    }),
  },
  'GET /api/v1/approvals': {
    allowed: ['supervisor', 'finance', 'admin'],
    ok: [200],
    call: () => ({ url: '/api/v1/approvals?status=all' }),
  },
  'POST /api/v1/approvals/:id/approve': {
    allowed: ['supervisor', 'finance', 'admin'],
    ok: [409],
    call: () => ({ url: `/api/v1/approvals/${ids.decidedProposal}/approve` }),
  },
  'POST /api/v1/approvals/:id/reject': {
    allowed: ['supervisor', 'finance', 'admin'],
    ok: [409],
    call: () => ({ url: `/api/v1/approvals/${ids.decidedProposal}/reject`, body: { reason: 'no' } }),
  },
  'GET /api/v1/stats/balances-by-bucket': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/stats/balances-by-bucket' }),
  },
  'GET /api/v1/stats/collections-by-day': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/stats/collections-by-day' }),
  },
  'GET /api/v1/reports/team-board': {
    allowed: ['supervisor', 'admin'],
    ok: [200],
    call: () => ({ url: '/api/v1/reports/team-board' }),
  },
  'GET /api/v1/measures/summary': {
    allowed: ['admin', 'supervisor', 'finance', 'client'],
    ok: [200],
    call: () => ({ url: '/api/v1/measures/summary' }),
  },
  'GET /api/v1/measures/by': {
    allowed: ['admin', 'supervisor', 'finance', 'client'],
    ok: [200],
    call: () => ({ url: '/api/v1/measures/by?dimension=batch' }),
  },
  'GET /api/v1/measures/recovery-curve': {
    allowed: ['admin', 'supervisor', 'finance', 'client'],
    ok: [200],
    call: () => ({ url: '/api/v1/measures/recovery-curve' }),
  },
  'GET /api/v1/measures/roll-rates': {
    allowed: ['admin', 'supervisor', 'finance', 'client'],
    ok: [200],
    call: () => ({ url: '/api/v1/measures/roll-rates' }),
  },
  'GET /api/v1/measures/compare': {
    allowed: ['admin', 'supervisor', 'finance', 'client'],
    ok: [200],
    call: () => ({ url: '/api/v1/measures/compare?measure=contact_rate' }),
  },
  'GET /api/v1/exports/accounts.xlsx': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/exports/accounts.xlsx?status=active' }),
  },
  'GET /api/v1/saved-filters': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/saved-filters?list=accounts' }),
  },
  'POST /api/v1/saved-filters': {
    allowed: everyone,
    ok: [201],
    call: () => ({
      url: '/api/v1/saved-filters',
      body: {
        list: 'accounts',
        name: `matrix ${randomBytes(4).toString('hex')}`,
        filters: { status: 'active' },
      },
    }),
  },
  'DELETE /api/v1/saved-filters/:id': {
    allowed: everyone,
    ok: [404],
    call: () => ({ url: '/api/v1/saved-filters/999999' }),
  },
  // training records (src/training/routes.ts); the matrix's course is optional, so agents stay able to act
  'GET /api/v1/training/courses': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/training/courses' }),
  },
  'POST /api/v1/training/courses': {
    allowed: ['admin', 'compliance'],
    ok: [201],
    call: () => ({
      url: '/api/v1/training/courses',
      body: { code: `matrix-${randomBytes(4).toString('hex')}`, title: 'matrix', required: false },
    }),
  },
  'POST /api/v1/training/completions': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [404],
    call: () => ({
      url: '/api/v1/training/completions',
      body: { username: 'agent', course: 'no-such-course', completed_on: '2026-01-05' },
    }),
  },
  // finance may not see another user's training record (the route lets staff in, the record is the agent's own)
  'GET /api/v1/training/users/:username': {
    allowed: ['admin', 'compliance', 'supervisor', 'agent'],
    ok: [200],
    call: () => ({ url: '/api/v1/training/users/agent' }),
  },
  'GET /api/v1/training/expiring': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/training/expiring?within_days=30' }),
  },
  // allocation and queues (src/allocation/routes.ts)
  'GET /api/v1/allocation/rules': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/allocation/rules' }),
  },
  'POST /api/v1/allocation/rules': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/allocation/rules', body: { team_id: 999999, method: 'balanced_count' } }),
  },
  'POST /api/v1/allocation/run': {
    allowed: ['admin', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/allocation/run', body: {} }),
  },
  'POST /api/v1/allocation/reassign': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({
      url: '/api/v1/allocation/reassign',
      body: { account_ids: [ids.A001], to_agent: 'nobody', reason: 'matrix' },
    }),
  },
  'GET /api/v1/accounts/:id/assignments': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/assignments` }),
  },
  'GET /api/v1/worklist/queue': {
    allowed: ['admin', 'supervisor', 'agent'],
    ok: [200],
    call: () => ({ url: '/api/v1/worklist/queue' }),
  },
  'GET /api/v1/worklist/queue/next': {
    allowed: ['admin', 'supervisor', 'agent'],
    ok: [200],
    call: () => ({ url: '/api/v1/worklist/queue/next' }),
  },
  'GET /api/v1/allocation/teams/:id/queues': {
    allowed: ['admin', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/allocation/teams/999999/queues' }),
  },
  'POST /api/v1/allocation/preview': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/allocation/preview', body: { team_id: 999999 } }),
  },
  'GET /api/v1/allocation/agents': {
    allowed: ['admin', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/allocation/agents' }),
  },
  'POST /api/v1/allocation/agents': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/allocation/agents', body: { agent: 'nobody', languages: ['en'] } }),
  },
  // champion / challenger results (src/strategy/experiment-routes.ts)
  'GET /api/v1/experiments': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/experiments' }),
  },
  'POST /api/v1/experiments/promote': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({
      url: '/api/v1/experiments/promote',
      body: { strategy_version_id: 999999, segment: 'm1', challenger: 'firm', reason: 'matrix' },
    }),
  },
  // retention (src/retention/routes.ts)
  'GET /api/v1/retention/queue': {
    allowed: ['admin', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/retention/queue' }),
  },
  'GET /api/v1/retention/legal-holds': {
    allowed: ['admin', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/retention/legal-holds?open=true' }),
  },
  'POST /api/v1/retention/legal-holds': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({
      url: '/api/v1/retention/legal-holds',
      body: { client_id: 1, account_id: 999999, reason: 'matrix' },
    }),
  },
  'POST /api/v1/retention/legal-holds/:id/release': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/retention/legal-holds/999999/release', body: { reason: 'matrix' } }),
  },
  // the gate's verdict log (src/compliance/verdicts.ts)
  'GET /api/v1/compliance/verdicts': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({
      url: '/api/v1/compliance/verdicts?verdict=deny&channel=sms&from=2026-01-01&to=2026-12-31',
    }),
  },
  // rule profiles and the holds list (src/compliance/profile-routes.ts)
  'GET /api/v1/compliance/profiles': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/compliance/profiles?recent=10' }),
  },
  'GET /api/v1/compliance/profiles/:jurisdiction/effective': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/compliance/profiles/CN/effective?client=ZSB' }),
  },
  'POST /api/v1/compliance/profile-changes': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({
      url: '/api/v1/compliance/profile-changes',
      body: {
        jurisdiction: 'CN',
        scope: 'client',
        client: 'NOSUCH',
        changes: { robotCallsPerDay: 1 },
        reason: 'matrix',
      },
    }),
  },
  'POST /api/v1/compliance/profile-changes/:id/approve': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/compliance/profile-changes/999999/approve', body: {} }),
  },
  'POST /api/v1/compliance/profile-changes/:id/reject': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/compliance/profile-changes/999999/reject', body: { reason: 'matrix' } }),
  },
  'GET /api/v1/compliance/holds': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/compliance/holds?status=active&kind=dispute&page_size=10' }),
  },
  // quality checks (src/qa/routes.ts)
  'POST /api/v1/qa/check': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/qa/check', body: { text: '您好，请尽快还款。' } }),
  },
  'GET /api/v1/qa/cases': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/qa/cases?status=open' }),
  },
  'POST /api/v1/qa/cases/:id/decide': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/qa/cases/999999/decide', body: { decision: 'dismiss' } }),
  },
  'POST /api/v1/qa/samples': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/qa/samples', body: { week: '2026-W48', per_agent: 1 } }),
  },
  'GET /api/v1/qa/samples': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/qa/samples?week=2026-W48' }),
  },
  'POST /api/v1/qa/samples/:id/score': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [404],
    call: () => ({
      url: '/api/v1/qa/samples/999999/score',
      body: {
        scores: { identified: 15, right_party: 15, accurate: 20, conduct: 25, courtesy: 10, recorded: 15 },
      },
    }),
  },
  // finance may not see another user's QA record (the route lets staff in, the record is the agent's own)
  'GET /api/v1/qa/agents/:username': {
    allowed: ['admin', 'compliance', 'supervisor', 'agent'],
    ok: [200],
    call: () => ({ url: '/api/v1/qa/agents/agent' }),
  },
  // message templates (src/templates/routes.ts)
  'GET /api/v1/templates': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/templates?channel=sms' }),
  },
  'POST /api/v1/templates': {
    allowed: ['admin', 'compliance', 'supervisor'],
    ok: [201],
    call: () => ({
      url: '/api/v1/templates',
      body: {
        code: 'matrix-reminder',
        channel: 'sms',
        language: 'zh-CN',
        body: '{{debtor_name}}您好，您在{{client_name}}的欠款{{balance}}已逾期。',
        reason: 'matrix',
      },
    }),
  },
  'POST /api/v1/templates/:id/approve': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/templates/999999/approve', body: { reason: 'ok' } }),
  },
  'POST /api/v1/templates/:id/reject': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/templates/999999/reject', body: { reason: 'no' } }),
  },
  'GET /api/v1/templates/:id/preview': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [404],
    call: () => ({ url: `/api/v1/templates/999999/preview?account_id=${ids.A001}` }),
  },
  'GET /api/v1/accounts/:id/script': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/script?language=en` }),
  },
  // agent actions (src/worklist/routes.ts): refusals with fixed codes keep the account's state stable
  'GET /api/v1/worklist/limits': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: '/api/v1/worklist/limits' }),
  },
  'GET /api/v1/accounts/:id/actions': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/actions` }),
  },
  'POST /api/v1/accounts/:id/attempts': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/attempts`,
      body: { disposition: 'no_answer', channel: 'call' },
    }),
  },
  'POST /api/v1/accounts/:id/promises': {
    allowed: ['agent', 'supervisor'],
    ok: [422],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/promises`,
      body: { amount_minor: 100, due_on: '2020-01-01' },
    }),
  },
  'POST /api/v1/promises/:id/cancel': {
    allowed: ['agent', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/promises/999999/cancel', body: { reason: 'matrix' } }),
  },
  'POST /api/v1/accounts/:id/plans': {
    allowed: ['agent', 'supervisor'],
    ok: [422],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/plans`,
      body: { total_minor: 100, instalments: [{ due_on: '2099-01-01', amount_minor: 99 }] },
    }),
  },
  'POST /api/v1/plans/:id/approve': {
    allowed: ['supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/plans/999999/approve', body: {} }),
  },
  'POST /api/v1/plans/:id/reject': {
    allowed: ['supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/plans/999999/reject', body: { reason: 'matrix' } }),
  },
  'POST /api/v1/accounts/:id/callbacks': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/callbacks`,
      body: { at: new Date(Date.now() + 7 * 86_400_000).toISOString() },
    }),
  },
  'POST /api/v1/callbacks/:id/done': {
    allowed: ['agent', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/callbacks/999999/done' }),
  },
  'POST /api/v1/accounts/:id/hardship': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/hardship`, body: { note: 'matrix' } }),
  },
  'POST /api/v1/accounts/:id/field-visits': {
    allowed: ['agent', 'supervisor'],
    ok: [422],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/field-visits`,
      body: { visited_at: '2026-01-01 10:00', address: '上海', visitors: '王五', result: 'no one home' },
    }),
  },
  // holds and consent (src/compliance/routes.ts); ZSB is a CN client, so the US notice is refused (409)
  'GET /api/v1/accounts/:id/holds': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/holds` }),
  },
  'POST /api/v1/accounts/:id/holds': {
    allowed: ['compliance', 'supervisor', 'admin', 'agent'],
    ok: [200, 201],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/holds`,
      body: { kind: 'opt_out_email', source: 'email' },
    }),
  },
  'POST /api/v1/holds/:id/lift': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [404],
    call: () => ({ url: '/api/v1/holds/999999/lift', body: { reason: 'matrix' } }),
  },
  'GET /api/v1/accounts/:id/consents': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/consents` }),
  },
  'POST /api/v1/accounts/:id/consents': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [201],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/consents`,
      body: { kind: 'channel', channel: 'sms', source: 'phone' },
    }),
  },
  'POST /api/v1/consents/:id/withdraw': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [404],
    call: () => ({ url: '/api/v1/consents/999999/withdraw', body: { reason: 'matrix' } }),
  },
  'GET /api/v1/accounts/:id/lost-contact': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/lost-contact` }),
  },
  'POST /api/v1/accounts/:id/lost-contact': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [200, 409],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/lost-contact`, body: { reason: '失联' } }),
  },
  'POST /api/v1/accounts/:id/lost-contact/clear': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [200, 409],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/lost-contact/clear`, body: { reason: '已联系' } }),
  },
  'GET /api/v1/accounts/:id/agreed-contacts': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/agreed-contacts` }),
  },
  'POST /api/v1/accounts/:id/agreed-contacts': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [201],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/agreed-contacts`,
      body: { kind: 'email', value: 'friend@example.com', holder_name: '赵六', relation: '朋友' },
    }),
  },
  'GET /api/v1/accounts/:id/validation-notice': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/validation-notice` }),
  },
  'POST /api/v1/accounts/:id/validation-notice': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [409],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/validation-notice`, body: { sent_on: '2026-03-02' } }),
  },
  'POST /api/v1/accounts/:id/validation-notice/verification': {
    allowed: ['compliance', 'supervisor', 'admin'],
    ok: [409],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/validation-notice/verification`,
      body: { sent_on: '2026-03-09' },
    }),
  },
  'POST /api/v1/accounts/:id/messages': {
    allowed: ['agent', 'supervisor'],
    // e-mail is not configured here: through the roles, refused before anything is recorded
    ok: [409],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/messages`,
      body: { channel: 'email', contact_point_id: String(ids.phoneA001), subject: '提醒', text: '请还款' },
    }),
  },
  'GET /api/v1/accounts/:id/messages': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/messages` }),
  },
  'GET /api/v1/accounts/:id/channels': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/channels` }),
  },
  'POST /api/v1/accounts/:id/contact-check': {
    allowed: ['agent', 'supervisor', 'compliance', 'admin'],
    ok: [200],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/contact-check`,
      body: { channel: 'sms', contact_point_id: String(ids.phoneA001) },
    }),
  },
  // no approved template here: 404 no_approved_template, nothing recorded
  'GET /api/v1/accounts/:id/messages/from-template/preview': {
    allowed: ['agent', 'supervisor', 'compliance', 'admin'],
    ok: [404],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/messages/from-template/preview?channel=sms&template_code=none`,
    }),
  },
  'POST /api/v1/accounts/:id/messages/from-template': {
    allowed: ['agent', 'supervisor'],
    ok: [404],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/messages/from-template`,
      body: { channel: 'sms', template_code: 'none' },
    }),
  },
  // letters: the agency is not configured here (409 channel_not_configured, nothing recorded)
  'POST /api/v1/accounts/:id/letters': {
    allowed: ['agent', 'supervisor'],
    ok: [409],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/letters`, body: { kind: 'letter' } }),
  },
  'GET /api/v1/letters/batches': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/letters/batches' }),
  },
  'POST /api/v1/letters/batches': {
    allowed: ['supervisor', 'admin'],
    // nothing queued: 409 queue_empty
    ok: [409],
    call: () => ({ url: '/api/v1/letters/batches', body: { client: 'ZSB' } }),
  },
  'GET /api/v1/letters/batches/:id/pdf': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/letters/batches/999999/pdf' }),
  },
  // calls: the PBX is not configured here (409 channel_not_configured before the gate)
  'POST /api/v1/accounts/:id/calls': {
    allowed: ['agent', 'supervisor'],
    ok: [409],
    call: () => ({
      url: `/api/v1/accounts/${ids.A001}/calls`,
      body: { contact_point_id: String(ids.phoneA001), extension: '201' },
    }),
  },
  'GET /api/v1/accounts/:id/calls': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/calls` }),
  },
  'POST /api/v1/calls/:id/hangup': {
    allowed: ['agent', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/calls/999999/hangup' }),
  },
  'POST /api/v1/calls/:id/disposition': {
    allowed: ['agent', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/calls/999999/disposition', body: { disposition: 'conversation' } }),
  },
  'POST /api/v1/accounts/:id/debtor-page-link': {
    allowed: ['agent', 'supervisor'],
    ok: [201],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/debtor-page-link`, body: { days: 7 } }),
  },
  'GET /api/v1/channels': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/channels' }),
  },
  'POST /api/v1/channels/webhook-secrets': {
    allowed: ['admin'],
    ok: [201],
    call: () => ({ url: '/api/v1/channels/webhook-secrets', body: { provider: 'aliyun' } }),
  },
  // the risk model inside the platform (src/risk/platform/routes.ts)
  'GET /api/v1/risk/models': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/risk/models' }),
  },
  'POST /api/v1/risk/models': {
    allowed: ['admin', 'supervisor'],
    ok: [201],
    call: () => ({
      url: '/api/v1/risk/models',
      body: { name: 'matrix', model: testModel(), outcome_days: 30, paid_share: 0.5 },
    }),
  },
  'GET /api/v1/risk/models/:id/report': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/risk/models/999999/report' }),
  },
  'POST /api/v1/risk/models/:id/approve': {
    allowed: ['admin', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/risk/models/999999/approve' }),
  },
  'POST /api/v1/risk/models/:id/promote': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/risk/models/999999/promote', body: { as: 'champion' } }),
  },
  'GET /api/v1/accounts/:id/scores': {
    allowed: everyone,
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/scores` }),
  },
  'GET /api/v1/risk/watch': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/risk/watch' }),
  },
  'GET /api/v1/risk/watch-rules': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/risk/watch-rules' }),
  },
  'POST /api/v1/risk/watch/:id/acknowledge': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/risk/watch/999999/acknowledge' }),
  },
  'POST /api/v1/risk/watch/:id/action': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/risk/watch/999999/action', body: { note: 'matrix' } }),
  },
  // a user's own notifications (src/notifications/routes.ts)
  'GET /api/v1/notifications': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/notifications' }),
  },
  'POST /api/v1/notifications/:id/read': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/notifications/999999/read' }),
  },
  'POST /api/v1/notifications/read-all': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/notifications/read-all', body: {} }),
  },
  'GET /api/v1/notifications/email': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/notifications/email' }),
  },
  'POST /api/v1/notifications/email': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/notifications/email', body: { email: null } }),
  },
  // strategies as data (src/strategy/routes.ts)
  'GET /api/v1/strategies': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [200],
    call: () => ({ url: '/api/v1/strategies' }),
  },
  'GET /api/v1/strategies/:id': {
    allowed: ['admin', 'supervisor', 'compliance'],
    ok: [404],
    call: () => ({ url: '/api/v1/strategies/999999' }),
  },
  'POST /api/v1/strategies': {
    allowed: ['admin', 'supervisor'],
    ok: [201],
    call: () => ({ url: '/api/v1/strategies', body: { document: matrixStrategy, reason: 'matrix' } }),
  },
  'POST /api/v1/strategies/dry-run': {
    allowed: ['admin', 'supervisor'],
    ok: [200],
    call: () => ({ url: '/api/v1/strategies/dry-run', body: { document: matrixStrategy } }),
  },
  'POST /api/v1/strategies/:id/approve': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/strategies/999999/approve', body: {} }),
  },
  'POST /api/v1/strategies/:id/reject': {
    allowed: ['admin', 'supervisor'],
    ok: [404],
    call: () => ({ url: '/api/v1/strategies/999999/reject', body: { reason: 'matrix' } }),
  },
  'GET /api/v1/accounts/:id/treatment': {
    allowed: ['admin', 'supervisor', 'agent', 'finance', 'compliance'],
    ok: [200],
    call: () => ({ url: `/api/v1/accounts/${ids.A001}/treatment` }),
  },
};

/** A strategy with one catch-all segment and a call task (no template: nothing to look up). */
const matrixStrategy = {
  name: 'matrix',
  segments: [
    {
      code: 'all',
      name: 'Everyone',
      conditions: { all: [] },
      arms: [
        {
          code: 'champion',
          role: 'champion',
          share_bp: 10000,
          steps: [{ code: 'call', day: 0, kind: 'task', task: 'call' }],
        },
      ],
    },
  ],
};

interface SignedCase {
  /** Without the credential (or with a forged one): 401 for anyone, a session included. */
  unsigned: () => Omit<Call, 'method'>;
  signed: () => Omit<Call, 'method'>;
  ok: number[];
  /** The status without the credential when not 401 (the debtor page: a 404 page with no data). */
  refused?: number;
}

/** Routes that take no session: a provider's signature or a message's signed link is their credential. */
const signedRoutes: Record<string, SignedCase> = {
  'POST /api/v1/channels/sms/:provider/receipts': {
    unsigned: () =>
      twilioWebhook(
        '/api/v1/channels/sms/twilio/receipts',
        { MessageSid: `SM${'1'.repeat(32)}`, MessageStatus: 'delivered', AccountSid: twilioAccount },
        'forged',
      ),
    signed: () =>
      twilioWebhook('/api/v1/channels/sms/twilio/receipts', {
        MessageSid: `SM${'1'.repeat(32)}`,
        MessageStatus: 'delivered',
        AccountSid: twilioAccount,
      }),
    ok: [200],
  },
  'POST /api/v1/channels/sms/:provider/inbound': {
    unsigned: () =>
      aliyunWebhook(
        '/api/v1/channels/sms/aliyun/inbound',
        [{ phone_number: '13900000000', content: 'TD', sequence_id: 1 }],
        'forged',
      ),
    signed: () =>
      aliyunWebhook('/api/v1/channels/sms/aliyun/inbound', [
        { phone_number: '13900000000', content: '好的', sequence_id: 1 },
      ]),
    ok: [200],
  },
  // an e-mail bounce (RFC 3464 report) about no message of ours: recorded as unmatched
  'POST /api/v1/channels/email/bounces': {
    unsigned: () => bounceWebhook('forged'),
    signed: () => bounceWebhook(),
    ok: [200],
  },
  'GET /api/v1/channels/opt-out/:token': {
    unsigned: () => ({ url: `/api/v1/channels/opt-out/999999.${optOutToken(999_998n).split('.')[1]}` }),
    // genuine, for a message that does not exist
    signed: () => ({ url: `/api/v1/channels/opt-out/${optOutToken(999_999n)}` }),
    ok: [404],
  },
  'POST /api/v1/channels/opt-out/:token': {
    unsigned: () => ({ url: `/api/v1/channels/opt-out/999999.${optOutToken(999_998n).split('.')[1]}` }),
    signed: () => ({ url: `/api/v1/channels/opt-out/${optOutToken(999_999n)}` }),
    ok: [404],
  },
  // the debtor page: a forged or expired link is a 404 page with no data, the same as an unknown account's
  'GET /api/v1/debtor-page/:token': {
    unsigned: () => ({ url: `/api/v1/debtor-page/${ids.A001}.4102444800.${'A'.repeat(24)}` }),
    signed: () => ({
      url: `/api/v1/debtor-page/${pageToken(999_999n, 1n, new Date(Date.now() + 86_400_000))}`,
    }),
    ok: [404],
    refused: 404,
  },
  'POST /api/v1/debtor-page/:token/:form': {
    unsigned: () => ({
      url: `/api/v1/debtor-page/${ids.A001}.4102444800.${'A'.repeat(24)}/callback`,
      raw: { contentType: 'application/x-www-form-urlencoded', body: 'nonce=x&when=now' },
    }),
    signed: () => ({
      url: `/api/v1/debtor-page/${pageToken(999_999n, 1n, new Date(Date.now() + 86_400_000))}/callback`,
      raw: { contentType: 'application/x-www-form-urlencoded', body: 'nonce=x&when=now' },
    }),
    ok: [404],
    refused: 404,
  },
};

/** The routes other modules own and test (sessions, people, tokens, audit). */
const identityRoutes = /^\/api\/v1\/(session|users|teams|tokens|audit)(\/|$)/;

function booksRoutes(): string[] {
  return app.routeList
    .filter((r) => r.url.startsWith('/api/v1/') && !identityRoutes.test(r.url))
    .map((r) => `${r.method} ${r.url}`)
    .sort();
}

describe('the authorisation matrix', () => {
  it('names every route of the books, and only those', () => {
    expect([...Object.keys(matrix), ...Object.keys(signedRoutes)].sort()).toEqual(booksRoutes());
  });

  for (const [key, entry] of Object.entries(signedRoutes)) {
    it(`${key}: 401 without its signature for anyone, a session included; through when signed`, async () => {
      const [method] = key.split(' ') as ['GET' | 'POST'];
      for (const as of [undefined, ...roles]) {
        const response = await call({ as, method, ...entry.unsigned() });
        expect(response.status, `${as}: ${response.text.slice(0, 300)}`).toBe(entry.refused ?? 401);
        if (entry.refused === undefined) expect(response.json().error.code).toBe('unauthenticated');
      }
      const signed = await call({ method, ...entry.signed() });
      expect(entry.ok, signed.text.slice(0, 300)).toContain(signed.status);
    });
  }

  for (const [key, entry] of Object.entries(matrix)) {
    it(`${key}: 401 anonymous, 403 for roles that may not, through for ${entry.allowed.join(', ')}`, async () => {
      const [method] = key.split(' ') as ['GET' | 'POST' | 'DELETE'];
      const anonymous = await call({ method, ...entry.call() });
      expect(anonymous.status, 'anonymous').toBe(401);
      expect(anonymous.json().error.code).toBe('unauthenticated');
      for (const role of roles) {
        const response = await call({ as: role, method, ...entry.call() });
        if (entry.allowed.includes(role)) {
          expect(entry.ok, `${role}: ${response.text.slice(0, 300)}`).toContain(response.status);
        } else {
          expect(response.status, `${role}: ${response.text.slice(0, 300)}`).toBe(403);
          expect(response.json().error.code).toBe('forbidden');
        }
      }
    });
  }
});

describe('client separation and team scope', () => {
  it("a client user of B sees none of A's accounts, batches, balances or figures (404, not 403)", async () => {
    const accounts = await call({ as: 'clientB', method: 'GET', url: '/api/v1/accounts' });
    expect(accounts.json().items.map((i: { ref: string }) => i.ref)).toEqual(['B001']);
    const batches = await call({ as: 'clientB', method: 'GET', url: '/api/v1/placement-batches' });
    expect(batches.json().items.map((b: { batch_id: number }) => b.batch_id)).toEqual([ids.batchB]);
    const balances = await call({ as: 'clientB', method: 'GET', url: '/api/v1/balances' });
    expect(balances.json().items.map((b: { client: string }) => b.client)).toEqual(['OTHER']);
    const clients = await call({ as: 'clientB', method: 'GET', url: '/api/v1/clients' });
    expect(clients.json().items.map((c: { code: string }) => c.code)).toEqual(['OTHER']);
    for (const url of [
      `/api/v1/accounts/${ids.A001}`,
      `/api/v1/accounts/${ids.A001}/ledger`,
      `/api/v1/accounts/${ids.A001}/timeline`,
      `/api/v1/placement-batches/${ids.batchA}`,
      `/api/v1/placement-batches/${ids.batchA}/errors.csv`,
      '/api/v1/balances?client=ZSB',
      '/api/v1/accounts?client=ZSB',
      '/api/v1/clients/ZSB',
      '/api/v1/stats/balances-by-bucket?client=ZSB',
      '/api/v1/stats/collections-by-day?client=ZSB',
    ]) {
      const response = await call({ as: 'clientB', method: 'GET', url });
      expect(response.status, url).toBe(404);
    }
    const missing = await call({ as: 'clientB', method: 'GET', url: '/api/v1/accounts/999999' });
    expect(missing.json()).toEqual({
      error: { code: 'not_found', message: expect.any(String), details: null },
    });
    const figures = await call({ as: 'clientB', method: 'GET', url: '/api/v1/stats/balances-by-bucket' });
    expect(figures.json().items).toEqual([
      { bucket: 'M6+', currency: 'CNY', accounts: 1, balance_minor: 500_000 },
    ]);
  });

  it('an agent outside the team cannot see or touch the other team’s accounts', async () => {
    const list = await call({ as: 'agentB', method: 'GET', url: '/api/v1/accounts' });
    expect(list.json().items.map((i: { ref: string }) => i.ref)).toEqual(['B001']);
    expect((await call({ as: 'agentB', method: 'GET', url: `/api/v1/accounts/${ids.A001}` })).status).toBe(
      404,
    );
    const before = await fingerprint();
    const note = await call({
      as: 'agentB',
      method: 'POST',
      url: `/api/v1/accounts/${ids.A001}/notes`,
      body: { text: '越权' },
    });
    expect(note.status).toBe(404);
    const claim = await call({
      as: 'agentB',
      method: 'POST',
      url: '/api/v1/payment-claims',
      body: { account_id: String(ids.A001), amount_minor: 100, paid_on: '2026-03-06', channel: 'cash' },
    });
    expect(claim.status).toBe(404);
    const proposal = await call({
      as: 'agentB',
      method: 'POST',
      url: '/api/v1/proposals',
      body: { kind: 'recall', account_id: String(ids.A001), reason: '越权' },
    });
    expect(proposal.status).toBe(404);
    expect(await fingerprint()).toEqual(before);
    const claims = await call({ as: 'agentB', method: 'GET', url: '/api/v1/payment-claims' });
    expect(claims.json().total).toBe(0);
  });
});

describe('sessions and API tokens on the routes of the books', () => {
  it('refuses a cookie session’s write without the CSRF header, changing nothing', async () => {
    const before = await fingerprint();
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${ids.A001}/notes`,
      headers: { cookie: sessions.agent?.cookie ?? '', 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'no csrf' }),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('forbidden');
    expect(await fingerprint()).toEqual(before);
  });

  it('lets a read-only API token of a client user read its own client and nothing else, and write nothing', async () => {
    const { secret } = await createToken(
      t.db,
      { user: { username: 'client' }, name: 'portal', scopes: ['read'] },
      setup,
    );
    const bearer = { authorization: `Bearer ${secret}` };
    const list = await app.inject({ method: 'GET', url: '/api/v1/accounts', headers: bearer });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.every((i: { client: string }) => i.client === 'ZSB')).toBe(true);
    const other = await app.inject({ method: 'GET', url: `/api/v1/accounts/${ids.B001}`, headers: bearer });
    expect(other.statusCode).toBe(404);
    const write = await app.inject({
      method: 'POST',
      url: '/api/v1/reversals',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: JSON.stringify({ client: 'ZSB', external_id: 'P1', reason: 'token' }),
    });
    expect(write.statusCode).toBe(403);
  });
});

// ------------------------------------------------------------------------------ bad payloads

const badPayloads: Record<string, () => Omit<Call, 'method'>> = {
  'POST /api/v1/clients': () => ({
    as: 'admin',
    url: '/api/v1/clients',
    body: { code: 'bad code!', name: '' },
  }),
  'POST /api/v1/clients/:code/contracts': () => ({
    as: 'admin',
    url: '/api/v1/clients/ZSB/contracts',
    body: { discount_limit_bp: 20_000 },
  }),
  'POST /api/v1/placement-batches': () => ({
    as: 'supervisor',
    url: '/api/v1/placement-batches',
    multipart: {
      fields: { client: 'ZSB', recall_date: '2026-13-45' },
      file: { name: 'p.csv', content: placementsB },
    },
  }),
  'POST /api/v1/placement-batches/:id/approve': () => ({
    as: 'finance',
    url: '/api/v1/placement-batches/abc/approve',
  }),
  'POST /api/v1/placement-batches/:id/reject': () => ({
    as: 'finance',
    url: `/api/v1/placement-batches/${ids.batchA}/reject`,
    body: { reason: '' },
  }),
  'POST /api/v1/accounts/:id/notes': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/notes`,
    body: { text: '   ' },
  }),
  'POST /api/v1/accounts/:id/reveal': () => ({
    as: 'supervisor',
    url: `/api/v1/accounts/${ids.A001}/reveal`,
    body: { field: 'password' },
  }),
  'POST /api/v1/payment-claims': () => ({
    as: 'agent',
    url: '/api/v1/payment-claims',
    body: { account_id: String(ids.A001), amount_minor: -5, paid_on: '2026-3-1', channel: 'gold' },
  }),
  'POST /api/v1/payment-claims/:id/verify': () => ({
    as: 'finance',
    url: '/api/v1/payment-claims/x1/verify',
  }),
  'POST /api/v1/payment-claims/:id/reject': () => ({
    as: 'finance',
    url: `/api/v1/payment-claims/${ids.claim}/reject`,
    body: {},
  }),
  'POST /api/v1/payment-files': () => ({
    as: 'finance',
    url: '/api/v1/payment-files',
    body: { client: 'ZSB' },
  }),
  'POST /api/v1/reversals': () => ({
    as: 'finance',
    url: '/api/v1/reversals',
    body: { client: 'ZSB', reason: 'x' },
  }),
  'POST /api/v1/proposals': () => ({
    as: 'agent',
    url: '/api/v1/proposals',
    body: { kind: 'forgive_everything', account_id: String(ids.A001) },
  }),
  'POST /api/v1/approvals/:id/approve': () => ({ as: 'finance', url: '/api/v1/approvals/0/approve' }),
  'POST /api/v1/saved-filters': () => ({
    as: 'agent',
    url: '/api/v1/saved-filters',
    body: { list: 'accounts', name: '  ', filters: { status: 7 } },
  }),
  'DELETE /api/v1/saved-filters/:id': () => ({ as: 'agent', url: '/api/v1/saved-filters/abc' }),
  'POST /api/v1/templates': () => ({
    as: 'compliance',
    url: '/api/v1/templates',
    body: { code: 'bad', channel: 'fax', language: 'zh-CN', body: 'x', reason: 'r' },
  }),
  'POST /api/v1/training/courses': () => ({
    as: 'compliance',
    url: '/api/v1/training/courses',
    body: { code: '', title: 'x', validity_months: 0 },
  }),
  'POST /api/v1/training/completions': () => ({
    as: 'supervisor',
    url: '/api/v1/training/completions',
    body: { username: 'agent', course: 'x', completed_on: 'tomorrow' },
  }),
  'POST /api/v1/allocation/rules': () => ({
    as: 'supervisor',
    url: '/api/v1/allocation/rules',
    body: { team_id: 1, method: 'random' },
  }),
  'POST /api/v1/allocation/run': () => ({
    as: 'supervisor',
    url: '/api/v1/allocation/run',
    body: { team_id: 'abc' },
  }),
  'POST /api/v1/allocation/reassign': () => ({
    as: 'supervisor',
    url: '/api/v1/allocation/reassign',
    body: { account_ids: [], to_agent: '', reason: '' },
  }),
  'POST /api/v1/allocation/preview': () => ({
    as: 'supervisor',
    url: '/api/v1/allocation/preview',
    body: { team_id: 'abc' },
  }),
  'POST /api/v1/allocation/agents': () => ({
    as: 'supervisor',
    url: '/api/v1/allocation/agents',
    body: { agent: 'agent', skills: ['magic'] },
  }),
  'POST /api/v1/experiments/promote': () => ({
    as: 'supervisor',
    url: '/api/v1/experiments/promote',
    body: { strategy_version_id: 'one', segment: '', challenger: 'firm', reason: '' },
  }),
  'POST /api/v1/retention/legal-holds': () => ({
    as: 'compliance',
    url: '/api/v1/retention/legal-holds',
    body: { client_id: 'one', reason: '' },
  }),
  'POST /api/v1/retention/legal-holds/:id/release': () => ({
    as: 'compliance',
    url: '/api/v1/retention/legal-holds/1/release',
    body: {},
  }),
  'POST /api/v1/qa/check': () => ({ as: 'agent', url: '/api/v1/qa/check', body: { text: '' } }),
  'POST /api/v1/qa/cases/:id/decide': () => ({
    as: 'compliance',
    url: '/api/v1/qa/cases/1/decide',
    body: { decision: 'maybe' },
  }),
  'POST /api/v1/qa/samples': () => ({
    as: 'compliance',
    url: '/api/v1/qa/samples',
    body: { week: '2026-48' },
  }),
  'POST /api/v1/qa/samples/:id/score': () => ({
    as: 'compliance',
    url: '/api/v1/qa/samples/1/score',
    body: { scores: { conduct: 'high' } },
  }),
  'POST /api/v1/templates/:id/approve': () => ({
    as: 'compliance',
    url: '/api/v1/templates/1/approve',
    body: { reason: 7 },
  }),
  'POST /api/v1/templates/:id/reject': () => ({
    as: 'compliance',
    url: '/api/v1/templates/abc/reject',
    body: {},
  }),
  'POST /api/v1/approvals/:id/reject': () => ({
    as: 'finance',
    url: '/api/v1/approvals/1/reject',
    body: { reason: 7 },
  }),
  'POST /api/v1/accounts/:id/holds': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/holds`,
    body: { kind: 'vacation', source: 'phone' },
  }),
  'POST /api/v1/accounts/:id/attempts': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/attempts`,
    body: { disposition: 'shouted', channel: 'fax' },
  }),
  'POST /api/v1/accounts/:id/promises': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/promises`,
    body: { amount_minor: -5, due_on: '2026-13-01' },
  }),
  'POST /api/v1/promises/:id/cancel': () => ({ as: 'agent', url: '/api/v1/promises/1/cancel', body: {} }),
  'POST /api/v1/accounts/:id/plans': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/plans`,
    body: { total_minor: 100, instalments: [] },
  }),
  'POST /api/v1/plans/:id/approve': () => ({
    as: 'supervisor',
    url: '/api/v1/plans/1/approve',
    body: { reason: 7 },
  }),
  'POST /api/v1/plans/:id/reject': () => ({ as: 'supervisor', url: '/api/v1/plans/1/reject', body: {} }),
  'POST /api/v1/accounts/:id/callbacks': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/callbacks`,
    body: { at: '' },
  }),
  'POST /api/v1/callbacks/:id/done': () => ({ as: 'agent', url: '/api/v1/callbacks/abc/done' }),
  'POST /api/v1/accounts/:id/hardship': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/hardship`,
    body: { options: ['forgive_all'], note: '' },
  }),
  'POST /api/v1/accounts/:id/field-visits': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/field-visits`,
    body: { visited_at: '', address: '', latitude: 200 },
  }),
  'POST /api/v1/holds/:id/lift': () => ({ as: 'compliance', url: '/api/v1/holds/1/lift', body: {} }),
  'POST /api/v1/compliance/profile-changes': () => ({
    as: 'compliance',
    url: '/api/v1/compliance/profile-changes',
    body: { jurisdiction: 'XX', scope: 'base', changes: {}, reason: '' },
  }),
  'POST /api/v1/compliance/profile-changes/:id/approve': () => ({
    as: 'compliance',
    url: '/api/v1/compliance/profile-changes/x/approve',
    body: {},
  }),
  'POST /api/v1/compliance/profile-changes/:id/reject': () => ({
    as: 'compliance',
    url: '/api/v1/compliance/profile-changes/1/reject',
    body: {},
  }),
  'POST /api/v1/accounts/:id/consents': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/consents`,
    body: { kind: 'channel', channel: 'sms', source: 'telepathy' },
  }),
  'POST /api/v1/consents/:id/withdraw': () => ({
    as: 'compliance',
    url: '/api/v1/consents/abc/withdraw',
    body: { reason: 'x' },
  }),
  'POST /api/v1/accounts/:id/lost-contact': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/lost-contact`,
    body: { reason: '  ' },
  }),
  'POST /api/v1/accounts/:id/lost-contact/clear': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/lost-contact/clear`,
    body: {},
  }),
  'POST /api/v1/accounts/:id/agreed-contacts': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/agreed-contacts`,
    body: { kind: 'fax', value: '010-1234', holder_name: '赵六', relation: '朋友' },
  }),
  'POST /api/v1/accounts/:id/validation-notice': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/validation-notice`,
    body: { sent_on: '2026-02-30' },
  }),
  'POST /api/v1/accounts/:id/validation-notice/verification': () => ({
    as: 'compliance',
    url: `/api/v1/accounts/${ids.A001}/validation-notice/verification`,
    body: { sent_on: 'tomorrow' },
  }),
  'POST /api/v1/accounts/:id/messages': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/messages`,
    body: { channel: 'fax', contact_point_id: 'x', text: '' },
  }),
  'POST /api/v1/accounts/:id/contact-check': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/contact-check`,
    body: { channel: 'pigeon', contact_point_id: '-1', party: 'neighbour' },
  }),
  'POST /api/v1/accounts/:id/messages/from-template': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/messages/from-template`,
    body: { channel: 'letter', template_code: '../etc', language: 'fr' },
  }),
  'POST /api/v1/accounts/:id/letters': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/letters`,
    body: { kind: 'fax', body: [] },
  }),
  'POST /api/v1/letters/batches': () => ({
    as: 'supervisor',
    url: '/api/v1/letters/batches',
    body: { client: '../etc' },
  }),
  'POST /api/v1/accounts/:id/calls': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/calls`,
    body: { contact_point_id: 'x', extension: '20 1; DROP' },
  }),
  'POST /api/v1/calls/:id/hangup': () => ({ as: 'agent', url: '/api/v1/calls/x/hangup' }),
  'POST /api/v1/calls/:id/disposition': () => ({
    as: 'agent',
    url: '/api/v1/calls/1/disposition',
    body: { disposition: 'angry' },
  }),
  'POST /api/v1/accounts/:id/debtor-page-link': () => ({
    as: 'agent',
    url: `/api/v1/accounts/${ids.A001}/debtor-page-link`,
    body: { days: 99 },
  }),
  'POST /api/v1/channels/webhook-secrets': () => ({
    as: 'admin',
    url: '/api/v1/channels/webhook-secrets',
    body: { provider: 'tencent' },
  }),
  'POST /api/v1/channels/sms/:provider/receipts': () =>
    twilioWebhook('/api/v1/channels/sms/twilio/receipts', {
      MessageSid: 'not-a-sid',
      MessageStatus: 'delivered',
      AccountSid: twilioAccount,
    }),
  'POST /api/v1/channels/sms/:provider/inbound': () =>
    aliyunWebhook('/api/v1/channels/sms/aliyun/inbound', [{ phone_number: 13900000000, content: 5 }]),
  'POST /api/v1/channels/opt-out/:token': () => ({ url: '/api/v1/channels/opt-out/not-a-token' }),
  'POST /api/v1/channels/email/bounces': () =>
    bounceWebhook(bounceSecret, 'Content-Type: text/plain\r\n\r\nnot a delivery status notification'),
  'POST /api/v1/debtor-page/:token/:form': () => ({
    url: '/api/v1/debtor-page/1.4102444800.AAAAAAAAAAAAAAAAAAAAAAAA/transfer-money',
    raw: { contentType: 'application/x-www-form-urlencoded', body: 'nonce=x' },
  }),
  'POST /api/v1/risk/models': () => ({
    as: 'admin',
    url: '/api/v1/risk/models',
    body: { name: '../x', model: 3, outcome_days: 0, paid_share: 2 },
  }),
  'POST /api/v1/risk/models/:id/approve': () => ({ as: 'compliance', url: '/api/v1/risk/models/x/approve' }),
  'POST /api/v1/risk/models/:id/promote': () => ({
    as: 'admin',
    url: '/api/v1/risk/models/1/promote',
    body: { as: 'king' },
  }),
  'POST /api/v1/risk/watch/:id/acknowledge': () => ({
    as: 'supervisor',
    url: '/api/v1/risk/watch/x/acknowledge',
  }),
  'POST /api/v1/risk/watch/:id/action': () => ({
    as: 'supervisor',
    url: '/api/v1/risk/watch/1/action',
    body: { note: '' },
  }),
  'POST /api/v1/notifications/:id/read': () => ({ as: 'supervisor', url: '/api/v1/notifications/x/read' }),
  'POST /api/v1/notifications/read-all': () => ({
    as: 'supervisor',
    url: '/api/v1/notifications/read-all',
    body: { up_to_id: 'latest' },
  }),
  'POST /api/v1/notifications/email': () => ({
    as: 'supervisor',
    url: '/api/v1/notifications/email',
    body: { email: 'not-an-address' },
  }),
  'POST /api/v1/strategies': () => ({
    as: 'supervisor',
    url: '/api/v1/strategies',
    body: { document: { name: 'x', segments: [{ code: 'A B', arms: [] }] }, reason: 'bad' },
  }),
  'POST /api/v1/strategies/dry-run': () => ({
    as: 'supervisor',
    url: '/api/v1/strategies/dry-run',
    body: { document: ['not', 'a', 'document'], as_of: '2026-02-30' },
  }),
  'POST /api/v1/strategies/:id/approve': () => ({
    as: 'supervisor',
    url: '/api/v1/strategies/x/approve',
    body: {},
  }),
  'POST /api/v1/strategies/:id/reject': () => ({
    as: 'supervisor',
    url: '/api/v1/strategies/1/reject',
    body: { reason: 'x'.repeat(2001) },
  }),
};

describe('bad payloads', () => {
  it('are listed for every write route', () => {
    expect(Object.keys(badPayloads).sort()).toEqual(booksRoutes().filter((r) => !r.startsWith('GET ')));
  });

  for (const [key, make] of Object.entries(badPayloads)) {
    it(`${key}: 400 bad_input naming the field, nothing changed`, async () => {
      const before = await fingerprint();
      const [method] = key.split(' ') as ['POST' | 'DELETE'];
      const response = await call({ method, ...make() });
      expect(response.status, response.text).toBe(400);
      const body = response.json();
      expect(body.error.code).toBe('bad_input');
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(await fingerprint()).toEqual(before);
    });
  }

  it('a page size over 200 is refused; an unknown error leaks nothing', async () => {
    const big = await call({ as: 'finance', method: 'GET', url: '/api/v1/accounts?page_size=201' });
    expect(big.status).toBe(400);
    expect(big.json().error.details.fields[0].field).toBe('querystring.page_size');
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/reversals',
      headers: {
        cookie: sessions.finance?.cookie ?? '',
        'x-csrf-token': sessions.finance?.csrf ?? '',
        'content-type': 'application/json',
      },
      payload: '{"client":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('bad_input');
  });
});

// ------------------------------------------------------------------------------ OpenAPI

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every route of the books with its method', async () => {
    const response = await call({ method: 'GET', url: '/api/openapi.json' });
    expect(response.status).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\.1/);
    for (const route of booksRoutes()) {
      const [method, url] = route.split(' ') as [string, string];
      const path = url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[method.toLowerCase()], route).toBeDefined();
    }
    const detail = doc.paths['/api/v1/accounts/{id}'].get.responses;
    expect(Object.keys(detail.default?.content ?? detail['200'].content)).toContain('application/json');
    expect(JSON.stringify(detail)).toContain('days_past_due');
    expect(JSON.stringify(doc.paths['/api/v1/payment-claims'].post.responses)).toContain('amount_minor');
    expect(doc.paths['/api/v1/accounts'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['client', 'bucket', 'q', 'page', 'page_size']),
    );
  });

  it('has a browsable reference page served locally', async () => {
    const page = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg)/);
  });
});
