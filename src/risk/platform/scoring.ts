/**
 * Nightly scoring of one partition of the strategy run (src/strategy/service.ts): the partition's live
 * accounts' features as of the run's date in one query, scored in Node with the champion (and any
 * challenger) through compileModel / scoreRecord, written back with one INSERT … SELECT FROM unnest
 * per table — every score to risk_score_history, the champion's to the narrow risk_account_scores —
 * then the risk watch rules, a notice to the supervisors of each account newly on the watch list
 * (src/notifications), and the upkeep of the score history (history.ts). Idempotent for a date: a
 * second pass rewrites the same rows.
 */
import { sql } from 'kysely';
import { sqlColumn } from '../../db/columns.ts';
import type { Db } from '../../db/connection.ts';
import { notifyWatchEntries } from '../../notifications/service.ts';
import type { BusinessDate } from '../../shared/dates.ts';
import { bandOf } from '../metrics.ts';
import { compileModel, newRowScore, scoreRecord } from '../score.ts';
import { availableSources, type FeatureRows, queryFeatures } from './features.ts';
import { pruneScoreHistory } from './history.ts';
import { scoringModels } from './registry.ts';
import { evaluateWatch } from './watch.ts';

export interface PartitionScope {
  asOf: BusinessDate;
  clientId: bigint;
  fromAccountId: bigint;
  toAccountId: bigint;
  /** live accounts scored at once (default `scoringSlice`) */
  slice?: number;
}

export interface PartitionScores {
  accounts: number;
  /** history rows written per model id */
  scored: Array<{ model_id: bigint; role: 'champion' | 'challenger'; rows: number }>;
  watch: { seen: number; opened: number };
  /** notices made for the supervisors of accounts newly on the watch list */
  notified: number;
  /** score history rows deleted by the upkeep */
  pruned: number;
}

const reasonSeparator = '\t';

interface ScoredColumns {
  accounts: string[];
  scores: number[];
  bands: number[];
  probabilities: number[];
  balances: string[];
  reasons: string[];
}

function scoreRows(features: FeatureRows, model: Parameters<typeof compileModel>[0]): ScoredColumns {
  const compiled = compileModel(model, features.names);
  const edges = model.bands.edges;
  const balanceColumn = features.names.indexOf('balance_minor');
  const out = newRowScore();
  const columns: ScoredColumns = {
    accounts: [],
    scores: [],
    bands: [],
    probabilities: [],
    balances: [],
    reasons: [],
  };
  for (const row of features.rows) {
    scoreRecord(compiled, row.cells, 0, out);
    columns.accounts.push(String(row.account_id));
    columns.scores.push(Math.round(out.score));
    columns.bands.push(bandOf(edges, out.score));
    columns.probabilities.push(out.probability);
    columns.balances.push(row.cells[balanceColumn] || '0');
    columns.reasons.push(out.reasons.slice(0, out.reasonsFound).join(reasonSeparator));
  }
  return columns;
}

export async function scorePartition(trx: Db, scope: PartitionScope): Promise<PartitionScores> {
  const sources = await availableSources(trx);
  const models = await scoringModels(trx, scope.clientId);
  if (models.length === 0) {
    // nothing to score: only the watch rules, which read no features, and the upkeep
    const watch = await evaluateWatch(trx, scope, sources);
    return { accounts: 0, scored: [], watch, ...(await afterWatch(trx, scope)) };
  }
  const scored: PartitionScores['scored'] = models.map(({ id, role }) => ({ model_id: id, role, rows: 0 }));
  let accounts = 0;
  // per model: how the history rows of the partition's slices are written (see writeScores)
  const modes: HistoryMode[] = [];
  for (const range of await slicesOf(trx, scope)) {
    const features = await queryFeatures(trx, { asOf: scope.asOf, clientId: scope.clientId, range }, sources);
    accounts += features.rows.length;
    for (const [index, { id, role, model }] of models.entries()) {
      modes[index] = await writeScores(
        trx,
        scope,
        id,
        role,
        scoreRows(features, model),
        modes[index] ?? 'first',
      );
      (scored[index] as PartitionScores['scored'][number]).rows += features.rows.length;
    }
  }
  const watch = await evaluateWatch(trx, scope, sources);
  return { accounts, scored, watch, ...(await afterWatch(trx, scope)) };
}

/**
 * Live accounts scored at once: their features are held in Node (a text cell per feature), so a
 * partition (≈ 50,000 accounts) is scored in slices; two partitions at once held ≈ 550 MB whole.
 */
export const scoringSlice = 10_000;

/**
 * The partition's live accounts of its client cut into id ranges of at most `slice` accounts, each
 * from its first account's id to its last's: a partition's own range is wide (a client's first starts
 * at 0, its last ends at the largest id) and holds other clients' accounts.
 */
async function slicesOf(trx: Db, scope: PartitionScope): Promise<Array<{ from: bigint; to: bigint }>> {
  const slices = await sql<{ from: bigint; to: bigint }>`
    SELECT min(x.id) AS from, max(x.id) AS to FROM (
      SELECT a.id, (row_number() OVER (ORDER BY a.id) - 1) / ${scope.slice ?? scoringSlice} AS slice
        FROM accounts a
       WHERE a.client_id = ${scope.clientId} AND a.id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}
         AND a.status IN ('active', 'paid', 'settled')) x
     GROUP BY x.slice ORDER BY 1`.execute(trx);
  return slices.rows;
}

/**
 * How a slice's history rows are written. A night scores each account once per model, so its rows are
 * new: a plain insert (an upsert's speculative insertion cost half as much again per row). A second
 * pass of the same date (a re-score) meets the key and rewrites the rows as an upsert. A partition is
 * scored whole in one transaction, so its first slice tells which (in a save point: one per model
 * and partition, not per slice, as more than 64 subtransactions in one transaction slow every session).
 */
type HistoryMode = 'first' | 'insert' | 'upsert';

/**
 * One slice's scores under one model: every score to the history, the champion's to the latest.
 * Returns the mode for the partition's next slice.
 */
async function writeScores(
  trx: Db,
  scope: PartitionScope,
  id: bigint,
  role: 'champion' | 'challenger',
  c: ScoredColumns,
  mode: HistoryMode,
): Promise<HistoryMode> {
  if (c.accounts.length === 0) return mode;
  const scores = sql`
    SELECT * FROM unnest(${sqlColumn(c.accounts, 'bigint')}, ${sqlColumn(c.scores, 'int')},
                         ${sqlColumn(c.bands, 'smallint')}, ${sqlColumn(c.probabilities, 'float8')},
                         ${sqlColumn(c.balances, 'bigint')}, ${sqlColumn(c.reasons, 'text')})
           AS s(account_id, score, band, probability, balance_minor, reasons)`;
  const reasons = sql`CASE WHEN s.reasons = '' THEN '{}'::text[] ELSE string_to_array(s.reasons, E'\t') END`;
  const history = (upsert: boolean) => sql`
    INSERT INTO risk_score_history
           (client_id, account_id, as_of, model_id, role, score, band, probability, balance_minor, reasons)
    SELECT ${scope.clientId}, s.account_id, ${scope.asOf}::date, ${id}, ${role}, s.score, s.band, s.probability,
           s.balance_minor, ${reasons}
      FROM (${scores}) s
    ${
      upsert
        ? sql`ON CONFLICT (account_id, as_of, model_id) DO UPDATE
                 SET role = EXCLUDED.role, score = EXCLUDED.score, band = EXCLUDED.band,
                     probability = EXCLUDED.probability, balance_minor = EXCLUDED.balance_minor,
                     reasons = EXCLUDED.reasons`
        : sql``
    }`;
  let next: HistoryMode = mode;
  if (mode === 'first') {
    await sql`SAVEPOINT score_history`.execute(trx);
    try {
      await history(false).execute(trx);
      await sql`RELEASE SAVEPOINT score_history`.execute(trx);
      next = 'insert';
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      await sql`ROLLBACK TO SAVEPOINT score_history`.execute(trx);
      await history(true).execute(trx);
      next = 'upsert';
    }
  } else {
    await history(mode === 'upsert').execute(trx);
  }
  if (role !== 'champion') return next;
  await sql`
    INSERT INTO risk_account_scores (account_id, client_id, model_id, as_of, score, band, probability, reasons)
    SELECT s.account_id, ${scope.clientId}, ${id}, ${scope.asOf}::date, s.score, s.band, s.probability, ${reasons}
      FROM (${scores}) s
    ON CONFLICT (account_id) DO UPDATE
       SET model_id = EXCLUDED.model_id, as_of = EXCLUDED.as_of, score = EXCLUDED.score,
           band = EXCLUDED.band, probability = EXCLUDED.probability, reasons = EXCLUDED.reasons
     WHERE risk_account_scores.as_of <= EXCLUDED.as_of`.execute(trx);
  return next;
}

async function afterWatch(trx: Db, scope: PartitionScope): Promise<{ notified: number; pruned: number }> {
  const notified = await notifyWatchEntries(trx, scope);
  const pruned = await pruneScoreHistory(trx, scope);
  return { notified, pruned };
}

/** The nightly run's step (registered in src/strategy/service.ts's partitionSteps). */
export async function riskScoresStep(context: {
  trx: Db;
  run: { as_of: string };
  partition: { client_id: bigint; first_id: bigint; last_id: bigint };
}): Promise<Record<string, never>> {
  await scorePartition(context.trx, {
    asOf: context.run.as_of,
    clientId: context.partition.client_id,
    fromAccountId: context.partition.first_id,
    toAccountId: context.partition.last_id,
  });
  return {};
}
