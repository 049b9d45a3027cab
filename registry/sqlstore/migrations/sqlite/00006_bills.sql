-- +goose Up

-- Bills of registrant-managed domains: see the PostgreSQL migration.
-- Times as in 00001.
CREATE TABLE bills (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT UNIQUE,
    bill_key       TEXT NOT NULL UNIQUE CHECK (bill_key <> ''),
    schedule_key   TEXT NOT NULL,
    collective     INTEGER NOT NULL,
    expiry         TEXT NOT NULL,
    account_number TEXT NOT NULL DEFAULT '',
    registrant     TEXT NOT NULL DEFAULT '',
    payer          TEXT NOT NULL DEFAULT '',
    notice_to      TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL,
    fees           INTEGER NOT NULL DEFAULT 0,
    total          INTEGER NOT NULL DEFAULT 0,
    paid           INTEGER NOT NULL DEFAULT 0,
    state          TEXT NOT NULL CHECK (state IN ('noticed', 'sent', 'reminded', 'reminder-letter',
                       'final-notice', 'deactivated', 'paid', 'cancelled', 'deregistered')),
    next_step_at   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE INDEX bills_state_idx ON bills (state);
CREATE INDEX bills_next_step_idx ON bills (next_step_at)
    WHERE next_step_at IS NOT NULL AND state NOT IN ('paid', 'cancelled', 'deregistered');

CREATE TABLE bill_lines (
    bill_id     INTEGER NOT NULL REFERENCES bills (id),
    pos         INTEGER NOT NULL,
    domain_name TEXT NOT NULL,
    expiry      TEXT NOT NULL,
    domain_roid TEXT NOT NULL,
    years       INTEGER NOT NULL CHECK (years BETWEEN 1 AND 10),
    amount      INTEGER NOT NULL,
    removed_at  TEXT,
    PRIMARY KEY (bill_id, pos)
) STRICT;

CREATE INDEX bill_lines_domain_idx ON bill_lines (domain_roid);

CREATE TABLE bill_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    bill_id INTEGER NOT NULL REFERENCES bills (id),
    step    TEXT NOT NULL,
    day     TEXT,
    at      TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    UNIQUE (bill_id, step)
) STRICT;

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bill_number TEXT NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    paid_on     TEXT NOT NULL,
    reference   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('applied', 'partial', 'unmatched')),
    actor       TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
) STRICT;

CREATE INDEX payments_bill_idx ON payments (bill_number, id);
CREATE UNIQUE INDEX payments_reference_idx ON payments (reference) WHERE reference <> '';

ALTER TABLE domains ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE domains ADD COLUMN account_number TEXT NOT NULL DEFAULT '';
UPDATE domains SET model = COALESCE(json_extract(doc, '$.model'), ''),
                   account_number = COALESCE(json_extract(doc, '$.account'), '');
CREATE INDEX domains_model_expires_idx ON domains (model, expires_at);

-- +goose Down
DROP INDEX domains_model_expires_idx;
ALTER TABLE domains DROP COLUMN account_number;
ALTER TABLE domains DROP COLUMN model;
DROP TABLE payments;
DROP TABLE bill_events;
DROP TABLE bill_lines;
DROP TABLE bills;
