import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/db.ts';
import { postPayments } from '../../ledger/payments.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { psi } from '../metrics.ts';
import { monitorModels } from './monitor.ts';
import {
  approveModel,
  listModels,
  promoteModel,
  proposeModel,
  retireModel,
  scoringModels,
} from './registry.ts';
import { bankPayment, testModel } from './test-model.ts';

const t = await testDatabase();
afterAll(() => t.drop());

let clientId = 0n;

beforeAll(async () => {
  ({ clientId } = await createClient(t.db, 'RISKR'));
});

async function auditActions(id: bigint) {
  const rows = await t.db
    .selectFrom('audit_events')
    .select(['action', 'actor'])
    .where('entity_type', '=', 'risk_model')
    .where('entity_id', '=', String(id))
    .orderBy('id')
    .execute();
  return rows.map((row) => `${row.action} by ${row.actor}`);
}

describe('model registry', () => {
  it('is maker-checker: the proposer cannot approve, nothing is promoted unapproved', async () => {
    const proposed = await proposeModel(
      t.db,
      { model: testModel(), name: 'pay', outcomeDays: 60, paidShare: 0.3, note: 'first' },
      'ana',
    );
    expect(proposed).toMatchObject({
      name: 'pay',
      version: 1,
      status: 'proposed',
      owner: 'ana',
      outcome_days: 60,
      paid_share: 0.3,
      validation: { auc: 0.8, ks: 0.5, psi: 0 },
      features: ['days_past_due', 'paid_90d_minor'],
    });
    await expect(promoteModel(t.db, proposed.id, 'champion', 'bo')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(approveModel(t.db, proposed.id, 'ana')).rejects.toMatchObject({ code: 'forbidden' });
    const approved = await approveModel(t.db, proposed.id, 'bo');
    expect(approved).toMatchObject({ status: 'approved', approved_by: 'bo' });
    await expect(approveModel(t.db, proposed.id, 'cy')).rejects.toMatchObject({ code: 'invalid_state' });
    // the database holds the rule too
    await expect(
      sql`UPDATE risk_models SET approved_by = proposed_by WHERE id = ${proposed.id}`.execute(t.db),
    ).rejects.toThrow(/check constraint/);
    expect(await auditActions(proposed.id)).toEqual([
      'risk_model.proposed by ana',
      'risk_model.approved by bo',
    ]);
  });

  it('keeps one champion per scope: promoting a second retires the first; challengers score beside it', async () => {
    const [first] = await listModels(t.db, { status: 'approved' });
    if (!first) throw new Error('no approved model');
    await promoteModel(t.db, first.id, 'champion', 'bo');
    const second = await proposeModel(
      t.db,
      { model: testModel(), name: 'pay', outcomeDays: 60, paidShare: 0.3 },
      'ana',
    );
    expect(second.version).toBe(2);
    await approveModel(t.db, second.id, 'cy');
    await promoteModel(t.db, second.id, 'challenger', 'cy');
    expect((await scoringModels(t.db, clientId)).map((m) => [m.id, m.role])).toEqual([
      [first.id, 'champion'],
      [second.id, 'challenger'],
    ]);
    const swap = await promoteModel(t.db, second.id, 'champion', 'cy');
    expect(swap.retired).toMatchObject({ id: first.id, status: 'retired', retired_by: 'cy' });
    expect(swap.model).toMatchObject({ id: second.id, status: 'champion', promoted_by: 'cy' });
    // a client's own champion takes the client's accounts from the agency-wide one
    const own = await proposeModel(
      t.db,
      { model: testModel(), name: 'pay-client', clientId, outcomeDays: 60, paidShare: 0.3 },
      'ana',
    );
    await approveModel(t.db, own.id, 'bo');
    await promoteModel(t.db, own.id, 'champion', 'bo');
    expect((await scoringModels(t.db, clientId)).map((m) => m.id)).toEqual([own.id]);
    await retireModel(t.db, own.id, 'bo', 'client left');
    expect((await scoringModels(t.db, clientId)).map((m) => m.id)).toEqual([second.id]);
    expect(await auditActions(first.id)).toEqual([
      'risk_model.proposed by ana',
      'risk_model.approved by bo',
      'risk_model.champion by bo',
      'risk_model.retired by cy',
    ]);
  });

  it('refuses a model that does not predict the platform outcome or uses columns it does not compute', async () => {
    const other = testModel();
    other.data.target = 'default';
    await expect(
      proposeModel(t.db, { model: other, name: 'x', outcomeDays: 30, paidShare: 0.5 }, 'ana'),
    ).rejects.toMatchObject({ code: 'bad_file' });
    const strange = testModel();
    (strange.features[0] as { name: string }).name = 'income';
    await expect(
      proposeModel(t.db, { model: strange, name: 'x', outcomeDays: 30, paidShare: 0.5 }, 'ana'),
    ).rejects.toMatchObject({ code: 'bad_file', details: { unknown: ['income'] } });
    await expect(
      proposeModel(t.db, { model: { format: 'nope' }, name: 'x', outcomeDays: 30, paidShare: 0.5 }, 'ana'),
    ).rejects.toMatchObject({ code: 'bad_file' });
  });
});

describe('monitoring', () => {
  it('measures AUC, KS and PSI on a planted drift and raises both alerts once, audited', async () => {
    const [champion] = await listModels(t.db, { status: 'champion' });
    if (!champion) throw new Error('no champion');
    // four accounts scored in May 2025: the model says A and B will not pay (band 0), C and D will
    // (band 3); A and B pay within the 60 days, C and D do not — the ranking is exactly inverted
    const ids = await placeAccounts(
      t.db,
      clientId,
      ['A', 'B', 'C', 'D'].map((ref) => ({ ref, principal: 10_000n })),
      { effectiveDate: '2025-04-01' },
    );
    const scored: Array<[number, number, number]> = [
      [470, 0, 0.9],
      [470, 0, 0.8],
      [530, 3, 0.2],
      [530, 3, 0.1],
    ];
    for (const [k, accountId] of ids.entries()) {
      const [score, band, probability] = scored[k] as [number, number, number];
      await sql`INSERT INTO risk_score_history
                  (client_id, account_id, as_of, model_id, role, score, band, probability, balance_minor, reasons)
                VALUES (${clientId}, ${accountId}, '2025-05-10', ${champion.id}, 'champion', ${score}, ${band},
                        ${probability}, 10000, '{}'),
                       (${clientId}, ${accountId}, '2025-05-20', ${champion.id}, 'champion', 999, 3, 0.5, 10000, '{}')`.execute(
        t.db,
      );
    }
    await postPayments(
      t.db,
      ids.slice(0, 2).map((accountId, k) => bankPayment(clientId, accountId, `m${k}`, 5_000n, '2025-06-01')),
      'tester',
    );
    const [figures] = await monitorModels(t.db, { month: '2025-05', actor: 'monitor' });
    expect(figures).toMatchObject({
      model_id: champion.id,
      month: '2025-05',
      accounts: 4,
      closed: 4,
      events: 2,
      auc: 0,
      ks: 1,
      psi: psi([25, 25, 25, 25], [2, 0, 0, 2]),
      validation_auc: 0.8,
    });
    expect(figures?.alerts.map((a) => a.kind)).toEqual(['psi', 'auc_drop']);
    const again = await monitorModels(t.db, { month: '2025-05', actor: 'monitor' });
    expect(again[0]?.auc).toBe(0);
    const stored = await sql<{ kind: string; value: number }>`
      SELECT kind, value FROM risk_alerts WHERE model_id = ${champion.id} ORDER BY kind`.execute(t.db);
    expect(stored.rows).toEqual([
      { kind: 'auc_drop', value: 0 },
      { kind: 'psi', value: figures?.psi },
    ]);
    const monitoring = await sql<{ accounts: number; auc: number }>`
      SELECT accounts, auc FROM risk_monitoring WHERE model_id = ${champion.id}`.execute(t.db);
    expect(monitoring.rows).toEqual([{ accounts: 4, auc: 0 }]);
    expect((await auditActions(champion.id)).filter((a) => a.startsWith('risk_model.drift_alert'))).toEqual([
      'risk_model.drift_alert by monitor',
      'risk_model.drift_alert by monitor',
    ]);
    await expect(monitorModels(t.db, { month: '2025-13', actor: 'm' })).rejects.toMatchObject({
      code: 'bad_usage',
    });
  });
});
