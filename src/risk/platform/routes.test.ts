import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../../test/db.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import type { Api } from '../../server/context.ts';
import { scorePartition } from './scoring.ts';
import { testModel } from './test-model.ts';

let t: TestDatabase;
let app: Api;
let clientA = 0n;
let clientB = 0n;
let accountA = 0n;
const { caller, callers } = testCallers();
let api: TestApi;
const call: TestApi['call'] = (...args) => api.call(...args);

beforeAll(async () => {
  t = await testDatabase();
  ({ clientId: clientA } = await createClient(t.db, 'RISKA'));
  ({ clientId: clientB } = await createClient(t.db, 'RISKB'));
  [accountA] = (await placeAccounts(
    t.db,
    clientA,
    [{ ref: 'A1', principal: 50_000n, delinquencyDate: '2025-01-01' }],
    { effectiveDate: '2025-03-01' },
  )) as [bigint];
  caller('admin.zhao', ['admin'], 'all');
  caller('compliance.qian', ['compliance'], 'all');
  caller('sup.a', ['supervisor'], [clientA]);
  caller('sup.b', ['supervisor'], [clientB]);
  caller('client.a', ['client'], [clientA]);
  caller('client.b', ['client'], [clientB]);
  api = await testApi(t, callers);
  app = api.app;
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const night = (asOf: string) =>
  t.db.transaction().execute((trx) =>
    scorePartition(trx, {
      asOf,
      clientId: clientA,
      fromAccountId: 0n,
      toAccountId: 9_000_000_000_000_000_000n,
    }),
  );

describe('the risk model through the API', () => {
  it('proposes, refuses the proposer’s approval, approves with a second user and promotes', async () => {
    const proposed = await call('admin.zhao', 'POST', '/risk/models', {
      name: 'api',
      model: testModel(),
      outcome_days: 30,
      paid_share: 0.5,
    });
    expect(proposed.status).toBe(201);
    expect(proposed.json()).toMatchObject({ status: 'proposed', proposed_by: 'admin.zhao', version: 1 });
    const id = proposed.json().id;
    const self = await call('admin.zhao', 'POST', `/risk/models/${id}/approve`);
    expect(self.status).toBe(403);
    expect(self.json().error.code).toBe('forbidden');
    expect((await call('compliance.qian', 'POST', `/risk/models/${id}/approve`)).json()).toMatchObject({
      status: 'approved',
      approved_by: 'compliance.qian',
    });
    const promoted = await call('admin.zhao', 'POST', `/risk/models/${id}/promote`, { as: 'champion' });
    expect(promoted.status).toBe(200);
    expect(promoted.json().model.status).toBe('champion');
    const listed = await call('sup.a', 'GET', '/risk/models?status=champion');
    expect(listed.json().items.map((m: { id: number }) => m.id)).toEqual([id]);
  });

  it("gives a model's validation report with its monitoring months, to its client's staff only", async () => {
    const proposed = await call('sup.a', 'POST', '/risk/models', {
      name: 'report',
      model: testModel({ validationAuc: 0.8 }),
      client_id: String(clientA),
      outcome_days: 30,
      paid_share: 0.5,
    });
    expect(proposed.status).toBe(201);
    const id = proposed.json().id;
    await sql`INSERT INTO risk_monitoring (model_id, month, accounts, events, auc, ks, psi, validation_auc)
              VALUES (${id}, '2025-05-01', 120, 30, 0.71, 0.3, 0.31, 0.8),
                     (${id}, '2025-04-01', 100, 20, 0.79, 0.4, 0.02, 0.8)`.execute(t.db);
    await sql`INSERT INTO risk_alerts (model_id, month, kind, value, threshold, message)
              VALUES (${id}, '2025-05-01', 'psi', 0.31, 0.25, 'shifted')`.execute(t.db);
    const report = await call('compliance.qian', 'GET', `/risk/models/${id}/report`);
    expect(report.status).toBe(200);
    const body = report.json();
    expect(body.model).toMatchObject({ id, name: 'report', status: 'proposed' });
    expect(body.event).toBe('not paid');
    expect(body.validation.auc).toBe(0.8);
    expect(body.scorecard.map((f: { name: string }) => f.name)).toEqual(['days_past_due', 'paid_90d_minor']);
    expect(body.scorecard[0].bins[1]).toMatchObject({ code: 'days_past_due:2', woe: 1, points: -20 });
    expect(body.monitoring.map((m: { month: string; psi: number }) => [m.month, m.psi])).toEqual([
      ['2025-04', 0.02],
      ['2025-05', 0.31],
    ]);
    expect(body.alerts).toEqual([
      { month: '2025-05', kind: 'psi', value: 0.31, threshold: 0.25, message: 'shifted' },
    ]);
    expect(body.thresholds).toEqual({ psi: 0.25, auc_drop: 0.05 });
    expect((await call('sup.b', 'GET', `/risk/models/${id}/report`)).status).toBe(404);
    expect((await call('client.a', 'GET', `/risk/models/${id}/report`)).status).toBe(403);
    expect((await call('admin.zhao', 'GET', '/risk/models/999999/report')).json().error.code).toBe(
      'not_found',
    );
  });

  it("shows an account's scores with the reasons in plain words, to its own client only", async () => {
    await night('2025-04-30');
    const scores = await call('client.a', 'GET', `/accounts/${accountA}/scores`);
    expect(scores.status).toBe(200);
    expect(scores.json().items).toEqual([
      expect.objectContaining({
        as_of: '2025-04-30',
        model: 'api v1',
        role: 'champion',
        score: 470,
        band: 0,
        event: 'not paid',
        balance_minor: 50_000,
        reasons: [
          {
            code: 'days_past_due:2',
            text: { en: 'days past due above 90', 'zh-CN': '中文：days past due above 90' },
          },
          {
            code: 'paid_90d_minor:1',
            text: {
              en: 'nothing paid in the last 90 days',
              'zh-CN': '中文：nothing paid in the last 90 days',
            },
          },
        ],
      }),
    ]);
    expect((await call('client.b', 'GET', `/accounts/${accountA}/scores`)).status).toBe(404);
  });

  it('puts a lost-contact account on the watch list; its supervisor acknowledges and actions it, others do not see it', async () => {
    const { debtor_id } = await t.db
      .selectFrom('accounts')
      .select('debtor_id')
      .where('id', '=', accountA)
      .executeTakeFirstOrThrow();
    await sql`INSERT INTO compliance_lost_contact (client_id, debtor_id, set_at, set_by, set_reason)
              VALUES (${clientA}, ${debtor_id}, '2025-04-20', 'tester', 'numbers dead')`.execute(t.db);
    await night('2025-05-01');
    const watch = await call('sup.a', 'GET', '/risk/watch');
    expect(watch.json().items).toEqual([
      expect.objectContaining({
        account_id: Number(accountA),
        rule: 'lost_contact',
        status: 'open',
        first_seen: '2025-05-01',
      }),
    ]);
    const entry = watch.json().items[0].id;
    expect((await call('sup.b', 'GET', '/risk/watch')).json().items).toEqual([]);
    expect((await call('sup.b', 'POST', `/risk/watch/${entry}/acknowledge`)).status).toBe(404);
    expect((await call('sup.a', 'POST', `/risk/watch/${entry}/acknowledge`)).json()).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: 'sup.a',
    });
    expect(
      (await call('sup.a', 'POST', `/risk/watch/${entry}/action`, { note: 'field visit booked' })).json(),
    ).toMatchObject({ status: 'actioned', actioned_by: 'sup.a', action_note: 'field visit booked' });
    expect((await call('sup.a', 'POST', `/risk/watch/${entry}/acknowledge`)).status).toBe(409);
    const rules = await call('compliance.qian', 'GET', '/risk/watch-rules');
    expect(rules.json().items.find((r: { code: string }) => r.code === 'complaint')).toMatchObject({
      active: false,
    });
  });
});
