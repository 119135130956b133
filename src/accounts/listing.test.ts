/**
 * The account list's query shape: the clients of a scope read one by one and merged newest first,
 * pages and the capped total over that merge, the client filter inside the scope, and the search
 * box's name prefix (an index range, not LIKE) — under row-level security as the routes run it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addClient } from '../clients/service.ts';
import { withClientScope } from '../identity/rls.ts';
import { type AccountFilter, listAccounts } from './listing.ts';

let t: TestDatabase;
const ids: Record<string, bigint> = {};

beforeAll(async () => {
  t = await testDatabase();
  for (const code of ['AAA', 'BBB', 'CCC']) {
    ids[code] = (await addClient(t.db, { code, name: code }, 'setup')).client.id;
  }
  // batches of the clients interleaved, as placements arrive month by month
  for (const round of [0, 1]) {
    for (const code of ['AAA', 'BBB', 'CCC']) {
      await seedPlacedAccounts(t.db, {
        clientId: ids[code] as bigint,
        count: 30,
        firstIndex: round * 30,
        refPrefix: code,
        seed: round + 1,
      });
    }
  }
});

afterAll(async () => {
  await t?.drop();
});

function list(scope: bigint[] | 'all', filter: Partial<AccountFilter>) {
  return withClientScope(t.db, { clientIds: scope }, (trx) =>
    listAccounts(trx, { clientIds: scope, offset: 0, limit: 20, ...filter }),
  );
}

describe('listAccounts', () => {
  it('merges the clients of a scope newest first, page by page, with their total', async () => {
    const scope = [ids.AAA as bigint, ids.CCC as bigint];
    const all: bigint[] = [];
    for (let offset = 0; offset < 140; offset += 20) {
      const page = await list(scope, { offset });
      expect(page.total).toBe(120);
      expect(page.total_capped).toBe(false);
      all.push(...page.items.map((item) => item.id));
      for (const item of page.items) expect(['AAA', 'CCC']).toContain(item.client);
    }
    expect(all).toHaveLength(120);
    expect(all).toEqual([...all].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(new Set(all).size).toBe(120);
  });

  it('narrows to the client filter inside the scope, and to nothing outside it', async () => {
    const scope = [ids.AAA as bigint, ids.CCC as bigint];
    const one = await list(scope, { clientId: ids.CCC, limit: 200 });
    expect(one.total).toBe(60);
    expect(new Set(one.items.map((item) => item.client))).toEqual(new Set(['CCC']));
    const outside = await list(scope, { clientId: ids.BBB });
    expect(outside).toEqual({ items: [], total: 0, total_capped: false });
    expect((await list('all', { clientId: ids.BBB })).total).toBe(60);
    expect((await list('all', {})).total).toBe(180);
    expect((await list([], {})).total).toBe(0);
  });

  it('gives the total with an empty page past the end', async () => {
    const page = await list('all', { offset: 1000 });
    expect(page.items).toEqual([]);
    expect(page.total).toBe(180);
  });

  it('finds debtors by the beginning of their name, literally, within the scope', async () => {
    // seeded debtors are named "Debtor <row>": rows 1 and 10–19 of each batch's numbering
    const prefix = await list([ids.AAA as bigint], { q: 'Debtor 1', limit: 200 });
    expect(prefix.items.map((item) => item.debtor_name).sort()).toEqual(
      ['Debtor 1', ...Array.from({ length: 10 }, (_, i) => `Debtor 1${i}`)].sort(),
    );
    expect((await list([ids.AAA as bigint], { q: 'Debtor %' })).total).toBe(0);
    expect((await list([ids.AAA as bigint], { q: 'Debtor _' })).total).toBe(0);
    const exact = await list('all', { q: 'BBB000000042' });
    expect(exact.items.map((item) => item.ref)).toEqual(['BBB000000042']);
    expect((await list([ids.AAA as bigint], { q: 'BBB000000042' })).total).toBe(0);
  });

  it('stops counting balance-filtered rows after its budget per client and says the total is a lower bound', async () => {
    const scope = [ids.AAA as bigint, ids.CCC as bigint];
    // every account has a balance ≥ 0: all 120 match, but each client's read stops after 20
    const partial = await list(scope, { minBalanceMinor: 0n, scanBudget: 20 });
    expect(partial.total).toBe(40);
    expect(partial.total_capped).toBe(true);
    expect(partial.items).toHaveLength(20);
    const exact = await list(scope, { minBalanceMinor: 0n, scanBudget: 20, exactCount: true });
    expect(exact).toMatchObject({ total: 120, total_capped: false });
    expect(exact.items.map((item) => item.id)).toEqual(partial.items.map((item) => item.id));
    expect(await list(scope, { minBalanceMinor: 0n, scanBudget: 1000 })).toMatchObject({
      total: 120,
      total_capped: false,
    });
    // no balance filter: the count is exact up to the cap whatever the budget (status and bucket are indexed)
    expect(await list(scope, { scanBudget: 20 })).toMatchObject({ total: 120, total_capped: false });
    expect(await list(scope, { status: 'active', scanBudget: 20 })).toMatchObject({
      total: 120,
      total_capped: false,
    });
    // a filter nothing matches reads the budget and finds nothing
    const none = await list(scope, { minBalanceMinor: 10n ** 15n, scanBudget: 20 });
    expect(none).toMatchObject({ items: [], total: 0, total_capped: true });
  });
});
