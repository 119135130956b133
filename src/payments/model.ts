/**
 * The payment file (回款文件, formats.md) as pure rules: its columns, and the validation of one row
 * in two steps — what can be checked from the row alone, then what needs the account it names
 * (currency and amount in that currency's minor units, live status). No SQL here.
 */
import {
  formatDate,
  fourDigits,
  isRealDate,
  parseBusinessDate,
  parseDateOrInstant,
  twoDigits,
} from '../shared/dates.ts';
import { isSupportedCurrency, minorDigits, parseAmount } from '../shared/money.ts';

export interface ColumnSpec {
  name: string;
  aliases: string[];
  required: boolean;
}

export const paymentColumns: ColumnSpec[] = [
  { name: 'external_id', aliases: ['交易流水号', '流水号', 'transaction_id', 'txn_id'], required: true },
  { name: 'client_account_ref', aliases: ['客户账号', '案件编号', 'account_ref'], required: true },
  { name: 'amount', aliases: ['金额', '还款金额'], required: true },
  { name: 'currency', aliases: ['币种'], required: false },
  { name: 'paid_at', aliases: ['还款时间', '还款日期', 'paid_on'], required: true },
  { name: 'channel', aliases: ['渠道', '还款渠道'], required: true },
  { name: 'payer_name', aliases: ['付款人'], required: false },
  { name: 'reference', aliases: ['附言', '备注'], required: false },
  {
    name: 'reverses_external_id',
    aliases: ['冲正流水号', '原交易流水号', 'reverses'],
    required: false,
  },
];

export const channelNames = [
  'bank_transfer',
  'card',
  'cash',
  'alipay',
  'wechat_pay',
  'direct_to_client',
] as const;
export type Channel = (typeof channelNames)[number];

/** Channel words as files write them, English or Chinese, to the channel. */
const channelAliases = new Map<string, Channel>([
  ['bank_transfer', 'bank_transfer'],
  ['bank', 'bank_transfer'],
  ['transfer', 'bank_transfer'],
  ['银行转账', 'bank_transfer'],
  ['转账', 'bank_transfer'],
  ['银行', 'bank_transfer'],
  ['card', 'card'],
  ['银行卡', 'card'],
  ['刷卡', 'card'],
  ['cash', 'cash'],
  ['现金', 'cash'],
  ['alipay', 'alipay'],
  ['支付宝', 'alipay'],
  ['wechat_pay', 'wechat_pay'],
  ['wechat', 'wechat_pay'],
  ['微信', 'wechat_pay'],
  ['微信支付', 'wechat_pay'],
  ['direct_to_client', 'direct_to_client'],
  ['direct', 'direct_to_client'],
  ['客户直还', 'direct_to_client'],
  ['直还', 'direct_to_client'],
]);

export function parseChannel(text: string): Channel | null {
  // A Map, not an object: a cell reading "constructor" or "toString" named an Object method and passed.
  // Most cells are written exactly as a key: no lower-casing and replacing for them.
  return (
    channelAliases.get(text) ??
    channelAliases.get(
      text
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_'),
    ) ??
    null
  );
}

export interface RowError {
  row: number;
  column: string;
  reason: string;
}

/** A row that passed the checks that need no account. */
export interface CheckedRow {
  row: number;
  externalId: string;
  ref: string;
  amountText: string;
  /**
   * The amount in hundredths as the form check read it (null on a reversal without an amount): the
   * amount in minor units for every currency with two decimals, so it is not parsed again then.
   */
  hundredths: bigint | null;
  /** As written; null = the account's currency. */
  currency: string | null;
  paidOn: string;
  paidAt: string | null;
  channel: Channel;
  payerName: string | undefined;
  reference: string | undefined;
  /** Set on a reversal row: the external id of the payment it reverses. */
  reversesExternalId: string | undefined;
}

export const limits = {
  externalIdLength: 64,
  refLength: 64,
  textLength: 200,
};

const externalIdPattern = /^[\p{L}\p{N}._:/#-]+$/u;

/**
 * Checks one row on its own. `today` is the business date (payments dated after it are refused);
 * the amount is checked for form here and converted to minor units by `resolveAmount` once the
 * account's currency is known.
 */
// Module-level helpers rather than closures per row: a 200,000-row file calls checkRow 200,000 times.
function fail(errors: RowError[], row: number, column: string, reason: string): void {
  errors.push({ row, column, reason });
}

function get(values: Record<string, string>, name: string): string {
  return (values[name] ?? '').trim();
}

export function checkRow(
  row: number,
  values: Record<string, string>,
  today: string,
): { ok: true; row: CheckedRow } | { ok: false; errors: RowError[] } {
  const errors: RowError[] = [];

  const externalId = get(values, 'external_id');
  if (externalId === '')
    fail(errors, row, 'external_id', 'external_id is empty; every payment needs its transaction id');
  else if (externalId.length > limits.externalIdLength)
    fail(errors, row, 'external_id', `external_id is longer than ${limits.externalIdLength} characters`);
  else if (!externalIdPattern.test(externalId))
    fail(
      errors,
      row,
      'external_id',
      `external_id "${externalId}" has spaces or symbols; use letters, digits and . _ - : / #`,
    );

  const ref = get(values, 'client_account_ref');
  if (ref === '') fail(errors, row, 'client_account_ref', 'client_account_ref is empty');
  else if (ref.length > limits.refLength)
    fail(
      errors,
      row,
      'client_account_ref',
      `client_account_ref is longer than ${limits.refLength} characters`,
    );

  const reversesExternalId = get(values, 'reverses_external_id') || undefined;
  if (reversesExternalId !== undefined && reversesExternalId === externalId && externalId !== '')
    fail(errors, row, 'reverses_external_id', 'a row cannot reverse itself');

  const amountText = get(values, 'amount');
  let hundredths: bigint | null = null;
  if (amountText === '') {
    if (reversesExternalId === undefined) fail(errors, row, 'amount', 'amount is empty');
  } else {
    // the form, in the largest number of decimals any currency here has (2); the account's own
    // currency is applied by resolveAmount
    const form = parseAmount(amountText, 'CNY', { allowNegative: true });
    if (!form.ok) fail(errors, row, 'amount', form.reason);
    else if (form.minor < 0n)
      fail(
        errors,
        row,
        'amount',
        `"${amountText}" is negative; a returned payment is a row with reverses_external_id`,
      );
    else if (form.minor === 0n)
      fail(errors, row, 'amount', `"${amountText}" is zero; a payment must be above zero`);
    else hundredths = form.minor;
  }

  const currencyText = get(values, 'currency').toUpperCase();
  let currency: string | null = null;
  if (currencyText !== '') {
    if (!isSupportedCurrency(currencyText))
      fail(errors, row, 'currency', `"${get(values, 'currency')}" is not a currency we know`);
    else currency = currencyText;
  }

  const paidAtText = get(values, 'paid_at');
  let paidOn = '';
  let paidAt: string | null = null;
  if (paidAtText === '') fail(errors, row, 'paid_at', 'paid_at is empty');
  else {
    const parsed = parsePaidAt(paidAtText);
    if (!parsed.ok) {
      // a well-formed date that does not exist says so, rather than "not a date"
      const asDate = parseBusinessDate(paidAtText);
      fail(errors, row, 'paid_at', !asDate.ok && /real/.test(asDate.reason) ? asDate.reason : parsed.reason);
    } else if (parsed.date > today)
      fail(errors, row, 'paid_at', `"${paidAtText}" is in the future (today is ${today})`);
    else {
      paidOn = parsed.date;
      paidAt = parsed.instant;
    }
  }

  const channelText = get(values, 'channel');
  const channel = channelText === '' ? null : parseChannel(channelText);
  if (channelText === '')
    fail(errors, row, 'channel', `channel is empty; write one of ${channelNames.join(', ')}`);
  else if (channel === null)
    fail(
      errors,
      row,
      'channel',
      `"${channelText}" is not a channel; write one of ${channelNames.join(', ')}`,
    );

  const payerName = get(values, 'payer_name') || undefined;
  if (payerName !== undefined && payerName.length > limits.textLength)
    fail(errors, row, 'payer_name', `payer_name is longer than ${limits.textLength} characters`);
  const reference = get(values, 'reference') || undefined;
  if (reference !== undefined && reference.length > limits.textLength)
    fail(errors, row, 'reference', `reference is longer than ${limits.textLength} characters`);

  if (errors.length > 0 || channel === null) return { ok: false, errors };
  return {
    ok: true,
    row: {
      row,
      externalId,
      ref,
      amountText,
      hundredths,
      currency,
      paidOn,
      paidAt,
      channel,
      payerName,
      reference,
      reversesExternalId,
    },
  };
}

/** The account a payment row names, as far as validation needs it. */
export interface AccountFacts {
  id: bigint;
  currency: string;
  status: string;
}

export const liveStatuses = new Set(['active', 'paid', 'settled']);

const statusWords: Record<string, string> = {
  closed: 'closed',
  recalled: 'recalled to the client (退案)',
  written_off: 'written off (核销)',
};

/**
 * The account check: the reference must name a live account of the client. `accounts` holds every
 * account with that reference (a live one and any earlier closed, recalled or written-off ones).
 */
export function checkAccount(
  row: CheckedRow,
  accounts: readonly AccountFacts[] | undefined,
): RowError | AccountFacts {
  const live = accounts?.find((a) => liveStatuses.has(a.status));
  if (live) return live;
  if (!accounts || accounts.length === 0) {
    return {
      row: row.row,
      column: 'client_account_ref',
      reason: `no account "${row.ref}" for this client`,
    };
  }
  const last = accounts[accounts.length - 1] as AccountFacts;
  return {
    row: row.row,
    column: 'client_account_ref',
    reason: `account "${row.ref}" is ${statusWords[last.status] ?? last.status}; payments are not taken on it`,
  };
}

/** The amount in the minor units of the account's currency, > 0. */
export function resolveAmount(
  row: CheckedRow,
  account: AccountFacts,
): { ok: true; minor: bigint } | RowError {
  const currency = row.currency ?? account.currency;
  if (currency !== account.currency) {
    return {
      row: row.row,
      column: 'currency',
      reason: `currency ${currency} does not match the account's currency ${account.currency}`,
    };
  }
  // the form check read it in hundredths already: the same minor units in a two-decimal currency
  if (row.hundredths !== null && minorDigits(currency) === 2) return { ok: true, minor: row.hundredths };
  const parsed = parseAmount(row.amountText, currency);
  if (!parsed.ok) return { row: row.row, column: 'amount', reason: parsed.reason };
  if (parsed.minor <= 0n)
    return { row: row.row, column: 'amount', reason: `"${row.amountText}" is not above zero` };
  return { ok: true, minor: parsed.minor };
}

/** What identifies a payment's content, to tell a repeated row from a conflicting one. */
export function fingerprint(row: CheckedRow): string {
  return [
    row.ref,
    row.amountText.replace(/[,\s¥￥]/g, ''),
    row.currency ?? '',
    row.paidOn,
    row.channel,
    row.reversesExternalId ?? '',
  ].join('\u0001');
}

// ---------------------------------------------------------------- dates and times, fast

const zone = 'Asia/Shanghai';
const plainDate = /^\d{4}(?:-\d{1,2}-\d{1,2}|\/\d{1,2}\/\d{1,2}|年\d{1,2}月\d{1,2}日|\d{4})$/;
const localTime = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const zonedTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
let zoneFormat: Intl.DateTimeFormat | null = null;
const offsetByHour = new Map<number, number>();

/** The zone's offset from UTC (ms) at an instant, cached by UTC hour (zones change on the hour). */
function zoneOffsetAt(utcMs: number): number {
  const hour = Math.floor(utcMs / 3_600_000);
  const cached = offsetByHour.get(hour);
  if (cached !== undefined) return cached;
  zoneFormat ??= new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const at = hour * 3_600_000;
  const parts = zoneFormat.formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const offset =
    Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - at;
  if (offsetByHour.size > 100_000) offsetByHour.clear();
  offsetByHour.set(hour, offset);
  return offset;
}

/**
 * `parseDateOrInstant` of src/shared/dates.ts for Asia/Shanghai with the same answers, at a
 * fraction of the cost: the zone's offset is computed once per hour rather than per row (building
 * an Intl.DateTimeFormat per row made a 200,000-row file take seconds).
 */
export function parsePaidAt(
  text: string,
): { ok: true; date: string; instant: string | null } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (plainDate.test(trimmed)) return parseDateOrInstant(trimmed, zone);
  // the common form, `YYYY-MM-DD HH:MM:SS`, read by character codes: no match array, no Date to read back
  if (
    trimmed.length === 19 &&
    trimmed.charCodeAt(4) === 45 &&
    trimmed.charCodeAt(7) === 45 &&
    trimmed.charCodeAt(10) === 32 &&
    trimmed.charCodeAt(13) === 58 &&
    trimmed.charCodeAt(16) === 58
  ) {
    const y = fourDigits(trimmed, 0);
    const mo = twoDigits(trimmed, 5);
    const d = twoDigits(trimmed, 8);
    const h = twoDigits(trimmed, 11);
    const mi = twoDigits(trimmed, 14);
    const s = twoDigits(trimmed, 17);
    if (y >= 0 && mo >= 0 && d >= 0 && h >= 0 && mi >= 0 && s >= 0)
      return localTimeAt(text, y, mo, d, h, mi, s);
  }
  const local = localTime.exec(trimmed);
  if (local) {
    return localTimeAt(
      text,
      Number(local[1]),
      Number(local[2]),
      Number(local[3]),
      Number(local[4]),
      Number(local[5]),
      Number(local[6] ?? 0),
    );
  }
  if (zonedTime.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) return { ok: false, reason: `"${text}" is not a real timestamp` };
    return {
      ok: true,
      date: new Date(ms + zoneOffsetAt(ms)).toISOString().slice(0, 10),
      instant: new Date(ms).toISOString(),
    };
  }
  return parseDateOrInstant(trimmed, zone);
}

/** A wall-clock time in Asia/Shanghai: its business date and its instant. */
function localTimeAt(
  text: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
): { ok: true; date: string; instant: string } | { ok: false; reason: string } {
  if (!isRealDate(y, mo, d) || h > 23 || mi > 59 || s > 59) {
    return { ok: false, reason: `"${text}" is not a real date and time` };
  }
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // the offset at the wall time read as UTC, corrected once (as the shared function does)
  return { ok: true, date: formatDate(y, mo, d), instant: new Date(wall - zoneOffsetAt(wall)).toISOString() };
}
