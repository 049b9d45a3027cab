package billing

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultCurrency is the registry's currency when the configuration names
// none.
const DefaultCurrency = "SEK"

// Money is an amount in a currency's minor units (öre for SEK): integers
// only, never a float. Every currency is taken to have two decimals, as
// SEK, DKK, NOK and EUR do.
type Money struct {
	// Minor is the amount in minor units; negative for a debit.
	Minor int64
	// Currency is an ISO 4217 code, such as "SEK".
	Currency string
}

// SEK returns öre Swedish öre: SEK(2500) is SEK 25.00.
func SEK(öre int64) Money { return Money{Minor: öre, Currency: "SEK"} }

// String formats m as "SEK 25.00" ("SEK -25.00" when negative).
func (m Money) String() string {
	return m.Currency + " " + m.Decimal()
}

// Decimal formats the amount alone with two decimals, as "25.00" or
// "-1234.50": the form of EPP's decimal amounts.
func (m Money) Decimal() string {
	sign, v := "", uint64(m.Minor)
	if m.Minor < 0 {
		sign, v = "-", -v // two's complement: right for math.MinInt64 too
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// IsZero reports whether the amount is zero, whatever the currency.
func (m Money) IsZero() bool { return m.Minor == 0 }

// Neg returns -m.
func (m Money) Neg() Money { return Money{Minor: -m.Minor, Currency: m.Currency} }

// errOverflow is returned by arithmetic whose result does not fit: far
// beyond any real amount, so a sign of a bug or a malicious input.
var errOverflow = errors.New("amount out of range")

// Add returns m + o, both in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s: different currencies", o, m)
	}
	s := m.Minor + o.Minor
	if (o.Minor > 0 && s < m.Minor) || (o.Minor < 0 && s > m.Minor) {
		return Money{}, fmt.Errorf("%s + %s: %w", m, o, errOverflow)
	}
	return Money{Minor: s, Currency: m.Currency}, nil
}

// Times returns m multiplied by n.
func (m Money) Times(n int) (Money, error) {
	if n == 0 || m.Minor == 0 {
		return Money{Currency: m.Currency}, nil
	}
	p := m.Minor * int64(n)
	if p/int64(n) != m.Minor || (m.Minor == -1 && int64(n) == math.MinInt64) || (m.Minor == math.MinInt64 && n == -1) {
		return Money{}, fmt.Errorf("%s × %d: %w", m, n, errOverflow)
	}
	return Money{Minor: p, Currency: m.Currency}, nil
}

// ValidCurrency reports whether code looks like an ISO 4217 code: three
// capital letters.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, c := range code {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// maxMajor bounds the whole units ParseMoney accepts (a thousand billion),
// far below what would overflow.
const maxMajor = 1_000_000_000_000

// ParseMoney reads an amount as a person writes it: "25", "25.5", "25.50",
// "-100", "25,50" (a decimal comma), with an optional currency code before
// or after it ("SEK 25.50", "25.50 sek"). Without a code the amount is in
// currency (DefaultCurrency when ""). More than two decimals is an error,
// never rounded.
func ParseMoney(s, currency string) (Money, error) {
	if currency == "" {
		currency = DefaultCurrency
	}
	fields := strings.Fields(s)
	num := ""
	switch len(fields) {
	case 1:
		num = fields[0]
	case 2:
		code := ""
		switch {
		case isLetters(fields[0]):
			code, num = fields[0], fields[1]
		case isLetters(fields[1]):
			num, code = fields[0], fields[1]
		default:
			return Money{}, fmt.Errorf("amount %q: want a number, optionally with a currency code, as \"SEK 25.50\"", s)
		}
		currency = strings.ToUpper(code)
		if !ValidCurrency(currency) {
			return Money{}, fmt.Errorf("amount %q: %q is not a currency code (three letters, such as SEK)", s, code)
		}
	default:
		return Money{}, fmt.Errorf("amount %q: want a number, optionally with a currency code, as \"SEK 25.50\"", s)
	}
	neg := false
	switch {
	case strings.HasPrefix(num, "-"):
		neg, num = true, num[1:]
	case strings.HasPrefix(num, "+"):
		num = num[1:]
	}
	whole, frac, hasFrac := strings.Cut(strings.Replace(num, ",", ".", 1), ".")
	if whole == "" || !isDigits(whole) || (hasFrac && (frac == "" || len(frac) > 2 || !isDigits(frac))) {
		return Money{}, fmt.Errorf("amount %q: want a number with at most two decimals, as 25 or 25.50", s)
	}
	major, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || major > maxMajor {
		return Money{}, fmt.Errorf("amount %q: %w", s, errOverflow)
	}
	minor := major * 100
	if hasFrac {
		f, _ := strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
		minor += f
	}
	if neg {
		minor = -minor
	}
	return Money{Minor: minor, Currency: currency}, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isLetters(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return s != ""
}
