package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

func checkMessage(t *testing.T, got, want *registry.PollMessage) {
	t.Helper()
	if got.ID != want.ID || got.RecipientID != want.RecipientID || got.Msg != want.Msg ||
		got.Kind != want.Kind || string(got.Data) != string(want.Data) {
		t.Errorf("message = %+v, want %+v", *got, *want)
	}
	if (got.Data == nil) != (want.Data == nil) {
		t.Errorf("message data = %#v, want %#v", got.Data, want.Data)
	}
	checkTime(t, "QueuedAt", got.QueuedAt, want.QueuedAt)
}

func testPollQueue(t *testing.T, s registry.Store) {
	objects(t, s)
	t0 := µsTime(2026, 5, 6, 7, 8, 9, 101112)
	msgs := []*registry.PollMessage{
		{RecipientID: "acme", QueuedAt: t0, Msg: "Transfer requested.", Kind: "transfer",
			Data: []byte(`{"type":"domain","name":"example.se","transfer":{"status":"pending","reID":"other"}}`)},
		{RecipientID: "other", QueuedAt: t0, Msg: "For other."},
		{RecipientID: "acme", QueuedAt: t0.Add(-time.Hour), Msg: "Pending action completed: ünïcode.", Kind: "pan",
			Data: []byte(`{"name":"ex.se","result":true}`)},
		{RecipientID: "acme", Msg: "Queued now."},
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, m := range msgs {
			if err := tx.EnqueueMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	for i := 1; i < len(msgs); i++ {
		if msgs[i].ID <= msgs[i-1].ID {
			t.Errorf("message IDs not increasing: %d after %d", msgs[i].ID, msgs[i-1].ID)
		}
	}
	if msgs[3].QueuedAt.IsZero() {
		t.Error("EnqueueMessage left a zero QueuedAt zero")
	}
	checkNormalised(t, "queued message", msgs[0])

	first := func(clID string) (*registry.PollMessage, int) {
		t.Helper()
		var m *registry.PollMessage
		var n int
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			m, n, err = tx.FirstMessage(ctx, clID)
			return err
		})
		return m, n
	}
	ack := func(clID string, id int64) int {
		t.Helper()
		var n int
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			var err error
			n, err = tx.AckMessage(ctx, clID, id)
			return err
		})
		return n
	}

	// Oldest by queue order (ID), whatever QueuedAt says.
	m, n := first("acme")
	checkMessage(t, m, msgs[0])
	if n != 3 {
		t.Errorf("FirstMessage count = %d, want 3", n)
	}
	m, n = first("other")
	checkMessage(t, m, msgs[1])
	if n != 1 {
		t.Errorf("FirstMessage count of other = %d, want 1", n)
	}

	// Nobody acknowledges another's message, nor one that is not there.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.AckMessage(ctx, "acme", msgs[1].ID)
		wantReason(t, err, registry.KindNotFound, "AckMessage of other's message", `"acme"`)
		_, err = tx.AckMessage(ctx, "other", msgs[0].ID)
		wantKind(t, err, registry.KindNotFound, "AckMessage of acme's message by other")
		_, err = tx.AckMessage(ctx, "acme", msgs[3].ID+100)
		wantKind(t, err, registry.KindNotFound, "AckMessage of no message")
		return nil
	})
	if _, n := first("other"); n != 1 {
		t.Errorf("after refused acknowledgements other has %d messages, want 1", n)
	}

	if left := ack("acme", msgs[0].ID); left != 2 {
		t.Errorf("AckMessage left %d, want 2", left)
	}
	m, n = first("acme")
	checkMessage(t, m, msgs[2])
	if n != 2 {
		t.Errorf("FirstMessage count = %d, want 2", n)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.AckMessage(ctx, "acme", msgs[0].ID)
		wantKind(t, err, registry.KindNotFound, "second AckMessage")
		return nil
	})
	if left := ack("acme", msgs[3].ID); left != 1 {
		t.Errorf("AckMessage out of order left %d, want 1", left)
	}
	m, _ = first("acme")
	checkMessage(t, m, msgs[2])
	if left := ack("acme", msgs[2].ID); left != 0 {
		t.Errorf("last AckMessage left %d, want 0", left)
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, _, err := tx.FirstMessage(ctx, "acme")
		wantKind(t, err, registry.KindNotFound, "FirstMessage of an empty queue")
		_, _, err = tx.FirstMessage(ctx, "nobody")
		wantKind(t, err, registry.KindNotFound, "FirstMessage of no reseller")
		err = tx.EnqueueMessage(ctx, &registry.PollMessage{RecipientID: "nobody", Msg: "x"})
		wantReason(t, err, registry.KindNotFound, "EnqueueMessage to no reseller", `"nobody"`)
		// The refusals leave the transaction usable.
		return tx.EnqueueMessage(ctx, &registry.PollMessage{RecipientID: "acme", Msg: "again"})
	})
	if m, n := first("acme"); m.Msg != "again" || n != 1 || m.Data != nil {
		t.Errorf("after re-queueing FirstMessage = %+v, %d", *m, n)
	}
}
