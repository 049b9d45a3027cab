package flows

import (
	"context"
	"slices"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// Verisign's mappings for a registrar's money, which EPP clients written
// for Verisign's registries already speak. Both are object services: a
// client selects them with <objURI> at login.
const (
	// NSBalance is the balance info command (balance-1.0.xsd).
	NSBalance = "http://www.verisign.com/epp/balance-1.0"
	// NSLowBalancePoll is the low-balance poll message
	// (lowbalance-poll-1.0.xsd).
	NSLowBalancePoll = "http://www.verisign.com/epp/lowbalance-poll-1.0"
)

// balanceFlows answers the balance service from the prepaid ledger.
type balanceFlows struct {
	ledger *billing.Ledger
}

// RegisterBalance routes <info><balance:info/></info> to the reseller's
// prepaid balance in l, and announces both Verisign services, so that
// clients that select them at login can: low-balance poll messages carry
// their data only to sessions that selected NSLowBalancePoll.
func RegisterBalance(m *epp.Mux, l *billing.Ledger) {
	f := &balanceFlows{ledger: l}
	m.Handle("info", NSBalance, epp.HandlerFunc(f.info))
	// The low-balance service has no command of its own; routing one is
	// how the mux announces an object service.
	m.Handle("info", NSLowBalancePoll, epp.HandlerFunc(func(context.Context, *epp.Session, *epp.Command) *epp.Response {
		return epp.NewResponse(epp.CodeUnimplementedCommand,
			"the low-balance service has no commands: its notices come by poll")
	}))
}

// info answers the balance info command (Verisign balance-1.0) with the
// logged-in reseller's balance: creditLimit 0 (balances are prepaid),
// balance, availableCredit (the balance), and creditThreshold, the highest
// low-balance threshold configured in the balance's currency (0 when there
// is none) as a fixed amount. Amounts are in the balance's currency, which
// the mapping does not name.
//
// Result codes: 1000; 2400 when the ledger cannot be read.
func (f *balanceFlows) info(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	b, err := f.ledger.Info(ctx, s.Reseller.ClID)
	if err != nil {
		return Error(err)
	}
	el := NewObject(NSBalance, "balance", "infData")
	Add(el, "creditLimit", b.CreditLimit.Decimal())
	Add(el, "balance", b.Balance.Decimal())
	Add(el, "availableCredit", b.Available.Decimal())
	Add(Add(el, "creditThreshold", ""), "fixed", b.Threshold.Decimal())
	return Success(el)
}

// lowBalanceData is the resData of a low-balance poll message, or nil when
// the session did not select the service or the data cannot be read.
func lowBalanceData(s *epp.Session, m *registry.PollMessage) *etree.Element {
	if !slices.Contains(s.Objects, NSLowBalancePoll) {
		return nil
	}
	n, err := m.LowBalanceNotice()
	if err != nil {
		return nil
	}
	money := func(minor int64) string { return billing.Money{Minor: minor, Currency: n.Currency}.Decimal() }
	name := n.ResellerName
	if r := []rune(name); len(r) > 255 {
		name = string(r[:255]) // eppcom:labelType
	}
	el := NewObject(NSLowBalancePoll, "lowbalance-poll", "pollData")
	Add(el, "registrarName", name)
	Add(el, "creditLimit", money(n.CreditLimit))
	Add(el, "creditThreshold", money(n.Threshold)).CreateAttr("type", "FIXED")
	Add(el, "availableCredit", money(n.Balance))
	return el
}
