-- The e-mail digest's claim becomes a lease (src/notifications/service.ts, sendDigests). It used to
-- claim a user's unsent notices by setting emailed_at before the SMTP send and clear it again on a
-- failure: a process that crashed or was killed between the claim and the send left notices marked
-- e-mailed that never were, and no later digest carried them. Now the claim is digest_claimed_at,
-- emailed_at is set only once the SMTP server has accepted the digest, and a claim older than the
-- lease (15 minutes, far longer than a send can take) is a crashed send that the next run takes over.
ALTER TABLE notifications ADD COLUMN digest_claimed_at timestamptz;

-- No new index: the claim reads a user's unsent notices through notifications_unsent
-- (user_id, id) WHERE emailed_at IS NULL (migration 0034); the lease test is a filter on the rows
-- that index returns, which are only the user's notices still waiting for a digest.
