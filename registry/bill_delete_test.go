package registry_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

// The registry's side of bills, with bills written straight to the store
// (package billing, which forms them, imports this one; billing's own
// tests run the same through its billing run).

// billForm puts the domains on one bill in state, as the billing run
// would have formed it, for SEK 100.00 each, and returns it.
func billForm(t *testing.T, svc *registry.Service, state registry.BillState, ds ...*registry.Domain) *registry.Bill {
	t.Helper()
	b := &registry.Bill{
		Key: "B/test/" + ds[0].ROID, ScheduleKey: ds[0].Name, Collective: len(ds) > 1, Expiry: ds[0].ExpiresAt,
		AccountNumber: ds[0].AccountNumber, Registrant: ds[0].Registrant, Payer: ds[0].Registrant,
		NoticeTo: "holder@example.se", Currency: "SEK", State: state, NextStepAt: ds[0].ExpiresAt,
	}
	for _, d := range ds {
		b.Lines = append(b.Lines, registry.BillLine{Domain: d.Name, DomainROID: d.ROID, Expiry: d.ExpiresAt, Years: 1, Amount: 100_00})
		b.Total += 100_00
	}
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		created, err := tx.CreateBill(ctx, b)
		require.True(t, created)
		return err
	})
	return b
}

// billRead reads the bill with its events.
func billRead(t *testing.T, svc *registry.Service, number string) (*registry.Bill, []registry.BillEvent) {
	t.Helper()
	var b *registry.Bill
	var es []registry.BillEvent
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		var err error
		if b, err = tx.Bill(ctx, number); err != nil {
			return err
		}
		es, err = tx.BillEvents(ctx, number)
		return err
	})
	return b, es
}

// billSteps are the steps of the events, with the time that makes each
// unique cut off.
func billSteps(es []registry.BillEvent) []string {
	var out []string
	for _, e := range es {
		f := strings.Fields(e.Step)
		if f[0] == "cancel" {
			out = append(out, "cancel")
		} else {
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

// billUnpaid returns the number of the unpaid bill the domain is on, or
// "".
func billUnpaid(t *testing.T, svc *registry.Service, name string) string {
	t.Helper()
	var number string
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.Domain(ctx, name)
		if err != nil {
			return err
		}
		b, err := tx.UnpaidBillOfDomain(ctx, d.ROID)
		if registry.IsKind(err, registry.KindNotFound) {
			return nil
		}
		if err == nil {
			number = b.Number
		}
		return err
	})
	return number
}

// TestBillRegistrantSwitch: while a domain is on an unpaid bill not even
// the operator changes its registrant (KindStatusProhibits, EPP 2304, with
// the reason); once the bill is paid it does. A reseller with a role is
// refused first (KindForbidden, EPP 2201), whatever the bill.
func TestBillRegistrantSwitch(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, _ := domainService(t, store, modelT0)
		d := modelRegistrantDomain(t, svc, "switch.se")
		b := billForm(t, svc, registry.BillSent, d)
		to := "holder"
		change := registry.DomainChange{Registrant: &to}

		_, err := svc.UpdateDomain(ctx, domainActor("acme", "u-1"), "switch.se", change)
		modelKind(t, err, registry.KindForbidden, "registrant")
		_, err = svc.UpdateDomain(ctx, registry.Operator, "switch.se", change)
		modelKind(t, err, registry.KindStatusProhibits,
			"domain switch.se is on unpaid bill "+b.Number+"; its registrant cannot change until the bill is paid")
		assert.Equal(t, d.Registrant, domainGet(t, svc, "switch.se").Registrant)

		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			paid, err := tx.LockBill(ctx, b.Number)
			if err != nil {
				return err
			}
			paid.State, paid.Paid = registry.BillPaid, paid.Total
			return tx.UpdateBill(ctx, paid)
		})
		_, err = svc.UpdateDomain(ctx, registry.Operator, "switch.se", change)
		require.NoError(t, err)
		assert.Equal(t, "holder", domainGet(t, svc, "switch.se").Registrant)
	})
}

// TestBillDeleteRestore: the operator's delete takes a domain off its
// unpaid bill (the line removed, the total lowered, a bill with no line
// left cancelled, each recorded on the bill, the payer told); a restore
// within the redemption period puts it back, and opens a bill the delete
// cancelled again as it was. The restore renews nothing: the bill does.
func TestBillDeleteRestore(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, clock := domainService(t, store, modelT0)
		d := modelRegistrantDomain(t, svc, "gone.se")
		expiry := d.ExpiresAt
		b := billForm(t, svc, registry.BillReminded, d)
		domainMessages(t, svc, "acme")

		// Past its expiry, its bill unpaid: given up.
		deleted := expiry.Add(10 * 24 * time.Hour)
		clock.Set(deleted)
		purged, err := svc.DeleteDomain(ctx, registry.Operator, "gone.se")
		require.NoError(t, err)
		assert.False(t, purged)
		got, es := billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillCancelled, got.State)
		assert.Equal(t, registry.BillReminded, got.CancelledFrom, "what a restore reopens it in")
		assert.True(t, got.NextStepAt.IsZero(), "its calendar stopped")
		assert.Zero(t, got.Total)
		assert.True(t, got.Lines[0].RemovedAt.Equal(deleted), "removed at %s", got.Lines[0].RemovedAt)
		assert.Equal(t, []string{"delete gone.se", "cancel"}, billSteps(es))
		assert.Equal(t, "gone.se was deleted (operator): taken off the bill", es[0].Note)
		assert.Empty(t, billUnpaid(t, svc, "gone.se"))
		msgs := domainMessages(t, svc, "acme")
		require.Len(t, msgs, 1, "acme holds a role (tech) on it")
		assert.Equal(t, "Domain gone.se was deleted: it is taken off bill "+b.Number+", which is cancelled", msgs[0].Msg)

		// Restored: back on its bill, which is open again where it was,
		// due for the next billing run; the expiry stays where the bill
		// renews it from.
		restored := deleted.Add(20 * 24 * time.Hour)
		clock.Set(restored)
		_, err = svc.RestoreDomain(ctx, registry.Operator, "gone.se", nil)
		require.NoError(t, err)
		assert.True(t, domainGet(t, svc, "gone.se").ExpiresAt.Equal(expiry), "no year given by the restore")
		got, es = billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillReminded, got.State)
		assert.Empty(t, got.CancelledFrom)
		assert.Equal(t, time.Date(restored.Year(), restored.Month(), restored.Day(), 0, 0, 0, 0, time.UTC), got.NextStepAt.UTC())
		assert.Equal(t, int64(100_00), got.Total)
		assert.True(t, got.Lines[0].RemovedAt.IsZero())
		assert.Equal(t, []string{"delete gone.se", "cancel", "restore gone.se"}, billSteps(es))
		assert.Equal(t, b.Number, billUnpaid(t, svc, "gone.se"))
		msgs = domainMessages(t, svc, "acme")
		require.Len(t, msgs, 1)
		assert.Equal(t, "Domain gone.se was restored: it is back on bill "+b.Number+", which is open again", msgs[0].Msg)

		// Deleted again and purged at the end of its redemption period:
		// off the bill for good.
		_, err = svc.DeleteDomain(ctx, registry.Operator, "gone.se")
		require.NoError(t, err)
		clock.Set(restored.Add(61 * 24 * time.Hour))
		_, err = svc.ProcessDue(ctx, 0)
		require.NoError(t, err)
		assert.Nil(t, domainGet(t, svc, "gone.se"))
		got, es = billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillCancelled, got.State)
		assert.Zero(t, got.Total)
		assert.Equal(t, []string{"delete gone.se", "cancel", "restore gone.se", "delete gone.se", "cancel"}, billSteps(es))
	})
}

// TestBillDeleteCollective: a domain deleted from a collective bill leaves
// the others on it, the bill open with the lower total; a restore puts it
// back; a delete in the add period, which purges at once, takes it off
// too.
func TestBillDeleteCollective(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, clock := domainService(t, store, modelT0)
		one := modelRegistrantDomain(t, svc, "one.se")
		two := modelRegistrantDomain(t, svc, "two.se")
		b := billForm(t, svc, registry.BillSent, one, two)
		clock.Advance(6 * 24 * time.Hour)

		_, err := svc.DeleteDomain(ctx, registry.Operator, "two.se")
		require.NoError(t, err)
		got, _ := billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillSent, got.State)
		assert.Equal(t, int64(100_00), got.Total)
		assert.Equal(t, b.Number, billUnpaid(t, svc, "one.se"))

		_, err = svc.RestoreDomain(ctx, registry.Operator, "two.se", nil)
		require.NoError(t, err)
		got, es := billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillSent, got.State)
		assert.True(t, got.NextStepAt.Equal(b.NextStepAt), "an open bill's calendar is not moved")
		assert.Equal(t, int64(200_00), got.Total)
		assert.Equal(t, []string{"delete two.se", "restore two.se"}, billSteps(es))

		// Purged at once (its add period runs): off its bill as well.
		fresh := modelRegistrantDomain(t, svc, "fresh.se")
		fb := billForm(t, svc, registry.BillNoticed, fresh)
		purged, err := svc.DeleteDomain(ctx, registry.Operator, "fresh.se")
		require.NoError(t, err)
		assert.True(t, purged)
		got, _ = billRead(t, svc, fb.Number)
		assert.Equal(t, registry.BillCancelled, got.State)
		assert.Zero(t, got.Total)
	})
}

// TestBillModelChange: a domain moved to reseller management leaves its
// unpaid bill (its reseller pays its renewals from then on), and the
// zone hold that bill put on it; so a reseller-managed domain is on no
// unpaid bill, and its reseller of record changes its registrant without
// meeting the unpaid-bill rule (over EPP, 2304 never reaches a reseller).
func TestBillModelChange(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, clock := domainService(t, store, modelT0)
		d := modelRegistrantDomain(t, svc, "moved.se")
		b := billForm(t, svc, registry.BillDeactivated, d)
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			return svc.HoldForBill(ctx, tx, d, true, "bill-deactivate "+b.Number)
		})
		domainMessages(t, svc, "acme")
		clock.Advance(time.Hour)

		_, err := svc.ChangeDomainModel(ctx, registry.Operator, "moved.se",
			registry.ModelChange{To: registry.ModelReseller, Reseller: "other", Evidence: "signed form 2027-7"})
		require.NoError(t, err)
		moved := domainGet(t, svc, "moved.se")
		assert.Equal(t, registry.ModelReseller, moved.Model)
		assert.NotContains(t, moved.Statuses, registry.StatusServerHold, "back in the zone")
		assert.Empty(t, billUnpaid(t, svc, "moved.se"))
		got, es := billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillCancelled, got.State)
		assert.Equal(t, []string{"model-change moved.se", "cancel"}, billSteps(es))
		assert.Contains(t, es[0].Note, "moved to reseller management (other pays its renewals from its balance)")
		msgs := domainMessages(t, svc, "acme")
		require.Len(t, msgs, 1, "acme, the tech contact's sponsor, had the bill's messages")
		assert.Contains(t, msgs[0].Msg, "taken off bill "+b.Number)

		to := "holder"
		_, err = svc.UpdateDomain(ctx, domainActor("other", "u-1"), "moved.se", registry.DomainChange{Registrant: &to})
		require.NoError(t, err)
		assert.Equal(t, "holder", domainGet(t, svc, "moved.se").Registrant)

		// A restore does not bring it back on the bill: it left it by
		// the move, not by a delete.
		clock.Advance(6 * 24 * time.Hour)
		_, err = svc.DeleteDomain(ctx, domainActor("other", "d-1"), "moved.se")
		require.NoError(t, err)
		_, err = svc.RestoreDomain(ctx, domainActor("other", "r-1"), "moved.se", nil)
		require.NoError(t, err)
		got, _ = billRead(t, svc, b.Number)
		assert.Equal(t, registry.BillCancelled, got.State)
	})
}
