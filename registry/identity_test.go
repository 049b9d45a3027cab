package registry

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// identityToday is the reference date of the identity tests.
var identityToday = time.Date(2026, time.May, 14, 10, 0, 0, 0, time.UTC)

// refLuhn is an independent Luhn check, written from the textbook
// definition (double every second digit from the right, sum the digits of
// the products), to prove that the "valid" examples below really are.
func refLuhn(digits string) bool {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 1 {
			for _, c := range strconv.Itoa(2 * d) {
				sum += int(c - '0')
			}
		} else {
			sum += d
		}
	}
	return sum%10 == 0
}

// refMod11 is an independent CVR modulus-11 check.
func refMod11(digits string) bool {
	weights := []int{2, 7, 6, 5, 4, 3, 2, 1}
	sum := 0
	for i, w := range weights {
		sum += w * int(digits[i]-'0')
	}
	return sum%11 == 0
}

// checkDigitsOf strips a written number to the digits its check digit
// covers: the 10-digit form for Swedish numbers, 8 digits for CVR.
func checkDigitsOf(kind IdentityKind, number string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
	if kind == IdentityDKCVR {
		return d
	}
	if len(d) == 12 {
		return d[2:]
	}
	return d
}

func TestParseIdentity(t *testing.T) {
	tests := []struct {
		name    string
		kind    IdentityKind
		number  string
		country string
		// want is the normalised number; "" means invalid.
		want string
		// wantCountry is the normalised country of a valid identity.
		wantCountry string
		// errHas is a fragment of the reason of an invalid one.
		errHas string
		// badCheck marks an invalid example whose only fault is its check
		// digit: the reference check must fail on it too.
		badCheck bool
	}{
		// Swedish personnummer: 19121212-1212 is the classic example
		// (Tolvan Tolvansson); today is 2026-05-14.
		{name: "12-digit with dash", kind: IdentitySEPersonal, number: "19121212-1212", want: "191212121212", wantCountry: "SE"},
		{name: "12-digit", kind: IdentitySEPersonal, number: "191212121212", want: "191212121212", wantCountry: "SE"},
		{name: "10-digit plus: 100 or older", kind: IdentitySEPersonal, number: "121212+1212", want: "191212121212", wantCountry: "SE"},
		{name: "10-digit dash: under 100", kind: IdentitySEPersonal, number: "121212-1212", want: "201212121212", wantCountry: "SE"},
		{name: "10-digit without separator reads as dash", kind: IdentitySEPersonal, number: "1212121212", want: "201212121212", wantCountry: "SE"},
		{name: "1980s", kind: IdentitySEPersonal, number: "811228-9874", want: "198112289874", wantCountry: "SE"},
		{name: "1980s no separator", kind: IdentitySEPersonal, number: "8112289874", want: "198112289874", wantCountry: "SE"},
		{name: "1980s 12-digit", kind: IdentitySEPersonal, number: "19811228-9874", want: "198112289874", wantCountry: "SE"},
		{name: "surrounding spaces, country given", kind: IdentitySEPersonal, number: " 811228-9874 ", country: "se", want: "198112289874", wantCountry: "SE"},
		{name: "1940s", kind: IdentitySEPersonal, number: "460713-7454", want: "194607137454", wantCountry: "SE"},
		{name: "leap day 2000", kind: IdentitySEPersonal, number: "000229-1235", want: "200002291235", wantCountry: "SE"},
		{name: "leap day 2000, 12-digit", kind: IdentitySEPersonal, number: "200002291235", want: "200002291235", wantCountry: "SE"},
		{name: "born today", kind: IdentitySEPersonal, number: "260514-1239", want: "202605141239", wantCountry: "SE"},
		{name: "turns 100 this year: plus", kind: IdentitySEPersonal, number: "260101+1238", want: "192601011238", wantCountry: "SE"},
		{name: "turns 99 this year: dash", kind: IdentitySEPersonal, number: "270101-1237", want: "192701011237", wantCountry: "SE"},
		{name: "plus with a year not yet 100 ago goes back two centuries", kind: IdentitySEPersonal, number: "270101+1237", want: "182701011237", wantCountry: "SE"},
		{name: "plus for a birthday later this year, 100 years ago", kind: IdentitySEPersonal, number: "261231+1239", want: "192612311239", wantCountry: "SE"},
		{name: "samordningsnummer (Skatteverket's example)", kind: IdentitySEPersonal, number: "701063-2391", want: "197010632391", wantCountry: "SE"},
		{name: "samordningsnummer 12-digit", kind: IdentitySEPersonal, number: "197010632391", want: "197010632391", wantCountry: "SE"},
		{name: "samordningsnummer 31st", kind: IdentitySEPersonal, number: "700191-1234", want: "197001911234", wantCountry: "SE"},

		{name: "wrong check digit", kind: IdentitySEPersonal, number: "811228-9875", errHas: "check digit", badCheck: true},
		{name: "wrong check digit 12-digit", kind: IdentitySEPersonal, number: "19121212-1213", errHas: "check digit", badCheck: true},
		{name: "month 13", kind: IdentitySEPersonal, number: "811328-9873", errHas: "1981-13-28 is not a date"},
		{name: "30 February", kind: IdentitySEPersonal, number: "990230-1234", errHas: "1999-02-30 is not a date"},
		{name: "29 February 1900 (plus)", kind: IdentitySEPersonal, number: "000229+1235", errHas: "1900-02-29 is not a date"},
		{name: "29 February 2019", kind: IdentitySEPersonal, number: "190229-1234", errHas: "2019-02-29 is not a date"},
		{name: "samordningsnummer 32nd", kind: IdentitySEPersonal, number: "700192-1233", errHas: "1970-01-32 is not a date"},
		{name: "samordningsnummer day 0", kind: IdentitySEPersonal, number: "700160-1231", errHas: "1970-01-60 is not a date"},
		{name: "born later this year", kind: IdentitySEPersonal, number: "261231-1239", errHas: "in the future (for someone born in 1926, write '+'"},
		{name: "12-digit in the future", kind: IdentitySEPersonal, number: "20451224-0013", errHas: "in the future"},
		{name: "plus in 12-digit form", kind: IdentitySEPersonal, number: "19121212+1212", errHas: "'+' separator belongs only to the 10-digit form"},
		{name: "organisation number 12-digit", kind: IdentitySEPersonal, number: "165560360793", errHas: "organisation number"},
		{name: "implausible century", kind: IdentitySEPersonal, number: "001212121212", errHas: "not a year of birth"},
		{name: "too short", kind: IdentitySEPersonal, number: "8112289", errHas: "write it as"},
		{name: "letters", kind: IdentitySEPersonal, number: "81122A-9874", errHas: "write it as"},
		{name: "separator misplaced", kind: IdentitySEPersonal, number: "8112-289874", errHas: "write it as"},
		{name: "empty", kind: IdentitySEPersonal, number: "", errHas: "write it as"},
		{name: "Danish country", kind: IdentitySEPersonal, number: "811228-9874", country: "DK", errHas: "issued in SE"},

		// Swedish organisationsnummer.
		{name: "org with dash", kind: IdentitySEOrg, number: "556036-0793", want: "556036-0793", wantCountry: "SE"},
		{name: "org plain", kind: IdentitySEOrg, number: "5560360793", want: "556036-0793", wantCountry: "SE"},
		{name: "org with 16", kind: IdentitySEOrg, number: "165560360793", want: "556036-0793", wantCountry: "SE"},
		{name: "org with 16 and dash", kind: IdentitySEOrg, number: "16556036-0793", want: "556036-0793", wantCountry: "SE"},
		{name: "org aktiebolag", kind: IdentitySEOrg, number: "556703-7485", want: "556703-7485", wantCountry: "SE"},
		{name: "org state authority", kind: IdentitySEOrg, number: "202100-5448", want: "202100-5448", wantCountry: "SE"},
		{name: "org municipality", kind: IdentitySEOrg, number: "212000-0142", want: "212000-0142", wantCountry: "SE"},
		{name: "org third digit exactly 2", kind: IdentitySEOrg, number: "556012-5790", want: "556012-5790", wantCountry: "SE"},

		{name: "org wrong check digit", kind: IdentitySEOrg, number: "556036-0794", errHas: "check digit", badCheck: true},
		{name: "org wrong check digit with 16", kind: IdentitySEOrg, number: "165567037484", errHas: "check digit", badCheck: true},
		{name: "personnummer as org", kind: IdentitySEOrg, number: "811228-9874", errHas: "third digit must be 2 or more"},
		{name: "12-digit personnummer as org", kind: IdentitySEOrg, number: "198112289874", errHas: "starts with 16"},
		{name: "org with plus", kind: IdentitySEOrg, number: "556036+0793", errHas: "write it as"},
		{name: "org short", kind: IdentitySEOrg, number: "55603607", errHas: "write it as"},
		{name: "org foreign country", kind: IdentitySEOrg, number: "556036-0793", country: "NO", errHas: "issued in SE"},

		// Danish CVR.
		{name: "cvr", kind: IdentityDKCVR, number: "10403782", want: "10403782", wantCountry: "DK"},
		{name: "cvr with DK", kind: IdentityDKCVR, number: "DK25063783", want: "25063783", wantCountry: "DK"},
		{name: "cvr with dk and spaces", kind: IdentityDKCVR, number: "dk 13 58 56 28", country: "DK", want: "13585628", wantCountry: "DK"},
		{name: "cvr spaced", kind: IdentityDKCVR, number: "3595 4716", want: "35954716", wantCountry: "DK"},
		{name: "cvr 6", kind: IdentityDKCVR, number: "61126228", want: "61126228", wantCountry: "DK"},

		{name: "cvr wrong check digit", kind: IdentityDKCVR, number: "10403781", errHas: "check digit", badCheck: true},
		{name: "cvr sequential", kind: IdentityDKCVR, number: "12345678", errHas: "check digit", badCheck: true},
		{name: "cvr leading zero", kind: IdentityDKCVR, number: "01234560", errHas: "first digit cannot be 0"},
		{name: "cvr 7 digits", kind: IdentityDKCVR, number: "1040378", errHas: "8 digits"},
		{name: "cvr 9 digits", kind: IdentityDKCVR, number: "104037820", errHas: "8 digits"},
		{name: "cvr dash", kind: IdentityDKCVR, number: "DK-10403782", errHas: "8 digits"},
		{name: "cvr SE prefix", kind: IdentityDKCVR, number: "SE10403782", errHas: "8 digits"},
		{name: "cvr Swedish country", kind: IdentityDKCVR, number: "10403782", country: "SE", errHas: "issued in DK"},

		// Foreign identifiers.
		{name: "foreign", kind: IdentityForeign, number: "ab 12-34.56", country: "de", want: "AB123456", wantCountry: "DE"},
		{name: "foreign non-ASCII", kind: IdentityForeign, number: "müller-7", country: "AT", want: "MÜLLER7", wantCountry: "AT"},
		{name: "foreign 64 characters", kind: IdentityForeign, number: strings.Repeat("x", 64), country: "NO", want: strings.Repeat("X", 64), wantCountry: "NO"},

		{name: "foreign 65 characters", kind: IdentityForeign, number: strings.Repeat("x", 65), country: "NO", errHas: "at most 64"},
		{name: "foreign empty", kind: IdentityForeign, number: "", country: "NO", errHas: "empty"},
		{name: "foreign only separators", kind: IdentityForeign, number: " -. ", country: "NO", errHas: "empty"},
		{name: "foreign control character", kind: IdentityForeign, number: "AB\t12", country: "NO", errHas: "cannot be printed"},
		{name: "foreign without country", kind: IdentityForeign, number: "AB12", errHas: "needs the ISO 3166-1"},
		{name: "foreign unknown country", kind: IdentityForeign, number: "AB12", country: "XX", errHas: "not an ISO 3166-1"},
		{name: "foreign three-letter country", kind: IdentityForeign, number: "AB12", country: "DEU", errHas: "not an ISO 3166-1"},
		{name: "foreign Sweden", kind: IdentityForeign, number: "811228-9874", country: "SE", errHas: "se-personal or se-org"},
		{name: "foreign Denmark", kind: IdentityForeign, number: "10403782", country: "dk", errHas: "dk-cvr"},

		{name: "no kind", kind: "", number: "10403782", errHas: "kind of identity number is missing"},
		{name: "unknown kind", kind: "no-orgnr", number: "10403782", errHas: "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The examples' own check digits, checked independently of
			// the code under test.
			if tt.kind == IdentitySEPersonal || tt.kind == IdentitySEOrg || tt.kind == IdentityDKCVR {
				if d := checkDigitsOf(tt.kind, tt.number); len(d) == 10 || (tt.kind == IdentityDKCVR && len(d) == 8) {
					ref := refLuhn
					if tt.kind == IdentityDKCVR {
						ref = refMod11
					}
					if tt.want != "" && !ref(d) {
						t.Fatalf("test data: valid example %q fails the reference check", tt.number)
					}
					if tt.badCheck && ref(d) {
						t.Fatalf("test data: example %q passes the reference check", tt.number)
					}
				}
			}

			id, err := ParseIdentityAt(tt.kind, tt.number, tt.country, identityToday)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseIdentityAt(%q, %q, %q) = %+v, want an error", tt.kind, tt.number, tt.country, id)
				}
				if !IsKind(err, KindInvalid) {
					t.Errorf("error kind = %v, want %v", ErrorKind(err), KindInvalid)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("reason %q does not say %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIdentityAt(%q, %q, %q): %v", tt.kind, tt.number, tt.country, err)
			}
			want := Identity{Kind: tt.kind, Number: tt.want, Country: tt.wantCountry}
			if id != want {
				t.Errorf("got %+v, want %+v", id, want)
			}
			// Normalising is idempotent.
			again, err := ParseIdentityAt(id.Kind, id.Number, id.Country, identityToday)
			if err != nil || again != id {
				t.Errorf("reparsing %+v: got %+v, %v", id, again, err)
			}
		})
	}
}

func TestIdentityCenturyFollowsToday(t *testing.T) {
	// One 10-digit number, read in different years: the separator says how
	// old the person is in the year of reading.
	tests := []struct {
		number string
		today  time.Time
		want   string
	}{
		{"121212-1212", time.Date(2012, 12, 12, 0, 0, 0, 0, time.UTC), "201212121212"},
		{"121212-1212", time.Date(2111, 1, 1, 0, 0, 0, 0, time.UTC), "201212121212"},
		{"121212+1212", time.Date(2112, 1, 1, 0, 0, 0, 0, time.UTC), "201212121212"},
		{"121212-1212", time.Date(2112, 12, 12, 0, 0, 0, 0, time.UTC), "211212121212"},
		{"121212-1212", time.Date(2112, 12, 11, 0, 0, 0, 0, time.UTC), ""}, // 2112-12-12 not yet; 2012 would need '+'.
		{"121212+1212", time.Date(2111, 12, 31, 0, 0, 0, 0, time.UTC), "191212121212"},
		{"121212-1212", time.Date(2012, 12, 11, 0, 0, 0, 0, time.UTC), ""}, // not born yet
	}
	for _, tt := range tests {
		id, err := ParseIdentityAt(IdentitySEPersonal, tt.number, "", tt.today)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s on %s: got %q, want an error", tt.number, tt.today.Format(time.DateOnly), id.Number)
		case tt.want != "" && (err != nil || id.Number != tt.want):
			t.Errorf("%s on %s: got %q, %v; want %q", tt.number, tt.today.Format(time.DateOnly), id.Number, err, tt.want)
		}
	}
}

func TestParseIdentityUsesIdentityClock(t *testing.T) {
	saved := identityClock
	t.Cleanup(func() { identityClock = saved })
	for _, tc := range []struct {
		year int
		want string
	}{{2026, "192701011237"}, {2126, "202701011237"}} {
		identityClock = ClockFunc(func() time.Time { return time.Date(tc.year, 6, 1, 0, 0, 0, 0, time.UTC) })
		id, err := ParseIdentity(IdentitySEPersonal, "270101-1237", "")
		if err != nil || id.Number != tc.want {
			t.Errorf("in %d: got %q, %v; want %q", tc.year, id.Number, err, tc.want)
		}
	}
}

func TestIdentityKey(t *testing.T) {
	type in struct {
		kind            IdentityKind
		number, country string
	}
	same := [][]in{
		{
			{IdentitySEPersonal, "19121212-1212", ""},
			{IdentitySEPersonal, "191212121212", "SE"},
			{IdentitySEPersonal, "121212+1212", ""},
		},
		{
			{IdentitySEPersonal, "811228-9874", ""},
			{IdentitySEPersonal, "8112289874", ""},
			{IdentitySEPersonal, "19811228-9874", "se"},
			{IdentitySEPersonal, "198112289874", ""},
		},
		{
			{IdentitySEOrg, "556036-0793", ""},
			{IdentitySEOrg, "5560360793", ""},
			{IdentitySEOrg, "165560360793", ""},
			{IdentitySEOrg, "16556036-0793", "SE"},
		},
		{
			{IdentityDKCVR, "10403782", ""},
			{IdentityDKCVR, "DK 10 40 37 82", "DK"},
			{IdentityDKCVR, "dk10403782", ""},
		},
		{
			{IdentityForeign, "ab-12.34", "DE"},
			{IdentityForeign, "AB 1234", "de"},
		},
	}
	keys := map[string]int{}
	for group, forms := range same {
		var first string
		for i, f := range forms {
			id, err := ParseIdentityAt(f.kind, f.number, f.country, identityToday)
			if err != nil {
				t.Fatalf("%q: %v", f.number, err)
			}
			k := id.Key()
			if i == 0 {
				first = k
				if g, dup := keys[k]; dup {
					t.Errorf("groups %d and %d share the key %q", g, group, k)
				}
				keys[k] = group
				continue
			}
			if k != first {
				t.Errorf("%q has key %q, %q has %q: want equal", forms[0].number, first, f.number, k)
			}
		}
	}

	// Different people, or the same characters under different schemes or
	// countries, differ.
	differ := [][2]in{
		{{IdentitySEPersonal, "121212-1212", ""}, {IdentitySEPersonal, "121212+1212", ""}},
		{{IdentityForeign, "AB1234", "DE"}, {IdentityForeign, "AB1234", "AT"}},
		{{IdentityForeign, "10403782", "NO"}, {IdentityDKCVR, "10403782", ""}},
	}
	for _, d := range differ {
		a, err := ParseIdentityAt(d[0].kind, d[0].number, d[0].country, identityToday)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseIdentityAt(d[1].kind, d[1].number, d[1].country, identityToday)
		if err != nil {
			t.Fatal(err)
		}
		if a.Key() == b.Key() {
			t.Errorf("%v and %v share the key %q", a, b, a.Key())
		}
	}
	if k := (Identity{}).Key(); k != "" {
		t.Errorf("zero Identity key = %q, want empty", k)
	}
}

func TestIdentityString(t *testing.T) {
	tests := []struct {
		kind            IdentityKind
		number, country string
		want            string
	}{
		{IdentitySEPersonal, "121212+1212", "", "se-personal 19121212-1212"},
		{IdentitySEPersonal, "701063-2391", "", "se-personal 19701063-2391"},
		{IdentitySEOrg, "165560360793", "", "se-org 556036-0793"},
		{IdentityDKCVR, "DK 25063783", "", "dk-cvr 25063783"},
		{IdentityForeign, "x-1234", "gb", "foreign GB X1234"},
	}
	for _, tt := range tests {
		id, err := ParseIdentityAt(tt.kind, tt.number, tt.country, identityToday)
		if err != nil {
			t.Fatalf("%q: %v", tt.number, err)
		}
		if got := id.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if s := (Identity{}).String(); s != "" {
		t.Errorf("zero Identity String() = %q, want empty", s)
	}
}
