/**
 * Payment file import (回款文件): read and validate the whole file, resolving account references in
 * bulk (one query per chunk), then hand the good rows to the ledger in chunks; report every bad row
 * (row, column, reason), every duplicate, and record the import in `payment_imports`.
 *
 * Order of work, so that a file is validated whole before anything is written:
 *   1. read: each row checked on its own (model.ts), repeats within the file found, then per chunk
 *      one query for the accounts the chunk names and the amount checked in the account's currency;
 *   2. reversal rows checked against the payments they reverse (in the books or earlier in the file);
 *   3. post the payments through the ledger, chunk by chunk (the ledger is idempotent by external id,
 *      so a re-run or a concurrent import of the same rows posts each once); then the reversals.
 */
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { findClientByCode } from '../clients/service.ts';
import type { Database } from '../db/schema.ts';
import { writeErrorCsv } from '../files/error-report.ts';
import { openTable } from '../files/table.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError, isHuikuanError } from '../shared/errors.ts';
import { parseAmount } from '../shared/money.ts';
import { AcceptedPayments } from './accepted.ts';
import { type LedgerPort, ledgerPort } from './ledger-port.ts';
import {
  type AccountFacts,
  type CheckedRow,
  checkAccount,
  checkRow,
  fingerprint,
  paymentColumns,
  type RowError,
  resolveAmount,
} from './model.ts';

export const importLimits = {
  /** Largest payment file accepted (bytes). */
  maxBytes: 512 * 1024 * 1024,
  /** Most data rows in one file; split larger files. */
  maxRows: 1_000_000,
  /** Rows whose accounts are looked up in one query. */
  lookupChunk: 10_000,
  /** Payments handed to the ledger at once (one transaction each). */
  postChunk: 20_000,
  /** Transactions posting at once, on disjoint sets of accounts. */
  postStreams: 2,
};

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

interface ReversalRow {
  row: CheckedRow;
  accountId: bigint;
  currency: string;
  amountMinor: bigint | null;
}

type Tally = { posted: bigint; reversed: bigint; commission: bigint };

export async function importPayments(
  db: Kysely<Database>,
  options: ImportPaymentsOptions,
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
  // external id → `${row}\u0002${fingerprint}` of its first occurrence (one string, not an object, per row)
  const seen = new FirstOccurrences();
  const accepted = new AcceptedPayments();
  const reversals: ReversalRow[] = [];
  let rows = 0;
  let chunk: CheckedRow[] = [];

  // One query per chunk for the accounts it names. The query of a chunk runs while the next chunk
  // is read and checked; chunks are applied in file order.
  const lookup = (pending: CheckedRow[]) =>
    sql<{ id: bigint; ref: string; currency: string; status: string }>`
      SELECT id, client_account_ref AS ref, currency, status
        FROM accounts
       WHERE client_id = ${client.id} AND client_account_ref = ANY(${[...new Set(pending.map((r) => r.ref))]}::text[])
       ORDER BY id`.execute(db);
  const apply = (pending: CheckedRow[], found: Awaited<ReturnType<typeof lookup>>) => {
    const byRef = new Map<string, AccountFacts[]>();
    for (const a of found.rows) {
      const list = byRef.get(a.ref);
      const facts = { id: a.id, currency: a.currency, status: a.status };
      if (list) list.push(facts);
      else byRef.set(a.ref, [facts]);
    }
    for (const row of pending) {
      const accounts = byRef.get(row.ref);
      if (row.reversesExternalId !== undefined) {
        // a reversal names the account of the payment it reverses, whatever the account's status now
        const account = accounts?.at(-1);
        if (!account) {
          reject({
            row: row.row,
            column: 'client_account_ref',
            reason: `no account "${row.ref}" for this client`,
          });
          continue;
        }
        let amountMinor: bigint | null = null;
        if (row.amountText !== '') {
          const amount = parseAmount(row.amountText, row.currency ?? account.currency);
          if (!amount.ok) {
            reject({ row: row.row, column: 'amount', reason: amount.reason });
            continue;
          }
          amountMinor = amount.minor;
        }
        reversals.push({
          row,
          accountId: account.id,
          currency: row.currency ?? account.currency,
          amountMinor,
        });
        continue;
      }
      const account = checkAccount(row, accounts);
      if ('reason' in account) {
        reject(account);
        continue;
      }
      const amount = resolveAmount(row, account);
      if ('reason' in amount) {
        reject(amount);
        continue;
      }
      accepted.push({
        row: row.row,
        externalId: row.externalId,
        accountId: account.id,
        amountMinor: amount.minor,
        currency: account.currency,
        paidOn: row.paidOn,
        paidAt: row.paidAt,
        channel: row.channel,
        payerName: row.payerName,
        reference: row.reference,
      });
    }
  };

  let inflight: Promise<void> = Promise.resolve();
  const flush = async (pending: CheckedRow[]) => {
    await inflight;
    const query = lookup(pending);
    inflight = query.then((found) => apply(pending, found));
    // a failure surfaces at the next await of `inflight`, not as an unhandled rejection meanwhile
    inflight.catch(() => {});
  };

  for await (const { row, values } of table.rows) {
    rows++;
    if (rows > limits.maxRows) {
      throw new HuikuanError(
        'bad_file',
        `${options.filePath} has more than ${limits.maxRows.toLocaleString('en-US')} payment rows. Split it into smaller files; nothing was posted.`,
      );
    }
    const checked = checkRow(row, values, today);
    if (!checked.ok) {
      for (const error of checked.errors) reject(error);
    } else {
      const earlier = seen.check(checked.row.externalId, row, fingerprint(checked.row));
      if (earlier === null) {
        chunk.push(checked.row);
      } else if (earlier.same) {
        duplicateRows.push({
          row,
          external_id: checked.row.externalId,
          reason: `duplicate: the same payment as row ${earlier.row}`,
        });
      } else {
        reject({
          row,
          column: 'external_id',
          reason: `external_id "${checked.row.externalId}" is already used on row ${earlier.row} for a different payment`,
        });
      }
    }
    if (chunk.length >= limits.lookupChunk) {
      await flush(chunk);
      chunk = [];
    }
    if (rows % 10_000 === 0) progress({ phase: 'reading', done: rows, total: null });
  }
  if (chunk.length > 0) await flush(chunk);
  await inflight;
  progress({ phase: 'reading', done: rows, total: rows });
  seen.clear();

  if (rows === 0) {
    throw new HuikuanError(
      'bad_file',
      `${options.filePath} has a header row but no payments. Nothing was posted.`,
    );
  }

  // ------------------------------------------------------------ 2. reversal rows
  const readyReversals = await checkReversals(db, client.id, reversals, accepted, reject, duplicateRows);

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
    const postStream = async (indices: number[]) => {
      for (let start = 0; start < indices.length; start += limits.postChunk) {
        const slice = indices.slice(start, start + limits.postChunk);
        const outcomes = await ledger.postPayments(
          db,
          accepted.inputs(slice, client.id, source),
          options.actor,
        );
        if (outcomes.length !== slice.length) {
          throw new HuikuanError(
            'internal',
            `the ledger answered ${outcomes.length} outcomes for ${slice.length} payments`,
          );
        }
        slice.forEach((i, k) => {
          const outcome = outcomes[k];
          if (!outcome) return;
          if (outcome.status === 'posted') {
            posted++;
            const t = tally(accepted.currency(i));
            t.posted += accepted.amount(i);
            t.commission += outcome.commissionMinor ?? 0n;
          } else if (outcome.status === 'duplicate') {
            duplicateRows.push({
              row: accepted.row(i),
              external_id: accepted.externalId(i),
              reason: `duplicate: external_id "${accepted.externalId(i)}" was posted before${outcome.reason ? ` (${outcome.reason})` : ''}`,
            });
          } else {
            reject({
              row: accepted.row(i),
              column: columnForLedgerReason(outcome.reason),
              reason: outcome.reason ?? 'refused by the ledger',
            });
          }
        });
        done += slice.length;
        progress({ phase: 'posting', done, total: accepted.length });
      }
    };
    const settled = await Promise.allSettled(accepted.streams(limits.postStreams).map(postStream));
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

/**
 * The first row of each external id in the file and a 64-bit hash of its content (two 32-bit FNV-1a
 * hashes), to tell a repeated row (same content: a duplicate) from a different payment under the
 * same id (an error) without keeping a string per row.
 */
class FirstOccurrences {
  private readonly index = new Map<string, number>();
  private rows = new Int32Array(1024);
  private hashes = new Int32Array(2048);

  /** null for a first occurrence (remembered); else the first row and whether the content is the same. */
  check(externalId: string, row: number, content: string): { row: number; same: boolean } | null {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ content.length;
    for (let i = 0; i < content.length; i++) {
      const c = content.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    const known = this.index.get(externalId);
    if (known !== undefined) {
      return {
        row: this.rows[known] as number,
        same: this.hashes[2 * known] === (a | 0) && this.hashes[2 * known + 1] === (b | 0),
      };
    }
    const at = this.index.size;
    if (at === this.rows.length) {
      const rows = new Int32Array(at * 2);
      rows.set(this.rows);
      this.rows = rows;
      const hashes = new Int32Array(at * 4);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.index.set(externalId, at);
    this.rows[at] = row;
    this.hashes[2 * at] = a | 0;
    this.hashes[2 * at + 1] = b | 0;
    return null;
  }

  clear(): void {
    this.index.clear();
  }
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
  reversals: ReversalRow[],
  accepted: AcceptedPayments,
  reject: (error: RowError) => void,
  duplicateRows: DuplicateRow[],
): Promise<ReversalRow[]> {
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
  const inFile = accepted.indexOf(originalsIds);
  const ready: ReversalRow[] = [];
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
      accountId = accepted.accountId(fromFile);
      amount = accepted.amount(fromFile);
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
