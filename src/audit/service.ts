/**
 * The audit trail: recordAudit appends one event (the database's chain trigger draws the id and
 * computes prev_hash and hash under a lock); verifyAudit recomputes every hash in Node from the
 * stored fields and names the first broken link; listAudit filters and pages.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { parseDateOrInstant } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';

export interface AuditEventInput {
  /** The acting user name (or the CLI's actor, or 'system'). */
  actor: string;
  actorUserId?: bigint | null;
  /** What happened, dotted lower case: 'user.created', 'session.login_failed', 'pii.revealed'. */
  action: string;
  entityType: string;
  entityId?: string | number | bigint | null;
  clientId?: bigint | null;
  /** State before and after the change (any JSON value; bigint is written exactly). */
  before?: unknown;
  after?: unknown;
  ip?: string | null;
}

export interface RecordedAudit {
  id: bigint;
  hash: string;
}

const zeroHash = '0'.repeat(64);
const actionPattern = /^[a-z][a-z0-9_.]*$/;

function jsonb(value: unknown) {
  return value === undefined || value === null ? null : sql<unknown>`${toJson(value)}::jsonb`;
}

/**
 * Appends one event. Pass the transaction of the change it records so both commit or neither;
 * appends are serialised by the database (advisory lock and chain head), so concurrent callers
 * cannot fork the chain.
 */
export async function recordAudit(db: Kysely<Database>, event: AuditEventInput): Promise<RecordedAudit> {
  if (!actionPattern.test(event.action)) {
    throw new HuikuanError('bad_input', `Audit action "${event.action}" must be dotted lower case.`);
  }
  const row = await db
    .insertInto('audit_events')
    .values({
      actor: event.actor,
      actor_user_id: event.actorUserId ?? null,
      action: event.action,
      entity_type: event.entityType,
      entity_id: event.entityId === undefined || event.entityId === null ? null : String(event.entityId),
      client_id: event.clientId ?? null,
      before: jsonb(event.before),
      after: jsonb(event.after),
      ip: event.ip ?? null,
    })
    .returning(['id', 'hash'])
    .executeTakeFirstOrThrow();
  return { id: row.id, hash: row.hash };
}

/** The canonical serialisation the chain hashes (the same as audit_canonical() in 0006_audit.sql). */
export function canonicalAudit(fields: (string | null)[]): string {
  return fields
    .map((value) => (value === null ? '~' : `${Buffer.byteLength(value, 'utf8')}:${value}`))
    .join('\n');
}

export function auditHash(fields: (string | null)[]): string {
  return createHash('sha256').update(canonicalAudit(fields), 'utf8').digest('hex');
}

export interface AuditBreak {
  id: bigint;
  problem: 'hash_mismatch' | 'prev_hash_mismatch' | 'head_mismatch';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  lastId: bigint | null;
  lastHash: string;
  firstBreak: AuditBreak | null;
}

interface AuditTextRow {
  id: string;
  at_text: string;
  actor: string;
  actor_user_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  client_id: string | null;
  before_text: string | null;
  after_text: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * Walks the chain in id order, recomputing each row's hash from its fields' text and checking that
 * each prev_hash is the previous row's hash and that the head names the last row (a removed tail).
 */
export async function verifyAudit(db: Kysely<Database>, batchSize = 5000): Promise<AuditVerification> {
  let previousHash = zeroHash;
  let lastId: bigint | null = null;
  let events = 0;
  let after = -1n;
  for (;;) {
    const result = await sql<AuditTextRow>`
      SELECT id::text AS id,
             to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text,
             actor, actor_user_id::text AS actor_user_id, action, entity_type, entity_id,
             client_id::text AS client_id, before::text AS before_text, after::text AS after_text,
             ip, prev_hash, hash
        FROM audit_events WHERE audit_events.id > ${after} ORDER BY audit_events.id LIMIT ${batchSize}`.execute(
      db,
    );
    for (const row of result.rows) {
      const id = BigInt(row.id);
      const broken = (problem: AuditBreak['problem'], message: string): AuditVerification => ({
        ok: false,
        events,
        lastId,
        lastHash: previousHash,
        firstBreak: { id, problem, message },
      });
      if (row.prev_hash !== previousHash) {
        return broken(
          'prev_hash_mismatch',
          `Audit event ${id} does not follow ${lastId === null ? 'the start of the chain' : `event ${lastId}`}: its prev_hash is not that event's hash (an event before it was removed or altered).`,
        );
      }
      const computed = auditHash([
        row.id,
        row.at_text,
        row.actor,
        row.actor_user_id,
        row.action,
        row.entity_type,
        row.entity_id,
        row.client_id,
        row.before_text,
        row.after_text,
        row.ip,
        row.prev_hash,
      ]);
      if (computed !== row.hash) {
        return broken(
          'hash_mismatch',
          `Audit event ${id} was altered: its fields no longer hash to its stored hash.`,
        );
      }
      previousHash = row.hash;
      lastId = id;
      after = id;
      events += 1;
    }
    if (result.rows.length < batchSize) break;
  }
  const head = await db.selectFrom('audit_head').select(['last_id', 'last_hash']).executeTakeFirst();
  if (head && (head.last_id !== lastId || head.last_hash !== previousHash)) {
    return {
      ok: false,
      events,
      lastId,
      lastHash: previousHash,
      firstBreak: {
        id: head.last_id ?? 0n,
        problem: 'head_mismatch',
        message: `The chain ends at ${lastId === null ? 'no event' : `event ${lastId}`} but its head names event ${head.last_id}: events at the end were removed.`,
      },
    };
  }
  return { ok: true, events, lastId, lastHash: previousHash, firstBreak: null };
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  clientId?: bigint;
  /** A date (start of that day, Asia/Shanghai) or an ISO instant. */
  from?: string;
  /** A date (inclusive: to the end of that day) or an ISO instant (exclusive). */
  to?: string;
  limit?: number;
  offset?: number;
}

export interface AuditEvent {
  id: bigint;
  at: string;
  actor: string;
  actor_user_id: bigint | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  client_id: bigint | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

function boundary(text: string, field: string, end: boolean): Date {
  const parsed = parseDateOrInstant(text);
  if (!parsed.ok) throw new HuikuanError('bad_input', `${field}: ${parsed.reason}.`);
  if (parsed.instant !== null) return new Date(parsed.instant);
  // a plain date: the day in the agency's zone (China has had no DST since 1991: UTC+8)
  const start = Date.parse(`${parsed.date}T00:00:00+08:00`);
  return new Date(end ? start + 86_400_000 : start);
}

export async function listAudit(
  db: Kysely<Database>,
  filter: AuditFilter,
): Promise<{ items: AuditEvent[]; total: number }> {
  let query = db.selectFrom('audit_events');
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.entityType !== undefined) query = query.where('entity_type', '=', filter.entityType);
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.from !== undefined) query = query.where('at', '>=', boundary(filter.from, 'from', false));
  if (filter.to !== undefined) query = query.where('at', '<', boundary(filter.to, 'to', true));
  const [count, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    query
      .select([
        'id',
        'at',
        'actor',
        'actor_user_id',
        'action',
        'entity_type',
        'entity_id',
        'client_id',
        'ip',
        'prev_hash',
        'hash',
      ])
      .select([
        sql<string | null>`before::text`.as('before_text'),
        sql<string | null>`after::text`.as('after_text'),
      ])
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute(),
  ]);
  return {
    total: Number(count.n),
    items: rows.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      actor: row.actor,
      actor_user_id: row.actor_user_id,
      action: row.action,
      entity_type: row.entity_type,
      entity_id: row.entity_id,
      client_id: row.client_id,
      before: row.before_text === null ? null : JSON.parse(row.before_text),
      after: row.after_text === null ? null : JSON.parse(row.after_text),
      ip: row.ip,
      prev_hash: row.prev_hash,
      hash: row.hash,
    })),
  };
}
