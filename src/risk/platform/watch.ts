/**
 * The risk watch: rules that put an account on the supervisors' watch list — lost contact, N broken
 * promises, an open dispute, a complaint, bankruptcy or deceased, a score drop of N points in a week
 * — evaluated in the nightly step for a partition from the features it read (one statement writes
 * them). An entry has its rule, first and last day seen, and goes open → acknowledged / actioned
 * with a note of what was done and by whom. A rule seen again within a week of its last day extends
 * its entry; after a longer gap it opens a new one. Rules whose data do not exist are inactive,
 * with the reason.
 */
import { type RawBuilder, type Selectable, sql } from 'kysely';
import { recordAudit } from '../../audit/service.ts';
import type { Db } from '../../db/connection.ts';
import type { BusinessDate } from '../../shared/dates.ts';
import { HuikuanError } from '../../shared/errors.ts';
import { availableSources, type Sources } from './features.ts';
import type { Actor } from './registry.ts';
import type { RiskPlatformTables, RiskWatchTable } from './tables.ts';

export const watchRules = [
  'lost_contact',
  'broken_promises',
  'dispute',
  'complaint',
  'bankruptcy_deceased',
  'score_drop',
] as const;
export type WatchRule = (typeof watchRules)[number];

export interface WatchRuleState {
  code: WatchRule;
  enabled: boolean;
  threshold: number | null;
  active: boolean;
  /** why an enabled rule cannot run, or that it is switched off */
  reason: string | null;
}

/** Why a rule cannot run on this database's data, or null when it can. */
function missingData(code: WatchRule, sources: Sources): string | null {
  switch (code) {
    case 'lost_contact':
      return sources.lostContact
        ? null
        : 'no compliance_lost_contact table: the lost-contact state is not kept';
    case 'broken_promises':
      return sources.promises ? null : 'no promises table (src/worklist): promises are not kept';
    case 'dispute':
    case 'bankruptcy_deceased':
      return sources.holds ? null : 'no compliance_holds table: disputes, bankruptcy and deaths are not kept';
    case 'complaint':
      return 'complaints are not recorded anywhere in Huikuan yet (no complaints table)';
    case 'score_drop':
      return null;
  }
}

export async function watchRuleStates(db: Db, sources?: Sources): Promise<WatchRuleState[]> {
  const have = sources ?? (await availableSources(db));
  const rows = await db
    .withTables<RiskPlatformTables>()
    .selectFrom('risk_watch_rules')
    .select(['code', 'enabled', 'threshold'])
    .execute();
  const byCode = new Map(rows.map((row) => [row.code, row]));
  return watchRules.map((code) => {
    const row = byCode.get(code);
    const missing = missingData(code, have);
    const enabled = row?.enabled ?? false;
    return {
      code,
      enabled,
      threshold: row?.threshold ?? null,
      active: enabled && missing === null,
      reason: missing ?? (enabled ? null : 'switched off'),
    };
  });
}

/** Switches a rule on or off and sets its threshold (broken promises counted, score points dropped). */
export async function configureWatchRule(
  db: Db,
  code: WatchRule,
  change: { enabled?: boolean; threshold?: number },
  by: Actor,
): Promise<WatchRuleState> {
  const who = typeof by === 'string' ? { actor: by } : by;
  if (change.threshold !== undefined) {
    if (code !== 'broken_promises' && code !== 'score_drop') {
      throw new HuikuanError(
        'bad_input',
        `The rule ${code} has no threshold; only broken_promises and score_drop do.`,
      );
    }
    if (!Number.isInteger(change.threshold) || change.threshold < 1 || change.threshold > 1000) {
      throw new HuikuanError(
        'bad_input',
        `A threshold is a whole number from 1 to 1000, not ${change.threshold}.`,
      );
    }
  }
  return db.transaction().execute(async (trx) => {
    const t = trx.withTables<RiskPlatformTables>();
    const before = await t
      .selectFrom('risk_watch_rules')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirst();
    if (!before) throw new HuikuanError('not_found', `There is no watch rule ${code}.`);
    await t
      .updateTable('risk_watch_rules')
      .set({
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        ...(change.threshold !== undefined ? { threshold: change.threshold } : {}),
        updated_by: who.actor,
        updated_at: new Date(),
      })
      .where('code', '=', code)
      .execute();
    await recordAudit(trx, {
      ...who,
      action: 'risk_watch.rule_changed',
      entityType: 'risk_watch_rule',
      entityId: code,
      before: { enabled: before.enabled, threshold: before.threshold },
      after: change,
    });
    const states = await watchRuleStates(trx);
    return states.find((s) => s.code === code) as WatchRuleState;
  });
}

/**
 * Writes the partition's watch hits for the date in one statement: each active rule's accounts found
 * by SQL over the live accounts of the partition (holds and the lost-contact state in force at the
 * end of the date, promises broken by it, the champion's score against a week before).
 */
export async function evaluateWatch(
  trx: Db,
  scope: { asOf: BusinessDate; clientId: bigint; fromAccountId: bigint; toAccountId: bigint },
  sources: Sources,
): Promise<{ seen: number; opened: number }> {
  const states = await watchRuleStates(trx, sources);
  const active = new Map(states.filter((s) => s.active).map((s) => [s.code, s]));
  const next = sql`(${scope.asOf}::date + 1)::timestamptz`;
  const inScope = sql`a.client_id = ${scope.clientId} AND a.id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}
                      AND a.status IN ('active', 'paid', 'settled')`;
  const held = (kinds: string) => sql`
      SELECT DISTINCT a.id FROM accounts a JOIN compliance_holds h ON h.debtor_id = a.debtor_id
       WHERE ${inScope} AND (h.account_id IS NULL OR h.account_id = a.id) AND h.kind IN (${sql.raw(kinds)})
         AND h.starts_at < ${next} AND (h.lifted_at IS NULL OR h.lifted_at >= ${next})
         AND (h.ends_at IS NULL OR h.ends_at >= ${next})`;
  const parts: RawBuilder<unknown>[] = [sql`SELECT NULL::bigint, NULL::text, NULL::text WHERE false`];
  if (active.has('lost_contact')) {
    parts.push(sql`
      SELECT a.id, 'lost_contact', 'lost contact (失联) is set'
        FROM accounts a JOIN compliance_lost_contact l ON l.debtor_id = a.debtor_id
       WHERE ${inScope} AND l.set_at < ${next} AND (l.cleared_at IS NULL OR l.cleared_at >= ${next})`);
  }
  const broken = active.get('broken_promises');
  if (broken) {
    parts.push(sql`
      SELECT a.id, 'broken_promises', format('%s broken promises', count(*))
        FROM accounts a JOIN promises p ON p.account_id = a.id
       WHERE ${inScope} AND p.broken_at <= ${scope.asOf}::date
       GROUP BY a.id HAVING count(*) >= ${broken.threshold ?? 2}`);
  }
  if (active.has('dispute')) {
    parts.push(sql`SELECT id, 'dispute', 'a dispute is open' FROM (${held("'dispute'")}) d`);
  }
  if (active.has('bankruptcy_deceased')) {
    parts.push(
      sql`SELECT id, 'bankruptcy_deceased', 'bankruptcy or death recorded' FROM (${held("'bankruptcy', 'deceased'")}) b`,
    );
  }
  const drop = active.get('score_drop');
  if (drop) {
    parts.push(sql`
      SELECT h.account_id, 'score_drop',
             format('score fell %s points in a week (%s on %s, %s on %s)',
                    prev.score - h.score, prev.score, prev.as_of, h.score, h.as_of)
        FROM risk_score_history h
        JOIN LATERAL (
          SELECT p.score, p.as_of FROM risk_score_history p
           WHERE p.account_id = h.account_id AND p.model_id = h.model_id
             AND p.as_of <= h.as_of - 7 AND p.as_of > h.as_of - 14
           ORDER BY p.as_of DESC LIMIT 1) prev ON true
       WHERE h.client_id = ${scope.clientId} AND h.as_of = ${scope.asOf}::date AND h.role = 'champion'
         AND h.account_id BETWEEN ${scope.fromAccountId} AND ${scope.toAccountId}
         AND prev.score - h.score >= ${drop.threshold ?? 50}`);
  }
  const counts = await sql<{ seen: number; opened: number }>`
    WITH hits (account_id, rule, detail) AS (${sql.join(parts, sql` UNION ALL `)}),
    seen AS (
      UPDATE risk_watch w
         SET last_seen = greatest(w.last_seen, ${scope.asOf}::date), detail = hits.detail
        FROM hits
       WHERE w.account_id = hits.account_id AND w.rule = hits.rule
         AND w.first_seen <= ${scope.asOf}::date AND w.last_seen >= ${scope.asOf}::date - 7
      RETURNING w.account_id, w.rule),
    opened AS (
      INSERT INTO risk_watch (client_id, account_id, rule, detail, first_seen, last_seen)
      SELECT ${scope.clientId}, hits.account_id, hits.rule, hits.detail, ${scope.asOf}::date, ${scope.asOf}::date
        FROM hits
       WHERE NOT EXISTS (SELECT FROM seen WHERE seen.account_id = hits.account_id AND seen.rule = hits.rule)
      RETURNING 1)
    SELECT (SELECT count(*) FROM seen)::int AS seen, (SELECT count(*) FROM opened)::int AS opened`.execute(
    trx,
  );
  return counts.rows[0] ?? { seen: 0, opened: 0 };
}

export type WatchEntry = Selectable<RiskWatchTable>;

export async function listWatch(
  db: Db,
  options: {
    status?: WatchEntry['status'] | 'unresolved';
    clientId?: bigint;
    accountId?: bigint;
    limit?: number;
  },
): Promise<WatchEntry[]> {
  let query = db
    .withTables<RiskPlatformTables>()
    .selectFrom('risk_watch')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(options.limit ?? 200, 1000));
  if (options.status === 'unresolved') query = query.where('status', '<>', 'actioned');
  else if (options.status) query = query.where('status', '=', options.status);
  if (options.clientId !== undefined) query = query.where('client_id', '=', options.clientId);
  if (options.accountId !== undefined) query = query.where('account_id', '=', options.accountId);
  return query.execute();
}

/** open → acknowledged (seen by a supervisor), open / acknowledged → actioned (with what was done). */
export async function decideWatch(
  db: Db,
  id: bigint,
  decision: { status: 'acknowledged' } | { status: 'actioned'; note: string },
  by: Actor,
): Promise<WatchEntry> {
  const who = typeof by === 'string' ? { actor: by } : by;
  if (decision.status === 'actioned' && (decision.note.trim() === '' || decision.note.length > 2000)) {
    throw new HuikuanError('bad_input', 'Say what was done in the note (1 to 2,000 characters).');
  }
  return db.transaction().execute(async (trx) => {
    const t = trx.withTables<RiskPlatformTables>();
    const before = await t
      .selectFrom('risk_watch')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new HuikuanError('not_found', `There is no watch-list entry ${id}.`);
    const allowed = decision.status === 'acknowledged' ? ['open'] : ['open', 'acknowledged'];
    if (!allowed.includes(before.status)) {
      throw new HuikuanError(
        'invalid_state',
        `Watch-list entry ${id} is ${before.status}; it can be ${decision.status} only when ${allowed.join(' or ')}.`,
      );
    }
    const now = new Date();
    const after = await t
      .updateTable('risk_watch')
      .set(
        decision.status === 'acknowledged'
          ? { status: 'acknowledged', acknowledged_by: who.actor, acknowledged_at: now }
          : {
              status: 'actioned',
              actioned_by: who.actor,
              actioned_at: now,
              action_note: decision.note.trim(),
            },
      )
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      ...who,
      action: `risk_watch.${decision.status}`,
      entityType: 'risk_watch',
      entityId: id,
      clientId: before.client_id,
      before: { status: before.status },
      after: { status: after.status, note: after.action_note },
    });
    return after;
  });
}
