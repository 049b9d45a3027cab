package sqlstore

// What an account owns, found by its number, and moved as a whole when
// accounts merge (registry/merge.go); and the account's inbox.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eppd/eppd/registry"
)

func (t *tx) AccountDomains(ctx context.Context, number string) ([]string, error) {
	out, err := t.strings(ctx, `SELECT name FROM domains WHERE account_number = $1 ORDER BY name`, number)
	if err != nil {
		return nil, fmt.Errorf("domains of account %q: %w", number, err)
	}
	return out, nil
}

func (t *tx) AccountContacts(ctx context.Context, number string) ([]string, error) {
	out, err := t.strings(ctx, `SELECT contact_id FROM contacts WHERE account_number = $1 ORDER BY contact_id`, number)
	if err != nil {
		return nil, fmt.Errorf("contacts of account %q: %w", number, err)
	}
	return out, nil
}

func (t *tx) MoveAccountBills(ctx context.Context, from, to string) (int, error) {
	return t.moveAccountRows(ctx, "bills", `UPDATE bills SET account_number = $2 WHERE account_number = $1`, from, to)
}

func (t *tx) MoveAccountMessages(ctx context.Context, from, to string) (int, error) {
	return t.moveAccountRows(ctx, "inbox messages",
		`UPDATE account_messages SET account_number = $2 WHERE account_number = $1`, from, to)
}

func (t *tx) MoveConsentTokens(ctx context.Context, from, to string) (int, error) {
	return t.moveAccountRows(ctx, "consent tokens",
		`UPDATE consent_tokens SET account_number = $2 WHERE account_number = $1 AND used_at IS NULL`, from, to)
}

// moveAccountRows runs update, which moves rows from account from to
// account to, and counts them.
func (t *tx) moveAccountRows(ctx context.Context, what, update, from, to string) (int, error) {
	var n int64
	err := t.savepoint(ctx, func() error {
		res, err := t.tx.ExecContext(ctx, update, from, to)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	switch {
	case err == nil:
		return int(n), nil
	case isForeignKeyViolation(err):
		return 0, registry.Errorf(registry.KindNotFound, "account %q not found", to)
	default:
		return 0, fmt.Errorf("move %s of account %q to account %q: %w", what, from, to, err)
	}
}

func (t *tx) AddAccountMessage(ctx context.Context, m *registry.AccountMessage) (bool, error) {
	created := m.CreatedAt
	if created.IsZero() {
		created = t.now()
	}
	created = normTime(created)
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO account_messages (account_number, created_at, subject, body, message_key, domain, read_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (message_key) DO NOTHING
			RETURNING id`,
			m.AccountNumber, t.timeArg(created), m.Subject, m.Body, nullString(m.Key), m.Domain,
			t.nullTimeArg(normTime(m.ReadAt)),
		).Scan(&id)
	})
	switch {
	case err == nil:
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case isForeignKeyViolation(err):
		return false, registry.Errorf(registry.KindNotFound, "account %q not found", m.AccountNumber)
	default:
		return false, fmt.Errorf("add a message to the inbox of account %q: %w", m.AccountNumber, err)
	}
	m.ID, m.CreatedAt = id, created
	return true, nil
}

func (t *tx) AccountMessages(ctx context.Context, number string) ([]registry.AccountMessage, error) {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT id, COALESCE(message_key, ''), account_number, created_at, subject, body, domain, read_at
		FROM account_messages WHERE account_number = $1 ORDER BY id`, number)
	if err != nil {
		return nil, fmt.Errorf("inbox of account %q: %w", number, err)
	}
	defer rows.Close()
	var out []registry.AccountMessage
	for rows.Next() {
		var m registry.AccountMessage
		if err := rows.Scan(&m.ID, &m.Key, &m.AccountNumber, timeCol{&m.CreatedAt}, &m.Subject, &m.Body, &m.Domain,
			timeCol{&m.ReadAt}); err != nil {
			return nil, fmt.Errorf("inbox of account %q: %w", number, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbox of account %q: %w", number, err)
	}
	return out, nil
}
