-- +goose Up

-- Resellers' prepaid balances and the ledger they are the sum of. Money is
-- integer minor units (öre) with its currency: never a float.
--
-- The database itself keeps the ledger honest, whichever client writes:
-- entries are never changed or removed; an entry's balance_after must be the
-- balance it follows plus its amount; a balance must be its last entry's
-- balance_after; a balance never goes below zero.

-- currency is '' until the first entry fixes it.
CREATE TABLE balances (
    reseller_clid TEXT COLLATE "C" PRIMARY KEY REFERENCES resellers (clid),
    currency      TEXT NOT NULL DEFAULT '' CHECK (currency = '' OR currency ~ '^[A-Z]{3}$'),
    minor         BIGINT NOT NULL DEFAULT 0 CHECK (minor >= 0),
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger_entries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reseller_clid    TEXT COLLATE "C" NOT NULL REFERENCES balances (reseller_clid),
    at               TIMESTAMPTZ NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'refund', 'adjustment')),
    -- What a charge or refund paid for.
    op               TEXT NOT NULL DEFAULT '',
    domain           TEXT COLLATE "C" NOT NULL DEFAULT '',
    years            INTEGER NOT NULL DEFAULT 0 CHECK (years >= 0),
    currency         TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount           BIGINT NOT NULL,
    balance_after    BIGINT NOT NULL CHECK (balance_after >= 0),
    -- A top-up's payment reference, an adjustment's reason.
    reference        TEXT NOT NULL DEFAULT '',
    cltrid           TEXT NOT NULL DEFAULT '',
    svtrid           TEXT NOT NULL DEFAULT '',
    -- The charge a refund credits back; unique, so a charge is refunded
    -- at most once.
    refunds_entry_id BIGINT UNIQUE REFERENCES ledger_entries (id),
    CHECK ((kind = 'topup' AND amount > 0) OR (kind = 'charge' AND amount <= 0)
        OR (kind = 'refund' AND amount >= 0) OR (kind = 'adjustment' AND amount <> 0)),
    CHECK ((kind = 'refund') = (refunds_entry_id IS NOT NULL)),
    CHECK ((kind IN ('charge', 'refund')) = (op <> '' AND domain <> ''))
);

CREATE INDEX ledger_entries_reseller_idx ON ledger_entries (reseller_clid, id);
CREATE INDEX ledger_entries_charges_idx ON ledger_entries (domain, op, at) WHERE kind = 'charge';

-- +goose StatementBegin
CREATE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- A new entry follows its reseller's balance, which it locks, so that two
-- writers cannot both follow the same balance. A refund credits back exactly
-- one charge of the same reseller.
-- +goose StatementBegin
CREATE FUNCTION ledger_entry_follows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    b balances%ROWTYPE;
    c ledger_entries%ROWTYPE;
BEGIN
    SELECT * INTO b FROM balances WHERE reseller_clid = NEW.reseller_clid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger entry for %: no balance', NEW.reseller_clid
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.balance_after <> b.minor + NEW.amount THEN
        RAISE EXCEPTION 'ledger entry for %: balance after % is not the balance % plus the amount %',
            NEW.reseller_clid, NEW.balance_after, b.minor, NEW.amount
            USING ERRCODE = 'check_violation';
    END IF;
    IF b.currency <> '' AND b.currency <> NEW.currency THEN
        RAISE EXCEPTION 'ledger entry for %: currency % differs from the balance''s %',
            NEW.reseller_clid, NEW.currency, b.currency
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'refund' THEN
        SELECT * INTO c FROM ledger_entries WHERE id = NEW.refunds_entry_id;
        IF NOT FOUND OR c.kind <> 'charge' OR c.reseller_clid <> NEW.reseller_clid
           OR c.amount <> -NEW.amount OR c.currency <> NEW.currency THEN
            RAISE EXCEPTION 'refund for %: entry % is not a charge of % to %',
                NEW.reseller_clid, NEW.refunds_entry_id, -NEW.amount, NEW.reseller_clid
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER ledger_entries_follow BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_follows();

-- A balance starts at zero and then is always its last entry's
-- balance_after, in its currency.
-- +goose StatementBegin
CREATE FUNCTION balance_follows_ledger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    e ledger_entries%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.minor <> 0 THEN
            RAISE EXCEPTION 'balance of % must start at zero', NEW.reseller_clid
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.reseller_clid <> OLD.reseller_clid THEN
        RAISE EXCEPTION 'balance of % cannot move to another reseller', OLD.reseller_clid
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO e FROM ledger_entries WHERE reseller_clid = NEW.reseller_clid ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        IF NEW.minor <> 0 OR NEW.currency <> OLD.currency THEN
            RAISE EXCEPTION 'balance of % changes only with a ledger entry', NEW.reseller_clid
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.minor <> e.balance_after OR NEW.currency <> e.currency THEN
        RAISE EXCEPTION 'balance of % changes only with a ledger entry: % %, last entry % %',
            NEW.reseller_clid, NEW.currency, NEW.minor, e.currency, e.balance_after
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER balances_follow_ledger BEFORE INSERT OR UPDATE ON balances
    FOR EACH ROW EXECUTE FUNCTION balance_follows_ledger();

-- +goose Down
DROP TABLE ledger_entries;
DROP TABLE balances;
DROP FUNCTION balance_follows_ledger();
DROP FUNCTION ledger_entry_follows();
DROP FUNCTION ledger_append_only();
