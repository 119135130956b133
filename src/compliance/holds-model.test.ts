import { describe, expect, it } from 'vitest';
import {
  debtorZone,
  disputeNeedsVerification,
  holdStatus,
  parseWhen,
  withoutConsentedCalls,
} from './holds-model.ts';
import type { HistoryEntry } from './model.ts';

describe('parseWhen', () => {
  it('reads a date as the start of the day in the zone, or for an end the start of the next', () => {
    expect(parseWhen('2026-03-01', 'Asia/Shanghai', 'start', 'starts')).toEqual(
      new Date('2026-02-28T16:00:00Z'),
    );
    expect(parseWhen('2026-03-01', 'Asia/Shanghai', 'end', 'ends')).toEqual(new Date('2026-03-01T16:00:00Z'));
    // the day after the UK's clocks go forward
    expect(parseWhen('2026-03-29', 'Europe/London', 'end', 'ends')).toEqual(new Date('2026-03-29T23:00:00Z'));
    expect(parseWhen('2026-03-01T09:30:00Z', 'Asia/Shanghai', 'end', 'ends')).toEqual(
      new Date('2026-03-01T09:30:00Z'),
    );
    expect(() => parseWhen('2026-02-30', 'Asia/Shanghai', 'start', 'starts')).toThrow(/starts:/);
  });

  it('reads a debtor’s dates in the zone of the country, the agencies’ home when unknown', () => {
    expect([debtorZone('GB'), debtorZone('US'), debtorZone(null), debtorZone('FR')]).toEqual([
      'Europe/London',
      'America/New_York',
      'Asia/Shanghai',
      'Asia/Shanghai',
    ]);
  });
});

describe('holdStatus', () => {
  const hold = {
    startsAt: new Date('2026-03-01T00:00:00Z'),
    endsAt: new Date('2026-04-30T00:00:00Z'),
    liftedAt: null,
  };
  it('is scheduled before its start, active until its end (exclusive), ended after; lifted wins', () => {
    expect(holdStatus(hold, Date.parse('2026-02-28T23:59:59Z'))).toBe('scheduled');
    expect(holdStatus(hold, Date.parse('2026-03-01T00:00:00Z'))).toBe('active');
    expect(holdStatus(hold, Date.parse('2026-04-29T23:59:59Z'))).toBe('active');
    expect(holdStatus(hold, Date.parse('2026-04-30T00:00:00Z'))).toBe('ended');
    const lifted = { ...hold, liftedAt: new Date('2026-03-10T00:00:00Z') };
    expect(holdStatus(lifted, Date.parse('2026-03-09T00:00:00Z'))).toBe('active');
    expect(holdStatus(lifted, Date.parse('2026-03-10T00:00:00Z'))).toBe('lifted');
  });
});

describe('disputeNeedsVerification', () => {
  const base = { jurisdiction: 'US', source: 'letter', receivedOn: '2026-08-08', periodEndsOn: '2026-08-08' };
  it('holds a written US dispute received by the last day of the period, or before any notice', () => {
    expect(disputeNeedsVerification(base)).toBe(true);
    expect(disputeNeedsVerification({ ...base, receivedOn: '2026-08-09' })).toBe(false);
    expect(disputeNeedsVerification({ ...base, periodEndsOn: null, receivedOn: '2027-01-01' })).toBe(true);
    for (const source of ['debtor_page', 'sms_reply', 'email'])
      expect(disputeNeedsVerification({ ...base, source })).toBe(true);
    expect(disputeNeedsVerification({ ...base, source: 'phone' })).toBe(false);
    expect(disputeNeedsVerification({ ...base, jurisdiction: 'CN' })).toBe(false);
  });
});

describe('withoutConsentedCalls', () => {
  const entry = (
    at: string,
    outcome: HistoryEntry['outcome'],
    channel: HistoryEntry['channel'] = 'call',
  ) => ({
    atMs: Date.parse(at),
    channel,
    party: 'debtor' as const,
    number: null,
    robot: false,
    outcome,
  });
  it('takes out calls inside a consent window, not conversations, other channels or calls outside', () => {
    const history = [
      entry('2026-03-02T10:00:00Z', 'no_answer'),
      entry('2026-03-03T00:00:00Z', 'voicemail'),
      entry('2026-03-04T10:00:00Z', 'conversation'),
      entry('2026-03-05T10:00:00Z', 'delivered', 'sms'),
      entry('2026-03-09T23:59:59Z', 'no_answer'),
      entry('2026-03-10T00:00:00Z', 'no_answer'),
    ];
    const windows: [number, number][] = [
      [Date.parse('2026-03-03T00:00:00Z'), Date.parse('2026-03-10T00:00:00Z')],
    ];
    expect(withoutConsentedCalls(history, windows).map((e) => new Date(e.atMs).toISOString())).toEqual([
      '2026-03-02T10:00:00.000Z',
      '2026-03-04T10:00:00.000Z',
      '2026-03-05T10:00:00.000Z',
      '2026-03-10T00:00:00.000Z',
    ]);
    expect(withoutConsentedCalls(history, [])).toBe(history);
  });
});
