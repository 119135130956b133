import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BinningOptions,
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

  it('WoE of the range bins is monotone after merging', () => {
    fc.assert(
      fc.property(dataset, ({ values, y, options }) => {
        const binning = binNumeric('x', values, y, options);
        const ranges = binning.bins.filter((b) => b.kind === 'range');
        const events = y.reduce((s, v) => s + v, 0);
        if (ranges.length < 2 || events === 0 || events === y.length) return;
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
