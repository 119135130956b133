import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auc, bandEdges, bandOf, calibration, ks, psi, rocCurve } from './metrics.ts';
import { stratifiedFolds, stratifiedSplit } from './split.ts';

function bruteAuc(risk: number[], y: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < risk.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < risk.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      if ((risk[i] as number) > (risk[j] as number)) wins += 1;
      else if (risk[i] === risk[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

function bruteKs(risk: number[], y: number[]): number {
  const events = y.filter((v) => v === 1).length;
  const nonEvents = y.length - events;
  let best = 0;
  for (const t of risk) {
    let e = 0;
    let n = 0;
    for (let i = 0; i < risk.length; i++) {
      if ((risk[i] as number) <= t) {
        if (y[i] === 1) e++;
        else n++;
      }
    }
    best = Math.max(best, Math.abs(e / events - n / nonEvents));
  }
  return best;
}

const scored = fc
  .array(fc.record({ risk: fc.integer({ min: 0, max: 30 }), y: fc.integer({ min: 0, max: 1 }) }), {
    minLength: 2,
    maxLength: 120,
  })
  .filter((rows) => rows.some((r) => r.y === 1) && rows.some((r) => r.y === 0));

describe('validation figures', () => {
  it('AUC and KS agree with brute force, ties included', () => {
    fc.assert(
      fc.property(scored, (rows) => {
        const risk = rows.map((r) => r.risk);
        const y = rows.map((r) => r.y);
        expect(auc(risk, y)).toBeCloseTo(bruteAuc(risk, y), 12);
        expect(ks(risk, y)).toBeCloseTo(bruteKs(risk, y), 12);
      }),
      { numRuns: 400 },
    );
  });

  it('AUC is the area under the ROC curve', () => {
    fc.assert(
      fc.property(scored, (rows) => {
        const risk = rows.map((r) => r.risk);
        const y = rows.map((r) => r.y);
        const roc = rocCurve(risk, y, 10_000);
        let area = 0;
        for (let k = 1; k < roc.length; k++) {
          const a = roc[k - 1];
          const b = roc[k];
          if (a && b) area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
        }
        expect(area).toBeCloseTo(auc(risk, y), 12);
      }),
      { numRuns: 200 },
    );
  });

  it('known small cases', () => {
    expect(auc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auc([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
    expect(auc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(ks([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
  });

  it('PSI matches a hand computation and is 0 for equal shares', () => {
    // shares 0.5/0.5 vs 0.25/0.75: (0.25−0.5)·ln(0.5) + (0.75−0.5)·ln(1.5)
    expect(psi([50, 50], [25, 75])).toBeCloseTo(-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5), 12);
    expect(psi([10, 20, 30], [20, 40, 60])).toBeCloseTo(0, 12);
  });

  it('score bands: deciles, bands and calibration', () => {
    const scores = Array.from({ length: 100 }, (_, i) => 500 + i);
    const edges = bandEdges(scores);
    expect(edges).toEqual([510, 520, 530, 540, 550, 560, 570, 580, 590]);
    expect(bandOf(edges, 499)).toBe(0);
    expect(bandOf(edges, 510)).toBe(1);
    expect(bandOf(edges, 599)).toBe(9);
    const rows = calibration(
      scores,
      scores.map(() => 0.2),
      scores.map((_, i) => (i % 5 === 0 ? 1 : 0)),
      edges,
    );
    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatchObject({ band: '< 510', rows: 10, events: 2, observed: 0.2 });
    expect(rows[0]?.predicted).toBeCloseTo(0.2, 12);
  });
});

describe('seeded stratified splits', () => {
  const y = Uint8Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0));

  it('keep each class’s share, and the same seed gives the same rows', () => {
    const a = stratifiedSplit(y, 0.3, 42);
    const b = stratifiedSplit(y, 0.3, 42);
    const c = stratifiedSplit(y, 0.3, 43);
    expect(a).toEqual(b);
    expect(a.validation).not.toEqual(c.validation);
    expect(a.validation).toHaveLength(300);
    expect(a.validation.filter((i) => y[i] === 1)).toHaveLength(90);
    expect(new Set([...a.train, ...a.validation]).size).toBe(1000);
  });

  it('folds are stratified and cover every row once', () => {
    const folds = stratifiedFolds(y, 5, 42);
    for (let k = 0; k < 5; k++) {
      const rows = [...folds.keys()].filter((i) => folds[i] === k);
      expect(rows).toHaveLength(200);
      expect(rows.filter((i) => y[i] === 1)).toHaveLength(60);
    }
  });
});

describe('reading numbers', () => {
  it('parses plain decimals and nothing else', async () => {
    const { parseNumber } = await import('./data.ts');
    for (const [text, value] of [
      ['0', 0],
      ['-12', -12],
      ['123456789012345', 123456789012345],
      ['1234567890123456', 1234567890123456],
      ['3.25', 3.25],
      ['-0.5', -0.5],
      ['.5', 0.5],
      ['1e3', 1000],
      ['+7', 7],
    ] as const) {
      expect(parseNumber(text)).toBe(value);
    }
    for (const text of ['', '-', 'NA', '0x10', 'Infinity', '1,000', '12a', ' '])
      expect(parseNumber(text)).toBeNaN();
  });
});
