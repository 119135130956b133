/** `huikuan audit verify` and `huikuan audit list`. */
import type { RegisterCommands } from '../cli/context.ts';
import { resolveActor } from '../identity/actor.ts';
import { HuikuanError } from '../shared/errors.ts';
import { listAudit, verifyAudit } from './service.ts';

export const registerAuditCommands: RegisterCommands = (program, context) => {
  const audit = program.command('audit').description('the append-only, hash-chained audit trail');

  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 and name the first broken link if it does not hold')
    .option('--user <name>', 'the acting user (default HUIKUAN_USER or the OS user)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { user?: string; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        await resolveActor(db, context.actor(options), ['compliance', 'admin']);
        const result = await verifyAudit(db);
        context.report(
          options,
          {
            ok: result.ok,
            events: result.events,
            last_id: result.lastId,
            last_hash: result.lastHash,
            first_break: result.firstBreak,
          },
          () =>
            result.ok
              ? `Audit chain verified: ${result.events} events, last ${result.lastId ?? '—'} (${result.lastHash.slice(0, 16)}…).`
              : `Audit chain BROKEN at event ${result.firstBreak?.id}: ${result.firstBreak?.message} (${result.events} events before it verify).`,
        );
        if (!result.ok) context.setExitCode(1);
      });
    });

  audit
    .command('list')
    .description('audit events, newest first')
    .option('--actor <name>', 'only this actor')
    .option('--action <action>', 'only this action, e.g. user.created')
    .option('--entity-type <type>', 'only this entity type, e.g. user')
    .option('--entity-id <id>', 'only this entity')
    .option('--from <date>', 'from this date (Asia/Shanghai) or instant')
    .option('--to <date>', 'up to and including this date, or before this instant')
    .option('--limit <n>', 'at most this many (default 100)', '100')
    .option('--user <name>', 'the acting user (default HUIKUAN_USER or the OS user)')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        actor?: string;
        action?: string;
        entityType?: string;
        entityId?: string;
        from?: string;
        to?: string;
        limit: string;
        user?: string;
        json?: boolean;
      }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
          throw new HuikuanError('bad_usage', '--limit must be a whole number from 1 to 100000.');
        }
        await context.withDatabase(async ({ db }) => {
          await resolveActor(db, context.actor(options), ['compliance', 'admin']);
          const result = await listAudit(db, {
            actor: options.actor,
            action: options.action,
            entityType: options.entityType,
            entityId: options.entityId,
            from: options.from,
            to: options.to,
            limit,
          });
          context.report(options, { events: result.items, total: result.total }, () =>
            result.items.length === 0
              ? 'No audit events match.'
              : result.items
                  .map(
                    (e) =>
                      `${e.id}\t${e.at}\t${e.actor}\t${e.action}\t${e.entity_type}${e.entity_id === null ? '' : ` ${e.entity_id}`}${e.ip ? `\t${e.ip}` : ''}`,
                  )
                  .join('\n'),
          );
        });
      },
    );
};
