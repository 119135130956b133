/**
 * Agent actions: promises kept / broken / partially paid with the grace period, a reversal turning a
 * kept promise open and then broken, plan instalments in order and the plan broken by one, plan
 * approval by a second supervisor only, the limits, call-backs missed, field visits refused without
 * their recording, attempts reporting to the gate and recording holds, and the nightly run's step
 * (counted in the run's outcome, idempotent for a date). Figures worked out by hand in minor units.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { gateContact } from '../compliance/service.ts';
import { reverseEntry } from '../ledger/events.ts';
import { postPayments } from '../ledger/payments.ts';
import { createClient, payment, placeAccounts } from '../ledger/test-fixtures.ts';
import { toJson } from '../shared/json.ts';
import { runStrategy } from '../strategy/service.ts';
import { defaultLimits, limitsFromEnv } from './model.ts';
import { brokenSince, evaluateAgentActions, noActionCounts } from './nightly.ts';
import {
  accountActions,
  cancelPromise,
  completeCallback,
  decidePlan,
  logAttempt,
  markHardship,
  proposePlan,
  recordFieldVisit,
  setCallback,
  takePromise,
} from './service.ts';

let t: TestDatabase;
let clientId: bigint;
const maxId = 9_223_372_036_854_775_807n;
const agent = { actor: 'agent1', supervisor: false };
const supervisor = { actor: 'sup1', supervisor: true };

beforeAll(async () => {
  t = await testDatabase();
  ({ clientId } = await createClient(t.db, 'WKL'));
});
afterAll(async () => {
  await t.drop();
});

/** A fresh account with a balance of 1,000.00 (100,000 fen). */
async function account(ref: string): Promise<bigint> {
  const [id] = await placeAccounts(t.db, clientId, [
    { ref, principal: 100_000n, delinquencyDate: '2026-01-01' },
  ]);
  if (id === undefined) throw new Error('no account');
  return id;
}

async function pay(accountId: bigint, amount: bigint, paidOn: string): Promise<bigint> {
  const [result] = await postPayments(t.db, [payment(clientId, accountId, amount, { paidOn })], 'tester');
  if (result?.status !== 'posted' || result.entryId === undefined)
    throw new Error(`payment ${result?.status}`);
  return result.entryId;
}

function evaluate(asOf: string) {
  return evaluateAgentActions(t.db, { clientId, firstId: 0n, lastId: maxId, asOf });
}

async function promiseRow(id: bigint) {
  return t.db
    .withTables<import('./tables.ts').WorklistTables>()
    .selectFrom('promises')
    .select(['status', 'paid_minor', 'kept_on', 'broken_at', 'final'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function planState(id: bigint) {
  const plans = await accountActionsOfPlan(id);
  return {
    status: plans.status,
    broken_at: plans.broken_at,
    completed_on: plans.completed_on,
    instalments: plans.instalments.map((i) => [i.n, i.status, i.paid_minor, i.final]),
  };
}

async function accountActionsOfPlan(id: bigint) {
  const row = await sql<{
    account_id: bigint;
  }>`SELECT account_id FROM payment_plans WHERE id = ${id}`.execute(t.db);
  const actions = await accountActions(t.db, row.rows[0]?.account_id as bigint);
  const plan = actions.plans.find((p) => p.id === id);
  if (!plan) throw new Error('no plan');
  return plan;
}

describe('promises to pay', () => {
  it('a promise paid in two parts is partially paid, then kept on the day the second arrives, then final', async () => {
    const a = await account('P-KEPT');
    const promise = await takePromise(
      t.db,
      { accountId: a, amountMinor: 30_000n, dueOn: '2026-03-10', today: '2026-03-01' },
      agent,
      defaultLimits,
    );
    expect(promise).toMatchObject({
      status: 'open',
      grace_days: 3,
      grace_ends_on: '2026-03-13',
      approved_by: null,
    });
    await pay(a, 5_000n, '2026-02-28'); // before the promise: not counted
    await pay(a, 20_000n, '2026-03-05');
    await evaluate('2026-03-06');
    expect(await promiseRow(promise.id)).toEqual({
      status: 'open',
      paid_minor: 20_000n,
      kept_on: null,
      broken_at: null,
      final: false,
    });
    await pay(a, 10_000n, '2026-03-12'); // inside the grace
    await evaluate('2026-03-12');
    expect(await promiseRow(promise.id)).toEqual({
      status: 'kept',
      paid_minor: 30_000n,
      kept_on: '2026-03-12',
      broken_at: null,
      final: false,
    });
    await evaluate('2026-03-14');
    expect(await promiseRow(promise.id)).toEqual({
      status: 'kept',
      paid_minor: 30_000n,
      kept_on: '2026-03-12',
      broken_at: null,
      final: true,
    });
  });

  it('a promise partly paid is open through the grace and broken the day after, once', async () => {
    const a = await account('P-BROKEN');
    const promise = await takePromise(
      t.db,
      { accountId: a, amountMinor: 30_000n, dueOn: '2026-03-10', today: '2026-03-01' },
      agent,
      defaultLimits,
    );
    await pay(a, 29_999n, '2026-03-09');
    await pay(a, 1n, '2026-03-14'); // after due + grace (03-13): not counted
    await evaluate('2026-03-13');
    expect(await promiseRow(promise.id)).toMatchObject({ status: 'open', paid_minor: 29_999n, final: false });
    await evaluate('2026-03-14');
    const broken = await promiseRow(promise.id);
    expect(broken).toEqual({
      status: 'broken',
      paid_minor: 29_999n,
      kept_on: null,
      broken_at: '2026-03-14',
      final: true,
    });
    const again = await evaluate('2026-03-14');
    expect(again.promises_broken).toBe(0);
    expect(await promiseRow(promise.id)).toEqual(broken);
    expect((await brokenSince(t.db, '2026-03-14')).filter((b) => b.account_id === a)).toEqual([
      { kind: 'promise', id: promise.id, client_id: clientId, account_id: a, broken_at: '2026-03-14' },
    ]);
    expect((await brokenSince(t.db, '2026-03-15')).filter((b) => b.account_id === a)).toEqual([]);
  });

  it('a reversal inside the grace turns a kept promise open again, then broken; one after the grace changes nothing', async () => {
    const a = await account('P-REVERSED');
    const promise = await takePromise(
      t.db,
      { accountId: a, amountMinor: 30_000n, dueOn: '2026-03-10', today: '2026-03-01' },
      agent,
      defaultLimits,
    );
    const entry = await pay(a, 30_000n, '2026-03-08');
    await evaluate('2026-03-09');
    expect(await promiseRow(promise.id)).toMatchObject({ status: 'kept', kept_on: '2026-03-09' });
    await reverseEntry(t.db, {
      clientId,
      entryId: entry,
      reason: 'returned',
      actor: 'finance',
      effectiveDate: '2026-03-11',
    });
    await evaluate('2026-03-10'); // the reversal is not yet effective on the 10th
    expect(await promiseRow(promise.id)).toMatchObject({ status: 'kept', paid_minor: 30_000n });
    await evaluate('2026-03-11');
    expect(await promiseRow(promise.id)).toEqual({
      status: 'open',
      paid_minor: 0n,
      kept_on: null,
      broken_at: null,
      final: false,
    });
    await evaluate('2026-03-14');
    expect(await promiseRow(promise.id)).toMatchObject({
      status: 'broken',
      broken_at: '2026-03-14',
      final: true,
    });

    const b = await account('P-LATE-REVERSAL');
    const kept = await takePromise(
      t.db,
      { accountId: b, amountMinor: 30_000n, dueOn: '2026-03-10', today: '2026-03-01' },
      agent,
      defaultLimits,
    );
    const paid = await pay(b, 30_000n, '2026-03-02');
    await evaluate('2026-03-14');
    expect(await promiseRow(kept.id)).toMatchObject({ status: 'kept', final: true });
    await reverseEntry(t.db, {
      clientId,
      entryId: paid,
      reason: 'late chargeback',
      actor: 'finance',
      effectiveDate: '2026-03-20',
    });
    await evaluate('2026-03-21');
    expect(await promiseRow(kept.id)).toMatchObject({ status: 'kept', kept_on: '2026-03-14', final: true });
  });

  it('a new promise closes a kept one still in its grace: a later reversal leaves that one kept', async () => {
    const a = await account('P-SUPERSEDED');
    const first = await takePromise(
      t.db,
      { accountId: a, amountMinor: 20_000n, dueOn: '2026-03-10', today: '2026-03-01' },
      agent,
      defaultLimits,
    );
    const entry = await pay(a, 20_000n, '2026-03-02');
    await evaluate('2026-03-03');
    expect(await promiseRow(first.id)).toMatchObject({ status: 'kept', final: false });
    const second = await takePromise(
      t.db,
      { accountId: a, amountMinor: 30_000n, dueOn: '2026-03-20', today: '2026-03-04' },
      agent,
      defaultLimits,
    );
    expect(await promiseRow(first.id)).toMatchObject({ status: 'kept', kept_on: '2026-03-03', final: true });
    await reverseEntry(t.db, {
      clientId,
      entryId: entry,
      reason: 'returned',
      actor: 'finance',
      effectiveDate: '2026-03-05',
    });
    await evaluate('2026-03-05');
    expect(await promiseRow(first.id)).toMatchObject({ status: 'kept', final: true });
    expect(await promiseRow(second.id)).toMatchObject({ status: 'open', paid_minor: 0n });
  });

  it('limits: an agent may not take a promise below 10% of the balance or more than 30 days out; a supervisor may', async () => {
    const a = await account('P-LIMITS');
    const base = { accountId: a, today: '2026-03-01' };
    await expect(
      takePromise(t.db, { ...base, amountMinor: 9_999n, dueOn: '2026-03-10' }, agent, defaultLimits),
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: { limit_reasons: [expect.stringContaining('below 10%')] },
    });
    await expect(
      takePromise(t.db, { ...base, amountMinor: 10_000n, dueOn: '2026-04-01' }, agent, defaultLimits),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('more than 30 days out') });
    await expect(
      takePromise(t.db, { ...base, amountMinor: 100_001n, dueOn: '2026-03-10' }, agent, defaultLimits),
    ).rejects.toMatchObject({ code: 'bad_input' });
    await expect(
      takePromise(t.db, { ...base, amountMinor: 10_000n, dueOn: '2026-02-28' }, agent, defaultLimits),
    ).rejects.toMatchObject({ code: 'bad_input' });
    const within = await takePromise(
      t.db,
      { ...base, amountMinor: 10_000n, dueOn: '2026-03-31' },
      agent,
      defaultLimits,
    );
    expect(within).toMatchObject({ status: 'open', approved_by: null, limit_reasons: [] });
    await expect(
      takePromise(t.db, { ...base, amountMinor: 20_000n, dueOn: '2026-03-20' }, agent, defaultLimits),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(cancelPromise(t.db, within.id, ' ', agent)).rejects.toMatchObject({ code: 'bad_input' });
    expect(await cancelPromise(t.db, within.id, 'debtor withdrew it', agent)).toMatchObject({
      status: 'cancelled',
      cancelled_by: 'agent1',
    });
    await expect(cancelPromise(t.db, within.id, 'again', agent)).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const big = await takePromise(
      t.db,
      { ...base, amountMinor: 5_000n, dueOn: '2026-04-15' },
      supervisor,
      defaultLimits,
    );
    expect(big).toMatchObject({ status: 'open', approved_by: 'sup1' });
    expect(big.limit_reasons).toHaveLength(2);
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor'])
      .where('entity_type', '=', 'promise')
      .where('entity_id', '=', String(big.id))
      .execute();
    expect(audit).toEqual([{ action: 'worklist.promise_taken', actor: 'sup1' }]);
  });

  it('limits come from the environment when set, and a bad value is refused', () => {
    expect(limitsFromEnv({ HUIKUAN_PROMISE_GRACE_DAYS: '5' })).toEqual({ ...defaultLimits, graceDays: 5 });
    expect(() => limitsFromEnv({ HUIKUAN_PROMISE_MIN_SHARE_BP: '12000' })).toThrow(/from 0 to 10000/);
  });
});

describe('payment plans', () => {
  const three = [
    { dueOn: '2026-03-10', amountMinor: 40_000n },
    { dueOn: '2026-04-10', amountMinor: 30_000n },
    { dueOn: '2026-05-10', amountMinor: 30_000n },
  ];

  it('within the limits a plan is active at once; instalments are kept in order and one broken breaks the plan', async () => {
    const a = await account('PL-BROKEN');
    const plan = await proposePlan(
      t.db,
      { accountId: a, totalMinor: 100_000n, instalments: three, today: '2026-03-01' },
      { actor: 'agent1' },
      defaultLimits,
    );
    expect(plan).toMatchObject({
      status: 'active',
      limit_reasons: [],
      starts_on: '2026-03-01',
      decided_by: null,
    });
    await pay(a, 40_000n, '2026-03-09');
    const first = await evaluate('2026-03-09');
    expect(first.instalments_kept).toBeGreaterThanOrEqual(1);
    await pay(a, 20_000n, '2026-04-12');
    await evaluate('2026-04-13');
    expect(await planState(plan.id)).toEqual({
      status: 'active',
      broken_at: null,
      completed_on: null,
      instalments: [
        [1, 'kept', 40_000n, true],
        [2, 'open', 20_000n, false],
        [3, 'open', 0n, false],
      ],
    });
    await evaluate('2026-04-14');
    expect(await planState(plan.id)).toEqual({
      status: 'broken',
      broken_at: '2026-04-14',
      completed_on: null,
      instalments: [
        [1, 'kept', 40_000n, true],
        [2, 'broken', 20_000n, true],
        [3, 'open', 0n, false],
      ],
    });
    expect((await brokenSince(t.db, '2026-04-14')).filter((b) => b.account_id === a)).toEqual([
      { kind: 'plan', id: plan.id, client_id: clientId, account_id: a, broken_at: '2026-04-14' },
    ]);
  });

  it('a plan paid early is kept instalment by instalment and completed once the last grace has ended', async () => {
    const a = await account('PL-DONE');
    const plan = await proposePlan(
      t.db,
      { accountId: a, totalMinor: 100_000n, instalments: three, today: '2026-03-01' },
      { actor: 'agent1' },
      defaultLimits,
    );
    await pay(a, 70_000n, '2026-03-02');
    await evaluate('2026-03-02');
    expect((await planState(plan.id)).instalments).toEqual([
      [1, 'kept', 40_000n, false],
      [2, 'kept', 30_000n, false],
      [3, 'open', 0n, false],
    ]);
    await pay(a, 30_000n, '2026-05-13');
    await evaluate('2026-05-13');
    expect((await planState(plan.id)).status).toBe('active');
    await evaluate('2026-05-14');
    expect(await planState(plan.id)).toMatchObject({ status: 'completed', completed_on: '2026-05-14' });
  });

  it('above the limits a plan waits for a supervisor other than the proposer; rejection needs a reason', async () => {
    const a = await account('PL-APPROVAL');
    const monthly = Array.from({ length: 13 }, (_, i) => ({
      dueOn: `2026-${String(3 + (i % 10)).padStart(2, '0')}-${i < 10 ? '10' : '20'}`,
      amountMinor: i === 12 ? 4_000n : 8_000n,
    })).sort((x, y) => x.dueOn.localeCompare(y.dueOn));
    const plan = await proposePlan(
      t.db,
      { accountId: a, totalMinor: 100_000n, instalments: monthly, today: '2026-03-01' },
      { actor: 'sup1' },
      defaultLimits,
    );
    expect(plan.status).toBe('pending_approval');
    expect(plan.limit_reasons).toEqual(['13 instalments, more than 12']);
    await expect(
      decidePlan(t.db, plan.id, 'approve', null, { actor: 'sup1' }, '2026-03-02'),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(decidePlan(t.db, plan.id, 'reject', null, { actor: 'sup2' })).rejects.toMatchObject({
      code: 'bad_input',
    });
    // pending plans are not evaluated
    await evaluate('2026-03-20');
    expect((await planState(plan.id)).instalments[0]).toEqual([1, 'open', 0n, false]);
    const approved = await decidePlan(
      t.db,
      plan.id,
      'approve',
      'looks fine',
      { actor: 'sup2' },
      '2026-03-02',
    );
    expect(approved).toMatchObject({ status: 'active', decided_by: 'sup2', decision_reason: 'looks fine' });
    await expect(decidePlan(t.db, plan.id, 'reject', 'late', { actor: 'sup3' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(
      proposePlan(
        t.db,
        { accountId: a, totalMinor: 100_000n, instalments: three, today: '2026-03-01' },
        { actor: 'agent1' },
        defaultLimits,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses instalments that do not sum to the total, out of order, or a total above the balance', async () => {
    const a = await account('PL-BAD');
    const propose = (totalMinor: bigint, instalments: typeof three) =>
      proposePlan(
        t.db,
        { accountId: a, totalMinor, instalments, today: '2026-03-01' },
        { actor: 'agent1' },
        defaultLimits,
      );
    await expect(propose(90_000n, three)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('add up to'),
    });
    await expect(propose(100_000n, [three[1], three[0], three[2]] as typeof three)).rejects.toMatchObject({
      code: 'bad_input',
    });
    await expect(propose(100_001n, [{ dueOn: '2026-03-10', amountMinor: 100_001n }])).rejects.toMatchObject({
      code: 'bad_input',
    });
    const small = await propose(50_000n, [{ dueOn: '2026-03-10', amountMinor: 50_000n }]);
    expect(small.status).toBe('pending_approval');
    expect(small.limit_reasons[0]).toContain('less than the balance');
  });
});

describe('call-backs, hardship, field visits and attempts', () => {
  it("a call-back is kept as the instant and the debtor's zone, missed when its local day has passed, then done", async () => {
    const a = await account('CB');
    const callback = await setCallback(
      t.db,
      { accountId: a, at: '2026-03-01 14:30' },
      { actor: 'agent1' },
      new Date('2026-02-28T00:00:00Z'),
    );
    expect(callback).toMatchObject({
      due_at: new Date('2026-03-01T06:30:00Z'),
      zone: 'Asia/Shanghai',
      status: 'due',
    });
    await expect(
      setCallback(
        t.db,
        { accountId: a, at: '2026-03-01' },
        { actor: 'agent1' },
        new Date('2026-02-28T00:00:00Z'),
      ),
    ).rejects.toMatchObject({ code: 'bad_input' });
    await evaluate('2026-03-01');
    expect((await accountActions(t.db, a)).callbacks[0]?.status).toBe('due');
    const missed = await evaluate('2026-03-02');
    expect(missed.callbacks_missed).toBe(1);
    expect((await accountActions(t.db, a)).callbacks[0]).toMatchObject({
      status: 'missed',
      missed_on: '2026-03-02',
    });
    expect(await completeCallback(t.db, callback.id, { actor: 'agent1' })).toMatchObject({
      status: 'done',
      done_by: 'agent1',
    });
    await expect(completeCallback(t.db, callback.id, { actor: 'agent1' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('a field visit without its recording is refused; with it, it is recorded and audited', async () => {
    const a = await account('FV');
    const visit = {
      accountId: a,
      visitedAt: '2026-03-01 10:00',
      address: '上海市浦东新区',
      visitors: '王五, 赵六',
      result: 'debtor at home, agreed to call',
    };
    await expect(recordFieldVisit(t.db, visit, { actor: 'agent1' })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('recording'),
    });
    await expect(
      recordFieldVisit(t.db, { ...visit, recordingRef: '   ' }, { actor: 'agent1' }),
    ).rejects.toMatchObject({
      code: 'bad_input',
    });
    expect((await accountActions(t.db, a)).field_visits).toEqual([]);
    const recorded = await recordFieldVisit(
      t.db,
      { ...visit, recordingRef: 'rec://2026/03/01/fv-1.mp4', latitude: 31.2304, longitude: 121.4737 },
      { actor: 'agent1' },
    );
    expect(recorded).toMatchObject({
      recording_ref: 'rec://2026/03/01/fv-1.mp4',
      latitude: 31.2304,
      visited_at: new Date('2026-03-01T02:00:00Z'),
    });
    const hardship = await markHardship(
      t.db,
      { accountId: a, options: ['longer_term'], note: 'lost job' },
      { actor: 'agent1' },
    );
    expect(hardship).toMatchObject({ options: ['longer_term'], note: 'lost job' });
    await expect(
      markHardship(t.db, { accountId: a, options: ['forgive_all'], note: 'x' }, { actor: 'agent1' }),
    ).rejects.toMatchObject({ code: 'bad_input' });
  });

  it("attempts: the gate's contact gets its outcome once; dispute and deceased record their holds", async () => {
    const a = await account('AT');
    const gate = await gateContact(t.db, {
      accountId: a,
      channel: 'call',
      party: 'debtor',
      at: new Date('2026-03-02T02:00:00Z'),
      actor: 'agent1',
    });
    expect(gate.contactId).not.toBeNull();
    const contactId = gate.contactId as bigint;
    const attempt = await logAttempt(
      t.db,
      {
        accountId: a,
        disposition: 'no_answer',
        channel: 'call',
        gateContactId: contactId,
        durationSeconds: 25,
      },
      { actor: 'agent1' },
    );
    expect(attempt).toMatchObject({ disposition: 'no_answer', gate_contact_id: contactId, hold_id: null });
    const contact = await sql<{
      outcome: string;
    }>`SELECT outcome FROM compliance_contacts WHERE id = ${contactId}`.execute(t.db);
    expect(contact.rows[0]?.outcome).toBe('no_answer');
    await expect(
      logAttempt(
        t.db,
        { accountId: a, disposition: 'busy', channel: 'call', gateContactId: contactId },
        { actor: 'agent1' },
      ),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    // refused before its hold: a dispute on a contact already reported leaves no hold behind
    await expect(
      logAttempt(
        t.db,
        { accountId: a, disposition: 'dispute', channel: 'call', gateContactId: contactId },
        { actor: 'agent1' },
      ),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    expect((await sql`SELECT id FROM compliance_holds WHERE account_id = ${a}`.execute(t.db)).rows).toEqual(
      [],
    );
    await expect(
      logAttempt(t.db, { accountId: a, disposition: 'shouted', channel: 'call' }, { actor: 'agent1' }),
    ).rejects.toMatchObject({ code: 'bad_input' });

    const dispute = await logAttempt(
      t.db,
      { accountId: a, disposition: 'dispute', channel: 'call', notes: '不是我的欠款' },
      { actor: 'agent1' },
    );
    const deceased = await logAttempt(
      t.db,
      { accountId: a, disposition: 'deceased', channel: 'call' },
      { actor: 'agent1' },
    );
    const holds = await sql<{ id: bigint; kind: string; account_id: bigint | null; source: string }>`
      SELECT id, kind, account_id, source FROM compliance_holds WHERE id IN (${dispute.hold_id}, ${deceased.hold_id}) ORDER BY id`.execute(
      t.db,
    );
    expect(holds.rows).toEqual([
      { id: dispute.hold_id, kind: 'dispute', account_id: a, source: 'phone' },
      { id: deceased.hold_id, kind: 'deceased', account_id: null, source: 'phone' },
    ]);
    const timeline = await sql<{ kind: string }>`
      SELECT action AS kind FROM audit_events WHERE entity_type = 'contact_attempt' ORDER BY id`.execute(
      t.db,
    );
    expect(timeline.rows.map((r) => r.kind)).toEqual(Array(3).fill('worklist.attempt_logged'));
  });
});

/** What the CLI prints for these rows (ids as JSON numbers). */
async function jsonOf(rows: Promise<unknown>): Promise<unknown> {
  return JSON.parse(toJson(await rows));
}

describe('huikuan worklist broken', () => {
  it('lists what was found broken since a date, and refuses a bad date', async () => {
    const cli = cliFor(t);
    const listed = await cli(['worklist', 'broken', '--since', '2026-04-14', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.json().since).toBe('2026-04-14');
    expect(listed.json().items).toEqual(await jsonOf(brokenSince(t.db, '2026-04-14')));
    expect(listed.json().items).toContainEqual(
      expect.objectContaining({ kind: 'plan', broken_at: '2026-04-14' }),
    );
    const human = await cli(['worklist', 'broken', '--since', '2099-01-01']);
    expect(human.stdout).toContain('Nothing broken since 2099-01-01.');
    const bad = await cli(['worklist', 'broken', '--since', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
  });
});

describe('the nightly run', () => {
  it("the step 'promises and plans' counts in the run's outcome; the same date twice is one result", async () => {
    await evaluate('2026-06-13'); // the earlier tests' promises and plans settled before the run
    const a = await account('NIGHT');
    const promise = await takePromise(
      t.db,
      { accountId: a, amountMinor: 20_000n, dueOn: '2026-06-10', today: '2026-06-01' },
      agent,
      defaultLimits,
    );
    const b = await account('NIGHT-KEPT');
    const kept = await takePromise(
      t.db,
      { accountId: b, amountMinor: 20_000n, dueOn: '2026-06-10', today: '2026-06-01' },
      agent,
      defaultLimits,
    );
    await pay(b, 20_000n, '2026-06-05');
    const first = await runStrategy(t.db, { asOf: '2026-06-14', actor: 'test' });
    expect(first.totals).toMatchObject({ promises_broken: 1, promises_kept: 1 });
    expect(await promiseRow(promise.id)).toMatchObject({ status: 'broken', broken_at: '2026-06-14' });
    expect(await promiseRow(kept.id)).toMatchObject({ status: 'kept', kept_on: '2026-06-14', final: true });
    const states =
      await sql`SELECT id, status, paid_minor, kept_on, broken_at, final FROM promises ORDER BY id`.execute(
        t.db,
      );
    const again = await runStrategy(t.db, { asOf: '2026-06-14', actor: 'test' });
    expect(again.already_completed).toBe(true);
    expect(again.totals).toEqual(first.totals);
    // the step itself, done again for the date, changes nothing
    expect(await evaluate('2026-06-14')).toEqual(noActionCounts);
    expect(
      (
        await sql`SELECT id, status, paid_minor, kept_on, broken_at, final FROM promises ORDER BY id`.execute(
          t.db,
        )
      ).rows,
    ).toEqual(states.rows);
  });
});
