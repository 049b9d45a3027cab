package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// poll answers <poll> (RFC 5730 section 2.9.2.3). Each reseller has one
// queue, kept by the registry across sessions, oldest message first.
//
//   - op="req" shows the oldest message, which stays queued: 1301 with
//     <msgQ> (count, id, qDate, msg) and, for a transfer, the object's
//     trnData (or for a pending action's outcome, its panData; for a low
//     balance, Verisign's lowbalance-poll pollData) in resData, if the
//     client selected that object's service at login; 1300 without <msgQ>
//     when the queue is empty.
//   - op="ack" msgID="..." removes that message: 1000 with <msgQ> giving the
//     number of messages left and the id of the one now first, or, when
//     none is left, count="0" and the id just acknowledged (the schema
//     requires an id).
//
// Result codes: 1000 (ack); 1300, 1301 (req); 2001 (no op attribute);
// 2003 (ack without msgID); 2005 (an op other than "req" or "ack"); 2303
// (ack of a message not in the client's queue).
func (f *Flows) poll(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	if len(cmd.Element.ChildElements()) > 0 || strings.TrimSpace(cmd.Element.Text()) != "" {
		return Syntax("<poll> must be empty")
	}
	opAttr := cmd.Element.SelectAttr("op")
	if opAttr == nil {
		return Syntax(`<poll> needs an "op" attribute`)
	}
	switch op := strings.TrimSpace(opAttr.Value); op {
	case "req":
		return f.pollReq(ctx, s, cmd)
	case "ack":
		return f.pollAck(ctx, s, cmd)
	default:
		return epp.NewResponse(epp.CodeParameterSyntaxError, `the poll op must be "req" or "ack", not "`+opAttr.Value+`"`)
	}
}

func (f *Flows) pollReq(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	q, err := f.svc.PollRequest(ctx, s.Actor(cmd))
	if err != nil {
		return Error(err)
	}
	if q.First == nil {
		return epp.NewResponse(epp.CodeSuccessNoMessages, "")
	}
	m := q.First
	r := epp.NewResponse(epp.CodeSuccessAckToDequeue, "")
	r.MsgQ = &epp.MsgQ{Count: q.Count, ID: pollID(m.ID), QDate: m.QueuedAt, Msg: m.Msg}
	if data := pollData(s, m); data != nil {
		r.ResData = etree.NewElement("resData")
		r.ResData.AddChild(data)
	}
	return r
}

func (f *Flows) pollAck(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
	raw := strings.TrimSpace(cmd.Element.SelectAttrValue("msgID", ""))
	if raw == "" {
		return epp.NewResponse(epp.CodeMissingParameter, `acknowledging a message needs its msgID attribute`)
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		// The registry's message IDs are positive integers; no other can
		// be in the queue.
		return epp.NewResponse(epp.CodeObjectDoesNotExist, "there is no message "+strconv.Quote(raw)+" in your queue")
	}
	q, err := f.svc.PollAck(ctx, s.Actor(cmd), id)
	if err != nil {
		return Error(err)
	}
	r := epp.NewResponse(epp.CodeSuccess, "")
	r.MsgQ = &epp.MsgQ{Count: q.Count, ID: pollID(id)}
	if q.First != nil {
		r.MsgQ.ID = pollID(q.First.ID)
	}
	return r
}

func pollID(id int64) string { return strconv.FormatInt(id, 10) }

// pollData is the resData element of a message, or nil for a text-only
// message, one whose object service the client did not select at login,
// and one whose data cannot be read (the text still tells what happened).
func pollData(s *epp.Session, m *registry.PollMessage) *etree.Element {
	switch m.Kind {
	case registry.PollTransfer:
		n, err := m.TransferNotice()
		if err != nil {
			return nil
		}
		ns := pollNS(n.Object)
		if ns == "" || !slices.Contains(s.Objects, ns) {
			return nil
		}
		return transferData(ns, n.Name, &n.Transfer)
	case registry.PollPAN:
		n, err := m.PANNotice()
		if err != nil || len(n.SvTRID) < 3 {
			return nil
		}
		ns := pollNS(n.Object)
		if ns == "" || !slices.Contains(s.Objects, ns) {
			return nil
		}
		prefix, keyTag := "domain", "name"
		if ns == epp.NSContact {
			prefix, keyTag = "contact", "id"
		}
		el := NewObject(ns, prefix, "panData")
		Add(el, keyTag, n.Name).CreateAttr("paResult", Bool(n.Result))
		// paTRID is an epp:trIDType: its children are in the EPP
		// namespace, the response's default one.
		tr := Add(el, "paTRID", "")
		if n.ClTRID != "" {
			tr.CreateElement("clTRID").SetText(n.ClTRID)
		}
		tr.CreateElement("svTRID").SetText(n.SvTRID)
		Add(el, "paDate", epp.FormatTime(n.Date))
		return el
	case registry.PollLowBalance:
		return lowBalanceData(s, m)
	}
	return nil
}

// pollNS is the namespace of a registry object type's resData.
func pollNS(object string) string {
	switch object {
	case registry.ObjectDomain:
		return epp.NSDomain
	case registry.ObjectContact:
		return epp.NSContact
	}
	return ""
}
