/**
 * Measures against a small book built through the real services: two clients, batches approved in
 * January and February 2026 (the clock faked while approving, so the placement entries carry those
 * dates), payments into trust and direct, a reversal, a write-off, contact attempts, promises and
 * plans marked by the nightly step. The services stamp instants with the database's clock (batch
 * approval, account events, attempts); the test moves those stamps to the book's dates, as if each
 * had happened then. Every figure below is worked out by hand in the comments.
 *
 * The book (CNY unless said; commission 20 % flat; amounts in fen):
 * - client MSA 甲银行, batch A1 approved 2026-01-15:
 *   a1 credit_card 10,000, delinquent 2026-01-01: paid 3,000 on 01-20 and 2,000 on 02-05;
 *   a2 credit_card 20,000, delinquent 2025-11-01: paid 20,000 on 02-10 (paid in full);
 *   a3 personal_loan 30,000, delinquent 2025-10-01, no phone (lost contact): direct 5,000 on 02-12,
 *      4,000 on 02-15 reversed on 02-20;
 *   a6 credit_card 50,000, delinquent 2025-06-01: written off on 02-26;
 *   u7 USD 9,000 cents, delinquent 2025-12-01: paid 1,000 on 02-14.
 * - client MSA, batch A2 approved 2026-02-10: a5 personal_loan 40,000 + 1,000 interest, delinquent
 *   2026-01-20: paid 6,000 on 02-25 and 1,000 on 03-05.
 * - client MSB 乙消费金融, batch B1 approved 2026-01-20: b1 70,000, delinquent 2025-12-15: paid 7,000 on 02-07.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { reassign } from '../allocation/service.ts';
import { addClient } from '../clients/service.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { approveProposal, proposeWriteOff, reverseEntry } from '../ledger/events.ts';
import { postPayments } from '../ledger/payments.ts';
import { approveBatch, importPlacements } from '../placements/service.ts';
import { HuikuanError } from '../shared/errors.ts';
import { defaultLimits } from '../worklist/model.ts';
import { evaluateAgentActions } from '../worklist/nightly.ts';
import { cancelPromise, decidePlan, logAttempt, proposePlan, takePromise } from '../worklist/service.ts';
import {
  compareMeasure,
  measureLimits,
  measureSummary,
  measuresBy,
  recoveryCurves,
  rollRates,
} from './measures.ts';
import { emptyMeasureValues, rateOf } from './measures-model.ts';
import type { MeasureCut, RollRow } from './measures-types.ts';

let t: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-measures-'));
const ids: Record<string, bigint> = {};
const batches: Record<string, bigint> = {};
let clientA = 0n;
let clientB = 0n;
let teamId = 0n;
const february = { from: '2026-02-01', to: '2026-02-28' };
const january = { from: '2026-01-01', to: '2026-01-31' };

const header =
  'client_account_ref,debtor_name,phone_1,principal,interest,delinquency_date,product_type,currency';

/** Imports a placement file and approves it with the clock at `approvedAt`, then dates the approval there. */
async function place(client: string, name: string, rows: string[], approvedAt: string): Promise<bigint> {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
  const imported = await importPlacements(t, {
    filePath: file,
    clientCode: client,
    user: 'importer',
    batchName: name,
  });
  const batchId = imported.batch_id ?? 0n;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(approvedAt));
  try {
    await approveBatch(t.db, batchId, 'approver');
  } finally {
    vi.useRealTimers();
  }
  // the approval stamps the database's now(): move it (and the accounts' 'placed' events) to the day
  await sql`UPDATE placement_batches SET decided_at = ${approvedAt}::timestamptz WHERE id = ${batchId}`.execute(
    t.db,
  );
  await sql`UPDATE account_events SET at = ${approvedAt}::timestamptz
             WHERE kind = 'placed' AND account_id IN (SELECT id FROM accounts WHERE batch_id = ${batchId})`.execute(
    t.db,
  );
  const accounts = await sql<{ id: bigint; client_account_ref: string }>`
    SELECT id, client_account_ref FROM accounts WHERE batch_id = ${batchId}`.execute(t.db);
  for (const row of accounts.rows) ids[row.client_account_ref] = row.id;
  batches[name] = batchId;
  return batchId;
}

let paymentNumber = 0;
async function pay(
  clientId: bigint,
  ref: string,
  amountMinor: bigint,
  paidOn: string,
  options: { direct?: boolean; currency?: string } = {},
): Promise<string> {
  paymentNumber += 1;
  const externalId = `TX${paymentNumber}`;
  const [result] = await postPayments(
    t.db,
    [
      {
        clientId,
        accountId: ids[ref] as bigint,
        externalId,
        amountMinor,
        currency: options.currency ?? 'CNY',
        paidOn,
        paidAt: null,
        channel: options.direct ? 'direct_to_client' : 'bank_transfer',
        direct: options.direct ?? false,
      },
    ],
    'finance',
  );
  expect(result?.status).toBe('posted');
  return externalId;
}

async function attempt(ref: string, disposition: string, at: string): Promise<void> {
  const logged = await logAttempt(
    t.db,
    { accountId: ids[ref] as bigint, disposition, channel: 'call' },
    { actor: 'agent.li' },
  );
  await sql`UPDATE contact_attempts SET at = ${at}::timestamptz WHERE id = ${logged.id}`.execute(t.db);
}

const supervisor = { actor: 'agent.li', supervisor: true };

beforeAll(async () => {
  t = await testDatabase();
  clientA = (await addClient(t.db, { code: 'MSA', name: '甲银行', effectiveFrom: '2025-01-01' }, 'admin'))
    .client.id;
  clientB = (await addClient(t.db, { code: 'MSB', name: '乙消费金融', effectiveFrom: '2025-01-01' }, 'admin'))
    .client.id;
  await place(
    'MSA',
    'A1',
    [
      'a1,张一,13800138001,100.00,0,2026-01-01,credit_card,CNY',
      'a2,张二,13800138002,200.00,0,2025-11-01,credit_card,CNY',
      'a3,张三,,300.00,0,2025-10-01,personal_loan,CNY',
      'a6,张六,13800138006,500.00,0,2025-06-01,credit_card,CNY',
      'u7,Smith,13800138007,90.00,0,2025-12-01,credit_card,USD',
    ],
    '2026-01-15T10:00:00+08:00',
  );
  await place(
    'MSA',
    'A2',
    ['a5,张五,13800138005,400.00,10.00,2026-01-20,personal_loan,CNY'],
    '2026-02-10T10:00:00+08:00',
  );
  await place(
    'MSB',
    'B1',
    ['b1,李一,13900139001,700.00,0,2025-12-15,credit_card,CNY'],
    '2026-01-20T10:00:00+08:00',
  );

  // payments, a reversal and a write-off, with their business dates
  await pay(clientA, 'a1', 3_000n, '2026-01-20');
  await pay(clientA, 'a1', 2_000n, '2026-02-05');
  await pay(clientA, 'a2', 20_000n, '2026-02-10');
  await pay(clientA, 'a3', 5_000n, '2026-02-12', { direct: true });
  const returned = await pay(clientA, 'a3', 4_000n, '2026-02-15');
  await reverseEntry(t.db, {
    clientId: clientA,
    externalId: returned,
    reason: '退票',
    actor: 'finance',
    effectiveDate: '2026-02-20',
  });
  await pay(clientA, 'u7', 1_000n, '2026-02-14', { currency: 'USD' });
  await pay(clientA, 'a5', 6_000n, '2026-02-25');
  await pay(clientA, 'a5', 1_000n, '2026-03-05');
  await pay(clientB, 'b1', 7_000n, '2026-02-07');
  const writeOff = await proposeWriteOff(t.db, {
    clientId: clientA,
    accountId: ids.a6 as bigint,
    actor: 'agent.li',
    reason: 'deceased',
    effectiveDate: '2026-02-26',
  });
  await approveProposal(t.db, { proposalId: writeOff, actor: 'supervisor' });
  await sql`UPDATE account_events SET at = '2026-02-10T15:00:00+08:00'
             WHERE account_id = ${ids.a2} AND to_status = 'paid'`.execute(t.db);
  await sql`UPDATE account_events SET at = '2026-02-26T15:00:00+08:00'
             WHERE account_id = ${ids.a6} AND to_status = 'written_off'`.execute(t.db);

  // promises and plans, taken on their days, then marked by the nightly step (grace: 3 days)
  const limits = { ...defaultLimits, graceDays: 3 };
  await takePromise(
    t.db,
    { accountId: ids.a1 as bigint, amountMinor: 5_000n, dueOn: '2026-02-10', today: '2026-02-04' },
    supervisor,
    limits,
  );
  await takePromise(
    t.db,
    { accountId: ids.a3 as bigint, amountMinor: 4_000n, dueOn: '2026-02-15', today: '2026-02-11' },
    supervisor,
    limits,
  );
  const withdrawn = await takePromise(
    t.db,
    { accountId: ids.a5 as bigint, amountMinor: 3_000n, dueOn: '2026-02-22', today: '2026-02-18' },
    supervisor,
    limits,
  );
  await cancelPromise(t.db, withdrawn.id, '债务人撤回', { actor: 'agent.li' });
  await takePromise(
    t.db,
    { accountId: ids.a5 as bigint, amountMinor: 3_000n, dueOn: '2026-03-10', today: '2026-02-20' },
    supervisor,
    limits,
  );
  // each plan is for less than the balance, so a supervisor approves it (maker-checker)
  for (const [ref, totalMinor, dueOn, today] of [
    ['a1', 2_000n, '2026-02-05', '2026-02-01'],
    ['a5', 10_000n, '2026-02-21', '2026-02-20'],
  ] as const) {
    const plan = await proposePlan(
      t.db,
      { accountId: ids[ref] as bigint, totalMinor, instalments: [{ dueOn, amountMinor: totalMinor }], today },
      { actor: 'agent.li' },
      limits,
    );
    await decidePlan(t.db, plan.id, 'approve', 'ok', { actor: 'supervisor' }, today);
  }
  for (const asOf of ['2026-02-16', '2026-02-19', '2026-02-28']) {
    for (const clientId of [clientA, clientB]) {
      await evaluateAgentActions(t.db, { clientId, firstId: 0n, lastId: 1n << 62n, asOf });
    }
  }

  // a1 and a2 move to agent.wang (王芳) of team 一组; the others stay unassigned
  teamId = BigInt((await createTeam(t.db, { name: '一组', clientCodes: ['MSA'] }, { actor: 'admin' })).id);
  await createUser(
    t.db,
    {
      username: 'agent.wang',
      displayName: '王芳',
      roles: ['agent'],
      team: teamId,
      password: 'Password-12345',
    },
    { actor: 'admin' },
  );
  await reassign(
    t.db,
    { accountIds: [ids.a1 as bigint, ids.a2 as bigint], toAgent: 'agent.wang', reason: '分案' },
    'supervisor',
  );

  // contact attempts at their instants (Asia/Shanghai days: 2026-01-31T16:30Z is 1 February there)
  await attempt('a1', 'right_party_contact', '2026-01-25T10:00:00+08:00');
  await attempt('a1', 'no_answer', '2026-02-03T10:00:00+08:00');
  await attempt('a1', 'right_party_contact', '2026-02-04T10:00:00+08:00');
  await attempt('a3', 'promise_to_pay', '2026-02-11T10:00:00+08:00');
  await attempt('a3', 'third_party', '2026-02-12T10:00:00+08:00');
  await attempt('a5', 'busy', '2026-01-31T16:30:00Z');
  await attempt('a5', 'refuse_to_pay', '2026-02-19T10:00:00+08:00');
  await attempt('a5', 'promise_to_pay', '2026-02-20T10:00:00+08:00');
  await attempt('a5', 'no_answer', '2026-02-28T16:30:00Z');
  await attempt('b1', 'right_party_contact', '2026-02-07T10:00:00+08:00');
}, 120_000);

afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const cny = (extra: Partial<MeasureCut> = {}): MeasureCut => ({
  currency: 'CNY',
  clientIds: 'all',
  ...extra,
});
const rate = (numerator: bigint, denominator: bigint) => rateOf(numerator, denominator);

describe('the summary of a cut and period', () => {
  it('gives every figure of kpi.md for client MSA in February', async () => {
    expect(await measureSummary(t.db, cny({ clientId: clientA }), february)).toEqual({
      // a1, a2, a3, a6 (A1) and a5 (A2); u7 is in USD
      accounts_placed: 5,
      placed_minor: 151_000n, // 10,000 + 20,000 + 30,000 + 50,000 + 41,000
      // trust: a1 2,000 + a2 20,000 + a3 (4,000 − 4,000 reversed) + a5 6,000; direct: a3 5,000
      collected_minor: 33_000n,
      collected_trust_minor: 28_000n,
      collected_direct_minor: 5_000n,
      payments: 4, // five payments less one reversal
      accounts_paying: 4, // a1, a2, a3 (net 5,000), a5
      recovery_rate: rate(33_000n, 151_000n),
      account_recovery_rate: rate(4n, 5n),
      // 20 % of 2,000 + 20,000 + 5,000 + 4,000 − 4,000 + 6,000
      commission_minor: 6_600n,
      // kpi.md: gross collected in trust less the commission, on direct payments too: 28,000 − 6,600
      net_to_client_minor: 21_400n,
      written_off_minor: 50_000n,
      bad_debt_rate: rate(50_000n, 151_000n),
      // no_answer, rpc (a1); ptp, third party (a3); busy at 00:30 on 1 Feb in Shanghai, refuse, ptp (a5)
      attempts: 7,
      reached: 5,
      right_party: 4,
      contact_rate: rate(5n, 7n),
      rpc_rate: rate(4n, 7n),
      // a1 (02-04), a3 (02-11), a5's withdrawn one (02-18) and a5 (02-20)
      promises_made: 4,
      promise_rate: rate(4n, 4n),
      // a1's ends 02-13 (broken), a3's 02-18 (kept); the withdrawn one is not due, a5's ends in March
      promises_due: 2,
      promises_kept: 1,
      promise_kept_rate: rate(1n, 2n),
      // a1's plan completed (02-16), a5's broken (02-28)
      plans_ended: 2,
      plans_completed: 1,
      plan_completion_rate: rate(1n, 2n),
      // a1, a3, a5 active on 28 February (a2 paid, a6 written off); a3 has no contact point
      live_accounts: 3,
      lost_contact_accounts: 1,
      lost_contact_rate: rate(1n, 3n),
      // first payments in February: a5 15 days (02-10 → 02-25), a2 26 (01-15 → 02-10), a3 28 (→ 02-12);
      // a1 paid first in January
      days_to_first_payment: { accounts: 3, median_days: 26, p90_days: 28 },
      days_to_full_payment: { accounts: 1, median_days: 26, p90_days: 26 },
    });
    const summary = await measureSummary(t.db, cny({ clientId: clientA }), february);
    expect(summary.recovery_rate.value).toBe('0.218543');
    expect(summary.bad_debt_rate.value).toBe('0.331126');
    expect(summary.contact_rate.value).toBe('0.714286');
    expect(summary.rpc_rate.value).toBe('0.571429');
  });

  it('reads without JIT, with 64 MB of work memory and a time limit inside its transaction, and nowhere else', async () => {
    const setting = sql<{ jit: string; work_mem: string; timeout: string }>`
      SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem,
             current_setting('statement_timeout') AS timeout`;
    const before = (await setting.execute(t.db)).rows[0];
    const inside = await t.db.transaction().execute(async (trx) => {
      await measureSummary(trx, cny({ clientId: clientA }), february);
      return (await setting.execute(trx)).rows[0];
    });
    expect(inside).toEqual({ jit: 'off', work_mem: '64MB', timeout: '1min' });
    expect((await setting.execute(t.db)).rows[0]).toEqual(before);
  });

  it('tells the caller to ask for less when counting runs past its time limit', async () => {
    const limit = measureLimits.timeout_ms;
    measureLimits.timeout_ms = 1;
    try {
      const error = await t.db
        .transaction()
        .execute((trx) => measureSummary(trx, cny({}), february))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HuikuanError);
      expect(error).toMatchObject({
        code: 'limit_exceeded',
        message: expect.stringContaining('Narrow the cut'),
      });
    } finally {
      measureLimits.timeout_ms = limit;
    }
  });

  it('counts only the days of the period asked', async () => {
    const values = await measureSummary(t.db, cny({ clientId: clientA }), january);
    expect(values).toMatchObject({
      // placed by the end of January: a1, a2, a3, a6 (a5 came in February, with nothing to pay in January)
      accounts_placed: 4,
      placed_minor: 110_000n,
      recovery_rate: rate(3_000n, 110_000n),
      account_recovery_rate: rate(1n, 4n),
      collected_minor: 3_000n,
      payments: 1,
      accounts_paying: 1,
      commission_minor: 600n,
      attempts: 1,
      right_party: 1,
      // the placement events were moved to their approval days: A1's five less u7 (USD)
      live_accounts: 4,
      days_to_first_payment: { accounts: 1, median_days: 5, p90_days: 5 },
    });
  });

  it('counts a promise as due once the nightly run has judged it, not while it is still open', async () => {
    // a promise on a1 falls due on 20 March (+3 days' grace); no nightly run has looked at it
    const march = { from: '2026-03-01', to: '2026-03-31' };
    const before = await measureSummary(t.db, cny({ clientId: clientA }), march);
    await takePromise(
      t.db,
      { accountId: ids.a1 as bigint, amountMinor: 1_000n, dueOn: '2026-03-20', today: '2026-03-16' },
      supervisor,
      { ...defaultLimits, graceDays: 3 },
    );
    const after = await measureSummary(t.db, cny({ clientId: clientA }), march);
    expect(after.promises_made).toBe(before.promises_made + 1);
    expect(after.promises_due).toBe(before.promises_due);
    expect(after.promise_kept_rate).toEqual(before.promise_kept_rate);
  });

  it('applies the caller’s client scope, whatever the cut asks', async () => {
    const onlyB = await measureSummary(t.db, { currency: 'CNY', clientIds: [clientB] }, february);
    expect(onlyB).toMatchObject({
      accounts_placed: 1,
      placed_minor: 70_000n,
      collected_minor: 7_000n,
      commission_minor: 1_400n,
      net_to_client_minor: 5_600n,
      attempts: 1,
      live_accounts: 1,
    });
    expect(
      await measureSummary(t.db, { currency: 'CNY', clientIds: [clientB], clientId: clientA }, february),
    ).toEqual(emptyMeasureValues());
    expect(await measureSummary(t.db, { currency: 'CNY', clientIds: [] }, february)).toEqual(
      emptyMeasureValues(),
    );
  });

  it('counts only the accounts of the asked currency', async () => {
    expect(
      await measureSummary(t.db, { currency: 'USD', clientIds: 'all', clientId: clientA }, february),
    ).toMatchObject({
      accounts_placed: 1,
      placed_minor: 9_000n,
      collected_minor: 1_000n,
      collected_trust_minor: 1_000n,
      commission_minor: 200n,
      net_to_client_minor: 800n,
      payments: 1,
      live_accounts: 1,
      lost_contact_accounts: 0,
      days_to_first_payment: { accounts: 1, median_days: 30, p90_days: 30 },
    });
  });

  it('counts paid in full from the day of the payment that did it, not from when it was posted', async () => {
    const asPosted = await measureSummary(t.db, cny({ clientId: clientA }), february);
    expect(asPosted.days_to_full_payment.accounts).toBe(1);
    // a2's payment is dated in February; its status event is stamped as if the file came in May
    await sql`UPDATE account_events SET at = '2026-05-01T10:00:00+08:00'
               WHERE account_id = ${ids.a2} AND to_status = 'paid'`.execute(t.db);
    try {
      const late = await measureSummary(t.db, cny({ clientId: clientA }), february);
      expect(late.days_to_full_payment).toEqual(asPosted.days_to_full_payment);
    } finally {
      await sql`UPDATE account_events SET at = '2026-02-10T15:00:00+08:00'
                 WHERE account_id = ${ids.a2} AND to_status = 'paid'`.execute(t.db);
    }
  });

  it('narrows to a product, a batch or a vintage', async () => {
    expect(await measureSummary(t.db, cny({ product: 'personal_loan' }), february)).toEqual({
      accounts_placed: 2,
      placed_minor: 71_000n,
      collected_minor: 11_000n,
      collected_trust_minor: 6_000n,
      collected_direct_minor: 5_000n,
      payments: 2,
      accounts_paying: 2,
      recovery_rate: rate(11_000n, 71_000n),
      account_recovery_rate: rate(2n, 2n),
      commission_minor: 2_200n,
      net_to_client_minor: 3_800n, // 6,000 in trust − 2,200
      written_off_minor: 0n,
      bad_debt_rate: rate(0n, 71_000n),
      attempts: 5,
      reached: 4,
      right_party: 3,
      contact_rate: rate(4n, 5n),
      rpc_rate: rate(3n, 5n),
      promises_made: 3,
      promise_rate: rate(3n, 3n),
      promises_due: 1,
      promises_kept: 1,
      promise_kept_rate: rate(1n, 1n),
      plans_ended: 1,
      plans_completed: 0,
      plan_completion_rate: rate(0n, 1n),
      live_accounts: 2,
      lost_contact_accounts: 1,
      lost_contact_rate: rate(1n, 2n),
      days_to_first_payment: { accounts: 2, median_days: 15, p90_days: 28 },
      days_to_full_payment: { accounts: 0, median_days: null, p90_days: null },
    });
    const a2 = await measureSummary(t.db, cny({ batchId: batches.A2 as bigint }), february);
    expect(a2).toMatchObject({ accounts_placed: 1, placed_minor: 41_000n, collected_minor: 6_000n });
    expect(await measureSummary(t.db, cny({ vintage: '2026-02' }), february)).toEqual(a2);
    expect((await measureSummary(t.db, cny({ vintage: '2026-01' }), february)).accounts_placed).toBe(5);
  });
});

describe('the measures by a dimension', () => {
  it('gives one row per client, most collected first, the same figures as each client’s summary', async () => {
    const result = await measuresBy(t.db, 'client', cny(), february, 10);
    expect(result.truncated).toBe(false);
    expect(result.rows.map((row) => [row.key, row.label, row.collected_minor])).toEqual([
      [String(clientA), '甲银行', 33_000n],
      [String(clientB), '乙消费金融', 7_000n],
    ]);
    const { key: _a, label: _la, ...rowA } = result.rows[0] ?? { key: '', label: '' };
    expect(rowA).toEqual(await measureSummary(t.db, cny({ clientId: clientA }), february));
    const { key: _b, label: _lb, ...rowB } = result.rows[1] ?? { key: '', label: '' };
    expect(rowB).toEqual(await measureSummary(t.db, cny({ clientId: clientB }), february));
    const limited = await measuresBy(t.db, 'client', cny(), february, 1);
    expect(limited.truncated).toBe(true);
    expect(limited.rows.map((row) => row.key)).toEqual([String(clientA)]);
    const scoped = await measuresBy(t.db, 'client', { currency: 'CNY', clientIds: [clientB] }, february, 10);
    expect(scoped.rows.map((row) => row.key)).toEqual([String(clientB)]);
  });

  it('gives one row per batch with its name', async () => {
    const result = await measuresBy(t.db, 'batch', cny({ clientId: clientA }), february, 10);
    expect(
      result.rows.map((row) => ({
        key: row.key,
        label: row.label,
        accounts: row.accounts_placed,
        placed: row.placed_minor,
        collected: row.collected_minor,
        payments: row.payments,
        written_off: row.written_off_minor,
        live: row.live_accounts,
        first: row.days_to_first_payment,
      })),
    ).toEqual([
      {
        key: String(batches.A1),
        label: 'A1',
        accounts: 4,
        placed: 110_000n,
        collected: 27_000n,
        payments: 3,
        written_off: 50_000n,
        live: 2,
        first: { accounts: 2, median_days: 26, p90_days: 28 },
      },
      {
        key: String(batches.A2),
        label: 'A2',
        accounts: 1,
        placed: 41_000n,
        collected: 6_000n,
        payments: 1,
        written_off: 0n,
        live: 1,
        first: { accounts: 1, median_days: 15, p90_days: 15 },
      },
    ]);
  });

  it('groups by the current agent and team, accounts without one under an empty key', async () => {
    const agents = await measuresBy(t.db, 'agent', cny({ clientId: clientA }), february, 10);
    expect(agents.rows.map((row) => [row.key, row.label, row.accounts_placed, row.collected_minor])).toEqual([
      ['agent.wang', '王芳', 2, 22_000n],
      ['', '', 3, 11_000n],
    ]);
    const teams = await measuresBy(t.db, 'team', cny({ clientId: clientA }), february, 10);
    expect(teams.rows.map((row) => [row.key, row.label, row.accounts_placed, row.collected_minor])).toEqual([
      [String(teamId), '一组', 2, 22_000n],
      ['', '', 3, 11_000n],
    ]);
    const wang = await measureSummary(t.db, cny({ agent: 'agent.wang' }), february);
    expect(wang).toMatchObject({
      accounts_placed: 2,
      placed_minor: 30_000n,
      collected_minor: 22_000n,
      payments: 2,
    });
    expect(await measureSummary(t.db, cny({ teamId }), february)).toEqual(wang);
    const vintages = await measuresBy(t.db, 'vintage', cny({ clientId: clientA }), february, 10);
    expect(vintages.rows.map((row) => [row.key, row.label, row.collected_minor])).toEqual([
      ['2026-01', '2026-01', 27_000n],
      ['2026-02', '2026-02', 6_000n],
    ]);
    const products = await measuresBy(t.db, 'product', cny(), february, 10);
    expect(products.rows.map((row) => [row.key, row.accounts_placed, row.collected_minor])).toEqual([
      ['credit_card', 4, 29_000n],
      ['personal_loan', 2, 11_000n],
    ]);
  });
});

describe('the liquidation curve', () => {
  it('cumulates each vintage’s collections month by month, never past today', async () => {
    const curves = await recoveryCurves(t.db, cny({ clientId: clientA }), {
      months: 3,
      vintages: 5,
      today: '2026-03-10',
    });
    expect(curves).toEqual([
      {
        vintage: '2026-01',
        accounts: 4,
        placed_minor: 110_000n,
        points: [
          { month: 0, collected_minor: 3_000n, rate: rate(3_000n, 110_000n) },
          // February: 2,000 + 20,000 + 5,000 direct + 4,000 − 4,000 reversed
          { month: 1, collected_minor: 30_000n, rate: rate(30_000n, 110_000n) },
          { month: 2, collected_minor: 30_000n, rate: rate(30_000n, 110_000n) },
        ],
      },
      {
        vintage: '2026-02',
        accounts: 1,
        placed_minor: 41_000n,
        points: [
          { month: 0, collected_minor: 6_000n, rate: rate(6_000n, 41_000n) },
          { month: 1, collected_minor: 7_000n, rate: rate(7_000n, 41_000n) },
        ],
      },
    ]);
    expect(curves[0]?.points.map((point) => point.rate.value)).toEqual(['0.027273', '0.272727', '0.272727']);
    expect(curves[1]?.points.map((point) => point.rate.value)).toEqual(['0.146341', '0.170732']);
    const latest = await recoveryCurves(t.db, cny({ clientId: clientA }), {
      months: 12,
      vintages: 1,
      today: '2026-03-04',
    });
    expect(
      latest.map((curve) => [curve.vintage, curve.points.map((point) => point.collected_minor)]),
    ).toEqual([['2026-02', [6_000n, 6_000n]]]);
    expect(
      await recoveryCurves(t.db, cny({ clientId: clientA }), { months: 3, vintages: 5, today: '2025-12-31' }),
    ).toEqual([]);
  });
});

describe('the roll rates of a month', () => {
  it('follows the balance of each bucket on the first day to where it was on the last', async () => {
    const matrix = await rollRates(t.db, cny(), '2026-02');
    expect(matrix).toMatchObject({ month: '2026-02', from: '2026-02-01', to: '2026-02-28' });
    const nonZero = (row: RollRow) => ({
      from: row.from,
      accounts: row.accounts,
      balance: row.balance_minor,
      to: row.to
        .filter((cell) => cell.accounts > 0)
        .map((cell) => [cell.state, cell.accounts, cell.balance_minor, cell.rate.value]),
    });
    // a5 was placed on 02-10 and is not in; b1 and a1 start in M2 (48 and 31 days past due),
    // a2 in M4 (92), a3 in M5 (123), a6 in M6+ (245); their balances on 1 February are before the
    // February payments: a1 7,000, a2 20,000, a3 30,000, a6 50,000, b1 70,000
    expect(matrix.rows.map(nonZero)).toEqual([
      { from: 'current', accounts: 0, balance: 0n, to: [] },
      { from: 'M1', accounts: 0, balance: 0n, to: [] },
      {
        from: 'M2',
        accounts: 2,
        balance: 77_000n,
        to: [
          ['M2', 1, 7_000n, '0.090909'], // a1 at 58 days
          ['M3', 1, 70_000n, '0.909091'], // b1 at 75
        ],
      },
      { from: 'M3', accounts: 0, balance: 0n, to: [] },
      { from: 'M4', accounts: 1, balance: 20_000n, to: [['paid', 1, 20_000n, '1.000000']] },
      { from: 'M5', accounts: 1, balance: 30_000n, to: [['M5', 1, 30_000n, '1.000000']] },
      { from: 'M6', accounts: 0, balance: 0n, to: [] },
      { from: 'M6+', accounts: 1, balance: 50_000n, to: [['closed', 1, 50_000n, '1.000000']] },
    ]);
    for (const row of matrix.rows) expect(row.to).toHaveLength(10);
    const onlyA = await rollRates(t.db, cny({ clientId: clientA }), '2026-02');
    expect(onlyA.rows.find((row) => row.from === 'M2')).toMatchObject({ accounts: 1, balance_minor: 7_000n });

    // what happens on the 1st belongs to that month, not between two matrices: b1 (76 days past due
    // on 1 March) paid off, effective that day
    await pay(clientB, 'b1', 63_000n, '2026-03-01');
    const march = await rollRates(t.db, cny({ clientId: clientB }), '2026-03');
    expect(march.rows.filter((row) => row.accounts > 0).map(nonZero)).toEqual([
      { from: 'M3', accounts: 1, balance: 63_000n, to: [['paid', 1, 63_000n, '1.000000']] },
    ]);
  });
});

describe('the before / after comparison', () => {
  it('compares the contact rate of January with February’s', async () => {
    // January: a1's one attempt reached the debtor (1/1); February: 5/7
    const result = await compareMeasure(t.db, 'contact_rate', cny({ clientId: clientA }), january, february);
    expect(result).toEqual({
      measure: 'contact_rate',
      before: { ...rate(1n, 1n), ...january },
      after: { ...rate(5n, 7n), ...february },
      difference: '-0.285714',
      // ± 1.959964 · √(0 + (5/7)(2/7)/7) = ± 0.334658…, widened outward
      interval: { low: '-0.620372', high: '0.048944' },
      // pooled 6/8: z = (2/7) / √(0.1875 · (1 + 1/7)) = 0.617213; p = 0.537
      p_value: '0.537094',
      enough: false,
    });
  });
});
