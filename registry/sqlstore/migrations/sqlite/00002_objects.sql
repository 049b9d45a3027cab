-- +goose Up

-- Domains, contacts and hosts. Each object is a row: the columns the
-- registry looks objects up or selects them by, and a JSON document
-- (doc) with the rest of the object as the registry package marshals it.
-- Where a field has a column, the column is authoritative. References
-- between objects are kept by row identity, in link tables and columns,
-- never in the documents, so that renaming a host renames it everywhere.
--
-- roid is set right after the insert, from the row's ID ("C" || id || "-"
-- || suffix), hence nullable; AUTOINCREMENT never reuses an ID, so ROIDs
-- are never reused either. Times are fixed-width UTC text, as in 00001.

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    roid         TEXT UNIQUE,
    contact_id   TEXT NOT NULL UNIQUE,
    sponsor_clid TEXT NOT NULL REFERENCES resellers (clid),
    creator_clid TEXT NOT NULL,
    created_at   TEXT,
    auth_info    TEXT NOT NULL DEFAULT '',
    doc          TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;

CREATE INDEX contacts_sponsor_idx ON contacts (sponsor_clid);

CREATE TABLE domains (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    roid          TEXT UNIQUE,
    name          TEXT NOT NULL UNIQUE,
    sponsor_clid  TEXT NOT NULL REFERENCES resellers (clid),
    creator_clid  TEXT NOT NULL,
    created_at    TEXT,
    expires_at    TEXT,
    deleted_at    TEXT,
    -- When the registry must next look at the domain by itself; NULL for
    -- never.
    next_event_at TEXT,
    auth_info     TEXT NOT NULL DEFAULT '',
    doc           TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;

CREATE INDEX domains_sponsor_idx ON domains (sponsor_clid);
CREATE INDEX domains_expires_idx ON domains (expires_at);
CREATE INDEX domains_deleted_idx ON domains (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX domains_next_event_idx ON domains (next_event_at, name) WHERE next_event_at IS NOT NULL;

CREATE TABLE hosts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    roid             TEXT UNIQUE,
    name             TEXT NOT NULL UNIQUE,
    sponsor_clid     TEXT NOT NULL REFERENCES resellers (clid),
    creator_clid     TEXT NOT NULL,
    created_at       TEXT,
    -- The registry's domain the host lies under; NULL for an external host.
    superordinate_id INTEGER REFERENCES domains (id),
    doc              TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;

CREATE INDEX hosts_sponsor_idx ON hosts (sponsor_clid);
CREATE INDEX hosts_superordinate_idx ON hosts (superordinate_id) WHERE superordinate_id IS NOT NULL;

-- No foreign key here cascades: removing a contact or host still referred
-- to, or a domain with subordinate hosts, fails.
CREATE TABLE domain_contacts (
    domain_id  INTEGER NOT NULL REFERENCES domains (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    type       TEXT NOT NULL CHECK (type IN ('registrant', 'admin', 'billing', 'tech')),
    PRIMARY KEY (domain_id, type, contact_id)
) STRICT;

CREATE INDEX domain_contacts_contact_idx ON domain_contacts (contact_id);

-- A domain's name servers, in the order given (position).
CREATE TABLE domain_hosts (
    domain_id INTEGER NOT NULL REFERENCES domains (id),
    host_id   INTEGER NOT NULL REFERENCES hosts (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (domain_id, host_id),
    UNIQUE (domain_id, position)
) STRICT;

CREATE INDEX domain_hosts_host_idx ON domain_hosts (host_id);

-- Poll queues. A message is removed when its recipient acknowledges it.
CREATE TABLE poll_messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_clid TEXT NOT NULL REFERENCES resellers (clid),
    queued_at      TEXT NOT NULL,
    msg            TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT '',
    data           TEXT CHECK (data IS NULL OR json_valid(data))
) STRICT;

CREATE INDEX poll_messages_recipient_idx ON poll_messages (recipient_clid, id);

-- +goose Down
DROP TABLE poll_messages;
DROP TABLE domain_hosts;
DROP TABLE domain_contacts;
DROP TABLE hosts;
DROP TABLE domains;
DROP TABLE contacts;
