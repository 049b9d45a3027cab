package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry/sqlstore"
)

func newMigrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Long: `Apply every schema migration the database does not have yet.

The embedded SQLite database is migrated whenever eppd opens it; a PostgreSQL
database must be migrated with this command before eppd uses it, and again
after each upgrade of eppd.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := commandContext(cmd)
			before, err := st.MigrationStatus(ctx)
			if err != nil {
				return err
			}
			if err := st.Migrate(ctx); err != nil {
				return err
			}
			applied := 0
			for _, m := range before {
				if !m.Applied {
					applied++
					fmt.Fprintf(cmd.OutOrStdout(), "applied %s\n", m.Name)
				}
			}
			if applied == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s database schema is up to date\n", st.Dialect())
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s database schema is up to date (%d migration(s) applied)\n", st.Dialect(), applied)
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List the schema migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ms, err := st.MigrationStatus(commandContext(cmd))
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tMIGRATION\tSTATE\tAPPLIED AT")
			pending := 0
			for _, m := range ms {
				state, at := "applied", m.AppliedAt.UTC().Format(time.RFC3339)
				if !m.Applied {
					state, at = "pending", "-"
					pending++
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if pending > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d migration(s) pending: run \"eppd migrate\"\n", pending)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s database schema is up to date\n", st.Dialect())
			}
			return nil
		},
	})
	return cmd
}

// pendingMigrations counts the migrations of this build that the database
// does not have.
func pendingMigrations(ctx context.Context, st *sqlstore.Store) (int, error) {
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if !m.Applied {
			n++
		}
	}
	return n, nil
}
