/**
 * `huikuan retention run [--as-of DATE] [--dry-run]`: anonymises the personal data of debtors past
 * their jurisdiction's retention period (src/retention/service.ts); `retention queue` lists them;
 * `retention hold add|release|list`: legal holds that stop it.
 */
import { cliId, type RegisterCommands } from '../cli/context.ts';
import { resolveActor } from '../identity/actor.ts';
import { parseBusinessDateOrThrow, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { retentionCronText } from './schedule.ts';
import {
  listLegalHolds,
  placeLegalHold,
  postContractDays,
  releaseLegalHold,
  retentionQueue,
  retentionYears,
  runRetention,
} from './service.ts';

export const registerRetentionCommands: RegisterCommands = (program, context) => {
  const retention = program.command('retention').description(
    `personal data past its retention period (after the last activity: ${Object.entries(retentionYears)
      .map(([code, years]) => `${code} ${years} years`)
      .join(
        ', ',
      )}), or ${postContractDays} days after the client contract's last day (client contract --ends), anonymised, the books kept; legal holds stop it; \`serve\` runs it weekly (${retentionCronText})`,
  );

  retention
    .command('queue')
    .description('the debtors due for anonymisation on a date (oldest activity first, at most 500)')
    .option('--as-of <date>', 'the date (default today)')
    .option('--json', 'print them as JSON')
    .action(async (options: { asOf?: string; json?: boolean }) => {
      const asOf = options.asOf ? parseBusinessDateOrThrow(options.asOf, '--as-of') : todayIn();
      await context.withDatabase(async ({ db }) => {
        const items = await retentionQueue(db, asOf);
        context.report(options, { as_of: asOf, items }, () =>
          items.length === 0
            ? `Nothing due on ${asOf}.`
            : items
                .map(
                  (item) =>
                    `debtor ${item.debtor_id}  client ${item.client_id}  ${item.jurisdiction} ${item.retention_years}y  last activity ${item.last_activity_at.toISOString().slice(0, 10)}  ${item.accounts} account(s)  ${item.reason === 'contract_ended' ? `contract ended ${item.contract_ended_on}` : 'period elapsed'}`,
                )
                .join('\n'),
        );
      });
    });

  retention
    .command('run')
    .description(
      'anonymise the debtors due on a date (names, ID numbers, phones, e-mails, addresses, free text); the ledger is not touched',
    )
    .option('--as-of <date>', 'the date (default today; not in the future)')
    .option('--dry-run', 'count only, change nothing')
    .option('--user <name>', 'who runs it (compliance or admin)')
    .option('--json', 'print {as_of, dry_run, anonymised, candidates} as JSON')
    .action(async (options: { asOf?: string; dryRun?: boolean; user?: string; json?: boolean }) => {
      const asOf = options.asOf ? parseBusinessDateOrThrow(options.asOf, '--as-of') : todayIn();
      if (asOf > todayIn()) throw new HuikuanError('bad_usage', `--as-of cannot be in the future (${asOf}).`);
      await context.withDatabase(async ({ db }) => {
        const actor = await resolveActor(db, context.actor(options), ['compliance', 'admin']);
        const result = await runRetention(db, { asOf, dryRun: options.dryRun === true, actor });
        context.report(options, result, () =>
          result.dry_run
            ? `${result.candidates} debtor(s) due on ${asOf}; nothing changed (--dry-run).`
            : `${result.anonymised} debtor(s) anonymised as of ${asOf}.`,
        );
      });
    });

  const hold = retention
    .command('hold')
    .description('legal holds: retention leaves the client, debtor or account alone');
  hold
    .command('add')
    .description('place a legal hold on a client, or one of its debtors or accounts')
    .requiredOption('--client <id>', 'the client id')
    .option('--debtor <id>', 'one debtor of the client')
    .option('--account <id>', "one account of the client (its debtor's data is kept)")
    .requiredOption('--reason <text>', 'the case or order')
    .option('--user <name>', 'who places it (compliance or admin)')
    .option('--json', 'print the hold as JSON')
    .action(
      async (options: {
        client: string;
        debtor?: string;
        account?: string;
        reason: string;
        user?: string;
        json?: boolean;
      }) => {
        await context.withDatabase(async ({ db }) => {
          const actor = await resolveActor(db, context.actor(options), ['compliance', 'admin']);
          const placed = await placeLegalHold(
            db,
            {
              clientId: cliId(options.client, '--client'),
              debtorId: options.debtor ? cliId(options.debtor, '--debtor') : null,
              accountId: options.account ? cliId(options.account, '--account') : null,
              reason: options.reason,
            },
            actor,
          );
          context.report(options, placed, () => `Legal hold ${placed.id} placed.`);
        });
      },
    );
  hold
    .command('release <id>')
    .description('release a legal hold')
    .requiredOption('--reason <text>', 'why it ends')
    .option('--user <name>', 'who releases it (compliance or admin)')
    .option('--json', 'print the hold as JSON')
    .action(async (id: string, options: { reason: string; user?: string; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const actor = await resolveActor(db, context.actor(options), ['compliance', 'admin']);
        const released = await releaseLegalHold(db, cliId(id, 'the hold id'), options.reason, actor);
        context.report(options, released, () => `Legal hold ${released.id} released.`);
      });
    });
  hold
    .command('list')
    .description('legal holds, newest first')
    .option('--open', 'only those in force')
    .option('--json', 'print them as JSON')
    .action(async (options: { open?: boolean; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const items = await listLegalHolds(db, { open: options.open === true });
        context.report(options, { items }, () =>
          items.length === 0
            ? 'No legal holds.'
            : items
                .map(
                  (item) =>
                    `${item.id}  client ${item.client_id}${item.debtor_id ? ` debtor ${item.debtor_id}` : ''}${item.account_id ? ` account ${item.account_id}` : ''}  ${item.released_at ? 'released' : 'in force'}  ${item.reason}`,
                )
                .join('\n'),
        );
      });
    });
};
