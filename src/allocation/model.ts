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
}

export interface NewAccount {
  id: bigint;
  balance_minor: bigint;
  /** the champion's latest score band (src/risk/platform); null or absent: not scored */
  band?: number | null;
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
  options: { cap?: number | null; start?: number } = {},
): Map<bigint, string | null> {
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
    const open = loads.filter((load) => load.accounts < cap);
    if (open.length === 0) {
      result.set(account.id, null);
      continue;
    }
    let chosen: (typeof loads)[number];
    if (method === 'round_robin' || method === 'score_band') {
      // the next agent in name order from the turn, skipping those at the cap
      let index = turn % loads.length;
      while ((loads[index] as (typeof loads)[number]).accounts >= cap) index = (index + 1) % loads.length;
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
  return result;
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
