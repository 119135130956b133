/**
 * Training records: months added to completion dates, each course's status, the agent's record
 * closing contact actions (through the API: an untrained agent cannot log an attempt) until a
 * supervisor records the training, nobody recording their own, and the completions about to expire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi, testCallers } from '../../test/api.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { gateFixture } from '../compliance/holds-fixture.ts';
import { createUser } from '../identity/service.ts';
import type { Api } from '../server/context.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import {
  addCourse,
  addMonths,
  assertTrained,
  expiringTraining,
  recordCompletion,
  trainingStatus,
} from './service.ts';

describe('addMonths', () => {
  it.each([
    ['2026-01-15', 12, '2027-01-15'],
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2026-11-30', 3, '2027-02-28'],
  ])('%s + %i months = %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });
});

let t: TestDatabase;
let app: Api;
let fixture: Awaited<ReturnType<typeof gateFixture>>;
const { caller, callers } = testCallers();
let api: TestApi;
const call: TestApi['call'] = (...args) => api.call(...args);

beforeAll(async () => {
  t = await testDatabase();
  fixture = await gateFixture(t.db, 'CN', 'CN');
  for (const username of ['agent.wang', 'agent.zhao', 'lead.li']) {
    await createUser(
      t.db,
      {
        username,
        displayName: username,
        roles: [username.startsWith('agent') ? 'agent' : 'supervisor'],
        password: 'Password-12345',
      },
      { actor: 'setup' },
    );
  }
  caller('agent.wang', ['agent'], [fixture.clientId]);
  caller('lead.li', ['supervisor'], 'all');
  api = await testApi(t, callers);
  app = api.app;
});

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const attempt = { disposition: 'no_answer', channel: 'call' };

describe('training records', () => {
  it('leaves contact actions open while the agency requires no course', async () => {
    await expect(assertTrained(t.db, { username: 'agent.wang', roles: ['agent'] })).resolves.toBeUndefined();
    expect(
      (await call('agent.wang', 'POST', `/accounts/${fixture.accountId}/attempts`, attempt)).status,
    ).toBe(201);
  });

  it('closes them to an agent without a current completion of a required course, until it is recorded', async () => {
    const created = await call('lead.li', 'POST', '/training/courses', {
      code: 'annual-compliance',
      title: '年度合规培训',
    });
    // supervisors record completions but do not define courses
    expect(created.status).toBe(403);
    await addCourse(
      t.db,
      { code: 'annual-compliance', title: '年度合规培训', validityMonths: 12, required: true },
      'compliance.zhou',
    );
    await addCourse(
      t.db,
      { code: 'ai-tools', title: 'AI tools (optional)', validityMonths: 6, required: false },
      'compliance.zhou',
    );

    const refused = await call('agent.wang', 'POST', `/accounts/${fixture.accountId}/attempts`, attempt);
    expect(refused.status).toBe(403);
    expect(refused.json().error.message).toMatch(/"年度合规培训" never completed/);
    // a supervisor is not an agent: the rule is the agents'
    await expect(
      assertTrained(t.db, { username: 'lead.li', roles: ['supervisor'] }),
    ).resolves.toBeUndefined();

    // completed 13 months ago: expired
    const old = addMonths(todayIn(), -13);
    await recordCompletion(
      t.db,
      { username: 'agent.wang', course: 'annual-compliance', completedOn: old },
      'lead.li',
    );
    const expired = await call('agent.wang', 'POST', `/accounts/${fixture.accountId}/attempts`, attempt);
    expect(expired.status).toBe(403);
    expect(expired.json().error.message).toContain(`expired on ${addMonths(old, 12)}`);

    expect(
      (
        await call('lead.li', 'POST', '/training/completions', {
          username: 'agent.wang',
          course: 'annual-compliance',
          completed_on: addDays(todayIn(), -10),
          score: 92,
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('agent.wang', 'POST', `/accounts/${fixture.accountId}/attempts`, attempt)).status,
    ).toBe(201);
    const status = await trainingStatus(t.db, 'agent.wang');
    expect(status.current).toBe(true);
    expect(status.courses.map((course) => [course.course, course.status])).toEqual([
      ['ai-tools', 'missing'],
      ['annual-compliance', 'current'],
    ]);
    // an agent reads their own record only
    expect((await call('agent.wang', 'GET', '/training/users/agent.wang')).json().current).toBe(true);
    expect((await call('agent.wang', 'GET', '/training/users/agent.zhao')).status).toBe(403);
  });

  it('refuses recording your own training, unknown users and courses, and future dates', async () => {
    await expect(
      recordCompletion(
        t.db,
        { username: 'lead.li', course: 'annual-compliance', completedOn: todayIn() },
        'lead.li',
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      recordCompletion(
        t.db,
        { username: 'nobody', course: 'annual-compliance', completedOn: todayIn() },
        'lead.li',
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      recordCompletion(t.db, { username: 'agent.zhao', course: 'nope', completedOn: todayIn() }, 'lead.li'),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      recordCompletion(
        t.db,
        { username: 'agent.zhao', course: 'annual-compliance', completedOn: addDays(todayIn(), 1) },
        'lead.li',
      ),
    ).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('lists the required completions about to expire', async () => {
    const soon = addMonths(addDays(todayIn(), 20), -12);
    await recordCompletion(
      t.db,
      { username: 'agent.zhao', course: 'annual-compliance', completedOn: soon },
      'lead.li',
    );
    expect(await expiringTraining(t.db, 30)).toEqual([
      {
        username: 'agent.zhao',
        course: 'annual-compliance',
        title: '年度合规培训',
        expires_on: addMonths(soon, 12),
      },
    ]);
    expect(await expiringTraining(t.db, 10)).toEqual([]);
  });
});
