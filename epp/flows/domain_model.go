package flows

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// The reseller model extension (schemas/reseller-1.0.xsd) on domain
// commands: <rsl:create> chooses a new domain's management model, with the
// registrant's consent evidence or the holder's identity number;
// <rsl:update> changes a domain's model. The rules are the registry's
// (registry/model.go); these functions read the XML.

// modelCreate reads an <rsl:create> into nd. A model outside the schema's,
// an identity number the registry does not accept and a date that is not a
// dateTime are answered when the create is carried out (2005), or here.
func modelCreate(el *etree.Element, nd *registry.NewDomain) *epp.Response {
	if bad := domainAttrs(el); bad != nil {
		return bad
	}
	parts, bad := domainSequence(el, epp.NSReseller,
		domainElem{"model", 0, 1}, domainElem{"consent", 0, 1}, domainElem{"holder", 0, 1})
	if bad != nil {
		return bad
	}
	if m := domainOne(parts[0]); m != nil {
		v, bad := modelText(m)
		if bad != nil {
			return bad
		}
		if nd.Model, bad = modelValue(v); bad != nil {
			return bad
		}
	}
	if c := domainOne(parts[1]); c != nil {
		if nd.Consent, bad = modelConsent(c); bad != nil {
			return bad
		}
	}
	if h := domainOne(parts[2]); h != nil {
		if bad := modelHolder(h, nd); bad != nil {
			return bad
		}
	}
	return nil
}

// modelText reads an element of text only, without attributes.
func modelText(el *etree.Element) (string, *epp.Response) {
	if bad := domainAttrs(el); bad != nil {
		return "", bad
	}
	return domainText(el)
}

// modelConsent reads <rsl:consent>: method, evidence and an optional date.
func modelConsent(el *etree.Element) (*registry.Consent, *epp.Response) {
	if bad := domainAttrs(el); bad != nil {
		return nil, bad
	}
	parts, bad := domainSequence(el, epp.NSReseller,
		domainElem{"method", 1, 1}, domainElem{"evidence", 1, 1}, domainElem{"date", 0, 1})
	if bad != nil {
		return nil, bad
	}
	var c registry.Consent
	if c.Method, bad = modelText(parts[0][0]); bad != nil {
		return nil, bad
	}
	if c.Evidence, bad = modelText(parts[1][0]); bad != nil {
		return nil, bad
	}
	if d := domainOne(parts[2]); d != nil {
		v, bad := modelText(d)
		if bad != nil {
			return nil, bad
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, epp.NewResponse(epp.CodeParameterSyntaxError,
				"<"+d.FullTag()+"> must be a date and time such as 2027-03-17T10:00:00Z, not "+strconv.Quote(v))
		}
		c.At = t.UTC()
	}
	return &c, nil
}

// modelHolder reads <rsl:holder>: the identity number with its kind and
// country, and an optional e-mail address for the account.
func modelHolder(el *etree.Element, nd *registry.NewDomain) *epp.Response {
	if bad := domainAttrs(el); bad != nil {
		return bad
	}
	parts, bad := domainSequence(el, epp.NSReseller, domainElem{"identity", 1, 1}, domainElem{"email", 0, 1})
	if bad != nil {
		return bad
	}
	idEl := parts[0][0]
	if bad := domainAttrs(idEl, "type", "cc"); bad != nil {
		return bad
	}
	kind := idEl.SelectAttr("type")
	if kind == nil {
		return Syntax(`<%s> needs a "type" attribute`, idEl.FullTag())
	}
	number, bad := domainText(idEl)
	if bad != nil {
		return bad
	}
	nd.Holder = &registry.Identity{
		Kind:    registry.IdentityKind(strings.TrimSpace(kind.Value)),
		Number:  number,
		Country: strings.TrimSpace(idEl.SelectAttrValue("cc", "")),
	}
	if e := domainOne(parts[1]); e != nil {
		if nd.HolderEmail, bad = modelText(e); bad != nil {
			return bad
		}
	}
	return nil
}

// errModelOwnUpdate answers an update that changes the model and something
// else.
const errModelOwnUpdate = "a change of management model must be its own update: send it with an empty <domain:chg/> and no other change"

// errAutoRenewOwnUpdate answers an update that changes automatic renewal
// and something else.
const errAutoRenewOwnUpdate = "a change of automatic renewal must be its own update: send it with an empty <domain:chg/> and no other change, and change the management model in another"

// domainModelUpdate answers a <domain:update> carrying <rsl:update>: a
// change of the domain's management model, or of its automatic renewal.
// The update itself must change nothing (an empty <domain:chg/>, or none).
// To the reseller model a reseller gives the consent token the registrant
// had the registry issue; it is spent with the change, and the reseller
// becomes the domain's sponsor and reseller of record. A move to the
// registrant model is the registrant's or the registry's act, never a
// reseller's. <rsl:autoRenew>0</rsl:autoRenew> switches automatic renewal
// of a reseller-managed domain off (its reseller of record's choice; the
// domain is then deactivated at expiry instead of renewed and charged),
// 1 back on (registry/autorenew.go); it is its own <rsl:chg>, without a
// model.
//
// Result codes: 1000; 2001 (a malformed command); 2003 (no model, or no
// consent token); 2005 (a model outside the schema's, an autoRenew that is
// not a boolean); 2201 (a move to the registrant model; automatic renewal
// of another reseller's domain); 2202 (an unknown, used or expired consent
// token, or one issued for another domain or reseller); 2303 (no such
// domain); 2304 (pending deletion, serverUpdateProhibited, a transfer
// pending; for automatic renewal clientUpdateProhibited too); 2306
// (combined with other changes; the domain is in that model already;
// automatic renewal with a model, of a registrant-managed domain, or
// already as asked).
func (f *Flows) domainModelUpdate(ctx context.Context, s *epp.Session, cmd *epp.Command, name string, parts [][]*etree.Element, exts []*etree.Element) *epp.Response {
	// exts are the update's <secDNS:update>, <rgp:update> and
	// <rsl:update>.
	rsl := exts[2]
	if bad := domainAttrs(rsl); bad != nil {
		return bad
	}
	up, bad := domainSequence(rsl, epp.NSReseller, domainElem{"chg", 1, 1})
	if bad != nil {
		return bad
	}
	chgEl := up[0][0]
	if bad := domainAttrs(chgEl); bad != nil {
		return bad
	}
	sub, bad := domainSequence(chgEl, epp.NSReseller,
		domainElem{"model", 0, 1}, domainElem{"consentToken", 0, 1}, domainElem{"autoRenew", 0, 1})
	if bad != nil {
		return bad
	}
	autoRenew := domainOne(sub[2])
	chg := domainOne(parts[3])
	if len(parts[1]) > 0 || len(parts[2]) > 0 || chg != nil && len(chg.ChildElements()) > 0 || exts[0] != nil || exts[1] != nil {
		if autoRenew != nil {
			return epp.NewResponse(epp.CodeParameterPolicyError, errAutoRenewOwnUpdate)
		}
		return epp.NewResponse(epp.CodeParameterPolicyError, errModelOwnUpdate)
	}
	if chg != nil {
		if _, bad := domainSequence(chg, epp.NSDomain); bad != nil {
			return bad
		}
	}
	if autoRenew != nil {
		v, bad := modelText(autoRenew)
		if bad != nil {
			return bad
		}
		if v != "0" && v != "1" && v != "true" && v != "false" {
			return epp.NewResponse(epp.CodeParameterSyntaxError, "<"+autoRenew.FullTag()+"> must be 1, 0, true or false, not "+strconv.Quote(v))
		}
		if domainOne(sub[0]) != nil || domainOne(sub[1]) != nil {
			return epp.NewResponse(epp.CodeParameterPolicyError, errAutoRenewOwnUpdate)
		}
		if err := f.svc.SetDomainAutoRenew(ctx, s.Actor(cmd), name, v == "1" || v == "true"); err != nil {
			return Error(err)
		}
		return Success(nil)
	}
	var ch registry.ModelChange
	if tok := domainOne(sub[1]); tok != nil {
		if ch.ConsentToken, bad = modelText(tok); bad != nil {
			return bad
		}
	}
	m := domainOne(sub[0])
	if m == nil {
		if ch.ConsentToken != "" {
			return epp.NewResponse(epp.CodeMissingParameter, "give <rsl:model>reseller</rsl:model> with the consent token")
		}
		return epp.NewResponse(epp.CodeMissingParameter, "the <rsl:chg> changes nothing: give <rsl:model>")
	}
	v, bad := modelText(m)
	if bad != nil {
		return bad
	}
	if ch.To, bad = modelValue(v); bad != nil {
		return bad
	}
	if _, err := f.svc.ChangeDomainModel(ctx, s.Actor(cmd), name, ch); err != nil {
		return Error(err)
	}
	return Success(nil)
}

// modelValue reads a model name (2005 for any other).
func modelValue(v string) (registry.Model, *epp.Response) {
	m, err := registry.ParseModel(v)
	if err != nil {
		return "", Error(err)
	}
	return m, nil
}
