/**
 * Worker threads running one of our TypeScript modules, for the file imports (placements: parse,
 * validate, seal; payments: parse, validate, build the staging columns), so that a large file is
 * checked on every core while the importing thread talks to the database.
 *
 * A request goes to the worker the caller names (a worker may keep state between two requests about
 * the same chunk) or to the next in turn; answers come back as the worker's handler returned them.
 * The worker module calls `serveRequests` (worker-serve.ts) with its handler.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { type ErrorCode, HuikuanError } from './errors.ts';

// A worker runs its module bundled into one CommonJS script (esbuild, in memory, once per module and
// process). Loading the TypeScript sources through tsx's loader in every worker, as the main thread
// does, took ≈ 1.4 s and ≈ 1.3 s of CPU per worker (each module resolved through the loader's own
// thread); the bundle starts in ≈ 0.1 s.
const bundles = new Map<string, Promise<string>>();

function bundleOf(entry: URL): Promise<string> {
  let bundle = bundles.get(entry.href);
  if (bundle === undefined) {
    bundle = build({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    }).then((output) => output.outputFiles[0]?.text ?? '');
    bundle.catch(() => bundles.delete(entry.href));
    bundles.set(entry.href, bundle);
  }
  return bundle;
}

/**
 * A worker's old generation. A worker keeps only the chunks in flight (a few MB), yet V8 let its
 * garbage grow to its default limit first: 412–419 MB peak for the 200,000-payment import with two
 * workers, 358–372 MB with 48 MB each, at the same speed.
 */
const workerOldGeneration_mb = 64;

/** Files from this size are worth worker threads; smaller ones are read in the importing thread. */
const workersFromBytes = 4 * 1024 ** 2;
const maxWorkers = 4;

/**
 * How many workers an import of a file of `byteSize` bytes starts: one per core (at most four) from
 * 4 MB, none below it, where starting them costs more than they save. One rule for every file import.
 */
export function importWorkers(byteSize: number): number {
  return byteSize >= workersFromBytes ? Math.min(maxWorkers, availableParallelism()) : 0;
}

interface Waiter {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

type Answer = { id: number; result?: unknown; error?: { code: ErrorCode; message: string } };

export class WorkerPool<Request, Result> {
  readonly #workers: Worker[] = [];
  readonly #waiting = new Map<number, Waiter>();
  #next = 0;
  #turn = 0;
  #failure: Error | null = null;

  /**
   * Starts `size` workers of `entry`, the worker module (it calls `serveRequests`); `data`: what it
   * reads as `workerData.data`; `label`: names the pool in the error when a worker stops.
   */
  static async start<Request, Result>(
    entry: URL,
    size: number,
    data: unknown,
    label: string,
  ): Promise<WorkerPool<Request, Result>> {
    return new WorkerPool<Request, Result>(await bundleOf(entry), size, data, label);
  }

  private constructor(code: string, size: number, data: unknown, label: string) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(code, {
        eval: true,
        workerData: { data },
        resourceLimits: { maxOldGenerationSizeMb: workerOldGeneration_mb },
      });
      worker.on('message', (answer: Answer) => {
        const waiter = this.#waiting.get(answer.id);
        this.#waiting.delete(answer.id);
        if (!waiter) return;
        if (answer.error) waiter.reject(new HuikuanError(answer.error.code, answer.error.message));
        else waiter.resolve(answer.result);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (this.#waiting.size > 0) this.#fail(new Error(`a ${label} worker stopped (exit code ${code})`));
      });
      this.#workers.push(worker);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }

  /** The next worker in turn (a caller that sends it two requests about one thing names it in both). */
  nextWorker(): number {
    return this.#turn++ % this.#workers.length;
  }

  /** Runs a request on worker `worker` (default: the next in turn). */
  run(request: Request, worker?: number, transfer: ArrayBuffer[] = []): Promise<Result> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const target = this.#workers[(worker ?? this.nextWorker()) % this.#workers.length] as Worker;
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (result: unknown) => void, reject });
      target.postMessage({ id, request }, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
