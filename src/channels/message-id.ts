/**
 * The Message-ID of our e-mails, `<ID.RANDOM@sender-domain>`, written by email.ts before each send and
 * read back by bounces.ts from a delivery status notification. One definition for both sides: the id
 * in front is what matches a bounce to a message whose send was never confirmed (no Message-ID stored),
 * so a generator and a parser that drifted apart would leave those bounces unmatched without an error.
 */
import { randomBytes } from 'node:crypto';

/** 12 random bytes: unique without asking the database. */
const randomBytesCount = 12;
const domainChars = '[A-Za-z0-9.-]+';
/** When the sender address has no usable domain: a name that can never be anyone's (RFC 2606). */
const fallbackDomain = 'huikuan.invalid';

const senderDomain = new RegExp(`@(${domainChars})>?\\s*$`);
const ours = new RegExp(`^<([1-9]\\d{0,17})\\.[0-9a-f]{${randomBytesCount * 2}}@${domainChars}>$`);

/** Our Message-ID for message `messageId` sent from `from` (an address, optionally `Name <address>`). */
export function newMessageIdHeader(messageId: bigint, from: string): string {
  const domain = senderDomain.exec(from)?.[1] ?? fallbackDomain;
  return `<${messageId}.${randomBytes(randomBytesCount).toString('hex')}@${domain}>`;
}

/** The message id in a Message-ID we made (angle brackets included), else null: another sender's. */
export function messageIdOfHeader(header: string): bigint | null {
  const match = ours.exec(header.trim());
  return match?.[1] ? BigInt(match[1]) : null;
}
