package registry

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TLD is one top-level domain the registry runs, with its policy.
type TLD struct {
	// Name is the TLD without dots, such as "se".
	Name string `json:"name"`
	// MinPeriod and MaxPeriod bound a registration or renewal period, in
	// years (defaults 1 and 10).
	MinPeriod int `json:"minPeriod"`
	MaxPeriod int `json:"maxPeriod"`
	// MinLength and MaxLength bound the registered label's length
	// (defaults 1 and 63).
	MinLength int `json:"minLength"`
	MaxLength int `json:"maxLength"`
	// Grace periods (RFC 3915), default 5 days each; AutoRenewGrace
	// defaults to 45 days.
	AddGrace       Duration `json:"addGrace"`
	RenewGrace     Duration `json:"renewGrace"`
	TransferGrace  Duration `json:"transferGrace"`
	AutoRenewGrace Duration `json:"autoRenewGrace"`
	// DeactivationPeriod is how long a deleted domain stays restorable
	// (redemption) before it is purged and its name freed (default 60
	// days).
	DeactivationPeriod Duration `json:"deactivationPeriod"`
	// TransferAutoApprove is how long a pending transfer waits for the
	// losing sponsor before the registry approves it (default 5 days).
	TransferAutoApprove Duration `json:"transferAutoApprove"`
	// TransferLock is how long after its creation, and after each
	// transfer, a domain cannot be transferred (default 60 days; a negative
	// value such as "-1s" turns the lock off, as a test environment such
	// as ICANN's RST needs).
	TransferLock Duration `json:"transferLock"`
	// Reserved labels cannot be registered.
	Reserved []string `json:"reserved,omitempty"`
}

// Duration is a time.Duration written in configuration as "120h" or "5d".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const day = 24 * time.Hour

func (t *TLD) setDefaults() {
	t.Name = strings.Trim(strings.ToLower(t.Name), ".")
	setDefaultInt(&t.MinPeriod, 1)
	setDefaultInt(&t.MaxPeriod, 10)
	setDefaultInt(&t.MinLength, 1)
	setDefaultInt(&t.MaxLength, 63)
	setDefaultDur(&t.AddGrace, 5*day)
	setDefaultDur(&t.RenewGrace, 5*day)
	setDefaultDur(&t.TransferGrace, 5*day)
	setDefaultDur(&t.AutoRenewGrace, 45*day)
	setDefaultDur(&t.DeactivationPeriod, 60*day)
	setDefaultDur(&t.TransferAutoApprove, 5*day)
	if t.TransferLock == 0 {
		t.TransferLock = Duration(DefaultTransferLock)
	}
	for i, r := range t.Reserved {
		t.Reserved[i] = strings.ToLower(r)
	}
}

func setDefaultInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

func setDefaultDur(v *Duration, def time.Duration) {
	if *v <= 0 {
		*v = Duration(def)
	}
}

// DefaultTLDs are the TLDs a registry runs when configured with none.
var DefaultTLDs = []TLD{{Name: "se"}, {Name: "nu"}, {Name: "test"}}

// TLDFor returns the TLD a domain name (normalised) is registered under and
// the registered label, or nil when the registry does not run its TLD or
// the name is not exactly one label below it.
func (s *Service) TLDFor(name string) (*TLD, string) {
	for i := range s.cfg.TLDs {
		t := &s.cfg.TLDs[i]
		if label, ok := strings.CutSuffix(name, "."+t.Name); ok && label != "" && !strings.Contains(label, ".") {
			return t, label
		}
	}
	return nil, ""
}

// InRegistry reports whether a host name lies in one of the registry's
// TLDs (an internal host), and if so returns the name of the domain it
// would be subordinate to.
func (s *Service) InRegistry(host string) (superordinate string, ok bool) {
	for _, t := range s.cfg.TLDs {
		if rest, found := strings.CutSuffix(host, "."+t.Name); found && rest != "" {
			labels := strings.Split(rest, ".")
			return labels[len(labels)-1] + "." + t.Name, true
		}
	}
	return "", false
}

// CheckDomainName checks a domain name (normalised) for registration:
// syntax, a TLD the registry runs, exactly one label below it, the TLD's
// length limits and reserved names. It returns the TLD, or a reason.
func (s *Service) CheckDomainName(name string) (*TLD, string) {
	if r := CheckHostname(name); r != "" {
		return nil, r
	}
	t, label := s.TLDFor(name)
	if t == nil {
		return nil, "the registry does not offer registrations of this name (not one label under a TLD it runs)"
	}
	n := len([]rune(label))
	if strings.HasPrefix(label, "xn--") {
		if u, err := idnaProfile.ToUnicode(label); err == nil {
			n = len([]rune(u))
		}
	}
	if n < t.MinLength || n > t.MaxLength {
		return nil, "the label's length is outside the TLD's limits"
	}
	if slices.Contains(t.Reserved, label) {
		return nil, "the name is reserved"
	}
	return t, ""
}

// UnmarshalJSON reads "5d", a Go duration such as "120h", or a number of
// seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("duration %q: want a whole number of days such as \"5d\"", s)
		}
		*d = Duration(time.Duration(n) * day)
		return nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		*d = Duration(time.Duration(secs) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}
