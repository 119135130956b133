/**
 * Holds across accounts for the compliance console (issue 4 point 8): every stored hold, newest
 * first, filtered by kind, status, client, account and the day it was recorded, in pages. The
 * status is holds-model.ts's `holdStatus` written as SQL against one instant, so the filter and the
 * status shown agree. Run it under readScoped: row-level security hides other clients' holds.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { cappedCount, chinaDayRange } from './console-list.ts';
import { type HoldStatus, holdStatus, type StoredHold } from './holds-model.ts';

export interface HoldListFilter {
  kind?: StoredHold;
  status?: HoldStatus;
  clientId?: bigint;
  /** The account's own holds and its debtor's (every account). */
  accountId?: bigint;
  /** Business dates (China time) of recording, inclusive. */
  from?: string;
  to?: string;
  offset: number;
  limit: number;
  /** The instant statuses are read at (default now). */
  at?: Date;
}

export interface HoldListRow {
  id: bigint;
  client_id: bigint;
  client_code: string;
  debtor_id: bigint;
  account_id: bigint | null;
  account_ref: string | null;
  /** The account a link opens: the hold's own, else the debtor's first. */
  link_account_id: bigint | null;
  contact_point_id: bigint | null;
  kind: string;
  source: string;
  note: string | null;
  starts_at: Date;
  ends_at: Date | null;
  recorded_by: string;
  recorded_at: Date;
  lifted_at: Date | null;
  lifted_by: string | null;
  lift_reason: string | null;
  status: HoldStatus;
}

function statusCondition(status: HoldStatus, at: Date) {
  const lifted = sql`(h.lifted_at IS NOT NULL AND h.lifted_at <= ${at})`;
  const ended = sql`(h.ends_at IS NOT NULL AND h.ends_at <= ${at})`;
  switch (status) {
    case 'lifted':
      return lifted;
    case 'ended':
      return sql`(NOT ${lifted} AND ${ended})`;
    case 'scheduled':
      return sql`(NOT ${lifted} AND NOT ${ended} AND h.starts_at > ${at})`;
    case 'active':
      return sql`(NOT ${lifted} AND NOT ${ended} AND h.starts_at <= ${at})`;
  }
}

export async function listAllHolds(
  db: Db,
  filter: HoldListFilter,
): Promise<{ items: HoldListRow[]; total: number; total_capped: boolean }> {
  const at = filter.at ?? new Date();
  const where = [sql`true`];
  if (filter.kind) where.push(sql`h.kind = ${filter.kind}`);
  if (filter.status) where.push(statusCondition(filter.status, at));
  if (filter.clientId !== undefined) where.push(sql`h.client_id = ${filter.clientId}`);
  if (filter.accountId !== undefined) {
    where.push(sql`(h.account_id = ${filter.accountId}
      OR (h.account_id IS NULL AND h.debtor_id = (SELECT debtor_id FROM accounts WHERE id = ${filter.accountId})))`);
  }
  where.push(...chinaDayRange(sql.ref('h.recorded_at'), filter.from, filter.to));
  const condition = sql.join(where, sql` AND `);
  const rows = await sql<Omit<HoldListRow, 'status'>>`
    SELECT h.id, h.client_id, c.code AS client_code, h.debtor_id, h.account_id, a.client_account_ref AS account_ref,
           coalesce(h.account_id, (SELECT min(d.id) FROM accounts d WHERE d.debtor_id = h.debtor_id)) AS link_account_id,
           h.contact_point_id, h.kind, h.source, h.note, h.starts_at, h.ends_at, h.recorded_by, h.recorded_at,
           h.lifted_at, h.lifted_by, h.lift_reason
      FROM compliance_holds h
      JOIN clients c ON c.id = h.client_id
      LEFT JOIN accounts a ON a.id = h.account_id
     WHERE ${condition}
     ORDER BY h.id DESC OFFSET ${filter.offset} LIMIT ${filter.limit}`.execute(db);
  const counted = await cappedCount(db, sql`compliance_holds h`, condition);
  const atMs = at.getTime();
  return {
    items: rows.rows.map((row) => ({
      ...row,
      status: holdStatus({ startsAt: row.starts_at, endsAt: row.ends_at, liftedAt: row.lifted_at }, atMs),
    })),
    ...counted,
  };
}
