/** The web's money helpers: minor units shown and typed back exactly, with no float on the way. */
import { describe, expect, it } from 'vitest';
import { formatMinor, minorToAmountText, parseAmountToMinor } from '../../web/src/money.ts';

describe('an amount box', () => {
  it('shows a stored amount without symbol or grouping, and reads it back to the same minor units', () => {
    expect(minorToAmountText(1234567)).toBe('12345.67');
    expect(minorToAmountText('5')).toBe('0.05');
    expect(minorToAmountText(500, 'JPY')).toBe('500');
    expect(minorToAmountText(-120n)).toBe('-1.20');
    expect(minorToAmountText(null)).toBe('');
    expect(minorToAmountText(1.5)).toBe('');
    // past 2^53: a float (value / 100, then * 100) would lose the last digits
    const large = '900719925474099317';
    expect(minorToAmountText(large)).toBe('9007199254740993.17');
    expect(parseAmountToMinor(minorToAmountText(large))).toBe(large);
    for (const minor of ['1', '29', '57', '1000001', '123456789']) {
      expect(parseAmountToMinor(minorToAmountText(minor))).toBe(minor);
    }
  });

  it('formatMinor still groups and prefixes the symbol', () => {
    expect(formatMinor(1234567)).toBe('¥12,345.67');
    expect(formatMinor(-5, 'USD')).toBe('-$0.05');
    expect(formatMinor(0)).toBe('¥0.00');
    expect(formatMinor('x')).toBe('—');
  });
});
