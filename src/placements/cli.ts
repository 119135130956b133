import { type CliContext, cliId, type RegisterCommands } from '../cli/context.ts';
import { progressBar } from '../cli/progress.ts';
import { formatMinor } from '../shared/money.ts';
import {
  approveBatch,
  type BatchSummary,
  batchStatuses,
  type ImportResult,
  importPlacements,
  listBatches,
  rejectBatch,
  showBatch,
} from './service.ts';

export const registerPlacementCommands: RegisterCommands = (program, context) => {
  const importCommand =
    program.commands.find((command) => command.name() === 'import') ??
    program.command('import').description("import agencies' files");
  importCommand
    .command('placements')
    .description('import a placement file (委案文件) as a batch awaiting approval by a second user')
    .argument('<file>', 'CSV (UTF-8 or GB18030) or XLSX placement file')
    .requiredOption('--client <code>', 'the client placing the accounts')
    .option('--batch <name>', 'a name for the batch (default: the file name)')
    .option('--user <name>', 'the importing user (default: HUIKUAN_USER or the operating-system user)')
    .option('--recall-date <date>', 'the date the client will recall the accounts')
    .option('--json', 'print the result as one JSON document')
    .action(
      async (
        file: string,
        options: { client: string; batch?: string; user?: string; recallDate?: string; json?: boolean },
      ) => {
        const user = context.actor(options);
        await context.withDatabase(async (connection) => {
          const progress = startProgress(context);
          let result: ImportResult;
          try {
            result = await importPlacements(connection, {
              filePath: file,
              clientCode: options.client,
              batchName: options.batch,
              user,
              recallDate: options.recallDate,
              onProgress: progress.update,
            });
          } finally {
            progress.stop();
          }
          if (result.batch_id === null) context.setExitCode(2);
          context.report(options, result, () => describeImport(result));
        });
      },
    );

  const batch = program.command('batch').description('placement batches: list, show, approve, reject');
  batch
    .command('approve')
    .description('approve a placement batch: its accounts go live and their placement entries are posted')
    .argument('<id>', 'batch id')
    .option('--user <name>', 'the approving user (must not be the importer)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, options: { user?: string; json?: boolean }) => {
      const user = context.actor(options);
      const batchId = cliId(id, 'The batch id');
      await context.withDatabase(async ({ db }) => {
        const result = await approveBatch(db, batchId, user);
        context.report(
          options,
          result,
          () =>
            `Batch ${result.batch_id} approved by ${user}: ${result.accounts} accounts live (${result.debtors} new debtors, ${result.contact_points} contact points), ${result.entries} placement entries on ${result.effective_date}${formatTotals(result.totals)}.`,
        );
      });
    });
  batch
    .command('reject')
    .description('reject a placement batch; nothing of it goes live')
    .argument('<id>', 'batch id')
    .option('--user <name>', 'the deciding user')
    .requiredOption('--reason <text>', 'why the batch is rejected')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, options: { user?: string; reason: string; json?: boolean }) => {
      const user = context.actor(options);
      const batchId = cliId(id, 'The batch id');
      await context.withDatabase(async ({ db }) => {
        const result = await rejectBatch(db, batchId, user, options.reason);
        context.report(
          options,
          result,
          () => `Batch ${result.batch_id} rejected by ${user}: ${result.reason}`,
        );
      });
    });
  batch
    .command('list')
    .description('list placement batches, newest first')
    .option('--client <code>', 'only this client')
    .option('--status <status>', `only this status (${batchStatuses.join(', ')})`)
    .option('--json', 'print the result as one JSON document')
    .action(async (options: { client?: string; status?: string; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const batches = await listBatches(db, { clientCode: options.client, status: options.status });
        context.report(options, { batches }, () =>
          batches.length === 0 ? 'No placement batches.' : batches.map(describeBatchLine).join('\n'),
        );
      });
    });
  batch
    .command('show')
    .description('one placement batch with its totals and refused rows')
    .argument('<id>', 'batch id')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, options: { json?: boolean }) => {
      const batchId = cliId(id, 'The batch id');
      await context.withDatabase(async ({ db }) => {
        const detail = await showBatch(db, batchId);
        context.report(options, detail, () => {
          const lines = [
            describeBatchLine(detail),
            `  file ${detail.file_name} (${detail.file_format}${detail.file_encoding ? `, ${detail.file_encoding}` : ''}), sha256 ${detail.file_sha256}`,
            `  proposed by ${detail.proposed_by} at ${detail.proposed_at}${detail.decided_by ? `; ${detail.status} by ${detail.decided_by} at ${detail.decided_at}` : ''}${detail.reject_reason ? `: ${detail.reject_reason}` : ''}`,
            `  totals:${formatTotals(detail.totals) || ' none'}`,
          ];
          if (detail.errors_total > 0) {
            lines.push(`  ${detail.errors_total} refused row problem(s):`);
            for (const error of detail.errors.slice(0, 50)) {
              lines.push(`    row ${error.row}, ${error.column}: ${error.reason}`);
            }
            if (detail.errors_total > 50) lines.push(`    … (--json lists up to ${detail.errors.length})`);
          }
          return lines.join('\n');
        });
      });
    });
};

function startProgress(context: CliContext): { update: (rows: number) => void; stop: () => void } {
  const bar = progressBar(context, 'Reading placements | {value} rows | {duration_formatted}');
  return { update: (rows) => bar.show(rows, 0), stop: () => bar.stop() };
}

function formatTotals(
  totals: Array<{ currency: string; accounts: number; placed_total_minor: bigint }>,
): string {
  return totals
    .map(
      (total) =>
        ` ${formatMinor(total.placed_total_minor, total.currency)} ${total.currency} on ${total.accounts} accounts`,
    )
    .join(';');
}

function describeBatchLine(batch: BatchSummary): string {
  const total = batch.currency
    ? ` ${formatMinor(batch.placed_total_minor, batch.currency)} ${batch.currency}`
    : '';
  return `#${batch.batch_id} ${batch.client} "${batch.name}" ${batch.status}: ${batch.accepted} accepted, ${batch.rejected} rejected, ${batch.duplicates} duplicates${total}`;
}

function describeImport(result: ImportResult): string {
  const lines: string[] = [];
  if (result.already_imported) {
    lines.push(
      `This file was already imported as batch ${result.batch_id} (${result.status}); nothing was changed.`,
    );
    return lines.join('\n');
  }
  if (result.batch_id === null) {
    lines.push(
      `No batch created: none of the ${result.rows} rows of ${result.file} is good (${result.rejected} rejected, ${result.duplicates} duplicates).`,
    );
  } else {
    lines.push(
      `Batch ${result.batch_id} for client ${result.client} awaits approval: ${result.accepted} accepted, ${result.rejected} rejected, ${result.duplicates} duplicates of ${result.rows} rows.${formatTotals(result.totals)}`,
    );
    lines.push(`Another user approves it with: huikuan batch approve ${result.batch_id} --user NAME`);
  }
  if (result.unknown_columns.length > 0) lines.push(`Ignored columns: ${result.unknown_columns.join(', ')}`);
  for (const error of result.errors.slice(0, 20))
    lines.push(`  row ${error.row}, ${error.column}: ${error.reason}`);
  if (result.errors.length > 20) lines.push(`  … and ${result.errors.length - 20} more`);
  if (result.error_file) lines.push(`Every problem is listed in ${result.error_file}`);
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  return lines.join('\n');
}
