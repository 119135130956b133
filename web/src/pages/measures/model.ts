/**
 * The measures page's pure side (no React, no i18next): the API's JSON shapes (a copy of the server's
 * src/reports/measures-types.ts, with its bigint fields as `Minor`, which is how JSON brings them),
 * rates as percentages from their exact decimal strings (no float on the way), the default periods,
 * the page's state ⇄ the URL query (so a view can be shared and reloaded), the API's query
 * parameters, the charts' series and a before / after comparison's verdict.
 */
import type { Minor } from '../../money.ts';
import { buckets as strategyBuckets } from '../strategy/model.ts';

// ------------------------------------------------------------------ the API's shapes

/** The dimensions a table can be cut by (the server's `measureDimensions`, in its order). */
export const measureDimensions = [
  'client',
  'batch',
  'vintage',
  'team',
  'agent',
  'product',
  'bucket',
  'segment',
  'arm',
] as const;
export type MeasureDimension = (typeof measureDimensions)[number];

/** The server's `comparableMeasures`: proportions of counted things a before / after test can compare. */
export const comparableMeasures = [
  'account_recovery_rate',
  'contact_rate',
  'rpc_rate',
  'promise_rate',
  'promise_kept_rate',
  'plan_completion_rate',
] as const;
export type ComparableMeasure = (typeof comparableMeasures)[number];

/** The server's `rollFromBuckets` and `rollToStates` (the product's buckets, as the strategy editor offers them): the heat map's rows and columns. */
export const rollFromBuckets = strategyBuckets;
export const rollToStates = [...rollFromBuckets, 'paid', 'closed'] as const;
export type RollFromBucket = (typeof rollFromBuckets)[number];
export type RollToState = (typeof rollToStates)[number];

/** The buckets the filter offers (an account's current bucket from the nightly run). */
export const buckets = rollFromBuckets;

/** The currencies the server measures (its `supportedCurrencies`, src/shared/money.ts). */
export const currencies = [
  'CNY',
  'USD',
  'EUR',
  'GBP',
  'HKD',
  'MOP',
  'TWD',
  'SGD',
  'AUD',
  'CAD',
  'JPY',
  'KRW',
] as const;

export interface Rate {
  numerator: Minor;
  denominator: Minor;
  /** the quotient rounded half-even to 6 places ('0.123457'); null when the denominator is 0 */
  value: string | null;
}

export interface DayStats {
  accounts: number;
  median_days: number | null;
  p90_days: number | null;
}

export interface MeasureValues {
  accounts_placed: number;
  placed_minor: Minor;
  collected_minor: Minor;
  collected_trust_minor: Minor;
  collected_direct_minor: Minor;
  payments: number;
  accounts_paying: number;
  recovery_rate: Rate;
  account_recovery_rate: Rate;
  commission_minor: Minor;
  net_to_client_minor: Minor;
  written_off_minor: Minor;
  bad_debt_rate: Rate;
  attempts: number;
  reached: number;
  right_party: number;
  contact_rate: Rate;
  rpc_rate: Rate;
  promises_made: number;
  promise_rate: Rate;
  promises_due: number;
  promises_kept: number;
  promise_kept_rate: Rate;
  plans_ended: number;
  plans_completed: number;
  plan_completion_rate: Rate;
  live_accounts: number;
  lost_contact_accounts: number;
  lost_contact_rate: Rate;
  days_to_first_payment: DayStats;
  days_to_full_payment: DayStats;
}

/** The rates of MeasureValues, by name. */
export type RateName = {
  [K in keyof MeasureValues]: MeasureValues[K] extends Rate ? K : never;
}[keyof MeasureValues];

export interface MeasureRow extends MeasureValues {
  /** the dimension's value: an id as text, a month, a code or a username; '' for none */
  key: string;
  label: string;
}

export interface Summary {
  from: string;
  to: string;
  currency: string;
  values: MeasureValues;
}

export interface ByDimension {
  from: string;
  to: string;
  currency: string;
  dimension: MeasureDimension;
  rows: MeasureRow[];
  truncated: boolean;
}

export interface VintageCurve {
  vintage: string;
  accounts: number;
  placed_minor: Minor;
  points: Array<{ month: number; collected_minor: Minor; rate: Rate }>;
}

export interface RecoveryCurves {
  currency: string;
  vintages: VintageCurve[];
}

export interface RollRow {
  from: RollFromBucket;
  accounts: number;
  balance_minor: Minor;
  to: Array<{ state: RollToState; accounts: number; balance_minor: Minor; rate: Rate }>;
}

export interface RollMatrix {
  month: string;
  from: string;
  to: string;
  rows: RollRow[];
  currency: string;
}

export interface Period {
  from: string;
  to: string;
}

export interface Comparison {
  measure: ComparableMeasure;
  before: Rate & Period;
  after: Rate & Period;
  difference: string | null;
  interval: { low: string; high: string } | null;
  p_value: string | null;
  enough: boolean;
}

// ------------------------------------------------------------------ exact decimals

const decimalPattern = /^(-?)(\d+)(?:\.(\d*))?$/;

/**
 * A decimal string × 10^places as a bigint, rounded half-even as the server rounds: `('0.12345', 4)`
 * → 1234n (a tie, to even), `('0.12355', 4)` → 1236n, `('0.123451', 4)` → 1235n. Null when the text is
 * not a decimal.
 */
export function scaleDecimal(text: string, places: number): bigint | null {
  const match = decimalPattern.exec(text.trim());
  if (!match) return null;
  const negative = match[1] === '-';
  const whole = match[2] ?? '0';
  const fraction = match[3] ?? '';
  let scaled = BigInt(`${whole}${fraction.slice(0, places).padEnd(places, '0')}`);
  const rest = fraction.slice(places);
  const first = rest[0] ?? '0';
  const beyond = /[1-9]/.test(rest.slice(1));
  if (first > '5' || (first === '5' && (beyond || scaled % 2n === 1n))) scaled += 1n;
  return negative ? -scaled : scaled;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A scaled bigint as text with `places` decimals and grouped thousands: (123456n, 2) → `1,234.56`. */
function scaledText(scaled: bigint, places: number): string {
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = places > 0 ? `.${digits.slice(digits.length - places)}` : '';
  return `${negative ? '-' : ''}${groupThousands(whole)}${fraction}`;
}

/**
 * A rate's decimal string as percent digits without the sign `%`: `'0.123457'` → `'12.35'`; with
 * `signed`, a `+` before a positive value. Null for a missing or malformed value.
 */
export function percentDigits(value: string | null | undefined, places = 2, signed = false): string | null {
  if (value === null || value === undefined) return null;
  const scaled = scaleDecimal(value, places + 2);
  if (scaled === null) return null;
  return `${signed && scaled > 0n ? '+' : ''}${scaledText(scaled, places)}`;
}

/** A rate's decimal string as a percentage, `'0.123457'` → `'12.35%'`; `'—'` when there is none. */
export function percentText(value: string | null | undefined, places = 2, signed = false): string {
  const digits = percentDigits(value, places, signed);
  return digits === null ? '—' : `${digits}%`;
}

/** A count or amount of the API (a JSON integer, or digits beyond 2^53) as a bigint; null if it is neither. */
function bigOf(value: Minor | null | undefined): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return null;
}

/**
 * A rate as a percentage rounded once, half-even, from its exact parts: rounding the server's six
 * places again would turn 0.12345004 ('0.123450') into 12.34 % instead of 12.35 %. Falls back to the
 * decimal string when the parts are not at hand; '—' without a denominator.
 */
export function ratePercentText(rate: Rate | null | undefined, places = 2): string {
  const numerator = bigOf(rate?.numerator);
  const denominator = bigOf(rate?.denominator);
  if (numerator === null || denominator === null) return percentText(rate?.value ?? null, places);
  if (denominator === 0n) return '—';
  const scaled = numerator * 10n ** BigInt(places + 2);
  const negative = scaled < 0n !== denominator < 0n;
  const top = scaled < 0n ? -scaled : scaled;
  const bottom = denominator < 0n ? -denominator : denominator;
  let quotient = top / bottom;
  const twice = 2n * (top % bottom);
  if (twice > bottom || (twice === bottom && quotient % 2n === 1n)) quotient += 1n;
  return `${scaledText(negative ? -quotient : quotient, places)}%`;
}

/** A rate as a plain number of percent, for drawing only (never for a figure shown as text). */
export function percentNumber(value: string | null | undefined): number | null {
  const digits = percentDigits(value, 4);
  return digits === null ? null : Number(digits.replace(/,/g, ''));
}

/** A p-value's decimal string with 4 places, `'< 0.0001'` below that; `'—'` when there is none. */
export function pValueText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const micro = scaleDecimal(value, 6);
  if (micro === null) return '—';
  if (micro < 100n) return '< 0.0001';
  return scaledText(scaleDecimal(value, 4) ?? 0n, 4);
}

/** A count or an integer of minor units with grouped thousands: `12345` → `12,345`; `'—'` for none. */
export function countText(value: Minor | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = typeof value === 'bigint' ? value.toString() : String(value).trim();
  if (!/^-?\d+$/.test(text)) return '—';
  return text.startsWith('-') ? `-${groupThousands(text.slice(1))}` : groupThousands(text);
}

/** Orders two rates by their exact values, the rates with no value first (ascending sorts). */
export function compareRates(a: Rate | null | undefined, b: Rate | null | undefined): number {
  const x = a?.value ? scaleDecimal(a.value, 6) : null;
  const y = b?.value ? scaleDecimal(b.value, 6) : null;
  if (x === null || y === null) return x === null ? (y === null ? 0 : -1) : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Orders two integers of minor units exactly (BigInt: no loss past 2^53). */
export function compareMinor(a: Minor | null | undefined, b: Minor | null | undefined): number {
  const x = BigInt(a ?? 0);
  const y = BigInt(b ?? 0);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A number of days as text, `'—'` for none. */
export function dayText(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : String(value);
}

// ------------------------------------------------------------------ calendar days and months

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const monthPattern = /^(\d{4})-(\d{2})$/;
const dayMs = 86_400_000;

/** Whether the text is a real calendar day `YYYY-MM-DD`. */
export function isDay(text: string | null | undefined): text is string {
  const match = dayPattern.exec(text ?? '');
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** Whether the text is a month `YYYY-MM` (01–12). */
export function isMonth(text: string | null | undefined): text is string {
  const match = monthPattern.exec(text ?? '');
  return !!match && Number(match[2]) >= 1 && Number(match[2]) <= 12;
}

function dayNumber(day: string): number {
  const [year, month, date] = day.split('-').map(Number);
  return Date.UTC(year ?? 1970, (month ?? 1) - 1, date ?? 1) / dayMs;
}

function dayOf(number: number): string {
  return new Date(number * dayMs).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return dayOf(dayNumber(day) + days);
}

/** Days in a period, both ends counted: 2024-03-01 … 2024-03-31 → 31. */
export function daysIn(period: Period): number {
  return dayNumber(period.to) - dayNumber(period.from) + 1;
}

/** The default period: this month to date (the server's default too). */
export function defaultPeriod(today: string): Period {
  return { from: `${today.slice(0, 7)}-01`, to: today };
}

/** The default "before": as many days as the period, immediately before it. */
export function beforePeriod(period: Period): Period {
  const to = addDays(period.from, -1);
  return { from: addDays(to, 1 - daysIn(period)), to };
}

/** The month before today's, `YYYY-MM` (the roll-rate matrix's default: the last whole month). */
export function previousMonth(today: string): string {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

// ------------------------------------------------------------------ the page's state ⇄ the URL

/** The cuts a filter can narrow, in the filter bar's order (the dimensions'); each is also a query parameter. */
export const cutKeys = measureDimensions;
export type CutKey = MeasureDimension;

export interface Filters extends Period, Partial<Record<CutKey, string>> {
  currency: string;
}

/** The views' own choices; unset means the default (which the URL then leaves out). */
export interface ViewState {
  dimension?: MeasureDimension;
  /** the roll-rate matrix's month, `YYYY-MM` */
  rollMonth?: string;
  measure?: ComparableMeasure;
  /** the comparison's "before" period */
  before?: Period;
}

export interface PageState {
  filters: Filters;
  view: ViewState;
}

const idKeys = new Set<CutKey>(['batch', 'team']);
/** A numeric id as the server reads it (1 to 18 digits, no leading zero). */
export const idPattern = /^[1-9]\d{0,17}$/;

/**
 * Cuts and dimensions that describe the agency's own organisation: the server refuses them to a
 * client's users, who see their portfolio by client, batch, vintage, product and bucket.
 */
export const agencyOnly = ['team', 'agent', 'segment', 'arm'] as const satisfies readonly CutKey[];

/** Whether a cut (or a dimension) is open to the user. */
export function cutAllowed(key: CutKey, clientUser: boolean): boolean {
  return !clientUser || !(agencyOnly as readonly string[]).includes(key);
}
const textLimit = 100;

/** A cut's value as the URL or a form gives it → what the API takes, or undefined when it is not one. */
export function cutValue(key: CutKey, raw: string | null | undefined): string | undefined {
  const text = (raw ?? '').trim();
  if (!text) return undefined;
  if (idKeys.has(key)) return idPattern.test(text) ? text : undefined;
  if (key === 'vintage') return isMonth(text) ? text : undefined;
  if (key === 'bucket') return (buckets as readonly string[]).includes(text) ? text : undefined;
  return text.slice(0, textLimit);
}

function oneOf<T extends string>(list: readonly T[], value: string | null): T | undefined {
  return (list as readonly string[]).includes(value ?? '') ? (value as T) : undefined;
}

function periodFrom(from: string | null, to: string | null): Period | undefined {
  return isDay(from) && isDay(to) && from <= to ? { from, to } : undefined;
}

/** The dimensions offered: not the agency's organisation to a client's users. */
export function dimensionsFor(clientUser: boolean): MeasureDimension[] {
  return measureDimensions.filter((dimension) => cutAllowed(dimension, clientUser));
}

/** The table's default dimension: by client for staff, by batch for a client's users. */
export function defaultDimension(clientUser: boolean): MeasureDimension {
  return clientUser ? 'batch' : 'client';
}

/**
 * The page's state from the URL's query: what is malformed or not allowed falls back to its default
 * (the period to this month, the currency to CNY). For a client's users the `client` filter is
 * dropped (the server limits them to their own clients anyway) and so are the agency-only cuts (the
 * server would refuse them), so a link a supervisor shares still opens.
 */
export function readState(params: URLSearchParams, today: string, clientUser: boolean): PageState {
  const period = periodFrom(params.get('from'), params.get('to')) ?? defaultPeriod(today);
  const currency = (params.get('currency') ?? '').trim().toUpperCase();
  const known = (currencies as readonly string[]).includes(currency);
  const filters: Filters = { ...period, currency: known ? currency : 'CNY' };
  for (const key of cutKeys) {
    if ((key === 'client' && clientUser) || !cutAllowed(key, clientUser)) continue;
    const value = cutValue(key, params.get(key));
    if (value !== undefined) filters[key] = value;
  }
  const view: ViewState = {};
  const dimension = oneOf(dimensionsFor(clientUser), params.get('dimension'));
  if (dimension) view.dimension = dimension;
  const rollMonth = params.get('roll_month');
  if (isMonth(rollMonth)) view.rollMonth = rollMonth;
  const measure = oneOf(comparableMeasures, params.get('measure'));
  if (measure) view.measure = measure;
  const before = periodFrom(params.get('before_from'), params.get('before_to'));
  if (before) view.before = before;
  return { filters, view };
}

/** The state as the URL's query: the period and currency always (a shared link means the same days), the rest when set. */
export function writeState(state: PageState): URLSearchParams {
  const params = new URLSearchParams();
  const { filters, view } = state;
  params.set('from', filters.from);
  params.set('to', filters.to);
  params.set('currency', filters.currency);
  for (const key of cutKeys) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (view.dimension) params.set('dimension', view.dimension);
  if (view.rollMonth) params.set('roll_month', view.rollMonth);
  if (view.measure) params.set('measure', view.measure);
  if (view.before) {
    params.set('before_from', view.before.from);
    params.set('before_to', view.before.to);
  }
  return params;
}

/** New filters applied: a changed period resets the comparison's "before" to its default. */
export function withFilters(state: PageState, filters: Filters): PageState {
  const samePeriod = filters.from === state.filters.from && filters.to === state.filters.to;
  const view = { ...state.view };
  if (!samePeriod) delete view.before;
  return { filters, view };
}

/** The view's choices with their defaults filled in. */
export function resolvedView(state: PageState, today: string, clientUser: boolean) {
  return {
    dimension: state.view.dimension ?? defaultDimension(clientUser),
    rollMonth: state.view.rollMonth ?? previousMonth(today),
    measure: state.view.measure ?? comparableMeasures[0],
    before: state.view.before ?? beforePeriod(state.filters),
  };
}

// ------------------------------------------------------------------ the API's query parameters

/** The cut shared by every endpoint: the currency and the cuts set (no period). */
export function cutQuery(filters: Filters): Record<string, string> {
  const query: Record<string, string> = { currency: filters.currency };
  for (const key of cutKeys) {
    const value = filters[key];
    if (value) query[key] = value;
  }
  return query;
}

/** The cut and its period (summary, by dimension, compare's "after"). */
export function periodQuery(filters: Filters): Record<string, string> {
  return { from: filters.from, to: filters.to, ...cutQuery(filters) };
}

// ------------------------------------------------------------------ charts and verdicts

export interface CurveSeries {
  vintage: string;
  accounts: number;
  placed_minor: Minor;
  /** percent by month since placement (index = month), null where the vintage has no point */
  data: Array<number | null>;
  points: Array<VintageCurve['points'][number] | null>;
}

/** The recovery curves as series aligned by month since placement, the oldest vintage first. */
export function curveSeries(vintages: readonly VintageCurve[]): { months: number[]; series: CurveSeries[] } {
  const last = Math.max(-1, ...vintages.flatMap((curve) => curve.points.map((point) => point.month)));
  const months = Array.from({ length: last + 1 }, (_v, index) => index);
  const series = [...vintages]
    .sort((a, b) => a.vintage.localeCompare(b.vintage))
    .map((curve) => {
      const points = months.map((month) => curve.points.find((point) => point.month === month) ?? null);
      return {
        vintage: curve.vintage,
        accounts: curve.accounts,
        placed_minor: curve.placed_minor,
        points,
        data: points.map((point) => (point ? percentNumber(point.rate.value) : null)),
      };
    });
  return { months, series };
}

export interface RollCell {
  /** column: the index in rollToStates */
  x: number;
  /** row: the index in rollFromBuckets */
  y: number;
  percent: number | null;
  from: RollFromBucket;
  state: RollToState;
  accounts: number;
  balance_minor: Minor;
  rate: Rate;
}

/** The roll-rate matrix as heat-map cells: every (from, to) pair, an absent one as zero of zero. */
export function rollCells(matrix: Pick<RollMatrix, 'rows'>): RollCell[] {
  const cells: RollCell[] = [];
  for (const row of matrix.rows) {
    const y = rollFromBuckets.indexOf(row.from);
    if (y < 0) continue;
    rollToStates.forEach((state, x) => {
      const cell = row.to.find((item) => item.state === state);
      const rate = cell?.rate ?? { numerator: 0, denominator: row.balance_minor, value: null };
      cells.push({
        x,
        y,
        from: row.from,
        state,
        accounts: cell?.accounts ?? 0,
        balance_minor: cell?.balance_minor ?? 0,
        rate,
        percent: percentNumber(rate.value),
      });
    });
  }
  return cells;
}

/** The rows with the most collected first, at most `count` of them (the bar chart beside the table). */
export function topCollected<T extends Pick<MeasureValues, 'collected_minor'>>(
  rows: readonly T[],
  count: number,
): T[] {
  return [...rows].sort((a, b) => compareMinor(b.collected_minor, a.collected_minor)).slice(0, count);
}

export type Verdict = 'not_enough' | 'higher' | 'lower' | 'no_difference';

/**
 * A comparison in plain words: too few to tell (either side under the server's minimum, or no
 * difference to show); higher or lower after when the 95% interval excludes zero; else no clear
 * difference.
 */
export function verdictOf(comparison: Pick<Comparison, 'enough' | 'difference' | 'interval'>): Verdict {
  if (!comparison.enough || comparison.difference === null || comparison.interval === null) {
    return 'not_enough';
  }
  const low = scaleDecimal(comparison.interval.low, 6);
  const high = scaleDecimal(comparison.interval.high, 6);
  if (low !== null && low > 0n) return 'higher';
  if (high !== null && high < 0n) return 'lower';
  return 'no_difference';
}

/** Text safe inside an HTML tooltip (ECharts renders a formatter's string as HTML). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
