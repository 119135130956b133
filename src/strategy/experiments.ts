/**
 * Champion / challenger results (issue 5 point 3; spec strategy.md, kpi.md): every test of an
 * approved strategy version — a segment with a test id and more than one arm — measured from the
 * decision log (strategy_decisions) joined to outcomes, and compared arm by arm with the always-valid
 * sequential test of experiment.ts.
 *
 * An account enters a test on its first decision in the version's segment, in the arm of that
 * decision (arms are a seeded hash, so they do not change): the nightly step records it once in
 * strategy_test_entries (migration 0039, which also filled it from the decision log), so a test's
 * results read its own entries, not the whole log. Its outcome is measured over a window
 * of 7, 30 or 90 days after entry (days e+1 … e+W, China time), and the account counts from the day
 * its window has closed (e + W ≤ the look's date): each account is one complete observation, as the
 * sequential test assumes. Outcomes:
 *  - collected: payments and direct payments in the window, net of their reversals (the ledger's
 *    debt postings), against the placed balance (principal + interest + fees + penalty at placement);
 *  - promises: promises taken in the window and decided (kept or broken) by the as-of date;
 *  - contacts: calls, visits and other attempts agents logged (contact_attempts) and the SMS, e-mails
 *    and letters sent (channel_messages: sent, delivered, undelivered; a letter printed) in the window — calls are
 *    counted once, from the attempts;
 *  - cost: each contact at its channel's unit cost in minor units (`defaultContactCosts`; each
 *    configurable by HUIKUAN_CONTACT_COST_<CHANNEL>, read once per process: `contactCosts`).
 * Looks are daily from the first day an account's window closed to the as-of date; the verdict is
 * the recovery rate's unless told otherwise.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { groupBy } from '../shared/collections.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type AttemptChannel, attemptChannels } from '../worklist/model.ts';
import {
  type ArmMoments,
  armMetrics,
  compareArms,
  defaultSequentialOptions,
  emptyMoments,
  type MetricComparison,
  type MetricName,
  type Verdict,
} from './experiment.ts';
import { parseAsOf } from './model.ts';
import { proposeStrategy } from './strategies.ts';

// the channels of a contact attempt are the channels a contact can cost
const contactChannels = attemptChannels;
type ContactChannel = AttemptChannel;
export type ContactCosts = Readonly<Record<ContactChannel, bigint>>;

/**
 * Unit cost of a contact by channel, in minor units (fen), agent time included: a call attempt 2 元,
 * an SMS 5 分, an e-mail 1 分, a letter printed and posted 3 元, a field visit 50 元, anything else 0.
 */
export const defaultContactCosts: ContactCosts = {
  call: 200n,
  sms: 5n,
  email: 1n,
  letter: 300n,
  visit: 5000n,
  other: 0n,
};

export const experimentWindows = [7, 30, 90] as const;
export type ExperimentWindow = (typeof experimentWindows)[number];

export const experimentLimits = {
  /** tests reported at once */
  tests: 50,
  /** daily looks kept in a series (the latest ones) */
  seriesDays: 400,
  /** the most a contact may cost, minor units (100,000 元) */
  maxCost: 10_000_000n,
} as const;

/** The environment variable of a channel's unit cost: HUIKUAN_CONTACT_COST_CALL, …_SMS, … */
export function contactCostVariable(channel: ContactChannel): string {
  return `HUIKUAN_CONTACT_COST_${channel.toUpperCase()}`;
}

/**
 * The unit costs from the environment: each channel's HUIKUAN_CONTACT_COST_<CHANNEL> when set (whole
 * minor units, 0 to 10,000,000), else its default. bad_usage naming the variable that is wrong.
 */
export function contactCostsFromEnv(env: Record<string, string | undefined>): ContactCosts {
  const costs: Record<ContactChannel, bigint> = { ...defaultContactCosts };
  for (const channel of contactChannels) {
    const name = contactCostVariable(channel);
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    if (!/^\d{1,10}$/.test(text) || BigInt(text) > experimentLimits.maxCost) {
      throw new HuikuanError(
        'bad_usage',
        `${name} is "${text}"; set the cost of a ${channel} contact in whole minor units (fen) from 0 to ${experimentLimits.maxCost}.`,
      );
    }
    costs[channel] = BigInt(text);
  }
  return costs;
}

let configuredCosts: ContactCosts | undefined;

/** The configured unit costs: read from the environment once per process (the server reads them at start). */
export function contactCosts(): ContactCosts {
  configuredCosts ??= contactCostsFromEnv(process.env);
  return configuredCosts;
}

export interface ArmResult {
  code: string;
  role: string;
  share_bp: number;
  accounts: number;
  placed_minor: bigint;
  collected_minor: bigint;
  recovery_rate: number | null;
  collected_per_account_minor: number | null;
  promises_due: number;
  promises_kept: number;
  promise_kept_rate: number | null;
  contacts: number;
  contacts_per_account: number | null;
  cost_minor: bigint;
  /** fen spent per fen collected */
  cost_per_yuan: number | null;
}

export interface SeriesPoint {
  date: string;
  champion_accounts: number;
  challenger_accounts: number;
  champion: number | null;
  challenger: number | null;
  difference: number | null;
  interval: [number, number] | null;
  sequence: [number, number] | null;
  p_value: number | null;
  verdict: Verdict;
}

export interface ChallengerComparison {
  /** the arm compared with the champion: a challenger, or the holdout (the strategy's own effect) */
  challenger: string;
  role: string;
  verdict: Verdict;
  metrics: MetricComparison[];
  /** daily cumulative looks of the primary metric, oldest first */
  series: SeriesPoint[];
}

export interface ExperimentResult {
  strategy_version_id: bigint;
  version: number;
  strategy: string;
  segment: string;
  test_id: string;
  window_days: ExperimentWindow;
  as_of: string;
  primary_metric: MetricName;
  min_accounts: number;
  /** accounts that entered the test, whether or not their window has closed */
  entered: number;
  arms: ArmResult[];
  comparisons: ChallengerComparison[];
}

export interface ExperimentQuery {
  strategyVersionId?: bigint;
  /** only this segment's test (with strategyVersionId) */
  segment?: string;
  window?: ExperimentWindow;
  asOf?: string;
  costs?: ContactCosts;
  minAccounts?: number;
  primary?: MetricName;
}

interface TestArm {
  code: string;
  role: string;
  share_bp: number;
}

interface TestDefinition {
  versionId: bigint;
  version: number;
  name: string;
  segment: string;
  testId: string;
  arms: TestArm[];
}

/** The tests of a document: segments with a test id and at least two arms, read defensively. */
export function testsOf(document: unknown): Array<{ segment: string; testId: string; arms: TestArm[] }> {
  const segments = (document as { segments?: unknown })?.segments;
  if (!Array.isArray(segments)) return [];
  const tests: Array<{ segment: string; testId: string; arms: TestArm[] }> = [];
  for (const segment of segments) {
    const s = segment as { code?: unknown; test_id?: unknown; arms?: unknown };
    if (typeof s.code !== 'string' || typeof s.test_id !== 'string' || !Array.isArray(s.arms)) continue;
    const arms = s.arms
      .map((arm) => arm as { code?: unknown; role?: unknown; share_bp?: unknown })
      .filter((arm) => typeof arm.code === 'string' && typeof arm.role === 'string')
      .map((arm) => ({
        code: arm.code as string,
        role: arm.role as string,
        share_bp: Number(arm.share_bp ?? 0),
      }));
    if (arms.length >= 2) tests.push({ segment: s.code, testId: s.test_id, arms });
  }
  return tests;
}

async function testDefinitions(
  db: Db,
  strategyVersionId: bigint | undefined,
  segment: string | undefined,
): Promise<TestDefinition[]> {
  const versions = await sql<{ id: bigint; version: number; name: string; document: unknown }>`
    SELECT id, version, name, document FROM strategy_versions
     WHERE status = 'approved' ${strategyVersionId === undefined ? sql`` : sql`AND id = ${strategyVersionId}`}
     ORDER BY version DESC`.execute(db);
  if (strategyVersionId !== undefined && versions.rows.length === 0) {
    throw new HuikuanError('not_found', `No approved strategy version ${strategyVersionId}.`);
  }
  const tests: TestDefinition[] = [];
  for (const v of versions.rows) {
    for (const test of testsOf(v.document)) {
      if (segment !== undefined && test.segment !== segment) continue;
      tests.push({ versionId: v.id, version: v.version, name: v.name, ...test });
      if (tests.length >= experimentLimits.tests) return tests;
    }
  }
  return tests;
}

interface MomentRow {
  arm: string;
  matured_on: string;
  accounts: string;
  placed: string;
  collected: string;
  collected_sq: number;
  placed_sq: number;
  collected_placed: number;
  due: string;
  kept: string;
  contacts: string;
  contacts_sq: number;
  cost: string;
  cost_sq: number;
  cost_collected: number;
}

/** Per arm and day its accounts' windows closed: the sums the statistics need. */
async function momentRows(
  db: Db,
  test: TestDefinition,
  window: ExperimentWindow,
  asOf: string,
  costs: ContactCosts,
): Promise<{ rows: MomentRow[]; entered: number }> {
  const channels = contactChannels as readonly string[];
  const fen = contactChannels.map((c) => String(costs[c]));
  // the test's entries (strategy_test_entries: the first night each account was in the segment, its arm)
  const rows = await sql<MomentRow>`
    WITH entry AS MATERIALIZED (
      SELECT x.client_id, x.account_id, x.entered_on AS e, x.arm
        FROM strategy_test_entries x
       WHERE x.strategy_version_id = ${test.versionId} AND x.segment = ${test.segment}
         AND x.entered_on <= ${asOf}::date),
    cost(channel, fen) AS (SELECT * FROM unnest(${channels}::text[], ${fen}::int8[])),
    paid AS (
      SELECT en.account_id, -sum(p.amount_minor) AS y
        FROM entry en
        JOIN journal_entries je ON je.account_id = en.account_id
         AND je.effective_date > en.e AND je.effective_date <= en.e + ${window}::int
        LEFT JOIN journal_entries orig ON orig.id = je.reverses_entry_id
        JOIN postings p ON p.entry_id = je.id AND p.account_id = en.account_id
       WHERE coalesce(orig.kind, je.kind) IN ('payment', 'direct_payment')
       GROUP BY en.account_id),
    promised AS (
      SELECT en.account_id,
             count(*) FILTER (WHERE p.status = 'kept' AND p.kept_on <= ${asOf}::date
                                 OR p.status = 'broken' AND p.broken_at <= ${asOf}::date) AS due,
             count(*) FILTER (WHERE p.status = 'kept' AND p.kept_on <= ${asOf}::date) AS kept
        FROM entry en
        JOIN promises p ON p.account_id = en.account_id
         AND p.promised_on > en.e AND p.promised_on <= en.e + ${window}::int
       GROUP BY en.account_id),
    contacted AS (
      SELECT en.account_id, count(*) AS contacts, sum(cost.fen)::numeric AS cost
        FROM entry en
        JOIN (SELECT c.account_id, c.channel, c.at FROM contact_attempts c
               WHERE c.channel IN ('call', 'visit', 'other')
              UNION ALL
              SELECT m.account_id, m.channel, coalesce(m.sent_at, m.created_at) FROM channel_messages m
               WHERE m.channel IN ('sms', 'email', 'letter')
                 AND m.status IN ('sent', 'delivered', 'undelivered', 'printed')) k
          ON k.account_id = en.account_id
         AND k.at >= (en.e + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
         AND k.at < (en.e + ${window}::int + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
        JOIN cost ON cost.channel = k.channel
       GROUP BY en.account_id),
    o AS (
      SELECT en.arm, en.e + ${window}::int AS matured_on,
             (a.placed_principal_minor + a.placed_interest_minor + a.placed_fees_minor + a.placed_penalty_minor)::numeric AS x,
             coalesce(paid.y, 0)::numeric AS y, coalesce(promised.due, 0) AS due, coalesce(promised.kept, 0) AS kept,
             coalesce(contacted.contacts, 0) AS contacts, coalesce(contacted.cost, 0) AS cost
        FROM entry en
        JOIN accounts a ON a.id = en.account_id
        LEFT JOIN paid ON paid.account_id = en.account_id
        LEFT JOIN promised ON promised.account_id = en.account_id
        LEFT JOIN contacted ON contacted.account_id = en.account_id)
    SELECT arm, matured_on::text AS matured_on, count(*)::text AS accounts,
           sum(x)::text AS placed, sum(y)::text AS collected,
           sum(y * y)::float8 AS collected_sq, sum(x * x)::float8 AS placed_sq, sum(x * y)::float8 AS collected_placed,
           sum(due)::text AS due, sum(kept)::text AS kept,
           sum(contacts)::text AS contacts, sum(contacts * contacts)::float8 AS contacts_sq,
           sum(cost)::text AS cost, sum(cost * cost)::float8 AS cost_sq, sum(cost * y)::float8 AS cost_collected
      FROM o GROUP BY arm, matured_on ORDER BY matured_on, arm`.execute(db);
  // accounts whose window has not closed yet count as entered only
  const closed = rows.rows.filter((row) => row.matured_on <= asOf);
  const entered = rows.rows.reduce((n, row) => n + Number(row.accounts), 0);
  return { rows: closed, entered };
}

function addMoments(m: ArmMoments, r: MomentRow): ArmMoments {
  return {
    accounts: m.accounts + Number(r.accounts),
    placed: m.placed + BigInt(r.placed),
    collected: m.collected + BigInt(r.collected),
    collectedSq: m.collectedSq + Number(r.collected_sq),
    placedSq: m.placedSq + Number(r.placed_sq),
    collectedPlaced: m.collectedPlaced + Number(r.collected_placed),
    promisesDue: m.promisesDue + Number(r.due),
    promisesKept: m.promisesKept + Number(r.kept),
    contacts: m.contacts + Number(r.contacts),
    contactsSq: m.contactsSq + Number(r.contacts_sq),
    cost: m.cost + BigInt(r.cost),
    costSq: m.costSq + Number(r.cost_sq),
    costCollected: m.costCollected + Number(r.cost_collected),
  };
}

function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

function armResult(arm: TestArm, m: ArmMoments): ArmResult {
  return {
    code: arm.code,
    role: arm.role,
    share_bp: arm.share_bp,
    accounts: m.accounts,
    placed_minor: m.placed,
    collected_minor: m.collected,
    recovery_rate: ratio(Number(m.collected), Number(m.placed)),
    collected_per_account_minor: ratio(Number(m.collected), m.accounts),
    promises_due: m.promisesDue,
    promises_kept: m.promisesKept,
    promise_kept_rate: ratio(m.promisesKept, m.promisesDue),
    contacts: m.contacts,
    contacts_per_account: ratio(m.contacts, m.accounts),
    cost_minor: m.cost,
    cost_per_yuan: ratio(Number(m.cost), Number(m.collected)),
  };
}

/** Results of every test in the caller's scope (run it under readScoped), newest version first. */
export async function listExperiments(db: Db, query: ExperimentQuery = {}): Promise<ExperimentResult[]> {
  const window = query.window ?? 30;
  const asOf = query.asOf ?? todayIn();
  const costs = query.costs ?? contactCosts();
  const options = {
    ...defaultSequentialOptions,
    minAccounts: query.minAccounts ?? defaultSequentialOptions.minAccounts,
  };
  const primary = query.primary ?? 'recovery_rate';
  const results: ExperimentResult[] = [];
  for (const test of await testDefinitions(db, query.strategyVersionId, query.segment)) {
    const { rows, entered } = await momentRows(db, test, window, asOf, costs);
    // cumulative moments per arm, one look per day from the first closed window to the as-of date
    const days: string[] = [];
    const first = rows[0]?.matured_on;
    if (first !== undefined) for (let d = first; d <= asOf; d = addDays(d, 1)) days.push(d);
    const byDay = groupBy(rows, (row) => row.matured_on);
    const running = new Map<string, ArmMoments>(test.arms.map((arm) => [arm.code, emptyMoments]));
    const looks: Array<Map<string, ArmMoments>> = [];
    for (const day of days) {
      for (const row of byDay.get(day) ?? []) {
        running.set(row.arm, addMoments(running.get(row.arm) ?? emptyMoments, row));
      }
      looks.push(new Map(running));
    }
    const champion = test.arms.find((arm) => arm.role === 'champion') ?? test.arms[0];
    const comparisons: ChallengerComparison[] = [];
    for (const arm of test.arms) {
      if (!champion || arm.code === champion.code) continue;
      const compared = compareArms(
        looks.map((look) => ({
          champion: look.get(champion.code) ?? emptyMoments,
          challenger: look.get(arm.code) ?? emptyMoments,
        })),
        options,
        primary,
      );
      const series = compared.series.map((point, i): SeriesPoint => {
        const look = looks[i] as Map<string, ArmMoments>;
        const p = point[primary];
        const a = look.get(champion.code) ?? emptyMoments;
        const b = look.get(arm.code) ?? emptyMoments;
        return {
          date: days[i] as string,
          champion_accounts: a.accounts,
          challenger_accounts: b.accounts,
          champion: armMetrics(a)[primary].value,
          challenger: armMetrics(b)[primary].value,
          difference: p.difference,
          interval: p.interval,
          sequence: p.sequence,
          p_value: p.pValue,
          verdict: p.verdict,
        };
      });
      comparisons.push({
        challenger: arm.code,
        role: arm.role,
        verdict: compared.verdict,
        metrics: compared.metrics,
        series: series.slice(-experimentLimits.seriesDays),
      });
    }
    const final = looks.at(-1);
    results.push({
      strategy_version_id: test.versionId,
      version: test.version,
      strategy: test.name,
      segment: test.segment,
      test_id: test.testId,
      window_days: window,
      as_of: asOf,
      primary_metric: primary,
      min_accounts: options.minAccounts,
      entered,
      arms: test.arms.map((arm) => armResult(arm, final?.get(arm.code) ?? emptyMoments)),
      comparisons,
    });
  }
  return results;
}

// ---------------------------------------------------------------- promotion

export interface PromotionInput {
  strategyVersionId: bigint;
  segment: string;
  challenger: string;
  reason: string;
}

/**
 * The document with a challenger promoted in a segment: the champion takes the challenger's steps
 * and its share, and the challenger arm goes. Other arms keep their codes, shares and order, and the
 * test id stays, so when the challenger directly follows the champion (the usual layout) no other
 * arm's account moves; the champion's accounts stay champions and the challenger's join them.
 */
export function promotedDocument(document: unknown, segmentCode: string, challenger: string): unknown {
  const copy = structuredClone(document) as {
    segments?: Array<{ code?: unknown; test_id?: unknown; arms?: Array<Record<string, unknown>> }>;
  };
  const segment = copy.segments?.find((s) => s.code === segmentCode);
  if (!segment || !Array.isArray(segment.arms)) {
    throw new HuikuanError('not_found', `The strategy has no segment ${segmentCode}.`);
  }
  const arm = segment.arms.find((a) => a.code === challenger);
  if (arm?.role !== 'challenger') {
    throw new HuikuanError(
      'not_found',
      `Segment ${segmentCode} has no challenger arm ${challenger}; its challengers are: ${
        segment.arms
          .filter((a) => a.role === 'challenger')
          .map((a) => a.code)
          .join(', ') || 'none'
      }.`,
    );
  }
  const champion = segment.arms.find((a) => a.role === 'champion');
  if (!champion) throw new HuikuanError('invalid_state', `Segment ${segmentCode} has no champion arm.`);
  champion.steps = structuredClone(arm.steps ?? []);
  champion.share_bp = Number(champion.share_bp) + Number(arm.share_bp);
  segment.arms = segment.arms.filter((a) => a !== arm);
  return copy;
}

/**
 * Proposes a new strategy version with the challenger promoted (through the strategies' own
 * propose: validated, numbered, audited as strategy.proposed); another admin or supervisor approves
 * it like any version. The reason stored names the test and its verdict at the time, computed for
 * that test alone with the parameters the results were read with (`parameters`: window, as-of date,
 * fewest accounts, metric; the defaults otherwise); the route audits the request as
 * strategy.challenger_promotion.
 */
export async function proposePromotion(
  db: Db,
  input: PromotionInput,
  actor: string,
  parameters: Omit<ExperimentQuery, 'strategyVersionId' | 'segment'> = {},
): Promise<{ proposed_version_id: bigint; proposed_version: number; verdict: Verdict }> {
  const found = await sql<{ version: number; name: string; document: unknown; status: string }>`
    SELECT version, name, document, status FROM strategy_versions WHERE id = ${input.strategyVersionId}`.execute(
    db,
  );
  const row = found.rows[0];
  if (!row) throw new HuikuanError('not_found', `There is no strategy version ${input.strategyVersionId}.`);
  if (row.status !== 'approved') {
    throw new HuikuanError(
      'invalid_state',
      `Strategy version ${row.version} is ${row.status}: only an approved version's challenger can be promoted.`,
    );
  }
  const document = promotedDocument(row.document, input.segment, input.challenger);
  const test = testsOf(row.document).find((t) => t.segment === input.segment);
  const [result] = await listExperiments(db, {
    ...parameters,
    strategyVersionId: input.strategyVersionId,
    segment: input.segment,
  });
  const verdict =
    result?.comparisons.find((c) => c.challenger === input.challenger)?.verdict ?? 'not_enough_accounts';
  const on = result
    ? `${result.primary_metric}, ${result.window_days}-day window, as of ${result.as_of}, at least ${result.min_accounts} accounts an arm`
    : 'no results';
  const reason = `Promote challenger ${input.challenger} of test ${test?.testId ?? '?'} in segment ${input.segment} (version ${row.version}; verdict ${verdict} on ${on}): ${input.reason.trim()}`;
  const proposed = await proposeStrategy(db, { document, reason: reason.slice(0, 2000) }, actor);
  return { proposed_version_id: proposed.id, proposed_version: proposed.version, verdict };
}

// ---------------------------------------------------------------- the command line

const verdictWords: Record<Verdict, string> = {
  not_enough_accounts: 'not enough accounts yet',
  challenger_better: 'challenger better',
  no_difference: 'no difference',
  challenger_worse: 'challenger worse',
};

/** `huikuan strategy experiments` options as a query; bad_usage naming the option that is wrong. */
export function experimentQueryOf(options: {
  strategy?: string;
  window: string;
  asOf?: string;
  minAccounts: string;
}): ExperimentQuery {
  const query: ExperimentQuery = {};
  if (options.strategy !== undefined) {
    if (!/^[1-9][0-9]{0,17}$/.test(options.strategy)) {
      throw new HuikuanError('bad_usage', `--strategy ${options.strategy} is not a strategy version id.`);
    }
    query.strategyVersionId = BigInt(options.strategy);
  }
  const window = Number(options.window);
  if (!(experimentWindows as readonly number[]).includes(window)) {
    throw new HuikuanError('bad_usage', `--window ${options.window}: use 7, 30 or 90 days.`);
  }
  query.window = window as ExperimentWindow;
  if (options.asOf !== undefined) query.asOf = parseAsOf(options.asOf);
  const minAccounts = Number(options.minAccounts);
  if (!Number.isInteger(minAccounts) || minAccounts < 2 || minAccounts > 1_000_000) {
    throw new HuikuanError(
      'bad_usage',
      `--min-accounts ${options.minAccounts}: a whole number from 2 to 1000000.`,
    );
  }
  query.minAccounts = minAccounts;
  return query;
}

function percent(value: number | null, digits = 2): string {
  return value === null ? '–' : `${(value * 100).toFixed(digits)}%`;
}

function yuan(minor: bigint | number | null): string {
  if (minor === null) return '–';
  return (Number(minor) / 100).toFixed(2);
}

/** The results as text: per test, the arms in a table, then each challenger's verdict and interval. */
export function describeExperiments(results: readonly ExperimentResult[]): string {
  if (results.length === 0) return 'No champion / challenger tests in the approved strategy versions.';
  const blocks = results.map((r) => {
    const lines = [
      `Strategy v${r.version} "${r.strategy}", segment ${r.segment}, test ${r.test_id} — ${r.window_days}-day window, as of ${r.as_of}; ${r.entered} accounts entered`,
      '  arm          role        share  accounts  recovery  collected/acct  promise kept  contacts/acct  cost/yuan',
    ];
    for (const a of r.arms) {
      lines.push(
        `  ${a.code.padEnd(12)} ${a.role.padEnd(10)} ${percent(a.share_bp / 10_000, 0).padStart(6)} ${String(a.accounts).padStart(9)} ${percent(a.recovery_rate).padStart(9)} ${yuan(a.collected_per_account_minor).padStart(15)} ${percent(a.promise_kept_rate, 1).padStart(13)} ${(a.contacts_per_account === null ? '–' : a.contacts_per_account.toFixed(2)).padStart(14)} ${(a.cost_per_yuan === null ? '–' : a.cost_per_yuan.toFixed(4)).padStart(10)}`,
      );
    }
    for (const c of r.comparisons) {
      const m = c.metrics.find((x) => x.metric === r.primary_metric);
      const seq = m?.sequence ? `[${percent(m.sequence[0])}, ${percent(m.sequence[1])}]` : '–';
      lines.push(
        `  ${c.challenger} vs champion on ${r.primary_metric}: ${verdictWords[c.verdict]}; difference ${percent(m?.difference ?? null)}, always-valid 95% interval ${seq}, p ${m?.p_value === null || m?.p_value === undefined ? '–' : m.p_value.toPrecision(3)}${c.verdict === 'not_enough_accounts' ? ` (each arm needs ${r.min_accounts} accounts whose window has closed)` : ''}`,
      );
    }
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
