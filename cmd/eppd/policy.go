package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

const (
	flagPolicy = "policy"
	envPolicy  = "EPPD_POLICY"
)

// policyFile is the registry policy as an operator writes it: the TLDs the
// registry runs, each with its rules, registry-wide limits, and the prices
// and low-balance thresholds of resellers' prepaid balances. Durations are
// written "5d", "120h" or as seconds; amounts as "100", "95.50" or
// "SEK 95.50".
//
//	{
//	  "tlds": [
//	    {"name": "se", "minPeriod": 1, "maxPeriod": 10, "addGrace": "5d",
//	     "deactivationPeriod": "60d", "reserved": ["nic", "registry"]}
//	  ],
//	  "maxCheck": 50,
//	  "roidSuffix": "EPPD",
//	  "prices": {
//	    "currency": "SEK",
//	    "defaults": {"create": "100", "renew": "100", "transfer": "100",
//	                 "restore": "500", "reminderFee": "25"},
//	    "tlds": {"se": [{"from": "2027-01-01", "create": "95", "renew": "95"}]}
//	  },
//	  "lowBalance": ["1000", "100"]
//	}
//
// See billing.PriceConfig for the prices.
type policyFile struct {
	TLDs       []registry.TLD `json:"tlds"`
	MaxCheck   int            `json:"maxCheck"`
	ROIDSuffix string         `json:"roidSuffix"`
	// Prices and LowBalance configure the prepaid ledger: see
	// loadBilling.
	Prices     billing.PriceConfig `json:"prices"`
	LowBalance []string            `json:"lowBalance"`
	// Calendar is the billing calendar of registrant-managed domains.
	Calendar billing.CalendarConfig `json:"calendar"`
}

// readPolicy reads the policy file named by --policy or $EPPD_POLICY; nil
// when neither names one.
func readPolicy(cmd *cobra.Command) (p *policyFile, path string, err error) {
	path, given := globalFlag(cmd, flagPolicy)
	if !given {
		path = os.Getenv(envPolicy)
	}
	if path == "" {
		return nil, "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("policy: %w", err)
	}
	p = &policyFile{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, path, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, path, nil
}

// loadPolicy reads the policy file named by --policy or $EPPD_POLICY into
// cfg; with neither, cfg keeps the defaults (registry.DefaultTLDs).
func loadPolicy(cmd *cobra.Command, cfg *registry.Config) error {
	p, path, err := readPolicy(cmd)
	if p == nil || err != nil {
		return err
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

// loadBilling reads the prices and low-balance thresholds of the policy
// file named by --policy or $EPPD_POLICY, for billing.NewLedger; with
// neither, the built-in prices (billing.DefaultPrices) and no thresholds.
// Thresholds without a currency are in the prices' currency. Prices may
// only be set for TLDs the registry runs.
func loadBilling(cmd *cobra.Command) (billing.Config, error) {
	p, path, err := readPolicy(cmd)
	if p == nil || err != nil {
		return billing.Config{}, err
	}
	prices, err := billing.NewPrices(p.Prices)
	if err != nil {
		return billing.Config{}, fmt.Errorf("policy %s: %w", path, err)
	}
	tlds := p.TLDs
	if len(tlds) == 0 {
		tlds = registry.DefaultTLDs
	}
	for name := range p.Prices.TLDs {
		if !slices.ContainsFunc(tlds, func(t registry.TLD) bool { return strings.EqualFold(t.Name, strings.Trim(name, ".")) }) {
			return billing.Config{}, fmt.Errorf("policy %s: prices for TLD %q, which the registry does not run", path, name)
		}
	}
	cfg := billing.Config{Prices: prices}
	for _, v := range p.LowBalance {
		m, err := billing.ParseMoney(v, prices.Currency())
		if err != nil {
			return billing.Config{}, fmt.Errorf("policy %s: low-balance threshold: %w", path, err)
		}
		cfg.LowBalance = append(cfg.LowBalance, m)
	}
	// Let the ledger check the thresholds, as it will when serving.
	if _, err := billing.NewLedger(nil, registry.SystemClock{}, cfg); err != nil {
		return billing.Config{}, fmt.Errorf("policy %s: %w", path, err)
	}
	return cfg, nil
}
