/**
 * The worker's side of worker-pool.ts, a module of its own so that a worker loads nothing of the
 * pool (which finds tsx from its own file).
 */
import { parentPort } from 'node:worker_threads';
import { HuikuanError } from './errors.ts';

/**
 * In a worker module: answers each request with `handle`'s result (its `transfer` buffers handed
 * over without copying); a thrown HuikuanError keeps its code.
 */
export function serveRequests<Request, Result>(
  handle: (request: Request) => { result: Result; transfer?: ArrayBuffer[] },
): void {
  parentPort?.on('message', ({ id, request }: { id: number; request: Request }) => {
    try {
      const { result, transfer } = handle(request);
      parentPort?.postMessage({ id, result }, transfer ?? []);
    } catch (error) {
      const code = error instanceof HuikuanError ? error.code : 'internal';
      parentPort?.postMessage({ id, error: { code, message: (error as Error).message } });
    }
  });
}
