/**
 * A worker thread of the placement import (load-pool.ts starts it): runs `loadChunk` on the chunks
 * it is sent and hands the COPY bytes back without copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CipherKeys, PiiCipher } from '../accounts/pii.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type LoadChunk, type LoadSetup, loadChunk } from './load.ts';

const { setup, keys } = workerData as { setup: LoadSetup; keys: CipherKeys };
const cipher = PiiCipher.fromKeys(keys);

parentPort?.on('message', ({ id, chunk }: { id: number; chunk: LoadChunk }) => {
  try {
    const result = loadChunk(chunk, setup, cipher);
    parentPort?.postMessage({ id, result }, [result.copy.buffer as ArrayBuffer]);
  } catch (error) {
    const code = error instanceof HuikuanError ? error.code : 'internal';
    parentPort?.postMessage({ id, error: { code, message: (error as Error).message } });
  }
});
