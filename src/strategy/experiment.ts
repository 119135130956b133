/**
 * Champion / challenger experiments (spec strategy.md, "Champion / challenger"): the deterministic
 * arm of an account, the same arm computed set-based in SQL, and the statistics that compare arms.
 * Pure: nothing here touches the database except the SQL expression it builds.
 *
 * Arms. An account's place in a test is a number in [0, 10 000) basis points taken from
 * SHA-256(`${testId}:${accountId}`): the first 8 bytes read as an unsigned big-endian integer u,
 * bucket = ⌊u · 10 000 / 2^64⌋. Arms are laid end to end in the order given, each `share_bp` wide
 * (the shares add up to exactly 10 000), and the account belongs to the arm whose range holds its
 * bucket. The bucket depends only on the test id and the account id, so an account keeps its arm
 * night after night, a test is reproducible anywhere, and two tests with different ids split the
 * accounts independently. `armSql` computes the same bucket in PostgreSQL (sha256, exact numeric
 * integer division), tested equal to `assignArm` over thousands of ids.
 */
import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { HuikuanError } from '../shared/errors.ts';

export interface ArmShare {
  code: string;
  share_bp: number;
}

export const basisPoints = 10_000;
const twoTo64 = 1n << 64n;

/** The account's bucket in [0, 10 000) for the test: stable, uniform, independent across test ids. */
export function armBucket(accountId: bigint, testId: string): number {
  const digest = createHash('sha256').update(`${testId}:${accountId}`, 'utf8').digest();
  const u = digest.readBigUInt64BE(0);
  return Number((u * BigInt(basisPoints)) / twoTo64);
}

/**
 * Checks an arm list: 1 to 20 arms, codes unique and non-empty (1–40 characters of letters, digits,
 * `_` or `-`), each share a whole number of basis points ≥ 1, shares adding up to exactly 10 000.
 */
export function validateArms(arms: readonly ArmShare[]): void {
  const problems: string[] = [];
  if (arms.length < 1 || arms.length > 20) problems.push(`a test has 1 to 20 arms, not ${arms.length}`);
  const seen = new Set<string>();
  let total = 0;
  for (const [i, arm] of arms.entries()) {
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(arm.code)) {
      problems.push(`arm ${i + 1}: the code must be 1–40 letters, digits, _ or -`);
    } else if (seen.has(arm.code)) {
      problems.push(`arm ${i + 1}: the code ${arm.code} is used twice`);
    }
    seen.add(arm.code);
    if (!Number.isInteger(arm.share_bp) || arm.share_bp < 1 || arm.share_bp > basisPoints) {
      problems.push(`arm ${i + 1}: the share must be a whole number of basis points from 1 to 10000`);
    } else {
      total += arm.share_bp;
    }
  }
  if (problems.length === 0 && total !== basisPoints) {
    problems.push(`the shares add up to ${total} basis points, not 10000`);
  }
  if (problems.length > 0) {
    throw new HuikuanError('bad_input', `The test's arms are not valid: ${problems.join('; ')}.`, {
      problems,
    });
  }
}

/** The arm of an account in a test (see the module comment). Throws bad_input for an invalid arm list. */
export function assignArm(accountId: bigint, testId: string, arms: readonly ArmShare[]): string {
  validateArms(arms);
  const bucket = armBucket(accountId, testId);
  let upTo = 0;
  for (const arm of arms) {
    upTo += arm.share_bp;
    if (bucket < upTo) return arm.code;
  }
  // unreachable: the shares add up to 10 000 and the bucket is below it
  throw new HuikuanError('invariant_violated', `No arm holds bucket ${bucket}.`);
}

/**
 * The SQL bucket of `accountId` (an SQL expression of type bigint, e.g. sql.ref('a.id')) in the
 * test: the same number as `armBucket`. The first 8 bytes of the digest are read as a signed
 * bigint through bit(64), made unsigned in numeric, and divided exactly with div().
 */
export function armBucketSql(accountId: RawBuilder<unknown>, testId: string): RawBuilder<number> {
  const signed = sql`('x' || substr(encode(sha256(convert_to(${testId}::text || ':' || (${accountId})::text, 'UTF8')), 'hex'), 1, 16))::bit(64)::bigint`;
  return sql<number>`(div(((${signed})::numeric + 18446744073709551616) % 18446744073709551616 * ${basisPoints}, 18446744073709551616))::integer`;
}

/** The SQL arm code of `accountId` in the test: a CASE over `armBucketSql`, equal to `assignArm`. */
export function armSql(
  accountId: RawBuilder<unknown>,
  testId: string,
  arms: readonly ArmShare[],
): RawBuilder<string> {
  validateArms(arms);
  let upTo = 0;
  const whens = arms.map((arm) => {
    upTo += arm.share_bp;
    return sql`WHEN b.bucket < ${sql.lit(upTo)} THEN ${arm.code}::text`;
  });
  return sql<string>`(SELECT CASE ${sql.join(whens, sql` `)} END FROM (SELECT ${armBucketSql(accountId, testId)} AS bucket) b)`;
}
