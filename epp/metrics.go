package epp

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the server's Prometheus collectors.
type Metrics struct {
	SessionsOpen      prometheus.Gauge
	SessionsClosed    *prometheus.CounterVec
	Commands          *prometheus.CounterVec
	CommandDuration   *prometheus.HistogramVec
	LoginFailures     *prometheus.CounterVec
	FramesRejected    *prometheus.CounterVec
	Panics            prometheus.Counter
	HandshakeFailures prometheus.Counter
	ConnsRefused      prometheus.Counter
}

// NewMetrics creates the collectors and registers them with reg (which
// may be nil, for tests that do not scrape).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		SessionsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eppd_sessions_open", Help: "EPP sessions currently open (after the TLS handshake).",
		}),
		SessionsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eppd_sessions_closed_total", Help: "EPP sessions closed, by reason.",
		}, []string{"reason"}),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eppd_commands_total", Help: "EPP commands answered, by command and result code.",
		}, []string{"command", "code"}),
		CommandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "eppd_command_duration_seconds", Help: "Time from a frame read to its answer written, by command.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"command"}),
		LoginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eppd_login_failures_total", Help: "Failed EPP logins, by reason.",
		}, []string{"reason"}),
		FramesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eppd_frames_rejected_total", Help: "Frames refused before parsing, by reason.",
		}, []string{"reason"}),
		Panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eppd_command_panics_total", Help: "Commands whose handling panicked (answered 2400).",
		}),
		HandshakeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eppd_tls_handshake_failures_total", Help: "TLS handshakes that failed or timed out.",
		}),
		ConnsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eppd_connections_refused_total", Help: "Connections closed at once because the server was at its connection limit.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.SessionsOpen, m.SessionsClosed, m.Commands, m.CommandDuration,
			m.LoginFailures, m.FramesRejected, m.Panics, m.HandshakeFailures, m.ConnsRefused)
	}
	return m
}

// metricLabel turns a reason into a label value.
func metricLabel(s string) string { return strings.ReplaceAll(s, " ", "_") }
