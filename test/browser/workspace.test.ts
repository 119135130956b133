/**
 * The agent workspace (/workspace) in a real headless Chromium (zh-CN): an agent opens it on the
 * first account of their queue, presses A, picks "promise to pay" with its digit, fills the promise
 * form and sees the promise on the account; N brings the next account; an account whose phone the
 * debtor opted out of shows the refusal in plain words and a disabled call button; a plan whose
 * instalments do not sum to the total is refused in the browser with a clear message. The promise
 * form says the limits the server applies (here 45 days, not the default 30).
 */
import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reassign } from '../../src/allocation/service.ts';
import { addHold, recordConsent } from '../../src/compliance/holds.ts';
import { decideTemplate, proposeTemplate } from '../../src/templates/service.ts';
import { addCourse } from '../../src/training/service.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import { launchChromium, logIn, openSession, startWorld, untilSettled, type World } from './harness.ts';

vi.setConfig({ testTimeout: 180_000 });

let world: World;
let browser: Browser;
const text = zhCN;
/** Each ZSB account's balance is above 10 times these, so each promise is within an agent's limits. */
const promised: Record<string, string> = { A001: '2000.00', A003: '100.00', A004: '100.00' };

beforeAll(async () => {
  // the scripts name the agency (as every rendered template does; the letters' settings go with it)
  process.env.HUIKUAN_AGENCY_NAME = '回款催收服务有限公司';
  process.env.HUIKUAN_AGENCY_ADDRESS = '上海市浦东新区';
  // a limit other than the default, which the promise form must say (GET /worklist/limits)
  process.env.HUIKUAN_PROMISE_MAX_DAYS = '45';
  browser = await launchChromium();
  world = await startWorld();
  const db = world.t.db;
  const ids = ['A001', 'A003', 'A004'].map((ref) => BigInt(world.seed.accounts[ref] ?? '0'));
  await reassign(db, { accountIds: ids, toAgent: 'agent1', reason: '工作台测试' }, 'super1');
  const since = new Date('2026-01-05T02:00:00Z');
  const accounts = await db
    .selectFrom('accounts')
    .select(['id', 'debtor_id', 'client_account_ref'])
    .execute();
  for (const account of accounts) {
    // reachable at any hour of the test run
    await recordConsent(
      db,
      { debtorId: account.debtor_id, kind: 'quiet_hours', source: 'phone', givenAt: since },
      'setup',
    );
  }
  const script = await proposeTemplate(
    db,
    {
      code: 'default',
      channel: 'script',
      language: 'zh-CN',
      subject: null,
      body: '您好，请问是{{debtor_name}}本人吗？我是{{agency_name}}的坐席，关于您账户{{account_ref}}的欠款{{balance}}。',
      reason: '默认话术',
    },
    'super1',
  );
  await decideTemplate(db, script.id, 'approve', 'ok', 'comp1');
  // 李四 (A002) asked not to be called
  const lisi = accounts.find((account) => account.client_account_ref === 'A002');
  const phone = await db
    .selectFrom('contact_points')
    .select('id')
    .where('debtor_id', '=', lisi?.debtor_id ?? 0n)
    .where('kind', '=', 'phone')
    .executeTakeFirstOrThrow();
  await addHold(
    db,
    {
      debtorId: lisi?.debtor_id ?? 0n,
      kind: 'opt_out_call',
      source: 'phone',
      contactPointId: phone.id,
      startsAt: since,
    },
    'setup',
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

describe('the agent workspace', () => {
  it('logs a promise by keys, moves on with N, shows a refused call and refuses a plan that does not sum', async () => {
    const { context, page } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, text, 'agent1');
      await page.goto(`${world.baseUrl}/workspace`);
      await page.getByRole('heading', { name: text.workspace.title }).waitFor();
      // the first account of the queue loads and is highlighted
      await page.waitForURL(/\/workspace\/\d+$/);
      const firstId = page.url().split('/').at(-1) ?? '';
      const highlighted = (id: string) => page.locator(`[aria-current="true"][data-account="${id}"]`);
      await highlighted(firstId).waitFor();
      await expect(page.locator('[aria-current="true"]').count()).resolves.toBe(1);
      const heading = page.getByTestId('workspace-account');
      await heading.waitFor();
      const firstRef = Object.entries(world.seed.accounts).find(([, id]) => id === firstId)?.[0] ?? '';
      expect(Object.keys(promised)).toContain(firstRef);
      await page.getByText(text.workspace.noArrangements).waitFor();
      // the default script (no segment yet), filled for this account, with what the agent must say
      const scriptCard = page.getByTestId('workspace-script');
      await scriptCard.getByText(text.workspace.script.fallback).waitFor();
      await scriptCard
        .getByText(`我是回款催收服务有限公司的坐席，关于您账户${firstRef}的欠款¥`, { exact: false })
        .waitFor();
      await scriptCard.getByText('本信息由回款催收服务有限公司受招商银行信用卡中心委托发送。').waitFor();

      // A: the attempt form; 1 picks "promise to pay"; saving opens the promise form
      await page.keyboard.press('a');
      const attempt = page.getByRole('dialog', { name: text.workspace.attempt.title });
      await attempt.waitFor();
      await untilSettled(page.locator('.ant-modal').first());
      await page.keyboard.press('1');
      await attempt.getByText(`1 · ${text.workspace.dispositions.promise_to_pay}`).waitFor();
      await attempt.getByText(text.workspace.attempt.follow.promise).waitFor();
      await attempt.getByLabel(text.workspace.attempt.notes).fill('本人接听，同意下周还款');
      await attempt.getByRole('button', { name: text.workspace.save }).click();
      const promise = page.getByRole('dialog', { name: text.workspace.promise.title });
      await promise.waitFor();
      await untilSettled(page.locator('.ant-modal').last());
      // the server's limit, not the form's default of 30 days
      await promise.getByText(/，45 天内到期。/).waitFor();
      await promise.getByLabel(text.workspace.promise.amount).fill(promised[firstRef] ?? '');
      await promise.getByRole('button', { name: text.workspace.save }).click();
      await promise.waitFor({ state: 'detached' });
      // the promise is on the account, with the attempt in the last contacts
      const arrangements = page.getByTestId('workspace-arrangements');
      await arrangements
        .getByText(text.workspace.openPromise.split('（')[0] ?? '', { exact: false })
        .waitFor();
      await expect(arrangements.textContent()).resolves.toContain(
        `¥${Number(promised[firstRef]).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
      );
      await page.getByText('本人接听，同意下周还款').waitFor();
      const stored = (
        await sql<{ status: string; attempt_id: string | null }>`
          SELECT status, attempt_id FROM promises WHERE account_id = ${BigInt(firstId)}`.execute(world.t.db)
      ).rows[0];
      expect(stored?.status).toBe('open');
      expect(stored?.attempt_id).not.toBeNull();

      // N: the next account of the queue
      await page.keyboard.press('n');
      await page.waitForURL(
        (url) => /\/workspace\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${firstId}`),
      );
      const secondId = page.url().split('/').at(-1) ?? '';
      expect(['A001', 'A003', 'A004'].map((ref) => world.seed.accounts[ref])).toContain(secondId);
      await highlighted(secondId).waitFor();

      // the refused contact: 李四's phone is opted out of calls
      await page.goto(`${world.baseUrl}/workspace/${world.seed.accounts.A002}`);
      const gate = page.getByTestId('workspace-gate');
      await gate.getByText(`${text.gate.refused}${text.gate.reason.hold_opt_out_call}`).waitFor();
      const call = page.getByRole('button', { name: `C ${text.workspace.action.call}` });
      await expect(call.isDisabled()).resolves.toBe(true);
      await page.keyboard.press('c');
      await expect(page.getByRole('dialog').count()).resolves.toBe(0);

      // L: a plan whose instalments do not add up is refused before it is sent
      await page.keyboard.press('l');
      const plan = page.getByRole('dialog', { name: text.workspace.plan.title });
      await plan.waitFor();
      await untilSettled(page.locator('.ant-modal').first());
      await plan.getByLabel(text.workspace.plan.total).fill('3000.00');
      await plan.getByRole('button', { name: text.workspace.plan.split }).click();
      await expect(plan.getByLabel(`${text.workspace.plan.amount} 1`).inputValue()).resolves.toBe('1000.00');
      await plan.getByLabel(`${text.workspace.plan.amount} 2`).fill('900.00');
      await plan.getByText('各期合计 ¥2,900.00，总额 ¥3,000.00。').waitFor();
      let posted = 0;
      page.on('request', (request) => {
        if (request.method() === 'POST' && request.url().endsWith('/plans')) posted += 1;
      });
      await plan.getByRole('button', { name: text.workspace.save }).click();
      await plan
        .getByText(
          '各期合计 ¥2,900.00，与总额 ¥3,000.00 不符：不足 ¥100.00。请修改金额使其合计恰好等于总额。',
        )
        .waitFor();
      expect(posted).toBe(0);
      // corrected, it is sent and recorded
      await plan.getByLabel(`${text.workspace.plan.amount} 2`).fill('1000.00');
      await plan.getByRole('button', { name: text.workspace.save }).click();
      await plan.waitFor({ state: 'detached' });
      expect(posted).toBe(1);
      await page.getByTestId('workspace-arrangements').getByText('3 期', { exact: false }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("closes the contact actions, saying why, while the agent's training is not current", async () => {
    await addCourse(
      world.t.db,
      { code: 'conduct-2026', title: '催收行为规范', validityMonths: 12, required: true },
      'comp1',
    );
    const { context, page } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, text, 'agent1');
      await page.goto(`${world.baseUrl}/workspace/${world.seed.accounts.A001}`);
      await page.getByText(text.workspace.untrained.replace('{{courses}}', '催收行为规范')).waitFor();
      const keyOf = {
        call: 'C',
        attempt: 'A',
        promise: 'P',
        plan: 'L',
        callback: 'B',
        hardship: 'H',
        visit: 'V',
        message: 'M',
      };
      for (const [action, key] of Object.entries(keyOf) as [keyof typeof keyOf, string][]) {
        await expect(
          page.getByRole('button', { name: `${key} ${text.workspace.action[action]}` }).isDisabled(),
        ).resolves.toBe(true);
      }
      // a settlement goes through the proposals' approval, not the contact rules
      await expect(
        page.getByRole('button', { name: `S ${text.workspace.action.settle}` }).isDisabled(),
      ).resolves.toBe(false);
      await page.keyboard.press('a');
      await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  it('has every workspace string in both languages', () => {
    const keys = (value: object, prefix = ''): string[] =>
      Object.entries(value).flatMap(([key, inner]) =>
        typeof inner === 'object' && inner !== null ? keys(inner, `${prefix}${key}.`) : [`${prefix}${key}`],
      );
    expect(keys(en.workspace).sort()).toEqual(keys(zhCN.workspace).sort());
  });
});
