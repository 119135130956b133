/**
 * The font every Huikuan PDF embeds: Noto Sans Hans (Noto Sans S Chinese, Adobe and Google, SIL Open
 * Font License 1.1), as the npm package `@embedpdf/fonts-sc` ships it — one OpenType (CFF) file a
 * weight with 30,789 characters: Latin, punctuation and the whole CJK Unified Ideographs block
 * (20,945 hanzi, far past GB2312's 6,763), so names such as 喆, 堃 or 頔 render. pdfkit embeds only
 * the glyphs a document uses (a subset) with a ToUnicode map, so text can be searched and copied.
 *
 * The files are read once per process and kept (about 17 MB for the two weights).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';
import { HuikuanError } from '../shared/errors.ts';

export type FontWeight = 'regular' | 'bold';

const files: Record<FontWeight, string> = {
  regular: 'NotoSansHans-Regular.otf',
  bold: 'NotoSansHans-Bold.otf',
};

const cache = new Map<FontWeight, Buffer>();
let coverage: fontkit.Font | null = null;

function fontDirectory(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // the package exports only its entry (dist/index.*); the fonts are in fonts/ beside dist/
    entry = require.resolve('@embedpdf/fonts-sc');
  } catch (error) {
    throw new HuikuanError(
      'internal',
      `The PDF font package @embedpdf/fonts-sc is not installed (${(error as Error).message}). Run npm install.`,
    );
  }
  return path.join(path.dirname(entry), '..', 'fonts');
}

/** The bytes of one weight of the font, read once. */
export function fontBytes(weight: FontWeight): Buffer {
  let bytes = cache.get(weight);
  if (bytes === undefined) {
    const file = path.join(fontDirectory(), files[weight]);
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new HuikuanError(
        'internal',
        `Cannot read the PDF font ${file}: ${(error as Error).message}. Reinstall with npm install.`,
      );
    }
    cache.set(weight, bytes);
  }
  return bytes;
}

function coverageFont(): fontkit.Font {
  if (coverage === null) {
    const opened = fontkit.create(fontBytes('regular'));
    if (!('hasGlyphForCodePoint' in opened)) {
      throw new HuikuanError(
        'internal',
        'The PDF font is a collection, not one font. Reinstall with npm install.',
      );
    }
    coverage = opened;
  }
  return coverage;
}

/**
 * The characters of `text` that the font cannot draw (each once, in order of appearance); line
 * breaks and other control characters are not drawn and are not listed.
 */
export function missingCharacters(text: string): string[] {
  const font = coverageFont();
  const missing: string[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
    if (!font.hasGlyphForCodePoint(code) && !missing.includes(ch)) missing.push(ch);
  }
  return missing;
}

/** `𠮷 (U+20BB7)` — how an error message names a character. */
export function describeCharacter(ch: string): string {
  const code = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `${ch} (U+${code})`;
}
