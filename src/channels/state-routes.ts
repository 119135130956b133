/**
 * HTTP routes of the account page's channels (/api/v1): the debtor's contact points with their state
 * and the gate's verdict now (GET /accounts/:id/channels), the gate's verdict for one proposed
 * contact without storing or counting it (POST /accounts/:id/contact-check), and sending an SMS or
 * e-mail from a Huikuan template (POST /accounts/:id/messages/from-template, with a preview).
 */
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { purposes } from '../compliance/model.ts';
import { parties } from '../compliance/profiles.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, idText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { templateLanguages } from '../templates/model.ts';
import { channelLimits } from './model.ts';
import { messageResponse } from './schemas.ts';
import type { Channels } from './service.ts';
import { accountChannels, contactCheck } from './state.ts';
import { previewTemplateMessage, sendTemplateMessage } from './template-send.ts';

const int = z.number().int();
const verdictKind = z.enum(['allow', 'deny', 'allow_with_conditions']);
const previewResponse = z.object({
  verdict: verdictKind,
  reasons: z.array(z.string()).describe("the gate's reason codes (deny) or conditions"),
  jurisdiction: z.string(),
  profile_version: int,
  overrides: z.array(z.string()),
});
const pointChannel = z.enum(['call', 'sms', 'email']);
const channelsResponse = z.object({
  account_id: int,
  at: z.string(),
  points: z.array(
    z.object({
      id: int,
      kind: z.enum(['phone', 'email']),
      party: z.enum(['debtor', 'agreed_contact']),
      value: z.string().describe('masked; a client user sees only its last characters'),
      status: z.enum(['unverified', 'valid', 'invalid', 'do_not_contact']),
      holder_name: z.string().nullable(),
      relation: z.string().nullable(),
      opt_outs: z.array(
        z.object({
          id: int,
          channel: pointChannel,
          source: z.string(),
          since: z.string(),
          scope: z.enum(['point', 'debtor', 'account']),
        }),
      ),
      consents: z.array(
        z.object({
          id: int,
          kind: z.string(),
          channel: z.string().nullable(),
          source: z.string(),
          given_at: z.string(),
          expires_at: z.string().nullable(),
          current: z.boolean(),
        }),
      ),
      channels: z.array(
        z.object({
          channel: pointChannel,
          preview: previewResponse,
          last: z
            .object({
              id: int,
              channel: z.string(),
              status: z.string(),
              verdict: z.string().nullable(),
              reasons: z.array(z.string()),
              created_at: z.string(),
              status_at: z.string(),
            })
            .nullable(),
        }),
      ),
    }),
  ),
});
const checkResponse = previewResponse.extend({
  account_id: int,
  contact_point_id: int.nullable(),
  channel: z.string(),
  at: z.string(),
});
const templateRef = z.object({
  id: int,
  code: z.string(),
  version: int,
  language: z.enum(templateLanguages),
});
const sentResponse = z.object({ message: messageResponse, repeated: z.boolean(), template: templateRef });
const templateCode = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a template code');

/** Who may ask the gate what it would say (everyone who contacts or oversees contacts). */
const checkers = ['agent', 'supervisor', 'compliance', 'admin'] as const;

export async function channelStateRoutes(app: Api, deps: ServerDeps, channels: Channels): Promise<void> {
  const { db } = deps;

  app.get(
    '/accounts/:id/channels',
    {
      schema: {
        response: documented({ 200: channelsResponse }),
        tags: ['channels'],
        summary:
          "The debtor's contact points (own and agreed contacts'), each with its status, opt-outs, consents, the latest message or call per channel and the verdict the rule gate would give now (not stored, not counted)",
        params: idParam,
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) => {
      const principal = principalOf(request);
      return readScoped(db, request, async (trx) => {
        assertClientAccess(principal, await accountClientId(trx, request.params.id), 'account');
        return accountChannels(trx, {
          accountId: request.params.id,
          actor: principal.username,
          forClient: principal.roles.includes('client'),
        });
      });
    },
  );

  app.post(
    '/accounts/:id/contact-check',
    {
      schema: {
        response: documented({ 200: checkResponse }),
        tags: ['channels'],
        summary:
          'The verdict the rule gate would give now for a proposed contact, with reason codes and the profile version — not stored and not counted towards any cap; nothing is sent',
        params: idParam,
        body: z.object({
          channel: z.enum(['call', 'sms', 'email', 'letter']),
          contact_point_id: idText.optional(),
          party: z.enum(parties).optional().describe("default: the point's own party, else debtor"),
          purpose: z.enum(purposes).default('collect'),
        }),
      },
      preValidation: requireRoles(...checkers),
    },
    async (request) => {
      const principal = principalOf(request);
      return readScoped(db, request, async (trx) => {
        assertClientAccess(principal, await accountClientId(trx, request.params.id), 'account');
        const body = request.body;
        return contactCheck(trx, {
          accountId: request.params.id,
          channel: body.channel,
          contactPointId: body.contact_point_id ?? null,
          ...(body.party ? { party: body.party } : {}),
          purpose: body.purpose,
          actor: principal.username,
        });
      });
    },
  );

  app.get(
    '/accounts/:id/messages/from-template/preview',
    {
      schema: {
        response: documented({
          200: z.object({
            template: templateRef,
            contact_point_id: int,
            jurisdiction: z.string(),
            subject: z.string().nullable(),
            body: z.string(),
            disclosures: z.array(z.string()),
            text: z.string().describe('what would be sent: the body, then the disclosures'),
          }),
        }),
        tags: ['channels'],
        summary:
          'The approved template version in force rendered for this account with its required disclosures: what POST /accounts/:id/messages/from-template would send',
        params: idParam,
        querystring: z.object({
          channel: z.enum(['sms', 'email']),
          template_code: templateCode,
          language: z.enum(templateLanguages).optional(),
          contact_point_id: idText.optional(),
        }),
      },
      preValidation: requireRoles(...checkers),
    },
    async (request) => {
      const principal = principalOf(request);
      return readScoped(db, request, async (trx) => {
        assertClientAccess(principal, await accountClientId(trx, request.params.id), 'account');
        const query = request.query;
        const preview = await previewTemplateMessage(
          trx,
          {
            accountId: request.params.id,
            templateCode: query.template_code,
            channel: query.channel,
            contactPointId: query.contact_point_id ?? null,
            ...(query.language ? { language: query.language } : {}),
            actor: principal.username,
            actorUserId: principal.userId,
          },
          channels,
        );
        return {
          template: {
            id: preview.template.id,
            code: preview.template.code,
            version: preview.template.version,
            language: preview.language,
          },
          contact_point_id: preview.contactPointId,
          jurisdiction: preview.jurisdiction,
          ...preview.rendered,
        };
      });
    },
  );

  app.post(
    '/accounts/:id/messages/from-template',
    {
      schema: {
        response: documented({ 200: sentResponse, 201: sentResponse }),
        tags: ['channels'],
        summary:
          "Send an SMS or e-mail from an approved Huikuan template, rendered for the account with its required disclosures, through the rule gate: a denied one is recorded blocked with the gate's reason codes in message.reasons and nothing is sent; 200 when the idempotency key was used before",
        params: idParam,
        body: z.object({
          channel: z.enum(['sms', 'email']),
          template_code: templateCode,
          language: z
            .enum(templateLanguages)
            .optional()
            .describe('default: zh-CN for a CN contract, else en'),
          contact_point_id: idText
            .optional()
            .describe("default: the debtor's best point of the channel (valid before unverified)"),
          party: z.enum(parties).optional(),
          purpose: z.enum(purposes).default('collect'),
          idempotency_key: z
            .string()
            .min(1)
            .max(channelLimits.idempotencyKeyChars)
            .optional()
            .describe('the same key sends at most once (or the Idempotency-Key header)'),
        }),
        headers: z.object({
          'idempotency-key': z.string().min(1).max(channelLimits.idempotencyKeyChars).optional(),
        }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertClientAccess(principal, await accountClientId(db, request.params.id), 'account');
      const body = request.body;
      const key = body.idempotency_key ?? request.headers['idempotency-key'];
      const outcome = await sendTemplateMessage(
        db,
        {
          accountId: request.params.id,
          templateCode: body.template_code,
          channel: body.channel,
          contactPointId: body.contact_point_id ?? null,
          ...(body.language ? { language: body.language } : {}),
          ...(body.party ? { party: body.party } : {}),
          purpose: body.purpose,
          ...(key ? { idempotencyKey: key } : {}),
          actor: principal.username,
          actorUserId: principal.userId,
          ip: request.ip,
        },
        channels,
      );
      return reply.status(outcome.repeated ? 200 : 201).send(outcome);
    },
  );
}
