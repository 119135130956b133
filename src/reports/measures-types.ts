/**
 * Measures (效果评估, ../shared/spec/kpi.md): the shapes shared by the measures' SQL
 * (measures.ts), their pure rules (measures-model.ts), the HTTP routes (measures-routes.ts) and the
 * web page (web/src/pages/Measures.tsx reads the same JSON).
 *
 * A **cut** narrows the accounts a measure looks at; a **period** bounds the flows it counts
 * (payments, commission, write-offs, contacts, promises, plans). What each cut reads:
 * - client, batch, product: the account's own columns;
 * - vintage: the month (Asia/Shanghai) its batch was approved, i.e. the month it was placed;
 * - team, agent: the account's current assignment (account_assignments);
 * - segment, arm: the account's current treatment under the strategy in force (account_treatments);
 * - bucket: the account's current bucket from the nightly run (account_states).
 * Only accounts of the asked currency are counted; the caller's client scope always applies.
 */

import { buckets } from '../accounts/listing.ts';

export const measureDimensions = [
  'client',
  'batch',
  'vintage',
  'team',
  'agent',
  'product',
  'bucket',
  'segment',
  'arm',
] as const;
export type MeasureDimension = (typeof measureDimensions)[number];

export interface MeasureCut {
  currency: string;
  /** client ids the caller may read ('all' for agency-wide staff); always applied */
  clientIds: bigint[] | 'all';
  clientId?: bigint;
  batchId?: bigint;
  /** 'YYYY-MM' */
  vintage?: string;
  teamId?: bigint;
  /** username */
  agent?: string;
  product?: string;
  bucket?: string;
  segment?: string;
  arm?: string;
}

export interface MeasurePeriod {
  /** first business day counted, 'YYYY-MM-DD' */
  from: string;
  /** last business day counted, 'YYYY-MM-DD' */
  to: string;
}

/**
 * A rate as its exact parts: the UI and exports show numerator / denominator, and `value` is the
 * quotient rounded half-even to 6 decimal places as a decimal string ('0.123457'), null when the
 * denominator is 0. No float carries a rate the API returns.
 */
export interface Rate {
  numerator: bigint;
  denominator: bigint;
  value: string | null;
}

export interface DayStats {
  /** accounts counted */
  accounts: number;
  median_days: number | null;
  p90_days: number | null;
}

/** The figures of kpi.md that the ledger and the agents' work give, for one cut and period. */
export interface MeasureValues {
  /** accounts of the cut placed by the period's end (any vintage unless cut by one) */
  accounts_placed: number;
  /** Σ balances at placement of those accounts (委案金额) */
  placed_minor: bigint;
  /** gross collected in the period: into trust plus direct to the client, net of reversals (回款金额) */
  collected_minor: bigint;
  collected_trust_minor: bigint;
  collected_direct_minor: bigint;
  /** payments in the period less the reversals of payments in it */
  payments: number;
  /** accounts whose payments in the period, net of reversals, are above zero */
  accounts_paying: number;
  /** collected ÷ placed (回款率) */
  recovery_rate: Rate;
  /** accounts paying ÷ accounts placed (户数回款率) */
  account_recovery_rate: Rate;
  /** commission earned in the period, net of claw-backs (佣金) */
  commission_minor: bigint;
  /** collected into trust less the commission earned, on direct payments too (kpi.md, 应付委托方) */
  net_to_client_minor: bigint;
  /** balances written off in the period, net of reversals */
  written_off_minor: bigint;
  /** written off ÷ placed (坏账率) */
  bad_debt_rate: Rate;
  /** contact attempts logged in the period */
  attempts: number;
  /** attempts that reached any person */
  reached: number;
  /** attempts that reached the debtor (本人) */
  right_party: number;
  /** reached ÷ attempts (接通率) */
  contact_rate: Rate;
  /** right party ÷ attempts (本人接通率) */
  rpc_rate: Rate;
  /** promises taken in the period (cancelled ones too: they were made) */
  promises_made: number;
  /** promises made ÷ right-party contacts (承诺率) */
  promise_rate: Rate;
  /** promises whose due date + grace fell in the period and that the nightly run has judged (kept or broken) */
  promises_due: number;
  /** of those, paid in full by due date + grace */
  promises_kept: number;
  /** kept ÷ due (承诺兑现率) */
  promise_kept_rate: Rate;
  /** plans that ended in the period (completed or broken) */
  plans_ended: number;
  plans_completed: number;
  /** completed ÷ ended (分期履约率) */
  plan_completion_rate: Rate;
  /** accounts of the cut live (active) on the period's last day */
  live_accounts: number;
  /** of those, debtors marked lost contact or with no valid or unverified contact point */
  lost_contact_accounts: number;
  /** lost contact ÷ live (失联率) */
  lost_contact_rate: Rate;
  /** days from placement to first payment, for first payments in the period (回款周期) */
  days_to_first_payment: DayStats;
  /** days from placement to paid in full (status paid or settled), dated by the payment that did it, for those in the period */
  days_to_full_payment: DayStats;
}

export interface MeasureRow extends MeasureValues {
  /** the dimension's value: an id as text, a month, a code or a username; '' for none */
  key: string;
  /** what people read: a client's name, a batch's name, a team's name, an agent's display name … */
  label: string;
}

export interface VintageCurve {
  /** 'YYYY-MM', the month the accounts were placed */
  vintage: string;
  accounts: number;
  placed_minor: bigint;
  /** month 0 = the month of placement; cumulative collections at each month's end (the last may be partial) */
  points: Array<{ month: number; collected_minor: bigint; rate: Rate }>;
}

/** Buckets an account can be in on a date, then where it can have gone by the month's end. */
export const rollFromBuckets = buckets;
export const rollToStates = [...rollFromBuckets, 'paid', 'closed'] as const;
export type RollToState = (typeof rollToStates)[number];

export interface RollRow {
  from: (typeof rollFromBuckets)[number];
  accounts: number;
  /** balance of the accounts in this bucket at the start of the month's first day */
  balance_minor: bigint;
  /**
   * where that balance was on the month's last day, by the bucket the account was then in (weighted
   * by its balance on the first day): 'paid' = paid or settled in full by then, 'closed' = recalled,
   * written off or closed; rate = that balance ÷ balance_minor
   */
  to: Array<{ state: RollToState; accounts: number; balance_minor: bigint; rate: Rate }>;
}

export interface RollMatrix {
  /** 'YYYY-MM' */
  month: string;
  from: string;
  to: string;
  rows: RollRow[];
}

/** Measures that are proportions of counted things, which a before / after comparison can test. */
export const comparableMeasures = [
  'account_recovery_rate',
  'contact_rate',
  'rpc_rate',
  'promise_rate',
  'promise_kept_rate',
  'plan_completion_rate',
] as const;
export type ComparableMeasure = (typeof comparableMeasures)[number];

export interface Comparison {
  measure: ComparableMeasure;
  before: Rate & MeasurePeriod;
  after: Rate & MeasurePeriod;
  /** after − before, as a decimal string rounded to 6 places; null when either side has no denominator */
  difference: string | null;
  /** 95 % interval of the difference (two-proportion normal approximation), decimal strings */
  interval: { low: string; high: string } | null;
  /** two-sided p-value of "no difference" (pooled two-proportion z-test), 6 places */
  p_value: string | null;
  /** false while either side has fewer than 30 in its denominator: too few to tell */
  enough: boolean;
}
