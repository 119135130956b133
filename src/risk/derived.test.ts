import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import {
  aggregateCode,
  aggregateOf,
  derivedFeature,
  detectGroups,
  parseAggregates,
  rankCorrelation,
  sameScale,
} from './derived.ts';
import { compileModel, newRowScore, scoreFile, scoreRecord } from './score.ts';
import { mulberry32 } from './split.ts';
import { defaultTrainOptions, type Model, trainModel } from './train.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-derived-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A standard normal draw (Box–Muller) from a seeded uniform source. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A synthetic table: months of delay S_1 … S_5 (codes −2 … 6, driven by one latent risk per row,
 * so the months relate), monthly amounts AMT1 … AMT4 (thousands, also related), X1 (an amount), X2
 * (an age), X3 (a code), X4 (another code unrelated to X3), Q1, Q2 (two columns only), and the
 * outcome: an event far likelier once any month is 2 or more behind.
 */
function synthetic(rows: number, seed: number) {
  const random = mulberry32(seed);
  const headers = ['ref', 'S_1', 'S_2', 'S_3', 'S_4', 'S_5', 'AMT1', 'AMT2', 'AMT3', 'AMT4'];
  headers.push('X1', 'X2', 'X3', 'X4', 'Q1', 'Q2', 'y');
  const lines: string[][] = [];
  for (let r = 0; r < rows; r++) {
    const risk = normal(random);
    const months = Array.from({ length: 5 }, () =>
      Math.max(-2, Math.min(6, Math.round(0.2 + 0.9 * risk + 0.8 * normal(random)))),
    );
    const income = Math.exp(8 + 0.5 * normal(random));
    const amounts = Array.from({ length: 4 }, () => Math.round(income * (0.8 + 0.4 * random())));
    const worst = Math.max(...months);
    const event = random() < (worst >= 2 ? 0.55 : 0.12) ? 1 : 0;
    const cells = [`R${r + 1}`, ...months.map(String), ...amounts.map(String)];
    cells.push(String(Math.round(income * 10)), String(20 + Math.floor(random() * 50)));
    cells.push(String(1 + Math.floor(random() * 3)), String(1 + Math.floor(random() * 3)));
    cells.push(String(Math.round(income)), String(Math.round(income * 1.1)), String(event));
    lines.push(cells);
  }
  return { headers, lines };
}

const csv = (headers: string[], lines: string[][]) =>
  `${[headers.join(','), ...lines.map((cells) => cells.join(','))].join('\n')}\n`;

function numbers(lines: string[][], column: number): Float64Array {
  return Float64Array.from(lines, (cells) => (cells[column] === '' ? Number.NaN : Number(cells[column])));
}

describe('groups of repeated measurement columns', () => {
  const { headers, lines } = synthetic(2000, 7);
  const columns = headers
    .map((name, c) => ({ name, numbers: numbers(lines, c) }))
    .filter((c) => c.name !== 'ref' && c.name !== 'y');

  it('finds a stem plus number on the same scale and related, in the order of the number', () => {
    // listed out of order: S_3 before S_1
    const shuffled = [columns[2], columns[0], columns[1], ...columns.slice(3)].filter((c) => c !== undefined);
    expect(detectGroups(shuffled)).toEqual([
      { stem: 'S', key: 'S', columns: ['S_1', 'S_2', 'S_3', 'S_4', 'S_5'] },
      { stem: 'AMT', key: 'AMT', columns: ['AMT1', 'AMT2', 'AMT3', 'AMT4'] },
    ]);
  });

  it('does not group X1 … X4: an amount, an age and two unrelated codes', () => {
    const x = columns.filter((c) => /^X\d$/.test(c.name));
    expect(x.map((c) => c.name)).toEqual(['X1', 'X2', 'X3', 'X4']);
    expect(detectGroups(x)).toEqual([]);
    const [x1, x2, x3, x4] = x.map((c) => {
      const sorted = Float64Array.from(c.numbers).sort();
      const low = sorted[Math.floor(0.05 * sorted.length)] as number;
      const high = sorted[Math.floor(0.95 * sorted.length)] as number;
      return { low, high, width: high - low, numbers: c.numbers };
    }) as [
      { low: number; high: number; width: number; numbers: Float64Array },
      { low: number; high: number; width: number; numbers: Float64Array },
      { low: number; high: number; width: number; numbers: Float64Array },
      { low: number; high: number; width: number; numbers: Float64Array },
    ];
    // an amount and an age do not overlap; an age and a code do not either
    expect(sameScale(x1, x2, 4)).toBe(false);
    expect(sameScale(x2, x3, 4)).toBe(false);
    // two codes 1–3 share a scale, but are not the same quantity measured again
    expect(sameScale(x3, x4, 4)).toBe(true);
    expect(Math.abs(rankCorrelation(x3.numbers, x4.numbers))).toBeLessThan(0.1);
  });

  it('splits one stem into runs: X1 an amount, X2 … X4 three months of the same status', () => {
    const s = columns.filter((c) => c.name.startsWith('S_'));
    const renamed = [
      { name: 'X1', numbers: (columns.find((c) => c.name === 'X1') as (typeof columns)[number]).numbers },
      ...s.slice(0, 3).map((c, i) => ({ name: `X${i + 2}`, numbers: c.numbers })),
      { name: 'X5', numbers: (columns.find((c) => c.name === 'X2') as (typeof columns)[number]).numbers },
      ...s.slice(3).map((c, i) => ({ name: `X${i + 6}`, numbers: c.numbers })),
    ];
    expect(detectGroups(renamed)).toEqual([{ stem: 'X', key: 'X', columns: ['X2', 'X3', 'X4'] }]);
    // two groups under one stem are told apart by their first and last columns
    const two = [
      ...s.slice(0, 3).map((c, i) => ({ name: `X${i + 1}`, numbers: c.numbers })),
      ...columns
        .filter((c) => c.name.startsWith('AMT'))
        .map((c, i) => ({ name: `X${i + 4}`, numbers: c.numbers })),
    ];
    expect(detectGroups(two)).toEqual([
      { stem: 'X', key: 'X1_X3', columns: ['X1', 'X2', 'X3'] },
      { stem: 'X', key: 'X4_X7', columns: ['X4', 'X5', 'X6', 'X7'] },
    ]);
  });

  it('needs three columns: Q1 and Q2 are no group, nor S_1 and S_2 alone', () => {
    const q = columns.filter((c) => c.name === 'Q1' || c.name === 'Q2');
    expect(detectGroups(q)).toEqual([]);
    expect(detectGroups(columns.filter((c) => c.name === 'S_1' || c.name === 'S_2'))).toEqual([]);
    expect(detectGroups(columns.filter((c) => /^S_[123]$/.test(c.name)))).toHaveLength(1);
  });
});

describe('aggregates', () => {
  const values = Float64Array.from([3, Number.NaN, -1, 0, 2]);
  const all = Int32Array.from([0, 1, 2, 3, 4]);
  it('are computed over the present values; missing when none is', () => {
    expect(aggregateOf(aggregateCode('max'), values, all)).toBe(3);
    expect(aggregateOf(aggregateCode('mean'), values, all)).toBe(1);
    expect(aggregateOf(aggregateCode('positive'), values, all)).toBe(2);
    expect(aggregateOf(aggregateCode('trend'), values, all)).toBe(1);
    expect(aggregateOf(aggregateCode('trend'), values, Int32Array.from([0, 1]))).toBeNaN();
    expect(aggregateOf(aggregateCode('max'), values, Int32Array.from([1]))).toBeNaN();
    // the sources are column indexes: any subset, in their order
    expect(aggregateOf(aggregateCode('trend'), values, Int32Array.from([4, 2]))).toBe(3);
  });

  it('are named after the group and say what they are', () => {
    const group = {
      stem: 'PAY',
      key: 'PAY',
      columns: ['PAY_0', 'PAY_2', 'PAY_3', 'PAY_4', 'PAY_5', 'PAY_6'],
    };
    const max = derivedFeature(group, 'max', new Set());
    expect(max.name).toBe('PAY_max');
    expect(max.derived.label).toEqual({
      en: 'PAY (max of PAY_0…PAY_6)',
      'zh-CN': 'PAY（PAY_0…PAY_6 的最大值）',
    });
    expect(derivedFeature(group, 'trend', new Set()).derived.label.en).toBe('PAY (PAY_0 − PAY_6)');
    // a name the file already uses is not taken
    expect(derivedFeature(group, 'max', new Set(['pay_max'])).name).toBe('PAY_max_derived');
    expect(parseAggregates('max, mean,max')).toEqual(['max', 'mean']);
    expect(parseAggregates('none')).toEqual([]);
    expect(() => parseAggregates('max,median')).toThrow(
      /--derive takes none or a list of max, mean, positive, trend, not "median"/,
    );
  });
});

describe('a scorecard with derived features', () => {
  const { headers, lines } = synthetic(3000, 11);
  // some cells missing, as files have them
  lines.forEach((cells, r) => {
    if (r % 97 === 0) cells[2] = '';
    if (r % 89 === 0) cells[4] = 'NA';
    if (r % 101 === 0) for (let c = 1; c <= 5; c++) cells[c] = '';
  });
  const table = {
    headers,
    columns: headers.map((_, c) => lines.map((cells) => cells[c] as string)),
    rows: lines.length,
  };
  const options = { ...defaultTrainOptions, target: 'y', exclude: ['ref'] };
  const model = trainModel(table, options);

  it('offers each group’s aggregates as candidates, records how they are computed, and keeps the max', () => {
    expect(model.groups).toEqual([
      { stem: 'S', key: 'S', columns: ['S_1', 'S_2', 'S_3', 'S_4', 'S_5'] },
      { stem: 'AMT', key: 'AMT', columns: ['AMT1', 'AMT2', 'AMT3', 'AMT4'] },
    ]);
    const derived = model.candidates.filter((c) => c.derived !== undefined).map((c) => c.name);
    expect(derived.sort()).toEqual(['AMT_max', 'AMT_mean', 'S_max', 'S_mean']);
    const max = model.features.find((f) => f.name === 'S_max');
    expect(max?.derived).toEqual({
      aggregate: 'max',
      stem: 'S',
      columns: ['S_1', 'S_2', 'S_3', 'S_4', 'S_5'],
      label: { en: 'S (max of S_1…S_5)', 'zh-CN': 'S（S_1…S_5 的最大值）' },
    });
    // the reason texts name it in words
    expect(max?.bins[0]?.text.en).toMatch(/^S \(max of S_1…S_5\) (in|is) /);
    // it is what the outcome was made of, so it beats every single month
    const iv = (name: string) => model.candidates.find((c) => c.name === name)?.iv ?? 0;
    for (let m = 1; m <= 5; m++) expect(iv('S_max')).toBeGreaterThan(iv(`S_${m}`));
    const none = trainModel(table, { ...options, derive: [] });
    expect(none.groups).toBeUndefined();
    expect(none.candidates.some((c) => c.derived !== undefined)).toBe(false);
    expect(model.validation.validation.auc).toBeGreaterThan(none.validation.validation.auc);
  });

  it('scores a file with the original columns exactly as one holding the derived values', async () => {
    const derivedFeatures = model.features.filter((f) => f.derived !== undefined);
    expect(derivedFeatures.length).toBeGreaterThan(0);
    // the same model, its derived features read from columns of their own
    const plainModel: Model = {
      ...model,
      features: model.features.map(({ derived: _derived, ...f }) => f),
    };
    const sourceIndex = (name: string) => headers.indexOf(name);
    const computed = lines.map((cells) =>
      derivedFeatures.map((f) => {
        const derived = f.derived as NonNullable<typeof f.derived>;
        const values = Float64Array.from(cells, (cell) =>
          cell === '' || cell === 'NA' ? Number.NaN : Number(cell),
        );
        const v = aggregateOf(
          aggregateCode(derived.aggregate),
          values,
          Int32Array.from(derived.columns, sourceIndex),
        );
        return Number.isNaN(v) ? '' : String(v);
      }),
    );
    const original = path.join(dir, 'original.csv');
    writeFileSync(original, csv(headers, lines));
    const quoted = path.join(dir, 'quoted.csv');
    writeFileSync(
      quoted,
      `${[headers, ...lines].map((cells) => cells.map((cell) => `"${cell}"`).join(',')).join('\n')}\n`,
    );
    // the precomputed file lacks the source columns of the derived features altogether
    const keep = headers
      .map((_, c) => c)
      .filter(
        (c) =>
          !/^(S_\d|AMT\d)$/.test(headers[c] as string) ||
          plainModel.features.some((f) => f.name === headers[c]),
      );
    expect(keep.map((c) => headers[c])).not.toContain('S_1');
    const precomputed = path.join(dir, 'precomputed.csv');
    writeFileSync(
      precomputed,
      csv(
        [...keep.map((c) => headers[c] as string), ...derivedFeatures.map((f) => f.name)],
        lines.map((cells, r) => [...keep.map((c) => cells[c] as string), ...(computed[r] as string[])]),
      ),
    );
    const outputs: string[] = [];
    const summaries = [];
    for (const [m, file] of [
      [model, original],
      [model, quoted],
      [plainModel, precomputed],
    ] as const) {
      let text = '';
      summaries.push(
        await scoreFile(m, file, {
          out: null,
          id: 'ref',
          lang: 'en',
          write: (t) => {
            text += t;
          },
        }),
      );
      outputs.push(text);
    }
    expect(outputs[0]?.split('\n')).toHaveLength(3002);
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
    expect(summaries[0]?.psi).toEqual(summaries[2]?.psi);
    // the derived feature's reasons come out in words
    expect(outputs[0]).toMatch(/S_max:\d+,S \(max of S_1…S_5\) (in|is) /);
    // compileModel / scoreRecord (as the platform calls them) agree with the file's scores
    const compiled = compileModel(model, headers);
    const out = newRowScore();
    const fromFile = (outputs[0] as string).trim().split('\n').slice(1);
    lines.forEach((cells, r) => {
      scoreRecord(compiled, cells, 0, out);
      const [ref, , score, probability] = (fromFile[r] as string).split(',');
      expect([ref, Number(score), Number(probability)]).toEqual([
        cells[0],
        Math.round(out.score),
        Number(out.probability.toFixed(6)),
      ]);
    });
  });

  it('refuses a file that lacks a source column, naming the feature', async () => {
    const file = path.join(dir, 'lacking.csv');
    const without = headers.filter((h) => h !== 'S_3');
    writeFileSync(
      file,
      csv(
        without,
        lines.map((cells) => cells.filter((_, c) => headers[c] !== 'S_3')),
      ),
    );
    expect(() => compileModel(model, without)).toThrow(
      'The file has no column "S_3", from which the model computes S_max, S (max of S_1…S_5).',
    );
    await expect(scoreFile(model, file, { out: null })).rejects.toMatchObject({ code: 'bad_file' });
    // a model whose derived feature this version does not compute
    const tampered: Model = {
      ...model,
      features: model.features.map((f) =>
        f.derived ? { ...f, derived: { ...f.derived, aggregate: 'median' as 'max' } } : f,
      ),
    };
    expect(() => compileModel(tampered, headers)).toThrow(
      'The model\'s derived feature "S_max" is not one this version computes (max, mean, positive, trend of two or more columns). Train the model again with this version.',
    );
  });

  it('huikuan model train --derive picks the aggregates, and refuses one it does not know', async () => {
    const huikuan = cliFor({ url: 'postgres://127.0.0.1:1/unused' });
    const file = path.join(dir, 'train.csv');
    writeFileSync(file, csv(headers, lines));
    const train = (...more: string[]) =>
      huikuan(['model', 'train', '--data', file, '--target', 'y', '--exclude', 'ref', ...more]);
    const all = await train('--derive', 'max,mean,positive,trend', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect(
      all
        .json()
        .candidates.filter((c: { derived?: unknown }) => c.derived)
        .map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual([
      'AMT_max',
      'AMT_mean',
      'AMT_positive',
      'AMT_trend',
      'S_max',
      'S_mean',
      'S_positive',
      'S_trend',
    ]);
    expect(all.json().groups).toHaveLength(2);
    const text = await train();
    expect(text.stdout).toContain(
      'Groups of repeated columns, whose max, mean were candidate features: S (S_1, S_2, S_3, S_4, S_5); AMT (AMT1, AMT2, AMT3, AMT4)',
    );
    expect(text.stdout).toContain('S_max = S (max of S_1…S_5)');
    const bad = await train('--derive', 'median', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json().error).toMatchObject({ code: 'bad_usage' });
  });
});
