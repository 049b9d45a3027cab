package billing_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/billing"
)

// ymd is midnight UTC of a day written 2006-01-02.
func ymd(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// assertWithin checks that got is a day from first to last.
func assertWithin(t *testing.T, what string, got time.Time, first, last string) {
	t.Helper()
	assert.False(t, got.Before(ymd(first)) || got.After(ymd(last)),
		"%s %s is not within %s to %s", what, got.Format(time.DateOnly), first, last)
}

// spreadOver computes a date for 1000 keys and checks that every day of
// the window first..last gets its share: at least half of an even share,
// and no day outside the window.
func spreadOver(t *testing.T, what string, date func(key string) time.Time, first, last string) {
	t.Helper()
	const keys = 1000
	counts := map[string]int{}
	for i := range keys {
		counts[date(fmt.Sprintf("domain-%d.se", i)).Format(time.DateOnly)]++
	}
	days := 0
	for d := ymd(first); !d.After(ymd(last)); d = d.AddDate(0, 0, 1) {
		days++
		n := counts[d.Format(time.DateOnly)]
		delete(counts, d.Format(time.DateOnly))
		defer func(d time.Time, n int) {
			assert.GreaterOrEqual(t, n, keys/days/2, "%s: %s got %d of %d keys", what, d.Format(time.DateOnly), n, keys)
		}(d, n)
	}
	assert.Empty(t, counts, "%s: days outside %s to %s", what, first, last)
}

// TestCalendarWorkedExample is the registry's worked example of a
// separate bill, to the day.
func TestCalendarWorkedExample(t *testing.T) {
	registered := time.Date(2026, 3, 17, 14, 5, 0, 0, time.UTC)
	expiry := registered.AddDate(1, 0, 0)
	s := billing.CalendarConfig{}.Schedule(expiry, false, "example.se")

	assert.Equal(t, ymd("2027-03-01"), s.BillingMonth)
	assertWithin(t, "notice", s.Notice, "2027-02-23", "2027-02-28")
	assert.Equal(t, ymd("2027-03-08"), s.ChangeUntil, "changes until the end of the 7th")
	assert.Equal(t, ymd("2027-03-09"), s.Sent)
	assert.Equal(t, time.Tuesday, s.Sent.Weekday())
	assert.Equal(t, ymd("2027-04-08"), s.Due)
	assertWithin(t, "reminder e-mail", s.ReminderEmail, "2027-04-12", "2027-04-14")
	assert.Equal(t, ymd("2027-04-18"), s.ReminderLetter)
	assert.Equal(t, ymd("2027-05-01"), s.FinalEmail)
	assertWithin(t, "deactivation", s.Deactivation, "2027-05-11", "2027-05-15")
	assertWithin(t, "deregistration", s.Deregistration, "2027-07-10", "2027-07-14")
	assert.Equal(t, s.Deactivation.AddDate(0, 0, 60), s.Deregistration)

	// The days this key is spread to are fixed: changing the hash would
	// move the bills of every live domain.
	assert.Equal(t, ymd("2027-02-24"), s.Notice)
	assert.Equal(t, ymd("2027-04-14"), s.ReminderEmail)
	assert.Equal(t, ymd("2027-05-13"), s.Deactivation)
	assert.Equal(t, ymd("2027-07-12"), s.Deregistration)

	// Over many domains, every day of each window is used, and none
	// outside it: February 2027 has no 29th, so notices end on the 28th.
	sched := func(key string) billing.Schedule { return billing.CalendarConfig{}.Schedule(expiry, false, key) }
	spreadOver(t, "notice", func(k string) time.Time { return sched(k).Notice }, "2027-02-23", "2027-02-28")
	spreadOver(t, "reminder e-mail", func(k string) time.Time { return sched(k).ReminderEmail }, "2027-04-12", "2027-04-14")
	spreadOver(t, "deactivation", func(k string) time.Time { return sched(k).Deactivation }, "2027-05-11", "2027-05-15")
	spreadOver(t, "deregistration", func(k string) time.Time { return sched(k).Deregistration }, "2027-07-10", "2027-07-14")
}

func TestCalendarCollective(t *testing.T) {
	cal := billing.CalendarConfig{}
	// Two domains registered in the same month, billed together: the key
	// is the bill's, and the domains share every date.
	a := cal.Schedule(time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC), true, "acct-17/holder-0703-00001/2027-03")
	b := cal.Schedule(time.Date(2027, 3, 30, 23, 59, 0, 0, time.UTC), true, "acct-17/holder-0703-00001/2027-03")
	assert.Equal(t, a, b)
	assert.Equal(t, ymd("2027-02-15"), a.Notice)
	assert.Equal(t, ymd("2027-03-08"), a.ChangeUntil)
	assert.Equal(t, ymd("2027-03-09"), a.Sent)
	assert.Equal(t, ymd("2027-04-08"), a.Due)
	assertWithin(t, "reminder e-mail", a.ReminderEmail, "2027-04-12", "2027-04-14")
	assert.Equal(t, ymd("2027-04-18"), a.ReminderLetter)
	assert.Equal(t, ymd("2027-05-01"), a.FinalEmail)
	assertWithin(t, "deactivation", a.Deactivation, "2027-05-11", "2027-05-15")

	// Whatever the key, a collective notice goes on the 15th; only a
	// separate bill's is spread.
	spreadOver(t, "collective notice", func(k string) time.Time {
		return cal.Schedule(ymd("2027-03-10"), true, k).Notice
	}, "2027-02-15", "2027-02-15")
}

// TestCalendarMonths runs the calendar over month ends, leap years and the
// turn of the year.
func TestCalendarMonths(t *testing.T) {
	for _, c := range []struct {
		name                     string
		expiry                   time.Time
		month                    string
		noticeFirst, noticeLast  string
		collectiveNotice         string
		sent, due, letter, final string
		deactFirst, deactLast    string
		deregFirst, deregLast    string
	}{
		{
			name: "B March 2028, February has 29 days", expiry: time.Date(2028, 3, 17, 0, 0, 0, 0, time.UTC), month: "2028-03-01",
			noticeFirst: "2028-02-23", noticeLast: "2028-02-29", collectiveNotice: "2028-02-15",
			sent: "2028-03-09", due: "2028-04-08", letter: "2028-04-18", final: "2028-05-01",
			deactFirst: "2028-05-11", deactLast: "2028-05-15", deregFirst: "2028-07-10", deregLast: "2028-07-14",
		},
		{
			name: "B March 2027, February has 28 days", expiry: time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC), month: "2027-03-01",
			noticeFirst: "2027-02-23", noticeLast: "2027-02-28", collectiveNotice: "2027-02-15",
			sent: "2027-03-09", due: "2027-04-08", letter: "2027-04-18", final: "2027-05-01",
			deactFirst: "2027-05-11", deactLast: "2027-05-15", deregFirst: "2027-07-10", deregLast: "2027-07-14",
		},
		{
			name: "B January, B-1 is last year's December", expiry: time.Date(2028, 1, 5, 0, 0, 0, 0, time.UTC), month: "2028-01-01",
			noticeFirst: "2027-12-23", noticeLast: "2027-12-29", collectiveNotice: "2027-12-15",
			sent: "2028-01-10", due: "2028-02-09", letter: "2028-02-19", final: "2028-03-01",
			deactFirst: "2028-03-11", deactLast: "2028-03-15", deregFirst: "2028-05-10", deregLast: "2028-05-14",
		},
		{
			name: "B February, a short due month", expiry: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC), month: "2027-02-01",
			noticeFirst: "2027-01-23", noticeLast: "2027-01-29", collectiveNotice: "2027-01-15",
			sent: "2027-02-09", due: "2027-03-11", letter: "2027-03-21", final: "2027-04-01",
			deactFirst: "2027-04-11", deactLast: "2027-04-15", deregFirst: "2027-06-10", deregLast: "2027-06-14",
		},
		{
			name: "B November, final e-mail next year", expiry: time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC), month: "2027-11-01",
			noticeFirst: "2027-10-23", noticeLast: "2027-10-29", collectiveNotice: "2027-10-15",
			sent: "2027-11-09", due: "2027-12-09", letter: "2027-12-19", final: "2028-01-01",
			deactFirst: "2028-01-11", deactLast: "2028-01-15", deregFirst: "2028-03-11", deregLast: "2028-03-15",
		},
		{
			// 2027-04-01 00:30 in Stockholm is still March in UTC.
			name: "expiry given in another zone", expiry: time.Date(2027, 4, 1, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600)), month: "2027-03-01",
			noticeFirst: "2027-02-23", noticeLast: "2027-02-28", collectiveNotice: "2027-02-15",
			sent: "2027-03-09", due: "2027-04-08", letter: "2027-04-18", final: "2027-05-01",
			deactFirst: "2027-05-11", deactLast: "2027-05-15", deregFirst: "2027-07-10", deregLast: "2027-07-14",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			cal := billing.CalendarConfig{}
			for _, collective := range []bool{false, true} {
				s := cal.Schedule(c.expiry, collective, "x.se")
				assert.Equal(t, ymd(c.month), s.BillingMonth)
				assert.Equal(t, ymd(c.month).AddDate(0, 0, 7), s.ChangeUntil)
				assert.Equal(t, ymd(c.sent), s.Sent)
				assert.Equal(t, ymd(c.due), s.Due)
				assertWithin(t, "reminder e-mail", s.ReminderEmail, ymd(c.due).AddDate(0, 0, 4).Format(time.DateOnly), ymd(c.due).AddDate(0, 0, 6).Format(time.DateOnly))
				assert.Equal(t, ymd(c.letter), s.ReminderLetter)
				assert.Equal(t, ymd(c.final), s.FinalEmail)
				assertWithin(t, "deactivation", s.Deactivation, c.deactFirst, c.deactLast)
				assertWithin(t, "deregistration", s.Deregistration, c.deregFirst, c.deregLast)
				if collective {
					assert.Equal(t, ymd(c.collectiveNotice), s.Notice)
				} else {
					assertWithin(t, "notice", s.Notice, c.noticeFirst, c.noticeLast)
				}
			}
			spreadOver(t, "notice", func(k string) time.Time { return cal.Schedule(c.expiry, false, k).Notice }, c.noticeFirst, c.noticeLast)
		})
	}
}

// TestCalendarSent pins down "the first weekday after the 8th": the first
// Monday to Friday strictly after the 8th of B.
func TestCalendarSent(t *testing.T) {
	for _, c := range []struct {
		month  string
		eighth time.Weekday
		sent   string
	}{
		{"2027-03-01", time.Monday, "2027-03-09"},
		{"2027-06-01", time.Tuesday, "2027-06-09"},
		{"2027-09-01", time.Wednesday, "2027-09-09"},
		{"2027-04-01", time.Thursday, "2027-04-09"},
		{"2027-10-01", time.Friday, "2027-10-11"},
		{"2027-01-01", time.Friday, "2027-01-11"},
		{"2027-05-01", time.Saturday, "2027-05-10"},
		{"2028-01-01", time.Saturday, "2028-01-10"},
		{"2027-08-01", time.Sunday, "2027-08-09"},
	} {
		t.Run(c.eighth.String()+" "+c.month[:7], func(t *testing.T) {
			require.Equal(t, c.eighth, ymd(c.month).AddDate(0, 0, 7).Weekday(), "the case's 8th")
			s := billing.CalendarConfig{}.Schedule(ymd(c.month).AddDate(0, 0, 20), false, "x.se")
			assert.Equal(t, ymd(c.sent), s.Sent)
			assert.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, s.Sent.Weekday())
			assert.True(t, s.ChangeUntil.Before(s.Sent), "changes close before the bill is sent")
			assert.Equal(t, s.Sent.AddDate(0, 0, 30), s.Due)
		})
	}
}

func TestCalendarDeterministic(t *testing.T) {
	cal := billing.CalendarConfig{}
	expiry := ymd("2027-03-17")
	for _, key := range []string{"example.se", "xn--rksmrgs-5wao1o.se", ""} {
		assert.Equal(t, cal.Schedule(expiry, false, key), cal.Schedule(expiry, false, key), key)
		assert.Equal(t, cal.Schedule(expiry, true, key), cal.Schedule(expiry.AddDate(0, 0, 10), true, key), key)
	}
	// A key's days are its own, independent of the domain's day in B.
	assert.Equal(t, cal.Schedule(ymd("2027-03-01"), false, "example.se"), cal.Schedule(ymd("2027-03-31"), false, "example.se"))
}

func TestCalendarConfigOverrides(t *testing.T) {
	cal := billing.CalendarConfig{
		NoticeFirstDay: 20, NoticeLastDay: 20,
		CollectiveNoticeDay:  10,
		ChangeLastDay:        10,
		SendAfterDay:         12,
		DueDays:              14,
		ReminderEmailMinDays: 2, ReminderEmailMaxDays: 2,
		ReminderLetterDays:   7,
		FinalEmailDay:        5,
		DeactivationFirstDay: 20, DeactivationLastDay: 20,
		DeregistrationDays: 30,
	}
	require.NoError(t, cal.Validate())
	s := cal.Schedule(ymd("2027-03-17"), false, "example.se")
	assert.Equal(t, billing.Schedule{
		BillingMonth:   ymd("2027-03-01"),
		Notice:         ymd("2027-02-20"),
		ChangeUntil:    ymd("2027-03-11"),
		Sent:           ymd("2027-03-15"), // the 12th is a Friday
		Due:            ymd("2027-03-29"),
		ReminderEmail:  ymd("2027-03-31"),
		ReminderLetter: ymd("2027-04-05"),
		FinalEmail:     ymd("2027-05-05"),
		Deactivation:   ymd("2027-05-20"),
		Deregistration: ymd("2027-06-19"),
	}, s)
	assert.Equal(t, ymd("2027-02-10"), cal.Schedule(ymd("2027-03-17"), true, "example.se").Notice)

	// Fields left out keep their defaults.
	partial := billing.CalendarConfig{DueDays: 20}
	def := billing.CalendarConfig{}.Schedule(ymd("2027-03-17"), false, "example.se")
	got := partial.Schedule(ymd("2027-03-17"), false, "example.se")
	assert.Equal(t, def.Notice, got.Notice)
	assert.Equal(t, def.Sent, got.Sent)
	assert.Equal(t, ymd("2027-03-29"), got.Due)
	assert.Equal(t, ymd("2027-04-08"), got.ReminderLetter)
	assert.Equal(t, ymd("2027-05-01"), got.FinalEmail)

	// A day past the month's end is its last day.
	late := billing.CalendarConfig{CollectiveNoticeDay: 31}
	assert.Equal(t, ymd("2027-02-28"), late.Schedule(ymd("2027-03-17"), true, "x").Notice)
	assert.Equal(t, ymd("2028-02-29"), late.Schedule(ymd("2028-03-17"), true, "x").Notice)

	// As the policy file writes it.
	var fromJSON billing.CalendarConfig
	require.NoError(t, json.Unmarshal([]byte(`{"dueDays": 20}`), &fromJSON))
	assert.Equal(t, partial, fromJSON)
}

func TestCalendarValidate(t *testing.T) {
	require.NoError(t, billing.CalendarConfig{}.Validate())
	for _, c := range []struct {
		cfg  billing.CalendarConfig
		want string
	}{
		{billing.CalendarConfig{DueDays: -1}, "dueDays -1 is negative"},
		{billing.CalendarConfig{NoticeLastDay: 32}, "noticeLastDay 32 is not a day of a month"},
		{billing.CalendarConfig{NoticeFirstDay: 28, NoticeLastDay: 25}, "notice days 28 to 25"},
		{billing.CalendarConfig{ReminderEmailMinDays: 7}, "reminder e-mail 7 to 6 days"},
		{billing.CalendarConfig{DeactivationLastDay: 10}, "deactivation days 11 to 10"},
		{billing.CalendarConfig{ChangeLastDay: 9}, "changeLastDay 9 is after sendAfterDay 8"},
		{billing.CalendarConfig{FinalEmailDay: 11}, "deactivationFirstDay 11 is not after finalEmailDay 11"},
	} {
		t.Run(c.want, func(t *testing.T) {
			assert.ErrorContains(t, c.cfg.Validate(), c.want)
		})
	}
}

// TestCalendarStepsDue runs the worked example day by day, as the daily
// billing run asks, and checks that each step comes once, on its day, in
// order.
func TestCalendarStepsDue(t *testing.T) {
	s := billing.CalendarConfig{}.Schedule(ymd("2027-03-17"), false, "example.se")
	var got []billing.Step
	for d := ymd("2027-01-01"); d.Before(ymd("2027-09-01")); d = d.AddDate(0, 0, 1) {
		on := s.StepsOn(d.Add(13 * time.Hour))
		for _, st := range on {
			assert.Equal(t, d, st.Day, st.Kind)
		}
		got = append(got, on...)
	}
	assert.Equal(t, []billing.Step{
		{Kind: billing.StepNotice, Day: s.Notice},
		{Kind: billing.StepChangesClosed, Day: ymd("2027-03-08")},
		{Kind: billing.StepSent, Day: ymd("2027-03-09")},
		{Kind: billing.StepDue, Day: ymd("2027-04-08")},
		{Kind: billing.StepReminderEmail, Day: s.ReminderEmail},
		{Kind: billing.StepReminderLetter, Day: ymd("2027-04-18")},
		{Kind: billing.StepFinalEmail, Day: ymd("2027-05-01")},
		{Kind: billing.StepDeactivation, Day: s.Deactivation},
		{Kind: billing.StepDeregistration, Day: s.Deregistration},
	}, got)
	assert.Equal(t, s.Steps(), got)

	// A run that was down catches up over a range, [from, to).
	kinds := func(steps []billing.Step) []billing.StepKind {
		var ks []billing.StepKind
		for _, st := range steps {
			ks = append(ks, st.Kind)
		}
		return ks
	}
	assert.Equal(t, []billing.StepKind{billing.StepChangesClosed, billing.StepSent, billing.StepDue},
		kinds(s.StepsDue(ymd("2027-03-08"), ymd("2027-04-09"))))
	assert.Empty(t, s.StepsDue(ymd("2027-03-10"), ymd("2027-04-08")))

	// Days are UTC days: 00:30 on the 9th in Stockholm is still the 8th.
	assert.Equal(t, []billing.StepKind{billing.StepChangesClosed},
		kinds(s.StepsOn(time.Date(2027, 3, 9, 0, 30, 0, 0, time.FixedZone("CET", 3600)))))

	// Steps that a configuration puts on one day keep the sequence's
	// order; steps it moves past one another come by day.
	same := billing.CalendarConfig{ChangeLastDay: 8, SendAfterDay: 8, ReminderEmailMinDays: 10, ReminderEmailMaxDays: 10}.
		Schedule(ymd("2027-03-17"), false, "x")
	assert.Equal(t, []billing.StepKind{billing.StepChangesClosed, billing.StepSent}, kinds(same.StepsOn(ymd("2027-03-09"))))
	assert.Equal(t, []billing.StepKind{billing.StepReminderEmail, billing.StepReminderLetter}, kinds(same.StepsOn(ymd("2027-04-18"))))
	swapped := billing.CalendarConfig{ReminderEmailMinDays: 12, ReminderEmailMaxDays: 12}.Schedule(ymd("2027-03-17"), false, "x")
	assert.Equal(t, []billing.StepKind{billing.StepReminderLetter, billing.StepReminderEmail},
		kinds(swapped.StepsDue(ymd("2027-04-09"), ymd("2027-05-01"))))
}
