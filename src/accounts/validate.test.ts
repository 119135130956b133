import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMinor, parseAmount } from '../shared/money.ts';
import { loadDataKey, maskEmail, maskIdNumber, maskPhone, PiiCipher, parseDataKey } from './pii.ts';
import { checkChineseId, checkCountry, checkEmail, idCheckCharacter, normalisePhone } from './validate.ts';

/** 17 digits with a real province and birth date. */
const first17 = fc
  .record({
    region: fc.constantFrom('110105', '310104', '440305', '510107', '650102'),
    birth: fc.date({
      min: new Date('1930-01-01T00:00:00Z'),
      max: new Date('2005-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    sequence: fc.integer({ min: 0, max: 999 }),
  })
  .map(
    ({ region, birth, sequence }) =>
      `${region}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(sequence).padStart(3, '0')}`,
  );

describe('PRC resident ID', () => {
  it('accepts known-good numbers, with X as check character', () => {
    expect(checkChineseId('11010519491231002X')).toEqual({
      ok: true,
      value: { id: '11010519491231002X', birthDate: '1949-12-31' },
    });
    expect(checkChineseId(' 11010519491231002x ').ok).toBe(true);
    expect(checkChineseId('440524188001010014').ok).toBe(false); // born before 1900
  });

  it('accepts every number with its MOD 11-2 check character and refuses every other final character', () => {
    fc.assert(
      fc.property(first17, fc.constantFrom(...'0123456789X'), (digits, last) => {
        const expected = idCheckCharacter(digits);
        expect(checkChineseId(`${digits}${last}`).ok).toBe(last === expected);
      }),
    );
  });

  it('refuses wrong length, letters, unknown provinces and impossible birth dates', () => {
    expect(checkChineseId('1101051949123100').ok).toBe(false);
    expect(checkChineseId('11010519491231002A').ok).toBe(false);
    const badProvince = `990105194912310${'02'}`;
    expect(checkChineseId(`${badProvince}${idCheckCharacter(badProvince)}`).ok).toBe(false);
    const feb30 = '11010519490230002';
    const result = checkChineseId(`${feb30}${idCheckCharacter(feb30)}`);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/birth date/) });
  });
});

describe('phones to E.164', () => {
  it.each([
    ['13812345678', '+8613812345678'],
    ['138 1234 5678', '+8613812345678'],
    ['+86 138-1234-5678', '+8613812345678'],
    ['008613812345678', '+8613812345678'],
    ['8613812345678', '+8613812345678'],
    ['010-12345678', '+861012345678'],
    ['(0755) 2345 6789', '+8675523456789'],
    ['021-6234-5678', '+862162345678'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+852 2123 4567', '+85221234567'],
  ])('%s → %s', (input, expected) => {
    expect(normalisePhone(input)).toEqual({ ok: true, value: expected });
  });

  it('reads national forms of other default countries', () => {
    expect(normalisePhone('(415) 555-2671', 'US')).toEqual({ ok: true, value: '+14155552671' });
    expect(normalisePhone('020 7946 0958', 'GB')).toEqual({ ok: true, value: '+442079460958' });
  });

  it.each([
    '138',
    '12812345678',
    '1381234567a',
    '12345678',
    '+1 415 555',
    '+0 123',
    '+86 138 1234 56789',
    '',
  ])('refuses %s', (input) => {
    expect(normalisePhone(input).ok).toBe(false);
  });

  it('normalises every mainland mobile however it is spaced', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 9 }),
        fc.stringMatching(/^\d{9}$/),
        fc.constantFrom('', '+86', '0086', '+86 '),
        (second, rest, prefix) => {
          const national = `1${second}${rest}`;
          const spaced = `${national.slice(0, 3)} ${national.slice(3, 7)}-${national.slice(7)}`;
          expect(normalisePhone(`${prefix}${spaced}`)).toEqual({ ok: true, value: `+86${national}` });
        },
      ),
    );
  });
});

describe('e-mail and country', () => {
  it('checks e-mail syntax and lower-cases the domain', () => {
    expect(checkEmail(' Zhang.San@Example.COM ')).toEqual({ ok: true, value: 'Zhang.San@example.com' });
    for (const bad of ['zhang', 'a@b', 'a@@b.com', '.a@b.com', 'a..b@c.com', 'a b@c.com']) {
      expect(checkEmail(bad).ok).toBe(false);
    }
  });

  it('accepts ISO 3166 alpha-2 codes and a few names', () => {
    expect(checkCountry('cn')).toEqual({ ok: true, value: 'CN' });
    expect(checkCountry('中国')).toEqual({ ok: true, value: 'CN' });
    expect(checkCountry('XX').ok).toBe(false);
    expect(checkCountry('UK')).toEqual({ ok: true, value: 'GB' });
  });
});

describe('amounts (shared parseAmount as placement files use it)', () => {
  it.each([
    ['12345.67', 1234567n],
    ['12,345.67', 1234567n],
    ['¥12,345.67', 1234567n],
    ['￥12,345.67', 1234567n],
    ['RMB 100', 10000n],
    ['0.5', 50n],
    ['0', 0n],
  ])('%s → %s', (text, minor) => {
    expect(parseAmount(text, 'CNY')).toEqual({ ok: true, minor });
  });

  it.each(['12.345', '1e4', '1.2345e4', '-5', '12,34.00', 'abc', ''])('refuses %s', (text) => {
    expect(parseAmount(text, 'CNY').ok).toBe(false);
  });

  it('parses what formatMinor writes, for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.boolean(), (minor, symbol) => {
        expect(parseAmount(formatMinor(minor, 'CNY', { symbol }), 'CNY')).toEqual({ ok: true, minor });
      }),
    );
  });
});

describe('PII', () => {
  const cipher = new PiiCipher(Buffer.alloc(32, 7));

  it('encrypts with a fresh IV each time, decrypts back, and refuses tampering', () => {
    const a = cipher.encrypt('11010519491231002X');
    const b = cipher.encrypt('11010519491231002X');
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + 16 + 18);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from('11010519491231002X'))).toBe(false);
    expect(cipher.decrypt(a)).toBe('11010519491231002X');
    const tampered = Buffer.from(a);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => cipher.decrypt(tampered)).toThrow(/does not decrypt/);
    expect(() => new PiiCipher(Buffer.alloc(32, 8)).decrypt(a)).toThrow(/does not decrypt/);
  });

  it('round-trips any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(cipher.decrypt(cipher.encrypt(text))).toBe(text);
      }),
    );
  });

  it('hashes deterministically under a key separate from the encryption key', () => {
    const hash = cipher.searchHash('+8613812345678');
    expect(hash).toHaveLength(32);
    expect(cipher.searchHash('+8613812345678').equals(hash)).toBe(true);
    expect(new PiiCipher(Buffer.alloc(32, 8)).searchHash('+8613812345678').equals(hash)).toBe(false);
  });

  it('seals in a worker thread exactly as in process', async () => {
    const values = ['11010519491231002X', '+8613812345678', '张三'];
    const worker = cipher.startWorker();
    try {
      const sealed = await worker.sealHex(values);
      const again = await worker.sealHex(values);
      expect(sealed).toHaveLength(6);
      values.forEach((value, i) => {
        expect(cipher.decrypt(Buffer.from(sealed[2 * i] ?? '', 'hex'))).toBe(value);
        expect(sealed[2 * i + 1]).toBe(cipher.searchHash(value).toString('hex'));
        expect(again[2 * i]).not.toBe(sealed[2 * i]);
      });
      expect(cipher.sealHex(values).filter((_, i) => i % 2 === 1)).toEqual(
        sealed.filter((_, i) => i % 2 === 1),
      );
    } finally {
      await worker.close();
    }
  });

  it('masks ID numbers, phones and e-mail', () => {
    expect(maskIdNumber('110101199003071234')).toBe('1101**********1234');
    expect(maskPhone('+8613812345678')).toBe('+86 138****5678');
    expect(maskPhone('+861012345678')).toBe('+86 101***5678');
    expect(maskPhone('+14155552671')).toBe('+1 415***2671');
    expect(maskPhone('+85221234567')).toBe('+852 212*4567');
    expect(maskEmail('zhang.san@example.com')).toBe('z***@example.com');
  });
});

describe('the data key', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'huikuan-key-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('reads hex and base64 keys and refuses others with a clear message', () => {
    const raw = Buffer.alloc(32, 9);
    expect(parseDataKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(parseDataKey(raw.toString('base64')).equals(raw)).toBe(true);
    expect(() => parseDataKey('abc')).toThrow(/64 hexadecimal characters or base64/);
    expect(() => parseDataKey(Buffer.alloc(16).toString('base64'))).toThrow(/HUIKUAN_DATA_KEY/);
  });

  it('generates a key in HUIKUAN_HOME for the embedded default (mode 0600) and reuses it', () => {
    const env = { HUIKUAN_HOME: home };
    const first = loadDataKey(env);
    expect(first).toHaveLength(32);
    expect(statSync(path.join(home, 'data-key')).mode & 0o777).toBe(0o600);
    expect(loadDataKey(env).equals(first)).toBe(true);
  });

  it('refuses to run without HUIKUAN_DATA_KEY when DATABASE_URL is set', () => {
    expect(() => loadDataKey({ HUIKUAN_HOME: home, DATABASE_URL: 'postgres://x/y' })).toThrow(
      /HUIKUAN_DATA_KEY is not set/,
    );
    expect(loadDataKey({ HUIKUAN_DATA_KEY: 'ab'.repeat(32), DATABASE_URL: 'postgres://x/y' })).toEqual(
      Buffer.alloc(32, 0xab),
    );
  });
});
