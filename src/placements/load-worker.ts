/**
 * A worker thread of the placement import (load-pool.ts starts it): runs `loadChunk` on the chunks
 * it is sent and hands the COPY bytes back without copying them.
 */
import { workerData } from 'node:worker_threads';
import { type CipherKeys, PiiCipher } from '../accounts/pii.ts';
import { serveRequests } from '../shared/worker-serve.ts';
import { type ChunkResult, type LoadChunk, type LoadSetup, loadChunk } from './load.ts';

const { setup, keys } = (workerData as { data: { setup: LoadSetup; keys: CipherKeys } }).data;
const cipher = PiiCipher.fromKeys(keys);

serveRequests<LoadChunk, ChunkResult>((chunk) => {
  const result = loadChunk(chunk, setup, cipher);
  return { result, transfer: [result.copy.buffer as ArrayBuffer] };
});
