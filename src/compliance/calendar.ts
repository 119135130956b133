/**
 * US business days for Regulation F's validation period (12 CFR 1006.34(b)(5)): weekends and the
 * legal public holidays of 5 U.S.C. 6103(a), computed by rule for any year, with the observed-day
 * shifts of 6103(b) (a holiday on a Saturday is observed the Friday before, on a Sunday the Monday
 * after). Both the holiday and its observed day are non-business days. Pure.
 */
import { addDays, type BusinessDate } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';

export interface Holiday {
  name: string;
  /** The date in the statute (or the Monday/Thursday rule). */
  date: BusinessDate;
  /** The day federal offices close for it (the same unless it falls on a weekend). */
  observed: BusinessDate;
}

function iso(year: number, month: number, day: number): BusinessDate {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** Day of the week of a date: 0 = Sunday … 6 = Saturday. */
export function weekday(date: BusinessDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** The n-th (1-based) `dow` of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, dow: number, n: number): BusinessDate {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return iso(year, month, 1 + ((dow - first + 7) % 7) + (n - 1) * 7);
  }
  const lastDay = new Date(Date.UTC(year, month, 0));
  const back = (lastDay.getUTCDay() - dow + 7) % 7;
  return iso(year, month, lastDay.getUTCDate() - back);
}

function observedDay(date: BusinessDate): BusinessDate {
  const dow = weekday(date);
  if (dow === 6) return addDays(date, -1);
  if (dow === 0) return addDays(date, 1);
  return date;
}

/**
 * The federal holidays of `year` (from 1971, when the Monday holidays began; Martin Luther King Jr.
 * Day from 1986, Juneteenth from 2021). A New Year's Day on a Saturday is observed on 31 December of
 * the year before: it is listed under the year of its date.
 */
export function usFederalHolidays(year: number): Holiday[] {
  if (!Number.isInteger(year) || year < 1971 || year > 9999) {
    throw new HuikuanError(
      'bad_input',
      `US federal holidays are computed for the years 1971 to 9999, not ${year}.`,
    );
  }
  const dates: Array<[string, BusinessDate]> = [["New Year's Day", iso(year, 1, 1)]];
  if (year >= 1986) dates.push(['Birthday of Martin Luther King, Jr.', nthWeekday(year, 1, 1, 3)]);
  dates.push(["Washington's Birthday", nthWeekday(year, 2, 1, 3)]);
  dates.push(['Memorial Day', nthWeekday(year, 5, 1, -1)]);
  if (year >= 2021) dates.push(['Juneteenth National Independence Day', iso(year, 6, 19)]);
  dates.push(['Independence Day', iso(year, 7, 4)]);
  dates.push(['Labor Day', nthWeekday(year, 9, 1, 1)]);
  dates.push(['Columbus Day', nthWeekday(year, 10, 1, 2)]);
  dates.push(['Veterans Day', iso(year, 11, 11)]);
  dates.push(['Thanksgiving Day', nthWeekday(year, 11, 4, 4)]);
  dates.push(['Christmas Day', iso(year, 12, 25)]);
  return dates.map(([name, date]) => ({ name, date, observed: observedDay(date) }));
}

const closedDaysByYear = new Map<number, Set<BusinessDate>>();

/** Holiday dates and observed days that fall in `year` (including next year's New Year observed on 31 Dec). */
function closedDays(year: number): Set<BusinessDate> {
  let days = closedDaysByYear.get(year);
  if (days === undefined) {
    days = new Set<BusinessDate>();
    for (const y of [year, year + 1]) {
      if (y > 9999) continue;
      for (const holiday of usFederalHolidays(y)) {
        for (const date of [holiday.date, holiday.observed]) {
          if (Number(date.slice(0, 4)) === year) days.add(date);
        }
      }
    }
    closedDaysByYear.set(year, days);
  }
  return days;
}

/** Whether `date` is a US business day: not a Saturday, Sunday, federal holiday or its observed day. */
export function isUsBusinessDay(date: BusinessDate): boolean {
  const dow = weekday(date);
  if (dow === 0 || dow === 6) return false;
  return !closedDays(Number(date.slice(0, 4))).has(date);
}

/** The date `count` business days after `date` (the date itself not counted). */
export function addUsBusinessDays(date: BusinessDate, count: number): BusinessDate {
  let current = date;
  let left = count;
  while (left > 0) {
    current = addDays(current, 1);
    if (isUsBusinessDay(current)) left--;
  }
  return current;
}

export interface ValidationPeriod {
  sentOn: BusinessDate;
  /** Assumed receipt: five days after sending, not counting weekends and federal holidays. */
  assumedReceipt: BusinessDate;
  /** The last day of the validation period, printed on the notice: 30 days after the assumed receipt. */
  endsOn: BusinessDate;
}

/** Regulation F 1006.34(b)(5): the validation period of a notice sent on `sentOn`. */
export function usValidationPeriod(sentOn: BusinessDate, receiptDays = 5, periodDays = 30): ValidationPeriod {
  const assumedReceipt = addUsBusinessDays(sentOn, receiptDays);
  return { sentOn, assumedReceipt, endsOn: addDays(assumedReceipt, periodDays) };
}
