/**
 * The debtor page through app.inject: an agent's signed link opens a page (zh-CN or en) with what is
 * owed by component, the client and the agency's contact; its three forms record a dispute (a hold),
 * an opt-out (the holds module) and a call-back request (on the timeline), each once per nonce; a
 * form without its nonce does nothing; an expired or tampered link is a 404 page with no data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountTimeline } from '../accounts/listing.ts';
import { listHolds } from '../compliance/holds.ts';
import type { Api } from '../server/context.ts';
import { pagePath, pageToken } from './debtor-page.ts';
import { channelFixture, testCallers, testConfig, testServer } from './test-support.ts';

let t: TestDatabase;
let app: Api;
const { caller, callers } = testCallers();

beforeAll(async () => {
  t = await testDatabase();
  app = await testServer(
    t,
    testConfig({
      agency: { name: '回款催收服务有限公司', address: ['上海市'], phone: '400-800-0000', email: null },
    }),
    callers,
  );
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

async function setup() {
  const f = await channelFixture(t.db, { phone: '+8613800000401', email: 'page@example.com' });
  await t.db
    .updateTable('accounts')
    .set({ principal_minor: 100_000n, interest_minor: 2_345n })
    .where('id', '=', f.accountId)
    .execute();
  caller(`agent.page${f.clientId}`, ['agent'], [f.clientId]);
  const made = await app.inject({
    method: 'POST',
    url: `/api/v1/accounts/${f.accountId}/debtor-page-link`,
    headers: { 'x-test-caller': `agent.page${f.clientId}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ days: 14 }),
  });
  expect(made.statusCode, made.body).toBe(201);
  const link = made.json() as { url: string; token: string; expires_at: string };
  return { f, link, path: `${pagePath}${link.token}` };
}

function nonceOf(html: string, form: string): string {
  const match = new RegExp(
    `action="[^"]*/${form}\\?[^"]*"><input type="hidden" name="nonce" value="([^"]+)"`,
  ).exec(html);
  return match?.[1] ?? '';
}

function post(path: string, fields: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

describe('the debtor page', () => {
  it('shows what is owed in zh-CN or en, with the client and the agency, without a login', async () => {
    const { link, path } = await setup();
    expect(link.url).toBe(`http://huikuan.test${path}`);
    expect(new Date(link.expires_at).getTime() - Date.now()).toBeGreaterThan(13.9 * 86_400_000);
    const zh = await app.inject({
      method: 'GET',
      url: path,
      headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' },
    });
    expect(zh.statusCode).toBe(200);
    expect(zh.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(zh.headers['cache-control']).toBe('no-store');
    for (const part of [
      '应还金额',
      '本金',
      '¥1,000.00',
      '利息',
      '¥23.45',
      '合计',
      '¥1,023.45',
      '回款催收服务有限公司',
      '400-800-0000',
    ]) {
      expect(zh.body).toContain(part);
    }
    const en = await app.inject({
      method: 'GET',
      url: `${path}?lang=en`,
      headers: { 'accept-language': 'zh-CN' },
    });
    for (const part of ['What is owed', 'Principal', 'Total', 'I dispute this debt', 'Please call me back']) {
      expect(en.body).toContain(part);
    }
    const byHeader = await app.inject({
      method: 'GET',
      url: path,
      headers: { 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(byHeader.body).toContain('What is owed');
  });

  it('an expired or tampered link is a 404 page with no data', async () => {
    const { f, link } = await setup();
    const tampered = `${link.token.slice(0, -1)}${link.token.endsWith('A') ? 'B' : 'A'}`;
    const expired = pageToken(f.accountId, f.debtorId, new Date(Date.now() - 1000));
    const otherAccount = link.token.replace(/^\d+/, String(f.accountId + 1000n));
    for (const token of [tampered, expired, otherAccount, 'nonsense']) {
      const response = await app.inject({ method: 'GET', url: `${pagePath}${token}` });
      expect(response.statusCode, token).toBe(404);
      expect(response.body).not.toContain('1,000.00');
      expect(response.body).not.toContain('回款催收服务有限公司');
      expect(response.body).toContain('链接无效或已过期');
      const form = await post(`${pagePath}${token}/callback`, { nonce: 'x', when: 'now' });
      expect(form.statusCode).toBe(404);
    }
  });

  it('records a dispute, an opt-out and a call-back request once each; a form without its nonce does nothing', async () => {
    const { f, path } = await setup();
    const html = (await app.inject({ method: 'GET', url: path })).body;
    const forged = await post(`${path}/dispute`, {
      nonce: '1772416800.AAAAAAAAAAAAAAAAAAAAAAAA',
      text: '金额不对',
    });
    expect(forged.statusCode).toBe(403);
    expect(await listHolds(t.db, { accountId: f.accountId })).toEqual([]);
    // a nonce is for its own form only
    const crossed = await post(`${path}/dispute`, { nonce: nonceOf(html, 'callback'), text: '金额不对' });
    expect(crossed.statusCode).toBe(403);

    const dispute = await post(`${path}/dispute`, { nonce: nonceOf(html, 'dispute'), text: '利息金额不对' });
    expect(dispute.statusCode, dispute.body).toBe(200);
    expect(dispute.body).toContain('已收到');
    const again = await post(`${path}/dispute`, { nonce: nonceOf(html, 'dispute'), text: '利息金额不对' });
    expect(again.body).toContain('此请求已记录');
    const optOut = await post(`${path}/opt-out`, { nonce: nonceOf(html, 'opt-out'), channel: 'sms' });
    expect(optOut.statusCode).toBe(200);
    const callback = await post(`${path}/callback?lang=en`, {
      nonce: nonceOf(html, 'callback'),
      when: '周六上午',
      text: '工作日不方便',
    });
    expect(callback.body).toContain('Received.');

    const holds = await listHolds(t.db, { accountId: f.accountId });
    expect(holds.map((h) => [h.kind, h.source, h.recordedBy])).toEqual(
      expect.arrayContaining([
        ['dispute', 'debtor_page', 'debtor-page'],
        ['opt_out_sms', 'debtor_page', 'debtor-page'],
      ]),
    );
    expect(holds).toHaveLength(2);
    const timeline = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 20 });
    const page = timeline.items.filter((item) => item.type === 'reply').map((item) => [item.kind, item.text]);
    expect(page).toEqual(
      expect.arrayContaining([
        ['page_reply', 'dispute: 利息金额不对'],
        ['page_opt_out', 'opt-out: sms'],
        ['page_reply', 'call-back request: 周六上午 — 工作日不方便'],
      ]),
    );
    expect(page).toHaveLength(3);
  });
});
