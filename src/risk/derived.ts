/**
 * Derived features across repeated measurement columns (decision 0010): a table often holds one
 * quantity measured several times — `PAY_0, PAY_2 … PAY_6` (months of delay, month by month),
 * `BILL_AMT1 … BILL_AMT6` — and a scorecard's classic characteristics are aggregates of them, such as
 * the worst status over the months. One additive table of univariate bins cannot express "late in
 * any month", so training offers these aggregates as candidate features that go through the same
 * binning, IV, correlation and sign filters as every column; scoring computes them from the same
 * source columns with the same code (`aggregateOf`).
 *
 * A **group** is ≥ 3 numeric columns whose names share a stem and end in a number, taken in the
 * order of that number, that are the same quantity on the same scale. Names alone are not enough
 * (the UCI file under its other header is X1 … X23: credit limit, sex, education, …, six statuses,
 * six bills, six payments), so a stem's columns are split into runs, and a column joins the run
 * before it only when
 *
 * - its middle 90 % of values (5th to 95th percentile) overlaps that of every column in the run, and
 *   their widths are within a factor of 4 (a zero width counts as the whole range): the same scale;
 * - its rank (Spearman) correlation with the column before it is at least 0.3: the same quantity
 *   measured again, not unrelated measures that happen to share a range (sex, education, marriage
 *   codes 1–3).
 *
 * Runs of ≥ 3 columns are the groups. Only the values are read, never the target, on at most
 * `sampleRows` rows spread evenly over the table.
 */

import { HuikuanError } from '../shared/errors.ts';
import { correlation } from './metrics.ts';

/** How a derived feature is computed from its group's present (non-missing) values. */
export type Aggregate = 'max' | 'mean' | 'positive' | 'trend';

/**
 * max: the largest (the worst status); mean; positive: how many are above 0 (months late, months
 * with a payment); trend: the first column's value minus the last one's (in the order of the
 * trailing number; missing when either is).
 */
export const allAggregates: readonly Aggregate[] = ['max', 'mean', 'positive', 'trend'];

export interface ColumnGroup {
  /** the shared name before the number, separators trimmed (PAY_0 … → PAY) */
  stem: string;
  /** its derived features' names start with this: the stem, or the first and last columns when a stem has several groups (X6_X11) */
  key: string;
  /** the source columns in the order of their trailing number */
  columns: string[];
}

export interface DerivedFeature {
  aggregate: Aggregate;
  stem: string;
  /** the source columns, in order */
  columns: string[];
  /** what the feature is, in words: "PAY (max of PAY_0…PAY_6)" */
  label: { en: string; 'zh-CN': string };
}

export interface GroupOptions {
  /** fewest columns in a group */
  minColumns: number;
  /** widths of the middle 90 % of values may differ by at most this factor */
  maxWidthRatio: number;
  /** least rank correlation of a column with the one before it */
  minCorrelation: number;
  /** rows read to decide (spread over the table) */
  sampleRows: number;
  /** most groups kept (the first in column order) */
  maxGroups: number;
}

export const defaultGroupOptions: GroupOptions = {
  minColumns: 3,
  maxWidthRatio: 4,
  minCorrelation: 0.3,
  sampleRows: 20_000,
  maxGroups: 32,
};

const trailingNumber = /^(.*\D)(\d{1,9})$/s;

/** PAY_ → PAY; a stem of separators only stays as it is. */
function displayStem(stem: string): string {
  const trimmed = stem.replace(/[\s_.\-:#]+$/u, '');
  return trimmed === '' ? stem : trimmed;
}

interface Profile {
  name: string;
  order: number;
  /** sampled values, NaN for missing */
  sample: Float64Array;
  /** their ranks when none is missing (else ranked pair by pair) */
  ranked: Float64Array | null;
  low: number;
  high: number;
  width: number;
}

function quantileOfSorted(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function profile(name: string, order: number, values: Float64Array, rows: Uint32Array): Profile | null {
  const sample = new Float64Array(rows.length);
  let present = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i] as number] as number;
    sample[i] = v;
    if (!Number.isNaN(v)) present++;
  }
  if (present < 30) return null;
  const sorted = new Float64Array(present);
  let k = 0;
  for (let i = 0; i < sample.length; i++)
    if (!Number.isNaN(sample[i] as number)) sorted[k++] = sample[i] as number;
  sorted.sort();
  const low = quantileOfSorted(sorted, 0.05);
  const high = quantileOfSorted(sorted, 0.95);
  const width = high > low ? high - low : (sorted[present - 1] as number) - (sorted[0] as number);
  const ranked = present === sample.length ? ranks(sample, sorted) : null;
  return { name, order, sample, ranked, low, high, width };
}

/** Same scale: the middle 90 % ranges overlap and their widths are within the factor. */
export function sameScale(
  a: { low: number; high: number; width: number },
  b: { low: number; high: number; width: number },
  maxWidthRatio: number,
): boolean {
  if (Math.max(a.low, b.low) > Math.min(a.high, b.high)) return false;
  if (a.width === 0 || b.width === 0) return a.width === b.width;
  return Math.max(a.width, b.width) <= maxWidthRatio * Math.min(a.width, b.width);
}

/** Ranks (ties averaged) of `values`: each value's first and last place in the sorted values. */
function ranks(values: Float64Array, sorted = Float64Array.from(values).sort()): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    const first = lo;
    hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = (first + lo - 1) / 2;
  }
  return out;
}

/** Spearman correlation over the rows where both are present; NaN with fewer than 30 such rows. */
export function rankCorrelation(a: Float64Array, b: Float64Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i] as number) && !Number.isNaN(b[i] as number)) n++;
  if (n < 30) return Number.NaN;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i] as number) || Number.isNaN(b[i] as number)) continue;
    x[k] = a[i] as number;
    y[k++] = b[i] as number;
  }
  return correlation(ranks(x), ranks(y));
}

/**
 * The groups of repeated measurement columns among numeric `columns` (see the module's comment),
 * in the order of their first column.
 */
export function detectGroups(
  columns: Array<{ name: string; numbers: Float64Array }>,
  options: GroupOptions = defaultGroupOptions,
): ColumnGroup[] {
  const rowCount = columns[0]?.numbers.length ?? 0;
  const take = Math.min(rowCount, options.sampleRows);
  const rows = new Uint32Array(take);
  for (let i = 0; i < take; i++) rows[i] = Math.floor((i * rowCount) / take);
  const byStem = new Map<string, Array<{ name: string; order: number; numbers: Float64Array }>>();
  for (const column of columns) {
    const match = trailingNumber.exec(column.name);
    if (match === null) continue;
    const stem = match[1] as string;
    const members = byStem.get(stem) ?? [];
    members.push({ name: column.name, order: Number(match[2]), numbers: column.numbers });
    byStem.set(stem, members);
  }
  const groups: Array<{ stem: string; columns: string[]; first: number }> = [];
  for (const [stem, members] of byStem) {
    if (members.length < options.minColumns) continue;
    members.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : 1));
    let run: Profile[] = [];
    const close = () => {
      if (run.length >= options.minColumns) {
        groups.push({
          stem: displayStem(stem),
          columns: run.map((p) => p.name),
          first: columns.findIndex((c) => c.name === run[0]?.name),
        });
      }
    };
    for (const member of members) {
      const p = profile(member.name, member.order, member.numbers, rows);
      if (p === null) {
        close();
        run = [];
        continue;
      }
      const previous = run[run.length - 1];
      const joins =
        previous !== undefined &&
        run.every((q) => sameScale(q, p, options.maxWidthRatio)) &&
        (previous.ranked !== null && p.ranked !== null
          ? correlation(previous.ranked, p.ranked)
          : rankCorrelation(previous.sample, p.sample)) >= options.minCorrelation;
      if (!joins) {
        close();
        run = [];
      }
      run.push(p);
    }
    close();
  }
  groups.sort((a, b) => a.first - b.first);
  const kept = groups.slice(0, options.maxGroups);
  return kept.map(({ stem, columns: names }) => ({
    stem,
    key: kept.filter((g) => g.stem === stem).length > 1 ? `${names[0]}_${names[names.length - 1]}` : stem,
    columns: names,
  }));
}

// ------------------------------------------------------------------ the aggregates

const aggregateCodes: Record<Aggregate, number> = { max: 0, mean: 1, positive: 2, trend: 3 };

export function aggregateCode(aggregate: Aggregate): number {
  return aggregateCodes[aggregate];
}

/**
 * The aggregate (by its code) of `values[sources[0..]]`; NaN when no source is present (trend: when
 * the first or the last is missing). The one computation training and scoring share.
 */
export function aggregateOf(code: number, values: Float64Array, sources: Int32Array): number {
  const n = sources.length;
  if (code === 3) {
    return (values[sources[0] as number] as number) - (values[sources[n - 1] as number] as number);
  }
  let present = 0;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let positive = 0;
  for (let i = 0; i < n; i++) {
    const v = values[sources[i] as number] as number;
    if (Number.isNaN(v)) continue; // missing
    present++;
    if (v > max) max = v;
    sum += v;
    if (v > 0) positive++;
  }
  if (present === 0) return Number.NaN;
  return code === 0 ? max : code === 1 ? sum / present : positive;
}

function range(columns: string[]): string {
  return `${columns[0]}…${columns[columns.length - 1]}`;
}

/** The feature's name (unique among `taken`), and its definition. */
export function derivedFeature(
  group: ColumnGroup,
  aggregate: Aggregate,
  taken: ReadonlySet<string>,
): { name: string; derived: DerivedFeature } {
  const base = `${group.key}_${aggregate}`;
  let name = base;
  for (let k = 2; taken.has(name.toLowerCase()); k++)
    name = `${base}${k === 2 ? '_derived' : `_derived${k}`}`;
  const cols = group.columns;
  const all = range(cols);
  const last = cols[cols.length - 1] as string;
  const label =
    aggregate === 'max'
      ? { en: `${group.stem} (max of ${all})`, 'zh-CN': `${group.stem}（${all} 的最大值）` }
      : aggregate === 'mean'
        ? { en: `${group.stem} (mean of ${all})`, 'zh-CN': `${group.stem}（${all} 的均值）` }
        : aggregate === 'positive'
          ? {
              en: `${group.stem} (how many of ${all} are above 0)`,
              'zh-CN': `${group.stem}（${all} 中大于 0 的个数）`,
            }
          : {
              en: `${group.stem} (${cols[0]} − ${last})`,
              'zh-CN': `${group.stem}（${cols[0]} 减 ${last}）`,
            };
  return { name, derived: { aggregate, stem: group.stem, columns: [...cols], label } };
}

/** Checks a model's derived feature definition before scoring with it. */
export function checkDerived(name: string, derived: DerivedFeature): void {
  if (
    !allAggregates.includes(derived.aggregate) ||
    !Array.isArray(derived.columns) ||
    derived.columns.length < 2 ||
    derived.columns.some((c) => typeof c !== 'string')
  ) {
    throw new HuikuanError(
      'bad_file',
      `The model's derived feature "${name}" is not one this version computes (${allAggregates.join(', ')} of two or more columns). Train the model again with this version.`,
    );
  }
}

/** Parses `--derive` text: "none", or a comma-separated list of aggregates. */
export function parseAggregates(text: string): Aggregate[] {
  const items = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'none') return [];
  const out: Aggregate[] = [];
  for (const item of items) {
    if (!allAggregates.includes(item as Aggregate)) {
      throw new HuikuanError(
        'bad_usage',
        `--derive takes none or a list of ${allAggregates.join(', ')}, not "${item}".`,
      );
    }
    if (!out.includes(item as Aggregate)) out.push(item as Aggregate);
  }
  return out;
}
