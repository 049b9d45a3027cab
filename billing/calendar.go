package billing

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// CalendarConfig is the billing calendar of registrant-managed domains: on
// which days a bill's notice, the bill itself, its reminders, and the
// deactivation and deregistration of its domains fall. It is the
// "calendar" section of the policy file; every field left out (zero) takes
// the default of the registry's rules, which the zero CalendarConfig
// therefore reproduces:
//
//	"calendar": {
//	  "noticeFirstDay": 23, "noticeLastDay": 29, "collectiveNoticeDay": 15,
//	  "changeLastDay": 7, "sendAfterDay": 8, "dueDays": 30,
//	  "reminderEmailMinDays": 4, "reminderEmailMaxDays": 6,
//	  "reminderLetterDays": 10, "finalEmailDay": 1,
//	  "deactivationFirstDay": 11, "deactivationLastDay": 15,
//	  "deregistrationDays": 60
//	}
//
// Fields ending in Day are days of a month; a day past a month's end
// means its last day. Fields ending in Days count calendar days. B is the
// billing month, the month in which the domain's current period ends.
//
// All dates are calendar days in UTC, as everywhere in the registry (price
// changes, for one, take effect at 00:00 UTC): a Schedule's dates are
// midnight UTC, and a domain expiring at 2027-03-31T23:30Z is billed in
// March.
type CalendarConfig struct {
	// NoticeFirstDay and NoticeLastDay bound the days of B-1 over which
	// the notices of separate bills are spread (default the 23rd to the
	// 29th).
	NoticeFirstDay int `json:"noticeFirstDay"`
	NoticeLastDay  int `json:"noticeLastDay"`
	// CollectiveNoticeDay is the day of B-1 on which the notice of a
	// collective bill is sent (default the 15th).
	CollectiveNoticeDay int `json:"collectiveNoticeDay"`
	// ChangeLastDay is the last day of B on which the payment-notice
	// recipient and the period can be changed (default the 7th).
	ChangeLastDay int `json:"changeLastDay"`
	// SendAfterDay: a bill is sent on the first weekday strictly after
	// this day of B (default the 8th).
	SendAfterDay int `json:"sendAfterDay"`
	// DueDays is the time from sending a bill to its due date (default
	// 30).
	DueDays int `json:"dueDays"`
	// ReminderEmailMinDays and ReminderEmailMaxDays bound the time from
	// the due date to the reminder e-mail, over which reminders are
	// spread (default 4 to 6).
	ReminderEmailMinDays int `json:"reminderEmailMinDays"`
	ReminderEmailMaxDays int `json:"reminderEmailMaxDays"`
	// ReminderLetterDays is the time from the due date to the reminder
	// letter, which adds the reminder fee (default 10).
	ReminderLetterDays int `json:"reminderLetterDays"`
	// FinalEmailDay is the day of the month after the reminder letter's
	// on which the holder gets the final e-mail (default the 1st).
	FinalEmailDay int `json:"finalEmailDay"`
	// DeactivationFirstDay and DeactivationLastDay bound the days of the
	// final e-mail's month over which deactivations are spread (default
	// the 11th to the 15th).
	DeactivationFirstDay int `json:"deactivationFirstDay"`
	DeactivationLastDay  int `json:"deactivationLastDay"`
	// DeregistrationDays is the time a domain stays deactivated before it
	// is deleted and its name freed (default 60).
	DeregistrationDays int `json:"deregistrationDays"`
}

// withDefaults returns c with every unset field at its default.
func (c CalendarConfig) withDefaults() CalendarConfig {
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&c.NoticeFirstDay, 23},
		{&c.NoticeLastDay, 29},
		{&c.CollectiveNoticeDay, 15},
		{&c.ChangeLastDay, 7},
		{&c.SendAfterDay, 8},
		{&c.DueDays, 30},
		{&c.ReminderEmailMinDays, 4},
		{&c.ReminderEmailMaxDays, 6},
		{&c.ReminderLetterDays, 10},
		{&c.FinalEmailDay, 1},
		{&c.DeactivationFirstDay, 11},
		{&c.DeactivationLastDay, 15},
		{&c.DeregistrationDays, 60},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return c
}

// Validate reports a configuration whose calendar would not hold
// together: a negative field, a day of a month past the 31st, a window
// that ends before it begins, a bill sent while it can still be changed,
// or a deactivation not after its final e-mail.
func (c CalendarConfig) Validate() error {
	var errs []error
	for _, f := range []struct {
		name     string
		v        int
		monthDay bool
	}{
		{"noticeFirstDay", c.NoticeFirstDay, true},
		{"noticeLastDay", c.NoticeLastDay, true},
		{"collectiveNoticeDay", c.CollectiveNoticeDay, true},
		{"changeLastDay", c.ChangeLastDay, true},
		{"sendAfterDay", c.SendAfterDay, true},
		{"dueDays", c.DueDays, false},
		{"reminderEmailMinDays", c.ReminderEmailMinDays, false},
		{"reminderEmailMaxDays", c.ReminderEmailMaxDays, false},
		{"reminderLetterDays", c.ReminderLetterDays, false},
		{"finalEmailDay", c.FinalEmailDay, true},
		{"deactivationFirstDay", c.DeactivationFirstDay, true},
		{"deactivationLastDay", c.DeactivationLastDay, true},
		{"deregistrationDays", c.DeregistrationDays, false},
	} {
		switch {
		case f.v < 0:
			errs = append(errs, fmt.Errorf("%s %d is negative", f.name, f.v))
		case f.monthDay && f.v > 31:
			errs = append(errs, fmt.Errorf("%s %d is not a day of a month", f.name, f.v))
		}
	}
	d := c.withDefaults()
	if d.NoticeFirstDay > d.NoticeLastDay {
		errs = append(errs, fmt.Errorf("notice days %d to %d: the window ends before it begins", d.NoticeFirstDay, d.NoticeLastDay))
	}
	if d.ReminderEmailMinDays > d.ReminderEmailMaxDays {
		errs = append(errs, fmt.Errorf("reminder e-mail %d to %d days after the due date: the window ends before it begins", d.ReminderEmailMinDays, d.ReminderEmailMaxDays))
	}
	if d.DeactivationFirstDay > d.DeactivationLastDay {
		errs = append(errs, fmt.Errorf("deactivation days %d to %d: the window ends before it begins", d.DeactivationFirstDay, d.DeactivationLastDay))
	}
	if d.ChangeLastDay > d.SendAfterDay {
		errs = append(errs, fmt.Errorf("changeLastDay %d is after sendAfterDay %d: a bill would be sent while it can still be changed", d.ChangeLastDay, d.SendAfterDay))
	}
	if d.DeactivationFirstDay <= d.FinalEmailDay {
		errs = append(errs, fmt.Errorf("deactivationFirstDay %d is not after finalEmailDay %d: a domain would be deactivated before its holder is warned", d.DeactivationFirstDay, d.FinalEmailDay))
	}
	return errors.Join(errs...)
}

// Schedule is the calendar of one bill. Every date is a calendar day,
// given as its first instant (00:00 UTC); a step is due on its day.
type Schedule struct {
	// BillingMonth is the first day of B, the month the domain's current
	// period ends.
	BillingMonth time.Time
	// Notice is the day the payment-notice recipient is told the domain
	// will be billed next month; the bill is formed and the domain is up
	// for renewal from then on.
	Notice time.Time
	// ChangeUntil ends the time in which the payment-notice recipient and
	// the period can be changed: changes are accepted while the clock is
	// before it (it is the first instant after ChangeLastDay of B).
	ChangeUntil time.Time
	// Sent is the day the billing agent sends the bill.
	Sent time.Time
	// Due is the bill's due date.
	Due time.Time
	// ReminderEmail is the day the payment-notice recipient is reminded
	// by e-mail.
	ReminderEmail time.Time
	// ReminderLetter is the day the reminder letter is sent and the
	// reminder fee added to the bill.
	ReminderLetter time.Time
	// FinalEmail is the day the holder is told the domain will be
	// deactivated.
	FinalEmail time.Time
	// Deactivation is the day the domain leaves the zone (serverHold).
	Deactivation time.Time
	// Deregistration is the day the domain is deleted and its name freed.
	Deregistration time.Time
}

// Schedule returns the calendar of the bill for a domain whose current
// period ends at expiry. collective tells a collective bill from a
// separate one. key identifies the bill, and spreads the steps that fall
// on a day of a window (a separate bill's notice, the reminder e-mail,
// the deactivation) evenly over the window's days: the same key always
// gets the same days. Use the domain name for a separate bill and one key
// for all the domains of a collective bill, which then share every date.
//
// Where the configuration is unset the defaults apply (see
// CalendarConfig); Schedule does not check it, Validate does.
func (c CalendarConfig) Schedule(expiry time.Time, collective bool, key string) Schedule {
	c = c.withDefaults()
	expiry = expiry.UTC()
	b := time.Date(expiry.Year(), expiry.Month(), 1, 0, 0, 0, 0, time.UTC)
	s := Schedule{BillingMonth: b}

	before := b.AddDate(0, -1, 0)
	if collective {
		s.Notice = dayOfMonth(before, c.CollectiveNoticeDay)
	} else {
		s.Notice = spreadDays(dayOfMonth(before, c.NoticeFirstDay), dayOfMonth(before, c.NoticeLastDay), "notice", key)
	}

	s.ChangeUntil = dayOfMonth(b, c.ChangeLastDay).AddDate(0, 0, 1)

	// "The first weekday after the 8th" is the first Monday to Friday
	// strictly after it: with the 8th a Monday the bill goes on Tuesday the
	// 9th, as the registry's worked example has it. Public holidays are
	// not skipped.
	s.Sent = dayOfMonth(b, c.SendAfterDay).AddDate(0, 0, 1)
	for s.Sent.Weekday() == time.Saturday || s.Sent.Weekday() == time.Sunday {
		s.Sent = s.Sent.AddDate(0, 0, 1)
	}

	s.Due = s.Sent.AddDate(0, 0, c.DueDays)
	s.ReminderEmail = spreadDays(s.Due.AddDate(0, 0, c.ReminderEmailMinDays), s.Due.AddDate(0, 0, c.ReminderEmailMaxDays), "reminder-email", key)
	s.ReminderLetter = s.Due.AddDate(0, 0, c.ReminderLetterDays)

	final := time.Date(s.ReminderLetter.Year(), s.ReminderLetter.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	s.FinalEmail = dayOfMonth(final, c.FinalEmailDay)
	s.Deactivation = spreadDays(dayOfMonth(final, c.DeactivationFirstDay), dayOfMonth(final, c.DeactivationLastDay), "deactivation", key)
	s.Deregistration = s.Deactivation.AddDate(0, 0, c.DeregistrationDays)
	return s
}

// dayOfMonth returns day d of the month that starts on first, or the
// month's last day when it is shorter.
func dayOfMonth(first time.Time, d int) time.Time {
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// spreadDays picks a day from first to last (both included) by a hash of
// key, salted per step so that a bill's steps are spread independently.
func spreadDays(first, last time.Time, step, key string) time.Time {
	n := int(last.Sub(first).Hours()/24) + 1
	if n <= 1 {
		return first
	}
	h := fnv.New64a()
	h.Write([]byte(step))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return first.AddDate(0, 0, int(h.Sum64()%uint64(n)))
}

// StepKind names a step of the billing sequence.
type StepKind string

// The steps of the billing sequence, in the order they normally come.
const (
	StepNotice         StepKind = "notice"
	StepChangesClosed  StepKind = "changes-closed"
	StepSent           StepKind = "sent"
	StepDue            StepKind = "due"
	StepReminderEmail  StepKind = "reminder-email"
	StepReminderLetter StepKind = "reminder-letter"
	StepFinalEmail     StepKind = "final-email"
	StepDeactivation   StepKind = "deactivation"
	StepDeregistration StepKind = "deregistration"
)

// Step is one step of a bill's calendar and the day it falls on.
type Step struct {
	Kind StepKind
	Day  time.Time
}

// Steps returns every step of s by day, steps on the same day in the
// order of the sequence. StepChangesClosed falls on the day that begins
// at ChangeUntil.
func (s Schedule) Steps() []Step {
	steps := []Step{
		{StepNotice, s.Notice},
		{StepChangesClosed, s.ChangeUntil},
		{StepSent, s.Sent},
		{StepDue, s.Due},
		{StepReminderEmail, s.ReminderEmail},
		{StepReminderLetter, s.ReminderLetter},
		{StepFinalEmail, s.FinalEmail},
		{StepDeactivation, s.Deactivation},
		{StepDeregistration, s.Deregistration},
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return a.Day.Compare(b.Day) })
	return steps
}

// StepsDue returns the steps of s whose day begins in [from, to), in
// order. A daily run asks for one day with StepsOn; one that was down
// catches up by asking from the day after its last run to today's end.
func (s Schedule) StepsDue(from, to time.Time) []Step {
	var due []Step
	for _, st := range s.Steps() {
		if !st.Day.Before(from) && st.Day.Before(to) {
			due = append(due, st)
		}
	}
	return due
}

// StepsOn returns the steps of s that fall on the UTC calendar day of t.
func (s Schedule) StepsOn(t time.Time) []Step {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return s.StepsDue(d, d.AddDate(0, 0, 1))
}
