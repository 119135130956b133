/**
 * `npm run bench -- train [--size N]` (default 30,000 rows): `huikuan model train` on the UCI credit
 * card file of ../shared/data (performance.md: scorecard training on 30,000 rows in < 15 s), timed
 * from reading the file to the finished model with its validation figures. It runs on the first
 * N/10 rows first and then on N, so the line shows how the cost grows. There is no floor.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTable } from '../src/risk/data.ts';
import { defaultTrainOptions, trainModel } from '../src/risk/train.ts';
import { log, parseArgs, report, round, rssSampler } from './common.ts';

const source = new URL('../../shared/data/uci-credit-card-default.csv', import.meta.url);
const target = 'default.payment.next.month';
const targetSeconds = 15;

/** The file's first `rows` data rows as a CSV file of their own. */
async function firstRows(dir: string, rows: number): Promise<string> {
  const lines = (await readFile(source, 'utf8')).split('\n');
  const file = path.join(dir, `uci-${rows}.csv`);
  writeFileSync(file, `${lines.slice(0, rows + 1).join('\n')}\n`);
  return file;
}

async function trainOnce(file: string) {
  const started = performance.now();
  const table = await readTable(file, [target]);
  const model = trainModel(table, { ...defaultTrainOptions, target, exclude: ['ID'] }, file);
  return { seconds: (performance.now() - started) / 1000, model };
}

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args, 30_000);
  if (options.size > 30_000) throw new Error('--size is at most 30000 (the rows of the UCI file)');
  const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-bench-train-'));
  try {
    const smallSize = Math.max(1000, Math.floor(options.size / 10));
    const small = await firstRows(dir, smallSize);
    const large = await firstRows(dir, options.size);
    const rss = rssSampler();
    log(`training on ${smallSize} rows`);
    const a = await trainOnce(small);
    log(`${round(a.seconds)} s, validation AUC ${round(a.model.validation.validation.auc, 4)}`);
    log(`training on ${options.size} rows`);
    const b = await trainOnce(large);
    const v = b.model.validation.validation;
    log(
      `${round(b.seconds)} s; validation AUC ${round(v.auc, 4)}, Gini ${round(v.gini, 4)}, KS ${round(v.ks, 4)}; ${b.model.features.length} features`,
    );
    report({
      bench: 'train',
      size: options.size,
      seconds: round(b.seconds),
      per_second: Math.round(options.size / b.seconds),
      rss_mb_max: rss.stop(),
      target_seconds: targetSeconds,
      meets_target: b.seconds < targetSeconds,
      small_size: smallSize,
      small_seconds: round(a.seconds),
      features: b.model.features.length,
      validation_auc: round(v.auc, 4),
      validation_gini: round(v.gini, 4),
      validation_ks: round(v.ks, 4),
    });
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
