/**
 * Agreed settlements (ledger.md event 7, "applied automatically when a settled amount has been paid in
 * full"): once the payments and direct payments posted after the agreement reach the agreed amount,
 * the rest of the balance is discounted by a ledger entry and the account becomes 'settled'.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { todayIn } from '../shared/dates.ts';
import { reductionPostings, totalOf } from './model.ts';
import { balancesAfter, insertEntry, lockAccount, updateAccount } from './post.ts';

/** Completes the open settlements of these accounts whose agreed amount has been paid. */
export async function applyDueSettlements(
  trx: Kysely<Database>,
  accountIds: readonly bigint[],
  actor: string,
): Promise<bigint[]> {
  const due = await sql<{ id: bigint; client_id: bigint; account_id: bigint }>`
    SELECT st.id, st.client_id, st.account_id
      FROM ledger_settlements st
     WHERE st.status = 'open' AND st.account_id = ANY(${accountIds.map(String)}::bigint[])
       AND st.agreed_minor <= coalesce((
             SELECT sum(p.amount_minor) FROM journal_entries je JOIN postings p ON p.entry_id = je.id
              WHERE je.account_id = st.account_id AND je.id > st.after_entry_id
                AND p.ledger_account IN ('client:collected', 'client:direct_paid')), 0)
     ORDER BY st.account_id`.execute(trx);
  const completed: bigint[] = [];
  for (const settlement of due.rows) {
    const account = await lockAccount(trx, settlement.client_id, settlement.account_id);
    let entryId: bigint | null = null;
    if (totalOf(account.balances) > 0n) {
      const lines = reductionPostings('discount', account.id, account.balances);
      entryId = await insertEntry(
        trx,
        {
          clientId: account.clientId,
          accountId: account.id,
          kind: 'discount',
          currency: account.currency,
          effectiveDate: todayIn(),
          reason: `settlement ${settlement.id} paid in full`,
          memo: { settlement_id: String(settlement.id) },
          actor,
        },
        lines,
      );
      await updateAccount(trx, account, balancesAfter(account, lines), {
        status: 'settled',
        reason: `settlement ${settlement.id} paid in full`,
        entryId,
        actor,
      });
    } else if (account.status === 'active' || account.status === 'paid') {
      await updateAccount(
        trx,
        account,
        { balances: account.balances, overpayment: account.overpayment },
        { status: 'settled', reason: `settlement ${settlement.id} paid in full`, entryId: null, actor },
      );
    }
    await trx
      .updateTable('ledger_settlements')
      .set({ status: 'completed', discount_entry_id: entryId, completed_at: new Date() })
      .where('id', '=', settlement.id)
      .execute();
    completed.push(settlement.id);
  }
  return completed;
}
