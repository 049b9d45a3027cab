package registry

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IdentityKind says which national scheme an identity number follows.
type IdentityKind string

// Identity kinds.
const (
	// IdentitySEPersonal is a Swedish personnummer or samordningsnummer
	// (coordination number).
	IdentitySEPersonal IdentityKind = "se-personal"
	// IdentitySEOrg is a Swedish organisationsnummer.
	IdentitySEOrg IdentityKind = "se-org"
	// IdentityDKCVR is a Danish CVR number.
	IdentityDKCVR IdentityKind = "dk-cvr"
	// IdentityForeign is any other country's personal or corporate
	// identifier, which the registry stores without checking its scheme.
	IdentityForeign IdentityKind = "foreign"
)

// Identity is the personal identity number or corporate registration
// number a customer account is tied to. Build one with ParseIdentity: the
// fields then hold the normalised form.
type Identity struct {
	Kind IdentityKind
	// Number is the normalised number: YYYYMMDDNNNN for se-personal (a
	// samordningsnummer keeps its day plus 60), NNNNNN-NNNN for se-org, 8
	// digits for dk-cvr, and for foreign the identifier upper-cased without
	// spaces, dashes and dots.
	Number string
	// Country is the ISO 3166-1 alpha-2 code of the issuing country: SE or
	// DK for the national kinds.
	Country string
}

// identityClock tells ParseIdentity today's date, which resolves the
// century of a 10-digit personnummer. Tests replace it.
var identityClock Clock = SystemClock{}

// ParseIdentity validates an identity number of the given kind, written in
// any of the forms people use, and returns it normalised. country is the
// issuing country's ISO 3166-1 alpha-2 code: required for foreign numbers,
// and for the national kinds either empty or that nation's code. Errors are
// KindInvalid with a reason that says what is wrong.
func ParseIdentity(kind IdentityKind, number, country string) (Identity, error) {
	return ParseIdentityAt(kind, number, country, identityClock.Now())
}

// ParseIdentityAt is ParseIdentity with today's date given: the century of
// a personnummer written with two year digits depends on it, and no date
// of birth may lie after it.
func ParseIdentityAt(kind IdentityKind, number, country string, today time.Time) (Identity, error) {
	number = strings.TrimSpace(number)
	country = strings.ToUpper(strings.TrimSpace(country))
	switch kind {
	case IdentitySEPersonal:
		if err := nationalCountry(kind, country, "SE"); err != nil {
			return Identity{}, err
		}
		n, err := parsePersonnummer(number, today)
		return Identity{Kind: kind, Number: n, Country: "SE"}, err
	case IdentitySEOrg:
		if err := nationalCountry(kind, country, "SE"); err != nil {
			return Identity{}, err
		}
		n, err := parseOrganisationsnummer(number)
		return Identity{Kind: kind, Number: n, Country: "SE"}, err
	case IdentityDKCVR:
		if err := nationalCountry(kind, country, "DK"); err != nil {
			return Identity{}, err
		}
		n, err := parseCVR(number)
		return Identity{Kind: kind, Number: n, Country: "DK"}, err
	case IdentityForeign:
		n, err := parseForeignIdentity(number, country)
		if err != nil {
			return Identity{}, err
		}
		return Identity{Kind: kind, Number: n, Country: country}, nil
	case "":
		return Identity{}, Errorf(KindInvalid, "the kind of identity number is missing: one of %s", identityKindList)
	default:
		return Identity{}, Errorf(KindInvalid, "unknown kind of identity number %q: one of %s", kind, identityKindList)
	}
}

const identityKindList = "se-personal, se-org, dk-cvr or foreign"

// Key returns a canonical key for comparing identities: two numbers of the
// same person or organisation, however they were written, have the same
// key. A sole trader's personnummer and the same digits as an
// organisationsnummer have different keys. The zero Identity's key is "".
func (id Identity) Key() string {
	switch id.Kind {
	case "":
		return ""
	case IdentitySEOrg:
		return string(id.Kind) + ":" + strings.Replace(id.Number, "-", "", 1)
	case IdentityForeign:
		return string(id.Kind) + ":" + id.Country + ":" + id.Number
	default:
		return string(id.Kind) + ":" + id.Number
	}
}

// String returns the identity for people to read: its kind, and the number
// in its usual written form ("se-personal 19121212-1212", "se-org
// 556036-0793", "dk-cvr 10403782", "foreign DE X1234567").
func (id Identity) String() string {
	switch id.Kind {
	case "":
		return ""
	case IdentitySEPersonal:
		if len(id.Number) == 12 {
			return string(id.Kind) + " " + id.Number[:8] + "-" + id.Number[8:]
		}
	case IdentityForeign:
		return string(id.Kind) + " " + id.Country + " " + id.Number
	}
	return string(id.Kind) + " " + id.Number
}

// nationalCountry checks the country given with a national kind of number.
func nationalCountry(kind IdentityKind, country, want string) error {
	if country != "" && country != want {
		return Errorf(KindInvalid, "a %s number is issued in %s, not %q", kind, want, country)
	}
	return nil
}

// parsePersonnummer validates a Swedish personnummer or samordningsnummer
// and returns it as YYYYMMDDNNNN.
//
// The 10-digit form's separator carries the century: "-" until the year
// the person turns 100, "+" from that year on (Folkbokföringslagen 18 §).
// Without a separator the number is read as if written with "-".
func parsePersonnummer(s string, today time.Time) (string, error) {
	const forms = "YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN or YYMMDDNNNN"
	var century int // -1: resolve from the separator and today
	var date, serial string
	sep := byte('-')
	switch {
	case len(s) == 13 && (s[8] == '-' || s[8] == '+') && allDigits(s[:8]) && allDigits(s[9:]):
		if s[8] == '+' {
			return "", Errorf(KindInvalid, "personal identity number %q: the '+' separator belongs only to the 10-digit form YYMMDD+NNNN; with a four-digit year write YYYYMMDD-NNNN", s)
		}
		century, date, serial = atoi(s[:2]), s[2:8], s[9:]
	case len(s) == 12 && allDigits(s):
		century, date, serial = atoi(s[:2]), s[2:8], s[8:]
	case len(s) == 11 && (s[6] == '-' || s[6] == '+') && allDigits(s[:6]) && allDigits(s[7:]):
		century, date, serial, sep = -1, s[:6], s[7:], s[6]
	case len(s) == 10 && allDigits(s):
		century, date, serial = -1, s[:6], s[6:]
	default:
		return "", Errorf(KindInvalid, "%q is not a Swedish personal identity number: write it as %s", s, forms)
	}
	switch {
	case century == 16:
		return "", Errorf(KindInvalid, "%q is not a personal identity number: 16 starts a 12-digit organisation number (kind se-org)", s)
	case century >= 0 && (century < 18 || century > 20):
		return "", Errorf(KindInvalid, "personal identity number %q: %s is not a year of birth", s, s[:4])
	}
	yy, mm, dd := atoi(date[:2]), atoi(date[2:4]), atoi(date[4:6])
	ty, tm, td := today.Date()
	year := century*100 + yy
	if century < 0 {
		// The latest year ending in yy in which the person turns less than
		// 100 ("-"), or at least 100 ("+").
		latest := ty
		if sep == '+' {
			latest -= 100
		}
		year = latest - ((latest-yy)%100+100)%100
	}
	day, coordination := dd, dd > 60
	if coordination {
		day -= 60
	}
	what := "personal identity number"
	if coordination {
		what = "coordination number (samordningsnummer)"
	}
	if !dateExists(year, mm, day) {
		return "", Errorf(KindInvalid, "%s %q: %04d-%02d-%02d is not a date", what, s, year, mm, day)
	}
	if y, m, d := year, time.Month(mm), day; y > ty || y == ty && (m > tm || m == tm && d > td) {
		if century < 0 && sep == '-' {
			return "", Errorf(KindInvalid, "%s %q: the date of birth %04d-%02d-%02d is in the future (for someone born in %d, write '+' in place of '-')", what, s, y, m, d, y-100)
		}
		return "", Errorf(KindInvalid, "%s %q: the date of birth %04d-%02d-%02d is in the future", what, s, y, m, d)
	}
	if !luhnValid(date + serial) {
		return "", Errorf(KindInvalid, "%s %q: the check digit (the last digit) is wrong", what, s)
	}
	return fmt.Sprintf("%04d%s%s", year, date[2:], serial), nil
}

// parseOrganisationsnummer validates a Swedish organisationsnummer and
// returns it as NNNNNN-NNNN.
func parseOrganisationsnummer(s string) (string, error) {
	const forms = "NNNNNN-NNNN, NNNNNNNNNN, 16NNNNNN-NNNN or 16NNNNNNNNNN"
	var n string
	switch {
	case len(s) == 11 && s[6] == '-' && allDigits(s[:6]) && allDigits(s[7:]):
		n = s[:6] + s[7:]
	case len(s) == 10 && allDigits(s):
		n = s
	case len(s) == 13 && s[8] == '-' && allDigits(s[:8]) && allDigits(s[9:]):
		n = s[:8] + s[9:]
	case len(s) == 12 && allDigits(s):
		n = s
	default:
		return "", Errorf(KindInvalid, "%q is not a Swedish organisation number: write it as %s", s, forms)
	}
	if len(n) == 12 {
		if n[:2] != "16" {
			return "", Errorf(KindInvalid, "organisation number %q: a 12-digit organisation number starts with 16 (one starting with 19 or 20 is a personal identity number, kind se-personal)", s)
		}
		n = n[2:]
	}
	if n[2] < '2' {
		return "", Errorf(KindInvalid, "organisation number %q: the third digit must be 2 or more (a number whose month part is below 20 is a personal identity number; a sole trader's organisation number is the owner's personnummer, kind se-personal)", s)
	}
	if !luhnValid(n) {
		return "", Errorf(KindInvalid, "organisation number %q: the check digit (the last digit) is wrong", s)
	}
	return n[:6] + "-" + n[6:], nil
}

// parseCVR validates a Danish CVR number and returns its 8 digits.
func parseCVR(s string) (string, error) {
	n := strings.ReplaceAll(s, " ", "")
	if len(n) >= 2 && strings.EqualFold(n[:2], "DK") {
		n = n[2:]
	}
	if len(n) != 8 || !allDigits(n) {
		return "", Errorf(KindInvalid, "%q is not a Danish CVR number: write its 8 digits, optionally after DK", s)
	}
	if n[0] == '0' {
		return "", Errorf(KindInvalid, "CVR number %q: the first digit cannot be 0", s)
	}
	// Modulus 11 with weights 2, 7, 6, 5, 4, 3, 2, 1: the weighted sum,
	// check digit included, is a multiple of 11.
	sum := 0
	for i, w := range [8]int{2, 7, 6, 5, 4, 3, 2, 1} {
		sum += int(n[i]-'0') * w
	}
	if sum%11 != 0 {
		return "", Errorf(KindInvalid, "CVR number %q: the check digit (the last digit) is wrong", s)
	}
	return n, nil
}

// maxForeignIdentity is the longest foreign identifier accepted, in
// characters as written.
const maxForeignIdentity = 64

// parseForeignIdentity validates another country's identifier and returns
// it upper-cased without spaces, dashes and dots. country is already
// upper-case.
func parseForeignIdentity(s, country string) (string, error) {
	switch {
	case country == "":
		return "", Errorf(KindInvalid, "a foreign identity number needs the ISO 3166-1 alpha-2 code of the country that issued it")
	case country == "SE":
		return "", Errorf(KindInvalid, "a Swedish number is not foreign: use kind se-personal or se-org")
	case country == "DK":
		return "", Errorf(KindInvalid, "a Danish number is not foreign: use kind dk-cvr")
	case !IsCountryCode(country):
		return "", Errorf(KindInvalid, "%q is not an ISO 3166-1 alpha-2 country code", country)
	}
	if !utf8.ValidString(s) {
		return "", Errorf(KindInvalid, "the foreign identity number is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxForeignIdentity {
		return "", Errorf(KindInvalid, "the foreign identity number is %d characters long; at most %d are accepted", n, maxForeignIdentity)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", Errorf(KindInvalid, "the foreign identity number %q contains a character that cannot be printed (%U)", s, r)
		}
	}
	n := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.ToUpper(s))
	if n == "" {
		return "", Errorf(KindInvalid, "the foreign identity number is empty")
	}
	return n, nil
}

// luhnValid reports whether the digits in s pass the Luhn (modulus 10)
// check with weights 2, 1, 2, 1, ... from the left, the check digit last,
// as an even-length Swedish number is checked.
func luhnValid(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[i] - '0')
		if (len(s)-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi converts a string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// dateExists reports whether year-month-day is a date of the Gregorian
// calendar.
func dateExists(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC)
	return t.Day() == day && int(t.Month()) == month
}
