import type { RegisterCommands } from '../cli/context.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  type DemoConnection,
  type DemoLogin,
  type DemoResult,
  defaultAccounts,
  defaultSeed,
  demoLogins,
  demoStatus,
  ensureDemo,
  isEmptyDatabase,
} from './seed.ts';

function wholeNumber(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new HuikuanError('bad_usage', `${option} takes a whole number (got "${text}").`);
  }
  return Number(text);
}

/** The demo logins as an aligned table, one user a line. */
export function formatLogins(logins: readonly DemoLogin[], indent = '  '): string {
  const width = Math.max(...logins.map((l) => l.username.length));
  const roleWidth = Math.max(...logins.map((l) => l.role.length));
  return logins
    .map((l) => `${indent}${l.username.padEnd(width)}  ${l.password}  ${l.role.padEnd(roleWidth)}  ${l.what}`)
    .join('\n');
}

function describe(result: DemoResult): string {
  if (!result.created) {
    return `The database has the demo already; nothing was changed.\nDemo logins (unless their passwords were changed since):\n${formatLogins(result.logins)}`;
  }
  return [
    `Demo agency built in ${result.seconds} s (seed ${result.seed}, ${result.accounts} accounts placed):`,
    `  clients: ${result.clients.join(', ')}`,
    `  placement batches: ${result.batches.approved} approved, ${result.batches.pending} awaiting approval`,
    `  payments: ${result.payments.posted} posted over six months (${result.payments.direct} direct to the client), ${result.payments.reversed} reversed, ${result.payments.overpaid_accounts} accounts overpaid`,
    `  proposals: ${result.proposals.approved} approved, ${result.proposals.rejected} rejected, ${result.proposals.pending} waiting for approval`,
    `  payment claims: ${result.claims.verified} verified, ${result.claims.rejected} rejected, ${result.claims.pending} waiting for finance`,
    '  ledger check: no violation',
    'Demo logins:',
    formatLogins(result.logins),
  ].join('\n');
}

/** `huikuan demo`: a realistic agency to explore (src/demo/seed.ts). */
export const registerDemoCommand: RegisterCommands = (program, context) => {
  program
    .command('demo')
    .description(
      'build a demo agency: three clients, users for every role, accounts, six months of payments, approvals and work waiting',
    )
    .option('--accounts <n>', 'accounts placed, over several batches', String(defaultAccounts))
    .option(
      '--seed <n>',
      'seed of the generated data (the same seed gives the same agency)',
      String(defaultSeed),
    )
    .option('--json', 'print the result as one JSON document')
    .action(async (options: { accounts: string; seed: string; json?: boolean }) => {
      const accounts = wholeNumber(options.accounts, '--accounts');
      const seed = wholeNumber(options.seed, '--seed');
      await context.withDatabase(async (connection) => {
        const result = await ensureDemo(connection, {
          accounts,
          seed,
          progress: (message) => context.io.stderr(`demo: ${message}\n`),
        });
        context.report(options, result, () => describe(result));
      });
    });
};

/**
 * What `huikuan serve` does about the demo: `wanted` true seeds it (unless there), false never, and
 * undefined (the default) seeds it on an empty database (no clients, no users). Returns the lines to
 * print with the server's address: the demo logins whenever the database has the demo.
 */
export async function demoOnServe(
  connection: DemoConnection,
  wanted: boolean | undefined,
  stderr: (text: string) => void,
): Promise<string> {
  if (wanted === false) return '';
  const status = await demoStatus(connection.db);
  if (status === 'absent' && wanted === undefined && !(await isEmptyDatabase(connection.db))) return '';
  if (status === 'partial' && wanted === undefined) {
    stderr(
      'Warning: this database holds part of a demo that was never completed (an earlier start stopped while seeding it); serving it as it is. Start on an empty database for the whole demo.\n',
    );
    return '';
  }
  if (status !== 'present') {
    stderr('Seeding the demo agency on this empty database (huikuan serve --no-demo to skip it)…\n');
    await ensureDemo(connection, { progress: (message) => stderr(`demo: ${message}\n`) });
  }
  return `Demo logins (password changes since the demo was seeded still apply):\n${formatLogins(demoLogins, '    ')}\n`;
}
