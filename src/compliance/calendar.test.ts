import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../shared/dates.ts';
import {
  addUsBusinessDays,
  isUsBusinessDay,
  usFederalHolidays,
  usValidationPeriod,
  weekday,
} from './calendar.ts';

describe('US federal holidays', () => {
  it('lists 2026’s eleven holidays with their observed days', () => {
    expect(usFederalHolidays(2026).map((h) => [h.date, h.observed])).toEqual([
      ['2026-01-01', '2026-01-01'],
      ['2026-01-19', '2026-01-19'],
      ['2026-02-16', '2026-02-16'],
      ['2026-05-25', '2026-05-25'],
      ['2026-06-19', '2026-06-19'],
      ['2026-07-04', '2026-07-03'],
      ['2026-09-07', '2026-09-07'],
      ['2026-10-12', '2026-10-12'],
      ['2026-11-11', '2026-11-11'],
      ['2026-11-26', '2026-11-26'],
      ['2026-12-25', '2026-12-25'],
    ]);
  });

  it('shifts Saturday holidays to Friday and Sunday ones to Monday, across the year end', () => {
    // 2022-01-01 was a Saturday: observed on Friday 2021-12-31
    expect(isUsBusinessDay('2021-12-31')).toBe(false);
    // 2023-01-01 a Sunday: observed Monday 2023-01-02; Veterans Day 2023-11-11 a Saturday → Friday 10th
    expect(isUsBusinessDay('2023-01-02')).toBe(false);
    expect(isUsBusinessDay('2023-11-10')).toBe(false);
    // Juneteenth only from 2021; Martin Luther King Jr. Day only from 1986
    expect(usFederalHolidays(2020).some((h) => h.name.startsWith('Juneteenth'))).toBe(false);
    expect(isUsBusinessDay('2022-06-20')).toBe(false);
    expect(usFederalHolidays(1985)).toHaveLength(9);
    expect(usFederalHolidays(1986)).toHaveLength(10);
  });

  it('computes any year by rule: every observed day is a weekday, Thanksgiving the fourth Thursday', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1971, max: 2400 }), (year) => {
        const holidays = usFederalHolidays(year);
        for (const h of holidays) {
          expect([1, 2, 3, 4, 5]).toContain(weekday(h.observed));
          expect(isUsBusinessDay(h.observed)).toBe(false);
        }
        const thanksgiving = holidays.find((h) => h.name === 'Thanksgiving Day')?.date ?? '';
        expect(weekday(thanksgiving)).toBe(4);
        expect(Number(thanksgiving.slice(8))).toBeGreaterThanOrEqual(22);
        expect(Number(thanksgiving.slice(8))).toBeLessThanOrEqual(28);
        const memorial = holidays.find((h) => h.name === 'Memorial Day')?.date ?? '';
        expect(weekday(memorial)).toBe(1);
        expect(addDays(memorial, 7).slice(5, 7)).toBe('06');
      }),
    );
  });

  it('refuses years it cannot compute', () => {
    expect(() => usFederalHolidays(1900)).toThrow(/1971 to 9999/);
  });
});

describe('the validation period (Regulation F 1006.34)', () => {
  it.each([
    // Monday in a plain week: receipt the next Monday, end 30 days later
    ['2026-03-02', '2026-03-09', '2026-04-08'],
    // Thursday before Veterans Day (Wednesday 11 Nov): one day more
    ['2026-11-05', '2026-11-13', '2026-12-13'],
    // over Thanksgiving
    ['2026-11-23', '2026-12-01', '2026-12-31'],
    // over Christmas and New Year (both Fridays in 2026/2027)
    ['2026-12-21', '2026-12-29', '2027-01-28'],
    ['2026-12-31', '2027-01-08', '2027-02-07'],
    // sent on a Saturday: counting starts Monday
    ['2026-03-07', '2026-03-13', '2026-04-12'],
    // Independence Day 2026 is a Saturday, observed Friday 3 July
    ['2026-06-29', '2026-07-07', '2026-08-06'],
    // New Year's Day 2022 a Saturday, observed Friday 31 December 2021
    ['2021-12-27', '2022-01-04', '2022-02-03'],
  ])('sent %s → received %s, ends %s', (sentOn, receipt, end) => {
    expect(usValidationPeriod(sentOn)).toEqual({ sentOn, assumedReceipt: receipt, endsOn: end });
  });

  it('counts exactly n business days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 30 }), (offset, n) => {
        const start = addDays('1990-01-01', offset);
        const end = addUsBusinessDays(start, n);
        let count = 0;
        for (let d = addDays(start, 1); d <= end; d = addDays(d, 1)) if (isUsBusinessDay(d)) count++;
        expect(count).toBe(n);
        if (n > 0) expect(isUsBusinessDay(end)).toBe(true);
      }),
    );
  });
});
