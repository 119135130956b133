/**
 * HTTP routes for quality checks (/api/v1/qa): the checker itself (staff check a text before
 * sending it), QA cases opened by notes that failed it, weekly samples scored on the scorecard, and
 * an agent's record (agents see their own). Reviewers are compliance, supervisors and admins.
 */
import { z } from 'zod';
import { hasRole, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { checkText, qaCategories, qaSources, scorecard } from './model.ts';
import {
  agentQaRecord,
  decideQaCase,
  drawWeeklySamples,
  listQaCases,
  listQaSamples,
  qaLimits,
  scoreQaSample,
} from './service.ts';

const reviewers = ['admin', 'compliance', 'supervisor'] as const;

const finding = z.object({ category: z.enum(qaCategories), matched: z.string(), at: z.number().int() });
const checkResponse = z.object({
  language: z.enum(['zh-CN', 'en']),
  passed: z.boolean(),
  findings: z.array(finding),
});
const caseResponse = z.object({
  id: z.number().int(),
  client_id: z.number().int(),
  account_id: z.number().int(),
  agent: z.string(),
  source: z.string(),
  source_id: z.number().int(),
  excerpt: z.string(),
  findings: z.array(finding),
  status: z.enum(['open', 'confirmed', 'dismissed']),
  opened_at: z.string(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_note: z.string().nullable(),
});
const sampleResponse = z.object({
  id: z.number().int(),
  week: z.string(),
  agent: z.string(),
  client_id: z.number().int(),
  account_id: z.number().int(),
  source: z.enum(qaSources).describe('note, message (an e-mail or SMS sent) or call'),
  source_id: z.number().int(),
  text: z.string().describe('the note; the message as sent; the call: disposition, length, recording'),
  channel: z.string(),
  disposition: z.string().nullable(),
  duration_seconds: z.number().int().nullable(),
  recording_ref: z.string().nullable(),
  scores: z.record(z.string(), z.number()).nullable(),
  total: z.number().int().nullable(),
  reviewer: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  comment: z.string().nullable(),
});
const week = z.string().regex(/^\d{4}-W\d{2}$/, 'an ISO week such as 2026-W48');
const username = z.string().min(1).max(100);

export async function qaRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.post(
    '/qa/check',
    {
      schema: {
        response: documented({ 200: checkResponse }),
        tags: ['quality checks'],
        summary:
          'Check a text for prohibited language (threats, insults, impersonation, false consequences, third-party disclosure); changes nothing',
        body: z.object({ text: z.string().min(1).max(20_000), language: z.enum(['zh-CN', 'en']).optional() }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => checkText(request.body.text, request.body.language),
  );

  app.get(
    '/qa/cases',
    {
      schema: {
        response: documented({ 200: z.object({ items: z.array(caseResponse) }) }),
        tags: ['quality checks'],
        summary: `QA cases opened by notes that failed the check, newest first (at most ${qaLimits.listRows})`,
        querystring: z.object({
          status: z.enum(['open', 'confirmed', 'dismissed']).optional(),
          agent: username.optional(),
        }),
      },
      preValidation: requireRoles(...reviewers),
    },
    async (request) => ({
      items: await readScoped(db, request, (scoped) => listQaCases(scoped, request.query)),
    }),
  );

  app.post(
    '/qa/cases/:id/decide',
    {
      schema: {
        response: documented({ 200: caseResponse }),
        tags: ['quality checks'],
        summary:
          'Confirm a QA case (it stays on the agent’s record) or dismiss it; not a case about your own note',
        params: idParam,
        body: z.object({ decision: z.enum(['confirm', 'dismiss']), note: z.string().max(2000).default('') }),
      },
      preValidation: requireRoles(...reviewers),
    },
    async (request) =>
      readScoped(db, request, (scoped) =>
        decideQaCase(scoped, {
          id: request.params.id,
          ...request.body,
          actor: principalOf(request).username,
        }),
      ),
  );

  app.post(
    '/qa/samples',
    {
      schema: {
        response: documented({ 200: z.object({ drawn: z.number().int() }) }),
        tags: ['quality checks'],
        summary: `Draw each agent's sample for a week — notes, sent SMS and e-mails, answered calls (the same ones every time; at most ${qaLimits.samplesPerAgent} per agent)`,
        body: z.object({ week, per_agent: z.number().int().min(1).max(qaLimits.samplesPerAgent).default(5) }),
      },
      preValidation: requireRoles(...reviewers),
    },
    async (request) =>
      drawWeeklySamples(db, {
        week: request.body.week,
        perAgent: request.body.per_agent,
        actor: principalOf(request).username,
      }),
  );

  app.get(
    '/qa/samples',
    {
      schema: {
        response: documented({
          200: z.object({
            items: z.array(sampleResponse),
            scorecard: z.array(
              z.object({
                key: z.string(),
                weight: z.number().int(),
                sources: z.array(z.enum(qaSources)).describe('the samples this criterion is scored on'),
                label: z.record(z.string(), z.string()),
              }),
            ),
          }),
        }),
        tags: ['quality checks'],
        summary: 'Drawn samples with their text and scores, and the scorecard they are scored on',
        querystring: z.object({ week: week.optional(), agent: username.optional() }),
      },
      preValidation: requireRoles(...reviewers),
    },
    async (request) => ({
      items: await readScoped(db, request, (scoped) => listQaSamples(scoped, request.query)),
      scorecard: scorecard.map((criterion) => ({
        ...criterion,
        sources: [...criterion.sources],
        label: { ...criterion.label },
      })),
    }),
  );

  app.post(
    '/qa/samples/:id/score',
    {
      schema: {
        response: documented({ 200: sampleResponse }),
        tags: ['quality checks'],
        summary: 'Score a sample on every criterion of the scorecard (not your own work)',
        params: idParam,
        body: z.object({
          scores: z.record(z.string().max(40), z.number().int()),
          comment: z.string().max(2000).default(''),
        }),
      },
      preValidation: requireRoles(...reviewers),
    },
    async (request) =>
      readScoped(db, request, (scoped) =>
        scoreQaSample(scoped, {
          id: request.params.id,
          scores: request.body.scores,
          comment: request.body.comment,
          actor: principalOf(request).username,
        }),
      ),
  );

  app.get(
    '/qa/agents/:username',
    {
      schema: {
        tags: ['quality checks'],
        summary:
          "An agent's QA record: cases, findings by category, scored samples and their average (agents: their own)",
        params: z.object({ username }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => {
      const principal = principalOf(request);
      if (!hasRole(principal, ...reviewers) && principal.username !== request.params.username) {
        throw new HuikuanError('forbidden', 'You may see your own QA record only.');
      }
      return readScoped(db, request, (scoped) => agentQaRecord(scoped, request.params.username));
    },
  );
}
