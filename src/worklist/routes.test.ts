/**
 * The agent-action routes through app.inject: agents act on their clients' accounts only (another
 * client's is 404), client users read, a promise outside the limits needs a supervisor, a plan above
 * them is approved by a supervisor other than its proposer, a field visit without its recording is
 * refused, every change audited with the user and IP, and the actions in the account's timeline.
 * The authorisation matrix and bad payloads are in src/server/routes.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import type { Api } from '../server/context.ts';
import { addDays, todayIn } from '../shared/dates.ts';

let t: TestDatabase;
let app: Api;
let accountA: bigint;
let accountA2: bigint;
const { caller, callers } = testCallers();
let api: TestApi;
const call: TestApi['call'] = (...args) => api.call(...args);
const today = todayIn('Asia/Shanghai');

beforeAll(async () => {
  t = await testDatabase();
  const a = await createClient(t.db, 'WRA');
  const b = await createClient(t.db, 'WRB');
  [accountA, accountA2] = (await placeAccounts(t.db, a.clientId, [
    { ref: 'A1', principal: 100_000n, delinquencyDate: '2026-01-01' },
    { ref: 'A2', principal: 100_000n, delinquencyDate: '2026-01-01' },
  ])) as [bigint, bigint];
  caller('agent.a', ['agent'], [a.clientId]);
  caller('agent.b', ['agent'], [b.clientId]);
  caller('sup.one', ['supervisor'], [a.clientId]);
  caller('sup.two', ['supervisor'], [a.clientId]);
  caller('client.a', ['client'], [a.clientId]);
  api = await testApi(t, callers);
  app = api.app;
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('agent actions through the API', () => {
  it('says which limits of promises and plans this server applies, as its environment sets them', async () => {
    const defaults = await call('agent.a', 'GET', '/worklist/limits');
    expect(defaults.status).toBe(200);
    expect(defaults.json()).toEqual({
      grace_days: 3,
      promise_min_share_bp: 1000,
      promise_max_days: 30,
      plan_max_instalments: 12,
      plan_max_days: 365,
      plan_first_payment_max_days: 30,
      plan_first_payment_min_share_bp: 500,
    });
    process.env.HUIKUAN_PROMISE_MAX_DAYS = '45';
    process.env.HUIKUAN_PLAN_MAX_INSTALMENTS = '24';
    try {
      const configured = await testApi(t, callers);
      try {
        const limits = await configured.call('client.a', 'GET', '/worklist/limits');
        expect(limits.json()).toMatchObject({
          promise_max_days: 45,
          plan_max_instalments: 24,
          plan_max_days: 365,
        });
      } finally {
        await configured.app.close();
      }
    } finally {
      delete process.env.HUIKUAN_PROMISE_MAX_DAYS;
      delete process.env.HUIKUAN_PLAN_MAX_INSTALMENTS;
    }
  });

  it("promises: within the limits an agent's; outside them a supervisor's; other clients' accounts are not found", async () => {
    const due = addDays(today, 10);
    const small = await call('agent.a', 'POST', `/accounts/${accountA}/promises`, {
      amount_minor: 5_000,
      due_on: due,
    });
    expect(small.status).toBe(403);
    expect(small.json().error).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/Ask a supervisor/),
    });
    expect(
      (await call('agent.b', 'POST', `/accounts/${accountA}/promises`, { amount_minor: 50_000, due_on: due }))
        .status,
    ).toBe(404);
    expect(
      (
        await call('client.a', 'POST', `/accounts/${accountA}/promises`, {
          amount_minor: 50_000,
          due_on: due,
        })
      ).status,
    ).toBe(403);
    const taken = await call('sup.one', 'POST', `/accounts/${accountA}/promises`, {
      amount_minor: 5_000,
      due_on: due,
    });
    expect(taken.status).toBe(201);
    expect(taken.json()).toMatchObject({
      status: 'open',
      amount_minor: 5_000,
      promised_on: today,
      due_on: due,
      grace_ends_on: addDays(due, 3),
      approved_by: 'sup.one',
      taken_by: 'sup.one',
    });
    const other = await call('agent.a', 'POST', `/accounts/${accountA2}/promises`, {
      amount_minor: 50_000,
      due_on: due,
    });
    expect(other.status).toBe(201);
    expect(other.json()).toMatchObject({ approved_by: null, limit_reasons: [] });
  });

  it('a plan above the limits waits for a supervisor who did not propose it', async () => {
    const instalments = Array.from({ length: 13 }, (_, i) => ({
      due_on: addDays(today, 1 + i * 14),
      amount_minor: i === 0 ? 28_000 : 6_000,
    }));
    const byAgent = await call('agent.a', 'POST', `/accounts/${accountA}/plans`, {
      total_minor: 100_000,
      instalments,
    });
    expect(byAgent.status).toBe(201);
    expect(byAgent.json()).toMatchObject({
      status: 'pending_approval',
      limit_reasons: ['13 instalments, more than 12'],
    });
    const planId = byAgent.json().id;
    expect((await call('agent.a', 'POST', `/plans/${planId}/approve`, {})).status).toBe(403);
    const approved = await call('sup.one', 'POST', `/plans/${planId}/approve`, { reason: 'steady income' });
    expect(approved.status).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'active', decided_by: 'sup.one' });
    expect(approved.json().instalments).toHaveLength(13);

    const bySupervisor = await call('sup.one', 'POST', `/accounts/${accountA2}/plans`, {
      total_minor: 100_000,
      instalments,
    });
    const own = await call('sup.one', 'POST', `/plans/${bySupervisor.json().id}/approve`, {});
    expect(own.status).toBe(403);
    expect(own.json().error.message).toMatch(/another supervisor/);
    const rejected = await call('sup.two', 'POST', `/plans/${bySupervisor.json().id}/reject`, {
      reason: 'too long',
    });
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      decided_by: 'sup.two',
      decision_reason: 'too long',
    });
  });

  it('a field visit without its recording is refused; attempts, call-backs and hardship are audited with the IP and shown to the client', async () => {
    const visit = { visited_at: `${today} 00:00`, address: '上海市', visitors: '王五', result: '本人在家' };
    const refused = await call('agent.a', 'POST', `/accounts/${accountA}/field-visits`, visit);
    expect(refused.status).toBe(422);
    expect(refused.json().error).toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/recording/),
    });
    const recorded = await call('agent.a', 'POST', `/accounts/${accountA}/field-visits`, {
      ...visit,
      recording_ref: 'rec-001',
    });
    expect(recorded.status).toBe(201);

    const attempt = await call('agent.a', 'POST', `/accounts/${accountA}/attempts`, {
      disposition: 'call_back_requested',
      channel: 'call',
      notes: '下午再打',
      duration_seconds: 40,
    });
    expect(attempt.status).toBe(201);
    const callback = await call('agent.a', 'POST', `/accounts/${accountA}/callbacks`, {
      at: `${addDays(today, 1)} 15:00`,
      attempt_id: String(attempt.json().id),
    });
    expect(callback.json()).toMatchObject({ status: 'due', zone: 'Asia/Shanghai' });
    const done = await call('agent.a', 'POST', `/callbacks/${callback.json().id}/done`);
    expect(done.json()).toMatchObject({ status: 'done', done_by: 'agent.a' });
    expect(
      (
        await call('agent.a', 'POST', `/accounts/${accountA}/hardship`, {
          options: ['token_payments'],
          note: '失业',
        })
      ).status,
    ).toBe(201);

    const audit = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor', 'ip'])
      .where('action', 'like', 'worklist.%')
      .where('actor', '=', 'agent.a')
      .orderBy('id')
      .execute();
    expect(audit.map((row) => row.action)).toEqual([
      'worklist.promise_taken',
      'worklist.plan_proposed',
      'worklist.field_visit_recorded',
      'worklist.attempt_logged',
      'worklist.callback_set',
      'worklist.callback_done',
      'worklist.hardship_marked',
    ]);
    expect(audit.every((row) => row.ip !== null)).toBe(true);

    const actions = await call('client.a', 'GET', `/accounts/${accountA}/actions`);
    expect(actions.status).toBe(200);
    expect(actions.json()).toMatchObject({
      attempts: [{ disposition: 'call_back_requested', agent: 'agent.a', duration_seconds: 40 }],
      promises: [{ status: 'open', approved_by: 'sup.one' }],
      plans: [{ status: 'active' }],
      callbacks: [{ status: 'done' }],
      hardship: [{ options: ['token_payments'] }],
      field_visits: [{ recording_ref: 'rec-001' }],
    });
    expect((await call('agent.b', 'GET', `/accounts/${accountA}/actions`)).status).toBe(404);
    const timeline = await call('client.a', 'GET', `/accounts/${accountA}/timeline`);
    const kinds = timeline
      .json()
      .items.filter((item: { type: string }) => item.type === 'action')
      .map((item: { kind: string }) => item.kind)
      .sort();
    expect(kinds).toEqual([
      'attempt_call_back_requested',
      'callback',
      'field_visit',
      'hardship',
      'plan',
      'promise',
    ]);
  });
});
