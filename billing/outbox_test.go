package billing_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// smtpServer is a real SMTP server, in-process on 127.0.0.1, keeping what
// it accepts.
type smtpServer struct {
	addr string
	srv  *smtp.Server

	mu    sync.Mutex
	mails []receivedMail
	// conns counts the connections that said EHLO.
	conns int
	// refuse, when set, may refuse a step ("rcpt" or "data") of a
	// message to a recipient with an error.
	refuse func(step, rcpt string) error
	// user and password, when user is set, are required before MAIL.
	user, password string
}

type receivedMail struct {
	From string
	To   []string
	Data []byte
}

// startSMTP starts a server, stopped when the test ends. tlsConfig, when
// set, is offered with STARTTLS, or from the first byte when implicit.
func startSMTP(t *testing.T, tlsConfig *tls.Config, implicit bool) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &smtpSession{s: s}, nil
	}))
	s.srv.Domain = "mx.example.net"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = l.Addr().String()
	if implicit {
		l = tls.NewListener(l, tlsConfig)
	} else {
		s.srv.TLSConfig = tlsConfig
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		s.srv.Close()
		<-done
	})
	return s
}

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mails)
}

func (s *smtpServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *smtpServer) requireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

func (s *smtpServer) setRefuse(f func(step, rcpt string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = f
}

func (s *smtpServer) check(step, rcpt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil {
		return s.refuse(step, rcpt)
	}
	return nil
}

type smtpSession struct {
	s      *smtpServer
	authed bool
	from   string
	to     []string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		ss.s.mu.Lock()
		defer ss.s.mu.Unlock()
		if user != ss.s.user || password != ss.s.password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	required := ss.s.user != ""
	ss.s.mu.Unlock()
	if required && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.check("rcpt", to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, to := range ss.to {
		if err := ss.s.check("data", to); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.mails = append(ss.s.mails, receivedMail{From: ss.from, To: slices.Clone(ss.to), Data: data})
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// tryLater is the answer of a server that cannot take a message now.
var tryLater = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}

// outboxFixture is an outbox over a fresh store, with a deliverer sending to
// an SMTP server.
type outboxFixture struct {
	t     *testing.T
	ctx   context.Context
	store *sqlstore.Store
	clock *clock
	smtp  *smtpServer
	d     *billing.Deliverer
}

const testSender = "Registry billing <billing@registry.example>"

func newOutboxFixture(t *testing.T, st *sqlstore.Store) *outboxFixture {
	t.Helper()
	f := &outboxFixture{t: t, ctx: t.Context(), store: st, clock: &clock{now: time.Date(2027, 4, 12, 6, 0, 0, 0, time.UTC)}}
	f.smtp = startSMTP(t, nil, false)
	f.d = f.deliverer(f.mailer(f.smtp.addr))
	return f
}

func (f *outboxFixture) mailer(addr string) *billing.Mailer {
	return &billing.Mailer{Addr: addr, From: testSender, TLS: billing.TLSNone, Timeout: 5 * time.Second}
}

func (f *outboxFixture) deliverer(m *billing.Mailer) *billing.Deliverer {
	f.t.Helper()
	d, err := billing.NewDeliverer(f.store, f.clock, billing.OutboxConfig{Mailer: m})
	require.NoError(f.t, err)
	return d
}

func (f *outboxFixture) enqueue(m *registry.OutboxMessage) bool {
	f.t.Helper()
	var created bool
	require.NoError(f.t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
		var err error
		created, err = tx.EnqueueOutbox(f.ctx, m)
		return err
	}))
	return created
}

func (f *outboxFixture) email(key, to string) *registry.OutboxMessage {
	m := &registry.OutboxMessage{Key: key, Channel: registry.OutboxEmail, To: to,
		Subject: "Notice " + key, Body: "About " + key + ".\n", CreatedAt: f.clock.Now()}
	f.enqueue(m)
	return m
}

func (f *outboxFixture) letter(key string) *registry.OutboxMessage {
	m := &registry.OutboxMessage{Key: key, Channel: registry.OutboxLetter,
		To: "Anna Andersson\r\nStorgatan 1\n\n  111 22 Stockholm  \n", Subject: "Påminnelse",
		Body: "Hej!\n\nBetala <" + key + "> & tack.\n", CreatedAt: f.clock.Now()}
	f.enqueue(m)
	return m
}

func (f *outboxFixture) messages(filter registry.OutboxFilter) []registry.OutboxMessage {
	f.t.Helper()
	var ms []registry.OutboxMessage
	require.NoError(f.t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
		var err error
		ms, err = tx.OutboxMessages(f.ctx, filter)
		return err
	}))
	return ms
}

func (f *outboxFixture) message(id int64) registry.OutboxMessage {
	f.t.Helper()
	for _, m := range f.messages(registry.OutboxFilter{}) {
		if m.ID == id {
			return m
		}
	}
	f.t.Fatalf("no outbox message %d", id)
	return registry.OutboxMessage{}
}

// deliver runs one pass and checks its counts: sent, and failed to be
// retried; none given up.
func (f *outboxFixture) deliver(wantSent, wantRetrying int) {
	f.t.Helper()
	f.deliverWant(billing.Delivery{Sent: wantSent, Retrying: wantRetrying})
}

// deliverWant runs one pass and checks its counts.
func (f *outboxFixture) deliverWant(want billing.Delivery) {
	f.t.Helper()
	got, err := f.d.DeliverDue(f.ctx)
	require.NoError(f.t, err)
	require.Equal(f.t, want, got, "DeliverDue")
}

// parsedMail is a received e-mail taken apart.
type parsedMail struct {
	receivedMail
	Header mail.Header
	// Subject is decoded; Body decoded, with "\n" line ends.
	Subject, Body string
}

func parseMail(t *testing.T, r receivedMail) parsedMail {
	t.Helper()
	for i, line := range bytes.Split(r.Data, []byte("\r\n")) {
		require.LessOrEqual(t, len(line), 998, "line %d longer than RFC 5322 allows", i)
		require.NotContains(t, string(line), "\n", "bare LF in line %d", i)
	}
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"))
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	require.NoError(t, err)
	return parsedMail{receivedMail: r, Header: m.Header, Subject: subject,
		Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

func TestDeliverEmails(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		long := strings.Repeat("Lång rad utan radbrytning, ", 20)
		msgs := []*registry.OutboxMessage{
			{Key: "bill/2027-000123/notice-email", Channel: registry.OutboxEmail, To: "anna@example.se",
				Subject: "Faktura 2027-000123: din domän förnyas", Body: "Hej Anna!\n\nÅrsavgiften är 100,00 kr.\n"},
			{Key: "bill/2027-000124/notice-email", Channel: registry.OutboxEmail, To: `"Åsa Öberg" <asa@example.se>`,
				Subject: strings.Repeat("Ett långt ämne ", 12), Body: ".\n.leading dot\n" + long + "\nno final newline"},
			{Key: "plain", Channel: registry.OutboxEmail, To: "ops@example.net", Subject: "ASCII", Body: ""},
		}
		written := f.clock.Now()
		for _, m := range msgs {
			m.CreatedAt = written
			require.True(t, f.enqueue(m))
		}
		f.letter("letters/are/not/mailed")
		f.clock.advance(time.Minute)

		f.deliver(3, 0)
		got := f.smtp.received()
		require.Len(t, got, 3)
		for i, m := range msgs {
			p := parseMail(t, got[i])
			rcpt, _ := mail.ParseAddress(m.To)
			assert.Equal(t, "billing@registry.example", p.From, "envelope sender")
			assert.Equal(t, []string{rcpt.Address}, p.To, "envelope recipients")
			from, err := p.Header.AddressList("From")
			require.NoError(t, err)
			assert.Equal(t, []*mail.Address{{Name: "Registry billing", Address: "billing@registry.example"}}, from)
			to, err := p.Header.AddressList("To")
			require.NoError(t, err)
			assert.Equal(t, []*mail.Address{rcpt}, to)
			assert.Equal(t, m.Subject, p.Subject)
			// The body's lines all end in a line break, the last too.
			wantBody := m.Body
			if wantBody != "" && !strings.HasSuffix(wantBody, "\n") {
				wantBody += "\n"
			}
			assert.Equal(t, wantBody, p.Body)
			date, err := p.Header.Date()
			require.NoError(t, err)
			assert.True(t, date.Equal(written), "Date %v, want when written, %v", date, written)
			assert.Equal(t, billing.MessageID(m.Key, "billing@registry.example"), p.Header.Get("Message-ID"))
			assert.Regexp(t, `^<[0-9a-f]{32}\.outbox@registry\.example>$`, p.Header.Get("Message-ID"))
			assert.Equal(t, "text/plain; charset=utf-8", p.Header.Get("Content-Type"))
			assert.Equal(t, "1.0", p.Header.Get("MIME-Version"))
			assert.Equal(t, "auto-generated", p.Header.Get("Auto-Submitted"))

			stored := f.message(m.ID)
			assert.True(t, stored.SentAt.Equal(f.clock.Now()), "SentAt %v", stored.SentAt)
			assert.Equal(t, 1, stored.Attempts)
			assert.Empty(t, stored.LastError)
		}
		assert.Equal(t, 1, f.smtp.connections(), "one connection for the pass")
		assert.NotEqual(t, billing.MessageID("a", "x@y"), billing.MessageID("b", "x@y"))

		// Nothing is sent twice.
		f.clock.advance(48 * time.Hour)
		f.deliver(0, 0)
		assert.Len(t, f.smtp.received(), 3)
		pending := f.messages(registry.OutboxFilter{Pending: true})
		require.Len(t, pending, 1)
		assert.Equal(t, registry.OutboxLetter, pending[0].Channel)
	})
}

func TestDeliverIdempotentEnqueue(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		// A billing step run twice, as after a crash before it noted that
		// it was done.
		for range 2 {
			f.email("bill/2027-000123/reminder-email", "anna@example.se")
		}
		f.deliver(1, 0)
		// And once more after the e-mail went.
		again := &registry.OutboxMessage{Key: "bill/2027-000123/reminder-email", Channel: registry.OutboxEmail,
			To: "anna@example.se", Subject: "Reminder, again", Body: "x"}
		assert.False(t, f.enqueue(again))
		assert.True(t, again.Sent(), "the message found is the sent one")
		f.clock.advance(time.Hour)
		f.deliver(0, 0)
		got := f.smtp.received()
		require.Len(t, got, 1)
		assert.Equal(t, "Notice bill/2027-000123/reminder-email", parseMail(t, got[0]).Subject)
	})
}

func TestDeliverRetry(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		// The server cannot take mail for grumpy now, at RCPT or after
		// the message's end; the others go through.
		step := "rcpt"
		f.smtp.setRefuse(func(s, rcpt string) error {
			if s == step && rcpt == "grumpy@example.se" {
				return tryLater
			}
			return nil
		})
		grumpy := f.email("grumpy", "grumpy@example.se")
		happy := f.email("happy", "happy@example.se")
		t0 := f.clock.Now()

		f.deliver(1, 1)
		g := f.message(grumpy.ID)
		assert.False(t, g.Sent())
		assert.Equal(t, 1, g.Attempts)
		assert.Contains(t, g.LastError, "451")
		assert.Contains(t, g.LastError, "Try again later")
		assert.True(t, g.NextAttemptAt.Equal(t0.Add(time.Minute)), "first back-off: NextAttemptAt %v", g.NextAttemptAt)
		assert.True(t, f.message(happy.ID).Sent(), "refusal of one message does not stop the next")
		assert.Equal(t, 1, f.smtp.connections(), "the connection survives a refusal")

		// Not due during the back-off.
		f.clock.advance(59 * time.Second)
		f.deliver(0, 0)
		f.clock.advance(time.Second)
		step = "data" // refused after the whole message this time
		f.deliver(0, 1)
		g = f.message(grumpy.ID)
		assert.Equal(t, 2, g.Attempts)
		assert.True(t, g.NextAttemptAt.Equal(f.clock.Now().Add(5*time.Minute)), "second back-off: NextAttemptAt %v", g.NextAttemptAt)

		// The server takes it now.
		f.smtp.setRefuse(nil)
		f.clock.advance(5 * time.Minute)
		f.deliver(1, 0)
		g = f.message(grumpy.ID)
		assert.True(t, g.Sent())
		assert.Equal(t, 3, g.Attempts)
		assert.Contains(t, g.LastError, "451", "the last error stays as a record")
		f.clock.advance(24 * time.Hour)
		f.deliver(0, 0)

		var toGrumpy int
		for _, m := range f.smtp.received() {
			if slices.Contains(m.To, "grumpy@example.se") {
				toGrumpy++
			}
		}
		assert.Equal(t, 1, toGrumpy, "e-mails received by grumpy")
		assert.Len(t, f.smtp.received(), 2)
	})
}

func TestBackoffSchedule(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		f.smtp.setRefuse(func(string, string) error { return tryLater })
		m := f.email("m", "anna@example.se")
		want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 8 * time.Hour,
			24 * time.Hour, 24 * time.Hour, 24 * time.Hour}
		for i, w := range want {
			f.deliver(0, 1)
			got := f.message(m.ID).NextAttemptAt.Sub(f.clock.Now())
			assert.Equal(t, w, got, "back-off after failure %d", i+1)
			f.clock.advance(got)
		}

		// Configurable.
		d, err := billing.NewDeliverer(f.store, f.clock, billing.OutboxConfig{
			Mailer: f.mailer(f.smtp.addr), Backoff: []time.Duration{time.Second, time.Hour}})
		require.NoError(t, err)
		f.d = d
		for _, w := range []time.Duration{time.Hour, time.Hour} {
			f.deliver(0, 1)
			got := f.message(m.ID).NextAttemptAt.Sub(f.clock.Now())
			assert.Equal(t, w, got, "configured back-off beyond its end")
			f.clock.advance(got)
		}
		for _, bad := range [][]time.Duration{{}, {time.Minute, 0}} {
			_, err := billing.NewDeliverer(f.store, f.clock, billing.OutboxConfig{Backoff: bad})
			assert.Error(t, err, "back-off %v", bad)
		}
	})
}

func TestDeliverServerDown(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		// A port nothing listens on.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		down := l.Addr().String()
		require.NoError(t, l.Close())
		f.d = f.deliverer(f.mailer(down))

		a := f.email("a", "anna@example.se")
		b := f.email("b", "bo@example.se")
		res, err := f.d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), down)
		assert.Equal(t, billing.Delivery{Retrying: 1}, res, "one failure is enough to stop the pass")
		ma := f.message(a.ID)
		assert.Equal(t, 1, ma.Attempts)
		assert.Contains(t, ma.LastError, "connection refused")
		assert.True(t, ma.NextAttemptAt.Equal(f.clock.Now().Add(time.Minute)))
		mb := f.message(b.ID)
		assert.Equal(t, 0, mb.Attempts, "the rest are left alone")
		assert.Empty(t, mb.LastError)

		// The server is back: nothing was lost.
		f.d = f.deliverer(f.mailer(f.smtp.addr))
		f.deliver(1, 0)
		f.clock.advance(time.Minute)
		f.deliver(1, 0)
		var to []string
		for _, m := range f.smtp.received() {
			to = append(to, m.To...)
		}
		assert.Equal(t, []string{"bo@example.se", "anna@example.se"}, to)
	})
}

// TestDeliverHungServer: a server that accepts the connection and says
// nothing costs one timeout.
func TestDeliverHungServer(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		t.Cleanup(func() {
			l.Close()
			<-done
		})
		m := f.mailer(l.Addr().String())
		m.Timeout = 200 * time.Millisecond
		f.d = f.deliverer(m)
		msg := f.email("a", "anna@example.se")
		start := time.Now()
		res, err := f.d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Equal(t, billing.Delivery{Retrying: 1}, res)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Contains(t, f.message(msg.ID).LastError, "timeout")
	})
}

func TestDeliverCanceled(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		m := f.email("a", "anna@example.se")
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err := f.d.DeliverDue(ctx)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, f.message(m.ID).Attempts)
		f.deliver(1, 0)
	})
}

func TestDeliverAuth(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		f.smtp.requireAuth("registry", "s3cret")
		m := f.email("a", "anna@example.se")

		// Without logging in, MAIL is refused: a failure of the message.
		f.deliver(0, 1)
		assert.Contains(t, f.message(m.ID).LastError, "MAIL FROM: 502")

		// A wrong password is a failure of the server: the pass stops.
		bad := f.mailer(f.smtp.addr)
		bad.Username, bad.Password = "registry", "wrong"
		f.d = f.deliverer(bad)
		f.clock.advance(time.Minute)
		res, err := f.d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Equal(t, billing.Delivery{Retrying: 1}, res)
		assert.Contains(t, err.Error(), "AUTH PLAIN")

		good := f.mailer(f.smtp.addr)
		good.Username, good.Password = "registry", "s3cret"
		f.d = f.deliverer(good)
		f.clock.advance(5 * time.Minute)
		f.deliver(1, 0)
		assert.Len(t, f.smtp.received(), 1)
	})
}

// testTLS returns a server configuration with a fresh self-signed
// certificate for 127.0.0.1, and a client configuration trusting it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.example.net"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func TestDeliverTLS(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		serverTLS, clientTLS := testTLS(t)
		for _, c := range []struct {
			mode     billing.TLSMode
			implicit bool
		}{
			{billing.TLSStartTLS, false},
			{"", false}, // the default
			{billing.TLSImplicit, true},
		} {
			srv := startSMTP(t, serverTLS, c.implicit)
			srv.requireAuth("registry", "s3cret")
			m := f.mailer(srv.addr)
			m.TLS, m.TLSConfig = c.mode, clientTLS
			// Over TLS a password may go to any host.
			m.Username, m.Password = "registry", "s3cret"
			f.d = f.deliverer(m)
			f.email("tls/"+string(c.mode), "anna@example.se")
			f.deliver(1, 0)
			assert.Len(t, srv.received(), 1, "mode %q", c.mode)
		}

		// A server without STARTTLS is refused unless TLS is off.
		m := f.mailer(f.smtp.addr)
		m.TLS = billing.TLSStartTLS
		f.d = f.deliverer(m)
		f.email("plain", "anna@example.se")
		_, err := f.d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "STARTTLS")
		assert.Empty(t, f.smtp.received())

		// An untrusted certificate is refused.
		srv := startSMTP(t, serverTLS, false)
		m = f.mailer(srv.addr)
		m.TLS = billing.TLSStartTLS
		f.d = f.deliverer(m)
		f.clock.advance(time.Minute)
		_, err = f.d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
		assert.Empty(t, srv.received())
	})
}

// TestDeliverConcurrent has deliverers race over one outbox: every e-mail
// arrives once.
func TestDeliverConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		const n, deliverers = 30, 4
		for i := range n {
			f.email(fmt.Sprintf("m%02d", i), fmt.Sprintf("r%02d@example.se", i))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range deliverers {
			d := f.deliverer(f.mailer(f.smtp.addr))
			wg.Go(func() {
				res, err := d.DeliverDue(f.ctx)
				assert.NoError(t, err)
				assert.Zero(t, res.Retrying+res.Failed)
				mu.Lock()
				total += res.Sent
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, n, total)
		seen := map[string]int{}
		for _, m := range f.smtp.received() {
			seen[m.To[0]]++
		}
		assert.Len(t, seen, n)
		for to, c := range seen {
			assert.Equal(t, 1, c, "e-mails to %s", to)
		}
	})
}

// noMailbox is the answer of a server that has no mailbox for the
// recipient: a permanent refusal.
var noMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}

// TestDeliverPermanentRefusal: an e-mail refused for good (5xx to its
// recipient or to its content) is marked failed after one attempt and
// never tried again, while the others go through; retried by the operator,
// it is due again.
func TestDeliverPermanentRefusal(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		tries := map[string]int{}
		f.smtp.setRefuse(func(step, rcpt string) error {
			if step == "rcpt" {
				tries[rcpt]++
			}
			switch {
			case step == "rcpt" && rcpt == "nobody@example.se":
				return noMailbox
			case step == "data" && rcpt == "spam@example.se":
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected"}
			}
			return nil
		})
		nobody := f.email("nobody", "nobody@example.se")
		spam := f.email("spam", "spam@example.se")
		anna := f.email("anna", "anna@example.se")
		t0 := f.clock.Now()

		f.deliverWant(billing.Delivery{Sent: 1, Failed: 2})
		for _, m := range []*registry.OutboxMessage{nobody, spam} {
			got := f.message(m.ID)
			assert.True(t, got.Failed(), "%s failed", m.Key)
			assert.False(t, got.Sent())
			assert.Equal(t, 1, got.Attempts)
			assert.True(t, got.FailedAt.Equal(t0), "FailedAt %v", got.FailedAt)
		}
		assert.Regexp(t, `RCPT TO: 550 .*No such mailbox`, f.message(nobody.ID).LastError)
		assert.Regexp(t, `end of message: 554 .*Message rejected`, f.message(spam.ID).LastError)
		assert.True(t, f.message(anna.ID).Sent())
		assert.Equal(t, 1, f.smtp.connections(), "the connection survives a permanent refusal")

		// Never tried again, however long one waits.
		for range 3 {
			f.clock.advance(30 * 24 * time.Hour)
			f.deliverWant(billing.Delivery{})
		}
		assert.Equal(t, 1, tries["nobody@example.se"])
		assert.Equal(t, 1, tries["spam@example.se"])
		failed := f.messages(registry.OutboxFilter{Failed: true})
		assert.Equal(t, []int64{nobody.ID, spam.ID}, []int64{failed[0].ID, failed[1].ID})
		assert.Empty(t, f.messages(registry.OutboxFilter{Pending: true}))

		// The mailbox exists now; the operator retries the e-mail.
		f.smtp.setRefuse(nil)
		require.NoError(t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
			return tx.RetryOutbox(f.ctx, nobody.ID, f.clock.Now())
		}))
		f.deliver(1, 0)
		got := f.message(nobody.ID)
		assert.True(t, got.Sent())
		assert.False(t, got.Failed())
		assert.Equal(t, 1, got.Attempts, "attempts counted anew")
		assert.Contains(t, got.LastError, "550", "the last error stays as a record")
		assert.Len(t, f.smtp.received(), 2)
	})
}

// TestDeliverMaxAttempts: an e-mail whose failures may pass (4xx) is
// retried with its back-off until its last attempt, by default the 20th,
// and then marked failed.
func TestDeliverMaxAttempts(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		rcpts := 0
		f.smtp.setRefuse(func(step, _ string) error {
			if step == "rcpt" {
				rcpts++
			}
			return tryLater
		})
		m := f.email("m", "anna@example.se")
		for i := 1; i < billing.DefaultMaxAttempts; i++ {
			f.deliver(0, 1)
			require.Equal(t, i, f.message(m.ID).Attempts)
			f.clock.advance(24 * time.Hour)
		}
		f.deliverWant(billing.Delivery{Failed: 1})
		got := f.message(m.ID)
		assert.True(t, got.Failed())
		assert.Equal(t, billing.DefaultMaxAttempts, got.Attempts)
		assert.Contains(t, got.LastError, "451")
		f.clock.advance(30 * 24 * time.Hour)
		f.deliverWant(billing.Delivery{})
		assert.Equal(t, billing.DefaultMaxAttempts, rcpts)

		// A smaller maximum; a server that cannot be reached counts too.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		down := l.Addr().String()
		require.NoError(t, l.Close())
		d, err := billing.NewDeliverer(f.store, f.clock, billing.OutboxConfig{Mailer: f.mailer(down), MaxAttempts: 2})
		require.NoError(t, err)
		n := f.email("n", "bo@example.se")
		res, err := d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Equal(t, billing.Delivery{Retrying: 1}, res)
		f.clock.advance(time.Minute)
		res, err = d.DeliverDue(f.ctx)
		require.Error(t, err)
		assert.Equal(t, billing.Delivery{Failed: 1}, res)
		assert.True(t, f.message(n.ID).Failed())
		assert.Contains(t, f.message(n.ID).LastError, "connection refused")

		_, err = billing.NewDeliverer(f.store, f.clock, billing.OutboxConfig{MaxAttempts: -1})
		assert.Error(t, err)
	})
}

// openStore opens and migrates a store of its own on dsn, closed when the
// test ends.
func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(t.Context()))
	return st
}

// TestDeliverLoopProcesses: two deliverers, each over its own connection
// pool as in two eppd processes on one database, loop at once over one
// outbox: every e-mail is sent once, and every permanent refusal is tried
// once.
func TestDeliverLoopProcesses(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t testing.TB) string
	}{{"sqlite", sqltest.SQLite}, {"postgres", sqltest.Postgres}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn(t)
			stores := []*sqlstore.Store{openStore(t, dsn), openStore(t, dsn)}
			f := newOutboxFixture(t, stores[0])
			tries := map[string]int{}
			f.smtp.setRefuse(func(step, rcpt string) error {
				if step == "rcpt" {
					tries[rcpt]++
					if strings.HasPrefix(rcpt, "gone") {
						return noMailbox
					}
				}
				return nil
			})
			const n = 40
			for i := range n {
				to := fmt.Sprintf("r%02d@example.se", i)
				if i%8 == 0 {
					to = fmt.Sprintf("gone%02d@example.se", i)
				}
				f.email(fmt.Sprintf("m%02d", i), to)
			}
			ctx, cancel := context.WithCancel(f.ctx)
			var wg sync.WaitGroup
			for _, st := range stores {
				d, err := billing.NewDeliverer(st, f.clock, billing.OutboxConfig{Mailer: f.mailer(f.smtp.addr), EmailLimit: 3})
				require.NoError(t, err)
				wg.Go(func() { assert.ErrorIs(t, d.Loop(ctx, 5*time.Millisecond), context.Canceled) })
			}
			require.Eventually(t, func() bool { return len(f.messages(registry.OutboxFilter{Pending: true})) == 0 },
				20*time.Second, 10*time.Millisecond)
			cancel()
			wg.Wait()

			assert.Len(t, f.messages(registry.OutboxFilter{Failed: true}), n/8)
			seen := map[string]int{}
			for _, m := range f.smtp.received() {
				seen[m.To[0]]++
			}
			assert.Len(t, seen, n-n/8)
			for to, c := range seen {
				assert.Equal(t, 1, c, "e-mails to %s", to)
			}
			f.smtp.mu.Lock()
			defer f.smtp.mu.Unlock()
			for to, c := range tries {
				assert.Equal(t, 1, c, "RCPT TO %s", to)
			}
		})
	}
}

func TestNewDelivererChecksMailer(t *testing.T) {
	for _, m := range []billing.Mailer{
		{Addr: "localhost", From: "a@example.se"},
		{Addr: "localhost:25", From: "not an address"},
		{Addr: "localhost:25", From: "a@example.se", TLS: "ssl"},
		{Addr: "localhost:25", From: "a@example.se", Timeout: 10 * time.Minute}, // longer than the claim
	} {
		_, err := billing.NewDeliverer(nil, registry.SystemClock{}, billing.OutboxConfig{Mailer: &m})
		assert.Error(t, err, "%+v", m)
	}
	d, err := billing.NewDeliverer(nil, registry.SystemClock{}, billing.OutboxConfig{})
	require.NoError(t, err)
	_, err = d.DeliverDue(t.Context())
	assert.ErrorContains(t, err, "no SMTP server")
}

// readBatch decodes a batch file.
func readBatch(t *testing.T, path string) []billing.LetterRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(data, []byte("\n")), "file ends with a newline")
	var out []billing.LetterRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r billing.LetterRecord
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&r), "line %q", sc.Text())
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

// batchFiles lists the files in dir.
func batchFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestLetterBatch(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		dir := filepath.Join(t.TempDir(), "print", "outgoing")

		// Nothing due: no file.
		path, n, err := f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, "", path)
		assert.Zero(t, n)

		written := f.clock.Now()
		l1 := f.letter("bill/2027-000123/reminder-letter")
		l2 := f.letter("bill/2027-000124/reminder-letter")
		ahead := &registry.OutboxMessage{Key: "ahead", Channel: registry.OutboxLetter, To: "Bo\nGatan 2",
			Body: "Later.\n", NextAttemptAt: written.Add(24 * time.Hour)}
		f.enqueue(ahead)
		f.email("mail", "anna@example.se")
		f.clock.advance(time.Hour)

		path, n, err = f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Equal(t, dir, filepath.Dir(path))
		name := filepath.Base(path)
		assert.Regexp(t, `^letters-20270412T070000Z-[0-9a-f]{8}\.jsonl$`, name)
		batchID := strings.TrimSuffix(strings.TrimPrefix(name, "letters-"), ".jsonl")
		assert.Equal(t, billing.LetterBatchFile(batchID), name)
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), info.Mode().Perm())

		recs := readBatch(t, path)
		require.Len(t, recs, 2)
		for i, l := range []*registry.OutboxMessage{l1, l2} {
			assert.Equal(t, billing.LetterRecord{
				Batch: batchID, ID: l.ID, Key: l.Key, Created: written,
				Address: []string{"Anna Andersson", "Storgatan 1", "111 22 Stockholm"},
				Subject: "Påminnelse", Body: "Hej!\n\nBetala <" + l.Key + "> & tack.\n",
			}, recs[i])
			stored := f.message(l.ID)
			assert.Equal(t, batchID, stored.BatchID)
			assert.True(t, stored.SentAt.Equal(f.clock.Now()))
		}
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(raw), `"body":"Hej!\n\nBetala <bill/2027-000123/reminder-letter> & tack.\n"`,
			"readable JSON: no HTML escapes")
		assert.Equal(t, 2, bytes.Count(raw, []byte("\n")), "one line a letter")

		// A re-run writes nothing.
		path, n, err = f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, "", path)
		assert.Zero(t, n)
		assert.Equal(t, []string{name}, batchFiles(t, dir), "no temporary files left behind")

		// The letter scheduled ahead, in a batch of its own.
		f.clock.advance(24 * time.Hour)
		path2, n, err := f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		recs2 := readBatch(t, path2)
		require.Len(t, recs2, 1)
		assert.Equal(t, "ahead", recs2[0].Key)
		assert.Equal(t, []string{"Bo", "Gatan 2"}, recs2[0].Address)
		assert.Len(t, batchFiles(t, dir), 2)
		assert.Empty(t, f.messages(registry.OutboxFilter{Channel: registry.OutboxLetter, Pending: true}))
		assert.Empty(t, f.smtp.received(), "letters are not e-mailed")
	})
}

// TestLetterBatchRepair: a run that stopped between giving letters their
// batch and marking them sent is finished by the next, and no letter is
// written into two batches.
func TestLetterBatchRepair(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		dir := t.TempDir()
		assign := func(batchID string) []registry.OutboxMessage {
			var ms []registry.OutboxMessage
			require.NoError(t, f.store.Tx(f.ctx, func(tx registry.Tx) error {
				var err error
				ms, err = tx.AssignOutboxBatch(f.ctx, registry.OutboxLetter, batchID, f.clock.Now(), 100)
				return err
			}))
			return ms
		}

		// Stopped before the file was written.
		f.letter("a")
		f.letter("b")
		lost := assign("20270412T060000Z-0000000a")
		require.Len(t, lost, 2)
		// Stopped after the file was written: its file is left as is.
		f.letter("c")
		require.Len(t, assign("20270412T060000Z-0000000b"), 1)
		doneFile := filepath.Join(dir, billing.LetterBatchFile("20270412T060000Z-0000000b"))
		require.NoError(t, os.WriteFile(doneFile, []byte("as the vendor got it\n"), 0o640))
		// And a letter due now.
		f.letter("d")

		path, n, err := f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, []string{"d"}, keysOf(readBatch(t, path)))
		repaired := readBatch(t, filepath.Join(dir, billing.LetterBatchFile("20270412T060000Z-0000000a")))
		assert.Equal(t, []string{"a", "b"}, keysOf(repaired))
		assert.Equal(t, "20270412T060000Z-0000000a", repaired[0].Batch)
		data, err := os.ReadFile(doneFile)
		require.NoError(t, err)
		assert.Equal(t, "as the vendor got it\n", string(data))
		assert.Empty(t, f.messages(registry.OutboxFilter{Pending: true}))
		assert.Len(t, batchFiles(t, dir), 3)

		// Every letter in exactly one file.
		seen := map[string]int{}
		for _, name := range batchFiles(t, dir) {
			if name == filepath.Base(doneFile) {
				seen["c"]++
				continue
			}
			for _, r := range readBatch(t, filepath.Join(dir, name)) {
				seen[r.Key]++
			}
		}
		assert.Equal(t, map[string]int{"a": 1, "b": 1, "c": 1, "d": 1}, seen)

		path, n, err = f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Empty(t, path)
		assert.Len(t, batchFiles(t, dir), 3)
	})
}

func TestLetterBatchUnwritable(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		f := newOutboxFixture(t, open(t))
		f.letter("a")
		// A file where the directory should be.
		blocker := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(blocker, nil, 0o600))
		_, _, err := f.d.WriteLetterBatch(f.ctx, blocker)
		require.Error(t, err)
		_, _, err = f.d.WriteLetterBatch(f.ctx, "")
		require.Error(t, err)
		assert.Len(t, f.messages(registry.OutboxFilter{Pending: true}), 1, "nothing lost")

		dir := t.TempDir()
		path, n, err := f.d.WriteLetterBatch(f.ctx, dir)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, []string{"a"}, keysOf(readBatch(t, path)))
	})
}

func keysOf(rs []billing.LetterRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}
