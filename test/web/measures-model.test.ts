/**
 * The measures page's pure helpers (web/src/pages/measures/model.ts): rates as percentages from their
 * exact decimal strings (half-even, no float), p-values, exact sorting, default periods, the page's
 * state ⇄ the URL, the API's queries, the charts' series, the verdict, and the web's copies of the
 * server's lists equal to the server's.
 */
import { describe, expect, it } from 'vitest';
import type * as server from '../../src/reports/measures-types.ts';
import {
  comparableMeasures as serverComparable,
  measureDimensions as serverDimensions,
  rollFromBuckets as serverFrom,
  rollToStates as serverTo,
} from '../../src/reports/measures-types.ts';
import { supportedCurrencies } from '../../src/shared/money.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import type * as web from '../../web/src/pages/measures/model.ts';
import {
  addDays,
  beforePeriod,
  comparableMeasures,
  compareMinor,
  compareRates,
  countText,
  currencies,
  curveSeries,
  cutQuery,
  cutValue,
  daysIn,
  dayText,
  defaultDimension,
  defaultPeriod,
  dimensionsFor,
  escapeHtml,
  type Filters,
  isDay,
  isMonth,
  measureDimensions,
  type PageState,
  percentDigits,
  percentNumber,
  percentText,
  periodQuery,
  previousMonth,
  pValueText,
  type Rate,
  ratePercentText,
  readState,
  resolvedView,
  rollCells,
  rollFromBuckets,
  rollToStates,
  scaleDecimal,
  topCollected,
  verdictOf,
  withFilters,
  writeState,
} from '../../web/src/pages/measures/model.ts';

/** A server shape as JSON brings it: a bigint arrives as a JSON integer. */
type Json<T> = T extends bigint
  ? number
  : T extends ReadonlyArray<infer U>
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
type Fits<A, B> = [A] extends [B] ? true : false;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;

/** Checked by the type check (`tsc`): the web's copies of the shapes take what the server sends. */
const shapesFit: [
  Fits<Json<server.MeasureValues>, web.MeasureValues>,
  SameKeys<server.MeasureValues, web.MeasureValues>,
  Fits<Json<server.MeasureRow>, web.MeasureRow>,
  Fits<Json<server.VintageCurve>, web.VintageCurve>,
  Fits<Json<server.RollMatrix> & { currency: string }, web.RollMatrix>,
  Fits<Json<server.Comparison>, web.Comparison>,
] = [true, true, true, true, true, true];

const rate = (value: string | null, numerator = 1, denominator = 2): Rate => ({
  numerator,
  denominator,
  value,
});

describe("the web's copies of the server's lists", () => {
  it('are the same, in the same order', () => {
    expect(shapesFit.every(Boolean)).toBe(true);
    expect([...measureDimensions]).toEqual([...serverDimensions]);
    expect([...comparableMeasures]).toEqual([...serverComparable]);
    expect([...rollFromBuckets]).toEqual([...serverFrom]);
    expect([...rollToStates]).toEqual([...serverTo]);
    expect([...currencies].sort()).toEqual([...supportedCurrencies].sort());
  });

  it('each have their words in both languages', () => {
    for (const locale of [zhCN, en]) {
      for (const dimension of measureDimensions) expect(locale.measures.dimensions[dimension]).toBeTruthy();
      for (const measure of comparableMeasures) {
        expect(locale.measures.kpi[measure]).toBeTruthy();
        expect(locale.measures.parts[measure].numerator).toBeTruthy();
      }
      expect(locale.menu.measures).toBeTruthy();
    }
  });
});

describe('a rate as a percentage', () => {
  it('is formatted from the decimal string, rounded half-even like the server', () => {
    expect(percentText('0.123457')).toBe('12.35%');
    expect(percentText('0.123450')).toBe('12.34%'); // a tie: to even
    expect(percentText('0.123550')).toBe('12.36%'); // a tie: to even
    expect(percentText('0.123451')).toBe('12.35%'); // past the tie
    expect(percentText('0.5')).toBe('50.00%');
    expect(percentText('1.000000')).toBe('100.00%');
    expect(percentText('12.5')).toBe('1,250.00%');
    expect(percentText('0')).toBe('0.00%');
    expect(percentText('0.000049')).toBe('0.00%');
    expect(percentText('0.000050')).toBe('0.00%'); // 0.005 % → 0.00 (even)
    expect(percentText('0.000150')).toBe('0.02%'); // 0.015 % → 0.02 (even)
  });

  it('is rounded once from the exact parts when they are at hand, not again from six places', () => {
    // 12,345,004 ÷ 100,000,000 = 0.12345004: the server's '0.123450' would round again to 12.34 %
    const rate = { numerator: 12_345_004, denominator: 100_000_000, value: '0.123450' };
    expect(percentText(rate.value)).toBe('12.34%');
    expect(ratePercentText(rate)).toBe('12.35%');
    // a true tie still goes to even; amounts beyond 2^53 arrive as digits
    expect(ratePercentText({ numerator: 1_234_5, denominator: 100_000, value: '0.123450' })).toBe('12.34%');
    expect(
      ratePercentText({ numerator: '90071992547409930', denominator: '180143985094819860', value: '0.5' }),
    ).toBe('50.00%');
    expect(ratePercentText({ numerator: -1, denominator: 3, value: '-0.333333' })).toBe('-33.33%');
    expect(ratePercentText({ numerator: 0, denominator: 0, value: null })).toBe('—');
    expect(ratePercentText({ numerator: 1, denominator: 8, value: '0.125000' }, 1)).toBe('12.5%');
  });

  it('rounds every tie the same way, which a float does not', () => {
    // through a double, 1.015 rounds down and 1.025 up
    expect((Number('0.010150') * 100).toFixed(2)).toBe('1.01');
    expect((Number('0.010250') * 100).toFixed(2)).toBe('1.03');
    expect(percentText('0.010150')).toBe('1.02%');
    expect(percentText('0.010250')).toBe('1.02%');
    expect(percentText('0.001450', 3)).toBe('0.145%');
  });

  it('shows — when there is no value, and signs a difference when asked', () => {
    expect(percentText(null)).toBe('—');
    expect(percentText(undefined)).toBe('—');
    expect(percentText('abc')).toBe('—');
    expect(percentDigits('0.012345', 2, true)).toBe('+1.23');
    expect(percentDigits('-0.012355', 2, true)).toBe('-1.24');
    expect(percentDigits('-0.000001', 2, true)).toBe('0.00'); // no "-0.00"
    expect(percentDigits('0', 2, true)).toBe('0.00');
  });

  it('is a plain number only for drawing', () => {
    expect(percentNumber('0.123457')).toBe(12.3457);
    expect(percentNumber('1.5')).toBe(150);
    expect(percentNumber('-0.01')).toBe(-1);
    expect(percentNumber(null)).toBeNull();
  });

  it('scales exactly', () => {
    expect(scaleDecimal('0.123457', 6)).toBe(123457n);
    expect(scaleDecimal('-1.5', 0)).toBe(-2n);
    expect(scaleDecimal('2.5', 0)).toBe(2n);
    expect(scaleDecimal('3.5', 0)).toBe(4n);
    expect(scaleDecimal('7', 2)).toBe(700n);
    expect(scaleDecimal('1e-5', 2)).toBeNull();
  });
});

describe('other figures as text', () => {
  it('p-values with 4 places, tiny ones as < 0.0001', () => {
    expect(pValueText('0.043210')).toBe('0.0432');
    expect(pValueText('0.000100')).toBe('0.0001');
    expect(pValueText('0.000099')).toBe('< 0.0001');
    expect(pValueText('0.000000')).toBe('< 0.0001');
    expect(pValueText('1.000000')).toBe('1.0000');
    expect(pValueText(null)).toBe('—');
  });

  it('counts with grouped thousands, exactly past 2^53', () => {
    expect(countText(1234567)).toBe('1,234,567');
    expect(countText('900719925474099317')).toBe('900,719,925,474,099,317');
    expect(countText(-1200n)).toBe('-1,200');
    expect(countText(0)).toBe('0');
    expect(countText(null)).toBe('—');
    expect(countText(1.5)).toBe('—');
  });

  it('days, — when none', () => {
    expect(dayText(12)).toBe('12');
    expect(dayText(0)).toBe('0');
    expect(dayText(null)).toBe('—');
  });

  it('escapes what goes into an HTML tooltip', () => {
    expect(escapeHtml('<b>A&B "x" \'y\'</b>')).toBe('&#60;b&#62;A&#38;B &#34;x&#34; &#39;y&#39;&#60;/b&#62;');
  });
});

describe('sorting the table', () => {
  it('orders rates exactly, those without a value first', () => {
    const rates = [rate('0.5'), rate(null), rate('0.123457'), rate('0.123456'), rate('1.2')];
    expect([...rates].sort(compareRates).map((r) => r.value)).toEqual([
      null,
      '0.123456',
      '0.123457',
      '0.5',
      '1.2',
    ]);
  });

  it('orders amounts as BigInt', () => {
    expect(compareMinor('900719925474099317', '900719925474099316')).toBe(1);
    expect(compareMinor(5, 5)).toBe(0);
    expect(compareMinor(-1, 0)).toBe(-1);
  });

  it('takes the rows with the most collected for the chart', () => {
    const rows = [{ collected_minor: 5 }, { collected_minor: '900719925474099317' }, { collected_minor: 70 }];
    expect(topCollected(rows, 2).map((row) => String(row.collected_minor))).toEqual([
      '900719925474099317',
      '70',
    ]);
  });
});

describe('days and periods', () => {
  it('checks calendar days and months', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
    expect(isDay('2024-13-01')).toBe(false);
    expect(isDay('2024-1-01')).toBe(false);
    expect(isMonth('2024-12')).toBe(true);
    expect(isMonth('2024-00')).toBe(false);
    expect(isMonth('2024-13')).toBe(false);
  });

  it('defaults to this month to date', () => {
    expect(defaultPeriod('2024-03-15')).toEqual({ from: '2024-03-01', to: '2024-03-15' });
    expect(defaultPeriod('2024-03-01')).toEqual({ from: '2024-03-01', to: '2024-03-01' });
  });

  it('compares with as many days just before', () => {
    expect(daysIn({ from: '2024-03-01', to: '2024-03-15' })).toBe(15);
    expect(beforePeriod({ from: '2024-03-01', to: '2024-03-15' })).toEqual({
      from: '2024-02-15',
      to: '2024-02-29',
    });
    expect(beforePeriod({ from: '2024-01-01', to: '2024-01-31' })).toEqual({
      from: '2023-12-01',
      to: '2023-12-31',
    });
    expect(beforePeriod({ from: '2024-05-10', to: '2024-05-10' })).toEqual({
      from: '2024-05-09',
      to: '2024-05-09',
    });
    expect(addDays('2024-03-31', 1)).toBe('2024-04-01');
  });

  it('takes last month for the roll rates', () => {
    expect(previousMonth('2024-03-15')).toBe('2024-02');
    expect(previousMonth('2024-01-01')).toBe('2023-12');
    expect(previousMonth('2024-11-30')).toBe('2024-10');
  });
});

describe('the page state in the URL', () => {
  const today = '2024-03-15';

  it('falls back to the defaults for an empty or malformed query', () => {
    expect(readState(new URLSearchParams(), today, false)).toEqual({
      filters: { from: '2024-03-01', to: '2024-03-15', currency: 'CNY' },
      view: {},
    });
    const bad = new URLSearchParams(
      'from=2024-03-20&to=2024-03-01&currency=XYZ&batch=01&team=x&vintage=2024-13&bucket=M9&dimension=nope&measure=x&roll_month=24-01&before_from=2024-02-30&before_to=2024-02-28',
    );
    expect(readState(bad, today, false)).toEqual({
      filters: { from: '2024-03-01', to: '2024-03-15', currency: 'CNY' },
      view: {},
    });
  });

  it('reads back what it writes', () => {
    const state: PageState = {
      filters: {
        from: '2024-01-01',
        to: '2024-01-31',
        currency: 'HKD',
        client: 'ACME',
        batch: '12',
        vintage: '2023-11',
        team: '3',
        agent: 'li.wei',
        product: '信用卡',
        bucket: 'M6+',
        segment: 'early',
        arm: 'challenger',
      },
      view: {
        dimension: 'agent',
        rollMonth: '2023-12',
        measure: 'rpc_rate',
        before: { from: '2023-12-01', to: '2023-12-31' },
      },
    };
    const params = writeState(state);
    expect(params.get('bucket')).toBe('M6+');
    expect(readState(new URLSearchParams(params.toString()), today, false)).toEqual(state);
  });

  it('leaves the unset cuts and view choices out of the URL', () => {
    const params = writeState({
      filters: { from: '2024-03-01', to: '2024-03-15', currency: 'CNY' },
      view: {},
    });
    expect(params.toString()).toBe('from=2024-03-01&to=2024-03-15&currency=CNY');
  });

  it("drops, for a client's users, the client filter and the agency's own cuts", () => {
    const params = new URLSearchParams(
      'client=ACME&batch=7&team=3&agent=li&segment=s&arm=a&product=p&bucket=M1&dimension=team',
    );
    expect(readState(params, today, true).filters).toEqual({
      from: '2024-03-01',
      to: '2024-03-15',
      currency: 'CNY',
      batch: '7',
      product: 'p',
      bucket: 'M1',
    });
    expect(readState(params, today, true).view.dimension).toBeUndefined();
    expect(readState(params, today, false).view.dimension).toBe('team');
  });

  it('offers and defaults the dimensions by role', () => {
    expect(dimensionsFor(false)).toEqual([...measureDimensions]);
    expect(dimensionsFor(true)).toEqual(['client', 'batch', 'vintage', 'product', 'bucket']);
    expect(defaultDimension(false)).toBe('client');
    expect(defaultDimension(true)).toBe('batch');
  });

  it('fills the view defaults in', () => {
    const state = readState(new URLSearchParams(), today, true);
    expect(resolvedView(state, today, true)).toEqual({
      dimension: 'batch',
      rollMonth: '2024-02',
      measure: 'account_recovery_rate',
      before: { from: '2024-02-15', to: '2024-02-29' },
    });
  });

  it('resets the "before" period when the period changes, not otherwise', () => {
    const state: PageState = {
      filters: { from: '2024-03-01', to: '2024-03-15', currency: 'CNY' },
      view: { before: { from: '2023-03-01', to: '2023-03-15' }, dimension: 'batch' },
    };
    const samePeriod = withFilters(state, { ...state.filters, bucket: 'M2' });
    expect(samePeriod.view.before).toEqual({ from: '2023-03-01', to: '2023-03-15' });
    const moved = withFilters(state, { ...state.filters, from: '2024-02-01' });
    expect(moved.view).toEqual({ dimension: 'batch' });
  });

  it('checks each cut as the server reads it', () => {
    expect(cutValue('batch', ' 42 ')).toBe('42');
    expect(cutValue('batch', '042')).toBeUndefined();
    expect(cutValue('team', '1234567890123456789')).toBeUndefined();
    expect(cutValue('vintage', '2024-02')).toBe('2024-02');
    expect(cutValue('bucket', 'current')).toBe('current');
    expect(cutValue('agent', '  ')).toBeUndefined();
    expect(cutValue('product', 'x'.repeat(150))).toHaveLength(100);
  });
});

describe('the API queries', () => {
  const filters: Filters = {
    from: '2024-03-01',
    to: '2024-03-15',
    currency: 'CNY',
    client: 'ACME',
    bucket: 'M1',
  };

  it('send the cut with or without the period', () => {
    expect(cutQuery(filters)).toEqual({ currency: 'CNY', client: 'ACME', bucket: 'M1' });
    expect(periodQuery(filters)).toEqual({
      from: '2024-03-01',
      to: '2024-03-15',
      currency: 'CNY',
      client: 'ACME',
      bucket: 'M1',
    });
  });
});

describe('the charts', () => {
  it('aligns the recovery curves by month since placement, the oldest vintage first', () => {
    const { months, series } = curveSeries([
      {
        vintage: '2024-02',
        accounts: 10,
        placed_minor: 1000,
        points: [{ month: 0, collected_minor: 100, rate: rate('0.1', 100, 1000) }],
      },
      {
        vintage: '2024-01',
        accounts: 5,
        placed_minor: 500,
        points: [
          { month: 0, collected_minor: 25, rate: rate('0.05', 25, 500) },
          { month: 2, collected_minor: 75, rate: rate('0.15', 75, 500) },
        ],
      },
    ]);
    expect(months).toEqual([0, 1, 2]);
    expect(series.map((s) => s.vintage)).toEqual(['2024-01', '2024-02']);
    expect(series[0]?.data).toEqual([5, null, 15]);
    expect(series[1]?.data).toEqual([10, null, null]);
    expect(curveSeries([])).toEqual({ months: [], series: [] });
  });

  it('makes a heat-map cell of every from × to pair', () => {
    const cells = rollCells({
      rows: [
        {
          from: 'M1',
          accounts: 4,
          balance_minor: 1000,
          to: [
            { state: 'M2', accounts: 1, balance_minor: 250, rate: rate('0.25', 250, 1000) },
            { state: 'paid', accounts: 3, balance_minor: 750, rate: rate('0.75', 750, 1000) },
          ],
        },
      ],
    });
    expect(cells).toHaveLength(rollToStates.length);
    expect(cells.every((cell) => cell.y === 1)).toBe(true);
    const paid = cells.find((cell) => cell.state === 'paid');
    expect(paid).toMatchObject({ x: 8, percent: 75, accounts: 3 });
    expect(cells.find((cell) => cell.state === 'M3')).toMatchObject({ percent: null, accounts: 0 });
  });
});

describe('the verdict of a before / after comparison', () => {
  const base = { enough: true, difference: '0.05', interval: { low: '0.01', high: '0.09' } };

  it('is too few to tell without enough, a difference or an interval', () => {
    expect(verdictOf({ ...base, enough: false })).toBe('not_enough');
    expect(verdictOf({ ...base, difference: null })).toBe('not_enough');
    expect(verdictOf({ ...base, interval: null })).toBe('not_enough');
  });

  it('is higher or lower when the interval excludes zero, else no clear difference', () => {
    expect(verdictOf(base)).toBe('higher');
    expect(verdictOf({ ...base, difference: '-0.05', interval: { low: '-0.09', high: '-0.000001' } })).toBe(
      'lower',
    );
    expect(verdictOf({ ...base, interval: { low: '0.000000', high: '0.09' } })).toBe('no_difference');
    expect(verdictOf({ ...base, interval: { low: '-0.01', high: '0.09' } })).toBe('no_difference');
  });
});
