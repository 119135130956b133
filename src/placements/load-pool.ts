/**
 * Worker threads for the placement import: each runs load-worker.ts (parse, validate, seal, COPY
 * text) on the chunks it is given, so a large file is checked on every core while the importing
 * thread only reads the file and feeds COPY. Results come back in the order the chunks were sent.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CipherKeys } from '../accounts/pii.ts';
import { type ErrorCode, HuikuanError } from '../shared/errors.ts';
import type { ChunkResult, LoadChunk, LoadSetup } from './load.ts';

// The worker is TypeScript: a small JavaScript bootstrap registers tsx's loader in the worker, as
// bin/huikuan.js does for the main thread, whatever started this process (the CLI, the server, vitest).
// tsx's ESM entry is found from this file, not from the working directory that the eval'd
// bootstrap would resolve a bare name against.
const bootstrap = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });
`;
const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
const tsx = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
const entry = new URL('./load-worker.ts', import.meta.url).href;

interface Waiter {
  resolve: (result: ChunkResult) => void;
  reject: (error: Error) => void;
}

export class LoadPool {
  readonly #workers: Worker[] = [];
  readonly #waiting = new Map<number, Waiter>();
  #next = 0;
  #failure: Error | null = null;

  constructor(size: number, setup: LoadSetup, keys: CipherKeys) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(bootstrap, { eval: true, workerData: { tsx, entry, setup, keys } });
      worker.on(
        'message',
        (message: { id: number; result?: ChunkResult; error?: { code: ErrorCode; message: string } }) => {
          const waiter = this.#waiting.get(message.id);
          this.#waiting.delete(message.id);
          if (!waiter) return;
          if (message.error) waiter.reject(new HuikuanError(message.error.code, message.error.message));
          else waiter.resolve(message.result as ChunkResult);
        },
      );
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (this.#waiting.size > 0)
          this.#fail(new Error(`a placement import worker stopped (exit code ${code})`));
      });
      this.#workers.push(worker);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }

  /** Runs a chunk on the next worker in turn. */
  run(chunk: LoadChunk): Promise<ChunkResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const worker = this.#workers[id % this.#workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, chunk });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
