/**
 * Message templates in the database: versions proposed, approved or rejected by a second user, the
 * version in force, and rendering for a real account (preview, and what the channels send).
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { contractInForce } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { assertCleanOutbound } from '../qa/service.ts';
import { daysBetween, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor } from '../shared/money.ts';
import {
  checkTemplate,
  type RenderedMessage,
  renderTemplate,
  type TemplateChannel,
  type TemplateJurisdiction,
  type TemplateLanguage,
  type TemplateValues,
  templateJurisdictions,
  templateLimits,
} from './model.ts';
import type { TemplateTables } from './tables.ts';

export interface TemplateVersion {
  id: bigint;
  code: string;
  channel: TemplateChannel;
  language: TemplateLanguage;
  version: number;
  subject: string | null;
  body: string;
  variables: string[];
  status: 'proposed' | 'approved' | 'rejected';
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}

function table(db: Db) {
  return db.withTables<TemplateTables>();
}

const codePattern = /^[a-z0-9][a-z0-9_-]*$/;

export interface TemplateProposal {
  code: string;
  channel: TemplateChannel;
  language: TemplateLanguage;
  subject: string | null;
  body: string;
  reason: string;
}

/** A new version of a template (its code, channel and language), waiting for another user's decision. */
export async function proposeTemplate(
  db: Db,
  input: TemplateProposal,
  actor: string,
): Promise<TemplateVersion> {
  const code = input.code.trim().toLowerCase();
  if (!codePattern.test(code) || code.length > templateLimits.codeLength) {
    throw new HuikuanError(
      'bad_input',
      `"${input.code}" is not a template code: lower-case letters, digits, _ or -, at most ${templateLimits.codeLength}.`,
    );
  }
  if (input.reason.trim().length === 0) throw new HuikuanError('bad_input', 'Say why the template changes.');
  const variables = checkTemplate(input);
  // what the agency sends must pass the quality check: the text as written, variables aside
  assertCleanOutbound(
    [input.subject ?? '', input.body].join('\n').replace(/\{\{[^{}]*\}\}/g, ' '),
    'The template',
  );
  return db.transaction().execute(async (trx) => {
    // one proposer at a time per template: the version number is the next one
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`template:${code}:${input.channel}:${input.language}`}))`.execute(
      trx,
    );
    const last = await table(trx)
      .selectFrom('message_templates')
      .select(({ fn }) => fn.max('version').as('version'))
      .where('code', '=', code)
      .where('channel', '=', input.channel)
      .where('language', '=', input.language)
      .executeTakeFirst();
    const row = await table(trx)
      .insertInto('message_templates')
      .values({
        code,
        channel: input.channel,
        language: input.language,
        version: (last?.version ?? 0) + 1,
        subject: input.channel === 'email' ? (input.subject?.trim() ?? null) : null,
        body: input.body.trim(),
        variables,
        reason: input.reason.trim(),
        proposed_by: actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor,
      action: 'template.proposed',
      entityType: 'message_template',
      entityId: row.id,
      after: { code, channel: row.channel, language: row.language, version: row.version, reason: row.reason },
    });
    return row as TemplateVersion;
  });
}

/** Approves or rejects a proposed version; the proposer cannot decide it. */
export async function decideTemplate(
  db: Db,
  id: bigint,
  decision: 'approve' | 'reject',
  reason: string,
  actor: string,
): Promise<TemplateVersion> {
  return db.transaction().execute(async (trx) => {
    const row = await table(trx)
      .selectFrom('message_templates')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `Template version ${id} does not exist.`);
    if (row.status !== 'proposed') {
      throw new HuikuanError('invalid_state', `Template version ${id} was already ${row.status}.`);
    }
    if (row.proposed_by === actor) {
      throw new HuikuanError(
        'forbidden',
        `${actor} proposed template version ${id}; another user must decide it.`,
      );
    }
    const decided = await table(trx)
      .updateTable('message_templates')
      .set({
        status: decision === 'approve' ? 'approved' : 'rejected',
        decided_by: actor,
        decided_at: new Date(),
        decision_reason: reason.trim() || null,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor,
      action: decision === 'approve' ? 'template.approved' : 'template.rejected',
      entityType: 'message_template',
      entityId: id,
      before: { status: 'proposed' },
      after: { status: decided.status, code: row.code, version: row.version, reason: reason.trim() || null },
    });
    return decided as TemplateVersion;
  });
}

export async function listTemplates(
  db: Db,
  filter: { code?: string; channel?: TemplateChannel; language?: TemplateLanguage; status?: string },
): Promise<TemplateVersion[]> {
  let query = table(db).selectFrom('message_templates').selectAll();
  if (filter.code) query = query.where('code', '=', filter.code);
  if (filter.channel) query = query.where('channel', '=', filter.channel);
  if (filter.language) query = query.where('language', '=', filter.language);
  if (filter.status) query = query.where('status', '=', filter.status as TemplateVersion['status']);
  const rows = await query
    .orderBy('code')
    .orderBy('channel')
    .orderBy('language')
    .orderBy('version', 'desc')
    .execute();
  return rows as TemplateVersion[];
}

export async function templateVersion(db: Db, id: bigint): Promise<TemplateVersion> {
  const row = await table(db)
    .selectFrom('message_templates')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `Template version ${id} does not exist.`);
  return row as TemplateVersion;
}

/** The version in force: the newest approved one. */
export async function templateInForce(
  db: Db,
  code: string,
  channel: TemplateChannel,
  language: TemplateLanguage,
): Promise<TemplateVersion> {
  const row = await table(db)
    .selectFrom('message_templates')
    .selectAll()
    .where('code', '=', code)
    .where('channel', '=', channel)
    .where('language', '=', language)
    .where('status', '=', 'approved')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) {
    throw new HuikuanError(
      'not_found',
      `There is no approved ${language} ${channel} template "${code}": propose one and have another user approve it.`,
    );
  }
  return row as TemplateVersion;
}

export interface AccountRendering {
  template: TemplateVersion;
  jurisdiction: TemplateJurisdiction;
  rendered: RenderedMessage;
}

/**
 * A template version filled with a real account's values and its contract's jurisdiction's
 * disclosures: the preview, and the text a channel sends. Draws on the account as the caller's
 * transaction sees it (under row-level security an account out of scope is not found).
 */
export async function renderForAccount(
  db: Db,
  input: {
    template: TemplateVersion;
    accountId: bigint;
    firstContact: boolean;
    agentName: string;
    optOutUrl?: string | null;
    agency?: { name: string; phone?: string | null };
  },
): Promise<AccountRendering> {
  const account = await sql<{
    client_id: bigint;
    client_name: string;
    ref: string;
    debtor_name: string;
    currency: string;
    balance: bigint;
    delinquency_date: string;
  }>`
    SELECT a.client_id, c.name AS client_name, a.client_account_ref AS ref, d.name AS debtor_name,
           trim(a.currency) AS currency, a.delinquency_date,
           a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance
      FROM accounts a JOIN clients c ON c.id = a.client_id JOIN debtors d ON d.id = a.debtor_id
     WHERE a.id = ${input.accountId}`.execute(db);
  const row = account.rows[0];
  if (!row) throw new HuikuanError('not_found', `No account ${input.accountId}.`);
  const today = todayIn();
  const contract = await contractInForce(db, row.client_id, today);
  const jurisdiction = (templateJurisdictions as readonly string[]).includes(contract.jurisdiction)
    ? (contract.jurisdiction as TemplateJurisdiction)
    : 'CN';
  const agencyName = input.agency?.name ?? process.env.HUIKUAN_AGENCY_NAME ?? '';
  if (agencyName.trim() === '') {
    throw new HuikuanError(
      'invalid_state',
      'The agency has no name to identify itself with: set HUIKUAN_AGENCY_NAME (every message must name the agency).',
    );
  }
  const values: TemplateValues = {
    debtor_name: row.debtor_name,
    account_ref: row.ref,
    client_name: row.client_name,
    agency_name: agencyName,
    agency_phone: input.agency?.phone ?? process.env.HUIKUAN_AGENCY_PHONE ?? '',
    balance: formatMinor(row.balance, row.currency, { symbol: true }),
    currency: row.currency,
    days_past_due: String(Math.max(0, daysBetween(row.delinquency_date, today))),
    today,
    agent_name: input.agentName,
  };
  const rendered = renderTemplate(
    {
      channel: input.template.channel,
      language: input.template.language,
      subject: input.template.subject,
      body: input.template.body,
    },
    values,
    { jurisdiction, firstContact: input.firstContact, optOutUrl: input.optOutUrl ?? null },
  );
  return { template: input.template, jurisdiction, rendered };
}

/**
 * The call script for an account (the agent workspace): the approved 'script' template whose code is
 * the account's strategy segment, else the 'default' one, in `language`, filled for the account with
 * its disclosures (what the agent must say). Null when neither exists. Scripts are never sent.
 */
export async function scriptForAccount(
  db: Db,
  input: {
    accountId: bigint;
    language: TemplateLanguage;
    agentName: string;
    agency?: { name: string; phone?: string | null };
  },
): Promise<(AccountRendering & { segment: string | null; fallback: boolean }) | null> {
  const treatment = await sql<{ segment: string }>`
    SELECT segment FROM account_treatments WHERE account_id = ${input.accountId}
     ORDER BY entered_on DESC LIMIT 1`.execute(db);
  const segment = treatment.rows[0]?.segment ?? null;
  const codes = segment && segment !== 'default' ? [segment.toLowerCase(), 'default'] : ['default'];
  for (const [index, code] of codes.entries()) {
    const row = await table(db)
      .selectFrom('message_templates')
      .selectAll()
      .where('code', '=', code)
      .where('channel', '=', 'script')
      .where('language', '=', input.language)
      .where('status', '=', 'approved')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) continue;
    const rendering = await renderForAccount(db, {
      template: row as TemplateVersion,
      accountId: input.accountId,
      firstContact: false,
      agentName: input.agentName,
      ...(input.agency ? { agency: input.agency } : {}),
    });
    return { ...rendering, segment, fallback: index > 0 || segment === null };
  }
  return null;
}
