import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BinningOptions,
  bic,
  binCategorical,
  binNumeric,
  categoricalBinIndex,
  compileBinning,
  defaultBinningOptions,
  numericBinIndex,
  woeIv,
} from './binning.ts';

describe('weight of evidence and information value', () => {
  it('match a table computed by hand', () => {
    // bin A: 10 events, 90 non-events; bin B: 30 events, 70 non-events; totals 40 and 160
    // WoE A = ln((90/160)/(10/40)) = ln 2.25; IV A = (0.5625 − 0.25) · ln 2.25
    // WoE B = ln((70/160)/(30/40)) = ln(7/12); IV B = (0.4375 − 0.75) · ln(7/12)
    const a = woeIv({ events: 10, nonEvents: 90 }, 40, 160);
    const b = woeIv({ events: 30, nonEvents: 70 }, 40, 160);
    expect(a.woe).toBeCloseTo(0.8109302162, 9);
    expect(a.iv).toBeCloseTo(0.2534156926, 9);
    expect(a.eventRate).toBe(0.1);
    expect(b.woe).toBeCloseTo(-0.5389965007, 9);
    expect(b.iv).toBeCloseTo(0.1684364065, 9);
    expect(a.iv + b.iv).toBeCloseTo(0.4218520991, 9);
  });

  it('smooths an empty class by half a row and gives an empty bin WoE 0', () => {
    // 0 events, 20 non-events of 40 / 160: ln((20.5/160)/(0.5/40)) = ln 10.25
    expect(woeIv({ events: 0, nonEvents: 20 }, 40, 160).woe).toBeCloseTo(Math.log(10.25), 12);
    expect(woeIv({ events: 0, nonEvents: 0 }, 40, 160)).toEqual({ woe: 0, iv: 0, eventRate: 0 });
  });

  it('bins a categorical feature by level, pools rare levels and keeps missing apart', () => {
    // a: 40 rows, 10 events; b: 50 rows, 30 events; c: 3 rows (rare at 5 %), 1 event; missing: 7 rows, 7 events
    const values: Array<string | null> = [];
    const y: number[] = [];
    const add = (level: string | null, rows: number, events: number) => {
      for (let i = 0; i < rows; i++) {
        values.push(level);
        y.push(i < events ? 1 : 0);
      }
    };
    add('a', 40, 10);
    add('b', 50, 30);
    add('c', 3, 1);
    add(null, 7, 7);
    const options = { ...defaultBinningOptions, minBinShare: 0.05, minBinEvents: 1 };
    const binning = binCategorical('f', values, Uint8Array.from(y), options);
    const byLabel = Object.fromEntries(binning.bins.map((b) => [b.label, b]));
    // c (3 rows < 5) is pooled into the rare bin, which is merged with the level of the closest event rate (a: 25 %)
    expect(Object.keys(byLabel)).toEqual(['a | c | (rare/unseen)', 'b', 'missing']);
    const ab = byLabel['a | c | (rare/unseen)'];
    expect(ab?.count).toBe(43);
    expect(ab?.events).toBe(11);
    const totalE = 48;
    const totalN = 52;
    expect(ab?.woe).toBeCloseTo(Math.log(32 / totalN / (11 / totalE)), 12);
    const missing = byLabel.missing;
    // 7 events, 0 non-events: smoothed
    expect(missing?.woe).toBeCloseTo(Math.log(0.5 / totalN / (7.5 / totalE)), 12);
    expect(binning.iv).toBeCloseTo(
      binning.bins.reduce((s, b) => s + b.iv, 0),
      12,
    );
    const compiled = compileBinning(binning);
    expect(categoricalBinIndex(compiled, 'c')).toBe(0);
    expect(categoricalBinIndex(compiled, 'never seen')).toBe(0);
    expect(categoricalBinIndex(compiled, 'b')).toBe(1);
    expect(categoricalBinIndex(compiled, null)).toBe(2);
  });

  it('gives missing values and special codes bins of their own', () => {
    const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, -999, -999, Number.NaN, Number.NaN]);
    const y = Uint8Array.from([0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1]);
    const binning = binNumeric('x', values, y, {
      ...defaultBinningOptions,
      minBinShare: 0,
      minBinEvents: 0,
      specialValues: [-999],
    });
    const special = binning.bins.find((b) => b.kind === 'special');
    const missing = binning.bins.find((b) => b.kind === 'missing');
    expect(special).toMatchObject({ count: 2, events: 2 });
    expect(missing).toMatchObject({ count: 2, events: 1 });
    const compiled = compileBinning(binning);
    expect(binning.bins[numericBinIndex(compiled, -999)]?.kind).toBe('special');
    expect(binning.bins[numericBinIndex(compiled, Number.NaN)]?.kind).toBe('missing');
    expect(binning.bins[numericBinIndex(compiled, -1000)]?.kind).toBe('range');
  });
});

describe('codes: numeric features of few distinct values', () => {
  /** rows of each code: [code, rows, events], the events first */
  const table = (codes: Array<[number, number, number]>, spread = 0) => {
    const values: number[] = [];
    const y: number[] = [];
    for (const [code, rows, events] of codes) {
      for (let i = 0; i < rows; i++) {
        // spread > 0 makes every row's value distinct within its code, like a continuous feature
        values.push(code + (spread * i) / rows);
        y.push(i < events ? 1 : 0);
      }
    }
    return { values: Float64Array.from(values), y: Uint8Array.from(y) };
  };
  const options: BinningOptions = { ...defaultBinningOptions, specialValues: [] };
  const ranges = (binning: ReturnType<typeof binNumeric>) =>
    binning.bins
      .filter((b) => b.kind === 'range')
      .map((b) => ({ label: b.label, count: b.count, events: b.events }));

  it('BIC is −2 · log-likelihood + ln(rows) per bin', () => {
    const groups = [
      { count: 100, events: 10 },
      { count: 100, events: 30 },
    ];
    const ll = 10 * Math.log(0.1) + 90 * Math.log(0.9) + 30 * Math.log(0.3) + 70 * Math.log(0.7);
    expect(bic(groups, 200)).toBeCloseTo(-2 * ll + 2 * Math.log(200), 10);
    // an empty class adds nothing to the log-likelihood
    expect(bic([{ count: 50, events: 0 }], 50)).toBeCloseTo(Math.log(50), 12);
  });

  // like months of delay: −2 no use, −1 paid in full, 0 revolving, 1, 2 months late
  const delay: Array<[number, number, number]> = [
    [-2, 1000, 130],
    [-1, 1000, 200],
    [0, 3000, 390],
    [1, 1000, 340],
    [2, 800, 552],
  ];

  it('keep a bin per code when the data reject a monotonic event rate', () => {
    const { values, y } = table(delay);
    const binning = binNumeric('delay', values, y, options);
    expect(binning.trend).toBe('none');
    expect(ranges(binning)).toEqual([
      { label: '≤ -2', count: 1000, events: 130 },
      { label: '(-2, -1]', count: 1000, events: 200 },
      { label: '(-1, 0]', count: 3000, events: 390 },
      { label: '(0, 1]', count: 1000, events: 340 },
      { label: '> 1', count: 800, events: 552 },
    ]);
    // the monotonic binning pools −1 with 0 (rate 590 / 4000), and its BIC is higher
    const monotonic = [
      { count: 1000, events: 130 },
      { count: 4000, events: 590 },
      { count: 1000, events: 340 },
      { count: 800, events: 552 },
    ];
    expect(bic(ranges(binning), 6800)).toBeLessThan(bic(monotonic, 6800));
    const compiled = compileBinning(binning);
    expect(numericBinIndex(compiled, -1)).toBe(1);
    expect(numericBinIndex(compiled, 0)).toBe(2);
    expect(numericBinIndex(compiled, 9)).toBe(4);
  });

  it('stay monotonic when the dip is within chance', () => {
    const { values, y } = table(
      delay.map(([code, rows, events]) => [code, rows, code === -1 ? 132 : events]),
    );
    const binning = binNumeric('delay', values, y, options);
    expect(binning.trend).toBe('ascending');
    expect(ranges(binning).map((b) => b.label)).toEqual(['≤ -2', '(-2, 0]', '(0, 1]', '> 1']);
  });

  it('do not apply to a feature with more distinct values than fine classes', () => {
    // the same rates, but every row its own value: a continuous feature stays monotonic
    const { values, y } = table(delay, 0.9);
    const binning = binNumeric('amount', values, y, options);
    expect(binning.trend).toBe('ascending');
    const rates = binning.bins.filter((b) => b.kind === 'range').map((b) => b.eventRate);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThanOrEqual(rates[i - 1] as number);
  });
});

describe('monotonic binning (properties)', () => {
  const dataset = fc
    .record({
      rows: fc.array(
        fc.record({
          value: fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: -50, max: 200 }) },
            { weight: 1, arbitrary: fc.constant(-999) },
            { weight: 1, arbitrary: fc.constant(Number.NaN) },
          ),
          noise: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { minLength: 20, maxLength: 400 },
      ),
      slope: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      minBinShare: fc.double({ min: 0.01, max: 0.25, noNaN: true }),
      minBinEvents: fc.integer({ min: 1, max: 6 }),
      maxBins: fc.integer({ min: 2, max: 12 }),
      fineBins: fc.integer({ min: 2, max: 30 }),
    })
    .map((d) => {
      const values = Float64Array.from(d.rows, (r) => r.value);
      // event probability drifts with the value, so trends go both ways
      const y = Uint8Array.from(d.rows, (r) =>
        r.noise < 0.3 + d.slope * (Number.isNaN(r.value) ? 0 : Math.max(-50, r.value)) ? 1 : 0,
      );
      const options: BinningOptions = {
        fineBins: d.fineBins,
        minBinShare: d.minBinShare,
        minBinEvents: d.minBinEvents,
        maxBins: d.maxBins,
        specialValues: [-999],
      };
      return { values, y, options };
    });

  it('WoE of the range bins is monotone after merging, unless the feature is codes', () => {
    fc.assert(
      fc.property(dataset, ({ values, y, options }) => {
        const binning = binNumeric('x', values, y, options);
        const ranges = binning.bins.filter((b) => b.kind === 'range');
        const events = y.reduce((s, v) => s + v, 0);
        if (ranges.length < 2 || events === 0 || events === y.length) return;
        if (binning.trend === 'none') {
          // only codes may go up and down: no more distinct regular values than fine classes
          const regular = new Set([...values].filter((v) => !Number.isNaN(v) && v !== -999));
          expect(regular.size).toBeLessThanOrEqual(options.fineBins);
          return;
        }
        for (let i = 1; i < ranges.length; i++) {
          const step = (ranges[i]?.woe ?? 0) - (ranges[i - 1]?.woe ?? 0);
          if (binning.trend === 'ascending') expect(step).toBeLessThanOrEqual(1e-12);
          else expect(step).toBeGreaterThanOrEqual(-1e-12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bins cover every value exactly once, with contiguous bounds', () => {
    fc.assert(
      fc.property(dataset, ({ values, y, options }) => {
        const binning = binNumeric('x', values, y, options);
        const compiled = compileBinning(binning);
        const counts = new Array<number>(binning.bins.length).fill(0);
        const events = new Array<number>(binning.bins.length).fill(0);
        for (let i = 0; i < values.length; i++) {
          const bin = numericBinIndex(compiled, values[i] as number);
          expect(bin).toBeGreaterThanOrEqual(0);
          counts[bin] = (counts[bin] as number) + 1;
          events[bin] = (events[bin] as number) + (y[i] as number);
        }
        expect(counts).toEqual(binning.bins.map((b) => b.count));
        expect(events).toEqual(binning.bins.map((b) => b.events));
        const ranges = binning.bins.filter((b) => b.kind === 'range');
        expect(ranges[0]?.lower).toBeNull();
        expect(ranges[ranges.length - 1]?.upper).toBeNull();
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.lower).toBe(ranges[i - 1]?.upper);
        // any number, seen or not, lands in exactly one range bin
        for (const x of [-1e9, -0.5, 0, 3.3, 1e9]) {
          const bin = binning.bins[numericBinIndex(compiled, x)];
          expect(bin?.kind).toBe('range');
          expect(bin?.lower === null || x > (bin?.lower as number)).toBe(true);
          expect(bin?.upper === null || x <= (bin?.upper as number)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves no regular bin under the minimum share or event count (unless one bin is all there is)', () => {
    fc.assert(
      fc.property(dataset, ({ values, y, options }) => {
        const binning = binNumeric('x', values, y, options);
        const ranges = binning.bins.filter((b) => b.kind === 'range');
        expect(ranges.length).toBeLessThanOrEqual(options.maxBins);
        if (ranges.length < 2) return;
        for (const bin of ranges) {
          expect(bin.count).toBeGreaterThanOrEqual(Math.ceil(options.minBinShare * values.length));
          expect(bin.events).toBeGreaterThanOrEqual(options.minBinEvents);
          expect(bin.nonEvents).toBeGreaterThanOrEqual(options.minBinEvents);
        }
      }),
      { numRuns: 300 },
    );
  });
});
