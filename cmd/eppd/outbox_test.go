package main

import (
	"context"
	"fmt"
	"io"
	"net"
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
)

// mailbox is an SMTP server on 127.0.0.1 that keeps the recipients of what
// it accepts, refuses mail to the recipients in refuse for now (451), and
// to those in reject for good (550).
type mailbox struct {
	addr string

	mu       sync.Mutex
	rcpts    []string
	messages []string
	refuse   map[string]bool
	reject   map[string]bool
	// password, when set, is required (AUTH PLAIN as "registry").
	password string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{refuse: map[string]bool{}, reject: map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailboxSession{mb: mb}, nil
	}))
	srv.Domain = "mx.example.net"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mb.addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return mb
}

func (mb *mailbox) received() ([]string, []string) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return slices.Clone(mb.rcpts), slices.Clone(mb.messages)
}

type mailboxSession struct {
	mb     *mailbox
	authed bool
	to     string
}

func (s *mailboxSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailboxSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		s.mb.mu.Lock()
		defer s.mb.mu.Unlock()
		if user != "registry" || password != s.mb.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailboxSession) Mail(string, *smtp.MailOptions) error {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.password != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.refuse[to] {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Mailbox busy"}
	}
	if s.mb.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	s.to = to
	return nil
}

func (s *mailboxSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.rcpts = append(s.mb.rcpts, s.to)
	s.mb.messages = append(s.mb.messages, string(data))
	return nil
}

func (s *mailboxSession) Reset()        { s.to = "" }
func (s *mailboxSession) Logout() error { return nil }

// enqueue writes messages to the outbox of the CLI's database.
func (c *cli) enqueue(ms ...*registry.OutboxMessage) {
	c.t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, c.db)
	require.NoError(c.t, err)
	defer st.Close()
	require.NoError(c.t, st.Tx(ctx, func(tx registry.Tx) error {
		for _, m := range ms {
			if _, err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}))
}

func TestOutboxCLI(t *testing.T) {
	backends(t, testOutboxCLI)
}

func testOutboxCLI(t *testing.T, c *cli) {
	mb := startMailbox(t)
	assert.Equal(t, "the outbox is empty\n", c.ok("", "outbox", "list"))
	assert.Equal(t, "no messages waiting\n", c.ok("", "outbox", "list", "--pending"))

	c.enqueue(
		&registry.OutboxMessage{Key: "bill/2027-000123/notice-email", Channel: registry.OutboxEmail,
			To: "anna@example.se", Subject: "Din faktura", Body: "Hej Anna!\n"},
		&registry.OutboxMessage{Key: "bill/2027-000124/notice-email", Channel: registry.OutboxEmail,
			To: "busy@example.se", Subject: "Din faktura", Body: "Hej!\n"},
		&registry.OutboxMessage{Key: "bill/2027-000123/reminder-letter", Channel: registry.OutboxLetter,
			To: "Anna Andersson\nStorgatan 1\n111 22 Stockholm", Subject: "Påminnelse", Body: "Betala.\n"},
	)
	out := c.ok("", "outbox", "list", "--pending")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^ID\s+CHANNEL\s+STATE\s+ATTEMPTS\s+DUE/SENT\s+TO\s+SUBJECT\s+KEY\s+LAST ERROR$`, lines[0])
	assert.Regexp(t, `^\d+\s+email\s+pending\s+0\s+\S+Z\s+anna@example\.se\s+Din faktura\s+bill/2027-000123/notice-email\s+-$`, lines[1])
	assert.Regexp(t, `letter\s+pending\s+0\s+\S+\s+Anna Andersson, Storgatan 1, 111 22 Stockholm\s+Påminnelse`, lines[3])
	out = c.ok("", "outbox", "list", "--channel", "letter")
	assert.Equal(t, 2, strings.Count(out, "\n"), out)

	mb.mu.Lock()
	mb.refuse["busy@example.se"] = true
	mb.mu.Unlock()
	dir := filepath.Join(t.TempDir(), "letters")
	out = c.ok("", "outbox", "deliver", "--smtp", mb.addr, "--smtp-tls", "none",
		"--from", "Registry <billing@registry.example>", "--letters-dir", dir)
	assert.Regexp(t, `^sent 1 e-mail\(s\); 1 failed and will be retried\nwrote 1 letter\(s\) to `+
		`\S+/letters/letters-\d{8}T\d{6}Z-[0-9a-f]{8}\.jsonl\n$`, out)
	rcpts, msgs := mb.received()
	assert.Equal(t, []string{"anna@example.se"}, rcpts)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "From: \"Registry\" <billing@registry.example>\r\n")
	assert.Contains(t, msgs[0], "Message-ID: "+billing.MessageID("bill/2027-000123/notice-email", "billing@registry.example"))
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"address":["Anna Andersson","Storgatan 1","111 22 Stockholm"]`)

	out = c.ok("", "outbox", "list", "--pending")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Regexp(t, `email\s+retrying\s+1\s+.*busy@example\.se.*RCPT TO: 451 .*Mailbox busy`, lines[1])
	out = c.ok("", "outbox", "list")
	assert.Equal(t, 2, strings.Count(out, " sent "), out)

	// The next run sends nothing twice, and the busy address waits for
	// its back-off.
	out = c.ok("", "outbox", "deliver", "--smtp", mb.addr, "--smtp-tls", "none",
		"--from", "billing@registry.example", "--letters-dir", dir)
	assert.Equal(t, "sent 0 e-mail(s)\nno letters due\n", out)
	rcpts, _ = mb.received()
	assert.Len(t, rcpts, 1)
	files, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, files, 1)

	// Letters only.
	assert.Equal(t, "no letters due\n", c.ok("", "outbox", "deliver", "--letters-dir", dir))

	// A server that is down fails the command, and loses nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := l.Addr().String()
	require.NoError(t, l.Close())
	c.enqueue(&registry.OutboxMessage{Key: "later", Channel: registry.OutboxEmail, To: "bo@example.se", Body: "x"})
	_, err = c.run("", "outbox", "deliver", "--smtp", down, "--smtp-tls", "none", "--from", "billing@registry.example")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused")
	out = c.ok("", "outbox", "list", "--pending")
	assert.Regexp(t, `email\s+retrying\s+1\s+.*bo@example\.se.*connection refused`, out)
	// The default TLS mode wants STARTTLS, which this server lacks.
	c.enqueue(&registry.OutboxMessage{Key: "tls", Channel: registry.OutboxEmail, To: "cy@example.se", Body: "x",
		CreatedAt: time.Now().Add(-time.Second)})
	c.fails("STARTTLS", "", "outbox", "deliver", "--smtp", mb.addr, "--from", "billing@registry.example")
}

// TestOutboxFailedCLI: an e-mail refused for good, or out of attempts, is
// listed as failed and not tried again until "eppd outbox retry".
func TestOutboxFailedCLI(t *testing.T) {
	backends(t, func(t *testing.T, c *cli) {
		c.ok("", "migrate")
		mb := startMailbox(t)
		mb.mu.Lock()
		mb.reject["gone@example.se"] = true
		mb.refuse["busy@example.se"] = true
		mb.mu.Unlock()
		gone := &registry.OutboxMessage{Key: "gone", Channel: registry.OutboxEmail, To: "gone@example.se", Subject: "Faktura", Body: "x"}
		anna := &registry.OutboxMessage{Key: "anna", Channel: registry.OutboxEmail, To: "anna@example.se", Subject: "Faktura", Body: "x"}
		c.enqueue(gone, anna)
		deliver := []string{"outbox", "deliver", "--smtp", mb.addr, "--smtp-tls", "none", "--from", "billing@registry.example"}
		assert.Equal(t, "sent 1 e-mail(s); 1 failed for good (eppd outbox list --failed)\n", c.ok("", deliver...))

		out := c.ok("", "outbox", "list", "--failed")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 2, out)
		assert.Regexp(t, fmt.Sprintf(`^%d\s+email\s+failed\s+1\s+\S+Z\s+gone@example\.se\s+Faktura\s+gone\s+RCPT TO: 550 .*No such mailbox`, gone.ID), lines[1])
		assert.Equal(t, "no messages waiting\n", c.ok("", "outbox", "list", "--pending"))
		assert.Equal(t, "sent 0 e-mail(s)\n", c.ok("", deliver...), "not tried again")
		rcpts, _ := mb.received()
		assert.Equal(t, []string{"anna@example.se"}, rcpts)

		c.fails("give the IDs", "", "outbox", "retry")
		c.fails("give the IDs", "", "outbox", "retry", "1", "--all-failed")
		c.fails(`"x" is not a message ID`, "", "outbox", "retry", "x")
		c.fails("was sent", "", "outbox", "retry", fmt.Sprint(anna.ID))
		c.fails("not found", "", "outbox", "retry", fmt.Sprint(anna.ID+100))
		c.fails("--pending or --failed, not both", "", "outbox", "list", "--pending", "--failed")
		assert.Equal(t, "1 message(s) due again\n", c.ok("", "outbox", "retry", fmt.Sprint(gone.ID)))
		assert.Regexp(t, `email\s+pending\s+0\s+.*gone@example\.se.*550`, c.ok("", "outbox", "list", "--pending"))
		c.fails("has not failed", "", "outbox", "retry", fmt.Sprint(gone.ID))
		mb.mu.Lock()
		delete(mb.reject, "gone@example.se")
		mb.mu.Unlock()
		assert.Equal(t, "sent 1 e-mail(s)\n", c.ok("", deliver...))
		assert.Equal(t, "no failed messages\n", c.ok("", "outbox", "list", "--failed"))

		// Out of attempts: one, here.
		busy := &registry.OutboxMessage{Key: "busy", Channel: registry.OutboxEmail, To: "busy@example.se", Body: "x"}
		c.enqueue(busy)
		assert.Equal(t, "sent 0 e-mail(s); 1 failed for good (eppd outbox list --failed)\n",
			c.ok("", append(deliver, "--smtp-max-attempts", "1")...))
		assert.Regexp(t, `busy@example\.se.*RCPT TO: 451`, c.ok("", "outbox", "list", "--failed"))
		assert.Equal(t, "1 message(s) due again\n", c.ok("", "outbox", "retry", "--all-failed"))
		assert.Equal(t, "0 message(s) due again\n", c.ok("", "outbox", "retry", "--all-failed"))
	})
}

func TestOutboxDeliverAuth(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "eppd.db"))
	c.ok("", "migrate")
	mb := startMailbox(t)
	mb.mu.Lock()
	mb.password = "s3cret pw"
	mb.mu.Unlock()
	c.enqueue(&registry.OutboxMessage{Key: "k", Channel: registry.OutboxEmail, To: "anna@example.se", Body: "x"})
	args := []string{"outbox", "deliver", "--smtp", mb.addr, "--smtp-tls", "none", "--from", "billing@registry.example",
		"--smtp-user", "registry"}
	c.fails("AUTH PLAIN", "wrong\n", append(args, "--password-stdin")...)
	c.enqueue(&registry.OutboxMessage{Key: "k2", Channel: registry.OutboxEmail, To: "bo@example.se", Body: "x"})
	assert.Equal(t, "sent 1 e-mail(s)\n", c.ok("", append(args, "--password-file", writeFile(t, "pw", "s3cret pw\n"))...))
	rcpts, _ := mb.received()
	assert.Equal(t, []string{"bo@example.se"}, rcpts)
}

func TestOutboxDeliverFlags(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "eppd.db"))
	pwFile := writeFile(t, "pw", "s3cret\n")
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"nothing to deliver to", nil},
		{"--from is required with --smtp", []string{"--smtp", "localhost:25"}},
		{"--from needs --smtp", []string{"--letters-dir", "x", "--from", "a@example.se"}},
		{"--smtp-user needs --password-file", []string{"--smtp", "localhost:25", "--from", "a@example.se", "--smtp-user", "u"}},
		{"an SMTP password needs --smtp-user", []string{"--smtp", "localhost:25", "--from", "a@example.se", "--password-file", pwFile}},
		{`TLS mode "ssl"`, []string{"--smtp", "localhost:25", "--from", "a@example.se", "--smtp-tls", "ssl"}},
		{"want host:port", []string{"--smtp", "localhost", "--from", "a@example.se"}},
		{"is not an e-mail address", []string{"--smtp", "localhost:25", "--from", "billing"}},
		{"--limit 0", []string{"--letters-dir", "x", "--limit", "0"}},
		{"--smtp-max-attempts needs --smtp", []string{"--letters-dir", "x", "--smtp-max-attempts", "3"}},
		{"--smtp-max-attempts 0", []string{"--smtp", "localhost:25", "--from", "a@example.se", "--smtp-max-attempts", "0"}},
	} {
		c.fails(tc.want, "", append([]string{"outbox", "deliver"}, tc.args...)...)
	}
	c.fails(`--channel "fax"`, "", "outbox", "list", "--channel", "fax")
}
