/**
 * The supervisor's team board (pure, no SQL): one row per agent of the teams in view with the
 * accounts of its team's clients, the accounts it worked this month, the payments it registered,
 * those finance verified this month and those still waiting, ranked by the amount verified; and the
 * month's bounds. The service (service.ts) gathers the facts; this file only combines them.
 */
import { HuikuanError } from '../shared/errors.ts';

export interface BoardAgent {
  user_id: bigint;
  username: string;
  display_name: string;
  team_id: bigint;
  team_name: string;
}

export interface BoardTeam {
  id: bigint;
  name: string;
  /** Live accounts of the team's clients inside the caller's client scope. */
  accounts_in_scope: number;
}

/** What one agent did, as counted in the database (absent = nothing). */
export interface AgentFacts {
  accounts_worked: number;
  registered_count: number;
  registered_minor: bigint;
  verified_count: number;
  verified_minor: bigint;
  pending_count: number;
  pending_minor: bigint;
}

export interface BoardRow extends BoardAgent, AgentFacts {
  rank: number;
  accounts_in_scope: number;
}

export interface BoardTotals extends AgentFacts {
  agents: number;
  accounts_in_scope: number;
}

export const noFacts: AgentFacts = {
  accounts_worked: 0,
  registered_count: 0,
  registered_minor: 0n,
  verified_count: 0,
  verified_minor: 0n,
  pending_count: 0,
  pending_minor: 0n,
};

/** 'YYYY-MM' → its first day and the first day of the next month (business dates). */
export function monthBounds(month: string): { from: string; until: string } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(match?.[1]);
  const number = Number(match?.[2]);
  if (!match || number < 1 || number > 12 || year < 2000 || year > 2999) {
    throw new HuikuanError('bad_input', `"${month}" is not a month: write YYYY-MM, e.g. 2026-03.`);
  }
  const next = number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
  return { from: `${month}-01`, until: `${next}-01` };
}

/**
 * One row per agent, ranked by the amount verified this month (then the number verified, then the
 * amount registered; ties share a rank), and the totals over the board. An agent's accounts in scope
 * are its team's: accounts are placed with teams, not yet allocated to single agents.
 */
export function buildBoard(
  agents: readonly BoardAgent[],
  teams: readonly BoardTeam[],
  facts: ReadonlyMap<string, AgentFacts>,
): { agents: BoardRow[]; totals: BoardTotals } {
  const teamAccounts = new Map(teams.map((team) => [team.id, team.accounts_in_scope]));
  const rows = agents.map((agent) => ({
    ...agent,
    ...(facts.get(agent.username) ?? noFacts),
    accounts_in_scope: teamAccounts.get(agent.team_id) ?? 0,
    rank: 0,
  }));
  rows.sort(
    (a, b) =>
      compareBigDesc(a.verified_minor, b.verified_minor) ||
      b.verified_count - a.verified_count ||
      compareBigDesc(a.registered_minor, b.registered_minor) ||
      a.username.localeCompare(b.username),
  );
  let previous: BoardRow | undefined;
  rows.forEach((row, index) => {
    const tied =
      previous !== undefined &&
      previous.verified_minor === row.verified_minor &&
      previous.verified_count === row.verified_count &&
      previous.registered_minor === row.registered_minor;
    row.rank = tied && previous ? previous.rank : index + 1;
    previous = row;
  });
  const totals: BoardTotals = {
    ...noFacts,
    agents: rows.length,
    accounts_in_scope: teams.reduce((sum, team) => sum + team.accounts_in_scope, 0),
  };
  for (const row of rows) {
    totals.accounts_worked += row.accounts_worked;
    totals.registered_count += row.registered_count;
    totals.registered_minor += row.registered_minor;
    totals.verified_count += row.verified_count;
    totals.verified_minor += row.verified_minor;
    totals.pending_count += row.pending_count;
    totals.pending_minor += row.pending_minor;
  }
  return { agents: rows, totals };
}

function compareBigDesc(a: bigint, b: bigint): number {
  return a === b ? 0 : a > b ? -1 : 1;
}
