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

serveRequests<ReadRequest, CheckResult | StageResult>((request) => ({ result: answer(reader, request) }));
