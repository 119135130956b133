/**
 * The strategy editor in a real headless Chromium (issue 5 point 7): a supervisor (super1) opens
 * Strategies, sees the version in force with its segments in plain words and its treatment paths,
 * edits a copy (the late segment's days past due 90 → 400, the e-mail step's day 3 → 4), gets the
 * server's problem next to the arms when their shares add up to 95%, fixes it, dry-runs it (the
 * counts are the server's for the edited document) and proposes it; the proposer cannot approve it;
 * an admin (admin1) approves it and it is in force.
 */
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { todayIn } from '../../src/shared/dates.ts';
import { runStrategy } from '../../src/strategy/service.ts';
import { decideStrategy, dryRun, proposeStrategy } from '../../src/strategy/strategies.ts';
import { approvedTemplates, testDocument } from '../../src/strategy/strategy-fixtures.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  launchChromium,
  logIn,
  openSession,
  screenshotDir,
  startWorld,
  untilSettled,
  type World,
} from './harness.ts';

vi.setConfig({ testTimeout: 240_000 });

let world: World;
let browser: Browser;
const text = zhCN;
const s = text.strategies;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
  await approvedTemplates(world.t.db);
  const first = await proposeStrategy(world.t.db, { document: testDocument, reason: '首个策略' }, 'setup');
  await decideStrategy(world.t.db, first.id, 'approve', '', 'admin1');
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function openStrategies(page: Page): Promise<void> {
  await page.getByRole('menuitem', { name: text.menu.strategies }).click();
  await page.getByRole('heading', { name: s.title }).waitFor();
}

describe('the strategy editor', () => {
  it('a supervisor edits a copy, sees a bad share at its field, dry-runs and proposes; an admin approves', async () => {
    const edited = structuredClone(testDocument);
    // the same edits as the supervisor makes below, for the server's own dry run
    (edited.segments[2]?.conditions.all[0] as { value: unknown }).value = 400;
    (edited.segments[0]?.arms[0]?.steps[1] as { day: number }).day = 4;
    const expected = await dryRun(world.t.db, edited);
    const before = await dryRun(world.t.db, testDocument);
    const lateCount = (result: typeof expected) =>
      result.segments.find((row) => row.segment === 'late' && row.arm === 'champion')?.accounts;
    // the edit matters: fewer accounts are past 400 days than past 90
    expect(lateCount(expected)).toBeLessThan(lateCount(before) ?? 0);

    const maker = await openSession(browser, 'zh-CN');
    try {
      const page = maker.page;
      await logIn(page, world.baseUrl, text, 'super1');
      await openStrategies(page);
      await expect.poll(() => page.getByTestId('version-title').textContent()).toBe('版本 1：Test strategy');
      expect(await page.getByTestId('conditions-late').textContent()).toBe('逾期天数 > 90');
      expect(await page.getByTestId('conditions-m2_m3').textContent()).toBe('账龄属于 M2、M3');
      const champion = page.getByTestId('arm-m1-champion');
      expect(await champion.textContent()).toContain('占比 80.00%');
      expect(await champion.textContent()).toContain('第 3 天 · 电子邮件 · 模板 notice');
      await page.screenshot({
        path: path.join(screenshotDir, 'strategies-version-zh-CN.png'),
        fullPage: true,
      });
      expect(await page.getByTestId('arm-m2_m3-champion').textContent()).toContain(
        '承诺违约后第 1 天 · 任务：电话',
      );

      await page.getByRole('button', { name: s.view.editCopy }).click();
      await page.getByText(s.editor.basedOn.replace('{{version}}', '1')).waitFor();
      await page.getByTestId('edit-segment-2').getByLabel(s.editor.value, { exact: true }).fill('400');
      await page.getByTestId('edit-arm-0-0-step-1').getByLabel(s.editor.day, { exact: true }).fill('4');
      const share = page.getByTestId('edit-arm-0-1').getByLabel(s.editor.share);
      await share.fill('15');
      await expect.poll(() => page.getByTestId('shares-total-0').textContent()).toBe('合计 95.00%');

      // the server refuses the shares; its problem shows at the arms and in the summary
      await page.getByRole('button', { name: s.editor.dryRun }).click();
      const problem = page.getByTestId('problem-segments[0].arms');
      await problem.waitFor();
      // in the editor's language (strategies.problem.shares_total), not the server's English
      expect(await problem.textContent()).toContain('各分组占比合计 9500 个基点');
      expect(await page.getByTestId('problems-summary').textContent()).toContain('第 1 段 › 分组：');
      expect(await page.getByTestId('dry-run').count()).toBe(0);
      await page.screenshot({
        path: path.join(screenshotDir, 'strategies-editor-problem-zh-CN.png'),
        fullPage: true,
      });

      await share.fill('20');
      await page.getByRole('button', { name: s.editor.dryRun }).click();
      const result = page.getByTestId('dry-run');
      await result.waitFor();
      await problem.waitFor({ state: 'detached' });
      expect(await page.getByTestId('dry-run-accounts').textContent()).toBe(
        s.dryRun.accounts
          .replace('{{count}}', String(expected.accounts))
          .replace('{{unsegmented}}', String(expected.unsegmented)),
      );
      const lateRow = result
        .getByRole('table', { name: s.dryRun.perArm })
        .getByRole('row')
        .filter({ hasText: 'M4 and later' });
      expect((await lateRow.getByRole('cell').allTextContents()).slice(-1)).toEqual([
        String(lateCount(expected)),
      ]);

      await page.screenshot({
        path: path.join(screenshotDir, 'strategies-dry-run-zh-CN.png'),
        fullPage: true,
      });
      await page.getByLabel(s.editor.reason).fill('晚期阈值调整为 400 天');
      await page.getByRole('button', { name: s.editor.propose }).click();
      await page
        .getByText(s.editor.proposed.replace('{{version}}', '2').split('，')[0] as string)
        .first()
        .waitFor();
      // back on the versions: version 2 waits, and its proposer cannot decide it
      await expect.poll(() => page.getByTestId('version-title').textContent()).toBe('版本 2：Test strategy');
      expect(await page.getByTestId('conditions-late').textContent()).toBe('逾期天数 > 400');
      expect(await page.getByTestId('arm-m1-champion').textContent()).toContain(
        '第 4 天 · 电子邮件 · 模板 notice',
      );
      expect(await page.getByRole('button', { name: s.view.approve }).isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: s.view.reject }).isDisabled()).toBe(true);
    } finally {
      await maker.context.close();
    }

    const checker = await openSession(browser, 'zh-CN');
    try {
      const page = checker.page;
      await logIn(page, world.baseUrl, text, 'admin1');
      await openStrategies(page);
      await page.getByRole('button', { name: `${s.list.view} v2` }).click();
      await expect.poll(() => page.getByTestId('version-title').textContent()).toBe('版本 2：Test strategy');
      await page.getByRole('button', { name: s.view.approve }).click();
      const dialog = page.locator('.ant-modal').filter({ hasText: 'v2' });
      await dialog.waitFor();
      await untilSettled(dialog);
      await dialog.getByRole('button', { name: s.view.approve }).click();
      const row = page
        .getByRole('table', { name: s.list.title })
        .getByRole('row')
        .filter({ hasText: 'super1' });
      await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain(s.list.inForce);
      expect(await row.textContent()).toContain(s.statuses.approved);
    } finally {
      await checker.context.close();
    }

    const stored = await sql<{
      version: number;
      status: string;
      proposed_by: string;
      decided_by: string;
      document: unknown;
    }>`
      SELECT version, status, proposed_by, decided_by, document FROM strategy_versions ORDER BY version`.execute(
      world.t.db,
    );
    expect(stored.rows.map(({ document: _d, ...row }) => row)).toEqual([
      { version: 1, status: 'approved', proposed_by: 'setup', decided_by: 'admin1' },
      { version: 2, status: 'approved', proposed_by: 'super1', decided_by: 'admin1' },
    ]);
    const document = stored.rows[1]?.document as typeof testDocument;
    expect(document.segments[2]?.conditions).toEqual({ all: [{ field: 'dpd', op: '>', value: 400 }] });
    expect(document.segments[0]?.arms.map((arm) => arm.share_bp)).toEqual([8000, 2000]);
    expect(document.segments[0]?.arms[0]?.steps[1]).toMatchObject({ code: 'email_d3', day: 4 });
  });

  it('after a nightly run the account shows its treatment; the results show the test and promote proposes a version', async () => {
    await runStrategy(world.t.db, { asOf: todayIn(), actor: 'setup' });
    const session = await openSession(browser, 'zh-CN');
    try {
      const page = session.page;
      await logIn(page, world.baseUrl, text, 'super1');
      // A002 is more than 400 days past due: the late segment of version 2, its legal review due at entry
      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.A002}`);
      await page.getByRole('tab', { name: s.treatment.tab }).click();
      await expect.poll(() => page.getByTestId('treatment-segment').textContent()).toBe('late');
      const timeline = page.locator('.ant-timeline').filter({ hasText: '法务审查' });
      expect(await timeline.textContent()).toContain('第 0 天 · 任务：法务审查');
      expect(await timeline.textContent()).toContain(s.step.taken);
      await page.screenshot({
        path: path.join(screenshotDir, 'account-treatment-zh-CN.png'),
        fullPage: true,
      });

      await openStrategies(page);
      await page.getByRole('tab', { name: s.tabs.results }).click();
      const card = page.locator('.ant-card').filter({ hasText: '版本 2 · m1 · 实验 m1-2026' });
      await card.waitFor();
      const verdict = card.getByTestId('verdict');
      expect(await verdict.textContent()).toContain(`${s.verdicts.not_enough_accounts}：回收率差异`);
      const arms = card.getByRole('table', { name: s.view.arms });
      expect(await arms.getByRole('row').filter({ hasText: 'firm' }).textContent()).toContain(
        s.roles.challenger,
      );
      await page.screenshot({
        path: path.join(screenshotDir, 'strategies-results-zh-CN.png'),
        fullPage: true,
      });
      await verdict.getByRole('button', { name: s.results.promote }).click();
      const dialog = page.locator('.ant-modal').filter({ hasText: s.results.promoteHint });
      await dialog.waitFor();
      await untilSettled(dialog);
      await dialog.getByLabel(text.common.reason).fill('试点短信更有效');
      await dialog.getByRole('button', { name: s.results.promote }).click();
      await page.getByText(s.results.promoted.replace('{{version}}', '3')).first().waitFor();
    } finally {
      await session.context.close();
    }
    const promoted = await sql<{ status: string; proposed_by: string; reason: string; document: unknown }>`
      SELECT status, proposed_by, reason, document FROM strategy_versions WHERE version = 3`.execute(
      world.t.db,
    );
    const row = promoted.rows[0];
    expect(row).toMatchObject({ status: 'proposed', proposed_by: 'super1' });
    expect(row?.reason).toContain('试点短信更有效');
    const m1 = (row?.document as typeof testDocument | undefined)?.segments[0];
    expect(m1?.arms.find((arm) => arm.role === 'champion')?.steps.map((step) => step.code)).toEqual([
      'sms_firm',
      'call_d1',
    ]);
  });

  it('shows a challenger that is better: the verdict in words with its sequence, the figures and both charts', async () => {
    const arm = (code: string, role: string, share_bp: number, rate: number, perAccount: number) => ({
      code,
      role,
      share_bp,
      accounts: 800,
      placed_minor: 80_000_000,
      collected_minor: Math.round(80_000_000 * rate),
      recovery_rate: rate,
      collected_per_account_minor: perAccount,
      promises_due: 100,
      promises_kept: 60,
      promise_kept_rate: 0.6,
      contacts: 2000,
      contacts_per_account: 2.5,
      cost_minor: 40_000,
      cost_per_yuan: 0.01234,
    });
    const metric = (name: string, champion: number, challenger: number, verdict: string) => ({
      metric: name,
      champion,
      challenger,
      difference: challenger - champion,
      interval: [0.008, 0.034],
      sequence: [0.005, 0.037],
      p_value: 0.012,
      verdict,
    });
    const experiment = {
      strategy_version_id: 2,
      version: 2,
      strategy: 'Test strategy',
      segment: 'm1',
      test_id: 'm1-2026',
      window_days: 30,
      as_of: '2026-06-30',
      primary_metric: 'recovery_rate',
      min_accounts: 100,
      entered: 1600,
      arms: [
        arm('champion', 'champion', 8000, 0.1, 123456.4),
        arm('firm', 'challenger', 2000, 0.121, 150000),
      ],
      comparisons: [
        {
          challenger: 'firm',
          verdict: 'challenger_better',
          metrics: [
            metric('recovery_rate', 0.1, 0.121, 'challenger_better'),
            metric('promise_kept_rate', 0.6, 0.6, 'no_difference'),
          ],
          series: ['2026-06-28', '2026-06-29', '2026-06-30'].map((date, i) => ({
            date,
            champion_accounts: 700 + i * 50,
            challenger_accounts: 700 + i * 50,
            champion: 0.1,
            challenger: 0.11 + i * 0.005,
            difference: 0.01 + i * 0.005,
            interval: [0, 0.03],
            sequence: [-0.01 + i * 0.007, 0.04],
            p_value: 0.2 - i * 0.09,
            verdict: i === 2 ? 'challenger_better' : 'no_difference',
          })),
        },
      ],
    };
    const session = await openSession(browser, 'zh-CN');
    try {
      const page = session.page;
      await page.route(/\/api\/v1\/experiments\?/, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ items: [experiment] }),
        }),
      );
      await logIn(page, world.baseUrl, text, 'super1');
      await openStrategies(page);
      await page.getByRole('tab', { name: s.tabs.results }).click();
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor();
      expect(await verdict.textContent()).toContain(
        '挑战者更优：回收率差异 +2.10%，置信序列 [+0.50%, +3.70%]',
      );
      const arms = page.getByRole('table', { name: s.view.arms });
      const champion = await arms
        .getByRole('row')
        .filter({ hasText: 'champion' })
        .getByRole('cell')
        .allTextContents();
      expect(champion.slice(1)).toEqual(['800', '10.00%', '¥1,234.56', '60.00%', '2.50', '0.0123']);
      const figures = page.getByRole('table', { name: s.results.difference });
      const recovery = await figures
        .getByRole('row')
        .filter({ hasText: s.metrics.recovery_rate })
        .getByRole('cell')
        .allTextContents();
      expect(recovery).toEqual([
        s.metrics.recovery_rate,
        '10.00%',
        '12.10%',
        '+2.10%',
        '[+0.80%, +3.40%]',
        '[+0.50%, +3.70%]',
        '0.0120',
        s.verdicts.challenger_better,
      ]);
      await page.getByRole('img', { name: s.results.intervalChart }).locator('canvas').waitFor();
      await page
        .getByRole('img', { name: s.results.seriesChart.replace('{{metric}}', s.metrics.recovery_rate) })
        .locator('canvas')
        .waitFor();
      await page.screenshot({
        path: path.join(screenshotDir, 'strategies-results-better-zh-CN.png'),
        fullPage: true,
      });
    } finally {
      await session.context.close();
    }
  });

  it('speaks English: the version in force and its editor in the user’s language', async () => {
    const session = await openSession(browser, 'en');
    try {
      const page = session.page;
      await logIn(page, world.baseUrl, en, 'admin1');
      await page.getByRole('menuitem', { name: en.menu.strategies }).click();
      await page.getByRole('heading', { name: en.strategies.title }).waitFor();
      await expect
        .poll(() => page.getByTestId('version-title').textContent())
        .toBe('Version 2: Test strategy');
      expect(await page.getByTestId('conditions-late').textContent()).toBe('Days past due > 400');
      expect(await page.getByTestId('conditions-m2_m3').textContent()).toBe('Bucket is one of M2, M3');
      expect(await page.getByTestId('arm-m2_m3-champion').textContent()).toContain(
        'Day 1 after a broken promise · Task: Call',
      );
      await page.getByRole('button', { name: en.strategies.view.editCopy }).click();
      await page.getByText(en.strategies.editor.basedOn.replace('{{version}}', '2')).waitFor();
      await page.screenshot({ path: path.join(screenshotDir, 'strategies-editor-en.png'), fullPage: true });

      // the JSON view and the form are one document: an edit in either shows in the other
      const e = en.strategies.editor;
      await page.getByText(e.json, { exact: true }).click();
      const json = page.getByLabel(e.json);
      await json.waitFor();
      await page.getByLabel(e.name).fill('Strategy 2027');
      expect(await json.inputValue()).toContain('"name": "Strategy 2027"');
      const late = page.getByTestId('edit-segment-2').getByLabel(e.value, { exact: true });
      expect(await late.inputValue()).toBe('400');
      await json.fill((await json.inputValue()).replace('"value": 400', '"value": 500'));
      await expect.poll(() => late.inputValue()).toBe('500');
      await json.fill('{ "name": ');
      await page.getByText(e.jsonInvalid.split(':')[0] as string).waitFor();
      expect(await page.getByRole('button', { name: e.propose }).isDisabled()).toBe(true);
      // the form keeps the last valid document
      expect(await late.inputValue()).toBe('500');
    } finally {
      await session.context.close();
    }
  });
});
