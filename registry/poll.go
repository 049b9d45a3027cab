package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of poll messages (PollMessage.Kind). A message of another kind, or
// of none, is text only.
const (
	// PollTransfer messages carry a TransferNotice: a transfer was
	// requested, approved, rejected or cancelled.
	PollTransfer = "transfer"
	// PollPAN messages carry a PANNotice: the outcome of an action the
	// registry answered as pending (RFC 5730 section 2.9.2.3,
	// RFC 5731 section 3.3).
	PollPAN = "pan"
)

// TransferNotice is the Data of a PollTransfer message.
type TransferNotice struct {
	// Object is ObjectDomain or ObjectContact; Name the domain's name or
	// the contact's ID.
	Object   string   `json:"object"`
	Name     string   `json:"name"`
	Transfer Transfer `json:"transfer"`
}

// PANNotice is the Data of a PollPAN message: the action that the command
// with the given transaction identifiers left pending has completed (Result
// true) or failed, at Date.
type PANNotice struct {
	Object string    `json:"object"`
	Name   string    `json:"name"`
	Result bool      `json:"result"`
	ClTRID string    `json:"clTRID,omitempty"`
	SvTRID string    `json:"svTRID"`
	Date   time.Time `json:"date"`
}

// TransferNotice decodes the Data of a PollTransfer message.
func (m *PollMessage) TransferNotice() (*TransferNotice, error) {
	var n TransferNotice
	if err := json.Unmarshal(m.Data, &n); err != nil {
		return nil, fmt.Errorf("poll message %d: transfer data: %w", m.ID, err)
	}
	return &n, nil
}

// PANNotice decodes the Data of a PollPAN message.
func (m *PollMessage) PANNotice() (*PANNotice, error) {
	var n PANNotice
	if err := json.Unmarshal(m.Data, &n); err != nil {
		return nil, fmt.Errorf("poll message %d: pending action data: %w", m.ID, err)
	}
	return &n, nil
}

// enqueuePoll queues a message for the reseller clID in tx: text msg, and
// data (marshalled as JSON, nil for none) of the given kind.
func (s *Service) enqueuePoll(ctx context.Context, tx Tx, clID, msg, kind string, data any) error {
	m := &PollMessage{RecipientID: clID, QueuedAt: s.clock.Now(), Msg: msg, Kind: kind}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("poll message data for %s: %w", clID, err)
		}
		m.Data = b
	}
	return tx.EnqueueMessage(ctx, m)
}

// PollQueue is the state of a reseller's poll queue.
type PollQueue struct {
	// Count is the number of messages queued.
	Count int
	// First is the oldest message, nil when the queue is empty.
	First *PollMessage
}

// pollClID is the reseller whose queue the actor works on.
func pollClID(a Actor) (string, error) {
	if a.ClID == "" {
		return "", Errorf(KindForbidden, "only a reseller has a poll queue")
	}
	return a.ClID, nil
}

// PollRequest returns the acting reseller's queue: its oldest message,
// which stays queued until acknowledged, and the number of messages.
func (s *Service) PollRequest(ctx context.Context, a Actor) (PollQueue, error) {
	clID, err := pollClID(a)
	if err != nil {
		return PollQueue{}, err
	}
	var q PollQueue
	err = s.store.Tx(ctx, func(tx Tx) error {
		q = PollQueue{}
		m, n, err := tx.FirstMessage(ctx, clID)
		if IsKind(err, KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		q = PollQueue{Count: n, First: m}
		return nil
	})
	return q, err
}

// PollAck removes message id from the acting reseller's queue and returns
// the queue as it is then. KindNotFound when the reseller has no such
// message (another reseller's message included).
func (s *Service) PollAck(ctx context.Context, a Actor, id int64) (PollQueue, error) {
	clID, err := pollClID(a)
	if err != nil {
		return PollQueue{}, err
	}
	var q PollQueue
	err = s.store.Tx(ctx, func(tx Tx) error {
		q = PollQueue{}
		n, err := tx.AckMessage(ctx, clID, id)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "there is no message %d in your queue", id)
		}
		if err != nil {
			return err
		}
		q.Count = n
		if n == 0 {
			return nil
		}
		m, n, err := tx.FirstMessage(ctx, clID)
		if IsKind(err, KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		q = PollQueue{Count: n, First: m}
		return nil
	})
	return q, err
}
