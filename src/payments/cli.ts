import type { Command } from 'commander';
import type { CliContext, RegisterCommands } from '../cli/context.ts';
import { progressBar } from '../cli/progress.ts';
import { formatMinor } from '../shared/money.ts';
import {
  cliHeapSlackBytes,
  type ImportPaymentsResult,
  type ImportProgress,
  importPayments,
} from './service.ts';

interface ImportOptions {
  client: string;
  user?: string;
  json?: boolean;
}

/** Finds (or adds) `huikuan import`, which the placements module shares. */
function importCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'import') ??
    program.command('import').description('import an agency file (placements, payments)')
  );
}

export const registerPaymentCommands: RegisterCommands = (program, context) => {
  importCommand(program)
    .command('payments <file>')
    .description(
      'post a payment file (回款文件): CSV (UTF-8 or GB18030) or XLSX; bad rows are reported and not posted, good rows post; a repeated external id is a duplicate, never posted twice',
    )
    .requiredOption('--client <code>', 'the client whose accounts the file pays')
    .option('--user <name>', 'the acting user (default HUIKUAN_USER or the operating-system user)')
    .option('--json', 'print {posted, duplicates, rejected, errors, …} as JSON')
    .action(async (file: string, options: ImportOptions) => {
      const actor = context.actor(options);
      await context.withDatabase(async ({ db }) => {
        const progress = progressReporter(context);
        let result: ImportPaymentsResult;
        try {
          result = await importPayments(db, {
            filePath: file,
            clientCode: options.client,
            actor,
            onProgress: progress.update,
            limits: { heapSlackBytes: cliHeapSlackBytes },
          });
        } finally {
          progress.stop();
        }
        context.report(options, result, () => describe(result));
        // a file whose rows were all bad is refused as a whole (exit 2)
        if (result.posted + result.reversed + result.duplicates === 0 && result.rejected > 0)
          context.setExitCode(2);
      });
    });
};

function describe(result: ImportPaymentsResult): string {
  const lines: string[] = [];
  const money = (minor: bigint) =>
    result.currency ? formatMinor(minor, result.currency, { symbol: true }) : `${minor}`;
  lines.push(
    `Import ${result.import_id} of ${result.file} for ${result.client}: ${result.rows} rows — ${result.posted} posted, ${result.reversed} reversed, ${result.duplicates} duplicates, ${result.rejected} rejected.`,
  );
  if (result.posted > 0)
    lines.push(`Posted ${money(result.posted_total_minor)}, commission ${money(result.commission_minor)}.`);
  if (result.reversed > 0) lines.push(`Reversed ${money(result.reversed_total_minor)}.`);
  if (result.nothing_changed && result.duplicates > 0 && result.rejected === 0)
    lines.push('Nothing changed: every payment in the file was posted before.');
  if (result.previous_imports.length > 0) {
    const first = result.previous_imports[0];
    if (first)
      lines.push(
        `This file was imported before (import ${first.import_id} by ${first.by} at ${first.at.toISOString()}).`,
      );
  }
  for (const error of result.errors.slice(0, 20))
    lines.push(`  row ${error.row}, ${error.column}: ${error.reason}`);
  if (result.errors.length > 20) lines.push(`  … and ${result.errors.length - 20} more.`);
  if (result.error_file)
    lines.push(`Errors are listed in ${result.error_file}; fix those rows and import the file again.`);
  return lines.join('\n');
}

/** A progress bar on a terminal; otherwise a line per phase change on stderr. */
function progressReporter(context: CliContext): { update: (p: ImportProgress) => void; stop: () => void } {
  if (!context.io.interactive) {
    let lastPhase = '';
    return {
      update: (p) => {
        if (p.phase !== lastPhase && p.total !== null) {
          lastPhase = p.phase;
          context.io.stderr(`${p.phase}: ${p.total} rows\n`);
        }
      },
      stop: () => {},
    };
  }
  const bar = progressBar(context, '{phase} [{bar}] {value}/{total}');
  let phase = '';
  return {
    update: (p) => {
      if (p.phase !== phase) bar.stop();
      phase = p.phase;
      bar.show(p.done, p.total ?? Math.max(p.done, 1), { phase });
    },
    stop: () => bar.stop(),
  };
}
