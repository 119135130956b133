/**
 * `huikuan letters batch create | list | pdf`: print batches from the command line, through the same
 * services as the API (letters.ts: closePrintBatch, listPrintBatches, printBatchPdf). `create` closes
 * the queue of one client, or of every client with letters waiting, into print batches of at most
 * `letterStoreLimits.batchLetters` letters each — as many as the queue needs, with a progress bar on a
 * terminal (src/cli/progress.ts) — and writes their PDFs with --out.
 */
import { writeFile } from 'node:fs/promises';
import { cliId, type RegisterCommands } from '../cli/context.ts';
import { progressBar } from '../cli/progress.ts';
import { findClientByCode } from '../clients/service.ts';
import { resolveActor } from '../identity/actor.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  closePrintBatch,
  type LetterKind,
  letterStoreLimits,
  listPrintBatches,
  type PrintBatchView,
  printBatchPdf,
} from './letters.ts';
import type { ChannelTables } from './tables.ts';

const kinds: readonly LetterKind[] = ['letter', 'validation_notice'];
/** Batches one `create` closes at most (500 letters each): a runaway queue stops here. */
const maxBatchesPerRun = 200;

/** FILE.pdf for one batch; FILE-<id>.pdf for each of several. */
export function batchFileName(out: string, batchId: bigint, several: boolean): string {
  if (!several) return out;
  const dot = out.toLowerCase().endsWith('.pdf') ? out.length - 4 : out.length;
  return `${out.slice(0, dot)}-${batchId}${out.slice(dot)}`;
}

function batchJson(batch: PrintBatchView, client: string, file: string | null) {
  return {
    id: batch.id,
    client,
    letters: batch.letters,
    pages: batch.pages,
    bytes: batch.bytes,
    closed_by: batch.closed_by,
    closed_at: batch.closed_at,
    file,
  };
}

export const registerLetterCommands: RegisterCommands = (program, context) => {
  const letters = program
    .command('letters')
    .description('letters (信函): print batches of the queued letters');
  const batch = letters
    .command('batch')
    .description(
      `print batches: the queued letters of a client closed into one PDF (cover sheet and every letter, at most ${letterStoreLimits.batchLetters} letters a batch); its letters become printed`,
    );

  batch
    .command('create')
    .description(
      `close the queue of a client (or of every client with letters waiting) into print batches — as many as it needs, ${letterStoreLimits.batchLetters} letters each, a progress bar on a terminal; exit 1 (invalid_state) when no letter is queued`,
    )
    .option('--client <code>', 'only this client (default: every client with queued letters)')
    .option('--kind <kind>', `only letters of this kind: ${kinds.join(' or ')}`)
    .option('--template <code>', 'only letters made from this message template')
    .option('--out <file>', 'write the PDF here (several batches: FILE-<batch id>.pdf each)')
    .option('--user <name>', 'who closes it (a supervisor or an admin)')
    .option('--json', 'print {batches: [{id, client, letters, pages, bytes, file}], letters, pages} as JSON')
    .action(
      async (options: {
        client?: string;
        kind?: string;
        template?: string;
        out?: string;
        user?: string;
        json?: boolean;
      }) => {
        if (options.kind !== undefined && !(kinds as readonly string[]).includes(options.kind)) {
          throw new HuikuanError('bad_usage', `--kind must be ${kinds.join(' or ')}, not "${options.kind}".`);
        }
        if (options.template !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(options.template)) {
          throw new HuikuanError('bad_usage', `--template "${options.template}" is not a template code.`);
        }
        await context.withDatabase(async ({ db }) => {
          const actor = await resolveActor(db, context.actor(options), ['supervisor', 'admin']);
          const clients = options.client
            ? [await findClientByCode(db, options.client)].map((c) => ({ id: c.id, code: c.code }))
            : await db
                .withTables<ChannelTables>()
                .selectFrom('clients')
                .select(['clients.id', 'clients.code'])
                .where((eb) =>
                  eb.exists(
                    eb
                      .selectFrom('channel_letters')
                      .select('message_id')
                      .whereRef('channel_letters.client_id', '=', 'clients.id')
                      .where('channel_letters.batch_id', 'is', null),
                  ),
                )
                .orderBy('clients.code')
                .execute();
          // the letters waiting under the filters: the progress bar's total
          let waiting = db
            .withTables<ChannelTables>()
            .selectFrom('channel_letters')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('batch_id', 'is', null)
            .where(
              'client_id',
              'in',
              clients.map((c) => c.id),
            );
          if (options.kind !== undefined) waiting = waiting.where('kind', '=', options.kind as LetterKind);
          const template = options.template;
          if (template !== undefined) {
            waiting = waiting.where('message_id', 'in', (eb) =>
              eb.selectFrom('channel_messages').select('id').where('template_code', '=', template),
            );
          }
          const total = clients.length === 0 ? 0 : Number((await waiting.executeTakeFirstOrThrow()).n);
          const bar = progressBar(context, 'print batches {bar} {value}/{total} letters | {client}');
          let printed = 0;
          const closed: { batch: PrintBatchView; client: string }[] = [];
          for (const client of clients) {
            for (;;) {
              if (closed.length >= maxBatchesPerRun) break;
              let made: PrintBatchView;
              try {
                made = await closePrintBatch(
                  db,
                  client.id,
                  { actor },
                  {
                    kind: options.kind as LetterKind | undefined,
                    templateCode: options.template,
                  },
                );
              } catch (error) {
                // only an empty queue ends the loop; any other refusal is the user's to see
                if (
                  error instanceof HuikuanError &&
                  (error.details as { reason?: string } | undefined)?.reason === 'queue_empty'
                )
                  break;
                throw error;
              }
              closed.push({ batch: made, client: client.code });
              printed += made.letters;
              bar.show(printed, Math.max(total, printed), { client: client.code });
              if (made.letters < letterStoreLimits.batchLetters) break;
            }
          }
          bar.stop();
          if (closed.length === 0) {
            throw new HuikuanError(
              'invalid_state',
              `No letters are queued${options.client ? ` for ${options.client}` : ''}${options.kind ? ` of kind ${options.kind}` : ''}${options.template ? ` from template ${options.template}` : ''}; nothing to print.`,
              { reason: 'queue_empty' },
            );
          }
          const files: (string | null)[] = [];
          for (const { batch: made } of closed) {
            if (!options.out) {
              files.push(null);
              continue;
            }
            const file = batchFileName(options.out, made.id, closed.length > 1);
            await writeFile(file, (await printBatchPdf(db, made.id)).pdf);
            files.push(file);
          }
          const items = closed.map(({ batch: made, client }, i) => batchJson(made, client, files[i] ?? null));
          const totals = {
            letters: items.reduce((sum, item) => sum + item.letters, 0),
            pages: items.reduce((sum, item) => sum + item.pages, 0),
          };
          context.report(options, { batches: items, ...totals }, () =>
            [
              ...items.map(
                (item) =>
                  `print batch ${item.id}  ${item.client}  ${item.letters} letter(s)  ${item.pages} page(s)${item.file ? `  → ${item.file}` : ''}`,
              ),
              `${items.length} batch(es), ${totals.letters} letter(s), ${totals.pages} page(s).${options.out ? '' : ' Write the PDFs with --out FILE or "huikuan letters batch pdf ID --out FILE".'}`,
            ].join('\n'),
          );
        });
      },
    );

  batch
    .command('list')
    .description('print batches, newest first')
    .option('--client <code>', 'only this client')
    .option('--limit <n>', 'how many (1–500, default 50)', '50')
    .option('--json', 'print {items, total} as JSON')
    .action(async (options: { client?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        throw new HuikuanError(
          'bad_usage',
          `--limit must be a whole number from 1 to 500, not "${options.limit}".`,
        );
      }
      await context.withDatabase(async ({ db }) => {
        const clientId = options.client ? (await findClientByCode(db, options.client)).id : null;
        const { items, total } = await listPrintBatches(db, clientId, { offset: 0, limit });
        context.report(options, { items, total }, () =>
          items.length === 0
            ? 'No print batches yet. Close one with "huikuan letters batch create".'
            : items
                .map(
                  (item) =>
                    `print batch ${item.id}  client ${item.client_id}  ${item.letters} letter(s)  ${item.pages} page(s)  ${item.bytes} bytes  ${item.closed_at.toISOString()} by ${item.closed_by}`,
                )
                .join('\n'),
        );
      });
    });

  batch
    .command('pdf')
    .argument('<id>', 'the print batch')
    .description("write a print batch's PDF (cover sheet and every letter) to a file")
    .requiredOption('--out <file>', 'the PDF file to write')
    .option('--json', 'print {id, file, bytes} as JSON')
    .action(async (id: string, options: { out: string; json?: boolean }) => {
      const batchId = cliId(id, 'The print batch');
      await context.withDatabase(async ({ db }) => {
        const { pdf } = await printBatchPdf(db, batchId);
        await writeFile(options.out, pdf);
        context.report(
          options,
          { id: batchId, file: options.out, bytes: pdf.length },
          () => `Print batch ${batchId}: ${pdf.length} bytes written to ${options.out}.`,
        );
      });
    });
};
