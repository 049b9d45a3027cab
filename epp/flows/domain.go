package flows

import (
	"context"
	"strings"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// registerDomain routes the domain commands (RFC 5731) but transfer, with
// the DNSSEC (RFC 5910, secDNS-1.1), grace period (RFC 3915, rgp-1.0) and
// reseller model (reseller-1.0) extensions.
func (f *Flows) registerDomain(m *epp.Mux) {
	m.Handle("check", epp.NSDomain, epp.HandlerFunc(f.domainCheck))
	m.Handle("info", epp.NSDomain, epp.HandlerFunc(f.domainInfo))
	m.Handle("create", epp.NSDomain, epp.HandlerFunc(f.domainCreate))
	m.Handle("update", epp.NSDomain, epp.HandlerFunc(f.domainUpdate))
	m.Handle("delete", epp.NSDomain, epp.HandlerFunc(f.domainDelete))
	m.Handle("renew", epp.NSDomain, epp.HandlerFunc(f.domainRenew))
	m.AnnounceExtension(epp.NSSecDNS)
	m.AnnounceExtension(epp.NSRGP)
	m.AnnounceExtension(epp.NSReseller)
}

// domainCheck answers <domain:check>: whether each name could be
// registered now. A name the registry would not register (invalid, under
// a TLD it does not run, reserved) is answered avail="0" with a reason,
// not as an error.
//
// Result codes: 1000; 2001 (a malformed command, such as an empty name);
// 2103 (an extension); 2306 (more names than the registry answers at
// once, Config.MaxCheck).
func (f *Flows) domainCheck(ctx context.Context, _ *epp.Session, cmd *epp.Command) *epp.Response {
	if _, bad := domainExtensions(cmd); bad != nil {
		return bad
	}
	parts, bad := domainSequence(cmd.Object, epp.NSDomain, domainElem{"name", 1, -1})
	if bad != nil {
		return bad
	}
	names := make([]string, 0, len(parts[0]))
	for _, el := range parts[0] {
		if bad := domainAttrs(el); bad != nil {
			return bad
		}
		n, bad := domainLabel(el)
		if bad != nil {
			return bad
		}
		names = append(names, n)
	}
	results, err := f.svc.CheckDomains(ctx, names)
	if err != nil {
		return Error(err)
	}
	out := make([]Checked, len(results))
	for i, r := range results {
		out[i] = Checked{ID: r.Name, Avail: r.Avail, Reason: r.Reason}
	}
	return CheckData(epp.NSDomain, "domain", "name", out)
}

// domainInfo answers <domain:info>. The sponsor sees everything; a
// reseller giving the domain's authInfo (or its registrant's, with the
// registrant's roid) sees everything but the authInfo; anyone else sees
// the public data only: name, roid, statuses, name servers, sponsor,
// creation, update and expiry dates (and the DS records and RGP statuses),
// never the registrant, contacts, subordinate hosts, crID, upID, trDate or
// authInfo. The hosts attribute selects the name servers ("del"), the
// subordinate hosts ("sub"), both ("all", the default) or neither
// ("none"). <rgp:infData> and <secDNS:infData> are added when they have
// content and the client selected the extension at login; <rsl:infData>
// (resellerInfData) whenever the client selected the reseller extension.
// What is full data, and who sees the authInfo, is the registry's
// authorisation policy: the reseller of record and every role holder see
// everything, the authInfo only those who may set it.
//
// Result codes: 1000; 2001 (a malformed command); 2005 (an invalid name or
// hosts value); 2102 (<domain:ext> authInfo); 2103 (an extension); 2202
// (wrong authInfo); 2303 (no such domain).
func (f *Flows) domainInfo(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	if _, bad := domainExtensions(cmd); bad != nil {
		return bad
	}
	parts, bad := domainSequence(cmd.Object, epp.NSDomain, domainElem{"name", 1, 1}, domainElem{"authInfo", 0, 1})
	if bad != nil {
		return bad
	}
	nameEl := parts[0][0]
	if bad := domainAttrs(nameEl, "hosts"); bad != nil {
		return bad
	}
	name, bad := domainLabel(nameEl)
	if bad != nil {
		return bad
	}
	hosts := strings.TrimSpace(nameEl.SelectAttrValue("hosts", "all"))
	switch hosts {
	case "all", "del", "sub", "none":
	default:
		return epp.NewResponse(epp.CodeParameterSyntaxError, `the hosts attribute must be "all", "del", "sub" or "none", not "`+hosts+`"`)
	}
	pw, roid, _, _, bad := domainAuthInfo(domainOne(parts[1]), false)
	if bad != nil {
		return bad
	}
	v, err := f.svc.DomainInfo(ctx, s.Actor(cmd), name, pw, roid, hosts == "all" || hosts == "sub")
	if err != nil {
		return Error(err)
	}
	r := Success(domainInfData(v, hosts))
	if selected(s, epp.NSRGP) && len(v.RGP) > 0 {
		r.Extension = append(r.Extension, rgpData("infData", v.RGP))
	}
	if selected(s, epp.NSSecDNS) && len(v.Domain.DS) > 0 {
		r.Extension = append(r.Extension, secDNSInfData(v.Domain.DS))
	}
	if selected(s, epp.NSReseller) {
		r.Extension = append(r.Extension, resellerInfData(v))
	}
	return r
}

// domainInfData is <domain:infData>, its elements in the schema's order.
func domainInfData(v *registry.DomainView, hosts string) *etree.Element {
	d := v.Domain
	inf := NewObject(epp.NSDomain, "domain", "infData")
	Add(inf, "name", d.Name)
	Add(inf, "roid", d.ROID)
	for _, st := range v.Statuses {
		Add(inf, "status", "").CreateAttr("s", st)
	}
	if v.Full {
		if d.Registrant != "" {
			Add(inf, "registrant", d.Registrant)
		}
		for _, c := range d.Contacts {
			Add(inf, "contact", c.ID).CreateAttr("type", c.Type)
		}
	}
	if (hosts == "all" || hosts == "del") && len(d.NS) > 0 {
		ns := Add(inf, "ns", "")
		for _, n := range d.NS {
			Add(ns, "hostObj", n)
		}
	}
	for _, h := range v.Hosts {
		Add(inf, "host", h)
	}
	Add(inf, "clID", d.SponsorClID)
	if v.Full && d.CreatorClID != "" {
		Add(inf, "crID", d.CreatorClID)
	}
	Add(inf, "crDate", epp.FormatTime(d.CreatedAt))
	if v.Full && d.UpdaterClID != "" {
		Add(inf, "upID", d.UpdaterClID)
	}
	if !d.UpdatedAt.IsZero() {
		Add(inf, "upDate", epp.FormatTime(d.UpdatedAt))
	}
	Add(inf, "exDate", epp.FormatTime(d.ExpiresAt))
	if v.Full && !d.TransferredAt.IsZero() {
		Add(inf, "trDate", epp.FormatTime(d.TransferredAt))
	}
	if v.Sponsor && d.AuthInfo != "" {
		Add(Add(inf, "authInfo", ""), "pw", d.AuthInfo)
	}
	return inf
}

// domainCreate answers <domain:create>, with an optional <secDNS:create>
// of DS records and an optional <rsl:create> choosing the management
// model (domain_model.go; the rules are registry/model.go's). The registry
// requires a registrant and authInfo; name servers are host objects that
// must exist (and, inside the registry, have glue). The period defaults to
// the TLD's minimum (one year).
//
// Result codes: 1000; 2001 (a malformed command, a period outside 1-99);
// 2003 (no registrant, an empty authInfo, a contact without type; the
// reseller model without consent evidence, the registrant model without
// the holder's identity number); 2004 (a period outside the TLD's; a DS
// key tag or number out of range; a consent date in the future); 2005 (an
// invalid domain or host name, contact type, DS digest, model, identity
// number, e-mail address or date); 2102 (host attributes, <domain:ext>
// authInfo, key data, maxSigLife); 2103 (an extension that does not
// apply); 2104 (a reseller-managed domain the reseller's prepaid balance
// cannot pay for, when the registry charges; nothing is created); 2201
// (for the registrant model, a registrant contact the reseller does not
// sponsor); 2302 (the name is registered); 2303 (a contact or host
// does not exist); 2306 (a name the registry does not register: not under
// its TLDs, reserved, label length; a period in months that are not whole
// years; an authInfo of other than 6 to 64 characters or with a roid;
// duplicates; a DS algorithm or digest type the registry does not accept;
// too many DS records; a glueless internal host; consent with the
// registrant model or a holder with the reseller model).
func (f *Flows) domainCreate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	exts, bad := domainExtensions(cmd, epp.NSSecDNS, "create", epp.NSReseller, "create")
	if bad != nil {
		return bad
	}
	parts, bad := domainSequence(cmd.Object, epp.NSDomain,
		domainElem{"name", 1, 1}, domainElem{"period", 0, 1}, domainElem{"ns", 0, 1},
		domainElem{"registrant", 0, 1}, domainElem{"contact", 0, -1}, domainElem{"authInfo", 1, 1})
	if bad != nil {
		return bad
	}
	var nd registry.NewDomain
	if bad := domainAttrs(parts[0][0]); bad != nil {
		return bad
	}
	if nd.Name, bad = domainLabel(parts[0][0]); bad != nil {
		return bad
	}
	if nd.Years, bad = domainPeriod(domainOne(parts[1])); bad != nil {
		return bad
	}
	if nd.NS, bad = domainNS(domainOne(parts[2])); bad != nil {
		return bad
	}
	if r := domainOne(parts[3]); r != nil {
		if bad := domainAttrs(r); bad != nil {
			return bad
		}
		if nd.Registrant, bad = domainText(r); bad != nil {
			return bad
		}
	}
	if nd.Contacts, bad = domainContacts(parts[4]); bad != nil {
		return bad
	}
	pw, roid, _, _, bad := domainAuthInfo(parts[5][0], false)
	if bad != nil {
		return bad
	}
	if roid != "" {
		return epp.NewResponse(epp.CodeParameterPolicyError, "the authInfo of a new domain is its own: leave out the roid attribute")
	}
	nd.AuthInfo = pw
	if exts[0] != nil {
		if nd.DS, bad = secDNSDsOrKey(exts[0]); bad != nil {
			return bad
		}
	}
	if exts[1] != nil {
		if bad := modelCreate(exts[1], &nd); bad != nil {
			return bad
		}
	}
	d, err := f.svc.CreateDomain(ctx, s.Actor(cmd), nd)
	if err != nil {
		return Error(err)
	}
	cre := NewObject(epp.NSDomain, "domain", "creData")
	Add(cre, "name", d.Name)
	Add(cre, "crDate", epp.FormatTime(d.CreatedAt))
	Add(cre, "exDate", epp.FormatTime(d.ExpiresAt))
	return Success(cre)
}

// domainDelete answers <domain:delete>. Within the add grace period the
// domain is removed at once (1000); otherwise it enters the redemption
// period, restorable, and is purged when that ends (1001; the sponsor then
// gets a poll message with the outcome). When the registry charges, the
// operations whose grace periods still run are refunded to the sponsor's
// prepaid balance (registry/charge.go).
//
// Result codes: 1000; 1001; 2001 (a malformed command); 2005 (an invalid
// name); 2103 (an extension); 2201 (another reseller's domain); 2303 (no
// such domain); 2304 (clientDeleteProhibited or serverDeleteProhibited,
// already pending deletion, a transfer pending); 2305 (subordinate hosts
// exist).
func (f *Flows) domainDelete(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	if _, bad := domainExtensions(cmd); bad != nil {
		return bad
	}
	name, bad := domainNameOnly(cmd.Object)
	if bad != nil {
		return bad
	}
	purged, err := f.svc.DeleteDomain(ctx, s.Actor(cmd), name)
	if err != nil {
		return Error(err)
	}
	if purged {
		return Success(nil)
	}
	return epp.NewResponse(epp.CodeSuccessPending, "")
}

// domainRenew answers <domain:renew> with the new expiry. The current
// expiry date must be the domain's (so that a repeated renew cannot renew
// twice); the period defaults to the TLD's minimum (one year); the new
// expiry may be at most ten years ahead. A renew ends the add grace period
// and starts the renew grace period. A reseller-managed domain's renewal
// is paid from the reseller's prepaid balance when the registry charges.
//
// With bill settlement registered (RegisterBillSettlement), a renew of a
// registrant-managed domain on an unpaid bill by the reseller holding its
// payer role pays that bill from the reseller's prepaid balance, in one
// transaction: the bill is settled as by a payment, which renews every
// domain on it (all of a collective bill) by its line's period, and the
// answer is the renewed domain's new expiry. The period is the bill's: a
// renew without one renews by it, and one asking for another is refused
// with 2306 naming the bill's period, since a reseller whose renew for n
// years came back renewed by another period would be misled (the period
// is changed on the bill, while its changes are open). Such a renew is
// the payment: the statuses that prohibit a renew, which a payment of the
// bill by other means ignores, do not stop it. Once the bill is paid, or
// on a domain on no unpaid bill, a renew is an ordinary one.
//
// Result codes: 1000; 2001 (a malformed command, a period outside 1-99);
// 2004 (a period outside the TLD's; a curExpDate that is not the
// domain's); 2005 (an invalid name or date); 2103 (an extension); 2104
// (the prepaid balance cannot pay for it, or for the bill; nothing
// changes); 2201 (another reseller's domain; a registrant-managed domain
// on which the reseller does not hold the payer role); 2303 (no such
// domain); 2304 (clientRenewProhibited or serverRenewProhibited, pending
// deletion, a transfer pending); 2306 (a period in months that are not
// whole years; an expiry more than ten years ahead; a period other than
// the unpaid bill's).
func (f *Flows) domainRenew(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	if _, bad := domainExtensions(cmd); bad != nil {
		return bad
	}
	parts, bad := domainSequence(cmd.Object, epp.NSDomain,
		domainElem{"name", 1, 1}, domainElem{"curExpDate", 1, 1}, domainElem{"period", 0, 1})
	if bad != nil {
		return bad
	}
	for _, p := range parts[:2] {
		if bad := domainAttrs(p[0]); bad != nil {
			return bad
		}
	}
	name, bad := domainLabel(parts[0][0])
	if bad != nil {
		return bad
	}
	cur, bad := domainDate(parts[1][0])
	if bad != nil {
		return bad
	}
	years, bad := domainPeriod(domainOne(parts[2]))
	if bad != nil {
		return bad
	}
	if r, settled := f.renewBilled(ctx, s.Actor(cmd), name, cur, years); settled {
		return r
	}
	d, err := f.svc.RenewDomain(ctx, s.Actor(cmd), name, cur, years)
	if err != nil {
		return Error(err)
	}
	return renData(d)
}

// renData answers a renew with the domain's new expiry.
func renData(d *registry.Domain) *epp.Response {
	ren := NewObject(epp.NSDomain, "domain", "renData")
	Add(ren, "name", d.Name)
	Add(ren, "exDate", epp.FormatTime(d.ExpiresAt))
	return Success(ren)
}
