package main

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

// modelService opens the CLI's database for the test's own reads and
// writes.
func modelService(t *testing.T, c *cli) *registry.Service {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), c.db)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return registry.NewService(st, registry.SystemClock{}, registry.Config{})
}

// acmeSetup creates the reseller acme, with a contact reg-1 and a host
// ns1.example.net, and returns a service on the CLI's database.
func acmeSetup(t *testing.T, c *cli) *registry.Service {
	t.Helper()
	ctx := context.Background()
	c.ok("acme-secret-1\n", "reseller", "create", "acme", "--name", "Acme AB", "--password-stdin")
	svc := modelService(t, c)
	acme := registry.Actor{Name: registry.ResellerActor("acme"), ClID: "acme"}
	_, err := svc.CreateContact(ctx, acme, &registry.Contact{
		ID: "reg-1", Email: "reg@example.net", AuthInfo: "contact-pw-1",
		Postal: []registry.PostalInfo{{Type: "int", Name: "Reg Istrant", City: "Stockholm", CC: "SE"}},
	})
	require.NoError(t, err)
	_, err = svc.CreateHost(ctx, acme, "ns1.example.net", nil)
	require.NoError(t, err)
	return svc
}

// TestDomainCreateAndSetModel: the operator creates a registrant-managed
// domain for a customer account and moves it between the models.
func TestDomainCreateAndSetModel(t *testing.T) {
	backends(t, testDomainCreateAndSetModel)
}

func testDomainCreateAndSetModel(t *testing.T, c *cli) {
	ctx := context.Background()
	svc := acmeSetup(t, c)
	id, err := registry.ParseIdentity(registry.IdentitySEOrg, "556036-0793", "")
	require.NoError(t, err)
	acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{Name: "Holder AB", Email: "info@holder.example", Identity: id})
	require.NoError(t, err)

	c.fails("--account is required", "", "domain", "create", "shop.se", "--registrant", "reg-1")
	c.fails("customer account 999999 does not exist", "", "domain", "create", "shop.se", "--account", "999999", "--registrant", "reg-1")
	out := c.ok("", "domain", "create", "shop.se", "--account", acc.Number, "--registrant", "reg-1",
		"--ns", "ns1.example.net", "--tech", "reg-1", "--years", "2")
	assert.Regexp(t, `^created domain shop.se \(registrant-managed, account `+acc.Number+`, registrant [a-z]{6}[0-9]{4}-00001\), expires \S+\n`+
		`authorisation information: \S{6,}\n$`, out)
	d, err := svc.DomainInfo(ctx, registry.Operator, "shop.se", "", "", false)
	require.NoError(t, err)
	assert.Equal(t, registry.ModelRegistrant, d.Domain.Model)
	assert.Equal(t, registry.RegistryClID, d.Domain.SponsorClID)
	assert.Equal(t, acc.Number, d.Domain.AccountNumber)
	assert.Equal(t, []registry.DomainContact{{Type: "tech", ID: "reg-1"}}, d.Domain.Contacts)
	assert.Equal(t, acc.Handle, d.Domain.Registrant[:6])
	assert.Equal(t, d.Domain.CreatedAt.AddDate(2, 0, 0).Unix(), d.Domain.ExpiresAt.Unix())

	c.fails(`"direct" is neither`, "", "domain", "set-model", "shop.se", "direct")
	c.fails("already", "", "domain", "set-model", "shop.se", "registrant")
	c.fails("--reseller and --evidence go with a move to reseller management", "",
		"domain", "set-model", "shop.se", "registrant", "--reseller", "acme")
	c.fails("consent evidence required", "", "domain", "set-model", "shop.se", "reseller", "--reseller", "acme")
	out = c.ok("", "domain", "set-model", "shop.se", "reseller", "--reseller", "acme", "--evidence", "signed form 2027-114")
	assert.Equal(t, "domain shop.se is reseller-managed by acme\n", out)
	d, err = svc.DomainInfo(ctx, registry.Operator, "shop.se", "", "", false)
	require.NoError(t, err)
	assert.Equal(t, "acme", d.Domain.SponsorClID)
	require.NotNil(t, d.Domain.Consent)
	assert.Equal(t, "operator", d.Domain.Consent.Method)
	assert.Equal(t, "signed form 2027-114", d.Domain.Consent.Evidence)

	out = c.ok("", "domain", "set-model", "shop.se", "registrant")
	assert.Regexp(t, regexp.MustCompile(`^domain shop.se is registrant-managed, held by account `+acc.Number+` \(registrant \S+\)\n$`), out)
	d, err = svc.DomainInfo(ctx, registry.Operator, "shop.se", "", "", false)
	require.NoError(t, err)
	assert.Equal(t, registry.RegistryClID, d.Domain.SponsorClID)
	assert.Nil(t, d.Domain.Consent)

	hist := c.ok("", "domain", "history", "shop.se")
	assert.Regexp(t, `(?s)create\s+operator.*model-change\s+operator.*"method":"operator".*model-change\s+operator`, hist)
}
