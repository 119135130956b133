import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isValidPrcId,
  prcIdCheckDigit,
  Random,
  writePaymentFile,
  writePlacementFile,
} from '../../bench/generate.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('generators', () => {
  it('computes PRC ID check digits (GB 11643)', () => {
    expect(prcIdCheckDigit('11010519491231002')).toBe('X');
    expect(isValidPrcId('11010519491231002X')).toBe(true);
    expect(isValidPrcId('110105194912310021')).toBe(false);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await writePlacementFile(path.join(dir, 'a.csv'), { rows: 500, seed: 7 });
    const b = await writePlacementFile(path.join(dir, 'b.csv'), { rows: 500, seed: 7 });
    const c = await writePlacementFile(path.join(dir, 'c.csv'), { rows: 500, seed: 8 });
    expect(sha(a.path)).toBe(sha(b.path));
    expect(sha(a.path)).not.toBe(sha(c.path));
    expect(new Random(1).next()).toBe(new Random(1).next());
  });

  it('writes realistic placement rows with a few bad ones', async () => {
    const file = await writePlacementFile(path.join(dir, 'p.csv'), { rows: 2000, seed: 3 });
    const lines = readFileSync(file.path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2001);
    expect(file.badRows).toBeGreaterThan(20);
    expect(file.badRows).toBeLessThan(120);
    const ids = lines
      .slice(1)
      .map((line) => line.split(',')[2] ?? '')
      .filter((id) => id !== '');
    const valid = ids.filter(isValidPrcId).length;
    // every ID is valid except the deliberately broken ones (about 1 in 5 of the bad rows)
    expect(valid).toBeGreaterThan(ids.length - file.badRows);
    expect(valid).toBeLessThan(ids.length);
    const phones = lines.slice(1).map((line) => line.split(',')[4] ?? '');
    expect(phones.every((p) => /^1[3-9]\d{9}$/.test(p))).toBe(true);
    expect(lines.some((line) => /[\u4e00-\u9fff]{2,3},/.test(line))).toBe(true);
  });

  it('writes payments against the given accounts', async () => {
    const refs = ['CC000000001', 'CC000000002', 'CC000000003'];
    const file = await writePaymentFile(path.join(dir, 'pay.csv'), { rows: 1000, refs, seed: 5 });
    const lines = readFileSync(file.path, 'utf8').trim().split('\n').slice(1);
    const goodRefs = lines.map((l) => l.split(',')[1] ?? '').filter((r) => !r.startsWith('NOPE'));
    expect(goodRefs.every((r) => refs.includes(r))).toBe(true);
    expect(file.badRows).toBeGreaterThan(10);
  });
});
