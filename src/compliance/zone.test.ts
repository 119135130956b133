import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHuikuanError } from '../shared/errors.ts';
import { localSecondOfDay, zone, zonesForNumber } from './zone.ts';

// an independent reading of the offset: Intl's own "GMT+05:30" name for the instant
const offsetNames = new Map<string, Intl.DateTimeFormat>();
function intlOffsetMs(name: string, ms: number): number {
  let format = offsetNames.get(name);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
    offsetNames.set(name, format);
  }
  const text = format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(text);
  if (!match) throw new Error(`unexpected offset ${text}`);
  if (match[1] === undefined) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return (match[1] === '-' ? -minutes : minutes) * 60_000;
}

const zoneNames = [
  'Asia/Shanghai',
  'America/New_York',
  'America/Los_Angeles',
  'America/Phoenix',
  'Europe/London',
  'Australia/Lord_Howe', // a half-hour daylight-saving shift
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Sao_Paulo',
];

describe('zones', () => {
  it('agree with Intl on the offset of any instant, including around transitions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zoneNames),
        fc.integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        (name, ms) => {
          expect(zone(name).offsetAt(ms)).toBe(intlOffsetMs(name, ms));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('switches at the exact second of a transition', () => {
    const ny = zone('America/New_York');
    const change = Date.parse('2026-03-08T07:00:00Z');
    expect(ny.offsetAt(change - 1)).toBe(-5 * 3_600_000);
    expect(ny.offsetAt(change)).toBe(-4 * 3_600_000);
    expect(localSecondOfDay(ny, change - 1000)).toBe(2 * 3600 - 1);
    expect(localSecondOfDay(ny, change)).toBe(3 * 3600);
    const london = zone('Europe/London');
    expect(london.localDay(Date.parse('2026-10-25T00:30:00Z'))).toBe(
      london.localDay(Date.parse('2026-10-25T23:30:00Z')),
    );
  });

  it('refuses unknown zone names with bad_input', () => {
    try {
      zone('Asia/Beijing');
      expect.unreachable();
    } catch (error) {
      expect(isHuikuanError(error) && error.code).toBe('bad_input');
    }
  });

  it('knows the zones of a few calling codes', () => {
    expect(zonesForNumber('+8613800000000')).toEqual(['Asia/Shanghai']);
    expect(zonesForNumber('+85291234567')).toEqual(['Asia/Hong_Kong']);
    expect(zonesForNumber('+12125550100')).toContain('Pacific/Honolulu');
    expect(zonesForNumber('+33612345678')).toBeNull();
    expect(zonesForNumber(null)).toBeNull();
  });
});
