package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

func normDomain(d *registry.Domain) {
	normTimes(&d.CreatedAt, &d.UpdatedAt, &d.ExpiresAt, &d.TransferredAt,
		&d.DeletedAt, &d.PurgeAt, &d.NextEventAt)
	for i := range d.Grace {
		normTimes(&d.Grace[i].Until)
	}
	normTransfer(d.Transfer)
}

// domainDoc is the document stored for d: d without its registrant,
// contacts and name servers, which are kept by identity.
func domainDoc(d *registry.Domain) (string, error) {
	w := *d
	w.Registrant, w.Contacts, w.NS = "", nil, nil
	return marshalDoc(&w)
}

// Contact types in domain_contacts.
const registrantType = "registrant"

var contactTypes = map[string]bool{"admin": true, "billing": true, "tech": true}

// domainLinks are a domain's references resolved to row IDs.
type domainLinks struct {
	contacts []contactLink
	hosts    []int64
}

type contactLink struct {
	typ string
	id  int64
}

// resolveDomainLinks resolves d's registrant, contacts and name servers;
// KindNotFound naming the first that does not exist. A contact given
// twice in one role, or a name server given twice, counts once (the first
// time).
func (t *tx) resolveDomainLinks(ctx context.Context, d *registry.Domain) (domainLinks, error) {
	var l domainLinks
	contactIDs := map[string]int64{}
	contact := func(typ, id string) error {
		rowID, ok := contactIDs[id]
		if !ok {
			var err error
			if rowID, err = t.contactRowID(ctx, id); err != nil {
				return err
			}
			contactIDs[id] = rowID
		}
		for _, c := range l.contacts {
			if c == (contactLink{typ, rowID}) {
				return nil
			}
		}
		l.contacts = append(l.contacts, contactLink{typ, rowID})
		return nil
	}
	if d.Registrant != "" {
		if err := contact(registrantType, d.Registrant); err != nil {
			return l, err
		}
	}
	for _, c := range d.Contacts {
		if !contactTypes[c.Type] {
			return l, registry.Errorf(registry.KindInvalid,
				"contact type %q of %q is not admin, billing or tech", c.Type, c.ID)
		}
		if err := contact(c.Type, c.ID); err != nil {
			return l, err
		}
	}
	seen := map[int64]bool{}
	for _, name := range d.NS {
		id, err := t.hostRowID(ctx, name)
		if err != nil {
			return l, err
		}
		if !seen[id] {
			seen[id] = true
			l.hosts = append(l.hosts, id)
		}
	}
	return l, nil
}

// writeDomainLinks replaces the link rows of the domain with row ID id.
func (t *tx) writeDomainLinks(ctx context.Context, id int64, l domainLinks) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM domain_contacts WHERE domain_id = $1`, id); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM domain_hosts WHERE domain_id = $1`, id); err != nil {
		return err
	}
	for _, c := range l.contacts {
		if _, err := t.tx.ExecContext(ctx,
			`INSERT INTO domain_contacts (domain_id, contact_id, type) VALUES ($1, $2, $3)`,
			id, c.id, c.typ); err != nil {
			return err
		}
	}
	for i, h := range l.hosts {
		if _, err := t.tx.ExecContext(ctx,
			`INSERT INTO domain_hosts (domain_id, host_id, position) VALUES ($1, $2, $3)`,
			id, h, int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// domainRefError explains a foreign key violation writing d: its sponsor
// or a contact or host it refers to is missing (gone since resolved, on
// PostgreSQL). err is returned when none is.
func (t *tx) domainRefError(ctx context.Context, d *registry.Domain, err error) error {
	if rerr := t.checkReseller(ctx, d.SponsorClID); rerr != nil {
		return rerr
	}
	if _, rerr := t.resolveDomainLinks(ctx, d); rerr != nil {
		return rerr
	}
	return err
}

// readDomainLinks fills in d's registrant, contacts and name servers from
// the links of the domain with row ID id.
func (t *tx) readDomainLinks(ctx context.Context, id int64, d *registry.Domain) error {
	d.Registrant, d.Contacts, d.NS = "", nil, nil
	rows, err := t.tx.QueryContext(ctx, `
		SELECT dc.type, c.contact_id
		FROM domain_contacts dc JOIN contacts c ON c.id = dc.contact_id
		WHERE dc.domain_id = $1
		ORDER BY dc.type, c.contact_id`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c registry.DomainContact
		if err := rows.Scan(&c.Type, &c.ID); err != nil {
			return err
		}
		if c.Type == registrantType {
			d.Registrant = c.ID
		} else {
			d.Contacts = append(d.Contacts, c)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	d.NS, err = t.strings(ctx, `
		SELECT h.name FROM domain_hosts dh JOIN hosts h ON h.id = dh.host_id
		WHERE dh.domain_id = $1
		ORDER BY dh.position`, id)
	return err
}

const domainColumns = `id, roid, name, sponsor_clid, creator_clid, created_at, expires_at, deleted_at,
	next_event_at, auth_info, doc`

func scanDomain(row rowScanner) (int64, *registry.Domain, error) {
	var (
		id                                     int64
		roid                                   sql.NullString
		name, sponsor, creator, authInfo       string
		createdAt, expiresAt, deletedAt, event time.Time
		doc                                    []byte
	)
	if err := row.Scan(&id, &roid, &name, &sponsor, &creator, timeCol{&createdAt}, timeCol{&expiresAt},
		timeCol{&deletedAt}, timeCol{&event}, &authInfo, docCol{&doc}); err != nil {
		return 0, nil, err
	}
	var d registry.Domain
	if err := json.Unmarshal(doc, &d); err != nil {
		return 0, nil, fmt.Errorf("stored domain %q: %w", name, err)
	}
	d.ROID, d.Name, d.SponsorClID, d.CreatorClID = roid.String, name, sponsor, creator
	d.CreatedAt, d.ExpiresAt, d.DeletedAt, d.NextEventAt = createdAt, expiresAt, deletedAt, event
	d.AuthInfo = authInfo
	normDomain(&d)
	return id, &d, nil
}

func (t *tx) CreateDomain(ctx context.Context, d *registry.Domain, roidSuffix string) error {
	normDomain(d)
	links, err := t.resolveDomainLinks(ctx, d)
	if err != nil {
		return err
	}
	roid, err := t.insertObject(ctx, "domains", "D", roidSuffix, `
		INSERT INTO domains (name, sponsor_clid, creator_clid, created_at, expires_at, deleted_at,
		                     next_event_at, auth_info, doc, model, account_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}', $9, $10)
		RETURNING id`,
		[]any{d.Name, d.SponsorClID, d.CreatorClID, t.nullTimeArg(d.CreatedAt), t.nullTimeArg(d.ExpiresAt),
			t.nullTimeArg(d.DeletedAt), t.nullTimeArg(d.NextEventAt), d.AuthInfo, string(d.Model), d.AccountNumber},
		func(roid string) (string, error) {
			w := *d
			w.ROID = roid
			return domainDoc(&w)
		},
		func(id int64) error { return t.writeDomainLinks(ctx, id, links) })
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "domain %q already exists", d.Name)
	case isForeignKeyViolation(err):
		return t.domainRefError(ctx, d, fmt.Errorf("create domain %q: %w", d.Name, err))
	default:
		return fmt.Errorf("create domain %q: %w", d.Name, err)
	}
	d.ROID = roid
	return nil
}

func (t *tx) Domain(ctx context.Context, name string) (*registry.Domain, error) {
	return t.domain(ctx, name, false)
}

func (t *tx) LockDomain(ctx context.Context, name string) (*registry.Domain, error) {
	return t.domain(ctx, name, true)
}

func (t *tx) domain(ctx context.Context, name string, lock bool) (*registry.Domain, error) {
	row := t.tx.QueryRowContext(ctx,
		`SELECT `+domainColumns+` FROM domains WHERE name = $1`+t.forUpdate(lock), name)
	id, d, err := scanDomain(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "domain %q does not exist", name)
	}
	if err == nil {
		err = t.readDomainLinks(ctx, id, d)
	}
	if err != nil {
		return nil, fmt.Errorf("read domain %q: %w", name, err)
	}
	return d, nil
}

// UpdateDomain writes d to the domain with its ROID and name (by name alone
// when ROID is empty), links included. ROID, Name, CreatorClID and
// CreatedAt never change: they are set in d from the stored domain.
func (t *tx) UpdateDomain(ctx context.Context, d *registry.Domain) error {
	normDomain(d)
	r, err := t.findForUpdate(ctx, "domains", "name", d.ROID, d.Name, "domain", d.Name)
	if err != nil {
		return err
	}
	links, err := t.resolveDomainLinks(ctx, d)
	if err != nil {
		return err
	}
	w := *d
	w.ROID, w.CreatorClID, w.CreatedAt = r.roid, r.creatorClID, r.createdAt
	doc, err := domainDoc(&w)
	if err != nil {
		return fmt.Errorf("update domain %q: %w", d.Name, err)
	}
	err = t.savepoint(ctx, func() error {
		if _, err := t.tx.ExecContext(ctx, `
			UPDATE domains
			SET sponsor_clid = $2, expires_at = $3, deleted_at = $4, next_event_at = $5,
			    auth_info = $6, doc = $7, model = $8, account_number = $9
			WHERE id = $1`,
			r.id, w.SponsorClID, t.nullTimeArg(w.ExpiresAt), t.nullTimeArg(w.DeletedAt),
			t.nullTimeArg(w.NextEventAt), w.AuthInfo, doc, string(w.Model), w.AccountNumber); err != nil {
			return err
		}
		return t.writeDomainLinks(ctx, r.id, links)
	})
	switch {
	case err == nil:
	case isForeignKeyViolation(err):
		return t.domainRefError(ctx, d, fmt.Errorf("update domain %q: %w", d.Name, err))
	default:
		return fmt.Errorf("update domain %q: %w", d.Name, err)
	}
	d.ROID, d.CreatorClID, d.CreatedAt = w.ROID, w.CreatorClID, w.CreatedAt
	return nil
}

// maxListed is how many subordinate hosts a refused purge names.
const maxListed = 5

func (t *tx) PurgeDomain(ctx context.Context, name string) error {
	id, err := t.domainRowID(ctx, name)
	if err != nil {
		return err
	}
	subs, err := t.strings(ctx,
		`SELECT name FROM hosts WHERE superordinate_id = $1 ORDER BY name LIMIT $2`, id, int64(maxListed+1))
	if err != nil {
		return fmt.Errorf("purge domain %q: %w", name, err)
	}
	if len(subs) > 0 {
		list := strings.Join(subs[:min(len(subs), maxListed)], ", ")
		if len(subs) > maxListed {
			list += ", ..."
		}
		return registry.Errorf(registry.KindLinked, "domain %q has subordinate hosts: %s", name, list)
	}
	err = t.savepoint(ctx, func() error {
		for _, q := range []string{
			`DELETE FROM domain_contacts WHERE domain_id = $1`,
			`DELETE FROM domain_hosts WHERE domain_id = $1`,
			`DELETE FROM domains WHERE id = $1`,
		} {
			if _, err := t.tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// A host created under it since the check (PostgreSQL).
		if isForeignKeyViolation(err) {
			return registry.Errorf(registry.KindLinked, "domain %q has subordinate hosts", name)
		}
		return fmt.Errorf("purge domain %q: %w", name, err)
	}
	return nil
}

// DomainsDue lists the domains whose next event is at or before at,
// soonest first (by name among equals), at most limit of them: none when
// limit is not positive.
func (t *tx) DomainsDue(ctx context.Context, at time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := t.strings(ctx, `
		SELECT name FROM domains
		WHERE next_event_at IS NOT NULL AND next_event_at <= $1
		ORDER BY next_event_at, name
		LIMIT $2`, t.timeArg(normTime(at)), int64(limit))
	if err != nil {
		return nil, fmt.Errorf("domains due at %v: %w", at, err)
	}
	return out, nil
}
