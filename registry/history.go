package registry

import "time"

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
