package registry

import (
	"context"
	"fmt"
	"time"
)

// Automatic renewal of reseller-managed domains (DOMAIN.md section 4). A
// reseller-managed domain is renewed at expiry by ProcessDue, paid from
// its reseller's prepaid balance, unless its reseller switched automatic
// renewal off: then, or when the balance cannot cover the renewal, it is
// deactivated at expiry instead (process.go) and deleted at the end of its
// TLD's DeactivationPeriod unless restored. The rules for the setting:
//
//   - It is on by default (Domain.AutoRenew nil), and is the reseller's
//     choice for each domain: the reseller of record sets it, as it sets
//     the domain's client statuses (ActionUpdateStatus); the operator
//     may too.
//   - Registrant-managed domains are billed to their payer (the billing
//     sequence), so the setting does not apply to them: KindPolicy (EPP
//     2306), to whoever asks.
//   - It is changed like the domain's data: not in the redemption period
//     (restore first), not under serverUpdateProhibited or
//     clientUpdateProhibited (KindStatusProhibits, EPP 2304; the operator
//     is not held by them). Setting it to what it is already is
//     KindPolicy, so that the client learns its view was stale.
//   - It belongs to the reseller that chose it: a transfer or a change of
//     management model puts it back to on.
//   - Each change is in the domain's history, as "auto-renew-on" or
//     "auto-renew-off".

// History actions of a change of the automatic renewal setting.
const (
	HistoryAutoRenewOn  = "auto-renew-on"
	HistoryAutoRenewOff = "auto-renew-off"
)

// AutoRenews reports whether d is renewed automatically at expiry, as far
// as its setting goes: on unless switched off.
func AutoRenews(d *Domain) bool { return d.AutoRenew == nil || *d.AutoRenew }

// SetDomainAutoRenew switches automatic renewal of the reseller-managed
// domain name on or off (see the rules above).
//
// Errors: KindInvalid (a bad name), KindNotFound (no such domain),
// KindForbidden (not the reseller of record), KindPolicy (a
// registrant-managed domain; the setting is already so),
// KindStatusProhibits (pending deletion, an update prohibition).
func (s *Service) SetDomainAutoRenew(ctx context.Context, a Actor, name string, on bool) error {
	n, err := domainName(name)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		d, err := s.lockDomain(ctx, tx, n)
		if err != nil {
			return err
		}
		if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
			return err
		}
		if DomainModel(d) == ModelRegistrant {
			return Errorf(KindPolicy, "domain %s is registrant-managed and billed to its payer: automatic renewal applies to reseller-managed domains only", n)
		}
		if err := s.authorizeDomain(ctx, tx, a, d, ActionUpdateStatus); err != nil {
			return err
		}
		switch {
		case inRedemption(d):
			return Errorf(KindStatusProhibits, "domain %s is pending deletion; restore it first", n)
		case isOperator(a):
		case HasStatus(d.Statuses, StatusServerUpdateProhibited):
			return Errorf(KindStatusProhibits, "domain %s has status serverUpdateProhibited", n)
		case HasStatus(d.Statuses, StatusClientUpdateProhibited):
			return Errorf(KindStatusProhibits, "domain %s has status clientUpdateProhibited; remove it first", n)
		}
		if AutoRenews(d) == on {
			return Errorf(KindPolicy, "automatic renewal of domain %s is already %s", n, onOff(on))
		}
		action := HistoryAutoRenewOn
		d.AutoRenew = nil
		if !on {
			action = HistoryAutoRenewOff
			off := false
			d.AutoRenew = &off
		}
		return s.saveDomain(ctx, tx, a, d, now, action, d)
	})
	return s.refused(err)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// deactivate takes d, which has expired at its ExpiresAt and is not to be
// renewed (why says, for its sponsor, why not), out of service as a delete
// does: it enters the redemption period as of its expiry, out of the zone
// and restorable, and is purged at the end of its TLD's DeactivationPeriod
// counted from the expiry. A transfer still pending is cancelled by the
// registry (and its charge refunded). The sponsor gets a poll message; the
// history entry is "deactivate".
func (s *Service) deactivate(ctx context.Context, tx Tx, d *Domain, now time.Time, why string) error {
	if transferPending(d) {
		if err := s.completeDomainTransfer(ctx, tx, registryActor, d, TransferServerCancelled, now, "transfer-server-cancel"); err != nil {
			return err
		}
	}
	exp := d.ExpiresAt
	d.DeletedAt = exp
	d.PurgeAt = exp.Add(s.domainTLD(d.Name).DeactivationPeriod.D())
	d.UpdatedAt = now
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	if err := s.record(ctx, tx, registryActor, ObjectDomain, d.ROID, HistoryDeactivate, d); err != nil {
		return err
	}
	msg := fmt.Sprintf("Domain %s was not renewed at its expiry on %s: %s. It is deactivated (out of the zone, "+
		"pending deletion) and will be deleted at %s unless you restore it first",
		d.Name, exp.UTC().Format(time.RFC3339), why, d.PurgeAt.UTC().Format(time.RFC3339))
	return s.enqueuePoll(ctx, tx, d.SponsorClID, msg, "", nil)
}

// HistoryDeactivate is the history action of a domain deactivated at
// expiry instead of renewed.
const HistoryDeactivate = "deactivate"
