/**
 * Sending an SMS or e-mail from a Huikuan template (src/templates): the version in force for the
 * code, channel and language, rendered for the account with its jurisdiction's un-removable
 * disclosures, then sent through `sendMessage` — so the quality check and the rule gate run, the
 * verdict is stored, and a denied message is recorded `blocked` with the gate's reason codes
 * (returned, not thrown: the refusal is a recorded outcome). The agents' UI and the strategy
 * engine's template actions both come through here.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { contractInForce } from '../clients/service.ts';
import type { Purpose } from '../compliance/model.ts';
import type { Party } from '../compliance/profiles.ts';
import type { Db } from '../db/connection.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { jurisdictionLanguage, type TemplateLanguage } from '../templates/model.ts';
import {
  type AccountRendering,
  renderForAccount,
  type TemplateVersion,
  templateInForce,
} from '../templates/service.ts';
import type { MessageChannel } from './model.ts';
import { type Channels, type SendOutcome, sendMessage } from './service.ts';

export interface TemplateSendInput {
  accountId: bigint;
  templateCode: string;
  channel: MessageChannel;
  /** Default: the debtor's best point of that channel (valid before unverified, then by position). */
  contactPointId?: bigint | null;
  /** Default: zh-CN for a CN contract, else en. */
  language?: TemplateLanguage;
  /** Default: the point's own party (debtor, or agreed_contact for an agreed contact's point). */
  party?: Party;
  purpose?: Purpose;
  idempotencyKey?: string;
  actor: string;
  actorUserId?: bigint | null;
  ip?: string | null;
  /** The proposed instant for the gate (default now). */
  at?: Date;
}

export interface TemplateSendOutcome extends SendOutcome {
  template: { id: bigint; code: string; version: number; language: TemplateLanguage };
}

const codePattern = /^[a-z0-9][a-z0-9_-]{0,39}$/;

interface PointRow {
  id: bigint;
  kind: 'phone' | 'email';
  status: string;
  party: 'debtor' | 'agreed_contact';
}

/** The point to send to: the one given (checked to be the debtor's, of the right kind), else the best. */
async function pointFor(
  db: Db,
  accountId: bigint,
  channel: MessageChannel,
  given: bigint | null | undefined,
): Promise<PointRow> {
  const kind = channel === 'email' ? 'email' : 'phone';
  const base = db
    .selectFrom('accounts')
    .innerJoin('contact_points', 'contact_points.debtor_id', 'accounts.debtor_id')
    .select(['contact_points.id', 'contact_points.kind', 'contact_points.status', 'contact_points.party'])
    .where('accounts.id', '=', accountId);
  if (given != null) {
    const row = await base.where('contact_points.id', '=', given).executeTakeFirst();
    // a point that is not the debtor's is refused by sendMessage with its own words; kind too
    return row ?? { id: given, kind, status: 'unverified', party: 'debtor' };
  }
  const best = await base
    .where('contact_points.kind', '=', kind)
    .where('contact_points.party', '=', 'debtor')
    .where('contact_points.status', 'in', ['valid', 'unverified'])
    .orderBy(sql`contact_points.status = 'valid'`, 'desc')
    .orderBy('contact_points.position')
    .orderBy('contact_points.id')
    .limit(1)
    .executeTakeFirst();
  if (best) return best;
  const account = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  throw new HuikuanError(
    'invalid_state',
    `Account ${accountId}'s debtor has no ${channel === 'email' ? 'e-mail address' : 'phone number'} that is valid or unverified; add or correct one before sending. Nothing was sent.`,
    { reason: 'no_valid_contact_point', channel },
  );
}

async function defaultLanguage(db: Db, accountId: bigint): Promise<TemplateLanguage> {
  const account = await db
    .selectFrom('accounts')
    .select('client_id')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  const contract = await contractInForce(db, account.client_id, todayIn());
  return jurisdictionLanguage(contract.jurisdiction);
}

/** The first communication about this debt: no contact the gate let through on the account yet. */
async function isFirstContact(db: Db, accountId: bigint): Promise<boolean> {
  const { rows } = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT 1 FROM compliance_contacts WHERE account_id = ${accountId}) AS any`.execute(db);
  return !rows[0]?.any;
}

async function agentName(db: Db, actor: string, userId: bigint | null | undefined): Promise<string> {
  if (userId == null) return actor;
  const user = await db
    .selectFrom('users')
    .select('display_name')
    .where('id', '=', userId)
    .executeTakeFirst();
  return user?.display_name?.trim() || actor;
}

/** The approved version in force, or `not_found` (details.reason no_approved_template). */
async function versionInForce(
  db: Db,
  code: string,
  channel: MessageChannel,
  language: TemplateLanguage,
): Promise<TemplateVersion> {
  try {
    return await templateInForce(db, code, channel, language);
  } catch (error) {
    if (error instanceof HuikuanError && error.code === 'not_found') {
      throw new HuikuanError('not_found', error.message, {
        reason: 'no_approved_template',
        code,
        channel,
        language,
      });
    }
    throw error;
  }
}

export interface TemplatePreviewInput {
  accountId: bigint;
  templateCode: string;
  channel: MessageChannel;
  contactPointId?: bigint | null;
  language?: TemplateLanguage;
  actor: string;
  actorUserId?: bigint | null;
}

export interface TemplatePreview {
  template: TemplateVersion;
  language: TemplateLanguage;
  /** The point it would go to (the one given, else the debtor's best of the channel). */
  contactPointId: bigint;
  party: Party;
  jurisdiction: AccountRendering['jurisdiction'];
  rendered: AccountRendering['rendered'];
}

/**
 * What `sendTemplateMessage` would send now, rendered for the account (the e-mail's opt-out link
 * and an SMS's opt-out line as sent are added by the channel): the preview an agent sees before
 * sending. Throws as `sendTemplateMessage` does before it sends.
 */
export async function previewTemplateMessage(
  db: Db,
  input: TemplatePreviewInput,
  channels: Channels,
): Promise<TemplatePreview> {
  const code = input.templateCode.trim().toLowerCase();
  if (!codePattern.test(code)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.templateCode}" is not a template code: lower-case letters, digits, _ or -, at most 40.`,
    );
  }
  if (input.channel !== 'sms' && input.channel !== 'email') {
    throw new HuikuanError(
      'bad_input',
      'Templates are sent by SMS or e-mail here; letters have their own route.',
    );
  }
  const point = await pointFor(db, input.accountId, input.channel, input.contactPointId);
  const language = input.language ?? (await defaultLanguage(db, input.accountId));
  const template = await versionInForce(db, code, input.channel, language);
  const agency = channels.config.agency;
  const { jurisdiction, rendered } = await renderForAccount(db, {
    template,
    accountId: input.accountId,
    firstContact: await isFirstContact(db, input.accountId),
    agentName: await agentName(db, input.actor, input.actorUserId),
    // the e-mail's own opt-out link is added by sendMessage once the message has its id
    optOutUrl: null,
    ...(agency ? { agency: { name: agency.name, phone: agency.phone } } : {}),
  });
  return {
    template,
    language,
    contactPointId: point.id,
    party: point.party === 'agreed_contact' ? 'agreed_contact' : 'debtor',
    jurisdiction,
    rendered,
  };
}

/**
 * Renders the template version in force for the account and sends it through the gate. A message
 * the gate denies comes back with status `blocked` and its reasons (nothing left). Throws
 * `bad_input` for a malformed code, `not_found` (reason no_approved_template) when the code has no
 * approved version for the channel and language, `invalid_state` (reason no_valid_contact_point)
 * when no point was given and the debtor has none usable, and what `sendMessage` throws
 * (channel not configured, quality check, a point that is not the debtor's).
 */
export async function sendTemplateMessage(
  db: Db,
  input: TemplateSendInput,
  channels: Channels,
): Promise<TemplateSendOutcome> {
  const { template, language, contactPointId, party, rendered } = await previewTemplateMessage(
    db,
    input,
    channels,
  );
  const outcome = await sendMessage(
    db,
    {
      accountId: input.accountId,
      contactPointId,
      channel: input.channel,
      party: input.party ?? party,
      purpose: input.purpose ?? 'collect',
      subject: rendered.subject,
      text: rendered.text,
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      actor: input.actor,
      actorUserId: input.actorUserId ?? null,
      ip: input.ip ?? null,
      ...(input.at ? { at: input.at } : {}),
    },
    channels,
  );
  if (!outcome.repeated) {
    const account = await db
      .selectFrom('accounts')
      .select('client_id')
      .where('id', '=', input.accountId)
      .executeTakeFirstOrThrow();
    await recordAudit(db, {
      actor: input.actor,
      actorUserId: input.actorUserId ?? null,
      ip: input.ip ?? null,
      action: 'channel_message.from_template',
      entityType: 'channel_message',
      entityId: outcome.message.id,
      clientId: account.client_id,
      after: {
        account_id: input.accountId,
        template_id: template.id,
        template_code: template.code,
        template_version: template.version,
        language,
        status: outcome.message.status,
        reasons: outcome.message.reasons,
      },
    });
  }
  return {
    ...outcome,
    template: { id: template.id, code: template.code, version: template.version, language },
  };
}
