/** The channels' response schemas shared by their route files. */
import { z } from 'zod';
import { allChannels } from './model.ts';

const int = z.number().int();

export const messageResponse = z.object({
  id: int,
  account_id: int,
  contact_point_id: int.nullable().describe("null for a letter (the debtor's postal address)"),
  channel: z.enum(allChannels),
  provider: z.string(),
  recipient: z.string().describe('masked'),
  status: z.enum([
    'pending',
    'blocked',
    'sending',
    'sent',
    'failed',
    'delivered',
    'undelivered',
    'queued',
    'printed',
  ]),
  verdict: z.string().nullable(),
  reasons: z.array(z.string()).describe("the gate's reason codes (deny) or conditions"),
  subject: z.string().nullable(),
  text: z.string(),
  provider_message_id: z.string().nullable(),
  error: z.string().nullable(),
  send_attempts: int,
  idempotency_key: z.string(),
  actor: z.string(),
  created_at: z.string(),
  sent_at: z.string().nullable(),
  status_at: z.string(),
});
