package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/eppd/eppd/registry"
)

func (t *tx) LockBalance(ctx context.Context, clID string) (*registry.Balance, error) {
	b, err := t.balance(ctx, clID, true)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return b, err
	}
	// The first charge or top-up of the reseller: create the balance at
	// zero. A concurrent creator makes this insert wait, then do nothing.
	// Selecting from resellers makes an unknown reseller insert nothing
	// rather than break the foreign key, which would end the transaction
	// on PostgreSQL.
	if _, err := t.tx.ExecContext(ctx, `
		INSERT INTO balances (reseller_clid, currency, minor, updated_at)
		SELECT clid, '', 0, $2 FROM resellers WHERE clid = $1
		ON CONFLICT (reseller_clid) DO NOTHING`,
		clID, t.timeArg(t.now())); err != nil {
		return nil, fmt.Errorf("create balance of %q: %w", clID, err)
	}
	b, err = t.balance(ctx, clID, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "reseller %q not found", clID)
	}
	return b, err
}

func (t *tx) Balance(ctx context.Context, clID string) (*registry.Balance, error) {
	b, err := t.balance(ctx, clID, false)
	if !errors.Is(err, sql.ErrNoRows) {
		return b, err
	}
	if _, err := t.Reseller(ctx, clID); err != nil {
		return nil, err
	}
	return &registry.Balance{ResellerClID: clID}, nil
}

// balance reads a balance row; sql.ErrNoRows when there is none.
func (t *tx) balance(ctx context.Context, clID string, lock bool) (*registry.Balance, error) {
	q := `SELECT reseller_clid, currency, minor, updated_at FROM balances WHERE reseller_clid = $1`
	// SQLite needs no row lock: every transaction there begins IMMEDIATE.
	if lock && t.s.dialect == DialectPostgres {
		q += ` FOR UPDATE`
	}
	var b registry.Balance
	err := t.tx.QueryRowContext(ctx, q, clID).Scan(&b.ResellerClID, &b.Currency, &b.Minor, timeCol{&b.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read balance of %q: %w", clID, err)
	}
	return &b, nil
}

func (t *tx) AppendLedgerEntry(ctx context.Context, e *registry.LedgerEntry) error {
	at := e.At
	if at.IsZero() {
		at = t.s.clock.Now()
	}
	at = normTime(at)
	var refunds any
	if e.RefundsEntryID != 0 {
		refunds = e.RefundsEntryID
	}
	var id int64
	insert := func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO ledger_entries (reseller_clid, at, kind, op, domain, years, currency, amount,
			                            balance_after, reference, cltrid, svtrid, refunds_entry_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			RETURNING id`,
			e.ResellerClID, t.timeArg(at), string(e.Kind), string(e.Op), e.Domain, int64(e.Years),
			e.Currency, e.Amount, e.BalanceAfter, e.Reference, e.ClTRID, e.SvTRID, refunds,
		).Scan(&id)
	}
	var err error
	if e.Kind == registry.LedgerRefund {
		// Only a refund can break a uniqueness rule, and that one must
		// leave the transaction usable.
		err = t.savepoint(ctx, insert)
	} else {
		err = insert()
	}
	if err != nil {
		if isUniqueViolation(err) {
			return registry.Errorf(registry.KindExists, "ledger entry %d of %q is already refunded", e.RefundsEntryID, e.ResellerClID)
		}
		return fmt.Errorf("append %s to the ledger of %q: %w", e.Kind, e.ResellerClID, err)
	}
	e.ID, e.At = id, at
	return nil
}

func (t *tx) SetBalance(ctx context.Context, clID, currency string, minor int64) error {
	res, err := t.tx.ExecContext(ctx,
		`UPDATE balances SET currency = $2, minor = $3, updated_at = $4 WHERE reseller_clid = $1`,
		clID, currency, minor, t.timeArg(t.now()))
	if err != nil {
		return fmt.Errorf("set balance of %q: %w", clID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set balance of %q: %w", clID, err)
	} else if n == 0 {
		return registry.Errorf(registry.KindNotFound, "reseller %q has no balance", clID)
	}
	return nil
}

const ledgerColumns = `id, reseller_clid, at, kind, op, domain, years, currency, amount, balance_after,
	reference, cltrid, svtrid, refunds_entry_id`

func (t *tx) LedgerEntries(ctx context.Context, clID string, from, to time.Time) ([]registry.LedgerEntry, error) {
	q := `SELECT ` + ledgerColumns + ` FROM ledger_entries WHERE reseller_clid = $1`
	args := []any{clID}
	if !from.IsZero() {
		args = append(args, t.timeArg(normTime(from)))
		q += ` AND at >= $` + strconv.Itoa(len(args))
	}
	if !to.IsZero() {
		args = append(args, t.timeArg(normTime(to)))
		q += ` AND at < $` + strconv.Itoa(len(args))
	}
	return t.ledgerEntries(ctx, "ledger of "+strconv.Quote(clID), q+` ORDER BY id`, args...)
}

func (t *tx) ChargesToRefund(ctx context.Context, clID, domain string, op registry.ChargeOp, since time.Time) ([]registry.LedgerEntry, error) {
	return t.ledgerEntries(ctx, "charges to refund for "+domain, `
		SELECT `+ledgerColumns+` FROM ledger_entries c
		WHERE c.kind = 'charge' AND c.domain = $1 AND c.op = $2 AND c.at >= $3
		  AND ($4 = '' OR c.reseller_clid = $4)
		  AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.refunds_entry_id = c.id)
		ORDER BY c.id`,
		domain, string(op), t.timeArg(normTime(since)), clID)
}

func (t *tx) ledgerEntries(ctx context.Context, what, q string, args ...any) ([]registry.LedgerEntry, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []registry.LedgerEntry
	for rows.Next() {
		var (
			e              registry.LedgerEntry
			kind, op       string
			years          int64
			refundsEntryID sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &e.ResellerClID, timeCol{&e.At}, &kind, &op, &e.Domain, &years,
			&e.Currency, &e.Amount, &e.BalanceAfter, &e.Reference, &e.ClTRID, &e.SvTRID, &refundsEntryID); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		e.Kind, e.Op, e.Years, e.RefundsEntryID = registry.LedgerKind(kind), registry.ChargeOp(op), int(years), refundsEntryID.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
