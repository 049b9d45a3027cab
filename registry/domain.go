package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Domain rules (RFC 5731, with RFC 3915 grace periods), as this registry
// applies them:
//
//   - Names are normalised (lower case, no trailing dot). A name that is
//     not a syntactically valid host name is KindInvalid; one the registry
//     does not register (not exactly one label under a TLD it runs, a label
//     outside the TLD's length limits, a reserved label) is KindPolicy on
//     create; on the other commands it is simply not found.
//   - Only the sponsor (or the operator) changes a domain: anyone else is
//     KindForbidden. A status that forbids the operation (client or server
//     prohibition, pending delete, pending transfer for delete and renew)
//     is KindStatusProhibits.
//   - A create needs a registrant (KindMissing), existing contacts and
//     name servers (KindNotFound; name servers through CheckDelegation),
//     authorisation information of 6 to 64 characters, and a period within
//     the TLD's (KindRange). It starts the addPeriod grace period. The
//     contacts and hosts may be any reseller's, as in RFC 5731: they are
//     referred to, not changed.
//   - A renew names the current expiry date (KindRange when it is not the
//     domain's, which stops a repeated renew from renewing twice), may not
//     put the expiry more than MaxRegistrationYears ahead (KindPolicy),
//     ends the addPeriod and starts a renewPeriod.
//   - A delete within the addPeriod removes the domain at once. Otherwise
//     the domain enters the redemption period (pendingDelete) for its
//     TLD's DeactivationPeriod, out of the zone but restorable, and is
//     purged by ProcessDue at its end. Its grace periods run on (a
//     restore shows those not yet over), except, when the registry charges
//     (Config.Charger), those of a reseller-managed domain whose charges
//     the delete refunds: the years they added are taken off the expiry
//     (charge.go). A domain on an unpaid bill is taken off it (its line
//     removed; a bill left with none cancelled), as its holder no longer
//     owes its renewal. A domain with subordinate hosts
//     cannot be deleted (KindLinked): they must be deleted or renamed
//     first (RFC 5731 section 3.2.2).
//   - A restore (RFC 3915) brings a domain in redemption back at once: the
//     registry needs no restore report, and records one when given. It
//     undoes the delete: a reseller-managed domain whose expiry passed is
//     renewed until it lies ahead, and charged for it; a registrant-managed
//     one goes back on the bill its delete took it off (RestoreDomain).
//   - Creates, renewals and restores of reseller-managed domains are paid
//     from the acting reseller's prepaid balance when the registry charges
//     (charge.go): KindBilling (EPP 2104) when it cannot cover them, and
//     then nothing changes.
//   - An update applies its removals first, then its additions (as RFC
//     5910 requires for DS records). Adding what is there or removing what
//     is not is KindPolicy, so that the client learns its view was stale.

// DomainCheck is the answer about one name of a domain check.
type DomainCheck struct {
	// Name is the name as asked.
	Name  string
	Avail bool
	// Reason says briefly (at most 32 characters, as EPP's reasonType
	// allows) why the name is not available; "" when it is.
	Reason string
}

// NewDomain is what a reseller gives to create a domain.
type NewDomain struct {
	Name string
	// Years is the registration period; 0 for the TLD's minimum.
	Years      int
	Registrant string
	Contacts   []DomainContact
	NS         []string
	AuthInfo   string
	DS         []DSData
	// Model is the management model asked for; "" for the one that
	// follows from Consent, Holder or the reseller's default (model.go).
	Model Model
	// Consent is the registrant's consent to reseller management, from
	// the reseller's order flow; At zero for now.
	Consent *Consent
	// Holder is the holder's identity number, by which a
	// registrant-managed domain's customer account is found or opened;
	// HolderEmail, when set, is the e-mail address of an account opened.
	Holder      *Identity
	HolderEmail string
	// Account is the customer number of the account that is to hold the
	// domain: the operator's create of a registrant-managed domain.
	Account string
}

// DomainChange is what a domain update removes, adds and changes. Removals
// apply before additions. Empty fields change nothing.
type DomainChange struct {
	AddNS, RemNS             []string
	AddContacts, RemContacts []DomainContact
	AddStatuses, RemStatuses []string
	// Registrant and AuthInfo, when set, replace the domain's.
	Registrant *string
	AuthInfo   *string
	// AddDS and RemDS add and remove DS records; RemAllDS removes every
	// one first.
	AddDS, RemDS []DSData
	RemAllDS     bool
}

func (c *DomainChange) empty() bool {
	return len(c.AddNS) == 0 && len(c.RemNS) == 0 && len(c.AddContacts) == 0 && len(c.RemContacts) == 0 &&
		len(c.AddStatuses) == 0 && len(c.RemStatuses) == 0 && c.Registrant == nil && c.AuthInfo == nil &&
		len(c.AddDS) == 0 && len(c.RemDS) == 0 && !c.RemAllDS
}

// DomainView is a domain as an info command shows it to one reseller.
type DomainView struct {
	// Domain is the domain; when Full is false only its Name, ROID,
	// SponsorClID, NS, DS, CreatedAt, UpdatedAt and ExpiresAt are set: the
	// data that is public anyway, in the DNS or in the registration data
	// service. Registrant, contacts, the creating and updating resellers,
	// the transfer date and subordinate hosts need Full; AuthInfo is set
	// only for those the authorisation policy lets set it
	// (ActionUpdateAuthInfo: the reseller of record of a reseller-managed
	// domain, the operator).
	Domain *Domain
	// Full: those the policy shows all the domain's data (ActionInfoFull:
	// the reseller of record, every role holder, the operator), or a
	// reseller that gave the domain's (or its registrant's) authorisation
	// information.
	Full bool
	// Sponsor: the caller sponsors the domain (or is the operator).
	Sponsor bool
	// Model is the domain's management model ("" read as ModelReseller).
	Model Model
	// ResellerOfRecord is the sponsor of a reseller-managed domain (public,
	// as the sponsor is); "" for a registrant-managed one.
	ResellerOfRecord string
	// Roles are the roles the caller holds on the domain (RolesOf).
	Roles []Role
	// Account is the customer account holding a registrant-managed
	// domain, shown to those the policy entitles to full data (role
	// holders, the operator), not to a reseller that sees full data only
	// by giving the authorisation information.
	Account string
	// Consent is the registrant's consent to reseller management, shown to
	// those who may set the authorisation information (the reseller of
	// record, the operator).
	Consent *Consent
	// AutoRenew is whether a reseller-managed domain is renewed
	// automatically at expiry (AutoRenews), shown to those who see full
	// data; nil for a registrant-managed domain, which is billed instead,
	// and when not Full.
	AutoRenew *bool
	// Statuses are the EPP statuses (DomainStatuses), RGP the RFC 3915
	// ones (RGPStatuses).
	Statuses []string
	RGP      []string
	// Hosts are the names of the hosts subordinate to the domain, when
	// asked for and Full.
	Hosts []string
}

// RestoreReport is the restore report of RFC 3915 section 4.2.
type RestoreReport struct {
	PreData    string    `json:"preData"`
	PostData   string    `json:"postData"`
	DelTime    time.Time `json:"delTime"`
	ResTime    time.Time `json:"resTime"`
	ResReason  string    `json:"resReason"`
	Statements []string  `json:"statements"`
	Other      string    `json:"other,omitempty"`
}

// domainContactTypes are the contact roles besides the registrant.
var domainContactTypes = []string{"admin", "billing", "tech"}

// domainStatuses are the statuses a domain can show (domain-1.0.xsd).
var domainStatuses = []string{
	StatusClientDeleteProhibited, StatusClientHold, StatusClientRenewProhibited, StatusClientTransferProhibited,
	StatusClientUpdateProhibited, StatusInactive, StatusOK, StatusPendingCreate, StatusPendingDelete,
	StatusPendingRenew, StatusPendingTransfer, StatusPendingUpdate, StatusServerDeleteProhibited,
	StatusServerHold, StatusServerRenewProhibited, StatusServerTransferProhibited, StatusServerUpdateProhibited,
}

// domainName normalises a domain name and checks its syntax.
func domainName(name string) (string, error) {
	n := NormalizeName(name)
	if r := CheckHostname(n); r != "" {
		return "", Errorf(KindInvalid, "%q is not a valid domain name: %s", name, r)
	}
	return n, nil
}

// registrableName is domainName and CheckDomainName: the name and its TLD.
func (s *Service) registrableName(name string) (string, *TLD, error) {
	n, err := domainName(name)
	if err != nil {
		return "", nil, err
	}
	t, r := s.CheckDomainName(n)
	if r != "" {
		return "", nil, Errorf(KindPolicy, "%s cannot be registered: %s", n, r)
	}
	return n, t, nil
}

// checkReason is the short reason a check gives for a name the registry
// does not register, or "".
func (s *Service) checkReason(name string) string {
	if CheckHostname(name) != "" {
		return "invalid domain name"
	}
	t, label := s.TLDFor(name)
	switch {
	case t == nil:
		return "not offered by this registry"
	case slices.Contains(t.Reserved, label):
		return "reserved"
	}
	if _, r := s.CheckDomainName(name); r != "" {
		return "label length outside TLD limits"
	}
	return ""
}

// domainTLD returns the TLD a domain is under, or the default policy when
// the registry no longer runs it.
func (s *Service) domainTLD(name string) *TLD { return s.transferTLD(name) }

// mayChange reports whether a may change d: its sponsor, or the operator.
func mayChange(a Actor, d *Domain) bool { return isOperator(a) || a.ClID == d.SponsorClID }

func forbidden(d *Domain) error {
	return Errorf(KindForbidden, "domain %s is sponsored by another reseller", d.Name)
}

// checkContacts checks the roles and refuses a contact given twice in the
// same role.
func checkContacts(cs []DomainContact) error {
	for i, c := range cs {
		if !slices.Contains(domainContactTypes, c.Type) {
			if c.Type == "" {
				return Errorf(KindMissing, "contact %q has no type; give admin, billing or tech", c.ID)
			}
			return Errorf(KindInvalid, "contact type %q is not admin, billing or tech", c.Type)
		}
		if c.ID == "" {
			return Errorf(KindMissing, "a %s contact has no ID", c.Type)
		}
		if slices.Contains(cs[:i], c) {
			return Errorf(KindPolicy, "contact %s is given more than once as %s contact", c.ID, c.Type)
		}
	}
	return nil
}

// normalizeNS normalises and checks name server names and refuses
// duplicates.
func normalizeNS(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, name := range names {
		n, err := checkHostName(name)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, n) {
			return nil, Errorf(KindPolicy, "name server %s is given more than once", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkDomainStatus checks that actor a may add or remove status st:
// client statuses anyone the policy lets update statuses, server statuses
// the operator alone.
func checkDomainStatus(a Actor, st string) error {
	switch {
	case IsClientStatus(ObjectDomain, st):
		return nil
	case IsServerStatus(ObjectDomain, st) && isOperator(a):
		return nil
	case IsServerStatus(ObjectDomain, st):
		return Errorf(KindPolicy, "status %s is set by the registry only", st)
	case slices.Contains(domainStatuses, st):
		return Errorf(KindPolicy, "status %s is derived by the registry and cannot be set or removed", st)
	}
	return Errorf(KindInvalid, "%q is not a domain status", st)
}

// contactsExist checks that every contact exists.
func contactsExist(ctx context.Context, tx Tx, role string, ids ...string) error {
	for _, id := range ids {
		_, err := tx.Contact(ctx, id)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "%s contact %q does not exist", role, id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckDomains answers whether each name is available for registration.
// A name the registry does not register is unavailable, with the reason.
// More than Config().MaxCheck names is KindPolicy.
func (s *Service) CheckDomains(ctx context.Context, names []string) ([]DomainCheck, error) {
	if len(names) == 0 {
		return nil, Errorf(KindMissing, "no domain name to check")
	}
	if len(names) > s.cfg.MaxCheck {
		return nil, Errorf(KindPolicy, "at most %d names may be checked at once, %d were given", s.cfg.MaxCheck, len(names))
	}
	out := make([]DomainCheck, len(names))
	err := s.store.Tx(ctx, func(tx Tx) error {
		for i, name := range names {
			out[i] = DomainCheck{Name: name}
			n := NormalizeName(name)
			if r := s.checkReason(n); r != "" {
				out[i].Reason = r
				continue
			}
			_, err := tx.Domain(ctx, n)
			switch {
			case err == nil:
				out[i].Reason = "in use"
			case IsKind(err, KindNotFound):
				out[i].Avail = true
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DomainInfo returns a domain as a reseller may see it (see DomainView),
// as the authorisation policy decides (ActionInfoFull for all its data,
// ActionUpdateAuthInfo for its authorisation information).
// authInfo, when given, must be the domain's, or its registrant's with
// authROID the registrant's ROID (KindAuthInfo otherwise, even for the
// sponsor). hosts asks for the subordinate hosts. A transfer still pending
// after its auto-approval time is approved first.
func (s *Service) DomainInfo(ctx context.Context, a Actor, name, authInfo, authROID string, hosts bool) (*DomainView, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	var (
		v DomainView
		// publicOnly is set when the caller is shown public data only.
		publicOnly *Refusal
	)
	err = s.store.Tx(ctx, func(tx Tx) error {
		v = DomainView{}
		d, err := s.readDomain(ctx, tx, n)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if transferPending(d) && !d.Transfer.ActBy.After(now) {
			// Show the transfer done, not still pending past its time.
			if d, err = tx.LockDomain(ctx, n); err != nil {
				return err
			}
			if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
				return err
			}
		}
		subj, err := domainSubject(ctx, tx, d)
		if err != nil {
			return err
		}
		v.Sponsor = mayChange(a, d)
		v.Model, v.Roles = subj.Model, RolesOf(a.ClID, subj)
		entitled := decide(a, ActionInfoFull, subj)
		showAuth := decide(a, ActionUpdateAuthInfo, subj).Allow
		v.Full = entitled.Allow
		if authInfo != "" || authROID != "" {
			ok, err := s.authMatches(ctx, tx, domainTransferable(d), TransferCommand{AuthInfo: authInfo, AuthROID: authROID})
			if err != nil {
				return err
			}
			if !ok {
				return Errorf(KindAuthInfo, "the authorisation information does not match domain %s", n)
			}
			v.Full = true
		}
		publicOnly = nil
		if !v.Full {
			publicOnly = &Refusal{Action: ActionInfoFull, Decision: entitled}
		}
		if subj.Model == ModelReseller {
			v.ResellerOfRecord = subj.ResellerOfRecord
		}
		if entitled.Allow && subj.Model == ModelRegistrant {
			v.Account = d.AccountNumber
		}
		if showAuth && d.Consent != nil {
			c := *d.Consent
			v.Consent = &c
		}
		if v.Full && subj.Model == ModelReseller {
			on := AutoRenews(d)
			v.AutoRenew = &on
		}
		v.Statuses = s.DomainStatuses(ctx, tx, d, now)
		v.RGP = s.RGPStatuses(d, now)
		if v.Full && hosts {
			if v.Hosts, err = tx.SubordinateHosts(ctx, n); err != nil {
				return err
			}
		}
		switch {
		case !v.Full:
			d = &Domain{ROID: d.ROID, Name: d.Name, SponsorClID: d.SponsorClID, NS: d.NS, DS: d.DS,
				CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, ExpiresAt: d.ExpiresAt, Model: d.Model}
		case !showAuth:
			d.AuthInfo = ""
		}
		v.Domain = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Public data instead of full data is the policy's refusal of
	// ActionInfoFull, and counted as one.
	if publicOnly != nil {
		s.countRefusal(publicOnly)
	}
	return &v, nil
}

// CreateDomain registers a domain sponsored by the acting reseller, or by
// the registry for a registrant-managed domain; its management model is
// settled as model.go describes. The operator creates registrant-managed
// domains for a customer account (nd.Account).
func (s *Service) CreateDomain(ctx context.Context, a Actor, nd NewDomain) (*Domain, error) {
	if a.ClID == "" && !isOperator(a) {
		return nil, Errorf(KindForbidden, "domains are created by a reseller, which sponsors them")
	}
	if err := s.checkNewDomainModel(a, &nd); err != nil {
		return nil, err
	}
	name, t, err := s.registrableName(nd.Name)
	if err != nil {
		return nil, err
	}
	years := nd.Years
	if years == 0 {
		years = t.MinPeriod
	}
	if years < t.MinPeriod || years > t.MaxPeriod {
		return nil, Errorf(KindRange, "the registration period must be from %d to %d years", t.MinPeriod, t.MaxPeriod)
	}
	if nd.Registrant == "" {
		return nil, Errorf(KindMissing, "the registry requires a registrant contact")
	}
	if err := checkContacts(nd.Contacts); err != nil {
		return nil, err
	}
	ns, err := normalizeNS(nd.NS)
	if err != nil {
		return nil, err
	}
	if nd.AuthInfo == "" {
		return nil, Errorf(KindMissing, "authorisation information is required")
	}
	if err := validateContactAuthInfo(nd.AuthInfo); err != nil {
		return nil, err
	}
	ds, err := normalizeDSList(nd.DS)
	if err != nil {
		return nil, err
	}
	if len(ds) > MaxDS {
		return nil, Errorf(KindPolicy, "a domain may have at most %d DS records", MaxDS)
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		_, err := tx.Domain(ctx, name)
		if err == nil {
			return Errorf(KindExists, "domain %s is already registered", name)
		}
		if !IsKind(err, KindNotFound) {
			return err
		}
		if err := contactsExist(ctx, tx, "registrant", nd.Registrant); err != nil {
			return err
		}
		for _, c := range nd.Contacts {
			if err := contactsExist(ctx, tx, c.Type, c.ID); err != nil {
				return err
			}
		}
		if err := s.CheckDelegation(ctx, tx, a.ClID, ns); err != nil {
			return err
		}
		d = &Domain{
			Name: name, SponsorClID: a.ClID, CreatorClID: a.ClID,
			Registrant: nd.Registrant, Contacts: slices.Clone(nd.Contacts), NS: ns,
			AuthInfo: nd.AuthInfo, DS: ds,
			CreatedAt: now, ExpiresAt: addYears(now, years),
			Grace: []Grace{{Kind: GraceAddPeriod, Until: now.Add(t.AddGrace.D()), Years: years}},
		}
		if err := s.applyCreateModel(ctx, tx, a, &nd, d); err != nil {
			return err
		}
		if err := s.charge(ctx, tx, s.payer(a, d), a, d, ChargeCreate, years, now); err != nil {
			return err
		}
		d.NextEventAt = s.nextEvent(d)
		if err := tx.CreateDomain(ctx, d, s.cfg.ROIDSuffix); err != nil {
			if IsKind(err, KindExists) {
				return Errorf(KindExists, "domain %s is already registered", name)
			}
			return err
		}
		return s.record(ctx, tx, a, ObjectDomain, d.ROID, "create", d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDomain changes a domain's name servers, contacts, client statuses,
// registrant, authorisation information and DS records. An update of a
// domain with clientUpdateProhibited must remove that status (it may
// change more at the same time); serverUpdateProhibited and the redemption
// period forbid every update.
func (s *Service) UpdateDomain(ctx context.Context, a Actor, name string, c DomainChange) (*Domain, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	if c.empty() {
		return nil, Errorf(KindMissing, "the update of domain %s changes nothing: give <add>, <rem> or <chg>", n)
	}
	for _, st := range slices.Concat(c.AddStatuses, c.RemStatuses) {
		if err := checkDomainStatus(a, st); err != nil {
			return nil, err
		}
	}
	for i, st := range c.AddStatuses {
		if slices.Contains(c.AddStatuses[:i], st) {
			return nil, Errorf(KindPolicy, "status %s is added more than once", st)
		}
	}
	for i, st := range c.RemStatuses {
		if slices.Contains(c.RemStatuses[:i], st) {
			return nil, Errorf(KindPolicy, "status %s is removed more than once", st)
		}
	}
	if err := checkContacts(c.AddContacts); err != nil {
		return nil, err
	}
	if err := checkContacts(c.RemContacts); err != nil {
		return nil, err
	}
	if c.AddNS, err = normalizeNS(c.AddNS); err != nil {
		return nil, err
	}
	if c.RemNS, err = normalizeNS(c.RemNS); err != nil {
		return nil, err
	}
	if c.Registrant != nil && *c.Registrant == "" {
		return nil, Errorf(KindPolicy, "the registry requires a registrant contact; it cannot be removed")
	}
	if c.AuthInfo != nil {
		if *c.AuthInfo == "" {
			return nil, Errorf(KindPolicy, "the registry requires authorisation information; it cannot be removed")
		}
		if err := validateContactAuthInfo(*c.AuthInfo); err != nil {
			return nil, err
		}
	}
	if c.AddDS, err = normalizeDSList(c.AddDS); err != nil {
		return nil, err
	}
	if c.RemDS, err = normalizeDSList(c.RemDS); err != nil {
		return nil, err
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		var err error
		if d, err = s.lockForAction(ctx, tx, a, n, now, domainChangeActions(&c)...); err != nil {
			return err
		}
		if inRedemption(d) {
			return Errorf(KindStatusProhibits, "domain %s is pending deletion; restore it first", n)
		}
		if HasStatus(d.Statuses, StatusServerUpdateProhibited) && !isOperator(a) {
			return Errorf(KindStatusProhibits, "domain %s has status serverUpdateProhibited", n)
		}
		if HasStatus(d.Statuses, StatusClientUpdateProhibited) && !isOperator(a) && !slices.Contains(c.RemStatuses, StatusClientUpdateProhibited) {
			return Errorf(KindStatusProhibits, "domain %s has status clientUpdateProhibited; an update must remove it", n)
		}
		// RFC 5731 section 2.3: pendingTransfer is never combined with a
		// transfer prohibition.
		if transferPending(d) && slices.Contains(c.AddStatuses, StatusClientTransferProhibited) {
			return Errorf(KindStatusProhibits, "domain %s has a transfer pending; clientTransferProhibited cannot be added until it is resolved", n)
		}
		if err := applyDomainChange(d, &c); err != nil {
			return err
		}
		if c.Registrant != nil {
			if err := contactsExist(ctx, tx, "registrant", *c.Registrant); err != nil {
				return err
			}
			if err := s.checkRegistrantSwitch(ctx, tx, d); err != nil {
				return err
			}
		}
		for _, ct := range c.AddContacts {
			if err := contactsExist(ctx, tx, ct.Type, ct.ID); err != nil {
				return err
			}
		}
		if len(c.AddNS) > 0 {
			if err := s.CheckDelegation(ctx, tx, a.ClID, c.AddNS); err != nil {
				return err
			}
		}
		return s.saveDomain(ctx, tx, a, d, now, "update", d)
	})
	if err != nil {
		return nil, s.refused(err)
	}
	return d, nil
}

// applyDomainChange applies c to d: removals, then additions, then
// changes.
func applyDomainChange(d *Domain, c *DomainChange) error {
	for _, ns := range c.RemNS {
		if !slices.Contains(d.NS, ns) {
			return Errorf(KindPolicy, "%s is not a name server of domain %s", ns, d.Name)
		}
	}
	d.NS = slices.DeleteFunc(d.NS, func(ns string) bool { return slices.Contains(c.RemNS, ns) })
	for _, ns := range c.AddNS {
		if slices.Contains(d.NS, ns) {
			return Errorf(KindPolicy, "%s is already a name server of domain %s", ns, d.Name)
		}
	}
	d.NS = append(d.NS, c.AddNS...)

	for _, ct := range c.RemContacts {
		if !slices.Contains(d.Contacts, ct) {
			return Errorf(KindPolicy, "%s is not a %s contact of domain %s", ct.ID, ct.Type, d.Name)
		}
	}
	d.Contacts = slices.DeleteFunc(d.Contacts, func(ct DomainContact) bool { return slices.Contains(c.RemContacts, ct) })
	for _, ct := range c.AddContacts {
		if slices.Contains(d.Contacts, ct) {
			return Errorf(KindPolicy, "%s is already a %s contact of domain %s", ct.ID, ct.Type, d.Name)
		}
	}
	d.Contacts = append(d.Contacts, c.AddContacts...)

	for _, st := range c.RemStatuses {
		if !HasStatus(d.Statuses, st) {
			return Errorf(KindPolicy, "domain %s does not have status %s", d.Name, st)
		}
	}
	d.Statuses = slices.DeleteFunc(d.Statuses, func(st string) bool { return slices.Contains(c.RemStatuses, st) })
	for _, st := range c.AddStatuses {
		if HasStatus(d.Statuses, st) {
			return Errorf(KindPolicy, "domain %s already has status %s", d.Name, st)
		}
	}
	d.Statuses = append(d.Statuses, c.AddStatuses...)
	slices.Sort(d.Statuses)

	if c.RemAllDS {
		d.DS = nil
	}
	for _, ds := range c.RemDS {
		if !slices.Contains(d.DS, ds) {
			return Errorf(KindPolicy, "domain %s has no DS record with key tag %d, algorithm %d, digest type %d and that digest",
				d.Name, ds.KeyTag, ds.Alg, ds.DigestType)
		}
	}
	d.DS = slices.DeleteFunc(d.DS, func(ds DSData) bool { return slices.Contains(c.RemDS, ds) })
	for _, ds := range c.AddDS {
		if slices.Contains(d.DS, ds) {
			return Errorf(KindPolicy, "domain %s already has the DS record with key tag %d", d.Name, ds.KeyTag)
		}
	}
	d.DS = append(d.DS, c.AddDS...)
	if len(d.DS) > MaxDS {
		return Errorf(KindPolicy, "a domain may have at most %d DS records", MaxDS)
	}
	if len(d.DS) == 0 {
		d.DS = nil
	}

	if c.Registrant != nil {
		d.Registrant = *c.Registrant
	}
	if c.AuthInfo != nil {
		d.AuthInfo = *c.AuthInfo
	}
	return nil
}

// lockDomain locks the named domain, answering a missing one with a reason
// that names it.
// saveDomain writes d as changed by actor a at now and records action in
// its history with state: it stamps the change (upDate, and upID for a
// reseller), works out when the registry must next look at the domain by
// itself, and writes both. Every change of an existing domain by an actor
// goes through it, so NextEventAt is never left stale.
func (s *Service) saveDomain(ctx context.Context, tx Tx, a Actor, d *Domain, now time.Time, action string, state any) error {
	d.UpdatedAt = now
	if !isOperator(a) {
		d.UpdaterClID = a.ClID
	}
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	return s.record(ctx, tx, a, ObjectDomain, d.ROID, action, state)
}

// lockForAction locks the domain for a command of actor a: a transfer
// whose waiting time has passed is completed first, so the policy judges
// the domain's current sponsor, then the policy is asked about actions.
func (s *Service) lockForAction(ctx context.Context, tx Tx, a Actor, name string, now time.Time, actions ...Action) (*Domain, error) {
	d, err := s.lockDomain(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
		return nil, err
	}
	if err := s.authorizeDomain(ctx, tx, a, d, actions...); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Service) lockDomain(ctx context.Context, tx Tx, name string) (*Domain, error) {
	d, err := tx.LockDomain(ctx, name)
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindNotFound, "domain %s does not exist", name)
	}
	return d, err
}

// readDomain is lockDomain without the lock.
func (s *Service) readDomain(ctx context.Context, tx Tx, name string) (*Domain, error) {
	d, err := tx.Domain(ctx, name)
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindNotFound, "domain %s does not exist", name)
	}
	return d, err
}

// DeleteDomain deletes a domain: within its addPeriod at once (purged
// true), otherwise into the redemption period, to be purged at the end of
// its TLD's DeactivationPeriod (purged false: the EPP answer is 1001).
func (s *Service) DeleteDomain(ctx context.Context, a Actor, name string) (purged bool, err error) {
	n, err := domainName(name)
	if err != nil {
		return false, err
	}
	err = s.store.Tx(ctx, func(tx Tx) error {
		purged = false
		now := s.clock.Now()
		d, err := s.lockForAction(ctx, tx, a, n, now, ActionDelete)
		if err != nil {
			return err
		}
		switch {
		case inRedemption(d):
			return Errorf(KindStatusProhibits, "domain %s is already pending deletion", n)
		case Prohibits(d.Statuses, "Delete"):
			return Errorf(KindStatusProhibits, "domain %s has a status that prohibits deletion (%s)", n, prohibition(d.Statuses, "Delete"))
		case transferPending(d):
			return Errorf(KindStatusProhibits, "domain %s has a transfer pending; approve or reject it first", n)
		}
		subs, err := tx.SubordinateHosts(ctx, n)
		if err != nil {
			return err
		}
		if len(subs) > 0 {
			return Errorf(KindLinked, "domain %s has subordinate hosts (%s); delete or rename them first", n, strings.Join(subs, ", "))
		}
		// Its holder no longer owes the renewal of a domain given up.
		if _, err := s.takeOffBill(ctx, tx, a, d, now, "delete", "was deleted"); err != nil {
			return err
		}
		// Refund what the grace periods still running cover (charge.go).
		addPeriod := inGrace(d, GraceAddPeriod, now)
		if err := s.refundGrace(ctx, tx, a, d, now); err != nil {
			return err
		}
		d.DeletedAt = now
		d.UpdatedAt = now
		if addPeriod {
			// The history shows the domain purged the moment it was
			// deleted.
			d.PurgeAt = now
			if err := tx.PurgeDomain(ctx, n); err != nil {
				return err
			}
			purged = true
			return s.record(ctx, tx, a, ObjectDomain, d.ROID, "delete", d)
		}
		d.PurgeAt = now.Add(s.domainTLD(n).DeactivationPeriod.D())
		return s.saveDomain(ctx, tx, a, d, now, "delete", d)
	})
	return purged, s.refused(err)
}

// prohibition names the status of statuses that prohibits op.
func prohibition(statuses []string, op string) string {
	if st := "server" + op + "Prohibited"; HasStatus(statuses, st) {
		return st
	}
	return "client" + op + "Prohibited"
}

// sameDate reports whether t falls on the calendar date of date (both in
// UTC).
func sameDate(t, date time.Time) bool {
	y1, m1, d1 := t.UTC().Date()
	y2, m2, d2 := date.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// RenewDomain extends a domain's registration by years (0 for the TLD's
// minimum period). curExp is the expiry date the client believes the
// domain has (only its date counts).
func (s *Service) RenewDomain(ctx context.Context, a Actor, name string, curExp time.Time, years int) (*Domain, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	t := s.domainTLD(n)
	if years == 0 {
		years = t.MinPeriod
	}
	if years < t.MinPeriod || years > t.MaxPeriod {
		return nil, Errorf(KindRange, "the renewal period must be from %d to %d years", t.MinPeriod, t.MaxPeriod)
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		var err error
		if d, err = s.lockForAction(ctx, tx, a, n, now, ActionRenew); err != nil {
			return err
		}
		switch {
		case inRedemption(d):
			return Errorf(KindStatusProhibits, "domain %s is pending deletion; restore it first", n)
		case Prohibits(d.Statuses, "Renew"):
			return Errorf(KindStatusProhibits, "domain %s has a status that prohibits renewal (%s)", n, prohibition(d.Statuses, "Renew"))
		case transferPending(d):
			return Errorf(KindStatusProhibits, "domain %s has a transfer pending", n)
		}
		if !sameDate(d.ExpiresAt, curExp) {
			return Errorf(KindRange, "the current expiry date of domain %s is %s, not %s",
				n, d.ExpiresAt.UTC().Format(time.DateOnly), curExp.Format(time.DateOnly))
		}
		exp := addYears(d.ExpiresAt, years)
		if limit := now.AddDate(MaxRegistrationYears, 0, 0); exp.After(limit) {
			return Errorf(KindPolicy, "a renewal by %d years would put the expiry of %s at %s, more than %d years ahead",
				years, n, exp.UTC().Format(time.DateOnly), MaxRegistrationYears)
		}
		if err := s.charge(ctx, tx, s.paidInAdvance(a, d), a, d, ChargeRenew, years, now); err != nil {
			return err
		}
		d.ExpiresAt = exp
		// A renewal ends the addPeriod: a delete no longer takes the
		// registration back at once.
		dropGrace(d, GraceAddPeriod, now)
		d.Grace = append(d.Grace, Grace{Kind: GraceRenewPeriod, Until: now.Add(t.RenewGrace.D()), Years: years})
		return s.saveDomain(ctx, tx, a, d, now, "renew", d)
	})
	if err != nil {
		return nil, s.refused(err)
	}
	return d, nil
}

// restoreState is what a restore's history entry records.
type restoreState struct {
	*Domain
	Report *RestoreReport `json:"restoreReport,omitempty"`
}

// RestoreDomain brings a domain in its redemption period back (RFC 3915),
// at once: KindStatusProhibits when it is not in redemption. Its grace
// periods still running show again. report, when given, is recorded in the
// history entry. The sponsor gets a poll message.
//
// A reseller-managed domain whose expiry passed meanwhile (one deactivated
// at expiry, one deleted long before) is renewed by whole years until its
// expiry lies ahead; its reseller of record pays the restore and those
// years, as a renewal, in the restore's transaction (charge.go), and when
// its balance cannot cover both it is KindBilling (EPP 2104) and nothing
// changes. A registrant-managed domain keeps its expiry, passed or not: its
// renewal is on a bill, and the restore puts it back on the bill its
// delete took it off (returnToBill), or the billing run bills it.
func (s *Service) RestoreDomain(ctx context.Context, a Actor, name string, report *RestoreReport) (*Domain, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		var err error
		if d, err = s.lockDomain(ctx, tx, n); err != nil {
			return err
		}
		if err := s.authorizeDomain(ctx, tx, a, d, ActionRestore); err != nil {
			return err
		}
		if !inRedemption(d) {
			return Errorf(KindStatusProhibits, "domain %s is not in its redemption period, so there is nothing to restore", n)
		}
		if HasStatus(d.Statuses, StatusServerUpdateProhibited) {
			return Errorf(KindStatusProhibits, "domain %s has status serverUpdateProhibited", n)
		}
		payer := s.paidInAdvance(a, d)
		if err := s.charge(ctx, tx, payer, a, d, ChargeRestore, 0, now); err != nil {
			return err
		}
		if DomainModel(d) == ModelRegistrant {
			// Its renewal is billed, never added here: back on the bill
			// its delete took it off.
			if err := s.returnToBill(ctx, tx, a, d, now); err != nil {
				return err
			}
		} else if exp, years := renewedPast(d.ExpiresAt, now); years > 0 {
			if err := s.charge(ctx, tx, payer, a, d, ChargeRenew, years, now); err != nil {
				return err
			}
			d.ExpiresAt = exp
		}
		d.DeletedAt, d.PurgeAt = time.Time{}, time.Time{}
		dropGrace(d, "", now)
		if err := s.saveDomain(ctx, tx, a, d, now, "restore", restoreState{d, report}); err != nil {
			return err
		}
		msg := fmt.Sprintf("Domain %s was restored from its redemption period; it expires at %s",
			n, d.ExpiresAt.UTC().Format(time.RFC3339))
		return s.enqueuePoll(ctx, tx, d.SponsorClID, msg, "", nil)
	})
	if err != nil {
		return nil, s.refused(err)
	}
	return d, nil
}
