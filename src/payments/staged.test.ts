/**
 * The import's staged posting (staging rows, chunks, streams side by side, waterfall rounds) posts
 * exactly what posting the same payments one by one in file order posts: the same postings per
 * payment and the same balances, with repeats within the file taken out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from '../ledger/payments.ts';
import { addContract, createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { ledgerPort } from './ledger-port.ts';
import { balancesOf, postingsOf } from './ledger-state.fixture.ts';
import { importPayments } from './service.ts';

let t: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-staged-'));
const refs = ['S1', 'S2', 'S3', 'S4', 'S5'];
const clients: Record<string, { id: bigint; accounts: bigint[] }> = {};

beforeAll(async () => {
  t = await testDatabase();
  for (const code of ['STAGED', 'SERIAL']) {
    const commission = [
      { fromDpd: 0, toDpd: 60, rateBp: 1250 },
      { fromDpd: 61, toDpd: null, rateBp: 3333 },
    ];
    const { clientId } = await createClient(t.db, code, { commission });
    // from 2026-03-05 the waterfall is the other way round: payments of one account on both sides
    // of that date are allocated in rounds
    await addContract(t.db, clientId, {
      effectiveFrom: '2026-03-05',
      waterfall: ['principal', 'interest', 'fees', 'penalty'],
      commission,
    });
    const accounts = await placeAccounts(
      t.db,
      clientId,
      refs.map((ref, i) => ({
        ref,
        principal: 50_000n + BigInt(i) * 7_001n,
        interest: 9_000n,
        fees: 3_000n + BigInt(i),
        penalty: 1_500n,
        delinquencyDate: i % 2 === 0 ? '2026-01-10' : '2025-11-01',
      })),
    );
    clients[code] = { id: clientId, accounts };
  }
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

// external id, account (index), amount in minor units, date; a repeat of X3 (same content) at the end
const rows: [string, number, bigint, string][] = [];
for (let i = 0; i < 23; i++) {
  const day = 1 + ((i * 7) % 9);
  rows.push([`X${i}`, (i * 3) % refs.length, 1_000n + BigInt(i) * 2_357n, `2026-03-0${day}`]);
}
rows.push(['X9', 4, 70_000n, '2026-03-08']); // far beyond the balance: an overpayment … and a repeat id

describe('staged posting of a payment file', () => {
  it('posts what posting the payments one by one in file order posts', async () => {
    const staged = clients.STAGED as { id: bigint; accounts: bigint[] };
    const serial = clients.SERIAL as { id: bigint; accounts: bigint[] };
    const target = path.join(dir, 'staged.csv');
    const lines = ['external_id,client_account_ref,amount,paid_at,channel'];
    for (const [id, account, amount, date] of rows) {
      lines.push(`${id},${refs[account]},${Number(amount) / 100},${date},bank_transfer`);
    }
    lines.push(lines[4] as string); // X3 again, the same payment
    writeFileSync(target, `${lines.join('\n')}\n`);

    // the accounts each posted chunk holds: all of an account's payments go in one chunk
    const chunkAccounts: string[][] = [];
    const result = await importPayments(t.db, {
      filePath: target,
      clientCode: 'STAGED',
      actor: 'alice',
      // chunks of about three payments in two streams side by side, accounts looked up five rows at a time
      limits: { postChunk: 3, postStreams: 2, chunkBytes: 200 },
      ledger: {
        ...ledgerPort,
        postStagedChunk: async (db, chunk, actor) => {
          const held = await sql<{ account_id: string }>`
            SELECT DISTINCT account_id::text FROM payment_import_rows
             WHERE stage_id = ${chunk.stageId} AND stream = ${chunk.stream} AND chunk = ${chunk.chunk}
               AND status = 'p'`.execute(db);
          chunkAccounts.push(held.rows.map((r) => r.account_id));
          return ledgerPort.postStagedChunk(db, chunk, actor);
        },
      },
    });
    expect(chunkAccounts.length).toBeGreaterThan(2);
    const everyAccount = chunkAccounts.flat();
    expect(new Set(everyAccount).size).toBe(everyAccount.length);
    expect(new Set(everyAccount)).toEqual(new Set(staged.accounts.map(String)));
    expect(result.posted).toBe(23);
    expect(result.errors).toEqual([
      {
        row: 25,
        column: 'external_id',
        reason: 'external_id "X9" is already used on row 11 for a different payment',
      },
    ]);
    expect(result.duplicate_rows).toEqual([
      { row: 26, external_id: 'X3', reason: 'duplicate: the same payment as row 5' },
    ]);

    for (const [id, account, amount, date] of rows.slice(0, 23)) {
      const input = payment(serial.id, serial.accounts[account] as bigint, amount, {
        externalId: id,
        paidOn: date,
      });
      const [outcome] = await postPayments(t.db, [input], 'alice');
      expect(outcome?.status).toBe('posted');
    }

    const expected = await postingsOf(t.db, serial.id, { kinds: 'payments' });
    expect(Object.keys(expected)).toHaveLength(23);
    expect(await postingsOf(t.db, staged.id, { kinds: 'payments' })).toEqual(expected);
    expect(await balancesOf(t.db, staged.accounts)).toEqual(await balancesOf(t.db, serial.accounts));
    const left = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payment_import_rows`.execute(t.db);
    expect(Number(left.rows[0]?.n)).toBe(0);
  });

  it('stops posting at the first failure: the other stream starts no further chunk', async () => {
    const { clientId } = await createClient(t.db, 'STOPPED', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    });
    await placeAccounts(
      t.db,
      clientId,
      Array.from({ length: 8 }, (_, i) => ({
        ref: `T${i}`,
        principal: 90_000n,
        interest: 0n,
        fees: 0n,
        penalty: 0n,
        delinquencyDate: '2026-01-10',
      })),
    );
    const target = path.join(dir, 'stopped.csv');
    const lines = ['external_id,client_account_ref,amount,paid_at,channel'];
    for (let i = 0; i < 24; i++) lines.push(`Y${i},T${i % 8},10.00,2026-03-02,bank_transfer`);
    writeFileSync(target, `${lines.join('\n')}\n`);
    // the stream of each chunk the ledger was asked to post: stream 0 fails at once, stream 1's
    // chunks (four, one account each) take a moment
    const asked: number[] = [];
    await expect(
      importPayments(t.db, {
        filePath: target,
        clientCode: 'STOPPED',
        actor: 'alice',
        limits: { postChunk: 3, postStreams: 2, chunkBytes: 200 },
        ledger: {
          ...ledgerPort,
          postStagedChunk: async (db, chunk, actor) => {
            asked.push(chunk.stream);
            if (chunk.stream === 0) throw new Error('the database went away');
            await new Promise((resolve) => setTimeout(resolve, 50));
            return ledgerPort.postStagedChunk(db, chunk, actor);
          },
        },
      }),
    ).rejects.toThrow('the database went away');
    // stream 1 had begun its first chunk when stream 0 failed, finished it, and began no other
    expect(asked.filter((stream) => stream === 1)).toEqual([1]);
    const record = await t.db
      .selectFrom('payment_imports')
      .select(['status', 'posted'])
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ status: 'failed', posted: 3 });
    const entries = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM journal_entries WHERE client_id = ${clientId} AND kind = 'payment'`.execute(
      t.db,
    );
    expect(entries.rows[0]?.n).toBe(3);
  });
});
