// Package sqltest gives tests throwaway databases for registry/sqlstore: an
// SQLite file in the test's temporary directory, or a fresh schema in the
// PostgreSQL server named by EPPD_TEST_POSTGRES.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/eppd/eppd/registry/sqlstore"
)

// EnvPostgres names the environment variable holding the URL of the
// PostgreSQL database tests may create schemas in.
const EnvPostgres = "EPPD_TEST_POSTGRES"

// DefaultPostgres is used when EnvPostgres is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the server tests use: $EPPD_TEST_POSTGRES, or
// DefaultPostgres.
func PostgresURL() string {
	if v := os.Getenv(EnvPostgres); v != "" {
		return v
	}
	return DefaultPostgres
}

// Postgres creates an empty schema with a random name, dropped when the test
// ends, and returns a DSN whose connections work in it (through search_path).
// When the server cannot be reached the test is skipped, loudly; with CI=true
// in the environment it fails instead, so that CI cannot pass by skipping.
func Postgres(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s=%q is not a URL: %v", EnvPostgres, base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s unreachable, and CI=true forbids skipping: %v", u.Redacted(), err)
		}
		t.Skipf("SKIPPING PostgreSQL store tests: %v (server %s; set %s to a reachable database, or CI=true to make this fatal)",
			err, u.Redacted(), EnvPostgres)
	}

	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "eppd_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLite returns the path of a database file, not yet created, in the
// test's temporary directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "eppd.db")
}

// OpenPostgres opens a migrated store on a fresh schema from Postgres, closed
// when the test ends.
func OpenPostgres(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return open(t, Postgres(t), opts)
}

// OpenSQLite opens a migrated store on a fresh SQLite file, closed when the
// test ends.
func OpenSQLite(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return open(t, SQLite(t), opts)
}

func open(t testing.TB, dsn string, opts []sqlstore.Option) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	return s
}
