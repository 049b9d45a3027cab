package storetest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// accountTests are the tests of registry.AccountTx, the reseller's default
// model and the registry's own reseller entry.
var accountTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"AccountRoundTrip", testAccountRoundTrip},
	{"AccountHandleTaken", testAccountHandleTaken},
	{"AccountNotFound", testAccountNotFound},
	{"AccountsByIdentity", testAccountsByIdentity},
	{"AccountMerged", testAccountMerged},
	{"NextContactSeq", testNextContactSeq},
	{"ConcurrentNextContactSeq", testConcurrentNextContactSeq},
	{"ConsentTokens", testConsentTokens},
	{"ConsentTokenRefusals", testConsentTokenRefusals},
	{"ConcurrentUseConsentToken", testConcurrentUseConsentToken},
	{"ResellerDefaultModel", testResellerDefaultModel},
	{"RegistryReseller", testRegistryReseller},
}

// identity parses an identity number the tests know to be valid.
func identity(t *testing.T, kind registry.IdentityKind, number, country string) registry.Identity {
	t.Helper()
	id, err := registry.ParseIdentity(kind, number, country)
	if err != nil {
		t.Fatalf("ParseIdentity(%s, %q, %q): %v", kind, number, country, err)
	}
	return id
}

// newAccount returns an active account with the handle, every field set.
func newAccount(t *testing.T, handle string) *registry.Account {
	return &registry.Account{
		Handle:    handle,
		Name:      "Anna Andersson " + handle,
		Email:     handle + "@example.se",
		Identity:  identity(t, registry.IdentitySEPersonal, "19121212-1212", ""),
		Status:    registry.AccountActive,
		CreatedAt: µsTime(2026, 3, 4, 5, 6, 7, 123456),
		UpdatedAt: µsTime(2026, 3, 4, 5, 6, 7, 123456),
	}
}

func createAccount(t *testing.T, s registry.Store, a *registry.Account) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateAccount(ctx, a) })
}

func readAccount(t *testing.T, s registry.Store, number string) *registry.Account {
	t.Helper()
	var a *registry.Account
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		a, err = tx.Account(ctx, number)
		return err
	})
	return a
}

var accountNumber = regexp.MustCompile(`^[1-9][0-9]{5,}$`)

func testAccountRoundTrip(t *testing.T, s registry.Store) {
	var accs []*registry.Account
	for i, id := range []registry.Identity{
		identity(t, registry.IdentitySEPersonal, "121212-1212", ""),
		identity(t, registry.IdentitySEOrg, "5560360793", ""),
		identity(t, registry.IdentityDKCVR, "DK 10403782", ""),
		identity(t, registry.IdentityForeign, "x-123.456 7", "de"),
	} {
		a := newAccount(t, "abcde"+string(rune('a'+i)))
		a.Identity = id
		a.Name = "Åsa Öberg & Co <" + id.String() + ">"
		a.CreatedAt = a.CreatedAt.Add(time.Duration(i)*time.Hour + 789) // nanoseconds beyond what is kept
		a.UpdatedAt = a.CreatedAt.Add(time.Minute)
		createAccount(t, s, a)
		checkNormalised(t, "created account", a)
		if a.ID == 0 {
			t.Fatal("CreateAccount left ID zero")
		}
		if !accountNumber.MatchString(a.Number) {
			t.Fatalf("CreateAccount set Number %q, want a number of at least six digits", a.Number)
		}
		if len(accs) > 0 {
			prev := accs[len(accs)-1]
			p, _ := strconv.ParseInt(prev.Number, 10, 64)
			n, _ := strconv.ParseInt(a.Number, 10, 64)
			if n <= p {
				t.Errorf("account numbers %s then %s: want increasing", prev.Number, a.Number)
			}
		}
		accs = append(accs, a)
	}

	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, want := range accs {
			got, err := tx.Account(ctx, want.Number)
			if err != nil {
				return err
			}
			checkObject(t, "Account "+want.Number, got, want)
			if got.Identity.Key() != want.Identity.Key() {
				t.Errorf("Identity key %q, want %q", got.Identity.Key(), want.Identity.Key())
			}
			got, err = tx.LockAccount(ctx, want.Number)
			if err != nil {
				return err
			}
			checkObject(t, "LockAccount "+want.Number, got, want)
		}
		all, err := tx.Accounts(ctx)
		if err != nil {
			return err
		}
		if len(all) != len(accs) {
			t.Fatalf("Accounts = %d accounts, want %d", len(all), len(accs))
		}
		for i := range all {
			checkObject(t, "Accounts["+strconv.Itoa(i)+"]", &all[i], accs[i])
		}
		return nil
	})

	// Every mutable field changes; ID, Number, Handle and CreatedAt stay.
	a := accs[0]
	u := *a
	u.Name = "Anna Berg"
	u.Email = "anna@berg.example"
	u.Identity = identity(t, registry.IdentitySEOrg, "556036-0793", "")
	u.Status = registry.AccountClosed
	u.UpdatedAt = µsTime(2026, 9, 9, 9, 9, 9, 999999)
	u.Handle = "zzzzzz"
	u.CreatedAt = a.CreatedAt.Add(-time.Hour)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateAccount(ctx, &u) })
	checkNormalised(t, "updated account", &u)
	u.Handle, u.CreatedAt = a.Handle, a.CreatedAt
	checkObject(t, "updated account", readAccount(t, s, a.Number), &u)

	// A zero UpdatedAt is the store's time.
	u.Status = registry.AccountActive
	u.UpdatedAt = time.Time{}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateAccount(ctx, &u) })
	if u.UpdatedAt.IsZero() {
		t.Error("UpdateAccount with a zero UpdatedAt left it zero")
	}
	checkObject(t, "account updated at the store's time", readAccount(t, s, a.Number), &u)

	// Left empty, times are the store's, and the status active.
	bare := &registry.Account{Handle: "bbbbbb", Name: "B", Email: "b@example.se",
		Identity: identity(t, registry.IdentityDKCVR, "10403782", "")}
	createAccount(t, s, bare)
	if bare.CreatedAt.IsZero() || !bare.UpdatedAt.Equal(bare.CreatedAt) || bare.Status != registry.AccountActive {
		t.Errorf("bare account created as %+v; want times set and equal, status active", *bare)
	}
	checkObject(t, "bare account", readAccount(t, s, bare.Number), bare)
}

func testAccountHandleTaken(t *testing.T, s registry.Store) {
	first := newAccount(t, "qwerty")
	createAccount(t, s, first)
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateAccount(ctx, newAccount(t, "qwerty"))
	})
	wantReason(t, err, registry.KindExists, "second account with handle qwerty", "qwerty")

	// The refusal leaves the transaction usable, and numbers no account.
	second := newAccount(t, "asdfgh")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.CreateAccount(ctx, newAccount(t, "qwerty"))
		wantKind(t, err, registry.KindExists, "account with a taken handle in a transaction")
		return tx.CreateAccount(ctx, second)
	})
	if second.Number == first.Number {
		t.Fatalf("two accounts numbered %s", first.Number)
	}
	checkObject(t, "account created after a refusal", readAccount(t, s, second.Number), second)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		all, err := tx.Accounts(ctx)
		if len(all) != 2 {
			t.Errorf("Accounts = %d accounts, want 2", len(all))
		}
		return err
	})
}

func testAccountNotFound(t *testing.T, s registry.Store) {
	a := newAccount(t, "exists")
	createAccount(t, s, a)
	ctx := t.Context()
	const missing = "999999"
	for _, c := range []struct {
		what, key string
		fn        func(tx registry.Tx) error
	}{
		{"Account", missing, func(tx registry.Tx) error { _, err := tx.Account(ctx, missing); return err }},
		{"LockAccount", missing, func(tx registry.Tx) error { _, err := tx.LockAccount(ctx, missing); return err }},
		{"Account by handle", a.Handle, func(tx registry.Tx) error { _, err := tx.Account(ctx, a.Handle); return err }},
		{"UpdateAccount", missing, func(tx registry.Tx) error {
			u := *a
			u.ID, u.Number = a.ID+1000, missing
			return tx.UpdateAccount(ctx, &u)
		}},
		{"NextContactSeq", missing, func(tx registry.Tx) error { _, err := tx.NextContactSeq(ctx, missing); return err }},
	} {
		err := s.Tx(ctx, c.fn)
		wantReason(t, err, registry.KindNotFound, c.what, c.key)
	}

	// Empty lists are not errors.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.AccountsByIdentity(ctx, "se-personal:000000000000")
		if err != nil || len(got) != 0 {
			return fmt.Errorf("AccountsByIdentity of nobody = %v, %v", got, err)
		}
		return nil
	})
}

func testAccountsByIdentity(t *testing.T, s registry.Store) {
	// One person's number, written two ways, and an organisation number
	// of the same digits' kind but another key.
	a := newAccount(t, "aaaaaa")
	a.Identity = identity(t, registry.IdentitySEPersonal, "191212121212", "")
	b := newAccount(t, "bbbbbb")
	b.Identity = identity(t, registry.IdentitySEPersonal, "121212+1212", "")
	other := newAccount(t, "cccccc")
	other.Identity = identity(t, registry.IdentitySEOrg, "556036-0793", "")
	c := newAccount(t, "dddddd")
	c.Identity = identity(t, registry.IdentitySEPersonal, "19121212-1212", "")
	c.Status = registry.AccountClosed
	for _, acc := range []*registry.Account{a, other, b, c} {
		createAccount(t, s, acc)
	}
	key := a.Identity.Key()
	var got []registry.Account
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		got, err = tx.AccountsByIdentity(ctx, key)
		return err
	})
	var numbers []string
	for _, g := range got {
		numbers = append(numbers, g.Number)
	}
	if want := []string{a.Number, b.Number, c.Number}; !slices.Equal(numbers, want) {
		t.Fatalf("AccountsByIdentity(%q) = %v, want %v (every state, by number)", key, numbers, want)
	}
	checkObject(t, "AccountsByIdentity[2]", &got[2], c)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.AccountsByIdentity(ctx, other.Identity.Key())
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Number != other.Number {
			t.Errorf("AccountsByIdentity of the organisation = %+v, want only %s", got, other.Number)
		}
		return nil
	})

	// A changed identity is found under its new key only.
	other.Identity = a.Identity
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateAccount(ctx, other) })
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.AccountsByIdentity(ctx, key)
		if len(got) != 4 {
			t.Errorf("after the change AccountsByIdentity = %d accounts, want 4", len(got))
		}
		return err
	})
}

func testAccountMerged(t *testing.T, s registry.Store) {
	target := newAccount(t, "target")
	source := newAccount(t, "source")
	createAccount(t, s, target)
	createAccount(t, s, source)
	source.Status, source.MergedInto = registry.AccountMerged, target.Number
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateAccount(ctx, source) })
	checkObject(t, "merged account", readAccount(t, s, source.Number), source)

	// The account merged into must exist; the refusal leaves the
	// transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		u := *target
		u.Status, u.MergedInto = registry.AccountMerged, "999999"
		wantReason(t, tx.UpdateAccount(ctx, &u), registry.KindNotFound, "merge into a missing account", "999999")
		_, err := tx.Account(ctx, target.Number)
		return err
	})
	checkObject(t, "account after a refused merge", readAccount(t, s, target.Number), target)
}

func testNextContactSeq(t *testing.T, s registry.Store) {
	a := newAccount(t, "seqone")
	b := newAccount(t, "seqtwo")
	createAccount(t, s, a)
	createAccount(t, s, b)
	next := func(number string) int {
		t.Helper()
		var n int
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			n, err = tx.NextContactSeq(ctx, number)
			return err
		})
		return n
	}
	for want := 1; want <= 3; want++ {
		if got := next(a.Number); got != want {
			t.Errorf("NextContactSeq(%s) = %d, want %d", a.Number, got, want)
		}
	}
	if got := next(b.Number); got != 1 {
		t.Errorf("another account's first NextContactSeq = %d, want 1", got)
	}
	// Within one transaction too.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for want := 4; want <= 5; want++ {
			got, err := tx.NextContactSeq(ctx, a.Number)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("NextContactSeq in one transaction = %d, want %d", got, want)
			}
		}
		return nil
	})
	// Counting is no change to the account.
	checkObject(t, "account after counting", readAccount(t, s, a.Number), a)
}

func testConcurrentNextContactSeq(t *testing.T, s registry.Store) {
	a := newAccount(t, "concur")
	createAccount(t, s, a)
	const n = 8
	start := make(chan struct{})
	got := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				seq, err := tx.NextContactSeq(ctx, a.Number)
				if err != nil {
					return err
				}
				// Widen the window in which two could read the same count.
				time.Sleep(time.Millisecond)
				got[i] = seq
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	slices.Sort(got)
	for i, seq := range got {
		if seq != i+1 {
			t.Fatalf("concurrent NextContactSeq gave %v, want 1 to %d once each", got, n)
		}
	}
}

// consentFixture creates an account and the reseller "acme".
func consentFixture(t *testing.T, s registry.Store) *registry.Account {
	t.Helper()
	create(t, s, "acme")
	a := newAccount(t, "holder")
	createAccount(t, s, a)
	return a
}

func newConsentToken(hash, number, reseller string) *registry.ConsentToken {
	return &registry.ConsentToken{
		Hash:          hash,
		Domain:        "example.se",
		AccountNumber: number,
		ResellerClID:  reseller,
		IssuedBy:      registry.ActorOperator,
		IssuedAt:      µsTime(2026, 5, 1, 12, 0, 0, 1),
		ExpiresAt:     µsTime(2026, 5, 8, 12, 0, 0, 1),
	}
}

func lockToken(t *testing.T, s registry.Store, hash string) *registry.ConsentToken {
	t.Helper()
	var c *registry.ConsentToken
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		c, err = tx.LockConsentToken(ctx, hash)
		return err
	})
	return c
}

func testConsentTokens(t *testing.T, s registry.Store) {
	a := consentFixture(t, s)
	forAcme := newConsentToken(fingerprint(1), a.Number, "acme")
	forAcme.IssuedAt = forAcme.IssuedAt.Add(789) // nanoseconds beyond what is kept
	forAny := newConsentToken(fingerprint(2), a.Number, "")
	forAny.Domain = "exämple.se"
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, c := range []*registry.ConsentToken{forAcme, forAny} {
			if err := tx.CreateConsentToken(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if forAcme.ID == 0 || forAny.ID == 0 || forAcme.ID == forAny.ID {
		t.Fatalf("CreateConsentToken set IDs %d and %d", forAcme.ID, forAny.ID)
	}
	checkNormalised(t, "created consent token", forAcme)
	checkObject(t, "consent token for acme", lockToken(t, s, forAcme.Hash), forAcme)
	checkObject(t, "consent token for any reseller", lockToken(t, s, forAny.Hash), forAny)

	// Used once; a second use is refused and changes nothing.
	forAcme.UsedAt = µsTime(2026, 5, 2, 8, 0, 0, 42)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.LockConsentToken(ctx, forAcme.Hash)
		if err != nil {
			return err
		}
		got.UsedAt = forAcme.UsedAt
		return tx.UseConsentToken(ctx, got)
	})
	checkObject(t, "used consent token", lockToken(t, s, forAcme.Hash), forAcme)
	again := *forAcme
	again.UsedAt = forAcme.UsedAt.Add(time.Hour)
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UseConsentToken(ctx, &again) })
	wantKind(t, err, registry.KindStatusProhibits, "second use of a consent token")
	checkObject(t, "consent token after a refused second use", lockToken(t, s, forAcme.Hash), forAcme)

	// A zero UsedAt is the store's time; the other token is untouched by
	// all this.
	use := *forAny
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UseConsentToken(ctx, &use) })
	if use.UsedAt.IsZero() {
		t.Error("UseConsentToken with a zero UsedAt left it zero")
	}
	if got := lockToken(t, s, forAny.Hash); !got.UsedAt.Equal(use.UsedAt) {
		t.Errorf("UsedAt = %v, want the store's time %v", got.UsedAt, use.UsedAt)
	}
}

func testConsentTokenRefusals(t *testing.T, s registry.Store) {
	a := consentFixture(t, s)
	first := newConsentToken(fingerprint(1), a.Number, "")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateConsentToken(ctx, first) })
	ctx := t.Context()
	for _, c := range []struct {
		what string
		kind registry.Kind
		fn   func(tx registry.Tx) error
	}{
		{"hash taken", registry.KindExists, func(tx registry.Tx) error {
			return tx.CreateConsentToken(ctx, newConsentToken(fingerprint(1), a.Number, ""))
		}},
		{"unknown account", registry.KindNotFound, func(tx registry.Tx) error {
			return tx.CreateConsentToken(ctx, newConsentToken(fingerprint(2), "999999", ""))
		}},
		{"unknown reseller", registry.KindNotFound, func(tx registry.Tx) error {
			return tx.CreateConsentToken(ctx, newConsentToken(fingerprint(3), a.Number, "nobody"))
		}},
		{"LockConsentToken of an unknown hash", registry.KindNotFound, func(tx registry.Tx) error {
			_, err := tx.LockConsentToken(ctx, fingerprint(4))
			return err
		}},
		{"UseConsentToken of an unknown ID", registry.KindNotFound, func(tx registry.Tx) error {
			c := *first
			c.ID += 1000
			return tx.UseConsentToken(ctx, &c)
		}},
	} {
		// Refused alone, and inside a transaction that goes on to use
		// the token: the refusal leaves it usable.
		wantKind(t, s.Tx(ctx, c.fn), c.kind, c.what)
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			wantKind(t, c.fn(tx), c.kind, c.what+" in a transaction")
			_, err := tx.LockConsentToken(ctx, first.Hash)
			return err
		})
	}
	err := s.Tx(ctx, func(tx registry.Tx) error {
		return tx.CreateConsentToken(ctx, newConsentToken(fingerprint(3), a.Number, "nobody"))
	})
	wantReason(t, err, registry.KindNotFound, "token for an unknown reseller", "nobody")
	err = s.Tx(ctx, func(tx registry.Tx) error {
		return tx.CreateConsentToken(ctx, newConsentToken(fingerprint(2), "999999", ""))
	})
	wantReason(t, err, registry.KindNotFound, "token for an unknown account", "999999")
}

func testConcurrentUseConsentToken(t *testing.T, s registry.Store) {
	a := consentFixture(t, s)
	c := newConsentToken(fingerprint(1), a.Number, "")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateConsentToken(ctx, c) })
	const n = 8
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				got, err := tx.LockConsentToken(ctx, c.Hash)
				if err != nil {
					return err
				}
				if !got.UsedAt.IsZero() {
					return registry.Errorf(registry.KindStatusProhibits, "seen used under the lock")
				}
				// Widen the window in which an unlocked read would race.
				time.Sleep(time.Millisecond)
				got.UsedAt = µsTime(2026, 5, 2, 0, 0, 0, i)
				return tx.UseConsentToken(ctx, got)
			})
		})
	}
	close(start)
	wg.Wait()
	used := 0
	for i, err := range errs {
		switch {
		case err == nil:
			used++
		case !registry.IsKind(err, registry.KindStatusProhibits):
			t.Errorf("goroutine %d: %v error %v, want success or status prohibits", i, registry.ErrorKind(err), err)
		}
	}
	if used != 1 {
		t.Errorf("the token was used %d times, want exactly once", used)
	}
}

func testResellerDefaultModel(t *testing.T, s registry.Store) {
	r := newReseller("acme")
	r.DefaultModel = registry.ModelRegistrant
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateReseller(ctx, r) })
	read := func() registry.Model {
		t.Helper()
		var m registry.Model
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			got, err := tx.Reseller(ctx, "acme")
			if err != nil {
				return err
			}
			m = got.DefaultModel
			all, err := tx.Resellers(ctx)
			if err != nil {
				return err
			}
			if len(all) != 1 || all[0].DefaultModel != m {
				t.Errorf("Resellers = %+v, want acme with default model %q", all, m)
			}
			return nil
		})
		return m
	}
	if m := read(); m != registry.ModelRegistrant {
		t.Errorf("DefaultModel = %q, want %q", m, registry.ModelRegistrant)
	}
	for _, m := range []registry.Model{registry.ModelReseller, ""} {
		r.DefaultModel = m
		tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateReseller(ctx, r) })
		if got := read(); got != m {
			t.Errorf("after update DefaultModel = %q, want %q", got, m)
		}
	}
}

func testRegistryReseller(t *testing.T, s registry.Store) {
	var r *registry.Reseller
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		if r, err = tx.Reseller(ctx, registry.RegistryClID); err != nil {
			return err
		}
		certs, err := tx.ResellerCerts(ctx, r.ID)
		if len(certs) != 0 {
			t.Errorf("the registry's entry has certificates: %+v", certs)
		}
		return err
	})
	if r.Status != registry.ResellerSuspended {
		t.Errorf("the registry's entry is %s, want suspended", r.Status)
	}
	if registry.CheckPassword(r.PasswordHash, "") || registry.CheckPassword(r.PasswordHash, r.PasswordHash) {
		t.Errorf("the registry's entry has a usable password hash %q", r.PasswordHash)
	}
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateReseller(ctx, newReseller(registry.RegistryClID))
	})
	wantKind(t, err, registry.KindExists, "CreateReseller of the registry's client identifier")

	// Not a reseller to list.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		all, err := tx.Resellers(ctx)
		if len(all) != 0 {
			t.Errorf("Resellers lists %+v, want none", all)
		}
		return err
	})

	// It sponsors contacts and domains.
	c := newContact("abcdef0702-00001", registry.RegistryClID)
	c.AccountNumber = "100001"
	createContact(t, s, c)
	d := newDomain("registrant.se", registry.RegistryClID)
	d.Registrant = c.ID
	d.Model, d.AccountNumber = registry.ModelRegistrant, "100001"
	createDomain(t, s, d)
	got := readDomain(t, s, d.Name)
	if got.SponsorClID != registry.RegistryClID || got.Model != registry.ModelRegistrant || got.AccountNumber != "100001" {
		t.Errorf("domain sponsored by the registry read back as %+v", *got)
	}
}
