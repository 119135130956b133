/**
 * HTTP routes of the measures (效果评估, kpi.md): the figures of a cut and period, the same by a
 * dimension, the recovery curve by vintage, the roll-rate matrix of a month and a before / after
 * comparison. Agency staff who watch results (supervisors, finance, admins) and client users (their
 * own portfolio: the client scope applies to every figure) may read them. Teams, agents, segments
 * and arms are the agency's own organisation, so client users cannot cut or group by them.
 */
import { z } from 'zod';
import { findClientByCode } from '../clients/service.ts';
import {
  assertClientAccess,
  hasRole,
  type Principal,
  principalOf,
  readScoped,
  requireRoles,
  scopeOf,
} from '../server/access.ts';
import { type Api, businessDate, clientCode, idText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { addDays, daysBetween, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { supportedCurrencies } from '../shared/money.ts';
import { compareMeasure, measureSummary, measuresBy, recoveryCurves, rollRates } from './measures.ts';
import { monthDays } from './measures-model.ts';
import {
  comparableMeasures,
  type MeasureCut,
  type MeasureDimension,
  type MeasurePeriod,
  measureDimensions,
  rollFromBuckets,
  rollToStates,
} from './measures-types.ts';

/** Who may read the measures. */
export const measureReaders = ['admin', 'supervisor', 'finance', 'client'] as const;
/** Cuts and dimensions that describe the agency's own organisation, not the client's portfolio. */
const agencyOnlyDimensions: readonly MeasureDimension[] = ['team', 'agent', 'segment', 'arm'];
/** The longest period one request may count. */
export const maxPeriodDays = 731;
/** Rows one "by dimension" answer holds at most. */
export const maxDimensionRows = 500;

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');
const buckets = [...rollFromBuckets] as [string, ...string[]];
const cutQuery = {
  currency: z.enum(supportedCurrencies as [string, ...string[]]).default('CNY'),
  client: clientCode.optional(),
  batch: idText.optional().describe('a placement batch id'),
  vintage: month.optional().describe('YYYY-MM: accounts placed (their batch approved) in that month'),
  team: idText.optional().describe('a team id: accounts now assigned to the team (staff only)'),
  agent: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('a username: accounts now assigned to the agent (staff only)'),
  product: z.string().trim().min(1).max(100).optional(),
  bucket: z.enum(buckets).optional().describe("the account's bucket after the latest nightly run"),
  segment: z.string().trim().min(1).max(100).optional().describe("the strategy segment's code (staff only)"),
  arm: z.string().trim().min(1).max(100).optional().describe("the strategy arm's code (staff only)"),
};
const periodQuery = {
  from: businessDate.optional().describe('first day counted; default the first of this month'),
  to: businessDate.optional().describe('last day counted; default today'),
};
type CutQuery = {
  currency: string;
  client?: string | undefined;
  batch?: bigint | undefined;
  vintage?: string | undefined;
  team?: bigint | undefined;
  agent?: string | undefined;
  product?: string | undefined;
  bucket?: string | undefined;
  segment?: string | undefined;
  arm?: string | undefined;
};

// ---------------------------------------------------------------- response shapes (for the document)
const int = z.number().int();
const minor = int.describe('minor units (fen, cents)');
const rate = z
  .object({
    numerator: int,
    denominator: int,
    value: z
      .string()
      .nullable()
      .describe('numerator ÷ denominator to 6 places, half-even; null when the denominator is 0'),
  })
  .describe('a rate as its exact parts');
const dayStats = z.object({ accounts: int, median_days: int.nullable(), p90_days: int.nullable() });
const values = z.object({
  accounts_placed: int,
  placed_minor: minor,
  collected_minor: minor,
  collected_trust_minor: minor,
  collected_direct_minor: minor,
  payments: int,
  accounts_paying: int,
  recovery_rate: rate,
  account_recovery_rate: rate,
  commission_minor: minor,
  net_to_client_minor: minor,
  written_off_minor: minor,
  bad_debt_rate: rate,
  attempts: int,
  reached: int,
  right_party: int,
  contact_rate: rate,
  rpc_rate: rate,
  promises_made: int,
  promise_rate: rate,
  promises_due: int,
  promises_kept: int,
  promise_kept_rate: rate,
  plans_ended: int,
  plans_completed: int,
  plan_completion_rate: rate,
  live_accounts: int,
  lost_contact_accounts: int,
  lost_contact_rate: rate,
  days_to_first_payment: dayStats,
  days_to_full_payment: dayStats,
});
const summaryResponse = z.object({ from: z.string(), to: z.string(), currency: z.string(), values });
const byResponse = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  dimension: z.enum(measureDimensions),
  rows: z.array(values.extend({ key: z.string(), label: z.string() })),
  truncated: z
    .boolean()
    .describe(`more than ${maxDimensionRows} values: the largest by collections are shown`),
});
const curveResponse = z.object({
  currency: z.string(),
  vintages: z.array(
    z.object({
      vintage: z.string(),
      accounts: int,
      placed_minor: minor,
      points: z.array(z.object({ month: int, collected_minor: minor, rate })),
    }),
  ),
});
const rollResponse = z.object({
  currency: z.string(),
  month: z.string(),
  from: z.string(),
  to: z.string(),
  rows: z.array(
    z.object({
      from: z.enum(rollFromBuckets),
      accounts: int,
      balance_minor: minor,
      to: z.array(z.object({ state: z.enum(rollToStates), accounts: int, balance_minor: minor, rate })),
    }),
  ),
});
const periodRate = rate.extend({ from: z.string(), to: z.string() });
const compareResponse = z.object({
  measure: z.enum(comparableMeasures),
  before: periodRate,
  after: periodRate,
  difference: z.string().nullable(),
  interval: z.object({ low: z.string(), high: z.string() }).nullable(),
  p_value: z.string().nullable(),
  enough: z.boolean(),
});

// ---------------------------------------------------------------- rules of the query

function isClientOnly(principal: Principal): boolean {
  return !hasRole(principal, 'admin', 'supervisor', 'finance');
}

/** The period asked for, or this month to date; refused when backwards or longer than allowed. */
export function periodOf(
  query: { from?: string | undefined; to?: string | undefined },
  today: string,
  names: { from: string; to: string } = { from: 'from', to: 'to' },
): MeasurePeriod {
  const to = query.to ?? today;
  const from = query.from ?? `${to.slice(0, 7)}-01`;
  if (from > to) {
    throw new HuikuanError(
      'bad_usage',
      query.to === undefined
        ? `The period starts (${from}) after today (${to}): give ${names.from} today or earlier, or give ${names.to} too.`
        : `The period starts (${from}) after it ends (${to}): swap ${names.from} and ${names.to}.`,
    );
  }
  if (daysBetween(from, to) + 1 > maxPeriodDays) {
    throw new HuikuanError(
      'bad_usage',
      `The period ${from} – ${to} is longer than ${maxPeriodDays} days: ask for a shorter one.`,
    );
  }
  return { from, to };
}

export async function measureRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  /** The cut of a request: its client code resolved inside the caller's scope, agency-only cuts refused for clients. */
  async function cutOf(principal: Principal, query: CutQuery): Promise<MeasureCut> {
    if (isClientOnly(principal)) {
      const agencyCut = (['team', 'agent', 'segment', 'arm'] as const).find(
        (key) => query[key] !== undefined,
      );
      if (agencyCut) {
        throw new HuikuanError(
          'forbidden',
          `Client users see their portfolio by client, batch, vintage, product and bucket; "${agencyCut}" is the agency's own organisation. Leave it out.`,
        );
      }
    }
    const cut: MeasureCut = { currency: query.currency, clientIds: scopeOf(principal) };
    if (query.client !== undefined) {
      const client = await findClientByCode(db, query.client);
      assertClientAccess(principal, client.id, 'client');
      cut.clientId = client.id;
    }
    if (query.batch !== undefined) cut.batchId = query.batch;
    if (query.vintage !== undefined) cut.vintage = query.vintage;
    if (query.team !== undefined) cut.teamId = query.team;
    if (query.agent !== undefined) cut.agent = query.agent;
    if (query.product !== undefined) cut.product = query.product;
    if (query.bucket !== undefined) cut.bucket = query.bucket;
    if (query.segment !== undefined) cut.segment = query.segment;
    if (query.arm !== undefined) cut.arm = query.arm;
    return cut;
  }

  const preValidation = requireRoles(...measureReaders);

  app.get(
    '/measures/summary',
    {
      schema: {
        response: documented({ 200: summaryResponse }),
        tags: ['measures'],
        summary:
          'The measures of kpi.md for a cut of the accounts and a period: placed, collected, recovery and bad-debt rates, commission, net to client, contact, promise and plan rates, lost contact, collection cycle',
        querystring: z.object({ ...cutQuery, ...periodQuery }),
      },
      preValidation,
    },
    async (request) => {
      const principal = principalOf(request);
      const period = periodOf(request.query, todayIn());
      const cut = await cutOf(principal, request.query);
      const measured = await readScoped(db, request, (db) => measureSummary(db, cut, period));
      return { ...period, currency: cut.currency, values: measured };
    },
  );

  app.get(
    '/measures/by',
    {
      schema: {
        response: documented({ 200: byResponse }),
        tags: ['measures'],
        summary: `The same measures per value of one dimension (client, batch, vintage, team, agent, product, bucket, segment, arm), at most ${maxDimensionRows} rows`,
        querystring: z.object({ ...cutQuery, ...periodQuery, dimension: z.enum(measureDimensions) }),
      },
      preValidation,
    },
    async (request) => {
      const principal = principalOf(request);
      const { dimension } = request.query;
      if (isClientOnly(principal) && agencyOnlyDimensions.includes(dimension)) {
        throw new HuikuanError(
          'forbidden',
          `Client users see their portfolio by client, batch, vintage, product and bucket, not by ${dimension}.`,
        );
      }
      const period = periodOf(request.query, todayIn());
      const cut = await cutOf(principal, request.query);
      const result = await readScoped(db, request, (db) =>
        measuresBy(db, dimension, cut, period, maxDimensionRows),
      );
      return { ...period, currency: cut.currency, dimension, ...result };
    },
  );

  app.get(
    '/measures/recovery-curve',
    {
      schema: {
        response: documented({ 200: curveResponse }),
        tags: ['measures'],
        summary:
          'The liquidation curve: per vintage (month placed), cumulative collections ÷ placed balance at the end of each month since placement',
        querystring: z.object({
          ...cutQuery,
          months: z.coerce.number().int().min(1).max(60).default(12).describe('points per vintage, 1–60'),
          vintages: z.coerce.number().int().min(1).max(36).default(12).describe('the latest vintages, 1–36'),
        }),
      },
      preValidation,
    },
    async (request) => {
      const principal = principalOf(request);
      const cut = await cutOf(principal, request.query);
      const { months, vintages } = request.query;
      const curves = await readScoped(db, request, (db) =>
        recoveryCurves(db, cut, { months, vintages, today: todayIn() }),
      );
      return { currency: cut.currency, vintages: curves };
    },
  );

  app.get(
    '/measures/roll-rates',
    {
      schema: {
        response: documented({ 200: rollResponse }),
        tags: ['measures'],
        summary:
          "The roll-rate matrix of a month: each bucket's balance on the first day, by where it was on the last (a bucket, paid, or closed)",
        querystring: z.object({
          ...cutQuery,
          month: month.optional().describe('YYYY-MM; default last month'),
        }),
      },
      preValidation,
    },
    async (request) => {
      const principal = principalOf(request);
      const today = todayIn();
      const asked = request.query.month ?? `${addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7)}`;
      // a month's roll rates are known once it is over: before, its last day's buckets are a guess
      if (monthDays(asked).to >= today) {
        throw new HuikuanError(
          'bad_usage',
          `${asked} is not over yet: its roll rates are known from the day after its last. Pick last month or an earlier one.`,
        );
      }
      const cut = await cutOf(principal, request.query);
      const matrix = await readScoped(db, request, (db) => rollRates(db, cut, asked));
      return { currency: cut.currency, ...matrix };
    },
  );

  app.get(
    '/measures/compare',
    {
      schema: {
        response: documented({ 200: compareResponse }),
        tags: ['measures'],
        summary:
          'Before / after: a proportion measure in two periods, the difference with its 95% interval and the p-value of "no difference" (two-proportion normal approximation)',
        querystring: z.object({
          ...cutQuery,
          ...periodQuery,
          measure: z.enum(comparableMeasures),
          before_from: businessDate
            .optional()
            .describe('default: as many days as the period, just before it'),
          before_to: businessDate.optional().describe('default: the day before the period'),
        }),
      },
      preValidation,
    },
    async (request) => {
      const principal = principalOf(request);
      const query = request.query;
      const after = periodOf(query, todayIn());
      const length = daysBetween(after.from, after.to);
      const beforeTo = query.before_to ?? addDays(after.from, -1);
      const beforeFrom = query.before_from ?? addDays(beforeTo, -length);
      const before = periodOf({ from: beforeFrom, to: beforeTo }, todayIn(), {
        from: 'before_from',
        to: 'before_to',
      });
      if (before.to >= after.from) {
        throw new HuikuanError(
          'bad_usage',
          `The "before" period (${before.from} – ${before.to}) must end before the period compared (${after.from} – ${after.to}) starts.`,
        );
      }
      const cut = await cutOf(principal, query);
      return readScoped(db, request, (db) => compareMeasure(db, query.measure, cut, before, after));
    },
  );
}
