package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

// store opens the CLI's database, migrated (the SQLite commands migrate
// it on first use; backends migrates PostgreSQL).
func (c *cli) store() *sqlstore.Store {
	c.t.Helper()
	st, err := sqlstore.Open(context.Background(), c.db)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { st.Close() })
	return st
}

// addDomain puts a domain with its registrant straight into the database,
// as the EPP create of the given model leaves it.
func (c *cli) addDomain(name, sponsor string, model registry.Model, account string) {
	c.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	contact := &registry.Contact{
		ID: "c-" + strings.ReplaceAll(name, ".", "-"), SponsorClID: sponsor, CreatorClID: sponsor,
		AccountNumber: account, Email: "holder@example.se", CreatedAt: now,
		Postal: []registry.PostalInfo{{Type: "int", Name: "Holder", City: "Stockholm", CC: "SE"}},
	}
	d := &registry.Domain{
		Name: name, SponsorClID: sponsor, CreatorClID: sponsor, Registrant: contact.ID,
		Model: model, AccountNumber: account, CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0),
	}
	err := c.store().Tx(ctx, func(tx registry.Tx) error {
		if err := tx.CreateContact(ctx, contact, "EPPD"); err != nil {
			return err
		}
		return tx.CreateDomain(ctx, d, "EPPD")
	})
	require.NoError(c.t, err)
}

var createdAccount = regexp.MustCompile(`^created account (\d{6,}) \(handle ([a-z]{6})\) for `)

// createAccount runs "eppd account create" and returns the number and
// handle it printed.
func (c *cli) createAccount(args ...string) (number, handle string) {
	c.t.Helper()
	out := c.ok("", append([]string{"account", "create"}, args...)...)
	m := createdAccount.FindStringSubmatch(out)
	require.NotNil(c.t, m, out)
	return m[1], m[2]
}

func TestAccounts(t *testing.T) {
	backends(t, testAccounts)
}

func testAccounts(t *testing.T, c *cli) {
	assert.Equal(t, "no accounts yet: open one with \"eppd account create\"\n", c.ok("", "account", "list"))

	out := c.ok("", "account", "create", "--name", "Anna Andersson", "--email", "anna@example.se",
		"--identity-type", "se-personal", "--identity", "121212+1212")
	m := createdAccount.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	anna, annaHandle := m[1], m[2]
	assert.Equal(t, "created account "+anna+" (handle "+annaHandle+") for Anna Andersson, se-personal 19121212-1212\n", out)
	firma, _ := c.createAccount("--name", "Firma ApS", "--email", "info@firma.dk",
		"--identity-type", "DK-CVR", "--identity", "DK 10403782")
	maxAcc, _ := c.createAccount("--name", "Max Muster", "--email", "max@example.de",
		"--identity-type", "foreign", "--identity", "x-1234.567", "--country", "de")
	assert.Less(t, anna, firma)
	assert.Less(t, firma, maxAcc)

	// Refusals, each naming the problem; none leaves an account.
	base := []string{"--name", "N", "--email", "n@example.se"}
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"check digit", `personal identity number "19121212-1213": the check digit (the last digit) is wrong`,
			append(base, "--identity-type", "se-personal", "--identity", "19121212-1213")},
		{"org check digit", `organisation number "556036-0794": the check digit (the last digit) is wrong`,
			append(base, "--identity-type", "se-org", "--identity", "556036-0794")},
		{"CVR check digit", `CVR number "10403783": the check digit (the last digit) is wrong`,
			append(base, "--identity-type", "dk-cvr", "--identity", "10403783")},
		{"not a date", "1912-13-12 is not a date",
			append(base, "--identity-type", "se-personal", "--identity", "19121312-1212")},
		{"foreign without country", "needs the ISO 3166-1 alpha-2 code",
			append(base, "--identity-type", "foreign", "--identity", "X1")},
		{"unknown type", `unknown kind of identity number "passport": one of se-personal, se-org, dk-cvr or foreign`,
			append(base, "--identity-type", "passport", "--identity", "X1")},
		{"no type", "--identity-type is required", append(base, "--identity", "19121212-1212")},
		{"no identity", "--identity is required", append(base, "--identity-type", "se-personal")},
		{"no name", "--name is required",
			[]string{"--email", "n@example.se", "--identity-type", "se-personal", "--identity", "19121212-1212"}},
		{"no e-mail", "--email is required",
			[]string{"--name", "N", "--identity-type", "se-personal", "--identity", "19121212-1212"}},
		{"empty name", "an account needs a name",
			[]string{"--name", " ", "--email", "n@example.se", "--identity-type", "se-personal", "--identity", "19121212-1212"}},
		{"bad e-mail", `e-mail address "n@" is not valid`,
			[]string{"--name", "N", "--email", "n@", "--identity-type", "se-personal", "--identity", "19121212-1212"}},
	} {
		t.Run("create/"+tc.name, func(t *testing.T) {
			c.fails(tc.want, "", append([]string{"account", "create"}, tc.args...)...)
		})
	}

	// List: every account, by number.
	out = c.ok("", "account", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^NUMBER\s+HANDLE\s+STATUS\s+IDENTITY\s+NAME\s+EMAIL$`, lines[0])
	assert.Regexp(t, `^`+anna+`\s+`+annaHandle+`\s+active\s+se-personal 19121212-1212\s+Anna Andersson\s+anna@example.se$`, lines[1])
	assert.Regexp(t, `^`+firma+`\s+[a-z]{6}\s+active\s+dk-cvr 10403782\s+Firma ApS\s+info@firma.dk$`, lines[2])
	assert.Regexp(t, `^`+maxAcc+`\s+[a-z]{6}\s+active\s+foreign DE X1234567\s+Max Muster\s+max@example.de$`, lines[3])

	// Show.
	out = c.ok("", "account", "show", anna)
	for _, want := range []string{
		"number:    " + anna + "\n", "handle:    " + annaHandle + "\n", "name:      Anna Andersson\n",
		"email:     anna@example.se\n", "identity:  se-personal 19121212-1212\n", "status:    active\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `created:\s+\d{4}-\d\d-\d\dT`, out)

	// Close, once.
	assert.Equal(t, "account "+firma+" is now closed\n", c.ok("", "account", "close", firma))
	c.fails("account "+firma+" is already closed", "", "account", "close", firma)
	assert.Contains(t, c.ok("", "account", "show", firma), "status:    closed\n")
	assert.Regexp(t, `(?m)^`+firma+`\s+[a-z]{6}\s+closed\s`, c.ok("", "account", "list"))

	// History: by the operator, never the password of anything.
	out = c.ok("", "account", "history", firma)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	var actions []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 4, l)
		assert.Equal(t, "operator", f[2], l)
		assert.True(t, json.Valid([]byte(strings.Join(f[3:], " "))), l)
		actions = append(actions, f[1])
	}
	assert.Equal(t, []string{"create", "close"}, actions)
	assert.Contains(t, lines[2], `"status":"closed"`)

	// Unknown accounts are named.
	for _, args := range [][]string{{"show", "999999"}, {"close", "999999"}, {"history", "999999"}} {
		c.fails(`account "999999" not found`, "", append([]string{"account"}, args...)...)
	}
}

func TestConsentToken(t *testing.T) {
	backends(t, testConsentToken)
}

var tokenLine = regexp.MustCompile(`(?m)^    ([A-Z2-7]{26})$`)

func testConsentToken(t *testing.T, c *cli) {
	c.ok("acme-secret-1\n", "reseller", "create", "acme", "--name", "Acme AB", "--password-stdin")
	anna, _ := c.createAccount("--name", "Anna Andersson", "--email", "anna@example.se",
		"--identity-type", "se-personal", "--identity", "19121212-1212")
	c.addDomain("held.se", registry.RegistryClID, registry.ModelRegistrant, anna)
	c.addDomain("sold.se", "acme", registry.ModelReseller, "")

	start := time.Now().UTC().Truncate(time.Second)
	out := c.ok("", "account", "consent-token", "HELD.se")
	m := tokenLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	token := m[1]
	assert.Contains(t, out, "consent token for held.se (account "+anna+"), for any reseller, valid until ")
	assert.Contains(t, out, "It is shown only now")
	until := regexp.MustCompile(`valid until (\S+):`).FindStringSubmatch(out)
	require.NotNil(t, until, out)
	exp, err := time.Parse(time.RFC3339, until[1])
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(7*24*time.Hour), exp, time.Minute, "valid for 7 days by default")

	// For one reseller, for a chosen time.
	out = c.ok("", "account", "consent-token", "held.se", "--reseller", "acme", "--valid", "36h")
	assert.Contains(t, out, `for reseller "acme" only`)
	m2 := tokenLine.FindStringSubmatch(out)
	require.NotNil(t, m2, out)
	assert.NotEqual(t, token, m2[1])
	out = c.ok("", "account", "consent-token", "held.se", "--valid", "90d")
	until = regexp.MustCompile(`valid until (\S+):`).FindStringSubmatch(out)
	require.NotNil(t, until, out)
	exp, err = time.Parse(time.RFC3339, until[1])
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(90*24*time.Hour), exp, time.Minute)

	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"reseller-managed", `domain sold.se is already reseller-managed (reseller of record "acme")`, []string{"sold.se"}},
		{"unknown domain", "domain nope.se does not exist", []string{"nope.se"}},
		{"unknown reseller", `reseller "nobody" not found`, []string{"held.se", "--reseller", "nobody"}},
		{"the registry", "the registry is not a reseller", []string{"held.se", "--reseller", "registry"}},
		{"too long", "at most 90 days", []string{"held.se", "--valid", "91d"}},
		{"no unit", `"7" has no unit`, []string{"held.se", "--valid", "7"}},
		{"nonsense", `"soon": write days such as 7d`, []string{"held.se", "--valid", "soon"}},
		{"zero", "must be valid for some time", []string{"held.se", "--valid", "0d"}},
		{"no domain", "accepts 1 arg(s), received 0", nil},
	} {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			c.fails(tc.want, "", append([]string{"account", "consent-token"}, tc.args...)...)
		})
	}

	// Only the hash is kept; the domain's history tells of the tokens,
	// without them.
	var hashes int
	err = c.store().DB().QueryRowContext(context.Background(),
		`SELECT count(*) FROM consent_tokens WHERE domain = 'held.se' AND used_at IS NULL`).Scan(&hashes)
	require.NoError(t, err)
	assert.Equal(t, 3, hashes)
	out = c.ok("", "domain", "history", "held.se")
	assert.Equal(t, 3, strings.Count(out, "consent-token-issued"), out)
	assert.NotContains(t, out, token)
	assert.Contains(t, out, `"reseller":"acme"`)
}

func TestResellerModelAndRegistryEntry(t *testing.T) {
	backends(t, testResellerModelAndRegistryEntry)
}

func testResellerModelAndRegistryEntry(t *testing.T, c *cli) {
	c.ok("acme-secret-1\n", "reseller", "create", "acme", "--name", "Acme AB", "--password-stdin")
	assert.Contains(t, c.ok("", "reseller", "show", "acme"), "new domains:   reseller-managed (the registry's default)\n")

	out := c.ok("", "reseller", "model", "acme", "registrant")
	assert.Equal(t, "reseller \"acme\": the domains it creates without naming a model are registrant-managed\n", out)
	r, _ := c.reseller("acme")
	assert.Equal(t, registry.ModelRegistrant, r.DefaultModel)
	assert.Contains(t, c.ok("", "reseller", "show", "acme"), "new domains:   registrant-managed\n")
	c.fails(`reseller "acme" already has default model registrant`, "", "reseller", "model", "acme", "registrant")
	c.ok("", "reseller", "model", "acme", "Reseller")
	r, _ = c.reseller("acme")
	assert.Equal(t, registry.ModelReseller, r.DefaultModel)
	c.ok("", "reseller", "model", "acme", "default")
	r, _ = c.reseller("acme")
	assert.Equal(t, registry.Model(""), r.DefaultModel)
	c.fails(`management model "both": want registrant, reseller or default`, "", "reseller", "model", "acme", "both")
	c.fails(`reseller "nope" not found`, "", "reseller", "model", "nope", "registrant")
	c.fails("accepts 2 arg(s)", "", "reseller", "model", "acme")
	out = c.ok("", "reseller", "history", "acme")
	assert.Equal(t, 3, strings.Count(out, "default-model"), out)
	assert.Contains(t, out, `"defaultModel":"registrant"`)

	// The registry's own entry: shown, never listed, never able to log in.
	out = c.ok("", "reseller", "show", registry.RegistryClID)
	assert.Contains(t, out, "status:        suspended\n")
	assert.Contains(t, out, "certificates:  0\n")
	assert.NotContains(t, c.ok("", "reseller", "list"), "registry")
	const noLogin = "the registry's own reseller entry cannot log in"
	c.fails(noLogin, "", "reseller", "resume", "registry")
	c.fails(noLogin, "s3cret-pw\n", "reseller", "passwd", "registry", "--password-stdin")
	c.fails(noLogin, "", "reseller", "cert", "add", "registry", "--fingerprint", strings.Repeat("ab", 32))
	c.fails("the registry's own reseller entry creates no domains", "", "reseller", "model", "registry", "reseller")
	c.fails(`client identifier "registry" is taken`, "s3cret-pw\n", "reseller", "create", "registry", "--name", "X", "--password-stdin")
	c.fails(`client identifier "Registry" is taken`, "s3cret-pw\n", "reseller", "create", "Registry", "--name", "X", "--password-stdin")
	c.fails(`reseller "registry" is already suspended`, "", "reseller", "suspend", "registry")
	r, certs := c.reseller(registry.RegistryClID)
	assert.Equal(t, registry.ResellerSuspended, r.Status)
	assert.Empty(t, certs)
	assert.False(t, registry.CheckPassword(r.PasswordHash, "s3cret-pw"))
}

// TestAccountCommandTree checks the account commands exist.
func TestAccountCommandTree(t *testing.T) {
	root := newRootCmd()
	for _, path := range [][]string{
		{"account", "create"}, {"account", "list"}, {"account", "show"}, {"account", "close"},
		{"account", "history"}, {"account", "consent-token"}, {"reseller", "model"},
	} {
		cmd, rest, err := root.Find(path)
		require.NoError(t, err, path)
		assert.Empty(t, rest, path)
		assert.Equal(t, path[len(path)-1], cmd.Name())
	}
}
