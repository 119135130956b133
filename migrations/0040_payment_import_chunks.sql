-- Payment import chunks by account (src/payments/staging.ts, docs/decisions/0005): a chunk's staging
-- rows are spread over the whole file, so the ledger reads a chunk through this index rather than
-- through a range of the primary key that holds every other chunk's rows too.
CREATE INDEX payment_import_rows_chunk ON payment_import_rows (stage_id, stream, chunk, row_number);
