/**
 * The risk model in a real headless Chromium: an account's Score tab (the champion's score, its
 * reasons in plain words in zh-CN and en, the history chart), the model registry's validation report
 * with its charts, scorecard and monitoring, and the header's bell telling the supervisor about a new
 * watch-list entry, opened and marked read.
 */

import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { notifyWatchEntries } from '../../src/notifications/service.ts';
import { approveModel, promoteModel, proposeModel } from '../../src/risk/platform/registry.ts';
import { scorePartition } from '../../src/risk/platform/scoring.ts';
import { testModel } from '../../src/risk/platform/test-model.ts';
import { addDays, todayIn } from '../../src/shared/dates.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import { launchChromium, logIn, openSession, startWorld, type World } from './harness.ts';

vi.setConfig({ testTimeout: 180_000 });

let world: World;
let browser: Browser;
let modelId: bigint;
let accountId: bigint;
let clientId: bigint;
const maxId = 9_223_372_036_854_775_807n;
const today = () => todayIn();

beforeAll(async () => {
  browser = await launchChromium();
  world = await startWorld();
  const db = world.t.db;
  // days past due above 90 and nothing paid: both of the test scorecard's reasons
  accountId = BigInt(world.seed.accounts.A002 as string);
  clientId = (
    await db.selectFrom('accounts').select('client_id').where('id', '=', accountId).executeTakeFirstOrThrow()
  ).client_id;
  const model = testModel({ validationAuc: 0.78 });
  model.validation.curves.roc = [
    { threshold: 1, fpr: 0, tpr: 0 },
    { threshold: 0.5, fpr: 0.2, tpr: 0.7 },
    { threshold: 0, fpr: 1, tpr: 1 },
  ];
  const proposed = await proposeModel(
    db,
    { model, name: 'night', outcomeDays: 30, paidShare: 0.5, note: 'browser' },
    'admin1',
  );
  await approveModel(db, proposed.id, 'comp1');
  await promoteModel(db, proposed.id, 'champion', 'super1');
  modelId = proposed.id;
  // placed today: scored as of a week and of two weeks from now
  for (const asOf of [addDays(today(), 7), addDays(today(), 14)]) {
    await db
      .transaction()
      .execute((trx) => scorePartition(trx, { asOf, clientId, fromAccountId: 0n, toAccountId: maxId }));
  }
  await sql`INSERT INTO risk_monitoring (model_id, month, accounts, events, auc, ks, psi, validation_auc)
            VALUES (${modelId}, '2026-02-01', 5, 2, 0.74, 0.35, 0.31, 0.78)`.execute(db);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

/** The reason texts of the account's current champion score, by language, from the model's bins. */
async function reasonTexts(language: 'en' | 'zh-CN'): Promise<string[]> {
  const row = await sql<{ reasons: string[] }>`
    SELECT reasons FROM risk_account_scores WHERE account_id = ${accountId}`.execute(world.t.db);
  const bins = testModel().features.flatMap((feature) => feature.bins);
  return (row.rows[0]?.reasons ?? []).map(
    (code) => bins.find((bin) => bin.code === code)?.text[language] ?? code,
  );
}

describe('the account’s Score tab', () => {
  for (const [language, text] of [
    ['zh-CN', zhCN],
    ['en', en],
  ] as const) {
    it(`shows the champion's score with its reasons in plain words (${language})`, async () => {
      const stored = await sql<{ score: number }>`
        SELECT score FROM risk_account_scores WHERE account_id = ${accountId}`.execute(world.t.db);
      const reasons = await reasonTexts(language);
      expect(reasons.length).toBeGreaterThan(0);
      const session = await openSession(browser, language);
      try {
        await logIn(session.page, world.baseUrl, text, 'super1');
        await session.page.goto(`${world.baseUrl}/accounts/${accountId}`);
        await session.page.getByRole('tab', { name: text.risk.score.tab }).click();
        await expect
          .poll(() => session.page.getByTestId('score-champion').textContent())
          .toBe(String(stored.rows[0]?.score));
        const list = session.page.getByRole('region', {
          name: `${text.risk.score.reasons} (${text.risk.score.champion})`,
        });
        for (const reason of reasons) await list.getByText(reason, { exact: true }).waitFor();
        await session.page
          .getByRole('img', { name: text.risk.score.historyLabel })
          .locator('canvas')
          .waitFor();
        await session.page.getByText('night v1').first().waitFor();
      } finally {
        await session.context.close();
      }
    });
  }
});

describe('the model report', () => {
  it('opens a model’s validation report with its charts, scorecard and monitoring', async () => {
    const text = en;
    const session = await openSession(browser, 'en');
    try {
      await logIn(session.page, world.baseUrl, text, 'comp1');
      await session.page.goto(`${world.baseUrl}/risk`);
      await session.page.getByRole('tab', { name: text.risk.models.tab }).click();
      await session.page.getByRole('row').filter({ hasText: 'night v1' }).click();
      const report = session.page.getByRole('region', { name: 'Validation report: night v1' });
      await report.waitFor();
      await expect.poll(() => report.getByTestId('report-validation').textContent()).toContain('AUC 0.780');
      for (const label of [
        text.risk.report.rocLabel,
        text.risk.report.calibrationLabel,
        text.risk.report.monitoringLabel,
      ]) {
        await report.getByRole('img', { name: label }).locator('canvas').waitFor();
      }
      await report.getByText('days_past_due', { exact: true }).waitFor();
      const bin = report.getByRole('row').filter({ hasText: 'days_past_due:2' });
      // WoE 1.000, points −20.0
      await expect.poll(() => bin.textContent()).toContain('1.000');
      await expect.poll(() => bin.textContent()).toContain('-20.0');
      await report.getByRole('row').filter({ hasText: '2026-02' }).filter({ hasText: '0.310' }).waitFor();
    } finally {
      await session.context.close();
    }
  });
});

describe('the notification bell', () => {
  it('shows the supervisor a new watch-list entry; opening it goes to the account and marks it read', async () => {
    await sql`
      INSERT INTO risk_watch (client_id, account_id, rule, detail, first_seen, last_seen)
      VALUES (${clientId}, ${accountId}, 'score_drop', 'score fell 60 points in a week', ${today()}, ${today()})`.execute(
      world.t.db,
    );
    const made = await world.t.db
      .transaction()
      .execute((trx) =>
        notifyWatchEntries(trx, { asOf: today(), clientId, fromAccountId: 0n, toAccountId: maxId }),
      );
    expect(made).toBe(1);
    const text = zhCN;
    const session = await openSession(browser, 'zh-CN');
    try {
      await logIn(session.page, world.baseUrl, text, 'super1');
      const bell = session.page.getByTestId('notification-bell');
      await expect
        .poll(() => bell.getAttribute('aria-label'))
        .toBe(`${text.notifications.bell} (${text.notifications.unread.replace('{{count}}', '1')})`);
      await bell.click();
      const item = session.page.getByText('score fell 60 points in a week');
      await item.waitFor();
      await item.click();
      await session.page.waitForURL(new RegExp(`/accounts/${accountId}$`));
      await expect
        .poll(async () => {
          const row = await sql<{ read: boolean }>`
            SELECT read_at IS NOT NULL AS read FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE u.username = 'super1'`.execute(world.t.db);
          return row.rows.map((r) => r.read);
        })
        .toEqual([true]);
      await expect
        .poll(() => bell.getAttribute('aria-label'))
        .toBe(`${text.notifications.bell} (${text.notifications.unread.replace('{{count}}', '0')})`);
    } finally {
      await session.context.close();
    }
  });
});
