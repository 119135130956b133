/**
 * The strategy engine's tests' fixtures (not a test file): the approved templates a test strategy
 * uses, and that strategy — early M1 with a challenger, M2–M3 with a letter and a step after a broken
 * promise, and the late accounts' legal review.
 */
import type { Db } from '../db/connection.ts';
import { decideTemplate, proposeTemplate } from '../templates/service.ts';

export async function approvedTemplates(db: Db) {
  for (const [code, channel, subject] of [
    ['gentle', 'sms', null],
    ['firm', 'sms', null],
    ['notice', 'email', '还款提醒'],
    ['final', 'letter', null],
  ] as const) {
    const template = await proposeTemplate(
      db,
      {
        code,
        channel,
        language: 'zh-CN',
        subject,
        body: '{{debtor_name}}您好，您的账户{{account_ref}}尚欠{{balance}}，请尽快还款。',
        reason: 'test',
      },
      'compliance',
    );
    await decideTemplate(db, template.id, 'approve', 'ok', 'admin');
  }
}

/** Early M1: SMS day 0, e-mail day 3, call day 5 (champion 80%) or a firm SMS and a call at once (20%). */
export const testDocument = {
  name: 'Test strategy',
  segments: [
    {
      code: 'm1',
      name: 'M1 early',
      conditions: { all: [{ field: 'bucket', op: '=', value: 'M1' }] },
      test_id: 'm1-2026',
      arms: [
        {
          code: 'champion',
          role: 'champion',
          share_bp: 8000,
          steps: [
            { code: 'sms_d0', day: 0, kind: 'message', channel: 'sms', template: 'gentle', priority: 30 },
            { code: 'email_d3', day: 3, kind: 'message', channel: 'email', template: 'notice' },
            { code: 'call_d5', day: 5, kind: 'task', task: 'call', priority: 70 },
          ],
        },
        {
          code: 'firm',
          role: 'challenger',
          share_bp: 2000,
          steps: [
            { code: 'sms_firm', day: 0, kind: 'message', channel: 'sms', template: 'firm' },
            { code: 'call_d1', day: 1, kind: 'task', task: 'call' },
          ],
        },
      ],
    },
    {
      code: 'm2_m3',
      name: 'M2–M3',
      conditions: { all: [{ field: 'bucket', op: 'in', value: ['M2', 'M3'] }] },
      arms: [
        {
          code: 'champion',
          role: 'champion',
          share_bp: 10000,
          steps: [
            { code: 'call_d0', day: 0, kind: 'task', task: 'call' },
            { code: 'letter_d2', day: 2, kind: 'message', channel: 'letter', template: 'final' },
            { code: 'after_break', day: 1, from: 'promise_broken', kind: 'task', task: 'call', priority: 90 },
          ],
        },
      ],
    },
    {
      code: 'late',
      name: 'M4 and later',
      conditions: { all: [{ field: 'dpd', op: '>', value: 90 }] },
      arms: [
        {
          code: 'champion',
          role: 'champion',
          share_bp: 10000,
          steps: [{ code: 'legal', day: 0, kind: 'task', task: 'legal_review' }],
        },
      ],
    },
  ],
};
