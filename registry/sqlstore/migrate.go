package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the schema, one directory of numbered goose files per
// dialect.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// MigrationState is one schema migration and whether the database has it.
type MigrationState struct {
	Version int64
	// Name is the migration's file name, such as "00001_resellers.sql".
	Name    string
	Applied bool
	// AppliedAt is when it was applied; zero when pending.
	AppliedAt time.Time
}

// migrateMu serialises migrations within the process. Goose lists the
// applied versions before it starts applying, so two concurrent runs on one
// SQLite file could both try the same migration; across processes PostgreSQL
// has its advisory lock, SQLite nothing.
var migrateMu sync.Mutex

// Migrate applies every migration the database does not have yet. On
// PostgreSQL it holds an advisory lock while it works, so servers started
// together do not migrate the same schema twice.
func (s *Store) Migrate(ctx context.Context) error {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	p, err := s.provider(ctx)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", s.dialect, err)
	}
	return nil
}

// MigrationStatus lists every migration known to this build, oldest first,
// with whether it has been applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.provider(ctx)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status of %s database: %w", s.dialect, err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		ms := MigrationState{
			Version: m.Source.Version,
			Name:    path.Base(m.Source.Path),
			Applied: m.State == goose.StateApplied,
		}
		if ms.Applied {
			ms.AppliedAt = m.AppliedAt.UTC()
		}
		out = append(out, ms)
	}
	return out, nil
}

// provider returns a goose provider over the store's database and its
// dialect's migrations. It must not be closed: that would close s.db.
func (s *Store) provider(ctx context.Context) (*goose.Provider, error) {
	dir := "migrations/" + s.dialect
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	}
	gooseDialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		gooseDialect = goose.DialectPostgres
		id, err := s.lockID(ctx)
		if err != nil {
			return nil, err
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, s.db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// lockID is the PostgreSQL advisory lock that guards migrations. It is
// derived from the database and schema migrated, so that migrations of
// different schemas (test runs in parallel, say) do not wait for each other.
func (s *Store) lockID(ctx context.Context) (int64, error) {
	var db, schema string
	err := s.db.QueryRowContext(ctx, `SELECT current_database(), coalesce(current_schema(), '')`).Scan(&db, &schema)
	if err != nil {
		return 0, fmt.Errorf("migration lock: %w", err)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "eppd-migrate\x00%s\x00%s", db, schema)
	return int64(h.Sum64()), nil
}
