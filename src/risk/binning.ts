/**
 * Binning, weight of evidence and information value (risk-model.md, steps 2 and 3).
 *
 * Conventions: the *event* is the target class (`y = 1`); WoE = ln(share of non-events ÷ share of
 * events), so a bin riskier than average has a negative WoE; IV = Σ (share of non-events − share of
 * events) · WoE. A count of zero is smoothed by adding 0.5 to both counts of that bin, so WoE stays
 * finite (only missing, special or unseen bins can have one: regular bins keep a minimum of each).
 *
 * Numeric features: fine classing by quantiles of the distinct values, then the event rate is made
 * monotonic (pool-adjacent-violators, ascending or descending, whichever keeps more IV), then bins
 * under the minimum share or with too few events or non-events are merged with the neighbour of the
 * closest event rate, then the most similar neighbours (smallest χ²) are merged down to the maximum
 * number of bins. Every merge is of adjacent bins, so monotonicity survives. Ranges are (lower,
 * upper], the first open below and the last open above, so every number falls in exactly one.
 * Missing values and the configured special codes have bins of their own.
 *
 * A numeric feature with no more distinct values than fine classes reads as codes (a status, months
 * of delay, a count): the same merging without the monotonic step is tried too, and kept, with
 * trend 'none', when its BIC (−2 · log-likelihood of the event under the bins' rates + ln(rows) per
 * bin) is lower than the monotonic binning's — when the data reject monotonicity (decision 0009).
 *
 * Categorical features: one bin per level; levels under the minimum share are pooled into one
 * "other" bin (which also takes levels never seen in training); then bins, ordered by event rate,
 * are merged like numeric ones.
 */

export interface BinningOptions {
  /** quantile bins before merging */
  fineBins: number;
  /** smallest share of the rows a regular bin may hold */
  minBinShare: number;
  /** smallest number of events, and of non-events, a regular bin may hold */
  minBinEvents: number;
  /** largest number of regular bins */
  maxBins: number;
  /** numeric codes that mean something other than their value (e.g. -999): one bin of their own */
  specialValues: number[];
}

export const defaultBinningOptions: BinningOptions = {
  fineBins: 20,
  minBinShare: 0.05,
  minBinEvents: 5,
  maxBins: 8,
  specialValues: [],
};

export type BinKind = 'range' | 'categories' | 'special' | 'missing';

export interface Bin {
  kind: BinKind;
  label: string;
  /** range bins: exclusive lower bound, null for −∞ */
  lower?: number | null;
  /** range bins: inclusive upper bound, null for +∞ */
  upper?: number | null;
  /** categories bins: the levels it holds */
  categories?: string[];
  /** categories bins: whether it also takes rare and unseen levels */
  other?: boolean;
  count: number;
  events: number;
  nonEvents: number;
  eventRate: number;
  woe: number;
  iv: number;
}

export interface FeatureBinning {
  name: string;
  type: 'numeric' | 'categorical';
  /** how the event rate moves with the value (numeric); 'none' for categorical and for codes binned freely */
  trend: 'ascending' | 'descending' | 'none';
  bins: Bin[];
  iv: number;
  specialValues: number[];
}

// ------------------------------------------------------------------ WoE and IV

export interface Counts {
  events: number;
  nonEvents: number;
}

/** WoE and IV of each bin, from its counts and the totals. */
export function woeIv(
  bin: Counts,
  totalEvents: number,
  totalNonEvents: number,
): { woe: number; iv: number; eventRate: number } {
  const count = bin.events + bin.nonEvents;
  if (count === 0) return { woe: 0, iv: 0, eventRate: 0 };
  const smooth = bin.events === 0 || bin.nonEvents === 0 ? 0.5 : 0;
  const shareNon = (bin.nonEvents + smooth) / totalNonEvents;
  const shareEv = (bin.events + smooth) / totalEvents;
  const woe = Math.log(shareNon / shareEv);
  return { woe, iv: (shareNon - shareEv) * woe, eventRate: bin.events / count };
}

// ------------------------------------------------------------------ groups and merging

/** A run of adjacent fine bins (or a set of levels) while merging. */
interface Group {
  count: number;
  events: number;
  /** numeric: the largest value the group holds */
  upper: number;
  levels: string[];
  other: boolean;
}

function rate(group: Group): number {
  return group.count === 0 ? 0 : group.events / group.count;
}

function merge(a: Group, b: Group): Group {
  return {
    count: a.count + b.count,
    events: a.events + b.events,
    upper: Math.max(a.upper, b.upper),
    levels: [...a.levels, ...b.levels],
    other: a.other || b.other,
  };
}

/** Pool-adjacent-violators: merges neighbours until event rates never fall (ascending) or never rise. */
export function poolAdjacentViolators(groups: Group[], ascending: boolean): Group[] {
  const stack: Group[] = [];
  for (const group of groups) {
    let current = group;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const violates = ascending ? rate(top) > rate(current) : rate(top) < rate(current);
      if (!violates) break;
      stack.pop();
      current = merge(top, current);
    }
    stack.push(current);
  }
  return stack;
}

/**
 * Merges groups under `minCount` rows or `minEvents` events or non-events into the adjacent group
 * whose event rate is closest, smallest offender first, until none is left (or one group remains).
 */
function enforceMinimums(input: Group[], minCount: number, minEvents: number): Group[] {
  const groups = [...input];
  for (;;) {
    if (groups.length <= 1) return groups;
    let worst = -1;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as Group;
      if (g.count < minCount || g.events < minEvents || g.count - g.events < minEvents) {
        if (worst < 0 || g.count < (groups[worst] as Group).count) worst = i;
      }
    }
    if (worst < 0) return groups;
    const g = groups[worst] as Group;
    const left = groups[worst - 1];
    const right = groups[worst + 1];
    let into: number;
    if (left === undefined) into = worst + 1;
    else if (right === undefined) into = worst - 1;
    else {
      const dl = Math.abs(rate(left) - rate(g));
      const dr = Math.abs(rate(right) - rate(g));
      into = dl < dr || (dl === dr && left.count <= right.count) ? worst - 1 : worst + 1;
    }
    const from = Math.min(into, worst);
    groups.splice(from, 2, merge(groups[from] as Group, groups[from + 1] as Group));
  }
}

/** χ² of the 2×2 table of two groups (events / non-events): how different their event rates are. */
function chiSquare(a: Group, b: Group): number {
  const n = a.count + b.count;
  const e = a.events + b.events;
  const ne = n - e;
  if (e === 0 || ne === 0) return 0;
  let chi = 0;
  for (const g of [a, b]) {
    const expectedE = (g.count * e) / n;
    const expectedN = (g.count * ne) / n;
    chi += (g.events - expectedE) ** 2 / expectedE + (g.count - g.events - expectedN) ** 2 / expectedN;
  }
  return chi;
}

/** Merges the most similar adjacent pair (smallest χ²) until at most `maxBins` groups remain. */
function limitBins(input: Group[], maxBins: number): Group[] {
  const groups = [...input];
  while (groups.length > Math.max(1, maxBins)) {
    let best = 0;
    let bestChi = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < groups.length; i++) {
      const chi = chiSquare(groups[i] as Group, groups[i + 1] as Group);
      if (chi < bestChi) {
        bestChi = chi;
        best = i;
      }
    }
    groups.splice(best, 2, merge(groups[best] as Group, groups[best + 1] as Group));
  }
  return groups;
}

function groupsIv(groups: Group[], totalEvents: number, totalNonEvents: number): number {
  let iv = 0;
  for (const g of groups)
    iv += woeIv({ events: g.events, nonEvents: g.count - g.events }, totalEvents, totalNonEvents).iv;
  return iv;
}

/**
 * Bayesian information criterion of a binning as a model of the event: −2 · log-likelihood of the
 * rows under each bin's event rate + ln(rows) per bin. Smaller is better.
 */
export function bic(groups: Array<{ count: number; events: number }>, rows: number): number {
  let logLikelihood = 0;
  for (const g of groups) {
    const nonEvents = g.count - g.events;
    if (g.events > 0) logLikelihood += g.events * Math.log(g.events / g.count);
    if (nonEvents > 0) logLikelihood += nonEvents * Math.log(nonEvents / g.count);
  }
  return -2 * logLikelihood + Math.log(Math.max(1, rows)) * groups.length;
}

// ------------------------------------------------------------------ numeric features

/**
 * Bins a numeric feature. `values[i]` is NaN when row i is missing; `y[i]` is 1 for an event.
 * Special codes are those in `options.specialValues`.
 */
export function binNumeric(
  name: string,
  values: Float64Array,
  y: Uint8Array,
  options: BinningOptions,
): FeatureBinning {
  const specials = new Set(options.specialValues);
  const n = values.length;
  let totalEvents = 0;
  for (let i = 0; i < n; i++) totalEvents += y[i] as number;
  const totalNonEvents = n - totalEvents;
  const missing = { events: 0, nonEvents: 0 };
  const special = { events: 0, nonEvents: 0 };
  // the regular values of events and of non-events, each sorted (typed-array sorts, no comparator)
  const eventValues = new Float64Array(n);
  const nonEventValues = new Float64Array(n);
  let ne = 0;
  let nn = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const target = Number.isNaN(v) ? missing : specials.has(v) ? special : null;
    if (target === null) {
      if (y[i] === 1) eventValues[ne++] = v;
      else nonEventValues[nn++] = v;
    } else if (y[i] === 1) target.events++;
    else target.nonEvents++;
  }
  const ev = eventValues.subarray(0, ne).sort();
  const nv = nonEventValues.subarray(0, nn).sort();
  // fine classes: runs of distinct values holding about 1/fineBins of the rows each
  const fine: Group[] = [];
  const perBin = (ne + nn) / Math.max(1, options.fineBins);
  let current: Group | null = null;
  let cumulative = 0;
  let cut = perBin;
  let distinct = 0;
  for (let i = 0, j = 0; i < ne || j < nn; ) {
    const v = Math.min(
      i < ne ? (ev[i] as number) : Number.POSITIVE_INFINITY,
      j < nn ? (nv[j] as number) : Number.POSITIVE_INFINITY,
    );
    let events = 0;
    while (i < ne && ev[i] === v) {
      events++;
      i++;
    }
    let count = events;
    while (j < nn && nv[j] === v) {
      count++;
      j++;
    }
    distinct++;
    if (current === null) current = { count: 0, events: 0, upper: v, levels: [], other: false };
    current.count += count;
    current.events += events;
    current.upper = v;
    cumulative += count;
    if (cumulative >= cut - 1e-9) {
      fine.push(current);
      current = null;
      while (cut <= cumulative + 1e-9) cut += perBin;
    }
  }
  if (current !== null) fine.push(current);

  const minCount = Math.ceil(options.minBinShare * n);
  let best: { groups: Group[]; trend: FeatureBinning['trend']; iv: number } | null = null;
  for (const ascending of [true, false]) {
    let groups = poolAdjacentViolators(fine, ascending);
    groups = enforceMinimums(groups, minCount, options.minBinEvents);
    groups = limitBins(groups, options.maxBins);
    const iv = groupsIv(groups, totalEvents, totalNonEvents);
    if (best === null || iv > best.iv + 1e-12) {
      best = { groups, trend: ascending ? 'ascending' : 'descending', iv };
    }
  }
  // a feature of few distinct values (no more than the fine classes) reads as codes, such as a
  // status or months of delay: its bins may go up and down when BIC prefers that to monotone bins
  if (best !== null && distinct <= options.fineBins) {
    const groups = limitBins(enforceMinimums(fine, minCount, options.minBinEvents), options.maxBins);
    if (bic(groups, ne + nn) < bic(best.groups, ne + nn) - 1e-9) {
      best = { groups, trend: 'none', iv: groupsIv(groups, totalEvents, totalNonEvents) };
    }
  }
  const groups = best?.groups ?? [];
  const bins: Bin[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as Group;
    const lower = i === 0 ? null : (groups[i - 1] as Group).upper;
    const upper = i === groups.length - 1 ? null : g.upper;
    bins.push(
      makeBin(
        { kind: 'range', label: rangeLabel(lower, upper), lower, upper },
        { events: g.events, nonEvents: g.count - g.events },
        totalEvents,
        totalNonEvents,
      ),
    );
  }
  if (bins.length === 0) {
    bins.push(
      makeBin(
        { kind: 'range', label: rangeLabel(null, null), lower: null, upper: null },
        { events: 0, nonEvents: 0 },
        totalEvents,
        totalNonEvents,
      ),
    );
  }
  if (special.events + special.nonEvents > 0) {
    bins.push(
      makeBin(
        { kind: 'special', label: `special (${options.specialValues.join(', ')})` },
        special,
        totalEvents,
        totalNonEvents,
      ),
    );
  }
  bins.push(makeBin({ kind: 'missing', label: 'missing' }, missing, totalEvents, totalNonEvents));
  return {
    name,
    type: 'numeric',
    trend: groups.length > 1 ? (best?.trend ?? 'none') : 'none',
    bins,
    iv: sumIv(bins),
    specialValues: [...options.specialValues],
  };
}

function makeBin(
  shape: Pick<Bin, 'kind' | 'label' | 'lower' | 'upper' | 'categories' | 'other'>,
  counts: Counts,
  totalEvents: number,
  totalNonEvents: number,
): Bin {
  const stats = woeIv(counts, totalEvents, totalNonEvents);
  return {
    ...shape,
    count: counts.events + counts.nonEvents,
    events: counts.events,
    nonEvents: counts.nonEvents,
    eventRate: stats.eventRate,
    woe: stats.woe,
    iv: stats.iv,
  };
}

function sumIv(bins: Bin[]): number {
  let iv = 0;
  for (const bin of bins) iv += bin.iv;
  return iv;
}

function formatBound(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function rangeLabel(lower: number | null, upper: number | null): string {
  if (lower === null && upper === null) return 'all values';
  if (lower === null) return `≤ ${formatBound(upper as number)}`;
  if (upper === null) return `> ${formatBound(lower)}`;
  return `(${formatBound(lower)}, ${formatBound(upper)}]`;
}

// ------------------------------------------------------------------ categorical features

/** Bins a categorical feature. `values[i]` is the level, or null when row i is missing. */
export function binCategorical(
  name: string,
  values: Array<string | null>,
  y: Uint8Array,
  options: BinningOptions,
): FeatureBinning {
  const n = values.length;
  let totalEvents = 0;
  for (let i = 0; i < n; i++) totalEvents += y[i] as number;
  const totalNonEvents = n - totalEvents;
  const levels = new Map<string, Group>();
  const missing = { events: 0, nonEvents: 0 };
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (y[i] === 1) missing.events++;
      else missing.nonEvents++;
      continue;
    }
    let g = levels.get(v);
    if (g === undefined) {
      g = { count: 0, events: 0, upper: 0, levels: [v], other: false };
      levels.set(v, g);
    }
    g.count++;
    g.events += y[i] as number;
  }
  const minCount = Math.ceil(options.minBinShare * n);
  const groups: Group[] = [];
  const rare: Group = { count: 0, events: 0, upper: 0, levels: [], other: true };
  for (const g of [...levels.values()].sort((a, b) => compareText(a.levels[0] ?? '', b.levels[0] ?? ''))) {
    if (g.count < minCount) {
      rare.count += g.count;
      rare.events += g.events;
      rare.levels.push(...g.levels);
    } else groups.push(g);
  }
  if (rare.count > 0) groups.push(rare);
  groups.sort((a, b) => rate(a) - rate(b) || b.count - a.count);
  let merged = enforceMinimums(groups, minCount, options.minBinEvents);
  merged = limitBins(merged, options.maxBins);
  const bins: Bin[] = merged.map((g) =>
    makeBin(
      { kind: 'categories', label: categoriesLabel(g), categories: g.levels, other: g.other },
      { events: g.events, nonEvents: g.count - g.events },
      totalEvents,
      totalNonEvents,
    ),
  );
  if (!merged.some((g) => g.other)) {
    bins.push(
      makeBin(
        { kind: 'categories', label: 'other (unseen)', categories: [], other: true },
        { events: 0, nonEvents: 0 },
        totalEvents,
        totalNonEvents,
      ),
    );
  }
  bins.push(makeBin({ kind: 'missing', label: 'missing' }, missing, totalEvents, totalNonEvents));
  return { name, type: 'categorical', trend: 'none', bins, iv: sumIv(bins), specialValues: [] };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function categoriesLabel(g: Group): string {
  const shown = g.levels.slice(0, 6).join(' | ');
  const more = g.levels.length > 6 ? ` | … (${g.levels.length - 6} more)` : '';
  return g.other ? `${shown}${more}${shown ? ' | ' : ''}(rare/unseen)` : `${shown}${more}`;
}

// ------------------------------------------------------------------ assigning values to bins

/** A binning made fast to apply: the bin index of a cell's text. */
export interface CompiledBinning {
  numeric: boolean;
  /** numeric: upper bounds of the range bins in order, the last +∞ */
  uppers: Float64Array;
  specials: Set<number>;
  specialIndex: number;
  missingIndex: number;
  /** categorical: level → bin */
  levels: Map<string, number>;
  otherIndex: number;
}

export function compileBinning(binning: FeatureBinning): CompiledBinning {
  const uppers: number[] = [];
  const levels = new Map<string, number>();
  let specialIndex = -1;
  let missingIndex = -1;
  let otherIndex = -1;
  binning.bins.forEach((bin, index) => {
    if (bin.kind === 'range') uppers.push(bin.upper ?? Number.POSITIVE_INFINITY);
    else if (bin.kind === 'special') specialIndex = index;
    else if (bin.kind === 'missing') missingIndex = index;
    else {
      for (const level of bin.categories ?? []) levels.set(level, index);
      if (bin.other) otherIndex = index;
    }
  });
  return {
    numeric: binning.type === 'numeric',
    uppers: Float64Array.from(uppers),
    specials: new Set(binning.specialValues),
    specialIndex,
    missingIndex,
    levels,
    otherIndex,
  };
}

/** The range bin of a number: the first whose upper bound is ≥ it (binary search). */
export function rangeIndex(uppers: Float64Array, x: number): number {
  let lo = 0;
  let hi = uppers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= (uppers[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The bin of a numeric value (NaN = missing). A special code goes to the special bin when training
 * saw it, else to its range.
 */
export function numericBinIndex(c: CompiledBinning, x: number): number {
  if (Number.isNaN(x)) return c.missingIndex;
  if (c.specialIndex >= 0 && c.specials.has(x)) return c.specialIndex;
  return rangeIndex(c.uppers, x);
}

/** The bin of a categorical value (null = missing); unseen levels go to the "other" bin. */
export function categoricalBinIndex(c: CompiledBinning, level: string | null): number {
  if (level === null) return c.missingIndex;
  return c.levels.get(level) ?? c.otherIndex;
}
