import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHuikuanError } from '../shared/errors.ts';
import { evaluate, type VerdictKind } from './model.ts';
import {
  changeRules,
  channels,
  clampOverride,
  defaultProfiles,
  formatClock,
  jurisdictions,
  type OverrideDocument,
  type Profile,
  parseClock,
  parseJurisdiction,
  parties,
  partyTreatments,
  thirdPartyConditionCodes,
  tighten,
} from './profiles.ts';
import { arbAttempt, arbJurisdiction } from './test-support.ts';

function refusal(work: () => unknown): { code: string; message: string; details: unknown } {
  try {
    work();
  } catch (error) {
    if (isHuikuanError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('default profiles', () => {
  it('carry compliance.md’s values as version 1', () => {
    expect(defaultProfiles.CN.rules).toMatchObject({
      contactHours: { earliest: 8 * 3600, latest: 22 * 3600 - 1 },
      unansweredCallsPerNumberPerDay: 6,
      robotCallsPerDay: 3,
      locateRequiresLostContact: true,
    });
    expect(defaultProfiles.US.rules).toMatchObject({
      contactHours: { earliest: 8 * 3600, latest: 21 * 3600 },
      callsPerWindow: { calls: 7, days: 7 },
      conversationBlockDays: 7,
      locateOncePerPerson: true,
    });
    expect(defaultProfiles.UK.rules).toMatchObject({
      callsPerDay: 3,
      callsPerWindow: { calls: 10, days: 7 },
    });
    for (const j of jurisdictions)
      expect(defaultProfiles[j]).toMatchObject({ code: j, version: 1, overrides: [] });
  });

  it('parses jurisdictions in any case and refuses others with bad_usage', () => {
    expect(parseJurisdiction('us')).toBe('US');
    expect(refusal(() => parseJurisdiction('FR'))).toMatchObject({
      code: 'bad_usage',
      message: /CN, US or UK/,
    });
  });

  it('reads and writes clock times', () => {
    expect(parseClock('08:00')).toBe(28_800);
    expect(parseClock('21:59:59')).toBe(79_199);
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('8:00')).toBeNull();
    expect(formatClock(79_199)).toBe('21:59:59');
  });
});

describe('an override may only tighten', () => {
  it('tightens caps, hours, parties and conditions and names itself', () => {
    const client = tighten(
      defaultProfiles.CN,
      {
        unansweredCallsPerNumberPerDay: 4,
        robotCallsPerDay: 0,
        callsPerDay: 5,
        callsPerWindow: { calls: 20, days: 7 },
        conversationBlockDays: 2,
        contactHours: { earliest: '09:00', latest: '20:00' },
        parties: { agreed_contact: 'forbidden' },
        locateConditions: ['no_debt_details', 'locate_or_message_only', 'stop_if_asked', 'location_only'],
        contactHoursConsentLifts: false,
      },
      'client:ZSB@2',
    );
    expect(client).toMatchObject({ code: 'CN', version: 1, overrides: ['client:ZSB@2'] });
    expect(client.rules).toMatchObject({
      unansweredCallsPerNumberPerDay: 4,
      robotCallsPerDay: 0,
      callsPerDay: 5,
      callsPerWindow: { calls: 20, days: 7 },
      contactHours: { earliest: 9 * 3600, latest: 20 * 3600 },
      parties: { debtor: 'pursue', agreed_contact: 'forbidden', third_party: 'locate' },
      contactHoursConsentLifts: false,
    });
    // the base is untouched, and an account may tighten the client's profile further
    expect(defaultProfiles.CN.rules.unansweredCallsPerNumberPerDay).toBe(6);
    const account = tighten(client, { unansweredCallsPerNumberPerDay: 2 }, 'account:77@1');
    expect(account.overrides).toEqual(['client:ZSB@2', 'account:77@1']);
    expect(
      refusal(() => tighten(client, { unansweredCallsPerNumberPerDay: 5 }, 'account:77@2')).message,
    ).toMatch(/5 is looser than the profile's 4/);
  });

  it.each<[string, OverrideDocument, RegExp]>([
    ['more calls in the window', { callsPerWindow: { calls: 8, days: 7 } }, /8 calls in 7 days is looser/],
    ['a shorter window', { callsPerWindow: { calls: 7, days: 6 } }, /7 calls in 6 days is looser/],
    [
      'a shorter block after a conversation',
      { conversationBlockDays: 6 },
      /6 days is shorter than the profile's 7/,
    ],
    [
      'an earlier start',
      { contactHours: { earliest: '07:59' } },
      /earliest 07:59:00 is before the profile's 08:00:00/,
    ],
    [
      'a later end',
      { contactHours: { latest: '21:00:01' } },
      /latest 21:00:01 is after the profile's 21:00:00/,
    ],
    [
      'hours that end before they start',
      { contactHours: { earliest: '12:00', latest: '11:00' } },
      /is after latest/,
    ],
    ['a malformed time', { contactHours: { latest: '9pm' } }, /HH:MM/],
    [
      'a channel left out of the hours',
      { contactHoursChannels: ['call', 'sms'] },
      /leaves out email, letter, visit/,
    ],
    ['a condition dropped', { locateConditions: ['no_debt_details'] }, /leaves out location_only/],
    [
      'a third party pursued',
      { parties: { third_party: 'pursue' } },
      /third_party: pursue is looser than the profile's locate/,
    ],
    ['an unknown person', { parties: { neighbour: 'forbidden' } }, /"neighbour" is not a person/],
    ['the third-party once rule lifted', { locateOncePerPerson: false }, /false would loosen/],
    ['a cap that is not a number', { callsPerDay: 'three' }, /whole number/],
    ['a negative cap', { callsPerDay: -1 }, /whole number/],
    ['an unknown rule', { maxCallsPerHour: 1 }, /maxCallsPerHour is not a rule that can be set/],
  ])('refuses %s (US)', (_name, override, message) => {
    const error = refusal(() => tighten(defaultProfiles.US, override, 'client:X@1'));
    expect(error.code).toBe('bad_input');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^Override client:X@1 of profile US v1 is refused/);
  });

  it('lists every problem at once, and a cap may be added where the profile has none', () => {
    const error = refusal(() =>
      tighten(
        defaultProfiles.CN,
        { robotCallsPerDay: 4, ceaseAllowsNotices: true, contactHoursConsentLifts: 'no' },
        'c',
      ),
    );
    expect(error.details).toEqual({
      problems: [
        { rule: 'robotCallsPerDay', reason: expect.stringMatching(/looser/) },
        { rule: 'contactHoursConsentLifts', reason: 'must be true or false' },
      ],
    });
    // ceaseAllowsNotices: true on a profile that is already true changes nothing and is fine
    expect(tighten(defaultProfiles.CN, { callsPerDay: 10 }, 'c').rules.callsPerDay).toBe(10);
  });
});

describe('a base that moved under an approved override', () => {
  it('keeps the stricter of the two for each rule (clamp), and an edit may loosen or remove a rule', () => {
    // a later base version that is stricter than the client's override on the cap, looser on hours
    const base = {
      ...defaultProfiles.CN,
      version: 2,
      rules: changeRules(
        defaultProfiles.CN.rules,
        { unansweredCallsPerNumberPerDay: 3, contactHours: { earliest: '07:00' } },
        'edit',
      ),
    };
    expect(base.rules.contactHours.earliest).toBe(7 * 3600);
    const override = {
      unansweredCallsPerNumberPerDay: 5,
      contactHours: { earliest: '09:00', latest: '23:00' },
      locateConditions: [],
    };
    expect(() => tighten(base, override, 'client:A@1')).toThrow(/unansweredCallsPerNumberPerDay 5 is looser/);
    const clamped = clampOverride(base, override, 'client:A@1');
    expect(clamped.rules.unansweredCallsPerNumberPerDay).toBe(3);
    expect(clamped.rules.contactHours).toEqual({ earliest: 9 * 3600, latest: 22 * 3600 - 1 });
    expect(clamped.rules.locateConditions).toEqual(base.rules.locateConditions);
    expect(clamped.overrides).toEqual(['client:A@1']);
    expect(changeRules(defaultProfiles.US.rules, { callsPerWindow: null }, 'edit').callsPerWindow).toBeNull();
    expect(() => changeRules(defaultProfiles.US.rules, { callsPerWindow: null }, 'tighten')).toThrow(
      /remove the cap/,
    );
  });

  it('clamping any override gives a profile at least as strict as the base and as the override allows', () => {
    fc.assert(
      fc.property(
        arbJurisdiction.chain((j) => fc.tuple(fc.constant(j), arbTightening(defaultProfiles[j]))),
        ([j, override]) => {
          // a tightening override clamps to itself
          expect(clampOverride(defaultProfiles[j], override, 'x').rules).toEqual(
            tighten(defaultProfiles[j], override, 'x').rules,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

const rank: Record<VerdictKind, number> = { allow: 0, allow_with_conditions: 1, deny: 2 };

function arbTightening(base: Profile): fc.Arbitrary<OverrideDocument> {
  const r = base.rules;
  const cap = (current: number | null) => fc.integer({ min: 0, max: current ?? 12 });
  const clock = fc
    .tuple(
      fc.integer({ min: r.contactHours.earliest, max: r.contactHours.latest }),
      fc.integer({ min: 0, max: 86_399 }),
    )
    .map(([earliest, span]) => ({
      earliest: formatClock(earliest),
      latest: formatClock(earliest + (span % (r.contactHours.latest - earliest + 1))),
    }));
  const tighterTreatment = (current: (typeof partyTreatments)[number]) =>
    fc.constantFrom(...partyTreatments.slice(partyTreatments.indexOf(current)));
  return fc.record(
    {
      unansweredCallsPerNumberPerDay: cap(r.unansweredCallsPerNumberPerDay),
      robotCallsPerDay: cap(r.robotCallsPerDay),
      callsPerDay: cap(r.callsPerDay),
      callsPerWindow: fc.record({
        calls: fc.integer({ min: 0, max: r.callsPerWindow?.calls ?? 12 }),
        days: fc.integer({ min: r.callsPerWindow?.days ?? 1, max: 10 }),
      }),
      conversationBlockDays: fc.integer({ min: r.conversationBlockDays ?? 0, max: 10 }),
      contactHours: clock,
      contactHoursChannels: fc
        .subarray([...channels])
        .map((extra) => [...new Set([...r.contactHoursChannels, ...extra])]),
      contactHoursConsentLifts: r.contactHoursConsentLifts ? fc.boolean() : fc.constant(false),
      ceaseAllowsNotices: r.ceaseAllowsNotices ? fc.boolean() : fc.constant(false),
      locateRequiresLostContact: r.locateRequiresLostContact ? fc.constant(true) : fc.boolean(),
      locateOncePerPerson: r.locateOncePerPerson ? fc.constant(true) : fc.boolean(),
      locateConditions: fc
        .subarray([...thirdPartyConditionCodes])
        .map((extra) => [...new Set([...r.locateConditions, ...extra])]),
      parties: fc.record(Object.fromEntries(parties.map((p) => [p, tighterTreatment(r.parties[p])]))),
    },
    { requiredKeys: [] },
  );
}

describe('properties of tightening', () => {
  it('a tightened profile never gives a milder verdict than its base for any attempt', () => {
    fc.assert(
      fc.property(
        arbJurisdiction.chain((j) => fc.tuple(fc.constant(j), arbTightening(defaultProfiles[j]))),
        arbAttempt,
        ([j, override], attempt) => {
          const base = defaultProfiles[j];
          const tight = tighten(base, override, 'client:P@1');
          const before = evaluate(attempt, base);
          const after = evaluate(attempt, tight);
          expect(rank[after.verdict]).toBeGreaterThanOrEqual(rank[before.verdict]);
          if (before.verdict === 'deny') expect(after.verdict).toBe('deny');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('any tightening of a tightened profile is accepted against the base too (tightening composes)', () => {
    fc.assert(
      fc.property(
        arbJurisdiction.chain((j) => fc.tuple(fc.constant(j), arbTightening(defaultProfiles[j]))),
        ([j, override]) => {
          const once = tighten(defaultProfiles[j], override, 'a');
          expect(tighten(once, {}, 'b').rules).toEqual(once.rules);
          expect(() => tighten(defaultProfiles[j], override, 'c')).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});
