package registry

import (
	"context"
	"slices"
	"time"
)

// The registry's side of the bills of registrant-managed domains: the rule
// that a domain on an unpaid bill keeps its registrant, and the changes
// the billing run (package billing) makes to the domains on a bill, each
// with its history entry.

// BillingActor is the actor of the changes the billing run makes.
var BillingActor = Actor{Name: "registry:billing"}

// checkRegistrantSwitch refuses a change of d's registrant contact while d
// is on a bill not paid yet, from its notice on (DOMAIN.md section 3). Every
// channel changes a registrant through UpdateDomain, which calls this.
func (s *Service) checkRegistrantSwitch(ctx context.Context, tx Tx, d *Domain) error {
	b, err := tx.UnpaidBillOfDomain(ctx, d.ROID)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return Errorf(KindStatusProhibits, "domain %s is on unpaid bill %s; its registrant cannot change until the bill is paid", d.Name, b.Number)
}

// DomainRoleHolders lists the resellers that hold a role on d, sorted: on a
// registrant-managed domain the sponsors of its billing, admin and tech
// contacts, on a reseller-managed one its reseller of record.
func DomainRoleHolders(ctx context.Context, tx Tx, d *Domain) ([]string, error) {
	subj, err := domainSubject(ctx, tx, d)
	if err != nil {
		return nil, err
	}
	var out []string
	if subj.ResellerOfRecord != "" && subj.ResellerOfRecord != RegistryClID {
		out = append(out, subj.ResellerOfRecord)
	}
	for clID := range subj.Roles {
		out = append(out, clID)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// RecordBillStep writes a history entry on d for a step of its bill
// (action such as "bill-notice"), its state unchanged.
func (s *Service) RecordBillStep(ctx context.Context, tx Tx, d *Domain, action string) error {
	return s.record(ctx, tx, BillingActor, ObjectDomain, d.ROID, action, d)
}

// HoldForBill takes d out of the zone (hold true: status serverHold) or
// puts it back (hold false), and records action in its history. Nothing
// changes when d already is so.
func (s *Service) HoldForBill(ctx context.Context, tx Tx, d *Domain, hold bool, action string) error {
	if HasStatus(d.Statuses, StatusServerHold) == hold {
		return nil
	}
	if hold {
		d.Statuses = append(d.Statuses, StatusServerHold)
		slices.Sort(d.Statuses)
	} else {
		d.Statuses = slices.DeleteFunc(d.Statuses, func(st string) bool { return st == StatusServerHold })
	}
	d.UpdatedAt = s.clock.Now()
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	return s.record(ctx, tx, BillingActor, ObjectDomain, d.ROID, action, d)
}

// RenewForBill renews d, paid by its bill, to years after from, the end
// of the period the bill is for (the domain's expiry when it was billed),
// no further than MaxRegistrationYears from now, and records it. An
// expiry already later is kept: a renewal is never counted twice.
func (s *Service) RenewForBill(ctx context.Context, tx Tx, d *Domain, from time.Time, years int, billNumber string) error {
	now := s.clock.Now()
	if from.IsZero() {
		from = d.ExpiresAt
	}
	exp := addYears(from, years)
	if limit := now.AddDate(MaxRegistrationYears, 0, 0); exp.After(limit) {
		exp = limit
	}
	if exp.After(d.ExpiresAt) {
		d.ExpiresAt = exp
	}
	d.UpdatedAt = now
	d.NextEventAt = s.nextEvent(d)
	if err := tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	return s.record(ctx, tx, BillingActor, ObjectDomain, d.ROID, "bill-renew "+billNumber, d)
}

// PurgeForBill deregisters d, its bill unpaid: the domain is deleted and
// its name freed at once. KindLinked while hosts are subordinate to it.
func (s *Service) PurgeForBill(ctx context.Context, tx Tx, d *Domain, billNumber string) error {
	if err := s.record(ctx, tx, BillingActor, ObjectDomain, d.ROID, "bill-deregister "+billNumber, d); err != nil {
		return err
	}
	return tx.PurgeDomain(ctx, d.Name)
}

// HoldsPayerRole reports whether the reseller clID holds the payer role
// (the sponsor of a billing contact) on the registrant-managed domain d.
func HoldsPayerRole(ctx context.Context, tx Tx, d *Domain, clID string) (bool, error) {
	subj, err := domainSubject(ctx, tx, d)
	if err != nil {
		return false, err
	}
	return slices.Contains(subj.Roles[clID], RolePayer), nil
}
