package registry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// transferEpoch is when the transfer tests begin.
var transferEpoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const transferDay = 24 * time.Hour

// transferClock is a clock the tests move by hand.
type transferClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *transferClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *transferClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// transferStores runs fn on SQLite and on PostgreSQL.
func transferStores(t *testing.T, fn func(t *testing.T, dsn func(t *testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func(t *testing.T) string { return sqltest.SQLite(t) }) })
	t.Run("postgres", func(t *testing.T) { fn(t, func(t *testing.T) string { return sqltest.Postgres(t) }) })
}

// transferService opens a migrated store at dsn with the resellers acme,
// other and third.
func transferService(t *testing.T, dsn string) (*registry.Service, *transferClock) {
	t.Helper()
	ctx := t.Context()
	clock := &transferClock{now: transferEpoch}
	st, err := sqlstore.Open(ctx, dsn, sqlstore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := registry.NewService(st, clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	for _, id := range []string{"acme", "other", "third"} {
		if _, err := svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: id, Name: id + " AB", Password: id + "-secret-1"}); err != nil {
			t.Fatal(err)
		}
	}
	return svc, clock
}

func transferActor(clID string) registry.Actor {
	return registry.Actor{Name: registry.ResellerActor(clID), ClID: clID, SessionID: "s1", ClTRID: "tr-1", SvTRID: "sv-1"}
}

func transferTx(t *testing.T, svc *registry.Service, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := svc.Store().Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// transferSetup creates contact "reg-1" (authInfo "contact-pw-1") and
// domain example.test (authInfo "domain-pw-1"), both sponsored by acme,
// created at created and expiring a year later, with the subordinate host
// ns1.example.test.
func transferSetup(t *testing.T, svc *registry.Service, created time.Time) *registry.Domain {
	t.Helper()
	d := &registry.Domain{
		Name: "example.test", SponsorClID: "acme", CreatorClID: "acme", Registrant: "reg-1",
		AuthInfo: "domain-pw-1", CreatedAt: created, ExpiresAt: created.AddDate(1, 0, 0),
	}
	d.NextEventAt = d.ExpiresAt
	suffix := svc.Config().ROIDSuffix
	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		c := &registry.Contact{
			ID: "reg-1", SponsorClID: "acme", CreatorClID: "acme", Email: "reg@example.net", AuthInfo: "contact-pw-1",
			Postal:    []registry.PostalInfo{{Type: "int", Name: "Reg Istrant", City: "Stockholm", CC: "SE"}},
			CreatedAt: created,
		}
		if err := tx.CreateContact(ctx, c, suffix); err != nil {
			return err
		}
		if err := tx.CreateDomain(ctx, d, suffix); err != nil {
			return err
		}
		return tx.CreateHost(ctx, &registry.Host{Name: "ns1.example.test", SponsorClID: "acme", CreatorClID: "acme",
			Superordinate: "example.test", CreatedAt: created}, suffix)
	})
	return d
}

func transferDomainNow(t *testing.T, svc *registry.Service, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) (err error) {
		d, err = tx.Domain(ctx, name)
		return err
	})
	return d
}

func transferWantKind(t *testing.T, err error, kind registry.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if k := registry.ErrorKind(err); k != kind {
		t.Fatalf("%s: got %v (%v), want %v", what, k, err, kind)
	}
}

// transferQueue drains clID's poll queue and returns its transfer
// notices, oldest first.
func transferQueue(t *testing.T, svc *registry.Service, clID string) []registry.TransferNotice {
	t.Helper()
	var out []registry.TransferNotice
	a := transferActor(clID)
	for {
		q, err := svc.PollRequest(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		if q.First == nil {
			return out
		}
		if q.First.Kind != registry.PollTransfer || q.First.Msg == "" {
			t.Fatalf("message %+v: want a transfer message with text", q.First)
		}
		n, err := q.First.TransferNotice()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *n)
		if _, err := svc.PollAck(t.Context(), a, q.First.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func transferStatuses(ns []registry.TransferNotice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Transfer.Status)
	}
	return out
}

func transferHistory(t *testing.T, svc *registry.Service, objectType, key string) []registry.HistoryEntry {
	t.Helper()
	h, err := svc.History(t.Context(), objectType, key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestTransferDomainApprove(t *testing.T) {
	transferStores(t, func(t *testing.T, dsn func(t *testing.T) string) {
		svc, clock := transferService(t, dsn(t))
		ctx := t.Context()
		created := transferEpoch.Add(-100 * transferDay)
		orig := transferSetup(t, svc, created)

		now := clock.Now()
		d, err := svc.TransferDomain(ctx, transferActor("other"), "Example.TEST.", registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "domain-pw-1"})
		if err != nil {
			t.Fatal(err)
		}
		want := registry.Transfer{
			Status: registry.TransferPending, GainingClID: "other", RequestedAt: now, LosingClID: "acme",
			ActBy: now.Add(5 * transferDay), Years: 1, NewExpiry: orig.ExpiresAt.AddDate(1, 0, 0),
		}
		if d.Transfer == nil || !transferEqual(*d.Transfer, want) {
			t.Fatalf("transfer after request: %+v, want %+v", d.Transfer, want)
		}
		stored := transferDomainNow(t, svc, "example.test")
		if !transferEqual(*stored.Transfer, want) || stored.SponsorClID != "acme" {
			t.Fatalf("stored after request: sponsor %s transfer %+v", stored.SponsorClID, stored.Transfer)
		}
		if !stored.NextEventAt.Equal(want.ActBy) {
			t.Errorf("NextEventAt %v, want the auto-approval time %v", stored.NextEventAt, want.ActBy)
		}
		if st := svc.DomainStatuses(ctx, nil, stored, clock.Now()); !registry.HasStatus(st, registry.StatusPendingTransfer) {
			t.Errorf("statuses %v lack pendingTransfer", st)
		}

		clock.Advance(time.Hour)
		at := clock.Now()
		d, err = svc.TransferDomain(ctx, transferActor("acme"), "example.test", registry.TransferCommand{Op: registry.TransferOpApprove})
		if err != nil {
			t.Fatal(err)
		}
		want.Status, want.ActBy = registry.TransferClientApproved, at
		if !transferEqual(*d.Transfer, want) {
			t.Fatalf("transfer after approval: %+v, want %+v", d.Transfer, want)
		}
		stored = transferDomainNow(t, svc, "example.test")
		if stored.SponsorClID != "other" || !stored.TransferredAt.Equal(at) || !stored.ExpiresAt.Equal(want.NewExpiry) {
			t.Errorf("after approval: sponsor %s trDate %v exDate %v", stored.SponsorClID, stored.TransferredAt, stored.ExpiresAt)
		}
		if stored.AuthInfo == orig.AuthInfo || len(stored.AuthInfo) < 16 {
			t.Errorf("authInfo %q was not replaced by a new random one", stored.AuthInfo)
		}
		if len(stored.Grace) != 1 || stored.Grace[0].Kind != registry.GraceTransferPeriod || !stored.Grace[0].Until.Equal(at.Add(5*transferDay)) || stored.Grace[0].Years != 1 {
			t.Errorf("grace after approval: %+v, want one transferPeriod of a year until %v", stored.Grace, at.Add(5*transferDay))
		}
		if rgp := svc.RGPStatuses(stored, clock.Now()); len(rgp) != 1 || rgp[0] != registry.GraceTransferPeriod {
			t.Errorf("RGP statuses %v, want [transferPeriod]", rgp)
		}
		if st := svc.DomainStatuses(ctx, nil, stored, clock.Now()); registry.HasStatus(st, registry.StatusPendingTransfer) {
			t.Errorf("statuses %v still hold pendingTransfer", st)
		}
		if !stored.NextEventAt.Equal(stored.Grace[0].Until) {
			t.Errorf("NextEventAt %v, want the end of the transfer grace %v", stored.NextEventAt, stored.Grace[0].Until)
		}
		var host *registry.Host
		transferTx(t, svc, func(ctx context.Context, tx registry.Tx) (err error) {
			host, err = tx.Host(ctx, "ns1.example.test")
			return err
		})
		if host.SponsorClID != "other" || !host.TransferredAt.Equal(at) {
			t.Errorf("subordinate host: sponsor %s trDate %v, want other at %v", host.SponsorClID, host.TransferredAt, at)
		}
		if h := transferHistory(t, svc, registry.ObjectHost, host.ROID); len(h) == 0 || h[len(h)-1].Action != "transfer-approve" {
			t.Errorf("host history %+v lacks the transfer", h)
		}

		hist := transferHistory(t, svc, registry.ObjectDomain, stored.ROID)
		var actions []string
		for _, e := range hist {
			actions = append(actions, e.Action+" by "+e.Actor)
		}
		if len(actions) != 2 || actions[0] != "transfer-request by reseller:other" || actions[1] != "transfer-approve by reseller:acme" {
			t.Errorf("history %v", actions)
		}

		if got := transferStatuses(transferQueue(t, svc, "acme")); !transferSame(got, "pending", "clientApproved") {
			t.Errorf("acme's poll messages: %v", got)
		}
		gaining := transferQueue(t, svc, "other")
		if got := transferStatuses(gaining); !transferSame(got, "clientApproved") {
			t.Errorf("other's poll messages: %v", got)
		} else if n := gaining[0]; n.Object != registry.ObjectDomain || n.Name != "example.test" || !transferEqual(n.Transfer, want) {
			t.Errorf("other's notice %+v", n)
		}
	})
}

func transferEqual(a, b registry.Transfer) bool {
	return a.Status == b.Status && a.GainingClID == b.GainingClID && a.RequestedAt.Equal(b.RequestedAt) &&
		a.LosingClID == b.LosingClID && a.ActBy.Equal(b.ActBy) && a.Years == b.Years && a.NewExpiry.Equal(b.NewExpiry)
}

func transferSame(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestTransferDomainRejectCancel(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	orig := transferSetup(t, svc, transferEpoch.Add(-100*transferDay))
	req := registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "domain-pw-1", Years: 2}

	if _, err := svc.TransferDomain(ctx, transferActor("other"), "example.test", req); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	d, err := svc.TransferDomain(ctx, transferActor("acme"), "example.test", registry.TransferCommand{Op: registry.TransferOpReject})
	if err != nil {
		t.Fatal(err)
	}
	if d.Transfer.Status != registry.TransferClientRejected || !d.Transfer.ActBy.Equal(clock.Now()) || !d.Transfer.NewExpiry.IsZero() {
		t.Errorf("after reject: %+v", d.Transfer)
	}
	stored := transferDomainNow(t, svc, "example.test")
	if stored.SponsorClID != "acme" || stored.AuthInfo != orig.AuthInfo || !stored.ExpiresAt.Equal(orig.ExpiresAt) || !stored.NextEventAt.Equal(orig.ExpiresAt) {
		t.Errorf("after reject: sponsor %s authInfo %q exDate %v next %v", stored.SponsorClID, stored.AuthInfo, stored.ExpiresAt, stored.NextEventAt)
	}
	if got := transferStatuses(transferQueue(t, svc, "other")); !transferSame(got, "clientRejected") {
		t.Errorf("other's messages %v", got)
	}

	// A rejected transfer may be requested again, and cancelled.
	if _, err := svc.TransferDomain(ctx, transferActor("other"), "example.test", req); err != nil {
		t.Fatal(err)
	}
	d, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", registry.TransferCommand{Op: registry.TransferOpCancel})
	if err != nil {
		t.Fatal(err)
	}
	if d.Transfer.Status != registry.TransferClientCancelled || d.SponsorClID != "acme" {
		t.Errorf("after cancel: %+v sponsor %s", d.Transfer, d.SponsorClID)
	}
	if got := transferStatuses(transferQueue(t, svc, "acme")); !transferSame(got, "pending", "pending", "clientCancelled") {
		t.Errorf("acme's messages %v", got)
	}
	if got := transferQueue(t, svc, "other"); len(got) != 0 {
		t.Errorf("other was told of its own cancellation: %v", got)
	}
}

func TestTransferDomainRules(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	transferSetup(t, svc, transferEpoch.Add(-100*transferDay))
	var regROID string
	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		c, err := tx.Contact(ctx, "reg-1")
		regROID = c.ROID
		return err
	})
	op := func(clID, op string, c registry.TransferCommand) error {
		c.Op = op
		_, err := svc.TransferDomain(ctx, transferActor(clID), "example.test", c)
		return err
	}
	auth := registry.TransferCommand{AuthInfo: "domain-pw-1"}

	transferWantKind(t, op("acme", "request", auth), registry.KindNotTransferable, "request by the sponsor")
	transferWantKind(t, op("other", "request", registry.TransferCommand{}), registry.KindMissing, "request without authInfo")
	transferWantKind(t, op("other", "request", registry.TransferCommand{AuthInfo: "nope"}), registry.KindAuthInfo, "request with a wrong authInfo")
	transferWantKind(t, op("other", "request", registry.TransferCommand{AuthInfo: "contact-pw-1"}), registry.KindAuthInfo, "the registrant's authInfo without its roid")
	transferWantKind(t, op("other", "request", registry.TransferCommand{AuthInfo: "contact-pw-1", AuthROID: "C999-EPPD"}), registry.KindAuthInfo, "the registrant's authInfo with another roid")
	transferWantKind(t, op("other", "request", registry.TransferCommand{AuthInfo: "domain-pw-1", Years: 11}), registry.KindRange, "an 11-year period")
	transferWantKind(t, op("other", "request", registry.TransferCommand{AuthInfo: "domain-pw-1", Years: 10}), registry.KindPolicy, "an expiry more than ten years ahead")
	transferWantKind(t, op("other", "query", registry.TransferCommand{}), registry.KindForbidden, "query by a stranger")
	transferWantKind(t, op("other", "query", auth), registry.KindNotPendingTransfer, "query with none requested")
	transferWantKind(t, op("acme", "query", registry.TransferCommand{}), registry.KindNotPendingTransfer, "query by the sponsor with none requested")
	transferWantKind(t, op("acme", "approve", registry.TransferCommand{}), registry.KindNotPendingTransfer, "approve with none pending")
	transferWantKind(t, op("other", "cancel", registry.TransferCommand{}), registry.KindNotPendingTransfer, "cancel with none pending")
	transferWantKind(t, op("other", "bogus", auth), registry.KindInvalid, "unknown op")
	_, err := svc.TransferDomain(ctx, registry.Operator, "example.test", registry.TransferCommand{Op: "query"})
	transferWantKind(t, err, registry.KindForbidden, "the operator")
	_, err = svc.TransferDomain(ctx, transferActor("other"), "nosuch.test", registry.TransferCommand{Op: "request", AuthInfo: "x"})
	transferWantKind(t, err, registry.KindNotFound, "no such domain")

	if err := op("other", "request", registry.TransferCommand{AuthInfo: "contact-pw-1", AuthROID: regROID, Years: 3}); err != nil {
		t.Fatalf("request with the registrant's authInfo: %v", err)
	}
	transferWantKind(t, op("third", "request", auth), registry.KindPendingTransfer, "a second request")
	transferWantKind(t, op("other", "request", auth), registry.KindPendingTransfer, "the same request again")
	transferWantKind(t, op("other", "approve", registry.TransferCommand{}), registry.KindForbidden, "approve by the gaining reseller")
	transferWantKind(t, op("third", "reject", registry.TransferCommand{}), registry.KindForbidden, "reject by a stranger")
	transferWantKind(t, op("acme", "cancel", registry.TransferCommand{}), registry.KindForbidden, "cancel by the sponsor")
	transferWantKind(t, op("third", "query", registry.TransferCommand{}), registry.KindForbidden, "query by a stranger")
	transferWantKind(t, op("third", "query", registry.TransferCommand{AuthInfo: "nope"}), registry.KindAuthInfo, "query with a wrong authInfo")
	for _, who := range []string{"acme", "other"} {
		if err := op(who, "query", registry.TransferCommand{}); err != nil {
			t.Errorf("query by %s: %v", who, err)
		}
	}
	if err := op("third", "query", auth); err != nil {
		t.Errorf("query with the authInfo: %v", err)
	}
	if err := op("third", "query", registry.TransferCommand{AuthInfo: "contact-pw-1", AuthROID: regROID}); err != nil {
		t.Errorf("query with the registrant's authInfo: %v", err)
	}
	if err := op("acme", "approve", registry.TransferCommand{}); err != nil {
		t.Fatal(err)
	}
	if d := transferDomainNow(t, svc, "example.test"); d.Transfer.Years != 3 || !d.ExpiresAt.Equal(transferEpoch.Add(-100*transferDay).AddDate(4, 0, 0)) {
		t.Errorf("a 3-year transfer: %+v, expiry %v", d.Transfer, d.ExpiresAt)
	}
	// The losing reseller still sees the transfer it lost.
	if err := op("acme", "query", registry.TransferCommand{}); err != nil {
		t.Errorf("query by the losing reseller: %v", err)
	}
	transferWantKind(t, op("acme", "request", auth), registry.KindAuthInfo, "the old authInfo after the transfer")
	d := transferDomainNow(t, svc, "example.test")
	transferWantKind(t, op("acme", "request", registry.TransferCommand{AuthInfo: d.AuthInfo}), registry.KindNotTransferable, "a transfer back within 60 days")
	clock.Advance(registry.DefaultTransferLock)
	if err := op("acme", "request", registry.TransferCommand{AuthInfo: d.AuthInfo}); err != nil {
		t.Errorf("a transfer back after 60 days: %v", err)
	}
}

func TestTransferDomainStatusRules(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	transferSetup(t, svc, clock.Now().Add(-59*transferDay))
	req := registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "domain-pw-1"}
	_, err := svc.TransferDomain(ctx, transferActor("other"), "example.test", req)
	transferWantKind(t, err, registry.KindNotTransferable, "within 60 days of creation")
	clock.Advance(transferDay)

	set := func(change func(d *registry.Domain)) {
		transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.LockDomain(ctx, "example.test")
			if err != nil {
				return err
			}
			change(d)
			return tx.UpdateDomain(ctx, d)
		})
	}
	for _, st := range []string{registry.StatusClientTransferProhibited, registry.StatusServerTransferProhibited} {
		set(func(d *registry.Domain) { d.Statuses = []string{st} })
		_, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", req)
		transferWantKind(t, err, registry.KindStatusProhibits, st)
	}
	set(func(d *registry.Domain) {
		d.Statuses = nil
		d.DeletedAt = clock.Now()
		d.PurgeAt = clock.Now().Add(30 * transferDay)
	})
	_, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", req)
	transferWantKind(t, err, registry.KindStatusProhibits, "in redemption")
	set(func(d *registry.Domain) { d.DeletedAt, d.PurgeAt = time.Time{}, time.Time{} })
	if _, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", req); err != nil {
		t.Fatal(err)
	}
}

// A transfer during the autoRenewPeriod takes the automatic renewal's
// place; the renewal never pushes the expiry more than ten years ahead.
func TestTransferDomainExpiry(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	created := clock.Now().AddDate(-3, 0, -10)
	transferSetup(t, svc, created)
	renewed := created.AddDate(4, 0, 0) // auto-renewed ten days ago
	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "example.test")
		if err != nil {
			return err
		}
		d.ExpiresAt = renewed
		d.Grace = []registry.Grace{{Kind: "autoRenewPeriod", Until: clock.Now().Add(35 * transferDay), Years: 1}}
		return tx.UpdateDomain(ctx, d)
	})
	d, err := svc.TransferDomain(ctx, transferActor("other"), "example.test", registry.TransferCommand{Op: "request", AuthInfo: "domain-pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Transfer.NewExpiry.Equal(renewed) {
		t.Errorf("a one-year transfer in the autoRenewPeriod: new expiry %v, want %v", d.Transfer.NewExpiry, renewed)
	}
	if _, err := svc.TransferDomain(ctx, transferActor("acme"), "example.test", registry.TransferCommand{Op: "approve"}); err != nil {
		t.Fatal(err)
	}
	d = transferDomainNow(t, svc, "example.test")
	if !d.ExpiresAt.Equal(renewed) || len(d.Grace) != 1 || d.Grace[0].Kind != registry.GraceTransferPeriod {
		t.Errorf("after approval: expiry %v grace %+v", d.ExpiresAt, d.Grace)
	}
}

// Overdue transfers are approved by the registry as of their ActBy time
// when a transfer command next touches them.
func TestTransferLazyAutoApprove(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	transferSetup(t, svc, transferEpoch.Add(-100*transferDay))
	d, err := svc.TransferDomain(ctx, transferActor("other"), "example.test", registry.TransferCommand{Op: "request", AuthInfo: "domain-pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	actBy := d.Transfer.ActBy
	c, err := svc.TransferContact(ctx, transferActor("other"), "reg-1", registry.TransferCommand{Op: "request", AuthInfo: "contact-pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Transfer.ActBy.Equal(actBy) {
		t.Errorf("contact ActBy %v, want the TLDs' wait, %v", c.Transfer.ActBy, actBy)
	}

	clock.Advance(5*transferDay - time.Second)
	if d, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", registry.TransferCommand{Op: "query"}); err != nil || d.Transfer.Status != registry.TransferPending {
		t.Fatalf("a second before: %v %+v", err, d)
	}
	clock.Advance(3 * transferDay)
	if d, err = svc.TransferDomain(ctx, transferActor("other"), "example.test", registry.TransferCommand{Op: "query"}); err != nil {
		t.Fatal(err)
	}
	if d.Transfer.Status != registry.TransferServerApproved || !d.Transfer.ActBy.Equal(actBy) || d.SponsorClID != "other" || !d.TransferredAt.Equal(actBy) {
		t.Errorf("after the deadline: sponsor %s trDate %v transfer %+v", d.SponsorClID, d.TransferredAt, d.Transfer)
	}
	if c, err = svc.TransferContact(ctx, transferActor("acme"), "reg-1", registry.TransferCommand{Op: "query"}); err != nil {
		t.Fatal(err)
	}
	if c.Transfer.Status != registry.TransferServerApproved || c.SponsorClID != "other" || c.AuthInfo == "contact-pw-1" || !c.TransferredAt.Equal(actBy) {
		t.Errorf("contact after the deadline: sponsor %s transfer %+v", c.SponsorClID, c.Transfer)
	}
	for _, key := range []struct{ typ, roid string }{{registry.ObjectDomain, d.ROID}, {registry.ObjectContact, c.ROID}} {
		h := transferHistory(t, svc, key.typ, key.roid)
		if last := h[len(h)-1]; last.Action != "transfer-auto-approve" || last.Actor != "server" {
			t.Errorf("%s history ends %s by %s", key.typ, last.Action, last.Actor)
		}
	}
	// The auto-approval is kept even though the query was answered from it.
	if d = transferDomainNow(t, svc, "example.test"); d.SponsorClID != "other" {
		t.Errorf("the auto-approval was not stored")
	}
	if got := transferStatuses(transferQueue(t, svc, "acme")); !transferSame(got, "pending", "pending", "serverApproved", "serverApproved") {
		t.Errorf("acme's messages %v", got)
	}
	if got := transferStatuses(transferQueue(t, svc, "other")); !transferSame(got, "serverApproved", "serverApproved") {
		t.Errorf("other's messages %v", got)
	}
}

func TestTransferContact(t *testing.T) {
	svc, clock := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	transferSetup(t, svc, transferEpoch.Add(-10*transferDay))
	op := func(clID, op, pw string) (*registry.Contact, error) {
		return svc.TransferContact(ctx, transferActor(clID), "reg-1", registry.TransferCommand{Op: op, AuthInfo: pw})
	}
	_, err := op("acme", "request", "contact-pw-1")
	transferWantKind(t, err, registry.KindNotTransferable, "request by the sponsor")
	_, err = op("other", "request", "wrong")
	transferWantKind(t, err, registry.KindAuthInfo, "wrong authInfo")
	_, err = op("other", "query", "")
	transferWantKind(t, err, registry.KindForbidden, "query by a stranger")
	_, err = op("acme", "query", "")
	transferWantKind(t, err, registry.KindNotPendingTransfer, "query with none requested")
	_, err = svc.TransferContact(ctx, transferActor("other"), "nosuch", registry.TransferCommand{Op: "request", AuthInfo: "x"})
	transferWantKind(t, err, registry.KindNotFound, "no such contact")

	// Contacts have no creation lock: ten days old is fine.
	c, err := op("other", "request", "contact-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Transfer.Status != registry.TransferPending || c.Transfer.Years != 0 || !c.Transfer.NewExpiry.IsZero() {
		t.Errorf("contact transfer %+v", c.Transfer)
	}
	if st := registry.ContactStatuses(c, false); !registry.HasStatus(st, registry.StatusPendingTransfer) {
		t.Errorf("statuses %v", st)
	}
	_, err = op("third", "request", "contact-pw-1")
	transferWantKind(t, err, registry.KindPendingTransfer, "second request")
	_, err = op("other", "approve", "")
	transferWantKind(t, err, registry.KindForbidden, "approve by the gaining reseller")
	_, err = op("acme", "cancel", "")
	transferWantKind(t, err, registry.KindForbidden, "cancel by the sponsor")
	clock.Advance(time.Hour)
	if c, err = op("acme", "approve", ""); err != nil {
		t.Fatal(err)
	}
	if c.SponsorClID != "other" || c.AuthInfo == "contact-pw-1" || !c.TransferredAt.Equal(clock.Now()) || c.Transfer.Status != registry.TransferClientApproved {
		t.Errorf("after approval %+v %+v", c, c.Transfer)
	}
	if st := registry.ContactStatuses(c, false); registry.HasStatus(st, registry.StatusPendingTransfer) {
		t.Errorf("statuses after approval %v", st)
	}
	// The domain stays acme's.
	if d := transferDomainNow(t, svc, "example.test"); d.SponsorClID != "acme" {
		t.Errorf("domain sponsor %s", d.SponsorClID)
	}
	if got := transferStatuses(transferQueue(t, svc, "acme")); !transferSame(got, "pending", "clientApproved") {
		t.Errorf("acme's messages %v", got)
	}

	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		c, err := tx.LockContact(ctx, "reg-1")
		if err != nil {
			return err
		}
		c.Statuses = []string{registry.StatusServerTransferProhibited}
		return tx.UpdateContact(ctx, c)
	})
	_, err = op("acme", "request", c.AuthInfo)
	transferWantKind(t, err, registry.KindStatusProhibits, "serverTransferProhibited")
}

func TestTransferPollQueue(t *testing.T) {
	svc, _ := transferService(t, sqltest.SQLite(t))
	ctx := t.Context()
	var ids []int64
	transferTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		for i, to := range []string{"acme", "other", "acme", "acme"} {
			m := &registry.PollMessage{RecipientID: to, QueuedAt: transferEpoch.Add(time.Duration(i) * time.Minute), Msg: "m" + string(rune('0'+i))}
			if err := tx.EnqueueMessage(ctx, m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	acme := transferActor("acme")
	q, err := svc.PollRequest(ctx, acme)
	if err != nil || q.Count != 3 || q.First.ID != ids[0] || q.First.Msg != "m0" {
		t.Fatalf("first request: %+v %v", q, err)
	}
	// A request does not dequeue.
	if q, _ = svc.PollRequest(ctx, acme); q.First.ID != ids[0] {
		t.Fatalf("second request: %+v", q)
	}
	_, err = svc.PollAck(ctx, acme, ids[1])
	transferWantKind(t, err, registry.KindNotFound, "ack of another reseller's message")
	_, err = svc.PollAck(ctx, acme, ids[3]+100)
	transferWantKind(t, err, registry.KindNotFound, "ack of an unknown message")
	// Messages may be acknowledged out of order.
	if q, err = svc.PollAck(ctx, acme, ids[2]); err != nil || q.Count != 2 || q.First.ID != ids[0] {
		t.Fatalf("ack of the second: %+v %v", q, err)
	}
	if q, err = svc.PollAck(ctx, acme, ids[0]); err != nil || q.Count != 1 || q.First.ID != ids[3] {
		t.Fatalf("ack of the first: %+v %v", q, err)
	}
	_, err = svc.PollAck(ctx, acme, ids[0])
	transferWantKind(t, err, registry.KindNotFound, "a second ack")
	if q, err = svc.PollAck(ctx, acme, ids[3]); err != nil || q.Count != 0 || q.First != nil {
		t.Fatalf("ack of the last: %+v %v", q, err)
	}
	if q, err = svc.PollRequest(ctx, acme); err != nil || q.Count != 0 || q.First != nil {
		t.Fatalf("empty queue: %+v %v", q, err)
	}
	if q, _ = svc.PollRequest(ctx, transferActor("other")); q.Count != 1 || q.First.ID != ids[1] {
		t.Fatalf("other's queue: %+v", q)
	}
	_, err = svc.PollRequest(ctx, registry.Operator)
	transferWantKind(t, err, registry.KindForbidden, "the operator's queue")
}
