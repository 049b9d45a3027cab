package sqlstore

// Customer accounts and consent tokens. An account's customer number is
// 100000 + its row ID, written right after the insert (the row ID is not
// known before it): IDs are never reused, so neither are numbers. Accounts
// list by row ID, which is the numeric order of their numbers (string
// order would put "1000000" before "999999").

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/eppd/eppd/registry"
)

// firstAccountNumber is the customer number of the account with row ID 0;
// the first account is 100001.
const firstAccountNumber = 100000

const accountColumns = `id, number, handle, name, email, identity_kind, identity_number, identity_country,
	status, merged_into, created_at, updated_at`

func scanAccount(row rowScanner, a *registry.Account) error {
	var (
		number, mergedInto sql.NullString
		kind, status       string
	)
	err := row.Scan(&a.ID, &number, &a.Handle, &a.Name, &a.Email, &kind, &a.Identity.Number,
		&a.Identity.Country, &status, &mergedInto, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	a.Number, a.MergedInto = number.String, mergedInto.String
	a.Identity.Kind, a.Status = registry.IdentityKind(kind), registry.AccountStatus(status)
	return err
}

// nullString is s as a query argument, with "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) CreateAccount(ctx context.Context, a *registry.Account) error {
	now := t.now()
	created, updated := a.CreatedAt, a.UpdatedAt
	if created.IsZero() {
		created = now
	}
	if updated.IsZero() {
		updated = created
	}
	created, updated = normTime(created), normTime(updated)
	status := a.Status
	if status == "" {
		status = registry.AccountActive
	}
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO accounts (handle, name, email, identity_kind, identity_number, identity_country,
			                      identity_key, status, merged_into, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING id`,
			a.Handle, a.Name, a.Email, string(a.Identity.Kind), a.Identity.Number, a.Identity.Country,
			a.Identity.Key(), string(status), nullString(a.MergedInto), t.timeArg(created), t.timeArg(updated),
		).Scan(&id)
	})
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "account handle %q is taken", a.Handle)
	case isForeignKeyViolation(err):
		return registry.Errorf(registry.KindNotFound, "account %q, which the new account was merged into, not found", a.MergedInto)
	default:
		return fmt.Errorf("create account with handle %q: %w", a.Handle, err)
	}
	number := strconv.FormatInt(firstAccountNumber+id, 10)
	if _, err := t.tx.ExecContext(ctx, `UPDATE accounts SET number = $1 WHERE id = $2`, number, id); err != nil {
		return fmt.Errorf("number account %d: %w", id, err)
	}
	a.ID, a.Number, a.Status, a.CreatedAt, a.UpdatedAt = id, number, status, created, updated
	return nil
}

func (t *tx) Account(ctx context.Context, number string) (*registry.Account, error) {
	return t.account(ctx, number, false)
}

func (t *tx) LockAccount(ctx context.Context, number string) (*registry.Account, error) {
	return t.account(ctx, number, true)
}

func (t *tx) account(ctx context.Context, number string, lock bool) (*registry.Account, error) {
	q := `SELECT ` + accountColumns + ` FROM accounts WHERE number = $1` + t.forUpdate(lock)
	var a registry.Account
	if err := scanAccount(t.tx.QueryRowContext(ctx, q, number), &a); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, registry.Errorf(registry.KindNotFound, "account %q not found", number)
		}
		return nil, fmt.Errorf("read account %q: %w", number, err)
	}
	return &a, nil
}

func (t *tx) AccountsByIdentity(ctx context.Context, key string) ([]registry.Account, error) {
	return t.accounts(ctx, `WHERE identity_key = $1`, key)
}

func (t *tx) Accounts(ctx context.Context) ([]registry.Account, error) {
	return t.accounts(ctx, ``)
}

func (t *tx) accounts(ctx context.Context, where string, args ...any) ([]registry.Account, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []registry.Account
	for rows.Next() {
		var a registry.Account
		if err := scanAccount(rows, &a); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateAccount(ctx context.Context, a *registry.Account) error {
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = t.now()
	}
	updated = normTime(updated)
	var res sql.Result
	err := t.savepoint(ctx, func() error {
		var err error
		res, err = t.tx.ExecContext(ctx, `
			UPDATE accounts
			SET name = $2, email = $3, identity_kind = $4, identity_number = $5, identity_country = $6,
			    identity_key = $7, status = $8, merged_into = $9, updated_at = $10
			WHERE id = $1`,
			a.ID, a.Name, a.Email, string(a.Identity.Kind), a.Identity.Number, a.Identity.Country,
			a.Identity.Key(), string(a.Status), nullString(a.MergedInto), t.timeArg(updated))
		return err
	})
	switch {
	case err == nil:
	case isForeignKeyViolation(err):
		return registry.Errorf(registry.KindNotFound, "account %q, which account %q was merged into, not found", a.MergedInto, a.Number)
	default:
		return fmt.Errorf("update account %q: %w", a.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update account %q: %w", a.Number, err)
	} else if n == 0 {
		return registry.Errorf(registry.KindNotFound, "account %q not found", a.Number)
	}
	a.UpdatedAt = updated
	return nil
}

// NextContactSeq counts in the account's row: the UPDATE takes the row's
// lock, so concurrent transactions queue and each reads the count the one
// before it left.
func (t *tx) NextContactSeq(ctx context.Context, accountNumber string) (int, error) {
	var seq int64
	err := t.tx.QueryRowContext(ctx,
		`UPDATE accounts SET contact_seq = contact_seq + 1 WHERE number = $1 RETURNING contact_seq`,
		accountNumber).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, registry.Errorf(registry.KindNotFound, "account %q not found", accountNumber)
	}
	if err != nil {
		return 0, fmt.Errorf("next contact sequence number of account %q: %w", accountNumber, err)
	}
	return int(seq), nil
}

const consentTokenColumns = `id, hash, domain, account_number, reseller_clid, issued_by, issued_at, expires_at, used_at`

func scanConsentToken(row rowScanner, c *registry.ConsentToken) error {
	var reseller sql.NullString
	err := row.Scan(&c.ID, &c.Hash, &c.Domain, &c.AccountNumber, &reseller, &c.IssuedBy,
		timeCol{&c.IssuedAt}, timeCol{&c.ExpiresAt}, timeCol{&c.UsedAt})
	c.ResellerClID = reseller.String
	return err
}

func (t *tx) CreateConsentToken(ctx context.Context, c *registry.ConsentToken) error {
	issued := c.IssuedAt
	if issued.IsZero() {
		issued = t.now()
	}
	issued = normTime(issued)
	expires, used := c.ExpiresAt, c.UsedAt
	normTimes(&expires, &used)
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO consent_tokens (hash, domain, account_number, reseller_clid, issued_by, issued_at, expires_at, used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id`,
			c.Hash, c.Domain, c.AccountNumber, nullString(c.ResellerClID), c.IssuedBy,
			t.timeArg(issued), t.timeArg(expires), t.nullTimeArg(used),
		).Scan(&id)
	})
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "a consent token with that hash already exists")
	case isForeignKeyViolation(err):
		if c.ResellerClID != "" {
			if err := t.checkReseller(ctx, c.ResellerClID); err != nil {
				return err
			}
		}
		return registry.Errorf(registry.KindNotFound, "account %q not found", c.AccountNumber)
	default:
		return fmt.Errorf("create consent token for %s: %w", c.Domain, err)
	}
	c.ID, c.IssuedAt, c.ExpiresAt, c.UsedAt = id, issued, expires, used
	return nil
}

func (t *tx) LockConsentToken(ctx context.Context, hash string) (*registry.ConsentToken, error) {
	q := `SELECT ` + consentTokenColumns + ` FROM consent_tokens WHERE hash = $1` + t.forUpdate(true)
	var c registry.ConsentToken
	if err := scanConsentToken(t.tx.QueryRowContext(ctx, q, hash), &c); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, registry.Errorf(registry.KindNotFound, "consent token not found")
		}
		return nil, fmt.Errorf("read consent token: %w", err)
	}
	return &c, nil
}

func (t *tx) UseConsentToken(ctx context.Context, c *registry.ConsentToken) error {
	used := c.UsedAt
	if used.IsZero() {
		used = t.now()
	}
	used = normTime(used)
	res, err := t.tx.ExecContext(ctx,
		`UPDATE consent_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, c.ID, t.timeArg(used))
	if err != nil {
		return fmt.Errorf("use consent token %d: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("use consent token %d: %w", c.ID, err)
	}
	if n == 0 {
		found, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM consent_tokens WHERE id = $1)`, c.ID)
		if err != nil {
			return fmt.Errorf("use consent token %d: %w", c.ID, err)
		}
		if !found {
			return registry.Errorf(registry.KindNotFound, "consent token %d not found", c.ID)
		}
		return registry.Errorf(registry.KindStatusProhibits, "consent token %d was already used", c.ID)
	}
	c.UsedAt = used
	return nil
}
