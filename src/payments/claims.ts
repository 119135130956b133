/**
 * Payment claims (待银行查账): an agent registers a payment the debtor says they made; finance
 * verifies it against the bank, which posts it through the ledger's postPayments (idempotent by the
 * external id `claim:<id>`, so a retried verification never posts twice), or rejects it. The
 * verifier is never the agent who registered it.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { postPayments } from '../ledger/payments.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type Channel, liveStatuses } from './model.ts';

export type ClaimStatus = 'pending' | 'verified' | 'rejected';

export interface ClaimView {
  id: bigint;
  client: string;
  client_id: bigint;
  account_id: bigint;
  account_ref: string;
  debtor_name: string;
  amount_minor: bigint;
  currency: string;
  paid_on: string;
  channel: Channel;
  reference: string | null;
  status: ClaimStatus;
  claimed_by: string;
  claimed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  reject_reason: string | null;
  entry_id: bigint | null;
}

const claimSelect = sql`
  SELECT k.id, c.code AS client, k.client_id, k.account_id, a.client_account_ref AS account_ref, d.name AS debtor_name,
         k.amount_minor, trim(k.currency) AS currency, k.paid_on, k.channel, k.reference, k.status, k.claimed_by,
         k.claimed_at, k.decided_by, k.decided_at, k.reject_reason, k.entry_id
    FROM payment_claims k
    JOIN clients c ON c.id = k.client_id
    JOIN accounts a ON a.id = k.account_id
    JOIN debtors d ON d.id = a.debtor_id`;

export async function showClaim(db: Db, id: bigint): Promise<ClaimView> {
  const row = (await sql<ClaimView>`${claimSelect} WHERE k.id = ${id}`.execute(db)).rows[0];
  if (!row) throw new HuikuanError('not_found', `There is no payment claim ${id}.`);
  return row;
}

export async function registerClaim(
  db: Db,
  input: {
    accountId: bigint;
    amountMinor: bigint;
    paidOn: string;
    channel: Channel;
    reference?: string;
    actor: string;
    today: string;
  },
): Promise<ClaimView> {
  if (input.amountMinor <= 0n) throw new HuikuanError('bad_input', 'The amount must be greater than 0.');
  if (input.paidOn > input.today) {
    throw new HuikuanError(
      'bad_input',
      `paid_on ${input.paidOn} is in the future; register a payment once it is made.`,
    );
  }
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'client_id', 'currency', 'status'])
    .where('id', '=', input.accountId)
    .executeTakeFirst();
  if (!account) throw new HuikuanError('not_found', `There is no account ${input.accountId}.`);
  if (!liveStatuses.has(account.status)) {
    throw new HuikuanError(
      'invalid_state',
      `Account ${input.accountId} is ${account.status}; it takes no payments.`,
    );
  }
  const inserted = await sql<{ id: bigint }>`
    INSERT INTO payment_claims (client_id, account_id, amount_minor, currency, paid_on, channel, reference, claimed_by)
    VALUES (${account.client_id}, ${account.id}, ${input.amountMinor}, ${account.currency}, ${input.paidOn},
            ${input.channel}, ${input.reference ?? null}, ${input.actor})
    RETURNING id`.execute(db);
  const id = inserted.rows[0]?.id;
  if (id === undefined) throw new HuikuanError('internal', 'The claim was not stored.');
  return showClaim(db, id);
}

export async function listClaims(
  db: Db,
  filter: {
    clientIds: bigint[] | 'all';
    clientId?: bigint;
    status?: ClaimStatus;
    claimedBy?: string;
    accountId?: bigint;
    offset: number;
    limit: number;
  },
): Promise<{ items: ClaimView[]; total: number }> {
  if (filter.clientIds !== 'all' && filter.clientIds.length === 0) return { items: [], total: 0 };
  const conditions = [sql`true`];
  if (filter.clientIds !== 'all')
    conditions.push(sql`k.client_id = ANY(${filter.clientIds.map(String)}::bigint[])`);
  if (filter.clientId !== undefined) conditions.push(sql`k.client_id = ${filter.clientId}`);
  if (filter.status !== undefined) conditions.push(sql`k.status = ${filter.status}`);
  if (filter.claimedBy !== undefined) conditions.push(sql`k.claimed_by = ${filter.claimedBy}`);
  if (filter.accountId !== undefined) conditions.push(sql`k.account_id = ${filter.accountId}`);
  const where = sql.join(conditions, sql` AND `);
  const count = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM payment_claims k WHERE ${where}`.execute(db);
  const rows = await sql<ClaimView>`
    ${claimSelect} WHERE ${where} ORDER BY k.id DESC OFFSET ${filter.offset} LIMIT ${filter.limit}`.execute(
    db,
  );
  return { items: rows.rows, total: Number(count.rows[0]?.n ?? 0) };
}

async function pendingClaim(db: Db, id: bigint, actor: string, verb: string): Promise<ClaimView> {
  const claim = await showClaim(db, id);
  if (claim.status !== 'pending') {
    throw new HuikuanError('invalid_state', `Payment claim ${id} was already ${claim.status}.`);
  }
  if (claim.claimed_by === actor) {
    throw new HuikuanError('forbidden', `You registered payment claim ${id}; another user must ${verb} it.`);
  }
  return claim;
}

/** Verifies a claim: posts the payment through the ledger and marks the claim verified. */
export async function verifyClaim(db: Db, id: bigint, actor: string): Promise<ClaimView> {
  const claim = await pendingClaim(db, id, actor, 'verify');
  const [result] = await postPayments(
    db,
    [
      {
        clientId: claim.client_id,
        accountId: claim.account_id,
        externalId: `claim:${claim.id}`,
        amountMinor: claim.amount_minor,
        currency: claim.currency,
        paidOn: claim.paid_on,
        paidAt: null,
        channel: claim.channel,
        direct: claim.channel === 'direct_to_client',
        reference: claim.reference ?? undefined,
        source: `payment_claim:${claim.id}`,
      },
    ],
    actor,
  );
  if (!result || result.status === 'rejected') {
    throw new HuikuanError(
      'invalid_state',
      `Payment claim ${id} cannot be posted: ${result?.reason ?? 'the ledger refused it'}. Reject the claim instead.`,
    );
  }
  let entryId = result.entryId ?? null;
  if (entryId === null) {
    const entry = await db
      .selectFrom('journal_entries')
      .select('id')
      .where('client_id', '=', claim.client_id)
      .where('external_id', '=', `claim:${claim.id}`)
      .executeTakeFirst();
    entryId = entry?.id ?? null;
  }
  const updated = await sql`
    UPDATE payment_claims SET status = 'verified', decided_by = ${actor}, decided_at = now(), entry_id = ${entryId}
     WHERE id = ${id} AND status = 'pending'`.execute(db);
  if (Number(updated.numAffectedRows ?? 0n) === 0) {
    throw new HuikuanError('invalid_state', `Payment claim ${id} was decided by someone else meanwhile.`);
  }
  return showClaim(db, id);
}

export async function rejectClaim(db: Db, id: bigint, actor: string, reason: string): Promise<ClaimView> {
  const trimmed = reason.trim();
  if (trimmed === '') throw new HuikuanError('bad_input', 'Give the reason for rejecting the claim.');
  await pendingClaim(db, id, actor, 'reject');
  const updated = await sql`
    UPDATE payment_claims SET status = 'rejected', decided_by = ${actor}, decided_at = now(), reject_reason = ${trimmed}
     WHERE id = ${id} AND status = 'pending'`.execute(db);
  if (Number(updated.numAffectedRows ?? 0n) === 0) {
    throw new HuikuanError('invalid_state', `Payment claim ${id} was decided by someone else meanwhile.`);
  }
  return showClaim(db, id);
}

export async function claimClientId(db: Db, id: bigint): Promise<bigint> {
  const row = await sql<{ client_id: bigint }>`SELECT client_id FROM payment_claims WHERE id = ${id}`.execute(
    db,
  );
  const found = row.rows[0];
  if (!found) throw new HuikuanError('not_found', `There is no payment claim ${id}.`);
  return found.client_id;
}
