package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

// TestBillingCommands: the operator runs a day of billing, lists and shows
// the bill formed, and records its payment, by hand and from a file.
func TestBillingCommands(t *testing.T) {
	backends(t, testBillingCommands)
}

func testBillingCommands(t *testing.T, c *cli) {
	ctx := context.Background()
	svc := acmeSetup(t, c)
	id, err := registry.ParseIdentity(registry.IdentitySEOrg, "556036-0793", "")
	require.NoError(t, err)
	acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{Name: "Holder AB", Email: "info@holder.example", Identity: id})
	require.NoError(t, err)
	c.ok("", "domain", "create", "shop.se", "--account", acc.Number, "--registrant", "reg-1", "--ns", "ns1.example.net")
	c.ok("", "domain", "create", "other.se", "--account", acc.Number, "--registrant", "reg-1", "--ns", "ns1.example.net")
	d, err := svc.DomainInfo(ctx, registry.Operator, "shop.se", "", "", false)
	require.NoError(t, err)

	// The last day of the month before the billing month: both domains'
	// notice (the 23rd to the 29th) is due.
	exp := d.Domain.ExpiresAt.UTC()
	day := time.Date(exp.Year(), exp.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1).Format(time.DateOnly)
	c.fails(`--date "tomorrow"`, "", "billing", "run", "--date", "tomorrow")
	out := c.ok("", "billing", "run", "--date", day)
	assert.Contains(t, out, "billing of "+day+": 2 bill(s) formed, 2 step(s) done, 0 problem(s)\n")
	m := regexp.MustCompile(`formed (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "%s", out)
	number := m[1]
	assert.Contains(t, c.ok("", "billing", "run", "--date", day), "0 bill(s) formed, 0 step(s) done")

	assert.Contains(t, c.ok("", "billing", "change", number, "--notice-to", "pay@holder.example"), "notices to pay@holder.example, total SEK 100.00")
	c.fails("--domain and --years go together", "", "billing", "change", number, "--domain", "shop.se")
	out = c.ok("", "billing", "list", "--state", "noticed")
	assert.Contains(t, out, number+"  noticed")
	out = c.ok("", "billing", "show", number)
	assert.Contains(t, out, "bill "+number+" (separate): noticed")
	assert.Regexp(t, `notice\s+\d{4}-\d{2}-\d{2}\s+\S+Z\s+e-mail bill/`+number+`/notice/payer`, out)
	assert.Regexp(t, `sent\s+\d{4}-\d{2}-\d{2}\s+-`, out)

	// The registrant cannot change while the bill is unpaid.
	reg := "reg-1"
	_, err = svc.UpdateDomain(ctx, registry.Operator, "shop.se", registry.DomainChange{Registrant: &reg})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "domain shop.se is on unpaid bill "+number+"; its registrant cannot change until the bill is paid")

	assert.Contains(t, c.ok("", "billing", "pay", number, "40", "--reference", "bank-1"), "payment of SEK 40.00 for "+number+": partial (SEK 40.00 of SEK 100.00 paid)")
	out = c.ok("", "billing", "pay", number, "60", "--reference", "bank-2")
	assert.Contains(t, out, "applied")
	assert.Contains(t, out, "renewed: ")
	assert.Contains(t, c.ok("", "billing", "pay", number, "60", "--reference", "bank-2"), "not recorded again")
	assert.Contains(t, c.ok("", "billing", "list", "--state", "paid"), number)

	other := regexp.MustCompile(`(?m)^(\S+)\s+noticed`).FindStringSubmatch(c.ok("", "billing", "list", "--open"))
	require.NotNil(t, other)
	file := writeFile(t, "pay.csv", "reference,amount,date\n"+other[1]+",100.00,2026-01-02\nunknown-ref,5,2026-01-02\n")
	out = c.ok("", "billing", "import", file)
	assert.Contains(t, out, "line 2: payment of SEK 100.00 for "+other[1]+": applied")
	assert.Contains(t, out, "line 3: payment of SEK 5.00 for unknown-ref: unmatched")
	assert.Contains(t, c.ok("", "billing", "import", file), "not recorded again")
	c.fails("is paid", "", "billing", "deregister", number, "shop.se")
	c.fails("bill 1999-000000 does not exist", "", "billing", "show", "1999-000000")
}
