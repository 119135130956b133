import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { proposeTemplate } from '../templates/service.ts';
import { approvedTemplates, testDocument } from './strategy-fixtures.ts';

describe('huikuan strategy propose / approve / list / show / dry-run', () => {
  let t: TestDatabase;
  let cli: ReturnType<typeof cliFor>;
  let dir = '';
  beforeAll(async () => {
    t = await testDatabase();
    cli = cliFor(t);
    await approvedTemplates(t.db);
    const { clientId } = await createClient(t.db, 'SCLI');
    await placeAccounts(t.db, clientId, [
      { ref: 'X1', principal: 10_000n, delinquencyDate: '2026-02-20' },
      { ref: 'X2', principal: 10_000n, delinquencyDate: '2025-01-01' },
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'huikuan-strategy-'));
    await writeFile(path.join(dir, 'good.json'), JSON.stringify(testDocument));
    const bad = structuredClone(testDocument) as typeof testDocument;
    (bad.segments[0]?.arms[0]?.steps[1] as { day: number }).day = 0;
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify(bad));
    await writeFile(path.join(dir, 'broken.json'), '{ "name": ');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('refuses a document with problems (exit 2) naming the path, and a file that is not JSON', async () => {
    const bad = await cli([
      'strategy',
      'propose',
      '--file',
      path.join(dir, 'bad.json'),
      '--reason',
      'x',
      '--user',
      'alice',
      '--json',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.json().error.details.problems).toContainEqual(
      expect.objectContaining({ path: 'segments[0].arms[0].steps[1].day', severity: 'error' }),
    );
    const broken = await cli(['strategy', 'dry-run', '--file', path.join(dir, 'broken.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('is not JSON');
  });

  it('proposes, refuses the proposer’s own approval, approves by another, lists and shows', async () => {
    const proposed = await cli([
      'strategy',
      'propose',
      '--file',
      path.join(dir, 'good.json'),
      '--reason',
      'first',
      '--user',
      'alice',
      '--json',
    ]);
    expect(proposed.code).toBe(0);
    const id = String(proposed.json().id);
    const own = await cli(['strategy', 'approve', id, '--user', 'alice']);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('another admin or supervisor');
    const approved = await cli(['strategy', 'approve', id, '--user', 'bob', '--reason', 'ok']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved by bob, in force from the first nightly run');
    const list = await cli(['strategy', 'list']);
    expect(list.stdout).toMatch(/v1 "Test strategy" approved \(IN FORCE\) — 3 segments/);
    const show = await cli(['strategy', 'show', id]);
    expect(show.stdout).toContain('champion champion 80%: day 0 sms:gentle, day 3 email:notice, day 5 call');
    expect(show.stdout).toContain('promise_broken + 1 call');
  });

  it("shows a version with its templates' warnings, as proposing it did", async () => {
    await proposeTemplate(
      t.db,
      {
        code: 'waiting',
        channel: 'sms',
        language: 'zh-CN',
        subject: null,
        body: '您好，请尽快还款。',
        reason: 'new',
      },
      'compliance',
    );
    const document = structuredClone(testDocument) as typeof testDocument;
    (document.segments[0]?.arms[0]?.steps[0] as { template: string }).template = 'waiting';
    await writeFile(path.join(dir, 'waiting.json'), JSON.stringify(document));
    const proposed = await cli([
      'strategy',
      'propose',
      '--file',
      path.join(dir, 'waiting.json'),
      '--reason',
      'a template awaiting approval',
      '--user',
      'alice',
      '--json',
    ]);
    expect(proposed.code).toBe(0);
    const warning =
      'warning segments[0].arms[0].steps[0].template: The sms template "waiting" has no approved version yet: its messages are refused until one is approved.';
    expect(proposed.json().warnings).toContainEqual(
      expect.objectContaining({ path: 'segments[0].arms[0].steps[0].template', severity: 'warning' }),
    );
    const show = await cli(['strategy', 'show', String(proposed.json().id)]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(warning);
  });

  it('dry-runs a document for a date', async () => {
    const result = await cli([
      'strategy',
      'dry-run',
      '--file',
      path.join(dir, 'good.json'),
      '--as-of',
      '2026-03-01',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      as_of: '2026-03-01',
      accounts: 2,
      unsegmented: 0,
      segments: expect.arrayContaining([{ segment: 'late', arm: 'champion', accounts: 1 }]),
    });
    const text = await cli([
      'strategy',
      'dry-run',
      '--file',
      path.join(dir, 'good.json'),
      '--as-of',
      '2026-03-01',
    ]);
    expect(text.stdout).toContain('late / champion legal: task legal_review × 1');
  });
});
