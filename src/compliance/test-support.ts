/** fast-check generators shared by the compliance tests (not a test file itself). */
import fc from 'fast-check';
import { parseInstant } from './input.ts';
import {
  type Attempt,
  type HistoryEntry,
  type Hold,
  holdCodes,
  type Outcome,
  outcomes,
  type Purpose,
  purposes,
} from './model.ts';
import { type Channel, channels, type Jurisdiction, type Party, parties } from './profiles.ts';

// generators for property tests: instants around a DST change, histories over two weeks
const zoneNames = [
  'Asia/Shanghai',
  'America/New_York',
  'America/Los_Angeles',
  'Europe/London',
  'Pacific/Honolulu',
];
const base = parseInstant('2026-03-01T00:00:00Z') ?? 0;
export const arbHistoryEntry: fc.Arbitrary<HistoryEntry> = fc.record({
  atMs: fc.integer({ min: base - 14 * 86_400_000, max: base + 14 * 86_400_000 }),
  channel: fc.constantFrom<Channel>(...channels, 'call', 'call'),
  party: fc.constantFrom<Party>(...parties, 'debtor', 'debtor'),
  number: fc.constantFrom<string | null>('+8613800000000', '+12125550100', null),
  robot: fc.boolean(),
  outcome: fc.constantFrom<Outcome>(...outcomes),
});
export const arbAttempt: fc.Arbitrary<Attempt> = fc.record({
  purpose: fc.constantFrom<Purpose>(...purposes),
  channel: fc.constantFrom<Channel>(...channels),
  party: fc.constantFrom<Party>(...parties),
  atMs: fc.integer({ min: base, max: base + 14 * 86_400_000 }),
  timezone: fc.constantFrom<string | null>(...zoneNames, null),
  number: fc.constantFrom<string | null>('+8613800000000', '+12125550100', '+447700900123', null),
  robot: fc.boolean(),
  lostContact: fc.boolean(),
  consentQuietHours: fc.boolean(),
  holds: fc.subarray<Hold>([...holdCodes], { maxLength: 2 }),
  history: fc.array(arbHistoryEntry, { maxLength: 25 }),
});
export const arbJurisdiction = fc.constantFrom<Jurisdiction>('CN', 'US', 'UK');
