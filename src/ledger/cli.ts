import type { RegisterCommands } from '../cli/context.ts';

export const registerLedgerCommands: RegisterCommands = (_program, _context) => {};
