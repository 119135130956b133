/**
 * Allocation by region, language and skill (src/allocation/model.ts): nobody gets an account they
 * cannot take, caps hold, the answer is deterministic, and every account left over says why.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocateWithReasons,
  allocationMethods,
  allocationSkills,
  type MatchRequirements,
  missingNeed,
} from './model.ts';

const regions = ['广东', '上海', '北京', 'HK'];
const languages = ['zh-CN', 'en', 'yue'];

const agentsArb = fc.array(
  fc.record({
    accounts: fc.nat(10),
    balance: fc.bigInt({ min: 0n, max: 1_000_000n }),
    languages: fc.subarray(languages),
    regions: fc.subarray([...regions, '*']),
    skills: fc.subarray([...allocationSkills]),
  }),
  { maxLength: 6 },
);
const accountsArb = fc.uniqueArray(
  fc.record({
    id: fc.bigInt({ min: 1n, max: 10_000n }),
    balance: fc.bigInt({ min: 1n, max: 1_000_000n }),
    region: fc.option(fc.constantFrom(...regions)),
    language: fc.option(fc.constantFrom(...languages)),
    skills: fc.subarray([...allocationSkills], { maxLength: 2 }),
  }),
  { selector: (account) => account.id, maxLength: 50 },
);
const matchArb = fc.record({ region: fc.boolean(), language: fc.boolean(), skills: fc.boolean() });

describe('allocation with match requirements', () => {
  it('never gives an account to an agent who cannot take it, keeps caps, is deterministic and explains every wait', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...allocationMethods),
        agentsArb,
        accountsArb,
        matchArb,
        fc.option(fc.integer({ min: 1, max: 15 })),
        (method, l, a, match, cap) => {
          const agents = l.map((load, i) => ({
            agent: `agent${i}`,
            accounts: load.accounts,
            balance_minor: load.balance,
            languages: load.languages,
            regions: load.regions,
            skills: load.skills,
          }));
          const news = a.map((account) => ({
            id: account.id,
            balance_minor: account.balance,
            region: account.region,
            language: account.language,
            skills: account.skills,
          }));
          const plan = allocateWithReasons(method, agents, news, { cap, match });
          expect(allocateWithReasons(method, agents, news, { cap, match })).toEqual(plan);
          expect(plan.agents.size).toBe(news.length);
          const given = new Map<string, number>();
          for (const account of news) {
            const to = plan.agents.get(account.id);
            if (to === null || to === undefined) {
              const reason = plan.reasons.get(account.id);
              expect(reason).toBeDefined();
              const able = agents.filter((agent) => missingNeed(agent, account, match) === null);
              if (reason === 'cap') {
                expect(able.length).toBeGreaterThan(0);
                expect(cap).not.toBeNull();
              } else if (reason === 'no_agents') {
                expect(agents).toHaveLength(0);
              } else {
                expect(able).toHaveLength(0);
              }
              continue;
            }
            expect(plan.reasons.has(account.id)).toBe(false);
            const agent = agents.find((candidate) => candidate.agent === to);
            expect(agent).toBeDefined();
            expect(missingNeed(agent as (typeof agents)[number], account, match)).toBeNull();
            given.set(to, (given.get(to) ?? 0) + 1);
          }
          for (const agent of agents) {
            const n = given.get(agent.agent) ?? 0;
            if (cap !== null) expect(n === 0 || agent.accounts + n <= cap).toBe(true);
          }
        },
      ),
    );
  });

  it('matches region, language and skills, and names the need nobody meets', () => {
    const none: MatchRequirements = { region: true, language: true, skills: true };
    const agents = [
      {
        agent: 'li',
        accounts: 0,
        balance_minor: 0n,
        regions: ['广东'],
        languages: ['zh-CN', 'yue'],
        skills: [],
      },
      {
        agent: 'smith',
        accounts: 0,
        balance_minor: 0n,
        regions: ['*'],
        languages: ['en'],
        skills: ['legal'],
      },
    ];
    const plan = allocateWithReasons(
      'balanced_count',
      agents,
      [
        { id: 1n, balance_minor: 100n, region: '广东', language: 'yue', skills: [] },
        { id: 2n, balance_minor: 100n, region: '上海', language: 'en', skills: ['legal'] },
        { id: 3n, balance_minor: 100n, region: '上海', language: 'yue', skills: [] },
        { id: 4n, balance_minor: 100n, region: '广东', language: 'zh-CN', skills: ['legal'] },
        { id: 5n, balance_minor: 100n, region: null, language: null, skills: ['hardship'] },
        { id: 6n, balance_minor: 100n, region: null, language: null, skills: [] },
      ],
      { match: none },
    );
    expect(Object.fromEntries(plan.agents)).toEqual({
      '1': 'li',
      '2': 'smith',
      '3': null,
      '4': null,
      '5': null,
      '6': 'li',
    });
    expect(Object.fromEntries(plan.reasons)).toEqual({ '3': 'language', '4': 'skills', '5': 'skills' });
    // without the requirements the same accounts are shared out by count alone
    const plain = allocateWithReasons(
      'balanced_count',
      agents,
      [{ id: 3n, balance_minor: 1n, region: '上海' }],
      {
        match: { region: false, language: false, skills: false },
      },
    );
    expect(plain.agents.get(3n)).toBe('li');
    expect(allocateWithReasons('round_robin', [], [{ id: 9n, balance_minor: 1n }]).reasons.get(9n)).toBe(
      'no_agents',
    );
  });

  it('deals round robin in turn among the agents able to take each account', () => {
    const agents = ['a', 'b', 'c'].map((agent) => ({
      agent,
      accounts: 0,
      balance_minor: 0n,
      languages: agent === 'b' ? ['en'] : ['zh-CN'],
    }));
    const plan = allocateWithReasons(
      'round_robin',
      agents,
      [1n, 2n, 3n, 4n].map((id) => ({ id, balance_minor: 1n, language: 'zh-CN' })),
      { match: { region: false, language: true, skills: false }, cap: 1 },
    );
    expect(Object.fromEntries(plan.agents)).toEqual({ '1': 'a', '2': 'c', '3': null, '4': null });
    expect(plan.reasons.get(3n)).toBe('cap');
  });
});
