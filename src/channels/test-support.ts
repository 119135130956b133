/**
 * For the channels' tests (not a test file itself): an account whose debtor has a phone and an
 * e-mail address, a real SMTP server on loopback (npm smtp-server) that keeps what arrives, and a
 * small HTTP server on loopback standing in for a provider.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { maskEmail, maskPhone, piiCipher } from '../accounts/pii.ts';
import { gateFixture } from '../compliance/holds-fixture.ts';
import type { Database } from '../db/schema.ts';
import type { Principal } from '../server/access.ts';
import { buildServer } from '../server/app.ts';
import type { Api } from '../server/context.ts';
import { type ChannelConfig, unconfigured } from './config.ts';

/**
 * The gate's fixture (a CN client with one account, its debtor in China) whose phone is `phone`
 * (E.164, encrypted and hashed as an import stores it), with an e-mail address `email` besides.
 */
export async function channelFixture(
  db: Kysely<Database>,
  contact: { phone: string; email: string },
  jurisdiction = 'CN',
) {
  const f = await gateFixture(db, jurisdiction);
  const cipher = piiCipher();
  await db
    .updateTable('contact_points')
    .set({
      value_enc: cipher.encrypt(contact.phone),
      value_hash: cipher.searchHash(contact.phone),
      value_masked: maskPhone(contact.phone),
    })
    .where('id', '=', f.phoneId)
    .execute();
  const email = await db
    .insertInto('contact_points')
    .values({
      client_id: f.clientId,
      debtor_id: f.debtorId,
      kind: 'email',
      position: 2,
      value_text: contact.email,
      value_masked: maskEmail(contact.email),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    clientId: f.clientId,
    accountId: f.accountId,
    debtorId: f.debtorId,
    phoneId: f.phoneId,
    emailId: email.id,
  };
}

/** 10:00 on a Monday in Shanghai: inside CN's contact hours. */
export const daytime = new Date('2026-03-02T10:00:00+08:00');
/** 23:00 the same day: CN's quiet hours. */
export const night = new Date('2026-03-02T23:00:00+08:00');

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server on 127.0.0.1 (no TLS, no auth) keeping every message that arrives. `refuse`
 * answers RCPT TO with an SMTP error (e.g. 451 "try later" or 550 "no such user").
 */
export async function startSmtp(): Promise<{
  port: number;
  received: Received[];
  refuse: (reply: { code: number; message: string } | null) => void;
  rcptCalls: () => number;
  /** Runs `check` while a message's data arrives, before the server answers it (null: none). */
  whileReceiving: (check: (() => Promise<void>) | null) => void;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  let refusal: { code: number; message: string } | null = null;
  let receiving: (() => Promise<void>) | null = null;
  let rcpts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      rcpts++;
      if (refusal) {
        const error = new Error(refusal.message) as Error & { responseCode: number };
        error.responseCode = refusal.code;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        (receiving ? receiving() : Promise.resolve()).then(
          () => callback(),
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    refuse: (reply) => {
      refusal = reply;
    },
    rcptCalls: () => rcpts,
    whileReceiving: (check) => {
      receiving = check;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ProviderRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on 127.0.0.1 answering every request with `handle` (which sees the whole body). */
export async function startProvider(
  handle: (
    request: ProviderRequest,
  ) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown },
): Promise<{ url: string; requests: ProviderRequest[]; close: () => Promise<void> }> {
  const requests: ProviderRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const answer = await handle(request);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Settings for tests: no retries' waiting, short time-outs, the given parts. */
export function testConfig(parts: Partial<ChannelConfig>): ChannelConfig {
  return {
    ...unconfigured,
    sendTimeoutMs: 5_000,
    retryBackoffMs: 1,
    publicUrl: 'http://huikuan.test',
    ...parts,
  };
}

/** Callers for buildServer's `authenticate` (test/api.ts), named by the `x-test-caller` header. */
export { testCallers } from '../../test/api.ts';

/** The API on the test database with these channels, the caller named by the `x-test-caller` header. */
export function testServer(
  t: { db: Kysely<Database>; pool: Parameters<typeof buildServer>[0]['pool'] },
  channels: ChannelConfig,
  callers: Map<string, Principal>,
): Promise<Api> {
  return buildServer({
    db: t.db,
    pool: t.pool,
    webRoot: null,
    channels,
    authenticate: (request) => callers.get(String(request.headers['x-test-caller'] ?? '')) ?? null,
  });
}
