/**
 * `huikuan import payments` against a real database: exact postings of trust and direct payments,
 * duplicates, refused accounts, bad values, reversal rows, re-import, GB18030 and XLSX files, and two
 * imports on the same accounts at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { openDatabase, poolOf } from '../db/connection.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { importPayments } from './service.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
let clientId: bigint;
const ids: Record<string, bigint> = {};
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-payments-'));

beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
  ({ clientId } = await createClient(t.db, 'ACME', {
    commission: [
      { fromDpd: 0, toDpd: 90, rateBp: 1500 },
      { fromDpd: 91, toDpd: null, rateBp: 2500 },
    ],
  }));
  const refs = ['A1', 'A2', 'A3', 'CLOSED', 'RECALLED', 'WOFF', 'R1', 'C1', 'C2'];
  const placed = await placeAccounts(
    t.db,
    clientId,
    refs.map((ref) => ({
      ref,
      principal: 100_000n,
      interest: 20_000n,
      fees: 5_000n,
      penalty: 1_000n,
      delinquencyDate: '2026-01-01',
    })),
  );
  refs.forEach((ref, i) => {
    ids[ref] = placed[i] as bigint;
  });
  for (const [ref, status] of [
    ['CLOSED', 'closed'],
    ['RECALLED', 'recalled'],
    ['WOFF', 'written_off'],
  ] as const) {
    await t.db
      .updateTable('accounts')
      .set({ status })
      .where('id', '=', ids[ref] as bigint)
      .execute();
  }
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, lines: string[]): string {
  const target = path.join(dir, name);
  writeFileSync(target, `${lines.join('\n')}\n`);
  return target;
}

async function importFile(target: string, user = 'alice') {
  return cli(['import', 'payments', target, '--client', 'ACME', '--user', user, '--json']);
}

async function postingsOf(externalId: string): Promise<Record<string, bigint>> {
  const rows = await sql<{ ledger_account: string; amount: bigint }>`
    SELECT p.ledger_account::text AS ledger_account, sum(p.amount_minor)::int8 AS amount
      FROM postings p JOIN journal_entries je ON je.id = p.entry_id
     WHERE je.client_id = ${clientId} AND je.external_id = ${externalId}
     GROUP BY 1`.execute(t.db);
  return Object.fromEntries(rows.rows.map((r) => [r.ledger_account, r.amount]));
}

async function balances(ref: string) {
  return t.db
    .selectFrom('accounts')
    .select([
      'principal_minor',
      'interest_minor',
      'fees_minor',
      'penalty_minor',
      'overpayment_minor',
      'status',
    ])
    .where('id', '=', ids[ref] as bigint)
    .executeTakeFirstOrThrow();
}

async function paymentEntryCount(): Promise<number> {
  const row = await sql<{ n: bigint }>`SELECT count(*) AS n FROM journal_entries`.execute(t.db);
  return Number(row.rows[0]?.n ?? 0);
}

describe('import payments', () => {
  const happy = () =>
    file('happy.csv', [
      'external_id,client_account_ref,amount,currency,paid_at,channel,payer_name,reference',
      'T1,A1,"1,100.00",CNY,2026-03-01 14:05:00,bank_transfer,张三,三月还款',
      'T2,A2,¥300.00,,2026/3/2,客户直还,,',
    ]);

  it('posts trust and direct payments with exact postings and records the import', async () => {
    const result = await importFile(happy());
    expect(result.code).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({
      posted: 2,
      duplicates: 0,
      rejected: 0,
      errors: [],
      currency: 'CNY',
      posted_total_minor: 140_000,
      // 59 days past due → 15 %: 110,000 × 15 % = 16,500; 30,000 × 15 % = 4,500
      commission_minor: 21_000,
      nothing_changed: false,
    });
    expect(existsSync(path.join(dir, 'happy.csv.errors.csv'))).toBe(false);
    // trust (event 3): cash, debt by waterfall penalty → fees → interest → principal, commission
    expect(await postingsOf('T1')).toEqual({
      'trust:bank': 110_000n,
      'client:payable': -110_000n + 16_500n,
      'client:collected': 110_000n,
      'debt:penalty': -1_000n,
      'debt:fees': -5_000n,
      'debt:interest': -20_000n,
      'debt:principal': -84_000n,
      'agency:commission_revenue': -16_500n,
    });
    // direct (event 4, 客户直还)
    expect(await postingsOf('T2')).toEqual({
      'client:direct_paid': 30_000n,
      'debt:penalty': -1_000n,
      'debt:fees': -5_000n,
      'debt:interest': -20_000n,
      'debt:principal': -4_000n,
      'client:commission_receivable': 4_500n,
      'agency:commission_revenue': -4_500n,
    });
    expect(await balances('A1')).toMatchObject({
      principal_minor: 16_000n,
      interest_minor: 0n,
      fees_minor: 0n,
      penalty_minor: 0n,
    });
    const entry = await t.db
      .selectFrom('journal_entries')
      .select(['kind', 'effective_date', 'source', 'created_by'])
      .where('external_id', '=', 'T1')
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      kind: 'payment',
      effective_date: '2026-03-01',
      source: `payment_import:${body.import_id}`,
      created_by: 'alice',
    });
    expect(
      (
        await t.db
          .selectFrom('journal_entries')
          .select('kind')
          .where('external_id', '=', 'T2')
          .executeTakeFirstOrThrow()
      ).kind,
    ).toBe('direct_payment');
    const record = await t.db
      .selectFrom('payment_imports')
      .selectAll()
      .where('id', '=', BigInt(body.import_id))
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({
      file_name: 'happy.csv',
      status: 'done',
      imported_by: 'alice',
      rows_total: 2,
      posted: 2,
      duplicates: 0,
      rejected: 0,
      posted_total_minor: 140_000n,
      commission_minor: 21_000n,
    });
    expect(record.file_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes nothing on re-import of the same file and says so', async () => {
    const before = await paymentEntryCount();
    const again = await importFile(happy(), 'bob');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({
      posted: 0,
      duplicates: 2,
      rejected: 0,
      errors: [],
      nothing_changed: true,
    });
    expect(again.json().duplicate_rows.map((d: { row: number }) => d.row)).toEqual([2, 3]);
    expect(again.json().previous_imports).toHaveLength(1);
    expect(await paymentEntryCount()).toBe(before);
    const human = await cli(['import', 'payments', happy(), '--client', 'ACME', '--user', 'bob']);
    expect(human.stdout).toMatch(/Nothing changed/);
    expect(human.stdout).toMatch(/imported before/);
  });

  it('reports duplicates within the file and against posted payments, and conflicting ids', async () => {
    const result = await importFile(
      file('dups.csv', [
        'external_id,client_account_ref,amount,paid_at,channel',
        'T1,A1,1100.00,2026-03-01 14:05:00,bank_transfer',
        'D1,A3,10.00,2026-03-05,cash',
        'D1,A3,10.00,2026-03-05,cash',
        'D1,A3,11.00,2026-03-05,cash',
      ]),
    );
    expect(result.code).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({ posted: 1, duplicates: 2, rejected: 1 });
    expect(body.errors).toEqual([{ row: 5, column: 'external_id', reason: expect.stringMatching(/row 3/) }]);
    expect(body.duplicate_rows).toEqual([
      { row: 2, external_id: 'T1', reason: expect.stringMatching(/posted before/) },
      { row: 4, external_id: 'D1', reason: expect.stringMatching(/same payment as row 3/) },
    ]);
  });

  it('refuses unknown, closed, recalled and written-off accounts with the reason', async () => {
    const before = await paymentEntryCount();
    const target = file('accounts.csv', [
      '交易流水号,客户账号,金额,还款时间,渠道',
      'U1,NOPE,10.00,2026-03-01,bank_transfer',
      'U2,CLOSED,10.00,2026-03-01,bank_transfer',
      'U3,RECALLED,10.00,2026-03-01,bank_transfer',
      'U4,WOFF,10.00,2026-03-01,bank_transfer',
    ]);
    const result = await importFile(target);
    // every row bad: the file is refused
    expect(result.code).toBe(2);
    const body = result.json();
    expect(body).toMatchObject({ posted: 0, duplicates: 0, rejected: 4 });
    expect(
      body.errors.map((e: { row: number; column: string; reason: string }) => [e.row, e.column, e.reason]),
    ).toEqual([
      [2, 'client_account_ref', 'no account "NOPE" for this client'],
      [3, 'client_account_ref', expect.stringMatching(/"CLOSED" is closed/)],
      [4, 'client_account_ref', expect.stringMatching(/recalled/)],
      [5, 'client_account_ref', expect.stringMatching(/written off/)],
    ]);
    expect(await paymentEntryCount()).toBe(before);
    const csv = readFileSync(`${target}.errors.csv`, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('\uFEFFrow,column,reason');
    expect(csv).toMatch(/^2,client_account_ref,/m);
  });

  it('refuses bad amounts and dates, posting the good rows only', async () => {
    const before = await balances('A3');
    const owed = (b: typeof before) => b.principal_minor + b.interest_minor + b.fees_minor + b.penalty_minor;
    const result = await importFile(
      file('bad-values.csv', [
        'external_id,client_account_ref,amount,paid_at,channel',
        'B1,A3,12.345,2026-03-01,cash',
        'B2,A3,1e4,2026-03-01,cash',
        'B3,A3,0,2026-03-01,cash',
        'B4,A3,-5.00,2026-03-01,cash',
        'B5,A3,5.00,2026-02-30,cash',
        'B6,A3,5.00,yesterday,cash',
        'B7,A3,5.00,2026-03-01,paypal',
        'B8,A3,5.00,2026-03-01,wechat_pay',
      ]),
    );
    expect(result.code).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({ posted: 1, rejected: 7, posted_total_minor: 500 });
    expect(body.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`)).toEqual([
      '2:amount',
      '3:amount',
      '4:amount',
      '5:amount',
      '6:paid_at',
      '7:paid_at',
      '8:channel',
    ]);
    expect(body.errors[0].reason).toMatch(/3 decimals/);
    const after = await balances('A3');
    expect(owed(after)).toBe(owed(before) - 500n);
  });

  it('reverses a returned payment from a reversal column, once', async () => {
    await importFile(
      file('r-pay.csv', [
        'external_id,client_account_ref,amount,paid_at,channel',
        'RP1,R1,500.00,2026-03-01,alipay',
        'RP2,A3,3.00,2026-03-01,alipay',
      ]),
    );
    const paid = await balances('R1');
    const reversal = file('r-rev.csv', [
      'external_id,client_account_ref,amount,paid_at,channel,冲正流水号',
      'RV1,R1,500.00,2026-03-03,alipay,RP1',
      'RV2,R1,,2026-03-03,alipay,NOPE',
      'RV3,R1,500.00,2026-03-03,alipay,RP1',
      'RV4,A3,4.00,2026-03-03,alipay,RP2',
    ]);
    const result = await importFile(reversal);
    expect(result.code).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({ posted: 0, reversed: 1, rejected: 3, reversed_total_minor: 50_000 });
    expect(
      body.errors.map((e: { row: number; column: string; reason: string }) => [e.row, e.column, e.reason]),
    ).toEqual([
      [3, 'reverses_external_id', 'no payment "NOPE" for this client to reverse'],
      [4, 'reverses_external_id', 'payment "RP1" is already reversed on row 2'],
      [5, 'amount', expect.stringMatching(/differs from the amount of payment "RP2"/)],
    ]);
    const original = await postingsOf('RP1');
    const negated = Object.fromEntries(Object.entries(original).map(([k, v]) => [k, -v]));
    expect(await postingsOf('RV1')).toEqual(negated);
    expect(await balances('R1')).toMatchObject({
      principal_minor: 100_000n,
      interest_minor: 20_000n,
      fees_minor: 5_000n,
      penalty_minor: 1_000n,
    });
    expect(paid.penalty_minor).toBe(0n);
    const again = await importFile(reversal);
    expect(again.json()).toMatchObject({ reversed: 0, duplicates: 1 });
  });

  it('posts a payment and its reversal from the same file, in that order', async () => {
    const before = await balances('A2');
    const result = await importFile(
      file('same-file.csv', [
        'external_id,client_account_ref,amount,paid_at,channel,reverses_external_id',
        'SV2,A2,,2026-03-04,bank_transfer,SP1',
        'SP1,A2,12.00,2026-03-03,bank_transfer,',
      ]),
    );
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ posted: 1, reversed: 1, rejected: 0, reversed_total_minor: 1_200 });
    expect(await balances('A2')).toEqual(before);
  });

  it('works with `huikuan ledger reverse`: a payment reversed there is not reversed again by a file', async () => {
    await importFile(
      file('lr-pay.csv', [
        'external_id,client_account_ref,amount,paid_at,channel',
        'LP1,A2,2.00,2026-03-05,cash',
      ]),
    );
    const reversed = await cli([
      'ledger',
      'reverse',
      '--client',
      'ACME',
      '--external-id',
      'LP1',
      '--reason',
      '退票',
      '--reversal-external-id',
      'LR1',
      '--user',
      'carol',
      '--json',
    ]);
    expect(reversed.code).toBe(0);
    const again = await importFile(
      file('lr-rev.csv', [
        'external_id,client_account_ref,amount,paid_at,channel,reverses_external_id',
        'LR1,A2,2.00,2026-03-06,cash,LP1',
        'LR2,A2,2.00,2026-03-06,cash,LP1',
      ]),
    );
    expect(again.json()).toMatchObject({ reversed: 0, duplicates: 1, rejected: 1 });
    expect(again.json().duplicate_rows[0]).toMatchObject({ row: 2, external_id: 'LR1' });
    expect(again.json().errors[0]).toMatchObject({ row: 3, column: 'reverses_external_id' });
    expect(again.json().errors[0].reason).toMatch(/already reversed by "LR1"/);
  });

  it('reads a GB18030 file with Chinese headers and channel names', async () => {
    const target = path.join(dir, 'gbk.csv');
    writeFileSync(
      target,
      iconv.encode(
        [
          '交易流水号,客户账号,金额,币种,还款时间,渠道,付款人,附言',
          'G1,A3,20.00,CNY,2026年3月4日,微信支付,王五,还款',
        ].join('\r\n'),
        'gb18030',
      ),
    );
    const result = await importFile(target);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ posted: 1, encoding: 'gb18030', posted_total_minor: 2_000 });
    const entry = await t.db
      .selectFrom('journal_entries')
      .select(['kind', 'memo'])
      .where('external_id', '=', 'G1')
      .executeTakeFirstOrThrow();
    expect(entry.kind).toBe('payment');
  });

  it('reads an XLSX file', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('回款');
    sheet.addRow(['交易流水号', '客户账号', '金额', '还款时间', '渠道']);
    sheet.addRow(['X1', 'A3', 30, '2026-03-05', 'cash']);
    sheet.addRow(['X2', 'A3', '12.345', '2026-03-05', 'cash']);
    const target = path.join(dir, 'payments.xlsx');
    await workbook.xlsx.writeFile(target);
    const result = await importFile(target);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      format: 'xlsx',
      posted: 1,
      rejected: 1,
      posted_total_minor: 3_000,
    });
  });

  it('stages every value as written: control characters, backslashes and line breaks in free text, empty optional cells', async () => {
    // the staging rows travel as COPY text (read.ts): a backslash, tab or line break in a cell is
    // escaped, `\N` in a cell is text and not a null, and an empty cell stays null
    const result = await importFile(
      file('control.csv', [
        'external_id,client_account_ref,amount,currency,paid_at,channel,payer_name,reference',
        'S1,A3,1.00,,2026-03-06 12:36:47,alipay,李\u001f四,ref\u001eone',
        'S2,A3,2.00,,2026-03-07,cash,,',
        'S3,A3,3.00,,2026-03-07,cash,"王\\N\t五","line\r\nbreak\\"',
      ]),
    );
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ posted: 3, rejected: 0, posted_total_minor: 600 });
    const memos = await sql<{ external_id: string; memo: Record<string, string>; paid_at: Date | null }>`
      SELECT external_id, memo, (memo->>'paid_at')::timestamptz AS paid_at FROM journal_entries
       WHERE external_id IN ('S1', 'S2', 'S3') ORDER BY external_id`.execute(t.db);
    expect(memos.rows.map((r) => ({ ...r.memo, paid_at: r.paid_at?.toISOString() ?? null }))).toEqual([
      {
        paid_at: '2026-03-06T04:36:47.000Z',
        channel: 'alipay',
        payer_name: '李\u001f四',
        reference: 'ref\u001eone',
      },
      { paid_at: null, channel: 'cash' },
      { paid_at: null, channel: 'cash', payer_name: '王\\N\t五', reference: 'line\r\nbreak\\' },
    ]);
  });

  it('refuses an unreadable file outright and writes nothing', async () => {
    const before = await paymentEntryCount();
    const binary = path.join(dir, 'binary.csv');
    writeFileSync(binary, Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 0, 7]));
    const refused = await importFile(binary);
    expect(refused.code).toBe(2);
    expect(refused.json().error.code).toBe('bad_file');
    const missing = await importFile(file('nocols.csv', ['external_id,amount', 'N1,5.00']));
    expect(missing.code).toBe(2);
    expect(missing.json().error.message).toMatch(/client_account_ref/);
    expect(await paymentEntryCount()).toBe(before);
  });

  it('keeps two imports on the same accounts at once serial: totals exact, each id once', async () => {
    const lines = (prefix: string, amount: string) => [
      'external_id,client_account_ref,amount,paid_at,channel',
      ...Array.from(
        { length: 40 },
        (_, i) =>
          `${prefix}${i},${i % 2 === 0 ? 'C1' : 'C2'},${amount},2026-03-0${1 + (i % 5)},bank_transfer`,
      ),
    ];
    const a = file('conc-a.csv', lines('CA', '10.00'));
    const b = file('conc-b.csv', lines('CB', '7.00'));
    const other = await openDatabase({ url: t.url, migrate: false });
    try {
      const results = await Promise.all([
        importPayments(t.db, { filePath: a, clientCode: 'ACME', actor: 'alice' }),
        importPayments(other.db, { filePath: b, clientCode: 'ACME', actor: 'bob' }),
        importPayments(other.db, { filePath: a, clientCode: 'ACME', actor: 'carol' }),
      ]);
      expect(results.map((r) => r.posted + r.duplicates)).toEqual([40, 40, 40]);
      expect((results[0]?.posted ?? 0) + (results[2]?.posted ?? 0)).toBe(40);
      expect(results[1]?.posted).toBe(40);
    } finally {
      await other.close();
    }
    // 20 × 10.00 + 20 × 7.00 = 340.00 on each of C1 and C2, all of it paid off the 1,260.00 in order
    for (const ref of ['C1', 'C2']) {
      const b = await balances(ref);
      expect(b.penalty_minor + b.fees_minor + b.interest_minor + b.principal_minor).toBe(126_000n - 34_000n);
      expect(b).toMatchObject({
        penalty_minor: 0n,
        fees_minor: 0n,
        interest_minor: 0n,
        principal_minor: 92_000n,
      });
      const sums = await sql<{ total: bigint }>`
        SELECT coalesce(sum(amount_minor), 0)::int8 AS total FROM postings
         WHERE account_id = ${ids[ref] as bigint} AND ledger_account::text LIKE 'debt:%'`.execute(t.db);
      expect(sums.rows[0]?.total).toBe(92_000n);
    }
  });

  it('allocates on the balance another writer left when it changed an account during the posting', async () => {
    const [race] = await placeAccounts(t.db, clientId, [
      {
        ref: 'RACE',
        principal: 100_000n,
        interest: 0n,
        fees: 0n,
        penalty: 0n,
        delinquencyDate: '2026-01-01',
      },
    ]);
    ids.RACE = race as bigint;
    const other = await openDatabase({ url: t.url, migrate: false });
    const held = await (poolOf(other.db) as NonNullable<ReturnType<typeof poolOf>>).connect();
    try {
      // another writer takes 600.00 off the account and holds its transaction open
      await held.query('BEGIN');
      await held.query('UPDATE accounts SET principal_minor = principal_minor - 60000 WHERE id = $1', [race]);
      const importing = importPayments(t.db, {
        filePath: file('race.csv', [
          'external_id,client_account_ref,amount,paid_at,channel',
          'RACE1,RACE,1000.00,2026-03-02,bank_transfer',
        ]),
        clientCode: 'ACME',
        actor: 'alice',
      });
      // the import waits for the account, having read it as it was before the writer's change
      for (let waited_ms = 0; ; waited_ms += 20) {
        // (asked outside the held transaction, which would see one snapshot of the activity)
        const waiting = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.db);
        if ((waiting.rows[0]?.n ?? 0) > 0) break;
        if (waited_ms > 10_000) throw new Error('the import never waited for the changed account');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await held.query('COMMIT');
      expect((await importing).posted).toBe(1);
    } finally {
      held.release();
      await other.close();
    }
    // 400.00 was left to pay: the rest of the 1,000.00 is an overpayment, not a negative balance
    expect(await postingsOf('RACE1')).toMatchObject({
      'debt:principal': -40_000n,
      'debt:overpayment': -60_000n,
    });
    expect(await balances('RACE')).toMatchObject({
      principal_minor: 0n,
      overpayment_minor: 60_000n,
      status: 'paid',
    });
  });
});
