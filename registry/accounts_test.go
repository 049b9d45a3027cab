package registry

// The account service, its in-transaction helpers included, over memStore:
// an in-memory Store with just the operations accounts and consent tokens
// use. (This package's own tests cannot import registry/sqlstore, which
// imports it; the SQL stores are held to the same contract by
// registry/storetest, and the command line tests run the service on them.)

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memState is what memStore keeps.
type memState struct {
	accounts  []Account
	tokens    []ConsentToken
	seqs      map[string]int
	contacts  map[string]Contact
	domains   map[string]Domain
	resellers map[string]Reseller
	history   []HistoryEntry
}

func (m memState) clone() memState {
	m.accounts = slices.Clone(m.accounts)
	m.tokens = slices.Clone(m.tokens)
	m.seqs = maps.Clone(m.seqs)
	m.contacts = maps.Clone(m.contacts)
	m.domains = maps.Clone(m.domains)
	m.resellers = maps.Clone(m.resellers)
	m.history = slices.Clone(m.history)
	return m
}

// memStore runs one transaction at a time and rolls back by restoring a
// copy of its state.
type memStore struct {
	mu sync.Mutex
	st memState
	// takenHandles makes that many CreateAccount calls fail as if the
	// handle were taken.
	takenHandles int
}

func newMemStore() *memStore {
	return &memStore{st: memState{
		seqs: map[string]int{}, contacts: map[string]Contact{}, domains: map[string]Domain{},
		resellers: map[string]Reseller{
			RegistryClID: {ClID: RegistryClID, Status: ResellerSuspended},
			"acme":       {ClID: "acme", Status: ResellerActive},
			"other":      {ClID: "other", Status: ResellerActive},
		},
	}}
}

func (s *memStore) Tx(_ context.Context, fn func(tx Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := s.st.clone()
	if err := fn(&memTx{s: s}); err != nil {
		s.st = saved
		return err
	}
	return nil
}

func (s *memStore) Close() error { return nil }

// memTx implements the operations the account service uses; any other
// panics through the nil embedded Tx.
type memTx struct {
	Tx
	s *memStore
}

func (t *memTx) CreateAccount(_ context.Context, a *Account) error {
	if t.s.takenHandles > 0 {
		t.s.takenHandles--
		return Errorf(KindExists, "account handle %q is taken", a.Handle)
	}
	for _, o := range t.s.st.accounts {
		if o.Handle == a.Handle {
			return Errorf(KindExists, "account handle %q is taken", a.Handle)
		}
	}
	a.ID = int64(len(t.s.st.accounts) + 1)
	a.Number = fmt.Sprint(100000 + a.ID)
	t.s.st.accounts = append(t.s.st.accounts, *a)
	return nil
}

func (t *memTx) Account(_ context.Context, number string) (*Account, error) {
	for _, a := range t.s.st.accounts {
		if a.Number == number {
			return &a, nil
		}
	}
	return nil, Errorf(KindNotFound, "account %q not found", number)
}

func (t *memTx) LockAccount(ctx context.Context, number string) (*Account, error) {
	return t.Account(ctx, number)
}

func (t *memTx) AccountsByIdentity(_ context.Context, key string) ([]Account, error) {
	var out []Account
	for _, a := range t.s.st.accounts {
		if a.Identity.Key() == key {
			out = append(out, a)
		}
	}
	return out, nil
}

func (t *memTx) Accounts(context.Context) ([]Account, error) {
	return slices.Clone(t.s.st.accounts), nil
}

func (t *memTx) UpdateAccount(_ context.Context, a *Account) error {
	for i, o := range t.s.st.accounts {
		if o.ID == a.ID {
			a.Number, a.Handle, a.CreatedAt = o.Number, o.Handle, o.CreatedAt
			t.s.st.accounts[i] = *a
			return nil
		}
	}
	return Errorf(KindNotFound, "account %q not found", a.Number)
}

func (t *memTx) NextContactSeq(ctx context.Context, number string) (int, error) {
	if _, err := t.Account(ctx, number); err != nil {
		return 0, err
	}
	t.s.st.seqs[number]++
	return t.s.st.seqs[number], nil
}

func (t *memTx) CreateConsentToken(_ context.Context, c *ConsentToken) error {
	for _, o := range t.s.st.tokens {
		if o.Hash == c.Hash {
			return Errorf(KindExists, "a consent token with that hash already exists")
		}
	}
	c.ID = int64(len(t.s.st.tokens) + 1)
	t.s.st.tokens = append(t.s.st.tokens, *c)
	return nil
}

func (t *memTx) LockConsentToken(_ context.Context, hash string) (*ConsentToken, error) {
	for _, c := range t.s.st.tokens {
		if c.Hash == hash {
			return &c, nil
		}
	}
	return nil, Errorf(KindNotFound, "consent token not found")
}

func (t *memTx) UseConsentToken(_ context.Context, c *ConsentToken) error {
	for i, o := range t.s.st.tokens {
		if o.ID == c.ID {
			if !o.UsedAt.IsZero() {
				return Errorf(KindStatusProhibits, "consent token %d was already used", c.ID)
			}
			t.s.st.tokens[i].UsedAt = c.UsedAt
			return nil
		}
	}
	return Errorf(KindNotFound, "consent token %d not found", c.ID)
}

func (t *memTx) Contact(_ context.Context, id string) (*Contact, error) {
	if c, ok := t.s.st.contacts[id]; ok {
		return &c, nil
	}
	return nil, Errorf(KindNotFound, "contact %q does not exist", id)
}

func (t *memTx) Domain(_ context.Context, name string) (*Domain, error) {
	if d, ok := t.s.st.domains[name]; ok {
		return &d, nil
	}
	return nil, Errorf(KindNotFound, "domain %q does not exist", name)
}

func (t *memTx) Reseller(_ context.Context, clID string) (*Reseller, error) {
	if r, ok := t.s.st.resellers[clID]; ok {
		return &r, nil
	}
	return nil, Errorf(KindNotFound, "reseller %q not found", clID)
}

func (t *memTx) AppendHistory(_ context.Context, e *HistoryEntry) error {
	e.ID = int64(len(t.s.st.history) + 1)
	t.s.st.history = append(t.s.st.history, *e)
	return nil
}

func (t *memTx) History(_ context.Context, objectType, key string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	for _, e := range t.s.st.history {
		if e.ObjectType == objectType && e.ObjectKey == key {
			out = append(out, e)
		}
	}
	return out, nil
}

// accountClock is a clock that moves only when told to.
type accountClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *accountClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *accountClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// accountFixture is a service over a fresh memStore, its clock at
// 2026-07-02 22:30 UTC (already 3 July east of Greenwich).
func accountFixture(t *testing.T) (*Service, *memStore, *accountClock) {
	t.Helper()
	st := newMemStore()
	clock := &accountClock{now: time.Date(2026, 7, 3, 1, 30, 0, 0, time.FixedZone("UTC+3", 3*3600))}
	return NewService(st, clock, Config{}), st, clock
}

// inTx runs fn in a transaction of the service's store.
func inTx[T any](t *testing.T, s *Service, fn func(ctx context.Context, tx Tx) (T, error)) (T, error) {
	t.Helper()
	ctx := t.Context()
	var out T
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		out, err = fn(ctx, tx)
		return err
	})
	return out, err
}

func mustIdentity(t *testing.T, kind IdentityKind, number, country string) Identity {
	t.Helper()
	id, err := ParseIdentityAt(kind, number, country, identityToday)
	require.NoError(t, err)
	return id
}

func wantError(t *testing.T, err error, kind Kind, reason string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, kind, ErrorKind(err), "kind of %q", err)
	assert.Contains(t, err.Error(), reason)
}

var handlePattern = regexp.MustCompile(`^[a-z]{6}$`)

func TestCreateAccount(t *testing.T) {
	s, st, clock := accountFixture(t)
	ctx := t.Context()
	acc, err := s.CreateAccount(ctx, Operator, NewAccount{
		Name: "  Anna Andersson ", Email: " anna@example.se ",
		// Written by hand: the service normalises it.
		Identity: Identity{Kind: IdentitySEPersonal, Number: "121212+1212"},
	})
	require.NoError(t, err)
	assert.Equal(t, "100001", acc.Number)
	assert.Regexp(t, handlePattern, acc.Handle)
	assert.Equal(t, "Anna Andersson", acc.Name)
	assert.Equal(t, "anna@example.se", acc.Email)
	assert.Equal(t, Identity{Kind: IdentitySEPersonal, Number: "191212121212", Country: "SE"}, acc.Identity)
	assert.Equal(t, AccountActive, acc.Status)
	assert.True(t, acc.CreatedAt.Equal(clock.Now()) && acc.UpdatedAt.Equal(clock.Now()), "times from the service clock")

	got, err := s.Account(ctx, " 100001 ")
	require.NoError(t, err)
	assert.Equal(t, acc, got)
	hs, err := s.AccountHistory(ctx, acc.Number)
	require.NoError(t, err)
	require.Len(t, hs, 1)
	assert.Equal(t, "create", hs[0].Action)
	assert.Equal(t, ActorOperator, hs[0].Actor)
	assert.JSONEq(t, `{"number":"100001","handle":"`+acc.Handle+`","name":"Anna Andersson",
		"email":"anna@example.se","identity":"se-personal 19121212-1212","status":"active"}`, string(hs[0].State))

	// A taken handle is drawn again.
	st.takenHandles = 3
	acc2, err := s.CreateAccount(ctx, Operator, NewAccount{Name: "B", Email: "b@example.se",
		Identity: mustIdentity(t, IdentityDKCVR, "10403782", "")})
	require.NoError(t, err)
	assert.Equal(t, "100002", acc2.Number)
	assert.NotEqual(t, acc.Handle, acc2.Handle)
	// ... a few times.
	st.takenHandles = handleAttempts
	_, err = s.CreateAccount(ctx, Operator, NewAccount{Name: "C", Email: "c@example.se",
		Identity: mustIdentity(t, IdentityDKCVR, "10403782", "")})
	wantError(t, err, KindInternal, "no free account handle")
	st.takenHandles = 0

	all, err := s.Accounts(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 2, "failed creations leave nothing")
	_, err = s.Account(ctx, "100003")
	wantError(t, err, KindNotFound, `account "100003" not found`)
	_, err = s.AccountHistory(ctx, "100003")
	wantError(t, err, KindNotFound, `account "100003" not found`)
}

func TestCreateAccountRefusals(t *testing.T) {
	s, st, _ := accountFixture(t)
	good := NewAccount{Name: "Anna", Email: "anna@example.se", Identity: mustIdentity(t, IdentitySEOrg, "556036-0793", "")}
	for _, tc := range []struct {
		name   string
		change func(n *NewAccount)
		reason string
	}{
		{"no name", func(n *NewAccount) { n.Name = "  " }, "an account needs a name"},
		{"control character", func(n *NewAccount) { n.Name = "Anna\x07" }, "contains a control character"},
		{"long name", func(n *NewAccount) { n.Name = strings.Repeat("å", maxAccountName+1) }, "at most 255"},
		{"no e-mail", func(n *NewAccount) { n.Email = "" }, "an account needs an e-mail address"},
		{"bad e-mail", func(n *NewAccount) { n.Email = "Anna <anna@example.se>" }, `e-mail address "Anna <anna@example.se>" is not valid`},
		{"no identity", func(n *NewAccount) { n.Identity = Identity{} }, "an account needs an identity number"},
		{"no kind", func(n *NewAccount) { n.Identity.Kind = "" }, "the kind of identity number is missing"},
		{"check digit", func(n *NewAccount) { n.Identity = Identity{Kind: IdentitySEPersonal, Number: "19121212-1213"} },
			`personal identity number "19121212-1213": the check digit (the last digit) is wrong`},
		{"CVR check digit", func(n *NewAccount) { n.Identity = Identity{Kind: IdentityDKCVR, Number: "10403783"} },
			"the check digit"},
		{"foreign without country", func(n *NewAccount) { n.Identity = Identity{Kind: IdentityForeign, Number: "X1"} },
			"needs the ISO 3166-1 alpha-2 code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := good
			tc.change(&n)
			_, err := s.CreateAccount(t.Context(), Operator, n)
			wantError(t, err, KindInvalid, tc.reason)
		})
	}
	assert.Empty(t, st.st.accounts)
	assert.Empty(t, st.st.history)
}

func TestFindOrCreateAccount(t *testing.T) {
	s, st, _ := accountFixture(t)
	person := mustIdentity(t, IdentitySEPersonal, "19121212-1212", "")
	find := func(id Identity, name, email string) (*Account, error) {
		return inTx(t, s, func(ctx context.Context, tx Tx) (*Account, error) {
			return s.findOrCreateAccount(ctx, tx, Operator, id, name, email)
		})
	}

	// None yet: created, with history.
	first, err := find(person, "Anna", "anna@example.se")
	require.NoError(t, err)
	assert.Equal(t, "100001", first.Number)
	assert.Len(t, st.st.history, 1)

	// Found again, however the number is written; name and e-mail are
	// the account's own.
	again, err := find(Identity{Kind: IdentitySEPersonal, Number: "121212+1212"}, "Someone Else", "x@example.se")
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Len(t, st.st.accounts, 1)

	// The oldest active account wins; closed and merged ones never do.
	second, err := s.CreateAccount(t.Context(), Operator, NewAccount{Name: "Anna 2", Email: "a2@example.se", Identity: person})
	require.NoError(t, err)
	got, err := find(person, "", "")
	require.NoError(t, err)
	assert.Equal(t, first.Number, got.Number)
	require.NoError(t, s.CloseAccount(t.Context(), Operator, first.Number))
	got, err = find(person, "", "")
	require.NoError(t, err)
	assert.Equal(t, second.Number, got.Number)
	require.NoError(t, s.CloseAccount(t.Context(), Operator, second.Number))
	third, err := find(person, "Anna 3", "a3@example.se")
	require.NoError(t, err)
	assert.Equal(t, "100003", third.Number)
	assert.Equal(t, "Anna 3", third.Name)

	// A new account needs what CreateAccount needs; an invalid identity
	// is refused before any search.
	_, err = find(mustIdentity(t, IdentityDKCVR, "10403782", ""), "", "cvr@example.dk")
	wantError(t, err, KindInvalid, "an account needs a name")
	_, err = find(mustIdentity(t, IdentityDKCVR, "10403782", ""), "Firma", "not an address")
	wantError(t, err, KindInvalid, "is not valid")
	_, err = find(Identity{Kind: IdentitySEPersonal, Number: "19121212-1213"}, "Anna", "anna@example.se")
	wantError(t, err, KindInvalid, "check digit")
	_, err = find(Identity{}, "Anna", "anna@example.se")
	wantError(t, err, KindInvalid, "identity number")
	assert.Len(t, st.st.accounts, 3)
}

func TestNewAccountContactID(t *testing.T) {
	s, st, clock := accountFixture(t)
	acc, err := s.CreateAccount(t.Context(), Operator, NewAccount{Name: "Anna", Email: "anna@example.se",
		Identity: mustIdentity(t, IdentitySEPersonal, "19121212-1212", "")})
	require.NoError(t, err)
	next := func(acc *Account) (string, error) {
		return inTx(t, s, func(ctx context.Context, tx Tx) (string, error) {
			return s.newAccountContactID(ctx, tx, acc)
		})
	}

	// The date is UTC's: 2 July, though it is 3 July on the clock's zone.
	id, err := next(acc)
	require.NoError(t, err)
	assert.Equal(t, acc.Handle+"0702-00001", id)
	require.NoError(t, CheckContactID(id), "a valid contact ID")
	id, err = next(acc)
	require.NoError(t, err)
	assert.Equal(t, acc.Handle+"0702-00002", id)

	// An ID a reseller already chose is skipped.
	st.st.contacts[acc.Handle+"0703-00003"] = Contact{}
	clock.Add(2 * time.Hour)
	id, err = next(acc)
	require.NoError(t, err)
	assert.Equal(t, acc.Handle+"0703-00004", id)

	// The last number the ID's 16 characters hold.
	st.st.seqs[acc.Number] = maxAccountContactSeq - 1
	id, err = next(acc)
	require.NoError(t, err)
	assert.Equal(t, acc.Handle+"0703-99999", id)
	require.NoError(t, CheckContactID(id))
	_, err = next(acc)
	wantError(t, err, KindPolicy, "has used all 99999 contact identifiers")

	// A closed account takes no new contacts.
	require.NoError(t, s.CloseAccount(t.Context(), Operator, acc.Number))
	closed, err := s.Account(t.Context(), acc.Number)
	require.NoError(t, err)
	_, err = next(closed)
	wantError(t, err, KindStatusProhibits, "account 100001 is closed")
}

func TestCloseAccount(t *testing.T) {
	s, st, clock := accountFixture(t)
	ctx := t.Context()
	id := mustIdentity(t, IdentityForeign, "x 123", "de")
	a, err := s.CreateAccount(ctx, Operator, NewAccount{Name: "A", Email: "a@example.de", Identity: id})
	require.NoError(t, err)
	b, err := s.CreateAccount(ctx, Operator, NewAccount{Name: "B", Email: "b@example.de", Identity: id})
	require.NoError(t, err)

	clock.Add(time.Hour)
	require.NoError(t, s.CloseAccount(ctx, Operator, a.Number))
	got, err := s.Account(ctx, a.Number)
	require.NoError(t, err)
	assert.Equal(t, AccountClosed, got.Status)
	assert.True(t, got.UpdatedAt.Equal(clock.Now()))
	assert.True(t, got.CreatedAt.Equal(a.CreatedAt))
	wantError(t, s.CloseAccount(ctx, Operator, a.Number), KindStatusProhibits, "account 100001 is already closed")
	wantError(t, s.CloseAccount(ctx, Operator, "123"), KindNotFound, `account "123" not found`)

	// A merged account's tombstone stays as it is.
	st.st.accounts[1].Status, st.st.accounts[1].MergedInto = AccountMerged, a.Number
	wantError(t, s.CloseAccount(ctx, Operator, b.Number), KindStatusProhibits, "was merged into account 100001")

	hs, err := s.AccountHistory(ctx, a.Number)
	require.NoError(t, err)
	require.Len(t, hs, 2)
	assert.Equal(t, "close", hs[1].Action)
	assert.Contains(t, string(hs[1].State), `"status":"closed"`)
}

// consentFixture is a service with a registrant-managed domain held by an
// account, and a reseller-managed one.
func consentFixture(t *testing.T) (*Service, *memStore, *accountClock, *Account) {
	t.Helper()
	s, st, clock := accountFixture(t)
	acc, err := s.CreateAccount(t.Context(), Operator, NewAccount{Name: "Anna", Email: "anna@example.se",
		Identity: mustIdentity(t, IdentitySEPersonal, "19121212-1212", "")})
	require.NoError(t, err)
	st.st.domains["held.se"] = Domain{ROID: "D1-TEST", Name: "held.se", SponsorClID: RegistryClID,
		Model: ModelRegistrant, AccountNumber: acc.Number}
	st.st.domains["sold.se"] = Domain{ROID: "D2-TEST", Name: "sold.se", SponsorClID: "acme", Model: ModelReseller}
	st.st.domains["old.se"] = Domain{ROID: "D3-TEST", Name: "old.se", SponsorClID: "acme"}
	return s, st, clock, acc
}

var tokenPattern = regexp.MustCompile(`^[A-Z2-7]{26}$`)

func TestIssueConsentToken(t *testing.T) {
	s, st, clock, acc := consentFixture(t)
	ctx := t.Context()
	token, ct, err := s.IssueConsentToken(ctx, Operator, "HELD.se", "", 0)
	require.NoError(t, err)
	assert.Regexp(t, tokenPattern, token)
	sum := sha256.Sum256([]byte(token))
	assert.Equal(t, hex.EncodeToString(sum[:]), ct.Hash, "only the SHA-256 is kept")
	assert.Equal(t, "held.se", ct.Domain)
	assert.Equal(t, acc.Number, ct.AccountNumber)
	assert.Empty(t, ct.ResellerClID)
	assert.Equal(t, ActorOperator, ct.IssuedBy)
	assert.True(t, ct.IssuedAt.Equal(clock.Now()))
	assert.True(t, ct.ExpiresAt.Equal(clock.Now().Add(7*24*time.Hour)), "valid for 7 days by default")
	assert.NotZero(t, ct.ID)

	// The domain's history tells, without the token or its hash.
	hs, err := s.store.(*memStore).history("domain", "D1-TEST")
	require.NoError(t, err)
	require.Len(t, hs, 1)
	assert.Equal(t, "consent-token-issued", hs[0].Action)
	var state map[string]any
	require.NoError(t, json.Unmarshal(hs[0].State, &state))
	assert.Equal(t, map[string]any{"tokenID": float64(ct.ID), "domain": "held.se", "account": acc.Number,
		"issuedBy": "operator", "expiresAt": ct.ExpiresAt.Format(time.RFC3339Nano)}, state)
	assert.NotContains(t, string(hs[0].State), token)
	assert.NotContains(t, string(hs[0].State), ct.Hash)

	// For one reseller, for up to 90 days; tokens differ.
	token2, ct2, err := s.IssueConsentToken(ctx, Operator, "held.se", "acme", 90*24*time.Hour)
	require.NoError(t, err)
	assert.NotEqual(t, token, token2)
	assert.Equal(t, "acme", ct2.ResellerClID)
	assert.True(t, ct2.ExpiresAt.Equal(clock.Now().Add(90*24*time.Hour)))

	for _, tc := range []struct {
		name, domain, reseller string
		validity               time.Duration
		kind                   Kind
		reason                 string
	}{
		{"reseller-managed", "sold.se", "", 0, KindStatusProhibits, `domain sold.se is already reseller-managed (reseller of record "acme")`},
		{"from before models", "old.se", "", 0, KindStatusProhibits, "already reseller-managed"},
		{"unknown domain", "nope.se", "", 0, KindNotFound, "domain nope.se does not exist"},
		{"bad name", "-x-.se", "", 0, KindInvalid, "not a valid domain name"},
		{"unknown reseller", "held.se", "nobody", 0, KindNotFound, `reseller "nobody" not found`},
		{"the registry", "held.se", RegistryClID, 0, KindInvalid, "the registry is not a reseller"},
		{"too long", "held.se", "", 90*24*time.Hour + time.Second, KindRange, "at most 90 days"},
		{"negative", "held.se", "", -time.Hour, KindInvalid, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.IssueConsentToken(ctx, Operator, tc.domain, tc.reseller, tc.validity)
			wantError(t, err, tc.kind, tc.reason)
		})
	}

	d := st.st.domains["held.se"]
	d.DeletedAt = clock.Now()
	st.st.domains["held.se"] = d
	_, _, err = s.IssueConsentToken(ctx, Operator, "held.se", "", 0)
	wantError(t, err, KindStatusProhibits, "pending deletion")
	assert.Len(t, st.st.tokens, 2)
}

// history reads an object's history outside the service.
func (s *memStore) history(objectType, key string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.Tx(context.Background(), func(tx Tx) error {
		var err error
		out, err = tx.History(context.Background(), objectType, key)
		return err
	})
	return out, err
}

func TestUseConsentToken(t *testing.T) {
	s, st, clock, acc := consentFixture(t)
	ctx := t.Context()
	use := func(token, domain, reseller string) (*ConsentToken, error) {
		return inTx(t, s, func(ctx context.Context, tx Tx) (*ConsentToken, error) {
			return s.useConsentToken(ctx, tx, token, domain, reseller)
		})
	}
	anyone, _, err := s.IssueConsentToken(ctx, Operator, "held.se", "", time.Hour)
	require.NoError(t, err)
	forAcme, _, err := s.IssueConsentToken(ctx, Operator, "held.se", "acme", time.Hour)
	require.NoError(t, err)

	for _, tc := range []struct{ name, token, domain, reseller, reason string }{
		{"unknown", "AAAAAAAAAAAAAAAAAAAAAAAAAA", "held.se", "acme", "unknown consent token"},
		{"empty", " ", "held.se", "acme", "unknown consent token"},
		{"another domain", anyone, "sold.se", "acme", "consent token was issued for another domain"},
		{"another reseller", forAcme, "held.se", "other", "consent token was issued for another reseller"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := use(tc.token, tc.domain, tc.reseller)
			wantError(t, err, KindAuthInfo, tc.reason)
		})
	}

	// Copied by hand: lower case, grouped with spaces and dashes.
	clock.Add(time.Minute)
	sloppy := " " + strings.ToLower(anyone[:5]) + "-" + anyone[5:13] + " " + anyone[13:] + "\n"
	ct, err := use(sloppy, "Held.SE", "other")
	require.NoError(t, err)
	assert.True(t, ct.UsedAt.Equal(clock.Now()))
	assert.Equal(t, acc.Number, ct.AccountNumber)
	assert.True(t, st.st.tokens[0].UsedAt.Equal(clock.Now()), "marked used in the store")
	_, err = use(anyone, "held.se", "other")
	wantError(t, err, KindAuthInfo, "consent token already used")

	// A refused use leaves the token as it was.
	_, err = use(forAcme, "held.se", "other")
	wantError(t, err, KindAuthInfo, "another reseller")
	assert.True(t, st.st.tokens[1].UsedAt.IsZero())

	// The holder changed since the token was issued.
	d := st.st.domains["held.se"]
	d.AccountNumber = "100999"
	st.st.domains["held.se"] = d
	_, err = use(forAcme, "held.se", "acme")
	wantError(t, err, KindAuthInfo, "issued by the domain's previous holder")
	d.AccountNumber = acc.Number
	st.st.domains["held.se"] = d

	// Expiry is exact.
	clock.Add(time.Hour - time.Minute)
	_, err = use(forAcme, "held.se", "acme")
	wantError(t, err, KindAuthInfo, "consent token expired at 2026-07-02T23:30:00Z")
	clock.Add(-time.Nanosecond)
	ct, err = use(forAcme, "held.se", "acme")
	require.NoError(t, err)
	assert.Equal(t, "acme", ct.ResellerClID)
}
