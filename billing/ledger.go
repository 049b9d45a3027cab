package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

// Entry is one row of a reseller's prepaid ledger.
type Entry = registry.LedgerEntry

// Config says how a Ledger charges.
type Config struct {
	// Prices is the price list; nil for DefaultPrices.
	Prices *Prices
	// LowBalance are the thresholds at which a reseller is warned: when a
	// charge takes its balance from above one to at or below it, the
	// reseller gets a poll message (registry.PollLowBalance). None by
	// default; SEK 1000.00 and SEK 100.00, say, warn twice on the way
	// down. A threshold applies to balances in its currency.
	LowBalance []Money
}

// Ledger keeps resellers' prepaid balances: the registry charges
// operations to them (it implements registry.Charger), the operator tops
// them up and adjusts them. Every change is an entry appended to the
// reseller's ledger, written with the new balance in one transaction that
// holds the balance locked; the database refuses anything else (see
// registry.LedgerTx).
//
// A balance never goes below zero: there is no credit. It is kept in one
// currency, that of its first entry.
type Ledger struct {
	store  registry.Store
	clock  registry.Clock
	prices *Prices
	// lowBalance are the thresholds, highest first.
	lowBalance []Money
}

var _ registry.Charger = (*Ledger)(nil)

// NewLedger returns a ledger over store, taking time from clock.
func NewLedger(store registry.Store, clock registry.Clock, cfg Config) (*Ledger, error) {
	l := &Ledger{store: store, clock: clock, prices: cfg.Prices}
	if l.prices == nil {
		l.prices = DefaultPrices()
	}
	for _, t := range cfg.LowBalance {
		if t.Minor <= 0 || !ValidCurrency(t.Currency) {
			return nil, fmt.Errorf("low-balance threshold %s: want a positive amount in a currency", t)
		}
		if slices.Contains(l.lowBalance, t) {
			return nil, fmt.Errorf("low-balance threshold %s is given twice", t)
		}
		l.lowBalance = append(l.lowBalance, t)
	}
	slices.SortStableFunc(l.lowBalance, func(a, b Money) int { return cmp.Compare(b.Minor, a.Minor) })
	return l, nil
}

// Prices returns the ledger's price list.
func (l *Ledger) Prices() *Prices { return l.prices }

// errRegistryBalance refuses a balance for the registry's own entry:
// registrant-managed domains, which it sponsors, are billed, not charged.
var errRegistryBalance = registry.Errorf(registry.KindInvalid,
	"the registry's own entry has no prepaid balance: registrant-managed domains are billed, not charged")

// describe names what c pays for, as "renew of x.se for 2 years".
func describe(c registry.Charge) string {
	s := string(c.Op) + " of " + c.Domain
	if c.Years > 1 {
		s += fmt.Sprintf(" for %d years", c.Years)
	}
	return s
}

// Charge debits the reseller c.ResellerClID for c, at the price in force at
// c.At (the clock's time when zero), in tx. When the balance cannot cover
// it, it is KindBilling (EPP 2104) with the balance and the price, and
// nothing is written. A charge that takes the balance to or below a
// low-balance threshold queues a poll message for the reseller.
func (l *Ledger) Charge(ctx context.Context, tx registry.Tx, c registry.Charge) error {
	if c.ResellerClID == registry.RegistryClID {
		return errRegistryBalance
	}
	if c.ResellerClID == "" || c.Domain == "" || c.Op == "" {
		return fmt.Errorf("charge %+v: reseller, domain and operation are required", c)
	}
	if c.At.IsZero() {
		c.At = l.clock.Now()
	}
	price, err := l.prices.Amount(c)
	if err != nil {
		return fmt.Errorf("charge %s: %w", describe(c), err)
	}
	b, err := tx.LockBalance(ctx, c.ResellerClID)
	if err != nil {
		// An unknown reseller is the caller's bug, not the client's
		// "object does not exist": drop the kind.
		return fmt.Errorf("charge %s to %q: %v", describe(c), c.ResellerClID, err)
	}
	cur := b.Currency
	if cur == "" {
		cur = price.Currency
	}
	balance := Money{Minor: b.Minor, Currency: cur}
	if price.Currency != cur {
		return registry.Errorf(registry.KindBilling,
			"%s costs %s, but your balance is kept in %s and cannot pay in another currency", describe(c), price, cur)
	}
	if balance.Minor < price.Minor {
		return registry.Errorf(registry.KindBilling, "balance %s does not cover %s (%s)", balance, describe(c), price)
	}
	e := &Entry{
		ResellerClID: c.ResellerClID, At: c.At, Kind: registry.LedgerCharge,
		Op: c.Op, Domain: c.Domain, Years: c.Years,
		Currency: cur, Amount: -price.Minor, BalanceAfter: balance.Minor - price.Minor,
		ClTRID: c.ClTRID, SvTRID: c.SvTRID,
	}
	if err := l.append(ctx, tx, e); err != nil {
		return err
	}
	return l.warnLowBalance(ctx, tx, c.ResellerClID, balance, Money{Minor: e.BalanceAfter, Currency: cur})
}

// append writes e and sets the balance to its BalanceAfter: the only way a
// balance changes. The balance must be locked in tx.
func (l *Ledger) append(ctx context.Context, tx registry.Tx, e *Entry) error {
	if err := tx.AppendLedgerEntry(ctx, e); err != nil {
		return err
	}
	return tx.SetBalance(ctx, e.ResellerClID, e.Currency, e.BalanceAfter)
}

// warnLowBalance queues a low-balance poll message when the change from
// before to after crossed a threshold: one message, for the lowest
// threshold crossed.
func (l *Ledger) warnLowBalance(ctx context.Context, tx registry.Tx, clID string, before, after Money) error {
	var crossed *Money
	for i, t := range l.lowBalance {
		if t.Currency == after.Currency && before.Minor > t.Minor && after.Minor <= t.Minor {
			crossed = &l.lowBalance[i]
		}
	}
	if crossed == nil {
		return nil
	}
	name := clID
	if r, err := tx.Reseller(ctx, clID); err != nil {
		return err
	} else if strings.TrimSpace(r.Name) != "" {
		name = r.Name
	}
	data, err := json.Marshal(registry.LowBalanceNotice{
		ResellerName: name, Currency: after.Currency, Threshold: crossed.Minor, Balance: after.Minor,
	})
	if err != nil {
		return err
	}
	return tx.EnqueueMessage(ctx, &registry.PollMessage{
		RecipientID: clID,
		QueuedAt:    l.clock.Now(),
		Msg:         fmt.Sprintf("Low balance: your prepaid balance is %s, at or below the threshold of %s", after, *crossed),
		Kind:        registry.PollLowBalance,
		Data:        data,
	})
}

// Refund credits back, in tx, every charge for c.Op on c.Domain made at or
// after since that is not refunded yet: those of c.ResellerClID, or of any
// reseller when it is "". Each refund is an entry of its own naming the
// charge, at c.At (the clock's time when zero) with c's transaction
// identifiers. Nothing to refund is no error, so a second call does
// nothing.
func (l *Ledger) Refund(ctx context.Context, tx registry.Tx, c registry.Charge, since time.Time) error {
	if c.Domain == "" || c.Op == "" {
		return fmt.Errorf("refund %+v: domain and operation are required", c)
	}
	if c.At.IsZero() {
		c.At = l.clock.Now()
	}
	clIDs := []string{c.ResellerClID}
	if c.ResellerClID == "" {
		charges, err := tx.ChargesToRefund(ctx, "", c.Domain, c.Op, since)
		if err != nil {
			return err
		}
		clIDs = nil
		for _, ch := range charges {
			clIDs = append(clIDs, ch.ResellerClID)
		}
		// Lock balances in one order, so that two refunds cannot
		// deadlock.
		slices.Sort(clIDs)
		clIDs = slices.Compact(clIDs)
	}
	for _, clID := range clIDs {
		b, err := tx.LockBalance(ctx, clID)
		if err != nil {
			return fmt.Errorf("refund %s to %q: %v", describe(c), clID, err)
		}
		// Read under the lock: a refund made meanwhile is seen.
		charges, err := tx.ChargesToRefund(ctx, clID, c.Domain, c.Op, since)
		if err != nil {
			return err
		}
		minor := b.Minor
		for _, ch := range charges {
			after, err := Money{Minor: minor, Currency: ch.Currency}.Add(Money{Minor: -ch.Amount, Currency: ch.Currency})
			if err != nil {
				return err
			}
			e := &Entry{
				ResellerClID: clID, At: c.At, Kind: registry.LedgerRefund,
				Op: ch.Op, Domain: ch.Domain, Years: ch.Years,
				Currency: ch.Currency, Amount: -ch.Amount, BalanceAfter: after.Minor,
				ClTRID: c.ClTRID, SvTRID: c.SvTRID, RefundsEntryID: ch.ID,
			}
			if err := l.append(ctx, tx, e); err != nil {
				return err
			}
			minor = after.Minor
		}
	}
	return nil
}

// operatorState is what a top-up's or adjustment's history entry on the
// reseller records.
type operatorState struct {
	Entry     int64  `json:"entry"`
	Amount    string `json:"amount"`
	Balance   string `json:"balance"`
	Reference string `json:"reference"`
}

// TopUp credits money the reseller clID paid in, with its payment
// reference, and records it in the reseller's history. The first entry of
// a balance fixes its currency; later top-ups must be in it.
func (l *Ledger) TopUp(ctx context.Context, a registry.Actor, clID string, amount Money, reference string) (*Entry, error) {
	if amount.Minor <= 0 {
		return nil, registry.Errorf(registry.KindInvalid, "a top-up must be a positive amount, not %s", amount)
	}
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return nil, registry.Errorf(registry.KindMissing, "a top-up needs the payment's reference")
	}
	return l.operatorEntry(ctx, a, clID, registry.LedgerTopUp, "topup", amount, reference)
}

// Adjust corrects the reseller clID's balance by amount, positive or
// negative, for the reason given, and records it in the reseller's
// history. It cannot take the balance below zero (KindBilling).
func (l *Ledger) Adjust(ctx context.Context, a registry.Actor, clID string, amount Money, reason string) (*Entry, error) {
	if amount.Minor == 0 {
		return nil, registry.Errorf(registry.KindInvalid, "an adjustment of zero changes nothing")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, registry.Errorf(registry.KindMissing, "an adjustment needs a reason")
	}
	return l.operatorEntry(ctx, a, clID, registry.LedgerAdjustment, "adjust", amount, reason)
}

func (l *Ledger) operatorEntry(ctx context.Context, a registry.Actor, clID string, kind registry.LedgerKind, action string, amount Money, reference string) (*Entry, error) {
	if clID == registry.RegistryClID {
		return nil, errRegistryBalance
	}
	if !ValidCurrency(amount.Currency) {
		return nil, registry.Errorf(registry.KindInvalid, "%q is not a currency code", amount.Currency)
	}
	var e *Entry
	err := l.store.Tx(ctx, func(tx registry.Tx) error {
		now := l.clock.Now()
		b, err := tx.LockBalance(ctx, clID)
		if err != nil {
			return err
		}
		cur := b.Currency
		if cur == "" {
			cur = amount.Currency
		}
		if amount.Currency != cur {
			return registry.Errorf(registry.KindInvalid,
				"the balance of %q is kept in %s; give the amount in %s, not %s", clID, cur, cur, amount.Currency)
		}
		balance := Money{Minor: b.Minor, Currency: cur}
		after, err := balance.Add(amount)
		if err != nil {
			return registry.Errorf(registry.KindRange, "%v", err)
		}
		if after.Minor < 0 {
			return registry.Errorf(registry.KindBilling,
				"balance %s cannot be lowered by %s: a balance never goes below zero", balance, amount.Neg())
		}
		e = &Entry{
			ResellerClID: clID, At: now, Kind: kind, Currency: cur,
			Amount: amount.Minor, BalanceAfter: after.Minor, Reference: reference,
			ClTRID: a.ClTRID, SvTRID: a.SvTRID,
		}
		if err := l.append(ctx, tx, e); err != nil {
			return err
		}
		state, err := json.Marshal(operatorState{Entry: e.ID, Amount: amount.String(), Balance: after.String(), Reference: reference})
		if err != nil {
			return err
		}
		return tx.AppendHistory(ctx, &registry.HistoryEntry{
			At: now, ObjectType: registry.HistoryReseller, ObjectKey: clID, Action: action,
			Actor: a.Name, SessionID: a.SessionID, ClTRID: a.ClTRID, SvTRID: a.SvTRID, State: state,
		})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Balance returns the reseller's balance; one that has never had an entry
// is zero in the price list's currency.
func (l *Ledger) Balance(ctx context.Context, clID string) (Money, error) {
	var m Money
	err := l.store.Tx(ctx, func(tx registry.Tx) error {
		b, err := tx.Balance(ctx, clID)
		if err != nil {
			return err
		}
		m = l.money(b)
		return nil
	})
	return m, err
}

func (l *Ledger) money(b *registry.Balance) Money {
	if b.Currency == "" {
		return Money{Currency: l.prices.Currency()}
	}
	return Money{Minor: b.Minor, Currency: b.Currency}
}

// Statement lists the reseller's ledger entries made at or after from and
// before to (a zero time leaves that end open), in the order written. The
// balance before the first is its BalanceAfter less its Amount.
func (l *Ledger) Statement(ctx context.Context, clID string, from, to time.Time) ([]Entry, error) {
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return nil, registry.Errorf(registry.KindInvalid, "a statement's end (%s) must come after its start (%s)",
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	var out []Entry
	err := l.store.Tx(ctx, func(tx registry.Tx) error {
		if _, err := tx.Reseller(ctx, clID); err != nil {
			return err
		}
		var err error
		out, err = tx.LedgerEntries(ctx, clID, from, to)
		return err
	})
	return out, err
}

// BalanceInfo is a reseller's financial standing, as EPP's balance
// extension shows it.
type BalanceInfo struct {
	Balance Money
	// CreditLimit is what the reseller may spend beyond its balance:
	// zero, balances are prepaid.
	CreditLimit Money
	// Available is what the reseller can spend: Balance plus CreditLimit.
	Available Money
	// Threshold is the highest low-balance threshold in the balance's
	// currency; zero when there is none.
	Threshold Money
}

// Info returns the reseller's balance, credit and low-balance threshold.
func (l *Ledger) Info(ctx context.Context, clID string) (*BalanceInfo, error) {
	b, err := l.Balance(ctx, clID)
	if err != nil {
		return nil, err
	}
	info := &BalanceInfo{
		Balance: b, CreditLimit: Money{Currency: b.Currency}, Available: b,
		Threshold: Money{Currency: b.Currency},
	}
	for _, t := range l.lowBalance {
		if t.Currency == b.Currency {
			info.Threshold = t
			break
		}
	}
	return info, nil
}
