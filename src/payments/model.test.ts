import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDateOrInstant } from '../shared/dates.ts';
import {
  type CheckedRow,
  checkAccount,
  checkRow,
  fingerprint,
  parseChannel,
  parsePaidAt,
  resolveAmount,
} from './model.ts';

const today = '2026-03-31';
const good = {
  external_id: 'TXN001',
  client_account_ref: 'CC001',
  amount: '1,234.50',
  currency: '',
  paid_at: '2026-03-01 14:05:00',
  channel: 'alipay',
  payer_name: '张三',
  reference: '',
  reverses_external_id: '',
};

function checked(values: Partial<typeof good>): CheckedRow {
  const result = checkRow(2, { ...good, ...values }, today);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.row;
}

function errorsOf(values: Partial<typeof good>) {
  const result = checkRow(7, { ...good, ...values }, today);
  return result.ok ? [] : result.errors;
}

describe('payment row checks', () => {
  it('accepts a good row, with its date in Shanghai and the instant in UTC', () => {
    const row = checked({});
    expect(row).toMatchObject({
      externalId: 'TXN001',
      ref: 'CC001',
      paidOn: '2026-03-01',
      paidAt: '2026-03-01T06:05:00.000Z',
      channel: 'alipay',
      payerName: '张三',
      reference: undefined,
      currency: null,
    });
  });

  it.each([
    ['12.345', /3 decimals/],
    ['1e4', /exponent/],
    ['0', /zero/],
    ['0.00', /zero/],
    ['-100.00', /negative/],
    ['abc', /not an amount/],
    ['', /empty/],
  ])('refuses the amount %s', (amount, reason) => {
    const errors = errorsOf({ amount });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ row: 7, column: 'amount' });
    expect(errors[0]?.reason).toMatch(reason);
  });

  it.each([
    ['2026-02-30', /not a real/],
    ['03/15/2026', /not a date/],
    ['2026-04-01', /future/],
    ['', /empty/],
  ])('refuses the date %s', (paid_at, reason) => {
    const errors = errorsOf({ paid_at });
    expect(errors.map((e) => e.column)).toEqual(['paid_at']);
    expect(errors[0]?.reason).toMatch(reason);
  });

  it('reports every bad column of a row', () => {
    const errors = errorsOf({ external_id: '', client_account_ref: '', channel: 'paypal', currency: 'XXX' });
    expect(errors.map((e) => e.column).sort()).toEqual([
      'channel',
      'client_account_ref',
      'currency',
      'external_id',
    ]);
  });

  it('reads channels in English and Chinese', () => {
    expect(parseChannel('客户直还')).toBe('direct_to_client');
    expect(parseChannel('微信支付')).toBe('wechat_pay');
    expect(parseChannel('Bank Transfer')).toBe('bank_transfer');
    expect(parseChannel('paypal')).toBeNull();
    // names of Object's own members are not channels
    for (const text of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      expect(parseChannel(text)).toBeNull();
  });

  it('lets a reversal row leave the amount out, never reverse itself', () => {
    expect(checked({ amount: '', reverses_external_id: 'TXN000' }).reversesExternalId).toBe('TXN000');
    expect(errorsOf({ reverses_external_id: 'TXN001' })[0]?.column).toBe('reverses_external_id');
  });

  it('tells a repeated row from a different payment under the same id', () => {
    expect(fingerprint(checked({ amount: '1234.50' }))).toBe(fingerprint(checked({})));
    expect(fingerprint(checked({ amount: '1234.51' }))).not.toBe(fingerprint(checked({})));
  });
});

describe('account checks', () => {
  const row = checked({});
  it('takes the live account among earlier closed ones', () => {
    const live = { id: 2n, currency: 'CNY', status: 'active' };
    expect(checkAccount(row, [{ id: 1n, currency: 'CNY', status: 'recalled' }, live])).toBe(live);
  });
  it.each([
    [undefined, /no account "CC001"/],
    [[{ id: 1n, currency: 'CNY', status: 'closed' }], /is closed/],
    [[{ id: 1n, currency: 'CNY', status: 'recalled' }], /recalled/],
    [[{ id: 1n, currency: 'CNY', status: 'written_off' }], /written off/],
  ])('refuses case %#', (accounts, reason) => {
    const result = checkAccount(row, accounts);
    expect(result).toMatchObject({ row: 2, column: 'client_account_ref' });
    expect('reason' in result && result.reason).toMatch(reason);
  });
  it('converts the amount in the account currency and refuses a mismatch', () => {
    expect(resolveAmount(row, { id: 1n, currency: 'CNY', status: 'active' })).toEqual({
      ok: true,
      minor: 123450n,
    });
    expect(resolveAmount(row, { id: 1n, currency: 'JPY', status: 'active' })).toMatchObject({
      column: 'amount',
    });
    expect(
      resolveAmount(checked({ currency: 'usd' }), { id: 1n, currency: 'CNY', status: 'active' }),
    ).toMatchObject({
      column: 'currency',
    });
  });
});

describe('parsePaidAt', () => {
  it.each([
    '2026-03-01',
    '2026/3/1',
    '2026年3月1日',
    '20260301',
    '2026-03-01 14:05:00',
    '2026-03-01 00:05',
    '2026/3/1 23:59:59',
    '2026-03-01T14:05:00',
    '2026-02-28T20:00:00Z',
    '2026-03-01T01:30:00+09:00',
    '1988-07-01 12:00:00',
    '2026-02-30 10:00:00',
    '2026-03-01 24:00:00',
    'yesterday',
  ])('answers as parseDateOrInstant does for %s', (text) => {
    expect(parsePaidAt(text)).toEqual(parseDateOrInstant(text));
  });

  it('answers as parseDateOrInstant does for any wall-clock time, real or not, in the forms files write', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 1890, max: 2210 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.constantFrom('iso', 'slash', 'minutes', 'T'),
        (y, mo, d, h, mi, s, form) => {
          const text =
            form === 'iso'
              ? `${y}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`
              : form === 'slash'
                ? `${y}/${mo}/${d} ${h}:${pad(mi, 2)}:${pad(s, 2)}`
                : form === 'minutes'
                  ? `${y}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}`
                  : `${y}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
          expect(parsePaidAt(text)).toEqual(parseDateOrInstant(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
