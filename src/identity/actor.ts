/**
 * Who acts on the command line. While no user exists at all (a fresh install, and the books' tests),
 * any name is accepted; once users exist, the name must be an active user holding one of the roles.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import type { Role } from './principal.ts';

export async function resolveActor(db: Kysely<Database>, name: string, roles: Role[]): Promise<string> {
  const anyUser = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (!anyUser) return name;
  const user = await db
    .selectFrom('users')
    .select(['username', 'roles', 'active'])
    .where((eb) => eb(eb.fn('lower', ['username']), '=', name.toLowerCase()))
    .executeTakeFirst();
  const needs = roles.length === 1 ? `the role ${roles[0]}` : `one of the roles ${roles.join(', ')}`;
  if (!user) {
    throw new HuikuanError(
      'forbidden',
      `"${name}" is not a Huikuan user; this command needs a user with ${needs}. Pass --user NAME (or set HUIKUAN_USER).`,
    );
  }
  if (!user.active) throw new HuikuanError('forbidden', `User "${user.username}" is disabled.`);
  if (roles.length > 0 && !user.roles.some((role) => (roles as string[]).includes(role))) {
    throw new HuikuanError(
      'forbidden',
      `User "${user.username}" (${user.roles.join(', ')}) may not do this: it needs ${needs}.`,
    );
  }
  return user.username;
}
