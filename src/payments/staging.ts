/**
 * The staging rows of one payment import (payment_import_rows, migration 0011): every row of the file
 * that passed the checks needing no account, copied chunk by chunk as the file is read (the readers,
 * read.ts, build the COPY text), so that the importing process keeps nothing per row. The rows say
 * where each payment is posted (stream and chunk, both by account), the ledger posts straight from
 * them (`postStagedChunk`), and the import's rows are deleted when it ends.
 */
import { finished } from 'node:stream/promises';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { poolOf } from '../db/connection.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type StageResult, stagingColumns } from './read.ts';

/** A later row with the external id of an earlier row of the same file. */
export interface Repeat {
  row: number;
  externalId: string;
  firstRow: number;
  /** The same content as the first row: a duplicate; otherwise an error. */
  same: boolean;
}

export class StageWriter {
  /** Payments staged to post (repeats within the file taken out once known). */
  payments = 0;
  /** Each stream's chunk numbers that hold payments (a number no account fell to is left out). */
  readonly chunksOf: Set<number>[] = [new Set()];
  /** Streams and chunks per stream (`plan`), for the readers that assign payments to them. */
  streams = 1;
  chunks = 1;

  /** The connection the staging rows are copied on, taken at the first write. */
  #client: pg.PoolClient | null = null;
  #discarded = false;

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly pool: pg.Pool,
    readonly id: bigint,
  ) {}

  static async open(db: Kysely<Database>): Promise<StageWriter> {
    const pool = poolOf(db);
    if (pool === undefined) {
      throw new HuikuanError(
        'internal',
        'A payment import needs the database handle openDatabase gives (it copies rows on a connection of its own), not a transaction.',
      );
    }
    const next = await sql<{ id: bigint }>`SELECT nextval('payment_import_stage_seq') AS id`.execute(db);
    return new StageWriter(db, pool, next.rows[0]?.id as bigint);
  }

  /**
   * Payments are split into `streams` by account (each account's payments in one stream, in file
   * order, so streams can be posted side by side) and each stream into chunks by account too, about
   * `chunkSize` payments each for a file of `expectedRows`: all of an account's payments are posted
   * by one statement, so its balance is updated (and its row locked) once per import, not once per
   * chunk of the file it has a payment in (at 200,000 payments on 100,000 accounts: 145,000 updates
   * of accounts with chunks in file order, 77,334 by account: decision 0005's amendment). The
   * readers (read.ts) assign each payment by its account id.
   */
  plan(streams: number, chunkSize: number, expectedRows: number): void {
    this.streams = Math.max(1, streams);
    this.chunks = Math.max(1, Math.ceil(expectedRows / this.streams / Math.max(1, chunkSize)));
    this.chunksOf.length = 0;
    for (let i = 0; i < this.streams; i++) this.chunksOf.push(new Set());
  }

  /** Resolves when every chunk given so far is written (rejects when a write failed). */
  written: Promise<void> = Promise.resolve();

  /**
   * Writes a chunk's staging rows (COPY text built by a reader, read.ts) after the writes before it,
   * on a connection of its own: the next chunks are checked and looked up meanwhile. Resolves when
   * the write before this one is done, so at most one write waits behind the one running. COPY, not
   * an INSERT from unnest of separated columns: ≈ 40 % less server time per row.
   */
  async write(chunk: StageResult): Promise<void> {
    this.payments += chunk.payments;
    chunk.chunks.forEach((numbers, stream) => {
      for (const number of numbers) this.chunksOf[stream]?.add(number);
    });
    if (chunk.staged === 0) return;
    const previous = this.written;
    this.written = previous.then(async () => {
      this.#client ??= await this.pool.connect();
      const copy = this.#client.query(
        copyFrom(`COPY payment_import_rows (stage_id, ${stagingColumns.join(', ')}) FROM STDIN`),
      );
      copy.end(Buffer.from(chunk.copy.buffer, chunk.copy.byteOffset, chunk.copy.byteLength));
      await finished(copy);
    });
    // a failure surfaces where `written` is awaited, not as an unhandled rejection meanwhile
    this.written.catch(() => {});
    await previous;
  }

  /**
   * The rows repeating the external id of an earlier row of the file, taken out of the staging rows
   * (the first row of each external id stands), in file order.
   */
  async repeats(): Promise<Repeat[]> {
    // the file's external ids hashed in memory (the default work_mem spilled a large file to disk)
    const found = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('work_mem', '64MB', true)`.execute(trx);
      return sql<{ row: number; external_id: string; first_row: number; same: boolean; status: string }>`
      WITH repeated AS (
        SELECT external_id FROM payment_import_rows
         WHERE stage_id = ${this.id} GROUP BY external_id HAVING count(*) > 1),
      ranked AS (
        SELECT s.ctid AS row_version, s.row_number, s.external_id, s.status,
               s.fingerprint = first_value(s.fingerprint) OVER w AS same,
               first_value(s.row_number) OVER w AS first_row
          FROM payment_import_rows s JOIN repeated r ON r.external_id = s.external_id
         WHERE s.stage_id = ${this.id}
        WINDOW w AS (PARTITION BY s.external_id ORDER BY s.row_number))
      -- by row version: the staging rows have no key of their own (migration 0045), and no one else
      -- writes this stage's rows while the import runs
      DELETE FROM payment_import_rows d USING ranked k
       WHERE d.ctid = k.row_version AND k.row_number <> k.first_row
      RETURNING k.row_number AS row, k.external_id, k.first_row, k.same, k.status`.execute(trx);
    });
    const repeats: Repeat[] = [];
    for (const r of found.rows) {
      if (r.status === 'p') this.payments--;
      repeats.push({ row: r.row, externalId: r.external_id, firstRow: r.first_row, same: r.same });
    }
    return repeats.sort((a, b) => a.row - b.row);
  }

  /** The staged payments with these external ids: their account and amount. */
  async paymentsNamed(
    externalIds: readonly string[],
  ): Promise<Map<string, { accountId: bigint; amountMinor: bigint }>> {
    const found = new Map<string, { accountId: bigint; amountMinor: bigint }>();
    if (externalIds.length === 0) return found;
    const rows = await sql<{ external_id: string; account_id: bigint; amount_minor: bigint }>`
      SELECT external_id, account_id, amount_minor FROM payment_import_rows
       WHERE stage_id = ${this.id} AND status = 'p' AND external_id = ANY(${externalIds}::text[])`.execute(
      this.db,
    );
    for (const r of rows.rows)
      found.set(r.external_id, { accountId: r.account_id, amountMinor: r.amount_minor });
    return found;
  }

  /** Deletes the import's staging rows and gives back the connection they were copied on. */
  async discard(): Promise<void> {
    // once: the import discards its rows inside its own time, and its caller's `finally` again
    if (this.#discarded) return;
    // a write still running (the import failed meanwhile) ends before its rows are deleted; a
    // connection whose COPY failed is closed rather than given back
    const failed = await this.written.then(
      () => false,
      () => true,
    );
    this.#client?.release(failed);
    this.#client = null;
    await sql`DELETE FROM payment_import_rows WHERE stage_id = ${this.id}`.execute(this.db);
    this.#discarded = true;
  }
}
