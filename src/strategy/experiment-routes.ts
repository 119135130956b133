/**
 * HTTP routes for champion / challenger results (issue 5 point 3): each test's arms, the comparison
 * of every challenger with the champion (always-valid p-value and confidence sequence, verdict) with
 * its daily series for charts, and the proposal to promote a challenger, which another admin or
 * supervisor approves like any strategy version (POST /strategies/:id/approve).
 */
import { z } from 'zod';
import { principalOf, readScoped, requireRoles } from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import { type Api, bodyId, businessDate, idText, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { type MetricName, metricNames, type Verdict } from './experiment.ts';
import { contactCosts, experimentWindows, listExperiments, proposePromotion } from './experiments.ts';

const tags = ['strategy experiments'];
const readers = ['admin', 'supervisor', 'compliance'] as const;
const leads = ['admin', 'supervisor'] as const;

const verdicts: [Verdict, ...Verdict[]] = [
  'not_enough_accounts',
  'challenger_better',
  'no_difference',
  'challenger_worse',
];
const interval = z.tuple([z.number(), z.number()]).nullable();
const minor = z.number().int().describe('minor units (fen)');

const armResponse = z.object({
  code: z.string(),
  role: z.string(),
  share_bp: z.number().int(),
  accounts: z.number().int().describe('accounts whose window has closed'),
  placed_minor: minor,
  collected_minor: minor,
  recovery_rate: z.number().nullable(),
  collected_per_account_minor: z.number().nullable(),
  promises_due: z.number().int(),
  promises_kept: z.number().int(),
  promise_kept_rate: z.number().nullable(),
  contacts: z.number().int(),
  contacts_per_account: z.number().nullable(),
  cost_minor: minor,
  cost_per_yuan: z.number().nullable().describe('fen spent per fen collected'),
});

const metricResponse = z.object({
  metric: z.enum(metricNames),
  champion: z.number().nullable(),
  challenger: z.number().nullable(),
  difference: z.number().nullable().describe('challenger − champion'),
  interval: interval.describe('fixed-horizon 95% interval of the latest look alone'),
  sequence: interval.describe('always-valid 95% confidence sequence (mSPRT)'),
  p_value: z.number().nullable().describe('always-valid p-value'),
  verdict: z.enum(verdicts),
});

const experimentResponse = z.object({
  strategy_version_id: z.number().int(),
  version: z.number().int(),
  strategy: z.string(),
  segment: z.string(),
  test_id: z.string(),
  window_days: z.number().int(),
  as_of: z.string(),
  primary_metric: z.enum(metricNames),
  min_accounts: z.number().int(),
  entered: z.number().int(),
  arms: z.array(armResponse),
  comparisons: z.array(
    z.object({
      challenger: z.string().describe('the arm compared with the champion'),
      role: z
        .string()
        .describe('challenger, or holdout: the holdout against the champion measures the strategy itself'),
      verdict: z.enum(verdicts),
      metrics: z.array(metricResponse),
      series: z.array(
        z.object({
          date: z.string(),
          champion_accounts: z.number().int(),
          challenger_accounts: z.number().int(),
          champion: z.number().nullable(),
          challenger: z.number().nullable(),
          difference: z.number().nullable(),
          interval,
          sequence: interval,
          p_value: z.number().nullable(),
          verdict: z.enum(verdicts),
        }),
      ),
    }),
  ),
});

/** How results are read: the same parameters for the results and for the verdict of a promotion. */
const resultParameters = {
  window: z.coerce
    .number()
    .int()
    .refine((w) => (experimentWindows as readonly number[]).includes(w), 'use 7, 30 or 90')
    .default(30)
    .describe('days after entry over which outcomes are measured: 7, 30 or 90'),
  as_of: businessDate.optional().describe('the last look; default today (China time)'),
  min_accounts: z.coerce.number().int().min(2).max(1_000_000).default(100),
  metric: z.enum(metricNames).default('recovery_rate').describe('the metric the verdict is about'),
};

function queryOf(q: {
  window: number;
  as_of?: string | undefined;
  min_accounts: number;
  metric: MetricName;
}) {
  return {
    window: q.window as 7 | 30 | 90,
    ...(q.as_of === undefined ? {} : { asOf: q.as_of }),
    minAccounts: q.min_accounts,
    primary: q.metric,
  };
}

export async function experimentRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  // the unit costs of contacts: configuration, read (and checked) once when the server starts
  const costs = contactCosts();

  app.get(
    '/experiments',
    {
      schema: {
        querystring: z.object({
          strategy: idText.optional().describe('a strategy version id; default every approved version'),
          ...resultParameters,
        }),
        response: documented({ 200: z.object({ items: z.array(experimentResponse) }) }),
        tags,
        summary:
          "Champion / challenger results: each test's arms, every challenger against the champion with the always-valid p-value, confidence sequence, verdict and daily series",
      },
      preValidation: requireRoles(...readers),
    },
    async (request) => {
      const q = request.query;
      const items = await readScoped(db, request, (scoped) =>
        listExperiments(scoped, {
          ...(q.strategy === undefined ? {} : { strategyVersionId: q.strategy }),
          ...queryOf(q),
          costs,
        }),
      );
      return { items };
    },
  );

  app.post(
    '/experiments/promote',
    {
      schema: {
        body: z.object({
          strategy_version_id: bodyId,
          segment: z.string().min(1).max(40),
          challenger: z.string().min(1).max(40),
          reason: reasonText,
          // the verdict recorded in the reason is the test's under the parameters the results were read with
          ...resultParameters,
        }),
        response: documented({
          200: z.object({
            proposed_version_id: z.number().int(),
            proposed_version: z.number().int(),
            verdict: z.enum(verdicts),
          }),
        }),
        tags,
        summary:
          "Propose a new strategy version in which the challenger's path becomes the champion's; another admin or supervisor approves it (POST /strategies/:id/approve)",
      },
      preValidation: requireRoles(...leads),
    },
    async (request) => {
      const body = request.body;
      const result = await proposePromotion(
        db,
        {
          strategyVersionId: body.strategy_version_id,
          segment: body.segment,
          challenger: body.challenger,
          reason: body.reason,
        },
        principalOf(request).username,
        { ...queryOf(body), costs },
      );
      await auditChange(deps, request, {
        action: 'strategy.challenger_promotion',
        entityType: 'strategy_version',
        entityId: result.proposed_version_id,
        before: { strategy_version_id: body.strategy_version_id },
        after: { ...result, segment: body.segment, challenger: body.challenger },
      });
      return result;
    },
  );
}
