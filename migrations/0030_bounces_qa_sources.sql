-- E-mail bounces (src/channels/bounces.ts) and QA samples beyond notes (src/qa/).
-- Delivery status notifications (RFC 3464) are posted to /api/v1/channels/email/bounces signed with
-- a webhook secret of provider 'smtp', kept like the SMS providers' secrets.
ALTER TABLE channel_webhook_secrets DROP CONSTRAINT channel_webhook_secrets_provider_check;
ALTER TABLE channel_webhook_secrets ADD CONSTRAINT channel_webhook_secrets_provider_check
  CHECK (provider IN ('aliyun', 'twilio', 'smtp'));

-- The weekly QA sample draws from the agent's notes, the e-mails and SMS the agent sent
-- (channel_messages, source_id the message) and the calls the agent placed (source_id the call's
-- message id; the reviewer sees its disposition and recording reference).
ALTER TABLE qa_samples DROP CONSTRAINT qa_samples_source_check;
ALTER TABLE qa_samples ADD CONSTRAINT qa_samples_source_check CHECK (source IN ('note', 'message', 'call'));
