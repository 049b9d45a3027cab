package flows

import (
	"context"
	"time"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// BillSettler pays the unpaid bill of a registrant-managed domain when the
// reseller holding its payer role renews the domain: "an EPP renew settles
// the open bill from the reseller's balance" (DOMAIN.md section 2).
// *billing.Biller is one.
type BillSettler interface {
	// RenewByPayer settles the bill the renew is for, charging charger,
	// or reports that the renew is an ordinary one (Settled false) having
	// done nothing.
	RenewByPayer(ctx context.Context, a registry.Actor, domain string, curExp time.Time, years int, charger registry.Charger) (*billing.PayerRenewal, error)
}

// RegisterBillSettlement makes the domain renew settle bills through
// bills, charging the reseller's prepaid balance in balance (the ledger
// the registry charges): see domainRenew. Call it after Register, whose
// renew route it replaces.
func RegisterBillSettlement(m *epp.Mux, svc *registry.Service, bills BillSettler, balance registry.Charger) {
	f := &Flows{svc: svc, bills: bills, balance: balance}
	m.Handle("renew", epp.NSDomain, epp.HandlerFunc(f.domainRenew))
}

// renewBilled settles the unpaid bill a payer's renew of name pays, and
// answers the renew. It reports false, having done nothing, when the renew
// is an ordinary one.
func (f *Flows) renewBilled(ctx context.Context, a registry.Actor, name string, cur time.Time, years int) (*epp.Response, bool) {
	if f.bills == nil {
		return nil, false
	}
	r, err := f.bills.RenewByPayer(ctx, a, name, cur, years, f.balance)
	if err != nil {
		return Error(err), true
	}
	if !r.Settled {
		return nil, false
	}
	return renData(r.Domain), true
}
