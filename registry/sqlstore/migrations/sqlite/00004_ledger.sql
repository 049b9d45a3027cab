-- +goose Up

-- Resellers' prepaid balances and the ledger they are the sum of. Money is
-- integer minor units (öre) with its currency: never a float. Times as in
-- 00001.
--
-- The database itself keeps the ledger honest, whichever client writes:
-- entries are never changed or removed; an entry's balance_after must be the
-- balance it follows plus its amount; a balance must be its last entry's
-- balance_after; a balance never goes below zero. (Every SQLite transaction
-- of the store holds the write lock, so no row locks are needed.)

-- currency is '' until the first entry fixes it.
CREATE TABLE balances (
    reseller_clid TEXT PRIMARY KEY REFERENCES resellers (clid),
    currency      TEXT NOT NULL DEFAULT ''
                  CHECK (currency = '' OR (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*')),
    minor         INTEGER NOT NULL DEFAULT 0 CHECK (minor >= 0),
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE ledger_entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    reseller_clid    TEXT NOT NULL REFERENCES balances (reseller_clid),
    at               TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'refund', 'adjustment')),
    -- What a charge or refund paid for.
    op               TEXT NOT NULL DEFAULT '',
    domain           TEXT NOT NULL DEFAULT '',
    years            INTEGER NOT NULL DEFAULT 0 CHECK (years >= 0),
    currency         TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    amount           INTEGER NOT NULL,
    balance_after    INTEGER NOT NULL CHECK (balance_after >= 0),
    -- A top-up's payment reference, an adjustment's reason.
    reference        TEXT NOT NULL DEFAULT '',
    cltrid           TEXT NOT NULL DEFAULT '',
    svtrid           TEXT NOT NULL DEFAULT '',
    -- The charge a refund credits back; unique, so a charge is refunded
    -- at most once.
    refunds_entry_id INTEGER UNIQUE REFERENCES ledger_entries (id),
    CHECK ((kind = 'topup' AND amount > 0) OR (kind = 'charge' AND amount <= 0)
        OR (kind = 'refund' AND amount >= 0) OR (kind = 'adjustment' AND amount <> 0)),
    CHECK ((kind = 'refund') = (refunds_entry_id IS NOT NULL)),
    CHECK ((kind IN ('charge', 'refund')) = (op <> '' AND domain <> ''))
) STRICT;

CREATE INDEX ledger_entries_reseller_idx ON ledger_entries (reseller_clid, id);
CREATE INDEX ledger_entries_charges_idx ON ledger_entries (domain, op, at) WHERE kind = 'charge';

-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- A new entry follows its reseller's balance. A refund credits back exactly
-- one charge of the same reseller.
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_follow BEFORE INSERT ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entry: the reseller has no balance')
    WHERE NOT EXISTS (SELECT 1 FROM balances WHERE reseller_clid = NEW.reseller_clid);
    SELECT RAISE(ABORT, 'ledger entry: balance after is not the balance plus the amount')
    WHERE NEW.balance_after <> (SELECT minor FROM balances WHERE reseller_clid = NEW.reseller_clid) + NEW.amount;
    SELECT RAISE(ABORT, 'ledger entry: currency differs from the balance''s')
    WHERE (SELECT currency FROM balances WHERE reseller_clid = NEW.reseller_clid) NOT IN ('', NEW.currency);
    SELECT RAISE(ABORT, 'refund: the entry refunded is not a charge of the same amount to the same reseller')
    WHERE NEW.kind = 'refund' AND NOT EXISTS (
        SELECT 1 FROM ledger_entries c
        WHERE c.id = NEW.refunds_entry_id AND c.kind = 'charge' AND c.reseller_clid = NEW.reseller_clid
          AND c.amount = -NEW.amount AND c.currency = NEW.currency);
END;
-- +goose StatementEnd

-- A balance starts at zero and then is always its last entry's
-- balance_after, in its currency.
-- +goose StatementBegin
CREATE TRIGGER balances_start_at_zero BEFORE INSERT ON balances
WHEN NEW.minor <> 0
BEGIN
    SELECT RAISE(ABORT, 'a balance must start at zero');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER balances_follow_ledger BEFORE UPDATE ON balances
WHEN NEW.reseller_clid <> OLD.reseller_clid
  OR NEW.minor <> coalesce((SELECT balance_after FROM ledger_entries
                            WHERE reseller_clid = NEW.reseller_clid ORDER BY id DESC LIMIT 1), 0)
  OR NEW.currency <> coalesce((SELECT currency FROM ledger_entries
                               WHERE reseller_clid = NEW.reseller_clid ORDER BY id DESC LIMIT 1), OLD.currency)
BEGIN
    SELECT RAISE(ABORT, 'a balance changes only with a ledger entry');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE ledger_entries;
DROP TABLE balances;
