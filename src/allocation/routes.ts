/**
 * HTTP routes for allocation (分案) and work queues: each team's rule, a run that shares out new
 * accounts, reassignment (调案) with a reason, an account's assignment history, an agent's queue and
 * its next account, and a supervisor's view of a team's queues.
 */
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import {
  assertClientAccess,
  hasRole,
  principalOf,
  readScoped,
  requireRoles,
  staffRoles,
} from '../server/access.ts';
import { type Api, bodyId, idParam, idText, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { allocationMethods, allocationSkills, queueTiers, unassignedReasons } from './model.ts';
import {
  agentQueue,
  allocateNew,
  allocationLimits,
  assignmentHistory,
  listAgentAttributes,
  listRules,
  previewAllocation,
  reassign,
  setAgentAttributes,
  setRule,
  teamQueues,
} from './service.ts';

const tags = ['allocation and queues'];
const leads = ['admin', 'supervisor'] as const;

const ruleResponse = z.object({
  team_id: z.number().int(),
  team: z.string(),
  method: z.enum(allocationMethods),
  cap_per_agent: z.number().int().nullable(),
  match: z.object({ region: z.boolean(), language: z.boolean(), skills: z.boolean() }),
  high_balance_minor: z.number().int().nullable(),
  updated_by: z.string(),
  updated_at: z.string(),
});

const matchBody = z
  .object({
    region: z.boolean().default(false),
    language: z.boolean().default(false),
    skills: z.boolean().default(false),
  })
  .strict()
  .describe(
    'requirements applied before the method: an account goes only to agents who cover its region, speak its language and have its skills',
  );

const attributeText = z.string().trim().min(1).max(40);
const agentAttributes = z.object({
  agent: z.string(),
  display_name: z.string(),
  team_id: z.number().int().nullable(),
  languages: z.array(z.string()),
  regions: z.array(z.string()),
  skills: z.array(z.string()),
});

const previewResponse = z.object({
  team_id: z.number().int(),
  rule: ruleResponse.nullable(),
  agents: z.array(
    z.object({
      agent: z.string(),
      languages: z.array(z.string()),
      regions: z.array(z.string()),
      skills: z.array(z.string()),
      accounts_before: z.number().int(),
      balance_before_minor: z.number().int(),
      accounts_after: z.number().int(),
      balance_after_minor: z.number().int(),
    }),
  ),
  plan: z.array(z.object({ account_id: z.number().int(), agent: z.string().nullable() })),
  assigned: z.number().int(),
  waiting: z.number().int(),
  waiting_by_reason: z.record(z.string(), z.number().int()),
  unassigned: z.array(
    z.object({
      account_id: z.number().int(),
      client_id: z.number().int(),
      balance_minor: z.number().int(),
      region: z.string().nullable(),
      language: z.string().nullable(),
      skills: z.array(z.string()),
      reason: z.enum(unassignedReasons),
    }),
  ),
});

const queueItem = z.object({
  account_id: z.number().int(),
  client_id: z.number().int(),
  ref: z.string(),
  debtor_name: z.string(),
  currency: z.string(),
  balance_minor: z.number().int(),
  tier: z.enum(queueTiers),
  due: z.string().nullable(),
  score: z.number().int().nullable().describe("the champion's latest nightly score; null: not scored"),
  score_band: z.number().int().nullable(),
  pay_probability: z.number().nullable().describe('probability of payment from that score'),
  expected_minor: z
    .number()
    .int()
    .nullable()
    .describe('expected value: probability of payment × balance (orders accounts within a tier)'),
});

export async function allocationRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/allocation/rules',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(ruleResponse) }) }),
        tags,
        summary: "Each team's allocation rule",
      },
      preValidation: requireRoles(...staffRoles),
    },
    async () => ({ items: await listRules(db) }),
  );

  app.post(
    '/allocation/rules',
    {
      schema: {
        response: documented({ 200: ruleResponse }),
        tags,
        summary:
          "Set a team's rule: round_robin, balanced_count, balanced_balance or score_band (by the risk model's band, each agent an even share of every band), with an optional cap of accounts per agent",
        body: z.object({
          team_id: bodyId,
          method: z.enum(allocationMethods),
          cap_per_agent: z.number().int().min(1).max(100_000).nullable().default(null),
          match: matchBody.default({ region: false, language: false, skills: false }),
          high_balance_minor: z
            .number()
            .int()
            .min(1)
            .max(Number.MAX_SAFE_INTEGER)
            .nullable()
            .default(null)
            .describe('an account with at least this balance (minor units) needs the high_balance skill'),
        }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) =>
      setRule(
        db,
        {
          teamId: request.body.team_id,
          method: request.body.method,
          capPerAgent: request.body.cap_per_agent,
          match: request.body.match,
          highBalanceMinor:
            request.body.high_balance_minor === null ? null : BigInt(request.body.high_balance_minor),
        },
        principalOf(request).username,
      ),
  );

  app.post(
    '/allocation/run',
    {
      schema: {
        response: documented({ 200: z.object({ assigned: z.number().int(), waiting: z.number().int() }) }),
        tags,
        summary: `Share out live accounts without an agent by the teams' rules (at most ${allocationLimits.accountsPerRun} per team), or one team's; the nightly run does it too`,
        body: z.object({ team_id: bodyId.optional() }).default({}),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => allocateNew(db, principalOf(request).username, request.body.team_id),
  );

  app.post(
    '/allocation/preview',
    {
      schema: {
        response: documented({ 200: previewResponse }),
        tags,
        summary:
          "What the next allocation of a team would do, without writing: per agent accounts and balance before and after, each account's agent, and those that would wait with the reason (no_agents, region, language, skills, cap)",
        body: z.object({ team_id: bodyId }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => readScoped(db, request, (scoped) => previewAllocation(scoped, request.body.team_id)),
  );

  app.get(
    '/allocation/agents',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(agentAttributes) }) }),
        tags,
        summary: 'Active agents (of a team) with the languages, regions and skills they cover',
        querystring: z.object({ team_id: idText.optional() }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => ({ items: await listAgentAttributes(db, request.query.team_id) }),
  );

  app.post(
    '/allocation/agents',
    {
      schema: {
        response: documented({ 200: agentAttributes }),
        tags,
        summary: `Set what an agent covers for allocation by match: languages (zh-CN, en, yue …), regions (provinces or country codes, * for all) and skills (${allocationSkills.join(', ')})`,
        body: z.object({
          agent: z.string().min(1).max(64),
          languages: z.array(attributeText).max(20).default([]),
          regions: z.array(attributeText).max(100).default([]),
          skills: z.array(z.enum(allocationSkills)).max(allocationSkills.length).default([]),
        }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => setAgentAttributes(db, request.body, principalOf(request).username),
  );

  app.post(
    '/allocation/reassign',
    {
      schema: {
        response: documented({ 200: z.object({ moved: z.number().int() }) }),
        tags,
        summary:
          'Move accounts to an agent (调案) with a reason; accounts with an open promise or active plan stay (留案) unless override_keep',
        body: z.object({
          account_ids: z.array(bodyId).min(1).max(allocationLimits.reassignAtOnce),
          to_agent: z.string().min(1).max(100),
          reason: reasonText,
          override_keep: z.boolean().default(false),
        }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) =>
      readScoped(db, request, (scoped) =>
        reassign(
          scoped,
          {
            accountIds: request.body.account_ids,
            toAgent: request.body.to_agent,
            reason: request.body.reason,
            overrideKeep: request.body.override_keep,
          },
          principalOf(request).username,
        ),
      ),
  );

  app.get(
    '/accounts/:id/assignments',
    {
      schema: {
        tags,
        summary: "The account's allocation and reassignment history, newest first",
        params: idParam,
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) =>
      readScoped(db, request, async (scoped) => {
        assertClientAccess(principalOf(request), await accountClientId(scoped, request.params.id), 'account');
        return { items: await assignmentHistory(scoped, request.params.id) };
      }),
  );

  const queueOf = (request: Parameters<typeof principalOf>[0], agent: string | undefined, limit?: number) => {
    const principal = principalOf(request);
    const whose = agent ?? principal.username;
    if (whose !== principal.username && !hasRole(principal, ...leads)) {
      throw new HuikuanError('forbidden', 'You may see your own queue only.');
    }
    return readScoped(db, request, (scoped) => agentQueue(scoped, whose, limit));
  };

  app.get(
    '/worklist/queue',
    {
      schema: {
        response: documented({ 200: z.object({ agent: z.string(), items: z.array(queueItem) }) }),
        tags,
        summary: `An agent's accounts in the order to work them (promises due, call-backs due, broken, instalments due, strategy steps due, never contacted, then by balance; within each the largest expected value first); at most ${allocationLimits.queueRows}. Agents: their own`,
        querystring: z.object({ agent: z.string().min(1).max(100).optional() }),
      },
      preValidation: requireRoles('agent', ...leads),
    },
    async (request) => ({
      agent: request.query.agent ?? principalOf(request).username,
      items: await queueOf(request, request.query.agent),
    }),
  );

  app.get(
    '/worklist/queue/next',
    {
      schema: {
        response: documented({ 200: z.object({ item: queueItem.nullable() }) }),
        tags,
        summary: 'The next account of your queue (one key away in the workspace)',
      },
      preValidation: requireRoles('agent', ...leads),
    },
    async (request) => ({ item: (await queueOf(request, undefined, 1))[0] ?? null }),
  );

  app.get(
    '/allocation/teams/:id/queues',
    {
      schema: {
        response: documented({
          200: z.object({
            items: z.array(
              z.object({
                agent: z.string(),
                accounts: z.number().int().describe('live accounts held'),
                balance_minor: z.number().int(),
                due_now: z.number().int().describe('accounts due now, counted whole'),
                queue_capped: z
                  .boolean()
                  .describe("the agent's queue lists only its first queue_rows accounts"),
                queue_rows: z.number().int(),
              }),
            ),
          }),
        }),
        tags,
        summary: "A team's agents: accounts held, their balance, and how many are due now",
        params: idParam,
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => ({
      items: await readScoped(db, request, (scoped) => teamQueues(scoped, request.params.id)),
    }),
  );
}
