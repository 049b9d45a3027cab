// Package sqlstore is the registry.Store over SQL: PostgreSQL through pgx, or
// an embedded SQLite file. One set of queries serves both; only the schema
// migrations differ per dialect.
//
// Queries use $1, $2 placeholders on both dialects: SQLite reads $N as a
// parameter named N, and modernc.org/sqlite binds such a name to the N-th
// argument.
//
// A Tx method failing with KindExists or KindNotFound leaves the transaction
// usable. After any other failure the function passed to Store.Tx must
// return: PostgreSQL refuses every further statement of a transaction in
// which one failed.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // also registers the "sqlite" driver

	"github.com/eppd/eppd/registry"
)

// Dialect names, as returned by Store.Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// maxAttempts bounds how often Tx runs fn when PostgreSQL reports a
// serialisation failure or deadlock.
const maxAttempts = 5

// Store is a registry.Store over database/sql. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect string
	clock   registry.Clock
}

var _ registry.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store take the times it sets itself (CreatedAt,
// UpdatedAt, and AddedAt or At when left zero) from c instead of the
// system clock.
func WithClock(c registry.Clock) Option {
	return func(s *Store) { s.clock = c }
}

// IsPostgresDSN reports whether dsn selects PostgreSQL rather than an SQLite
// file.
func IsPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Open connects to the database dsn names and checks that it answers. A
// postgres:// or postgresql:// URL selects PostgreSQL; anything else is the
// path of an SQLite file, created with its directory when missing (query
// parameters after '?' are passed to the driver). Open does not migrate:
// call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{clock: registry.SystemClock{}}
	for _, o := range opts {
		o(s)
	}
	var err error
	if IsPostgresDSN(dsn) {
		s.dialect = DialectPostgres
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.db.SetMaxOpenConns(20)
		s.db.SetMaxIdleConns(5)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		s.dialect = DialectSQLite
		name, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		s.db, err = sql.Open("sqlite", name)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// One connection: writers serialise in the pool rather than
		// contend for the file lock, and an in-memory database stays
		// one database.
		s.db.SetMaxOpenConns(1)
		s.db.SetConnMaxLifetime(0)
		s.db.SetConnMaxIdleTime(0)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.dialect, err)
	}
	return s, nil
}

// sqliteDSN turns a file path, optionally followed by driver parameters, into
// the driver's DSN with the store's defaults: WAL, a busy timeout, foreign
// keys enforced, and BEGIN IMMEDIATE so that write transactions queue for
// the lock instead of failing with SQLITE_BUSY when they first write.
func sqliteDSN(dsn string) (string, error) {
	path, rawQuery, _ := strings.Cut(dsn, "?")
	if path == "" {
		return "", errors.New("empty SQLite database path")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("SQLite DSN %q: %w", dsn, err)
	}
	memory := path == ":memory:" || strings.Contains(rawQuery, "mode=memory")
	if !memory {
		file := strings.TrimPrefix(path, "file:")
		if dir := filepath.Dir(file); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", fmt.Errorf("create database directory: %w", err)
			}
		}
	}
	pragmas := map[string]string{
		"busy_timeout": "busy_timeout(5000)",
		"foreign_keys": "foreign_keys(1)",
	}
	if !memory {
		pragmas["journal_mode"] = "journal_mode(WAL)"
	}
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(p)), "(")
		name, _, _ = strings.Cut(name, "=")
		delete(pragmas, strings.TrimSpace(name))
	}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode(), nil
}

// Dialect returns DialectPostgres or DialectSQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB returns the underlying database handle, for tests and tooling.
func (s *Store) DB() *sql.DB { return s.db }

// Close releases the store's connections.
func (s *Store) Close() error { return s.db.Close() }

// Tx runs fn in one transaction; see registry.Store. On PostgreSQL a
// serialisation failure or deadlock reruns fn, a few times at most.
//
// On SQLite the store has a single connection, so fn must not start another
// transaction on the same store: it would wait for itself.
func (s *Store) Tx(ctx context.Context, fn func(tx registry.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || attempt >= maxAttempts || !retryable(err) {
			return err
		}
		// Jittered, growing pause so that the transactions that collided
		// do not collide again.
		pause := time.Duration(attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (s *Store) runTx(ctx context.Context, fn func(tx registry.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	finished := false
	defer func() {
		// Reached without finishing only when fn panics: roll back and let
		// the panic go on.
		if !finished {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{s: s, tx: sqlTx}); err != nil {
		finished = true
		_ = sqlTx.Rollback()
		return err
	}
	finished = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL asking for the transaction to
// be run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// SQLite extended result codes for constraint failures.
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// isUniqueViolation reports whether err is a unique or primary key
// constraint failure.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		c := sqliteErr.Code()
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	return false
}

// isForeignKeyViolation reports whether err is a foreign key constraint
// failure.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqliteConstraintForeignKey
	}
	return false
}
