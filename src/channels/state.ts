/**
 * The account page's channels: every contact point of the account's debtor (their own and agreed
 * contacts'), each with its status, the opt-outs covering it, the consents given for it, and per
 * channel the latest message or call with its delivery status and the verdict the rule gate would
 * give now (`previewContact`: nothing stored, nothing counted). Values are only ever the stored
 * masked form; a client user sees less (see `maskForClient`).
 */
import { sql } from 'kysely';
import type { Purpose } from '../compliance/model.ts';
import type { Party } from '../compliance/profiles.ts';
import { type GatePreview, previewContact, previewContacts } from '../compliance/service.ts';
import type { ComplianceTables } from '../compliance/tables.ts';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { AnyChannel } from './model.ts';

export const channelStateLimits = {
  /** Contact points listed for one debtor (the most recently useful first past this). */
  points: 50,
  /** Consents listed per point. */
  consents: 20,
};

export type PointChannel = 'call' | 'sms' | 'email';

export interface PreviewView {
  verdict: GatePreview['verdict'];
  reasons: string[];
  jurisdiction: string;
  profile_version: number;
  overrides: string[];
}

export interface LastMessageView {
  id: bigint;
  channel: AnyChannel;
  status: string;
  verdict: string | null;
  reasons: string[];
  created_at: Date;
  status_at: Date;
}

export interface PointChannelView {
  channel: PointChannel;
  /** The verdict the gate would give now for this point and channel. */
  preview: PreviewView;
  last: LastMessageView | null;
}

export interface ContactPointChannels {
  id: bigint;
  kind: 'phone' | 'email';
  party: 'debtor' | 'agreed_contact';
  /** Masked (a client user sees less of it). */
  value: string;
  status: 'unverified' | 'valid' | 'invalid' | 'do_not_contact';
  /** An agreed contact's name and relation (null for a client user and for the debtor's own points). */
  holder_name: string | null;
  relation: string | null;
  /** Open opt-outs covering the point: on the point itself, the debtor, or this account. */
  opt_outs: Array<{
    id: bigint;
    channel: PointChannel;
    source: string;
    since: Date;
    scope: 'point' | 'debtor' | 'account';
  }>;
  /** Consents covering the point (every channel or one), with their date and source. */
  consents: Array<{
    id: bigint;
    kind: string;
    channel: string | null;
    source: string;
    given_at: Date;
    expires_at: Date | null;
    current: boolean;
  }>;
  channels: PointChannelView[];
}

export interface AccountChannels {
  account_id: bigint;
  at: Date;
  points: ContactPointChannels[];
}

const optOutChannel: Record<string, PointChannel> = {
  opt_out_call: 'call',
  opt_out_sms: 'sms',
  opt_out_email: 'email',
};

/** What a client user sees of a masked value: the kind and its last characters, no more. */
export function maskForClient(kind: 'phone' | 'email', masked: string): string {
  if (kind === 'email') {
    const at = masked.lastIndexOf('@');
    return at < 0 ? '***' : `***${masked.slice(at)}`;
  }
  return `***${masked.slice(-2)}`;
}

export function channelsOfKind(kind: 'phone' | 'email'): PointChannel[] {
  return kind === 'email' ? ['email'] : ['call', 'sms'];
}

export function previewView(preview: GatePreview): PreviewView {
  return {
    verdict: preview.verdict,
    reasons: [...preview.reasons],
    jurisdiction: preview.jurisdiction,
    profile_version: preview.profile.version,
    overrides: [...preview.profile.overrides],
  };
}

/**
 * The channels of the account's debtor's contact points, with the gate's verdict now for each.
 * Reads only (under the caller's client scope when given a scoped transaction).
 */
export async function accountChannels(
  db: Db,
  input: { accountId: bigint; actor: string; forClient: boolean; at?: Date },
): Promise<AccountChannels> {
  const at = input.at ?? new Date();
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'debtor_id'])
    .where('id', '=', input.accountId)
    .executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `There is no account ${input.accountId}.`);
  const points = await db
    .selectFrom('contact_points')
    .select(['id', 'kind', 'party', 'value_masked', 'status', 'holder_name', 'relation'])
    .where('debtor_id', '=', account.debtor_id)
    // the debtor's own points first, then agreed contacts'
    .orderBy(sql`party = 'agreed_contact'`)
    .orderBy('kind', 'desc')
    .orderBy('position')
    .orderBy('id')
    .limit(channelStateLimits.points)
    .execute();
  const ids = points.map((point) => point.id);
  if (ids.length === 0) return { account_id: input.accountId, at, points: [] };
  const compliance = db.withTables<ComplianceTables>();
  const [holds, consents, lasts] = await Promise.all([
    compliance
      .selectFrom('compliance_holds')
      .select(['id', 'kind', 'source', 'starts_at', 'account_id', 'contact_point_id'])
      .where('debtor_id', '=', account.debtor_id)
      .where('kind', 'in', Object.keys(optOutChannel))
      .where((eb) => eb.or([eb('account_id', 'is', null), eb('account_id', '=', input.accountId)]))
      .where('starts_at', '<=', at)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', at)]))
      .where((eb) => eb.or([eb('lifted_at', 'is', null), eb('lifted_at', '>', at)]))
      .orderBy('id')
      .execute(),
    compliance
      .selectFrom('compliance_consents')
      .select([
        'id',
        'kind',
        'channel',
        'source',
        'given_at',
        'expires_at',
        'withdrawn_at',
        'contact_point_id',
      ])
      .where('debtor_id', '=', account.debtor_id)
      .where((eb) => eb.or([eb('withdrawn_at', 'is', null), eb('withdrawn_at', '>', at)]))
      .orderBy('given_at', 'desc')
      .limit(channelStateLimits.consents * 4)
      .execute(),
    // the latest message or call per point and channel, of this account
    sql<{
      id: bigint;
      contact_point_id: bigint;
      channel: AnyChannel;
      status: string;
      verdict: string | null;
      reasons: string[];
      created_at: Date;
      status_at: Date;
    }>`
      SELECT DISTINCT ON (contact_point_id, channel)
             id, contact_point_id, channel, status, verdict, reasons, created_at, status_at
        FROM channel_messages
       WHERE account_id = ${input.accountId} AND contact_point_id = ANY(${ids}::bigint[])
       ORDER BY contact_point_id, channel, id DESC`.execute(db),
  ]);
  // the gate's verdict now for every point and channel, the account's part of it read once
  const targets = points.flatMap((point) =>
    channelsOfKind(point.kind).map((channel) => ({
      contactPointId: point.id,
      channel,
      party: (point.party === 'agreed_contact' ? 'agreed_contact' : 'debtor') as Party,
      actor: input.actor,
    })),
  );
  const previews = await previewContacts(db, input.accountId, at, targets);
  const result: ContactPointChannels[] = [];
  // previews come in the order of targets: point by point, channel by channel, as walked here
  let next = 0;
  for (const point of points) {
    const channels: PointChannelView[] = [];
    for (const channel of channelsOfKind(point.kind)) {
      const preview = previews[next] as GatePreview;
      next += 1;
      const last = lasts.rows.find((row) => row.contact_point_id === point.id && row.channel === channel);
      channels.push({
        channel,
        preview: previewView(preview),
        last: last
          ? {
              id: last.id,
              channel: last.channel,
              status: last.status,
              verdict: last.verdict,
              reasons: last.reasons,
              created_at: last.created_at,
              status_at: last.status_at,
            }
          : null,
      });
    }
    const own = channelsOfKind(point.kind);
    result.push({
      id: point.id,
      kind: point.kind,
      party: point.party,
      value: input.forClient ? maskForClient(point.kind, point.value_masked) : point.value_masked,
      status: point.status,
      holder_name: input.forClient ? null : point.holder_name,
      relation: input.forClient ? null : point.relation,
      opt_outs: holds
        .filter((hold) => {
          const channel = optOutChannel[hold.kind];
          return (
            channel !== undefined &&
            own.includes(channel) &&
            (hold.contact_point_id === null || hold.contact_point_id === point.id)
          );
        })
        .map((hold) => ({
          id: hold.id,
          channel: optOutChannel[hold.kind] as PointChannel,
          source: hold.source,
          since: hold.starts_at,
          scope: hold.contact_point_id !== null ? 'point' : hold.account_id !== null ? 'account' : 'debtor',
        })),
      consents: consents
        .filter(
          (consent) =>
            (consent.contact_point_id === null || consent.contact_point_id === point.id) &&
            (consent.channel === null || (own as string[]).includes(consent.channel)),
        )
        .slice(0, channelStateLimits.consents)
        .map((consent) => ({
          id: consent.id,
          kind: consent.kind,
          channel: consent.channel,
          source: consent.source,
          given_at: consent.given_at,
          expires_at: consent.expires_at,
          current: consent.given_at <= at && (consent.expires_at === null || consent.expires_at > at),
        })),
      channels,
    });
  }
  return { account_id: input.accountId, at, points: result };
}

/**
 * The gate's verdict now for one proposed contact, not stored and not counted (previewContact); a
 * read, so not audited. The party defaults to the point's own (agreed_contact on an agreed
 * contact's point).
 */
export async function contactCheck(
  db: Db,
  input: {
    accountId: bigint;
    channel: 'call' | 'sms' | 'email' | 'letter';
    contactPointId?: bigint | null;
    party?: Party;
    purpose?: Purpose;
    actor: string;
    at?: Date;
  },
): Promise<PreviewView & { account_id: bigint; contact_point_id: bigint | null; channel: string; at: Date }> {
  const at = input.at ?? new Date();
  let party = input.party;
  const contactPointId = input.contactPointId ?? null;
  if (contactPointId !== null) {
    const point = await db
      .selectFrom('contact_points')
      .innerJoin('accounts', 'accounts.debtor_id', 'contact_points.debtor_id')
      .select(['contact_points.kind', 'contact_points.party'])
      .where('accounts.id', '=', input.accountId)
      .where('contact_points.id', '=', contactPointId)
      .executeTakeFirst();
    if (point) {
      const wanted = input.channel === 'email' ? 'email' : input.channel === 'letter' ? null : 'phone';
      if (wanted !== null && point.kind !== wanted) {
        throw new HuikuanError(
          'bad_input',
          `Contact point ${contactPointId} is ${point.kind === 'email' ? 'an e-mail address' : 'a phone number'}; a ${input.channel} needs ${wanted === 'email' ? 'an e-mail address' : 'a phone number'}.`,
        );
      }
      party ??= point.party === 'agreed_contact' ? 'agreed_contact' : 'debtor';
    }
  }
  const preview = await previewContact(db, {
    accountId: input.accountId,
    contactPointId,
    channel: input.channel,
    party: party ?? 'debtor',
    purpose: input.purpose ?? 'collect',
    at,
    actor: input.actor,
  });
  return {
    account_id: input.accountId,
    contact_point_id: contactPointId,
    channel: input.channel,
    at,
    ...previewView(preview),
  };
}
