/**
 * Quality checks in the database: outbound text refused when it fails the checker, QA cases for
 * notes that fail it, weekly samples per agent scored on the scorecard, and the agent's record.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { type Db, inTransaction } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { checkText, type QaFinding, type QaResult, type QaSource, scoreSample } from './model.ts';

/** Samples drawn per agent and week at most; and the cases / samples a list returns at most. */
export const qaLimits = { samplesPerAgent: 20, listRows: 500, excerptLength: 500 };

/**
 * Refuses outbound text (a message, a template) that fails the checker: what the agency sends must
 * never threaten, insult, impersonate, misstate consequences or disclose to third parties.
 */
export function assertCleanOutbound(text: string, what: string): void {
  const result = checkText(text);
  if (!result.passed) {
    throw new HuikuanError(
      'bad_input',
      `${what} was refused by the quality check: ${describeFindings(result.findings)}. Reword it; nothing was sent or stored.`,
      { qa: result },
    );
  }
}

export function describeFindings(findings: readonly QaFinding[]): string {
  return findings
    .map((finding) => `${finding.category.replaceAll('_', ' ')} ("${finding.matched}")`)
    .join(', ');
}

/** Opens a QA case for a note that fails the checker (the note itself is kept: it is a record). */
export async function checkNote(
  db: Db,
  note: { id: bigint; clientId: bigint; accountId: bigint; author: string; body: string },
): Promise<{ result: QaResult; caseId: bigint | null }> {
  const result = checkText(note.body);
  if (result.passed) return { result, caseId: null };
  const row = await sql<{ id: bigint }>`
    INSERT INTO qa_cases (client_id, account_id, agent, source, source_id, excerpt, findings)
    VALUES (${note.clientId}, ${note.accountId}, ${note.author}, 'note', ${note.id},
            ${note.body.slice(0, qaLimits.excerptLength)}, ${JSON.stringify(result.findings)}::jsonb)
    ON CONFLICT (source, source_id) DO NOTHING
    RETURNING id`.execute(db);
  const caseId = row.rows[0]?.id ?? null;
  if (caseId !== null) {
    await recordAudit(db, {
      actor: 'qa-check',
      action: 'qa_case.opened',
      entityType: 'qa_case',
      entityId: caseId,
      clientId: note.clientId,
      after: { agent: note.author, note_id: note.id, findings: result.findings },
    });
  }
  return { result, caseId };
}

export interface QaCaseView {
  id: bigint;
  client_id: bigint;
  account_id: bigint;
  agent: string;
  source: string;
  source_id: bigint;
  excerpt: string;
  findings: QaFinding[];
  status: 'open' | 'confirmed' | 'dismissed';
  opened_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
}

export async function listQaCases(
  db: Db,
  filter: { status?: QaCaseView['status']; agent?: string },
): Promise<QaCaseView[]> {
  const rows = await sql<QaCaseView>`
    SELECT id, client_id, account_id, agent, source, source_id, excerpt, findings, status, opened_at,
           decided_by, decided_at, decision_note
      FROM qa_cases
     WHERE (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
       AND (${filter.agent ?? null}::text IS NULL OR agent = ${filter.agent ?? null})
     ORDER BY opened_at DESC, id DESC LIMIT ${qaLimits.listRows}`.execute(db);
  return rows.rows;
}

/** A reviewer confirms a finding (it stays on the agent's record as confirmed) or dismisses it. */
export async function decideQaCase(
  db: Db,
  input: { id: bigint; decision: 'confirm' | 'dismiss'; note: string; actor: string },
): Promise<QaCaseView> {
  return inTransaction(db, async (trx) => {
    const found = await sql<QaCaseView>`SELECT * FROM qa_cases WHERE id = ${input.id} FOR UPDATE`.execute(
      trx,
    );
    const row = found.rows[0];
    if (!row) throw new HuikuanError('not_found', `QA case ${input.id} does not exist.`);
    if (row.status !== 'open')
      throw new HuikuanError('invalid_state', `QA case ${input.id} was already ${row.status}.`);
    if (row.agent === input.actor) {
      throw new HuikuanError(
        'forbidden',
        `QA case ${input.id} is about ${input.actor}'s own note; another reviewer decides it.`,
      );
    }
    const decided = await sql<QaCaseView>`
      UPDATE qa_cases SET status = ${input.decision === 'confirm' ? 'confirmed' : 'dismissed'}, decided_by = ${input.actor},
             decided_at = now(), decision_note = ${input.note.trim() || null}
       WHERE id = ${input.id} RETURNING *`.execute(trx);
    await recordAudit(trx, {
      actor: input.actor,
      action: input.decision === 'confirm' ? 'qa_case.confirmed' : 'qa_case.dismissed',
      entityType: 'qa_case',
      entityId: input.id,
      clientId: row.client_id,
      before: { status: 'open' },
      after: { status: decided.rows[0]?.status, note: input.note.trim() || null },
    });
    return decided.rows[0] as QaCaseView;
  });
}

/** The ISO week ("2026-W48") of a business date: the week belongs to the year of its Thursday. */
export function isoWeekOf(date: string): string {
  const day = Date.parse(`${date}T00:00:00Z`);
  const thursday = new Date(day + (3 - ((new Date(day).getUTCDay() + 6) % 7)) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday and next Monday (UTC dates) of an ISO week "YYYY-Www". */
export function isoWeekRange(week: string): { from: string; to: string } {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  const year = Number(match?.[1]);
  const number = Number(match?.[2]);
  if (!match || number < 1 || number > 53) {
    throw new HuikuanError('bad_input', `"${week}" is not an ISO week: write it as 2026-W48.`);
  }
  // week 1 holds 4 January; its Monday is the Monday on or before it
  const jan4 = Date.UTC(year, 0, 4);
  const mondayWeek1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000;
  const from = mondayWeek1 + (number - 1) * 7 * 86_400_000;
  // an ISO week belongs to the year of its Thursday: 2026 has no week 53
  if (new Date(from + 3 * 86_400_000).getUTCFullYear() !== year) {
    throw new HuikuanError('bad_input', `${year} has no week ${number}.`);
  }
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(from), to: day(from + 7 * 86_400_000) };
}

/**
 * Draws up to `perAgent` of each agent's contacts of the week (China time) for review: their notes,
 * the e-mails and SMS they sent (handed to the provider: sending, sent, delivered or undelivered) and
 * the calls they placed that were answered — in an order fixed by the week, the source and its id
 * (md5), so drawing again adds nothing and picks the same ones.
 */
export async function drawWeeklySamples(
  db: Db,
  input: { week: string; perAgent: number; actor: string },
): Promise<{ drawn: number }> {
  if (!Number.isInteger(input.perAgent) || input.perAgent < 1 || input.perAgent > qaLimits.samplesPerAgent) {
    throw new HuikuanError('bad_input', `Draw 1–${qaLimits.samplesPerAgent} samples per agent.`);
  }
  const { from, to } = isoWeekRange(input.week);
  return db.transaction().execute(async (trx) => {
    const inserted = await sql<{ n: number }>`
      WITH week AS (
        SELECT (${from}::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AS starts,
               (${to}::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AS ends),
      contacts AS (
        SELECT 'note' AS source, n.id, n.client_id, n.account_id, n.author
          FROM account_notes n, week w WHERE n.created_at >= w.starts AND n.created_at < w.ends
        UNION ALL
        SELECT 'message', m.id, m.client_id, m.account_id, m.actor
          FROM channel_messages m, week w
         WHERE m.channel IN ('email', 'sms') AND m.status IN ('sending', 'sent', 'delivered', 'undelivered')
           AND m.created_at >= w.starts AND m.created_at < w.ends
        UNION ALL
        SELECT 'call', m.id, m.client_id, m.account_id, m.actor
          FROM channel_messages m JOIN channel_calls c ON c.message_id = m.id, week w
         WHERE m.channel = 'call' AND c.answered_at IS NOT NULL
           AND m.created_at >= w.starts AND m.created_at < w.ends),
      candidates AS (
        SELECT k.source, k.id, k.client_id, k.account_id, k.author,
               row_number() OVER (PARTITION BY k.author
                                  ORDER BY md5(${input.week} || ':' || k.source || ':' || k.id::text)) AS pick
          FROM contacts k JOIN users u ON u.username = k.author AND 'agent' = ANY (u.roles)),
      added AS (
        INSERT INTO qa_samples (week, agent, client_id, account_id, source, source_id, drawn_by)
        SELECT ${input.week}, author, client_id, account_id, source, id, ${input.actor}
          FROM candidates c
         WHERE pick <= ${input.perAgent}
           AND (SELECT count(*) FROM qa_samples s WHERE s.week = ${input.week} AND s.agent = c.author) < ${input.perAgent}
        ON CONFLICT (week, source, source_id) DO NOTHING
        RETURNING 1)
      SELECT count(*)::int AS n FROM added`.execute(trx);
    const drawn = inserted.rows[0]?.n ?? 0;
    await recordAudit(trx, {
      actor: input.actor,
      action: 'qa_sample.drawn',
      entityType: 'qa_sample',
      entityId: null,
      after: { week: input.week, per_agent: input.perAgent, drawn },
    });
    return { drawn };
  });
}

export interface QaSampleView {
  id: bigint;
  week: string;
  agent: string;
  client_id: bigint;
  account_id: bigint;
  source: QaSource;
  source_id: bigint;
  /** What the reviewer reads: the note; the message as sent (subject and text); the call's record. */
  text: string;
  /** note, email, sms or call. */
  channel: string;
  /** A call's disposition, length and recording reference (null for the others). */
  disposition: string | null;
  duration_seconds: number | null;
  recording_ref: string | null;
  scores: Record<string, number> | null;
  total: number | null;
  reviewer: string | null;
  reviewed_at: Date | null;
  comment: string | null;
}

/** A sample with what the reviewer reads, whatever its source. */
const sampleSelect = sql`
    SELECT s.id, s.week, s.agent, s.client_id, s.account_id, s.source, s.source_id,
           CASE s.source
             WHEN 'note' THEN n.body
             WHEN 'message' THEN upper(m.channel) || ' → ' || m.recipient_masked
                                 || coalesce(E'\n' || m.subject, '') || E'\n\n' || m.body_text
             ELSE 'CALL → ' || m.recipient_masked || ': ' || coalesce(c.disposition, 'no disposition')
                  || coalesce(', ' || c.duration_seconds || ' s', '')
                  || ', recording ' || coalesce(c.recording_ref, 'none')
                  || coalesce(E'\n\n' || c.note, '')
           END AS text,
           CASE s.source WHEN 'note' THEN 'note' ELSE m.channel END AS channel,
           c.disposition, c.duration_seconds, c.recording_ref,
           s.scores, s.total, s.reviewer, s.reviewed_at, s.comment
      FROM qa_samples s
      LEFT JOIN account_notes n ON s.source = 'note' AND n.id = s.source_id
      LEFT JOIN channel_messages m ON s.source IN ('message', 'call') AND m.id = s.source_id
      LEFT JOIN channel_calls c ON s.source = 'call' AND c.message_id = s.source_id`;

export async function listQaSamples(
  db: Db,
  filter: { week?: string; agent?: string },
): Promise<QaSampleView[]> {
  const rows = await sql<QaSampleView>`
    ${sampleSelect}
     WHERE (${filter.week ?? null}::text IS NULL OR s.week = ${filter.week ?? null})
       AND (${filter.agent ?? null}::text IS NULL OR s.agent = ${filter.agent ?? null})
     ORDER BY s.week DESC, s.agent, s.id LIMIT ${qaLimits.listRows}`.execute(db);
  return rows.rows;
}

/**
 * A reviewer (never the agent) scores a sample on the scorecard's criteria for its source
 * (model.ts criteriaFor); a sample is scored once.
 */
export async function scoreQaSample(
  db: Db,
  input: { id: bigint; scores: Record<string, number>; comment: string; actor: string },
): Promise<QaSampleView> {
  return inTransaction(db, async (trx) => {
    const found = await sql<{ agent: string; client_id: bigint; total: number | null; source: QaSource }>`
      SELECT agent, client_id, total, source FROM qa_samples WHERE id = ${input.id} FOR UPDATE`.execute(trx);
    const row = found.rows[0];
    if (!row) throw new HuikuanError('not_found', `QA sample ${input.id} does not exist.`);
    if (row.total !== null)
      throw new HuikuanError('invalid_state', `QA sample ${input.id} is already scored.`);
    if (row.agent === input.actor) throw new HuikuanError('forbidden', 'Nobody scores their own work.');
    const { total, problems } = scoreSample(input.scores, row.source);
    if (problems.length > 0)
      throw new HuikuanError('bad_input', `The scorecard is not complete: ${problems.join('; ')}.`);
    await sql`
      UPDATE qa_samples SET scores = ${JSON.stringify(input.scores)}::jsonb, total = ${total}, reviewer = ${input.actor},
             reviewed_at = now(), comment = ${input.comment.trim() || null}
       WHERE id = ${input.id}`.execute(trx);
    await recordAudit(trx, {
      actor: input.actor,
      action: 'qa_sample.scored',
      entityType: 'qa_sample',
      entityId: input.id,
      clientId: row.client_id,
      after: { agent: row.agent, scores: input.scores, total },
    });
    const [view] = await listQaSamplesById(trx, input.id);
    return view as QaSampleView;
  });
}

async function listQaSamplesById(db: Db, id: bigint): Promise<QaSampleView[]> {
  const rows = await sql<QaSampleView>`${sampleSelect} WHERE s.id = ${id}`.execute(db);
  return rows.rows;
}

/** The agent's QA record: cases by status and category, scored samples and their average. */
export async function agentQaRecord(db: Db, agent: string) {
  const cases = await listQaCases(db, { agent });
  const samples = await listQaSamples(db, { agent });
  const scored = samples.filter((sample) => sample.total !== null);
  const byCategory: Record<string, number> = {};
  for (const item of cases) {
    if (item.status === 'dismissed') continue;
    for (const finding of item.findings)
      byCategory[finding.category] = (byCategory[finding.category] ?? 0) + 1;
  }
  return {
    agent,
    cases: {
      open: cases.filter((c) => c.status === 'open').length,
      confirmed: cases.filter((c) => c.status === 'confirmed').length,
      dismissed: cases.filter((c) => c.status === 'dismissed').length,
      findings_by_category: byCategory,
    },
    samples: {
      drawn: samples.length,
      scored: scored.length,
      average_total:
        scored.length === 0
          ? null
          : Math.round((scored.reduce((sum, s) => sum + (s.total ?? 0), 0) / scored.length) * 10) / 10,
    },
    recent_cases: cases.slice(0, 20),
    recent_samples: scored.slice(0, 20),
  };
}
