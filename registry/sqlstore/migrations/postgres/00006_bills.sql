-- +goose Up

-- Bills of registrant-managed domains (package billing). A bill is formed
-- once per key (idempotency_key): a re-run of the daily billing run finds
-- it instead of forming another. Its lines name their domains by ROID and
-- name, not by row: a deregistered domain is purged, its line stays.
CREATE TABLE bills (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number         TEXT COLLATE "C" UNIQUE,
    bill_key       TEXT COLLATE "C" NOT NULL UNIQUE CHECK (bill_key <> ''),
    schedule_key   TEXT COLLATE "C" NOT NULL,
    collective     BOOLEAN NOT NULL,
    expiry         TIMESTAMPTZ NOT NULL,
    account_number TEXT COLLATE "C" NOT NULL DEFAULT '',
    registrant     TEXT COLLATE "C" NOT NULL DEFAULT '',
    payer          TEXT COLLATE "C" NOT NULL DEFAULT '',
    notice_to      TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL,
    fees           BIGINT NOT NULL DEFAULT 0,
    total          BIGINT NOT NULL DEFAULT 0,
    paid           BIGINT NOT NULL DEFAULT 0,
    state          TEXT NOT NULL CHECK (state IN ('noticed', 'sent', 'reminded', 'reminder-letter',
                       'final-notice', 'deactivated', 'paid', 'cancelled', 'deregistered')),
    next_step_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX bills_state_idx ON bills (state);
CREATE INDEX bills_next_step_idx ON bills (next_step_at)
    WHERE next_step_at IS NOT NULL AND state NOT IN ('paid', 'cancelled', 'deregistered');

CREATE TABLE bill_lines (
    bill_id     BIGINT NOT NULL REFERENCES bills (id),
    pos         INTEGER NOT NULL,
    domain_name TEXT COLLATE "C" NOT NULL,
    expiry      TIMESTAMPTZ NOT NULL,
    domain_roid TEXT COLLATE "C" NOT NULL,
    years       INTEGER NOT NULL CHECK (years BETWEEN 1 AND 10),
    amount      BIGINT NOT NULL,
    removed_at  TIMESTAMPTZ,
    PRIMARY KEY (bill_id, pos)
);

CREATE INDEX bill_lines_domain_idx ON bill_lines (domain_roid);

CREATE TABLE bill_events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bill_id BIGINT NOT NULL REFERENCES bills (id),
    step    TEXT COLLATE "C" NOT NULL,
    day     TIMESTAMPTZ,
    at      TIMESTAMPTZ NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    UNIQUE (bill_id, step)
);

-- Payments are kept whatever they match: bill_number is the reference
-- they came with, a bill's or not.
CREATE TABLE payments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bill_number TEXT COLLATE "C" NOT NULL DEFAULT '',
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    paid_on     TIMESTAMPTZ NOT NULL,
    reference   TEXT COLLATE "C" NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('applied', 'partial', 'unmatched')),
    actor       TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX payments_bill_idx ON payments (bill_number, id);
CREATE UNIQUE INDEX payments_reference_idx ON payments (reference) WHERE reference <> '';

-- The management model and account of a domain, kept in columns by the
-- domain store so that the billing run finds registrant-managed domains by
-- expiry without reading every domain.
ALTER TABLE domains ADD COLUMN model TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE domains ADD COLUMN account_number TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE domains SET model = COALESCE(doc->>'model', ''), account_number = COALESCE(doc->>'account', '');
CREATE INDEX domains_model_expires_idx ON domains (model, expires_at);

-- +goose Down
DROP INDEX domains_model_expires_idx;
ALTER TABLE domains DROP COLUMN account_number;
ALTER TABLE domains DROP COLUMN model;
DROP TABLE payments;
DROP TABLE bill_events;
DROP TABLE bill_lines;
DROP TABLE bills;
