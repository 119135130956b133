/**
 * Where the payment import's chunks are read (read.ts): in this thread for small files, or in worker
 * threads for large ones. Either way a chunk's second step runs on the reader that did its first,
 * which holds the chunk's checked rows in between.
 */
import { WorkerPool } from '../shared/worker-pool.ts';
import {
  type CheckResult,
  ChunkReader,
  type FoundAccounts,
  type ReadChunk,
  type ReadRequest,
  type ReadSetup,
  type StageResult,
} from './read.ts';

export interface Readers {
  /** chunks to keep in flight (checking, looking up, staging) */
  inFlight: number;
  check(id: number, chunk: ReadChunk): Promise<{ worker: number; result: CheckResult }>;
  stage(worker: number, id: number, found: FoundAccounts): Promise<StageResult>;
  close(): Promise<void>;
}

export function inlineReaders(setup: ReadSetup): Readers {
  const reader = new ChunkReader(setup);
  return {
    // one chunk's lookup and write in the database while the next is checked here
    inFlight: 2,
    check: async (id, chunk) => ({ worker: 0, result: reader.check(id, chunk) }),
    stage: async (_worker, id, found) => reader.stage(id, found),
    close: async () => {},
  };
}

export async function pooledReaders(workers: number, setup: ReadSetup): Promise<Readers> {
  const entry = new URL('./read-worker.ts', import.meta.url);
  const pool = await WorkerPool.start<ReadRequest, CheckResult | StageResult>(
    entry,
    workers,
    setup,
    'payment import',
  );
  return {
    inFlight: workers * 2 + 1,
    check: async (id, chunk) => {
      const worker = pool.nextWorker();
      const result = (await pool.run({ step: 'check', id, chunk }, worker)) as CheckResult;
      return { worker, result };
    },
    stage: async (worker, id, found) => (await pool.run({ step: 'stage', id, found }, worker)) as StageResult,
    close: () => pool.close(),
  };
}
