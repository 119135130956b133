/**
 * The browser tests' world: the real server (buildServer) on a fresh test database, serving the web
 * build from web/dist, seeded with clients, a team, users of every role the tests log in as, and
 * placement batches; and Debian's Chromium driven by playwright-core (no browser download).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import type { ChannelConfig } from '../../src/channels/config.ts';
import { addClient } from '../../src/clients/service.ts';
import { createTeam, createUser } from '../../src/identity/service.ts';
import { approveBatch, importPlacements } from '../../src/placements/service.ts';
import { buildServer } from '../../src/server/app.ts';
import { type TestDatabase, testDatabase } from '../db.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webRoot = path.join(root, 'web/dist');
export const screenshotDir = path.join(root, 'tmp/browser-screens');
export const chromiumPath = process.env.HUIKUAN_CHROMIUM ?? '/usr/bin/chromium';
export const password = 'Correct-Horse-42';

/** Fails (never skips) when the browser or the web build is missing: CI must install and build them. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `No Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium), as .ci/run does.`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Seed {
  /** Account ids by client reference (ZSB's A001…, PAB's P001). */
  accounts: Record<string, string>;
  /** Pending ZSB batches by name, for the supervisor to approve. */
  pendingBatches: Record<string, string>;
  /** The password generated for `newbie`, who must change it at first login. */
  generatedPassword: string;
}

export interface World {
  t: TestDatabase;
  baseUrl: string;
  seed: Seed;
  close(): Promise<void>;
}

const header =
  'client_account_ref,debtor_name,debtor_id_number,phone_1,email,principal,interest,fees,penalty,delinquency_date,product_type';

function placementFile(dir: string, name: string, rows: string[]): string {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
  return file;
}

/**
 * `channels`: the server's channel settings (e.g. an SMS provider on loopback); default the
 * environment's, as `huikuan serve` reads them.
 */
export async function startWorld(options: { channels?: ChannelConfig } = {}): Promise<World> {
  if (!existsSync(path.join(webRoot, 'index.html'))) {
    throw new Error(
      `No web build in ${webRoot}: run npm install (its prepare script builds it) or npm run build:web.`,
    );
  }
  const t = await testDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-browser-'));
  const context = { actor: 'setup' };
  await addClient(t.db, { code: 'ZSB', name: '招商银行信用卡中心' }, 'setup');
  await addClient(t.db, { code: 'PAB', name: '平安普惠' }, 'setup');
  const team = await createTeam(t.db, { name: '催收一组', clientCodes: ['ZSB'] }, context);
  const users: Array<[string, string, string[], { team?: bigint; clientCodes?: string[] }]> = [
    ['admin1', '管理员', ['admin'], {}],
    ['agent1', '王催收', ['agent'], { team: BigInt(team.id) }],
    ['finance1', '李财务', ['finance'], {}],
    // the supervisor leads the agents' team (its team board shows them)
    ['super1', '赵主管', ['supervisor'], { team: BigInt(team.id) }],
    ['comp1', '孙合规', ['compliance'], {}],
    ['locky', '周锁定', ['agent'], { team: BigInt(team.id) }],
    ['zsb_client', '招行对接人', ['client'], { clientCodes: ['ZSB'] }],
  ];
  for (const [username, displayName, roles, extra] of users) {
    await createUser(t.db, { username, displayName, roles, password, ...extra }, context);
  }

  const newbie = await createUser(
    t.db,
    { username: 'newbie', displayName: '新同事', roles: ['agent'], team: BigInt(team.id) },
    context,
  );
  const generatedPassword = newbie.generatedPassword ?? '';

  const live = await importPlacements(t, {
    filePath: placementFile(dir, 'zsb-live', [
      'A001,张三,,13812345678,zhang@example.com,10000.00,500.00,50.00,20.00,2026-01-10,credit_card',
      'A002,李四,,13900001111,,3000.00,0,0,0,2025-06-01,personal_loan',
      // an ID number to reveal (masked everywhere else)
      'A003,王五,11010519491231002X,,,800.00,12.34,0,0,2026-02-01,credit_card',
      'A004,钱六,,,,450.00,0,0,0,2025-12-01,credit_card',
    ]),
    clientCode: 'ZSB',
    batchName: 'ZSB-2026-01',
    user: 'admin1',
  });
  await approveBatch(t.db, BigInt(String(live.batch_id)), 'finance1');
  const other = await importPlacements(t, {
    filePath: placementFile(dir, 'pab-live', [
      'P001,孙七,,13700002222,,5000.00,0,0,0,2026-03-01,personal_loan',
    ]),
    clientCode: 'PAB',
    batchName: 'PAB-2026-03',
    user: 'admin1',
  });
  await approveBatch(t.db, BigInt(String(other.batch_id)), 'finance1');
  const pendingBatches: Record<string, string> = {};
  for (const language of ['zh-CN', 'en']) {
    const name = `ZSB-pending-${language}`;
    const pending = await importPlacements(t, {
      filePath: placementFile(dir, name, [
        `N-${language}-1,周八,,13600003333,,1200.00,0,0,0,2026-04-01,credit_card`,
        `N-${language}-2,吴九,,,,900.00,0,0,0,2026-04-15,credit_card`,
        `N-${language}-3,郑十,,,,abc,0,0,0,2026-04-15,credit_card`,
      ]),
      clientCode: 'ZSB',
      batchName: name,
      user: 'admin1',
    });
    pendingBatches[name] = String(pending.batch_id);
  }

  const rows = await t.db.selectFrom('accounts').select(['id', 'client_account_ref']).execute();
  const accounts: Record<string, string> = {};
  for (const row of rows) accounts[row.client_account_ref] = String(row.id);

  const app = await buildServer({
    db: t.db,
    pool: t.pool,
    webRoot,
    requestsPerMinute: 100_000,
    loginsPerMinute: 1_000,
    ...(options.channels ? { channels: options.channels } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  mkdirSync(screenshotDir, { recursive: true });
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    seed: { accounts, pendingBatches, generatedPassword },
    close: async () => {
      await app.close();
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The strings of one language (zh-CN's keys; en has the same, the type check makes sure). */
export type Text = typeof import('../../web/src/locales/zh-CN.ts').default;

/**
 * A new browser context at laptop size in `language`, and its page. On a loaded CI machine a step can
 * fail for a reason the locator's timeout hides: the API's refusals and the page's errors are kept
 * and printed when the test fails.
 */
export async function openSession(
  browser: Browser,
  language: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: language,
    acceptDownloads: true,
  });
  // the language the user chose last time (the app remembers it in localStorage)
  await context.addInitScript(
    `if (!localStorage.getItem('huikuan.lang')) localStorage.setItem('huikuan.lang', ${JSON.stringify(language)});`,
  );
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/api/') && response.status() >= 400)
      problems.push(`${response.request().method()} ${response.url()} → ${response.status()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  onTestFailed(({ task }) => {
    console.error(`[browser] ${task.name} (${language}): ${problems.join('; ') || 'no API errors'}`);
  });
  return { context, page };
}

export async function logIn(page: Page, baseUrl: string, text: Text, username: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel(text.login.username).fill(username);
  await page.getByLabel(text.login.password).fill(password);
  await page.getByRole('button', { name: text.login.submit }).click();
  await page.getByRole('button', { name: text.header.logout }).waitFor();
}

/**
 * Waits until an antd modal or drawer has finished its opening animation: a click on a button inside
 * it while `ant-zoom-appear` / `-enter` classes are still on is sometimes lost (seen on a loaded CI
 * machine: the dialog then never closes).
 */
export async function untilSettled(locator: Locator, timeout_ms = 10_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    let classes: string;
    try {
      // bounded by this wait's own deadline: getAttribute otherwise waits the whole test timeout for an
      // element that never came (a dropdown whose opening click was lost: CI, 2026-11-29)
      classes = (await locator.getAttribute('class', { timeout: Math.max(1, deadline - Date.now()) })) ?? '';
    } catch {
      return; // not there: the caller's next step waits for what it needs, or tries again
    }
    if (!/-(appear|enter)\b|-(appear|enter)-active/.test(classes)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Picks an option of an antd Select. antd draws the options apart from the screen reader's list box, so
 * the option is found by its title; a click that lands while the dropdown is still sliding in (or while
 * its options re-render as their data arrives) is sometimes lost, so the pick is checked on the
 * Select's shown value and tried again, a few times at most.
 */
export async function chooseOption(page: Page, combobox: Locator, option: string): Promise<void> {
  const select = combobox.locator('xpath=ancestor::*[contains(concat(" ", @class, " "), " ant-select ")][1]');
  // antd 6 shows a single Select's value on .ant-select-content, a multiple one's on its items
  const chosen = select.locator(
    `.ant-select-content[title="${option}"], .ant-select-selection-item[title="${option}"]`,
  );
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    // a dropdown still closing (after Escape, or a pick) is visible but takes no clicks: open by the state
    if ((await combobox.getAttribute('aria-expanded')) !== 'true') await combobox.click();
    const dropdown = page.locator('.ant-select-dropdown:visible:not([class*="-leave"])');
    await untilSettled(dropdown.first(), 2_000);
    try {
      await dropdown.locator(`.ant-select-item-option[title="${option}"]`).first().click({ timeout: 5_000 });
      await chosen.first().waitFor({ timeout: 2_000 });
      return;
    } catch (error) {
      if (attempt === 4) throw error;
    }
  }
}
