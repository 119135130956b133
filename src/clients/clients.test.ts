import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import {
  commissionRateFor,
  formatCommissionSchedule,
  parseCommissionSchedule,
  parseWaterfall,
  versionInForce,
} from './model.ts';
import { contractInForce, findClientByCode } from './service.ts';

describe('contract terms', () => {
  it('parses a commission schedule and finds the rate by days past due', () => {
    const bands = parseCommissionSchedule('0-90:1500,91-180:2500,181-:3500');
    expect(bands).toEqual([
      { fromDpd: 0, toDpd: 90, rateBp: 1500 },
      { fromDpd: 91, toDpd: 180, rateBp: 2500 },
      { fromDpd: 181, toDpd: null, rateBp: 3500 },
    ]);
    expect(commissionRateFor({ commission: bands }, 90)).toBe(1500);
    expect(commissionRateFor({ commission: bands }, 91)).toBe(2500);
    expect(commissionRateFor({ commission: bands }, 5000)).toBe(3500);
    expect(commissionRateFor({ commission: bands }, -3)).toBe(1500);
  });

  it.each([
    ['1-:2000', /start at 0/],
    ['0-90:1500,92-:2000', /without gaps/],
    ['0-90:1500', /open-ended/],
    ['0-:20000', /between 0 and 10000/],
    ['0-:x', /not a band/],
    ['0-:1000,5-:1000', /only the last band/],
  ])('refuses the schedule %s', (text, message) => {
    expect(() => parseCommissionSchedule(text)).toThrow(message);
  });

  it('round-trips any valid schedule through its text form and covers every DPD', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 10000 })), {
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 10000 }),
        fc.integer({ min: 0, max: 3000 }),
        (cuts, lastRate, dpd) => {
          let from = 0;
          const parts = cuts.map(([width, rate]) => {
            const part = `${from}-${from + width - 1}:${rate}`;
            from += width;
            return part;
          });
          parts.push(`${from}-:${lastRate}`);
          const bands = parseCommissionSchedule(parts.join(','));
          expect(formatCommissionSchedule(bands)).toBe(parts.join(','));
          const rate = commissionRateFor({ commission: bands }, dpd);
          expect(bands.filter((b) => dpd >= b.fromDpd && (b.toDpd === null || dpd <= b.toDpd))).toHaveLength(
            1,
          );
          expect(rate).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('picks the version in force: latest date on or before, highest version on a tie, else the first', () => {
    const versions = [
      { effectiveFrom: '2026-06-01', version: 3 },
      { effectiveFrom: '2026-01-01', version: 1 },
      { effectiveFrom: '2026-06-01', version: 2 },
    ];
    expect(versionInForce(versions, '2026-05-31')?.version).toBe(1);
    expect(versionInForce(versions, '2026-06-01')?.version).toBe(3);
    expect(versionInForce(versions, '2025-01-01')?.version).toBe(1);
    expect(versionInForce([], '2026-01-01')).toBeUndefined();
  });

  it('accepts a waterfall only as a permutation of the four components', () => {
    expect(parseWaterfall('principal,interest,fees,penalty')).toEqual([
      'principal',
      'interest',
      'fees',
      'penalty',
    ]);
    expect(() => parseWaterfall('principal,principal,fees,penalty')).toThrow(/each of/);
    expect(() => parseWaterfall('principal,interest,fees')).toThrow(/each of/);
  });
});

describe('huikuan client', () => {
  let t: TestDatabase;
  let cli: ReturnType<typeof cliFor>;
  beforeAll(async () => {
    t = await testDatabase();
    cli = cliFor(t);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('adds a client with its first contract and defaults', async () => {
    const result = await cli([
      'client',
      'add',
      '--code',
      'ZSB',
      '--name',
      '招商银行信用卡中心',
      '--effective',
      '2026-01-01',
      '--user',
      'alice',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      client: 'ZSB',
      name: '招商银行信用卡中心',
      contract: {
        version: 1,
        effective_from: '2026-01-01',
        currency: 'CNY',
        jurisdiction: 'CN',
        waterfall: ['penalty', 'fees', 'interest', 'principal'],
        commission: [{ from_dpd: 0, to_dpd: null, rate_bp: 2000 }],
        netting: true,
        discount_limit_bp: 0,
        accrual_allowed: true,
        ends_on: null,
      },
    });
  });

  it('refuses a second client with the same code, and bad options with exit 2', async () => {
    const again = await cli(['client', 'add', '--code', 'ZSB', '--name', 'x', '--json']);
    expect(again.code).toBe(1);
    expect(again.json().error.code).toBe('conflict');
    const bad = await cli([
      'client',
      'add',
      '--code',
      'B1',
      '--name',
      'x',
      '--commission',
      '0-90:1500',
      '--json',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.json().error.message).toMatch(/open-ended/);
    const badCurrency = await cli(['client', 'add', '--code', 'B2', '--name', 'x', '--currency', 'XYZ']);
    expect(badCurrency.code).toBe(2);
    expect(badCurrency.stderr).toMatch(/not supported/);
  });

  it('versions contracts: a change takes effect from its date and history is kept', async () => {
    const v2 = await cli([
      'client',
      'contract',
      'ZSB',
      '--commission',
      '0-90:1500,91-:3000',
      '--netting',
      'off',
      '--effective',
      '2026-06-01',
      '--json',
    ]);
    expect(v2.code).toBe(0);
    expect(v2.json().contract).toMatchObject({
      version: 2,
      effective_from: '2026-06-01',
      netting: false,
      waterfall: ['penalty', 'fees', 'interest', 'principal'],
    });
    const client = await findClientByCode(t.db, 'ZSB');
    expect((await contractInForce(t.db, client.id, '2026-05-31')).version).toBe(1);
    expect((await contractInForce(t.db, client.id, '2026-06-01')).version).toBe(2);
    expect((await contractInForce(t.db, client.id, '2025-01-01')).version).toBe(1);
    const backdated = await cli([
      'client',
      'contract',
      'ZSB',
      '--discount-limit',
      '500',
      '--effective',
      '2026-03-01',
      '--json',
    ]);
    expect(backdated.code).toBe(2);
    const currency = await cli(['client', 'contract', 'ZSB', '--currency', 'USD']);
    expect(currency.code).toBe(2);
    const show = await cli(['client', 'show', 'ZSB', '--json']);
    expect(show.json().contracts.map((c: { version: number }) => c.version)).toEqual([1, 2]);
    const missing = await cli(['client', 'show', 'NOPE', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json().error.code).toBe('not_found');
  });
});
