package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/eppd/eppd/registry"
)

const billColumns = `id, number, bill_key, schedule_key, collective, expiry, account_number, registrant, payer,
	notice_to, currency, fees, total, paid, state, cancelled_from, next_step_at, created_at, updated_at`

func scanBill(row rowScanner, b *registry.Bill) error {
	var state, cancelledFrom string
	var number sql.NullString
	err := row.Scan(&b.ID, &number, &b.Key, &b.ScheduleKey, &b.Collective, timeCol{&b.Expiry}, &b.AccountNumber,
		&b.Registrant, &b.Payer, &b.NoticeTo, &b.Currency, &b.Fees, &b.Total, &b.Paid, &state, &cancelledFrom,
		timeCol{&b.NextStepAt}, timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt})
	b.Number, b.State, b.CancelledFrom = number.String, registry.BillState(state), registry.BillState(cancelledFrom)
	return err
}

func (t *tx) CreateBill(ctx context.Context, b *registry.Bill) (bool, error) {
	if b.Key == "" {
		return false, registry.Errorf(registry.KindMissing, "a bill needs a key")
	}
	if b.State == "" {
		b.State = registry.BillNoticed
	}
	created := b.CreatedAt
	if created.IsZero() {
		created = t.now()
	}
	created = normTime(created)
	var id int64
	err := t.tx.QueryRowContext(ctx, `
		INSERT INTO bills (bill_key, schedule_key, collective, expiry, account_number, registrant, payer,
		                   notice_to, currency, fees, total, paid, state, next_step_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
		ON CONFLICT (bill_key) DO NOTHING
		RETURNING id`,
		b.Key, b.ScheduleKey, b.Collective, t.timeArg(normTime(b.Expiry)), b.AccountNumber, b.Registrant, b.Payer,
		b.NoticeTo, b.Currency, b.Fees, b.Total, b.Paid, string(b.State), t.nullTimeArg(normTime(b.NextStepAt)),
		t.timeArg(created)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var number string
		if err := t.tx.QueryRowContext(ctx, `SELECT number FROM bills WHERE bill_key = $1`, b.Key).Scan(&number); err != nil {
			return false, fmt.Errorf("find bill %q: %w", b.Key, err)
		}
		stored, err := t.bill(ctx, number, false)
		if err != nil {
			return false, err
		}
		*b = *stored
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create bill %q: %w", b.Key, err)
	}
	year := b.Expiry.UTC().Year()
	number := fmt.Sprintf("%d-%06d", year, id)
	if _, err := t.tx.ExecContext(ctx, `UPDATE bills SET number = $2 WHERE id = $1`, id, number); err != nil {
		return false, fmt.Errorf("number bill %q: %w", b.Key, err)
	}
	if err := t.writeBillLines(ctx, id, b.Lines); err != nil {
		return false, fmt.Errorf("create bill %q: %w", b.Key, err)
	}
	stored, err := t.bill(ctx, number, false)
	if err != nil {
		return false, err
	}
	*b = *stored
	return true, nil
}

func (t *tx) writeBillLines(ctx context.Context, id int64, lines []registry.BillLine) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM bill_lines WHERE bill_id = $1`, id); err != nil {
		return err
	}
	for i, l := range lines {
		if _, err := t.tx.ExecContext(ctx, `
			INSERT INTO bill_lines (bill_id, pos, domain_name, domain_roid, expiry, years, amount, removed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, int64(i), l.Domain, l.DomainROID, t.timeArg(normTime(l.Expiry)), int64(l.Years), l.Amount,
			t.nullTimeArg(normTime(l.RemovedAt))); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) readBillLines(ctx context.Context, b *registry.Bill) error {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT domain_name, domain_roid, expiry, years, amount, removed_at FROM bill_lines
		WHERE bill_id = $1 ORDER BY pos`, b.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	b.Lines = nil
	for rows.Next() {
		var l registry.BillLine
		var years int64
		if err := rows.Scan(&l.Domain, &l.DomainROID, timeCol{&l.Expiry}, &years, &l.Amount, timeCol{&l.RemovedAt}); err != nil {
			return err
		}
		l.Years = int(years)
		b.Lines = append(b.Lines, l)
	}
	return rows.Err()
}

func (t *tx) Bill(ctx context.Context, number string) (*registry.Bill, error) {
	return t.bill(ctx, number, false)
}

func (t *tx) LockBill(ctx context.Context, number string) (*registry.Bill, error) {
	return t.bill(ctx, number, true)
}

func (t *tx) bill(ctx context.Context, number string, lock bool) (*registry.Bill, error) {
	var b registry.Bill
	err := scanBill(t.tx.QueryRowContext(ctx,
		`SELECT `+billColumns+` FROM bills WHERE number = $1`+t.forUpdate(lock), number), &b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "bill %s does not exist", number)
	}
	if err == nil {
		err = t.readBillLines(ctx, &b)
	}
	if err != nil {
		return nil, fmt.Errorf("read bill %s: %w", number, err)
	}
	return &b, nil
}

func (t *tx) UpdateBill(ctx context.Context, b *registry.Bill) error {
	now := t.now()
	res, err := t.tx.ExecContext(ctx, `
		UPDATE bills SET schedule_key = $2, collective = $3, expiry = $4, account_number = $5, registrant = $6,
		    payer = $7, notice_to = $8, currency = $9, fees = $10, total = $11, paid = $12, state = $13,
		    next_step_at = $14, updated_at = $15, cancelled_from = $16
		WHERE number = $1`,
		b.Number, b.ScheduleKey, b.Collective, t.timeArg(normTime(b.Expiry)), b.AccountNumber, b.Registrant,
		b.Payer, b.NoticeTo, b.Currency, b.Fees, b.Total, b.Paid, string(b.State),
		t.nullTimeArg(normTime(b.NextStepAt)), t.timeArg(now), string(b.CancelledFrom))
	if err != nil {
		return fmt.Errorf("update bill %s: %w", b.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return registry.Errorf(registry.KindNotFound, "bill %s does not exist", b.Number)
	}
	var id int64
	if err := t.tx.QueryRowContext(ctx, `SELECT id FROM bills WHERE number = $1`, b.Number).Scan(&id); err != nil {
		return fmt.Errorf("update bill %s: %w", b.Number, err)
	}
	if err := t.writeBillLines(ctx, id, b.Lines); err != nil {
		return fmt.Errorf("update bill %s: %w", b.Number, err)
	}
	b.UpdatedAt = now
	return nil
}

const openBillStates = `('noticed', 'sent', 'reminded', 'reminder-letter', 'final-notice', 'deactivated')`

func (t *tx) Bills(ctx context.Context, f registry.BillFilter) ([]registry.Bill, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.State != "" {
		where = append(where, "state = "+arg(string(f.State)))
	}
	if f.Open || !f.StepDue.IsZero() {
		where = append(where, "state IN "+openBillStates)
	}
	if !f.StepDue.IsZero() {
		where = append(where, "next_step_at IS NOT NULL AND next_step_at <= "+arg(t.timeArg(normTime(f.StepDue))))
	}
	if f.DomainROID != "" {
		where = append(where, "id IN (SELECT bill_id FROM bill_lines WHERE domain_roid = "+arg(f.DomainROID)+")")
	}
	q := `SELECT ` + billColumns + ` FROM bills`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(int64(f.Limit))
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list bills: %w", err)
	}
	var out []registry.Bill
	for rows.Next() {
		var b registry.Bill
		if err := scanBill(rows, &b); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list bills: %w", err)
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list bills: %w", err)
	}
	if f.DomainROID != "" {
		for i := range out {
			if err := t.readBillLines(ctx, &out[i]); err != nil {
				return nil, fmt.Errorf("list bills: %w", err)
			}
		}
	}
	return out, nil
}

func (t *tx) UnpaidBillOfDomain(ctx context.Context, roid string) (*registry.Bill, error) {
	var number string
	err := t.tx.QueryRowContext(ctx, `
		SELECT b.number FROM bills b JOIN bill_lines l ON l.bill_id = b.id
		WHERE l.domain_roid = $1 AND l.removed_at IS NULL AND b.state IN `+openBillStates+`
		ORDER BY b.id LIMIT 1`, roid).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.Errorf(registry.KindNotFound, "domain %s is on no unpaid bill", roid)
	}
	if err != nil {
		return nil, fmt.Errorf("unpaid bill of %s: %w", roid, err)
	}
	return t.bill(ctx, number, false)
}

func (t *tx) billID(ctx context.Context, number string) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM bills WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, registry.Errorf(registry.KindNotFound, "bill %s does not exist", number)
	}
	return id, err
}

const billEventColumns = `id, step, day, at, note`

func (t *tx) AddBillEvent(ctx context.Context, number string, e *registry.BillEvent) (bool, error) {
	id, err := t.billID(ctx, number)
	if err != nil {
		return false, err
	}
	if e.Step == "" {
		return false, registry.Errorf(registry.KindMissing, "a bill event needs a step")
	}
	at := e.At
	if at.IsZero() {
		at = t.now()
	}
	row := t.tx.QueryRowContext(ctx, `
		INSERT INTO bill_events (bill_id, step, day, at, note) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (bill_id, step) DO NOTHING
		RETURNING `+billEventColumns,
		id, e.Step, t.nullTimeArg(normTime(e.Day)), t.timeArg(normTime(at)), e.Note)
	err = row.Scan(&e.ID, &e.Step, timeCol{&e.Day}, timeCol{&e.At}, &e.Note)
	created := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = t.tx.QueryRowContext(ctx, `SELECT `+billEventColumns+` FROM bill_events WHERE bill_id = $1 AND step = $2`,
			id, e.Step).Scan(&e.ID, &e.Step, timeCol{&e.Day}, timeCol{&e.At}, &e.Note)
	}
	if err != nil {
		return false, fmt.Errorf("bill %s event %q: %w", number, e.Step, err)
	}
	return created, nil
}

func (t *tx) BillEvents(ctx context.Context, number string) ([]registry.BillEvent, error) {
	id, err := t.billID(ctx, number)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+billEventColumns+` FROM bill_events WHERE bill_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("events of bill %s: %w", number, err)
	}
	defer rows.Close()
	var out []registry.BillEvent
	for rows.Next() {
		var e registry.BillEvent
		if err := rows.Scan(&e.ID, &e.Step, timeCol{&e.Day}, timeCol{&e.At}, &e.Note); err != nil {
			return nil, fmt.Errorf("events of bill %s: %w", number, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const paymentColumns = `id, bill_number, amount, currency, paid_on, reference, status, actor, recorded_at`

func (t *tx) AddPayment(ctx context.Context, p *registry.Payment) error {
	if p.Status == "" {
		return registry.Errorf(registry.KindMissing, "a payment needs a status")
	}
	p.RecordedAt = t.now()
	p.PaidOn = normTime(p.PaidOn)
	err := t.savepoint(ctx, func() error {
		return t.tx.QueryRowContext(ctx, `
			INSERT INTO payments (bill_number, amount, currency, paid_on, reference, status, actor, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			p.BillNumber, p.Amount, p.Currency, t.timeArg(p.PaidOn), p.Reference, string(p.Status), p.Actor,
			t.timeArg(p.RecordedAt)).Scan(&p.ID)
	})
	if isUniqueViolation(err) {
		return registry.Errorf(registry.KindExists, "a payment with reference %q is recorded already", p.Reference)
	}
	if err != nil {
		return fmt.Errorf("record payment: %w", err)
	}
	return nil
}

func (t *tx) Payments(ctx context.Context, number string, status registry.PaymentStatus) ([]registry.Payment, error) {
	q := `SELECT ` + paymentColumns + ` FROM payments WHERE (CAST($1 AS TEXT) = '' OR bill_number = $1) AND (CAST($2 AS TEXT) = '' OR status = $2) ORDER BY id`
	rows, err := t.tx.QueryContext(ctx, q, number, string(status))
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	defer rows.Close()
	var out []registry.Payment
	for rows.Next() {
		var p registry.Payment
		var st string
		if err := rows.Scan(&p.ID, &p.BillNumber, &p.Amount, &p.Currency, timeCol{&p.PaidOn}, &p.Reference, &st,
			&p.Actor, timeCol{&p.RecordedAt}); err != nil {
			return nil, fmt.Errorf("list payments: %w", err)
		}
		p.Status = registry.PaymentStatus(st)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) RegistrantDomainsExpiring(ctx context.Context, from, to time.Time) ([]registry.Domain, error) {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT d.name, d.roid, d.created_at, d.expires_at, d.account_number, c.contact_id
		FROM domains d
		JOIN domain_contacts dc ON dc.domain_id = d.id AND dc.type = 'registrant'
		JOIN contacts c ON c.id = dc.contact_id
		WHERE d.model = $1 AND d.expires_at >= $2 AND d.expires_at < $3 AND d.deleted_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM bill_lines l JOIN bills b ON b.id = l.bill_id
		                  WHERE l.domain_roid = d.roid AND l.removed_at IS NULL AND b.state IN `+openBillStates+`)
		ORDER BY d.expires_at, d.name`,
		string(registry.ModelRegistrant), t.timeArg(normTime(from)), t.timeArg(normTime(to)))
	if err != nil {
		return nil, fmt.Errorf("registrant-managed domains expiring: %w", err)
	}
	defer rows.Close()
	var out []registry.Domain
	for rows.Next() {
		var (
			d    registry.Domain
			roid sql.NullString
		)
		if err := rows.Scan(&d.Name, &roid, timeCol{&d.CreatedAt}, timeCol{&d.ExpiresAt}, &d.AccountNumber, &d.Registrant); err != nil {
			return nil, fmt.Errorf("registrant-managed domains expiring: %w", err)
		}
		d.ROID = roid.String
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registrant-managed domains expiring: %w", err)
	}
	return out, nil
}

// billingLockClass is the first key of the PostgreSQL advisory lock the
// daily billing run holds; the second is a hash of the schema, so that
// registries in separate schemas of one database do not wait for each
// other.
var billingLockClass = func() int32 {
	h := fnv.New32a()
	h.Write([]byte("eppd billing run"))
	return int32(h.Sum32() >> 1)
}()

// TryBillingLock takes the lock that lets one process at a time run the
// daily billing: on PostgreSQL a session advisory lock held on a dedicated
// connection until release is called; ok false when another process holds
// it. On SQLite, with one process and one connection, it always succeeds.
func (s *Store) TryBillingLock(ctx context.Context) (release func(), ok bool, err error) {
	if s.dialect != DialectPostgres {
		return func() {}, true, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("billing lock: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, billingLockClass).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("billing lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		// A lost connection releases the lock by itself.
		_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, billingLockClass)
		conn.Close()
	}, true, nil
}
