package billing

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDefaultPrices(t *testing.T) {
	p := DefaultPrices()
	assert.Equal(t, "SEK", p.Currency())
	at := day("2026-06-01")
	for op, want := range map[registry.ChargeOp]Money{
		registry.ChargeCreate:    SEK(100_00),
		registry.ChargeRenew:     SEK(100_00),
		registry.ChargeAutoRenew: SEK(100_00),
		registry.ChargeTransfer:  SEK(100_00),
		registry.ChargeRestore:   SEK(500_00),
		OpReminderFee:            SEK(25_00),
	} {
		got, err := p.Price("se", op, at)
		require.NoError(t, err, op)
		assert.Equal(t, want, got, op)
	}
	_, err := p.Price("se", "launder", at)
	assert.ErrorContains(t, err, `no price for operation "launder"`)

	for _, c := range []struct {
		charge registry.Charge
		want   Money
	}{
		{registry.Charge{Op: registry.ChargeCreate, Domain: "x.se", TLD: "se", Years: 1}, SEK(100_00)},
		{registry.Charge{Op: registry.ChargeCreate, Domain: "x.se", Years: 3}, SEK(300_00)},
		{registry.Charge{Op: registry.ChargeRenew, Domain: "x.nu", Years: 10}, SEK(1000_00)},
		{registry.Charge{Op: registry.ChargeAutoRenew, Domain: "x.nu", Years: 2}, SEK(200_00)},
		{registry.Charge{Op: registry.ChargeTransfer, Domain: "x.se", Years: 0}, SEK(100_00)},
		{registry.Charge{Op: registry.ChargeRestore, Domain: "x.se", Years: 4}, SEK(500_00)},
	} {
		got, err := p.Amount(c.charge)
		require.NoError(t, err, c.charge)
		assert.Equal(t, c.want, got, "%+v", c.charge)
	}
}

func TestPricesEffectiveDates(t *testing.T) {
	var cfg PriceConfig
	require.NoError(t, json.Unmarshal([]byte(`{
		"defaults": {"restore": "450", "reminderFee": "SEK 30"},
		"tlds": {
			"SE": [
				{"from": "2027-01-01", "renew": "110"},
				{"from": "2026-01-01", "create": "95", "renew": "95.50"}
			],
			"dk": [{"from": "2026-03-01", "create": "DKK 75", "renew": "DKK 75"}]
		}
	}`), &cfg))
	p, err := NewPrices(cfg)
	require.NoError(t, err)

	price := func(tld string, op registry.ChargeOp, at time.Time) Money {
		t.Helper()
		m, err := p.Price(tld, op, at)
		require.NoError(t, err)
		return m
	}
	for _, c := range []struct {
		tld  string
		op   registry.ChargeOp
		at   time.Time
		want Money
	}{
		// Before the first change: the defaults.
		{"se", registry.ChargeCreate, day("2025-12-31").Add(24*time.Hour - time.Nanosecond), SEK(100_00)},
		// From the day on, at 00:00 UTC.
		{"se", registry.ChargeCreate, day("2026-01-01"), SEK(95_00)},
		{"se", registry.ChargeRenew, day("2026-01-01"), SEK(95_50)},
		{"se", registry.ChargeAutoRenew, day("2026-07-01"), SEK(95_50)},
		// The second change names renew only: create keeps its price.
		{"se", registry.ChargeRenew, day("2027-01-01"), SEK(110_00)},
		{"se", registry.ChargeRenew, day("2026-12-31").Add(23 * time.Hour), SEK(95_50)},
		{"se", registry.ChargeCreate, day("2030-01-01"), SEK(95_00)},
		// Operations a TLD never prices, and TLDs without prices, take
		// the defaults, configured or built in.
		{"se", registry.ChargeTransfer, day("2027-06-01"), SEK(100_00)},
		{"se", registry.ChargeRestore, day("2027-06-01"), SEK(450_00)},
		{"nu", registry.ChargeRestore, day("2020-01-01"), SEK(450_00)},
		{"nu", OpReminderFee, day("2026-01-01"), SEK(30_00)},
		// A TLD in another currency; names in any case.
		{"DK", registry.ChargeCreate, day("2026-03-01"), Money{75_00, "DKK"}},
		{"dk", registry.ChargeCreate, day("2026-02-28"), SEK(100_00)},
		// A time in another zone counts as its instant.
		{"se", registry.ChargeCreate, time.Date(2026, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), SEK(100_00)},
	} {
		assert.Equal(t, c.want, price(c.tld, c.op, c.at), "%s %s at %v", c.tld, c.op, c.at)
	}

	got, err := p.Amount(registry.Charge{Op: registry.ChargeRenew, Domain: "x.se", Years: 2, At: day("2027-02-01")})
	require.NoError(t, err)
	assert.Equal(t, SEK(220_00), got)
}

func TestPricesConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, json, want string
	}{
		{"bad currency", `{"currency": "kronor"}`, `currency "kronor"`},
		{"bad default", `{"defaults": {"create": "cheap"}}`, `default create: amount "cheap"`},
		{"negative", `{"defaults": {"renew": "-1"}}`, "price SEK -1.00 is negative"},
		{"bad date", `{"tlds": {"se": [{"from": "2026-13-01", "create": "1"}]}}`, `from "2026-13-01": want a date`},
		{"no date", `{"tlds": {"se": [{"create": "1"}]}}`, `from "": want a date`},
		{"same day twice", `{"tlds": {"se": [{"from": "2026-01-01", "create": "1"}, {"from": "2026-01-01", "renew": "1"}]}}`, "two changes from 2026-01-01"},
		{"empty change", `{"tlds": {"se": [{"from": "2026-01-01"}]}}`, "names no price"},
		{"too precise", `{"tlds": {"se": [{"from": "2026-01-01", "create": "1.001"}]}}`, "at most two decimals"},
		{"TLD twice", `{"tlds": {"se": [{"from": "2026-01-01", "create": "1"}], "SE": [{"from": "2026-01-02", "create": "1"}]}}`, "listed twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cfg PriceConfig
			require.NoError(t, json.Unmarshal([]byte(c.json), &cfg))
			_, err := NewPrices(cfg)
			assert.ErrorContains(t, err, c.want)
		})
	}
}
