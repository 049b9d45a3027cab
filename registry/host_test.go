package registry_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// hostStores runs fn with a fresh SQLite store and a fresh PostgreSQL one
// (skipped loudly when PostgreSQL is absent).
func hostStores(t *testing.T, fn func(t *testing.T, st registry.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.OpenPostgres(t)) })
}

// hostClock is a settable clock.
type hostClock struct{ now time.Time }

func (c *hostClock) Now() time.Time { return c.now }

// hostService returns a service over st with resellers acme and other,
// and the domains acme.se and acme.nu (acme's) and other.se (other's).
func hostService(t *testing.T, st registry.Store) (*registry.Service, *hostClock) {
	t.Helper()
	clock := &hostClock{now: time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)}
	svc := registry.NewService(st, clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	ctx := context.Background()
	for _, clID := range []string{"acme", "other"} {
		_, err := svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID + " AB", Password: clID + "-secret-1"})
		require.NoError(t, err)
	}
	hostTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		for _, clID := range []string{"acme", "other"} {
			if err := tx.CreateContact(ctx, &registry.Contact{
				ID: "holder-" + clID, SponsorClID: clID, CreatorClID: clID,
				Postal:    []registry.PostalInfo{{Type: "int", Name: "Holder", City: "Stockholm", CC: "SE"}},
				Email:     "holder@example.se",
				CreatedAt: clock.now,
			}, "EPPD"); err != nil {
				return err
			}
		}
		for name, clID := range map[string]string{"acme.se": "acme", "acme.nu": "acme", "other.se": "other"} {
			if err := tx.CreateDomain(ctx, &registry.Domain{
				Name: name, SponsorClID: clID, CreatorClID: clID, Registrant: "holder-" + clID,
				CreatedAt: clock.now, ExpiresAt: clock.now.AddDate(1, 0, 0),
			}, "EPPD"); err != nil {
				return err
			}
		}
		return nil
	})
	return svc, clock
}

func hostTx(t *testing.T, svc *registry.Service, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	require.NoError(t, svc.Store().Tx(context.Background(), func(tx registry.Tx) error { return fn(context.Background(), tx) }))
}

func hostActor(clID string) registry.Actor {
	return registry.Actor{Name: registry.ResellerActor(clID), ClID: clID, SessionID: "S-1", ClTRID: "c-1", SvTRID: "T-1"}
}

func hostAddrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func hostWantKind(t *testing.T, err error, kind registry.Kind, what string) {
	t.Helper()
	require.Error(t, err, what)
	assert.Equal(t, kind, registry.ErrorKind(err), "%s: %v", what, err)
}

// hostDelegate makes domain delegate to the hosts.
func hostDelegate(t *testing.T, svc *registry.Service, domain string, hosts ...string) {
	t.Helper()
	hostTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, domain)
		if err != nil {
			return err
		}
		d.NS = append(d.NS, hosts...)
		return tx.UpdateDomain(ctx, d)
	})
}

func TestHostAddressPolicy(t *testing.T) {
	svc, _ := hostService(t, sqltest.OpenSQLite(t))
	ctx := context.Background()
	acme := hostActor("acme")
	cases := []struct {
		addr string
		kind registry.Kind // 0: accepted
	}{
		{"192.0.2.1", 0},
		{"10.1.2.3", 0},
		{"2001:db8::1", 0},
		{"2a00:801::53", 0},
		{"0.0.0.0", registry.KindPolicy},
		{"0.1.2.3", registry.KindPolicy},
		{"::", registry.KindPolicy},
		{"127.0.0.1", registry.KindPolicy},
		{"127.255.0.1", registry.KindPolicy},
		{"::1", registry.KindPolicy},
		{"224.0.0.5", registry.KindPolicy},
		{"239.255.255.250", registry.KindPolicy},
		{"ff05::2", registry.KindPolicy},
		{"169.254.0.1", registry.KindPolicy},
		{"fe80::1", registry.KindPolicy},
		{"255.255.255.255", registry.KindPolicy},
		{"::ffff:192.0.2.1", registry.KindPolicy},
		{"fe80::1%eth0", registry.KindInvalid},
	}
	for i, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			name := "ns" + string(rune('a'+i)) + ".acme.se"
			h, err := svc.CreateHost(ctx, acme, name, hostAddrs(tc.addr))
			if tc.kind == 0 {
				require.NoError(t, err)
				assert.Equal(t, hostAddrs(tc.addr), h.Addrs)
				return
			}
			hostWantKind(t, err, tc.kind, tc.addr)
			assert.Contains(t, err.Error(), tc.addr)
		})
	}
	_, err := svc.CreateHost(ctx, acme, "nsz.acme.se", nil)
	hostWantKind(t, err, registry.KindMissing, "no glue")
	_, err = svc.CreateHost(ctx, acme, "nsz.acme.se", hostAddrs("192.0.2.1", "192.0.2.1"))
	hostWantKind(t, err, registry.KindPolicy, "duplicate")
	_, err = svc.CreateHost(ctx, registry.Operator, "nsz.example.com", nil)
	hostWantKind(t, err, registry.KindForbidden, "operator create")
}

func TestHostService(t *testing.T) {
	hostStores(t, func(t *testing.T, st registry.Store) {
		svc, clock := hostService(t, st)
		ctx := context.Background()
		acme, other := hostActor("acme"), hostActor("other")

		// Create: names normalised, addresses sorted, history by ROID.
		h, err := svc.CreateHost(ctx, acme, "NS1.Acme.SE.", hostAddrs("2001:db8::1", "192.0.2.1"))
		require.NoError(t, err)
		assert.Equal(t, "ns1.acme.se", h.Name)
		assert.Equal(t, "acme.se", h.Superordinate)
		assert.Equal(t, hostAddrs("192.0.2.1", "2001:db8::1"), h.Addrs)
		assert.Regexp(t, `^H\d+-EPPD$`, h.ROID)
		assert.True(t, h.CreatedAt.Equal(clock.now))
		hist, err := svc.History(ctx, registry.ObjectHost, h.ROID)
		require.NoError(t, err)
		require.Len(t, hist, 1)
		assert.Equal(t, "create", hist[0].Action)
		assert.Equal(t, "reseller:acme", hist[0].Actor)
		assert.Equal(t, "T-1", hist[0].SvTRID)
		var snap registry.Host
		require.NoError(t, json.Unmarshal(hist[0].State, &snap))
		assert.Equal(t, "ns1.acme.se", snap.Name)

		_, err = svc.CreateHost(ctx, acme, "ns1.acme.se", hostAddrs("192.0.2.9"))
		hostWantKind(t, err, registry.KindExists, "taken")
		_, err = svc.CreateHost(ctx, other, "ns2.acme.se", hostAddrs("192.0.2.9"))
		hostWantKind(t, err, registry.KindForbidden, "other's domain")
		_, err = svc.CreateHost(ctx, acme, "ns1.nosuch.se", hostAddrs("192.0.2.9"))
		hostWantKind(t, err, registry.KindNotFound, "no superordinate")
		_, err = svc.CreateHost(ctx, acme, "ns1.example.com", hostAddrs("192.0.2.9"))
		hostWantKind(t, err, registry.KindPolicy, "external with glue")
		_, err = svc.CreateHost(ctx, acme, "ns1.example.com", nil)
		require.NoError(t, err)
		// A deeper name under a registered domain is internal too.
		deep, err := svc.CreateHost(ctx, acme, "a.b.ns.acme.nu", hostAddrs("192.0.2.7"))
		require.NoError(t, err)
		assert.Equal(t, "acme.nu", deep.Superordinate)

		// Check.
		checks, err := svc.CheckHosts(ctx, []string{"ns1.acme.se", "NS1.ACME.SE", "ns9.acme.se", "bad..name"})
		require.NoError(t, err)
		assert.Equal(t, []registry.HostCheck{
			{Name: "ns1.acme.se", Reason: "in use"},
			{Name: "NS1.ACME.SE", Reason: "in use"},
			{Name: "ns9.acme.se", Avail: true},
			{Name: "bad..name", Reason: "invalid host name"},
		}, checks)
		for _, c := range checks {
			assert.LessOrEqual(t, len(c.Reason), 32, "reasonType allows 32 characters")
		}
		_, err = svc.CheckHosts(ctx, make([]string, 51))
		hostWantKind(t, err, registry.KindPolicy, "too many")

		// Statuses shown.
		_, st1, err := svc.HostInfo(ctx, "ns1.acme.se")
		require.NoError(t, err)
		assert.Equal(t, []string{"ok"}, st1)
		hostDelegate(t, svc, "other.se", "ns1.acme.se", "ns1.example.com")
		_, st1, err = svc.HostInfo(ctx, "ns1.acme.se")
		require.NoError(t, err)
		assert.Equal(t, []string{"linked"}, st1)

		// Update by the sponsor.
		clock.now = clock.now.Add(time.Hour)
		h, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{
			AddAddrs: hostAddrs("192.0.2.2"), RemAddrs: hostAddrs("2001:db8::1"),
			AddStatuses: []string{registry.StatusClientDeleteProhibited},
		})
		require.NoError(t, err)
		assert.Equal(t, hostAddrs("192.0.2.1", "192.0.2.2"), h.Addrs)
		assert.Equal(t, "acme", h.UpdaterClID)
		assert.True(t, h.UpdatedAt.Equal(clock.now))
		_, err = svc.UpdateHost(ctx, other, "ns1.acme.se", registry.HostChange{AddStatuses: []string{registry.StatusClientUpdateProhibited}})
		hostWantKind(t, err, registry.KindForbidden, "not sponsor")
		_, err = svc.UpdateHost(ctx, acme, "ns9.acme.se", registry.HostChange{AddStatuses: []string{registry.StatusClientUpdateProhibited}})
		hostWantKind(t, err, registry.KindNotFound, "no host")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{})
		hostWantKind(t, err, registry.KindMissing, "empty update")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{RemAddrs: hostAddrs("192.0.2.1", "192.0.2.2")})
		hostWantKind(t, err, registry.KindPolicy, "last glue of a linked host")
		_, err = svc.UpdateHost(ctx, acme, "ns1.example.com", registry.HostChange{AddAddrs: hostAddrs("192.0.2.1")})
		hostWantKind(t, err, registry.KindPolicy, "glue on an external host")

		// Rename: an external host other resellers use stays; internal
		// hosts move with their links.
		_, err = svc.UpdateHost(ctx, acme, "ns1.example.com", registry.HostChange{NewName: "ns1.example.net"})
		hostWantKind(t, err, registry.KindLinked, "rename of an external host others use")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{NewName: "ns1.other.se"})
		hostWantKind(t, err, registry.KindForbidden, "rename into other's domain")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{NewName: "ns1.nosuch.se"})
		hostWantKind(t, err, registry.KindNotFound, "rename into no domain")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{NewName: "a.b.ns.acme.nu"})
		hostWantKind(t, err, registry.KindExists, "rename onto a taken name")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{NewName: "ns1.acme.example", AddAddrs: hostAddrs("192.0.2.8")})
		hostWantKind(t, err, registry.KindPolicy, "rename out adding glue")
		h, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{NewName: "ns1.acme.nu"})
		require.NoError(t, err)
		assert.Equal(t, "acme.nu", h.Superordinate)
		hostTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.Domain(ctx, "other.se")
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"ns1.acme.nu", "ns1.example.com"}, d.NS)
			subs, err := tx.SubordinateHosts(ctx, "acme.nu")
			require.NoError(t, err)
			assert.Equal(t, []string{"a.b.ns.acme.nu", "ns1.acme.nu"}, subs)
			return nil
		})
		hist, err = svc.History(ctx, registry.ObjectHost, h.ROID)
		require.NoError(t, err)
		assert.Len(t, hist, 3, "create, update, rename under one key")

		// Out of the registry and back: the glue goes, and must come
		// back with the return.
		h, err = svc.CreateHost(ctx, acme, "ns5.acme.se", hostAddrs("192.0.2.5"))
		require.NoError(t, err)
		h, err = svc.UpdateHost(ctx, acme, "ns5.acme.se", registry.HostChange{NewName: "ns5.example.org"})
		require.NoError(t, err)
		assert.Empty(t, h.Addrs)
		assert.Empty(t, h.Superordinate)
		_, err = svc.UpdateHost(ctx, acme, "ns5.example.org", registry.HostChange{NewName: "ns5.acme.se"})
		hostWantKind(t, err, registry.KindMissing, "rename in without glue")
		h, err = svc.UpdateHost(ctx, acme, "ns5.example.org", registry.HostChange{NewName: "ns5.acme.se", AddAddrs: hostAddrs("192.0.2.5")})
		require.NoError(t, err)
		assert.Equal(t, "acme.se", h.Superordinate)
		require.NoError(t, svc.DeleteHost(ctx, acme, "ns5.acme.se"))

		// Delete.
		hostWantKind(t, svc.DeleteHost(ctx, acme, "ns1.acme.nu"), registry.KindStatusProhibits, "clientDeleteProhibited")
		_, err = svc.UpdateHost(ctx, acme, "ns1.acme.nu", registry.HostChange{RemStatuses: []string{registry.StatusClientDeleteProhibited}})
		require.NoError(t, err)
		hostWantKind(t, svc.DeleteHost(ctx, other, "ns1.acme.nu"), registry.KindForbidden, "not sponsor")
		hostWantKind(t, svc.DeleteHost(ctx, acme, "ns1.acme.nu"), registry.KindLinked, "linked")
		require.NoError(t, svc.DeleteHost(ctx, acme, "a.b.ns.acme.nu"))
		hostWantKind(t, svc.DeleteHost(ctx, acme, "a.b.ns.acme.nu"), registry.KindNotFound, "gone")
		hist, err = svc.History(ctx, registry.ObjectHost, deep.ROID)
		require.NoError(t, err)
		assert.Equal(t, "delete", hist[len(hist)-1].Action)
	})
}

func TestHostStatusRules(t *testing.T) {
	svc, _ := hostService(t, sqltest.OpenSQLite(t))
	ctx := context.Background()
	acme := hostActor("acme")
	_, err := svc.CreateHost(ctx, acme, "ns1.acme.se", hostAddrs("192.0.2.1"))
	require.NoError(t, err)
	upd := func(a registry.Actor, c registry.HostChange) error {
		_, err := svc.UpdateHost(ctx, a, "ns1.acme.se", c)
		return err
	}
	hostWantKind(t, upd(acme, registry.HostChange{AddStatuses: []string{"serverUpdateProhibited"}}), registry.KindPolicy, "server status")
	hostWantKind(t, upd(acme, registry.HostChange{AddStatuses: []string{"linked"}}), registry.KindPolicy, "derived")
	hostWantKind(t, upd(acme, registry.HostChange{AddStatuses: []string{"clientHold"}}), registry.KindInvalid, "domain status")
	hostWantKind(t, upd(acme, registry.HostChange{AddStatuses: []string{"nonsense"}}), registry.KindInvalid, "unknown")

	require.NoError(t, upd(registry.Operator, registry.HostChange{AddStatuses: []string{"serverUpdateProhibited"}}))
	h, _, err := svc.HostInfo(ctx, "ns1.acme.se")
	require.NoError(t, err)
	assert.Empty(t, h.UpdaterClID, "the operator leaves no upID")
	hostWantKind(t, upd(acme, registry.HostChange{AddStatuses: []string{"clientUpdateProhibited"}}), registry.KindStatusProhibits, "serverUpdateProhibited")
	hostWantKind(t, upd(registry.Operator, registry.HostChange{AddAddrs: hostAddrs("192.0.2.2")}), registry.KindStatusProhibits, "the operator too")
	require.NoError(t, upd(registry.Operator, registry.HostChange{RemStatuses: []string{"serverUpdateProhibited"}}))

	require.NoError(t, upd(acme, registry.HostChange{AddStatuses: []string{"clientUpdateProhibited"}}))
	hostWantKind(t, upd(acme, registry.HostChange{AddAddrs: hostAddrs("192.0.2.2")}), registry.KindStatusProhibits, "clientUpdateProhibited")
	hostWantKind(t, upd(acme, registry.HostChange{RemStatuses: []string{"clientUpdateProhibited"}, AddAddrs: hostAddrs("192.0.2.2")}),
		registry.KindStatusProhibits, "removal with other changes")
	require.NoError(t, upd(acme, registry.HostChange{RemStatuses: []string{"clientUpdateProhibited"}, AddStatuses: []string{"clientDeleteProhibited"}}))
	_, statuses, err := svc.HostInfo(ctx, "ns1.acme.se")
	require.NoError(t, err)
	assert.Equal(t, []string{"clientDeleteProhibited"}, statuses)
}

func TestHostPendingWithDomain(t *testing.T) {
	svc, clock := hostService(t, sqltest.OpenSQLite(t))
	ctx := context.Background()
	acme := hostActor("acme")
	_, err := svc.CreateHost(ctx, acme, "ns1.acme.se", hostAddrs("192.0.2.1"))
	require.NoError(t, err)
	hostTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "acme.se")
		if err != nil {
			return err
		}
		d.DeletedAt, d.PurgeAt = clock.now, clock.now.AddDate(0, 0, 30)
		return tx.UpdateDomain(ctx, d)
	})
	_, statuses, err := svc.HostInfo(ctx, "ns1.acme.se")
	require.NoError(t, err)
	assert.Equal(t, []string{"pendingDelete"}, statuses)
	_, err = svc.UpdateHost(ctx, acme, "ns1.acme.se", registry.HostChange{AddAddrs: hostAddrs("192.0.2.2")})
	hostWantKind(t, err, registry.KindStatusProhibits, "update under a deleted domain")
	_, err = svc.CreateHost(ctx, acme, "ns2.acme.se", hostAddrs("192.0.2.2"))
	hostWantKind(t, err, registry.KindStatusProhibits, "create under a deleted domain")
}

func TestHostCheckDelegation(t *testing.T) {
	hostStores(t, func(t *testing.T, st registry.Store) {
		svc, _ := hostService(t, st)
		ctx := context.Background()
		acme, other := hostActor("acme"), hostActor("other")
		for _, c := range []struct {
			a     registry.Actor
			name  string
			addrs []netip.Addr
		}{
			{acme, "ns1.acme.se", hostAddrs("192.0.2.1")},
			{acme, "ns2.acme.se", hostAddrs("192.0.2.2")},
			{other, "ns1.other.se", hostAddrs("192.0.2.3")},
			{other, "ns.example.com", nil},
		} {
			_, err := svc.CreateHost(ctx, c.a, c.name, c.addrs)
			require.NoError(t, err)
		}
		// Glueless internal hosts, one of each reseller's.
		_, err := svc.UpdateHost(ctx, acme, "ns2.acme.se", registry.HostChange{RemAddrs: hostAddrs("192.0.2.2")})
		require.NoError(t, err)
		_, err = svc.UpdateHost(ctx, other, "ns1.other.se", registry.HostChange{RemAddrs: hostAddrs("192.0.2.3")})
		require.NoError(t, err)

		check := func(ns ...string) error {
			var err error
			hostTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
				err = svc.CheckDelegation(ctx, tx, "acme", ns)
				return nil
			})
			return err
		}
		assert.NoError(t, check("ns1.acme.se", "NS.EXAMPLE.COM"), "own glued host and another's external one")
		hostWantKind(t, check("ns9.acme.se"), registry.KindNotFound, "no such host")
		hostWantKind(t, check("ns1.acme.se", "ns2.acme.se"), registry.KindPolicy, "own glueless host")
		err = check("ns1.other.se")
		hostWantKind(t, err, registry.KindPolicy, "another's glueless host (RST epp-27)")
		assert.Contains(t, err.Error(), "another reseller's")
	})
}
