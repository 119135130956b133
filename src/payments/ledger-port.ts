/**
 * What the payment import needs from the ledger (src/ledger owns the postings). The service takes
 * these as a parameter so its flow can be tested on its own; `ledgerPort` binds the real ones.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { reverseEntry } from '../ledger/events.ts';
import {
  type PaymentInput,
  type PaymentResult,
  paymentChunkSize,
  postStagedChunk,
  type StagedChunk,
  type StagedOutcome,
} from '../ledger/payments.ts';

export type { PaymentInput, PaymentResult, StagedChunk, StagedOutcome };

export interface ReverseInput {
  clientId: bigint;
  externalId?: string;
  reason: string;
  actor: string;
  reversalExternalId?: string;
  effectiveDate?: string;
}

export interface LedgerPort {
  /** Posts one chunk of an import's staging rows (src/payments/staging.ts). */
  postStagedChunk(db: Kysely<Database>, chunk: StagedChunk, actor: string): Promise<StagedOutcome>;
  reverseEntry(db: Kysely<Database>, input: ReverseInput): Promise<{ status: 'reversed' | 'duplicate' }>;
  /** The most payments the ledger posts in one transaction. */
  chunkSize: number;
}

export const ledgerPort: LedgerPort = {
  postStagedChunk: (db, chunk, actor) => postStagedChunk(db, chunk, actor),
  reverseEntry: (db, input) => reverseEntry(db, input),
  chunkSize: paymentChunkSize,
};
