/**
 * Payment file import (回款文件): read and validate the whole file, resolving account references in
 * bulk (one query per chunk), then hand the good rows to the ledger in chunks; report every bad row
 * (row, column, reason), every duplicate, and record the import in `payment_imports`.
 *
 * Order of work, so that a file is validated whole before anything is written to the books:
 *   1. read, chunk by chunk and several chunks at once (read.ts; in worker threads for large files):
 *      each row checked on its own (model.ts), then one query for the accounts the chunk names, then
 *      each row checked against its account (live, currency, amount in its minor units); every row
 *      that passed the first check is copied into the import's staging rows (payment_import_rows,
 *      migration 0011), so the process holds no state per row and memory stays flat in the file's size;
 *   2. repeats of an external id within the file found by one query on the staging rows (the first
 *      row stands; a repeat is a duplicate when its content is the same, else an error), then the
 *      reversal rows checked against the payments they reverse (in the books or earlier in the file);
 *   3. post the payments through the ledger straight from the staging rows, chunk by chunk (the
 *      ledger is idempotent by external id, so a re-run or a concurrent import of the same rows posts
 *      each once); then the reversals.
 */
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { findClientByCode } from '../clients/service.ts';
import { type EncodedColumn, sqlEncodedColumn } from '../db/columns.ts';
import type { Database } from '../db/schema.ts';
import { writeErrorCsv } from '../files/error-report.ts';
import { csvChunks, openTable, type TableRow } from '../files/table.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError, isHuikuanError } from '../shared/errors.ts';
import { HeapBound } from '../shared/heap.ts';
import { importWorkers } from '../shared/worker-pool.ts';
import { type LedgerPort, ledgerPort } from './ledger-port.ts';
import { paymentColumns, type RowError } from './model.ts';
import type { FoundAccounts, ReadChunk, ReadSetup, ReversalFacts } from './read.ts';
import { inlineReaders, pooledReaders } from './readers.ts';
import { StageWriter } from './staging.ts';

export const importLimits = {
  /** Largest payment file accepted (bytes). */
  maxBytes: 512 * 1024 * 1024,
  /** Most data rows in one file; split larger files. */
  maxRows: 1_000_000,
  /**
   * A CSV file is read in chunks of about this many bytes (≈ 4,000 rows): each is checked, its
   * accounts looked up in one query and its rows staged in one statement.
   */
  chunkBytes: 256 * 1024,
  /** Rows of an XLSX file (read in this thread) checked together. */
  xlsxChunkRows: 4_000,
  /** Worker threads checking a CSV file; null: `importWorkers` (one per core, at most 4, from 4 MB). */
  readWorkers: null as number | null,
  /** Payments handed to the ledger at once (one transaction each). */
  postChunk: 20_000,
  /** Transactions posting at once, on disjoint sets of accounts. */
  postStreams: 2,
  /**
   * Growth of the heap in use while reading before a full collection (src/shared/heap.ts); null: none.
   * Off by default: in the server a full collection stalls every request and the heap holds other
   * requests' garbage too. The CLI, a process of its own, sets it (cli.ts: cliHeapSlackBytes).
   */
  heapSlackBytes: null as number | null,
};

/** The CLI's bound: peak RSS at 200,000 rows ≈ 300 MB instead of 400–450 (decision 0005's amendment). */
export const cliHeapSlackBytes = 64 * 1024 * 1024;

export interface ImportProgress {
  phase: 'reading' | 'posting' | 'reversing';
  done: number;
  total: number | null;
}

export interface ImportPaymentsOptions {
  filePath: string;
  clientCode: string;
  actor: string;
  /** The business date (payments dated later are refused); default today in Asia/Shanghai. */
  today?: string;
  limits?: Partial<typeof importLimits>;
  onProgress?: (progress: ImportProgress) => void;
  ledger?: LedgerPort;
}

export interface DuplicateRow {
  row: number;
  external_id: string;
  reason: string;
}

export interface ImportPaymentsResult {
  import_id: bigint;
  client: string;
  file: string;
  sha256: string;
  format: string;
  encoding: string | null;
  rows: number;
  posted: number;
  reversed: number;
  duplicates: number;
  rejected: number;
  /** Currency of the totals; null when the file touched accounts in several currencies (see by_currency). */
  currency: string | null;
  posted_total_minor: bigint;
  reversed_total_minor: bigint;
  commission_minor: bigint;
  by_currency: {
    currency: string;
    posted_total_minor: bigint;
    reversed_total_minor: bigint;
    commission_minor: bigint;
  }[];
  errors: RowError[];
  duplicate_rows: DuplicateRow[];
  error_file: string | null;
  /** Earlier imports of a file with the same content (sha256). */
  previous_imports: { import_id: bigint; at: Date; by: string }[];
  nothing_changed: boolean;
  /** Where the time went, in seconds: reading and validating the file, posting, reversing. */
  seconds: { read: number; post: number; reverse: number; total: number };
}

type Tally = { posted: bigint; reversed: bigint; commission: bigint };

export async function importPayments(
  db: Kysely<Database>,
  options: ImportPaymentsOptions,
): Promise<ImportPaymentsResult> {
  const stage = await StageWriter.open(db);
  try {
    return await importStaged(db, options, stage);
  } finally {
    await stage.discard();
  }
}

async function importStaged(
  db: Kysely<Database>,
  options: ImportPaymentsOptions,
  stage: StageWriter,
): Promise<ImportPaymentsResult> {
  const ledger = options.ledger ?? ledgerPort;
  const limits = { ...importLimits, postChunk: ledger.chunkSize, ...options.limits };
  const today = options.today ?? todayIn();
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const client = await findClientByCode(db, options.clientCode);
  const table = await openTable(options.filePath, paymentColumns, { maxBytes: limits.maxBytes });

  // ------------------------------------------------------------ 1. read and validate
  const errors: RowError[] = [];
  const rejectedRows = new Set<number>();
  const reject = (error: RowError) => {
    errors.push(error);
    rejectedRows.add(error.row);
  };
  const duplicateRows: DuplicateRow[] = [];
  // Refusals that need the account, by row, until the repeats within the file are known (a repeat is
  // reported as a repeat, not for its account); the reversal rows, by row (both a few per cent).
  const accountErrors = new Map<number, RowError>();
  const reversals = new Map<number, ReversalFacts>();
  // chunks sized for the rows the file may hold, estimated from its size (a CSV payment row takes
  // at least about 48 bytes, a compressed XLSX row about 10): more rows than that make larger chunks
  stage.plan(
    limits.postStreams,
    limits.postChunk,
    table.info.byteSize / (table.info.format === 'xlsx' ? 10 : 48),
  );
  // the garbage of the rows read so far collected once it passes a bound, so peak memory follows
  // the chunk, not the file (src/shared/heap.ts)
  const heap = limits.heapSlackBytes === null ? null : new HeapBound(limits.heapSlackBytes);
  const setup: ReadSetup = {
    positions: table.layout.positions,
    columnNames: paymentColumns.map((column) => column.name),
    rowOffset: 1 - table.layout.headerRecord,
    today,
    stageId: String(stage.id),
    streams: stage.streams,
    chunks: stage.chunks,
  };
  // Large CSV files are parsed and checked in worker threads; this thread looks up the accounts and
  // writes the staging rows (decision 0005's second amendment).
  const workers =
    limits.readWorkers ?? (table.info.format === 'csv' ? importWorkers(table.info.byteSize) : 0);
  const readers = workers > 0 ? await pooledReaders(workers, setup) : inlineReaders(setup);
  let rows = 0;

  // One query per chunk for the accounts it names, answered as one JSON text that the reader decodes.
  const lookup = async (refs: EncodedColumn | null): Promise<FoundAccounts> => {
    if (refs === null) return '[]';
    const found = await sql<{ accounts: string | null }>`
      SELECT json_agg(json_build_array(id::text, client_account_ref, currency, status) ORDER BY id)::text AS accounts
        FROM accounts
       WHERE client_id = ${client.id} AND client_account_ref = ANY(${sqlEncodedColumn(refs, 'text')})`.execute(
      db,
    );
    return found.rows[0]?.accounts ?? '[]';
  };
  let nextChunk = 0;
  const readChunk = async (chunk: ReadChunk): Promise<void> => {
    const id = nextChunk++;
    const { worker, result: checked } = await readers.check(id, chunk);
    rows += checked.rows;
    if (rows > limits.maxRows) {
      throw new HuikuanError(
        'bad_file',
        `${options.filePath} has more than ${limits.maxRows.toLocaleString('en-US')} payment rows. Split it into smaller files; nothing was posted.`,
      );
    }
    for (const error of checked.errors) reject(error);
    const staged = await readers.stage(worker, id, await lookup(checked.refs));
    for (const error of staged.accountErrors) accountErrors.set(error.row, error);
    for (const r of staged.reversals) reversals.set(r.row.row, r);
    await stage.write(staged);
    heap?.check();
    progress({ phase: 'reading', done: rows, total: null });
  };
  // Chunks in flight: each is checked, looked up, checked against its accounts and written in turn,
  // several at once; the first failure stops the reading.
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  const send = async (chunk: ReadChunk) => {
    while (inFlight.size >= readers.inFlight && failure === null) await Promise.race(inFlight);
    if (failure !== null) return;
    const pending: Promise<void> = readChunk(chunk).then(
      () => {
        inFlight.delete(pending);
      },
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(pending);
      },
    );
    inFlight.add(pending);
  };
  try {
    if (table.info.format === 'csv') {
      await table.close();
      for await (const chunk of csvChunks(
        options.filePath,
        table.info.encoding ?? 'utf-8',
        table.layout.headerRecord,
        limits.chunkBytes,
      )) {
        await send({ text: chunk.text, firstRecord: chunk.firstRecord });
        if (failure !== null) break;
      }
    } else {
      let batch: TableRow[] = [];
      for await (const row of table.rows) {
        batch.push(row);
        if (batch.length >= limits.xlsxChunkRows) {
          await send({ rows: batch });
          batch = [];
          if (failure !== null) break;
        }
      }
      if (batch.length > 0 && failure === null) await send({ rows: batch });
    }
    await Promise.all(inFlight);
    if (failure !== null) throw (failure as { error: unknown }).error;
    await stage.written;
  } finally {
    await table.close();
    await readers.close();
  }
  progress({ phase: 'reading', done: rows, total: rows });

  if (rows === 0) {
    throw new HuikuanError(
      'bad_file',
      `${options.filePath} has a header row but no payments. Nothing was posted.`,
    );
  }

  // ------------------------------------------------------------ 2. reversal rows
  for (const repeat of await stage.repeats()) {
    accountErrors.delete(repeat.row);
    reversals.delete(repeat.row);
    if (repeat.same) {
      duplicateRows.push({
        row: repeat.row,
        external_id: repeat.externalId,
        reason: `duplicate: the same payment as row ${repeat.firstRow}`,
      });
    } else {
      reject({
        row: repeat.row,
        column: 'external_id',
        reason: `external_id "${repeat.externalId}" is already used on row ${repeat.firstRow} for a different payment`,
      });
    }
  }
  for (const error of accountErrors.values()) reject(error);
  accountErrors.clear();
  const readyReversals = await checkReversals(
    db,
    client.id,
    [...reversals.values()],
    stage,
    reject,
    duplicateRows,
  );

  const readDone = performance.now();
  // ------------------------------------------------------------ 3. post
  const previous = await db
    .selectFrom('payment_imports')
    .select(['id', 'started_at', 'imported_by'])
    .where('client_id', '=', client.id)
    .where('file_sha256', '=', table.info.sha256)
    .where('status', '=', 'done')
    .orderBy('id')
    .execute();
  const record = await db
    .insertInto('payment_imports')
    .values({
      client_id: client.id,
      file_name: path.basename(options.filePath),
      file_sha256: table.info.sha256,
      file_format: table.info.format,
      file_encoding: table.info.encoding,
      byte_size: BigInt(table.info.byteSize),
      rows_total: rows,
      currency: null,
      error_file: null,
      failure: null,
      imported_by: options.actor,
      finished_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const source = `payment_import:${record.id}`;

  const tallies = new Map<string, Tally>();
  const tally = (currency: string) => {
    let t = tallies.get(currency);
    if (!t) {
      t = { posted: 0n, reversed: 0n, commission: 0n };
      tallies.set(currency, t);
    }
    return t;
  };
  let posted = 0;
  let reversed = 0;
  let postDone = readDone;
  try {
    // Accounts split into streams posted side by side (each account's payments stay in one stream,
    // in file order, so every account sees them serially; the ledger locks accounts in id order).
    let done = 0;
    const total = stage.payments;
    // The first failure stops the other streams at their next chunk: what was posted stays (and a
    // run of the same file again skips it by external id), but nothing more is posted after it.
    let stopped = false;
    const postStream = async (stream: number, chunks: ReadonlySet<number>) => {
      for (const chunk of [...chunks].sort((a, b) => a - b)) {
        if (stopped) return;
        const outcome = await ledger
          .postStagedChunk(
            db,
            { stageId: stage.id, stream, chunk, clientId: client.id, source },
            options.actor,
          )
          .catch((error: unknown) => {
            stopped = true;
            throw error;
          });
        for (const p of outcome.posted) {
          posted += p.count;
          done += p.count;
          const t = tally(p.currency);
          t.posted += p.amountMinor;
          t.commission += p.commissionMinor;
        }
        for (const row of outcome.notPosted) {
          done++;
          if (row.status === 'duplicate') {
            duplicateRows.push({
              row: row.row,
              external_id: row.externalId,
              reason: `duplicate: external_id "${row.externalId}" was posted before${row.reason ? ` (${row.reason})` : ''}`,
            });
          } else {
            reject({
              row: row.row,
              column: columnForLedgerReason(row.reason ?? undefined),
              reason: row.reason ?? 'refused by the ledger',
            });
          }
        }
        progress({ phase: 'posting', done, total });
      }
    };
    const settled = await Promise.allSettled(
      stage.chunksOf.map((chunks, stream) => postStream(stream, chunks)),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    postDone = performance.now();
    for (const [index, item] of readyReversals.entries()) {
      try {
        const outcome = await ledger.reverseEntry(db, {
          clientId: client.id,
          externalId: item.row.reversesExternalId as string,
          reason:
            item.row.reference ?? `returned payment (${path.basename(options.filePath)} row ${item.row.row})`,
          actor: options.actor,
          reversalExternalId: item.row.externalId,
          effectiveDate: item.row.paidOn,
        });
        if (outcome.status === 'duplicate') {
          duplicateRows.push({
            row: item.row.row,
            external_id: item.row.externalId,
            reason: `duplicate: payment "${item.row.reversesExternalId}" was reversed before`,
          });
        } else {
          reversed++;
          tally(item.currency).reversed += item.amountMinor ?? 0n;
        }
      } catch (error) {
        if (!isHuikuanError(error)) throw error;
        reject({ row: item.row.row, column: 'reverses_external_id', reason: error.message });
      }
      progress({ phase: 'reversing', done: index + 1, total: readyReversals.length });
    }
  } catch (error) {
    await db
      .updateTable('payment_imports')
      .set({
        status: 'failed',
        posted,
        reversed,
        failure: (error as Error).message.slice(0, 2000),
        finished_at: new Date(),
      })
      .where('id', '=', record.id)
      .execute();
    throw error;
  }

  // the staging rows go now, inside the import's time (the caller's `finally` covers a failure)
  await stage.discard();
  const reverseDone = performance.now();
  errors.sort((a, b) => a.row - b.row);
  duplicateRows.sort((a, b) => a.row - b.row);
  const errorFile = await writeErrorCsv(options.filePath, errors);
  const currencies = [...tallies.keys()].sort();
  const single = currencies.length === 1 ? (currencies[0] as string) : null;
  const only = single ? (tallies.get(single) as Tally) : null;
  const result: ImportPaymentsResult = {
    import_id: record.id,
    client: client.code,
    file: options.filePath,
    sha256: table.info.sha256,
    format: table.info.format,
    encoding: table.info.encoding,
    rows,
    posted,
    reversed,
    duplicates: duplicateRows.length,
    rejected: rejectedRows.size,
    currency: single,
    posted_total_minor: only?.posted ?? 0n,
    reversed_total_minor: only?.reversed ?? 0n,
    commission_minor: only?.commission ?? 0n,
    by_currency: currencies.map((currency) => {
      const t = tallies.get(currency) as Tally;
      return {
        currency,
        posted_total_minor: t.posted,
        reversed_total_minor: t.reversed,
        commission_minor: t.commission,
      };
    }),
    errors,
    duplicate_rows: duplicateRows,
    error_file: errorFile,
    previous_imports: previous.map((p) => ({ import_id: p.id, at: p.started_at, by: p.imported_by })),
    nothing_changed: posted === 0 && reversed === 0,
    seconds: {
      read: seconds(readDone - started),
      post: seconds(postDone - readDone),
      reverse: seconds(reverseDone - postDone),
      total: seconds(performance.now() - started),
    },
  };
  await db
    .updateTable('payment_imports')
    .set({
      status: 'done',
      posted,
      reversed,
      duplicates: result.duplicates,
      rejected: result.rejected,
      currency: single,
      posted_total_minor: result.posted_total_minor,
      reversed_total_minor: result.reversed_total_minor,
      commission_minor: result.commission_minor,
      error_file: errorFile,
      finished_at: new Date(),
    })
    .where('id', '=', record.id)
    .execute();
  return result;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function columnForLedgerReason(reason: string | undefined): string {
  if (!reason) return 'client_account_ref';
  if (/currenc/i.test(reason)) return 'currency';
  if (/amount/i.test(reason)) return 'amount';
  if (/date|paid/i.test(reason)) return 'paid_at';
  return 'client_account_ref';
}

/**
 * Checks reversal rows against the payments they name: in the books already, or accepted earlier
 * in this file. Returns the rows to post; rejects or marks duplicate the others.
 */
async function checkReversals(
  db: Kysely<Database>,
  clientId: bigint,
  reversals: ReversalFacts[],
  stage: StageWriter,
  reject: (error: RowError) => void,
  duplicateRows: DuplicateRow[],
): Promise<ReversalFacts[]> {
  if (reversals.length === 0) return [];
  const originalsIds = [...new Set(reversals.map((r) => r.row.reversesExternalId as string))];
  const ownIds = reversals.map((r) => r.row.externalId);
  const originals = await sql<{
    id: bigint;
    external_id: string;
    account_id: bigint | null;
    kind: string;
    amount_minor: bigint | null;
    reversed_by: string | null;
  }>`
    SELECT je.id, je.external_id, je.account_id, je.kind,
           (SELECT sum(p.amount_minor) FROM postings p
             WHERE p.entry_id = je.id AND p.ledger_account IN ('trust:bank', 'client:direct_paid'))::int8 AS amount_minor,
           (SELECT coalesce(r.external_id, '#' || r.id::text) FROM journal_entries r
             WHERE r.reverses_entry_id = je.id LIMIT 1) AS reversed_by
      FROM journal_entries je
     WHERE je.client_id = ${clientId} AND je.external_id = ANY(${originalsIds}::text[])`.execute(db);
  const used = await sql<{ external_id: string; reverses: string | null }>`
    SELECT je.external_id, o.external_id AS reverses
      FROM journal_entries je LEFT JOIN journal_entries o ON o.id = je.reverses_entry_id
     WHERE je.client_id = ${clientId} AND je.external_id = ANY(${ownIds}::text[])`.execute(db);
  const byExternal = new Map(originals.rows.map((o) => [o.external_id, o]));
  const usedBy = new Map(used.rows.map((u) => [u.external_id, u.reverses]));
  const inFile = await stage.paymentsNamed(originalsIds);
  const ready: ReversalFacts[] = [];
  const claimed = new Map<string, number>();
  for (const item of reversals) {
    const { row } = item;
    const target = row.reversesExternalId as string;
    if (usedBy.has(row.externalId)) {
      if (usedBy.get(row.externalId) === target) {
        duplicateRows.push({
          row: row.row,
          external_id: row.externalId,
          reason: `duplicate: reversal "${row.externalId}" of "${target}" was posted before`,
        });
      } else {
        reject({
          row: row.row,
          column: 'external_id',
          reason: `external_id "${row.externalId}" is already used by another entry`,
        });
      }
      continue;
    }
    const original = byExternal.get(target);
    const fromFile = inFile.get(target);
    let accountId: bigint | null;
    let amount: bigint | null;
    if (original) {
      if (original.kind !== 'payment' && original.kind !== 'direct_payment') {
        reject({ row: row.row, column: 'reverses_external_id', reason: `"${target}" is not a payment` });
        continue;
      }
      if (original.reversed_by !== null) {
        reject({
          row: row.row,
          column: 'reverses_external_id',
          reason: `payment "${target}" was already reversed by "${original.reversed_by}"`,
        });
        continue;
      }
      accountId = original.account_id;
      amount = original.amount_minor;
    } else if (fromFile !== undefined) {
      accountId = fromFile.accountId;
      amount = fromFile.amountMinor;
    } else {
      reject({
        row: row.row,
        column: 'reverses_external_id',
        reason: `no payment "${target}" for this client to reverse`,
      });
      continue;
    }
    const earlier = claimed.get(target);
    if (earlier !== undefined) {
      reject({
        row: row.row,
        column: 'reverses_external_id',
        reason: `payment "${target}" is already reversed on row ${earlier}`,
      });
      continue;
    }
    if (accountId !== item.accountId) {
      reject({
        row: row.row,
        column: 'client_account_ref',
        reason: `payment "${target}" was not made on account "${row.ref}"`,
      });
      continue;
    }
    if (item.amountMinor !== null && amount !== null && item.amountMinor !== amount) {
      reject({
        row: row.row,
        column: 'amount',
        reason: `"${row.amountText}" differs from the amount of payment "${target}"; a reversal returns the whole payment`,
      });
      continue;
    }
    claimed.set(target, row.row);
    ready.push({ ...item, amountMinor: amount });
  }
  return ready;
}
