/**
 * The demo agency's collection strategy (issue 5 point 2): gentle reminders early, firmer later,
 * escalation and legal review for the oldest debts, with a champion / challenger test on M1 — proposed
 * by the supervisor and approved by the admin, in force from the first nightly run. Its templates
 * (besides the SMS reminder the workspace approves) are proposed by compliance and approved by admin.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { decideStrategy, proposeStrategy } from '../strategy/strategies.ts';
import { decideTemplate, proposeTemplate } from '../templates/service.ts';
import { demoTeams } from './plan.ts';

const smsReminder = {
  code: 'reminder',
  channel: 'sms' as const,
  subject: null,
  body: '{{debtor_name}}您好，您在{{client_name}}的账户{{account_ref}}尚欠{{balance}}，请尽快还款或来电{{agency_phone}}协商。',
  reason: '首次提醒短信',
};

const templates = [
  {
    code: 'reminder_email',
    channel: 'email' as const,
    subject: '还款提醒：{{client_name}}账户{{account_ref}}',
    body: '{{debtor_name}}您好：\n\n您在{{client_name}}的账户{{account_ref}}已逾期{{days_past_due}}天，尚欠{{balance}}。请尽快还款；如有困难，请致电{{agency_phone}}与我们协商还款安排。',
    reason: '首次提醒邮件',
  },
  {
    code: 'firm_reminder',
    channel: 'sms' as const,
    subject: null,
    body: '{{debtor_name}}您好，您在{{client_name}}的账户{{account_ref}}已逾期{{days_past_due}}天，欠款{{balance}}，请于三日内还款或致电{{agency_phone}}协商。',
    reason: '逾期加强提醒短信',
  },
  {
    code: 'final_notice',
    channel: 'letter' as const,
    subject: null,
    body: '{{debtor_name}}：\n\n您在{{client_name}}的账户{{account_ref}}已逾期{{days_past_due}}天，截至{{today}}尚欠{{balance}}。请尽快与我们联系（{{agency_phone}}），协商还款方式。\n\n{{agency_name}}',
    reason: '催收函',
  },
];

/** The strategy document: what a supervisor would write for the demo's three clients. */
export function demoStrategyDocument(): unknown {
  const seniorTeam = demoTeams[0]?.name ?? '信用卡一组';
  return {
    name: '标准催收策略 2026',
    segments: [
      {
        code: 'm1_early',
        name: 'M1 早期：温和提醒',
        conditions: { all: [{ field: 'bucket', op: '=', value: 'M1' }] },
        test_id: 'm1-firm-sms-2026',
        arms: [
          {
            code: 'champion',
            role: 'champion',
            share_bp: 8000,
            steps: [
              {
                code: 'sms_day0',
                day: 0,
                kind: 'message',
                channel: 'sms',
                template: 'reminder',
                priority: 30,
              },
              {
                code: 'email_day3',
                day: 3,
                kind: 'message',
                channel: 'email',
                template: 'reminder_email',
                priority: 30,
              },
              { code: 'call_day5', day: 5, kind: 'task', task: 'call', priority: 60 },
            ],
          },
          {
            code: 'firm_sms',
            role: 'challenger',
            share_bp: 2000,
            steps: [
              {
                code: 'firm_sms_day0',
                day: 0,
                kind: 'message',
                channel: 'sms',
                template: 'firm_reminder',
                priority: 40,
              },
              { code: 'call_day3', day: 3, kind: 'task', task: 'call', priority: 60 },
            ],
          },
        ],
      },
      {
        code: 'm2_m3',
        name: 'M2–M3：加强催收',
        conditions: { all: [{ field: 'bucket', op: 'in', value: ['M2', 'M3'] }] },
        arms: [
          {
            code: 'champion',
            role: 'champion',
            share_bp: 10000,
            steps: [
              { code: 'call_day0', day: 0, kind: 'task', task: 'call', priority: 70 },
              {
                code: 'firm_sms_day7',
                day: 7,
                kind: 'message',
                channel: 'sms',
                template: 'firm_reminder',
                priority: 50,
              },
              {
                code: 'letter_day15',
                day: 15,
                kind: 'message',
                channel: 'letter',
                template: 'final_notice',
                priority: 50,
              },
              {
                code: 'call_after_broken',
                day: 1,
                from: 'promise_broken',
                kind: 'task',
                task: 'call',
                priority: 90,
              },
            ],
          },
        ],
      },
      {
        code: 'm4_plus',
        name: 'M4 及以上：升级与法务评估',
        conditions: { all: [{ field: 'dpd', op: '>', value: 90 }] },
        arms: [
          {
            code: 'champion',
            role: 'champion',
            share_bp: 10000,
            steps: [
              {
                code: 'escalate_day0',
                day: 0,
                kind: 'task',
                task: 'escalate',
                team: seniorTeam,
                priority: 70,
              },
              { code: 'field_visit_day14', day: 14, kind: 'task', task: 'field_visit', priority: 60 },
              { code: 'legal_day30', day: 30, kind: 'task', task: 'legal_review', priority: 80 },
            ],
          },
        ],
      },
      {
        code: 'other',
        name: '其他（未逾期等）',
        conditions: { all: [] },
        arms: [{ code: 'champion', role: 'champion', share_bp: 10000, steps: [] }],
      },
    ],
  };
}

/** Templates, then the strategy proposed by the supervisor and approved by the admin. */
export async function demoStrategy(db: Db, say: (line: string) => void): Promise<void> {
  // the SMS reminder is the workspace's (seed.ts); a database without it (the nightly bench) gets it here
  const reminder = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM message_templates
     WHERE code = 'reminder' AND channel = 'sms' AND status = 'approved'`.execute(db);
  const wanted = (reminder.rows[0]?.n ?? 0) > 0 ? templates : [smsReminder, ...templates];
  for (const template of wanted) {
    const proposed = await proposeTemplate(
      db,
      {
        code: template.code,
        channel: template.channel,
        language: 'zh-CN',
        subject: template.subject,
        body: template.body,
        reason: template.reason,
      },
      'compliance',
    );
    await decideTemplate(db, proposed.id, 'approve', '措辞合规', 'admin');
  }
  const version = await proposeStrategy(
    db,
    { document: demoStrategyDocument(), reason: '按逾期阶段分层催收；M1 测试加强短信' },
    'supervisor',
  );
  await decideStrategy(db, version.id, 'approve', '同意', 'admin');
  say('strategy: 4 segments with an M1 challenger (20%), approved; in force from the first nightly run');
}
