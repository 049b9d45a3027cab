package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eppd/eppd/registry"
)

// TestDomainGolden runs every domain command and its main error paths
// against golden request and response files (testdata/epp/domain).
func TestDomainGolden(t *testing.T) {
	h, clock := domainHarness(t, "")
	acme := domainLogin(t, h, "acme")
	other := domainLogin(t, h, "other")
	clock.Set(domainT0)
	domainSeed(t, h)

	// create
	ok := domainBasic("taken.se")
	ok.ns = []string{"ns1.example.net", "ns2.example.net"}
	ok.contacts = append(ok.contacts, registry.DomainContact{Type: "admin", ID: "reg-acme"})
	ok.ext = domainSecDNSCreate(domainDS("12345", "13", "2", domainSHA256))
	domainGolden(t, acme, "create", ok.xml("dcre-1"))
	domainGolden(t, acme, "check", domainCheckReq("dchk-1",
		"free.se", "Taken.SE", "NIC.se", "-bad.se", "example.com", "a.b.se", "xn--bcher-kva.nu"))
	domainGolden(t, acme, "create-exists", ok.xml("dcre-2"))
	noReg := domainBasic("noreg.se")
	noReg.registrant = ""
	domainGolden(t, acme, "create-no-registrant", noReg.xml("dcre-3"))
	noContact := domainBasic("nocontact.se")
	noContact.contacts = []registry.DomainContact{{Type: "tech", ID: "nosuch"}}
	domainGolden(t, acme, "create-unknown-contact", noContact.xml("dcre-4"))
	noHost := domainBasic("nohost.se")
	noHost.ns = []string{"ns9.example.net"}
	domainGolden(t, acme, "create-unknown-host", noHost.xml("dcre-5"))
	longPeriod := domainBasic("long.se")
	longPeriod.period = `unit="y">11`
	domainGolden(t, acme, "create-period-range", longPeriod.xml("dcre-6"))
	badDS := domainBasic("badds.se")
	badDS.ext = domainSecDNSCreate(domainDS("12345", "13", "2", domainSHA1))
	domainGolden(t, acme, "create-ds-digest-length", badDS.xml("dcre-7"))
	reserved := domainBasic("nic.se")
	domainGolden(t, acme, "create-reserved", reserved.xml("dcre-8"))
	hostAttr := strings.Replace(domainBasic("attr.se").xml("dcre-9"),
		"<domain:hostObj>ns1.example.net</domain:hostObj>",
		"<domain:hostAttr><domain:hostName>ns1.attr.se</domain:hostName></domain:hostAttr>", 1)
	domainGolden(t, acme, "create-host-attr", hostAttr)

	// info
	domainGolden(t, acme, "info", domainInfoReq("dinf-1", "taken.se"))
	domainGolden(t, other, "info-public", domainInfoReq("dinf-2", "taken.se"))
	domainGolden(t, other, "info-authinfo", domainInfoAuthReq("dinf-3", "taken.se", "all", "2fooBAR-x"))
	domainGolden(t, other, "info-wrong-authinfo", domainInfoAuthReq("dinf-4", "taken.se", "all", "wrong-one"))
	domainGolden(t, acme, "info-not-found", domainInfoReq("dinf-5", "nosuch.se"))
	domainGolden(t, acme, "info-invalid-name", domainInfoReq("dinf-6", "bad_name.se"))

	// update
	domainGolden(t, acme, "update", domainUpdateReq("dupd-1", "taken.se",
		"\n          <domain:contact type=\"billing\">reg-acme</domain:contact>"+domainStatusXML("clientHold"),
		domainNSXML("ns2.example.net"),
		"\n          <domain:registrant>tech-acme</domain:registrant>\n          <domain:authInfo><domain:pw>new-secret-1</domain:pw></domain:authInfo>",
		domainSecDNSUpdate("\n          <secDNS:all>true</secDNS:all>", domainDS("54321", "8", "4", domainSHA384))))
	domainGolden(t, acme, "info-after-update", domainInfoAuthReq("dinf-7", "taken.se", "del", ""))
	domainGolden(t, other, "update-not-sponsor", domainUpdateReq("dupd-2", "taken.se", domainStatusXML("clientHold"), "", "", ""))
	domainGolden(t, acme, "update-server-status", domainUpdateReq("dupd-3", "taken.se", domainStatusXML("serverHold"), "", "", ""))
	domainGoldenInvalid(t, acme, "update-bad-status", domainUpdateReq("dupd-4", "taken.se", domainStatusXML("onHold"), "", "", ""))
	domainGolden(t, acme, "update-add-present", domainUpdateReq("dupd-5", "taken.se", domainNSXML("ns1.example.net"), "", "", ""))
	domainGolden(t, acme, "update-prohibited-set", domainUpdateReq("dupd-6", "taken.se", domainStatusXML("clientUpdateProhibited"), "", "", ""))
	domainGolden(t, acme, "update-prohibited", domainUpdateReq("dupd-7", "taken.se", domainStatusXML("clientDeleteProhibited"), "", "", ""))
	domainGolden(t, acme, "update-prohibited-lift", domainUpdateReq("dupd-8", "taken.se", "", domainStatusXML("clientUpdateProhibited", "clientHold"), "", ""))
	domainGolden(t, acme, "update-keydata", domainUpdateReq("dupd-9", "taken.se", "", "", "", domainSecDNSUpdate("",
		"\n          <secDNS:keyData><secDNS:flags>257</secDNS:flags><secDNS:protocol>3</secDNS:protocol><secDNS:alg>13</secDNS:alg><secDNS:pubKey>AQPJ////4Q==</secDNS:pubKey></secDNS:keyData>")))
	domainGolden(t, acme, "update-ds-algorithm", domainUpdateReq("dupd-10", "taken.se", "", "", "", domainSecDNSUpdate("",
		domainDS("1", "1", "2", domainSHA256))))
	domainGolden(t, acme, "update-nothing", domainUpdateReq("dupd-11", "taken.se", "", "", "", ""))

	// renew
	domainGolden(t, acme, "renew", domainRenewReq("dren-1", "taken.se", "2028-03-17", 2))
	domainGolden(t, acme, "renew-wrong-date", domainRenewReq("dren-2", "taken.se", "2028-03-17", 1))
	domainGolden(t, acme, "renew-too-far", domainRenewReq("dren-3", "taken.se", "2030-03-17", 8))
	domainGolden(t, other, "renew-not-sponsor", domainRenewReq("dren-4", "taken.se", "2030-03-17", 1))

	// delete, restore
	domainSeedHost(t, h, "ns1.taken.se", "acme", "192.0.2.1")
	domainGolden(t, acme, "delete-subordinate-hosts", domainDeleteReq("ddel-1", "taken.se"))
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error { return tx.DeleteHost(ctx, "ns1.taken.se") })
	domainGolden(t, other, "delete-not-sponsor", domainDeleteReq("ddel-2", "taken.se"))
	domainGolden(t, acme, "delete-pending", domainDeleteReq("ddel-3", "taken.se"))
	domainGolden(t, acme, "info-pending-delete", domainInfoReq("dinf-8", "taken.se"))
	domainGolden(t, acme, "update-pending-delete", domainUpdateReq("dupd-12", "taken.se", domainStatusXML("clientHold"), "", "", ""))
	domainGolden(t, acme, "restore", domainRestoreReq("drst-1", "taken.se"))
	domainGolden(t, acme, "restore-not-deleted", domainRestoreReq("drst-2", "taken.se"))
	domainGolden(t, acme, "restore-with-changes", domainUpdateReq("drst-3", "taken.se", domainStatusXML("clientHold"), "", "", domainRestoreExt))
	domainGolden(t, acme, "info-restored", domainInfoReq("dinf-9", "taken.se"))

	fresh := domainBasic("fresh.se")
	domainDo(t, acme, 1000, fresh.xml("dcre-10"))
	domainGolden(t, acme, "delete-add-grace", domainDeleteReq("ddel-4", "fresh.se"))
	domainGolden(t, acme, "info-purged", domainInfoReq("dinf-10", "fresh.se"))
}

// TestDomainExtensionsNotSelected: a client that did not select secDNS
// and rgp at login gets no such extension in answers, and may not send
// them.
func TestDomainExtensionsNotSelected(t *testing.T) {
	h, _ := domainHarness(t, "")
	domainSeed(t, h)
	plain := domainLogin(t, h, "acme", []string{}...)
	full := domainLogin(t, h, "acme")
	spec := domainBasic("ds.se")
	spec.ext = domainSecDNSCreate(domainDS("1", "13", "2", domainSHA256))
	domainDo(t, plain, 2103, spec.xml("x-1"))
	domainDo(t, full, 1000, spec.xml("x-2"))
	resp := domainDo(t, plain, 1000, domainInfoReq("x-3", "ds.se"))
	assert.NotContains(t, resp, "<extension>")
	resp = domainDo(t, full, 1000, domainInfoReq("x-4", "ds.se"))
	assert.Contains(t, resp, `<rgp:rgpStatus s="addPeriod"`)
	assert.Contains(t, resp, "<secDNS:digest>"+domainSHA256+"</secDNS:digest>")
}
