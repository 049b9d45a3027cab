package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// balanceLogin logs in selecting the standard object services and those
// of objURIs.
func balanceLogin(clID, pw string, objURIs ...string) string {
	var uris strings.Builder
	for _, u := range append([]string{epp.NSDomain, epp.NSContact, epp.NSHost}, objURIs...) {
		uris.WriteString("<objURI>" + u + "</objURI>")
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><login><clID>%s</clID><pw>%s</pw>`+
		`<options><version>1.0</version><lang>en</lang></options><svcs>%s</svcs></login>`+
		`<clTRID>login-balance</clTRID></command></epp>`, clID, pw, uris.String())
}

func balanceInfo(ns, clTRID string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <info>
      <balance:info xmlns:balance="` + ns + `"/>
    </info>
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

func TestBalance(t *testing.T) {
	clock := epptest.NewClock(time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC))
	var ledger *billing.Ledger
	h := epptest.NewHarness(t, epptest.Options{
		Clock: clock,
		Register: func(m *epp.Mux, svc *registry.Service) {
			flows.Register(m, svc)
			var err error
			ledger, err = billing.NewLedger(svc.Store(), svc.Clock(), billing.Config{
				LowBalance: []billing.Money{billing.SEK(100_00), billing.SEK(1000_00)},
			})
			if err != nil {
				t.Fatal(err)
			}
			flows.RegisterBalance(m, ledger)
		},
	})
	ctx := context.Background()

	// Both services are announced, and may be selected.
	plain := h.Dial(&h.Acme)
	for _, ns := range []string{flows.NSBalance, flows.NSLowBalancePoll} {
		if !strings.Contains(string(plain.Greeting), "<objURI>"+ns+"</objURI>") {
			t.Errorf("greeting does not announce %s:\n%s", ns, plain.Greeting)
		}
	}
	acme := h.Dial(&h.Acme)
	if code := epptest.Code(acme.Do(balanceLogin("acme", epptest.AcmePW, flows.NSBalance, flows.NSLowBalancePoll))); code != 1000 {
		t.Fatalf("login selecting the balance services: %d", code)
	}
	acme.Golden("balance/info-zero", balanceInfo(flows.NSBalance, "BAL-1"))

	if _, err := ledger.TopUp(ctx, registry.Operator, "acme", billing.SEK(1050_00), "OCR 4711"); err != nil {
		t.Fatal(err)
	}
	err := h.Store.Tx(ctx, func(tx registry.Tx) error {
		return ledger.Charge(ctx, tx, registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate,
			Domain: "example.se", TLD: "se", Years: 1, ClTRID: "C-1", SvTRID: "SV-1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	acme.Golden("balance/info", balanceInfo(flows.NSBalance, "BAL-2"))
	// The charge took the balance from 1050 to 950, under the 1000
	// threshold: a poll message with Verisign's low-balance data.
	acme.Golden("balance/poll-lowbalance", pollReq("BAL-3"))

	// Without the low-balance service selected: the text only.
	plainResp := h.Login("acme").Do(pollReq("BAL-4"))
	if epptest.Code(plainResp) != 1301 || strings.Contains(string(plainResp), "resData") ||
		!strings.Contains(string(plainResp), "at or below the threshold of SEK 1000.00") {
		t.Errorf("poll without the low-balance service:\n%s", plainResp)
	}
	// Without the balance service selected: refused.
	if code := epptest.Code(h.Login("acme").Do(balanceInfo(flows.NSBalance, "BAL-5"))); code != 2307 {
		t.Errorf("balance info without the service selected: %d, want 2307", code)
	}
	// The low-balance service has no commands.
	if code := epptest.Code(acme.Do(balanceInfo(flows.NSLowBalancePoll, "BAL-6"))); code != 2101 {
		t.Errorf("info in the low-balance namespace: %d, want 2101", code)
	}

	// Each reseller sees its own balance.
	other := h.Dial(&h.Other)
	if code := epptest.Code(other.Do(balanceLogin("other", epptest.OtherPW, flows.NSBalance))); code != 1000 {
		t.Fatalf("login as other: %d", code)
	}
	resp := string(other.Do(balanceInfo(flows.NSBalance, "BAL-7")))
	if !strings.Contains(resp, "<balance:balance>0.00</balance:balance>") {
		t.Errorf("other's balance:\n%s", resp)
	}
}
