/**
 * Placement batches for the API: a page of batches within a client scope (the CLI's listBatches has
 * no offset and no scope), the client a batch belongs to, and its row errors for the error file.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { BatchSummary, batchStatuses } from './service.ts';

export interface BatchFilter {
  clientIds: bigint[] | 'all';
  clientId?: bigint;
  status?: (typeof batchStatuses)[number];
  offset: number;
  limit: number;
}

export async function pageBatches(
  db: Db,
  filter: BatchFilter,
): Promise<{ items: BatchSummary[]; total: number }> {
  let query = db.selectFrom('placement_batches as b').innerJoin('clients as c', 'c.id', 'b.client_id');
  if (filter.clientIds !== 'all') {
    if (filter.clientIds.length === 0) return { items: [], total: 0 };
    query = query.where('b.client_id', 'in', filter.clientIds);
  }
  if (filter.clientId !== undefined) query = query.where('b.client_id', '=', filter.clientId);
  if (filter.status !== undefined) query = query.where('b.status', '=', filter.status);
  const count = await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('b')
    .select(['c.code as client_code'])
    .select(
      sql<string | null>`(SELECT currency FROM contracts k WHERE k.client_id = b.client_id
                          ORDER BY k.effective_from DESC, k.version DESC LIMIT 1)`.as('currency'),
    )
    .orderBy('b.id', 'desc')
    .offset(filter.offset)
    .limit(filter.limit)
    .execute();
  return {
    total: Number(count.n),
    items: rows.map((row) => ({
      batch_id: row.id,
      client: row.client_code,
      name: row.name,
      status: row.status,
      file_name: row.file_name,
      file_sha256: row.file_sha256,
      file_format: row.file_format,
      file_encoding: row.file_encoding,
      rows: row.rows_total,
      accepted: row.accepted,
      rejected: row.rejected,
      duplicates: row.duplicates,
      placed_total_minor: row.placed_total_minor,
      currency: row.currency?.trim() ?? null,
      recall_date: row.recall_date,
      proposed_by: row.proposed_by,
      proposed_at: new Date(row.proposed_at).toISOString(),
      decided_by: row.decided_by,
      decided_at: row.decided_at ? new Date(row.decided_at).toISOString() : null,
      reject_reason: row.reject_reason,
    })),
  };
}

export async function batchOwner(
  db: Db,
  batchId: bigint,
): Promise<{ clientId: bigint; proposedBy: string; status: string }> {
  const row = await db
    .selectFrom('placement_batches')
    .select(['client_id', 'proposed_by', 'status'])
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `There is no placement batch ${batchId}.`);
  return { clientId: row.client_id, proposedBy: row.proposed_by, status: row.status };
}

/** Every row error of a batch, in row order, as the lines of a CSV (header first, UTF-8 BOM). */
export async function* batchErrorCsv(db: Db, batchId: bigint): AsyncGenerator<string> {
  yield '\uFEFFrow,column,reason\r\n';
  let after = -1;
  for (;;) {
    const rows = await db
      .selectFrom('placement_errors')
      .select(['row_number', 'column_name', 'reason'])
      .where('batch_id', '=', batchId)
      .where('row_number', '>', after)
      .orderBy('row_number')
      .limit(5000)
      .execute();
    // rows of one row number may straddle the page: finish that row number before moving on
    const last = rows.at(-1);
    if (!last) return;
    const complete = rows.length === 5000 ? rows.filter((r) => r.row_number < last.row_number) : rows;
    const page = complete.length === 0 ? rows : complete;
    let chunk = '';
    for (const row of page)
      chunk += `${row.row_number},${csvCell(row.column_name)},${csvCell(row.reason)}\r\n`;
    yield chunk;
    const lastRow = page.at(-1);
    if (!lastRow || rows.length < 5000) return;
    if (complete.length === 0) {
      // more than 5000 errors on one row: cannot happen (a row has a few columns); stop rather than loop
      return;
    }
    after = lastRow.row_number;
  }
}

function csvCell(text: string): string {
  // a leading =, +, - or @ would be run as a formula by Excel
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}
