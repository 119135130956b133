/** The web's business "today": the agency's date (Asia/Shanghai), as the server counts it. */
import { describe, expect, it } from 'vitest';
import { todayIso } from '../../web/src/business-date.ts';

describe("the web's today", () => {
  it('is the date in Asia/Shanghai whatever the browser’s zone', () => {
    expect(todayIso(new Date('2026-11-29T15:59:59Z'))).toBe('2026-11-29');
    // 16:00 UTC is midnight in Shanghai: the business day has turned while a UTC browser is on the 29th
    expect(todayIso(new Date('2026-11-29T16:00:00Z'))).toBe('2026-11-30');
    expect(todayIso(new Date('2026-12-31T18:30:00Z'))).toBe('2027-01-01');
  });
});
