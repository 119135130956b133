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
  agentQueue,
  assignmentHistory,
  moveToTeams,
  reassign,
  setRule,
  teamMoveHeldReasons,
  teamQueues,
} from '../allocation/service.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { updateTeam } from '../identity/teams.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { describeRun } from './cli.ts';
import { type RunResult, runStrategy } from './service.ts';
import { accountTreatment, decideStrategy, proposeStrategy } from './strategies.ts';

const start = '2026-04-01';
/** A strategy of one segment (everyone) and one arm whose path is `steps`. */
const escalationDocument = (name: string, steps: Record<string, unknown>[]) => ({
  name,
  segments: [
    {
      code: 'all',
      name: 'Everyone',
      conditions: { all: [] },
      arms: [{ code: 'std', role: 'champion', share_bp: 10000, steps }],
    },
  ],
});
const document = escalationDocument('Escalate', [
  { code: 'to_senior', day: 2, kind: 'task', task: 'escalate', team: 'Senior desk' },
]);

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

/** The night's escalation counts: the run's, and this call's share of them. */
const escalations = (result: RunResult) => ({
  moved: result.totals.escalations_moved,
  held: result.totals.escalations_held,
  by_this_call: [result.by_this_worker.escalations_moved, result.by_this_worker.escalations_held],
});

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
    expect(escalations(await night(start))).toEqual({ moved: 0, held: 0, by_this_call: [0, 0] });
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
    expect(escalations(await night(addDays(start, 1)))).toEqual({ moved: 0, held: 0, by_this_call: [0, 0] });
    expect(await holder(ids[0] as bigint)).toEqual({ team: 'Junior', agent: 'junior.a' });

    const moving = await night(addDays(start, 2));
    // two moved, the one with a promise held; the summary says so
    expect(escalations(moving)).toEqual({ moved: 2, held: 1, by_this_call: [2, 1] });
    expect(describeRun(moving)).toContain('2 escalations moved to their team (调案), 1 still held.');
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

  it('does nothing when a completed night runs again; the next night moves no account twice and retries the held one', async () => {
    const moved = [ids[0], ids[2]] as bigint[];
    const kept = ids[1] as bigint;
    const state = async () =>
      Promise.all(
        ids.map(async (id) => ({
          holder: await holder(id),
          history: (await assignmentHistory(t.db, id)).map((h) => h.id),
          moved_at: (await escalation(id))?.moved_at?.getTime() ?? null,
        })),
      );
    const before = await state();
    expect(before.map((s) => s.moved_at === null)).toEqual([false, true, false]);

    const again = await night(addDays(start, 2));
    expect(again.already_completed).toBe(true);
    // the night's counts as it did them; nothing by this call
    expect(escalations(again)).toEqual({ moved: 2, held: 1, by_this_call: [0, 0] });
    expect(await state()).toEqual(before);

    // a real night: every live account advanced, the escalations looked at again
    const next = await night(addDays(start, 3));
    expect(next).toMatchObject({ already_completed: false, totals: { advanced: 3 } });
    expect(escalations(next)).toEqual({ moved: 0, held: 1, by_this_call: [0, 1] });
    // the moved ones stay where they are, with no new history row and their first move's time
    expect(await state()).toEqual(before);
    for (const id of moved) expect(await holder(id)).toEqual({ team: 'Senior desk', agent: 'senior.a' });
    // the held one was tried again and is still held, for the same reason
    expect(await escalation(kept)).toMatchObject({ moved_at: null, reasons: ['kept_with_agent'] });
  });

  it('does not undo a supervisor moving the account back', async () => {
    const account = ids[2] as bigint;
    await reassign(t.db, { accountIds: [account], toAgent: 'junior.a', reason: 'back to junior' }, 'lead');
    expect(escalations(await night(addDays(start, 4)))).toMatchObject({ moved: 0, held: 1 });
    expect(await holder(account)).toEqual({ team: 'Junior', agent: 'junior.a' });
  });

  it('moves the held account the first night after its promise is settled', async () => {
    const kept = ids[1] as bigint;
    await sql`UPDATE promises SET status = 'kept', kept_on = ${addDays(start, 4)}, final = true WHERE account_id = ${kept}`.execute(
      t.db,
    );
    expect(escalations(await night(addDays(start, 5)))).toMatchObject({ moved: 1, held: 0 });
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

describe('an escalation to a team that does not exist, or does not serve the client', () => {
  const document = escalationDocument('Escalate to teams not ready yet', [
    { code: 'to_ghost', day: 1, kind: 'task', task: 'escalate', team: 'Ghost desk' },
    { code: 'to_far', day: 2, kind: 'task', task: 'escalate', team: 'Far desk' },
  ]);
  let u: TestDatabase;
  let account: bigint;
  let juniorId: bigint;
  let farId: bigint;
  const nightOf = (asOf: string) => runStrategy(u.db, { asOf, actor: 'tester', partitionSize: 2 });
  const actionOf = async (step: string) =>
    (await accountTreatment(u.db, account)).actions.find((action) => action.step === step);
  const holderOf = async () =>
    (
      await sql<{ team: string; agent: string | null }>`
        SELECT t.name AS team, s.agent FROM account_assignments s JOIN teams t ON t.id = s.team_id
         WHERE s.account_id = ${account}`.execute(u.db)
    ).rows[0];

  beforeAll(async () => {
    u = await testDatabase();
    const client = (await createClient(u.db, 'ESH')).clientId;
    await createClient(u.db, 'ESF');
    [account] = (await placeAccounts(u.db, client, [
      { ref: 'H0', principal: 20_000n, delinquencyDate: addDays(start, -40) },
    ])) as [bigint];
    juniorId = BigInt(
      (await createTeam(u.db, { name: 'Junior', clientCodes: ['ESH'] }, { actor: 'setup' })).id,
    );
    farId = BigInt(
      (await createTeam(u.db, { name: 'Far desk', clientCodes: ['ESF'] }, { actor: 'setup' })).id,
    );
    await createUser(
      u.db,
      {
        username: 'junior.h',
        displayName: 'junior.h',
        roles: ['agent'],
        team: juniorId,
        password: 'Password-12345',
      },
      { actor: 'setup' },
    );
    await setRule(u.db, { teamId: juniorId, method: 'round_robin', capPerAgent: null }, 'lead');
    const proposed = await proposeStrategy(u.db, { document, reason: 'escalate' }, 'alice');
    await decideStrategy(u.db, proposed.id, 'approve', 'fine', 'bob');
  });

  afterAll(async () => {
    await u?.drop();
  });

  it("is created held with its reason, shown on the treatment tab but not in the agent's queue", async () => {
    expect(escalations(await nightOf(start))).toMatchObject({ moved: 0, held: 0 });
    // held from the night it is created, and counted so
    expect(escalations(await nightOf(addDays(start, 1)))).toMatchObject({ moved: 0, held: 1 });
    expect(await actionOf('to_ghost')).toMatchObject({
      status: 'open',
      moved_at: null,
      reasons: ['team_unknown'],
    });
    expect(escalations(await nightOf(addDays(start, 2)))).toMatchObject({ moved: 0, held: 2 });
    expect(await actionOf('to_ghost')).toMatchObject({ moved_at: null, reasons: ['team_unknown'] });
    expect(await actionOf('to_far')).toMatchObject({
      status: 'open',
      moved_at: null,
      reasons: ['team_not_serving_client'],
    });
    expect(await holderOf()).toEqual({ team: 'Junior', agent: 'junior.h' });
    expect((await assignmentHistory(u.db, account)).map((h) => h.kind)).toEqual(['allocated']);
    // both escalations are due, but held: nothing for the agent to do, so the account is only never contacted
    expect(
      (await agentQueue(u.db, 'junior.h')).map((item) => [item.account_id, item.tier, item.due]),
    ).toEqual([[account, 'new', null]]);
    expect(await teamQueues(u.db, juniorId)).toMatchObject([{ agent: 'junior.h', accounts: 1, due_now: 0 }]);
  });

  it("moves the night after an admin sets the team up, into the receiving agent's queue", async () => {
    // an admin creates the missing team: the next night moves the account there; Far desk still holds
    const ghostId = BigInt(
      (await createTeam(u.db, { name: 'Ghost desk', clientCodes: ['ESH'] }, { actor: 'admin' })).id,
    );
    await createUser(
      u.db,
      {
        username: 'ghost.h',
        displayName: 'ghost.h',
        roles: ['agent'],
        team: ghostId,
        password: 'Password-12345',
      },
      { actor: 'admin' },
    );
    await setRule(u.db, { teamId: ghostId, method: 'round_robin', capPerAgent: null }, 'lead');
    expect(escalations(await nightOf(addDays(start, 3)))).toMatchObject({ moved: 1, held: 1 });
    expect(await holderOf()).toEqual({ team: 'Ghost desk', agent: 'ghost.h' });
    expect(await actionOf('to_ghost')).toMatchObject({ reasons: [] });
    expect((await actionOf('to_ghost'))?.moved_at).toBeInstanceOf(Date);
    expect(await actionOf('to_far')).toMatchObject({ moved_at: null, reasons: ['team_not_serving_client'] });
    // the moved escalation is the receiving agent's step due; the one still held is not
    expect((await agentQueue(u.db, 'ghost.h')).map((item) => [item.account_id, item.tier, item.due])).toEqual(
      [[account, 'treatment_due', '2026-04-02']],
    );
    expect(await teamQueues(u.db, ghostId)).toMatchObject([{ agent: 'ghost.h', accounts: 1, due_now: 1 }]);
    // still on the treatment tab, with why it is held
    expect((await accountTreatment(u.db, account)).actions.map((a) => [a.step, a.reasons])).toEqual([
      ['to_far', ['team_not_serving_client']],
      ['to_ghost', []],
    ]);

    // an admin links Far desk to the client: the next night moves the account on
    await updateTeam(u.db, farId, { clientCodes: ['ESF', 'ESH'] }, { actor: 'admin' });
    expect(escalations(await nightOf(addDays(start, 4)))).toMatchObject({ moved: 1, held: 0 });
    expect(await holderOf()).toEqual({ team: 'Far desk', agent: null });
    expect(await actionOf('to_far')).toMatchObject({ reasons: [] });
    expect((await actionOf('to_far'))?.moved_at).toBeInstanceOf(Date);
    expect(
      (await assignmentHistory(u.db, account)).map((h) => [h.kind, h.from_agent, h.to_team, h.reason]),
    ).toEqual([
      [
        'reassigned',
        'ghost.h',
        farId,
        'escalation to_far of strategy v1 (segment all, arm std), due 2026-04-03',
      ],
      ['allocated', null, ghostId, null],
      [
        'reassigned',
        'junior.h',
        ghostId,
        'escalation to_ghost of strategy v1 (segment all, arm std), due 2026-04-02',
      ],
      ['allocated', null, juniorId, null],
    ]);
  });
});
