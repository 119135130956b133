/**
 * End to end in a real headless Chromium, in zh-CN and in en: each role logs in and does its main
 * task against the real server and database — the agent finds an account and registers a payment,
 * finance verifies it and sees the balance fall, the supervisor approves a placement batch, and the
 * client sees its own portfolio and not another client's.
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  launchChromium,
  logIn as logInAt,
  openSession,
  screenshotDir,
  startWorld,
  untilSettled,
  type World,
} from './harness.ts';

// a browser on a shared two-core machine: page loads can take many seconds
vi.setConfig({ testTimeout: 180_000 });

let world: World;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const languages = [
  { language: 'zh-CN', text: zhCN, payee: 'A001', before: '¥10,570.00', after: '¥10,470.00' },
  { language: 'en', text: en, payee: 'A002', before: '¥3,000.00', after: '¥2,900.00' },
] as const;

/** UTC today: never after the server's business day (Asia/Shanghai is ahead of UTC). */
function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function session(language: string): Promise<{ context: BrowserContext; page: Page }> {
  return openSession(browser, language);
}

async function logIn(page: Page, text: typeof zhCN, username: string): Promise<void> {
  await logInAt(page, world.baseUrl, text, username);
}

describe.each(languages)('in $language', ({ language, text, payee, before, after }) => {
  it('shows the login page translated and refuses a wrong password in the same language', async () => {
    const { context, page } = await session(language);
    try {
      await page.goto(`${world.baseUrl}/`);
      await page.getByRole('button', { name: text.login.submit }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe(language);
      await page.getByLabel(text.login.username).fill('agent1');
      await page.getByLabel(text.login.password).fill('not-the-password');
      await page.getByRole('button', { name: text.login.submit }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain(text.login.badCredentials);
    } finally {
      await context.close();
    }
  });

  it('lets the agent find an account and register a payment', async () => {
    const { context, page } = await session(language);
    try {
      await logIn(page, text, 'agent1');
      // the menu shows the agent's areas, translated, and not the admin's
      await page.getByRole('menuitem', { name: text.menu.accounts }).click();
      await expect(page.getByRole('menuitem', { name: text.menu.users }).count()).resolves.toBe(0);
      await page.getByRole('textbox', { name: text.accounts.search }).fill(payee);
      await page.getByRole('button', { name: text.common.search, exact: true }).click();
      await page.getByRole('link', { name: payee, exact: true }).click();
      await page.getByRole('heading', { name: text.account.title.replace('{{ref}}', payee) }).waitFor();
      await page.getByText(before).first().waitFor();

      await page.getByRole('button', { name: text.claims.register }).click();
      const form = page.getByRole('dialog', { name: text.claims.register });
      await form.getByLabel(text.common.amount).fill('100.00');
      const date = form.getByLabel(text.claims.paidOn);
      await date.click();
      await date.fill(today());
      await date.press('Enter');
      await form.getByLabel(text.claims.reference).fill(`BANK-${language}`);
      await form.getByRole('button', { name: text.common.next }).click();
      const confirm = page.getByRole('dialog', { name: text.claims.confirmTitle });
      await confirm.getByText('¥100.00').waitFor();
      await confirm.getByText(text.claims.financeVerifies).waitFor();
      await untilSettled(confirm);
      await confirm.getByRole('button', { name: text.common.confirm }).click();
      await page.getByText(text.claims.registered).waitFor();
    } finally {
      await context.close();
    }
  });

  it('lets finance verify the payment and see the balance fall', async () => {
    const { context, page } = await session(language);
    try {
      await logIn(page, text, 'finance1');
      await page.getByRole('menuitem', { name: text.menu.paymentClaims }).click();
      await page.getByRole('heading', { name: text.claims.titleFinance }).waitFor();
      const row = page.getByRole('row').filter({ hasText: `BANK-${language}` });
      await row.getByRole('button', { name: text.claims.verify }).click();
      const confirm = page.getByRole('dialog', { name: text.claims.verifyTitle });
      await confirm.getByText('¥100.00').waitFor();
      await untilSettled(confirm);
      await confirm.getByRole('button', { name: text.claims.verify }).click();
      // the state, not the toast: a toast can come and go while a loaded machine is busy elsewhere
      await confirm.waitFor({ state: 'hidden', timeout: 60_000 });
      await page.getByRole('tab', { name: text.status.verified }).click();
      await page
        .getByRole('row')
        .filter({ hasText: `BANK-${language}` })
        .waitFor();

      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts[payee]}`);
      await page.getByRole('heading', { name: text.account.title.replace('{{ref}}', payee) }).waitFor();
      await expect(page.getByTestId('account-total').textContent()).resolves.toBe(after);
      await page.getByRole('tab', { name: text.account.ledger }).click();
      await page.getByRole('cell', { name: text.ledgerKinds.payment }).first().waitFor();
      if (language === 'zh-CN')
        await page.screenshot({ path: path.join(screenshotDir, 'account-finance-zh-CN.png') });
      await page.getByRole('menuitem', { name: text.menu.home }).click();
      await page.getByText(text.balances.title).first().waitFor();
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(screenshotDir, `home-finance-${language}.png`) });
    } finally {
      await context.close();
    }
  });

  it('lets the supervisor approve a placement batch', async () => {
    const { context, page } = await session(language);
    try {
      await logIn(page, text, 'super1');
      await page.getByRole('menuitem', { name: text.menu.batches }).click();
      const name = `ZSB-pending-${language}`;
      await page.getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name: text.batches.detailTitle.replace('{{name}}', name) }).waitFor();
      // the bad row is listed and downloadable
      await page.getByRole('link', { name: text.batches.downloadErrors }).waitFor();
      await page.getByRole('button', { name: text.batches.approve, exact: true }).click();
      const confirm = page.getByRole('dialog', { name: text.batches.approveTitle });
      await confirm.getByText('¥2,100.00').waitFor();
      await untilSettled(confirm);
      await confirm.getByRole('button', { name: text.batches.approve }).click();
      await page.getByText(text.batches.approvedMessage).waitFor();
      await page.getByText(text.status.approved, { exact: true }).first().waitFor();
      if (language === 'en')
        await page.screenshot({ path: path.join(screenshotDir, 'batch-supervisor-en.png') });
    } finally {
      await context.close();
    }
  });

  it("shows the client its own portfolio and not another client's", async () => {
    const { context, page } = await session(language);
    try {
      await logIn(page, text, 'zsb_client');
      await page.getByText(text.home.clientIntro).waitFor();
      await page.getByRole('cell', { name: 'ZSB', exact: true }).first().waitFor();
      await expect(page.getByRole('cell', { name: 'PAB', exact: true }).count()).resolves.toBe(0);
      if (language === 'zh-CN') {
        await page.waitForTimeout(800);
        await page.screenshot({ path: path.join(screenshotDir, 'home-client-zh-CN.png'), fullPage: true });
      }
      await page.getByRole('menuitem', { name: text.menu.accounts }).click();
      await page.getByRole('link', { name: 'A003', exact: true }).waitFor();
      await expect(page.getByRole('link', { name: 'P001', exact: true }).count()).resolves.toBe(0);
      // another client's account, reached by its address, is not there
      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.P001}`);
      await page.getByRole('alert').filter({ hasText: text.errors.not_found }).waitFor();
      if (language === 'zh-CN')
        await page.screenshot({ path: path.join(screenshotDir, 'client-denied-zh-CN.png') });
    } finally {
      await context.close();
    }
  });
});

describe('the language switch', () => {
  it('switches from the default zh-CN to en in the header and remembers the choice', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    try {
      await logIn(page, zhCN, 'agent1');
      await page.getByRole('menuitem', { name: zhCN.menu.home }).waitFor();
      await page.getByRole('combobox', { name: zhCN.header.language }).click();
      // antd's Select draws its options apart from the screen reader's list box
      await page.locator('.ant-select-item-option[title="English"]').click();
      await page.getByRole('menuitem', { name: en.menu.home }).waitFor();
      await page.getByText(en.home.myResults).waitFor();
      await page.reload();
      await page.getByRole('menuitem', { name: en.menu.accounts }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
    } finally {
      await context.close();
    }
  });
});

describe('the other pages, in en', () => {
  const text = en;

  it('lets an agent propose a recall that a supervisor approves in the inbox', async () => {
    const agent = await session('en');
    try {
      await logIn(agent.page, text, 'agent1');
      await agent.page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.A004}`);
      await agent.page.getByRole('button', { name: text.proposals.new }).click();
      const form = agent.page.getByRole('dialog', { name: text.proposals.new });
      await form.getByRole('combobox', { name: text.proposals.kind }).click();
      await agent.page.locator(`.ant-select-item-option[title="${text.proposals.kinds.recall}"]`).click();
      await form.getByRole('textbox', { name: text.common.reason }).fill('Client asked for it back');
      await form.getByRole('button', { name: text.common.next }).click();
      const confirm = agent.page.getByRole('dialog', {
        name: text.proposals.confirmTitle.replace('{{kind}}', text.proposals.kinds.recall),
      });
      await confirm.getByText('¥450.00').waitFor();
      await confirm.getByText(text.proposals.approver.recall).waitFor();
      await untilSettled(confirm);
      await confirm.getByRole('button', { name: text.proposals.submit }).click();
      await agent.page.getByText(text.proposals.created).waitFor();
    } finally {
      await agent.context.close();
    }

    const { context, page } = await session('en');
    try {
      await logIn(page, text, 'super1');
      await page.getByRole('menuitem', { name: text.menu.approvals }).click();
      const row = page.getByRole('row').filter({ hasText: 'A004' });
      await row.getByText(text.proposals.kinds.recall).waitFor();
      await page.screenshot({ path: path.join(screenshotDir, 'approvals-supervisor-en.png') });
      await row.getByRole('button', { name: text.approvals.approve }).click();
      const confirm = page.getByRole('dialog', { name: text.approvals.approveTitle });
      await confirm.getByText('agent1').waitFor();
      await untilSettled(confirm);
      await confirm.getByRole('button', { name: text.approvals.approve }).click();
      await page.getByText(text.approvals.approved).waitFor();
      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.A004}`);
      await page.getByText(text.status.recalled, { exact: true }).first().waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows the admin and compliance pages with their data and no error', async () => {
    const { context, page } = await session('en');
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    try {
      await logIn(page, text, 'admin1');
      const visits: Array<[string, string]> = [
        ['/users', 'agent1'],
        ['/teams', '催收一组'],
        ['/clients', '招商银行信用卡中心'],
        ['/clients/ZSB', text.contracts.versions],
        ['/batches', 'ZSB-2026-01'],
        ['/accounts', 'P001'],
        ['/audit', 'session.login'],
      ];
      for (const [address, expected] of visits) {
        await page.goto(`${world.baseUrl}${address}`);
        await page.getByText(expected).first().waitFor();
        await expect(page.locator('.ant-alert-error').count()).resolves.toBe(0);
      }
      await page.screenshot({ path: path.join(screenshotDir, 'audit-admin-en.png') });
      await page.getByRole('button', { name: text.header.logout }).click();
      await logIn(page, text, 'comp1');
      await expect(page.getByRole('menuitem', { name: text.menu.audit }).count()).resolves.toBe(1);
      await expect(page.getByRole('menuitem', { name: text.menu.users }).count()).resolves.toBe(0);
      await page.getByRole('menuitem', { name: text.menu.audit }).click();
      await page.getByText('session.login').first().waitFor();
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('logging in, in zh-CN', () => {
  const text = zhCN;

  it('makes a user with a generated password change it before anything else', async () => {
    const { context, page } = await session('zh-CN');
    try {
      await page.goto(`${world.baseUrl}/`);
      await page.getByLabel(text.login.username).fill('newbie');
      await page.getByLabel(text.login.password).fill(world.seed.generatedPassword);
      await page.getByRole('button', { name: text.login.submit }).click();
      await page.getByText(text.login.changeTitle).waitFor();
      await page.getByLabel(text.login.currentPassword).fill(world.seed.generatedPassword);
      await page.getByLabel(text.login.newPassword, { exact: true }).fill('A-new-secret-2026');
      await page.getByLabel(text.login.confirmPassword).fill('A-new-secret-2026');
      await page.getByRole('button', { name: text.login.changeSubmit }).click();
      await page.getByRole('menuitem', { name: text.menu.home }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('says the account is locked after repeated wrong passwords', async () => {
    const { context, page } = await session('zh-CN');
    try {
      await page.goto(`${world.baseUrl}/`);
      await page.getByLabel(text.login.username).fill('locky');
      const alert = page.getByRole('alert').filter({ hasText: text.login.locked });
      for (let attempt = 1; attempt <= 6 && (await alert.count()) === 0; attempt++) {
        await page.getByLabel(text.login.password).fill(`wrong-${attempt}`);
        await page.getByRole('button', { name: text.login.submit }).click();
        await page.getByRole('alert').waitFor();
        await page.waitForTimeout(300);
      }
      await alert.waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('uploads, in zh-CN', () => {
  const text = zhCN;

  it('lets finance upload a placement file and see its validation result with the bad rows', async () => {
    const { context, page } = await session('zh-CN');
    try {
      await logIn(page, text, 'finance1');
      await page.getByRole('menuitem', { name: text.menu.batches }).click();
      await page.getByRole('button', { name: text.batches.upload }).click();
      const drawer = page.getByRole('dialog', { name: text.batches.upload });
      await drawer.getByRole('combobox', { name: text.common.client }).click();
      await page.locator('.ant-select-item-option[title="招商银行信用卡中心 (ZSB)"]').click();
      await drawer.getByLabel(text.batches.name).fill('ZSB-上传测试');
      await drawer.locator('input[type="file"]').setInputFiles({
        name: 'placements.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          [
            'client_account_ref,debtor_name,principal,interest,fees,penalty,delinquency_date',
            'U001,陈一,1000.00,0,0,0,2026-05-01',
            'U002,林二,-5,0,0,0,2026-05-01',
          ].join('\n'),
        ),
      });
      await drawer.getByRole('button', { name: text.batches.uploadSubmit }).click();
      await page
        .getByRole('heading', { name: text.batches.detailTitle.replace('{{name}}', 'ZSB-上传测试') })
        .waitFor();
      await page.getByText(text.batches.badRows.replace('{{count}}', '1')).waitFor();
      await page.getByRole('cell', { name: '3', exact: true }).waitFor();
      // the uploader may not approve its own batch
      await expect(
        page.getByRole('button', { name: text.batches.approve, exact: true }).isDisabled(),
      ).resolves.toBe(true);
      await page.screenshot({ path: path.join(screenshotDir, 'batch-upload-zh-CN.png') });
    } finally {
      await context.close();
    }
  });
});
