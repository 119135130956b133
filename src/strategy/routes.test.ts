import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { channelsFrom } from '../channels/service.ts';
import { channelFixture, daytime, night as quietHours, testConfig } from '../channels/test-support.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { dispatchStrategyMessages } from './dispatch.ts';
import { runStrategy } from './service.ts';
import { approvedTemplates, testDocument } from './strategy-fixtures.ts';

let t: TestDatabase;
let api: TestApi;
let clientA = 0n;
let clientB = 0n;
let accountA = 0n;
let accountB = 0n;
const { caller, callers } = testCallers();
const call: TestApi['call'] = (...args) => api.call(...args);
const start = '2026-03-02';

beforeAll(async () => {
  t = await testDatabase();
  await approvedTemplates(t.db);
  ({ clientId: clientA } = await createClient(t.db, 'STRA'));
  ({ clientId: clientB } = await createClient(t.db, 'STRB'));
  [accountA] = (await placeAccounts(t.db, clientA, [
    { ref: 'A1', principal: 50_000n, delinquencyDate: addDays(start, -200) },
  ])) as [bigint];
  [accountB] = (await placeAccounts(t.db, clientB, [
    { ref: 'B1', principal: 50_000n, delinquencyDate: addDays(start, -200) },
  ])) as [bigint];
  caller('admin.zhao', ['admin'], 'all');
  caller('sup.li', ['supervisor'], 'all');
  caller('sup.a', ['supervisor'], [clientA]);
  caller('agent.a', ['agent'], [clientA]);
  caller('compliance.qian', ['compliance'], 'all');
  api = await testApi(t, callers);
});

afterAll(async () => {
  await api?.close();
  await t?.drop();
});

describe('strategies through the API', () => {
  let versionId = 0;

  it('a document with problems is a 400 naming every one by its path; nothing is stored', async () => {
    const broken = structuredClone(testDocument) as typeof testDocument;
    (broken.segments[0]?.conditions.all[0] as { field: string }).field = 'colour';
    (broken.segments[1]?.arms[0] as { share_bp: number }).share_bp = 9000;
    const response = await call('sup.li', 'POST', '/strategies', { document: broken, reason: 'try' });
    expect(response.status).toBe(400);
    const body = response.json();
    expect(body.error.code).toBe('bad_input');
    expect(body.error.details.fields.map((field: { field: string }) => field.field)).toEqual([
      'body.document.segments[0].conditions.all[0].field',
      'body.document.segments[1].arms',
    ]);
    // codes and params, for the editor to say them in its language
    expect(body.error.details.problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([
      expect.objectContaining({
        path: 'segments[0].conditions.all[0].field',
        code: 'field_unknown',
        params: expect.objectContaining({ value: '"colour"' }),
      }),
      expect.objectContaining({ path: 'segments[1].arms', code: 'shares_total', params: { total: 9000 } }),
    ]);
    expect((await call('sup.li', 'GET', '/strategies')).json().items).toEqual([]);
  });

  it('proposed by one lead, approved by another; the proposer cannot; agents cannot', async () => {
    const proposed = await call('sup.li', 'POST', '/strategies', { document: testDocument, reason: 'first' });
    expect(proposed.status).toBe(201);
    versionId = proposed.json().id;
    expect(proposed.json()).toMatchObject({ version: 1, status: 'proposed', segments: 3, in_force: false });
    expect((await call('sup.li', 'POST', `/strategies/${versionId}/approve`, {})).status).toBe(403);
    expect((await call('agent.a', 'POST', `/strategies/${versionId}/approve`, {})).status).toBe(403);
    const approved = await call('admin.zhao', 'POST', `/strategies/${versionId}/approve`, { reason: 'ok' });
    expect(approved.status).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decided_by: 'admin.zhao', in_force: true });
    const shown = await call('compliance.qian', 'GET', `/strategies/${versionId}`);
    expect(shown.json().document.segments.map((s: { code: string }) => s.code)).toEqual([
      'm1',
      'm2_m3',
      'late',
    ]);
    expect((await call('sup.li', 'POST', `/strategies/${versionId}/reject`, { reason: 'late' })).status).toBe(
      409,
    );
  });

  it('the dry run answers counts and writes nothing', async () => {
    const response = await call('sup.li', 'POST', '/strategies/dry-run', {
      document: testDocument,
      as_of: start,
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({
      as_of: start,
      accounts: 2,
      unsegmented: 0,
      segments: expect.arrayContaining([{ segment: 'late', arm: 'champion', accounts: 2 }]),
      tomorrow: [expect.objectContaining({ step: 'legal', task: 'legal_review', accounts: 2 })],
    });
    // a supervisor of client A counts client A's accounts only
    const scoped = await call('sup.a', 'POST', '/strategies/dry-run', {
      document: testDocument,
      as_of: start,
    });
    expect(scoped.json()).toMatchObject({
      accounts: 1,
      segments: expect.arrayContaining([{ segment: 'late', arm: 'champion', accounts: 1 }]),
    });
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM account_treatments`.execute(t.db);
    expect(rows.rows[0]?.n).toBe(0);
  });

  it("an account's treatment after the night, in its client's scope only", async () => {
    await runStrategy(t.db, { asOf: start, actor: 'tester' });
    const mine = await call('agent.a', 'GET', `/accounts/${accountA}/treatment`);
    expect(mine.status).toBe(200);
    expect(mine.json()).toMatchObject({
      treatment: { version: 1, segment: 'late', arm: 'champion', entered_on: start, next_step: null },
      path: [expect.objectContaining({ code: 'legal', taken: true, due_on: start })],
      actions: [expect.objectContaining({ step: 'legal', kind: 'task', status: 'open' })],
      decisions: [
        {
          run_date: start,
          version: 1,
          segment: 'late',
          arm: 'champion',
          action: 'legal',
          alternatives: [],
          probability: 1,
        },
      ],
    });
    expect((await call('agent.a', 'GET', `/accounts/${accountB}/treatment`)).status).toBe(404);
  });

  it("the open task is a treatment step due in the agent's queue, above accounts merely not contacted", async () => {
    const team = await sql<{ id: bigint }>`
      INSERT INTO teams (name, created_by) VALUES ('Strategy team', 'test') RETURNING id`.execute(t.db);
    await sql`
      INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
      VALUES (${clientA}, ${accountA}, ${team.rows[0]?.id}, 'agent.a', 'test')`.execute(t.db);
    const queue = await call('agent.a', 'GET', '/worklist/queue');
    expect(queue.json().items).toEqual([
      expect.objectContaining({ ref: 'A1', tier: 'treatment_due', due: start }),
    ]);
    // the agent works the account: the task leaves the queue now, and is closed by the next night
    await sql`
      INSERT INTO contact_attempts (client_id, account_id, debtor_id, disposition, channel, agent)
      SELECT client_id, id, debtor_id, 'no_answer', 'call', 'agent.a' FROM accounts WHERE id = ${accountA}`.execute(
      t.db,
    );
    expect((await call('agent.a', 'GET', '/worklist/queue')).json().items).toEqual([
      expect.objectContaining({ ref: 'A1', tier: 'balance' }),
    ]);
    await runStrategy(t.db, { asOf: addDays(start, 1), actor: 'tester' });
    const task = await sql<{ status: string }>`
      SELECT status FROM strategy_actions WHERE account_id = ${accountA} AND step = 'legal'`.execute(t.db);
    expect(task.rows).toEqual([{ status: 'done' }]);
    expect((await call('sup.a', 'GET', `/accounts/${accountB}/treatment`)).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it("describes what the dry run and an account's treatment answer", async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const ok = (path: string, method: string) => {
      const responses = doc.paths[path]?.[method]?.responses ?? {};
      return JSON.stringify(responses['200'] ?? {});
    };
    const dryRun = ok('/api/v1/strategies/dry-run', 'post');
    for (const field of ['unsegmented', 'segments', 'tomorrow', 'warnings']) expect(dryRun).toContain(field);
    const treatment = ok('/api/v1/accounts/{id}/treatment', 'get');
    for (const field of ['entered_on', 'path', 'actions', 'moved_at', 'decisions', 'probability']) {
      expect(treatment).toContain(field);
    }
  });
});

describe('the message dispatcher', () => {
  it('sends through the gate; a refusal is recorded on the action with its reasons, once', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800138000', email: 'debtor@example.com' });
    const version = await sql<{
      id: bigint;
    }>`SELECT id FROM strategy_versions WHERE status = 'approved'`.execute(t.db);
    const insert = (step: string, template: string, channel: string) =>
      sql`
      INSERT INTO strategy_actions (client_id, account_id, run_date, strategy_version_id, segment, arm, step, anchor,
                                    anchor_date, kind, channel, template, priority, due_on, status)
      VALUES (${f.clientId}, ${f.accountId}, ${start}::date, ${version.rows[0]?.id}, 'm1', 'champion', ${step}, 'entry',
              ${start}::date, 'message', ${channel}, ${template}, 50, ${start}::date, 'pending')`.execute(
        t.db,
      );
    await insert('sms_d0', 'gentle', 'sms');
    await insert('missing', 'no_such', 'sms');
    await insert('later', 'gentle', 'sms');
    await sql`UPDATE strategy_actions SET due_on = due_on + 1 WHERE step = 'later'`.execute(t.db);
    // Twilio configured but unreachable: a message the gate refuses never reaches it
    const channels = channelsFrom(
      testConfig({
        sendRetries: 0,
        agency: { name: '回款催收服务有限公司', address: ['上海市'], phone: '400-800-0000', email: null },
        smsProvider: 'twilio',
        twilio: {
          apiBase: 'http://127.0.0.1:9',
          accountSid: `AC${'0'.repeat(32)}`,
          authToken: 'token',
          from: '+15005550006',
          messagingServiceSid: null,
        },
      }),
    );
    // 23:00 in Shanghai: quiet hours, the gate refuses
    const result = await dispatchStrategyMessages(t.db, channels, {
      asOf: start,
      at: quietHours,
      perSecond: 1000,
    });
    expect(result).toEqual({ claimed: 2, sent: 0, refused: 2, failed: 0 });
    const actions = await sql<{
      step: string;
      status: string;
      reasons: string[];
      message_id: bigint | null;
      attempts: number;
    }>`
      SELECT step, status, reasons, message_id, attempts FROM strategy_actions WHERE account_id = ${f.accountId} ORDER BY step`.execute(
      t.db,
    );
    expect(actions.rows).toEqual([
      { step: 'later', status: 'pending', reasons: [], message_id: null, attempts: 0 },
      {
        step: 'missing',
        status: 'refused',
        reasons: ['no_approved_template'],
        message_id: null,
        attempts: 1,
      },
      {
        step: 'sms_d0',
        status: 'refused',
        reasons: expect.arrayContaining(['quiet_hours']),
        message_id: expect.any(BigInt),
        attempts: 1,
      },
    ]);
    const message = await sql<{ status: string; idempotency_key: string }>`
      SELECT status, idempotency_key FROM channel_messages WHERE id = ${actions.rows[2]?.message_id}`.execute(
      t.db,
    );
    expect(message.rows).toEqual([
      { status: 'blocked', idempotency_key: expect.stringMatching(/^strategy-action-\d+$/) },
    ]);
    // a second pass finds nothing due
    expect(await dispatchStrategyMessages(t.db, channels, { asOf: start, at: quietHours })).toEqual({
      claimed: 0,
      sent: 0,
      refused: 0,
      failed: 0,
    });
    // a letter: rendered from the letter template in force, onto the print queue
    await sql`UPDATE debtors SET address = '人民路 1 号', city = '上海' WHERE id = ${f.debtorId}`.execute(
      t.db,
    );
    await insert('letter_day15', 'final', 'letter');
    expect(await dispatchStrategyMessages(t.db, channels, { asOf: start, at: daytime })).toEqual({
      claimed: 1,
      sent: 1,
      refused: 0,
      failed: 0,
    });
    const letter = await sql<{ status: string; channel: string; body: string }>`
      SELECT m.status, m.channel, m.body_text AS body FROM strategy_actions x JOIN channel_messages m ON m.id = x.message_id
       WHERE x.step = 'letter_day15'`.execute(t.db);
    expect(letter.rows).toEqual([
      { status: 'queued', channel: 'letter', body: expect.stringContaining('张三您好') },
    ]);
    await expect(dispatchStrategyMessages(t.db, channels, { batchSize: 0 })).rejects.toMatchObject({
      code: 'bad_usage',
    });
  });
});
