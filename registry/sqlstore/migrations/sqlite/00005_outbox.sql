-- +goose Up

-- The outbox: e-mails and letters written in the transaction of the change
-- they tell about, delivered afterwards (package billing). idempotency_key
-- is the writer's name for the message; being unique, it keeps a re-run of
-- the writing step from sending anything twice. Times as in 00001.
--
-- next_attempt_at is when the message is next due: first its creation,
-- after a failure the end of the back-off, while a deliverer holds it the
-- end of the claim. sent_at is NULL until the message is delivered; from
-- then on the row never changes, and what a message says never changes at
-- all: the database refuses it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'letter')),
    recipient       TEXT NOT NULL CHECK (recipient <> ''),
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    sent_at         TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    -- The batch file a letter went, or is going, into.
    batch_id        TEXT NOT NULL DEFAULT '',
    CHECK (channel = 'letter' OR batch_id = '')
) STRICT;

CREATE INDEX outbox_due_idx ON outbox (channel, next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_batch_idx ON outbox (batch_id, id) WHERE batch_id <> '';

-- +goose StatementBegin
CREATE TRIGGER outbox_sent_is_final BEFORE UPDATE ON outbox
WHEN OLD.sent_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'outbox message is sent: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER outbox_content_is_final BEFORE UPDATE ON outbox
WHEN NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.channel IS NOT OLD.channel
  OR NEW.recipient IS NOT OLD.recipient OR NEW.subject IS NOT OLD.subject OR NEW.body IS NOT OLD.body
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'outbox message: what it says cannot change');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE outbox;
