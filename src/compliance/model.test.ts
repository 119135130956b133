import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant } from './input.ts';
import { type Attempt, evaluate, type HistoryEntry, holdCodes, type Outcome, reasonCodes } from './model.ts';
import { channels, defaultProfiles } from './profiles.ts';
import { arbAttempt, arbHistoryEntry, arbJurisdiction } from './test-support.ts';

const CN = defaultProfiles.CN;
const US = defaultProfiles.US;
const UK = defaultProfiles.UK;

function ms(text: string): number {
  const value = parseInstant(text);
  if (value === null) throw new Error(`bad instant ${text}`);
  return value;
}

function attempt(at: string, fields: Partial<Attempt> = {}): Attempt {
  return {
    purpose: 'collect',
    channel: 'call',
    party: 'debtor',
    atMs: ms(at),
    timezone: 'Asia/Shanghai',
    number: '+8613800000000',
    robot: false,
    lostContact: false,
    consentQuietHours: false,
    holds: [],
    history: [],
    ...fields,
  };
}

function call(at: string, outcome: Outcome, fields: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    atMs: ms(at),
    channel: 'call',
    party: 'debtor',
    number: '+8613800000000',
    robot: false,
    outcome,
    ...fields,
  };
}

function times<T>(n: number, make: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => make(i));
}

describe('reason codes', () => {
  it('fit in a 31-bit mask and are unique', () => {
    expect(reasonCodes.length).toBeLessThanOrEqual(31);
    expect(new Set(reasonCodes).size).toBe(reasonCodes.length);
  });
});

describe('CN quiet hours 22:00–08:00 local', () => {
  it.each([
    ['2026-03-02T21:59:00+08:00', 'allow'],
    ['2026-03-02T21:59:59+08:00', 'allow'],
    ['2026-03-02T22:00:00+08:00', 'deny'],
    ['2026-03-02T23:30:00+08:00', 'deny'],
    ['2026-03-03T07:59:59+08:00', 'deny'],
    ['2026-03-03T08:00:00+08:00', 'allow'],
    // the instant matters, not how it is written: 13:59Z is 21:59 in Shanghai, 14:00Z is 22:00
    ['2026-03-02T13:59:00Z', 'allow'],
    ['2026-03-02T14:00:00Z', 'deny'],
  ])('%s → %s', (at, verdict) => {
    const v = evaluate(attempt(at), CN);
    expect(v.verdict).toBe(verdict);
    expect(v.reasons).toEqual(verdict === 'deny' ? ['quiet_hours'] : []);
    expect(v.profile).toEqual({ code: 'CN', version: 1, overrides: [] });
  });

  it('applies to every channel and is lifted by prior consent', () => {
    for (const channel of channels) {
      expect(evaluate(attempt('2026-03-02T22:00:00+08:00', { channel }), CN).verdict).toBe('deny');
      expect(
        evaluate(attempt('2026-03-02T22:00:00+08:00', { channel, consentQuietHours: true }), CN).verdict,
      ).toBe('allow');
    }
  });

  it('reads local time in the person’s zone, not Beijing’s', () => {
    // 21:30 in Shanghai is 13:30 in London: a UK number's person is reached in the afternoon
    const v = evaluate(attempt('2026-03-02T22:30:00+08:00', { timezone: 'Europe/London' }), CN);
    expect(v.verdict).toBe('allow');
    expect(v.zones).toEqual(['Europe/London']);
  });

  it('takes the zone from the number’s country when the attempt names none, else the profile’s country', () => {
    expect(evaluate(attempt('2026-03-02T14:30:00Z', { timezone: null }), CN).zones).toEqual([
      'Asia/Shanghai',
    ]);
    const london = evaluate(attempt('2026-03-02T14:30:00Z', { timezone: null, number: '+447700900123' }), CN);
    expect(london).toMatchObject({ verdict: 'allow', zones: ['Europe/London'] });
    expect(evaluate(attempt('2026-03-02T14:30:00Z', { timezone: null, number: null }), CN).verdict).toBe(
      'deny',
    );
  });
});

describe('US inconvenient times: before 08:00 or after 21:00', () => {
  const ny = { timezone: 'America/New_York', number: '+12125550100' };
  it.each([
    ['2026-03-02T07:59:59-05:00', 'deny'],
    ['2026-03-02T08:00:00-05:00', 'allow'],
    ['2026-03-02T21:00:00-05:00', 'allow'],
    ['2026-03-02T21:00:01-05:00', 'deny'],
    ['2026-03-02T21:01:00-05:00', 'deny'],
  ])('%s in New York → %s', (at, verdict) => {
    expect(evaluate(attempt(at, ny), US).verdict).toBe(verdict);
  });

  it('follows daylight saving: 12:30Z is 07:30 EST on Saturday and 08:30 EDT on Sunday 2026-03-08', () => {
    expect(evaluate(attempt('2026-03-07T12:30:00Z', ny), US).verdict).toBe('deny');
    expect(evaluate(attempt('2026-03-08T12:30:00Z', ny), US).verdict).toBe('allow');
    // the transition itself: 07:00Z is 02:00 EST → 03:00 EDT; 12:00Z is 08:00 EDT
    expect(evaluate(attempt('2026-03-08T11:59:59Z', ny), US).verdict).toBe('deny');
    expect(evaluate(attempt('2026-03-08T12:00:00Z', ny), US).verdict).toBe('allow');
    // autumn: 01:00Z on 2026-11-02 is 20:00 EST (after the fall-back) → allowed; the day before, 21:00 EDT
    expect(evaluate(attempt('2026-11-02T01:00:00Z', ny), US).verdict).toBe('allow');
    expect(evaluate(attempt('2026-11-01T01:00:01Z', ny), US).verdict).toBe('deny');
  });

  it('with no zone and no number, every US zone must be within hours (strictest wins)', () => {
    const unknown = { timezone: null, number: null };
    // 13:00Z: 08:00 in New York but 03:00 in Honolulu
    const v = evaluate(attempt('2026-03-02T13:00:00Z', unknown), US);
    expect(v.verdict).toBe('deny');
    expect(v.zones).toContain('Pacific/Honolulu');
    // 19:00Z: 14:00 in New York, 09:00 in Honolulu
    expect(evaluate(attempt('2026-03-02T19:00:00Z', unknown), US).verdict).toBe('allow');
    // 02:30Z: 21:30 in New York (EST), 18:30 in Los Angeles
    expect(evaluate(attempt('2026-03-03T02:30:00Z', unknown), US).verdict).toBe('deny');
  });

  it('treats a +1 number without a zone as the whole United States', () => {
    expect(
      evaluate(attempt('2026-03-02T13:00:00Z', { timezone: null, number: '+12125550100' }), US).verdict,
    ).toBe('deny');
  });
});

describe('CN unanswered calls: ≤ 6 a day to the same number', () => {
  const at = '2026-03-02T15:00:00+08:00';
  it.each([
    [5, 'allow'],
    [6, 'deny'],
    [7, 'deny'],
  ])('%i unanswered today → %s', (n, verdict) => {
    const history = times(n, (i) =>
      call(`2026-03-02T${String(9 + i).padStart(2, '0')}:00:00+08:00`, 'no_answer'),
    );
    const v = evaluate(attempt(at, { history }), CN);
    expect(v.verdict).toBe(verdict);
    if (verdict === 'deny') expect(v.reasons).toEqual(['unanswered_calls_cap']);
  });

  it('counts no_answer, busy and connected_no_answer, not conversations, voicemail or not-in-service', () => {
    const counted: Outcome[] = ['no_answer', 'busy', 'connected_no_answer'];
    const six = times(6, (i) => call(`2026-03-02T09:0${i}:00+08:00`, counted[i % 3] as Outcome));
    expect(evaluate(attempt(at, { history: six }), CN).verdict).toBe('deny');
    const notCounted: Outcome[] = ['conversation', 'voicemail', 'not_in_service'];
    const others = times(6, (i) => call(`2026-03-02T09:0${i}:00+08:00`, notCounted[i % 3] as Outcome));
    expect(evaluate(attempt(at, { history: others }), CN).verdict).toBe('allow');
  });

  it('counts per number and per local day (Shanghai midnight, not UTC midnight)', () => {
    const otherNumber = times(6, (i) =>
      call(`2026-03-02T09:0${i}:00+08:00`, 'no_answer', { number: '+8613900000000' }),
    );
    expect(evaluate(attempt(at, { history: otherNumber }), CN).verdict).toBe('allow');
    // 23:00 local the day before is 15:00Z on 03-01; 07:00 local on 03-02 is 23:00Z on 03-01
    const yesterday = times(6, (i) => call(`2026-03-01T23:0${i}:00+08:00`, 'no_answer'));
    expect(evaluate(attempt(at, { history: yesterday }), CN).verdict).toBe('allow');
    const earlyToday = times(6, (i) => call(`2026-03-01T23:0${i}:00Z`, 'no_answer'));
    expect(evaluate(attempt(at, { history: earlyToday }), CN).verdict).toBe('deny');
  });

  it('does not cap SMS', () => {
    const history = times(8, (i) => call(`2026-03-02T09:0${i}:00+08:00`, 'no_answer'));
    expect(evaluate(attempt(at, { channel: 'sms', history }), CN).verdict).toBe('allow');
  });
});

describe('CN robot calls: ≤ 3 connected a day to the debtor', () => {
  const at = '2026-03-02T15:00:00+08:00';
  it.each([
    [2, 'allow'],
    [3, 'deny'],
  ])('%i connected robot calls today → %s', (n, verdict) => {
    const history = times(n, (i) => call(`2026-03-02T1${i}:00:00+08:00`, 'voicemail', { robot: true }));
    const v = evaluate(attempt(at, { robot: true, history }), CN);
    expect(v.verdict).toBe(verdict);
    if (verdict === 'deny') expect(v.reasons).toEqual(['robot_calls_cap']);
    // an agent's own call is not a robot call
    expect(evaluate(attempt(at, { robot: false, history }), CN).verdict).toBe('allow');
  });

  it('counts only connected robot calls to the same person', () => {
    const history = [
      call('2026-03-02T09:00:00+08:00', 'no_answer', { robot: true }),
      call('2026-03-02T09:10:00+08:00', 'busy', { robot: true }),
      call('2026-03-02T09:20:00+08:00', 'conversation', { robot: false }),
      call('2026-03-02T09:30:00+08:00', 'conversation', { robot: true, party: 'guarantor' }),
      call('2026-03-02T09:40:00+08:00', 'conversation', { robot: true }),
      call('2026-03-02T09:50:00+08:00', 'connected_no_answer', { robot: true }),
    ];
    expect(evaluate(attempt(at, { robot: true, history }), CN).verdict).toBe('allow');
  });
});

describe('CN third parties and agreed contacts', () => {
  const at = '2026-03-02T10:00:00+08:00';
  it.each(['third_party', 'agreed_contact'] as const)(
    '%s only in lost-contact state, with conditions',
    (party) => {
      expect(evaluate(attempt(at, { party }), CN)).toMatchObject({
        verdict: 'deny',
        reasons: ['third_party_not_lost_contact'],
      });
      expect(evaluate(attempt(at, { party, lostContact: true }), CN)).toMatchObject({
        verdict: 'allow_with_conditions',
        reasons: ['no_debt_details', 'locate_or_message_only', 'stop_if_asked'],
      });
    },
  );

  it('lets the guarantor be pursued like the debtor', () => {
    expect(evaluate(attempt(at, { party: 'guarantor' }), CN).verdict).toBe('allow');
  });
});

describe('US call frequency: 7 in 7 days, and none for 7 days after a conversation', () => {
  const ny = { timezone: 'America/New_York', number: '+12125550100' };
  const day = (d: number, outcome: Outcome = 'no_answer') =>
    call(`2026-03-${String(d).padStart(2, '0')}T10:00:00-05:00`, outcome, { number: '+12125550100' });

  it('allows the seventh call in seven days and refuses the eighth', () => {
    const six = [day(4), day(5), day(6), day(7), day(8), day(9)];
    expect(evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, history: six }), US).verdict).toBe('allow');
    const seven = [...six, day(10)];
    expect(evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, history: seven }), US)).toMatchObject({
      verdict: 'deny',
      reasons: ['calls_in_window_cap'],
    });
    // the window is the proposed day and the six before it: day 3's call has left it by day 10
    const sevenOlder = [day(3), ...six];
    expect(evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, history: sevenOlder }), US).verdict).toBe(
      'allow',
    );
  });

  it('does not count busy or not-in-service calls, but counts voicemail and connected unanswered calls', () => {
    const notConnected = times(7, (i) => day(4 + i, i % 2 === 0 ? 'busy' : 'not_in_service'));
    expect(evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, history: notConnected }), US).verdict).toBe(
      'allow',
    );
    const connected = times(7, (i) => day(4 + i, i % 2 === 0 ? 'voicemail' : 'connected_no_answer'));
    expect(evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, history: connected }), US).verdict).toBe(
      'deny',
    );
  });

  it('blocks calls on the conversation day and the six days after it', () => {
    const talk = [day(2, 'conversation')];
    for (const [proposed, verdict] of [
      ['2026-03-02T15:00:00-05:00', 'deny'],
      ['2026-03-08T15:00:00-04:00', 'deny'],
      ['2026-03-09T15:00:00-04:00', 'allow'],
    ] as const) {
      const v = evaluate(attempt(proposed, { ...ny, history: talk }), US);
      expect(v.verdict, proposed).toBe(verdict);
      if (verdict === 'deny') expect(v.reasons).toEqual(['recent_conversation']);
    }
    // other channels are not calls
    expect(
      evaluate(attempt('2026-03-03T15:00:00-05:00', { ...ny, channel: 'email', history: talk }), US).verdict,
    ).toBe('allow');
  });

  it('counts days in the person’s zone: 23:30 in Los Angeles is already the next day in UTC', () => {
    const la = { timezone: 'America/Los_Angeles', number: '+13105550100' };
    // conversation at 23:30 PST on 03-01 = 07:30Z on 03-02; day 1 is 03-01 in LA, so 03-08 is free
    const talk = [call('2026-03-02T07:30:00Z', 'conversation')];
    expect(evaluate(attempt('2026-03-08T12:00:00-08:00', { ...la, history: talk }), US).verdict).toBe(
      'allow',
    );
    expect(evaluate(attempt('2026-03-07T12:00:00-08:00', { ...la, history: talk }), US).verdict).toBe('deny');
  });

  it('allows a third party once, location only', () => {
    const first = evaluate(attempt('2026-03-10T11:00:00-04:00', { ...ny, party: 'third_party' }), US);
    expect(first).toMatchObject({
      verdict: 'allow_with_conditions',
      reasons: ['no_debt_details', 'location_only'],
    });
    const again = evaluate(
      attempt('2026-03-10T11:00:00-04:00', {
        ...ny,
        party: 'third_party',
        history: [day(5, 'conversation')],
      }),
      US,
    );
    expect(again.reasons).toContain('third_party_already_contacted');
    const unanswered = evaluate(
      attempt('2026-03-10T11:00:00-04:00', { ...ny, party: 'third_party', history: [day(5, 'no_answer')] }),
      US,
    );
    expect(unanswered.verdict).toBe('allow_with_conditions');
  });
});

describe('UK frequency: 3 calls a day, 10 in 7 days', () => {
  const london = { timezone: 'Europe/London', number: '+447700900123' };
  const at = '2026-06-10T12:00:00+01:00';
  it('refuses the fourth call of the day', () => {
    const two = times(2, (i) => call(`2026-06-10T0${8 + i}:30:00+01:00`, 'no_answer'));
    expect(evaluate(attempt(at, { ...london, history: two }), UK).verdict).toBe('allow');
    const three = [...two, call('2026-06-10T11:30:00+01:00', 'voicemail')];
    expect(evaluate(attempt(at, { ...london, history: three }), UK).reasons).toEqual(['daily_calls_cap']);
  });

  it('refuses the eleventh call in seven days', () => {
    const history = times(10, (i) =>
      call(`2026-06-0${4 + Math.floor(i / 2)}T1${i % 2}:00:00+01:00`, 'no_answer'),
    );
    expect(evaluate(attempt(at, { ...london, history: history.slice(1) }), UK).verdict).toBe('allow');
    expect(evaluate(attempt(at, { ...london, history }), UK).reasons).toEqual(['calls_in_window_cap']);
  });

  it('reads London time across the clock change (BST)', () => {
    // 07:30Z is 07:30 GMT in March before the change and 08:30 BST after it (2026-03-29)
    expect(evaluate(attempt('2026-03-28T07:30:00Z', london), UK).verdict).toBe('deny');
    expect(evaluate(attempt('2026-03-30T07:30:00Z', london), UK).verdict).toBe('allow');
  });
});

describe('holds', () => {
  const at = '2026-03-02T10:00:00+08:00';
  it.each(holdCodes.filter((h) => !h.startsWith('opt_out_') && h !== 'cease'))(
    '%s refuses every channel',
    (hold) => {
      for (const jurisdiction of ['CN', 'US', 'UK'] as const) {
        for (const channel of channels) {
          const v = evaluate(attempt(at, { channel, holds: [hold] }), defaultProfiles[jurisdiction]);
          expect(v).toMatchObject({ verdict: 'deny', reasons: [`hold_${hold}`] });
        }
      }
    },
  );

  it('an opt-out refuses only its channel', () => {
    for (const [hold, channel] of [
      ['opt_out_call', 'call'],
      ['opt_out_sms', 'sms'],
      ['opt_out_email', 'email'],
    ] as const) {
      for (const other of channels) {
        const v = evaluate(attempt(at, { channel: other, holds: [hold] }), CN);
        expect(v.verdict, `${hold} ${other}`).toBe(other === channel ? 'deny' : 'allow');
      }
    }
  });

  it('a cease leaves only letters, limited to the permitted notices', () => {
    expect(evaluate(attempt(at, { channel: 'letter', holds: ['cease'] }), CN)).toMatchObject({
      verdict: 'allow_with_conditions',
      reasons: ['cease_notices_only'],
    });
    expect(
      evaluate(attempt(at, { channel: 'letter', holds: ['cease'], purpose: 'cease_notice' }), CN).verdict,
    ).toBe('allow');
    for (const channel of ['call', 'sms', 'email', 'visit'] as const) {
      expect(evaluate(attempt(at, { channel, holds: ['cease'] }), CN).reasons).toEqual(['hold_cease']);
    }
  });

  it('a dispute lets only the verification go, by letter or e-mail', () => {
    expect(evaluate(attempt(at, { channel: 'letter', holds: ['dispute'] }), US).verdict).toBe('deny');
    const verification = attempt('2026-03-02T10:00:00-05:00', {
      channel: 'letter',
      holds: ['dispute'],
      purpose: 'dispute_verification',
      timezone: 'America/New_York',
    });
    expect(evaluate(verification, US).verdict).toBe('allow');
  });

  it('lists every reason of a denial in a fixed order, and not the conditions', () => {
    const v = evaluate(
      attempt('2026-03-02T23:00:00+08:00', { party: 'third_party', holds: ['legal', 'dispute'] }),
      CN,
    );
    expect(v).toMatchObject({
      verdict: 'deny',
      reasons: ['hold_dispute', 'hold_legal', 'third_party_not_lost_contact', 'quiet_hours'],
    });
  });
});

describe('properties', () => {
  it('the verdict does not depend on the order of the history', () => {
    fc.assert(
      fc.property(arbJurisdiction, arbAttempt, fc.integer(), (j, a, seed) => {
        const shuffled = [...a.history];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const k = s % (i + 1);
          [shuffled[i], shuffled[k]] = [shuffled[k] as HistoryEntry, shuffled[i] as HistoryEntry];
        }
        expect(evaluate({ ...a, history: shuffled }, defaultProfiles[j])).toEqual(
          evaluate(a, defaultProfiles[j]),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic, denies exactly when it lists deny reasons, and never allows with a hold other than a cease', () => {
    fc.assert(
      fc.property(arbJurisdiction, arbAttempt, (j, a) => {
        const first = evaluate(a, defaultProfiles[j]);
        expect(evaluate(structuredClone(a), defaultProfiles[j])).toEqual(first);
        expect(first.reasons.length === 0).toBe(first.verdict === 'allow');
        const strict = a.holds.filter(
          (h) => !['cease', 'dispute', 'opt_out_call', 'opt_out_sms', 'opt_out_email'].includes(h),
        );
        if (strict.length > 0) expect(first.verdict).toBe('deny');
      }),
      { numRuns: 500 },
    );
  });

  it('a later history entry never turns a denial into an allowance (more contact is never more room)', () => {
    fc.assert(
      fc.property(arbJurisdiction, arbAttempt, arbHistoryEntry, (j, a, extra) => {
        const before = evaluate(a, defaultProfiles[j]);
        const after = evaluate({ ...a, history: [...a.history, extra] }, defaultProfiles[j]);
        if (before.verdict === 'deny') expect(after.verdict).toBe('deny');
      }),
      { numRuns: 500 },
    );
  });
});
