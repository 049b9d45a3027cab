package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

func TestLoadPolicy(t *testing.T) {
	cases := []struct {
		name, json string
		wantErr    string
		check      func(t *testing.T, cfg registry.Config)
	}{
		{
			name: "valid",
			json: `{"tlds":[{"name":"se","addGrace":"3d","deactivationPeriod":"1440h","reserved":["NIC"]},{"name":"dk","maxPeriod":5}],"maxCheck":20}`,
			check: func(t *testing.T, cfg registry.Config) {
				svc := registry.NewService(nil, registry.SystemClock{}, cfg)
				c := svc.Config()
				require.Len(t, c.TLDs, 2)
				assert.Equal(t, 3*24*time.Hour, c.TLDs[0].AddGrace.D())
				assert.Equal(t, 60*24*time.Hour, c.TLDs[0].DeactivationPeriod.D())
				assert.Equal(t, 5*24*time.Hour, c.TLDs[0].RenewGrace.D(), "unset values take defaults")
				assert.Equal(t, 5, c.TLDs[1].MaxPeriod)
				assert.Equal(t, 20, c.MaxCheck)
				_, reason := svc.CheckDomainName("nic.se")
				assert.Equal(t, "the name is reserved", reason)
				_, reason = svc.CheckDomainName("example.nu")
				assert.NotEmpty(t, reason, "nu is not run under this policy")
			},
		},
		{name: "unknown field", json: `{"tld":[]}`, wantErr: `unknown field "tld"`},
		{name: "duplicate", json: `{"tlds":[{"name":"se"},{"name":"se"}]}`, wantErr: `"se" is listed twice`},
		{name: "too long period", json: `{"tlds":[{"name":"se","maxPeriod":11}]}`, wantErr: "exceeds RFC 5731's 10 years"},
		{name: "bad duration", json: `{"tlds":[{"name":"se","addGrace":"five days"}]}`, wantErr: `duration "five days"`},
		{name: "bad name", json: `{"tlds":[{"name":"-se"}]}`, wantErr: "hyphen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "policy.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.json), 0o644))
			root := newRootCmd()
			require.NoError(t, root.PersistentFlags().Set(flagPolicy, path))
			var cfg registry.Config
			err := loadPolicy(root, &cfg)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, cfg)
		})
	}
}

func TestLoadBilling(t *testing.T) {
	load := func(t *testing.T, json string) (billing.Config, error) {
		t.Helper()
		root := newRootCmd()
		if json != "" {
			path := filepath.Join(t.TempDir(), "policy.json")
			require.NoError(t, os.WriteFile(path, []byte(json), 0o644))
			require.NoError(t, root.PersistentFlags().Set(flagPolicy, path))
		}
		return loadBilling(root)
	}
	t.Run("no policy", func(t *testing.T) {
		t.Setenv(envPolicy, "")
		cfg, err := load(t, "")
		require.NoError(t, err)
		assert.Nil(t, cfg.Prices, "the ledger takes the built-in prices")
		assert.Empty(t, cfg.LowBalance)
	})
	t.Run("policy without prices", func(t *testing.T) {
		cfg, err := load(t, `{"tlds":[{"name":"se"}]}`)
		require.NoError(t, err)
		p, err := cfg.Prices.Price("se", registry.ChargeRestore, time.Now())
		require.NoError(t, err)
		assert.Equal(t, billing.SEK(500_00), p)
		assert.Empty(t, cfg.LowBalance)
	})
	t.Run("prices and thresholds", func(t *testing.T) {
		cfg, err := load(t, `{"tlds":[{"name":"se"},{"name":"dk"}],
			"prices":{"currency":"DKK","defaults":{"restore":"400"},
			          "tlds":{"se":[{"from":"2027-01-01","create":"SEK 95","renew":"SEK 95"}]}},
			"lowBalance":["1000","SEK 100.00"]}`)
		require.NoError(t, err)
		at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		p, err := cfg.Prices.Price("se", registry.ChargeCreate, at)
		require.NoError(t, err)
		assert.Equal(t, billing.SEK(95_00), p)
		p, err = cfg.Prices.Price("se", registry.ChargeCreate, at.Add(-time.Second))
		require.NoError(t, err)
		assert.Equal(t, billing.Money{Minor: 100_00, Currency: "DKK"}, p, "before the change: the default, in the configured currency")
		p, err = cfg.Prices.Price("dk", registry.ChargeRestore, at)
		require.NoError(t, err)
		assert.Equal(t, billing.Money{Minor: 400_00, Currency: "DKK"}, p)
		assert.Equal(t, []billing.Money{{Minor: 1000_00, Currency: "DKK"}, billing.SEK(100_00)}, cfg.LowBalance)
	})
	for _, c := range []struct{ name, json, want string }{
		{"unknown field", `{"prices":{"curency":"SEK"}}`, `unknown field "curency"`},
		{"bad price", `{"prices":{"defaults":{"create":"ten"}}}`, `default create: amount "ten"`},
		{"TLD not run", `{"tlds":[{"name":"se"}],"prices":{"tlds":{"nu":[{"from":"2026-01-01","create":"1"}]}}}`,
			`prices for TLD "nu", which the registry does not run`},
		{"default TLDs", `{"prices":{"tlds":{"dk":[{"from":"2026-01-01","create":"1"}]}}}`, `TLD "dk", which the registry does not run`},
		{"bad threshold", `{"lowBalance":["lots"]}`, `low-balance threshold: amount "lots"`},
		{"zero threshold", `{"lowBalance":["0"]}`, "want a positive amount"},
		{"threshold twice", `{"lowBalance":["100","SEK 100.00"]}`, "given twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.json)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	// The registry's own policy reading ignores the billing sections.
	root := newRootCmd()
	path := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"tlds":[{"name":"se"}],"prices":{"currency":"SEK"},"lowBalance":["100"]}`), 0o644))
	require.NoError(t, root.PersistentFlags().Set(flagPolicy, path))
	var cfg registry.Config
	require.NoError(t, loadPolicy(root, &cfg))
	assert.Len(t, cfg.TLDs, 1)
}
