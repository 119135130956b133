/**
 * Seeded, stratified splits: the same seed always gives the same rows on every platform
 * (mulberry32 drives a Fisher–Yates shuffle of each class's rows).
 */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffledClass(y: Uint8Array, cls: number, random: () => number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] === cls) rows.push(i);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = rows[i] as number;
    rows[i] = rows[j] as number;
    rows[j] = t;
  }
  return rows;
}

/** Rows of each class in proportion: `share` of each class (rounded) to validation, the rest to training. */
export function stratifiedSplit(
  y: Uint8Array,
  share: number,
  seed: number,
): { train: number[]; validation: number[] } {
  const random = mulberry32(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (const cls of [0, 1]) {
    const rows = shuffledClass(y, cls, random);
    const cut = Math.round(rows.length * share);
    validation.push(...rows.slice(0, cut));
    train.push(...rows.slice(cut));
  }
  train.sort((a, b) => a - b);
  validation.sort((a, b) => a - b);
  return { train, validation };
}

/** k stratified folds: fold[i] is the fold of row i (0 … k−1). */
export function stratifiedFolds(y: Uint8Array, k: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const fold = new Uint8Array(y.length);
  let next = 0;
  for (const cls of [0, 1]) {
    for (const row of shuffledClass(y, cls, random)) {
      fold[row] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}
