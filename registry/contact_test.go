package registry_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/eppd/eppd/registry"
)

// contactValid is a contact that passes ValidateContact.
func contactValid() *registry.Contact {
	return &registry.Contact{
		ID: "sh8013",
		Postal: []registry.PostalInfo{{
			Type: "int", Name: "John Doe", Org: "Example Inc.",
			Street: []string{"123 Example Dr.", "Suite 100"}, City: "Dulles", SP: "VA", PC: "20166-6503", CC: "US",
		}},
		Voice: "+1.7035555555", VoiceExt: "1234", Fax: "+1.7035555556",
		Email: "jdoe@example.com", AuthInfo: "2fooBAR",
	}
}

func TestValidateContact(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []struct {
		name   string
		change func(c *registry.Contact)
		kind   registry.Kind // 0: valid
	}{
		{"valid", func(c *registry.Contact) {}, 0},
		{"loc only, UTF-8", func(c *registry.Contact) {
			c.Postal[0].Type, c.Postal[0].Name, c.Postal[0].City = "loc", "Åsa Öberg", "Göteborg"
		}, 0},
		{"int and loc", func(c *registry.Contact) {
			c.Postal = append(c.Postal, registry.PostalInfo{Type: "loc", Name: "Jöhn", City: "Dülles", CC: "US"})
		}, 0},
		{"minimal", func(c *registry.Contact) {
			c.Postal[0] = registry.PostalInfo{Type: "int", Name: "J", City: "D", CC: "SE"}
			c.Voice, c.VoiceExt, c.Fax = "", "", ""
		}, 0},
		{"no postal info", func(c *registry.Contact) { c.Postal = nil }, registry.KindInvalid},
		{"two int", func(c *registry.Contact) { c.Postal = append(c.Postal, c.Postal[0]) }, registry.KindInvalid},
		{"three", func(c *registry.Contact) {
			c.Postal = append(c.Postal, c.Postal[0], c.Postal[0])
			c.Postal[1].Type = "loc"
		}, registry.KindInvalid},
		{"bad type", func(c *registry.Contact) { c.Postal[0].Type = "foo" }, registry.KindInvalid},
		{"empty name", func(c *registry.Contact) { c.Postal[0].Name = "" }, registry.KindInvalid},
		{"long name", func(c *registry.Contact) { c.Postal[0].Name = long }, registry.KindInvalid},
		{"long org", func(c *registry.Contact) { c.Postal[0].Org = long }, registry.KindInvalid},
		{"long street", func(c *registry.Contact) { c.Postal[0].Street[0] = long }, registry.KindInvalid},
		{"empty street line", func(c *registry.Contact) { c.Postal[0].Street[1] = "" }, registry.KindInvalid},
		{"four street lines", func(c *registry.Contact) { c.Postal[0].Street = []string{"a", "b", "c", "d"} }, registry.KindInvalid},
		{"empty city", func(c *registry.Contact) { c.Postal[0].City = "" }, registry.KindInvalid},
		{"long city", func(c *registry.Contact) { c.Postal[0].City = long }, registry.KindInvalid},
		{"long sp", func(c *registry.Contact) { c.Postal[0].SP = long }, registry.KindInvalid},
		{"long pc", func(c *registry.Contact) { c.Postal[0].PC = "12345678901234567" }, registry.KindInvalid},
		{"control character", func(c *registry.Contact) { c.Postal[0].Name = "John\x01Doe" }, registry.KindInvalid},
		{"int not ASCII", func(c *registry.Contact) { c.Postal[0].City = "Göteborg" }, registry.KindInvalid},
		{"empty cc", func(c *registry.Contact) { c.Postal[0].CC = "" }, registry.KindInvalid},
		{"unknown cc", func(c *registry.Contact) { c.Postal[0].CC = "XX" }, registry.KindInvalid},
		{"reserved cc UK", func(c *registry.Contact) { c.Postal[0].CC = "UK" }, registry.KindInvalid},
		{"three-letter cc", func(c *registry.Contact) { c.Postal[0].CC = "USA" }, registry.KindInvalid},
		{"voice without dot", func(c *registry.Contact) { c.Voice = "+17035555555" }, registry.KindInvalid},
		{"voice without plus", func(c *registry.Contact) { c.Voice = "1.7035555555" }, registry.KindInvalid},
		{"voice letters", func(c *registry.Contact) { c.Voice = "+1.703555CALL" }, registry.KindInvalid},
		{"voice too long", func(c *registry.Contact) { c.Voice = "+1.703555555555555" }, registry.KindInvalid},
		{"voice country code too long", func(c *registry.Contact) { c.Voice = "+1234.5555" }, registry.KindInvalid},
		{"voice ext letters", func(c *registry.Contact) { c.VoiceExt = "12a" }, registry.KindInvalid},
		{"ext without number", func(c *registry.Contact) { c.Voice = "" }, registry.KindInvalid},
		{"fax bad", func(c *registry.Contact) { c.Fax = "fax" }, registry.KindInvalid},
		{"no email", func(c *registry.Contact) { c.Email = "" }, registry.KindInvalid},
		{"email without @", func(c *registry.Contact) { c.Email = "jdoe.example.com" }, registry.KindInvalid},
		{"email with name", func(c *registry.Contact) { c.Email = "John <jdoe@example.com>" }, registry.KindInvalid},
		{"email two @", func(c *registry.Contact) { c.Email = "a@b@example.com" }, registry.KindInvalid},
		{"email bad domain", func(c *registry.Contact) { c.Email = "jdoe@-example.com" }, registry.KindInvalid},
		{"email one-label domain", func(c *registry.Contact) { c.Email = "jdoe@localhost" }, registry.KindInvalid},
		{"email literal", func(c *registry.Contact) { c.Email = "jdoe@[192.0.2.1]" }, registry.KindInvalid},
		{"email IDN", func(c *registry.Contact) { c.Email = "jdoe@exämple.se" }, 0},
		{"email plus", func(c *registry.Contact) { c.Email = "j.doe+epp@sub.example.co.uk" }, 0},
		{"authInfo short", func(c *registry.Contact) { c.AuthInfo = "abc" }, registry.KindPolicy},
		{"authInfo empty", func(c *registry.Contact) { c.AuthInfo = "" }, registry.KindPolicy},
		{"authInfo control", func(c *registry.Contact) { c.AuthInfo = "abc\ndefg" }, registry.KindInvalid},
		{"disclose naming nothing", func(c *registry.Contact) { c.Disclose = &registry.Disclose{} }, registry.KindInvalid},
		{"disclose", func(c *registry.Contact) { c.Disclose = &registry.Disclose{Voice: true} }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := contactValid()
			tc.change(c)
			err := registry.ValidateContact(c)
			if tc.kind == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.kind, registry.ErrorKind(err), "%v", err)
		})
	}
}

func TestCheckContactID(t *testing.T) {
	for id, kind := range map[string]registry.Kind{
		"sh8013": 0, "abc": 0, "abcdef0702-00001": 0, "a.b_c-d": 0,
		"ab": registry.KindInvalid, "abcdefghijklmnopq": registry.KindInvalid, "": registry.KindInvalid,
		"-abc": registry.KindPolicy, "ab cd": registry.KindPolicy, "åäö": registry.KindPolicy, "ab/cd": registry.KindPolicy,
	} {
		err := registry.CheckContactID(id)
		if kind == 0 {
			assert.NoError(t, err, id)
		} else {
			assert.Equal(t, kind, registry.ErrorKind(err), "%q: %v", id, err)
		}
	}
}

// TestCountryCodes checks the list against CLDR's regions: every code is a
// country there, and there are the 249 that ISO 3166-1 assigns.
func TestCountryCodes(t *testing.T) {
	n := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			cc := string([]rune{a, b})
			if !registry.IsCountryCode(cc) {
				continue
			}
			n++
			r, err := language.ParseRegion(cc)
			if assert.NoError(t, err, cc) {
				assert.True(t, r.IsCountry(), "%s is not a country in CLDR", cc)
			}
		}
	}
	assert.Equal(t, 249, n)
	assert.False(t, registry.IsCountryCode("se"), "codes are upper case")
}

func TestContactStatuses(t *testing.T) {
	c := &registry.Contact{}
	assert.Equal(t, []string{"ok"}, registry.ContactStatuses(c, false))
	assert.Equal(t, []string{"linked", "ok"}, registry.ContactStatuses(c, true))
	c.Statuses = []string{registry.StatusClientDeleteProhibited}
	assert.Equal(t, []string{"clientDeleteProhibited", "linked"}, registry.ContactStatuses(c, true))
	c.Statuses = nil
	c.Transfer = &registry.Transfer{Status: registry.TransferPending}
	assert.Equal(t, []string{"pendingTransfer"}, registry.ContactStatuses(c, false))
	c.Transfer.Status = registry.TransferClientRejected
	assert.Equal(t, []string{"ok"}, registry.ContactStatuses(c, false))
}
