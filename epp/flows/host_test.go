package flows_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// hostHarness starts a server with every flow on the store dsn ("" for
// SQLite), its registry clock stopped at the current second (login checks
// client certificates against it).
func hostHarness(t *testing.T, dsn string) (*epptest.Harness, *epptest.Clock) {
	t.Helper()
	clock := epptest.NewClock(time.Now().Truncate(time.Second))
	h := epptest.NewHarness(t, epptest.Options{DSN: dsn, Clock: clock, Register: flows.Register})
	return h, clock
}

// hostStores runs fn on SQLite and on PostgreSQL (skipped loudly when
// PostgreSQL is absent).
func hostStores(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.Postgres(t)) })
}

// hostEPP wraps inner in <verb><host:verb> within a command.
func hostEPP(clTRID, verb, inner string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <` + verb + `>
      <host:` + verb + ` xmlns:host="urn:ietf:params:xml:ns:host-1.0">` + inner + `
      </host:` + verb + `>
    </` + verb + `>
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

// hostNames writes <host:name> elements.
func hostNames(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("\n        <host:name>" + n + "</host:name>")
	}
	return b.String()
}

// hostAddrXML writes <host:addr> elements, the ip attribute following the
// address's looks.
func hostAddrXML(addrs ...string) string {
	var b strings.Builder
	for _, a := range addrs {
		ip := "v4"
		if strings.Contains(a, ":") {
			ip = "v6"
		}
		fmt.Fprintf(&b, "\n        <host:addr ip=%q>%s</host:addr>", ip, a)
	}
	return b.String()
}

// hostStatusXML writes <host:status> elements.
func hostStatusXML(statuses ...string) string {
	var b strings.Builder
	for _, s := range statuses {
		fmt.Fprintf(&b, "\n        <host:status s=%q/>", s)
	}
	return b.String()
}

func hostCheckReq(clTRID string, names ...string) string {
	return hostEPP(clTRID, "check", hostNames(names...))
}

func hostCreateReq(clTRID, name string, addrs ...string) string {
	return hostEPP(clTRID, "create", hostNames(name)+hostAddrXML(addrs...))
}

func hostInfoReq(clTRID, name string) string { return hostEPP(clTRID, "info", hostNames(name)) }

func hostDeleteReq(clTRID, name string) string { return hostEPP(clTRID, "delete", hostNames(name)) }

// hostUpdateReq builds an update; add, rem and chg are the inner XML of
// those elements, each left out when "".
func hostUpdateReq(clTRID, name, add, rem, chg string) string {
	indent := func(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
	inner := hostNames(name)
	if add != "" {
		inner += "\n        <host:add>" + indent(add) + "\n        </host:add>"
	}
	if rem != "" {
		inner += "\n        <host:rem>" + indent(rem) + "\n        </host:rem>"
	}
	if chg != "" {
		inner += "\n        <host:chg>" + indent(hostNames(chg)) + "\n        </host:chg>"
	}
	return hostEPP(clTRID, "update", inner)
}

// hostSeedDomain creates a domain sponsored by sponsor directly in the
// store, with a registrant contact of sponsor's.
func hostSeedDomain(t *testing.T, h *epptest.Harness, name, sponsor string) {
	t.Helper()
	ctx := context.Background()
	now := h.Svc.Clock().Now()
	err := h.Svc.Store().Tx(ctx, func(tx registry.Tx) error {
		id := "hreg-" + sponsor
		if _, err := tx.Contact(ctx, id); registry.IsKind(err, registry.KindNotFound) {
			c := &registry.Contact{
				ID: id, SponsorClID: sponsor, CreatorClID: sponsor,
				Postal:    []registry.PostalInfo{{Type: "int", Name: "Holder " + sponsor, City: "Stockholm", CC: "SE"}},
				Email:     "holder@" + sponsor + ".example",
				CreatedAt: now,
			}
			if err := tx.CreateContact(ctx, c, "EPPD"); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return tx.CreateDomain(ctx, &registry.Domain{
			Name: name, SponsorClID: sponsor, CreatorClID: sponsor, Registrant: id,
			CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0),
		}, "EPPD")
	})
	require.NoError(t, err, "seed domain %s", name)
}

// hostDelegate adds name servers to a domain directly in the store.
func hostDelegate(t *testing.T, h *epptest.Harness, domain string, hosts ...string) {
	t.Helper()
	ctx := context.Background()
	err := h.Svc.Store().Tx(ctx, func(tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, domain)
		if err != nil {
			return err
		}
		d.NS = append(d.NS, hosts...)
		return tx.UpdateDomain(ctx, d)
	})
	require.NoError(t, err, "delegate %s to %v", domain, hosts)
}

// hostGolden checks that req is a valid EPP command, then sends it as c
// and compares it and the answer with testdata/epp/<name>.*.xml.
func hostGolden(t *testing.T, c *epptest.Client, name, req string) []byte {
	t.Helper()
	require.NoError(t, epptest.ValidateErr(t, []byte(req)), "request of golden %s", name)
	return c.Golden(name, req)
}

// hostDo sends req, requires the result code want, and returns the
// response with XML escapes undone, for assertions on its messages.
func hostDo(t *testing.T, c *epptest.Client, want int, req string) string {
	t.Helper()
	resp := string(c.Do(req))
	require.Equal(t, want, epptest.Code([]byte(resp)), "request:\n%s\nresponse:\n%s", req, resp)
	return html.UnescapeString(resp)
}

var (
	hostStatusRE = regexp.MustCompile(`<host:status s="([^"]+)"`)
	hostAddrRE   = regexp.MustCompile(`<host:addr ip="(v4|v6)">([^<]+)</host:addr>`)
	hostClIDRE   = regexp.MustCompile(`<host:clID>([^<]+)</host:clID>`)
)

// hostShown is what an info response shows of a host.
type hostShown struct {
	statuses []string
	addrs    []string // "v4 192.0.2.1"
	clID     string
}

// hostInfo asks for a host's info as c and returns what it shows.
func hostInfo(t *testing.T, c *epptest.Client, name string) hostShown {
	t.Helper()
	resp := hostDo(t, c, 1000, hostInfoReq("hinfo-1", name))
	require.Contains(t, resp, "<host:name>"+name+"</host:name>")
	var s hostShown
	for _, m := range hostStatusRE.FindAllStringSubmatch(resp, -1) {
		s.statuses = append(s.statuses, m[1])
	}
	for _, m := range hostAddrRE.FindAllStringSubmatch(resp, -1) {
		s.addrs = append(s.addrs, m[1]+" "+m[2])
	}
	if m := hostClIDRE.FindStringSubmatch(resp); m != nil {
		s.clID = m[1]
	}
	return s
}

func TestHostCheck(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("hc-0", "ns1.acme.se", "192.0.2.1"))
	hostDo(t, c, 1000, hostCreateReq("hc-0", "ns1.example.com"))

	resp := hostGolden(t, c, "host/check", hostCheckReq("host-check-1",
		"ns1.acme.se", "NS1.Example.COM.", "ns2.acme.se", "ns1.example.net", "-bad-.example.com", "localhost"))
	for _, want := range []string{
		`<host:name avail="0">ns1.acme.se</host:name><host:reason>in use</host:reason>`,
		`<host:name avail="0">NS1.Example.COM.</host:name><host:reason>in use</host:reason>`,
		`<host:name avail="1">ns2.acme.se</host:name></host:cd>`,
		`<host:name avail="1">ns1.example.net</host:name></host:cd>`,
		`<host:name avail="0">-bad-.example.com</host:name><host:reason>invalid host name</host:reason>`,
		`<host:name avail="0">localhost</host:name><host:reason>invalid host name</host:reason>`,
	} {
		assert.Contains(t, string(resp), want)
	}

	t.Run("limit", func(t *testing.T) {
		names := make([]string, h.Svc.Config().MaxCheck+1)
		for i := range names {
			names[i] = fmt.Sprintf("ns%d.example.com", i)
		}
		hostDo(t, c, 1000, hostCheckReq("hc-2", names[1:]...))
		resp := hostDo(t, c, 2306, hostCheckReq("hc-3", names...))
		assert.Contains(t, resp, "at most 50 names")
	})
	t.Run("no name", func(t *testing.T) {
		hostDo(t, c, 2001, hostEPP("hc-4", "check", ""))
	})
}

func TestHostCreate(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	hostSeedDomain(t, h, "other.se", "other")
	c := h.Login("acme")

	// Goldens of the main answers.
	resp := hostGolden(t, c, "host/create-external", hostCreateReq("host-create-1", "ns1.example.com"))
	assert.Contains(t, string(resp), "<host:crDate>"+epp.FormatTime(h.Svc.Clock().Now())+"</host:crDate>")
	hostGolden(t, c, "host/create-internal", hostCreateReq("host-create-2", "NS1.Acme.SE", "192.0.2.1", "2001:db8::1"))
	hostGolden(t, c, "host/create-exists", hostCreateReq("host-create-3", "ns1.example.com"))
	hostGolden(t, c, "host/create-glueless", hostCreateReq("host-create-4", "ns2.acme.se"))
	hostGolden(t, c, "host/create-external-addr", hostCreateReq("host-create-5", "ns2.example.com", "192.0.2.1"))
	hostGolden(t, c, "host/create-no-domain", hostCreateReq("host-create-6", "ns1.nosuch.se", "192.0.2.1"))
	hostGolden(t, c, "host/create-other-domain", hostCreateReq("host-create-7", "ns1.other.se", "192.0.2.1"))
	hostGolden(t, c, "host/create-bad-addr", hostCreateReq("host-create-8", "ns3.acme.se", "192.0.2.256"))

	cases := []struct {
		name string
		req  string
		want int
		msg  string
	}{
		{"invalid name", hostCreateReq("hcr", "ns1..example.com"), 2005, "empty label"},
		{"one label", hostCreateReq("hcr", "localhost"), 2005, "at least two labels"},
		{"underscore", hostCreateReq("hcr", "ns_1.example.com"), 2005, "character other than"},
		{"bad A-label", hostCreateReq("hcr", "xn--a.example.com"), 2005, "IDNA"},
		{"numeric TLD", hostCreateReq("hcr", "ns1.example.123"), 2005, "all digits"},
		{"v4 text", hostCreateReq("hcr", "ns4.acme.se", "1.2.3"), 2005, "not an IPv4 address"},
		{"v4 leading zero", hostCreateReq("hcr", "ns4.acme.se", "192.0.2.01"), 2005, "not an IPv4 address"},
		{"v6 text", hostCreateReq("hcr", "ns4.acme.se", "2001:db8::g"), 2005, "not an IPv6 address"},
		{"v6 double gap", hostCreateReq("hcr", "ns4.acme.se", "2001::db8::1"), 2005, "not an IPv6 address"},
		{"v6 zone", hostCreateReq("hcr", "ns4.acme.se", "fe80::1%eth0"), 2005, "not an IPv6 address"},
		{"v6 as v4", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<host:addr>2001:db8::1</host:addr>`), 2005, `give ip="v6"`},
		{"v4 as v6", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<host:addr ip="v6">192.0.2.1</host:addr>`), 2005, `give ip="v4"`},
		{"bad ip attribute", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<host:addr ip="v5">192.0.2.1</host:addr>`), 2005, "must be"},
		{"loopback", hostCreateReq("hcr", "ns4.acme.se", "127.0.0.1"), 2306, "loopback"},
		{"v6 loopback", hostCreateReq("hcr", "ns4.acme.se", "::1"), 2306, "loopback"},
		{"unspecified", hostCreateReq("hcr", "ns4.acme.se", "0.0.0.0"), 2306, "unspecified"},
		{"multicast", hostCreateReq("hcr", "ns4.acme.se", "224.0.0.1"), 2306, "multicast"},
		{"v6 multicast", hostCreateReq("hcr", "ns4.acme.se", "ff02::1"), 2306, "multicast"},
		{"link-local", hostCreateReq("hcr", "ns4.acme.se", "169.254.1.1"), 2306, "link-local"},
		{"broadcast", hostCreateReq("hcr", "ns4.acme.se", "255.255.255.255"), 2306, "broadcast"},
		{"v4-mapped", hostCreateReq("hcr", "ns4.acme.se", "::ffff:192.0.2.1"), 2306, "IPv4-mapped"},
		{"duplicate", hostCreateReq("hcr", "ns4.acme.se", "192.0.2.1", "192.0.2.1"), 2306, "more than once"},
		{"duplicate v6 spelled apart", hostCreateReq("hcr", "ns4.acme.se", "2001:db8::1", "2001:DB8:0::1"), 2306, "more than once"},
		{"internal in other TLD", hostCreateReq("hcr", "ns1.acme.nu", "192.0.2.1"), 2303, "superordinate domain acme.nu does not exist"},
		{"no name", hostEPP("hcr", "create", hostAddrXML("192.0.2.1")), 2001, "needs <name>"},
		{"empty name", hostEPP("hcr", "create", `<host:name> </host:name>`), 2001, "1 to 255"},
		{"addr before name", hostEPP("hcr", "create", hostAddrXML("192.0.2.1")+hostNames("ns4.acme.se")), 2001, "<name>"},
		{"two names", hostEPP("hcr", "create", hostNames("ns4.acme.se", "ns5.acme.se")), 2001, "too many <name>"},
		{"unknown element", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<host:ttl>5</host:ttl>`), 2001, "<ttl>"},
		{"foreign element", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<x:addr xmlns:x="urn:example">1</x:addr>`), 2001, "unexpected element"},
		{"text", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`stray`), 2001, "unexpected text"},
		{"addr attribute", hostEPP("hcr", "create", hostNames("ns4.acme.se")+`<host:addr ip="v4" ttl="5">192.0.2.1</host:addr>`), 2001, "unexpected attribute"},
		{"valid v6 only", hostCreateReq("hcr", "ns6.acme.se", "2001:db8::53"), 1000, ""},
		{"private address", hostCreateReq("hcr", "ns7.acme.se", "10.0.0.53"), 1000, ""},
		{"trailing dot", hostCreateReq("hcr", "ns2.example.com."), 1000, ""},
		{"IDN", hostCreateReq("hcr", "ns1.xn--rksmrgs-5wao1o.se"), 2303, "xn--rksmrgs-5wao1o.se does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := hostDo(t, c, tc.want, tc.req)
			assert.Contains(t, resp, tc.msg)
		})
	}

	// What was created reads back as given, normalised.
	assert.Equal(t, []string{"v4 192.0.2.1", "v6 2001:db8::1"}, hostInfo(t, c, "ns1.acme.se").addrs)
	assert.Empty(t, hostInfo(t, c, "ns2.example.com").addrs)
}

func TestHostInfo(t *testing.T) {
	h, clock := hostHarness(t, "")
	start := clock.Now()
	hostSeedDomain(t, h, "acme.se", "acme")
	hostSeedDomain(t, h, "other.se", "other")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("hi-1", "ns1.acme.se", "2001:db8::1", "192.0.2.1"))
	hostGolden(t, c, "host/info-new", hostInfoReq("host-info-1", "ns1.acme.se"))

	clock.Advance(time.Hour)
	hostDo(t, c, 1000, hostUpdateReq("hi-2", "ns1.acme.se", hostStatusXML("clientDeleteProhibited"), "", ""))
	hostDelegate(t, h, "other.se", "ns1.acme.se")
	// Anyone may see any host.
	o := h.Login("other")
	resp := hostGolden(t, o, "host/info-updated-linked", hostInfoReq("host-info-2", "NS1.ACME.SE"))
	assert.Contains(t, string(resp), "<host:upDate>"+epp.FormatTime(start.Add(time.Hour))+"</host:upDate>")
	assert.Contains(t, string(resp), "<host:crDate>"+epp.FormatTime(start)+"</host:crDate>")

	hostGolden(t, c, "host/info-missing", hostInfoReq("host-info-3", "ns9.acme.se"))
	hostDo(t, c, 2005, hostInfoReq("hi-4", "ns9..acme.se"))
	hostDo(t, c, 2001, hostEPP("hi-5", "info", ""))

	// ok alone; linked alone (ok is never combined with another status).
	hostDo(t, c, 1000, hostCreateReq("hi-6", "ns1.example.com"))
	assert.Equal(t, []string{"ok"}, hostInfo(t, c, "ns1.example.com").statuses)
	hostDelegate(t, h, "acme.se", "ns1.example.com")
	assert.Equal(t, []string{"linked"}, hostInfo(t, c, "ns1.example.com").statuses)
	assert.Equal(t, []string{"clientDeleteProhibited", "linked"}, hostInfo(t, c, "ns1.acme.se").statuses)
}

func TestHostUpdate(t *testing.T) {
	h, clock := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	hostSeedDomain(t, h, "other.se", "other")
	c := h.Login("acme")
	o := h.Login("other")
	hostDo(t, c, 1000, hostCreateReq("hu-1", "ns1.acme.se", "192.0.2.1"))
	hostDo(t, c, 1000, hostCreateReq("hu-2", "ns1.example.com"))
	clock.Advance(time.Minute)

	hostGolden(t, c, "host/update-ok", hostUpdateReq("host-update-1", "ns1.acme.se",
		hostAddrXML("192.0.2.2", "2001:db8::2")+hostStatusXML("clientDeleteProhibited"),
		hostAddrXML("192.0.2.1"), ""))
	got := hostInfo(t, c, "ns1.acme.se")
	assert.Equal(t, []string{"v4 192.0.2.2", "v6 2001:db8::2"}, got.addrs)
	assert.Equal(t, []string{"clientDeleteProhibited"}, got.statuses)

	hostGolden(t, o, "host/update-not-sponsor", hostUpdateReq("host-update-2", "ns1.acme.se", hostStatusXML("clientUpdateProhibited"), "", ""))
	hostGolden(t, c, "host/update-missing", hostUpdateReq("host-update-3", "ns9.acme.se", hostStatusXML("clientUpdateProhibited"), "", ""))
	hostGolden(t, c, "host/update-server-status", hostUpdateReq("host-update-4", "ns1.acme.se", hostStatusXML("serverUpdateProhibited"), "", ""))
	hostGolden(t, c, "host/update-nothing", hostUpdateReq("host-update-5", "ns1.acme.se", "", "", ""))

	// clientUpdateProhibited: nothing but its removal (and other status
	// changes) goes through.
	hostDo(t, c, 1000, hostUpdateReq("hu-3", "ns1.acme.se", hostStatusXML("clientUpdateProhibited"), "", ""))
	hostGolden(t, c, "host/update-prohibited", hostUpdateReq("host-update-6", "ns1.acme.se", hostAddrXML("192.0.2.3"), "", ""))
	hostDo(t, c, 2304, hostUpdateReq("hu-4", "ns1.acme.se", hostAddrXML("192.0.2.3"), hostStatusXML("clientUpdateProhibited"), ""))
	hostDo(t, c, 2304, hostUpdateReq("hu-5", "ns1.acme.se", "", hostStatusXML("clientUpdateProhibited"), "ns2.acme.se"))
	hostDo(t, c, 1000, hostUpdateReq("hu-6", "ns1.acme.se", "", hostStatusXML("clientUpdateProhibited", "clientDeleteProhibited"), ""))
	assert.Equal(t, []string{"ok"}, hostInfo(t, c, "ns1.acme.se").statuses)

	// serverUpdateProhibited, set by the operator, stops the sponsor.
	_, err := h.Svc.UpdateHost(context.Background(), registry.Operator, "ns1.acme.se",
		registry.HostChange{AddStatuses: []string{registry.StatusServerUpdateProhibited}})
	require.NoError(t, err)
	resp := hostDo(t, c, 2304, hostUpdateReq("hu-7", "ns1.acme.se", hostStatusXML("clientDeleteProhibited"), "", ""))
	assert.Contains(t, resp, "serverUpdateProhibited")
	hostDo(t, c, 2306, hostUpdateReq("hu-8", "ns1.acme.se", "", hostStatusXML("serverUpdateProhibited"), ""))
	_, err = h.Svc.UpdateHost(context.Background(), registry.Operator, "ns1.acme.se",
		registry.HostChange{RemStatuses: []string{registry.StatusServerUpdateProhibited}})
	require.NoError(t, err)

	cases := []struct {
		name     string
		add, rem string
		want     int
		msg      string
	}{
		{"unknown status", hostStatusXML("clientFrobProhibited"), "", 2005, "not a host status"},
		{"domain status", hostStatusXML("clientHold"), "", 2005, "not a host status"},
		{"derived status", hostStatusXML("ok"), "", 2306, "derived"},
		{"linked", hostStatusXML("linked"), "", 2306, "derived"},
		{"server status", hostStatusXML("serverDeleteProhibited"), "", 2306, "registry only"},
		{"status twice", hostStatusXML("clientDeleteProhibited", "clientDeleteProhibited"), "", 2306, "more than once"},
		{"remove absent status", "", hostStatusXML("clientDeleteProhibited"), 2306, "does not have status"},
		{"add and remove", hostStatusXML("clientDeleteProhibited"), hostStatusXML("clientDeleteProhibited"), 2306, "both added and removed"},
		{"no s", `<host:status/>`, "", 2001, `"s" attribute`},
		{"bad v4", hostAddrXML("192.0.2"), "", 2005, "not an IPv4 address"},
		{"bad v6", hostAddrXML("2001:db8:::1"), "", 2005, "not an IPv6 address"},
		{"bad rem v4", "", hostAddrXML("300.0.0.1"), 2005, "not an IPv4 address"},
		{"loopback", hostAddrXML("127.0.0.2"), "", 2306, "loopback"},
		{"present address", hostAddrXML("192.0.2.2"), "", 2306, "already has address"},
		{"absent address", "", hostAddrXML("192.0.2.9"), 2306, "does not have address"},
		{"add and remove address", hostAddrXML("192.0.2.9"), hostAddrXML("192.0.2.9"), 2306, "both added and removed"},
		{"status before addr", hostStatusXML("clientDeleteProhibited") + hostAddrXML("192.0.2.9"), "", 2001, "misplaced"},
		{"eight statuses", strings.Repeat(hostStatusXML("clientDeleteProhibited"), 8), "", 2001, "at most 7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := hostDo(t, c, tc.want, hostUpdateReq("hu-c", "ns1.acme.se", tc.add, tc.rem, ""))
			assert.Contains(t, resp, tc.msg)
		})
	}
	t.Run("order of add, rem, chg", func(t *testing.T) {
		req := hostEPP("hu-o", "update", hostNames("ns1.acme.se")+
			`<host:rem>`+hostAddrXML("192.0.2.2")+`</host:rem><host:add>`+hostAddrXML("192.0.2.3")+`</host:add>`)
		hostDo(t, c, 2001, req)
	})

	t.Run("external host takes no addresses", func(t *testing.T) {
		hostGolden(t, c, "host/update-external-addr", hostUpdateReq("host-update-7", "ns1.example.com", hostAddrXML("192.0.2.1"), "", ""))
	})

	t.Run("last address", func(t *testing.T) {
		// Unlinked: the sponsor may take all glue away.
		hostDo(t, c, 1000, hostCreateReq("hu-l1", "ns3.acme.se", "192.0.2.30"))
		hostDo(t, c, 1000, hostUpdateReq("hu-l2", "ns3.acme.se", "", hostAddrXML("192.0.2.30"), ""))
		assert.Empty(t, hostInfo(t, c, "ns3.acme.se").addrs)
		// Linked: a delegated internal host keeps glue.
		hostDelegate(t, h, "other.se", "ns1.acme.se")
		hostGolden(t, c, "host/update-last-addr-linked", hostUpdateReq("host-update-8", "ns1.acme.se", "",
			hostAddrXML("192.0.2.2", "2001:db8::2"), ""))
		hostDo(t, c, 1000, hostUpdateReq("hu-l3", "ns1.acme.se", "", hostAddrXML("192.0.2.2"), ""))
		assert.Equal(t, []string{"v6 2001:db8::2"}, hostInfo(t, c, "ns1.acme.se").addrs)
	})

	t.Run("history", func(t *testing.T) {
		h1, _, err := h.Svc.HostInfo(context.Background(), "ns1.acme.se")
		require.NoError(t, err)
		hist, err := h.Svc.History(context.Background(), registry.ObjectHost, h1.ROID)
		require.NoError(t, err)
		require.NotEmpty(t, hist)
		assert.Equal(t, "create", hist[0].Action)
		assert.Equal(t, "reseller:acme", hist[0].Actor)
		assert.Equal(t, "hu-1", hist[0].ClTRID)
		last := hist[len(hist)-1]
		assert.Equal(t, "update", last.Action)
		assert.Equal(t, "hu-l3", last.ClTRID)
		assert.Contains(t, string(last.State), `"2001:db8::2"`)
		assert.NotContains(t, string(last.State), `"192.0.2.2"`)
	})
}

func TestHostRename(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	hostSeedDomain(t, h, "acme2.se", "acme")
	hostSeedDomain(t, h, "other.se", "other")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("hr-1", "ns1.acme.se", "192.0.2.1"))
	hostDelegate(t, h, "other.se", "ns1.acme.se")

	// Within the registry, to a domain of the sponsor's: the delegations
	// follow the host.
	hostGolden(t, c, "host/update-rename", hostUpdateReq("host-rename-1", "ns1.acme.se", "", "", "ns1.acme2.se"))
	hostDo(t, c, 2303, hostInfoReq("hr-2", "ns1.acme.se"))
	got := hostInfo(t, c, "ns1.acme2.se")
	assert.Equal(t, []string{"linked"}, got.statuses)
	assert.Equal(t, []string{"v4 192.0.2.1"}, got.addrs)
	err := h.Svc.Store().Tx(context.Background(), func(tx registry.Tx) error {
		d, err := tx.Domain(context.Background(), "other.se")
		require.NoError(t, err)
		assert.Equal(t, []string{"ns1.acme2.se"}, d.NS)
		return nil
	})
	require.NoError(t, err)

	hostDo(t, c, 1000, hostCreateReq("hr-3", "ns2.acme.se", "192.0.2.2"))
	hostGolden(t, c, "host/update-rename-taken", hostUpdateReq("host-rename-2", "ns2.acme.se", "", "", "ns1.acme2.se"))
	hostGolden(t, c, "host/update-rename-out-add-addr", hostUpdateReq("host-rename-3", "ns2.acme.se", hostAddrXML("192.0.2.3"), "", "ns2.example.com"))
	// Out of the registry: the addresses go.
	hostGolden(t, c, "host/update-rename-out", hostUpdateReq("host-rename-5", "ns2.acme.se", "", "", "ns2.example.com"))
	assert.Empty(t, hostInfo(t, c, "ns2.example.com").addrs)
	// Back in, without glue, then with.
	hostGolden(t, c, "host/update-rename-in-glueless", hostUpdateReq("host-rename-4", "ns2.example.com", "", "", "ns2.acme.se"))
	hostDo(t, c, 1000, hostUpdateReq("hr-5", "ns2.example.com", hostAddrXML("2001:db8::2"), "", "ns2.acme.se"))
	assert.Equal(t, []string{"v6 2001:db8::2"}, hostInfo(t, c, "ns2.acme.se").addrs)
	// Same name: no rename, nothing else changes either.
	hostDo(t, c, 1000, hostUpdateReq("hr-6", "ns2.acme.se", "", "", "NS2.ACME.SE"))
}

func TestHostDelete(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	o := h.Login("other")
	hostDo(t, c, 1000, hostCreateReq("hd-1", "ns1.example.com"))
	hostDo(t, c, 1000, hostCreateReq("hd-2", "ns2.example.com"))
	hostDo(t, c, 1000, hostCreateReq("hd-3", "ns1.acme.se", "192.0.2.1"))

	hostGolden(t, o, "host/delete-not-sponsor", hostDeleteReq("host-delete-1", "ns1.example.com"))
	hostGolden(t, c, "host/delete-ok", hostDeleteReq("host-delete-2", "ns1.example.com"))
	hostGolden(t, c, "host/delete-missing", hostDeleteReq("host-delete-3", "ns1.example.com"))
	assert.Contains(t, hostDo(t, c, 1000, hostCheckReq("hd-4", "ns1.example.com")), `avail="1"`)

	hostDelegate(t, h, "acme.se", "ns2.example.com")
	hostGolden(t, c, "host/delete-linked", hostDeleteReq("host-delete-4", "ns2.example.com"))

	hostDo(t, c, 1000, hostUpdateReq("hd-5", "ns1.acme.se", hostStatusXML("clientDeleteProhibited"), "", ""))
	hostGolden(t, c, "host/delete-prohibited", hostDeleteReq("host-delete-5", "ns1.acme.se"))
	hostDo(t, c, 1000, hostUpdateReq("hd-6", "ns1.acme.se", "", hostStatusXML("clientDeleteProhibited"), ""))
	_, err := h.Svc.UpdateHost(context.Background(), registry.Operator, "ns1.acme.se",
		registry.HostChange{AddStatuses: []string{registry.StatusServerDeleteProhibited}})
	require.NoError(t, err)
	assert.Contains(t, hostDo(t, c, 2304, hostDeleteReq("hd-7", "ns1.acme.se")), "serverDeleteProhibited")
	// The operator too must lift the prohibition first.
	err = h.Svc.DeleteHost(context.Background(), registry.Operator, "ns1.acme.se")
	assert.True(t, registry.IsKind(err, registry.KindStatusProhibits), "%v", err)
	_, err = h.Svc.UpdateHost(context.Background(), registry.Operator, "ns1.acme.se",
		registry.HostChange{RemStatuses: []string{registry.StatusServerDeleteProhibited}})
	require.NoError(t, err)
	require.NoError(t, h.Svc.DeleteHost(context.Background(), registry.Operator, "ns1.acme.se"))
	hostDo(t, c, 2303, hostInfoReq("hd-8", "ns1.acme.se"))
}

// TestHostPending: a host follows its superordinate domain into a pending
// transfer or deletion, and is not changed meanwhile.
func TestHostPending(t *testing.T) {
	h, clock := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("hp-1", "ns1.acme.se", "192.0.2.1"))
	ctx := context.Background()
	now := clock.Now()
	err := h.Svc.Store().Tx(ctx, func(tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "acme.se")
		if err != nil {
			return err
		}
		d.Transfer = &registry.Transfer{Status: registry.TransferPending, GainingClID: "other", RequestedAt: now,
			LosingClID: "acme", ActBy: now.Add(5 * 24 * time.Hour)}
		return tx.UpdateDomain(ctx, d)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"pendingTransfer"}, hostInfo(t, c, "ns1.acme.se").statuses)
	assert.Contains(t, hostDo(t, c, 2304, hostUpdateReq("hp-2", "ns1.acme.se", hostAddrXML("192.0.2.2"), "", "")), "pendingTransfer")
	hostDo(t, c, 2304, hostDeleteReq("hp-3", "ns1.acme.se"))
}

// TestHostPostgres runs the host commands' main paths on both stores.
func TestHostPostgres(t *testing.T) {
	hostStores(t, func(t *testing.T, dsn string) {
		h, _ := hostHarness(t, dsn)
		hostSeedDomain(t, h, "acme.se", "acme")
		hostSeedDomain(t, h, "acme.nu", "acme")
		hostSeedDomain(t, h, "other.se", "other")
		c := h.Login("acme")
		o := h.Login("other")
		hostDo(t, c, 1000, hostCreateReq("pg-1", "ns1.acme.se", "192.0.2.1", "2001:db8::1"))
		hostDo(t, c, 1000, hostCreateReq("pg-2", "ns.example.com"))
		hostDo(t, c, 2302, hostCreateReq("pg-3", "ns.example.com"))
		hostDo(t, o, 2201, hostCreateReq("pg-4", "ns2.acme.se", "192.0.2.2"))
		assert.Contains(t, hostDo(t, c, 1000, hostCheckReq("pg-5", "ns1.acme.se", "ns9.acme.se")),
			`<host:name avail="0">ns1.acme.se</host:name>`)
		hostDelegate(t, h, "other.se", "ns1.acme.se", "ns.example.com")
		assert.Equal(t, []string{"linked"}, hostInfo(t, o, "ns1.acme.se").statuses)
		hostDo(t, c, 2305, hostDeleteReq("pg-6", "ns1.acme.se"))
		hostDo(t, c, 2305, hostUpdateReq("pg-7", "ns.example.com", "", "", "ns.example.net"))
		hostDo(t, c, 1000, hostUpdateReq("pg-8", "ns1.acme.se", hostStatusXML("clientUpdateProhibited"), hostAddrXML("192.0.2.1"), "ns1.acme.nu"))
		hostDo(t, c, 2304, hostUpdateReq("pg-9", "ns1.acme.nu", hostAddrXML("192.0.2.9"), "", ""))
		got := hostInfo(t, c, "ns1.acme.nu")
		assert.Equal(t, []string{"clientUpdateProhibited", "linked"}, got.statuses)
		assert.Equal(t, []string{"v6 2001:db8::1"}, got.addrs)
		hostDo(t, c, 1000, hostCreateReq("pg-10", "ns3.example.com"))
		hostDo(t, c, 1000, hostDeleteReq("pg-11", "ns3.example.com"))
		hostDo(t, c, 2303, hostInfoReq("pg-12", "ns3.example.com"))
	})
}

// hostRandomLabel returns a label unlikely to be taken.
func hostRandomLabel() string {
	return fmt.Sprintf("h%x", time.Now().UnixNano()&0xffffffffff)
}

// TestRST_epp05_HostCheck is ICANN RST epp-05.
func TestRST_epp05_HostCheck(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("e05-0", "ns1.acme.se", "192.0.2.1"))

	t.Run("syntactically invalid hostname", func(t *testing.T) {
		for _, name := range []string{"-ns1.example.com", "ns1.example-.com", "ns1..example.com", "ns1", "ns$1.example.com",
			strings.Repeat("a", 64) + ".example.com"} {
			resp := string(c.Do(hostCheckReq("e05-1", name)))
			if code := epptest.Code([]byte(resp)); code == 1000 {
				assert.Contains(t, resp, `avail="0"`, name)
			} else {
				assert.Contains(t, []int{2001, 2004, 2005}, code, name)
			}
		}
	})
	t.Run("registered hostname", func(t *testing.T) {
		assert.Contains(t, hostDo(t, c, 1000, hostCheckReq("e05-2", "ns1.acme.se")), `<host:name avail="0">ns1.acme.se</host:name>`)
	})
	t.Run("valid and unregistered hostname", func(t *testing.T) {
		for _, name := range []string{"ns1." + hostRandomLabel() + ".se", "ns1." + hostRandomLabel() + ".example"} {
			assert.Contains(t, hostDo(t, c, 1000, hostCheckReq("e05-3", name)), `<host:name avail="1">`+name+`</host:name>`)
		}
	})
}

// TestRST_epp11_HostCreate is ICANN RST epp-11: internal and external
// names for each TLD, IPv4 and IPv6 addresses, invalid values refused,
// and what was created reads back.
func TestRST_epp11_HostCreate(t *testing.T) {
	h, _ := hostHarness(t, "")
	c := h.Login("acme")
	for _, tld := range h.Svc.Config().TLDs {
		t.Run(tld.Name, func(t *testing.T) {
			dom := "e11." + tld.Name
			hostSeedDomain(t, h, dom, "acme")
			for _, bad := range []string{"ns1.-" + dom, "ns 1." + dom, "ns1." + dom + ".."} {
				assert.Contains(t, []int{2001, 2005}, epptest.Code(c.Do(hostCreateReq("e11-1", bad, "192.0.2.1"))), bad)
			}
			for _, bad := range []string{"192.0.2", "192.0.2.300", "192.0.2.1.5", "a.b.c.d"} {
				hostDo(t, c, 2005, hostCreateReq("e11-2", "ns1."+dom, bad))
			}
			for _, bad := range []string{"2001:db8::1::1", "2001:db8:zz::1", "12345::1"} {
				hostDo(t, c, 2005, hostCreateReq("e11-3", "ns1."+dom, bad))
			}
			internal := "ns1." + dom
			hostDo(t, c, 1000, hostCreateReq("e11-4", internal, "192.0.2.1", "2001:db8::53"))
			got := hostInfo(t, c, internal)
			assert.Equal(t, []string{"v4 192.0.2.1", "v6 2001:db8::53"}, got.addrs)
			assert.Equal(t, "acme", got.clID)
			assert.Equal(t, []string{"ok"}, got.statuses)

			external := "ns1.e11-" + tld.Name + ".example.org"
			hostDo(t, c, 1000, hostCreateReq("e11-5", external))
			got = hostInfo(t, c, external)
			assert.Empty(t, got.addrs)
			assert.Equal(t, "acme", got.clID)
		})
	}
}

// TestRST_epp12_HostAccessControl is ICANN RST epp-12 (host object access
// control): another reseller's update is refused with 2201.
func TestRST_epp12_HostAccessControl(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	o := h.Login("other")
	hostDo(t, c, 1000, hostCreateReq("e12-1", "ns1.acme.se", "192.0.2.1"))
	hostDo(t, c, 1000, hostCreateReq("e12-2", "ns1.e12.example"))
	for _, name := range []string{"ns1.acme.se", "ns1.e12.example"} {
		for i, upd := range []string{
			hostUpdateReq("e12-3", name, hostStatusXML("clientUpdateProhibited"), "", ""),
			hostUpdateReq("e12-4", name, hostAddrXML("192.0.2.9"), "", ""),
			hostUpdateReq("e12-5", name, "", "", "ns9.e12.example"),
		} {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				assert.Contains(t, hostDo(t, o, 2201, upd), "sponsored by another reseller")
			})
		}
		hostDo(t, o, 2201, hostDeleteReq("e12-6", name))
	}
	assert.Equal(t, []string{"ok"}, hostInfo(t, c, "ns1.acme.se").statuses)
}

// TestRST_epp13_HostUpdate is ICANN RST epp-13: statuses and addresses of
// internal hosts, invalid values refused, the result read back.
func TestRST_epp13_HostUpdate(t *testing.T) {
	h, _ := hostHarness(t, "")
	c := h.Login("acme")
	for _, tld := range h.Svc.Config().TLDs {
		t.Run(tld.Name, func(t *testing.T) {
			dom := "e13." + tld.Name
			hostSeedDomain(t, h, dom, "acme")
			ns := "ns1." + dom
			hostDo(t, c, 1000, hostCreateReq("e13-1", ns, "192.0.2.1"))

			for _, bad := range []string{"clientHold", "serverHold", "ok ", "bogus", "pendingDelete"} {
				code := epptest.Code(c.Do(hostUpdateReq("e13-2", ns, hostStatusXML(bad), "", "")))
				assert.True(t, code >= 2000, "status %q accepted", bad)
			}
			for _, bad := range []string{"192.0.2", "1.2.3.4.5", "192.0.2.256"} {
				hostDo(t, c, 2005, hostUpdateReq("e13-3", ns, hostAddrXML(bad), "", ""))
			}
			for _, bad := range []string{"2001:db8::1::2", "2001:db8:g::1", ":::"} {
				hostDo(t, c, 2005, hostUpdateReq("e13-4", ns, hostAddrXML(bad), "", ""))
			}

			hostDo(t, c, 1000, hostUpdateReq("e13-5", ns,
				hostAddrXML("192.0.2.2", "2001:db8::2")+hostStatusXML("clientDeleteProhibited", "clientUpdateProhibited"),
				hostAddrXML("192.0.2.1"), ""))
			got := hostInfo(t, c, ns)
			assert.Equal(t, []string{"v4 192.0.2.2", "v6 2001:db8::2"}, got.addrs)
			assert.Equal(t, []string{"clientDeleteProhibited", "clientUpdateProhibited"}, got.statuses)

			hostDo(t, c, 1000, hostUpdateReq("e13-6", ns, "", hostStatusXML("clientUpdateProhibited"), ""))
			assert.Equal(t, []string{"clientDeleteProhibited"}, hostInfo(t, c, ns).statuses)
		})
	}
}

// TestRST_epp23_HostRename is ICANN RST epp-23.
func TestRST_epp23_HostRename(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "e23.se", "acme")
	hostSeedDomain(t, h, "registered.se", "other") // epp.registeredNames
	hostSeedDomain(t, h, "e23-other.se", "other")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("e23-0", "ns1.e23.se", "192.0.2.1"))

	t.Run("syntactically invalid host name", func(t *testing.T) {
		for _, bad := range []string{"ns1..e23.se", "-ns.e23.se", "ns1.e23.se-"} {
			hostDo(t, c, 2005, hostUpdateReq("e23-1", "ns1.e23.se", "", "", bad))
		}
	})
	t.Run("into another repository's TLD", func(t *testing.T) {
		hostDo(t, c, 1000, hostCreateReq("e23-2", "ns2.e23.se", "192.0.2.2"))
		hostDo(t, c, 1000, hostUpdateReq("e23-3", "ns2.e23.se", "", "", "ns2.e23.example"))
		assert.Empty(t, hostInfo(t, c, "ns2.e23.example").addrs)
		hostDo(t, c, 2303, hostInfoReq("e23-3", "ns2.e23.se"))
		// Removing the addresses explicitly works as well.
		hostDo(t, c, 1000, hostCreateReq("e23-2", "ns3.e23.se", "192.0.2.3"))
		hostDo(t, c, 1000, hostUpdateReq("e23-3", "ns3.e23.se", "", hostAddrXML("192.0.2.3"), "ns3.e23.example"))
	})
	t.Run("into a non-existent domain in the same TLD", func(t *testing.T) {
		resp := hostDo(t, c, 2303, hostUpdateReq("e23-4", "ns1.e23.se", "", "", "ns1.nonexistent-e23.se"))
		assert.Contains(t, resp, "the superordinate domain nonexistent-e23.se does not exist")
	})
	t.Run("into another registrar's domain", func(t *testing.T) {
		// RST confirms with a domain check that the domain exists.
		err := h.Svc.Store().Tx(context.Background(), func(tx registry.Tx) error {
			_, err := tx.Domain(context.Background(), "registered.se")
			return err
		})
		require.NoError(t, err)
		hostDo(t, c, 2201, hostUpdateReq("e23-6", "ns1.e23.se", "", "", "ns1.registered.se"))
	})
	t.Run("into the client's own domain", func(t *testing.T) {
		hostDo(t, c, 1000, hostUpdateReq("e23-7", "ns1.e23.se", "", "", "ns9.e23.se"))
		assert.Equal(t, []string{"v4 192.0.2.1"}, hostInfo(t, c, "ns9.e23.se").addrs)
		hostDo(t, c, 2303, hostInfoReq("e23-8", "ns1.e23.se"))
	})
	t.Run("external host used by another registrar's domain", func(t *testing.T) {
		hostDo(t, c, 1000, hostCreateReq("e23-9", "ns.e23-ext.example"))
		hostDelegate(t, h, "e23-other.se", "ns.e23-ext.example")
		resp := hostDo(t, c, 2305, hostUpdateReq("e23-10", "ns.e23-ext.example", "", "", "ns.e23-elsewhere.example"))
		assert.Contains(t, resp, "other resellers")
		// Used only by the sponsor's own domains, it may be renamed.
		hostDo(t, c, 1000, hostCreateReq("e23-11", "ns.e23-own.example"))
		hostDelegate(t, h, "e23.se", "ns.e23-own.example")
		hostDo(t, c, 1000, hostUpdateReq("e23-12", "ns.e23-own.example", "", "", "ns.e23-own2.example"))
		assert.Equal(t, []string{"linked"}, hostInfo(t, c, "ns.e23-own2.example").statuses)
	})
}

// TestRST_epp24_HostDelete is ICANN RST epp-24.
func TestRST_epp24_HostDelete(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "e24.se", "acme")
	c := h.Login("acme")
	for _, ns := range []string{"ns1.e24.se", "ns1.e24.example"} {
		addrs := []string{}
		if strings.HasSuffix(ns, ".se") {
			addrs = append(addrs, "192.0.2.1")
		}
		hostDo(t, c, 1000, hostCreateReq("e24-1", ns, addrs...))
		hostDo(t, c, 1000, hostDeleteReq("e24-2", ns))
		hostDo(t, c, 2303, hostInfoReq("e24-3", ns))
	}
	// A linked host is not deleted (EPP_INTEGRITY_SERVER_ACCEPTS_DELETE_FOR_LINKED_HOST_OBJECT).
	hostDo(t, c, 1000, hostCreateReq("e24-4", "ns2.e24.example"))
	hostDelegate(t, h, "e24.se", "ns2.e24.example")
	hostDo(t, c, 2305, hostDeleteReq("e24-5", "ns2.e24.example"))
	hostInfo(t, c, "ns2.e24.example")
}

// TestRST_epp25_SubordinateHostCreate is ICANN RST epp-25: another client
// cannot create hosts under a domain it does not sponsor, with addresses
// or without.
func TestRST_epp25_SubordinateHostCreate(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "e25.se", "acme")
	o := h.Login("other")
	resp := hostDo(t, o, 2201, hostCreateReq("e25-1", "ns1.e25.se", "192.0.2.1", "2001:db8::1"))
	assert.Contains(t, resp, "sponsored by another reseller")
	hostDo(t, o, 2201, hostCreateReq("e25-2", "ns2.e25.se"))
	hostDo(t, o, 2303, hostInfoReq("e25-3", "ns2.e25.se"))
}

// TestRST_epp26_WideGlueAccessControl is ICANN RST epp-26.
func TestRST_epp26_WideGlueAccessControl(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "e26.se", "acme")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("e26-1", "ns1.e26-ext.example"))
	hostDo(t, c, 1000, hostCreateReq("e26-2", "ns2.e26-ext.example"))
	hostDelegate(t, h, "e26.se", "ns1.e26-ext.example", "ns2.e26-ext.example")
	o := h.Login("other")
	hostDo(t, o, 2201, hostCreateReq("e26-3", "ns1.e26.se", "192.0.2.1"))
	hostDo(t, o, 2303, hostInfoReq("e26-4", "ns1.e26.se"))
}

// TestRST_epp27_GluelessInternalHost is ICANN RST epp-27: the glueless
// create is refused, and CheckDelegation (which domain create and update
// call) refuses a glueless internal host however one came to be.
func TestRST_epp27_GluelessInternalHost(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "e27.se", "acme")
	hostSeedDomain(t, h, "e27-other.se", "other")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("e27-1", "ns1.e27-ext.example"))
	hostDelegate(t, h, "e27.se", "ns1.e27-ext.example")
	o := h.Login("other")
	hostDo(t, o, 2201, hostCreateReq("e27-2", "ns1.e27.se"))

	// The other reseller's own internal host, made glueless.
	hostDo(t, o, 1000, hostCreateReq("e27-3", "ns1.e27-other.se", "192.0.2.1"))
	hostDo(t, o, 1000, hostUpdateReq("e27-4", "ns1.e27-other.se", "", hostAddrXML("192.0.2.1"), ""))
	ctx := context.Background()
	err := h.Svc.Store().Tx(ctx, func(tx registry.Tx) error {
		return h.Svc.CheckDelegation(ctx, tx, "acme", []string{"ns1.e27-ext.example", "ns1.e27-other.se"})
	})
	assert.True(t, registry.IsKind(err, registry.KindPolicy), "%v", err)
	assert.ErrorContains(t, err, "ns1.e27-other.se")
}

// TestHostCheckDelegation covers CheckDelegation for the domain flows.
func TestHostCheckDelegation(t *testing.T) {
	h, _ := hostHarness(t, "")
	hostSeedDomain(t, h, "acme.se", "acme")
	c := h.Login("acme")
	hostDo(t, c, 1000, hostCreateReq("cd-1", "ns1.acme.se", "192.0.2.1"))
	hostDo(t, c, 1000, hostCreateReq("cd-2", "ns2.acme.se", "192.0.2.2"))
	hostDo(t, c, 1000, hostCreateReq("cd-3", "ns.example.com"))
	hostDo(t, c, 1000, hostUpdateReq("cd-4", "ns2.acme.se", "", hostAddrXML("192.0.2.2"), ""))
	ctx := context.Background()
	check := func(ns ...string) error {
		return h.Svc.Store().Tx(ctx, func(tx registry.Tx) error { return h.Svc.CheckDelegation(ctx, tx, "acme", ns) })
	}
	assert.NoError(t, check("ns1.acme.se", "NS.Example.com."))
	assert.NoError(t, check())
	err := check("ns1.acme.se", "ns9.example.com")
	assert.True(t, registry.IsKind(err, registry.KindNotFound), "%v", err)
	assert.ErrorContains(t, err, "ns9.example.com does not exist")
	err = check("ns2.acme.se")
	assert.True(t, registry.IsKind(err, registry.KindPolicy), "%v", err)
	assert.ErrorContains(t, err, "add one to it first")
}
