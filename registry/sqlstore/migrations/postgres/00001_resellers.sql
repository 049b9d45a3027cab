-- +goose Up

-- clid sorts bytewise (COLLATE "C") so that listings come out in the same
-- order as on SQLite, whatever the database's default collation.
CREATE TABLE resellers (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clid          TEXT COLLATE "C" NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    password_hash TEXT NOT NULL,
    -- Comma-separated CIDR prefixes; empty means any source address.
    allowed_nets  TEXT NOT NULL DEFAULT '',
    max_sessions  INTEGER NOT NULL DEFAULT 0 CHECK (max_sessions >= 0),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE reseller_certs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reseller_id BIGINT NOT NULL REFERENCES resellers (id),
    match       TEXT NOT NULL CHECK (match IN ('fingerprint', 'subject')),
    fingerprint TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    issuer      TEXT NOT NULL DEFAULT '',
    not_after   TIMESTAMPTZ,
    note        TEXT NOT NULL DEFAULT '',
    added_at    TIMESTAMPTZ NOT NULL
);

-- A certificate identifies one reseller only, so a registration is unique
-- across all resellers, by the attribute it is matched on.
CREATE UNIQUE INDEX reseller_certs_fingerprint_key ON reseller_certs (fingerprint) WHERE match = 'fingerprint';
CREATE UNIQUE INDEX reseller_certs_subject_key ON reseller_certs (subject, issuer) WHERE match = 'subject';
CREATE INDEX reseller_certs_reseller_idx ON reseller_certs (reseller_id, id);

CREATE TABLE login_failures (
    clid TEXT NOT NULL,
    addr TEXT NOT NULL,
    at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX login_failures_idx ON login_failures (clid, addr, at);

CREATE TABLE history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    object_type TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    session_id  TEXT NOT NULL DEFAULT '',
    cltrid      TEXT NOT NULL DEFAULT '',
    svtrid      TEXT NOT NULL DEFAULT '',
    -- JSON rather than JSONB: the state is kept byte for byte as written.
    state       JSON
);

CREATE INDEX history_object_idx ON history (object_type, object_key, id);

-- History is evidence: the database itself refuses to change or remove it,
-- whichever client asks.
-- +goose StatementBegin
CREATE FUNCTION history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER history_no_change BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- +goose Down
DROP TABLE history;
DROP FUNCTION history_append_only();
DROP TABLE login_failures;
DROP TABLE reseller_certs;
DROP TABLE resellers;
