package billing

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

// PayResult is what a payment did.
type PayResult struct {
	Payment registry.Payment
	// Bill is the bill after the payment; nil when the payment matched
	// none.
	Bill *registry.Bill
	// Renewed lists the domains the payment renewed, Reactivated those of
	// them it brought back into the zone.
	Renewed     []string
	Reactivated []string
	// Reason says why a payment is partial or unmatched.
	Reason string
	// Duplicate is set when a payment with the same reference was
	// recorded before: nothing was done.
	Duplicate bool
}

// errDuplicatePayment rolls back a payment whose reference is recorded
// already.
var errDuplicatePayment = errors.New("duplicate payment")

// Pay records a payment of amount for the bill with the number, paid on
// paidOn, with the payment's own reference (which, when not empty, makes
// recording it twice a no-op). A payment that brings what was paid to
// the bill's total settles it: every domain on it is renewed by its
// line's period and, if deactivated, put back into the zone. Less is kept
// as a partial payment; a payment for no open bill, or in another
// currency, is kept as unmatched. Nothing paid is ever dropped.
func (b *Biller) Pay(ctx context.Context, a registry.Actor, number string, amount Money, paidOn time.Time, reference string) (*PayResult, error) {
	if amount.Minor <= 0 {
		return nil, registry.Errorf(registry.KindInvalid, "a payment must be more than zero, not %s", amount)
	}
	var res *PayResult
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		res = &PayResult{}
		var err error
		res.Payment, res.Bill, res.Renewed, res.Reactivated, res.Reason, err = b.pay(ctx, tx, a, number, amount, paidOn, reference)
		return err
	})
	if errors.Is(err, errDuplicatePayment) {
		return &PayResult{Duplicate: true, Reason: fmt.Sprintf("a payment with reference %q is recorded already", reference)}, nil
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (b *Biller) pay(ctx context.Context, tx registry.Tx, a registry.Actor, number string, amount Money, paidOn time.Time, reference string) (registry.Payment, *registry.Bill, []string, []string, string, error) {
	p := registry.Payment{BillNumber: number, Amount: amount.Minor, Currency: amount.Currency, PaidOn: paidOn,
		Reference: reference, Actor: a.Name, Status: registry.PaymentUnmatched}
	record := func() error {
		err := tx.AddPayment(ctx, &p)
		if registry.IsKind(err, registry.KindExists) {
			return errDuplicatePayment
		}
		return err
	}
	bill, err := tx.LockBill(ctx, number)
	var reason string
	switch {
	case registry.IsKind(err, registry.KindNotFound):
		reason = fmt.Sprintf("no bill has the number %q", number)
	case err != nil:
		return p, nil, nil, nil, "", err
	case !bill.State.Open():
		reason = fmt.Sprintf("bill %s is %s", number, bill.State)
	case bill.Currency != amount.Currency:
		reason = fmt.Sprintf("bill %s is in %s, the payment in %s", number, bill.Currency, amount.Currency)
	}
	if reason != "" {
		return p, bill, nil, nil, reason, record()
	}
	bill.Paid += amount.Minor
	if bill.Paid < bill.Total {
		p.Status = registry.PaymentPartial
		reason = fmt.Sprintf("%s of %s paid", Money{Minor: bill.Paid, Currency: bill.Currency}, Money{Minor: bill.Total, Currency: bill.Currency})
		if err := record(); err != nil {
			return p, nil, nil, nil, "", err
		}
		if _, err := tx.AddBillEvent(ctx, number, &registry.BillEvent{Step: fmt.Sprintf("payment-%d", p.ID), Day: calendarDay(paidOn),
			Note: fmt.Sprintf("partial payment %s (%s), reference %q, by %s", amount, reason, reference, a.Name)}); err != nil {
			return p, nil, nil, nil, "", err
		}
		return p, bill, nil, nil, reason, tx.UpdateBill(ctx, bill)
	}
	p.Status = registry.PaymentApplied
	if err := record(); err != nil {
		return p, nil, nil, nil, "", err
	}
	var renewed, reactivated []string
	s := &stepCtx{b: b, ctx: ctx, tx: tx, bill: bill, step: "paid"}
	_, domains, err := s.domains()
	if err != nil {
		return p, nil, nil, nil, "", err
	}
	for _, d := range domains {
		if registry.HasStatus(d.Statuses, registry.StatusServerHold) && bill.State == registry.BillDeactivated {
			if err := b.svc.HoldForBill(ctx, tx, d, false, "bill-reactivate "+number); err != nil {
				return p, nil, nil, nil, "", err
			}
			reactivated = append(reactivated, d.Name)
		}
		years, from := 1, d.ExpiresAt
		for _, l := range bill.Lines {
			if l.DomainROID == d.ROID {
				years, from = l.Years, l.Expiry
			}
		}
		if err := b.svc.RenewForBill(ctx, tx, d, from, years, number); err != nil {
			return p, nil, nil, nil, "", err
		}
		if err := s.tell(d, fmt.Sprintf("Bill %s paid: %s renewed", number, d.Name)); err != nil {
			return p, nil, nil, nil, "", err
		}
		renewed = append(renewed, d.Name)
	}
	if reason == "" && bill.Paid > bill.Total {
		reason = fmt.Sprintf("%s paid in excess", Money{Minor: bill.Paid - bill.Total, Currency: bill.Currency})
	}
	bill.State = registry.BillPaid
	bill.NextStepAt = time.Time{}
	note := fmt.Sprintf("paid %s, reference %q, by %s; renewed %s", amount, reference, a.Name, strings.Join(renewed, ", "))
	if len(reactivated) > 0 {
		note += "; reactivated " + strings.Join(reactivated, ", ")
	}
	if _, err := tx.AddBillEvent(ctx, number, &registry.BillEvent{Step: "paid", Day: calendarDay(paidOn), Note: note}); err != nil {
		return p, nil, nil, nil, "", err
	}
	return p, bill, renewed, reactivated, reason, tx.UpdateBill(ctx, bill)
}

// ImportLine is the outcome of one line of a payment file.
type ImportLine struct {
	Line   int
	Result *PayResult
	Err    error
}

// ImportPayments records the payments of a CSV file, one a line:
// reference (the bill number), amount, date (YYYY-MM-DD); a first line
// whose amount is not a number is taken for a header. Each line gets the
// reference "csv/<bill>/<date>/<amount>/<n>" (n counting equal lines), so
// that importing a file again records nothing twice. A line that cannot
// be read is reported and the others go on.
func (b *Biller) ImportPayments(ctx context.Context, a registry.Actor, r io.Reader) ([]ImportLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []ImportLine
	seen := map[string]int{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("payment file line %d: %w", line, err)
		}
		if len(rec) < 3 {
			out = append(out, ImportLine{Line: line, Err: fmt.Errorf("want reference, amount and date, got %d fields", len(rec))})
			continue
		}
		ref, amt, date := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		amount, err := ParseMoney(amt, b.prices.Currency())
		if err != nil {
			if line == 1 {
				continue // a header
			}
			out = append(out, ImportLine{Line: line, Err: err})
			continue
		}
		paidOn, err := time.Parse(time.DateOnly, date)
		if err != nil {
			out = append(out, ImportLine{Line: line, Err: fmt.Errorf("date %q: want YYYY-MM-DD", date)})
			continue
		}
		k := fmt.Sprintf("csv/%s/%s/%d%s", ref, date, amount.Minor, amount.Currency)
		seen[k]++
		res, err := b.Pay(ctx, a, ref, amount, paidOn, fmt.Sprintf("%s/%d", k, seen[k]))
		out = append(out, ImportLine{Line: line, Result: res, Err: err})
	}
}

// SettleByPayer settles the unpaid bill of the domain from the prepaid
// balance of the reseller a, which must hold the payer role on it: the way
// a payer pays a bill with an EPP renew (DOMAIN.md section 2). The
// reseller is charged through charger (the Ledger) in the same
// transaction: a renewal for each domain on the bill by its period, and
// the reminder fee once it was added; the bill is then settled as by a
// payment of what is left of it, which renews its domains. KindForbidden
// when a holds no payer role; KindStatusProhibits when the domain is on no
// unpaid bill; KindBilling when the balance does not cover it.
func (b *Biller) SettleByPayer(ctx context.Context, a registry.Actor, domain string, charger registry.Charger) (*PayResult, error) {
	var res *PayResult
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		d, err := tx.Domain(ctx, registry.NormalizeName(domain))
		if err != nil {
			return err
		}
		ok, err := registry.HoldsPayerRole(ctx, tx, d, a.ClID)
		if err != nil {
			return err
		}
		if !ok {
			return registry.Errorf(registry.KindForbidden, "%s does not hold the payer role on domain %s", a.ClID, d.Name)
		}
		bill, err := lockUnpaidBill(ctx, tx, d)
		if registry.IsKind(err, registry.KindNotFound) {
			return registry.Errorf(registry.KindStatusProhibits, "domain %s is on no unpaid bill", d.Name)
		}
		if err != nil {
			return err
		}
		res, err = b.settle(ctx, tx, a, d, bill, charger)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// PayerRenewal is what RenewByPayer did.
type PayerRenewal struct {
	// Settled is false when the renew was not one that settles a bill:
	// nothing was done, and the renew is an ordinary one.
	Settled bool
	// Domain is the domain renewed, with its new expiry.
	Domain *registry.Domain
	// Payment is the settlement of the bill.
	Payment *PayResult
}

// RenewByPayer is a renew of the domain by the reseller a as EPP asks it:
// curExp is the expiry date a believes the domain has, years the period
// asked (0 when none is). When the domain is registrant-managed, on an
// unpaid bill, and a holds its payer role, the renew settles the bill as
// SettleByPayer does, in one transaction with the checks below: every
// domain on the bill is renewed by its line's period, and the result holds
// the domain with its new expiry. Otherwise Settled is false and nothing
// is done: the renew is an ordinary one (registry.Service.RenewDomain),
// whose policy refuses whoever may not renew.
//
// The period is the bill's. A renew without one renews by it; one asking
// for another is refused with KindPolicy and a reason naming the bill's
// period, rather than settled for a period the reseller did not ask for
// (the period is changed on the bill, while changes are open:
// Biller.ChangeBill). KindRange when curExp is not the domain's expiry
// date, as for an ordinary renew; KindBilling when the balance does not
// cover the bill, and then nothing changes.
func (b *Biller) RenewByPayer(ctx context.Context, a registry.Actor, domain string, curExp time.Time, years int, charger registry.Charger) (*PayerRenewal, error) {
	name := registry.NormalizeName(domain)
	var out *PayerRenewal
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		out = &PayerRenewal{}
		d, err := tx.Domain(ctx, name)
		if registry.IsKind(err, registry.KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if registry.DomainModel(d) != registry.ModelRegistrant {
			return nil
		}
		if ok, err := registry.HoldsPayerRole(ctx, tx, d, a.ClID); err != nil || !ok {
			return err
		}
		bill, err := lockUnpaidBill(ctx, tx, d)
		if registry.IsKind(err, registry.KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// Read again under lock, after the bill as the billing run locks
		// them: the expiry checked is the one renewed from.
		if d, err = tx.LockDomain(ctx, name); err != nil {
			return err
		}
		if cur := d.ExpiresAt.UTC().Format(time.DateOnly); cur != curExp.Format(time.DateOnly) {
			return registry.Errorf(registry.KindRange, "the current expiry date of domain %s is %s, not %s",
				d.Name, cur, curExp.Format(time.DateOnly))
		}
		for _, l := range bill.Lines {
			if l.DomainROID == d.ROID && l.RemovedAt.IsZero() && years != 0 && years != l.Years {
				return registry.Errorf(registry.KindPolicy,
					"domain %s is on bill %s, which renews it by %s: renew it with that period, or without one, to pay the bill",
					d.Name, bill.Number, yearsText(l.Years))
			}
		}
		res, err := b.settle(ctx, tx, a, d, bill, charger)
		if err != nil {
			return err
		}
		if d, err = tx.Domain(ctx, name); err != nil {
			return err
		}
		out = &PayerRenewal{Settled: true, Domain: d, Payment: res}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// yearsText is "1 year" or "n years".
func yearsText(n int) string {
	if n == 1 {
		return "1 year"
	}
	return fmt.Sprintf("%d years", n)
}

// lockUnpaidBill locks the unpaid bill d is on; KindNotFound when there is
// none, also when a payment settled it before the lock was had.
func lockUnpaidBill(ctx context.Context, tx registry.Tx, d *registry.Domain) (*registry.Bill, error) {
	bill, err := tx.UnpaidBillOfDomain(ctx, d.ROID)
	if err != nil {
		return nil, err
	}
	if bill, err = tx.LockBill(ctx, bill.Number); err != nil {
		return nil, err
	}
	if !bill.State.Open() {
		return nil, registry.Errorf(registry.KindNotFound, "domain %s is on no unpaid bill", d.Name)
	}
	return bill, nil
}

// settle pays the locked bill from the prepaid balance of the reseller a,
// through charger: a renewal for each domain on it by its period and the
// reminder fee once added (charged on d), then a payment of what is left
// of it, which renews its domains.
func (b *Biller) settle(ctx context.Context, tx registry.Tx, a registry.Actor, d *registry.Domain, bill *registry.Bill, charger registry.Charger) (*PayResult, error) {
	now := b.clock.Now()
	charge := func(op registry.ChargeOp, name string, years int) error {
		return charger.Charge(ctx, tx, registry.Charge{ResellerClID: a.ClID, Op: op, Domain: name, Years: years,
			At: now, ClTRID: a.ClTRID, SvTRID: a.SvTRID})
	}
	for _, l := range bill.Lines {
		if l.RemovedAt.IsZero() {
			if err := charge(registry.ChargeRenew, l.Domain, l.Years); err != nil {
				return nil, err
			}
		}
	}
	if bill.Fees > 0 {
		if err := charge(OpReminderFee, d.Name, 0); err != nil {
			return nil, err
		}
	}
	left := Money{Minor: bill.Total - bill.Paid, Currency: bill.Currency}
	ref := fmt.Sprintf("balance/%s/%s/%s", a.ClID, bill.Number, now.UTC().Format(time.RFC3339Nano))
	res := &PayResult{}
	var err error
	res.Payment, res.Bill, res.Renewed, res.Reactivated, res.Reason, err = b.pay(ctx, tx, a, bill.Number, left, now, ref)
	if err != nil {
		return nil, err
	}
	return res, nil
}
