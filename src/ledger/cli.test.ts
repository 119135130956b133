import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from './payments.ts';
import { accountState, createClient, payment, placeAccounts } from './test-fixtures.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
});
afterAll(async () => {
  await t?.drop();
});

describe('ledger event commands', () => {
  let clientId: bigint;
  let a: bigint;
  let b: bigint;

  it('accrues, discounts within the limit, and proposes above it', async () => {
    ({ clientId } = await createClient(t.db, 'CLI', {
      discountLimitBp: 1000,
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    }));
    [a, b] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 1000_00n },
      { ref: 'B', principal: 500_00n, interest: 20_00n },
    ])) as [bigint, bigint];
    const accrued = await cli([
      'ledger',
      'accrue',
      '--client',
      'CLI',
      '--account',
      'A',
      '--interest',
      '¥12.50',
      '--fees',
      '1,000.00',
      '--user',
      'ann',
      '--json',
    ]);
    expect(accrued.code).toBe(0);
    expect(accrued.json()).toMatchObject({ status: 'posted' });
    expect(await accountState(t.db, a)).toMatchObject({ interest: 12_50n, fees: 1000_00n });
    const small = await cli([
      'ledger',
      'discount',
      '--client',
      'CLI',
      '--account',
      'A',
      '--amount',
      '10.00',
      '--reason',
      'goodwill',
      '--json',
    ]);
    expect(small.json()).toMatchObject({ status: 'posted' });
    const big = await cli([
      'ledger',
      'discount',
      '--client',
      'CLI',
      '--account',
      'A',
      '--amount',
      '500',
      '--component',
      'principal',
      '--reason',
      'hardship',
      '--user',
      'ann',
      '--json',
    ]);
    expect(big.json()).toMatchObject({ status: 'proposed' });
    const rejected = await cli([
      'approval',
      'reject',
      String(big.json().proposal_id),
      '--user',
      'bob',
      '--reason',
      'no',
      '--json',
    ]);
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    const tooPrecise = await cli([
      'ledger',
      'discount',
      '--client',
      'CLI',
      '--account',
      'A',
      '--amount',
      '12.345',
      '--reason',
      'x',
    ]);
    expect(tooPrecise.code).toBe(2);
    expect(tooPrecise.stderr).toMatch(/3 decimals/);
  });

  it('agrees a settlement, adjusts and recalls through approval', async () => {
    const settle = await cli([
      'ledger',
      'settle',
      '--client',
      'CLI',
      '--account',
      'B',
      '--amount',
      '480.00',
      '--json',
    ]);
    expect(settle.json()).toMatchObject({ status: 'agreed' });
    await postPayments(t.db, [payment(clientId, b, 480_00n)], 'u');
    expect(await accountState(t.db, b)).toMatchObject({ status: 'settled', principal: 0n, interest: 0n });
    const adjust = await cli([
      'ledger',
      'adjust',
      '--client',
      'CLI',
      '--account',
      'A',
      '--fees',
      '100',
      '--reason',
      'statement',
      '--user',
      'ann',
      '--json',
    ]);
    expect(adjust.json()).toMatchObject({ status: 'proposed' });
    const ok = await cli([
      'approval',
      'approve',
      String(adjust.json().proposal_id),
      '--user',
      'bob',
      '--json',
    ]);
    expect(ok.json()).toMatchObject({ status: 'approved', kind: 'adjustment' });
    const recall = await cli([
      'ledger',
      'recall',
      '--client',
      'CLI',
      '--account',
      'A',
      '--reason',
      'client',
      '--user',
      'ann',
      '--json',
    ]);
    await cli(['approval', 'approve', String(recall.json().proposal_id), '--user', 'bob']);
    expect(await accountState(t.db, a)).toMatchObject({ status: 'recalled', principal: 0n, fees: 0n });
  });

  it('remits and moves commission out of trust', async () => {
    const remit = await cli(['ledger', 'remit', '--client', 'CLI', '--through', '2030-01-01', '--json']);
    // 480.00 in trust, 10% commission = 48.00 → 432.00 owed to the client
    expect(remit.json()).toMatchObject({ net_minor: 432_00, netted_minor: 0 });
    const transfer = await cli([
      'ledger',
      'transfer-commission',
      '--client',
      'CLI',
      '--through',
      '2030-01-01',
      '--json',
    ]);
    expect(transfer.json()).toMatchObject({ amount_minor: 48_00 });
    const check = await cli(['ledger', 'check', '--json']);
    expect(check.json()).toEqual({ ok: true, violations: [] });
    const balance = await cli(['ledger', 'balance', '--client', 'CLI', '--json']);
    expect(balance.json()).toMatchObject({
      payable_minor: 0,
      commission_minor: 48_00,
      collected_minor: 480_00,
    });
  });
});
