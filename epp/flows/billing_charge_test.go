package flows_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// The prepaid balance in use: reseller-managed domains paid for from the
// reseller's balance by a billing.Ledger, through real EPP sessions
// (registry/charge.go has the rules).

// chargeT0 is when the registry's clock starts; domains created then
// expire at chargeExpiry.
var (
	chargeT0     = time.Date(2027, 3, 17, 10, 0, 0, 0, time.UTC)
	chargeExpiry = chargeT0.AddDate(1, 0, 0)
)

// Prices under .se (from chargePrices); .nu costs the built-in prices
// (SEK 100.00 a year, restore SEK 500.00).
const (
	chargeSECreate   = 95_00
	chargeSERenew    = 90_00
	chargeSETransfer = 80_00
	chargeSERestore  = 400_00
)

func chargePrices(t testing.TB) *billing.Prices {
	t.Helper()
	p, err := billing.NewPrices(billing.PriceConfig{TLDs: map[string][]billing.PriceChange{
		"se": {{From: "2020-01-01", PriceSet: billing.PriceSet{Create: "95", Renew: "90", Transfer: "80", Restore: "400"}}},
	}})
	require.NoError(t, err)
	return p
}

// chargeLedger is the registry's Charger in these tests: the harness
// takes the registry's configuration (Options.Registry) before its store
// is there to build the ledger over, so the ledger is put in when the
// handlers are registered (Options.Register), before any command.
type chargeLedger struct{ *billing.Ledger }

// chargeEnv is a server whose registry charges a billing.Ledger over its
// own store, on a fake clock at chargeT0, with acme and other logged in
// selecting the reseller model extension.
type chargeEnv struct {
	h           *epptest.Harness
	clock       *epptest.Clock
	ledger      *billing.Ledger
	acme, other *epptest.Client
}

func chargeSetup(t *testing.T, dsn string) *chargeEnv {
	t.Helper()
	clock := epptest.NewClock(time.Now().Truncate(time.Second))
	cl := &chargeLedger{}
	h := epptest.NewHarness(t, epptest.Options{
		DSN: dsn, Clock: clock,
		Server: func(c *epp.Config) {
			c.Clock = registry.SystemClock{}
			c.MaxSessionsPerReseller = 50
		},
		Registry: func(c *registry.Config) {
			c.TLDs = []registry.TLD{{Name: "se"}, {Name: "nu"}}
			c.Charger = cl
		},
		Register: func(m *epp.Mux, svc *registry.Service) {
			flows.Register(m, svc)
			l, err := billing.NewLedger(svc.Store(), svc.Clock(), billing.Config{Prices: chargePrices(t)})
			require.NoError(t, err)
			cl.Ledger = l
			flows.RegisterBalance(m, l)
		},
	})
	e := &chargeEnv{h: h, clock: clock, ledger: cl.Ledger, acme: modelLogin(t, h, "acme"), other: modelLogin(t, h, "other")}
	clock.Set(chargeT0)
	domainSeed(t, h)
	return e
}

// spec is a create of name by clID, for years, with clID's registrant
// contact and the name server ns1.example.net.
func (e *chargeEnv) spec(name, clID string, years int) domainCreateSpec {
	return domainCreateSpec{
		name: name, period: fmt.Sprintf(`unit="y">%d`, years), ns: []string{"ns1.example.net"},
		registrant: "reg-" + clID, pw: "2fooBAR-x",
	}
}

// topUp credits clID with sek Swedish kronor.
func (e *chargeEnv) topUp(t *testing.T, clID string, sek int64) {
	t.Helper()
	_, err := e.ledger.TopUp(context.Background(), registry.Operator, clID, billing.SEK(sek*100), "test payment")
	require.NoError(t, err)
}

// balance is clID's balance in öre, checked against its ledger: the sum
// of its entries.
func (e *chargeEnv) balance(t *testing.T, clID string) int64 {
	t.Helper()
	b, err := e.ledger.Balance(context.Background(), clID)
	require.NoError(t, err)
	var sum int64
	for _, en := range e.entries(t, clID) {
		sum += en.Amount
	}
	require.Equal(t, sum, b.Minor, "the balance of %s is the sum of its ledger entries", clID)
	return b.Minor
}

// entries is clID's whole ledger.
func (e *chargeEnv) entries(t *testing.T, clID string) []billing.Entry {
	t.Helper()
	es, err := e.ledger.Statement(context.Background(), clID, time.Time{}, time.Time{})
	require.NoError(t, err)
	return es
}

// last is clID's newest ledger entry.
func (e *chargeEnv) last(t *testing.T, clID string) billing.Entry {
	t.Helper()
	es := e.entries(t, clID)
	require.NotEmpty(t, es)
	return es[len(es)-1]
}

// domainEntries are clID's charges and refunds for the domain name.
func (e *chargeEnv) domainEntries(t *testing.T, clID, name string) []billing.Entry {
	t.Helper()
	var out []billing.Entry
	for _, en := range e.entries(t, clID) {
		if en.Domain == name {
			out = append(out, en)
		}
	}
	return out
}

// processDue runs the registry's timed work and returns how many domains
// it looked at.
func (e *chargeEnv) processDue(t *testing.T) int {
	t.Helper()
	n, err := e.h.Svc.ProcessDue(context.Background(), 0)
	require.NoError(t, err)
	return n
}

// historyWith counts the history entries, of every object, made by the
// command with clTRID.
func (e *chargeEnv) historyWith(t *testing.T, clTRID string) int {
	t.Helper()
	var n int
	require.NoError(t, e.h.Store.DB().QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM history WHERE cltrid = $1`, clTRID).Scan(&n))
	return n
}

// historyActions are the actions of the domain's history, oldest first.
func (e *chargeEnv) historyActions(t *testing.T, name string) []string {
	t.Helper()
	hs, err := e.h.Svc.ObjectHistory(context.Background(), registry.ObjectDomain, name)
	require.NoError(t, err)
	var out []string
	for _, h := range hs {
		out = append(out, h.Action)
	}
	return out
}

var (
	chargeSvTRIDRE = regexp.MustCompile(`<svTRID>([^<]+)</svTRID>`)
	chargePollRE   = regexp.MustCompile(`(?s)<msgQ [^>]*>.*?<msg[^>]*>([^<]*)</msg>`)
)

func chargeSvTRID(t *testing.T, resp string) string {
	t.Helper()
	m := chargeSvTRIDRE.FindStringSubmatch(resp)
	require.NotNil(t, m, "no svTRID in\n%s", resp)
	return m[1]
}

// chargePoll reads and acknowledges c's poll messages and returns their
// texts.
func chargePoll(t *testing.T, c *epptest.Client) []string {
	t.Helper()
	var out []string
	for i := 0; ; i++ {
		resp := c.Do(pollReq(fmt.Sprintf("CP-%d", i)))
		if epptest.Code(resp) == 1300 {
			return out
		}
		transferWant(t, resp, 1301, "poll req")
		m := chargePollRE.FindSubmatch(resp)
		require.NotNil(t, m, "no message text in\n%s", resp)
		out = append(out, string(m[1]))
		_, id := pollQueue(resp)
		transferWant(t, c.Do(pollAck(id, "CP-ACK")), 1000, "poll ack")
	}
}

// chargeAutoRenewReq switches automatic renewal of name on or off.
func chargeAutoRenewReq(clTRID, name, value string) string {
	return domainUpdateReq(clTRID, name, "", "", "-", modelUpdateExt("\n          <rsl:autoRenew>"+value+"</rsl:autoRenew>"))
}

func chargeDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// TestChargeCreate: a create is paid from the reseller's balance in the
// create's transaction, with the command's identifiers on the ledger
// entry; one the balance cannot cover creates nothing and costs nothing;
// registrant-managed domains never touch the ledger.
func TestChargeCreate(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 1000)

		resp := domainDo(t, e.acme, 1000, e.spec("paid.se", "acme", 1).xml("cc-1"))
		assert.Equal(t, int64(1000_00-chargeSECreate), e.balance(t, "acme"))
		last := e.last(t, "acme")
		assert.Equal(t, registry.LedgerCharge, last.Kind)
		assert.Equal(t, registry.ChargeCreate, last.Op)
		assert.Equal(t, "paid.se", last.Domain)
		assert.Equal(t, 1, last.Years)
		assert.Equal(t, int64(-chargeSECreate), last.Amount)
		assert.Equal(t, "SEK", last.Currency)
		assert.Equal(t, "cc-1", last.ClTRID)
		assert.Equal(t, chargeSvTRID(t, resp), last.SvTRID)
		assert.True(t, last.At.Equal(chargeT0), "charged at the create's time, got %s", last.At)

		// Two years under .nu, at the built-in price.
		domainDo(t, e.acme, 1000, e.spec("paid.nu", "acme", 2).xml("cc-2"))
		assert.Equal(t, int64(1000_00-chargeSECreate-2*100_00), e.balance(t, "acme"))
		assert.Equal(t, 2, e.last(t, "acme").Years)

		// Too little: 2104 with the balance and the price, and nothing at
		// all happens.
		e.topUp(t, "other", 50)
		before := e.entries(t, "other")
		resp = domainDo(t, e.other, 2104, e.spec("poor.se", "other", 1).xml("cc-3"))
		assert.Contains(t, resp, "balance SEK 50.00 does not cover create of poor.se (SEK 95.00)")
		assert.Contains(t, domainDo(t, e.other, 1000, domainCheckReq("cc-4", "poor.se")), `avail="1"`)
		assert.Equal(t, before, e.entries(t, "other"))
		assert.Equal(t, int64(50_00), e.balance(t, "other"))
		assert.Zero(t, e.historyWith(t, "cc-3"), "a refused create leaves no history")
		// Nor with more years than the balance covers.
		domainDo(t, e.acme, 2104, e.spec("long.se", "acme", 10).xml("cc-5"))
		assert.Zero(t, e.historyWith(t, "cc-5"))

		// Registrant-managed domains are billed to their payer: the create
		// does not touch the ledger. A renew by the reseller holding the
		// payer role, with no bill open, is paid from its balance in
		// advance.
		before = e.entries(t, "acme")
		held := modelRegistrantCreate("held.se")
		held.contacts = append(held.contacts, registry.DomainContact{Type: "billing", ID: "tech-acme"})
		domainDo(t, e.acme, 1000, held.xml("cc-6"))
		assert.Equal(t, before, e.entries(t, "acme"))
		domainDo(t, e.acme, 1000, domainRenewReq("cc-7", "held.se", chargeDate(chargeExpiry), 1))
		after := e.entries(t, "acme")
		require.Len(t, after, len(before)+1)
		lastEntry := after[len(after)-1]
		assert.Equal(t, registry.ChargeRenew, lastEntry.Op)
		assert.Equal(t, "held.se", lastEntry.Domain)
		assert.Equal(t, "cc-7", lastEntry.ClTRID)
		assert.Equal(t, int64(1000_00-chargeSECreate-2*100_00-chargeSERenew), e.balance(t, "acme"))
	})
}

// TestChargeRenewRestoreDelete: renewals and restores are charged; a
// delete inside a grace period refunds what the period covers and takes
// back the years it paid for; a delete inside the add period refunds the
// create.
func TestChargeRenewRestoreDelete(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 1000)
		bal := int64(1000_00)
		domainDo(t, e.acme, 1000, e.spec("kept.se", "acme", 1).xml("rd-1"))
		bal -= chargeSECreate

		// Renewed by two years: two years' price.
		domainDo(t, e.acme, 1000, domainRenewReq("rd-2", "kept.se", chargeDate(chargeExpiry), 2))
		bal -= 2 * chargeSERenew
		assert.Equal(t, bal, e.balance(t, "acme"))
		renewal := e.last(t, "acme")
		assert.Equal(t, registry.ChargeRenew, renewal.Op)
		assert.Equal(t, 2, renewal.Years)
		assert.Equal(t, "rd-2", renewal.ClTRID)

		// Deleted inside the renew grace period: the renewal is refunded
		// and its years taken back.
		e.clock.Advance(time.Hour)
		domainDo(t, e.acme, 1001, domainDeleteReq("rd-3", "kept.se"))
		bal += 2 * chargeSERenew
		assert.Equal(t, bal, e.balance(t, "acme"))
		refund := e.last(t, "acme")
		assert.Equal(t, registry.LedgerRefund, refund.Kind)
		assert.Equal(t, renewal.ID, refund.RefundsEntryID)
		assert.Equal(t, int64(2*chargeSERenew), refund.Amount)
		assert.Equal(t, "rd-3", refund.ClTRID)
		info := domainInfo(t, e.acme, "kept.se")
		assert.True(t, info.exDate.Equal(chargeExpiry), "expiry back to %s, got %s", chargeExpiry, info.exDate)
		assert.Contains(t, info.statuses, "pendingDelete")
		assert.Equal(t, []string{"redemptionPeriod"}, info.rgp)

		// Restored: the restore is charged.
		domainDo(t, e.acme, 1000, domainRestoreReq("rd-4", "kept.se"))
		bal -= chargeSERestore
		assert.Equal(t, bal, e.balance(t, "acme"))
		restore := e.last(t, "acme")
		assert.Equal(t, registry.ChargeRestore, restore.Op)
		assert.Equal(t, 0, restore.Years)
		assert.Equal(t, "rd-4", restore.ClTRID)
		assert.NotContains(t, domainInfo(t, e.acme, "kept.se").statuses, "pendingDelete")

		// Deleted inside the add period: purged at once, the create
		// refunded.
		domainDo(t, e.acme, 1000, e.spec("brief.se", "acme", 3).xml("rd-5"))
		assert.Equal(t, bal-3*chargeSECreate, e.balance(t, "acme"))
		domainDo(t, e.acme, 1000, domainDeleteReq("rd-6", "brief.se"))
		assert.Equal(t, bal, e.balance(t, "acme"))
		refund = e.last(t, "acme")
		assert.Equal(t, registry.LedgerRefund, refund.Kind)
		assert.Equal(t, registry.ChargeCreate, refund.Op)
		assert.Equal(t, int64(3*chargeSECreate), refund.Amount)
		assert.Contains(t, domainDo(t, e.acme, 1000, domainCheckReq("rd-7", "brief.se")), `avail="1"`)

		// A renewal the balance cannot cover changes nothing.
		resp := domainDo(t, e.acme, 2104, domainRenewReq("rd-8", "kept.se", chargeDate(chargeExpiry), 9))
		assert.Contains(t, resp, "does not cover renew of kept.se for 9 years")
		assert.True(t, domainExpiry(t, e.h, "kept.se").Equal(chargeExpiry))
		assert.Equal(t, bal, e.balance(t, "acme"))
		assert.Zero(t, e.historyWith(t, "rd-8"))

		// Out of the grace periods a delete refunds nothing; a restore the
		// balance cannot cover leaves the domain in redemption.
		e.clock.Advance(6 * transferDay)
		domainDo(t, e.acme, 1001, domainDeleteReq("rd-9", "kept.se"))
		assert.Equal(t, bal, e.balance(t, "acme"))
		_, err := e.ledger.Adjust(context.Background(), registry.Operator, "acme", billing.SEK(-(bal - 100_00)), "test: spent elsewhere")
		require.NoError(t, err)
		resp = domainDo(t, e.acme, 2104, domainRestoreReq("rd-10", "kept.se"))
		assert.Contains(t, resp, "does not cover restore of kept.se (SEK 400.00)")
		assert.Contains(t, domainInfo(t, e.acme, "kept.se").statuses, "pendingDelete")
		assert.Equal(t, int64(100_00), e.balance(t, "acme"))
	})
}

// TestChargeTransfer: the gaining reseller pays for a transfer when it
// asks for it; a rejection or cancellation refunds it, an approval costs
// nothing more; a delete in the transfer period refunds it.
func TestChargeTransfer(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 1000)
		domainDo(t, e.acme, 1000, e.spec("moved.se", "acme", 1).xml("tr-0"))
		acmeBal := e.balance(t, "acme")
		// Past the transfer lock.
		e.clock.Advance(61 * transferDay)
		req := func(clTRID string) string {
			return transferDomainReq("request", "moved.se", `unit="y">1`, "2fooBAR-x", clTRID)
		}

		// No balance at all: nothing is requested.
		resp := string(e.other.Do(req("tr-1")))
		transferWant(t, []byte(resp), 2104, "request with no balance")
		assert.Nil(t, transferDomainOf(t, e.h, "moved.se").Transfer)
		assert.Zero(t, e.historyWith(t, "tr-1"))

		e.topUp(t, "other", 200)
		transferWant(t, e.other.Do(req("tr-2")), 1001, "request")
		assert.Equal(t, int64(200_00-chargeSETransfer), e.balance(t, "other"))
		charge := e.last(t, "other")
		assert.Equal(t, registry.ChargeTransfer, charge.Op)
		assert.Equal(t, 1, charge.Years)
		assert.Equal(t, "tr-2", charge.ClTRID)

		// Rejected by the sponsor: refunded.
		transferWant(t, e.acme.Do(transferDomainReq("reject", "moved.se", "", "-", "tr-3")), 1000, "reject")
		assert.Equal(t, int64(200_00), e.balance(t, "other"))
		refund := e.last(t, "other")
		assert.Equal(t, registry.LedgerRefund, refund.Kind)
		assert.Equal(t, charge.ID, refund.RefundsEntryID)
		assert.Equal(t, "tr-3", refund.ClTRID)

		// Cancelled by the requester: refunded.
		transferWant(t, e.other.Do(req("tr-4")), 1001, "request")
		transferWant(t, e.other.Do(transferDomainReq("cancel", "moved.se", "", "-", "tr-5")), 1000, "cancel")
		assert.Equal(t, int64(200_00), e.balance(t, "other"))

		// Approved: nothing more, for either side.
		transferWant(t, e.other.Do(req("tr-6")), 1001, "request")
		transferWant(t, e.acme.Do(transferDomainReq("approve", "moved.se", "", "-", "tr-7")), 1000, "approve")
		assert.Equal(t, int64(200_00-chargeSETransfer), e.balance(t, "other"))
		assert.Equal(t, acmeBal, e.balance(t, "acme"))
		d := transferDomainOf(t, e.h, "moved.se")
		assert.Equal(t, "other", d.SponsorClID)
		assert.True(t, d.ExpiresAt.Equal(chargeExpiry.AddDate(1, 0, 0)))

		// Deleted inside the transfer period: the transfer is refunded
		// to the new sponsor, and its year taken back.
		domainDo(t, e.other, 1001, domainDeleteReq("tr-8", "moved.se"))
		assert.Equal(t, int64(200_00), e.balance(t, "other"))
		assert.True(t, domainExpiry(t, e.h, "moved.se").Equal(chargeExpiry))
		assert.Equal(t, acmeBal, e.balance(t, "acme"))

		// Every transfer charge has its refund.
		var charged, refunded int
		for _, en := range e.domainEntries(t, "other", "moved.se") {
			switch en.Kind {
			case registry.LedgerCharge:
				charged++
			case registry.LedgerRefund:
				refunded++
			}
		}
		assert.Equal(t, 3, charged)
		assert.Equal(t, 3, refunded)
	})
}

// TestChargeAutoRenew: at expiry a domain is renewed and its sponsor
// charged; one whose reseller switched automatic renewal off is
// deactivated instead, not charged, and purged at the end of the
// deactivation period.
func TestChargeAutoRenew(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 1000)
		domainDo(t, e.acme, 1000, e.spec("kept.se", "acme", 1).xml("ar-1"))
		domainDo(t, e.acme, 1000, e.spec("off.se", "acme", 1).xml("ar-2"))
		bal := int64(1000_00 - 2*chargeSECreate)

		// The setting, in rsl:infData to those who see full data.
		assert.Contains(t, domainInfo(t, e.acme, "kept.se").raw, "<rsl:autoRenew>1</rsl:autoRenew>")
		domainDo(t, e.acme, 1000, chargeAutoRenewReq("ar-3", "off.se", "0"))
		assert.Contains(t, domainInfo(t, e.acme, "off.se").raw, "<rsl:autoRenew>0</rsl:autoRenew>")
		assert.NotContains(t, domainInfo(t, e.other, "off.se").raw, "rsl:autoRenew", "public data only")
		last, _ := modelLastHistory(t, e.h, "off.se")
		assert.Equal(t, registry.HistoryAutoRenewOff, last.Action)
		assert.Equal(t, "ar-3", last.ClTRID)
		assert.Equal(t, bal, e.balance(t, "acme"), "the setting costs nothing")

		// Refusals.
		assert.Contains(t, domainDo(t, e.acme, 2306, chargeAutoRenewReq("ar-4", "off.se", "false")), "already off")
		domainDo(t, e.other, 2201, chargeAutoRenewReq("ar-5", "kept.se", "0"))
		domainDo(t, e.acme, 2005, chargeAutoRenewReq("ar-6", "kept.se", "maybe"))
		assert.Contains(t, domainDo(t, e.acme, 2306, domainUpdateReq("ar-7", "kept.se", "", "", "", modelUpdateExt(
			"\n          <rsl:model>reseller</rsl:model>\n          <rsl:autoRenew>0</rsl:autoRenew>"))), "its own update")
		assert.Contains(t, domainDo(t, e.acme, 2306, domainUpdateReq("ar-8", "kept.se", domainStatusXML("clientHold"), "", "",
			modelUpdateExt("\n          <rsl:autoRenew>0</rsl:autoRenew>"))), "its own update")
		domainDo(t, e.acme, 1000, modelRegistrantCreate("held.se").xml("ar-9"))
		assert.Contains(t, domainDo(t, e.acme, 2306, chargeAutoRenewReq("ar-10", "held.se", "0")),
			"automatic renewal applies to reseller-managed domains only")
		domainDo(t, e.acme, 1000, domainUpdateReq("ar-11", "kept.se", domainStatusXML("clientUpdateProhibited"), "", "", ""))
		domainDo(t, e.acme, 2304, chargeAutoRenewReq("ar-12", "kept.se", "0"))
		domainDo(t, e.acme, 1000, domainUpdateReq("ar-13", "kept.se", "", domainStatusXML("clientUpdateProhibited"), "", ""))
		assert.Equal(t, bal, e.balance(t, "acme"))
		chargePoll(t, e.acme)

		// At expiry.
		e.clock.Set(chargeExpiry.Add(time.Hour))
		e.processDue(t)
		bal -= chargeSERenew
		assert.Equal(t, bal, e.balance(t, "acme"))
		renewal := e.last(t, "acme")
		assert.Equal(t, registry.ChargeAutoRenew, renewal.Op)
		assert.Equal(t, "kept.se", renewal.Domain)
		assert.Equal(t, 1, renewal.Years)
		assert.Equal(t, int64(-chargeSERenew), renewal.Amount)
		kept := domainInfo(t, e.acme, "kept.se")
		assert.True(t, kept.exDate.Equal(chargeExpiry.AddDate(1, 0, 0)))
		assert.Equal(t, []string{"autoRenewPeriod"}, kept.rgp)

		// off.se is deactivated at its expiry, as a delete would: out of
		// the zone, restorable, and not charged.
		off := domainInfo(t, e.acme, "off.se")
		assert.Contains(t, off.statuses, "pendingDelete")
		assert.Equal(t, []string{"redemptionPeriod"}, off.rgp)
		assert.True(t, off.exDate.Equal(chargeExpiry), "not renewed")
		d := modelDomain(t, e.h, "off.se")
		assert.True(t, d.DeletedAt.Equal(chargeExpiry), "deactivated as of its expiry, got %s", d.DeletedAt)
		assert.True(t, d.PurgeAt.Equal(chargeExpiry.Add(60*transferDay)))
		assert.Contains(t, e.historyActions(t, "off.se"), registry.HistoryDeactivate)
		assert.Len(t, e.domainEntries(t, "acme", "off.se"), 1, "only its create")
		// held.se, registrant-managed, is billed to its payer, never
		// charged to a balance.
		assert.Empty(t, e.domainEntries(t, "acme", "held.se"))

		msgs := strings.Join(chargePoll(t, e.acme), "\n")
		assert.Contains(t, msgs, "Domain kept.se was renewed automatically")
		assert.Contains(t, msgs, "Domain off.se was not renewed at its expiry")
		assert.Contains(t, msgs, "you switched its automatic renewal off")

		// Deleted in the auto-renew grace period: the auto-renewal is
		// refunded and its year taken back; a restore, charged, renews it
		// until its expiry lies ahead again.
		domainDo(t, e.acme, 1001, domainDeleteReq("ar-14", "kept.se"))
		bal += chargeSERenew
		assert.Equal(t, bal, e.balance(t, "acme"))
		assert.Equal(t, renewal.ID, e.last(t, "acme").RefundsEntryID)
		assert.True(t, domainExpiry(t, e.h, "kept.se").Equal(chargeExpiry))
		domainDo(t, e.acme, 1000, domainRestoreReq("ar-15", "kept.se"))
		bal -= chargeSERestore + chargeSERenew // the year that brings the expiry ahead
		assert.Equal(t, bal, e.balance(t, "acme"))
		assert.True(t, domainExpiry(t, e.h, "kept.se").Equal(chargeExpiry.AddDate(1, 0, 0)))

		// The end of the deactivation period: purged, the name free.
		e.clock.Set(chargeExpiry.Add(60*transferDay + time.Hour))
		e.processDue(t)
		assert.Contains(t, domainDo(t, e.acme, 1000, domainCheckReq("ar-16", "off.se")), `avail="1"`)
		_, err := e.h.Svc.ObjectHistory(ctx, registry.ObjectDomain, "off.se")
		assert.True(t, registry.IsKind(err, registry.KindNotFound), "purged: %v", err)
		assert.Contains(t, strings.Join(chargePoll(t, e.acme), "\n"), "Domain off.se was purged")
		assert.Len(t, e.domainEntries(t, "acme", "off.se"), 1, "never charged but for its create")
		assert.Equal(t, bal, e.balance(t, "acme"))
	})
}

// TestChargeAutoRenewLowBalance: a balance that cannot pay for the
// renewal at expiry deactivates the domain (the refused charge leaves the
// transaction usable for that), cancelling a transfer pending and
// refunding it; a top-up and a restore bring the domain back.
func TestChargeAutoRenewLowBalance(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		e := chargeSetup(t, dsn)
		e.topUp(t, "acme", 200)
		domainDo(t, e.acme, 1000, e.spec("poor.se", "acme", 1).xml("lb-1"))
		domainDo(t, e.acme, 1000, e.spec("pending.se", "acme", 1).xml("lb-2"))
		assert.Equal(t, int64(200_00-2*chargeSECreate), e.balance(t, "acme"))

		// other asks for pending.se the day before it expires.
		e.topUp(t, "other", 100)
		e.clock.Set(chargeExpiry.Add(-transferDay))
		transferWant(t, e.other.Do(transferDomainReq("request", "pending.se", `unit="y">1`, "2fooBAR-x", "lb-3")), 1001, "request")
		assert.Equal(t, int64(100_00-chargeSETransfer), e.balance(t, "other"))
		chargePoll(t, e.acme)
		chargePoll(t, e.other)

		e.clock.Set(chargeExpiry.Add(time.Hour))
		assert.Equal(t, 2, e.processDue(t))
		for _, name := range []string{"poor.se", "pending.se"} {
			info := domainInfo(t, e.acme, name)
			assert.Contains(t, info.statuses, "pendingDelete", name)
			assert.Equal(t, []string{"redemptionPeriod"}, info.rgp, name)
			assert.True(t, info.exDate.Equal(chargeExpiry), name)
			assert.Contains(t, e.historyActions(t, name), registry.HistoryDeactivate, name)
		}
		assert.Equal(t, int64(200_00-2*chargeSECreate), e.balance(t, "acme"), "nothing charged")
		msgs := strings.Join(chargePoll(t, e.acme), "\n")
		assert.Contains(t, msgs, "Domain poor.se was not renewed at its expiry")
		assert.Contains(t, msgs, "your prepaid balance could not pay for its renewal (balance SEK 10.00 does not cover auto-renew of poor.se (SEK 90.00))")

		// The pending transfer was cancelled by the registry, and its
		// charge refunded.
		d := transferDomainOf(t, e.h, "pending.se")
		require.NotNil(t, d.Transfer)
		assert.Equal(t, registry.TransferServerCancelled, d.Transfer.Status)
		assert.Equal(t, "acme", d.SponsorClID)
		assert.Equal(t, int64(100_00), e.balance(t, "other"))
		assert.Contains(t, strings.Join(chargePoll(t, e.other), "\n"), "Transfer of domain pending.se cancelled by the registry")

		// Paid in, and restored: the restore is charged, and the domain
		// renewed until its expiry lies ahead.
		e.topUp(t, "acme", 1000)
		domainDo(t, e.acme, 1000, domainRestoreReq("lb-4", "poor.se"))
		assert.Equal(t, int64(1200_00-2*chargeSECreate-chargeSERestore-chargeSERenew), e.balance(t, "acme"))
		info := domainInfo(t, e.acme, "poor.se")
		assert.NotContains(t, info.statuses, "pendingDelete")
		assert.True(t, info.exDate.Equal(chargeExpiry.AddDate(1, 0, 0)))
	})
}

// TestChargeConcurrentCreates: many sessions create at once on a balance
// that pays for only some of the creates: exactly those succeed, the rest
// are 2104, and the balance is the sum of the ledger's entries.
func TestChargeConcurrentCreates(t *testing.T) {
	domainStores(t, func(t *testing.T, dsn string) {
		const (
			sessions   = 12
			perSession = 3
			affordable = 7
		)
		e := chargeSetup(t, dsn)
		_, err := e.ledger.TopUp(context.Background(), registry.Operator, "acme", billing.SEK(affordable*chargeSECreate), "test payment")
		require.NoError(t, err)
		clients := make([]*epptest.Client, sessions)
		for i := range clients {
			clients[i] = modelLogin(t, e.h, "acme")
		}
		var (
			mu    sync.Mutex
			codes = map[int]int{}
			wg    sync.WaitGroup
		)
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perSession {
					name := fmt.Sprintf("rush-%d-%d.se", i, j)
					code := epptest.Code(c.Do(e.spec(name, "acme", 1).xml(fmt.Sprintf("rush-%d-%d", i, j))))
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, map[int]int{1000: affordable, 2104: sessions*perSession - affordable}, codes)
		assert.Zero(t, e.balance(t, "acme"))
		var charges int
		for _, en := range e.entries(t, "acme") {
			if en.Kind == registry.LedgerCharge {
				charges++
			}
		}
		assert.Equal(t, affordable, charges)
		var created int
		require.NoError(t, e.h.Store.DB().QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM domains WHERE name LIKE 'rush-%'`).Scan(&created))
		assert.Equal(t, affordable, created)
	})
}
