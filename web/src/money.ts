/**
 * Money in the UI: amounts arrive as integers of minor units (`*_minor`) and are formatted from their
 * decimal digits — never through floating-point arithmetic.
 */

const decimalsByCurrency: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, BHD: 3, KWD: 3 };
const symbolByCurrency: Record<string, string> = {
  CNY: '¥',
  USD: '$',
  GBP: '£',
  EUR: '€',
  HKD: 'HK$',
  JPY: 'JP¥',
};

export type Minor = number | string | bigint;

export function decimalsFor(currency: string | null | undefined): number {
  return decimalsByCurrency[(currency ?? 'CNY').toUpperCase()] ?? 2;
}

export function symbolFor(currency: string | null | undefined): string {
  const code = (currency ?? 'CNY').toUpperCase();
  return symbolByCurrency[code] ?? `${code} `;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Minor units as sign, whole digits and fraction (`.67`), from the decimal digits; null for unknown input. */
function splitMinor(
  value: Minor | null | undefined,
  currency: string | null | undefined,
): { negative: boolean; whole: string; fraction: string } | null {
  if (value === null || value === undefined || value === '') return null;
  let text = typeof value === 'bigint' ? value.toString() : String(value).trim();
  if (typeof value === 'number' && !Number.isInteger(value)) return null;
  if (!/^-?\d+$/.test(text)) return null;
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  const decimals = decimalsFor(currency);
  text = text.padStart(decimals + 1, '0');
  const whole = text.slice(0, text.length - decimals).replace(/^0+(?=\d)/, '');
  const fraction = decimals > 0 ? `.${text.slice(text.length - decimals)}` : '';
  return { negative: negative && !/^0+$/.test(text), whole, fraction };
}

/** `1234567` CNY → `¥12,345.67`; `-5` → `-¥0.05`. Unknown input → `—`. */
export function formatMinor(value: Minor | null | undefined, currency?: string | null): string {
  const parts = splitMinor(value, currency);
  if (!parts) return '—';
  return `${parts.negative ? '-' : ''}${symbolFor(currency)}${groupThousands(parts.whole)}${parts.fraction}`;
}

/**
 * A stored amount as an amount box shows it, `1234567` CNY → `12345.67` (no symbol, no grouping;
 * `parseAmountToMinor` reads it back exactly). Unknown input → `''`.
 */
export function minorToAmountText(value: Minor | null | undefined, currency?: string | null): string {
  const parts = splitMinor(value, currency);
  return parts ? `${parts.negative ? '-' : ''}${parts.whole}${parts.fraction}` : '';
}

/**
 * A typed amount (`12,345.6`) → its minor units as a decimal string (`1234560`), or null when it is not
 * a plain non-negative amount with at most the currency's decimals.
 */
export function parseAmountToMinor(input: string, currency?: string | null): string | null {
  const text = input.replace(/[,\s¥$£€]/g, '');
  const decimals = decimalsFor(currency);
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return null;
  const digits = `${whole}${fraction.padEnd(decimals, '0')}`.replace(/^0+(?=\d)/, '');
  return digits;
}

/** Adds minor-unit integers as BigInt (exact). */
export function sumMinor(values: Array<Minor | null | undefined>): string {
  let total = 0n;
  for (const value of values) {
    if (value === null || value === undefined || value === '') continue;
    total += BigInt(value);
  }
  return total.toString();
}

/** A chart needs a plain number in major units; used only for drawing, never for figures shown as text. */
export function minorToChartNumber(value: Minor | null | undefined, currency?: string | null): number {
  if (value === null || value === undefined || value === '') return 0;
  return Number(value) / 10 ** decimalsFor(currency);
}
