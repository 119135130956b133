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

/*
 * ——— Statistics ———
 *
 * Each metric of an arm is reduced to an estimate, the variance of that estimate and the number of
 * units it rests on:
 *  - a proportion (promises kept of promises due): p = k / n, Var = p(1 − p) / n;
 *  - a mean per account (collected per account, contacts per account): Var = s² / n, s² the
 *    sample variance;
 *  - a ratio of sums over accounts (recovery rate = Σ collected / Σ placed balance, cost per yuan
 *    collected = Σ cost / Σ collected): R = Σy / Σx with the delta-method variance
 *    Var = Σ(yᵢ − R·xᵢ)² / ((n − 1) · n · x̄²), accounts being the independent units.
 *
 * The difference challenger − champion is θ̂ = e_B − e_A with V = v_A + v_B. Two intervals are given:
 *  - `interval`: the fixed-horizon 95 % interval θ̂ ± 1.96·√V, right only for a single look;
 *  - `sequence`: the always-valid 95 % confidence sequence of the mixture sequential probability
 *    ratio test (mSPRT; Johari, Pekelis & Walsh, "Always valid inference", 2017). With a normal
 *    mixing distribution θ ~ N(0, τ²) over the true difference, the mixture likelihood ratio
 *    against θ = θ₀ is
 *        Λ(θ₀) = √(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) ),
 *    the always-valid p-value is the running minimum over looks of min(1, 1 / Λ(0)), and the
 *    confidence sequence is the running intersection of {θ₀ : Λ(θ₀) < 1/α}, whose half-width is
 *        √( V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)) ).
 *    Looking every day keeps the chance of ever declaring a false winner ≤ α.
 *  - The mixing variance τ² is fixed in standardized units: τ = 0.1 × the per-unit standard
 *    deviation averaged over the two arms (σ̄² = (s_A² + s_B²) / 2, s² = n·v), i.e. the test is
 *    tuned to "small" effects of about a tenth of a standard deviation (`mixingSd`, configurable).
 *    The variances are plug-in estimates, so the guarantee is asymptotic, as in the paper.
 *
 * Verdict (per metric, at the latest look; `minAccounts` default 100):
 *  - 'not_enough_accounts' while either arm has fewer than `minAccounts` accounts, or (for a
 *    proportion) fewer than 30 units in an arm or fewer than 5 successes or 5 failures over both
 *    arms, or while either estimate or its variance cannot be computed (e.g. nothing placed, or
 *    nothing collected for cost per yuan), or V = 0. Looks that are "not enough" do not count
 *    towards the p-value or the sequence.
 *  - 'challenger_better' / 'challenger_worse' once the always-valid p-value is below α (the
 *    sequence then excludes 0): better when the sequence lies on the metric's good side
 *    (higher recovery, collected, promises kept and contacts … ; lower cost per yuan).
 *  - 'no_difference' otherwise: enough accounts, and no difference shown so far.
 */

export type MetricKind = 'proportion' | 'mean' | 'ratio';
export type Verdict = 'not_enough_accounts' | 'challenger_better' | 'no_difference' | 'challenger_worse';

export interface Estimate {
  /** The metric's value for the arm; null when it cannot be computed (no units, zero denominator). */
  value: number | null;
  /** Variance of `value`; null with it, or when fewer than 2 units. */
  variance: number | null;
  /** Units it rests on: accounts for means and ratios, promises (trials) for proportions. */
  units: number;
  /** Successes of a proportion (for the "enough" rule); undefined for other kinds. */
  successes?: number;
}

export function proportionEstimate(successes: number, trials: number): Estimate {
  if (trials <= 0) return { value: null, variance: null, units: 0, successes: 0 };
  const p = successes / trials;
  return { value: p, variance: (p * (1 - p)) / trials, units: trials, successes };
}

/** Mean from n, Σy and Σy². */
export function meanEstimate(n: number, sum: number, sumSquares: number): Estimate {
  if (n <= 0) return { value: null, variance: null, units: 0 };
  const mean = sum / n;
  if (n < 2) return { value: mean, variance: null, units: n };
  const s2 = Math.max(0, (sumSquares - n * mean * mean) / (n - 1));
  return { value: mean, variance: s2 / n, units: n };
}

/** Ratio Σy / Σx over n accounts from Σy, Σx, Σy², Σx², Σxy (delta method). */
export function ratioEstimate(
  n: number,
  sums: { y: number; x: number; yy: number; xx: number; xy: number },
): Estimate {
  if (n <= 0 || sums.x === 0) return { value: null, variance: null, units: n };
  const r = sums.y / sums.x;
  if (n < 2) return { value: r, variance: null, units: n };
  const residual = Math.max(0, sums.yy - 2 * r * sums.xy + r * r * sums.xx);
  const xBar = sums.x / n;
  return { value: r, variance: residual / ((n - 1) * n * xBar * xBar), units: n };
}

export interface SequentialOptions {
  /** Error rate of the test and of the intervals; default 0.05. */
  alpha: number;
  /** τ in per-unit standard deviations; default 0.1. */
  mixingSd: number;
  /** Fewest accounts per arm before a look counts; default 100. */
  minAccounts: number;
}

export const defaultSequentialOptions: SequentialOptions = { alpha: 0.05, mixingSd: 0.1, minAccounts: 100 };

export interface Look {
  /** Accounts in each arm at this look (for the "enough" rule, whatever the metric's units). */
  championAccounts: number;
  challengerAccounts: number;
  champion: Estimate;
  challenger: Estimate;
}

export interface LookResult {
  difference: number | null;
  /** Fixed-horizon 95 % (1 − α) interval of this look alone. */
  interval: [number, number] | null;
  /** Always-valid confidence sequence: intersection over the counted looks so far. */
  sequence: [number, number] | null;
  /** Always-valid p-value: running minimum of 1/Λ(0) over the counted looks, at most 1. */
  pValue: number | null;
  /** This look's mixture likelihood ratio against no difference. */
  likelihoodRatio: number | null;
  enough: boolean;
  verdict: Verdict;
}

const z975 = 1.959963984540054;

function normalQuantile(p: number): number {
  // Acklam's rational approximation (relative error < 1.2e-9), enough for interval widths
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

function criticalZ(alpha: number): number {
  return alpha === 0.05 ? z975 : normalQuantile(1 - alpha / 2);
}

/** Whether a look may count (see the verdict rule above). */
export function lookIsEnough(look: Look, kind: MetricKind, options: SequentialOptions): boolean {
  const { champion: a, challenger: b } = look;
  if (look.championAccounts < options.minAccounts || look.challengerAccounts < options.minAccounts)
    return false;
  if (a.value === null || b.value === null || a.variance === null || b.variance === null) return false;
  if (!Number.isFinite(a.variance) || !Number.isFinite(b.variance) || a.variance + b.variance <= 0)
    return false;
  if (kind === 'proportion') {
    if (a.units < 30 || b.units < 30) return false;
    const successes = (a.successes ?? 0) + (b.successes ?? 0);
    const failures = a.units + b.units - successes;
    if (successes < 5 || failures < 5) return false;
  }
  return true;
}

/** One look of the mSPRT: Λ(0), the look's always-valid half-width and the fixed-horizon interval. */
export function msprtLook(
  champion: Estimate,
  challenger: Estimate,
  options: Pick<SequentialOptions, 'alpha' | 'mixingSd'> = defaultSequentialOptions,
): {
  difference: number;
  variance: number;
  tau2: number;
  likelihoodRatio: number;
  halfWidth: number;
  interval: [number, number];
} {
  const theta = (challenger.value as number) - (champion.value as number);
  const vA = champion.variance as number;
  const vB = challenger.variance as number;
  const V = vA + vB;
  const unitVariance = (champion.units * vA + challenger.units * vB) / 2;
  const tau2 = options.mixingSd * options.mixingSd * unitVariance;
  const logLambda = 0.5 * Math.log(V / (V + tau2)) + (tau2 * theta * theta) / (2 * V * (V + tau2));
  const halfWidth = Math.sqrt(
    ((V * (V + tau2)) / tau2) * (2 * Math.log(1 / options.alpha) + Math.log((V + tau2) / V)),
  );
  const z = criticalZ(options.alpha) * Math.sqrt(V);
  return {
    difference: theta,
    variance: V,
    tau2,
    likelihoodRatio: Math.exp(logLambda),
    halfWidth,
    interval: [theta - z, theta + z],
  };
}

/**
 * Runs the sequential test over the looks in order (e.g. one per day, cumulative data), returning
 * each look's result; the last one is the current state. `higherIsBetter` orients the verdict.
 */
export function sequentialTest(
  looks: readonly Look[],
  kind: MetricKind,
  higherIsBetter: boolean,
  options: SequentialOptions = defaultSequentialOptions,
): LookResult[] {
  let pValue: number | null = null;
  let sequence: [number, number] | null = null;
  const results: LookResult[] = [];
  for (const look of looks) {
    const enough = lookIsEnough(look, kind, options);
    const bothValues = look.champion.value !== null && look.challenger.value !== null;
    const difference = bothValues
      ? (look.challenger.value as number) - (look.champion.value as number)
      : null;
    if (!enough) {
      results.push({
        difference,
        interval: null,
        sequence,
        pValue,
        likelihoodRatio: null,
        enough,
        verdict:
          pValue === null
            ? 'not_enough_accounts'
            : verdictOf(pValue, sequence, options.alpha, higherIsBetter),
      });
      continue;
    }
    const m = msprtLook(look.champion, look.challenger, options);
    const p = Math.min(1, 1 / m.likelihoodRatio);
    pValue = pValue === null ? p : Math.min(pValue, p);
    const current: [number, number] = [m.difference - m.halfWidth, m.difference + m.halfWidth];
    // the running intersection; should it ever be empty (plug-in variances), keep the latest interval
    if (sequence === null) sequence = current;
    else {
      const lo = Math.max(sequence[0], current[0]);
      const hi = Math.min(sequence[1], current[1]);
      sequence = lo <= hi ? [lo, hi] : current;
    }
    results.push({
      difference,
      interval: m.interval,
      sequence,
      pValue,
      likelihoodRatio: m.likelihoodRatio,
      enough,
      verdict: verdictOf(pValue, sequence, options.alpha, higherIsBetter),
    });
  }
  return results;
}

function verdictOf(
  pValue: number,
  sequence: [number, number] | null,
  alpha: number,
  higherIsBetter: boolean,
): Verdict {
  if (pValue >= alpha || sequence === null) return 'no_difference';
  if (sequence[0] > 0) return higherIsBetter ? 'challenger_better' : 'challenger_worse';
  if (sequence[1] < 0) return higherIsBetter ? 'challenger_worse' : 'challenger_better';
  return 'no_difference';
}

/*
 * ——— Arms' outcomes ———
 * The sufficient statistics of an arm at one look, in fen where money: the results service sums
 * them in SQL; `armMetrics` turns them into the spec's results per arm.
 */
export interface ArmMoments {
  accounts: number;
  /** Σ placed balance and Σ collected, exact (fen). */
  placed: bigint;
  collected: bigint;
  /** Σ collected², Σ placed², Σ collected·placed (fen², as numbers: statistics only). */
  collectedSq: number;
  placedSq: number;
  collectedPlaced: number;
  promisesDue: number;
  promisesKept: number;
  contacts: number;
  contactsSq: number;
  /** Σ contact cost, exact (fen), with Σ cost², Σ cost·collected. */
  cost: bigint;
  costSq: number;
  costCollected: number;
}

export const emptyMoments: ArmMoments = {
  accounts: 0,
  placed: 0n,
  collected: 0n,
  collectedSq: 0,
  placedSq: 0,
  collectedPlaced: 0,
  promisesDue: 0,
  promisesKept: 0,
  contacts: 0,
  contactsSq: 0,
  cost: 0n,
  costSq: 0,
  costCollected: 0,
};

export const metricNames = [
  'recovery_rate',
  'collected_per_account',
  'promise_kept_rate',
  'contacts_per_account',
  'cost_per_yuan',
] as const;
export type MetricName = (typeof metricNames)[number];

export const metricDefinitions: Record<MetricName, { kind: MetricKind; higherIsBetter: boolean }> = {
  recovery_rate: { kind: 'ratio', higherIsBetter: true },
  collected_per_account: { kind: 'mean', higherIsBetter: true },
  promise_kept_rate: { kind: 'proportion', higherIsBetter: true },
  // more contacts is not better in itself: reported, and "better" read as more reach
  contacts_per_account: { kind: 'mean', higherIsBetter: true },
  cost_per_yuan: { kind: 'ratio', higherIsBetter: false },
};

/** The estimate of every metric for an arm. Money in fen; cost per yuan is fen per fen (= yuan per yuan). */
export function armMetrics(m: ArmMoments): Record<MetricName, Estimate> {
  const collected = Number(m.collected);
  return {
    recovery_rate: ratioEstimate(m.accounts, {
      y: collected,
      x: Number(m.placed),
      yy: m.collectedSq,
      xx: m.placedSq,
      xy: m.collectedPlaced,
    }),
    collected_per_account: meanEstimate(m.accounts, collected, m.collectedSq),
    promise_kept_rate: proportionEstimate(m.promisesKept, m.promisesDue),
    contacts_per_account: meanEstimate(m.accounts, m.contacts, m.contactsSq),
    cost_per_yuan: ratioEstimate(m.accounts, {
      y: Number(m.cost),
      x: collected,
      yy: m.costSq,
      xx: m.collectedSq,
      xy: m.costCollected,
    }),
  };
}

export interface MetricComparison {
  metric: MetricName;
  champion: number | null;
  challenger: number | null;
  difference: number | null;
  interval: [number, number] | null;
  sequence: [number, number] | null;
  p_value: number | null;
  verdict: Verdict;
}

/**
 * Compares a challenger with the champion over daily cumulative looks (oldest first): every
 * metric's latest state and the verdict of the primary metric (recovery rate unless told).
 */
export function compareArms(
  looks: ReadonlyArray<{ champion: ArmMoments; challenger: ArmMoments }>,
  options: SequentialOptions = defaultSequentialOptions,
  primary: MetricName = 'recovery_rate',
): { verdict: Verdict; metrics: MetricComparison[]; series: Array<Record<MetricName, LookResult>> } {
  const perLook = looks.map((l) => ({
    a: armMetrics(l.champion),
    b: armMetrics(l.challenger),
    na: l.champion.accounts,
    nb: l.challenger.accounts,
  }));
  const byMetric = {} as Record<MetricName, LookResult[]>;
  for (const metric of metricNames) {
    const { kind, higherIsBetter } = metricDefinitions[metric];
    byMetric[metric] = sequentialTest(
      perLook.map((l) => ({
        championAccounts: l.na,
        challengerAccounts: l.nb,
        champion: l.a[metric],
        challenger: l.b[metric],
      })),
      kind,
      higherIsBetter,
      options,
    );
  }
  const last = perLook.at(-1);
  const metrics = metricNames.map((metric): MetricComparison => {
    const result = byMetric[metric].at(-1);
    return {
      metric,
      champion: last?.a[metric].value ?? null,
      challenger: last?.b[metric].value ?? null,
      difference: result?.difference ?? null,
      interval: result?.interval ?? null,
      sequence: result?.sequence ?? null,
      p_value: result?.pValue ?? null,
      verdict: result?.verdict ?? 'not_enough_accounts',
    };
  });
  const series = perLook.map((_, i) => {
    const row = {} as Record<MetricName, LookResult>;
    for (const metric of metricNames) row[metric] = byMetric[metric][i] as LookResult;
    return row;
  });
  const verdict = metrics.find((m) => m.metric === primary)?.verdict ?? 'not_enough_accounts';
  return { verdict, metrics, series };
}
