/**
 * The opt-out link of a message: `<public URL>/api/v1/channels/opt-out/<token>`, the token being the
 * message id and an HMAC-SHA-256 of it (16 bytes, base64url) under a key derived from the data key
 * (HUIKUAN_DATA_KEY, src/accounts/pii.ts) — nothing more to configure, and a token cannot be made
 * for another message. It does not expire: an opt-out must work whenever the person uses it.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { loadDataKey } from '../accounts/pii.ts';

const keys = new Map<string, { fingerprint: string; key: Buffer }>();

/** A key for one purpose (`info`), derived from the data key with HKDF-SHA-256: the links' keys. */
export function derivedKey(info: string): Buffer {
  const dataKey = loadDataKey();
  const fingerprint = dataKey.toString('hex');
  const cached = keys.get(info);
  if (cached?.fingerprint === fingerprint) return cached.key;
  const key = Buffer.from(hkdfSync('sha256', dataKey, '', info, 32));
  keys.set(info, { fingerprint, key });
  return key;
}

const linkKey = () => derivedKey('huikuan opt-out link v1');

function mac(messageId: bigint): string {
  return createHmac('sha256', linkKey())
    .update(`opt-out:${messageId}`, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

export function optOutToken(messageId: bigint): string {
  return `${messageId}.${mac(messageId)}`;
}

/** The message id of a genuine token, else null. */
export function readOptOutToken(token: string): bigint | null {
  const match = /^([1-9]\d{0,17})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!match) return null;
  const id = BigInt(match[1] ?? '0');
  const given = Buffer.from(match[2] ?? '', 'base64url');
  const expected = Buffer.from(mac(id), 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

export const optOutPath = '/api/v1/channels/opt-out/';

export function optOutUrl(publicUrl: string, messageId: bigint): string {
  return `${publicUrl.replace(/\/+$/, '')}${optOutPath}${optOutToken(messageId)}`;
}
