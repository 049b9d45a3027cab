package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

const (
	flagPolicy = "policy"
	envPolicy  = "EPPD_POLICY"
)

// policyFile is the registry policy as an operator writes it: the TLDs the
// registry runs, each with its rules, and registry-wide limits. Durations
// are written "5d", "120h" or as seconds.
//
//	{
//	  "tlds": [
//	    {"name": "se", "minPeriod": 1, "maxPeriod": 10, "addGrace": "5d",
//	     "deactivationPeriod": "60d", "reserved": ["nic", "registry"]}
//	  ],
//	  "maxCheck": 50,
//	  "roidSuffix": "EPPD"
//	}
type policyFile struct {
	TLDs       []registry.TLD `json:"tlds"`
	MaxCheck   int            `json:"maxCheck"`
	ROIDSuffix string         `json:"roidSuffix"`
}

// loadPolicy reads the policy file named by --policy or $EPPD_POLICY into
// cfg; with neither, cfg keeps the defaults (registry.DefaultTLDs).
func loadPolicy(cmd *cobra.Command, cfg *registry.Config) error {
	path, given := globalFlag(cmd, flagPolicy)
	if !given {
		path = os.Getenv(envPolicy)
	}
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	var p policyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("policy %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, t := range p.TLDs {
		if t.Name == "" {
			return fmt.Errorf("policy %s: TLD %d has no name", path, i+1)
		}
		if seen[t.Name] {
			return fmt.Errorf("policy %s: TLD %q is listed twice", path, t.Name)
		}
		seen[t.Name] = true
		if reason := registry.CheckHostname("x." + t.Name); reason != "" {
			return fmt.Errorf("policy %s: TLD %q: %s", path, t.Name, reason)
		}
		if t.MinPeriod > 0 && t.MaxPeriod > 0 && t.MinPeriod > t.MaxPeriod {
			return fmt.Errorf("policy %s: TLD %q: minPeriod %d exceeds maxPeriod %d", path, t.Name, t.MinPeriod, t.MaxPeriod)
		}
		if t.MaxPeriod > 10 {
			return fmt.Errorf("policy %s: TLD %q: maxPeriod %d exceeds RFC 5731's 10 years", path, t.Name, t.MaxPeriod)
		}
	}
	cfg.TLDs, cfg.MaxCheck, cfg.ROIDSuffix = p.TLDs, p.MaxCheck, p.ROIDSuffix
	return nil
}
