/**
 * The strategy editor's pure side (no React, no i18next): the strategy document's types as the API
 * sends them (src/strategy/document.ts), the fields the conditions may use with their types and
 * operators (a copy of the server's `strategyFields`; the server validates again and names every
 * problem's path), conditions in plain words, amounts in yuan ↔ minor units and percentages ↔ basis
 * points without floating point, and a problem's JSON path → the form item that shows it.
 */
import { formatMinor, minorToAmountText as moneyAmountText, parseAmountToMinor } from '../../money.ts';
import { dispositions } from '../workspace/model.ts';

export type FieldType = 'int' | 'money' | 'text' | 'enum' | 'bool';
export type FieldGroup = 'account' | 'debtor' | 'behaviour' | 'score';

export interface FieldSpec {
  group: FieldGroup;
  type: FieldType;
  values?: readonly string[];
}

export const buckets = ['current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'] as const;

/** The fields of the server's `strategyFields`, in its order (the field picker groups them). */
export const strategyFields = {
  client: { group: 'account', type: 'text' },
  product: { group: 'account', type: 'text' },
  balance_minor: { group: 'account', type: 'money' },
  principal_minor: { group: 'account', type: 'money' },
  interest_minor: { group: 'account', type: 'money' },
  fees_minor: { group: 'account', type: 'money' },
  penalty_minor: { group: 'account', type: 'money' },
  dpd: { group: 'account', type: 'int' },
  bucket: { group: 'account', type: 'enum', values: buckets },
  days_since_placement: { group: 'account', type: 'int' },
  status: {
    group: 'account',
    type: 'enum',
    values: ['active', 'paid', 'settled', 'closed', 'recalled', 'written_off'],
  },
  region: { group: 'debtor', type: 'text' },
  language: { group: 'debtor', type: 'enum', values: ['zh-CN', 'en'] },
  age: { group: 'debtor', type: 'int' },
  lost_contact: { group: 'debtor', type: 'bool' },
  payments_30d_minor: { group: 'behaviour', type: 'money' },
  payments_90d_minor: { group: 'behaviour', type: 'money' },
  promises_kept: { group: 'behaviour', type: 'int' },
  promises_broken: { group: 'behaviour', type: 'int' },
  last_contact_outcome: { group: 'behaviour', type: 'enum', values: dispositions },
  days_since_rpc: { group: 'behaviour', type: 'int' },
  plan_status: {
    group: 'behaviour',
    type: 'enum',
    values: ['none', 'pending_approval', 'active', 'rejected', 'completed', 'broken', 'cancelled'],
  },
  hardship: { group: 'behaviour', type: 'bool' },
  score: { group: 'score', type: 'int' },
  band: { group: 'score', type: 'int' },
} as const satisfies Record<string, FieldSpec>;

export type StrategyField = keyof typeof strategyFields;
export const fieldNames = Object.keys(strategyFields) as StrategyField[];
export const fieldGroups: FieldGroup[] = ['account', 'debtor', 'behaviour', 'score'];

export function fieldSpec(field: string): FieldSpec | undefined {
  return (strategyFields as Record<string, FieldSpec>)[field];
}

export const operators = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'between', 'is_empty'] as const;
export type Operator = (typeof operators)[number];

export const operatorsFor: Record<FieldType, readonly Operator[]> = {
  int: operators,
  money: operators,
  text: ['=', '!=', 'in', 'not_in', 'is_empty'],
  enum: ['=', '!=', 'in', 'not_in', 'is_empty'],
  bool: ['=', 'is_empty'],
};

/** Money values travel as strings of digits (minor units): exact, and what the server stores. */
export type Scalar = number | string | boolean;
export interface Leaf {
  field: string;
  op: string;
  value: Scalar | Scalar[];
}
export type Condition = { all: Condition[] } | { any: Condition[] } | Leaf;

export const stepAnchors = ['entry', 'promise_broken', 'plan_broken', 'payment'] as const;
export const messageChannels = ['sms', 'email', 'letter'] as const;
export const taskKinds = ['call', 'field_visit', 'legal_review', 'escalate'] as const;
export const armRoles = ['champion', 'challenger', 'holdout'] as const;

export interface Step {
  code: string;
  day: number;
  from?: string;
  kind: 'message' | 'task';
  channel?: string;
  template?: string;
  task?: string;
  team?: string | null;
  priority?: number;
}

export interface Arm {
  code: string;
  role: string;
  share_bp: number;
  steps: Step[];
}

export interface Segment {
  code: string;
  name: string;
  conditions: Condition;
  test_id?: string | null;
  arms: Arm[];
}

export interface StrategyDocument {
  name: string;
  segments: Segment[];
}

export interface Problem {
  path: string;
  severity: 'error' | 'warning';
  /** what is wrong (src/strategy/document.ts problemCodes), said in the user's language with params */
  code?: string;
  params?: Record<string, string | number>;
  /** the server's English */
  message: string;
}

export function isGroup(condition: Condition): condition is { all: Condition[] } | { any: Condition[] } {
  return 'all' in condition || 'any' in condition;
}

export function groupOf(condition: { all: Condition[] } | { any: Condition[] }): {
  kind: 'all' | 'any';
  items: Condition[];
} {
  return 'all' in condition ? { kind: 'all', items: condition.all } : { kind: 'any', items: condition.any };
}

// ------------------------------------------------------------------ amounts and shares

/** Minor units (`500000`) → the amount typed in yuan (`5000.00`), exactly; null when it is not digits. */
export function minorToAmountText(value: Scalar | undefined | null): string | null {
  if (value === null || value === undefined || typeof value === 'boolean') return null;
  return moneyAmountText(String(value), 'CNY') || null;
}

/** An amount typed in yuan (`5,000`) → minor units as a string of digits (`500000`), or null. */
export function amountTextToMinor(text: string): string | null {
  return parseAmountToMinor(text, 'CNY');
}

/** Basis points (8000) → the percentage typed (`80.00`). */
export function shareText(bp: number): string {
  if (!Number.isInteger(bp)) return '';
  return minorToAmountText(String(bp)) ?? '';
}

/** A percentage typed (`33.33`, `80`) → basis points (3333, 8000), or null when it is not one. */
export function shareToBp(text: string): number | null {
  const digits = /^\s*\d{1,3}(\.\d{0,2})?\s*%?\s*$/.test(text)
    ? parseAmountToMinor(text.replace('%', ''), 'CNY')
    : null;
  if (digits === null) return null;
  const bp = Number(digits);
  return bp <= 10_000 ? bp : null;
}

/** The arms' shares added up, in basis points (10000 = 100.00%). */
export function sharesTotal(arms: readonly Pick<Arm, 'share_bp'>[]): number {
  return arms.reduce((sum, arm) => sum + (Number.isInteger(arm.share_bp) ? arm.share_bp : 0), 0);
}

// ------------------------------------------------------------------ plain words

/**
 * The words of the `strategies.words` / `strategies.fields` / `strategies.values` strings: `key`
 * relative to `strategies.`, `{{name}}` placeholders filled from `vars`; a missing key returns null.
 */
export type Words = (key: string, vars?: Record<string, string>) => string | null;

function valueWords(field: string, value: Scalar, words: Words): string {
  const spec = fieldSpec(field);
  if (spec?.type === 'money') return formatMinor(String(value), 'CNY');
  if (spec?.type === 'bool') return words(value === true ? 'words.yes' : 'words.no') ?? String(value);
  if (spec?.type === 'enum') return words(`values.${String(value)}`) ?? String(value);
  return String(value);
}

const opSymbols: Record<string, string> = { '=': '=', '!=': '≠', '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

/** One condition in plain words: `逾期天数 ≥ 31`, `余额 介于 ¥1,000.00 与 ¥5,000.00 之间`. */
export function leafWords(leaf: Leaf, words: Words): string {
  const field = words(`fields.${leaf.field}`) ?? leaf.field;
  const list = (Array.isArray(leaf.value) ? leaf.value : [leaf.value]).map((v) =>
    valueWords(leaf.field, v, words),
  );
  switch (leaf.op) {
    case 'is_empty':
      return words(leaf.value === false ? 'words.notEmpty' : 'words.isEmpty', { field }) ?? field;
    case 'between':
      return (
        words('words.between', { field, low: list[0] ?? '', high: list[1] ?? '' }) ??
        `${field} ${list.join('–')}`
      );
    case 'in':
    case 'not_in':
      return (
        words(leaf.op === 'in' ? 'words.in' : 'words.notIn', {
          field,
          values: list.join(words('words.listSeparator') ?? ', '),
        }) ?? field
      );
    default:
      return `${field} ${opSymbols[leaf.op] ?? leaf.op} ${list[0] ?? ''}`;
  }
}

/** A condition tree in plain words; nested groups in brackets. `{all: []}` is "every account". */
export function conditionWords(condition: Condition, words: Words, nested = false): string {
  if (!isGroup(condition)) return leafWords(condition, words);
  const { kind, items } = groupOf(condition);
  if (items.length === 0) return words(kind === 'all' ? 'words.everyAccount' : 'words.noAccount') ?? kind;
  const joiner = words(kind === 'all' ? 'words.and' : 'words.or') ?? ` ${kind} `;
  const text = items.map((item) => conditionWords(item, words, true)).join(joiner);
  return nested && items.length > 1 ? `(${text})` : text;
}

// ------------------------------------------------------------------ problems → form items

/** A JSON path `segments[0].arms[1].share_bp` → its parts (`segments`, 0, `arms`, 1, `share_bp`). */
export function pathParts(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[1] !== undefined) parts.push(match[1]);
  }
  return parts;
}

export function pathOf(parts: ReadonlyArray<string | number>): string {
  return parts
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/**
 * The form item a problem belongs to: its own path when the form shows it, else the nearest enclosing
 * one (`…value[1]` → `…value`, a step's unknown key → the step); `''` (the document) when none.
 */
export function formItemFor(path: string, shown: ReadonlySet<string>): string {
  const parts = pathParts(path);
  while (parts.length > 0) {
    const candidate = pathOf(parts);
    if (shown.has(candidate)) return candidate;
    parts.pop();
  }
  return '';
}

/** Every problem keyed by the form item that shows it. */
export function problemsByItem(
  problems: readonly Problem[],
  shown: ReadonlySet<string>,
): Map<string, Problem[]> {
  const byItem = new Map<string, Problem[]>();
  for (const problem of problems) {
    const key = formItemFor(problem.path, shown);
    byItem.set(key, [...(byItem.get(key) ?? []), problem]);
  }
  return byItem;
}

/** The paths the editor shows a form item for, for a document. */
export function formItemPaths(document: StrategyDocument): Set<string> {
  const paths = new Set<string>(['name', 'segments']);
  const conditionPaths = (condition: Condition, path: string) => {
    paths.add(path);
    if (isGroup(condition)) {
      const { kind, items } = groupOf(condition);
      items.forEach((item, i) => {
        conditionPaths(item, `${path}.${kind}[${i}]`);
      });
      return;
    }
    for (const key of ['field', 'op', 'value']) paths.add(`${path}.${key}`);
  };
  (document.segments ?? []).forEach((segment, s) => {
    const base = `segments[${s}]`;
    for (const key of ['', '.code', '.name', '.test_id', '.arms']) paths.add(`${base}${key}`);
    conditionPaths(segment.conditions ?? { all: [] }, `${base}.conditions`);
    (segment.arms ?? []).forEach((arm, a) => {
      const armPath = `${base}.arms[${a}]`;
      for (const key of ['', '.code', '.role', '.share_bp', '.steps']) paths.add(`${armPath}${key}`);
      (arm.steps ?? []).forEach((_step, i) => {
        const stepPath = `${armPath}.steps[${i}]`;
        paths.add(stepPath);
        for (const key of [
          'code',
          'day',
          'from',
          'kind',
          'channel',
          'template',
          'task',
          'team',
          'priority',
        ]) {
          paths.add(`${stepPath}.${key}`);
        }
      });
    });
  });
  return paths;
}

// ------------------------------------------------------------------ editing

/** A blank document: one catch-all segment with a champion and no steps. */
export function blankDocument(name: string): StrategyDocument {
  return {
    name,
    segments: [
      {
        code: 'all',
        name,
        conditions: { all: [] },
        test_id: null,
        arms: [{ code: 'champion', role: 'champion', share_bp: 10_000, steps: [] }],
      },
    ],
  };
}

/** A new condition on a field: its first operator and an empty value of its type. */
export function newLeaf(field: StrategyField): Leaf {
  const spec = fieldSpec(field) as FieldSpec;
  const op = operatorsFor[spec.type][0] as Operator;
  return { field, op, value: defaultValue(spec, op) };
}

export function defaultValue(spec: FieldSpec, op: string): Scalar | Scalar[] {
  if (op === 'is_empty') return true;
  const one: Scalar =
    spec.type === 'bool'
      ? true
      : spec.type === 'enum'
        ? (spec.values?.[0] ?? '')
        : spec.type === 'text'
          ? ''
          : spec.type === 'money'
            ? '0'
            : 0;
  if (op === 'between') return [one, one];
  if (op === 'in' || op === 'not_in') return spec.type === 'enum' ? [one] : [];
  return one;
}

/** Moves item `from` of a list to `to` (a copy). */
export function moved<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (to < 0 || to >= out.length) return out;
  const [item] = out.splice(from, 1);
  if (item !== undefined) out.splice(to, 0, item);
  return out;
}

// ------------------------------------------------------------------ champion / challenger figures

export const metrics = [
  'recovery_rate',
  'collected_per_account',
  'promise_kept_rate',
  'contacts_per_account',
  'cost_per_yuan',
] as const;
export type Metric = (typeof metrics)[number];
export type Interval = [number, number] | null;

export const rates = new Set<Metric>(['recovery_rate', 'promise_kept_rate']);

/** A metric's value (or difference, signed) as shown: rates in %, money in yuan, ratios to 4 places. */
export function metricText(metric: Metric, value: number | null | undefined, signed = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const sign = signed && value > 0 ? '+' : '';
  if (rates.has(metric)) return `${sign}${(value * 100).toFixed(2)}%`;
  if (metric === 'collected_per_account') return `${sign}${formatMinor(Math.round(value), 'CNY')}`;
  if (metric === 'contacts_per_account') return `${sign}${value.toFixed(2)}`;
  return `${sign}${value.toFixed(4)}`;
}

export function intervalText(metric: Metric, interval: Interval): string {
  if (!interval) return '—';
  return `[${metricText(metric, interval[0], true)}, ${metricText(metric, interval[1], true)}]`;
}

// ------------------------------------------------------------------ a path in words

const keyWords: Record<string, string> = {
  segments: 'path.segments',
  name: 'editor.name',
  code: 'editor.segmentCode',
  test_id: 'editor.testId',
  conditions: 'view.conditions',
  arms: 'view.arms',
  role: 'editor.role',
  share_bp: 'editor.share',
  steps: 'editor.steps',
  day: 'editor.day',
  from: 'editor.from',
  kind: 'editor.kind',
  channel: 'editor.channel',
  template: 'editor.template',
  task: 'editor.task',
  team: 'editor.team',
  priority: 'editor.priority',
  field: 'editor.field',
  op: 'editor.operator',
  value: 'editor.value',
};

/**
 * A problem's JSON path in the user's words, for the problems list:
 * `segments[0].arms[1].share_bp` → `第 1 段 › 第 2 个分组 › 占比 %`.
 */
export function pathWords(path: string, words: Words): string {
  const parts = pathParts(path);
  if (parts.length === 0) return words('editor.document') ?? path;
  const numbered: Record<string, string> = {
    segments: 'segment',
    arms: 'arm',
    steps: 'step',
    all: 'condition',
    any: 'condition',
  };
  const out: string[] = [];
  parts.forEach((part, i) => {
    const next = parts[i + 1];
    if (typeof part === 'number') {
      const owner = parts[i - 1];
      const kind = (typeof owner === 'string' && numbered[owner]) || 'item';
      out.push(words(`path.${kind}`, { n: String(part + 1) }) ?? `[${part + 1}]`);
      return;
    }
    // a list followed by its index is said by the index ("第 2 个分组"), not twice
    if (part in numbered && typeof next === 'number') return;
    let key = keyWords[part];
    if (part === 'code') {
      const owner = parts[i - 2];
      key =
        owner === 'steps' ? 'editor.stepCode' : owner === 'arms' ? 'editor.armCode' : 'editor.segmentCode';
    }
    out.push((key ? words(key) : null) ?? part);
  });
  return out.join(words('path.separator') ?? ' › ');
}
