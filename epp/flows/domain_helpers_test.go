package flows_test

import (
	"context"
	"fmt"
	"html"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// domainHarness starts a server with every flow on the store dsn ("" for
// SQLite). The registry's clock starts at the current second and moves
// only when the test says; sessions time out on the wall clock, so a
// client logged in before the registry's clock is moved on stays usable
// (a new login then fails: certificates are checked against the
// registry's time).
func domainHarness(t testing.TB, dsn string) (*epptest.Harness, *epptest.Clock) {
	t.Helper()
	clock := epptest.NewClock(time.Now().Truncate(time.Second))
	h := epptest.NewHarness(t, epptest.Options{
		DSN: dsn, Clock: clock, Register: flows.Register,
		Server: func(c *epp.Config) { c.Clock = registry.SystemClock{} },
		Registry: func(c *registry.Config) {
			c.TLDs = []registry.TLD{{Name: "se", Reserved: []string{"nic"}}, {Name: "nu"}, {Name: "test"}}
		},
	})
	return h, clock
}

// domainT0 is when golden tests run, on the registry's clock, so that
// requests naming dates stay the same: clients log in first, on the wall
// clock, then the registry's clock is set to it.
var domainT0 = time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)

// domainStores runs fn on SQLite and on PostgreSQL (skipped loudly when
// PostgreSQL is absent).
func domainStores(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.Postgres(t)) })
}

// domainExtURIs are the extensions a domain client selects.
var domainExtURIs = []string{epp.NSSecDNS, epp.NSRGP}

// domainLoginXML is a login selecting the object services and exts.
func domainLoginXML(clID, pw string, exts ...string) string {
	var ext string
	if len(exts) > 0 {
		ext = "<svcExtension>"
		for _, e := range exts {
			ext += "<extURI>" + e + "</extURI>"
		}
		ext += "</svcExtension>"
	}
	return strings.Replace(epptest.Login(clID, pw, "login-1"), "</svcs>", ext+"</svcs>", 1)
}

// domainLogin connects as clID ("acme" or "other") and logs in selecting
// exts (domainExtURIs when none is given).
func domainLogin(t testing.TB, h *epptest.Harness, clID string, exts ...string) *epptest.Client {
	t.Helper()
	if exts == nil {
		exts = domainExtURIs
	}
	cert, pw := &h.Acme, epptest.AcmePW
	if clID == "other" {
		cert, pw = &h.Other, epptest.OtherPW
	}
	c := h.Dial(cert)
	resp := c.Do(domainLoginXML(clID, pw, exts...))
	require.Equal(t, 1000, epptest.Code(resp), "login as %s: %s", clID, resp)
	return c
}

// domainEPP wraps inner in <verb><domain:verb> within a command, with ext
// (the inner XML of <extension>) when not "".
func domainEPP(clTRID, verb, inner, ext string) string {
	return domainEPPAttr(clTRID, verb, "", inner, ext)
}

// domainEPPAttr is domainEPP with attributes on the verb element.
func domainEPPAttr(clTRID, verb, verbAttrs, inner, ext string) string {
	var e string
	if ext != "" {
		e = "\n    <extension>" + ext + "\n    </extension>"
	}
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <` + verb + verbAttrs + `>
      <domain:` + verb + ` xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">` + inner + `
      </domain:` + verb + `>
    </` + verb + `>` + e + `
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

// domainX writes <domain:tag>text</domain:tag> on a new line.
func domainX(tag, text string) string {
	return "\n        <domain:" + tag + ">" + text + "</domain:" + tag + ">"
}

func domainCheckReq(clTRID string, names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(domainX("name", n))
	}
	return domainEPP(clTRID, "check", b.String(), "")
}

func domainInfoReq(clTRID, name string) string {
	return domainEPP(clTRID, "info", domainX("name", name), "")
}

// domainInfoAuthReq is an info with hosts attribute and authInfo (pw ""
// for none).
func domainInfoAuthReq(clTRID, name, hosts, pw string) string {
	inner := "\n        <domain:name hosts=\"" + hosts + "\">" + name + "</domain:name>"
	if pw != "" {
		inner += "\n        <domain:authInfo><domain:pw>" + pw + "</domain:pw></domain:authInfo>"
	}
	return domainEPP(clTRID, "info", inner, "")
}

func domainDeleteReq(clTRID, name string) string {
	return domainEPP(clTRID, "delete", domainX("name", name), "")
}

func domainRenewReq(clTRID, name, curExp string, years int) string {
	inner := domainX("name", name) + domainX("curExpDate", curExp)
	if years > 0 {
		inner += fmt.Sprintf("\n        <domain:period unit=\"y\">%d</domain:period>", years)
	}
	return domainEPP(clTRID, "renew", inner, "")
}

// domainCreateSpec is a create command's content.
type domainCreateSpec struct {
	name       string
	period     string // the <period> element's inner "unit=... >n" form: `unit="y">2`
	ns         []string
	registrant string
	contacts   []registry.DomainContact
	pw         string
	ext        string // the inner XML of <extension>
}

func (s domainCreateSpec) xml(clTRID string) string {
	inner := domainX("name", s.name)
	if s.period != "" {
		inner += "\n        <domain:period " + s.period + "</domain:period>"
	}
	if len(s.ns) > 0 {
		inner += "\n        <domain:ns>"
		for _, n := range s.ns {
			inner += "\n          <domain:hostObj>" + n + "</domain:hostObj>"
		}
		inner += "\n        </domain:ns>"
	}
	if s.registrant != "" {
		inner += domainX("registrant", s.registrant)
	}
	for _, c := range s.contacts {
		inner += "\n        <domain:contact type=\"" + c.Type + "\">" + c.ID + "</domain:contact>"
	}
	inner += "\n        <domain:authInfo>\n          <domain:pw>" + s.pw + "</domain:pw>\n        </domain:authInfo>"
	return domainEPP(clTRID, "create", inner, s.ext)
}

// domainSecDNSCreate is a <secDNS:create> of the given dsData inner XML.
func domainSecDNSCreate(dsData ...string) string {
	return "\n      <secDNS:create xmlns:secDNS=\"urn:ietf:params:xml:ns:secDNS-1.1\">" + strings.Join(dsData, "") + "\n      </secDNS:create>"
}

// domainDS writes a <secDNS:dsData>.
func domainDS(keyTag, alg, digestType, digest string) string {
	return "\n        <secDNS:dsData>\n          <secDNS:keyTag>" + keyTag + "</secDNS:keyTag>\n          <secDNS:alg>" + alg +
		"</secDNS:alg>\n          <secDNS:digestType>" + digestType + "</secDNS:digestType>\n          <secDNS:digest>" +
		digest + "</secDNS:digest>\n        </secDNS:dsData>"
}

// Digests of the lengths each digest type needs.
var (
	domainSHA1   = strings.Repeat("49FD46E6C4B45C55D4AC", 2)
	domainSHA256 = strings.Repeat("49FD46E6C4B45C55D4AC69CBD3CD3440", 2)
	domainSHA384 = strings.Repeat("49FD46E6C4B45C55D4AC69CBD3CD3440", 3)
)

// domainUpdateReq builds an update; add, rem and chg are the inner XML of
// those elements, each left out when "", and ext that of <extension>.
func domainUpdateReq(clTRID, name, add, rem, chg, ext string) string {
	inner := domainX("name", name)
	if add != "" {
		inner += "\n        <domain:add>" + add + "\n        </domain:add>"
	}
	if rem != "" {
		inner += "\n        <domain:rem>" + rem + "\n        </domain:rem>"
	}
	if chg == "-" {
		inner += "\n        <domain:chg/>"
	} else if chg != "" {
		inner += "\n        <domain:chg>" + chg + "\n        </domain:chg>"
	}
	return domainEPP(clTRID, "update", inner, ext)
}

// domainRestoreExt is the <rgp:update> of a restore request.
const domainRestoreExt = "\n      <rgp:update xmlns:rgp=\"urn:ietf:params:xml:ns:rgp-1.0\">\n        <rgp:restore op=\"request\"/>\n      </rgp:update>"

func domainRestoreReq(clTRID, name string) string {
	return domainUpdateReq(clTRID, name, "", "", "-", domainRestoreExt)
}

// domainNSXML writes a <domain:ns> of host objects.
func domainNSXML(hosts ...string) string {
	s := "\n          <domain:ns>"
	for _, h := range hosts {
		s += "<domain:hostObj>" + h + "</domain:hostObj>"
	}
	return s + "</domain:ns>"
}

// domainStatusXML writes <domain:status> elements.
func domainStatusXML(statuses ...string) string {
	var s string
	for _, st := range statuses {
		s += "\n          <domain:status s=\"" + st + "\"/>"
	}
	return s
}

// domainSecDNSUpdate is a <secDNS:update> with rem and add inner XML.
func domainSecDNSUpdate(rem, add string) string {
	s := "\n      <secDNS:update xmlns:secDNS=\"urn:ietf:params:xml:ns:secDNS-1.1\">"
	if rem != "" {
		s += "\n        <secDNS:rem>" + rem + "\n        </secDNS:rem>"
	}
	if add != "" {
		s += "\n        <secDNS:add>" + add + "\n        </secDNS:add>"
	}
	return s + "\n      </secDNS:update>"
}

// domainTx runs fn in a store transaction and fails the test on error.
func domainTx(t testing.TB, h *epptest.Harness, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, h.Svc.Store().Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) }))
}

// domainSeedContact creates a contact sponsored by sponsor in the store.
func domainSeedContact(t testing.TB, h *epptest.Harness, id, sponsor string) {
	t.Helper()
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateContact(ctx, &registry.Contact{
			ID: id, SponsorClID: sponsor, CreatorClID: sponsor,
			Postal:    []registry.PostalInfo{{Type: "int", Name: "Holder " + id, City: "Stockholm", CC: "SE"}},
			Email:     id + "@example.se",
			AuthInfo:  "contact-" + id,
			CreatedAt: h.Svc.Clock().Now(),
		}, "EPPD")
	})
}

// domainSeedHost creates a host sponsored by sponsor in the store; one
// under a registry domain gets it as superordinate (the domain must
// exist).
func domainSeedHost(t testing.TB, h *epptest.Harness, name, sponsor string, addrs ...string) {
	t.Helper()
	host := &registry.Host{Name: name, SponsorClID: sponsor, CreatorClID: sponsor, CreatedAt: h.Svc.Clock().Now()}
	for _, a := range addrs {
		host.Addrs = append(host.Addrs, netip.MustParseAddr(a))
	}
	if sup, ok := h.Svc.InRegistry(name); ok {
		host.Superordinate = sup
	}
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error { return tx.CreateHost(ctx, host, "EPPD") })
}

// domainSeed creates the objects most tests use: contacts "reg-acme" and
// "tech-acme" of acme, "reg-other" of other, and external hosts
// ns1.example.net and ns2.example.net.
func domainSeed(t testing.TB, h *epptest.Harness) {
	t.Helper()
	domainSeedContact(t, h, "reg-acme", "acme")
	domainSeedContact(t, h, "tech-acme", "acme")
	domainSeedContact(t, h, "reg-other", "other")
	domainSeedHost(t, h, "ns1.example.net", "acme")
	domainSeedHost(t, h, "ns2.example.net", "other")
}

// domainBasic is a create of name with registrant reg-acme, one name
// server and a tech contact.
func domainBasic(name string) domainCreateSpec {
	return domainCreateSpec{
		name: name, period: `unit="y">1`, ns: []string{"ns1.example.net"}, registrant: "reg-acme",
		contacts: []registry.DomainContact{{Type: "tech", ID: "tech-acme"}}, pw: "2fooBAR-x",
	}
}

// domainGolden checks that req is a valid EPP command, then sends it as c
// and compares it and the answer with testdata/epp/domain/<name>.*.xml.
func domainGolden(t *testing.T, c *epptest.Client, name, req string) string {
	t.Helper()
	require.NoError(t, epptest.ValidateErr(t, []byte(req)), "request of golden %s", name)
	return string(c.Golden("domain/"+name, req))
}

// domainGoldenInvalid is domainGolden for a request that deliberately
// breaks the schema.
func domainGoldenInvalid(t *testing.T, c *epptest.Client, name, req string) string {
	t.Helper()
	require.Error(t, epptest.ValidateErr(t, []byte(req)), "request of golden %s should break the schema", name)
	return string(c.Golden("domain/"+name, req))
}

// domainDo sends req, requires the result code want, and returns the
// response with XML escapes undone, for assertions on its messages.
func domainDo(t testing.TB, c *epptest.Client, want int, req string) string {
	t.Helper()
	resp := string(c.Do(req))
	require.Equal(t, want, epptest.Code([]byte(resp)), "request:\n%s\nresponse:\n%s", req, resp)
	return html.UnescapeString(resp)
}

var (
	domainStatusRE = regexp.MustCompile(`<domain:status s="([^"]+)"`)
	domainRGPRE    = regexp.MustCompile(`<rgp:rgpStatus s="([^"]+)"`)
	domainExDateRE = regexp.MustCompile(`<domain:exDate>([^<]+)</domain:exDate>`)
	domainNSRE     = regexp.MustCompile(`<domain:hostObj>([^<]+)</domain:hostObj>`)
	domainDigestRE = regexp.MustCompile(`<secDNS:digest>([^<]+)</secDNS:digest>`)
	domainClIDRE   = regexp.MustCompile(`<domain:clID>([^<]+)</domain:clID>`)
	domainRegRE    = regexp.MustCompile(`<domain:registrant>([^<]+)</domain:registrant>`)
)

// domainShown is what an info response shows of a domain.
type domainShown struct {
	raw        string
	statuses   []string
	rgp        []string
	exDate     time.Time
	ns         []string
	digests    []string
	clID       string
	registrant string
}

func domainAll(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// domainParseInfo reads an info response.
func domainParseInfo(t testing.TB, resp string) domainShown {
	t.Helper()
	s := domainShown{raw: resp, statuses: domainAll(domainStatusRE, resp), rgp: domainAll(domainRGPRE, resp),
		ns: domainAll(domainNSRE, resp), digests: domainAll(domainDigestRE, resp)}
	if m := domainExDateRE.FindStringSubmatch(resp); m != nil {
		var err error
		s.exDate, err = time.Parse(time.RFC3339Nano, m[1])
		require.NoError(t, err)
	}
	if m := domainClIDRE.FindStringSubmatch(resp); m != nil {
		s.clID = m[1]
	}
	if m := domainRegRE.FindStringSubmatch(resp); m != nil {
		s.registrant = m[1]
	}
	return s
}

// domainInfo asks for a domain's info as c and returns what it shows.
func domainInfo(t testing.TB, c *epptest.Client, name string) domainShown {
	t.Helper()
	resp := domainDo(t, c, 1000, domainInfoReq("dinfo-1", name))
	require.Contains(t, resp, "<domain:name>"+name+"</domain:name>")
	return domainParseInfo(t, resp)
}

// domainExpiry reads a domain's expiry from the store.
func domainExpiry(t testing.TB, h *epptest.Harness, name string) time.Time {
	t.Helper()
	var exp time.Time
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.Domain(ctx, name)
		if err == nil {
			exp = d.ExpiresAt
		}
		return err
	})
	return exp
}
