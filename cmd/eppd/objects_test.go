package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

// TestObjectHistoryAndProcess: the operator reads a domain's, contact's
// and host's history, and runs the timed work by hand.
func TestObjectHistoryAndProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eppd.db")
	c := newCLI(t, db)
	c.ok("acme-secret-1\n", "reseller", "create", "acme", "--name", "Acme AB", "--password-stdin")

	ctx := context.Background()
	st, err := sqlstore.Open(ctx, db)
	require.NoError(t, err)
	defer st.Close()
	svc := registry.NewService(st, registry.SystemClock{}, registry.Config{})
	a := registry.Actor{Name: registry.ResellerActor("acme"), ClID: "acme", SessionID: "S-1", ClTRID: "cl-1", SvTRID: "sv-1"}
	_, err = svc.CreateContact(ctx, a, &registry.Contact{
		ID: "reg-1", Email: "reg@example.net", AuthInfo: "contact-pw-1",
		Postal: []registry.PostalInfo{{Type: "int", Name: "Reg Istrant", City: "Stockholm", CC: "SE"}},
	})
	require.NoError(t, err)
	_, err = svc.CreateHost(ctx, a, "ns1.example.net", nil)
	require.NoError(t, err)
	_, err = svc.CreateDomain(ctx, a, registry.NewDomain{Name: "hist.se", Registrant: "reg-1", NS: []string{"ns1.example.net"}, AuthInfo: "domain-pw-1"})
	require.NoError(t, err)

	out := c.ok("", "domain", "history", "hist.se")
	assert.Contains(t, out, "create")
	assert.Contains(t, out, "reseller:acme (clTRID cl-1) (svTRID sv-1)")
	assert.Contains(t, out, `"hist.se"`)
	assert.Contains(t, c.ok("", "contact", "history", "reg-1"), "create")
	assert.Contains(t, c.ok("", "host", "history", "NS1.example.net."), "create", "names are normalised")

	_, err = c.run("", "domain", "history", "nosuch.se")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nosuch.se")

	// The operator sets and clears server statuses; the history shows it.
	out = c.ok("", "domain", "status", "hist.se", "--add", "serverHold", "--add", "serverDeleteProhibited")
	assert.Contains(t, out, "serverHold")
	assert.Contains(t, out, "serverDeleteProhibited")
	out = c.ok("", "domain", "status", "hist.se", "--rem", "serverHold")
	assert.NotContains(t, out, "serverHold")
	_, err = c.run("", "domain", "status", "hist.se", "--add", "bogusStatus")
	require.Error(t, err)
	assert.Contains(t, c.ok("", "domain", "history", "hist.se"), "operator")

	out = c.ok("", "process")
	assert.True(t, strings.HasPrefix(out, "processed 0 domain(s)"), out)
}
