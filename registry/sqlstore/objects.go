package sqlstore

// Domains, contacts and hosts: each is a row of its table, with the columns
// the registry finds or selects objects by, and a JSON document (doc)
// holding the object as the registry package marshals it. A field with a
// column of its own is written to both and read from the column. Fields
// tagged json:"-" (AuthInfo, Domain.NextEventAt) live only in columns.
//
// References between objects (a domain's registrant, contacts and name
// servers; a host's superordinate domain) are kept by row ID, in
// domain_contacts, domain_hosts and hosts.superordinate_id, and never in the
// documents: reading an object joins them to the referenced objects'
// current identifiers.
//
// Every write that can break a constraint runs in a savepoint, so that a
// refusal (KindExists, KindNotFound, KindLinked) leaves the transaction
// usable. Foreign keys do not cascade: they are the last defence behind
// the checks that give the readable reasons.

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

// forUpdate is the clause that makes a lookup lock its row: FOR UPDATE on
// PostgreSQL. SQLite needs none: every transaction there begins IMMEDIATE,
// holding the database's write lock already.
func (t *tx) forUpdate(lock bool) string {
	if lock && t.s.dialect == DialectPostgres {
		return ` FOR UPDATE`
	}
	return ``
}

// normTimes normalises times in place as the database keeps them: UTC, to
// the microsecond; a zero time stays the zero value.
func normTimes(ts ...*time.Time) {
	for _, p := range ts {
		if p.IsZero() {
			*p = time.Time{}
		} else {
			*p = normTime(*p)
		}
	}
}

func normTransfer(tr *registry.Transfer) {
	if tr != nil {
		normTimes(&tr.RequestedAt, &tr.ActBy, &tr.NewExpiry)
	}
}

// makeROID is the repository object identifier of the row id of a table
// whose objects take prefix.
func makeROID(prefix string, id int64, suffix string) string {
	return fmt.Sprintf("%s%d-%s", prefix, id, suffix)
}

func marshalDoc(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// docCol scans a JSON document column of either dialect.
type docCol struct{ dst *[]byte }

func (c docCol) Scan(v any) error {
	switch x := v.(type) {
	case string:
		*c.dst = []byte(x)
	case []byte:
		*c.dst = append((*c.dst)[:0], x...)
	default:
		return fmt.Errorf("cannot scan %T into a JSON document", v)
	}
	return nil
}

// exists runs a query of one boolean column, such as SELECT EXISTS (...).
func (t *tx) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var b bool
	err := t.tx.QueryRowContext(ctx, query, args...).Scan(&b)
	return b, err
}

// rowID returns the row ID of the object of table whose column col equals
// key; KindNotFound naming it as what when there is none.
func (t *tx) rowID(ctx context.Context, table, col, key, what string) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE `+col+` = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, registry.Errorf(registry.KindNotFound, "%s %q does not exist", what, key)
	}
	if err != nil {
		return 0, fmt.Errorf("look up %s %q: %w", what, key, err)
	}
	return id, nil
}

func (t *tx) contactRowID(ctx context.Context, id string) (int64, error) {
	return t.rowID(ctx, "contacts", "contact_id", id, "contact")
}

func (t *tx) hostRowID(ctx context.Context, name string) (int64, error) {
	return t.rowID(ctx, "hosts", "name", name, "host")
}

func (t *tx) domainRowID(ctx context.Context, name string) (int64, error) {
	return t.rowID(ctx, "domains", "name", name, "domain")
}

// checkReseller is KindNotFound when no reseller has the client
// identifier.
func (t *tx) checkReseller(ctx context.Context, clID string) error {
	_, err := t.rowID(ctx, "resellers", "clid", clID, "reseller")
	return err
}

// objectRow is what an update finds of the row it writes: its ID and the
// fields that never change.
type objectRow struct {
	id          int64
	roid        string
	creatorClID string
	createdAt   time.Time
}

// findForUpdate finds the row an update writes: by ROID when roid is set
// (and then also by identifier when key is set), else by identifier.
// KindNotFound, naming the object by name, when there is none.
func (t *tx) findForUpdate(ctx context.Context, table, col, roid, key, what, name string) (objectRow, error) {
	q := `SELECT id, roid, creator_clid, created_at FROM ` + table
	var args []any
	switch {
	case roid != "" && key != "":
		q += ` WHERE roid = $1 AND ` + col + ` = $2`
		args = []any{roid, key}
	case roid != "":
		q += ` WHERE roid = $1`
		args = []any{roid}
	default:
		q += ` WHERE ` + col + ` = $1`
		args = []any{key}
	}
	var r objectRow
	var roidCol sql.NullString
	err := t.tx.QueryRowContext(ctx, q, args...).Scan(&r.id, &roidCol, &r.creatorClID, timeCol{&r.createdAt})
	if errors.Is(err, sql.ErrNoRows) {
		return r, registry.Errorf(registry.KindNotFound, "%s %q does not exist", what, name)
	}
	if err != nil {
		return r, fmt.Errorf("find %s %q: %w", what, name, err)
	}
	r.roid = roidCol.String
	return r, nil
}

// Contacts.

func normContact(c *registry.Contact) {
	normTimes(&c.CreatedAt, &c.UpdatedAt, &c.TransferredAt)
	normTransfer(c.Transfer)
}

const contactColumns = `id, roid, contact_id, sponsor_clid, creator_clid, created_at, auth_info, account_number, doc`

func scanContact(row rowScanner) (*registry.Contact, error) {
	var (
		id                          int64
		roid                        sql.NullString
		contactID, sponsor, creator string
		createdAt                   time.Time
		authInfo, account           string
		doc                         []byte
	)
	if err := row.Scan(&id, &roid, &contactID, &sponsor, &creator, timeCol{&createdAt}, &authInfo, &account, docCol{&doc}); err != nil {
		return nil, err
	}
	var c registry.Contact
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, fmt.Errorf("stored contact %q: %w", contactID, err)
	}
	c.ROID, c.ID, c.SponsorClID, c.CreatorClID = roid.String, contactID, sponsor, creator
	c.CreatedAt, c.AuthInfo, c.AccountNumber = createdAt, authInfo, account
	normContact(&c)
	return &c, nil
}

func (t *tx) CreateContact(ctx context.Context, c *registry.Contact, roidSuffix string) error {
	normContact(c)
	roid, err := t.insertObject(ctx, "contacts", "C", roidSuffix, `
		INSERT INTO contacts (contact_id, sponsor_clid, creator_clid, created_at, auth_info, account_number, doc)
		VALUES ($1, $2, $3, $4, $5, $6, '{}')
		RETURNING id`,
		[]any{c.ID, c.SponsorClID, c.CreatorClID, t.nullTimeArg(c.CreatedAt), c.AuthInfo, c.AccountNumber},
		func(roid string) (string, error) {
			w := *c
			w.ROID = roid
			return marshalDoc(&w)
		}, nil)
	switch {
	case err == nil:
	case isUniqueViolation(err):
		return registry.Errorf(registry.KindExists, "contact %q already exists", c.ID)
	case isForeignKeyViolation(err):
		if rerr := t.checkReseller(ctx, c.SponsorClID); rerr != nil {
			return rerr
		}
		fallthrough
	default:
		return fmt.Errorf("create contact %q: %w", c.ID, err)
	}
	c.ROID = roid
	return nil
}

func (t *tx) Contact(ctx context.Context, id string) (*registry.Contact, error) {
	return t.contact(ctx, id, false)
}

func (t *tx) LockContact(ctx context.Context, id string) (*registry.Contact, error) {
	return t.contact(ctx, id, true)
}

func (t *tx) contact(ctx context.Context, id string, lock bool) (*registry.Contact, error) {
	row := t.tx.QueryRowContext(ctx,
		`SELECT `+contactColumns+` FROM contacts WHERE contact_id = $1`+t.forUpdate(lock), id)
	c, err := scanContact(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "contact %q does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read contact %q: %w", id, err)
	}
	return c, nil
}

// UpdateContact writes c to the contact with its ROID and ID (by ID alone
// when ROID is empty). ROID, ID, CreatorClID and CreatedAt never change:
// they are set in c from the stored contact.
func (t *tx) UpdateContact(ctx context.Context, c *registry.Contact) error {
	normContact(c)
	r, err := t.findForUpdate(ctx, "contacts", "contact_id", c.ROID, c.ID, "contact", c.ID)
	if err != nil {
		return err
	}
	w := *c
	w.ROID, w.CreatorClID, w.CreatedAt = r.roid, r.creatorClID, r.createdAt
	doc, err := marshalDoc(&w)
	if err != nil {
		return fmt.Errorf("update contact %q: %w", c.ID, err)
	}
	err = t.savepoint(ctx, func() error {
		_, err := t.tx.ExecContext(ctx, `
			UPDATE contacts SET sponsor_clid = $2, auth_info = $3, account_number = $4, doc = $5 WHERE id = $1`,
			r.id, w.SponsorClID, w.AuthInfo, w.AccountNumber, doc)
		return err
	})
	if err != nil {
		if isForeignKeyViolation(err) {
			if rerr := t.checkReseller(ctx, c.SponsorClID); rerr != nil {
				return rerr
			}
		}
		return fmt.Errorf("update contact %q: %w", c.ID, err)
	}
	c.ROID, c.CreatorClID, c.CreatedAt = w.ROID, w.CreatorClID, w.CreatedAt
	return nil
}

func (t *tx) DeleteContact(ctx context.Context, id string) error {
	rowID, err := t.contactRowID(ctx, id)
	if err != nil {
		return err
	}
	return t.deleteUnlinked(ctx, "contacts", "domain_contacts", "contact_id", rowID,
		registry.Errorf(registry.KindLinked, "contact %q is linked to a domain", id), "contact "+strconv.Quote(id))
}

// deleteUnlinked removes row rowID of table unless a row of linkTable
// refers to it through linkCol, in which case it returns linked. The check
// gives the readable answer; the foreign key catches a link made since
// (PostgreSQL). Table and column names are the caller's constants.
func (t *tx) deleteUnlinked(ctx context.Context, table, linkTable, linkCol string, rowID int64, linked error, what string) error {
	l, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM `+linkTable+` WHERE `+linkCol+` = $1)`, rowID)
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	if l {
		return linked
	}
	err = t.savepoint(ctx, func() error {
		_, err := t.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = $1`, rowID)
		return err
	})
	if err != nil {
		if isForeignKeyViolation(err) {
			return linked
		}
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return nil
}

// ContactIsRegistrant reports whether the contact is some domain's
// registrant; false for a contact that does not exist.
func (t *tx) ContactIsRegistrant(ctx context.Context, id string) (bool, error) {
	l, err := t.exists(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM domain_contacts dc JOIN contacts c ON c.id = dc.contact_id
			WHERE c.contact_id = $1 AND dc.type = 'registrant')`, id)
	if err != nil {
		return false, fmt.Errorf("registrations of contact %q: %w", id, err)
	}
	return l, nil
}

// ContactLinked reports whether any domain refers to the contact; false
// for a contact that does not exist.
func (t *tx) ContactLinked(ctx context.Context, id string) (bool, error) {
	l, err := t.exists(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM domain_contacts dc JOIN contacts c ON c.id = dc.contact_id
			WHERE c.contact_id = $1)`, id)
	if err != nil {
		return false, fmt.Errorf("links of contact %q: %w", id, err)
	}
	return l, nil
}

// insertObject inserts a domain, contact or host row in one savepoint: the
// row through insert (an INSERT ... RETURNING id), then its ROID (prefix,
// the row's id and suffix) and its JSON document, which docOf writes for
// that ROID, then whatever after adds for the new row (nil for nothing).
// It returns the ROID.
func (t *tx) insertObject(ctx context.Context, table, prefix, suffix, insert string, args []any,
	docOf func(roid string) (string, error), after func(id int64) error) (string, error) {
	var roid string
	err := t.savepoint(ctx, func() error {
		var id int64
		if err := t.tx.QueryRowContext(ctx, insert, args...).Scan(&id); err != nil {
			return err
		}
		roid = makeROID(prefix, id, suffix)
		doc, err := docOf(roid)
		if err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE `+table+` SET roid = $2, doc = $3 WHERE id = $1`, id, roid, doc); err != nil {
			return err
		}
		if after != nil {
			return after(id)
		}
		return nil
	})
	return roid, err
}
