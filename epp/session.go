package epp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/eppd/eppd/registry"
)

// Session is what a handler knows of the session it serves.
type Session struct {
	// ID identifies the session in logs and history.
	ID string
	// RemoteAddr is the client's source address.
	RemoteAddr netip.Addr
	// Reseller is the logged-in reseller; nil before login.
	Reseller *registry.Reseller
	// Objects and Extensions are the services the client selected at
	// login.
	Objects    []string
	Extensions []string
	// Started is when the TLS handshake completed.
	Started time.Time
	// PeerCertificates is the client's certificate chain, leaf first.
	PeerCertificates []*x509.Certificate
}

// Actor names the session, and cmd within it, for history entries.
func (s *Session) Actor(cmd *Command) registry.Actor {
	a := registry.Actor{SessionID: s.ID}
	if s.Reseller != nil {
		a.Name, a.ClID = registry.ResellerActor(s.Reseller.ClID), s.Reseller.ClID
	}
	if cmd != nil {
		a.ClTRID, a.SvTRID = cmd.ClTRID, cmd.SvTRID
	}
	return a
}

// session is one connection's state and loop.
type session struct {
	Session
	srv  *Server
	conn *tls.Conn
	log  *slog.Logger
	// opened is when the session began, on the wall clock.
	opened time.Time

	// mu guards waiting and interrupted, which Shutdown uses to close
	// only sessions that are between commands.
	mu          sync.Mutex
	waiting     bool
	interrupted bool
}

func newSession(srv *Server, conn *tls.Conn, log *slog.Logger) *session {
	s := &session{srv: srv, conn: conn, opened: time.Now()}
	s.ID = srv.trids.next("S")
	s.Started = srv.cfg.Clock.Now()
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		s.RemoteAddr = ap.Addr().Unmap()
	}
	s.PeerCertificates = conn.ConnectionState().PeerCertificates
	s.log = log.With("session", s.ID)
	return s
}

// interrupt makes a session that waits for a frame stop waiting. Called
// with srv.mu held, after srv.closing is set.
func (s *session) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting {
		s.interrupted = true
		_ = s.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// beginWait marks the session as waiting for a frame until deadline. It
// returns false when the server is draining: the session must close.
func (s *session) beginWait(deadline time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv.closing.Load() {
		return false
	}
	_ = s.conn.SetReadDeadline(deadline)
	s.waiting = true
	return true
}

// endWait marks the session busy and reports whether Shutdown interrupted
// the wait.
func (s *session) endWait() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = false
	return s.interrupted
}

// deadline returns when the wait for the next frame ends, and why.
// Session limits run on the wall clock: they are about the connection, not
// about registry time, which tests may move.
func (s *session) deadline() (time.Time, string) {
	now := time.Now()
	age := s.opened.Add(s.srv.cfg.MaxSessionAge)
	if s.Reseller == nil {
		if login := s.opened.Add(s.srv.cfg.LoginTimeout); login.Before(age) {
			return login, "login timeout"
		}
	} else if idle := now.Add(s.srv.cfg.IdleTimeout); idle.Before(age) {
		return idle, "idle timeout"
	}
	return age, "session age limit"
}

func (s *session) run() {
	defer s.conn.Close()
	if err := s.writeGreeting(); err != nil {
		s.closed("write error")
		return
	}
	for {
		deadline, why := s.deadline()
		if !s.beginWait(deadline) {
			s.closeWith(CodeCommandFailedClosing, "the server is shutting down", "shutdown")
			return
		}
		frame, err := ReadFrame(s.conn, s.srv.cfg.MaxFrame)
		interrupted := s.endWait()
		if err != nil {
			s.readFailed(err, interrupted, why)
			return
		}
		if !s.serveFrame(frame) {
			return
		}
		if s.srv.closing.Load() {
			s.closed("shutdown")
			return
		}
	}
}

// readFailed closes the session after a failed frame read, telling the
// client why where the protocol and the connection allow.
func (s *session) readFailed(err error, interrupted bool, why string) {
	m := s.srv.cfg.Metrics
	var fse *FrameSizeError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && interrupted:
		s.closeWith(CodeCommandFailedClosing, "the server is shutting down", "shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.closeWith(CodeCommandFailedClosing, "session closed: "+why, metricLabel(why))
	case errors.As(err, &fse):
		reason := "frame_too_large"
		msg := fmt.Sprintf("frame of %d bytes exceeds the maximum of %d", int64(fse.Length)-headerLen, fse.Max)
		if errors.Is(err, ErrFrameHeader) {
			reason, msg = "bad_header", fmt.Sprintf("invalid frame length header %d", fse.Length)
		}
		m.FramesRejected.WithLabelValues(reason).Inc()
		s.log.Warn("frame rejected", "reason", reason, "length", fse.Length)
		s.closeWith(CodeCommandFailedClosing, msg, reason)
	case errors.Is(err, ErrFrameTruncated):
		m.FramesRejected.WithLabelValues("truncated").Inc()
		s.log.Warn("frame rejected", "reason", "truncated")
		s.closeWith(CodeCommandFailedClosing, "truncated frame", "truncated")
	case errors.Is(err, io.EOF):
		s.closed("client closed")
	default:
		s.log.Info("read failed", "err", err)
		s.closed("read error")
	}
}

// closeWith sends an unsolicited closing answer (best effort: the peer may
// be gone) and counts the close.
func (s *session) closeWith(code Code, msg, reason string) {
	r := NewResponse(code, msg)
	r.svTRID = s.srv.trids.next("T")
	if b, err := r.Marshal(); err == nil {
		_ = s.write(b)
	}
	s.log.Info("session closed by server", "reason", reason, "code", int(code))
	s.closed(reason)
}

func (s *session) closed(reason string) {
	s.srv.cfg.Metrics.SessionsClosed.WithLabelValues(reason).Inc()
}

func (s *session) write(b []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	return WriteFrame(s.conn, b)
}

func (s *session) writeGreeting() error {
	b, err := s.srv.marshalGreeting(s.srv.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return s.write(b)
}

// serveFrame answers one frame and reports whether the session goes on.
func (s *session) serveFrame(frame []byte) bool {
	start := time.Now()
	m := s.srv.cfg.Metrics
	cmd, err := Parse(frame)
	if err == nil && cmd.Hello {
		m.Commands.WithLabelValues("hello", "greeting").Inc()
		m.CommandDuration.WithLabelValues("hello").Observe(time.Since(start).Seconds())
		if err := s.writeGreeting(); err != nil {
			s.closed("write error")
			return false
		}
		return true
	}
	var resp *Response
	name, clTRID := cmd.Name(), ""
	svTRID := s.srv.trids.next("T")
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			pe = &ParseError{Code: CodeSyntaxError, Reason: err.Error()}
		}
		resp, clTRID = NewResponse(pe.Code, pe.Reason), pe.ClTRID
	} else {
		cmd.SvTRID, clTRID = svTRID, cmd.ClTRID
		resp = s.dispatch(cmd)
	}
	resp.clTRID, resp.svTRID = clTRID, svTRID
	out, err := resp.Marshal()
	if err != nil {
		s.log.Error("response could not be written", "err", err, "svTRID", svTRID)
		resp = NewResponse(CodeCommandFailed, "")
		resp.clTRID, resp.svTRID = clTRID, svTRID
		out, _ = resp.Marshal()
	}
	code := resp.Code()
	werr := s.write(out)
	elapsed := time.Since(start)
	m.Commands.WithLabelValues(name, strconv.Itoa(int(code))).Inc()
	m.CommandDuration.WithLabelValues(name).Observe(elapsed.Seconds())
	attrs := []any{"command", name, "code", int(code), "svTRID", svTRID, "clTRID", clTRID,
		"duration_ms", float64(elapsed.Microseconds()) / 1000}
	if code.Success() {
		s.log.Info("command", attrs...)
	} else {
		s.log.Info("command", append(attrs, "msg", resp.Results[0].Msg)...)
	}
	if werr != nil {
		s.closed("write error")
		return false
	}
	if code.Closing() {
		reason := "logout"
		if code != CodeSuccessEndingSession {
			reason = "closing_" + strconv.Itoa(int(code))
		}
		s.closed(reason)
		return false
	}
	return true
}

// dispatch answers a parsed command. A panic in any handler becomes a 2400
// for this command only.
func (s *session) dispatch(cmd *Command) (resp *Response) {
	defer func() {
		if p := recover(); p != nil {
			s.srv.cfg.Metrics.Panics.Inc()
			s.log.Error("panic while serving command", "command", cmd.Name(), "svTRID", cmd.SvTRID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = NewResponse(CodeCommandFailed, "internal server error; the command was not carried out")
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.WriteTimeout)
	defer cancel()
	switch cmd.Verb {
	case "login":
		if s.Reseller != nil {
			return NewResponse(CodeUseError, "already logged in; log out before logging in again")
		}
		return s.login(ctx, cmd)
	case "logout":
		if s.Reseller == nil {
			return NewResponse(CodeUseError, "not logged in")
		}
		return NewResponse(CodeSuccessEndingSession, "")
	}
	if s.Reseller == nil {
		return NewResponse(CodeUseError, "log in first")
	}
	ns := cmd.ObjectNS
	if cmd.Verb == "poll" {
		ns = NSEPP
	} else if !contains(s.Objects, ns) {
		if !contains(s.srv.cfg.Mux.Objects(), ns) {
			return NewResponse(CodeUnimplementedObject, fmt.Sprintf("object service %q is not implemented", ns))
		}
		return NewResponse(CodeUnimplementedObject, fmt.Sprintf("object service %q was not selected at login", ns))
	}
	for _, e := range cmd.Extensions {
		if uri := e.NamespaceURI(); !contains(s.Extensions, uri) {
			return NewResponse(CodeUnimplementedExtension, fmt.Sprintf("extension %q was not selected at login", uri))
		}
	}
	h := s.srv.cfg.Mux.handler(cmd.Verb, ns)
	if h == nil {
		return NewResponse(CodeUnimplementedCommand, fmt.Sprintf("<%s> is not implemented for %s", cmd.Verb, ns))
	}
	resp = h.ServeEPP(ctx, &s.Session, cmd)
	if resp == nil {
		panic("handler returned no response")
	}
	return resp
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
