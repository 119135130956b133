-- Call scripts (issue 5 point 7; src/templates/, the agent workspace): a template of channel 'script'
-- is what an agent reads on the phone for the account's strategy segment (code = the segment's code,
-- fallback 'default'), per language. Scripts are never sent, so the rule gate does not apply to them,
-- but like every template they are proposed, QA-checked for forbidden language and approved by another user.
ALTER TABLE message_templates DROP CONSTRAINT message_templates_channel_check;
ALTER TABLE message_templates
  ADD CONSTRAINT message_templates_channel_check CHECK (channel IN ('sms', 'email', 'letter', 'script'));
