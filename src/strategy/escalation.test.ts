/**
 * Escalation steps move the account (调案): a strategy's day-2 escalation to a senior team takes the
 * account from its agent into that team through the allocation service, with the step as the reason
 * in the move history; the team's rule then gives it one of its agents in the same run. An account
 * with an open promise stays with its agent (留案), the action saying so, and moves on the first night
 * after the promise is settled; a team that does not serve the client holds it too. A night run again
 * moves nothing new, and a supervisor's move back is not undone by the next night.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  assignmentHistory,
  moveToTeams,
  reassign,
  setRule,
  teamMoveHeldReasons,
} from '../allocation/service.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { runStrategy } from './service.ts';
import { accountTreatment, decideStrategy, proposeStrategy } from './strategies.ts';

const start = '2026-04-01';
const document = {
  name: 'Escalate',
  segments: [
    {
      code: 'all',
      name: 'Everyone',
      conditions: { all: [] },
      arms: [
        {
          code: 'std',
          role: 'champion',
          share_bp: 10000,
          steps: [{ code: 'to_senior', day: 2, kind: 'task', task: 'escalate', team: 'Senior desk' }],
        },
      ],
    },
  ],
};

let t: TestDatabase;
let clientId: bigint;
let ids: bigint[];
let juniorId: bigint;
let seniorId: bigint;

const night = (asOf: string) => runStrategy(t.db, { asOf, actor: 'tester', partitionSize: 2 });

async function holder(account: bigint) {
  const row = await sql<{ team: string; agent: string | null }>`
    SELECT t.name AS team, s.agent FROM account_assignments s JOIN teams t ON t.id = s.team_id
     WHERE s.account_id = ${account}`.execute(t.db);
  return row.rows[0];
}

async function escalation(account: bigint) {
  const treatment = await accountTreatment(t.db, account);
  return treatment.actions.find((action) => action.step === 'to_senior');
}

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await createClient(t.db, 'ESC')).clientId;
  await createClient(t.db, 'ESO');
  ids = await placeAccounts(
    t.db,
    clientId,
    Array.from({ length: 3 }, (_, i) => ({
      ref: `X${i}`,
      principal: 20_000n,
      delinquencyDate: addDays(start, -40),
    })),
  );
  juniorId = BigInt(
    (await createTeam(t.db, { name: 'Junior', clientCodes: ['ESC'] }, { actor: 'setup' })).id,
  );
  seniorId = BigInt(
    (await createTeam(t.db, { name: 'Senior desk', clientCodes: ['ESC'] }, { actor: 'setup' })).id,
  );
  await createTeam(t.db, { name: 'Other desk', clientCodes: ['ESO'] }, { actor: 'setup' });
  for (const [username, team] of [
    ['junior.a', juniorId],
    ['senior.a', seniorId],
  ] as const) {
    await createUser(
      t.db,
      { username, displayName: username, roles: ['agent'], team, password: 'Password-12345' },
      { actor: 'setup' },
    );
  }
  await setRule(t.db, { teamId: juniorId, method: 'round_robin', capPerAgent: null }, 'lead');
  const proposed = await proposeStrategy(t.db, { document, reason: 'escalate at day 2' }, 'alice');
  await decideStrategy(t.db, proposed.id, 'approve', 'fine', 'bob');
});

afterAll(async () => {
  await t?.drop();
});

describe('an escalation step', () => {
  it('moves the account to the team with the step as the reason, keeping one with an open promise', async () => {
    await night(start);
    for (const id of ids) expect(await holder(id)).toEqual({ team: 'Junior', agent: 'junior.a' });
    // the senior team takes no new accounts of its own: it gets them by escalation
    await setRule(t.db, { teamId: seniorId, method: 'round_robin', capPerAgent: null }, 'lead');
    // the second account promises to pay: it stays with its agent (留案)
    const kept = ids[1] as bigint;
    await sql`
      INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on, grace_days, taken_by)
      VALUES (${clientId}, ${kept}, 5000, 'CNY', 20000, ${start}, ${addDays(start, 10)}, 3, 'junior.a')`.execute(
      t.db,
    );
    await night(addDays(start, 1));
    expect(await holder(ids[0] as bigint)).toEqual({ team: 'Junior', agent: 'junior.a' });

    await night(addDays(start, 2));
    // moved, and given a senior agent by the senior team's rule in the same run
    expect(await holder(ids[0] as bigint)).toEqual({ team: 'Senior desk', agent: 'senior.a' });
    expect(await holder(ids[2] as bigint)).toEqual({ team: 'Senior desk', agent: 'senior.a' });
    const history = await assignmentHistory(t.db, ids[0] as bigint);
    expect(history.map((h) => [h.kind, h.from_agent, h.to_team, h.to_agent, h.reason, h.by])).toEqual([
      ['allocated', null, seniorId, 'senior.a', null, 'strategy-run'],
      [
        'reassigned',
        'junior.a',
        seniorId,
        null,
        'escalation to_senior of strategy v1 (segment all, arm std), due 2026-04-03',
        'strategy-run',
      ],
      ['allocated', null, juniorId, 'junior.a', null, 'strategy-run'],
    ]);
    expect(await escalation(ids[0] as bigint)).toMatchObject({ status: 'open', reasons: [] });
    expect((await escalation(ids[0] as bigint))?.moved_at).toBeInstanceOf(Date);
    // held back, and the action says why
    expect(await holder(kept)).toEqual({ team: 'Junior', agent: 'junior.a' });
    expect(await escalation(kept)).toMatchObject({ moved_at: null, reasons: ['kept_with_agent'] });
    expect((await assignmentHistory(t.db, kept)).map((h) => h.kind)).toEqual(['allocated']);
  });

  it('moves nothing new when the night runs again or the next night comes', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM assignment_history`.execute(t.db);
    await night(addDays(start, 2));
    await night(addDays(start, 3));
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM assignment_history`.execute(t.db);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    expect(await escalation(ids[1] as bigint)).toMatchObject({
      moved_at: null,
      reasons: ['kept_with_agent'],
    });
  });

  it('does not undo a supervisor moving the account back', async () => {
    const account = ids[2] as bigint;
    await reassign(t.db, { accountIds: [account], toAgent: 'junior.a', reason: 'back to junior' }, 'lead');
    await night(addDays(start, 4));
    expect(await holder(account)).toEqual({ team: 'Junior', agent: 'junior.a' });
  });

  it('moves the held account the first night after its promise is settled', async () => {
    const kept = ids[1] as bigint;
    await sql`UPDATE promises SET status = 'kept', kept_on = ${addDays(start, 4)}, final = true WHERE account_id = ${kept}`.execute(
      t.db,
    );
    await night(addDays(start, 5));
    expect(await holder(kept)).toEqual({ team: 'Senior desk', agent: 'senior.a' });
    expect(await escalation(kept)).toMatchObject({ reasons: [] });
    expect((await assignmentHistory(t.db, kept))[1]).toMatchObject({
      kind: 'reassigned',
      from_agent: 'junior.a',
      to_team: seniorId,
    });
  });

  it('holds a move to a team that is unknown or does not serve the client, and is a no-op in place', async () => {
    const [a, b, c] = ids as [bigint, bigint, bigint];
    const results = await t.db.transaction().execute((trx) =>
      moveToTeams(
        trx,
        [
          { accountId: a, team: 'Nobody', reason: 'x' },
          { accountId: b, team: 'other DESK', reason: 'x' },
          { accountId: c, team: 'junior', reason: 'x' },
        ],
        'lead',
      ),
    );
    expect(results.map((r) => [r.account_id, r.outcome, r.held])).toEqual([
      [a, 'held', 'team_unknown'],
      [b, 'held', 'team_not_serving_client'],
      [c, 'already', null],
    ]);
  });

  it('has words in both languages for each way a move is held back, and for a move', () => {
    for (const locale of [zhCN, en]) {
      expect(Object.keys(locale.strategies.treatment.escalation).sort()).toEqual(
        ['moved', ...teamMoveHeldReasons].sort(),
      );
    }
  });
});
