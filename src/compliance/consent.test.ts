/**
 * The consent rules (model.ts consentRules; compliance.md's US "e-mail / text safe harbour"): a US
 * text to the debtor needs a current SMS consent or a text from the debtor's number within 60 days
 * (day 60 allowed, day 61 denied, in the person's zone); a US e-mail without consent is allowed with
 * the condition email_consent_unconfirmed; CN and UK, and attempts without consent state (the
 * stateless CLI), are unchanged. Then through the database-backed gate: consents and replies as stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { recordConsent, withdrawConsent } from './holds.ts';
import { gateFixture } from './holds-fixture.ts';
import { parseInstant } from './input.ts';
import { type Attempt, type ChannelConsentState, evaluate } from './model.ts';
import { defaultProfiles } from './profiles.ts';
import { gateContact } from './service.ts';

const US = defaultProfiles.US;

function ms(text: string): number {
  const value = parseInstant(text);
  if (value === null) throw new Error(`bad instant ${text}`);
  return value;
}

function attempt(at: string, fields: Partial<Attempt> = {}): Attempt {
  return {
    purpose: 'collect',
    channel: 'sms',
    party: 'debtor',
    atMs: ms(at),
    timezone: 'America/New_York',
    number: '+12125550100',
    robot: false,
    lostContact: false,
    consentQuietHours: false,
    holds: [],
    history: [],
    ...fields,
  };
}

const noConsent = (lastText: string | null): ChannelConsentState => ({
  consent: false,
  lastInboundTextMs: lastText === null ? null : ms(lastText),
});

// the debtor texted on 1 March 2026 at 23:30 New York time (04:30 UTC on 2 March)
const texted = '2026-03-01T23:30:00-05:00';

describe('US text: consent or a text from the debtor within 60 days', () => {
  it.each<[string, string, ChannelConsentState | null | undefined, string, string[]]>([
    ['no state (the CLI): no consent rule', '2026-03-02T12:00:00-05:00', undefined, 'allow', []],
    ['no state (null)', '2026-03-02T12:00:00-05:00', null, 'allow', []],
    [
      'neither consent nor a text',
      '2026-03-02T12:00:00-05:00',
      noConsent(null),
      'deny',
      ['sms_consent_required'],
    ],
    [
      'a current consent',
      '2026-03-02T12:00:00-05:00',
      { consent: true, lastInboundTextMs: null },
      'allow',
      [],
    ],
    ['the next morning', '2026-03-02T08:00:00-05:00', noConsent(texted), 'allow', []],
    // 1 March + 60 days = 30 April (local days, whatever the hour)
    ['day 60, early', '2026-04-30T08:00:00-04:00', noConsent(texted), 'allow', []],
    ['day 60, late', '2026-04-30T20:59:00-04:00', noConsent(texted), 'allow', []],
    ['day 61', '2026-05-01T08:00:00-04:00', noConsent(texted), 'deny', ['sms_consent_required']],
    [
      'a text after the proposed instant does not count',
      '2026-03-01T12:00:00-05:00',
      noConsent(texted),
      'deny',
      ['sms_consent_required'],
    ],
  ])('%s: %s → %s', (_name, at, channelConsent, verdict, reasons) => {
    const result = evaluate(attempt(at, { channelConsent }), US);
    expect(result.verdict).toBe(verdict);
    expect(result.reasons).toEqual(reasons);
  });

  it('counts days in the person zone: day 61 in New York is still day 60 in Los Angeles at 22:00 UTC', () => {
    const at = '2026-04-30T22:30:00-07:00'; // 1 May 05:30 UTC, 1 May 01:30 New York
    const la = evaluate(
      attempt(at, { timezone: 'America/Los_Angeles', channelConsent: noConsent(texted) }),
      US,
    );
    // New York's day of the text is 1 March; in Los Angeles it was 1 March 20:30, also 1 March
    expect(la.reasons).not.toContain('sms_consent_required');
    const ny = evaluate(attempt(at, { timezone: 'America/New_York', channelConsent: noConsent(texted) }), US);
    expect(ny.reasons).toContain('sms_consent_required');
  });

  it('adds to the other reasons: quiet hours and the missing consent both listed', () => {
    const result = evaluate(attempt('2026-03-02T22:00:00-05:00', { channelConsent: noConsent(null) }), US);
    expect(result).toMatchObject({ verdict: 'deny', reasons: ['quiet_hours', 'sms_consent_required'] });
  });

  it('does not apply in CN or UK, nor to calls', () => {
    for (const code of ['CN', 'UK'] as const) {
      const result = evaluate(
        attempt('2026-03-02T12:00:00Z', { timezone: 'UTC', channelConsent: noConsent(null) }),
        defaultProfiles[code],
      );
      expect(result.reasons).not.toContain('sms_consent_required');
    }
    const call = evaluate(
      attempt('2026-03-02T12:00:00-05:00', { channel: 'call', channelConsent: noConsent(null) }),
      US,
    );
    expect(call.verdict).toBe('allow');
  });
});

describe('US e-mail: allowed with a condition without consent', () => {
  it.each<[string, ChannelConsentState | undefined, string, string[]]>([
    ['no state (the CLI)', undefined, 'allow', []],
    ['no consent', noConsent(null), 'allow_with_conditions', ['email_consent_unconfirmed']],
    ['consent', { consent: true, lastInboundTextMs: null }, 'allow', []],
  ])('%s → %s', (_name, channelConsent, verdict, reasons) => {
    const result = evaluate(attempt('2026-03-02T12:00:00-05:00', { channel: 'email', channelConsent }), US);
    expect(result.verdict).toBe(verdict);
    expect(result.reasons).toEqual(reasons);
  });

  it('a denial wins over the condition and lists only the denial', () => {
    const result = evaluate(
      attempt('2026-03-02T12:00:00-05:00', {
        channel: 'email',
        channelConsent: noConsent(null),
        holds: ['opt_out_email'],
      }),
      US,
    );
    expect(result).toMatchObject({ verdict: 'deny', reasons: ['hold_opt_out_email'] });
  });
});

describe('huikuan compliance check is unchanged', () => {
  it('gives a US text without consent its fixed verdict, and says in --help where the consent codes come from', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-consent-'));
    try {
      const file = path.join(dir, 'attempts.json');
      writeFileSync(
        file,
        JSON.stringify({
          attempts: [
            {
              id: 'text',
              at: '2026-03-02T17:00:00Z',
              channel: 'sms',
              party: 'debtor',
              timezone: 'America/New_York',
            },
            {
              id: 'mail',
              at: '2026-03-02T17:00:00Z',
              channel: 'email',
              party: 'debtor',
              timezone: 'America/New_York',
            },
          ],
        }),
      );
      const huikuan = cliFor({ url: 'postgres://127.0.0.1:1/unused' });
      const result = await huikuan([
        'compliance',
        'check',
        '--jurisdiction',
        'US',
        '--attempt',
        file,
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toEqual({
        verdicts: [
          { id: 'text', verdict: 'allow', reasons: [] },
          { id: 'mail', verdict: 'allow', reasons: [] },
        ],
      });
      const help = await huikuan(['compliance', 'check', '--help']);
      expect(help.stdout).toMatch(
        /sms_consent_required and email_consent_unconfirmed come only from the database-backed gate/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the gate reads the stored consent and the debtor texts', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function reply(f: Awaited<ReturnType<typeof gateFixture>>, at: string, id: string) {
    await sql`
      INSERT INTO channel_replies (client_id, account_id, debtor_id, contact_point_id, channel, provider,
                                   provider_reply_id, from_masked, body, opt_out, received_at)
      VALUES (${f.clientId}, ${f.accountId}, ${f.debtorId}, ${f.phoneId}, 'sms', 'twilio', ${id}, '***', 'ok', false, ${at})`.execute(
      t.db,
    );
  }

  const gate = (f: Awaited<ReturnType<typeof gateFixture>>, at: string, channel: 'sms' | 'email' = 'sms') =>
    gateContact(t.db, {
      accountId: f.accountId,
      contactPointId: channel === 'sms' ? f.phoneId : null,
      channel,
      party: 'debtor',
      at: new Date(at),
      timezone: 'America/New_York',
      actor: 'agent.wang',
    });

  it('US SMS: denied without consent or text, allowed through day 60 after a text, denied on day 61', async () => {
    const f = await gateFixture(t.db, 'US', 'US');
    expect((await gate(f, '2026-03-02T12:00:00-05:00')).reasons).toEqual(['sms_consent_required']);
    await reply(f, texted, 'SM-1');
    expect((await gate(f, '2026-04-30T12:00:00-04:00')).verdict).toBe('allow');
    const day61 = await gate(f, '2026-05-01T12:00:00-04:00');
    expect(day61).toMatchObject({ verdict: 'deny', reasons: ['sms_consent_required'] });
    const stored = await sql<{ inputs: { channel_consent: unknown }; reasons: string[] }>`
      SELECT inputs, reasons FROM compliance_verdicts WHERE id = ${day61.verdictId}`.execute(t.db);
    expect(stored.rows[0]).toEqual({
      inputs: expect.objectContaining({ channel_consent: { consent: false, last_text_at: ms(texted) } }),
      reasons: ['sms_consent_required'],
    });
  });

  it('US SMS: a current consent allows it; withdrawn, it is denied again', async () => {
    const f = await gateFixture(t.db, 'US', 'US');
    const consent = await recordConsent(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'channel',
        channel: 'sms',
        source: 'phone',
        givenAt: new Date('2026-01-05T15:00:00Z'),
      },
      'agent.wang',
    );
    expect((await gate(f, '2026-03-02T12:00:00-05:00')).verdict).toBe('allow');
    // a consent to e-mail is not a consent to texts
    const other = await gateFixture(t.db, 'US', 'US');
    await recordConsent(
      t.db,
      {
        debtorId: other.debtorId,
        kind: 'channel',
        channel: 'email',
        source: 'phone',
        givenAt: new Date('2026-01-05T15:00:00Z'),
      },
      'agent.wang',
    );
    expect((await gate(other, '2026-03-02T12:00:00-05:00')).reasons).toEqual(['sms_consent_required']);
    expect((await gate(other, '2026-03-02T12:00:00-05:00', 'email')).verdict).toBe('allow');
    await withdrawConsent(t.db, consent.id, 'the debtor withdrew it', 'agent.wang');
    // withdrawn now: a later instant is denied
    const later = new Date(Date.now() + 86_400_000);
    const hour = later.toISOString().slice(0, 10);
    expect((await gate(f, `${hour}T12:00:00-05:00`)).reasons).toEqual(['sms_consent_required']);
  });

  it('US e-mail without consent: allowed with the condition, and recorded as a contact', async () => {
    const f = await gateFixture(t.db, 'US', 'US');
    const verdict = await gate(f, '2026-03-02T12:00:00-05:00', 'email');
    expect(verdict).toMatchObject({
      verdict: 'allow_with_conditions',
      reasons: ['email_consent_unconfirmed'],
    });
    expect(verdict.contactId).not.toBeNull();
  });

  it('CN: no consent rule for SMS', async () => {
    const f = await gateFixture(t.db, 'CN', 'CN');
    expect((await gate(f, '2026-03-02T10:00:00+08:00')).verdict).toBe('allow');
  });
});
