/**
 * The audit event of a change made through the API: who (the principal), what, before/after, and
 * from which IP. Every write route calls `auditChange` once the change is made.
 */
import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { ServerDeps } from './context.ts';

export interface ChangeEvent {
  action: string;
  entityType: string;
  entityId?: string | bigint | null;
  clientId?: bigint | null;
  before?: unknown;
  after?: unknown;
}

export type AuditSink = (
  deps: ServerDeps,
  event: ChangeEvent & { actor: string; actorUserId: bigint | null; ip: string | null },
) => Promise<void>;

/** The audit trail: hash-chained, append-only audit_events (src/audit). */
const sink: AuditSink = async (deps, event) => {
  await recordAudit(deps.db, event);
};

export async function auditChange(
  deps: ServerDeps,
  request: FastifyRequest,
  event: ChangeEvent,
): Promise<void> {
  const principal = request.principal;
  await sink(deps, {
    ...event,
    actor: principal?.username ?? 'anonymous',
    actorUserId: principal?.userId ?? null,
    ip: request.ip ?? null,
  });
}
