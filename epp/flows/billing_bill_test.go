package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// TestBillEPPView: what resellers see over EPP of a registrant-managed
// domain's unpaid bill: poll messages for the one holding roles on it (none
// for another), the domain out of the zone (serverHold) once deactivated,
// back after payment; and no registrant change by a reseller at all.
func TestBillEPPView(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		h, clock := domainHarness(t, dsn)
		acme := modelLogin(t, h, "acme")
		clock.Set(time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC))
		domainSeed(t, h)
		spec := modelRegistrantCreate("billed.se")
		spec.contacts = append(spec.contacts, registry.DomainContact{Type: "billing", ID: "tech-acme"})
		domainDo(t, acme, 1000, spec.xml("b-1"))

		biller, err := billing.NewBiller(h.Svc, billing.CalendarConfig{}, nil, nil)
		require.NoError(t, err)
		run := func(first, last string) {
			from, _ := time.Parse(time.DateOnly, first)
			to, _ := time.Parse(time.DateOnly, last)
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				clock.Set(d.Add(2 * time.Hour))
				_, err := biller.Run(ctx, d)
				require.NoError(t, err)
			}
		}
		run("2027-02-01", "2027-03-10")
		assert.NotContains(t, domainInfo(t, acme, "billed.se").statuses, registry.StatusServerHold)
		// A reseller never changes the registrant of a registrant-managed
		// domain (2201); the unpaid-bill rule (2304) guards the channels
		// that may: the operator, self-service.
		domainDo(t, acme, 2201, domainUpdateReq("b-2", "billed.se", "", "", "<domain:registrant>reg-acme</domain:registrant>", ""))

		run("2027-03-11", "2027-05-20")
		assert.Contains(t, domainInfo(t, acme, "billed.se").statuses, registry.StatusServerHold, "deactivated: out of the zone")

		q, err := h.Svc.PollRequest(ctx, registry.Actor{Name: registry.ResellerActor("acme"), ClID: "acme"})
		require.NoError(t, err)
		assert.Equal(t, 6, q.Count, "notice, bill, reminder e-mail and letter, final notice, deactivation")
		assert.Contains(t, q.First.Msg, "formed for billed.se")
		if q, err := h.Svc.PollRequest(ctx, registry.Actor{Name: registry.ResellerActor("other"), ClID: "other"}); err == nil {
			assert.Zero(t, q.Count, "no role, no message")
		} else {
			assert.True(t, registry.IsKind(err, registry.KindNotFound), "%v", err)
		}

		bills, err := biller.Bills(ctx, registry.BillFilter{Open: true})
		require.NoError(t, err)
		require.Len(t, bills, 1)
		_, err = biller.Pay(ctx, registry.Operator, bills[0].Number, billing.SEK(bills[0].Total), clock.Now(), "")
		require.NoError(t, err)
		info := domainInfo(t, acme, "billed.se")
		assert.NotContains(t, info.statuses, registry.StatusServerHold, "reactivated")
		assert.Equal(t, 2028, info.exDate.Year())
	})
}
