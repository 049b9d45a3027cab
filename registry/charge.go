package registry

import (
	"context"
	"slices"
	"strings"
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

// What the registry charges, when a Charger is configured (Config.Charger;
// DOMAIN.md section 4). Reseller-managed domains are paid from the prepaid
// balance of the reseller that acts; registrant-managed domains are billed
// to their payer, except what the reseller holding their payer role does
// over EPP: its renew settles an unpaid bill from its balance (package
// billing), and with no bill open its renew or restore is paid from its
// balance in advance (paidInAdvance). The registry's own entry
// (RegistryClID) has no balance, and what the operator does from the
// command line is never charged: it acts for the registry. Each charge is
// made in the transaction of the change it pays for, before the change is
// written, so that a refusal (KindBilling, EPP 2104: the balance does not
// cover it) leaves everything as it was.
//
//   - create: ChargeCreate for the years registered, by the creating
//     reseller.
//   - renew: ChargeRenew for the years added, by the reseller of record
//     (on a registrant-managed domain: by the payer reseller that asks).
//   - restore: ChargeRestore (no years), by the reseller of record (on a
//     registrant-managed domain: by the payer reseller that asks). A
//     restore that finds the expiry passed renews the domain by whole
//     years until it lies ahead and charges those years too, as one
//     ChargeRenew for the years added, after the restore and in the same
//     transaction (as registries do: the restore fee and the renewal that
//     brings the expiry ahead); KindBilling when the balance cannot cover
//     both, and nothing changes. No grace period follows them, so a later
//     delete refunds neither. A registrant-managed domain's restore adds
//     no years: its renewal is on its bill (RestoreDomain).
//   - transfer: ChargeTransfer for the years the transfer adds, by the
//     gaining reseller when it requests the transfer. A transfer that ends
//     other than approved (rejected, cancelled by the requester or by the
//     registry) refunds it; an approval, by the losing reseller or by the
//     registry at the auto-approval time, charges nothing more. A transfer
//     approved inside the autoRenewPeriod takes the automatic renewal's
//     place (its years are taken off the expiry), so the losing reseller's
//     auto-renewal is refunded.
//   - auto-renewal at expiry (ProcessDue): ChargeAutoRenew for the years
//     added, by the sponsor. When the balance cannot cover it, or the
//     reseller switched automatic renewal off (SetDomainAutoRenew), the
//     domain is not renewed but deactivated (process.go).
//   - delete inside a grace period (RFC 3915): the charges of the
//     operations whose grace periods still run are refunded to the
//     sponsor: the create (addPeriod; the domain is purged at once), the
//     renewals (renewPeriod), the auto-renewal (autoRenewPeriod) and the
//     transfer (transferPeriod). The years those refunded operations added
//     are taken off the expiry, and their grace periods end, so that a
//     restore does not bring back registration time that was paid back.
//     A delete by the operator refunds the sponsor too.

// payer is the reseller that pays for a's operation on d, or "" when
// nothing is charged: no Charger, a registrant-managed domain, an actor
// that is not a reseller (the operator, the registry), or the registry's
// own entry.
func (s *Service) payer(a Actor, d *Domain) string {
	return s.billed(d, a.ClID)
}

// paidInAdvance is the reseller that pays for a renew or restore a makes
// on d: on a reseller-managed domain its payer (payer); on a
// registrant-managed one the reseller asking, whom the policy lets do it
// only when it holds the payer role there (DOMAIN.md section 2). It pays
// from its balance what the registry would otherwise bill; an unpaid bill
// is settled by the renew instead (package billing, before this is
// reached). The operator is never charged.
func (s *Service) paidInAdvance(a Actor, d *Domain) string {
	if DomainModel(d) == ModelRegistrant && s.cfg.Charger != nil && a.ClID != "" && a.ClID != RegistryClID {
		return a.ClID
	}
	return s.payer(a, d)
}

// billed is clID when operations on d are paid from its balance: a
// Charger is configured, d is reseller-managed, and clID is a reseller;
// otherwise "".
func (s *Service) billed(d *Domain, clID string) string {
	if s.cfg.Charger == nil || DomainModel(d) != ModelReseller || clID == "" || clID == RegistryClID {
		return ""
	}
	return clID
}

// chargeTLD is the TLD a domain's price is looked up under: the TLD the
// registry runs it under, else its last label.
func (s *Service) chargeTLD(name string) string {
	if t, _ := s.TLDFor(name); t != nil {
		return t.Name
	}
	return name[strings.LastIndexByte(name, '.')+1:]
}

// charge debits clID for op on d at at, for years, with a's transaction
// identifiers; nothing when clID is "" (see payer and billed).
func (s *Service) charge(ctx context.Context, tx Tx, clID string, a Actor, d *Domain, op ChargeOp, years int, at time.Time) error {
	if clID == "" {
		return nil
	}
	return s.cfg.Charger.Charge(ctx, tx, Charge{
		ResellerClID: clID, Op: op, Domain: d.Name, TLD: s.chargeTLD(d.Name), Years: years, At: at,
		ClTRID: a.ClTRID, SvTRID: a.SvTRID,
	})
}

// refund credits clID back, at at, the charges for op on d made at or
// after since, with a's transaction identifiers; nothing when clID is ""
// (see billed).
func (s *Service) refund(ctx context.Context, tx Tx, clID string, a Actor, d *Domain, op ChargeOp, since, at time.Time) error {
	if clID == "" {
		return nil
	}
	return s.cfg.Charger.Refund(ctx, tx, Charge{
		ResellerClID: clID, Op: op, Domain: d.Name, TLD: s.chargeTLD(d.Name), At: at,
		ClTRID: a.ClTRID, SvTRID: a.SvTRID,
	}, since)
}

// graceCharge is the charge an operation's grace period covers, and when
// that operation was made, at the earliest: the start of the grace period
// g of d under TLD t.
func graceCharge(d *Domain, g Grace, t *TLD) (op ChargeOp, since time.Time, ok bool) {
	switch g.Kind {
	case GraceAddPeriod:
		return ChargeCreate, d.CreatedAt, true
	case GraceRenewPeriod:
		return ChargeRenew, g.Until.Add(-t.RenewGrace.D()), true
	case GraceAutoRenewPeriod:
		return ChargeAutoRenew, g.Until.Add(-t.AutoRenewGrace.D()), true
	case GraceTransferPeriod:
		if d.Transfer != nil && !d.Transfer.RequestedAt.IsZero() {
			return ChargeTransfer, d.Transfer.RequestedAt, true
		}
		return ChargeTransfer, g.Until.Add(-t.TransferGrace.D()), true
	}
	return "", time.Time{}, false
}

// refundGrace refunds to d's sponsor, for a delete by a at now, the
// charges of the operations whose grace periods still run (see the rules
// above), takes the years they added off the expiry, and ends those grace
// periods. Nothing happens when the sponsor's balance does not pay for d.
func (s *Service) refundGrace(ctx context.Context, tx Tx, a Actor, d *Domain, now time.Time) error {
	clID := s.billed(d, d.SponsorClID)
	if clID == "" {
		return nil
	}
	t := s.domainTLD(d.Name)
	// One refund per operation, from the earliest of its running grace
	// periods: a domain renewed twice within the renew grace period has
	// two.
	var ops []ChargeOp
	since := map[ChargeOp]time.Time{}
	for _, g := range d.Grace {
		if !g.Until.After(now) {
			continue
		}
		op, from, ok := graceCharge(d, g, t)
		if !ok {
			continue
		}
		if prev, seen := since[op]; !seen {
			ops = append(ops, op)
			since[op] = from
		} else if from.Before(prev) {
			since[op] = from
		}
	}
	for _, op := range ops {
		if err := s.refund(ctx, tx, clID, a, d, op, since[op], now); err != nil {
			return err
		}
	}
	if len(ops) == 0 {
		return nil
	}
	// Take back the registration time that was paid back. The addPeriod
	// needs none: the domain is purged.
	for _, g := range d.Grace {
		if !g.Until.After(now) {
			continue
		}
		switch g.Kind {
		case GraceRenewPeriod, GraceTransferPeriod:
			d.ExpiresAt = addYears(d.ExpiresAt, -g.Years)
		case GraceAutoRenewPeriod:
			d.ExpiresAt = addYears(d.ExpiresAt, -max(g.Years, 1))
		}
	}
	d.Grace = slices.DeleteFunc(d.Grace, func(g Grace) bool {
		_, _, refunded := graceCharge(d, g, t)
		return refunded || !g.Until.After(now)
	})
	if len(d.Grace) == 0 {
		d.Grace = nil
	}
	return nil
}
