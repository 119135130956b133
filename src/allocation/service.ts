/**
 * Allocation (分案), reassignment (调案) and work queues in the database. Each team's rule shares its
 * clients' new live accounts among its active agents (src/allocation/model.ts); a supervisor moves
 * accounts with a reason, never silently away from an open promise or an active plan (留案); every
 * move is in assignment_history; an agent's queue orders their accounts by what is due.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { type Db, inTransaction } from '../db/connection.ts';
import { liveStatuses } from '../ledger/post.ts';
import { groupBy } from '../shared/collections.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type AllocationMethod,
  allocateWithReasons,
  allocationMethods,
  allocationSkills,
  type MatchRequirements,
  type QueueTier,
  type UnassignedReason,
} from './model.ts';

export const allocationLimits = { accountsPerRun: 200_000, reassignAtOnce: 1_000, queueRows: 200 };
const live = sql.raw(liveStatuses.map((status) => `'${status}'`).join(', '));

export interface AllocationRule {
  team_id: bigint;
  team: string;
  method: AllocationMethod;
  cap_per_agent: number | null;
  /** which of an account's needs the rule enforces before its method (src/allocation/model.ts) */
  match: MatchRequirements;
  /** an account with at least this balance needs the high_balance skill; null: none does */
  high_balance_minor: bigint | null;
  updated_by: string;
  updated_at: Date;
}

const noMatch: MatchRequirements = { region: false, language: false, skills: false };

export async function listRules(db: Db): Promise<AllocationRule[]> {
  const rows = await sql<
    Omit<AllocationRule, 'match'> & { match_region: boolean; match_language: boolean; match_skills: boolean }
  >`
      SELECT r.team_id, t.name AS team, r.method, r.cap_per_agent, r.match_region, r.match_language,
             r.match_skills, r.high_balance_minor, r.updated_by, r.updated_at
        FROM allocation_rules r JOIN teams t ON t.id = r.team_id ORDER BY t.name`.execute(db);
  return rows.rows.map(({ match_region, match_language, match_skills, ...rule }) => ({
    ...rule,
    match: { region: match_region, language: match_language, skills: match_skills },
  }));
}

export async function setRule(
  db: Db,
  input: {
    teamId: bigint;
    method: string;
    capPerAgent: number | null;
    match?: MatchRequirements;
    highBalanceMinor?: bigint | null;
  },
  actor: string,
): Promise<AllocationRule> {
  const match = input.match ?? noMatch;
  const highBalance = input.highBalanceMinor ?? null;
  if (highBalance !== null && highBalance <= 0n) {
    throw new HuikuanError('bad_input', 'The high-balance threshold is a positive amount (or none).');
  }
  if (!(allocationMethods as readonly string[]).includes(input.method)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.method}" is not a method; use ${allocationMethods.join(', ')}.`,
    );
  }
  if (input.capPerAgent !== null && (!Number.isInteger(input.capPerAgent) || input.capPerAgent < 1)) {
    throw new HuikuanError('bad_input', 'A cap is a whole number of accounts, at least 1 (or none).');
  }
  return db.transaction().execute(async (trx) => {
    const team = await sql<{ name: string }>`SELECT name FROM teams WHERE id = ${input.teamId}`.execute(trx);
    if (team.rows.length === 0) throw new HuikuanError('not_found', `There is no team ${input.teamId}.`);
    const before = await sql`
      SELECT method, cap_per_agent, match_region, match_language, match_skills, high_balance_minor
        FROM allocation_rules WHERE team_id = ${input.teamId}`.execute(trx);
    await sql`
      INSERT INTO allocation_rules (team_id, method, cap_per_agent, match_region, match_language, match_skills,
                                    high_balance_minor, updated_by)
      VALUES (${input.teamId}, ${input.method}, ${input.capPerAgent}, ${match.region}, ${match.language},
              ${match.skills}, ${highBalance}, ${actor})
      ON CONFLICT (team_id) DO UPDATE SET method = EXCLUDED.method, cap_per_agent = EXCLUDED.cap_per_agent,
             match_region = EXCLUDED.match_region, match_language = EXCLUDED.match_language,
             match_skills = EXCLUDED.match_skills, high_balance_minor = EXCLUDED.high_balance_minor,
             updated_by = EXCLUDED.updated_by, updated_at = now()`.execute(trx);
    await recordAudit(trx, {
      actor,
      action: 'allocation.rule_set',
      entityType: 'team',
      entityId: input.teamId,
      before: before.rows[0] ?? null,
      after: {
        method: input.method,
        cap_per_agent: input.capPerAgent,
        match_region: match.region,
        match_language: match.language,
        match_skills: match.skills,
        high_balance_minor: highBalance === null ? null : String(highBalance),
      },
    });
    const [rule] = (await listRules(trx)).filter((r) => r.team_id === input.teamId);
    return rule as AllocationRule;
  });
}

interface TeamRule {
  method: AllocationMethod;
  cap: number | null;
  match: MatchRequirements;
  highBalance: bigint | null;
}

interface Candidate {
  id: bigint;
  client_id: bigint;
  balance_minor: bigint;
  band: number | null;
  region: string | null;
  language: string | null;
  skills: string[];
}

interface AgentRow {
  agent: string;
  accounts: number;
  balance_minor: bigint;
  languages: string[];
  regions: string[];
  skills: string[];
}

/** The teams with a rule, the clients each serves, and each team's rule. */
async function rulesByTeam(db: Db) {
  const teams = await sql<{
    team_id: bigint;
    client_id: bigint;
    method: AllocationMethod;
    cap_per_agent: number | null;
    match_region: boolean;
    match_language: boolean;
    match_skills: boolean;
    high_balance_minor: bigint | null;
  }>`
    SELECT r.team_id, tc.client_id, r.method, r.cap_per_agent, r.match_region, r.match_language, r.match_skills,
           r.high_balance_minor
      FROM allocation_rules r JOIN team_clients tc ON tc.team_id = r.team_id
     ORDER BY tc.client_id, r.team_id`.execute(db);
  const teamsByClient = groupBy(
    teams.rows,
    (row) => row.client_id,
    (row) => row.team_id,
  );
  const ruleOf = new Map<bigint, TeamRule>();
  for (const row of teams.rows) {
    ruleOf.set(row.team_id, {
      method: row.method,
      cap: row.cap_per_agent,
      match: { region: row.match_region, language: row.match_language, skills: row.match_skills },
      highBalance: row.high_balance_minor,
    });
  }
  return { teamsByClient, ruleOf };
}

/**
 * What the team's rule does now: its share of the accounts without an agent (with each account's
 * region, language and needed skills), its agents' loads and attributes, and the plan — who gets
 * each account, and why those left over wait. Reads only; allocateNew writes it, previewAllocation
 * shows it.
 */
async function planTeam(
  trx: Db,
  teamId: bigint,
  rule: TeamRule,
  teamsByClient: Map<bigint, bigint[]>,
): Promise<{
  candidates: Candidate[];
  loads: AgentRow[];
  agents: Map<bigint, string | null>;
  reasons: Map<bigint, UnassignedReason>;
}> {
  // this team's share: the accounts without an agent of the clients it serves, the k-th of n teams of
  // a client taking every n-th account (an account already with this team but no agent stays here)
  const clients = [...teamsByClient].filter(([, ids]) => ids.includes(teamId));
  const shares = clients.map(
    ([clientId, ids]) => sql`(a.client_id = ${clientId} AND (
      s.team_id = ${teamId} OR (s.team_id IS NULL AND a.id % ${ids.length} = ${ids.indexOf(teamId)})))`,
  );
  if (shares.length === 0) return { candidates: [], loads: [], agents: new Map(), reasons: new Map() };
  const balance = sql`a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor`;
  // an account's needs: the skills are read only when the rule matches them
  const skills = rule.match.skills
    ? sql`array_remove(ARRAY[
        CASE WHEN ${rule.highBalance}::bigint IS NOT NULL AND ${balance} >= ${rule.highBalance}::bigint THEN 'high_balance' END,
        CASE WHEN EXISTS (SELECT FROM strategy_actions x WHERE x.account_id = a.id AND x.kind = 'task'
                           AND x.status = 'open' AND x.task = 'legal_review') THEN 'legal' END,
        CASE WHEN EXISTS (SELECT FROM strategy_actions x WHERE x.account_id = a.id AND x.kind = 'task'
                           AND x.status = 'open' AND x.task = 'field_visit') THEN 'field' END,
        CASE WHEN EXISTS (SELECT FROM hardship_marks h WHERE h.account_id = a.id) THEN 'hardship' END], NULL)`
    : sql`ARRAY[]::text[]`;
  const candidates = await sql<Candidate>`
    SELECT a.id, a.client_id, ${balance} AS balance_minor, rs.band,
           coalesce(nullif(trim(d.region), ''),
                    CASE WHEN d.country IS NOT NULL AND upper(d.country) NOT IN ('CN', 'CHN') THEN upper(trim(d.country)) END)
             AS region,
           CASE WHEN d.country IS NULL OR upper(d.country) IN ('CN', 'CHN') THEN 'zh-CN' ELSE 'en' END AS language,
           ${skills} AS skills
      FROM accounts a JOIN debtors d ON d.id = a.debtor_id
      LEFT JOIN account_assignments s ON s.client_id = a.client_id AND s.account_id = a.id
      LEFT JOIN risk_account_scores rs ON rs.account_id = a.id
     WHERE a.status IN (${live}) AND (s.account_id IS NULL OR s.agent IS NULL)
       AND (${sql.join(shares, sql` OR `)})
     ORDER BY a.id LIMIT ${allocationLimits.accountsPerRun}`.execute(trx);
  const loads = await sql<AgentRow>`
    SELECT u.username AS agent, count(a.id)::int AS accounts,
           coalesce(sum(a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor), 0)::bigint AS balance_minor,
           coalesce(min(x.languages), '{}') AS languages, coalesce(min(x.regions), '{}') AS regions,
           coalesce(min(x.skills), '{}') AS skills
      FROM users u
      LEFT JOIN agent_attributes x ON x.user_id = u.id
      LEFT JOIN account_assignments s ON s.agent = u.username
      LEFT JOIN accounts a ON a.id = s.account_id AND a.status IN (${live})
     WHERE u.team_id = ${teamId} AND u.active AND 'agent' = ANY (u.roles)
     GROUP BY u.username`.execute(trx);
  const teamTotal = loads.rows.reduce((sum, load) => sum + load.accounts, 0);
  const plan = allocateWithReasons(rule.method, loads.rows, candidates.rows, {
    cap: rule.cap,
    start: loads.rows.length === 0 ? 0 : teamTotal % loads.rows.length,
    match: rule.match,
  });
  return { candidates: candidates.rows, loads: loads.rows, ...plan };
}

/**
 * Shares out live accounts that have no agent: each client's among the teams with a rule that serve
 * it (in turn, by account id), then within each team by its rule — its match requirements first
 * (region, language, skills), then its method. Per team one transaction under the team's lock, so
 * two runs never give one account twice. Returns how many got an agent and how many wait (no team
 * with a rule, every able agent at the cap, or nobody able to take them).
 */
export async function allocateNew(
  db: Db,
  actor: string,
  onlyTeam?: bigint,
): Promise<{ assigned: number; waiting: number }> {
  const { teamsByClient, ruleOf } = await rulesByTeam(db);
  let assigned = 0;
  let waiting = 0;
  for (const [teamId, rule] of ruleOf) {
    if (onlyTeam !== undefined && teamId !== onlyTeam) continue;
    const done = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('allocation'), ${Number(teamId % 2147483647n)}::int)`.execute(
        trx,
      );
      const plan = await planTeam(trx, teamId, rule, teamsByClient);
      if (plan.candidates.length === 0) return { assigned: 0, waiting: 0 };
      const rows = plan.candidates.map((row) => ({ ...row, agent: plan.agents.get(row.id) ?? null }));
      const ids = rows.map((row) => String(row.id));
      const clientIds = rows.map((row) => String(row.client_id));
      const agents = rows.map((row) => row.agent);
      await sql`
        INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
        SELECT c, a, ${teamId}, g, ${actor} FROM unnest(${clientIds}::bigint[], ${ids}::bigint[], ${agents}::text[]) AS u(c, a, g)
        ON CONFLICT (client_id, account_id) DO UPDATE SET team_id = EXCLUDED.team_id, agent = EXCLUDED.agent,
               assigned_at = now(), assigned_by = EXCLUDED.assigned_by`.execute(trx);
      const moved = rows.filter((row) => row.agent !== null);
      if (moved.length > 0) {
        await sql`
          INSERT INTO assignment_history (client_id, account_id, kind, from_team, from_agent, to_team, to_agent, by)
          SELECT c, a, 'allocated', NULL, NULL, ${teamId}, g, ${actor}
            FROM unnest(${moved.map((row) => String(row.client_id))}::bigint[], ${moved.map((row) => String(row.id))}::bigint[],
                        ${moved.map((row) => row.agent)}::text[]) AS u(c, a, g)`.execute(trx);
      }
      await recordAudit(trx, {
        actor,
        action: 'allocation.allocated',
        entityType: 'team',
        entityId: teamId,
        after: {
          method: rule.method,
          assigned: moved.length,
          waiting: rows.length - moved.length,
          waiting_by_reason: countReasons(plan.reasons),
        },
      });
      return { assigned: moved.length, waiting: rows.length - moved.length };
    });
    assigned += done.assigned;
    waiting += done.waiting;
  }
  return { assigned, waiting };
}

function countReasons(reasons: Map<bigint, UnassignedReason>): Partial<Record<UnassignedReason, number>> {
  const counts: Partial<Record<UnassignedReason, number>> = {};
  for (const reason of reasons.values()) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

export const previewLimits = { unassignedShown: 200 };

export interface AllocationPreview {
  team_id: bigint;
  rule: AllocationRule | null;
  /** each active agent: accounts and live balance held now, and after the allocation */
  agents: {
    agent: string;
    languages: string[];
    regions: string[];
    skills: string[];
    accounts_before: number;
    balance_before_minor: bigint;
    accounts_after: number;
    balance_after_minor: bigint;
  }[];
  /** every account of the run and the agent it would get (null: waits), in account order */
  plan: { account_id: bigint; agent: string | null }[];
  assigned: number;
  waiting: number;
  waiting_by_reason: Partial<Record<UnassignedReason, number>>;
  /** the first accounts that would wait, with why and what they need */
  unassigned: {
    account_id: bigint;
    client_id: bigint;
    balance_minor: bigint;
    region: string | null;
    language: string | null;
    skills: string[];
    reason: UnassignedReason;
  }[];
}

/**
 * What allocateNew would do for a team now, without writing: the same share, loads and plan
 * (planTeam), read in one repeatable-read snapshot. A team without a rule previews nothing.
 */
export async function previewAllocation(db: Db, teamId: bigint): Promise<AllocationPreview> {
  // inside a request's scoped transaction, that one; otherwise a repeatable-read snapshot of its own
  const work = async (trx: Db): Promise<AllocationPreview> => {
    const team = await sql`SELECT 1 FROM teams WHERE id = ${teamId}`.execute(trx);
    if (team.rows.length === 0) throw new HuikuanError('not_found', `There is no team ${teamId}.`);
    const rule = (await listRules(trx)).find((r) => r.team_id === teamId) ?? null;
    const { teamsByClient, ruleOf } = await rulesByTeam(trx);
    const teamRule = ruleOf.get(teamId);
    const empty = {
      candidates: [] as Candidate[],
      loads: [] as AgentRow[],
      agents: new Map<bigint, string | null>(),
      reasons: new Map<bigint, UnassignedReason>(),
    };
    const plan = teamRule ? await planTeam(trx, teamId, teamRule, teamsByClient) : empty;
    const loads =
      plan.loads.length > 0 || teamRule
        ? plan.loads
        : (
            await sql<AgentRow>`
                SELECT u.username AS agent, 0 AS accounts, 0::bigint AS balance_minor,
                       coalesce(x.languages, '{}') AS languages, coalesce(x.regions, '{}') AS regions,
                       coalesce(x.skills, '{}') AS skills
                  FROM users u LEFT JOIN agent_attributes x ON x.user_id = u.id
                 WHERE u.team_id = ${teamId} AND u.active AND 'agent' = ANY (u.roles)`.execute(trx)
          ).rows;
    const after = new Map(loads.map((load) => [load.agent, { accounts: 0, balance: 0n }]));
    for (const account of plan.candidates) {
      const agent = plan.agents.get(account.id);
      const sum = agent ? after.get(agent) : undefined;
      if (!sum) continue;
      sum.accounts += 1;
      sum.balance += BigInt(account.balance_minor);
    }
    const waitingRows = plan.candidates.filter((row) => plan.reasons.has(row.id));
    return {
      team_id: teamId,
      rule,
      agents: [...loads]
        .sort((a, b) => (a.agent < b.agent ? -1 : 1))
        .map((load) => {
          const added = after.get(load.agent) ?? { accounts: 0, balance: 0n };
          return {
            agent: load.agent,
            languages: load.languages,
            regions: load.regions,
            skills: load.skills,
            accounts_before: load.accounts,
            balance_before_minor: BigInt(load.balance_minor),
            accounts_after: load.accounts + added.accounts,
            balance_after_minor: BigInt(load.balance_minor) + added.balance,
          };
        }),
      plan: plan.candidates.map((row) => ({ account_id: row.id, agent: plan.agents.get(row.id) ?? null })),
      assigned: plan.candidates.length - waitingRows.length,
      waiting: waitingRows.length,
      waiting_by_reason: countReasons(plan.reasons),
      unassigned: waitingRows.slice(0, previewLimits.unassignedShown).map((row) => ({
        account_id: row.id,
        client_id: row.client_id,
        balance_minor: row.balance_minor,
        region: row.region,
        language: row.language,
        skills: row.skills,
        reason: plan.reasons.get(row.id) as UnassignedReason,
      })),
    };
  };
  return db.isTransaction ? work(db) : db.transaction().setIsolationLevel('repeatable read').execute(work);
}

export interface AgentAttributes {
  agent: string;
  display_name: string;
  team_id: bigint | null;
  languages: string[];
  regions: string[];
  skills: string[];
}

/** A team's agents (or every agent) with what they cover. */
export async function listAgentAttributes(
  db: Db,
  teamId?: bigint,
  userId?: bigint,
): Promise<AgentAttributes[]> {
  return (
    await sql<AgentAttributes>`
      SELECT u.username AS agent, u.display_name, u.team_id, coalesce(x.languages, '{}') AS languages,
             coalesce(x.regions, '{}') AS regions, coalesce(x.skills, '{}') AS skills
        FROM users u LEFT JOIN agent_attributes x ON x.user_id = u.id
       WHERE 'agent' = ANY (u.roles) AND u.active ${teamId === undefined ? sql`` : sql`AND u.team_id = ${teamId}`}
             ${userId === undefined ? sql`` : sql`AND u.id = ${userId}`}
       ORDER BY u.username LIMIT 1000`.execute(db)
  ).rows;
}

const attributePattern = /^[\p{L}\p{N}*_-][\p{L}\p{N} _-]{0,39}$/u;

/** Sets what an agent covers (languages, regions, skills), replacing what was there; audited. */
export async function setAgentAttributes(
  db: Db,
  input: { agent: string; languages: string[]; regions: string[]; skills: string[] },
  actor: string,
): Promise<AgentAttributes> {
  const clean = (values: string[], max: number, what: string) => {
    const out = [...new Set(values.map((value) => value.trim()).filter((value) => value !== ''))];
    if (out.length > max) throw new HuikuanError('bad_input', `At most ${max} ${what}.`);
    const bad = out.find((value) => !attributePattern.test(value));
    if (bad !== undefined)
      throw new HuikuanError('bad_input', `"${bad}" is not a valid ${what.slice(0, -1)}.`);
    return out.sort();
  };
  const languages = clean(input.languages, 20, 'languages');
  const regions = clean(input.regions, 100, 'regions');
  const skills = clean(input.skills, allocationSkills.length, 'skills');
  const unknown = skills.find((skill) => !(allocationSkills as readonly string[]).includes(skill));
  if (unknown !== undefined) {
    throw new HuikuanError('bad_input', `"${unknown}" is not a skill; use ${allocationSkills.join(', ')}.`);
  }
  return inTransaction(db, async (trx) => {
    const user = await sql<{ id: bigint }>`
      SELECT id FROM users WHERE lower(username) = lower(${input.agent}) AND active AND 'agent' = ANY (roles)`.execute(
      trx,
    );
    const userId = user.rows[0]?.id;
    if (userId === undefined) throw new HuikuanError('not_found', `"${input.agent}" is not an agent.`);
    const before = await sql`
      SELECT languages, regions, skills FROM agent_attributes WHERE user_id = ${userId}`.execute(trx);
    await sql`
      INSERT INTO agent_attributes (user_id, languages, regions, skills, updated_by)
      VALUES (${userId}, ${languages}::text[], ${regions}::text[], ${skills}::text[], ${actor})
      ON CONFLICT (user_id) DO UPDATE SET languages = EXCLUDED.languages, regions = EXCLUDED.regions,
             skills = EXCLUDED.skills, updated_by = EXCLUDED.updated_by, updated_at = now()`.execute(trx);
    await recordAudit(trx, {
      actor,
      action: 'allocation.agent_attributes_set',
      entityType: 'user',
      entityId: userId,
      before: before.rows[0] ?? null,
      after: { languages, regions, skills },
    });
    // the one agent, not the first 1,000 of all of them filtered: past those it came back undefined
    const [row] = await listAgentAttributes(trx, undefined, userId);
    return row as AgentAttributes;
  });
}

/** An account about to change hands, read under its row lock (moveAccounts). */
interface Holder {
  account_id: bigint;
  client_id: bigint;
  /** the team it is to go to; null: none (a team name that matches no team) */
  to_team: bigint | null;
  /** the target team serves the account's client */
  served: boolean;
  /** an open promise or an active plan keeps it with its agent (留案) */
  kept: boolean;
  from_team: bigint | null;
  from_agent: string | null;
}

interface Move {
  holder: Holder & { to_team: bigint };
  /** null: into the team without an agent, until the team's rule gives it one */
  to_agent: string | null;
  reason: string;
}

/**
 * The one way a person or the nightly run moves accounts (调案) — reassign to an agent, moveToTeams to a
 * team — inside the caller's transaction: the accounts are locked (so a promise or plan taken meanwhile
 * is seen) and read with their holder, whether they are kept with their agent (留案) and whether the
 * target team serves their client; `decide` picks the moves from that (or throws: nothing is written);
 * each move is written to account_assignments and assignment_history ('reassigned', with its reason)
 * and audited — per account for moves to an agent, one event per team for moves to a team.
 */
async function moveAccounts(
  trx: Db,
  targets: ReadonlyMap<bigint, bigint | null>,
  decide: (holders: Holder[]) => Move[],
  audit: 'per_account' | 'per_team',
  actor: string,
): Promise<number> {
  if (targets.size === 0) return 0;
  const holders = await sql<Holder>`
    SELECT a.id AS account_id, a.client_id, m.team_id AS to_team,
           EXISTS (SELECT FROM team_clients tc WHERE tc.team_id = m.team_id AND tc.client_id = a.client_id) AS served,
           (EXISTS (SELECT FROM promises p WHERE p.account_id = a.id AND p.status = 'open')
            OR EXISTS (SELECT FROM payment_plans pl WHERE pl.account_id = a.id AND pl.status = 'active')) AS kept,
           s.team_id AS from_team, s.agent AS from_agent
      FROM unnest(${[...targets.keys()].map(String)}::bigint[],
                  ${[...targets.values()].map((team) => (team === null ? null : String(team)))}::bigint[])
           AS m(account_id, team_id)
      JOIN accounts a ON a.id = m.account_id
      LEFT JOIN account_assignments s ON s.client_id = a.client_id AND s.account_id = a.id
     ORDER BY a.id
       FOR UPDATE OF a`.execute(trx);
  const moving = decide(holders.rows);
  if (moving.length === 0) return 0;
  const clientIds = moving.map((move) => String(move.holder.client_id));
  const accountIds = moving.map((move) => String(move.holder.account_id));
  const teamIds = moving.map((move) => String(move.holder.to_team));
  const agents = moving.map((move) => move.to_agent);
  await sql`
    INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
    SELECT c, a, t, g, ${actor}
      FROM unnest(${clientIds}::bigint[], ${accountIds}::bigint[], ${teamIds}::bigint[], ${agents}::text[]) AS u(c, a, t, g)
    ON CONFLICT (client_id, account_id) DO UPDATE SET team_id = EXCLUDED.team_id, agent = EXCLUDED.agent,
           assigned_at = now(), assigned_by = EXCLUDED.assigned_by`.execute(trx);
  await sql`
    INSERT INTO assignment_history (client_id, account_id, kind, from_team, from_agent, to_team, to_agent, reason, by)
    SELECT c, a, 'reassigned', ft, fa, t, g, r, ${actor}
      FROM unnest(${clientIds}::bigint[], ${accountIds}::bigint[],
                  ${moving.map((move) => (move.holder.from_team === null ? null : String(move.holder.from_team)))}::bigint[],
                  ${moving.map((move) => move.holder.from_agent)}::text[], ${teamIds}::bigint[], ${agents}::text[],
                  ${moving.map((move) => move.reason)}::text[])
           AS u(c, a, ft, fa, t, g, r)
     ORDER BY a`.execute(trx);
  if (audit === 'per_account') {
    for (const { holder, to_agent, reason } of moving) {
      await recordAudit(trx, {
        actor,
        action: 'allocation.reassigned',
        entityType: 'account',
        entityId: holder.account_id,
        clientId: holder.client_id,
        before: { team_id: holder.from_team, agent: holder.from_agent },
        after: { team_id: holder.to_team, agent: to_agent, reason },
      });
    }
    return moving.length;
  }
  for (const [teamId, moved] of groupBy(moving, (move) => move.holder.to_team)) {
    await recordAudit(trx, {
      actor,
      action: 'allocation.moved_to_team',
      entityType: 'team',
      entityId: teamId,
      after: {
        accounts: moved.length,
        account_ids: moved.slice(0, 1000).map((move) => String(move.holder.account_id)),
        reasons: [...new Set(moved.map((move) => move.reason))].slice(0, 20),
      },
    });
  }
  return moving.length;
}

/**
 * Moves accounts to an agent (调案) with a reason. The agent's team must serve each account's client.
 * An account with an open promise or an active plan stays with its agent (留案) unless `overrideKeep`.
 */
export async function reassign(
  db: Db,
  input: { accountIds: bigint[]; toAgent: string; reason: string; overrideKeep?: boolean },
  actor: string,
): Promise<{ moved: number }> {
  if (input.reason.trim() === '')
    throw new HuikuanError('bad_input', 'Say why the accounts move (调案原因).');
  if (input.accountIds.length === 0 || input.accountIds.length > allocationLimits.reassignAtOnce) {
    throw new HuikuanError('bad_input', `Move 1–${allocationLimits.reassignAtOnce} accounts at a time.`);
  }
  const reason = input.reason.trim();
  return inTransaction(db, async (trx) => {
    const agent = await sql<{ team_id: bigint | null }>`
      SELECT team_id FROM users WHERE username = ${input.toAgent} AND active AND 'agent' = ANY (roles)`.execute(
      trx,
    );
    const teamId = agent.rows[0]?.team_id ?? null;
    if (teamId === null)
      throw new HuikuanError('not_found', `"${input.toAgent}" is not an active agent in a team.`);
    const ids = input.accountIds.map(String);
    const moved = await moveAccounts(
      trx,
      new Map(input.accountIds.map((id) => [id, teamId])),
      (holders) => {
        const found = new Set(holders.map((row) => String(row.account_id)));
        const missing = ids.filter((id) => !found.has(id));
        if (missing.length > 0)
          throw new HuikuanError('not_found', `No account ${missing.slice(0, 10).join(', ')}.`);
        const unserved = holders.filter((row) => !row.served);
        if (unserved.length > 0) {
          throw new HuikuanError(
            'bad_input',
            `${input.toAgent}'s team does not serve the client of account ${unserved
              .map((row) => row.account_id)
              .slice(0, 10)
              .join(', ')}.`,
          );
        }
        const kept = holders.filter(
          (row) => row.kept && row.from_agent !== null && row.from_agent !== input.toAgent,
        );
        if (kept.length > 0 && !input.overrideKeep) {
          throw new HuikuanError(
            'invalid_state',
            `Account ${kept
              .map((row) => row.account_id)
              .slice(0, 10)
              .join(
                ', ',
              )} has an open promise or an active plan and stays with its agent (留案); confirm the move to override.`,
            { kept: kept.map((row) => String(row.account_id)) },
          );
        }
        return holders
          .filter((row) => row.from_agent !== input.toAgent)
          .map((row) => ({ holder: { ...row, to_team: teamId }, to_agent: input.toAgent, reason }));
      },
      'per_account',
      actor,
    );
    return { moved };
  });
}

/** Why a move to a team did not happen (moveToTeams); the account's treatment tab says each. */
export const teamMoveHeldReasons = ['kept_with_agent', 'team_unknown', 'team_not_serving_client'] as const;
export type TeamMoveHeld = (typeof teamMoveHeldReasons)[number];

export interface TeamMove {
  accountId: bigint;
  /** the team's name (case-insensitive), as a strategy's escalation step names it */
  team: string;
  reason: string;
}

export interface TeamMoveResult {
  account_id: bigint;
  /** moved: reassigned to the team, without an agent until the team's rule allocates one; already: it was there */
  outcome: 'moved' | 'already' | 'held';
  held: TeamMoveHeld | null;
}

/**
 * Moves accounts to teams (调案 to a team, e.g. a strategy's escalation to a senior team, field visits
 * or legal review), set-based, inside the caller's transaction. The account leaves its agent and waits
 * in the team for the team's rule (allocateNew, later in the nightly run). Refused per account, never
 * all at once: an account with an open promise or an active plan stays with its agent (留案) —
 * `held: kept_with_agent`; an unknown team or one that does not serve the account's client is held
 * with its reason. An account already in the team does not move (no history row), so a second call
 * changes nothing. Every move is in assignment_history ('reassigned', with the reason) and one audit
 * event per team and call lists the accounts. Results are in account order, one per account (the last
 * move given for an account counts).
 *
 * Every account named is locked: the nightly escalation step, the only caller that moves many, passes
 * only escalations whose team exists and serves the client (it holds the others itself, without
 * touching the accounts), so locking is never spent on moves held for their team.
 */
export async function moveToTeams(
  trx: Db,
  moves: readonly TeamMove[],
  actor: string,
): Promise<TeamMoveResult[]> {
  if (moves.length === 0) return [];
  // each name resolved once, not per account; teams_name makes lower(name) unique
  const names = [...new Set(moves.map((move) => move.team))];
  const named = await sql<{ name: string; id: bigint }>`
    SELECT m.name, t.id FROM unnest(${names}::text[]) AS m(name) JOIN teams t ON lower(t.name) = lower(m.name)`.execute(
    trx,
  );
  const teamOf = new Map(named.rows.map((row) => [row.name, row.id]));
  const byAccount = new Map(moves.map((move) => [move.accountId, move]));
  const results: TeamMoveResult[] = [];
  await moveAccounts(
    trx,
    new Map(moves.map((move) => [move.accountId, teamOf.get(move.team) ?? null])),
    (holders) => {
      const moving: Move[] = [];
      for (const row of holders) {
        const held = (reason: TeamMoveHeld) =>
          results.push({ account_id: row.account_id, outcome: 'held', held: reason });
        if (row.to_team === null) held('team_unknown');
        else if (row.from_team === row.to_team)
          results.push({ account_id: row.account_id, outcome: 'already', held: null });
        else if (!row.served) held('team_not_serving_client');
        else if (row.kept && row.from_agent !== null) held('kept_with_agent');
        else {
          moving.push({
            holder: { ...row, to_team: row.to_team },
            to_agent: null,
            reason: byAccount.get(row.account_id)?.reason ?? '',
          });
          results.push({ account_id: row.account_id, outcome: 'moved', held: null });
        }
      }
      return moving;
    },
    'per_team',
    actor,
  );
  return results;
}

export async function assignmentHistory(db: Db, accountId: bigint) {
  return (
    await sql<{
      id: bigint;
      kind: string;
      from_team: bigint | null;
      from_agent: string | null;
      to_team: bigint;
      to_agent: string | null;
      reason: string | null;
      by: string;
      at: Date;
    }>`
      SELECT id, kind, from_team, from_agent, to_team, to_agent, reason, by, at
        FROM assignment_history WHERE account_id = ${accountId} ORDER BY id DESC LIMIT 200`.execute(db)
  ).rows;
}

export interface QueueItem {
  account_id: bigint;
  client_id: bigint;
  ref: string;
  debtor_name: string;
  currency: string;
  balance_minor: bigint;
  tier: QueueTier;
  /** The promise, call-back, broken item or instalment behind the tier, when there is one. */
  due: string | null;
  /** The champion's latest nightly score and band (src/risk/platform), null when not scored. */
  score: number | null;
  score_band: number | null;
  /** Its probability of payment (the model's probability, or one minus it when the model's event is not paying). */
  pay_probability: number | null;
  /** Expected value: probability of payment × balance, in minor units; null when not scored. */
  expected_minor: bigint | null;
}

/**
 * An agent's accounts in the order to work them: promises due (today or in their grace), call-backs
 * due, promises or plans broken in the last week, plan instalments and strategy steps due (not an escalation still
 * held: that is not the agent's to do), accounts never contacted,
 * then the rest by balance; within a tier the largest expected value first (probability of payment ×
 * balance, from the champion's nightly score, strategy.md "Allocation and queues"), accounts not yet
 * scored after the scored ones, then the largest balance first.
 */
export async function agentQueue(
  db: Db,
  agent: string,
  limit = allocationLimits.queueRows,
): Promise<QueueItem[]> {
  const today = todayIn();
  const rows = await sql<QueueItem & { rank: number }>`
    -- each model's event read once (a scorecard is large): paying, or not paying
    WITH pays AS MATERIALIZED (SELECT id, model->'data'->>'positive' = '1' AS of_payment FROM risk_models)
    SELECT a.id AS account_id, a.client_id, a.client_account_ref AS ref, d.name AS debtor_name, trim(a.currency) AS currency,
           a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance_minor,
           q.tier, q.due, q.rank, rs.score, rs.band AS score_band, ev.pay_probability, ev.expected_minor
      FROM account_assignments s
      JOIN accounts a ON a.id = s.account_id AND a.status IN (${live})
      JOIN debtors d ON d.id = a.debtor_id
      CROSS JOIN LATERAL (
        SELECT * FROM (
          SELECT 0 AS rank, 'promise_due' AS tier, p.due_on::text AS due FROM promises p
           WHERE p.account_id = a.id AND p.status = 'open' AND p.due_on <= ${today}::date
          UNION ALL
          SELECT 1, 'callback_due', to_char(c.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') FROM callbacks c
           WHERE c.account_id = a.id AND c.status = 'due' AND c.due_at <= now() + interval '1 hour'
          UNION ALL
          SELECT 2, 'broken', p.broken_at::text FROM promises p
           WHERE p.account_id = a.id AND p.status = 'broken' AND p.broken_at >= ${today}::date - 7
          UNION ALL
          SELECT 2, 'broken', pl.broken_at::text FROM payment_plans pl
           WHERE pl.account_id = a.id AND pl.status = 'broken' AND pl.broken_at >= ${today}::date - 7
          UNION ALL
          SELECT 3, 'instalment_due', i.due_on::text FROM payment_plans pl JOIN plan_instalments i ON i.plan_id = pl.id
           WHERE pl.account_id = a.id AND pl.status = 'active' AND i.status = 'open' AND i.due_on <= ${today}::date
          UNION ALL
          -- a treatment step due: the strategy's open agent task (call, visit, legal review, escalation).
          -- An escalation not moved yet is held (promise, plan or team; its reasons say which) and is not
          -- the agent's to do: it is the receiving team's once it moves (the treatment tab shows it).
          SELECT 3, 'treatment_due', x.due_on::text FROM strategy_actions x
           WHERE x.account_id = a.id AND x.kind = 'task' AND x.status = 'open' AND x.due_on <= ${today}::date
             AND (x.task <> 'escalate' OR x.moved_at IS NOT NULL)
             AND NOT EXISTS (SELECT FROM contact_attempts ca
                              WHERE ca.account_id = a.id AND ca.at >= coalesce(x.moved_at, x.created_at))
          UNION ALL
          SELECT 4, 'new', NULL WHERE NOT EXISTS (SELECT 1 FROM contact_attempts ca WHERE ca.account_id = a.id)
          UNION ALL
          SELECT 5, 'balance', NULL) t
         ORDER BY rank LIMIT 1) q
      LEFT JOIN risk_account_scores rs ON rs.account_id = a.id
      LEFT JOIN pays ON pays.id = rs.model_id
      CROSS JOIN LATERAL (
        SELECT p.pay_probability,
               round(p.pay_probability * (a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor))::bigint
                 AS expected_minor
          FROM (SELECT CASE WHEN pays.of_payment THEN rs.probability ELSE 1 - rs.probability END
                         AS pay_probability) p) ev
     WHERE s.agent = ${agent}
     ORDER BY q.rank, ev.expected_minor DESC NULLS LAST, balance_minor DESC, a.id
     LIMIT ${limit}`.execute(db);
  return rows.rows.map(({ rank: _rank, ...item }) => item);
}

export interface TeamQueue {
  agent: string;
  accounts: number;
  balance_minor: bigint;
  /** accounts due now: a promise or instalment due, a call-back, a recent break, a treatment step (agentQueue's tiers before 'new') */
  due_now: number;
  /** the agent's queue lists only the first `queue_rows` accounts: more are held than it shows */
  queue_capped: boolean;
  queue_rows: number;
}

/**
 * Each agent of a team: accounts held (live), their balance, and how many are due now — counted
 * whole, in one query over the team (not the first rows of each agent's queue), with whether the
 * agent's queue is longer than the rows it lists.
 */
export async function teamQueues(db: Db, teamId: bigint): Promise<TeamQueue[]> {
  const today = todayIn();
  const rows = await sql<{ agent: string; accounts: number; balance_minor: bigint; due_now: number }>`
    SELECT u.username AS agent, count(a.id)::int AS accounts,
           coalesce(sum(a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor), 0)::bigint AS balance_minor,
           count(a.id) FILTER (WHERE
             EXISTS (SELECT FROM promises p WHERE p.account_id = a.id AND p.status = 'open' AND p.due_on <= ${today}::date)
             OR EXISTS (SELECT FROM callbacks c WHERE c.account_id = a.id AND c.status = 'due'
                                                 AND c.due_at <= now() + interval '1 hour')
             OR EXISTS (SELECT FROM promises p WHERE p.account_id = a.id AND p.status = 'broken'
                                                AND p.broken_at >= ${today}::date - 7)
             OR EXISTS (SELECT FROM payment_plans pl WHERE pl.account_id = a.id AND pl.status = 'broken'
                                                      AND pl.broken_at >= ${today}::date - 7)
             OR EXISTS (SELECT FROM payment_plans pl JOIN plan_instalments i ON i.plan_id = pl.id
                         WHERE pl.account_id = a.id AND pl.status = 'active' AND i.status = 'open'
                           AND i.due_on <= ${today}::date)
             OR EXISTS (SELECT FROM strategy_actions x
                         WHERE x.account_id = a.id AND x.kind = 'task' AND x.status = 'open' AND x.due_on <= ${today}::date
                           AND (x.task <> 'escalate' OR x.moved_at IS NOT NULL)
                           AND NOT EXISTS (SELECT FROM contact_attempts ca
                                            WHERE ca.account_id = a.id AND ca.at >= coalesce(x.moved_at, x.created_at)))
           )::int AS due_now
      FROM users u
      LEFT JOIN account_assignments s ON s.agent = u.username
      LEFT JOIN accounts a ON a.id = s.account_id AND a.status IN (${live})
     WHERE u.team_id = ${teamId} AND 'agent' = ANY (u.roles)
     GROUP BY u.username ORDER BY u.username`.execute(db);
  return rows.rows.map((row) => ({
    ...row,
    queue_capped: row.accounts > allocationLimits.queueRows,
    queue_rows: allocationLimits.queueRows,
  }));
}

/** A team's id by its name (case-insensitive), for the CLI. */
export async function teamIdNamed(db: Db, name: string): Promise<bigint> {
  const row = await sql<{ id: bigint }>`SELECT id FROM teams WHERE lower(name) = lower(${name})`.execute(db);
  const id = row.rows[0]?.id;
  if (id === undefined)
    throw new HuikuanError('not_found', `No team "${name}". List teams with "huikuan team list".`);
  return id;
}
