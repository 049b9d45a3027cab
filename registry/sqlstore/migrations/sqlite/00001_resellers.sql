-- +goose Up

-- Times are TEXT in UTC, RFC 3339 with exactly six fractional digits
-- ("2006-01-02T15:04:05.000000Z"): fixed width, so they compare and sort
-- as strings. AUTOINCREMENT keeps the ID of a removed row from coming back.

CREATE TABLE resellers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    clid          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    password_hash TEXT NOT NULL,
    -- Comma-separated CIDR prefixes; empty means any source address.
    allowed_nets  TEXT NOT NULL DEFAULT '',
    max_sessions  INTEGER NOT NULL DEFAULT 0 CHECK (max_sessions >= 0),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE reseller_certs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    reseller_id INTEGER NOT NULL REFERENCES resellers (id),
    match       TEXT NOT NULL CHECK (match IN ('fingerprint', 'subject')),
    fingerprint TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    issuer      TEXT NOT NULL DEFAULT '',
    not_after   TEXT,
    note        TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL
) STRICT;

-- A certificate identifies one reseller only, so a registration is unique
-- across all resellers, by the attribute it is matched on.
CREATE UNIQUE INDEX reseller_certs_fingerprint_key ON reseller_certs (fingerprint) WHERE match = 'fingerprint';
CREATE UNIQUE INDEX reseller_certs_subject_key ON reseller_certs (subject, issuer) WHERE match = 'subject';
CREATE INDEX reseller_certs_reseller_idx ON reseller_certs (reseller_id, id);

CREATE TABLE login_failures (
    clid TEXT NOT NULL,
    addr TEXT NOT NULL,
    at   TEXT NOT NULL
) STRICT;

CREATE INDEX login_failures_idx ON login_failures (clid, addr, at);

CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    session_id  TEXT NOT NULL DEFAULT '',
    cltrid      TEXT NOT NULL DEFAULT '',
    svtrid      TEXT NOT NULL DEFAULT '',
    state       TEXT CHECK (state IS NULL OR json_valid(state))
) STRICT;

CREATE INDEX history_object_idx ON history (object_type, object_key, id);

-- History is evidence: the database itself refuses to change or remove it,
-- whichever client asks.
-- +goose StatementBegin
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE history;
DROP TABLE login_failures;
DROP TABLE reseller_certs;
DROP TABLE resellers;
