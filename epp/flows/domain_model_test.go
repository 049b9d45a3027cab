package flows_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
)

// modelExtURIs are the extensions a client of the reseller model selects.
var modelExtURIs = []string{epp.NSSecDNS, epp.NSRGP, epp.NSReseller}

// modelContactIDRE is the shape of the contact IDs the registry generates.
var modelContactIDRE = regexp.MustCompile(`^[a-z]{6}[0-9]{4}-[0-9]{5}$`)

// modelLogin logs clID in selecting the reseller model extension.
func modelLogin(t testing.TB, h *epptest.Harness, clID string) *epptest.Client {
	t.Helper()
	return domainLogin(t, h, clID, modelExtURIs...)
}

// modelCreateExt is an <rsl:create> with the model ("" for none) and the
// inner XML of its other elements.
func modelCreateExt(model string, inner ...string) string {
	s := "\n      <rsl:create xmlns:rsl=\"urn:eppd:params:xml:ns:reseller-1.0\">"
	if model != "" {
		s += "\n        <rsl:model>" + model + "</rsl:model>"
	}
	for _, in := range inner {
		s += in
	}
	return s + "\n      </rsl:create>"
}

// modelConsent is an <rsl:consent> (date "" for none).
func modelConsent(method, evidence, date string) string {
	s := "\n        <rsl:consent>\n          <rsl:method>" + method + "</rsl:method>\n          <rsl:evidence>" + evidence + "</rsl:evidence>"
	if date != "" {
		s += "\n          <rsl:date>" + date + "</rsl:date>"
	}
	return s + "\n        </rsl:consent>"
}

// modelHolder is an <rsl:holder> (email "" for none).
func modelHolder(kind, number, email string) string {
	s := "\n        <rsl:holder>\n          <rsl:identity type=\"" + kind + "\">" + number + "</rsl:identity>"
	if email != "" {
		s += "\n          <rsl:email>" + email + "</rsl:email>"
	}
	return s + "\n        </rsl:holder>"
}

// modelUpdateExt is an <rsl:update> whose <rsl:chg> holds inner.
func modelUpdateExt(inner string) string {
	return "\n      <rsl:update xmlns:rsl=\"urn:eppd:params:xml:ns:reseller-1.0\">\n        <rsl:chg>" + inner +
		"\n        </rsl:chg>\n      </rsl:update>"
}

// modelToReseller is the update that moves name to reseller management
// with token.
func modelToReseller(clTRID, name, token string) string {
	return domainUpdateReq(clTRID, name, "", "", "", modelUpdateExt(
		"\n          <rsl:model>reseller</rsl:model>\n          <rsl:consentToken>"+token+"</rsl:consentToken>"))
}

// modelGolden checks that req is a valid EPP command, sends it as c and
// compares it and the answer with testdata/epp/model/<name>.*.xml.
func modelGolden(t *testing.T, c *epptest.Client, name, req string) string {
	t.Helper()
	require.NoError(t, epptest.ValidateErr(t, []byte(req)), "request of golden %s", name)
	return string(c.Golden("model/"+name, req))
}

// modelDomain reads a domain from the store.
func modelDomain(t testing.TB, h *epptest.Harness, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		var err error
		d, err = tx.Domain(ctx, name)
		return err
	})
	return d
}

// modelLastHistory returns the domain's newest history entry and its
// state.
func modelLastHistory(t testing.TB, h *epptest.Harness, name string) (registry.HistoryEntry, map[string]any) {
	t.Helper()
	hs, err := h.Svc.ObjectHistory(context.Background(), registry.ObjectDomain, name)
	require.NoError(t, err)
	require.NotEmpty(t, hs)
	last := hs[len(hs)-1]
	var st map[string]any
	require.NoError(t, json.Unmarshal(last.State, &st))
	return last, st
}

// modelRegistrantCreate is a create of name in the registrant model for
// the holder 19121212-1212, with tech-acme as tech contact.
func modelRegistrantCreate(name string) domainCreateSpec {
	s := domainBasic(name)
	s.ext = modelCreateExt("registrant", modelHolder("se-personal", "19121212-1212", "holder@home.example"))
	return s
}

// TestModelGolden runs the reseller model extension's commands and their
// refusals against golden files (testdata/epp/model).
func TestModelGolden(t *testing.T) {
	h, clock := domainHarness(t, "")
	acme := modelLogin(t, h, "acme")
	other := modelLogin(t, h, "other")
	clock.Set(domainT0)
	domainSeed(t, h)

	greeting := string(acme.Do(epptest.Hello))
	assert.Contains(t, greeting, "<extURI>"+epp.NSReseller+"</extURI>", "the extension is announced")

	// create
	consent := domainBasic("consent.se")
	consent.ext = modelCreateExt("reseller", modelConsent("order-confirmation", "ORDER-4711", "2027-03-17T09:00:00Z"))
	modelGolden(t, acme, "create-reseller", consent.xml("mcre-1"))
	noConsent := domainBasic("noconsent.se")
	noConsent.ext = modelCreateExt("reseller")
	modelGolden(t, acme, "create-reseller-no-consent", noConsent.xml("mcre-2"))
	modelGolden(t, acme, "create-registrant", modelRegistrantCreate("holder.se").xml("mcre-3"))
	noHolder := domainBasic("noholder.se")
	noHolder.ext = modelCreateExt("registrant")
	modelGolden(t, acme, "create-registrant-no-holder", noHolder.xml("mcre-4"))
	badID := domainBasic("badid.se")
	badID.ext = modelCreateExt("registrant", modelHolder("se-personal", "19121212-1213", ""))
	modelGolden(t, acme, "create-registrant-bad-identity", badID.xml("mcre-5"))
	foreign := modelRegistrantCreate("foreign.se")
	foreign.registrant = "reg-other"
	modelGolden(t, acme, "create-registrant-other-contact", foreign.xml("mcre-6"))
	both := domainBasic("both.se")
	both.ext = modelCreateExt("", modelConsent("web", "W-1", ""), modelHolder("se-org", "556036-0793", ""))
	modelGolden(t, acme, "create-consent-and-holder", both.xml("mcre-7"))
	future := domainBasic("future.se")
	future.ext = modelCreateExt("", modelConsent("web", "W-2", "2027-03-18T09:00:00Z"))
	modelGolden(t, acme, "create-consent-future", future.xml("mcre-8"))

	// update
	modelGolden(t, other, "update-unknown-token", modelToReseller("mupd-1", "holder.se", "NOSUCHTOKEN"))
	modelGolden(t, acme, "update-to-registrant", domainUpdateReq("mupd-2", "consent.se", "", "", "",
		modelUpdateExt("\n          <rsl:model>registrant</rsl:model>")))
	modelGolden(t, other, "update-combined", domainUpdateReq("mupd-3", "holder.se", domainStatusXML("clientHold"), "", "",
		modelUpdateExt("\n          <rsl:model>reseller</rsl:model>\n          <rsl:consentToken>NOSUCHTOKEN</rsl:consentToken>")))
	modelGolden(t, acme, "update-auto-renew", domainUpdateReq("mupd-4", "consent.se", "", "", "-",
		modelUpdateExt("\n          <rsl:autoRenew>0</rsl:autoRenew>")))
	modelGolden(t, acme, "update-auto-renew-registrant", domainUpdateReq("mupd-7", "holder.se", "", "", "-",
		modelUpdateExt("\n          <rsl:autoRenew>0</rsl:autoRenew>")))
	modelGolden(t, other, "update-no-model", domainUpdateReq("mupd-5", "holder.se", "", "", "",
		modelUpdateExt("\n          <rsl:consentToken>NOSUCHTOKEN</rsl:consentToken>")))
	modelGolden(t, acme, "update-same-model", domainUpdateReq("mupd-6", "consent.se", "", "", "",
		modelUpdateExt("\n          <rsl:model>reseller</rsl:model>\n          <rsl:consentToken>NOSUCHTOKEN</rsl:consentToken>")))

	// A client that did not select the extension at login cannot use it.
	plain := domainLogin(t, h, "acme")
	resp := domainDo(t, plain, 2103, consent.xml("mcre-9"))
	assert.Contains(t, resp, epp.NSReseller)
}

// TestModelCreate: creates in either model over EPP, on both stores.
func TestModelCreate(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		h, clock := domainHarness(t, dsn)
		acme := modelLogin(t, h, "acme")
		clock.Set(domainT0)
		domainSeed(t, h)

		// The reseller model with consent evidence: the consent is the
		// create's, in the history.
		spec := domainBasic("consent.se")
		spec.ext = modelCreateExt("reseller", modelConsent("order-confirmation", "ORDER-4711", "2027-03-17T09:00:00Z"))
		domainDo(t, acme, 1000, spec.xml("c-1"))
		d := modelDomain(t, h, "consent.se")
		assert.Equal(t, registry.ModelReseller, d.Model)
		assert.Equal(t, "acme", d.SponsorClID)
		require.NotNil(t, d.Consent)
		assert.Equal(t, registry.Consent{ResellerClID: "acme", At: time.Date(2027, 3, 17, 9, 0, 0, 0, time.UTC),
			Method: "order-confirmation", Evidence: "ORDER-4711"}, *d.Consent)
		last, st := modelLastHistory(t, h, "consent.se")
		assert.Equal(t, "create", last.Action)
		assert.Equal(t, "c-1", last.ClTRID)
		assert.Equal(t, "ORDER-4711", st["consent"].(map[string]any)["evidence"])

		// Asked for without evidence.
		spec = domainBasic("noconsent.se")
		spec.ext = modelCreateExt("reseller")
		assert.Contains(t, domainDo(t, acme, 2003, spec.xml("c-2")), "consent evidence required")

		// A plain create under no default model: consent by the general
		// agreement.
		domainDo(t, acme, 1000, domainBasic("plain.se").xml("c-3"))
		assert.Equal(t, "reseller-agreement", modelDomain(t, h, "plain.se").Consent.Method)

		// Default "reseller": every create carries evidence.
		require.NoError(t, h.Svc.SetResellerDefaultModel(ctx, registry.Operator, "acme", registry.ModelReseller))
		assert.Contains(t, domainDo(t, acme, 2003, domainBasic("strict.se").xml("c-4")), "consent evidence required")

		// The registrant model: the holder's account is opened, and a
		// contact of it, copied from reg-acme, is the registrant.
		spec = domainBasic("holder.se")
		spec.ext = modelCreateExt("registrant")
		assert.Contains(t, domainDo(t, acme, 2003, spec.xml("c-5")), "identity number")
		spec.ext = modelCreateExt("registrant", modelHolder("se-personal", "19121212-1213", ""))
		assert.Contains(t, domainDo(t, acme, 2005, spec.xml("c-6")), "check digit")
		spec = modelRegistrantCreate("holder.se")
		spec.contacts = append(spec.contacts, registry.DomainContact{Type: "billing", ID: "tech-acme"})
		domainDo(t, acme, 1000, spec.xml("c-7"))
		accs, err := h.Svc.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, accs, 1)
		assert.Equal(t, "Holder reg-acme", accs[0].Name)
		assert.Equal(t, "holder@home.example", accs[0].Email)
		d = modelDomain(t, h, "holder.se")
		assert.Equal(t, registry.ModelRegistrant, d.Model)
		assert.Equal(t, registry.RegistryClID, d.SponsorClID)
		assert.Equal(t, "acme", d.CreatorClID)
		assert.Equal(t, accs[0].Number, d.AccountNumber)
		assert.Nil(t, d.Consent)
		assert.ElementsMatch(t, spec.contacts, d.Contacts)
		require.Regexp(t, modelContactIDRE, d.Registrant)
		assert.Equal(t, accs[0].Handle+"0317-00001", d.Registrant)
		var reg *registry.Contact
		domainTx(t, h, func(ctx context.Context, tx registry.Tx) error {
			reg, err = tx.Contact(ctx, d.Registrant)
			return err
		})
		assert.Equal(t, accs[0].Number, reg.AccountNumber)
		assert.Equal(t, registry.RegistryClID, reg.SponsorClID)
		assert.Equal(t, "acme", reg.CreatorClID)
		assert.Equal(t, "reg-acme@example.se", reg.Email)

		// acme holds the roles its contacts give it: it sees the domain in
		// full, sponsored by the registry.
		info := domainInfo(t, acme, "holder.se")
		assert.Equal(t, registry.RegistryClID, info.clID)
		assert.Equal(t, d.Registrant, info.registrant)
		assert.Contains(t, info.raw, "<rsl:model>registrant</rsl:model>")
		info = domainInfo(t, acme, "consent.se")
		assert.Contains(t, info.raw, "<rsl:model>reseller</rsl:model>")
		assert.Contains(t, info.raw, "<rsl:method>order-confirmation</rsl:method>")

		// The same holder again: the same account and, named directly,
		// the same registrant contact.
		again := modelRegistrantCreate("again.se")
		again.registrant = d.Registrant
		domainDo(t, acme, 1000, again.xml("c-8"))
		assert.Equal(t, d.Registrant, modelDomain(t, h, "again.se").Registrant)
		accs, err = h.Svc.Accounts(ctx)
		require.NoError(t, err)
		assert.Len(t, accs, 1)

		// Another reseller's contact as registrant.
		foreign := modelRegistrantCreate("foreign.se")
		foreign.registrant = "reg-other"
		assert.Contains(t, domainDo(t, acme, 2201, foreign.xml("c-9")), "another reseller's")
	})
}

// TestModelChange: moving a registrant-managed domain to reseller
// management takes the registrant's consent token, once, for that domain
// and reseller, before it expires; a reseller never moves a domain to
// registrant management.
func TestModelChange(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		h, clock := domainHarness(t, dsn)
		acme := modelLogin(t, h, "acme")
		other := modelLogin(t, h, "other")
		clock.Set(domainT0)
		domainSeed(t, h)
		domainDo(t, acme, 1000, modelRegistrantCreate("move.se").xml("c-1"))
		domainDo(t, acme, 1000, modelRegistrantCreate("else.se").xml("c-2"))
		before := modelDomain(t, h, "move.se")
		unchanged := func(what string) {
			t.Helper()
			d := modelDomain(t, h, "move.se")
			assert.Equal(t, registry.ModelRegistrant, d.Model, what)
			assert.Equal(t, registry.RegistryClID, d.SponsorClID, what)
			assert.Equal(t, before.AuthInfo, d.AuthInfo, what)
			assert.Nil(t, d.Consent, what)
			last, _ := modelLastHistory(t, h, "move.se")
			assert.NotEqual(t, "model-change", last.Action, what)
		}
		issue := func(domain, reseller string, validity time.Duration) string {
			t.Helper()
			tok, _, err := h.Svc.IssueConsentToken(ctx, registry.Operator, domain, reseller, validity)
			require.NoError(t, err)
			return tok
		}

		elseTok := issue("else.se", "", 0)
		assert.Contains(t, domainDo(t, other, 2202, modelToReseller("m-1", "move.se", elseTok)), "another domain")
		unchanged("a token for another domain")
		acmeTok := issue("move.se", "acme", 0)
		assert.Contains(t, domainDo(t, other, 2202, modelToReseller("m-2", "move.se", acmeTok)), "another reseller")
		unchanged("a token for another reseller")
		oldTok := issue("move.se", "other", time.Hour)
		clock.Advance(time.Hour + time.Second)
		assert.Contains(t, domainDo(t, other, 2202, modelToReseller("m-3", "move.se", oldTok)), "expired")
		unchanged("an expired token")

		tok := issue("move.se", "other", 0)
		domainDo(t, other, 1000, modelToReseller("m-4", "move.se", tok))
		d := modelDomain(t, h, "move.se")
		assert.Equal(t, registry.ModelReseller, d.Model)
		assert.Equal(t, "other", d.SponsorClID)
		assert.Equal(t, before.AccountNumber, d.AccountNumber)
		require.NotNil(t, d.Consent)
		assert.Equal(t, "other", d.Consent.ResellerClID)
		assert.Equal(t, "token", d.Consent.Method)
		assert.True(t, d.Consent.At.Equal(clock.Now()))
		last, st := modelLastHistory(t, h, "move.se")
		assert.Equal(t, "model-change", last.Action)
		assert.Equal(t, registry.ResellerActor("other"), last.Actor)
		assert.Equal(t, "m-4", last.ClTRID)
		assert.Equal(t, "registrant", st["fromModel"])
		assert.Equal(t, "token", st["consent"].(map[string]any)["method"])
		info := domainInfo(t, other, "move.se")
		assert.Equal(t, "other", info.clID)
		assert.Contains(t, info.raw, "<rsl:model>reseller</rsl:model>")
		assert.Contains(t, info.raw, "<rsl:method>token</rsl:method>")

		// The token is spent.
		assert.Contains(t, domainDo(t, other, 2202, modelToReseller("m-5", "else.se", tok)), "already used")
		assert.Equal(t, registry.ModelRegistrant, modelDomain(t, h, "else.se").Model)

		// Back to registrant management is not the reseller's to do.
		resp := domainDo(t, other, 2201, domainUpdateReq("m-6", "move.se", "", "", "",
			modelUpdateExt("\n          <rsl:model>registrant</rsl:model>")))
		assert.Contains(t, resp, "only the registrant")
		assert.Equal(t, "other", modelDomain(t, h, "move.se").SponsorClID)
	})
}
