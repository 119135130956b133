/**
 * The nightly run's pure rules. Days past due and bucket are the account list's own definitions
 * (src/accounts/listing.ts, product.md: M1 = 1–30 DPD, M2 = 31–60, … M6 = 151–180, M6+ beyond; not
 * yet due = current); the SQL the run executes is generated from them here, so both agree.
 */
import { type Bucket, bucketOf, buckets, dpdRange } from '../accounts/listing.ts';
import { type BusinessDate, parseBusinessDate } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';

export { type Bucket, bucketOf, buckets };

/**
 * `CASE` over an integer SQL expression `dpd` giving its bucket, one branch per bucket from its
 * days-past-due range (the expression is ours, never user input).
 */
export function bucketCaseSql(dpd: string): string {
  const branches = buckets.map((bucket) => {
    const [from, to] = dpdRange(bucket);
    const conditions = [
      ...(from === null ? [] : [`${dpd} >= ${from}`]),
      ...(to === null ? [] : [`${dpd} <= ${to}`]),
    ];
    return `WHEN ${conditions.join(' AND ')} THEN '${bucket}'`;
  });
  return `CASE ${branches.join(' ')} END`;
}

/** The run's business date from --as-of: any form parseBusinessDate takes; anything else is bad usage. */
export function parseAsOf(text: string): BusinessDate {
  const parsed = parseBusinessDate(text);
  if (!parsed.ok) throw new HuikuanError('bad_usage', `--as-of: ${parsed.reason}.`);
  return parsed.date;
}
