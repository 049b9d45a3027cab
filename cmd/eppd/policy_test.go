package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
