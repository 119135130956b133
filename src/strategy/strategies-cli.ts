/**
 * `huikuan strategy propose | approve | reject | list | show | dry-run | dispatch`: strategies as
 * data from the command line (README "Strategies"). Registered under `huikuan strategy` by cli.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.ts';
import { HuikuanError } from '../shared/errors.ts';
import { parseAsOf } from './model.ts';
import type { DryRunResult, StrategyVersion, StrategyVersionDetail } from './strategies.ts';

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HuikuanError('bad_file', `Cannot read the strategy ${file}: ${(error as Error).message}.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HuikuanError('bad_file', `${file} is not JSON: ${(error as Error).message}.`);
  }
}

function parseId(text: string): bigint {
  if (!/^[1-9]\d{0,17}$/.test(text))
    throw new HuikuanError('bad_usage', `"${text}" is not a strategy version id.`);
  return BigInt(text);
}

function wholeNumber(text: string, name: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new HuikuanError('bad_usage', `${name}: "${text}" is not a whole number of at least 1.`);
  }
  return value;
}

export function describeVersion(version: StrategyVersion): string {
  const decided = version.decided_by
    ? `; ${version.status} by ${version.decided_by}${version.status === 'approved' ? `, in force from ${version.effective_from ?? 'the first nightly run'}` : ''}`
    : '';
  return `#${version.id} v${version.version} "${version.name}" ${version.status}${version.in_force ? ' (IN FORCE)' : ''} — ${version.segments} segments; proposed by ${version.proposed_by}${decided}`;
}

function describeDetail(version: StrategyVersionDetail): string {
  const lines = [describeVersion(version)];
  for (const segment of version.document.segments) {
    lines.push(
      `  segment ${segment.code} "${segment.name}"${segment.test_id ? ` (test ${segment.test_id})` : ''}`,
    );
    for (const arm of segment.arms) {
      const steps = arm.steps
        .map(
          (step) =>
            `${step.from === 'entry' ? 'day' : `${step.from} +`} ${step.day} ${step.kind === 'message' ? `${step.channel}:${step.template}` : `${step.task}${step.team ? `→${step.team}` : ''}`}`,
        )
        .join(', ');
      lines.push(`    ${arm.role} ${arm.code} ${arm.share_bp / 100}%: ${steps || 'no steps'}`);
    }
  }
  for (const warning of version.warnings) lines.push(`  warning ${warning.path}: ${warning.message}`);
  return lines.join('\n');
}

export function describeDryRun(result: DryRunResult): string {
  const lines = [
    `Dry run for ${result.as_of}: ${result.accounts} live accounts, ${result.unsegmented} in no segment.`,
  ];
  for (const row of result.segments) lines.push(`  ${row.segment} / ${row.arm}: ${row.accounts} accounts`);
  lines.push(result.tomorrow.length === 0 ? 'Nothing falls due that day.' : 'Due that day:');
  for (const row of result.tomorrow) {
    const what = row.kind === 'message' ? `${row.channel} ${row.template}` : `task ${row.task}`;
    lines.push(`  ${row.segment} / ${row.arm} ${row.step}: ${what} × ${row.accounts}`);
  }
  for (const warning of result.warnings) lines.push(`warning ${warning.path}: ${warning.message}`);
  return lines.join('\n');
}

export function registerStrategyVersionCommands(strategy: Command, context: CliContext): void {
  strategy
    .command('propose')
    .description(
      'propose a strategy version from a JSON document (segments, conditions, arms, treatment steps); every problem is listed with its path; another admin or supervisor approves it',
    )
    .requiredOption('--file <path>', 'the strategy document (JSON)')
    .requiredOption('--reason <text>', 'why the strategy changes')
    .option('--user <name>', 'who proposes (default: HUIKUAN_USER or the operating-system user)')
    .option('--json', 'print the version as one JSON document')
    .action(async (options: { file: string; reason: string; user?: string; json?: boolean }) => {
      const { proposeStrategy } = await import('./strategies.ts');
      const document = await readDocument(options.file);
      const actor = context.actor(options);
      await context.withDatabase(async ({ db }) => {
        const version = await proposeStrategy(db, { document, reason: options.reason }, actor);
        context.report(options, version, () => describeDetail(version));
      });
    });
  for (const decision of ['approve', 'reject'] as const) {
    strategy
      .command(`${decision} <id>`)
      .description(
        decision === 'approve'
          ? 'approve a proposed strategy version (not your own): in force from the day after the latest nightly run'
          : 'reject a proposed strategy version (not your own), saying why',
      )
      .option('--reason <text>', 'why', '')
      .option('--user <name>', 'who decides (default: HUIKUAN_USER or the operating-system user)')
      .option('--json', 'print the version as one JSON document')
      .action(async (id: string, options: { reason: string; user?: string; json?: boolean }) => {
        const { decideStrategy } = await import('./strategies.ts');
        const versionId = parseId(id);
        const actor = context.actor(options);
        await context.withDatabase(async ({ db }) => {
          const version = await decideStrategy(db, versionId, decision, options.reason, actor);
          context.report(options, version, () => describeVersion(version));
        });
      });
  }
  strategy
    .command('list')
    .description('strategy versions, newest first, and the one in force for the next nightly run')
    .option('--json', 'print the list as one JSON document')
    .action(async (options: { json?: boolean }) => {
      const { listStrategies } = await import('./strategies.ts');
      await context.withDatabase(async ({ db }) => {
        const items = await listStrategies(db);
        context.report(options, { items }, () =>
          items.length === 0 ? 'No strategy versions yet.' : items.map(describeVersion).join('\n'),
        );
      });
    });
  strategy
    .command('show <id>')
    .description('a strategy version: its segments, arms and treatment paths')
    .option('--json', 'print the version with its document as one JSON document')
    .action(async (id: string, options: { json?: boolean }) => {
      const { strategyVersion } = await import('./strategies.ts');
      const versionId = parseId(id);
      await context.withDatabase(async ({ db }) => {
        const version = await strategyVersion(db, versionId);
        context.report(options, version, () => describeDetail(version));
      });
    });
  strategy
    .command('dry-run')
    .description(
      "what a strategy document would do on a night (default the next run's date): accounts per segment and arm, and the messages and tasks due that day; writes nothing",
    )
    .requiredOption('--file <path>', 'the strategy document (JSON)')
    .option('--as-of <date>', "the night (default: the day after the latest run's)")
    .option('--json', 'print the counts as one JSON document')
    .action(async (options: { file: string; asOf?: string; json?: boolean }) => {
      const { dryRun } = await import('./strategies.ts');
      const document = await readDocument(options.file);
      const asOf = options.asOf === undefined ? undefined : parseAsOf(options.asOf);
      await context.withDatabase(async ({ db }) => {
        const result = await dryRun(db, document, asOf);
        context.report(options, result, () => describeDryRun(result));
      });
    });
  strategy
    .command('dispatch')
    .description(
      "send the strategy's due messages (SMS, e-mail, letters) through the templates and the compliance gate, in batches with a rate limit; a refusal is recorded on the action with the gate's reasons",
    )
    .option('--as-of <date>', 'messages due on or before this date (default: today in Asia/Shanghai)')
    .option('--batch-size <n>', 'actions claimed at a time', '100')
    .option('--per-second <n>', 'at most this many sends a second', '20')
    .option('--limit <n>', 'at most this many actions in this pass', '10000')
    .option('--json', 'print the counts as one JSON document')
    .action(
      async (options: {
        asOf?: string;
        batchSize: string;
        perSecond: string;
        limit: string;
        json?: boolean;
      }) => {
        const { dispatchStrategyMessages } = await import('./dispatch.ts');
        const { channelConfigFromEnv } = await import('../channels/config.ts');
        const { channelsFrom } = await import('../channels/service.ts');
        const channels = channelsFrom(channelConfigFromEnv());
        const settings = {
          ...(options.asOf === undefined ? {} : { asOf: parseAsOf(options.asOf) }),
          batchSize: wholeNumber(options.batchSize, '--batch-size'),
          perSecond: wholeNumber(options.perSecond, '--per-second'),
          limit: wholeNumber(options.limit, '--limit'),
        };
        await context.withDatabase(async ({ db }) => {
          const result = await dispatchStrategyMessages(db, channels, settings);
          context.report(
            options,
            result,
            () =>
              `Strategy messages: ${result.claimed} due taken, ${result.sent} sent, ${result.refused} refused (reasons on each action), ${result.failed} failed.`,
          );
        });
      },
    );
}
