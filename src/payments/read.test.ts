/**
 * Reading a payment file in worker threads gives exactly what reading it in the importing thread
 * gives: the same rows refused for the same reasons, the same duplicates and reversals, the same
 * postings and balances — over quoted cells with commas, quotes and line breaks, CRLF line ends,
 * blank lines, bad rows, repeats of an external id (same and different content), reversals of
 * payments earlier in the file, and many small chunks in flight at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { balancesOf, postingsOf } from './ledger-state.fixture.ts';
import { type ImportPaymentsResult, importPayments } from './service.ts';

let t: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-read-'));
const refs = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(3, '0')}`);
const clients: Record<string, { id: bigint; accounts: bigint[] }> = {};

beforeAll(async () => {
  t = await testDatabase();
  for (const code of ['INLINE', 'POOLED']) {
    const { clientId } = await createClient(t.db, code, {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1500 }],
    });
    const accounts = await placeAccounts(
      t.db,
      clientId,
      refs.map((ref, i) => ({
        ref,
        principal: 400_000n + BigInt(i) * 9_001n,
        interest: 20_000n,
        fees: 5_000n + BigInt(i),
        penalty: 2_500n,
        delinquencyDate: '2025-12-01',
      })),
    );
    clients[code] = { id: clientId, accounts };
  }
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The file: 3,000 rows with every kind of row the reader treats differently. */
function paymentFile(): string {
  const lines = [
    'external_id,client_account_ref,amount,currency,paid_at,channel,payer_name,reference,reverses_external_id',
  ];
  const paid: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const ref = refs[(i * 7) % refs.length] as string;
    const amount = `${100 + ((i * 37) % 900)}.${String(i % 100).padStart(2, '0')}`;
    const day = `2026-03-${String(1 + (i % 28)).padStart(2, '0')}`;
    const paidAt = i % 3 === 0 ? `${day} ${String(8 + (i % 12)).padStart(2, '0')}:15:30` : day;
    const payer = i % 50 === 0 ? '"Wang, ""Li"" 王"' : i % 2 === 0 ? '张三' : '';
    const reference = i % 70 === 0 ? '"first line\r\nsecond, line"' : '';
    if (i % 97 === 0) {
      lines.push(`P${i},${ref},12.345,,${day},cash,,,`); // bad amount
    } else if (i % 101 === 0) {
      lines.push(`P${i},NOSUCH${i},10.00,,${day},cash,,,`); // unknown account
    } else if (i % 89 === 0 && paid.length > 5) {
      lines.push(paid[paid.length - 5] as string); // the same payment again
    } else if (i % 113 === 0 && paid.length > 5) {
      const earlier = (paid[paid.length - 3] as string).split(',')[0] as string;
      lines.push(`${earlier},${ref},1.00,,${day},cash,,,`); // an earlier id, other content
    } else if (i % 150 === 0 && paid.length > 5) {
      const [id, account] = (paid[paid.length - 2] as string).split(',') as [string, string];
      // a reversal, now and then of a payment that does not exist
      lines.push(`V${i},${account},,,${day},bank_transfer,,returned,${i % 450 === 0 ? `NOPE${i}` : id}`);
    } else if (i % 211 === 0) {
      lines.push(`P${i},${ref},10.00,,2099-01-01,cash,,,`); // in the future
    } else {
      const line = `P${i},${ref},${amount},${i % 4 === 0 ? 'CNY' : ''},${paidAt},${i % 5 === 0 ? '客户直还' : 'bank_transfer'},${payer},${reference},`;
      lines.push(line);
      if (reference === '' && !payer.includes('"')) paid.push(line);
    }
    if (i % 200 === 0) lines.push('');
  }
  const file = path.join(dir, 'payments.csv');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

/** What an import reports, less what names the import itself. */
function report(result: ImportPaymentsResult) {
  const { import_id, client, error_file, seconds, previous_imports, ...rest } = result;
  return rest;
}

describe('reading a payment file in worker threads', () => {
  it('refuses, reports and posts exactly what reading it in the importing thread does', async () => {
    const file = paymentFile();
    const read = (clientCode: string, readWorkers: number, chunkBytes: number) =>
      importPayments(t.db, {
        filePath: file,
        clientCode,
        actor: 'alice',
        today: '2026-11-29',
        limits: { readWorkers, chunkBytes },
      });
    // in this thread the whole file is one chunk, whose staging text (≈ 400 KB) outgrows the
    // writer's first buffer several times; in the workers, small chunks of about 120 rows each, many
    // in flight at once
    const inline = await read('INLINE', 0, 1 << 20);
    const pooled = await read('POOLED', 2, 8 * 1024);
    expect(inline.rows).toBe(3000);
    expect(inline.posted).toBeGreaterThan(2700);
    expect(inline.reversed).toBeGreaterThan(10);
    expect(inline.duplicate_rows.length).toBeGreaterThan(20);
    const reasons = new Set(inline.errors.map((e) => e.column));
    expect(reasons).toEqual(
      new Set(['amount', 'client_account_ref', 'external_id', 'paid_at', 'reverses_external_id']),
    );
    expect(report(pooled)).toEqual(report(inline));

    const inlineClient = clients.INLINE as { id: bigint; accounts: bigint[] };
    const pooledClient = clients.POOLED as { id: bigint; accounts: bigint[] };
    const expected = await postingsOf(t.db, inlineClient.id, { kinds: 'all but placements', withMemo: true });
    expect(Object.keys(expected).length).toBe(inline.posted + inline.reversed);
    expect(await postingsOf(t.db, pooledClient.id, { kinds: 'all but placements', withMemo: true })).toEqual(
      expected,
    );
    expect(await balancesOf(t.db, pooledClient.accounts)).toEqual(
      await balancesOf(t.db, inlineClient.accounts),
    );
  });
});
