-- The payment import's staging rows (src/payments/staging.ts) are copied on one connection while the
-- file is read, one chunk after another, and that COPY was the read's critical path: each chunk
-- waited for the one before. The two indexes were half of COPY's server time (194,000 staging
-- rows: 0.52 s with both, 0.25 s with none, 0.35 s with the one below). Every reader of the staging
-- rows finds them by stage and chunk (the posting of a chunk, its dates and locks) or by stage alone
-- (the repeats within the file, the reversals' payments, the discard); none by row number. So the
-- primary key answered nothing the chunk index did not, and row_number in the chunk index only
-- ordered rows the posting statement sorts itself. The repeats are deleted by row version (ctid).
ALTER TABLE payment_import_rows DROP CONSTRAINT payment_import_rows_pkey;
DROP INDEX payment_import_rows_chunk;
CREATE INDEX payment_import_rows_chunk ON payment_import_rows (stage_id, stream, chunk);
