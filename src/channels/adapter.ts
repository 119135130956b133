/**
 * The one interface of an outbound channel: send a message; and, for providers that push, check a
 * webhook's signature and read the delivery receipts and the replies it carries. E-mail over SMTP
 * (email.ts), SMS through Aliyun's Dysms API (sms-aliyun.ts) and Twilio's Messages API
 * (sms-twilio.ts) implement it; the service (service.ts) is the only caller, after the rule gate.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { channelLimits, type DeliveryStatus, type MessageChannel, type ProviderName } from './model.ts';

export interface OutboundMessage {
  /** Huikuan's id of the message (Aliyun's OutId, the e-mail's X-Huikuan-Message header). */
  messageId: bigint;
  idempotencyKey: string;
  /** An e-mail address, or a phone number in E.164. */
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  template: { code: string; params: Record<string, string> } | null;
  /** The signed opt-out link (e-mail: in the footer and the List-Unsubscribe header). */
  optOutUrl: string | null;
  /** Where the provider posts this message's delivery receipts, when it takes one per message. */
  statusCallbackUrl: string | null;
}

export interface SendResult {
  providerMessageId: string;
  /** The provider's answer, for the record (no secrets). */
  detail: string;
}

/**
 * A send that failed. `retryable`: the provider certainly did not act on it (the connection was
 * refused, it answered "try later"), so trying again cannot send twice. `ambiguous`: it may have
 * been sent (no answer in time): never tried again, the message stays `sending`.
 */
export class SendError extends Error {
  readonly retryable: boolean;
  readonly ambiguous: boolean;

  constructor(message: string, options: { retryable?: boolean; ambiguous?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SendError';
    this.retryable = options.retryable ?? false;
    this.ambiguous = options.ambiguous ?? false;
  }
}

export interface WebhookRequest {
  /** The URL the provider called, as the world sees it (the public URL and the path with its query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received. */
  rawBody: string;
}

export interface DeliveryReport {
  providerMessageId: string;
  /** Huikuan's message id when the provider echoes it (Aliyun's out_id). */
  messageId: bigint | null;
  providerStatus: string;
  status: DeliveryStatus;
  errorCode: string | null;
  at: Date;
}

export interface InboundReply {
  providerReplyId: string;
  /** The sender's number as the provider wrote it. */
  from: string;
  body: string;
  at: Date;
}

export type WebhookKind = 'receipts' | 'inbound';

export interface WebhookAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface ProviderWebhooks {
  /**
   * Whether the request was signed by the provider. `secrets` are the webhook secrets kept for the
   * provider (channel_webhook_secrets); providers that sign with their own credentials ignore them.
   */
  verify(request: WebhookRequest, secrets: readonly string[], now: Date): boolean;
  /** Throws a HuikuanError naming the field when the body is not the provider's shape. */
  receipts(request: WebhookRequest): DeliveryReport[];
  replies(request: WebhookRequest): InboundReply[];
  /** What the provider expects back once the webhook is recorded. */
  answer(kind: WebhookKind): WebhookAnswer;
}

export interface ChannelAdapter {
  readonly channel: MessageChannel;
  readonly provider: ProviderName;
  /** One try; throws SendError. Time-outs are the adapter's (`timeoutMs` for the whole call). */
  send(message: OutboundMessage, timeoutMs: number): Promise<SendResult>;
  /** Present for providers that push receipts and replies. */
  readonly webhooks?: ProviderWebhooks;
  close?(): void;
}

/** The header value of a request, first of several. */
export function header(request: WebhookRequest, name: string): string | null {
  const value = request.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/** Compares a signature in constant time. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Huikuan's own webhook signature: `sha256=` hex HMAC-SHA256(secret, timestamp + "." + raw body). */
export function webhookSignature(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/**
 * Whether the request carries a valid X-Huikuan-Signature under one of `secrets`, its
 * X-Huikuan-Timestamp within the clock skew: the Aliyun webhooks and the e-mail bounces.
 */
export function verifySignedWebhook(request: WebhookRequest, secrets: readonly string[], now: Date): boolean {
  const timestamp = header(request, 'x-huikuan-timestamp');
  const signature = header(request, 'x-huikuan-signature');
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > channelLimits.webhookClockSkewMs) return false;
  return secrets.some((secret) => sameText(webhookSignature(secret, timestamp, request.rawBody), signature));
}
