/**
 * What the consent rules (model.ts `consentRules`) read from the database for one proposed contact:
 * whether the debtor's consent to the channel is in force at the instant (on this point or every
 * point), and when the debtor last texted from the number (channel_replies of channel sms on the
 * contact point, up to the instant). Read by the gate inside its transaction, after the debtor's lock.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ChannelConsentState } from './model.ts';
import type { Channel } from './profiles.ts';

/** How far back texts are looked for: the longest window (60 days) and a day either side for zones. */
const textLookbackDays = 62;

export async function channelConsentState(
  trx: Kysely<Database>,
  request: { debtorId: bigint; contactPointId: bigint | null; channel: Channel; at: Date },
): Promise<ChannelConsentState> {
  const { debtorId, contactPointId, channel, at } = request;
  const { rows } = await sql<{ consent: boolean; last_text: Date | null }>`
    SELECT
      EXISTS (
        SELECT 1 FROM compliance_consents
         WHERE debtor_id = ${debtorId} AND kind = 'channel' AND channel = ${channel}
           AND (contact_point_id IS NULL OR contact_point_id = ${contactPointId}::bigint)
           AND given_at <= ${at} AND (expires_at IS NULL OR expires_at > ${at})
           AND (withdrawn_at IS NULL OR withdrawn_at > ${at})) AS consent,
      CASE WHEN ${channel} = 'sms' AND ${contactPointId}::bigint IS NOT NULL THEN (
        SELECT max(received_at) FROM channel_replies
         WHERE contact_point_id = ${contactPointId}::bigint AND debtor_id = ${debtorId} AND channel = 'sms'
           AND received_at <= ${at}
           AND received_at > ${at}::timestamptz - make_interval(days => ${textLookbackDays})) END AS last_text`.execute(
    trx,
  );
  const row = rows[0];
  return {
    consent: row?.consent === true,
    lastInboundTextMs: row?.last_text ? row.last_text.getTime() : null,
  };
}
