/**
 * The compliance console's rule profiles in a real headless Chromium: compliance (comp1) proposes
 * ending CN contact at 21:00 instead of 22:00, cannot approve it themself (the buttons are disabled,
 * the server would refuse), an admin (admin1) approves it and the tab shows version 2; then the
 * holds tab lists a dispute and compliance lifts it.
 */
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHold } from '../../src/compliance/holds.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import { launchChromium, logIn, openSession, startWorld, untilSettled, type World } from './harness.ts';

vi.setConfig({ testTimeout: 180_000 });

let world: World;
let browser: Browser;
const text = zhCN;
const p = text.console.profiles;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function openTab(page: Page, tab: string): Promise<void> {
  await page.goto(`${world.baseUrl}/compliance`);
  await page.getByRole('heading', { name: text.console.title }).waitFor();
  await page.getByRole('tab', { name: tab }).click();
}

describe('rule profiles in the compliance console', () => {
  it('compliance proposes CN contact until 21:00, cannot approve it, an admin approves: version 2', async () => {
    const version = (n: number) => p.version.replace('{{version}}', String(n));
    const maker = await openSession(browser, 'zh-CN');
    try {
      await logIn(maker.page, world.baseUrl, text, 'comp1');
      await openTab(maker.page, p.tab);
      const cnVersion = maker.page.getByTestId('profile-version-CN');
      await expect.poll(() => cnVersion.textContent()).toBe(version(1));
      // CN in force: last contact 21:59:59, i.e. none from 22:00
      await maker.page.getByText('08:00:00 至 21:59:59').first().waitFor();

      const form = maker.page.getByRole('form', { name: p.propose });
      await form.getByLabel(p.rules.contactHours_latest).fill('21:00');
      await form.getByLabel(text.common.reason).fill('监管新规：21:00 后不得联系');
      await form.getByRole('button', { name: p.propose }).click();
      await maker.page.getByText(p.proposed).first().waitFor();

      const pending = maker.page.getByRole('table', { name: p.pending });
      const row = pending.getByRole('row').filter({ hasText: '监管新规' });
      await row.waitFor();
      expect(await row.textContent()).toContain(`${p.rules.contactHours_latest}: 21:59:59 → 21:00:00`);
      // maker-checker: the proposer's buttons are disabled
      expect(await row.getByRole('button', { name: p.approve }).isDisabled()).toBe(true);
      expect(await row.getByRole('button', { name: p.reject }).isDisabled()).toBe(true);
      expect(await cnVersion.textContent()).toBe(version(1));
    } finally {
      await maker.context.close();
    }

    const checker = await openSession(browser, 'zh-CN');
    try {
      await logIn(checker.page, world.baseUrl, text, 'admin1');
      await openTab(checker.page, p.tab);
      const row = checker.page
        .getByRole('table', { name: p.pending })
        .getByRole('row')
        .filter({ hasText: '监管新规' });
      await row.getByRole('button', { name: p.approve }).click();
      const dialog = checker.page.locator('.ant-modal').filter({ hasText: '21:00:00' });
      await dialog.waitFor();
      await untilSettled(dialog);
      await dialog.getByRole('button', { name: p.approve }).click();
      const cnVersion = checker.page.getByTestId('profile-version-CN');
      await expect.poll(() => cnVersion.textContent(), { timeout: 15_000 }).toBe(version(2));
      await checker.page.getByText('08:00:00 至 21:00:00').first().waitFor();
      const history = checker.page.getByRole('table', { name: p.history });
      const decided = history.getByRole('row').filter({ hasText: '监管新规' });
      await decided.waitFor();
      expect(await decided.textContent()).toContain(p.statuses.approved);
      expect(await decided.textContent()).toContain('admin1');
      await checker.page.getByRole('table', { name: p.pending }).getByText(p.noPending).waitFor();
    } finally {
      await checker.context.close();
    }

    const stored = await sql<{ status: string; version: number; proposed_by: string; decided_by: string }>`
      SELECT status, version, proposed_by, decided_by FROM compliance_profile_changes`.execute(world.t.db);
    expect(stored.rows).toEqual([
      { status: 'approved', version: 2, proposed_by: 'comp1', decided_by: 'admin1' },
    ]);
  });

  it('the holds tab lists a dispute with a link to its account, and compliance lifts it', async () => {
    const accountId = world.seed.accounts.A002 as string;
    const { hold } = await addHold(
      world.t.db,
      { accountId: BigInt(accountId), kind: 'dispute', source: 'phone', note: '称已还清' },
      'agent1',
    );
    const session = await openSession(browser, 'zh-CN');
    try {
      await logIn(session.page, world.baseUrl, text, 'comp1');
      await openTab(session.page, text.console.holdList.tab);
      const table = session.page.getByRole('table', { name: text.console.holdList.tab });
      const row = table.getByRole('row').filter({ hasText: '称已还清' });
      await row.waitFor();
      expect(await row.textContent()).toContain(text.holds.kinds.dispute);
      expect(await row.getByRole('link', { name: 'A002' }).getAttribute('href')).toBe(
        `/accounts/${accountId}`,
      );
      await row.getByRole('button', { name: text.holds.lift }).click();
      const dialog = session.page.locator('.ant-modal').filter({ hasText: text.holds.kinds.dispute });
      await dialog.waitFor();
      await untilSettled(dialog);
      await dialog.getByLabel(text.common.reason).fill('核实已结清');
      await dialog.getByRole('button', { name: text.holds.lift }).click();
      await session.page.getByText(text.console.holdList.lifted).first().waitFor();
      // the list shows holds in force by default: the lifted one leaves it
      await row.waitFor({ state: 'detached' });
    } finally {
      await session.context.close();
    }
    const lifted = await world.t.db
      .selectFrom('compliance_holds')
      .select(['lifted_by', 'lift_reason'])
      .where('id', '=', hold.id)
      .executeTakeFirstOrThrow();
    expect(lifted).toEqual({ lifted_by: 'comp1', lift_reason: '核实已结清' });
  });
});
