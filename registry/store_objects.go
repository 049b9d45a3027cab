package registry

import (
	"context"
	"time"
)

// ObjectTx is the part of Tx that keeps domains, contacts, hosts and poll
// messages. Objects are found by their EPP identifier (domain and host
// name, contact ID) among the objects that exist now; a purged domain or
// deleted contact or host is gone, and its identifier free.
//
// Create methods assign ROID (prefix D, C or H, a number, "-" and the
// configured suffix) and are KindExists when the identifier is taken.
// Lock methods hold the object's row until the transaction ends. Update
// methods write every mutable field; KindNotFound when the object is gone.
//
// References (a domain's registrant, contacts and name servers; a host's
// superordinate domain) are kept by identity: writing one that does not
// exist is KindNotFound naming it, and reading gives the referenced
// object's current identifier (a renamed host appears under its new name).
type ObjectTx interface {
	CreateContact(ctx context.Context, c *Contact, roidSuffix string) error
	Contact(ctx context.Context, id string) (*Contact, error)
	LockContact(ctx context.Context, id string) (*Contact, error)
	UpdateContact(ctx context.Context, c *Contact) error
	// DeleteContact removes a contact; KindLinked when a domain refers to
	// it.
	DeleteContact(ctx context.Context, id string) error
	// ContactLinked reports whether any domain refers to the contact.
	ContactLinked(ctx context.Context, id string) (bool, error)
	// ContactIsRegistrant reports whether the contact is the registrant
	// of any domain.
	ContactIsRegistrant(ctx context.Context, id string) (bool, error)

	CreateHost(ctx context.Context, h *Host, roidSuffix string) error
	Host(ctx context.Context, name string) (*Host, error)
	LockHost(ctx context.Context, name string) (*Host, error)
	// UpdateHost writes h, found by its ROID, so that h.Name may change
	// (a rename); KindExists when the new name is taken.
	UpdateHost(ctx context.Context, h *Host) error
	// DeleteHost removes a host; KindLinked when a domain delegates to it.
	DeleteHost(ctx context.Context, name string) error
	// HostLinked reports whether any domain delegates to the host.
	HostLinked(ctx context.Context, name string) (bool, error)
	// HostDelegators lists the sponsors of the domains that delegate to
	// the host.
	HostDelegators(ctx context.Context, name string) ([]string, error)
	// SubordinateHosts lists the names of the hosts whose superordinate
	// domain is the named domain, ordered by name.
	SubordinateHosts(ctx context.Context, domain string) ([]string, error)

	CreateDomain(ctx context.Context, d *Domain, roidSuffix string) error
	Domain(ctx context.Context, name string) (*Domain, error)
	LockDomain(ctx context.Context, name string) (*Domain, error)
	UpdateDomain(ctx context.Context, d *Domain) error
	// PurgeDomain removes a domain and its links, freeing its name;
	// KindLinked while hosts are subordinate to it.
	PurgeDomain(ctx context.Context, name string) error
	// DomainsDue lists the names of domains whose NextEventAt is set and
	// at or before at, oldest first, at most limit of them.
	DomainsDue(ctx context.Context, at time.Time, limit int) ([]string, error)

	// EnqueueMessage adds m to its recipient's poll queue and sets its ID.
	EnqueueMessage(ctx context.Context, m *PollMessage) error
	// FirstMessage returns the oldest message in the reseller's queue and
	// the number of messages queued; KindNotFound when the queue is empty.
	FirstMessage(ctx context.Context, clID string) (*PollMessage, int, error)
	// AckMessage removes a message from the reseller's queue and returns
	// the number left; KindNotFound when the reseller has no such message.
	AckMessage(ctx context.Context, clID string, id int64) (int, error)
}
