/**
 * Retention (issue 4 point 7): finds debtors whose accounts are all finished (none active) and untouched for their
 * client's jurisdiction's retention period, and anonymises their personal data, leaving the books
 * as they are. Legal holds (on the client, the debtor or an account) stop it.
 *
 * Periods after the last activity (compliance.md "records"): CN 5 years (collection records kept at
 * least 5), US 3 (12 CFR 1006.100), UK 6 (the limitation period for a simple contract debt, the FCA's
 * usual record-keeping horizon). Activity: ledger entries, account events, notes, contact attempts
 * and channel messages of any of the debtor's accounts.
 *
 * A client contract can end (contracts.ends_on, `huikuan client contract CODE --ends DATE`): once
 * `postContractDays` (30) days have passed after its last day, the client's debtors whose accounts
 * are all finished (none active) are due as well, whatever their last activity (PIPL Art. 47: deletion
 * when the purpose or the entrustment ends; the grace period leaves time for the last remittance and
 * the handover to the client). The queue says why each debtor is due: `period_elapsed` or
 * `contract_ended`. Legal holds stop both.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/connection.ts';
import { groupBy } from '../shared/collections.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';

export const retentionYears: Record<string, number> = { CN: 5, US: 3, UK: 6 };
/** Days after a client contract's last day before its closed accounts' personal data is due. */
export const postContractDays = 30;

export type RetentionReason = 'period_elapsed' | 'contract_ended';
/** Debtors anonymised per transaction; and per run at most. */
export const retentionLimits = { batch: 500, perRun: 100_000, queueRows: 500 };

export const anonymisedName = '（已匿名）';
export const anonymisedText = '（已按保留期限匿名 / anonymised after the retention period）';

export interface RetentionCandidate {
  debtor_id: bigint;
  client_id: bigint;
  jurisdiction: string;
  retention_years: number;
  last_activity_at: Date;
  accounts: number;
  /** Why the debtor is due: the records period after the last activity passed, or the contract ended. */
  reason: RetentionReason;
  /** The client contract's last day, when it has one in force on the date. */
  contract_ended_on: string | null;
}

/**
 * The debtors due for anonymisation on a date: every account finished (paid, settled, closed, recalled
 * or written off — anything but active: a debtor who paid in full is as done as one written off),
 * the last activity older than the period — or the client's contract ended more than
 * `postContractDays` days before the date — no open legal hold, not anonymised before.
 */
export async function retentionQueue(
  db: Db,
  asOf: string,
  limit = retentionLimits.queueRows,
): Promise<RetentionCandidate[]> {
  const rows = await sql<RetentionCandidate>`
    WITH jurisdiction AS (
      SELECT DISTINCT ON (client_id) client_id, jurisdiction, ends_on
        FROM contracts WHERE effective_from <= ${asOf}::date
       ORDER BY client_id, effective_from DESC, version DESC),
    debtor_accounts AS (
      SELECT d.id AS debtor_id, d.client_id, count(a.id) AS accounts,
             bool_and(a.status <> 'active') AS all_closed
        FROM debtors d JOIN accounts a ON a.debtor_id = d.id
       WHERE NOT EXISTS (SELECT 1 FROM retention_anonymised r WHERE r.debtor_id = d.id)
       GROUP BY d.id, d.client_id),
    activity AS (
      SELECT da.debtor_id, da.client_id, da.accounts, j.jurisdiction, j.ends_on,
             (SELECT max(at) FROM (
                SELECT max(je.created_at) AS at FROM journal_entries je JOIN accounts a ON a.id = je.account_id WHERE a.debtor_id = da.debtor_id
                UNION ALL SELECT max(e.at) FROM account_events e JOIN accounts a ON a.id = e.account_id WHERE a.debtor_id = da.debtor_id
                UNION ALL SELECT max(n.created_at) FROM account_notes n JOIN accounts a ON a.id = n.account_id WHERE a.debtor_id = da.debtor_id
                UNION ALL SELECT max(c.at) FROM contact_attempts c JOIN accounts a ON a.id = c.account_id WHERE a.debtor_id = da.debtor_id
                UNION ALL SELECT max(m.created_at) FROM channel_messages m WHERE m.debtor_id = da.debtor_id
                UNION ALL SELECT max(coalesce(a.closed_at, a.created_at)) FROM accounts a WHERE a.debtor_id = da.debtor_id) x) AS last_activity_at
        FROM debtor_accounts da JOIN jurisdiction j ON j.client_id = da.client_id
       WHERE da.all_closed)
    SELECT v.debtor_id, v.client_id, v.jurisdiction, v.accounts::int AS accounts, v.last_activity_at,
           y.years AS retention_years,
           CASE WHEN v.last_activity_at < (${asOf}::date - make_interval(years => y.years)) THEN 'period_elapsed'
                ELSE 'contract_ended' END AS reason,
           to_char(v.ends_on, 'YYYY-MM-DD') AS contract_ended_on
      FROM activity v
      CROSS JOIN LATERAL (
        SELECT CASE v.jurisdiction WHEN 'US' THEN ${retentionYears.US}::int WHEN 'UK' THEN ${retentionYears.UK}::int
                    ELSE ${retentionYears.CN}::int END AS years) y
     WHERE (v.last_activity_at < (${asOf}::date - make_interval(years => y.years))
            OR v.ends_on < ${asOf}::date - ${postContractDays}::int)
       AND NOT EXISTS (
             SELECT 1 FROM retention_legal_holds h
              WHERE h.released_at IS NULL AND h.client_id = v.client_id
                AND (h.debtor_id IS NULL AND h.account_id IS NULL
                     OR h.debtor_id = v.debtor_id
                     OR h.account_id IN (SELECT id FROM accounts WHERE debtor_id = v.debtor_id)))
     ORDER BY v.last_activity_at, v.debtor_id
     LIMIT ${limit}`.execute(db);
  return rows.rows;
}

/**
 * Anonymises the queue of a date in batches, each batch one transaction (the debtors' rows, their
 * contact points and the free text about them, and a retention_anonymised row each). `dryRun` only
 * counts. Idempotent: an anonymised debtor leaves the queue.
 */
export async function runRetention(
  db: Db,
  options: { asOf?: string; dryRun?: boolean; actor: string; onProgress?: (done: number) => void },
): Promise<{ as_of: string; dry_run: boolean; anonymised: number; candidates: number }> {
  const asOf = options.asOf ?? todayIn();
  if (options.dryRun) {
    const queue = await retentionQueue(db, asOf, retentionLimits.perRun);
    return { as_of: asOf, dry_run: true, anonymised: 0, candidates: queue.length };
  }
  let anonymised = 0;
  while (anonymised < retentionLimits.perRun) {
    const done = await db.transaction().execute(async (trx) => {
      const batch = await retentionQueue(trx, asOf, retentionLimits.batch);
      if (batch.length === 0) return 0;
      const ids = batch.map((row) => String(row.debtor_id));
      // the debtors first, locked, so a concurrent run waits and then finds them done
      await sql`SELECT id FROM debtors WHERE id = ANY(${ids}::bigint[]) ORDER BY id FOR UPDATE`.execute(trx);
      const fresh = await sql<{ id: bigint }>`
        SELECT id FROM unnest(${ids}::bigint[]) AS u(id)
         WHERE NOT EXISTS (SELECT 1 FROM retention_anonymised r WHERE r.debtor_id = u.id)`.execute(trx);
      const todo = fresh.rows.map((row) => String(row.id));
      if (todo.length === 0) return 0;
      await anonymiseDebtors(trx, todo);
      const chosen = batch.filter((row) => todo.includes(String(row.debtor_id)));
      await sql`
        INSERT INTO retention_anonymised (debtor_id, client_id, jurisdiction, retention_years, last_activity_at,
                                          reason, contract_ended_on, as_of, anonymised_by)
        SELECT * FROM unnest(${chosen.map((row) => String(row.debtor_id))}::bigint[], ${chosen.map((row) => String(row.client_id))}::bigint[],
                             ${chosen.map((row) => row.jurisdiction)}::text[], ${chosen.map((row) => row.retention_years)}::int[],
                             ${chosen.map((row) => row.last_activity_at.toISOString())}::timestamptz[],
                             ${chosen.map((row) => row.reason)}::text[], ${chosen.map((row) => row.contract_ended_on)}::date[])
               AS t(debtor_id, client_id, jurisdiction, retention_years, last_activity_at, reason, contract_ended_on),
               LATERAL (SELECT ${asOf}::date, ${options.actor}::text) extra`.execute(trx);
      for (const [clientId, debtors] of groupBy(
        chosen,
        (row) => row.client_id,
        (row) => row.debtor_id,
      )) {
        await recordAudit(trx, {
          actor: options.actor,
          action: 'retention.anonymised',
          entityType: 'debtor',
          entityId: null,
          clientId,
          after: {
            as_of: asOf,
            debtor_ids: debtors.map(String),
            reasons: [
              ...new Set(chosen.filter((row) => row.client_id === clientId).map((row) => row.reason)),
            ],
          },
        });
      }
      return chosen.length;
    });
    if (done === 0) break;
    anonymised += done;
    options.onProgress?.(anonymised);
  }
  return { as_of: asOf, dry_run: false, anonymised, candidates: anonymised };
}

/** Blanks the personal data of these debtors and the free text about them; the books are untouched. */
async function anonymiseDebtors(trx: Db, debtorIds: string[]): Promise<void> {
  const ids = sql`${debtorIds}::bigint[]`;
  await sql`
    UPDATE debtors SET name = ${anonymisedName}, id_number_enc = NULL, id_number_hash = NULL, id_number_masked = NULL,
           date_of_birth = NULL, address = NULL, city = NULL, postal_code = NULL
     WHERE id = ANY(${ids})`.execute(trx);
  await sql`
    UPDATE contact_points SET value_enc = NULL, value_hash = NULL, value_text = NULL, value_masked = '***',
           holder_name = NULL, status = 'do_not_contact'
     WHERE debtor_id = ANY(${ids})`.execute(trx);
  await sql`UPDATE accounts SET notes = NULL WHERE debtor_id = ANY(${ids})`.execute(trx);
  await sql`
    UPDATE account_notes SET body = ${anonymisedText}
     WHERE account_id IN (SELECT id FROM accounts WHERE debtor_id = ANY(${ids}))`.execute(trx);
  await sql`
    UPDATE contact_attempts SET notes = NULL
     WHERE notes IS NOT NULL AND account_id IN (SELECT id FROM accounts WHERE debtor_id = ANY(${ids}))`.execute(
    trx,
  );
  await sql`
    UPDATE channel_messages SET recipient_masked = '***', subject = NULL, body_text = ${anonymisedText}, body_html = NULL,
           template_params = NULL
     WHERE debtor_id = ANY(${ids})`.execute(trx);
  await sql`UPDATE channel_replies SET from_masked = '***', body = ${anonymisedText} WHERE debtor_id = ANY(${ids})`.execute(
    trx,
  );
  await sql`
    UPDATE field_visits SET address = NULL, result = ${anonymisedText}
     WHERE account_id IN (SELECT id FROM accounts WHERE debtor_id = ANY(${ids}))`.execute(trx);
}

export interface LegalHoldView {
  id: bigint;
  client_id: bigint;
  debtor_id: bigint | null;
  account_id: bigint | null;
  reason: string;
  placed_by: string;
  placed_at: Date;
  released_by: string | null;
  released_at: Date | null;
  release_reason: string | null;
}

/** A legal hold on a client (neither id), a debtor or an account: retention leaves them alone. */
export async function placeLegalHold(
  db: Db,
  input: { clientId: bigint; debtorId?: bigint | null; accountId?: bigint | null; reason: string },
  actor: string,
): Promise<LegalHoldView> {
  if (input.reason.trim() === '')
    throw new HuikuanError('bad_input', 'Say why the data must be kept (the case or order).');
  if (input.debtorId != null && input.accountId != null) {
    throw new HuikuanError('bad_input', 'A legal hold names a debtor or an account, not both.');
  }
  return db.transaction().execute(async (trx) => {
    if (input.accountId != null) {
      const found =
        await sql`SELECT 1 FROM accounts WHERE id = ${input.accountId} AND client_id = ${input.clientId}`.execute(
          trx,
        );
      if (found.rows.length === 0)
        throw new HuikuanError('not_found', `Account ${input.accountId} is not the client's.`);
    }
    if (input.debtorId != null) {
      const found =
        await sql`SELECT 1 FROM debtors WHERE id = ${input.debtorId} AND client_id = ${input.clientId}`.execute(
          trx,
        );
      if (found.rows.length === 0)
        throw new HuikuanError('not_found', `Debtor ${input.debtorId} is not the client's.`);
    }
    const row = await sql<LegalHoldView>`
      INSERT INTO retention_legal_holds (client_id, debtor_id, account_id, reason, placed_by)
      VALUES (${input.clientId}, ${input.debtorId ?? null}, ${input.accountId ?? null}, ${input.reason.trim()}, ${actor})
      RETURNING *`.execute(trx);
    const hold = row.rows[0] as LegalHoldView;
    await recordAudit(trx, {
      actor,
      action: 'retention.legal_hold_placed',
      entityType: 'retention_legal_hold',
      entityId: hold.id,
      clientId: input.clientId,
      after: { debtor_id: hold.debtor_id, account_id: hold.account_id, reason: hold.reason },
    });
    return hold;
  });
}

export async function releaseLegalHold(
  db: Db,
  id: bigint,
  reason: string,
  actor: string,
): Promise<LegalHoldView> {
  if (reason.trim() === '') throw new HuikuanError('bad_input', 'Say why the legal hold ends.');
  return db.transaction().execute(async (trx) => {
    const row = await sql<LegalHoldView>`
      UPDATE retention_legal_holds SET released_by = ${actor}, released_at = now(), release_reason = ${reason.trim()}
       WHERE id = ${id} AND released_at IS NULL RETURNING *`.execute(trx);
    const hold = row.rows[0];
    if (!hold) {
      const exists = await sql`SELECT 1 FROM retention_legal_holds WHERE id = ${id}`.execute(trx);
      throw exists.rows.length > 0
        ? new HuikuanError('invalid_state', `Legal hold ${id} was already released.`)
        : new HuikuanError('not_found', `Legal hold ${id} does not exist.`);
    }
    await recordAudit(trx, {
      actor,
      action: 'retention.legal_hold_released',
      entityType: 'retention_legal_hold',
      entityId: id,
      clientId: hold.client_id,
      after: { reason: reason.trim() },
    });
    return hold;
  });
}

export async function listLegalHolds(db: Db, options: { open?: boolean } = {}): Promise<LegalHoldView[]> {
  const rows = await sql<LegalHoldView>`
    SELECT * FROM retention_legal_holds
     WHERE ${options.open === true} = false OR released_at IS NULL
     ORDER BY placed_at DESC LIMIT ${retentionLimits.queueRows}`.execute(db);
  return rows.rows;
}
