/**
 * The validation report of a scorecard: as text for the terminal, as JSON (all figures), and as one
 * self-contained HTML page with inline SVG charts (ROC, KS, score distribution, calibration) and
 * the scorecard table.
 */

import { type ChartSpec, type LineSeries, legendOf, niceTicks, scales } from '../documents/charts.ts';
import { PdfWriter } from '../documents/pdf.ts';
import type { Bin } from './binning.ts';
import type { DerivedFeature } from './derived.ts';
import type { Candidate, Model } from './train.ts';

const pct = (v: number, digits = 1) => `${(v * 100).toFixed(digits)}%`;
const fix = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function table(rows: string[][], alignRight: boolean[] = []): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) widths[c] = Math.max(widths[c] ?? 0, [...(row[c] as string)].length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, c) => {
          const w = widths[c] ?? 0;
          const fill = ' '.repeat(Math.max(0, w - [...cell].length));
          return alignRight[c] ? fill + cell : cell + fill;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What the model was trained on: the target, rows, events and the split. */
function datasetLines(model: Model): string[] {
  const d = model.data;
  return [
    `Scorecard: event "${d.target}" = ${d.positive} (vs ${d.negative})${d.file ? ` from ${d.file}` : ''}`,
    `  ${d.rows} rows${d.rowsWithoutTarget ? ` (${d.rowsWithoutTarget} without a target, left out)` : ''}, ${d.events} events (${pct(d.events / Math.max(1, d.rows - d.rowsWithoutTarget))}); stratified split seed ${model.options.seed}: ${d.trainRows} training, ${d.validationRows} validation`,
  ];
}

function metricsGrid(model: Model): Grid {
  const v = model.validation;
  return {
    header: ['', 'rows', 'AUC', 'Gini', 'KS'],
    rows: [
      ['training', String(v.train.rows), fix(v.train.auc), fix(v.train.gini), fix(v.train.ks)],
      [
        'validation',
        String(v.validation.rows),
        fix(v.validation.auc),
        fix(v.validation.gini),
        fix(v.validation.ks),
      ],
    ],
    numeric: [false, true, true, true, true],
  };
}

function crossValidationLine(model: Model): string | null {
  const cv = model.validation.crossValidation;
  if (!cv) return null;
  return `${cv.folds}-fold cross-validation: AUC ${fix(cv.meanAuc)} ± ${fix(cv.sdAuc)} (folds ${cv.auc.map((a) => fix(a)).join(', ')})`;
}

export function summaryLines(model: Model): string[] {
  const lines = [...datasetLines(model), '', textGrid(metricsGrid(model))];
  const cv = crossValidationLine(model);
  if (cv !== null) lines.push(cv);
  if (model.groups !== undefined && model.groups.length > 0) {
    lines.push(
      `Groups of repeated columns, whose ${model.options.derive.join(', ')} were candidate features: ${model.groups
        .map((g) => `${g.stem} (${g.columns.join(', ')})`)
        .join('; ')}`,
    );
  }
  return lines;
}

/** A feature's name, and what it is when it is derived: "PAY_max = PAY (max of PAY_0…PAY_6)". */
function featureName(f: { name: string; derived?: DerivedFeature }): string {
  return f.derived === undefined ? f.name : `${f.name} = ${f.derived.label.en}`;
}

function dropLine(c: Candidate): string[] {
  return [featureName(c), c.type, c.binning ? fix(c.iv, 4) : '—', `${c.code}: ${c.reason ?? ''}`];
}

interface Grid {
  header: string[];
  rows: string[][];
  numeric: boolean[];
  /** Relative column widths in the PDF (default equal). */
  widths?: number[];
}

function featureGrid(model: Model): Grid {
  return {
    header: ['feature', 'type', 'trend', 'IV', 'coefficient'],
    rows: model.features.map((f) => [featureName(f), f.type, f.trend, fix(f.iv, 4), fix(f.coefficient, 4)]),
    numeric: [false, false, false, true, true],
    widths: [3, 1.2, 1.2, 1, 1],
  };
}

function calibrationGrid(model: Model): Grid {
  return {
    header: ['score band', 'rows', 'events', 'predicted', 'observed'],
    rows: model.validation.calibration.map((c) => [
      c.band,
      String(c.rows),
      String(c.events),
      pct(c.predicted),
      pct(c.observed),
    ]),
    numeric: [false, true, true, true, true],
  };
}

function dropGrid(dropped: Candidate[]): Grid {
  return {
    header: ['feature', 'type', 'IV', 'reason'],
    rows: dropped.map(dropLine),
    numeric: [false, false, true, false],
    widths: [2, 1, 0.8, 5],
  };
}

const textGrid = (g: Grid) => table([g.header, ...g.rows], g.numeric);

export function textReport(model: Model): string {
  const s = model.scaling;
  const lines = summaryLines(model);
  lines.push('', `Features in the model (${model.features.length}):`, textGrid(featureGrid(model)));
  const dropped = model.candidates.filter((c) => c.status === 'dropped');
  if (dropped.length > 0) lines.push('', `Dropped (${dropped.length}):`, textGrid(dropGrid(dropped)));
  lines.push('', 'Calibration by score band (validation rows):', textGrid(calibrationGrid(model)));
  lines.push(
    '',
    `Scorecard (score = sum of points; ${s.baseScore} points at ${s.baseOdds}:1 odds against the event, ${s.pdo} points to double them; intercept ${fix(model.intercept, 4)}):`,
  );
  const rows: string[][] = [
    ['feature', 'bin', 'rows', 'events', 'event rate', 'WoE', 'IV', 'points', 'code'],
  ];
  for (const f of model.features) for (const row of binRows(f.bins, f.bins)) rows.push([f.name, ...row]);
  lines.push(table(rows, [false, false, true, true, true, true, true, true, false]));
  return lines.join('\n');
}

/** Everything in the report as plain data, for --json. */
export function jsonReport(model: Model, modelFile: string | null): Record<string, unknown> {
  return {
    model_file: modelFile,
    data: model.data,
    options: model.options,
    scaling: model.scaling,
    intercept: model.intercept,
    fit: model.fit,
    validation: model.validation,
    features: model.features,
    candidates: model.candidates,
    bands: model.bands,
    ...(model.groups !== undefined ? { groups: model.groups } : {}),
  };
}

// ------------------------------------------------------------------ HTML

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const chartWidth = 420;
const chartHeight = 300;
const margin = { left: 48, right: 12, top: 24, bottom: 36 };

/** One chart as inline SVG: the frame, ticks and labels, then its bars and lines, then the legend. */
function svgChart(spec: ChartSpec): string {
  const xFormat = spec.x.format ?? String;
  const yFormat = spec.y.format ?? String;
  const w = chartWidth - margin.left - margin.right;
  const h = chartHeight - margin.top - margin.bottom;
  const { x, y } = scales(spec, { left: margin.left, top: margin.top, width: w, height: h });
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${chartWidth} ${chartHeight}" width="${chartWidth}" height="${chartHeight}" role="img" aria-label="${escapeHtml(spec.title)}">`;
  svg += `<text x="${chartWidth / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(spec.title)}</text>`;
  svg += `<rect x="${margin.left}" y="${margin.top}" width="${w}" height="${h}" fill="none" stroke="#bbb"/>`;
  for (const t of spec.x.ticks) {
    svg += `<line x1="${x(t)}" x2="${x(t)}" y1="${margin.top + h}" y2="${margin.top + h + 4}" stroke="#888"/><text x="${x(t)}" y="${margin.top + h + 15}" text-anchor="middle">${xFormat(t)}</text>`;
  }
  for (const t of spec.y.ticks) {
    svg += `<line x1="${margin.left - 4}" x2="${margin.left + w}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${yFormat(t)}</text>`;
  }
  svg += `<text x="${margin.left + w / 2}" y="${chartHeight - 4}" text-anchor="middle">${escapeHtml(spec.x.label)}</text>`;
  svg += `<text transform="translate(12 ${margin.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.y.label)}</text>`;
  const bars = spec.bars;
  if (bars) {
    const n = bars.series.length || 1;
    for (const g of bars.groups) {
      const x0 = x(g.from);
      const bw = (x(g.to) - x0) / n;
      g.values.forEach((v, i) => {
        svg += `<rect x="${(x0 + i * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${bars.series[i]?.color ?? '#888'}" opacity="0.8"/>`;
      });
    }
  }
  for (const s of spec.lines ?? []) {
    const d = s.points
      .map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`)
      .join('');
    svg += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 4"' : ''}/>`;
  }
  svg += legendOf(spec)
    .map(
      (s, i) =>
        `<rect x="${margin.left + 8}" y="${margin.top + 8 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${margin.left + 22}" y="${margin.top + 17 + i * 16}">${escapeHtml(s.name)}</text>`,
    )
    .join('');
  return `${svg}</svg>`;
}

const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;

function diagonal(to: number): LineSeries {
  return {
    name: 'chance / perfect',
    color: '#999',
    points: [
      [0, 0],
      [to, to],
    ],
    dashed: true,
  };
}

/** The report's four charts as data (ROC, KS, score distribution, calibration), drawn as SVG or PDF. */
export function chartSpecs(model: Model): ChartSpec[] {
  const c = model.validation.curves;
  const unit = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const roc: ChartSpec = {
    title: `ROC (validation AUC ${fix(model.validation.validation.auc)})`,
    x: { range: [0, 1], label: 'false-positive rate', ticks: unit },
    y: { range: [0, 1], label: 'true-positive rate', ticks: unit },
    lines: [{ name: 'model', color: '#1f6feb', points: c.roc.map((p) => [p.fpr, p.tpr]) }, diagonal(1)],
  };
  const scores = c.ks.map((p) => p.score);
  const sMin = Math.min(...scores);
  const sMax = Math.max(...scores);
  const ks: ChartSpec = {
    title: `KS (validation ${fix(model.validation.validation.ks)})`,
    x: { range: [sMin, sMax], label: 'score', ticks: niceTicks(sMin, sMax, 5) },
    y: { range: [0, 1], label: 'cumulative share', ticks: unit, format: percent },
    lines: [
      { name: 'events (cumulative)', color: '#d1242f', points: c.ks.map((p) => [p.score, p.events]) },
      { name: 'non-events (cumulative)', color: '#1a7f37', points: c.ks.map((p) => [p.score, p.nonEvents]) },
    ],
  };
  // score distribution: bars of events and non-events per score bin (shares of each class)
  const totalE = c.histogram.reduce((s, h) => s + h.events, 0) || 1;
  const totalN = c.histogram.reduce((s, h) => s + h.nonEvents, 0) || 1;
  const hMin = c.histogram[0]?.from ?? 0;
  const hMax = (c.histogram[c.histogram.length - 1]?.from ?? 0) + c.width;
  const yMax = Math.max(0.01, ...c.histogram.map((h) => Math.max(h.events / totalE, h.nonEvents / totalN)));
  const distribution: ChartSpec = {
    title: 'Score distribution (validation)',
    x: { range: [hMin, hMax], label: 'score', ticks: niceTicks(hMin, hMax, 5) },
    y: { range: [0, yMax], label: 'share of the class', ticks: niceTicks(0, yMax, 4), format: percent },
    bars: {
      series: [
        { name: 'events', color: '#d1242f' },
        { name: 'non-events', color: '#1a7f37' },
      ],
      groups: c.histogram.map((h) => ({
        from: h.from,
        to: h.from + c.width,
        values: [h.events / totalE, h.nonEvents / totalN],
      })),
    },
  };
  const cal = model.validation.calibration;
  const calMax = Math.min(1, Math.max(0.05, ...cal.map((r) => Math.max(r.predicted, r.observed))) * 1.1);
  const calTicks = niceTicks(0, calMax, 5);
  const calibration: ChartSpec = {
    title: 'Calibration by score band (validation)',
    x: { range: [0, calMax], label: 'predicted event rate', ticks: calTicks, format: percent },
    y: { range: [0, calMax], label: 'observed event rate', ticks: calTicks, format: percent },
    lines: [
      {
        name: 'observed vs predicted',
        color: '#1f6feb',
        points: cal.filter((r) => r.rows > 0).map((r) => [r.predicted, r.observed]),
      },
      diagonal(calMax),
    ],
  };
  return [roc, ks, distribution, calibration];
}

function htmlTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => `<td${numeric[i] ? ' class="n"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const gridHtml = (g: Grid) => htmlTable(g.header, g.rows, g.numeric);

function binRows(bins: Bin[], points?: Array<{ points: number; code: string }>): string[][] {
  return bins.map((bin, i) => [
    bin.label,
    String(bin.count),
    String(bin.events),
    bin.count ? pct(bin.eventRate) : '—',
    fix(bin.woe, 4),
    fix(bin.iv, 4),
    ...(points ? [(points[i]?.points ?? 0).toFixed(1), points[i]?.code ?? ''] : []),
  ]);
}

/** The report's parts in order, drawn as HTML (`htmlReport`) or PDF (`pdfReport`). */
type Block =
  | { kind: 'title'; text: string }
  | { kind: 'summary' }
  | { kind: 'paragraph'; text: string }
  | { kind: 'charts'; specs: ChartSpec[] }
  | { kind: 'heading'; level: 2 | 3; text: string; note?: string }
  | { kind: 'table'; grid: Grid };

const binHeader = ['bin', 'rows', 'events', 'event rate', 'WoE', 'IV'];
const binNumeric = [false, true, true, true, true, true];

function binGrid(bins: Bin[], points?: Array<{ points: number; code: string }>): Grid {
  return points
    ? {
        header: [...binHeader, 'points', 'reason code'],
        rows: binRows(bins, points),
        numeric: [...binNumeric, true, false],
        widths: [3.2, 0.8, 0.8, 1, 1, 1, 0.8, 1.6],
      }
    : { header: binHeader, rows: binRows(bins), numeric: binNumeric, widths: [3.2, 0.8, 0.8, 1, 1, 1] };
}

function reportBlocks(model: Model): Block[] {
  const s = model.scaling;
  const blocks: Block[] = [
    { kind: 'title', text: `Scorecard report — ${model.data.target} = ${model.data.positive}` },
    { kind: 'summary' },
    {
      kind: 'paragraph',
      text: `Trained ${model.createdAt}. ${s.baseScore} points at ${s.baseOdds}:1 odds against the event, ${s.pdo} points to double the odds; intercept ${fix(model.intercept, 4)}.`,
    },
    { kind: 'charts', specs: chartSpecs(model) },
    { kind: 'heading', level: 2, text: 'Calibration by score band (validation rows)' },
    { kind: 'table', grid: calibrationGrid(model) },
    { kind: 'heading', level: 2, text: 'Scorecard' },
    { kind: 'table', grid: featureGrid(model) },
  ];
  for (const f of model.features) {
    blocks.push(
      {
        kind: 'heading',
        level: 3,
        text: featureName(f),
        note: `IV ${fix(f.iv, 4)}, coefficient ${fix(f.coefficient, 4)}`,
      },
      { kind: 'table', grid: binGrid(f.bins, f.bins) },
    );
  }
  const dropped = model.candidates.filter((c) => c.status === 'dropped');
  if (dropped.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: 'Features left out' },
      { kind: 'table', grid: dropGrid(dropped) },
    );
    for (const c of dropped) {
      if (!c.binning) continue;
      blocks.push(
        { kind: 'heading', level: 3, text: featureName(c), note: `IV ${fix(c.iv, 4)} — ${c.code ?? ''}` },
        { kind: 'table', grid: binGrid(c.binning.bins) },
      );
    }
  }
  blocks.push(
    { kind: 'heading', level: 2, text: 'Reason codes' },
    {
      kind: 'table',
      grid: {
        header: ['code', 'en', 'zh-CN'],
        rows: model.features.flatMap((f) => f.bins.map((b) => [b.code, b.text.en, b.text['zh-CN']])),
        numeric: [],
        widths: [1.7, 3, 3],
      },
    },
  );
  return blocks;
}

function blockHtml(model: Model, block: Block): string {
  switch (block.kind) {
    case 'title':
      return `<h1>${escapeHtml(block.text)}</h1>`;
    case 'summary':
      return `<pre>${escapeHtml(summaryLines(model).join('\n'))}</pre>`;
    case 'paragraph':
      return `<p>${escapeHtml(block.text)}</p>`;
    case 'charts':
      return `<div class="charts">${block.specs.map(svgChart).join('\n')}</div>`;
    case 'heading':
      return block.note === undefined
        ? `<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`
        : `<h${block.level}>${escapeHtml(block.text)} <small>${escapeHtml(block.note)}</small></h${block.level}>`;
    case 'table':
      return gridHtml(block.grid);
  }
}

export function htmlReport(model: Model): string {
  const sections = reportBlocks(model).map((block) => blockHtml(model, block));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scorecard report — ${escapeHtml(model.data.target)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:12px}svg{font-size:11px;background:#fff;border:1px solid #eee}svg .t{font-size:13px;font-weight:600}
small{color:#666;font-weight:normal}pre{background:#f8f8f8;padding:8px}
</style></head><body>
${sections.join('\n')}
</body></html>
`;
}

// ------------------------------------------------------------------ PDF

function gridPdf(pdf: PdfWriter, grid: Grid): void {
  pdf.table(
    grid.header.map((header, i) => ({
      header,
      width: grid.widths?.[i] ?? 1,
      align: grid.numeric[i] ? ('right' as const) : ('left' as const),
    })),
    grid.rows,
    { fontSize: 8 },
  );
}

/**
 * The same report as a PDF (A4, the embedded CJK font, so Chinese feature names, categories and the
 * zh-CN reason texts print): the summary, the four charts, the calibration, the scorecard and every
 * feature's bins with points and reason codes, the features left out, and the reason texts.
 */
export function pdfReport(model: Model, options: { creationDate?: Date } = {}): PdfWriter {
  const title = `Scorecard report — ${model.data.target} = ${model.data.positive}`;
  const pdf = new PdfWriter({
    title,
    subject: 'Validation report of a Huikuan scorecard',
    keywords: ['scorecard', 'validation', 'ROC', 'KS', '评分卡'],
    lang: 'en',
    missingGlyphs: 'replace',
    ...(options.creationDate ? { creationDate: options.creationDate } : {}),
    footer: (p) => `Huikuan · ${title} · ${p.page} / ${p.pages}`,
  });
  for (const block of reportBlocks(model)) {
    switch (block.kind) {
      case 'title':
        pdf.heading(block.text, 1);
        break;
      case 'summary': {
        for (const line of datasetLines(model)) pdf.paragraph(line.trim(), { size: 9.5, after: 2 });
        pdf.space(6);
        gridPdf(pdf, metricsGrid(model));
        const cv = crossValidationLine(model);
        if (cv !== null) pdf.paragraph(cv, { size: 9.5 });
        break;
      }
      case 'paragraph':
        pdf.paragraph(block.text, { size: 9.5 });
        break;
      case 'charts':
        pdf.charts(block.specs, { perRow: 2, height: 205 });
        break;
      case 'heading':
        pdf.heading(block.note === undefined ? block.text : `${block.text}   (${block.note})`, block.level);
        break;
      case 'table':
        gridPdf(pdf, block.grid);
        break;
    }
  }
  return pdf;
}
