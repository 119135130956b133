/**
 * Scoring a file with a trained scorecard: each row's score, probability of the target event and
 * top reason codes (the features that cost it the most points against their best bin), streamed
 * chunk by chunk so memory stays flat in the file's size; with the population stability of the
 * scores (and of each feature's bins) against the training rows.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { HuikuanError } from '../shared/errors.ts';
import { type CompiledBinning, categoricalBinIndex, compileBinning, numericBinIndex } from './binning.ts';
import {
  type Batch,
  columnIndex,
  isMissing,
  openRecords,
  parsedRecords,
  parseNumber,
  plainInteger,
  trimmed,
} from './data.ts';
import { aggregateCode, aggregateOf, checkDerived } from './derived.ts';
import { sigmoid } from './logistic.ts';
import { bandLabel, bandOf, psi, psiVerdict } from './metrics.ts';
import type { Model } from './train.ts';

export const reasonCount = 4;

interface CompiledFeature {
  name: string;
  /** the column it is read from; −1 for a derived feature */
  column: number;
  /** a derived feature's aggregate (derived.ts `aggregateCode`); −1 for a column's own */
  aggregate: number;
  /** a derived feature's source columns, in order */
  sources: Int32Array;
  numeric: boolean;
  binning: CompiledBinning;
  /** β·WoE of each bin (its share of the log-odds of the event) */
  eta: Float64Array;
  /** points each bin falls short of the feature's best bin */
  shortfall: Float64Array;
  codes: string[];
  counts: Float64Array;
}

export interface CompiledModel {
  model: Model;
  features: CompiledFeature[];
  factor: number;
  offset: number;
  intercept: number;
  /** scratch: the bin of each feature in the row being scored */
  bins: Int32Array;
  /** the feature read from each column, −1 for none */
  featureOfColumn: Int32Array;
  /** the last column any feature reads */
  lastColumn: number;
  /** the columns derived features are computed from, each once, and the same as flags by column */
  sourceColumns: Int32Array;
  isSource: Uint8Array;
  /** the derived features (indexes into `features`) */
  derived: Int32Array;
  /** scratch: the numbers of the source columns in the row being scored, by column */
  values: Float64Array;
}

/** Checks that a parsed JSON document is a scorecard this version can use. */
export function checkModel(value: unknown, file: string): Model {
  const model = value as Partial<Model> | null;
  if (
    model === null ||
    typeof model !== 'object' ||
    model.format !== 'huikuan-scorecard' ||
    model.version !== 1 ||
    !Array.isArray(model.features) ||
    typeof model.intercept !== 'number' ||
    typeof model.scaling?.factor !== 'number'
  ) {
    throw new HuikuanError(
      'bad_file',
      `${file} is not a Huikuan scorecard (version 1). Pass a file written by \`huikuan model train --out FILE\`.`,
    );
  }
  return model as Model;
}

/** The columns a model reads: its features' own, and the sources of its derived features. */
export function modelColumns(model: Model): string[] {
  const names = new Set<string>();
  for (const feature of model.features) {
    if (feature.derived === undefined) names.add(feature.name);
    else for (const column of feature.derived.columns) names.add(column);
  }
  return [...names];
}

export function compileModel(model: Model, headers: string[]): CompiledModel {
  const features = model.features.map((feature): CompiledFeature => {
    let column = -1;
    let aggregate = -1;
    let sources = new Int32Array(0);
    if (feature.derived === undefined) {
      column = columnIndex(headers, feature.name);
      if (column < 0) {
        throw new HuikuanError(
          'bad_file',
          `The file has no column "${feature.name}", which the model scores with.`,
        );
      }
    } else {
      const derived = feature.derived;
      checkDerived(feature.name, derived);
      if (feature.type !== 'numeric') {
        throw new HuikuanError(
          'bad_file',
          `The model's derived feature "${feature.name}" is not numeric; derived features are numbers. Train the model again.`,
        );
      }
      aggregate = aggregateCode(derived.aggregate);
      sources = Int32Array.from(derived.columns, (name) => {
        const c = columnIndex(headers, name);
        if (c < 0) {
          throw new HuikuanError(
            'bad_file',
            `The file has no column "${name}", from which the model computes ${feature.name}, ${derived.label.en}.`,
          );
        }
        return c;
      });
    }
    const best = Math.max(...feature.bins.map((bin) => bin.points));
    return {
      name: feature.name,
      column,
      aggregate,
      sources,
      numeric: feature.type === 'numeric',
      binning: compileBinning({
        name: feature.name,
        type: feature.type,
        trend: feature.trend,
        bins: feature.bins,
        iv: feature.iv,
        specialValues: feature.specialValues,
      }),
      eta: Float64Array.from(feature.bins, (bin) => feature.coefficient * bin.woe),
      shortfall: Float64Array.from(feature.bins, (bin) => best - bin.points),
      codes: feature.bins.map((bin) => bin.code),
      counts: new Float64Array(feature.bins.length),
    };
  });
  const sourceColumns = [...new Set(features.flatMap((f) => [...f.sources]))].sort((a, b) => a - b);
  const isSource = new Uint8Array(headers.length);
  for (const c of sourceColumns) isSource[c] = 1;
  return {
    model,
    features,
    factor: model.scaling.factor,
    offset: model.scaling.offset,
    intercept: model.intercept,
    bins: new Int32Array(features.length),
    featureOfColumn: Int32Array.from(headers, (_, c) => features.findIndex((f) => f.column === c)),
    lastColumn: Math.max(...features.map((f) => f.column), ...sourceColumns),
    sourceColumns: Int32Array.from(sourceColumns),
    isSource,
    derived: Int32Array.from(features.flatMap((f, index) => (f.aggregate >= 0 ? [index] : []))),
    values: new Float64Array(headers.length).fill(Number.NaN),
  };
}

export interface RowScore {
  score: number;
  probability: number;
  /** reason codes, the first `reasonsFound` of them filled */
  reasons: string[];
  reasonsFound: number;
}

export function newRowScore(): RowScore {
  return { score: 0, probability: 0, reasons: new Array<string>(reasonCount).fill(''), reasonsFound: 0 };
}

// scratch space of the per-row loop: reasons kept sorted by shortfall, largest first
const topShort = new Float64Array(reasonCount);
const topFeature = new Int32Array(reasonCount);

/** The bin of a feature's cell text; a numeric feature's text that is not a number (NA, null …) is missing. */
function binOfText(feature: CompiledFeature, text: string): number {
  if (feature.numeric) return numericBinIndex(feature.binning, parseNumber(text));
  const bin = feature.binning.levels.get(text);
  if (bin !== undefined) return bin;
  return categoricalBinIndex(feature.binning, isMissing(text) ? null : text);
}

/** The number in `text[from, to)`, spaces trimmed; NaN when it is not one. */
function numberInSpan(text: string, from: number, to: number): number {
  let a = from;
  let b = to;
  while (a < b && text.charCodeAt(a) <= 32) a++;
  while (b > a && text.charCodeAt(b - 1) <= 32) b--;
  const value = plainInteger(text, a, b);
  if (!Number.isNaN(value)) return value;
  return parseNumber(text.slice(a, b));
}

/** Scores one record: its cells in header order start at `cells[offset]`. */
export function scoreRecord(
  compiled: CompiledModel,
  cells: string[],
  offset: number,
  out: RowScore,
): RowScore {
  const features = compiled.features;
  for (let f = 0; f < features.length; f++) {
    const feature = features[f] as CompiledFeature;
    if (feature.aggregate < 0) compiled.bins[f] = binOfText(feature, cells[offset + feature.column] ?? '');
  }
  if (compiled.derived.length > 0) {
    const sources = compiled.sourceColumns;
    const values = compiled.values;
    for (let s = 0; s < sources.length; s++) {
      const c = sources[s] as number;
      values[c] = parseNumber(cells[offset + c] ?? '');
    }
    binDerived(compiled);
  }
  return scoreBins(compiled, out);
}

/** The bins of the derived features from the source numbers in `compiled.values`. */
function binDerived(compiled: CompiledModel): void {
  const derived = compiled.derived;
  for (let d = 0; d < derived.length; d++) {
    const f = derived[d] as number;
    const feature = compiled.features[f] as CompiledFeature;
    compiled.bins[f] = numericBinIndex(
      feature.binning,
      aggregateOf(feature.aggregate, compiled.values, feature.sources),
    );
  }
}

/**
 * Scores the quote-free CSV line `text[start, end)` without splitting it into strings (numbers are
 * read in place, up to column `lastColumn`); returns the text of column `idColumn` ('' when −1).
 */
function scorePlainLine(
  compiled: CompiledModel,
  text: string,
  start: number,
  end: number,
  idColumn: number,
  lastColumn: number,
  out: RowScore,
): string {
  const features = compiled.features;
  const bins = compiled.bins;
  const byColumn = compiled.featureOfColumn;
  const isSource = compiled.isSource;
  const values = compiled.values;
  const derive = compiled.derived.length > 0;
  bins.fill(-1);
  // a short line: the source columns it does not reach are missing
  if (derive)
    for (let s = 0; s < compiled.sourceColumns.length; s++)
      values[compiled.sourceColumns[s] as number] = Number.NaN;
  let id = '';
  let from = start;
  for (let c = 0; c <= lastColumn && from <= end; c++) {
    let comma = text.indexOf(',', from);
    if (comma < 0 || comma > end) comma = end;
    const f = c < byColumn.length ? (byColumn[c] as number) : -1;
    if (derive && isSource[c] === 1) {
      const value = numberInSpan(text, from, comma);
      values[c] = value;
      if (f >= 0) {
        const feature = features[f] as CompiledFeature;
        bins[f] = feature.numeric
          ? numericBinIndex(feature.binning, value)
          : binOfText(feature, trimmed(text, from, comma));
      }
    } else if (f >= 0) {
      const feature = features[f] as CompiledFeature;
      bins[f] = feature.numeric
        ? numericBinIndex(feature.binning, numberInSpan(text, from, comma))
        : binOfText(feature, trimmed(text, from, comma));
    }
    if (c === idColumn) id = trimmed(text, from, comma);
    from = comma + 1;
  }
  if (derive) binDerived(compiled);
  // a short line: the features it does not reach are missing
  for (let f = 0; f < features.length; f++) {
    if (bins[f] === -1) bins[f] = (features[f] as CompiledFeature).binning.missingIndex;
  }
  scoreBins(compiled, out);
  return id;
}

/** Points, probability and reasons from the bins in `compiled.bins`. */
function scoreBins(compiled: CompiledModel, out: RowScore): RowScore {
  let eta = compiled.intercept;
  let kept = 0;
  const features = compiled.features;
  const bins = compiled.bins;
  for (let f = 0; f < features.length; f++) {
    const feature = features[f] as CompiledFeature;
    const bin = bins[f] as number;
    feature.counts[bin] = (feature.counts[bin] as number) + 1;
    eta += feature.eta[bin] as number;
    const short = feature.shortfall[bin] as number;
    if (short > 0.005 && (kept < reasonCount || short > (topShort[kept - 1] as number))) {
      let k = kept < reasonCount ? kept++ : reasonCount - 1;
      while (k > 0 && (topShort[k - 1] as number) < short) {
        topShort[k] = topShort[k - 1] as number;
        topFeature[k] = topFeature[k - 1] as number;
        k--;
      }
      topShort[k] = short;
      topFeature[k] = f;
    }
  }
  out.score = compiled.offset - compiled.factor * eta;
  out.probability = sigmoid(eta);
  out.reasonsFound = kept;
  for (let k = 0; k < kept; k++) {
    const f = topFeature[k] as number;
    const feature = features[f] as CompiledFeature;
    out.reasons[k] = feature.codes[bins[f] as number] as string;
  }
  return out;
}

export interface ScoreSummary {
  file: string;
  rows: number;
  out: string | null;
  meanScore: number;
  meanProbability: number;
  psi: {
    score: number;
    verdict: string;
    bands: Array<{ band: string; train: number; scored: number }>;
    features: Array<{ name: string; psi: number; verdict: string }>;
  };
}

/** What scoring a file adds up, and how it writes a line. */
interface Tally {
  rows: number;
  sumScore: number;
  sumProbability: number;
  bandCounts: number[];
  edges: number[];
  idColumn: number;
  /** reason code → its CSV cell(s) */
  cellOf: Map<string, string>;
  emptyReason: string;
}

/** Counts a scored row and returns its output line. */
function tallyRow(tally: Tally, result: RowScore, id: string): string {
  tally.rows++;
  tally.sumScore += result.score;
  tally.sumProbability += result.probability;
  const band = bandOf(tally.edges, result.score);
  tally.bandCounts[band] = (tally.bandCounts[band] as number) + 1;
  let line = tally.idColumn >= 0 ? `${csvCell(id)},` : '';
  line += `${tally.rows + 1},${Math.round(result.score)},${result.probability.toFixed(6)}`;
  for (let k = 0; k < reasonCount; k++) {
    line += `,${k < result.reasonsFound ? tally.cellOf.get(result.reasons[k] as string) : tally.emptyReason}`;
  }
  return `${line}\n`;
}

function scoreBatch(
  compiled: CompiledModel,
  batch: Batch,
  width: number,
  tally: Tally,
  result: RowScore,
): string {
  let text = '';
  for (let r = 0; r < batch.rows; r++) {
    scoreRecord(compiled, batch.cells, r * width, result);
    text += tallyRow(
      tally,
      result,
      tally.idColumn >= 0 ? (batch.cells[r * width + tally.idColumn] ?? '') : '',
    );
  }
  return text;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Scores every row of `file` and writes `[id,]row,score,probability,reason_1..4` (each followed by
 * its text in `lang` when asked) to `out`, or to `write` when `out` is null.
 */
export async function scoreFile(
  model: Model,
  file: string,
  options: { out: string | null; id?: string; lang?: 'en' | 'zh-CN'; write?: (text: string) => void },
): Promise<ScoreSummary> {
  const required = modelColumns(model);
  if (options.id !== undefined) required.push(options.id);
  const records = await openRecords(file, required);
  const compiled = compileModel(model, records.headers);
  const idColumn = options.id === undefined ? -1 : columnIndex(records.headers, options.id);
  const texts = new Map<string, string>();
  if (options.lang) {
    for (const feature of model.features)
      for (const bin of feature.bins) texts.set(bin.code, bin.text[options.lang]);
  }
  const bandCounts = new Array<number>(model.bands.edges.length + 1).fill(0);
  let stream: WriteStream | null = null;
  if (options.out !== null) {
    stream = createWriteStream(options.out);
    await Promise.race([
      once(stream, 'open'),
      once(stream, 'error').then(([error]) => {
        throw new HuikuanError('bad_usage', `Cannot write ${options.out}: ${(error as Error).message}.`);
      }),
    ]);
  }
  const header = [
    ...(idColumn >= 0 ? [csvCell(records.headers[idColumn] as string)] : []),
    'row',
    'score',
    'probability',
    ...Array.from({ length: reasonCount }, (_, k) =>
      options.lang ? `reason_${k + 1},reason_${k + 1}_text` : `reason_${k + 1}`,
    ),
  ].join(',');
  const emit = async (text: string) => {
    if (stream === null) options.write?.(text);
    else if (!stream.write(text)) await once(stream, 'drain');
  };
  await emit(`${header}\n`);
  const result = newRowScore();
  const edges = model.bands.edges;
  const width = records.headers.length;
  // each code as a CSV cell, and its text when asked, written once here rather than per row
  const cellOf = new Map<string, string>();
  for (const feature of model.features) {
    for (const bin of feature.bins) {
      cellOf.set(
        bin.code,
        options.lang ? `${csvCell(bin.code)},${csvCell(bin.text[options.lang])}` : csvCell(bin.code),
      );
    }
  }
  const tally: Tally = {
    rows: 0,
    sumScore: 0,
    sumProbability: 0,
    bandCounts,
    edges,
    idColumn,
    cellOf,
    emptyReason: options.lang ? ',' : '',
  };
  try {
    if (records.chunks !== undefined) {
      const lastColumn = Math.max(idColumn, compiled.lastColumn);
      for await (const chunk of records.chunks()) {
        if (chunk.text.indexOf('"') >= 0) {
          await emit(
            scoreBatch(compiled, parsedRecords(chunk.text, chunk.firstRecord, width), width, tally, result),
          );
          continue;
        }
        // quote-free text: lines split on line breaks, cells read in place
        const source = chunk.text;
        const length = source.length;
        let text = '';
        let start = 0;
        while (start < length) {
          let end = source.indexOf('\n', start);
          if (end < 0) end = length;
          const next = end + 1;
          if (end > start && source.charCodeAt(end - 1) === 13) end--;
          if (trimmed(source, start, end) !== '') {
            const id = scorePlainLine(compiled, source, start, end, idColumn, lastColumn, result);
            text += tallyRow(tally, result, id);
          }
          start = next;
        }
        await emit(text);
      }
    } else {
      for await (const batch of records.batches())
        await emit(scoreBatch(compiled, batch, width, tally, result));
    }
  } finally {
    await records.close();
    if (stream !== null) {
      stream.end();
      await once(stream, 'finish');
    }
  }
  const scorePsi = psi(model.bands.train, bandCounts);
  return {
    file,
    rows: tally.rows,
    out: options.out,
    meanScore: tally.rows ? tally.sumScore / tally.rows : Number.NaN,
    meanProbability: tally.rows ? tally.sumProbability / tally.rows : Number.NaN,
    psi: {
      score: scorePsi,
      verdict: psiVerdict(scorePsi),
      bands: bandCounts.map((count, band) => ({
        band: bandLabel(edges, band),
        train: model.bands.train[band] ?? 0,
        scored: count,
      })),
      features: compiled.features.map((feature, f) => {
        const value = psi(
          (model.features[f]?.bins ?? []).map((bin) => bin.count),
          Array.from(feature.counts),
        );
        return { name: feature.name, psi: value, verdict: psiVerdict(value) };
      }),
    },
  };
}
