package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

// TestRestoreChargesRenewal: a restore that finds the expiry passed renews
// the domain by whole years until it lies ahead, and the reseller of
// record pays the restore and those years as a renewal, in that order,
// with the command's identifiers; a refused charge restores nothing. The
// operator's restore is not charged. A registrant-managed domain's restore
// gives no years and charges no balance: its renewal is billed.
func TestRestoreChargesRenewal(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		t0 := time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)
		expiry := t0.AddDate(1, 0, 0)
		_, clock := domainService(t, store, t0)
		rec := &recordingCharger{}
		// A redemption period of 400 days lets a domain's expiry fall more
		// than a year behind.
		svc := registry.NewService(store, clock, registry.Config{
			Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}, Charger: rec,
			TLDs: []registry.TLD{{Name: "se", DeactivationPeriod: registry.Duration(400 * 24 * time.Hour)}},
		})
		acme := func(trid string) registry.Actor { return domainActor("acme", trid) }
		for _, n := range []string{"late.se", "later.se", "op.se", "poor.se"} {
			_, err := svc.CreateDomain(ctx, acme("c-"+n), domainNew(n))
			require.NoError(t, err)
		}
		held := modelRegistrantDomain(t, svc, "held.se")
		rec.take()

		// Deleted out of every grace period, before their expiry.
		clock.Set(expiry.Add(-10 * 24 * time.Hour))
		for _, n := range []string{"late.se", "later.se", "op.se", "poor.se"} {
			_, err := svc.DeleteDomain(ctx, acme("d-"+n), n)
			require.NoError(t, err)
		}
		_, err := svc.DeleteDomain(ctx, registry.Operator, "held.se")
		require.NoError(t, err)
		charges, refunds := rec.take()
		require.Empty(t, charges)
		require.Empty(t, refunds)

		// Twenty days past the expiry: the restore and a year.
		clock.Set(expiry.Add(20 * 24 * time.Hour))
		d, err := svc.RestoreDomain(ctx, acme("r-1"), "late.se", nil)
		require.NoError(t, err)
		assert.True(t, d.ExpiresAt.Equal(expiry.AddDate(1, 0, 0)), "got %s", d.ExpiresAt)
		charges, _ = rec.take()
		assert.Equal(t, []registry.Charge{
			{ResellerClID: "acme", Op: registry.ChargeRestore, Domain: "late.se", TLD: "se", At: clock.Now(), ClTRID: "r-1", SvTRID: "sv-r-1"},
			{ResellerClID: "acme", Op: registry.ChargeRenew, Domain: "late.se", TLD: "se", Years: 1, At: clock.Now(), ClTRID: "r-1", SvTRID: "sv-r-1"},
		}, charges)
		assert.Empty(t, domainGet(t, svc, "late.se").Grace, "the restore starts no grace period: a later delete refunds neither")

		// A refused charge: still in redemption, as it was.
		before := domainGet(t, svc, "poor.se")
		rec.refuse = true
		_, err = svc.RestoreDomain(ctx, acme("r-2"), "poor.se", nil)
		assert.True(t, registry.IsKind(err, registry.KindBilling), "%v", err)
		rec.refuse = false
		after := domainGet(t, svc, "poor.se")
		assert.Equal(t, before.DeletedAt, after.DeletedAt)
		assert.Equal(t, before.ExpiresAt, after.ExpiresAt)
		assert.Len(t, modelHistory(t, svc, "poor.se"), len(modelHistory(t, svc, "late.se"))-1, "no restore recorded")

		// More than a year past: two years.
		clock.Set(expiry.AddDate(1, 0, 5))
		d, err = svc.RestoreDomain(ctx, acme("r-3"), "later.se", nil)
		require.NoError(t, err)
		assert.True(t, d.ExpiresAt.Equal(expiry.AddDate(2, 0, 0)), "got %s", d.ExpiresAt)
		charges, _ = rec.take()
		require.Len(t, charges, 2)
		assert.Equal(t, registry.ChargeRestore, charges[0].Op)
		assert.Equal(t, registry.ChargeRenew, charges[1].Op)
		assert.Equal(t, 2, charges[1].Years)

		// The operator acts for the registry: renewed, not charged.
		d, err = svc.RestoreDomain(ctx, registry.Operator, "op.se", nil)
		require.NoError(t, err)
		assert.True(t, d.ExpiresAt.Equal(expiry.AddDate(2, 0, 0)))
		charges, _ = rec.take()
		assert.Empty(t, charges)

		// Registrant-managed: the expiry stays, nothing is charged.
		d, err = svc.RestoreDomain(ctx, registry.Operator, "held.se", nil)
		require.NoError(t, err)
		assert.True(t, d.ExpiresAt.Equal(held.ExpiresAt), "got %s", d.ExpiresAt)
		assert.True(t, d.DeletedAt.IsZero())
		charges, _ = rec.take()
		assert.Empty(t, charges)
	})
}
