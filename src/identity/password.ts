/** Passwords: argon2id hashes (PHC strings), the policy, and generated one-time passwords. */
import { randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { HuikuanError } from '../shared/errors.ts';

// OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane); algorithm 2 = Argon2id.
const options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  // biome-ignore lint/suspicious/noExplicitAny: the package's Algorithm is a const enum, not importable as a value
  return hash(password, options as any);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of nothing, verified against when the user does not exist, so timing tells no names. */
let dummyHash: Promise<string> | null = null;
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('not a real password, only for timing');
  await verifyPassword(await dummyHash, password);
}

export const minPasswordLength = 10;

/** Throws bad_input when the password breaks the policy: at least 10 characters, not the user name. */
export function checkPasswordPolicy(password: string, username: string): void {
  if ([...password].length < minPasswordLength) {
    throw new HuikuanError(
      'bad_input',
      `The password is too short: use at least ${minPasswordLength} characters.`,
    );
  }
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) {
    throw new HuikuanError('bad_input', 'The password must not be the user name: choose another.');
  }
}

// no 0/O, 1/l/I: generated passwords are read out and typed by people
const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generatePassword(length = 16): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}
