/**
 * The account page's "Holds & consent" tab in a real headless Chromium (zh-CN): an agent records a
 * cease request heard on the phone (and is offered only the kinds an agent may record), compliance
 * lifts it with a reason and marks the debtor lost contact; and the tab's strings in both languages.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  chooseOption,
  launchChromium,
  logIn,
  openSession,
  startWorld,
  untilSettled,
  type World,
} from './harness.ts';

vi.setConfig({ testTimeout: 180_000 });

let world: World;
let browser: Browser;
const text = zhCN;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function holdsTab(username: string, ref: string) {
  const session = await openSession(browser, 'zh-CN');
  await logIn(session.page, world.baseUrl, text, username);
  await session.page.goto(`${world.baseUrl}/accounts/${world.seed.accounts[ref]}`);
  await session.page.getByRole('heading', { name: text.account.title.replace('{{ref}}', ref) }).waitFor();
  await session.page.getByRole('tab', { name: text.holds.tab }).click();
  return session;
}

async function choose(page: Page, label: string, option: string): Promise<void> {
  await chooseOption(page, page.getByRole('combobox', { name: label }), option);
}

describe('holds and consent on the account page', () => {
  it('an agent records a cease request; compliance lifts it and marks the debtor lost contact', async () => {
    const agent = await holdsTab('agent1', 'A001');
    try {
      await agent.page.getByText(text.holds.none).waitFor();
      await agent.page.getByRole('combobox', { name: text.holds.kind }).click();
      const offered = agent.page.locator('.ant-select-dropdown:visible .ant-select-item-option');
      // Poll: while the dropdown's opening animation runs its options can be briefly absent again.
      await expect
        .poll(async () => Promise.all((await offered.all()).map((option) => option.getAttribute('title'))), {
          timeout: 10_000,
        })
        .toEqual([
          text.holds.kinds.dispute,
          text.holds.kinds.cease,
          text.holds.kinds.opt_out_call,
          text.holds.kinds.opt_out_sms,
          text.holds.kinds.opt_out_email,
        ]);
      await agent.page.keyboard.press('Escape');
      await choose(agent.page, text.holds.kind, text.holds.kinds.cease);
      await choose(agent.page, text.holds.source, text.holds.sources.phone);
      await agent.page.getByRole('textbox', { name: text.holds.note }).fill('债务人电话要求停止催收');
      await agent.page.getByRole('button', { name: text.holds.add }).click();
      await agent.page.getByText(text.holds.added).waitFor();
      const row = agent.page.getByRole('row').filter({ hasText: text.holds.kinds.cease });
      await row.filter({ hasText: text.holds.statuses.active }).waitFor();
      await expect(agent.page.getByRole('button', { name: text.holds.lift }).count()).resolves.toBe(0);
    } finally {
      await agent.context.close();
    }

    const compliance = await holdsTab('comp1', 'A001');
    try {
      const row = compliance.page.getByRole('row').filter({ hasText: text.holds.kinds.cease });
      await row.getByRole('button', { name: text.holds.lift }).click();
      const dialog = compliance.page.getByRole('dialog');
      await dialog.getByRole('textbox', { name: text.common.reason }).fill('误录');
      await untilSettled(dialog);
      await dialog.getByRole('button', { name: text.holds.lift }).click();
      await row.filter({ hasText: text.holds.statuses.lifted }).waitFor();
      await row.filter({ hasText: '误录' }).waitFor();

      await compliance.page.getByRole('button', { name: text.holds.setLost }).click();
      const lost = compliance.page.getByRole('dialog');
      await lost.getByRole('textbox', { name: text.common.reason }).fill('三个号码均为空号');
      await lost.getByRole('button', { name: text.holds.setLost }).click();
      await compliance.page.getByRole('button', { name: text.holds.clearLost }).waitFor();
      await compliance.page
        .getByText(text.holds.lost.split('（')[0] as string)
        .first()
        .waitFor();
    } finally {
      await compliance.context.close();
    }
  });

  it('has every string of the tab in both languages', () => {
    const keys = (value: object, prefix = ''): string[] =>
      Object.entries(value).flatMap(([key, inner]) =>
        typeof inner === 'object' && inner !== null ? keys(inner, `${prefix}${key}.`) : [`${prefix}${key}`],
      );
    expect(keys(en.holds).sort()).toEqual(keys(zhCN.holds).sort());
    for (const kind of Object.values(zhCN.holds.kinds)) expect(kind.length).toBeGreaterThan(0);
  });
});
