/**
 * `npm run bench -- score [--size N] [--seed N]` (default 1,000,000 rows): `huikuan model score`
 * (performance.md: 1,000,000 rows scored in < 10 s, memory flat). A scorecard is trained on the UCI
 * credit card file of ../shared/data (not timed); the rows to score are generated from the seed
 * (not timed): UCI rows drawn at random with their amounts jittered, a few per cent of cells empty
 * or "NA", and a new account reference each. Scoring — reading, binning, points, reason codes and
 * writing the output CSV — is timed at N/10 and at N, so the line shows whether the cost grows
 * linearly and whether RSS stays flat. There is no floor.
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTable } from '../src/risk/data.ts';
import { scoreFile } from '../src/risk/score.ts';
import { defaultTrainOptions, trainModel } from '../src/risk/train.ts';
import { log, parseArgs, report, round, rssSampler } from './common.ts';
import { Random } from './generate.ts';

const source = new URL('../../shared/data/uci-credit-card-default.csv', import.meta.url);
const target = 'default.payment.next.month';
const targetSeconds = 10;
const amountColumn = /^(LIMIT_BAL|BILL_AMT\d|PAY_AMT\d)$/;

async function writeRows(file: string, size: number, seed: number): Promise<void> {
  const lines = (await readFile(source, 'utf8')).trim().split('\n');
  const header = (lines[0] as string).split(',').map((h) => h.replace(/"/g, ''));
  const rows = lines.slice(1).map((line) => line.split(','));
  const amounts = header.map((name) => amountColumn.test(name));
  const random = new Random(seed);
  const out = createWriteStream(file);
  out.write(`${header.join(',')}\n`);
  let chunk = '';
  for (let i = 0; i < size; i++) {
    const row = random.pick(rows);
    const cells: string[] = [];
    for (let c = 0; c < header.length; c++) {
      let cell = row[c] ?? '';
      if (c === 0) cell = `UC${String(i + 1).padStart(8, '0')}`;
      else if (amounts[c]) {
        if (random.chance(0.02)) cell = random.chance(0.5) ? '' : 'NA';
        else cell = String(Math.round(Number(cell) * random.lognormal(0, 0.1)));
      }
      cells.push(cell);
    }
    chunk += `${cells.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args, 1_000_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-bench-score-'));
  try {
    log('training the scorecard on the UCI file (not timed)');
    const table = await readTable(source.pathname, [target]);
    const model = trainModel(table, { ...defaultTrainOptions, target, exclude: ['ID'] }, source.pathname);
    const smallSize = Math.max(1, Math.floor(options.size / 10));
    const results: Array<{ size: number; seconds: number; cpuSeconds: number; rss: number; psi: number }> =
      [];
    for (const size of [smallSize, options.size]) {
      const data = path.join(dir, `rows-${size}.csv`);
      log(`generating ${size} rows (seed ${options.seed}, not timed)`);
      await writeRows(data, size, options.seed);
      const rss = rssSampler();
      log(`scoring ${size} rows`);
      const cpu = process.cpuUsage();
      const started = performance.now();
      const summary = await scoreFile(model, data, { out: path.join(dir, `scores-${size}.csv`), id: 'ID' });
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      if (summary.rows !== size) throw new Error(`scored ${summary.rows} rows of ${size}`);
      results.push({ size, seconds, cpuSeconds, rss: rss.stop(), psi: summary.psi.score });
      log(
        `${round(seconds)} s (CPU ${round(cpuSeconds)} s), ${Math.round(size / seconds)} rows/s, score PSI ${round(summary.psi.score, 4)}`,
      );
      rmSync(data, { force: true });
    }
    const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
    report({
      bench: 'score',
      size: options.size,
      seconds: round(large.seconds),
      per_second: Math.round(options.size / large.seconds),
      cpu_seconds: round(large.cpuSeconds),
      rss_mb_max: large.rss,
      target_seconds: targetSeconds,
      meets_target: large.seconds < targetSeconds,
      small_size: small.size,
      small_seconds: round(small.seconds),
      small_per_second: Math.round(small.size / small.seconds),
      small_rss_mb_max: small.rss,
      features: model.features.length,
      score_psi: round(large.psi, 4),
    });
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
