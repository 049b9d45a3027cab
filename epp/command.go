package epp

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Verbs of RFC 5730 section 2.9: the elements that may stand under
// <command>.
var knownVerbs = map[string]bool{
	"check": true, "create": true, "delete": true, "info": true, "login": true,
	"logout": true, "poll": true, "renew": true, "transfer": true, "update": true,
}

// Command is one parsed client frame.
type Command struct {
	// Hello is set for a <hello>; the other fields are then empty.
	Hello bool
	// Verb is the local name of the element under <command>: "login",
	// "info", "transfer", ...
	Verb string
	// Element is the verb's element (<login>, <poll>, <info>, ...).
	Element *etree.Element
	// Object is, for object commands (check, create, delete, info, renew,
	// transfer, update), the verb's single child, such as <domain:info>;
	// ObjectNS is its namespace URI. Both are empty for login, logout and
	// poll.
	Object   *etree.Element
	ObjectNS string
	// Extensions are the children of <extension>, in order.
	Extensions []*etree.Element
	// ClTRID is the client transaction identifier, or "".
	ClTRID string
	// SvTRID is the server transaction identifier the answer will carry.
	SvTRID string
}

// Name is the command's label in logs and metrics: "hello", "login",
// "poll", or verb and object such as "info:domain".
func (c *Command) Name() string {
	switch {
	case c == nil:
		return "unparsed"
	case c.Hello:
		return "hello"
	case c.Object == nil:
		return c.Verb
	}
	if n, ok := objectNames[c.ObjectNS]; ok {
		return c.Verb + ":" + n
	}
	return c.Verb + ":other"
}

// Extension returns the first extension element in namespace ns with the
// given local name, or nil.
func (c *Command) Extension(ns, local string) *etree.Element {
	for _, e := range c.Extensions {
		if e.Tag == local && e.NamespaceURI() == ns {
			return e
		}
	}
	return nil
}

// ParseError is a frame that is not a command the server can act on. Code
// is CodeSyntaxError for XML that is malformed or breaks the EPP schema's
// structure, CodeUnknownCommand for well-formed XML that names no EPP
// command. ClTRID is whatever client transaction ID could be read.
type ParseError struct {
	Code   Code
	Reason string
	ClTRID string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Reason) }

func syntaxErr(format string, args ...any) *ParseError {
	return &ParseError{Code: CodeSyntaxError, Reason: fmt.Sprintf(format, args...)}
}

// Parse reads one client frame. Document type declarations are refused, so
// no entity (internal or external) is ever expanded.
func Parse(frame []byte) (*Command, error) {
	if hasDoctype(frame) {
		return nil, syntaxErr("document type declarations are not allowed")
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	// Keep repeated attributes so that checkTree can refuse them.
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromBytes(frame); err != nil {
		return nil, syntaxErr("malformed XML: %v", err)
	}
	roots := 0
	for _, t := range doc.Child {
		switch v := t.(type) {
		case *etree.Directive:
			return nil, syntaxErr("document type declarations are not allowed")
		case *etree.Element:
			roots++
		case *etree.CharData:
			if strings.TrimSpace(v.Data) != "" {
				return nil, syntaxErr("text outside the root element")
			}
		}
	}
	if roots != 1 {
		return nil, syntaxErr("a frame must hold exactly one root element, found %d", roots)
	}
	for i, t := range doc.Child {
		if pi, ok := t.(*etree.ProcInst); ok && pi.Target == "xml" && i != 0 {
			return nil, syntaxErr("the XML declaration must come first")
		}
	}
	if pe := checkTree(doc.Root()); pe != nil {
		return nil, pe
	}
	root := doc.Root()
	if root == nil {
		return nil, syntaxErr("no root element")
	}
	if root.Tag != "epp" || root.NamespaceURI() != NSEPP {
		return nil, syntaxErr("root element must be <epp> in namespace %s", NSEPP)
	}
	if err := onlyWhitespace(root); err != nil {
		return nil, err
	}
	kids := root.ChildElements()
	if len(kids) != 1 {
		return nil, syntaxErr("<epp> must contain exactly one element, found %d", len(kids))
	}
	top := kids[0]
	if top.NamespaceURI() != NSEPP {
		return nil, &ParseError{Code: CodeUnknownCommand, Reason: fmt.Sprintf("unknown element <%s> in namespace %q", top.Tag, top.NamespaceURI())}
	}
	switch top.Tag {
	case "hello":
		if len(top.ChildElements()) != 0 || strings.TrimSpace(top.Text()) != "" {
			return nil, syntaxErr("<hello> must be empty")
		}
		return &Command{Hello: true}, nil
	case "command":
		return parseCommand(top)
	case "greeting", "response":
		return nil, syntaxErr("<%s> is sent by servers, not clients", top.Tag)
	default:
		return nil, &ParseError{Code: CodeUnknownCommand, Reason: fmt.Sprintf("unknown element <%s>", top.Tag)}
	}
}

func parseCommand(el *etree.Element) (*Command, error) {
	cmd := &Command{}
	kids := el.ChildElements()
	// The clTRID is read first so that every later error can echo it.
	for _, k := range kids {
		if k.Tag == "clTRID" && k.NamespaceURI() == NSEPP {
			if cmd.ClTRID != "" {
				return nil, syntaxErr("<command> has more than one <clTRID>")
			}
			id := strings.TrimSpace(k.Text())
			if n := len([]rune(id)); n < 3 || n > 64 {
				return nil, syntaxErr("<clTRID> must be 3 to 64 characters")
			}
			cmd.ClTRID = id
		}
	}
	fail := func(pe *ParseError) (*Command, error) {
		pe.ClTRID = cmd.ClTRID
		return nil, pe
	}
	if err := onlyWhitespace(el); err != nil {
		return fail(err)
	}
	if len(kids) == 0 {
		return fail(syntaxErr("<command> is empty"))
	}
	verb := kids[0]
	if verb.NamespaceURI() == NSEPP && (verb.Tag == "clTRID" || verb.Tag == "extension") {
		return fail(syntaxErr("<%s> must follow the command element", verb.Tag))
	}
	if verb.NamespaceURI() != NSEPP || !knownVerbs[verb.Tag] {
		return fail(&ParseError{Code: CodeUnknownCommand, Reason: fmt.Sprintf("unknown command <%s>", verb.Tag)})
	}
	cmd.Verb, cmd.Element = verb.Tag, verb
	// After the verb: an optional <extension>, then an optional <clTRID>,
	// in that order and once each.
	rest := kids[1:]
	if len(rest) > 0 && rest[0].Tag == "extension" && rest[0].NamespaceURI() == NSEPP {
		cmd.Extensions = rest[0].ChildElements()
		if len(cmd.Extensions) == 0 {
			return fail(syntaxErr("<extension> is empty"))
		}
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0].Tag == "clTRID" && rest[0].NamespaceURI() == NSEPP {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return fail(syntaxErr("unexpected element <%s> in <command>", rest[0].Tag))
	}
	switch cmd.Verb {
	case "login", "logout", "poll":
		return cmd, nil
	}
	objs := verb.ChildElements()
	if len(objs) != 1 {
		return fail(syntaxErr("<%s> must contain exactly one object element, found %d", cmd.Verb, len(objs)))
	}
	cmd.Object, cmd.ObjectNS = objs[0], objs[0].NamespaceURI()
	if cmd.ObjectNS == "" {
		return fail(syntaxErr("<%s> in <%s> has no namespace", objs[0].Tag, cmd.Verb))
	}
	return cmd, nil
}

// onlyWhitespace refuses character data between the elements of el, which
// the EPP schema does not allow.
func onlyWhitespace(el *etree.Element) *ParseError {
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return syntaxErr("unexpected text in <%s>", el.Tag)
		}
	}
	return nil
}

// hasDoctype reports whether the frame declares a document type. It is
// checked on the bytes, before parsing, so that nothing in a DTD is ever
// processed.
func hasDoctype(b []byte) bool {
	return bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!doctype"))
}

// checkTree refuses what the XML parser lets through but XML forbids:
// declarations inside elements and repeated attributes.
func checkTree(el *etree.Element) *ParseError {
	seen := make(map[string]bool, len(el.Attr))
	for _, a := range el.Attr {
		k := a.Space + ":" + a.Key
		if seen[k] {
			return syntaxErr("attribute %q is repeated on <%s>", a.FullKey(), el.FullTag())
		}
		seen[k] = true
	}
	for _, t := range el.Child {
		switch v := t.(type) {
		case *etree.Directive:
			return syntaxErr("declarations are not allowed inside elements")
		case *etree.Element:
			if pe := checkTree(v); pe != nil {
				return pe
			}
		}
	}
	return nil
}
