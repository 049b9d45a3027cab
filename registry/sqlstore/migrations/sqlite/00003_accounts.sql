-- +goose Up

-- Customer accounts: a registrant's own account at the registry, tied to
-- one identity number. number is set right after the insert, from the row's
-- ID (100000 + id), hence nullable; AUTOINCREMENT never reuses an ID, so
-- customer numbers are never reused either. identity_key is
-- registry.Identity.Key(), which finds every account of one person or
-- organisation however the number was written. Times as in 00001.
CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    number           TEXT UNIQUE,
    handle           TEXT NOT NULL UNIQUE
                     CHECK (length(handle) = 6 AND handle NOT GLOB '*[^a-z]*'),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    identity_kind    TEXT NOT NULL,
    identity_number  TEXT NOT NULL,
    identity_country TEXT NOT NULL DEFAULT '',
    identity_key     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'closed', 'merged')),
    -- The account a merged account went into: its tombstone's forwarding
    -- address.
    merged_into      TEXT REFERENCES accounts (number),
    -- The last sequence number of a contact ID generated for the account.
    contact_seq      INTEGER NOT NULL DEFAULT 0 CHECK (contact_seq >= 0),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((status = 'merged') = (merged_into IS NOT NULL))
) STRICT;

CREATE INDEX accounts_identity_idx ON accounts (identity_key, id);

-- Single-use authorisations a registrant gets to put a domain under a
-- reseller's management. Only the token's SHA-256 is kept.
CREATE TABLE consent_tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    hash           TEXT NOT NULL UNIQUE,
    domain         TEXT NOT NULL,
    account_number TEXT NOT NULL REFERENCES accounts (number),
    -- NULL: any reseller may use it.
    reseller_clid  TEXT REFERENCES resellers (clid),
    issued_by      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
) STRICT;

CREATE INDEX consent_tokens_domain_idx ON consent_tokens (domain);

-- The management model of the domains a reseller creates without saying
-- which: '' is the registry's default (reseller management).
ALTER TABLE resellers ADD COLUMN default_model TEXT NOT NULL DEFAULT ''
    CHECK (default_model IN ('', 'reseller', 'registrant'));

-- The registry itself, sponsor of registrant-managed domains and of the
-- contacts customer accounts own. It can never log in: it is suspended, its
-- password hash is no hash at all, and it has no certificates.
INSERT INTO resellers (clid, name, email, status, password_hash, created_at, updated_at)
VALUES ('registry', 'The registry (registrant-managed domains)', '', 'suspended', '!',
        strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z', strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z');

-- +goose Down
DELETE FROM resellers WHERE clid = 'registry';
ALTER TABLE resellers DROP COLUMN default_model;
DROP TABLE consent_tokens;
DROP TABLE accounts;
