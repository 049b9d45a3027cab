package registry

import (
	"context"
	"slices"
	"time"
)

// Grace period kinds (RFC 3915) that creates, renewals and auto-renewals
// start; transfers start GraceTransferPeriod.
const (
	GraceAddPeriod       = "addPeriod"
	GraceRenewPeriod     = "renewPeriod"
	GraceAutoRenewPeriod = "autoRenewPeriod"
)

// RGPRedemptionPeriod is the RGP status of a deleted domain that can still
// be restored.
const RGPRedemptionPeriod = "redemptionPeriod"

// transferPending reports whether d has a transfer request awaiting the
// losing sponsor.
func transferPending(d *Domain) bool {
	return d.Transfer != nil && d.Transfer.Status == TransferPending
}

// inRedemption reports whether a delete has put d in the redemption period.
func inRedemption(d *Domain) bool { return !d.DeletedAt.IsZero() }

// nextEvent is when the registry must next act on d by itself, or zero for
// never: the earliest of a pending transfer's auto-approval, the end of a
// grace period, the purge of a deleted domain, and the expiry of a live
// one (its auto-renewal). Every change to a domain sets d.NextEventAt from
// it, so that ProcessDue finds the domain in time.
func (s *Service) nextEvent(d *Domain) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if transferPending(d) {
		consider(d.Transfer.ActBy)
	}
	for _, g := range d.Grace {
		consider(g.Until)
	}
	if inRedemption(d) {
		// A deleted domain is not renewed; it is purged, or restored
		// (which sets the time again).
		consider(d.PurgeAt)
	} else if DomainModel(d) != ModelRegistrant {
		// Registrant-managed domains are renewed by their bill, never
		// automatically at expiry.
		consider(d.ExpiresAt)
	}
	return next
}

// RGPStatuses are the RFC 3915 statuses of d at now: "redemptionPeriod"
// while a deleted domain can be restored (the registry restores in one
// step, so "pendingRestore" never shows, and its deactivation period is
// redemption to its end, so neither does RGP "pendingDelete"); otherwise
// the grace periods still running, in the order they began. Nil when none
// applies.
func (s *Service) RGPStatuses(d *Domain, now time.Time) []string {
	if inRedemption(d) {
		return []string{RGPRedemptionPeriod}
	}
	var out []string
	for _, g := range d.Grace {
		if g.Until.After(now) && !slices.Contains(out, g.Kind) {
			out = append(out, g.Kind)
		}
	}
	return out
}

// DomainStatuses are the EPP statuses of d at now, sorted: the stored
// client and server statuses, and the derived ones: "pendingDelete" in the
// redemption period, "pendingTransfer" while a transfer awaits the losing
// sponsor, "inactive" without name servers, and "ok" when there is no
// other. ctx and tx are for statuses that need the store to decide; none
// does yet.
func (s *Service) DomainStatuses(ctx context.Context, tx Tx, d *Domain, now time.Time) []string {
	out := slices.Clone(d.Statuses)
	add := func(st string) {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	if inRedemption(d) {
		add(StatusPendingDelete)
	}
	if transferPending(d) {
		add(StatusPendingTransfer)
	}
	if len(d.NS) == 0 {
		add(StatusInactive)
	}
	if len(out) == 0 {
		return []string{StatusOK}
	}
	slices.Sort(out)
	return out
}

// inGrace reports whether d is in a grace period of the kind at now.
func inGrace(d *Domain, kind string, now time.Time) bool {
	for _, g := range d.Grace {
		if g.Kind == kind && g.Until.After(now) {
			return true
		}
	}
	return false
}

// dropGrace removes d's grace periods of the given kind (all kinds when
// kind is "") and those that ended at or before now.
func dropGrace(d *Domain, kind string, now time.Time) {
	d.Grace = slices.DeleteFunc(d.Grace, func(g Grace) bool {
		return (kind != "" && g.Kind == kind) || !g.Until.After(now)
	})
	if len(d.Grace) == 0 {
		d.Grace = nil
	}
}

// addYears adds n years to t the way registries count them: a date that
// does not exist in the target year (29 February) becomes the last day of
// the same month, not the first of the next.
func addYears(t time.Time, n int) time.Time {
	r := t.AddDate(n, 0, 0)
	if r.Month() != t.Month() {
		r = r.AddDate(0, 0, -r.Day())
	}
	return r
}

// renewedPast is exp renewed by whole years until it lies after now, and
// the number of years added (0 when exp lies after now already).
func renewedPast(exp, now time.Time) (time.Time, int) {
	years := 0
	for !exp.After(now) {
		exp = addYears(exp, 1)
		years++
	}
	return exp, years
}
