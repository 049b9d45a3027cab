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

// The tests of charging with a real ledger are in epp/flows
// (billing_charge_test.go): package billing imports this one. These check,
// with a Charger that only records, who is asked to pay for what.

// recordingCharger records the charges and refunds it is asked for, and
// refuses every charge while refuse is set.
type recordingCharger struct {
	mu      sync.Mutex
	refuse  bool
	charges []registry.Charge
	refunds []recordedRefund
}

type recordedRefund struct {
	registry.Charge
	Since time.Time
}

func (c *recordingCharger) Charge(_ context.Context, _ registry.Tx, ch registry.Charge) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refuse {
		return registry.Errorf(registry.KindBilling, "balance does not cover %s of %s", ch.Op, ch.Domain)
	}
	c.charges = append(c.charges, ch)
	return nil
}

func (c *recordingCharger) Refund(_ context.Context, _ registry.Tx, ch registry.Charge, since time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refunds = append(c.refunds, recordedRefund{ch, since})
	return nil
}

// take returns what was recorded since the last call.
func (c *recordingCharger) take() ([]registry.Charge, []recordedRefund) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, re := c.charges, c.refunds
	c.charges, c.refunds = nil, nil
	return ch, re
}

// TestChargeWhoPays: the acting reseller pays for creates, the gaining
// reseller for a transfer when it asks, the sponsor for an auto-renewal;
// the operator's renewals and restores and the registry's auto-approval
// are not charged; a transfer approved in the autoRenewPeriod refunds the
// losing reseller's auto-renewal; a refused charge creates nothing.
func TestChargeWhoPays(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		t0 := time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)
		_, clock := domainService(t, store, t0)
		rec := &recordingCharger{}
		svc := registry.NewService(store, clock, registry.Config{
			Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}, Charger: rec,
		})
		acme := func(trid string) registry.Actor { return domainActor("acme", trid) }
		other := func(trid string) registry.Actor { return domainActor("other", trid) }

		nd := domainNew("two.se")
		nd.Years = 2
		_, err := svc.CreateDomain(ctx, acme("c-1"), nd)
		require.NoError(t, err)
		for _, n := range []string{"renewed.se", "op.se"} {
			_, err = svc.CreateDomain(ctx, acme("c-"+n), domainNew(n))
			require.NoError(t, err)
		}
		charges, refunds := rec.take()
		require.Len(t, charges, 3)
		assert.Equal(t, registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate, Domain: "two.se", TLD: "se",
			Years: 2, At: t0, ClTRID: "c-1", SvTRID: "sv-c-1"}, charges[0])
		assert.Empty(t, refunds)

		// The operator's renewal: not charged.
		_, err = svc.RenewDomain(ctx, registry.Operator, "two.se", t0.AddDate(2, 0, 0), 1)
		require.NoError(t, err)
		charges, _ = rec.take()
		assert.Empty(t, charges)

		// A refused charge: nothing is created.
		rec.refuse = true
		_, err = svc.CreateDomain(ctx, acme("c-2"), domainNew("refused.se"))
		assert.True(t, registry.IsKind(err, registry.KindBilling), "%v", err)
		assert.Nil(t, domainGet(t, svc, "refused.se"))
		rec.refuse = false

		// Past the transfer lock: the gaining reseller pays at its
		// request. A delete out of every grace period refunds nothing; the
		// operator's restore is not charged.
		clock.Advance(61 * 24 * time.Hour)
		_, err = svc.TransferDomain(ctx, other("t-1"), "two.se", registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "secret-1"})
		require.NoError(t, err)
		_, err = svc.DeleteDomain(ctx, acme("d-1"), "op.se")
		require.NoError(t, err)
		_, err = svc.RestoreDomain(ctx, registry.Operator, "op.se", nil)
		require.NoError(t, err)
		charges, refunds = rec.take()
		require.Len(t, charges, 1)
		assert.Equal(t, registry.Charge{ResellerClID: "other", Op: registry.ChargeTransfer, Domain: "two.se", TLD: "se",
			Years: 1, At: clock.Now(), ClTRID: "t-1", SvTRID: "sv-t-1"}, charges[0])
		assert.Empty(t, refunds)

		// The registry's auto-approval charges nothing more.
		clock.Advance(6 * 24 * time.Hour)
		_, err = svc.ProcessDue(ctx, 0)
		require.NoError(t, err)
		assert.Equal(t, "other", domainGet(t, svc, "two.se").SponsorClID)
		charges, refunds = rec.take()
		assert.Empty(t, charges)
		assert.Empty(t, refunds)

		// At expiry the sponsor pays for the auto-renewal.
		expiry := t0.AddDate(1, 0, 0)
		clock.Set(expiry.Add(time.Hour))
		_, err = svc.ProcessDue(ctx, 0)
		require.NoError(t, err)
		charges, _ = rec.take()
		require.Len(t, charges, 2)
		for _, c := range charges {
			assert.Equal(t, "acme", c.ResellerClID)
			assert.Equal(t, registry.ChargeAutoRenew, c.Op)
			assert.Equal(t, 1, c.Years)
			assert.Empty(t, c.SvTRID)
		}

		// A transfer approved in the autoRenewPeriod takes the
		// auto-renewal's place: the losing reseller gets it back.
		_, err = svc.TransferDomain(ctx, other("t-2"), "renewed.se", registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "secret-1"})
		require.NoError(t, err)
		_, err = svc.TransferDomain(ctx, acme("t-3"), "renewed.se", registry.TransferCommand{Op: registry.TransferOpApprove})
		require.NoError(t, err)
		charges, refunds = rec.take()
		require.Len(t, charges, 1)
		assert.Equal(t, "other", charges[0].ResellerClID)
		require.Len(t, refunds, 1)
		assert.Equal(t, "acme", refunds[0].ResellerClID)
		assert.Equal(t, registry.ChargeAutoRenew, refunds[0].Op)
		assert.True(t, refunds[0].Since.Equal(expiry), "since the expiry, got %s", refunds[0].Since)
		assert.Equal(t, "t-3", refunds[0].ClTRID)
		d := domainGet(t, svc, "renewed.se")
		assert.True(t, d.ExpiresAt.Equal(expiry.AddDate(1, 0, 0)), "the transfer's year replaces the auto-renewal's")
	})
}

// TestSetDomainAutoRenew: the setting's rules at the service, and that a
// transfer puts it back to on.
func TestSetDomainAutoRenew(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)
	svc, clock := domainService(t, sqltest.OpenSQLite(t), t0)
	_, err := svc.CreateDomain(ctx, domainActor("acme", "c-1"), domainNew("set.se"))
	require.NoError(t, err)
	assert.True(t, registry.AutoRenews(domainGet(t, svc, "set.se")), "on by default")

	require.NoError(t, svc.SetDomainAutoRenew(ctx, domainActor("acme", "a-1"), "set.se", false))
	d := domainGet(t, svc, "set.se")
	assert.False(t, registry.AutoRenews(d))
	assert.Equal(t, "acme", d.UpdaterClID)
	err = svc.SetDomainAutoRenew(ctx, domainActor("acme", "a-2"), "set.se", false)
	assert.True(t, registry.IsKind(err, registry.KindPolicy), "already off: %v", err)
	err = svc.SetDomainAutoRenew(ctx, domainActor("other", "a-3"), "set.se", true)
	assert.True(t, registry.IsKind(err, registry.KindForbidden), "another reseller: %v", err)
	err = svc.SetDomainAutoRenew(ctx, domainActor("acme", "a-4"), "nosuch.se", true)
	assert.True(t, registry.IsKind(err, registry.KindNotFound), "%v", err)

	// The operator may; history records each change.
	require.NoError(t, svc.SetDomainAutoRenew(ctx, registry.Operator, "set.se", true))
	require.NoError(t, svc.SetDomainAutoRenew(ctx, domainActor("acme", "a-5"), "set.se", false))
	hs, err := svc.ObjectHistory(ctx, registry.ObjectDomain, "set.se")
	require.NoError(t, err)
	var actions []string
	for _, h := range hs {
		actions = append(actions, h.Action)
	}
	assert.Equal(t, []string{"create", registry.HistoryAutoRenewOff, registry.HistoryAutoRenewOn, registry.HistoryAutoRenewOff}, actions)

	// A transfer: the gaining reseller starts with the default.
	clock.Advance(61 * 24 * time.Hour)
	_, err = svc.TransferDomain(ctx, domainActor("other", "t-1"), "set.se", registry.TransferCommand{Op: registry.TransferOpRequest, AuthInfo: "secret-1"})
	require.NoError(t, err)
	_, err = svc.TransferDomain(ctx, domainActor("acme", "t-2"), "set.se", registry.TransferCommand{Op: registry.TransferOpApprove})
	require.NoError(t, err)
	assert.True(t, registry.AutoRenews(domainGet(t, svc, "set.se")))

	// Not in redemption.
	_, err = svc.DeleteDomain(ctx, domainActor("other", "d-1"), "set.se")
	require.NoError(t, err)
	err = svc.SetDomainAutoRenew(ctx, domainActor("other", "a-6"), "set.se", false)
	assert.True(t, registry.IsKind(err, registry.KindStatusProhibits), "pending deletion: %v", err)
}

// TestRegistrantManagedNotAutoRenewed: at expiry a registrant-managed
// domain is neither renewed nor deactivated by the timed work; its bill
// decides.
func TestRegistrantManagedNotAutoRenewed(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)
	svc, clock := domainService(t, sqltest.OpenSQLite(t), t0)
	_, err := svc.CreateDomain(ctx, domainActor("acme", "c"), domainNew("held.se"))
	require.NoError(t, err)
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "held.se")
		if err != nil {
			return err
		}
		d.Model = registry.ModelRegistrant
		return tx.UpdateDomain(ctx, d)
	})
	clock.Set(t0.AddDate(1, 0, 1))
	_, err = svc.ProcessDue(ctx, 10)
	require.NoError(t, err)
	d := domainGet(t, svc, "held.se")
	assert.Equal(t, t0.AddDate(1, 0, 0), d.ExpiresAt, "not renewed")
	assert.True(t, d.DeletedAt.IsZero(), "not deactivated")
	assert.True(t, d.NextEventAt.IsZero() || d.NextEventAt.After(clock.Now()), "not due again at once")
}
