package registry

import (
	"context"
	"time"
)

// OutboxTx is the part of Tx that keeps the outbox: e-mails and letters
// written in the transaction of the change they tell about, and delivered
// afterwards by package billing.
//
// A message is claimed before it is sent. A claim outlives its
// transaction: it makes the message not due until the claim's end, so that
// no other deliverer takes it while the one holding it talks to the mail
// server outside any transaction. A deliverer that dies holding a claim
// leaves the message to be claimed again when the claim ends: nothing is
// lost. Once marked sent a message never changes again; the database
// refuses it.
//
// A message whose delivery is given up is marked failed for good: kept, as
// a record and for the operator, but never claimed again until the operator
// retries it.
//
// Messages come out oldest due first: by NextAttemptAt, then by ID.
type OutboxTx interface {
	// EnqueueOutbox adds m to the outbox unless a message with its Key is
	// there already; either way it fills m in from the stored message and
	// reports whether it created it. A new message gets ID and, when zero,
	// CreatedAt (from the store's clock) and NextAttemptAt (CreatedAt); its
	// Attempts, SentAt, FailedAt, LastError and BatchID start empty
	// whatever m says.
	// KindInvalid or KindMissing when m fails Validate.
	EnqueueOutbox(ctx context.Context, m *OutboxMessage) (created bool, err error)
	// ClaimOutbox claims up to limit (> 0) messages of the channel that are
	// not sent, not failed, not in a batch and due at now (NextAttemptAt at
	// or before it), oldest due first: it counts an attempt on each and
	// sets its NextAttemptAt to until, and returns them so. Two transactions
	// claiming at once take disjoint sets; on PostgreSQL neither waits
	// for the other.
	ClaimOutbox(ctx context.Context, channel OutboxChannel, now, until time.Time, limit int) ([]OutboxMessage, error)
	// AssignOutboxBatch gives batchID to up to limit (> 0) messages of the
	// channel that are not sent, not failed, not in a batch and due at now,
	// oldest due first, and returns them, in that order, with their new
	// BatchID. They
	// stay unsent until marked. Concurrent assignments take disjoint sets.
	AssignOutboxBatch(ctx context.Context, channel OutboxChannel, batchID string, now time.Time, limit int) ([]OutboxMessage, error)
	// MarkOutboxSent records that the message was delivered at at, also
	// when it was marked failed meanwhile (it went out all the same).
	// KindNotFound when there is no such message; KindStatusProhibits when
	// it was marked sent already (its SentAt is kept).
	MarkOutboxSent(ctx context.Context, id int64, at time.Time) error
	// MarkOutboxFailed records why an attempt failed and when the message
	// is next due. KindNotFound when there is no such message;
	// KindStatusProhibits when it was marked sent already.
	MarkOutboxFailed(ctx context.Context, id int64, reason string, next time.Time) error
	// MarkOutboxFailedForGood records why the message's delivery was given
	// up at at: it is never claimed or batched again until RetryOutbox.
	// KindNotFound when there is no such message; KindStatusProhibits when
	// it was marked sent already.
	MarkOutboxFailedForGood(ctx context.Context, id int64, reason string, at time.Time) error
	// RetryOutbox makes the failed message due again at now, its attempts
	// counted from zero; its last error stays, as a record. KindNotFound
	// when there is no such message; KindStatusProhibits when it is not
	// failed (sent, or still being tried: it may be held by a deliverer).
	RetryOutbox(ctx context.Context, id int64, now time.Time) error
	// OutboxMessages lists the messages f selects, by ID.
	OutboxMessages(ctx context.Context, f OutboxFilter) ([]OutboxMessage, error)
}
