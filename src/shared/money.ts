import { HuikuanError } from './errors.ts';

/** Minor units per major unit, by ISO 4217 code (the currencies an agency here meets). */
const minorDigitsByCurrency: Record<string, number> = {
  CNY: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  MOP: 2,
  TWD: 2,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  JPY: 0,
  KRW: 0,
};

export const supportedCurrencies = Object.keys(minorDigitsByCurrency);

export function isSupportedCurrency(code: string): boolean {
  return code in minorDigitsByCurrency;
}

export function minorDigits(currency: string): number {
  const digits = minorDigitsByCurrency[currency];
  if (digits === undefined) {
    throw new HuikuanError(
      'bad_input',
      `Unknown currency "${currency}". Use one of ${supportedCurrencies.join(', ')}.`,
    );
  }
  return digits;
}

const currencySymbols = /^(?:¥|￥|\$|€|£|RMB|CNY|USD|EUR|GBP|HKD)\s*/i;
const amountPattern = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;
const plainAmount = /^(\d{1,18})(?:\.(\d{1,4}))?$/;

export type AmountParse = { ok: true; minor: bigint } | { ok: false; reason: string };

/**
 * Parses an amount as agencies' files write it: "12345.67", "12,345.67", "¥12,345.67", "-5.00"
 * where negatives are allowed. Refuses exponents ("1.2345e4") and more decimals than the currency
 * has ("12.345" in CNY) rather than rounding silently.
 */
export function parseAmount(
  text: string,
  currency: string,
  options: { allowNegative?: boolean } = {},
): AmountParse {
  // Most cells of a file are plain "12345.67": read them without the general path's string copies.
  const plain = plainAmount.exec(text);
  if (plain !== null) {
    const digits = minorDigitsByCurrency[currency];
    const fraction = plain[2] ?? '';
    if (digits !== undefined && fraction.length <= digits) {
      return { ok: true, minor: BigInt(`${plain[1]}${fraction.padEnd(digits, '0')}`) };
    }
  }
  let rest = text.trim();
  if (rest === '') return { ok: false, reason: 'empty amount' };
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('−')) {
    negative = true;
    rest = rest.slice(1).trim();
  }
  rest = rest.replace(currencySymbols, '');
  if (/[eE]/.test(rest)) return { ok: false, reason: `"${text}" uses an exponent; write the amount in full` };
  const match = amountPattern.exec(rest);
  if (!match) return { ok: false, reason: `"${text}" is not an amount (write e.g. 12345.67 or 12,345.67)` };
  const digits = minorDigits(currency);
  const whole = (match[1] ?? '').replaceAll(',', '');
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return {
      ok: false,
      reason: `"${text}" has ${fraction.length} decimals; ${currency} has ${digits}`,
    };
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (negative && minor !== 0n) {
    if (!options.allowNegative)
      return { ok: false, reason: `"${text}" is negative; amounts here must be ≥ 0` };
    return { ok: true, minor: -minor };
  }
  return { ok: true, minor };
}

/** Parses or throws a bad_input error naming the field. */
export function parseAmountOrThrow(text: string, currency: string, field: string): bigint {
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) throw new HuikuanError('bad_input', `${field}: ${parsed.reason}`);
  return parsed.minor;
}

/** "1234567" minor CNY → "12,345.67"; with symbol → "¥12,345.67". */
export function formatMinor(minor: bigint, currency: string, options: { symbol?: boolean } = {}): string {
  const digits = minorDigits(currency);
  const negative = minor < 0n;
  const absolute = negative ? -minor : minor;
  const scale = 10n ** BigInt(digits);
  const whole = (absolute / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${(absolute % scale).toString().padStart(digits, '0')}` : '';
  const symbol = options.symbol ? (symbolFor[currency] ?? `${currency} `) : '';
  return `${negative ? '-' : ''}${symbol}${whole}${fraction}`;
}

const symbolFor: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥' };

/**
 * Divides with half-even rounding (banker's rounding): numerator / denominator rounded to the
 * nearest integer, ties to the even one. Works for negative numerators symmetrically.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  let rounded = quotient;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) rounded += 1n;
  return negative ? -rounded : rounded;
}

/** amount × rate_bp / 10 000, half-even: a commission or discount share in minor units. */
export function applyBasisPoints(amountMinor: bigint, rateBp: number | bigint): bigint {
  return divideHalfEven(amountMinor * BigInt(rateBp), 10_000n);
}
