package billing_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// billClock is the simulated clock of the bill tests.
type billClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *billClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *billClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func billStores(t *testing.T, fn func(t *testing.T, store registry.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.OpenPostgres(t)) })
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// billFixture is a registry whose reseller acme holds the payer role (the
// billing contact) on the registrant-managed domains it creates for one
// holder, registered on the given day.
type billFixture struct {
	svc    *registry.Service
	clock  *billClock
	biller *billing.Biller
	store  registry.Store
	// registrant is the registrant contact of the domains created.
	registrant string
}

func newBillFixture(t *testing.T, store registry.Store) *billFixture {
	t.Helper()
	ctx := context.Background()
	clock := &billClock{now: day("2026-03-17").Add(10 * time.Hour)}
	svc := registry.NewService(store, clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	for _, clID := range []string{"acme", "other"} {
		_, err := svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID, Password: clID + "-secret"})
		require.NoError(t, err)
	}
	require.NoError(t, store.Tx(ctx, func(tx registry.Tx) error {
		for _, c := range []*registry.Contact{
			{ID: "holder", SponsorClID: "acme", CreatorClID: "acme", Email: "holder@example.se",
				Postal: []registry.PostalInfo{{Type: "int", Name: "Anna Holder", Street: []string{"Storgatan 1"}, PC: "111 22", City: "Stockholm", CC: "SE"}}},
			{ID: "payer-acme", SponsorClID: "acme", CreatorClID: "acme", Email: "billing@acme.example",
				Postal: []registry.PostalInfo{{Type: "int", Name: "Acme Billing", Street: []string{"Box 1"}, PC: "222 33", City: "Lund", CC: "SE"}}},
			{ID: "other-holder", SponsorClID: "acme", CreatorClID: "acme", Email: "bo@example.se",
				Postal: []registry.PostalInfo{{Type: "int", Name: "Bo", City: "Lund", CC: "SE"}}},
		} {
			c.AuthInfo, c.CreatedAt = "pw-"+c.ID, clock.Now()
			if err := tx.CreateContact(ctx, c, "EPPD"); err != nil {
				return err
			}
		}
		return tx.CreateHost(ctx, &registry.Host{Name: "ns1.example.net", SponsorClID: "acme", CreatorClID: "acme", CreatedAt: clock.Now()}, "EPPD")
	}))
	b, err := billing.NewBiller(svc, billing.CalendarConfig{}, nil, nil)
	require.NoError(t, err)
	return &billFixture{svc: svc, clock: clock, biller: b, store: store}
}

// create registers a registrant-managed domain for the holder now. The
// holder's first domain gets a registrant contact of the holder's account;
// later ones share it, as a collective bill needs.
func (f *billFixture) create(t *testing.T, name string) *registry.Domain {
	t.Helper()
	reg := "holder"
	if f.registrant != "" {
		reg = f.registrant
	}
	nd := registry.NewDomain{Name: name, Registrant: reg, NS: []string{"ns1.example.net"}, AuthInfo: "secret-1",
		Model:    registry.ModelRegistrant,
		Holder:   &registry.Identity{Kind: registry.IdentitySEPersonal, Number: "19121212-1212"},
		Contacts: []registry.DomainContact{{Type: "billing", ID: "payer-acme"}, {Type: "tech", ID: "payer-acme"}},
	}
	d, err := f.svc.CreateDomain(context.Background(), registry.Actor{Name: registry.ResellerActor("acme"), ClID: "acme"}, nd)
	require.NoError(t, err)
	f.registrant = d.Registrant
	return d
}

func (f *billFixture) domain(t *testing.T, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	require.NoError(t, f.store.Tx(context.Background(), func(tx registry.Tx) error {
		var err error
		d, err = tx.Domain(context.Background(), name)
		if registry.IsKind(err, registry.KindNotFound) {
			d, err = nil, nil
		}
		return err
	}))
	return d
}

func (f *billFixture) outbox(t *testing.T) []registry.OutboxMessage {
	t.Helper()
	var ms []registry.OutboxMessage
	require.NoError(t, f.store.Tx(context.Background(), func(tx registry.Tx) error {
		var err error
		ms, err = tx.OutboxMessages(context.Background(), registry.OutboxFilter{})
		return err
	}))
	return ms
}

func (f *billFixture) bills(t *testing.T) []registry.Bill {
	t.Helper()
	bs, err := f.biller.Bills(context.Background(), registry.BillFilter{})
	require.NoError(t, err)
	return bs
}

func (f *billFixture) bill(t *testing.T, number string) *registry.Bill {
	t.Helper()
	v, err := f.biller.Show(context.Background(), number)
	require.NoError(t, err)
	return v.Bill
}

// runDays runs the billing of every day from first to last, each twice;
// the second run of a day must do nothing. It returns the day each step
// of each bill was done.
func (f *billFixture) runDays(t *testing.T, first, last string) map[string]map[billing.StepKind]time.Time {
	t.Helper()
	ctx := context.Background()
	done := map[string]map[billing.StepKind]time.Time{}
	for d := day(first); !d.After(day(last)); d = d.AddDate(0, 0, 1) {
		f.clock.set(d.Add(3 * time.Hour))
		rep, err := f.biller.Run(ctx, d)
		require.NoError(t, err, "run %s", d.Format(time.DateOnly))
		for _, s := range rep.Steps {
			if done[s.Bill] == nil {
				done[s.Bill] = map[billing.StepKind]time.Time{}
			}
			done[s.Bill][s.Step] = d
		}
		before := len(f.outbox(t))
		again, err := f.biller.Run(ctx, d)
		require.NoError(t, err)
		assert.Empty(t, again.Steps, "a second run of %s", d.Format(time.DateOnly))
		assert.Empty(t, again.Formed, "a second run of %s", d.Format(time.DateOnly))
		assert.Len(t, f.outbox(t), before, "a second run of %s sent something", d.Format(time.DateOnly))
	}
	return done
}

func between(t *testing.T, what string, got time.Time, first, last string) {
	t.Helper()
	assert.False(t, got.IsZero(), "%s not done", what)
	assert.False(t, got.Before(day(first)) || got.After(day(last)), "%s on %s, want %s to %s", what, got.Format(time.DateOnly), first, last)
}

func pollCount(t *testing.T, svc *registry.Service, clID string) int {
	t.Helper()
	q, err := svc.PollRequest(context.Background(), registry.Actor{Name: registry.ResellerActor(clID), ClID: clID})
	if registry.IsKind(err, registry.KindNotFound) {
		return 0
	}
	require.NoError(t, err)
	return q.Count
}

// TestWorkedExample runs the registry's worked example to the day: a
// domain registered on 2026-03-17 and never paid for, from its notice to
// its deregistration.
func TestWorkedExample(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "example.se")
		assert.Equal(t, day("2027-03-17"), f.domain(t, "example.se").ExpiresAt.Truncate(24*time.Hour))

		done := f.runDays(t, "2027-02-01", "2027-03-08")
		bs := f.bills(t)
		require.Len(t, bs, 1)
		n := bs[0].Number
		assert.False(t, bs[0].Collective)
		assert.Equal(t, registry.BillNoticed, bs[0].State)
		assert.Equal(t, "payer-acme", bs[0].Payer)
		assert.Equal(t, "billing@acme.example", bs[0].NoticeTo)
		between(t, "notice", done[n][billing.StepNotice], "2027-02-23", "2027-02-28")

		// From the notice on the registrant cannot change.
		_, err := f.svc.UpdateDomain(ctx, registry.Operator, "example.se", registry.DomainChange{Registrant: ptr("other-holder")})
		require.Error(t, err)
		assert.Equal(t, registry.KindStatusProhibits, registry.ErrorKind(err), "%v", err)
		assert.Contains(t, err.Error(), "domain example.se is on unpaid bill "+n+"; its registrant cannot change until the bill is paid")

		more := f.runDays(t, "2027-03-09", "2027-07-31")
		for k, v := range more[n] {
			done[n][k] = v
		}
		assert.Equal(t, day("2027-03-09"), done[n][billing.StepSent])
		assert.Equal(t, day("2027-04-08"), done[n][billing.StepDue])
		between(t, "reminder e-mail", done[n][billing.StepReminderEmail], "2027-04-12", "2027-04-14")
		assert.Equal(t, day("2027-04-18"), done[n][billing.StepReminderLetter])
		assert.Equal(t, day("2027-05-01"), done[n][billing.StepFinalEmail])
		between(t, "deactivation", done[n][billing.StepDeactivation], "2027-05-11", "2027-05-15")
		between(t, "deregistration", done[n][billing.StepDeregistration], "2027-07-10", "2027-07-14")
		assert.Equal(t, done[n][billing.StepDeactivation].AddDate(0, 0, 60), done[n][billing.StepDeregistration])

		var keys []string
		for _, m := range f.outbox(t) {
			keys = append(keys, m.Key)
		}
		p := "bill/" + n + "/"
		assert.Equal(t, []string{p + "notice/payer", p + "sent/payer", p + "sent/payer-letter", p + "reminder-email/payer",
			p + "reminder-letter/payer-letter", p + "final-email/holder", p + "deactivation/holder", p + "deregistration/holder"}, keys)
		for _, m := range f.outbox(t) {
			if m.Key == p+"final-email/holder" {
				assert.Equal(t, "holder@example.se", m.To)
			}
			if m.Key == p+"reminder-letter/payer-letter" {
				assert.Contains(t, m.To, "Acme Billing")
				assert.Contains(t, m.Body, "SEK 25.00")
			}
		}
		// notice, sent, reminder e-mail, reminder letter, final e-mail,
		// deactivation, deregistration: one poll message each to acme,
		// the payer; none to a reseller with no role.
		assert.Equal(t, 7, pollCount(t, f.svc, "acme"))
		assert.Equal(t, 0, pollCount(t, f.svc, "other"))

		assert.Nil(t, f.domain(t, "example.se"), "deregistered")
		b := f.bill(t, n)
		assert.Equal(t, registry.BillDeregistered, b.State)
		assert.False(t, b.Lines[0].RemovedAt.IsZero())
		assert.Equal(t, int64(25_00), b.Total, "the line is off the bill; the reminder fee stays")
		assert.Equal(t, int64(25_00), b.Fees)

		v, err := f.biller.Show(ctx, n)
		require.NoError(t, err)
		require.Len(t, v.Timeline, 9)
		for _, s := range v.Timeline {
			assert.False(t, s.Done.IsZero(), "step %s done", s.Step)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestDeactivationHold: between deactivation and deregistration the
// domain is out of the zone (serverHold) but still the holder's; a
// payment then reactivates and renews it.
func TestDeactivationHold(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "held.se")
		f.runDays(t, "2027-02-20", "2027-05-20")
		d := f.domain(t, "held.se")
		require.NotNil(t, d)
		assert.Contains(t, d.Statuses, registry.StatusServerHold)
		n := f.bills(t)[0].Number
		b := f.bill(t, n)
		assert.Equal(t, registry.BillDeactivated, b.State)

		// Part of it: kept, nothing else changes.
		res, err := f.biller.Pay(ctx, registry.Operator, n, billing.SEK(100_00), day("2027-05-20"), "bank-1")
		require.NoError(t, err)
		assert.Equal(t, registry.PaymentPartial, res.Payment.Status)
		assert.Contains(t, f.domain(t, "held.se").Statuses, registry.StatusServerHold)
		assert.Equal(t, registry.BillDeactivated, f.bill(t, n).State)

		// The rest, reminder fee included.
		rest := b.Total - 100_00
		res, err = f.biller.Pay(ctx, registry.Operator, n, billing.SEK(rest), day("2027-05-21"), "bank-2")
		require.NoError(t, err)
		assert.Equal(t, registry.PaymentApplied, res.Payment.Status)
		assert.Equal(t, []string{"held.se"}, res.Reactivated)
		d = f.domain(t, "held.se")
		assert.NotContains(t, d.Statuses, registry.StatusServerHold)
		assert.Equal(t, 2028, d.ExpiresAt.Year())
		assert.Equal(t, registry.BillPaid, f.bill(t, n).State)

		// The same payment again: recorded once.
		res, err = f.biller.Pay(ctx, registry.Operator, n, billing.SEK(rest), day("2027-05-21"), "bank-2")
		require.NoError(t, err)
		assert.True(t, res.Duplicate)

		// Nothing more happens to a paid bill, and the registrant can
		// change again.
		before := len(f.outbox(t))
		f.runDays(t, "2027-05-21", "2027-08-01")
		assert.Len(t, f.outbox(t), before)
		assert.NotNil(t, f.domain(t, "held.se"))
		_, err = f.svc.UpdateDomain(ctx, registry.Operator, "held.se", registry.DomainChange{Registrant: ptr("other-holder")})
		if err != nil {
			assert.NotContains(t, err.Error(), "unpaid bill")
		}
	})
}

// TestPayAfterNotice: paid right after the notice, the domain is renewed
// and no bill, reminder or letter follows.
func TestPayAfterNotice(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "early.se")
		f.runDays(t, "2027-02-20", "2027-03-01")
		b := f.bills(t)[0]
		res, err := f.biller.Pay(ctx, registry.Operator, b.Number, billing.SEK(b.Total), day("2027-03-02"), "")
		require.NoError(t, err)
		assert.Equal(t, []string{"early.se"}, res.Renewed)
		assert.Equal(t, day("2028-03-17"), f.domain(t, "early.se").ExpiresAt.Truncate(24*time.Hour))
		f.runDays(t, "2027-03-02", "2027-08-01")
		assert.Len(t, f.outbox(t), 1, "the notice only")
		assert.Len(t, f.bills(t), 1, "no bill for the next year yet")

		// Unmatched payments are kept.
		res, err = f.biller.Pay(ctx, registry.Operator, "2099-999999", billing.SEK(1), day("2027-03-02"), "")
		require.NoError(t, err)
		assert.Equal(t, registry.PaymentUnmatched, res.Payment.Status)
		assert.NotEmpty(t, res.Reason)
	})
}

// TestCollectiveBill: two domains of one holder, registered in the same
// month with the same registrant contact, go on one bill noticed on the
// 15th.
func TestCollectiveBill(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "one.se")
		f.clock.set(day("2026-03-25").Add(time.Hour))
		f.create(t, "two.se")
		done := f.runDays(t, "2027-02-01", "2027-03-10")
		bs := f.bills(t)
		require.Len(t, bs, 1)
		b := f.bill(t, bs[0].Number)
		assert.True(t, b.Collective)
		require.Len(t, b.Lines, 2)
		assert.Equal(t, b.Lines[0].Amount+b.Lines[1].Amount, b.Total)
		assert.Equal(t, day("2027-02-15"), done[b.Number][billing.StepNotice])
		assert.Equal(t, day("2027-03-09"), done[b.Number][billing.StepSent])
		msgs := f.outbox(t)
		require.Len(t, msgs, 3, "one notice, one bill by e-mail and letter for both")
		assert.Contains(t, msgs[0].Subject, "one.se, two.se")

		// Unpaid through deactivation: both leave the zone; a payment
		// brings both back.
		f.runDays(t, "2027-03-11", "2027-05-20")
		for _, n := range []string{"one.se", "two.se"} {
			assert.Contains(t, f.domain(t, n).Statuses, registry.StatusServerHold, n)
		}
		b = f.bill(t, b.Number)
		res, err := f.biller.Pay(ctx, registry.Operator, b.Number, billing.SEK(b.Total), day("2027-05-21"), "")
		require.NoError(t, err)
		assert.Equal(t, []string{"one.se", "two.se"}, res.Renewed)
		for _, n := range []string{"one.se", "two.se"} {
			d := f.domain(t, n)
			assert.NotContains(t, d.Statuses, registry.StatusServerHold, n)
			assert.Equal(t, 2028, d.ExpiresAt.Year(), n)
		}
	})
}

// TestCollectiveDeregistration: a domain of a collective bill that has a
// subordinate host is not deregistered (reported, retried); the other is,
// and its line leaves the bill, reducing its total.
func TestCollectiveDeregistration(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "one.se")
		f.create(t, "two.se")
		require.NoError(t, store.Tx(ctx, func(tx registry.Tx) error {
			return tx.CreateHost(ctx, &registry.Host{Name: "ns.two.se", SponsorClID: registry.RegistryClID, CreatorClID: "acme",
				Superordinate: "two.se", CreatedAt: f.clock.Now()}, "EPPD")
		}))
		f.runDays(t, "2027-02-01", "2027-07-01")
		b := f.bill(t, f.bills(t)[0].Number)
		before := b.Total
		var problems []string
		for d := day("2027-07-02"); d.Before(day("2027-07-31")); d = d.AddDate(0, 0, 1) {
			f.clock.set(d.Add(time.Hour))
			rep, err := f.biller.Run(ctx, d)
			require.NoError(t, err)
			problems = append(problems, rep.Problems...)
		}
		assert.Nil(t, f.domain(t, "one.se"))
		assert.NotNil(t, f.domain(t, "two.se"))
		require.NotEmpty(t, problems)
		assert.Contains(t, problems[0], "ns.two.se")
		b = f.bill(t, b.Number)
		assert.Equal(t, before-b.Lines[0].Amount, b.Total)
		assert.Equal(t, registry.BillDeactivated, b.State, "open while a domain is left")
	})
}

// failingStore fails every transaction after the first n.
type failingStore struct {
	registry.Store
	mu sync.Mutex
	n  int
}

var errCrash = errors.New("crash")

func (s *failingStore) Tx(ctx context.Context, fn func(tx registry.Tx) error) error {
	s.mu.Lock()
	crashed := s.n <= 0
	s.n--
	s.mu.Unlock()
	if crashed {
		return errCrash
	}
	return s.Store.Tx(ctx, fn)
}

// TestRunInterrupted: a run cut off after any number of transactions,
// then run again, ends where an uninterrupted run does, with nothing sent
// twice.
func TestRunInterrupted(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "one.se")
	f.create(t, "two.se")
	f.clock.set(day("2026-03-20"))
	f.registrant = "" // another registrant contact: a bill of its own
	f.create(t, "three.se")
	f.clock.set(day("2026-03-20"))
	f.runDays(t, "2027-02-01", "2027-03-01")
	outbox := len(f.outbox(t))
	for n := 0; n < 12; n++ {
		fs := &failingStore{Store: store, n: n}
		svc := registry.NewService(fs, f.clock, registry.Config{})
		b, err := billing.NewBiller(svc, billing.CalendarConfig{}, nil, nil)
		require.NoError(t, err)
		f.clock.set(day("2027-03-09").Add(time.Hour))
		_, err = b.Run(ctx, day("2027-03-09"))
		if err == nil {
			break
		}
		require.ErrorIs(t, err, errCrash)
	}
	rep, err := f.biller.Run(ctx, day("2027-03-09"))
	require.NoError(t, err)
	_ = rep
	msgs := f.outbox(t)
	// Two bills (the collective one and three.se's), each sent by e-mail
	// and letter.
	assert.Len(t, msgs, outbox+4)
	var keys []string
	for _, m := range msgs {
		keys = append(keys, m.Key)
	}
	slices.Sort(keys)
	assert.Len(t, slices.Compact(slices.Clone(keys)), len(keys))
	for _, b := range f.bills(t) {
		assert.Equal(t, registry.BillSent, b.State)
	}
	require.Len(t, f.bills(t), 2)
	// A notice and a bill for each of the three domains.
	assert.Equal(t, 6, pollCount(t, f.svc, "acme"))
}

// TestImportPayments: a payment file settles a bill, keeps an unmatched
// line and reads the same file a second time without recording anything
// twice.
func TestImportPayments(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "paid.se")
	f.runDays(t, "2027-02-20", "2027-03-10")
	b := f.bills(t)[0]
	file := "reference,amount,date\n" + b.Number + "," + billing.SEK(b.Total).Decimal() + ",2027-03-12\nnothing,10.00,2027-03-12\nbad,x,2027\n"
	lines, err := f.biller.ImportPayments(ctx, registry.Operator, strings.NewReader(file))
	require.NoError(t, err)
	require.Len(t, lines, 3)
	assert.Equal(t, registry.PaymentApplied, lines[0].Result.Payment.Status)
	assert.Equal(t, registry.PaymentUnmatched, lines[1].Result.Payment.Status)
	assert.Error(t, lines[2].Err)
	assert.Equal(t, registry.BillPaid, f.bill(t, b.Number).State)

	lines, err = f.biller.ImportPayments(ctx, registry.Operator, strings.NewReader(file))
	require.NoError(t, err)
	assert.True(t, lines[0].Result.Duplicate)
	assert.True(t, lines[1].Result.Duplicate)
	require.NoError(t, store.Tx(ctx, func(tx registry.Tx) error {
		ps, err := tx.Payments(ctx, "", "")
		assert.Len(t, ps, 2)
		return err
	}))
}

// TestSettleByPayer: the reseller holding the payer role pays the bill
// from its prepaid balance (an EPP renew); others may not, and a balance
// too small changes nothing.
func TestSettleByPayer(t *testing.T) {
	billStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := newBillFixture(t, store)
		f.create(t, "renew.se")
		f.runDays(t, "2027-02-20", "2027-04-20")
		ledger, err := billing.NewLedger(store, f.clock, billing.Config{})
		require.NoError(t, err)
		acme := registry.Actor{Name: registry.ResellerActor("acme"), ClID: "acme", SvTRID: "sv-1"}
		other := registry.Actor{Name: registry.ResellerActor("other"), ClID: "other"}

		_, err = f.biller.SettleByPayer(ctx, other, "renew.se", ledger)
		assert.Equal(t, registry.KindForbidden, registry.ErrorKind(err), "%v", err)
		_, err = f.biller.SettleByPayer(ctx, acme, "renew.se", ledger)
		assert.Equal(t, registry.KindBilling, registry.ErrorKind(err), "%v", err)
		n := f.bills(t)[0].Number
		assert.Equal(t, registry.BillReminderLetter, f.bill(t, n).State)

		_, err = ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(500_00), "ocr-1")
		require.NoError(t, err)
		res, err := f.biller.SettleByPayer(ctx, acme, "renew.se", ledger)
		require.NoError(t, err)
		assert.Equal(t, []string{"renew.se"}, res.Renewed)
		assert.Equal(t, registry.BillPaid, f.bill(t, n).State)
		bal, err := ledger.Balance(ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, billing.SEK(500_00-100_00-25_00), bal, "the renewal and the reminder fee")
		assert.Equal(t, 2028, f.domain(t, "renew.se").ExpiresAt.Year())

		_, err = f.biller.SettleByPayer(ctx, acme, "renew.se", ledger)
		assert.Equal(t, registry.KindStatusProhibits, registry.ErrorKind(err), "%v", err)
	})
}

// TestDeregisterFromCollectiveBill: the operator deregisters one domain of
// a collective bill; its line leaves the bill and the total falls.
func TestDeregisterFromCollectiveBill(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "one.se")
	f.create(t, "two.se")
	f.runDays(t, "2027-02-10", "2027-03-10")
	n := f.bills(t)[0].Number
	before := f.bill(t, n)
	require.Len(t, before.Lines, 2)
	after, err := f.biller.Deregister(ctx, n, "two.se")
	require.NoError(t, err)
	assert.Equal(t, before.Total-before.Lines[1].Amount, after.Total)
	assert.Nil(t, f.domain(t, "two.se"))
	assert.Equal(t, registry.BillSent, after.State)
	_, err = f.biller.Deregister(ctx, n, "two.se")
	assert.Equal(t, registry.KindNotFound, registry.ErrorKind(err))
	// The rest is paid with the reduced total.
	res, err := f.biller.Pay(ctx, registry.Operator, n, billing.SEK(after.Total), day("2027-03-11"), "")
	require.NoError(t, err)
	assert.Equal(t, []string{"one.se"}, res.Renewed)
}

// TestLoop: the loop runs the day at once and stops with its context.
func TestLoop(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	f := newBillFixture(t, store)
	f.create(t, "loop.se")
	f.clock.set(day("2027-03-01").Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.biller.Loop(ctx, time.Millisecond) }()
	require.Eventually(t, func() bool { return len(f.outbox(t)) == 1 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond) // more runs of the same day
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	assert.Len(t, f.bills(t), 1)
	assert.Len(t, f.outbox(t), 1, "the notice, once however often the day runs")
}

// noLockStore hides the store's billing lock, so that runs overlap.
type noLockStore struct{ registry.Store }

// TestConcurrentRuns: two runs of the same days at once, without the
// billing lock, on PostgreSQL: still one bill per group and every message
// once.
func TestConcurrentRuns(t *testing.T) {
	store := sqltest.OpenPostgres(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "one.se")
	f.create(t, "two.se")
	f.registrant = ""
	f.create(t, "three.se")
	svc := registry.NewService(noLockStore{store}, f.clock, registry.Config{})
	var billers []*billing.Biller
	for range 3 {
		b, err := billing.NewBiller(svc, billing.CalendarConfig{}, nil, nil)
		require.NoError(t, err)
		billers = append(billers, b)
	}
	for d := day("2027-02-10"); !d.After(day("2027-05-20")); d = d.AddDate(0, 0, 1) {
		f.clock.set(d.Add(time.Hour))
		var wg sync.WaitGroup
		errs := make([]error, len(billers))
		for i, b := range billers {
			wg.Go(func() { _, errs[i] = b.Run(ctx, d) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err, d.Format(time.DateOnly))
		}
	}
	require.Len(t, f.bills(t), 2)
	var keys []string
	for _, m := range f.outbox(t) {
		keys = append(keys, m.Key)
	}
	// Per bill: notice, sent (e-mail and letter), reminder e-mail and
	// letter, final e-mail, deactivation.
	assert.Len(t, keys, 2*7)
	// Per domain and step, one poll message: 3 domains, 6 steps with one
	// so far (notice to deactivation).
	assert.Equal(t, 3*6, pollCount(t, f.svc, "acme"))
	for _, n := range []string{"one.se", "two.se", "three.se"} {
		assert.Contains(t, f.domain(t, n).Statuses, registry.StatusServerHold)
	}
}

// TestPayRenewsOnce: a payment renews to a period after the one billed,
// even when the domain's expiry moved on since (renewed meanwhile by other
// means): never two years for one.
func TestPayRenewsOnce(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "once.se")
	f.runDays(t, "2027-02-20", "2027-03-20")
	require.NoError(t, store.Tx(ctx, func(tx registry.Tx) error {
		d, err := tx.Domain(ctx, "once.se")
		if err != nil {
			return err
		}
		d.ExpiresAt = d.ExpiresAt.AddDate(1, 0, 0)
		return tx.UpdateDomain(ctx, d)
	}))
	b := f.bills(t)[0]
	_, err := f.biller.Pay(ctx, registry.Operator, b.Number, billing.SEK(b.Total), day("2027-03-21"), "")
	require.NoError(t, err)
	assert.Equal(t, day("2028-03-17"), f.domain(t, "once.se").ExpiresAt.Truncate(24*time.Hour))
}

// TestChangeBill: until the 7th of the billing month the period and the
// payment-notice recipient can change; the payment then renews by the
// period chosen.
func TestChangeBill(t *testing.T) {
	store := sqltest.OpenSQLite(t)
	ctx := context.Background()
	f := newBillFixture(t, store)
	f.create(t, "long.se")
	f.runDays(t, "2027-02-20", "2027-03-07")
	n := f.bills(t)[0].Number
	b, err := f.biller.ChangeBill(ctx, registry.Operator, n, billing.BillChange{NoticeTo: "new@example.se", Domain: "long.se", Years: 3})
	require.NoError(t, err)
	assert.Equal(t, int64(300_00), b.Total)
	assert.Equal(t, 3, b.Lines[0].Years)
	_, err = f.biller.ChangeBill(ctx, registry.Operator, n, billing.BillChange{Domain: "long.se", Years: 11})
	assert.Equal(t, registry.KindRange, registry.ErrorKind(err))

	f.runDays(t, "2027-03-08", "2027-03-09")
	_, err = f.biller.ChangeBill(ctx, registry.Operator, n, billing.BillChange{Domain: "long.se", Years: 1})
	assert.Equal(t, registry.KindStatusProhibits, registry.ErrorKind(err), "%v", err)
	for _, m := range f.outbox(t) {
		if strings.HasSuffix(m.Key, "/sent/payer") {
			assert.Equal(t, "new@example.se", m.To)
			assert.Contains(t, m.Body, "3 year(s): SEK 300.00")
		}
	}
	_, err = f.biller.Pay(ctx, registry.Operator, n, billing.SEK(300_00), day("2027-03-10"), "")
	require.NoError(t, err)
	assert.Equal(t, day("2030-03-17"), f.domain(t, "long.se").ExpiresAt.Truncate(24*time.Hour))
}
