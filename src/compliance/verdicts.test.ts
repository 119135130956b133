/**
 * The verdict log: the gate's stored verdicts listed newest first and filtered by verdict, channel,
 * account and China-time dates, within the caller's client scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import { withClientScope } from '../identity/rls.ts';
import { gateFixture } from './holds-fixture.ts';
import { reasonCodes } from './model.ts';
import { gateContact } from './service.ts';
import { listVerdicts } from './verdicts.ts';

let t: TestDatabase;
let cn: Awaited<ReturnType<typeof gateFixture>>;
let other: Awaited<ReturnType<typeof gateFixture>>;

beforeAll(async () => {
  t = await testDatabase();
  cn = await gateFixture(t.db, 'CN', 'CN');
  other = await gateFixture(t.db, 'CN', 'CN');
  // 10:00 and 23:00 in Shanghai on 2026-03-02: allowed, then quiet hours
  await gateContact(t.db, {
    accountId: cn.accountId,
    channel: 'sms',
    party: 'debtor',
    at: new Date('2026-03-02T02:00:00Z'),
    actor: 'agent.wang',
  });
  await gateContact(t.db, {
    accountId: cn.accountId,
    channel: 'sms',
    party: 'debtor',
    at: new Date('2026-03-02T15:00:00Z'),
    actor: 'agent.wang',
  });
  await gateContact(t.db, {
    accountId: other.accountId,
    channel: 'email',
    party: 'debtor',
    at: new Date('2026-03-02T02:00:00Z'),
    actor: 'agent.li',
  });
});

afterAll(async () => {
  await t?.drop();
});

const page = { offset: 0, limit: 50 };

describe('the verdict log', () => {
  it('lists verdicts newest first and filters them', async () => {
    const all = await listVerdicts(t.db, page);
    expect(all.total).toBe(3);
    expect(all.items.map((v) => [v.channel, v.verdict])).toEqual([
      ['email', 'allow'],
      ['sms', 'deny'],
      ['sms', 'allow'],
    ]);
    const denied = await listVerdicts(t.db, { ...page, verdict: 'deny' });
    expect(denied.items.map((v) => v.reasons)).toEqual([['quiet_hours']]);
    expect((await listVerdicts(t.db, { ...page, channel: 'email' })).items.map((v) => v.actor)).toEqual([
      'agent.li',
    ]);
    expect((await listVerdicts(t.db, { ...page, accountId: cn.accountId })).total).toBe(2);
    // decided today, not on the day the contact was proposed for
    expect((await listVerdicts(t.db, { ...page, to: '2026-03-02' })).total).toBe(0);
    expect((await listVerdicts(t.db, { ...page, offset: 1, limit: 1 })).items).toHaveLength(1);
  });

  it("shows a client's verdicts only to its scope", async () => {
    const scoped = await withClientScope(t.db, { clientIds: [cn.clientId] }, (trx) =>
      listVerdicts(trx, page),
    );
    expect(scoped.total).toBe(2);
    expect(new Set(scoped.items.map((v) => v.client_id))).toEqual(new Set([cn.clientId]));
  });
});

describe("the reasons' plain words", () => {
  it('exist for every reason code the gate can give, in both languages', () => {
    expect(Object.keys(zhCN.gate.reason).sort()).toEqual([...reasonCodes].sort());
    expect(Object.keys(en.gate.reason).sort()).toEqual([...reasonCodes].sort());
  });
});
