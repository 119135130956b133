/**
 * The channels' rules without I/O: the limits on what is sent and received, the opt-out words of an
 * SMS reply, the opt-out line every text and e-mail carries, the HTML part made from a text, and
 * which message status a provider's receipt moves to. Pure.
 */
import { HuikuanError } from '../shared/errors.ts';

export const messageChannels = ['email', 'sms'] as const;
export type MessageChannel = (typeof messageChannels)[number];
/** Every channel a channel_messages row can have: the sent ones, letters and calls. */
export const allChannels = ['email', 'sms', 'letter', 'call'] as const;
export type AnyChannel = (typeof allChannels)[number];

export const smsProviders = ['aliyun', 'twilio'] as const;
export type SmsProviderName = (typeof smsProviders)[number];
export type ProviderName = 'smtp' | SmsProviderName | 'print' | 'asterisk';

/** Every limit of the channels in one place (README "Channels" lists them). */
export const channelLimits = {
  subjectChars: 200,
  emailTextChars: 20_000,
  emailHtmlChars: 100_000,
  /** Aliyun's long SMS is at most 500 characters with the signature; Twilio's 1,600. */
  smsChars: 500,
  templateParams: 20,
  templateParamChars: 200,
  idempotencyKeyChars: 200,
  /** Messages one `sendMessages` call (a batch job's chunk) may carry. */
  recipientsPerBatch: 500,
  /** A webhook's body, and the receipts or replies one push may carry. */
  webhookBodyBytes: 256 * 1024,
  webhookItems: 1_000,
  replyChars: 2_000,
  /** One provider call: connect, send and answer. */
  sendTimeoutMs: 15_000,
  /** Further tries after a failure the provider certainly did not act on (refused connection, 4xx SMTP, HTTP 429 / 503). */
  sendRetries: 2,
  retryBackoffMs: 500,
  /** The largest answer read from a provider. */
  providerResponseBytes: 64 * 1024,
  /** An HMAC-signed webhook's timestamp may be this far from the server's clock. */
  webhookClockSkewMs: 5 * 60_000,
  /** A webhook secret replaced by a newer one stays valid this long (rotation). */
  webhookSecretOverlapMs: 24 * 3_600_000,
} as const;

// ---------------------------------------------------------------- opt-out replies

/**
 * Words that, as the whole reply, opt the sender out of SMS: 退订 and TD (the Chinese carriers'
 * convention), STOP and the other words US carriers treat the same (CTIA). Compared after NFKC
 * (full-width letters become ASCII), case-folded, without surrounding spaces and punctuation.
 */
const optOutWords = new Set(['TD', '退订', 'STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);

export function isOptOutReply(text: string): boolean {
  const word = text
    .normalize('NFKC')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .toUpperCase();
  return optOutWords.has(word);
}

// ---------------------------------------------------------------- what is sent

const cjk = /[\u3400-\u9fff]/;

/** The opt-out line of an SMS in the message's language. */
export function smsOptOutLine(body: string): string {
  return cjk.test(body) ? '回复TD退订' : 'Reply STOP to opt out';
}

/** The SMS body with its opt-out line, unless it already tells how to opt out. */
export function withSmsOptOut(body: string): string {
  const trimmed = body.trim();
  if (/回复\s*(TD|退订)|\bSTOP\b/i.test(trimmed)) return trimmed;
  return `${trimmed}${cjk.test(trimmed) ? '，' : ' '}${smsOptOutLine(trimmed)}`;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The e-mail's opt-out footer, text and HTML, in the message's language. */
export function emailOptOutFooter(sample: string, url: string): { text: string; html: string } {
  const zh = cjk.test(sample);
  const words = zh
    ? '如不希望再收到此类邮件，请点击退订：'
    : 'To stop receiving these e-mails, unsubscribe here: ';
  const link = zh ? '退订' : 'unsubscribe';
  const lead = zh ? '如不希望再收到此类邮件，请' : 'To stop receiving these e-mails, ';
  return {
    text: `\n\n--\n${words}${url}\n`,
    html: `<hr><p style="font-size:12px;color:#666">${escapeHtml(lead)}<a href="${escapeHtml(url)}">${link}</a>${zh ? '。' : '.'}</p>`,
  };
}

/** An HTML part from a text: paragraphs on blank lines, line breaks kept, everything escaped. */
export function htmlFromText(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replaceAll('\n', '<br>')}</p>`)
    .join('\n');
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string | null;
}

export interface SmsContent {
  body: string;
  template: { code: string; params: Record<string, string> } | null;
}

function tooLong(field: string, limit: number, length: number): HuikuanError {
  return new HuikuanError(
    'limit_exceeded',
    `The ${field} has ${length} characters; at most ${limit} are sent. Shorten it and send again.`,
    { field, limit, length },
  );
}

export function checkEmailContent(content: EmailContent): EmailContent {
  const subject = content.subject.trim();
  if (subject === '' || /[\r\n]/.test(subject)) {
    throw new HuikuanError('bad_input', 'An e-mail needs a subject of one line.');
  }
  if (subject.length > channelLimits.subjectChars)
    throw tooLong('subject', channelLimits.subjectChars, subject.length);
  if (content.text.trim() === '') throw new HuikuanError('bad_input', 'An e-mail needs a text part.');
  if (content.text.length > channelLimits.emailTextChars)
    throw tooLong('text', channelLimits.emailTextChars, content.text.length);
  if (content.html !== null && content.html.length > channelLimits.emailHtmlChars)
    throw tooLong('html', channelLimits.emailHtmlChars, content.html.length);
  return { subject, text: content.text, html: content.html };
}

export function checkSmsContent(content: SmsContent): SmsContent {
  const body = content.body.trim();
  if (body === '') throw new HuikuanError('bad_input', 'An SMS needs a text.');
  const sent = withSmsOptOut(body);
  if (sent.length > channelLimits.smsChars) throw tooLong('SMS', channelLimits.smsChars, sent.length);
  const template = content.template;
  if (template) {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(template.code)) {
      throw new HuikuanError(
        'bad_input',
        `"${template.code}" is not a template code (letters, digits, _ or -).`,
      );
    }
    const entries = Object.entries(template.params);
    if (entries.length > channelLimits.templateParams) {
      throw tooLong('template parameter list', channelLimits.templateParams, entries.length);
    }
    for (const [name, value] of entries) {
      if (value.length > channelLimits.templateParamChars)
        throw tooLong(`template parameter ${name}`, channelLimits.templateParamChars, value.length);
    }
  }
  return { body, template };
}

// ---------------------------------------------------------------- receipts

export type DeliveryStatus = 'sent' | 'delivered' | 'undelivered';

/**
 * A message's status: pending (claimed, not sent), blocked (the gate denied it), sending (handed to
 * the provider, answer unknown), sent, failed (refused or unreachable), delivered, undelivered.
 */
export type MessageStatus =
  | 'pending'
  | 'blocked'
  | 'sending'
  | 'sent'
  | 'failed'
  | DeliveryStatus
  /** A letter: its PDF stored, waiting for a print batch; then printed. */
  | 'queued'
  | 'printed';

/**
 * The message's status after a receipt: forward only (a late "sent" after "delivered" changes
 * nothing; delivered and undelivered are final). Null when it stays as it is.
 */
export function nextStatus(current: MessageStatus, receipt: DeliveryStatus): MessageStatus | null {
  if (current === 'delivered' || current === 'undelivered' || current === 'blocked') return null;
  if (receipt === 'sent') return current === 'sent' ? null : 'sent';
  return receipt;
}
