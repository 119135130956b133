/**
 * Strategies as data (issue 5 point 2; spec strategy.md): the strategy document, its validation, the
 * evaluator of its conditions (pure, for tests and previews) and their compilation to SQL with bound
 * parameters (what the nightly run and the dry run execute, set-based per partition).
 *
 * A document is ordered segments; an account falls in the first segment whose conditions it meets.
 * Conditions are a tree: `{ all: [...] }`, `{ any: [...] }` or a leaf `{ field, op, value }` over the
 * fields of `strategyFields` (account, debtor, behaviour, score). Each segment has arms — one champion,
 * optional challengers and an optional holdout — with shares in basis points summing to 10000 and a
 * test id when there is more than one; an account's arm is a seeded hash of its id and the test id
 * (`assignArm`, src/strategy/experiment.ts). Each arm but the holdout has a treatment path: steps a day offset after the account
 * entered the segment or after an event (a promise or plan broken, a payment), each a message
 * (sms / email / letter with an approved template) or an agent task (call, field visit, legal review,
 * escalation to a team). The holdout gets no steps (the strategy's effect is measured against it).
 *
 * Validation returns every problem, each with the JSON path it is about and what to do. A last
 * segment that is not a catch-all (`{ "all": [] }`) is a warning, not an error: accounts that match
 * no segment are left alone (no treatment, no decision).
 *
 * Missing values (no score yet, no date of birth, never contacted): every operator but `is_empty` is
 * false on them, in the evaluator and in SQL alike (each leaf is `coalesce(…, false)`).
 */
import { type RawBuilder, sql } from 'kysely';
import { buckets } from '../accounts/listing.ts';
import { dispositions } from '../worklist/model.ts';

export const strategyLimits = {
  segments: 50,
  armsPerSegment: 5,
  stepsPerArm: 30,
  leavesPerSegment: 50,
  depth: 6,
  listValues: 500,
  codeLength: 40,
  nameLength: 200,
  maxDay: 3650,
  documentBytes: 256 * 1024,
} as const;

export type FieldType = 'int' | 'money' | 'text' | 'enum' | 'bool';

interface FieldSpec {
  group: 'account' | 'debtor' | 'behaviour' | 'score';
  type: FieldType;
  /** enum fields: the values it takes */
  values?: readonly string[];
  /** Can be missing (no value): `is_empty` is meaningful. */
  nullable: boolean;
  description: string;
}

export const accountStatusValues = [
  'active',
  'paid',
  'settled',
  'closed',
  'recalled',
  'written_off',
] as const;
export const planStatusValues = [
  'none',
  'pending_approval',
  'active',
  'rejected',
  'completed',
  'broken',
  'cancelled',
] as const;
/** Dispositions that are a conversation with the debtor (a right-party contact). */
export const rightPartyDispositions = [
  'right_party_contact',
  'promise_to_pay',
  'refuse_to_pay',
  'claims_paid',
  'dispute',
  'hardship',
  'call_back_requested',
] as const;

export const strategyFields = {
  client: { group: 'account', type: 'text', nullable: false, description: "the client's code" },
  product: { group: 'account', type: 'text', nullable: true, description: 'the product type' },
  balance_minor: {
    group: 'account',
    type: 'money',
    nullable: false,
    description: 'the balance owed (principal + interest + fees + penalty), minor units',
  },
  principal_minor: {
    group: 'account',
    type: 'money',
    nullable: false,
    description: 'principal, minor units',
  },
  interest_minor: { group: 'account', type: 'money', nullable: false, description: 'interest, minor units' },
  fees_minor: { group: 'account', type: 'money', nullable: false, description: 'fees, minor units' },
  penalty_minor: { group: 'account', type: 'money', nullable: false, description: 'penalty, minor units' },
  dpd: { group: 'account', type: 'int', nullable: false, description: 'days past due on the run date' },
  bucket: { group: 'account', type: 'enum', values: buckets, nullable: false, description: 'M1 … M6+' },
  days_since_placement: {
    group: 'account',
    type: 'int',
    nullable: false,
    description: 'days since the account was placed',
  },
  status: {
    group: 'account',
    type: 'enum',
    values: accountStatusValues,
    nullable: false,
    description: "the account's status",
  },
  region: { group: 'debtor', type: 'text', nullable: true, description: "the debtor's province / region" },
  language: {
    group: 'debtor',
    type: 'enum',
    values: ['zh-CN', 'en'],
    nullable: false,
    description: "the debtor's language: zh-CN for a debtor in China (or no country), en otherwise",
  },
  age: { group: 'debtor', type: 'int', nullable: true, description: "the debtor's age in whole years" },
  lost_contact: {
    group: 'debtor',
    type: 'bool',
    nullable: false,
    description: 'the debtor is marked lost contact (失联)',
  },
  payments_30d_minor: {
    group: 'behaviour',
    type: 'money',
    nullable: false,
    description: 'paid in the 30 days to the run date, minor units',
  },
  payments_90d_minor: {
    group: 'behaviour',
    type: 'money',
    nullable: false,
    description: 'paid in the 90 days to the run date, minor units',
  },
  promises_kept: { group: 'behaviour', type: 'int', nullable: false, description: 'promises kept, ever' },
  promises_broken: { group: 'behaviour', type: 'int', nullable: false, description: 'promises broken, ever' },
  last_contact_outcome: {
    group: 'behaviour',
    type: 'enum',
    values: dispositions,
    nullable: true,
    description: 'the disposition of the last contact attempt',
  },
  days_since_rpc: {
    group: 'behaviour',
    type: 'int',
    nullable: true,
    description: 'days since the last right-party contact (empty: never)',
  },
  plan_status: {
    group: 'behaviour',
    type: 'enum',
    values: planStatusValues,
    nullable: false,
    description: "the latest payment plan's status (none: no plan)",
  },
  hardship: { group: 'behaviour', type: 'bool', nullable: false, description: 'hardship was marked' },
  score: { group: 'score', type: 'int', nullable: true, description: "the risk model's nightly score" },
  band: { group: 'score', type: 'int', nullable: true, description: "the risk model's nightly band" },
} as const satisfies Record<string, FieldSpec>;

export type StrategyField = keyof typeof strategyFields;
export const strategyFieldNames = Object.keys(strategyFields) as StrategyField[];

export const operators = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'between', 'is_empty'] as const;
export type Operator = (typeof operators)[number];

const operatorsFor: Record<FieldType, readonly Operator[]> = {
  int: operators,
  money: operators,
  text: ['=', '!=', 'in', 'not_in', 'is_empty'],
  enum: ['=', '!=', 'in', 'not_in', 'is_empty'],
  bool: ['=', 'is_empty'],
};

export type Scalar = number | bigint | string | boolean;
export type Leaf = { field: StrategyField; op: Operator; value: Scalar | Scalar[] };
export type Condition = { all: Condition[] } | { any: Condition[] } | Leaf;

export const stepAnchors = ['entry', 'promise_broken', 'plan_broken', 'payment'] as const;
export type StepAnchor = (typeof stepAnchors)[number];
export const messageChannels = ['sms', 'email', 'letter'] as const;
export type StepChannel = (typeof messageChannels)[number];
export const taskKinds = ['call', 'field_visit', 'legal_review', 'escalate'] as const;
export type TaskKind = (typeof taskKinds)[number];

export interface MessageStep {
  code: string;
  day: number;
  from: StepAnchor;
  kind: 'message';
  channel: StepChannel;
  template: string;
  priority: number;
}
export interface TaskStep {
  code: string;
  day: number;
  from: StepAnchor;
  kind: 'task';
  task: TaskKind;
  /** escalate: the team's name */
  team: string | null;
  priority: number;
}
export type Step = MessageStep | TaskStep;

export const armRoles = ['champion', 'challenger', 'holdout'] as const;
export type ArmRole = (typeof armRoles)[number];

export interface Arm {
  code: string;
  role: ArmRole;
  share_bp: number;
  steps: Step[];
}

export interface Segment {
  code: string;
  name: string;
  conditions: Condition;
  /** The champion / challenger test the arms belong to (required with more than one arm). */
  test_id: string | null;
  arms: Arm[];
}

export interface StrategyDocument {
  name: string;
  segments: Segment[];
}

/** What a problem's message is built from: the web translates `code` with these (web/src/locales). */
export type ProblemParams = Record<string, string | number>;

/**
 * Every problem the validation (and the template check, strategies.ts) reports: its code and its
 * English message from the params. The web shows `strategies.problem.<code>` in the user's language
 * (a field type's words from `type` and `values`: `strategies.problemType.<type>`).
 */
const problemMessages = {
  document_not_object: () => 'The strategy must be a JSON object with "name" and "segments".',
  unknown_property: (p: ProblemParams) => `Unknown property "${p.key}": remove it (allowed: ${p.allowed}).`,
  segments_missing: () => 'Give "segments": a list of at least one segment.',
  segments_too_many: (p: ProblemParams) => `At most ${p.max} segments; merge some.`,
  segment_code_duplicate: (p: ProblemParams) =>
    `Segment code "${p.code}" is used by segments[${p.other}] too: give each segment its own code.`,
  test_id_duplicate: (p: ProblemParams) =>
    `Test id "${p.test_id}" is used by segments[${p.other}] too: each segment's test needs its own id.`,
  last_not_catch_all: () =>
    'The last segment is not a catch-all ({"all": []}): accounts that match no segment get no treatment. Add a last segment with {"all": []} if every account should be treated.',
  name_missing: () => 'Give a name: a non-empty text.',
  name_too_long: (p: ProblemParams) => `The name is longer than ${p.max} characters; shorten it.`,
  not_a_code: (p: ProblemParams) =>
    `${p.value} is not a code: use lower-case letters, digits, _ or -, at most ${p.max}, starting with a letter or digit.`,
  segment_not_object: () => 'A segment is an object with code, name, conditions and arms.',
  conditions_missing: () => 'Give "conditions"; {"all": []} matches every account.',
  conditions_too_many: (p: ProblemParams) =>
    `At most ${p.max} conditions in a segment; split it into segments.`,
  test_id_required: () =>
    'A segment with more than one arm needs a test id (a code): it seeds the arms’ assignment.',
  arms_missing: () => 'Give "arms": at least the champion, with its steps.',
  arms_too_many: (p: ProblemParams) => `At most ${p.max} arms in a segment.`,
  arm_code_duplicate: (p: ProblemParams) =>
    `Arm code "${p.code}" is used by arms[${p.other}] too: give each arm its own code.`,
  champion_count: (p: ProblemParams) => `A segment has exactly one champion arm; this one has ${p.count}.`,
  holdouts_too_many: () => 'At most one holdout arm.',
  shares_total: (p: ProblemParams) =>
    `The arms' shares add up to ${p.total} basis points; they must add up to 10000 (100%). Change share_bp.`,
  arm_not_object: () => 'An arm is an object with code, role, share_bp and steps.',
  role_unknown: (p: ProblemParams) => `${p.value} is not a role: use ${p.allowed}.`,
  share_invalid: (p: ProblemParams) =>
    `${p.value} is not a share: a whole number of basis points from 1 to 10000.`,
  steps_missing: () => 'Give "steps": a list (empty for a holdout).',
  steps_too_many: (p: ProblemParams) => `At most ${p.max} steps in an arm.`,
  holdout_steps: () => 'A holdout arm gets no treatment: leave its steps empty.',
  step_code_duplicate: (p: ProblemParams) =>
    `Step code "${p.code}" is used by steps[${p.other}] too: give each step its own code.`,
  step_day_order: (p: ProblemParams) =>
    `Day ${p.day} is not after steps[${p.other}]'s day ${p.other_day} (both from ${p.from}): list the steps in order of their day, one day each.`,
  step_not_object: () => 'A step is an object with code, day, kind and what it does.',
  day_invalid: (p: ProblemParams) => `${p.value} is not a day offset: a whole number from 0 to ${p.max}.`,
  anchor_unknown: (p: ProblemParams) => `${p.value} is not an anchor: use ${p.allowed}.`,
  priority_invalid: (p: ProblemParams) => `${p.value} is not a priority: a whole number 0 to 100.`,
  channel_unknown: (p: ProblemParams) => `${p.value} is not a channel: use ${p.allowed}.`,
  task_unknown: (p: ProblemParams) => `${p.value} is not a task: use ${p.allowed}.`,
  team_missing: () => 'An escalation names the team it goes to: "team": its name.',
  team_not_allowed: () => 'Only an escalate task names a team: remove "team".',
  kind_unknown: (p: ProblemParams) => `${p.value} is not a step kind: use message or task.`,
  condition_not_object: () => 'A condition is {"all": [...]}, {"any": [...]} or {"field", "op", "value"}.',
  conditions_too_deep: (p: ProblemParams) => `Conditions nest at most ${p.max} deep; flatten them.`,
  group_not_list: (p: ProblemParams) => `"${p.group}" is a list of conditions.`,
  field_unknown: (p: ProblemParams) => `${p.value} is not a field: use one of ${p.allowed}.`,
  operator_unknown: (p: ProblemParams) => `${p.value} is not an operator: use ${p.allowed}.`,
  operator_not_for_field: (p: ProblemParams) =>
    `"${p.op}" does not apply to ${p.field} (${p.type}): use ${p.allowed}.`,
  is_empty_value: () => 'is_empty takes true (the value is missing) or false (it is there).',
  list_value_invalid: (p: ProblemParams) => `${p.op} takes a list of ${typeWords(p)} (1 to ${p.max}).`,
  between_value_invalid: (p: ProblemParams) => `between takes [low, high], each ${typeWords(p)}.`,
  value_invalid: (p: ProblemParams) => `${p.value} is not ${typeWords(p)}.`,
  between_reversed: (p: ProblemParams) => `between's low ${p.low} is above its high ${p.high}: swap them.`,
  template_unknown: (p: ProblemParams) =>
    `There is no ${p.channel} template "${p.code}": propose it in Templates (or fix the code).`,
  template_not_approved: (p: ProblemParams) =>
    `The ${p.channel} template "${p.code}" has no approved version yet: its messages are refused until one is approved.`,
} satisfies Record<string, (params: ProblemParams) => string>;

export type ProblemCode = keyof typeof problemMessages;
export const problemCodes = Object.keys(problemMessages) as ProblemCode[];

export interface Problem {
  path: string;
  severity: 'error' | 'warning';
  /** what is wrong, for the web to say in the user's language with `params` */
  code: ProblemCode;
  params: ProblemParams;
  /** the same in English (the command line, API clients) */
  message: string;
}

export function problem(
  path: string,
  severity: Problem['severity'],
  code: ProblemCode,
  params: ProblemParams = {},
): Problem {
  return { path, severity, code, params, message: problemMessages[code](params) };
}

export type Validation =
  | { ok: true; document: StrategyDocument; problems: Problem[] }
  | { ok: false; problems: Problem[] };

const codePattern = /^[a-z0-9][a-z0-9_-]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
  return text && text.length > 60 ? `${text.slice(0, 57)}…` : String(text);
}

/** Every problem of a document, and the document typed when there is no error (warnings allowed). */
export function validateDocument(input: unknown): Validation {
  const problems: Problem[] = [];
  const error: Report = (path, code, params) => problems.push(problem(path, 'error', code, params));
  const warn: Report = (path, code, params) => problems.push(problem(path, 'warning', code, params));

  if (!isRecord(input)) {
    error('', 'document_not_object');
    return { ok: false, problems };
  }
  for (const key of Object.keys(input)) {
    if (key !== 'name' && key !== 'segments')
      error(key, 'unknown_property', { key, allowed: 'name, segments' });
  }
  const name = checkName(input.name, 'name', error);
  const segments: Segment[] = [];
  if (!Array.isArray(input.segments) || input.segments.length === 0) {
    error('segments', 'segments_missing');
  } else if (input.segments.length > strategyLimits.segments) {
    error('segments', 'segments_too_many', { max: strategyLimits.segments });
  } else {
    const seen = new Map<string, number>();
    const tests = new Map<string, number>();
    input.segments.forEach((raw, i) => {
      const segment = checkSegment(raw, `segments[${i}]`, error);
      if (segment) segments.push(segment);
      if (!isRecord(raw)) return;
      // duplicates by the codes as written, so a segment with other problems still counts
      if (typeof raw.code === 'string') {
        const earlier = seen.get(raw.code);
        if (earlier !== undefined) {
          error(`segments[${i}].code`, 'segment_code_duplicate', { code: raw.code, other: earlier });
        } else seen.set(raw.code, i);
      }
      if (typeof raw.test_id === 'string') {
        const other = tests.get(raw.test_id);
        if (other !== undefined) {
          error(`segments[${i}].test_id`, 'test_id_duplicate', { test_id: raw.test_id, other });
        } else tests.set(raw.test_id, i);
      }
    });
    const lastIndex = input.segments.length - 1;
    const last = segments[segments.length - 1];
    if (last && segments.length === input.segments.length && !isCatchAll(last.conditions)) {
      warn(`segments[${lastIndex}].conditions`, 'last_not_catch_all');
    }
  }
  if (problems.some((problem) => problem.severity === 'error') || name === null) {
    return { ok: false, problems };
  }
  return { ok: true, document: { name, segments }, problems };
}

type Report = (path: string, code: ProblemCode, params?: ProblemParams) => void;

function checkName(value: unknown, path: string, error: Report): string | null {
  if (typeof value !== 'string' || value.trim().length === 0) {
    error(path, 'name_missing');
    return null;
  }
  if (value.length > strategyLimits.nameLength) {
    error(path, 'name_too_long', { max: strategyLimits.nameLength });
    return null;
  }
  return value.trim();
}

function checkCode(value: unknown, path: string, error: Report): string | null {
  if (typeof value !== 'string' || !codePattern.test(value) || value.length > strategyLimits.codeLength) {
    error(path, 'not_a_code', { value: describe(value), max: strategyLimits.codeLength });
    return null;
  }
  return value;
}

function unknownKeys(raw: Record<string, unknown>, allowed: readonly string[], path: string, error: Report) {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      error(`${path}.${key}`, 'unknown_property', { key, allowed: allowed.join(', ') });
    }
  }
}

function checkSegment(raw: unknown, path: string, error: Report): Segment | null {
  if (!isRecord(raw)) {
    error(path, 'segment_not_object');
    return null;
  }
  unknownKeys(raw, ['code', 'name', 'conditions', 'test_id', 'arms'], path, error);
  const code = checkCode(raw.code, `${path}.code`, error);
  const name = checkName(raw.name, `${path}.name`, error);
  const leaves = { count: 0 };
  let conditions: Condition | null = null;
  if (raw.conditions === undefined) {
    error(`${path}.conditions`, 'conditions_missing');
  } else conditions = checkCondition(raw.conditions, `${path}.conditions`, error, 1, leaves);
  if (leaves.count > strategyLimits.leavesPerSegment) {
    error(`${path}.conditions`, 'conditions_too_many', { max: strategyLimits.leavesPerSegment });
  }
  let testId: string | null = null;
  if (raw.test_id !== undefined && raw.test_id !== null)
    testId = checkCode(raw.test_id, `${path}.test_id`, error);
  const arms = checkArms(raw.arms, path, error);
  if (Array.isArray(raw.arms) && raw.arms.length > 1 && (raw.test_id === undefined || raw.test_id === null)) {
    error(`${path}.test_id`, 'test_id_required');
  }
  if (code === null || name === null || conditions === null || arms === null) return null;
  return { code, name, conditions, test_id: testId, arms };
}

function checkArms(raw: unknown, segmentPath: string, error: Report): Arm[] | null {
  const path = `${segmentPath}.arms`;
  if (!Array.isArray(raw) || raw.length === 0) {
    error(path, 'arms_missing');
    return null;
  }
  if (raw.length > strategyLimits.armsPerSegment) {
    error(path, 'arms_too_many', { max: strategyLimits.armsPerSegment });
    return null;
  }
  const arms: Arm[] = [];
  let failed = false;
  raw.forEach((item, i) => {
    const arm = checkArm(item, `${path}[${i}]`, error);
    if (arm) arms.push(arm);
    else failed = true;
  });
  // codes, roles and shares as written, so arms with other problems are still counted
  const written = raw.map((item) => (isRecord(item) ? item : {}));
  const codes = new Map<string, number>();
  written.forEach((arm, i) => {
    if (typeof arm.code !== 'string') return;
    const earlier = codes.get(arm.code);
    if (earlier !== undefined) {
      error(`${path}[${i}].code`, 'arm_code_duplicate', { code: arm.code, other: earlier });
    } else codes.set(arm.code, i);
  });
  const champions = written.filter((arm) => arm.role === 'champion').length;
  if (champions !== 1) {
    error(path, 'champion_count', { count: champions });
  }
  if (written.filter((arm) => arm.role === 'holdout').length > 1) error(path, 'holdouts_too_many');
  const shares = written.map((arm) => arm.share_bp);
  if (shares.every((share) => typeof share === 'number' && Number.isInteger(share))) {
    const total = (shares as number[]).reduce((sum, share) => sum + share, 0);
    if (total !== 10_000) {
      error(path, 'shares_total', { total });
    }
  }
  return failed ? null : arms;
}

function checkArm(raw: unknown, path: string, error: Report): Arm | null {
  if (!isRecord(raw)) {
    error(path, 'arm_not_object');
    return null;
  }
  unknownKeys(raw, ['code', 'role', 'share_bp', 'steps'], path, error);
  const code = checkCode(raw.code, `${path}.code`, error);
  const role = armRoles.includes(raw.role as ArmRole) ? (raw.role as ArmRole) : null;
  if (role === null)
    error(`${path}.role`, 'role_unknown', { value: describe(raw.role), allowed: armRoles.join(', ') });
  const share = raw.share_bp;
  const shareOk = typeof share === 'number' && Number.isInteger(share) && share >= 1 && share <= 10_000;
  if (!shareOk) {
    error(`${path}.share_bp`, 'share_invalid', { value: describe(share) });
  }
  const steps: Step[] = [];
  const indexed: Array<{ index: number; step: Step }> = [];
  let stepsOk = true;
  if (!Array.isArray(raw.steps)) {
    error(`${path}.steps`, 'steps_missing');
    stepsOk = false;
  } else if (raw.steps.length > strategyLimits.stepsPerArm) {
    error(`${path}.steps`, 'steps_too_many', { max: strategyLimits.stepsPerArm });
    stepsOk = false;
  } else {
    raw.steps.forEach((item, i) => {
      const step = checkStep(item, `${path}.steps[${i}]`, error);
      if (step) {
        steps.push(step);
        indexed.push({ index: i, step });
      } else stepsOk = false;
    });
    checkStepOrder(indexed, path, error);
    if (role === 'holdout' && raw.steps.length > 0) {
      error(`${path}.steps`, 'holdout_steps');
    }
  }
  if (code === null || role === null || !shareOk || !stepsOk) return null;
  return { code, role, share_bp: share as number, steps };
}

/** Step codes unique in an arm; within one anchor, each step's day after the one before it. */
function checkStepOrder(steps: Array<{ index: number; step: Step }>, armPath: string, error: Report) {
  const codes = new Map<string, number>();
  const lastDay = new Map<StepAnchor, { day: number; index: number }>();
  for (const { index: i, step } of steps) {
    const earlier = codes.get(step.code);
    if (earlier !== undefined) {
      error(`${armPath}.steps[${i}].code`, 'step_code_duplicate', { code: step.code, other: earlier });
    } else codes.set(step.code, i);
    const before = lastDay.get(step.from);
    if (before && step.day <= before.day) {
      error(`${armPath}.steps[${i}].day`, 'step_day_order', {
        day: step.day,
        other: before.index,
        other_day: before.day,
        from: step.from,
      });
    }
    lastDay.set(step.from, { day: step.day, index: i });
  }
}

function checkStep(raw: unknown, path: string, error: Report): Step | null {
  if (!isRecord(raw)) {
    error(path, 'step_not_object');
    return null;
  }
  const code = checkCode(raw.code, `${path}.code`, error);
  const day = raw.day;
  const dayOk = typeof day === 'number' && Number.isInteger(day) && day >= 0 && day <= strategyLimits.maxDay;
  if (!dayOk) {
    error(`${path}.day`, 'day_invalid', { value: describe(day), max: strategyLimits.maxDay });
  }
  const from = raw.from === undefined ? 'entry' : raw.from;
  const fromOk = stepAnchors.includes(from as StepAnchor);
  if (!fromOk)
    error(`${path}.from`, 'anchor_unknown', { value: describe(raw.from), allowed: stepAnchors.join(', ') });
  const priority = raw.priority === undefined ? 50 : raw.priority;
  const priorityOk =
    typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= 100;
  if (!priorityOk) error(`${path}.priority`, 'priority_invalid', { value: describe(raw.priority) });
  const common = ['code', 'day', 'from', 'kind', 'priority'];
  if (raw.kind === 'message') {
    unknownKeys(raw, [...common, 'channel', 'template'], path, error);
    const channelOk = messageChannels.includes(raw.channel as StepChannel);
    if (!channelOk) {
      error(`${path}.channel`, 'channel_unknown', {
        value: describe(raw.channel),
        allowed: messageChannels.join(', '),
      });
    }
    const template = checkCode(raw.template, `${path}.template`, error);
    if (code === null || !dayOk || !fromOk || !priorityOk || !channelOk || template === null) return null;
    return {
      code,
      day: day as number,
      from: from as StepAnchor,
      kind: 'message',
      channel: raw.channel as StepChannel,
      template,
      priority: priority as number,
    };
  }
  if (raw.kind === 'task') {
    unknownKeys(raw, [...common, 'task', 'team'], path, error);
    const taskOk = taskKinds.includes(raw.task as TaskKind);
    if (!taskOk)
      error(`${path}.task`, 'task_unknown', { value: describe(raw.task), allowed: taskKinds.join(', ') });
    let team: string | null = null;
    let teamOk = true;
    if (raw.task === 'escalate') {
      if (typeof raw.team !== 'string' || raw.team.trim().length === 0 || raw.team.length > 100) {
        error(`${path}.team`, 'team_missing');
        teamOk = false;
      } else team = raw.team.trim();
    } else if (raw.team !== undefined && raw.team !== null) {
      error(`${path}.team`, 'team_not_allowed');
      teamOk = false;
    }
    if (code === null || !dayOk || !fromOk || !priorityOk || !taskOk || !teamOk) return null;
    return {
      code,
      day: day as number,
      from: from as StepAnchor,
      kind: 'task',
      task: raw.task as TaskKind,
      team,
      priority: priority as number,
    };
  }
  error(`${path}.kind`, 'kind_unknown', { value: describe(raw.kind) });
  return null;
}

function checkCondition(
  raw: unknown,
  path: string,
  error: Report,
  depth: number,
  leaves: { count: number },
): Condition | null {
  if (!isRecord(raw)) {
    error(path, 'condition_not_object');
    return null;
  }
  if (depth > strategyLimits.depth) {
    error(path, 'conditions_too_deep', { max: strategyLimits.depth });
    return null;
  }
  for (const group of ['all', 'any'] as const) {
    if (!(group in raw)) continue;
    unknownKeys(raw, [group], path, error);
    const items = raw[group];
    if (!Array.isArray(items)) {
      error(`${path}.${group}`, 'group_not_list', { group });
      return null;
    }
    const out: Condition[] = [];
    let failed = false;
    items.forEach((item, i) => {
      const condition = checkCondition(item, `${path}.${group}[${i}]`, error, depth + 1, leaves);
      if (condition) out.push(condition);
      else failed = true;
    });
    if (failed) return null;
    return group === 'all' ? { all: out } : { any: out };
  }
  leaves.count++;
  unknownKeys(raw, ['field', 'op', 'value'], path, error);
  const field = raw.field;
  if (typeof field !== 'string' || !(field in strategyFields)) {
    error(`${path}.field`, 'field_unknown', {
      value: describe(field),
      allowed: strategyFieldNames.join(', '),
    });
    return null;
  }
  const spec: FieldSpec = strategyFields[field as StrategyField];
  const op = raw.op;
  if (!operators.includes(op as Operator)) {
    error(`${path}.op`, 'operator_unknown', { value: describe(op), allowed: operators.join(', ') });
    return null;
  }
  if (!operatorsFor[spec.type].includes(op as Operator)) {
    error(`${path}.op`, 'operator_not_for_field', {
      op: String(op),
      field,
      type: spec.type,
      allowed: operatorsFor[spec.type].join(', '),
    });
    return null;
  }
  const value = checkValue(raw.value, spec, op as Operator, `${path}.value`, error);
  if (value === null) return null;
  return { field: field as StrategyField, op: op as Operator, value };
}

/** A field type in words, from a problem's params (`type`, and `values` of an enum). */
function typeWords(p: ProblemParams): string {
  switch (p.type as FieldType) {
    case 'int':
      return 'a whole number';
    case 'money':
      return 'an amount in minor units (a whole number, or a string of digits)';
    case 'text':
      return 'a text';
    case 'enum':
      return `one of ${p.values}`;
    case 'bool':
      return 'true or false';
  }
  return String(p.type);
}

function typeParams(spec: FieldSpec): ProblemParams {
  return { type: spec.type, values: (spec.values ?? []).join(', ') };
}

function scalarOf(value: unknown, spec: FieldSpec): Scalar | null {
  switch (spec.type) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
    case 'money':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d{1,18}$/.test(value)) return BigInt(value);
      return null;
    case 'text':
      return typeof value === 'string' && value.length <= 200 ? value : null;
    case 'enum':
      return typeof value === 'string' && (spec.values ?? []).includes(value) ? value : null;
    case 'bool':
      return typeof value === 'boolean' ? value : null;
  }
}

function checkValue(
  raw: unknown,
  spec: FieldSpec,
  op: Operator,
  path: string,
  error: Report,
): Leaf['value'] | null {
  if (op === 'is_empty') {
    if (typeof raw !== 'boolean') {
      error(path, 'is_empty_value');
      return null;
    }
    return raw;
  }
  if (op === 'in' || op === 'not_in' || op === 'between') {
    const wrong = () =>
      op === 'between'
        ? error(path, 'between_value_invalid', typeParams(spec))
        : error(path, 'list_value_invalid', { op, max: strategyLimits.listValues, ...typeParams(spec) });
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > strategyLimits.listValues) {
      wrong();
      return null;
    }
    if (op === 'between' && raw.length !== 2) {
      wrong();
      return null;
    }
    const out: Scalar[] = [];
    let failed = false;
    raw.forEach((item, i) => {
      const scalar = scalarOf(item, spec);
      if (scalar === null) {
        error(`${path}[${i}]`, 'value_invalid', { value: describe(item), ...typeParams(spec) });
        failed = true;
      } else out.push(scalar);
    });
    if (failed) return null;
    if (op === 'between' && (out[0] as number | bigint) > (out[1] as number | bigint)) {
      error(path, 'between_reversed', { low: describe(raw[0]), high: describe(raw[1]) });
      return null;
    }
    return out;
  }
  const scalar = scalarOf(raw, spec);
  if (scalar === null) {
    error(path, 'value_invalid', { value: describe(raw), ...typeParams(spec) });
    return null;
  }
  return scalar;
}

/** A document as JSON (amounts as strings of digits, which the validator reads back as amounts). */
export function documentJson(document: StrategyDocument): string {
  return JSON.stringify(document, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

export function isCatchAll(condition: Condition): boolean {
  return 'all' in condition && condition.all.length === 0;
}

/** The template codes of a document's message steps, each with its channel and the first path using it. */
export function templatesUsed(
  document: StrategyDocument,
): Array<{ code: string; channel: StepChannel; path: string }> {
  const seen = new Map<string, { code: string; channel: StepChannel; path: string }>();
  for (const [s, segment] of document.segments.entries()) {
    for (const [a, arm] of segment.arms.entries()) {
      for (const [i, step] of arm.steps.entries()) {
        if (step.kind !== 'message') continue;
        const key = `${step.template}\u0000${step.channel}`;
        if (!seen.has(key)) {
          seen.set(key, {
            code: step.template,
            channel: step.channel,
            path: `segments[${s}].arms[${a}].steps[${i}].template`,
          });
        }
      }
    }
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------- the evaluator (pure)

/** An account's values of the fields; a missing value is null. */
export type FieldValues = Partial<Record<StrategyField, number | bigint | string | boolean | null>>;

function compare(a: number | bigint | string | boolean, b: Scalar): number {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b ? 0 : 1;
  if (typeof a === 'string' || typeof b === 'string')
    return String(a) === String(b) ? 0 : String(a) < String(b) ? -1 : 1;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Whether values meet a condition; a missing value meets nothing but `is_empty: true`. */
export function evaluate(condition: Condition, values: FieldValues): boolean {
  if ('all' in condition) return condition.all.every((item) => evaluate(item, values));
  if ('any' in condition) return condition.any.some((item) => evaluate(item, values));
  const actual = values[condition.field];
  const empty = actual === null || actual === undefined;
  if (condition.op === 'is_empty') return empty === condition.value;
  if (empty) return false;
  const value = condition.value;
  switch (condition.op) {
    case '=':
      return compare(actual, value as Scalar) === 0;
    case '!=':
      return compare(actual, value as Scalar) !== 0;
    case '<':
      return compare(actual, value as Scalar) < 0;
    case '<=':
      return compare(actual, value as Scalar) <= 0;
    case '>':
      return compare(actual, value as Scalar) > 0;
    case '>=':
      return compare(actual, value as Scalar) >= 0;
    case 'in':
      return (value as Scalar[]).some((item) => compare(actual, item) === 0);
    case 'not_in':
      return !(value as Scalar[]).some((item) => compare(actual, item) === 0);
    case 'between': {
      const [low, high] = value as Scalar[];
      return compare(actual, low as Scalar) >= 0 && compare(actual, high as Scalar) <= 0;
    }
  }
}

/** The index of the first segment the values meet, or null. */
export function segmentOf(document: StrategyDocument, values: FieldValues): number | null {
  const index = document.segments.findIndex((segment) => evaluate(segment.conditions, values));
  return index < 0 ? null : index;
}

// ---------------------------------------------------------------- arms

/**
 * Arms are assigned by src/strategy/experiment.ts (the champion / challenger module): a seeded hash
 * (SHA-256) of the test id and the account id gives a bucket of 0 … 9999; the arms in their order
 * cover consecutive ranges by their shares. `armSql` computes the same arm in the nightly SQL.
 */
export { armBucket, armBucketSql, armSql, assignArm } from './experiment.ts';

// ---------------------------------------------------------------- compilation to SQL

/** SQL types of the bound values per field type. */
const castOf: Record<FieldType, string> = {
  int: 'int4',
  money: 'int8',
  text: 'text',
  enum: 'text',
  bool: 'bool',
};

function bound(value: Scalar, type: FieldType): RawBuilder<unknown> {
  const text = typeof value === 'bigint' ? value.toString() : value;
  return sql`${text}::${sql.raw(castOf[type])}`;
}

function boundList(values: Scalar[], type: FieldType): RawBuilder<unknown> {
  return sql`${values.map((value) => (typeof value === 'bigint' ? value.toString() : value))}::${sql.raw(castOf[type])}[]`;
}

/**
 * A condition as a SQL boolean over the field expressions `fieldSql` gives (our SQL text, never
 * input); every value is a bound parameter. Each leaf is coalesced to false, so a missing value
 * meets nothing but is_empty, as in `evaluate`.
 */
export function conditionSql(
  condition: Condition,
  fieldSql: (field: StrategyField) => RawBuilder<unknown>,
): RawBuilder<boolean> {
  if ('all' in condition) {
    if (condition.all.length === 0) return sql<boolean>`true`;
    return sql<boolean>`(${sql.join(
      condition.all.map((item) => conditionSql(item, fieldSql)),
      sql` AND `,
    )})`;
  }
  if ('any' in condition) {
    if (condition.any.length === 0) return sql<boolean>`false`;
    return sql<boolean>`(${sql.join(
      condition.any.map((item) => conditionSql(item, fieldSql)),
      sql` OR `,
    )})`;
  }
  const spec: FieldSpec = strategyFields[condition.field];
  const column = fieldSql(condition.field);
  const value = condition.value;
  switch (condition.op) {
    case 'is_empty':
      return value ? sql<boolean>`(${column} IS NULL)` : sql<boolean>`(${column} IS NOT NULL)`;
    case 'in':
      return sql<boolean>`coalesce(${column} = ANY(${boundList(value as Scalar[], spec.type)}), false)`;
    case 'not_in':
      return sql<boolean>`coalesce(${column} <> ALL(${boundList(value as Scalar[], spec.type)}), false)`;
    case 'between': {
      const [low, high] = value as Scalar[];
      return sql<boolean>`coalesce(${column} BETWEEN ${bound(low as Scalar, spec.type)} AND ${bound(high as Scalar, spec.type)}, false)`;
    }
    default: {
      const op = condition.op === '!=' ? '<>' : condition.op;
      return sql<boolean>`coalesce(${column} ${sql.raw(op)} ${bound(value as Scalar, spec.type)}, false)`;
    }
  }
}

/** The fields a condition reads (so the nightly SQL computes only those). */
export function fieldsOf(condition: Condition, into = new Set<StrategyField>()): Set<StrategyField> {
  if ('all' in condition) for (const item of condition.all) fieldsOf(item, into);
  else if ('any' in condition) for (const item of condition.any) fieldsOf(item, into);
  else into.add(condition.field);
  return into;
}
