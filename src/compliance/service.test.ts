import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { gateFixture } from './holds-fixture.ts';
import {
  decideProfileChange,
  effectiveProfile,
  gateContact,
  type ProfileChangeInput,
  proposeProfileChange,
  recordContactOutcome,
} from './service.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

/** Proposes a change as compliance.li (CN, client scope and a reason unless given). */
function propose(input: Partial<ProfileChangeInput> & Pick<ProfileChangeInput, 'changes'>) {
  return proposeProfileChange(
    t.db,
    { jurisdiction: 'CN', scope: 'client', reason: 'test', ...input },
    'compliance.li',
  );
}

/** A client of `jurisdiction` with one account, its debtor in China and one phone. */
function fixture(jurisdiction = 'CN') {
  return gateFixture(t.db, jurisdiction);
}

describe('gateContact', () => {
  it('counts the contacts it let through: the seventh unanswered call of the day is refused until one is answered', async () => {
    const f = await fixture();
    const contacts: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await gateContact(t.db, f.call({ at: new Date(`2026-03-02T1${i}:00:00+08:00`) }));
      expect(result).toMatchObject({ verdict: 'allow', jurisdiction: 'CN', zones: ['Asia/Shanghai'] });
      contacts.push(result.contactId as bigint);
    }
    // six pending calls count as unanswered until their outcomes arrive
    const seventh = await gateContact(t.db, f.call({ at: new Date('2026-03-02T17:00:00+08:00') }));
    expect(seventh).toMatchObject({ verdict: 'deny', reasons: ['unanswered_calls_cap'], contactId: null });
    await recordContactOutcome(t.db, contacts[0] as bigint, 'conversation');
    for (const id of contacts.slice(1)) await recordContactOutcome(t.db, id, 'no_answer');
    await expect(recordContactOutcome(t.db, contacts[0] as bigint, 'busy')).rejects.toThrow(
      /already has its outcome/,
    );
    const again = await gateContact(t.db, f.call({ at: new Date('2026-03-02T17:05:00+08:00') }));
    expect(again.verdict).toBe('allow');
    // the next local day starts afresh
    const tomorrow = await gateContact(t.db, f.call({ at: new Date('2026-03-03T09:00:00+08:00') }));
    expect(tomorrow.verdict).toBe('allow');

    const stored = await sql<{ verdict: string; reasons: string[]; profile_version: number }>`
      SELECT verdict, reasons, profile_version FROM compliance_verdicts WHERE account_id = ${f.accountId} ORDER BY id`.execute(
      t.db,
    );
    expect(stored.rows).toHaveLength(9);
    expect(stored.rows[6]).toEqual({
      verdict: 'deny',
      reasons: ['unanswered_calls_cap'],
      profile_version: 1,
    });
  });

  it('keeps the verdict log append-only', async () => {
    await expect(sql`UPDATE compliance_verdicts SET verdict = 'allow'`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM compliance_verdicts`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it('reads holds from the account and the contact point, and the quiet hours in the debtor’s zone', async () => {
    const f = await fixture();
    expect(await gateContact(t.db, f.call({ at: new Date('2026-03-02T22:00:00+08:00') }))).toMatchObject({
      verdict: 'deny',
      reasons: ['quiet_hours'],
    });
    await t.db
      .updateTable('contact_points')
      .set({ status: 'do_not_contact' })
      .where('id', '=', f.phoneId)
      .execute();
    expect((await gateContact(t.db, f.call())).reasons).toEqual(['hold_do_not_contact']);
    await t.db.updateTable('accounts').set({ status: 'recalled' }).where('id', '=', f.accountId).execute();
    expect((await gateContact(t.db, f.call({ contactPointId: null, channel: 'letter' }))).reasons).toEqual([
      'hold_recalled',
    ]);
    expect((await gateContact(t.db, f.call({ holds: ['dispute'] }))).reasons).toEqual([
      'hold_dispute',
      'hold_do_not_contact',
      'hold_recalled',
    ]);
  });

  it('refuses an account or contact point that does not fit', async () => {
    const f = await fixture();
    const g = await fixture();
    await expect(gateContact(t.db, f.call({ accountId: 999_999n }))).rejects.toThrow(/does not exist/);
    await expect(gateContact(t.db, f.call({ contactPointId: g.phoneId }))).rejects.toThrow(/is not one of/);
  });

  it('lets only one of many agents dialling one debtor at once through a cap of one', async () => {
    const f = await fixture();
    const proposal = await propose({
      clientId: f.clientId,
      changes: { callsPerDay: 1 },
      reason: 'one call a day',
    });
    await decideProfileChange(t.db, proposal, 'approve', 'compliance.zhao');
    const at = new Date('2026-03-04T10:00:00+08:00');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gateContact(t.db, f.call({ at, actor: `agent.${i}` }))),
    );
    const allowed = results.filter((r) => r.verdict === 'allow');
    expect(allowed).toHaveLength(1);
    for (const r of results.filter((x) => x.verdict === 'deny'))
      expect(r.reasons).toEqual(['daily_calls_cap']);
    expect(results.every((r) => r.profile.overrides[0] === `client:${f.clientId}@1`)).toBe(true);
    const contacts = await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM compliance_contacts WHERE account_id = ${f.accountId} AND at = ${at}`.execute(
      t.db,
    );
    expect(contacts.rows[0]?.n).toBe(1n);
  });
});

describe('profile versions with maker-checker', () => {
  it('an override is proposed by one user, approved by another, and may only tighten', async () => {
    const f = await fixture();
    await expect(
      propose({ clientId: f.clientId, changes: { robotCallsPerDay: 5 }, reason: 'more' }),
    ).rejects.toThrow(/robotCallsPerDay 5 is looser than the profile's 3/);
    const id = await propose({
      clientId: f.clientId,
      changes: { robotCallsPerDay: 2 },
      reason: 'client asks',
    });
    expect((await effectiveProfile(t.db, 'CN', f.clientId)).rules.robotCallsPerDay).toBe(3);
    await expect(decideProfileChange(t.db, id, 'approve', 'compliance.li')).rejects.toThrow(
      /another user must decide/,
    );
    const decided = await decideProfileChange(t.db, id, 'approve', 'compliance.zhao');
    expect(decided).toMatchObject({ status: 'approved', version: 1 });
    await expect(decideProfileChange(t.db, id, 'reject', 'compliance.wu')).rejects.toThrow(
      /already approved/,
    );
    const profile = await effectiveProfile(t.db, 'CN', f.clientId, f.accountId);
    expect(profile).toMatchObject({ code: 'CN', version: 1, overrides: [`client:${f.clientId}@1`] });
    expect(profile.rules.robotCallsPerDay).toBe(2);
    // an account tightens its client's profile further, never back
    await expect(
      propose({ scope: 'account', accountId: f.accountId, changes: { robotCallsPerDay: 3 }, reason: 'x' }),
    ).rejects.toThrow(/robotCallsPerDay 3 is looser than the profile's 2/);
    const audit = await sql<{ action: string }>`
      SELECT action FROM audit_events WHERE entity_type = 'compliance_profile_change' AND entity_id = ${String(id)} ORDER BY id`.execute(
      t.db,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'compliance.profile_proposed',
      'compliance.profile_approved',
    ]);
  });

  it('a base version may loosen; approval re-checks an override against what is then in force', async () => {
    const f = await fixture('UK');
    const pending = await propose({
      jurisdiction: 'UK',
      clientId: f.clientId,
      changes: { callsPerDay: 2 },
      reason: 'client',
    });
    const base = await propose({
      jurisdiction: 'UK',
      scope: 'base',
      changes: { callsPerDay: 1, callsPerWindow: null },
      reason: 'regulator',
    });
    expect(await decideProfileChange(t.db, base, 'approve', 'compliance.zhao')).toMatchObject({ version: 2 });
    const now = await effectiveProfile(t.db, 'UK');
    expect(now).toMatchObject({ version: 2, overrides: [] });
    expect(now.rules).toMatchObject({ callsPerDay: 1, callsPerWindow: null });
    await expect(decideProfileChange(t.db, pending, 'approve', 'compliance.zhao')).rejects.toThrow(
      /no longer fits the profile in force/,
    );
    expect(
      await decideProfileChange(t.db, pending, 'reject', 'compliance.zhao', 'base is stricter'),
    ).toMatchObject({
      status: 'rejected',
      version: null,
    });
    const rows = await sql<{ status: string; rules: unknown }>`
      SELECT status, rules FROM compliance_profile_changes WHERE id IN (${base}, ${pending}) ORDER BY id`.execute(
      t.db,
    );
    expect(rows.rows.map((r) => r.status)).toEqual(['rejected', 'approved']);
  });

  it('refuses empty changes, unknown rules and a missing reason', async () => {
    const { clientId } = await fixture();
    await expect(propose({ clientId, changes: {} })).rejects.toThrow(/at least one rule/);
    await expect(propose({ clientId, changes: { callsPerDay: 1 }, reason: ' ' })).rejects.toThrow(/Say why/);
    await expect(propose({ clientId, changes: { maxCalls: 1 } })).rejects.toThrow(/maxCalls is not a rule/);
  });
});

describe('huikuan compliance profile', () => {
  it('shows, proposes, approves and rejects profile changes through the CLI', async () => {
    const cli = cliFor(t);
    const { clientCode: code } = await fixture('US');
    const shown = await cli([
      'compliance',
      'profile',
      'show',
      '--jurisdiction',
      'US',
      '--client',
      code,
      '--json',
    ]);
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({
      jurisdiction: 'US',
      version: 1,
      overrides: [],
      rules: {
        contactHours: { earliest: '08:00:00', latest: '21:00:00' },
        callsPerWindow: { calls: 7, days: 7 },
      },
    });
    const proposeLatest = (latest: string) =>
      cli([
        'compliance',
        'profile',
        'propose',
        '--jurisdiction',
        'US',
        '--client',
        code,
        '--changes',
        JSON.stringify({ contactHours: { latest } }),
        '--reason',
        'client policy',
        '--user',
        'compliance.li',
        '--json',
      ]);
    const looser = await proposeLatest('22:00');
    expect(looser.code).toBe(2);
    expect(looser.json().error).toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/latest 22:00:00 is after/),
    });
    const proposed = await proposeLatest('20:00');
    expect(proposed.code).toBe(0);
    const id = String(proposed.json().id);
    const self = await cli(['compliance', 'profile', 'approve', id, '--user', 'compliance.li', '--json']);
    expect(self.code).toBe(1);
    expect(self.json().error.code).toBe('forbidden');
    const approved = await cli([
      'compliance',
      'profile',
      'approve',
      id,
      '--user',
      'compliance.zhao',
      '--json',
    ]);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      version: 1,
      profile: { rules: { contactHours: { latest: '20:00:00' } } },
    });
    const after = await cli(['compliance', 'profile', 'show', '--jurisdiction', 'US', '--client', code]);
    expect(after.stdout).toMatch(/^Profile US v1 tightened by client:\d+@1:/);
    const rejected = await cli([
      'compliance',
      'profile',
      'propose',
      '--jurisdiction',
      'US',
      '--changes',
      '{"callsPerDay": 3}',
      '--reason',
      'r',
      '--user',
      'a',
      '--json',
    ]);
    const decision = await cli([
      'compliance',
      'profile',
      'reject',
      String(rejected.json().id),
      '--user',
      'b',
      '--reason',
      'no',
    ]);
    expect(decision.stdout).toMatch(/rejected by b/);
    const badId = await cli(['compliance', 'profile', 'approve', 'x1', '--user', 'b']);
    expect(badId.code).toBe(2);
  });
});
