/**
 * One HTTP request to a provider, with the limits the channels keep: a time-out for the whole call,
 * an answer read up to a size, and an error that says whether the provider can have acted on it —
 * a failure before the connection was made is safe to retry, one after the request went out is not.
 */
import http from 'node:http';
import https from 'node:https';
import { SendError } from './adapter.ts';
import { channelLimits } from './model.ts';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const refusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function httpRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<HttpAnswer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
  return new Promise((resolve, reject) => {
    let connected = false;
    let settled = false;
    const fail = (error: SendError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = client.request(
      target,
      {
        method: init.method,
        headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        // a fresh connection per call: "connected" then means this call's connection
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > channelLimits.providerResponseBytes) {
            fail(
              new SendError(
                `${target.host} answered with more than ${channelLimits.providerResponseBytes} bytes.`,
                { ambiguous: true },
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', (cause) =>
          fail(
            new SendError(`${target.host} broke off its answer: ${cause.message}`, {
              ambiguous: true,
              cause,
            }),
          ),
        );
      },
    );
    // the request can have gone out only once the connection (and its TLS handshake) is up
    request.on('socket', (socket) => {
      socket.once(client === https ? 'secureConnect' : 'connect', () => {
        connected = true;
      });
    });
    request.on('error', (cause: NodeJS.ErrnoException) => {
      const before = !connected || refusedCodes.has(cause.code ?? '');
      fail(
        new SendError(
          before
            ? `${target.host} could not be reached (${cause.code ?? cause.message}).`
            : `The connection to ${target.host} failed after the request was sent (${cause.code ?? cause.message}).`,
          before ? { retryable: true, cause } : { ambiguous: true, cause },
        ),
      );
    });
    const timer = setTimeout(() => {
      fail(
        connected
          ? new SendError(`${target.host} did not answer within ${timeoutMs} ms.`, { ambiguous: true })
          : new SendError(`${target.host} could not be reached within ${timeoutMs} ms.`, { retryable: true }),
      );
    }, timeoutMs);
    request.end(body);
  });
}

/** `a=1&b=2` with every value percent-encoded the way forms are. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
