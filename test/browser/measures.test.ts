/**
 * The measures page (效果评估) in a real headless Chromium: a supervisor's key figures from the books
 * (placed, collected, recovery rate), the charts drawn, the table by client and by batch kept in the
 * address across a reload, in zh-CN and en; a client's user sees its own portfolio without the client
 * filter and the agency's own cuts.
 */

import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postPayments } from '../../src/ledger/payments.ts';
import { todayIn } from '../../src/shared/dates.ts';
import en from '../../web/src/locales/en.ts';
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

vi.setConfig({ testTimeout: 180_000 });

/** How long a figure may take to show: a loaded CI machine answers the measures in seconds, not one. */
const settle = { timeout: 20_000 };

let world: World;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
  const db = world.t.db;
  const zsb = await db.selectFrom('clients').select('id').where('code', '=', 'ZSB').executeTakeFirstOrThrow();
  const today = todayIn();
  // placed today (the harness approves its batches now): 1,000.00 into trust on A001, 500.00 direct on A002
  const results = await postPayments(
    db,
    [
      {
        clientId: zsb.id,
        accountId: BigInt(world.seed.accounts.A001 as string),
        externalId: 'M-1',
        amountMinor: 100_000n,
        currency: 'CNY',
        paidOn: today,
        paidAt: null,
        channel: 'bank_transfer',
        direct: false,
      },
      {
        clientId: zsb.id,
        accountId: BigInt(world.seed.accounts.A002 as string),
        externalId: 'M-2',
        amountMinor: 50_000n,
        currency: 'CNY',
        paidOn: today,
        paidAt: null,
        channel: 'bank_transfer',
        direct: true,
      },
    ],
    'finance1',
  );
  expect(results.map((result) => result.status)).toEqual(['posted', 'posted']);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

describe('the measures page', () => {
  for (const [language, text] of [
    ['zh-CN', zhCN],
    ['en', en],
  ] as const) {
    it(`shows a supervisor the agency's figures, the charts and the table by dimension (${language})`, async () => {
      const { context, page } = await openSession(browser, language);
      try {
        await logIn(page, world.baseUrl, text, 'super1');
        await page.getByRole('menuitem', { name: text.menu.measures }).click();
        await page.getByRole('heading', { name: text.measures.title }).waitFor();
        // a supervisor sees every client: ZSB's four accounts (10,570.00 + 3,000.00 + 812.34 + 450.00)
        // and PAB's one (5,000.00)
        await expect.poll(() => page.getByTestId('kpi-placed').textContent(), settle).toContain('19,832.34');
        await expect
          .poll(() => page.getByTestId('kpi-collected').textContent(), settle)
          .toContain('1,500.00');
        // 150,000 ÷ 1,983,234 = 0.075633… of the placed balance; two accounts of five paid
        await expect
          .poll(() => page.getByTestId('kpi-recovery_rate').textContent(), settle)
          .toContain('7.56%');
        await expect
          .poll(() => page.getByTestId('kpi-account_recovery_rate').textContent(), settle)
          .toContain('40.00%');

        // this month's vintage is drawn (an ECharts canvas); last month, the heat map's default, had no
        // account live yet, which the card says instead of an empty grid
        const curve = page
          .locator('.ant-card')
          .filter({ has: page.getByText(text.measures.curve.title, { exact: true }) });
        await expect.poll(() => curve.locator('canvas').count(), { timeout: 20_000 }).toBeGreaterThan(0);
        await page.getByText(text.measures.roll.empty).waitFor();

        const table = page
          .getByRole('table', { name: text.measures.by.title })
          .or(page.locator('.ant-table'));
        await expect.poll(() => table.first().textContent(), settle).toContain('招商银行信用卡中心');
        expect(await table.first().textContent()).toContain('平安普惠');

        // by batch: the choice is kept in the address and survives a reload
        await chooseOption(
          page,
          page.getByRole('combobox', { name: text.measures.by.dimension }),
          text.measures.dimensions.batch,
        );
        await expect.poll(() => page.url(), settle).toContain('dimension=batch');
        await page.reload();
        await expect
          .poll(() => page.locator('.ant-table').first().textContent(), settle)
          .toContain('ZSB-2026-01');
        await page.screenshot({
          path: path.join(screenshotDir, `measures-supervisor-${language}.png`),
          fullPage: true,
        });
      } finally {
        await context.close();
      }
    });
  }

  it("shows a client's user its own portfolio, without the client filter or the agency's cuts", async () => {
    const { context, page } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, zhCN, 'zsb_client');
      await page.goto(`${world.baseUrl}/measures`);
      await page.getByRole('heading', { name: zhCN.measures.title }).waitFor();
      await expect.poll(() => page.getByTestId('kpi-placed').textContent(), settle).toContain('14,832.34');
      // the table opens by batch, its own batches only
      await expect
        .poll(() => page.locator('.ant-table').first().textContent(), settle)
        .toContain('ZSB-2026-01');
      expect(await page.locator('.ant-table').first().textContent()).not.toContain('PAB-2026-03');
      await expect(page.getByLabel(zhCN.common.client, { exact: true }).count()).resolves.toBe(0);
      await expect(page.getByLabel(zhCN.measures.filters.team, { exact: true }).count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});
