package billing

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

// OpReminderFee prices the reminder fee a bill gets with its reminder
// letter. It is never charged to a prepaid balance.
const OpReminderFee registry.ChargeOp = "reminder-fee"

// Built-in prices, in öre, for TLDs and operations the configuration gives
// no price for: create, renew and transfer SEK 100.00 a year, restore
// SEK 500.00, the reminder fee SEK 25.00.
var builtinPrices = map[registry.ChargeOp]int64{
	registry.ChargeCreate:   100_00,
	registry.ChargeRenew:    100_00,
	registry.ChargeTransfer: 100_00,
	registry.ChargeRestore:  500_00,
	OpReminderFee:           25_00,
}

// perYear reports whether op's price is per year of registration.
func perYear(op registry.ChargeOp) bool {
	return op == registry.ChargeCreate || op == registry.ChargeRenew || op == registry.ChargeTransfer
}

// priceOp is the operation whose price op pays: an automatic renewal costs
// what a renewal does.
func priceOp(op registry.ChargeOp) registry.ChargeOp {
	if op == registry.ChargeAutoRenew {
		return registry.ChargeRenew
	}
	return op
}

// PriceConfig is the "prices" section of the policy file:
//
//	"prices": {
//	  "currency": "SEK",
//	  "defaults": {"create": "100", "renew": "100", "transfer": "100",
//	               "restore": "500", "reminderFee": "25"},
//	  "tlds": {
//	    "se": [
//	      {"from": "2026-01-01", "create": "95", "renew": "95"},
//	      {"from": "2027-01-01", "renew": "SEK 110.00"}
//	    ]
//	  }
//	}
//
// Every part may be left out. Amounts are written as ParseMoney reads them,
// in Currency (default SEK) unless they name another. Create, renew and
// transfer prices are per year.
type PriceConfig struct {
	// Currency is the currency of amounts that name none.
	Currency string `json:"currency,omitempty"`
	// Defaults are the prices of TLDs without a price of their own;
	// operations left out keep the built-in prices.
	Defaults PriceSet `json:"defaults"`
	// TLDs are price changes per TLD: from its day on (00:00 UTC), each
	// operation named costs its new price; the others keep theirs. Before
	// a TLD's first change for an operation, the default applies.
	TLDs map[string][]PriceChange `json:"tlds,omitempty"`
}

// PriceSet holds a price for each operation; "" leaves one unset.
type PriceSet struct {
	Create      string `json:"create,omitempty"`
	Renew       string `json:"renew,omitempty"`
	Transfer    string `json:"transfer,omitempty"`
	Restore     string `json:"restore,omitempty"`
	ReminderFee string `json:"reminderFee,omitempty"`
}

func (s PriceSet) byOp() map[registry.ChargeOp]string {
	return map[registry.ChargeOp]string{
		registry.ChargeCreate:   s.Create,
		registry.ChargeRenew:    s.Renew,
		registry.ChargeTransfer: s.Transfer,
		registry.ChargeRestore:  s.Restore,
		OpReminderFee:           s.ReminderFee,
	}
}

// PriceChange is a TLD's new prices from a day on.
type PriceChange struct {
	// From is the first day, as 2006-01-02, from 00:00 UTC.
	From string `json:"from"`
	PriceSet
}

// Prices is the registry's price list. It is immutable and safe for
// concurrent use.
type Prices struct {
	currency string
	defaults map[registry.ChargeOp]Money
	// tlds holds, per TLD and operation, the price changes in time order.
	tlds map[string]map[registry.ChargeOp][]pricePoint
}

type pricePoint struct {
	from  time.Time
	price Money
}

// DefaultPrices is the price list with nothing configured: the built-in
// prices, in SEK.
func DefaultPrices() *Prices {
	p, err := NewPrices(PriceConfig{})
	if err != nil {
		panic(err) // the built-in prices are valid
	}
	return p
}

// NewPrices checks cfg and builds the price list.
func NewPrices(cfg PriceConfig) (*Prices, error) {
	cur := strings.ToUpper(strings.TrimSpace(cfg.Currency))
	if cur == "" {
		cur = DefaultCurrency
	}
	if !ValidCurrency(cur) {
		return nil, fmt.Errorf("prices: currency %q is not a currency code (three letters, such as SEK)", cfg.Currency)
	}
	p := &Prices{currency: cur, defaults: map[registry.ChargeOp]Money{}, tlds: map[string]map[registry.ChargeOp][]pricePoint{}}
	for op, minor := range builtinPrices {
		p.defaults[op] = Money{Minor: minor, Currency: cur}
	}
	for op, s := range cfg.Defaults.byOp() {
		if s == "" {
			continue
		}
		m, err := parsePrice(s, cur)
		if err != nil {
			return nil, fmt.Errorf("prices: default %s: %w", op, err)
		}
		p.defaults[op] = m
	}
	for name, changes := range cfg.TLDs {
		tld := normalizeTLD(name)
		if tld == "" {
			return nil, fmt.Errorf("prices: TLD %q: empty name", name)
		}
		if _, dup := p.tlds[tld]; dup {
			return nil, fmt.Errorf("prices: TLD %q is listed twice", tld)
		}
		ops := map[registry.ChargeOp][]pricePoint{}
		days := map[time.Time]bool{}
		for i, c := range changes {
			from, err := time.Parse(time.DateOnly, strings.TrimSpace(c.From))
			if err != nil {
				return nil, fmt.Errorf("prices: TLD %q, change %d: from %q: want a date as 2026-01-31", tld, i+1, c.From)
			}
			if days[from] {
				return nil, fmt.Errorf("prices: TLD %q: two changes from %s", tld, c.From)
			}
			days[from] = true
			named := false
			for op, s := range c.byOp() {
				if s == "" {
					continue
				}
				m, err := parsePrice(s, cur)
				if err != nil {
					return nil, fmt.Errorf("prices: TLD %q, change from %s: %s: %w", tld, c.From, op, err)
				}
				ops[op] = append(ops[op], pricePoint{from: from, price: m})
				named = true
			}
			if !named {
				return nil, fmt.Errorf("prices: TLD %q, change from %s names no price", tld, c.From)
			}
		}
		for op := range ops {
			slices.SortFunc(ops[op], func(a, b pricePoint) int { return a.from.Compare(b.from) })
		}
		p.tlds[tld] = ops
	}
	return p, nil
}

// parsePrice reads a price: an amount that is not negative.
func parsePrice(s, currency string) (Money, error) {
	m, err := ParseMoney(s, currency)
	if err != nil {
		return Money{}, err
	}
	if m.Minor < 0 {
		return Money{}, fmt.Errorf("price %s is negative", m)
	}
	return m, nil
}

func normalizeTLD(tld string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(tld), "."))
}

// Currency is the currency of the price list's amounts that name none.
func (p *Prices) Currency() string { return p.currency }

// Price returns what op costs on tld at the time at: for create, renew and
// transfer the price of one year. An automatic renewal costs what a renewal
// does.
func (p *Prices) Price(tld string, op registry.ChargeOp, at time.Time) (Money, error) {
	op = priceOp(op)
	def, ok := p.defaults[op]
	if !ok {
		return Money{}, fmt.Errorf("no price for operation %q", op)
	}
	points := p.tlds[normalizeTLD(tld)][op]
	// The last change at or before at.
	i := sort.Search(len(points), func(i int) bool { return points[i].from.After(at) })
	if i == 0 {
		return def, nil
	}
	return points[i-1].price, nil
}

// Amount returns what c costs: the price in force at c.At, times c.Years
// (at least one) for create, renew and transfer. c.TLD defaults to the last
// label of c.Domain.
func (p *Prices) Amount(c registry.Charge) (Money, error) {
	tld := c.TLD
	if tld == "" {
		tld = c.Domain[strings.LastIndexByte(c.Domain, '.')+1:]
	}
	price, err := p.Price(tld, c.Op, c.At)
	if err != nil {
		return Money{}, err
	}
	if !perYear(priceOp(c.Op)) {
		return price, nil
	}
	if c.Years < 0 {
		return Money{}, fmt.Errorf("%s of %s for %d years", c.Op, c.Domain, c.Years)
	}
	return price.Times(max(c.Years, 1))
}
