/**
 * Message templates: variables checked and filled, each jurisdiction's disclosures added and not
 * removable, versions proposed and decided by another user, the version in force, a preview with a
 * real account under its client scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addClient } from '../clients/service.ts';
import { withClientScope } from '../identity/rls.ts';
import { checkTemplate, renderTemplate, requiredDisclosures, type TemplateValues } from './model.ts';
import {
  decideTemplate,
  proposeTemplate,
  renderForAccount,
  scriptForAccount,
  templateInForce,
} from './service.ts';

const values: TemplateValues = {
  debtor_name: '张三',
  account_ref: 'ZSB0001',
  client_name: '招商银行信用卡中心',
  agency_name: '回款催收服务有限公司',
  agency_phone: '400-800-1234',
  balance: '¥12,345.67',
  currency: 'CNY',
  days_past_due: '45',
  today: '2026-11-29',
  agent_name: 'agent.1',
};

describe('template text', () => {
  it('names every unknown variable, an unclosed brace and a missing e-mail subject at once', () => {
    let caught: unknown = null;
    try {
      checkTemplate({
        channel: 'email',
        language: 'en',
        subject: null,
        body: 'Hi {{name}}, {{ balance }} {{',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'bad_input' });
    expect((caught as { details: { problems: string[] } }).details.problems.sort()).toEqual(
      ['an e-mail template needs a subject', 'an unclosed {{ or }}', 'unknown variable {{name}}'].sort(),
    );
    expect(
      checkTemplate({
        channel: 'sms',
        language: 'zh-CN',
        subject: null,
        body: '{{debtor_name}} {{ balance }}',
      }),
    ).toEqual(['balance', 'debtor_name']);
    expect(() => checkTemplate({ channel: 'sms', language: 'en', subject: 'x', body: 'hello' })).toThrow(
      /only e-mail has one/,
    );
    expect(() =>
      checkTemplate({ channel: 'sms', language: 'en', subject: null, body: 'x'.repeat(401) }),
    ).toThrow(/at most 400/);
  });

  it('fills variables literally and appends the disclosures of the jurisdiction and channel', () => {
    const sms = renderTemplate(
      {
        channel: 'sms',
        language: 'zh-CN',
        subject: null,
        body: '{{debtor_name}}您好，您的欠款{{balance}}已逾期{{days_past_due}}天。',
      },
      { ...values, debtor_name: '{{balance}}' },
      { jurisdiction: 'CN', firstContact: false },
    );
    expect(sms.body).toBe('{{balance}}您好，您的欠款¥12,345.67已逾期45天。');
    expect(sms.disclosures).toEqual([
      '本信息由回款催收服务有限公司受招商银行信用卡中心委托发送。',
      '请仅向招商银行信用卡中心官方指定账户还款，任何要求转入个人账户的都不是我们，谨防诈骗。',
      '回复TD退订',
    ]);
    expect(sms.text).toBe([sms.body, ...sms.disclosures].join('\n'));
  });

  it('gives the US mini-Miranda on first contact and the short form later, with the opt-out', () => {
    const context = {
      values,
      channel: 'email' as const,
      language: 'en' as const,
      optOutUrl: 'https://x/o/1',
    };
    expect(requiredDisclosures({ ...context, jurisdiction: 'US', firstContact: true })).toEqual([
      'This message is from 回款催收服务有限公司, collecting on behalf of 招商银行信用卡中心.',
      'This is an attempt to collect a debt and any information obtained will be used for that purpose. This communication is from a debt collector.',
      'To stop e-mails from us, use this link: https://x/o/1',
    ]);
    expect(requiredDisclosures({ ...context, jurisdiction: 'US', firstContact: false })[1]).toBe(
      'This communication is from a debt collector.',
    );
    expect(
      requiredDisclosures({ ...context, channel: 'sms', jurisdiction: 'US', firstContact: false }).at(-1),
    ).toBe('Reply STOP to opt out.');
    expect(
      requiredDisclosures({ ...context, channel: 'letter', jurisdiction: 'UK', firstContact: false }),
    ).toEqual([
      'This message is from 回款催收服务有限公司, collecting on behalf of 招商银行信用卡中心.',
      'If you are struggling to pay, talk to us on 400-800-1234 or get free debt advice from MoneyHelper (moneyhelper.org.uk).',
    ]);
  });
});

describe('template versions and preview', () => {
  let t: TestDatabase;
  let clientId: bigint;
  let accountId: bigint;

  beforeAll(async () => {
    t = await testDatabase();
    clientId = (await addClient(t.db, { code: 'ZSB', name: '招商银行信用卡中心' }, 'setup')).client.id;
    await seedPlacedAccounts(t.db, { clientId, count: 3, refPrefix: 'ZSB', seed: 7 });
    const row = await t.db.selectFrom('accounts').select('id').orderBy('id').executeTakeFirstOrThrow();
    accountId = row.id;
  });

  afterAll(async () => {
    await t?.drop();
  });

  const proposal = {
    code: 'reminder',
    channel: 'sms' as const,
    language: 'zh-CN' as const,
    subject: null,
    body: '{{debtor_name}}您好，您在{{client_name}}的账户{{account_ref}}欠款{{balance}}。',
    reason: 'first reminder',
  };

  it('numbers versions, lets only another user decide, and uses the newest approved one', async () => {
    const v1 = await proposeTemplate(t.db, proposal, 'carol');
    expect(v1).toMatchObject({
      version: 1,
      status: 'proposed',
      variables: ['account_ref', 'balance', 'client_name', 'debtor_name'],
    });
    await expect(decideTemplate(t.db, v1.id, 'approve', 'ok', 'carol')).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(templateInForce(t.db, 'reminder', 'sms', 'zh-CN')).rejects.toMatchObject({
      code: 'not_found',
    });
    await decideTemplate(t.db, v1.id, 'approve', 'ok', 'dave');
    await expect(decideTemplate(t.db, v1.id, 'reject', 'late', 'erin')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const v2 = await proposeTemplate(t.db, { ...proposal, body: `${proposal.body}请尽快还款。` }, 'carol');
    expect(v2.version).toBe(2);
    // a proposed version is not in force
    expect((await templateInForce(t.db, 'reminder', 'sms', 'zh-CN')).id).toBe(v1.id);
    await decideTemplate(t.db, v2.id, 'reject', 'tone', 'dave');
    expect((await templateInForce(t.db, 'reminder', 'sms', 'zh-CN')).id).toBe(v1.id);
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor'])
      .where('entity_type', '=', 'message_template')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'template.proposed', actor: 'carol' },
      { action: 'template.approved', actor: 'dave' },
      { action: 'template.proposed', actor: 'carol' },
      { action: 'template.rejected', actor: 'dave' },
    ]);
    // the text of a decided version is fixed in the database itself
    await expect(
      t.db
        .withTables<{ message_templates: { id: bigint; body: string } }>()
        .updateTable('message_templates')
        .set({ body: 'changed' })
        .where('id', '=', v1.id)
        .execute(),
    ).rejects.toThrow(/fixed once proposed/);
  });

  it('refuses a bad proposal whole', async () => {
    await expect(proposeTemplate(t.db, { ...proposal, body: '{{ssn}}' }, 'carol')).rejects.toMatchObject({
      code: 'bad_input',
    });
    await expect(proposeTemplate(t.db, { ...proposal, code: 'Bad Code' }, 'carol')).rejects.toMatchObject({
      code: 'bad_input',
    });
  });

  it('previews with a real account, its contract jurisdiction, and nothing outside the scope', async () => {
    const template = await templateInForce(t.db, 'reminder', 'sms', 'zh-CN');
    const account = await t.db
      .selectFrom('accounts as a')
      .innerJoin('debtors as d', 'd.id', 'a.debtor_id')
      .select(['a.client_account_ref', 'd.name'])
      .where('a.id', '=', accountId)
      .executeTakeFirstOrThrow();
    const preview = await withClientScope(t.db, { clientIds: [clientId] }, (trx) =>
      renderForAccount(trx, {
        template,
        accountId,
        firstContact: true,
        agentName: 'agent.1',
        agency: { name: '回款公司' },
      }),
    );
    expect(preview.jurisdiction).toBe('CN');
    expect(preview.rendered.body).toContain(
      `${account.name}您好，您在招商银行信用卡中心的账户${account.client_account_ref}欠款¥`,
    );
    expect(preview.rendered.disclosures[0]).toBe('本信息由回款公司受招商银行信用卡中心委托发送。');
    expect(preview.rendered.text.endsWith('回复TD退订')).toBe(true);
    await expect(
      withClientScope(t.db, { clientIds: [clientId + 1000n] }, (trx) =>
        renderForAccount(trx, {
          template,
          accountId,
          firstContact: true,
          agentName: 'a',
          agency: { name: 'x' },
        }),
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      renderForAccount(t.db, {
        template,
        accountId,
        firstContact: true,
        agentName: 'a',
        agency: { name: ' ' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it("gives an account's call script: its segment's, else the default, in the language; QA-checked like any template", async () => {
    const input = {
      accountId,
      language: 'zh-CN' as const,
      agentName: 'agent.1',
      agency: { name: '回款公司' },
    };
    expect(await scriptForAccount(t.db, input)).toBeNull();
    const script = await proposeTemplate(
      t.db,
      {
        code: 'default',
        channel: 'script',
        language: 'zh-CN',
        subject: null,
        body: '您好，请问是{{debtor_name}}吗？我是{{agency_name}}的{{agent_name}}，关于您在{{client_name}}的欠款{{balance}}。',
        reason: 'first script',
      },
      'carol',
    );
    // not in force until another user approves it
    expect(await scriptForAccount(t.db, input)).toBeNull();
    await decideTemplate(t.db, script.id, 'approve', 'ok', 'dave');
    const found = await scriptForAccount(t.db, input);
    expect(found).toMatchObject({ segment: null, fallback: true, jurisdiction: 'CN' });
    expect(found?.template.code).toBe('default');
    expect(found?.rendered.body).toMatch(
      /^您好，请问是.+吗？我是回款公司的agent\.1，关于您在招商银行信用卡中心的欠款¥/,
    );
    expect(found?.rendered.disclosures[0]).toBe('本信息由回款公司受招商银行信用卡中心委托发送。');
    // a script is never sent: no opt-out line
    expect(found?.rendered.disclosures.some((line) => line.includes('退订'))).toBe(false);
    // no English script yet
    expect(await scriptForAccount(t.db, { ...input, language: 'en' })).toBeNull();
    // the QA language check applies to scripts too
    await expect(
      proposeTemplate(
        t.db,
        {
          code: 'default',
          channel: 'script',
          language: 'zh-CN',
          subject: null,
          body: '不还钱就让你坐牢。',
          reason: 'harsher',
        },
        'carol',
      ),
    ).rejects.toMatchObject({ code: 'bad_input' });
  });
});
