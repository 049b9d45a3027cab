-- +goose Up

-- Account merging (registry/merge.go) moves everything an account owns to
-- another account; these columns and indexes find it without reading
-- every object. The contact's account stays in its document too, as the
-- domain's does: the column is authoritative.
ALTER TABLE contacts ADD COLUMN account_number TEXT NOT NULL DEFAULT '';
UPDATE contacts SET account_number = COALESCE(json_extract(doc, '$.account'), '');
CREATE INDEX contacts_account_idx ON contacts (account_number) WHERE account_number <> '';
CREATE INDEX domains_account_idx ON domains (account_number) WHERE account_number <> '';
CREATE INDEX bills_account_idx ON bills (account_number) WHERE account_number <> '';
CREATE INDEX consent_tokens_account_idx ON consent_tokens (account_number);

-- A customer account's inbox: what the registry tells the account holder,
-- kept for the self-service channel to show. The e-mail that goes with a
-- message is in the outbox. Times as in 00001.
CREATE TABLE account_messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_number TEXT NOT NULL REFERENCES accounts (number),
    created_at     TEXT NOT NULL,
    subject        TEXT NOT NULL CHECK (subject <> ''),
    body           TEXT NOT NULL DEFAULT '',
    -- The writer's name for the message, if it has one: unique, so that a
    -- step run again adds it once.
    message_key    TEXT UNIQUE,
    -- The domain the message is about, if one.
    domain         TEXT NOT NULL DEFAULT '',
    read_at        TEXT
) STRICT;

CREATE INDEX account_messages_account_idx ON account_messages (account_number, id);

-- +goose Down
DROP TABLE account_messages;
DROP INDEX consent_tokens_account_idx;
DROP INDEX bills_account_idx;
DROP INDEX domains_account_idx;
DROP INDEX contacts_account_idx;
ALTER TABLE contacts DROP COLUMN account_number;
