import type { RegisterCommands } from '../cli/context.ts';

export const registerPlacementCommands: RegisterCommands = (_program, _context) => {};
