/**
 * Monthly monitoring of each champion: the month's scored population is each account's first
 * champion score in the month; AUC and KS on those whose outcome window (the model's days after the
 * score date) has closed, the outcome read from the payments as the feature builder reads it; PSI of
 * the month's score bands against the training bands. Stored per model and month (recomputing a
 * month replaces its figures); an alert row and an audit event when PSI > 0.25 or the AUC is more
 * than 0.05 below the validation AUC.
 */
import { sql } from 'kysely';
import { recordAudit } from '../../audit/service.ts';
import type { Db } from '../../db/connection.ts';
import { HuikuanError } from '../../shared/errors.ts';
import { auc, ks, psi } from '../metrics.ts';
import type { Model } from '../train.ts';

export const psiAlertAbove = 0.25;
export const aucDropAlertAbove = 0.05;

export interface MonitoringFigures {
  model_id: bigint;
  month: string;
  accounts: number;
  /** accounts whose outcome window has closed: the ones AUC and KS are measured on */
  closed: number;
  events: number;
  auc: number | null;
  ks: number | null;
  psi: number | null;
  validation_auc: number | null;
  alerts: Array<{ kind: 'psi' | 'auc_drop'; value: number; threshold: number; message: string }>;
}

/** 'YYYY-MM' → its first day; refuses anything else. */
export function monthStart(month: string): string {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new HuikuanError('bad_usage', `--month takes YYYY-MM (e.g. 2025-06), not "${month}".`);
  return `${month}-01`;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export async function monitorModels(
  db: Db,
  options: { month?: string; actor: string; today?: string },
): Promise<MonitoringFigures[]> {
  const first =
    options.month !== undefined
      ? monthStart(options.month)
      : (
          await sql<{
            d: string;
          }>`SELECT to_char(date_trunc('month', current_date) - interval '1 month', 'YYYY-MM-DD') AS d`.execute(
            db,
          )
        ).rows[0]?.d;
  if (first === undefined) throw new HuikuanError('internal', 'Could not work out last month.');
  const champions = await sql<{
    id: bigint;
    model: Model;
    outcome_days: number;
    paid_share: string;
    validation_auc: number | null;
  }>`SELECT id, model, outcome_days, paid_share::text AS paid_share, validation_auc
       FROM risk_models WHERE status = 'champion' ORDER BY id`.execute(db);
  const out: MonitoringFigures[] = [];
  for (const champion of champions.rows) out.push(await monitorModel(db, champion, first, options));
  return out;
}

async function monitorModel(
  db: Db,
  champion: {
    id: bigint;
    model: Model;
    outcome_days: number;
    paid_share: string;
    validation_auc: number | null;
  },
  first: string,
  options: { actor: string; today?: string },
): Promise<MonitoringFigures> {
  const today = sql`coalesce(${options.today ?? null}::date, current_date)`;
  const rows = await sql<{ band: number; probability: number; closed: boolean; paid: boolean }>`
    WITH snap AS (
      SELECT DISTINCT ON (h.account_id) h.account_id, h.as_of, h.band, h.probability, h.balance_minor
        FROM risk_score_history h
       WHERE h.model_id = ${champion.id} AND h.role = 'champion'
         AND h.as_of >= ${first}::date AND h.as_of < ${first}::date + interval '1 month'
       ORDER BY h.account_id, h.as_of),
    paid AS (
      SELECT s.account_id, -sum(p.amount_minor) AS amount
        FROM snap s
        JOIN journal_entries je ON je.account_id = s.account_id
         AND je.effective_date > s.as_of AND je.effective_date <= s.as_of + ${champion.outcome_days}::int
        LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
        JOIN postings p ON p.entry_id = je.id AND p.account_id = s.account_id
       WHERE coalesce(orig.kind, je.kind) IN ('payment', 'direct_payment')
       GROUP BY s.account_id)
    SELECT s.band, s.probability, s.as_of + ${champion.outcome_days}::int < ${today} AS closed,
           coalesce(paid.amount, 0) >= ${champion.paid_share}::numeric * s.balance_minor AS paid
      FROM snap s LEFT JOIN paid ON paid.account_id = s.account_id`.execute(db);
  const model = champion.model;
  const counts = new Array<number>(model.bands.train.length).fill(0);
  const risk: number[] = [];
  const y: number[] = [];
  for (const row of rows.rows) {
    counts[row.band] = (counts[row.band] ?? 0) + 1;
    if (!row.closed) continue;
    risk.push(row.probability);
    y.push((row.paid ? '1' : '0') === model.data.positive ? 1 : 0);
  }
  const figures: MonitoringFigures = {
    model_id: champion.id,
    month: first.slice(0, 7),
    accounts: rows.rows.length,
    closed: risk.length,
    events: y.reduce((s, v) => s + v, 0),
    auc: finite(auc(risk, y)),
    ks: finite(ks(risk, y)),
    psi: rows.rows.length > 0 ? finite(psi(model.bands.train, counts)) : null,
    validation_auc: champion.validation_auc,
    alerts: [],
  };
  if (figures.psi !== null && figures.psi > psiAlertAbove) {
    figures.alerts.push({
      kind: 'psi',
      value: figures.psi,
      threshold: psiAlertAbove,
      message: `Score PSI ${figures.psi.toFixed(3)} against training is above ${psiAlertAbove}: the scored population has shifted; review the model.`,
    });
  }
  if (
    figures.auc !== null &&
    figures.validation_auc !== null &&
    figures.validation_auc - figures.auc > aucDropAlertAbove
  ) {
    figures.alerts.push({
      kind: 'auc_drop',
      value: figures.auc,
      threshold: figures.validation_auc - aucDropAlertAbove,
      message: `AUC ${figures.auc.toFixed(3)} is more than ${aucDropAlertAbove} below the validation AUC ${figures.validation_auc.toFixed(3)}: the model ranks worse than when approved; retrain or retire it.`,
    });
  }
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO risk_monitoring (model_id, month, accounts, events, auc, ks, psi, validation_auc)
      VALUES (${champion.id}, ${first}::date, ${figures.accounts}, ${figures.events}, ${figures.auc}, ${figures.ks},
              ${figures.psi}, ${figures.validation_auc})
      ON CONFLICT (model_id, month) DO UPDATE
         SET accounts = EXCLUDED.accounts, events = EXCLUDED.events, auc = EXCLUDED.auc, ks = EXCLUDED.ks,
             psi = EXCLUDED.psi, validation_auc = EXCLUDED.validation_auc, computed_at = now()`.execute(trx);
    for (const alert of figures.alerts) {
      const inserted = await sql<{ id: bigint }>`
        INSERT INTO risk_alerts (model_id, month, kind, value, threshold, message)
        VALUES (${champion.id}, ${first}::date, ${alert.kind}, ${alert.value}, ${alert.threshold}, ${alert.message})
        ON CONFLICT (model_id, month, kind) DO NOTHING RETURNING id`.execute(trx);
      const id = inserted.rows[0]?.id;
      if (id !== undefined) {
        await recordAudit(trx, {
          actor: options.actor,
          action: 'risk_model.drift_alert',
          entityType: 'risk_model',
          entityId: champion.id,
          after: { alert_id: id, month: figures.month, ...alert },
        });
      }
    }
  });
  return figures;
}
