import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { type Connection, openDatabase } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { toJson } from '../shared/json.ts';

/** Where a command writes; tests pass their own streams to run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
}

export interface CliContext {
  io: CliIo;
  /** Runs `work` with a migrated database connection and closes it afterwards. */
  withDatabase<T>(work: (connection: Connection) => Promise<T>, options?: { migrate?: boolean }): Promise<T>;
  /** Prints a result: one JSON document with --json, else the human text. */
  report(options: { json?: boolean }, result: unknown, human: () => string): void;
  /** The acting user: --user, else HUIKUAN_USER, else the operating-system user. */
  actor(options: { user?: string }): string;
  /** Sets the exit code of this command (default 0). */
  setExitCode(code: number): void;
}

export type RegisterCommands = (program: Command, context: CliContext) => void;

/** An id given on the command line (`what`: the option or argument, e.g. "--account"); bad_usage if it is not one. */
export function cliId(text: string, what: string): bigint {
  if (!/^[1-9]\d{0,17}$/.test(text)) {
    throw new HuikuanError('bad_usage', `${what} must be an id (a whole number from 1), not "${text}".`);
  }
  return BigInt(text);
}

export function createContext(io: CliIo, state: { exitCode: number }): CliContext {
  return {
    io,
    async withDatabase(work, options) {
      const connection = await openDatabase({ migrate: options?.migrate ?? true });
      try {
        return await work(connection);
      } finally {
        await connection.close();
      }
    },
    report(options, result, human) {
      io.stdout(options.json ? `${toJson(result, 2)}\n` : `${human()}\n`);
    },
    actor(options) {
      const name = options.user ?? process.env.HUIKUAN_USER ?? safeOsUser();
      if (!name || !/^[\p{L}\p{N}._@-]{1,64}$/u.test(name)) {
        throw new HuikuanError('bad_usage', `"${name}" is not a valid user name; pass --user NAME.`);
      }
      return name;
    },
    setExitCode(code) {
      state.exitCode = code;
    },
  };
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
