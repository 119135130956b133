/**
 * A worker thread of the payment import (service.ts starts a pool of them for large files): checks
 * the chunks it is sent and builds their staging columns (read.ts).
 */
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../shared/worker-serve.ts';
import {
  answer,
  type CheckResult,
  ChunkReader,
  type ReadRequest,
  type ReadSetup,
  type StageResult,
} from './read.ts';

const reader = new ChunkReader((workerData as { data: ReadSetup }).data);

// A chunk's staging rows are handed over, not copied: they fill a buffer of their own, larger than
// the rows (read.ts), which a copy would send whole.
serveRequests<ReadRequest, CheckResult | StageResult>((request) => {
  const result = answer(reader, request);
  return { result, transfer: 'copy' in result ? [result.copy.buffer as ArrayBuffer] : [] };
});
