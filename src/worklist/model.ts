/**
 * The pure part of agent actions on an account: the closed lists (dispositions, channels, hardship
 * options), what a disposition means for the compliance gate and for holds, the limits on promises
 * and plans (`AgentLimits`, defaults below, overridable from the environment), and the checks of a
 * plan's instalments. No SQL, no clock.
 */
import { addDays, daysBetween } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor } from '../shared/money.ts';

export const dispositions = [
  'right_party_contact',
  'third_party',
  'wrong_party',
  'no_answer',
  'busy',
  'voicemail',
  'not_in_service',
  'promise_to_pay',
  'refuse_to_pay',
  'claims_paid',
  'dispute',
  'hardship',
  'deceased',
  'bankruptcy',
  'call_back_requested',
  'lost_contact',
] as const;
export type Disposition = (typeof dispositions)[number];

export const attemptChannels = ['call', 'sms', 'email', 'letter', 'visit', 'other'] as const;
export type AttemptChannel = (typeof attemptChannels)[number];

/** compliance.md's forbearance options (UK hardship workflow), offered or asked for. */
export const hardshipOptions = [
  'longer_term',
  'interest_suspended',
  'charges_reduced',
  'charges_waived',
  'token_payments',
  'debt_advice_referral',
] as const;

/** The compliance gate's outcome for a contact this disposition reports on (its counters read it). */
export function gateOutcomeOf(
  disposition: Disposition,
): 'conversation' | 'no_answer' | 'busy' | 'voicemail' | 'not_in_service' {
  switch (disposition) {
    case 'no_answer':
      return 'no_answer';
    case 'busy':
      return 'busy';
    case 'voicemail':
      return 'voicemail';
    case 'not_in_service':
    case 'lost_contact':
      return 'not_in_service';
    default:
      return 'conversation';
  }
}

/** The hold a disposition records (src/compliance/holds.ts), if any. */
export function holdKindOf(disposition: Disposition): 'dispute' | 'deceased' | 'bankruptcy' | null {
  return disposition === 'dispute' || disposition === 'deceased' || disposition === 'bankruptcy'
    ? disposition
    : null;
}

// ---------------------------------------------------------------- limits

/**
 * What an agent may agree alone. strategy.md names no figures, so these defaults are the common
 * practice of the agencies' systems; each can be set from the environment (README "Agent actions").
 */
export interface AgentLimits {
  /** Days after due (or an instalment's due date) a payment still keeps it. */
  graceDays: number;
  /** A promise below this share of the balance (basis points) needs a supervisor. */
  promiseMinShareBp: number;
  /** A promise due further out than this many days needs a supervisor. */
  promiseMaxDays: number;
  /** A plan with more instalments needs approval. */
  planMaxInstalments: number;
  /** A plan whose last instalment is further out than this many days needs approval. */
  planMaxDays: number;
  /** A plan whose first payment is further out than this many days needs approval. */
  planFirstPaymentMaxDays: number;
  /** A plan whose first payment is below this share of its total (basis points) needs approval. */
  planFirstPaymentMinShareBp: number;
}

export const defaultLimits: AgentLimits = {
  graceDays: 3,
  promiseMinShareBp: 1000,
  promiseMaxDays: 30,
  planMaxInstalments: 12,
  planMaxDays: 365,
  planFirstPaymentMaxDays: 30,
  planFirstPaymentMinShareBp: 500,
};

/** Hard ceilings, whoever approves: a plan of at most 60 instalments over at most 5 years. */
export const hardLimits = { instalments: 60, planDays: 5 * 366, promiseDays: 366, graceDays: 60 };

const limitVariables: Record<keyof AgentLimits, [string, number, number]> = {
  graceDays: ['HUIKUAN_PROMISE_GRACE_DAYS', 0, hardLimits.graceDays],
  promiseMinShareBp: ['HUIKUAN_PROMISE_MIN_SHARE_BP', 0, 10_000],
  promiseMaxDays: ['HUIKUAN_PROMISE_MAX_DAYS', 0, hardLimits.promiseDays],
  planMaxInstalments: ['HUIKUAN_PLAN_MAX_INSTALMENTS', 1, hardLimits.instalments],
  planMaxDays: ['HUIKUAN_PLAN_MAX_DAYS', 1, hardLimits.planDays],
  planFirstPaymentMaxDays: ['HUIKUAN_PLAN_FIRST_PAYMENT_MAX_DAYS', 0, hardLimits.promiseDays],
  planFirstPaymentMinShareBp: ['HUIKUAN_PLAN_FIRST_PAYMENT_MIN_SHARE_BP', 0, 10_000],
};

/** The limits, each from its environment variable when set (a whole number in its range), else the default. */
export function limitsFromEnv(env: Record<string, string | undefined> = process.env): AgentLimits {
  const limits = { ...defaultLimits };
  for (const [key, [name, min, max]] of Object.entries(limitVariables) as [
    keyof AgentLimits,
    [string, number, number],
  ][]) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new HuikuanError('bad_usage', `${name} is "${text}"; set a whole number from ${min} to ${max}.`);
    }
    limits[key] = value;
  }
  return limits;
}

function share(bp: number): string {
  return `${bp / 100}%`;
}

/** Why a promise is outside what an agent may agree alone (empty: inside the limits). */
export function promiseLimitReasons(
  promise: { amountMinor: bigint; balanceMinor: bigint; currency: string; today: string; dueOn: string },
  limits: AgentLimits,
): string[] {
  const reasons: string[] = [];
  const currency = promise.currency;
  if (promise.amountMinor * 10_000n < promise.balanceMinor * BigInt(limits.promiseMinShareBp)) {
    reasons.push(
      `the amount ${formatMinor(promise.amountMinor, currency)} is below ${share(limits.promiseMinShareBp)} of the balance ${formatMinor(promise.balanceMinor, currency)}`,
    );
  }
  if (daysBetween(promise.today, promise.dueOn) > limits.promiseMaxDays) {
    reasons.push(
      `the due date ${promise.dueOn} is more than ${limits.promiseMaxDays} days out (after ${addDays(promise.today, limits.promiseMaxDays)})`,
    );
  }
  return reasons;
}

export interface InstalmentInput {
  dueOn: string;
  amountMinor: bigint;
}

/** Refuses a plan whose instalments are not a schedule at all (whoever would approve it). */
export function checkInstalments(
  instalments: readonly InstalmentInput[],
  totalMinor: bigint,
  currency: string,
  today: string,
): void {
  if (instalments.length === 0) throw new HuikuanError('bad_input', 'A plan needs at least one instalment.');
  if (instalments.length > hardLimits.instalments) {
    throw new HuikuanError(
      'bad_input',
      `A plan has at most ${hardLimits.instalments} instalments; this one has ${instalments.length}.`,
    );
  }
  let sum = 0n;
  let previous: string | null = null;
  for (const [index, instalment] of instalments.entries()) {
    if (instalment.amountMinor <= 0n) {
      throw new HuikuanError('bad_input', `Instalment ${index + 1}'s amount must be greater than 0.`);
    }
    if (previous === null && instalment.dueOn < today) {
      throw new HuikuanError(
        'bad_input',
        `The first instalment is due ${instalment.dueOn}, before today (${today}); give a date from today.`,
      );
    }
    if (previous !== null && instalment.dueOn <= previous) {
      throw new HuikuanError(
        'bad_input',
        `Instalment ${index + 1} is due ${instalment.dueOn}, not after instalment ${index} (${previous}); give the dates in order, one instalment a date.`,
      );
    }
    previous = instalment.dueOn;
    sum += instalment.amountMinor;
  }
  if (sum !== totalMinor) {
    throw new HuikuanError(
      'bad_input',
      `The instalments add up to ${formatMinor(sum, currency)}, not the plan's total ${formatMinor(totalMinor, currency)}; make them sum to the total.`,
    );
  }
  if (previous !== null && daysBetween(today, previous) > hardLimits.planDays) {
    throw new HuikuanError(
      'bad_input',
      `A plan ends within ${hardLimits.planDays} days; the last instalment (${previous}) is later.`,
    );
  }
}

/** Why a plan needs a supervisor's approval (empty: an agent may agree it alone). */
export function planLimitReasons(
  plan: {
    totalMinor: bigint;
    balanceMinor: bigint;
    currency: string;
    today: string;
    instalments: readonly InstalmentInput[];
  },
  limits: AgentLimits,
): string[] {
  const reasons: string[] = [];
  const currency = plan.currency;
  const first = plan.instalments[0];
  const last = plan.instalments[plan.instalments.length - 1];
  if (plan.instalments.length > limits.planMaxInstalments) {
    reasons.push(`${plan.instalments.length} instalments, more than ${limits.planMaxInstalments}`);
  }
  if (last && daysBetween(plan.today, last.dueOn) > limits.planMaxDays) {
    reasons.push(`the last instalment (${last.dueOn}) is more than ${limits.planMaxDays} days out`);
  }
  if (first && daysBetween(plan.today, first.dueOn) > limits.planFirstPaymentMaxDays) {
    reasons.push(
      `the first payment (${first.dueOn}) is more than ${limits.planFirstPaymentMaxDays} days out`,
    );
  }
  if (first && first.amountMinor * 10_000n < plan.totalMinor * BigInt(limits.planFirstPaymentMinShareBp)) {
    reasons.push(
      `the first payment ${formatMinor(first.amountMinor, currency)} is below ${share(limits.planFirstPaymentMinShareBp)} of the total`,
    );
  }
  if (plan.totalMinor < plan.balanceMinor) {
    reasons.push(
      `the total ${formatMinor(plan.totalMinor, currency)} is less than the balance ${formatMinor(plan.balanceMinor, currency)} (a discount: offer a settlement instead, or have it approved)`,
    );
  }
  return reasons;
}
