package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// ledgerTests are the tests of registry.LedgerTx.
var ledgerTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"LedgerRoundTrip", testLedgerRoundTrip},
	{"LedgerNotFound", testLedgerNotFound},
	{"LedgerRefundOnce", testLedgerRefundOnce},
	{"LedgerRollback", testLedgerRollback},
	{"LedgerDatabaseRefuses", testLedgerDatabaseRefuses},
	{"LedgerAppendOnly", testLedgerAppendOnly},
	{"LedgerConcurrent", testLedgerConcurrent},
}

// post applies e to clID's balance the one way the contract allows: lock,
// append, set. It fills in Currency (SEK) and BalanceAfter.
func post(ctx context.Context, tx registry.Tx, e *registry.LedgerEntry) error {
	b, err := tx.LockBalance(ctx, e.ResellerClID)
	if err != nil {
		return err
	}
	if e.Currency == "" {
		e.Currency = "SEK"
	}
	e.BalanceAfter = b.Minor + e.Amount
	if err := tx.AppendLedgerEntry(ctx, e); err != nil {
		return err
	}
	return tx.SetBalance(ctx, e.ResellerClID, e.Currency, e.BalanceAfter)
}

func checkEntry(t *testing.T, got, want registry.LedgerEntry) {
	t.Helper()
	g, w := got, want
	g.At, w.At = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("ledger entry = %+v, want %+v", got, want)
	}
	checkTime(t, "entry At", got.At, want.At)
}

func balanceOf(t *testing.T, s registry.Store, clID string) *registry.Balance {
	t.Helper()
	var b *registry.Balance
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		b, err = tx.Balance(ctx, clID)
		return err
	})
	return b
}

func entriesOf(t *testing.T, s registry.Store, clID string, from, to time.Time) []registry.LedgerEntry {
	t.Helper()
	var es []registry.LedgerEntry
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		es, err = tx.LedgerEntries(ctx, clID, from, to)
		return err
	})
	return es
}

func testLedgerRoundTrip(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	create(t, s, "other")
	t0 := µsTime(2026, 4, 1, 9, 0, 0, 123456)

	// No balance yet: zero, no currency, nothing stored.
	if b := balanceOf(t, s, "acme"); b.Minor != 0 || b.Currency != "" || b.ResellerClID != "acme" {
		t.Errorf("Balance before any entry = %+v, want zero without currency", b)
	}
	if es := entriesOf(t, s, "acme", time.Time{}, time.Time{}); len(es) != 0 {
		t.Errorf("LedgerEntries before any entry = %+v", es)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		b, err := tx.LockBalance(ctx, "acme")
		if err != nil {
			return err
		}
		if b.Minor != 0 || b.Currency != "" || b.ResellerClID != "acme" || b.UpdatedAt.IsZero() {
			t.Errorf("LockBalance of a new balance = %+v, want zero without currency", b)
		}
		// Locking again in the same transaction finds the same row.
		_, err = tx.LockBalance(ctx, "acme")
		return err
	})

	want := []registry.LedgerEntry{
		{ResellerClID: "acme", At: t0, Kind: registry.LedgerTopUp, Amount: 100000, Reference: "OCR 4711"},
		{ResellerClID: "acme", At: t0.Add(time.Hour), Kind: registry.LedgerCharge, Op: registry.ChargeCreate,
			Domain: "example.se", Years: 2, Amount: -20000, ClTRID: "ABC-1", SvTRID: "eppd-1"},
		{ResellerClID: "acme", At: t0.Add(2 * time.Hour), Kind: registry.LedgerCharge, Op: registry.ChargeRestore,
			Domain: "old.se", Amount: -50000},
		{ResellerClID: "acme", At: t0.Add(3 * time.Hour), Kind: registry.LedgerAdjustment, Amount: -5000,
			Reference: "duplicate top-up"},
		{ResellerClID: "other", At: t0, Kind: registry.LedgerTopUp, Currency: "DKK", Amount: 700, Reference: "x"},
	}
	for i := range want {
		tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &want[i]) })
		if want[i].ID == 0 {
			t.Fatalf("AppendLedgerEntry left ID zero: %+v", want[i])
		}
	}
	// A refund, its At left to the store.
	refund := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerRefund, Op: registry.ChargeCreate,
		Domain: "example.se", Years: 2, Amount: 20000, RefundsEntryID: want[1].ID, ClTRID: "ABC-2", SvTRID: "eppd-2"}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &refund) })
	if refund.At.IsZero() {
		t.Error("AppendLedgerEntry left a zero At")
	}
	want = append(want, refund)

	if got := []int64{want[0].BalanceAfter, want[1].BalanceAfter, want[2].BalanceAfter, want[3].BalanceAfter, refund.BalanceAfter}; fmt.Sprint(got) != "[100000 80000 30000 25000 45000]" {
		t.Fatalf("balances after = %v", got)
	}
	b := balanceOf(t, s, "acme")
	if b.Minor != 45000 || b.Currency != "SEK" {
		t.Errorf("Balance = %+v, want SEK 45000", b)
	}
	if b := balanceOf(t, s, "other"); b.Minor != 700 || b.Currency != "DKK" {
		t.Errorf("Balance of other = %+v, want DKK 700", b)
	}

	all := entriesOf(t, s, "acme", time.Time{}, time.Time{})
	acme := []registry.LedgerEntry{want[0], want[1], want[2], want[3], refund}
	if len(all) != len(acme) {
		t.Fatalf("LedgerEntries = %d entries, want %d", len(all), len(acme))
	}
	for i := range acme {
		checkEntry(t, all[i], acme[i])
	}
	// From is inclusive, to exclusive.
	if got := entriesOf(t, s, "acme", t0.Add(time.Hour), t0.Add(3*time.Hour)); len(got) != 2 ||
		got[0].ID != want[1].ID || got[1].ID != want[2].ID {
		t.Errorf("LedgerEntries [t0+1h, t0+3h) = %+v, want entries %d and %d", got, want[1].ID, want[2].ID)
	}
	if got := entriesOf(t, s, "acme", t0.Add(time.Microsecond), time.Time{}); len(got) != 4 {
		t.Errorf("LedgerEntries from just after the first = %d entries, want 4", len(got))
	}
	if got := entriesOf(t, s, "acme", time.Time{}, t0.Add(time.Microsecond)); len(got) != 1 || got[0].ID != want[0].ID {
		t.Errorf("LedgerEntries to just after the first = %+v, want only it", got)
	}
}

func testLedgerNotFound(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	// Each refusal leaves the transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.LockBalance(ctx, "nobody")
		wantKind(t, err, registry.KindNotFound, "LockBalance of an unknown reseller")
		_, err = tx.Balance(ctx, "nobody")
		wantKind(t, err, registry.KindNotFound, "Balance of an unknown reseller")
		_, err = tx.LockBalance(ctx, "ACME")
		wantKind(t, err, registry.KindNotFound, "LockBalance of another case")
		es, err := tx.LedgerEntries(ctx, "nobody", time.Time{}, time.Time{})
		if err != nil || len(es) != 0 {
			t.Errorf("LedgerEntries of an unknown reseller = %v, %v; want none", es, err)
		}
		return post(ctx, tx, &registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp, Amount: 1, Reference: "r"})
	})
	if b := balanceOf(t, s, "acme"); b.Minor != 1 {
		t.Errorf("balance = %+v, want 1", b)
	}
}

func testLedgerRefundOnce(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	create(t, s, "other")
	t0 := µsTime(2026, 5, 1, 12, 0, 0, 0)
	charge := func(clID, domain string, op registry.ChargeOp, at time.Time) registry.LedgerEntry {
		e := registry.LedgerEntry{ResellerClID: clID, At: at, Kind: registry.LedgerCharge, Op: op, Domain: domain, Years: 1, Amount: -10000}
		tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &e) })
		return e
	}
	for _, clID := range []string{"acme", "other"} {
		e := registry.LedgerEntry{ResellerClID: clID, Kind: registry.LedgerTopUp, Amount: 1000000, Reference: "r"}
		tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &e) })
	}
	early := charge("acme", "a.se", registry.ChargeCreate, t0.Add(-time.Second))
	c1 := charge("acme", "a.se", registry.ChargeCreate, t0)
	c2 := charge("acme", "a.se", registry.ChargeRenew, t0.Add(time.Minute))
	c3 := charge("other", "a.se", registry.ChargeCreate, t0.Add(2*time.Minute))
	charge("acme", "b.se", registry.ChargeCreate, t0)

	ids := func(clID, domain string, op registry.ChargeOp, since time.Time) string {
		var es []registry.LedgerEntry
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			es, err = tx.ChargesToRefund(ctx, clID, domain, op, since)
			return err
		})
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		clID, domain string
		op           registry.ChargeOp
		since        time.Time
		want         []int64
	}{
		{"acme", "a.se", registry.ChargeCreate, t0, []int64{c1.ID}},
		{"acme", "a.se", registry.ChargeCreate, t0.Add(-time.Hour), []int64{early.ID, c1.ID}},
		{"acme", "a.se", registry.ChargeCreate, t0.Add(time.Microsecond), []int64{}},
		{"", "a.se", registry.ChargeCreate, t0, []int64{c1.ID, c3.ID}},
		{"acme", "a.se", registry.ChargeRenew, t0, []int64{c2.ID}},
		{"acme", "c.se", registry.ChargeCreate, t0, []int64{}},
	} {
		if got := ids(c.clID, c.domain, c.op, c.since); got != fmt.Sprint(c.want) {
			t.Errorf("ChargesToRefund(%q, %q, %s, %v) = %s, want %v", c.clID, c.domain, c.op, c.since, got, c.want)
		}
	}

	refund := func(e registry.LedgerEntry) registry.LedgerEntry {
		return registry.LedgerEntry{ResellerClID: e.ResellerClID, Kind: registry.LedgerRefund, Op: e.Op, Domain: e.Domain,
			Amount: -e.Amount, RefundsEntryID: e.ID}
	}
	r1 := refund(c1)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &r1) })
	if got := ids("", "a.se", registry.ChargeCreate, t0); got != fmt.Sprint([]int64{c3.ID}) {
		t.Errorf("after the refund ChargesToRefund = %s, want [%d]", got, c3.ID)
	}
	before := balanceOf(t, s, "acme")
	// The second refund of c1 is refused, and the transaction goes on.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		again := refund(c1)
		wantKind(t, post(ctx, tx, &again), registry.KindExists, "second refund of one charge")
		r2 := refund(c2)
		return post(ctx, tx, &r2)
	})
	if after := balanceOf(t, s, "acme"); after.Minor != before.Minor+10000 {
		t.Errorf("balance after a refused and a good refund = %d, want %d", after.Minor, before.Minor+10000)
	}
}

func testLedgerRollback(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	boom := errors.New("boom")
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		e := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp, Amount: 500, Reference: "r"}
		if err := post(ctx, tx, &e); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want boom", err)
	}
	if b := balanceOf(t, s, "acme"); b.Minor != 0 {
		t.Errorf("after rollback balance = %+v", b)
	}
	if es := entriesOf(t, s, "acme", time.Time{}, time.Time{}); len(es) != 0 {
		t.Errorf("after rollback entries = %+v", es)
	}
}

// testLedgerDatabaseRefuses writes, through the store, what breaks the
// ledger's rules: the database must refuse each.
func testLedgerDatabaseRefuses(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	create(t, s, "other")
	topup := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp, Amount: 10000, Reference: "r"}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &topup) })
	charge := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerCharge, Op: registry.ChargeCreate, Domain: "x.se", Amount: -100}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &charge) })

	entry := func(e registry.LedgerEntry) func(ctx context.Context, tx registry.Tx) error {
		return func(ctx context.Context, tx registry.Tx) error {
			if _, err := tx.LockBalance(ctx, e.ResellerClID); err != nil {
				return err
			}
			return tx.AppendLedgerEntry(ctx, &e)
		}
	}
	for _, c := range []struct {
		what string
		fn   func(ctx context.Context, tx registry.Tx) error
	}{
		{"an entry whose balance after does not follow", entry(registry.LedgerEntry{ResellerClID: "acme",
			Kind: registry.LedgerTopUp, Currency: "SEK", Amount: 100, BalanceAfter: 100, Reference: "r"})},
		{"an entry that overdraws", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerCharge,
			Op: registry.ChargeCreate, Domain: "x.se", Currency: "SEK", Amount: -10000, BalanceAfter: -100})},
		{"an entry in another currency", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp,
			Currency: "EUR", Amount: 100, BalanceAfter: 10000, Reference: "r"})},
		{"a positive charge", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerCharge,
			Op: registry.ChargeCreate, Domain: "x.se", Currency: "SEK", Amount: 100, BalanceAfter: 10000})},
		{"a charge without a domain", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerCharge,
			Op: registry.ChargeCreate, Currency: "SEK", Amount: -100, BalanceAfter: 9800})},
		{"a refund of a top-up", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerRefund,
			Op: registry.ChargeCreate, Domain: "x.se", Currency: "SEK", Amount: 10000, BalanceAfter: 19900, RefundsEntryID: topup.ID})},
		{"a refund of another amount", entry(registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerRefund,
			Op: registry.ChargeCreate, Domain: "x.se", Currency: "SEK", Amount: 200, BalanceAfter: 10100, RefundsEntryID: charge.ID})},
		{"a refund to another reseller", entry(registry.LedgerEntry{ResellerClID: "other", Kind: registry.LedgerRefund,
			Op: registry.ChargeCreate, Domain: "x.se", Currency: "SEK", Amount: 100, BalanceAfter: 100, RefundsEntryID: charge.ID})},
		{"a balance without an entry", func(ctx context.Context, tx registry.Tx) error {
			if _, err := tx.LockBalance(ctx, "acme"); err != nil {
				return err
			}
			return tx.SetBalance(ctx, "acme", "SEK", 1000000)
		}},
		{"a new balance other than zero", func(ctx context.Context, tx registry.Tx) error {
			if _, err := tx.LockBalance(ctx, "other"); err != nil {
				return err
			}
			return tx.SetBalance(ctx, "other", "SEK", 100)
		}},
		{"a balance in another currency than its last entry", func(ctx context.Context, tx registry.Tx) error {
			if _, err := tx.LockBalance(ctx, "acme"); err != nil {
				return err
			}
			return tx.SetBalance(ctx, "acme", "EUR", 9900)
		}},
	} {
		if err := txErr(t, s, c.fn); err == nil {
			t.Errorf("the store accepted %s", c.what)
		}
	}
	if b := balanceOf(t, s, "acme"); b.Minor != 9900 || b.Currency != "SEK" {
		t.Errorf("after refused writes balance = %+v, want SEK 9900", b)
	}
	if es := entriesOf(t, s, "acme", time.Time{}, time.Time{}); len(es) != 2 {
		t.Errorf("after refused writes %d entries, want 2", len(es))
	}
}

// testLedgerAppendOnly changes the ledger behind the store's back: the
// database must refuse.
func testLedgerAppendOnly(t *testing.T, s registry.Store) {
	raw, ok := s.(RawDB)
	if !ok {
		t.Skipf("%T gives no raw database access", s)
	}
	create(t, s, "acme")
	create(t, s, "other")
	e := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp, Amount: 10000, Reference: "r"}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &e) })
	db := raw.DB()
	ctx := t.Context()
	for _, q := range []string{
		fmt.Sprintf(`UPDATE ledger_entries SET amount = 99999999 WHERE id = %d`, e.ID),
		`UPDATE ledger_entries SET reference = 'forged'`,
		fmt.Sprintf(`DELETE FROM ledger_entries WHERE id = %d`, e.ID),
		`DELETE FROM ledger_entries`,
		`UPDATE balances SET minor = minor + 100000`,
		`UPDATE balances SET minor = -1`,
		`DELETE FROM balances`,
		`INSERT INTO balances (reseller_clid, currency, minor, updated_at) VALUES ('other', 'SEK', 100, '2026-01-01T00:00:00.000000Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("database accepted %q", q)
		}
	}
	if b := balanceOf(t, s, "acme"); b.Minor != 10000 {
		t.Errorf("after refused changes balance = %+v, want 10000", b)
	}
	es := entriesOf(t, s, "acme", time.Time{}, time.Time{})
	if len(es) != 1 {
		t.Fatalf("after refused changes %d entries, want 1", len(es))
	}
	checkEntry(t, es[0], e)
}

// testLedgerConcurrent charges and tops up one balance from many
// goroutines at once. However the transactions interleave, the balance must
// be the sum of the entries, every committed charge and top-up must be
// there once, and no charge may take the balance below zero.
func testLedgerConcurrent(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	const (
		workers   = 12
		perWorker = 15
		price     = 7000
		topUp     = 5000
		start     = 20000
	)
	first := registry.LedgerEntry{ResellerClID: "acme", Kind: registry.LedgerTopUp, Amount: start, Reference: "opening"}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return post(ctx, tx, &first) })

	errInsufficient := errors.New("insufficient")
	var (
		mu                         sync.Mutex
		charged, toppedUp, refused int
		chargeRefs, unexpectedErrs = map[string]bool{}, []error{}
		startLine                  = make(chan struct{})
		wg                         sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			<-startLine
			rnd := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range perWorker {
				isCharge := rnd.IntN(3) > 0 // two charges to one top-up: the money runs out
				ref := fmt.Sprintf("w%d-%d", w, i)
				err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
					b, err := tx.LockBalance(ctx, "acme")
					if err != nil {
						return err
					}
					// Widen the window in which an unlocked read would race.
					time.Sleep(time.Duration(rnd.IntN(300)) * time.Microsecond)
					e := registry.LedgerEntry{ResellerClID: "acme", Currency: "SEK", ClTRID: ref}
					if isCharge {
						if b.Minor < price {
							return errInsufficient
						}
						e.Kind, e.Op, e.Domain, e.Amount = registry.LedgerCharge, registry.ChargeCreate, ref+".se", -price
					} else {
						e.Kind, e.Amount, e.Reference = registry.LedgerTopUp, topUp, ref
					}
					e.BalanceAfter = b.Minor + e.Amount
					if err := tx.AppendLedgerEntry(ctx, &e); err != nil {
						return err
					}
					return tx.SetBalance(ctx, "acme", "SEK", e.BalanceAfter)
				})
				mu.Lock()
				switch {
				case err == nil && isCharge:
					charged++
					chargeRefs[ref] = true
				case err == nil:
					toppedUp++
				case errors.Is(err, errInsufficient):
					refused++
				default:
					unexpectedErrs = append(unexpectedErrs, err)
				}
				mu.Unlock()
			}
		})
	}
	close(startLine)
	wg.Wait()
	for _, err := range unexpectedErrs {
		t.Errorf("transaction failed: %v", err)
	}
	if refused == 0 || charged == 0 {
		t.Errorf("%d charges went through and %d were refused: the test did not exercise running out of money", charged, refused)
	}

	es := entriesOf(t, s, "acme", time.Time{}, time.Time{})
	var sum int64
	var charges, topUps int
	for i, e := range es {
		sum += e.Amount
		if e.BalanceAfter != sum {
			t.Fatalf("entry %d (ID %d): balance after %d, but the entries so far sum to %d", i, e.ID, e.BalanceAfter, sum)
		}
		if sum < 0 {
			t.Fatalf("entry %d (ID %d) overdrew the balance to %d", i, e.ID, sum)
		}
		switch e.Kind {
		case registry.LedgerCharge:
			charges++
			if !chargeRefs[e.ClTRID] {
				t.Errorf("entry %d is a charge no committed transaction made (or a second copy): %+v", i, e)
			}
			delete(chargeRefs, e.ClTRID)
		case registry.LedgerTopUp:
			topUps++
		}
	}
	if charges != charged || topUps != toppedUp+1 {
		t.Errorf("ledger has %d charges and %d top-ups; committed were %d and %d (+1 opening)", charges, topUps, charged, toppedUp)
	}
	want := int64(start + toppedUp*topUp - charged*price)
	if b := balanceOf(t, s, "acme"); b.Minor != sum || b.Minor != want {
		t.Errorf("balance = %d; entries sum to %d; committed work gives %d", b.Minor, sum, want)
	}
}
