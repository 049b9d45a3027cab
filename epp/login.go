package epp

import (
	"context"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/eppd/eppd/registry"
)

// login serves <login> (RFC 5730 section 2.9.1.1).
//
// Result codes: 1000; 2001 (a required element missing or misplaced);
// 2005 (new password breaks the rules); 2100 (version); 2102 (lang);
// 2103 (extension URI); 2200 (identifier, password or certificate);
// 2201 (suspended reseller, or source address not allowed); 2307 (object
// URI); 2400; 2501 (locked out after repeated failures; the connection is
// closed); 2502 (the reseller's session cap; the connection is closed).
func (s *session) login(ctx context.Context, cmd *Command) *Response {
	el := cmd.Element
	child := func(name string) *etree.Element {
		for _, c := range el.ChildElements() {
			if c.Tag == name && c.NamespaceURI() == NSEPP {
				return c
			}
		}
		return nil
	}
	clID, pw, opts, svcs := child("clID"), child("pw"), child("options"), child("svcs")
	if clID == nil || pw == nil || opts == nil || svcs == nil {
		return NewResponse(CodeSyntaxError, "<login> needs <clID>, <pw>, <options> and <svcs>")
	}
	var newPW string
	if np := child("newPW"); np != nil {
		newPW = np.Text()
	}
	version, lang := opts.SelectElement("version"), opts.SelectElement("lang")
	if version == nil || lang == nil {
		return NewResponse(CodeSyntaxError, "<options> needs <version> and <lang>")
	}
	if v := strings.TrimSpace(version.Text()); v != "1.0" {
		return &Response{Results: []Result{{Code: CodeUnimplementedVersion, Msg: fmt.Sprintf("protocol version %q is not supported; use 1.0", v), Values: []ExtValue{{Value: version, Reason: "only version 1.0 is supported"}}}}}
	}
	if l := strings.TrimSpace(lang.Text()); l != "en" {
		return &Response{Results: []Result{{Code: CodeUnimplementedOption, Msg: fmt.Sprintf("language %q is not supported; use en", l), Values: []ExtValue{{Value: lang, Reason: "only en is supported"}}}}}
	}
	var objs, exts []string
	mux := s.srv.cfg.Mux
	for _, c := range svcs.ChildElements() {
		switch {
		case c.Tag == "objURI":
			uri := strings.TrimSpace(c.Text())
			if !contains(mux.Objects(), uri) {
				return &Response{Results: []Result{{Code: CodeUnimplementedObject, Msg: fmt.Sprintf("object service %q is not implemented", uri), Values: []ExtValue{{Value: c, Reason: "not offered in the greeting"}}}}}
			}
			objs = append(objs, uri)
		case c.Tag == "svcExtension":
			for _, e := range c.ChildElements() {
				uri := strings.TrimSpace(e.Text())
				if !contains(mux.Extensions(), uri) {
					return &Response{Results: []Result{{Code: CodeUnimplementedExtension, Msg: fmt.Sprintf("extension %q is not implemented", uri), Values: []ExtValue{{Value: e, Reason: "not offered in the greeting"}}}}}
				}
				exts = append(exts, uri)
			}
		}
	}
	if len(objs) == 0 {
		return NewResponse(CodeSyntaxError, "<svcs> needs at least one <objURI>")
	}

	r, err := s.srv.cfg.Auth.Login(ctx, registry.LoginRequest{
		ClID: clID.Text(), Password: pw.Text(), NewPassword: newPW,
		Certs: s.PeerCertificates, Addr: s.RemoteAddr, Actor: registry.Actor{
			Name: registry.ResellerActor(clID.Text()), SessionID: s.ID, ClTRID: cmd.ClTRID, SvTRID: cmd.SvTRID,
		},
	})
	if err != nil {
		kind := registry.ErrorKind(err)
		s.srv.cfg.Metrics.LoginFailures.WithLabelValues(metricLabel(kind.String())).Inc()
		s.log.Warn("login failed", "clID", clID.Text(), "kind", kind.String(), "err", err)
		var re *registry.Error
		reason := ""
		if e, ok := err.(*registry.Error); ok {
			re, reason = e, e.Reason
		}
		switch {
		case re == nil || kind == registry.KindInternal:
			return NewResponse(CodeCommandFailed, "the login could not be checked; try again")
		case kind == registry.KindLockedOut:
			return NewResponse(CodeAuthenticationErrClosing, reason)
		case kind == registry.KindForbidden:
			return NewResponse(CodeAuthorizationError, reason)
		case kind == registry.KindInvalid:
			return NewResponse(CodeParameterSyntaxError, reason)
		default:
			return NewResponse(CodeAuthenticationError, reason)
		}
	}
	if !s.srv.takeSlot(r) {
		s.srv.cfg.Metrics.LoginFailures.WithLabelValues("session_limit").Inc()
		return NewResponse(CodeSessionLimitExceeded, fmt.Sprintf("reseller %q already has its maximum number of sessions open", r.ClID))
	}
	s.Reseller, s.Objects, s.Extensions = r, objs, exts
	s.log = s.log.With("reseller", r.ClID)
	return NewResponse(CodeSuccess, "")
}
