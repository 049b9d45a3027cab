package epp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eppd/eppd/registry"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("epp: server closed")

// Authenticator checks a login. registry.Service implements it.
type Authenticator interface {
	Login(ctx context.Context, req registry.LoginRequest) (*registry.Reseller, error)
}

// Config configures a Server. Zero durations and limits take the defaults
// given.
type Config struct {
	// TLS carries the server certificate. The server copies it and forces
	// TLS 1.2 as the minimum and a request for a client certificate; the
	// certificate is judged at login, against the reseller's registered
	// certificates.
	TLS *tls.Config
	// ServerID is the greeting's svID (default "eppd").
	ServerID string
	// MaxFrame is the largest accepted data unit payload, in bytes
	// (default DefaultMaxFrame).
	MaxFrame int
	// HandshakeTimeout bounds the TLS handshake (default 10s).
	HandshakeTimeout time.Duration
	// LoginTimeout bounds the time from connection to a successful login
	// (default 60s).
	LoginTimeout time.Duration
	// IdleTimeout bounds the wait for the next frame once logged in
	// (default 10m).
	IdleTimeout time.Duration
	// MaxSessionAge ends a session after this long, whatever it does
	// (default 24h).
	MaxSessionAge time.Duration
	// WriteTimeout bounds writing one answer (default 30s).
	WriteTimeout time.Duration
	// MaxSessionsPerReseller is the concurrent session cap for resellers
	// whose own cap is zero (default 10).
	MaxSessionsPerReseller int
	// MaxConnections caps open connections, logged in or not; further
	// connections are closed at once (default 1000).
	MaxConnections int
	// Auth checks logins.
	Auth Authenticator
	// Mux routes the commands of logged-in sessions and lists the
	// announced services.
	Mux *Mux
	// Clock tells the time (default registry.SystemClock).
	Clock registry.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics receives measurements (default: unregistered collectors).
	Metrics *Metrics
}

// Server is an EPP server over TLS (RFC 5734).
type Server struct {
	cfg     Config
	tls     *tls.Config
	trids   *tridGen
	closing atomic.Bool

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*session]struct{}
	nconns    int
	slots     map[int64]int // reseller ID -> sessions logged in
	wg        sync.WaitGroup
}

// NewServer checks cfg and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.TLS == nil || (len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil) {
		return nil, errors.New("epp: a server certificate is required")
	}
	if cfg.Auth == nil {
		return nil, errors.New("epp: an authenticator is required")
	}
	if cfg.Mux == nil {
		cfg.Mux = NewMux(NSDomain, NSContact, NSHost)
	}
	if cfg.ServerID == "" {
		cfg.ServerID = "eppd"
	}
	setDefault(&cfg.MaxFrame, DefaultMaxFrame)
	setDefault(&cfg.HandshakeTimeout, 10*time.Second)
	setDefault(&cfg.LoginTimeout, 60*time.Second)
	setDefault(&cfg.IdleTimeout, 10*time.Minute)
	setDefault(&cfg.MaxSessionAge, 24*time.Hour)
	setDefault(&cfg.WriteTimeout, 30*time.Second)
	setDefault(&cfg.MaxSessionsPerReseller, 10)
	setDefault(&cfg.MaxConnections, 1000)
	if cfg.Clock == nil {
		cfg.Clock = registry.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	t := cfg.TLS.Clone()
	t.MinVersion = tls.VersionTLS12
	if t.MaxVersion != 0 && t.MaxVersion < tls.VersionTLS12 {
		return nil, errors.New("epp: TLS MaxVersion below 1.2")
	}
	t.ClientAuth = tls.RequestClientCert
	t.NextProtos = nil
	trids, err := newTridGen()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg: cfg, tls: t, trids: trids,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*session]struct{}{},
		slots:     map[int64]int{},
	}, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Metrics returns the server's collectors.
func (srv *Server) Metrics() *Metrics { return srv.cfg.Metrics }

// ListenAndServe listens on the TCP address addr and serves.
func (srv *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return srv.Serve(ln)
}

// Serve accepts connections on ln until Shutdown, and always returns a
// non-nil error (ErrServerClosed after Shutdown). ln yields plain TCP
// connections; the server runs TLS over them.
func (srv *Server) Serve(ln net.Listener) error {
	srv.mu.Lock()
	if srv.closing.Load() {
		srv.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	srv.listeners[ln] = struct{}{}
	srv.mu.Unlock()
	defer func() {
		srv.mu.Lock()
		delete(srv.listeners, ln)
		srv.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if srv.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				srv.cfg.Logger.Warn("accept failed; retrying", "err", err, "delay", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if !srv.admit() {
			srv.cfg.Metrics.ConnsRefused.Inc()
			c.Close()
			continue
		}
		srv.wg.Add(1)
		go srv.serveConn(c)
	}
}

// admit counts a new connection, or refuses it at the connection limit.
func (srv *Server) admit() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.nconns >= srv.cfg.MaxConnections {
		return false
	}
	srv.nconns++
	return true
}

func (srv *Server) serveConn(c net.Conn) {
	defer srv.wg.Done()
	defer func() {
		srv.mu.Lock()
		srv.nconns--
		srv.mu.Unlock()
	}()
	log := srv.cfg.Logger.With("remote", c.RemoteAddr().String())
	defer func() {
		if p := recover(); p != nil {
			srv.cfg.Metrics.Panics.Inc()
			log.Error("panic in connection handler", "panic", fmt.Sprint(p))
			c.Close()
		}
	}()

	tc := tls.Server(c, srv.tls)
	ctx, cancel := context.WithTimeout(context.Background(), srv.cfg.HandshakeTimeout)
	_ = tc.SetDeadline(time.Now().Add(srv.cfg.HandshakeTimeout))
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		srv.cfg.Metrics.HandshakeFailures.Inc()
		log.Info("TLS handshake failed", "err", err)
		c.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})

	s := newSession(srv, tc, log)
	if !srv.track(s) {
		s.closeWith(CodeCommandFailedClosing, "the server is shutting down", "shutdown")
		return
	}
	defer srv.untrack(s)
	srv.cfg.Metrics.SessionsOpen.Inc()
	defer srv.cfg.Metrics.SessionsOpen.Dec()
	s.run()
}

func (srv *Server) track(s *session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing.Load() {
		return false
	}
	srv.conns[s] = struct{}{}
	return true
}

func (srv *Server) untrack(s *session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.conns, s)
	if s.Reseller != nil {
		if srv.slots[s.Reseller.ID]--; srv.slots[s.Reseller.ID] <= 0 {
			delete(srv.slots, s.Reseller.ID)
		}
	}
}

// takeSlot counts a logged-in session for r, or refuses it at r's cap.
func (srv *Server) takeSlot(r *registry.Reseller) bool {
	limit := r.MaxSessions
	if limit <= 0 {
		limit = srv.cfg.MaxSessionsPerReseller
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.slots[r.ID] >= limit {
		return false
	}
	srv.slots[r.ID]++
	return true
}

// Shutdown drains the server: it stops accepting, closes sessions that
// wait for a frame (telling them why), lets commands in flight finish and
// their sessions close after answering, and returns once every connection
// is gone. If ctx ends first, the remaining connections are closed at once
// and ctx's error is returned.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	srv.closing.Store(true)
	for ln := range srv.listeners {
		ln.Close()
	}
	for s := range srv.conns {
		s.interrupt()
	}
	srv.mu.Unlock()

	done := make(chan struct{})
	go func() {
		srv.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		srv.mu.Lock()
		for s := range srv.conns {
			s.conn.Close()
		}
		srv.mu.Unlock()
		<-done
		return ctx.Err()
	}
}
