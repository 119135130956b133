/**
 * Property-based tests (fast-check): random sequences of events on random accounts and contracts
 * keep every invariant of ledger.md (`checkLedger` finds nothing), and what the set-based SQL
 * posts equals what the pure model predicts — allocation, commission, balances and status.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import type { Component } from '../db/schema.ts';
import { addDays } from '../shared/dates.ts';
import {
  approveProposal,
  discount,
  proposeRecall,
  proposeWriteOff,
  remit,
  reverseEntry,
  transferCommission,
} from './events.ts';
import {
  allocate,
  type CommissionBand,
  type Components,
  commissionFor,
  daysPastDue,
  discountByComponent,
  rateForDpd,
  reevaluate,
  totalOf,
} from './model.ts';
import { type PaymentInput, postPayments } from './payments.ts';
import { checkLedger } from './queries.ts';
import { accountState, addContract, createClient, placeAccounts } from './test-fixtures.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const componentNames: Component[] = ['principal', 'interest', 'fees', 'penalty'];
const waterfallArb = fc.shuffledSubarray(componentNames, { minLength: 4, maxLength: 4 });
const bandsArb: fc.Arbitrary<CommissionBand[]> = fc
  .tuple(
    fc.integer({ min: 1, max: 200 }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(500, 1500, 2500, 5000)), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([width, rates]) =>
    rates.map((rateBp, i) => ({
      fromDpd: i * width,
      toDpd: i === rates.length - 1 ? null : (i + 1) * width - 1,
      rateBp,
    })),
  );
const contractArb = fc.record({ waterfall: waterfallArb, commission: bandsArb, netting: fc.boolean() });
const amountArb = fc.bigInt({ min: 0n, max: 5000n });
const accountArb = fc.record({
  principal: fc.bigInt({ min: 1n, max: 5000n }),
  interest: amountArb,
  fees: amountArb,
  penalty: amountArb,
  dpdOffset: fc.integer({ min: 0, max: 300 }),
});
const dayArb = fc.integer({ min: 0, max: 364 });
const eventArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      payments: fc.array(
        fc.record({
          account: fc.nat(),
          amount: fc.bigInt({ min: 1n, max: 4000n }),
          direct: fc.boolean(),
          day: dayArb,
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), which: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('discount' as const),
      account: fc.nat(),
      share: fc.integer({ min: 1, max: 100 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recall' as const), account: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write_off' as const), account: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remit' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const) }) },
);

interface ModelAccountState {
  id: bigint;
  delinquency: string;
  status: string;
  balances: Components;
  overpayment: bigint;
}

let run = 0;

describe('random sequences of events', () => {
  it('keep every invariant, and the SQL posts what the pure model predicts', async () => {
    await fc.assert(
      fc.asyncProperty(
        contractArb,
        fc.option(contractArb, { nil: undefined }),
        fc.array(accountArb, { minLength: 1, maxLength: 4 }),
        fc.array(eventArb, { minLength: 1, maxLength: 18 }),
        async (first, second, accounts, events) => {
          run += 1;
          const code = `PB${run}`;
          const { clientId, contractId: firstId } = await createClient(t.db, code, {
            ...first,
            effectiveFrom: '2020-01-01',
            discountLimitBp: 10_000,
          });
          const versions = [{ id: firstId, from: '2020-01-01', ...first }];
          if (second) {
            const id = await addContract(t.db, clientId, {
              ...second,
              effectiveFrom: '2025-07-01',
              discountLimitBp: 10_000,
            });
            versions.push({ id, from: '2025-07-01', ...second });
          }
          const termsOn = (date: string) =>
            (date >= '2025-07-01' && versions[1] ? versions[1] : versions[0]) as (typeof versions)[0];
          const ids = await placeAccounts(
            t.db,
            clientId,
            accounts.map((a, i) => ({
              ref: `R${i}`,
              principal: a.principal,
              interest: a.interest,
              fees: a.fees,
              penalty: a.penalty,
              delinquencyDate: addDays('2024-12-01', -a.dpdOffset),
            })),
          );
          const model: ModelAccountState[] = accounts.map((a, i) => ({
            id: ids[i] as bigint,
            delinquency: addDays('2024-12-01', -a.dpdOffset),
            status: 'active',
            balances: { principal: a.principal, interest: a.interest, fees: a.fees, penalty: a.penalty },
            overpayment: 0n,
          }));
          const posted: {
            externalId: string;
            input: PaymentInput;
            account: number;
            lines: Components;
            over: bigint;
          }[] = [];
          const reversed = new Set<string>();
          let counter = 0;
          for (const event of events) {
            switch (event.kind) {
              case 'pay': {
                const inputs = event.payments.map((p) => {
                  counter += 1;
                  const account = p.account % model.length;
                  return {
                    account,
                    input: {
                      clientId,
                      accountId: model[account]?.id as bigint,
                      externalId: `${code}-${counter}`,
                      amountMinor: p.amount,
                      currency: 'CNY',
                      paidOn: addDays('2025-01-01', p.day),
                      paidAt: null,
                      channel: p.direct ? 'direct_to_client' : 'bank_transfer',
                      direct: p.direct,
                    } satisfies PaymentInput,
                  };
                });
                const results = await postPayments(
                  t.db,
                  inputs.map((i) => i.input),
                  'prop',
                );
                inputs.forEach(({ account, input }, i) => {
                  const m = model[account] as ModelAccountState;
                  const r = results[i];
                  if (!['active', 'paid', 'settled'].includes(m.status)) {
                    expect(r).toMatchObject({ status: 'rejected' });
                    return;
                  }
                  const terms = termsOn(input.paidOn);
                  const alloc = allocate(m.balances, terms.waterfall, input.amountMinor);
                  const rate = rateForDpd(terms.commission, daysPastDue(m.delinquency, input.paidOn));
                  const commission = commissionFor(totalOf(alloc.components), rate);
                  expect(r).toMatchObject({
                    status: 'posted',
                    allocation: {
                      principal_minor: alloc.components.principal,
                      interest_minor: alloc.components.interest,
                      fees_minor: alloc.components.fees,
                      penalty_minor: alloc.components.penalty,
                      overpayment_minor: alloc.overpayment,
                    },
                    commissionMinor: commission.minor,
                  });
                  for (const c of componentNames) m.balances[c] -= alloc.components[c];
                  m.overpayment += alloc.overpayment;
                  m.status = reevaluate(m.status, m.balances);
                  posted.push({
                    externalId: input.externalId,
                    input,
                    account,
                    lines: alloc.components,
                    over: alloc.overpayment,
                  });
                });
                break;
              }
              case 'reverse': {
                if (posted.length === 0) break;
                const p = posted[event.which % posted.length] as (typeof posted)[0];
                const result = await reverseEntry(t.db, {
                  clientId,
                  externalId: p.externalId,
                  reason: 'returned',
                  actor: 'prop',
                });
                if (reversed.has(p.externalId)) {
                  expect(result.status).toBe('duplicate');
                  break;
                }
                expect(result.status).toBe('reversed');
                reversed.add(p.externalId);
                const m = model[p.account] as ModelAccountState;
                for (const c of componentNames) m.balances[c] += p.lines[c];
                m.overpayment -= p.over;
                m.status = reevaluate(m.status, m.balances);
                break;
              }
              case 'resend': {
                if (posted.length === 0) break;
                const p = posted[event.which % posted.length] as (typeof posted)[0];
                const [r] = await postPayments(t.db, [p.input], 'prop');
                expect(r?.status).toBe('duplicate');
                break;
              }
              case 'discount': {
                const m = model[event.account % model.length] as ModelAccountState;
                const balance = totalOf(m.balances);
                const amount = (balance * BigInt(event.share)) / 100n;
                if (!['active', 'paid', 'settled'].includes(m.status) || amount === 0n) break;
                const result = await discount(t.db, {
                  clientId,
                  accountId: m.id,
                  actor: 'prop',
                  amountMinor: amount,
                  reason: 'waiver',
                  effectiveDate: '2025-06-30',
                });
                expect(result.status).toBe('posted');
                const taken = discountByComponent(m.balances, termsOn('2025-06-30').waterfall, amount);
                for (const c of componentNames) m.balances[c] -= taken[c];
                m.status = reevaluate(m.status, m.balances);
                break;
              }
              case 'recall':
              case 'write_off': {
                const m = model[event.account % model.length] as ModelAccountState;
                if (!['active', 'paid', 'settled'].includes(m.status)) break;
                const proposalId =
                  event.kind === 'recall'
                    ? await proposeRecall(t.db, {
                        clientId,
                        accountId: m.id,
                        actor: 'maker',
                        reason: 'client asked',
                      })
                    : await proposeWriteOff(t.db, {
                        clientId,
                        accountId: m.id,
                        actor: 'maker',
                        reason: 'uncollectable',
                      });
                await approveProposal(t.db, { proposalId, actor: 'checker' });
                m.balances = { principal: 0n, interest: 0n, fees: 0n, penalty: 0n };
                m.status = event.kind === 'recall' ? 'recalled' : 'written_off';
                break;
              }
              case 'remit':
                await remit(t.db, { clientId, through: '2025-12-31', actor: 'fin' });
                break;
              case 'transfer':
                await transferCommission(t.db, { clientId, through: '2025-12-31', actor: 'fin' });
                break;
            }
          }
          for (const m of model) {
            expect(await accountState(t.db, m.id)).toEqual({
              status: m.status,
              ...m.balances,
              overpayment: m.overpayment,
            });
          }
          expect(await checkLedger(t.db)).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.HUIKUAN_PROPERTY_RUNS ?? 30) },
    );
  });
});
