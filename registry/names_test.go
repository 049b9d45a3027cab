package registry

import (
	"strings"
	"testing"
)

func TestCheckHostname(t *testing.T) {
	valid := []string{"example.se", "a.se", "ns1.example.se", "xn--rksmrgs-5wao1o.se", "xn--bcher-kva.se", "1-2.se", "x.xn--p1ai"}
	invalid := map[string]string{
		"":                               "empty",
		"se":                             "at least two labels",
		"-ab.se":                         "hyphen",
		"ab-.se":                         "hyphen",
		"a_b.se":                         "character",
		"ab--cd.se":                      "third and fourth",
		"xn--a.se":                       "not a valid IDNA A-label",
		"xn--ls8h.se":                    "IDNA 2008 does not allow",
		"a..se":                          "empty label",
		"example.123":                    "all digits",
		string(make([]byte, 64)) + ".se": "character",
	}
	for _, n := range valid {
		if r := CheckHostname(n); r != "" {
			t.Errorf("%q: unexpected %q", n, r)
		}
	}
	long := ""
	for i := 0; i < 64; i++ {
		long += "a"
	}
	invalid[long+".se"] = "longer than 63"
	for n, want := range invalid {
		r := CheckHostname(n)
		if r == "" || !strings.Contains(r, want) {
			t.Errorf("%q: got %q, want a reason containing %q", n, r, want)
		}
	}
}
