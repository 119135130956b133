/**
 * The allocation page in a real headless Chromium (issue 5 points 4, 5, 7): a supervisor (super1)
 * opens 分案, sets 催收一组's rule to balanced by count with a cap of 2, sees the preview (all four
 * live ZSB accounts placed, agent1 0 → 2), runs it, then moves agent1's two accounts to locky with a
 * reason and sees the team's queues change, and the move in the account's 分案记录 tab; the database
 * agrees at each step.
 */
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  chooseOption,
  launchChromium,
  logIn,
  openSession,
  screenshotDir,
  startWorld,
  type World,
} from './harness.ts';

vi.setConfig({ testTimeout: 240_000 });

let world: World;
let browser: Browser;
const text = zhCN;
const s = text.allocation;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function choose(page: Page, label: string, option: string): Promise<void> {
  await chooseOption(page, page.getByRole('combobox', { name: label }), option);
}

/** The queues table's cell texts for an agent: [agent, accounts, balance, due]. */
async function queueRow(page: Page, agent: string): Promise<string[]> {
  const row = page.getByLabel(s.queues, { exact: true }).getByRole('row').filter({ hasText: agent });
  const cells = await row.first().getByRole('cell').allTextContents();
  return cells.slice(1);
}

const held = async () =>
  (
    await sql<{ agent: string; n: number }>`
      SELECT agent, count(*)::int AS n FROM account_assignments WHERE agent IS NOT NULL GROUP BY agent ORDER BY agent`.execute(
      world.t.db,
    )
  ).rows;

describe('the allocation page', () => {
  it('a supervisor sets a capped balanced rule, previews, runs, and reassigns two accounts with a reason', async () => {
    const { page, context } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, text, 'super1');
      await page.getByRole('menuitem', { name: text.menu.allocation }).click();
      await page.getByRole('heading', { name: s.title }).waitFor();
      await choose(page, s.team, '催收一组');

      await choose(page, s.method, s.methods.balanced_count);
      await page.getByLabel(s.cap).fill('2');
      // the threshold is typed in yuan and stored exactly in fen (no float on the way)
      await page.getByLabel(s.highBalance).fill('50,000.29');
      await page.getByRole('button', { name: s.saveRule }).click();
      await page.getByText(s.ruleSaved).waitFor();
      const rule = await sql<{ method: string; cap_per_agent: number; high_balance_minor: string }>`
        SELECT method, cap_per_agent, high_balance_minor::text FROM allocation_rules`.execute(world.t.db);
      expect(rule.rows).toEqual([
        { method: 'balanced_count', cap_per_agent: 2, high_balance_minor: '5000029' },
      ]);
      await expect.poll(() => page.getByLabel(s.highBalance).inputValue()).toBe('50000.29');

      await page.getByRole('button', { name: s.showPreview }).click();
      await expect
        .poll(() => page.getByTestId('preview-summary').textContent())
        .toBe('将分配 4 件，0 件待分。 ');
      const previewRow = page
        .getByLabel(s.preview, { exact: true })
        .getByRole('row')
        .filter({ hasText: 'agent1' });
      expect((await previewRow.getByRole('cell').allTextContents())[1]).toBe('0 → 2');
      await page.getByRole('img', { name: s.previewChart }).waitFor();
      await page.screenshot({
        path: path.join(screenshotDir, 'allocation-preview-zh-CN.png'),
        fullPage: true,
      });
      expect(await held()).toEqual([]);

      await page.getByRole('button', { name: s.runNow }).click();
      await page.getByText('已分配 4 件，0 件待分').waitFor();
      expect(await held()).toEqual([
        { agent: 'agent1', n: 2 },
        { agent: 'locky', n: 1 },
        { agent: 'newbie', n: 1 },
      ]);
      await expect.poll(async () => (await queueRow(page, 'agent1'))[1]).toBe('2');

      await page.getByLabel(`${s.rebalanceFrom} agent1`).check();
      const boxes = page.locator(`input[aria-label^="${s.select} "]`);
      await expect.poll(() => boxes.count()).toBe(2);
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      await choose(page, s.toAgent, 'locky');
      await page.getByLabel(s.reason, { exact: true }).fill('agent1 休假');
      await page.getByRole('button', { name: s.reassign, exact: true }).click();
      await page.getByText('已调案 2 件').waitFor();
      await expect.poll(async () => (await queueRow(page, 'locky'))[1]).toBe('3');
      expect((await queueRow(page, 'agent1'))[1]).toBe('0');
      expect(await held()).toEqual([
        { agent: 'locky', n: 3 },
        { agent: 'newbie', n: 1 },
      ]);
      const moves = await sql<{ reason: string; n: number }>`
        SELECT reason, count(*)::int AS n FROM assignment_history WHERE kind = 'reassigned' GROUP BY reason`.execute(
        world.t.db,
      );
      expect(moves.rows).toEqual([{ reason: 'agent1 休假', n: 2 }]);
      await page.screenshot({
        path: path.join(screenshotDir, 'allocation-queues-zh-CN.png'),
        fullPage: true,
      });

      // the move is in the account's history on its page (A001 went to agent1, then to locky)
      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.A001}`);
      await page.getByRole('tab', { name: s.history }).click();
      const history = page.getByLabel(s.history, { exact: true });
      await history.getByRole('cell', { name: 'agent1 休假' }).waitFor();
      const rows = await history.getByRole('row').allTextContents();
      expect(rows.slice(1).map((row) => row.replace(/^\d{4}年\d{1,2}月\d{1,2}日\s[\d:]+/, ''))).toEqual([
        `${s.kinds.reassigned}agent1lockyagent1 休假super1`,
        `${s.kinds.allocated}—agent1super1`,
      ]);
    } finally {
      await context.close();
    }
  });

  it('a supervisor sets what an agent covers (a language as a typed tag, a skill) and it is saved', async () => {
    const { page, context } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, text, 'super1');
      await page.goto(`${world.baseUrl}/allocation`);
      await choose(page, s.team, '催收一组');
      const languages = page.getByRole('combobox', { name: `${s.languages} newbie` });
      await languages.click();
      await languages.fill('yue');
      await languages.press('Enter');
      await page.keyboard.press('Escape');
      await choose(page, `${s.skills} newbie`, s.skillNames.hardship);
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: `${s.saveAgent} newbie` }).click();
      await page.getByText(s.agentSaved).waitFor();
      const saved = await sql<{ languages: string[]; skills: string[] }>`
        SELECT languages, skills FROM agent_attributes x JOIN users u ON u.id = x.user_id
         WHERE u.username = 'newbie'`.execute(world.t.db);
      expect(saved.rows).toEqual([{ languages: ['yue'], skills: ['hardship'] }]);
    } finally {
      await context.close();
    }
  });
});
