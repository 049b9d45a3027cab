package registry

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The registry's side of the bills of registrant-managed domains: the rule
// that a domain on an unpaid bill keeps its registrant; a domain taken off
// its bill when it is deleted, purged or moved to reseller management, and
// put back on it when a delete is undone by a restore; and the changes the
// billing run (package billing) makes to the domains on a bill, each with
// its history entry.

// BillingActor is the actor of the changes the billing run makes.
var BillingActor = Actor{Name: "registry:billing"}

// checkRegistrantSwitch refuses a change of d's registrant contact while d
// is on a bill not paid yet, from its notice on (DOMAIN.md section 3). Every
// channel changes a registrant through UpdateDomain, which calls this.
// Over EPP no reseller meets it: none may change the registrant of a
// registrant-managed domain (refused first, 2201), and a reseller-managed
// domain is on no unpaid bill, since the move to reseller management takes
// a domain off its bill (takeOffBill). The operator and self-service do.
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

// takeOffBill takes d off the unpaid bill it is on, if any, for what actor
// a is doing to it at now (event, such as "delete", names it in the bill's
// timeline; why says it to people): its line is removed and the bill's
// total lowered by the line's amount, and a bill left with no line is
// cancelled, its calendar stopped. The resellers with a role on d are
// told. Call it before d's model or roles change. It returns the state the
// bill was in, "" when d was on none.
func (s *Service) takeOffBill(ctx context.Context, tx Tx, a Actor, d *Domain, now time.Time, event, why string) (BillState, error) {
	b, err := tx.UnpaidBillOfDomain(ctx, d.ROID)
	if IsKind(err, KindNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// Read again under lock: a payment may have settled it meanwhile.
	if b, err = tx.LockBill(ctx, b.Number); err != nil {
		return "", err
	}
	if !b.State.Open() {
		return "", nil
	}
	if _, ok := b.RemoveLine(d.ROID, now); !ok {
		return "", nil
	}
	from := b.State
	if _, err := tx.AddBillEvent(ctx, b.Number, &BillEvent{Step: billEventStep(event, d, now), Day: utcDay(now),
		Note: fmt.Sprintf("%s %s (%s): taken off the bill", d.Name, why, a.Name)}); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Domain %s %s: it is taken off bill %s", d.Name, why, b.Number)
	if b.OpenLines() == 0 {
		if _, err := tx.AddBillEvent(ctx, b.Number, &BillEvent{Step: "cancel " + now.UTC().Format(time.RFC3339Nano), Day: utcDay(now),
			Note: fmt.Sprintf("no line left: bill cancelled (it was %s)", b.State)}); err != nil {
			return "", err
		}
		b.State, b.CancelledFrom, b.NextStepAt = BillCancelled, b.State, time.Time{}
		msg += ", which is cancelled"
	}
	if err := tx.UpdateBill(ctx, b); err != nil {
		return "", err
	}
	_, err = s.TellRoleHolders(ctx, tx, d, msg)
	return from, err
}

// returnToBill puts d, a registrant-managed domain in its redemption period
// that actor a restores at now, back on the bill its delete took it off
// (the line removed when d was deleted): the line and its amount are back,
// and a bill the delete cancelled is open again in the state it was in,
// its calendar going on from the next billing run (steps passed meanwhile
// are done then). A restore undoes the delete; it does not pay the bill. A
// bill that ended otherwise meanwhile (its other domains paid for) takes
// no line back: d is then on no bill, and the billing run bills it as any
// domain whose period ends.
func (s *Service) returnToBill(ctx context.Context, tx Tx, a Actor, d *Domain, now time.Time) error {
	if DomainModel(d) != ModelRegistrant || !inRedemption(d) {
		return nil
	}
	bills, err := tx.Bills(ctx, BillFilter{DomainROID: d.ROID})
	if err != nil {
		return err
	}
	removedByDelete := func(l BillLine) bool { return l.DomainROID == d.ROID && l.RemovedAt.Equal(d.DeletedAt) }
	for i := len(bills) - 1; i >= 0; i-- {
		if !slices.ContainsFunc(bills[i].Lines, removedByDelete) {
			continue
		}
		b, err := tx.LockBill(ctx, bills[i].Number)
		if err != nil {
			return err
		}
		j := slices.IndexFunc(b.Lines, removedByDelete)
		if j < 0 {
			return nil
		}
		note := fmt.Sprintf("%s restored (%s): back on the bill", d.Name, a.Name)
		msg := fmt.Sprintf("Domain %s was restored: it is back on bill %s", d.Name, b.Number)
		switch {
		case b.State.Open():
		case b.State == BillCancelled && b.CancelledFrom != "":
			from := b.CancelledFrom
			b.State, b.CancelledFrom, b.NextStepAt = from, "", utcDay(now)
			note += fmt.Sprintf("; the bill is open again (%s)", from)
			msg += ", which is open again"
		default:
			return nil
		}
		l := &b.Lines[j]
		l.RemovedAt = time.Time{}
		b.Total += l.Amount
		if _, err := tx.AddBillEvent(ctx, b.Number, &BillEvent{Step: billEventStep("restore", d, now), Day: utcDay(now), Note: note}); err != nil {
			return err
		}
		if err := tx.UpdateBill(ctx, b); err != nil {
			return err
		}
		_, err = s.TellRoleHolders(ctx, tx, d, msg)
		return err
	}
	return nil
}

// TellRoleHolders queues msg for every reseller with a role on d, in
// the caller's transaction, and returns them.
func (s *Service) TellRoleHolders(ctx context.Context, tx Tx, d *Domain, msg string) ([]string, error) {
	holders, err := DomainRoleHolders(ctx, tx, d)
	if err != nil {
		return nil, err
	}
	for _, clID := range holders {
		if err := s.enqueuePoll(ctx, tx, clID, msg, "", nil); err != nil {
			return nil, err
		}
	}
	return holders, nil
}

// billEventStep is the step of a bill event for what happened to d at at:
// unique, as a domain can be deleted and restored more than once.
func billEventStep(event string, d *Domain, at time.Time) string {
	return event + " " + d.Name + " " + at.UTC().Format(time.RFC3339Nano)
}

// utcDay is the first instant of t's UTC calendar day: the day bill
// events are planned for, and from which the billing run looks at a bill.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
