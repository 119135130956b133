/**
 * HTTP routes for message templates (/api/v1/templates): versions proposed by compliance, a
 * supervisor or an admin and approved by another user of compliance or admin; the list; a preview
 * with a real account (the caller's scope) showing the variables filled and the disclosures added.
 */
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, idText, reasonText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { templateChannels, templateLanguages, templateLimits, templateVariables } from './model.ts';
import {
  decideTemplate,
  listTemplates,
  proposeTemplate,
  renderForAccount,
  scriptForAccount,
  templateVersion,
} from './service.ts';

const templateResponse = z.object({
  id: z.number().int(),
  code: z.string(),
  channel: z.enum(templateChannels),
  language: z.enum(templateLanguages),
  version: z.number().int(),
  subject: z.string().nullable(),
  body: z.string(),
  variables: z.array(z.string()),
  status: z.enum(['proposed', 'approved', 'rejected']),
  reason: z.string(),
  proposed_by: z.string(),
  proposed_at: z.string(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_reason: z.string().nullable(),
});

const previewResponse = z.object({
  template: templateResponse,
  account_id: z.number().int(),
  jurisdiction: z.enum(['CN', 'US', 'UK']),
  subject: z.string().nullable(),
  body: z.string(),
  disclosures: z
    .array(z.string())
    .describe('added by Huikuan for the jurisdiction and channel; a template cannot remove them'),
  text: z.string().describe('what would be sent: the body, then the disclosures'),
});

/** Who writes templates; who approves them (never the proposer). */
const proposers = ['admin', 'compliance', 'supervisor'] as const;
const approvers = ['admin', 'compliance'] as const;

export async function templateRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/templates',
    {
      schema: {
        response: documented({
          200: z.object({ items: z.array(templateResponse), variables: z.record(z.string(), z.string()) }),
        }),
        tags: ['templates'],
        summary: 'Message template versions, newest first per template, and the variables a template may use',
        querystring: z.object({
          code: z.string().max(templateLimits.codeLength).optional(),
          channel: z.enum(templateChannels).optional(),
          language: z.enum(templateLanguages).optional(),
          status: z.enum(['proposed', 'approved', 'rejected']).optional(),
        }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => ({
      items: await listTemplates(db, request.query),
      variables: { ...templateVariables },
    }),
  );

  app.post(
    '/templates',
    {
      schema: {
        response: documented({ 201: templateResponse }),
        tags: ['templates'],
        summary:
          'Propose a new version of a template (code, channel, language); another user of compliance or admin approves it before it can be sent',
        body: z.object({
          code: z.string().trim().min(1).max(templateLimits.codeLength),
          channel: z.enum(templateChannels),
          language: z.enum(templateLanguages),
          subject: z.string().max(templateLimits.subjectLength).nullable().default(null),
          body: z.string().min(1).max(templateLimits.bodyLength.email),
          reason: reasonText,
        }),
      },
      preValidation: requireRoles(...proposers),
    },
    async (request, reply) => {
      const row = await proposeTemplate(db, request.body, principalOf(request).username);
      return reply.status(201).send(row);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/templates/:id/${decision}`,
      {
        schema: {
          response: documented({ 200: templateResponse }),
          tags: ['templates'],
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a proposed template version (not your own)`,
          params: idParam,
          body: z.object({ reason: z.string().trim().max(2000).default('') }),
        },
        preValidation: requireRoles(...approvers),
      },
      async (request) =>
        decideTemplate(db, request.params.id, decision, request.body.reason, principalOf(request).username),
    );
  }

  app.get(
    '/templates/:id/preview',
    {
      schema: {
        response: documented({ 200: previewResponse }),
        tags: ['templates'],
        summary: 'A template version filled with a real account and its jurisdiction’s required disclosures',
        params: idParam,
        querystring: z.object({
          account_id: idText.describe('the account to fill the variables from'),
          first_contact: z.enum(['true', 'false']).default('false').describe('US: the first communication'),
        }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => {
      const principal = principalOf(request);
      const template = await templateVersion(db, request.params.id);
      return readScoped(db, request, async (scoped) => {
        assertClientAccess(principal, await accountClientId(scoped, request.query.account_id), 'account');
        const result = await renderForAccount(scoped, {
          template,
          accountId: request.query.account_id,
          firstContact: request.query.first_contact === 'true',
          agentName: principal.username,
        });
        return {
          template,
          account_id: request.query.account_id,
          jurisdiction: result.jurisdiction,
          ...result.rendered,
        };
      });
    },
  );

  app.get(
    '/accounts/:id/script',
    {
      schema: {
        response: documented({
          200: z.object({
            script: z
              .object({
                template: templateResponse,
                segment: z.string().nullable().describe("the account's strategy segment"),
                fallback: z.boolean().describe("the segment has no script: the 'default' one"),
                jurisdiction: z.string(),
                body: z.string(),
                disclosures: z.array(z.string()).describe('what the agent must also say'),
              })
              .nullable()
              .describe('null: no approved script for the segment or default in the language'),
          }),
        }),
        tags: ['templates'],
        summary:
          "The call script for the account's strategy segment (a 'script' template coded by the segment, else 'default'), in the language, filled for the account",
        params: idParam,
        querystring: z.object({ language: z.enum(templateLanguages).default('zh-CN') }),
      },
      preValidation: requireRoles(...staffRoles),
    },
    async (request) => {
      const principal = principalOf(request);
      return readScoped(db, request, async (scoped) => {
        assertClientAccess(principal, await accountClientId(scoped, request.params.id), 'account');
        const found = await scriptForAccount(scoped, {
          accountId: request.params.id,
          language: request.query.language,
          agentName: principal.username,
        });
        if (!found) return { script: null };
        return {
          script: {
            template: found.template,
            segment: found.segment,
            fallback: found.fallback,
            jurisdiction: found.jurisdiction,
            body: found.rendered.body,
            disclosures: found.rendered.disclosures,
          },
        };
      });
    },
  );
}
