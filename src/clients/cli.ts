import type { RegisterCommands } from '../cli/context.ts';

export const registerClientCommands: RegisterCommands = (_program, _context) => {};
