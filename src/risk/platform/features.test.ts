import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/db.ts';
import { reverseEntry } from '../../ledger/events.ts';
import { postPayments } from '../../ledger/payments.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { availableSources, buildTrainingTable, featureNames, queryFeatures, tableCsv } from './features.ts';
import { bankPayment } from './test-model.ts';

const t = await testDatabase();
afterAll(() => t.drop());

let ids: bigint[] = [];
let clientId = 0n;

function pay(accountId: bigint, externalId: string, amountMinor: bigint, paidOn: string) {
  return postPayments(t.db, [bankPayment(clientId, accountId, externalId, amountMinor, paidOn)], 'tester');
}

beforeAll(async () => {
  ({ clientId } = await createClient(t.db, 'RISKF'));
  ids = await placeAccounts(
    t.db,
    clientId,
    [
      { ref: 'A1', principal: 100_000n, interest: 20_000n, delinquencyDate: '2025-01-10' },
      { ref: 'A2', principal: 50_000n, delinquencyDate: '2025-02-20' },
    ],
    { effectiveDate: '2025-03-01' },
  );
  // before the observation date: 5,000 on 2025-03-01 (31 days before: outside the 30-day count) and
  // 10,000 on 2025-03-20
  await pay(ids[0] as bigint, 'p1', 5_000n, '2025-03-01');
  await pay(ids[0] as bigint, 'p2', 10_000n, '2025-03-20');
  // the planted future payment: after the observation date, within the window
  await pay(ids[0] as bigint, 'future', 60_000n, '2025-04-10');
  // A2 pays after the window closes: not its outcome
  await pay(ids[1] as bigint, 'late', 50_000n, '2025-06-15');
});

describe('the nightly (partition) path', () => {
  it('reads the same features as training for the same accounts and date', async () => {
    const sources = await availableSources(t.db);
    const asOf = '2025-03-31';
    const whole = await queryFeatures(t.db, { asOf, clientId }, sources);
    const sliced = await queryFeatures(
      t.db,
      { asOf, clientId, range: { from: ids[0] as bigint, to: ids[1] as bigint } },
      sources,
    );
    expect(sliced.names).toEqual(whole.names);
    expect(sliced.rows).toHaveLength(2);
    expect(sliced.rows).toEqual(whole.rows);
    // one account's slice holds only that account
    const one = await queryFeatures(
      t.db,
      { asOf, clientId, range: { from: ids[1] as bigint, to: ids[1] as bigint } },
      sources,
    );
    expect(one.rows).toEqual([whole.rows[1]]);
  });
});

describe('buildTrainingTable', () => {
  it('sees nothing after the observation date in any feature, and the outcome sees the planted payment', async () => {
    const table = await buildTrainingTable(t.db, {
      observationDate: '2025-03-31',
      outcomeDays: 30,
      paidShare: 0.5,
      clientId,
    });
    const sources = await availableSources(t.db);
    expect(table.headers).toEqual(['account_id', ...featureNames(sources), 'paid']);
    expect(table.rows).toBe(2);
    const row = (r: number) =>
      Object.fromEntries(table.headers.map((h, c) => [h, (table.columns[c] as string[])[r]]));
    const a1 = row(0);
    // 120,000 placed, 15,000 paid before the date: interest first by the waterfall
    expect(a1).toMatchObject({
      account_id: String(ids[0]),
      principal_minor: '100000',
      interest_minor: '5000',
      balance_minor: '105000',
      days_past_due: '80',
      bucket: 'M3',
      days_since_placement: '30',
      paid_30d_minor: '10000',
      paid_90d_minor: '15000',
      payments_ever: '2',
      days_since_payment: '11',
      paid: '1',
    });
    const a2 = row(1);
    expect(a2).toMatchObject({
      balance_minor: '50000',
      payments_ever: '0',
      days_since_payment: '',
      paid: '0',
    });
    const csv = tableCsv(table).split('\n');
    expect(csv[0]).toBe(table.headers.join(','));
  });

  it('builds the same features whether or not the future payment exists', async () => {
    const before = await buildTrainingTable(t.db, {
      observationDate: '2025-03-31',
      outcomeDays: 30,
      paidShare: 0.5,
      clientId,
    });
    await pay(ids[1] as bigint, 'future-2', 40_000n, '2025-04-02');
    const after = await buildTrainingTable(t.db, {
      observationDate: '2025-03-31',
      outcomeDays: 30,
      paidShare: 0.5,
      clientId,
    });
    const paid = after.headers.indexOf('paid');
    after.columns.forEach((column, c) => {
      if (c !== paid) expect(column).toEqual(before.columns[c]);
    });
    expect(after.columns[paid]).toEqual(['1', '1']);
    expect(before.columns[paid]).toEqual(['1', '0']);
  });

  it('refuses an observation date whose window has not closed', async () => {
    await expect(
      buildTrainingTable(t.db, { observationDate: '2999-01-01', outcomeDays: 30, paidShare: 0.5 }),
    ).rejects.toMatchObject({ code: 'bad_usage' });
  });
});

describe('the nightly path after a reversal', () => {
  it('still reads what training reads, before and after the reversal date', async () => {
    // p2 (10,000 on 2025-03-20) reversed on 2025-03-25: gone from the payments and back on the balance
    await reverseEntry(t.db, {
      clientId,
      externalId: 'p2',
      reason: 'returned',
      actor: 'tester',
      effectiveDate: '2025-03-25',
    });
    const sources = await availableSources(t.db);
    for (const asOf of ['2025-03-22', '2025-03-31', '2025-04-15']) {
      const whole = await queryFeatures(t.db, { asOf, clientId }, sources);
      const sliced = await queryFeatures(
        t.db,
        { asOf, clientId, range: { from: ids[0] as bigint, to: ids[1] as bigint } },
        sources,
      );
      expect(sliced.rows, asOf).toEqual(whole.rows);
    }
    const after = await queryFeatures(
      t.db,
      { asOf: '2025-03-31', clientId, range: { from: ids[0] as bigint, to: ids[0] as bigint } },
      sources,
    );
    const cell = (name: string) => after.rows[0]?.cells[after.names.indexOf(name)];
    expect(cell('payments_ever')).toBe('1');
    expect(cell('paid_90d_minor')).toBe('5000');
  });
});
