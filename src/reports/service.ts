/**
 * The SQL behind the reports: the team board's facts (agents of the teams in view, the live accounts
 * of each team's clients, each agent's notes and payment claims in a month) and the account export
 * written as a streamed XLSX. Rules and layout live in board.ts and exportModel.ts.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { type SqlBool, sql } from 'kysely';
import { type AccountFilter, listAccounts } from '../accounts/listing.ts';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { type AgentFacts, type BoardAgent, type BoardTeam, noFacts } from './board.ts';
import { type ExportLanguage, exportCells, exportColumns, type MaskedPii } from './exportModel.ts';

/** The business day's zone: a month's claims are those made between its midnights in Shanghai. */
const zone = 'Asia/Shanghai';

function clientCondition(column: string, clientIds: bigint[] | 'all') {
  return clientIds === 'all'
    ? sql<SqlBool>`true`
    : sql<SqlBool>`${sql.ref(column)} = ANY(${clientIds.map(String)}::bigint[])`;
}

/** Teams in view ('all' for an admin) with the live accounts of their clients inside the client scope. */
export async function boardTeams(
  db: Db,
  teamIds: bigint[] | 'all',
  clientIds: bigint[] | 'all',
): Promise<BoardTeam[]> {
  if (teamIds !== 'all' && teamIds.length === 0) return [];
  const teamFilter =
    teamIds === 'all' ? sql<SqlBool>`true` : sql<SqlBool>`t.id = ANY(${teamIds.map(String)}::bigint[])`;
  const rows = await sql<{ id: bigint; name: string; accounts: string }>`
    SELECT t.id, t.name,
           (SELECT count(*) FROM team_clients tc JOIN accounts a ON a.client_id = tc.client_id
             WHERE tc.team_id = t.id AND a.status = 'active' AND ${clientCondition('a.client_id', clientIds)})::text AS accounts
      FROM teams t
     WHERE ${teamFilter}
     ORDER BY t.name`.execute(db);
  return rows.rows.map((row) => ({ id: row.id, name: row.name, accounts_in_scope: Number(row.accounts) }));
}

/** Active agents of the given teams. */
export async function boardAgents(db: Db, teamIds: bigint[]): Promise<BoardAgent[]> {
  if (teamIds.length === 0) return [];
  const rows = await sql<BoardAgent>`
    SELECT u.id AS user_id, u.username, u.display_name, u.team_id, t.name AS team_name
      FROM users u JOIN teams t ON t.id = u.team_id
     WHERE u.active AND 'agent' = ANY(u.roles) AND u.team_id = ANY(${teamIds.map(String)}::bigint[])
     ORDER BY u.username`.execute(db);
  return rows.rows;
}

/**
 * Per agent (by user name, as claims and notes record their author), in one currency: payments
 * registered this month, verified this month (by when finance decided), still pending (any month),
 * and the accounts worked this month (a note or a claim).
 */
export async function agentFacts(
  db: Db,
  input: { usernames: string[]; clientIds: bigint[] | 'all'; from: string; until: string; currency: string },
): Promise<Map<string, AgentFacts>> {
  const facts = new Map<string, AgentFacts>();
  if (input.usernames.length === 0) return facts;
  const from = sql`(${input.from}::date::timestamp AT TIME ZONE ${zone})`;
  const until = sql`(${input.until}::date::timestamp AT TIME ZONE ${zone})`;
  const claims = await sql<Omit<AgentFacts, 'accounts_worked'> & { username: string }>`
    SELECT k.claimed_by AS username,
           count(*) FILTER (WHERE k.claimed_at >= ${from} AND k.claimed_at < ${until})::int AS registered_count,
           coalesce(sum(k.amount_minor) FILTER (WHERE k.claimed_at >= ${from} AND k.claimed_at < ${until}), 0)::bigint AS registered_minor,
           count(*) FILTER (WHERE k.status = 'verified' AND k.decided_at >= ${from} AND k.decided_at < ${until})::int AS verified_count,
           coalesce(sum(k.amount_minor) FILTER (WHERE k.status = 'verified' AND k.decided_at >= ${from} AND k.decided_at < ${until}), 0)::bigint AS verified_minor,
           count(*) FILTER (WHERE k.status = 'pending')::int AS pending_count,
           coalesce(sum(k.amount_minor) FILTER (WHERE k.status = 'pending'), 0)::bigint AS pending_minor
      FROM payment_claims k
     WHERE k.claimed_by = ANY(${input.usernames}::text[]) AND trim(k.currency) = ${input.currency}
       AND ${clientCondition('k.client_id', input.clientIds)}
       AND (k.status = 'pending' OR k.claimed_at >= ${from} OR k.decided_at >= ${from})
     GROUP BY k.claimed_by`.execute(db);
  const worked = await sql<{ username: string; accounts: number }>`
    SELECT who AS username, count(DISTINCT account_id)::int AS accounts FROM (
      SELECT n.author AS who, n.account_id FROM account_notes n
       WHERE n.author = ANY(${input.usernames}::text[]) AND n.created_at >= ${from} AND n.created_at < ${until}
         AND ${clientCondition('n.client_id', input.clientIds)}
      UNION ALL
      SELECT k.claimed_by, k.account_id FROM payment_claims k
       WHERE k.claimed_by = ANY(${input.usernames}::text[]) AND k.claimed_at >= ${from} AND k.claimed_at < ${until}
         AND ${clientCondition('k.client_id', input.clientIds)}) t
     GROUP BY who`.execute(db);
  const workedBy = new Map(worked.rows.map((row) => [row.username, row.accounts]));
  for (const row of claims.rows) {
    facts.set(row.username, {
      accounts_worked: workedBy.get(row.username) ?? 0,
      registered_count: row.registered_count,
      registered_minor: BigInt(row.registered_minor),
      verified_count: row.verified_count,
      verified_minor: BigInt(row.verified_minor),
      pending_count: row.pending_count,
      pending_minor: BigInt(row.pending_minor),
    });
  }
  for (const [username, accounts] of workedBy) {
    if (!facts.has(username)) facts.set(username, { ...noFacts, accounts_worked: accounts });
  }
  return facts;
}

/** The masked ID number and masked phones of each debtor (the export never reads a clear value). */
async function maskedPii(db: Db, debtorIds: bigint[]): Promise<Map<bigint, MaskedPii>> {
  const result = new Map<bigint, MaskedPii>();
  if (debtorIds.length === 0) return result;
  const rows = await sql<{ id: bigint; id_number_masked: string | null; phones_masked: string | null }>`
    SELECT d.id, d.id_number_masked,
           (SELECT string_agg(c.value_masked, ', ' ORDER BY c.position) FROM contact_points c
             WHERE c.debtor_id = d.id AND c.kind = 'phone') AS phones_masked
      FROM debtors d WHERE d.id = ANY(${debtorIds.map(String)}::bigint[])`.execute(db);
  for (const row of rows.rows)
    result.set(BigInt(row.id), { id_number_masked: row.id_number_masked, phones_masked: row.phones_masked });
  return result;
}

/** Rows read per query while the export is written. */
const exportChunk = 1000;

/**
 * Writes the filtered account list to `out` as an XLSX, streamed: the rows are read a chunk at a time
 * through the list's own query (listAccounts, newest first, the same filters as the screen) and each
 * is committed to the zip as it is written, so memory stays flat. Returns the rows written.
 */
export async function writeAccountsXlsx(
  db: Db,
  out: Writable,
  input: { filter: Omit<AccountFilter, 'offset' | 'limit'>; cap: number; language: ExportLanguage },
): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'Huikuan';
  const sheet = workbook.addWorksheet(input.language === 'en' ? 'Accounts' : '案件', {
    views: [{ state: 'frozen', ySplit: 1 }],
  });
  sheet.columns = exportColumns(input.language);
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  let written = 0;
  while (written < input.cap) {
    const limit = Math.min(exportChunk, input.cap - written);
    const page = await listAccounts(db, { ...input.filter, offset: written, limit });
    if (page.items.length === 0) break;
    const pii = await maskedPii(db, [...new Set(page.items.map((item) => item.debtor_id))]);
    for (const item of page.items) sheet.addRow(exportCells(item, pii.get(item.debtor_id))).commit();
    written += page.items.length;
    if (page.items.length < limit) break;
    // the browser went away: stop reading (and end the transaction) instead of writing into nothing
    if (out.destroyed) throw new HuikuanError('internal', 'The export was abandoned by the client.');
  }
  sheet.commit();
  await workbook.commit();
  return written;
}
