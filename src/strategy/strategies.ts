/**
 * Strategy versions and the strategy engine's nightly step (issue 5 points 2–3; strategy.md;
 * docs/decisions/0011-strategy-decision-log.md).
 *
 * - Versions: a document (src/strategy/document.ts) proposed by an admin or supervisor, approved or
 *   rejected by another; an approved version governs the nightly runs from the day after the latest
 *   run (effective_from), so what a run decided is never rewritten.
 * - The nightly step `treatmentStep` (registered in service.ts, after the risk scores): for the
 *   partition's live accounts, set-based, in the partition's transaction: segment and arm (the
 *   document's conditions compiled to SQL with bound parameters; arms by the seeded hash of
 *   document.ts), the treatment state (entered_on kept while segment and arm stay), the actions whose
 *   day has come since the previous run (messages to dispatch, agent tasks), one decision row per
 *   account with the probability of its arm, and the next step. Every write is keyed so the same date
 *   again writes nothing new.
 * - The dry run: the same SQL for a proposed document in a read-only transaction.
 */
import { type RawBuilder, sql } from 'kysely';
import { moveToTeams } from '../allocation/service.ts';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/connection.ts';
import { liveStatuses } from '../ledger/post.ts';
import { addDays, type BusinessDate, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  armSql,
  conditionSql,
  documentJson,
  fieldsOf,
  type Problem,
  problem,
  rightPartyDispositions,
  type StrategyDocument,
  type StrategyField,
  strategyLimits,
  templatesUsed,
  validateDocument,
} from './document.ts';
import { bucketCaseSql } from './model.ts';

/** Who the nightly run's moves are recorded as (service.ts's run actor). */
const nightlyActor = 'strategy-run';
const liveList = sql.raw(liveStatuses.map((status) => `'${status}'`).join(', '));

export const strategyServiceLimits = {
  listed: 200,
  decisionsShown: 90,
  actionsShown: 200,
  /** The dry run reads every live account; it stops after this long. */
  dryRunTimeoutMs: 120_000,
} as const;

/** A document with problems: every one, each with its path (the API answers 400 with them). */
export class StrategyDocumentError extends HuikuanError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const errors = problems.filter((problem) => problem.severity === 'error');
    super(
      'bad_input',
      `The strategy has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors
        .slice(0, 5)
        .map((problem) => `${problem.path || '(document)'}: ${problem.message}`)
        .join(' ')}${errors.length > 5 ? ` … and ${errors.length - 5} more.` : ''}`,
      { problems },
    );
    this.problems = problems;
  }
}

export interface StrategyVersion {
  id: bigint;
  version: number;
  name: string;
  status: 'proposed' | 'approved' | 'rejected';
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  /** Approved: the first run date it governs (null: from the first nightly run). */
  effective_from: string | null;
  /** The version the next nightly run would use. */
  in_force: boolean;
  segments: number;
}

export interface StrategyVersionDetail extends StrategyVersion {
  document: StrategyDocument;
  warnings: Problem[];
}

type VersionRow = Omit<StrategyVersion, 'in_force' | 'segments' | 'effective_from'> & {
  effective_from: string | null;
  document: unknown;
};

const versionColumns = sql`id, version, name, status, reason, proposed_by, proposed_at, decided_by, decided_at,
  decision_reason, effective_from::text AS effective_from, document`;

function viewOf(row: VersionRow, inForceId: bigint | null): StrategyVersion {
  const { document, effective_from, ...rest } = row;
  const segments = (document as { segments?: unknown[] })?.segments?.length ?? 0;
  return {
    ...rest,
    effective_from: effective_from === '-infinity' ? null : effective_from,
    in_force: inForceId === row.id,
    segments,
  };
}

/** Validation and the template codes checked against src/templates (no version at all = error). */
export async function checkDocument(
  db: Db,
  input: unknown,
): Promise<{ document: StrategyDocument; warnings: Problem[] }> {
  if (JSON.stringify(input ?? null).length > strategyLimits.documentBytes) {
    throw new HuikuanError(
      'limit_exceeded',
      `The strategy document is larger than ${strategyLimits.documentBytes / 1024} KiB; simplify it.`,
    );
  }
  const { result, problems } = await documentProblems(db, input);
  if (!result.ok || problems.some((problem) => problem.severity === 'error')) {
    throw new StrategyDocumentError(problems);
  }
  return { document: result.document, warnings: problems };
}

/** Every problem of a document: its validation's, then its templates' (a code unknown, or not approved yet). */
async function documentProblems(db: Db, input: unknown) {
  const result = validateDocument(input);
  const problems = [...result.problems];
  if (result.ok) {
    const used = templatesUsed(result.document);
    if (used.length > 0) {
      const known = await sql<{ code: string; channel: string; approved: boolean }>`
        SELECT code, channel, bool_or(status = 'approved') AS approved FROM message_templates
         WHERE code = ANY(${used.map((item) => item.code)}::text[]) GROUP BY code, channel`.execute(db);
      const byKey = new Map(known.rows.map((row) => [`${row.code}\u0000${row.channel}`, row.approved]));
      for (const item of used) {
        const approved = byKey.get(`${item.code}\u0000${item.channel}`);
        if (approved === undefined) {
          problems.push(
            problem(item.path, 'error', 'template_unknown', { channel: item.channel, code: item.code }),
          );
        } else if (!approved) {
          problems.push(
            problem(item.path, 'warning', 'template_not_approved', {
              channel: item.channel,
              code: item.code,
            }),
          );
        }
      }
    }
  }
  return { result, problems };
}

/** A new version, waiting for another admin's or supervisor's decision. */
export async function proposeStrategy(
  db: Db,
  input: { document: unknown; reason: string },
  actor: string,
): Promise<StrategyVersionDetail> {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 2000) {
    throw new HuikuanError('bad_input', 'Say why the strategy changes (at most 2000 characters).');
  }
  const { document, warnings } = await checkDocument(db, input.document);
  const id = await db.transaction().execute(async (trx) => {
    // one proposer at a time: the version number is the next one
    await sql`SELECT pg_advisory_xact_lock(hashtext('strategy_versions'))`.execute(trx);
    const inserted = await sql<{ id: bigint; version: number }>`
      INSERT INTO strategy_versions (version, name, document, reason, proposed_by)
      SELECT coalesce(max(version), 0) + 1, ${document.name}, ${documentJson(document)}::jsonb, ${reason}, ${actor}
        FROM strategy_versions
      RETURNING id, version`.execute(trx);
    const row = inserted.rows[0];
    if (!row) throw new HuikuanError('internal', 'The strategy version could not be stored.');
    await recordAudit(trx, {
      actor,
      action: 'strategy.proposed',
      entityType: 'strategy_version',
      entityId: row.id,
      after: { version: row.version, name: document.name, segments: document.segments.length, reason },
    });
    return row.id;
  });
  return { ...(await strategyVersion(db, id)), warnings };
}

/** The approved version that governs a run of `runDate` (the latest approved with effective_from ≤ it). */
export async function versionInForce(
  db: Db,
  runDate: BusinessDate,
): Promise<{ id: bigint; version: number; document: StrategyDocument } | null> {
  const found = await sql<{ id: bigint; version: number; document: unknown; document_sha256: string }>`
    SELECT id, version, document, ${documentDigest} AS document_sha256 FROM strategy_versions
     WHERE status = 'approved' AND effective_from <= ${runDate}::date
     ORDER BY effective_from DESC, decided_at DESC, version DESC LIMIT 1`.execute(db);
  const row = found.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    version: row.version,
    document: storedDocument(row.id, row.document, row.document_sha256),
  };
}

/**
 * The digest of a stored document, computed by the database next to it: the parsed-document cache is
 * keyed by content, not by version id, because one process can talk to several databases (the tests
 * do; so could a multi-tenant deployment) whose version ids collide while their documents differ.
 */
const documentDigest = sql<string>`encode(sha256(convert_to(document::text, 'UTF8')), 'hex')`;

const parsedDocuments = new Map<string, StrategyDocument>();

/**
 * A stored (validated when proposed) document, typed; parsed once per document content and process
 * (a document never changes once stored: the strategy_versions_frozen trigger refuses it, so the
 * cache never holds a stale parse; at most 100 entries, then it starts over).
 */
function storedDocument(id: bigint, raw: unknown, sha256: string): StrategyDocument {
  const cached = parsedDocuments.get(sha256);
  if (cached) return cached;
  const result = validateDocument(raw);
  if (!result.ok) {
    throw new HuikuanError('invariant_violated', `Stored strategy version ${id} is not a valid document.`);
  }
  if (parsedDocuments.size >= 100) parsedDocuments.clear();
  parsedDocuments.set(sha256, result.document);
  return result.document;
}

async function nextRunDate(db: Db): Promise<BusinessDate> {
  const latest = await sql<{
    as_of: string | null;
  }>`SELECT max(as_of)::text AS as_of FROM strategy_runs`.execute(db);
  const asOf = latest.rows[0]?.as_of;
  return asOf ? addDays(asOf, 1) : todayIn();
}

export async function listStrategies(db: Db): Promise<StrategyVersion[]> {
  const rows = await sql<VersionRow>`
    SELECT ${versionColumns} FROM strategy_versions ORDER BY version DESC LIMIT ${strategyServiceLimits.listed}`.execute(
    db,
  );
  const inForce = await versionInForce(db, await nextRunDate(db));
  return rows.rows.map((row) => viewOf(row, inForce?.id ?? null));
}

export async function strategyVersion(db: Db, id: bigint): Promise<StrategyVersionDetail> {
  const rows =
    await sql<VersionRow>`SELECT ${versionColumns} FROM strategy_versions WHERE id = ${id}`.execute(db);
  const row = rows.rows[0];
  if (!row) throw new HuikuanError('not_found', `There is no strategy version ${id}.`);
  const inForce = await versionInForce(db, await nextRunDate(db));
  // what proposing it said, as of now: the document's warnings and its templates' (one may still
  // wait for approval, or have been approved since)
  const { problems } = await documentProblems(db, row.document);
  return {
    ...viewOf(row, inForce?.id ?? null),
    document: row.document as StrategyDocument,
    warnings: problems,
  };
}

/**
 * Approves (in force from the day after the latest nightly run; from the first run when there has
 * been none) or rejects a proposed version. The proposer may not decide their own.
 */
export async function decideStrategy(
  db: Db,
  id: bigint,
  decision: 'approve' | 'reject',
  reason: string,
  actor: string,
): Promise<StrategyVersionDetail> {
  await db.transaction().execute(async (trx) => {
    const found = await sql<{ status: string; proposed_by: string; version: number }>`
      SELECT status, proposed_by, version FROM strategy_versions WHERE id = ${id} FOR UPDATE`.execute(trx);
    const row = found.rows[0];
    if (!row) throw new HuikuanError('not_found', `There is no strategy version ${id}.`);
    if (row.status !== 'proposed') {
      throw new HuikuanError('invalid_state', `Strategy version ${row.version} was already ${row.status}.`);
    }
    if (row.proposed_by === actor) {
      throw new HuikuanError(
        'forbidden',
        `${actor} proposed strategy version ${row.version}; another admin or supervisor must decide it.`,
      );
    }
    if (decision === 'reject' && reason.trim().length === 0) {
      throw new HuikuanError('bad_input', 'Say why the strategy is rejected.');
    }
    // serialised with a run being planned: a run of date D and an approval either side of it
    await sql`LOCK TABLE strategy_runs IN SHARE MODE`.execute(trx);
    const updated = await sql<{ effective_from: string | null }>`
      UPDATE strategy_versions
         SET status = ${decision === 'approve' ? 'approved' : 'rejected'}, decided_by = ${actor}, decided_at = now(),
             decision_reason = ${reason.trim() || null},
             effective_from = CASE WHEN ${decision === 'approve'}
                                   THEN coalesce((SELECT max(as_of) + 1 FROM strategy_runs), '-infinity'::date) END
       WHERE id = ${id}
      RETURNING effective_from::text AS effective_from`.execute(trx);
    await recordAudit(trx, {
      actor,
      action: decision === 'approve' ? 'strategy.approved' : 'strategy.rejected',
      entityType: 'strategy_version',
      entityId: id,
      before: { status: 'proposed' },
      after: {
        status: decision === 'approve' ? 'approved' : 'rejected',
        version: row.version,
        effective_from: updated.rows[0]?.effective_from ?? null,
        reason: reason.trim() || null,
      },
    });
  });
  return strategyVersion(db, id);
}

// ---------------------------------------------------------------- fields in SQL

/**
 * Each field as SQL over `a` (accounts) and, when the document reads them, `d` (debtors), `c`
 * (clients) and `rs` (risk_account_scores) as of the run date; the text is ours, values are bound.
 */
function fieldSql(field: StrategyField, asOf: BusinessDate): RawBuilder<unknown> {
  const day = sql`${asOf}::date`;
  const dpd = sql`(${day} - a.delinquency_date)`;
  const paid = (days: number) => sql`coalesce((
      SELECT -sum(po.amount_minor) FROM journal_entries je
        JOIN postings po ON po.entry_id = je.id AND po.account_id = a.id
       WHERE je.account_id = a.id AND je.kind IN ('payment', 'direct_payment')
         AND je.effective_date > ${day} - ${days}::int AND je.effective_date <= ${day}), 0)::int8`;
  switch (field) {
    case 'client':
      return sql`c.code`;
    case 'product':
      return sql`a.product_type`;
    case 'balance_minor':
      return sql`(a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor)`;
    case 'principal_minor':
      return sql`a.principal_minor`;
    case 'interest_minor':
      return sql`a.interest_minor`;
    case 'fees_minor':
      return sql`a.fees_minor`;
    case 'penalty_minor':
      return sql`a.penalty_minor`;
    case 'dpd':
      return dpd;
    case 'bucket':
      return sql`(${sql.raw(bucketCaseSql('x_dpd'))})`.$castTo<string>();
    case 'days_since_placement':
      return sql`(${day} - (a.created_at AT TIME ZONE 'Asia/Shanghai')::date)`;
    case 'status':
      return sql`a.status`;
    case 'region':
      return sql`d.region`;
    case 'language':
      return sql`(CASE WHEN d.country IS NULL OR upper(d.country) IN ('CN', 'CHN', 'CHINA', '中国') THEN 'zh-CN' ELSE 'en' END)`;
    case 'age':
      return sql`extract(year FROM age(${day}, d.date_of_birth))::int`;
    case 'lost_contact':
      return sql`EXISTS (SELECT FROM compliance_lost_contact l WHERE l.debtor_id = a.debtor_id AND l.cleared_at IS NULL)`;
    case 'payments_30d_minor':
      return paid(30);
    case 'payments_90d_minor':
      return paid(90);
    case 'promises_kept':
      return sql`(SELECT count(*) FROM promises p WHERE p.account_id = a.id AND p.status = 'kept')::int`;
    case 'promises_broken':
      return sql`(SELECT count(*) FROM promises p WHERE p.account_id = a.id AND p.status = 'broken')::int`;
    case 'last_contact_outcome':
      return sql`(SELECT ca.disposition FROM contact_attempts ca WHERE ca.account_id = a.id ORDER BY ca.at DESC, ca.id DESC LIMIT 1)`;
    case 'days_since_rpc':
      return sql`(${day} - (SELECT max((ca.at AT TIME ZONE 'Asia/Shanghai')::date) FROM contact_attempts ca
                             WHERE ca.account_id = a.id AND ca.disposition = ANY(${[...rightPartyDispositions]}::text[])))`;
    case 'plan_status':
      return sql`coalesce((SELECT pl.status FROM payment_plans pl WHERE pl.account_id = a.id ORDER BY pl.id DESC LIMIT 1), 'none')`;
    case 'hardship':
      return sql`EXISTS (SELECT FROM hardship_marks h WHERE h.account_id = a.id)`;
    case 'score':
      return sql`rs.score`;
    case 'band':
      return sql`rs.band::int`;
  }
}

const debtorFields = new Set<StrategyField>(['region', 'language', 'age']);

/**
 * SELECT account_id, client_id, segment, arm for the live accounts `where` selects (over `a`), as of
 * a date: the first segment whose conditions hold, and the arm by the seeded hash of the segment's test.
 */
export function assignmentSql(document: StrategyDocument, asOf: BusinessDate, where: RawBuilder<boolean>) {
  const used = new Set<StrategyField>();
  for (const segment of document.segments) fieldsOf(segment.conditions, used);
  const field = (name: StrategyField) => fieldSql(name, asOf);
  const segmentCase = sql.join(
    document.segments.map(
      (segment) => sql`WHEN ${conditionSql(segment.conditions, field)} THEN ${segment.code}::text`,
    ),
    sql` `,
  );
  const armCase = sql.join(
    document.segments.map((segment) => {
      if (segment.arms.length === 1 || segment.test_id === null) {
        return sql`WHEN ${segment.code}::text THEN ${segment.arms[0]?.code ?? ''}::text`;
      }
      return sql`WHEN ${segment.code}::text THEN ${armSql(sql`y.account_id`, segment.test_id, segment.arms)}`;
    }),
    sql` `,
  );
  const joins = sql.join(
    [
      ...(used.has('client') ? [sql`JOIN clients c ON c.id = a.client_id`] : []),
      ...([...used].some((name) => debtorFields.has(name))
        ? [sql`JOIN debtors d ON d.id = a.debtor_id`]
        : []),
      ...(used.has('score') || used.has('band')
        ? [sql`LEFT JOIN risk_account_scores rs ON rs.account_id = a.id`]
        : []),
    ],
    sql` `,
  );
  // the bucket's CASE reads x_dpd: days past due computed once per row. OFFSET 0 keeps the planner
  // from pulling the subquery up, which would copy the segment's CASE (and the arm's hash) into every
  // place `segment` is read — the bench's first night spent most of its time re-evaluating them.
  return sql<{ account_id: bigint; client_id: bigint; segment: string; arm: string }>`
    SELECT y.account_id, y.client_id, y.segment, CASE y.segment ${armCase} END AS arm
      FROM (SELECT a.id AS account_id, a.client_id, CASE ${segmentCase} END AS segment
              FROM accounts a CROSS JOIN LATERAL (SELECT ${sql`${asOf}::date`} - a.delinquency_date AS x_dpd) xd
              ${joins}
             WHERE a.status IN (${liveList}) AND ${where}
            OFFSET 0) y
     WHERE y.segment IS NOT NULL`;
}

/** Steps and arm metadata of a document as JSON for jsonb_to_recordset (values bound, never spliced). */
function stepsJson(document: StrategyDocument): string {
  return JSON.stringify(
    document.segments.flatMap((segment) =>
      segment.arms.flatMap((arm) =>
        arm.steps.map((step) => ({
          segment: segment.code,
          arm: arm.code,
          step: step.code,
          anchor: step.from,
          day: step.day,
          kind: step.kind,
          channel: step.kind === 'message' ? step.channel : null,
          template: step.kind === 'message' ? step.template : null,
          task: step.kind === 'task' ? step.task : null,
          team: step.kind === 'task' ? step.team : null,
          priority: step.priority,
        })),
      ),
    ),
  );
}

function armsJson(document: StrategyDocument): string {
  return JSON.stringify(
    document.segments.flatMap((segment) =>
      segment.arms.map((arm) => ({
        segment: segment.code,
        arm: arm.code,
        probability: segment.arms.length === 1 ? 1 : arm.share_bp / 10_000,
        alternatives: segment.arms.filter((other) => other.code !== arm.code).map((other) => other.code),
      })),
    ),
  );
}

const stepColumns = sql`segment text, arm text, step text, anchor text, day int, kind text, channel text,
  template text, task text, team text, priority int`;

/** The date an action's step counts from: the entry, or the latest such event since the entry. */
const anchorDateSql = (asOf: RawBuilder<unknown>) => sql`CASE st.anchor
  WHEN 'entry' THEN x.entered_on
  WHEN 'promise_broken' THEN (SELECT max(p.broken_at) FROM promises p
                               WHERE p.account_id = x.account_id AND p.status = 'broken'
                                 AND p.broken_at BETWEEN x.entered_on AND ${asOf})
  WHEN 'plan_broken' THEN (SELECT max(pl.broken_at) FROM payment_plans pl
                            WHERE pl.account_id = x.account_id AND pl.status = 'broken'
                              AND pl.broken_at BETWEEN x.entered_on AND ${asOf})
  WHEN 'payment' THEN (SELECT max(je.effective_date) FROM journal_entries je
                        WHERE je.account_id = x.account_id AND je.kind IN ('payment', 'direct_payment')
                          AND je.effective_date BETWEEN x.entered_on AND ${asOf})
  END`;

// ---------------------------------------------------------------- the nightly step

export interface TreatmentContext {
  trx: Db;
  run: { id: bigint; as_of: string };
  partition: { client_id: bigint; first_id: bigint; last_id: bigint };
}

/** The partition's escalations on a night (escalate): the run's summary counts them. */
export interface EscalationCounts {
  /** escalation steps settled by a move that night (the account moved to the team, or found there) */
  escalations_moved: number;
  /** escalation steps still open and not moved after the night: held back, tried again the next night */
  escalations_held: number;
}

/**
 * The nightly run's step 'segments and treatments' for one partition (inside its transaction).
 * Nothing when no version is approved. Returns the escalations moved and held; the rest of what it
 * did is counted by the decision log.
 */
export async function treatmentStep({
  trx,
  run,
  partition,
}: TreatmentContext): Promise<Partial<EscalationCounts>> {
  const asOf = run.as_of;
  const version = await versionInForce(trx, asOf);
  if (!version) return {};
  const { document } = version;
  const day = sql`${asOf}::date`;
  const previous = await sql<{ as_of: string | null }>`
    SELECT max(as_of)::text AS as_of FROM strategy_runs WHERE as_of < ${asOf}::date`.execute(trx);
  const since = previous.rows[0]?.as_of ?? null;
  const inPartition = sql<boolean>`a.client_id = ${partition.client_id} AND a.id BETWEEN ${partition.first_id} AND ${partition.last_id}`;

  await sql`DROP TABLE IF EXISTS pg_temp.strategy_assigned, pg_temp.strategy_steps`.execute(trx);
  await sql`
    CREATE TEMP TABLE strategy_steps ON COMMIT DROP AS
    SELECT * FROM jsonb_to_recordset(${stepsJson(document)}::jsonb) AS st(${stepColumns})`.execute(trx);
  // each account's segment and arm, its entry date (kept while segment and arm stay) and its next
  // step from entry, beside what account_treatments holds
  await sql`
    CREATE TEMP TABLE strategy_assigned ON COMMIT DROP AS
    SELECT z.*, n.step AS next_step, n.due AS next_due
      FROM (SELECT y.account_id, y.client_id, y.segment, y.arm,
                   t.account_id IS NOT NULL AS had_state,
                   (t.segment IS DISTINCT FROM y.segment OR t.arm IS DISTINCT FROM y.arm) AS entered,
                   CASE WHEN t.segment = y.segment AND t.arm = y.arm THEN t.entered_on ELSE ${day} END AS entered_on,
                   t.strategy_version_id AS old_version, t.next_step AS old_next_step, t.next_due AS old_next_due
              FROM (${assignmentSql(document, asOf, inPartition)} OFFSET 0) y
              LEFT JOIN account_treatments t ON t.client_id = y.client_id AND t.account_id = y.account_id) z
      LEFT JOIN LATERAL (
        SELECT st.step, z.entered_on + st.day AS due FROM strategy_steps st
         WHERE st.segment = z.segment AND st.arm = z.arm AND st.anchor = 'entry' AND z.entered_on + st.day > ${day}
         ORDER BY st.day LIMIT 1) n ON true`.execute(trx);
  // statistics of the partition's assignment, so the joins below are planned as hash joins; the index
  // serves the anti-join of the DELETE below when account_treatments' statistics are stale (a table
  // that was empty at its last ANALYZE is planned as one row: a nested loop over this whole table)
  await sql`CREATE INDEX ON pg_temp.strategy_assigned (account_id)`.execute(trx);
  await sql`ANALYZE pg_temp.strategy_assigned`.execute(trx);

  // agent tasks of the partition's accounts that were worked (a contact attempt logged) since they were created
  await sql`
    UPDATE strategy_actions x SET status = 'done', finished_at = now()
     WHERE x.client_id = ${partition.client_id} AND x.account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
       AND x.kind = 'task' AND x.status = 'open'
       -- an escalation is the receiving team's: done once worked after it moved there
       AND (x.task <> 'escalate' OR x.moved_at IS NOT NULL)
       AND EXISTS (SELECT FROM contact_attempts ca
                    WHERE ca.account_id = x.account_id AND ca.at >= coalesce(x.moved_at, x.created_at))`.execute(
    trx,
  );

  // accounts in no segment (or no longer live) leave the strategy
  await sql`
    DELETE FROM account_treatments t
     WHERE t.client_id = ${partition.client_id} AND t.account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
       AND NOT EXISTS (SELECT FROM strategy_assigned x WHERE x.account_id = t.account_id)`.execute(trx);

  // the state, written only where it changes: moved (new segment or arm: entered today), a new
  // version, or the next step moved on; inserted for accounts new to the strategy
  await sql`
    UPDATE account_treatments t
       SET strategy_version_id = ${version.id}, segment = x.segment, arm = x.arm, entered_on = x.entered_on,
           next_step = x.next_step, next_due = x.next_due
      FROM strategy_assigned x
     WHERE t.client_id = x.client_id AND t.account_id = x.account_id AND x.had_state
       AND (x.entered OR x.old_version <> ${version.id}
            OR x.old_next_step IS DISTINCT FROM x.next_step OR x.old_next_due IS DISTINCT FROM x.next_due)`.execute(
    trx,
  );
  await sql`
    INSERT INTO account_treatments
           (client_id, account_id, strategy_version_id, segment, arm, entered_on, next_step, next_due)
    SELECT client_id, account_id, ${version.id}, segment, arm, entered_on, next_step, next_due
      FROM strategy_assigned WHERE NOT had_state`.execute(trx);
  // the steps whose day came since the previous run (today's included), and the decision log: one
  // row per account with the steps created (or 'wait'), the arm's probability and the other arms.
  // One statement: the decisions read the actions just created (a partition is redone only after
  // its transaction rolled back, so those are all of tonight's).
  // an escalation to a team that does not exist or does not serve this client is held from the start
  // (the same reason escalate() writes), so a new task is not written twice on the night it is created
  const teams = await teamSets(trx, partition.client_id);
  const heldTeams = await escalationsHeld(trx, teams);
  await sql`
    WITH created AS (
      INSERT INTO strategy_actions
             (client_id, account_id, run_date, strategy_version_id, segment, arm, step, anchor, anchor_date, kind,
              channel, template, task, team, priority, due_on, status, reasons)
      SELECT x.client_id, x.account_id, ${day}, ${version.id}, x.segment, x.arm, st.step, st.anchor, an.anchor_date,
             st.kind, st.channel, st.template, st.task, st.team, st.priority, an.anchor_date + st.day,
             CASE st.kind WHEN 'message' THEN 'pending' ELSE 'open' END,
             CASE WHEN st.task = 'escalate' AND ${JSON.stringify(heldTeams)}::jsonb ? lower(st.team)
                  THEN ARRAY[${JSON.stringify(heldTeams)}::jsonb ->> lower(st.team)] ELSE '{}'::text[] END
        FROM strategy_assigned x
        JOIN strategy_steps st ON st.segment = x.segment AND st.arm = x.arm
        CROSS JOIN LATERAL (SELECT ${anchorDateSql(day)} AS anchor_date) an
       WHERE an.anchor_date + st.day <= ${day}
         AND (${since}::date IS NULL OR an.anchor_date + st.day > ${since}::date)
      ON CONFLICT (client_id, account_id, segment, arm, step, anchor_date) DO NOTHING
      RETURNING account_id, step, priority)
    INSERT INTO strategy_decisions
           (client_id, account_id, run_date, strategy_version_id, segment, arm, action, alternatives, probability)
    SELECT x.client_id, x.account_id, ${day}, ${version.id}, x.segment, x.arm, coalesce(acts.action, 'wait'),
           m.alternatives, m.probability
      FROM strategy_assigned x
      JOIN jsonb_to_recordset(${armsJson(document)}::jsonb)
           AS m(segment text, arm text, probability real, alternatives text[])
        ON m.segment = x.segment AND m.arm = x.arm
      LEFT JOIN (SELECT account_id, string_agg(step, ',' ORDER BY priority DESC, step) AS action
                   FROM created GROUP BY account_id) acts ON acts.account_id = x.account_id
    ON CONFLICT (client_id, account_id, run_date) DO NOTHING`.execute(trx);
  // champion / challenger: the first night an account is in a test segment under this version, its
  // entry and arm (experiments.ts reads them). Only accounts new to the strategy, to a segment or arm,
  // or to the version can be new to a test, so the others are not probed.
  const tests = document.segments.filter((segment) => segment.test_id !== null && segment.arms.length > 1);
  if (tests.length > 0) {
    await sql`
      INSERT INTO strategy_test_entries (strategy_version_id, segment, client_id, account_id, arm, entered_on)
      SELECT ${version.id}, x.segment, x.client_id, x.account_id, x.arm, ${day}
        FROM strategy_assigned x
       WHERE x.segment = ANY(${tests.map((segment) => segment.code)}::text[])
         AND (NOT x.had_state OR x.entered OR x.old_version <> ${version.id})
      ON CONFLICT DO NOTHING`.execute(trx);
  }
  return escalate(trx, partition, teams);
}

/** The teams (lower-cased names) there are, and those serving one client: what holds an escalation. */
interface TeamSets {
  known: string[];
  serving: string[];
}

/** Read once per partition: teams are few, and a per-row probe of teams cost 3 µs per escalation. */
async function teamSets(trx: Db, clientId: bigint): Promise<TeamSets> {
  const rows = await sql<{ name: string; serving: boolean }>`
    SELECT lower(t.name) AS name,
           EXISTS (SELECT FROM team_clients tc WHERE tc.team_id = t.id AND tc.client_id = ${clientId}) AS serving
      FROM teams t`.execute(trx);
  return {
    known: rows.rows.map((row) => row.name),
    serving: rows.rows.filter((row) => row.serving).map((row) => row.name),
  };
}

/**
 * Why every escalation to `team` of a client's accounts is held, whoever the account: no team of that
 * name (case-insensitive), or none that serves the client; NULL when one does. One definition for
 * the reasons written at creation, the nightly re-check and the moves' selection.
 */
function teamHeldSql(team: RawBuilder<unknown>, teams: TeamSets): RawBuilder<string | null> {
  return sql<string | null>`CASE
    WHEN NOT coalesce(lower(${team}) = ANY(${teams.known}::text[]), false) THEN 'team_unknown'
    WHEN NOT coalesce(lower(${team}) = ANY(${teams.serving}::text[]), false) THEN 'team_not_serving_client' END`;
}

/** The escalation teams (lower-cased) of the steps in force that hold every escalation of a client's accounts. */
async function escalationsHeld(trx: Db, teams: TeamSets): Promise<Record<string, string>> {
  const rows = await sql<{ team: string; held: string | null }>`
    SELECT DISTINCT lower(st.team) AS team, ${teamHeldSql(sql`st.team`, teams)} AS held
      FROM strategy_steps st WHERE st.task = 'escalate' AND st.team IS NOT NULL`.execute(trx);
  return Object.fromEntries(rows.rows.flatMap((row) => (row.held === null ? [] : [[row.team, row.held]])));
}

/**
 * Escalation steps move the account to their team (调案, through the allocation service's
 * moveToTeams, with the step as the reason, in the move history): the partition's open escalations
 * not yet moved, of accounts still in the strategy. One held back — an open promise or an active plan
 * keeps the account with its agent (留案), or the team is unknown or does not serve the client — keeps
 * the reason in the action's `reasons` and is tried again the next night; once moved (or found in the
 * team already) `moved_at` is set and it is never moved again, so a night run twice moves nothing new.
 * Returns how many were settled by a move tonight and how many of the partition's are still held.
 */
async function escalate(
  trx: Db,
  partition: TreatmentContext['partition'],
  teams: TeamSets,
): Promise<EscalationCounts> {
  const teamHeld = teamHeldSql(sql`x.team`, teams);
  // after the moves: the escalations the step works (of accounts still in the strategy) left open and
  // not moved, whatever holds them (through strategy_actions_open_escalations)
  const heldCount = async () =>
    (
      await sql<{ n: number }>`
        SELECT count(*)::int AS n
          FROM strategy_actions x JOIN strategy_assigned y ON y.account_id = x.account_id
         WHERE x.client_id = ${partition.client_id} AND x.account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
           AND x.kind = 'task' AND x.task = 'escalate' AND x.status = 'open' AND x.moved_at IS NULL`.execute(
        trx,
      )
    ).rows[0]?.n ?? 0;
  // Escalations to a team that does not exist or does not serve the client are held in one statement:
  // the same for every account of the partition, and retried every night until an admin fixes the team,
  // so they stay out of the per-account move below (at a million accounts, reading and rewriting each of
  // them nightly cost more than the rest of the treatment step). Only a changed reason is written.
  await sql`
    WITH h AS (
      SELECT x.id, ${teamHeld} AS reason
        FROM strategy_actions x JOIN strategy_assigned y ON y.account_id = x.account_id
       WHERE x.client_id = ${partition.client_id} AND x.account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
         AND x.kind = 'task' AND x.task = 'escalate' AND x.status = 'open' AND x.moved_at IS NULL)
    UPDATE strategy_actions x SET reasons = ARRAY[h.reason]
      FROM h WHERE x.id = h.id AND h.reason IS NOT NULL AND x.reasons IS DISTINCT FROM ARRAY[h.reason]`.execute(
    trx,
  );
  const due = await sql<{
    id: bigint;
    account_id: bigint;
    team: string;
    step: string;
    segment: string;
    arm: string;
    due_on: string;
    version: number;
  }>`
    SELECT x.id, x.account_id, x.team, x.step, x.segment, x.arm, x.due_on::text AS due_on, v.version
      FROM strategy_actions x
      JOIN strategy_assigned y ON y.account_id = x.account_id
      JOIN strategy_versions v ON v.id = x.strategy_version_id
     WHERE x.client_id = ${partition.client_id} AND x.account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
       AND x.kind = 'task' AND x.task = 'escalate' AND x.status = 'open' AND x.moved_at IS NULL
       AND ${teamHeld} IS NULL
     ORDER BY x.account_id, x.due_on, x.id`.execute(trx);
  if (due.rows.length === 0) return { escalations_moved: 0, escalations_held: await heldCount() };
  // one move per account: to the team of its latest escalation due (an earlier one still open is
  // settled by the same move)
  const latest = new Map<bigint, (typeof due.rows)[number]>();
  for (const row of due.rows) latest.set(row.account_id, row);
  const results = await moveToTeams(
    trx,
    [...latest.values()].map((row) => ({
      accountId: row.account_id,
      team: row.team,
      reason: `escalation ${row.step} of strategy v${row.version} (segment ${row.segment}, arm ${row.arm}), due ${row.due_on}`,
    })),
    nightlyActor,
  );
  const heldBy = new Map(results.map((result) => [result.account_id, result]));
  const ids = due.rows.map((row) => String(row.id));
  const held = due.rows.map((row) => heldBy.get(row.account_id)?.held ?? null);
  await sql`
    UPDATE strategy_actions x
       SET moved_at = CASE WHEN u.held IS NULL THEN now() END,
           reasons = CASE WHEN u.held IS NULL THEN '{}'::text[] ELSE ARRAY[u.held] END
      FROM unnest(${ids}::bigint[], ${held}::text[]) AS u(id, held)
     WHERE x.id = u.id
       -- held for the same reason as last night: no new row version (they are retried every night)
       AND (u.held IS NULL OR x.reasons IS DISTINCT FROM ARRAY[u.held])`.execute(trx);
  return {
    escalations_moved: held.filter((reason) => reason === null).length,
    escalations_held: await heldCount(),
  };
}

// ---------------------------------------------------------------- an account's treatment

export async function accountTreatment(db: Db, accountId: bigint) {
  const state = await sql<{
    strategy_version_id: bigint;
    version: number;
    segment: string;
    arm: string;
    entered_on: string;
    next_step: string | null;
    next_due: string | null;
    document: unknown;
    document_sha256: string;
  }>`
    SELECT t.strategy_version_id, v.version, t.segment, t.arm, t.entered_on::text AS entered_on, t.next_step,
           t.next_due::text AS next_due, v.document, ${documentDigest} AS document_sha256
      FROM account_treatments t JOIN strategy_versions v ON v.id = t.strategy_version_id
     WHERE t.account_id = ${accountId}`.execute(db);
  const decisions = await sql<{
    run_date: string;
    version: number;
    segment: string;
    arm: string;
    action: string;
    alternatives: string[];
    probability: number;
  }>`
    SELECT d.run_date::text AS run_date, v.version, d.segment, d.arm, d.action, d.alternatives, d.probability
      FROM strategy_decisions d JOIN strategy_versions v ON v.id = d.strategy_version_id
     WHERE d.account_id = ${accountId}
     ORDER BY d.run_date DESC LIMIT ${strategyServiceLimits.decisionsShown}`.execute(db);
  const actions = await sql<ActionView>`
    SELECT ${actionColumns} FROM strategy_actions
     WHERE client_id = (SELECT client_id FROM accounts WHERE id = ${accountId}) AND account_id = ${accountId}
     ORDER BY due_on DESC, id DESC LIMIT ${strategyServiceLimits.actionsShown}`.execute(db);
  const current = state.rows[0];
  let path: Array<Record<string, unknown>> = [];
  if (current) {
    const document = storedDocument(current.strategy_version_id, current.document, current.document_sha256);
    const arm = document.segments
      .find((segment) => segment.code === current.segment)
      ?.arms.find((item) => item.code === current.arm);
    path = (arm?.steps ?? []).map((step) => ({
      ...step,
      due_on: step.from === 'entry' ? addDays(current.entered_on, step.day) : null,
      taken: actions.rows.some(
        (action) =>
          action.step === step.code &&
          action.segment === current.segment &&
          action.arm === current.arm &&
          (step.from !== 'entry' || action.anchor_date === current.entered_on),
      ),
    }));
  }
  return {
    account_id: accountId,
    treatment: current
      ? {
          strategy_version_id: current.strategy_version_id,
          version: current.version,
          segment: current.segment,
          arm: current.arm,
          entered_on: current.entered_on,
          next_step: current.next_step,
          next_due: current.next_due,
        }
      : null,
    path,
    actions: actions.rows,
    decisions: decisions.rows,
  };
}

export interface ActionView {
  id: bigint;
  run_date: string;
  segment: string;
  arm: string;
  step: string;
  anchor: string;
  anchor_date: string;
  kind: 'message' | 'task';
  channel: string | null;
  template: string | null;
  task: string | null;
  team: string | null;
  priority: number;
  due_on: string;
  status: string;
  reasons: string[];
  error: string | null;
  message_id: bigint | null;
  /** an escalation: when it moved the account to its team (null: not yet; `reasons` says why it was held) */
  moved_at: Date | null;
}

const actionColumns = sql`id, run_date::text AS run_date, segment, arm, step, anchor, anchor_date::text AS anchor_date,
  kind, channel, template, task, team, priority, due_on::text AS due_on, status, reasons, error, message_id, moved_at`;

// ---------------------------------------------------------------- the dry run

export interface DryRunResult {
  as_of: BusinessDate;
  accounts: number;
  unsegmented: number;
  segments: Array<{ segment: string; arm: string; accounts: number }>;
  tomorrow: Array<{
    segment: string;
    arm: string;
    step: string;
    kind: string;
    channel: string | null;
    template: string | null;
    task: string | null;
    accounts: number;
  }>;
  warnings: Problem[];
}

/**
 * What a document would do on the run of `asOf` (default: the next run's date): accounts per segment
 * and arm, and the steps that would fall due that day (per step, channel, template or task). Reads
 * only, in a read-only transaction (the caller's, made read-only, when `db` is one: the API runs it in
 * the caller's client scope); entry dates are the current treatment's where segment and arm stay.
 */
export async function dryRun(db: Db, input: unknown, asOf?: BusinessDate): Promise<DryRunResult> {
  const { document, warnings } = await checkDocument(db, input);
  const date = asOf ?? (await nextRunDate(db));
  const day = sql`${date}::date`;
  // inside the caller's transaction when given one (the API's, scoped to the caller's clients), else its own
  const within = <T>(work: (trx: Db) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  return within(async (trx) => {
    await sql`SET LOCAL transaction_read_only = on`.execute(trx);
    await sql`SELECT set_config('statement_timeout', ${String(strategyServiceLimits.dryRunTimeoutMs)}, true)`.execute(
      trx,
    );
    await sql`SET LOCAL jit = off`.execute(trx);
    const live = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM accounts WHERE status IN (${liveList})`.execute(trx);
    const rows = await sql<{
      segment: string;
      arm: string;
      step: string | null;
      kind: string | null;
      channel: string | null;
      template: string | null;
      task: string | null;
      accounts: number;
    }>`
      WITH x AS MATERIALIZED (
        SELECT y.account_id, y.segment, y.arm,
               CASE WHEN t.segment = y.segment AND t.arm = y.arm THEN t.entered_on ELSE ${day} END AS entered_on
          FROM (${assignmentSql(document, date, sql<boolean>`true`)}) y
          LEFT JOIN account_treatments t ON t.client_id = y.client_id AND t.account_id = y.account_id),
      st AS (SELECT * FROM jsonb_to_recordset(${stepsJson(document)}::jsonb) AS st(${stepColumns})),
      due AS (
        SELECT x.segment, x.arm, st.step, st.kind, st.channel, st.template, st.task, count(*)::int AS accounts
          FROM x JOIN st ON st.segment = x.segment AND st.arm = x.arm
          CROSS JOIN LATERAL (SELECT ${anchorDateSql(day)} AS anchor_date) an
         WHERE an.anchor_date + st.day = ${day}
         GROUP BY 1, 2, 3, 4, 5, 6, 7)
      SELECT segment, arm, NULL AS step, NULL AS kind, NULL AS channel, NULL AS template, NULL AS task,
             count(*)::int AS accounts
        FROM x GROUP BY segment, arm
      UNION ALL
      SELECT * FROM due`.execute(trx);
    const order = new Map<string, number>();
    document.segments.forEach((segment, s) => {
      segment.arms.forEach((arm, a) => {
        order.set(`${segment.code}\u0000${arm.code}`, s * 100 + a);
        arm.steps.forEach((step, i) => {
          order.set(`${segment.code}\u0000${arm.code}\u0000${step.code}`, s * 100 * 100 + a * 100 + i);
        });
      });
    });
    const segments = document.segments.flatMap((segment) =>
      segment.arms.map((arm) => ({
        segment: segment.code,
        arm: arm.code,
        accounts:
          rows.rows.find((row) => row.step === null && row.segment === segment.code && row.arm === arm.code)
            ?.accounts ?? 0,
      })),
    );
    const tomorrow = rows.rows
      .filter((row) => row.step !== null)
      .map((row) => ({
        segment: row.segment,
        arm: row.arm,
        step: row.step as string,
        kind: row.kind as string,
        channel: row.channel,
        template: row.template,
        task: row.task,
        accounts: row.accounts,
      }))
      .sort(
        (a, b) =>
          (order.get(`${a.segment}\u0000${a.arm}\u0000${a.step}`) ?? 0) -
          (order.get(`${b.segment}\u0000${b.arm}\u0000${b.step}`) ?? 0),
      );
    const segmented = segments.reduce((sum, row) => sum + row.accounts, 0);
    const accounts = live.rows[0]?.n ?? 0;
    return { as_of: date, accounts, unsegmented: accounts - segmented, segments, tomorrow, warnings };
  });
}
