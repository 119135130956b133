/**
 * A registered model's validation report as figures for the web UI (GET /risk/models/:id/report):
 * what `huikuan model train` measured and stored in the scorecard — AUC, Gini, KS on the training and
 * validation rows, the ROC and KS curves, the validation score distribution, calibration by score
 * band, each feature's bins with WoE, IV and points, the coefficients, the candidates dropped and
 * why, the PSI between training and validation bands — and the months of monitoring with their drift
 * alerts and the thresholds that raise them. Nothing is recomputed: the registry's row is the source.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connection.ts';
import type { Metrics } from '../metrics.ts';
import { aucDropAlertAbove, psiAlertAbove } from './monitor.ts';
import { getModel, type ModelView, validationPsi } from './registry.ts';

/** At most this many months of monitoring (about ten years). */
export const reportMonths = 120;

function figures(m: Metrics) {
  return { rows: m.rows, events: m.events, auc: finite(m.auc), gini: finite(m.gini), ks: finite(m.ks) };
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export async function modelReport(db: Db, id: bigint) {
  const { view, model } = await getModel(db, id);
  const monitoring = await sql<{
    month: string;
    accounts: number;
    events: number;
    auc: number | null;
    ks: number | null;
    psi: number | null;
    validation_auc: number | null;
  }>`
    SELECT to_char(month, 'YYYY-MM') AS month, accounts, events, auc, ks, psi, validation_auc
      FROM risk_monitoring WHERE model_id = ${id} ORDER BY month DESC LIMIT ${reportMonths}`.execute(db);
  const alerts = await sql<{
    month: string;
    kind: 'psi' | 'auc_drop';
    value: number;
    threshold: number;
    message: string;
  }>`
    SELECT to_char(month, 'YYYY-MM') AS month, kind, value, threshold, message
      FROM risk_alerts WHERE model_id = ${id} ORDER BY month DESC, kind LIMIT ${reportMonths * 2}`.execute(
    db,
  );
  const v = model.validation;
  return {
    model: view satisfies ModelView,
    event: model.data.positive === '1' ? 'paid' : 'not paid',
    data: {
      rows: model.data.rows,
      events: model.data.events,
      train_rows: model.data.trainRows,
      validation_rows: model.data.validationRows,
    },
    train: figures(v.train),
    validation: figures(v.validation),
    cross_validation: v.crossValidation
      ? {
          folds: v.crossValidation.folds,
          mean_auc: v.crossValidation.meanAuc,
          sd_auc: v.crossValidation.sdAuc,
        }
      : null,
    psi: validationPsi(model),
    scaling: {
      base_score: model.scaling.baseScore,
      base_odds: model.scaling.baseOdds,
      pdo: model.scaling.pdo,
    },
    intercept: model.intercept,
    roc: v.curves.roc.map((p) => ({ fpr: p.fpr, tpr: p.tpr })),
    ks_curve: v.curves.ks.map((p) => ({ score: p.score, events: p.events, non_events: p.nonEvents })),
    histogram: {
      width: v.curves.width,
      bins: v.curves.histogram.map((h) => ({ from: h.from, events: h.events, non_events: h.nonEvents })),
    },
    calibration: v.calibration.map((row) => ({
      band: row.band,
      rows: row.rows,
      events: row.events,
      predicted: row.predicted,
      observed: row.observed,
    })),
    scorecard: model.features.map((feature) => ({
      name: feature.name,
      iv: feature.iv,
      coefficient: feature.coefficient,
      bins: feature.bins.map((bin) => ({
        label: bin.label,
        count: bin.count,
        events: bin.events,
        event_rate: bin.eventRate,
        woe: bin.woe,
        iv: bin.iv,
        points: bin.points,
        code: bin.code,
        text: bin.text,
      })),
    })),
    dropped: model.candidates
      .filter((c) => c.status === 'dropped')
      .map((c) => ({ name: c.name, iv: finite(c.iv), code: c.code ?? null, reason: c.reason ?? null })),
    monitoring: monitoring.rows.reverse(),
    alerts: alerts.rows,
    thresholds: { psi: psiAlertAbove, auc_drop: aucDropAlertAbove },
  };
}
