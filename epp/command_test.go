package epp_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>`

// eppDoc wraps inner in an <epp> root in the EPP namespace.
func eppDoc(inner string) string {
	return xmlDecl + `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">` + inner + `</epp>`
}

// cmdDoc is a <command> holding body (verb, extension, clTRID).
func cmdDoc(body string) string { return eppDoc(`<command>` + body + `</command>`) }

// objCmd is an object command: <verb><prefix:verb xmlns:prefix=ns>inner</...></verb>.
func objCmd(verb, prefix, ns, inner string) string {
	return `<` + verb + `><` + prefix + `:` + verb + ` xmlns:` + prefix + `="` + ns + `">` + inner +
		`</` + prefix + `:` + verb + `></` + verb + `>`
}

const domainCreateBody = `<domain:name>example.se</domain:name><domain:period unit="y">1</domain:period>` +
	`<domain:registrant>jd1234</domain:registrant><domain:authInfo><domain:pw>2fooBAR</domain:pw></domain:authInfo>`

// anyTRID in a TestParse case accepts whatever ParseError.ClTRID holds.
const anyTRID = "*"

var objectVerbs = map[string]bool{
	"check": true, "create": true, "delete": true, "info": true, "renew": true, "transfer": true, "update": true,
}

func TestParse(t *testing.T) {
	id64 := strings.Repeat("x", 64)
	cases := []struct {
		name string
		doc  string
		// code is the expected ParseError code; 0 means success.
		code     epp.Code
		verb     string
		cmdName  string // Command.Name()
		objNS    string
		objTag   string
		clTRID   string
		nExt     int
		errTRID  string // ParseError.ClTRID
		noExpand string // text that must appear nowhere in the result
	}{
		// hello
		{name: "hello", doc: eppDoc(`<hello/>`), cmdName: "hello"},
		{name: "hello with whitespace", doc: eppDoc("\n  <hello> \n </hello>\n"), cmdName: "hello"},
		{name: "hello without declaration", doc: `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`, cmdName: "hello"},
		{name: "hello with prefixed root", doc: `<e:epp xmlns:e="urn:ietf:params:xml:ns:epp-1.0"><e:hello/></e:epp>`, cmdName: "hello"},
		{name: "hello with element", doc: eppDoc(`<hello><x/></hello>`), code: epp.CodeSyntaxError},
		{name: "hello with text", doc: eppDoc(`<hello>hi</hello>`), code: epp.CodeSyntaxError},

		// session commands
		{name: "login", doc: epptest.Login("acme", "pw-secret", "ABC-12345"), verb: "login", cmdName: "login", clTRID: "ABC-12345"},
		{name: "logout", doc: epptest.Logout, verb: "logout", cmdName: "logout", clTRID: "logout-1"},
		{name: "poll req", doc: cmdDoc(`<poll op="req"/><clTRID>ABC-12345</clTRID>`), verb: "poll", cmdName: "poll", clTRID: "ABC-12345"},
		{name: "poll ack", doc: cmdDoc(`<poll op="ack" msgID="12345"/>`), verb: "poll", cmdName: "poll"},

		// object commands
		{name: "check domain", doc: cmdDoc(objCmd("check", "domain", epp.NSDomain, `<domain:name>a.se</domain:name><domain:name>b.se</domain:name>`) + `<clTRID>c-1</clTRID>`),
			verb: "check", cmdName: "check:domain", objNS: epp.NSDomain, objTag: "check", clTRID: "c-1"},
		{name: "info domain", doc: cmdDoc(objCmd("info", "domain", epp.NSDomain, `<domain:name hosts="all">a.se</domain:name>`) + `<clTRID>c-2</clTRID>`),
			verb: "info", cmdName: "info:domain", objNS: epp.NSDomain, objTag: "info", clTRID: "c-2"},
		{name: "create domain", doc: cmdDoc(objCmd("create", "domain", epp.NSDomain, domainCreateBody) + `<clTRID>c-3</clTRID>`),
			verb: "create", cmdName: "create:domain", objNS: epp.NSDomain, objTag: "create", clTRID: "c-3"},
		{name: "delete domain", doc: cmdDoc(objCmd("delete", "domain", epp.NSDomain, `<domain:name>a.se</domain:name>`)),
			verb: "delete", cmdName: "delete:domain", objNS: epp.NSDomain, objTag: "delete"},
		{name: "renew domain", doc: cmdDoc(objCmd("renew", "domain", epp.NSDomain, `<domain:name>a.se</domain:name><domain:curExpDate>2030-01-01</domain:curExpDate>`)),
			verb: "renew", cmdName: "renew:domain", objNS: epp.NSDomain, objTag: "renew"},
		{name: "transfer domain", doc: cmdDoc(`<transfer op="request"><domain:transfer xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.se</domain:name></domain:transfer></transfer>`),
			verb: "transfer", cmdName: "transfer:domain", objNS: epp.NSDomain, objTag: "transfer"},
		{name: "update domain", doc: cmdDoc(objCmd("update", "domain", epp.NSDomain, `<domain:name>a.se</domain:name><domain:chg/>`)),
			verb: "update", cmdName: "update:domain", objNS: epp.NSDomain, objTag: "update"},
		{name: "info contact", doc: cmdDoc(objCmd("info", "contact", epp.NSContact, `<contact:id>sh8013</contact:id>`)),
			verb: "info", cmdName: "info:contact", objNS: epp.NSContact, objTag: "info"},
		{name: "info host", doc: cmdDoc(objCmd("info", "host", epp.NSHost, `<host:name>ns1.a.se</host:name>`)),
			verb: "info", cmdName: "info:host", objNS: epp.NSHost, objTag: "info"},
		{name: "info other object", doc: cmdDoc(objCmd("info", "w", "urn:example:widget-1.0", ``) + `<clTRID>w-1</clTRID>`),
			verb: "info", cmdName: "info:other", objNS: "urn:example:widget-1.0", objTag: "info", clTRID: "w-1"},
		{name: "object in default namespace", doc: cmdDoc(`<info><info xmlns="urn:ietf:params:xml:ns:domain-1.0"><name>a.se</name></info></info>`),
			verb: "info", cmdName: "info:domain", objNS: epp.NSDomain, objTag: "info"},
		{name: "object with undeclared prefix", doc: cmdDoc(`<info><domain:info><domain:name>a.se</domain:name></domain:info></info><clTRID>np-1</clTRID>`),
			code: epp.CodeSyntaxError, errTRID: "np-1"},
		{name: "two object elements", doc: cmdDoc(`<info>` + strings.Repeat(`<domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.se</domain:name></domain:info>`, 2) + `</info><clTRID>two-1</clTRID>`),
			code: epp.CodeSyntaxError, errTRID: "two-1"},
		{name: "no object element", doc: cmdDoc(`<info/><clTRID>none-1</clTRID>`), code: epp.CodeSyntaxError, errTRID: "none-1"},

		// extensions
		{name: "create with extensions", doc: cmdDoc(objCmd("create", "domain", epp.NSDomain, domainCreateBody) +
			`<extension><secDNS:create xmlns:secDNS="urn:ietf:params:xml:ns:secDNS-1.1"><secDNS:dsData><secDNS:keyTag>12345</secDNS:keyTag>` +
			`<secDNS:alg>3</secDNS:alg><secDNS:digestType>1</secDNS:digestType><secDNS:digest>49FD46E6C4B45C55D4AC</secDNS:digest></secDNS:dsData></secDNS:create>` +
			`<x:ext xmlns:x="urn:example:ext-1.0"/></extension><clTRID>ext-1</clTRID>`),
			verb: "create", cmdName: "create:domain", objNS: epp.NSDomain, objTag: "create", clTRID: "ext-1", nExt: 2},
		{name: "empty extension", doc: cmdDoc(objCmd("info", "domain", epp.NSDomain, ``) + `<extension/><clTRID>ee-1</clTRID>`),
			code: epp.CodeSyntaxError, errTRID: "ee-1"},
		{name: "extension after clTRID", doc: cmdDoc(objCmd("info", "domain", epp.NSDomain, ``) + `<clTRID>ea-1</clTRID><extension><x:e xmlns:x="urn:example"/></extension>`),
			code: epp.CodeSyntaxError, errTRID: "ea-1"},
		{name: "two extensions", doc: cmdDoc(objCmd("info", "domain", epp.NSDomain, ``) + `<extension><x:e xmlns:x="urn:example"/></extension><extension><x:e xmlns:x="urn:example"/></extension>`),
			code: epp.CodeSyntaxError},

		// clTRID
		{name: "clTRID missing", doc: cmdDoc(`<logout/>`), verb: "logout", cmdName: "logout"},
		{name: "clTRID 2 chars", doc: cmdDoc(`<logout/><clTRID>ab</clTRID>`), code: epp.CodeSyntaxError},
		{name: "clTRID 3 chars", doc: cmdDoc(`<logout/><clTRID>abc</clTRID>`), verb: "logout", cmdName: "logout", clTRID: "abc"},
		{name: "clTRID 64 chars", doc: cmdDoc(`<logout/><clTRID>` + id64 + `</clTRID>`), verb: "logout", cmdName: "logout", clTRID: id64},
		{name: "clTRID 65 chars", doc: cmdDoc(`<logout/><clTRID>` + id64 + `y</clTRID>`), code: epp.CodeSyntaxError},
		{name: "clTRID 64 non-ASCII chars", doc: cmdDoc(`<logout/><clTRID>` + strings.Repeat("é", 64) + `</clTRID>`), verb: "logout", cmdName: "logout", clTRID: strings.Repeat("é", 64)},
		{name: "clTRID trimmed", doc: cmdDoc("<logout/><clTRID>\n  abc-1 \t</clTRID>"), verb: "logout", cmdName: "logout", clTRID: "abc-1"},
		{name: "clTRID 2 chars after trimming", doc: cmdDoc(`<logout/><clTRID>   ab   </clTRID>`), code: epp.CodeSyntaxError},
		{name: "clTRID empty", doc: cmdDoc(`<logout/><clTRID/>`), code: epp.CodeSyntaxError},
		{name: "two clTRIDs", doc: cmdDoc(`<logout/><clTRID>abc-1</clTRID><clTRID>abc-2</clTRID>`), code: epp.CodeSyntaxError, errTRID: anyTRID},

		// unknown commands
		{name: "unknown verb", doc: cmdDoc(`<frobnicate/><clTRID>unk-1</clTRID>`), code: epp.CodeUnknownCommand, errTRID: "unk-1"},
		{name: "verb in another namespace", doc: cmdDoc(`<x:info xmlns:x="urn:example"/><clTRID>unk-2</clTRID>`), code: epp.CodeUnknownCommand, errTRID: "unk-2"},
		{name: "element in another namespace under epp", doc: eppDoc(`<x:foo xmlns:x="urn:example"/>`), code: epp.CodeUnknownCommand},
		{name: "extension under epp", doc: eppDoc(`<extension><x:e xmlns:x="urn:example"/></extension>`), code: epp.CodeUnknownCommand},
		{name: "unknown EPP element under epp", doc: eppDoc(`<frobnicate/>`), code: epp.CodeUnknownCommand},

		// structure
		{name: "wrong root", doc: `<foo/>`, code: epp.CodeSyntaxError},
		{name: "epp in another namespace", doc: `<epp xmlns="urn:ietf:params:xml:ns:epp-0.4"><hello/></epp>`, code: epp.CodeSyntaxError},
		{name: "epp without namespace", doc: `<epp><hello/></epp>`, code: epp.CodeSyntaxError},
		{name: "greeting from client", doc: eppDoc(`<greeting><svID>x</svID></greeting>`), code: epp.CodeSyntaxError},
		{name: "response from client", doc: eppDoc(`<response><result code="1000"><msg>ok</msg></result></response>`), code: epp.CodeSyntaxError},
		{name: "empty epp", doc: eppDoc(``), code: epp.CodeSyntaxError},
		{name: "two elements under epp", doc: eppDoc(`<hello/><hello/>`), code: epp.CodeSyntaxError},
		{name: "empty command", doc: cmdDoc(``), code: epp.CodeSyntaxError},
		{name: "text in epp", doc: eppDoc(`text<hello/>`), code: epp.CodeSyntaxError},
		{name: "text after element in epp", doc: eppDoc(`<hello/>text`), code: epp.CodeSyntaxError},
		{name: "text in command", doc: cmdDoc(`<logout/>text<clTRID>txt-1</clTRID>`), code: epp.CodeSyntaxError, errTRID: "txt-1"},
		{name: "element after clTRID", doc: cmdDoc(`<logout/><clTRID>el-1</clTRID><x/>`), code: epp.CodeSyntaxError, errTRID: "el-1"},

		// malformed XML
		{name: "two roots", doc: eppDoc(`<hello/>`) + `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`, code: epp.CodeSyntaxError},
		{name: "element after the root", doc: eppDoc(`<hello/>`) + `<foo/>`, code: epp.CodeSyntaxError},
		{name: "text after the root", doc: eppDoc(`<hello/>`) + `text`, code: epp.CodeSyntaxError},
		{name: "text before the root", doc: `text` + eppDoc(`<hello/>`), code: epp.CodeSyntaxError},
		{name: "comment and white space around the root", doc: xmlDecl + "\n<!-- c -->\n" + `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>` + "\n<!-- d -->\n", cmdName: "hello"},
		{name: "empty frame", doc: ``, code: epp.CodeSyntaxError},
		{name: "not XML", doc: `hello`, code: epp.CodeSyntaxError},
		{name: "unclosed", doc: xmlDecl + `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info>`, code: epp.CodeSyntaxError},
		{name: "mismatched tags", doc: xmlDecl + `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello></epp></hello>`, code: epp.CodeSyntaxError},
		{name: "undefined entity", doc: cmdDoc(`<logout/><clTRID>&x;abc</clTRID>`), code: epp.CodeSyntaxError},

		// document type declarations: refused, nothing expanded
		{name: "DOCTYPE internal entity", doc: `<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY x "EXPANDED-ENTITY">]>` +
			`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>&x;</clTRID></command></epp>`,
			code: epp.CodeSyntaxError, noExpand: "EXPANDED-ENTITY"},
		{name: "DOCTYPE external entity", doc: `<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>a&x;</clTRID></command></epp>`,
			code: epp.CodeSyntaxError, noExpand: "root:"},
		{name: "lower-case doctype", doc: `<!doctype epp><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`, code: epp.CodeSyntaxError},
		{name: "mixed-case doctype", doc: `<!DocType epp [<!ENTITY x "EXPANDED-ENTITY">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>a&x;</clTRID></command></epp>`,
			code: epp.CodeSyntaxError, noExpand: "EXPANDED-ENTITY"},
		{name: "billion laughs", doc: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
			`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>&lol2;</clTRID></command></epp>`,
			code: epp.CodeSyntaxError, noExpand: "lollol"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := epp.Parse([]byte(tc.doc))
			if tc.code != 0 {
				var pe *epp.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("got %#v, %v; want a *ParseError with code %d", cmd, err, tc.code)
				}
				if cmd != nil {
					t.Errorf("command %#v returned with an error", cmd)
				}
				if pe.Code != tc.code {
					t.Errorf("code %d (%s), want %d", pe.Code, pe.Reason, tc.code)
				}
				if tc.errTRID != anyTRID && pe.ClTRID != tc.errTRID {
					t.Errorf("ParseError.ClTRID %q, want %q", pe.ClTRID, tc.errTRID)
				}
				if pe.Reason == "" {
					t.Error("no reason given")
				}
				if tc.noExpand != "" && strings.Contains(pe.Error()+pe.ClTRID, tc.noExpand) {
					t.Errorf("entity expanded: %v", pe)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			checkCommand(t, cmd)
			if got := cmd.Name(); got != tc.cmdName {
				t.Errorf("Name() = %q, want %q", got, tc.cmdName)
			}
			if cmd.Verb != tc.verb {
				t.Errorf("Verb %q, want %q", cmd.Verb, tc.verb)
			}
			if cmd.ClTRID != tc.clTRID {
				t.Errorf("ClTRID %q, want %q", cmd.ClTRID, tc.clTRID)
			}
			if cmd.ObjectNS != tc.objNS {
				t.Errorf("ObjectNS %q, want %q", cmd.ObjectNS, tc.objNS)
			}
			if tc.objTag != "" && (cmd.Object == nil || cmd.Object.Tag != tc.objTag) {
				t.Errorf("Object %v, want <%s>", cmd.Object, tc.objTag)
			}
			if len(cmd.Extensions) != tc.nExt {
				t.Errorf("%d extensions, want %d", len(cmd.Extensions), tc.nExt)
			}
			if cmd.SvTRID != "" {
				t.Errorf("Parse set SvTRID %q", cmd.SvTRID)
			}
		})
	}
}

// checkCommand asserts what holds for every command Parse returns.
func checkCommand(t *testing.T, cmd *epp.Command) {
	t.Helper()
	if cmd == nil {
		t.Fatal("nil command without error")
	}
	if cmd.Hello == (cmd.Verb != "") {
		t.Fatalf("Hello=%v with Verb %q", cmd.Hello, cmd.Verb)
	}
	if cmd.Hello {
		if cmd.Element != nil || cmd.Object != nil || cmd.ObjectNS != "" || cmd.Extensions != nil || cmd.ClTRID != "" {
			t.Fatalf("hello with other fields set: %#v", cmd)
		}
		return
	}
	if cmd.Element == nil || cmd.Element.Tag != cmd.Verb || cmd.Element.NamespaceURI() != epp.NSEPP {
		t.Fatalf("Element %v does not match verb %q", cmd.Element, cmd.Verb)
	}
	if objectVerbs[cmd.Verb] != (cmd.Object != nil) {
		t.Fatalf("verb %q with Object %v", cmd.Verb, cmd.Object)
	}
	if cmd.Object != nil && (cmd.ObjectNS == "" || cmd.Object.NamespaceURI() != cmd.ObjectNS) {
		t.Fatalf("ObjectNS %q, object in %q", cmd.ObjectNS, cmd.Object.NamespaceURI())
	}
	if cmd.Object == nil && cmd.ObjectNS != "" {
		t.Fatalf("ObjectNS %q without an object", cmd.ObjectNS)
	}
	if n := len([]rune(cmd.ClTRID)); cmd.ClTRID != "" && (n < 3 || n > 64 || strings.TrimSpace(cmd.ClTRID) != cmd.ClTRID) {
		t.Fatalf("ClTRID %q accepted", cmd.ClTRID)
	}
	for _, e := range cmd.Extensions {
		if e == nil {
			t.Fatal("nil extension element")
		}
	}
	switch n := cmd.Name(); {
	case n == cmd.Verb && cmd.Object == nil:
	case cmd.Object != nil && strings.HasPrefix(n, cmd.Verb+":"):
	default:
		t.Fatalf("Name() %q for verb %q", n, cmd.Verb)
	}
}

func TestCommandName(t *testing.T) {
	var nilCmd *epp.Command
	obj := etree.NewElement("info")
	cases := []struct {
		cmd  *epp.Command
		want string
	}{
		{nilCmd, "unparsed"},
		{&epp.Command{Hello: true}, "hello"},
		{&epp.Command{Verb: "login"}, "login"},
		{&epp.Command{Verb: "poll"}, "poll"},
		{&epp.Command{Verb: "info", Object: obj, ObjectNS: epp.NSDomain}, "info:domain"},
		{&epp.Command{Verb: "check", Object: obj, ObjectNS: epp.NSContact}, "check:contact"},
		{&epp.Command{Verb: "update", Object: obj, ObjectNS: epp.NSHost}, "update:host"},
		{&epp.Command{Verb: "info", Object: obj, ObjectNS: "urn:example:widget-1.0"}, "info:other"},
		{&epp.Command{Verb: "info", Object: obj, ObjectNS: epp.NSSecDNS}, "info:other"},
	}
	for _, tc := range cases {
		if got := tc.cmd.Name(); got != tc.want {
			t.Errorf("%#v: Name() = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func TestCommandExtension(t *testing.T) {
	doc := cmdDoc(objCmd("create", "domain", epp.NSDomain, domainCreateBody) +
		`<extension><secDNS:create xmlns:secDNS="urn:ietf:params:xml:ns:secDNS-1.1"><secDNS:maxSigLife>604800</secDNS:maxSigLife></secDNS:create>` +
		`<rgp:update xmlns:rgp="urn:ietf:params:xml:ns:rgp-1.0"><rgp:restore op="request"/></rgp:update></extension><clTRID>x-1</clTRID>`)
	cmd, err := epp.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if e := cmd.Extension(epp.NSSecDNS, "create"); e == nil || e.FindElement("maxSigLife") == nil {
		t.Errorf("secDNS:create not found: %v", e)
	}
	if e := cmd.Extension(epp.NSRGP, "update"); e == nil {
		t.Error("rgp:update not found")
	}
	if e := cmd.Extension(epp.NSRGP, "create"); e != nil {
		t.Errorf("rgp:create found: %v", e)
	}
	if e := cmd.Extension("urn:example", "create"); e != nil {
		t.Errorf("create in another namespace found: %v", e)
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := epp.Parse([]byte(cmdDoc(`<frobnicate/>`)))
	var pe *epp.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(pe.Error(), "2000: ") || !strings.Contains(pe.Error(), "frobnicate") {
		t.Errorf("Error() = %q", pe.Error())
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		eppDoc(`<hello/>`),
		epptest.Hello,
		epptest.Logout,
		epptest.Login("acme", "pw-secret", "ABC-12345"),
		cmdDoc(`<poll op="req"/><clTRID>ABC-12345</clTRID>`),
		cmdDoc(objCmd("info", "domain", epp.NSDomain, `<domain:name>a.se</domain:name>`) + `<clTRID>c-2</clTRID>`),
		cmdDoc(objCmd("create", "domain", epp.NSDomain, domainCreateBody) +
			`<extension><secDNS:create xmlns:secDNS="urn:ietf:params:xml:ns:secDNS-1.1"><secDNS:maxSigLife>1</secDNS:maxSigLife></secDNS:create></extension><clTRID>ext-1</clTRID>`),
		cmdDoc(`<info><info xmlns="urn:ietf:params:xml:ns:domain-1.0"><name>a.se</name></info></info>`),
		cmdDoc(`<info><domain:info><domain:name>a.se</domain:name></domain:info></info>`),
		cmdDoc(`<frobnicate/><clTRID>unk-1</clTRID>`),
		cmdDoc(`<logout/><clTRID>ab</clTRID>`),
		cmdDoc(`<logout/><clTRID>ea-1</clTRID><extension><x:e xmlns:x="urn:example"/></extension>`),
		eppDoc(`<x:foo xmlns:x="urn:example"/>`),
		eppDoc(`<greeting/>`),
		eppDoc(`text<hello/>`),
		`<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY x "y">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`,
		`<e:epp xmlns:e="urn:ietf:params:xml:ns:epp-1.0"><e:command><e:logout/></e:command></e:epp>`,
		`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><!-- c --><clTRID><![CDATA[abc]]></clTRID></command></epp>`,
		`<foo/>`,
		``,
		`<`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		cmd, err := epp.Parse(frame)
		if err != nil {
			if cmd != nil {
				t.Fatalf("command returned with error %v", err)
			}
			var pe *epp.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Code != epp.CodeSyntaxError && pe.Code != epp.CodeUnknownCommand {
				t.Fatalf("ParseError code %d", pe.Code)
			}
			if n := len([]rune(pe.ClTRID)); pe.ClTRID != "" && (n < 3 || n > 64) {
				t.Fatalf("ParseError carries invalid clTRID %q", pe.ClTRID)
			}
			return
		}
		checkCommand(t, cmd)
	})
}

// TestResponsesValidate sends responses a handler builds with
// NewResponse through a real session (which sets the transaction
// identifiers) and validates each against the EPP schemas.
func TestResponsesValidate(t *testing.T) {
	h := newHarness(t, "", nil)
	qdate := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	value := etree.NewElement("domain:name")
	value.CreateAttr("xmlns:domain", epp.NSDomain)
	value.SetText("bad-.se")
	answers := map[string]func(cmd *epp.Command) *epp.Response{
		"1000.se": func(*epp.Command) *epp.Response { return epp.NewResponse(epp.CodeSuccess, "") },
		"1001.se": func(*epp.Command) *epp.Response { return epp.NewResponse(epp.CodeSuccessPending, "queued for review") },
		"1300.se": func(*epp.Command) *epp.Response {
			return epp.NewResponse(epp.CodeSuccessNoMessages, "")
		},
		"1301.se": func(*epp.Command) *epp.Response {
			r := epp.NewResponse(epp.CodeSuccessAckToDequeue, "")
			r.MsgQ = &epp.MsgQ{Count: 5, ID: "12345", QDate: qdate, Msg: "Transfer requested & <pending>."}
			return r
		},
		"msgq-count.se": func(*epp.Command) *epp.Response {
			r := epp.NewResponse(epp.CodeSuccess, "")
			r.MsgQ = &epp.MsgQ{Count: 1, ID: "7"}
			return r
		},
		"2303.se": func(*epp.Command) *epp.Response { return epp.NewResponse(epp.CodeObjectDoesNotExist, "") },
		"2306.se": func(*epp.Command) *epp.Response {
			r := epp.NewResponse(epp.CodeParameterPolicyError, "name refused")
			r.Results[0].Values = []epp.ExtValue{
				{Value: value, Reason: "a label may not end with a hyphen"},
				{Value: etree.NewElement("period"), Reason: "period must be 1 to 10 years"},
			}
			return r
		},
		"multi.se": func(*epp.Command) *epp.Response {
			r := epp.NewResponse(epp.CodeParameterRangeError, "")
			r.Results = append(r.Results, epp.Result{Code: epp.CodeParameterSyntaxError, Msg: "second result"})
			return r
		},
		"resdata.se": func(*epp.Command) *epp.Response {
			r := epp.NewResponse(epp.CodeSuccess, "")
			rd := etree.NewElement("resData")
			cd := rd.CreateElement("domain:chkData")
			cd.CreateAttr("xmlns:domain", epp.NSDomain)
			c := cd.CreateElement("domain:cd")
			c.CreateElement("domain:name").SetText("a.se")
			c.FindElement("domain:name").CreateAttr("avail", "1")
			r.ResData = rd
			return r
		},
		"2500.se": func(*epp.Command) *epp.Response { return epp.NewResponse(epp.CodeCommandFailedClosing, "") },
	}
	h.mux.Handle("info", epp.NSDomain, epp.HandlerFunc(func(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
		name := cmd.Object.FindElement("name").Text()
		if f, ok := answers[name]; ok {
			return f(cmd)
		}
		return epp.NewResponse(epp.CodeObjectDoesNotExist, "")
	}))
	names := []string{"1000.se", "1001.se", "1300.se", "1301.se", "msgq-count.se", "2303.se", "2306.se", "multi.se", "resdata.se", "2500.se"}
	c := h.login()
	for _, withTRID := range []bool{true, false} {
		for _, name := range names {
			label := name + "/without clTRID"
			clTRID := ""
			if withTRID {
				label, clTRID = name+"/with clTRID", "v-"+name
			}
			t.Run(label, func(t *testing.T) {
				if name == "2500.se" {
					c = h.login() // the previous answer of 2500 closed it
				}
				if err := c.Write(domainInfo(name, clTRID)); err != nil {
					t.Fatal(err)
				}
				b, err := epp.ReadFrame(c.Conn, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				epptest.Validate(t, b)
				if got, want := epptest.Code(b), wantCode(name); got != want {
					t.Errorf("code %d, want %d:\n%s", got, want, b)
				}
				if withTRID && !strings.Contains(string(b), "<clTRID>"+clTRID+"</clTRID>") {
					t.Errorf("clTRID not echoed:\n%s", b)
				}
				if !withTRID && strings.Contains(string(b), "<clTRID>") {
					t.Errorf("clTRID in the answer to a command without one:\n%s", b)
				}
				if name == "2500.se" {
					expectClosed(t, c)
				}
			})
		}
		c = h.login()
	}
}

// wantCode is the result code the handler of TestResponsesValidate
// answers name with.
func wantCode(name string) int {
	switch name {
	case "msgq-count.se", "resdata.se":
		return 1000
	case "multi.se":
		return 2004
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(name, ".se"))
	return n
}

// TestExtValueNamespaces: an <extValue> echoes a client element; the
// answer must declare the namespace of its prefix, which the client
// declared on an ancestor.
func TestExtValueNamespaces(t *testing.T) {
	h := newHarness(t, "", nil)
	c := h.dial(&h.acme)
	doc := `<e:epp xmlns:e="urn:ietf:params:xml:ns:epp-1.0"><e:command><e:login><e:clID>acme</e:clID><e:pw>` + acmePW + `</e:pw>` +
		`<e:options><e:version>2.0</e:version><e:lang>en</e:lang></e:options><e:svcs><e:objURI>urn:ietf:params:xml:ns:domain-1.0</e:objURI></e:svcs>` +
		`</e:login><e:clTRID>ns-1</e:clTRID></e:command></e:epp>`
	if err := c.Write(doc); err != nil {
		t.Fatal(err)
	}
	b, err := epp.ReadFrame(c.Conn, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := epptest.Code(b); got != 2100 {
		t.Errorf("code %d, want 2100:\n%s", got, b)
	}
	epptest.Validate(t, b)
	namespaceWellFormed(t, b)
}

// namespaceWellFormed fails t when xmllint reports any problem with doc,
// namespace errors included (xmllint reports those but still exits 0, so
// epptest.Validate lets them through).
func namespaceWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not found")
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("not namespace-well-formed: %v %s\n%s", err, out, doc)
	}
}

// TestParseRejectsMarkupDeclarations: markup declarations may appear
// nowhere in a frame, duplicate attributes make XML malformed, and a
// <clTRID> before the verb breaks the schema's order (2001, not 2000).
func TestParseRejectsMarkupDeclarations(t *testing.T) {
	for name, doc := range map[string]string{
		"directive in epp":       `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/><!ELEMENT x ANY></epp>`,
		"directive in hello":     `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello><!ENTITY x "y"></hello></epp>`,
		"directive in clTRID":    cmdDoc(`<logout/><clTRID>abc<!DOCTYPE x></clTRID>`),
		"declaration not first":  "<!-- c -->" + eppDoc(`<hello/>`),
		"duplicate attribute":    `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello a="1" a="2"/></epp>`,
		"clTRID before the verb": cmdDoc(`<clTRID>abc-1</clTRID><logout/>`),
	} {
		t.Run(name, func(t *testing.T) {
			cmd, err := epp.Parse([]byte(doc))
			var pe *epp.ParseError
			if !errors.As(err, &pe) || pe.Code != epp.CodeSyntaxError {
				t.Errorf("got %+v, %v; want a 2001", cmd, err)
			}
		})
	}
}
