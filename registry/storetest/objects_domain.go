package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// newDomain returns a domain without references and with the times a
// create sets.
func newDomain(name, sponsor string) *registry.Domain {
	return &registry.Domain{
		Name:        name,
		SponsorClID: sponsor,
		CreatorClID: sponsor,
		AuthInfo:    "2fooBAR",
		CreatedAt:   µsTime(2026, 1, 2, 3, 4, 5, 6),
		ExpiresAt:   µsTime(2027, 1, 2, 3, 4, 5, 6),
	}
}

func createDomain(t *testing.T, s registry.Store, d *registry.Domain) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateDomain(ctx, d, roidSuffix) })
}

func readDomain(t *testing.T, s registry.Store, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		d, err = tx.Domain(ctx, name)
		return err
	})
	return d
}

// domainFixture creates contacts and hosts for domains to refer to.
func domainFixture(t *testing.T, s registry.Store) {
	t.Helper()
	objects(t, s)
	for _, id := range []string{"reg", "a", "b", "c"} {
		createContact(t, s, newContact(id, "acme"))
	}
	for _, name := range []string{"ns1.example.net", "ns2.example.net", "ns3.example.net"} {
		createHost(t, s, newHost(name, "acme", ""))
	}
}

func testDomainRoundTrip(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	full := &registry.Domain{
		Name:        "example.se",
		SponsorClID: "acme",
		CreatorClID: "other",
		UpdaterClID: "acme",
		Registrant:  "reg",
		Contacts: []registry.DomainContact{
			{Type: "tech", ID: "b"}, {Type: "admin", ID: "a"}, {Type: "tech", ID: "a"},
			{Type: "billing", ID: "c"}, {Type: "tech", ID: "a"},
		},
		NS:       []string{"ns2.example.net", "ns1.example.net", "ns3.example.net", "ns1.example.net"},
		AuthInfo: "2fooBAR<&>",
		Statuses: []string{"clientHold", "pendingDelete", "serverTransferProhibited"},
		DS: []registry.DSData{
			{KeyTag: 12345, Alg: 13, DigestType: 2, Digest: "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC1234"},
			{KeyTag: 65535, Alg: 255, DigestType: 4, Digest: "AB"},
		},
		CreatedAt:     µsTime(2025, 1, 2, 3, 4, 5, 123456),
		UpdatedAt:     µsTime(2025, 6, 7, 8, 9, 10, 654321),
		ExpiresAt:     µsTime(2027, 1, 2, 3, 4, 5, 123456),
		TransferredAt: µsTime(2025, 3, 4, 5, 6, 7, 1),
		Grace: []registry.Grace{
			{Kind: "addPeriod", Until: µsTime(2025, 1, 7, 3, 4, 5, 123456), Years: 2},
			{Kind: "renewPeriod", Until: µsTime(2025, 6, 12, 0, 0, 0, 0)},
		},
		DeletedAt: µsTime(2025, 7, 1, 0, 0, 0, 999999),
		PurgeAt:   µsTime(2025, 8, 5, 0, 0, 0, 0),
		Transfer: &registry.Transfer{
			Status:      registry.TransferPending,
			GainingClID: "other",
			RequestedAt: µsTime(2025, 3, 1, 0, 0, 0, 0),
			LosingClID:  "acme",
			ActBy:       µsTime(2025, 3, 6, 0, 0, 0, 0),
			Years:       1,
			NewExpiry:   µsTime(2028, 1, 2, 3, 4, 5, 123456),
		},
		NextEventAt: µsTime(2025, 3, 6, 0, 0, 0, 0).Add(500 * time.Nanosecond), // beyond what is kept
	}
	createDomain(t, s, full)
	checkROID(t, full.ROID, "D")
	checkNormalised(t, "created domain", full)

	bare := &registry.Domain{Name: "bare.se", SponsorClID: "other"}
	createDomain(t, s, bare)
	checkROID(t, bare.ROID, "D")
	if bare.ROID == full.ROID {
		t.Errorf("two domains have ROID %q", bare.ROID)
	}

	// Contacts come back ordered by type and ID, each once; name servers in
	// the order given, each once.
	want := *full
	want.Contacts = []registry.DomainContact{
		{Type: "admin", ID: "a"}, {Type: "billing", ID: "c"}, {Type: "tech", ID: "a"}, {Type: "tech", ID: "b"},
	}
	want.NS = []string{"ns2.example.net", "ns1.example.net", "ns3.example.net"}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, w := range []*registry.Domain{&want, bare} {
			got, err := tx.Domain(ctx, w.Name)
			if err != nil {
				return err
			}
			checkObject(t, "Domain "+w.Name, got, w)
			got, err = tx.LockDomain(ctx, w.Name)
			if err != nil {
				return err
			}
			checkObject(t, "LockDomain "+w.Name, got, w)
		}
		return nil
	})
	if got := readDomain(t, s, "bare.se"); got.Registrant != "" || got.Contacts != nil || got.NS != nil ||
		!got.ExpiresAt.IsZero() || !got.NextEventAt.IsZero() || !got.DeletedAt.IsZero() ||
		got.Grace != nil || got.Transfer != nil || got.DS != nil {
		t.Errorf("bare domain came back with %+v", *got)
	}
	if got := readDomain(t, s, "example.se"); got.NextEventAt.IsZero() || got.AuthInfo != "2fooBAR<&>" ||
		got.Registrant != "reg" || len(got.Grace) != 2 || got.Grace[0].Years != 2 {
		t.Errorf("full domain came back with %+v", *got)
	}
}

func testDomainUpdate(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	d := newDomain("example.se", "acme")
	d.Registrant = "reg"
	d.Contacts = []registry.DomainContact{{Type: "admin", ID: "a"}, {Type: "tech", ID: "b"}}
	d.NS = []string{"ns1.example.net", "ns2.example.net"}
	d.NextEventAt = µsTime(2026, 5, 1, 0, 0, 0, 0)
	createDomain(t, s, d)
	roid, created, creator := d.ROID, d.CreatedAt, d.CreatorClID

	u := newDomain("example.se", "other")
	u.ROID = roid
	u.Registrant = "a"
	u.Contacts = []registry.DomainContact{{Type: "tech", ID: "reg"}}
	u.NS = []string{"ns3.example.net", "ns1.example.net"}
	u.AuthInfo = "newPW"
	u.Statuses = []string{"clientHold"}
	u.DS = []registry.DSData{{KeyTag: 1, Alg: 8, DigestType: 2, Digest: "AA"}}
	u.UpdaterClID = "other"
	u.UpdatedAt = µsTime(2026, 2, 3, 4, 5, 6, 7)
	u.ExpiresAt = µsTime(2029, 1, 2, 3, 4, 5, 6)
	u.TransferredAt = µsTime(2026, 2, 3, 0, 0, 0, 0)
	u.Grace = []registry.Grace{{Kind: "transferPeriod", Until: µsTime(2026, 2, 8, 0, 0, 0, 0), Years: 1}}
	u.DeletedAt = µsTime(2026, 2, 3, 0, 0, 0, 1)
	u.PurgeAt = µsTime(2026, 3, 10, 0, 0, 0, 1)
	u.NextEventAt = time.Time{}           // never
	u.CreatorClID = "other"               // not mutable
	u.CreatedAt = created.Add(-time.Hour) // not mutable
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateDomain(ctx, u) })
	if u.ROID != roid || u.CreatorClID != creator || !u.CreatedAt.Equal(created) {
		t.Errorf("UpdateDomain left ROID %q, CreatorClID %q, CreatedAt %v; want the stored %q, %q, %v",
			u.ROID, u.CreatorClID, u.CreatedAt, roid, creator, created)
	}
	u.CreatorClID, u.CreatedAt = creator, created
	checkObject(t, "updated domain", readDomain(t, s, "example.se"), u)

	// b is no longer linked; reg and a are, in other roles.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for id, want := range map[string]bool{"reg": true, "a": true, "b": false, "c": false} {
			got, err := tx.ContactLinked(ctx, id)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("ContactLinked(%s) after update = %v, want %v", id, got, want)
			}
		}
		// Only a is a registrant now; reg is the tech contact.
		for id, want := range map[string]bool{"a": true, "reg": false, "b": false, "nosuch": false} {
			got, err := tx.ContactIsRegistrant(ctx, id)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("ContactIsRegistrant(%s) after update = %v, want %v", id, got, want)
			}
		}
		return tx.DeleteContact(ctx, "b")
	})

	// A missing reference, or a role that is none, changes nothing.
	for _, c := range []struct {
		what   string
		change func(d *registry.Domain)
		kind   registry.Kind
		reason string
	}{
		{"missing name server", func(d *registry.Domain) { d.NS = append(d.NS, "ns.missing.net") },
			registry.KindNotFound, `host "ns.missing.net"`},
		{"missing registrant", func(d *registry.Domain) { d.Registrant = "nobody" },
			registry.KindNotFound, `contact "nobody"`},
		{"missing tech contact", func(d *registry.Domain) {
			d.Contacts = []registry.DomainContact{{Type: "admin", ID: "c"}, {Type: "tech", ID: "nobody"}}
		}, registry.KindNotFound, `contact "nobody"`},
		{"deleted contact", func(d *registry.Domain) { d.Contacts = []registry.DomainContact{{Type: "admin", ID: "b"}} },
			registry.KindNotFound, `contact "b"`},
		{"missing sponsor", func(d *registry.Domain) { d.SponsorClID = "nobody" },
			registry.KindNotFound, `"nobody"`},
		{"bad contact type", func(d *registry.Domain) { d.Contacts = []registry.DomainContact{{Type: "owner", ID: "c"}} },
			registry.KindInvalid, `"owner"`},
	} {
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			bad := *u
			bad.NS = slices.Clone(u.NS)
			bad.Statuses = []string{"changed"}
			c.change(&bad)
			wantReason(t, tx.UpdateDomain(ctx, &bad), c.kind, "UpdateDomain with a "+c.what, c.reason)
			got, err := tx.Domain(ctx, "example.se")
			if err != nil {
				return err
			}
			checkObject(t, "domain after UpdateDomain with a "+c.what, got, u)
			return nil
		})
	}

	// Without a ROID the domain is found by name; with a ROID that is not
	// the domain's, not at all.
	u.ROID = ""
	u.NS = nil
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateDomain(ctx, u) })
	if u.ROID != roid {
		t.Errorf("UpdateDomain by name set ROID %q, want %q", u.ROID, roid)
	}
	checkObject(t, "domain updated by name", readDomain(t, s, "example.se"), u)
	other := newDomain("other.se", "acme")
	createDomain(t, s, other)
	wrong := *u
	wrong.ROID = other.ROID
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateDomain(ctx, &wrong) })
	wantReason(t, err, registry.KindNotFound, "UpdateDomain with another domain's ROID", `domain "example.se"`)
}

func testDomainExists(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	first := newDomain("example.se", "acme")
	createDomain(t, s, first)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		d := newDomain("example.se", "other")
		d.Registrant = "a"
		d.NS = []string{"ns1.example.net"}
		err := tx.CreateDomain(ctx, d, roidSuffix)
		wantReason(t, err, registry.KindExists, "second CreateDomain", `domain "example.se"`)
		// Nothing of the refused creation is left: a is not linked.
		if linked, err := tx.ContactLinked(ctx, "a"); err != nil || linked {
			t.Errorf("after a refused creation ContactLinked = %v, %v", linked, err)
		}
		return tx.CreateDomain(ctx, newDomain("example2.se", "other"), roidSuffix)
	})
	if got := readDomain(t, s, "example.se"); got.SponsorClID != "acme" || got.ROID != first.ROID || got.Registrant != "" {
		t.Errorf("domain changed by a refused creation: %+v", *got)
	}
}

func testDomainReferences(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	for _, c := range []struct {
		what   string
		change func(d *registry.Domain)
		reason string
	}{
		{"missing registrant", func(d *registry.Domain) { d.Registrant = "nobody" }, `contact "nobody"`},
		{"missing admin", func(d *registry.Domain) {
			d.Contacts = append(d.Contacts, registry.DomainContact{Type: "admin", ID: "sh8013"})
		}, `contact "sh8013"`},
		{"missing name server", func(d *registry.Domain) { d.NS = append(d.NS, "ns1.example.se") }, `host "ns1.example.se"`},
		{"missing sponsor", func(d *registry.Domain) { d.SponsorClID = "nobody" }, `"nobody"`},
	} {
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			d := newDomain("example.se", "acme")
			d.Registrant = "reg"
			d.Contacts = []registry.DomainContact{{Type: "tech", ID: "a"}}
			d.NS = []string{"ns1.example.net"}
			c.change(d)
			wantReason(t, tx.CreateDomain(ctx, d, roidSuffix), registry.KindNotFound, "CreateDomain with a "+c.what, c.reason)
			// Nothing written, and the transaction usable.
			_, err := tx.Domain(ctx, "example.se")
			wantKind(t, err, registry.KindNotFound, "Domain after CreateDomain with a "+c.what)
			for _, id := range []string{"reg", "a"} {
				if linked, err := tx.ContactLinked(ctx, id); err != nil || linked {
					t.Errorf("%s: ContactLinked(%s) = %v, %v", c.what, id, linked, err)
				}
			}
			if linked, err := tx.HostLinked(ctx, "ns1.example.net"); err != nil || linked {
				t.Errorf("%s: HostLinked = %v, %v", c.what, linked, err)
			}
			return nil
		})
	}
	createDomain(t, s, newDomain("example.se", "acme"))
}

func testDomainNotFound(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	ctx := t.Context()
	missing := newDomain("missing.se", "acme")
	for _, c := range []struct {
		what string
		fn   func(tx registry.Tx) error
	}{
		{"Domain", func(tx registry.Tx) error { _, err := tx.Domain(ctx, "missing.se"); return err }},
		{"LockDomain", func(tx registry.Tx) error { _, err := tx.LockDomain(ctx, "missing.se"); return err }},
		{"UpdateDomain", func(tx registry.Tx) error { return tx.UpdateDomain(ctx, missing) }},
		{"PurgeDomain", func(tx registry.Tx) error { return tx.PurgeDomain(ctx, "missing.se") }},
	} {
		err := s.Tx(ctx, c.fn)
		wantReason(t, err, registry.KindNotFound, c.what, `domain "missing.se"`)
	}
	// Names match exactly.
	createDomain(t, s, newDomain("example.se", "acme"))
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { _, err := tx.Domain(ctx, "EXAMPLE.SE"); return err })
	wantKind(t, err, registry.KindNotFound, "Domain in another case")
}

func testDeleteLinkedContact(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	d := newDomain("example.se", "acme")
	d.Registrant = "reg"
	d.Contacts = []registry.DomainContact{{Type: "billing", ID: "a"}}
	createDomain(t, s, d)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, id := range []string{"reg", "a"} {
			linked, err := tx.ContactLinked(ctx, id)
			if err != nil {
				return err
			}
			if !linked {
				t.Errorf("ContactLinked(%s) = false for a contact of a domain", id)
			}
			err = tx.DeleteContact(ctx, id)
			wantReason(t, err, registry.KindLinked, "DeleteContact of a linked contact", `contact "`+id+`"`)
		}
		// Refusals leave the transaction usable.
		return tx.DeleteContact(ctx, "b")
	})
	readContact(t, s, "reg")
	readContact(t, s, "a")

	// Unlinked, they may go.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "example.se")
		if err != nil {
			return err
		}
		d.Registrant, d.Contacts = "", nil
		if err := tx.UpdateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.DeleteContact(ctx, "reg"); err != nil {
			return err
		}
		return tx.DeleteContact(ctx, "a")
	})
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { _, err := tx.Contact(ctx, "a"); return err })
	wantKind(t, err, registry.KindNotFound, "Contact after DeleteContact")
}

func testPurgeDomain(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	d := newDomain("example.se", "acme")
	d.Registrant = "reg"
	d.Contacts = []registry.DomainContact{{Type: "admin", ID: "a"}}
	d.NS = []string{"ns1.example.net"}
	createDomain(t, s, d)
	createHost(t, s, newHost("ns1.example.se", "acme", "example.se", "192.0.2.1"))
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.PurgeDomain(ctx, "example.se")
		wantReason(t, err, registry.KindLinked, "PurgeDomain with a subordinate host", `"example.se"`, "ns1.example.se")
		_, err = tx.Domain(ctx, "example.se")
		return err
	})

	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		if err := tx.DeleteHost(ctx, "ns1.example.se"); err != nil {
			return err
		}
		return tx.PurgeDomain(ctx, "example.se")
	})
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.Domain(ctx, "example.se")
		wantKind(t, err, registry.KindNotFound, "Domain after PurgeDomain")
		err = tx.PurgeDomain(ctx, "example.se")
		wantKind(t, err, registry.KindNotFound, "second PurgeDomain")
		// Its links went with it.
		for _, id := range []string{"reg", "a"} {
			if linked, err := tx.ContactLinked(ctx, id); err != nil || linked {
				t.Errorf("ContactLinked(%s) after purge = %v, %v", id, linked, err)
			}
		}
		if linked, err := tx.HostLinked(ctx, "ns1.example.net"); err != nil || linked {
			t.Errorf("HostLinked after purge = %v, %v", linked, err)
		}
		if err := tx.DeleteContact(ctx, "reg"); err != nil {
			return err
		}
		return tx.DeleteHost(ctx, "ns1.example.net")
	})

	// The name is free; the new domain has a new ROID.
	again := newDomain("example.se", "other")
	again.Registrant = "a"
	createDomain(t, s, again)
	if again.ROID == d.ROID {
		t.Errorf("re-created domain reused ROID %q", d.ROID)
	}
	if got := readDomain(t, s, "example.se"); got.ROID != again.ROID || got.SponsorClID != "other" ||
		got.Registrant != "a" || got.Contacts != nil || got.NS != nil {
		t.Errorf("re-created domain = %+v", *got)
	}
}

func testDomainsDue(t *testing.T, s registry.Store) {
	objects(t, s)
	t0 := µsTime(2026, 4, 5, 6, 7, 8, 9)
	for _, c := range []struct {
		name string
		at   time.Time
	}{
		{"c.se", t0.Add(3 * time.Second)},
		{"b.se", t0.Add(time.Second)},
		{"never.se", time.Time{}},
		{"a.se", t0.Add(time.Second)},
		{"late.se", t0.Add(time.Hour)},
		{"early.se", t0.Add(-time.Hour)},
		{"moved.se", t0.Add(-2 * time.Hour)},
	} {
		d := newDomain(c.name, "acme")
		d.NextEventAt = c.at
		createDomain(t, s, d)
	}
	// An update moves a domain's event.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "moved.se")
		if err != nil {
			return err
		}
		d.NextEventAt = t0.Add(2 * time.Second)
		return tx.UpdateDomain(ctx, d)
	})
	for _, c := range []struct {
		at    time.Time
		limit int
		want  []string
	}{
		{t0.Add(5 * time.Second), 100, []string{"early.se", "a.se", "b.se", "moved.se", "c.se"}},
		{t0.Add(5 * time.Second), 2, []string{"early.se", "a.se"}},
		{t0.Add(time.Second), 100, []string{"early.se", "a.se", "b.se"}},
		{t0.Add(time.Second - time.Microsecond), 100, []string{"early.se"}},
		{t0.Add(time.Second).In(time.UTC), 100, []string{"early.se", "a.se", "b.se"}},
		{t0.Add(-2 * time.Hour), 100, nil},
		{t0.Add(24 * time.Hour), 100, []string{"early.se", "a.se", "b.se", "moved.se", "c.se", "late.se"}},
		{t0.Add(24 * time.Hour), 0, nil},
	} {
		var got []string
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			got, err = tx.DomainsDue(ctx, c.at, c.limit)
			return err
		})
		if !slices.Equal(got, c.want) {
			t.Errorf("DomainsDue(%v, %d) = %q, want %q", c.at, c.limit, got, c.want)
		}
	}
}

func testConcurrentCreateDomain(t *testing.T, s registry.Store) {
	domainFixture(t, s)
	const n = 8
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				d := newDomain("example.se", "acme")
				d.Registrant = "reg"
				d.Contacts = []registry.DomainContact{{Type: "tech", ID: "a"}}
				d.NS = []string{"ns1.example.net", "ns2.example.net"}
				d.Statuses = []string{fmt.Sprint(i)}
				return tx.CreateDomain(ctx, d, roidSuffix)
			})
		})
	}
	close(start)
	wg.Wait()
	ok := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if ok >= 0 {
				t.Errorf("goroutines %d and %d both created the domain", ok, i)
			}
			ok = i
		case registry.IsKind(err, registry.KindExists):
		default:
			t.Errorf("goroutine %d: %v error %v, want success or exists", i, registry.ErrorKind(err), err)
		}
	}
	if ok < 0 {
		t.Fatal("no concurrent creation succeeded")
	}
	got := readDomain(t, s, "example.se")
	if !slices.Equal(got.Statuses, []string{fmt.Sprint(ok)}) || len(got.NS) != 2 || len(got.Contacts) != 1 {
		t.Errorf("domain = %+v, want the one goroutine %d created", *got, ok)
	}
}

func testLockDomain(t *testing.T, s registry.Store) {
	objects(t, s)
	createDomain(t, s, newDomain("example.se", "acme"))
	lockedIncrements(t, s, func(ctx context.Context, tx registry.Tx, i int) error {
		d, err := tx.LockDomain(ctx, "example.se")
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
		d.Statuses = append(d.Statuses, fmt.Sprint(i))
		d.ExpiresAt = d.ExpiresAt.AddDate(1, 0, 0)
		return tx.UpdateDomain(ctx, d)
	})
	got := readDomain(t, s, "example.se")
	if len(got.Statuses) != lockers {
		t.Errorf("after %d locked updates Statuses = %q: updates were lost", lockers, got.Statuses)
	}
	if want := µsTime(2027+lockers, 1, 2, 3, 4, 5, 6); !got.ExpiresAt.Equal(want) {
		t.Errorf("after %d locked renewals ExpiresAt = %v, want %v", lockers, got.ExpiresAt, want)
	}
}

func testLockHost(t *testing.T, s registry.Store) {
	objects(t, s)
	createHost(t, s, newHost("ns.example.net", "acme", ""))
	lockedIncrements(t, s, func(ctx context.Context, tx registry.Tx, i int) error {
		h, err := tx.LockHost(ctx, "ns.example.net")
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
		h.Statuses = append(h.Statuses, fmt.Sprint(i))
		return tx.UpdateHost(ctx, h)
	})
	if got := readHost(t, s, "ns.example.net"); len(got.Statuses) != lockers {
		t.Errorf("after %d locked updates Statuses = %q: updates were lost", lockers, got.Statuses)
	}
}

// testConcurrentLinkAndDelete races domain creations that refer to a
// contact against the contact's deletion: each must either win or lose
// with a clear kind, never fail otherwise, and never both win.
func testConcurrentLinkAndDelete(t *testing.T, s registry.Store) {
	objects(t, s)
	const rounds, creators = 10, 4
	for r := range rounds {
		id := fmt.Sprintf("reg%d", r)
		createContact(t, s, newContact(id, "acme"))
		start := make(chan struct{})
		errs := make([]error, creators+1)
		var wg sync.WaitGroup
		for i := range creators + 1 {
			wg.Go(func() {
				<-start
				errs[i] = txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
					if i == creators {
						return tx.DeleteContact(ctx, id)
					}
					d := newDomain(fmt.Sprintf("d%d-%d.se", r, i), "acme")
					d.Registrant = id
					return tx.CreateDomain(ctx, d, roidSuffix)
				})
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for i, err := range errs[:creators] {
			switch {
			case err == nil:
				created++
			case registry.IsKind(err, registry.KindNotFound):
			default:
				t.Errorf("round %d: creation %d: %v error %v, want success or not found", r, i, registry.ErrorKind(err), err)
			}
		}
		switch err := errs[creators]; {
		case err == nil && created > 0:
			t.Errorf("round %d: contact deleted, yet %d domains refer to it", r, created)
		case err != nil && !registry.IsKind(err, registry.KindLinked):
			t.Errorf("round %d: deletion: %v error %v, want success or linked", r, registry.ErrorKind(err), err)
		case err != nil && created == 0:
			t.Errorf("round %d: deletion refused as linked, yet no domain was created", r)
		}
	}
}
