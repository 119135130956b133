import { formatMinor, type Minor } from '../money.ts';

/** An amount, right-aligned in tabular figures by the `.hk-money` class. */
export function Money({ value, currency }: { value: Minor | null | undefined; currency?: string | null }) {
  return <span className="hk-money">{formatMinor(value, currency)}</span>;
}
