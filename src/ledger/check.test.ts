import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { postPayments } from './payments.ts';
import { checkLedger } from './queries.ts';
import { createClient, payment, placeAccounts } from './test-fixtures.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
});
afterAll(async () => {
  await t?.drop();
});

describe('ledger check and the CLI', () => {
  let clientId: bigint;
  let a: bigint;
  let entryId: bigint;

  it('prints balances exactly as formats.md says', async () => {
    ({ clientId } = await createClient(t.db, 'CHK', {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    }));
    [a] = (await placeAccounts(t.db, clientId, [
      { ref: 'A1', principal: 100_00n, interest: 10_00n },
      { ref: 'A2', principal: 50_00n, penalty: 5_00n },
    ])) as [bigint];
    const [p] = await postPayments(t.db, [payment(clientId, a, 20_00n, { externalId: 'BANK-9' })], 'u');
    await postPayments(t.db, [payment(clientId, a, 5_00n, { direct: true })], 'u');
    entryId = p?.entryId as bigint;
    const all = await cli(['ledger', 'balance', '--client', 'CHK', '--json']);
    expect(all.code).toBe(0);
    expect(all.json()).toEqual({
      client: 'CHK',
      currency: 'CNY',
      accounts: 2,
      principal_minor: 13500,
      interest_minor: 0,
      fees_minor: 0,
      penalty_minor: 500,
      overpayment_minor: 0,
      total_minor: 14000,
      collected_minor: 2000,
      direct_paid_minor: 500,
      discounts_minor: 0,
      commission_minor: 250,
      payable_minor: 1800,
    });
    const one = await cli(['ledger', 'balance', '--client', 'CHK', '--account', 'A2', '--json']);
    expect(one.json()).toMatchObject({
      accounts: 1,
      principal_minor: 5000,
      penalty_minor: 500,
      total_minor: 5500,
    });
    const human = await cli(['ledger', 'balance', '--client', 'CHK']);
    expect(human.stdout).toContain('140.00');
    const missing = await cli(['ledger', 'balance', '--client', 'NOPE', '--json']);
    expect(missing.code).toBe(1);
  });

  it('lists an account history with postings, newest first', async () => {
    const h = await cli(['ledger', 'history', '--client', 'CHK', '--account', 'A1', '--json']);
    expect(h.code).toBe(0);
    const body = h.json();
    expect(body.entries.map((e: { kind: string }) => e.kind)).toEqual([
      'direct_payment',
      'payment',
      'placement',
    ]);
    expect(body.entries[1].postings[0]).toEqual({
      line: 1,
      ledger_account: 'trust:bank',
      amount_minor: 2000,
    });
  });

  it('reverses through the CLI once, then reports a duplicate', async () => {
    const r = await cli([
      'ledger',
      'reverse',
      '--client',
      'CHK',
      '--external-id',
      'BANK-9',
      '--reason',
      'returned',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ status: 'reversed', reversed_entry_id: Number(entryId) });
    const again = await cli([
      'ledger',
      'reverse',
      '--client',
      'CHK',
      '--external-id',
      'BANK-9',
      '--reason',
      'x',
      '--json',
    ]);
    expect(again.json()).toMatchObject({ status: 'duplicate' });
    const bad = await cli(['ledger', 'reverse', '--client', 'CHK', '--reason', 'x']);
    expect(bad.code).toBe(2);
  });

  it('runs maker-checker from the CLI: self-approval refused', async () => {
    const p = await cli([
      'ledger',
      'write-off',
      '--client',
      'CHK',
      '--account',
      'A2',
      '--reason',
      'deceased',
      '--user',
      'ann',
      '--json',
    ]);
    expect(p.code).toBe(0);
    const id = String(p.json().proposal_id);
    const list = await cli(['approval', 'list', '--json']);
    expect(list.json().proposals).toHaveLength(1);
    const self = await cli(['approval', 'approve', id, '--user', 'ann', '--json']);
    expect(self.code).toBe(1);
    expect(self.json().error.code).toBe('forbidden');
    const ok = await cli(['approval', 'approve', id, '--user', 'bob', '--json']);
    expect(ok.json()).toMatchObject({ status: 'approved', kind: 'write_off' });
    const bal = await cli(['ledger', 'balance', '--client', 'CHK', '--account', 'A2', '--json']);
    expect(bal.json()).toMatchObject({ total_minor: 0 });
    const badAmount = await cli([
      'ledger',
      'discount',
      '--client',
      'CHK',
      '--account',
      'A1',
      '--amount',
      '1e4',
      '--reason',
      'x',
    ]);
    expect(badAmount.code).toBe(2);
  });

  it('proves a clean ledger (exit 0)', async () => {
    const r = await cli(['ledger', 'check', '--json']);
    expect(r.json()).toEqual({ ok: true, violations: [] });
    expect(r.code).toBe(0);
  });

  it("reports the nightly tables' rows that name a missing account, version or model (the keys 0041 dropped)", async () => {
    const other = (
      await t.db.selectFrom('clients').select('id').where('id', '<>', clientId).executeTakeFirst()
    )?.id;
    const wrongClient = other ?? clientId + 1000n;
    await sql`INSERT INTO account_states (client_id, account_id, days_past_due, bucket, as_of)
              VALUES (${clientId}, 987654, 3, 'M1', '2026-03-02')`.execute(t.db);
    await sql`INSERT INTO account_treatments (client_id, account_id, strategy_version_id, segment, arm, entered_on)
              VALUES (${wrongClient}, ${a}, 1, 's', 'champion', '2026-03-02')`.execute(t.db);
    await sql`INSERT INTO strategy_actions (client_id, account_id, run_date, strategy_version_id, segment, arm, step,
                anchor, anchor_date, kind, task, priority, due_on, status)
              VALUES (${clientId}, ${a}, '2026-03-02', 424242, 's', 'champion', 'call', 'entry', '2026-03-02',
                      'task', 'call', 50, '2026-03-02', 'open')`.execute(t.db);
    await sql`INSERT INTO risk_score_history (client_id, account_id, as_of, model_id, role, score, band, probability,
                balance_minor, reasons)
              VALUES (${clientId}, ${a}, '2026-03-02', 777, 'champion', 600, 3, 0.2, 100, '{}')`.execute(
      t.db,
    );
    await sql`INSERT INTO strategy_test_entries (strategy_version_id, segment, client_id, account_id, arm, entered_on)
              VALUES (535353, 's', ${clientId}, ${a}, 'champion', '2026-03-02')`.execute(t.db);
    await sql`INSERT INTO risk_account_scores (account_id, client_id, model_id, as_of, score, band, probability, reasons)
              VALUES (876543, ${clientId}, 777, '2026-03-02', 600, 3, 0.2, '{}')`.execute(t.db);
    const violations = (await checkLedger(t.db)).filter((v) => v.invariant === 6);
    expect(violations.map((v) => v.message).sort()).toEqual([
      'day state of account 987654 names an account that does not exist or belongs to another client',
      'risk score of account 876543 names an account that does not exist or belongs to another client',
      `score history row of account ${a} names risk model 777, which does not exist`,
      expect.stringMatching(
        new RegExp(
          `^strategy action \\d+ of account ${a} names strategy version 424242, which does not exist$`,
        ),
      ),
      `test entry of account ${a} names strategy version 535353, which does not exist`,
      `treatment of account ${a} names an account that does not exist or belongs to another client`,
    ]);
    await sql`DELETE FROM strategy_test_entries WHERE strategy_version_id = 535353`.execute(t.db);
    await sql`DELETE FROM risk_account_scores WHERE account_id = 876543`.execute(t.db);
    await sql`DELETE FROM account_states WHERE account_id = 987654`.execute(t.db);
    await sql`DELETE FROM account_treatments WHERE account_id = ${a}`.execute(t.db);
    await sql`DELETE FROM strategy_actions WHERE strategy_version_id = 424242`.execute(t.db);
    await sql`DELETE FROM risk_score_history WHERE model_id = 777`.execute(t.db);
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('detects a tampered cached balance (invariants 3 and 4)', async () => {
    await t.db
      .updateTable('accounts')
      .set({ principal_minor: sql`principal_minor + 1` })
      .where('id', '=', a)
      .execute();
    const violations = await checkLedger(t.db);
    expect(violations).toContainEqual(
      expect.objectContaining({
        invariant: 4,
        account_id: a,
        ledger_account: 'debt:principal',
        expected: 9500n,
        actual: 9501n,
      }),
    );
    expect(violations.some((v) => v.invariant === 3 && v.account_id === a)).toBe(true);
    await t.db
      .updateTable('accounts')
      .set({ principal_minor: sql`principal_minor - 1` })
      .where('id', '=', a)
      .execute();
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('detects a changed or removed posting behind a disabled trigger (invariants 1, 5 and 6)', async () => {
    await sql`ALTER TABLE postings DISABLE TRIGGER postings_append_only`.execute(t.db);
    await sql`UPDATE postings SET amount_minor = amount_minor + 1 WHERE entry_id = ${entryId} AND line = 1`.execute(
      t.db,
    );
    let violations = await checkLedger(t.db);
    expect(violations).toContainEqual(expect.objectContaining({ invariant: 6, actual: 'disabled' }));
    expect(violations).toContainEqual(
      expect.objectContaining({ invariant: 1, entry_id: entryId, actual: 1n }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({ invariant: 5, ledger_account: 'trust:bank' }),
    );
    await sql`DELETE FROM postings WHERE entry_id = ${entryId} AND line = 2`.execute(t.db);
    await sql`ALTER TABLE postings ENABLE TRIGGER postings_append_only`.execute(t.db);
    violations = await checkLedger(t.db);
    expect(violations.some((v) => v.invariant === 6 && v.entry_id === entryId)).toBe(true);
    expect(violations.some((v) => v.actual === 'disabled')).toBe(false);
    const r = await cli(['ledger', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/invariant 6: entry \d+ has posting lines missing/);
  });
});
