-- +goose Up

-- The outbox: e-mails and letters written in the transaction of the change
-- they tell about, delivered afterwards (package billing). idempotency_key
-- is the writer's name for the message; being unique, it keeps a re-run of
-- the writing step from sending anything twice.
--
-- next_attempt_at is when the message is next due: first its creation,
-- after a failure the end of the back-off, while a deliverer holds it the
-- end of the claim. sent_at is NULL until the message is delivered; from
-- then on the row never changes, and what a message says never changes at
-- all: the database refuses it.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT COLLATE "C" NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'letter')),
    recipient       TEXT NOT NULL CHECK (recipient <> ''),
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    -- The batch file a letter went, or is going, into.
    batch_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
    CHECK (channel = 'letter' OR batch_id = '')
);

CREATE INDEX outbox_due_idx ON outbox (channel, next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_batch_idx ON outbox (batch_id, id) WHERE batch_id <> '';

-- +goose StatementBegin
CREATE FUNCTION outbox_sent_is_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sent_at IS NOT NULL THEN
        RAISE EXCEPTION 'outbox message % is sent: UPDATE refused', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.idempotency_key <> OLD.idempotency_key OR NEW.channel <> OLD.channel
       OR NEW.recipient <> OLD.recipient OR NEW.subject <> OLD.subject OR NEW.body <> OLD.body
       OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'outbox message %: what it says cannot change', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER outbox_sent_is_final BEFORE UPDATE ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_sent_is_final();

-- +goose Down
DROP TABLE outbox;
DROP FUNCTION outbox_sent_is_final();
