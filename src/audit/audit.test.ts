import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { auditHash, listAudit, recordAudit, verifyAudit } from './service.ts';

let t: TestDatabase;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  t = await testDatabase();
  cli = cliFor(t);
});
afterAll(async () => {
  await t?.drop();
});

describe('the audit trail', () => {
  it('chains events by hash in id order, with exact bigint JSON', async () => {
    const first = await recordAudit(t.db, {
      actor: 'alice',
      action: 'user.created',
      entityType: 'user',
      entityId: 7n,
      after: { username: 'bob', limit_minor: 9_007_199_254_740_993n, name: '王小明' },
      ip: '127.0.0.1',
    });
    const second = await recordAudit(t.db, {
      actor: 'bob',
      action: 'pii.revealed',
      entityType: 'account',
      entityId: '42',
      clientId: 3n,
      before: null,
      after: { field: 'phone' },
    });
    expect(second.id).toBeGreaterThan(first.id);
    const rows = await t.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]?.prev_hash).toBe('0'.repeat(64));
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    // the bigint beyond 2^53 is stored exactly
    const text = await sql<{
      t: string;
    }>`SELECT after->>'limit_minor' AS t FROM audit_events WHERE id = ${first.id}`.execute(t.db);
    expect(text.rows[0]?.t).toBe('9007199254740993');
    const verified = await verifyAudit(t.db);
    expect(verified).toMatchObject({ ok: true, events: 2, lastId: second.id, firstBreak: null });
  });

  it('the Node hash is the database hash (one canonical serialisation)', async () => {
    const fields = [
      '1',
      '2026-01-01T00:00:00.000000Z',
      'a',
      null,
      'x.y',
      'user',
      null,
      null,
      '{"a": 1}',
      null,
      null,
      '0'.repeat(64),
    ];
    const db = await sql<{ h: string }>`SELECT encode(sha256(convert_to(
        (SELECT string_agg(CASE WHEN v IS NULL THEN '~' ELSE octet_length(v) || ':' || v END, E'\n' ORDER BY n)
           FROM unnest(${fields}::text[]) WITH ORDINALITY AS f (v, n)), 'UTF8')), 'hex') AS h`.execute(t.db);
    expect(auditHash(fields)).toBe(db.rows[0]?.h);
  });

  it('concurrent appends never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        t.db.transaction().execute(async (trx) => {
          await recordAudit(trx, {
            actor: `w${i}`,
            action: 'test.concurrent',
            entityType: 'test',
            entityId: i,
          });
          await recordAudit(trx, {
            actor: `w${i}`,
            action: 'test.concurrent',
            entityType: 'test',
            entityId: i,
          });
        }),
      ),
    );
    const verified = await verifyAudit(t.db, 7);
    expect(verified.ok).toBe(true);
    expect(verified.events).toBe(50);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(sql`UPDATE audit_events SET actor = 'mallory'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_events`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_events`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_head`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it('lists with filters, newest first', async () => {
    const all = await listAudit(t.db, {});
    expect(all.total).toBe(50);
    expect(all.items[0]?.id).toBeGreaterThan(all.items[1]?.id as bigint);
    const reveals = await listAudit(t.db, { action: 'pii.revealed' });
    expect(reveals.items.map((e) => [e.actor, e.entity_type, e.entity_id, e.client_id])).toEqual([
      ['bob', 'account', '42', 3n],
    ]);
    expect((await listAudit(t.db, { actor: 'w3' })).total).toBe(2);
    expect((await listAudit(t.db, { from: '2000-01-01', to: '2000-01-02' })).total).toBe(0);
    expect((await listAudit(t.db, { from: '2000-01-01' })).total).toBe(50);
    const viaCli = await cli(['audit', 'list', '--action', 'user.created', '--json']);
    expect(viaCli.code).toBe(0);
    expect(viaCli.json().events).toHaveLength(1);
    expect(viaCli.json().events[0].after.name).toBe('王小明');
    const human = await cli(['audit', 'list', '--actor', 'bob']);
    expect(human.stdout).toContain('pii.revealed');
  });

  it('audit verify passes on an intact chain', async () => {
    const result = await cli(['audit', 'verify', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ ok: true, events: 50, first_break: null });
  });

  it('a tampered row is found by audit verify, which names it and exits 1', async () => {
    const target = await t.db
      .selectFrom('audit_events')
      .select('id')
      .where('actor', '=', 'w5')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    // a superuser (or the owner) can switch the guard off: the chain still tells
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(t.db);
    await sql`UPDATE audit_events SET after = '{"forged": true}' WHERE id = ${target.id}`.execute(t.db);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`.execute(t.db);
    const result = await cli(['audit', 'verify', '--json']);
    expect(result.code).toBe(1);
    const body = result.json();
    expect(body.ok).toBe(false);
    expect(body.first_break.id).toBe(Number(target.id));
    expect(body.first_break.problem).toBe('hash_mismatch');
    const human = await cli(['audit', 'verify']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`BROKEN at event ${target.id}`);
  });

  it('a removed row or a removed tail is found too', async () => {
    const fresh = await testDatabase();
    try {
      for (let i = 0; i < 4; i += 1)
        await recordAudit(fresh.db, { actor: 'a', action: 'x.y', entityType: 't', entityId: i });
      const ids = (await fresh.db.selectFrom('audit_events').select('id').orderBy('id').execute()).map(
        (r) => r.id,
      );
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(fresh.db);
      await sql`DELETE FROM audit_events WHERE id = ${ids[3]}`.execute(fresh.db);
      let verified = await verifyAudit(fresh.db);
      expect(verified.firstBreak?.problem).toBe('head_mismatch');
      await sql`DELETE FROM audit_events WHERE id = ${ids[1]}`.execute(fresh.db);
      verified = await verifyAudit(fresh.db);
      expect(verified.firstBreak).toMatchObject({ id: ids[2], problem: 'prev_hash_mismatch' });
    } finally {
      await fresh.drop();
    }
  });
});
