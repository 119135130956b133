/**
 * HeapBound's decisions run against a heap the test sets (no V8 flag in this process: the `unit`
 * project shares one process between files, and `--expose-gc` set here would reach every later file).
 * The real collector is checked once, in a child process of its own.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HeapBound, type HeapProbe } from './heap.ts';

const mb = 1024 * 1024;

/** A heap of `used` bytes; a collection leaves `survives` bytes (what the test says is live). */
function fakeHeap(used: number): HeapProbe & { used: number; survives: number; collected: number } {
  const heap = {
    used,
    survives: used,
    collected: 0,
    heapUsedBytes: () => heap.used,
    collect: () => {
      heap.collected++;
      heap.used = heap.survives;
    },
  };
  return heap;
}

describe('HeapBound', () => {
  it('collects once the heap in use has grown past the bound, and not before', () => {
    const heap = fakeHeap(100 * mb);
    const bound = new HeapBound(10 * mb, heap);
    heap.used = 110 * mb; // exactly at the bound: not yet
    bound.check();
    expect(heap.collected).toBe(0);
    expect(bound.collections).toBe(0);
    heap.used = 110 * mb + 1;
    heap.survives = 101 * mb;
    bound.check();
    expect(heap.collected).toBe(1);
    expect(bound.collections).toBe(1);
    // back under the bound after the collection: the next check leaves the heap alone
    bound.check();
    expect(heap.collected).toBe(1);
  });

  it('moves the bound above what survives, so a growing live set is not collected every check', () => {
    const heap = fakeHeap(100 * mb);
    const bound = new HeapBound(10 * mb, heap);
    heap.used = 130 * mb;
    heap.survives = 125 * mb; // live: the bound becomes 125 + 10 MB
    bound.check();
    expect(heap.collected).toBe(1);
    bound.check();
    heap.used = 135 * mb;
    bound.check();
    expect(heap.collected).toBe(1);
    heap.used = 135 * mb + 1;
    bound.check();
    expect(heap.collected).toBe(2);
    expect(bound.collections).toBe(2);
  });

  it('never lowers the bound when a collection frees more than the slack', () => {
    const heap = fakeHeap(100 * mb);
    const bound = new HeapBound(10 * mb, heap);
    heap.used = 111 * mb;
    heap.survives = 20 * mb;
    bound.check();
    heap.used = 110 * mb;
    bound.check();
    expect(heap.collected).toBe(1);
  });

  it("by default frees the process's garbage with V8's full collection", () => {
    // A child process: the collector sets --expose-gc, which must not reach this process.
    const heapModule = pathToFileURL(`${import.meta.dirname}/heap.ts`).href;
    const script = `
      const { v8Heap } = await import(${JSON.stringify(heapModule)});
      let held = Array.from({ length: 256 }, (_, i) => new Array(2048).fill(0).map((_, k) => i + ':' + k));
      const withHeld = v8Heap.heapUsedBytes();
      held = null;
      v8Heap.collect();
      process.stdout.write(JSON.stringify({ freed: withHeld - v8Heap.heapUsedBytes() }));
    `;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const { freed } = JSON.parse(output) as { freed: number };
    // 512 Ki short strings held, then dropped: well over 8 MB
    expect(freed).toBeGreaterThan(8 * mb);
  });
});
