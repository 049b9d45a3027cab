package flows

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// Reading and writing the XML of domain commands, and of the secDNS-1.1
// and rgp-1.0 extensions on them.

// domainElem is one element of a schema sequence: its local name and how
// often it may occur (max -1: unbounded).
type domainElem struct {
	name     string
	min, max int
}

// domainSequence checks that el's children are exactly the sequence spec
// describes, in namespace ns and in order, and returns them grouped by
// spec entry. Anything else is 2001, as the schema would have it.
func domainSequence(el *etree.Element, ns string, spec ...domainElem) ([][]*etree.Element, *epp.Response) {
	where := "<" + el.FullTag() + ">"
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return nil, Syntax("unexpected text in %s", where)
		}
	}
	out := make([][]*etree.Element, len(spec))
	i := 0
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != ns {
			return nil, Syntax("unexpected element <%s> in %s", c.FullTag(), where)
		}
		for i < len(spec) && spec[i].name != c.Tag {
			i++
		}
		if i == len(spec) {
			return nil, Syntax("unexpected or misplaced element <%s> in %s", c.FullTag(), where)
		}
		if spec[i].max >= 0 && len(out[i]) == spec[i].max {
			return nil, Syntax("too many <%s> elements in %s (at most %d)", c.FullTag(), where, spec[i].max)
		}
		out[i] = append(out[i], c)
	}
	for i, sp := range spec {
		if len(out[i]) < sp.min {
			return nil, Syntax("%s needs <%s>", where, sp.name)
		}
	}
	return out, nil
}

// domainOne returns the only element of a group, or nil.
func domainOne(els []*etree.Element) *etree.Element {
	if len(els) == 0 {
		return nil
	}
	return els[0]
}

// domainAttrs refuses attributes of el other than the allowed ones
// (namespace declarations aside).
func domainAttrs(el *etree.Element, allowed ...string) *epp.Response {
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		if a.Space != "" || !slices.Contains(allowed, a.Key) {
			return Syntax("unexpected attribute %q on <%s>", a.FullKey(), el.FullTag())
		}
	}
	return nil
}

// domainText reads the text of an element that holds text only, with
// white space collapsed as for xs:token.
func domainText(el *etree.Element) (string, *epp.Response) {
	if len(el.ChildElements()) > 0 {
		return "", Syntax("<%s> must hold text only", el.FullTag())
	}
	return strings.Join(strings.Fields(el.Text()), " "), nil
}

// domainLabel reads an element of eppcom:labelType: 1 to 255 characters.
func domainLabel(el *etree.Element) (string, *epp.Response) {
	v, bad := domainText(el)
	if bad != nil {
		return "", bad
	}
	if n := len([]rune(v)); n < 1 || n > 255 {
		return "", Syntax("<%s> must be 1 to 255 characters", el.FullTag())
	}
	return v, nil
}

// domainNameOnly reads the single <domain:name> of a delete.
func domainNameOnly(obj *etree.Element) (string, *epp.Response) {
	parts, bad := domainSequence(obj, epp.NSDomain, domainElem{"name", 1, 1})
	if bad != nil {
		return "", bad
	}
	if bad := domainAttrs(parts[0][0]); bad != nil {
		return "", bad
	}
	return domainLabel(parts[0][0])
}

// domainContacts reads <domain:contact type="..."> elements. The type is
// checked by the registry.
func domainContacts(els []*etree.Element) ([]registry.DomainContact, *epp.Response) {
	var out []registry.DomainContact
	for _, el := range els {
		if bad := domainAttrs(el, "type"); bad != nil {
			return nil, bad
		}
		id, bad := domainText(el)
		if bad != nil {
			return nil, bad
		}
		out = append(out, registry.DomainContact{Type: strings.TrimSpace(el.SelectAttrValue("type", "")), ID: id})
	}
	return out, nil
}

// domainNS reads a <domain:ns> (nil: none): host objects only. Host
// attributes are 2102, as the registry keeps name servers as host objects.
func domainNS(el *etree.Element) ([]string, *epp.Response) {
	if el == nil {
		return nil, nil
	}
	if bad := domainAttrs(el); bad != nil {
		return nil, bad
	}
	if len(Children(el, epp.NSDomain, "hostAttr")) > 0 {
		return nil, epp.NewResponse(epp.CodeUnimplementedOption,
			"name servers are host objects in this registry: give <domain:hostObj>, not <domain:hostAttr>")
	}
	parts, bad := domainSequence(el, epp.NSDomain, domainElem{"hostObj", 1, -1})
	if bad != nil {
		return nil, bad
	}
	var out []string
	for _, h := range parts[0] {
		n, bad := domainLabel(h)
		if bad != nil {
			return nil, bad
		}
		out = append(out, n)
	}
	return out, nil
}

// domainAuthInfo reads a <domain:authInfo> (nil: none given; ok false).
// <domain:null/> is allowed where nullOK (an update's chg). The roid
// attribute of <pw> is returned for the caller to accept or refuse.
func domainAuthInfo(el *etree.Element, nullOK bool) (pw, roid string, isNull, ok bool, bad *epp.Response) {
	if el == nil {
		return "", "", false, false, nil
	}
	if bad := domainAttrs(el); bad != nil {
		return "", "", false, false, bad
	}
	kids := el.ChildElements()
	if len(kids) != 1 || kids[0].NamespaceURI() != epp.NSDomain {
		return "", "", false, false, Syntax("<%s> must hold one <pw> or <ext>", el.FullTag())
	}
	switch c := kids[0]; c.Tag {
	case "pw":
		if bad := domainAttrs(c, "roid"); bad != nil {
			return "", "", false, false, bad
		}
		if len(c.ChildElements()) > 0 {
			return "", "", false, false, Syntax("<%s> must hold text only", c.FullTag())
		}
		return c.Text(), strings.TrimSpace(c.SelectAttrValue("roid", "")), false, true, nil
	case "ext":
		return "", "", false, false, epp.NewResponse(epp.CodeUnimplementedOption,
			"extended authorisation information (<domain:ext>) is not supported; give <domain:pw>")
	case "null":
		if nullOK {
			return "", "", true, true, nil
		}
	}
	return "", "", false, false, Syntax("unexpected element <%s> in <%s>", kids[0].FullTag(), el.FullTag())
}

// domainStatusValues reads the s attributes of <domain:status> elements.
// Their texts are accepted but not kept; the values are checked by the
// registry.
func domainStatusValues(els []*etree.Element) ([]string, *epp.Response) {
	var out []string
	for _, el := range els {
		if bad := domainAttrs(el, "s", "lang"); bad != nil {
			return nil, bad
		}
		s := el.SelectAttr("s")
		if s == nil {
			return nil, Syntax(`<%s> needs an "s" attribute`, el.FullTag())
		}
		if len(el.ChildElements()) > 0 {
			return nil, Syntax("<%s> must hold text only", el.FullTag())
		}
		out = append(out, strings.TrimSpace(s.Value))
	}
	return out, nil
}

// domainPeriod reads an optional <domain:period> in years (0: none).
func domainPeriod(el *etree.Element) (int, *epp.Response) {
	if el == nil {
		return 0, nil
	}
	if bad := domainAttrs(el, "unit"); bad != nil {
		return 0, bad
	}
	if len(el.ChildElements()) > 0 {
		return 0, Syntax("<%s> must hold text only", el.FullTag())
	}
	return Period(el.Parent(), epp.NSDomain)
}

// domainDate reads an xs:date: YYYY-MM-DD, with an optional time zone,
// which does not change the date meant.
func domainDate(el *etree.Element) (time.Time, *epp.Response) {
	v, bad := domainText(el)
	if bad != nil {
		return time.Time{}, bad
	}
	date := v
	if len(date) > 10 {
		switch tz := date[10:]; {
		case tz == "Z", len(tz) == 6 && (tz[0] == '+' || tz[0] == '-'):
			date = date[:10]
		}
	}
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, epp.NewResponse(epp.CodeParameterSyntaxError, "<"+el.FullTag()+"> must be a date such as 2027-03-17, not "+strconv.Quote(v))
	}
	return t, nil
}

// selected reports whether the client selected the extension uri at
// login: responses carry only extensions the client asked for.
func selected(s *epp.Session, uri string) bool { return slices.Contains(s.Extensions, uri) }

// domainExtensions checks that the command carries no extension other
// than the ones named (namespace and local name, in pairs), and returns
// those it carries, by position.
func domainExtensions(cmd *epp.Command, allowed ...string) ([]*etree.Element, *epp.Response) {
	out := make([]*etree.Element, len(allowed)/2)
	for _, e := range cmd.Extensions {
		found := false
		for i := 0; i+1 < len(allowed); i += 2 {
			if e.NamespaceURI() == allowed[i] && e.Tag == allowed[i+1] {
				if out[i/2] != nil {
					return nil, Syntax("the extension <%s> is given more than once", e.FullTag())
				}
				out[i/2], found = e, true
			}
		}
		if !found {
			return nil, epp.NewResponse(epp.CodeUnimplementedExtension,
				"the extension <"+e.FullTag()+"> ("+e.NamespaceURI()+") does not apply to <domain:"+cmd.Verb+">")
		}
	}
	return out, nil
}

// --- secDNS-1.1 (RFC 5910) ---

// secDNSUint reads an unsigned number of at most bits bits: 2005 when it
// is not a number, 2004 when it is out of range.
func secDNSUint(el *etree.Element, bits int) (uint64, *epp.Response) {
	v, bad := domainText(el)
	if bad != nil {
		return 0, bad
	}
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, epp.NewResponse(epp.CodeParameterSyntaxError,
			"<"+el.FullTag()+"> must be a whole number, not "+strconv.Quote(v))
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, epp.NewResponse(epp.CodeParameterRangeError,
			"<"+el.FullTag()+"> must be from 0 to "+strconv.FormatUint(1<<bits-1, 10)+", not "+v)
	}
	return n, nil
}

// secDNSDSData reads <secDNS:dsData> elements. Key data inside them is
// 2102: the registry keeps DS records only.
func secDNSDSData(els []*etree.Element) ([]registry.DSData, *epp.Response) {
	var out []registry.DSData
	for _, el := range els {
		if bad := domainAttrs(el); bad != nil {
			return nil, bad
		}
		if Child(el, epp.NSSecDNS, "keyData") != nil {
			return nil, epp.NewResponse(epp.CodeUnimplementedOption,
				"key data within DS data (<secDNS:keyData>) is not supported; give the DS record alone")
		}
		parts, bad := domainSequence(el, epp.NSSecDNS,
			domainElem{"keyTag", 1, 1}, domainElem{"alg", 1, 1}, domainElem{"digestType", 1, 1}, domainElem{"digest", 1, 1})
		if bad != nil {
			return nil, bad
		}
		keyTag, bad := secDNSUint(parts[0][0], 16)
		if bad != nil {
			return nil, bad
		}
		alg, bad := secDNSUint(parts[1][0], 8)
		if bad != nil {
			return nil, bad
		}
		digestType, bad := secDNSUint(parts[2][0], 8)
		if bad != nil {
			return nil, bad
		}
		digest, bad := domainText(parts[3][0])
		if bad != nil {
			return nil, bad
		}
		out = append(out, registry.DSData{KeyTag: uint16(keyTag), Alg: uint8(alg), DigestType: uint8(digestType), Digest: digest})
	}
	return out, nil
}

// secDNSUnimplemented answers what of secDNS the registry does not offer:
// the key data interface, a maximum signature life.
func secDNSUnimplemented(what string) *epp.Response {
	return epp.NewResponse(epp.CodeUnimplementedOption, what+" is not supported: the registry offers the DS data interface only (<secDNS:dsData>)")
}

// secDNSDsOrKey reads a secDNS dsOrKeyType (a create, or an update's add):
// DS records only.
func secDNSDsOrKey(el *etree.Element) ([]registry.DSData, *epp.Response) {
	if bad := domainAttrs(el); bad != nil {
		return nil, bad
	}
	parts, bad := domainSequence(el, epp.NSSecDNS,
		domainElem{"maxSigLife", 0, 1}, domainElem{"dsData", 0, -1}, domainElem{"keyData", 0, -1})
	if bad != nil {
		return nil, bad
	}
	switch {
	case len(parts[0]) > 0:
		return nil, secDNSUnimplemented("a maximum signature life (<secDNS:maxSigLife>)")
	case len(parts[2]) > 0:
		return nil, secDNSUnimplemented("the key data interface (<secDNS:keyData>)")
	case len(parts[1]) == 0:
		return nil, Syntax("<%s> needs <secDNS:dsData>", el.FullTag())
	}
	return secDNSDSData(parts[1])
}

// secDNSUpdate reads <secDNS:update> into c.
func secDNSUpdate(el *etree.Element, c *registry.DomainChange) *epp.Response {
	if bad := domainAttrs(el, "urgent"); bad != nil {
		return bad
	}
	switch strings.TrimSpace(el.SelectAttrValue("urgent", "false")) {
	case "false", "0":
	case "true", "1":
		return epp.NewResponse(epp.CodeUnimplementedOption, "urgent DNSSEC updates are not supported; leave out urgent=\"true\"")
	default:
		return Syntax(`the urgent attribute of <%s> must be a boolean`, el.FullTag())
	}
	parts, bad := domainSequence(el, epp.NSSecDNS, domainElem{"rem", 0, 1}, domainElem{"add", 0, 1}, domainElem{"chg", 0, 1})
	if bad != nil {
		return bad
	}
	if rem := domainOne(parts[0]); rem != nil {
		if bad := domainAttrs(rem); bad != nil {
			return bad
		}
		rp, bad := domainSequence(rem, epp.NSSecDNS, domainElem{"all", 0, 1}, domainElem{"dsData", 0, -1}, domainElem{"keyData", 0, -1})
		if bad != nil {
			return bad
		}
		switch n := len(rp[0]) + len(rp[1]) + len(rp[2]); {
		case len(rp[2]) > 0:
			return secDNSUnimplemented("the key data interface (<secDNS:keyData>)")
		case n == 0:
			return Syntax("<%s> needs <secDNS:all> or <secDNS:dsData>", rem.FullTag())
		case len(rp[0]) > 0 && len(rp[1]) > 0:
			return Syntax("<%s> holds either <secDNS:all> or <secDNS:dsData>, not both", rem.FullTag())
		case len(rp[0]) > 0:
			v, bad := domainText(rp[0][0])
			if bad != nil {
				return bad
			}
			switch v {
			case "true", "1":
				c.RemAllDS = true
			case "false", "0":
				return epp.NewResponse(epp.CodeParameterPolicyError, "<secDNS:all>false</secDNS:all> removes nothing; leave <secDNS:rem> out")
			default:
				return Syntax("<%s> must be a boolean", rp[0][0].FullTag())
			}
		default:
			if c.RemDS, bad = secDNSDSData(rp[1]); bad != nil {
				return bad
			}
		}
	}
	if add := domainOne(parts[1]); add != nil {
		var bad *epp.Response
		if c.AddDS, bad = secDNSDsOrKey(add); bad != nil {
			return bad
		}
	}
	if chg := domainOne(parts[2]); chg != nil {
		cp, bad := domainSequence(chg, epp.NSSecDNS, domainElem{"maxSigLife", 0, 1})
		if bad != nil {
			return bad
		}
		if len(cp[0]) > 0 {
			return secDNSUnimplemented("a maximum signature life (<secDNS:maxSigLife>)")
		}
	}
	return nil
}

// secDNSInfData is <secDNS:infData> for ds.
func secDNSInfData(ds []registry.DSData) *etree.Element {
	inf := NewObject(epp.NSSecDNS, "secDNS", "infData")
	for _, d := range ds {
		el := Add(inf, "dsData", "")
		Add(el, "keyTag", strconv.Itoa(int(d.KeyTag)))
		Add(el, "alg", strconv.Itoa(int(d.Alg)))
		Add(el, "digestType", strconv.Itoa(int(d.DigestType)))
		Add(el, "digest", d.Digest)
	}
	return inf
}

// --- rgp-1.0 (RFC 3915) ---

// rgpRestore reads <rgp:update><rgp:restore op="request|report">. A
// report (op="report") is returned for the history; a request has none.
func rgpRestore(el *etree.Element) (*registry.RestoreReport, *epp.Response) {
	if bad := domainAttrs(el); bad != nil {
		return nil, bad
	}
	parts, bad := domainSequence(el, epp.NSRGP, domainElem{"restore", 1, 1})
	if bad != nil {
		return nil, bad
	}
	restore := parts[0][0]
	if bad := domainAttrs(restore, "op"); bad != nil {
		return nil, bad
	}
	rp, bad := domainSequence(restore, epp.NSRGP, domainElem{"report", 0, 1})
	if bad != nil {
		return nil, bad
	}
	op := strings.TrimSpace(restore.SelectAttrValue("op", ""))
	switch {
	case op == "request" && len(rp[0]) == 0:
		return nil, nil
	case op == "request":
		return nil, Syntax(`a restore with op="request" takes no <rgp:report>; send it with op="report"`)
	case op == "report" && len(rp[0]) == 0:
		return nil, Syntax(`a restore with op="report" needs <rgp:report>`)
	case op == "report":
		return rgpReport(rp[0][0])
	case op == "":
		return nil, Syntax(`<%s> needs an "op" attribute`, restore.FullTag())
	}
	return nil, epp.NewResponse(epp.CodeParameterSyntaxError, `the restore op must be "request" or "report", not "`+op+`"`)
}

// rgpReport reads a restore report (RFC 3915 section 4.2.5).
func rgpReport(el *etree.Element) (*registry.RestoreReport, *epp.Response) {
	parts, bad := domainSequence(el, epp.NSRGP,
		domainElem{"preData", 1, 1}, domainElem{"postData", 1, 1}, domainElem{"delTime", 1, 1},
		domainElem{"resTime", 1, 1}, domainElem{"resReason", 1, 1}, domainElem{"statement", 1, 2},
		domainElem{"other", 0, 1})
	if bad != nil {
		return nil, bad
	}
	content := func(e *etree.Element) string {
		// The mixed content types allow any markup; the history keeps
		// it as written.
		var b strings.Builder
		for _, t := range e.Child {
			switch v := t.(type) {
			case *etree.CharData:
				b.WriteString(v.Data)
			case *etree.Element:
				d := etree.NewDocument()
				d.SetRoot(v.Copy())
				s, _ := d.WriteToString()
				b.WriteString(s)
			}
		}
		return strings.TrimSpace(b.String())
	}
	times := make([]time.Time, 2)
	for i, e := range []*etree.Element{parts[2][0], parts[3][0]} {
		v, bad := domainText(e)
		if bad != nil {
			return nil, bad
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, epp.NewResponse(epp.CodeParameterSyntaxError,
				"<"+e.FullTag()+"> must be a date and time such as 2027-03-17T10:00:00Z, not "+strconv.Quote(v))
		}
		times[i] = t.UTC()
	}
	r := &registry.RestoreReport{
		PreData: content(parts[0][0]), PostData: content(parts[1][0]),
		DelTime: times[0], ResTime: times[1], ResReason: content(parts[4][0]),
	}
	for _, st := range parts[5] {
		r.Statements = append(r.Statements, content(st))
	}
	if o := domainOne(parts[6]); o != nil {
		r.Other = content(o)
	}
	return r, nil
}

// rgpData is <rgp:infData> (tag "infData") or <rgp:upData> ("upData")
// listing statuses.
func rgpData(tag string, statuses []string) *etree.Element {
	el := NewObject(epp.NSRGP, "rgp", tag)
	for _, st := range statuses {
		Add(el, "rgpStatus", "").CreateAttr("s", st)
	}
	return el
}
