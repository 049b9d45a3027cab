// Package epptest holds helpers for tests that speak EPP to a real server:
// a client over TLS, and validation of every frame against the official
// EPP schemas and the project's own with xmllint.
package epptest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// officialSchemas are the schemas of ../shared/schemas/epp that the wrapper
// imports, in an order that satisfies their own imports.
var officialSchemas = []string{
	"eppcom-1.0.xsd", "epp-1.0.xsd", "host-1.0.xsd", "contact-1.0.xsd", "domain-1.0.xsd",
	"secDNS-1.1.xsd", "rgp-1.0.xsd", "balance-1.0.xsd", "lowbalance-poll-1.0.xsd",
	"rgp-poll-1.0.xsd", "xmldsig-core-schema.xsd", "mark-1.0.xsd", "signedMark-1.0.xsd",
	"launch-1.0.xsd", "fee-1.0.xsd",
}

var (
	wrapperOnce sync.Once
	wrapperPath string
	wrapperErr  error
)

// RepoRoot returns the directory that holds go.mod, found by walking up
// from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// SchemaDir is where the official EPP schemas are: $EPPD_EPP_SCHEMAS, or
// ../shared/schemas/epp beside the repository.
func SchemaDir() (string, error) {
	if d := os.Getenv("EPPD_EPP_SCHEMAS"); d != "" {
		return filepath.Abs(d)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "..", "shared", "schemas", "epp"), nil
}

var targetNS = regexp.MustCompile(`targetNamespace="([^"]+)"`)

func buildWrapper() (string, error) {
	dir, err := SchemaDir()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "epp-1.0.xsd")); err != nil {
		return "", fmt.Errorf("official EPP schemas not found in %s (set EPPD_EPP_SCHEMAS)", dir)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		return "", fmt.Errorf("xmllint not found (Debian package libxml2-utils)")
	}
	files := make([]string, 0, len(officialSchemas))
	for _, f := range officialSchemas {
		files = append(files, filepath.Join(dir, f))
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	own, _ := filepath.Glob(filepath.Join(root, "schemas", "*.xsd"))
	files = append(files, own...)

	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:eppd:test:wrapper">` + "\n")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		m := targetNS.FindSubmatch(data)
		if m == nil {
			return "", fmt.Errorf("%s has no targetNamespace", f)
		}
		fmt.Fprintf(&b, "  <import namespace=%q schemaLocation=%q/>\n", m[1], "file://"+f)
	}
	b.WriteString("</schema>\n")
	tmp, err := os.MkdirTemp("", "eppd-schemas-")
	if err != nil {
		return "", err
	}
	p := filepath.Join(tmp, "wrapper.xsd")
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

// Validate checks one EPP document against the official schemas and the
// project's own. Where the schemas or xmllint are missing the test is
// skipped with a loud message, or failed when CI=true.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	wrapperOnce.Do(func() { wrapperPath, wrapperErr = buildWrapper() })
	if wrapperErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("schema validation impossible under CI: %v", wrapperErr)
		}
		t.Skipf("SKIPPING SCHEMA VALIDATION: %v", wrapperErr)
	}
	if err := validateWith(wrapperPath, doc); err != nil {
		t.Errorf("frame does not validate: %v\n%s", err, doc)
	}
}

// ValidateErr is Validate returning the failure instead of failing t; it
// still skips (or fails under CI) when validation is impossible.
func ValidateErr(t testing.TB, doc []byte) error {
	t.Helper()
	wrapperOnce.Do(func() { wrapperPath, wrapperErr = buildWrapper() })
	if wrapperErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("schema validation impossible under CI: %v", wrapperErr)
		}
		t.Skipf("SKIPPING SCHEMA VALIDATION: %v", wrapperErr)
	}
	return validateWith(wrapperPath, doc)
}

func validateWith(wrapper string, doc []byte) error {
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", wrapper, "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	// xmllint reports some errors (namespace errors among them) and still
	// exits 0: anything but the success line is a failure.
	if msg := strings.TrimSpace(string(out)); msg != "- validates" {
		return fmt.Errorf("xmllint: %s", msg)
	}
	return nil
}
