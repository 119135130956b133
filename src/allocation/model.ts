/**
 * Allocation (分案) and queue priority, pure: which agent of a team gets each new account under the
 * team's rule, and the order of an agent's queue. No SQL, no HTTP.
 */

export const allocationMethods = ['round_robin', 'balanced_count', 'balanced_balance', 'score_band'] as const;
export type AllocationMethod = (typeof allocationMethods)[number];

export interface AgentLoad {
  agent: string;
  accounts: number;
  balance_minor: bigint;
  /** what the agent covers, for a rule's match requirements (absent: nothing) */
  languages?: readonly string[];
  /** provinces / regions or country codes; '*' covers every region */
  regions?: readonly string[];
  skills?: readonly string[];
}

/** The skills an account may need; an agent takes it only with all of them when the rule matches skills. */
export const allocationSkills = ['legal', 'high_balance', 'hardship', 'field'] as const;
export type AllocationSkill = (typeof allocationSkills)[number];

/** Which of the account's needs a team's rule enforces before its method. */
export interface MatchRequirements {
  region: boolean;
  language: boolean;
  skills: boolean;
}

/** Why an account stays unassigned: nobody covers its region, speaks its language, has its skills, or every agent able to take it is at the cap (or the team has no agents). */
export const unassignedReasons = ['no_agents', 'region', 'language', 'skills', 'cap'] as const;
export type UnassignedReason = (typeof unassignedReasons)[number];

export interface NewAccount {
  id: bigint;
  balance_minor: bigint;
  /** the champion's latest score band (src/risk/platform); null or absent: not scored */
  band?: number | null;
  /** the debtor's province / region (or country); null: unknown, any agent covers it */
  region?: string | null;
  /** the debtor's language; null: any agent speaks it */
  language?: string | null;
  /** the skills working the account needs */
  skills?: readonly string[];
}

/**
 * Whether an agent may take an account under the match requirements, and if not, the first need
 * the agent misses (region, then language, then skills).
 */
export function missingNeed(
  agent: AgentLoad,
  account: NewAccount,
  match: MatchRequirements | null | undefined,
): 'region' | 'language' | 'skills' | null {
  if (!match) return null;
  if (match.region && account.region) {
    const regions = agent.regions ?? [];
    if (!regions.includes('*') && !regions.includes(account.region)) return 'region';
  }
  if (match.language && account.language && !(agent.languages ?? []).includes(account.language)) {
    return 'language';
  }
  if (match.skills && (account.skills ?? []).some((skill) => !(agent.skills ?? []).includes(skill))) {
    return 'skills';
  }
  return null;
}

/**
 * Shares new accounts among a team's agents. round_robin: in turn, in account order, starting after
 * the agent who got the last one (`start`); balanced_count: each to the agent holding the fewest
 * accounts; balanced_balance: largest balances first, each to the agent holding the least balance;
 * score_band: by the risk model's band, highest first (unscored last), within a band the largest
 * balance first, dealt in turn as round_robin deals — so each agent gets an even share of every band.
 * Ties go to the agent first by name. An agent at `cap` gets no more; accounts left over stay
 * unassigned (null). Deterministic: the same loads and accounts give the same answer.
 */
export function allocate(
  method: AllocationMethod,
  agents: readonly AgentLoad[],
  accounts: readonly NewAccount[],
  options: { cap?: number | null; start?: number; match?: MatchRequirements | null } = {},
): Map<bigint, string | null> {
  return allocateWithReasons(method, agents, accounts, options).agents;
}

/**
 * allocate(), with the reason each account left unassigned waits. With match requirements an
 * account goes only to an agent who covers its region, speaks its language and has its skills;
 * the method then chooses among those agents (round_robin: the next such agent in turn).
 */
export function allocateWithReasons(
  method: AllocationMethod,
  agents: readonly AgentLoad[],
  accounts: readonly NewAccount[],
  options: { cap?: number | null; start?: number; match?: MatchRequirements | null } = {},
): { agents: Map<bigint, string | null>; reasons: Map<bigint, UnassignedReason> } {
  const match = options.match ?? null;
  const reasons = new Map<bigint, UnassignedReason>();
  const cap = options.cap ?? Number.POSITIVE_INFINITY;
  const loads = [...agents]
    .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))
    .map((load) => ({ ...load }));
  const result = new Map<bigint, string | null>();
  const order =
    method === 'balanced_balance'
      ? [...accounts].sort((a, b) =>
          b.balance_minor > a.balance_minor
            ? 1
            : b.balance_minor < a.balance_minor
              ? -1
              : a.id < b.id
                ? -1
                : 1,
        )
      : method === 'score_band'
        ? [...accounts].sort(
            (a, b) =>
              (b.band ?? -1) - (a.band ?? -1) ||
              (b.balance_minor > a.balance_minor ? 1 : b.balance_minor < a.balance_minor ? -1 : 0) ||
              (a.id < b.id ? -1 : 1),
          )
        : [...accounts].sort((a, b) => (a.id < b.id ? -1 : 1));
  let turn = options.start ?? 0;
  for (const account of order) {
    const able = loads.filter((load) => missingNeed(load, account, match) === null);
    const open = able.filter((load) => load.accounts < cap);
    if (open.length === 0) {
      result.set(account.id, null);
      reasons.set(account.id, unassignedReason(loads, able, account, match));
      continue;
    }
    let chosen: (typeof loads)[number];
    if (method === 'round_robin' || method === 'score_band') {
      // the next agent in name order from the turn, skipping those at the cap or unable to take it
      let index = turn % loads.length;
      while (!open.includes(loads[index] as (typeof loads)[number])) index = (index + 1) % loads.length;
      chosen = loads[index] as (typeof loads)[number];
      turn = index + 1;
    } else if (method === 'balanced_count') {
      chosen = open.reduce((best, load) => (load.accounts < best.accounts ? load : best));
    } else {
      chosen = open.reduce((best, load) => (load.balance_minor < best.balance_minor ? load : best));
    }
    chosen.accounts += 1;
    chosen.balance_minor += account.balance_minor;
    result.set(account.id, chosen.agent);
  }
  return { agents: result, reasons };
}

function unassignedReason(
  loads: readonly AgentLoad[],
  able: readonly AgentLoad[],
  account: NewAccount,
  match: MatchRequirements | null,
): UnassignedReason {
  if (loads.length === 0) return 'no_agents';
  if (able.length > 0) return 'cap';
  // narrowed need by need (region, then language, then skills): the need at which nobody is left
  let left = [...loads];
  const so: MatchRequirements = { region: false, language: false, skills: false };
  for (const need of ['region', 'language', 'skills'] as const) {
    so[need] = match?.[need] ?? false;
    left = left.filter((load) => missingNeed(load, account, so) === null);
    if (left.length === 0) return need;
  }
  return 'skills';
}

/** Why an account is in the queue where it is; lower tiers first. */
export const queueTiers = [
  'promise_due',
  'callback_due',
  'broken',
  'instalment_due',
  // a strategy's agent task whose day has come (src/strategy/strategies.ts)
  'treatment_due',
  'new',
  'balance',
] as const;
export type QueueTier = (typeof queueTiers)[number];
