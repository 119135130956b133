/**
 * Editing a team: its name and the clients assigned to it (which decide what its agents see). The
 * change and its audit event (before and after) commit together.
 */
import { sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type ChangeContext, listTeams, type TeamView } from './service.ts';

export async function updateTeam(
  db: Db,
  id: bigint,
  patch: { name?: string; clientCodes?: string[] },
  context: ChangeContext,
): Promise<TeamView> {
  return db.transaction().execute(async (trx) => {
    const [before] = await listTeams(trx, [id]);
    if (!before) throw new HuikuanError('not_found', `There is no team ${id}.`);
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      if (name === '' || name.length > 100)
        throw new HuikuanError('bad_input', 'A team name has 1–100 characters.');
      const clash = await trx
        .selectFrom('teams')
        .select('id')
        .where(sql<boolean>`lower(name) = lower(${name})`)
        .where('id', '<>', id)
        .executeTakeFirst();
      if (clash) throw new HuikuanError('duplicate', `A team "${name}" already exists.`);
      await trx.updateTable('teams').set({ name }).where('id', '=', id).execute();
    }
    if (patch.clientCodes !== undefined) {
      const codes = [...new Set(patch.clientCodes.map((code) => code.trim()).filter((code) => code !== ''))];
      const rows =
        codes.length === 0
          ? []
          : await trx.selectFrom('clients').select(['id', 'code']).where('code', 'in', codes).execute();
      const missing = codes.filter((code) => !rows.some((row) => row.code === code));
      if (missing.length > 0) {
        throw new HuikuanError(
          'not_found',
          `No client with code ${missing.map((c) => `"${c}"`).join(', ')}.`,
        );
      }
      await trx.deleteFrom('team_clients').where('team_id', '=', id).execute();
      if (rows.length > 0) {
        await trx
          .insertInto('team_clients')
          .values(rows.map((row) => ({ team_id: id, client_id: row.id })))
          .execute();
      }
    }
    const [after] = await listTeams(trx, [id]);
    await recordAudit(trx, {
      actor: context.actor,
      actorUserId: context.actorUserId ?? null,
      action: 'team.updated',
      entityType: 'team',
      entityId: id,
      before,
      after,
      ip: context.ip ?? null,
    });
    return after as TeamView;
  });
}
