/**
 * Runs `huikuan` in-process against a test database and captures what it prints.
 * Usage: `const cli = cliFor(t); const r = await cli(['client', 'list', '--json']); r.json()`.
 */
import { main } from '../src/cli/main.ts';
import type { TestDatabase } from './db.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the command printed
  json(): any;
}

export function cliFor(t: Pick<TestDatabase, 'url'>) {
  return async (argv: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = t.url;
    try {
      const code = await main(argv, {
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          stderr += text;
        },
        interactive: false,
      });
      return { code, stdout, stderr, json: () => JSON.parse(stdout) };
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
  };
}
