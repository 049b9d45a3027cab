package epp

import (
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// Result is one <result> of a response.
type Result struct {
	Code Code
	// Msg is a reason a person can read; empty means the RFC 5730 text
	// for Code.
	Msg string
	// Values name the client elements that caused an error.
	Values []ExtValue
}

// ExtValue is an <extValue>: the offending client element and why.
type ExtValue struct {
	Value  *etree.Element
	Reason string
}

// MsgQ describes the poll queue in a response.
type MsgQ struct {
	Count int
	ID    string
	// QDate and Msg are set in a poll request's answer.
	QDate time.Time
	Msg   string
}

// Response is what a command is answered with. The session fills in the
// transaction identifiers.
type Response struct {
	Results   []Result
	MsgQ      *MsgQ
	ResData   *etree.Element // written as <resData>'s children when set
	Extension []*etree.Element

	clTRID, svTRID string
}

// NewResponse answers with a single result.
func NewResponse(code Code, msg string) *Response {
	return &Response{Results: []Result{{Code: code, Msg: msg}}}
}

// Code is the response's (first) result code.
func (r *Response) Code() Code {
	if len(r.Results) == 0 {
		return CodeCommandFailed
	}
	return r.Results[0].Code
}

// timeFormat is how the server writes dateTime values: UTC, with
// fractional seconds where they are not zero.
const timeFormat = "2006-01-02T15:04:05.999999Z"

// FormatTime writes t as an XML Schema dateTime in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func newEPPDocument() (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8" standalone="no"`)
	root := doc.CreateElement("epp")
	root.CreateAttr("xmlns", NSEPP)
	return doc, root
}

// Marshal writes the response as a complete EPP document.
func (r *Response) Marshal() ([]byte, error) {
	doc, root := newEPPDocument()
	resp := root.CreateElement("response")
	results := r.Results
	if len(results) == 0 {
		results = []Result{{Code: CodeCommandFailed}}
	}
	for _, res := range results {
		el := resp.CreateElement("result")
		el.CreateAttr("code", itoa(int(res.Code)))
		msg := res.Msg
		if msg == "" {
			msg = res.Code.Message()
		}
		el.CreateElement("msg").SetText(msg)
		for _, v := range res.Values {
			ev := el.CreateElement("extValue")
			val := ev.CreateElement("value")
			if v.Value != nil {
				val.AddChild(copyInScope(v.Value))
			}
			ev.CreateElement("reason").SetText(v.Reason)
		}
	}
	if q := r.MsgQ; q != nil {
		el := resp.CreateElement("msgQ")
		el.CreateAttr("count", itoa(q.Count))
		el.CreateAttr("id", q.ID)
		if !q.QDate.IsZero() {
			el.CreateElement("qDate").SetText(FormatTime(q.QDate))
		}
		if q.Msg != "" {
			el.CreateElement("msg").SetText(q.Msg)
		}
	}
	if r.ResData != nil {
		rd := resp.CreateElement("resData")
		for _, c := range r.ResData.ChildElements() {
			rd.AddChild(copyInScope(c))
		}
	}
	if len(r.Extension) > 0 {
		ext := resp.CreateElement("extension")
		for _, e := range r.Extension {
			ext.AddChild(copyInScope(e))
		}
	}
	tr := resp.CreateElement("trID")
	if r.clTRID != "" {
		tr.CreateElement("clTRID").SetText(r.clTRID)
	}
	tr.CreateElement("svTRID").SetText(r.svTRID)
	return doc.WriteToBytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

// copyInScope copies e with the namespace declarations it inherits from its
// ancestors, so that the copy means the same wherever it is placed (a
// client's element echoed in <extValue> keeps its prefix's binding).
func copyInScope(e *etree.Element) *etree.Element {
	c := e.Copy()
	declared := map[string]bool{}
	for _, a := range c.Attr {
		if a.Space == "xmlns" {
			declared[a.Key] = true
		} else if a.Space == "" && a.Key == "xmlns" {
			declared[""] = true
		}
	}
	for p := e.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			switch {
			case a.Space == "xmlns" && !declared[a.Key]:
				declared[a.Key] = true
				c.CreateAttr("xmlns:"+a.Key, a.Value)
			case a.Space == "" && a.Key == "xmlns" && !declared[""]:
				declared[""] = true
				c.CreateAttr("xmlns", a.Value)
			}
		}
	}
	if c.Space == "" && !declared[""] {
		// An unprefixed element in no namespace must not fall into the
		// default namespace of where it is placed.
		c.CreateAttr("xmlns", "")
	}
	return c
}
