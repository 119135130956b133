/**
 * Our Message-ID goes out with the e-mail (email.ts) and comes back inside a delivery status
 * notification (bounces.ts): the id the generator puts in is the id the parser finds, through the
 * report's returned headers, and another sender's Message-ID yields none.
 */
import { describe, expect, it } from 'vitest';
import { parseDsn } from './bounces.ts';
import { messageIdOfHeader, newMessageIdHeader } from './message-id.ts';

/** A minimal RFC 3464 report whose returned headers carry `messageIdHeader`. */
function report(messageIdHeader: string): string {
  return [
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    '',
    'Final-Recipient: rfc822; p@example.com',
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Agency <notice@agency.test>',
    `Message-ID: ${messageIdHeader}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

describe('our Message-ID', () => {
  it('is <ID.RANDOM@sender-domain>, with the domain of the sender address', () => {
    expect(newMessageIdHeader(42n, 'Agency <notice@agency.test>')).toMatch(
      /^<42\.[0-9a-f]{24}@agency\.test>$/,
    );
    expect(newMessageIdHeader(42n, 'notice@mail.agency.test')).toMatch(
      /^<42\.[0-9a-f]{24}@mail\.agency\.test>$/,
    );
    expect(newMessageIdHeader(42n, 'notice')).toMatch(/^<42\.[0-9a-f]{24}@huikuan\.invalid>$/);
    expect(newMessageIdHeader(42n, 'a@b.test')).not.toBe(newMessageIdHeader(42n, 'a@b.test'));
  });

  it('comes back from a bounce report as the id it was made for', () => {
    for (const [id, from] of [
      [1n, 'Agency <notice@agency.test>'],
      [123_456_789_012_345_678n, 'notice@mail.agency.test'],
      [7n, 'notice'],
    ] as const) {
      const header = newMessageIdHeader(id, from);
      const dsn = parseDsn(report(header));
      expect(dsn.messageIdHeader).toBe(header);
      expect(messageIdOfHeader(dsn.messageIdHeader ?? '')).toBe(id);
    }
  });

  it("is not found in another sender's Message-ID", () => {
    const random = 'a'.repeat(24);
    expect(messageIdOfHeader(`<42.${random}@agency.test>`)).toBe(42n);
    // what other mailers write: digits and a dot in front, but not our random part
    expect(messageIdOfHeader('<1234.5678@mail.example.com>')).toBeNull();
    expect(messageIdOfHeader('<42.abc@agency.test>')).toBeNull();
    // without its angle brackets, or without a domain
    expect(messageIdOfHeader(`42.${random}@agency.test`)).toBeNull();
    expect(messageIdOfHeader(`<42.${random}>`)).toBeNull();
    expect(messageIdOfHeader(`<0.${random}@agency.test>`)).toBeNull();
  });
});
