/**
 * Response shapes for the OpenAPI document. They describe what the routes send; replies are written
 * by the server's JSON serializer (bigint as bare integers), not validated against these, so money
 * is declared as an integer here.
 */
import { z } from 'zod';

const int = z.number().int();
const minor = int.describe('minor units (fen, cents)');
const id = int.describe('numeric id');
const instant = z.string().describe('ISO-8601 instant, UTC');
const date = z.string().describe('YYYY-MM-DD');

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: int, page: int, page_size: int });
}

export const errorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().nullable() }),
  })
  .describe('every failure: the HTTP status follows the code');

export const contractResponse = z.object({
  id,
  version: int,
  effective_from: date,
  currency: z.string(),
  jurisdiction: z.string(),
  waterfall: z.array(z.string()),
  commission: z.array(z.object({ from_dpd: int, to_dpd: int.nullable(), rate_bp: int })),
  netting: z.boolean(),
  discount_limit_bp: int,
  accrual_allowed: z.boolean(),
  ends_on: date.nullable().describe("the contract's last day; null: open-ended"),
});

export const clientResponse = z.object({
  id,
  code: z.string(),
  name: z.string(),
  created_by: z.string().optional(),
  created_at: instant.optional(),
  contract: contractResponse.optional(),
  contracts: z.array(contractResponse).optional(),
});

const rowError = z.object({ row: int, column: z.string(), reason: z.string() });
const totals = z.array(z.object({ currency: z.string(), accounts: int, placed_total_minor: minor }));

export const batchResponse = z.object({
  batch_id: id,
  client: z.string(),
  name: z.string(),
  status: z.enum(['pending_approval', 'approved', 'rejected']),
  file_name: z.string(),
  file_sha256: z.string(),
  file_format: z.string(),
  file_encoding: z.string().nullable(),
  rows: int,
  accepted: int,
  rejected: int,
  duplicates: int,
  placed_total_minor: minor,
  currency: z.string().nullable(),
  recall_date: date.nullable(),
  proposed_by: z.string(),
  proposed_at: instant,
  decided_by: z.string().nullable(),
  decided_at: instant.nullable(),
  reject_reason: z.string().nullable(),
});

export const batchDetailResponse = batchResponse.extend({
  totals,
  errors: z.array(rowError),
  errors_total: int,
  errors_csv: z.string().nullable(),
});

export const importResponse = z.object({
  batch_id: id.nullable(),
  already_imported: z.boolean(),
  client: z.string(),
  status: z.string().nullable(),
  file: z.string(),
  format: z.string(),
  encoding: z.string().nullable(),
  rows: int,
  accepted: int,
  rejected: int,
  duplicates: int,
  totals,
  unknown_columns: z.array(z.string()),
  errors: z.array(rowError),
  error_file: z.string().nullable().describe('where to download the bad rows as CSV'),
});

export const accountRow = z.object({
  id,
  client: z.string(),
  client_id: id,
  batch_id: id,
  ref: z.string(),
  debtor_id: id,
  debtor_name: z.string(),
  status: z.string(),
  product_type: z.string().nullable(),
  currency: z.string(),
  principal_minor: minor,
  interest_minor: minor,
  fees_minor: minor,
  penalty_minor: minor,
  overpayment_minor: minor,
  balance_minor: minor,
  delinquency_date: date,
  days_past_due: int,
  bucket: z.string(),
});

export const accountPage = pageOf(accountRow).extend({
  total_capped: z
    .boolean()
    .describe(
      'true when total is a lower bound: more than 10,000 matches, or, with status / bucket / balance filters, counting stopped after reading 50,000 accounts per client',
    ),
});

const components = z.object({
  principal_minor: minor,
  interest_minor: minor,
  fees_minor: minor,
  penalty_minor: minor,
  total_minor: minor,
});

export const accountDetailResponse = z.object({
  id,
  client: z.string(),
  client_id: id,
  batch_id: id,
  ref: z.string(),
  status: z.string(),
  currency: z.string(),
  product_type: z.string().nullable(),
  original_creditor: z.string().nullable(),
  delinquency_date: date,
  charge_off_date: date.nullable(),
  open_date: date.nullable(),
  last_payment_date: date.nullable(),
  last_payment_amount_minor: minor.nullable(),
  notes: z.string().nullable(),
  days_past_due: int,
  bucket: z.string().describe('current, M1 (1–30 days past due) … M6 (151–180), M6+'),
  balance: components.extend({ overpayment_minor: minor }),
  placed: components,
  debtor: z.object({
    id,
    name: z.string(),
    id_number_masked: z.string().nullable(),
    date_of_birth: date.nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string().nullable(),
    contact_points: z.array(
      z.object({
        id,
        kind: z.enum(['phone', 'email']),
        position: int,
        masked: z.string(),
        status: z.string(),
      }),
    ),
  }),
});

export const ledgerPage = z.object({
  items: z.array(
    z.object({
      entry_id: id,
      kind: z.string(),
      effective_date: date,
      currency: z.string(),
      external_id: z.string().nullable(),
      reverses_entry_id: id.nullable(),
      reversed_by_entry_id: id.nullable(),
      commission_rate_bp: int.nullable(),
      days_past_due: int.nullable(),
      commission_exact_numerator: int.nullable(),
      reason: z.string().nullable(),
      source: z.string().nullable(),
      created_by: z.string(),
      created_at: instant,
      postings: z.array(z.object({ line: int, ledger_account: z.string(), amount_minor: minor })),
    }),
  ),
  total: int,
  page_size: int,
  next_before_entry_id: id.nullable().describe('pass as before_entry_id for the next (older) page'),
});

export const timelinePage = pageOf(
  z.object({
    at: instant,
    type: z.enum(['event', 'entry', 'note', 'message', 'delivery', 'reply', 'action']),
    id,
    kind: z.string(),
    actor: z.string(),
    text: z.string().nullable(),
    from_status: z.string().nullable(),
    to_status: z.string().nullable(),
    entry_id: id.nullable(),
    effective_date: date.nullable(),
    amount_minor: minor.nullable().describe('what the entry moved on the debt (negative reduces it)'),
  }),
);

export const noteResponse = z.object({
  id,
  account_id: id,
  body: z.string(),
  author: z.string(),
  created_at: instant,
});

export const revealResponse = z.object({
  account_id: id,
  field: z.enum(['id_number', 'phone']),
  contact_point_id: id.nullable(),
  value: z.string().nullable(),
});

export const balanceResponse = z.object({
  client: z.string(),
  currency: z.string().nullable(),
  accounts: int,
  principal_minor: minor,
  interest_minor: minor,
  fees_minor: minor,
  penalty_minor: minor,
  overpayment_minor: minor,
  total_minor: minor,
  collected_minor: minor,
  direct_paid_minor: minor,
  discounts_minor: minor,
  commission_minor: minor,
  payable_minor: minor,
});

export const claimResponse = z.object({
  id,
  client: z.string(),
  client_id: id,
  account_id: id,
  account_ref: z.string(),
  debtor_name: z.string(),
  amount_minor: minor,
  currency: z.string(),
  paid_on: date,
  channel: z.string(),
  reference: z.string().nullable(),
  status: z.enum(['pending', 'verified', 'rejected']),
  claimed_by: z.string(),
  claimed_at: instant,
  decided_by: z.string().nullable(),
  decided_at: instant.nullable(),
  reject_reason: z.string().nullable(),
  entry_id: id.nullable(),
});

export const paymentImportResponse = z.object({
  import_id: id,
  client: z.string(),
  file: z.string(),
  sha256: z.string(),
  rows: int,
  posted: int,
  reversed: int,
  duplicates: int,
  rejected: int,
  currency: z.string().nullable(),
  posted_total_minor: minor,
  reversed_total_minor: minor,
  commission_minor: minor,
  errors: z.array(rowError),
  duplicate_rows: z.array(z.object({ row: int, external_id: z.string(), reason: z.string() })),
  nothing_changed: z.boolean(),
});

export const reversalResponse = z.object({
  status: z.enum(['reversed', 'duplicate']),
  entry_id: id,
  reversed_entry_id: id,
  account_status: z.string().nullable(),
});

export const proposalOutcome = z.object({
  kind: z.string(),
  account_id: id,
  status: z.enum(['posted', 'proposed', 'agreed']),
  entry_id: id.nullable().optional(),
  proposal_id: id.optional(),
  settlement_id: id.optional(),
});

export const approvalItem = z.object({
  id,
  client_id: id,
  client_code: z.string(),
  account_id: id.nullable(),
  account_ref: z.string().nullable(),
  kind: z.enum(['discount', 'settlement', 'write_off', 'recall', 'adjustment']),
  status: z.enum(['pending', 'approved', 'rejected']),
  reason: z.string().nullable(),
  payload: z.unknown(),
  proposed_by: z.string(),
  proposed_at: instant,
  decided_by: z.string().nullable(),
  decided_at: instant.nullable(),
  decision_reason: z.string().nullable(),
  entry_id: id.nullable(),
  own: z.boolean().describe('proposed by the caller, who may not decide it'),
});

export const decisionResponse = z.object({
  proposal_id: id,
  kind: z.string(),
  status: z.enum(['approved', 'rejected']),
  entry_id: id.nullable().optional(),
  settlement_id: id.nullable().optional(),
});

export const batchDecisionResponse = z
  .object({ batch_id: id, client: z.string(), status: z.string() })
  .passthrough();

export const bucketsResponse = z.object({
  as_of: date,
  items: z.array(z.object({ bucket: z.string(), currency: z.string(), accounts: int, balance_minor: minor })),
});

export const collectionsResponse = z.object({
  from: date,
  to: date,
  items: z.array(
    z.object({
      date,
      currency: z.string(),
      collected_minor: minor,
      direct_paid_minor: minor,
      total_minor: minor,
      payments: int,
    }),
  ),
});

/**
 * Response schemas for the document only: typed as plain values so the route handlers' return
 * types (bigint money) are not checked against them, and serialised by the server's JSON writer.
 */
export function documented(shapes: Record<number, z.ZodType>): Record<string, unknown> {
  return { ...shapes, '4XX': errorResponse, '5XX': errorResponse };
}
