/**
 * E-mail over SMTP with nodemailer: a text and an HTML part, the opt-out link in both and in the
 * List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058 one-click), Huikuan's message id in
 * X-Huikuan-Message, and a Message-ID of our own (`<ID.RANDOM@sender-domain>`) known before the
 * send, so that a refusal and a later bounce can both be matched to the message. One connection per
 * message, with connection, greeting and socket time-outs. SMTP tells only whether the server
 * accepted the message: that is recorded as sent. A refusal of the recipient or the message (4xx /
 * 5xx to RCPT TO or DATA) is an `SmtpRejection` (bounces.ts): 4xx is tried again by the service,
 * 5xx is a permanent bounce; bounces that come back later arrive by webhook (bounces.ts).
 */
import { createTransport, type SendMailOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { type ChannelAdapter, type OutboundMessage, SendError, type SendResult } from './adapter.ts';
import { bounceOfReply, SmtpRejection } from './bounces.ts';
import type { SmtpSettings } from './config.ts';
import { newMessageIdHeader } from './message-id.ts';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  /** The server's reply line, e.g. "550 5.1.1 No such user". */
  response?: string;
  command?: string;
  message: string;
}

/** The commands whose refusal is about the recipient or the message (not our own MAIL FROM). */
const recipientCommands = new Set(['RCPT TO', 'DATA', 'DT', 'MESSAGE']);

/**
 * Safe to try again when the server certainly did not take the message: the connection failed
 * before the conversation, or the server answered 4xx ("try later").
 */
function classify(error: SmtpFailure, messageIdHeader: string): SendError {
  const reply = error.responseCode;
  const bounce =
    error.command !== undefined && recipientCommands.has(error.command)
      ? bounceOfReply(reply, error.response ?? error.message)
      : null;
  if (bounce) {
    const what = bounce.kind === 'temporary' ? 'deferred' : 'refused';
    return new SmtpRejection(
      `The SMTP server ${what} the message (${reply}${bounce.status ? ` ${bounce.status}` : ''}): ${error.message}`,
      bounce,
      messageIdHeader,
      error,
    );
  }
  if (reply !== undefined && reply >= 400 && reply < 500) {
    return new SendError(`The SMTP server deferred the message (${reply}): ${error.message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (reply !== undefined && reply >= 500) {
    return new SendError(`The SMTP server refused the message (${reply}): ${error.message}`, {
      cause: error,
    });
  }
  const before = error.code === 'ECONNECTION' || error.code === 'EDNS' || error.command === 'CONN';
  if (before) {
    return new SendError(`The SMTP server could not be reached: ${error.message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (error.code === 'EAUTH' || error.code === 'ETLS' || error.code === 'EENVELOPE') {
    return new SendError(`The SMTP server would not take the message (${error.code}): ${error.message}`, {
      cause: error,
    });
  }
  return new SendError(`The SMTP conversation broke off (${error.code ?? 'unknown'}): ${error.message}`, {
    ambiguous: true,
    cause: error,
  });
}

/**
 * Sends one e-mail from the channel's sender over a connection of its own under the channel's SMTP
 * settings (TLS, auth) and time-outs: the e-mail channel and the staff notification digest
 * (src/notifications). A `SendError` when the server accepts no recipient; nodemailer's error when
 * the conversation fails.
 */
export async function sendSmtpMail(
  settings: SmtpSettings,
  mail: Omit<SendMailOptions, 'from'>,
  timeoutMs: number,
): Promise<SMTPTransport.SentMessageInfo> {
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    auth: settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  });
  try {
    const info = await transport.sendMail({ ...mail, from: settings.from });
    if (info.accepted.length === 0) {
      throw new SendError(`The SMTP server accepted no recipient: ${info.response}`);
    }
    return info;
  } finally {
    transport.close();
  }
}

export function smtpAdapter(settings: SmtpSettings): ChannelAdapter {
  return {
    channel: 'email',
    provider: 'smtp',
    async send(message: OutboundMessage, timeoutMs: number): Promise<SendResult> {
      const headers: Record<string, string> = {
        'X-Huikuan-Message': String(message.messageId),
        'X-Auto-Response-Suppress': 'OOF, AutoReply',
      };
      if (message.optOutUrl) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      const messageIdHeader = newMessageIdHeader(message.messageId, settings.from);
      try {
        const info = await sendSmtpMail(
          settings,
          {
            messageId: messageIdHeader,
            to: message.to,
            subject: message.subject ?? '',
            text: message.text,
            html: message.html ?? undefined,
            headers,
            list: message.optOutUrl ? { unsubscribe: message.optOutUrl } : undefined,
          },
          timeoutMs,
        );
        return { providerMessageId: info.messageId, detail: info.response };
      } catch (error) {
        if (error instanceof SendError) throw error;
        throw classify(error as SmtpFailure, messageIdHeader);
      }
    },
  };
}
