package flows

import (
	"context"
	"strings"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// registerTransfer routes the transfer commands of domains (RFC 5731
// section 3.2.4) and contacts (RFC 5733 section 3.2.4), and poll (RFC 5730
// section 2.9.2.3), whose messages tell resellers about transfers.
func (f *Flows) registerTransfer(m *epp.Mux) {
	m.Handle("transfer", epp.NSDomain, epp.HandlerFunc(f.domainTransfer))
	m.Handle("transfer", epp.NSContact, epp.HandlerFunc(f.contactTransfer))
	m.Handle("poll", epp.NSEPP, epp.HandlerFunc(f.poll))
}

// domainTransfer answers <transfer op="..."><domain:transfer> with the
// domain's latest transfer in <domain:trnData>. A request is answered 1001
// (the losing sponsor has until acDate to answer; the registry approves
// then); every other operation 1000. An overdue pending transfer is
// approved by the registry before the operation is carried out.
//
//   - request: by a reseller other than the sponsor, with the domain's
//     authInfo or its registrant's (pw with the registrant's roid), and an
//     optional period (default one year) whose renewal applies when the
//     transfer completes. When the registry charges, the requester pays
//     for it from its prepaid balance now; a rejection or cancellation
//     refunds it.
//   - query: by the sponsor, the parties to the latest transfer, or anyone
//     with the authInfo.
//   - approve, reject: by the sponsor. cancel: by the requester.
//
// Result codes: 1000; 1001 (request); 2001 (a malformed command, a missing
// or unknown op); 2003 (a request without authInfo); 2004 (a period
// outside the TLD's); 2005 (an op that is not a transfer operation);
// 2102 (<domain:ext> authInfo); 2104 (a request the requester's prepaid
// balance cannot pay for); 2106 (the requester sponsors the domain;
// within the TLD's transfer lock of the domain's creation or last transfer);
// 2201 (approve or reject by other than the sponsor, cancel by other than
// the requester, query by a stranger without authInfo); 2202 (wrong
// authInfo); 2300 (a transfer is already pending); 2301 (approve, reject or
// cancel with none pending; query when none was ever requested); 2303 (no
// such domain); 2304 (client- or serverTransferProhibited, or the domain
// is deleted and in redemption); 2306 (a period in months that are not
// whole years; a renewal that would put the expiry more than ten years
// ahead).
func (f *Flows) domainTransfer(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	op, bad := transferOp(cmd)
	if bad != nil {
		return bad
	}
	els, bad := transferElements(cmd.Object, epp.NSDomain, "name", "period", "authInfo")
	if bad != nil {
		return bad
	}
	name, bad := transferKey(els[0], "name")
	if bad != nil {
		return bad
	}
	tc := registry.TransferCommand{Op: op}
	if tc.AuthInfo, tc.AuthROID, bad = transferAuthInfo(els[2], epp.NSDomain); bad != nil {
		return bad
	}
	if op == registry.TransferOpRequest {
		if tc.Years, bad = Period(cmd.Object, epp.NSDomain); bad != nil {
			return bad
		}
	}
	d, err := f.svc.TransferDomain(ctx, s.Actor(cmd), name, tc)
	if err != nil {
		return Error(err)
	}
	return transferAnswer(op, transferData(epp.NSDomain, d.Name, d.Transfer))
}

// contactTransfer answers <transfer op="..."><contact:transfer> with the
// contact's latest transfer in <contact:trnData>; the rules are those of
// domainTransfer without periods and registrant authInfo.
//
// Result codes: 1000; 1001 (request); 2001 (a malformed command, a missing
// or unknown op); 2003 (a request without authInfo); 2005 (an op that is
// not a transfer operation); 2102 (<contact:ext> authInfo); 2106 (the
// requester sponsors the contact); 2201 (approve or reject by other than the
// sponsor, cancel by other than the requester, query by a stranger without
// authInfo); 2202 (wrong authInfo); 2300 (a transfer is already pending);
// 2301 (approve, reject or cancel with none pending; query when none was
// ever requested); 2303 (no such contact); 2304 (client- or
// serverTransferProhibited, pendingDelete).
func (f *Flows) contactTransfer(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	op, bad := transferOp(cmd)
	if bad != nil {
		return bad
	}
	els, bad := transferElements(cmd.Object, epp.NSContact, "id", "authInfo")
	if bad != nil {
		return bad
	}
	id, bad := transferKey(els[0], "id")
	if bad != nil {
		return bad
	}
	tc := registry.TransferCommand{Op: op}
	if tc.AuthInfo, tc.AuthROID, bad = transferAuthInfo(els[1], epp.NSContact); bad != nil {
		return bad
	}
	c, err := f.svc.TransferContact(ctx, s.Actor(cmd), id, tc)
	if err != nil {
		return Error(err)
	}
	return transferAnswer(op, transferData(epp.NSContact, c.ID, c.Transfer))
}

// transferOp reads the op attribute of <transfer>.
func transferOp(cmd *epp.Command) (string, *epp.Response) {
	a := cmd.Element.SelectAttr("op")
	if a == nil {
		return "", Syntax(`<transfer> needs an "op" attribute`)
	}
	switch op := strings.TrimSpace(a.Value); op {
	case registry.TransferOpRequest, registry.TransferOpQuery, registry.TransferOpApprove,
		registry.TransferOpReject, registry.TransferOpCancel:
		return op, nil
	}
	return "", epp.NewResponse(epp.CodeParameterSyntaxError,
		`the transfer op must be "request", "query", "approve", "reject" or "cancel", not "`+a.Value+`"`)
}

// transferElements checks that obj holds only the named children, in that
// order and at most once each, the first of them required, and returns
// them by position (nil for those absent).
func transferElements(obj *etree.Element, ns string, names ...string) ([]*etree.Element, *epp.Response) {
	out := make([]*etree.Element, len(names))
	next := 0
	for _, c := range obj.ChildElements() {
		i := -1
		if c.NamespaceURI() == ns {
			for j := next; j < len(names); j++ {
				if c.Tag == names[j] {
					i = j
					break
				}
			}
		}
		if i < 0 {
			return nil, Syntax("unexpected or misplaced element <%s> in <%s>", c.FullTag(), obj.FullTag())
		}
		out[i], next = c, i+1
	}
	if out[0] == nil {
		return nil, Syntax("<%s> needs <%s>", obj.FullTag(), names[0])
	}
	return out, nil
}

// transferKey reads the object's identifier.
func transferKey(el *etree.Element, what string) (string, *epp.Response) {
	if len(el.ChildElements()) > 0 {
		return "", Syntax("<%s> must hold text only", what)
	}
	v := strings.TrimSpace(el.Text())
	if v == "" {
		return "", Syntax("<%s> must not be empty", what)
	}
	if what == "name" {
		v = registry.NormalizeName(v)
	}
	return v, nil
}

// transferAuthInfo reads <authInfo><pw roid="...">...</pw></authInfo>
// (el nil: none given). Extended authorisation (<ext>) is not offered.
func transferAuthInfo(el *etree.Element, ns string) (pw, roid string, bad *epp.Response) {
	if el == nil {
		return "", "", nil
	}
	if Child(el, ns, "ext") != nil {
		return "", "", epp.NewResponse(epp.CodeUnimplementedOption, "extended authorisation information (<ext>) is not supported; give <pw>")
	}
	p := Child(el, ns, "pw")
	if p == nil {
		return "", "", Syntax("<authInfo> needs <pw>")
	}
	return p.Text(), strings.TrimSpace(p.SelectAttrValue("roid", "")), nil
}

// transferAnswer is 1001 for a request, which leaves the transfer pending,
// and 1000 otherwise, with trnData.
func transferAnswer(op string, data *etree.Element) *epp.Response {
	r := Success(data)
	if op == registry.TransferOpRequest {
		r.Results[0].Code = epp.CodeSuccessPending
	}
	return r
}

// transferData is <domain:trnData> (ns NSDomain, key the name) or
// <contact:trnData> (ns NSContact, key the ID) for t.
func transferData(ns, key string, t *registry.Transfer) *etree.Element {
	prefix, keyTag := "domain", "name"
	if ns == epp.NSContact {
		prefix, keyTag = "contact", "id"
	}
	el := NewObject(ns, prefix, "trnData")
	Add(el, keyTag, key)
	Add(el, "trStatus", t.Status)
	Add(el, "reID", t.GainingClID)
	Add(el, "reDate", epp.FormatTime(t.RequestedAt))
	Add(el, "acID", t.LosingClID)
	Add(el, "acDate", epp.FormatTime(t.ActBy))
	if ns == epp.NSDomain && !t.NewExpiry.IsZero() {
		Add(el, "exDate", epp.FormatTime(t.NewExpiry))
	}
	return el
}
