package sqlstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
	"github.com/eppd/eppd/registry/storetest"
)

func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store { return sqltest.OpenSQLite(t) })
}

func TestPostgresStore(t *testing.T) {
	sqltest.Postgres(t) // skips, or fails under CI, once for the whole suite
	storetest.Run(t, func(t *testing.T) registry.Store { return sqltest.OpenPostgres(t) })
}

// dialects runs fn against a fresh, unmigrated database of each dialect.
func dialects(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.Postgres(t)) })
}

func open(t *testing.T, dsn string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrate(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		s := open(t, dsn)

		st, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("MigrationStatus before Migrate: %v", err)
		}
		if len(st) == 0 {
			t.Fatal("no migrations known")
		}
		for _, m := range st {
			if m.Applied || !m.AppliedAt.IsZero() {
				t.Errorf("before Migrate %+v is applied", m)
			}
		}
		if st[0].Version != 1 || st[0].Name != "00001_resellers.sql" {
			t.Errorf("first migration = %+v, want version 1, 00001_resellers.sql", st[0])
		}
		err = s.Tx(ctx, func(tx registry.Tx) error { _, err := tx.Resellers(ctx); return err })
		if err == nil {
			t.Error("Tx on an unmigrated database succeeded")
		}

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		applied := func() []sqlstore.MigrationState {
			t.Helper()
			st, err := s.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			for _, m := range st {
				if !m.Applied || m.AppliedAt.IsZero() {
					t.Errorf("after Migrate %+v is not applied", m)
				}
			}
			return st
		}
		first := applied()
		if len(first) != len(st) {
			t.Errorf("after Migrate %d migrations, before %d", len(first), len(st))
		}
		versions := func() int {
			var n int
			if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version`).Scan(&n); err != nil {
				t.Fatalf("count versions: %v", err)
			}
			return n
		}
		before := versions()

		// A second Migrate, by this store or another, changes nothing.
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if err := open(t, dsn).Migrate(ctx); err != nil {
			t.Fatalf("Migrate from a second store: %v", err)
		}
		if after := versions(); after != before {
			t.Errorf("second Migrate changed the version table: %d rows, was %d", after, before)
		}
		second := applied()
		for i := range second {
			if !second[i].AppliedAt.Equal(first[i].AppliedAt) {
				t.Errorf("%s re-applied", second[i].Name)
			}
		}
		if err := s.Tx(ctx, func(tx registry.Tx) error { _, err := tx.Resellers(ctx); return err }); err != nil {
			t.Errorf("Tx after Migrate: %v", err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		const n = 4
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = open(t, dsn)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate %d: %v", i, err)
			}
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		ctx := t.Context()
		path := filepath.Join(t.TempDir(), "missing", "dir", "eppd.db")
		s := open(t, path)
		if s.Dialect() != sqlstore.DialectSQLite {
			t.Errorf("Dialect = %q", s.Dialect())
		}
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"foreign_keys": "1",
			"busy_timeout": "5000",
		} {
			var got string
			if err := s.DB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
			}
		}
	})
	t.Run("sqlite pragma override", func(t *testing.T) {
		s := open(t, sqltest.SQLite(t)+"?_pragma=busy_timeout(100)")
		var got int
		if err := s.DB().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != 100 {
			t.Errorf("busy_timeout = %d, want the DSN's 100", got)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		s := open(t, sqltest.Postgres(t))
		if s.Dialect() != sqlstore.DialectPostgres {
			t.Errorf("Dialect = %q", s.Dialect())
		}
	})
	t.Run("postgres unreachable", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if s, err := sqlstore.Open(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
			s.Close()
			t.Error("Open of an unreachable server succeeded")
		}
	})
}

func TestWithClock(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		now := time.Date(2030, 2, 3, 4, 5, 6, 789123456, time.FixedZone("X", -3600))
		s := open(t, dsn, sqlstore.WithClock(registry.ClockFunc(func() time.Time { return now })))
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		r := &registry.Reseller{ClID: "acme", Name: "Acme", Status: registry.ResellerActive}
		err := s.Tx(ctx, func(tx registry.Tx) error { return tx.CreateReseller(ctx, r) })
		if err != nil {
			t.Fatal(err)
		}
		want := now.UTC().Truncate(time.Microsecond)
		if r.CreatedAt != want || r.UpdatedAt != want {
			t.Errorf("CreatedAt, UpdatedAt = %v, %v, want %v", r.CreatedAt, r.UpdatedAt, want)
		}
		err = s.Tx(ctx, func(tx registry.Tx) error {
			got, err := tx.Reseller(ctx, "acme")
			if err == nil && got.CreatedAt != want {
				t.Errorf("stored CreatedAt = %v, want %v", got.CreatedAt, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPostgresRetry makes two transactions deadlock: PostgreSQL aborts one,
// and Tx must run it again rather than fail.
func TestPostgresRetry(t *testing.T) {
	s := sqltest.OpenPostgres(t)
	ctx := t.Context()
	for _, id := range []string{"first", "second"} {
		err := s.Tx(ctx, func(tx registry.Tx) error {
			return tx.CreateReseller(ctx, &registry.Reseller{ClID: id, Name: id, Status: registry.ResellerActive})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var attempts atomic.Int32
	var locked sync.WaitGroup
	locked.Add(2)
	run := func(a, b string) error {
		first := true
		return s.Tx(ctx, func(tx registry.Tx) error {
			attempts.Add(1)
			if _, err := tx.LockReseller(ctx, a); err != nil {
				return err
			}
			if first {
				// Both hold their first row before either asks for its
				// second.
				first = false
				locked.Done()
				locked.Wait()
			}
			_, err := tx.LockReseller(ctx, b)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run("first", "second") }()
	go func() { errs <- run("second", "first") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Tx: %v", err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 (one retried after the deadlock)", n)
	}
}
