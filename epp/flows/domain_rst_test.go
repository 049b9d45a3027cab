package flows_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
)

// ICANN registry system tests (RST v2.0) epp-04, -14, -15, -16, -18, -21
// and -22, as ../shared/rst/epp-cases.yaml describes them: each test makes
// the errors the case lists impossible.

var domainSeq atomic.Int64

// domainRandom returns a label no other test uses.
func domainRandom() string {
	return fmt.Sprintf("r%x%d", time.Now().UnixNano()&0xffffff, domainSeq.Add(1))
}

// domainObjEPP wraps inner in <verb><prefix:verb> of the contact or host
// service.
func domainObjEPP(clTRID, verb, prefix, inner string) string {
	ns := map[string]string{"contact": "urn:ietf:params:xml:ns:contact-1.0", "host": "urn:ietf:params:xml:ns:host-1.0"}[prefix]
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <` + verb + `>
      <` + prefix + `:` + verb + ` xmlns:` + prefix + `="` + ns + `">` + inner + `
      </` + prefix + `:` + verb + `>
    </` + verb + `>
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

func domainContactCreateReq(id string) string {
	return domainObjEPP("cc-"+id, "create", "contact", `
        <contact:id>`+id+`</contact:id>
        <contact:postalInfo type="int"><contact:name>RST Holder</contact:name><contact:addr><contact:city>Stockholm</contact:city><contact:cc>SE</contact:cc></contact:addr></contact:postalInfo>
        <contact:email>rst@example.se</contact:email>
        <contact:authInfo><contact:pw>c0ntact-pw</contact:pw></contact:authInfo>`)
}

func domainHostCreateReq(name string, addrs ...string) string {
	inner := "\n        <host:name>" + name + "</host:name>"
	for _, a := range addrs {
		inner += "\n        <host:addr ip=\"v4\">" + a + "</host:addr>"
	}
	return domainObjEPP("hc-1", "create", "host", inner)
}

// domainRefused requires req to be refused with an error code, one of
// codes when given.
func domainRefused(t *testing.T, c *epptest.Client, req string, codes ...int) {
	t.Helper()
	resp := c.Do(req)
	code := epptest.Code(resp)
	assert.GreaterOrEqual(t, code, 2000, "accepted:\n%s\n%s", req, resp)
	if len(codes) > 0 {
		assert.Contains(t, codes, code, "request:\n%s\nresponse:\n%s", req, resp)
	}
}

// TestRST_epp04_DomainCheck: invalid names are unavailable (or an error),
// registered names unavailable, random unregistered ones available, under
// every TLD.
func TestRST_epp04_DomainCheck(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	// The registered names are another reseller's (epp.registeredNames).
	o := domainLogin(t, h, "other")
	c := domainLogin(t, h, "acme")
	for _, tld := range h.Svc.Config().TLDs {
		t.Run(tld.Name, func(t *testing.T) {
			reg := "registered-" + domainRandom() + "." + tld.Name
			spec := domainBasic(reg)
			spec.registrant, spec.contacts, spec.ns = "reg-other", nil, nil
			domainDo(t, o, 1000, spec.xml("e04-0"))

			invalid := []string{"-lead." + tld.Name, "trail-." + tld.Name, "dou..ble." + tld.Name, "under_score." + tld.Name,
				"sp ace." + tld.Name, strings.Repeat("a", 64) + "." + tld.Name, "ab--cd." + tld.Name, "." + tld.Name, tld.Name}
			for _, name := range invalid {
				resp := string(c.Do(domainCheckReq("e04-1", name)))
				if code := epptest.Code([]byte(resp)); code == 1000 {
					assert.Contains(t, resp, `avail="0"`, name)
					assert.NotContains(t, resp, `avail="1"`, name)
				} else {
					assert.Contains(t, []int{2001, 2004, 2005}, code, name)
				}
			}
			resp := domainDo(t, c, 1000, domainCheckReq("e04-2", reg, strings.ToUpper(reg)))
			assert.Equal(t, 2, strings.Count(resp, `avail="0"`), resp)

			var free []string
			for range 3 {
				free = append(free, domainRandom()+"-x."+tld.Name)
			}
			resp = domainDo(t, c, 1000, domainCheckReq("e04-3", free...))
			for _, n := range free {
				assert.Contains(t, resp, `<domain:name avail="1">`+n+`</domain:name>`)
			}
		})
	}
}

var domainROIDRE = regexp.MustCompile(`<domain:roid>(D\d+-EPPD)</domain:roid>`)

// TestRST_epp14_DomainCreate: invalid names, periods, hosts, registrants
// and DNSSEC data are refused; host attributes are refused (the registry
// uses host objects); both resellers create domains, and info shows what
// was created.
func TestRST_epp14_DomainCreate(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	c := domainLogin(t, h, "acme")
	o := domainLogin(t, h, "other")
	name := func() string { return domainRandom() + ".se" }

	t.Run("invalid domain name", func(t *testing.T) {
		for _, n := range []string{"-x.se", "x-.se", "x..se", "x_y.se", "x.se.", strings.Repeat("b", 64) + ".se", "xn--zz.se", "x.notatld", "se"} {
			if n == "x.se." {
				continue // a trailing dot is normalised away, the name is valid
			}
			domainRefused(t, c, domainBasic(n).xml("e14-1"), 2001, 2005, 2306)
		}
	})
	t.Run("invalid period", func(t *testing.T) {
		for _, p := range []string{`unit="y">0`, `unit="y">11`, `unit="y">100`, `unit="m">6`, `unit="m">132`, `unit="d">1`, `unit="y">-1`, `unit="y">one`} {
			spec := domainBasic(name())
			spec.period = p
			domainRefused(t, c, spec.xml("e14-2"), 2001, 2004, 2306)
		}
	})
	t.Run("host objects", func(t *testing.T) {
		for _, ns := range []string{"-ns.example.net", "ns..example.net", "ns9.example.net", "ns1." + domainRandom() + ".se"} {
			spec := domainBasic(name())
			spec.ns = []string{ns}
			domainRefused(t, c, spec.xml("e14-3"), 2005, 2303)
		}
	})
	t.Run("host attributes", func(t *testing.T) {
		n := name()
		for _, attr := range []string{
			"<domain:hostAttr><domain:hostName>ns1.example.net</domain:hostName></domain:hostAttr>",
			"<domain:hostAttr><domain:hostName>ns1." + n + "</domain:hostName></domain:hostAttr>",
			`<domain:hostAttr><domain:hostName>ns1.` + n + `</domain:hostName><domain:hostAddr ip="v4">192.0.2.300</domain:hostAddr></domain:hostAttr>`,
		} {
			req := strings.Replace(domainBasic(n).xml("e14-4"), "<domain:hostObj>ns1.example.net</domain:hostObj>", attr, 1)
			domainRefused(t, c, req, 2001, 2102)
		}
	})
	t.Run("DNSSEC data", func(t *testing.T) {
		for _, ds := range []string{
			domainDS("65536", "13", "2", domainSHA256),
			domainDS("-1", "13", "2", domainSHA256),
			domainDS("1", "256", "2", domainSHA256),
			domainDS("1", "0", "2", domainSHA256),
			domainDS("1", "100", "2", domainSHA256),
			domainDS("1", "13", "0", domainSHA256),
			domainDS("1", "13", "99", domainSHA256),
			domainDS("1", "13", "2", domainSHA1),
			domainDS("1", "13", "1", domainSHA256),
			domainDS("1", "13", "2", "XYZ"+domainSHA256[3:]),
			domainDS("1", "13", "2", ""),
		} {
			spec := domainBasic(name())
			spec.ext = domainSecDNSCreate(ds)
			domainRefused(t, c, spec.xml("e14-5"), 2001, 2004, 2005, 2306)
		}
		spec := domainBasic(name())
		spec.ext = domainSecDNSCreate("\n        <secDNS:keyData><secDNS:flags>257</secDNS:flags><secDNS:protocol>3</secDNS:protocol><secDNS:alg>13</secDNS:alg><secDNS:pubKey>AQPJ////4Q==</secDNS:pubKey></secDNS:keyData>")
		domainRefused(t, c, spec.xml("e14-6"), 2102)
	})
	t.Run("registrant", func(t *testing.T) {
		spec := domainBasic(name())
		spec.registrant = "nosuch-c"
		domainRefused(t, c, spec.xml("e14-7"), 2303)
		spec.registrant = ""
		domainRefused(t, c, spec.xml("e14-8"), 2003)
		empty := strings.Replace(domainBasic(name()).xml("e14-9"), "<domain:registrant>reg-acme</domain:registrant>", "<domain:registrant></domain:registrant>", 1)
		domainRefused(t, c, empty, 2003)
		spec = domainBasic(name())
		spec.contacts = []registry.DomainContact{{Type: "admin", ID: "nosuch-c"}}
		domainRefused(t, c, spec.xml("e14-10"), 2303)
	})
	t.Run("both resellers create, info shows it", func(t *testing.T) {
		for _, who := range []struct {
			c    *epptest.Client
			clID string
			reg  string
			ns   string
		}{{c, "acme", "reg-acme", "ns1.example.net"}, {o, "other", "reg-other", "ns2.example.net"}} {
			for _, tld := range h.Svc.Config().TLDs {
				n := domainRandom() + "." + tld.Name
				spec := domainBasic(n)
				spec.period, spec.registrant, spec.ns = `unit="y">2`, who.reg, []string{who.ns}
				spec.contacts = []registry.DomainContact{{Type: "admin", ID: who.reg}, {Type: "tech", ID: who.reg}}
				spec.ext = domainSecDNSCreate(domainDS("4711", "8", "2", domainSHA256), domainDS("4712", "13", "4", domainSHA384))
				cre := domainDo(t, who.c, 1000, spec.xml("e14-11"))
				assert.Contains(t, cre, "<domain:name>"+n+"</domain:name>")
				resp := domainDo(t, who.c, 1000, domainInfoReq("e14-12", n))
				assert.Regexp(t, domainROIDRE, resp)
				assert.Contains(t, resp, "<domain:clID>"+who.clID+"</domain:clID>")
				assert.Contains(t, resp, "<domain:crID>"+who.clID+"</domain:crID>")
				assert.Contains(t, resp, "<domain:registrant>"+who.reg+"</domain:registrant>")
				assert.Contains(t, resp, `<domain:contact type="admin">`+who.reg+`</domain:contact>`)
				assert.Contains(t, resp, "<domain:hostObj>"+who.ns+"</domain:hostObj>")
				got := domainParseInfo(t, resp)
				cr := regexp.MustCompile(`<domain:crDate>([^<]+)</domain:crDate>`).FindStringSubmatch(resp)
				require.NotNil(t, cr)
				crDate, err := time.Parse(time.RFC3339Nano, cr[1])
				require.NoError(t, err)
				assert.Equal(t, crDate.AddDate(2, 0, 0), got.exDate)
				assert.Equal(t, []string{domainSHA256, domainSHA384}, got.digests)
				assert.Contains(t, resp, "<secDNS:keyTag>4711</secDNS:keyTag><secDNS:alg>8</secDNS:alg><secDNS:digestType>2</secDNS:digestType>")
			}
		}
	})
}

// TestRST_epp15_ObjectIntegrity: contacts and hosts a domain uses cannot
// be deleted.
func TestRST_epp15_ObjectIntegrity(t *testing.T) {
	h, _ := domainHarness(t, "")
	c := domainLogin(t, h, "acme")
	domainDo(t, c, 1000, domainContactCreateReq("e15-reg"))
	domainDo(t, c, 1000, domainContactCreateReq("e15-tech"))
	domainDo(t, c, 1000, domainHostCreateReq("ns1.e15.example"))
	spec := domainBasic("e15.se")
	spec.registrant, spec.ns = "e15-reg", []string{"ns1.e15.example"}
	spec.contacts = []registry.DomainContact{{Type: "tech", ID: "e15-tech"}}
	domainDo(t, c, 1000, spec.xml("e15-1"))
	domainDo(t, c, 1000, domainHostCreateReq("ns1.e15.se", "192.0.2.15"))
	domainDo(t, c, 1000, domainUpdateReq("e15-2", "e15.se", domainNSXML("ns1.e15.se"), "", "", ""))

	for _, id := range []string{"e15-reg", "e15-tech"} {
		domainDo(t, c, 2305, domainObjEPP("e15-3", "delete", "contact", "\n        <contact:id>"+id+"</contact:id>"))
	}
	for _, n := range []string{"ns1.e15.example", "ns1.e15.se"} {
		domainDo(t, c, 2305, domainObjEPP("e15-4", "delete", "host", "\n        <host:name>"+n+"</host:name>"))
	}
	// The domain cannot go while a host is subordinate to it either.
	domainDo(t, c, 2305, domainDeleteReq("e15-5", "e15.se"))
}

// TestRST_epp16_DomainUpdate: statuses, name servers, registrant and DS
// records change and read back; host attributes, invalid statuses and DS
// data, unknown contacts and hosts, and another reseller's update are
// refused.
func TestRST_epp16_DomainUpdate(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	domainSeedHost(t, h, "ns3.example.net", "other")
	c := domainLogin(t, h, "acme")
	o := domainLogin(t, h, "other")
	n := "e16.se"
	domainDo(t, c, 1000, domainBasic(n).xml("e16-0"))

	t.Run("statuses", func(t *testing.T) {
		for _, st := range []string{"clientHold", "clientDeleteProhibited", "clientRenewProhibited", "clientTransferProhibited", "clientUpdateProhibited"} {
			domainDo(t, c, 1000, domainUpdateReq("e16-1", n, domainStatusXML(st), "", "", ""))
			assert.Contains(t, domainInfo(t, c, n).statuses, st)
			domainDo(t, c, 1000, domainUpdateReq("e16-2", n, "", domainStatusXML(st), "", ""))
			assert.Equal(t, []string{"ok"}, domainInfo(t, c, n).statuses)
		}
		for _, st := range []string{"serverHold", "ok", "pendingDelete", "inactive", "linked", "clientFoo"} {
			domainRefused(t, c, domainUpdateReq("e16-3", n, domainStatusXML(st), "", "", ""), 2001, 2005, 2306)
		}
		assert.Equal(t, []string{"ok"}, domainInfo(t, c, n).statuses)
	})
	t.Run("name servers", func(t *testing.T) {
		domainDo(t, c, 1000, domainUpdateReq("e16-4", n, domainNSXML("ns2.example.net", "ns3.example.net"), "", "", ""))
		assert.Equal(t, []string{"ns1.example.net", "ns2.example.net", "ns3.example.net"}, domainInfo(t, c, n).ns)
		domainDo(t, c, 1000, domainUpdateReq("e16-5", n, "", domainNSXML("ns1.example.net", "ns3.example.net"), "", ""))
		assert.Equal(t, []string{"ns2.example.net"}, domainInfo(t, c, n).ns)
		domainDo(t, c, 1000, domainUpdateReq("e16-6", n, "", domainNSXML("ns2.example.net"), "", ""))
		got := domainInfo(t, c, n)
		assert.Empty(t, got.ns)
		assert.Equal(t, []string{"inactive"}, got.statuses)
		domainDo(t, c, 1000, domainUpdateReq("e16-7", n, domainNSXML("ns1.example.net"), "", "", ""))

		domainRefused(t, c, domainUpdateReq("e16-8", n, domainNSXML("ns9.example.net"), "", "", ""), 2303)
		domainRefused(t, c, domainUpdateReq("e16-9", n, "\n          <domain:ns><domain:hostAttr><domain:hostName>ns9.example.net</domain:hostName></domain:hostAttr></domain:ns>", "", "", ""), 2102)
		domainRefused(t, c, domainUpdateReq("e16-10", n, "\n          <domain:ns><domain:hostAttr><domain:hostName>ns1.e16.se</domain:hostName></domain:hostAttr></domain:ns>", "", "", ""), 2102)
		assert.Equal(t, []string{"ns1.example.net"}, domainInfo(t, c, n).ns)
	})
	t.Run("registrant and contacts", func(t *testing.T) {
		domainDo(t, c, 1000, domainUpdateReq("e16-11", n, "", "", "\n          <domain:registrant>tech-acme</domain:registrant>", ""))
		assert.Equal(t, "tech-acme", domainInfo(t, c, n).registrant)
		domainRefused(t, c, domainUpdateReq("e16-12", n, "", "", "\n          <domain:registrant>nosuch-c</domain:registrant>", ""), 2303)
		domainRefused(t, c, domainUpdateReq("e16-13", n, "\n          <domain:contact type=\"admin\">nosuch-c</domain:contact>", "", "", ""), 2303)
		assert.Equal(t, "tech-acme", domainInfo(t, c, n).registrant)
		domainDo(t, c, 1000, domainUpdateReq("e16-14", n, "\n          <domain:contact type=\"admin\">reg-acme</domain:contact>",
			"\n          <domain:contact type=\"tech\">tech-acme</domain:contact>", "", ""))
		resp := domainInfo(t, c, n).raw
		assert.Contains(t, resp, `<domain:contact type="admin">reg-acme</domain:contact>`)
		assert.NotContains(t, resp, `type="tech"`)
	})
	t.Run("DNSSEC", func(t *testing.T) {
		ds1, ds2 := domainDS("100", "13", "2", domainSHA256), domainDS("200", "8", "1", domainSHA1)
		domainDo(t, c, 1000, domainUpdateReq("e16-15", n, "", "", "", domainSecDNSUpdate("", ds1+ds2)))
		assert.Equal(t, []string{domainSHA256, domainSHA1}, domainInfo(t, c, n).digests)
		domainDo(t, c, 1000, domainUpdateReq("e16-16", n, "", "", "", domainSecDNSUpdate(ds1, "")))
		assert.Equal(t, []string{domainSHA1}, domainInfo(t, c, n).digests)
		domainDo(t, c, 1000, domainUpdateReq("e16-17", n, "", "", "", domainSecDNSUpdate("\n          <secDNS:all>true</secDNS:all>", ds1)))
		assert.Equal(t, []string{domainSHA256}, domainInfo(t, c, n).digests)
		for _, bad := range []string{
			domainDS("70000", "13", "2", domainSHA256), domainDS("1", "2", "2", domainSHA256),
			domainDS("1", "13", "7", domainSHA256), domainDS("1", "13", "4", domainSHA256), domainDS("1", "13", "2", "not-hex"),
		} {
			domainRefused(t, c, domainUpdateReq("e16-18", n, "", "", "", domainSecDNSUpdate("", bad)), 2001, 2004, 2005, 2306)
		}
		domainRefused(t, c, domainUpdateReq("e16-19", n, "", "", "", domainSecDNSUpdate(ds2, "")), 2306)
		domainRefused(t, c, domainUpdateReq("e16-20", n, "", "", "", domainSecDNSUpdate("", ds1)), 2306)
		assert.Equal(t, []string{domainSHA256}, domainInfo(t, c, n).digests)
		domainDo(t, c, 1000, domainUpdateReq("e16-21", n, "", "", "", domainSecDNSUpdate("\n          <secDNS:all>true</secDNS:all>", "")))
		assert.NotContains(t, domainInfo(t, c, n).raw, "secDNS")
	})
	t.Run("another reseller", func(t *testing.T) {
		domainDo(t, o, 2201, domainUpdateReq("e16-22", n, domainStatusXML("clientHold"), "", "", ""))
		domainDo(t, o, 2201, domainUpdateReq("e16-23", n, domainNSXML("ns2.example.net"), "", "", ""))
		domainDo(t, o, 2201, domainUpdateReq("e16-24", n, "", "", "\n          <domain:registrant>reg-other</domain:registrant>", ""))
		assert.Equal(t, "tech-acme", domainInfo(t, c, n).registrant)
	})
}

// TestRST_epp18_DomainRenew: a renew extends the expiry by the period and
// starts the renewPeriod; invalid periods, wrong current expiry dates and
// renewals beyond ten years are refused.
func TestRST_epp18_DomainRenew(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	c := domainLogin(t, h, "acme")
	n := "e18.se"
	domainDo(t, c, 1000, domainBasic(n).xml("e18-0"))
	exp := domainInfo(t, c, n).exDate
	date := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }

	for _, years := range []int{1, 3} {
		resp := domainDo(t, c, 1000, domainRenewReq("e18-1", n, date(exp), years))
		want := exp.AddDate(years, 0, 0)
		assert.Contains(t, resp, "<domain:exDate>")
		got := domainInfo(t, c, n)
		assert.Equal(t, want, got.exDate)
		assert.Contains(t, got.rgp, "renewPeriod")
		assert.NotContains(t, got.rgp, "addPeriod")
		exp = want
	}
	// Wrong current expiry dates, among them the old one: a renew sent
	// twice renews once.
	for _, cur := range []string{date(exp.AddDate(-1, 0, 0)), date(exp.AddDate(0, 0, 1)), date(exp.AddDate(1, 0, 0))} {
		domainRefused(t, c, domainRenewReq("e18-2", n, cur, 1), 2004)
	}
	domainRefused(t, c, domainRenewReq("e18-3", n, "17-03-2031", 1), 2005)
	// Expiry is now 5 years ahead: 6 more would be 11.
	domainRefused(t, c, domainRenewReq("e18-4", n, date(exp), 6), 2306)
	for _, p := range []string{`unit="y">0`, `unit="y">11`, `unit="m">5`, `unit="d">365`, `unit="y">x`} {
		req := strings.Replace(domainRenewReq("e18-5", n, date(exp), 1), `unit="y">1`, p, 1)
		domainRefused(t, c, req, 2001, 2004, 2306)
	}
	domainDo(t, c, 1000, domainRenewReq("e18-6", n, date(exp), 5))
	assert.Equal(t, exp.AddDate(5, 0, 0), domainInfo(t, c, n).exDate)
}

// TestRST_epp21_DomainDelete: within the add grace period a delete
// removes the domain (1000), after which its hosts and contacts can be
// deleted; later it answers 1001 and the domain shows pendingDelete.
func TestRST_epp21_DomainDelete(t *testing.T) {
	h, _ := domainHarness(t, "")
	c := domainLogin(t, h, "acme")
	domainDo(t, c, 1000, domainContactCreateReq("e21-reg"))
	domainDo(t, c, 1000, domainHostCreateReq("ns1.e21.example"))
	spec := domainBasic("e21.se")
	spec.registrant, spec.ns, spec.contacts = "e21-reg", []string{"ns1.e21.example"}, []registry.DomainContact{{Type: "admin", ID: "e21-reg"}}
	domainDo(t, c, 1000, spec.xml("e21-1"))
	domainDo(t, c, 1000, domainDeleteReq("e21-2", "e21.se"))
	domainDo(t, c, 2303, domainInfoReq("e21-3", "e21.se"))
	domainDo(t, c, 1000, domainObjEPP("e21-4", "delete", "host", "\n        <host:name>ns1.e21.example</host:name>"))
	domainDo(t, c, 1000, domainObjEPP("e21-5", "delete", "contact", "\n        <contact:id>e21-reg</contact:id>"))
	domainDo(t, c, 2303, domainObjEPP("e21-6", "info", "host", "\n        <host:name>ns1.e21.example</host:name>"))
	domainDo(t, c, 2303, domainObjEPP("e21-7", "info", "contact", "\n        <contact:id>e21-reg</contact:id>"))

	domainSeed(t, h)
	domainDo(t, c, 1000, domainBasic("e21b.se").xml("e21-8"))
	exp := domainInfo(t, c, "e21b.se").exDate
	domainDo(t, c, 1000, domainRenewReq("e21-9", "e21b.se", exp.Format(time.DateOnly), 1))
	domainDo(t, c, 1001, domainDeleteReq("e21-10", "e21b.se"))
	assert.Contains(t, domainInfo(t, c, "e21b.se").statuses, "pendingDelete")
}

// TestRST_epp22_DomainRestore: after a renew (which ends the add grace
// period) and a delete, a restore request, or a restore report without a
// request, brings the domain back: no pendingDelete, and the renewPeriod
// still shows.
func TestRST_epp22_DomainRestore(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	c := domainLogin(t, h, "acme")
	o := domainLogin(t, h, "other")
	report := "\n      <rgp:update xmlns:rgp=\"urn:ietf:params:xml:ns:rgp-1.0\">\n        <rgp:restore op=\"report\">\n          <rgp:report>" +
		"\n            <rgp:preData>Pre-delete registration data goes here. Both XML and free text are allowed.</rgp:preData>" +
		"\n            <rgp:postData>Post-restore registration data goes here. Both XML and free text are allowed.</rgp:postData>" +
		"\n            <rgp:delTime>2027-03-17T10:00:00.0Z</rgp:delTime>\n            <rgp:resTime>2027-03-18T11:00:00.0Z</rgp:resTime>" +
		"\n            <rgp:resReason>Registrant error.</rgp:resReason>" +
		"\n            <rgp:statement>This registrar has not restored the Registered Name in order to assume the rights to use or sell the Registered Name for itself or for any third party.</rgp:statement>" +
		"\n            <rgp:statement>The information in this report is true to best of this registrar's knowledge, and this registrar acknowledges that intentionally supplying false information in this report shall constitute an incurable material breach of the Registry-Registrar Agreement.</rgp:statement>" +
		"\n            <rgp:other>Supporting information goes here.</rgp:other>\n          </rgp:report>\n        </rgp:restore>\n      </rgp:update>"
	for i, restore := range []string{domainRestoreExt, report} {
		n := fmt.Sprintf("e22-%d.se", i)
		domainDo(t, c, 1000, domainBasic(n).xml("e22-1"))
		exp := domainInfo(t, c, n).exDate
		domainDo(t, c, 1000, domainRenewReq("e22-2", n, exp.Format(time.DateOnly), 1))
		assert.Equal(t, []string{"renewPeriod"}, domainInfo(t, c, n).rgp)
		domainDo(t, c, 1001, domainDeleteReq("e22-3", n))
		got := domainInfo(t, c, n)
		assert.Equal(t, []string{"pendingDelete"}, got.statuses)
		assert.Equal(t, []string{"redemptionPeriod"}, got.rgp)
		domainDo(t, o, 2201, domainUpdateReq("e22-4", n, "", "", "-", restore))
		domainDo(t, c, 1000, domainUpdateReq("e22-5", n, "", "", "-", restore))
		got = domainInfo(t, c, n)
		assert.Equal(t, []string{"ok"}, got.statuses)
		assert.Equal(t, []string{"renewPeriod"}, got.rgp)
		domainDo(t, c, 2304, domainUpdateReq("e22-6", n, "", "", "-", restore))
	}
	hist, err := h.Svc.History(t.Context(), registry.ObjectDomain, strings.TrimSuffix(strings.TrimPrefix(
		domainROIDRE.FindString(domainInfo(t, c, "e22-1.se").raw), "<domain:roid>"), "</domain:roid>"))
	require.NoError(t, err)
	last := hist[len(hist)-1]
	assert.Equal(t, "restore", last.Action)
	assert.Contains(t, string(last.State), "Registrant error.")
}
