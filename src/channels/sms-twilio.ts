/**
 * SMS through Twilio's Messages API (2010-04-01): POST /Accounts/{AccountSid}/Messages.json with
 * Basic auth (AccountSid : AuthToken), a form of To, From (or MessagingServiceSid), Body and
 * StatusCallback; the answer's `sid` is the message's id.
 *
 * Webhooks: status callbacks (MessageSid, MessageStatus, ErrorCode) and incoming messages
 * (MessageSid, From, To, Body) are forms signed by Twilio in X-Twilio-Signature: base64 of
 * HMAC-SHA1 under the AuthToken of the full URL Twilio called followed by every POST parameter,
 * sorted by name, as name + value. The URL is HUIKUAN_PUBLIC_URL + the path: behind a proxy it must
 * be what Twilio was given. Incoming messages are answered with an empty TwiML <Response/>.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  type ChannelAdapter,
  type DeliveryReport,
  header,
  type InboundReply,
  type OutboundMessage,
  type ProviderWebhooks,
  SendError,
  type SendResult,
  sameText,
  type WebhookRequest,
} from './adapter.ts';
import type { TwilioSettings } from './config.ts';
import { formBody, httpRequest } from './http.ts';
import { channelLimits, type DeliveryStatus } from './model.ts';
import { badField, formFields, parseBody } from './webhook-body.ts';

/** base64(HMAC-SHA1(authToken, url + name1 + value1 + name2 + value2 …)), names sorted. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + (params[name] ?? ''), url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Twilio's message statuses as Huikuan's: read / delivered are delivered; failed, undelivered, canceled are not. */
export function twilioStatus(status: string): DeliveryStatus {
  if (status === 'delivered' || status === 'read') return 'delivered';
  if (status === 'undelivered' || status === 'failed' || status === 'canceled') return 'undelivered';
  return 'sent';
}

const sid = z.string().regex(/^[A-Z]{2}[0-9a-f]{32}$/, 'a Twilio sid (two letters, 32 hex digits)');

const callback = z.object({
  MessageSid: sid,
  MessageStatus: z.string().regex(/^[a-z_]{1,40}$/, 'a Twilio message status'),
  AccountSid: sid,
  ErrorCode: z.string().max(20).optional(),
});

const incoming = z.object({
  MessageSid: sid,
  AccountSid: sid,
  From: z.string().min(3).max(40),
  To: z.string().max(40).optional(),
  Body: z.string().max(channelLimits.replyChars),
});

const created = z.object({ sid, status: z.string().optional() });
const refusal = z.object({ code: z.number().optional(), message: z.string().optional() });

function checkAccount(settings: TwilioSettings, accountSid: string): void {
  if (accountSid !== settings.accountSid)
    throw badField('body.AccountSid', 'is not the configured Twilio account');
}

function webhooksFor(settings: TwilioSettings): ProviderWebhooks {
  return {
    verify(request: WebhookRequest): boolean {
      const signature = header(request, 'x-twilio-signature');
      if (!signature) return false;
      const expected = twilioSignature(settings.authToken, request.url, formFields(request.rawBody));
      return sameText(expected, signature);
    },
    receipts(request: WebhookRequest): DeliveryReport[] {
      const fields = parseBody(callback, formFields(request.rawBody));
      checkAccount(settings, fields.AccountSid);
      const errorCode = fields.ErrorCode && fields.ErrorCode !== '' ? fields.ErrorCode : null;
      return [
        {
          providerMessageId: fields.MessageSid,
          messageId: null,
          providerStatus: fields.MessageStatus,
          status: twilioStatus(fields.MessageStatus),
          errorCode,
          at: new Date(),
        },
      ];
    },
    replies(request: WebhookRequest): InboundReply[] {
      const fields = parseBody(incoming, formFields(request.rawBody));
      checkAccount(settings, fields.AccountSid);
      return [{ providerReplyId: fields.MessageSid, from: fields.From, body: fields.Body, at: new Date() }];
    },
    answer: (kind) =>
      kind === 'inbound'
        ? {
            status: 200,
            contentType: 'text/xml; charset=utf-8',
            body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
          }
        : { status: 200, contentType: 'text/plain; charset=utf-8', body: '' },
  };
}

export function twilioAdapter(settings: TwilioSettings): ChannelAdapter {
  const basic = Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64');
  return {
    channel: 'sms',
    provider: 'twilio',
    webhooks: webhooksFor(settings),
    async send(message: OutboundMessage, timeoutMs: number): Promise<SendResult> {
      const fields: Record<string, string> = { To: message.to, Body: message.text };
      if (settings.messagingServiceSid) fields.MessagingServiceSid = settings.messagingServiceSid;
      else if (settings.from) fields.From = settings.from;
      if (message.statusCallbackUrl) fields.StatusCallback = message.statusCallbackUrl;
      const answer = await httpRequest(
        `${settings.apiBase}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${basic}`,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: formBody(fields),
        },
        timeoutMs,
      );
      let json: unknown = null;
      try {
        json = JSON.parse(answer.body);
      } catch {
        json = null;
      }
      if (answer.status === 429 || answer.status === 503) {
        throw new SendError(`Twilio is busy (HTTP ${answer.status}); it sent nothing.`, { retryable: true });
      }
      if (answer.status >= 400) {
        const why = refusal.safeParse(json);
        const detail = why.success
          ? `${why.data.code ?? ''} ${why.data.message ?? ''}`.trim()
          : answer.body.slice(0, 200);
        // 5xx other than 503: Twilio may or may not have queued it
        throw new SendError(`Twilio refused the SMS (HTTP ${answer.status}): ${detail}`, {
          ambiguous: answer.status >= 500,
        });
      }
      const result = created.safeParse(json);
      if (!result.success) {
        throw new SendError(`Twilio answered ${answer.status} without a message sid.`, { ambiguous: true });
      }
      return { providerMessageId: result.data.sid, detail: `Twilio ${result.data.status ?? 'accepted'}` };
    },
  };
}
