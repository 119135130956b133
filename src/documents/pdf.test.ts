import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChartSpec, niceTicks } from './charts.ts';
import { missingCharacters } from './fonts.ts';
import { type PdfOptions, PdfWriter } from './pdf.ts';
import { inflatedStreams, missingFrom, readPdf, shownGlyphCodes, squeeze } from './test-support.ts';

const fixed = new Date('2025-03-14T08:00:00Z');
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-pdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writer = (more: Partial<PdfOptions> = {}) =>
  new PdfWriter({ title: '催收报告 Collections report', creationDate: fixed, ...more });

describe('the PDF font', () => {
  it('draws Chinese beyond GB2312 (喆 堃 頔) and reports what it lacks', () => {
    expect(missingCharacters('张喆 王堃 李頔 ¥12,345.67 “引号”，。')).toEqual([]);
    // 𠮷 (Extension B) and emoji are not in the font
    expect(missingCharacters('吉𠮷😀吉')).toEqual(['𠮷', '😀']);
    // line breaks are not drawn
    expect(missingCharacters('第一行\n第二行\r\n')).toEqual([]);
  });
});

describe('PdfWriter', () => {
  it('writes Chinese and English that a PDF reader extracts back exactly, in the embedded font, on A4', async () => {
    const pdf = writer({
      author: '华信资产管理有限公司',
      subject: '测试',
      keywords: ['催收', 'PDF'],
      lang: 'zh-CN',
    });
    pdf.heading('逾期还款通知 Overdue notice', 1);
    pdf.paragraph('尊敬的张喆先生：截至2025年3月14日，您尚欠人民币 ¥12,345.67 元。Please call us.');
    pdf.table(
      [
        { header: '项目 item', width: 2 },
        { header: '金额 amount', align: 'right' },
      ],
      [
        ['本金 principal', '¥10,000.00'],
        ['利息 interest', '¥2,345.67'],
      ],
    );
    const bytes = await pdf.toBuffer();
    const read = await readPdf(bytes);
    expect(read.pages).toHaveLength(1);
    expect(read.sizes).toEqual([[595.28, 841.89]]);
    const text = squeeze(read.pages[0] ?? '');
    expect(
      missingFrom(text, [
        '逾期还款通知 Overdue notice',
        '尊敬的张喆先生：截至2025年3月14日，您尚欠人民币 ¥12,345.67 元。Please call us.',
        '项目 item',
        '本金 principal',
        '¥10,000.00',
        '利息 interest',
        '1 / 1',
      ]),
    ).toEqual([]);
    expect(read.info).toMatchObject({
      Title: '催收报告 Collections report',
      Author: '华信资产管理有限公司',
      Subject: '测试',
      Keywords: '催收, PDF',
      Creator: 'Huikuan',
      Language: 'zh-CN',
      CreationDate: 'D:20250314080000Z',
    });
    // the font is embedded as a subset (FontFile3, CFF) and no character fell back to .notdef
    const raw = bytes.toString('latin1');
    expect(raw).toMatch(/\/FontName \/[A-Z]{6}\+NotoSansHans-Regular/);
    expect(raw).toMatch(/\/FontName \/[A-Z]{6}\+NotoSansHans-Bold/);
    expect(raw).toContain('/FontFile3');
    const codes = shownGlyphCodes(bytes);
    expect(codes.length).toBeGreaterThan(50);
    expect(codes).not.toContain('0000');
  });

  it('shows a character the font lacks as .notdef — which the glyph check catches — and refuses it in text', async () => {
    // drawn past the writer's checks, straight through pdfkit: the glyph check must see it
    const pdf = writer();
    pdf.doc.font('regular').text('吉𠮷', 56, 100);
    const codes = shownGlyphCodes(await pdf.toBuffer());
    expect(codes).toContain('0000');
    // through the writer it is refused, naming the character
    await expect(async () => writer().paragraph('王𠮷')).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('characters the PDF font cannot print: 𠮷 (U+20BB7).'),
    });
    // or, for reports of arbitrary data, replaced by a visible box
    const replacing = writer({ missingGlyphs: 'replace' });
    replacing.paragraph('王𠮷😀');
    const bytes = await replacing.toBuffer();
    expect(squeeze((await readPdf(bytes)).pages[0] ?? '')).toContain('王□□');
    expect(shownGlyphCodes(bytes)).not.toContain('0000');
  });

  it('is byte-identical for the same content and creation date', async () => {
    const make = async (date: Date) => {
      const pdf = writer({ creationDate: date });
      pdf.heading('标题', 2);
      pdf.paragraph('同样的内容 same content');
      return pdf.toBuffer();
    };
    const [a, b, c] = await Promise.all([make(fixed), make(fixed), make(new Date('2025-03-15T08:00:00Z'))]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('breaks a long table across pages with the header on each, keeps every cell whole, and numbers the pages', async () => {
    const pdf = writer({ footer: (p) => `第 ${p.page} 页，共 ${p.pages} 页` });
    const rows = Array.from({ length: 120 }, (_, i) => [
      `账户 A-${String(i).padStart(3, '0')}`,
      i === 7
        ? '一段很长的说明文字，会在单元格里换行 a long note that wraps onto several lines in its cell'
        : `备注 ${i}`,
      `¥${i}.00`,
    ]);
    pdf.table(
      [
        { header: '账户编号 account', width: 1.2 },
        { header: '说明 note', width: 1.5 },
        { header: '金额 amount', align: 'right' },
      ],
      rows,
    );
    const read = await readPdf(await pdf.toBuffer());
    expect(read.pages.length).toBeGreaterThanOrEqual(3);
    const all = squeeze(read.pages.join(' '));
    for (const row of rows) for (const cell of row) expect(all).toContain(squeeze(cell));
    read.pages.forEach((page, i) => {
      expect(squeeze(page)).toContain('账户编号account');
      expect(squeeze(page)).toContain(`第${i + 1}页，共${read.pages.length}页`);
    });
    // rows in order, none twice
    const seen = all.match(/账户A-\d{3}/g) ?? [];
    expect(seen).toEqual(rows.map((r) => squeeze(r[0] ?? '')));
  });

  it('draws line and bar charts as vector paths with their titles, ticks and legends', async () => {
    const roc: ChartSpec = {
      title: 'ROC 曲线',
      x: { range: [0, 1], label: '假阳性率', ticks: niceTicks(0, 1, 5) },
      y: { range: [0, 1], label: '真阳性率', ticks: niceTicks(0, 1, 5) },
      lines: [
        {
          name: '模型',
          color: '#1f6feb',
          points: [
            [0, 0],
            [0.1, 0.5],
            [0.4, 0.85],
            [1, 1],
          ],
        },
      ],
    };
    const bars: ChartSpec = {
      title: '分数分布',
      x: { range: [300, 700], label: 'score', ticks: niceTicks(300, 700, 4) },
      y: { range: [0, 0.5], label: 'share', ticks: niceTicks(0, 0.5, 5), format: (v) => `${v * 100}%` },
      bars: {
        series: [
          { name: '还款', color: '#1a7f37' },
          { name: '未还款', color: '#d1242f' },
        ],
        groups: [
          { from: 300, to: 400, values: [0.1, 0.4] },
          { from: 400, to: 500, values: [0.2, 0.3] },
          { from: 500, to: 600, values: [0.3, 0.2] },
          { from: 600, to: 700, values: [0.4, 0.1] },
        ],
      },
    };
    const pdf = writer();
    pdf.charts([roc, bars]);
    const bytes = await pdf.toBuffer();
    const text = squeeze((await readPdf(bytes)).pages[0] ?? '');
    expect(
      missingFrom(text, [
        'ROC曲线',
        '假阳性率',
        '真阳性率',
        '模型',
        '分数分布',
        '还款',
        '未还款',
        '0.8',
        '40%',
        '600',
      ]),
    ).toEqual([]);
    const content = inflatedStreams(bytes).join('\n');
    // the ROC polyline: one moveto and three linetos in a row
    expect(content).toMatch(/[\d.]+ [\d.]+ m\n[\d.]+ [\d.]+ l\n[\d.]+ [\d.]+ l\n[\d.]+ [\d.]+ l\n/);
    // the rectangles: eight bars, two frames, two clips and three legend squares
    expect((content.match(/ re\n/g) ?? []).length).toBe(8 + 2 + 2 + 3);
  });

  it('starts sections on new pages, on the front of a sheet for duplex, and numbers pages within each', async () => {
    const pdf = writer({
      footer: (p) =>
        p.section ? `${p.section.name} ${p.section.page}/${p.section.pages}` : `cover ${p.page}`,
    });
    pdf.paragraph('封面 cover');
    pdf.startSection('甲', { oddPage: true }); // page 2 is left blank, 甲 starts on page 3
    for (let i = 0; i < 70; i++) pdf.paragraph(`甲的第 ${i + 1} 段`); // three pages: 3–5
    pdf.startSection('乙', { oddPage: true }); // page 6 blank, 乙 on page 7
    pdf.paragraph('乙的正文');
    expect(pdf.sectionPages()).toEqual([
      { name: '甲', first: 3, pages: 3 },
      { name: '乙', first: 7, pages: 1 },
    ]);
    const read = await readPdf(await pdf.toBuffer());
    expect(read.pages.map((p) => squeeze(p).replace(/^.*?(?=(cover|甲|乙)\d*\/?\d*$)/, ''))).toEqual([
      'cover1',
      '',
      '甲1/3',
      '甲2/3',
      '甲3/3',
      '',
      '乙1/1',
    ]);
    expect(squeeze(read.pages[2] ?? '')).toMatch(/^甲的第1段/);
    expect(squeeze(read.pages[6] ?? '')).toBe('乙的正文乙1/1');
  });

  it('keeps to its limits', async () => {
    const short = writer({ maxPages: 2 });
    await expect(async () => {
      for (let i = 0; i < 200; i++) short.paragraph(`第 ${i} 段`);
    }).rejects.toMatchObject({ code: 'limit_exceeded', message: expect.stringMatching(/past 2 pages/) });
    await expect(async () => writer().paragraph('长'.repeat(20_001))).rejects.toMatchObject({
      code: 'limit_exceeded',
    });
  });

  it('streams to a file through a temporary name, and reports a folder it cannot write', async () => {
    const pdf = writer();
    pdf.paragraph('写入文件 to file');
    const file = path.join(dir, 'out.pdf');
    await pdf.writeFile(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    expect(squeeze((await readPdf(readFileSync(file))).pages[0] ?? '')).toContain('写入文件tofile');
    expect(readdirSync(dir)).toEqual(['out.pdf']);
    const missing = path.join(dir, 'no-such-folder', 'out.pdf');
    const bad = writer();
    bad.paragraph('x');
    await expect(bad.writeFile(missing)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/^Cannot write the PDF to .*out\.pdf: .*Check that the folder exists/),
    });
    expect(existsSync(path.dirname(missing))).toBe(false);
  });
});
