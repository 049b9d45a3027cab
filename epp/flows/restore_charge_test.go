package flows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// TestChargeRestorePastExpiry: a restore that finds the expiry passed
// charges the restore and the year that brings the expiry ahead again,
// two ledger entries carrying the command's identifiers; a balance that
// covers the restore but not the year answers 2104 and changes nothing.
func TestChargeRestorePastExpiry(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 1000)
		domainDo(t, e.acme, 1000, e.spec("kept.se", "acme", 1).xml("rp-1"))
		domainDo(t, e.acme, 1000, e.spec("poor.se", "acme", 1).xml("rp-2"))
		bal := int64(1000_00 - 2*chargeSECreate)

		// Deleted out of every grace period, ten days before the expiry;
		// restored twenty days after it.
		e.clock.Set(chargeExpiry.Add(-10 * transferDay))
		domainDo(t, e.acme, 1001, domainDeleteReq("rp-3", "kept.se"))
		domainDo(t, e.acme, 1001, domainDeleteReq("rp-4", "poor.se"))
		assert.Equal(t, bal, e.balance(t, "acme"))
		e.clock.Set(chargeExpiry.Add(20 * transferDay))

		domainDo(t, e.acme, 1000, domainRestoreReq("rp-5", "kept.se"))
		bal -= chargeSERestore + chargeSERenew
		assert.Equal(t, bal, e.balance(t, "acme"), "the balance is the sum of the ledger's entries")
		es := e.domainEntries(t, "acme", "kept.se")
		require.Len(t, es, 3)
		restore, renewal := es[1], es[2]
		assert.Equal(t, registry.ChargeRestore, restore.Op)
		assert.Equal(t, 0, restore.Years)
		assert.Equal(t, int64(-chargeSERestore), restore.Amount)
		assert.Equal(t, registry.ChargeRenew, renewal.Op)
		assert.Equal(t, 1, renewal.Years)
		assert.Equal(t, int64(-chargeSERenew), renewal.Amount)
		for _, en := range []billing.Entry{restore, renewal} {
			assert.Equal(t, "rp-5", en.ClTRID)
			assert.NotEmpty(t, en.SvTRID)
		}
		info := domainInfo(t, e.acme, "kept.se")
		assert.True(t, info.exDate.Equal(chargeExpiry.AddDate(1, 0, 0)), "got %s", info.exDate)
		assert.NotContains(t, info.statuses, "pendingDelete")

		// Enough for the restore, not for the year with it.
		_, err := e.ledger.Adjust(context.Background(), registry.Operator, "acme", billing.SEK(450_00-bal), "test: spent elsewhere")
		require.NoError(t, err)
		resp := domainDo(t, e.acme, 2104, domainRestoreReq("rp-6", "poor.se"))
		assert.Contains(t, resp, "does not cover renew of poor.se (SEK 90.00)")
		assert.Equal(t, int64(450_00), e.balance(t, "acme"))
		assert.Len(t, e.domainEntries(t, "acme", "poor.se"), 1, "its create only")
		assert.Zero(t, e.historyWith(t, "rp-6"))
		info = domainInfo(t, e.acme, "poor.se")
		assert.Contains(t, info.statuses, "pendingDelete")
		assert.True(t, info.exDate.Equal(chargeExpiry))

		e.topUp(t, "acme", 100)
		domainDo(t, e.acme, 1000, domainRestoreReq("rp-7", "poor.se"))
		assert.Equal(t, int64(550_00-chargeSERestore-chargeSERenew), e.balance(t, "acme"))
		assert.Len(t, e.domainEntries(t, "acme", "poor.se"), 3)
	})
}
