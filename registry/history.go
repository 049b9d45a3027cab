package registry

import (
	"context"
	"time"
)

// HistoryEntry records one change to registry data. It is written in the
// same transaction as the change, and never updated or deleted.
type HistoryEntry struct {
	ID int64
	At time.Time
	// ObjectType and ObjectKey name the changed object, such as
	// ("reseller", "acme").
	ObjectType string
	ObjectKey  string
	// Action is what was done, such as "create", "passwd" or "suspend".
	Action string
	// Actor is who did it: "operator" for the command line, or
	// "reseller:<clID>" for an EPP session.
	Actor string
	// SessionID, ClTRID and SvTRID tie an EPP-driven change to its
	// session and transaction; empty for operator changes.
	SessionID string
	ClTRID    string
	SvTRID    string
	// State is the object's state after the change, as JSON.
	State []byte
}

// Actor names for history entries.
const ActorOperator = "operator"

// ResellerActor is the history actor for a reseller's EPP session.
func ResellerActor(clID string) string { return "reseller:" + clID }

// ObjectHistory returns the history of the domain, contact or host that
// now has the identifier id (a domain or host name, a contact ID), oldest
// first.
func (s *Service) ObjectHistory(ctx context.Context, objectType, id string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.store.Tx(ctx, func(tx Tx) error {
		var roid string
		switch objectType {
		case ObjectDomain:
			d, err := tx.Domain(ctx, NormalizeName(id))
			if err != nil {
				return err
			}
			roid = d.ROID
		case ObjectHost:
			h, err := tx.Host(ctx, NormalizeName(id))
			if err != nil {
				return err
			}
			roid = h.ROID
		case ObjectContact:
			c, err := tx.Contact(ctx, id)
			if err != nil {
				return err
			}
			roid = c.ROID
		default:
			return Errorf(KindInvalid, "unknown object type %q", objectType)
		}
		var err error
		out, err = tx.History(ctx, objectType, roid)
		return err
	})
	return out, err
}
