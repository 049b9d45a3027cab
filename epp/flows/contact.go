package flows

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// Contact commands (RFC 5733). The server does not validate commands
// against the schema as a whole, so each flow reads its command strictly
// in schema order: a missing, misplaced, repeated or unknown element is
// 2001; a value the schema or the registry refuses is 2005, or 2306 for a
// registry policy (see registry/contact.go).

// registerContact routes the contact commands. Contact transfer is routed
// with the other transfers.
func (f *Flows) registerContact(m *epp.Mux) {
	m.Handle("check", epp.NSContact, epp.HandlerFunc(f.contactCheck))
	m.Handle("info", epp.NSContact, epp.HandlerFunc(f.contactInfo))
	m.Handle("create", epp.NSContact, epp.HandlerFunc(f.contactCreate))
	m.Handle("update", epp.NSContact, epp.HandlerFunc(f.contactUpdate))
	m.Handle("delete", epp.NSContact, epp.HandlerFunc(f.contactDelete))
}

// contactCheck serves <contact:check> (RFC 5733 section 3.1.1). An
// identifier the registry would not accept is answered avail="0" with a
// reason, unless it is not a clIDType at all (not 3 to 16 characters),
// which could not be echoed in a valid answer.
//
// Result codes: 1000; 2001 (no identifier, or an element out of place);
// 2005 (an identifier of fewer than 3 or more than 16 characters); 2306
// (more identifiers than the registry's MaxCheck); 2400.
func (f *Flows) contactCheck(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q := contactElems(cmd)
	idEls := q.many("id", 1, 0)
	if r := q.done(); r != nil {
		return r
	}
	ids := make([]string, len(idEls))
	for i, el := range idEls {
		id, r := contactToken(el)
		if r != nil {
			return r
		}
		if n := utf8.RuneCountInString(id); n < 3 || n > 16 {
			return contactBadValue(el, "a contact identifier is 3 to 16 characters long")
		}
		ids[i] = id
	}
	res, err := f.svc.CheckContacts(ctx, s.Actor(cmd), ids)
	if err != nil {
		return Error(err)
	}
	out := make([]Checked, len(res))
	for i, r := range res {
		out[i] = Checked{ID: r.ID, Avail: r.Avail, Reason: r.Reason}
	}
	return CheckData(epp.NSContact, "contact", "id", out)
}

// contactInfo serves <contact:info> (RFC 5733 section 3.1.2). The sponsor
// sees everything, authInfo included; another reseller must give the
// contact's authInfo and then sees everything but it.
//
// Result codes: 1000; 2001; 2102 (an <ext> authInfo); 2201 (another
// reseller's contact, no authInfo given); 2202 (wrong authInfo); 2303;
// 2400.
func (f *Flows) contactInfo(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q := contactElems(cmd)
	idEl := q.one("id")
	aiEl := q.opt("authInfo")
	if r := q.done(); r != nil {
		return r
	}
	id, r := contactToken(idEl)
	if r != nil {
		return r
	}
	var pw string
	if aiEl != nil {
		if pw, r = contactAuthInfo(aiEl); r != nil {
			return r
		}
	}
	v, err := f.svc.ContactInfo(ctx, s.Actor(cmd), id, pw)
	if err != nil {
		return Error(err)
	}
	return Success(contactInfData(v))
}

// contactInfData writes a contact's infData in schema order.
func contactInfData(v *registry.ContactView) *etree.Element {
	c := v.Contact
	inf := NewObject(epp.NSContact, "contact", "infData")
	Add(inf, "id", c.ID)
	Add(inf, "roid", c.ROID)
	for _, st := range v.Statuses {
		Add(inf, "status", "").CreateAttr("s", st)
	}
	for _, p := range c.Postal {
		pi := Add(inf, "postalInfo", "")
		pi.CreateAttr("type", p.Type)
		Add(pi, "name", p.Name)
		if p.Org != "" {
			Add(pi, "org", p.Org)
		}
		addr := Add(pi, "addr", "")
		for _, st := range p.Street {
			Add(addr, "street", st)
		}
		Add(addr, "city", p.City)
		if p.SP != "" {
			Add(addr, "sp", p.SP)
		}
		if p.PC != "" {
			Add(addr, "pc", p.PC)
		}
		Add(addr, "cc", p.CC)
	}
	contactAddPhone(inf, "voice", c.Voice, c.VoiceExt)
	contactAddPhone(inf, "fax", c.Fax, c.FaxExt)
	Add(inf, "email", c.Email)
	Add(inf, "clID", c.SponsorClID)
	Add(inf, "crID", c.CreatorClID)
	Add(inf, "crDate", epp.FormatTime(c.CreatedAt))
	if c.UpdaterClID != "" {
		Add(inf, "upID", c.UpdaterClID)
	}
	if !c.UpdatedAt.IsZero() {
		Add(inf, "upDate", epp.FormatTime(c.UpdatedAt))
	}
	if !c.TransferredAt.IsZero() {
		Add(inf, "trDate", epp.FormatTime(c.TransferredAt))
	}
	if v.Sponsor && c.AuthInfo != "" {
		Add(Add(inf, "authInfo", ""), "pw", c.AuthInfo)
	}
	if d := c.Disclose; d != nil {
		de := Add(inf, "disclose", "")
		de.CreateAttr("flag", Bool(d.Flag))
		for _, e := range []struct {
			tag, typ string
			on       bool
		}{
			{"name", "int", d.NameInt}, {"name", "loc", d.NameLoc},
			{"org", "int", d.OrgInt}, {"org", "loc", d.OrgLoc},
			{"addr", "int", d.AddrInt}, {"addr", "loc", d.AddrLoc},
			{"voice", "", d.Voice}, {"fax", "", d.Fax}, {"email", "", d.Email},
		} {
			if e.on {
				el := Add(de, e.tag, "")
				if e.typ != "" {
					el.CreateAttr("type", e.typ)
				}
			}
		}
	}
	return inf
}

func contactAddPhone(parent *etree.Element, tag, number, ext string) {
	if number == "" {
		return
	}
	el := Add(parent, tag, number)
	if ext != "" {
		el.CreateAttr("x", ext)
	}
}

// contactCreate serves <contact:create> (RFC 5733 section 3.2.1).
//
// Result codes: 1000; 2001 (an element missing, repeated or out of
// place); 2005 (a value the schema or RFC 5733 does not allow: identifier
// length, postal information type, empty or over-long name, city or
// other line, non-ASCII "int" information, unknown country code, empty
// or malformed voice or fax, malformed e-mail, disclose naming nothing);
// 2102 (an <ext> authInfo); 2302 (the identifier is taken); 2306
// (identifier characters, authInfo length); 2400.
func (f *Flows) contactCreate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q := contactElems(cmd)
	idEl := q.one("id")
	piEls := q.many("postalInfo", 1, 2)
	voiceEl := q.opt("voice")
	faxEl := q.opt("fax")
	emailEl := q.one("email")
	aiEl := q.one("authInfo")
	dEl := q.opt("disclose")
	if r := q.done(); r != nil {
		return r
	}
	var (
		c registry.Contact
		r *epp.Response
	)
	if c.ID, r = contactToken(idEl); r != nil {
		return r
	}
	for _, el := range piEls {
		p, r := contactPostalInfo(el)
		if r != nil {
			return r
		}
		c.Postal = append(c.Postal, p)
	}
	// The schema allows an empty voice or fax, but a create has nothing to
	// remove: an empty one is a client's mistake (ICANN RST epp-07).
	for _, ph := range []struct {
		el          *etree.Element
		number, ext *string
	}{{voiceEl, &c.Voice, &c.VoiceExt}, {faxEl, &c.Fax, &c.FaxExt}} {
		if ph.el == nil {
			continue
		}
		p, r := contactPhone(ph.el)
		if r != nil {
			return r
		}
		if p.Number == "" {
			return contactBadValue(ph.el, "leave the element out when there is no number")
		}
		*ph.number, *ph.ext = p.Number, p.Ext
	}
	if c.Email, r = contactToken(emailEl); r != nil {
		return r
	}
	if c.AuthInfo, r = contactAuthInfo(aiEl); r != nil {
		return r
	}
	if dEl != nil {
		if c.Disclose, r = contactDisclose(dEl); r != nil {
			return r
		}
	}
	n, err := f.svc.CreateContact(ctx, s.Actor(cmd), &c)
	if err != nil {
		return Error(err)
	}
	cre := NewObject(epp.NSContact, "contact", "creData")
	Add(cre, "id", n.ID)
	Add(cre, "crDate", epp.FormatTime(n.CreatedAt))
	return Success(cre)
}

// contactUpdate serves <contact:update> (RFC 5733 section 3.2.5). Statuses
// added or removed must be client statuses; postal information in <chg>
// replaces the name, organisation and address given, per type; an empty
// voice or fax removes it.
//
// Result codes: 1000; 2001 (an element missing, repeated or out of
// place); 2003 (nothing to change); 2005 (a bad value, as for create, or
// an unknown status); 2102 (an <ext> authInfo); 2201 (another reseller's
// contact); 2303; 2304 (clientUpdateProhibited not removed in the same
// update, serverUpdateProhibited, or a pending transfer); 2306 (a server
// or derived status, a status added that is present or removed that is
// absent, or added and removed at once; authInfo length); 2400.
func (f *Flows) contactUpdate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q := contactElems(cmd)
	idEl := q.one("id")
	addEl := q.opt("add")
	remEl := q.opt("rem")
	chgEl := q.opt("chg")
	if r := q.done(); r != nil {
		return r
	}
	id, r := contactToken(idEl)
	if r != nil {
		return r
	}
	var ch registry.ContactChange
	if addEl != nil {
		if ch.AddStatuses, r = contactStatuses(addEl); r != nil {
			return r
		}
	}
	if remEl != nil {
		if ch.RemStatuses, r = contactStatuses(remEl); r != nil {
			return r
		}
	}
	if chgEl != nil {
		if r := contactChg(chgEl, &ch); r != nil {
			return r
		}
	}
	if _, err := f.svc.UpdateContact(ctx, s.Actor(cmd), id, ch); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// contactStatuses reads the statuses of an <add> or <rem>.
func contactStatuses(el *etree.Element) ([]string, *epp.Response) {
	q := newContactSeq(el)
	els := q.many("status", 1, 7)
	if r := q.done(); r != nil {
		return nil, r
	}
	var out []string
	for _, st := range els {
		a := st.SelectAttr("s")
		if a == nil {
			return nil, Syntax("<contact:status> needs an s attribute")
		}
		if len(st.ChildElements()) > 0 {
			return nil, Syntax("<contact:status> holds text only")
		}
		v := strings.TrimSpace(a.Value)
		if !registry.IsContactStatus(v) {
			return nil, contactBadValue(st, fmt.Sprintf("%q is not a contact status", v))
		}
		out = append(out, v)
	}
	return out, nil
}

// contactChg reads an update's <chg> into ch.
func contactChg(el *etree.Element, ch *registry.ContactChange) *epp.Response {
	q := newContactSeq(el)
	piEls := q.many("postalInfo", 0, 2)
	voiceEl := q.opt("voice")
	faxEl := q.opt("fax")
	emailEl := q.opt("email")
	aiEl := q.opt("authInfo")
	dEl := q.opt("disclose")
	if r := q.done(); r != nil {
		return r
	}
	for _, pe := range piEls {
		pc, r := contactChgPostalInfo(pe)
		if r != nil {
			return r
		}
		ch.Postal = append(ch.Postal, pc)
	}
	var r *epp.Response
	if voiceEl != nil {
		if ch.Voice, r = contactPhone(voiceEl); r != nil {
			return r
		}
	}
	if faxEl != nil {
		if ch.Fax, r = contactPhone(faxEl); r != nil {
			return r
		}
	}
	if emailEl != nil {
		email, r := contactToken(emailEl)
		if r != nil {
			return r
		}
		ch.Email = &email
	}
	if aiEl != nil {
		pw, r := contactAuthInfo(aiEl)
		if r != nil {
			return r
		}
		ch.AuthInfo = &pw
	}
	if dEl != nil {
		if ch.Disclose, r = contactDisclose(dEl); r != nil {
			return r
		}
	}
	return nil
}

// contactDelete serves <contact:delete> (RFC 5733 section 3.2.2).
//
// Result codes: 1000; 2001; 2201 (another reseller's contact); 2303; 2304
// (clientDeleteProhibited, serverDeleteProhibited, or a pending transfer);
// 2305 (a domain refers to the contact); 2400.
func (f *Flows) contactDelete(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q := contactElems(cmd)
	idEl := q.one("id")
	if r := q.done(); r != nil {
		return r
	}
	id, r := contactToken(idEl)
	if r != nil {
		return r
	}
	if err := f.svc.DeleteContact(ctx, s.Actor(cmd), id); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// contactPostalInfo reads a create's <postalInfo>.
func contactPostalInfo(el *etree.Element) (registry.PostalInfo, *epp.Response) {
	var p registry.PostalInfo
	typ, r := contactTypeAttr(el)
	if r != nil {
		return p, r
	}
	p.Type = typ
	q := newContactSeq(el)
	nameEl := q.one("name")
	orgEl := q.opt("org")
	addrEl := q.one("addr")
	if r := q.done(); r != nil {
		return p, r
	}
	if p.Name, r = contactLine(nameEl); r != nil {
		return p, r
	}
	if orgEl != nil {
		if p.Org, r = contactLine(orgEl); r != nil {
			return p, r
		}
	}
	a, r := contactAddr(addrEl)
	if r != nil {
		return p, r
	}
	p.Street, p.City, p.SP, p.PC, p.CC = a.Street, a.City, a.SP, a.PC, a.CC
	return p, nil
}

// contactChgPostalInfo reads an update's <postalInfo>, whose parts are all
// optional.
func contactChgPostalInfo(el *etree.Element) (registry.PostalChange, *epp.Response) {
	var pc registry.PostalChange
	typ, r := contactTypeAttr(el)
	if r != nil {
		return pc, r
	}
	pc.Type = typ
	q := newContactSeq(el)
	nameEl := q.opt("name")
	orgEl := q.opt("org")
	addrEl := q.opt("addr")
	if r := q.done(); r != nil {
		return pc, r
	}
	if nameEl != nil {
		name, r := contactLine(nameEl)
		if r != nil {
			return pc, r
		}
		pc.Name = &name
	}
	if orgEl != nil {
		org, r := contactLine(orgEl)
		if r != nil {
			return pc, r
		}
		pc.Org = &org
	}
	if addrEl != nil {
		if pc.Addr, r = contactAddr(addrEl); r != nil {
			return pc, r
		}
	}
	return pc, nil
}

// contactAddr reads an <addr>.
func contactAddr(el *etree.Element) (*registry.Address, *epp.Response) {
	q := newContactSeq(el)
	streetEls := q.many("street", 0, 3)
	cityEl := q.one("city")
	spEl := q.opt("sp")
	pcEl := q.opt("pc")
	ccEl := q.one("cc")
	if r := q.done(); r != nil {
		return nil, r
	}
	var (
		a registry.Address
		r *epp.Response
	)
	for _, se := range streetEls {
		st, r := contactLine(se)
		if r != nil {
			return nil, r
		}
		a.Street = append(a.Street, st)
	}
	if a.City, r = contactLine(cityEl); r != nil {
		return nil, r
	}
	if spEl != nil {
		if a.SP, r = contactLine(spEl); r != nil {
			return nil, r
		}
	}
	if pcEl != nil {
		if a.PC, r = contactToken(pcEl); r != nil {
			return nil, r
		}
	}
	if a.CC, r = contactToken(ccEl); r != nil {
		return nil, r
	}
	return &a, nil
}

// contactTypeAttr reads the required type attribute of a <postalInfo>;
// its value is checked by the registry.
func contactTypeAttr(el *etree.Element) (string, *epp.Response) {
	a := el.SelectAttr("type")
	if a == nil {
		return "", Syntax("<contact:%s> needs a type attribute (int or loc)", el.Tag)
	}
	v := strings.TrimSpace(a.Value)
	if v != registry.PostalInt && v != registry.PostalLoc {
		return "", contactBadValue(el, fmt.Sprintf("type must be int or loc, not %q", v))
	}
	return v, nil
}

// contactPhone reads a <voice> or <fax>: its number (possibly empty) and
// its x attribute.
func contactPhone(el *etree.Element) (*registry.Phone, *epp.Response) {
	n, r := contactToken(el)
	if r != nil {
		return nil, r
	}
	return &registry.Phone{Number: n, Ext: strings.TrimSpace(el.SelectAttrValue("x", ""))}, nil
}

// contactAuthInfo reads an <authInfo>: the password of its <pw>, as
// given. An <ext> authInfo is not offered.
func contactAuthInfo(el *etree.Element) (string, *epp.Response) {
	q := newContactSeq(el)
	pwEl := q.opt("pw")
	extEl := q.opt("ext")
	if r := q.done(); r != nil {
		return "", r
	}
	switch {
	case pwEl != nil && extEl == nil:
		if len(pwEl.ChildElements()) > 0 {
			return "", Syntax("<contact:pw> holds text only")
		}
		return pwEl.Text(), nil
	case pwEl == nil && extEl != nil:
		return "", epp.NewResponse(epp.CodeUnimplementedOption, "only password authorisation information (<contact:pw>) is supported")
	}
	return "", Syntax("<contact:authInfo> needs exactly one of <contact:pw> or <contact:ext>")
}

// contactDisclose reads a <disclose>.
func contactDisclose(el *etree.Element) (*registry.Disclose, *epp.Response) {
	var d registry.Disclose
	flag := el.SelectAttr("flag")
	if flag == nil {
		return nil, Syntax("<contact:disclose> needs a flag attribute")
	}
	switch strings.TrimSpace(flag.Value) {
	case "1", "true":
		d.Flag = true
	case "0", "false":
	default:
		return nil, contactBadValue(el, "flag must be 0 or 1")
	}
	q := newContactSeq(el)
	typed := map[string][2]*bool{
		"name": {&d.NameInt, &d.NameLoc},
		"org":  {&d.OrgInt, &d.OrgLoc},
		"addr": {&d.AddrInt, &d.AddrLoc},
	}
	for _, tag := range []string{"name", "org", "addr"} {
		for _, e := range q.many(tag, 0, 2) {
			typ, r := contactTypeAttr(e)
			if r != nil {
				return nil, r
			}
			if typ == registry.PostalInt {
				*typed[tag][0] = true
			} else {
				*typed[tag][1] = true
			}
		}
	}
	d.Voice = q.opt("voice") != nil
	d.Fax = q.opt("fax") != nil
	d.Email = q.opt("email") != nil
	if r := q.done(); r != nil {
		return nil, r
	}
	return &d, nil
}

// contactToken reads the text of a leaf element of an XML Schema token
// type: white space collapsed.
func contactToken(el *etree.Element) (string, *epp.Response) {
	s, r := contactLine(el)
	return strings.Join(strings.Fields(s), " "), r
}

// contactLine reads the text of a leaf element as given; the registry
// trims it.
func contactLine(el *etree.Element) (string, *epp.Response) {
	if len(el.ChildElements()) > 0 {
		return "", Syntax("<contact:%s> holds text only", el.Tag)
	}
	return el.Text(), nil
}

// contactBadValue answers 2005 naming the offending element.
func contactBadValue(el *etree.Element, reason string) *epp.Response {
	v := etree.NewElement("contact:" + el.Tag)
	v.CreateAttr("xmlns:contact", epp.NSContact)
	for _, a := range el.Attr {
		if a.Space == "" {
			v.CreateAttr(a.Key, a.Value)
		}
	}
	if len(el.ChildElements()) == 0 {
		v.SetText(el.Text())
	}
	msg := fmt.Sprintf("<contact:%s>: %s", el.Tag, reason)
	return &epp.Response{Results: []epp.Result{{Code: epp.CodeParameterSyntaxError, Msg: msg, Values: []epp.ExtValue{{Value: v, Reason: reason}}}}}
}

// contactSeq reads the child elements of a contact command element in
// schema order. The first failure sticks and is returned by done.
type contactSeq struct {
	parent *etree.Element
	kids   []*etree.Element
	err    *epp.Response
}

// contactElems starts reading the command's object element, which must be
// the verb's <contact:verb>.
func contactElems(cmd *epp.Command) *contactSeq {
	q := newContactSeq(cmd.Object)
	if cmd.Object.Tag != cmd.Verb && q.err == nil {
		q.err = Syntax("<%s> must contain <contact:%s>, not <contact:%s>", cmd.Verb, cmd.Verb, cmd.Object.Tag)
	}
	return q
}

func newContactSeq(el *etree.Element) *contactSeq {
	q := &contactSeq{parent: el, kids: el.ChildElements()}
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			q.err = Syntax("unexpected text in <contact:%s>", el.Tag)
		}
	}
	return q
}

func (q *contactSeq) next(name string) bool {
	return q.err == nil && len(q.kids) > 0 && q.kids[0].Tag == name && q.kids[0].NamespaceURI() == epp.NSContact
}

// one takes the required element name.
func (q *contactSeq) one(name string) *etree.Element {
	if q.err == nil && !q.next(name) {
		q.err = Syntax("<contact:%s> needs <contact:%s>%s", q.parent.Tag, name, q.found())
		return nil
	}
	return q.opt(name)
}

// opt takes the element name if it is next.
func (q *contactSeq) opt(name string) *etree.Element {
	if !q.next(name) {
		return nil
	}
	el := q.kids[0]
	q.kids = q.kids[1:]
	return el
}

// many takes min to max (0: any number of) elements name.
func (q *contactSeq) many(name string, min, max int) []*etree.Element {
	var out []*etree.Element
	for q.next(name) {
		out = append(out, q.opt(name))
	}
	switch {
	case q.err != nil:
	case len(out) < min:
		q.err = Syntax("<contact:%s> needs at least %d <contact:%s>%s", q.parent.Tag, min, name, q.found())
	case max > 0 && len(out) > max:
		q.err = Syntax("<contact:%s> may hold at most %d <contact:%s>", q.parent.Tag, max, name)
	}
	return out
}

// done is the first failure, or a 2001 for an element left unread.
func (q *contactSeq) done() *epp.Response {
	if q.err == nil && len(q.kids) > 0 {
		q.err = Syntax("unexpected element <%s> in <contact:%s>", contactName(q.kids[0]), q.parent.Tag)
	}
	return q.err
}

func (q *contactSeq) found() string {
	if len(q.kids) == 0 {
		return ""
	}
	return fmt.Sprintf(" where <%s> is", contactName(q.kids[0]))
}

func contactName(el *etree.Element) string {
	if el.NamespaceURI() == epp.NSContact {
		return "contact:" + el.Tag
	}
	return el.FullTag()
}
