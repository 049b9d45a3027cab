package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eppd/eppd/registry"
)

// EnqueueMessage adds m to its recipient's queue and sets its ID. A zero
// QueuedAt is set to the store clock's time; KindNotFound when the
// recipient is no reseller.
func (t *tx) EnqueueMessage(ctx context.Context, m *registry.PollMessage) error {
	queuedAt := m.QueuedAt
	if queuedAt.IsZero() {
		queuedAt = t.s.clock.Now()
	}
	queuedAt = normTime(queuedAt)
	var data any
	if len(m.Data) > 0 {
		data = string(m.Data)
	}
	var id int64
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO poll_messages (recipient_clid, queued_at, msg, kind, data)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING id`,
			m.RecipientID, t.timeArg(queuedAt), m.Msg, m.Kind, data,
		).Scan(&id)
	})
	if err != nil {
		if isForeignKeyViolation(err) {
			return registry.Errorf(registry.KindNotFound, "reseller %q does not exist", m.RecipientID)
		}
		return fmt.Errorf("queue message for %q: %w", m.RecipientID, err)
	}
	m.ID, m.QueuedAt = id, queuedAt
	return nil
}

func (t *tx) FirstMessage(ctx context.Context, clID string) (*registry.PollMessage, int, error) {
	var m registry.PollMessage
	err := t.tx.QueryRowContext(ctx, `
		SELECT id, recipient_clid, queued_at, msg, kind, data
		FROM poll_messages WHERE recipient_clid = $1
		ORDER BY id LIMIT 1`, clID,
	).Scan(&m.ID, &m.RecipientID, timeCol{&m.QueuedAt}, &m.Msg, &m.Kind, &m.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, registry.Errorf(registry.KindNotFound, "the queue of %q is empty", clID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("first message of %q: %w", clID, err)
	}
	n, err := t.queueLength(ctx, clID)
	if err != nil {
		return nil, 0, err
	}
	return &m, n, nil
}

func (t *tx) AckMessage(ctx context.Context, clID string, id int64) (int, error) {
	res, err := t.tx.ExecContext(ctx,
		`DELETE FROM poll_messages WHERE id = $1 AND recipient_clid = $2`, id, clID)
	if err != nil {
		return 0, fmt.Errorf("acknowledge message %d of %q: %w", id, clID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("acknowledge message %d of %q: %w", id, clID, err)
	} else if n == 0 {
		return 0, registry.Errorf(registry.KindNotFound, "message %d is not in the queue of %q", id, clID)
	}
	return t.queueLength(ctx, clID)
}

func (t *tx) queueLength(ctx context.Context, clID string) (int, error) {
	var n int64
	if err := t.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM poll_messages WHERE recipient_clid = $1`, clID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages of %q: %w", clID, err)
	}
	return int(n), nil
}
