/**
 * Weekly QA samples beyond notes: the e-mails and SMS an agent sent (not the blocked or unsent ones)
 * and the calls the agent placed that were answered are drawn with the notes; the reviewer reads the
 * message as sent, or the call's disposition, length and recording reference; each is scored on the
 * criteria of its source.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addNote } from '../accounts/listing.ts';
import { addClient } from '../clients/service.ts';
import { createUser } from '../identity/service.ts';
import { todayIn } from '../shared/dates.ts';
import { criteriaFor } from './model.ts';
import { agentQaRecord, drawWeeklySamples, isoWeekOf, listQaSamples, scoreQaSample } from './service.ts';

let t: TestDatabase;
let clientId: bigint;
let accountId: bigint;
let debtorId: bigint;
let pointId: bigint;
let keys = 0;

beforeAll(async () => {
  t = await testDatabase();
  clientId = (await addClient(t.db, { code: 'ZSB', name: '招商银行信用卡中心' }, 'setup')).client.id;
  await seedPlacedAccounts(t.db, { clientId, count: 1, refPrefix: 'ZSB', seed: 3 });
  const account = await t.db.selectFrom('accounts').select(['id', 'debtor_id']).executeTakeFirstOrThrow();
  accountId = account.id;
  debtorId = account.debtor_id;
  pointId = (
    await t.db
      .insertInto('contact_points')
      .values({
        client_id: clientId,
        debtor_id: debtorId,
        kind: 'phone',
        position: 9,
        value_masked: '138****0001',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  for (const username of ['wang', 'zhao']) {
    await createUser(
      t.db,
      {
        username,
        displayName: username,
        roles: [username === 'wang' ? 'agent' : 'supervisor'],
        password: 'Password-12345',
      },
      { actor: 'setup' },
    );
  }
});
afterAll(async () => {
  await t?.drop();
});

async function message(
  channel: 'email' | 'sms' | 'call',
  status: string,
  fields: { subject?: string; text?: string; actor?: string } = {},
): Promise<bigint> {
  const { rows } = await sql<{ id: bigint }>`
    INSERT INTO channel_messages (client_id, account_id, debtor_id, contact_point_id, channel, provider, idempotency_key,
                                  purpose, party, actor, recipient_masked, subject, body_text, status)
    VALUES (${clientId}, ${accountId}, ${debtorId}, ${pointId}, ${channel},
            ${channel === 'email' ? 'smtp' : channel === 'sms' ? 'aliyun' : 'asterisk'}, ${`qa-${++keys}`},
            'collect', 'debtor', ${fields.actor ?? 'wang'}, ${channel === 'email' ? 'z***@example.com' : '138****0001'},
            ${fields.subject ?? null}, ${fields.text ?? ''}, ${status})
    RETURNING id`.execute(t.db);
  return (rows[0] as { id: bigint }).id;
}

async function call(answered: boolean): Promise<bigint> {
  const id = await message('call', 'sent');
  await sql`
    INSERT INTO channel_calls (message_id, client_id, account_id, extension, action_id, state, answered_at, ended_at,
                               duration_seconds, recording_ref, disposition, disposition_by, note)
    VALUES (${id}, ${clientId}, ${accountId}, '8001', ${`action-${id}`}, 'ended', ${answered ? new Date() : null}, now(),
            ${answered ? 185 : null}, ${answered ? 'rec/2026/call-77.wav' : null}, ${answered ? 'promise_to_pay' : 'no_answer'},
            'wang', ${answered ? '客户承诺周五还款' : null})`.execute(t.db);
  return id;
}

describe('weekly QA samples from messages and calls', () => {
  it('draws the sent messages and answered calls with the notes, and shows what was sent or said', async () => {
    const sentEmail = await message('email', 'delivered', {
      subject: '还款提醒',
      text: '您好，这里是回款公司，受招商银行委托提醒您还款。',
    });
    const sentSms = await message('sms', 'sent', { text: '您好，请尽快还款，回复TD退订' });
    await message('sms', 'blocked', { text: '夜间短信' });
    await message('email', 'failed', { subject: 'x', text: '未送出' });
    await message('sms', 'sent', { text: '主管发的', actor: 'zhao' });
    const answered = await call(true);
    await call(false);
    await addNote(t.db, { accountId, clientId, body: '客户说下周还', author: 'wang' });

    const week = isoWeekOf(todayIn('Asia/Shanghai'));
    expect(await drawWeeklySamples(t.db, { week, perAgent: 10, actor: 'zhao' })).toEqual({ drawn: 4 });
    expect(await drawWeeklySamples(t.db, { week, perAgent: 10, actor: 'zhao' })).toEqual({ drawn: 0 });
    const samples = await listQaSamples(t.db, { week, agent: 'wang' });
    const bySource = Object.fromEntries(samples.map((s) => [`${s.source}:${s.channel}`, s]));
    expect(Object.keys(bySource).sort()).toEqual(['call:call', 'message:email', 'message:sms', 'note:note']);
    expect(bySource['message:email']).toMatchObject({
      source_id: sentEmail,
      text: 'EMAIL → z***@example.com\n还款提醒\n\n您好，这里是回款公司，受招商银行委托提醒您还款。',
      disposition: null,
      recording_ref: null,
    });
    expect(bySource['message:sms']).toMatchObject({
      source_id: sentSms,
      text: 'SMS → 138****0001\n\n您好，请尽快还款，回复TD退订',
    });
    expect(bySource['call:call']).toMatchObject({
      source_id: answered,
      disposition: 'promise_to_pay',
      duration_seconds: 185,
      recording_ref: 'rec/2026/call-77.wav',
      text: 'CALL → 138****0001: promise_to_pay, 185 s, recording rec/2026/call-77.wav\n\n客户承诺周五还款',
    });
    expect(bySource['note:note']?.text).toBe('客户说下周还');

    // a supervisor is no agent: nothing of zhao's drawn
    expect(await listQaSamples(t.db, { week, agent: 'zhao' })).toEqual([]);
  });

  it('scores each on the criteria of its source', async () => {
    const week = isoWeekOf(todayIn('Asia/Shanghai'));
    const samples = await listQaSamples(t.db, { week, agent: 'wang' });
    const email = samples.find((s) => s.channel === 'email');
    const callSample = samples.find((s) => s.source === 'call');
    if (!email || !callSample) throw new Error('samples missing');
    const callScores = Object.fromEntries(criteriaFor('call').map((c) => [c.key, c.weight]));
    await expect(
      scoreQaSample(t.db, { id: email.id, scores: callScores, comment: '', actor: 'zhao' }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/disclosures is not scored; right_party does not apply to a message/),
    });
    const scored = await scoreQaSample(t.db, {
      id: email.id,
      scores: { identified: 15, accurate: 20, conduct: 25, courtesy: 10, disclosures: 0 },
      comment: 'no opt-out line',
      actor: 'zhao',
    });
    expect(scored).toMatchObject({ total: 82, reviewer: 'zhao', channel: 'email' });
    expect(
      await scoreQaSample(t.db, { id: callSample.id, scores: callScores, comment: '', actor: 'zhao' }),
    ).toMatchObject({ total: 100, recording_ref: 'rec/2026/call-77.wav' });
    expect((await agentQaRecord(t.db, 'wang')).samples).toEqual({ drawn: 4, scored: 2, average_total: 91 });
  });
});
