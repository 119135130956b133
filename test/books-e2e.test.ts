/**
 * The books end to end through the command line, exactly as formats.md promises: a client, a
 * placement file with Chinese headers (one bad row, one duplicate), approval by a second user,
 * a payment file (trust, overpayment, direct, duplicate, unknown account), balances to the fen,
 * a reversal, and a clean `ledger check`. Every figure below was worked out by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from './cli.ts';
import { type TestDatabase, testDatabase } from './db.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-e2e-'));

beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const placements = [
  '客户账号,姓名,身份证号,手机号,本金,利息,费用,罚息,逾期日期,产品类型',
  'A001,张三,11010519491231002X,13812345678,"10,000.00",500.00,50.00,20.00,2026-01-10,credit_card',
  'A002,李四,,+86 139 0000 1111,3000,0,0,0,2025/6/1,personal_loan',
  'A003,王五,,,800.00,12.34,,,2026年2月1日,',
  'A004,赵六,,,12.345,0,0,0,2026-01-01,',
  'A001,张三,,,1.00,0,0,0,2026-01-10,',
].join('\n');

const payments = [
  'external_id,client_account_ref,amount,paid_at,channel',
  'P1,A001,100.00,2026-03-01,bank_transfer',
  'P2,A002,"3,005.00",2026-03-01 10:30:00,alipay',
  'P3,A003,100.01,2026-03-02,direct_to_client',
  'P1,A001,100.00,2026-03-01,bank_transfer',
  'P4,NOPE,50.00,2026-03-01,bank_transfer',
].join('\n');

describe('the books from the command line', () => {
  let batchId: number;

  it('adds the client', async () => {
    const added = await cli([
      'client',
      'add',
      '--code',
      'ZSB',
      '--name',
      '招商银行信用卡中心',
      '--commission',
      '0-90:1500,91-:3000',
      '--effective',
      '2025-01-01',
      '--user',
      'admin',
      '--json',
    ]);
    expect(added.code).toBe(0);
  });

  it('imports a placement file: good rows wait for approval, bad and duplicate rows are reported', async () => {
    const file = path.join(dir, 'placements.csv');
    writeFileSync(file, placements);
    const imported = await cli([
      'import',
      'placements',
      file,
      '--client',
      'ZSB',
      '--user',
      'alice',
      '--json',
    ]);
    expect(imported.code).toBe(0);
    const body = imported.json();
    expect(body).toMatchObject({ accepted: 3, rejected: 1, duplicates: 1 });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 5, column: 'principal' }),
        expect.objectContaining({ row: 6 }),
      ]),
    );
    batchId = body.batch_id;
    const again = await cli(['import', 'placements', file, '--client', 'ZSB', '--user', 'alice', '--json']);
    expect(again.code).toBe(0);
    expect(again.json().batch_id).toBe(batchId);
    const before = await cli(['ledger', 'balance', '--client', 'ZSB', '--json']);
    expect(before.json()).toMatchObject({ accounts: 0, total_minor: 0 });
  });

  it('refuses approval by the importer and goes live on a second user’s approval', async () => {
    const self = await cli(['batch', 'approve', String(batchId), '--user', 'alice', '--json']);
    expect(self.code).toBe(1);
    expect(self.json().error.code).toBe('forbidden');
    const approved = await cli(['batch', 'approve', String(batchId), '--user', 'bob', '--json']);
    expect(approved.code).toBe(0);
    const balance = await cli(['ledger', 'balance', '--client', 'ZSB', '--json']);
    expect(balance.json()).toMatchObject({
      client: 'ZSB',
      currency: 'CNY',
      accounts: 3,
      principal_minor: 1_000_000 + 300_000 + 80_000,
      interest_minor: 50_000 + 1_234,
      fees_minor: 5_000,
      penalty_minor: 2_000,
      overpayment_minor: 0,
      total_minor: 1_438_234,
    });
  });

  it('posts a payment file by the waterfall with commission by days past due', async () => {
    const file = path.join(dir, 'payments.csv');
    writeFileSync(file, payments);
    const posted = await cli(['import', 'payments', file, '--client', 'ZSB', '--user', 'carol', '--json']);
    expect(posted.code).toBe(0);
    const body = posted.json();
    expect(body).toMatchObject({ posted: 3, duplicates: 1, rejected: 1 });
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ row: 6, column: 'client_account_ref' })]),
    );

    // P1 100.00 on A001 at 50 DPD (15%): penalty 20.00, fees 50.00, interest 30.00; commission 15.00.
    // P2 3,005.00 on A002 at 273 DPD (30%): principal 3,000.00, overpayment 5.00; commission 900.00.
    // P3 100.01 direct on A003 at 29 DPD (15%): interest 12.34, principal 87.67; commission 15.0015 → 15.00.
    const balance = await cli(['ledger', 'balance', '--client', 'ZSB', '--json']);
    expect(balance.json()).toEqual({
      client: 'ZSB',
      currency: 'CNY',
      accounts: 3,
      principal_minor: 1_000_000 + 0 + 71_233,
      interest_minor: 47_000,
      fees_minor: 0,
      penalty_minor: 0,
      overpayment_minor: 500,
      total_minor: 1_118_233,
      collected_minor: 310_500,
      direct_paid_minor: 10_001,
      discounts_minor: 0,
      commission_minor: 93_000,
      payable_minor: 219_000,
    });
    const one = await cli(['ledger', 'balance', '--client', 'ZSB', '--account', 'A001', '--json']);
    expect(one.json()).toMatchObject({
      accounts: 1,
      principal_minor: 1_000_000,
      interest_minor: 47_000,
      total_minor: 1_047_000,
    });

    const again = await cli(['import', 'payments', file, '--client', 'ZSB', '--user', 'carol', '--json']);
    expect(again.json()).toMatchObject({ posted: 0 });
    const unchanged = await cli(['ledger', 'balance', '--client', 'ZSB', '--json']);
    expect(unchanged.json()).toEqual(balance.json());
  });

  it('reverses a returned payment with its commission and proves every invariant', async () => {
    const reversed = await cli([
      'ledger',
      'reverse',
      '--client',
      'ZSB',
      '--external-id',
      'P2',
      '--reason',
      '退票',
      '--user',
      'carol',
      '--json',
    ]);
    expect(reversed.code).toBe(0);
    const balance = await cli(['ledger', 'balance', '--client', 'ZSB', '--json']);
    expect(balance.json()).toMatchObject({
      principal_minor: 1_000_000 + 300_000 + 71_233,
      overpayment_minor: 0,
      collected_minor: 10_000,
      commission_minor: 3_000,
      payable_minor: 8_500,
    });
    const check = await cli(['ledger', 'check', '--json']);
    expect(check.code).toBe(0);
  });
});
