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
import { columnIndex, isMissing, openRecords, parseNumber } from './data.ts';
import { sigmoid } from './logistic.ts';
import { bandLabel, bandOf, psi, psiVerdict } from './metrics.ts';
import type { Model } from './train.ts';

export const reasonCount = 4;

interface CompiledFeature {
  name: string;
  column: number;
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

export function compileModel(model: Model, headers: string[]): CompiledModel {
  const features = model.features.map((feature) => {
    const column = columnIndex(headers, feature.name);
    if (column < 0) {
      throw new HuikuanError(
        'bad_file',
        `The file has no column "${feature.name}", which the model scores with.`,
      );
    }
    const best = Math.max(...feature.bins.map((bin) => bin.points));
    return {
      name: feature.name,
      column,
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
  return {
    model,
    features,
    factor: model.scaling.factor,
    offset: model.scaling.offset,
    intercept: model.intercept,
    bins: new Int32Array(features.length),
  };
}

export interface RowScore {
  score: number;
  probability: number;
  reasons: string[];
}

// scratch space of the per-row loop: reasons kept sorted by shortfall, largest first
const topShort = new Float64Array(reasonCount);
const topFeature = new Int32Array(reasonCount);

/** Scores one record (cells in header order). */
export function scoreRecord(compiled: CompiledModel, cells: string[], out: RowScore): RowScore {
  let eta = compiled.intercept;
  let kept = 0;
  const features = compiled.features;
  const bins = compiled.bins;
  for (let f = 0; f < features.length; f++) {
    const feature = features[f] as CompiledFeature;
    const text = cells[feature.column] ?? '';
    let bin: number;
    if (feature.numeric) {
      bin = numericBinIndex(feature.binning, isMissing(text) ? Number.NaN : parseNumber(text));
    } else bin = categoricalBinIndex(feature.binning, isMissing(text) ? null : text);
    bins[f] = bin;
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
  out.reasons.length = kept;
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

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Scores every row of `file` and writes `[id,]row,score,probability,reason_1..4` (and each reason's
 * text in `lang` when asked) to `out`, or to `write` when `out` is null.
 */
export async function scoreFile(
  model: Model,
  file: string,
  options: { out: string | null; id?: string; lang?: 'en' | 'zh-CN'; write?: (text: string) => void },
): Promise<ScoreSummary> {
  const required = model.features.map((feature) => feature.name);
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
    ...Array.from({ length: reasonCount }, (_, k) => `reason_${k + 1}`),
    ...(options.lang ? Array.from({ length: reasonCount }, (_, k) => `reason_${k + 1}_text`) : []),
  ].join(',');
  const emit = async (text: string) => {
    if (stream === null) options.write?.(text);
    else if (!stream.write(text)) await once(stream, 'drain');
  };
  await emit(`${header}\n`);
  const result: RowScore = { score: 0, probability: 0, reasons: [] };
  let rows = 0;
  let sumScore = 0;
  let sumProbability = 0;
  const edges = model.bands.edges;
  try {
    for await (const batch of records.batches) {
      let text = '';
      for (const cells of batch) {
        rows++;
        scoreRecord(compiled, cells, result);
        const score = Math.round(result.score);
        sumScore += result.score;
        sumProbability += result.probability;
        const band = bandOf(edges, result.score);
        bandCounts[band] = (bandCounts[band] as number) + 1;
        let line = idColumn >= 0 ? `${csvCell(cells[idColumn] ?? '')},` : '';
        line += `${rows + 1},${score},${result.probability.toFixed(6)}`;
        for (let k = 0; k < reasonCount; k++) line += `,${csvCell(result.reasons[k] ?? '')}`;
        if (options.lang) {
          for (let k = 0; k < reasonCount; k++) {
            const code = result.reasons[k];
            line += `,${code === undefined ? '' : csvCell(texts.get(code) ?? '')}`;
          }
        }
        text += `${line}\n`;
      }
      await emit(text);
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
    rows,
    out: options.out,
    meanScore: rows ? sumScore / rows : Number.NaN,
    meanProbability: rows ? sumProbability / rows : Number.NaN,
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
