/**
 * E-mail over SMTP with nodemailer: a text and an HTML part, the opt-out link in both and in the
 * List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058 one-click), Huikuan's message id in
 * X-Huikuan-Message. One connection per message, with connection, greeting and socket time-outs.
 * SMTP tells only whether the server accepted the message: that is recorded as sent; bounces are
 * not read (no inbound mail).
 */
import { createTransport } from 'nodemailer';
import { type ChannelAdapter, type OutboundMessage, SendError, type SendResult } from './adapter.ts';
import type { SmtpSettings } from './config.ts';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  command?: string;
  message: string;
}

/**
 * Safe to try again when the server certainly did not take the message: the connection failed
 * before the conversation, or the server answered 4xx ("try later").
 */
function classify(error: SmtpFailure): SendError {
  const reply = error.responseCode;
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

export function smtpAdapter(settings: SmtpSettings): ChannelAdapter {
  return {
    channel: 'email',
    provider: 'smtp',
    async send(message: OutboundMessage, timeoutMs: number): Promise<SendResult> {
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
      const headers: Record<string, string> = {
        'X-Huikuan-Message': String(message.messageId),
        'X-Auto-Response-Suppress': 'OOF, AutoReply',
      };
      if (message.optOutUrl) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      try {
        const info = await transport.sendMail({
          from: settings.from,
          to: message.to,
          subject: message.subject ?? '',
          text: message.text,
          html: message.html ?? undefined,
          headers,
          list: message.optOutUrl ? { unsubscribe: message.optOutUrl } : undefined,
        });
        const accepted = info.accepted.length;
        if (accepted === 0) {
          throw new SendError(`The SMTP server accepted no recipient: ${info.response}`);
        }
        return { providerMessageId: info.messageId, detail: info.response };
      } catch (error) {
        if (error instanceof SendError) throw error;
        throw classify(error as SmtpFailure);
      } finally {
        transport.close();
      }
    },
  };
}
