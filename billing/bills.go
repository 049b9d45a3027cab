package billing

// Bills of registrant-managed domains: the daily run that forms them and
// takes each through the billing calendar, and the payments that settle
// them (DOMAIN.md section 4).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eppd/eppd/registry"
)

// BillingLocker is a store that can keep two processes from running the
// billing of a day at once (sqlstore.Store: a PostgreSQL advisory lock).
// Without it every step is still done once, each in a transaction that
// locks its bill and records the step; the lock spares the work.
type BillingLocker interface {
	TryBillingLock(ctx context.Context) (release func(), ok bool, err error)
}

// Biller forms the bills of registrant-managed domains and runs them
// through the billing calendar: notices, the bill, reminders, deactivation
// and deregistration, each step's messages written to the outbox, the poll
// queues of the resellers with a role on the domains, and the domains'
// history, in the transaction of the step.
type Biller struct {
	svc    *registry.Service
	store  registry.Store
	clock  registry.Clock
	cal    CalendarConfig
	prices *Prices
	log    *slog.Logger
}

// NewBiller returns a Biller over svc's store and clock. prices nil is
// DefaultPrices; log nil discards.
func NewBiller(svc *registry.Service, cal CalendarConfig, prices *Prices, log *slog.Logger) (*Biller, error) {
	if err := cal.Validate(); err != nil {
		return nil, fmt.Errorf("billing calendar: %w", err)
	}
	if prices == nil {
		prices = DefaultPrices()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Biller{svc: svc, store: svc.Store(), clock: svc.Clock(), cal: cal, prices: prices, log: log}, nil
}

// StepDone is a step of a bill done by a run.
type StepDone struct {
	Bill string
	Step StepKind
	Note string
}

// Report is what a run did.
type Report struct {
	Day time.Time
	// Busy is set when another process was running the billing: this run
	// did nothing.
	Busy bool
	// Formed lists the bills formed, by number.
	Formed []string
	Steps  []StepDone
	// Problems are what needs the operator: a domain that could not be
	// deregistered, a domain that could not be billed.
	Problems []string
}

// Run does everything due on day (a UTC calendar day): it forms the bills
// whose notice falls on it or before, and takes every open bill through
// its steps up to that day. A step is done once whatever happens: running
// a day again, or after a crash half-way, sends nothing twice and forms no
// bill twice.
func (b *Biller) Run(ctx context.Context, day time.Time) (Report, error) {
	day = calendarDay(day)
	rep := Report{Day: day}
	if l, ok := b.store.(BillingLocker); ok {
		release, ok, err := l.TryBillingLock(ctx)
		if err != nil {
			return rep, err
		}
		if !ok {
			rep.Busy = true
			return rep, nil
		}
		defer release()
	}
	// A bill that cannot be formed holds back no other bill's steps.
	formErr := b.form(ctx, day, &rep)
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	var due []registry.Bill
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		var err error
		due, err = tx.Bills(ctx, registry.BillFilter{StepDue: day})
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("bills due: %w", err)
	}
	var mu sync.Mutex
	err = b.parallel(ctx, len(due), func(i int) error {
		var r Report
		err := b.advance(ctx, due[i].Number, day, &r)
		mu.Lock()
		defer mu.Unlock()
		rep.Steps = append(rep.Steps, r.Steps...)
		rep.Problems = append(rep.Problems, r.Problems...)
		if err != nil {
			err = fmt.Errorf("bill %s: %w", due[i].Number, err)
			b.log.Error("billing step failed", "bill", due[i].Number, "err", err)
			rep.Problems = append(rep.Problems, err.Error())
		}
		return err
	})
	// Each bill's steps in their order, the bills by number.
	slices.SortStableFunc(rep.Steps, func(x, y StepDone) int { return cmp.Compare(x.Bill, y.Bill) })
	return rep, errors.Join(formErr, err)
}

// runWorkers is how many bills a run takes through their steps at once. Each bill is its own transactions and no two bills share a
// domain, so they do not wait for each other; the time of a run is mostly
// round trips to the database, which workers overlap (BENCHMARKS.md).
const runWorkers = 4

// parallel calls fn for 0 to n-1 from runWorkers goroutines. A call that
// fails holds back no other: every failure is returned, joined, and the
// next run tries again. It stops early only when ctx ends.
func (b *Biller) parallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	for range min(runWorkers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(failed...)
}

// calendarDay is the first instant of t's UTC day.
func calendarDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// billGroup is domains that go on one bill.
type billGroup struct {
	key     string
	domains []*registry.Domain
}

// form forms the bills whose notice is due by day, for the domains whose
// period ends this month or next.
func (b *Biller) form(ctx context.Context, day time.Time, rep *Report) error {
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	// Domains billed next month are looked at from the first day a notice
	// can fall on; those billed this month, to catch up, always. Domains
	// on a bill already are not read again.
	until := month.AddDate(0, 1, 0)
	cal := b.cal.withDefaults()
	if !day.Before(dayOfMonth(month, min(cal.NoticeFirstDay, cal.CollectiveNoticeDay))) {
		until = month.AddDate(0, 2, 0)
	}
	var domains []*registry.Domain
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		domains = nil
		ds, err := tx.RegistrantDomainsExpiring(ctx, month, until)
		if err != nil {
			return err
		}
		for i := range ds {
			domains = append(domains, &ds[i])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("domains to bill: %w", err)
	}
	// Collective billing: the same billing month, account, registrant
	// contact and month of registration.
	groups := map[string]*billGroup{}
	var order []string
	for _, d := range domains {
		key := fmt.Sprintf("B/%s/%s/%s/%s", d.ExpiresAt.UTC().Format("2006-01"), d.AccountNumber, d.Registrant,
			d.CreatedAt.UTC().Format("2006-01"))
		g := groups[key]
		if g == nil {
			g = &billGroup{key: key}
			groups[key] = g
			order = append(order, key)
		}
		g.domains = append(g.domains, d)
	}
	// One at a time, so that bills are numbered in the order of their
	// domains' expiry; a group that fails holds back no other.
	var failed []error
	for _, key := range order {
		g := groups[key]
		collective := len(g.domains) > 1
		schedKey := g.key
		if !collective {
			schedKey = g.domains[0].Name
			g.key = fmt.Sprintf("B/%s/%s", g.domains[0].ExpiresAt.UTC().Format("2006-01"), g.domains[0].ROID)
		}
		expiry := g.domains[0].ExpiresAt
		for _, d := range g.domains {
			if d.ExpiresAt.Before(expiry) {
				expiry = d.ExpiresAt
			}
		}
		sched := b.cal.Schedule(expiry, collective, schedKey)
		if sched.Notice.After(day) {
			continue
		}
		number, problems, err := b.formBill(ctx, g, collective, schedKey, expiry, sched)
		rep.Problems = append(rep.Problems, problems...)
		if number != "" {
			rep.Formed = append(rep.Formed, number)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err = fmt.Errorf("form bill %s: %w", g.key, err)
			rep.Problems = append(rep.Problems, err.Error())
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// formBill forms the bill of g unless it exists, and returns its number
// when it formed it.
func (b *Biller) formBill(ctx context.Context, g *billGroup, collective bool, schedKey string, expiry time.Time, sched Schedule) (string, []string, error) {
	var number string
	var problems []string
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		number, problems = "", nil
		bill := &registry.Bill{
			Key: g.key, ScheduleKey: schedKey, Collective: collective, Expiry: expiry,
			Currency: b.prices.Currency(), State: registry.BillNoticed, NextStepAt: sched.Notice,
			CreatedAt: b.clock.Now(),
		}
		for _, d0 := range g.domains {
			d, err := tx.LockDomain(ctx, d0.Name)
			if registry.IsKind(err, registry.KindNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			// Deleted since it was listed: its holder gave it up.
			if !d.DeletedAt.IsZero() {
				continue
			}
			// On another bill already (one formed before the group
			// grew): not billed twice.
			if _, err := tx.UnpaidBillOfDomain(ctx, d.ROID); err == nil {
				continue
			} else if !registry.IsKind(err, registry.KindNotFound) {
				return err
			}
			price, err := b.prices.Price(tldOf(d.Name), registry.ChargeRenew, sched.Sent)
			if err != nil {
				problems = append(problems, fmt.Sprintf("domain %s: no renewal price: %v", d.Name, err))
				continue
			}
			if bill.Lines == nil {
				bill.AccountNumber, bill.Registrant = d.AccountNumber, d.Registrant
				bill.Payer = d.Registrant
				for _, c := range d.Contacts {
					if c.Type == "billing" {
						bill.Payer = c.ID
						break
					}
				}
				payer, err := tx.Contact(ctx, bill.Payer)
				if err != nil {
					return fmt.Errorf("payer %s: %w", bill.Payer, err)
				}
				bill.NoticeTo = payer.Email
			}
			bill.Lines = append(bill.Lines, registry.BillLine{Domain: d.Name, DomainROID: d.ROID, Expiry: d.ExpiresAt, Years: 1, Amount: price.Minor})
			bill.Total += price.Minor
		}
		if len(bill.Lines) == 0 {
			return nil
		}
		created, err := tx.CreateBill(ctx, bill)
		if err != nil {
			return err
		}
		if created {
			number = bill.Number
		}
		return nil
	})
	return number, problems, err
}

// tldOf is the last label of a domain name.
func tldOf(name string) string { return name[strings.LastIndexByte(name, '.')+1:] }

// advance does the steps of the bill due by day that are not done yet, each
// in its own transaction.
func (b *Biller) advance(ctx context.Context, number string, day time.Time, rep *Report) error {
	tried := map[StepKind]bool{}
	for {
		var done *StepDone
		var problems []string
		more := true
		err := b.store.Tx(ctx, func(tx registry.Tx) error {
			done, problems, more = nil, nil, true
			bill, err := tx.LockBill(ctx, number)
			if err != nil {
				return err
			}
			if !bill.State.Open() {
				return nil
			}
			sched := b.cal.Schedule(bill.Expiry, bill.Collective, bill.ScheduleKey)
			events, err := tx.BillEvents(ctx, number)
			if err != nil {
				return err
			}
			doneSteps := map[string]bool{}
			for _, e := range events {
				doneSteps[e.Step] = true
			}
			step := dueStep(sched, doneSteps, tried, day)
			if step == nil {
				next := nextStep(sched, doneSteps)
				if !next.Equal(bill.NextStepAt) {
					bill.NextStepAt = next
					return tx.UpdateBill(ctx, bill)
				}
				return nil
			}
			tried[step.Kind] = true
			note, complete, probs, err := b.doStep(ctx, tx, bill, *step)
			if err != nil {
				return fmt.Errorf("step %s: %w", step.Kind, err)
			}
			problems = probs
			done = &StepDone{Bill: number, Step: step.Kind, Note: note}
			if complete {
				if _, err := tx.AddBillEvent(ctx, number, &registry.BillEvent{Step: string(step.Kind), Day: step.Day, Note: note}); err != nil {
					return err
				}
				doneSteps[string(step.Kind)] = true
			}
			if bill.State.Open() {
				bill.NextStepAt = nextStep(sched, doneSteps)
			} else {
				bill.NextStepAt = time.Time{}
			}
			// Another transaction only when another step is due: most
			// bills have one step a day.
			more = bill.State.Open() && dueStep(sched, doneSteps, tried, day) != nil
			return tx.UpdateBill(ctx, bill)
		})
		if err != nil {
			return err
		}
		rep.Problems = append(rep.Problems, problems...)
		if done == nil {
			return nil
		}
		rep.Steps = append(rep.Steps, *done)
		b.log.Info("billing step", "bill", number, "step", done.Step, "note", done.Note)
		if !more {
			return nil
		}
	}
}

// shortListMax is how many domain names shortList names.
const shortListMax = 3

// shortList names up to shortListMax domains, and says how many more there
// are: "a.se, b.se, c.se and 72 more".
func shortList(names []string) string {
	if len(names) <= shortListMax {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shortListMax], ", "), len(names)-shortListMax)
}

// dueStep is the first step of sched due by day that is neither done nor
// tried in this run; nil when there is none.
func dueStep(sched Schedule, done map[string]bool, tried map[StepKind]bool, day time.Time) *Step {
	for _, st := range sched.Steps() {
		if !done[string(st.Kind)] && !st.Day.After(day) && !tried[st.Kind] {
			return &st
		}
	}
	return nil
}

// nextStep is the day of the first step of sched not done; zero when all
// are.
func nextStep(sched Schedule, done map[string]bool) time.Time {
	for _, st := range sched.Steps() {
		if !done[string(st.Kind)] {
			return st.Day
		}
	}
	return time.Time{}
}

// stepCtx is what a step writes with.
type stepCtx struct {
	b     *Biller
	ctx   context.Context
	tx    registry.Tx
	bill  *registry.Bill
	step  StepKind
	notes []string
}

// email writes an e-mail to the outbox, once per bill, step and
// recipient kind.
func (s *stepCtx) email(who, to, subject, body string) error {
	if to == "" {
		s.notes = append(s.notes, "no e-mail address for "+who)
		return nil
	}
	m := registry.OutboxMessage{
		Key: fmt.Sprintf("bill/%s/%s/%s", s.bill.Number, s.step, who), Channel: registry.OutboxEmail,
		To: to, Subject: subject, Body: body,
	}
	if _, err := s.tx.EnqueueOutbox(s.ctx, &m); err != nil {
		return err
	}
	s.notes = append(s.notes, "e-mail "+m.Key)
	return s.inbox(subject, body)
}

// inbox puts what a step says in the inbox of the account holding the
// bill's domains, once per bill and step, whoever the e-mails went to: the
// holder sees every step of its bills there.
func (s *stepCtx) inbox(subject, body string) error {
	if s.bill.AccountNumber == "" {
		return nil
	}
	m := registry.AccountMessage{
		Key: fmt.Sprintf("bill/%s/%s", s.bill.Number, s.step), AccountNumber: s.bill.AccountNumber,
		CreatedAt: s.b.clock.Now(), Subject: subject, Body: body,
	}
	if len(s.bill.Lines) == 1 {
		m.Domain = s.bill.Lines[0].Domain
	}
	created, err := s.tx.AddAccountMessage(s.ctx, &m)
	if created {
		s.notes = append(s.notes, "inbox "+s.bill.AccountNumber)
	}
	return err
}

// letter writes a letter to the contact's postal address.
func (s *stepCtx) letter(who, contactID, subject, body string) error {
	c, err := s.tx.Contact(s.ctx, contactID)
	if registry.IsKind(err, registry.KindNotFound) || (err == nil && len(c.Postal) == 0) {
		s.notes = append(s.notes, "no postal address for "+who)
		return nil
	}
	if err != nil {
		return err
	}
	p := c.Postal[0]
	lines := []string{p.Name}
	if p.Org != "" {
		lines = append(lines, p.Org)
	}
	lines = append(lines, p.Street...)
	lines = append(lines, strings.TrimSpace(p.PC+" "+p.City), p.CC)
	m := registry.OutboxMessage{
		Key: fmt.Sprintf("bill/%s/%s/%s-letter", s.bill.Number, s.step, who), Channel: registry.OutboxLetter,
		To: strings.Join(lines, "\n"), Subject: subject, Body: body,
	}
	if _, err := s.tx.EnqueueOutbox(s.ctx, &m); err != nil {
		return err
	}
	s.notes = append(s.notes, "letter "+m.Key)
	return nil
}

// tell sends msg to the poll queue of every reseller with a role on d and
// writes the step to d's history.
func (s *stepCtx) tell(d *registry.Domain, msg string) error {
	holders, err := s.b.svc.TellRoleHolders(s.ctx, s.tx, d, msg)
	if err != nil {
		return err
	}
	for _, clID := range holders {
		s.notes = append(s.notes, "poll "+clID)
	}
	return s.b.svc.RecordBillStep(s.ctx, s.tx, d, "bill-"+string(s.step)+" "+s.bill.Number)
}

// money formats minor units in the bill's currency.
func (s *stepCtx) money(minor int64) string {
	return Money{Minor: minor, Currency: s.bill.Currency}.String()
}

// summary lists the bill's lines and total, for a message body.
func (s *stepCtx) summary() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Bill %s\n", s.bill.Number)
	for _, l := range s.bill.Lines {
		if l.RemovedAt.IsZero() {
			fmt.Fprintf(&sb, "  %s, %d year(s): %s\n", l.Domain, l.Years, s.money(l.Amount))
		}
	}
	if s.bill.Fees != 0 {
		fmt.Fprintf(&sb, "  fees: %s\n", s.money(s.bill.Fees))
	}
	fmt.Fprintf(&sb, "Total: %s\n", s.money(s.bill.Total))
	if s.bill.Paid != 0 {
		fmt.Fprintf(&sb, "Paid so far: %s\n", s.money(s.bill.Paid))
	}
	return sb.String()
}

// domains locks the domains on the bill's lines not removed, with their
// line index; a domain gone, or another by the same name, is left out.
func (s *stepCtx) domains() ([]int, []*registry.Domain, error) {
	var idx []int
	var out []*registry.Domain
	for i, l := range s.bill.Lines {
		if !l.RemovedAt.IsZero() {
			continue
		}
		d, err := s.tx.LockDomain(s.ctx, l.Domain)
		if registry.IsKind(err, registry.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if d.ROID != l.DomainROID {
			continue
		}
		idx = append(idx, i)
		out = append(out, d)
	}
	return idx, out, nil
}

// holderEmail is the e-mail address of the holder of the bill's domains.
func (s *stepCtx) holderEmail() (string, error) {
	c, err := s.tx.Contact(s.ctx, s.bill.Registrant)
	if registry.IsKind(err, registry.KindNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return c.Email, nil
}

// doStep does step of bill: its messages and changes. complete false means
// the step must be tried again on a later run (a domain could not be
// deregistered).
func (b *Biller) doStep(ctx context.Context, tx registry.Tx, bill *registry.Bill, step Step) (note string, complete bool, problems []string, err error) {
	s := &stepCtx{b: b, ctx: ctx, tx: tx, bill: bill, step: step.Kind}
	sched := b.cal.Schedule(bill.Expiry, bill.Collective, bill.ScheduleKey)
	_, domains, err := s.domains()
	if err != nil {
		return "", false, nil, err
	}
	names := make([]string, len(domains))
	for i, d := range domains {
		names[i] = d.Name
	}
	// list names every domain, for bodies; short at most a few, for
	// subjects (RFC 5322 lines are short) and poll messages.
	list, short := strings.Join(names, ", "), shortList(names)
	tellAll := func(msg string) error {
		for _, d := range domains {
			if err := s.tell(d, msg); err != nil {
				return err
			}
		}
		return nil
	}
	complete = true
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	switch step.Kind {
	case StepNotice:
		bill.State = registry.BillNoticed
		err = s.email("payer", bill.NoticeTo, fmt.Sprintf("Renewal of %s: you will be billed next month", short),
			fmt.Sprintf("The registration of %s ends in %s. The bill will be sent on %s; until %s you can still change who receives it and the renewal period.\n\n%s",
				list, sched.BillingMonth.Format("January 2006"), date(sched.Sent), date(sched.ChangeUntil.AddDate(0, 0, -1)), s.summary()))
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s formed for %s: renewal notice sent", bill.Number, short))
		}
	case StepChangesClosed, StepDue:
		// Days of the calendar with nothing to send.
	case StepSent:
		bill.State = registry.BillSent
		subject := fmt.Sprintf("Bill %s: renewal of %s", bill.Number, short)
		body := fmt.Sprintf("%s\nDue date: %s. Pay with the bill number %s as reference.\n", s.summary(), date(sched.Due), bill.Number)
		err = s.email("payer", bill.NoticeTo, subject, body)
		if err == nil {
			err = s.letter("payer", bill.Payer, subject, body)
		}
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s sent for %s, due %s", bill.Number, short, date(sched.Due)))
		}
	case StepReminderEmail:
		bill.State = registry.BillReminded
		err = s.email("payer", bill.NoticeTo, fmt.Sprintf("Reminder: bill %s is overdue", bill.Number),
			fmt.Sprintf("Bill %s was due on %s and is not paid.\n\n%s", bill.Number, date(sched.Due), s.summary()))
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s for %s is overdue: reminder sent", bill.Number, short))
		}
	case StepReminderLetter:
		bill.State = registry.BillReminderLetter
		tld := "se"
		if len(bill.Lines) > 0 {
			tld = tldOf(bill.Lines[0].Domain)
		}
		fee, ferr := b.prices.Price(tld, OpReminderFee, step.Day)
		if ferr != nil {
			return "", false, nil, ferr
		}
		bill.Fees += fee.Minor
		bill.Total += fee.Minor
		s.notes = append(s.notes, "reminder fee "+fee.String())
		subject := fmt.Sprintf("Reminder: bill %s is overdue, a reminder fee is added", bill.Number)
		body := fmt.Sprintf("Bill %s was due on %s and is not paid. A reminder fee of %s is added.\n\n%s", bill.Number, date(sched.Due), fee, s.summary())
		err = s.letter("payer", bill.Payer, subject, body)
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s for %s: reminder letter sent, reminder fee added", bill.Number, short))
		}
	case StepFinalEmail:
		bill.State = registry.BillFinalNotice
		var to string
		if to, err = s.holderEmail(); err == nil {
			err = s.email("holder", to, fmt.Sprintf("%s will be deactivated: bill %s is not paid", short, bill.Number),
				fmt.Sprintf("Bill %s for %s is not paid. Unless it is paid, %s leaves the DNS on %s and is deleted on %s.\nIf you have paid, please send us the payment's details.\n\n%s",
					bill.Number, list, list, date(sched.Deactivation), date(sched.Deregistration), s.summary()))
		}
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s for %s not paid: final notice sent to the holder", bill.Number, short))
		}
	case StepDeactivation:
		bill.State = registry.BillDeactivated
		for _, d := range domains {
			if err = b.svc.HoldForBill(ctx, tx, d, true, "bill-deactivate "+bill.Number); err != nil {
				return "", false, nil, err
			}
		}
		var to string
		if to, err = s.holderEmail(); err == nil {
			err = s.email("holder", to, fmt.Sprintf("%s deactivated: bill %s is not paid", short, bill.Number),
				fmt.Sprintf("%s has left the DNS because bill %s is not paid. It is still yours: pay the bill before %s and it is reactivated; after that it is deleted.\n\n%s",
					list, bill.Number, date(sched.Deregistration), s.summary()))
		}
		if err == nil {
			err = tellAll(fmt.Sprintf("Bill %s not paid: %s deactivated (serverHold)", bill.Number, short))
		}
	case StepDeregistration:
		var gone []string
		for _, d := range domains {
			subs, serr := tx.SubordinateHosts(ctx, d.Name)
			if serr != nil {
				return "", false, nil, serr
			}
			if len(subs) > 0 {
				complete = false
				problems = append(problems, fmt.Sprintf("bill %s: domain %s not deregistered: hosts %s are subordinate to it", bill.Number, d.Name, strings.Join(subs, ", ")))
				continue
			}
			if err = s.tell(d, fmt.Sprintf("Bill %s not paid: %s deregistered", bill.Number, d.Name)); err != nil {
				return "", false, nil, err
			}
			if err = b.svc.PurgeForBill(ctx, tx, d, bill.Number); err != nil {
				return "", false, nil, err
			}
			bill.RemoveLine(d.ROID, b.clock.Now())
			gone = append(gone, d.Name)
		}
		if len(gone) > 0 {
			var to string
			if to, err = s.holderEmail(); err == nil {
				err = s.email("holder", to, fmt.Sprintf("%s deleted: bill %s was not paid", strings.Join(gone, ", "), bill.Number),
					fmt.Sprintf("Bill %s was not paid: %s is deleted and the name is free for anyone to register.\n", bill.Number, strings.Join(gone, ", ")))
			}
		}
		if bill.OpenLines() == 0 {
			bill.State = registry.BillDeregistered
		}
	}
	if err != nil {
		return "", false, nil, err
	}
	return strings.Join(s.notes, "; "), complete, problems, nil
}

// Bills lists bills, by number.
func (b *Biller) Bills(ctx context.Context, f registry.BillFilter) ([]registry.Bill, error) {
	var out []registry.Bill
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		var err error
		out, err = tx.Bills(ctx, f)
		return err
	})
	return out, err
}

// TimelineStep is a step of a bill's calendar: the day planned and, once
// done, when and what was sent.
type TimelineStep struct {
	Step    string
	Planned time.Time
	Done    time.Time
	Note    string
}

// BillView is a bill with its timeline and payments, for the operator.
type BillView struct {
	Bill     *registry.Bill
	Timeline []TimelineStep
	Payments []registry.Payment
}

// Show returns the bill with the number, its timeline (every step of its
// calendar, then the other events: payments, lines removed) and payments.
func (b *Biller) Show(ctx context.Context, number string) (*BillView, error) {
	v := &BillView{}
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		bill, err := tx.Bill(ctx, number)
		if err != nil {
			return err
		}
		events, err := tx.BillEvents(ctx, number)
		if err != nil {
			return err
		}
		pays, err := tx.Payments(ctx, number, "")
		if err != nil {
			return err
		}
		byStep := map[string]registry.BillEvent{}
		for _, e := range events {
			byStep[e.Step] = e
		}
		var tl []TimelineStep
		sched := b.cal.Schedule(bill.Expiry, bill.Collective, bill.ScheduleKey)
		for _, st := range sched.Steps() {
			e, ok := byStep[string(st.Kind)]
			ts := TimelineStep{Step: string(st.Kind), Planned: st.Day}
			if ok {
				ts.Done, ts.Note = e.At, e.Note
				delete(byStep, string(st.Kind))
			}
			tl = append(tl, ts)
		}
		var rest []TimelineStep
		for _, e := range events {
			if _, ok := byStep[e.Step]; ok {
				rest = append(rest, TimelineStep{Step: e.Step, Planned: e.Day, Done: e.At, Note: e.Note})
			}
		}
		slices.SortStableFunc(rest, func(a, c TimelineStep) int { return cmp.Compare(a.Done.UnixNano(), c.Done.UnixNano()) })
		v.Bill, v.Timeline, v.Payments = bill, append(tl, rest...), pays
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Deregister deletes a domain on an open bill at once, for the operator
// (its holder gives it up): the domain is purged, its name freed, and its
// line taken off the bill, reducing the total; a bill left without lines
// is deregistered. KindLinked while hosts are subordinate to the domain.
func (b *Biller) Deregister(ctx context.Context, number, domain string) (*registry.Bill, error) {
	var out *registry.Bill
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		bill, err := tx.LockBill(ctx, number)
		if err != nil {
			return err
		}
		if !bill.State.Open() {
			return registry.Errorf(registry.KindStatusProhibits, "bill %s is %s", number, bill.State)
		}
		name := registry.NormalizeName(domain)
		s := &stepCtx{b: b, ctx: ctx, tx: tx, bill: bill, step: "deregister-" + StepKind(name)}
		_, domains, err := s.domains()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(domains, func(d *registry.Domain) bool { return d.Name == name })
		if i < 0 {
			return registry.Errorf(registry.KindNotFound, "domain %s is not on bill %s", name, number)
		}
		d := domains[i]
		if subs, err := tx.SubordinateHosts(ctx, d.Name); err != nil {
			return err
		} else if len(subs) > 0 {
			return registry.Errorf(registry.KindLinked, "domain %s has subordinate hosts: %s", d.Name, strings.Join(subs, ", "))
		}
		if err := s.tell(d, fmt.Sprintf("%s deregistered and taken off bill %s", d.Name, number)); err != nil {
			return err
		}
		if err := b.svc.PurgeForBill(ctx, tx, d, number); err != nil {
			return err
		}
		amount, _ := bill.RemoveLine(d.ROID, b.clock.Now())
		if bill.OpenLines() == 0 {
			bill.State, bill.NextStepAt = registry.BillDeregistered, time.Time{}
		}
		if _, err := tx.AddBillEvent(ctx, number, &registry.BillEvent{Step: "deregister " + d.Name, Day: calendarDay(b.clock.Now()),
			Note: fmt.Sprintf("%s deregistered by the operator; line of %s removed", d.Name, Money{Minor: amount, Currency: bill.Currency})}); err != nil {
			return err
		}
		if err := tx.UpdateBill(ctx, bill); err != nil {
			return err
		}
		out = bill
		return nil
	})
	return out, err
}

// DefaultRunEvery is how often Loop runs the billing when not told.
const DefaultRunEvery = time.Hour

// Loop runs the billing of the current day (on the biller's clock) at once
// and then every every (DefaultRunEvery when 0) until ctx ends, which it
// returns. A run does what is due by its day, so the hourly runs after the
// first of a day do nothing, and a server that was down catches up on the
// first. Failures are logged and tried again at the next tick. Several
// servers on one database may all loop: one at a time runs
// (BillingLocker), and no step is done twice in any case.
func (b *Biller) Loop(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultRunEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := b.Run(ctx, b.clock.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.Error("billing run failed", "day", rep.Day.Format(time.DateOnly), "err", err)
		case err == nil && !rep.Busy && (len(rep.Formed) > 0 || len(rep.Steps) > 0 || len(rep.Problems) > 0):
			b.log.Info("billing run", "day", rep.Day.Format(time.DateOnly), "formed", len(rep.Formed),
				"steps", len(rep.Steps), "problems", len(rep.Problems))
			for _, p := range rep.Problems {
				b.log.Warn("billing problem", "day", rep.Day.Format(time.DateOnly), "problem", p)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// BillChange is what the payer or proxy may still change on a bill until
// the end of the calendar's ChangeLastDay of the billing month. Zero
// fields change nothing.
type BillChange struct {
	// NoticeTo is the payment-notice recipient's new e-mail address.
	NoticeTo string
	// Domain and Years choose the period the payment renews the domain by
	// (1 to 10 years); its line is priced anew.
	Domain string
	Years  int
}

// ChangeBill applies ch to the open bill with the number, and records it
// in the bill's timeline. KindStatusProhibits once changes are closed or
// the bill is no longer open.
func (b *Biller) ChangeBill(ctx context.Context, a registry.Actor, number string, ch BillChange) (*registry.Bill, error) {
	if ch.NoticeTo == "" && ch.Domain == "" {
		return nil, registry.Errorf(registry.KindMissing, "nothing to change on bill %s", number)
	}
	if ch.Domain != "" && (ch.Years < 1 || ch.Years > 10) {
		return nil, registry.Errorf(registry.KindRange, "the renewal period must be from 1 to 10 years, not %d", ch.Years)
	}
	if ch.NoticeTo != "" {
		m := registry.OutboxMessage{Key: "check", Channel: registry.OutboxEmail, To: ch.NoticeTo}
		if err := m.Validate(); err != nil {
			return nil, registry.Errorf(registry.KindInvalid, "%q is not an e-mail address", ch.NoticeTo)
		}
	}
	var out *registry.Bill
	err := b.store.Tx(ctx, func(tx registry.Tx) error {
		bill, err := tx.LockBill(ctx, number)
		if err != nil {
			return err
		}
		now := b.clock.Now()
		sched := b.cal.Schedule(bill.Expiry, bill.Collective, bill.ScheduleKey)
		switch {
		case !bill.State.Open():
			return registry.Errorf(registry.KindStatusProhibits, "bill %s is %s", number, bill.State)
		case !now.Before(sched.ChangeUntil):
			return registry.Errorf(registry.KindStatusProhibits, "bill %s can no longer be changed: changes closed at the end of %s",
				number, sched.ChangeUntil.AddDate(0, 0, -1).Format(time.DateOnly))
		}
		var notes []string
		if ch.NoticeTo != "" {
			bill.NoticeTo = ch.NoticeTo
			notes = append(notes, "payment notices to "+ch.NoticeTo)
		}
		if ch.Domain != "" {
			name := registry.NormalizeName(ch.Domain)
			i := slices.IndexFunc(bill.Lines, func(l registry.BillLine) bool { return l.Domain == name && l.RemovedAt.IsZero() })
			if i < 0 {
				return registry.Errorf(registry.KindNotFound, "domain %s is not on bill %s", name, number)
			}
			price, err := b.prices.Price(tldOf(name), registry.ChargeRenew, sched.Sent)
			if err != nil {
				return err
			}
			amount, err := price.Times(ch.Years)
			if err != nil {
				return err
			}
			l := &bill.Lines[i]
			bill.Total += amount.Minor - l.Amount
			l.Years, l.Amount = ch.Years, amount.Minor
			notes = append(notes, fmt.Sprintf("%s renewed by %d year(s), %s", name, ch.Years, amount))
		}
		if _, err := tx.AddBillEvent(ctx, number, &registry.BillEvent{Step: "change " + now.UTC().Format(time.RFC3339Nano),
			Day: calendarDay(now), Note: strings.Join(notes, "; ") + " (by " + a.Name + ")"}); err != nil {
			return err
		}
		if err := tx.UpdateBill(ctx, bill); err != nil {
			return err
		}
		out = bill
		return nil
	})
	return out, err
}
