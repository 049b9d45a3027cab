package flows_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

const domainPollReq = `<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><poll op="req"/><clTRID>poll-1</clTRID></command></epp>`

func domainPollAck(id string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><poll op="ack" msgID="` + id + `"/><clTRID>ack-1</clTRID></command></epp>`
}

var domainMsgIDRE = regexp.MustCompile(`<msgQ count="\d+" id="([^"]+)"`)

// domainPoll reads and acknowledges the oldest message of c's queue.
func domainPoll(t *testing.T, c *epptest.Client) string {
	t.Helper()
	resp := domainDo(t, c, 1301, domainPollReq)
	m := domainMsgIDRE.FindStringSubmatch(resp)
	require.NotNil(t, m, resp)
	domainDo(t, c, 1000, domainPollAck(m[1]))
	return resp
}

// TestDomainLifecycle runs a domain through two years and more of
// registry life on a simulated clock, over EPP: create, renew,
// auto-renewal at expiry, transfer to another reseller approved by the
// registry when the sponsor does not answer, delete into redemption,
// restore, delete again, purge at the end of the redemption period, and
// registration of the freed name by the first reseller.
func TestDomainLifecycle(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		h, clock := domainHarness(t, dsn)
		domainSeed(t, h)
		c := domainLogin(t, h, "acme")
		o := domainLogin(t, h, "other")
		t0 := clock.Now()
		n := "life.se"

		domainDo(t, c, 1000, domainBasic(n).xml("life-1"))
		got := domainInfo(t, c, n)
		assert.Equal(t, t0.AddDate(1, 0, 0), got.exDate)
		assert.Equal(t, []string{"addPeriod"}, got.rgp)

		clock.Advance(24 * time.Hour)
		domainDo(t, c, 1000, domainRenewReq("life-2", n, got.exDate.Format(time.DateOnly), 1))
		got = domainInfo(t, c, n)
		assert.Equal(t, t0.AddDate(2, 0, 0), got.exDate)
		assert.Equal(t, []string{"renewPeriod"}, got.rgp)

		// The renew grace period ends; nothing else happens until expiry.
		clock.Advance(5 * 24 * time.Hour)
		processed, err := h.Svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, processed)
		assert.Empty(t, domainInfo(t, c, n).rgp)

		// At expiry the registry renews for a year and tells the sponsor.
		clock.Set(t0.AddDate(2, 0, 0).Add(time.Minute))
		_, err = h.Svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		got = domainInfo(t, c, n)
		assert.Equal(t, t0.AddDate(3, 0, 0), got.exDate)
		assert.Equal(t, []string{"autoRenewPeriod"}, got.rgp)
		assert.Contains(t, domainPoll(t, c), "renewed automatically")

		// The other reseller pulls the domain with its authInfo; the
		// sponsor does not answer, and after the TLD's five days the
		// registry approves. The transfer's year takes the place of the
		// automatic renewal it falls within.
		clock.Advance(24 * time.Hour)
		domainDo(t, o, 1001, transferDomainReq("request", n, `unit="y">1`, "2fooBAR-x", "life-tr-1"))
		assert.Contains(t, domainPoll(t, c), "<domain:trStatus>pending</domain:trStatus>")
		clock.Advance(5*24*time.Hour + time.Minute)
		_, err = h.Svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		got = domainInfo(t, o, n)
		assert.Equal(t, "other", got.clID)
		assert.Equal(t, t0.AddDate(3, 0, 0), got.exDate)
		assert.Equal(t, []string{"transferPeriod"}, got.rgp)
		assert.Contains(t, domainPoll(t, c), "serverApproved")
		assert.Contains(t, domainPoll(t, o), "serverApproved")
		domainDo(t, c, 1300, domainPollReq)
		domainDo(t, o, 1300, domainPollReq)
		domainDo(t, c, 2201, domainDeleteReq("life-tr-2", n))
		// From here on the other reseller is the sponsor.
		c, o = o, c

		clock.Advance(10 * 24 * time.Hour)
		domainDo(t, c, 1001, domainDeleteReq("life-del-1", n))
		got = domainInfo(t, c, n)
		assert.Equal(t, []string{"pendingDelete"}, got.statuses)
		assert.Equal(t, []string{"redemptionPeriod"}, got.rgp)
		domainDo(t, o, 1000, domainCheckReq("life-3", n)) // still taken
		assert.Contains(t, domainDo(t, o, 1000, domainCheckReq("life-3", n)), `avail="0"`)

		clock.Advance(40 * 24 * time.Hour)
		domainDo(t, c, 1000, domainRestoreReq("life-4", n))
		got = domainInfo(t, c, n)
		assert.Equal(t, []string{"ok"}, got.statuses)
		assert.Empty(t, got.rgp, "the autoRenewPeriod ended during redemption")
		assert.Contains(t, domainPoll(t, c), "restored")

		domainDo(t, c, 1001, domainDeleteReq("life-del-2", n))
		deleted := clock.Now()
		clock.Advance(59 * 24 * time.Hour)
		_, err = h.Svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		domainInfo(t, c, n) // not yet purged
		clock.Set(deleted.Add(60 * 24 * time.Hour))
		processed, err = h.Svc.ProcessDue(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, processed)
		domainDo(t, c, 2303, domainInfoReq("life-5", n))

		pan := domainPoll(t, c)
		assert.Contains(t, pan, `<domain:name paResult="1">life.se</domain:name>`)
		assert.Contains(t, pan, "<clTRID>life-del-2</clTRID>")
		domainDo(t, c, 1300, domainPollReq)

		assert.Contains(t, domainDo(t, o, 1000, domainCheckReq("life-6", n)), `<domain:name avail="1">life.se</domain:name>`)
		domainDo(t, o, 1000, domainBasic(n).xml("life-7"))
		got = domainInfo(t, o, n)
		assert.Equal(t, "acme", got.clID)
		assert.Equal(t, clock.Now().AddDate(1, 0, 0), got.exDate)
	})
}

// TestDomainCreateConcurrent: sessions racing to create the same name get
// exactly one 1000 and otherwise 2302, never 2400.
func TestDomainCreateConcurrent(t *testing.T) {
	dsn := sqltest.Postgres(t)
	h, _ := domainHarness(t, dsn)
	domainSeed(t, h)
	domainSeedContact(t, h, "tech-other", "other")
	const sessions = 16
	clients := make([]*epptest.Client, sessions)
	for i := range clients {
		clID := "acme"
		if i%2 == 1 {
			clID = "other"
		}
		clients[i] = domainLogin(t, h, clID)
	}
	for round := range 5 {
		name := fmt.Sprintf("race%d-%s.se", round, domainRandom())
		codes := make([]int, sessions)
		errs := make([]error, sessions)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range clients {
			spec := domainBasic(name)
			if i%2 == 1 {
				spec.registrant, spec.ns = "reg-other", []string{"ns2.example.net"}
				spec.contacts = []registry.DomainContact{{Type: "tech", ID: "tech-other"}}
			}
			req := spec.xml(fmt.Sprintf("race-%d", i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if errs[i] = c.Write(req); errs[i] != nil {
					return
				}
				resp, err := c.Read()
				codes[i], errs[i] = epptest.Code(resp), err
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i := range clients {
			require.NoError(t, errs[i])
			switch codes[i] {
			case 1000:
				won++
			case 2302:
			default:
				t.Errorf("round %d session %d: got %d, want 1000 or 2302", round, i, codes[i])
			}
		}
		assert.Equal(t, 1, won, "round %d: %v", round, codes)
	}
}

// TestDomainInfoAccess: who sees what, and the hosts attribute.
func TestDomainInfoAccess(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	c := domainLogin(t, h, "acme")
	o := domainLogin(t, h, "other")
	domainDo(t, c, 1000, domainBasic("acc.se").xml("acc-1"))
	domainSeedHost(t, h, "ns1.acc.se", "acme", "192.0.2.7")
	domainDo(t, c, 1000, domainUpdateReq("acc-2", "acc.se", domainNSXML("ns1.acc.se"), "", "", ""))

	for hosts, want := range map[string][2]bool{"all": {true, true}, "del": {true, false}, "sub": {false, true}, "none": {false, false}} {
		resp := domainDo(t, c, 1000, domainInfoAuthReq("acc-3", "acc.se", hosts, ""))
		assert.Equal(t, want[0], domainHas(`<domain:ns>`, resp), hosts)
		assert.Equal(t, want[1], domainHas(`<domain:host>ns1.acc.se</domain:host>`, resp), hosts)
	}
	domainDo(t, c, 2005, domainInfoAuthReq("acc-4", "acc.se", "some", ""))

	public := domainDo(t, o, 1000, domainInfoReq("acc-5", "acc.se"))
	for _, secret := range []string{"registrant", "domain:contact", "authInfo", "2fooBAR-x", "domain:host>", "crID", "upID"} {
		assert.NotContains(t, public, secret)
	}
	assert.Contains(t, public, "<domain:ns>")
	withAuth := domainDo(t, o, 1000, domainInfoAuthReq("acc-6", "acc.se", "all", "2fooBAR-x"))
	assert.Contains(t, withAuth, "<domain:registrant>reg-acme</domain:registrant>")
	assert.Contains(t, withAuth, "<domain:host>ns1.acc.se</domain:host>")
	assert.NotContains(t, withAuth, "2fooBAR-x</domain:pw>", "only the sponsor sees the authInfo")
	domainDo(t, o, 2202, domainInfoAuthReq("acc-7", "acc.se", "all", "2fooBAR-y"))

	// The registrant's authInfo, with its roid, also works.
	var roid string
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		r, err := tx.Contact(ctx, "reg-acme")
		roid = r.ROID
		return err
	})
	req := domainEPP("acc-8", "info", domainX("name", "acc.se")+
		"\n        <domain:authInfo><domain:pw roid=\""+roid+"\">contact-reg-acme</domain:pw></domain:authInfo>", "")
	assert.Contains(t, domainDo(t, o, 1000, req), "<domain:registrant>reg-acme</domain:registrant>")
	req = domainEPP("acc-9", "info", domainX("name", "acc.se")+
		"\n        <domain:authInfo><domain:pw roid=\""+roid+"\">2fooBAR-x</domain:pw></domain:authInfo>", "")
	domainDo(t, o, 2202, req)
}

func domainHas(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// TestDomainStrictParsing: commands that break the schema's structure are
// 2001; extensions that do not apply are 2103.
func TestDomainStrictParsing(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	c := domainLogin(t, h, "acme")
	domainDo(t, c, 1000, domainBasic("strict.se").xml("s-0"))
	for name, req := range map[string]string{
		"check without name":      domainEPP("s-1", "check", "", ""),
		"check empty name":        domainCheckReq("s-2", ""),
		"info two names":          domainEPP("s-3", "info", domainX("name", "a.se")+domainX("name", "b.se"), ""),
		"unknown element":         domainEPP("s-4", "info", domainX("name", "strict.se")+domainX("color", "blue"), ""),
		"misplaced element":       domainEPP("s-5", "renew", domainX("curExpDate", "2030-01-01")+domainX("name", "strict.se"), ""),
		"create without authInfo": domainEPP("s-6", "create", domainX("name", "new.se")+domainX("registrant", "reg-acme"), ""),
		"text in element":         domainEPP("s-7", "delete", domainX("name", "strict.se")+"stray text", ""),
		"unknown attribute":       domainEPP("s-8", "delete", "\n        <domain:name color=\"blue\">strict.se</domain:name>", ""),
		"restore op missing":      domainUpdateReq("s-9", "strict.se", "", "", "-", "<rgp:update xmlns:rgp=\"urn:ietf:params:xml:ns:rgp-1.0\"><rgp:restore/></rgp:update>"),
	} {
		t.Run(name, func(t *testing.T) { domainDo(t, c, 2001, req) })
	}
	domainDo(t, c, 2103, domainEPP("s-10", "delete", domainX("name", "strict.se"), domainSecDNSCreate(domainDS("1", "13", "2", domainSHA256))))
	domainDo(t, c, 2103, domainEPP("s-11", "renew", domainX("name", "strict.se")+domainX("curExpDate", "2030-01-01"), domainRestoreExt))
	domainDo(t, c, 2102, domainUpdateReq("s-12", "strict.se", "", "", "", "<secDNS:update xmlns:secDNS=\"urn:ietf:params:xml:ns:secDNS-1.1\" urgent=\"1\"><secDNS:rem><secDNS:all>1</secDNS:all></secDNS:rem></secDNS:update>"))
	domainDo(t, c, 2102, domainUpdateReq("s-13", "strict.se", "", "", "", "<secDNS:update xmlns:secDNS=\"urn:ietf:params:xml:ns:secDNS-1.1\"><secDNS:chg><secDNS:maxSigLife>604800</secDNS:maxSigLife></secDNS:chg></secDNS:update>"))
	domainDo(t, c, 2102, domainEPP("s-14", "info", domainX("name", "strict.se")+"\n        <domain:authInfo><domain:ext/></domain:authInfo>", ""))
	assert.Contains(t, domainDo(t, c, 2306, domainCheckReq("s-15", domainMany(51)...)), "at most 50")
}

func domainMany(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("n%d.se", i)
	}
	return out
}
