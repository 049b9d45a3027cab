package flows_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// The authorisation matrix (registry/AUTHORIZATION.md) through real EPP
// sessions: for each management model, each position a reseller can be in
// towards a domain, and each action, the result code, on a fresh domain
// per cell set up through the store.

// The resellers of the matrix, one per position. On a registrant-managed
// domain "acme" is the reseller that created it and managed it before (its
// former reseller of record), which gives it nothing; "mx-rival" holds
// every role on a neighbouring domain, which gives it nothing here either.
const (
	mxNone    = "other"
	mxPayer   = "mx-payer"
	mxProxy   = "mx-proxy"
	mxNSAdmin = "mx-nsadmin"
	mxRoR     = "acme"
	mxRival   = "mx-rival"
)

// mxPositions are the matrix's columns, in the order of the expected
// table.
var mxPositions = []struct{ name, clID string }{
	{"none", mxNone},
	{"payer", mxPayer},
	{"proxy", mxProxy},
	{"ns-admin", mxNSAdmin},
	{"reseller-of-record", mxRoR},
	{"another-reseller", mxRival},
}

// Cells of the expected table. A refusal (2201) names the decision code
// the refusal is counted under; "pub/..." is an info answered with public
// data only, counted as a refusal of info-full under that code.
const (
	cOK    = "1000"
	cPend  = "1001"
	cOwn   = "2106" // the requester already sponsors the domain
	cState = "2304" // the domain's state (or model) forbids it
	cNRR   = "not_reseller_of_record"
	cRM    = "role_missing"
	cReg   = "registrant_only"
	cOpr   = "operator_only"
	// Info answers (1000).
	cAll    = "all"  // full data and the authInfo
	cFull   = "full" // full data, no authInfo
	cPubNRR = "pub/not_reseller_of_record"
	cPubRM  = "pub/role_missing"
)

// mxModel is a management model as the matrix sets it on the domain.
type mxModel struct {
	name  string
	model registry.Model
}

var mxModels = []mxModel{
	{"reseller", registry.ModelReseller},
	// Domains from before the models existed are reseller-managed.
	{"legacy", ""},
	{"registrant", registry.ModelRegistrant},
}

// mxRow is one action of the matrix: the command, how the domain must be
// set up for it, the matrix action it is counted under when refused, and
// the expected cells for reseller-managed (also legacy) and
// registrant-managed domains, by mxPositions.
type mxRow struct {
	name       string
	action     registry.Action
	setup      func(d *registry.Domain, now time.Time)
	req        func(name string, d *registry.Domain) string
	reseller   [6]string
	registrant [6]string
}

// The new contact that replace and change-registrant actions bring in.
const mxNewContact = "mx-new"

const mxAuth = "mx-Auth-1"

func mxContactXML(typ, id string) string {
	return "\n          <domain:contact type=\"" + typ + "\">" + id + "</domain:contact>"
}

// mxReplace replaces the domain's contact of type typ with mxNewContact.
func mxReplace(typ, old string) func(string, *registry.Domain) string {
	return func(n string, _ *registry.Domain) string {
		return domainUpdateReq("mx-repl", n, mxContactXML(typ, mxNewContact), mxContactXML(typ, old), "", "")
	}
}

// mxRows is the matrix as tested. Columns: none, payer, proxy, NS admin,
// reseller of record, another reseller.
var mxRows = []mxRow{
	{
		name: "info", action: registry.ActionInfoFull,
		req:        func(n string, _ *registry.Domain) string { return domainInfoReq("mx-info", n) },
		reseller:   [6]string{cPubNRR, cPubNRR, cPubNRR, cPubNRR, cAll, cPubNRR},
		registrant: [6]string{cPubRM, cFull, cFull, cFull, cPubRM, cPubRM},
	},
	{
		// With the right authInfo anyone sees full data, never the
		// authInfo itself unless it may set it; nothing is refused.
		name: "info-with-authinfo", action: registry.ActionInfoFull,
		req:        func(n string, _ *registry.Domain) string { return domainInfoAuthReq("mx-info", n, "all", mxAuth) },
		reseller:   [6]string{cFull, cFull, cFull, cFull, cAll, cFull},
		registrant: [6]string{cFull, cFull, cFull, cFull, cFull, cFull},
	},
	{
		name: "renew", action: registry.ActionRenew,
		req: func(n string, d *registry.Domain) string {
			return domainRenewReq("mx-renew", n, d.ExpiresAt.UTC().Format(time.DateOnly), 1)
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cOK, cRM, cRM, cRM, cRM},
	},
	{
		// Who may renew meets the state's prohibition (2304); who may not
		// is refused first (2201).
		name: "renew-prohibited", action: registry.ActionRenew,
		setup: func(d *registry.Domain, _ time.Time) { d.Statuses = []string{registry.StatusClientRenewProhibited} },
		req: func(n string, d *registry.Domain) string {
			return domainRenewReq("mx-renew", n, d.ExpiresAt.UTC().Format(time.DateOnly), 1)
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cState, cNRR},
		registrant: [6]string{cRM, cState, cRM, cRM, cRM, cRM},
	},
	{
		name: "restore", action: registry.ActionRestore,
		setup: func(d *registry.Domain, now time.Time) {
			d.DeletedAt, d.PurgeAt = now.Add(-24*time.Hour), now.Add(29*24*time.Hour)
		},
		req:        func(n string, _ *registry.Domain) string { return domainRestoreReq("mx-restore", n) },
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cOK, cRM, cRM, cRM, cRM},
	},
	{
		name: "update-ns", action: registry.ActionUpdateNS,
		req: func(n string, _ *registry.Domain) string {
			return domainUpdateReq("mx-ns", n, domainNSXML("ns2.example.net"), "", "", "")
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cRM, cOK, cOK, cRM, cRM},
	},
	{
		name: "update-dnssec", action: registry.ActionUpdateDNSSEC,
		req: func(n string, _ *registry.Domain) string {
			return domainUpdateReq("mx-ds", n, "", "", "", domainSecDNSUpdate("", domainDS("100", "13", "2", domainSHA256)))
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cRM, cOK, cRM, cRM, cRM},
	},
	{
		name: "update-status", action: registry.ActionUpdateStatus,
		req: func(n string, _ *registry.Domain) string {
			return domainUpdateReq("mx-st", n, domainStatusXML(registry.StatusClientHold), "", "", "")
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cReg, cReg, cReg, cReg, cReg, cReg},
	},
	{
		name: "update-auth-info", action: registry.ActionUpdateAuthInfo,
		req: func(n string, _ *registry.Domain) string {
			return domainUpdateReq("mx-ai", n, "", "", "\n          <domain:authInfo><domain:pw>mx-Auth-2</domain:pw></domain:authInfo>", "")
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cReg, cReg, cReg, cReg, cReg, cReg},
	},
	{
		name: "change-registrant", action: registry.ActionChangeRegistrant,
		req: func(n string, _ *registry.Domain) string {
			return domainUpdateReq("mx-reg", n, "", "", "\n          <domain:registrant>"+mxNewContact+"</domain:registrant>", "")
		},
		reseller:   [6]string{cOpr, cOpr, cOpr, cOpr, cOK, cOpr},
		registrant: [6]string{cOpr, cOpr, cOpr, cOpr, cOpr, cOpr},
	},
	{
		name: "replace-payer", action: registry.ActionReplacePayer,
		req:        mxReplace("billing", "mx-bill"),
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cRM, cOK, cRM, cRM, cRM},
	},
	{
		name: "replace-proxy", action: registry.ActionReplaceProxy,
		req:        mxReplace("admin", "mx-admin"),
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cReg, cReg, cReg, cReg, cReg, cReg},
	},
	{
		name: "replace-ns-admin", action: registry.ActionReplaceNSAdmin,
		req:        mxReplace("tech", "mx-tech"),
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cRM, cRM, cOK, cRM, cRM, cRM},
	},
	{
		// Outside the add grace period: into redemption, 1001.
		name: "delete", action: registry.ActionDelete,
		req:        func(n string, _ *registry.Domain) string { return domainDeleteReq("mx-del", n) },
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cPend, cNRR},
		registrant: [6]string{cReg, cReg, cReg, cReg, cReg, cReg},
	},
	{
		// The losing side answers a pending request (made by the rival).
		name: "transfer-approve", action: registry.ActionTransfer,
		setup: func(d *registry.Domain, now time.Time) {
			d.Transfer = &registry.Transfer{Status: registry.TransferPending, GainingClID: mxRival, RequestedAt: now.Add(-time.Hour),
				LosingClID: d.SponsorClID, ActBy: now.Add(4 * 24 * time.Hour), Years: 1, NewExpiry: d.ExpiresAt.AddDate(1, 0, 0)}
		},
		req: func(n string, _ *registry.Domain) string {
			return transferDomainReq("approve", n, "", "-", "mx-trn")
		},
		reseller:   [6]string{cNRR, cNRR, cNRR, cNRR, cOK, cNRR},
		registrant: [6]string{cReg, cReg, cReg, cReg, cReg, cReg},
	},
	{
		// Anyone with the authInfo may ask for a reseller-managed domain;
		// a registrant-managed one is not transferred at all.
		name: "transfer-request", action: "",
		req: func(n string, _ *registry.Domain) string {
			return transferDomainReq("request", n, "", mxAuth, "mx-trn")
		},
		reseller:   [6]string{cPend, cPend, cPend, cPend, cOwn, cPend},
		registrant: [6]string{cState, cState, cState, cState, cState, cState},
	},
}

// mxRefusals counts the refusals the registry reports, as serve's
// eppd_authz_refusals_total does.
func mxRefusals() (*prometheus.Registry, *prometheus.CounterVec) {
	reg := prometheus.NewPedanticRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eppd_authz_refusals_total", Help: "Refusals of the authorisation policy.",
	}, []string{"action", "reason"})
	reg.MustRegister(c)
	return reg, c
}

// mxCounts reads the counter as action/reason -> count.
func mxCounts(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["action"]+"/"+labels["reason"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

// mxHarness starts a server with every flow and the reseller extension
// announced, its refusals counted in counter, the matrix's resellers, the
// registry's own entry (added when the store's migrations do not have it)
// and the contacts and hosts the matrix uses.
func mxHarness(t *testing.T, dsn string, counter *prometheus.CounterVec) (*epptest.Harness, *epptest.Clock, map[string]tls.Certificate) {
	t.Helper()
	clock := epptest.NewClock(time.Now().Truncate(time.Second))
	h := epptest.NewHarness(t, epptest.Options{
		DSN: dsn, Clock: clock,
		Register: func(m *epp.Mux, svc *registry.Service) {
			flows.Register(m, svc)
			m.AnnounceExtension(epp.NSReseller)
		},
		Server: func(c *epp.Config) { c.Clock = registry.SystemClock{} },
		Registry: func(c *registry.Config) {
			c.TLDs = []registry.TLD{{Name: "se"}}
			c.OnRefusal = func(action, code string) { counter.WithLabelValues(action, code).Inc() }
		},
	})
	certs := map[string]tls.Certificate{mxRoR: h.Acme, mxNone: h.Other}
	for _, clID := range []string{mxPayer, mxProxy, mxNSAdmin, mxRival} {
		cert, err := h.CA.Issue(clID, false, nil, time.Now().AddDate(0, 0, -1), 2*365*24*time.Hour)
		require.NoError(t, err)
		h.AddReseller(clID, clID+"-pw1", cert)
		certs[clID] = cert
	}
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.Reseller(ctx, registry.RegistryClID)
		if !registry.IsKind(err, registry.KindNotFound) {
			return err
		}
		return tx.CreateReseller(ctx, &registry.Reseller{ClID: registry.RegistryClID, Name: "The registry",
			Status: registry.ResellerSuspended, PasswordHash: "!"})
	})
	domainSeedContact(t, h, "mx-reg-acme", mxRoR)
	domainSeedContact(t, h, "mx-reg-cust", registry.RegistryClID)
	domainSeedContact(t, h, "mx-bill", mxPayer)
	domainSeedContact(t, h, "mx-admin", mxProxy)
	domainSeedContact(t, h, "mx-tech", mxNSAdmin)
	domainSeedContact(t, h, "mx-rival", mxRival)
	domainSeedContact(t, h, mxNewContact, mxRoR)
	domainSeedHost(t, h, "ns1.example.net", mxRoR)
	domainSeedHost(t, h, "ns2.example.net", mxNone)
	return h, clock, certs
}

// mxLogin logs clID in with cert, selecting secDNS, RGP and the reseller
// extension.
func mxLogin(t *testing.T, h *epptest.Harness, clID string, cert tls.Certificate) *epptest.Client {
	t.Helper()
	pw := clID + "-pw1"
	switch clID {
	case "acme":
		pw = epptest.AcmePW
	case "other":
		pw = epptest.OtherPW
	}
	c := h.Dial(&cert)
	resp := c.Do(domainLoginXML(clID, pw, epp.NSSecDNS, epp.NSRGP, epp.NSReseller))
	require.Equal(t, 1000, epptest.Code(resp), "login as %s: %s", clID, resp)
	return c
}

// mxDomain is the domain of a cell: its billing, admin and tech contacts
// are sponsored by the payer, the proxy and the NS admin, in either model
// (on a reseller-managed domain they give those resellers nothing). A
// reseller-managed domain is acme's, with acme's registrant; a
// registrant-managed one the registry's, with a customer account's
// registrant, created by acme. Both are a year old and expire in 200 days,
// outside every grace period and transfer lock.
func mxDomain(name string, m mxModel, now time.Time) *registry.Domain {
	d := &registry.Domain{
		Name: name, SponsorClID: mxRoR, CreatorClID: mxRoR, Registrant: "mx-reg-acme",
		Contacts: []registry.DomainContact{{Type: "billing", ID: "mx-bill"}, {Type: "admin", ID: "mx-admin"}, {Type: "tech", ID: "mx-tech"}},
		NS:       []string{"ns1.example.net"}, AuthInfo: mxAuth,
		CreatedAt: now.AddDate(-1, 0, 0), ExpiresAt: now.Add(200 * 24 * time.Hour), Model: m.model,
	}
	switch m.model {
	case registry.ModelReseller:
		d.Consent = &registry.Consent{ResellerClID: mxRoR, At: now.AddDate(-1, 0, 0), Method: "order-confirmation", Evidence: "order-4711"}
	case registry.ModelRegistrant:
		d.SponsorClID, d.Registrant, d.AccountNumber = registry.RegistryClID, "mx-reg-cust", "100001"
	}
	return d
}

// mxNeighbour is a domain of the model on which the rival holds every role
// (or is the reseller of record).
func mxNeighbour(name string, m mxModel, now time.Time) *registry.Domain {
	d := mxDomain(name, m, now)
	d.Contacts = []registry.DomainContact{{Type: "billing", ID: "mx-rival"}, {Type: "admin", ID: "mx-rival"}, {Type: "tech", ID: "mx-rival"}}
	if m.model != registry.ModelRegistrant {
		d.SponsorClID = mxRival
	}
	return d
}

var (
	mxRoleRE    = regexp.MustCompile(`<rsl:role>([^<]+)</rsl:role>`)
	mxAccountRE = regexp.MustCompile(`<rsl:account>([^<]+)</rsl:account>`)
)

// mxCheckInfo checks an info answer against its cell, and its
// <rsl:infData> against what the position entitles the reseller to.
func mxCheckInfo(t *testing.T, resp, cell string, m mxModel, pos string) {
	t.Helper()
	full := cell == cAll || cell == cFull
	assert.Equal(t, full, strings.Contains(resp, "<domain:registrant>"), "registrant shown")
	assert.Equal(t, full, strings.Contains(resp, "<domain:contact "), "contacts shown")
	assert.Equal(t, cell == cAll, strings.Contains(resp, "<domain:pw>"), "authInfo shown")

	registrant := m.model == registry.ModelRegistrant
	model := "reseller"
	if registrant {
		model = "registrant"
	}
	assert.Contains(t, resp, "<rsl:model>"+model+"</rsl:model>")
	var wantRoles []string
	switch {
	case !registrant && pos == "reseller-of-record":
		wantRoles = []string{"resellerOfRecord"}
	case registrant && pos == "payer":
		wantRoles = []string{"payer"}
	case registrant && pos == "proxy":
		wantRoles = []string{"proxy"}
	case registrant && pos == "ns-admin":
		wantRoles = []string{"nsAdmin"}
	}
	assert.Equal(t, wantRoles, domainAll(mxRoleRE, resp), "roles")
	// The account goes to the role holders only, not to those who see
	// full data by the authInfo.
	var wantAccount []string
	if registrant && wantRoles != nil {
		wantAccount = []string{"100001"}
	}
	assert.Equal(t, wantAccount, domainAll(mxAccountRE, resp), "account")
	assert.Equal(t, !registrant, strings.Contains(resp, "<rsl:resellerOfRecord>acme</rsl:resellerOfRecord>"), "reseller of record")
	// Consent (recorded on the reseller-model domains, not on legacy ones)
	// goes to the reseller of record only.
	wantConsent := m.model == registry.ModelReseller && pos == "reseller-of-record"
	assert.Equal(t, wantConsent, strings.Contains(resp, "<rsl:consent><rsl:method>order-confirmation</rsl:method>"), "consent")
}

// TestAuthorizationMatrix runs the whole matrix through EPP on both
// stores, and checks that every refusal was counted under its action and
// reason, and nothing else.
func TestAuthorizationMatrix(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		reg, counter := mxRefusals()
		h, clock, certs := mxHarness(t, dsn, counter)
		clients := map[string]*epptest.Client{}
		for _, p := range mxPositions {
			clients[p.clID] = mxLogin(t, h, p.clID, certs[p.clID])
		}
		now := clock.Now()
		wantCounts := map[string]float64{}
		for _, m := range mxModels {
			domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
				return tx.CreateDomain(ctx, mxNeighbour("mx-neighbour-"+m.name+".se", m, now), "EPPD")
			})
			for _, row := range mxRows {
				cells := row.reseller
				if m.model == registry.ModelRegistrant {
					cells = row.registrant
				}
				for i, pos := range mxPositions {
					cell := cells[i]
					name := fmt.Sprintf("mx-%s-%s-%d.se", m.name, row.name, i)
					t.Run(m.name+"/"+row.name+"/"+pos.name, func(t *testing.T) {
						d := mxDomain(name, m, now)
						if row.setup != nil {
							row.setup(d, now)
						}
						domainTx(t, h, func(ctx context.Context, tx registry.Tx) error { return tx.CreateDomain(ctx, d, "EPPD") })
						req := row.req(name, d)
						resp := domainDo(t, clients[pos.clID], mxCode(cell), req)
						switch {
						case strings.HasPrefix(cell, "pub/"):
							wantCounts[string(row.action)+"/"+strings.TrimPrefix(cell, "pub/")]++
							mxCheckInfo(t, resp, cell, m, pos.name)
						case cell == cAll || cell == cFull:
							mxCheckInfo(t, resp, cell, m, pos.name)
						case mxCode(cell) == 2201:
							wantCounts[string(row.action)+"/"+cell]++
							assert.Contains(t, resp, name, "the reason names the domain")
						}
					})
				}
			}
		}
		assert.Equal(t, wantCounts, mxCounts(t, reg), "refusals counted by action/reason")
	})
}

// mxCode is the result code a cell expects.
func mxCode(cell string) int {
	switch cell {
	case cOK, cAll, cFull, cPubNRR, cPubRM:
		return 1000
	case cPend:
		return 1001
	case cOwn:
		return 2106
	case cState:
		return 2304
	}
	return 2201
}

// TestAuthorizationReasons: refusals say why, in words a reseller can act
// on; a legacy domain's refusal keeps the words it had before the models.
func TestAuthorizationReasons(t *testing.T) {
	reg, counter := mxRefusals()
	h, clock, certs := mxHarness(t, "", counter)
	now := clock.Now()
	for _, m := range mxModels {
		domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
			return tx.CreateDomain(ctx, mxDomain("mx-why-"+m.name+".se", m, now), "EPPD")
		})
	}
	proxy := mxLogin(t, h, mxProxy, certs[mxProxy])
	other := mxLogin(t, h, mxNone, certs[mxNone])

	resp := domainDo(t, proxy, 2201, domainRenewReq("why-1", "mx-why-registrant.se", now.Add(200*24*time.Hour).UTC().Format(time.DateOnly), 1))
	assert.Contains(t, resp, "domain mx-why-registrant.se is registrant-managed: to renew the domain a reseller must be its payer (billing contact); you are only its proxy (admin contact)")
	resp = domainDo(t, proxy, 2201, domainDeleteReq("why-2", "mx-why-registrant.se"))
	assert.Contains(t, resp, "domain mx-why-registrant.se is registrant-managed: only the registrant may delete the domain")
	resp = domainDo(t, proxy, 2304, transferDomainReq("request", "mx-why-registrant.se", "", mxAuth, "why-3"))
	assert.Contains(t, resp, "registrant-managed and is not transferred between resellers")
	resp = domainDo(t, other, 2201, domainUpdateReq("why-4", "mx-why-legacy.se", domainNSXML("ns2.example.net"), "", "", ""))
	assert.Contains(t, resp, "domain mx-why-legacy.se is sponsored by another reseller")
	resp = domainDo(t, other, 2201, transferDomainReq("approve", "mx-why-reseller.se", "", "-", "why-5"))
	assert.Contains(t, resp, "only the sponsor of domain mx-why-reseller.se may approve its transfer")

	assert.Equal(t, map[string]float64{
		"renew/role_missing": 1, "delete/registrant_only": 1, "update-ns/not_reseller_of_record": 1, "transfer/not_reseller_of_record": 1,
	}, mxCounts(t, reg))
}

// TestAuthorizationOperator: the operator, through the service as the
// command line calls it, may do what no reseller may on a
// registrant-managed domain.
func TestAuthorizationOperator(t *testing.T) {
	ctx := context.Background()
	reg, counter := mxRefusals()
	h, clock, _ := mxHarness(t, "", counter)
	n := "mx-op.se"
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		return tx.CreateDomain(ctx, mxDomain(n, mxModel{"registrant", registry.ModelRegistrant}, clock.Now()), "EPPD")
	})
	newReg, auth := mxNewContact, "op-Auth-9"
	_, err := h.Svc.UpdateDomain(ctx, registry.Operator, n, registry.DomainChange{Registrant: &newReg, AuthInfo: &auth,
		AddStatuses: []string{registry.StatusClientHold}})
	require.NoError(t, err)
	v, err := h.Svc.DomainInfo(ctx, registry.Operator, n, "", "", false)
	require.NoError(t, err)
	assert.True(t, v.Full)
	assert.Equal(t, mxNewContact, v.Domain.Registrant)
	assert.Equal(t, auth, v.Domain.AuthInfo)
	assert.Equal(t, "100001", v.Account)
	purged, err := h.Svc.DeleteDomain(ctx, registry.Operator, n)
	require.NoError(t, err)
	assert.False(t, purged)
	assert.Empty(t, mxCounts(t, reg))
}

// TestContactLockedData: a reseller cannot change the name or organisation
// of a contact that is a domain's registrant (2201, counted); it may change
// the rest, and the name of a contact linked to nothing or only in another
// role; the operator may change the name.
func TestContactLockedData(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		reg, counter := mxRefusals()
		h, clock, certs := mxHarness(t, dsn, counter)
		domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
			return tx.CreateDomain(ctx, mxDomain("mx-lock.se", mxModel{"reseller", registry.ModelReseller}, clock.Now()), "EPPD")
		})
		domainSeedContact(t, h, "mx-free", mxRoR)
		c := mxLogin(t, h, mxRoR, certs[mxRoR])
		upd := func(id, chg string) string {
			return `<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><update><contact:update xmlns:contact="urn:ietf:params:xml:ns:contact-1.0">` +
				`<contact:id>` + id + `</contact:id><contact:chg>` + chg + `</contact:chg></contact:update></update><clTRID>lock-1</clTRID></command></epp>`
		}
		name := func(n string) string {
			return `<contact:postalInfo type="int"><contact:name>` + n + `</contact:name></contact:postalInfo>`
		}
		org := `<contact:postalInfo type="int"><contact:org>New Org AB</contact:org></contact:postalInfo>`

		// mx-reg-acme is the domain's registrant.
		resp := domainDo(t, c, 2201, upd("mx-reg-acme", name("Someone Else")))
		assert.Contains(t, resp, "registry-locked")
		domainDo(t, c, 2201, upd("mx-reg-acme", org))
		// Giving the name it has is no change.
		domainDo(t, c, 1000, upd("mx-reg-acme", name("Holder mx-reg-acme")))
		domainDo(t, c, 1000, upd("mx-reg-acme", `<contact:email>new@example.se</contact:email>`))
		domainDo(t, c, 1000, upd("mx-free", name("Anyone At All")))
		// A contact in another role on the domain is not locked.
		domainSeedContact(t, h, "mx-techie", mxRoR)
		domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
			d, err := tx.LockDomain(ctx, "mx-lock.se")
			if err != nil {
				return err
			}
			d.Contacts = append(d.Contacts, registry.DomainContact{Type: "tech", ID: "mx-techie"})
			return tx.UpdateDomain(ctx, d)
		})
		domainDo(t, c, 1000, upd("mx-techie", name("Tech Renamed")))

		_, err := h.Svc.UpdateContact(ctx, registry.Operator, "mx-reg-acme", registry.ContactChange{
			Postal: []registry.PostalChange{{Type: "int", Name: new("Renamed By Registry")}},
		})
		require.NoError(t, err)
		assert.Equal(t, map[string]float64{"update-locked-contact-data/registry_locked": 2}, mxCounts(t, reg))
	})
}
