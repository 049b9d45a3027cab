package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// cli runs eppd commands in-process against one database.
type cli struct {
	t       *testing.T
	db      string
	dataDir string
}

func newCLI(t *testing.T, db string) *cli {
	t.Helper()
	// Keep the environment from choosing another database or directory.
	t.Setenv(envDB, "")
	t.Setenv(envDataDir, "")
	return &cli{t: t, db: db, dataDir: t.TempDir()}
}

// run executes eppd with args and stdin, returning what it printed to
// standard output and its error.
func (c *cli) run(stdin string, args ...string) (string, error) {
	c.t.Helper()
	root := newRootCmd()
	root.SetArgs(append([]string{"--db", c.db, "--data-dir", c.dataDir}, args...))
	root.SetIn(strings.NewReader(stdin))
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// ok runs a command that must succeed.
func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	out, err := c.run(stdin, args...)
	require.NoError(c.t, err, "eppd %s", strings.Join(args, " "))
	return out
}

// fails runs a command that must fail with an error containing want.
func (c *cli) fails(want, stdin string, args ...string) {
	c.t.Helper()
	_, err := c.run(stdin, args...)
	require.Error(c.t, err, "eppd %s", strings.Join(args, " "))
	assert.Contains(c.t, err.Error(), want, "eppd %s", strings.Join(args, " "))
}

// reseller reads a reseller straight from the database.
func (c *cli) reseller(clID string) (*registry.Reseller, []registry.ResellerCert) {
	c.t.Helper()
	st, err := sqlstore.Open(context.Background(), c.db)
	require.NoError(c.t, err)
	defer st.Close()
	r, certs, err := registry.NewService(st, registry.SystemClock{}, registry.Config{}).Reseller(context.Background(), clID)
	require.NoError(c.t, err)
	return r, certs
}

// backends runs fn against a fresh SQLite file and a fresh PostgreSQL
// schema (migrated with "eppd migrate").
func backends(t *testing.T, fn func(t *testing.T, c *cli)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newCLI(t, sqltest.SQLite(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		c := newCLI(t, sqltest.Postgres(t))
		c.ok("", "migrate")
		fn(t, c)
	})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestResellerLifecycle(t *testing.T) {
	backends(t, testResellerLifecycle)
}

func testResellerLifecycle(t *testing.T, c *cli) {
	// Create, password from standard input.
	out := c.ok("s3cret-pw\n", "reseller", "create", "acme", "--name", "Acme Ltd",
		"--email", "ops@acme.example", "--allow", "192.0.2.0/24", "--allow", "2001:db8::1",
		"--max-sessions", "3", "--password-stdin")
	assert.Equal(t, "created reseller \"acme\" (active)\n", out)
	r, certs := c.reseller("acme")
	assert.Equal(t, "Acme Ltd", r.Name)
	assert.Equal(t, "ops@acme.example", r.Email)
	assert.Equal(t, 3, r.MaxSessions)
	assert.Equal(t, "192.0.2.0/24,2001:db8::1/128", formatNets(r.AllowedNets))
	assert.Empty(t, certs)
	assert.True(t, registry.CheckPassword(r.PasswordHash, "s3cret-pw"), "one trailing newline is stripped")

	// Create, password from a file.
	pwFile := writeFile(t, "pw", "file-pw-1\r\n")
	c.ok("", "reseller", "create", "beta", "--name", "Beta", "--password-file", pwFile)
	b, _ := c.reseller("beta")
	assert.True(t, registry.CheckPassword(b.PasswordHash, "file-pw-1"))
	assert.Equal(t, registry.ResellerActive, b.Status)

	// Creations that fail, each with its reason.
	emptyFile := writeFile(t, "empty", "\n")
	for _, tc := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"duplicate", "another-pw\n", `reseller "acme" already exists`,
			[]string{"acme", "--name", "Again", "--password-stdin"}},
		{"no password", "", "no password given: use --password-file FILE or --password-stdin",
			[]string{"gamma", "--name", "G"}},
		{"password flag", "", "unknown flag: --password",
			[]string{"gamma", "--name", "G", "--password", "s3cret-pw"}},
		{"empty stdin", "", "the password in standard input is empty",
			[]string{"gamma", "--name", "G", "--password-stdin"}},
		{"only a newline", "\n", "is empty",
			[]string{"gamma", "--name", "G", "--password-stdin"}},
		{"empty file", "", "the password in password file " + emptyFile + " is empty",
			[]string{"gamma", "--name", "G", "--password-file", emptyFile}},
		{"missing file", "", "password file: open",
			[]string{"gamma", "--name", "G", "--password-file", filepath.Join(t.TempDir(), "nope")}},
		{"both sources", "s3cret-pw", "not both",
			[]string{"gamma", "--name", "G", "--password-stdin", "--password-file", pwFile}},
		{"short password", "abc\n", "password must be 6 to 16 characters",
			[]string{"gamma", "--name", "G", "--password-stdin"}},
		{"two lines", "s3cret-pw\nmore\n", "control characters",
			[]string{"gamma", "--name", "G", "--password-stdin"}},
		{"bad clID", "s3cret-pw", `client identifier "a!" must be`,
			[]string{"a!", "--name", "G", "--password-stdin"}},
		{"no name", "s3cret-pw", "--name is required",
			[]string{"gamma", "--password-stdin"}},
		{"bad network", "s3cret-pw", `--allow "10.0.0.0/33"`,
			[]string{"gamma", "--name", "G", "--allow", "10.0.0.0/33", "--password-stdin"}},
		{"negative sessions", "s3cret-pw", "maximum sessions must not be negative",
			[]string{"gamma", "--name", "G", "--max-sessions", "-1", "--password-stdin"}},
		{"no clID", "s3cret-pw", "accepts 1 arg(s), received 0",
			[]string{"--name", "G", "--password-stdin"}},
	} {
		t.Run("create/"+tc.name, func(t *testing.T) {
			c.fails(tc.want, tc.stdin, append([]string{"reseller", "create"}, tc.args...)...)
		})
	}
	_, err := c.run("", "reseller", "show", "gamma")
	assert.EqualError(t, err, `reseller "gamma" not found`, "no failed creation left a reseller")

	// Password change.
	out = c.ok("n3w-password\n", "reseller", "passwd", "acme", "--password-stdin")
	assert.Equal(t, "password of reseller \"acme\" changed\n", out)
	r, _ = c.reseller("acme")
	assert.True(t, registry.CheckPassword(r.PasswordHash, "n3w-password"))
	assert.False(t, registry.CheckPassword(r.PasswordHash, "s3cret-pw"))
	c.fails("no password given", "", "reseller", "passwd", "acme")
	c.fails("unknown flag: --password", "", "reseller", "passwd", "acme", "--password", "n3w-password")

	// Certificates: from a PEM file made by the development CA, by
	// fingerprint, and by subject and issuer.
	pki := t.TempDir()
	certPath, _, err := devca.IssueClient(pki, "acme-ops", time.Now())
	require.NoError(t, err)
	pemCerts, err := devca.LoadCertificates(certPath)
	require.NoError(t, err)
	fp := registry.Fingerprint(pemCerts[0])
	out = c.ok("", "reseller", "cert", "add", "acme", "--file", certPath, "--note", "ops laptop")
	assert.Contains(t, out, "fingerprint: sha256:"+fp)
	assert.Contains(t, out, "subject:     CN=acme-ops,O=eppd development")
	assert.Regexp(t, `^registered certificate \d+ to reseller "acme", matched by fingerprint\n`, out)

	other, err := devca.NewCA("other CA", time.Now())
	require.NoError(t, err)
	otherCert, err := other.Issue("acme-2", false, nil, time.Now(), time.Hour)
	require.NoError(t, err)
	otherFP := registry.Fingerprint(otherCert.Leaf)
	colonFP := regexp.MustCompile(`(..)`).ReplaceAllString(strings.ToUpper(otherFP), "$1:")
	out = c.ok("", "reseller", "cert", "add", "acme", "--fingerprint", strings.TrimSuffix(colonFP, ":"))
	assert.Contains(t, out, "fingerprint: sha256:"+otherFP)
	out = c.ok("", "reseller", "cert", "add", "acme", "--subject", "CN=acme-3,O=Acme", "--issuer", "CN=Acme CA,O=Acme")
	assert.Contains(t, out, "matched by subject")

	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"same file again", "a certificate with fingerprint " + fp + " is already registered",
			[]string{"beta", "--file", certPath}},
		{"no mode", "give exactly one of --file, --fingerprint, or --subject with --issuer",
			[]string{"acme"}},
		{"two modes", "give exactly one of",
			[]string{"acme", "--file", certPath, "--fingerprint", fp}},
		{"subject alone", "--subject and --issuer go together",
			[]string{"acme", "--subject", "CN=x"}},
		{"bad fingerprint", `fingerprint "abc" is not a hex SHA-256 digest`,
			[]string{"acme", "--fingerprint", "abc"}},
		{"not a PEM file", "no PEM CERTIFICATE block found",
			[]string{"acme", "--file", pwFile}},
		{"unknown reseller", `reseller "nope" not found`,
			[]string{"nope", "--fingerprint", strings.Repeat("ab", 32)}},
	} {
		t.Run("cert add/"+tc.name, func(t *testing.T) {
			c.fails(tc.want, "", append([]string{"reseller", "cert", "add"}, tc.args...)...)
		})
	}

	_, certs = c.reseller("acme")
	require.Len(t, certs, 3)
	out = c.ok("", "reseller", "cert", "list", "acme")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^ID\s+MATCH\s+FINGERPRINT`, lines[0])
	assert.Regexp(t, `^`+strconv.FormatInt(certs[0].ID, 10)+`\s+fingerprint\s+`+fp+`\s+CN=acme-ops`, lines[1])
	assert.Contains(t, lines[1], "ops laptop")
	assert.Contains(t, lines[2], otherFP)
	assert.Regexp(t, `subject\s+-\s+CN=acme-3,O=Acme\s+CN=Acme CA,O=Acme`, lines[3])

	removed := strconv.FormatInt(certs[1].ID, 10)
	out = c.ok("", "reseller", "cert", "remove", "acme", removed)
	assert.Equal(t, "removed certificate "+removed+" from reseller \"acme\"\n", out)
	c.fails(`reseller "acme" has no certificate `+removed, "", "reseller", "cert", "remove", "acme", removed)
	c.fails(`reseller "beta" has no certificate `+strconv.FormatInt(certs[0].ID, 10),
		"", "reseller", "cert", "remove", "beta", strconv.FormatInt(certs[0].ID, 10))
	c.fails(`certificate ID "x" is not a positive number`, "", "reseller", "cert", "remove", "acme", "x")
	out = c.ok("", "reseller", "cert", "list", "acme")
	assert.NotContains(t, out, otherFP)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 3)
	out = c.ok("", "reseller", "cert", "list", "beta")
	assert.Equal(t, "reseller \"beta\" has no certificates: add one with \"eppd reseller cert add\"\n", out)

	// Suspend and resume; doing either twice is an error.
	assert.Equal(t, "reseller \"acme\" is now suspended\n", c.ok("", "reseller", "suspend", "acme"))
	c.fails(`reseller "acme" is already suspended`, "", "reseller", "suspend", "acme")
	r, _ = c.reseller("acme")
	assert.Equal(t, registry.ResellerSuspended, r.Status)
	assert.Equal(t, "reseller \"acme\" is now active\n", c.ok("", "reseller", "resume", "acme"))
	c.fails(`reseller "acme" is already active`, "", "reseller", "resume", "acme")

	// Access limits.
	out = c.ok("", "reseller", "access", "acme", "--allow", "10.0.0.0/8,198.51.100.7", "--max-sessions", "5")
	assert.Equal(t, "reseller \"acme\": allowed nets 10.0.0.0/8,198.51.100.7/32, max sessions 5\n", out)
	out = c.ok("", "reseller", "access", "acme", "--clear-allow")
	assert.Equal(t, "reseller \"acme\": allowed nets any, max sessions 5\n", out)
	out = c.ok("", "reseller", "access", "acme", "--max-sessions", "0")
	assert.Equal(t, "reseller \"acme\": allowed nets any, max sessions default\n", out)
	c.fails("nothing to change", "", "reseller", "access", "acme")
	c.fails("not both", "", "reseller", "access", "acme", "--allow", "10.0.0.0/8", "--clear-allow")
	c.fails("maximum sessions must not be negative", "", "reseller", "access", "acme", "--max-sessions", "-2")
	c.fails(`--allow "nonsense"`, "", "reseller", "access", "acme", "--allow", "nonsense")
	c.ok("", "reseller", "access", "acme", "--allow", "192.0.2.0/24")

	// Show: every field, the certificates, never the password hash.
	r, certs = c.reseller("acme")
	out = c.ok("", "reseller", "show", "acme")
	for _, want := range []string{
		"clID:          acme\n", "name:          Acme Ltd\n", "email:         ops@acme.example\n",
		"status:        active\n", "max sessions:  server default\n", "allowed nets:  192.0.2.0/24\n",
		"certificates:  2\n", fp, "CN=acme-ops,O=eppd development", "CN=eppd development CA,O=eppd development",
		"ops laptop", formatTime(certs[0].NotAfter), "CN=Acme CA,O=Acme",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, r.PasswordHash)
	assert.NotContains(t, out, "argon2")

	// List.
	out = c.ok("", "reseller", "list")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Regexp(t, `^CLID\s+NAME\s+STATUS\s+CERTS\s+MAX SESSIONS\s+ALLOWED NETS$`, lines[0])
	assert.Regexp(t, `^acme\s+Acme Ltd\s+active\s+2\s+default\s+192\.0\.2\.0/24$`, lines[1])
	assert.Regexp(t, `^beta\s+Beta\s+active\s+0\s+default\s+any$`, lines[2])

	// History: every change, oldest first, by the operator.
	out = c.ok("", "reseller", "history", "acme")
	assert.NotContains(t, out, "argon2")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	var actions []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 4, l)
		_, err := time.Parse(time.RFC3339, f[0])
		assert.NoError(t, err, l)
		assert.Equal(t, "operator", f[2], l)
		assert.True(t, json.Valid([]byte(strings.Join(f[3:], " "))), l)
		actions = append(actions, f[1])
	}
	assert.Equal(t, []string{"create", "passwd", "cert-add", "cert-add", "cert-add", "cert-remove",
		"suspend", "resume", "access", "access", "access", "access"}, actions)
	assert.Contains(t, lines[len(lines)-1], `"allowedNets":["192.0.2.0/24"]`)

	// Every command on an unknown reseller names it.
	for _, args := range [][]string{
		{"show", "nope"}, {"suspend", "nope"}, {"resume", "nope"}, {"history", "nope"},
		{"access", "nope", "--max-sessions", "1"}, {"cert", "list", "nope"}, {"cert", "remove", "nope", "1"},
		{"passwd", "nope", "--password-stdin"},
	} {
		t.Run("unknown/"+strings.Join(args, " "), func(t *testing.T) {
			_, err := c.run("s3cret-pw", append([]string{"reseller"}, args...)...)
			assert.EqualError(t, err, `reseller "nope" not found`)
		})
	}
}

func TestCertIssue(t *testing.T) {
	c := newCLI(t, sqltest.SQLite(t))
	c.ok("s3cret-pw", "reseller", "create", "acme", "--name", "Acme", "--password-stdin")
	out := c.ok("", "reseller", "cert", "issue", "acme")
	dir := filepath.Join(c.dataDir, devCADirName)
	certPath := filepath.Join(dir, "acme-client.pem")
	assert.Contains(t, out, "issued "+certPath+"\n")
	assert.Contains(t, out, filepath.Join(dir, "acme-client-key.pem"))
	certs, err := devca.LoadCertificates(certPath)
	require.NoError(t, err)
	_, regs := c.reseller("acme")
	require.Len(t, regs, 1)
	assert.Equal(t, registry.Fingerprint(certs[0]), regs[0].Fingerprint)
	assert.Equal(t, "issued by the development CA", regs[0].Note)

	// The certificate chains to the development CA that serve would use.
	b, created, err := devca.Ensure(dir, time.Now())
	require.NoError(t, err)
	assert.False(t, created)
	_, err = certs[0].Verify(x509.VerifyOptions{
		Roots: b.CA.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	assert.NoError(t, err)

	c.ok("", "reseller", "cert", "issue", "acme", "--cn", "acme-2")
	_, regs = c.reseller("acme")
	assert.Len(t, regs, 2)
	c.fails("already exists", "", "reseller", "cert", "issue", "acme")
	c.fails(`reseller "nope" not found`, "", "reseller", "cert", "issue", "nope")
	_, err = os.Stat(filepath.Join(dir, "nope-client.pem"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no file for an unknown reseller")
}

func TestMigrate(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		c := newCLI(t, sqltest.Postgres(t))
		// Before migrating, commands refuse to work on the database.
		_, err := c.run("", "reseller", "list")
		assert.EqualError(t, err, `database schema is not up to date: run "eppd migrate"`)
		out := c.ok("", "migrate", "status")
		assert.Regexp(t, `(?m)^1\s+00001_\S+\.sql\s+pending\s+-$`, out)
		assert.Contains(t, out, `migration(s) pending: run "eppd migrate"`)

		out = c.ok("", "migrate")
		assert.Contains(t, out, "applied 00001_")
		assert.Contains(t, out, "postgres database schema is up to date")
		out = c.ok("", "migrate")
		assert.Equal(t, "postgres database schema is up to date\n", out)
		out = c.ok("", "migrate", "status")
		assert.Regexp(t, `(?m)^1\s+00001_\S+\.sql\s+applied\s+\d{4}-`, out)
		assert.NotContains(t, out, "pending")
		assert.Contains(t, c.ok("", "reseller", "list"), "no resellers yet")
	})
	t.Run("sqlite migrates on open", func(t *testing.T) {
		c := newCLI(t, sqltest.SQLite(t))
		assert.Contains(t, c.ok("", "reseller", "list"), "no resellers yet")
		assert.NotContains(t, c.ok("", "migrate", "status"), "pending")
	})
	t.Run("bad database", func(t *testing.T) {
		c := newCLI(t, "postgres://nobody:hunter2@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
		_, err := c.run("", "reseller", "list")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "open database postgres://nobody:xxxxx@127.0.0.1:1/none")
		assert.NotContains(t, err.Error(), "hunter2")
	})
}

// TestDefaults checks where the database goes when no flag says.
func TestDefaults(t *testing.T) {
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		root := newRootCmd()
		root.SetArgs(args)
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetIn(strings.NewReader("s3cret-pw\n"))
		require.NoError(t, root.Execute())
		return out.String()
	}
	create := []string{"reseller", "create", "acme", "--name", "Acme", "--password-stdin"}
	for _, tc := range []struct {
		name   string
		env    func(t *testing.T, base string)
		args   []string
		dbFile string // relative to base
	}{
		{"--data-dir", func(t *testing.T, base string) {}, []string{"--data-dir", "flag"}, "flag/eppd.db"},
		{"EPPD_DATA_DIR", func(t *testing.T, base string) { t.Setenv(envDataDir, filepath.Join(base, "env")) }, nil, "env/eppd.db"},
		{"--data-dir beats EPPD_DATA_DIR", func(t *testing.T, base string) { t.Setenv(envDataDir, filepath.Join(base, "env")) },
			[]string{"--data-dir", "flag"}, "flag/eppd.db"},
		{"XDG_DATA_HOME", func(t *testing.T, base string) { t.Setenv("XDG_DATA_HOME", filepath.Join(base, "xdg")) }, nil, "xdg/eppd/eppd.db"},
		{"HOME", func(t *testing.T, base string) { t.Setenv("HOME", filepath.Join(base, "home")) }, nil, "home/.local/share/eppd/eppd.db"},
		{"EPPD_DB", func(t *testing.T, base string) { t.Setenv(envDB, filepath.Join(base, "envdb", "x.db")) }, nil, "envdb/x.db"},
		{"--db beats EPPD_DB", func(t *testing.T, base string) { t.Setenv(envDB, filepath.Join(base, "envdb", "x.db")) },
			[]string{"--db", "flag.db"}, "flag.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			t.Chdir(base)
			t.Setenv(envDB, "")
			t.Setenv(envDataDir, "")
			t.Setenv("XDG_DATA_HOME", "")
			t.Setenv("HOME", filepath.Join(base, "nohome"))
			tc.env(t, base)
			args := append(append([]string{}, tc.args...), create...)
			assert.Equal(t, "created reseller \"acme\" (active)\n", run(t, args...))
			_, err := os.Stat(filepath.Join(base, tc.dbFile))
			require.NoError(t, err)
			// The same database on the next run.
			assert.Contains(t, run(t, append(append([]string{}, tc.args...), "reseller", "list")...), "acme")
		})
	}
	t.Run("data dir is private", func(t *testing.T) {
		base := t.TempDir()
		t.Setenv(envDB, "")
		t.Setenv(envDataDir, filepath.Join(base, "d"))
		run(t, "reseller", "list")
		st, err := os.Stat(filepath.Join(base, "d"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	})
}

func TestLogger(t *testing.T) {
	logger := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		root := newRootCmd()
		var buf bytes.Buffer
		root.SetErr(&buf)
		require.NoError(t, root.PersistentFlags().Parse(args))
		l, err := newLogger(root)
		if err != nil {
			return "", err
		}
		l.Debug("quiet")
		l.Info("hello", "k", "v")
		return buf.String(), nil
	}
	out, err := logger(t)
	require.NoError(t, err)
	assert.True(t, json.Valid([]byte(out)), "not a terminal: JSON by default: %s", out)
	assert.Contains(t, out, `"msg":"hello"`)
	assert.NotContains(t, out, "quiet")

	out, err = logger(t, "--log-format", "text", "--log-level", "debug")
	require.NoError(t, err)
	assert.Contains(t, out, "level=DEBUG msg=quiet")
	assert.Contains(t, out, "msg=hello k=v")

	_, err = logger(t, "--log-format", "xml")
	assert.EqualError(t, err, `--log-format "xml": want text or json`)
	_, err = logger(t, "--log-level", "loud")
	assert.EqualError(t, err, `--log-level "loud": want debug, info, warn or error`)

	// Bad log flags stop any command.
	c := newCLI(t, sqltest.SQLite(t))
	c.fails(`--log-format "xml"`, "", "--log-format", "xml", "reseller", "list")
}

// TestRun checks what the process prints and returns.
func TestRun(t *testing.T) {
	t.Setenv(envDB, "")
	t.Setenv(envDataDir, t.TempDir())
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"reseller", "show", "nope"}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Equal(t, "eppd: reseller \"nope\" not found\n", errOut.String(), "no usage dump")
	assert.Empty(t, out.String())

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"reseller", "create", "x", "--password", "s3cret-pw"}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Equal(t, "eppd: unknown flag: --password (see \"eppd reseller create --help\")\n", errOut.String())

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"reseller", "list"}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 0, code)
	assert.Contains(t, out.String(), "no resellers yet")
	assert.Empty(t, errOut.String())
}

// TestCommandTree checks the commands exist and that no command takes a
// password as a flag value.
func TestCommandTree(t *testing.T) {
	root := newRootCmd()
	for _, path := range [][]string{
		{"migrate"}, {"migrate", "status"},
		{"reseller", "create"}, {"reseller", "list"}, {"reseller", "show"}, {"reseller", "passwd"},
		{"reseller", "cert", "add"}, {"reseller", "cert", "remove"}, {"reseller", "cert", "list"},
		{"reseller", "cert", "issue"}, {"reseller", "suspend"}, {"reseller", "resume"},
		{"reseller", "access"}, {"reseller", "history"}, {"reseller", "model"},
		{"account", "create"}, {"account", "list"}, {"account", "show"}, {"account", "close"},
		{"account", "history"}, {"account", "consent-token"}, {"account", "merge"}, {"account", "messages"},
		{"account", "prune-contacts"}, {"domain", "set-registrant"}, {"domain", "connect"}, {"domain", "disconnect"},
		{"contact", "delete"},
		{"domain", "create"}, {"domain", "set-model"}, {"domain", "history"},
		{"contact", "history"}, {"host", "history"}, {"process"}, {"serve"},
	} {
		cmd, rest, err := root.Find(path)
		require.NoError(t, err, path)
		assert.Empty(t, rest, path)
		assert.Equal(t, path[len(path)-1], cmd.Name())
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Name, "password") {
				assert.Contains(t, []string{"password-file", "password-stdin"}, f.Name, c.CommandPath())
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
