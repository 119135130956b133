/**
 * The scorecard's training pipeline (risk-model.md): target and column types from the table, a
 * seeded stratified split, binning on the training rows only, selection by information value and
 * correlation (each dropped feature keeps its reason), L2 logistic regression on the WoE values, a
 * second pass that drops features whose coefficient took the wrong sign, points scaling, and the
 * validation figures on the held-out rows (and k-fold cross-validation on request).
 */

import { HuikuanError } from '../shared/errors.ts';
import {
  type Bin,
  type BinningOptions,
  binCategorical,
  binNumeric,
  categoricalBinIndex,
  compileBinning,
  defaultBinningOptions,
  type FeatureBinning,
  numericBinIndex,
} from './binning.ts';
import { columnIndex, isMissing, parseNumber, type Table } from './data.ts';
import {
  type Aggregate,
  aggregateCode,
  aggregateOf,
  type ColumnGroup,
  type DerivedFeature,
  derivedFeature,
  detectGroups,
} from './derived.ts';
import { fitLogistic, sigmoid } from './logistic.ts';
import {
  bandEdges,
  bandOf,
  type CalibrationRow,
  type CurvePoint,
  calibration,
  correlation,
  type Metrics,
  metrics,
  rank,
  rocCurve,
} from './metrics.ts';
import { stratifiedFolds, stratifiedSplit } from './split.ts';

export interface Scaling {
  /** score at the base odds */
  baseScore: number;
  /** odds of non-event to event at the base score (50 means 50:1) */
  baseOdds: number;
  /** points to double the odds */
  pdo: number;
}

export const defaultScaling: Scaling = { baseScore: 600, baseOdds: 50, pdo: 20 };

export interface TrainOptions {
  target: string;
  /** the target value that is the event; found when the target is 0/1, bad/good, yes/no … */
  positive?: string;
  exclude: string[];
  seed: number;
  /** share of the rows held out for validation */
  validationShare: number;
  binning: BinningOptions;
  /** features with a smaller information value are dropped */
  minIv: number;
  /** of two features whose WoE values correlate more than this (absolute), the weaker is dropped */
  maxCorrelation: number;
  /** λ of the L2 penalty */
  l2: number;
  scaling: Scaling;
  /** k-fold cross-validation on the whole table when ≥ 2 */
  folds: number;
  /** aggregates offered as candidate features for each group of repeated columns (derived.ts) */
  derive: Aggregate[];
}

export const defaultTrainOptions: Omit<TrainOptions, 'target'> = {
  exclude: [],
  seed: 42,
  validationShare: 0.3,
  binning: defaultBinningOptions,
  minIv: 0.02,
  maxCorrelation: 0.8,
  l2: 1,
  scaling: defaultScaling,
  folds: 0,
  derive: ['max', 'mean'],
};

export type DropCode = 'constant' | 'identifier_like' | 'low_iv' | 'correlated' | 'wrong_sign' | 'excluded';

export interface Candidate {
  name: string;
  type: 'numeric' | 'categorical';
  status: 'selected' | 'dropped';
  code?: DropCode;
  reason?: string;
  iv: number;
  /** the bin table on the training rows (absent for features dropped before binning) */
  binning?: FeatureBinning;
  /** a feature computed from a group of columns, and how */
  derived?: DerivedFeature;
}

export interface ScoredBin extends Bin {
  points: number;
  /** reason code of this bin, and its text */
  code: string;
  text: { en: string; 'zh-CN': string };
}

export interface ScorecardFeature {
  name: string;
  type: 'numeric' | 'categorical';
  trend: FeatureBinning['trend'];
  iv: number;
  coefficient: number;
  specialValues: number[];
  bins: ScoredBin[];
  /** a feature computed from a group of columns, and how (scoring computes it the same way) */
  derived?: DerivedFeature;
}

export interface Curves {
  roc: CurvePoint[];
  /** cumulative shares of events and non-events at or below each score */
  ks: Array<{ score: number; events: number; nonEvents: number }>;
  /** validation scores in bins of `width` points */
  histogram: Array<{ from: number; events: number; nonEvents: number }>;
  width: number;
}

export interface Model {
  format: 'huikuan-scorecard';
  version: 1;
  createdAt: string;
  data: {
    file: string;
    rows: number;
    rowsWithoutTarget: number;
    target: string;
    positive: string;
    negative: string;
    events: number;
    trainRows: number;
    validationRows: number;
  };
  options: Omit<TrainOptions, 'target' | 'positive'>;
  scaling: Scaling & { factor: number; offset: number };
  intercept: number;
  fit: { iterations: number; converged: boolean; l2: number };
  features: ScorecardFeature[];
  candidates: Candidate[];
  validation: {
    train: Metrics;
    validation: Metrics;
    crossValidation?: { folds: number; auc: number[]; meanAuc: number; sdAuc: number };
    calibration: CalibrationRow[];
    curves: Curves;
  };
  /** score bands (training deciles) and the training rows' counts in them, for PSI */
  bands: { edges: number[]; train: number[] };
  /** the groups of repeated columns found, whose aggregates were candidates (absent: none) */
  groups?: ColumnGroup[];
}

// ------------------------------------------------------------------ preparing the table

interface Column {
  name: string;
  type: 'numeric' | 'categorical';
  numbers: Float64Array;
  levels: Array<string | null>;
  derived?: DerivedFeature;
}

export interface Prepared {
  y: Uint8Array;
  positive: string;
  negative: string;
  rowsWithoutTarget: number;
  columns: Column[];
  early: Candidate[];
  /** groups of repeated columns whose aggregates are among `columns` */
  groups: ColumnGroup[];
}

const eventWords = ['1', 'bad', 'yes', 'y', 'true', 'default', 'defaulted', 'paid', 'event', 'positive'];

/** Finds the target, its event class and the candidate feature columns with their types. */
export function prepare(
  table: Table,
  target: string,
  positive: string | undefined,
  exclude: string[],
): Prepared {
  const t = columnIndex(table.headers, target);
  if (t < 0) {
    throw new HuikuanError(
      'bad_input',
      `The file has no target column "${target}". Name one of its columns with --target.`,
      {
        headers: table.headers,
      },
    );
  }
  for (const name of exclude) {
    if (columnIndex(table.headers, name) < 0) {
      throw new HuikuanError('bad_usage', `--exclude names "${name}", which is not a column of the file.`);
    }
  }
  const targetCells = table.columns[t] as string[];
  const classes = new Map<string, number>();
  for (const cell of targetCells) if (!isMissing(cell)) classes.set(cell, (classes.get(cell) ?? 0) + 1);
  if (classes.size < 2) {
    throw new HuikuanError(
      'bad_input',
      `The target column "${target}" has ${classes.size === 0 ? 'no values' : `one class only ("${[...classes.keys()][0]}")`}; a model needs rows of both outcomes.`,
    );
  }
  let event: string;
  if (positive !== undefined) {
    if (!classes.has(positive)) {
      throw new HuikuanError(
        'bad_usage',
        `--positive "${positive}" is not a value of "${target}" (its values: ${[...classes.keys()].slice(0, 10).join(', ')}).`,
      );
    }
    event = positive;
  } else {
    if (classes.size > 2) {
      throw new HuikuanError(
        'bad_usage',
        `The target column "${target}" has ${classes.size} values; name the event with --positive VALUE (the others count as non-events).`,
      );
    }
    const found = eventWords
      .map((word) => [...classes.keys()].find((c) => c.toLowerCase() === word))
      .find(Boolean);
    if (found === undefined) {
      throw new HuikuanError(
        'bad_usage',
        `Cannot tell which value of "${target}" is the event (${[...classes.keys()].join(', ')}); pass --positive VALUE.`,
      );
    }
    event = found;
  }
  const negatives = [...classes.keys()].filter((c) => c !== event);
  const keep: number[] = [];
  for (let r = 0; r < table.rows; r++) if (!isMissing(targetCells[r] as string)) keep.push(r);
  const y = new Uint8Array(keep.length);
  keep.forEach((r, i) => {
    y[i] = targetCells[r] === event ? 1 : 0;
  });
  const excluded = new Set(exclude.map((name) => columnIndex(table.headers, name)));
  const columns: Column[] = [];
  const early: Candidate[] = [];
  table.headers.forEach((name, c) => {
    if (c === t || name === '') return;
    if (excluded.has(c)) {
      early.push({
        name,
        type: 'categorical',
        status: 'dropped',
        code: 'excluded',
        reason: 'excluded with --exclude',
        iv: 0,
      });
      return;
    }
    const cells = table.columns[c] as string[];
    const numbers = new Float64Array(keep.length);
    const levels: Array<string | null> = new Array(keep.length);
    let numeric = true;
    const distinct = new Set<string>();
    let present = 0;
    for (let i = 0; i < keep.length; i++) {
      const text = cells[keep[i] as number] as string;
      if (isMissing(text)) {
        numbers[i] = Number.NaN;
        levels[i] = null;
        continue;
      }
      present++;
      levels[i] = text;
      if (distinct.size <= keep.length) distinct.add(text);
      if (numeric) {
        const v = parseNumber(text);
        if (Number.isNaN(v)) numeric = false;
        else numbers[i] = v;
      }
    }
    const type = numeric && present > 0 ? 'numeric' : 'categorical';
    if (distinct.size <= 1) {
      early.push({
        name,
        type,
        status: 'dropped',
        code: 'constant',
        reason: distinct.size === 0 ? 'every value is missing' : 'one value only',
        iv: 0,
      });
      return;
    }
    if (type === 'categorical' && distinct.size > Math.max(50, 0.5 * present)) {
      early.push({
        name,
        type,
        status: 'dropped',
        code: 'identifier_like',
        reason: `text with ${distinct.size} distinct values in ${present} rows (an identifier or free text)`,
        iv: 0,
      });
      return;
    }
    columns.push({ name, type, numbers, levels });
  });
  return {
    y,
    positive: event,
    negative: negatives.length === 1 ? (negatives[0] as string) : `not ${event}`,
    rowsWithoutTarget: table.rows - keep.length,
    columns,
    early,
    groups: [],
  };
}

/**
 * Adds the `aggregates` of each group of repeated numeric columns (derived.ts) to the candidate
 * columns, computed row by row with the scorer's own `aggregateOf`. Reads values, never the target.
 */
export function addDerived(prepared: Prepared, aggregates: Aggregate[], headers: string[]): Prepared {
  if (aggregates.length === 0) return prepared;
  const numeric = prepared.columns.filter((c) => c.type === 'numeric' && c.derived === undefined);
  const groups = detectGroups(numeric);
  if (groups.length === 0) return prepared;
  const taken = new Set(headers.map((h) => h.toLowerCase()));
  const columns = [...prepared.columns];
  const rows = prepared.y.length;
  for (const group of groups) {
    const sources = group.columns.map((name) => numeric.find((c) => c.name === name) as Column);
    const indexes = Int32Array.from(sources, (_, j) => j);
    const values = new Float64Array(sources.length);
    for (const aggregate of aggregates) {
      const { name, derived } = derivedFeature(group, aggregate, taken);
      taken.add(name.toLowerCase());
      const code = aggregateCode(aggregate);
      const numbers = new Float64Array(rows);
      const distinct = new Set<number>();
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < sources.length; j++) values[j] = (sources[j] as Column).numbers[r] as number;
        const v = aggregateOf(code, values, indexes);
        numbers[r] = v;
        if (distinct.size < 2) distinct.add(v);
      }
      if (distinct.size < 2) {
        prepared.early.push({
          name,
          type: 'numeric',
          status: 'dropped',
          code: 'constant',
          reason: `${derived.label.en} has one value only`,
          iv: 0,
          derived,
        });
        continue;
      }
      columns.push({ name, type: 'numeric', numbers, levels: [], derived });
    }
  }
  return { ...prepared, columns, groups };
}

// ------------------------------------------------------------------ fitting on a set of rows

function subsetNumbers(values: Float64Array, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as number;
  return out;
}

function subsetY(y: Uint8Array, rows: number[]): Uint8Array {
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i] as number] as number;
  return out;
}

/** WoE of each of `rows` under a binning. */
function woeColumn(column: Column, binning: FeatureBinning, rows: number[]): Float64Array {
  const compiled = compileBinning(binning);
  const woes = Float64Array.from(binning.bins, (bin) => bin.woe);
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const bin =
      column.type === 'numeric'
        ? numericBinIndex(compiled, column.numbers[r] as number)
        : categoricalBinIndex(compiled, column.levels[r] ?? null);
    out[i] = bin < 0 ? 0 : (woes[bin] as number);
  }
  return out;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

interface Fitted {
  candidates: Candidate[];
  selected: Array<{ column: Column; binning: FeatureBinning; coefficient: number }>;
  intercept: number;
  fit: { iterations: number; converged: boolean };
}

/** Bins, selects and fits on `rows` of the prepared table. */
export function fitOnRows(prepared: Prepared, rows: number[], options: TrainOptions): Fitted {
  const y = subsetY(prepared.y, rows);
  let events = 0;
  for (let i = 0; i < y.length; i++) events += y[i] as number;
  if (events === 0 || events === y.length) {
    throw new HuikuanError(
      'bad_input',
      'The training rows hold one class only; a model needs rows of both outcomes.',
    );
  }
  const candidates: Candidate[] = [];
  const binned: Array<{ column: Column; binning: FeatureBinning; candidate: Candidate }> = [];
  for (const column of prepared.columns) {
    const binning =
      column.type === 'numeric'
        ? binNumeric(column.name, subsetNumbers(column.numbers, rows), y, options.binning)
        : binCategorical(
            column.name,
            rows.map((r) => column.levels[r] ?? null),
            y,
            options.binning,
          );
    const candidate: Candidate = {
      name: column.name,
      type: column.type,
      status: 'selected',
      iv: binning.iv,
      binning,
      ...(column.derived ? { derived: column.derived } : {}),
    };
    candidates.push(candidate);
    if (binning.iv < options.minIv) {
      candidate.status = 'dropped';
      candidate.code = 'low_iv';
      candidate.reason = `information value ${round4(binning.iv)} under ${options.minIv}`;
    } else binned.push({ column, binning, candidate });
  }
  binned.sort((a, b) => b.binning.iv - a.binning.iv || (a.column.name < b.column.name ? -1 : 1));
  const kept: Array<{ column: Column; binning: FeatureBinning; candidate: Candidate; woe: Float64Array }> =
    [];
  for (const entry of binned) {
    const woe = woeColumn(entry.column, entry.binning, rows);
    let worst: { name: string; r: number } | null = null;
    for (const other of kept) {
      const r = correlation(woe, other.woe);
      if (Math.abs(r) > options.maxCorrelation && (worst === null || Math.abs(r) > Math.abs(worst.r))) {
        worst = { name: other.column.name, r };
      }
    }
    if (worst !== null) {
      entry.candidate.status = 'dropped';
      entry.candidate.code = 'correlated';
      entry.candidate.reason = `WoE correlation ${round4(worst.r)} with ${worst.name}, which has the higher IV (limit ${options.maxCorrelation})`;
      continue;
    }
    kept.push({ ...entry, woe });
  }
  if (kept.length === 0) {
    throw new HuikuanError(
      'bad_input',
      `No feature has an information value of at least ${options.minIv}, so there is nothing to score with. Check the target and the columns, or lower --min-iv.`,
      { candidates: candidates.map((c) => ({ name: c.name, iv: c.iv, reason: c.reason })) },
    );
  }
  let start: number[] | undefined;
  for (;;) {
    const fit = fitLogistic(
      kept.map((k) => k.woe),
      y,
      start === undefined ? { l2: options.l2 } : { l2: options.l2, start },
    );
    // with WoE = ln(non-event share ÷ event share), a sensible coefficient is negative
    let wrong = -1;
    for (let j = 0; j < kept.length; j++) {
      const b = fit.coefficients[j + 1] as number;
      if (b > 0 && (wrong < 0 || b > (fit.coefficients[wrong + 1] as number))) wrong = j;
    }
    if (wrong >= 0 && kept.length > 1) {
      const entry = kept[wrong] as (typeof kept)[number];
      entry.candidate.status = 'dropped';
      entry.candidate.code = 'wrong_sign';
      entry.candidate.reason = `coefficient ${round4(fit.coefficients[wrong + 1] as number)} took the wrong sign beside stronger features (it adds nothing they do not explain)`;
      kept.splice(wrong, 1);
      // the refit starts from this fit without the dropped feature
      start = fit.coefficients.filter((_, j) => j !== wrong + 1);
      continue;
    }
    return {
      candidates,
      selected: kept.map((k, j) => ({
        column: k.column,
        binning: k.binning,
        coefficient: fit.coefficients[j + 1] as number,
      })),
      intercept: fit.coefficients[0] as number,
      fit: { iterations: fit.iterations, converged: fit.converged },
    };
  }
}

/** The linear predictor η (log-odds of the event) of `rows` under a fitted model. */
function predictRows(fitted: Fitted, rows: number[]): Float64Array {
  const eta = new Float64Array(rows.length).fill(fitted.intercept);
  for (const s of fitted.selected) {
    const woe = woeColumn(s.column, s.binning, rows);
    for (let i = 0; i < rows.length; i++) eta[i] = (eta[i] as number) + s.coefficient * (woe[i] as number);
  }
  return eta;
}

// ------------------------------------------------------------------ points and reasons

export function scalingFactors(scaling: Scaling): { factor: number; offset: number } {
  const factor = scaling.pdo / Math.LN2;
  return { factor, offset: scaling.baseScore - factor * Math.log(scaling.baseOdds) };
}

/** score = offset + factor · ln(odds of non-event) = offset − factor · η */
export function scoreOf(eta: number, factor: number, offset: number): number {
  return offset - factor * eta;
}

function scorecardFeatures(fitted: Fitted, factor: number, offset: number): ScorecardFeature[] {
  const m = fitted.selected.length;
  const share = (offset - factor * fitted.intercept) / m;
  return fitted.selected.map(({ column, binning, coefficient }) => ({
    name: binning.name,
    type: binning.type,
    trend: binning.trend,
    iv: binning.iv,
    coefficient,
    specialValues: binning.specialValues,
    bins: binning.bins.map((bin, index) => ({
      ...bin,
      points: share - factor * coefficient * bin.woe,
      code: `${binning.name}:${index + 1}`,
      text: reasonText(column.derived?.label ?? { en: binning.name, 'zh-CN': binning.name }, bin),
    })),
    ...(column.derived ? { derived: column.derived } : {}),
  }));
}

/** A bin's reason text; `feature` is the feature's name, or what a derived feature is. */
function reasonText(feature: { en: string; 'zh-CN': string }, bin: Bin): { en: string; 'zh-CN': string } {
  const { en, 'zh-CN': zh } = feature;
  if (bin.kind === 'missing') return { en: `${en} is missing`, 'zh-CN': `${zh} 缺失` };
  if (bin.kind === 'special') return { en: `${en} has a special code`, 'zh-CN': `${zh} 为特殊值` };
  if (bin.kind === 'categories') {
    return { en: `${en} is ${bin.label}`, 'zh-CN': `${zh} 为 ${bin.label}` };
  }
  return { en: `${en} in ${bin.label}`, 'zh-CN': `${zh} 在 ${bin.label} 区间` };
}

// ------------------------------------------------------------------ the whole training

function curves(score: Float64Array, y: Uint8Array): Curves {
  const risk = Float64Array.from(score, (s) => -s);
  const roc = rocCurve(risk, y);
  const r = rank(score, y);
  const ks: Curves['ks'] = [];
  let cumE = 0;
  let cumN = 0;
  const stride = Math.max(1, Math.floor(r.values.length / 150));
  for (let k = 0; k < r.values.length; k++) {
    cumE += r.events[k] as number;
    cumN += r.nonEvents[k] as number;
    if (k % stride === 0 || k === r.values.length - 1) {
      ks.push({
        score: r.values[k] as number,
        events: cumE / r.totalEvents,
        nonEvents: cumN / r.totalNonEvents,
      });
    }
  }
  const min = r.values[0] ?? 0;
  const max = r.values[r.values.length - 1] ?? 0;
  const width = Math.max(1, Math.ceil((max - min) / 30 / 5) * 5);
  const start = Math.floor(min / width) * width;
  const histogram: Curves['histogram'] = [];
  for (let from = start; from <= max; from += width) histogram.push({ from, events: 0, nonEvents: 0 });
  for (let i = 0; i < score.length; i++) {
    const h = histogram[Math.floor(((score[i] as number) - start) / width)];
    if (h === undefined) continue;
    if (y[i] === 1) h.events++;
    else h.nonEvents++;
  }
  return { roc, ks, histogram, width };
}

export function trainModel(table: Table, options: TrainOptions, file = ''): Model {
  const prepared = addDerived(
    prepare(table, options.target, options.positive, options.exclude),
    options.derive,
    table.headers,
  );
  const { train, validation } = stratifiedSplit(prepared.y, options.validationShare, options.seed);
  const fitted = fitOnRows(prepared, train, options);
  const { factor, offset } = scalingFactors(options.scaling);
  const yTrain = subsetY(prepared.y, train);
  const yValid = subsetY(prepared.y, validation);
  const etaTrain = predictRows(fitted, train);
  const etaValid = predictRows(fitted, validation);
  const scoreTrain = Float64Array.from(etaTrain, (e) => scoreOf(e, factor, offset));
  const scoreValid = Float64Array.from(etaValid, (e) => scoreOf(e, factor, offset));
  const edges = bandEdges(scoreTrain);
  const trainBands = new Array<number>(edges.length + 1).fill(0);
  for (const s of scoreTrain) {
    const band = bandOf(edges, s);
    trainBands[band] = (trainBands[band] as number) + 1;
  }
  let crossValidation: Model['validation']['crossValidation'];
  if (options.folds >= 2) {
    const fold = stratifiedFolds(prepared.y, options.folds, options.seed);
    const aucs: number[] = [];
    for (let k = 0; k < options.folds; k++) {
      const inFold: number[] = [];
      const outFold: number[] = [];
      for (let i = 0; i < fold.length; i++) (fold[i] === k ? outFold : inFold).push(i);
      const f = fitOnRows(prepared, inFold, options);
      aucs.push(metrics(predictRows(f, outFold), subsetY(prepared.y, outFold)).auc);
    }
    const mean = aucs.reduce((s, v) => s + v, 0) / aucs.length;
    const sd = Math.sqrt(aucs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, aucs.length - 1));
    crossValidation = { folds: options.folds, auc: aucs, meanAuc: mean, sdAuc: sd };
  }
  const selectedNames = new Set(fitted.selected.map((s) => s.column.name));
  const { target: _target, positive: _positive, ...rest } = options;
  return {
    format: 'huikuan-scorecard',
    version: 1,
    createdAt: new Date().toISOString(),
    data: {
      file,
      rows: prepared.y.length + prepared.rowsWithoutTarget,
      rowsWithoutTarget: prepared.rowsWithoutTarget,
      target: options.target,
      positive: prepared.positive,
      negative: prepared.negative,
      events: prepared.y.reduce((s, v) => s + v, 0),
      trainRows: train.length,
      validationRows: validation.length,
    },
    options: rest,
    scaling: { ...options.scaling, factor, offset },
    intercept: fitted.intercept,
    fit: { ...fitted.fit, l2: options.l2 },
    features: scorecardFeatures(fitted, factor, offset),
    candidates: [...fitted.candidates, ...prepared.early].map((c) =>
      selectedNames.has(c.name) ? { ...c, status: 'selected' as const } : c,
    ),
    validation: {
      train: metrics(etaTrain, yTrain),
      validation: metrics(etaValid, yValid),
      ...(crossValidation ? { crossValidation } : {}),
      calibration: calibration(
        scoreValid,
        Float64Array.from(etaValid, (e) => sigmoid(e)),
        yValid,
        edges,
      ),
      curves: curves(scoreValid, yValid),
    },
    bands: { edges, train: trainBands },
    ...(prepared.groups.length > 0 ? { groups: prepared.groups } : {}),
  };
}
