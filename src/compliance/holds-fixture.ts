/** A client with one account, its debtor and one phone, for the gate's and the holds' tests (not a test file itself). */
import type { Kysely } from 'kysely';
import { addClient } from '../clients/service.ts';
import type { Database } from '../db/schema.ts';
import type { GateRequest } from './service.ts';

let clients = 0;

/** A client of `jurisdiction` with one account; the debtor lives in `country` and has one phone. */
export async function gateFixture(db: Kysely<Database>, jurisdiction = 'CN', country = 'CN') {
  const code = `C${++clients}`;
  const { client } = await addClient(
    db,
    { code, name: `客户${code}`, terms: { jurisdiction }, effectiveFrom: '2020-01-01' },
    'setup',
  );
  const batch = await db
    .insertInto('placement_batches')
    .values({
      client_id: client.id,
      name: 'seed',
      status: 'approved',
      file_name: 'seed.csv',
      file_sha256: `seed-${code}`,
      file_format: 'csv',
      proposed_by: 'importer',
      decided_by: 'approver',
      decided_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const debtor = await db
    .insertInto('debtors')
    .values({ client_id: client.id, name: '张三', country })
    .returning('id')
    .executeTakeFirstOrThrow();
  const phone = await db
    .insertInto('contact_points')
    .values({
      client_id: client.id,
      debtor_id: debtor.id,
      kind: 'phone',
      position: 1,
      value_masked: '138****0000',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const addAccount = async (ref: string) =>
    (
      await db
        .insertInto('accounts')
        .values({
          client_id: client.id,
          batch_id: batch.id,
          debtor_id: debtor.id,
          client_account_ref: `${code}-${ref}`,
          currency: jurisdiction === 'US' ? 'USD' : 'CNY',
          delinquency_date: '2025-10-01',
          placed_principal_minor: 100_000n,
          placed_interest_minor: 0n,
          placed_fees_minor: 0n,
          placed_penalty_minor: 0n,
          principal_minor: 100_000n,
          interest_minor: 0n,
          fees_minor: 0n,
          penalty_minor: 0n,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const accountId = await addAccount('1');
  const call = (fields: Partial<GateRequest> = {}): GateRequest => ({
    accountId,
    contactPointId: phone.id,
    channel: 'call',
    party: 'debtor',
    at: new Date('2026-03-02T10:00:00+08:00'),
    actor: 'agent.wang',
    ...fields,
  });
  return {
    clientId: client.id,
    clientCode: code,
    accountId,
    debtorId: debtor.id,
    phoneId: phone.id,
    call,
    addAccount,
  };
}
