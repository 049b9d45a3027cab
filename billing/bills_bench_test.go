package billing_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// BenchmarkBillingRun measures the daily run over a registry of
// registrant-managed domains whose periods end over a year: the run of a
// notice day forms and notices about a month's share of bills (each its
// own), the run of the next day finds nothing to do. The registry's size is
// $EPPD_BENCH_DOMAINS (default 5000; 1000000 for the full-size run, on
// PostgreSQL with EPPD_BENCH_POSTGRES=1).
func BenchmarkBillingRun(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("EPPD_BENCH_DOMAINS")); err == nil && v > 0 {
		n = v
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
