/**
 * Retention: which debtors are due (all accounts closed, last activity older than the
 * jurisdiction's period, no legal hold), anonymisation of their personal data and the free text
 * about them with the books untouched (`ledger check` clean, balances the same), idempotence, a
 * dry run, and a legal hold that stops it until released.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addNote } from '../accounts/listing.ts';
import { piiCipher } from '../accounts/pii.ts';
import { addClient } from '../clients/service.ts';
import { checkLedger } from '../ledger/queries.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import {
  anonymisedName,
  anonymisedText,
  placeLegalHold,
  releaseLegalHold,
  retentionQueue,
  runRetention,
} from './service.ts';

let t: TestDatabase;
const accounts: Record<string, { id: bigint; debtorId: bigint; clientId: bigint }> = {};

/** A date `years` years after today (the queue looks ahead; a real run uses today). */
const yearsAhead = (years: number) => addDays(todayIn(), Math.ceil(years * 366));

beforeAll(async () => {
  t = await testDatabase();
  const today = todayIn();
  for (const [code, jurisdiction] of [
    ['CNC', 'CN'],
    ['USC', 'US'],
  ] as const) {
    const { client } = await addClient(
      t.db,
      { code, name: code, terms: { jurisdiction }, effectiveFrom: '2020-01-01' },
      'setup',
    );
    await seedPlacedAccounts(t.db, {
      clientId: client.id,
      count: code === 'CNC' ? 3 : 1,
      refPrefix: code,
      seed: 5,
      debtors: { pool: t.pool, cipher: piiCipher(), today },
    });
  }
  const rows = await t.db
    .selectFrom('accounts')
    .select(['id', 'debtor_id', 'client_id', 'client_account_ref'])
    .orderBy('id')
    .execute();
  for (const row of rows)
    accounts[row.client_account_ref] = { id: row.id, debtorId: row.debtor_id, clientId: row.client_id };
  // CNC…1 stays active; the others are finished: CNC…3 paid in full, the rest written off
  await sql`UPDATE accounts SET status = 'written_off', closed_at = now() WHERE client_account_ref NOT LIKE 'CNC%1'`.execute(
    t.db,
  );
  await sql`UPDATE accounts SET status = 'paid', closed_at = NULL WHERE client_account_ref = 'CNC000000003'`.execute(
    t.db,
  );
  const first = accounts.CNC000000002 as { id: bigint; clientId: bigint };
  await addNote(t.db, {
    accountId: first.id,
    clientId: first.clientId,
    body: '客户张三说下周还',
    author: 'agent.wang',
  });
});

afterAll(async () => {
  await t?.drop();
});

const debtorsOf = (items: { debtor_id: bigint }[]) => items.map((item) => item.debtor_id).sort();
const refsOf = (...refs: string[]) =>
  refs.map((ref) => (accounts[ref] as { debtorId: bigint }).debtorId).sort();

describe('retention', () => {
  it('queues closed debtors past their jurisdiction’s period: US after 3 years, CN after 5', async () => {
    const refs = Object.keys(accounts).sort();
    expect(refs).toEqual(['CNC000000001', 'CNC000000002', 'CNC000000003', 'USC000000001']);
    expect(await retentionQueue(t.db, yearsAhead(2))).toEqual([]);
    expect(debtorsOf(await retentionQueue(t.db, yearsAhead(4)))).toEqual(refsOf('USC000000001'));
    expect(debtorsOf(await retentionQueue(t.db, yearsAhead(6)))).toEqual(
      refsOf('CNC000000002', 'CNC000000003', 'USC000000001'),
    );
  });

  it('anonymises them, keeps the books, does it once, and leaves a legal hold alone until released', async () => {
    const held = accounts.CNC000000003 as { id: bigint; clientId: bigint; debtorId: bigint };
    const hold = await placeLegalHold(
      t.db,
      { clientId: held.clientId, accountId: held.id, reason: '(2026)沪0101民初123号' },
      'compliance.li',
    );
    const asOf = yearsAhead(6);
    const balances = await sql`SELECT id, principal_minor, interest_minor FROM accounts ORDER BY id`.execute(
      t.db,
    );

    expect(await runRetention(t.db, { asOf, dryRun: true, actor: 'compliance.li' })).toEqual({
      as_of: asOf,
      dry_run: true,
      anonymised: 0,
      candidates: 2,
    });
    expect((await sql`SELECT debtor_id FROM retention_anonymised`.execute(t.db)).rows).toEqual([]);

    expect((await runRetention(t.db, { asOf, actor: 'compliance.li' })).anonymised).toBe(2);
    const gone = refsOf('CNC000000002', 'USC000000001');
    const debtors = await t.db.selectFrom('debtors').selectAll().orderBy('id').execute();
    for (const debtor of debtors) {
      if (gone.includes(debtor.id)) {
        expect(debtor).toMatchObject({
          name: anonymisedName,
          id_number_enc: null,
          id_number_hash: null,
          id_number_masked: null,
          date_of_birth: null,
          address: null,
        });
      } else expect(debtor.name).not.toBe(anonymisedName);
    }
    const points = await t.db
      .selectFrom('contact_points')
      .select(['debtor_id', 'value_enc', 'value_hash', 'value_masked'])
      .execute();
    expect(points.length).toBeGreaterThan(0);
    for (const point of points.filter((p) => gone.includes(p.debtor_id))) {
      expect(point).toMatchObject({ value_enc: null, value_hash: null, value_masked: '***' });
    }
    expect((await sql<{ body: string }>`SELECT body FROM account_notes`.execute(t.db)).rows).toEqual([
      { body: anonymisedText },
    ]);
    // the books as they were
    expect(await checkLedger(t.db)).toEqual([]);
    expect(
      (await sql`SELECT id, principal_minor, interest_minor FROM accounts ORDER BY id`.execute(t.db)).rows,
    ).toEqual(balances.rows);
    // once
    expect((await runRetention(t.db, { asOf, actor: 'compliance.li' })).anonymised).toBe(0);

    await releaseLegalHold(t.db, hold.id, 'case closed', 'compliance.li');
    await expect(releaseLegalHold(t.db, hold.id, 'again', 'compliance.li')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect((await runRetention(t.db, { asOf, actor: 'compliance.li' })).anonymised).toBe(1);
    const audit = await t.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'like', 'retention.%')
      .orderBy('id')
      .execute();
    expect(audit.map((row) => row.action)).toEqual([
      'retention.legal_hold_placed',
      'retention.anonymised',
      'retention.anonymised',
      'retention.legal_hold_released',
      'retention.anonymised',
    ]);
  });

  it('refuses a legal hold without a reason or naming another client’s account', async () => {
    const us = accounts.USC000000001 as { id: bigint; clientId: bigint };
    const cn = accounts.CNC000000001 as { id: bigint; clientId: bigint };
    await expect(placeLegalHold(t.db, { clientId: us.clientId, reason: ' ' }, 'x')).rejects.toMatchObject({
      code: 'bad_input',
    });
    await expect(
      placeLegalHold(t.db, { clientId: us.clientId, accountId: cn.id, reason: 'r' }, 'x'),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('runs from the command line: the queue, a dry run, and no future dates', async () => {
    const cli = cliFor(t);
    const queue = await cli(['retention', 'queue', '--json']);
    expect(queue.code).toBe(0);
    expect(queue.json()).toMatchObject({ as_of: todayIn(), items: [] });
    const dry = await cli(['retention', 'run', '--dry-run', '--user', 'compliance.li', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toEqual({ as_of: todayIn(), dry_run: true, anonymised: 0, candidates: 0 });
    const future = await cli(['retention', 'run', '--as-of', yearsAhead(1), '--user', 'compliance.li']);
    expect(future.code).toBe(2);
    expect(future.stderr).toMatch(/cannot be in the future/);
  });
});
