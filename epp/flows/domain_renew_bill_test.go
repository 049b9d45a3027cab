package flows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// billRenewEnv is a server that settles bills by renew (flows.
// RegisterBillSettlement), with the prices of chargePrices, on a fake
// clock; acme and other are logged in with the reseller model extension.
type billRenewEnv struct {
	h           *epptest.Harness
	clock       *epptest.Clock
	ledger      *billing.Ledger
	biller      *billing.Biller
	acme, other *epptest.Client
}

func billRenewSetup(t *testing.T, dsn string) *billRenewEnv {
	t.Helper()
	clock := epptest.NewClock(time.Now().Truncate(time.Second))
	cl := &chargeLedger{}
	e := &billRenewEnv{clock: clock}
	e.h = epptest.NewHarness(t, epptest.Options{
		DSN: dsn, Clock: clock,
		Server: func(c *epp.Config) { c.Clock = registry.SystemClock{} },
		Registry: func(c *registry.Config) {
			c.TLDs = []registry.TLD{{Name: "se"}}
			c.Charger = cl
		},
		Register: func(m *epp.Mux, svc *registry.Service) {
			prices := chargePrices(t)
			l, err := billing.NewLedger(svc.Store(), svc.Clock(), billing.Config{Prices: prices})
			require.NoError(t, err)
			cl.Ledger = l
			e.biller, err = billing.NewBiller(svc, billing.CalendarConfig{}, prices, nil)
			require.NoError(t, err)
			flows.Register(m, svc)
			flows.RegisterBalance(m, l)
			flows.RegisterBillSettlement(m, svc, e.biller, l)
		},
	})
	e.ledger = cl.Ledger
	e.acme, e.other = modelLogin(t, e.h, "acme"), modelLogin(t, e.h, "other")
	clock.Set(time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC))
	domainSeed(t, e.h)
	return e
}

// create registers a registrant-managed domain on which acme holds the
// payer and NS admin roles (tech-acme) and other the proxy role (reg-other
// as admin contact).
func (e *billRenewEnv) create(t *testing.T, name string) {
	t.Helper()
	spec := modelRegistrantCreate(name)
	spec.contacts = append(spec.contacts,
		registry.DomainContact{Type: "billing", ID: "tech-acme"}, registry.DomainContact{Type: "admin", ID: "reg-other"})
	domainDo(t, e.acme, 1000, spec.xml("create-"+name))
}

// runDays runs the billing of each day from first to last.
func (e *billRenewEnv) runDays(t *testing.T, first, last string) {
	t.Helper()
	from, err := time.Parse(time.DateOnly, first)
	require.NoError(t, err)
	to, err := time.Parse(time.DateOnly, last)
	require.NoError(t, err)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		e.clock.Set(d.Add(2 * time.Hour))
		_, err := e.biller.Run(context.Background(), d)
		require.NoError(t, err)
	}
}

// bill is the bill of the domain (there is one in these tests).
func (e *billRenewEnv) bill(t *testing.T, name string) registry.Bill {
	t.Helper()
	bills, err := e.biller.Bills(context.Background(), registry.BillFilter{})
	require.NoError(t, err)
	for _, b := range bills {
		v, err := e.biller.Show(context.Background(), b.Number)
		require.NoError(t, err)
		for _, l := range v.Bill.Lines {
			if l.Domain == name {
				return *v.Bill
			}
		}
	}
	t.Fatalf("no bill for %s", name)
	return registry.Bill{}
}

func (e *billRenewEnv) balance(t *testing.T) int64 {
	t.Helper()
	b, err := e.ledger.Balance(context.Background(), "acme")
	require.NoError(t, err)
	return b.Minor
}

// renewals are the ledger entries of acme that charge a renewal of name.
func (e *billRenewEnv) renewals(t *testing.T, name string) []billing.Entry {
	t.Helper()
	es, err := e.ledger.Statement(context.Background(), "acme", time.Time{}, time.Time{})
	require.NoError(t, err)
	var out []billing.Entry
	for _, en := range es {
		if en.Domain == name && en.Op == registry.ChargeRenew {
			out = append(out, en)
		}
	}
	return out
}

// TestRenewSettlesBill: over EPP, the payer's renew of a registrant-managed
// domain on an unpaid bill pays the bill from its prepaid balance, once;
// what a renew must say is checked first, and nothing changes when it is
// refused.
func TestRenewSettlesBill(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := billRenewSetup(t, dsn)
		e.create(t, "billed.se")
		e.clock.Set(time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC))
		e.create(t, "unbilled.se")
		// billed.se ends its period on 2027-03-17: billed from February on.
		e.runDays(t, "2027-02-01", "2027-03-10")
		b := e.bill(t, "billed.se")
		require.Equal(t, registry.BillSent, b.State)
		require.Len(t, b.Lines, 1)
		assert.Equal(t, 1, b.Lines[0].Years)
		assert.Equal(t, int64(chargeSERenew), b.Total)
		exp := time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)
		require.Equal(t, exp, domainInfo(t, e.acme, "billed.se").exDate)

		_, err := e.ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(50_00), "too little")
		require.NoError(t, err)
		unchanged := func(why string) {
			t.Helper()
			assert.Equal(t, registry.BillSent, e.bill(t, "billed.se").State, "%s: the bill is unpaid", why)
			assert.Equal(t, int64(50_00), e.balance(t), "%s: the balance is as it was", why)
			assert.Empty(t, e.renewals(t, "billed.se"), "%s: nothing charged", why)
			assert.Equal(t, exp, domainInfo(t, e.acme, "billed.se").exDate, "%s: the expiry is as it was", why)
		}
		resp := domainDo(t, e.acme, 2104, domainRenewReq("rb-1", "billed.se", "2027-03-17", 1))
		assert.Contains(t, resp, "balance")
		unchanged("balance too low")
		// The proxy may not renew: only the payer pays.
		domainDo(t, e.other, 2201, domainRenewReq("rb-2", "billed.se", "2027-03-17", 1))
		unchanged("no payer role")
		domainDo(t, e.acme, 2004, domainRenewReq("rb-3", "billed.se", "2028-03-17", 1))
		unchanged("wrong curExpDate")
		resp = domainDo(t, e.acme, 2306, domainRenewReq("rb-4", "billed.se", "2027-03-17", 2))
		assert.Contains(t, resp, "by 1 year")
		assert.Contains(t, resp, b.Number)
		unchanged("another period than the bill's")

		_, err = e.ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(100_00), "enough")
		require.NoError(t, err)
		resp = domainDo(t, e.acme, 1000, domainRenewReq("rb-5", "billed.se", "2027-03-17", 1))
		assert.Contains(t, resp, "<domain:name>billed.se</domain:name>")
		assert.Contains(t, resp, "<domain:exDate>2028-03-17T10:00:00Z</domain:exDate>")
		paid := e.bill(t, "billed.se")
		assert.Equal(t, registry.BillPaid, paid.State)
		assert.Equal(t, paid.Total, paid.Paid)
		assert.Equal(t, int64(150_00-chargeSERenew), e.balance(t))
		require.Len(t, e.renewals(t, "billed.se"), 1)
		assert.Equal(t, "rb-5", e.renewals(t, "billed.se")[0].ClTRID, "the ledger entry names the command")
		assert.Equal(t, exp.AddDate(1, 0, 0), domainInfo(t, e.acme, "billed.se").exDate)

		// The same renew again: its curExpDate is no longer the domain's.
		domainDo(t, e.acme, 2004, domainRenewReq("rb-6", "billed.se", "2027-03-17", 1))
		// A renew now is an ordinary one, on no bill, paid in advance
		// from the balance: the bill is not paid twice.
		_, err = e.ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(200_00), "more")
		require.NoError(t, err)
		domainDo(t, e.acme, 1000, domainRenewReq("rb-7", "billed.se", "2028-03-17", 1))
		assert.Equal(t, exp.AddDate(2, 0, 0), domainInfo(t, e.acme, "billed.se").exDate)
		assert.Equal(t, int64(350_00-2*chargeSERenew), e.balance(t))
		assert.Len(t, e.renewals(t, "billed.se"), 2)
		assert.Equal(t, registry.BillPaid, e.bill(t, "billed.se").State, "the paid bill stays as it was")

		// A domain on no unpaid bill renews as an ordinary renew, paid by
		// the payer in advance.
		domainDo(t, e.acme, 1000, domainRenewReq("rb-8", "unbilled.se", "2027-09-01", 1))
		assert.Equal(t, time.Date(2028, 9, 1, 10, 0, 0, 0, time.UTC), domainInfo(t, e.acme, "unbilled.se").exDate)
		assert.Len(t, e.renewals(t, "unbilled.se"), 1)
		assert.Equal(t, int64(350_00-3*chargeSERenew), e.balance(t))
	})
}

// TestRenewSettlesBillByItsPeriod: a renew without a period pays the bill
// as it stands, for the period the payer chose on it.
func TestRenewSettlesBillByItsPeriod(t *testing.T) {
	ctx := context.Background()
	e := billRenewSetup(t, "")
	e.create(t, "twoyears.se")
	e.runDays(t, "2027-02-01", "2027-03-05")
	b := e.bill(t, "twoyears.se")
	_, err := e.biller.ChangeBill(ctx, registry.Operator, b.Number, billing.BillChange{Domain: "twoyears.se", Years: 2})
	require.NoError(t, err)
	_, err = e.ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(500_00), "payment")
	require.NoError(t, err)

	domainDo(t, e.acme, 2306, domainRenewReq("rp-1", "twoyears.se", "2027-03-17", 1))
	resp := domainDo(t, e.acme, 1000, domainRenewReq("rp-2", "twoyears.se", "2027-03-17", 0))
	assert.Contains(t, resp, "<domain:exDate>2029-03-17T10:00:00Z</domain:exDate>")
	assert.Equal(t, registry.BillPaid, e.bill(t, "twoyears.se").State)
	assert.Equal(t, int64(500_00-2*chargeSERenew), e.balance(t))
	require.Len(t, e.renewals(t, "twoyears.se"), 1)
	assert.Equal(t, 2, e.renewals(t, "twoyears.se")[0].Years)
}

// TestRenewSettlesBillOnce: the same renew sent on two sessions at once
// pays the bill once; the other finds the domain renewed.
func TestRenewSettlesBillOnce(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := billRenewSetup(t, dsn)
		second := modelLogin(t, e.h, "acme")
		e.create(t, "race.se")
		e.runDays(t, "2027-02-01", "2027-03-10")
		_, err := e.ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(500_00), "payment")
		require.NoError(t, err)

		// Both are sent before either answer is read: the server works on
		// them at once.
		clients := []*epptest.Client{e.acme, second}
		for i, c := range clients {
			require.NoError(t, c.Write(domainRenewReq(fmt.Sprintf("race-%d", i), "race.se", "2027-03-17", 1)))
		}
		var got []int
		for _, c := range clients {
			b, err := c.Read()
			require.NoError(t, err)
			got = append(got, epptest.Code(b))
		}
		assert.ElementsMatch(t, []int{1000, 2004}, got)
		assert.Equal(t, registry.BillPaid, e.bill(t, "race.se").State)
		assert.Equal(t, int64(500_00-chargeSERenew), e.balance(t))
		assert.Len(t, e.renewals(t, "race.se"), 1)
		assert.Equal(t, time.Date(2028, 3, 17, 10, 0, 0, 0, time.UTC), domainInfo(t, e.acme, "race.se").exDate)
	})
}
