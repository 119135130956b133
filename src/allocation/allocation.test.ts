/**
 * Allocation: the rules' arithmetic (properties over random loads and accounts), sharing a client's
 * new accounts among a team's agents with a cap, once; reassignment with a reason that keeps
 * accounts with promises unless overridden, with its history; an agent's queue in priority order.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { todayIn } from '../shared/dates.ts';
import { runStrategy } from '../strategy/service.ts';
import { allocate, allocationMethods } from './model.ts';
import { agentQueue, allocateNew, assignmentHistory, reassign, setRule, teamQueues } from './service.ts';

describe('allocate', () => {
  const loads = fc.array(
    fc.record({ accounts: fc.nat(20), balance: fc.bigInt({ min: 0n, max: 10_000_000n }) }),
    { minLength: 1, maxLength: 6 },
  );
  const accounts = fc.uniqueArray(
    fc.record({ id: fc.bigInt({ min: 1n, max: 10_000n }), balance: fc.bigInt({ min: 1n, max: 1_000_000n }) }),
    {
      selector: (account) => account.id,
      maxLength: 60,
    },
  );

  it('gives every account to at most one agent, never past the cap, the same way every time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...allocationMethods),
        loads,
        accounts,
        fc.option(fc.integer({ min: 1, max: 30 })),
        (method, l, a, cap) => {
          const agents = l.map((load, i) => ({
            agent: `agent${i}`,
            accounts: load.accounts,
            balance_minor: load.balance,
          }));
          const news = a.map((account) => ({ id: account.id, balance_minor: account.balance }));
          const result = allocate(method, agents, news, { cap });
          expect(result.size).toBe(news.length);
          expect(allocate(method, agents, news, { cap })).toEqual(result);
          for (const agent of agents) {
            const given = [...result.values()].filter((name) => name === agent.agent).length;
            if (cap !== null) expect(given === 0 || agent.accounts + given <= cap).toBe(true);
          }
          // an account waits only when every agent is at the cap
          if ([...result.values()].includes(null)) {
            expect(cap).not.toBeNull();
            const final = agents.map(
              (agent) => agent.accounts + [...result.values()].filter((name) => name === agent.agent).length,
            );
            expect(final.every((count) => count >= (cap as number))).toBe(true);
          }
        },
      ),
    );
  });

  it('balances by count to within one account when the agents start equal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), accounts, (n, a) => {
        const agents = Array.from({ length: n }, (_, i) => ({
          agent: `a${i}`,
          accounts: 5,
          balance_minor: 0n,
        }));
        const result = allocate(
          'balanced_count',
          agents,
          a.map((account) => ({ id: account.id, balance_minor: account.balance })),
        );
        const counts = agents.map(
          (agent) => [...result.values()].filter((name) => name === agent.agent).length,
        );
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives the largest balances first to whoever holds the least balance', () => {
    const result = allocate(
      'balanced_balance',
      [
        { agent: 'li', accounts: 0, balance_minor: 0n },
        { agent: 'wang', accounts: 0, balance_minor: 500n },
      ],
      [
        { id: 1n, balance_minor: 100n },
        { id: 2n, balance_minor: 1000n },
        { id: 3n, balance_minor: 300n },
      ],
    );
    // 1000 → li (0); 300 → wang (500 < 1000); 100 → wang (800 < 1000)
    expect(Object.fromEntries([...result].map(([id, agent]) => [String(id), agent]))).toEqual({
      1: 'wang',
      2: 'li',
      3: 'wang',
    });
  });
});

describe('allocation in the database', () => {
  let t: TestDatabase;
  let clientId: bigint;
  let teamId: bigint;
  let ids: bigint[];

  beforeAll(async () => {
    t = await testDatabase();
    clientId = (await createClient(t.db, 'ALC')).clientId;
    ids = await placeAccounts(
      t.db,
      clientId,
      Array.from({ length: 10 }, (_, i) => ({
        ref: `R${i + 1}`,
        principal: BigInt((i + 1) * 10_000),
        delinquencyDate: '2026-01-01',
      })),
    );
    teamId = BigInt(
      (await createTeam(t.db, { name: '催收一组', clientCodes: ['ALC'] }, { actor: 'setup' })).id,
    );
    for (const username of ['agent.a', 'agent.b', 'agent.c']) {
      await createUser(
        t.db,
        { username, displayName: username, roles: ['agent'], team: teamId, password: 'Password-12345' },
        { actor: 'setup' },
      );
    }
  });

  afterAll(async () => {
    await t?.drop();
  });

  const held = async () =>
    (
      await sql<{ agent: string | null; n: number }>`
        SELECT agent, count(*)::int AS n FROM account_assignments GROUP BY agent ORDER BY agent NULLS LAST`.execute(
        t.db,
      )
    ).rows;

  it('shares new accounts by the team rule up to the cap, once, and the rest wait', async () => {
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 0, waiting: 0 });
    await setRule(t.db, { teamId, method: 'balanced_count', capPerAgent: 3 }, 'lead');
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 9, waiting: 1 });
    expect(await held()).toEqual([
      { agent: 'agent.a', n: 3 },
      { agent: 'agent.b', n: 3 },
      { agent: 'agent.c', n: 3 },
      { agent: null, n: 1 },
    ]);
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 0, waiting: 1 });
    await setRule(t.db, { teamId, method: 'balanced_count', capPerAgent: null }, 'lead');
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 1, waiting: 0 });
    expect(await allocateNew(t.db, 'lead')).toEqual({ assigned: 0, waiting: 0 });
    await expect(
      setRule(t.db, { teamId, method: 'random', capPerAgent: null }, 'lead'),
    ).rejects.toMatchObject({
      code: 'bad_input',
    });
  });

  it('moves accounts with a reason, keeps one with an open promise unless overridden, and records it', async () => {
    const account = ids[0] as bigint;
    const owner = (
      await sql<{
        agent: string;
      }>`SELECT agent FROM account_assignments WHERE account_id = ${account}`.execute(t.db)
    ).rows[0]?.agent as string;
    const other = ['agent.a', 'agent.b', 'agent.c'].find((name) => name !== owner) as string;
    await expect(
      reassign(t.db, { accountIds: [account], toAgent: other, reason: ' ' }, 'lead'),
    ).rejects.toMatchObject({
      code: 'bad_input',
    });
    await sql`
      INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on, grace_days, taken_by)
      VALUES (${clientId}, ${account}, 5000, 'CNY', 10000, ${todayIn()}, ${todayIn()}, 3, ${owner})`.execute(
      t.db,
    );
    await expect(
      reassign(t.db, { accountIds: [account], toAgent: other, reason: '休假' }, 'lead'),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect(
      await reassign(
        t.db,
        { accountIds: [account], toAgent: other, reason: '休假', overrideKeep: true },
        'lead',
      ),
    ).toEqual({
      moved: 1,
    });
    const history = await assignmentHistory(t.db, account);
    expect(history.map((h) => [h.kind, h.from_agent, h.to_agent, h.reason])).toEqual([
      ['reassigned', owner, other, '休假'],
      ['allocated', null, owner, null],
    ]);
    await expect(
      reassign(t.db, { accountIds: [account], toAgent: 'nobody', reason: 'x' }, 'lead'),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it("orders an agent's queue: the promise due first, then never-contacted accounts by balance", async () => {
    const account = ids[0] as bigint;
    const agent = (
      await sql<{
        agent: string;
      }>`SELECT agent FROM account_assignments WHERE account_id = ${account}`.execute(t.db)
    ).rows[0]?.agent as string;
    const queue = await agentQueue(t.db, agent);
    expect(queue[0]).toMatchObject({ account_id: account, tier: 'promise_due', due: todayIn() });
    const rest = queue.slice(1);
    expect(rest.every((item) => item.tier === 'new')).toBe(true);
    const balances = rest.map((item) => item.balance_minor);
    expect(balances).toEqual([...balances].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const summary = await teamQueues(t.db, teamId);
    expect(summary.map((row) => row.agent)).toEqual(['agent.a', 'agent.b', 'agent.c']);
    expect(summary.reduce((sum, row) => sum + row.accounts, 0)).toBe(10);
    expect(summary.find((row) => row.agent === agent)?.due_now).toBe(1);
  });

  it('the nightly run shares out accounts placed since', async () => {
    const [fresh] = await placeAccounts(t.db, clientId, [
      { ref: 'R11', principal: 50_000n, delinquencyDate: '2026-01-01' },
    ]);
    await runStrategy(t.db, { asOf: todayIn(), actor: 'tester' });
    const row = await sql<{
      agent: string | null;
    }>`SELECT agent FROM account_assignments WHERE account_id = ${fresh as bigint}`.execute(t.db);
    expect(row.rows[0]?.agent).toMatch(/^agent\.[abc]$/);
  });
});
