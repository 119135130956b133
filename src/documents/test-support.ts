/**
 * Reading Huikuan's PDFs back in tests (not a test file itself): the text of each page through
 * Mozilla's pdf.js — an extractor independent of pdfkit, which maps the embedded font's glyphs back
 * to characters by its ToUnicode map — the metadata, the page size, and the glyph codes drawn, so a
 * test can prove no character fell back to the font's empty .notdef glyph.
 */
import { inflateSync } from 'node:zlib';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface ReadPdf {
  /** Each page's text, items joined with spaces in the order they were drawn (pdf.js splits a line into runs). */
  pages: string[];
  /**
   * Each page's lines as they stand on the page, top to bottom, each line's runs left to right —
   * text written later into a place (the page numbers of a batch's cover) lands in its line.
   */
  lines: string[][];
  /** The document information dictionary (Title, Author, Subject, Keywords, CreationDate …). */
  info: Record<string, unknown>;
  /** Each page's width and height in points. */
  sizes: Array<[number, number]>;
}

export async function readPdf(bytes: Buffer): Promise<ReadPdf> {
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    const pages: string[] = [];
    const lines: string[][] = [];
    const sizes: Array<[number, number]> = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const runs: Array<{ text: string; x: number; y: number }> = [];
      for (const item of content.items) {
        if ('str' in item && item.str.trim() !== '') {
          runs.push({ text: item.str, x: item.transform[4] ?? 0, y: item.transform[5] ?? 0 });
        }
      }
      pages.push(runs.map((r) => r.text).join(' '));
      const placed = [...runs].sort((a, b) => b.y - a.y || a.x - b.x);
      const pageLines: Array<{ y: number; runs: typeof runs }> = [];
      for (const run of placed) {
        const line = pageLines.find((l) => Math.abs(l.y - run.y) < 2);
        if (line) line.runs.push(run);
        else pageLines.push({ y: run.y, runs: [run] });
      }
      lines.push(
        pageLines.map((l) =>
          l.runs
            .sort((a, b) => a.x - b.x)
            .map((r) => r.text)
            .join(' '),
        ),
      );
      const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = page.view;
      sizes.push([Math.round((x1 - x0) * 100) / 100, Math.round((y1 - y0) * 100) / 100]);
    }
    const metadata = await doc.getMetadata();
    return { pages, lines, info: metadata.info as Record<string, unknown>, sizes };
  } finally {
    await task.destroy();
  }
}

/** Whitespace removed: pdf.js may split or join runs at different places than they were written. */
export const squeeze = (text: string) => text.replace(/\s+/g, '');

/** The parts not found in `text`, whitespace aside: `expect(missingFrom(text, parts)).toEqual([])` names them all. */
export function missingFrom(text: string, parts: string[]): string[] {
  const haystack = squeeze(text);
  return parts.filter((part) => !haystack.includes(squeeze(part)));
}

/** The decompressed content of every Flate stream in the file (pdfkit compresses page contents). */
export function inflatedStreams(bytes: Buffer): string[] {
  const out: string[] = [];
  const text = bytes.toString('latin1');
  const pattern = /stream\r?\n/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    try {
      out.push(inflateSync(bytes.subarray(start, end)).toString('latin1'));
    } catch {
      // not a Flate stream (or not one on its own): skip it
    }
    pattern.lastIndex = end;
  }
  return out;
}

/**
 * The glyph codes shown by the text operators (TJ) of all page contents: pdfkit writes each as four
 * hex digits of the font subset's glyph id, and id 0 is .notdef — a character the font lacks.
 */
export function shownGlyphCodes(bytes: Buffer): string[] {
  const codes: string[] = [];
  for (const stream of inflatedStreams(bytes)) {
    for (const array of stream.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      for (const hex of (array[1] ?? '').matchAll(/<([0-9a-fA-F]*)>/g)) {
        const digits = hex[1] ?? '';
        for (let i = 0; i + 4 <= digits.length; i += 4) codes.push(digits.slice(i, i + 4));
      }
    }
  }
  return codes;
}
