import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RegisterCommands } from '../cli/context.ts';
import { HuikuanError } from '../shared/errors.ts';
import { defaultBinningOptions } from './binning.ts';
import { readTable } from './data.ts';
import { parseAggregates } from './derived.ts';
import { registerPlatformModelCommands } from './platform/cli.ts';
import { htmlReport, jsonReport, pdfReport, textReport } from './report.ts';
import { checkModel, scoreFile } from './score.ts';
import { defaultScaling, defaultTrainOptions, type Model, type TrainOptions, trainModel } from './train.ts';

interface TrainCliOptions {
  data: string;
  target: string;
  positive?: string;
  exclude?: string;
  out?: string;
  json?: boolean;
  seed?: string;
  validationShare?: string;
  folds?: string;
  minIv?: string;
  maxCorrelation?: string;
  l2?: string;
  fineBins?: string;
  minBinShare?: string;
  minBinEvents?: string;
  maxBins?: string;
  special?: string;
  baseScore?: string;
  baseOdds?: string;
  pdo?: string;
  derive?: string;
}

function numberOption(
  value: string | undefined,
  flag: string,
  fallback: number,
  range: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean },
): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(v) &&
    (range.exclusiveMin ? v > range.min : v >= range.min) &&
    v <= range.max &&
    (!range.integer || Number.isInteger(v));
  if (!ok) {
    throw new HuikuanError(
      'bad_usage',
      `${flag} must be ${range.integer ? 'a whole number' : 'a number'} ${range.exclusiveMin ? 'above' : 'from'} ${range.min} ${range.exclusiveMin ? 'and at most' : 'to'} ${range.max}, not "${value}".`,
    );
  }
  return v;
}

function listOption(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

export function trainOptionsFrom(options: TrainCliOptions): TrainOptions {
  const specials = listOption(options.special).map((text) => {
    const v = Number(text);
    if (!Number.isFinite(v)) throw new HuikuanError('bad_usage', `--special takes numbers, not "${text}".`);
    return v;
  });
  const d = defaultTrainOptions;
  const b = defaultBinningOptions;
  return {
    target: options.target,
    ...(options.positive !== undefined ? { positive: options.positive } : {}),
    exclude: listOption(options.exclude),
    seed: numberOption(options.seed, '--seed', d.seed, { min: 0, max: 2 ** 32 - 1, integer: true }),
    validationShare: numberOption(options.validationShare, '--validation-share', d.validationShare, {
      min: 0.05,
      max: 0.9,
    }),
    folds: numberOption(options.folds, '--folds', d.folds, { min: 0, max: 20, integer: true }),
    derive: options.derive === undefined ? d.derive : parseAggregates(options.derive),
    minIv: numberOption(options.minIv, '--min-iv', d.minIv, { min: 0, max: 10 }),
    maxCorrelation: numberOption(options.maxCorrelation, '--max-correlation', d.maxCorrelation, {
      min: 0,
      max: 1,
      exclusiveMin: true,
    }),
    l2: numberOption(options.l2, '--l2', d.l2, { min: 0, max: 1e9 }),
    binning: {
      fineBins: numberOption(options.fineBins, '--fine-bins', b.fineBins, {
        min: 2,
        max: 1000,
        integer: true,
      }),
      minBinShare: numberOption(options.minBinShare, '--min-bin-share', b.minBinShare, { min: 0, max: 0.5 }),
      minBinEvents: numberOption(options.minBinEvents, '--min-bin-events', b.minBinEvents, {
        min: 0,
        max: 1e9,
        integer: true,
      }),
      maxBins: numberOption(options.maxBins, '--max-bins', b.maxBins, { min: 1, max: 1000, integer: true }),
      specialValues: specials,
    },
    scaling: {
      baseScore: numberOption(options.baseScore, '--base-score', defaultScaling.baseScore, {
        min: -1e6,
        max: 1e6,
      }),
      baseOdds: numberOption(options.baseOdds, '--base-odds', defaultScaling.baseOdds, {
        min: 0,
        max: 1e9,
        exclusiveMin: true,
      }),
      pdo: numberOption(options.pdo, '--pdo', defaultScaling.pdo, { min: 0, max: 1e6, exclusiveMin: true }),
    },
  };
}

export async function readModel(file: string): Promise<Model> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HuikuanError(
      'bad_file',
      `Cannot read the model ${file}: ${(error as Error).message}. Check the path (a file written by \`huikuan model train --out FILE\`).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return checkModel(parsed, file);
}

async function writeOut(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new HuikuanError('bad_usage', `Cannot write ${file}: ${(error as Error).message}.`);
  }
}

const trainHelp = `
Any CSV (or XLSX) with a header row: numeric and text columns are told apart by their values;
empty cells and NA, N/A, NaN, null, nil, #N/A, missing, ?, - count as missing (a bin of their
own). The event is --positive, else the target's 1 / bad / yes / true / default value. Numeric
features get monotonic WoE bins, text features one bin per level with rare levels pooled; features
under --min-iv, correlated above --max-correlation with a stronger one, or whose coefficient takes
the wrong sign are dropped, each with its reason. Groups of ≥ 3 numeric columns named a stem plus
a number (PAY_0, PAY_2 … PAY_6), on the same scale and related to each other, also offer --derive
aggregates of each row's values (max: the worst month) as candidate features; model score computes
them from the same columns. The score rises with the odds against the event:
--base-score points at --base-odds:1, --pdo points to double the odds (600 at 50:1, 20 by default).
Prints the validation report (AUC, Gini, KS, calibration, bins, coefficients and points);
--json prints every figure. Exit 2 on a bad file or bad usage.`;

const reportHelp = `
--format pdf writes an A4 PDF with the same content as the HTML page — summary, the four charts
drawn as vectors, calibration, the scorecard and every feature's bins with points and reason
codes, the features left out, the reason texts in en and zh-CN — in an embedded Noto Sans font,
so Chinese column names, categories and texts print. Without --out it is written beside the
model (german.json → german.pdf).`;

/** model.json → model.pdf (beside it); any other name gets .pdf added. */
function pdfBeside(modelFile: string): string {
  return modelFile.toLowerCase().endsWith('.json') ? `${modelFile.slice(0, -5)}.pdf` : `${modelFile}.pdf`;
}

export const registerRiskCommands: RegisterCommands = (program, context) => {
  const model = program
    .command('model')
    .description('the risk scorecard (风险评估模型): train, score, report');

  const train: Command = model
    .command('train')
    .description(
      'train a scorecard on a CSV file with a 0/1 (or two-valued) target and print its validation report',
    )
    .requiredOption('--data <file>', 'the training table (CSV or XLSX with a header row)')
    .requiredOption('--target <column>', 'the outcome column')
    .option('--positive <value>', 'the target value that is the event (default: 1, bad, yes, true, default)')
    .option('--exclude <columns>', 'comma-separated columns to leave out (identifiers, protected attributes)')
    .option('--out <file>', 'write the model (JSON, with its report) to this file')
    .option('--json', 'print every figure as JSON')
    .option('--seed <n>', 'seed of the stratified split', String(defaultTrainOptions.seed))
    .option(
      '--validation-share <share>',
      'share of rows held out',
      String(defaultTrainOptions.validationShare),
    )
    .option('--folds <k>', 'also run k-fold stratified cross-validation (k ≥ 2)')
    .option('--min-iv <iv>', 'smallest information value kept', String(defaultTrainOptions.minIv))
    .option(
      '--max-correlation <r>',
      'largest WoE correlation between kept features',
      String(defaultTrainOptions.maxCorrelation),
    )
    .option('--l2 <lambda>', 'L2 penalty of the logistic regression', String(defaultTrainOptions.l2))
    .option('--fine-bins <n>', 'quantile bins before merging', String(defaultBinningOptions.fineBins))
    .option(
      '--min-bin-share <share>',
      'smallest share of rows in a bin',
      String(defaultBinningOptions.minBinShare),
    )
    .option(
      '--min-bin-events <n>',
      'smallest number of events (and non-events) in a bin',
      String(defaultBinningOptions.minBinEvents),
    )
    .option('--max-bins <n>', 'largest number of bins per feature', String(defaultBinningOptions.maxBins))
    .option('--special <values>', 'comma-separated numeric codes with a bin of their own (e.g. -999,-998)')
    .option('--base-score <points>', 'score at the base odds', String(defaultScaling.baseScore))
    .option('--base-odds <odds>', 'odds against the event at the base score', String(defaultScaling.baseOdds))
    .option('--pdo <points>', 'points to double the odds', String(defaultScaling.pdo))
    .option(
      '--derive <aggregates>',
      'candidate features per group of repeated columns (PAY_0…PAY_6): none, or a list of max, mean, positive, trend',
      defaultTrainOptions.derive.join(','),
    )
    .addHelpText('after', trainHelp);
  train.action(async (options: TrainCliOptions) => {
    const trainOptions = trainOptionsFrom(options);
    const table = await readTable(options.data, [options.target]);
    if (table.rows === 0) {
      throw new HuikuanError('bad_input', `${options.data} has a header but no data rows.`);
    }
    const started = performance.now();
    const trained = trainModel(table, trainOptions, options.data);
    const seconds = (performance.now() - started) / 1000;
    if (options.out !== undefined) await writeOut(options.out, `${JSON.stringify(trained)}\n`);
    context.report(
      options,
      { ...jsonReport(trained, options.out ?? null), seconds },
      () =>
        `${textReport(trained)}\n\nTrained in ${seconds.toFixed(1)} s. ${
          options.out !== undefined
            ? `Model written to ${options.out}.`
            : 'Model not saved (pass --out FILE to keep it).'
        }`,
    );
  });

  model
    .command('score')
    .description('score every row of a file: score, probability of the event and the top reason codes')
    .requiredOption('--model <file>', 'a model written by `huikuan model train --out`')
    .requiredOption('--data <file>', 'the rows to score (CSV or XLSX with the model’s columns)')
    .option('--out <file>', 'write the scores (CSV) here; else to standard output')
    .option('--id <column>', 'copy this column (e.g. the account reference) into the output')
    .option('--lang <lang>', 'also write each reason’s text: en or zh-CN')
    .option('--json', 'print the summary (rows, PSI) as JSON')
    .action(
      async (options: {
        model: string;
        data: string;
        out?: string;
        id?: string;
        lang?: string;
        json?: boolean;
      }) => {
        if (options.lang !== undefined && options.lang !== 'en' && options.lang !== 'zh-CN') {
          throw new HuikuanError('bad_usage', `--lang must be en or zh-CN, not "${options.lang}".`);
        }
        const trained = await readModel(options.model);
        const summary = await scoreFile(trained, options.data, {
          out: options.out ?? null,
          ...(options.id !== undefined ? { id: options.id } : {}),
          ...(options.lang !== undefined ? { lang: options.lang as 'en' | 'zh-CN' } : {}),
          write: context.io.stdout,
        });
        const human = () =>
          [
            `Scored ${summary.rows} rows of ${summary.file}${summary.out ? ` into ${summary.out}` : ''}: mean score ${summary.meanScore.toFixed(1)}, mean probability ${(summary.meanProbability * 100).toFixed(2)}%.`,
            `Score PSI against training: ${summary.psi.score.toFixed(4)} (${summary.psi.verdict}).`,
            ...summary.psi.features.map((f) => `  ${f.name}: PSI ${f.psi.toFixed(4)} (${f.verdict})`),
          ].join('\n');
        if (options.out === undefined)
          context.io.stderr(`${options.json ? JSON.stringify(summary) : human()}\n`);
        else context.report(options, summary, human);
      },
    );

  model
    .command('report')
    .description(
      'the validation report of a model: the scorecard table and charts (ROC, KS, score distribution, calibration)',
    )
    .requiredOption('--model <file>', 'a model written by `huikuan model train --out`')
    .option(
      '--format <format>',
      'html (self-contained, inline SVG charts), pdf (A4, embedded CJK font), text or json',
      'html',
    )
    .option(
      '--out <file>',
      'write the report here; else to standard output (pdf: else MODEL.pdf beside the model)',
    )
    .option('--json', 'same as --format json')
    .addHelpText('after', reportHelp)
    .action(async (options: { model: string; format: string; out?: string; json?: boolean }) => {
      const format = options.json ? 'json' : options.format;
      if (format !== 'html' && format !== 'pdf' && format !== 'text' && format !== 'json') {
        throw new HuikuanError('bad_usage', `--format must be html, pdf, text or json, not "${format}".`);
      }
      const trained = await readModel(options.model);
      if (format === 'pdf') {
        // a PDF is binary: it goes to a file, never to the terminal
        const out = options.out ?? pdfBeside(options.model);
        const pdf = pdfReport(trained);
        await pdf.writeFile(out);
        context.io.stdout(`Report written to ${out} (${pdf.pages} pages).\n`);
        return;
      }
      const text =
        format === 'html'
          ? htmlReport(trained)
          : format === 'text'
            ? `${textReport(trained)}\n`
            : `${JSON.stringify(jsonReport(trained, options.model), null, 2)}\n`;
      if (options.out !== undefined) {
        await writeOut(options.out, text);
        if (format !== 'json') context.io.stdout(`Report written to ${options.out}.\n`);
        else context.io.stdout(`${JSON.stringify({ report: options.out, format })}\n`);
      } else context.io.stdout(text);
    });

  // the model inside the platform: features, register, approve, promote, monitor, watch rules
  registerPlatformModelCommands(model, context);
};
