package billing

// The outbox's delivery: e-mail over SMTP, letters in batch files for the
// print vendor.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eppd/eppd/registry"
)

// TLSMode says how a Mailer protects its connection.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS upgrades the connection with STARTTLS, and fails when
	// the server does not offer it. The default.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never encrypts: for a relay on the same host or network.
	// A password is then sent only to localhost.
	TLSNone TLSMode = "none"
)

// DefaultMailTimeout bounds each step of a Mailer's work when its Timeout
// is zero.
const DefaultMailTimeout = 30 * time.Second

// Mailer is how the registry reaches its SMTP server: a relay that takes
// the registry's mail for delivery. It sends with net/smtp, which is frozen
// but complete for this, and which refuses to send a password unencrypted
// to anything but localhost.
type Mailer struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender, in the From header and as the envelope sender:
	// an address, optionally with a name ("Registry <billing@nic.example>").
	// Its domain ends every Message-ID.
	From string
	// Username and Password, when Username is set, log in with AUTH PLAIN.
	Username, Password string
	// TLS is the protection of the connection; "" is TLSStartTLS.
	TLS TLSMode
	// TLSConfig, when set, is used for TLS (its ServerName defaults to
	// Addr's host).
	TLSConfig *tls.Config
	// HelloName is the name given in EHLO; "" is "localhost".
	HelloName string
	// Timeout bounds the connection and login, and then the conversation
	// for each message; 0 is DefaultMailTimeout.
	Timeout time.Duration
}

func (m *Mailer) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return DefaultMailTimeout
}

// check validates m and returns its sender.
func (m *Mailer) check() (*mail.Address, error) {
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		return nil, fmt.Errorf("SMTP server %q: want host:port", m.Addr)
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("sender %q is not an e-mail address: %w", m.From, err)
	}
	if _, domain, ok := strings.Cut(from.Address, "@"); !ok || domain == "" {
		return nil, fmt.Errorf("sender %q has no domain", m.From)
	}
	switch m.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("TLS mode %q: want %s, %s or %s", m.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if m.Timeout < 0 {
		return nil, fmt.Errorf("SMTP timeout %v is negative", m.Timeout)
	}
	return from, nil
}

// serverError is a failure to use the SMTP server at all (connect, TLS,
// log in), rather than to send one message: the other messages would fail
// the same way.
type serverError struct{ err error }

func (e *serverError) Error() string { return e.err.Error() }
func (e *serverError) Unwrap() error { return e.err }

// permanentError is a failure of one message that trying again would
// repeat: a 5xx reply to its recipient or to its content (RFC 5321 section
// 4.2.1, such as 550 for a mailbox that does not exist), or a message that
// cannot be written at all.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// mailSession is one SMTP connection, over which messages go one after the
// other.
type mailSession struct {
	conn    net.Conn // the TCP connection, for deadlines
	c       *smtp.Client
	timeout time.Duration
	stop    func() bool
	// broken is set when the connection cannot take another message.
	broken bool

	mu       sync.Mutex
	canceled bool
}

// dial connects to the server and logs in. The session ends, whatever it
// is doing, when ctx is done.
func (m *Mailer) dial(ctx context.Context) (_ *mailSession, err error) {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return nil, &serverError{fmt.Errorf("SMTP server %q: want host:port", m.Addr)}
	}
	defer func() {
		if err != nil {
			err = &serverError{fmt.Errorf("SMTP server %s: %w", m.Addr, err)}
		}
	}()
	d := net.Dialer{Timeout: m.timeout()}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return nil, err
	}
	s := &mailSession{conn: conn, timeout: m.timeout()}
	s.stop = context.AfterFunc(ctx, s.cancel)
	s.extend()
	defer func() {
		if err != nil {
			s.stop()
			conn.Close()
		}
	}()
	tlsConfig := m.TLSConfig.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	var c net.Conn = conn
	if m.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		c = tc
	}
	if s.c, err = smtp.NewClient(c, host); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	helo := m.HelloName
	if helo == "" {
		helo = "localhost"
	}
	if err := s.c.Hello(helo); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if m.TLS == "" || m.TLS == TLSStartTLS {
		if ok, _ := s.c.Extension("STARTTLS"); !ok {
			return nil, errors.New("the server does not offer STARTTLS (use TLS mode none for a relay without TLS)")
		}
		if err := s.c.StartTLS(tlsConfig); err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.Username != "" {
		if ok, _ := s.c.Extension("AUTH"); !ok {
			return nil, errors.New("the server does not offer AUTH")
		}
		if err := s.c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return nil, fmt.Errorf("AUTH PLAIN as %q: %w", m.Username, err)
		}
	}
	return s, nil
}

// cancel makes every read and write of the session fail from now on.
func (s *mailSession) cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.canceled = true
	s.conn.SetDeadline(time.Unix(1, 0))
}

// extend gives the session its timeout from now, unless it was canceled.
func (s *mailSession) extend() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.canceled {
		s.conn.SetDeadline(time.Now().Add(s.timeout))
	}
}

// send hands one message to the server. nil means the server accepted it.
func (s *mailSession) send(from, to string, msg []byte) error {
	s.extend()
	// A refusal of the sender is the registry's problem, not the
	// message's: it is never taken for a permanent failure of the message.
	if err := s.c.Mail(from); err != nil {
		return s.failed("MAIL FROM", err, false)
	}
	if err := s.c.Rcpt(to); err != nil {
		return s.failed("RCPT TO", err, true)
	}
	w, err := s.c.Data()
	if err != nil {
		return s.failed("DATA", err, true)
	}
	if _, err := w.Write(msg); err != nil {
		// Stopped in the middle of the message: nothing more can be said
		// on this connection.
		s.broken = true
		return fmt.Errorf("message: %w", err)
	}
	if err := w.Close(); err != nil {
		return s.failed("end of message", err, true)
	}
	return nil
}

// failed readies the session for the next message after the server
// refused this one, or marks it broken when the server did not answer. A
// 5xx reply at a step where it concerns the message (permanent) is a
// permanentError.
func (s *mailSession) failed(step string, err error, permanent bool) error {
	var reply *textproto.Error
	isReply := errors.As(err, &reply)
	if !isReply || s.c.Reset() != nil {
		s.broken = true
	}
	err = fmt.Errorf("%s: %w", step, err)
	if permanent && isReply && reply.Code >= 500 && reply.Code < 600 {
		return &permanentError{err}
	}
	return err
}

// close says goodbye, briefly, and closes the connection.
func (s *mailSession) close() {
	if !s.broken {
		s.extend()
		_ = s.c.Quit()
	}
	s.stop()
	_ = s.c.Close()
}

// formatEmail writes m as an RFC 5322 message from from: plain UTF-8 text,
// quoted-printable, dated when it was written, with a Message-ID derived
// from its key. It returns the envelope recipient too.
func formatEmail(from *mail.Address, m *registry.OutboxMessage) (to string, msg []byte, err error) {
	rcpt, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return "", nil, errors.New("the subject spans lines")
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", from.String())
	header("To", rcpt.String())
	// Long or non-ASCII subjects become several encoded words, one per
	// folded line.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", m.Subject), "?= =?", "?=\r\n =?"))
	header("Date", m.CreatedAt.UTC().Format(time.RFC1123Z))
	header("Message-ID", MessageID(m.Key, from.Address))
	// RFC 3834: no auto-replies to notices.
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(m.Body)); err != nil {
		return "", nil, err
	}
	if err := qp.Close(); err != nil {
		return "", nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return rcpt.Address, b.Bytes(), nil
}

// MessageID returns the Message-ID of the outbox e-mail with the key, sent
// from the address: the same for every copy, so that a receiver can drop a
// second one.
func MessageID(key, from string) string {
	_, domain, _ := strings.Cut(from, "@")
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + ".outbox@" + domain + ">"
}

// DefaultBackoff is how long an e-mail waits after its first, second, ...
// failed attempt; after the last, it waits as long again, every time.
var DefaultBackoff = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 8 * time.Hour, 24 * time.Hour,
}

// Defaults of OutboxConfig.
const (
	DefaultClaim      = 10 * time.Minute
	DefaultEmailLimit = 1000
	// DefaultMaxAttempts gives an e-mail that keeps failing about two
	// weeks of DefaultBackoff before it is given up.
	DefaultMaxAttempts = 20
)

// OutboxConfig says how a Deliverer delivers. Zero fields take defaults.
type OutboxConfig struct {
	// Mailer sends the e-mails; nil when this deliverer only writes
	// letters.
	Mailer *Mailer
	// Backoff is the wait after each failed attempt; nil for
	// DefaultBackoff.
	Backoff []time.Duration
	// Claim is how long a deliverer holds an e-mail it is sending before
	// another may take it: longer than connecting and sending take
	// (twice the mailer's timeout). DefaultClaim when zero.
	Claim time.Duration
	// EmailLimit is the most e-mails one DeliverDue tries;
	// DefaultEmailLimit when zero.
	EmailLimit int
	// MaxAttempts is how many attempts an e-mail gets whose failures may
	// pass (4xx replies, network and server failures) before it is given
	// up and marked failed; DefaultMaxAttempts when zero. A permanent
	// refusal fails it at once.
	MaxAttempts int
	// Logger gets a line for every failed attempt and every repair; nil
	// for none.
	Logger *slog.Logger
}

// Deliverer delivers the outbox: e-mails to the SMTP server, letters to
// batch files. Messages are written to the outbox (registry.OutboxTx) in the
// transaction of the step they tell about, so that one is sent if and only
// if its step commits. A Deliverer is safe for concurrent use, and
// deliverers in several processes may send one database's e-mails at once.
//
// # What can and cannot go out twice
//
// The outbox keeps one message per key: a step that is re-run, or restarted
// after a crash, finds its messages there and writes none again.
//
// An e-mail is marked sent only after the SMTP server accepted it (250 after
// DATA), in a short transaction of its own, before anything else is said to
// the server. It can still go out twice: when the server accepted it but its
// answer was lost (the connection broke in between), and when the deliverer
// crashed, or lost the database, between the acceptance and the marking.
// Such an e-mail is sent again once its claim ends (OutboxConfig.Claim). Its
// Message-ID is derived from its key, so the copies carry the same one and a
// receiver can drop the second. An e-mail is never lost: it stays due until
// a server accepts it, or, once given up (a permanent refusal, or
// OutboxConfig.MaxAttempts failures), is kept, marked failed, for the
// operator to look at and retry.
//
// A letter is neither lost nor written twice as long as the batch directory
// stays the same: letters are given their batch in the database before the
// file is written, the file is named by the batch, and a batch whose letters
// are not all marked sent is written again under the same name (or, when its
// file is there, just marked). The print vendor sees one batch file twice
// only if it took the file away between the rename and the marking, a
// window of one short transaction, or while a second WriteLetterBatch
// overlapping the first took the batch for an unfinished one; it can drop a
// batch ID, or a letter's key, that it has seen. Letters are best written by
// one scheduled run at a time.
type Deliverer struct {
	store       registry.Store
	clock       registry.Clock
	mailer      *Mailer
	from        *mail.Address
	backoff     []time.Duration
	claim       time.Duration
	limit       int
	maxAttempts int
	log         *slog.Logger
}

// NewDeliverer returns a deliverer of store's outbox, taking time from
// clock.
func NewDeliverer(store registry.Store, clock registry.Clock, cfg OutboxConfig) (*Deliverer, error) {
	d := &Deliverer{
		store: store, clock: clock,
		backoff: slices.Clone(cfg.Backoff), claim: cfg.Claim, limit: cfg.EmailLimit, maxAttempts: cfg.MaxAttempts,
		log: cfg.Logger,
	}
	if cfg.Mailer != nil {
		m := *cfg.Mailer
		d.mailer = &m
	}
	if d.backoff == nil {
		d.backoff = slices.Clone(DefaultBackoff)
	}
	for _, b := range d.backoff {
		if b <= 0 {
			return nil, fmt.Errorf("back-off %v is not positive", b)
		}
	}
	if len(d.backoff) == 0 {
		return nil, errors.New("the back-off list is empty")
	}
	if d.claim == 0 {
		d.claim = DefaultClaim
	}
	if d.claim < 0 {
		return nil, fmt.Errorf("claim %v is negative", d.claim)
	}
	if d.limit == 0 {
		d.limit = DefaultEmailLimit
	}
	if d.limit < 0 {
		return nil, fmt.Errorf("e-mail limit %d is negative", d.limit)
	}
	if d.maxAttempts == 0 {
		d.maxAttempts = DefaultMaxAttempts
	}
	if d.maxAttempts < 0 {
		return nil, fmt.Errorf("maximum attempts %d is negative", d.maxAttempts)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.mailer != nil {
		var err error
		if d.from, err = d.mailer.check(); err != nil {
			return nil, err
		}
		if d.claim <= 2*d.mailer.timeout() {
			return nil, fmt.Errorf("claim %v must be longer than twice the SMTP timeout %v", d.claim, d.mailer.timeout())
		}
	}
	return d, nil
}

// backoffAfter is the wait after the attempts-th failed attempt.
func (d *Deliverer) backoffAfter(attempts int) time.Duration {
	return d.backoff[min(max(attempts, 1), len(d.backoff))-1]
}

// markTimeout bounds the short transactions that record an outcome.
const markTimeout = 30 * time.Second

// record runs fn in a transaction of its own that ctx's end does not
// interrupt: an outcome learnt must be written.
func (d *Deliverer) record(ctx context.Context, fn func(ctx context.Context, tx registry.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	return d.store.Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) })
}

// Delivery counts what one DeliverDue did.
type Delivery struct {
	// Sent were accepted by the SMTP server.
	Sent int
	// Retrying failed, and are due again after their back-off.
	Retrying int
	// Failed were given up: refused for good, or out of attempts
	// (OutboxConfig.MaxAttempts). They are kept, marked failed, and not
	// tried again until the operator retries them.
	Failed int
}

// DeliverDue sends the e-mails that are due, one at a time, oldest due
// first, up to the configured limit: it claims one, sends it, and marks it
// sent once the server accepted it, or failed: due again after its
// back-off, or failed for good after a permanent refusal (a 5xx reply to
// the recipient or the message) or its last attempt.
//
// An e-mail the server refuses fails alone; the others are still tried.
// When the server cannot be used at all (down, TLS, login) the e-mail that
// found out fails and DeliverDue stops with an error, leaving the rest due.
// A store failure stops it too.
func (d *Deliverer) DeliverDue(ctx context.Context) (Delivery, error) {
	var res Delivery
	if d.mailer == nil {
		return res, errors.New("no SMTP server configured")
	}
	var s *mailSession
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	for res.Sent+res.Retrying+res.Failed < d.limit {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		now := d.clock.Now()
		var ms []registry.OutboxMessage
		err := d.store.Tx(ctx, func(tx registry.Tx) error {
			var err error
			ms, err = tx.ClaimOutbox(ctx, registry.OutboxEmail, now, now.Add(d.claim), 1)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("claim e-mail: %w", err)
		}
		if len(ms) == 0 {
			return res, nil
		}
		m := &ms[0]

		if s != nil && s.broken {
			s.close()
			s = nil
		}
		to, msg, sendErr := formatEmail(d.from, m)
		if sendErr != nil {
			sendErr = &permanentError{sendErr}
		}
		if sendErr == nil && s == nil {
			s, sendErr = d.mailer.dial(ctx)
		}
		if sendErr == nil {
			sendErr = s.send(d.from.Address, to, msg)
		}
		if sendErr == nil {
			if err := d.markSent(ctx, m); err != nil {
				return res, err
			}
			res.Sent++
			continue
		}

		if err := d.markFailed(ctx, m, sendErr, &res); err != nil {
			return res, err
		}
		var se *serverError
		if errors.As(sendErr, &se) {
			return res, sendErr
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	return res, nil
}

// markFailed records the failed attempt at m: due again after its
// back-off, or failed for good when the failure is permanent or the
// attempt was its last. It counts it in res.
func (d *Deliverer) markFailed(ctx context.Context, m *registry.OutboxMessage, sendErr error, res *Delivery) error {
	var pe *permanentError
	if errors.As(sendErr, &pe) || m.Attempts >= d.maxAttempts {
		res.Failed++
		d.log.Error("e-mail failed for good: kept, and not tried again unless the operator retries it",
			"id", m.ID, "key", m.Key, "attempt", m.Attempts, "permanent", pe != nil, "error", sendErr)
		err := d.record(ctx, func(ctx context.Context, tx registry.Tx) error {
			return tx.MarkOutboxFailedForGood(ctx, m.ID, sendErr.Error(), d.clock.Now())
		})
		if err != nil {
			return fmt.Errorf("record failed e-mail %d: %w", m.ID, err)
		}
		return nil
	}
	res.Retrying++
	next := d.clock.Now().Add(d.backoffAfter(m.Attempts))
	d.log.Warn("e-mail not delivered", "id", m.ID, "key", m.Key, "attempt", m.Attempts,
		"next_attempt", next, "error", sendErr)
	err := d.record(ctx, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxFailed(ctx, m.ID, sendErr.Error(), next)
	})
	if err != nil {
		return fmt.Errorf("record failed e-mail %d: %w", m.ID, err)
	}
	return nil
}

// DefaultDeliverEvery is how often Loop delivers when not told.
const DefaultDeliverEvery = time.Minute

// Loop delivers the e-mails that are due (DeliverDue) at once and then
// every every (DefaultDeliverEvery when 0) until ctx ends, which it
// returns. A pass that fails is logged, and what it left due is tried at
// the next tick. Several processes on one database may all loop: no two
// take the same e-mail (OutboxTx.ClaimOutbox).
func (d *Deliverer) Loop(ctx context.Context, every time.Duration) error {
	if d.mailer == nil {
		return errors.New("no SMTP server configured")
	}
	if every <= 0 {
		every = DefaultDeliverEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := d.DeliverDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Error("e-mail delivery stopped; the rest waits for the next pass", "err", err,
				"sent", res.Sent, "retrying", res.Retrying, "failed", res.Failed)
		case res != Delivery{}:
			d.log.Info("e-mail delivery", "sent", res.Sent, "retrying", res.Retrying, "failed", res.Failed)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// markSent records that the server accepted m.
func (d *Deliverer) markSent(ctx context.Context, m *registry.OutboxMessage) error {
	err := d.record(ctx, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxSent(ctx, m.ID, d.clock.Now())
	})
	switch {
	case err == nil:
		return nil
	case registry.IsKind(err, registry.KindStatusProhibits):
		// Another deliverer sent it too, its claim on it having ended
		// while this one was still at it.
		d.log.Error("e-mail sent twice: another deliverer sent it while this one held it", "id", m.ID, "key", m.Key)
		return nil
	default:
		d.log.Error("e-mail sent but not marked: it will be sent again", "id", m.ID, "key", m.Key, "error", err)
		return fmt.Errorf("mark e-mail %d sent: %w", m.ID, err)
	}
}

// LetterRecord is one letter in a batch file for the print vendor.
//
// A batch is one file, letters-<batch ID>.jsonl (LetterBatchFile), in JSON
// Lines: UTF-8, one LetterRecord as a JSON object per line, each line ending
// in "\n", letters in outbox order. The batch ID is the UTC time the batch
// was made and a random suffix, such as 20270418T060000Z-1f2e3d4c, so that
// names sort by time. A file appears whole or not at all: it is written under
// a temporary name beginning with "." and then renamed. A line, for example:
//
//	{"batch":"20270418T060000Z-1f2e3d4c","id":42,"key":"bill/2027-000123/reminder-letter","created":"2027-04-18T06:00:00Z","address":["Anna Andersson","Storgatan 1","111 22 Stockholm"],"subject":"Påminnelse","body":"Hej!\n\nVi har inte fått din betalning.\n"}
type LetterRecord struct {
	// Batch is the batch ID, also in the file's name.
	Batch string `json:"batch"`
	// ID and Key identify the letter in the outbox, for ever: the vendor
	// may drop a letter whose key it has printed already.
	ID  int64  `json:"id"`
	Key string `json:"key"`
	// Created is when the registry wrote the letter (RFC 3339, UTC).
	Created time.Time `json:"created"`
	// Address is the postal address, one element a line, top to bottom.
	Address []string `json:"address"`
	// Subject is the letter's heading; Body its text, lines ending in
	// "\n".
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// LetterBatchFile returns the name of the batch file with the batch ID.
func LetterBatchFile(batchID string) string { return "letters-" + batchID + ".jsonl" }

// WriteLetterBatch writes every due letter into one new batch file in dir
// (created when missing), and marks them sent with the batch's ID. It
// returns the file's path and the number of letters; with no letter due
// it writes nothing and returns "" and 0.
//
// First it finishes any batch an earlier run left unmarked (a crash, a full
// disk): it marks its letters sent when the batch's file is in dir, and
// writes the file again otherwise. Such repairs are logged.
func (d *Deliverer) WriteLetterBatch(ctx context.Context, dir string) (path string, n int, err error) {
	if dir == "" {
		return "", 0, errors.New("no directory for letter batches")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("letter batch directory: %w", err)
	}
	if err := d.finishLetterBatches(ctx, dir); err != nil {
		return "", 0, err
	}

	now := d.clock.Now()
	batchID, err := newBatchID(now)
	if err != nil {
		return "", 0, err
	}
	var letters []registry.OutboxMessage
	err = d.store.Tx(ctx, func(tx registry.Tx) error {
		var err error
		letters, err = tx.AssignOutboxBatch(ctx, registry.OutboxLetter, batchID, now, math.MaxInt32)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("assign letters to batch %s: %w", batchID, err)
	}
	if len(letters) == 0 {
		return "", 0, nil
	}
	path, err = d.writeLetterBatch(ctx, dir, batchID, letters)
	if err != nil {
		return "", 0, err
	}
	return path, len(letters), nil
}

// finishLetterBatches completes the batches whose letters are not all
// marked sent.
func (d *Deliverer) finishLetterBatches(ctx context.Context, dir string) error {
	var pending []registry.OutboxMessage
	err := d.store.Tx(ctx, func(tx registry.Tx) error {
		var err error
		pending, err = tx.OutboxMessages(ctx, registry.OutboxFilter{Channel: registry.OutboxLetter, Pending: true})
		return err
	})
	if err != nil {
		return fmt.Errorf("list pending letters: %w", err)
	}
	var batches []string
	byBatch := map[string][]registry.OutboxMessage{}
	for _, m := range pending {
		if m.BatchID == "" {
			continue
		}
		if byBatch[m.BatchID] == nil {
			batches = append(batches, m.BatchID)
		}
		byBatch[m.BatchID] = append(byBatch[m.BatchID], m)
	}
	for _, id := range batches {
		// All the batch's letters, the marked ones too: the file must be
		// the one first written.
		var letters []registry.OutboxMessage
		err := d.store.Tx(ctx, func(tx registry.Tx) error {
			var err error
			letters, err = tx.OutboxMessages(ctx, registry.OutboxFilter{BatchID: id})
			return err
		})
		if err != nil {
			return fmt.Errorf("list letters of batch %s: %w", id, err)
		}
		path := filepath.Join(dir, LetterBatchFile(id))
		if _, err := os.Stat(path); err == nil {
			d.log.Warn("letter batch written but not marked sent: marking it", "batch", id, "path", path, "letters", len(byBatch[id]))
			if err := d.markLettersSent(ctx, id, byBatch[id]); err != nil {
				return err
			}
			continue
		}
		d.log.Warn("letter batch not written: writing it", "batch", id, "path", path, "letters", len(letters))
		if _, err := d.writeLetterBatch(ctx, dir, id, letters); err != nil {
			return err
		}
	}
	return nil
}

// writeLetterBatch writes the batch file of the letters and marks those
// not sent yet sent.
func (d *Deliverer) writeLetterBatch(ctx context.Context, dir, batchID string, letters []registry.OutboxMessage) (string, error) {
	name := LetterBatchFile(batchID)
	if filepath.Base(name) != name || strings.HasPrefix(batchID, ".") {
		return "", fmt.Errorf("batch ID %q cannot name a file", batchID)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, m := range letters {
		if err := enc.Encode(LetterRecord{
			Batch: batchID, ID: m.ID, Key: m.Key, Created: m.CreatedAt.UTC(),
			Address: addressLines(m.To), Subject: m.Subject, Body: m.Body,
		}); err != nil {
			return "", fmt.Errorf("letter %d: %w", m.ID, err)
		}
	}
	path := filepath.Join(dir, name)
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return "", fmt.Errorf("write letter batch: %w", err)
	}
	var unsent []registry.OutboxMessage
	for _, m := range letters {
		if !m.Sent() {
			unsent = append(unsent, m)
		}
	}
	return path, d.markLettersSent(ctx, batchID, unsent)
}

func (d *Deliverer) markLettersSent(ctx context.Context, batchID string, letters []registry.OutboxMessage) error {
	err := d.record(ctx, func(ctx context.Context, tx registry.Tx) error {
		at := d.clock.Now()
		for _, m := range letters {
			err := tx.MarkOutboxSent(ctx, m.ID, at)
			// Marked already by a deliverer finishing the same batch.
			if err != nil && !registry.IsKind(err, registry.KindStatusProhibits) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark letters of batch %s sent (the next run will): %w", batchID, err)
	}
	return nil
}

// addressLines splits a postal address into its lines, without blank ones
// or surrounding space.
func addressLines(to string) []string {
	var lines []string
	for l := range strings.Lines(to) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// newBatchID returns a batch ID for a batch made at now.
func newBatchID(now time.Time) (string, error) {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:]), nil
}

// writeFileAtomic writes data to path so that path appears whole or not
// at all, and survives a crash once this returns.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, name := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(0o640); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename itself must reach the disk.
	if dir == "" {
		dir = "."
	}
	df, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer df.Close()
	return df.Sync()
}
