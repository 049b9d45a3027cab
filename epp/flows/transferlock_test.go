package flows_test

import (
	"testing"
	"time"

	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// TestTransferLockPolicy: a new domain cannot be transferred for the
// TLD's transfer lock (60 days by default: 2106), and a TLD whose policy
// turns the lock off (as a test environment such as ICANN's RST needs)
// lets it go at once.
func TestTransferLockPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		lock registry.Duration
		want int
	}{
		{"default lock", 0, 2106},
		{"lock off", registry.Duration(-time.Second), 1001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := epptest.NewHarness(t, epptest.Options{
				Clock: epptest.NewClock(time.Now().Truncate(time.Second)), Register: flows.Register,
				Registry: func(c *registry.Config) { c.TLDs = []registry.TLD{{Name: "se", TransferLock: tc.lock}} },
			})
			domainSeed(t, h)
			c, o := domainLogin(t, h, "acme"), domainLogin(t, h, "other")
			domainDo(t, c, 1000, domainBasic("fresh.se").xml("tl-1"))
			domainDo(t, o, tc.want, transferDomainReq("request", "fresh.se", "", "2fooBAR-x", "tl-2"))
		})
	}
}
