/**
 * The compliance console in a real headless Chromium: compliance defines no course yet, records
 * nothing, sees the QA cases a failing note opened and confirms one; the retention tab with its
 * legal-hold form; both languages' tab names; an agent's work queue and its N key; the risk watch list.
 */

import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addNote } from '../../src/accounts/listing.ts';
import { allocateNew, setRule } from '../../src/allocation/service.ts';
import { gateContact } from '../../src/compliance/service.ts';
import { checkNote } from '../../src/qa/service.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import { launchChromium, logIn, openSession, startWorld, type World } from './harness.ts';

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

describe('the compliance console', () => {
  it('shows the QA case a failing note opened, and compliance confirms it', async () => {
    const accountId = BigInt(world.seed.accounts.A001 as string);
    const client = await world.t.db
      .selectFrom('accounts')
      .select('client_id')
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    const body = '再不还钱就通知你单位，让你坐牢';
    const note = await addNote(world.t.db, { accountId, clientId: client.client_id, body, author: 'agent1' });
    await checkNote(world.t.db, {
      id: note.id,
      clientId: client.client_id,
      accountId,
      author: 'agent1',
      body,
    });
    // 23:00 in Shanghai: the gate refuses an SMS for quiet hours
    await gateContact(world.t.db, {
      accountId,
      channel: 'sms',
      party: 'debtor',
      at: new Date('2026-03-02T15:00:00Z'),
      actor: 'agent1',
    });

    const session = await openSession(browser, 'zh-CN');
    try {
      const text = zhCN;
      await logIn(session.page, world.baseUrl, text, 'comp1');
      await session.page.goto(`${world.baseUrl}/compliance`);
      await session.page.getByRole('heading', { name: text.console.title }).waitFor();
      for (const tab of [
        text.console.verdicts.tab,
        text.console.qa.tab,
        text.console.training.tab,
        text.console.retention.tab,
      ]) {
        await session.page.getByRole('tab', { name: tab }).waitFor();
      }
      // the verdict log opens on refusals, their reasons in plain words
      await session.page.getByText(text.gate.reason.quiet_hours).waitFor();
      await session.page.getByRole('tab', { name: text.console.qa.tab }).click();
      const row = session.page.getByRole('row').filter({ hasText: body });
      await row.waitFor();
      expect(await row.textContent()).toContain(`${text.console.qa.category.false_consequence}: 坐牢`);
      await row.getByRole('button', { name: text.console.qa.confirm }).click();
      await session.page.getByText(text.console.qa.confirmed).first().waitFor();
      await row.waitFor({ state: 'detached' });

      await session.page.getByRole('tab', { name: text.console.retention.tab }).click();
      await session.page.getByText(text.console.retention.nothingDue).waitFor();
      await session.page.getByRole('button', { name: text.console.retention.place }).waitFor();
    } finally {
      await session.context.close();
    }
  });

  it('names its tabs in English too', async () => {
    const session = await openSession(browser, 'en');
    try {
      await logIn(session.page, world.baseUrl, en, 'comp1');
      await session.page.goto(`${world.baseUrl}/compliance`);
      await session.page.getByRole('heading', { name: en.console.title }).waitFor();
      await session.page.getByRole('tab', { name: en.console.training.tab }).click();
      await session.page.getByText(en.console.training.noCourses).waitFor();
    } finally {
      await session.context.close();
    }
  });
});

describe('the work queue', () => {
  it("lists an agent's allocated accounts and opens the next one with the N key", async () => {
    const team = await world.t.db.selectFrom('teams').select('id').executeTakeFirstOrThrow();
    await setRule(world.t.db, { teamId: team.id, method: 'balanced_count', capPerAgent: null }, 'super1');
    await allocateNew(world.t.db, 'super1');
    const session = await openSession(browser, 'zh-CN');
    try {
      const text = zhCN;
      await logIn(session.page, world.baseUrl, text, 'agent1');
      await session.page.goto(`${world.baseUrl}/queue`);
      await session.page.getByRole('heading', { name: text.queue.title }).waitFor();
      const rows = session.page.locator('.ant-table-tbody tr.ant-table-row');
      await rows.first().waitFor();
      expect(await rows.count()).toBeGreaterThan(0);
      await session.page.keyboard.press('n');
      await session.page.waitForURL(/\/accounts\/\d+$/);
    } finally {
      await session.context.close();
    }
  });
});

describe('the risk page', () => {
  it('lists the watch list, and a supervisor acknowledges an entry and records what was done', async () => {
    const accountId = BigInt(world.seed.accounts.A001 as string);
    await sql`
      INSERT INTO risk_watch (client_id, account_id, rule, detail, first_seen, last_seen)
      SELECT client_id, id, 'dispute', '争议未解决', current_date, current_date FROM accounts WHERE id = ${accountId}`.execute(
      world.t.db,
    );
    const session = await openSession(browser, 'zh-CN');
    try {
      const text = zhCN;
      await logIn(session.page, world.baseUrl, text, 'super1');
      await session.page.goto(`${world.baseUrl}/risk`);
      await session.page.getByRole('heading', { name: text.risk.title }).waitFor();
      const row = session.page.getByRole('row').filter({ hasText: '争议未解决' });
      await row.waitFor();
      await row.getByRole('button', { name: text.risk.watch.acknowledge }).click();
      await session.page.getByText(text.risk.watch.acknowledged).first().waitFor();
      await row.getByRole('textbox', { name: text.risk.watch.note }).fill('已联系客户核实争议');
      await row.getByRole('button', { name: text.risk.watch.action }).click();
      await row.waitFor({ state: 'detached' });
      const stored = await sql<{ status: string; action_note: string }>`
        SELECT status, action_note FROM risk_watch WHERE account_id = ${accountId}`.execute(world.t.db);
      expect(stored.rows).toEqual([{ status: 'actioned', action_note: '已联系客户核实争议' }]);
      await session.page.getByRole('tab', { name: text.risk.models.tab }).click();
      await session.page.getByText(text.risk.models.empty).waitFor();
    } finally {
      await session.context.close();
    }
  });
});
