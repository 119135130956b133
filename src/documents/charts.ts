/**
 * Simple charts as data — a frame with two axes, line series (ROC, KS, calibration) and grouped
 * bars (score distributions) — and their drawing with pdfkit's path API. The same `ChartSpec` is
 * drawn as SVG by the risk model's HTML report, so both formats show the same figures.
 */

export interface ChartAxis {
  range: [number, number];
  label: string;
  ticks: number[];
  format?: (v: number) => string;
}

export interface LineSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

/** Bars grouped over x intervals: one bar per series in each group, side by side. */
export interface BarSeries {
  series: Array<{ name: string; color: string }>;
  groups: Array<{ from: number; to: number; values: number[] }>;
}

export interface ChartSpec {
  title: string;
  x: ChartAxis;
  y: ChartAxis;
  lines?: LineSeries[];
  bars?: BarSeries;
}

/** Round tick values (steps of 1, 2 or 5 × 10ⁿ) from `from` to `to`, about `count` of them. */
export function niceTicks(from: number, to: number, count: number): number[] {
  const step = (to - from) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(Math.abs(step) || 1));
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= step) ?? step;
  const out: number[] = [];
  if (!(nice > 0) || !Number.isFinite(from) || !Number.isFinite(to)) return out;
  for (let t = Math.ceil(from / nice) * nice; t <= to + 1e-9 && out.length < 50; t += nice) {
    out.push(Math.round(t * 1e6) / 1e6);
  }
  return out;
}

/** The series a chart's legend lists: its lines, then its bars' series. */
export function legendOf(spec: ChartSpec): Array<{ name: string; color: string }> {
  return [...(spec.lines ?? []), ...(spec.bars?.series ?? [])];
}

/** Maps data to a plot area: `x(v)`, `y(v)` in the drawing's coordinates (y grows downwards). */
export function scales(
  spec: ChartSpec,
  plot: { left: number; top: number; width: number; height: number },
): { x: (v: number) => number; y: (v: number) => number } {
  const [x0, x1] = spec.x.range;
  const [y0, y1] = spec.y.range;
  return {
    x: (v) => plot.left + ((v - x0) / (x1 - x0 || 1)) * plot.width,
    y: (v) => plot.top + plot.height - ((v - y0) / (y1 - y0 || 1)) * plot.height,
  };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * One line of text at (x, y), aligned in `width` by measuring it: pdfkit's own alignment needs line
 * wrapping, which could start a new page near the bottom margin.
 */
export function placeText(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  options: { width?: number; align?: 'left' | 'right' | 'center' } = {},
): void {
  const width = options.width ?? 0;
  const measured = doc.widthOfString(text);
  const dx =
    options.align === 'right' ? width - measured : options.align === 'center' ? (width - measured) / 2 : 0;
  doc.text(text, x + dx, y, { lineBreak: false });
}

const ink = { frame: '#bbbbbb', grid: '#eeeeee', tick: '#888888', text: '#333333' } as const;

/** Draws `spec` into `box` of a pdfkit document (text must already be safe for the font). */
export function drawChart(doc: PDFKit.PDFDocument, spec: ChartSpec, box: Box): void {
  const pad = { left: 38, right: 8, top: 18, bottom: 28 };
  const plot = {
    left: box.x + pad.left,
    top: box.y + pad.top,
    width: box.width - pad.left - pad.right,
    height: box.height - pad.top - pad.bottom,
  };
  const { x, y } = scales(spec, plot);
  const xFormat = spec.x.format ?? String;
  const yFormat = spec.y.format ?? String;
  doc.save();
  doc.font('bold').fontSize(8.5).fillColor(ink.text);
  placeText(doc, spec.title, box.x, box.y + 2, { width: box.width, align: 'center' });
  doc.font('regular').fontSize(6.5);
  // grid and y ticks
  for (const t of spec.y.ticks) {
    const ty = y(t);
    doc
      .moveTo(plot.left - 3, ty)
      .lineTo(plot.left + plot.width, ty)
      .lineWidth(0.4)
      .strokeColor(ink.grid)
      .stroke();
    doc.fillColor(ink.text);
    placeText(doc, yFormat(t), box.x, ty - 3.5, { width: pad.left - 5, align: 'right' });
  }
  for (const t of spec.x.ticks) {
    const tx = x(t);
    doc
      .moveTo(tx, plot.top + plot.height)
      .lineTo(tx, plot.top + plot.height + 3)
      .lineWidth(0.5)
      .strokeColor(ink.tick)
      .stroke();
    doc.fillColor(ink.text);
    placeText(doc, xFormat(t), tx - 20, plot.top + plot.height + 5, { width: 40, align: 'center' });
  }
  doc.rect(plot.left, plot.top, plot.width, plot.height).lineWidth(0.6).strokeColor(ink.frame).stroke();
  doc.fontSize(7);
  placeText(doc, spec.x.label, plot.left, box.y + box.height - 9, { width: plot.width, align: 'center' });
  // the y label, turned a quarter left about its own centre
  const cx = box.x + 5;
  const cy = plot.top + plot.height / 2;
  doc.save().rotate(-90, { origin: [cx, cy] });
  placeText(doc, spec.y.label, cx - plot.height / 2, cy - 4, { width: plot.height, align: 'center' });
  doc.restore();

  // the data, clipped to the plot
  doc.save();
  doc.rect(plot.left, plot.top, plot.width, plot.height).clip();
  if (spec.bars) {
    const n = spec.bars.series.length || 1;
    for (const g of spec.bars.groups) {
      const x0 = x(g.from);
      const bw = (x(g.to) - x0) / n;
      g.values.forEach((v, i) => {
        const top = y(v);
        const color = spec.bars?.series[i]?.color ?? '#888888';
        doc
          .rect(x0 + i * bw, top, Math.max(0.1, bw), Math.max(0, y(0) - top))
          .fillOpacity(0.8)
          .fill(color);
      });
    }
    doc.fillOpacity(1);
  }
  for (const s of spec.lines ?? []) {
    if (s.points.length < 2) continue;
    s.points.forEach(([px, py], i) => {
      if (i === 0) doc.moveTo(x(px), y(py));
      else doc.lineTo(x(px), y(py));
    });
    doc.lineWidth(1.2).lineJoin('round');
    if (s.dashed) doc.dash(3, { space: 3 });
    doc.strokeColor(s.color).stroke();
    doc.undash();
  }
  doc.restore();

  // legend, top left inside the plot
  legendOf(spec).forEach((s, i) => {
    const ly = plot.top + 5 + i * 10;
    doc.rect(plot.left + 5, ly, 6, 6).fill(s.color);
    doc.fillColor(ink.text).fontSize(6.5);
    placeText(doc, s.name, plot.left + 14, ly - 0.5);
  });
  doc.restore();
}
