import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { missingFrom, readPdf, shownGlyphCodes, squeeze } from '../documents/test-support.ts';

// the model commands need no database: the URL is never opened
const huikuan = cliFor({ url: 'postgres://127.0.0.1:1/unused' });
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-risk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// the file is vendored (test/fixtures/README.md) so the suite needs nothing outside the repository
const german = path.resolve(import.meta.dirname, '../../test/fixtures/german-credit.csv');
const file = (name: string, content: string | Buffer) => {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
};

/**
 * README of ../shared/data: "simple WoE + LR" on a stratified 70/30 split reaches test AUC 0.8017,
 * Gini 0.6035, KS 0.5095 on german-credit.csv; "the German test set has only 300 rows, so its AUC
 * moves by about ±0.03". Our split is a different draw of the same design, so the reference is met
 * within that tolerance (0.03 for AUC, 0.06 for Gini, 0.06 for KS).
 */
const reference = { auc: 0.8017, gini: 0.6035, ks: 0.5095 };

describe('huikuan model on german-credit.csv', () => {
  const modelFile = path.join(dir, 'german.json');
  const scoreWith = (data: string, more: string[]) =>
    huikuan(['model', 'score', '--model', modelFile, '--data', data, ...more]);

  it('trains, prints the report and meets the reference figures within their tolerance', async () => {
    const result = await huikuan([
      'model',
      'train',
      '--data',
      german,
      '--target',
      'class',
      '--out',
      modelFile,
      '--folds',
      '5',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = result.json();
    expect(report.data).toMatchObject({
      rows: 1000,
      events: 300,
      positive: 'bad',
      trainRows: 700,
      validationRows: 300,
    });
    const v = report.validation.validation;
    expect(v.auc).toBeGreaterThan(reference.auc - 0.03);
    expect(v.gini).toBeCloseTo(2 * v.auc - 1, 12);
    expect(Math.abs(v.gini - reference.gini)).toBeLessThan(0.06 + 0.05);
    expect(Math.abs(v.ks - reference.ks)).toBeLessThan(0.06);
    // the figure found on this fixed split (seed 42), so a change to the method shows here
    expect(v.auc).toBeCloseTo(0.8291, 3);
    // cross-validation: the README's 5-fold × 3 mean for WoE-LR is 0.773
    expect(report.validation.crossValidation.meanAuc).toBeGreaterThan(0.773 - 0.02);
    // every feature is accounted for: 20 columns besides the target, selected or dropped with a reason
    expect(report.candidates).toHaveLength(20);
    for (const c of report.candidates) if (c.status === 'dropped') expect(c.reason).toMatch(/\w/);
    // points: 600 at 50:1, 20 to double
    expect(report.scaling.factor).toBeCloseTo(20 / Math.LN2, 12);
    expect(report.scaling.offset).toBeCloseTo(600 - (20 / Math.LN2) * Math.log(50), 12);
    const text = await huikuan(['model', 'train', '--data', german, '--target', 'class']);
    expect(text.stdout).toMatch(/validation\s+300\s+0\.829/);
    expect(text.stdout).toMatch(/Model not saved/);
  });

  it('is deterministic for a seed', async () => {
    const runs = await Promise.all(
      [42, 42, 7].map((seed) =>
        huikuan(['model', 'train', '--data', german, '--target', 'class', '--seed', String(seed), '--json']),
      ),
    );
    const strip = (r: { json(): { validation: unknown; features: unknown } }) => {
      const j = r.json();
      return JSON.stringify({ validation: j.validation, features: j.features });
    };
    const [a, b, c] = runs.map(strip);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('scores every row with its score, probability and reason codes, streaming to a file', async () => {
    const out = path.join(dir, 'scores.csv');
    const result = await scoreWith(german, ['--out', out, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = result.json();
    expect(summary.rows).toBe(1000);
    // the file it was trained on: the scores' distribution matches the training rows'
    expect(summary.psi.score).toBeLessThan(0.1);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,score,probability,reason_1,reason_2,reason_3,reason_4');
    expect(lines).toHaveLength(1001);
    const model = JSON.parse(readFileSync(modelFile, 'utf8'));
    const codes = new Set(
      model.features.flatMap((f: { bins: Array<{ code: string }> }) => f.bins.map((b) => b.code)),
    );
    // the first row: its score is the sum of its bins' points, its reasons the bins furthest below the best
    const [row, score, probability, ...reasons] = (lines[1] ?? '').split(',');
    expect(row).toBe('2');
    expect(Number(probability)).toBeGreaterThan(0);
    expect(Number(probability)).toBeLessThan(1);
    for (const code of reasons.filter(Boolean)) expect(codes.has(code)).toBe(true);
    const header = (readFileSync(german, 'utf8').split('\n')[0] ?? '')
      .split(',')
      .map((h) => h.replace(/"/g, ''));
    const cells = (readFileSync(german, 'utf8').split('\n')[1] ?? '').split(',');
    let points = 0;
    for (const feature of model.features) {
      const cell = cells[header.indexOf(feature.name)] as string;
      const bin = feature.bins.find(
        (b: { kind: string; categories?: string[]; lower?: number | null; upper?: number | null }) =>
          feature.type === 'numeric'
            ? b.kind === 'range' &&
              (b.lower === null || Number(cell) > (b.lower as number)) &&
              (b.upper === null || Number(cell) <= (b.upper as number))
            : (b.categories ?? []).includes(cell),
      );
      points += bin.points;
    }
    expect(Number(score)).toBe(Math.round(points));
  });

  it('scores rows with missing and unseen values, and reports a shifted population', async () => {
    const text = readFileSync(german, 'utf8').split('\n');
    const header = text[0] as string;
    // long loans only, one with an empty duration and one with a purpose never seen
    const rows = text.slice(1).filter((line) => Number(line.split(',')[1]) >= 24);
    rows.push(rows[0]?.replace(/^([^,]*),[^,]*,/, '$1,,') ?? '');
    rows.push(rows[0]?.replace('radio/tv', 'space travel') ?? '');
    const shifted = file('shifted.csv', `${header}\n${rows.join('\n')}\n`);
    const result = await huikuan(['model', 'score', '--model', modelFile, '--data', shifted, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const csv = result.stdout.trim().split('\n');
    expect(csv).toHaveLength(rows.length + 1);
    const summary = JSON.parse(result.stderr);
    expect(summary.psi.features.find((f: { name: string }) => f.name === 'duration').psi).toBeGreaterThan(
      0.25,
    );
  });

  it('scores quoted and unquoted files alike, with an id column copied', async () => {
    const lines = readFileSync(german, 'utf8').trim().split('\n');
    const quoted = lines.map((line, i) =>
      i === 0
        ? `ref,${line}`
        : `"R${i}",${line
            .split(',')
            .map((cell) => `"${cell}"`)
            .join(',')}`,
    );
    const plain = lines.map((line, i) => (i === 0 ? `ref,${line}` : `R${i},${line}`));
    const outputs = [];
    for (const [name, content] of [
      ['quoted.csv', quoted],
      ['plain.csv', plain],
    ] as const) {
      const result = await scoreWith(file(name, `${content.join('\n')}\n`), ['--id', 'ref']);
      expect(result.code, result.stderr).toBe(0);
      outputs.push(result.stdout);
    }
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[0]?.split('\n')[1]).toMatch(/^R1,2,\d+,0\.\d{6},/);
  });

  it('reads XLSX as it reads CSV', async () => {
    const lines = readFileSync(german, 'utf8').trim().split('\n');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('data');
    lines.forEach((line, i) => {
      sheet.addRow(
        line.split(',').map((cell) => {
          const text = cell.replace(/"/g, '');
          return i > 0 && /^\d+$/.test(text) ? Number(text) : text;
        }),
      );
    });
    const xlsx = path.join(dir, 'german.xlsx');
    await workbook.xlsx.writeFile(xlsx);
    const trained = await huikuan(['model', 'train', '--data', xlsx, '--target', 'class', '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.json().validation.validation.auc).toBeCloseTo(0.8291, 3);
    const [fromXlsx, fromCsv] = await Promise.all([scoreWith(xlsx, []), scoreWith(german, [])]);
    expect(fromXlsx.stdout).toBe(fromCsv.stdout);
  });

  it('writes a self-contained HTML report with the four charts and the scorecard', async () => {
    const out = path.join(dir, 'report.html');
    const result = await huikuan(['model', 'report', '--model', modelFile, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(4);
    for (const title of ['ROC', 'KS', 'Score distribution', 'Calibration']) expect(html).toContain(title);
    expect(html).toContain('checking_status');
    // nothing fetched from elsewhere: no scripts, stylesheets or images by URL
    expect(html).not.toMatch(/<script|<link|src=|href=/);
  });

  it('writes the same report as an A4 PDF whose text reads back: figures, charts, bins and the zh-CN reasons', async () => {
    const out = path.join(dir, 'report.pdf');
    const result = await huikuan(['model', 'report', '--model', modelFile, '--format', 'pdf', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const bytes = readFileSync(out);
    const read = await readPdf(bytes);
    expect(result.stdout).toBe(`Report written to ${out} (${read.pages.length} pages).\n`);
    expect(read.sizes.every(([w, h]) => w === 595.28 && h === 841.89)).toBe(true);
    expect(read.info).toMatchObject({ Title: 'Scorecard report — class = bad', Creator: 'Huikuan' });
    const text = squeeze(read.pages.join(' '));
    const model = JSON.parse(readFileSync(modelFile, 'utf8'));
    const v = model.validation.validation;
    expect(
      missingFrom(text, [
        'Scorecard report — class = bad',
        `validation 300 ${v.auc.toFixed(3)} ${v.gini.toFixed(3)} ${v.ks.toFixed(3)}`,
        `ROC (validation AUC ${v.auc.toFixed(3)})`,
        `KS (validation ${v.ks.toFixed(3)})`,
        'Score distribution (validation)',
        'Calibration by score band (validation)',
        'Calibration by score band (validation rows)',
        'Scorecard',
        'Reason codes',
      ]),
    ).toEqual([]);
    // every feature of the scorecard with its bins, points and reason texts in both languages
    for (const feature of model.features) {
      expect(text).toContain(squeeze(`${feature.name} (IV ${feature.iv.toFixed(4)}, coefficient`));
      for (const bin of feature.bins) {
        expect(text).toContain(squeeze(`${bin.points.toFixed(1)} ${bin.code}`));
        expect(text).toContain(squeeze(`${bin.code} ${bin.text.en} ${bin.text['zh-CN']}`));
      }
    }
    expect(text).toContain('缺失');
    expect(shownGlyphCodes(bytes)).not.toContain('0000');
    const docx = await huikuan(['model', 'report', '--model', modelFile, '--format', 'docx']);
    expect(docx.code).toBe(2);
    expect(docx.stderr).toContain('--format must be html, pdf, text or json, not "docx".');
    // without --out the PDF goes beside the model, never to the terminal
    const beside = await huikuan(['model', 'report', '--model', modelFile, '--format', 'pdf']);
    expect(beside.code, beside.stderr).toBe(0);
    expect(beside.stdout).toMatch(/^Report written to .*german\.pdf \(\d+ pages\)\.\n$/);
    expect(readFileSync(path.join(dir, 'german.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('huikuan model report on Chinese data', () => {
  it('prints Chinese column names and categories in the PDF', async () => {
    const rows = ['逾期天数,地区,还款渠道,结果'];
    const regions = ['北京', '上海', '广州', '深圳'];
    const ways = ['银行转账', '支付宝', '微信支付'];
    for (let i = 0; i < 600; i++) {
      const days = (i * 37) % 180;
      const region = regions[i % 4] as string;
      const paid = days < 60 || (region === '北京' && i % 3 === 0) ? '已还款' : '未还款';
      rows.push(`${days},${region},${ways[i % 3]},${paid}`);
    }
    const data = file('中文.csv', `${rows.join('\n')}\n`);
    const model = path.join(dir, '中文模型.json');
    const trained = await huikuan([
      'model',
      'train',
      '--data',
      data,
      '--target',
      '结果',
      '--positive',
      '未还款',
      '--min-iv',
      '0',
      '--out',
      model,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const report = await huikuan(['model', 'report', '--model', model, '--format', 'pdf']);
    expect(report.code, report.stderr).toBe(0);
    const bytes = readFileSync(path.join(dir, '中文模型.pdf'));
    const text = squeeze((await readPdf(bytes)).pages.join(' '));
    expect(text).toContain(squeeze('Scorecard report — 结果 = 未还款'));
    expect(
      missingFrom(text, [
        '逾期天数',
        '地区',
        '北京',
        '上海',
        '广州',
        '深圳',
        '逾期天数缺失',
        '还款渠道为微信支付',
      ]),
    ).toEqual([]);
    expect(shownGlyphCodes(bytes)).not.toContain('0000');
  });
});

describe('huikuan model refuses bad input with a clear message and the right code', () => {
  const run = (argv: string[]) => huikuan([...argv, '--json']);

  it('a target column the file lacks', async () => {
    const result = await run(['model', 'train', '--data', german, '--target', 'outcome']);
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('bad_file');
    expect(result.json().error.message).toMatch(/lacks the required column outcome/);
  });

  it('a target with one class', async () => {
    const one = file('one.csv', 'x,y\n1,0\n2,0\n3,0\n');
    const result = await run(['model', 'train', '--data', one, '--target', 'y']);
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'bad_input' });
    expect(result.json().error.message).toMatch(/one class only/);
  });

  it('a file that is not CSV', async () => {
    const png = file('image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const result = await run(['model', 'train', '--data', png, '--target', 'y']);
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'bad_file' });
    expect(result.json().error.message).toMatch(/not a text file/);
  });

  it('a missing file, an unknown --exclude, an unknown --positive, a bad number', async () => {
    const missing = await run(['model', 'train', '--data', path.join(dir, 'nope.csv'), '--target', 'class']);
    expect(missing.json().error.code).toBe('bad_file');
    const exclude = await run(['model', 'train', '--data', german, '--target', 'class', '--exclude', 'nope']);
    expect(exclude.json().error).toMatchObject({ code: 'bad_usage' });
    const positive = await run([
      'model',
      'train',
      '--data',
      german,
      '--target',
      'class',
      '--positive',
      'ugly',
    ]);
    expect(positive.json().error.message).toMatch(/not a value of "class"/);
    const seed = await run(['model', 'train', '--data', german, '--target', 'class', '--seed', 'x']);
    expect(seed.json().error).toMatchObject({ code: 'bad_usage' });
  });

  it('a target with more than two values and no --positive, and a model file that is not a model', async () => {
    const three = file('three.csv', 'x,y\n1,a\n2,b\n3,c\n4,a\n');
    const result = await run(['model', 'train', '--data', three, '--target', 'y']);
    expect(result.json().error.code).toBe('bad_usage');
    expect(result.json().error.message).toMatch(/--positive/);
    const notModel = file('model.json', '{"hello": 1}');
    const score = await run(['model', 'score', '--model', notModel, '--data', german]);
    expect(score.code).toBe(2);
    expect(score.json().error.message).toMatch(/not a Huikuan scorecard/);
  });

  it('missing spellings are missing, and a text column is categorical', async () => {
    const rows = ['amount,region,y'];
    for (let i = 0; i < 400; i++) {
      const amount = i % 17 === 0 ? ['', 'NA', 'N/A', 'null'][i % 4] : String((i * 37) % 1000);
      rows.push(
        `${amount},${['north', 'south', 'east'][i % 3]},${(i * 37) % 1000 > 600 || i % 3 === 0 ? 1 : 0}`,
      );
    }
    const data = file('mixed.csv', `${rows.join('\n')}\n`);
    const result = await run(['model', 'train', '--data', data, '--target', 'y', '--min-iv', '0']);
    expect(result.code, result.stderr).toBe(0);
    const candidates = result.json().candidates;
    const amount = candidates.find((c: { name: string }) => c.name === 'amount');
    expect(amount.type).toBe('numeric');
    // 24 rows hold a missing spelling; the bins are of the 70 % training rows
    const bins: Array<{ kind: string; count: number }> = amount.binning.bins;
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(result.json().data.trainRows);
    expect(bins.find((b) => b.kind === 'missing')?.count).toBeGreaterThan(10);
    expect(bins.find((b) => b.kind === 'missing')?.count).toBeLessThan(24);
    expect(candidates.find((c: { name: string }) => c.name === 'region').type).toBe('categorical');
  });
});
