package registry_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

// modelT0 is when the model tests start, on the registry's clock.
var modelT0 = time.Date(2027, 7, 2, 9, 30, 0, 0, time.UTC)

// modelContactID is the shape of the contact IDs the registry generates:
// the account's handle, the date as MMDD, and a sequence number.
var modelContactID = regexp.MustCompile(`^[a-z]{6}0702-[0-9]{5}$`)

// modelIdentity parses an identity number the test knows to be valid.
func modelIdentity(t *testing.T, kind registry.IdentityKind, number string) *registry.Identity {
	t.Helper()
	id, err := registry.ParseIdentityAt(kind, number, "", modelT0)
	require.NoError(t, err)
	return &id
}

// modelKind requires err to be of the kind, with the reason containing
// want.
func modelKind(t *testing.T, err error, kind registry.Kind, want string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, kind, registry.ErrorKind(err), "%v", err)
	assert.Contains(t, err.Error(), want)
}

// modelContact reads a contact from the store.
func modelContact(t *testing.T, svc *registry.Service, id string) *registry.Contact {
	t.Helper()
	var c *registry.Contact
	domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
		var err error
		c, err = tx.Contact(ctx, id)
		return err
	})
	return c
}

// modelHistory returns the domain's history entries.
func modelHistory(t *testing.T, svc *registry.Service, name string) []registry.HistoryEntry {
	t.Helper()
	hs, err := svc.ObjectHistory(context.Background(), registry.ObjectDomain, name)
	require.NoError(t, err)
	return hs
}

// modelState decodes a history entry's state.
func modelState(t *testing.T, h registry.HistoryEntry) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(h.State, &m))
	return m
}

// TestCreateModelReseller: the reseller model at create, by default and
// asked for, with the consent recorded.
func TestCreateModelReseller(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, clock := domainService(t, store, modelT0)
		acme := domainActor("acme", "c-1")

		// No default model configured: the general agreement covers
		// consent, and a plain create works as before.
		d, err := svc.CreateDomain(ctx, acme, domainNew("plain.se"))
		require.NoError(t, err)
		assert.Equal(t, "acme", d.SponsorClID)
		d = domainGet(t, svc, "plain.se")
		assert.Equal(t, registry.ModelReseller, d.Model)
		assert.Empty(t, d.AccountNumber)
		require.NotNil(t, d.Consent)
		assert.Equal(t, registry.Consent{ResellerClID: "acme", At: modelT0, Method: "reseller-agreement", Evidence: "general agreement"},
			*d.Consent)
		hs := modelHistory(t, svc, "plain.se")
		require.Len(t, hs, 1)
		assert.Equal(t, "create", hs[0].Action)
		assert.Equal(t, map[string]any{"reseller": "acme", "at": modelT0.Format(time.RFC3339), "method": "reseller-agreement",
			"evidence": "general agreement"}, modelState(t, hs[0])["consent"])

		// Asked for: the evidence is required, and recorded with its date.
		nd := domainNew("asked.se")
		nd.Model = registry.ModelReseller
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindMissing, "consent evidence required")
		when := modelT0.Add(-time.Hour)
		nd.Consent = &registry.Consent{Method: " order-confirmation ", Evidence: "ORDER-4711", At: when}
		_, err = svc.CreateDomain(ctx, acme, nd)
		require.NoError(t, err)
		d = domainGet(t, svc, "asked.se")
		assert.Equal(t, registry.ModelReseller, d.Model)
		assert.Equal(t, registry.Consent{ResellerClID: "acme", At: when, Method: "order-confirmation", Evidence: "ORDER-4711"}, *d.Consent)
		assert.Equal(t, "ORDER-4711", modelState(t, modelHistory(t, svc, "asked.se")[0])["consent"].(map[string]any)["evidence"])

		// Consent without a model asks for the reseller model; a date
		// ahead of the clock is refused.
		nd = domainNew("future.se")
		nd.Consent = &registry.Consent{Method: "web", Evidence: "x", At: clock.Now().Add(time.Minute)}
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindRange, "future")
		nd.Consent.Evidence = " "
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindMissing, "evidence")

		// Consent goes with the reseller model only, the holder with the
		// registrant model only.
		nd = domainNew("mixed.se")
		nd.Model = registry.ModelRegistrant
		nd.Consent = &registry.Consent{Method: "web", Evidence: "x"}
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindPolicy, "consent")
		nd.Model = registry.ModelReseller
		nd.Holder = modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindPolicy, "not both")
		nd.Model = "direct"
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindInvalid, "direct")
		assert.Nil(t, domainGet(t, svc, "mixed.se"))

		// A reseller whose default is the reseller model gives evidence
		// with every create.
		require.NoError(t, svc.SetResellerDefaultModel(ctx, registry.Operator, "acme", registry.ModelReseller))
		_, err = svc.CreateDomain(ctx, acme, domainNew("strict.se"))
		modelKind(t, err, registry.KindMissing, "consent evidence required")
		nd = domainNew("strict.se")
		nd.Consent = &registry.Consent{Method: "order-confirmation", Evidence: "ORDER-4712"}
		_, err = svc.CreateDomain(ctx, acme, nd)
		require.NoError(t, err)
		assert.Equal(t, "ORDER-4712", domainGet(t, svc, "strict.se").Consent.Evidence)

		// A reseller whose default is the registrant model gives the
		// holder, or asks for the reseller model with consent.
		require.NoError(t, svc.SetResellerDefaultModel(ctx, registry.Operator, "acme", registry.ModelRegistrant))
		_, err = svc.CreateDomain(ctx, acme, domainNew("direct.se"))
		modelKind(t, err, registry.KindMissing, "identity number")
		_, err = svc.CreateDomain(ctx, acme, nd)
		require.Error(t, err, "strict.se exists")
		nd.Name = "consented.se"
		_, err = svc.CreateDomain(ctx, acme, nd)
		require.NoError(t, err)
		assert.Equal(t, registry.ModelReseller, domainGet(t, svc, "consented.se").Model)
	})
}

// TestCreateModelRegistrant: a reseller creates registrant-managed domains
// for a holder found or opened by identity number.
func TestCreateModelRegistrant(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, _ := domainService(t, store, modelT0)
		acme := domainActor("acme", "c-1")
		domainTx(t, svc, func(ctx context.Context, tx registry.Tx) error {
			for _, c := range []*registry.Contact{
				{ID: "tech-acme", SponsorClID: "acme", CreatorClID: "acme", Email: "tech@acme.example",
					Postal: []registry.PostalInfo{{Type: "int", Name: "Tech", City: "Malmo", CC: "SE"}}, AuthInfo: "tech-pw-1"},
				{ID: "holder-other", SponsorClID: "other", CreatorClID: "other", Email: "h@other.example",
					Postal: []registry.PostalInfo{{Type: "int", Name: "Other Holder", City: "Lund", CC: "SE"}}, AuthInfo: "other-pw-1"},
			} {
				c.CreatedAt = modelT0
				if err := tx.CreateContact(ctx, c, "EPPD"); err != nil {
					return err
				}
			}
			return nil
		})

		nd := domainNew("direct.se")
		nd.Model = registry.ModelRegistrant
		nd.Contacts = []registry.DomainContact{{Type: "tech", ID: "tech-acme"}, {Type: "billing", ID: "tech-acme"}}
		_, err := svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindMissing, "identity number")
		nd.Holder = &registry.Identity{Kind: registry.IdentitySEPersonal, Number: "19121212-1213"}
		_, err = svc.CreateDomain(ctx, acme, nd)
		modelKind(t, err, registry.KindInvalid, "check digit")
		accs, err := svc.Accounts(ctx)
		require.NoError(t, err)
		assert.Empty(t, accs, "nothing opened for a refused create")

		// An identity number as people write it.
		nd.Holder = &registry.Identity{Kind: registry.IdentitySEPersonal, Number: " 19121212-1212"}
		nd.HolderEmail = "holder@home.example"
		d, err := svc.CreateDomain(ctx, acme, nd)
		require.NoError(t, err)
		accs, err = svc.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, accs, 1)
		acc := accs[0]
		assert.Equal(t, "Holder", acc.Name, "named after the registrant contact")
		assert.Equal(t, "holder@home.example", acc.Email)
		assert.Equal(t, "se-personal:191212121212", acc.Identity.Key())

		d = domainGet(t, svc, "direct.se")
		assert.Equal(t, registry.ModelRegistrant, d.Model)
		assert.Equal(t, registry.RegistryClID, d.SponsorClID)
		assert.Equal(t, "acme", d.CreatorClID)
		assert.Equal(t, acc.Number, d.AccountNumber)
		assert.Nil(t, d.Consent)
		assert.ElementsMatch(t, nd.Contacts, d.Contacts, "the reseller keeps the roles it named")
		assert.Regexp(t, modelContactID, d.Registrant)
		assert.Equal(t, acc.Handle, d.Registrant[:6])
		reg := modelContact(t, svc, d.Registrant)
		assert.Equal(t, acc.Number, reg.AccountNumber)
		assert.Equal(t, registry.RegistryClID, reg.SponsorClID)
		assert.Equal(t, "acme", reg.CreatorClID)
		assert.Equal(t, "holder@example.se", reg.Email, "the contact's data is copied")
		assert.Equal(t, "Holder", reg.Postal[0].Name)
		assert.NotEqual(t, "holder-pw", reg.AuthInfo, "the copy has its own authorisation information")
		hs, err := svc.ObjectHistory(ctx, registry.ObjectContact, d.Registrant)
		require.NoError(t, err)
		require.Len(t, hs, 1)
		assert.Equal(t, "create", hs[0].Action)
		assert.Equal(t, registry.ResellerActor("acme"), hs[0].Actor)
		state := modelState(t, modelHistory(t, svc, "direct.se")[0])
		assert.Equal(t, "registrant", state["model"])
		assert.Equal(t, acc.Number, state["account"])

		// The same holder, written another way: the same account, and a
		// contact of it may be named directly.
		nd2 := domainNew("second.se")
		nd2.Registrant = d.Registrant
		nd2.Holder = &registry.Identity{Kind: registry.IdentitySEPersonal, Number: "191212121212"}
		_, err = svc.CreateDomain(ctx, acme, nd2)
		require.NoError(t, err)
		d2 := domainGet(t, svc, "second.se")
		assert.Equal(t, acc.Number, d2.AccountNumber)
		assert.Equal(t, d.Registrant, d2.Registrant, "no second copy")
		accs, err = svc.Accounts(ctx)
		require.NoError(t, err)
		assert.Len(t, accs, 1)

		// Another holder's account contact, and another reseller's
		// contact, are refused.
		nd3 := domainNew("third.se")
		nd3.Registrant = d.Registrant
		nd3.Holder = modelIdentity(t, registry.IdentitySEOrg, "556036-0793")
		_, err = svc.CreateDomain(ctx, acme, nd3)
		modelKind(t, err, registry.KindForbidden, "other than the holder's")
		nd3.Registrant = "holder-other"
		_, err = svc.CreateDomain(ctx, acme, nd3)
		modelKind(t, err, registry.KindForbidden, "another reseller's")
		assert.Nil(t, domainGet(t, svc, "third.se"))
		accs, err = svc.Accounts(ctx)
		require.NoError(t, err)
		assert.Len(t, accs, 1, "the refused creates opened no account")

		// Only the operator names the account.
		nd3.Registrant, nd3.Holder, nd3.Account = "holder", nil, acc.Number
		_, err = svc.CreateDomain(ctx, acme, nd3)
		modelKind(t, err, registry.KindForbidden, "only the registry")
	})
}

// TestCreateModelOperator: the operator creates a registrant-managed
// domain for a customer account, with no reseller.
func TestCreateModelOperator(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, _ := domainService(t, store, modelT0)
		acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{
			Name: "Holder", Email: "holder@home.example", Identity: *modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")})
		require.NoError(t, err)

		nd := domainNew("shop.se")
		nd.NS = nil
		_, err = svc.CreateDomain(ctx, registry.Operator, nd)
		modelKind(t, err, registry.KindMissing, "customer account")
		nd.Account = "999999"
		_, err = svc.CreateDomain(ctx, registry.Operator, nd)
		modelKind(t, err, registry.KindNotFound, "999999")
		nd.Account = acc.Number
		nd.Model = registry.ModelReseller
		_, err = svc.CreateDomain(ctx, registry.Operator, nd)
		modelKind(t, err, registry.KindPolicy, "registrant-managed domains only")
		nd.Model = ""
		d, err := svc.CreateDomain(ctx, registry.Operator, nd)
		require.NoError(t, err)
		assert.Equal(t, registry.ModelRegistrant, d.Model)
		assert.Equal(t, registry.RegistryClID, d.SponsorClID)
		assert.Equal(t, registry.RegistryClID, d.CreatorClID)
		assert.Equal(t, acc.Number, d.AccountNumber)
		assert.Regexp(t, modelContactID, d.Registrant)
		assert.Equal(t, acc.Number, modelContact(t, svc, d.Registrant).AccountNumber)
		hs := modelHistory(t, svc, "shop.se")
		require.Len(t, hs, 1)
		assert.Equal(t, registry.ActorOperator, hs[0].Actor)

		// The account's contact serves again as is.
		nd.Name, nd.Registrant = "shop2.se", d.Registrant
		d2, err := svc.CreateDomain(ctx, registry.Operator, nd)
		require.NoError(t, err)
		assert.Equal(t, d.Registrant, d2.Registrant)

		require.NoError(t, svc.CloseAccount(ctx, registry.Operator, acc.Number))
		nd.Name = "shop3.se"
		_, err = svc.CreateDomain(ctx, registry.Operator, nd)
		modelKind(t, err, registry.KindStatusProhibits, "closed")
	})
}

// modelRegistrantDomain creates name as a registrant-managed domain by acme
// for the holder 19121212-1212 and returns it.
func modelRegistrantDomain(t *testing.T, svc *registry.Service, name string) *registry.Domain {
	t.Helper()
	nd := domainNew(name)
	nd.Holder = modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")
	nd.Contacts = []registry.DomainContact{{Type: "tech", ID: "holder"}}
	_, err := svc.CreateDomain(context.Background(), domainActor("acme", "c-"+name), nd)
	require.NoError(t, err)
	return domainGet(t, svc, name)
}

// TestChangeModelToken: a reseller moves a registrant-managed domain to
// reseller management with the registrant's consent token; every misuse
// of a token is refused with nothing changed.
func TestChangeModelToken(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, clock := domainService(t, store, modelT0)
		before := modelRegistrantDomain(t, svc, "move.se")
		modelRegistrantDomain(t, svc, "else.se")
		other := domainActor("other", "m-1")
		toReseller := func(token string) registry.ModelChange {
			return registry.ModelChange{To: registry.ModelReseller, ConsentToken: token}
		}
		unchanged := func() {
			t.Helper()
			d := domainGet(t, svc, "move.se")
			assert.Equal(t, registry.ModelRegistrant, d.Model)
			assert.Equal(t, registry.RegistryClID, d.SponsorClID)
			assert.Equal(t, before.AuthInfo, d.AuthInfo)
			assert.Nil(t, d.Consent)
		}

		_, err := svc.ChangeDomainModel(ctx, other, "move.se", registry.ModelChange{To: registry.ModelReseller})
		modelKind(t, err, registry.KindMissing, "consent token")
		_, err = svc.ChangeDomainModel(ctx, other, "move.se", toReseller("NOTATOKEN"))
		modelKind(t, err, registry.KindAuthInfo, "unknown")

		// A token for another domain, and one for another reseller.
		elseTok, _, err := svc.IssueConsentToken(ctx, registry.Operator, "else.se", "", 0)
		require.NoError(t, err)
		_, err = svc.ChangeDomainModel(ctx, other, "move.se", toReseller(elseTok))
		modelKind(t, err, registry.KindAuthInfo, "another domain")
		unchanged()
		acmeTok, _, err := svc.IssueConsentToken(ctx, registry.Operator, "move.se", "acme", 0)
		require.NoError(t, err)
		_, err = svc.ChangeDomainModel(ctx, other, "move.se", toReseller(acmeTok))
		modelKind(t, err, registry.KindAuthInfo, "another reseller")
		unchanged()

		// An expired token.
		oldTok, _, err := svc.IssueConsentToken(ctx, registry.Operator, "move.se", "other", time.Hour)
		require.NoError(t, err)
		clock.Advance(time.Hour)
		_, err = svc.ChangeDomainModel(ctx, other, "move.se", toReseller(oldTok))
		modelKind(t, err, registry.KindAuthInfo, "expired")
		unchanged()

		// A good token moves the domain; the consent is in its history.
		tok, ct, err := svc.IssueConsentToken(ctx, registry.Operator, "move.se", "other", 0)
		require.NoError(t, err)
		clock.Advance(time.Minute)
		d, err := svc.ChangeDomainModel(ctx, other, "move.se", toReseller(tok))
		require.NoError(t, err)
		assert.Equal(t, registry.ModelReseller, d.Model)
		d = domainGet(t, svc, "move.se")
		assert.Equal(t, registry.ModelReseller, d.Model)
		assert.Equal(t, "other", d.SponsorClID)
		assert.Equal(t, "other", d.UpdaterClID)
		assert.Equal(t, before.AccountNumber, d.AccountNumber, "the holder's account keeps the domain")
		assert.Equal(t, before.Registrant, d.Registrant)
		assert.NotEqual(t, before.AuthInfo, d.AuthInfo, "new authorisation information")
		require.NotNil(t, d.Consent)
		assert.Equal(t, registry.Consent{ResellerClID: "other", At: clock.Now(), Method: "token", Evidence: strconv.FormatInt(ct.ID, 10)}, *d.Consent)
		hs := modelHistory(t, svc, "move.se")
		last := hs[len(hs)-1]
		assert.Equal(t, "model-change", last.Action)
		assert.Equal(t, registry.ResellerActor("other"), last.Actor)
		st := modelState(t, last)
		assert.Equal(t, "registrant", st["fromModel"])
		assert.Equal(t, registry.RegistryClID, st["fromSponsor"])
		assert.Equal(t, "token", st["consent"].(map[string]any)["method"])

		// Spent: a second use is refused, whatever the domain.
		_, err = svc.ChangeDomainModel(ctx, other, "else.se", toReseller(tok))
		modelKind(t, err, registry.KindAuthInfo, "already used")
		assert.Equal(t, registry.ModelRegistrant, domainGet(t, svc, "else.se").Model)
		_, err = svc.ChangeDomainModel(ctx, other, "move.se", toReseller(tok))
		modelKind(t, err, registry.KindPolicy, "already")

		// The refused attempt with else.se's token did not spend it.
		_, err = svc.ChangeDomainModel(ctx, other, "else.se", toReseller(elseTok))
		require.NoError(t, err)
		assert.Equal(t, "other", domainGet(t, svc, "else.se").SponsorClID)
	})
}

// TestChangeModelToRegistrant: moving to registrant management is the
// operator's act (or the registrant's), never a reseller's.
func TestChangeModelToRegistrant(t *testing.T) {
	domainStores(t, func(t *testing.T, store registry.Store) {
		ctx := context.Background()
		svc, _ := domainService(t, store, modelT0)
		acme := domainActor("acme", "c-1")
		_, err := svc.CreateDomain(ctx, acme, domainNew("back.se"))
		require.NoError(t, err)
		domainMessages(t, svc, "acme")

		_, err = svc.ChangeDomainModel(ctx, acme, "back.se", registry.ModelChange{To: registry.ModelRegistrant})
		modelKind(t, err, registry.KindForbidden, "only the registrant")
		_, err = svc.ChangeDomainModel(ctx, registry.Operator, "back.se", registry.ModelChange{To: registry.ModelRegistrant})
		modelKind(t, err, registry.KindMissing, "account")
		assert.Equal(t, "acme", domainGet(t, svc, "back.se").SponsorClID)

		acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{
			Name: "Holder", Email: "holder@home.example", Identity: *modelIdentity(t, registry.IdentitySEPersonal, "19121212-1212")})
		require.NoError(t, err)
		d, err := svc.ChangeDomainModel(ctx, registry.Operator, "back.se", registry.ModelChange{To: registry.ModelRegistrant, Account: acc.Number})
		require.NoError(t, err)
		assert.Equal(t, registry.ModelRegistrant, d.Model)
		d = domainGet(t, svc, "back.se")
		assert.Equal(t, registry.RegistryClID, d.SponsorClID)
		assert.Equal(t, acc.Number, d.AccountNumber)
		assert.Nil(t, d.Consent)
		assert.Regexp(t, modelContactID, d.Registrant)
		assert.Equal(t, acc.Number, modelContact(t, svc, d.Registrant).AccountNumber)
		hs := modelHistory(t, svc, "back.se")
		assert.Equal(t, "model-change", hs[len(hs)-1].Action)
		assert.Equal(t, registry.ActorOperator, hs[len(hs)-1].Actor)
		msgs := domainMessages(t, svc, "acme")
		require.Len(t, msgs, 1)
		assert.Contains(t, msgs[0].Msg, "back.se was moved to registrant management")

		// And back to reseller management, on the operator's evidence.
		_, err = svc.ChangeDomainModel(ctx, registry.Operator, "back.se", registry.ModelChange{To: registry.ModelReseller, Reseller: "other"})
		modelKind(t, err, registry.KindMissing, "consent evidence required")
		d, err = svc.ChangeDomainModel(ctx, registry.Operator, "back.se",
			registry.ModelChange{To: registry.ModelReseller, Reseller: "other", Evidence: "signed form 2027-114"})
		require.NoError(t, err)
		assert.Equal(t, "other", d.SponsorClID)
		assert.Equal(t, registry.Consent{ResellerClID: "other", At: modelT0, Method: "operator", Evidence: "signed form 2027-114"}, *d.Consent)
		_, err = svc.ChangeDomainModel(ctx, registry.Operator, "back.se", registry.ModelChange{To: registry.ModelRegistrant, Account: "100999"})
		modelKind(t, err, registry.KindPolicy, "change of holder")
	})
}
