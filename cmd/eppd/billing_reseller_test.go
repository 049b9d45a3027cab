package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

func TestResellerBalance(t *testing.T) {
	backends(t, testResellerBalance)
}

func testResellerBalance(t *testing.T, c *cli) {
	c.ok("s3cret-pw\n", "reseller", "create", "acme", "--name", "Acme Ltd", "--password-stdin")
	c.ok("s3cret-pw\n", "reseller", "create", "beta", "--name", "Beta", "--password-stdin")

	assert.Equal(t, "balance of reseller \"acme\": SEK 0.00\n", c.ok("", "reseller", "balance", "acme"))
	assert.Equal(t, "reseller \"acme\": topped up SEK 500.00 (reference OCR 4711); balance SEK 500.00\n",
		c.ok("", "reseller", "topup", "acme", "500", "--reference", "OCR 4711"))
	assert.Equal(t, "reseller \"acme\": topped up SEK 25.50 (reference inv-2); balance SEK 525.50\n",
		c.ok("", "reseller", "topup", "acme", "SEK 25,50", "--reference", "inv-2"))
	assert.Equal(t, "reseller \"acme\": adjusted by SEK -100.25 (payment booked twice); balance SEK 425.25\n",
		c.ok("", "reseller", "adjust", "acme", "--reason", "payment booked twice", "--", "-100.25"))
	assert.Equal(t, "reseller \"acme\": adjusted by SEK 10.00 (goodwill); balance SEK 435.25\n",
		c.ok("", "reseller", "adjust", "acme", "10", "--reason", "goodwill"))
	assert.Equal(t, "balance of reseller \"acme\": SEK 435.25\n", c.ok("", "reseller", "balance", "acme"))

	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"topup without reference", "a top-up needs the payment's reference", []string{"topup", "acme", "5"}},
		{"topup of nothing", "a top-up must be a positive amount, not SEK 0.00", []string{"topup", "acme", "0", "--reference", "r"}},
		{"topup of words", `amount "lots": want a number`, []string{"topup", "acme", "lots", "--reference", "r"}},
		{"topup too precise", "at most two decimals", []string{"topup", "acme", "1.005", "--reference", "r"}},
		{"topup in another currency", `the balance of "acme" is kept in SEK; give the amount in SEK, not EUR`,
			[]string{"topup", "acme", "EUR 5", "--reference", "r"}},
		{"topup of the registry", "the registry's own entry has no prepaid balance", []string{"topup", "registry", "5", "--reference", "r"}},
		{"adjust without reason", "an adjustment needs a reason", []string{"adjust", "acme", "5"}},
		{"negative without --", "unknown shorthand flag", []string{"adjust", "acme", "-5", "--reason", "r"}},
		{"adjust below zero", "balance SEK 435.25 cannot be lowered by SEK 500.00: a balance never goes below zero",
			[]string{"adjust", "acme", "--reason", "r", "--", "-500"}},
		{"bad from", `--from "yesterday": want a date as 2006-01-02`, []string{"statement", "acme", "--from", "yesterday"}},
		{"empty period", "must come after its start", []string{"statement", "acme", "--from", "2026-02-01", "--to", "2026-01-01"}},
		{"unknown balance", `reseller "nope" not found`, []string{"balance", "nope"}},
		{"unknown topup", `reseller "nope" not found`, []string{"topup", "nope", "5", "--reference", "r"}},
		{"unknown adjust", `reseller "nope" not found`, []string{"adjust", "nope", "5", "--reason", "r"}},
		{"unknown statement", `reseller "nope" not found`, []string{"statement", "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.fails(tc.want, "", append([]string{"reseller"}, tc.args...)...)
		})
	}
	assert.Equal(t, "balance of reseller \"acme\": SEK 435.25\n", c.ok("", "reseller", "balance", "acme"), "no failure changed it")

	// A charge, as the registry makes it, and its refund.
	st, err := sqlstore.Open(context.Background(), c.db)
	require.NoError(t, err)
	l, err := billing.NewLedger(st, registry.SystemClock{}, billing.Config{})
	require.NoError(t, err)
	ctx := context.Background()
	charge := registry.Charge{ResellerClID: "acme", Op: registry.ChargeCreate, Domain: "x.se", TLD: "se", Years: 2, ClTRID: "ABC-1", SvTRID: "SV-1"}
	require.NoError(t, st.Tx(ctx, func(tx registry.Tx) error { return l.Charge(ctx, tx, charge) }))
	require.NoError(t, st.Tx(ctx, func(tx registry.Tx) error { return l.Refund(ctx, tx, charge, time.Time{}) }))
	require.NoError(t, st.Close())

	out := c.ok("", "reseller", "statement", "acme")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 9, out)
	assert.Equal(t, "opening balance: SEK 0.00", lines[0])
	assert.Regexp(t, `^ID\s+TIME\s+KIND\s+FOR\s+AMOUNT\s+BALANCE\s+REFERENCE$`, lines[1])
	assert.Regexp(t, `^\d+\s+\d{4}-\d\d-\d\dT\S+Z\s+topup\s+-\s+SEK 500\.00\s+SEK 500\.00\s+OCR 4711$`, lines[2])
	assert.Regexp(t, `\s+adjustment\s+-\s+SEK -100\.25\s+SEK 425\.25\s+payment booked twice$`, lines[4])
	assert.Regexp(t, `\s+charge\s+create x\.se 2y\s+SEK -200\.00\s+SEK 235\.25\s+clTRID ABC-1, svTRID SV-1$`, lines[6])
	chargeID := regexp.MustCompile(`^\d+`).FindString(lines[6])
	assert.Regexp(t, `\s+refund\s+create x\.se 2y\s+SEK 200\.00\s+SEK 435\.25\s+refunds `+chargeID+`, clTRID ABC-1, svTRID SV-1$`, lines[7])
	assert.Equal(t, "closing balance: SEK 435.25", lines[8])

	today := time.Now().UTC().Format(time.DateOnly)
	assert.Equal(t, out, c.ok("", "reseller", "statement", "acme", "--from", today, "--to", today), "--to includes its day")
	assert.Equal(t, "reseller \"acme\" has no ledger entries in that period\n",
		c.ok("", "reseller", "statement", "acme", "--to", "2020-01-01"))
	assert.Equal(t, "reseller \"beta\" has no ledger entries in that period\n", c.ok("", "reseller", "statement", "beta"))

	// Top-ups and adjustments are in the reseller's history.
	out = c.ok("", "reseller", "history", "acme")
	assert.Regexp(t, `(?m)^\S+\s+topup\s+operator\s+\{"entry":\d+,"amount":"SEK 500.00","balance":"SEK 500.00","reference":"OCR 4711"\}$`, out)
	assert.Regexp(t, `(?m)^\S+\s+adjust\s+operator\s+.*"reference":"payment booked twice"`, out)

	// The policy's thresholds and currency.
	policy := writeFile(t, "policy.json", `{"prices":{"currency":"DKK"},"lowBalance":["1000"]}`)
	assert.Equal(t, "balance of reseller \"beta\": DKK 0.00\nlow-balance warning at: DKK 1000.00\n",
		c.ok("", "--policy", policy, "reseller", "balance", "beta"))
	c.ok("", "--policy", policy, "reseller", "topup", "beta", "75", "--reference", "r")
	assert.Equal(t, "balance of reseller \"beta\": DKK 75.00\n",
		c.ok("", "reseller", "balance", "beta"), "the balance keeps its currency; the default policy has no thresholds")
	bad := writeFile(t, "bad.json", `{"lowBalance":["many"]}`)
	c.fails(`low-balance threshold: amount "many"`, "", "--policy", bad, "reseller", "balance", "acme")
}

func TestResellerBillingCommandTree(t *testing.T) {
	root := newRootCmd()
	for _, name := range []string{"balance", "topup", "adjust", "statement"} {
		cmd, rest, err := root.Find([]string{"reseller", name})
		require.NoError(t, err)
		assert.Empty(t, rest)
		assert.Equal(t, name, cmd.Name())
	}
}
