/**
 * HTTP routes of the risk model inside the platform: the model registry (list; propose — admins and
 * supervisors; approve — admins and compliance, never the proposer; promote), an account's score
 * history with its reasons in plain words (en and zh-CN, the model's own texts), and the risk watch
 * list with its rules (supervisors and admins acknowledge and action entries; compliance reads).
 * Every change is audited by the service in its transaction, with the user and IP.
 */
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { accountClientId } from '../../accounts/listing.ts';
import {
  assertClientAccess,
  principalOf,
  readScoped,
  requireRoles,
  staffRoles,
} from '../../server/access.ts';
import { type Api, idParam, idText, pageQuery, type ServerDeps } from '../../server/context.ts';
import { documented } from '../../server/responses.ts';
import type { Model } from '../train.ts';
import { approveModel, listModels, type ModelView, promoteModel, proposeModel } from './registry.ts';
import { modelReport } from './report-view.ts';
import { decideWatch, listWatch, type WatchEntry, watchRuleStates, watchRules } from './watch.ts';

const modelReaders = ['admin', 'supervisor', 'compliance'] as const;
const modelProposers = ['admin', 'supervisor'] as const;
const modelApprovers = ['admin', 'compliance'] as const;
const watchReaders = ['admin', 'supervisor', 'compliance'] as const;
const watchDeciders = ['admin', 'supervisor'] as const;

const int = z.number().int();
const id = int.describe('numeric id');
const instant = z.string().describe('ISO-8601 instant, UTC');
const date = z.string().describe('YYYY-MM-DD');
const statusEnum = z.enum(['proposed', 'approved', 'champion', 'challenger', 'retired']);

const modelResponse = z.object({
  id,
  name: z.string(),
  version: int,
  client_id: id.nullable().describe('null: agency-wide'),
  status: statusEnum,
  owner: z.string(),
  note: z.string().nullable(),
  training: z.unknown().describe('what it was trained on'),
  outcome_days: int,
  paid_share: z.number(),
  validation: z.object({ auc: z.number().nullable(), ks: z.number().nullable(), psi: z.number().nullable() }),
  features: z.array(z.string()),
  proposed_by: z.string(),
  proposed_at: instant,
  approved_by: z.string().nullable(),
  approved_at: instant.nullable(),
  promoted_by: z.string().nullable(),
  promoted_at: instant.nullable(),
  retired_by: z.string().nullable(),
  retired_at: instant.nullable(),
});

function modelJson(view: ModelView) {
  return view;
}

const reasonResponse = z.object({
  code: z.string(),
  text: z.object({ en: z.string(), 'zh-CN': z.string() }).describe("the model's text of the reason"),
});

const scoreResponse = z.object({
  as_of: date,
  model_id: id,
  model: z.string().describe('name v version'),
  role: z.enum(['champion', 'challenger']),
  score: int,
  band: int,
  probability: z.number().describe("probability of the model's event"),
  event: z.string().describe('the event the probability is of: paid or not paid'),
  balance_minor: int,
  reasons: z.array(reasonResponse),
});

const watchResponse = z.object({
  id,
  client_id: id,
  account_id: id,
  rule: z.string(),
  detail: z.string(),
  first_seen: date,
  last_seen: date,
  status: z.enum(['open', 'acknowledged', 'actioned']),
  acknowledged_by: z.string().nullable(),
  acknowledged_at: instant.nullable(),
  actioned_by: z.string().nullable(),
  actioned_at: instant.nullable(),
  action_note: z.string().nullable(),
});

function watchJson(entry: WatchEntry) {
  return entry;
}

const ruleResponse = z.object({
  code: z.enum(watchRules),
  enabled: z.boolean(),
  threshold: int.nullable(),
  active: z.boolean(),
  reason: z.string().nullable().describe('why the rule is not active'),
});

const proposeBody = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (up to 64)'),
  model: z.record(z.string(), z.unknown()).describe('a scorecard written by `huikuan model train --out`'),
  client_id: idText.optional().describe("score this client's accounts only (default: agency-wide)"),
  outcome_days: z.number().int().min(1).max(730).describe('the outcome window it was trained on'),
  paid_share: z.number().gt(0).max(1).describe('the share of the balance that counts as paid'),
  note: z.string().trim().max(2000).optional(),
});

const num = z.number().nullable();
const metricsResponse = z.object({ rows: int, events: int, auc: num, gini: num, ks: num });
const reportResponse = z.object({
  model: modelResponse,
  event: z.string().describe('the event the probability is of: paid or not paid'),
  data: z.object({ rows: int, events: int, train_rows: int, validation_rows: int }),
  train: metricsResponse,
  validation: metricsResponse,
  cross_validation: z.object({ folds: int, mean_auc: z.number(), sd_auc: z.number() }).nullable(),
  psi: num.describe("PSI between the training and validation rows' score bands"),
  scaling: z.object({ base_score: z.number(), base_odds: z.number(), pdo: z.number() }),
  intercept: z.number(),
  roc: z.array(z.object({ fpr: z.number(), tpr: z.number() })),
  ks_curve: z.array(z.object({ score: z.number(), events: z.number(), non_events: z.number() })),
  histogram: z.object({
    width: z.number(),
    bins: z.array(z.object({ from: z.number(), events: int, non_events: int })),
  }),
  calibration: z.array(
    z.object({ band: z.string(), rows: int, events: int, predicted: z.number(), observed: z.number() }),
  ),
  scorecard: z.array(
    z.object({
      name: z.string(),
      iv: z.number(),
      coefficient: z.number(),
      bins: z.array(
        z.object({
          label: z.string(),
          count: int,
          events: int,
          event_rate: z.number(),
          woe: z.number(),
          iv: z.number(),
          points: z.number(),
          code: z.string(),
          text: z.object({ en: z.string(), 'zh-CN': z.string() }),
        }),
      ),
    }),
  ),
  dropped: z.array(
    z.object({ name: z.string(), iv: num, code: z.string().nullable(), reason: z.string().nullable() }),
  ),
  monitoring: z.array(
    z.object({
      month: z.string(),
      accounts: int,
      events: int,
      auc: num,
      ks: num,
      psi: num,
      validation_auc: num,
    }),
  ),
  alerts: z.array(
    z.object({
      month: z.string(),
      kind: z.enum(['psi', 'auc_drop']),
      value: z.number(),
      threshold: z.number(),
      message: z.string(),
    }),
  ),
  thresholds: z.object({ psi: z.number(), auc_drop: z.number() }),
});

const promoteBody = z.object({ as: z.enum(['champion', 'challenger']) });
const actionBody = z.object({ note: z.string().trim().min(1, 'say what was done').max(2000) });

function recorderOf(request: FastifyRequest) {
  const principal = principalOf(request);
  return { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null };
}

/** code → texts of every bin of the given models. */
async function reasonTexts(db: ServerDeps['db'], modelIds: bigint[]) {
  const texts = new Map<string, { en: string; 'zh-CN': string }>();
  const events = new Map<bigint, string>();
  if (modelIds.length === 0) return { texts, events };
  const rows = await sql<{ id: bigint; features: Model['features']; positive: string }>`
    SELECT id, model->'features' AS features, model->'data'->>'positive' AS positive
      FROM risk_models WHERE id = ANY(${modelIds.map(String)}::bigint[])`.execute(db);
  for (const row of rows.rows) {
    events.set(row.id, row.positive === '1' ? 'paid' : 'not paid');
    for (const feature of row.features)
      for (const bin of feature.bins) texts.set(`${row.id}|${bin.code}`, bin.text);
  }
  return { texts, events };
}

export async function riskRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  const tags = ['risk'];

  app.get(
    '/risk/models',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(modelResponse) }) }),
        tags,
        summary: 'The registered models, newest first',
        querystring: z.object({ status: statusEnum.optional() }),
      },
      preValidation: requireRoles(...modelReaders),
    },
    async (request) => {
      const models = await listModels(db, request.query.status ? { status: request.query.status } : {});
      const principal = principalOf(request);
      return {
        items: models
          .filter((m) => {
            if (m.client_id === null) return true;
            try {
              assertClientAccess(principal, m.client_id, 'model');
              return true;
            } catch {
              return false;
            }
          })
          .map(modelJson),
      };
    },
  );

  app.post(
    '/risk/models',
    {
      schema: {
        response: documented({ 201: modelResponse }),
        tags,
        summary: 'Propose a trained scorecard (a second user approves it)',
        body: proposeBody,
      },
      preValidation: requireRoles(...modelProposers),
    },
    async (request, reply) => {
      const body = request.body;
      if (body.client_id !== undefined) assertClientAccess(principalOf(request), body.client_id, 'client');
      const view = await proposeModel(
        db,
        {
          model: body.model,
          name: body.name,
          clientId: body.client_id ?? null,
          outcomeDays: body.outcome_days,
          paidShare: body.paid_share,
          training: { source: 'api' },
          ...(body.note !== undefined ? { note: body.note } : {}),
        },
        recorderOf(request),
      );
      return reply.status(201).send(modelJson(view));
    },
  );

  app.get(
    '/risk/models/:id/report',
    {
      schema: {
        response: documented({ 200: reportResponse }),
        tags,
        summary:
          "A model's validation report (AUC, Gini, KS, ROC and KS curves, score distribution, calibration, scorecard, PSI) and its monthly monitoring with the drift thresholds",
        params: idParam,
      },
      preValidation: requireRoles(...modelReaders),
    },
    async (request) => {
      const report = await modelReport(db, request.params.id);
      if (report.model.client_id !== null)
        assertClientAccess(principalOf(request), report.model.client_id, 'model');
      return report;
    },
  );

  app.post(
    '/risk/models/:id/approve',
    {
      schema: {
        response: documented({ 200: modelResponse }),
        tags,
        summary: 'Approve a proposed model; its proposer cannot (403)',
        params: idParam,
      },
      preValidation: requireRoles(...modelApprovers),
    },
    async (request) => modelJson(await approveModel(db, request.params.id, recorderOf(request))),
  );

  app.post(
    '/risk/models/:id/promote',
    {
      schema: {
        response: documented({ 200: z.object({ model: modelResponse, retired: modelResponse.nullable() }) }),
        tags,
        summary:
          'Make an approved model the champion of its scope (retiring the one it replaces) or a challenger',
        params: idParam,
        body: promoteBody,
      },
      preValidation: requireRoles(...modelProposers),
    },
    async (request) => {
      const result = await promoteModel(db, request.params.id, request.body.as, recorderOf(request));
      return { model: modelJson(result.model), retired: result.retired ? modelJson(result.retired) : null };
    },
  );

  app.get(
    '/accounts/:id/scores',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(scoreResponse) }) }),
        tags,
        summary: "The account's scores, newest first, with the reasons in plain words (en and zh-CN)",
        params: idParam,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(400).default(60).describe('rows, at most 400'),
        }),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        assertClientAccess(principalOf(request), await accountClientId(trx, request.params.id), 'account');
        const rows = await sql<{
          as_of: string;
          model_id: bigint;
          name: string;
          version: number;
          role: 'champion' | 'challenger';
          score: number;
          band: number;
          probability: number;
          balance_minor: bigint;
          reasons: string[];
        }>`
          SELECT h.as_of, h.model_id, m.name, m.version, h.role, h.score, h.band, h.probability,
                 h.balance_minor, h.reasons
            FROM risk_score_history h JOIN risk_models m ON m.id = h.model_id
           WHERE h.account_id = ${request.params.id}
           ORDER BY h.as_of DESC, h.role, h.model_id
           LIMIT ${request.query.limit}`.execute(trx);
        const { texts, events } = await reasonTexts(trx, [...new Set(rows.rows.map((r) => r.model_id))]);
        return {
          items: rows.rows.map((row) => ({
            as_of: row.as_of,
            model_id: row.model_id,
            model: `${row.name} v${row.version}`,
            role: row.role,
            score: row.score,
            band: row.band,
            probability: row.probability,
            event: events.get(row.model_id) ?? 'paid',
            balance_minor: row.balance_minor,
            reasons: row.reasons.map((code) => ({
              code,
              text: texts.get(`${row.model_id}|${code}`) ?? { en: code, 'zh-CN': code },
            })),
          })),
        };
      }),
  );

  app.get(
    '/risk/watch',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(watchResponse) }) }),
        tags,
        summary: 'The risk watch list, newest first (default: entries not yet actioned)',
        querystring: z.object({
          status: z.enum(['open', 'acknowledged', 'actioned', 'unresolved', 'all']).default('unresolved'),
          account_id: idText.optional(),
          page_size: pageQuery.page_size,
        }),
      },
      preValidation: requireRoles(...watchReaders),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        const q = request.query;
        const entries = await listWatch(trx, {
          ...(q.status !== 'all' ? { status: q.status } : {}),
          ...(q.account_id !== undefined ? { accountId: q.account_id } : {}),
          limit: q.page_size,
        });
        return { items: entries.map(watchJson) };
      }),
  );

  app.get(
    '/risk/watch-rules',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(ruleResponse) }) }),
        tags,
        summary: 'The watch rules: active or why not, and their thresholds',
      },
      preValidation: requireRoles(...watchReaders),
    },
    async () => ({ items: await watchRuleStates(db) }),
  );

  /** The entry's client checked against the caller's scope (404 outside it). */
  async function scopedEntry(request: FastifyRequest, entryId: bigint): Promise<void> {
    const row = await sql<{
      client_id: bigint;
    }>`SELECT client_id FROM risk_watch WHERE id = ${entryId}`.execute(db);
    const clientId = row.rows[0]?.client_id;
    // an unknown entry: the service says so
    if (clientId !== undefined) assertClientAccess(principalOf(request), clientId, 'watch-list entry');
  }

  app.post(
    '/risk/watch/:id/acknowledge',
    {
      schema: {
        response: documented({ 200: watchResponse }),
        tags,
        summary: 'Acknowledge an open watch-list entry',
        params: idParam,
      },
      preValidation: requireRoles(...watchDeciders),
    },
    async (request) => {
      await scopedEntry(request, request.params.id);
      return watchJson(
        await decideWatch(db, request.params.id, { status: 'acknowledged' }, recorderOf(request)),
      );
    },
  );

  app.post(
    '/risk/watch/:id/action',
    {
      schema: {
        response: documented({ 200: watchResponse }),
        tags,
        summary: 'Record what was done about a watch-list entry (closes it)',
        params: idParam,
        body: actionBody,
      },
      preValidation: requireRoles(...watchDeciders),
    },
    async (request) => {
      await scopedEntry(request, request.params.id);
      return watchJson(
        await decideWatch(
          db,
          request.params.id,
          { status: 'actioned', note: request.body.note },
          recorderOf(request),
        ),
      );
    },
  );
}
