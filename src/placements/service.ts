/**
 * Placement batches: import a placement file into a batch awaiting approval, approve it (accounts go
 * live and their placement entries are posted) or reject it.
 *
 * Import streams the file through validation in Node, encrypts the personal data, and loads the good
 * rows with COPY into `placement_rows`, all inside one transaction with the batch row; duplicates
 * against live accounts and other pending batches are then found set-based. Nothing is written
 * when the file is refused or no row is good. Approval is a handful of INSERT … SELECT statements.
 */
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type PiiCipher, piiCipher } from '../accounts/pii.ts';
import { contractInForce, findClientByCode } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import type { RowError } from '../files/error-report.ts';
import { writeErrorCsv } from '../files/error-report.ts';
import { csvChunks, type OpenedTable, openTable, type TableRow } from '../files/table.ts';
import { postPlacementEntries } from '../ledger/placement.ts';
import { type BusinessDate, parseBusinessDate, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { importWorkers } from '../shared/worker-pool.ts';
import { type ChunkResult, type LoadChunk, type LoadSetup, loadChunk, stagingColumns } from './load.ts';
import { startLoadPool } from './load-pool.ts';
import { countryOfJurisdiction, placementColumns, type RowContext } from './model.ts';

export const defaultMaxRows = 5_000_000;
const maxStoredErrors = 100_000;
const clientLockClass = 7_303_012;

export interface ImportOptions {
  filePath: string;
  clientCode: string;
  batchName?: string;
  user: string;
  recallDate?: string;
  maxRows?: number;
  maxBytes?: number;
  /** called every few thousand rows with the number of rows read so far */
  onProgress?: (rowsRead: number) => void;
  /** worker threads that check the rows; default: none below 4 MB, else one per core (at most 4) */
  workers?: number;
  /** the size of the pieces a CSV file is read and checked in (default 1 MiB) */
  chunkBytes?: number;
}

export interface ImportResult {
  batch_id: bigint | null;
  already_imported: boolean;
  client: string;
  status: string | null;
  file: string;
  format: string;
  encoding: string | null;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  totals: Array<{ currency: string; accounts: number; placed_total_minor: bigint }>;
  unknown_columns: string[];
  errors: RowError[];
  error_file: string | null;
  /** problems that did not stop the import (for example an error file that could not be written) */
  warnings: string[];
}

interface Pool {
  connect(): Promise<pg.PoolClient>;
}

export async function importPlacements(
  connection: { db: Db; pool: Pool },
  options: ImportOptions,
): Promise<ImportResult> {
  const { db } = connection;
  const client = await findClientByCode(db, options.clientCode);
  const today = todayIn();
  const contract = await contractInForce(db, client.id, today);
  let recallDate: string | null = null;
  if (options.recallDate !== undefined) {
    const parsed = parseBusinessDate(options.recallDate);
    if (!parsed.ok) throw new HuikuanError('bad_usage', `--recall-date: ${parsed.reason}`);
    recallDate = parsed.date;
  }
  const table = await openTable(options.filePath, placementColumns, { maxBytes: options.maxBytes });
  const { info } = table;
  const base = {
    client: client.code,
    file: options.filePath,
    format: info.format,
    encoding: info.encoding,
    unknown_columns: info.unknownHeaders,
  };

  const previous = await findSameFile(db, client.id, info.sha256);
  if (previous) {
    await table.close();
    return previous.result(base);
  }

  const cipher = piiCipher();
  const trace = stepTimer();
  const pgClient = await connection.pool.connect();
  let broken = false;
  try {
    await pgClient.query('BEGIN');
    let batchId: bigint;
    try {
      const inserted = await pgClient.query<{ id: string }>(
        `INSERT INTO placement_batches (client_id, name, file_name, file_sha256, file_format, file_encoding,
                                        recall_date, proposed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text`,
        [
          client.id.toString(),
          options.batchName ?? path.basename(options.filePath),
          path.basename(options.filePath),
          info.sha256,
          info.format,
          info.encoding,
          recallDate,
          options.user,
        ],
      );
      batchId = BigInt(inserted.rows[0]?.id ?? '0');
    } catch (error) {
      await pgClient.query('ROLLBACK');
      if ((error as { code?: string }).code === '23505') {
        const again = await findSameFile(db, client.id, info.sha256);
        if (again) return again.result(base);
      }
      throw error;
    }

    const loaded = await loadRows(pgClient, batchId, options.filePath, table, {
      cipher,
      context: { currency: contract.currency, country: countryOfJurisdiction(contract.jurisdiction), today },
      maxRows: options.maxRows ?? defaultMaxRows,
      workers: options.workers,
      chunkBytes: options.chunkBytes,
      onProgress: options.onProgress,
    }).catch((error: unknown) => {
      broken = true;
      throw error;
    });

    trace(`${loaded.rows} rows read, validated and copied`);
    if (loaded.rows === 0) {
      throw new HuikuanError(
        'bad_file',
        `${options.filePath} has a header row but no data rows. Export the file again with its accounts.`,
      );
    }
    // the set-based duplicate search groups every reference of the file: one pass in memory
    await pgClient.query("SET LOCAL work_mem = '256MB'");
    const duplicatesInFile = await removeDuplicatesInFile(pgClient, batchId, loaded);
    trace('duplicates within the file');
    // duplicates against live accounts and other pending batches, under the client's lock
    await pgClient.query('SELECT pg_advisory_xact_lock($1, $2::int)', [
      clientLockClass,
      client.id.toString(),
    ]);
    const live = await pgClient.query<{
      row_number: number;
      client_account_ref: string;
      batch_id: string;
      currency: string;
      total: string;
    }>(
      `DELETE FROM placement_rows r
        USING accounts a
        WHERE r.batch_id = $1 AND a.client_id = $2 AND a.client_account_ref = r.client_account_ref
          AND a.status IN ('active', 'paid', 'settled')
        RETURNING r.row_number, r.client_account_ref, a.batch_id::text, r.currency,
                  (r.principal_minor + r.interest_minor + r.fees_minor + r.penalty_minor)::text AS total`,
      [batchId.toString(), client.id.toString()],
    );
    const pending = await pgClient.query<{
      row_number: number;
      client_account_ref: string;
      batch_id: string;
      currency: string;
      total: string;
    }>(
      `DELETE FROM placement_rows r
        USING (SELECT DISTINCT ON (o.client_account_ref) o.client_account_ref, o.batch_id
                 FROM placement_rows o JOIN placement_batches b ON b.id = o.batch_id
                WHERE b.client_id = $2 AND b.status = 'pending_approval' AND b.id <> $1
                ORDER BY o.client_account_ref, o.batch_id) o
        WHERE r.batch_id = $1 AND o.client_account_ref = r.client_account_ref
        RETURNING r.row_number, r.client_account_ref, o.batch_id::text, r.currency,
                  (r.principal_minor + r.interest_minor + r.fees_minor + r.penalty_minor)::text AS total`,
      [batchId.toString(), client.id.toString()],
    );
    subtractRemoved(loaded, live.rows);
    subtractRemoved(loaded, pending.rows);
    for (const row of live.rows) {
      loaded.errors.push({
        row: row.row_number,
        column: 'client_account_ref',
        reason: `duplicate: "${row.client_account_ref}" is already a live account of client ${client.code} (batch ${row.batch_id})`,
        duplicate: true,
      });
    }
    for (const row of pending.rows) {
      loaded.errors.push({
        row: row.row_number,
        column: 'client_account_ref',
        reason: `duplicate: "${row.client_account_ref}" is in batch ${row.batch_id}, which awaits approval`,
        duplicate: true,
      });
    }
    trace('duplicates against live accounts and pending batches');
    const duplicates = duplicatesInFile + live.rows.length + pending.rows.length;
    const accepted = loaded.copied - live.rows.length - pending.rows.length;
    loaded.errors.sort((a, b) => a.row - b.row || columnOrder(a.column) - columnOrder(b.column));
    const errors = loaded.errors.map(({ row, column, reason }) => ({ row, column, reason }));

    if (accepted === 0) {
      await pgClient.query('ROLLBACK');
      const { errorFile, warnings } = await errorReport(options.filePath, errors);
      return {
        ...base,
        batch_id: null,
        already_imported: false,
        status: null,
        rows: loaded.rows,
        accepted: 0,
        rejected: loaded.rejected,
        duplicates,
        totals: [],
        errors,
        error_file: errorFile,
        warnings,
      };
    }

    // counted as the rows were checked, less the duplicates taken out: no scan of the staged rows
    const totals = {
      rows: [...loaded.totals]
        .filter(([, sum]) => sum.accounts > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([currency, sum]) => ({ currency, accounts: sum.accounts, total: sum.total.toString() })),
    };
    if (loaded.errors.length > 0) {
      // the error CSV holds them all; the database keeps the first ones for `batch show`
      const kept = loaded.errors.slice(0, maxStoredErrors);
      await pgClient.query(
        `INSERT INTO placement_errors (batch_id, row_number, column_name, reason, duplicate)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::bool[])`,
        [
          batchId.toString(),
          kept.map((e) => e.row),
          kept.map((e) => e.column),
          kept.map((e) => e.reason),
          kept.map((e) => e.duplicate),
        ],
      );
    }
    const inClientCurrency = totals.rows.find((row) => row.currency === contract.currency);
    await pgClient.query(
      `UPDATE placement_batches
          SET rows_total = $2, accepted = $3, rejected = $4, duplicates = $5, placed_total_minor = $6
        WHERE id = $1`,
      [
        batchId.toString(),
        loaded.rows,
        accepted,
        loaded.rejected,
        duplicates,
        inClientCurrency?.total ?? '0',
      ],
    );
    await pgClient.query('COMMIT');
    trace('batch recorded');
    const { errorFile, warnings } = await errorReport(options.filePath, errors);
    return {
      ...base,
      batch_id: batchId,
      already_imported: false,
      status: 'pending_approval',
      rows: loaded.rows,
      accepted,
      rejected: loaded.rejected,
      duplicates,
      totals: totals.rows.map((row) => ({
        currency: row.currency,
        accounts: row.accounts,
        placed_total_minor: BigInt(row.total),
      })),
      errors,
      error_file: errorFile,
      warnings,
    };
  } catch (error) {
    await pgClient.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    pgClient.release(broken ? true : undefined);
  }
}

/** The error CSV beside the input; a folder that cannot be written to costs the file, not the batch. */
async function errorReport(
  filePath: string,
  errors: RowError[],
): Promise<{ errorFile: string | null; warnings: string[] }> {
  try {
    return { errorFile: await writeErrorCsv(filePath, errors), warnings: [] };
  } catch (error) {
    return {
      errorFile: null,
      warnings: [
        `The error file could not be written beside ${filePath}: ${(error as Error).message}. The errors are listed here.`,
      ],
    };
  }
}

const columnIndex = new Map(placementColumns.map((column, index) => [column.name, index]));
function columnOrder(name: string): number {
  return columnIndex.get(name) ?? 99;
}

async function findSameFile(
  db: Db,
  clientId: bigint,
  sha256: string,
): Promise<{ result: (base: Partial<ImportResult>) => ImportResult } | null> {
  const batch = await db
    .selectFrom('placement_batches')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('file_sha256', '=', sha256)
    .where('status', '<>', 'rejected')
    .executeTakeFirst();
  if (!batch) return null;
  const totals = await batchTotals(db, batch.id, batch.status);
  return {
    result: (base) =>
      ({
        ...base,
        batch_id: batch.id,
        already_imported: true,
        status: batch.status,
        rows: batch.rows_total,
        accepted: batch.accepted,
        rejected: batch.rejected,
        duplicates: batch.duplicates,
        totals,
        errors: [],
        error_file: null,
        warnings: [],
      }) as ImportResult,
  };
}

interface LoadedRows {
  rows: number;
  copied: number;
  rejected: number;
  errors: Array<RowError & { duplicate: boolean }>;
  /** [row, reference] of each bad row with a reference */
  badRefs: Array<[number, string]>;
  /** the staged rows by currency (kept up to date as duplicates are taken out) */
  totals: Map<string, { accounts: number; total: bigint }>;
}

/** Takes rows removed from the staging table out of the batch's totals. */
function subtractRemoved(loaded: LoadedRows, removed: Array<{ currency: string; total: string }>): void {
  for (const row of removed) {
    const sum = loaded.totals.get(row.currency);
    if (sum === undefined) continue;
    sum.accounts--;
    sum.total -= BigInt(row.total);
  }
}

/** XLSX rows arrive one by one: this many make a chunk. */
const xlsxChunkRows = 2_000;

async function loadRows(
  client: pg.PoolClient,
  batchId: bigint,
  filePath: string,
  table: OpenedTable,
  options: {
    cipher: PiiCipher;
    context: RowContext;
    maxRows: number;
    workers?: number | undefined;
    chunkBytes?: number | undefined;
    onProgress?: ((rowsRead: number) => void) | undefined;
  },
): Promise<LoadedRows> {
  const stream = client.query(copyFrom(`COPY placement_rows (${stagingColumns.join(', ')}) FROM STDIN`));
  const done = finished(stream);
  done.catch(() => {});
  const setup: LoadSetup = {
    batchId: String(batchId),
    positions: table.layout.positions,
    columnNames: placementColumns.map((column) => column.name),
    rowOffset: 1 - table.layout.headerRecord,
    context: options.context,
  };
  const workers = options.workers ?? importWorkers(table.info.byteSize);
  const pool = workers > 0 ? await startLoadPool(workers, setup, options.cipher.keys()) : null;
  const { cipher } = options;
  const run = (chunk: LoadChunk): Promise<ChunkResult> =>
    pool ? pool.run(chunk) : Promise.resolve().then(() => loadChunk(chunk, setup, cipher));
  const maxInFlight = Math.max(2, workers * 2);
  const loaded: LoadedRows = { rows: 0, copied: 0, rejected: 0, errors: [], badRefs: [], totals: new Map() };
  const inFlight: Array<Promise<ChunkResult>> = [];
  let recordsRead = 0;
  const take = async (result: ChunkResult) => {
    loaded.rows += result.rows;
    loaded.copied += result.copied;
    loaded.rejected += result.rejected;
    for (const error of result.errors) loaded.errors.push({ ...error, duplicate: false });
    for (const ref of result.badRefs) loaded.badRefs.push(ref);
    for (const { currency, accounts, total } of result.totals) {
      const sum = loaded.totals.get(currency) ?? { accounts: 0, total: 0n };
      sum.accounts += accounts;
      sum.total += total;
      loaded.totals.set(currency, sum);
    }
    if (result.copy.length > 0 && !stream.write(result.copy)) {
      await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
  };
  const send = async (chunk: LoadChunk, records: number) => {
    recordsRead += records;
    if (recordsRead > options.maxRows) {
      throw new HuikuanError(
        'limit_exceeded',
        `The file has more than ${options.maxRows.toLocaleString('en')} rows, the limit for one placement file. Split it and import the parts.`,
      );
    }
    options.onProgress?.(recordsRead);
    const pending = run(chunk);
    pending.catch(() => {});
    inFlight.push(pending);
    while (inFlight.length > maxInFlight) await take(await (inFlight.shift() as Promise<ChunkResult>));
  };
  try {
    if (table.info.format === 'csv') {
      await table.close();
      for await (const chunk of csvChunks(
        filePath,
        table.info.encoding ?? 'utf-8',
        table.layout.headerRecord,
        options.chunkBytes,
      )) {
        await send({ text: chunk.text, firstRecord: chunk.firstRecord }, chunk.records);
      }
    } else {
      let rows: TableRow[] = [];
      for await (const row of table.rows) {
        rows.push(row);
        if (rows.length >= xlsxChunkRows) {
          await send({ rows }, rows.length);
          rows = [];
        }
      }
      if (rows.length > 0) await send({ rows }, rows.length);
    }
    while (inFlight.length > 0) await take(await (inFlight.shift() as Promise<ChunkResult>));
    stream.end();
    await done;
  } catch (error) {
    stream.destroy(error as Error);
    await done.catch(() => {});
    await Promise.allSettled(inFlight);
    throw error;
  } finally {
    await table.close();
    await pool?.close();
  }
  return loaded;
}

/**
 * Rows whose reference an earlier row of the file already has: the good ones are taken out of the
 * staged rows, the bad ones lose their other errors (a duplicate is reported as that alone).
 * Set-based after the COPY, so the import keeps no map of every reference it has read.
 */
async function removeDuplicatesInFile(
  client: pg.PoolClient,
  batchId: bigint,
  loaded: LoadedRows,
): Promise<number> {
  const found = await client.query<{ row_number: number; ref: string; first_row: number }>(
    `WITH refs AS (
       SELECT row_number, client_account_ref AS ref FROM placement_rows WHERE batch_id = $1
        UNION ALL
       SELECT * FROM unnest($2::int[], $3::text[])
     ), firsts AS (
       SELECT ref, min(row_number) AS first_row FROM refs GROUP BY ref HAVING count(*) > 1
     )
     SELECT r.row_number, r.ref, f.first_row
       FROM refs r JOIN firsts f USING (ref)
      WHERE r.row_number > f.first_row
      ORDER BY r.row_number`,
    [batchId.toString(), loaded.badRefs.map(([row]) => row), loaded.badRefs.map(([, ref]) => ref)],
  );
  if (found.rows.length === 0) return 0;
  const duplicateRows = new Set(found.rows.map((row) => row.row_number));
  const removed = await client.query<{ currency: string; total: string }>(
    `DELETE FROM placement_rows WHERE batch_id = $1 AND row_number = ANY($2::int[])
     RETURNING currency, (principal_minor + interest_minor + fees_minor + penalty_minor)::text AS total`,
    [batchId.toString(), [...duplicateRows]],
  );
  subtractRemoved(loaded, removed.rows);
  const staged = removed.rowCount ?? 0;
  loaded.copied -= staged;
  loaded.rejected -= found.rows.length - staged;
  loaded.errors = loaded.errors.filter((error) => !duplicateRows.has(error.row));
  for (const row of found.rows) {
    loaded.errors.push({
      row: row.row_number,
      column: 'client_account_ref',
      reason: `duplicate: "${row.ref}" already appears on row ${row.first_row} of this file`,
      duplicate: true,
    });
  }
  return found.rows.length;
}

// ------------------------------------------------------------------ decisions

export interface ApprovalResult {
  batch_id: bigint;
  client: string;
  status: 'approved';
  decided_by: string;
  accounts: number;
  debtors: number;
  contact_points: number;
  entries: number;
  postings: number;
  effective_date: string;
  totals: Array<{ currency: string; accounts: number; placed_total_minor: bigint }>;
}

interface BatchRow {
  id: bigint;
  client_id: bigint;
  status: string;
  proposed_by: string;
  accepted: number;
}

async function lockPendingBatch(trx: Db, batchId: bigint, user: string, verb: 'approve' | 'reject') {
  const batch = (
    await sql<BatchRow>`
    SELECT id, client_id, status, proposed_by, accepted FROM placement_batches WHERE id = ${batchId} FOR UPDATE`.execute(
      trx,
    )
  ).rows[0];
  if (!batch)
    throw new HuikuanError(
      'not_found',
      `No placement batch ${batchId}. List them with "huikuan batch list".`,
    );
  if (batch.status !== 'pending_approval') {
    throw new HuikuanError(
      'invalid_state',
      `Batch ${batchId} is ${batch.status}; only a batch awaiting approval can be ${verb === 'approve' ? 'approved' : 'rejected'}.`,
    );
  }
  if (verb === 'approve' && batch.proposed_by === user) {
    throw new HuikuanError(
      'forbidden',
      `${user} imported batch ${batchId} and cannot approve it too: another user must approve it (--user).`,
    );
  }
  const client = await trx
    .selectFrom('clients')
    .select(['code'])
    .where('id', '=', batch.client_id)
    .executeTakeFirstOrThrow();
  return { ...batch, clientCode: client.code };
}

export interface ApprovalOptions {
  /**
   * The business date the approval counts from (the placement entries' effective date and the batch's
   * decision time, 10:00 that day in Asia/Shanghai); default today and now. Only the demo uses it, to
   * seed a book whose accounts were placed months before the payments it also seeds: measures such as
   * the recovery curve by vintage and the days to first payment count from the placement.
   */
  asOf?: BusinessDate;
}

export async function approveBatch(
  db: Db,
  batchId: bigint,
  user: string,
  options: ApprovalOptions = {},
): Promise<ApprovalResult> {
  const trace = stepTimer();
  return db.transaction().execute(async (trx) => {
    const batch = await lockPendingBatch(trx, batchId, user, 'approve');
    const clientId = batch.client_id;
    await sql`SELECT pg_advisory_xact_lock(${clientLockClass}, ${clientId}::int)`.execute(trx);
    // the set-based statements below hash-join whole batches: give them memory to do it in one pass
    await sql`SET LOCAL work_mem = '256MB'`.execute(trx);
    // each statement runs once over the whole batch: once the staging rows have statistics (a large
    // batch, analyzed by autovacuum) their cost passes jit_above_cost and compiling is pure overhead
    await sql`SET LOCAL jit = off`.execute(trx);

    const conflicts = await sql<{ client_account_ref: string; total: number }>`
      SELECT r.client_account_ref, count(*) OVER ()::int AS total
        FROM placement_rows r
        JOIN accounts a ON a.client_id = ${clientId} AND a.client_account_ref = r.client_account_ref
                       AND a.status IN ('active', 'paid', 'settled')
       WHERE r.batch_id = ${batchId}
       ORDER BY r.row_number LIMIT 20`.execute(trx);
    if (conflicts.rows.length > 0) {
      const total = conflicts.rows[0]?.total ?? conflicts.rows.length;
      throw new HuikuanError(
        'conflict',
        `Batch ${batchId} cannot be approved: ${total} of its account reference${total > 1 ? 's are' : ' is'} now live from another batch (${conflicts.rows.map((row) => row.client_account_ref).join(', ')}${total > conflicts.rows.length ? ', …' : ''}). Reject this batch and import a file without them.`,
        { refs: conflicts.rows.map((row) => row.client_account_ref), count: total },
      );
    }
    trace('conflict check');
    // placement_rows is unlogged (0010_placement_staging_unlogged.sql): a database crash empties it
    const staged = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM placement_rows WHERE batch_id = ${batchId}`.execute(trx);
    if ((staged.rows[0]?.n ?? 0) !== batch.accepted) {
      throw new HuikuanError(
        'invalid_state',
        `The staged rows of batch ${batchId} are gone (${staged.rows[0]?.n ?? 0} of ${batch.accepted}): the database stopped abruptly while the batch waited, and waiting rows are not kept through a crash. Reject the batch and import the file again.`,
      );
    }

    // Debtors: one per distinct ID-number hash within the client (an existing debtor of the client
    // with that hash is reused); rows without an ID number each have their own. Every staged row drew
    // an account id and a debtor id when it was loaded; only rows whose debtor is shared (its ID
    // number on several rows, or a debtor the client placed before) are re-pointed here.
    // One scan of the batch's rows (a window over the ID-number hash) instead of three.
    await sql`
      WITH g AS (
        SELECT row_number, id_number_hash,
               count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS rows,
               first_value(row_number) OVER w AS first_row,
               first_value(debtor_id) OVER w AS first_debtor
          FROM placement_rows WHERE batch_id = ${batchId} AND id_number_hash IS NOT NULL
        WINDOW w AS (PARTITION BY id_number_hash ORDER BY row_number)
      ), known AS (
        SELECT DISTINCT ON (d.id_number_hash) d.id_number_hash, d.id
          FROM debtors d
         WHERE d.client_id = ${clientId} AND d.id_number_hash IN (SELECT id_number_hash FROM g)
         ORDER BY d.id_number_hash, d.id
      ), targets AS (
        SELECT g.row_number, g.first_row, k.id IS NOT NULL AS known, coalesce(k.id, g.first_debtor) AS debtor_id
          FROM g LEFT JOIN known k USING (id_number_hash)
         WHERE g.rows > 1 OR k.id IS NOT NULL
      )
      UPDATE placement_rows r
         SET debtor_id = t.debtor_id, shared_debtor = true,
             creates_debtor = (NOT t.known AND r.row_number = t.first_row)
        FROM targets t
       WHERE r.batch_id = ${batchId} AND r.row_number = t.row_number`.execute(trx);
    trace('shared debtors');

    const debtors = await sql`
      INSERT INTO debtors (id, client_id, name, id_number_enc, id_number_hash, id_number_masked, date_of_birth,
                           address, city, region, postal_code, country)
      OVERRIDING SYSTEM VALUE
      SELECT debtor_id, ${clientId}, debtor_name, id_number_enc, id_number_hash, id_number_masked,
             date_of_birth, address, city, region, postal_code, country
        FROM placement_rows
       WHERE batch_id = ${batchId} AND creates_debtor`.execute(trx);
    trace('debtors');

    // Contact points: phones (encrypted, hashed, masked) and e-mail. A shared debtor gets each
    // number once.
    // position k (1..4: three phones, then the e-mail) of every row from one uncorrelated series and
    // CASE: a LATERAL VALUES list had PostgreSQL set up its four rows' expressions again for every row
    const candidates = (shared: boolean) => sql`
      SELECT c.* FROM (
        SELECT r.debtor_id, r.row_number,
               CASE WHEN k < 4 THEN 'phone' ELSE 'email' END AS kind,
               CASE WHEN k < 4 THEN k ELSE 1 END AS position,
               CASE k WHEN 1 THEN r.phone_1_enc WHEN 2 THEN r.phone_2_enc WHEN 3 THEN r.phone_3_enc END AS enc,
               CASE k WHEN 1 THEN r.phone_1_hash WHEN 2 THEN r.phone_2_hash WHEN 3 THEN r.phone_3_hash END AS hash,
               CASE k WHEN 1 THEN r.phone_1_masked WHEN 2 THEN r.phone_2_masked WHEN 3 THEN r.phone_3_masked
                      ELSE left(r.email, 1) || '***' || substring(r.email FROM position('@' IN r.email))
               END AS masked,
               CASE WHEN k = 4 THEN r.email END AS value_text
          FROM placement_rows r CROSS JOIN generate_series(1, 4) AS k
         WHERE r.batch_id = ${batchId} AND r.shared_debtor = ${shared}) c
       WHERE c.hash IS NOT NULL OR c.value_text IS NOT NULL`;
    const ownContacts = await sql`
      INSERT INTO contact_points (client_id, debtor_id, kind, position, value_enc, value_hash, value_masked, value_text)
      SELECT ${clientId}, debtor_id, kind, position, enc, hash, masked, value_text
        FROM (${candidates(false)}) c`.execute(trx);
    const sharedContacts = await sql`
      INSERT INTO contact_points (client_id, debtor_id, kind, position, value_enc, value_hash, value_masked, value_text)
      SELECT DISTINCT ON (c.debtor_id, c.kind, coalesce(c.hash, convert_to(lower(c.value_text), 'UTF8')))
             ${clientId}::bigint, c.debtor_id, c.kind, c.position, c.enc, c.hash, c.masked, c.value_text
        FROM (${candidates(true)}) c
       WHERE NOT EXISTS (
               SELECT 1 FROM contact_points e
                WHERE e.debtor_id = c.debtor_id AND e.kind = c.kind
                  AND (e.value_hash = c.hash OR lower(e.value_text) = lower(c.value_text)))
       ORDER BY c.debtor_id, c.kind, coalesce(c.hash, convert_to(lower(c.value_text), 'UTF8')), c.row_number,
                c.position`.execute(trx);
    const contactCount = Number((ownContacts.numAffectedRows ?? 0n) + (sharedContacts.numAffectedRows ?? 0n));
    trace('contact points');

    const accounts = await sql`
      INSERT INTO accounts (id, client_id, batch_id, debtor_id, client_account_ref, currency, status, product_type,
                            original_creditor, delinquency_date, charge_off_date, open_date, last_payment_date,
                            last_payment_amount_minor, notes,
                            placed_principal_minor, placed_interest_minor, placed_fees_minor, placed_penalty_minor,
                            principal_minor, interest_minor, fees_minor, penalty_minor)
      OVERRIDING SYSTEM VALUE
      SELECT account_id, ${clientId}, ${batchId}, debtor_id, client_account_ref, currency, 'active',
             product_type, original_creditor, delinquency_date, charge_off_date, open_date,
             last_payment_date, last_payment_amount_minor, notes,
             principal_minor, interest_minor, fees_minor, penalty_minor,
             principal_minor, interest_minor, fees_minor, penalty_minor
        FROM placement_rows
       WHERE batch_id = ${batchId}`.execute(trx);
    trace('accounts');

    // the instant the approval counts from (see ApprovalOptions.asOf)
    const decidedAt =
      options.asOf === undefined
        ? sql`now()`
        : sql`(${options.asOf}::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'`;
    await sql`
      INSERT INTO account_events (client_id, account_id, kind, from_status, to_status, reason, actor, at)
      SELECT ${clientId}, account_id, 'placed', NULL, 'active', ${`batch ${batchId} approved`}, ${user}, ${decidedAt}
        FROM placement_rows WHERE batch_id = ${batchId}`.execute(trx);
    trace('account events');

    const effectiveDate = options.asOf ?? todayIn();
    const ledger = await postPlacementEntries(trx, { batchId, actor: user, effectiveDate });
    trace('placement entries');

    await sql`
      UPDATE placement_batches
         SET status = 'approved', decided_by = ${user},
             decided_at = ${decidedAt}
       WHERE id = ${batchId}`.execute(trx);
    await sql`DELETE FROM placement_rows WHERE batch_id = ${batchId}`.execute(trx);
    trace('staging removed');
    const totals = await batchTotals(trx, batchId, 'approved');
    return {
      batch_id: batchId,
      client: batch.clientCode,
      status: 'approved',
      decided_by: user,
      accounts: Number(accounts.numAffectedRows ?? 0n),
      debtors: Number(debtors.numAffectedRows ?? 0n),
      contact_points: contactCount,
      entries: ledger.entries,
      postings: ledger.postings,
      effective_date: effectiveDate,
      totals,
    };
  });
}

/** With HUIKUAN_TRACE set, prints the time of each step of a long operation on stderr. */
function stepTimer(): (label: string) => void {
  if (!process.env.HUIKUAN_TRACE) return () => {};
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    process.stderr.write(`[placements] ${label}: ${Math.round(now - last)} ms\n`);
    last = now;
  };
}

export interface RejectionResult {
  batch_id: bigint;
  client: string;
  status: 'rejected';
  decided_by: string;
  reason: string;
}

export async function rejectBatch(
  db: Db,
  batchId: bigint,
  user: string,
  reason: string,
): Promise<RejectionResult> {
  const trimmed = reason.trim();
  if (trimmed === '')
    throw new HuikuanError('bad_usage', 'Give the reason for rejecting the batch (--reason).');
  return db.transaction().execute(async (trx) => {
    const batch = await lockPendingBatch(trx, batchId, user, 'reject');
    await sql`
      UPDATE placement_batches
         SET status = 'rejected', decided_by = ${user}, decided_at = now(), reject_reason = ${trimmed}
       WHERE id = ${batchId}`.execute(trx);
    await sql`DELETE FROM placement_rows WHERE batch_id = ${batchId}`.execute(trx);
    return {
      batch_id: batchId,
      client: batch.clientCode,
      status: 'rejected',
      decided_by: user,
      reason: trimmed,
    };
  });
}

// ------------------------------------------------------------------ queries

async function batchTotals(
  db: Db,
  batchId: bigint,
  status: string,
): Promise<Array<{ currency: string; accounts: number; placed_total_minor: bigint }>> {
  if (status === 'rejected') return [];
  const rows =
    status === 'approved'
      ? await sql<{ currency: string; accounts: number; total: bigint }>`
          SELECT currency, count(*)::int AS accounts,
                 sum(placed_principal_minor + placed_interest_minor + placed_fees_minor + placed_penalty_minor)::int8 AS total
            FROM accounts WHERE batch_id = ${batchId} GROUP BY currency ORDER BY currency`.execute(db)
      : await sql<{ currency: string; accounts: number; total: bigint }>`
          SELECT currency, count(*)::int AS accounts,
                 sum(principal_minor + interest_minor + fees_minor + penalty_minor)::int8 AS total
            FROM placement_rows WHERE batch_id = ${batchId} GROUP BY currency ORDER BY currency`.execute(db);
  return rows.rows.map((row) => ({
    currency: row.currency,
    accounts: row.accounts,
    placed_total_minor: row.total,
  }));
}

export interface BatchSummary {
  batch_id: bigint;
  client: string;
  name: string;
  status: string;
  file_name: string;
  file_sha256: string;
  file_format: string;
  file_encoding: string | null;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  placed_total_minor: bigint;
  currency: string | null;
  recall_date: string | null;
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reject_reason: string | null;
}

export const batchStatuses = ['pending_approval', 'approved', 'rejected'] as const;

export async function listBatches(
  db: Db,
  filter: { clientCode?: string; status?: string; batchId?: bigint; limit?: number } = {},
): Promise<BatchSummary[]> {
  let query = db
    .selectFrom('placement_batches as b')
    .innerJoin('clients as c', 'c.id', 'b.client_id')
    .selectAll('b')
    .select(['c.code as client_code'])
    .select(
      sql<string | null>`(SELECT currency FROM contracts k WHERE k.client_id = b.client_id
                          ORDER BY k.effective_from DESC, k.version DESC LIMIT 1)`.as('currency'),
    )
    .orderBy('b.id', 'desc')
    .limit(filter.limit ?? 1000);
  if (filter.clientCode !== undefined) {
    const client = await findClientByCode(db, filter.clientCode);
    query = query.where('b.client_id', '=', client.id);
  }
  if (filter.batchId !== undefined) query = query.where('b.id', '=', filter.batchId);
  if (filter.status !== undefined) {
    if (!(batchStatuses as readonly string[]).includes(filter.status)) {
      throw new HuikuanError('bad_usage', `--status must be one of ${batchStatuses.join(', ')}.`);
    }
    query = query.where('b.status', '=', filter.status as (typeof batchStatuses)[number]);
  }
  const rows = await query.execute();
  return rows.map((row) => ({
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
    currency: row.currency,
    recall_date: row.recall_date,
    proposed_by: row.proposed_by,
    proposed_at: new Date(row.proposed_at).toISOString(),
    decided_by: row.decided_by,
    decided_at: row.decided_at ? new Date(row.decided_at).toISOString() : null,
    reject_reason: row.reject_reason,
  }));
}

export interface BatchDetail extends BatchSummary {
  totals: Array<{ currency: string; accounts: number; placed_total_minor: bigint }>;
  errors: RowError[];
  errors_total: number;
}

export async function showBatch(db: Db, batchId: bigint, errorLimit = 1000): Promise<BatchDetail> {
  const [summary] = await listBatches(db, { batchId });
  if (!summary)
    throw new HuikuanError(
      'not_found',
      `No placement batch ${batchId}. List them with "huikuan batch list".`,
    );
  const errors = await db
    .selectFrom('placement_errors')
    .select(['row_number', 'column_name', 'reason'])
    .where('batch_id', '=', batchId)
    .orderBy('row_number')
    .limit(errorLimit)
    .execute();
  const count = await db
    .selectFrom('placement_errors')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('batch_id', '=', batchId)
    .executeTakeFirstOrThrow();
  return {
    ...summary,
    totals: await batchTotals(db, batchId, summary.status),
    errors: errors.map((row) => ({ row: row.row_number, column: row.column_name, reason: row.reason })),
    errors_total: Number(count.n),
  };
}
