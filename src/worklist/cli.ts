/** `huikuan worklist broken --since DATE`: the promises and plans the nightly run found broken. */
import type { RegisterCommands } from '../cli/context.ts';
import { parseBusinessDateOrThrow } from '../shared/dates.ts';
import { brokenSince, brokenSinceCap } from './nightly.ts';

export const registerWorklistCommands: RegisterCommands = (program, context) => {
  const worklist = program.command('worklist').description("agents' actions on accounts: promises, plans");
  worklist
    .command('broken')
    .description(
      `promises and payment plans the nightly run found broken on or after a date, oldest first (at most ${brokenSinceCap})`,
    )
    .requiredOption('--since <date>', "the first nightly run's date to list (YYYY-MM-DD)")
    .option('--json', 'print them as one JSON document')
    .action(async (options: { since: string; json?: boolean }) => {
      const since = parseBusinessDateOrThrow(options.since, '--since');
      await context.withDatabase(async ({ db }) => {
        const items = await brokenSince(db, since);
        context.report(options, { since, items }, () =>
          items.length === 0
            ? `Nothing broken since ${since}.`
            : items
                .map((item) => `${item.broken_at}  ${item.kind} ${item.id}  account ${item.account_id}`)
                .join('\n'),
        );
      });
    });
};
