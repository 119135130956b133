/**
 * The debtor page's routes (/api/v1): an agent makes the link (POST /accounts/:id/debtor-page-link);
 * the debtor, without a session, opens GET /debtor-page/:token (server-rendered HTML, zh-CN or en by
 * ?lang= or Accept-Language) and posts its three forms (POST /debtor-page/:token/:form, a form body
 * with the form's nonce). A link that is expired, tampered or unknown is a 404 page with no data.
 * Rate-limited per address.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { assertClientAccess, principalOf, requireRoles } from '../server/access.ts';
import { type Api, idParam, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor } from '../shared/money.ts';
import {
  createPageLink,
  formNonce,
  type PageAccount,
  type PageAction,
  type PageForm,
  pageForms,
  pageLimits,
  readPageToken,
  recordPageAction,
} from './debtor-page.ts';
import { escapeHtml } from './model.ts';
import type { Channels } from './service.ts';

type Lang = 'zh-CN' | 'en';

const words = {
  'zh-CN': {
    title: '您的账户',
    owed: '应还金额',
    total: '合计',
    principal: '本金',
    interest: '利息',
    fees: '费用',
    penalty: '罚息',
    client: '债权人',
    reference: '账户编号',
    contact: '联系我们',
    expires: '此链接有效期至',
    dispute: '对欠款有异议',
    disputeHint: '请说明您对哪部分有异议及原因',
    optOut: '不再通过此渠道联系我',
    callback: '请给我回电',
    when: '方便的时间',
    note: '备注',
    submit: '提交',
    sms: '短信',
    email: '邮件',
    call: '电话',
    done: '已收到，我们会尽快处理。',
    repeated: '此请求已记录，无需重复提交。',
    gone: '链接无效或已过期',
    goneText: '请联系催收机构获取新的链接。',
    bad: '表单已过期，请重新打开链接。',
    back: '返回',
  },
  en: {
    title: 'Your account',
    owed: 'What is owed',
    total: 'Total',
    principal: 'Principal',
    interest: 'Interest',
    fees: 'Fees',
    penalty: 'Penalty',
    client: 'Creditor',
    reference: 'Account reference',
    contact: 'Contact us',
    expires: 'This link works until',
    dispute: 'I dispute this debt',
    disputeHint: 'Say which part you dispute and why',
    optOut: 'Stop contacting me by',
    callback: 'Please call me back',
    when: 'A good time',
    note: 'Note',
    submit: 'Send',
    sms: 'SMS',
    email: 'e-mail',
    call: 'phone',
    done: 'Received. We will deal with it promptly.',
    repeated: 'This request was already recorded.',
    gone: 'This link is not valid or has expired',
    goneText: 'Ask the agency for a new link.',
    bad: 'This form has expired; open the link again.',
    back: 'Back',
  },
} as const;

function langOf(request: FastifyRequest): Lang {
  const query = request.query as { lang?: string } | undefined;
  if (query?.lang === 'en' || query?.lang === 'zh-CN') return query.lang;
  const accept = String(request.headers['accept-language'] ?? '').toLowerCase();
  if (accept === '') return 'zh-CN';
  const zh = accept.indexOf('zh');
  const en = accept.indexOf('en');
  if (en >= 0 && (zh < 0 || en < zh)) return 'en';
  return 'zh-CN';
}

function document(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse}td{padding:.2rem 1rem .2rem 0}form{margin:1rem 0;padding:.8rem;border:1px solid #ccc}textarea,input{width:100%;box-sizing:border-box}</style></head><body>${body}</body></html>`;
}

function send(reply: FastifyReply, status: number, html: string) {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .send(html);
}

function gone(reply: FastifyReply, lang: Lang) {
  const w = words[lang];
  return send(reply, 404, document(lang, w.gone, `<h1>${w.gone}</h1><p>${w.goneText}</p>`));
}

function pageHtml(page: PageAccount, token: string, lang: Lang, channels: Channels): string {
  const w = words[lang];
  const money = (minor: bigint) => escapeHtml(formatMinor(minor, page.currency, { symbol: true }));
  const c = page.components;
  const rows = (['principal', 'interest', 'fees', 'penalty'] as const)
    .filter((name) => c[name] !== 0n)
    .map((name) => `<tr><td>${w[name]}</td><td>${money(c[name])}</td></tr>`)
    .join('');
  const total = c.principal + c.interest + c.fees + c.penalty;
  const agency = channels.config.agency;
  const contact = agency
    ? `<h2>${w.contact}</h2><p>${escapeHtml(agency.name)}${agency.phone ? `<br>${escapeHtml(agency.phone)}` : ''}${agency.email ? `<br>${escapeHtml(agency.email)}` : ''}</p>`
    : '';
  const action = (form: PageForm) => `${escapeHtml(token)}/${form}?lang=${lang}`;
  const nonce = (form: PageForm) =>
    `<input type="hidden" name="nonce" value="${escapeHtml(formNonce(token, form))}">`;
  return document(
    lang,
    w.title,
    `<h1>${w.title}</h1>
<p>${w.client}: ${escapeHtml(page.clientName)}<br>${w.reference}: ${escapeHtml(page.reference)}</p>
<h2>${w.owed}</h2><table>${rows}<tr><td><b>${w.total}</b></td><td><b>${money(total)}</b></td></tr></table>
${contact}
<form method="post" action="${action('dispute')}">${nonce('dispute')}<h2>${w.dispute}</h2><label>${w.disputeHint}<textarea name="text" maxlength="${pageLimits.textChars}" required></textarea></label><button>${w.submit}</button></form>
<form method="post" action="${action('opt-out')}">${nonce('opt-out')}<h2>${w.optOut}</h2><select name="channel"><option value="sms">${w.sms}</option><option value="email">${w.email}</option><option value="call">${w.call}</option></select> <button>${w.submit}</button></form>
<form method="post" action="${action('callback')}">${nonce('callback')}<h2>${w.callback}</h2><label>${w.when}<input name="when" maxlength="200"></label><label>${w.note}<textarea name="text" maxlength="${pageLimits.textChars}"></textarea></label><button>${w.submit}</button></form>
<p><small>${w.expires} ${escapeHtml(page.expires.toISOString().slice(0, 10))}</small></p>`,
  );
}

const tokenParam = z.object({ token: z.string().max(100) });
const limits = { config: { rateLimit: { max: pageLimits.perMinute, timeWindow: 60_000 } } };

export async function pageRoutes(app: Api, deps: ServerDeps, channels: Channels): Promise<void> {
  const { db } = deps;

  app.post(
    '/accounts/:id/debtor-page-link',
    {
      schema: {
        response: documented({
          201: z.object({ url: z.string(), token: z.string(), expires_at: z.string() }),
        }),
        tags: ['channels'],
        summary: `A signed link to the account's debtor page (what is owed; dispute, opt-out, call-back), valid 1–${pageLimits.maxDays} days`,
        params: idParam,
        body: z.object({ days: z.number().int().min(1).max(pageLimits.maxDays).optional() }),
      },
      preValidation: requireRoles('agent', 'supervisor'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertClientAccess(principal, await accountClientId(db, request.params.id), 'account');
      const link = await createPageLink(db, request.params.id, {
        ...(request.body.days ? { days: request.body.days } : {}),
        publicUrl: channels.config.publicUrl,
        actor: principal.username,
        actorUserId: principal.userId,
        ip: request.ip,
      });
      return reply.status(201).send(link);
    },
  );

  await app.register(async (scope) => {
    const open = scope.withTypeProvider<ZodTypeProvider>();
    open.removeAllContentTypeParsers();
    open.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: pageLimits.formBytes },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    open.get(
      '/debtor-page/:token',
      {
        ...limits,
        schema: {
          tags: ['channels'],
          summary:
            "The debtor page (HTML, no login; the link's signed token): what is owed and the three forms",
          params: tokenParam,
        },
      },
      async (request, reply) => {
        const lang = langOf(request);
        const page = await readPageToken(db, request.params.token);
        if (!page) return gone(reply, lang);
        return send(reply, 200, pageHtml(page, request.params.token, lang, channels));
      },
    );

    open.post(
      '/debtor-page/:token/:form',
      {
        ...limits,
        bodyLimit: pageLimits.formBytes,
        schema: {
          tags: ['channels'],
          summary:
            "The debtor page's forms (a form body with the form's nonce): dispute (text), opt-out (channel sms | email | call), callback (when, text); each recorded once",
          params: z.object({ token: z.string().max(100), form: z.enum(pageForms) }),
        },
      },
      async (request, reply) => {
        const lang = langOf(request);
        const w = words[lang];
        const page = await readPageToken(db, request.params.token);
        if (!page) return gone(reply, lang);
        const form = (request.body ?? {}) as Record<string, string | undefined>;
        const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
        let action: PageAction;
        if (request.params.form === 'dispute') action = { form: 'dispute', text: field('text') };
        else if (request.params.form === 'opt-out') {
          const channel = field('channel');
          if (channel !== 'sms' && channel !== 'email' && channel !== 'call') {
            throw new HuikuanError('bad_input', 'Choose sms, email or call.');
          }
          action = { form: 'opt-out', channel };
        } else action = { form: 'callback', when: field('when').slice(0, 200), text: field('text') };
        let result: { repeated: boolean };
        try {
          result = await recordPageAction(db, page, request.params.token, field('nonce'), action, request.ip);
        } catch (error) {
          if (error instanceof HuikuanError && error.code === 'unauthenticated') {
            return send(reply, 403, document(lang, w.bad, `<h1>${w.bad}</h1>`));
          }
          throw error;
        }
        const back = `<p><a href="../${escapeHtml(request.params.token)}?lang=${lang}">${w.back}</a></p>`;
        const said = result.repeated ? w.repeated : w.done;
        return send(reply, 200, document(lang, said, `<h1>${said}</h1>${back}`));
      },
    );
  });
}
