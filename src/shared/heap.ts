/**
 * Keeping a long import's heap to its working set. V8 collects the old generation late: a streamed
 * import's short-lived rows that outlive a database round trip are promoted and pile up as garbage
 * until the heap reaches V8's first limit (a few hundred MB), so peak memory grew with the file's size
 * although nothing per row is kept (payment import: 225 MB at 20,000 rows, 446 MB at 200,000).
 * `HeapBound` runs a full collection whenever the heap in use has grown by more than `slackBytes`
 * since it was made; checked once per chunk, it costs nothing until then.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/** A full garbage collection (`--expose-gc`'s `gc`, reached through a new context). */
function fullCollection(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/** How `HeapBound` measures and collects the heap: V8's own by default; a test passes its own. */
export interface HeapProbe {
  /** Bytes of heap in use now. */
  heapUsedBytes(): number;
  /** Run a full collection. */
  collect(): void;
}

/** The process's own heap. The `--expose-gc` flag is set only when a collection is first needed. */
export const v8Heap: HeapProbe = {
  heapUsedBytes: () => process.memoryUsage().heapUsed,
  collect: fullCollection,
};

export class HeapBound {
  #limit: number;
  readonly #slack: number;
  readonly #heap: HeapProbe;
  /** Full collections run so far. */
  collections = 0;

  constructor(slackBytes = 64 * 1024 * 1024, heap: HeapProbe = v8Heap) {
    this.#slack = slackBytes;
    this.#heap = heap;
    this.#limit = heap.heapUsedBytes() + slackBytes;
  }

  /**
   * Collects when the heap in use is over the bound. What survives a collection is live (say the
   * errors of a file with many bad rows): the bound moves above it, so a growing working set is not
   * collected again every chunk.
   */
  check(): void {
    if (this.#heap.heapUsedBytes() <= this.#limit) return;
    this.#heap.collect();
    this.collections++;
    this.#limit = Math.max(this.#limit, this.#heap.heapUsedBytes() + this.#slack);
  }
}
