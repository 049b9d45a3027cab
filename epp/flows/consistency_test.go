package flows_test

import (
	"net"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp/epptest"
)

var infDataRE = regexp.MustCompile(`(?s)<resData>.*</resData>`)

// TestRST_epp17_ServicePortConsistency (ICANN RST epp-17): a domain made
// through one service address is answered identically on the others. The
// server listens on IPv4 and IPv6 loopback, as on each address of its
// host name.
func TestRST_epp17_ServicePortConsistency(t *testing.T) {
	h, _ := domainHarness(t, "")
	ln6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	go h.Srv.Serve(ln6) // closed by the harness's Shutdown
	domainSeed(t, h)

	c4 := domainLogin(t, h, "acme")
	domainDo(t, c4, 1000, domainBasic("ports.se").xml("p-1"))

	c6 := epptest.MustDial(t, ln6.Addr().String(), h.Roots, &h.Acme)
	require.Equal(t, 1000, epptest.Code(c6.Do(domainLoginXML("acme", epptest.AcmePW, domainExtURIs...))))

	a := infDataRE.FindString(domainDo(t, c4, 1000, domainInfoReq("p-2", "ports.se")))
	b := infDataRE.FindString(domainDo(t, c6, 1000, domainInfoReq("p-3", "ports.se")))
	require.NotEmpty(t, a)
	assert.Equal(t, a, b)
}
