/**
 * `huikuan model …` commands of the risk model inside the platform (registered under `model` by
 * src/risk/cli.ts): features (the training table as CSV), register, list, approve, promote, retire,
 * monitor, and the watch rules.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type CliContext, cliId } from '../../cli/context.ts';
import type { Db } from '../../db/connection.ts';
import { parseBusinessDateOrThrow } from '../../shared/dates.ts';
import { HuikuanError } from '../../shared/errors.ts';
import { checkModel } from '../score.ts';
import { availableSources, buildTrainingTable, missingFeatures, tableCsv } from './features.ts';
import { monitorModels } from './monitor.ts';
import {
  approveModel,
  listModels,
  type ModelView,
  promoteModel,
  proposeModel,
  retireModel,
} from './registry.ts';
import type { ModelStatus } from './tables.ts';
import { configureWatchRule, type WatchRule, watchRuleStates, watchRules } from './watch.ts';

const statuses: readonly ModelStatus[] = ['proposed', 'approved', 'champion', 'challenger', 'retired'];

function numberIn(text: string, flag: string, min: number, max: number, integer: boolean): number {
  const value = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new HuikuanError(
      'bad_usage',
      `${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${text}".`,
    );
  }
  return value;
}

async function clientIdOf(db: Db, code: string | undefined): Promise<bigint | undefined> {
  if (code === undefined) return undefined;
  const row = await db.selectFrom('clients').select('id').where('code', '=', code).executeTakeFirst();
  if (!row)
    throw new HuikuanError(
      'not_found',
      `There is no client "${code}". List them with \`huikuan client list\`.`,
    );
  return row.id;
}

function line(model: ModelView): string {
  const auc = model.validation.auc === null ? '—' : model.validation.auc.toFixed(3);
  return `#${model.id} ${model.name} v${model.version} ${model.status}${model.client_id === null ? ' (agency-wide)' : ` (client ${model.client_id})`} AUC ${auc}, owner ${model.owner}, proposed by ${model.proposed_by}${model.approved_by ? `, approved by ${model.approved_by}` : ''}`;
}

const featuresHelp = `
One row per account live on --as-of with what was known on that date only (balance and its
components from the postings up to it, days past due, bucket, product, days since placement,
payments in the last 30 / 90 days, payments ever, days since the last payment; contact attempts,
promises, plan status, lost contact and disputes / bankruptcy when those tables exist), and the
outcome column paid = 1 when the payments in the --outcome-days after the date reach --paid-share of
the balance on the date. Train on it with:
  huikuan model train --data FILE --target paid --positive 0 --exclude account_id --out model.json
(--positive 0: the event is not paying, so the score rises with the chance of payment.)`;

export function registerPlatformModelCommands(model: Command, context: CliContext): void {
  model
    .command('features')
    .description(
      "the training table from the agency's own history as CSV (features as of a date, outcome after it)",
    )
    .requiredOption('--as-of <date>', 'the observation date (its outcome window must have closed)')
    .requiredOption('--out <file>', 'write the CSV here')
    .option('--outcome-days <n>', 'days after the date the outcome counts payments', '90')
    .option('--paid-share <share>', 'share of the balance on the date that counts as paid', '0.5')
    .option('--client <code>', "one client's accounts only")
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', featuresHelp)
    .action(
      async (options: {
        asOf: string;
        out: string;
        outcomeDays: string;
        paidShare: string;
        client?: string;
        json?: boolean;
      }) => {
        const observationDate = parseBusinessDateOrThrow(options.asOf, '--as-of');
        const outcomeDays = numberIn(options.outcomeDays, '--outcome-days', 1, 730, true);
        const paidShare = numberIn(options.paidShare, '--paid-share', 0.0001, 1, false);
        const summary = await context.withDatabase(async ({ db }) => {
          const clientId = await clientIdOf(db, options.client);
          const table = await buildTrainingTable(db, {
            observationDate,
            outcomeDays,
            paidShare,
            ...(clientId !== undefined ? { clientId } : {}),
          });
          try {
            await writeFile(options.out, tableCsv(table));
          } catch (error) {
            throw new HuikuanError('bad_usage', `Cannot write ${options.out}: ${(error as Error).message}.`);
          }
          const paid = table.columns[table.headers.indexOf('paid')] ?? [];
          return {
            out: options.out,
            as_of: observationDate,
            rows: table.rows,
            paid: paid.filter((v) => v === '1').length,
            columns: table.headers,
            left_out: missingFeatures(await availableSources(db)),
          };
        });
        context.report(options, summary, () =>
          [
            `Wrote ${summary.rows} accounts as of ${summary.as_of} to ${summary.out} (${summary.paid} paid within the window).`,
            ...summary.left_out.map((m) => `Left out ${m.feature}: ${m.reason}.`),
          ].join('\n'),
        );
      },
    );

  model
    .command('register')
    .description('propose a trained scorecard for the nightly run (a second user approves it)')
    .requiredOption(
      '--model <file>',
      'a model written by `huikuan model train --out` on `model features` output',
    )
    .requiredOption('--name <name>', 'the model’s name (its version is the next for the name)')
    .option('--client <code>', "score this client's accounts only (default: agency-wide)")
    .option('--outcome-days <n>', 'the outcome window it was trained on', '90')
    .option('--paid-share <share>', 'the paid share it was trained on', '0.5')
    .option('--note <text>', 'what it is and why')
    .option('--user <name>', 'acting user (default: HUIKUAN_USER or the OS user)')
    .option('--json', 'print as JSON')
    .action(
      async (options: {
        model: string;
        name: string;
        client?: string;
        outcomeDays: string;
        paidShare: string;
        note?: string;
        user?: string;
        json?: boolean;
      }) => {
        const actor = context.actor(options);
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(await readFile(options.model, 'utf8'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== undefined) {
            throw new HuikuanError(
              'bad_file',
              `Cannot read the model ${options.model}: ${(error as Error).message}.`,
            );
          }
        }
        const trained = checkModel(parsed, options.model);
        const outcomeDays = numberIn(options.outcomeDays, '--outcome-days', 1, 730, true);
        const paidShare = numberIn(options.paidShare, '--paid-share', 0.0001, 1, false);
        const view = await context.withDatabase(async ({ db }) => {
          const clientId = await clientIdOf(db, options.client);
          return proposeModel(
            db,
            {
              model: trained,
              name: options.name,
              clientId: clientId ?? null,
              outcomeDays,
              paidShare,
              training: { model_file: options.model },
              ...(options.note !== undefined ? { note: options.note } : {}),
            },
            actor,
          );
        });
        context.report(
          options,
          view,
          () => `Proposed ${line(view)}. A second user approves it: huikuan model approve ${view.id}`,
        );
      },
    );

  model
    .command('list')
    .description('the registered models')
    .option('--status <status>', statuses.join(' | '))
    .option('--json', 'print as JSON')
    .action(async (options: { status?: string; json?: boolean }) => {
      if (options.status !== undefined && !statuses.includes(options.status as ModelStatus)) {
        throw new HuikuanError(
          'bad_usage',
          `--status must be one of ${statuses.join(', ')}, not "${options.status}".`,
        );
      }
      const models = await context.withDatabase(({ db }) =>
        listModels(db, options.status ? { status: options.status as ModelStatus } : {}),
      );
      context.report(options, models, () =>
        models.length ? models.map(line).join('\n') : 'No models registered.',
      );
    });

  model
    .command('approve <id>')
    .description('approve a proposed model (not its proposer)')
    .option('--user <name>', 'acting user')
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { user?: string; json?: boolean }) => {
      const actor = context.actor(options);
      const view = await context.withDatabase(({ db }) => approveModel(db, cliId(id, 'The model id'), actor));
      context.report(options, view, () => `Approved ${line(view)}.`);
    });

  model
    .command('promote <id>')
    .description(
      'make an approved model the champion of its scope (retiring the one it replaces) or a challenger',
    )
    .option('--as <role>', 'champion | challenger', 'champion')
    .option('--user <name>', 'acting user')
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { as: string; user?: string; json?: boolean }) => {
      if (options.as !== 'champion' && options.as !== 'challenger') {
        throw new HuikuanError('bad_usage', `--as must be champion or challenger, not "${options.as}".`);
      }
      const actor = context.actor(options);
      const result = await context.withDatabase(({ db }) =>
        promoteModel(db, cliId(id, 'The model id'), options.as as 'champion' | 'challenger', actor),
      );
      context.report(options, result, () =>
        [
          `Promoted ${line(result.model)}.`,
          ...(result.retired ? [`Retired ${line(result.retired)}.`] : []),
        ].join('\n'),
      );
    });

  model
    .command('retire <id>')
    .description('retire a model: it no longer scores')
    .requiredOption('--reason <text>', 'why')
    .option('--user <name>', 'acting user')
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { reason: string; user?: string; json?: boolean }) => {
      const actor = context.actor(options);
      const view = await context.withDatabase(({ db }) =>
        retireModel(db, cliId(id, 'The model id'), actor, options.reason),
      );
      context.report(options, view, () => `Retired ${line(view)}.`);
    });

  model
    .command('monitor')
    .description(
      "each champion's monthly AUC and KS (outcome windows closed) and PSI against training, with drift alerts",
    )
    .option('--month <YYYY-MM>', 'the month scored (default: last month)')
    .option('--user <name>', 'acting user recorded on alerts')
    .option('--json', 'print as JSON')
    .action(async (options: { month?: string; user?: string; json?: boolean }) => {
      const actor = context.actor(options);
      const figures = await context.withDatabase(({ db }) =>
        monitorModels(db, { actor, ...(options.month !== undefined ? { month: options.month } : {}) }),
      );
      const fixed = (v: number | null) => (v === null ? '—' : v.toFixed(3));
      context.report(options, figures, () =>
        figures.length === 0
          ? 'No champion model: nothing to monitor.'
          : figures
              .flatMap((f) => [
                `Model #${f.model_id}, ${f.month}: ${f.accounts} accounts scored, ${f.closed} with the outcome window closed (${f.events} events); AUC ${fixed(f.auc)} (validation ${fixed(f.validation_auc)}), KS ${fixed(f.ks)}, PSI ${fixed(f.psi)}.`,
                ...f.alerts.map((a) => `  ALERT ${a.kind}: ${a.message}`),
              ])
              .join('\n'),
      );
    });

  model
    .command('watch-rules')
    .description('the risk watch rules: which are active, why not, thresholds; --rule to change one')
    .option('--rule <code>', watchRules.join(' | '))
    .option('--threshold <n>', 'broken_promises: how many; score_drop: points in a week')
    .option('--enable', 'switch the rule on')
    .option('--disable', 'switch the rule off')
    .option('--user <name>', 'acting user')
    .option('--json', 'print as JSON')
    .action(
      async (options: {
        rule?: string;
        threshold?: string;
        enable?: boolean;
        disable?: boolean;
        user?: string;
        json?: boolean;
      }) => {
        const changing = options.threshold !== undefined || options.enable || options.disable;
        if (changing && options.rule === undefined) {
          throw new HuikuanError('bad_usage', 'Name the rule to change with --rule.');
        }
        if (options.rule !== undefined && !watchRules.includes(options.rule as WatchRule)) {
          throw new HuikuanError(
            'bad_usage',
            `--rule must be one of ${watchRules.join(', ')}, not "${options.rule}".`,
          );
        }
        if (options.enable && options.disable) {
          throw new HuikuanError('bad_usage', 'Pass --enable or --disable, not both.');
        }
        const states = await context.withDatabase(async ({ db }) => {
          if (changing) {
            await configureWatchRule(
              db,
              options.rule as WatchRule,
              {
                ...(options.threshold !== undefined
                  ? { threshold: numberIn(options.threshold, '--threshold', 1, 1000, true) }
                  : {}),
                ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
              },
              context.actor(options),
            );
          }
          return watchRuleStates(db);
        });
        context.report(options, states, () =>
          states
            .map(
              (s) =>
                `${s.code}: ${s.active ? 'active' : `inactive (${s.reason})`}${s.threshold !== null ? `, threshold ${s.threshold}` : ''}`,
            )
            .join('\n'),
        );
      },
    );
}
