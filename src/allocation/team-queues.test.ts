/**
 * The supervisor's view of a team's queues: due-now counted whole in one query — the same count the
 * agent's queue gives while it fits, and past the queue's 200 rows too, with the queue marked capped.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createTeam, createUser } from '../identity/service.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import { agentQueue, allocationLimits, teamQueues } from './service.ts';

let t: TestDatabase;
let teamId: bigint;

const dueTiers = ['promise_due', 'callback_due', 'broken', 'instalment_due', 'treatment_due'];

beforeAll(async () => {
  t = await testDatabase();
  const { clientId } = await createClient(t.db, 'TQ');
  teamId = BigInt((await createTeam(t.db, { name: 'Queues', clientCodes: ['TQ'] }, { actor: 'setup' })).id);
  for (const username of ['busy', 'calm', 'idle']) {
    await createUser(
      t.db,
      { username, displayName: username, roles: ['agent'], team: teamId, password: 'Password-12345' },
      { actor: 'setup' },
    );
  }
  const ids = await placeAccounts(
    t.db,
    clientId,
    Array.from({ length: 215 }, (_, i) => ({ ref: `Q${i}`, principal: 10_000n + BigInt(i) })),
  );
  const busy = ids.slice(0, 205).map(String);
  const calm = ids.slice(205).map(String);
  for (const [agent, accounts] of [
    ['busy', busy],
    ['calm', calm],
  ] as const) {
    await sql`
      INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
      SELECT ${clientId}, a, ${teamId}, ${agent}, 'setup' FROM unnest(${accounts}::bigint[]) AS a`.execute(
      t.db,
    );
  }
  // busy: 203 promises due today (more than the queue's 200 rows); calm: one promise due, one broken
  // two days ago, one due next week (not due now), the rest nothing due
  const today = todayIn();
  const promise = (accounts: string[], status: string, dueOn: string, brokenAt: string | null) => sql`
    INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on, grace_days,
                          status, broken_at, taken_by)
    SELECT ${clientId}, a, 1000, 'CNY', 10000, ${addDays(today, -10)}, ${dueOn}, 3, ${status}, ${brokenAt}::date, 'x'
      FROM unnest(${accounts}::bigint[]) AS a`;
  await promise(busy.slice(0, 203), 'open', today, null).execute(t.db);
  await promise(calm.slice(0, 1), 'open', today, null).execute(t.db);
  await promise(calm.slice(1, 2), 'broken', addDays(today, -5), addDays(today, -2)).execute(t.db);
  await promise(calm.slice(2, 3), 'open', addDays(today, 7), null).execute(t.db);
});

afterAll(async () => {
  await t?.drop();
});

describe('teamQueues', () => {
  it("counts what is due now as the agent's queue does, beyond the queue's rows, and says when it is capped", async () => {
    const queues = await teamQueues(t.db, teamId);
    expect(queues.map((q) => [q.agent, q.accounts, q.due_now, q.queue_capped])).toEqual([
      ['busy', 205, 203, true],
      ['calm', 10, 2, false],
      ['idle', 0, 0, false],
    ]);
    expect(queues[0]?.queue_rows).toBe(allocationLimits.queueRows);
    // the same count as the agent's own queue, where the queue holds every account
    const calm = await agentQueue(t.db, 'calm');
    expect(calm.filter((item) => dueTiers.includes(item.tier))).toHaveLength(2);
    // the queue stops at its rows: it alone would have said 200
    const busy = await agentQueue(t.db, 'busy');
    expect(busy.filter((item) => dueTiers.includes(item.tier))).toHaveLength(allocationLimits.queueRows);
  });

  it('reads the team in one query, whatever the number of agents', async () => {
    const statements: string[] = [];
    const counted = t.db.withPlugin({
      transformQuery: (args) => {
        statements.push(args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    await teamQueues(counted, teamId);
    expect(statements).toHaveLength(1);
  });
});
