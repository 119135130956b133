/**
 * Personal data at rest: national ID numbers and phone numbers are stored encrypted (AES-256-GCM,
 * random 12-byte IV, one bytea = version ‖ iv ‖ tag ‖ ciphertext) with a keyed hash (HMAC-SHA-256
 * under a key derived separately from the data key) for exact-match search, and shown masked.
 *
 * The data key comes from HUIKUAN_DATA_KEY (64 hex characters or base64 of 32 bytes). With neither
 * HUIKUAN_DATA_KEY nor DATABASE_URL set (the embedded default) one is generated once and kept in
 * `$HUIKUAN_HOME/data-key` (mode 0600).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { HuikuanError } from '../shared/errors.ts';

const version = 1;
const ivLength = 12;
const tagLength = 16;
const headerLength = 1 + ivLength + tagLength;
const ivPoolSize = 4096;

export interface CipherKeys {
  encryptionKey: Uint8Array;
  searchKey: Uint8Array;
}

export class PiiCipher {
  readonly #encryptionKey: Buffer;
  readonly #searchKey: Buffer;
  /** the search key imported once: HMAC under a KeyObject costs a third less than under raw bytes */
  readonly #searchKeyObject: KeyObject;
  #ivPool = Buffer.alloc(0);
  #ivOffset = 0;

  constructor(dataKey: Buffer, derived?: CipherKeys) {
    if (derived) {
      this.#encryptionKey = Buffer.from(derived.encryptionKey);
      this.#searchKey = Buffer.from(derived.searchKey);
    } else {
      if (dataKey.length !== 32) throw new HuikuanError('bad_usage', 'The data key must be 32 bytes.');
      this.#encryptionKey = Buffer.from(hkdfSync('sha256', dataKey, '', 'huikuan pii encryption v1', 32));
      this.#searchKey = Buffer.from(hkdfSync('sha256', dataKey, '', 'huikuan pii search v1', 32));
    }
    this.#searchKeyObject = createSecretKey(this.#searchKey);
  }

  /** The derived keys, for a worker thread of this process (never written anywhere). */
  keys(): CipherKeys {
    return {
      encryptionKey: Uint8Array.from(this.#encryptionKey),
      searchKey: Uint8Array.from(this.#searchKey),
    };
  }

  /** A cipher with the same keys as `keys()` of another, in a worker thread. */
  static fromKeys(keys: CipherKeys): PiiCipher {
    return new PiiCipher(Buffer.alloc(0), keys);
  }

  /** version ‖ iv ‖ tag ‖ ciphertext */
  encrypt(plain: string): Buffer {
    if (this.#ivOffset + ivLength > this.#ivPool.length) {
      this.#ivPool = randomBytes(ivLength * ivPoolSize);
      this.#ivOffset = 0;
    }
    const iv = this.#ivPool.subarray(this.#ivOffset, this.#ivOffset + ivLength);
    this.#ivOffset += ivLength;
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv);
    const body = cipher.update(plain, 'utf8');
    const final = cipher.final();
    const out = Buffer.allocUnsafe(headerLength + body.length + final.length);
    out[0] = version;
    iv.copy(out, 1);
    cipher.getAuthTag().copy(out, 1 + ivLength);
    body.copy(out, headerLength);
    final.copy(out, headerLength + body.length);
    return out;
  }

  decrypt(sealed: Buffer | Uint8Array): string {
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (data.length < headerLength || data[0] !== version) {
      throw new HuikuanError('internal', 'Encrypted value has an unknown format version.');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, data.subarray(1, 1 + ivLength));
    decipher.setAuthTag(data.subarray(1 + ivLength, headerLength));
    try {
      return Buffer.concat([decipher.update(data.subarray(headerLength)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new HuikuanError(
        'internal',
        'An encrypted value does not decrypt with this data key. Check HUIKUAN_DATA_KEY is the key the data was written with.',
        undefined,
        { cause },
      );
    }
  }

  /** Keyed hash of a normalised value (E.164 phone, upper-case ID number) for exact-match search. */
  searchHash(normalised: string): Buffer {
    return createHmac('sha256', this.#searchKeyObject).update(normalised, 'utf8').digest();
  }

  /** Encrypts and hashes many values: [ciphertext hex, hash hex] per value, flat. */
  sealHex(values: string[]): string[] {
    const out: string[] = new Array(values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const value = values[i] ?? '';
      out[2 * i] = this.encrypt(value).toString('hex');
      out[2 * i + 1] = this.searchHash(value).toString('hex');
    }
    return out;
  }

  /**
   * A worker thread doing `sealHex` off the main thread, so bulk imports parse and encrypt at once.
   * Results come back in the order asked for.
   */
  startWorker(): PiiWorker {
    return new PiiWorker(this.#encryptionKey, this.#searchKey);
  }
}

// The worker is plain JavaScript evaluated from a string, so it runs the same under tsx, vitest and
// a build. It writes exactly what PiiCipher.encrypt and searchHash write.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createHmac, createSecretKey, randomBytes } = require('node:crypto');
const encryptionKey = Buffer.from(workerData.encryptionKey);
const searchKey = createSecretKey(Buffer.from(workerData.searchKey));
const head = Buffer.of(${version});
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
parentPort.on('message', ({ id, values }) => {
  const out = new Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    if (ivOffset + ${ivLength} > ivPool.length) { ivPool = randomBytes(${ivLength * ivPoolSize}); ivOffset = 0; }
    const iv = ivPool.subarray(ivOffset, ivOffset + ${ivLength});
    ivOffset += ${ivLength};
    const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
    const body = cipher.update(values[i], 'utf8');
    const final = cipher.final();
    out[2 * i] = Buffer.concat([head, iv, cipher.getAuthTag(), body, final]).toString('hex');
    out[2 * i + 1] = createHmac('sha256', searchKey).update(values[i], 'utf8').digest('hex');
  }
  parentPort.postMessage({ id, out });
});
`;

export class PiiWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (out: string[]) => void; reject: (error: Error) => void }>();
  #next = 0;
  #failure: Error | null = null;

  constructor(encryptionKey: Buffer, searchKey: Buffer) {
    this.#worker = new Worker(workerSource, { eval: true, workerData: { encryptionKey, searchKey } });
    this.#worker.on('message', ({ id, out }: { id: number; out: string[] }) => {
      this.#waiting.get(id)?.resolve(out);
      this.#waiting.delete(id);
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (this.#waiting.size > 0) fail(new Error(`the encryption worker stopped (exit code ${code})`));
    });
  }

  sealHex(values: string[]): Promise<string[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, values });
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

// ------------------------------------------------------------------ the data key

export function parseDataKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,43}={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(
      trimmed,
      trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64',
    );
    if (decoded.length === 32) return decoded;
  }
  throw new HuikuanError(
    'bad_usage',
    'HUIKUAN_DATA_KEY must be 32 bytes written as 64 hexadecimal characters or base64 (generate one with `openssl rand -hex 32`).',
  );
}

export function huikuanHome(): string {
  return path.resolve(process.env.HUIKUAN_HOME ?? '.huikuan');
}

/** The data key: HUIKUAN_DATA_KEY, else (embedded default only) the generated one kept in HUIKUAN_HOME. */
export function loadDataKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const configured = env.HUIKUAN_DATA_KEY;
  if (configured !== undefined && configured.trim() !== '') return parseDataKey(configured);
  if (env.DATABASE_URL) {
    throw new HuikuanError(
      'bad_usage',
      'HUIKUAN_DATA_KEY is not set. With DATABASE_URL the data key that encrypts ID numbers and phone numbers must be given: set HUIKUAN_DATA_KEY to 64 hex characters (`openssl rand -hex 32`), the same for every process, and keep a copy safe — without it the encrypted data cannot be read.',
    );
  }
  const home = path.resolve(env.HUIKUAN_HOME ?? '.huikuan');
  const file = path.join(home, 'data-key');
  try {
    return parseDataKey(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof HuikuanError) {
        throw new HuikuanError('bad_usage', `${file} does not hold a valid data key: ${error.message}`);
      }
      throw error;
    }
  }
  mkdirSync(home, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseDataKey(readFileSync(file, 'utf8'));
}

let shared: { key: string; cipher: PiiCipher } | undefined;

/** The process's cipher for the current data key (key objects are derived once and reused). */
export function piiCipher(): PiiCipher {
  const key = loadDataKey();
  const fingerprint = key.toString('hex');
  if (shared?.key !== fingerprint) shared = { key: fingerprint, cipher: new PiiCipher(key) };
  return shared.cipher;
}

// ------------------------------------------------------------------ masking

/** `110101199003071234` → `1101**********1234` */
export function maskIdNumber(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

/** `+8613812345678` → `+86 138****5678` */
export function maskPhone(e164: string): string {
  const code = countryCallingCode(e164);
  const national = e164.slice(1 + code.length);
  if (national.length <= 7)
    return `+${code} ${national.slice(0, 1)}${'*'.repeat(Math.max(national.length - 3, 0))}${national.slice(-2)}`;
  return `+${code} ${national.slice(0, 3)}${'*'.repeat(national.length - 7)}${national.slice(-4)}`;
}

/** `zhang.san@example.com` → `z***@example.com` */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

const callingCodes = [
  '1',
  '7',
  '20',
  '27',
  '30',
  '31',
  '32',
  '33',
  '34',
  '36',
  '39',
  '40',
  '41',
  '43',
  '44',
  '45',
  '46',
  '47',
  '48',
  '49',
  '51',
  '52',
  '53',
  '54',
  '55',
  '56',
  '57',
  '58',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '81',
  '82',
  '84',
  '86',
  '90',
  '91',
  '92',
  '93',
  '94',
  '95',
  '98',
];

function countryCallingCode(e164: string): string {
  const digits = e164.slice(1);
  for (const length of [1, 2]) {
    const code = digits.slice(0, length);
    if (callingCodes.includes(code)) return code;
  }
  return digits.slice(0, 3);
}
