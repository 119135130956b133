/**
 * The validation report of a scorecard: as text for the terminal, as JSON (all figures), and as one
 * self-contained HTML page with inline SVG charts (ROC, KS, score distribution, calibration) and
 * the scorecard table.
 */

import type { Bin } from './binning.ts';
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

export function summaryLines(model: Model): string[] {
  const d = model.data;
  const v = model.validation;
  const lines = [
    `Scorecard: event "${d.target}" = ${d.positive} (vs ${d.negative})${d.file ? ` from ${d.file}` : ''}`,
    `  ${d.rows} rows${d.rowsWithoutTarget ? ` (${d.rowsWithoutTarget} without a target, left out)` : ''}, ${d.events} events (${pct(d.events / Math.max(1, d.rows - d.rowsWithoutTarget))}); stratified split seed ${model.options.seed}: ${d.trainRows} training, ${d.validationRows} validation`,
    '',
    table(
      [
        ['', 'rows', 'AUC', 'Gini', 'KS'],
        ['training', String(v.train.rows), fix(v.train.auc), fix(v.train.gini), fix(v.train.ks)],
        [
          'validation',
          String(v.validation.rows),
          fix(v.validation.auc),
          fix(v.validation.gini),
          fix(v.validation.ks),
        ],
      ],
      [false, true, true, true, true],
    ),
  ];
  if (v.crossValidation) {
    const cv = v.crossValidation;
    lines.push(
      `${cv.folds}-fold cross-validation: AUC ${fix(cv.meanAuc)} ± ${fix(cv.sdAuc)} (folds ${cv.auc.map((a) => fix(a)).join(', ')})`,
    );
  }
  return lines;
}

function dropLine(c: Candidate): string[] {
  return [c.name, c.type, c.binning ? fix(c.iv, 4) : '—', `${c.code}: ${c.reason ?? ''}`];
}

interface Grid {
  header: string[];
  rows: string[][];
  numeric: boolean[];
}

function featureGrid(model: Model): Grid {
  return {
    header: ['feature', 'type', 'trend', 'IV', 'coefficient'],
    rows: model.features.map((f) => [f.name, f.type, f.trend, fix(f.iv, 4), fix(f.coefficient, 4)]),
    numeric: [false, false, false, true, true],
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
    numeric: [false, false, true],
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
  };
}

// ------------------------------------------------------------------ HTML

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const chartWidth = 420;
const chartHeight = 300;
const margin = { left: 48, right: 12, top: 24, bottom: 36 };

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

interface Frame {
  title: string;
  xRange: [number, number];
  yRange: [number, number];
  xLabel: string;
  yLabel: string;
  xTicks: number[];
  yTicks: number[];
  yFormat?: (v: number) => string;
  xFormat?: (v: number) => string;
}

function axes(frame: Frame): { open: string; x: (v: number) => number; y: (v: number) => number } {
  const { title, xRange, yRange, xLabel, yLabel, xTicks, yTicks } = frame;
  const yFormat = frame.yFormat ?? String;
  const xFormat = frame.xFormat ?? String;
  const w = chartWidth - margin.left - margin.right;
  const h = chartHeight - margin.top - margin.bottom;
  const x = (v: number) => margin.left + ((v - xRange[0]) / (xRange[1] - xRange[0] || 1)) * w;
  const y = (v: number) => margin.top + h - ((v - yRange[0]) / (yRange[1] - yRange[0] || 1)) * h;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${chartWidth} ${chartHeight}" width="${chartWidth}" height="${chartHeight}" role="img" aria-label="${escapeHtml(title)}">`;
  svg += `<text x="${chartWidth / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(title)}</text>`;
  svg += `<rect x="${margin.left}" y="${margin.top}" width="${w}" height="${h}" fill="none" stroke="#bbb"/>`;
  for (const t of xTicks) {
    svg += `<line x1="${x(t)}" x2="${x(t)}" y1="${margin.top + h}" y2="${margin.top + h + 4}" stroke="#888"/><text x="${x(t)}" y="${margin.top + h + 15}" text-anchor="middle">${xFormat(t)}</text>`;
  }
  for (const t of yTicks) {
    svg += `<line x1="${margin.left - 4}" x2="${margin.left + w}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${yFormat(t)}</text>`;
  }
  svg += `<text x="${margin.left + w / 2}" y="${chartHeight - 4}" text-anchor="middle">${escapeHtml(xLabel)}</text>`;
  svg += `<text transform="translate(12 ${margin.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`;
  return { open: svg, x, y };
}

function legend(series: Array<{ name: string; color: string }>): string {
  return series
    .map(
      (s, i) =>
        `<rect x="${margin.left + 8}" y="${margin.top + 8 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${margin.left + 22}" y="${margin.top + 17 + i * 16}">${escapeHtml(s.name)}</text>`,
    )
    .join('');
}

function lineChart(frame: Frame, series: Series[]): string {
  const a = axes(frame);
  let svg = a.open;
  for (const s of series) {
    const d = s.points
      .map(([px, py], i) => `${i ? 'L' : 'M'}${a.x(px).toFixed(1)} ${a.y(py).toFixed(1)}`)
      .join('');
    svg += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 4"' : ''}/>`;
  }
  return `${svg + legend(series)}</svg>`;
}

function ticks(from: number, to: number, count: number): number[] {
  const step = (to - from) / count;
  const magnitude = 10 ** Math.floor(Math.log10(Math.abs(step) || 1));
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= step) ?? step;
  const out: number[] = [];
  for (let t = Math.ceil(from / nice) * nice; t <= to + 1e-9; t += nice) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;

function diagonal(to: number): Series {
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

function charts(model: Model): string[] {
  const c = model.validation.curves;
  const unit = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const roc = lineChart(
    {
      title: `ROC (validation AUC ${fix(model.validation.validation.auc)})`,
      xRange: [0, 1],
      yRange: [0, 1],
      xLabel: 'false-positive rate',
      yLabel: 'true-positive rate',
      xTicks: unit,
      yTicks: unit,
    },
    [{ name: 'model', color: '#1f6feb', points: c.roc.map((p) => [p.fpr, p.tpr]) }, diagonal(1)],
  );
  const scores = c.ks.map((p) => p.score);
  const sMin = Math.min(...scores);
  const sMax = Math.max(...scores);
  const ksChart = lineChart(
    {
      title: `KS (validation ${fix(model.validation.validation.ks)})`,
      xRange: [sMin, sMax],
      yRange: [0, 1],
      xLabel: 'score',
      yLabel: 'cumulative share',
      xTicks: ticks(sMin, sMax, 5),
      yTicks: unit,
      yFormat: percent,
    },
    [
      { name: 'events (cumulative)', color: '#d1242f', points: c.ks.map((p) => [p.score, p.events]) },
      { name: 'non-events (cumulative)', color: '#1a7f37', points: c.ks.map((p) => [p.score, p.nonEvents]) },
    ],
  );
  // score distribution: bars of events and non-events per score bin (shares of each class)
  const totalE = c.histogram.reduce((s, h) => s + h.events, 0) || 1;
  const totalN = c.histogram.reduce((s, h) => s + h.nonEvents, 0) || 1;
  const hMin = c.histogram[0]?.from ?? 0;
  const hMax = (c.histogram[c.histogram.length - 1]?.from ?? 0) + c.width;
  const yMax = Math.max(0.01, ...c.histogram.map((h) => Math.max(h.events / totalE, h.nonEvents / totalN)));
  const dist = axes({
    title: 'Score distribution (validation)',
    xRange: [hMin, hMax],
    yRange: [0, yMax],
    xLabel: 'score',
    yLabel: 'share of the class',
    xTicks: ticks(hMin, hMax, 5),
    yTicks: ticks(0, yMax, 4),
    yFormat: percent,
  });
  let distSvg = dist.open;
  for (const h of c.histogram) {
    const x0 = dist.x(h.from);
    const bw = (dist.x(h.from + c.width) - x0) / 2;
    for (const [share, color, dx] of [
      [h.events / totalE, '#d1242f', 0],
      [h.nonEvents / totalN, '#1a7f37', bw],
    ] as const) {
      distSvg += `<rect x="${(x0 + dx).toFixed(1)}" y="${dist.y(share).toFixed(1)}" width="${bw.toFixed(1)}" height="${(dist.y(0) - dist.y(share)).toFixed(1)}" fill="${color}" opacity="0.8"/>`;
    }
  }
  distSvg += `${legend([
    { name: 'events', color: '#d1242f' },
    { name: 'non-events', color: '#1a7f37' },
  ])}</svg>`;
  const cal = model.validation.calibration;
  const calMax = Math.min(1, Math.max(0.05, ...cal.map((r) => Math.max(r.predicted, r.observed))) * 1.1);
  const calTicks = ticks(0, calMax, 5);
  const calibrationChart = lineChart(
    {
      title: 'Calibration by score band (validation)',
      xRange: [0, calMax],
      yRange: [0, calMax],
      xLabel: 'predicted event rate',
      yLabel: 'observed event rate',
      xTicks: calTicks,
      yTicks: calTicks,
      xFormat: percent,
      yFormat: percent,
    },
    [
      {
        name: 'observed vs predicted',
        color: '#1f6feb',
        points: cal.filter((r) => r.rows > 0).map((r) => [r.predicted, r.observed]),
      },
      diagonal(calMax),
    ],
  );
  return [roc, ksChart, distSvg, calibrationChart];
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

export function htmlReport(model: Model): string {
  const s = model.scaling;
  const sections: string[] = [];
  sections.push(
    `<h1>Scorecard report — ${escapeHtml(model.data.target)} = ${escapeHtml(model.data.positive)}</h1>`,
  );
  sections.push(`<pre>${escapeHtml(summaryLines(model).join('\n'))}</pre>`);
  sections.push(
    `<p>Trained ${escapeHtml(model.createdAt)}. ${s.baseScore} points at ${s.baseOdds}:1 odds against the event, ${s.pdo} points to double the odds; intercept ${fix(model.intercept, 4)}.</p>`,
  );
  sections.push(`<div class="charts">${charts(model).join('\n')}</div>`);
  sections.push('<h2>Calibration by score band (validation rows)</h2>', gridHtml(calibrationGrid(model)));
  sections.push('<h2>Scorecard</h2>', gridHtml(featureGrid(model)));
  for (const f of model.features) {
    sections.push(
      `<h3>${escapeHtml(f.name)} <small>IV ${fix(f.iv, 4)}, coefficient ${fix(f.coefficient, 4)}</small></h3>`,
    );
    sections.push(
      htmlTable(
        ['bin', 'rows', 'events', 'event rate', 'WoE', 'IV', 'points', 'reason code'],
        binRows(f.bins, f.bins),
        [false, true, true, true, true, true, true, false],
      ),
    );
  }
  const dropped = model.candidates.filter((c) => c.status === 'dropped');
  if (dropped.length > 0) {
    sections.push('<h2>Features left out</h2>');
    sections.push(
      htmlTable(['feature', 'type', 'IV', 'reason'], dropped.map(dropLine), [false, false, true, false]),
    );
    for (const c of dropped) {
      if (!c.binning) continue;
      sections.push(
        `<h3>${escapeHtml(c.name)} <small>IV ${fix(c.iv, 4)} — ${escapeHtml(c.code ?? '')}</small></h3>`,
      );
      sections.push(
        htmlTable(['bin', 'rows', 'events', 'event rate', 'WoE', 'IV'], binRows(c.binning.bins), [
          false,
          true,
          true,
          true,
          true,
          true,
        ]),
      );
    }
  }
  sections.push('<h2>Reason codes</h2>');
  sections.push(
    htmlTable(
      ['code', 'en', 'zh-CN'],
      model.features.flatMap((f) => f.bins.map((b) => [b.code, b.text.en, b.text['zh-CN']])),
    ),
  );
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
