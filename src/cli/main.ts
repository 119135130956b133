import { Command, CommanderError } from 'commander';
import { registerAllocationCommands } from '../allocation/cli.ts';
import { registerAuditCommands } from '../audit/cli.ts';
import { registerLetterCommands } from '../channels/letters-cli.ts';
import { registerClientCommands } from '../clients/cli.ts';
import { registerComplianceCommands } from '../compliance/cli.ts';
import { registerDemoCommand } from '../demo/cli.ts';
import { registerIdentityCommands } from '../identity/cli.ts';
import { registerLedgerCommands } from '../ledger/cli.ts';
import { registerNotificationCommands } from '../notifications/cli.ts';
import { registerPaymentCommands } from '../payments/cli.ts';
import { registerPlacementCommands } from '../placements/cli.ts';
import { registerRetentionCommands } from '../retention/cli.ts';
import { registerRiskCommands } from '../risk/cli.ts';
import { exitCodeFor, isHuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';
import { registerStrategyCommands } from '../strategy/cli.ts';
import { registerWorklistCommands } from '../worklist/cli.ts';
import { type CliIo, createContext } from './context.ts';
import { registerDbCommands } from './db-commands.ts';
import { registerServeCommand } from './serve.ts';

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

export function buildProgram(io: CliIo, state: { exitCode: number }): Command {
  const program = new Command('huikuan')
    .description('Huikuan (回款): collections and recovery for debt collection agencies')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const context = createContext(io, state);
  registerDbCommands(program, context);
  registerServeCommand(program, context);
  registerClientCommands(program, context);
  registerPlacementCommands(program, context);
  registerPaymentCommands(program, context);
  registerLedgerCommands(program, context);
  registerIdentityCommands(program, context);
  registerAuditCommands(program, context);
  registerDemoCommand(program, context);
  registerComplianceCommands(program, context);
  registerRiskCommands(program, context);
  registerStrategyCommands(program, context);
  registerWorklistCommands(program, context);
  registerAllocationCommands(program, context);
  registerRetentionCommands(program, context);
  registerLetterCommands(program, context);
  registerNotificationCommands(program, context);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version end here with code 0; usage mistakes with 2
      return error.exitCode === 0 ? 0 : 2;
    }
    if (wantsJson) {
      const body = isHuikuanError(error)
        ? { error: { code: error.code, message: error.message, details: error.details } }
        : { error: { code: 'internal', message: (error as Error).message } };
      io.stdout(`${toJson(body, 2)}\n`);
    }
    io.stderr(`huikuan: ${isHuikuanError(error) ? error.message : (error as Error).stack}\n`);
    return exitCodeFor(error);
  }
}
