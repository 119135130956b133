/**
 * Validation figures: AUC (Mann–Whitney, ties counted half), Gini = 2·AUC − 1, KS (the largest gap
 * between the cumulative shares of events and non-events over the score's thresholds, ties taken
 * together), ROC and KS curves, calibration by score band and PSI.
 *
 * `risk[i]` is any number that rises with the chance of an event (the probability, or minus the
 * score); `y[i]` is 1 for an event.
 */

export interface Ranked {
  /** the distinct risk values, ascending, with how many events and non-events hold each */
  values: number[];
  events: number[];
  nonEvents: number[];
  totalEvents: number;
  totalNonEvents: number;
}

export function rank(risk: ArrayLike<number>, y: ArrayLike<number>): Ranked {
  const order = Array.from({ length: risk.length }, (_, i) => i);
  order.sort((a, b) => (risk[a] as number) - (risk[b] as number));
  const values: number[] = [];
  const events: number[] = [];
  const nonEvents: number[] = [];
  let totalEvents = 0;
  for (const i of order) {
    const v = risk[i] as number;
    if (values.length === 0 || values[values.length - 1] !== v) {
      values.push(v);
      events.push(0);
      nonEvents.push(0);
    }
    const last = values.length - 1;
    if (y[i] === 1) {
      events[last] = (events[last] as number) + 1;
      totalEvents++;
    } else nonEvents[last] = (nonEvents[last] as number) + 1;
  }
  return { values, events, nonEvents, totalEvents, totalNonEvents: risk.length - totalEvents };
}

export function auc(risk: ArrayLike<number>, y: ArrayLike<number>): number {
  const r = rank(risk, y);
  if (r.totalEvents === 0 || r.totalNonEvents === 0) return Number.NaN;
  // pairs (event, non-event) where the event is riskier, ties half
  let below = 0;
  let wins = 0;
  for (let k = 0; k < r.values.length; k++) {
    const e = r.events[k] as number;
    const ne = r.nonEvents[k] as number;
    wins += e * below + 0.5 * e * ne;
    below += ne;
  }
  return wins / (r.totalEvents * r.totalNonEvents);
}

export function ks(risk: ArrayLike<number>, y: ArrayLike<number>): number {
  const r = rank(risk, y);
  if (r.totalEvents === 0 || r.totalNonEvents === 0) return Number.NaN;
  let cumE = 0;
  let cumN = 0;
  let best = 0;
  for (let k = 0; k < r.values.length; k++) {
    cumE += r.events[k] as number;
    cumN += r.nonEvents[k] as number;
    best = Math.max(best, Math.abs(cumE / r.totalEvents - cumN / r.totalNonEvents));
  }
  return best;
}

export interface CurvePoint {
  /** the risk threshold: rows at or above it are flagged */
  threshold: number;
  /** true-positive rate: share of events at or above the threshold */
  tpr: number;
  /** false-positive rate: share of non-events at or above the threshold */
  fpr: number;
}

/** The ROC curve from (0,0) to (1,1), thinned to at most `maxPoints` points. */
export function rocCurve(risk: ArrayLike<number>, y: ArrayLike<number>, maxPoints = 200): CurvePoint[] {
  const r = rank(risk, y);
  const points: CurvePoint[] = [{ threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0 }];
  let cumE = 0;
  let cumN = 0;
  for (let k = r.values.length - 1; k >= 0; k--) {
    cumE += r.events[k] as number;
    cumN += r.nonEvents[k] as number;
    points.push({
      threshold: r.values[k] as number,
      tpr: r.totalEvents ? cumE / r.totalEvents : 0,
      fpr: r.totalNonEvents ? cumN / r.totalNonEvents : 0,
    });
  }
  if (points.length <= maxPoints) return points;
  const thinned: CurvePoint[] = [];
  const stride = (points.length - 1) / (maxPoints - 1);
  for (let k = 0; k < maxPoints; k++) thinned.push(points[Math.round(k * stride)] as CurvePoint);
  return thinned;
}

export interface Metrics {
  rows: number;
  events: number;
  auc: number;
  gini: number;
  ks: number;
}

export function metrics(risk: ArrayLike<number>, y: ArrayLike<number>): Metrics {
  const a = auc(risk, y);
  let events = 0;
  for (let i = 0; i < y.length; i++) events += y[i] as number;
  return { rows: risk.length, events, auc: a, gini: 2 * a - 1, ks: ks(risk, y) };
}

/**
 * Score band edges: the score's deciles (or `bands` quantiles) on the training rows, rounded to
 * whole points and deduplicated. Band k holds scores in [edges[k−1], edges[k]); the first band is
 * open below and the last above.
 */
export function bandEdges(scores: ArrayLike<number>, bands = 10): number[] {
  const sorted = Float64Array.from(scores).sort();
  const edges: number[] = [];
  for (let k = 1; k < bands; k++) {
    const v = Math.round(sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bands))] ?? 0);
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  return edges;
}

/** The band of a score: the number of edges at or below it. */
export function bandOf(edges: number[], score: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (score >= (edges[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function bandLabel(edges: number[], band: number): string {
  const lower = edges[band - 1];
  const upper = edges[band];
  if (lower === undefined && upper === undefined) return 'all';
  if (lower === undefined) return `< ${upper}`;
  if (upper === undefined) return `≥ ${lower}`;
  return `${lower}–${upper - 1}`;
}

export interface CalibrationRow {
  band: string;
  rows: number;
  events: number;
  /** mean predicted probability of the event */
  predicted: number;
  /** observed event rate */
  observed: number;
}

export function calibration(
  scores: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  y: ArrayLike<number>,
  edges: number[],
): CalibrationRow[] {
  const rows = new Array<number>(edges.length + 1).fill(0);
  const events = new Array<number>(edges.length + 1).fill(0);
  const predicted = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const band = bandOf(edges, scores[i] as number);
    rows[band] = (rows[band] as number) + 1;
    events[band] = (events[band] as number) + (y[i] as number);
    predicted[band] = (predicted[band] as number) + (probabilities[i] as number);
  }
  return rows.map((count, band) => ({
    band: bandLabel(edges, band),
    rows: count,
    events: events[band] as number,
    predicted: count ? (predicted[band] as number) / count : 0,
    observed: count ? (events[band] as number) / count : 0,
  }));
}

/**
 * Population stability index between two distributions over the same bins (counts): Σ (a − e) ·
 * ln(a / e) over the shares, an empty share taken as 0.5 rows so the logarithm stays finite.
 */
export function psi(expected: number[], actual: number[]): number {
  const totalE = expected.reduce((s, v) => s + v, 0);
  const totalA = actual.reduce((s, v) => s + v, 0);
  if (totalE === 0 || totalA === 0) return Number.NaN;
  let value = 0;
  for (let k = 0; k < expected.length; k++) {
    const e = Math.max(expected[k] as number, 0.5) / totalE;
    const a = Math.max(actual[k] ?? 0, 0.5) / totalA;
    value += (a - e) * Math.log(a / e);
  }
  return value;
}

/** The usual reading of a PSI: < 0.1 stable, < 0.25 some shift, else a significant shift. */
export function psiVerdict(value: number): 'stable' | 'some shift' | 'significant shift' {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'some shift' : 'significant shift';
}

/** Pearson correlation of two equally long series (0 when either is constant). */
export function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}
