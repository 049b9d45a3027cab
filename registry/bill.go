package registry

import "time"

// BillState is where a bill is in the billing sequence of a
// registrant-managed domain (package billing runs it).
type BillState string

// Bill states, in the order the sequence normally reaches them. Paid,
// cancelled and deregistered end a bill; the others leave it unpaid.
const (
	BillNoticed        BillState = "noticed"
	BillSent           BillState = "sent"
	BillReminded       BillState = "reminded"
	BillReminderLetter BillState = "reminder-letter"
	BillFinalNotice    BillState = "final-notice"
	BillDeactivated    BillState = "deactivated"
	BillPaid           BillState = "paid"
	BillCancelled      BillState = "cancelled"
	BillDeregistered   BillState = "deregistered"
)

// Open reports whether a bill in state s still waits for payment: from
// its notice until it is paid, cancelled or its domains deregistered.
func (s BillState) Open() bool {
	switch s {
	case BillPaid, BillCancelled, BillDeregistered:
		return false
	}
	return true
}

// Bill is what the registry asks a registrant-managed domain's payer to
// pay for the next period of one or more domains.
type Bill struct {
	ID int64
	// Number is the bill's reference, "YYYY-NNNNNN", the year being that
	// of its billing month; payments are matched by it.
	Number string
	// Key identifies the bill for the process that forms it, so that a
	// bill is never formed twice: "B/<billing month>/<domain ROID>" for a
	// separate bill, "B/<billing month>/<account>/<registrant>/<month of
	// registration>" for a collective one.
	Key string
	// ScheduleKey is what the billing calendar spreads the bill's steps
	// by (billing.CalendarConfig.Schedule).
	ScheduleKey string
	Collective  bool
	// Expiry is the end of the current period of the bill's domains, from
	// which its calendar follows.
	Expiry time.Time
	// AccountNumber is the customer account holding the domains;
	// Registrant their registrant contact; Payer the contact who pays
	// (the billing contact, else the registrant) and NoticeTo where the
	// payment notices go (the payer's e-mail).
	AccountNumber string
	Registrant    string
	Payer         string
	NoticeTo      string
	Currency      string
	// Fees are what was added to the lines (the reminder fee), Total the
	// lines that are not removed plus Fees, Paid what payments matched to
	// it brought so far; all in minor units of Currency.
	Fees  int64
	Total int64
	Paid  int64
	State BillState
	// CancelledFrom is the state the bill was in when it was cancelled
	// for having no line left; a restore of its domain reopens it in that
	// state. Empty otherwise.
	CancelledFrom BillState
	// NextStepAt is the day of the bill's next step not done yet; zero
	// when none is left. The daily run looks at the bills it has reached.
	NextStepAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Lines      []BillLine
}

// RemoveLine takes the line of the domain of the ROID off b at at,
// lowering its total by the line's amount, and returns that amount; false
// when the domain has no line on b still.
func (b *Bill) RemoveLine(roid string, at time.Time) (int64, bool) {
	var amount int64
	removed := false
	for i := range b.Lines {
		if l := &b.Lines[i]; l.DomainROID == roid && l.RemovedAt.IsZero() {
			l.RemovedAt = at
			b.Total -= l.Amount
			amount += l.Amount
			removed = true
		}
	}
	return amount, removed
}

// OpenLines counts the lines still on b.
func (b *Bill) OpenLines() int {
	n := 0
	for _, l := range b.Lines {
		if l.RemovedAt.IsZero() {
			n++
		}
	}
	return n
}

// BillLine is one domain on a bill.
type BillLine struct {
	Domain     string
	DomainROID string
	// Expiry is the end of the domain's period the bill is for: a payment
	// renews the domain to Years after it.
	Expiry time.Time
	// Years is the period the payment renews the domain by (1 to 10).
	Years  int
	Amount int64
	// RemovedAt is when the domain's line was taken off the bill (the
	// domain deregistered, deleted, or moved to reseller management); zero
	// while it is on it.
	RemovedAt time.Time
}

// BillEvent is a thing that happened to a bill: a step of its calendar
// done, a payment, a line removed. Step is unique per bill, which is what
// keeps a step from being done twice.
type BillEvent struct {
	ID   int64
	Step string
	// Day is the calendar day the step was planned for; At when it was
	// done.
	Day time.Time
	At  time.Time
	// Note says what was done, for the bill's timeline: messages sent,
	// domains changed.
	Note string
}

// PaymentStatus says how a payment was matched.
type PaymentStatus string

// Payment statuses.
const (
	// PaymentApplied settled its bill (alone or with earlier partial
	// payments).
	PaymentApplied PaymentStatus = "applied"
	// PaymentPartial went to its bill but did not settle it yet.
	PaymentPartial PaymentStatus = "partial"
	// PaymentUnmatched found no bill that waits for payment: kept for the
	// operator to deal with.
	PaymentUnmatched PaymentStatus = "unmatched"
)

// Payment is money received for a bill. Payments are never lost: one that
// matches nothing is kept as unmatched.
type Payment struct {
	ID int64
	// BillNumber is the reference the payment came with.
	BillNumber string
	Amount     int64
	Currency   string
	PaidOn     time.Time
	// Reference is the payment's own reference (bank transaction, file
	// line), unique when not empty so that a file imported twice is
	// recorded once.
	Reference  string
	Status     PaymentStatus
	Actor      string
	RecordedAt time.Time
}

// BillFilter selects bills for Bills. Zero fields select everything.
type BillFilter struct {
	State BillState
	// Open selects the bills that wait for payment.
	Open bool
	// StepDue, when set, selects the open bills whose NextStepAt is at or
	// before it.
	StepDue time.Time
	// Domain selects the bills with a line for the domain of this ROID.
	DomainROID string
	Limit      int
}
