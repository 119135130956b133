/**
 * The audit event of a change made through the API: who (the principal), what, before/after, and
 * from which IP. Every write route calls `auditChange` once the change is made.
 */
import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/connection.ts';
import type { ServerDeps } from './context.ts';

export interface ChangeEvent {
  action: string;
  entityType: string;
  entityId?: string | bigint | null;
  clientId?: bigint | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Records the change in the hash-chained, append-only audit trail (src/audit). Pass `trx`, the
 * transaction of the change, where the route holds one: then both commit or neither.
 */
export async function auditChange(
  deps: ServerDeps,
  request: FastifyRequest,
  event: ChangeEvent,
  trx?: Db,
): Promise<void> {
  const principal = request.principal;
  await recordAudit(trx ?? deps.db, {
    ...event,
    actor: principal?.username ?? 'anonymous',
    actorUserId: principal?.userId ?? null,
    ip: request.ip ?? null,
  });
}
