/**
 * `huikuan allocation preview --team NAME` and `huikuan allocation run [--team NAME]`: what the next
 * allocation (分案) of a team would do — per agent accounts and balance before → after, and the
 * accounts that would wait with why — and doing it (the nightly run does it too). Through the
 * service, as the API's POST /allocation/preview and /allocation/run.
 */
import type { RegisterCommands } from '../cli/context.ts';
import { type AllocationPreview, allocateNew, previewAllocation, teamIdNamed } from './service.ts';

const minor = (value: bigint) => (Number(value) / 100).toFixed(2);

export function describePreview(team: string, preview: AllocationPreview): string {
  if (preview.rule === null)
    return `Team ${team} has no allocation rule; set one (POST /api/v1/allocation/rules).`;
  const match = Object.entries(preview.rule.match)
    .filter(([, on]) => on)
    .map(([need]) => need);
  const lines = [
    `Team ${team}: ${preview.rule.method}${preview.rule.cap_per_agent === null ? '' : `, cap ${preview.rule.cap_per_agent}`}${
      match.length > 0 ? `, matching ${match.join(', ')}` : ''
    }`,
    `${preview.assigned} account(s) would get an agent, ${preview.waiting} would wait.`,
  ];
  for (const agent of preview.agents) {
    lines.push(
      `  ${agent.agent}: ${agent.accounts_before} → ${agent.accounts_after} accounts, ${minor(agent.balance_before_minor)} → ${minor(agent.balance_after_minor)}`,
    );
  }
  for (const [reason, count] of Object.entries(preview.waiting_by_reason))
    lines.push(`  waiting (${reason}): ${count}`);
  return lines.join('\n');
}

export const registerAllocationCommands: RegisterCommands = (program, context) => {
  const allocation = program
    .command('allocation')
    .description(
      "allocation (分案): preview and run the teams' rules (region / language / skill matching, caps)",
    );
  allocation
    .command('preview')
    .description("what the team's next allocation would do, without writing")
    .requiredOption('--team <name>', 'the team')
    .option('--json', 'print the preview as one JSON document')
    .action(async (options: { team: string; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const preview = await previewAllocation(db, await teamIdNamed(db, options.team));
        context.report(options, preview, () => describePreview(options.team, preview));
      });
    });
  allocation
    .command('run')
    .description('share out live accounts without an agent by the rules (every team, or one)')
    .option('--team <name>', 'only this team')
    .option('--json', 'print the result as one JSON document')
    .option(
      '--user <name>',
      'who runs it, for the audit log (default: HUIKUAN_USER or the operating-system user)',
    )
    .action(async (options: { team?: string; json?: boolean; user?: string }) => {
      await context.withDatabase(async ({ db }) => {
        const team = options.team === undefined ? undefined : await teamIdNamed(db, options.team);
        const result = await allocateNew(db, context.actor(options), team);
        context.report(
          options,
          result,
          () => `${result.assigned} account(s) got an agent; ${result.waiting} wait.`,
        );
      });
    });
};
