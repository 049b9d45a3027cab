package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

const outboxColumns = `id, idempotency_key, channel, recipient, subject, body, created_at, attempts,
	next_attempt_at, sent_at, failed_at, last_error, batch_id`

func scanOutbox(row rowScanner, m *registry.OutboxMessage) error {
	var channel string
	var attempts int64
	err := row.Scan(&m.ID, &m.Key, &channel, &m.To, &m.Subject, &m.Body, timeCol{&m.CreatedAt}, &attempts,
		timeCol{&m.NextAttemptAt}, timeCol{&m.SentAt}, timeCol{&m.FailedAt}, &m.LastError, &m.BatchID)
	m.Channel, m.Attempts = registry.OutboxChannel(channel), int(attempts)
	return err
}

func (t *tx) EnqueueOutbox(ctx context.Context, m *registry.OutboxMessage) (bool, error) {
	if err := m.Validate(); err != nil {
		return false, err
	}
	createdAt := m.CreatedAt
	if createdAt.IsZero() {
		createdAt = t.s.clock.Now()
	}
	createdAt = normTime(createdAt)
	next := createdAt
	if !m.NextAttemptAt.IsZero() {
		next = normTime(m.NextAttemptAt)
	}
	// ON CONFLICT rather than a savepoint: a duplicate key is the expected
	// case of a re-run, not a failure. On PostgreSQL a concurrent insert
	// of the same key makes this one wait for its transaction: once that
	// commits, the insert does nothing and the select below finds its row.
	var stored registry.OutboxMessage
	err := scanOutbox(t.tx.QueryRowContext(ctx, `
		INSERT INTO outbox (idempotency_key, channel, recipient, subject, body, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+outboxColumns,
		m.Key, string(m.Channel), m.To, m.Subject, m.Body, t.timeArg(createdAt), t.timeArg(next)), &stored)
	created := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = scanOutbox(t.tx.QueryRowContext(ctx,
			`SELECT `+outboxColumns+` FROM outbox WHERE idempotency_key = $1`, m.Key), &stored)
	}
	if err != nil {
		return false, fmt.Errorf("enqueue outbox message %q: %w", m.Key, err)
	}
	*m = stored
	return created, nil
}

func (t *tx) ClaimOutbox(ctx context.Context, channel registry.OutboxChannel, now, until time.Time, limit int) ([]registry.OutboxMessage, error) {
	what := "claim outbox " + string(channel)
	ms, err := t.dueOutbox(ctx, what, channel, now, limit)
	if err != nil || len(ms) == 0 {
		return ms, err
	}
	until = normTime(until)
	if err := t.updateOutbox(ctx, what, ms, `attempts = attempts + 1, next_attempt_at = $1`, t.timeArg(until)); err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].Attempts++
		ms[i].NextAttemptAt = until
	}
	return ms, nil
}

func (t *tx) AssignOutboxBatch(ctx context.Context, channel registry.OutboxChannel, batchID string, now time.Time, limit int) ([]registry.OutboxMessage, error) {
	what := "assign outbox " + string(channel) + " batch " + strconv.Quote(batchID)
	if batchID == "" {
		return nil, registry.Errorf(registry.KindMissing, "%s: no batch ID", what)
	}
	ms, err := t.dueOutbox(ctx, what, channel, now, limit)
	if err != nil || len(ms) == 0 {
		return ms, err
	}
	if err := t.updateOutbox(ctx, what, ms, `batch_id = $1`, batchID); err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].BatchID = batchID
	}
	return ms, nil
}

// dueOutbox selects, and on PostgreSQL locks, the messages that ClaimOutbox
// and AssignOutboxBatch take.
func (t *tx) dueOutbox(ctx context.Context, what string, channel registry.OutboxChannel, now time.Time, limit int) ([]registry.OutboxMessage, error) {
	if limit <= 0 {
		return nil, registry.Errorf(registry.KindInvalid, "%s: limit %d is not positive", what, limit)
	}
	q := `SELECT ` + outboxColumns + ` FROM outbox
		WHERE channel = $1 AND sent_at IS NULL AND failed_at IS NULL AND batch_id = '' AND next_attempt_at <= $2
		ORDER BY next_attempt_at, id LIMIT $3`
	// Rows another transaction is claiming are passed over rather than
	// waited for: once it commits they are not due any more. SQLite needs
	// no lock: every transaction there holds the database's write lock.
	if t.s.dialect == DialectPostgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	return t.outboxMessages(ctx, what, q, string(channel), t.timeArg(normTime(now)), int64(limit))
}

// updateOutbox applies set, whose one parameter is arg, to the messages ms.
func (t *tx) updateOutbox(ctx context.Context, what string, ms []registry.OutboxMessage, set string, arg any) error {
	args := make([]any, 0, len(ms)+1)
	args = append(args, arg)
	ids := make([]string, len(ms))
	for i, m := range ms {
		args = append(args, m.ID)
		ids[i] = "$" + strconv.Itoa(i+2)
	}
	_, err := t.tx.ExecContext(ctx,
		`UPDATE outbox SET `+set+` WHERE id IN (`+strings.Join(ids, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (t *tx) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	return t.markOutbox(ctx, id, "mark outbox message %d sent",
		`UPDATE outbox SET sent_at = $2, failed_at = NULL WHERE id = $1 AND sent_at IS NULL`, t.timeArg(normTime(at)))
}

func (t *tx) MarkOutboxFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	return t.markOutbox(ctx, id, "mark outbox message %d failed",
		`UPDATE outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1 AND sent_at IS NULL`,
		reason, t.timeArg(normTime(next)))
}

func (t *tx) MarkOutboxFailedForGood(ctx context.Context, id int64, reason string, at time.Time) error {
	return t.markOutbox(ctx, id, "mark outbox message %d failed for good",
		`UPDATE outbox SET last_error = $2, failed_at = $3 WHERE id = $1 AND sent_at IS NULL`,
		reason, t.timeArg(normTime(at)))
}

func (t *tx) RetryOutbox(ctx context.Context, id int64, now time.Time) error {
	what := fmt.Sprintf("retry outbox message %d", id)
	res, err := t.tx.ExecContext(ctx,
		`UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $2 WHERE id = $1 AND failed_at IS NOT NULL`,
		id, t.timeArg(normTime(now)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var m registry.OutboxMessage
	err = scanOutbox(t.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id), &m)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return registry.Errorf(registry.KindNotFound, "outbox message %d not found", id)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case m.Sent():
		return registry.Errorf(registry.KindStatusProhibits, "outbox message %d was sent, at %s", id, m.SentAt.Format(time.RFC3339))
	}
	return registry.Errorf(registry.KindStatusProhibits, "outbox message %d has not failed: it is still being delivered (next attempt %s)",
		id, m.NextAttemptAt.Format(time.RFC3339))
}

// markOutbox runs update, which changes the unsent message id, and tells
// why when it changed nothing.
func (t *tx) markOutbox(ctx context.Context, id int64, what, update string, args ...any) error {
	what = fmt.Sprintf(what, id)
	res, err := t.tx.ExecContext(ctx, update, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n > 0 {
		return nil
	}
	var sentAt time.Time
	err = t.tx.QueryRowContext(ctx, `SELECT sent_at FROM outbox WHERE id = $1`, id).Scan(timeCol{&sentAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return registry.Errorf(registry.KindNotFound, "outbox message %d not found", id)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	return registry.Errorf(registry.KindStatusProhibits, "outbox message %d was sent already, at %s",
		id, sentAt.Format(time.RFC3339))
}

func (t *tx) OutboxMessages(ctx context.Context, f registry.OutboxFilter) ([]registry.OutboxMessage, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Channel != "" {
		add(`channel = $?`, string(f.Channel))
	}
	if f.Pending {
		where = append(where, `sent_at IS NULL AND failed_at IS NULL`)
	}
	if f.Failed {
		where = append(where, `failed_at IS NOT NULL`)
	}
	if f.BatchID != "" {
		add(`batch_id = $?`, f.BatchID)
	}
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, int64(f.Limit))
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	return t.outboxMessages(ctx, "list outbox messages", q, args...)
}

func (t *tx) outboxMessages(ctx context.Context, what, q string, args ...any) ([]registry.OutboxMessage, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []registry.OutboxMessage
	for rows.Next() {
		var m registry.OutboxMessage
		if err := scanOutbox(rows, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
