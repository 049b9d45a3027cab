// Package storetest is a conformance suite for registry.Store
// implementations. An implementation's tests call Run with a function that
// opens a fresh, empty, migrated store.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// RawDB is implemented by stores backed by database/sql. Run uses it to
// check that the database itself refuses changes to history.
type RawDB interface {
	DB() *sql.DB
}

// Run runs the suite. open must return a new, empty store for each call and
// arrange for it to be closed when t ends.
func Run(t *testing.T, open func(t *testing.T) registry.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s registry.Store)
	}{
		{"ResellerRoundTrip", testResellerRoundTrip},
		{"ResellersOrder", testResellersOrder},
		{"DuplicateClID", testDuplicateClID},
		{"NotFound", testNotFound},
		{"Certs", testCerts},
		{"DuplicateCerts", testDuplicateCerts},
		{"RemoveOtherResellersCert", testRemoveOtherResellersCert},
		{"LoginFailures", testLoginFailures},
		{"History", testHistory},
		{"HistoryAppendOnly", testHistoryAppendOnly},
		{"RollbackOnError", testRollbackOnError},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ConcurrentCreate", testConcurrentCreate},
		{"LockReseller", testLockReseller},
	}
	tests = append(tests, objectTests...)
	tests = append(tests, accountTests...)
	tests = append(tests, ledgerTests...)
	tests = append(tests, outboxTests...)
	tests = append(tests, billTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// tx runs fn in a transaction and fails the test on error.
func tx(t *testing.T, s registry.Store, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

// txErr runs fn in a transaction and returns its error.
func txErr(t *testing.T, s registry.Store, fn func(ctx context.Context, tx registry.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) })
}

func wantKind(t *testing.T, err error, kind registry.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, kind)
	}
	if k := registry.ErrorKind(err); k != kind {
		t.Fatalf("%s: got %v error %q, want %v", what, k, err, kind)
	}
}

// zone is a non-UTC location: times put in come back in UTC.
var zone = time.FixedZone("UTC+05:30", 5*3600+1800)

// µsTime is a time with microsecond precision, the most a store keeps.
func µsTime(year int, month time.Month, day, hour, min, sec, µs int) time.Time {
	return time.Date(year, month, day, hour, min, sec, µs*1000, zone)
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func checkReseller(t *testing.T, got, want *registry.Reseller) {
	t.Helper()
	if got.ID != want.ID || got.ClID != want.ClID || got.Name != want.Name ||
		got.Email != want.Email || got.Status != want.Status ||
		got.PasswordHash != want.PasswordHash || got.MaxSessions != want.MaxSessions {
		t.Errorf("reseller = %+v, want %+v", *got, *want)
	}
	if !slices.Equal(got.AllowedNets, want.AllowedNets) {
		t.Errorf("AllowedNets = %v, want %v", got.AllowedNets, want.AllowedNets)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func newReseller(clID string) *registry.Reseller {
	return &registry.Reseller{
		ClID:         clID,
		Name:         "Reseller " + clID,
		Email:        clID + "@example.net",
		Status:       registry.ResellerActive,
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
	}
}

func create(t *testing.T, s registry.Store, clID string) *registry.Reseller {
	t.Helper()
	r := newReseller(clID)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateReseller(ctx, r) })
	return r
}

func testResellerRoundTrip(t *testing.T, s registry.Store) {
	r := newReseller("acme")
	r.Status = registry.ResellerSuspended
	r.AllowedNets = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("198.51.100.7/32"),
	}
	r.MaxSessions = 7
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateReseller(ctx, r) })
	if r.ID == 0 {
		t.Fatal("CreateReseller left ID zero")
	}
	if r.CreatedAt.IsZero() || !r.UpdatedAt.Equal(r.CreatedAt) {
		t.Fatalf("CreateReseller set CreatedAt %v, UpdatedAt %v; want equal and non-zero", r.CreatedAt, r.UpdatedAt)
	}
	checkTime(t, "CreatedAt as set", r.CreatedAt, r.CreatedAt)

	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.Reseller(ctx, "acme")
		if err != nil {
			return err
		}
		checkReseller(t, got, r)
		got, err = tx.LockReseller(ctx, "acme")
		if err != nil {
			return err
		}
		checkReseller(t, got, r)
		return nil
	})

	created := r.CreatedAt
	u := *r
	u.Name = "Acme Names Ltd"
	u.Email = "hostmaster@acme.example"
	u.Status = registry.ResellerActive
	u.PasswordHash = "$argon2id$v=19$m=65536,t=1,p=4$bmV3c2FsdA$bmV3aGFzaA"
	u.AllowedNets = nil
	u.MaxSessions = 0
	u.CreatedAt = created.Add(-time.Hour) // not mutable: must be ignored
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateReseller(ctx, &u) })
	if u.UpdatedAt.Before(created) {
		t.Errorf("UpdateReseller set UpdatedAt %v before CreatedAt %v", u.UpdatedAt, created)
	}
	u.CreatedAt = created

	var all []registry.Reseller
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.Reseller(ctx, "acme")
		if err != nil {
			return err
		}
		checkReseller(t, got, &u)
		all, err = tx.Resellers(ctx)
		return err
	})
	if len(all) != 1 {
		t.Fatalf("Resellers returned %d, want 1", len(all))
	}
	checkReseller(t, &all[0], &u)

	// Nets come back as written, unmasked, in order.
	u.AllowedNets = []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8"), netip.MustParsePrefix("::1/128")}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateReseller(ctx, &u) })
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		got, err := tx.Reseller(ctx, "acme")
		if err != nil {
			return err
		}
		checkReseller(t, got, &u)
		return nil
	})
}

func testResellersOrder(t *testing.T, s registry.Store) {
	for _, id := range []string{"zeta", "beta", "alpha", "Alpha", "a-1", "a_1"} {
		create(t, s, id)
	}
	var got []string
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		all, err := tx.Resellers(ctx)
		for _, r := range all {
			got = append(got, r.ClID)
		}
		return err
	})
	// Byte order, whatever the database's collation.
	want := []string{"Alpha", "a-1", "a_1", "alpha", "beta", "zeta"}
	if !slices.Equal(got, want) {
		t.Errorf("Resellers order = %q, want %q", got, want)
	}
}

func testDuplicateClID(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateReseller(ctx, newReseller("acme"))
	})
	wantKind(t, err, registry.KindExists, "second CreateReseller of acme")

	// The refusal leaves the transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.CreateReseller(ctx, newReseller("acme"))
		wantKind(t, err, registry.KindExists, "CreateReseller of acme in a transaction")
		err = tx.AddResellerCert(ctx, &registry.ResellerCert{ResellerID: -1, Match: registry.MatchFingerprint, Fingerprint: "00"})
		wantKind(t, err, registry.KindNotFound, "AddResellerCert to a missing reseller in a transaction")
		return tx.CreateReseller(ctx, newReseller("acme2"))
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.Reseller(ctx, "acme2")
		return err
	})

	// ClIDs match exactly: another case is another reseller.
	create(t, s, "ACME")
}

func testNotFound(t *testing.T, s registry.Store) {
	r := create(t, s, "acme")
	ctx := t.Context()
	cases := []struct {
		what string
		fn   func(tx registry.Tx) error
	}{
		{"Reseller", func(tx registry.Tx) error { _, err := tx.Reseller(ctx, "nobody"); return err }},
		{"Reseller of another case", func(tx registry.Tx) error { _, err := tx.Reseller(ctx, "ACME"); return err }},
		{"LockReseller", func(tx registry.Tx) error { _, err := tx.LockReseller(ctx, "nobody"); return err }},
		{"UpdateReseller", func(tx registry.Tx) error {
			n := newReseller("nobody")
			n.ID = r.ID + 1000
			return tx.UpdateReseller(ctx, n)
		}},
		{"RemoveResellerCert", func(tx registry.Tx) error { return tx.RemoveResellerCert(ctx, r.ID, 12345) }},
		{"AddResellerCert to missing reseller", func(tx registry.Tx) error {
			return tx.AddResellerCert(ctx, &registry.ResellerCert{
				ResellerID: r.ID + 1000, Match: registry.MatchFingerprint, Fingerprint: "00",
			})
		}},
	}
	for _, c := range cases {
		err := s.Tx(ctx, c.fn)
		wantKind(t, err, registry.KindNotFound, c.what)
	}
	var re *registry.Error
	err := s.Tx(ctx, func(tx registry.Tx) error { _, err := tx.Reseller(ctx, "nobody"); return err })
	if !errors.As(err, &re) || re.Reason == "" {
		t.Errorf("not-found error %#v has no reason", err)
	}

	// Empty lists are not errors.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		certs, err := tx.ResellerCerts(ctx, r.ID)
		if err != nil || len(certs) != 0 {
			return fmt.Errorf("ResellerCerts of a reseller without = %v, %v", certs, err)
		}
		h, err := tx.History(ctx, "reseller", "nobody")
		if err != nil || len(h) != 0 {
			return fmt.Errorf("History of nothing = %v, %v", h, err)
		}
		return nil
	})
}

func fingerprint(n byte) string {
	return fmt.Sprintf("%02x%062x", n, 0)
}

func checkCert(t *testing.T, got, want registry.ResellerCert) {
	t.Helper()
	if got.ID != want.ID || got.ResellerID != want.ResellerID || got.Match != want.Match ||
		got.Fingerprint != want.Fingerprint || got.Subject != want.Subject ||
		got.Issuer != want.Issuer || got.Note != want.Note {
		t.Errorf("cert = %+v, want %+v", got, want)
	}
	checkTime(t, "NotAfter", got.NotAfter, want.NotAfter)
	checkTime(t, "AddedAt", got.AddedAt, want.AddedAt)
}

func testCerts(t *testing.T, s registry.Store) {
	r := create(t, s, "acme")
	other := create(t, s, "other")
	fp := registry.ResellerCert{
		ResellerID:  r.ID,
		Match:       registry.MatchFingerprint,
		Fingerprint: fingerprint(1),
		Subject:     "CN=epp.acme.example,O=Acme",
		Issuer:      "CN=Acme CA",
		NotAfter:    µsTime(2031, 5, 6, 7, 8, 9, 123456),
		Note:        "production",
		AddedAt:     µsTime(2026, 1, 2, 3, 4, 5, 654321),
	}
	subj := registry.ResellerCert{
		ResellerID: r.ID,
		Match:      registry.MatchSubject,
		Subject:    "CN=epp2.acme.example,O=Acme",
		Issuer:     "CN=Registry Client CA",
		AddedAt:    µsTime(2026, 1, 2, 3, 4, 6, 0),
		// NotAfter zero: unknown.
	}
	oc := registry.ResellerCert{ResellerID: other.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(9)}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, c := range []*registry.ResellerCert{&fp, &subj, &oc} {
			if err := tx.AddResellerCert(ctx, c); err != nil {
				return err
			}
			if c.ID == 0 {
				t.Errorf("AddResellerCert left ID zero")
			}
		}
		return nil
	})

	list := func() []registry.ResellerCert {
		var certs []registry.ResellerCert
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			certs, err = tx.ResellerCerts(ctx, r.ID)
			return err
		})
		return certs
	}
	certs := list()
	if len(certs) != 2 {
		t.Fatalf("ResellerCerts = %d certs, want 2", len(certs))
	}
	checkCert(t, certs[0], fp)
	checkCert(t, certs[1], subj)
	if certs[0].ID >= certs[1].ID {
		t.Errorf("ResellerCerts not ordered by ID: %d, %d", certs[0].ID, certs[1].ID)
	}

	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.RemoveResellerCert(ctx, r.ID, fp.ID) })
	certs = list()
	if len(certs) != 1 || certs[0].ID != subj.ID {
		t.Fatalf("after removal ResellerCerts = %+v, want only %d", certs, subj.ID)
	}
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.RemoveResellerCert(ctx, r.ID, fp.ID) })
	wantKind(t, err, registry.KindNotFound, "second removal")

	// A removed fingerprint may be registered again, and gets a new ID.
	again := fp
	again.ID = 0
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.AddResellerCert(ctx, &again) })
	if again.ID == fp.ID {
		t.Errorf("re-added certificate reused ID %d", fp.ID)
	}
}

func testDuplicateCerts(t *testing.T, s registry.Store) {
	r := create(t, s, "acme")
	other := create(t, s, "other")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		if err := tx.AddResellerCert(ctx, &registry.ResellerCert{
			ResellerID: r.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(1),
		}); err != nil {
			return err
		}
		return tx.AddResellerCert(ctx, &registry.ResellerCert{
			ResellerID: r.ID, Match: registry.MatchSubject, Subject: "CN=a", Issuer: "CN=ca",
		})
	})
	for _, c := range []struct {
		what string
		cert registry.ResellerCert
	}{
		{"same fingerprint, same reseller", registry.ResellerCert{ResellerID: r.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(1)}},
		{"same fingerprint, other reseller", registry.ResellerCert{ResellerID: other.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(1)}},
		{"same subject and issuer, same reseller", registry.ResellerCert{ResellerID: r.ID, Match: registry.MatchSubject, Subject: "CN=a", Issuer: "CN=ca"}},
		{"same subject and issuer, other reseller", registry.ResellerCert{ResellerID: other.ID, Match: registry.MatchSubject, Subject: "CN=a", Issuer: "CN=ca"}},
	} {
		err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.AddResellerCert(ctx, &c.cert) })
		wantKind(t, err, registry.KindExists, c.what)
	}
	// Same subject under another issuer is another certificate.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.AddResellerCert(ctx, &registry.ResellerCert{
			ResellerID: other.ID, Match: registry.MatchSubject, Subject: "CN=a", Issuer: "CN=other ca",
		})
	})
}

func testRemoveOtherResellersCert(t *testing.T, s registry.Store) {
	r := create(t, s, "acme")
	other := create(t, s, "other")
	c := registry.ResellerCert{ResellerID: r.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(3)}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.AddResellerCert(ctx, &c) })
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.RemoveResellerCert(ctx, other.ID, c.ID) })
	wantKind(t, err, registry.KindNotFound, "removal through another reseller")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		certs, err := tx.ResellerCerts(ctx, r.ID)
		if err != nil {
			return err
		}
		if len(certs) != 1 || certs[0].ID != c.ID {
			t.Errorf("certificate gone after refused removal: %+v", certs)
		}
		return nil
	})
}

func testLoginFailures(t *testing.T, s registry.Store) {
	t0 := µsTime(2026, 3, 4, 5, 6, 7, 891011)
	const a1, a2 = "192.0.2.1", "2001:db8::1"
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, f := range []struct {
			clID, addr string
			at         time.Time
		}{
			{"acme", a1, t0},
			{"acme", a1, t0.Add(time.Minute)},
			{"acme", a1, t0.Add(2 * time.Minute)},
			{"acme", a2, t0},
			{"unknown-id", a1, t0},
		} {
			if err := tx.RecordLoginFailure(ctx, f.clID, f.addr, f.at); err != nil {
				return err
			}
		}
		return nil
	})
	count := func(clID, addr string, since time.Time) int {
		t.Helper()
		var n int
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			n, err = tx.LoginFailures(ctx, clID, addr, since)
			return err
		})
		return n
	}
	for _, c := range []struct {
		clID, addr string
		since      time.Time
		want       int
	}{
		{"acme", a1, t0.Add(-time.Hour), 3},
		{"acme", a1, t0, 3},
		{"acme", a1, t0.Add(time.Microsecond), 2},
		{"acme", a1, t0.Add(time.Minute), 2},
		{"acme", a1, t0.Add(2 * time.Minute), 1},
		{"acme", a1, t0.Add(2*time.Minute + time.Microsecond), 0},
		{"acme", a1, t0.In(time.UTC), 3},
		{"acme", a2, t0, 1},
		{"ACME", a1, t0, 0},
		{"unknown-id", a1, t0, 1},
	} {
		if got := count(c.clID, c.addr, c.since); got != c.want {
			t.Errorf("LoginFailures(%q, %q, %v) = %d, want %d", c.clID, c.addr, c.since, got, c.want)
		}
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.ClearLoginFailures(ctx, "acme", a1) })
	if got := count("acme", a1, t0.Add(-time.Hour)); got != 0 {
		t.Errorf("after clear LoginFailures = %d, want 0", got)
	}
	if got := count("acme", a2, t0); got != 1 {
		t.Errorf("clear removed another address's failures: %d left, want 1", got)
	}
	if got := count("unknown-id", a1, t0); got != 1 {
		t.Errorf("clear removed another client's failures: %d left, want 1", got)
	}
}

func checkHistory(t *testing.T, got, want registry.HistoryEntry) {
	t.Helper()
	if got.ID != want.ID || got.ObjectType != want.ObjectType || got.ObjectKey != want.ObjectKey ||
		got.Action != want.Action || got.Actor != want.Actor || got.SessionID != want.SessionID ||
		got.ClTRID != want.ClTRID || got.SvTRID != want.SvTRID {
		t.Errorf("history entry = %+v, want %+v", got, want)
	}
	if string(got.State) != string(want.State) {
		t.Errorf("history state = %q, want %q (byte for byte)", got.State, want.State)
	}
	checkTime(t, "At", got.At, want.At)
}

func testHistory(t *testing.T, s registry.Store) {
	t0 := µsTime(2026, 6, 7, 8, 9, 10, 111213)
	entries := []registry.HistoryEntry{
		{At: t0, ObjectType: "reseller", ObjectKey: "acme", Action: "create", Actor: registry.ActorOperator,
			State: []byte(`{"clID":"acme","name":"Acme"}`)},
		{At: t0, ObjectType: "reseller", ObjectKey: "other", Action: "create", Actor: registry.ActorOperator,
			State: []byte(`{}`)},
		// Written out of time order: History is in the order written.
		{At: t0.Add(-time.Second), ObjectType: "reseller", ObjectKey: "acme", Action: "passwd",
			Actor: registry.ResellerActor("acme"), SessionID: "sess-1", ClTRID: "ABC-123", SvTRID: "eppd-0001",
			State: []byte(`{"b": 1,  "a": [2, 3], "u": "\u00e9"}`)},
		{At: t0.Add(time.Hour), ObjectType: "reseller", ObjectKey: "acme", Action: "suspend", Actor: registry.ActorOperator},
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for i := range entries[:2] {
			if err := tx.AppendHistory(ctx, &entries[i]); err != nil {
				return err
			}
		}
		return nil
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for i := range entries[2:] {
			if err := tx.AppendHistory(ctx, &entries[2+i]); err != nil {
				return err
			}
		}
		return nil
	})
	for _, e := range entries {
		if e.ID == 0 {
			t.Fatalf("AppendHistory left ID zero: %+v", e)
		}
	}
	var acme, other []registry.HistoryEntry
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		if acme, err = tx.History(ctx, "reseller", "acme"); err != nil {
			return err
		}
		other, err = tx.History(ctx, "reseller", "other")
		return err
	})
	want := []registry.HistoryEntry{entries[0], entries[2], entries[3]}
	if len(acme) != len(want) {
		t.Fatalf("History(acme) = %d entries, want %d", len(acme), len(want))
	}
	for i := range want {
		checkHistory(t, acme[i], want[i])
	}
	if len(other) != 1 {
		t.Fatalf("History(other) = %d entries, want 1", len(other))
	}
	checkHistory(t, other[0], entries[1])
	if len(acme[2].State) != 0 {
		t.Errorf("entry without state came back with %q", acme[2].State)
	}
}

func testHistoryAppendOnly(t *testing.T, s registry.Store) {
	raw, ok := s.(RawDB)
	if !ok {
		t.Skipf("%T gives no raw database access", s)
	}
	e := registry.HistoryEntry{At: µsTime(2026, 1, 1, 0, 0, 0, 0), ObjectType: "reseller", ObjectKey: "acme",
		Action: "create", Actor: registry.ActorOperator, State: []byte(`{"a":1}`)}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.AppendHistory(ctx, &e) })

	db := raw.DB()
	ctx := t.Context()
	for _, q := range []string{
		fmt.Sprintf(`UPDATE history SET action = 'forged' WHERE id = %d`, e.ID),
		`UPDATE history SET state = NULL`,
		fmt.Sprintf(`DELETE FROM history WHERE id = %d`, e.ID),
		`DELETE FROM history`,
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("database accepted %q", q)
		}
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		h, err := tx.History(ctx, "reseller", "acme")
		if err != nil {
			return err
		}
		if len(h) != 1 {
			t.Fatalf("history has %d entries after refused changes, want 1", len(h))
		}
		checkHistory(t, h[0], e)
		return nil
	})
}

// checkRolledBack fails if anything writeAll writes is in the store.
func checkRolledBack(t *testing.T, s registry.Store) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		if _, err := tx.Reseller(ctx, "acme"); !registry.IsKind(err, registry.KindNotFound) {
			t.Errorf("after rollback Reseller(acme) error = %v, want not found", err)
		}
		h, err := tx.History(ctx, "reseller", "acme")
		if err != nil {
			return err
		}
		if len(h) != 0 {
			t.Errorf("after rollback history has %d entries", len(h))
		}
		n, err := tx.LoginFailures(ctx, "acme", "192.0.2.1", time.Time{})
		if err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("after rollback %d login failures remain", n)
		}
		return nil
	})
	// The certificate is gone too if its fingerprint is free.
	r := create(t, s, "probe")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.AddResellerCert(ctx, &registry.ResellerCert{
			ResellerID: r.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(7),
		})
	})
}

// writeAll makes one of each kind of write.
func writeAll(ctx context.Context, tx registry.Tx) error {
	r := newReseller("acme")
	if err := tx.CreateReseller(ctx, r); err != nil {
		return err
	}
	if err := tx.AddResellerCert(ctx, &registry.ResellerCert{
		ResellerID: r.ID, Match: registry.MatchFingerprint, Fingerprint: fingerprint(7),
	}); err != nil {
		return err
	}
	if err := tx.RecordLoginFailure(ctx, "acme", "192.0.2.1", time.Now()); err != nil {
		return err
	}
	return tx.AppendHistory(ctx, &registry.HistoryEntry{
		ObjectType: "reseller", ObjectKey: "acme", Action: "create", Actor: registry.ActorOperator,
	})
}

func testRollbackOnError(t *testing.T, s registry.Store) {
	boom := errors.New("boom")
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		if err := writeAll(ctx, tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	checkRolledBack(t, s)
}

func testRollbackOnPanic(t *testing.T, s registry.Store) {
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the panic from fn", p)
			}
		}()
		_ = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
			if err := writeAll(ctx, tx); err != nil {
				t.Errorf("write: %v", err)
			}
			panic("boom")
		})
	}()
	// A transaction left open would hold a connection, or the write lock,
	// for ever: the next one would never finish.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := s.Tx(ctx, func(tx registry.Tx) error { return tx.CreateReseller(ctx, newReseller("after")) })
	if err != nil {
		t.Fatalf("store unusable after a panic in Tx: %v", err)
	}
	checkRolledBack(t, s)
}

func testConcurrentCreate(t *testing.T, s registry.Store) {
	const n = 8
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				return tx.CreateReseller(ctx, newReseller("acme"))
			})
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case registry.IsKind(err, registry.KindExists):
		default:
			t.Errorf("goroutine %d: %v error %v, want success or exists", i, registry.ErrorKind(err), err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent creations succeeded, want exactly 1", ok, n)
	}
}

func testLockReseller(t *testing.T, s registry.Store) {
	create(t, s, "acme")
	const n = 8
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				r, err := tx.LockReseller(ctx, "acme")
				if err != nil {
					return err
				}
				// Widen the window in which an unlocked read would race.
				time.Sleep(time.Millisecond)
				r.MaxSessions++
				return tx.UpdateReseller(ctx, r)
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		r, err := tx.Reseller(ctx, "acme")
		if err != nil {
			return err
		}
		if r.MaxSessions != n {
			t.Errorf("after %d locked increments MaxSessions = %d: updates were lost", n, r.MaxSessions)
		}
		return nil
	})
}
