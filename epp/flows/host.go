package flows

import (
	"context"
	"net/netip"
	"strings"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// registerHost routes the host commands (RFC 5732).
func (f *Flows) registerHost(m *epp.Mux) {
	m.Handle("check", epp.NSHost, epp.HandlerFunc(f.hostCheck))
	m.Handle("info", epp.NSHost, epp.HandlerFunc(f.hostInfo))
	m.Handle("create", epp.NSHost, epp.HandlerFunc(f.hostCreate))
	m.Handle("update", epp.NSHost, epp.HandlerFunc(f.hostUpdate))
	m.Handle("delete", epp.NSHost, epp.HandlerFunc(f.hostDelete))
}

// hostCheck answers <host:check>: whether each name could be created now.
// A syntactically invalid name is answered avail="0" with a reason, not as
// an error.
//
// Result codes: 1000; 2001 (a malformed command); 2306 (more names than the
// registry answers at once, Config.MaxCheck).
func (f *Flows) hostCheck(ctx context.Context, _ *epp.Session, cmd *epp.Command) *epp.Response {
	parts, bad := hostSequence(cmd.Object, hostElem{"name", 1, -1})
	if bad != nil {
		return bad
	}
	names := make([]string, 0, len(parts[0]))
	for _, el := range parts[0] {
		n, bad := hostLabel(el)
		if bad != nil {
			return bad
		}
		names = append(names, n)
	}
	results, err := f.svc.CheckHosts(ctx, names)
	if err != nil {
		return Error(err)
	}
	out := make([]Checked, len(results))
	for i, r := range results {
		out[i] = Checked{ID: r.Name, Avail: r.Avail, Reason: r.Reason}
	}
	return CheckData(epp.NSHost, "host", "name", out)
}

// hostInfo answers <host:info> with the host's data. Any logged-in
// reseller may see any host.
//
// Result codes: 1000; 2001 (a malformed command); 2005 (an invalid host
// name); 2303 (no such host).
func (f *Flows) hostInfo(ctx context.Context, _ *epp.Session, cmd *epp.Command) *epp.Response {
	name, bad := hostNameOnly(cmd.Object)
	if bad != nil {
		return bad
	}
	h, statuses, err := f.svc.HostInfo(ctx, name)
	if err != nil {
		return Error(err)
	}
	inf := NewObject(epp.NSHost, "host", "infData")
	Add(inf, "name", h.Name)
	Add(inf, "roid", h.ROID)
	for _, st := range statuses {
		Add(inf, "status", "").CreateAttr("s", st)
	}
	for _, ip := range h.Addrs {
		hostAddAddr(inf, ip)
	}
	Add(inf, "clID", h.SponsorClID)
	Add(inf, "crID", h.CreatorClID)
	Add(inf, "crDate", epp.FormatTime(h.CreatedAt))
	if h.UpdaterClID != "" {
		Add(inf, "upID", h.UpdaterClID)
	}
	if !h.UpdatedAt.IsZero() {
		Add(inf, "upDate", epp.FormatTime(h.UpdatedAt))
	}
	if !h.TransferredAt.IsZero() {
		Add(inf, "trDate", epp.FormatTime(h.TransferredAt))
	}
	return Success(inf)
}

// hostCreate answers <host:create>. A host under a TLD the registry runs
// (internal) needs its superordinate domain to exist and be the client's,
// and at least one address; any other host takes none.
//
// Result codes: 1000; 2001 (a malformed command); 2003 (an internal host
// without addresses); 2005 (an invalid name or address, or an address of
// the other family than its ip attribute); 2201 (the superordinate domain
// is another reseller's); 2302 (the host exists); 2303 (the superordinate
// domain does not exist); 2304 (the superordinate domain is pending
// deletion); 2306 (addresses for an external host; an address that cannot
// serve DNS, such as loopback or multicast; the same address twice).
func (f *Flows) hostCreate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	parts, bad := hostSequence(cmd.Object, hostElem{"name", 1, 1}, hostElem{"addr", 0, -1})
	if bad != nil {
		return bad
	}
	name, bad := hostLabel(parts[0][0])
	if bad != nil {
		return bad
	}
	addrs, bad := hostAddrs(parts[1])
	if bad != nil {
		return bad
	}
	h, err := f.svc.CreateHost(ctx, s.Actor(cmd), name, addrs)
	if err != nil {
		return Error(err)
	}
	cre := NewObject(epp.NSHost, "host", "creData")
	Add(cre, "name", h.Name)
	Add(cre, "crDate", epp.FormatTime(h.CreatedAt))
	return Success(cre)
}

// hostUpdate answers <host:update>: addresses and statuses added and
// removed, and the name changed (a rename). A rename out of the registry's
// namespace drops the host's addresses; one into it must leave the host
// with at least one. Status texts (the element's content and lang) are
// accepted but not kept.
//
// Result codes: 1000; 2001 (a malformed command); 2003 (nothing to
// change; a rename into the registry's namespace leaving the host without
// addresses); 2005 (an invalid name, address or status value); 2201 (the
// host, or the new superordinate domain, is another reseller's); 2302 (the
// new name is taken); 2303 (no such host; the new superordinate domain
// does not exist); 2304 (clientUpdateProhibited or serverUpdateProhibited,
// or the superordinate domain pending transfer or deletion); 2305 (a rename
// of an external host that other resellers' domains use); 2306 (a server
// or derived status; adding what is there or removing what is not;
// addresses added to an external host or one renamed out of the registry's
// namespace; the last address of a host in use; an address that cannot
// serve DNS).
func (f *Flows) hostUpdate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	parts, bad := hostSequence(cmd.Object,
		hostElem{"name", 1, 1}, hostElem{"add", 0, 1}, hostElem{"rem", 0, 1}, hostElem{"chg", 0, 1})
	if bad != nil {
		return bad
	}
	name, bad := hostLabel(parts[0][0])
	if bad != nil {
		return bad
	}
	var c registry.HostChange
	for i, addRem := range []struct {
		addrs    *[]netip.Addr
		statuses *[]string
	}{{&c.AddAddrs, &c.AddStatuses}, {&c.RemAddrs, &c.RemStatuses}} {
		if len(parts[1+i]) == 0 {
			continue
		}
		sub, bad := hostSequence(parts[1+i][0], hostElem{"addr", 0, -1}, hostElem{"status", 0, 7})
		if bad != nil {
			return bad
		}
		if *addRem.addrs, bad = hostAddrs(sub[0]); bad != nil {
			return bad
		}
		if *addRem.statuses, bad = hostStatusValues(sub[1]); bad != nil {
			return bad
		}
	}
	if len(parts[3]) > 0 {
		sub, bad := hostSequence(parts[3][0], hostElem{"name", 1, 1})
		if bad != nil {
			return bad
		}
		if c.NewName, bad = hostLabel(sub[0][0]); bad != nil {
			return bad
		}
	}
	if _, err := f.svc.UpdateHost(ctx, s.Actor(cmd), name, c); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// hostDelete answers <host:delete>.
//
// Result codes: 1000; 2001 (a malformed command); 2005 (an invalid host
// name); 2201 (another reseller's host); 2303 (no such host); 2304
// (clientDeleteProhibited or serverDeleteProhibited, or the superordinate
// domain pending transfer or deletion); 2305 (a domain delegates to the
// host).
func (f *Flows) hostDelete(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	name, bad := hostNameOnly(cmd.Object)
	if bad != nil {
		return bad
	}
	if err := f.svc.DeleteHost(ctx, s.Actor(cmd), name); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// hostElem is one element of a host-1.0 sequence: its local name and how
// often it may occur (max -1: unbounded).
type hostElem struct {
	name     string
	min, max int
}

// hostSequence checks that el's children are exactly the sequence spec
// describes, in the host namespace and in order, and returns them grouped
// by spec entry. Anything else is 2001, as the schema would have it.
func hostSequence(el *etree.Element, spec ...hostElem) ([][]*etree.Element, *epp.Response) {
	where := "<" + el.Tag + ">"
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return nil, Syntax("unexpected text in %s", where)
		}
	}
	out := make([][]*etree.Element, len(spec))
	i := 0
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != epp.NSHost {
			return nil, Syntax("unexpected element <%s> in %s", c.Tag, where)
		}
		for i < len(spec) && spec[i].name != c.Tag {
			i++
		}
		if i == len(spec) {
			return nil, Syntax("unexpected or misplaced element <%s> in %s", c.Tag, where)
		}
		if spec[i].max >= 0 && len(out[i]) == spec[i].max {
			return nil, Syntax("too many <%s> elements in %s (at most %d)", c.Tag, where, spec[i].max)
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

// hostLabel reads an element of eppcom:labelType (a token of 1 to 255
// characters) holding text only.
func hostLabel(el *etree.Element) (string, *epp.Response) {
	if len(el.ChildElements()) > 0 {
		return "", Syntax("<%s> must hold text only", el.Tag)
	}
	v := strings.Join(strings.Fields(el.Text()), " ")
	if n := len([]rune(v)); n < 1 || n > 255 {
		return "", Syntax("<%s> must be 1 to 255 characters", el.Tag)
	}
	return v, nil
}

// hostNameOnly reads the single <host:name> of an info or delete.
func hostNameOnly(obj *etree.Element) (string, *epp.Response) {
	parts, bad := hostSequence(obj, hostElem{"name", 1, 1})
	if bad != nil {
		return "", bad
	}
	return hostLabel(parts[0][0])
}

// hostAddrs reads <host:addr ip="v4|v6"> elements: the ip attribute
// (default v4) must name the address's family.
func hostAddrs(els []*etree.Element) ([]netip.Addr, *epp.Response) {
	var out []netip.Addr
	for _, el := range els {
		if len(el.ChildElements()) > 0 {
			return nil, Syntax("<addr> must hold text only")
		}
		text := strings.TrimSpace(el.Text())
		family := strings.TrimSpace(el.SelectAttrValue("ip", "v4"))
		for _, a := range el.Attr {
			if a.Space != "" || a.Key != "ip" {
				return nil, Syntax("unexpected attribute %q on <addr>", a.FullKey())
			}
		}
		ip, err := netip.ParseAddr(text)
		switch {
		case family != "v4" && family != "v6":
			return nil, epp.NewResponse(epp.CodeParameterSyntaxError, `the ip attribute of <addr> must be "v4" or "v6", not "`+family+`"`)
		case err != nil || ip.Zone() != "":
			return nil, epp.NewResponse(epp.CodeParameterSyntaxError, "<addr> "+hostQuote(text)+" is not an IP"+family+" address")
		case family == "v4" && !ip.Is4(), family == "v6" && !ip.Is6():
			return nil, epp.NewResponse(epp.CodeParameterSyntaxError, "<addr> "+hostQuote(text)+` is not an IP`+family+` address; give ip="`+hostOtherFamily(family)+`" for it`)
		}
		out = append(out, ip)
	}
	return out, nil
}

func hostOtherFamily(f string) string {
	if f == "v4" {
		return "v6"
	}
	return "v4"
}

// hostQuote writes s in double quotes, shortened if long, for messages.
func hostQuote(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "..."
	}
	return `"` + s + `"`
}

// hostStatusValues reads the s attributes of <host:status> elements. The
// value is checked by the registry (2005 for one that is no host status).
func hostStatusValues(els []*etree.Element) ([]string, *epp.Response) {
	var out []string
	for _, el := range els {
		s := el.SelectAttr("s")
		if s == nil {
			return nil, Syntax(`<status> needs an "s" attribute`)
		}
		if len(el.ChildElements()) > 0 {
			return nil, Syntax("<status> must hold text only")
		}
		v := strings.TrimSpace(s.Value)
		for _, prev := range out {
			if prev == v {
				return nil, epp.NewResponse(epp.CodeParameterPolicyError, "status "+v+" is given more than once")
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// hostAddAddr writes <host:addr ip="v4|v6">.
func hostAddAddr(parent *etree.Element, ip netip.Addr) {
	family := "v4"
	if ip.Is6() {
		family = "v6"
	}
	Add(parent, "addr", ip.String()).CreateAttr("ip", family)
}
