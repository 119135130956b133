/**
 * Message templates (issue 4 point 4): zh-CN and en texts with `{{variable}}` placeholders, and the
 * disclosures each jurisdiction requires, which the renderer adds itself — a template cannot leave
 * them out, reword them or place a variable inside them. Pure: no SQL, no HTTP.
 *
 * Disclosures (compliance.md):
 * - every profile: identify the agency and, for whom it collects (CN conduct rule; UK contact rule);
 * - CN: payment only into designated accounts (NIFA 公约 Art. 15, CBA 2026);
 * - US: first contact "This is an attempt to collect a debt …", every later one "from a debt
 *   collector" (12 CFR 1006.18(e)); texts and e-mails carry a simple opt-out (1006.6(e));
 * - UK: referral to free debt advice (CONC 7 forbearance);
 * - SMS and e-mail in every profile carry the opt-out (CN SMS: 回复TD退订, as the SMS channel honours).
 */
import { HuikuanError } from '../shared/errors.ts';

/** 'script': what an agent reads on a call (never sent: no gate; still QA-checked and approved). */
export const templateChannels = ['sms', 'email', 'letter', 'script'] as const;
export type TemplateChannel = (typeof templateChannels)[number];
export const templateLanguages = ['zh-CN', 'en'] as const;
export type TemplateLanguage = (typeof templateLanguages)[number];

/** The language a debtor is written to by default under a contract's jurisdiction: zh-CN in CN, else en. */
export function jurisdictionLanguage(jurisdiction: string): TemplateLanguage {
  return jurisdiction === 'CN' ? 'zh-CN' : 'en';
}
export const templateJurisdictions = ['CN', 'US', 'UK'] as const;
export type TemplateJurisdiction = (typeof templateJurisdictions)[number];

/** The variables a template may use, with what they are (shown to template editors). */
export const templateVariables = {
  debtor_name: 'the debtor’s name',
  account_ref: 'the client’s account reference',
  client_name: 'the creditor (client) the agency collects for',
  agency_name: 'the agency’s name',
  agency_phone: 'the agency’s phone number',
  balance: 'the balance owed, with its currency (¥12,345.67)',
  currency: 'the account’s currency code',
  days_past_due: 'days past due today',
  today: 'today’s date (YYYY-MM-DD)',
  agent_name: 'the sending agent’s display name',
} as const;
export type TemplateVariable = keyof typeof templateVariables;
export type TemplateValues = Record<TemplateVariable, string>;

/** Limits on what a template may hold. */
export const templateLimits = {
  codeLength: 40,
  subjectLength: 200,
  /** Body characters before disclosures; an SMS is sent as several parts up to this. */
  bodyLength: { sms: 400, email: 20_000, letter: 20_000, script: 8_000 } satisfies Record<
    TemplateChannel,
    number
  >,
  /** Placeholders in one template. */
  placeholders: 100,
};

export interface TemplateText {
  channel: TemplateChannel;
  language: TemplateLanguage;
  subject: string | null;
  body: string;
}

const placeholderPattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Checks a template's text; returns the variables it uses. Throws bad_input naming what is wrong. */
export function checkTemplate(text: TemplateText): TemplateVariable[] {
  const problems: string[] = [];
  const body = text.body.trim();
  if (body.length === 0) problems.push('the body is empty');
  const limit = templateLimits.bodyLength[text.channel];
  if (body.length > limit)
    problems.push(`the body has ${body.length} characters; a ${text.channel} template has at most ${limit}`);
  if (text.channel === 'email') {
    if (!text.subject || text.subject.trim().length === 0)
      problems.push('an e-mail template needs a subject');
  } else if (text.subject) {
    problems.push(`a ${text.channel} template has no subject (only e-mail has one)`);
  }
  if (text.subject && text.subject.length > templateLimits.subjectLength) {
    problems.push(`the subject has more than ${templateLimits.subjectLength} characters`);
  }
  const used = new Set<TemplateVariable>();
  let count = 0;
  for (const source of [text.subject ?? '', body]) {
    for (const match of source.matchAll(placeholderPattern)) {
      count++;
      const name = match[1] ?? '';
      if (name in templateVariables) used.add(name as TemplateVariable);
      else problems.push(`unknown variable {{${name}}}`);
    }
    // a lone {{ or }} is a typo that would be sent as it is
    const stripped = source.replace(placeholderPattern, '');
    if (stripped.includes('{{') || stripped.includes('}}')) problems.push('an unclosed {{ or }}');
  }
  if (count > templateLimits.placeholders)
    problems.push(`more than ${templateLimits.placeholders} placeholders`);
  if (problems.length > 0) {
    throw new HuikuanError(
      'bad_input',
      `The template cannot be used: ${[...new Set(problems)].join('; ')}. Variables: ${Object.keys(
        templateVariables,
      )
        .map((name) => `{{${name}}}`)
        .join(', ')}.`,
      { problems: [...new Set(problems)] },
    );
  }
  return [...used].sort();
}

export interface DisclosureContext {
  jurisdiction: TemplateJurisdiction;
  channel: TemplateChannel;
  language: TemplateLanguage;
  /** The first communication with the debtor about this debt (US: the full mini-Miranda). */
  firstContact: boolean;
  values: Pick<TemplateValues, 'agency_name' | 'client_name' | 'agency_phone'>;
  /** The message's opt-out link (e-mail); SMS opt-out is by reply. */
  optOutUrl?: string | null;
}

/** The disclosures a message must carry, in order, in the message's language. */
export function requiredDisclosures(context: DisclosureContext): string[] {
  const { agency_name: agency, client_name: client, agency_phone: phone } = context.values;
  const zh = context.language === 'zh-CN';
  const out: string[] = [];
  out.push(
    zh
      ? `本信息由${agency}受${client}委托发送。`
      : `This message is from ${agency}, collecting on behalf of ${client}.`,
  );
  if (context.jurisdiction === 'CN') {
    out.push(
      zh
        ? `请仅向${client}官方指定账户还款，任何要求转入个人账户的都不是我们，谨防诈骗。`
        : `Pay only into ${client}'s designated accounts; we never ask for payment into a personal account.`,
    );
  }
  if (context.jurisdiction === 'US') {
    out.push(
      context.firstContact
        ? zh
          ? '本函件旨在催收债务，所获任何信息都将用于该目的。本信息来自债务催收方。'
          : 'This is an attempt to collect a debt and any information obtained will be used for that purpose. This communication is from a debt collector.'
        : zh
          ? '本信息来自债务催收方。'
          : 'This communication is from a debt collector.',
    );
  }
  if (context.jurisdiction === 'UK') {
    out.push(
      zh
        ? `如您还款有困难，可联系我们${phone ? `（${phone}）` : ''}商量，或向 MoneyHelper（moneyhelper.org.uk）免费咨询债务问题。`
        : `If you are struggling to pay, talk to us${phone ? ` on ${phone}` : ''} or get free debt advice from MoneyHelper (moneyhelper.org.uk).`,
    );
  }
  if (context.channel === 'sms') {
    out.push(context.jurisdiction === 'CN' || zh ? '回复TD退订' : 'Reply STOP to opt out.');
  }
  if (context.channel === 'email') {
    out.push(
      context.optOutUrl
        ? zh
          ? `不想再收到我们的邮件？请点击：${context.optOutUrl}`
          : `To stop e-mails from us, use this link: ${context.optOutUrl}`
        : zh
          ? '不想再收到我们的邮件？请使用邮件中的退订链接。'
          : 'To stop e-mails from us, use the unsubscribe link in this e-mail.',
    );
  }
  return out;
}

export interface RenderedMessage {
  subject: string | null;
  /** The body as written, variables filled in. */
  body: string;
  disclosures: string[];
  /** What is sent: the body, then the disclosures, each on its own line. */
  text: string;
}

/**
 * Fills the variables and appends the required disclosures. Values are inserted as they are (no
 * template syntax in them is expanded: a debtor named "{{balance}}" stays a name).
 */
export function renderTemplate(
  template: TemplateText,
  values: TemplateValues,
  context: Omit<DisclosureContext, 'channel' | 'language' | 'values'>,
): RenderedMessage {
  checkTemplate(template);
  const fill = (source: string) =>
    source.replace(placeholderPattern, (_, name: string) => values[name as TemplateVariable] ?? '');
  const subject = template.subject === null ? null : fill(template.subject.trim());
  const body = fill(template.body.trim());
  const disclosures = requiredDisclosures({
    ...context,
    channel: template.channel,
    language: template.language,
    values,
  });
  return { subject, body, disclosures, text: [body, ...disclosures].join('\n') };
}
