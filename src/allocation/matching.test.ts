/**
 * Allocation by region, language and skill in the database: agents' attributes, a rule's match
 * requirements, the preview (what the run then does, exactly), and the reasons accounts wait.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import {
  allocateNew,
  listAgentAttributes,
  previewAllocation,
  setAgentAttributes,
  setRule,
} from './service.ts';

describe('allocation by region, language and skill', () => {
  let t: TestDatabase;
  let teamId: bigint;
  let ids: bigint[];

  beforeAll(async () => {
    t = await testDatabase();
    const clientId = (await createClient(t.db, 'MAT')).clientId;
    // R1 广东 20,000; R2 上海 40,000; R3 HK (en) 60,000; R4 广东 80,000 with hardship; R5 unknown region 100,000
    ids = await placeAccounts(
      t.db,
      clientId,
      Array.from({ length: 5 }, (_, i) => ({
        ref: `R${i + 1}`,
        principal: BigInt((i + 1) * 20_000),
        delinquencyDate: '2026-01-01',
      })),
    );
    const debtorOf = (id: bigint) => sql`(SELECT debtor_id FROM accounts WHERE id = ${id})`;
    await sql`UPDATE debtors SET region = '广东', country = 'CN' WHERE id = ${debtorOf(ids[0] as bigint)}`.execute(
      t.db,
    );
    await sql`UPDATE debtors SET region = '上海' WHERE id = ${debtorOf(ids[1] as bigint)}`.execute(t.db);
    await sql`UPDATE debtors SET country = 'HK' WHERE id = ${debtorOf(ids[2] as bigint)}`.execute(t.db);
    await sql`UPDATE debtors SET region = '广东' WHERE id = ${debtorOf(ids[3] as bigint)}`.execute(t.db);
    await sql`INSERT INTO hardship_marks (client_id, account_id, note, marked_by)
              VALUES (${clientId}, ${ids[3] as bigint}, 'lost job', 'agent')`.execute(t.db);
    teamId = BigInt(
      (await createTeam(t.db, { name: '华南组', clientCodes: ['MAT'] }, { actor: 'setup' })).id,
    );
    for (const username of ['gd.li', 'sh.wang', 'hk.chan']) {
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

  it("keeps agents' languages, regions and skills, refusing unknown skills and non-agents", async () => {
    const li = await setAgentAttributes(
      t.db,
      { agent: 'gd.li', languages: ['zh-CN', 'yue', 'zh-CN'], regions: ['广东'], skills: ['hardship'] },
      'lead',
    );
    expect(li).toMatchObject({
      agent: 'gd.li',
      languages: ['yue', 'zh-CN'],
      regions: ['广东'],
      skills: ['hardship'],
    });
    await setAgentAttributes(
      t.db,
      { agent: 'sh.wang', languages: ['zh-CN'], regions: ['上海'], skills: [] },
      'lead',
    );
    await setAgentAttributes(
      t.db,
      { agent: 'hk.chan', languages: ['en', 'yue'], regions: ['HK'], skills: ['high_balance'] },
      'lead',
    );
    await expect(
      setAgentAttributes(t.db, { agent: 'gd.li', languages: [], regions: [], skills: ['magic'] }, 'lead'),
    ).rejects.toMatchObject({ code: 'bad_input' });
    await expect(
      setAgentAttributes(t.db, { agent: 'nobody', languages: [], regions: [], skills: [] }, 'lead'),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await listAgentAttributes(t.db, teamId)).map((agent) => agent.agent)).toEqual([
      'gd.li',
      'hk.chan',
      'sh.wang',
    ]);
    const audit = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM audit_events WHERE action = 'allocation.agent_attributes_set'`.execute(
      t.db,
    );
    expect(audit.rows[0]?.n).toBe(3);
  });

  it('previews the matched plan with reasons, and the run then does exactly that', async () => {
    await setRule(
      t.db,
      {
        teamId,
        method: 'balanced_count',
        capPerAgent: null,
        match: { region: true, language: true, skills: true },
        highBalanceMinor: 90_000n,
      },
      'lead',
    );
    const preview = await previewAllocation(t.db, teamId);
    const [r1, r2, r3, r4, r5] = ids as [bigint, bigint, bigint, bigint, bigint];
    expect(preview.plan).toEqual([
      { account_id: r1, agent: 'gd.li' },
      { account_id: r2, agent: 'sh.wang' },
      { account_id: r3, agent: 'hk.chan' },
      { account_id: r4, agent: 'gd.li' },
      { account_id: r5, agent: null },
    ]);
    // R3: a Hong Kong debtor (English) goes to chan; R4 needs hardship, which li has; R5 (no region,
    // Mandarin, 100,000 ≥ the threshold) needs high_balance, and the only agent with it speaks no Mandarin
    expect(preview.waiting_by_reason).toEqual({ skills: 1 });
    expect(preview.unassigned).toEqual([
      expect.objectContaining({
        account_id: r5,
        region: null,
        language: 'zh-CN',
        skills: ['high_balance'],
        reason: 'skills',
      }),
    ]);
    expect(preview.agents).toEqual([
      expect.objectContaining({
        agent: 'gd.li',
        accounts_before: 0,
        accounts_after: 2,
        balance_after_minor: 100_000n,
      }),
      expect.objectContaining({
        agent: 'hk.chan',
        accounts_before: 0,
        accounts_after: 1,
        balance_after_minor: 60_000n,
      }),
      expect.objectContaining({
        agent: 'sh.wang',
        accounts_before: 0,
        accounts_after: 1,
        balance_after_minor: 40_000n,
      }),
    ]);
    // the preview wrote nothing
    const none = await sql<{ n: number }>`SELECT count(*)::int AS n FROM account_assignments`.execute(t.db);
    expect(none.rows[0]?.n).toBe(0);

    expect(await allocateNew(t.db, 'lead', teamId)).toEqual({ assigned: 4, waiting: 1 });
    const held = await sql<{ account_id: bigint; agent: string | null }>`
      SELECT account_id, agent FROM account_assignments ORDER BY account_id`.execute(t.db);
    expect(held.rows).toEqual(preview.plan);
    const audit = await sql<{ after: { waiting_by_reason: unknown } }>`
      SELECT after FROM audit_events WHERE action = 'allocation.allocated' ORDER BY id DESC LIMIT 1`.execute(
      t.db,
    );
    expect(audit.rows[0]?.after.waiting_by_reason).toEqual({ skills: 1 });

    // the waiting account shows in the next preview; once wang takes high balances it goes to wang
    const again = await previewAllocation(t.db, teamId);
    expect(again.plan).toEqual([{ account_id: r5, agent: null }]);
    expect(again.agents.find((agent) => agent.agent === 'gd.li')).toMatchObject({
      accounts_before: 2,
      accounts_after: 2,
      balance_before_minor: 100_000n,
    });
    await setAgentAttributes(
      t.db,
      { agent: 'sh.wang', languages: ['zh-CN'], regions: ['上海'], skills: ['high_balance'] },
      'lead',
    );
    expect((await previewAllocation(t.db, teamId)).plan).toEqual([{ account_id: r5, agent: 'sh.wang' }]);
    expect(await allocateNew(t.db, 'lead', teamId)).toEqual({ assigned: 1, waiting: 0 });
  });
});
