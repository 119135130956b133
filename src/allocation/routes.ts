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
import { type Api, bodyId, idParam, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { allocationMethods, queueTiers } from './model.ts';
import {
  agentQueue,
  allocateNew,
  allocationLimits,
  assignmentHistory,
  listRules,
  reassign,
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
  updated_by: z.string(),
  updated_at: z.string(),
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
        summary: `An agent's accounts in the order to work them (promises due, call-backs due, broken, instalments due, never contacted, then by balance; within each the largest expected value first); at most ${allocationLimits.queueRows}. Agents: their own`,
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
