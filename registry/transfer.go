package registry

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"time"
)

// Transfers follow the pull model of RFC 5730 section 2.9.3.4: a reseller
// that knows an object's authorisation information requests the object;
// the sponsor (the losing reseller) approves or rejects the request, the
// requester (the gaining reseller) may cancel it, and when the sponsor has
// not answered by the TLD's TransferAutoApprove time the registry approves
// it. Every step queues poll messages for the other party.
//
// An approved transfer makes the gaining reseller the sponsor, replaces
// the object's authorisation information with a new random one (which the
// losing reseller knew; the gaining one reads it with an info command), and
// for a domain adds the requested renewal, starts the transferPeriod grace
// period in place of any other, and moves the domain's subordinate hosts
// to the gaining reseller too. Its automatic renewal setting goes back to
// on: it was the losing reseller's choice.
//
// When the registry charges (charge.go), the gaining reseller pays for a
// domain transfer when it requests it (KindBilling, EPP 2104, when its
// balance cannot, and then nothing is requested); a transfer that ends
// other than approved refunds it, and an approval charges nothing more.
//
// Domains are auto-approved by the registry's due-event processing
// (autoApproveTransfer, through NextEventAt). Contacts have no event time
// and the store no query for their pending transfers, so an overdue
// contact transfer is approved when a command next reads or changes the
// contact (autoApproveContactTransfer). Every transfer command completes
// an overdue transfer first, so its answer never shows a transfer pending
// after its time. Auto-approval takes effect at the transfer's ActBy time,
// however late it is processed.

// Transfer operations (RFC 5730 section 2.9.3.4).
const (
	TransferOpRequest = "request"
	TransferOpQuery   = "query"
	TransferOpApprove = "approve"
	TransferOpReject  = "reject"
	TransferOpCancel  = "cancel"
)

// DefaultTransferLock is how long after its creation, and after each
// transfer, a domain cannot be transferred (to another reseller): 60 days,
// as ICANN's Transfer Policy lets registrars deny and most registries
// enforce.
const DefaultTransferLock = 60 * day

// TransferLockPeriod is how long after creation or a transfer a domain
// under t cannot be transferred.
func (t *TLD) TransferLockPeriod() time.Duration { return max(0, t.TransferLock.D()) }

// MaxRegistrationYears bounds how far ahead a domain's expiry may lie: a
// transfer whose renewal would push it further is refused.
const MaxRegistrationYears = 10

// TransferCommand is one transfer operation on a domain or a contact.
type TransferCommand struct {
	// Op is one of the TransferOp values.
	Op string
	// AuthInfo is the authorisation information given ("" for none):
	// required to request, and lets anyone query.
	AuthInfo string
	// AuthROID, for a domain, says whose authorisation information AuthInfo
	// is: "" (or the domain's ROID) for the domain's own, or the ROID of
	// the domain's registrant contact.
	AuthROID string
	// Years is the renewal a domain transfer request asks for, 0 for the
	// TLD's minimum period (one year by default).
	Years int
}

// TransferDomain carries out a transfer operation on the named domain and
// returns the domain afterwards, its Transfer set.
//
//   - request: by a reseller other than the sponsor (KindNotTransferable
//     otherwise) with the domain's or its registrant's authorisation
//     information (KindMissing, KindAuthInfo); KindPendingTransfer when a
//     transfer is pending; KindStatusProhibits for a transfer prohibition
//     or a deleted domain; KindNotTransferable within the TLD's
//     TransferLockPeriod of the domain's creation or last transfer; KindRange
//     for a period outside the TLD's; KindPolicy when the renewal would
//     put the expiry more than MaxRegistrationYears ahead.
//   - query: by the sponsor, a party to the latest transfer, or anyone
//     with the authorisation information (KindForbidden, KindAuthInfo);
//     KindNotPendingTransfer when no transfer was ever requested.
//   - approve, reject: by the sponsor (KindForbidden);
//     KindNotPendingTransfer when none is pending.
//
// On a registrant-managed domain a request is KindStatusProhibits (it is
// not transferred between resellers), and the authorisation policy
// (Authorize, ActionTransfer) refuses every reseller an approve or reject.
//   - cancel: by the requester (KindForbidden); KindNotPendingTransfer.
func (s *Service) TransferDomain(ctx context.Context, a Actor, name string, c TransferCommand) (*Domain, error) {
	if err := checkTransferCommand(a, c); err != nil {
		return nil, err
	}
	name = NormalizeName(name)
	var out *Domain
	err := s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		d, err := tx.LockDomain(ctx, name)
		if err != nil {
			return err
		}
		if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
			return err
		}
		obj := domainTransferable(d)
		switch c.Op {
		case TransferOpRequest:
			if DomainModel(d) == ModelRegistrant {
				err = Errorf(KindStatusProhibits, "domain %s is registrant-managed and is not transferred between resellers; "+
					"a reseller takes it over when the registrant consents to reseller management", d.Name)
				break
			}
			err = s.requestDomainTransfer(ctx, tx, a, d, c, now)
		case TransferOpQuery:
			err = s.authorizeTransferQuery(ctx, tx, a, obj, c)
		case TransferOpApprove, TransferOpReject:
			// The losing side answers: the policy's transfer action (the
			// reseller of record; on a registrant-managed domain no
			// reseller).
			legacy := fmt.Sprintf("only the sponsor of domain %s may %s its transfer", d.Name, c.Op)
			if err = s.authorizeDomainAs(ctx, tx, a, d, legacy, ActionTransfer); err != nil {
				break
			}
			if err = authorizeTransferAnswer(a, obj, c.Op); err == nil {
				err = s.completeDomainTransfer(ctx, tx, a, d, answerStatus(c.Op), now, "transfer-"+c.Op)
			}
		case TransferOpCancel:
			if err = authorizeTransferCancel(a, obj); err == nil {
				err = s.completeDomainTransfer(ctx, tx, a, d, TransferClientCancelled, now, "transfer-cancel")
			}
		}
		out = d
		return err
	})
	if err != nil {
		return nil, s.refused(err)
	}
	return out, nil
}

// TransferContact carries out a transfer operation on the contact with
// the given ID and returns the contact afterwards, its Transfer set. The
// rules are those of TransferDomain without periods, the creation lock and
// registrant authorisation.
func (s *Service) TransferContact(ctx context.Context, a Actor, id string, c TransferCommand) (*Contact, error) {
	if err := checkTransferCommand(a, c); err != nil {
		return nil, err
	}
	var out *Contact
	err := s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		ct, err := tx.LockContact(ctx, id)
		if err != nil {
			return err
		}
		if err := s.autoApproveContactTransfer(ctx, tx, ct, now); err != nil {
			return err
		}
		obj := contactTransferable(ct)
		switch c.Op {
		case TransferOpRequest:
			err = s.requestContactTransfer(ctx, tx, a, ct, c, now)
		case TransferOpQuery:
			err = s.authorizeTransferQuery(ctx, tx, a, obj, c)
		case TransferOpApprove, TransferOpReject:
			if err = authorizeTransferAnswer(a, obj, c.Op); err == nil {
				err = s.completeContactTransfer(ctx, tx, a, ct, answerStatus(c.Op), now, "transfer-"+c.Op)
			}
		case TransferOpCancel:
			if err = authorizeTransferCancel(a, obj); err == nil {
				err = s.completeContactTransfer(ctx, tx, a, ct, TransferClientCancelled, now, "transfer-cancel")
			}
		}
		out = ct
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func checkTransferCommand(a Actor, c TransferCommand) error {
	switch c.Op {
	case TransferOpRequest, TransferOpQuery, TransferOpApprove, TransferOpReject, TransferOpCancel:
	default:
		return Errorf(KindInvalid, "unknown transfer operation %q", c.Op)
	}
	if a.ClID == "" {
		return Errorf(KindForbidden, "only a reseller takes part in transfers")
	}
	return nil
}

func answerStatus(op string) string {
	if op == TransferOpApprove {
		return TransferClientApproved
	}
	return TransferClientRejected
}

// transferable is the part of a domain or contact that every transfer
// operation works on alike.
type transferable struct {
	object   string // ObjectDomain or ObjectContact
	key      string // the domain's name or the contact's ID
	roid     string
	sponsor  string
	authInfo string
	statuses []string
	transfer *Transfer
	// registrant is a domain's registrant contact ID.
	registrant string
}

func domainTransferable(d *Domain) transferable {
	return transferable{object: ObjectDomain, key: d.Name, roid: d.ROID, sponsor: d.SponsorClID,
		authInfo: d.AuthInfo, statuses: d.Statuses, transfer: d.Transfer, registrant: d.Registrant}
}

func contactTransferable(c *Contact) transferable {
	return transferable{object: ObjectContact, key: c.ID, roid: c.ROID, sponsor: c.SponsorClID,
		authInfo: c.AuthInfo, statuses: c.Statuses, transfer: c.Transfer}
}

func (o transferable) pending() bool {
	return o.transfer != nil && o.transfer.Status == TransferPending
}

// authMatches reports whether c's authorisation information is the
// object's, or for a domain its registrant's when c names the registrant's
// ROID.
func (s *Service) authMatches(ctx context.Context, tx Tx, o transferable, c TransferCommand) (bool, error) {
	if c.AuthROID == "" || c.AuthROID == o.roid {
		return secretEqual(c.AuthInfo, o.authInfo), nil
	}
	if o.object != ObjectDomain || o.registrant == "" {
		return false, nil
	}
	r, err := tx.Contact(ctx, o.registrant)
	if err != nil {
		return false, err
	}
	return c.AuthROID == r.ROID && secretEqual(c.AuthInfo, r.AuthInfo), nil
}

// secretEqual compares a given password with a stored one in constant
// time; an empty stored password matches nothing.
func secretEqual(given, stored string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(given), []byte(stored)) == 1
}

// checkRequest applies the rules every transfer request shares.
func (s *Service) checkRequest(ctx context.Context, tx Tx, a Actor, o transferable, c TransferCommand) error {
	if o.sponsor == a.ClID {
		return Errorf(KindNotTransferable, "you already sponsor %s %s", o.object, o.key)
	}
	if c.AuthInfo == "" {
		return Errorf(KindMissing, "a transfer request needs the %s's authorisation information", o.object)
	}
	ok, err := s.authMatches(ctx, tx, o, c)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(KindAuthInfo, "the authorisation information does not match %s %s", o.object, o.key)
	}
	if o.pending() {
		return Errorf(KindPendingTransfer, "a transfer of %s %s is already pending", o.object, o.key)
	}
	for _, st := range []string{StatusClientTransferProhibited, StatusServerTransferProhibited, StatusPendingDelete} {
		if HasStatus(o.statuses, st) {
			return Errorf(KindStatusProhibits, "%s %s has status %s and cannot be transferred", o.object, o.key, st)
		}
	}
	return nil
}

// authorizeTransferQuery lets the sponsor, the parties to the latest
// transfer, and anyone with the authorisation information see it.
func (s *Service) authorizeTransferQuery(ctx context.Context, tx Tx, a Actor, o transferable, c TransferCommand) error {
	party := a.ClID == o.sponsor || o.transfer != nil && (a.ClID == o.transfer.GainingClID || a.ClID == o.transfer.LosingClID)
	if !party {
		if c.AuthInfo == "" {
			return Errorf(KindForbidden, "only the sponsor of %s %s, the parties to its transfer, or a reseller giving its authorisation information may query its transfer", o.object, o.key)
		}
		ok, err := s.authMatches(ctx, tx, o, c)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(KindAuthInfo, "the authorisation information does not match %s %s", o.object, o.key)
		}
	}
	if o.transfer == nil {
		return Errorf(KindNotPendingTransfer, "no transfer of %s %s has been requested", o.object, o.key)
	}
	return nil
}

// authorizeTransferAnswer lets only the sponsor approve or reject a
// pending transfer.
func authorizeTransferAnswer(a Actor, o transferable, op string) error {
	if a.ClID != o.sponsor {
		return Errorf(KindForbidden, "only the sponsor of %s %s may %s its transfer", o.object, o.key, op)
	}
	if !o.pending() {
		return Errorf(KindNotPendingTransfer, "no transfer of %s %s is pending", o.object, o.key)
	}
	return nil
}

// authorizeTransferCancel lets only the requester cancel a pending
// transfer.
func authorizeTransferCancel(a Actor, o transferable) error {
	if !o.pending() {
		return Errorf(KindNotPendingTransfer, "no transfer of %s %s is pending", o.object, o.key)
	}
	if a.ClID != o.transfer.GainingClID {
		return Errorf(KindForbidden, "only the reseller that requested the transfer of %s %s may cancel it", o.object, o.key)
	}
	return nil
}

// transferTLD returns the TLD a domain is under, or the default policy
// when the registry no longer runs it.
func (s *Service) transferTLD(name string) *TLD {
	if t, _ := s.TLDFor(name); t != nil {
		return t
	}
	t := &TLD{}
	t.setDefaults()
	return t
}

// GraceTransferPeriod is the grace period (RFC 3915) an approved transfer
// starts.
const GraceTransferPeriod = "transferPeriod"

// transferExpiry is the expiry a domain has when a transfer with the given
// renewal completes at at. A transfer during the autoRenewPeriod takes the
// automatic renewal's place (ICANN's rule): the renewal is counted from the
// expiry before it.
func transferExpiry(d *Domain, years int, at time.Time) time.Time {
	base := d.ExpiresAt
	for _, g := range d.Grace {
		if g.Kind == GraceAutoRenewPeriod && g.Until.After(at) {
			base = addYears(base, -max(g.Years, 1))
		}
	}
	return addYears(base, years)
}

func (s *Service) requestDomainTransfer(ctx context.Context, tx Tx, a Actor, d *Domain, c TransferCommand, now time.Time) error {
	if err := s.checkRequest(ctx, tx, a, domainTransferable(d), c); err != nil {
		return err
	}
	if inRedemption(d) {
		return Errorf(KindStatusProhibits, "domain %s is deleted (in redemption) and cannot be transferred", d.Name)
	}
	tld := s.transferTLD(d.Name)
	if lock := tld.TransferLockPeriod(); lock > 0 {
		if until := d.CreatedAt.Add(lock); now.Before(until) {
			return Errorf(KindNotTransferable, "domain %s cannot be transferred within %s of its registration (until %s)",
				d.Name, transferSpan(lock), until.UTC().Format(time.RFC3339))
		}
		if until := d.TransferredAt.Add(lock); !d.TransferredAt.IsZero() && now.Before(until) {
			return Errorf(KindNotTransferable, "domain %s cannot be transferred again within %s of its last transfer (until %s)",
				d.Name, transferSpan(lock), until.UTC().Format(time.RFC3339))
		}
	}
	years := c.Years
	if years == 0 {
		years = tld.MinPeriod
	}
	if years < tld.MinPeriod || years > tld.MaxPeriod {
		return Errorf(KindRange, "the transfer period must be from %d to %d years", tld.MinPeriod, tld.MaxPeriod)
	}
	exp := transferExpiry(d, years, now)
	if limit := addYears(now, MaxRegistrationYears); exp.After(limit) {
		return Errorf(KindPolicy, "a %d-year transfer would put the expiry of %s more than %d years ahead",
			years, d.Name, MaxRegistrationYears)
	}
	if err := s.charge(ctx, tx, s.payer(a, d), a, d, ChargeTransfer, years, now); err != nil {
		return err
	}
	d.Transfer = &Transfer{
		Status:      TransferPending,
		GainingClID: a.ClID,
		RequestedAt: now,
		LosingClID:  d.SponsorClID,
		ActBy:       now.Add(tld.TransferAutoApprove.D()),
		Years:       years,
		NewExpiry:   exp,
	}
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	if err := s.record(ctx, tx, a, ObjectDomain, d.ROID, "transfer-request", d); err != nil {
		return err
	}
	msg := fmt.Sprintf("Transfer of domain %s requested by %s; unless you approve or reject it first, the registry approves it at %s",
		d.Name, a.ClID, d.Transfer.ActBy.UTC().Format(time.RFC3339))
	return s.enqueueTransfer(ctx, tx, d.Transfer.LosingClID, msg, ObjectDomain, d.Name, d.Transfer)
}

func (s *Service) requestContactTransfer(ctx context.Context, tx Tx, a Actor, ct *Contact, c TransferCommand, now time.Time) error {
	if err := s.checkRequest(ctx, tx, a, contactTransferable(ct), c); err != nil {
		return err
	}
	ct.Transfer = &Transfer{
		Status:      TransferPending,
		GainingClID: a.ClID,
		RequestedAt: now,
		LosingClID:  ct.SponsorClID,
		ActBy:       now.Add(s.contactAutoApprove()),
	}
	if err := tx.UpdateContact(ctx, ct); err != nil {
		return err
	}
	if err := s.record(ctx, tx, a, ObjectContact, ct.ROID, "transfer-request", ct); err != nil {
		return err
	}
	msg := fmt.Sprintf("Transfer of contact %s requested by %s; unless you approve or reject it first, the registry approves it at %s",
		ct.ID, a.ClID, ct.Transfer.ActBy.UTC().Format(time.RFC3339))
	return s.enqueueTransfer(ctx, tx, ct.Transfer.LosingClID, msg, ObjectContact, ct.ID, ct.Transfer)
}

// transferSpan writes a policy duration for people: "60 days", or "36h0m0s" when
// it is not whole days.
func transferSpan(d time.Duration) string {
	if d%day == 0 {
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// contactAutoApprove is how long a contact transfer waits for the sponsor:
// contacts belong to no TLD, so the longest wait of any TLD's domains.
func (s *Service) contactAutoApprove() time.Duration {
	var d time.Duration
	for _, t := range s.cfg.TLDs {
		d = max(d, t.TransferAutoApprove.D())
	}
	if d == 0 {
		d = 5 * day
	}
	return d
}

// autoApproveTransfer approves the domain's pending transfer on the
// registry's behalf (status serverApproved) when its ActBy time is at or
// before now, with the effect of an approval by the sponsor at ActBy: d is
// changed in place and written, with its history entry, its hosts, and poll
// messages to both resellers. It does nothing when no transfer is due. d
// must be locked in tx.
func (s *Service) autoApproveTransfer(ctx context.Context, tx Tx, d *Domain, now time.Time) error {
	t := d.Transfer
	if t == nil || t.Status != TransferPending || t.ActBy.After(now) {
		return nil
	}
	return s.completeDomainTransfer(ctx, tx, registryActor, d, TransferServerApproved, t.ActBy, "transfer-auto-approve")
}

// autoApproveContactTransfer is autoApproveTransfer for a contact.
func (s *Service) autoApproveContactTransfer(ctx context.Context, tx Tx, c *Contact, now time.Time) error {
	t := c.Transfer
	if t == nil || t.Status != TransferPending || t.ActBy.After(now) {
		return nil
	}
	return s.completeContactTransfer(ctx, tx, registryActor, c, TransferServerApproved, t.ActBy, "transfer-auto-approve")
}

func approved(status string) bool {
	return status == TransferClientApproved || status == TransferServerApproved
}

// completeDomainTransfer ends the domain's pending transfer at at with the
// given status, recorded as action by a. A transfer not approved refunds
// the gaining reseller's charge for it; one approved inside the
// autoRenewPeriod refunds the losing reseller's automatic renewal, whose
// place it takes (charge.go).
func (s *Service) completeDomainTransfer(ctx context.Context, tx Tx, a Actor, d *Domain, status string, at time.Time, action string) error {
	t := *d.Transfer
	t.Status, t.ActBy = status, at
	now := s.clock.Now()
	if approved(status) {
		tld := s.transferTLD(d.Name)
		for _, g := range d.Grace {
			if g.Kind == GraceAutoRenewPeriod && g.Until.After(at) {
				since := g.Until.Add(-tld.AutoRenewGrace.D())
				if err := s.refund(ctx, tx, s.billed(d, t.LosingClID), a, d, ChargeAutoRenew, since, now); err != nil {
					return err
				}
				break
			}
		}
		exp := transferExpiry(d, t.Years, at)
		if limit := addYears(at, MaxRegistrationYears); exp.After(limit) {
			exp = limit
		}
		t.NewExpiry = exp
		d.ExpiresAt = exp
		d.SponsorClID = t.GainingClID
		d.TransferredAt = at
		d.AuthInfo = rand.Text()
		d.AutoRenew = nil
		// The losing reseller's grace periods end with its sponsorship.
		d.Grace = []Grace{{Kind: GraceTransferPeriod, Until: at.Add(tld.TransferGrace.D()), Years: t.Years}}
		if err := s.transferHosts(ctx, tx, a, d, at, action); err != nil {
			return err
		}
	} else {
		t.NewExpiry = time.Time{}
		if err := s.refund(ctx, tx, s.billed(d, t.GainingClID), a, d, ChargeTransfer, t.RequestedAt, now); err != nil {
			return err
		}
	}
	d.Transfer = &t
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	if err := s.record(ctx, tx, a, ObjectDomain, d.ROID, action, d); err != nil {
		return err
	}
	return s.notifyCompletion(ctx, tx, ObjectDomain, d.Name, &t)
}

// transferHosts moves the domain's subordinate hosts to its new sponsor.
func (s *Service) transferHosts(ctx context.Context, tx Tx, a Actor, d *Domain, at time.Time, action string) error {
	names, err := tx.SubordinateHosts(ctx, d.Name)
	if err != nil {
		return err
	}
	for _, n := range names {
		h, err := tx.LockHost(ctx, n)
		if err != nil {
			return err
		}
		if h.SponsorClID == d.SponsorClID {
			continue
		}
		h.SponsorClID = d.SponsorClID
		h.TransferredAt = at
		if err := tx.UpdateHost(ctx, h); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, ObjectHost, h.ROID, action, h); err != nil {
			return err
		}
	}
	return nil
}

// completeContactTransfer is completeDomainTransfer for a contact.
func (s *Service) completeContactTransfer(ctx context.Context, tx Tx, a Actor, c *Contact, status string, at time.Time, action string) error {
	t := *c.Transfer
	t.Status, t.ActBy = status, at
	if approved(status) {
		c.SponsorClID = t.GainingClID
		c.TransferredAt = at
		c.AuthInfo = rand.Text()
	}
	c.Transfer = &t
	if err := tx.UpdateContact(ctx, c); err != nil {
		return err
	}
	if err := s.record(ctx, tx, a, ObjectContact, c.ROID, action, c); err != nil {
		return err
	}
	return s.notifyCompletion(ctx, tx, ObjectContact, c.ID, &t)
}

// notifyCompletion tells the resellers concerned how a transfer ended: both
// of an approval, the requester of a rejection, the sponsor of a
// cancellation.
func (s *Service) notifyCompletion(ctx context.Context, tx Tx, object, key string, t *Transfer) error {
	what := object + " " + key
	type note struct{ to, msg string }
	var notes []note
	switch t.Status {
	case TransferClientApproved:
		notes = []note{
			{t.GainingClID, fmt.Sprintf("Transfer of %s approved by %s; you now sponsor it", what, t.LosingClID)},
			{t.LosingClID, fmt.Sprintf("Transfer of %s to %s approved; you no longer sponsor it", what, t.GainingClID)},
		}
	case TransferServerApproved:
		notes = []note{
			{t.GainingClID, fmt.Sprintf("Transfer of %s approved by the registry; you now sponsor it", what)},
			{t.LosingClID, fmt.Sprintf("Transfer of %s to %s approved by the registry, as it was not answered in time; you no longer sponsor it", what, t.GainingClID)},
		}
	case TransferClientRejected:
		notes = []note{{t.GainingClID, fmt.Sprintf("Transfer of %s rejected by %s", what, t.LosingClID)}}
	case TransferClientCancelled:
		notes = []note{{t.LosingClID, fmt.Sprintf("Transfer of %s to %s cancelled by the requester", what, t.GainingClID)}}
	case TransferServerCancelled:
		notes = []note{
			{t.GainingClID, fmt.Sprintf("Transfer of %s cancelled by the registry", what)},
			{t.LosingClID, fmt.Sprintf("Transfer of %s to %s cancelled by the registry", what, t.GainingClID)},
		}
	}
	for _, n := range notes {
		if err := s.enqueueTransfer(ctx, tx, n.to, n.msg, object, key, t); err != nil {
			return err
		}
	}
	return nil
}

// enqueueTransfer queues a PollTransfer message about t for clID.
func (s *Service) enqueueTransfer(ctx context.Context, tx Tx, clID, msg, object, key string, t *Transfer) error {
	return s.enqueuePoll(ctx, tx, clID, msg, PollTransfer, TransferNotice{Object: object, Name: key, Transfer: *t})
}
