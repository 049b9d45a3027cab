package registry

import (
	"net/netip"
	"time"
)

// Object types, as history and poll messages name them.
const (
	ObjectDomain  = "domain"
	ObjectContact = "contact"
	ObjectHost    = "host"
)

// Transfer is the state of an object's most recent transfer request
// (RFC 5730 section 2.9.3.4, RFC 5731 section 3.2.4).
type Transfer struct {
	// Status is one of the TransferStatus values.
	Status string `json:"status"`
	// GainingClID requested the transfer at RequestedAt; LosingClID was the
	// sponsor then, and must act by ActBy (the auto-approval time while
	// pending, the time of the action once acted upon).
	GainingClID string    `json:"reID"`
	RequestedAt time.Time `json:"reDate"`
	LosingClID  string    `json:"acID"`
	ActBy       time.Time `json:"acDate"`
	// Years is the renewal the transfer brings (domains only; 0: none).
	Years int `json:"years,omitempty"`
	// NewExpiry is the domain's expiry once the transfer completes
	// (domains only).
	NewExpiry time.Time `json:"exDate,omitempty"`
}

// Transfer statuses (eppcom trStatusType).
const (
	TransferPending         = "pending"
	TransferClientApproved  = "clientApproved"
	TransferClientCancelled = "clientCancelled"
	TransferClientRejected  = "clientRejected"
	TransferServerApproved  = "serverApproved"
	TransferServerCancelled = "serverCancelled"
)

// PostalInfo is a contact's postal information in one form: "int"
// (7-bit ASCII) or "loc" (any UTF-8).
type PostalInfo struct {
	Type   string   `json:"type"`
	Name   string   `json:"name"`
	Org    string   `json:"org,omitempty"`
	Street []string `json:"street,omitempty"`
	City   string   `json:"city"`
	SP     string   `json:"sp,omitempty"`
	PC     string   `json:"pc,omitempty"`
	CC     string   `json:"cc"`
}

// Disclose is a contact's disclosure preference (RFC 5733 section 2.9):
// Flag says whether the listed elements are disclosed (true) or withheld
// (false). Elements not listed follow the registry's default policy.
type Disclose struct {
	Flag    bool `json:"flag"`
	NameInt bool `json:"nameInt,omitempty"`
	NameLoc bool `json:"nameLoc,omitempty"`
	OrgInt  bool `json:"orgInt,omitempty"`
	OrgLoc  bool `json:"orgLoc,omitempty"`
	AddrInt bool `json:"addrInt,omitempty"`
	AddrLoc bool `json:"addrLoc,omitempty"`
	Voice   bool `json:"voice,omitempty"`
	Fax     bool `json:"fax,omitempty"`
	Email   bool `json:"email,omitempty"`
}

// Contact is a person or organisation record (RFC 5733).
type Contact struct {
	ROID string `json:"roid"`
	// AccountNumber is the customer account that owns the contact, or ""
	// for a contact a reseller owns.
	AccountNumber string `json:"account,omitempty"`
	// ID is the contact's client-chosen or registry-generated handle.
	ID          string       `json:"id"`
	SponsorClID string       `json:"clID"`
	CreatorClID string       `json:"crID"`
	UpdaterClID string       `json:"upID,omitempty"`
	Postal      []PostalInfo `json:"postalInfo"`
	Voice       string       `json:"voice,omitempty"`
	VoiceExt    string       `json:"voiceExt,omitempty"`
	Fax         string       `json:"fax,omitempty"`
	FaxExt      string       `json:"faxExt,omitempty"`
	Email       string       `json:"email"`
	AuthInfo    string       `json:"-"`
	Disclose    *Disclose    `json:"disclose,omitempty"`
	// Statuses are the stored statuses: client* and server* prohibitions
	// and pending ones. "ok" and "linked" are derived when shown.
	Statuses      []string  `json:"statuses,omitempty"`
	CreatedAt     time.Time `json:"crDate"`
	UpdatedAt     time.Time `json:"upDate,omitempty"`
	TransferredAt time.Time `json:"trDate,omitempty"`
	Transfer      *Transfer `json:"transfer,omitempty"`
}

// Host is a name server (RFC 5732).
type Host struct {
	ROID        string `json:"roid"`
	Name        string `json:"name"`
	SponsorClID string `json:"clID"`
	CreatorClID string `json:"crID"`
	UpdaterClID string `json:"upID,omitempty"`
	// Addrs are the glue addresses, set only for internal hosts.
	Addrs    []netip.Addr `json:"addrs,omitempty"`
	Statuses []string     `json:"statuses,omitempty"`
	// Superordinate is the name of the registry's domain the host lies
	// under, or "" for an external host. The store keeps the link by
	// identity and reads back the domain's current name.
	Superordinate string    `json:"superordinate,omitempty"`
	CreatedAt     time.Time `json:"crDate"`
	UpdatedAt     time.Time `json:"upDate,omitempty"`
	TransferredAt time.Time `json:"trDate,omitempty"`
}

// DomainContact is a contact in a role on a domain.
type DomainContact struct {
	// Type is "admin", "billing" or "tech".
	Type string `json:"type"`
	ID   string `json:"id"`
}

// DSData is one DS record of a domain's DNSSEC delegation (RFC 5910).
type DSData struct {
	KeyTag     uint16 `json:"keyTag"`
	Alg        uint8  `json:"alg"`
	DigestType uint8  `json:"digestType"`
	// Digest is upper-case hex.
	Digest string `json:"digest"`
}

// Grace is a grace period a domain is in (RFC 3915): "addPeriod",
// "renewPeriod", "transferPeriod" or "autoRenewPeriod", until Until.
type Grace struct {
	Kind  string    `json:"kind"`
	Until time.Time `json:"until"`
	// Years is the registration time the period's operation added, so
	// that a delete within the period can take it back.
	Years int `json:"years,omitempty"`
}

// Domain is a registered domain name (RFC 5731).
type Domain struct {
	ROID string `json:"roid"`
	// Name is the domain's name in lower-case A-label form.
	Name        string `json:"name"`
	SponsorClID string `json:"clID"`
	CreatorClID string `json:"crID"`
	UpdaterClID string `json:"upID,omitempty"`
	// Registrant and Contacts hold contact IDs, NS host names; the store
	// keeps these links by identity and reads back current names.
	Registrant string          `json:"registrant"`
	Contacts   []DomainContact `json:"contacts,omitempty"`
	NS         []string        `json:"ns,omitempty"`
	AuthInfo   string          `json:"-"`
	// Statuses are the stored statuses; "ok", "inactive" and the RGP
	// statuses are derived when shown.
	Statuses      []string  `json:"statuses,omitempty"`
	DS            []DSData  `json:"ds,omitempty"`
	CreatedAt     time.Time `json:"crDate"`
	UpdatedAt     time.Time `json:"upDate,omitempty"`
	ExpiresAt     time.Time `json:"exDate"`
	TransferredAt time.Time `json:"trDate,omitempty"`
	Grace         []Grace   `json:"grace,omitempty"`
	// DeletedAt is when a delete put the domain in the redemption period;
	// PurgeAt is when it will be removed and its name freed. Both zero for
	// a live domain.
	DeletedAt time.Time `json:"deletedAt,omitempty"`
	PurgeAt   time.Time `json:"purgeAt,omitempty"`
	Transfer  *Transfer `json:"transfer,omitempty"`
	// Model is the domain's management model; "" is read as
	// ModelReseller (domains from before models existed).
	Model Model `json:"model,omitempty"`
	// AccountNumber is the customer account that holds a
	// registrant-managed domain.
	AccountNumber string `json:"account,omitempty"`
	// Consent records the registrant's consent to reseller management.
	Consent *Consent `json:"consent,omitempty"`
	// AutoRenew says whether a reseller-managed domain is renewed
	// automatically at expiry; nil is on, the default (see autorenew.go).
	AutoRenew *bool `json:"autoRenew,omitempty"`
	// NextEventAt is when the registry must next look at the domain by
	// itself (transfer auto-approval, grace expiry, auto-renewal, purge);
	// zero for never. The store indexes it.
	NextEventAt time.Time `json:"-"`
}

// PollMessage is a message in a reseller's poll queue (RFC 5730 section
// 2.9.2.3).
type PollMessage struct {
	ID          int64
	RecipientID string // the reseller's clID
	QueuedAt    time.Time
	// Msg is the human-readable text.
	Msg string
	// Kind and Data say what the message is about, for the response's
	// resData: Kind is "transfer" (Data: the object type, name and its
	// Transfer), "pan" (pending action notification), or "" for text
	// only.
	Kind string
	Data []byte // JSON
}
