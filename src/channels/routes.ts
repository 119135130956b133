/**
 * HTTP routes of the channels (/api/v1): send an e-mail or SMS to a contact point of an account
 * (agents and supervisors; through the rule gate), an account's messages, what is configured, and
 * webhook secrets (admin). Without a session, their own credential instead: the providers' webhooks
 * (POST /channels/sms/:provider/receipts and /inbound, and e-mail bounces at POST
 * /channels/email/bounces, signed — a bad signature is 401 and records nothing) and the opt-out link of a message (GET or POST /channels/opt-out/:token, signed token).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { purposes } from '../compliance/model.ts';
import { parties } from '../compliance/profiles.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, staffRoles } from '../server/access.ts';
import { type Api, idParam, idText, pageOf, pageQuery, type ServerDeps } from '../server/context.ts';
import { RequestFieldError } from '../server/errors.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { verifySignedWebhook, type WebhookKind, type WebhookRequest } from './adapter.ts';
import { parseDsn, recordDsn } from './bounces.ts';
import { callRoutes } from './call-routes.ts';
import { type ChannelConfig, channelConfigFromEnv } from './config.ts';
import { letterRoutes } from './letter-routes.ts';
import { readOptOutToken } from './links.ts';
import { channelLimits, escapeHtml, type SmsProviderName, smsProviders } from './model.ts';
import { pageRoutes } from './page-routes.ts';
import { messageResponse } from './schemas.ts';
import {
  type Channels,
  channelsFrom,
  createWebhookSecret,
  listMessages,
  optOutByLink,
  recordReceipts,
  recordReplies,
  sendMessage,
  webhookSecrets,
} from './service.ts';
import { channelStateRoutes } from './state-routes.ts';

const int = z.number().int();

const sendBody = z.object({
  channel: z.enum(['email', 'sms']),
  contact_point_id: idText,
  party: z.enum(parties).default('debtor'),
  purpose: z.enum(purposes).default('collect'),
  subject: z.string().max(channelLimits.subjectChars).optional().describe('e-mail only'),
  text: z
    .string()
    .trim()
    .min(1)
    .max(channelLimits.emailTextChars)
    .describe('the e-mail text part, or the SMS (the opt-out line is added when it has none)'),
  html: z
    .string()
    .max(channelLimits.emailHtmlChars)
    .optional()
    .describe('e-mail only; default made from the text'),
  template: z
    .object({
      code: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
      params: z.record(z.string().regex(/^\w{1,50}$/), z.string().max(channelLimits.templateParamChars)),
    })
    .optional()
    .describe('SMS through Aliyun: an approved template and its parameters'),
  idempotency_key: z
    .string()
    .min(1)
    .max(channelLimits.idempotencyKeyChars)
    .optional()
    .describe('the same key sends at most once (or the Idempotency-Key header)'),
});

/**
 * Runs what reads a webhook's body: its `bad_input` naming a field (webhook-body.ts) becomes the
 * request's 400 naming that field; anything else passes as it is.
 */
async function readingBody<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const first =
      error instanceof HuikuanError && error.code === 'bad_input'
        ? (error.details as { fields?: { field: string; message: string }[] } | undefined)?.fields?.[0]
        : undefined;
    if (first) throw new RequestFieldError(first.field, first.message);
    throw error;
  }
}

const providerParam = z.object({ provider: z.enum(smsProviders) });
const tokenParam = z.object({
  token: z.string().regex(/^[1-9]\d{0,17}\.[A-Za-z0-9_-]{22}$/, 'an opt-out token'),
});

/** The routes' channels: the ones given (tests), else the environment's. */
export async function channelRoutes(app: Api, deps: ServerDeps, config?: ChannelConfig): Promise<void> {
  const { db } = deps;
  const channels: Channels = channelsFrom(config ?? channelConfigFromEnv());

  async function scopedAccount(request: FastifyRequest, accountId: bigint, on = db): Promise<bigint> {
    const clientId = await accountClientId(on, accountId);
    assertClientAccess(principalOf(request), clientId, 'account');
    return clientId;
  }

  app.post(
    '/accounts/:id/messages',
    {
      schema: {
        response: documented({
          200: z.object({ message: messageResponse, repeated: z.boolean() }),
          201: z.object({ message: messageResponse, repeated: z.boolean() }),
        }),
        tags: ['channels'],
        summary:
          'Send an e-mail or SMS to a contact point of the account: the rule gate first (a denied one is recorded blocked, nothing sent); 200 when the idempotency key was used before',
        params: idParam,
        body: sendBody,
        headers: z.object({
          'idempotency-key': z.string().min(1).max(channelLimits.idempotencyKeyChars).optional(),
        }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const accountId = request.params.id;
      await scopedAccount(request, accountId);
      const body = request.body;
      if (body.channel === 'email' && (body.subject === undefined || body.subject.trim() === '')) {
        throw new RequestFieldError('body.subject', 'an e-mail needs a subject');
      }
      if (body.channel === 'sms' && body.text.length > channelLimits.smsChars) {
        throw new RequestFieldError('body.text', `an SMS has at most ${channelLimits.smsChars} characters`);
      }
      const principal = principalOf(request);
      const outcome = await sendMessage(
        db,
        {
          accountId,
          contactPointId: body.contact_point_id,
          channel: body.channel,
          party: body.party,
          purpose: body.purpose,
          subject: body.subject ?? null,
          text: body.text,
          html: body.html ?? null,
          template: body.template ?? null,
          idempotencyKey: body.idempotency_key ?? request.headers['idempotency-key'],
          actor: principal.username,
          actorUserId: principal.userId,
          ip: request.ip,
        },
        channels,
      );
      return reply.status(outcome.repeated ? 200 : 201).send(outcome);
    },
  );

  app.get(
    '/accounts/:id/messages',
    {
      schema: {
        response: documented({
          200: z.object({ items: z.array(messageResponse), total: int, page: int, page_size: int }),
        }),
        tags: ['channels'],
        summary: "The account's e-mails and SMS, newest first, with their status and the gate's reasons",
        params: idParam,
        querystring: z.object(pageQuery),
      },
      preValidation: requireRoles(...staffRoles, 'client'),
    },
    async (request) =>
      readScoped(db, request, async (trx) => {
        await scopedAccount(request, request.params.id, trx);
        const query = request.query;
        const { items, total } = await listMessages(trx, request.params.id, {
          offset: (query.page - 1) * query.page_size,
          limit: query.page_size,
        });
        return pageOf(items, total, query);
      }),
  );

  app.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary: 'Which channels are configured on this server, and their providers',
      },
      preValidation: requireRoles(...staffRoles),
    },
    async () => ({
      email: {
        configured: channels.email !== null && channels.config.publicUrl !== null,
        provider: channels.email?.provider ?? null,
      },
      sms: { configured: channels.sms !== null, provider: channels.sms?.provider ?? null },
      letter: { configured: channels.config.agency !== null, provider: 'print' },
      call: { configured: channels.pbx !== null, provider: channels.pbx?.provider ?? null },
      webhooks: Object.fromEntries(
        smsProviders.map((name) => [name, { configured: channels.providers[name] !== undefined }]),
      ),
      public_url: channels.config.publicUrl,
    }),
  );

  app.post(
    '/channels/webhook-secrets',
    {
      schema: {
        tags: ['channels'],
        summary:
          "A new secret signing a provider's webhooks (X-Huikuan-Signature): aliyun for its SMS pushes, smtp for e-mail bounces; shown once, the older stays valid 24 hours",
        body: z.object({ provider: z.enum(['aliyun', 'smtp']) }),
      },
      preValidation: requireRoles('admin'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await createWebhookSecret(db, request.body.provider, principal.username);
      return reply.status(201).send({ provider: request.body.provider, ...created });
    },
  );

  await letterRoutes(app, deps, channels);
  await callRoutes(app, deps, channels);
  await pageRoutes(app, deps, channels);
  await channelStateRoutes(app, deps, channels);

  // ------------------------------------------------------------ no session: a signature instead

  await app.register(async (scope) => {
    const open = scope.withTypeProvider<ZodTypeProvider>();
    // the body exactly as sent, whatever its type: signatures are over the raw bytes
    open.removeAllContentTypeParsers();
    open.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: channelLimits.webhookBodyBytes },
      (_request, body, done) => done(null, body),
    );
    const limits = {
      bodyLimit: channelLimits.webhookBodyBytes,
      config: { rateLimit: { max: 6_000, timeWindow: 60_000 } },
    };

    async function webhook(
      provider: SmsProviderName,
      request: FastifyRequest,
      reply: FastifyReply,
      kind: WebhookKind,
    ) {
      const adapter = channels.providers[provider];
      if (!adapter?.webhooks) {
        throw new HuikuanError(
          'invalid_state',
          `${provider} is not configured on this server (README "Channels").`,
          {
            reason: 'channel_not_configured',
            channel: 'sms',
          },
        );
      }
      const webhookRequest: WebhookRequest = {
        url: `${channels.config.publicUrl ?? `${request.protocol}://${request.host}`}${request.url}`,
        headers: request.headers,
        rawBody: typeof request.body === 'string' ? request.body : '',
      };
      const secrets = provider === 'aliyun' ? await webhookSecrets(db, provider) : [];
      if (!adapter.webhooks.verify(webhookRequest, secrets, new Date())) {
        throw new HuikuanError(
          'unauthenticated',
          `The ${provider} webhook's signature is missing or wrong; nothing was recorded.`,
        );
      }
      const webhooks = adapter.webhooks;
      await readingBody(() =>
        kind === 'receipts'
          ? recordReceipts(db, provider, webhooks.receipts(webhookRequest))
          : recordReplies(db, provider, webhooks.replies(webhookRequest)),
      );
      const answer = adapter.webhooks.answer(kind);
      return reply.status(answer.status).type(answer.contentType).send(answer.body);
    }

    open.post(
      '/channels/sms/:provider/receipts',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary:
            "A provider's delivery receipts (Twilio status callback form; Aliyun SmsReport JSON array), signed; recorded once per message and status",
          params: providerParam,
        },
      },
      (request, reply) => webhook(request.params.provider, request, reply, 'receipts'),
    );
    open.post(
      '/channels/sms/:provider/inbound',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary:
            'Replies to SMS (Twilio incoming message form; Aliyun SmsUp JSON array), signed; TD / 退订 / STOP records the opt-out',
          params: providerParam,
        },
      },
      (request, reply) => webhook(request.params.provider, request, reply, 'inbound'),
    );

    open.post(
      '/channels/email/bounces',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary:
            'A bounce of an e-mail we sent: the raw RFC 3464 delivery status notification (multipart/report), signed with X-Huikuan-Timestamp and X-Huikuan-Signature under a secret of provider smtp; matched by the returned Message-ID, recorded once; a permanent bounce about the address marks the contact point invalid',
        },
      },
      async (request, reply) => {
        const webhookRequest: WebhookRequest = {
          url: request.url,
          headers: request.headers,
          rawBody: typeof request.body === 'string' ? request.body : '',
        };
        if (!verifySignedWebhook(webhookRequest, await webhookSecrets(db, 'smtp'), new Date())) {
          throw new HuikuanError(
            'unauthenticated',
            "The bounce webhook's signature is missing or wrong (X-Huikuan-Timestamp, X-Huikuan-Signature under an smtp webhook secret); nothing was recorded.",
          );
        }
        const dsn = await readingBody(() => parseDsn(webhookRequest.rawBody));
        return reply.status(200).send(await recordDsn(db, dsn));
      },
    );

    async function optOut(token: string, reply: FastifyReply, page: boolean) {
      const messageId = readOptOutToken(token);
      if (messageId === null) {
        throw new HuikuanError(
          'unauthenticated',
          'This opt-out link is not genuine: use the link of the message as it arrived.',
        );
      }
      const result = await optOutByLink(db, messageId);
      if (!page) return reply.status(200).send({ opted_out: true, channel: result.channel });
      const what = result.channel === 'email' ? '邮件 / e-mail' : '短信 / SMS';
      return reply
        .status(200)
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html><head><meta charset="utf-8"><title>退订成功 / Unsubscribed</title></head><body><h1>退订成功 / Unsubscribed</h1><p>${escapeHtml(result.recipient)} 将不再收到${escapeHtml(what)}。We will not send ${escapeHtml(what)} to ${escapeHtml(result.recipient)} again.</p></body></html>`,
        );
    }

    open.get(
      '/channels/opt-out/:token',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary: "A message's opt-out link: records the opt-out of its channel (an HTML page)",
          params: tokenParam,
        },
      },
      (request, reply) => optOut(request.params.token, reply, true),
    );
    open.post(
      '/channels/opt-out/:token',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary:
            'One-click opt-out (RFC 8058 List-Unsubscribe-Post): records the opt-out of the message’s channel',
          params: tokenParam,
        },
      },
      (request, reply) => optOut(request.params.token, reply, false),
    );
  });
}
