package flows

import (
	"context"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// domainUpdate answers <domain:update>: name servers, contacts and client
// statuses added and removed (removals first), the registrant and authInfo
// changed, and with <secDNS:update> DS records removed (all, or some) and
// added. Status texts (the element's content and lang) are accepted but
// not kept. With <rgp:update> it is a restore instead (domainRestore), with
// <rsl:update> a change of management model or of automatic renewal
// (domainModelUpdate).
//
// Result codes: 1000; 2001 (a malformed command); 2003 (nothing to
// change; a contact without type); 2004 (a DS key tag or number out of
// range); 2005 (an invalid name, status value, contact type or DS digest);
// 2102 (host attributes, <domain:ext> authInfo, key data, maxSigLife,
// urgent); 2103 (an extension that does not apply); 2201 (another
// reseller's domain); 2303 (no such domain, contact or host); 2304
// (clientUpdateProhibited unless the update removes it,
// serverUpdateProhibited, pending deletion); 2306 (a server or derived
// status; adding what is there or removing what is not; removing the
// registrant or authInfo; an authInfo of other than 6 to 64 characters or
// with a roid; a DS algorithm or digest type the registry does not accept;
// too many DS records; a glueless internal host).
func (f *Flows) domainUpdate(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	exts, bad := domainExtensions(cmd, epp.NSSecDNS, "update", epp.NSRGP, "update", epp.NSReseller, "update")
	if bad != nil {
		return bad
	}
	parts, bad := domainSequence(cmd.Object, epp.NSDomain,
		domainElem{"name", 1, 1}, domainElem{"add", 0, 1}, domainElem{"rem", 0, 1}, domainElem{"chg", 0, 1})
	if bad != nil {
		return bad
	}
	if bad := domainAttrs(parts[0][0]); bad != nil {
		return bad
	}
	name, bad := domainLabel(parts[0][0])
	if bad != nil {
		return bad
	}
	if exts[2] != nil {
		return f.domainModelUpdate(ctx, s, cmd, name, parts, exts)
	}
	if exts[1] != nil {
		return f.domainRestore(ctx, s, cmd, name, parts, exts)
	}
	var c registry.DomainChange
	for i, addRem := range []struct {
		ns       *[]string
		contacts *[]registry.DomainContact
		statuses *[]string
	}{{&c.AddNS, &c.AddContacts, &c.AddStatuses}, {&c.RemNS, &c.RemContacts, &c.RemStatuses}} {
		el := domainOne(parts[1+i])
		if el == nil {
			continue
		}
		if bad := domainAttrs(el); bad != nil {
			return bad
		}
		sub, bad := domainSequence(el, epp.NSDomain,
			domainElem{"ns", 0, 1}, domainElem{"contact", 0, -1}, domainElem{"status", 0, 11})
		if bad != nil {
			return bad
		}
		if *addRem.ns, bad = domainNS(domainOne(sub[0])); bad != nil {
			return bad
		}
		if *addRem.contacts, bad = domainContacts(sub[1]); bad != nil {
			return bad
		}
		if *addRem.statuses, bad = domainStatusValues(sub[2]); bad != nil {
			return bad
		}
	}
	if chg := domainOne(parts[3]); chg != nil {
		if bad := domainChg(chg, &c); bad != nil {
			return bad
		}
	}
	if exts[0] != nil {
		if bad := secDNSUpdate(exts[0], &c); bad != nil {
			return bad
		}
	}
	if _, err := f.svc.UpdateDomain(ctx, s.Actor(cmd), name, c); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// domainChg reads <domain:chg> into c.
func domainChg(chg *etree.Element, c *registry.DomainChange) *epp.Response {
	if bad := domainAttrs(chg); bad != nil {
		return bad
	}
	sub, bad := domainSequence(chg, epp.NSDomain, domainElem{"registrant", 0, 1}, domainElem{"authInfo", 0, 1})
	if bad != nil {
		return bad
	}
	if r := domainOne(sub[0]); r != nil {
		if bad := domainAttrs(r); bad != nil {
			return bad
		}
		v, bad := domainText(r)
		if bad != nil {
			return bad
		}
		c.Registrant = &v
	}
	if a := domainOne(sub[1]); a != nil {
		pw, roid, isNull, _, bad := domainAuthInfo(a, true)
		if bad != nil {
			return bad
		}
		if roid != "" {
			return epp.NewResponse(epp.CodeParameterPolicyError, "a domain's new authInfo is its own: leave out the roid attribute")
		}
		if isNull {
			pw = ""
		}
		c.AuthInfo = &pw
	}
	return nil
}

// domainRestore answers a <domain:update> carrying <rgp:update> (RFC
// 3915): a domain in its redemption period is restored at once. The
// registry needs no restore report: op="request" restores, and so does
// op="report" (its report is kept in the domain's history). The update
// itself must change nothing (an empty <domain:chg/>, or none). When
// grace periods still run, the answer carries them in <rgp:upData>; the
// sponsor gets a poll message.
//
// A reseller-managed domain's restore is paid from the reseller's prepaid
// balance when the registry charges.
//
// Result codes: 1000; 2001 (a malformed command or report); 2005 (an op
// other than request or report, a report time that is not a dateTime);
// 2104 (the prepaid balance cannot pay for it; nothing changes); 2201
// (another reseller's domain); 2303 (no such domain); 2304 (not in
// its redemption period; serverUpdateProhibited); 2306 (a restore
// combined with other changes).
func (f *Flows) domainRestore(ctx context.Context, s *epp.Session, cmd *epp.Command, name string, parts [][]*etree.Element, exts []*etree.Element) *epp.Response {
	report, bad := rgpRestore(exts[1])
	if bad != nil {
		return bad
	}
	chg := domainOne(parts[3])
	if len(parts[1]) > 0 || len(parts[2]) > 0 || exts[0] != nil || chg != nil && len(chg.ChildElements()) > 0 {
		return epp.NewResponse(epp.CodeParameterPolicyError,
			"a restore changes nothing else: send the update with an empty <domain:chg/> and no other change")
	}
	if chg != nil {
		if _, bad := domainSequence(chg, epp.NSDomain); bad != nil {
			return bad
		}
	}
	d, err := f.svc.RestoreDomain(ctx, s.Actor(cmd), name, report)
	if err != nil {
		return Error(err)
	}
	r := Success(nil)
	if rgp := f.svc.RGPStatuses(d, f.svc.Clock().Now()); len(rgp) > 0 {
		r.Extension = append(r.Extension, rgpData("upData", rgp))
	}
	return r
}
