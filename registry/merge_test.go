package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// mergeT0 is when the merge tests start, on the registry's clock.
var mergeT0 = time.Date(2027, 2, 3, 10, 0, 0, 0, time.UTC)

// mergeFixture is three accounts of one person (a, b and c) and one of
// someone else (x), each holding domains, contacts and messages; b's
// domain b.se is on an unpaid bill, and c has an unused consent token.
type mergeFixture struct {
	svc        *registry.Service
	clock      *domainClock
	a, b, c, x *registry.Account
	bill       *registry.Bill
	// token is c's consent token for c.se.
	token string
}

func mergeSetup(t *testing.T, store registry.Store) *mergeFixture {
	t.Helper()
	ctx := context.Background()
	svc, clock := domainService(t, store, mergeT0)
	f := &mergeFixture{svc: svc, clock: clock}
	same := *modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")
	// The same person, the number written another way: merges compare
	// identities normalised.
	sameAgain := *modelIdentity(t, registry.IdentitySEPersonal, "191212121212")
	other, err := registry.ParseIdentity(registry.IdentityForeign, "NO-1234567", "NO")
	require.NoError(t, err)
	open := func(name string, id registry.Identity) *registry.Account {
		acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{
			Name: "Holder " + name, Email: "holder-" + name + "@example.se", Identity: id,
		})
		require.NoError(t, err)
		return acc
	}
	f.a, f.b, f.c, f.x = open("a", same), open("b", sameAgain), open("c", same), open("x", other)
	create := func(name string, acc *registry.Account) *registry.Domain {
		d, err := svc.CreateDomain(ctx, registry.Operator, registry.NewDomain{
			Name: name, Registrant: "holder", AuthInfo: "secret-1", Account: acc.Number,
		})
		require.NoError(t, err)
		return d
	}
	create("a.se", f.a)
	b := create("b.se", f.b)
	b2 := create("b2.se", f.b)
	create("c.se", f.c)
	create("x.se", f.x)
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		// An admin contact of b's, linked to b2.se.
		if err := tx.CreateContact(ctx, &registry.Contact{
			ID: "b-admin", AccountNumber: f.b.Number, SponsorClID: registry.RegistryClID, CreatorClID: registry.RegistryClID,
			Email: "admin@example.se", Postal: []registry.PostalInfo{{Type: "int", Name: "Admin B", City: "Lund", CC: "SE"}},
			AuthInfo: "admin-pw", CreatedAt: mergeT0,
		}, "EPPD"); err != nil {
			return err
		}
		for i, acc := range []*registry.Account{f.b, f.c, f.c, f.x} {
			if _, err := tx.AddAccountMessage(ctx, &registry.AccountMessage{
				AccountNumber: acc.Number, CreatedAt: mergeT0, Subject: fmt.Sprintf("message %d", i), Body: "text",
			}); err != nil {
				return err
			}
		}
		f.bill = &registry.Bill{
			Key: "B/2028-02/" + b.ROID, ScheduleKey: b.Name, Expiry: b.ExpiresAt, AccountNumber: f.b.Number,
			Registrant: b.Registrant, Payer: b.Registrant, NoticeTo: "holder@example.se", Currency: "SEK",
			Total: 12500, State: registry.BillNoticed, NextStepAt: mergeT0.AddDate(0, 0, 5), CreatedAt: mergeT0,
			Lines: []registry.BillLine{{Domain: b.Name, DomainROID: b.ROID, Expiry: b.ExpiresAt, Years: 1, Amount: 12500}},
		}
		_, err := tx.CreateBill(ctx, f.bill)
		return err
	})
	_, err = svc.UpdateDomain(ctx, registry.Operator, b2.Name, registry.DomainChange{
		AddContacts: []registry.DomainContact{{Type: "admin", ID: "b-admin"}},
	})
	require.NoError(t, err)
	f.token, _, err = svc.IssueConsentToken(ctx, registry.Operator, "c.se", "", 0)
	require.NoError(t, err)
	return f
}

// mergeOwned is what an account owns, as the store finds it.
type mergeOwned struct {
	Account  registry.Account
	Domains  []string
	Contacts []string
	Messages []string
	History  []string
}

// mergeSnapshot is everything a merge can change, for the accounts given:
// the accounts, what each owns, the bills and the history of every domain
// and contact, and the outbox. Two snapshots are equal when a merge
// changed nothing.
func mergeSnapshot(t *testing.T, svc *registry.Service, accs ...*registry.Account) string {
	t.Helper()
	snap := map[string]any{}
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		for _, acc := range accs {
			var o mergeOwned
			a, err := tx.Account(ctx, acc.Number)
			if err != nil {
				return err
			}
			o.Account = *a
			if o.Domains, err = tx.AccountDomains(ctx, acc.Number); err != nil {
				return err
			}
			if o.Contacts, err = tx.AccountContacts(ctx, acc.Number); err != nil {
				return err
			}
			msgs, err := tx.AccountMessages(ctx, acc.Number)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				o.Messages = append(o.Messages, fmt.Sprintf("%d %s", m.ID, m.Subject))
			}
			hs, err := tx.History(ctx, registry.HistoryAccount, acc.Number)
			if err != nil {
				return err
			}
			for _, h := range hs {
				o.History = append(o.History, h.Action)
			}
			snap["account "+acc.Number] = o
			for _, n := range o.Domains {
				d, err := tx.Domain(ctx, n)
				if err != nil {
					return err
				}
				hs, err := tx.History(ctx, registry.ObjectDomain, d.ROID)
				if err != nil {
					return err
				}
				bills, err := tx.Bills(ctx, registry.BillFilter{DomainROID: d.ROID})
				if err != nil {
					return err
				}
				snap["domain "+n] = map[string]any{"domain": d, "history": len(hs), "bills": bills}
			}
			for _, id := range o.Contacts {
				c, err := tx.Contact(ctx, id)
				if err != nil {
					return err
				}
				hs, err := tx.History(ctx, registry.ObjectContact, c.ROID)
				if err != nil {
					return err
				}
				snap["contact "+id] = map[string]any{"contact": c, "history": len(hs)}
			}
		}
		out, err := tx.OutboxMessages(ctx, registry.OutboxFilter{})
		if err != nil {
			return err
		}
		snap["outbox"] = len(out)
		return nil
	})
	b, err := json.MarshalIndent(snap, "", " ")
	require.NoError(t, err)
	return string(b)
}

// mergeOwnedBy reads what the account owns.
func mergeOwnedBy(t *testing.T, svc *registry.Service, number string) (domains, contacts []string, msgs []registry.AccountMessage) {
	t.Helper()
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		var err error
		if domains, err = tx.AccountDomains(ctx, number); err != nil {
			return err
		}
		if contacts, err = tx.AccountContacts(ctx, number); err != nil {
			return err
		}
		msgs, err = tx.AccountMessages(ctx, number)
		return err
	})
	return domains, contacts, msgs
}

// TestMergeAccounts merges three accounts of one person and accounts for
// every object afterwards.
func TestMergeAccounts(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := mergeSetup(t, store)
		svc := f.svc

		var allDomains, allContacts, movedContacts []string
		msgsBefore := 0
		for _, acc := range []*registry.Account{f.a, f.b, f.c} {
			ds, cs, ms := mergeOwnedBy(t, svc, acc.Number)
			allDomains, allContacts = append(allDomains, ds...), append(allContacts, cs...)
			if acc != f.a {
				movedContacts = append(movedContacts, cs...)
			}
			msgsBefore += len(ms)
		}
		slices.Sort(movedContacts)
		slices.Sort(allDomains)
		slices.Sort(allContacts)
		require.Equal(t, []string{"a.se", "b.se", "b2.se", "c.se"}, allDomains)
		require.Len(t, allContacts, 5, "the registrant copied into a contact of its account at each create, and the admin of b")
		historyBefore := map[string]int{}
		for _, n := range allDomains {
			historyBefore[n] = len(modelHistory(t, svc, n))
		}

		f.clock.Advance(time.Hour)
		res, err := svc.MergeAccounts(ctx, registry.Operator, " "+f.a.Number, []string{f.b.Number, f.c.Number})
		require.NoError(t, err)
		assert.Equal(t, []string{"b.se", "b2.se", "c.se"}, res.Domains)
		assert.Equal(t, movedContacts, res.Contacts)
		assert.Equal(t, 1, res.Bills)
		assert.Equal(t, 3, res.Messages)
		assert.Equal(t, 1, res.ConsentTokens)

		// Everything is the target's now; the counts are those before.
		ds, cs, ms := mergeOwnedBy(t, svc, f.a.Number)
		assert.Equal(t, allDomains, ds)
		assert.Equal(t, allContacts, cs, "contact IDs stay as they were")
		require.Len(t, ms, msgsBefore+1, "the sources' messages, and one telling of the merge")
		last := ms[len(ms)-1]
		assert.Contains(t, last.Subject, "merged into account "+f.a.Number)
		assert.Contains(t, last.Body, "b2.se")
		for _, src := range []*registry.Account{f.b, f.c} {
			ds, cs, ms := mergeOwnedBy(t, svc, src.Number)
			assert.Empty(t, ds)
			assert.Empty(t, cs)
			assert.Empty(t, ms)
			acc, err := svc.Account(ctx, src.Number)
			require.NoError(t, err)
			assert.Equal(t, registry.AccountMerged, acc.Status, "tombstone")
			assert.Equal(t, f.a.Number, acc.MergedInto, "the tombstone says where the account went")
			hs, err := svc.AccountHistory(ctx, src.Number)
			require.NoError(t, err)
			assert.Equal(t, "merged", hs[len(hs)-1].Action)
		}
		// x is someone else's and untouched.
		ds, _, ms = mergeOwnedBy(t, svc, f.x.Number)
		assert.Equal(t, []string{"x.se"}, ds)
		assert.Len(t, ms, 1)

		for _, n := range allDomains {
			d := domainGet(t, svc, n)
			assert.Equal(t, f.a.Number, d.AccountNumber, n)
			assert.Equal(t, registry.RegistryClID, d.SponsorClID, n)
			hs := modelHistory(t, svc, n)
			if strings.HasPrefix(n, "a.") {
				assert.Len(t, hs, historyBefore[n], "a's own domain did not move")
				continue
			}
			require.Len(t, hs, historyBefore[n]+1, "%s: its history kept, and the merge added", n)
			assert.Equal(t, "account-merge", hs[len(hs)-1].Action)
			st := modelState(t, hs[len(hs)-1])
			assert.Equal(t, f.a.Number, st["into"])
		}
		hs, err := svc.AccountHistory(ctx, f.a.Number)
		require.NoError(t, err)
		assert.Equal(t, "merge", hs[len(hs)-1].Action)

		// The open bill went with its domain, still unpaid: the registrant
		// of b.se still cannot change.
		bROID := domainGet(t, svc, "b.se").ROID
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			bill, err := tx.UnpaidBillOfDomain(ctx, bROID)
			require.NoError(t, err)
			assert.Equal(t, f.a.Number, bill.AccountNumber)
			assert.Equal(t, f.bill.Number, bill.Number)
			// The holder is told by e-mail too.
			out, err := tx.OutboxMessages(ctx, registry.OutboxFilter{})
			require.NoError(t, err)
			var to []string
			for _, m := range out {
				if strings.HasPrefix(m.Key, "account-merge/") {
					to = append(to, m.To)
				}
			}
			assert.Equal(t, []string{f.a.Email}, to)
			return nil
		})

		// The consent token c had went with c.se: it still works.
		d, err := svc.ChangeDomainModel(ctx, domainActor("acme", "adopt-1"), "c.se",
			registry.ModelChange{To: registry.ModelReseller, ConsentToken: f.token})
		require.NoError(t, err)
		assert.Equal(t, "acme", d.SponsorClID)
		// A tombstone can never be used again.
		_, err = svc.CreateDomain(ctx, registry.Operator, registry.NewDomain{Name: "new.se", Registrant: "holder", AuthInfo: "secret-1", Account: f.b.Number})
		modelKind(t, err, registry.KindStatusProhibits, "merged")
		_, err = svc.MergeAccounts(ctx, registry.Operator, f.a.Number, []string{f.b.Number})
		modelKind(t, err, registry.KindStatusProhibits, "merged into account "+f.a.Number)
		err = svc.CloseAccount(ctx, registry.Operator, f.c.Number)
		modelKind(t, err, registry.KindStatusProhibits, "merged")
		_, err = svc.MergeAccounts(ctx, registry.Operator, f.b.Number, []string{f.x.Number})
		modelKind(t, err, registry.KindStatusProhibits, "merged")
	})
}

// TestMergeAccountsRefused: every refusal names the problem and changes
// nothing.
func TestMergeAccountsRefused(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := mergeSetup(t, store)
		svc := f.svc
		// A fourth account of the same person, closed; a fifth merged
		// away.
		id := f.a.Identity
		closed, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{Name: "Closed", Email: "c@example.se", Identity: id})
		require.NoError(t, err)
		require.NoError(t, svc.CloseAccount(ctx, registry.Operator, closed.Number))
		gone, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{Name: "Gone", Email: "g@example.se", Identity: id})
		require.NoError(t, err)
		_, err = svc.MergeAccounts(ctx, registry.Operator, f.c.Number, []string{gone.Number})
		require.NoError(t, err)

		all := []*registry.Account{f.a, f.b, f.c, f.x, closed, gone}
		before := mergeSnapshot(t, svc, all...)
		for _, tc := range []struct {
			name    string
			target  string
			sources []string
			kind    registry.Kind
			reason  string
		}{
			{"identity differs", f.a.Number, []string{f.b.Number, f.x.Number}, registry.KindPolicy, "only accounts of one identity number merge"},
			{"target is a source", f.a.Number, []string{f.b.Number, f.a.Number}, registry.KindInvalid, "cannot be merged into itself"},
			{"source twice", f.a.Number, []string{f.b.Number, f.c.Number, f.b.Number}, registry.KindInvalid, "named twice"},
			{"source closed", f.a.Number, []string{f.b.Number, closed.Number}, registry.KindStatusProhibits, "is closed"},
			{"target closed", closed.Number, []string{f.b.Number}, registry.KindStatusProhibits, "is closed"},
			{"source merged already", f.a.Number, []string{gone.Number}, registry.KindStatusProhibits, "merged into account " + f.c.Number + " already"},
			{"target merged already", gone.Number, []string{f.a.Number}, registry.KindStatusProhibits, "merged into account " + f.c.Number + " already"},
			{"no such account", f.a.Number, []string{f.b.Number, "199999"}, registry.KindNotFound, "199999 does not exist"},
			{"no source", f.a.Number, nil, registry.KindMissing, "at least one account"},
			{"no target", " ", []string{f.b.Number}, registry.KindMissing, "account to merge into"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.MergeAccounts(ctx, registry.Operator, tc.target, tc.sources)
				modelKind(t, err, tc.kind, tc.reason)
				assert.Equal(t, before, mergeSnapshot(t, svc, all...), "nothing changed")
			})
		}
	})
}

// errMergeCrash is the failure mergeFailStore injects.
var errMergeCrash = errors.New("injected failure")

// mergeFailStore is a store whose transactions fail at their failAt-th
// write (counted over the whole store), as a crash half-way through would
// end them: the database rolls back what the transaction did.
type mergeFailStore struct {
	registry.Store
	writes, failAt int
}

func (s *mergeFailStore) Tx(ctx context.Context, fn func(tx registry.Tx) error) error {
	return s.Store.Tx(ctx, func(tx registry.Tx) error { return fn(&mergeFailTx{Tx: tx, s: s}) })
}

type mergeFailTx struct {
	registry.Tx
	s *mergeFailStore
}

func (t *mergeFailTx) write() error {
	t.s.writes++
	if t.s.writes == t.s.failAt {
		return errMergeCrash
	}
	return nil
}

func (t *mergeFailTx) UpdateDomain(ctx context.Context, d *registry.Domain) error {
	if err := t.Tx.UpdateDomain(ctx, d); err != nil {
		return err
	}
	return t.write()
}

func (t *mergeFailTx) UpdateContact(ctx context.Context, c *registry.Contact) error {
	if err := t.Tx.UpdateContact(ctx, c); err != nil {
		return err
	}
	return t.write()
}

func (t *mergeFailTx) UpdateAccount(ctx context.Context, a *registry.Account) error {
	if err := t.Tx.UpdateAccount(ctx, a); err != nil {
		return err
	}
	return t.write()
}

func (t *mergeFailTx) AppendHistory(ctx context.Context, e *registry.HistoryEntry) error {
	if err := t.Tx.AppendHistory(ctx, e); err != nil {
		return err
	}
	return t.write()
}

func (t *mergeFailTx) MoveAccountBills(ctx context.Context, from, to string) (int, error) {
	n, err := t.Tx.MoveAccountBills(ctx, from, to)
	if err != nil {
		return n, err
	}
	return n, t.write()
}

func (t *mergeFailTx) MoveAccountMessages(ctx context.Context, from, to string) (int, error) {
	n, err := t.Tx.MoveAccountMessages(ctx, from, to)
	if err != nil {
		return n, err
	}
	return n, t.write()
}

func (t *mergeFailTx) MoveConsentTokens(ctx context.Context, from, to string) (int, error) {
	n, err := t.Tx.MoveConsentTokens(ctx, from, to)
	if err != nil {
		return n, err
	}
	return n, t.write()
}

func (t *mergeFailTx) AddAccountMessage(ctx context.Context, m *registry.AccountMessage) (bool, error) {
	created, err := t.Tx.AddAccountMessage(ctx, m)
	if err != nil {
		return created, err
	}
	return created, t.write()
}

func (t *mergeFailTx) EnqueueOutbox(ctx context.Context, m *registry.OutboxMessage) (bool, error) {
	created, err := t.Tx.EnqueueOutbox(ctx, m)
	if err != nil {
		return created, err
	}
	return created, t.write()
}

// TestMergeAccountsAllOrNothing fails the merge at each of its writes in
// turn, after the write reached the database: every failure leaves the
// state before, and the merge done at last leaves the state after.
func TestMergeAccountsAllOrNothing(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		f := mergeSetup(t, store)
		fail := &mergeFailStore{Store: store}
		svc := registry.NewService(fail, f.clock, registry.Config{})
		accs := []*registry.Account{f.a, f.b, f.c, f.x}
		before := mergeSnapshot(t, f.svc, accs...)
		failures := 0
		for k := 1; ; k++ {
			fail.writes, fail.failAt = 0, k
			_, err := svc.MergeAccounts(ctx, registry.Operator, f.a.Number, []string{f.b.Number, f.c.Number})
			if err == nil {
				break
			}
			require.ErrorIs(t, err, errMergeCrash, "write %d", k)
			failures++
			require.Equal(t, before, mergeSnapshot(t, f.svc, accs...), "failed at write %d of the merge", k)
			require.Less(t, k, 200, "the merge never got through")
		}
		// Domains, contacts, bills, messages, tokens, two tombstones,
		// the target, history and the telling: dozens of writes, each
		// one a point of failure tried.
		assert.Greater(t, failures, 15)
		ds, _, _ := mergeOwnedBy(t, f.svc, f.a.Number)
		assert.Equal(t, []string{"a.se", "b.se", "b2.se", "c.se"}, ds)
		assert.NotEqual(t, before, mergeSnapshot(t, f.svc, accs...))
	})
}

// TestMergeRacesCreate: resellers creating registrant-managed domains for
// a holder (the registry picks the holder's oldest active account) while
// that account is merged into another never leave a domain with the
// tombstone: a create that waited for the merge picks the target.
func TestMergeRacesCreate(t *testing.T) {
	ctx := context.Background()
	store := sqltest.OpenPostgres(t)
	svc, _ := domainService(t, store, mergeT0)
	id := *modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")
	for round := range 5 {
		var accs [2]*registry.Account
		for i := range accs {
			acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{Name: "Holder", Email: "h@example.se", Identity: id})
			require.NoError(t, err)
			accs[i] = acc
		}
		// The oldest active account of the identity, the one creates
		// pick, is the previous round's target; merge it into the new
		// ones.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 6 {
			wg.Go(func() {
				nd := domainNew(fmt.Sprintf("race-%d-%d.se", round, i))
				nd.Model, nd.Holder = registry.ModelRegistrant, &id
				_, err := svc.CreateDomain(ctx, domainActor("acme", "race"), nd)
				errs <- err
			})
		}
		wg.Go(func() {
			var all []registry.Account
			domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
				var err error
				all, err = tx.AccountsByIdentity(ctx, id.Key())
				return err
			})
			var active []string
			for _, a := range all {
				if a.Status == registry.AccountActive && a.Number != accs[1].Number {
					active = append(active, a.Number)
				}
			}
			_, err := svc.MergeAccounts(ctx, registry.Operator, accs[1].Number, active)
			errs <- err
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		all, err := tx.AccountsByIdentity(ctx, id.Key())
		require.NoError(t, err)
		for _, a := range all {
			ds, err := tx.AccountDomains(ctx, a.Number)
			require.NoError(t, err)
			if a.Status != registry.AccountActive {
				assert.Empty(t, ds, "account %s is %s but holds domains", a.Number, a.Status)
			}
		}
		return nil
	})
}
