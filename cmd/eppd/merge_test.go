package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

// TestAccountMerge: the operator merges two accounts of one holder, points
// the domains to one registrant contact, moves a tech contact and deletes
// the contacts left unlinked, through the command line.
func TestAccountMerge(t *testing.T) {
	backends(t, testAccountMerge)
}

func testAccountMerge(t *testing.T, c *cli) {
	ctx := context.Background()
	svc := acmeSetup(t, c)
	holder := []string{"--name", "Holder AB", "--email", "info@holder.example", "--identity-type", "se-org"}
	first, _ := c.createAccount(append(holder, "--identity", "556036-0793")...)
	second, _ := c.createAccount(append(holder, "--identity", "5560360793")...)
	other, _ := c.createAccount("--name", "Other AB", "--email", "info@other.example",
		"--identity-type", "dk-cvr", "--identity", "10403782")
	c.ok("", "domain", "create", "one.se", "--account", first, "--registrant", "reg-1")
	c.ok("", "domain", "create", "two.se", "--account", second, "--registrant", "reg-1")
	c.ok("", "domain", "create", "three.se", "--account", second, "--registrant", "reg-1")
	reg := func(name string) string {
		d, err := svc.DomainInfo(ctx, registry.Operator, name, "", "", false)
		require.NoError(t, err)
		return d.Domain.Registrant
	}
	oneReg, twoReg, threeReg := reg("one.se"), reg("two.se"), reg("three.se")

	c.fails("--into is required", "", "account", "merge", second)
	c.fails("only accounts of one identity number merge", "", "account", "merge", "--into", first, second, other)
	c.fails("cannot be merged into itself", "", "account", "merge", "--into", first, first)
	c.fails("named twice", "", "account", "merge", "--into", first, second, second)
	out := c.ok("", "account", "merge", "--into", first, second)
	assert.Equal(t, "merged account(s) "+second+" into account "+first+"\n"+
		"moved: 2 domain(s), 2 contact(s), 0 bill(s), 0 message(s), 0 consent token(s)\n"+
		"domains: three.se, two.se\n"+
		"contacts: "+min(twoReg, threeReg)+", "+max(twoReg, threeReg)+"\n", out)
	out = c.ok("", "account", "show", second)
	assert.Contains(t, out, "status:    merged into "+first+"\n")
	assert.Contains(t, out, "domains:   0\n", "a tombstone holds nothing")
	out = c.ok("", "account", "show", first)
	assert.Contains(t, out, "domains:   3 (one.se, three.se, two.se)\n")
	assert.Contains(t, out, "messages:  1\n")
	c.fails("merged into account "+first+" already", "", "account", "merge", "--into", first, second)
	assert.Contains(t, c.ok("", "account", "messages", first), "Your customer accounts are merged into account "+first)
	assert.Contains(t, c.ok("", "account", "history", first), "merge")

	// One registrant for all three; the one already there is reported.
	out = c.ok("", "domain", "set-registrant", "--contact", oneReg, "one.se", "two.se", "three.se")
	assert.Regexp(t, `(?m)^one\.se\s+unchanged\s+registrant is `+oneReg+` already$`, out)
	assert.Regexp(t, `(?m)^two\.se\s+switched$`, out)
	assert.Regexp(t, `(?m)^three\.se\s+switched$`, out)
	// Someone else's contact is refused, and reported per domain.
	_, err := c.run("", "domain", "set-registrant", "--contact", "reg-1", "one.se", "nosuch.se")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 of 2 domain(s) refused")

	c.ok("", "domain", "connect", "--type", "tech", "--contact", twoReg, "one.se", "two.se")
	c.fails("1 of 1 domain(s) refused", "", "domain", "connect", "--type", "tech", "--contact", "nosuch", "one.se")
	// twoReg is linked (tech): kept; threeReg is unlinked: deleted.
	c.fails("linked", "", "contact", "delete", twoReg)
	out = c.ok("", "account", "prune-contacts", first)
	assert.Regexp(t, `(?m)^`+threeReg+`\s+deleted$`, out)
	assert.Regexp(t, `(?m)^`+twoReg+`\s+kept\s+linked to a domain$`, out)
	assert.Regexp(t, `(?m)^`+oneReg+`\s+kept\s+linked to a domain$`, out)
	out = c.ok("", "domain", "disconnect", "--type", "tech", "--contact", twoReg, "one.se", "two.se", "three.se")
	assert.Regexp(t, `(?m)^three\.se\s+unchanged\s+`, out)
	c.ok("", "contact", "delete", twoReg)
}
