package flows_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// contactEnv is a server with the flows, a fixed clock, and sessions for
// acme and other.
type contactEnv struct {
	h     *epptest.Harness
	clock *epptest.Clock
	// t0 is the clock's time at the start: the time of day now, since the
	// test certificates are only valid around it.
	t0    time.Time
	acme  *epptest.Client
	other *epptest.Client
}

func contactSetup(t *testing.T, dsn string, cfg func(*registry.Config)) *contactEnv {
	t.Helper()
	t0 := time.Now().UTC().Truncate(time.Second)
	clock := epptest.NewClock(t0)
	h := epptest.NewHarness(t, epptest.Options{DSN: dsn, Clock: clock, Register: flows.Register, Registry: cfg})
	return &contactEnv{h: h, clock: clock, t0: t0, acme: h.Login("acme"), other: h.Login("other")}
}

// contactCmd wraps body in <verb><contact:verb>.
func contactCmd(verb, body, clTRID string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <%[1]s>
      <contact:%[1]s xmlns:contact="urn:ietf:params:xml:ns:contact-1.0">
%[2]s
      </contact:%[1]s>
    </%[1]s>
    <clTRID>%[3]s</clTRID>
  </command>
</epp>`, verb, strings.TrimRight(body, "\n"), clTRID)
}

// contactCreateBody is the body of RFC 5733's create example, with id
// replaced by ID.
const contactCreateBody = `        <contact:id>ID</contact:id>
        <contact:postalInfo type="int">
          <contact:name>John Doe</contact:name>
          <contact:org>Example Inc.</contact:org>
          <contact:addr>
            <contact:street>123 Example Dr.</contact:street>
            <contact:street>Suite 100</contact:street>
            <contact:city>Dulles</contact:city>
            <contact:sp>VA</contact:sp>
            <contact:pc>20166-6503</contact:pc>
            <contact:cc>US</contact:cc>
          </contact:addr>
        </contact:postalInfo>
        <contact:voice x="1234">+1.7035555555</contact:voice>
        <contact:fax>+1.7035555556</contact:fax>
        <contact:email>jdoe@example.com</contact:email>
        <contact:authInfo>
          <contact:pw>2fooBAR</contact:pw>
        </contact:authInfo>
        <contact:disclose flag="0">
          <contact:voice/>
          <contact:email/>
        </contact:disclose>`

// contactCreateXML is RFC 5733's create example for id, with each pair of
// replacements (old, new) applied to its body.
func contactCreateXML(id string, replace ...string) string {
	body := strings.Replace(contactCreateBody, "<contact:id>ID</contact:id>", "<contact:id>"+id+"</contact:id>", 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(body, replace[i]) {
			panic("contactCreateXML: no " + replace[i])
		}
		body = strings.Replace(body, replace[i], replace[i+1], 1)
	}
	return contactCmd("create", body, "c-create")
}

func contactCheckXML(ids ...string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("        <contact:id>" + id + "</contact:id>")
	}
	return contactCmd("check", b.String(), "c-check")
}

func contactInfoXML(id, pw string) string {
	body := "        <contact:id>" + id + "</contact:id>"
	if pw != "" {
		body += "\n        <contact:authInfo><contact:pw>" + pw + "</contact:pw></contact:authInfo>"
	}
	return contactCmd("info", body, "c-info")
}

func contactUpdateXML(id, body string) string {
	return contactCmd("update", "        <contact:id>"+id+"</contact:id>\n"+body, "c-update")
}

func contactDeleteXML(id string) string {
	return contactCmd("delete", "        <contact:id>"+id+"</contact:id>", "c-delete")
}

// contactDo sends req and checks the result code.
func contactDo(t *testing.T, c *epptest.Client, req string, want int) []byte {
	t.Helper()
	resp := c.Do(req)
	require.Equal(t, want, epptest.Code(resp), "request:\n%s\nresponse:\n%s", req, resp)
	return resp
}

// contactCreate creates id as RFC 5733's example, for c.
func contactCreate(t *testing.T, c *epptest.Client, id string) {
	t.Helper()
	contactDo(t, c, contactCreateXML(id), 1000)
}

// contactDoc parses a response.
func contactDoc(t *testing.T, resp []byte) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(resp))
	return doc
}

// contactText is the text of the element at path in resp ("" and false
// when there is none).
func contactText(t *testing.T, resp []byte, path string) (string, bool) {
	t.Helper()
	el := contactDoc(t, resp).FindElement(path)
	if el == nil {
		return "", false
	}
	return el.Text(), true
}

// contactTexts are the texts of the elements at path in resp.
func contactTexts(t *testing.T, resp []byte, path string) []string {
	t.Helper()
	var out []string
	for _, el := range contactDoc(t, resp).FindElements(path) {
		out = append(out, el.Text())
	}
	return out
}

// contactStatusesOf are the s attributes of an infData's statuses.
func contactStatusesOf(t *testing.T, resp []byte) []string {
	t.Helper()
	var out []string
	for _, el := range contactDoc(t, resp).FindElements("//contact:infData/contact:status") {
		out = append(out, el.SelectAttrValue("s", ""))
	}
	return out
}

// contactAvail maps each id of a chkData to its avail attribute.
func contactAvail(t *testing.T, resp []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, el := range contactDoc(t, resp).FindElements("//contact:cd/contact:id") {
		out[el.Text()] = el.SelectAttrValue("avail", "")
	}
	return out
}

// contactLinkDomain creates, through the store, a domain of acme's whose
// registrant is the contact.
func contactLinkDomain(t *testing.T, h *epptest.Harness, name, contactID string) {
	t.Helper()
	now := h.Svc.Clock().Now()
	err := h.Svc.Store().Tx(context.Background(), func(tx registry.Tx) error {
		return tx.CreateDomain(context.Background(), &registry.Domain{
			Name: name, SponsorClID: "acme", CreatorClID: "acme", Registrant: contactID,
			Contacts:  []registry.DomainContact{{Type: "admin", ID: contactID}},
			AuthInfo:  "domain-pw-1",
			CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0),
		}, h.Svc.Config().ROIDSuffix)
	})
	require.NoError(t, err)
}

func contactUnlinkDomain(t *testing.T, h *epptest.Harness, name string) {
	t.Helper()
	require.NoError(t, h.Svc.Store().Tx(context.Background(), func(tx registry.Tx) error {
		return tx.PurgeDomain(context.Background(), name)
	}))
}

// TestContactGolden runs each contact command and its main failures
// against testdata/epp/contact.
func TestContactGolden(t *testing.T) {
	e := contactSetup(t, "", nil)
	g := func(name, req string) []byte { t.Helper(); return e.acme.Golden("contact/"+name, req) }
	og := func(name, req string) []byte { t.Helper(); return e.other.Golden("contact/"+name, req) }

	assert.Equal(t, 1000, epptest.Code(g("create-ok", contactCreateXML("sh8013"))))
	assert.Equal(t, 2302, epptest.Code(g("create-exists", contactCreateXML("sh8013"))))
	assert.Equal(t, 2005, epptest.Code(g("create-bad-cc", contactCreateXML("sh8014",
		"<contact:cc>US</contact:cc>", "<contact:cc>XX</contact:cc>"))))
	assert.Equal(t, 2005, epptest.Code(g("create-empty-voice", contactCreateXML("sh8014",
		`<contact:voice x="1234">+1.7035555555</contact:voice>`, `<contact:voice/>`))))
	assert.Equal(t, 2001, epptest.Code(g("create-missing-email", contactCreateXML("sh8014",
		"<contact:email>jdoe@example.com</contact:email>", ""))))

	assert.Equal(t, 1000, epptest.Code(g("check", contactCheckXML("sh8013", "sh8014", "a b c"))))
	assert.Equal(t, 2005, epptest.Code(g("check-invalid-id", contactCheckXML("ab"))))

	assert.Equal(t, 1000, epptest.Code(g("info-sponsor", contactInfoXML("sh8013", ""))))
	assert.Equal(t, 2303, epptest.Code(g("info-not-found", contactInfoXML("nosuch1", ""))))
	assert.Equal(t, 2201, epptest.Code(og("info-other", contactInfoXML("sh8013", ""))))
	assert.Equal(t, 2202, epptest.Code(og("info-other-wrong-authinfo", contactInfoXML("sh8013", "wrong-pw"))))
	assert.Equal(t, 1000, epptest.Code(og("info-other-authinfo", contactInfoXML("sh8013", "2fooBAR"))))

	e.clock.Advance(time.Hour)
	assert.Equal(t, 1000, epptest.Code(g("update-ok", contactUpdateXML("sh8013", `        <contact:add>
          <contact:status s="clientDeleteProhibited"/>
        </contact:add>
        <contact:chg>
          <contact:postalInfo type="int">
            <contact:org/>
            <contact:addr>
              <contact:street>124 Example Dr.</contact:street>
              <contact:street>Suite 200</contact:street>
              <contact:city>Dulles</contact:city>
              <contact:sp>VA</contact:sp>
              <contact:pc>20166-6503</contact:pc>
              <contact:cc>US</contact:cc>
            </contact:addr>
          </contact:postalInfo>
          <contact:voice>+1.7034444444</contact:voice>
          <contact:fax/>
          <contact:authInfo>
            <contact:pw>2fooBAR</contact:pw>
          </contact:authInfo>
          <contact:disclose flag="1">
            <contact:voice/>
            <contact:email/>
          </contact:disclose>
        </contact:chg>`))))
	assert.Equal(t, 1000, epptest.Code(g("info-updated", contactInfoXML("sh8013", ""))))
	assert.Equal(t, 2201, epptest.Code(og("update-other", contactUpdateXML("sh8013", `        <contact:chg>
          <contact:email>evil@example.com</contact:email>
        </contact:chg>`))))
	assert.Equal(t, 2306, epptest.Code(g("update-server-status", contactUpdateXML("sh8013", `        <contact:add>
          <contact:status s="serverDeleteProhibited"/>
        </contact:add>`))))
	assert.Equal(t, 2304, epptest.Code(g("delete-prohibited", contactDeleteXML("sh8013"))))
	assert.Equal(t, 2201, epptest.Code(og("delete-other", contactDeleteXML("sh8013"))))
	assert.Equal(t, 1000, epptest.Code(g("update-prohibit-update", contactUpdateXML("sh8013", `        <contact:add>
          <contact:status s="clientUpdateProhibited"/>
        </contact:add>`))))
	assert.Equal(t, 2304, epptest.Code(g("update-prohibited", contactUpdateXML("sh8013", `        <contact:chg>
          <contact:email>new@example.com</contact:email>
        </contact:chg>`))))

	contactCreate(t, e.acme, "linked1")
	contactLinkDomain(t, e.h, "linked1.se", "linked1")
	assert.Equal(t, 1000, epptest.Code(g("info-linked", contactInfoXML("linked1", ""))))
	assert.Equal(t, 2305, epptest.Code(g("delete-linked", contactDeleteXML("linked1"))))
	contactCreate(t, e.acme, "free1")
	assert.Equal(t, 1000, epptest.Code(g("delete-ok", contactDeleteXML("free1"))))
	assert.Equal(t, 2303, epptest.Code(g("delete-not-found", contactDeleteXML("free1"))))
}

// TestRST_epp06_ContactCheck is ICANN RST epp-06: registered identifiers
// are not available, unregistered ones are, and syntactically invalid ones
// are either not available or refused with 2001, 2004 or 2005.
func TestRST_epp06_ContactCheck(t *testing.T) {
	e := contactSetup(t, "", nil)
	contactCreate(t, e.acme, "reg-one")
	contactCreate(t, e.other, "reg-two")
	random := strings.ToLower(rand.Text()[:12])

	// EPP_CONTACT_CHECK_REGISTERED_CONTACT_ID_INCORRECT_AVAIL and
	// EPP_CONTACT_CHECK_VALID_CONTACT_ID_INCORRECT_AVAIL, also asked by
	// the reseller that does not sponsor them.
	for _, c := range []*epptest.Client{e.acme, e.other} {
		resp := contactDo(t, c, contactCheckXML("reg-one", "reg-two", random), 1000)
		assert.Equal(t, map[string]string{"reg-one": "0", "reg-two": "0", random: "1"}, contactAvail(t, resp))
		assert.Equal(t, []string{"in use", "in use"}, contactTexts(t, resp, "//contact:cd/contact:reason"))
	}

	// EPP_CONTACT_CHECK_INVALID_CONTACT_ID_INCORRECT_AVAIL.
	t.Run("invalid", func(t *testing.T) {
		for _, id := range []string{"ab", "", "abcdefghijklmnopq", "x"} {
			resp := e.acme.Do(contactCheckXML(id))
			code := epptest.Code(resp)
			assert.Contains(t, []int{2001, 2004, 2005}, code, "%q: %s", id, resp)
		}
		for _, id := range []string{"a b c", "-abc", "åäö-1", "ab/cd"} {
			resp := contactDo(t, e.acme, contactCheckXML(id, random), 1000)
			assert.Equal(t, map[string]string{id: "0", random: "1"}, contactAvail(t, resp), "%q", id)
		}
	})
}

func TestContactCheckLimits(t *testing.T) {
	e := contactSetup(t, "", func(c *registry.Config) { c.MaxCheck = 3 })
	contactDo(t, e.acme, contactCheckXML("aaa1", "aaa2", "aaa3"), 1000)
	resp := contactDo(t, e.acme, contactCheckXML("aaa1", "aaa2", "aaa3", "aaa4"), 2306)
	assert.Contains(t, string(resp), "at most 3")
	contactDo(t, e.acme, contactCmd("check", "", "c-check"), 2001)
	// A repeated identifier is answered each time.
	resp = contactDo(t, e.acme, contactCheckXML("aaa1", "aaa1"), 1000)
	assert.Len(t, contactTexts(t, resp, "//contact:cd/contact:id"), 2)
}

// contactRSTLong is a 256-character value, one more than postalLineType
// allows.
var contactRSTLong = strings.Repeat("a", 256)

// TestRST_epp07_ContactCreate is ICANN RST epp-07: creates with missing or
// invalid values are refused (each subtest named after the RST error it
// rules out), valid ones succeed, and an info then shows every value as
// given.
func TestRST_epp07_ContactCreate(t *testing.T) {
	e := contactSetup(t, "", nil)
	refused := []struct {
		name    string
		id      string
		replace []string
		want    int
	}{
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_ID/short", "ab", nil, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_ID/long", "abcdefghijklmnopq", nil, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_ID/empty", "", nil, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_ID/characters", "ab!cd", nil, 2306},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_POSTALINFO_TYPE/foo", "", []string{`type="int"`, `type="foo"`}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_POSTALINFO_TYPE/missing", "", []string{` type="int"`, ``}, 2001},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_NAME", "", []string{"John Doe", ""}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_NAME/blank", "", []string{"John Doe", "   "}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_NAME/missing", "", []string{"<contact:name>John Doe</contact:name>", ""}, 2001},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_NAME/long", "", []string{"John Doe", contactRSTLong}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_NAME/not-ascii-int", "", []string{"John Doe", "Jöhn Döe"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_ORG", "", []string{"Example Inc.", contactRSTLong}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_STREET/long", "", []string{"Suite 100", contactRSTLong}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_STREET/four", "", []string{"<contact:street>Suite 100</contact:street>",
			"<contact:street>a</contact:street><contact:street>b</contact:street><contact:street>c</contact:street>"}, 2001},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_STREET/empty", "", []string{"Suite 100", ""}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_CITY", "", []string{"<contact:city>Dulles</contact:city>", "<contact:city/>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_CITY", "", []string{"Dulles", contactRSTLong}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_SP", "", []string{"<contact:sp>VA</contact:sp>", "<contact:sp>" + contactRSTLong + "</contact:sp>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_PC", "", []string{"20166-6503", "20166-6503-20166-6503"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_CC", "", []string{"<contact:cc>US</contact:cc>", "<contact:cc></contact:cc>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_CC/missing", "", []string{"<contact:cc>US</contact:cc>", ""}, 2001},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_CC/XX", "", []string{"<contact:cc>US</contact:cc>", "<contact:cc>XX</contact:cc>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_CC/three-letters", "", []string{"<contact:cc>US</contact:cc>", "<contact:cc>USA</contact:cc>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_CC/digits", "", []string{"<contact:cc>US</contact:cc>", "<contact:cc>12</contact:cc>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_EMAIL", "", []string{"jdoe@example.com", ""}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_EMAIL/missing", "", []string{"<contact:email>jdoe@example.com</contact:email>", ""}, 2001},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_EMAIL/no-at", "", []string{"jdoe@example.com", "jdoe.example.com"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_EMAIL/two-at", "", []string{"jdoe@example.com", "jdoe@ex@ample.com"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_EMAIL/no-domain", "", []string{"jdoe@example.com", "jdoe@"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_EMAIL/space", "", []string{"jdoe@example.com", "j doe@example.com"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_VOICE", "", []string{`<contact:voice x="1234">+1.7035555555</contact:voice>`, `<contact:voice></contact:voice>`}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_VOICE/no-dot", "", []string{"+1.7035555555", "+17035555555"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_VOICE/spaces", "", []string{"+1.7035555555", "+1 703 555 5555"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_VOICE/too-long", "", []string{"+1.7035555555", "+1.703555555555555"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_VOICE/ext", "", []string{`x="1234"`, `x="ext"`}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_EMPTY_FAX", "", []string{"<contact:fax>+1.7035555556</contact:fax>", "<contact:fax/>"}, 2005},
		{"EPP_CONTACT_CREATE_SERVER_ACCEPTS_INVALID_FAX", "", []string{"+1.7035555556", "7035555556"}, 2005},
		{"missing authInfo", "", []string{"<contact:authInfo>\n          <contact:pw>2fooBAR</contact:pw>\n        </contact:authInfo>", ""}, 2001},
		{"short authInfo", "", []string{"2fooBAR", "abc"}, 2306},
		{"ext authInfo", "", []string{"<contact:pw>2fooBAR</contact:pw>", "<contact:ext><x:y xmlns:x=\"urn:x\"/></contact:ext>"}, 2102},
		{"no postalInfo", "", []string{"<contact:postalInfo type=\"int\">", "<contact:foo>", "</contact:postalInfo>", "</contact:foo>"}, 2001},
		{"two int postalInfo", "", []string{"</contact:postalInfo>", "</contact:postalInfo><contact:postalInfo type=\"int\"><contact:name>A</contact:name><contact:addr><contact:city>B</contact:city><contact:cc>SE</contact:cc></contact:addr></contact:postalInfo>"}, 2005},
		{"elements out of order", "", []string{"<contact:fax>+1.7035555556</contact:fax>", "", "</contact:disclose>", "</contact:disclose><contact:fax>+1.7035555556</contact:fax>"}, 2001},
		{"unknown element", "", []string{"<contact:fax>", "<contact:pager>+1.1</contact:pager><contact:fax>"}, 2001},
		{"disclose without flag", "", []string{`<contact:disclose flag="0">`, `<contact:disclose>`}, 2001},
		{"disclose naming nothing", "", []string{"<contact:voice/>\n          <contact:email/>", ""}, 2005},
	}
	for i, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			if tc.replace != nil {
				id = fmt.Sprintf("bad%d", i)
			}
			resp := contactDo(t, e.acme, contactCreateXML(id, tc.replace...), tc.want)
			if registry.CheckContactID(id) == nil {
				chk := contactDo(t, e.acme, contactCheckXML(id), 1000)
				assert.Equal(t, "1", contactAvail(t, chk)[id], "created despite %s", resp)
			}
		})
	}

	// Valid creates, each followed by an info that must show every value
	// (the EPP_CONTACT_CREATE_INFO_RESPONSE_* errors).
	valid := []struct {
		name    string
		id      string
		replace []string
	}{
		{"rfc example", "rst07-a", nil},
		{"loc only", "rst07-b", []string{`type="int"`, `type="loc"`, "John Doe", "Jöhn Döe", "Dulles", "Düsseldorf", "<contact:cc>US</contact:cc>", "<contact:cc>DE</contact:cc>"}},
		{"int and loc", "rst07-c", []string{"</contact:postalInfo>", `</contact:postalInfo>
        <contact:postalInfo type="loc">
          <contact:name>Åsa Öberg</contact:name>
          <contact:addr>
            <contact:city>Göteborg</contact:city>
            <contact:cc>SE</contact:cc>
          </contact:addr>
        </contact:postalInfo>`}},
		{"minimal", "rst07-d", []string{
			"<contact:org>Example Inc.</contact:org>", "",
			"<contact:street>123 Example Dr.</contact:street>", "", "<contact:street>Suite 100</contact:street>", "",
			"<contact:sp>VA</contact:sp>", "", "<contact:pc>20166-6503</contact:pc>", "",
			`<contact:voice x="1234">+1.7035555555</contact:voice>`, "", "<contact:fax>+1.7035555556</contact:fax>", "",
			"<contact:disclose flag=\"0\">\n          <contact:voice/>\n          <contact:email/>\n        </contact:disclose>", ""}},
		{"fax extension, lower-case country code", "rst07-e", []string{"<contact:fax>", `<contact:fax x="99">`, "<contact:cc>US</contact:cc>", "<contact:cc>us</contact:cc>"}},
	}
	for _, tc := range valid {
		t.Run("valid/"+tc.name, func(t *testing.T) {
			req := contactCreateXML(tc.id, tc.replace...)
			resp := contactDo(t, e.acme, req, 1000)
			id, _ := contactText(t, resp, "//contact:creData/contact:id")
			assert.Equal(t, tc.id, id)
			crDate, _ := contactText(t, resp, "//contact:creData/contact:crDate")
			assert.Equal(t, epp.FormatTime(e.t0), crDate)

			info := contactDo(t, e.acme, contactInfoXML(tc.id, ""), 1000)
			sent := etree.NewDocument()
			require.NoError(t, sent.ReadFromString(req))
			create := sent.FindElement("//contact:create")
			got := contactDoc(t, info).FindElement("//contact:infData")
			require.NotNil(t, got)
			assert.Equal(t, tc.id, got.FindElement("contact:id").Text())
			for _, pi := range create.FindElements("contact:postalInfo") {
				typ := pi.SelectAttrValue("type", "")
				gp := got.FindElement("contact:postalInfo[@type='" + typ + "']")
				require.NotNil(t, gp, "postalInfo %s", typ)
				for _, path := range []string{"contact:name", "contact:org", "contact:addr/contact:city", "contact:addr/contact:sp", "contact:addr/contact:pc"} {
					assert.Equal(t, contactElText(pi.FindElement(path)), contactElText(gp.FindElement(path)), "%s %s", typ, path)
				}
				assert.Equal(t, strings.ToUpper(contactElText(pi.FindElement("contact:addr/contact:cc"))), contactElText(gp.FindElement("contact:addr/contact:cc")))
				assert.Equal(t, contactElTexts(pi.FindElements("contact:addr/contact:street")), contactElTexts(gp.FindElements("contact:addr/contact:street")))
			}
			assert.Len(t, got.FindElements("contact:postalInfo"), len(create.FindElements("contact:postalInfo")))
			for _, tag := range []string{"contact:voice", "contact:fax", "contact:email"} {
				assert.Equal(t, contactElText(create.FindElement(tag)), contactElText(got.FindElement(tag)), tag)
				if s := create.FindElement(tag); s != nil {
					assert.Equal(t, s.SelectAttrValue("x", ""), got.FindElement(tag).SelectAttrValue("x", ""), tag+" x")
				}
			}
			assert.Equal(t, contactElText(create.FindElement("contact:authInfo/contact:pw")), contactElText(got.FindElement("contact:authInfo/contact:pw")))
			assert.Equal(t, []string{"ok"}, contactStatusesOf(t, info))
			for _, tag := range []string{"contact:clID", "contact:crID"} {
				assert.Equal(t, "acme", contactElText(got.FindElement(tag)))
			}
		})
	}
}

// contactElText is the trimmed text of el, "" for nil.
func contactElText(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

func contactElTexts(els []*etree.Element) []string {
	var out []string
	for _, el := range els {
		out = append(out, contactElText(el))
	}
	return out
}

// TestRST_epp08_ContactAccessControl is ICANN RST epp-08: another
// reseller's <info> and <update> of a contact are refused, and nothing
// changes.
func TestRST_epp08_ContactAccessControl(t *testing.T) {
	e := contactSetup(t, "", nil)
	contactCreate(t, e.acme, "rst08-a")
	before := contactDo(t, e.acme, contactInfoXML("rst08-a", ""), 1000)

	t.Run("EPP_CONTACT_INFO_RESPONSE_NOT_REJECTED", func(t *testing.T) {
		resp := contactDo(t, e.other, contactInfoXML("rst08-a", ""), 2201)
		assert.NotContains(t, string(resp), "John Doe")
		resp = contactDo(t, e.other, contactInfoXML("rst08-a", "guessed-1"), 2202)
		assert.NotContains(t, string(resp), "John Doe")
	})
	t.Run("EPP_CONTACT_UPDATE_RESPONSE_NOT_REJECTED", func(t *testing.T) {
		for _, body := range []string{
			"<contact:chg><contact:email>evil@example.com</contact:email></contact:chg>",
			`<contact:add><contact:status s="clientDeleteProhibited"/></contact:add>`,
			"<contact:chg><contact:authInfo><contact:pw>stolen-pw</contact:pw></contact:authInfo></contact:chg>",
		} {
			contactDo(t, e.other, contactUpdateXML("rst08-a", body), 2201)
		}
		contactDo(t, e.other, contactDeleteXML("rst08-a"), 2201)
	})
	after := contactDo(t, e.acme, contactInfoXML("rst08-a", ""), 1000)
	assert.Equal(t, epptest.Mask(before), epptest.Mask(after), "another reseller changed the contact")

	// With the contact's authorisation information another reseller sees
	// it, but not the authorisation information itself (RFC 5733 3.1.2).
	resp := contactDo(t, e.other, contactInfoXML("rst08-a", "2fooBAR"), 1000)
	name, _ := contactText(t, resp, "//contact:postalInfo/contact:name")
	assert.Equal(t, "John Doe", name)
	_, hasAuth := contactText(t, resp, "//contact:infData/contact:authInfo")
	assert.False(t, hasAuth)
	clID, _ := contactText(t, resp, "//contact:infData/contact:clID")
	assert.Equal(t, "acme", clID)
}

// TestRST_epp10_ContactDelete is ICANN RST epp-10: a delete succeeds and
// the contact is gone; a linked contact cannot be deleted
// (EPP_INTEGRITY_SERVER_ACCEPTS_DELETE_FOR_LINKED_CONTACT_OBJECT).
func TestRST_epp10_ContactDelete(t *testing.T) {
	contactDeleteLifecycle(t, "")
}

// TestContactPostgres runs the delete and update lifecycles on PostgreSQL.
func TestContactPostgres(t *testing.T) {
	t.Run("delete", func(t *testing.T) { contactDeleteLifecycle(t, sqltest.Postgres(t)) })
	t.Run("update", func(t *testing.T) { contactUpdateLifecycle(t, sqltest.Postgres(t)) })
}

func contactDeleteLifecycle(t *testing.T, dsn string) {
	e := contactSetup(t, dsn, nil)
	contactCreate(t, e.acme, "rst10-a")
	// EPP_CONTACT_DELETE_RESPONSE_NOT_1000_OR_1001.
	contactDo(t, e.acme, contactDeleteXML("rst10-a"), 1000)
	// EPP_CONTACT_DELETE_OBJECT_STILL_EXISTS.
	contactDo(t, e.acme, contactInfoXML("rst10-a", ""), 2303)
	contactDo(t, e.acme, contactUpdateXML("rst10-a", "<contact:chg><contact:email>a@example.se</contact:email></contact:chg>"), 2303)
	contactDo(t, e.acme, contactDeleteXML("rst10-a"), 2303)
	resp := contactDo(t, e.acme, contactCheckXML("rst10-a"), 1000)
	assert.Equal(t, "1", contactAvail(t, resp)["rst10-a"])
	// The identifier is free again, for anyone.
	contactCreate(t, e.other, "rst10-a")

	t.Run("EPP_INTEGRITY_SERVER_ACCEPTS_DELETE_FOR_LINKED_CONTACT_OBJECT", func(t *testing.T) {
		contactCreate(t, e.acme, "rst10-b")
		contactLinkDomain(t, e.h, "rst10.se", "rst10-b")
		info := contactDo(t, e.acme, contactInfoXML("rst10-b", ""), 1000)
		assert.Equal(t, []string{"linked", "ok"}, contactStatusesOf(t, info))
		resp := contactDo(t, e.acme, contactDeleteXML("rst10-b"), 2305)
		assert.Contains(t, string(resp), "linked")
		contactDo(t, e.acme, contactInfoXML("rst10-b", ""), 1000)
		contactUnlinkDomain(t, e.h, "rst10.se")
		contactDo(t, e.acme, contactDeleteXML("rst10-b"), 1000)
	})

	t.Run("history", func(t *testing.T) {
		contactCreate(t, e.acme, "hist-1")
		info := contactDo(t, e.acme, contactInfoXML("hist-1", ""), 1000)
		roid, _ := contactText(t, info, "//contact:infData/contact:roid")
		e.clock.Advance(time.Minute)
		contactDo(t, e.acme, contactUpdateXML("hist-1", "<contact:chg><contact:authInfo><contact:pw>new-secret-9</contact:pw></contact:authInfo></contact:chg>"), 1000)
		contactDo(t, e.acme, contactDeleteXML("hist-1"), 1000)
		hist, err := e.h.Svc.History(context.Background(), registry.ObjectContact, roid)
		require.NoError(t, err)
		require.Len(t, hist, 3)
		for i, action := range []string{"create", "update", "delete"} {
			h := hist[i]
			assert.Equal(t, action, h.Action)
			assert.Equal(t, "reseller:acme", h.Actor)
			assert.Equal(t, "c-"+action, h.ClTRID)
			assert.NotEmpty(t, h.SvTRID)
			assert.NotEmpty(t, h.SessionID)
			assert.Contains(t, string(h.State), `"id":"hist-1"`)
			assert.NotContains(t, string(h.State), "2fooBAR")
			assert.NotContains(t, string(h.State), "new-secret-9")
		}
		assert.True(t, e.t0.Add(time.Minute).Equal(hist[1].At), "update at %v", hist[1].At)
	})
}

// TestRST_epp09_ContactUpdate (ICANN RST epp-09) covers update's rules, one fresh contact per case.
func TestRST_epp09_ContactUpdate(t *testing.T) {
	contactUpdateLifecycle(t, "")
}

func contactUpdateLifecycle(t *testing.T, dsn string) {
	e := contactSetup(t, dsn, nil)
	status := func(verb string, ss ...string) string {
		var b strings.Builder
		b.WriteString("<contact:" + verb + ">")
		for _, s := range ss {
			b.WriteString(`<contact:status s="` + s + `"/>`)
		}
		return b.String() + "</contact:" + verb + ">"
	}
	chg := func(inner string) string { return "<contact:chg>" + inner + "</contact:chg>" }
	addr := func(city, cc string) string {
		return "<contact:addr><contact:city>" + city + "</contact:city><contact:cc>" + cc + "</contact:cc></contact:addr>"
	}
	cases := []struct {
		name  string
		steps []string // updates that must succeed first
		body  string
		want  int
		check func(t *testing.T, info []byte)
	}{
		{name: "name only", body: chg(`<contact:postalInfo type="int"><contact:name>Jane Doe</contact:name></contact:postalInfo>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				v, _ := contactText(t, info, "//contact:postalInfo/contact:name")
				assert.Equal(t, "Jane Doe", v)
				assert.Equal(t, []string{"123 Example Dr.", "Suite 100"}, contactTexts(t, info, "//contact:addr/contact:street"))
				v, _ = contactText(t, info, "//contact:postalInfo/contact:org")
				assert.Equal(t, "Example Inc.", v)
			}},
		{name: "address replaced whole", body: chg(`<contact:postalInfo type="int">` + addr("Stockholm", "SE") + `</contact:postalInfo>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				assert.Empty(t, contactTexts(t, info, "//contact:addr/contact:street"))
				_, hasSP := contactText(t, info, "//contact:addr/contact:sp")
				assert.False(t, hasSP)
				v, _ := contactText(t, info, "//contact:addr/contact:cc")
				assert.Equal(t, "SE", v)
			}},
		{name: "org removed", body: chg(`<contact:postalInfo type="int"><contact:org/></contact:postalInfo>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				_, has := contactText(t, info, "//contact:postalInfo/contact:org")
				assert.False(t, has)
			}},
		{name: "loc added", body: chg(`<contact:postalInfo type="loc"><contact:name>Jöhn</contact:name>` + addr("Malmö", "SE") + `</contact:postalInfo>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				assert.Equal(t, []string{"John Doe", "Jöhn"}, contactTexts(t, info, "//contact:postalInfo/contact:name"))
			}},
		{name: "loc incomplete", body: chg(`<contact:postalInfo type="loc"><contact:name>Jöhn</contact:name></contact:postalInfo>`), want: 2005},
		{name: "int not ASCII", body: chg(`<contact:postalInfo type="int"><contact:name>Jöhn</contact:name></contact:postalInfo>`), want: 2005},
		{name: "bad postalInfo type", body: chg(`<contact:postalInfo type="xyz"><contact:name>J</contact:name></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_EMPTY_NAME", body: chg(`<contact:postalInfo type="int"><contact:name/></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_EMPTY_CITY", body: chg(`<contact:postalInfo type="int">` + addr("", "SE") + `</contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_EMPTY_CC", body: chg(`<contact:postalInfo type="int">` + addr("Dulles", "") + `</contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_CC", body: chg(`<contact:postalInfo type="int">` + addr("Dulles", "QQ") + `</contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_ORG", body: chg(`<contact:postalInfo type="int"><contact:org>` + contactRSTLong + `</contact:org></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_STREET", body: chg(`<contact:postalInfo type="int"><contact:addr><contact:street>` + contactRSTLong +
			`</contact:street><contact:city>Dulles</contact:city><contact:cc>US</contact:cc></contact:addr></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_CITY", body: chg(`<contact:postalInfo type="int">` + addr(contactRSTLong, "US") + `</contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_SP", body: chg(`<contact:postalInfo type="int"><contact:addr><contact:city>Dulles</contact:city><contact:sp>` + contactRSTLong +
			`</contact:sp><contact:cc>US</contact:cc></contact:addr></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_PC", body: chg(`<contact:postalInfo type="int"><contact:addr><contact:city>Dulles</contact:city>` +
			`<contact:pc>12345678901234567</contact:pc><contact:cc>US</contact:cc></contact:addr></contact:postalInfo>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_VOICE", body: chg(`<contact:voice>555-1234</contact:voice>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_FAX", body: chg(`<contact:fax>+1.555.1234</contact:fax>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_EMAIL", body: chg(`<contact:email>nobody</contact:email>`), want: 2005},
		{name: "EPP_CONTACT_UPDATE_SERVER_ACCEPTS_INVALID_STATUS_CODE", body: status("add", "fooProhibited"), want: 2005},
		{name: "voice and fax removed", body: chg(`<contact:voice/><contact:fax/>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				_, v := contactText(t, info, "//contact:infData/contact:voice")
				_, f := contactText(t, info, "//contact:infData/contact:fax")
				assert.False(t, v || f)
			}},
		{name: "voice extension", body: chg(`<contact:voice x="77">+46.812345678</contact:voice>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				el := contactDoc(t, info).FindElement("//contact:infData/contact:voice")
				require.NotNil(t, el)
				assert.Equal(t, "+46.812345678", el.Text())
				assert.Equal(t, "77", el.SelectAttrValue("x", ""))
			}},
		{name: "email", body: chg(`<contact:email>new@example.se</contact:email>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				v, _ := contactText(t, info, "//contact:infData/contact:email")
				assert.Equal(t, "new@example.se", v)
				v, _ = contactText(t, info, "//contact:infData/contact:upID")
				assert.Equal(t, "acme", v)
			}},
		{name: "authInfo", body: chg(`<contact:authInfo><contact:pw>other-pw-2</contact:pw></contact:authInfo>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				v, _ := contactText(t, info, "//contact:authInfo/contact:pw")
				assert.Equal(t, "other-pw-2", v)
			}},
		{name: "authInfo too short", body: chg(`<contact:authInfo><contact:pw>x</contact:pw></contact:authInfo>`), want: 2306},
		{name: "disclose", body: chg(`<contact:disclose flag="1"><contact:name type="loc"/><contact:addr type="int"/><contact:fax/></contact:disclose>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				d := contactDoc(t, info).FindElement("//contact:disclose")
				require.NotNil(t, d)
				assert.Equal(t, "1", d.SelectAttrValue("flag", ""))
				var got []string
				for _, c := range d.ChildElements() {
					got = append(got, c.Tag+c.SelectAttrValue("type", ""))
				}
				assert.Equal(t, []string{"nameloc", "addrint", "fax"}, got)
			}},
		{name: "add client status", body: status("add", "clientDeleteProhibited", "clientTransferProhibited"), want: 1000,
			check: func(t *testing.T, info []byte) {
				assert.Equal(t, []string{"clientDeleteProhibited", "clientTransferProhibited"}, contactStatusesOf(t, info))
			}},
		{name: "add present status", steps: []string{status("add", "clientDeleteProhibited")}, body: status("add", "clientDeleteProhibited"), want: 2306},
		{name: "remove absent status", body: status("rem", "clientDeleteProhibited"), want: 2306},
		{name: "add and remove one status", body: status("add", "clientDeleteProhibited") + status("rem", "clientDeleteProhibited"), want: 2306},
		{name: "remove status", steps: []string{status("add", "clientDeleteProhibited")}, body: status("rem", "clientDeleteProhibited"), want: 1000,
			check: func(t *testing.T, info []byte) { assert.Equal(t, []string{"ok"}, contactStatusesOf(t, info)) }},
		{name: "server status", body: status("add", "serverUpdateProhibited"), want: 2306},
		{name: "derived status ok", body: status("add", "ok"), want: 2306},
		{name: "derived status linked", body: status("rem", "linked"), want: 2306},
		{name: "pending status", body: status("add", "pendingDelete"), want: 2306},
		{name: "nothing to change", body: "", want: 2003},
		{name: "empty chg", body: chg(""), want: 2003},
		{name: "update prohibited", steps: []string{status("add", "clientUpdateProhibited")}, body: chg(`<contact:email>x@example.se</contact:email>`), want: 2304},
		{name: "update prohibited, status added", steps: []string{status("add", "clientUpdateProhibited")}, body: status("add", "clientDeleteProhibited"), want: 2304},
		{name: "update prohibition removed with a change", steps: []string{status("add", "clientUpdateProhibited")},
			body: status("rem", "clientUpdateProhibited") + chg(`<contact:email>x@example.se</contact:email>`), want: 1000,
			check: func(t *testing.T, info []byte) {
				assert.Equal(t, []string{"ok"}, contactStatusesOf(t, info))
				v, _ := contactText(t, info, "//contact:infData/contact:email")
				assert.Equal(t, "x@example.se", v)
			}},
		{name: "elements out of order", body: chg(`<contact:email>x@example.se</contact:email><contact:voice>+1.1</contact:voice>`), want: 2001},
		{name: "chg before add", body: chg(`<contact:email>x@example.se</contact:email>`) + status("add", "clientDeleteProhibited"), want: 2001},
		{name: "status without s", body: `<contact:add><contact:status/></contact:add>`, want: 2001},
		{name: "empty add", body: `<contact:add/>`, want: 2001},
		{name: "ext authInfo", body: chg(`<contact:authInfo><contact:ext><x:y xmlns:x="urn:x"/></contact:ext></contact:authInfo>`), want: 2102},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("upd-%d", i)
			contactCreate(t, e.acme, id)
			for _, s := range tc.steps {
				contactDo(t, e.acme, contactUpdateXML(id, s), 1000)
			}
			before := contactDo(t, e.acme, contactInfoXML(id, ""), 1000)
			contactDo(t, e.acme, contactUpdateXML(id, tc.body), tc.want)
			info := contactDo(t, e.acme, contactInfoXML(id, ""), 1000)
			if tc.want != 1000 {
				assert.Equal(t, epptest.Mask(before), epptest.Mask(info), "a refused update changed the contact")
				return
			}
			upDate, _ := contactText(t, info, "//contact:infData/contact:upDate")
			assert.Equal(t, epp.FormatTime(e.t0), upDate)
			if tc.check != nil {
				tc.check(t, info)
			}
		})
	}

	t.Run("server statuses", func(t *testing.T) {
		contactCreate(t, e.acme, "srv-1")
		ctx := context.Background()
		_, err := e.h.Svc.UpdateContact(ctx, registry.Operator, "srv-1", registry.ContactChange{
			AddStatuses: []string{registry.StatusServerUpdateProhibited, registry.StatusServerDeleteProhibited}})
		require.NoError(t, err)
		info := contactDo(t, e.acme, contactInfoXML("srv-1", ""), 1000)
		assert.Equal(t, []string{"serverDeleteProhibited", "serverUpdateProhibited"}, contactStatusesOf(t, info))
		contactDo(t, e.acme, contactUpdateXML("srv-1", chg(`<contact:email>x@example.se</contact:email>`)), 2304)
		contactDo(t, e.acme, contactUpdateXML("srv-1", status("rem", "serverUpdateProhibited")), 2306)
		contactDo(t, e.acme, contactDeleteXML("srv-1"), 2304)
		_, err = e.h.Svc.UpdateContact(ctx, registry.Operator, "srv-1", registry.ContactChange{
			RemStatuses: []string{registry.StatusServerUpdateProhibited, registry.StatusServerDeleteProhibited}})
		require.NoError(t, err)
		contactDo(t, e.acme, contactUpdateXML("srv-1", chg(`<contact:email>x@example.se</contact:email>`)), 1000)
		contactDo(t, e.acme, contactDeleteXML("srv-1"), 1000)
	})
}

// TestContactPendingTransfer checks that a pending transfer shows, blocks
// update and delete, and that once its auto-approval time has passed the
// contact belongs to the gaining reseller.
func TestContactPendingTransfer(t *testing.T) {
	e := contactSetup(t, "", nil)
	contactCreate(t, e.acme, "trn-1")
	ctx := context.Background()
	require.NoError(t, e.h.Svc.Store().Tx(ctx, func(tx registry.Tx) error {
		c, err := tx.LockContact(ctx, "trn-1")
		if err != nil {
			return err
		}
		c.Transfer = &registry.Transfer{Status: registry.TransferPending, GainingClID: "other", RequestedAt: e.t0,
			LosingClID: "acme", ActBy: e.t0.Add(time.Minute)}
		return tx.UpdateContact(ctx, c)
	}))
	info := contactDo(t, e.acme, contactInfoXML("trn-1", ""), 1000)
	assert.Equal(t, []string{"pendingTransfer"}, contactStatusesOf(t, info))
	contactDo(t, e.acme, contactUpdateXML("trn-1", "<contact:chg><contact:email>x@example.se</contact:email></contact:chg>"), 2304)
	contactDo(t, e.acme, contactDeleteXML("trn-1"), 2304)

	// Sessions and certificates live on the registry's clock too: a short
	// wait keeps them valid.
	e.clock.Advance(time.Minute + time.Second)
	info = contactDo(t, e.other, contactInfoXML("trn-1", ""), 1000)
	clID, _ := contactText(t, info, "//contact:infData/contact:clID")
	assert.Equal(t, "other", clID)
	assert.Equal(t, []string{"ok"}, contactStatusesOf(t, info))
	contactDo(t, e.acme, contactInfoXML("trn-1", ""), 2201)
	contactDo(t, e.other, contactDeleteXML("trn-1"), 1000)
}

// TestContactParsing covers command shapes the schema forbids.
func TestContactParsing(t *testing.T) {
	e := contactSetup(t, "", nil)
	contactCreate(t, e.acme, "parse-1")
	cases := []struct {
		name string
		req  string
		want int
	}{
		{"info without id", contactCmd("info", "", "p-1"), 2001},
		{"info with two ids", contactCmd("info", "<contact:id>parse-1</contact:id><contact:id>parse-1</contact:id>", "p-1"), 2001},
		{"info with text", contactCmd("info", "<contact:id>parse-1</contact:id>stray", "p-1"), 2001},
		{"info with element in id", contactCmd("info", "<contact:id><contact:x/></contact:id>", "p-1"), 2001},
		{"info ext authInfo", contactCmd("info", `<contact:id>parse-1</contact:id><contact:authInfo><contact:ext><x:y xmlns:x="urn:x"/></contact:ext></contact:authInfo>`, "p-1"), 2102},
		{"info authInfo without pw", contactCmd("info", `<contact:id>parse-1</contact:id><contact:authInfo/>`, "p-1"), 2001},
		{"id in another namespace", contactCmd("info", `<x:id xmlns:x="urn:x">parse-1</x:id>`, "p-1"), 2001},
		{"delete with extra element", contactCmd("delete", "<contact:id>parse-1</contact:id><contact:authInfo><contact:pw>2fooBAR</contact:pw></contact:authInfo>", "p-1"), 2001},
		{"verb and object differ", strings.Replace(contactCmd("info", "<contact:id>parse-1</contact:id>", "p-1"), "contact:info", "contact:delete", 2), 2001},
		{"info padded id", contactCmd("info", "<contact:id>\n  parse-1\n</contact:id>", "p-1"), 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			contactDo(t, e.acme, tc.req, tc.want)
		})
	}
	// Still there after all that.
	contactDo(t, e.acme, contactInfoXML("parse-1", ""), 1000)
}
