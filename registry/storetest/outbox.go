package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
)

// outboxTests are the tests of registry.OutboxTx.
var outboxTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"OutboxRoundTrip", testOutboxRoundTrip},
	{"OutboxIdempotentEnqueue", testOutboxIdempotentEnqueue},
	{"OutboxConcurrentEnqueue", testOutboxConcurrentEnqueue},
	{"OutboxInvalid", testOutboxInvalid},
	{"OutboxClaimOrder", testOutboxClaimOrder},
	{"OutboxFailureBackoff", testOutboxFailureBackoff},
	{"OutboxSentIsFinal", testOutboxSentIsFinal},
	{"OutboxBatch", testOutboxBatch},
	{"OutboxConcurrentClaim", testOutboxConcurrentClaim},
	{"OutboxFailedForGood", testOutboxFailedForGood},
}

// outboxT0 is when the outbox tests' messages are written.
var outboxT0 = µsTime(2027, 4, 12, 6, 0, 0, 250000)

func newEmail(key string, at time.Time) *registry.OutboxMessage {
	return &registry.OutboxMessage{
		Key: key, Channel: registry.OutboxEmail, To: "anna@example.se",
		Subject: "Påminnelse: " + key, Body: "Hej!\n\nBetala " + key + ".\n", CreatedAt: at,
	}
}

func newLetter(key string, at time.Time) *registry.OutboxMessage {
	return &registry.OutboxMessage{
		Key: key, Channel: registry.OutboxLetter, To: "Anna Andersson\nStorgatan 1\n111 22 Stockholm",
		Subject: "Påminnelse", Body: "Betala " + key + ".\n", CreatedAt: at,
	}
}

// enqueue writes the messages, each in its own transaction, and requires
// each to be new.
func enqueue(t *testing.T, s registry.Store, ms ...*registry.OutboxMessage) {
	t.Helper()
	for _, m := range ms {
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			created, err := tx.EnqueueOutbox(ctx, m)
			if err == nil && !created {
				t.Errorf("EnqueueOutbox(%q) found a message already", m.Key)
			}
			return err
		})
	}
}

func outbox(t *testing.T, s registry.Store, f registry.OutboxFilter) []registry.OutboxMessage {
	t.Helper()
	var ms []registry.OutboxMessage
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		ms, err = tx.OutboxMessages(ctx, f)
		return err
	})
	return ms
}

func claim(t *testing.T, s registry.Store, channel registry.OutboxChannel, now, until time.Time, limit int) []registry.OutboxMessage {
	t.Helper()
	var ms []registry.OutboxMessage
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		ms, err = tx.ClaimOutbox(ctx, channel, now, until, limit)
		return err
	})
	return ms
}

func keys(ms []registry.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}

func checkOutbox(t *testing.T, got, want registry.OutboxMessage) {
	t.Helper()
	g, w := got, want
	g.CreatedAt, g.NextAttemptAt, g.SentAt, g.FailedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.CreatedAt, w.NextAttemptAt, w.SentAt, w.FailedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("outbox message = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "NextAttemptAt", got.NextAttemptAt, want.NextAttemptAt)
	checkTime(t, "SentAt", got.SentAt, want.SentAt)
	checkTime(t, "FailedAt", got.FailedAt, want.FailedAt)
}

func testOutboxRoundTrip(t *testing.T, s registry.Store) {
	mail := newEmail("bill/2027-000123/reminder-email", outboxT0)
	mail.To = `"Anna Andersson" <anna@example.se>`
	// What only the store sets is ignored.
	mail.ID, mail.Attempts, mail.SentAt, mail.LastError, mail.BatchID = 99, 7, outboxT0, "no", "b"
	letter := newLetter("bill/2027-000123/reminder-letter", outboxT0)
	letter.NextAttemptAt = outboxT0.Add(48 * time.Hour) // scheduled ahead
	letter.Body = ""
	bare := &registry.OutboxMessage{Key: "k", Channel: registry.OutboxEmail, To: "x@example.net"}
	enqueue(t, s, mail, letter, bare)

	if mail.ID == 0 || letter.ID <= mail.ID || bare.ID <= letter.ID {
		t.Fatalf("IDs %d, %d, %d: want increasing from non-zero", mail.ID, letter.ID, bare.ID)
	}
	wantMail := registry.OutboxMessage{ID: mail.ID, Key: "bill/2027-000123/reminder-email", Channel: registry.OutboxEmail,
		To: `"Anna Andersson" <anna@example.se>`, Subject: "Påminnelse: bill/2027-000123/reminder-email",
		Body: "Hej!\n\nBetala bill/2027-000123/reminder-email.\n", CreatedAt: outboxT0, NextAttemptAt: outboxT0}
	checkOutbox(t, *mail, wantMail)
	wantLetter := registry.OutboxMessage{ID: letter.ID, Key: "bill/2027-000123/reminder-letter", Channel: registry.OutboxLetter,
		To: "Anna Andersson\nStorgatan 1\n111 22 Stockholm", Subject: "Påminnelse",
		CreatedAt: outboxT0, NextAttemptAt: outboxT0.Add(48 * time.Hour)}
	checkOutbox(t, *letter, wantLetter)
	if bare.CreatedAt.IsZero() || !bare.NextAttemptAt.Equal(bare.CreatedAt) {
		t.Errorf("without times: CreatedAt %v, NextAttemptAt %v; want the store's time for both", bare.CreatedAt, bare.NextAttemptAt)
	}
	checkTime(t, "CreatedAt set by the store", bare.CreatedAt, bare.CreatedAt)

	all := outbox(t, s, registry.OutboxFilter{})
	if got := keys(all); !slices.Equal(got, []string{mail.Key, letter.Key, "k"}) {
		t.Fatalf("OutboxMessages() = %q, want all three by ID", got)
	}
	checkOutbox(t, all[0], wantMail)
	checkOutbox(t, all[1], wantLetter)
	for _, c := range []struct {
		f    registry.OutboxFilter
		want []string
	}{
		{registry.OutboxFilter{Channel: registry.OutboxEmail}, []string{mail.Key, "k"}},
		{registry.OutboxFilter{Channel: registry.OutboxLetter}, []string{letter.Key}},
		{registry.OutboxFilter{Pending: true, Limit: 2}, []string{mail.Key, letter.Key}},
		{registry.OutboxFilter{BatchID: "none"}, []string{}},
	} {
		if got := keys(outbox(t, s, c.f)); !slices.Equal(got, c.want) {
			t.Errorf("OutboxMessages(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func testOutboxIdempotentEnqueue(t *testing.T, s registry.Store) {
	first := newEmail("bill/1/notice", outboxT0)
	enqueue(t, s, first)

	// The same key again, saying something else: the first stands.
	again := newEmail("bill/1/notice", outboxT0.Add(time.Hour))
	again.To, again.Body, again.Channel = "someone.else@example.net", "other", registry.OutboxLetter
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		created, err := tx.EnqueueOutbox(ctx, again)
		if err != nil {
			return err
		}
		if created {
			t.Error("second EnqueueOutbox of a key created a message")
		}
		// Twice in one transaction, too.
		third := newEmail("bill/1/notice", outboxT0)
		if created, err := tx.EnqueueOutbox(ctx, third); err != nil || created {
			return fmt.Errorf("third EnqueueOutbox = %v, %v; want found", created, err)
		}
		return nil
	})
	checkOutbox(t, *again, *first)

	// A sent message is found as sent: the writer learns it went out.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxSent(ctx, first.ID, outboxT0.Add(time.Minute))
	})
	again = newEmail("bill/1/notice", outboxT0)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		created, err := tx.EnqueueOutbox(ctx, again)
		if created {
			t.Error("EnqueueOutbox of a sent message's key created a message")
		}
		return err
	})
	checkTime(t, "SentAt of the message found", again.SentAt, outboxT0.Add(time.Minute))
	if all := outbox(t, s, registry.OutboxFilter{}); len(all) != 1 {
		t.Errorf("outbox has %d messages, want 1", len(all))
	}

	// Keys match exactly.
	enqueue(t, s, newEmail("BILL/1/notice", outboxT0), newEmail("bill/1/notice ", outboxT0))
}

func testOutboxConcurrentEnqueue(t *testing.T, s registry.Store) {
	const n = 8
	start := make(chan struct{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[int64]bool{}
	)
	for i := range n {
		wg.Go(func() {
			<-start
			m := newEmail("bill/2/notice", outboxT0.Add(time.Duration(i)*time.Second))
			err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
				c, err := tx.EnqueueOutbox(ctx, m)
				if err == nil && c {
					mu.Lock()
					created++
					mu.Unlock()
				}
				// Hold the transaction, so that others wait on it.
				time.Sleep(time.Millisecond)
				return err
			})
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
				return
			}
			mu.Lock()
			ids[m.ID] = true
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d concurrent enqueues of one key: %d created, IDs %v; want 1 created, one ID", n, created, ids)
	}
}

func testOutboxInvalid(t *testing.T, s registry.Store) {
	for _, c := range []struct {
		what string
		kind registry.Kind
		edit func(m *registry.OutboxMessage)
	}{
		{"no key", registry.KindMissing, func(m *registry.OutboxMessage) { m.Key = "" }},
		{"no recipient", registry.KindMissing, func(m *registry.OutboxMessage) { m.To = " " }},
		{"unknown channel", registry.KindInvalid, func(m *registry.OutboxMessage) { m.Channel = "fax" }},
		{"no channel", registry.KindInvalid, func(m *registry.OutboxMessage) { m.Channel = "" }},
		{"bad address", registry.KindInvalid, func(m *registry.OutboxMessage) { m.To = "anna at example.se" }},
		{"two-line address", registry.KindInvalid, func(m *registry.OutboxMessage) { m.To = "anna@example.se\r\nBcc: x@example.net" }},
		{"two-line subject", registry.KindInvalid, func(m *registry.OutboxMessage) { m.Subject = "Hi\nBcc: x@example.net" }},
	} {
		// Each refusal leaves the transaction usable.
		tx(t, s, func(ctx context.Context, tx registry.Tx) error {
			m := newEmail("bad", outboxT0)
			c.edit(m)
			_, err := tx.EnqueueOutbox(ctx, m)
			wantKind(t, err, c.kind, c.what)
			_, err = tx.EnqueueOutbox(ctx, newEmail("good/"+c.what, outboxT0))
			return err
		})
	}
	if n := len(outbox(t, s, registry.OutboxFilter{})); n != 7 {
		t.Errorf("outbox has %d messages, want the 7 good ones", n)
	}
}

func testOutboxClaimOrder(t *testing.T, s registry.Store) {
	now := outboxT0.Add(time.Hour)
	until := now.Add(10 * time.Minute)
	// Written out of due order; b and c are due at the same time.
	c := newEmail("c", outboxT0.Add(2*time.Minute))
	a := newEmail("a", outboxT0.Add(time.Minute))
	a.NextAttemptAt = outboxT0 // due before it was written: fine
	b := newEmail("b", outboxT0.Add(2*time.Minute))
	future := newEmail("future", outboxT0)
	future.NextAttemptAt = now.Add(time.Microsecond)
	exact := newEmail("exact", outboxT0)
	exact.NextAttemptAt = now
	letter := newLetter("letter", outboxT0)
	enqueue(t, s, c, a, b, future, exact, letter)

	got := claim(t, s, registry.OutboxEmail, now, until, 3)
	if !slices.Equal(keys(got), []string{"a", "c", "b"}) {
		t.Fatalf("first claim = %q, want a, c, b (due order, then ID)", keys(got))
	}
	for _, m := range got {
		if m.Attempts != 1 {
			t.Errorf("claimed %s has Attempts %d, want 1", m.Key, m.Attempts)
		}
		checkTime(t, "NextAttemptAt of claimed "+m.Key, m.NextAttemptAt, until)
	}
	stored := outbox(t, s, registry.OutboxFilter{Limit: 1})
	if stored[0].Attempts != 1 || !stored[0].NextAttemptAt.Equal(until) {
		t.Errorf("claimed c stored as %+v, want 1 attempt, due at the claim's end", stored[0])
	}

	// Claimed messages are not due while the claim lasts; the future one
	// is not due yet; letters are another channel.
	if got := claim(t, s, registry.OutboxEmail, now, until, 10); !slices.Equal(keys(got), []string{"exact"}) {
		t.Fatalf("second claim = %q, want exact only", keys(got))
	}
	if got := claim(t, s, registry.OutboxEmail, now, until, 10); len(got) != 0 {
		t.Fatalf("third claim = %q, want none", keys(got))
	}
	if got := claim(t, s, registry.OutboxLetter, now, until, 10); !slices.Equal(keys(got), []string{"letter"}) {
		t.Fatalf("letter claim = %q, want letter", keys(got))
	}

	// A claim whose holder never came back ends: the messages are due
	// again, with the attempt counted.
	later := until.Add(time.Minute)
	got = claim(t, s, registry.OutboxEmail, until, later, 10)
	if !slices.Equal(keys(got), []string{"future", "c", "a", "b", "exact"}) {
		t.Fatalf("claim at the claims' end = %q, want future, then the expired claims by ID", keys(got))
	}
	for _, m := range got[1:] {
		if m.Attempts != 2 {
			t.Errorf("re-claimed %s has Attempts %d, want 2", m.Key, m.Attempts)
		}
	}

	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.ClaimOutbox(ctx, registry.OutboxEmail, now, until, 0)
		return err
	})
	wantKind(t, err, registry.KindInvalid, "ClaimOutbox with limit 0")
}

func testOutboxFailureBackoff(t *testing.T, s registry.Store) {
	m := newEmail("m", outboxT0)
	enqueue(t, s, m)
	got := claim(t, s, registry.OutboxEmail, outboxT0, outboxT0.Add(10*time.Minute), 10)
	if len(got) != 1 {
		t.Fatalf("claim = %q, want m", keys(got))
	}
	next := outboxT0.Add(5 * time.Minute)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxFailed(ctx, m.ID, "451 4.3.0 try again later", next)
	})
	if got := claim(t, s, registry.OutboxEmail, next.Add(-time.Microsecond), next.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("claim before the back-off ends = %q, want none", keys(got))
	}
	got = claim(t, s, registry.OutboxEmail, next, next.Add(time.Hour), 10)
	if len(got) != 1 {
		t.Fatalf("claim when the back-off ends = %q, want m", keys(got))
	}
	want := *m
	want.Attempts, want.LastError, want.NextAttemptAt = 2, "451 4.3.0 try again later", next.Add(time.Hour)
	checkOutbox(t, got[0], want)

	// Sent at last: the last error stays, as a record.
	sentAt := next.Add(time.Second)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.MarkOutboxSent(ctx, m.ID, sentAt) })
	want.SentAt = sentAt
	checkOutbox(t, outbox(t, s, registry.OutboxFilter{})[0], want)
}

func testOutboxSentIsFinal(t *testing.T, s registry.Store) {
	m := newEmail("m", outboxT0)
	other := newEmail("other", outboxT0)
	enqueue(t, s, m, other)
	sentAt := outboxT0.Add(time.Second)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.MarkOutboxSent(ctx, m.ID, sentAt) })

	far := outboxT0.AddDate(10, 0, 0)
	if got := claim(t, s, registry.OutboxEmail, far, far.Add(time.Hour), 10); !slices.Equal(keys(got), []string{"other"}) {
		t.Fatalf("claim ten years on = %q, want only the unsent message", keys(got))
	}
	if got := outbox(t, s, registry.OutboxFilter{Pending: true}); !slices.Equal(keys(got), []string{"other"}) {
		t.Errorf("pending = %q, want other", keys(got))
	}
	// Each refusal leaves the transaction usable.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		wantKind(t, tx.MarkOutboxSent(ctx, m.ID, far), registry.KindStatusProhibits, "second MarkOutboxSent")
		wantKind(t, tx.MarkOutboxFailed(ctx, m.ID, "late", far), registry.KindStatusProhibits, "MarkOutboxFailed of a sent message")
		wantKind(t, tx.MarkOutboxSent(ctx, other.ID+100, far), registry.KindNotFound, "MarkOutboxSent of nothing")
		wantKind(t, tx.MarkOutboxFailed(ctx, other.ID+100, "x", far), registry.KindNotFound, "MarkOutboxFailed of nothing")
		_, err := tx.EnqueueOutbox(ctx, newEmail("after", outboxT0))
		return err
	})
	got := outbox(t, s, registry.OutboxFilter{Limit: 1})[0]
	checkTime(t, "SentAt after refused changes", got.SentAt, sentAt)

	raw, ok := s.(RawDB)
	if !ok {
		return
	}
	ctx := t.Context()
	for _, q := range []string{
		fmt.Sprintf(`UPDATE outbox SET sent_at = NULL WHERE id = %d`, m.ID),
		fmt.Sprintf(`UPDATE outbox SET attempts = 0 WHERE id = %d`, m.ID),
		fmt.Sprintf(`UPDATE outbox SET body = 'forged' WHERE id = %d`, other.ID),
		fmt.Sprintf(`UPDATE outbox SET recipient = 'x@example.net' WHERE id = %d`, other.ID),
	} {
		if _, err := raw.DB().ExecContext(ctx, q); err == nil {
			t.Errorf("database accepted %q", q)
		}
	}
	got = outbox(t, s, registry.OutboxFilter{Limit: 1})[0]
	checkTime(t, "SentAt after refused updates", got.SentAt, sentAt)
}

func testOutboxBatch(t *testing.T, s registry.Store) {
	now := outboxT0.Add(time.Hour)
	l1, l2, l3 := newLetter("l1", outboxT0), newLetter("l2", outboxT0), newLetter("l3", outboxT0)
	l3.NextAttemptAt = now.Add(time.Hour)
	enqueue(t, s, l1, l2, l3, newEmail("mail", outboxT0))

	var got []registry.OutboxMessage
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		var err error
		got, err = tx.AssignOutboxBatch(ctx, registry.OutboxLetter, "B1", now, 100)
		return err
	})
	if !slices.Equal(keys(got), []string{"l1", "l2"}) || got[0].BatchID != "B1" || got[1].BatchID != "B1" {
		t.Fatalf("AssignOutboxBatch = %+v, want l1 and l2 in batch B1", got)
	}
	// In a batch and unsent: pending, but neither claimed nor batched
	// again, whenever.
	later := now.Add(24 * time.Hour)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		again, err := tx.AssignOutboxBatch(ctx, registry.OutboxLetter, "B2", later, 100)
		if err != nil {
			return err
		}
		if !slices.Equal(keys(again), []string{"l3"}) {
			t.Errorf("second AssignOutboxBatch = %q, want l3", keys(again))
		}
		return nil
	})
	if got := claim(t, s, registry.OutboxLetter, later, later, 100); len(got) != 0 {
		t.Errorf("claim of batched letters = %q, want none", keys(got))
	}
	b1 := outbox(t, s, registry.OutboxFilter{BatchID: "B1", Pending: true})
	if !slices.Equal(keys(b1), []string{"l1", "l2"}) {
		t.Fatalf("pending in B1 = %q, want l1, l2", keys(b1))
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for _, m := range b1 {
			if err := tx.MarkOutboxSent(ctx, m.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if got := outbox(t, s, registry.OutboxFilter{BatchID: "B1", Pending: true}); len(got) != 0 {
		t.Errorf("pending in B1 after marking = %q", keys(got))
	}
	if got := outbox(t, s, registry.OutboxFilter{BatchID: "B1"}); len(got) != 2 || !got[0].Sent() || got[0].BatchID != "B1" {
		t.Errorf("B1 after marking = %+v, want two sent letters", got)
	}
	err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
		_, err := tx.AssignOutboxBatch(ctx, registry.OutboxLetter, "", later, 100)
		return err
	})
	wantKind(t, err, registry.KindMissing, "AssignOutboxBatch without a batch ID")
}

// testOutboxConcurrentClaim has claimers race over the outbox, each
// holding its transaction open a moment: every message is claimed exactly
// once.
func testOutboxConcurrentClaim(t *testing.T, s registry.Store) {
	const messages, claimers = 60, 6
	ms := make([]*registry.OutboxMessage, messages)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		for i := range ms {
			ms[i] = newEmail(fmt.Sprintf("m%02d", i), outboxT0)
			if _, err := tx.EnqueueOutbox(ctx, ms[i]); err != nil {
				return err
			}
		}
		return nil
	})
	now, until := outboxT0.Add(time.Minute), outboxT0.Add(time.Hour)
	start := make(chan struct{})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int64]int{}
	)
	for i := range claimers {
		wg.Go(func() {
			<-start
			for {
				var got []registry.OutboxMessage
				err := txErr(t, s, func(ctx context.Context, tx registry.Tx) error {
					var err error
					got, err = tx.ClaimOutbox(ctx, registry.OutboxEmail, now, until, 4)
					time.Sleep(2 * time.Millisecond)
					return err
				})
				if err != nil {
					t.Errorf("claimer %d: %v", i, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					counts[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, m := range ms {
		if counts[m.ID] != 1 {
			t.Errorf("message %s claimed %d times, want once", m.Key, counts[m.ID])
		}
	}
}

// testOutboxFailedForGood: a message given up is kept but never claimed
// or batched again, until retried; it is listed as failed, not pending.
func testOutboxFailedForGood(t *testing.T, s registry.Store) {
	m, other, letter := newEmail("m", outboxT0), newEmail("other", outboxT0), newLetter("letter", outboxT0)
	enqueue(t, s, m, other, letter)
	now := outboxT0.Add(time.Minute)
	if got := claim(t, s, registry.OutboxEmail, now, now.Add(10*time.Minute), 1); !slices.Equal(keys(got), []string{"m"}) {
		t.Fatalf("claim = %q, want m", keys(got))
	}
	failedAt := now.Add(time.Second)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxFailedForGood(ctx, m.ID, "RCPT TO: 550 5.1.1 no such mailbox", failedAt)
	})
	want := *m
	want.Attempts, want.LastError, want.NextAttemptAt, want.FailedAt = 1, "RCPT TO: 550 5.1.1 no such mailbox", now.Add(10*time.Minute), failedAt
	failed := outbox(t, s, registry.OutboxFilter{Failed: true})
	if len(failed) != 1 {
		t.Fatalf("failed = %q, want m", keys(failed))
	}
	checkOutbox(t, failed[0], want)
	if !failed[0].Failed() || failed[0].Sent() {
		t.Errorf("failed message: Failed() = %v, Sent() = %v", failed[0].Failed(), failed[0].Sent())
	}
	if got := outbox(t, s, registry.OutboxFilter{Pending: true}); !slices.Equal(keys(got), []string{"other", "letter"}) {
		t.Errorf("pending = %q, want other and letter", keys(got))
	}
	far := outboxT0.AddDate(10, 0, 0)
	if got := claim(t, s, registry.OutboxEmail, far, far.Add(time.Hour), 10); !slices.Equal(keys(got), []string{"other"}) {
		t.Fatalf("claim ten years on = %q, want only other", keys(got))
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		wantKind(t, tx.RetryOutbox(ctx, other.ID, now), registry.KindStatusProhibits, "RetryOutbox of a message being tried")
		wantKind(t, tx.RetryOutbox(ctx, letter.ID+100, now), registry.KindNotFound, "RetryOutbox of nothing")
		wantKind(t, tx.MarkOutboxFailedForGood(ctx, letter.ID+100, "x", now), registry.KindNotFound, "MarkOutboxFailedForGood of nothing")
		return nil
	})

	// Retried: due at once, its attempts counted anew, its last error kept.
	retryAt := now.Add(time.Hour)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.RetryOutbox(ctx, m.ID, retryAt) })
	if got := claim(t, s, registry.OutboxEmail, retryAt.Add(-time.Microsecond), retryAt, 10); len(got) != 0 {
		t.Fatalf("claim before the retry is due = %q, want none", keys(got))
	}
	got := claim(t, s, registry.OutboxEmail, retryAt, retryAt.Add(time.Hour), 10)
	if len(got) != 1 {
		t.Fatalf("claim after retry = %q, want m", keys(got))
	}
	want.Attempts, want.NextAttemptAt, want.FailedAt = 1, retryAt.Add(time.Hour), time.Time{}
	checkOutbox(t, got[0], want)

	// A message marked failed that went out after all is sent.
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		return tx.MarkOutboxFailedForGood(ctx, m.ID, "gave up", retryAt)
	})
	sentAt := retryAt.Add(time.Second)
	tx(t, s, func(ctx context.Context, tx registry.Tx) error { return tx.MarkOutboxSent(ctx, m.ID, sentAt) })
	got = outbox(t, s, registry.OutboxFilter{Limit: 1})
	if !got[0].Sent() || got[0].Failed() {
		t.Fatalf("failed message marked sent: %+v", got[0])
	}
	tx(t, s, func(ctx context.Context, tx registry.Tx) error {
		wantKind(t, tx.RetryOutbox(ctx, m.ID, sentAt), registry.KindStatusProhibits, "RetryOutbox of a sent message")
		wantKind(t, tx.MarkOutboxFailedForGood(ctx, m.ID, "late", sentAt), registry.KindStatusProhibits, "MarkOutboxFailedForGood of a sent message")
		return nil
	})

	raw, ok := s.(RawDB)
	if !ok {
		return
	}
	for _, q := range []string{
		fmt.Sprintf(`UPDATE outbox SET sent_at = next_attempt_at, failed_at = next_attempt_at WHERE id = %d`, other.ID),
		fmt.Sprintf(`UPDATE outbox SET failed_at = sent_at WHERE id = %d`, m.ID),
	} {
		if _, err := raw.DB().ExecContext(t.Context(), q); err == nil {
			t.Errorf("database accepted %q", q)
		}
	}
}
