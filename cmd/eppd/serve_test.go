package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
)

// buildEppd builds the eppd binary once for the process-level tests.
func buildEppd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eppd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeDevelopmentModeAndDrain runs the real binary as a newcomer
// would, with no flags on an empty home directory: it must make its
// database, PKI and demo reseller, print how to connect, accept a login
// with what it printed, serve /metrics, and on SIGTERM tell the idle
// session, close it, and exit 0.
func TestServeDevelopmentModeAndDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildEppd(t)
	home := t.TempDir()
	eppAddr, metricsAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "serve", "--dev-listen", eppAddr, "--dev-metrics-listen", metricsAddr, "--log-format", "json")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME=", "EPPD_DATA_DIR=", "EPPD_DB=", "EPPD_POLICY=")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr epptest.SyncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	// The first lines printed say where the password and certificates are.
	sc := bufio.NewScanner(stdout)
	var printed []string
	for sc.Scan() {
		printed = append(printed, sc.Text())
		if strings.HasPrefix(sc.Text(), "log in as") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	out := strings.Join(printed, "\n")
	require.Contains(t, out, `created reseller "demo" with password`)
	// The demo reseller can pay for domains from the start.
	assert.Contains(t, out, "and a prepaid balance of SEK 10000.00")
	assert.Contains(t, out, `reseller "demo" has a prepaid balance of SEK 10000.00`)
	dataDir := filepath.Join(home, ".local", "share", "eppd")
	pw, err := os.ReadFile(filepath.Join(dataDir, demoPasswordFile))
	require.NoError(t, err)
	assert.Contains(t, out, strings.TrimSpace(string(pw)))

	pki := filepath.Join(dataDir, devCADirName)
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.pem"))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "demo-client.pem"), filepath.Join(pki, "demo-client-key.pem"))
	require.NoError(t, err)

	var c *epptest.Client
	require.Eventually(t, func() bool {
		c, err = epptest.Dial(t, eppAddr, roots, &cert)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "server did not accept connections: %v\n%s", err, stderr.String())
	assert.Equal(t, 1000, epptest.Code(c.Do(epptest.Login("demo", strings.TrimSpace(string(pw)), "dev-1"))))

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), `eppd_commands_total{code="1000",command="login"} 1`)
	assert.Contains(t, string(body), "eppd_sessions_open 1")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	b, err := c.Read()
	require.NoError(t, err)
	assert.Equal(t, 2500, epptest.Code(b))
	assert.Contains(t, string(b), "shutting down")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "eppd must exit 0 after draining\n%s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("eppd did not exit after SIGTERM\n%s", stderr.String())
	}

	// The logs are JSON lines carrying the command's identifiers.
	var sawLogin bool
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "not a JSON log line: %s", line)
		if rec["msg"] == "command" && rec["command"] == "login" {
			sawLogin = true
			assert.Equal(t, "dev-1", rec["clTRID"])
			assert.Equal(t, "demo", rec["reseller"])
			assert.NotEmpty(t, rec["svTRID"])
		}
	}
	assert.True(t, sawLogin, "no log line for the login")

	// A second start finds everything in place and does not print the
	// password again.
	cmd2 := exec.Command(bin, "serve", "--dev-listen", freeAddr(t), "--dev-metrics-listen", "")
	cmd2.Env = cmd.Env
	out2, _ := startAndStop(t, cmd2)
	assert.Contains(t, out2, `reseller "demo" exists`)
	assert.NotContains(t, out2, strings.TrimSpace(string(pw)))

	// The opening balance was given once, on the first start, and is in
	// the demo reseller's ledger.
	assert.Contains(t, out2, `reseller "demo" has a prepaid balance of SEK 10000.00`)
	balance := exec.Command(bin, "reseller", "balance", "demo")
	balance.Env = cmd.Env
	b2, err := balance.CombinedOutput()
	require.NoError(t, err, "%s", b2)
	assert.Equal(t, "balance of reseller \"demo\": SEK 10000.00\n", string(b2))
	statement := exec.Command(bin, "reseller", "statement", "demo")
	statement.Env = cmd.Env
	b2, err = statement.CombinedOutput()
	require.NoError(t, err, "%s", b2)
	assert.Equal(t, 1, strings.Count(string(b2), "development opening balance"), "%s", b2)
}

// startAndStop runs cmd until it has printed its connection help, then
// stops it with SIGTERM and returns what it printed.
func startAndStop(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "log in as") {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	go io.Copy(io.Discard, stdout)
	return strings.Join(lines, "\n"), cmd.Wait()
}

// TestServeProductionNeedsCertificates: a production flag switches the
// development PKI off, so the server certificate must be given.
func TestServeProductionNeedsCertificates(t *testing.T) {
	var out, errb strings.Builder
	code := run(t.Context(), []string{"--db", filepath.Join(t.TempDir(), "x.db"), "serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "production mode needs --tls-cert and --tls-key")
}

// serveInProcess runs "eppd serve" in production mode on c's database, with
// a development certificate, and the extra args; its logs go to the buffer
// returned. stop ends it as SIGTERM does and requires it to exit 0.
func (c *cli) serveInProcess(args ...string) (logs *epptest.SyncBuffer, stop func()) {
	c.t.Helper()
	t := c.t
	t.Setenv(envPolicy, "")
	b, _, err := devca.Ensure(filepath.Join(t.TempDir(), "pki"), time.Now())
	require.NoError(t, err)
	logs = &epptest.SyncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"--db", c.db, "--data-dir", c.dataDir, "--log-format", "json",
			"serve", "--listen", "127.0.0.1:0", "--metrics-listen", "",
			"--tls-cert", b.Paths.Server, "--tls-key", b.Paths.ServerKey}, args...),
			strings.NewReader(""), io.Discard, logs)
	}()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "EPP listening") },
		10*time.Second, 10*time.Millisecond, "serve did not start:\n%s", logs)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				require.Equal(t, 0, code, "serve's exit code\n%s", logs)
			case <-time.After(10 * time.Second):
				t.Fatalf("serve did not stop\n%s", logs)
			}
		})
	}
	t.Cleanup(stop)
	return logs, stop
}

// TestServeDeliversOutbox: with --smtp, two servers on one database send
// the outbox's e-mails as they fall due, each once; one refused for good
// is marked failed. Without --smtp a server says once that e-mails stay
// queued.
func TestServeDeliversOutbox(t *testing.T) {
	backends(t, func(t *testing.T, c *cli) {
		c.ok("", "migrate")
		mb := startMailbox(t)
		mb.mu.Lock()
		mb.reject["gone@example.se"] = true
		mb.mu.Unlock()
		smtpArgs := []string{"--smtp", mb.addr, "--smtp-tls", "none", "--from", "Registry <billing@registry.example>",
			"--deliver-every", "20ms"}
		logs1, stop1 := c.serveInProcess(smtpArgs...)
		logs2, stop2 := c.serveInProcess(smtpArgs...)

		const n = 12
		for i := range n {
			c.enqueue(&registry.OutboxMessage{Key: fmt.Sprintf("bill/2027-%06d/notice-email", i), Channel: registry.OutboxEmail,
				To: fmt.Sprintf("r%02d@example.se", i), Subject: "Din faktura", Body: "Hej!\n"})
		}
		gone := &registry.OutboxMessage{Key: "gone", Channel: registry.OutboxEmail, To: "gone@example.se", Body: "x"}
		c.enqueue(gone)
		require.Eventually(t, func() bool {
			rcpts, _ := mb.received()
			failed, err := c.run("", "outbox", "list", "--failed")
			return len(rcpts) >= n && err == nil && strings.Contains(failed, "gone@example.se")
		}, 10*time.Second, 20*time.Millisecond)
		time.Sleep(100 * time.Millisecond) // a few more passes: nothing is sent again
		stop1()
		stop2()

		rcpts, msgs := mb.received()
		assert.Len(t, rcpts, n)
		seen := map[string]int{}
		for _, r := range rcpts {
			seen[r]++
		}
		assert.Len(t, seen, n, "each e-mail once: %v", rcpts)
		assert.Contains(t, msgs[0], "From: \"Registry\" <billing@registry.example>\r\n")
		assert.Equal(t, "no messages waiting\n", c.ok("", "outbox", "list", "--pending"))
		for _, logs := range []string{logs1.String(), logs2.String()} {
			assert.Contains(t, logs, "sending the outbox's e-mails")
			assert.NotContains(t, logs, "no SMTP server configured")
		}
		assert.Contains(t, logs1.String()+logs2.String(), "e-mail failed for good")

		// No SMTP server: the e-mail waits, and the server says so once.
		c.enqueue(&registry.OutboxMessage{Key: "later", Channel: registry.OutboxEmail, To: "later@example.se", Body: "x"})
		logs3, stop3 := c.serveInProcess("--deliver-every", "20ms")
		time.Sleep(100 * time.Millisecond)
		stop3()
		assert.Equal(t, 1, strings.Count(logs3.String(), "no SMTP server configured"), logs3.String())
		assert.Regexp(t, `email\s+pending\s+0\s+.*later@example\.se`, c.ok("", "outbox", "list", "--pending"))
	})
}

func TestServeDeliverFlags(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "eppd.db"))
	c.fails("--deliver-every 0", "", "serve", "--listen", "127.0.0.1:0", "--smtp", "localhost:25", "--from", "a@example.se", "--deliver-every", "0")
	c.fails("--from is required with --smtp", "", "serve", "--listen", "127.0.0.1:0", "--smtp", "localhost:25")
	c.fails("--smtp-user needs --smtp", "", "serve", "--listen", "127.0.0.1:0", "--smtp-user", "u")
}
