import { describe, expect, it } from 'vitest';
import { HeapBound } from './heap.ts';

const mb = 1024 * 1024;

/** Short-lived garbage: about `megabytes` of strings, none kept. */
function churn(megabytes: number): void {
  let sink = 0;
  for (let i = 0; i < megabytes * 16; i++) {
    const block = new Array(2048).fill(0).map((_, k) => `${i}:${k}`);
    sink += block.length;
  }
  expect(sink).toBeGreaterThan(0);
}

describe('HeapBound', () => {
  it('collects once the heap in use has grown past the bound, and not before', () => {
    const heap = new HeapBound(512 * mb);
    heap.check();
    expect(heap.collections).toBe(0);
    const tight = new HeapBound(1 * mb);
    churn(16);
    const before = process.memoryUsage().heapUsed;
    tight.check();
    expect(tight.collections).toBe(1);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before);
  });

  it('moves the bound above what survives, so a growing live set is not collected every check', () => {
    const heap = new HeapBound(4 * mb);
    const live: string[][] = [];
    for (let i = 0; i < 16 * 8; i++) live.push(new Array(2048).fill(0).map((_, k) => `${i}:${k}`));
    heap.check();
    expect(heap.collections).toBe(1);
    heap.check();
    heap.check();
    expect(heap.collections).toBe(1);
    expect(live.length).toBe(128);
  });
});
