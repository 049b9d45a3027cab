package registry

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// idnaProfile checks A-labels the way registration does (IDNA 2008):
// no mapping, and code points IDNA 2008 disallows (symbols such as emoji)
// are refused.
var idnaProfile = idna.Registration

// NormalizeName lower-cases a host or domain name and removes one
// trailing dot.
func NormalizeName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// CheckHostname checks that name (normalised) is a syntactically valid
// DNS host name: RFC 1123 labels of letters, digits and hyphens, 1 to 63
// characters each, no leading or trailing hyphen, at most 253 characters
// in all, at least two labels, and every "xn--" label a valid IDNA
// A-label. It returns a reason, or "" when the name is valid.
func CheckHostname(name string) string {
	if name == "" {
		return "the name is empty"
	}
	if len(name) > 253 {
		return "the name is longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "the name must have at least two labels"
	}
	for _, l := range labels {
		if r := checkLabel(l); r != "" {
			return r
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "the top-level label must not be all digits"
	}
	return ""
}

func checkLabel(l string) string {
	if l == "" {
		return "the name has an empty label"
	}
	if len(l) > 63 {
		return "label " + l + " is longer than 63 characters"
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "label " + l + " has a character other than a letter, digit or hyphen"
		}
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "label " + l + " begins or ends with a hyphen"
	}
	if len(l) >= 4 && l[2:4] == "--" {
		if !strings.HasPrefix(l, "xn--") {
			return "label " + l + " has hyphens in the third and fourth positions but is not an xn-- label"
		}
		u, err := idnaProfile.ToUnicode(l)
		if err != nil {
			return "label " + l + " is not a valid IDNA A-label"
		}
		back, err := idnaProfile.ToASCII(u)
		if err != nil || back != l {
			return "label " + l + " is not a valid IDNA A-label"
		}
		// x/net/idna follows UTS 46, which lets symbols through; IDNA 2008
		// allows only letters, marks, digits and the hyphen.
		for _, r := range u {
			if r != '-' && !unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd) {
				return fmt.Sprintf("label %s holds %q, which IDNA 2008 does not allow", l, r)
			}
		}
	}
	return ""
}
