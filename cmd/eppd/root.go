package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

// Environment variables that stand in for flags not given.
const (
	envDB      = "EPPD_DB"
	envDataDir = "EPPD_DATA_DIR"
)

// Names of the global flags.
const (
	flagDB        = "db"
	flagDataDir   = "data-dir"
	flagLogFormat = "log-format"
	flagLogLevel  = "log-level"
)

// defaultDBFile is the embedded SQLite database's file name in the data
// directory.
const defaultDBFile = "eppd.db"

// devCADirName is the development PKI's directory in the data directory.
const devCADirName = "devca"

// newRootCmd builds the eppd command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "eppd",
		Short: "A domain-name registry's EPP server",
		Long: `eppd is a domain-name registry's EPP server (RFC 5730, TLS with client
certificates on port 700 as RFC 5734 describes), and the operator's tool for
its database and resellers.

With no flags it keeps its data in an embedded SQLite database in the data
directory; --db (or ` + envDB + `) selects another SQLite file or a
postgres:// URL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Fail early on bad global flags, whatever the subcommand.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			_, err := newLogger(cmd)
			return err
		},
	}
	pf := root.PersistentFlags()
	pf.String(flagDB, "", "database: an SQLite file path or a postgres:// URL (default $"+envDB+", else <data-dir>/"+defaultDBFile+")")
	pf.String(flagDataDir, "", "directory for eppd's data (default $"+envDataDir+", else $XDG_DATA_HOME/eppd or ~/.local/share/eppd)")
	pf.String(flagLogFormat, "", "log format: text or json (default text when standard error is a terminal, else json)")
	pf.String(flagLogLevel, "info", "log level: debug, info, warn or error")
	pf.String(flagPolicy, "", "registry policy file, JSON: TLDs and their rules (default $"+envPolicy+", else the built-in TLDs se, nu and test)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see %q)", err, c.CommandPath()+" --help")
	})

	root.AddCommand(newMigrateCmd(), newResellerCmd(), newAccountCmd(),
		newObjectCmd(registry.ObjectDomain, "NAME", "Manage domains: create for a customer account, change the management model, history"),
		newObjectCmd(registry.ObjectContact, "ID", "Look at contacts"),
		newObjectCmd(registry.ObjectHost, "NAME", "Look at hosts"),
		newProcessCmd(), newOutboxCmd(), newBillingCmd())
	addServeCmd(root)
	return root
}

// globalFlag returns the value of a global flag and whether it was given.
func globalFlag(cmd *cobra.Command, name string) (string, bool) {
	f := cmd.Root().PersistentFlags().Lookup(name)
	if f == nil {
		return "", false
	}
	return f.Value.String(), f.Changed
}

// dataDir returns the data directory: --data-dir, else $EPPD_DATA_DIR, else
// $XDG_DATA_HOME/eppd, else ~/.local/share/eppd. It does not create it; see
// ensureDataDir.
func dataDir(cmd *cobra.Command) (string, error) {
	if v, ok := globalFlag(cmd, flagDataDir); ok {
		if v == "" {
			return "", errors.New("--data-dir must not be empty")
		}
		return v, nil
	}
	if v := os.Getenv(envDataDir); v != "" {
		return v, nil
	}
	if v := os.Getenv("XDG_DATA_HOME"); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "eppd"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: give --data-dir or set %s (%w)", envDataDir, err)
	}
	return filepath.Join(home, ".local", "share", "eppd"), nil
}

// ensureDataDir returns the data directory, created with mode 0700 if
// missing.
func ensureDataDir(cmd *cobra.Command) (string, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return dir, nil
}

// devCADir returns the directory of the development PKI (see package
// epp/devca): <data-dir>/devca. It does not create it; devca.Ensure does.
func devCADir(cmd *cobra.Command) (string, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, devCADirName), nil
}

// databaseDSN returns the database to use: --db, else $EPPD_DB, else the
// embedded SQLite file in the data directory (embedded reports the last).
func databaseDSN(cmd *cobra.Command) (dsn string, embedded bool, err error) {
	if v, ok := globalFlag(cmd, flagDB); ok {
		if v == "" {
			return "", false, errors.New("--db must not be empty")
		}
		return v, false, nil
	}
	if v := os.Getenv(envDB); v != "" {
		return v, false, nil
	}
	dir, err := dataDir(cmd)
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, defaultDBFile), true, nil
}

// openDB opens the database without checking or changing its schema: for
// the migrate commands. Callers close the store.
func openDB(cmd *cobra.Command) (*sqlstore.Store, error) {
	dsn, embedded, err := databaseDSN(cmd)
	if err != nil {
		return nil, err
	}
	if embedded {
		if _, err := ensureDataDir(cmd); err != nil {
			return nil, err
		}
	}
	st, err := sqlstore.Open(commandContext(cmd), dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactDSN(dsn), err)
	}
	return st, nil
}

// openStore opens the database, ready for use. An SQLite database is
// migrated on the spot, so that a fresh machine needs no setup; a PostgreSQL
// database, shared and upgraded deliberately, must already have been
// migrated with "eppd migrate". Callers close the store.
func openStore(cmd *cobra.Command) (*sqlstore.Store, error) {
	st, err := openDB(cmd)
	if err != nil {
		return nil, err
	}
	ctx := commandContext(cmd)
	if st.Dialect() == sqlstore.DialectSQLite {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
		return st, nil
	}
	pending, err := pendingMigrations(ctx, st)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("check database schema: %w", err)
	}
	if pending > 0 {
		st.Close()
		return nil, errors.New(`database schema is not up to date: run "eppd migrate"`)
	}
	return st, nil
}

// newService returns the registry service over store, on the system clock,
// with the policy of --policy, charging reseller-managed domains to the
// prepaid ledger priced by it (newLedger).
func newService(cmd *cobra.Command, store registry.Store) (*registry.Service, error) {
	var cfg registry.Config
	if err := loadPolicy(cmd, &cfg); err != nil {
		return nil, err
	}
	ledger, err := newLedger(cmd, store)
	if err != nil {
		return nil, err
	}
	cfg.Charger = ledger
	return registry.NewService(store, registry.SystemClock{}, cfg), nil
}

// newLedger returns the prepaid ledger over store, on the system clock,
// with the prices and low-balance thresholds of --policy (loadBilling).
func newLedger(cmd *cobra.Command, store registry.Store) (*billing.Ledger, error) {
	cfg, err := loadBilling(cmd)
	if err != nil {
		return nil, err
	}
	return billing.NewLedger(store, registry.SystemClock{}, cfg)
}

// newLogger returns the logger the global flags ask for, writing to the
// command's standard error.
func newLogger(cmd *cobra.Command) (*slog.Logger, error) {
	var level slog.Level
	lv, _ := globalFlag(cmd, flagLogLevel)
	if err := level.UnmarshalText([]byte(lv)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", lv)
	}
	w := cmd.ErrOrStderr()
	opts := &slog.HandlerOptions{Level: level}
	format, _ := globalFlag(cmd, flagLogFormat)
	switch strings.ToLower(format) {
	case "":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// commandContext returns the command's context, never nil.
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// redactDSN hides the password of a postgres:// DSN, for messages.
func redactDSN(dsn string) string {
	if !sqlstore.IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable PostgreSQL URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
