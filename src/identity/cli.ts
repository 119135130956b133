/** `huikuan user …`, `huikuan team …`, `huikuan token …`. */
import type { Command } from 'commander';
import type { CliContext, RegisterCommands } from '../cli/context.ts';
import type { Db } from '../db/connection.ts';
import { parseDateOrInstant } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor, parseAmountOrThrow } from '../shared/money.ts';
import { resolveActor } from './actor.ts';
import type { Locale } from './principal.ts';
import {
  type ChangeContext,
  createTeam,
  createToken,
  createUser,
  listTeams,
  listTokens,
  listUsers,
  resetPassword,
  revokeToken,
  type UserView,
  updateUser,
} from './service.ts';

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((part) => part.trim());
}

/**
 * The actor of a people command: an active admin once one exists. Before any admin exists (a fresh
 * install, or users added without one) any name may act, so an installation can always be set up.
 */
async function adminActor(db: Db, context: CliContext, options: { user?: string }): Promise<ChangeContext> {
  const name = context.actor(options);
  const admin = await db
    .selectFrom('users')
    .select('id')
    .where('active', '=', true)
    .where((eb) => eb(eb.val('admin'), '=', eb.fn.any('roles')))
    .limit(1)
    .executeTakeFirst();
  const actor = admin ? await resolveActor(db, name, ['admin']) : name;
  const row = await db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['username']), '=', actor.toLowerCase()))
    .executeTakeFirst();
  return { actor, actorUserId: row?.id ?? null, ip: null };
}

function locale(value: string | undefined): Locale | undefined {
  if (value === undefined) return undefined;
  if (value !== 'zh-CN' && value !== 'en') throw new HuikuanError('bad_usage', '--locale is zh-CN or en.');
  return value;
}

function describe(user: UserView): string {
  const scope = user.client_codes === 'all' ? 'all clients' : user.client_codes.join(',') || 'no clients';
  const flags = [
    user.active ? null : 'disabled',
    user.locked_until ? `locked until ${user.locked_until}` : null,
    user.must_change_password ? 'must change password' : null,
  ].filter(Boolean);
  const limit =
    user.approval_limit_minor === null ? '' : `\tlimit ${formatMinor(user.approval_limit_minor, 'CNY')}`;
  return `${user.username}\t${user.display_name}\t${user.roles.join(',')}\t${scope}${limit}${flags.length ? `\t(${flags.join('; ')})` : ''}`;
}

function common(command: Command): Command {
  return command
    .option('--user <name>', 'the acting user, an admin (default HUIKUAN_USER or the OS user)')
    .option('--json', 'print the result as JSON');
}

export const registerIdentityCommands: RegisterCommands = (program, context) => {
  const user = program.command('user').description('people who use Huikuan, their roles and passwords');

  common(
    user
      .command('add')
      .description(
        'add a user; without --password one is generated, printed once, and changed at first login',
      )
      .requiredOption('--username <name>', 'the login name')
      .requiredOption('--name <display>', 'the name shown')
      .requiredOption(
        '--role <roles>',
        'admin, supervisor, agent, finance, compliance or client; several with commas',
      )
      .option('--team <team>', 'the team (by name)')
      .option('--client <codes>', 'for a client user: its client code(s)')
      .option('--password <password>', 'the password (at least 10 characters, not the user name)')
      .option('--approval-limit <amount>', 'the largest amount this user may approve, e.g. 5000.00')
      .option('--locale <locale>', 'zh-CN (default) or en'),
  ).action(
    async (options: {
      username: string;
      name: string;
      role: string;
      team?: string;
      client?: string;
      password?: string;
      approvalLimit?: string;
      locale?: string;
      user?: string;
      json?: boolean;
    }) => {
      const approvalLimitMinor =
        options.approvalLimit === undefined
          ? null
          : parseAmountOrThrow(options.approvalLimit, 'CNY', '--approval-limit');
      await context.withDatabase(async ({ db }) => {
        const actor = await adminActor(db, context, options);
        const result = await createUser(
          db,
          {
            username: options.username,
            displayName: options.name,
            roles: list(options.role) ?? [],
            team: options.team ?? null,
            clientCodes: list(options.client),
            password: options.password,
            approvalLimitMinor,
            locale: locale(options.locale),
          },
          actor,
        );
        context.report(options, { user: result.user, generated_password: result.generatedPassword }, () =>
          [
            `User ${result.user.username} added.`,
            describe(result.user),
            ...(result.generatedPassword
              ? [`Password (shown once; to be changed at first login): ${result.generatedPassword}`]
              : []),
          ].join('\n'),
        );
      });
    },
  );

  user
    .command('list')
    .description('list users')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const users = await listUsers(db);
        context.report(options, { users }, () =>
          users.length === 0
            ? 'No users yet. Add an admin with "huikuan user add --username U --name N --role admin".'
            : users.map(describe).join('\n'),
        );
      });
    });

  common(
    user
      .command('passwd')
      .argument('<username>', 'whose password')
      .description('set a user’s password; without --password one is generated, to be changed at next login')
      .option('--password <password>', 'the new password (at least 10 characters, not the user name)'),
  ).action(async (username: string, options: { password?: string; user?: string; json?: boolean }) => {
    await context.withDatabase(async ({ db }) => {
      const actor = await adminActor(db, context, options);
      const result = await resetPassword(db, username, options.password, actor);
      context.report(options, { user: result.user, generated_password: result.generatedPassword }, () =>
        result.generatedPassword
          ? `Password of ${result.user.username} reset (shown once; to be changed at next login): ${result.generatedPassword}`
          : `Password of ${result.user.username} set.`,
      );
    });
  });

  common(
    user.command('unlock').argument('<username>', 'whom').description('lift a lock-out after failed logins'),
  ).action(async (username: string, options: { user?: string; json?: boolean }) => {
    await context.withDatabase(async ({ db }) => {
      const actor = await adminActor(db, context, options);
      const updated = await updateUser(db, { username }, { unlock: true }, actor);
      context.report(options, { user: updated }, () => `User ${updated.username} unlocked.`);
    });
  });

  for (const [name, active] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    common(
      user
        .command(name)
        .argument('<username>', 'whom')
        .description(
          active ? 'let a disabled user log in again' : 'stop a user from logging in (ends their sessions)',
        ),
    ).action(async (username: string, options: { user?: string; json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const actor = await adminActor(db, context, options);
        if (!active && actor.actor.toLowerCase() === username.toLowerCase()) {
          throw new HuikuanError('invalid_state', 'You cannot disable yourself.');
        }
        const updated = await updateUser(db, { username }, { active }, actor);
        context.report(
          options,
          { user: updated },
          () => `User ${updated.username} ${active ? 'enabled' : 'disabled'}.`,
        );
      });
    });
  }

  const team = program.command('team').description('teams and the clients assigned to them');

  common(
    team
      .command('add')
      .description('add a team; its agents see the accounts of its clients')
      .requiredOption('--name <name>', 'the team’s name')
      .option('--client <codes>', 'client codes assigned to the team, with commas'),
  ).action(async (options: { name: string; client?: string; user?: string; json?: boolean }) => {
    await context.withDatabase(async ({ db }) => {
      const actor = await adminActor(db, context, options);
      const created = await createTeam(db, { name: options.name, clientCodes: list(options.client) }, actor);
      context.report(
        options,
        { team: created },
        () => `Team ${created.name} added (clients: ${created.client_codes.join(', ') || 'none'}).`,
      );
    });
  });

  team
    .command('list')
    .description('list teams')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const teams = await listTeams(db);
        context.report(options, { teams }, () =>
          teams.length === 0
            ? 'No teams yet.'
            : teams
                .map((t) => `${t.name}\t${t.client_codes.join(',') || '—'}\t${t.members} member(s)`)
                .join('\n'),
        );
      });
    });

  const token = program.command('token').description('scoped API tokens for integrations');

  token
    .command('create')
    .description('create an API token for a user; the secret is printed once')
    .requiredOption('--user <username>', 'the user the token acts as')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--scope <scopes>', 'read, write, or AREA:read / AREA:write; several with commas')
    .option('--expires <when>', 'a date or instant after which the token stops working')
    .option('--actor <name>', 'the acting user, an admin (default HUIKUAN_USER or the OS user)')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        user: string;
        name: string;
        scope: string;
        expires?: string;
        actor?: string;
        json?: boolean;
      }) => {
        let expiresAt: Date | null = null;
        if (options.expires !== undefined) {
          const parsed = parseDateOrInstant(options.expires);
          if (!parsed.ok) throw new HuikuanError('bad_usage', `--expires: ${parsed.reason}.`);
          expiresAt = new Date(parsed.instant ?? `${parsed.date}T00:00:00+08:00`);
        }
        await context.withDatabase(async ({ db }) => {
          const actor = await adminActor(db, context, { user: options.actor });
          const result = await createToken(
            db,
            {
              user: { username: options.user },
              name: options.name,
              scopes: list(options.scope) ?? [],
              expiresAt,
            },
            actor,
          );
          context.report(
            options,
            { token: result.token, secret: result.secret },
            () =>
              `Token ${result.token.id} (${result.token.name}) for ${result.token.username}, scopes ${result.token.scopes.join(',')}.\nSecret (shown once; send as "Authorization: Bearer …"): ${result.secret}`,
          );
        });
      },
    );

  common(
    token.command('revoke').argument('<id>', 'the token’s id').description('revoke an API token'),
  ).action(async (id: string, options: { user?: string; json?: boolean }) => {
    if (!/^\d{1,18}$/.test(id))
      throw new HuikuanError('bad_usage', 'The token id is a number (see "huikuan token list").');
    await context.withDatabase(async ({ db }) => {
      const actor = await adminActor(db, context, options);
      const revoked = await revokeToken(db, BigInt(id), actor);
      context.report(options, { token: revoked }, () => `Token ${revoked.id} (${revoked.name}) revoked.`);
    });
  });

  token
    .command('list')
    .description('list API tokens (never their secrets)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const tokens = await listTokens(db);
        context.report(options, { tokens }, () =>
          tokens.length === 0
            ? 'No API tokens.'
            : tokens
                .map(
                  (t) =>
                    `${t.id}\t${t.username}\t${t.name}\t${t.scopes.join(',')}\t${t.prefix}…${t.revoked_at ? '\trevoked' : ''}${t.expires_at ? `\texpires ${t.expires_at}` : ''}`,
                )
                .join('\n'),
        );
      });
    });
};
