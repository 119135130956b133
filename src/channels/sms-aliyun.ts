/**
 * SMS through Aliyun's Dysms API (短信服务, version 2017-05-25), the shape most Chinese SMS APIs
 * share: `SendSms` with a signature name (签名), a template code and its parameters as JSON, signed
 * as an RPC request (parameters sorted and percent-encoded, HMAC-SHA1 under AccessKeySecret + "&",
 * base64). Huikuan's message id travels as OutId and comes back in the receipts.
 *
 * Webhooks: Aliyun's HTTP push of receipts (SmsReport) and replies (SmsUp) is a JSON array. Aliyun
 * does not sign it, so Huikuan accepts it only signed with a secret of its own (kept in
 * channel_webhook_secrets, made by an admin), by the relay or gateway that forwards the push:
 *
 *   X-Huikuan-Timestamp: <unix seconds>
 *   X-Huikuan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 *
 * within five minutes of the server's clock. The answer is {"code":0,"msg":"成功"}, which Aliyun
 * takes as received.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  type ChannelAdapter,
  type DeliveryReport,
  type InboundReply,
  type OutboundMessage,
  type ProviderWebhooks,
  SendError,
  type SendResult,
  verifySignedWebhook,
  type WebhookRequest,
} from './adapter.ts';
import type { AliyunSettings } from './config.ts';
import { httpRequest } from './http.ts';
import { channelLimits } from './model.ts';
import { jsonItems } from './webhook-body.ts';

/** RFC 3986 percent-encoding as Aliyun's signature wants it: only A–Z a–z 0–9 - _ . ~ stay. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonicalised query: parameters sorted by name, names and values percent-encoded. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

/** Signature = base64(HMAC-SHA1(AccessKeySecret + "&", METHOD + "&%2F&" + percentEncode(canonical query))). */
export function aliyunSignature(
  method: 'GET' | 'POST',
  params: Record<string, string>,
  secret: string,
): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** Aliyun's timestamp: ISO 8601 in UTC to the second, `2026-03-02T13:59:00Z`. */
function aliyunTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** Mainland numbers go without +86 (Aliyun's domestic form); others as digits with their country code. */
export function aliyunNumber(e164: string): string {
  return e164.startsWith('+86') ? e164.slice(3) : e164.replace(/^\+/, '');
}

/** Aliyun's receipts write "2026-03-02 21:59:00" in China time. */
function chinaTime(text: string | undefined, fallback: Date): Date {
  if (!text) return fallback;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return fallback;
  const at = new Date(`${match[1]}T${match[2]}+08:00`);
  return Number.isNaN(at.getTime()) ? fallback : at;
}

const sendAnswer = z.object({
  Code: z.string(),
  Message: z.string().optional(),
  BizId: z.string().optional(),
  RequestId: z.string().optional(),
});

const receipt = z.object({
  biz_id: z.string().min(1).max(200),
  out_id: z.string().max(64).optional(),
  success: z.boolean(),
  err_code: z.string().max(100).optional(),
  err_msg: z.string().max(500).optional(),
  phone_number: z.string().max(32).optional(),
  report_time: z.string().max(40).optional(),
});

const reply = z.object({
  sequence_id: z.union([z.number().int(), z.string().regex(/^\d{1,30}$/)]),
  phone_number: z.string().min(5).max(32),
  content: z.string().max(channelLimits.replyChars),
  send_time: z.string().max(40).optional(),
  sign_name: z.string().max(100).optional(),
  dest_code: z.string().max(40).optional(),
});

const webhooks: ProviderWebhooks = {
  verify: verifySignedWebhook,
  receipts(request: WebhookRequest): DeliveryReport[] {
    const now = new Date();
    return jsonItems(request.rawBody, receipt).map((item) => ({
      providerMessageId: item.biz_id,
      messageId: item.out_id && /^[1-9]\d{0,17}$/.test(item.out_id) ? BigInt(item.out_id) : null,
      providerStatus: item.success ? 'DELIVERED' : item.err_code || 'FAILED',
      status: item.success ? 'delivered' : 'undelivered',
      errorCode: item.success ? null : (item.err_code ?? null),
      at: chinaTime(item.report_time, now),
    }));
  },
  replies(request: WebhookRequest): InboundReply[] {
    const now = new Date();
    return jsonItems(request.rawBody, reply).map((item) => ({
      providerReplyId: String(item.sequence_id),
      from: item.phone_number,
      body: item.content,
      at: chinaTime(item.send_time, now),
    }));
  },
  answer: () => ({
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ code: 0, msg: '成功' }),
  }),
};

export function aliyunAdapter(
  settings: AliyunSettings,
  clock: () => Date = () => new Date(),
): ChannelAdapter {
  return {
    channel: 'sms',
    provider: 'aliyun',
    webhooks,
    async send(message: OutboundMessage, timeoutMs: number): Promise<SendResult> {
      const template = message.template ?? {
        code: settings.templateCode,
        params: { [settings.templateParam]: message.text },
      };
      const params: Record<string, string> = {
        AccessKeyId: settings.accessKeyId,
        Action: 'SendSms',
        Format: 'JSON',
        OutId: String(message.messageId),
        PhoneNumbers: aliyunNumber(message.to),
        RegionId: settings.regionId,
        SignName: settings.signName,
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: randomUUID(),
        SignatureVersion: '1.0',
        TemplateCode: template.code,
        TemplateParam: JSON.stringify(template.params),
        Timestamp: aliyunTimestamp(clock()),
        Version: '2017-05-25',
      };
      const signature = aliyunSignature('POST', params, settings.accessKeySecret);
      const answer = await httpRequest(
        `${settings.endpoint}/`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: `${canonicalQuery(params)}&Signature=${percentEncode(signature)}`,
        },
        timeoutMs,
      );
      let parsed: z.infer<typeof sendAnswer> | null = null;
      try {
        const result = sendAnswer.safeParse(JSON.parse(answer.body));
        if (result.success) parsed = result.data;
      } catch {
        parsed = null;
      }
      if (answer.status === 503 || answer.status === 429 || parsed?.Code.startsWith('Throttling')) {
        throw new SendError(`Aliyun is busy (${parsed?.Code ?? answer.status}); it sent nothing.`, {
          retryable: true,
        });
      }
      if (!parsed) {
        throw new SendError(`Aliyun answered ${answer.status} with something that is not its JSON.`, {
          ambiguous: answer.status < 400,
        });
      }
      if (parsed.Code !== 'OK' || !parsed.BizId) {
        throw new SendError(`Aliyun refused the SMS: ${parsed.Code} ${parsed.Message ?? ''}`.trim());
      }
      return {
        providerMessageId: parsed.BizId,
        detail: `Aliyun ${parsed.Code} request ${parsed.RequestId ?? ''}`.trim(),
      };
    },
  };
}
