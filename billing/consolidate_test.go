package billing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// consolidateAccounts opens two accounts of one holder in f's registry.
func consolidateAccounts(t *testing.T, f *billFixture) (first, second *registry.Account) {
	t.Helper()
	ctx := context.Background()
	id := registry.Identity{Kind: registry.IdentitySEPersonal, Number: "19121212-1212"}
	var accs [2]*registry.Account
	for i := range accs {
		acc, err := f.svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{
			Name: "Anna Holder", Email: "anna@example.se", Identity: id,
		})
		require.NoError(t, err)
		accs[i] = acc
	}
	return accs[0], accs[1]
}

// consolidateCreate registers a registrant-managed domain for the account
// on day, its registrant a new contact of the account copied from src.
func consolidateCreate(t *testing.T, f *billFixture, acc *registry.Account, name, on, src string) *registry.Domain {
	t.Helper()
	f.clock.set(day(on).Add(10 * time.Hour))
	d, err := f.svc.CreateDomain(context.Background(), registry.Operator, registry.NewDomain{
		Name: name, Registrant: src, NS: []string{"ns1.example.net"}, AuthInfo: "secret-1", Account: acc.Number,
	})
	require.NoError(t, err)
	return d
}

// TestConsolidationCollectiveBill: two accounts of one holder, merged, and
// their domains registered in one month pointed to one registrant contact,
// are billed together on the next bill; a domain of the same month left
// with another registrant contact keeps a bill of its own.
func TestConsolidationCollectiveBill(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		first, second := consolidateAccounts(t, f)
		one := consolidateCreate(t, f, first, "one.se", "2026-03-17", "holder")
		two := consolidateCreate(t, f, second, "two.se", "2026-03-25", "holder")
		three := consolidateCreate(t, f, second, "three.se", "2026-03-26", "other-holder")
		require.NotEqual(t, one.Registrant, two.Registrant, "each account has its own registrant contact")

		f.clock.set(day("2026-06-01").Add(9 * time.Hour))
		res, err := f.svc.MergeAccounts(ctx, registry.Operator, first.Number, []string{second.Number})
		require.NoError(t, err)
		assert.Equal(t, []string{"three.se", "two.se"}, res.Domains)
		// two.se goes to one.se's registrant contact; three.se keeps its
		// own.
		out := f.svc.SwitchRegistrant(ctx, registry.Operator, one.Registrant, []string{"two.se"})
		require.Len(t, out, 1)
		require.NoError(t, out[0].Err)
		assert.True(t, out[0].Changed)

		f.runDays(t, "2027-02-01", "2027-03-10")
		bs := f.bills(t)
		require.Len(t, bs, 2, "one collective bill, and three.se's own")
		byDomains := map[string]*registry.Bill{}
		for _, b := range bs {
			b := f.bill(t, b.Number)
			var names []string
			for _, l := range b.Lines {
				names = append(names, l.Domain)
			}
			byDomains[names[0]] = b
			if len(names) == 2 {
				assert.Equal(t, []string{"one.se", "two.se"}, names)
				assert.True(t, b.Collective)
				assert.Equal(t, first.Number, b.AccountNumber)
				assert.Equal(t, one.Registrant, b.Registrant)
			}
		}
		require.Contains(t, byDomains, "one.se")
		assert.Len(t, byDomains["one.se"].Lines, 2)
		require.Contains(t, byDomains, "three.se")
		assert.False(t, byDomains["three.se"].Collective)
		assert.Equal(t, three.Registrant, byDomains["three.se"].Registrant)
	})
}

// TestConsolidationUnpaidBill: after a merge, the registrant of several
// domains switches to one contact, except for the domain on an unpaid
// bill, which switches once the bill is paid.
func TestConsolidationUnpaidBill(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		first, second := consolidateAccounts(t, f)
		consolidateCreate(t, f, first, "one.se", "2026-03-17", "holder")
		two := consolidateCreate(t, f, second, "two.se", "2026-05-10", "holder")
		consolidateCreate(t, f, second, "three.se", "2026-05-10", "other-holder")

		// one.se is noticed in February: on an unpaid bill.
		f.runDays(t, "2027-02-20", "2027-03-01")
		bs := f.bills(t)
		require.Len(t, bs, 1)
		require.Equal(t, "one.se", f.bill(t, bs[0].Number).Lines[0].Domain)
		// The notice is in the holder's inbox, once, the second run of
		// each day notwithstanding.
		ms, err := f.svc.AccountMessages(ctx, first.Number)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, "bill/"+bs[0].Number+"/notice", ms[0].Key)
		assert.Equal(t, "one.se", ms[0].Domain)

		_, err = f.svc.MergeAccounts(ctx, registry.Operator, first.Number, []string{second.Number})
		require.NoError(t, err)
		out := f.svc.SwitchRegistrant(ctx, registry.Operator, two.Registrant, []string{"one.se", "two.se", "three.se"})
		require.Len(t, out, 3)
		assert.Equal(t, "one.se", out[0].Domain)
		assert.False(t, out[0].Changed)
		require.Error(t, out[0].Err)
		assert.Equal(t, registry.KindStatusProhibits, registry.ErrorKind(out[0].Err))
		assert.Contains(t, out[0].Err.Error(), "unpaid bill "+bs[0].Number)
		assert.False(t, out[1].Changed, "two.se has that registrant already")
		assert.NoError(t, out[1].Err)
		assert.NotEmpty(t, out[1].Note)
		assert.True(t, out[2].Changed)
		assert.NoError(t, out[2].Err)
		assert.Equal(t, two.Registrant, f.domain(t, "three.se").Registrant)
		assert.NotEqual(t, two.Registrant, f.domain(t, "one.se").Registrant)

		// Paid: the switch goes through.
		b := f.bill(t, bs[0].Number)
		_, err = f.biller.Pay(ctx, registry.Operator, b.Number, billing.SEK(b.Total), day("2027-03-02"), "")
		require.NoError(t, err)
		out = f.svc.SwitchRegistrant(ctx, registry.Operator, two.Registrant, []string{"one.se"})
		require.NoError(t, out[0].Err)
		assert.True(t, out[0].Changed)
		assert.Equal(t, two.Registrant, f.domain(t, "one.se").Registrant)

		// A contact of another holder's account is refused: that would
		// be a change of holder.
		out = f.svc.SwitchRegistrant(ctx, registry.Operator, "holder", []string{"one.se"})
		require.Error(t, out[0].Err)
		assert.Equal(t, registry.KindPolicy, registry.ErrorKind(out[0].Err))
		assert.Contains(t, out[0].Err.Error(), "belongs to a reseller")
	})
}

// TestCollectiveBillOfManyDomains: a collective bill of more domains than
// a subject line can name is noticed and sent like any other; its subject
// names a few and counts the rest, its body names them all.
func TestCollectiveBillOfManyDomains(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		f := newBillFixture(t, store)
		const n = 80
		for i := range n {
			f.create(t, fmt.Sprintf("a-rather-long-domain-name-for-a-collective-bill-%02d.se", i))
		}
		f.runDays(t, "2027-02-14", "2027-03-10")
		bs := f.bills(t)
		require.Len(t, bs, 1)
		b := f.bill(t, bs[0].Number)
		require.Len(t, b.Lines, n)
		assert.Equal(t, registry.BillSent, b.State)
		msgs := f.outbox(t)
		require.NotEmpty(t, msgs)
		for _, m := range msgs {
			assert.LessOrEqual(t, len(m.Subject), 998, m.Key)
		}
		assert.Contains(t, msgs[0].Subject, fmt.Sprintf("and %d more", n-3))
		assert.Contains(t, msgs[0].Body, "a-rather-long-domain-name-for-a-collective-bill-79.se")
	})
}
