/**
 * Huikuan's PDF documents: A4 pages with the embedded CJK font (fonts.ts), headings, paragraphs,
 * tables that break across pages with their header repeated, vector charts (charts.ts), sections
 * (one letter of a print batch each) with their own page numbers, and document metadata. Built on
 * pdfkit; the output is deterministic for a fixed `creationDate` (the file ID is a hash of the
 * metadata), so tests can compare bytes.
 *
 *   const pdf = new PdfWriter({ title: '催收函', lang: 'zh-CN' });
 *   pdf.heading('逾期还款通知', 1);
 *   pdf.paragraph('张三先生：……');
 *   const bytes = await pdf.toBuffer();   // or: await pdf.writeFile('letter.pdf')
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import PDFDocument from 'pdfkit';
import { HuikuanError } from '../shared/errors.ts';
import { type ChartSpec, drawChart, placeText } from './charts.ts';
import { describeCharacter, type FontWeight, fontBytes, missingCharacters } from './fonts.ts';

/** A4 in PDF points (1/72 inch): 210 × 297 mm. */
export const a4 = { width: 595.28, height: 841.89 } as const;

export const limits = {
  /** Pages in one document (a print batch of 2,000 two-page letters fits). */
  maxPages: 10_000,
  /** Characters in one paragraph, heading or table cell. */
  maxTextLength: 20_000,
  /** Rows in one table. */
  maxTableRows: 50_000,
} as const;

export interface PageInfo {
  /** 1-based number of the page in the document, and the document's page count. */
  page: number;
  pages: number;
  /** The section the page belongs to (see `startSection`), with the page's number inside it. */
  section: { name: string; page: number; pages: number } | null;
}

export interface PdfOptions {
  title: string;
  author?: string;
  subject?: string;
  keywords?: string[];
  /** BCP 47 language of the text (the document's /Lang), e.g. zh-CN or en. */
  lang?: string;
  /** Stored as the document's creation date; fix it for byte-identical output. Default: now. */
  creationDate?: Date;
  /** Page margins in points (default 56, about 20 mm; the footer sits in the bottom margin). */
  margin?: number;
  /** The footer of each page; default "page / pages". Return '' for none. */
  footer?: (info: PageInfo) => string;
  /**
   * What to do with a character the font cannot draw (e.g. 𠮷 U+20BB7, emoji): `refuse` (default)
   * throws bad_input naming it — right for letters, where a blank would change a name — and
   * `replace` prints □ in its place (reports of arbitrary data).
   */
  missingGlyphs?: 'refuse' | 'replace';
  /** Largest page count (limit_exceeded past it); default limits.maxPages. */
  maxPages?: number;
}

export interface TextStyle {
  size?: number;
  weight?: FontWeight;
  color?: string;
  align?: 'left' | 'right' | 'center' | 'justify';
  /** Space after the paragraph in points (default: half a line). */
  after?: number;
  /** Left indent in points. */
  indent?: number;
}

export interface TableColumn {
  header: string;
  /** Relative width (default 1): widths are shares of the table's width. */
  width?: number;
  align?: 'left' | 'right' | 'center';
}

export interface TableOptions {
  fontSize?: number;
  /** Draw the header row (default true); it is repeated at the top of every page the table runs onto. */
  header?: boolean;
  /** Lines between rows (default true). */
  rules?: boolean;
  /** Which body cells are bold (row and column from 0), e.g. the labels of a key–value table or a total. */
  bold?: (row: number, column: number) => boolean;
}

/** Where a table's rows and columns were drawn, to fill a cell in later (`writeInto`). */
export interface TableLayout {
  rows: Array<{ page: number; top: number; height: number }>;
  columns: Array<{ x: number; width: number; align: 'left' | 'right' | 'center' }>;
}

const colors = { text: '#222222', muted: '#666666', rule: '#cccccc', header: '#f0f0f0' } as const;
const headingSizes = { 1: 17, 2: 13.5, 3: 11 } as const;

/** One PDF under construction. Methods draw at the current position and move it down. */
export class PdfWriter {
  /** The underlying pdfkit document, for drawing this class does not cover. */
  readonly doc: PDFKit.PDFDocument;
  readonly margin: number;
  private readonly options: PdfOptions;
  private readonly maxPages: number;
  private pageCount = 1;
  /** Whether anything was drawn on the current page (a new section reuses an empty one). */
  private pageUsed = false;
  private readonly sections: Array<{ name: string; first: number }> = [];
  private readonly blankPages = new Set<number>();
  private finished = false;

  constructor(options: PdfOptions) {
    this.options = options;
    this.margin = options.margin ?? 56;
    this.maxPages = Math.min(options.maxPages ?? limits.maxPages, limits.maxPages);
    const info: PDFKit.DocumentInfo = {
      Title: this.clean(options.title),
      Creator: 'Huikuan',
      Producer: 'Huikuan (pdfkit)',
      CreationDate: options.creationDate ?? new Date(),
    };
    if (options.author !== undefined) info.Author = this.clean(options.author);
    if (options.subject !== undefined) info.Subject = this.clean(options.subject);
    if (options.keywords !== undefined) info.Keywords = this.clean(options.keywords.join(', '));
    this.doc = new PDFDocument({
      size: 'A4',
      margin: this.margin,
      bufferPages: true,
      pdfVersion: '1.7',
      displayTitle: true,
      info,
      ...(options.lang !== undefined ? { lang: options.lang } : {}),
    });
    this.doc.registerFont('regular', fontBytes('regular'));
    this.doc.registerFont('bold', fontBytes('bold'));
    this.doc.font('regular').fontSize(10).fillColor(colors.text);
    this.doc.on('pageAdded', () => {
      this.pageCount++;
      this.pageUsed = false;
      if (this.pageCount > this.maxPages) {
        throw new HuikuanError(
          'limit_exceeded',
          `The document "${options.title}" would run past ${this.maxPages} pages. Split it into smaller documents.`,
        );
      }
    });
  }

  /** Left edge, right edge and width of the text column; bottom of the writable area. */
  get left(): number {
    return this.margin;
  }
  get width(): number {
    return a4.width - 2 * this.margin;
  }
  get bottom(): number {
    return a4.height - this.margin;
  }
  get y(): number {
    return this.doc.y;
  }
  set y(value: number) {
    this.doc.y = value;
  }
  get pages(): number {
    return this.pageCount;
  }

  /**
   * Text made safe to draw: line breaks normalised, tabs as spaces, other control characters
   * dropped, length limited, and characters the font lacks refused or replaced (options.missingGlyphs).
   */
  clean(text: string): string {
    if (text.length > limits.maxTextLength) {
      throw new HuikuanError(
        'limit_exceeded',
        `A text of ${text.length} characters is longer than the ${limits.maxTextLength} one paragraph may have. Split it.`,
      );
    }
    // line breaks kept, tabs as spaces, every other control character (Unicode Cc) dropped
    let out = text
      .replace(/\r\n?/g, '\n')
      .replace(/\t/g, '    ')
      .replace(/(?!\n)\p{Cc}/gu, '');
    const missing = missingCharacters(out);
    if (missing.length > 0) {
      if (this.options.missingGlyphs === 'replace') {
        for (const ch of missing) out = out.replaceAll(ch, '□');
      } else {
        const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
        throw new HuikuanError(
          'bad_input',
          `"${shown}" has characters the PDF font cannot print: ${missing.map(describeCharacter).join(', ')}. Write them another way (for a name, as it is written on the debtor's identity document in common characters, or in pinyin) and try again.`,
        );
      }
    }
    return out;
  }

  private style(style: TextStyle): PDFKit.PDFDocument {
    return this.doc
      .font(style.weight ?? 'regular')
      .fontSize(style.size ?? 10)
      .fillColor(style.color ?? colors.text);
  }

  /** Starts a new page (unless nothing has been drawn on the current one and `force` is not set). */
  newPage(force = false): void {
    if (this.pageUsed || force) this.doc.addPage();
    this.doc.x = this.left;
    this.doc.y = this.margin;
  }

  /** Moves to a new page when less than `height` points are left on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  /** Vertical space. */
  space(points: number): void {
    this.doc.y = Math.min(this.doc.y + points, this.bottom);
  }

  /** The height `text` would take in the column (or in `width`). */
  heightOf(text: string, style: TextStyle = {}, width = this.width - (style.indent ?? 0)): number {
    return this.style(style).heightOfString(this.clean(text), { width });
  }

  /** A paragraph in the text column, breaking onto new pages as needed. */
  paragraph(text: string, style: TextStyle = {}): void {
    const clean = this.clean(text);
    const indent = style.indent ?? 0;
    const doc = this.style(style);
    this.ensureSpace(doc.currentLineHeight(true));
    this.pageUsed = true;
    doc.text(clean, this.left + indent, doc.y, {
      width: this.width - indent,
      align: style.align ?? 'left',
      lineGap: 1.5,
    });
    this.doc.x = this.left;
    this.space(style.after ?? (style.size ?? 10) * 0.6);
  }

  /** A heading, kept on one page with at least three lines of what follows. */
  heading(text: string, level: 1 | 2 | 3 = 1): void {
    const size = headingSizes[level];
    const before = level === 1 ? 0 : size * 0.6;
    this.ensureSpace(before + this.heightOf(text, { size, weight: 'bold' }) + 40);
    if (this.pageUsed) this.space(before);
    this.paragraph(text, { size, weight: 'bold', after: size * 0.45 });
  }

  /** A thin horizontal line across the column. */
  rule(color: string = colors.rule): void {
    this.ensureSpace(6);
    this.pageUsed = true;
    const y = this.doc.y + 2;
    this.doc
      .save()
      .moveTo(this.left, y)
      .lineTo(this.left + this.width, y)
      .lineWidth(0.6)
      .strokeColor(color)
      .stroke()
      .restore();
    this.doc.y = y + 5;
  }

  /**
   * A table over the column's width. A row that does not fit on the page starts the next one, where
   * the header is drawn again; a single cell longer than a page is cut with an ellipsis.
   */
  table(columns: TableColumn[], rows: string[][], options: TableOptions = {}): TableLayout {
    if (rows.length > limits.maxTableRows) {
      throw new HuikuanError(
        'limit_exceeded',
        `A table of ${rows.length} rows is longer than the ${limits.maxTableRows} a document table may have.`,
      );
    }
    const size = options.fontSize ?? 8.5;
    const pad = 3;
    const cellLineGap = 0.5;
    const total = columns.reduce((s, c) => s + (c.width ?? 1), 0);
    const widths = columns.map((c) => (this.width * (c.width ?? 1)) / total);
    const xs: number[] = [];
    let cursor = this.left;
    for (const w of widths) {
      xs.push(cursor);
      cursor += w;
    }
    const maxCell = this.bottom - this.margin - 40;
    const header = options.header !== false ? columns.map((c) => this.clean(c.header)) : null;
    const rowHeight = (cells: string[], bold: boolean[]): number => {
      let h = 0;
      for (let i = 0; i < columns.length; i++) {
        const cell = cells[i] ?? '';
        if (cell === '') continue;
        const cellHeight = this.doc
          .font(bold[i] ? 'bold' : 'regular')
          .fontSize(size)
          .heightOfString(cell, { width: (widths[i] ?? 0) - 2 * pad, lineGap: cellLineGap });
        h = Math.max(h, cellHeight);
      }
      return Math.min(h, maxCell) + 2 * pad;
    };
    const drawRow = (cells: string[], bold: boolean[], fill: string | null, height: number) => {
      const top = this.doc.y;
      this.pageUsed = true;
      if (fill !== null) this.doc.save().rect(this.left, top, this.width, height).fill(fill).restore();
      for (let i = 0; i < columns.length; i++) {
        const cell = cells[i] ?? '';
        if (cell === '') continue;
        this.doc
          .font(bold[i] ? 'bold' : 'regular')
          .fontSize(size)
          .fillColor(colors.text)
          .text(cell, (xs[i] ?? 0) + pad, top + pad, {
            width: (widths[i] ?? 0) - 2 * pad,
            // a little slack: the measured height must not cut the last line off
            height: height - 2 * pad + 1,
            ellipsis: true,
            align: columns[i]?.align ?? 'left',
            lineGap: cellLineGap,
          });
      }
      if (options.rules !== false) {
        this.doc
          .save()
          .moveTo(this.left, top + height)
          .lineTo(this.left + this.width, top + height)
          .lineWidth(0.4)
          .strokeColor(colors.rule)
          .stroke()
          .restore();
      }
      this.doc.x = this.left;
      this.doc.y = top + height;
    };
    const headerBold = columns.map(() => true);
    const headerHeight = header ? rowHeight(header, headerBold) : 0;
    const drawHeader = () => {
      if (header) drawRow(header, headerBold, colors.header, headerHeight);
    };
    const boldOf = (r: number) => columns.map((_, c) => options.bold?.(r, c) === true);
    const firstHeight = rows[0]
      ? rowHeight(
          rows[0].map((c) => this.clean(c)),
          boldOf(0),
        )
      : 0;
    this.ensureSpace(headerHeight + firstHeight);
    drawHeader();
    const layout: TableLayout = {
      rows: [],
      columns: columns.map((c, i) => ({ x: xs[i] ?? 0, width: widths[i] ?? 0, align: c.align ?? 'left' })),
    };
    rows.forEach((row, r) => {
      const cells = row.map((c) => this.clean(c));
      const bold = boldOf(r);
      const height = rowHeight(cells, bold);
      if (this.doc.y + height > this.bottom) {
        this.newPage(true);
        drawHeader();
      }
      layout.rows.push({ page: this.pageCount, top: this.doc.y, height });
      drawRow(cells, bold, null, height);
    });
    this.space(8);
    return layout;
  }

  /**
   * Writes one line into a cell of a table drawn earlier (on any page), e.g. the page numbers of a
   * print batch's cover, known only once the letters are drawn. Ends on the last page.
   */
  writeInto(layout: TableLayout, row: number, column: number, text: string, size = 8.5): void {
    const r = layout.rows[row];
    const c = layout.columns[column];
    if (r === undefined || c === undefined)
      throw new HuikuanError('internal', `No cell ${row}, ${column} in the table.`);
    const range = this.doc.bufferedPageRange();
    this.doc.switchToPage(r.page - 1);
    this.doc.font('regular').fontSize(size).fillColor(colors.text);
    placeText(this.doc, this.clean(text), c.x + 3, r.top + 3, { width: c.width - 6, align: c.align });
    this.doc.switchToPage(range.start + range.count - 1);
  }

  /** Charts side by side, `perRow` to a row, each `height` points high. */
  charts(specs: ChartSpec[], options: { perRow?: number; height?: number } = {}): void {
    const perRow = Math.max(1, options.perRow ?? 2);
    const height = options.height ?? 200;
    const gap = 12;
    const width = (this.width - gap * (perRow - 1)) / perRow;
    for (let i = 0; i < specs.length; i += perRow) {
      this.ensureSpace(height);
      this.pageUsed = true;
      const top = this.doc.y;
      specs.slice(i, i + perRow).forEach((spec, j) => {
        drawChart(this.doc, this.cleanChart(spec), {
          x: this.left + j * (width + gap),
          y: top,
          width,
          height,
        });
      });
      this.doc.x = this.left;
      this.doc.y = top + height + gap;
    }
  }

  private cleanChart(spec: ChartSpec): ChartSpec {
    const named = <T extends { name: string }>(items: T[]): T[] =>
      items.map((s) => ({ ...s, name: this.clean(s.name) }));
    return {
      ...spec,
      title: this.clean(spec.title),
      x: { ...spec.x, label: this.clean(spec.x.label) },
      y: { ...spec.y, label: this.clean(spec.y.label) },
      ...(spec.lines ? { lines: named(spec.lines) } : {}),
      ...(spec.bars ? { bars: { ...spec.bars, series: named(spec.bars.series) } } : {}),
    };
  }

  /**
   * Starts a section (one letter of a batch) on a fresh page; pages are numbered within it in the
   * footer's `section`. With `oddPage` (duplex printing) a blank page is put in first when needed so
   * the section starts on the front of a sheet.
   */
  startSection(name: string, options: { oddPage?: boolean } = {}): void {
    this.newPage();
    if (options.oddPage && this.pageCount % 2 === 0) {
      this.blankPages.add(this.pageCount);
      this.newPage(true);
    }
    this.sections.push({ name: this.clean(name), first: this.pageCount });
  }

  /** The 1-based first page and page count of each section, in order. */
  sectionPages(): Array<{ name: string; first: number; pages: number }> {
    return this.sections.map((s, i) => {
      const next = this.sections[i + 1]?.first ?? this.pageCount + 1;
      let pages = next - s.first;
      while (pages > 1 && this.blankPages.has(s.first + pages - 1)) pages--;
      return { name: s.name, first: s.first, pages };
    });
  }

  private pageInfo(page: number, spans: Array<{ name: string; first: number; pages: number }>): PageInfo {
    let section: PageInfo['section'] = null;
    for (const s of spans) {
      if (page >= s.first && page < s.first + s.pages)
        section = { name: s.name, page: page - s.first + 1, pages: s.pages };
    }
    return { page, pages: this.pageCount, section };
  }

  /** Writes the footers; after this the document can only be output. */
  private finish(): void {
    if (this.finished) throw new HuikuanError('internal', 'This PDF has already been written out.');
    this.finished = true;
    const footer = this.options.footer ?? ((p: PageInfo) => `${p.page} / ${p.pages}`);
    const spans = this.sectionPages();
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      const page = i + 1;
      if (this.blankPages.has(page)) continue;
      const text = footer(this.pageInfo(page, spans));
      if (text === '') continue;
      this.doc.switchToPage(i);
      // the footer sits in the bottom margin: lift the margin so pdfkit does not start a new page
      const bottom = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      this.doc.font('regular').fontSize(8).fillColor(colors.muted);
      placeText(this.doc, this.clean(text), this.left, a4.height - this.margin / 2 - 4, {
        width: this.width,
        align: 'center',
      });
      this.doc.page.margins.bottom = bottom;
    }
  }

  /** The finished PDF in memory. */
  async toBuffer(): Promise<Buffer> {
    this.finish();
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      this.doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
    });
    this.doc.end();
    return done;
  }

  /**
   * Streams the finished PDF to `file`: written beside it under a temporary name and renamed, so a
   * reader never sees half a file.
   */
  async writeFile(file: string): Promise<void> {
    this.finish();
    const temporary = `${file}.${process.pid}.tmp`;
    const done = pipeline(this.doc, createWriteStream(temporary));
    this.doc.end();
    try {
      await done;
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new HuikuanError(
        'bad_file',
        `Cannot write the PDF to ${file}: ${(error as Error).message}. Check that the folder exists and is writable.`,
      );
    }
  }
}

export { colors as documentColors };
