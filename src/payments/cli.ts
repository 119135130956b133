import type { RegisterCommands } from '../cli/context.ts';

export const registerPaymentCommands: RegisterCommands = (_program, _context) => {};
