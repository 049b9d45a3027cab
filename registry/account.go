package registry

import "time"

// RegistryClID is the sponsor of registrant-managed domains and of the
// contacts customer accounts own: the registry itself, a reseller row that
// can never log in. A reseller acts on such domains only through the roles
// its contacts hold (DOMAIN.md section 2).
const RegistryClID = "registry"

// AccountStatus is the state of a customer account.
type AccountStatus string

// Account states.
const (
	AccountActive AccountStatus = "active"
	AccountClosed AccountStatus = "closed"
	// AccountMerged: merged into another account (MergedInto); a
	// tombstone that can never log in, own or be merged again.
	AccountMerged AccountStatus = "merged"
)

// Account is a registrant's own customer account at the registry, tied to
// one identity number (DOMAIN.md section 1).
type Account struct {
	ID int64
	// Number is the customer number, unique and never reused.
	Number string
	// Handle is six lower-case letters, unique, that begin the IDs of the
	// contacts the registry generates for the account
	// ("abcdef0702-00001").
	Handle   string
	Name     string
	Email    string
	Identity Identity
	Status   AccountStatus
	// MergedInto is the number of the account this one was merged into.
	MergedInto string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Consent is a registrant's consent to reseller management of a domain.
type Consent struct {
	// ResellerClID is the reseller the registrant consented to.
	ResellerClID string    `json:"reseller"`
	At           time.Time `json:"at"`
	// Method says how consent was given: "order-confirmation" (evidence
	// from the reseller's order flow, at create), "token" (an
	// authorisation the registrant issued through the registry), or
	// "operator".
	Method string `json:"method"`
	// Evidence is what proves it: an order-confirmation reference, or the
	// ID of the consent token used.
	Evidence string `json:"evidence"`
}

// ConsentToken is a single-use authorisation, issued to a registrant, to
// put one domain under one reseller's management.
type ConsentToken struct {
	ID int64
	// Hash is the lower-case hex SHA-256 of the token; the token itself is
	// shown once and never stored.
	Hash          string
	Domain        string
	AccountNumber string
	// ResellerClID, when set, is the only reseller that may use it.
	ResellerClID string
	IssuedBy     string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	// UsedAt is zero until the token is used.
	UsedAt time.Time
}
