package registry

import (
	"context"
	"time"
)

// ChargeOp is a registry operation that costs money.
type ChargeOp string

// Operations charged to a reseller's prepaid balance.
const (
	ChargeCreate    ChargeOp = "create"
	ChargeRenew     ChargeOp = "renew"
	ChargeAutoRenew ChargeOp = "auto-renew"
	ChargeTransfer  ChargeOp = "transfer"
	ChargeRestore   ChargeOp = "restore"
)

// Charge is one operation to be paid from a reseller's prepaid balance,
// inside the transaction that makes the change it pays for.
type Charge struct {
	ResellerClID string
	Op           ChargeOp
	// Domain is the domain's name and TLD its top-level domain (the
	// price list is per TLD).
	Domain string
	TLD    string
	// Years is the registration time paid for (0 for restore).
	Years int
	At    time.Time
	// ClTRID and SvTRID tie the ledger entry to its EPP command.
	ClTRID string
	SvTRID string
}

// Charger takes payment for registry operations. The registry calls it in
// the same transaction as the change, so the change and its ledger entry
// commit together or not at all. billing.Ledger implements it.
type Charger interface {
	// Charge debits the reseller for c; KindBilling (EPP 2104) when its
	// balance cannot cover it, and then nothing may be written.
	Charge(ctx context.Context, tx Tx, c Charge) error
	// Refund credits back the charge for c.Op on c.Domain made at or
	// after since (a delete inside a grace period cancels it); it is not
	// an error when there is nothing to refund.
	Refund(ctx context.Context, tx Tx, c Charge, since time.Time) error
}
