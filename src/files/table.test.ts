import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { HuikuanError } from '../shared/errors.ts';
import { scanCsvText } from './csv.ts';
import { writeErrorCsv } from './error-report.ts';
import { type ColumnSpec, csvChunks, numberText, openTable, parseCsvText, type TableRow } from './table.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const columns: ColumnSpec[] = [
  { name: 'client_account_ref', aliases: ['客户账号', '案件编号'], required: true },
  { name: 'debtor_name', aliases: ['姓名', '债务人'], required: true },
  { name: 'principal', aliases: ['本金'], required: true },
  { name: 'notes', aliases: ['备注'], required: false },
];

let counter = 0;
function file(content: string | Buffer, extension = 'csv'): string {
  const target = path.join(dir, `f${++counter}.${extension}`);
  writeFileSync(target, content);
  return target;
}

async function readAll(filePath: string, specs = columns) {
  const { info, rows } = await openTable(filePath, specs);
  const out: TableRow[] = [];
  for await (const row of rows) out.push(row);
  return { info, rows: out };
}

async function refusal(filePath: string, specs = columns): Promise<HuikuanError> {
  try {
    await readAll(filePath, specs);
  } catch (error) {
    expect(error).toBeInstanceOf(HuikuanError);
    return error as HuikuanError;
  }
  throw new Error('expected the file to be refused');
}

const chinese = '客户账号,姓名,本金,备注\nA1,张三,"12,345.67",第一行\n\nA2, 李四 ,500,\n';

describe('openTable: CSV encodings', () => {
  it('reads UTF-8 with Chinese headers, trims cells, skips blank lines and numbers rows as a spreadsheet does', async () => {
    const { info, rows } = await readAll(file(chinese));
    expect(info.format).toBe('csv');
    expect(info.encoding).toBe('utf-8');
    expect(info.mapped).toEqual({
      客户账号: 'client_account_ref',
      姓名: 'debtor_name',
      本金: 'principal',
      备注: 'notes',
    });
    expect(rows).toEqual([
      {
        row: 2,
        values: { client_account_ref: 'A1', debtor_name: '张三', principal: '12,345.67', notes: '第一行' },
      },
      { row: 4, values: { client_account_ref: 'A2', debtor_name: '李四', principal: '500', notes: '' } },
    ]);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.byteSize).toBe(Buffer.byteLength(chinese));
  });

  it('reads UTF-8 with a BOM', async () => {
    const { info, rows } = await readAll(
      file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(chinese)])),
    );
    expect(info.encoding).toBe('utf-8-bom');
    expect(info.headers[0]).toBe('客户账号');
    expect(rows[0]?.values.debtor_name).toBe('张三');
  });

  it('reads GB18030/GBK as Excel in China saves it', async () => {
    const { info, rows } = await readAll(file(iconv.encode(chinese, 'gb18030')));
    expect(info.encoding).toBe('gb18030');
    expect(rows.map((row) => row.values.debtor_name)).toEqual(['张三', '李四']);
    expect(rows[0]?.values.notes).toBe('第一行');
  });

  it('maps English headers case-insensitively with spaces or underscores, and lists unknown headers', async () => {
    const { info, rows } = await readAll(
      file('Client Account Ref,DEBTOR_NAME,Principal,Colour\nX,Y,1,red\n'),
    );
    expect(info.mapped).toEqual({
      'Client Account Ref': 'client_account_ref',
      DEBTOR_NAME: 'debtor_name',
      Principal: 'principal',
    });
    expect(info.unknownHeaders).toEqual(['Colour']);
    expect(rows[0]?.values).toEqual({ client_account_ref: 'X', debtor_name: 'Y', principal: '1', notes: '' });
  });

  it('keeps quoted commas and newlines inside cells', async () => {
    const { rows } = await readAll(
      file('client_account_ref,debtor_name,principal,notes\nA,"Li, Si","1,000","two\nlines"\nB,C,2,\n'),
    );
    expect(rows[0]?.values.notes).toBe('two\nlines');
    expect(rows[1]?.row).toBe(3);
  });
});

describe('openTable: refusals', () => {
  it('refuses an empty file', async () => {
    const error = await refusal(file(''));
    expect(error.code).toBe('bad_file');
    expect(error.message).toMatch(/empty/);
  });

  it('refuses a binary file', async () => {
    const error = await refusal(file(Buffer.from([0x41, 0x42, 0x00, 0x01, 0x02, 0xff, 0x0a])));
    expect(error.code).toBe('bad_file');
    expect(error.message).toMatch(/not a text file/);
  });

  it('refuses a file in neither UTF-8 nor GB18030', async () => {
    const error = await refusal(file(Buffer.from('ref,name,principal\nA,\xff\xff\x80,1\n', 'latin1')));
    expect(error.code).toBe('bad_file');
    expect(error.message).toMatch(/neither UTF-8 nor GB18030/);
  });

  it('refuses UTF-16 and old .xls files with what to do', async () => {
    expect((await refusal(file(iconv.encode('\uFEFFref,name\n', 'utf16-le')))).message).toMatch(/UTF-16/);
    expect(
      (await refusal(file(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), 'xls'))).message,
    ).toMatch(/\.xls/);
  });

  it('refuses a file without a header row', async () => {
    const error = await refusal(file('1,2,3\n4,5,6\n'));
    expect(error.code).toBe('bad_file');
    expect(error.message).toMatch(/no header row/);
    expect((await refusal(file('\n\n\n'))).message).toMatch(/no header row/);
  });

  it('names every missing required column in both languages', async () => {
    const error = await refusal(file('姓名,备注\n张三,x\n'));
    expect(error.code).toBe('bad_file');
    expect(error.message).toContain('client_account_ref (客户账号 / 案件编号)');
    expect(error.message).toContain('principal (本金)');
    expect(error.message).not.toContain('debtor_name');
  });

  it('refuses two columns meaning the same thing', async () => {
    expect((await refusal(file('客户账号,案件编号,姓名,本金\n'))).message).toMatch(
      /both mean client_account_ref/,
    );
  });

  it('refuses a file over the size limit', async () => {
    const big = file(chinese);
    await expect(openTable(big, columns, { maxBytes: 10 })).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/over the limit/),
    });
  });
});

describe('openTable: XLSX', () => {
  it('reads the first worksheet, turning dates and numbers into text without float noise', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('委案');
    sheet.addRow(['客户账号', '姓名', '本金', '备注', '逾期日期']);
    sheet.addRow(['A1', '张三', 12345.67, 0.1 + 0.2, new Date(Date.UTC(2026, 2, 1))]);
    sheet.addRow([10001, { richText: [{ text: '李' }, { text: '四' }] }, 100, null, '2026/3/1']);
    sheet.getCell('E2').numFmt = 'yyyy-mm-dd';
    workbook.addWorksheet('other').addRow(['ignored']);
    const target = path.join(dir, 'book.xlsx');
    await workbook.xlsx.writeFile(target);
    const specs = [...columns, { name: 'delinquency_date', aliases: ['逾期日期'], required: false }];
    const { info, rows } = await readAll(target, specs);
    expect(info.format).toBe('xlsx');
    expect(info.encoding).toBeNull();
    expect(rows).toEqual([
      {
        row: 2,
        values: {
          client_account_ref: 'A1',
          debtor_name: '张三',
          principal: '12345.67',
          notes: '0.3',
          delinquency_date: '2026-03-01',
        },
      },
      {
        row: 3,
        values: {
          client_account_ref: '10001',
          debtor_name: '李四',
          principal: '100',
          notes: '',
          delinquency_date: '2026/3/1',
        },
      },
    ]);
  });

  it('refuses a damaged workbook', async () => {
    const error = await refusal(file(Buffer.from('PK\u0003\u0004 this is not really a zip'), 'xlsx'));
    expect(error.code).toBe('bad_file');
  });

  it('writes numbers as Excel shows them', () => {
    expect(numberText(12345.67)).toBe('12345.67');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(13812345678)).toBe('13812345678');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(0.0000001)).toBe('0.0000001');
  });
});

describe('writeErrorCsv', () => {
  it('writes a BOM-prefixed CSV beside the input and removes it when there are no errors', async () => {
    const input = file('x');
    const written = await writeErrorCsv(input, [
      { row: 2, column: 'principal', reason: '"12.345" has 3 decimals, CNY has 2' },
      { row: 3, column: 'debtor_name', reason: '=cmd' },
    ]);
    expect(written).toBe(`${input}.errors.csv`);
    const text = readFileSync(`${input}.errors.csv`, 'utf8');
    expect(text.startsWith('\uFEFFrow,column,reason\r\n')).toBe(true);
    expect(text).toContain('2,principal,"""12.345"" has 3 decimals, CNY has 2"');
    expect(text).toContain(`3,debtor_name,"'=cmd"`);
    expect(await writeErrorCsv(input, [])).toBeNull();
    expect(existsSync(`${input}.errors.csv`)).toBe(false);
  });
});

describe('parseCsvText', () => {
  const serialise = (records: string[][], newline: string) =>
    records
      .map((cells) =>
        cells
          .map((cell) => (/[",\r\n]/.test(cell) || cell === '' ? `"${cell.replaceAll('"', '""')}"` : cell))
          .join(','),
      )
      .join(newline);

  it('reads back any records however the text is split into chunks', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', 'b', '张', ',', '"', '\n', '\r', ' ', '1'),
      maxLength: 8,
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (records, newline, cuts, trailingNewline) => {
          const text = serialise(records, newline) + (trailingNewline ? newline : '');
          const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
          const state = { row: 0 };
          const out: string[][] = [];
          let carry = '';
          let previous = 0;
          for (const point of points) {
            const chunk = carry + text.slice(previous, point);
            previous = point;
            const parsed = parseCsvText(chunk, false, state);
            carry = chunk.slice(parsed.consumed);
            out.push(...parsed.records.map((record) => record.cells));
          }
          const rest = carry + text.slice(previous);
          if (rest.length > 0)
            out.push(...parseCsvText(rest, true, state).records.map((record) => record.cells));
          expect(out).toEqual(records);
          expect(state.row).toBe(records.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('scanCsvText stops where parseCsvText stops and counts the records it reads, on any text', () => {
    // raw text, not serialised records: stray quotes, lone CRs, commas at the end, unclosed quotes
    const text = fc.string({ unit: fc.constantFrom('a', '张', ',', '"', '\n', '\r', ' '), maxLength: 40 });
    fc.assert(
      fc.property(text, fc.boolean(), (raw, final) => {
        let expected: { records: number; consumed: number } | { error: string };
        try {
          const parsed = parseCsvText(raw, final, { row: 0 });
          expected = { records: parsed.records.length, consumed: parsed.consumed };
        } catch (error) {
          expected = { error: (error as Error).message };
        }
        let scanned: { records: number; consumed: number } | { error: string };
        try {
          scanned = scanCsvText(raw, final);
        } catch (error) {
          scanned = { error: (error as Error).message };
        }
        expect(scanned).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('hands out whole records in chunks that parse to the records of the whole file, numbered alike', async () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', '张', ',', '"', '\n', '\r', ' ', '1'),
      maxLength: 12,
    });
    let file = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 64 }),
        async (records, newline, skip, chunkBytes) => {
          const text = serialise(records, newline) + newline;
          const target = path.join(dir, `chunks-${++file}.csv`);
          writeFileSync(target, text);
          const whole = parseCsvText(text, true, { row: 0 }).records.slice(skip);
          const out: Array<{ row: number; cells: string[] }> = [];
          let expectedFirst = skip + 1;
          for await (const chunk of csvChunks(target, 'utf-8', skip, chunkBytes)) {
            expect(chunk.firstRecord).toBe(expectedFirst);
            const parsed = parseCsvText(chunk.text, true, { row: chunk.firstRecord - 1 }).records;
            expect(parsed.length).toBe(chunk.records);
            expectedFirst += chunk.records;
            out.push(...parsed);
          }
          expect(out).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is lenient with stray quotes and lone CRs, and refuses an unclosed quote', () => {
    expect(parseCsvText('a,b"c,"d"e\rx', true, { row: 0 }).records.map((r) => r.cells)).toEqual([
      ['a', 'b"c', 'de'],
      ['x'],
    ]);
    expect(() => parseCsvText('a,"open\n', true, { row: 0 })).toThrow(/never closed/);
  });
});

describe('openTable: large files', () => {
  it('detects UTF-8 when multi-byte characters straddle the read chunks', async () => {
    const line = 'A,张三丰,1\n';
    const body = line.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(line)));
    const { info, rows } = await readAll(file(`client_account_ref,debtor_name,principal\n${body}`));
    expect(info.encoding).toBe('utf-8');
    expect(rows.every((row) => row.values.debtor_name === '张三丰')).toBe(true);
    expect(rows.at(-1)?.row).toBe(rows.length + 1);
  });
});
