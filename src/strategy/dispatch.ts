/**
 * The strategy's message dispatcher (issue 5 point 2): after the nightly run, the message actions
 * that are due (strategy_actions, kind message, pending) go out through the template send
 * (src/channels/template-send.ts: the template in force, the quality check and the compliance gate)
 * — SMS and e-mail — or the letter queue (src/channels/letters.ts) with the letter template's text.
 * Bounded: claimed in batches (FOR UPDATE SKIP LOCKED, so several dispatchers share the work), at
 * most `perSecond` sends a second and `limit` a pass. Each action's idempotency key is its id, so an
 * action claimed again after a crash is never sent twice. The outcome is recorded on the action:
 * sent, refused (the gate's reason codes, or why it could not be sent: no approved template, no
 * usable contact point …) or failed (the provider's error).
 */
import { sql } from 'kysely';
import { queueLetter } from '../channels/letters.ts';
import type { Channels, MessageView } from '../channels/service.ts';
import { sendTemplateMessage, type TemplateSendInput } from '../channels/template-send.ts';
import { contractInForce } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { type BusinessDate, todayIn } from '../shared/dates.ts';
import { HuikuanError, isHuikuanError } from '../shared/errors.ts';
import { jurisdictionLanguage } from '../templates/model.ts';
import { renderForAccount, templateInForce } from '../templates/service.ts';

export const dispatchDefaults = {
  batchSize: 100,
  perSecond: 20,
  limit: 10_000,
  /** A claim older than this is taken as a crashed dispatcher's and claimed again. */
  staleClaimMinutes: 15,
} as const;

export const dispatchActor = 'strategy-dispatch';

export interface DispatchOptions {
  /** Actions due on or before this date (default today in Asia/Shanghai). */
  asOf?: BusinessDate;
  batchSize?: number;
  perSecond?: number;
  limit?: number;
  /** The instant proposed to the gate (default now; tests fix it). */
  at?: Date;
  actor?: string;
  /** The template send (tests may stand in for it). */
  send?: typeof sendTemplateMessage;
}

export interface DispatchResult {
  claimed: number;
  sent: number;
  refused: number;
  failed: number;
}

interface Claimed {
  id: bigint;
  client_id: bigint;
  account_id: bigint;
  channel: 'sms' | 'email' | 'letter';
  template: string;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new HuikuanError('bad_usage', `${name} must be a whole number of at least 1.`);
  }
  return value;
}

export async function dispatchStrategyMessages(
  db: Db,
  channels: Channels,
  options: DispatchOptions = {},
): Promise<DispatchResult> {
  const asOf = options.asOf ?? todayIn();
  const batchSize = positive(options.batchSize ?? dispatchDefaults.batchSize, 'The batch size');
  const perSecond = positive(options.perSecond ?? dispatchDefaults.perSecond, 'The rate per second');
  const limit = positive(options.limit ?? dispatchDefaults.limit, 'The limit');
  const send = options.send ?? sendTemplateMessage;
  const actor = options.actor ?? dispatchActor;
  const result: DispatchResult = { claimed: 0, sent: 0, refused: 0, failed: 0 };
  const started = performance.now();
  while (result.claimed < limit) {
    const batch = await sql<Claimed>`
      UPDATE strategy_actions
         SET status = 'sending', attempts = attempts + 1, claimed_at = now()
       WHERE id IN (
         SELECT id FROM strategy_actions
          WHERE kind = 'message' AND due_on <= ${asOf}::date
            AND (status = 'pending'
                 OR status = 'sending' AND claimed_at < now() - make_interval(mins => ${dispatchDefaults.staleClaimMinutes}))
          ORDER BY due_on, priority DESC, id
          LIMIT ${Math.min(batchSize, limit - result.claimed)}
            FOR UPDATE SKIP LOCKED)
      RETURNING id, client_id, account_id, channel, template`.execute(db);
    if (batch.rows.length === 0) break;
    for (const action of batch.rows.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      result.claimed++;
      const outcome = await dispatchOne(db, channels, action, { send, actor, at: options.at });
      result[outcome]++;
      // at most perSecond sends a second over the pass
      const ahead = (result.claimed / perSecond) * 1000 - (performance.now() - started);
      if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  }
  return result;
}

async function dispatchOne(
  db: Db,
  channels: Channels,
  action: Claimed,
  how: { send: typeof sendTemplateMessage; actor: string; at: Date | undefined },
): Promise<'sent' | 'refused' | 'failed'> {
  const idempotencyKey = `strategy-action-${action.id}`;
  let status: 'sent' | 'refused' | 'failed';
  let reasons: string[] = [];
  let error: string | null = null;
  let messageId: bigint | null = null;
  try {
    const message =
      action.channel === 'letter'
        ? await sendLetter(db, channels, action, idempotencyKey, how)
        : (
            await how.send(
              db,
              {
                accountId: action.account_id,
                templateCode: action.template,
                channel: action.channel,
                idempotencyKey,
                actor: how.actor,
                ...(how.at ? { at: how.at } : {}),
              } satisfies TemplateSendInput,
              channels,
            )
          ).message;
    messageId = message.id;
    reasons = message.reasons ?? [];
    if (message.status === 'blocked') status = 'refused';
    else if (message.status === 'failed' || message.status === 'undelivered') {
      status = 'failed';
      error = message.error;
    } else status = 'sent';
  } catch (caught) {
    if (isHuikuanError(caught)) {
      // the account, its template or the channel stands in the way: recorded, not retried
      const details = caught.details as { reason?: unknown } | null;
      status = 'refused';
      reasons = [typeof details?.reason === 'string' ? details.reason : caught.code];
      error = caught.message;
    } else {
      status = 'failed';
      error = caught instanceof Error ? caught.message : String(caught);
    }
  }
  await sql`
    UPDATE strategy_actions
       SET status = ${status}, reasons = ${reasons}::text[], error = ${error}, message_id = ${messageId},
           finished_at = now()
     WHERE id = ${action.id}`.execute(db);
  return status;
}

/** A letter from the letter template in force, in the contract's language, onto the print queue. */
async function sendLetter(
  db: Db,
  channels: Channels,
  action: Claimed,
  idempotencyKey: string,
  how: { actor: string; at: Date | undefined },
): Promise<MessageView> {
  const contract = await contractInForce(db, action.client_id, todayIn());
  const language = jurisdictionLanguage(contract.jurisdiction);
  let template: Awaited<ReturnType<typeof templateInForce>>;
  try {
    template = await templateInForce(db, action.template, 'letter', language);
  } catch (caught) {
    if (isHuikuanError(caught) && caught.code === 'not_found') {
      throw new HuikuanError('not_found', caught.message, { reason: 'no_approved_template' });
    }
    throw caught;
  }
  const { rendered } = await renderForAccount(db, {
    template,
    accountId: action.account_id,
    firstContact: false,
    agentName: how.actor,
    ...(channels.config.agency
      ? { agency: { name: channels.config.agency.name, phone: channels.config.agency.phone } }
      : {}),
  });
  // the body only: queueLetter prints the profile's letter disclosures itself (a superset of the
  // template's), so the rendered text with its disclosures would print them twice
  const body = rendered.body
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0)
    .slice(0, 20);
  const outcome = await queueLetter(
    db,
    {
      accountId: action.account_id,
      kind: 'letter',
      templateCode: template.code,
      lang: language,
      ...(rendered.subject ? { subject: rendered.subject } : {}),
      body,
      idempotencyKey,
      actor: how.actor,
      ...(how.at ? { at: how.at } : {}),
    },
    channels.config,
  );
  return outcome.message;
}
