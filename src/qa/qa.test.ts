/**
 * Quality checks: the checker on zh-CN (segmented with jieba) and en texts, lawful texts passing;
 * a failing note opening one QA case, decided by another reviewer; a failing template refused;
 * weekly samples drawn the same way twice and scored on the whole scorecard; the agent's record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addNote } from '../accounts/listing.ts';
import { addClient } from '../clients/service.ts';
import { createUser } from '../identity/service.ts';
import { todayIn } from '../shared/dates.ts';
import { proposeTemplate } from '../templates/service.ts';
import { checkText, criteriaFor, scoreSample } from './model.ts';
import {
  agentQaRecord,
  checkNote,
  decideQaCase,
  drawWeeklySamples,
  isoWeekOf,
  isoWeekRange,
  listQaCases,
  listQaSamples,
  scoreQaSample,
} from './service.ts';

const categories = (text: string) => checkText(text).findings.map((finding) => finding.category);

describe('the prohibited-language checker', () => {
  it.each([
    ['你再不还钱我们就上门找你家人', ['threat', 'third_party_disclosure']],
    ['我是公安局的民警，你涉嫌诈骗', ['impersonation']],
    ['不还钱就让你坐牢', ['false_consequence']],
    ['你这个老赖', ['insult']],
    ['我们会把你的欠款曝光到通讯录', ['third_party_disclosure']],
    ['If you do not pay we will call your employer', ['third_party_disclosure']],
    ['You will be arrested tomorrow', ['false_consequence']],
    ['This is officer Smith from the police department', ['impersonation']],
    ['Pay now, you deadbeat', ['insult']],
  ])('finds %s', (text, expected) => {
    expect(categories(text)).toEqual(expected);
  });

  it.each([
    '您好，这里是回款公司，受招商银行委托提醒您还款。如有困难请与我们协商。',
    '如不还款，我们将依法向法院提起诉讼。',
    '请问您的家人是否方便转告您回电？',
    'Please call us back to discuss a payment plan.',
    'We may report the account to the court if it stays unpaid.',
  ])('passes the lawful %s', (text) => {
    expect(checkText(text)).toMatchObject({ passed: true, findings: [] });
  });

  it('matches whole words, not characters inside other words', () => {
    // 抓紧 (hurry) holds 抓 (arrest) but is another word
    expect(checkText('请您抓紧时间还款').passed).toBe(true);
    expect(checkText('我们会抓你').passed).toBe(false);
  });

  it('scores a sample only on the whole scorecard, within each weight', () => {
    const full = Object.fromEntries(
      criteriaFor('note').map((criterion) => [criterion.key, criterion.weight]),
    );
    expect(scoreSample(full)).toEqual({ total: 100, problems: [] });
    expect(scoreSample({ ...full, conduct: 26 }).problems).toEqual(['conduct is scored 0–25, not 26']);
    const { courtesy: _courtesy, ...missing } = full;
    expect(scoreSample({ ...missing, tone: 3 }).problems).toEqual([
      'courtesy is not scored',
      'tone is not a criterion',
    ]);
  });

  it.each([
    ['note', ['identified', 'right_party', 'accurate', 'conduct', 'courtesy', 'recorded']],
    ['call', ['identified', 'right_party', 'accurate', 'conduct', 'courtesy', 'recorded']],
    ['message', ['identified', 'accurate', 'conduct', 'courtesy', 'disclosures']],
  ] as const)('scores a %s on %j, its total out of 100', (source, keys) => {
    expect(criteriaFor(source).map((criterion) => criterion.key)).toEqual(keys);
    const full = Object.fromEntries(
      criteriaFor(source).map((criterion) => [criterion.key, criterion.weight]),
    );
    expect(scoreSample(full, source)).toEqual({ total: 100, problems: [] });
    expect(scoreSample(Object.fromEntries(keys.map((key) => [key, 0])), source)).toEqual({
      total: 0,
      problems: [],
    });
  });

  it('scales a message to 100 and refuses criteria that do not apply to it', () => {
    // 15 + 20 + 20 + 10 + 15 = 80 of 85 → 94
    expect(
      scoreSample({ identified: 15, accurate: 20, conduct: 20, courtesy: 10, disclosures: 15 }, 'message'),
    ).toEqual({ total: 94, problems: [] });
    expect(
      scoreSample(
        { identified: 15, accurate: 20, conduct: 25, courtesy: 10, disclosures: 15, right_party: 15 },
        'message',
      ).problems,
    ).toEqual(['right_party does not apply to a message']);
    expect(
      scoreSample(
        { ...Object.fromEntries(criteriaFor('call').map((c) => [c.key, 1])), disclosures: 1 },
        'call',
      ).problems,
    ).toEqual(['disclosures does not apply to a call']);
  });

  it('reads ISO weeks', () => {
    expect(isoWeekRange('2026-W48')).toEqual({ from: '2026-11-23', to: '2026-11-30' });
    expect(isoWeekRange('2026-W01')).toEqual({ from: '2025-12-29', to: '2026-01-05' });
    expect(isoWeekRange('2026-W53').from).toBe('2026-12-28');
    expect(() => isoWeekRange('2025-W53')).toThrow(/has no week 53/);
    expect(isoWeekOf('2026-11-29')).toBe('2026-W48');
    expect(isoWeekOf('2026-11-30')).toBe('2026-W49');
    expect(isoWeekOf('2027-01-01')).toBe('2026-W53');
    expect(isoWeekOf('2025-12-29')).toBe('2026-W01');
  });
});

describe('QA cases and samples', () => {
  let t: TestDatabase;
  let clientId: bigint;
  let accountIds: bigint[];

  beforeAll(async () => {
    t = await testDatabase();
    clientId = (await addClient(t.db, { code: 'ZSB', name: '招商银行信用卡中心' }, 'setup')).client.id;
    await seedPlacedAccounts(t.db, { clientId, count: 4, refPrefix: 'ZSB', seed: 3 });
    accountIds = (await t.db.selectFrom('accounts').select('id').orderBy('id').execute()).map(
      (row) => row.id,
    );
    for (const username of ['wang', 'li']) {
      await createUser(
        t.db,
        { username, displayName: username, roles: ['agent'], password: 'Password-12345' },
        { actor: 'setup' },
      );
    }
  });

  afterAll(async () => {
    await t?.drop();
  });

  async function note(author: string, body: string, accountIndex = 0) {
    const accountId = accountIds[accountIndex] as bigint;
    const added = await addNote(t.db, { accountId, clientId, body, author });
    return { added, checked: await checkNote(t.db, { id: added.id, clientId, accountId, author, body }) };
  }

  it('opens one case for a failing note, none for a clean one, and lets only another user decide it', async () => {
    const clean = await note('wang', '已联系本人，承诺月底还款。');
    expect(clean.checked.caseId).toBeNull();
    const bad = await note('wang', '告诉他再不还就通知你单位，让你坐牢');
    expect(bad.checked.caseId).not.toBeNull();
    // checking the same note again opens nothing more
    expect(
      (
        await checkNote(t.db, {
          id: bad.added.id,
          clientId,
          accountId: accountIds[0] as bigint,
          author: 'wang',
          body: bad.added.body,
        })
      ).caseId,
    ).toBeNull();
    const cases = await listQaCases(t.db, { agent: 'wang' });
    expect(cases).toHaveLength(1);
    expect(cases[0]?.findings.map((finding) => finding.category)).toEqual([
      'third_party_disclosure',
      'false_consequence',
    ]);
    const id = cases[0]?.id as bigint;
    await expect(
      decideQaCase(t.db, { id, decision: 'dismiss', note: '', actor: 'wang' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(
      await decideQaCase(t.db, { id, decision: 'confirm', note: 'coached', actor: 'zhao' }),
    ).toMatchObject({
      status: 'confirmed',
      decided_by: 'zhao',
    });
    await expect(
      decideQaCase(t.db, { id, decision: 'dismiss', note: '', actor: 'zhao' }),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('refuses a template that fails the check, naming what failed', async () => {
    await expect(
      proposeTemplate(
        t.db,
        {
          code: 'bad',
          channel: 'sms',
          language: 'zh-CN',
          subject: null,
          body: '{{debtor_name}}，再不还钱法院就来抓你',
          reason: 'x',
        },
        'carol',
      ),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/false consequence \("抓你"\)/),
    });
  });

  it('draws the same weekly samples twice and scores them on the scorecard', async () => {
    for (let i = 0; i < 4; i++)
      await note('li', `第${i + 1}次联系，客户表示下周还款。`, i % accountIds.length);
    const week = isoWeekOf(todayIn('Asia/Shanghai'));

    const first = await drawWeeklySamples(t.db, { week, perAgent: 3, actor: 'zhao' });
    // li wrote 4 notes (3 drawn), wang 2 (both drawn)
    expect(first.drawn).toBe(5);
    expect((await drawWeeklySamples(t.db, { week, perAgent: 3, actor: 'zhao' })).drawn).toBe(0);
    const samples = await listQaSamples(t.db, { week, agent: 'li' });
    expect(samples).toHaveLength(3);
    const scores = Object.fromEntries(
      criteriaFor('note').map((criterion) => [criterion.key, criterion.weight - 1]),
    );
    const sample = samples[0];
    if (!sample) throw new Error('no sample');
    await expect(
      scoreQaSample(t.db, { id: sample.id, scores, comment: '', actor: 'li' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      scoreQaSample(t.db, { id: sample.id, scores: { conduct: 5 }, comment: '', actor: 'zhao' }),
    ).rejects.toMatchObject({
      code: 'bad_input',
    });
    expect(
      await scoreQaSample(t.db, { id: sample.id, scores, comment: 'fine', actor: 'zhao' }),
    ).toMatchObject({
      total: 100 - criteriaFor('note').length,
      reviewer: 'zhao',
    });
    const record = await agentQaRecord(t.db, 'li');
    expect(record.samples).toEqual({ drawn: 3, scored: 1, average_total: 100 - criteriaFor('note').length });
    expect((await agentQaRecord(t.db, 'wang')).cases).toMatchObject({
      confirmed: 1,
      findings_by_category: { third_party_disclosure: 1, false_consequence: 1 },
    });
  });
});
