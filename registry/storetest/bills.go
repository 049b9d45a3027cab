package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// billTests are the tests of registry.BillTx.
var billTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"BillRoundTrip", testBillRoundTrip},
	{"BillEventsOnce", testBillEventsOnce},
	{"Payments", testPayments},
	{"RegistrantDomainsExpiring", testRegistrantDomainsExpiring},
	{"ExpiringSkipsBilled", testExpiringSkipsBilled},
}

func newBill(key string) *registry.Bill {
	return &registry.Bill{
		Key: key, ScheduleKey: "a.se", Expiry: µsTime(2027, 3, 17, 10, 0, 0, 0),
		AccountNumber: "100001", Registrant: "reg", Payer: "reg", NoticeTo: "anna@example.se",
		Currency: "SEK", Total: 20000, State: registry.BillNoticed, NextStepAt: µsTime(2027, 3, 8, 0, 0, 0, 0),
		Lines: []registry.BillLine{
			{Domain: "a.se", DomainROID: "D1-X", Expiry: µsTime(2027, 3, 17, 10, 0, 0, 0), Years: 1, Amount: 10000},
			{Domain: "b.se", DomainROID: "D2-X", Expiry: µsTime(2027, 3, 25, 10, 0, 0, 0), Years: 1, Amount: 10000},
		},
	}
}

func testBillRoundTrip(t *testing.T, s registry.Store) {
	b := newBill("B/2027-03/D1-X")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		created, err := tx.CreateBill(ctx, b)
		if err == nil && !created {
			t.Error("first CreateBill: created false")
		}
		return err
	})
	if b.Number != "2027-000001" && len(b.Number) != len("2027-000001") {
		t.Errorf("number %q", b.Number)
	}
	if b.ID == 0 || len(b.Lines) != 2 || b.CreatedAt.IsZero() {
		t.Fatalf("created bill %+v", b)
	}
	// The same key finds the bill.
	again := newBill(b.Key)
	again.Total = 1
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		created, err := tx.CreateBill(ctx, again)
		if err == nil && created {
			t.Error("second CreateBill with the same key created a bill")
		}
		return err
	})
	if again.Number != b.Number || again.Total != 20000 {
		t.Errorf("second CreateBill found %s total %d, want %s total 20000", again.Number, again.Total, b.Number)
	}
	// Unpaid while open, with the line not removed.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.UnpaidBillOfDomain(ctx, "D2-X")
		if err != nil {
			return err
		}
		if got.Number != b.Number {
			t.Errorf("unpaid bill of D2-X: %s, want %s", got.Number, b.Number)
		}
		_, err = tx.UnpaidBillOfDomain(ctx, "D9-X")
		wantKind(t, err, registry.KindNotFound, "unpaid bill of a domain on none")
		return nil
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.LockBill(ctx, b.Number)
		if err != nil {
			return err
		}
		got.Lines[1].RemovedAt = µsTime(2027, 7, 10, 0, 0, 0, 0)
		got.Total, got.Fees, got.State, got.CancelledFrom = 12500, 2500, registry.BillDeactivated, registry.BillSent
		return tx.UpdateBill(ctx, got)
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.Bill(ctx, b.Number)
		if err != nil {
			return err
		}
		if got.Total != 12500 || got.Fees != 2500 || got.State != registry.BillDeactivated || got.CancelledFrom != registry.BillSent ||
			got.Lines[1].RemovedAt.IsZero() ||
			!got.Lines[1].Expiry.Equal(µsTime(2027, 3, 25, 10, 0, 0, 0)) {
			t.Errorf("updated bill %+v", got)
		}
		_, err = tx.UnpaidBillOfDomain(ctx, "D2-X")
		wantKind(t, err, registry.KindNotFound, "unpaid bill of a removed line")
		due, err := tx.Bills(ctx, registry.BillFilter{StepDue: µsTime(2027, 3, 8, 0, 0, 0, 0)})
		if err != nil {
			return err
		}
		if len(due) != 1 {
			t.Errorf("bills with a step due: %d, want 1", len(due))
		}
		got.State = registry.BillPaid
		if err := tx.UpdateBill(ctx, got); err != nil {
			return err
		}
		open, err := tx.Bills(ctx, registry.BillFilter{Open: true})
		if err != nil {
			return err
		}
		if len(open) != 0 {
			t.Errorf("open bills after payment: %d", len(open))
		}
		byDomain, err := tx.Bills(ctx, registry.BillFilter{DomainROID: "D1-X"})
		if err != nil {
			return err
		}
		if len(byDomain) != 1 || len(byDomain[0].Lines) != 2 {
			t.Errorf("bills of D1-X: %+v", byDomain)
		}
		_, err = tx.Bill(ctx, "1999-000000")
		wantKind(t, err, registry.KindNotFound, "missing bill")
		return nil
	})
}

func testBillEventsOnce(t *testing.T, s registry.Store) {
	b := newBill("B/2027-03/events")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.CreateBill(ctx, b)
		return err
	})
	for i := range 2 {
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			e := registry.BillEvent{Step: "notice", Day: µsTime(2027, 2, 25, 0, 0, 0, 0), Note: "e-mail"}
			created, err := tx.AddBillEvent(ctx, b.Number, &e)
			if err == nil && created != (i == 0) {
				t.Errorf("AddBillEvent %d: created %v", i, created)
			}
			return err
		})
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		es, err := tx.BillEvents(ctx, b.Number)
		if err != nil {
			return err
		}
		if len(es) != 1 || es[0].Step != "notice" || es[0].Note != "e-mail" || !es[0].Day.Equal(µsTime(2027, 2, 25, 0, 0, 0, 0)) {
			t.Errorf("events %+v", es)
		}
		return nil
	})
}

func testPayments(t *testing.T, s registry.Store) {
	at := µsTime(2027, 3, 20, 0, 0, 0, 0)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, p := range []registry.Payment{
			{BillNumber: "2027-000001", Amount: 100, Currency: "SEK", PaidOn: at, Reference: "r1", Status: registry.PaymentPartial},
			{BillNumber: "nope", Amount: 5, Currency: "SEK", PaidOn: at, Status: registry.PaymentUnmatched},
			{BillNumber: "2027-000001", Amount: 900, Currency: "SEK", PaidOn: at, Status: registry.PaymentApplied},
		} {
			if err := tx.AddPayment(ctx, &p); err != nil {
				return err
			}
			if p.ID == 0 || p.RecordedAt.IsZero() {
				t.Errorf("payment not filled in: %+v", p)
			}
		}
		dup := registry.Payment{BillNumber: "x", Amount: 1, Currency: "SEK", PaidOn: at, Reference: "r1", Status: registry.PaymentUnmatched}
		wantKind(t, tx.AddPayment(ctx, &dup), registry.KindExists, "payment with a reference recorded already")
		return nil
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		all, err := tx.Payments(ctx, "", "")
		if err != nil {
			return err
		}
		of, err := tx.Payments(ctx, "2027-000001", "")
		if err != nil {
			return err
		}
		un, err := tx.Payments(ctx, "", registry.PaymentUnmatched)
		if err != nil {
			return err
		}
		if len(all) != 3 || len(of) != 2 || len(un) != 1 || un[0].BillNumber != "nope" || !of[0].PaidOn.Equal(at) {
			t.Errorf("payments: all %d, of the bill %d, unmatched %+v", len(all), len(of), un)
		}
		return nil
	})
}

func testRegistrantDomainsExpiring(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	mk := func(name string, model registry.Model, exp time.Time) {
		d := newDomain(name, "acme")
		d.Registrant, d.Model, d.ExpiresAt = "reg", model, exp
		if model == registry.ModelRegistrant {
			d.AccountNumber = "100001"
		}
		createDomain(t, s, d)
	}
	mk("late.se", registry.ModelRegistrant, µsTime(2027, 3, 20, 0, 0, 0, 0))
	mk("early.se", registry.ModelRegistrant, µsTime(2027, 3, 2, 0, 0, 0, 0))
	mk("sold.se", registry.ModelReseller, µsTime(2027, 3, 5, 0, 0, 0, 0))
	mk("april.se", registry.ModelRegistrant, µsTime(2027, 4, 1, 0, 0, 0, 0))
	// A domain that becomes registrant-managed by an update is found too.
	mk("moved.se", registry.ModelReseller, µsTime(2027, 3, 10, 0, 0, 0, 0))
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.Domain(ctx, "moved.se")
		if err != nil {
			return err
		}
		d.Model, d.AccountNumber = registry.ModelRegistrant, "100001"
		return tx.UpdateDomain(ctx, d)
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		ds, err := tx.RegistrantDomainsExpiring(ctx, µsTime(2027, 3, 1, 0, 0, 0, 0), µsTime(2027, 4, 1, 0, 0, 0, 0))
		if err != nil {
			return err
		}
		if want, got := []string{"early.se", "moved.se", "late.se"}, domainNames(ds); !slices.Equal(got, want) {
			t.Errorf("registrant-managed domains expiring in March: %v, want %v", got, want)
		}
		// What the billing run groups by comes with each.
		full, err := tx.Domain(ctx, "early.se")
		if err != nil {
			return err
		}
		if d := ds[0]; d.ROID != full.ROID || d.Registrant != "reg" || d.AccountNumber != "100001" ||
			!d.CreatedAt.Equal(full.CreatedAt) || !d.ExpiresAt.Equal(µsTime(2027, 3, 2, 0, 0, 0, 0)) {
			t.Errorf("early.se listed as %+v, stored as %+v", d, full)
		}
		return nil
	})
}

// testExpiringSkipsBilled: a domain on an unpaid bill is not listed again;
// once the bill is paid it is.
func testExpiringSkipsBilled(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	d := newDomain("billed.se", "acme")
	d.Registrant, d.Model, d.AccountNumber, d.ExpiresAt = "reg", registry.ModelRegistrant, "100001", µsTime(2027, 3, 17, 0, 0, 0, 0)
	createDomain(t, s, d)
	list := func() []string {
		var got []string
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			ds, err := tx.RegistrantDomainsExpiring(ctx, µsTime(2027, 3, 1, 0, 0, 0, 0), µsTime(2027, 4, 1, 0, 0, 0, 0))
			got = domainNames(ds)
			return err
		})
		return got
	}
	if got := list(); !slices.Equal(got, []string{"billed.se"}) {
		t.Fatalf("before the bill: %v", got)
	}
	b := newBill("B/2027-03/" + d.ROID)
	b.Lines = []registry.BillLine{{Domain: d.Name, DomainROID: d.ROID, Expiry: d.ExpiresAt, Years: 1, Amount: 100}}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { _, err := tx.CreateBill(ctx, b); return err })
	if got := list(); len(got) != 0 {
		t.Errorf("on an unpaid bill: %v", got)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		b.State = registry.BillPaid
		return tx.UpdateBill(ctx, b)
	})
	if got := list(); !slices.Equal(got, []string{"billed.se"}) {
		t.Errorf("bill paid: %v", got)
	}
}

// domainNames is the names of ds, in order.
func domainNames(ds []registry.Domain) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}
