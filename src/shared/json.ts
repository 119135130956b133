/**
 * JSON for money: bigint values are written as bare integers (exact at any size), so minor-unit
 * amounts reach CLI and API consumers as JSON integers.
 */
const marker = '\u0000bigint:';

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'bigint' ? `${marker}${v}` : v),
    indent,
  ).replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
