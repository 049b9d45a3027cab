// Package flows holds one flow per EPP object command: each parses its
// command, calls the registry service, and writes the answer. Each flow's
// comment lists the result codes it can return. Flows know XML and the
// registry's Go API; SQL never reaches them.
package flows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// Flows serves the object commands with a registry service.
type Flows struct {
	svc *registry.Service
	// bills, when set, settles the bill a payer's renew pays, charging
	// balance (RegisterBillSettlement).
	bills   BillSettler
	balance registry.Charger
}

// Register routes every object command, poll and transfer to its flow, and
// announces the extensions the flows implement.
func Register(m *epp.Mux, svc *registry.Service) {
	f := &Flows{svc: svc}
	f.registerContact(m)
	f.registerHost(m)
	f.registerDomain(m)
	f.registerTransfer(m)
}

// codes maps registry error kinds to EPP result codes.
var codes = map[registry.Kind]epp.Code{
	registry.KindNotFound:           epp.CodeObjectDoesNotExist,
	registry.KindExists:             epp.CodeObjectExists,
	registry.KindInvalid:            epp.CodeParameterSyntaxError,
	registry.KindAuthentication:     epp.CodeInvalidAuthInfo,
	registry.KindForbidden:          epp.CodeAuthorizationError,
	registry.KindStatusProhibits:    epp.CodeStatusProhibits,
	registry.KindLinked:             epp.CodeAssociationProhibits,
	registry.KindMissing:            epp.CodeMissingParameter,
	registry.KindRange:              epp.CodeParameterRangeError,
	registry.KindPolicy:             epp.CodeParameterPolicyError,
	registry.KindAuthInfo:           epp.CodeInvalidAuthInfo,
	registry.KindBilling:            epp.CodeBillingFailure,
	registry.KindNotRenewable:       epp.CodeNotEligibleForRenewal,
	registry.KindNotTransferable:    epp.CodeNotEligibleForTransfer,
	registry.KindPendingTransfer:    epp.CodePendingTransfer,
	registry.KindNotPendingTransfer: epp.CodeNotPendingTransfer,
	registry.KindUnimplemented:      epp.CodeUnimplementedOption,
}

// Error answers a failed registry call: the code for its kind and its
// reason. An internal failure becomes 2400 without details; the server
// logs the panic or error path that led there.
func Error(err error) *epp.Response {
	var re *registry.Error
	if errors.As(err, &re) {
		if code, ok := codes[re.Kind]; ok {
			return epp.NewResponse(code, re.Reason)
		}
	}
	return epp.NewResponse(epp.CodeCommandFailed, "the command could not be carried out; nothing was changed")
}

// Syntax answers a command whose elements break the schema (2001).
func Syntax(format string, args ...any) *epp.Response {
	return epp.NewResponse(epp.CodeSyntaxError, fmt.Sprintf(format, args...))
}

// Success answers 1000 with resData holding obj (nil for none).
func Success(obj *etree.Element) *epp.Response {
	r := epp.NewResponse(epp.CodeSuccess, "")
	if obj != nil {
		r.ResData = etree.NewElement("resData")
		r.ResData.AddChild(obj)
	}
	return r
}

// NewObject makes a response element <prefix:tag xmlns:prefix="ns">.
func NewObject(ns, prefix, tag string) *etree.Element {
	el := etree.NewElement(prefix + ":" + tag)
	el.CreateAttr("xmlns:"+prefix, ns)
	return el
}

// Add appends <prefix:tag>text</prefix:tag> to parent, using parent's
// prefix, and returns it.
func Add(parent *etree.Element, tag, text string) *etree.Element {
	el := parent.CreateElement(parent.Space + ":" + tag)
	if text != "" {
		el.SetText(text)
	}
	return el
}

// Child returns the first child element of el in namespace ns named local.
func Child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// Children returns the child elements of el in namespace ns named local.
func Children(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// Text returns the trimmed text of the first child named local in ns, and
// whether the child exists.
func Text(el *etree.Element, ns, local string) (string, bool) {
	c := Child(el, ns, local)
	if c == nil {
		return "", false
	}
	return strings.TrimSpace(c.Text()), true
}

// AuthInfoPW reads <authInfo><pw>...</pw></authInfo> under el, in ns. It
// returns "" and false when there is no authInfo; an <ext> authInfo is
// answered by the caller as unimplemented.
func AuthInfoPW(el *etree.Element, ns string) (pw string, ok bool) {
	ai := Child(el, ns, "authInfo")
	if ai == nil {
		return "", false
	}
	pwEl := Child(ai, ns, "pw")
	if pwEl == nil {
		return "", false
	}
	return pwEl.Text(), true
}

// Period reads a <period unit="y|m">n</period> under el, in ns, as years.
// It answers 0 when there is none; a period in months is accepted only in
// whole years.
func Period(el *etree.Element, ns string) (int, *epp.Response) {
	p := Child(el, ns, "period")
	if p == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(p.Text()))
	if err != nil || n < 1 || n > 99 {
		return 0, Syntax("period must be a whole number from 1 to 99")
	}
	switch p.SelectAttrValue("unit", "") {
	case "y":
		return n, nil
	case "m":
		if n%12 != 0 {
			return 0, epp.NewResponse(epp.CodeParameterPolicyError, "periods must be whole years")
		}
		return n / 12, nil
	}
	return 0, Syntax(`period unit must be "y" or "m"`)
}

// Bool writes a boolean the way clients read it safely: "1" or "0".
func Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Checked is one answer of a check command: an identifier, whether it is
// available, and why not.
type Checked struct {
	ID     string
	Avail  bool
	Reason string
}

// CheckData answers a check command of the object namespace ns (prefix
// the element prefix, idTag "name" or "id") with <prefix:chkData>.
func CheckData(ns, prefix, idTag string, results []Checked) *epp.Response {
	chk := NewObject(ns, prefix, "chkData")
	for _, r := range results {
		cd := Add(chk, "cd", "")
		Add(cd, idTag, r.ID).CreateAttr("avail", Bool(r.Avail))
		if r.Reason != "" {
			Add(cd, "reason", r.Reason)
		}
	}
	return Success(chk)
}
