package registry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// domainClock is a registry clock that moves only when told to.
type domainClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *domainClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *domainClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *domainClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// domainStores runs fn on SQLite and on PostgreSQL (skipped loudly when
// PostgreSQL is absent).
func domainStores(t *testing.T, fn func(t *testing.T, store registry.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.OpenPostgres(t)) })
}

// domainService is a service over store with resellers acme and other, a
// contact "holder" of acme's and an external host ns1.example.net, its
// clock at start.
func domainService(t *testing.T, store registry.Store, start time.Time) (*registry.Service, *domainClock) {
	t.Helper()
	ctx := context.Background()
	clock := &domainClock{now: start}
	svc := registry.NewService(store, clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	for _, clID := range []string{"acme", "other"} {
		_, err := svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID, Password: clID + "-secret"})
		require.NoError(t, err)
	}
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		if err := tx.CreateContact(ctx, &registry.Contact{
			ID: "holder", SponsorClID: "acme", CreatorClID: "acme", Email: "holder@example.se",
			Postal:   []registry.PostalInfo{{Type: "int", Name: "Holder", City: "Stockholm", CC: "SE"}},
			AuthInfo: "holder-pw", CreatedAt: start,
		}, "EPPD"); err != nil {
			return err
		}
		return tx.CreateHost(ctx, &registry.Host{Name: "ns1.example.net", SponsorClID: "acme", CreatorClID: "acme", CreatedAt: start}, "EPPD")
	})
	return svc, clock
}

func domainTx(t *testing.T, svc *registry.Service, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, svc.Store().Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) }))
}

// domainGet reads a domain from the store; nil when it does not exist.
func domainGet(t *testing.T, svc *registry.Service, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		var err error
		d, err = tx.Domain(ctx, name)
		if registry.IsKind(err, registry.KindNotFound) {
			d = nil
			return nil
		}
		return err
	})
	return d
}

// domainActor is reseller clID acting in a command with the given
// transaction identifiers.
func domainActor(clID, trid string) registry.Actor {
	return registry.Actor{Name: registry.ResellerActor(clID), ClID: clID, SessionID: "S-test", ClTRID: trid, SvTRID: "sv-" + trid}
}

func domainNew(name string) registry.NewDomain {
	return registry.NewDomain{Name: name, Registrant: "holder", NS: []string{"ns1.example.net"}, AuthInfo: "secret-1"}
}

func domainKinds(ds []registry.Grace) []string {
	var out []string
	for _, g := range ds {
		out = append(out, g.Kind)
	}
	return out
}

// domainMessages drains clID's poll queue.
func domainMessages(t *testing.T, svc *registry.Service, clID string) []*registry.PollMessage {
	t.Helper()
	ctx := context.Background()
	a := domainActor(clID, "poll")
	var out []*registry.PollMessage
	q, err := svc.PollRequest(ctx, a)
	require.NoError(t, err)
	for q.First != nil {
		out = append(out, q.First)
		q, err = svc.PollAck(ctx, a, q.First.ID)
		require.NoError(t, err)
	}
	return out
}

// TestDomainLifecycleService runs a domain through create, renew, delete,
// restore, delete and purge on a simulated clock, starting on a leap day.
func TestDomainLifecycleService(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		t0 := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
		svc, clock := domainService(t, store, t0)
		acme := domainActor("acme", "c-1")

		d, err := svc.CreateDomain(ctx, acme, domainNew("Leap.SE."))
		require.NoError(t, err)
		assert.Equal(t, "leap.se", d.Name)
		// 29 February plus a year is 28 February, not 1 March.
		assert.Equal(t, time.Date(2029, 2, 28, 12, 0, 0, 0, time.UTC), d.ExpiresAt.UTC())
		d = domainGet(t, svc, "leap.se")
		assert.Equal(t, []string{registry.GraceAddPeriod}, domainKinds(d.Grace))
		assert.True(t, d.NextEventAt.Equal(t0.Add(5*24*time.Hour)), "next event at the add grace end, got %s", d.NextEventAt)

		_, err = svc.RenewDomain(ctx, acme, "leap.se", time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC), 1)
		assert.True(t, registry.IsKind(err, registry.KindRange), "wrong curExpDate: %v", err)
		d, err = svc.RenewDomain(ctx, acme, "leap.se", time.Date(2029, 2, 28, 0, 0, 0, 0, time.UTC), 1)
		require.NoError(t, err)
		assert.Equal(t, time.Date(2030, 2, 28, 12, 0, 0, 0, time.UTC), d.ExpiresAt.UTC())
		d = domainGet(t, svc, "leap.se")
		assert.Equal(t, []string{registry.GraceRenewPeriod}, domainKinds(d.Grace), "a renew ends the add grace period")

		purged, err := svc.DeleteDomain(ctx, domainActor("acme", "del-1"), "leap.se")
		require.NoError(t, err)
		assert.False(t, purged)
		d = domainGet(t, svc, "leap.se")
		assert.True(t, d.PurgeAt.Equal(t0.Add(60*24*time.Hour)))
		assert.Equal(t, []string{registry.RGPRedemptionPeriod}, svc.RGPStatuses(d, clock.Now()))
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			assert.Equal(t, []string{registry.StatusPendingDelete}, svc.DomainStatuses(ctx, tx, d, clock.Now()))
			return nil
		})
		assert.True(t, d.NextEventAt.Equal(t0.Add(5*24*time.Hour)), "the renew grace period still ends first")

		// The renew grace period ends while the domain is in redemption.
		clock.Advance(6 * 24 * time.Hour)
		n, err := svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		d = domainGet(t, svc, "leap.se")
		assert.Empty(t, d.Grace)
		assert.True(t, d.NextEventAt.Equal(d.PurgeAt))

		_, err = svc.RestoreDomain(ctx, domainActor("other", "r-0"), "leap.se", nil)
		assert.True(t, registry.IsKind(err, registry.KindForbidden), "restore by another reseller: %v", err)
		_, err = svc.RestoreDomain(ctx, domainActor("acme", "r-1"), "leap.se", nil)
		require.NoError(t, err)
		d = domainGet(t, svc, "leap.se")
		assert.True(t, d.DeletedAt.IsZero() && d.PurgeAt.IsZero())
		assert.True(t, d.NextEventAt.Equal(d.ExpiresAt), "a live domain's next event is its expiry")
		_, err = svc.RestoreDomain(ctx, domainActor("acme", "r-2"), "leap.se", nil)
		assert.True(t, registry.IsKind(err, registry.KindStatusProhibits), "restore of a live domain: %v", err)

		purged, err = svc.DeleteDomain(ctx, domainActor("acme", "del-2"), "leap.se")
		require.NoError(t, err)
		assert.False(t, purged)
		clock.Advance(59 * 24 * time.Hour)
		n, err = svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing is due a day before the purge")
		require.NotNil(t, domainGet(t, svc, "leap.se"))
		clock.Advance(24 * time.Hour)
		n, err = svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Nil(t, domainGet(t, svc, "leap.se"), "purged")

		msgs := domainMessages(t, svc, "acme")
		require.Len(t, msgs, 2)
		assert.Contains(t, msgs[0].Msg, "restored")
		assert.Equal(t, registry.PollPAN, msgs[1].Kind)
		pan, err := msgs[1].PANNotice()
		require.NoError(t, err)
		assert.Equal(t, registry.PANNotice{Object: registry.ObjectDomain, Name: "leap.se", Result: true,
			ClTRID: "del-2", SvTRID: "sv-del-2", Date: clock.Now()}, *pan)

		hist, err := svc.History(ctx, registry.ObjectDomain, d.ROID)
		require.NoError(t, err)
		var actions []string
		for _, e := range hist {
			actions = append(actions, e.Action)
		}
		assert.Equal(t, []string{"create", "renew", "delete", "grace-end", "restore", "delete", "purge"}, actions)
		assert.Equal(t, "server", hist[len(hist)-1].Actor)

		d2, err := svc.CreateDomain(ctx, acme, domainNew("leap.se"))
		require.NoError(t, err, "the name is free again")
		assert.NotEqual(t, d.ROID, d2.ROID)
	})
}

// TestDomainAddGraceDelete: a delete within the add grace period removes
// the domain at once, unless hosts are subordinate to it.
func TestDomainAddGraceDelete(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 1, 10, 8, 0, 0, 0, time.UTC)
	svc, _ := domainService(t, sqltest.OpenSQLite(t), t0)
	acme := domainActor("acme", "c")
	_, err := svc.CreateDomain(ctx, acme, domainNew("quick.se"))
	require.NoError(t, err)
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateHost(ctx, &registry.Host{Name: "ns.quick.se", Superordinate: "quick.se", SponsorClID: "acme", CreatorClID: "acme", CreatedAt: t0}, "EPPD")
	})
	_, err = svc.DeleteDomain(ctx, acme, "quick.se")
	assert.True(t, registry.IsKind(err, registry.KindLinked), "subordinate host: %v", err)
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteHost(ctx, "ns.quick.se") })
	purged, err := svc.DeleteDomain(ctx, acme, "quick.se")
	require.NoError(t, err)
	assert.True(t, purged)
	assert.Nil(t, domainGet(t, svc, "quick.se"))
	checks, err := svc.CheckDomains(ctx, []string{"quick.se"})
	require.NoError(t, err)
	assert.True(t, checks[0].Avail)
}

// TestDomainAutoRenew: at expiry the registry renews a domain by a year,
// as of the expiry, and tells the sponsor; the autoRenewPeriod ends on
// time; processing late renews as often as needed.
func TestDomainAutoRenew(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		t0 := time.Date(2027, 5, 2, 9, 30, 0, 0, time.UTC)
		svc, clock := domainService(t, store, t0)
		_, err := svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew("auto.se"))
		require.NoError(t, err)
		_, err = svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew("late.se"))
		require.NoError(t, err)
		exp := time.Date(2028, 5, 2, 9, 30, 0, 0, time.UTC)

		clock.Set(exp.Add(time.Hour))
		// late.se is left for later: its events are processed below.
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.LockDomain(ctx, "late.se")
			if err != nil {
				return err
			}
			d.NextEventAt = time.Time{}
			return tx.UpdateDomain(ctx, d)
		})
		n, err := svc.ProcessDue(ctx, 1) // one at a time: the loop fetches more
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		d := domainGet(t, svc, "auto.se")
		assert.Equal(t, exp.AddDate(1, 0, 0), d.ExpiresAt.UTC())
		require.Len(t, d.Grace, 1)
		assert.Equal(t, registry.Grace{Kind: registry.GraceAutoRenewPeriod, Until: exp.Add(45 * 24 * time.Hour), Years: 1}, registry.Grace{Kind: d.Grace[0].Kind, Until: d.Grace[0].Until.UTC(), Years: d.Grace[0].Years})
		assert.Equal(t, []string{registry.GraceAutoRenewPeriod}, svc.RGPStatuses(d, clock.Now()))
		msgs := domainMessages(t, svc, "acme")
		require.Len(t, msgs, 1)
		assert.Contains(t, msgs[0].Msg, "renewed automatically")

		clock.Set(exp.Add(45 * 24 * time.Hour))
		_, err = svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		d = domainGet(t, svc, "auto.se")
		assert.Empty(t, d.Grace)
		assert.True(t, d.NextEventAt.Equal(d.ExpiresAt))

		// Three years late: renewed three times over, the grace period
		// long past.
		clock.Set(exp.AddDate(2, 1, 0))
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.LockDomain(ctx, "late.se")
			if err != nil {
				return err
			}
			d.NextEventAt = d.ExpiresAt
			return tx.UpdateDomain(ctx, d)
		})
		_, err = svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		d = domainGet(t, svc, "late.se")
		assert.Equal(t, exp.AddDate(3, 0, 0), d.ExpiresAt.UTC())
		assert.Empty(t, d.Grace)
	})
}

// TestDomainRenewConcurrent: renews racing with the same current expiry
// date extend the domain once.
func TestDomainRenewConcurrent(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		t0 := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
		svc, _ := domainService(t, store, t0)
		_, err := svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew("race.se"))
		require.NoError(t, err)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.RenewDomain(ctx, domainActor("acme", "r"), "race.se", t0.AddDate(1, 0, 0), 1)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				assert.True(t, registry.IsKind(err, registry.KindRange), "%v", err)
			}
		}
		assert.Equal(t, 1, ok)
		assert.Equal(t, t0.AddDate(2, 0, 0), domainGet(t, svc, "race.se").ExpiresAt.UTC())
	})
}

// TestDomainRules checks the create and update rules that need no
// protocol.
func TestDomainRules(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	svc, _ := domainService(t, sqltest.OpenSQLite(t), t0)
	acme := domainActor("acme", "c")
	sha256 := "49FD46E6C4B45C55D4AC69CBD3CD344049FD46E6C4B45C55D4AC69CBD3CD3440"
	ds := func(tag uint16, alg, typ uint8, digest string) registry.NewDomain {
		n := domainNew("ds.se")
		n.DS = []registry.DSData{{KeyTag: tag, Alg: alg, DigestType: typ, Digest: digest}}
		return n
	}
	cases := []struct {
		name string
		nd   registry.NewDomain
		kind registry.Kind // 0: created
	}{
		{"invalid name", domainNew("-x.se"), registry.KindInvalid},
		{"unknown TLD", domainNew("x.com"), registry.KindPolicy},
		{"two labels under the TLD", domainNew("a.b.se"), registry.KindPolicy},
		{"period 11", func() registry.NewDomain { n := domainNew("p.se"); n.Years = 11; return n }(), registry.KindRange},
		{"no registrant", func() registry.NewDomain { n := domainNew("r.se"); n.Registrant = ""; return n }(), registry.KindMissing},
		{"unknown registrant", func() registry.NewDomain { n := domainNew("r.se"); n.Registrant = "nobody"; return n }(), registry.KindNotFound},
		{"contact type", func() registry.NewDomain {
			n := domainNew("c.se")
			n.Contacts = []registry.DomainContact{{Type: "owner", ID: "holder"}}
			return n
		}(), registry.KindInvalid},
		{"contact twice", func() registry.NewDomain {
			n := domainNew("c.se")
			n.Contacts = []registry.DomainContact{{Type: "tech", ID: "holder"}, {Type: "tech", ID: "holder"}}
			return n
		}(), registry.KindPolicy},
		{"unknown host", func() registry.NewDomain { n := domainNew("h.se"); n.NS = []string{"ns9.example.net"}; return n }(), registry.KindNotFound},
		{"host twice", func() registry.NewDomain {
			n := domainNew("h.se")
			n.NS = []string{"ns1.example.net", "NS1.example.net."}
			return n
		}(), registry.KindPolicy},
		{"no authInfo", func() registry.NewDomain { n := domainNew("a.se"); n.AuthInfo = ""; return n }(), registry.KindMissing},
		{"short authInfo", func() registry.NewDomain { n := domainNew("a.se"); n.AuthInfo = "abc"; return n }(), registry.KindPolicy},
		{"DS ok", ds(0, 13, 2, sha256), 0},
		{"DS algorithm 0", ds(1, 0, 2, sha256), registry.KindPolicy},
		{"DS algorithm RSAMD5", ds(1, 1, 2, sha256), registry.KindPolicy},
		{"DS algorithm reserved", ds(1, 200, 2, sha256), registry.KindPolicy},
		{"DS digest type 3", ds(1, 13, 3, sha256), registry.KindPolicy},
		{"DS digest short", ds(1, 13, 2, sha256[:40]), registry.KindInvalid},
		{"DS digest not hex", ds(1, 13, 2, "ZZ"+sha256[2:]), registry.KindInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := svc.CreateDomain(ctx, acme, tc.nd)
			if tc.kind == 0 {
				require.NoError(t, err)
				_, err := svc.DeleteDomain(ctx, acme, d.Name)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.kind, registry.ErrorKind(err), "%v", err)
		})
	}

	// The digest is kept in upper case, so that removal matches however
	// it is written.
	nd := ds(7, 8, 2, "49fd46e6c4b45c55d4ac69cbd3cd344049fd46e6c4b45c55d4ac69cbd3cd3440")
	_, err := svc.CreateDomain(ctx, acme, nd)
	require.NoError(t, err)
	assert.Equal(t, sha256, domainGet(t, svc, "ds.se").DS[0].Digest)
	_, err = svc.UpdateDomain(ctx, acme, "ds.se", registry.DomainChange{RemDS: []registry.DSData{{KeyTag: 7, Alg: 8, DigestType: 2, Digest: sha256}}})
	require.NoError(t, err)
	assert.Empty(t, domainGet(t, svc, "ds.se").DS)

	// Derived statuses.
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		now := t0
		live := &registry.Domain{NS: []string{"ns1.example.net"}}
		assert.Equal(t, []string{"ok"}, svc.DomainStatuses(ctx, tx, live, now))
		assert.Equal(t, []string{"inactive"}, svc.DomainStatuses(ctx, tx, &registry.Domain{}, now))
		held := &registry.Domain{NS: []string{"ns1.example.net"}, Statuses: []string{"clientHold"},
			Transfer: &registry.Transfer{Status: registry.TransferPending}}
		assert.Equal(t, []string{"clientHold", "pendingTransfer"}, svc.DomainStatuses(ctx, tx, held, now))
		return nil
	})
}

// TestDomainOverdueTransfer: a transfer past its auto-approval time is
// approved by ProcessDue, and by an info that comes first.
func TestDomainOverdueTransfer(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)
	svc, clock := domainService(t, sqltest.OpenSQLite(t), t0)
	for _, n := range []string{"info.se", "due.se"} {
		_, err := svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew(n))
		require.NoError(t, err)
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.LockDomain(ctx, n)
			if err != nil {
				return err
			}
			d.Transfer = &registry.Transfer{Status: registry.TransferPending, GainingClID: "other", RequestedAt: t0,
				LosingClID: "acme", ActBy: t0.Add(5 * 24 * time.Hour), Years: 1, NewExpiry: t0.AddDate(2, 0, 0)}
			d.NextEventAt = d.Transfer.ActBy
			return tx.UpdateDomain(ctx, d)
		})
	}
	clock.Set(t0.Add(5*24*time.Hour + time.Minute))
	v, err := svc.DomainInfo(ctx, domainActor("other", "i"), "info.se", "", "", false)
	require.NoError(t, err)
	assert.True(t, v.Sponsor)
	assert.Equal(t, "other", v.Domain.SponsorClID)
	assert.NotContains(t, v.Statuses, registry.StatusPendingTransfer)

	_, err = svc.ProcessDue(ctx, 10)
	require.NoError(t, err)
	d := domainGet(t, svc, "due.se")
	assert.Equal(t, "other", d.SponsorClID)
	assert.Equal(t, registry.TransferServerApproved, d.Transfer.Status)
	assert.Equal(t, []string{registry.GraceTransferPeriod}, domainKinds(d.Grace))
	assert.True(t, d.NextEventAt.After(clock.Now()))
}

// TestDomainStatusCombinations: RFC 5731 forbids pendingTransfer together
// with a transfer prohibition.
func TestDomainStatusCombinations(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)
	svc, clock := domainService(t, sqltest.OpenSQLite(t), t0)
	_, err := svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew("combo.se"))
	require.NoError(t, err)
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "combo.se")
		if err != nil {
			return err
		}
		d.Transfer = &registry.Transfer{Status: registry.TransferPending, GainingClID: "other", RequestedAt: t0,
			LosingClID: "acme", ActBy: t0.Add(5 * 24 * time.Hour), Years: 1, NewExpiry: t0.AddDate(2, 0, 0)}
		return tx.UpdateDomain(ctx, d)
	})
	clock.Advance(time.Hour)
	_, err = svc.UpdateDomain(ctx, domainActor("acme", "u"), "combo.se",
		registry.DomainChange{AddStatuses: []string{registry.StatusClientTransferProhibited}})
	require.Error(t, err)
	assert.Equal(t, registry.KindStatusProhibits, registry.ErrorKind(err))
	// Other statuses may still be added.
	_, err = svc.UpdateDomain(ctx, domainActor("acme", "u2"), "combo.se",
		registry.DomainChange{AddStatuses: []string{registry.StatusClientRenewProhibited}})
	require.NoError(t, err)
}
