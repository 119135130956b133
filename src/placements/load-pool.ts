/**
 * Worker threads for the placement import: each runs load-worker.ts (parse, validate, seal, COPY
 * text) on the chunks it is given, so a large file is checked on every core while the importing
 * thread only reads the file and feeds COPY. Results come back in the order the chunks were sent.
 */
import type { CipherKeys } from '../accounts/pii.ts';
import { WorkerPool } from '../shared/worker-pool.ts';
import type { ChunkResult, LoadChunk, LoadSetup } from './load.ts';

export class LoadPool {
  private constructor(private readonly pool: WorkerPool<LoadChunk, ChunkResult>) {}

  static async start(size: number, setup: LoadSetup, keys: CipherKeys): Promise<LoadPool> {
    const entry = new URL('./load-worker.ts', import.meta.url);
    return new LoadPool(await WorkerPool.start(entry, size, { setup, keys }, 'placement import'));
  }

  /** Runs a chunk on the next worker in turn. */
  run(chunk: LoadChunk): Promise<ChunkResult> {
    return this.pool.run(chunk);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
