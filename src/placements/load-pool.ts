/**
 * Worker threads for the placement import: each runs load-worker.ts (parse, validate, seal, COPY
 * text) on the chunks it is given, so a large file is checked on every core while the importing
 * thread only reads the file and feeds COPY.
 */
import type { CipherKeys } from '../accounts/pii.ts';
import { WorkerPool } from '../shared/worker-pool.ts';
import type { ChunkResult, LoadChunk, LoadSetup } from './load.ts';

export function startLoadPool(
  size: number,
  setup: LoadSetup,
  keys: CipherKeys,
): Promise<WorkerPool<LoadChunk, ChunkResult>> {
  const entry = new URL('./load-worker.ts', import.meta.url);
  return WorkerPool.start<LoadChunk, ChunkResult>(entry, size, { setup, keys }, 'placement import');
}
