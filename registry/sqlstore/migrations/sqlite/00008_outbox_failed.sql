-- +goose Up

-- An e-mail whose delivery is given up (the recipient's server refused it
-- for good, or it failed too many times) is marked failed: failed_at is
-- when. It is kept, as a record, never sent and never due again until the
-- operator retries it, which clears failed_at. A message is sent or failed,
-- not both; one marked sent still never changes (00005's trigger). Times
-- as in 00001.
ALTER TABLE outbox ADD COLUMN failed_at TEXT CHECK (sent_at IS NULL OR failed_at IS NULL);

DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (channel, next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_failed_idx ON outbox (id) WHERE failed_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_failed_idx;
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (channel, next_attempt_at, id) WHERE sent_at IS NULL;
ALTER TABLE outbox DROP COLUMN failed_at;
