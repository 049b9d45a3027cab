package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/eppd/eppd/registry"
)

// errObjects stands in until the object tables exist.
var errObjects = errors.New("sqlstore: domains, contacts, hosts and poll messages are not stored yet")

func (t *tx) CreateContact(context.Context, *registry.Contact, string) error { return errObjects }
func (t *tx) Contact(context.Context, string) (*registry.Contact, error)     { return nil, errObjects }
func (t *tx) LockContact(context.Context, string) (*registry.Contact, error) { return nil, errObjects }
func (t *tx) UpdateContact(context.Context, *registry.Contact) error         { return errObjects }
func (t *tx) DeleteContact(context.Context, string) error                    { return errObjects }
func (t *tx) ContactLinked(context.Context, string) (bool, error)            { return false, errObjects }
func (t *tx) CreateHost(context.Context, *registry.Host, string) error       { return errObjects }
func (t *tx) Host(context.Context, string) (*registry.Host, error)           { return nil, errObjects }
func (t *tx) LockHost(context.Context, string) (*registry.Host, error)       { return nil, errObjects }
func (t *tx) UpdateHost(context.Context, *registry.Host) error               { return errObjects }
func (t *tx) DeleteHost(context.Context, string) error                       { return errObjects }
func (t *tx) HostLinked(context.Context, string) (bool, error)               { return false, errObjects }
func (t *tx) HostDelegators(context.Context, string) ([]string, error)       { return nil, errObjects }
func (t *tx) SubordinateHosts(context.Context, string) ([]string, error)     { return nil, errObjects }
func (t *tx) CreateDomain(context.Context, *registry.Domain, string) error   { return errObjects }
func (t *tx) Domain(context.Context, string) (*registry.Domain, error)       { return nil, errObjects }
func (t *tx) LockDomain(context.Context, string) (*registry.Domain, error)   { return nil, errObjects }
func (t *tx) UpdateDomain(context.Context, *registry.Domain) error           { return errObjects }
func (t *tx) PurgeDomain(context.Context, string) error                      { return errObjects }
func (t *tx) DomainsDue(context.Context, time.Time, int) ([]string, error)   { return nil, errObjects }
func (t *tx) EnqueueMessage(context.Context, *registry.PollMessage) error    { return errObjects }
func (t *tx) FirstMessage(context.Context, string) (*registry.PollMessage, int, error) {
	return nil, 0, errObjects
}
func (t *tx) AckMessage(context.Context, string, int64) (int, error) { return 0, errObjects }
