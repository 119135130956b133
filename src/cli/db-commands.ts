import { stopEmbedded } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import type { RegisterCommands } from './context.ts';

export const registerDbCommands: RegisterCommands = (program, context) => {
  const db = program.command('db').description('the database: schema migrations and the embedded server');
  db.command('migrate')
    .description('create or upgrade the schema (forward-only SQL migrations)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await context.withDatabase(
        async (connection) => {
          const result = await migrate(connection.pool);
          context.report(options, { ...result, embedded: connection.embedded }, () =>
            result.current ? `Schema is at ${result.current}.` : 'No migrations found.',
          );
        },
        { migrate: false },
      );
    });
  db.command('stop')
    .description('stop the embedded PostgreSQL of HUIKUAN_HOME (whoever is attached)')
    .action(async () => {
      const stopped = await stopEmbedded();
      context.io.stdout(
        stopped ? 'Embedded PostgreSQL stopped.\n' : 'Embedded PostgreSQL was not running.\n',
      );
    });
};
