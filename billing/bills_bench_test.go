package billing_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// BenchmarkBillingRun measures the daily run over a small registry of
// registrant-managed domains whose periods end over a year, each domain
// created by the store alone and billed on its own: the run of a notice day
// forms and notices about a month's share of bills, the run of the next day
// finds nothing to do. The registry's size is $EPPD_BENCH_DOMAINS (default
// 5000), on SQLite, or on PostgreSQL with EPPD_BENCH_POSTGRES=1. The
// full-size registry (a million domains, collective bills) is
// BenchmarkBillingDay's.
func BenchmarkBillingRun(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("EPPD_BENCH_DOMAINS")); err == nil && v > 0 {
		n = v
	}
	if n > 100000 {
		b.Skipf("SKIPPING: %s=%d domains would be created one by one; BenchmarkBillingDay bulk-loads registries that size", benchDomainsVar, n)
	}
	var store registry.Store
	if os.Getenv("EPPD_BENCH_POSTGRES") == "1" {
		store = sqltest.OpenPostgres(b)
	} else {
		store = sqltest.OpenSQLite(b)
	}
	ctx := context.Background()
	f := newBillFixture(&testing.T{}, store)
	start := day("2026-01-01")
	const batch = 1000
	for i := 0; i < n; i += batch {
		err := store.Tx(ctx, func(tx registry.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				created := start.Add(time.Duration(j) * (365 * 24 * time.Hour / time.Duration(n)))
				d := &registry.Domain{Name: fmt.Sprintf("d%07d.se", j), SponsorClID: registry.RegistryClID,
					CreatorClID: registry.RegistryClID, Registrant: "holder", AuthInfo: "secret-1",
					CreatedAt: created, ExpiresAt: created.AddDate(1, 0, 0),
					Model: registry.ModelRegistrant, AccountNumber: fmt.Sprintf("%07d", j)}
				if err := tx.CreateDomain(ctx, d, "EPPD"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	biller, err := billing.NewBiller(f.svc, billing.CalendarConfig{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := day("2027-02-23").AddDate(0, 0, i)
		f.clock.set(d.Add(time.Hour))
		rep, err := biller.Run(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(rep.Formed)), "bills/run")
	}
}

// BenchmarkBillingDay measures the daily billing run over the full-size
// registry: $EPPD_BENCH_DOMAINS registrant-managed domains on PostgreSQL
// ($EPPD_TEST_POSTGRES), whose periods end from February 2027 to January
// 2028, a realistic share of them on collective bills (benchdata_test.go).
// It skips unless both are set.
//
// Each iteration works on a fresh copy of the data set and runs the
// billing of every day from 2027-01-15 to 2027-01-29, in order: ns/op is
// the 15th, the heaviest day, which forms and notices the collective bills
// of February; the separate bills' notices fall on the 23rd to the 29th,
// whose times are reported as metrics, as are the Go heap's peak and
// allocations, the process's peak RSS, the PostgreSQL backends' peak RSS,
// and the CPU time of both sides. Run it with -benchtime 1x.
func BenchmarkBillingDay(b *testing.B) {
	data := loadBenchData(b)
	ctx := context.Background()
	first := day("2027-01-15")
	// EPPD_BENCH_DAYS=1 runs the 15th alone.
	days := 15
	if v, err := strconv.Atoi(os.Getenv("EPPD_BENCH_DAYS")); err == nil && v >= 1 && v <= 15 {
		days = v
	}
	var stats []benchDayStats
	for b.Loop() {
		b.StopTimer()
		dsn, drop := data.copyDatabase(b)
		clock := &benchClock{now: first}
		store, err := sqlstore.Open(ctx, dsn, sqlstore.WithClock(clock))
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if err := benchVerify(ctx, b, store, &benchPlan{n: data.n, base: data.marker.Base}, 20); err != nil {
			b.Fatal(err)
		}
		// EPPD_BENCH_BREAKDOWN=1 times the billing's store calls (a
		// pass-through wrapper), for where the time goes.
		var runStore registry.Store = store
		var timed *benchTimedStore
		if os.Getenv("EPPD_BENCH_BREAKDOWN") != "" {
			timed = &benchTimedStore{Store: store}
			runStore = timed
		}
		svc := registry.NewService(runStore, clock, registry.Config{Passwords: registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
		biller, err := billing.NewBiller(svc, billing.CalendarConfig{}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		stats = stats[:0]
		for i := range days {
			d := first.AddDate(0, 0, i)
			clock.set(d.Add(time.Hour))
			if timed != nil {
				timed.reset()
			}
			var profile *os.File
			if path := os.Getenv("EPPD_BENCH_CPUPROFILE"); path != "" && i == 0 {
				if profile, err = os.Create(path); err != nil {
					b.Fatal(err)
				}
				if err := pprof.StartCPUProfile(profile); err != nil {
					b.Fatal(err)
				}
			}
			st := benchMeasureDay(b, store, d, i == 0, func() (billing.Report, error) { return biller.Run(ctx, d) })
			if profile != nil {
				pprof.StopCPUProfile()
				profile.Close()
			}
			stats = append(stats, st)
			b.Logf("%s", st)
			if timed != nil {
				b.Logf("%s: store calls:\n%s", d.Format(time.DateOnly), timed.report(st.wall))
			}
		}
		if err := store.Close(); err != nil {
			b.Error(err)
		}
		drop()
		b.StartTimer() // b.Loop wants it running
	}
	d15 := stats[0]
	b.ReportMetric(float64(d15.formed), "bills-day15")
	b.ReportMetric(float64(d15.lines), "domains-day15")
	b.ReportMetric(d15.heapPeak/1e6, "heap-peak-MB")
	b.ReportMetric(d15.alloc/1e6, "alloc-MB")
	b.ReportMetric(d15.rssPeak/1e6, "rss-peak-MB")
	b.ReportMetric(d15.pgPeak/1e6, "pg-backend-peak-MB")
	b.ReportMetric(d15.goCPU.Seconds(), "go-cpu-s")
	b.ReportMetric(d15.pgCPU.Seconds(), "pg-cpu-s")
	if len(stats) < 15 {
		return
	}
	var quiet time.Duration
	var sepBills int
	for _, st := range stats[1:8] {
		quiet += st.wall
	}
	b.ReportMetric(quiet.Seconds()/7, "s-day16-22-mean")
	for _, st := range stats[8:] {
		b.ReportMetric(st.wall.Seconds(), fmt.Sprintf("s-day%d", st.day.Day()))
		sepBills += st.formed
	}
	b.ReportMetric(float64(sepBills), "bills-day23-29")
}

// benchDayStats is what one day's run did and cost.
type benchDayStats struct {
	day                              time.Time
	wall, goCPU, pgCPU               time.Duration
	formed, steps, problems, lines   int
	heapPeak, alloc, rssPeak, pgPeak float64 // bytes
	outbox, poll                     int64
}

func (s benchDayStats) String() string {
	return fmt.Sprintf("%s: %7.2fs wall (Go CPU %6.2fs, PostgreSQL CPU %6.2fs); %5d bills formed with %6d domains, %5d steps, %d problems; %5d e-mails, %5d poll messages; Go heap peak %6.1f MB, allocated %7.1f MB; RSS peak %6.1f MB; PostgreSQL backend peak RSS %6.1f MB",
		s.day.Format(time.DateOnly), s.wall.Seconds(), s.goCPU.Seconds(), s.pgCPU.Seconds(), s.formed, s.lines, s.steps, s.problems,
		s.outbox, s.poll, s.heapPeak/1e6, s.alloc/1e6, s.rssPeak/1e6, s.pgPeak/1e6)
}

// benchMeasureDay runs one day's billing, timed when timed, and measures
// it.
func benchMeasureDay(b *testing.B, store *sqlstore.Store, d time.Time, timed bool, run func() (billing.Report, error)) benchDayStats {
	b.Helper()
	ctx := context.Background()
	db := store.DB()
	counts := func() (lines, outbox, poll int64) {
		err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM bill_lines), (SELECT count(*) FROM outbox), (SELECT count(*) FROM poll_messages)`).Scan(&lines, &outbox, &poll)
		if err != nil {
			b.Fatal(err)
		}
		return
	}
	lines0, outbox0, poll0 := counts()
	var tables0 map[string][6]int64
	tableStats := os.Getenv("EPPD_BENCH_TABLESTATS") != ""
	if tableStats {
		tables0 = benchTableStats(b, db)
	}
	pg0 := benchBackends(b, db)
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS: %v", err)
	}
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)

	stop := make(chan struct{})
	peak := make(chan float64)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		max := 0.0
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			max = math.Max(max, float64(sample[0].Value.Uint64()))
			select {
			case <-stop:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	if timed {
		b.StartTimer()
	}
	rep, err := run()
	if timed {
		b.StopTimer()
	}
	wall := time.Since(start)
	close(stop)
	if err != nil {
		b.Fatalf("billing run of %s: %v", d.Format(time.DateOnly), err)
	}
	if rep.Busy {
		b.Fatalf("billing run of %s: busy", d.Format(time.DateOnly))
	}
	st := benchDayStats{day: d, wall: wall, formed: len(rep.Formed), steps: len(rep.Steps), problems: len(rep.Problems), heapPeak: <-peak}
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	st.alloc = float64(ms1.TotalAlloc - ms0.TotalAlloc)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	st.goCPU = time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	st.rssPeak = benchProcKB("/proc/self/status", "VmHWM:") * 1024
	for pid, cpu := range benchBackends(b, db) {
		st.pgCPU += cpu - pg0[pid]
		st.pgPeak = math.Max(st.pgPeak, benchProcKB(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")*1024)
	}
	lines1, outbox1, poll1 := counts()
	st.lines, st.outbox, st.poll = int(lines1-lines0), outbox1-outbox0, poll1-poll0
	if tableStats {
		var out []string
		for table, v1 := range benchTableStats(b, db) {
			v0 := tables0[table]
			var d [6]int64
			for i := range d {
				d[i] = v1[i] - v0[i]
			}
			if d != ([6]int64{}) {
				out = append(out, fmt.Sprintf("%-16s seq scans %6d, rows read by them %11d, index scans %8d, inserted %7d, updated %7d, deleted %6d", table, d[0], d[1], d[2], d[3], d[4], d[5]))
			}
		}
		slices.Sort(out)
		b.Logf("%s: tables:\n%s", d.Format(time.DateOnly), strings.Join(out, "\n"))
	}
	if len(rep.Problems) > 0 {
		b.Logf("%s: problems: %s", d.Format(time.DateOnly), strings.Join(rep.Problems[:min(5, len(rep.Problems))], "; "))
	}
	return st
}

// benchTableStats returns the counters of pg_stat_user_tables: sequential
// scans, rows they read, index scans, rows inserted, updated, deleted. The
// backends send them at most every ten seconds when idle, so it waits for
// that first (EPPD_BENCH_TABLESTATS=1 only).
func benchTableStats(b *testing.B, db *sql.DB) map[string][6]int64 {
	time.Sleep(11 * time.Second)
	rows, err := db.Query(`SELECT relname, coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), coalesce(idx_scan, 0), n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string][6]int64{}
	for rows.Next() {
		var name string
		var v [6]int64
		if err := rows.Scan(&name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			b.Fatal(err)
		}
		out[name] = v
	}
	return out
}

// benchBackends returns the CPU time so far of the PostgreSQL backends
// serving the store's database, by process ID (none when the server's
// processes cannot be read, as on another machine).
func benchBackends(b *testing.B, db *sql.DB) map[int]time.Duration {
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+stt) * 10 * time.Millisecond
	}
	return out
}

// benchProcKB reads a "Name: N kB" line of a /proc status file; 0 when it
// cannot.
func benchProcKB(path, field string) float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	return 0
}

// benchTimedStore passes everything to the store, timing the transactions
// and the calls the billing makes in them.
type benchTimedStore struct {
	*sqlstore.Store // and its TryBillingLock
	mu              sync.Mutex
	stats           map[string]*benchCallStats
}

type benchCallStats struct {
	n     int
	total time.Duration
}

func (s *benchTimedStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = map[string]*benchCallStats{}
}

func (s *benchTimedStore) add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[name]
	if st == nil {
		st = &benchCallStats{}
		s.stats[name] = st
	}
	st.n++
	st.total += d
}

func (s *benchTimedStore) Tx(ctx context.Context, fn func(tx registry.Tx) error) error {
	start := time.Now()
	var fnEnd time.Time
	err := s.Store.Tx(ctx, func(tx registry.Tx) error {
		begun := time.Now()
		s.add("(begin)", begun.Sub(start))
		err := fn(&benchTimedTx{Tx: tx, s: s})
		fnEnd = time.Now()
		return err
	})
	s.add("(commit)", time.Since(fnEnd))
	s.add("(transaction, all of it)", time.Since(start))
	return err
}

// report lists the calls by time taken, with the part of wall they took.
func (s *benchTimedStore) report(wall time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.stats))
	for n := range s.stats {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return int(s.stats[b].total - s.stats[a].total) })
	var sb strings.Builder
	for _, n := range names {
		st := s.stats[n]
		fmt.Fprintf(&sb, "  %-28s %8d calls %8.2fs %5.1f%% %7.1fµs/call\n", n, st.n, st.total.Seconds(),
			100*st.total.Seconds()/wall.Seconds(), float64(st.total.Microseconds())/float64(st.n))
	}
	return sb.String()
}

type benchTimedTx struct {
	registry.Tx
	s *benchTimedStore
}

func benchTime[T any](s *benchTimedStore, name string, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	s.add(name, time.Since(start))
	return v, err
}

func (t *benchTimedTx) RegistrantDomainsExpiring(ctx context.Context, from, to time.Time) ([]registry.Domain, error) {
	return benchTime(t.s, "RegistrantDomainsExpiring", func() ([]registry.Domain, error) {
		return t.Tx.RegistrantDomainsExpiring(ctx, from, to)
	})
}

func (t *benchTimedTx) Domain(ctx context.Context, name string) (*registry.Domain, error) {
	return benchTime(t.s, "Domain", func() (*registry.Domain, error) { return t.Tx.Domain(ctx, name) })
}

func (t *benchTimedTx) LockDomain(ctx context.Context, name string) (*registry.Domain, error) {
	return benchTime(t.s, "LockDomain", func() (*registry.Domain, error) { return t.Tx.LockDomain(ctx, name) })
}

func (t *benchTimedTx) Contact(ctx context.Context, id string) (*registry.Contact, error) {
	return benchTime(t.s, "Contact", func() (*registry.Contact, error) { return t.Tx.Contact(ctx, id) })
}

func (t *benchTimedTx) UnpaidBillOfDomain(ctx context.Context, roid string) (*registry.Bill, error) {
	return benchTime(t.s, "UnpaidBillOfDomain", func() (*registry.Bill, error) { return t.Tx.UnpaidBillOfDomain(ctx, roid) })
}

func (t *benchTimedTx) CreateBill(ctx context.Context, b *registry.Bill) (bool, error) {
	return benchTime(t.s, "CreateBill", func() (bool, error) { return t.Tx.CreateBill(ctx, b) })
}

func (t *benchTimedTx) Bills(ctx context.Context, f registry.BillFilter) ([]registry.Bill, error) {
	return benchTime(t.s, "Bills", func() ([]registry.Bill, error) { return t.Tx.Bills(ctx, f) })
}

func (t *benchTimedTx) LockBill(ctx context.Context, number string) (*registry.Bill, error) {
	return benchTime(t.s, "LockBill", func() (*registry.Bill, error) { return t.Tx.LockBill(ctx, number) })
}

func (t *benchTimedTx) BillEvents(ctx context.Context, number string) ([]registry.BillEvent, error) {
	return benchTime(t.s, "BillEvents", func() ([]registry.BillEvent, error) { return t.Tx.BillEvents(ctx, number) })
}

func (t *benchTimedTx) AddBillEvent(ctx context.Context, number string, e *registry.BillEvent) (bool, error) {
	return benchTime(t.s, "AddBillEvent", func() (bool, error) { return t.Tx.AddBillEvent(ctx, number, e) })
}

func (t *benchTimedTx) UpdateBill(ctx context.Context, b *registry.Bill) error {
	_, err := benchTime(t.s, "UpdateBill", func() (struct{}, error) { return struct{}{}, t.Tx.UpdateBill(ctx, b) })
	return err
}

func (t *benchTimedTx) EnqueueOutbox(ctx context.Context, m *registry.OutboxMessage) (bool, error) {
	return benchTime(t.s, "EnqueueOutbox", func() (bool, error) { return t.Tx.EnqueueOutbox(ctx, m) })
}

func (t *benchTimedTx) AddAccountMessage(ctx context.Context, m *registry.AccountMessage) (bool, error) {
	return benchTime(t.s, "AddAccountMessage", func() (bool, error) { return t.Tx.AddAccountMessage(ctx, m) })
}

func (t *benchTimedTx) EnqueueMessage(ctx context.Context, m *registry.PollMessage) error {
	_, err := benchTime(t.s, "EnqueueMessage", func() (struct{}, error) { return struct{}{}, t.Tx.EnqueueMessage(ctx, m) })
	return err
}

func (t *benchTimedTx) AppendHistory(ctx context.Context, e *registry.HistoryEntry) error {
	_, err := benchTime(t.s, "AppendHistory", func() (struct{}, error) { return struct{}{}, t.Tx.AppendHistory(ctx, e) })
	return err
}
