import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountDetail, findLiveAccount, revealIdNumber, searchDebtors } from '../accounts/service.ts';
import { idCheckCharacter } from '../accounts/validate.ts';
import { main } from '../cli/main.ts';
import { addClient } from '../clients/service.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  approveBatch,
  type ImportResult,
  importPlacements,
  listBatches,
  rejectBatch,
  showBatch,
} from './service.ts';

let t: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-placements-'));

beforeAll(async () => {
  t = await testDatabase();
  await addClient(t.db, { code: 'BANK', name: 'Bank' }, 'admin');
  await addClient(
    t.db,
    { code: 'USCO', name: 'US Co', terms: { currency: 'USD', jurisdiction: 'US' } },
    'admin',
  );
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A valid PRC ID number from 17 digits. */
function id(first17: string): string {
  return `${first17}${idCheckCharacter(first17)}`;
}
const idA = id('11010519491231002');
const idB = id('31010419800101123');

let counter = 0;
function csv(lines: string[], encoding: 'utf8' | 'bom' | 'gb18030' = 'utf8'): string {
  const target = path.join(dir, `p${++counter}.csv`);
  const text = `${lines.join('\n')}\n`;
  if (encoding === 'gb18030') writeFileSync(target, iconv.encode(text, 'gb18030'));
  else writeFileSync(target, encoding === 'bom' ? `\uFEFF${text}` : text);
  return target;
}

const english =
  'client_account_ref,debtor_name,debtor_id_number,phone_1,phone_2,email,principal,interest,fees,penalty,total_due,delinquency_date,product_type,currency';
const chinese =
  '案件编号,债务人,证件号码,手机号,联系电话,邮箱,本金,利息,费用,罚息,欠款总额,首次逾期日,产品类型,币种';

async function run(file: string, user = 'alice', client = 'BANK'): Promise<ImportResult> {
  return importPlacements(t, { filePath: file, clientCode: client, user });
}

async function counts() {
  const row = await sql<{
    batches: number;
    rows: number;
    accounts: number;
    debtors: number;
    entries: number;
  }>`
    SELECT (SELECT count(*) FROM placement_batches)::int AS batches,
           (SELECT count(*) FROM placement_rows)::int AS rows,
           (SELECT count(*) FROM accounts)::int AS accounts,
           (SELECT count(*) FROM debtors)::int AS debtors,
           (SELECT count(*) FROM journal_entries)::int AS entries`.execute(t.db);
  return row.rows[0];
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const previous = process.env.DATABASE_URL;
  process.env.DATABASE_URL = t.url;
  try {
    const code = await main(argv, {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      interactive: false,
    });
    return { code, stdout, stderr };
  } finally {
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
  }
}

describe('import placements: values', () => {
  it('accepts every amount and date form, with Chinese headers in GB18030, and leaves a batch pending', async () => {
    const file = csv(
      [
        chinese,
        `C-1,张三,${idA},138 1234 5678,010-12345678,zs@example.com,"12,345.67",100,0.5,0,"¥12,446.17",2025-03-01,信用卡,`,
        'C-2,李四,,,,,￥500,,,,,2025/3/1,personal_loan,人民币',
        'C-3,王五,,+86 139-0000-0000,,,"¥1,000.00",,,,,2025年3月1日,,CNY',
        'C-4,赵六,,,,,"RMB 7",,,,,20250301,,',
      ],
      'gb18030',
    );
    const result = await run(file);
    expect(result).toMatchObject({
      already_imported: false,
      status: 'pending_approval',
      encoding: 'gb18030',
      rows: 4,
      accepted: 4,
      rejected: 0,
      duplicates: 0,
      errors: [],
      error_file: null,
    });
    expect(result.totals).toEqual([
      { currency: 'CNY', accounts: 4, placed_total_minor: 1244617n + 50000n + 100000n + 700n },
    ]);
    const staged = await t.db
      .selectFrom('placement_rows')
      .select([
        'row_number',
        'principal_minor',
        'fees_minor',
        'delinquency_date',
        'product_type',
        'phone_2_masked',
      ])
      .where('batch_id', '=', result.batch_id ?? 0n)
      .orderBy('row_number')
      .execute();
    expect(staged).toEqual([
      {
        row_number: 2,
        principal_minor: 1234567n,
        fees_minor: 50n,
        delinquency_date: '2025-03-01',
        product_type: 'credit_card',
        phone_2_masked: '+86 101***5678',
      },
      {
        row_number: 3,
        principal_minor: 50000n,
        fees_minor: 0n,
        delinquency_date: '2025-03-01',
        product_type: 'personal_loan',
        phone_2_masked: null,
      },
      {
        row_number: 4,
        principal_minor: 100000n,
        fees_minor: 0n,
        delinquency_date: '2025-03-01',
        product_type: null,
        phone_2_masked: null,
      },
      {
        row_number: 5,
        principal_minor: 700n,
        fees_minor: 0n,
        delinquency_date: '2025-03-01',
        product_type: null,
        phone_2_masked: null,
      },
    ]);
    await rejectBatch(t.db, result.batch_id ?? 0n, 'bob', 'test data');
  });

  it('reports each bad value with row, column and reason, writes an error CSV, and takes only the good rows', async () => {
    const badId = `${idA.slice(0, 17)}${idA[17] === '0' ? '1' : '0'}`;
    const file = csv(
      [
        english,
        'G-1,Good,,,,,100,,,,,2025-01-01,,',
        'B-1,Bad amount,,,,,12.345,,,,,2025-01-01,,',
        'B-2,Exponent,,,,,1e4,,,,,2025-01-01,,',
        'B-3,Negative,,,,,-5,,,,,2025-01-01,,',
        'B-4,Bad date,,,,,1,,,,,2025-02-30,,',
        'B-5,Worse date,,,,,1,,,,,01/02/2025,,',
        `B-6,Bad ID,${badId},,,,1,,,,,2025-01-01,,`,
        'B-7,Bad total,,,,,1,1,,,3,2025-01-01,,',
        'B-8,Bad phone,,12345,,,1,,,,,2025-01-01,,',
        'B-9,Bad product,,,,,1,,,,,2025-01-01,boat,',
        'B-10,Bad currency,,,,,1,,,,,2025-01-01,,XYZ',
        'B-11,Zero,,,,,0,,,,,2025-01-01,,',
        ',No ref,,,,,1,,,,,2025-01-01,,',
        'G-1,Repeat,,,,,1,,,,,2025-01-01,,',
        'B-12,Bad mail,,,,not-an-email,1,,,,,,,',
      ],
      'bom',
    );
    const result = await run(file);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toBe(13);
    expect(result.duplicates).toBe(1);
    const reasons = result.errors.map((error) => `${error.row} ${error.column}`);
    expect(reasons).toEqual([
      '3 principal',
      '4 principal',
      '5 principal',
      '6 delinquency_date',
      '7 delinquency_date',
      '8 debtor_id_number',
      '9 total_due',
      '10 phone_1',
      '11 product_type',
      '12 currency',
      '13 principal',
      '14 client_account_ref',
      '15 client_account_ref',
      '16 email',
      '16 delinquency_date',
    ]);
    expect(result.errors[0]?.reason).toMatch(/3 decimals/);
    expect(result.errors[1]?.reason).toMatch(/exponent/);
    expect(result.errors[2]?.reason).toMatch(/negative/);
    expect(result.errors[5]?.reason).toMatch(/check digit/);
    expect(result.errors[12]?.reason).toMatch(/duplicate: "G-1" already appears on row 2/);
    expect(result.error_file).toBe(`${file}.errors.csv`);
    const errorCsv = readFileSync(`${file}.errors.csv`, 'utf8');
    expect(errorCsv.split('\r\n')[0]).toBe('\uFEFFrow,column,reason');
    expect(errorCsv).toContain('3,principal,');
    const detail = await showBatch(t.db, result.batch_id ?? 0n);
    expect(detail.errors_total).toBe(15);
    expect(detail.accepted).toBe(1);
    await rejectBatch(t.db, result.batch_id ?? 0n, 'bob', 'test data');
  });
});

describe('import placements: refused files write nothing', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['an empty file', () => csv([]).replace(/$/, ''), /empty/],
    ['a binary file', () => binaryFile(), /not a text file/],
    ['a file in a wrong encoding', () => wrongEncoding(), /neither UTF-8 nor GB18030/],
    [
      'a file without the required columns',
      () => csv(['debtor_name,notes', 'x,y']),
      /client_account_ref \(客户账号/,
    ],
    ['a file without a header', () => csv(['1,2,3']), /no header row/],
    ['a file with a header and no rows', () => csv([english]), /no data rows/],
  ];
  it.each(cases)('refuses %s', async (_name, make, message) => {
    const before = await counts();
    const file = make();
    if (_name === 'an empty file') writeFileSync(file, '');
    await expect(run(file)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(message),
    });
    expect(await counts()).toEqual(before);
    expect(existsSync(`${file}.errors.csv`)).toBe(false);
  });

  it('creates no batch when no row is good (exit 2) and says why', async () => {
    const before = await counts();
    const file = csv([english, 'X-1,Bad,,,,,12.345,,,,,2025-01-01,,']);
    const { code, stdout } = await cli([
      'import',
      'placements',
      file,
      '--client',
      'BANK',
      '--user',
      'alice',
      '--json',
    ]);
    expect(code).toBe(2);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ batch_id: null, accepted: 0, rejected: 1, duplicates: 0 });
    expect(body.errors).toEqual([{ row: 2, column: 'principal', reason: expect.stringMatching(/decimals/) }]);
    expect(await counts()).toEqual(before);
    expect(existsSync(`${file}.errors.csv`)).toBe(true);
  });

  it('exits 2 with a JSON error for a refused file', async () => {
    const file = binaryFile();
    const { code, stdout } = await cli(['import', 'placements', file, '--client', 'BANK', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.code).toBe('bad_file');
  });
});

function binaryFile(): string {
  const target = path.join(dir, `bin${++counter}.csv`);
  writeFileSync(
    target,
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
  );
  return target;
}

function wrongEncoding(): string {
  const target = path.join(dir, `enc${++counter}.csv`);
  writeFileSync(
    target,
    Buffer.concat([
      Buffer.from(`${english}\nA,`),
      Buffer.from([0xff, 0x80, 0xff]),
      Buffer.from(',,,,,1,,,,,2025-01-01,,\n'),
    ]),
  );
  return target;
}

describe('batches: approval, rejection, duplicates, re-import', () => {
  let file: string;
  let batchId: bigint;

  it('imports an XLSX file with English headers', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('placements');
    sheet.addRow(english.split(','));
    sheet.addRow([
      'L-1',
      'Zhang San',
      idA,
      13812345678,
      '021-62345678',
      'zhang@example.com',
      12345.67,
      100.5,
      0,
      3,
      null,
      new Date(Date.UTC(2025, 0, 15)),
      'credit_card',
      'CNY',
    ]);
    sheet.addRow([
      'L-2',
      'Zhang San',
      idA,
      '+8613812345678',
      '13900000000',
      null,
      200,
      0,
      0,
      0,
      200,
      '2025-02-01',
      null,
      null,
    ]);
    sheet.addRow([
      'L-3',
      'Li Si',
      idB,
      '13700000000',
      null,
      null,
      1000,
      0,
      0,
      0,
      null,
      '2025-02-01',
      'telecom',
      null,
    ]);
    sheet.addRow([
      'L-4',
      'No Id',
      null,
      '13700000000',
      null,
      null,
      50,
      0,
      0,
      0,
      null,
      '2025-02-01',
      null,
      null,
    ]);
    sheet.getCell('L2').numFmt = 'yyyy-mm-dd';
    file = path.join(dir, 'placements.xlsx');
    await workbook.xlsx.writeFile(file);
    const result = await run(file, 'alice');
    expect(result).toMatchObject({
      format: 'xlsx',
      accepted: 4,
      rejected: 0,
      duplicates: 0,
      status: 'pending_approval',
    });
    batchId = result.batch_id ?? 0n;
  });

  it('keeps ID numbers and phones encrypted in staging', async () => {
    const row = await t.db
      .selectFrom('placement_rows')
      .select(['id_number_enc', 'id_number_hash', 'id_number_masked', 'phone_1_enc'])
      .where('batch_id', '=', batchId)
      .where('row_number', '=', 2)
      .executeTakeFirstOrThrow();
    expect(row.id_number_enc?.includes(Buffer.from(idA))).toBe(false);
    expect(row.id_number_masked).toBe(`${idA.slice(0, 4)}**********${idA.slice(-4)}`);
    expect(row.phone_1_enc?.includes(Buffer.from('13812345678'))).toBe(false);
  });

  it('says a re-imported file is the same batch and changes nothing', async () => {
    const before = await counts();
    const { code, stdout } = await cli([
      'import',
      'placements',
      file,
      '--client',
      'BANK',
      '--user',
      'carol',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      already_imported: true,
      batch_id: Number(batchId),
      accepted: 4,
    });
    expect(await counts()).toEqual(before);
  });

  it('reports refs pending in another batch as duplicates', async () => {
    const other = csv([english, 'L-3,Li Si,,,,,1,,,,,2025-01-01,,', 'N-1,New,,,,,1,,,,,2025-01-01,,']);
    const result = await run(other, 'alice');
    expect(result.accepted).toBe(1);
    expect(result.duplicates).toBe(1);
    expect(result.errors).toEqual([
      {
        row: 2,
        column: 'client_account_ref',
        reason: `duplicate: "L-3" is in batch ${batchId}, which awaits approval`,
      },
    ]);
    await rejectBatch(t.db, result.batch_id ?? 0n, 'bob', 'overlaps');
  });

  it('refuses approval by the importer', async () => {
    await expect(approveBatch(t.db, batchId, 'alice')).rejects.toMatchObject({ code: 'forbidden' });
    const { code, stderr } = await cli(['batch', 'approve', String(batchId), '--user', 'alice']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot approve it too/);
  });

  it('approval by another user makes the accounts live with exact balances and balanced placement entries', async () => {
    const { code, stdout } = await cli(['batch', 'approve', String(batchId), '--user', 'bob', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      batch_id: Number(batchId),
      status: 'approved',
      decided_by: 'bob',
      accounts: 4,
      debtors: 3,
      entries: 4,
      totals: [
        { currency: 'CNY', accounts: 4, placed_total_minor: 1234567 + 10050 + 300 + 20000 + 100000 + 5000 },
      ],
    });
    const l1 = await findLiveAccount(t.db, await clientId('BANK'), 'L-1');
    expect(l1).toMatchObject({
      status: 'active',
      currency: 'CNY',
      principalMinor: 1234567n,
      interestMinor: 10050n,
      feesMinor: 0n,
      penaltyMinor: 300n,
      delinquencyDate: '2025-01-15',
    });
    const detail = await accountDetail(t.db, l1?.id ?? 0n);
    expect(detail.placed).toEqual({
      principalMinor: 1234567n,
      interestMinor: 10050n,
      feesMinor: 0n,
      penaltyMinor: 300n,
    });
    expect(detail.debtor.idNumberMasked).toBe(`${idA.slice(0, 4)}**********${idA.slice(-4)}`);
    expect(detail.debtor.dateOfBirth).toBe('1949-12-31');
    // L-1 and L-2 share the debtor (same ID); each phone once
    expect(detail.debtor.contactPoints.map((c) => c.masked).sort()).toEqual(
      ['+86 138****5678', '+86 139****0000', '+86 216***5678', 'z***@example.com'].sort(),
    );
    const l2 = await findLiveAccount(t.db, await clientId('BANK'), 'L-2');
    expect(l2?.debtorId).toBe(l1?.debtorId);

    const postings = await sql<{ account_id: bigint | null; ledger_account: string; amount_minor: bigint }>`
      SELECT p.account_id, p.ledger_account::text, p.amount_minor
        FROM postings p JOIN journal_entries e ON e.id = p.entry_id
       WHERE e.kind = 'placement' AND e.account_id = ${l1?.id ?? 0n} ORDER BY p.line`.execute(t.db);
    expect(postings.rows).toEqual([
      { account_id: l1?.id, ledger_account: 'debt:principal', amount_minor: 1234567n },
      { account_id: l1?.id, ledger_account: 'debt:interest', amount_minor: 10050n },
      { account_id: l1?.id, ledger_account: 'debt:penalty', amount_minor: 300n },
      { account_id: null, ledger_account: 'client:placed', amount_minor: -1244917n },
    ]);
    const unbalanced = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount_minor) <> 0) x`.execute(
      t.db,
    );
    expect(unbalanced.rows[0]?.n).toBe(0);
    const cached = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM accounts a
       WHERE a.batch_id = ${batchId}
         AND a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor
             <> (SELECT sum(amount_minor) FROM postings p WHERE p.account_id = a.id)`.execute(t.db);
    expect(cached.rows[0]?.n).toBe(0);
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM account_events e JOIN accounts a ON a.id = e.account_id
       WHERE a.batch_id = ${batchId} AND e.kind = 'placed' AND e.actor = 'bob'`.execute(t.db);
    expect(events.rows[0]?.n).toBe(4);
    expect((await counts())?.rows).toBe(0);
  });

  it('stores PII encrypted: the bytea decrypts back and the keyed hash finds the debtor', async () => {
    const debtor = await t.db
      .selectFrom('debtors')
      .select(['id', 'id_number_enc', 'id_number_hash'])
      .where('name', '=', 'Zhang San')
      .executeTakeFirstOrThrow();
    expect(debtor.id_number_enc?.includes(Buffer.from(idA))).toBe(false);
    expect(debtor.id_number_enc?.[0]).toBe(1);
    expect(await revealIdNumber(t.db, debtor.id)).toBe(idA);
    const clear = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM contact_points
       WHERE kind = 'phone' AND (value_text IS NOT NULL OR value_masked LIKE '%12345678%')`.execute(t.db);
    expect(clear.rows[0]?.n).toBe(0);
    const byId = await searchDebtors(t.db, { idNumber: idA.toLowerCase() });
    expect(byId.map((match) => match.debtorId)).toEqual([debtor.id]);
    expect(byId[0]?.accounts.map((account) => account.ref).sort()).toEqual(['L-1', 'L-2']);
    const byPhone = await searchDebtors(t.db, { phone: '137 0000 0000' });
    expect(byPhone.map((match) => match.name).sort()).toEqual(['Li Si', 'No Id']);
    expect(await searchDebtors(t.db, { phone: '13600000000' })).toEqual([]);
  });

  it('reuses a debtor the client placed before (same ID number) and adds only new contact points', async () => {
    const before = await t.db
      .selectFrom('debtors')
      .select('id')
      .where('name', '=', 'Zhang San')
      .executeTakeFirstOrThrow();
    const later = await run(
      csv([english, `K-1,Zhang San,${idA},13812345678,13600000001,,10,,,,,2025-01-01,,`]),
      'alice',
    );
    const approved = await approveBatch(t.db, later.batch_id ?? 0n, 'bob');
    expect(approved).toMatchObject({ accounts: 1, debtors: 0, contact_points: 1 });
    const k1 = await findLiveAccount(t.db, await clientId('BANK'), 'K-1');
    expect(k1?.debtorId).toBe(before.id);
    const phones = await t.db
      .selectFrom('contact_points')
      .select('value_masked')
      .where('debtor_id', '=', before.id)
      .where('kind', '=', 'phone')
      .execute();
    expect(phones.map((phone) => phone.value_masked).sort()).toEqual([
      '+86 136****0001',
      '+86 138****5678',
      '+86 139****0000',
      '+86 216***5678',
    ]);
  });

  it('reports refs of live accounts as duplicates and refuses to decide a decided batch', async () => {
    const again = csv([english, 'L-1,Again,,,,,1,,,,,2025-01-01,,', 'M-1,New,,,,,1,,,,,2025-01-01,,']);
    const result = await run(again, 'alice');
    expect(result.duplicates).toBe(1);
    expect(result.errors[0]?.reason).toBe(
      `duplicate: "L-1" is already a live account of client BANK (batch ${batchId})`,
    );
    await expect(approveBatch(t.db, batchId, 'carol')).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(rejectBatch(t.db, batchId, 'carol', 'late')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await rejectBatch(t.db, result.batch_id ?? 0n, 'bob', 'test');
  });

  it('refuses to approve a batch whose staged rows a crash emptied, and approves nothing', async () => {
    const result = await run(csv([english, `LOST-1,Lost One,,,,,100.00,,,,,2025-01-01,,`]), 'alice');
    const batchId = result.batch_id ?? 0n;
    // what a crash does to the unlogged staging table
    await sql`DELETE FROM placement_rows WHERE batch_id = ${batchId}`.execute(t.db);
    await expect(approveBatch(t.db, batchId, 'bob')).rejects.toMatchObject({
      code: 'invalid_state',
      message: expect.stringMatching(/staged rows of batch \d+ are gone \(0 of 1\).*import the file again/),
    });
    const batch = await showBatch(t.db, batchId);
    expect(batch.status).toBe('pending_approval');
    await rejectBatch(t.db, batchId, 'bob', 'lost in a crash');
  });

  it('refuses approval when another batch made a ref live meanwhile, naming it', async () => {
    const first = await run(
      csv([english, 'R-1,One,,,,,1,,,,,2025-01-01,,', 'R-2,Two,,,,,1,,,,,2025-01-01,,']),
      'alice',
    );
    // a second pending batch cannot carry R-1 (duplicate of a pending batch), so make it live behind the import's back
    await sql`DELETE FROM placement_rows WHERE batch_id = ${first.batch_id} AND client_account_ref = 'R-2'`.execute(
      t.db,
    );
    const second = await run(csv([english, 'R-2,Two again,,,,,1,,,,,2025-01-01,,']), 'alice');
    await sql`INSERT INTO placement_rows SELECT ${first.batch_id}, 3, client_account_ref, debtor_name, id_number_enc, id_number_hash,
      id_number_masked, date_of_birth, phone_1_enc, phone_1_hash, phone_1_masked, phone_2_enc, phone_2_hash, phone_2_masked,
      phone_3_enc, phone_3_hash, phone_3_masked, email, address, city, region, postal_code, country, product_type,
      original_creditor, currency, principal_minor, interest_minor, fees_minor, penalty_minor, delinquency_date,
      charge_off_date, last_payment_date, last_payment_amount_minor, open_date, notes
      FROM placement_rows WHERE batch_id = ${second.batch_id}`.execute(t.db);
    await approveBatch(t.db, second.batch_id ?? 0n, 'bob');
    const error = await approveBatch(t.db, first.batch_id ?? 0n, 'bob').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HuikuanError);
    expect(error).toMatchObject({ code: 'conflict', message: expect.stringContaining('R-2') });
    expect(await findLiveAccount(t.db, await clientId('BANK'), 'R-1')).toBeNull();
    await rejectBatch(t.db, first.batch_id ?? 0n, 'bob', 'conflict');
  });

  it('rejection records who and why; the same file can then be imported again', async () => {
    const rejectFile = csv([english, 'J-1,Reject me,,,,,1,,,,,2025-01-01,,']);
    const first = await run(rejectFile, 'alice');
    const { code, stdout } = await cli([
      'batch',
      'reject',
      String(first.batch_id),
      '--user',
      'bob',
      '--reason',
      'wrong client',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'rejected',
      decided_by: 'bob',
      reason: 'wrong client',
    });
    const [row] = await listBatches(t.db, { clientCode: 'BANK', status: 'rejected' });
    expect(row).toMatchObject({ batch_id: first.batch_id, decided_by: 'bob', reject_reason: 'wrong client' });
    expect(await findLiveAccount(t.db, await clientId('BANK'), 'J-1')).toBeNull();
    const second = await run(rejectFile, 'alice');
    expect(second.already_imported).toBe(false);
    expect(second.batch_id).not.toBe(first.batch_id);
    await rejectBatch(t.db, second.batch_id ?? 0n, 'bob', 'done');
  });

  it('lists and shows batches as JSON', async () => {
    const list = await cli(['batch', 'list', '--client', 'BANK', '--status', 'approved', '--json']);
    expect(list.code).toBe(0);
    const body = JSON.parse(list.stdout);
    expect(body.batches.map((batch: { batch_id: number }) => batch.batch_id)).toContain(Number(batchId));
    const show = await cli(['batch', 'show', String(batchId), '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      batch_id: Number(batchId),
      status: 'approved',
      proposed_by: 'alice',
      decided_by: 'bob',
      totals: [{ currency: 'CNY', accounts: 4 }],
    });
    expect((await cli(['batch', 'list', '--status', 'bogus'])).code).toBe(2);
  });

  it('checks a large file in worker threads with exactly the result of one thread', async () => {
    await addClient(t.db, { code: 'TWIN', name: 'Twin' }, 'admin');
    const workerId = (i: number) =>
      id(
        `440305${1980 + Math.floor(i / 336)}${String(1 + (Math.floor(i / 28) % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}001`,
      );
    // CRLF line ends as Excel writes them; quoted cells (commas, quotes and a line break inside),
    // blank lines, bad rows and duplicates of good and of bad rows spread over many chunks
    const lines = [english];
    for (let i = 0; i < 6000; i++) {
      const serial = String(i).padStart(4, '0');
      const ref = i % 997 === 5 ? `W-${String(i - 3).padStart(4, '0')}` : `W-${serial}`;
      const name = i % 500 === 7 ? `"Worker, ${serial} ""the second""\nline"` : `Worker ${serial}`;
      const principal = i % 301 === 11 ? 'abc' : `1${serial}.25`;
      const refOfBad = i % 1201 === 13 ? 'W-0011' : ref;
      lines.push(`${refOfBad},${name},${workerId(i)},1380000${serial},,,${principal},,,,,2025-01-01,,`);
      if (i % 1000 === 999) lines.push('');
    }
    const text = `${lines.join('\r\n')}\r\n`;
    const file = path.join(dir, 'twins.csv');
    writeFileSync(file, text);
    const single = await importPlacements(t, {
      filePath: file,
      clientCode: 'BANK',
      user: 'alice',
      workers: 0,
    });
    const parallel = await importPlacements(t, {
      filePath: file,
      clientCode: 'TWIN',
      user: 'alice',
      workers: 2,
      chunkBytes: 16 * 1024,
    });
    expect(single.rejected).toBeGreaterThan(10);
    expect(single.duplicates).toBeGreaterThan(5);
    const { batch_id: _a, client: _b, error_file: _c, ...same } = single;
    expect(parallel).toMatchObject({ ...same, client: 'TWIN' });
    expect(parallel.errors).toEqual(single.errors);
    const staged = (batch: bigint | null) =>
      sql<Record<string, unknown>>`
        SELECT row_number, client_account_ref, debtor_name, id_number_hash, id_number_masked, phone_1_hash,
               phone_1_masked, principal_minor, delinquency_date
          FROM placement_rows WHERE batch_id = ${batch} ORDER BY row_number`
        .execute(t.db)
        .then((result) => result.rows);
    const rowsOfSingle = await staged(single.batch_id);
    expect(rowsOfSingle.length).toBe(single.accepted);
    // the totals counted while checking, less the duplicates taken out, are those of the staged rows
    const stagedTotal = await sql<{ accounts: number; total: bigint }>`
      SELECT count(*)::int AS accounts, sum(principal_minor + interest_minor + fees_minor + penalty_minor)::bigint AS total
        FROM placement_rows WHERE batch_id = ${single.batch_id}`.execute(t.db);
    expect(single.totals).toEqual([
      {
        currency: 'CNY',
        accounts: stagedTotal.rows[0]?.accounts,
        placed_total_minor: stagedTotal.rows[0]?.total,
      },
    ]);
    expect(await staged(parallel.batch_id)).toEqual(rowsOfSingle);
    expect(rowsOfSingle.find((row) => row.row_number === 509)?.debtor_name).toBe(
      'Worker, 0507 "the second"\nline',
    );

    await approveBatch(t.db, parallel.batch_id ?? 0n, 'bob');
    for (const i of [0, 2222, 5999]) {
      const serial = String(i).padStart(4, '0');
      const matches = await searchDebtors(t.db, { idNumber: workerId(i) });
      const match = matches.find((debtor) => debtor.name === `Worker ${serial}`);
      expect(match).toBeDefined();
      expect(await revealIdNumber(t.db, match?.debtorId ?? 0n)).toBe(workerId(i));
    }
  });

  it('uses the client currency and country: USD amounts and US phones', async () => {
    const result = await run(
      csv([
        english,
        'U-1,Joe,,(415) 555-2671,,,"1,234.56",,,,,2025-01-01,,',
        'U-2,Ann,,,,,1.234,,,,,2025-01-01,,',
      ]),
      'alice',
      'USCO',
    );
    expect(result.accepted).toBe(1);
    expect(result.totals).toEqual([{ currency: 'USD', accounts: 1, placed_total_minor: 123456n }]);
    expect(result.errors[0]).toMatchObject({
      row: 3,
      column: 'principal',
      reason: expect.stringMatching(/USD has 2/),
    });
  });
});

async function clientId(code: string): Promise<bigint> {
  const row = await t.db
    .selectFrom('clients')
    .select('id')
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}
