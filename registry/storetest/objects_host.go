package storetest

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

func newHost(name, sponsor, superordinate string, addrs ...string) *registry.Host {
	h := &registry.Host{
		Name:          name,
		SponsorClID:   sponsor,
		CreatorClID:   sponsor,
		Superordinate: superordinate,
		CreatedAt:     µsTime(2026, 1, 2, 3, 4, 5, 6),
	}
	for _, a := range addrs {
		h.Addrs = append(h.Addrs, netip.MustParseAddr(a))
	}
	return h
}

func createHost(t *testing.T, s registry.Store, h *registry.Host) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.CreateHost(ctx, h, roidSuffix) })
}

func readHost(t *testing.T, s registry.Store, name string) *registry.Host {
	t.Helper()
	var h *registry.Host
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		h, err = tx.Host(ctx, name)
		return err
	})
	return h
}

func testHostRoundTrip(t *testing.T, s registry.Store) {
	objects(t, s)
	createDomain(t, s, newDomain("example.se", "acme"))
	internal := &registry.Host{
		Name:        "ns1.example.se",
		SponsorClID: "acme",
		CreatorClID: "other",
		UpdaterClID: "acme",
		Addrs: []netip.Addr{
			netip.MustParseAddr("192.0.2.1"),
			netip.MustParseAddr("2001:db8::53"),
			netip.MustParseAddr("198.51.100.255"),
			netip.MustParseAddr("::ffff:192.0.2.2"),
		},
		Statuses:      []string{"clientUpdateProhibited", "serverDeleteProhibited"},
		Superordinate: "example.se",
		CreatedAt:     µsTime(2025, 1, 2, 3, 4, 5, 123456),
		UpdatedAt:     µsTime(2025, 6, 7, 8, 9, 10, 654321),
		TransferredAt: µsTime(2025, 3, 4, 5, 6, 7, 1),
	}
	createHost(t, s, internal)
	checkROID(t, internal.ROID, "H")
	checkNormalised(t, "created host", internal)
	external := &registry.Host{Name: "ns.example.net", SponsorClID: "other"}
	createHost(t, s, external)
	checkROID(t, external.ROID, "H")
	if external.ROID == internal.ROID {
		t.Errorf("two hosts have ROID %q", external.ROID)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, want := range []*registry.Host{internal, external} {
			got, err := tx.Host(ctx, want.Name)
			if err != nil {
				return err
			}
			checkObject(t, "Host "+want.Name, got, want)
			got, err = tx.LockHost(ctx, want.Name)
			if err != nil {
				return err
			}
			checkObject(t, "LockHost "+want.Name, got, want)
		}
		return nil
	})
	if got := readHost(t, s, "ns.example.net"); got.Addrs != nil || got.Superordinate != "" ||
		!got.CreatedAt.IsZero() || got.Statuses != nil {
		t.Errorf("bare host came back with %+v", *got)
	}
	if got := readHost(t, s, "ns1.example.se"); len(got.Addrs) != 4 || !got.Addrs[1].Is6() || !got.Addrs[0].Is4() ||
		!got.Addrs[3].Is4In6() {
		t.Errorf("host addresses came back as %v", got.Addrs)
	}
}

func testHostUpdate(t *testing.T, s registry.Store) {
	objects(t, s)
	createDomain(t, s, newDomain("example.se", "acme"))
	createDomain(t, s, newDomain("example.nu", "acme"))
	h := newHost("ns1.example.se", "acme", "example.se", "192.0.2.1")
	createHost(t, s, h)
	createHost(t, s, newHost("ns2.example.se", "acme", "example.se", "192.0.2.2"))
	d := newDomain("delegated.se", "other")
	d.NS = []string{"ns2.example.se", "ns1.example.se"}
	createDomain(t, s, d)
	roid, created, creator := h.ROID, h.CreatedAt, h.CreatorClID

	// A rename, with every other mutable field changed.
	u := newHost("ns9.example.nu", "other", "example.nu", "2001:db8::9")
	u.ROID = roid
	u.UpdaterClID = "other"
	u.Statuses = []string{"clientDeleteProhibited"}
	u.UpdatedAt = µsTime(2026, 3, 4, 5, 6, 7, 8)
	u.TransferredAt = µsTime(2026, 3, 4, 0, 0, 0, 0)
	u.CreatorClID = "other"              // not mutable
	u.CreatedAt = created.Add(time.Hour) // not mutable
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateHost(ctx, u) })
	if u.ROID != roid || u.CreatorClID != creator || !u.CreatedAt.Equal(created) {
		t.Errorf("UpdateHost left ROID %q, CreatorClID %q, CreatedAt %v; want the stored %q, %q, %v",
			u.ROID, u.CreatorClID, u.CreatedAt, roid, creator, created)
	}
	u.CreatorClID, u.CreatedAt = creator, created
	checkObject(t, "renamed host", readHost(t, s, "ns9.example.nu"), u)
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { _, err := tx.Host(ctx, "ns1.example.se"); return err })
	wantKind(t, err, registry.KindNotFound, "Host of the old name")

	// The delegating domain shows the new name, in the same place.
	if got := readDomain(t, s, "delegated.se"); !slices.Equal(got.NS, []string{"ns2.example.se", "ns9.example.nu"}) {
		t.Errorf("NS of the delegating domain after the rename = %q", got.NS)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, c := range []struct {
			domain string
			want   []string
		}{{"example.se", []string{"ns2.example.se"}}, {"example.nu", []string{"ns9.example.nu"}}} {
			got, err := tx.SubordinateHosts(ctx, c.domain)
			if err != nil {
				return err
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("SubordinateHosts(%s) after the move = %q, want %q", c.domain, got, c.want)
			}
		}
		return nil
	})

	// Renaming onto a taken name, or under a missing domain, changes
	// nothing and leaves the transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		taken := *u
		taken.Name = "ns2.example.se"
		err := tx.UpdateHost(ctx, &taken)
		wantReason(t, err, registry.KindExists, "rename onto a taken name", `host "ns2.example.se"`)
		orphan := *u
		orphan.Superordinate = "missing.se"
		err = tx.UpdateHost(ctx, &orphan)
		wantReason(t, err, registry.KindNotFound, "UpdateHost under a missing domain", `domain "missing.se"`)
		got, err := tx.Host(ctx, "ns9.example.nu")
		if err != nil {
			return err
		}
		checkObject(t, "host after refused updates", got, u)
		return nil
	})

	// An external host again; without a ROID found by its name.
	u.ROID = ""
	u.Superordinate = ""
	u.Addrs = nil
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.UpdateHost(ctx, u) })
	if u.ROID != roid {
		t.Errorf("UpdateHost by name set ROID %q, want %q", u.ROID, roid)
	}
	checkObject(t, "host made external", readHost(t, s, "ns9.example.nu"), u)
}

func testHostExists(t *testing.T, s registry.Store) {
	objects(t, s)
	first := newHost("ns.example.net", "acme", "")
	createHost(t, s, first)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.CreateHost(ctx, newHost("ns.example.net", "other", ""), roidSuffix)
		wantReason(t, err, registry.KindExists, "second CreateHost", `host "ns.example.net"`)
		return tx.CreateHost(ctx, newHost("ns2.example.net", "other", ""), roidSuffix)
	})
	if got := readHost(t, s, "ns.example.net"); got.SponsorClID != "acme" || got.ROID != first.ROID {
		t.Errorf("host changed by a refused creation: %+v", *got)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteHost(ctx, "ns.example.net") })
	again := newHost("ns.example.net", "other", "")
	createHost(t, s, again)
	if again.ROID == first.ROID {
		t.Errorf("re-created host reused ROID %q", first.ROID)
	}
}

func testHostNotFound(t *testing.T, s registry.Store) {
	objects(t, s)
	ctx := t.Context()
	missing := newHost("ns.missing.net", "acme", "")
	for _, c := range []struct {
		what string
		fn   func(tx registry.Tx) error
	}{
		{"Host", func(tx registry.Tx) error { _, err := tx.Host(ctx, "ns.missing.net"); return err }},
		{"LockHost", func(tx registry.Tx) error { _, err := tx.LockHost(ctx, "ns.missing.net"); return err }},
		{"UpdateHost", func(tx registry.Tx) error { return tx.UpdateHost(ctx, missing) }},
		{"UpdateHost of a missing ROID", func(tx registry.Tx) error {
			m := *missing
			m.ROID = "H999999-" + roidSuffix
			return tx.UpdateHost(ctx, &m)
		}},
		{"DeleteHost", func(tx registry.Tx) error { return tx.DeleteHost(ctx, "ns.missing.net") }},
	} {
		err := s.Tx(ctx, c.fn)
		wantReason(t, err, registry.KindNotFound, c.what, `host "ns.missing.net"`)
	}

	// A host under a missing domain, or by a missing sponsor, is not
	// created.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		err := tx.CreateHost(ctx, newHost("ns1.missing.se", "acme", "missing.se"), roidSuffix)
		wantReason(t, err, registry.KindNotFound, "CreateHost under a missing domain", `domain "missing.se"`)
		err = tx.CreateHost(ctx, newHost("ns1.example.net", "nobody", ""), roidSuffix)
		wantReason(t, err, registry.KindNotFound, "CreateHost by a missing sponsor", `"nobody"`)
		for _, name := range []string{"ns1.missing.se", "ns1.example.net"} {
			_, err = tx.Host(ctx, name)
			wantKind(t, err, registry.KindNotFound, "Host after a refused creation")
		}
		// Lists of nothing are empty, not errors.
		for _, q := range []func() ([]string, error){
			func() ([]string, error) { return tx.HostDelegators(ctx, "ns.missing.net") },
			func() ([]string, error) { return tx.SubordinateHosts(ctx, "missing.se") },
		} {
			if l, err := q(); err != nil || len(l) != 0 {
				t.Errorf("list of nothing = %q, %v", l, err)
			}
		}
		return nil
	})
}

func testHostLinks(t *testing.T, s registry.Store) {
	objects(t, s)
	createDomain(t, s, newDomain("example.se", "acme"))
	for _, name := range []string{"ns2.example.se", "ns1.example.se", "a.example.se"} {
		createHost(t, s, newHost(name, "acme", "example.se", "192.0.2.1"))
	}
	createHost(t, s, newHost("ns.example.net", "other", ""))
	for _, d := range []struct{ name, sponsor string }{
		{"z.se", "other"}, {"b.se", "acme"}, {"c.se", "other"}, {"d.se", "acme"},
	} {
		dom := newDomain(d.name, d.sponsor)
		dom.NS = []string{"ns.example.net", "ns1.example.se"}
		createDomain(t, s, dom)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		subs, err := tx.SubordinateHosts(ctx, "example.se")
		if err != nil {
			return err
		}
		if want := []string{"a.example.se", "ns1.example.se", "ns2.example.se"}; !slices.Equal(subs, want) {
			t.Errorf("SubordinateHosts = %q, want %q", subs, want)
		}
		for _, c := range []struct {
			host       string
			linked     bool
			delegators []string
		}{
			{"ns.example.net", true, []string{"acme", "other"}},
			{"ns1.example.se", true, []string{"acme", "other"}},
			{"ns2.example.se", false, nil},
		} {
			linked, err := tx.HostLinked(ctx, c.host)
			if err != nil {
				return err
			}
			if linked != c.linked {
				t.Errorf("HostLinked(%s) = %v, want %v", c.host, linked, c.linked)
			}
			del, err := tx.HostDelegators(ctx, c.host)
			if err != nil {
				return err
			}
			if !slices.Equal(del, c.delegators) {
				t.Errorf("HostDelegators(%s) = %q, want %q", c.host, del, c.delegators)
			}
		}
		// A refused deletion leaves the transaction usable.
		err = tx.DeleteHost(ctx, "ns1.example.se")
		wantReason(t, err, registry.KindLinked, "DeleteHost of a delegated host", `host "ns1.example.se"`)
		return tx.DeleteHost(ctx, "ns2.example.se")
	})
	readHost(t, s, "ns1.example.se")

	// Once no domain delegates to it, the host may go.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, name := range []string{"z.se", "b.se", "c.se"} {
			d, err := tx.LockDomain(ctx, name)
			if err != nil {
				return err
			}
			d.NS = []string{"ns.example.net"}
			if err := tx.UpdateDomain(ctx, d); err != nil {
				return err
			}
		}
		del, err := tx.HostDelegators(ctx, "ns1.example.se")
		if err != nil {
			return err
		}
		if !slices.Equal(del, []string{"acme"}) {
			t.Errorf("HostDelegators after unlinking three = %q, want [acme]", del)
		}
		return nil
	})
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteHost(ctx, "ns1.example.se") })
	wantKind(t, err, registry.KindLinked, "DeleteHost delegated to by d.se")
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "d.se")
		if err != nil {
			return err
		}
		d.NS = nil
		if err := tx.UpdateDomain(ctx, d); err != nil {
			return err
		}
		if linked, err := tx.HostLinked(ctx, "ns1.example.se"); err != nil || linked {
			t.Errorf("HostLinked of an unlinked host = %v, %v", linked, err)
		}
		return tx.DeleteHost(ctx, "ns1.example.se")
	})
	err = txErr(t, s, func(ctx context.Context, tx registry.Tx) error { _, err := tx.Host(ctx, "ns1.example.se"); return err })
	wantKind(t, err, registry.KindNotFound, "Host after DeleteHost")
}
