package billing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// clock is a registry.Clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a ledger over a fresh store with the resellers acme and
// other.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	store  *sqlstore.Store
	clock  *clock
	ledger *billing.Ledger
}

// backends runs fn on a fresh SQLite file and a fresh PostgreSQL schema.
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) *sqlstore.Store { return sqltest.OpenSQLite(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t *testing.T) *sqlstore.Store { return sqltest.OpenPostgres(t) })
	})
}

func newFixture(t *testing.T, st *sqlstore.Store, cfg billing.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: t.Context(), store: st, clock: &clock{now: time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)}}
	var err error
	f.ledger, err = billing.NewLedger(st, f.clock, cfg)
	require.NoError(t, err)
	svc := registry.NewService(st, f.clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	for _, clID := range []string{"acme", "other"} {
		_, err := svc.CreateReseller(f.ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID + " AB", Password: "s3cret-pw"})
		require.NoError(t, err)
	}
	return f
}

func (f *fixture) topUp(clID string, m billing.Money) {
	f.t.Helper()
	_, err := f.ledger.TopUp(f.ctx, registry.Operator, clID, m, "OCR 1")
	require.NoError(f.t, err)
}

// charge runs one charge in its own transaction.
func (f *fixture) charge(c registry.Charge) error {
	return f.store.Tx(f.ctx, func(tx registry.Tx) error { return f.ledger.Charge(f.ctx, tx, c) })
}

func (f *fixture) refund(c registry.Charge, since time.Time) {
	f.t.Helper()
	require.NoError(f.t, f.store.Tx(f.ctx, func(tx registry.Tx) error { return f.ledger.Refund(f.ctx, tx, c, since) }))
}

func (f *fixture) balance(clID string) billing.Money {
	f.t.Helper()
	m, err := f.ledger.Balance(f.ctx, clID)
	require.NoError(f.t, err)
	return m
}

func (f *fixture) entries(clID string) []billing.Entry {
	f.t.Helper()
	es, err := f.ledger.Statement(f.ctx, clID, time.Time{}, time.Time{})
	require.NoError(f.t, err)
	return es
}

// messages reads and acknowledges clID's poll queue.
func (f *fixture) messages(clID string) []registry.PollMessage {
	f.t.Helper()
	var out []registry.PollMessage
	require.NoError(f.t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
		for {
			m, _, err := tx.FirstMessage(f.ctx, clID)
			if registry.IsKind(err, registry.KindNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, *m)
			if _, err := tx.AckMessage(f.ctx, clID, m.ID); err != nil {
				return err
			}
		}
	}))
	return out
}

func create(domain string, years int) registry.Charge {
	return registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate, Domain: domain, Years: years, ClTRID: "C-" + domain, SvTRID: "S-" + domain}
}

func TestCharge(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newFixture(t, open(t), billing.Config{})

		// Nothing paid in: refused, with the figures.
		err := f.charge(create("x.se", 1))
		require.Error(t, err)
		assert.Equal(t, registry.KindBilling, registry.ErrorKind(err))
		assert.EqualError(t, err, "balance SEK 0.00 does not cover create of x.se (SEK 100.00)")

		f.topUp("acme", billing.SEK(150_00))
		err = f.charge(create("x.se", 2))
		assert.EqualError(t, err, "balance SEK 150.00 does not cover create of x.se for 2 years (SEK 200.00)")
		assert.Len(t, f.entries("acme"), 1, "a refused charge writes nothing")
		assert.Equal(t, billing.SEK(150_00), f.balance("acme"))

		require.NoError(t, f.charge(create("x.se", 1)))
		assert.Equal(t, billing.SEK(50_00), f.balance("acme"))
		err = f.charge(create("y.se", 1))
		assert.EqualError(t, err, "balance SEK 50.00 does not cover create of y.se (SEK 100.00)")
		assert.Equal(t, billing.SEK(50_00), f.balance("acme"))

		es := f.entries("acme")
		require.Len(t, es, 2)
		c := es[1]
		assert.Equal(t, registry.LedgerCharge, c.Kind)
		assert.Equal(t, registry.ChargeCreate, c.Op)
		assert.Equal(t, "x.se", c.Domain)
		assert.Equal(t, 1, c.Years)
		assert.Equal(t, "SEK", c.Currency)
		assert.Equal(t, int64(-100_00), c.Amount)
		assert.Equal(t, int64(50_00), c.BalanceAfter)
		assert.Equal(t, "C-x.se", c.ClTRID)
		assert.Equal(t, "S-x.se", c.SvTRID)
		assert.True(t, c.At.Equal(f.clock.Now()), "At %v is the clock's time", c.At)

		// The caller's time is the charge's, and picks the price.
		at := f.clock.Now().Add(-time.Hour)
		f.topUp("acme", billing.SEK(500_00))
		require.NoError(t, f.charge(registry.Charge{ResellerClID: "acme", Op: registry.ChargeRestore, Domain: "old.se", At: at}))
		es = f.entries("acme")
		assert.True(t, es[len(es)-1].At.Equal(at))
		assert.Equal(t, int64(-500_00), es[len(es)-1].Amount)
		assert.Equal(t, billing.SEK(50_00), f.balance("acme"))

		// A charge joins the caller's transaction: rolled back with it.
		boom := errors.New("boom")
		f.topUp("acme", billing.SEK(100_00))
		err = f.store.Tx(f.ctx, func(tx registry.Tx) error {
			if err := f.ledger.Charge(f.ctx, tx, create("z.se", 1)); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Equal(t, billing.SEK(150_00), f.balance("acme"))

		// Mistakes of the caller are no billing failures.
		err = f.charge(registry.Charge{ResellerClID: registry.RegistryClID, Op: registry.ChargeCreate, Domain: "x.se"})
		assert.ErrorContains(t, err, "registrant-managed domains are billed, not charged")
		err = f.charge(registry.Charge{ResellerClID: "nobody", Op: registry.ChargeCreate, Domain: "x.se"})
		assert.Equal(t, registry.KindInternal, registry.ErrorKind(err), "%v", err)
		err = f.charge(registry.Charge{ResellerClID: "acme", Op: "launder", Domain: "x.se"})
		assert.Equal(t, registry.KindInternal, registry.ErrorKind(err), "%v", err)
	})
}

func TestChargeCurrency(t *testing.T) {
	prices, err := billing.NewPrices(billing.PriceConfig{TLDs: map[string][]billing.PriceChange{
		"dk": {{From: "2020-01-01", PriceSet: billing.PriceSet{Create: "DKK 75"}}},
	}})
	require.NoError(t, err)
	f := newFixture(t, sqltest.OpenSQLite(t), billing.Config{Prices: prices})
	f.topUp("acme", billing.SEK(1000_00))
	err = f.charge(create("x.dk", 1))
	assert.Equal(t, registry.KindBilling, registry.ErrorKind(err))
	assert.EqualError(t, err, "create of x.dk costs DKK 75.00, but your balance is kept in SEK and cannot pay in another currency")

	// A balance's first entry fixes its currency.
	f.topUp("other", billing.Money{Minor: 100_00, Currency: "DKK"})
	assert.Equal(t, billing.Money{Minor: 100_00, Currency: "DKK"}, f.balance("other"))
	dk := create("x.dk", 1)
	dk.ResellerClID = "other"
	require.NoError(t, f.charge(dk))
	assert.Equal(t, billing.Money{Minor: 25_00, Currency: "DKK"}, f.balance("other"))
	_, err = f.ledger.TopUp(f.ctx, registry.Operator, "other", billing.SEK(1), "r")
	assert.EqualError(t, err, `the balance of "other" is kept in DKK; give the amount in DKK, not SEK`)
}

func TestRefund(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newFixture(t, open(t), billing.Config{})
		f.topUp("acme", billing.SEK(1000_00))
		f.topUp("other", billing.SEK(1000_00))
		t0 := f.clock.Now()
		require.NoError(t, f.charge(create("x.se", 2)))
		renew := registry.Charge{ResellerClID: "acme", Op: registry.ChargeRenew, Domain: "x.se", Years: 1}
		require.NoError(t, f.charge(renew))
		f.clock.advance(time.Hour)
		require.NoError(t, f.charge(renew))
		assert.Equal(t, billing.SEK(600_00), f.balance("acme"))

		// A delete in the add grace period refunds the create.
		del := registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate, Domain: "x.se", ClTRID: "DEL-1", SvTRID: "SV-DEL-1"}
		f.refund(del, t0)
		assert.Equal(t, billing.SEK(800_00), f.balance("acme"))
		es := f.entries("acme")
		r := es[len(es)-1]
		assert.Equal(t, registry.LedgerRefund, r.Kind)
		assert.Equal(t, es[1].ID, r.RefundsEntryID, "names the create")
		assert.Equal(t, int64(200_00), r.Amount)
		assert.Equal(t, 2, r.Years)
		assert.Equal(t, "DEL-1", r.ClTRID)
		assert.Equal(t, "SV-DEL-1", r.SvTRID)

		// Again: nothing left to refund.
		f.refund(del, t0)
		assert.Equal(t, billing.SEK(800_00), f.balance("acme"))

		// Renewals from since on only.
		f.refund(registry.Charge{ResellerClID: "acme", Op: registry.ChargeRenew, Domain: "x.se"}, t0.Add(time.Minute))
		assert.Equal(t, billing.SEK(900_00), f.balance("acme"))
		// Another reseller's charges are not acme's to get back.
		f.refund(registry.Charge{ResellerClID: "other", Op: registry.ChargeRenew, Domain: "x.se"}, t0)
		assert.Equal(t, billing.SEK(1000_00), f.balance("other"))
		// Any reseller's: the remaining renewal.
		f.refund(registry.Charge{Op: registry.ChargeRenew, Domain: "x.se"}, t0)
		assert.Equal(t, billing.SEK(1000_00), f.balance("acme"))
		// Nothing charged at all.
		f.refund(registry.Charge{Op: registry.ChargeRestore, Domain: "never.se"}, time.Time{})
		assert.Len(t, f.entries("acme"), 7)
	})
}

func TestLowBalance(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newFixture(t, open(t), billing.Config{LowBalance: []billing.Money{billing.SEK(100_00), billing.SEK(1000_00), {Minor: 50_00, Currency: "EUR"}}})
		f.topUp("acme", billing.SEK(1200_00))
		var notices []registry.LowBalanceNotice
		step := func(c registry.Charge) []registry.PollMessage {
			t.Helper()
			require.NoError(t, f.charge(c))
			ms := f.messages("acme")
			for _, m := range ms {
				assert.Equal(t, registry.PollLowBalance, m.Kind)
				n, err := m.LowBalanceNotice()
				require.NoError(t, err)
				notices = append(notices, *n)
			}
			return ms
		}
		assert.Empty(t, step(create("a.se", 1)), "1100: above every threshold")
		ms := step(create("b.se", 1))
		require.Len(t, ms, 1, "1000: at the threshold")
		assert.Equal(t, "Low balance: your prepaid balance is SEK 1000.00, at or below the threshold of SEK 1000.00", ms[0].Msg)
		assert.Equal(t, registry.LowBalanceNotice{ResellerName: "acme AB", Currency: "SEK", Threshold: 1000_00, Balance: 1000_00}, notices[0])
		assert.Empty(t, step(create("c.se", 1)), "900: no new threshold")

		// Crossing both at once warns once, for the lower.
		f.topUp("acme", billing.SEK(300_00)) // 1200
		ms = step(create("d.se", 11))
		require.Len(t, ms, 1)
		assert.Equal(t, registry.LowBalanceNotice{ResellerName: "acme AB", Currency: "SEK", Threshold: 100_00, Balance: 100_00}, notices[1])
		// Refunds and top-ups warn of nothing; going under again does.
		f.refund(registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate, Domain: "a.se"}, time.Time{})
		assert.Empty(t, f.messages("acme"))
		ms = step(create("e.se", 1))
		require.Len(t, ms, 1, "from 200 to 100")
		assert.Empty(t, f.messages("other"))

		info, err := f.ledger.Info(f.ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, billing.BalanceInfo{Balance: billing.SEK(100_00), CreditLimit: billing.SEK(0),
			Available: billing.SEK(100_00), Threshold: billing.SEK(1000_00)}, *info)
	})
	_, err := billing.NewLedger(nil, registry.SystemClock{}, billing.Config{LowBalance: []billing.Money{billing.SEK(0)}})
	assert.ErrorContains(t, err, "want a positive amount")
	_, err = billing.NewLedger(nil, registry.SystemClock{}, billing.Config{LowBalance: []billing.Money{billing.SEK(1), billing.SEK(1)}})
	assert.ErrorContains(t, err, "given twice")
}

func TestOperatorEntries(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newFixture(t, open(t), billing.Config{})
		assert.Equal(t, billing.SEK(0), f.balance("acme"))
		info, err := f.ledger.Info(f.ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, billing.SEK(0), info.Threshold, "no thresholds configured")

		e, err := f.ledger.TopUp(f.ctx, registry.Operator, "acme", billing.SEK(500_00), "  OCR 4711 ")
		require.NoError(t, err)
		assert.Equal(t, registry.LedgerTopUp, e.Kind)
		assert.Equal(t, "OCR 4711", e.Reference)
		assert.Equal(t, int64(500_00), e.BalanceAfter)
		f.clock.advance(time.Hour)
		e, err = f.ledger.Adjust(f.ctx, registry.Operator, "acme", billing.SEK(-120_50), "double-booked payment")
		require.NoError(t, err)
		assert.Equal(t, registry.LedgerAdjustment, e.Kind)
		assert.Equal(t, int64(-120_50), e.Amount)
		assert.Equal(t, billing.SEK(379_50), f.balance("acme"))

		for _, c := range []struct {
			name string
			err  error
			kind registry.Kind
			want string
		}{
			{"zero top-up", topUpErr(f, "acme", billing.SEK(0), "r"), registry.KindInvalid, "a top-up must be a positive amount, not SEK 0.00"},
			{"negative top-up", topUpErr(f, "acme", billing.SEK(-1), "r"), registry.KindInvalid, "a top-up must be a positive amount"},
			{"no reference", topUpErr(f, "acme", billing.SEK(1), " "), registry.KindMissing, "a top-up needs the payment's reference"},
			{"unknown reseller", topUpErr(f, "nobody", billing.SEK(1), "r"), registry.KindNotFound, `reseller "nobody" not found`},
			{"the registry", topUpErr(f, registry.RegistryClID, billing.SEK(1), "r"), registry.KindInvalid, "the registry's own entry has no prepaid balance"},
			{"bad currency", topUpErr(f, "acme", billing.Money{Minor: 1, Currency: "kr"}, "r"), registry.KindInvalid, `"kr" is not a currency code`},
			{"overdrawing adjustment", adjustErr(f, "acme", billing.SEK(-379_51), "r"), registry.KindBilling,
				"balance SEK 379.50 cannot be lowered by SEK 379.51: a balance never goes below zero"},
			{"zero adjustment", adjustErr(f, "acme", billing.SEK(0), "r"), registry.KindInvalid, "an adjustment of zero changes nothing"},
			{"no reason", adjustErr(f, "acme", billing.SEK(1), ""), registry.KindMissing, "an adjustment needs a reason"},
		} {
			require.Error(t, c.err, c.name)
			assert.Equal(t, c.kind, registry.ErrorKind(c.err), "%s: %v", c.name, c.err)
			assert.ErrorContains(t, c.err, c.want, c.name)
		}
		_, err = f.ledger.Adjust(f.ctx, registry.Operator, "acme", billing.SEK(-379_50), "closing")
		require.NoError(t, err, "down to exactly zero")
		assert.Equal(t, billing.SEK(0), f.balance("acme"))

		// Each is in the reseller's history, by its actor.
		var hist []registry.HistoryEntry
		require.NoError(t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
			var err error
			hist, err = tx.History(f.ctx, registry.HistoryReseller, "acme")
			return err
		}))
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		assert.Equal(t, []string{"create", "topup", "adjust", "adjust"}, actions)
		assert.Equal(t, registry.ActorOperator, hist[1].Actor)
		assert.JSONEq(t, fmt.Sprintf(`{"entry":%d,"amount":"SEK 500.00","balance":"SEK 500.00","reference":"OCR 4711"}`,
			f.entries("acme")[0].ID), string(hist[1].State))
	})
}

func topUpErr(f *fixture, clID string, m billing.Money, ref string) error {
	_, err := f.ledger.TopUp(f.ctx, registry.Operator, clID, m, ref)
	return err
}

func adjustErr(f *fixture, clID string, m billing.Money, reason string) error {
	_, err := f.ledger.Adjust(f.ctx, registry.Operator, clID, m, reason)
	return err
}

func TestStatement(t *testing.T) {
	f := newFixture(t, sqltest.OpenSQLite(t), billing.Config{})
	t0 := f.clock.Now()
	f.topUp("acme", billing.SEK(1000_00))
	f.clock.advance(24 * time.Hour)
	require.NoError(t, f.charge(create("a.se", 1)))
	f.clock.advance(24 * time.Hour)
	require.NoError(t, f.charge(create("b.se", 1)))

	got, err := f.ledger.Statement(f.ctx, "acme", t0.Add(time.Hour), t0.Add(48*time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "a.se", got[0].Domain)
	got, err = f.ledger.Statement(f.ctx, "acme", t0.Add(time.Hour), time.Time{})
	require.NoError(t, err)
	assert.Len(t, got, 2)
	got, err = f.ledger.Statement(f.ctx, "other", time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = f.ledger.Statement(f.ctx, "acme", t0, t0)
	assert.Equal(t, registry.KindInvalid, registry.ErrorKind(err))
	_, err = f.ledger.Statement(f.ctx, "nobody", time.Time{}, time.Time{})
	assert.Equal(t, registry.KindNotFound, registry.ErrorKind(err))
	_, err = f.ledger.Balance(f.ctx, "nobody")
	assert.Equal(t, registry.KindNotFound, registry.ErrorKind(err))
}

// TestConcurrentLedger charges, refunds and tops up one balance from many
// goroutines: the balance must stay the sum of its entries, and every
// charge that went through must be there once.
func TestConcurrentLedger(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newFixture(t, open(t), billing.Config{LowBalance: []billing.Money{billing.SEK(300_00)}})
		f.topUp("acme", billing.SEK(500_00))
		const workers, each = 8, 12
		var (
			mu              sync.Mutex
			charged         = map[string]bool{}
			refused, topUps int
			wg              sync.WaitGroup
		)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					domain := fmt.Sprintf("w%d-%d.se", w, i)
					var err error
					switch i % 4 {
					case 3:
						_, err = f.ledger.TopUp(f.ctx, registry.Operator, "acme", billing.SEK(100_00), domain)
						if err == nil {
							mu.Lock()
							topUps++
							mu.Unlock()
						}
					default:
						err = f.charge(create(domain, 1))
						mu.Lock()
						if err == nil {
							charged[domain] = true
						} else if registry.IsKind(err, registry.KindBilling) {
							refused++
							err = nil
						}
						mu.Unlock()
					}
					if err != nil {
						t.Errorf("%s: %v", domain, err)
					}
				}
			})
		}
		wg.Wait()
		assert.NotZero(t, refused, "the money never ran out")

		var sum int64
		charges := 0
		for _, e := range f.entries("acme") {
			sum += e.Amount
			require.Equal(t, sum, e.BalanceAfter, "entry %d", e.ID)
			if e.Kind == registry.LedgerCharge {
				charges++
				assert.True(t, charged[e.Domain], "charge for %s made once, by a committed transaction", e.Domain)
				delete(charged, e.Domain)
			}
		}
		assert.Empty(t, charged, "committed charges missing from the ledger")
		assert.Equal(t, int64(500_00+topUps*100_00-charges*100_00), sum)
		assert.Equal(t, billing.SEK(sum), f.balance("acme"))
	})
}
