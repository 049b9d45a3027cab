package registry

import (
	"net/mail"
	"strings"
	"time"
)

// OutboxChannel is how an outbox message reaches its recipient.
type OutboxChannel string

// Outbox channels.
const (
	// OutboxEmail messages go out over SMTP; To is an e-mail address.
	OutboxEmail OutboxChannel = "email"
	// OutboxLetter messages are printed and posted by the print vendor,
	// which collects them in batch files; To is the postal address, one
	// line per line of the envelope.
	OutboxLetter OutboxChannel = "letter"
)

// Limits on outbox messages.
const (
	outboxMaxKey     = 200
	outboxMaxSubject = 998 // the longest line RFC 5322 allows
)

// OutboxMessage is a message to a person, written to the outbox in the
// transaction of the change it tells about and delivered later (package
// billing): a message is sent if and only if that change commits.
type OutboxMessage struct {
	ID int64
	// Key identifies the message for its writer, such as
	// "bill/2027-000123/reminder-email". It is unique: enqueuing a second
	// message with the same key finds the first instead, so that a re-run
	// of the step that writes it, or its restart after a crash, never
	// sends it twice.
	Key     string
	Channel OutboxChannel
	// To is the recipient: an e-mail address (RFC 5322, a display name
	// allowed) or a postal address.
	To      string
	Subject string
	// Body is plain text, lines separated by "\n".
	Body      string
	CreatedAt time.Time
	// Attempts counts the deliveries begun since the message was written
	// or the operator last retried it: claims of an e-mail, so one
	// interrupted by a crash counts too.
	Attempts int
	// NextAttemptAt is when the message is next due: at first CreatedAt
	// (or later, for a message scheduled ahead), after a failure the end
	// of its back-off, while a deliverer holds it the end of its claim.
	NextAttemptAt time.Time
	// SentAt is when the SMTP server accepted the e-mail, or the letter
	// went into a batch file; zero until then. A sent message is never
	// delivered again.
	SentAt time.Time
	// FailedAt is when delivery was given up: the recipient's server
	// refused the e-mail for good, or it failed too many times. Zero
	// otherwise. A failed message is kept, never sent and never tried
	// again until the operator retries it (OutboxTx.RetryOutbox).
	FailedAt time.Time
	// LastError is why the last attempt failed; kept once the message is
	// sent, as a record.
	LastError string
	// BatchID names the batch file a letter was written to; "" for
	// e-mail, and for a letter not in a batch yet.
	BatchID string
}

// Sent reports whether the message has been delivered.
func (m OutboxMessage) Sent() bool { return !m.SentAt.IsZero() }

// Failed reports whether delivery of the message was given up.
func (m OutboxMessage) Failed() bool { return !m.FailedAt.IsZero() }

// Validate checks that m can be enqueued and delivered: a key, a known
// channel, a recipient (for e-mail, one that parses as an address) and a
// subject on one line. Failures are KindInvalid or KindMissing.
func (m OutboxMessage) Validate() error {
	switch {
	case m.Key == "":
		return Errorf(KindMissing, "an outbox message needs a key")
	case len(m.Key) > outboxMaxKey:
		return Errorf(KindInvalid, "outbox key %.40q... is longer than %d bytes", m.Key, outboxMaxKey)
	case strings.TrimSpace(m.To) == "":
		return Errorf(KindMissing, "outbox message %q has no recipient", m.Key)
	case strings.ContainsAny(m.Subject, "\r\n"):
		// A line break would let the subject write headers of its own.
		return Errorf(KindInvalid, "the subject of outbox message %q spans lines", m.Key)
	case len(m.Subject) > outboxMaxSubject:
		return Errorf(KindInvalid, "the subject of outbox message %q is longer than %d bytes", m.Key, outboxMaxSubject)
	}
	switch m.Channel {
	case OutboxEmail:
		if strings.ContainsAny(m.To, "\r\n") {
			return Errorf(KindInvalid, "the recipient of outbox e-mail %q spans lines", m.Key)
		}
		if _, err := mail.ParseAddress(m.To); err != nil {
			return Errorf(KindInvalid, "the recipient %q of outbox e-mail %q is not an e-mail address", m.To, m.Key)
		}
	case OutboxLetter:
	default:
		return Errorf(KindInvalid, "outbox message %q: channel %q is neither %q nor %q",
			m.Key, m.Channel, OutboxEmail, OutboxLetter)
	}
	return nil
}

// OutboxFilter selects outbox messages for OutboxMessages. Zero fields
// select everything.
type OutboxFilter struct {
	// Channel selects one channel.
	Channel OutboxChannel
	// Pending selects the messages still to be delivered: not sent, and
	// not failed.
	Pending bool
	// Failed selects the messages whose delivery was given up.
	Failed bool
	// BatchID selects the letters of one batch.
	BatchID string
	// Limit is the most messages returned (the oldest); 0 for all.
	Limit int
}
