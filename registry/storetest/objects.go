package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// objectTests are the tests of registry.ObjectTx.
var objectTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"ContactRoundTrip", testContactRoundTrip},
	{"ContactUpdate", testContactUpdate},
	{"ContactExists", testContactExists},
	{"ContactNotFound", testContactNotFound},
	{"LockContact", testLockContact},
	{"HostRoundTrip", testHostRoundTrip},
	{"HostUpdate", testHostUpdate},
	{"HostExists", testHostExists},
	{"HostNotFound", testHostNotFound},
	{"HostLinks", testHostLinks},
	{"LockHost", testLockHost},
	{"DomainRoundTrip", testDomainRoundTrip},
	{"DomainUpdate", testDomainUpdate},
	{"DomainExists", testDomainExists},
	{"DomainReferences", testDomainReferences},
	{"DomainNotFound", testDomainNotFound},
	{"DeleteLinkedContact", testDeleteLinkedContact},
	{"PurgeDomain", testPurgeDomain},
	{"DomainsDue", testDomainsDue},
	{"ConcurrentCreateDomain", testConcurrentCreateDomain},
	{"LockDomain", testLockDomain},
	{"ConcurrentLinkAndDelete", testConcurrentLinkAndDelete},
	{"PollQueue", testPollQueue},
}

// roidSuffix is the suffix the tests create objects with.
const roidSuffix = "TEST"

// objects creates the resellers "acme" and "other", sponsors of the
// objects of a test.
func objects(t *testing.T, s registry.Store) {
	t.Helper()
	create(t, s, "acme")
	create(t, s, "other")
}

var timeType = reflect.TypeFor[time.Time]()

// splitTimes returns a deep copy of v, a pointer to a registry object, with
// every time in it zero, and the times by path. Comparing the copies with
// reflect.DeepEqual and the times with Equal tells whether two objects are
// the same whatever the locations of their times.
func splitTimes(v any) (any, map[string]time.Time) {
	times := map[string]time.Time{}
	c := copyValue(reflect.ValueOf(v), "", times)
	return c.Interface(), times
}

func copyValue(v reflect.Value, path string, times map[string]time.Time) reflect.Value {
	if v.Type() == timeType {
		times[path] = v.Interface().(time.Time)
		return reflect.Zero(timeType)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(copyValue(v.Elem(), path, times))
		return n
	case reflect.Struct:
		// Only the registry's own structs are taken apart; others (such as
		// netip.Addr) are values compared whole.
		if v.Type().PkgPath() != reflect.TypeFor[registry.Domain]().PkgPath() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			n.Field(i).Set(copyValue(v.Field(i), path+"."+f.Name, times))
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(copyValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", times))
		}
		return n
	default:
		return v
	}
}

// checkObject fails t unless got and want, pointers to registry objects of
// one type, have equal fields: times equal as instants (and in UTC when
// got), everything else deeply equal (a nil slice is not an empty one).
func checkObject(t *testing.T, what string, got, want any) {
	t.Helper()
	g, gt := splitTimes(got)
	w, wt := splitTimes(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, deref(g), deref(w))
	}
	for path, wv := range wt {
		if gv, ok := gt[path]; ok {
			checkTime(t, what+path, gv, wv)
		}
	}
}

func deref(v any) any {
	if r := reflect.ValueOf(v); r.Kind() == reflect.Pointer && !r.IsNil() {
		return r.Elem().Interface()
	}
	return v
}

// checkNormalised fails t unless every non-zero time in v is in UTC and
// whole microseconds: what the store writes back into what it stores.
func checkNormalised(t *testing.T, what string, v any) {
	t.Helper()
	_, times := splitTimes(v)
	for path, tm := range times {
		if tm.IsZero() {
			continue
		}
		if tm.Location() != time.UTC || tm.Nanosecond()%1000 != 0 {
			t.Errorf("%s%s = %v: not written back normalised (UTC, microseconds)", what, path, tm)
		}
	}
}

// wantReason fails t unless err is of the kind and its reason contains
// each of parts.
func wantReason(t *testing.T, err error, kind registry.Kind, what string, parts ...string) {
	t.Helper()
	wantKind(t, err, kind, what)
	var re *registry.Error
	if !errors.As(err, &re) {
		t.Fatalf("%s: %T is not a *registry.Error", what, err)
	}
	for _, p := range parts {
		if !strings.Contains(re.Reason, p) {
			t.Errorf("%s: reason %q does not mention %s", what, re.Reason, p)
		}
	}
}

func checkROID(t *testing.T, roid, prefix string) {
	t.Helper()
	if !regexp.MustCompile(`^` + prefix + `[0-9]+-` + roidSuffix + `$`).MatchString(roid) {
		t.Errorf("ROID %q, want %s<number>-%s", roid, prefix, roidSuffix)
	}
}

// Contacts.

// newContact returns a contact with the fields a create usually sets.
func newContact(id, sponsor string) *registry.Contact {
	return &registry.Contact{
		ID:          id,
		SponsorClID: sponsor,
		CreatorClID: sponsor,
		Postal: []registry.PostalInfo{{
			Type: "int", Name: "John Doe", City: "Dulles", CC: "US",
			Street: []string{"123 Example Dr."},
		}},
		Email:     id + "@example.com",
		AuthInfo:  "2fooBAR",
		CreatedAt: µsTime(2026, 1, 2, 3, 4, 5, 6),
	}
}

// fullContact returns a contact with every field set, times in another
// zone than UTC.
func fullContact(id, sponsor string) *registry.Contact {
	return &registry.Contact{
		ID:          id,
		SponsorClID: sponsor,
		CreatorClID: "other",
		UpdaterClID: "acme",
		Postal: []registry.PostalInfo{
			{
				Type: "int", Name: "John Doe", Org: "Example Inc.",
				Street: []string{"123 Example Dr.", "Suite 100", "Building \"B\""},
				City:   "Dulles", SP: "VA", PC: "20166-6503", CC: "US",
			},
			{
				Type: "loc", Name: "Jöhn Døe", Org: "Exämple AB",
				Street: []string{"Storgatan 1"}, City: "Göteborg", PC: "411 01", CC: "SE",
			},
		},
		Voice:    "+1.7035555555",
		VoiceExt: "1234",
		Fax:      "+1.7035555556",
		FaxExt:   "9",
		Email:    "jdoe@example.com",
		AuthInfo: "2fooBAR<&>",
		Disclose: &registry.Disclose{
			Flag: false, NameInt: true, OrgLoc: true, AddrInt: true, Voice: true, Email: true,
		},
		Statuses:      []string{"clientDeleteProhibited", "serverUpdateProhibited"},
		CreatedAt:     µsTime(2025, 1, 2, 3, 4, 5, 123456),
		UpdatedAt:     µsTime(2025, 6, 7, 8, 9, 10, 654321),
		TransferredAt: µsTime(2025, 3, 4, 5, 6, 7, 1),
		Transfer: &registry.Transfer{
			Status:      registry.TransferClientApproved,
			GainingClID: "acme",
			RequestedAt: µsTime(2025, 3, 1, 0, 0, 0, 0),
			LosingClID:  "other",
			ActBy:       µsTime(2025, 3, 4, 5, 6, 7, 1),
		},
	}
}

func readContact(t *testing.T, s registry.Store, id string) *registry.Contact {
	t.Helper()
	var c *registry.Contact
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		c, err = tx.Contact(ctx, id)
		return err
	})
	return c
}

func createContact(t *testing.T, s registry.Store, c *registry.Contact) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateContact(ctx, c, roidSuffix) })
}

func testContactRoundTrip(t *testing.T, s registry.Store) {
	objects(t, s)
	full := fullContact("sh8013", "acme")
	full.CreatedAt = full.CreatedAt.Add(789 * time.Nanosecond) // beyond what is kept
	createContact(t, s, full)
	checkROID(t, full.ROID, "C")
	checkNormalised(t, "created contact", full)
	if full.CreatedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("CreatedAt %v kept nanoseconds", full.CreatedAt)
	}

	// Nothing set but the identifiers: zero times, nil pointers and slices
	// come back so.
	bare := &registry.Contact{ID: "bare", SponsorClID: "other"}
	createContact(t, s, bare)
	checkROID(t, bare.ROID, "C")
	if bare.ROID == full.ROID {
		t.Errorf("two contacts have ROID %q", bare.ROID)
	}

	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, want := range []*registry.Contact{full, bare} {
			got, err := tx.Contact(ctx, want.ID)
			if err != nil {
				return err
			}
			checkObject(t, "Contact "+want.ID, got, want)
			got, err = tx.LockContact(ctx, want.ID)
			if err != nil {
				return err
			}
			checkObject(t, "LockContact "+want.ID, got, want)
		}
		return nil
	})
	if got := readContact(t, s, "bare"); !got.CreatedAt.IsZero() || !got.TransferredAt.IsZero() ||
		got.Disclose != nil || got.Transfer != nil || got.Statuses != nil || got.AuthInfo != "" {
		t.Errorf("bare contact came back with %+v", *got)
	}
	if got := readContact(t, s, "sh8013"); got.Disclose == nil || got.Disclose.Flag || !got.Disclose.OrgLoc ||
		got.Transfer == nil || got.Transfer.NewExpiry != (time.Time{}) {
		t.Errorf("full contact came back with %+v", *got)
	}
}

func testContactUpdate(t *testing.T, s registry.Store) {
	objects(t, s)
	c := fullContact("sh8013", "acme")
	createContact(t, s, c)
	roid, created := c.ROID, c.CreatedAt

	u := newContact("sh8013", "other")
	u.ROID = roid
	u.UpdaterClID = "other"
	u.Postal = []registry.PostalInfo{{Type: "loc", Name: "Ny", City: "Åre", CC: "SE"}}
	u.AuthInfo = "newPW"
	u.Statuses = []string{"clientUpdateProhibited"}
	u.UpdatedAt = µsTime(2026, 2, 3, 4, 5, 6, 7)
	u.TransferredAt = µsTime(2026, 2, 3, 0, 0, 0, 0)
	// Not mutable: ignored, and set back from the stored contact.
	u.CreatorClID = "acme"
	u.CreatedAt = created.Add(time.Hour)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateContact(ctx, u) })
	if u.ROID != roid || u.CreatorClID != c.CreatorClID || !u.CreatedAt.Equal(created) {
		t.Errorf("UpdateContact left ROID %q, CreatorClID %q, CreatedAt %v; want the stored %q, %q, %v",
			u.ROID, u.CreatorClID, u.CreatedAt, roid, c.CreatorClID, created)
	}
	u.ROID, u.CreatorClID, u.CreatedAt = roid, c.CreatorClID, created
	checkObject(t, "updated contact", readContact(t, s, "sh8013"), u)

	// Without a ROID the contact is found by its ID.
	u.ROID = ""
	u.Voice = "+46.1234"
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateContact(ctx, u) })
	if u.ROID != roid {
		t.Errorf("UpdateContact without ROID set ROID %q, want %q", u.ROID, roid)
	}
	checkObject(t, "contact updated by ID", readContact(t, s, "sh8013"), u)

	// A sponsor that is no reseller.
	bad := *u
	bad.SponsorClID = "nobody"
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateContact(ctx, &bad) })
	wantReason(t, err, registry.KindNotFound, "UpdateContact to a missing sponsor", `"nobody"`)
	checkObject(t, "contact after refused update", readContact(t, s, "sh8013"), u)
}

func testContactExists(t *testing.T, s registry.Store) {
	objects(t, s)
	first := newContact("sh8013", "acme")
	createContact(t, s, first)
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateContact(ctx, newContact("sh8013", "other"), roidSuffix)
	})
	wantReason(t, err, registry.KindExists, "second CreateContact", `contact "sh8013"`)

	// The refusal leaves the transaction usable; IDs match exactly.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.CreateContact(ctx, newContact("sh8013", "other"), roidSuffix)
		wantKind(t, err, registry.KindExists, "CreateContact of sh8013 in a transaction")
		return tx.CreateContact(ctx, newContact("SH8013", "other"), roidSuffix)
	})
	if got := readContact(t, s, "sh8013"); got.SponsorClID != "acme" || got.ROID != first.ROID {
		t.Errorf("contact sh8013 changed by refused creations: %+v", *got)
	}
	readContact(t, s, "SH8013")

	// A deleted contact's ID is free, and the new contact a new ROID.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteContact(ctx, "sh8013") })
	again := newContact("sh8013", "other")
	createContact(t, s, again)
	if again.ROID == first.ROID || again.ROID == "" {
		t.Errorf("re-created contact has ROID %q, first had %q", again.ROID, first.ROID)
	}

	// A sponsor that is no reseller.
	err = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateContact(ctx, newContact("orphan", "nobody"), roidSuffix)
	})
	wantReason(t, err, registry.KindNotFound, "CreateContact by a missing sponsor", `"nobody"`)
}

func testContactNotFound(t *testing.T, s registry.Store) {
	objects(t, s)
	c := newContact("sh8013", "acme")
	createContact(t, s, c)
	stale := *c
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteContact(ctx, "sh8013") })
	createContact(t, s, newContact("sh8013", "acme"))
	ctx := t.Context()
	missing := newContact("nobody", "acme")
	for _, c := range []struct {
		what string
		fn   func(tx registry.Tx) error
	}{
		{"Contact", func(tx registry.Tx) error { _, err := tx.Contact(ctx, "nobody"); return err }},
		{"LockContact", func(tx registry.Tx) error { _, err := tx.LockContact(ctx, "nobody"); return err }},
		{"UpdateContact", func(tx registry.Tx) error { return tx.UpdateContact(ctx, missing) }},
		{"UpdateContact of a deleted contact's ROID", func(tx registry.Tx) error { return tx.UpdateContact(ctx, &stale) }},
		{"DeleteContact", func(tx registry.Tx) error { return tx.DeleteContact(ctx, "nobody") }},
	} {
		err := s.Tx(ctx, c.fn)
		wantReason(t, err, registry.KindNotFound, c.what, `contact "`)
	}
	// The not-found leaves the transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.Contact(ctx, "nobody")
		wantKind(t, err, registry.KindNotFound, "Contact in a transaction")
		linked, err := tx.ContactLinked(ctx, "sh8013")
		if err != nil {
			return err
		}
		if linked {
			t.Error("ContactLinked of a contact no domain uses = true")
		}
		return nil
	})
}

func testLockContact(t *testing.T, s registry.Store) {
	objects(t, s)
	createContact(t, s, newContact("sh8013", "acme"))
	lockedIncrements(t, s, func(ctx context.Context, tx registry.Tx, i int) error {
		c, err := tx.LockContact(ctx, "sh8013")
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
		c.Statuses = append(c.Statuses, fmt.Sprint(i))
		return tx.UpdateContact(ctx, c)
	})
	if got := readContact(t, s, "sh8013"); len(got.Statuses) != lockers {
		t.Errorf("after %d locked updates Statuses = %q: updates were lost", lockers, got.Statuses)
	}
}

// lockers is how many transactions lockedIncrements runs at once.
const lockers = 8

// lockedIncrements runs fn in lockers concurrent transactions and fails t
// if any fails.
func lockedIncrements(t *testing.T, s registry.Store, fn func(ctx context.Context, tx registry.Tx, i int) error) {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, lockers)
	var wg sync.WaitGroup
	for i := range lockers {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return fn(ctx, tx, i) })
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
}
