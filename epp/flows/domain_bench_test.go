package flows_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// domainBenchSessions is how many sessions send commands at once.
const domainBenchSessions = 8

// BenchmarkDomain measures domain check, info and create over real TLS
// sessions against PostgreSQL, domainBenchSessions sessions at once, each
// sending its next command as soon as the last is answered. It reports
// commands per second and the latency percentiles a client sees (frame
// written to answer read). Answers are not schema-validated here, so the
// figures are the server's and the database's.
//
//	go test ./epp/flows -run '^$' -bench BenchmarkDomain -benchtime 3000x
func BenchmarkDomain(b *testing.B) {
	h, _ := domainHarness(b, sqltest.Postgres(b))
	domainSeed(b, h)
	// Domains for info, created directly in the store.
	const infoDomains = 200
	domainTx(b, h, func(ctx context.Context, tx registry.Tx) error {
		now := h.Svc.Clock().Now()
		for i := range infoDomains {
			d := &registry.Domain{
				Name: fmt.Sprintf("info%d.se", i), SponsorClID: "acme", CreatorClID: "acme", Registrant: "reg-acme",
				Contacts: []registry.DomainContact{{Type: "tech", ID: "tech-acme"}}, NS: []string{"ns1.example.net"},
				AuthInfo: "2fooBAR-x", CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0),
				DS: []registry.DSData{{KeyTag: 1, Alg: 13, DigestType: 2, Digest: domainSHA256}},
			}
			if err := tx.CreateDomain(ctx, d, "EPPD"); err != nil {
				return err
			}
		}
		return nil
	})
	clients := make([]*epptest.Client, domainBenchSessions)
	for i := range clients {
		clients[i] = domainLogin(b, h, "acme")
	}
	var run atomic.Int64
	cases := []struct {
		name string
		req  func(i int64) string
	}{
		{"check", func(i int64) string {
			return domainCheckReq("bench", fmt.Sprintf("free%d.se", i), fmt.Sprintf("info%d.se", i%infoDomains), fmt.Sprintf("x%d.nu", i))
		}},
		{"info", func(i int64) string { return domainInfoReq("bench", fmt.Sprintf("info%d.se", i%infoDomains)) }},
		{"create", func(i int64) string {
			return domainBasic(fmt.Sprintf("new%d-%d.se", run.Load(), i)).xml("bench")
		}},
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("%s/sessions=%d", tc.name, domainBenchSessions), func(b *testing.B) {
			run.Add(1)
			var next atomic.Int64
			lat := make([][]time.Duration, len(clients))
			var failed atomic.Value
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for s, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						req := []byte(tc.req(i))
						t0 := time.Now()
						if err := epp.WriteFrame(c.Conn, req); err != nil {
							failed.Store(err.Error())
							return
						}
						resp, err := epp.ReadFrame(c.Conn, 1<<20)
						if err != nil {
							failed.Store(err.Error())
							return
						}
						lat[s] = append(lat[s], time.Since(t0))
						if code := epptest.Code(resp); code != 1000 {
							failed.Store(fmt.Sprintf("%s: %d: %s", tc.name, code, resp))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if msg := failed.Load(); msg != nil {
				b.Fatal(msg)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			pct := func(p float64) float64 {
				return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "cmds/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.90), "p90-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
