/**
 * The account page's "Channels" tab in a real headless Chromium (zh-CN): an agent sees the opted-out
 * e-mail address refused with the reason in plain words, and sends an SMS from an approved template
 * to the debtor's phone — previewed for this account with its disclosures — which reaches the SMS
 * provider (a Twilio-shaped server on loopback) and shows as sent; an SMS the gate refused earlier
 * shows on the timeline with its reason in plain words.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChannelConfig } from '../../src/channels/config.ts';
import { channelsFrom, sendMessage } from '../../src/channels/service.ts';
import { startProvider, testConfig } from '../../src/channels/test-support.ts';
import { addHold, recordConsent } from '../../src/compliance/holds.ts';
import { reasonCodes } from '../../src/compliance/model.ts';
import { decideTemplate, proposeTemplate } from '../../src/templates/service.ts';
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
let provider: Awaited<ReturnType<typeof startProvider>>;
let channels: ChannelConfig;
const text = zhCN;

beforeAll(async () => {
  let sids = 0;
  provider = await startProvider(() => ({
    status: 201,
    body: { sid: `SM${(++sids).toString(16).padStart(32, '0')}`, status: 'queued' },
  }));
  browser = await launchChromium();
  channels = testConfig({
    agency: { name: '回款催收服务有限公司', address: ['上海'], phone: '400-800-1234', email: null },
    smsProvider: 'twilio',
    twilio: {
      apiBase: provider.url,
      accountSid: `AC${'d4'.repeat(16)}`,
      authToken: 'browser-test',
      from: '+15005550006',
      messagingServiceSid: null,
    },
  });
  world = await startWorld({ channels });
  const db = world.t.db;
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'debtor_id'])
    .where('id', '=', BigInt(world.seed.accounts.A001 ?? '0'))
    .executeTakeFirstOrThrow();
  const email = await db
    .selectFrom('contact_points')
    .select('id')
    .where('debtor_id', '=', account.debtor_id)
    .where('kind', '=', 'email')
    .executeTakeFirstOrThrow();
  const since = new Date('2026-01-05T02:00:00Z');
  // reachable at any hour of the test run: the debtor's consent lifts the quiet hours
  await recordConsent(
    db,
    { debtorId: account.debtor_id, kind: 'quiet_hours', source: 'phone', givenAt: since },
    'setup',
  );
  await addHold(
    db,
    {
      debtorId: account.debtor_id,
      kind: 'opt_out_email',
      source: 'email',
      contactPointId: email.id,
      startsAt: since,
    },
    'setup',
  );
  // an SMS the gate refused in January, while a dispute was open: on the timeline with its reason
  const phone = await db
    .selectFrom('contact_points')
    .select('id')
    .where('debtor_id', '=', account.debtor_id)
    .where('kind', '=', 'phone')
    .executeTakeFirstOrThrow();
  await addHold(
    db,
    {
      accountId: account.id,
      kind: 'dispute',
      source: 'phone',
      startsAt: new Date('2026-01-06T00:00:00Z'),
      endsAt: new Date('2026-01-09T00:00:00Z'),
    },
    'setup',
  );
  const refused = await sendMessage(
    db,
    {
      accountId: account.id,
      contactPointId: phone.id,
      channel: 'sms',
      text: '请尽快还款。',
      at: new Date('2026-01-07T03:00:00Z'),
      actor: 'agent1',
    },
    channelsFrom(channels),
  );
  expect(refused.message).toMatchObject({ status: 'blocked', reasons: ['hold_dispute'] });
  const proposed = await proposeTemplate(
    db,
    {
      code: 'reminder',
      channel: 'sms',
      language: 'zh-CN',
      subject: null,
      body: '{{debtor_name}}您好，您在{{client_name}}的欠款{{balance}}尚未结清，请尽快处理。',
      reason: 'first version',
    },
    'super1',
  );
  await decideTemplate(db, proposed.id, 'approve', 'ok', 'comp1');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await provider?.close();
});

async function choose(page: Page, label: string, option: string): Promise<void> {
  await chooseOption(page, page.getByRole('combobox', { name: label }), option);
}

describe('the Channels tab', () => {
  it('an agent reads why the e-mail is refused and sends an SMS from a template', async () => {
    const { context, page } = await openSession(browser, 'zh-CN');
    try {
      await logIn(page, world.baseUrl, text, 'agent1');
      await page.goto(`${world.baseUrl}/accounts/${world.seed.accounts.A001}`);
      await page.getByRole('heading', { name: text.account.title.replace('{{ref}}', 'A001') }).waitFor();
      await page.getByRole('tab', { name: text.channelsTab.tab }).click();
      const rows = page.getByRole('row');
      const emailRow = rows.filter({ hasText: '@example.com' });
      await emailRow.getByText(`${text.gate.refused}${text.gate.reason.hold_opt_out_email}`).waitFor();
      await emailRow.getByText(text.gate.verdict.deny).first().waitFor();
      // no send action on a refused point
      await expect(emailRow.getByRole('button').count()).resolves.toBe(0);

      const phoneRow = rows.filter({ hasText: '138****5678' });
      await phoneRow.getByText(text.gate.verdict.allow).first().waitFor();
      await phoneRow.getByRole('button', { name: text.channelsTab.sendSms }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await untilSettled(page.locator('.ant-modal').first());
      await choose(page, text.channelsTab.template, 'reminder');
      await dialog
        .getByText('张三您好，您在招商银行信用卡中心的欠款¥10,570.00尚未结清，请尽快处理。')
        .waitFor();
      await dialog.getByText('回复TD退订').waitFor();
      const before = provider.requests.length;
      await untilSettled(dialog);
      await dialog.getByRole('button', { name: text.channelsTab.send }).click();
      await dialog.getByText(text.channelsTab.sent, { exact: false }).waitFor();
      expect(provider.requests).toHaveLength(before + 1);
      const body = new URLSearchParams(provider.requests.at(-1)?.body ?? '').get('Body') ?? '';
      expect(body).toContain('张三您好');
      expect(body).toContain('本信息由回款催收服务有限公司受招商银行信用卡中心委托发送。');
      expect(new URLSearchParams(provider.requests.at(-1)?.body ?? '').get('To')).toBe('+8613812345678');
      await dialog.locator('.ant-modal-footer').getByRole('button', { name: text.channelsTab.close }).click();
      // the table reloads: the phone's latest SMS is sent
      await phoneRow.getByText(text.channelsTab.status.sent).waitFor();
      // the SMS refused in January is on the timeline with its reason in plain words
      await page.getByRole('tab', { name: text.account.timeline }).click();
      await page.getByText(`${text.gate.refused}${text.gate.reason.hold_dispute}`).waitFor();
    } finally {
      await context.close();
    }
  });

  it('has every reason code of the gate and every tab string in both languages', () => {
    expect(reasonCodes.filter((code) => !(code in zhCN.gate.reason))).toEqual([]);
    expect(Object.keys(en.gate.reason).sort()).toEqual(Object.keys(zhCN.gate.reason).sort());
    expect(Object.keys(en.channelsTab).sort()).toEqual(Object.keys(zhCN.channelsTab).sort());
  });
});
