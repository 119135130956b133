-- The account list's bucket filter (days past due → a delinquency-date range) within a client: without
-- an index a rare bucket (current, or M1 in an old portfolio) read every account of the client to fill
-- one page (≈ 100 ms for 400,000 accounts) and to count. delinquency_date never changes once placed,
-- so the index costs the payments' balance updates nothing (they stay heap-only); a placement writes
-- one more index entry per account.
CREATE INDEX accounts_client_delinquency ON accounts (client_id, delinquency_date);
