import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from './payments.ts';
import { checkLedger } from './queries.ts';
import {
  accountState,
  addContract,
  createClient,
  payment,
  placeAccounts,
  postingsOfEntry,
} from './test-fixtures.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe('postPayments', () => {
  it('posts a trust payment as three balanced pairs, allocated by the default waterfall', async () => {
    const { clientId } = await createClient(t.db, 'PAY1', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1500 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 1000_00n, interest: 50_00n, fees: 20_00n, penalty: 10_00n },
    ])) as [bigint];
    const [r] = await postPayments(t.db, [payment(clientId, a, 50_00n, { externalId: 'X1' })], 'agent');
    // penalty 10, fees 20, interest 20 of 50; commission 15% of 50.00 = 7.50
    expect(r).toMatchObject({
      externalId: 'X1',
      status: 'posted',
      allocation: {
        principal_minor: 0n,
        interest_minor: 20_00n,
        fees_minor: 20_00n,
        penalty_minor: 10_00n,
        overpayment_minor: 0n,
      },
      commissionMinor: 7_50n,
    });
    expect(await postingsOfEntry(t.db, r?.entryId as bigint)).toEqual([
      ['trust:bank', null, 50_00n],
      ['client:payable', null, -50_00n],
      ['client:collected', null, 50_00n],
      ['debt:penalty', a, -10_00n],
      ['debt:fees', a, -20_00n],
      ['debt:interest', a, -20_00n],
      ['client:payable', null, 7_50n],
      ['agency:commission_revenue', null, -7_50n],
    ]);
    expect(await accountState(t.db, a)).toEqual({
      status: 'active',
      principal: 1000_00n,
      interest: 30_00n,
      fees: 0n,
      penalty: 0n,
      overpayment: 0n,
    });
    const entry = await t.db
      .selectFrom('journal_entries')
      .selectAll()
      .where('id', '=', r?.entryId as bigint)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      kind: 'payment',
      external_id: 'X1',
      commission_rate_bp: 1500,
      commission_exact_numerator: 7_500_000n,
    });
    const acc = await t.db
      .selectFrom('accounts')
      .select(['last_payment_date', 'last_payment_amount_minor'])
      .where('id', '=', a)
      .executeTakeFirstOrThrow();
    expect(acc).toEqual({ last_payment_date: '2025-06-10', last_payment_amount_minor: 50_00n });
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('allocates several payments on one account sequentially, overpayment last, status paid', async () => {
    const { clientId } = await createClient(t.db, 'PAY2', {
      waterfall: ['principal', 'interest', 'fees', 'penalty'],
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 100n, interest: 30n, penalty: 5n },
    ])) as [bigint];
    const results = await postPayments(
      t.db,
      [payment(clientId, a, 80n), payment(clientId, a, 40n), payment(clientId, a, 25n)],
      'agent',
    );
    expect(results.map((r) => r.allocation)).toEqual([
      { principal_minor: 80n, interest_minor: 0n, fees_minor: 0n, penalty_minor: 0n, overpayment_minor: 0n },
      { principal_minor: 20n, interest_minor: 20n, fees_minor: 0n, penalty_minor: 0n, overpayment_minor: 0n },
      { principal_minor: 0n, interest_minor: 10n, fees_minor: 0n, penalty_minor: 5n, overpayment_minor: 10n },
    ]);
    // 10% commission on the commissionable part only: 8, 4, 1.5 → 2 (half-even)
    expect(results.map((r) => r.commissionMinor)).toEqual([8n, 4n, 2n]);
    expect(await postingsOfEntry(t.db, results[2]?.entryId as bigint)).toEqual([
      ['trust:bank', null, 25n],
      ['client:payable', null, -25n],
      ['client:collected', null, 25n],
      ['debt:interest', a, -10n],
      ['debt:penalty', a, -5n],
      ['debt:overpayment', a, -10n],
      ['client:payable', null, 2n],
      ['agency:commission_revenue', null, -2n],
    ]);
    expect(await accountState(t.db, a)).toEqual({
      status: 'paid',
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 10n,
    });
    const events = await t.db.selectFrom('account_events').selectAll().where('account_id', '=', a).execute();
    expect(events).toMatchObject([
      { from_status: 'active', to_status: 'paid', entry_id: results[2]?.entryId },
    ]);
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('rounds commission half-even: x.5 ties to even both ways, and keeps the exact numerator', async () => {
    const { clientId } = await createClient(t.db, 'PAY3', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 500 }],
    });
    const ids = await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 10_000n },
      { ref: 'B', principal: 10_000n },
      { ref: 'C', principal: 10_000n },
    ]);
    // 5% of 50 = 2.5 → 2; 5% of 70 = 3.5 → 4; 5% of 71 = 3.55 → 4
    const results = await postPayments(
      t.db,
      [
        payment(clientId, ids[0] as bigint, 50n),
        payment(clientId, ids[1] as bigint, 70n),
        payment(clientId, ids[2] as bigint, 71n),
      ],
      'agent',
    );
    expect(results.map((r) => r.commissionMinor)).toEqual([2n, 4n, 4n]);
    const numerators = await t.db
      .selectFrom('journal_entries')
      .select('commission_exact_numerator')
      .where(
        'id',
        'in',
        results.map((r) => r.entryId as bigint),
      )
      .orderBy('id')
      .execute();
    expect(numerators.map((n) => n.commission_exact_numerator)).toEqual([25_000n, 35_000n, 35_500n]);
  });

  it('takes the commission rate by DPD from the contract version in force on the payment date', async () => {
    const { clientId } = await createClient(t.db, 'PAY4', {
      effectiveFrom: '2020-01-01',
      commission: [
        { fromDpd: 0, toDpd: 90, rateBp: 1000 },
        { fromDpd: 91, toDpd: null, rateBp: 3000 },
      ],
    });
    await addContract(t.db, clientId, {
      effectiveFrom: '2025-07-01',
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 5000 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 1_000_000n, delinquencyDate: '2025-03-01' },
    ])) as [bigint];
    const results = await postPayments(
      t.db,
      [
        payment(clientId, a, 1000n, { paidOn: '2025-05-30' }), // 90 DPD → 10%
        payment(clientId, a, 1000n, { paidOn: '2025-05-31' }), // 91 DPD → 30%
        payment(clientId, a, 1000n, { paidOn: '2025-07-01' }), // new version → 50%
      ],
      'agent',
    );
    expect(results.map((r) => r.commissionMinor)).toEqual([100n, 300n, 500n]);
    const entries = await t.db
      .selectFrom('journal_entries')
      .select(['days_past_due', 'commission_rate_bp'])
      .where(
        'id',
        'in',
        results.map((r) => r.entryId as bigint),
      )
      .orderBy('id')
      .execute();
    expect(entries).toEqual([
      { days_past_due: 90, commission_rate_bp: 1000 },
      { days_past_due: 91, commission_rate_bp: 3000 },
      { days_past_due: 122, commission_rate_bp: 5000 },
    ]);
    // a later version does not change a past payment's commission
    await addContract(t.db, clientId, {
      effectiveFrom: '2025-01-01',
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 9000 }],
    });
    const again = await t.db
      .selectFrom('journal_entries')
      .select('commission_rate_bp')
      .where('id', '=', results[0]?.entryId as bigint)
      .executeTakeFirstOrThrow();
    expect(again.commission_rate_bp).toBe(1000);
  });

  it('allocates under each payment’s own waterfall when a new version changes it mid-file', async () => {
    const { clientId } = await createClient(t.db, 'PAY5', { effectiveFrom: '2020-01-01' });
    await addContract(t.db, clientId, {
      effectiveFrom: '2025-06-15',
      waterfall: ['principal', 'interest', 'fees', 'penalty'],
    });
    const [a] = (await placeAccounts(t.db, clientId, [{ ref: 'A', principal: 100n, penalty: 100n }])) as [
      bigint,
    ];
    const results = await postPayments(
      t.db,
      [
        payment(clientId, a, 50n, { paidOn: '2025-06-20' }),
        payment(clientId, a, 50n, { paidOn: '2025-06-10' }),
        payment(clientId, a, 100n, { paidOn: '2025-06-20' }),
      ],
      'agent',
    );
    expect(results.map((r) => [r.allocation?.principal_minor, r.allocation?.penalty_minor])).toEqual([
      [50n, 0n],
      [0n, 50n],
      [50n, 50n],
    ]);
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('posts a direct payment (客户直还) with commission receivable', async () => {
    const { clientId } = await createClient(t.db, 'PAY6', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 2000 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [{ ref: 'A', principal: 500n, fees: 100n }])) as [
      bigint,
    ];
    const [r] = await postPayments(
      t.db,
      [payment(clientId, a, 300n, { direct: true, channel: 'direct_to_client' })],
      'agent',
    );
    expect(await postingsOfEntry(t.db, r?.entryId as bigint)).toEqual([
      ['client:direct_paid', null, 300n],
      ['debt:fees', a, -100n],
      ['debt:principal', a, -200n],
      ['client:commission_receivable', null, 60n],
      ['agency:commission_revenue', null, -60n],
    ]);
    const entry = await t.db
      .selectFrom('journal_entries')
      .select('kind')
      .where('id', '=', r?.entryId as bigint)
      .executeTakeFirstOrThrow();
    expect(entry.kind).toBe('direct_payment');
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('reports duplicates (in the ledger and within the input) and rejects bad payments with reasons', async () => {
    const { clientId } = await createClient(t.db, 'PAY7');
    const [a, closed] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 500n },
      { ref: 'B', principal: 500n },
    ])) as [bigint, bigint];
    await t.db.updateTable('accounts').set({ status: 'recalled' }).where('id', '=', closed).execute();
    const first = await postPayments(t.db, [payment(clientId, a, 10n, { externalId: 'D1' })], 'agent');
    const results = await postPayments(
      t.db,
      [
        payment(clientId, a, 10n, { externalId: 'D1' }),
        payment(clientId, a, 10n, { externalId: 'D2' }),
        payment(clientId, a, 10n, { externalId: 'D2' }),
        payment(clientId, closed, 10n, { externalId: 'R1' }),
        payment(clientId, a, 10n, { externalId: 'R2', currency: 'USD' }),
        payment(clientId, a, 0n, { externalId: 'R3' }),
        payment(clientId, 999_999n, 10n, { externalId: 'R4' }),
      ],
      'agent',
    );
    expect(results.map((r) => [r.externalId, r.status, r.reason])).toEqual([
      ['D1', 'duplicate', undefined],
      ['D2', 'posted', undefined],
      ['D2', 'duplicate', undefined],
      ['R1', 'rejected', 'account is recalled'],
      ['R2', 'rejected', "currency USD does not match the account's CNY"],
      ['R3', 'rejected', 'amount must be greater than 0'],
      ['R4', 'rejected', 'unknown account'],
    ]);
    expect(results[0]?.entryId).toBe(first[0]?.entryId);
    expect(await accountState(t.db, a)).toMatchObject({ principal: 480n });
  });

  it('allocates across chunks and around duplicates and rejects on the same account', async () => {
    const { clientId } = await createClient(t.db, 'PAY9', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 0 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [{ ref: 'A', principal: 100n, fees: 10n }])) as [bigint];
    const results = await postPayments(
      t.db,
      [
        payment(clientId, a, 5n, { externalId: 'C1' }),
        payment(clientId, a, 7n, { externalId: 'C1' }),
        payment(clientId, a, 9n, { externalId: 'C2', currency: 'USD' }),
        payment(clientId, a, 20n, { externalId: 'C3' }),
        payment(clientId, a, 30n, { externalId: 'C1' }),
        payment(clientId, a, 100n, { externalId: 'C4' }),
      ],
      'agent',
      { chunkSize: 2 },
    );
    expect(
      results.map((r) => [
        r.externalId,
        r.status,
        r.allocation?.fees_minor,
        r.allocation?.principal_minor,
        r.allocation?.overpayment_minor,
      ]),
    ).toEqual([
      ['C1', 'posted', 5n, 0n, 0n],
      ['C1', 'duplicate', undefined, undefined, undefined],
      ['C2', 'rejected', undefined, undefined, undefined],
      ['C3', 'posted', 5n, 15n, 0n],
      ['C1', 'duplicate', undefined, undefined, undefined],
      ['C4', 'posted', 0n, 85n, 15n],
    ]);
    expect(await accountState(t.db, a)).toEqual({
      status: 'paid',
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 15n,
    });
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('posts many payments on one account from parallel connections serially (none lost)', async () => {
    const { clientId } = await createClient(t.db, 'PAY8', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    });
    const [a] = (await placeAccounts(t.db, clientId, [
      { ref: 'A', principal: 1000n, interest: 500n, penalty: 300n },
    ])) as [bigint];
    const calls = Array.from({ length: 40 }, (_, i) =>
      postPayments(t.db, [payment(clientId, a, BigInt(37 + i))], `u${i}`),
    );
    const results = (await Promise.all(calls)).flat();
    expect(results.every((r) => r.status === 'posted')).toBe(true);
    const paid = results.reduce((s, r) => s + BigInt(37 + results.indexOf(r)), 0n);
    const state = await accountState(t.db, a);
    // 40 payments of 37..76 = 2260 > 1800: everything paid, 460 overpaid
    expect(paid).toBe(2260n);
    expect(state).toEqual({
      status: 'paid',
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 460n,
    });
    const allocated = results.reduce(
      (s, r) =>
        s +
        (r.allocation?.principal_minor ?? 0n) +
        (r.allocation?.interest_minor ?? 0n) +
        (r.allocation?.penalty_minor ?? 0n),
      0n,
    );
    expect(allocated).toBe(1800n);
    expect(await checkLedger(t.db)).toEqual([]);
  });
});
