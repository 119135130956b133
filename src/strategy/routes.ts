/**
 * HTTP routes of strategies as data (issue 5 point 2): the versions, a proposal (every problem of the
 * document as a 400 naming its path), approval or rejection by another admin or supervisor, the dry
 * run of a proposed document, and an account's treatment (segment, arm, path, actions, decisions).
 */
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, businessDate, idParam, reasonText, type ServerDeps } from '../server/context.ts';
import { RequestFieldError } from '../server/errors.ts';
import { documented } from '../server/responses.ts';
import { type Problem, problemCodes } from './document.ts';
import {
  accountTreatment,
  decideStrategy,
  dryRun,
  listStrategies,
  proposeStrategy,
  StrategyDocumentError,
  strategyVersion,
} from './strategies.ts';

const tags = ['strategies'];
/** Who proposes and approves strategies (product.md: supervisors own strategies; never their own). */
const leads = ['admin', 'supervisor'] as const;
const readers = ['admin', 'supervisor', 'compliance'] as const;

const int = z.number().int();
const problem = z.object({
  path: z.string().describe('JSON path in the document, e.g. segments[2].conditions.all[0].field'),
  severity: z.enum(['error', 'warning']),
  code: z.enum(problemCodes).describe("what is wrong; the web says it in the user's language with params"),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.string().describe('the same in English'),
});
const versionResponse = z.object({
  id: int,
  version: int,
  name: z.string(),
  status: z.enum(['proposed', 'approved', 'rejected']),
  reason: z.string(),
  proposed_by: z.string(),
  proposed_at: z.string(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_reason: z.string().nullable(),
  effective_from: z
    .string()
    .nullable()
    .describe('approved: the first run date it governs; null: from the first run'),
  in_force: z.boolean().describe('the version the next nightly run uses'),
  segments: int,
});
const detailResponse = versionResponse.extend({
  document: z.unknown(),
  warnings: z.array(problem),
});
const date = z.string().describe('YYYY-MM-DD');
const dryRunResponse = z.object({
  as_of: date.describe('the night it was run for'),
  accounts: int.describe('live accounts in the caller’s clients'),
  unsegmented: int.describe('of them, in no segment (no treatment)'),
  segments: z.array(z.object({ segment: z.string(), arm: z.string(), accounts: int })),
  tomorrow: z
    .array(
      z.object({
        segment: z.string(),
        arm: z.string(),
        step: z.string(),
        kind: z.enum(['message', 'task']),
        channel: z.string().nullable(),
        template: z.string().nullable(),
        task: z.string().nullable(),
        accounts: int,
      }),
    )
    .describe('the steps that fall due that night, per step, with how many accounts'),
  warnings: z.array(problem),
});
const pathStep = z.object({
  code: z.string(),
  day: int,
  from: z.enum(['entry', 'promise_broken', 'plan_broken', 'payment']),
  kind: z.enum(['message', 'task']),
  channel: z.string().optional(),
  template: z.string().optional(),
  task: z.string().optional(),
  team: z.string().nullable().optional().describe('an escalation: the team it moves the account to'),
  priority: int,
  due_on: date.nullable().describe('a step from entry: its date; a step after an event: null'),
  taken: z.boolean(),
});
const actionResponse = z.object({
  id: int,
  run_date: date,
  segment: z.string(),
  arm: z.string(),
  step: z.string(),
  anchor: z.string(),
  anchor_date: date,
  kind: z.enum(['message', 'task']),
  channel: z.string().nullable(),
  template: z.string().nullable(),
  task: z.string().nullable(),
  team: z.string().nullable(),
  priority: int,
  due_on: date,
  status: z.string(),
  reasons: z
    .array(z.string())
    .describe(
      "a refused message: the gate's or the template's reasons; an escalation held back: kept_with_agent, team_unknown or team_not_serving_client",
    ),
  error: z.string().nullable(),
  message_id: int.nullable(),
  moved_at: z.string().nullable().describe('an escalation: when it moved the account to its team'),
});
const treatmentResponse = z.object({
  account_id: int,
  treatment: z
    .object({
      strategy_version_id: int,
      version: int,
      segment: z.string(),
      arm: z.string(),
      entered_on: date,
      next_step: z.string().nullable(),
      next_due: date.nullable(),
    })
    .nullable()
    .describe('null: the account is in no segment of the strategy in force'),
  path: z.array(pathStep),
  actions: z.array(actionResponse),
  decisions: z.array(
    z.object({
      run_date: date,
      version: int,
      segment: z.string(),
      arm: z.string(),
      action: z.string().describe("the steps created that night, or 'wait'"),
      alternatives: z.array(z.string()),
      probability: z.number(),
    }),
  ),
});
const documentBody = z
  .record(z.string(), z.unknown())
  .describe(
    'the strategy document: {name, segments: [{code, name, conditions, test_id, arms: [...]}]} (README "Strategies")',
  );

/** The document's problems as a 400 naming each field, like a request-schema failure. */
class DocumentProblems extends RequestFieldError {
  override readonly details: { fields: { field: string; message: string }[]; problems: Problem[] };
  constructor(error: StrategyDocumentError) {
    super('body.document', error.message);
    this.details = {
      fields: error.problems
        .filter((item) => item.severity === 'error')
        .map((item) => ({
          field: `body.document${item.path ? `.${item.path}` : ''}`,
          message: item.message,
        })),
      problems: error.problems,
    };
  }
}

async function withProblems<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StrategyDocumentError) throw new DocumentProblems(error);
    throw error;
  }
}

export async function strategyRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/strategies',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(versionResponse) }) }),
        tags,
        summary: 'Strategy versions, newest first, with the one in force for the next nightly run',
      },
      preValidation: requireRoles(...readers),
    },
    async () => ({ items: await listStrategies(db) }),
  );

  app.get(
    '/strategies/:id',
    {
      schema: {
        response: documented({ 200: detailResponse }),
        tags,
        summary: 'A strategy version with its document',
        params: idParam,
      },
      preValidation: requireRoles(...readers),
    },
    async (request) => strategyVersion(db, request.params.id),
  );

  app.post(
    '/strategies',
    {
      schema: {
        response: documented({ 201: detailResponse }),
        tags,
        summary:
          'Propose a strategy version; a document with problems is refused with every problem and its path (400). Another admin or supervisor approves it',
        body: z.object({ document: documentBody, reason: reasonText }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request, reply) => {
      const version = await withProblems(() =>
        proposeStrategy(db, request.body, principalOf(request).username),
      );
      return reply.status(201).send(version);
    },
  );

  app.post(
    '/strategies/dry-run',
    {
      schema: {
        response: documented({ 200: dryRunResponse }),
        tags,
        summary:
          "What a proposed document would do on a night (default the next run's): accounts per segment and arm, and the steps due that day per channel, template or task, over the caller's clients. Writes nothing",
        body: z.object({ document: documentBody, as_of: businessDate.optional() }),
      },
      preValidation: requireRoles(...leads),
    },
    async (request) =>
      withProblems(() =>
        // in the caller's client scope: a supervisor of one client counts that client's accounts only
        readScoped(db, request, (scoped) => dryRun(scoped, request.body.document, request.body.as_of)),
      ),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/strategies/:id/${decision}`,
      {
        schema: {
          response: documented({ 200: detailResponse }),
          tags,
          summary:
            decision === 'approve'
              ? 'Approve a proposed version (not your own): in force from the day after the latest nightly run'
              : 'Reject a proposed version (not your own), saying why',
          params: idParam,
          body: z.object({ reason: z.string().trim().max(2000).default('') }),
        },
        preValidation: requireRoles(...leads),
      },
      async (request) =>
        decideStrategy(db, request.params.id, decision, request.body.reason, principalOf(request).username),
    );
  }

  app.get(
    '/accounts/:id/treatment',
    {
      schema: {
        response: documented({ 200: treatmentResponse }),
        tags,
        summary:
          "The account's place in the strategy: segment, arm, entry date, its path with the steps taken and the next, the actions created (a refused message with the gate's reasons) and the nightly decisions",
        params: idParam,
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) =>
      readScoped(db, request, async (scoped) => {
        assertClientAccess(principalOf(request), await accountClientId(scoped, request.params.id), 'account');
        return accountTreatment(scoped, request.params.id);
      }),
  );
}
