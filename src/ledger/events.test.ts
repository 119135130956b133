import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import {
  accrue,
  agreeSettlement,
  approveProposal,
  discount,
  listProposals,
  proposeAdjustment,
  proposeRecall,
  proposeWriteOff,
  rejectProposal,
  remit,
  reverseEntry,
  transferCommission,
} from './events.ts';
import { postPayments } from './payments.ts';
import { checkLedger } from './queries.ts';
import { accountState, createClient, payment, placeAccounts, postingsOfEntry } from './test-fixtures.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

let n = 0;
async function oneAccount(
  terms: Parameters<typeof createClient>[2] = {},
  placed = { principal: 1000n, interest: 100n, fees: 50n, penalty: 20n },
) {
  n += 1;
  const { clientId } = await createClient(t.db, `EV${n}`, terms);
  const [accountId] = (await placeAccounts(t.db, clientId, [{ ref: 'A', ...placed }])) as [bigint];
  return { clientId, accountId };
}

describe('accrual', () => {
  it('posts Dr debt interest/fees, Cr client:placed', async () => {
    const { clientId, accountId } = await oneAccount();
    const { entryId } = await accrue(t.db, {
      clientId,
      accountId,
      actor: 'u',
      interestMinor: 30n,
      feesMinor: 5n,
      effectiveDate: '2025-07-01',
    });
    expect(await postingsOfEntry(t.db, entryId)).toEqual([
      ['debt:interest', accountId, 30n],
      ['debt:fees', accountId, 5n],
      ['client:placed', null, -35n],
    ]);
    expect(await accountState(t.db, accountId)).toMatchObject({ interest: 130n, fees: 55n });
  });

  it('is refused where the contract does not allow it', async () => {
    const { clientId, accountId } = await oneAccount({ accrualAllowed: false });
    await expect(
      accrue(t.db, { clientId, accountId, actor: 'u', interestMinor: 30n, feesMinor: 0n }),
    ).rejects.toThrow(/does not allow accrual/);
  });
});

describe('discounts and maker-checker', () => {
  it('posts a discount within the limit at once (waterfall order)', async () => {
    const { clientId, accountId } = await oneAccount({ discountLimitBp: 1000 });
    // balance 1170, limit 10% = 117
    const result = await discount(t.db, {
      clientId,
      accountId,
      actor: 'agent',
      amountMinor: 117n,
      reason: 'hardship',
    });
    expect(result.status).toBe('posted');
    const entryId = result.status === 'posted' ? (result.entryId as bigint) : 0n;
    expect(await postingsOfEntry(t.db, entryId)).toEqual([
      ['client:discounts', null, 117n],
      ['debt:interest', accountId, -47n],
      ['debt:fees', accountId, -50n],
      ['debt:penalty', accountId, -20n],
    ]);
    expect(await accountState(t.db, accountId)).toMatchObject({
      principal: 1000n,
      interest: 53n,
      fees: 0n,
      penalty: 0n,
    });
  });

  it('makes a discount above the limit a proposal that only another user can approve', async () => {
    const { clientId, accountId } = await oneAccount({ discountLimitBp: 1000 });
    const result = await discount(t.db, {
      clientId,
      accountId,
      actor: 'agent',
      amountMinor: 118n,
      reason: 'hardship',
      components: { principal: 118n },
    });
    expect(result.status).toBe('proposed');
    const proposalId = result.status === 'proposed' ? result.proposalId : 0n;
    expect(await accountState(t.db, accountId)).toMatchObject({ principal: 1000n });
    await expect(approveProposal(t.db, { proposalId, actor: 'agent' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const approved = await approveProposal(t.db, { proposalId, actor: 'supervisor' });
    expect(await postingsOfEntry(t.db, approved.entryId as bigint)).toEqual([
      ['client:discounts', null, 118n],
      ['debt:principal', accountId, -118n],
    ]);
    await expect(approveProposal(t.db, { proposalId, actor: 'other' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const [listed] = await listProposals(t.db, { status: 'all', clientId });
    expect(listed).toMatchObject({
      status: 'approved',
      proposed_by: 'agent',
      decided_by: 'supervisor',
      entry_id: approved.entryId,
    });
  });

  it('recalls: Cr every remaining component, status recalled, after approval', async () => {
    const { clientId, accountId } = await oneAccount();
    const proposalId = await proposeRecall(t.db, {
      clientId,
      accountId,
      actor: 'agent',
      reason: 'client asked',
    });
    await expect(approveProposal(t.db, { proposalId, actor: 'agent' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const { entryId } = await approveProposal(t.db, { proposalId, actor: 'boss' });
    expect(await postingsOfEntry(t.db, entryId as bigint)).toEqual([
      ['client:recalled', null, 1170n],
      ['debt:principal', accountId, -1000n],
      ['debt:interest', accountId, -100n],
      ['debt:fees', accountId, -50n],
      ['debt:penalty', accountId, -20n],
    ]);
    expect(await accountState(t.db, accountId)).toEqual({
      status: 'recalled',
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 0n,
    });
    const [r] = await postPayments(t.db, [payment(clientId, accountId, 10n)], 'u');
    expect(r).toMatchObject({ status: 'rejected', reason: 'account is recalled' });
  });

  it('writes off with a reason from the set, after approval', async () => {
    const { clientId, accountId } = await oneAccount();
    await expect(
      proposeWriteOff(t.db, { clientId, accountId, actor: 'a', reason: 'bored' }),
    ).rejects.toMatchObject({
      code: 'bad_input',
    });
    await postPayments(t.db, [payment(clientId, accountId, 100n)], 'u');
    const proposalId = await proposeWriteOff(t.db, { clientId, accountId, actor: 'a', reason: 'bankruptcy' });
    const { entryId } = await approveProposal(t.db, { proposalId, actor: 'b' });
    expect(await postingsOfEntry(t.db, entryId as bigint)).toEqual([
      ['client:written_off', null, 1070n],
      ['debt:principal', accountId, -1000n],
      ['debt:interest', accountId, -70n],
    ]);
    expect(await accountState(t.db, accountId)).toMatchObject({
      status: 'written_off',
      principal: 0n,
      interest: 0n,
    });
  });

  it('adjusts by component after approval; a rejection posts nothing', async () => {
    const { clientId, accountId } = await oneAccount();
    const first = await proposeAdjustment(t.db, {
      clientId,
      accountId,
      actor: 'a',
      amounts: { interest: 40n },
      reason: 'statement',
    });
    await expect(rejectProposal(t.db, { proposalId: first, actor: 'a', reason: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await rejectProposal(t.db, { proposalId: first, actor: 'b', reason: 'wrong amount' });
    expect(await accountState(t.db, accountId)).toMatchObject({ interest: 100n });
    const second = await proposeAdjustment(t.db, {
      clientId,
      accountId,
      actor: 'a',
      amounts: { interest: 40n, fees: 50n },
      reason: 'statement',
    });
    const { entryId } = await approveProposal(t.db, { proposalId: second, actor: 'b' });
    expect(await postingsOfEntry(t.db, entryId as bigint)).toEqual([
      ['client:adjustments', null, 90n],
      ['debt:interest', accountId, -40n],
      ['debt:fees', accountId, -50n],
    ]);
    expect(await checkLedger(t.db)).toEqual([]);
  });
});

describe('settlements', () => {
  it('waives the rest automatically once the agreed amount is paid, status settled', async () => {
    const { clientId, accountId } = await oneAccount({ discountLimitBp: 5000 });
    await postPayments(t.db, [payment(clientId, accountId, 70n)], 'u'); // balance 1100
    const agreed = await agreeSettlement(t.db, { clientId, accountId, actor: 'agent', amountMinor: 600n });
    expect(agreed.status).toBe('agreed');
    await postPayments(t.db, [payment(clientId, accountId, 400n)], 'u');
    expect(await accountState(t.db, accountId)).toMatchObject({ status: 'active' });
    const [last] = await postPayments(t.db, [payment(clientId, accountId, 200n, { direct: true })], 'u');
    expect(last?.status).toBe('posted');
    expect(await accountState(t.db, accountId)).toEqual({
      status: 'settled',
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 0n,
    });
    const settlement = await t.db
      .selectFrom('ledger_settlements')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(settlement.status).toBe('completed');
    expect(await postingsOfEntry(t.db, settlement.discount_entry_id as bigint)).toEqual([
      ['client:discounts', null, 500n],
      ['debt:principal', accountId, -500n],
    ]);
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('needs approval when the waived part is above the limit', async () => {
    const { clientId, accountId } = await oneAccount({ discountLimitBp: 1000 });
    const proposed = await agreeSettlement(t.db, { clientId, accountId, actor: 'agent', amountMinor: 600n });
    expect(proposed.status).toBe('proposed');
    const proposalId = proposed.status === 'proposed' ? proposed.proposalId : 0n;
    const approved = await approveProposal(t.db, { proposalId, actor: 'boss' });
    expect(approved.settlementId).toBeDefined();
    await postPayments(t.db, [payment(clientId, accountId, 600n)], 'u');
    expect(await accountState(t.db, accountId)).toMatchObject({ status: 'settled', principal: 0n });
  });
});

describe('remittance and commission', () => {
  it('remits payable net of commission receivable (netting on) and moves commission out of trust', async () => {
    const { clientId, accountId } = await oneAccount({
      netting: true,
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    });
    await postPayments(
      t.db,
      [
        payment(clientId, accountId, 500n, { paidOn: '2025-06-10' }),
        payment(clientId, accountId, 200n, { direct: true, paidOn: '2025-06-11' }),
      ],
      'u',
    );
    // trust: 500 in, commission 50 → payable 450; direct 200 → receivable 20
    const r = await remit(t.db, { clientId, through: '2025-06-30', actor: 'fin' });
    expect(r).toMatchObject({ netMinor: 430n, nettedMinor: 20n });
    expect(await postingsOfEntry(t.db, r.entryId as bigint)).toEqual([
      ['client:payable', null, 20n],
      ['client:commission_receivable', null, -20n],
      ['client:payable', null, 430n],
      ['trust:bank', null, -430n],
    ]);
    const tr = await transferCommission(t.db, { clientId, through: '2025-06-30', actor: 'fin' });
    expect(tr.amountMinor).toBe(70n);
    expect(await postingsOfEntry(t.db, tr.entryId as bigint)).toEqual([
      ['agency:operating_bank', null, 70n],
      ['trust:bank', null, -70n],
    ]);
    expect(await remit(t.db, { clientId, through: '2025-06-30', actor: 'fin' })).toMatchObject({
      entryId: null,
    });
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('does not net when the contract says no', async () => {
    const { clientId, accountId } = await oneAccount({
      netting: false,
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 1000 }],
    });
    await postPayments(
      t.db,
      [payment(clientId, accountId, 500n), payment(clientId, accountId, 200n, { direct: true })],
      'u',
    );
    const r = await remit(t.db, { clientId, through: '2025-06-30', actor: 'fin' });
    expect(r).toMatchObject({ netMinor: 450n, nettedMinor: 0n });
    expect(await checkLedger(t.db)).toEqual([]);
  });
});

describe('reversal', () => {
  it('negates the payment exactly (commission clawed back), returns the account to active, once only', async () => {
    const { clientId, accountId } = await oneAccount(
      { commission: [{ fromDpd: 0, toDpd: null, rateBp: 1500 }] },
      { principal: 100n, interest: 0n, fees: 0n, penalty: 0n },
    );
    const [p] = await postPayments(t.db, [payment(clientId, accountId, 120n, { externalId: 'BANK-1' })], 'u');
    expect(await accountState(t.db, accountId)).toMatchObject({ status: 'paid', overpayment: 20n });
    const original = await postingsOfEntry(t.db, p?.entryId as bigint);
    const r = await reverseEntry(t.db, {
      clientId,
      externalId: 'BANK-1',
      reason: 'returned',
      actor: 'u',
      reversalExternalId: 'RET-1',
    });
    expect(r).toMatchObject({ status: 'reversed', reversedEntryId: p?.entryId, accountStatus: 'active' });
    expect(await postingsOfEntry(t.db, r.entryId)).toEqual(original.map(([a, id, v]) => [a, id, -v]));
    expect(original).toContainEqual(['agency:commission_revenue', null, -15n]);
    expect(await accountState(t.db, accountId)).toEqual({
      status: 'active',
      principal: 100n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
      overpayment: 0n,
    });
    const entry = await t.db
      .selectFrom('journal_entries')
      .selectAll()
      .where('id', '=', r.entryId)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      kind: 'reversal',
      reverses_entry_id: p?.entryId,
      commission_exact_numerator: -150_000n,
    });
    expect(
      await reverseEntry(t.db, { clientId, externalId: 'BANK-1', reason: 'again', actor: 'u' }),
    ).toMatchObject({
      status: 'duplicate',
      entryId: r.entryId,
    });
    const [again] = await postPayments(
      t.db,
      [payment(clientId, accountId, 120n, { externalId: 'BANK-1' })],
      'u',
    );
    expect(again?.status).toBe('duplicate');
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('is refused with a clear message when it would drive a component below zero', async () => {
    const { clientId, accountId } = await oneAccount(
      {},
      { principal: 100n, interest: 0n, fees: 0n, penalty: 0n },
    );
    const { entryId } = await accrue(t.db, {
      clientId,
      accountId,
      actor: 'u',
      interestMinor: 10n,
      feesMinor: 0n,
    });
    await postPayments(t.db, [payment(clientId, accountId, 10n)], 'u'); // pays the interest
    await expect(reverseEntry(t.db, { clientId, entryId, reason: 'mistake', actor: 'u' })).rejects.toThrow(
      /interest of account A below zero/,
    );
  });

  it('closes an account whose placement is reversed before anything else happened', async () => {
    const { clientId, accountId } = await oneAccount();
    const placement = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'placement')
      .executeTakeFirstOrThrow();
    const r = await reverseEntry(t.db, {
      clientId,
      entryId: placement.id,
      reason: 'placed by mistake',
      actor: 'u',
    });
    expect(r.accountStatus).toBe('closed');
    expect(await accountState(t.db, accountId)).toMatchObject({
      principal: 0n,
      interest: 0n,
      fees: 0n,
      penalty: 0n,
    });
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('reports unknown entries as not found', async () => {
    const { clientId } = await oneAccount();
    await expect(
      reverseEntry(t.db, { clientId, externalId: 'nope', reason: 'x', actor: 'u' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
