/**
 * What the payment import needs from the ledger (src/ledger owns the postings). The service takes
 * these as a parameter so its flow can be tested on its own; `ledgerPort` binds the real ones.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { reverseEntry } from '../ledger/events.ts';
import { type PaymentInput, type PaymentResult, paymentChunkSize, postPayments } from '../ledger/payments.ts';

export type { PaymentInput, PaymentResult };

export interface ReverseInput {
  clientId: bigint;
  externalId?: string;
  reason: string;
  actor: string;
  reversalExternalId?: string;
  effectiveDate?: string;
}

export interface LedgerPort {
  postPayments(db: Kysely<Database>, inputs: PaymentInput[], actor: string): Promise<PaymentResult[]>;
  reverseEntry(db: Kysely<Database>, input: ReverseInput): Promise<{ status: 'reversed' | 'duplicate' }>;
  /** The most payments the ledger posts in one transaction. */
  chunkSize: number;
}

export const ledgerPort: LedgerPort = {
  postPayments: (db, inputs, actor) => postPayments(db, inputs, actor),
  reverseEntry: (db, input) => reverseEntry(db, input),
  chunkSize: paymentChunkSize,
};
