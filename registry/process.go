package registry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// registryActor is who the registry's own changes are recorded as in
// history.
var registryActor = Actor{Name: "server"}

// purgeRetry is how long a purge waits when it finds hosts still
// subordinate to the domain.
const purgeRetry = 24 * time.Hour

// ProcessDue does the registry's own timed work on every domain whose
// NextEventAt has come, each domain in its own transaction, and returns
// how many domains it processed. It asks the store for at most limit
// domains at a time (100 when limit is not positive) until none is left.
// For each domain, in this order:
//
//   - a domain at the end of its redemption period is purged, its name
//     freed, any unpaid bill line of it removed (takeOffBill), and its
//     sponsor gets a pending action notification for the delete that
//     answered 1001 (and nothing else happens);
//   - a pending transfer whose time has come is approved (serverApproved);
//   - a live domain at or past its expiry is renewed by a year (more, if
//     it is still behind), taking effect at the expiry; the
//     autoRenewPeriod runs from then, and the sponsor gets a poll message.
//     A reseller-managed domain's renewal is charged to its sponsor
//     (charge.go); when the balance cannot cover it, or the reseller
//     switched automatic renewal off (autorenew.go), the domain is
//     deactivated instead: it enters the redemption period as of its
//     expiry, as a deleted domain does, and is purged at the end of the
//     TLD's DeactivationPeriod unless restored;
//   - grace periods that have ended are dropped.
//
// A failure on one domain does not stop the others; the errors are
// returned together.
func (s *Service) ProcessDue(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	done := map[string]bool{}
	var errs []error
	for {
		var names []string
		at := s.clock.Now()
		err := s.store.Tx(ctx, func(tx Tx) error {
			var err error
			names, err = tx.DomainsDue(ctx, at, limit)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			break
		}
		progress := false
		for _, n := range names {
			if done[n] {
				continue
			}
			done[n], progress = true, true
			if err := s.processDomain(ctx, n); err != nil {
				errs = append(errs, fmt.Errorf("domain %s: %w", n, err))
			}
			if ctx.Err() != nil {
				return len(done), errors.Join(append(errs, ctx.Err())...)
			}
		}
		// A domain still due after processing (one that failed) comes
		// back in the next batch; done keeps it from being tried twice.
		if len(names) < limit || !progress {
			break
		}
	}
	return len(done), errors.Join(errs...)
}

// processDomain does the timed work due on one domain.
func (s *Service) processDomain(ctx context.Context, name string) error {
	return s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		d, err := tx.LockDomain(ctx, name)
		if IsKind(err, KindNotFound) {
			return nil // purged meanwhile
		}
		if err != nil {
			return err
		}
		if d.NextEventAt.IsZero() || d.NextEventAt.After(now) {
			return nil // processed meanwhile
		}
		if inRedemption(d) && !d.PurgeAt.After(now) {
			return s.purgeDomain(ctx, tx, d, now)
		}
		if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
			return err
		}
		// Registrant-managed domains are renewed by paying their bill; the
		// billing calendar, not expiry, decides what happens to them.
		if !inRedemption(d) && DomainModel(d) != ModelRegistrant && !d.ExpiresAt.After(now) {
			if err := s.autoRenew(ctx, tx, d, now); err != nil {
				return err
			}
		}
		graces := len(d.Grace)
		dropGrace(d, "", now)
		next := s.nextEvent(d)
		if len(d.Grace) == graces && next.Equal(d.NextEventAt) {
			return nil
		}
		d.NextEventAt = next
		if err := tx.UpdateDomain(ctx, d); err != nil {
			return err
		}
		if len(d.Grace) == graces {
			return nil
		}
		return s.record(ctx, tx, registryActor, ObjectDomain, d.ROID, "grace-end", d)
	})
}

// autoRenew renews d, which has expired, by whole years until its expiry
// lies after now, as of its expiry, charging its sponsor; or deactivates
// it when its reseller switched automatic renewal off or its balance
// cannot pay.
func (s *Service) autoRenew(ctx context.Context, tx Tx, d *Domain, now time.Time) error {
	if DomainModel(d) == ModelReseller && !AutoRenews(d) {
		return s.deactivate(ctx, tx, d, now, "you switched its automatic renewal off")
	}
	from := d.ExpiresAt
	exp, years := renewedPast(from, now)
	// The Ledger refuses without a failing statement, so that the
	// transaction goes on to the deactivation.
	err := s.charge(ctx, tx, s.billed(d, d.SponsorClID), registryActor, d, ChargeAutoRenew, years, now)
	if IsKind(err, KindBilling) {
		var reason string
		if e, ok := errors.AsType[*Error](err); ok {
			reason = e.Reason
		}
		return s.deactivate(ctx, tx, d, now, "your prepaid balance could not pay for its renewal ("+reason+")")
	}
	if err != nil {
		return err
	}
	d.ExpiresAt = exp
	t := s.domainTLD(d.Name)
	if until := from.Add(t.AutoRenewGrace.D()); until.After(now) {
		d.Grace = append(d.Grace, Grace{Kind: GraceAutoRenewPeriod, Until: until, Years: years})
	}
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	if err := s.record(ctx, tx, registryActor, ObjectDomain, d.ROID, "autorenew", d); err != nil {
		return err
	}
	msg := fmt.Sprintf("Domain %s was renewed automatically at its expiry by %d year(s); it now expires at %s",
		d.Name, years, d.ExpiresAt.UTC().Format(time.RFC3339))
	return s.enqueuePoll(ctx, tx, d.SponsorClID, msg, "", nil)
}

// purgeDomain removes d at the end of its redemption period and tells its
// sponsor that the delete it asked for is done (a pending action
// notification carrying the delete's transaction identifiers).
func (s *Service) purgeDomain(ctx context.Context, tx Tx, d *Domain, now time.Time) error {
	subs, err := tx.SubordinateHosts(ctx, d.Name)
	if err != nil {
		return err
	}
	if len(subs) > 0 {
		// Hosts cannot be put under a deleted domain, so this is the
		// operator's doing; wait for it to be undone.
		d.PurgeAt = now.Add(purgeRetry)
		d.NextEventAt = s.nextEvent(d)
		if err := tx.UpdateDomain(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, registryActor, ObjectDomain, d.ROID, "purge-deferred", d)
	}
	// Its delete took it off its bill already; this catches a domain that
	// entered redemption otherwise, so that no purged domain stays billed.
	if _, err := s.takeOffBill(ctx, tx, registryActor, d, now, "purge", "was purged at the end of its redemption period"); err != nil {
		return err
	}
	if err := tx.PurgeDomain(ctx, d.Name); err != nil {
		return err
	}
	if err := s.record(ctx, tx, registryActor, ObjectDomain, d.ROID, "purge", d); err != nil {
		return err
	}
	pan := PANNotice{Object: ObjectDomain, Name: d.Name, Result: true, Date: now}
	hist, err := tx.History(ctx, ObjectDomain, d.ROID)
	if err != nil {
		return err
	}
	// The delete that put the domain in redemption; none when it was
	// deactivated at expiry (or the entry found belongs to an earlier
	// redemption, ended by a restore).
	for i := len(hist) - 1; i >= 0; i-- {
		if a := hist[i].Action; a == "delete" {
			pan.ClTRID, pan.SvTRID = hist[i].ClTRID, hist[i].SvTRID
			break
		} else if a == HistoryDeactivate || a == "restore" {
			break
		}
	}
	msg := fmt.Sprintf("Domain %s was purged at the end of its redemption period; the name is free", d.Name)
	if pan.SvTRID == "" {
		// Deleted by the operator, not by an EPP command: nothing to
		// notify about as a pending action.
		return s.enqueuePoll(ctx, tx, d.SponsorClID, msg, "", nil)
	}
	return s.enqueuePoll(ctx, tx, d.SponsorClID, msg, PollPAN, pan)
}
