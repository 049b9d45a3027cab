package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

// tx is the registry.Tx of one database transaction.
type tx struct {
	s  *Store
	tx *sql.Tx
}

var _ registry.Tx = (*tx)(nil)

// sqliteTime is how SQLite columns hold times: fixed width, so that string
// order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// normTime is t as the database keeps it: UTC, to the microsecond.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeArg returns t, already normalised, as a query argument.
func (t *tx) timeArg(v time.Time) any {
	if t.s.dialect == DialectSQLite {
		return v.Format(sqliteTime)
	}
	return v
}

// nullTimeArg is timeArg with the zero time as NULL.
func (t *tx) nullTimeArg(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	return t.timeArg(v)
}

// now is the store clock's time, normalised.
func (t *tx) now() time.Time { return normTime(t.s.clock.Now()) }

// timeCol scans a time column of either dialect into a UTC time; NULL is the
// zero time.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.dst = time.Time{}
	case time.Time:
		*c.dst = x.UTC()
	case string:
		return c.parse(x)
	case []byte:
		return c.parse(string(x))
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*c.dst = v.UTC()
	return nil
}

// netsCol scans the comma-separated allowed_nets column.
type netsCol struct{ dst *[]netip.Prefix }

func (c netsCol) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("cannot scan %T into network prefixes", v)
	}
	*c.dst = nil
	if s == "" {
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return fmt.Errorf("stored network prefix: %w", err)
		}
		*c.dst = append(*c.dst, p)
	}
	return nil
}

func netsArg(nets []netip.Prefix) string {
	parts := make([]string, len(nets))
	for i, p := range nets {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// savepoint runs fn, a statement that may fail on a constraint, so that its
// failure leaves the transaction usable: PostgreSQL would otherwise refuse
// every later statement in it. (SQLite undoes just the failed statement
// anyway; the savepoint keeps one code path.)
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT constraint_check`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rbErr := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT constraint_check`); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	_, err := t.tx.ExecContext(ctx, `RELEASE SAVEPOINT constraint_check`)
	return err
}

const resellerColumns = `id, clid, name, email, status, password_hash, allowed_nets, max_sessions, default_model,
	created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanReseller(row rowScanner, r *registry.Reseller) error {
	var status, model string
	var maxSessions int64
	err := row.Scan(&r.ID, &r.ClID, &r.Name, &r.Email, &status, &r.PasswordHash,
		netsCol{&r.AllowedNets}, &maxSessions, &model, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	r.Status = registry.ResellerStatus(status)
	r.DefaultModel = registry.Model(model)
	r.MaxSessions = int(maxSessions)
	return err
}

func (t *tx) CreateReseller(ctx context.Context, r *registry.Reseller) error {
	now := t.now()
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO resellers (clid, name, email, status, password_hash, allowed_nets, max_sessions,
			                       default_model, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			RETURNING id`,
			r.ClID, r.Name, r.Email, string(r.Status), r.PasswordHash, netsArg(r.AllowedNets),
			int64(r.MaxSessions), string(r.DefaultModel), t.timeArg(now),
		).Scan(&id)
	})
	if err != nil {
		if isUniqueViolation(err) {
			return registry.Errorf(registry.KindExists, "reseller %q already exists", r.ClID)
		}
		return fmt.Errorf("create reseller %q: %w", r.ClID, err)
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, now, now
	return nil
}

func (t *tx) Reseller(ctx context.Context, clID string) (*registry.Reseller, error) {
	return t.reseller(ctx, clID, false)
}

func (t *tx) LockReseller(ctx context.Context, clID string) (*registry.Reseller, error) {
	return t.reseller(ctx, clID, true)
}

func (t *tx) reseller(ctx context.Context, clID string, lock bool) (*registry.Reseller, error) {
	q := `SELECT ` + resellerColumns + ` FROM resellers WHERE clid = $1`
	// SQLite needs no row lock: every transaction there begins IMMEDIATE,
	// holding the database's write lock already.
	if lock && t.s.dialect == DialectPostgres {
		q += ` FOR UPDATE`
	}
	var r registry.Reseller
	if err := scanReseller(t.tx.QueryRowContext(ctx, q, clID), &r); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, registry.Errorf(registry.KindNotFound, "reseller %q not found", clID)
		}
		return nil, fmt.Errorf("read reseller %q: %w", clID, err)
	}
	return &r, nil
}

// Resellers leaves out the registry's own entry (registry.RegistryClID):
// it sponsors registrant-managed domains but is no reseller, and cannot log
// in. Reseller and LockReseller find it.
func (t *tx) Resellers(ctx context.Context) ([]registry.Reseller, error) {
	rows, err := t.tx.QueryContext(ctx,
		`SELECT `+resellerColumns+` FROM resellers WHERE clid <> $1 ORDER BY clid`, registry.RegistryClID)
	if err != nil {
		return nil, fmt.Errorf("list resellers: %w", err)
	}
	defer rows.Close()
	var out []registry.Reseller
	for rows.Next() {
		var r registry.Reseller
		if err := scanReseller(rows, &r); err != nil {
			return nil, fmt.Errorf("list resellers: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list resellers: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateReseller(ctx context.Context, r *registry.Reseller) error {
	now := t.now()
	res, err := t.tx.ExecContext(ctx, `
		UPDATE resellers
		SET name = $2, email = $3, status = $4, password_hash = $5, allowed_nets = $6,
		    max_sessions = $7, default_model = $8, updated_at = $9
		WHERE id = $1`,
		r.ID, r.Name, r.Email, string(r.Status), r.PasswordHash, netsArg(r.AllowedNets),
		int64(r.MaxSessions), string(r.DefaultModel), t.timeArg(now))
	if err != nil {
		return fmt.Errorf("update reseller %q: %w", r.ClID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update reseller %q: %w", r.ClID, err)
	} else if n == 0 {
		return registry.Errorf(registry.KindNotFound, "reseller %q not found", r.ClID)
	}
	r.UpdatedAt = now
	return nil
}

func (t *tx) AddResellerCert(ctx context.Context, c *registry.ResellerCert) error {
	addedAt := c.AddedAt
	if addedAt.IsZero() {
		addedAt = t.s.clock.Now()
	}
	addedAt = normTime(addedAt)
	notAfter := c.NotAfter
	if !notAfter.IsZero() {
		notAfter = normTime(notAfter)
	}
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO reseller_certs (reseller_id, match, fingerprint, subject, issuer, not_after, note, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id`,
			c.ResellerID, string(c.Match), c.Fingerprint, c.Subject, c.Issuer,
			t.nullTimeArg(notAfter), c.Note, t.timeArg(addedAt),
		).Scan(&id)
	})
	switch {
	case err == nil:
	case isUniqueViolation(err) && c.Match == registry.MatchSubject:
		return registry.Errorf(registry.KindExists,
			"a certificate with subject %q and issuer %q is already registered", c.Subject, c.Issuer)
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists,
			"a certificate with fingerprint %s is already registered", c.Fingerprint)
	case isForeignKeyViolation(err):
		return registry.Errorf(registry.KindNotFound, "reseller with ID %d not found", c.ResellerID)
	default:
		return fmt.Errorf("add certificate to reseller %d: %w", c.ResellerID, err)
	}
	c.ID, c.AddedAt, c.NotAfter = id, addedAt, notAfter
	return nil
}

func (t *tx) RemoveResellerCert(ctx context.Context, resellerID, certID int64) error {
	res, err := t.tx.ExecContext(ctx,
		`DELETE FROM reseller_certs WHERE id = $1 AND reseller_id = $2`, certID, resellerID)
	if err != nil {
		return fmt.Errorf("remove certificate %d: %w", certID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remove certificate %d: %w", certID, err)
	} else if n == 0 {
		return registry.Errorf(registry.KindNotFound, "certificate %d of reseller %d not found", certID, resellerID)
	}
	return nil
}

func (t *tx) ResellerCerts(ctx context.Context, resellerID int64) ([]registry.ResellerCert, error) {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT id, reseller_id, match, fingerprint, subject, issuer, not_after, note, added_at
		FROM reseller_certs WHERE reseller_id = $1 ORDER BY id`, resellerID)
	if err != nil {
		return nil, fmt.Errorf("list certificates of reseller %d: %w", resellerID, err)
	}
	defer rows.Close()
	var out []registry.ResellerCert
	for rows.Next() {
		var c registry.ResellerCert
		var match string
		if err := rows.Scan(&c.ID, &c.ResellerID, &match, &c.Fingerprint, &c.Subject, &c.Issuer,
			timeCol{&c.NotAfter}, &c.Note, timeCol{&c.AddedAt}); err != nil {
			return nil, fmt.Errorf("list certificates of reseller %d: %w", resellerID, err)
		}
		c.Match = registry.CertMatch(match)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list certificates of reseller %d: %w", resellerID, err)
	}
	return out, nil
}

func (t *tx) RecordLoginFailure(ctx context.Context, clID, addr string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx,
		`INSERT INTO login_failures (clid, addr, at) VALUES ($1, $2, $3)`,
		clID, addr, t.timeArg(normTime(at)))
	if err != nil {
		return fmt.Errorf("record login failure for %q: %w", clID, err)
	}
	return nil
}

func (t *tx) LoginFailures(ctx context.Context, clID, addr string, since time.Time) (int, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM login_failures WHERE clid = $1 AND addr = $2 AND at >= $3`,
		clID, addr, t.timeArg(normTime(since))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count login failures for %q: %w", clID, err)
	}
	return int(n), nil
}

func (t *tx) ClearLoginFailures(ctx context.Context, clID, addr string) error {
	_, err := t.tx.ExecContext(ctx,
		`DELETE FROM login_failures WHERE clid = $1 AND addr = $2`, clID, addr)
	if err != nil {
		return fmt.Errorf("clear login failures for %q: %w", clID, err)
	}
	return nil
}

func (t *tx) AppendHistory(ctx context.Context, e *registry.HistoryEntry) error {
	at := e.At
	if at.IsZero() {
		at = t.s.clock.Now()
	}
	at = normTime(at)
	var state any
	if len(e.State) > 0 {
		state = string(e.State)
	}
	err := t.tx.QueryRowContext(ctx, `
		INSERT INTO history (at, object_type, object_key, action, actor, session_id, cltrid, svtrid, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		t.timeArg(at), e.ObjectType, e.ObjectKey, e.Action, e.Actor,
		e.SessionID, e.ClTRID, e.SvTRID, state,
	).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append history of %s %q: %w", e.ObjectType, e.ObjectKey, err)
	}
	e.At = at
	return nil
}

func (t *tx) History(ctx context.Context, objectType, objectKey string) ([]registry.HistoryEntry, error) {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT id, at, object_type, object_key, action, actor, session_id, cltrid, svtrid, state
		FROM history WHERE object_type = $1 AND object_key = $2 ORDER BY id`, objectType, objectKey)
	if err != nil {
		return nil, fmt.Errorf("history of %s %q: %w", objectType, objectKey, err)
	}
	defer rows.Close()
	var out []registry.HistoryEntry
	for rows.Next() {
		var e registry.HistoryEntry
		if err := rows.Scan(&e.ID, timeCol{&e.At}, &e.ObjectType, &e.ObjectKey, &e.Action, &e.Actor,
			&e.SessionID, &e.ClTRID, &e.SvTRID, &e.State); err != nil {
			return nil, fmt.Errorf("history of %s %q: %w", objectType, objectKey, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of %s %q: %w", objectType, objectKey, err)
	}
	return out, nil
}
