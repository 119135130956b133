import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { PiiCipher } from '../accounts/pii.ts';
import {
  addAgreedContact,
  addHold,
  clearLostContact,
  closeEndedHolds,
  liftHold,
  listHolds,
  lockDebtor,
  lostContactState,
  recordChannelOptOut,
  recordConsent,
  recordValidationNotice,
  recordVerificationSent,
  setLostContact,
  withdrawConsent,
} from './holds.ts';
import { gateFixture } from './holds-fixture.ts';
import { gateContact } from './service.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const fixture = (jurisdiction = 'CN', country = 'CN') => gateFixture(t.db, jurisdiction, country);
// a fixed test key: the tests' sealed phones are never read back
const cipher = new PiiCipher(Buffer.alloc(32, 7));

async function auditActions(entityType: string, entityId: bigint | string) {
  const { rows } = await sql<{ action: string; actor: string }>`
    SELECT action, actor FROM audit_events
     WHERE entity_type = ${entityType} AND entity_id = ${String(entityId)} ORDER BY id`.execute(t.db);
  return rows;
}

describe('holds read by the gate', () => {
  it('a dispute holds collection on its account, not the verification letter, nor the debtor’s other account', async () => {
    const f = await fixture();
    const other = await f.addAccount('2');
    const { hold, created } = await addHold(
      t.db,
      {
        accountId: f.accountId,
        kind: 'dispute',
        source: 'phone',
        startsAt: new Date('2026-03-01T09:00:00+08:00'),
      },
      'agent.wang',
    );
    expect(created).toBe(true);
    expect(hold).toMatchObject({
      kind: 'dispute',
      accountId: f.accountId,
      status: 'active',
      verificationRequired: false,
    });
    expect(await gateContact(t.db, f.call())).toMatchObject({ verdict: 'deny', reasons: ['hold_dispute'] });
    expect(
      await gateContact(
        t.db,
        f.call({ channel: 'letter', contactPointId: null, purpose: 'dispute_verification' }),
      ),
    ).toMatchObject({ verdict: 'allow', reasons: [] });
    expect(
      await gateContact(t.db, f.call({ channel: 'sms', purpose: 'dispute_verification' })),
    ).toMatchObject({ verdict: 'deny', reasons: ['hold_dispute'] });
    expect((await gateContact(t.db, f.call({ accountId: other }))).verdict).toBe('allow');
    // before it started it did not apply; lifted, it applies no more
    expect((await gateContact(t.db, f.call({ at: new Date('2026-02-28T10:00:00+08:00') }))).verdict).toBe(
      'allow',
    );
    const lifted = await liftHold(
      t.db,
      hold.id,
      '债务人撤回异议',
      'compliance.li',
      new Date('2026-03-05T00:00:00+08:00'),
    );
    expect(lifted).toMatchObject({
      status: 'lifted',
      liftedBy: 'compliance.li',
      liftReason: '债务人撤回异议',
    });
    expect((await gateContact(t.db, f.call({ at: new Date('2026-03-05T10:00:00+08:00') }))).verdict).toBe(
      'allow',
    );
    await expect(liftHold(t.db, hold.id, 'again', 'compliance.li')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect(await auditActions('compliance_hold', hold.id)).toEqual([
      { action: 'compliance.hold_added', actor: 'agent.wang' },
      { action: 'compliance.hold_lifted', actor: 'compliance.li' },
    ]);
    // the history stays: rows are never deleted
    await expect(sql`DELETE FROM compliance_holds WHERE id = ${hold.id}`.execute(t.db)).rejects.toThrow(
      /kept as history/,
    );
    const history = await listHolds(t.db, { accountId: f.accountId });
    expect(history.map((h) => [h.kind, h.status])).toEqual([['dispute', 'lifted']]);
    expect(await listHolds(t.db, { accountId: f.accountId }, { current: true })).toEqual([]);
  });

  it('an SMS opt-out refuses SMS and nothing else; a second STOP adds nothing', async () => {
    const f = await fixture();
    const at = new Date('2026-03-01T09:00:00+08:00');
    await recordChannelOptOut(t.db, {
      debtorId: f.debtorId,
      channel: 'sms',
      source: 'sms_reply',
      actor: 'sms-webhook',
      at,
    });
    await recordChannelOptOut(t.db, {
      debtorId: f.debtorId,
      channel: 'sms',
      source: 'sms_reply',
      actor: 'sms-webhook',
      at: new Date('2026-03-01T10:00:00+08:00'),
    });
    // a point's own opt-out is covered by the debtor's
    await recordChannelOptOut(t.db, {
      debtorId: f.debtorId,
      channel: 'sms',
      contactPointId: f.phoneId,
      source: 'sms_reply',
      actor: 'sms-webhook',
    });
    const { rows } = await sql<{ id: bigint; kind: string; source: string }>`
      SELECT id, kind, source FROM compliance_holds WHERE debtor_id = ${f.debtorId}`.execute(t.db);
    expect(rows.map((r) => [r.kind, r.source])).toEqual([['opt_out_sms', 'sms_reply']]);
    expect(await auditActions('compliance_hold', rows[0]?.id ?? 0n)).toEqual([
      { action: 'compliance.hold_added', actor: 'sms-webhook' },
    ]);
    expect(await gateContact(t.db, f.call({ channel: 'sms' }))).toMatchObject({
      verdict: 'deny',
      reasons: ['hold_opt_out_sms'],
    });
    expect((await gateContact(t.db, f.call({ channel: 'call' }))).verdict).toBe('allow');
    expect((await gateContact(t.db, f.call({ channel: 'email', contactPointId: null }))).verdict).toBe(
      'allow',
    );
    await expect(
      recordChannelOptOut(t.db, { debtorId: f.debtorId, channel: 'sms', source: 'pigeon', actor: 'x' }),
    ).rejects.toMatchObject({ code: 'bad_input' });
    await expect(
      addHold(
        t.db,
        { debtorId: f.debtorId, kind: 'opt_out_call', source: 'phone', endsAt: '2026-12-31' },
        'x',
      ),
    ).rejects.toThrow(/lasts until it is lifted/);
  });

  it('an opt-out of one point leaves the debtor’s other points reachable', async () => {
    const f = await fixture();
    const second = await t.db
      .insertInto('contact_points')
      .values({
        client_id: f.clientId,
        debtor_id: f.debtorId,
        kind: 'phone',
        position: 2,
        value_masked: '139****0000',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordChannelOptOut(t.db, {
      debtorId: f.debtorId,
      channel: 'call',
      contactPointId: f.phoneId,
      source: 'phone',
      actor: 'agent.wang',
      at: new Date('2026-03-01T00:00:00Z'),
    });
    expect((await gateContact(t.db, f.call())).reasons).toEqual(['hold_opt_out_call']);
    expect((await gateContact(t.db, f.call({ contactPointId: second.id }))).verdict).toBe('allow');
  });

  it('a breathing space ends by its date, and the nightly step stamps it ended', async () => {
    const f = await fixture('UK', 'GB');
    const { hold } = await addHold(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'breathing_space',
        source: 'court',
        startsAt: new Date('2026-03-01T00:00:00Z'),
      },
      'compliance.li',
    );
    // 60 days unless an end is given
    expect(hold.endsAt).toEqual(new Date('2026-04-30T00:00:00Z'));
    const call = (at: string) => gateContact(t.db, f.call({ at: new Date(at), timezone: 'Europe/London' }));
    expect(await call('2026-04-29T20:00:00+01:00')).toMatchObject({
      verdict: 'deny',
      reasons: ['hold_breathing_space'],
    });
    expect((await call('2026-04-30T09:00:00+01:00')).verdict).toBe('allow');
    expect(await closeEndedHolds(t.db, { asOf: new Date('2026-04-29T00:00:00Z') })).toEqual({
      closed: 0,
      holdIds: [],
    });
    expect(await closeEndedHolds(t.db, { asOf: new Date('2026-05-01T00:00:00Z') })).toEqual({
      closed: 1,
      holdIds: [hold.id],
    });
    expect(await closeEndedHolds(t.db, { asOf: new Date('2026-05-01T00:00:00Z') })).toMatchObject({
      closed: 0,
    });
    const [closed] = await listHolds(t.db, { debtorId: f.debtorId });
    expect(closed).toMatchObject({
      status: 'lifted',
      liftedBy: 'system',
      liftedAt: new Date('2026-04-30T00:00:00Z'),
      liftReason: 'ended on 2026-04-30T00:00:00Z',
    });
    // a breathing space that was still in force then is still refused in the verdict log's terms
    expect((await call('2026-04-29T10:00:00+01:00')).reasons).toEqual(['hold_breathing_space']);
  });

  it('an attorney hold carries the attorney; holds that are not a point’s refuse one', async () => {
    const f = await fixture('US', 'US');
    await expect(
      addHold(t.db, { debtorId: f.debtorId, kind: 'attorney', source: 'letter' }, 'compliance.li'),
    ).rejects.toThrow(/attorney's name/);
    const { hold } = await addHold(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'attorney',
        source: 'letter',
        attorneyName: 'Jane Roe, Esq.',
        attorneyContact: '+1 212 555 0100',
        startsAt: new Date('2026-03-01T00:00:00Z'),
      },
      'compliance.li',
    );
    expect(hold).toMatchObject({ attorneyName: 'Jane Roe, Esq.', attorneyContact: '+1 212 555 0100' });
    expect(
      (
        await gateContact(
          t.db,
          f.call({ at: new Date('2026-03-02T15:00:00Z'), timezone: 'America/New_York' }),
        )
      ).reasons,
    ).toEqual(['hold_attorney']);
    await expect(
      addHold(
        t.db,
        { debtorId: f.debtorId, kind: 'cease', source: 'letter', contactPointId: f.phoneId },
        'compliance.li',
      ),
    ).rejects.toThrow(/not one contact point/);
    await expect(
      addHold(t.db, { debtorId: f.debtorId, kind: 'dispute', source: 'letter' }, 'agent.wang'),
    ).rejects.toThrow(/record it on the account/);
  });
});

describe('consent', () => {
  it('consent to quiet hours lets the debtor be called at 22:30 until it is withdrawn; an SMS consent does not', async () => {
    const f = await fixture();
    const late = f.call({ at: new Date('2026-03-02T22:30:00+08:00') });
    expect(await gateContact(t.db, late)).toMatchObject({ verdict: 'deny', reasons: ['quiet_hours'] });
    await recordConsent(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'quiet_hours',
        channel: 'sms',
        source: 'phone',
        givenAt: new Date('2026-03-01T00:00:00Z'),
      },
      'agent.wang',
    );
    expect((await gateContact(t.db, late)).reasons).toEqual(['quiet_hours']);
    const consent = await recordConsent(
      t.db,
      {
        accountId: f.accountId,
        kind: 'quiet_hours',
        source: 'phone',
        givenAt: new Date('2026-03-01T00:00:00Z'),
      },
      'supervisor.zhou',
    );
    expect(consent).toMatchObject({ kind: 'quiet_hours', channel: null, current: true });
    expect((await gateContact(t.db, late)).verdict).toBe('allow');
    await withdrawConsent(
      t.db,
      consent.id,
      '债务人要求白天联系',
      'supervisor.zhou',
      new Date('2026-03-02T14:00:00Z'),
    );
    expect((await gateContact(t.db, f.call({ at: new Date('2026-03-02T22:40:00+08:00') }))).reasons).toEqual([
      'quiet_hours',
    ]);
    await expect(withdrawConsent(t.db, consent.id, 'again', 'x')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect((await auditActions('compliance_consent', consent.id)).map((a) => a.action)).toEqual([
      'compliance.consent_recorded',
      'compliance.consent_withdrawn',
    ]);
  });

  it('US: calls within seven days of the debtor’s prior consent do not count towards 7 in 7', async () => {
    const f = await fixture('US', 'US');
    const day = (d: number) => new Date(`2026-03-0${d}T15:00:00Z`);
    const us = (at: Date) => f.call({ at, timezone: 'America/New_York' });
    for (let d = 2; d <= 8; d++) {
      const result = await gateContact(t.db, us(day(d)));
      expect(result.verdict, `day ${d}`).toBe('allow');
    }
    expect(await gateContact(t.db, us(new Date('2026-03-08T18:00:00Z')))).toMatchObject({
      verdict: 'deny',
      reasons: ['calls_in_window_cap'],
    });
    // the debtor said on 3 March "call me this week": the calls of 3–8 March had consent
    await recordConsent(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'prior_call',
        source: 'phone',
        givenAt: new Date('2026-03-03T00:00:00Z'),
      },
      'agent.wang',
    );
    const allowed = await gateContact(t.db, us(new Date('2026-03-08T18:00:00Z')));
    expect(allowed.verdict).toBe('allow');
    const inputs = await sql<{ inputs: { prior_consent_excluded: number } }>`
      SELECT inputs FROM compliance_verdicts WHERE id = ${allowed.verdictId}`.execute(t.db);
    expect(inputs.rows[0]?.inputs.prior_consent_excluded).toBe(6);
  });
});

describe('lost contact and agreed contacts', () => {
  it('an agreed contact is reached only while the debtor is in lost-contact state', async () => {
    const f = await fixture();
    const contact = await addAgreedContact(
      t.db,
      { debtorId: f.debtorId, kind: 'phone', value: '13900001111', holderName: '李四', relation: '同事' },
      'supervisor.zhou',
      cipher,
    );
    expect(contact).toMatchObject({
      kind: 'phone',
      masked: '+86 139****1111',
      holderName: '李四',
      relation: '同事',
    });
    const agreed = f.call({ contactPointId: contact.id, party: 'agreed_contact' });
    expect(await gateContact(t.db, agreed)).toMatchObject({
      verdict: 'deny',
      reasons: ['third_party_not_lost_contact'],
    });
    await expect(gateContact(t.db, f.call({ contactPointId: contact.id }))).rejects.toThrow(
      /agreed contact's: gate it with party agreed_contact/,
    );
    await expect(gateContact(t.db, f.call({ party: 'agreed_contact' }))).rejects.toThrow(/the debtor's own/);

    const state = await setLostContact(
      t.db,
      { accountId: f.accountId },
      '三个号码均为空号',
      'agent.wang',
      new Date('2026-03-01T00:00:00Z'),
    );
    expect(state).toMatchObject({
      lost: true,
      history: [{ setBy: 'agent.wang', setReason: '三个号码均为空号' }],
    });
    await expect(setLostContact(t.db, { debtorId: f.debtorId }, 'again', 'x')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect(await gateContact(t.db, agreed)).toMatchObject({
      verdict: 'allow_with_conditions',
      reasons: ['no_debt_details', 'locate_or_message_only', 'stop_if_asked'],
    });
    await clearLostContact(
      t.db,
      { debtorId: f.debtorId },
      '债务人回电',
      'agent.wang',
      new Date('2026-03-02T01:00:00Z'),
    );
    expect(
      (await gateContact(t.db, { ...agreed, at: new Date('2026-03-02T11:00:00+08:00') })).reasons,
    ).toEqual(['third_party_not_lost_contact']);
    const after = await lostContactState(t.db, { debtorId: f.debtorId });
    expect(after).toMatchObject({
      lost: false,
      history: [{ clearedBy: 'agent.wang', clearReason: '债务人回电' }],
    });
    await expect(clearLostContact(t.db, { debtorId: f.debtorId }, 'again', 'x')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect((await auditActions('debtor', f.debtorId)).map((a) => a.action)).toEqual([
      'compliance.lost_contact_set',
      'compliance.lost_contact_cleared',
    ]);
  });
});

describe('the US validation notice', () => {
  it('computes the period over the observed Independence Day and a weekend', async () => {
    const f = await fixture('US', 'US');
    // sent Wednesday 1 July 2026: Friday 3 July is the observed holiday (the 4th is a Saturday),
    // so the five business days are 2, 6, 7, 8, 9 July; the period ends 30 days later
    const notice = await recordValidationNotice(t.db, f.accountId, '2026-07-01', 'letters.bot');
    expect(notice).toMatchObject({
      sentOn: '2026-07-01',
      assumedReceipt: '2026-07-09',
      periodEndsOn: '2026-08-08',
      verificationSentOn: null,
    });
    await expect(
      recordValidationNotice(t.db, f.accountId, '2026-07-02', 'letters.bot'),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const cn = await fixture('CN');
    await expect(recordValidationNotice(t.db, cn.accountId, '2026-07-01', 'x')).rejects.toThrow(
      /US \(Regulation F\)/,
    );
  });

  it('a written dispute inside the period holds collection until the verification is sent', async () => {
    const f = await fixture('US', 'US');
    await recordValidationNotice(t.db, f.accountId, '2026-07-01', 'letters.bot');
    const disputed = new Date('2026-08-07T14:00:00Z');
    const { hold } = await addHold(
      t.db,
      { accountId: f.accountId, kind: 'dispute', source: 'letter', startsAt: disputed },
      'mailroom',
    );
    expect(hold.verificationRequired).toBe(true);
    const at = new Date('2026-08-10T15:00:00Z');
    const us = { at, timezone: 'America/New_York' };
    expect((await gateContact(t.db, f.call(us))).reasons).toEqual(['hold_dispute']);
    const verdict = await gateContact(
      t.db,
      f.call({ ...us, channel: 'letter', contactPointId: null, purpose: 'dispute_verification' }),
    );
    expect(verdict.verdict).toBe('allow');
    const inputs = await sql<{ inputs: { validation_period_ends_on: string } }>`
      SELECT inputs FROM compliance_verdicts WHERE id = ${verdict.verdictId}`.execute(t.db);
    expect(inputs.rows[0]?.inputs.validation_period_ends_on).toBe('2026-08-08');
    await expect(liftHold(t.db, hold.id, 'resolved', 'compliance.li')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const { notice, liftedHoldIds } = await recordVerificationSent(
      t.db,
      f.accountId,
      '2026-08-12',
      'compliance.li',
      new Date('2026-08-12T20:00:00Z'),
    );
    expect(notice.verificationSentOn).toBe('2026-08-12');
    expect(liftedHoldIds).toEqual([hold.id]);
    const [lifted] = await listHolds(t.db, { accountId: f.accountId });
    expect(lifted).toMatchObject({ status: 'lifted', liftReason: 'verification sent on 2026-08-12' });
    expect((await gateContact(t.db, f.call({ ...us, at: new Date('2026-08-13T15:00:00Z') }))).verdict).toBe(
      'allow',
    );
    expect((await auditActions('account', f.accountId)).map((a) => a.action)).toEqual([
      'compliance.validation_notice_recorded',
      'compliance.verification_recorded',
    ]);
  });

  it('a dispute on the phone, or in writing after the period, may be lifted by a person', async () => {
    const f = await fixture('US', 'US');
    await recordValidationNotice(t.db, f.accountId, '2026-07-01', 'letters.bot');
    const late = await addHold(
      t.db,
      {
        accountId: f.accountId,
        kind: 'dispute',
        source: 'letter',
        startsAt: new Date('2026-08-10T14:00:00Z'),
      },
      'mailroom',
    );
    const oral = await addHold(
      t.db,
      {
        accountId: f.accountId,
        kind: 'dispute',
        source: 'phone',
        startsAt: new Date('2026-07-20T14:00:00Z'),
      },
      'agent.smith',
    );
    expect([late.hold.verificationRequired, oral.hold.verificationRequired]).toEqual([false, false]);
    await liftHold(t.db, late.hold.id, 'answered', 'compliance.li');
    await liftHold(t.db, oral.hold.id, 'answered', 'compliance.li');
  });
});

describe('concurrency', () => {
  it('a hold committed while a gate call waits on the debtor’s lock is seen by that verdict', async () => {
    const f = await fixture();
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const writer = t.db.transaction().execute(async (trx) => {
      await lockDebtor(trx, f.debtorId);
      await sql`
        INSERT INTO compliance_holds (client_id, debtor_id, kind, source, starts_at, recorded_by)
        VALUES (${f.clientId}, ${f.debtorId}, 'cease', 'letter', '2026-03-01T00:00:00Z', 'mailroom')`.execute(
        trx,
      );
      locked();
      await released;
    });
    await holding;
    const gate = gateContact(t.db, f.call());
    // wait until the gate is queued on the debtor's advisory lock (no timing: the server says so)
    for (;;) {
      const { rows } = await sql<{ n: bigint }>`
        SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (
          SELECT oid FROM pg_database WHERE datname = current_database())`.execute(t.db);
      if ((rows[0]?.n ?? 0n) > 0n) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    release();
    await writer;
    expect(await gate).toMatchObject({ verdict: 'deny', reasons: ['hold_cease'] });
  });

  it('many opt-outs of one channel at once leave one hold', async () => {
    const f = await fixture();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        recordChannelOptOut(t.db, {
          debtorId: f.debtorId,
          channel: 'email',
          source: 'email',
          actor: `mail.${i}`,
        }),
      ),
    );
    const open = await listHolds(t.db, { debtorId: f.debtorId }, { current: true });
    expect(open.map((h) => h.kind)).toEqual(['opt_out_email']);
  });
});

describe('huikuan compliance hold', () => {
  it('adds, lists and lifts holds, and refuses a bad one with exit 2', async () => {
    const cli = cliFor(t);
    const f = await fixture();
    const added = await cli([
      'compliance',
      'hold',
      'add',
      '--account',
      String(f.accountId),
      '--kind',
      'legal',
      '--source',
      'client',
      '--starts',
      '2026-03-01',
      '--ends',
      '2026-03-31',
      '--note',
      '已起诉',
      '--user',
      'compliance.li',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const hold = added.json();
    expect(hold).toMatchObject({
      kind: 'legal',
      account_id: Number(f.accountId),
      starts_at: '2026-02-28T16:00:00.000Z',
      // the end date is the last day in force
      ends_at: '2026-03-31T16:00:00.000Z',
      recorded_by: 'compliance.li',
      created: true,
    });
    expect((await gateContact(t.db, f.call())).reasons).toEqual(['hold_legal']);

    const listed = await cli(['compliance', 'hold', 'list', '--debtor', String(f.debtorId), '--json']);
    expect(listed.json().holds.map((h: { id: number }) => h.id)).toEqual([hold.id]);
    const text = await cli(['compliance', 'hold', 'list', '--account', String(f.accountId)]);
    expect(text.stdout).toContain(`${hold.id}  legal`);

    const lifted = await cli([
      'compliance',
      'hold',
      'lift',
      String(hold.id),
      '--reason',
      '撤诉',
      '--user',
      'compliance.zhao',
      '--json',
    ]);
    expect(lifted.code).toBe(0);
    expect(lifted.json()).toMatchObject({
      status: 'lifted',
      lifted_by: 'compliance.zhao',
      lift_reason: '撤诉',
    });
    const again = await cli([
      'compliance',
      'hold',
      'lift',
      String(hold.id),
      '--reason',
      'x',
      '--user',
      'compliance.zhao',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already lifted/);

    const bad = await cli([
      'compliance',
      'hold',
      'add',
      '--account',
      String(f.accountId),
      '--kind',
      'holiday',
      '--source',
      'phone',
      '--user',
      'x',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"holiday" is not a hold/);
    const both = await cli(['compliance', 'hold', 'list', '--account', '1', '--debtor', '1']);
    expect(both.code).toBe(2);
  });
});
