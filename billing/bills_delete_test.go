package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// outboxKeys are the keys of the messages written so far.
func (f *billFixture) outboxKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for _, m := range f.outbox(t) {
		keys = append(keys, m.Key)
	}
	return keys
}

// TestDeleteOnBill: a domain the operator deletes while its bill is out
// leaves the bill, which is cancelled and sends nothing more; a payment
// for it is kept unmatched. Restored within its redemption period, the
// domain is back on the bill, open again: the run does the steps that
// fell due meanwhile, once, and a payment renews the domain from the
// period billed.
func TestDeleteOnBill(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "gone.se")
		f.runDays(t, "2027-02-20", "2027-03-10")
		n := f.bills(t)[0].Number
		require.Equal(t, registry.BillSent, f.bill(t, n).State)

		f.clock.set(day("2027-03-11").Add(9 * time.Hour))
		purged, err := f.svc.DeleteDomain(ctx, registry.Operator, "gone.se")
		require.NoError(t, err)
		assert.False(t, purged)
		b := f.bill(t, n)
		assert.Equal(t, registry.BillCancelled, b.State)
		assert.Zero(t, b.Total)
		sent := f.outboxKeys(t)
		f.runDays(t, "2027-03-11", "2027-04-19")
		assert.Equal(t, sent, f.outboxKeys(t), "a cancelled bill sends nothing")
		res, err := f.biller.Pay(ctx, registry.Operator, n, billing.SEK(100_00), day("2027-03-20"), "bank-1")
		require.NoError(t, err)
		assert.Equal(t, registry.PaymentUnmatched, res.Payment.Status)
		assert.Contains(t, res.Reason, "cancelled")

		v, err := f.biller.Show(ctx, n)
		require.NoError(t, err)
		var notes []string
		for _, s := range v.Timeline {
			if !s.Done.IsZero() {
				notes = append(notes, s.Note)
			}
		}
		assert.Contains(t, notes, "gone.se was deleted (operator): taken off the bill")
		assert.Contains(t, notes, "no line left: bill cancelled (it was sent)")

		// Restored after the bill's due date: the reminders due
		// meanwhile go out on the next run, once.
		f.clock.set(day("2027-04-20").Add(9 * time.Hour))
		_, err = f.svc.RestoreDomain(ctx, registry.Operator, "gone.se", nil)
		require.NoError(t, err)
		assert.Equal(t, day("2027-03-17"), f.domain(t, "gone.se").ExpiresAt.Truncate(24*time.Hour), "the restore renews nothing")
		b = f.bill(t, n)
		assert.Equal(t, registry.BillSent, b.State)
		assert.Equal(t, int64(100_00), b.Total)
		done := f.runDays(t, "2027-04-20", "2027-04-25")
		assert.Equal(t, day("2027-04-20"), done[n][billing.StepReminderEmail])
		assert.Equal(t, day("2027-04-20"), done[n][billing.StepReminderLetter])
		p := "bill/" + n + "/"
		assert.Equal(t, append(sent, p+"reminder-email/payer", p+"reminder-letter/payer-letter"), f.outboxKeys(t))
		b = f.bill(t, n)
		assert.Equal(t, registry.BillReminderLetter, b.State)

		res, err = f.biller.Pay(ctx, registry.Operator, n, billing.SEK(b.Total), day("2027-04-26"), "bank-2")
		require.NoError(t, err)
		assert.Equal(t, []string{"gone.se"}, res.Renewed)
		assert.Equal(t, day("2028-03-17"), f.domain(t, "gone.se").ExpiresAt.Truncate(24*time.Hour))
	})
}

// TestDeleteBeforeNotice: a domain deleted before its bill is formed is
// not billed in its redemption period; restored in its billing month, the
// next run forms its bill.
func TestDeleteBeforeNotice(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "early.se")
		f.clock.set(day("2027-02-10").Add(9 * time.Hour))
		_, err := f.svc.DeleteDomain(ctx, registry.Operator, "early.se")
		require.NoError(t, err)
		f.runDays(t, "2027-02-10", "2027-03-04")
		assert.Empty(t, f.bills(t))

		f.clock.set(day("2027-03-05").Add(9 * time.Hour))
		_, err = f.svc.RestoreDomain(ctx, registry.Operator, "early.se", nil)
		require.NoError(t, err)
		done := f.runDays(t, "2027-03-05", "2027-03-10")
		bs := f.bills(t)
		require.Len(t, bs, 1)
		assert.Equal(t, day("2027-03-05"), done[bs[0].Number][billing.StepNotice])
		assert.Equal(t, day("2027-03-09"), done[bs[0].Number][billing.StepSent])
	})
}

// TestModelChangeOnBill: a domain deactivated by its unpaid bill and then
// moved to reseller management leaves the bill and comes back into the
// zone; the run neither bills nor deregisters it any more.
func TestModelChangeOnBill(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "moved.se")
		f.runDays(t, "2027-02-20", "2027-05-20")
		n := f.bills(t)[0].Number
		require.Contains(t, f.domain(t, "moved.se").Statuses, registry.StatusServerHold)

		_, err := f.svc.ChangeDomainModel(ctx, registry.Operator, "moved.se",
			registry.ModelChange{To: registry.ModelReseller, Reseller: "acme", Evidence: "signed form 2027-19"})
		require.NoError(t, err)
		assert.NotContains(t, f.domain(t, "moved.se").Statuses, registry.StatusServerHold)
		assert.Equal(t, registry.BillCancelled, f.bill(t, n).State)

		sent := f.outboxKeys(t)
		f.runDays(t, "2027-05-21", "2027-08-01")
		assert.Equal(t, sent, f.outboxKeys(t))
		assert.NotNil(t, f.domain(t, "moved.se"), "not deregistered")
		assert.Len(t, f.bills(t), 1)
	})
}
