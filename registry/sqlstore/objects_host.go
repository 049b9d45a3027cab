package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/eppd/eppd/registry"
)

func normHost(h *registry.Host) {
	normTimes(&h.CreatedAt, &h.UpdatedAt, &h.TransferredAt)
}

// hostDoc is the document stored for h: h without its superordinate,
// which is kept by identity.
func hostDoc(h *registry.Host) (string, error) {
	w := *h
	w.Superordinate = ""
	return marshalDoc(&w)
}

// hostColumns are read from hosts h; the superordinate domain's current
// name comes from a subquery, so that FOR UPDATE locks only the host.
const hostColumns = `h.id, h.roid, h.name, h.sponsor_clid, h.creator_clid, h.created_at,
	(SELECT d.name FROM domains d WHERE d.id = h.superordinate_id), h.doc`

func scanHost(row rowScanner) (*registry.Host, error) {
	var (
		id                     int64
		roid, superordinate    sql.NullString
		name, sponsor, creator string
		createdAt              time.Time
		doc                    []byte
	)
	if err := row.Scan(&id, &roid, &name, &sponsor, &creator, timeCol{&createdAt}, &superordinate, docCol{&doc}); err != nil {
		return nil, err
	}
	var h registry.Host
	if err := json.Unmarshal(doc, &h); err != nil {
		return nil, fmt.Errorf("stored host %q: %w", name, err)
	}
	h.ROID, h.Name, h.SponsorClID, h.CreatorClID = roid.String, name, sponsor, creator
	h.CreatedAt, h.Superordinate = createdAt, superordinate.String
	normHost(&h)
	return &h, nil
}

// superordinateID resolves a host's superordinate domain to its row ID;
// nil for none.
func (t *tx) superordinateID(ctx context.Context, domain string) (any, error) {
	if domain == "" {
		return nil, nil
	}
	return t.domainRowID(ctx, domain)
}

// hostRefError explains a foreign key violation writing h: its sponsor or
// superordinate domain is missing (gone since it was resolved, on
// PostgreSQL). err is returned when neither is.
func (t *tx) hostRefError(ctx context.Context, h *registry.Host, err error) error {
	if rerr := t.checkReseller(ctx, h.SponsorClID); rerr != nil {
		return rerr
	}
	if _, rerr := t.superordinateID(ctx, h.Superordinate); rerr != nil {
		return rerr
	}
	return err
}

func (t *tx) CreateHost(ctx context.Context, h *registry.Host, roidSuffix string) error {
	normHost(h)
	sup, err := t.superordinateID(ctx, h.Superordinate)
	if err != nil {
		return err
	}
	roid, err := t.insertObject(ctx, "hosts", "H", roidSuffix, `
		INSERT INTO hosts (name, sponsor_clid, creator_clid, created_at, superordinate_id, doc)
		VALUES ($1, $2, $3, $4, $5, '{}')
		RETURNING id`,
		[]any{h.Name, h.SponsorClID, h.CreatorClID, t.nullTimeArg(h.CreatedAt), sup},
		func(roid string) (string, error) {
			w := *h
			w.ROID = roid
			return hostDoc(&w)
		}, nil)
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "host %q already exists", h.Name)
	case isForeignKeyViolation(err):
		return t.hostRefError(ctx, h, fmt.Errorf("create host %q: %w", h.Name, err))
	default:
		return fmt.Errorf("create host %q: %w", h.Name, err)
	}
	h.ROID = roid
	return nil
}

func (t *tx) Host(ctx context.Context, name string) (*registry.Host, error) {
	return t.host(ctx, name, false)
}

func (t *tx) LockHost(ctx context.Context, name string) (*registry.Host, error) {
	return t.host(ctx, name, true)
}

func (t *tx) host(ctx context.Context, name string, lock bool) (*registry.Host, error) {
	row := t.tx.QueryRowContext(ctx,
		`SELECT `+hostColumns+` FROM hosts h WHERE h.name = $1`+t.forUpdate(lock), name)
	h, err := scanHost(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "host %q does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read host %q: %w", name, err)
	}
	return h, nil
}

// UpdateHost writes h to the host with its ROID (by name when ROID is
// empty); h.Name may differ, renaming the host. ROID, CreatorClID and
// CreatedAt never change: they are set in h from the stored host.
func (t *tx) UpdateHost(ctx context.Context, h *registry.Host) error {
	normHost(h)
	key := ""
	if h.ROID == "" {
		key = h.Name
	}
	r, err := t.findForUpdate(ctx, "hosts", "name", h.ROID, key, "host", h.Name)
	if err != nil {
		return err
	}
	sup, err := t.superordinateID(ctx, h.Superordinate)
	if err != nil {
		return err
	}
	w := *h
	w.ROID, w.CreatorClID, w.CreatedAt = r.roid, r.creatorClID, r.createdAt
	doc, err := hostDoc(&w)
	if err != nil {
		return fmt.Errorf("update host %q: %w", h.Name, err)
	}
	err = t.savepoint(ctx, func() error {
		_, err := t.tx.ExecContext(ctx, `
			UPDATE hosts SET name = $2, sponsor_clid = $3, superordinate_id = $4, doc = $5 WHERE id = $1`,
			r.id, w.Name, w.SponsorClID, sup, doc)
		return err
	})
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "host %q already exists", h.Name)
	case isForeignKeyViolation(err):
		return t.hostRefError(ctx, h, fmt.Errorf("update host %q: %w", h.Name, err))
	default:
		return fmt.Errorf("update host %q: %w", h.Name, err)
	}
	h.ROID, h.CreatorClID, h.CreatedAt = w.ROID, w.CreatorClID, w.CreatedAt
	return nil
}

func (t *tx) DeleteHost(ctx context.Context, name string) error {
	rowID, err := t.hostRowID(ctx, name)
	if err != nil {
		return err
	}
	return t.deleteUnlinked(ctx, "hosts", "domain_hosts", "host_id", rowID,
		registry.Errorf(registry.KindLinked, "host %q is linked to a domain", name), "host "+strconv.Quote(name))
}

// HostLinked reports whether any domain delegates to the host; false for
// a host that does not exist.
func (t *tx) HostLinked(ctx context.Context, name string) (bool, error) {
	l, err := t.exists(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM domain_hosts dh JOIN hosts h ON h.id = dh.host_id
			WHERE h.name = $1)`, name)
	if err != nil {
		return false, fmt.Errorf("links of host %q: %w", name, err)
	}
	return l, nil
}

// HostDelegators lists, sorted and each once, the sponsors of the domains
// that delegate to the host; none for a host that does not exist.
func (t *tx) HostDelegators(ctx context.Context, name string) ([]string, error) {
	out, err := t.strings(ctx, `
		SELECT DISTINCT d.sponsor_clid
		FROM domain_hosts dh
		JOIN hosts h ON h.id = dh.host_id
		JOIN domains d ON d.id = dh.domain_id
		WHERE h.name = $1
		ORDER BY d.sponsor_clid`, name)
	if err != nil {
		return nil, fmt.Errorf("delegators of host %q: %w", name, err)
	}
	return out, nil
}

// SubordinateHosts lists the hosts under the domain, sorted; none for a
// domain that does not exist.
func (t *tx) SubordinateHosts(ctx context.Context, domain string) ([]string, error) {
	out, err := t.strings(ctx, `
		SELECT h.name FROM hosts h JOIN domains d ON d.id = h.superordinate_id
		WHERE d.name = $1
		ORDER BY h.name`, domain)
	if err != nil {
		return nil, fmt.Errorf("hosts subordinate to %q: %w", domain, err)
	}
	return out, nil
}

// strings runs a query of one text column and returns its values.
func (t *tx) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
