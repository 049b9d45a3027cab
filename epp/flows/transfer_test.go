package flows_test

import (
	"context"
	"crypto/tls"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

const transferDay = 24 * time.Hour

// transferT0 is when the tests' registry clock starts, so that the dates
// in requests and answers stay the same from run to run.
var transferT0 = time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC)

// transferEnv is a server over a store, whose registry runs on a fake
// clock set to transferT0, with sessions for acme, other and third (a
// third reseller), each selecting the RGP extension.
type transferEnv struct {
	h                  *epptest.Harness
	clock              *epptest.Clock
	acme, other, third *epptest.Client
}

// transferSetup starts the server over dsn ("" for SQLite). Sessions and
// certificates run on the wall clock, so the clients log in before the
// registry's clock is set (new logins fail after it moves far: the test
// certificates are valid for a day around now).
func transferSetup(t *testing.T, dsn string) *transferEnv {
	t.Helper()
	clock := epptest.NewClock(time.Now().UTC().Truncate(time.Second))
	h := epptest.NewHarness(t, epptest.Options{
		DSN: dsn, Register: flows.Register, Clock: clock,
		Server: func(c *epp.Config) { c.Clock = registry.SystemClock{} },
	})
	cert, err := h.CA.Issue("third", false, nil, time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h.AddReseller("third", "third-secret-1", cert)
	e := &transferEnv{
		h: h, clock: clock,
		acme:  transferLogin(t, h, "acme", epptest.AcmePW, &h.Acme),
		other: transferLogin(t, h, "other", epptest.OtherPW, &h.Other),
		third: transferLogin(t, h, "third", "third-secret-1", &cert),
	}
	clock.Set(transferT0)
	return e
}

// transferLogin logs clID in, selecting the RGP extension as RST clients
// do, so that domain info shows the transferPeriod.
func transferLogin(t *testing.T, h *epptest.Harness, clID, pw string, cert *tls.Certificate) *epptest.Client {
	t.Helper()
	c := h.Dial(cert)
	login := strings.Replace(epptest.Login(clID, pw, "login-1"), "</svcs>",
		"<svcExtension><extURI>"+epp.NSRGP+"</extURI></svcExtension></svcs>", 1)
	transferWant(t, c.Do(login), 1000, "login as "+clID)
	return c
}

// transferBoth runs fn on SQLite and on PostgreSQL.
func transferBoth(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.Postgres(t)) })
}

func transferStoreTx(t *testing.T, h *epptest.Harness, fn func(ctx context.Context, tx registry.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := h.Svc.Store().Tx(ctx, func(tx registry.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// transferObjects creates, through the store, the contact reg-1 (authInfo
// "contact-pw-1") and domains under .test with authInfo "domain-pw-1",
// all sponsored by acme and created at created, expiring a year later.
// example.test gets the subordinate host ns1.example.test.
func transferObjects(t *testing.T, h *epptest.Harness, created time.Time, names ...string) {
	t.Helper()
	suffix := h.Svc.Config().ROIDSuffix
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		c := &registry.Contact{
			ID: "reg-1", SponsorClID: "acme", CreatorClID: "acme", Email: "reg@example.net", AuthInfo: "contact-pw-1",
			Postal:    []registry.PostalInfo{{Type: "int", Name: "Reg Istrant", City: "Stockholm", CC: "SE"}},
			CreatedAt: created,
		}
		if err := tx.CreateContact(ctx, c, suffix); err != nil {
			return err
		}
		for _, n := range names {
			d := &registry.Domain{
				Name: n, SponsorClID: "acme", CreatorClID: "acme", Registrant: "reg-1", AuthInfo: "domain-pw-1",
				CreatedAt: created, ExpiresAt: created.AddDate(1, 0, 0), NextEventAt: created.AddDate(1, 0, 0),
			}
			if err := tx.CreateDomain(ctx, d, suffix); err != nil {
				return err
			}
			if n == "example.test" {
				err := tx.CreateHost(ctx, &registry.Host{Name: "ns1.example.test", SponsorClID: "acme", CreatorClID: "acme",
					Superordinate: n, CreatedAt: created}, suffix)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func transferDomainOf(t *testing.T, h *epptest.Harness, name string) *registry.Domain {
	t.Helper()
	var d *registry.Domain
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) (err error) {
		d, err = tx.Domain(ctx, name)
		return err
	})
	return d
}

// transferCmd builds a <transfer> command; op "" leaves the attribute out.
func transferCmd(op, object, clTRID string) string {
	attr := ""
	if op != "" {
		attr = ` op="` + op + `"`
	}
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <transfer` + attr + `>
` + object + `
    </transfer>
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

// transferDomainXML is a <domain:transfer> for name with the given period
// ("" for none, else like `unit="y">2`) and pw (none when "-").
func transferDomainXML(name, period, pw string) string {
	var b strings.Builder
	b.WriteString(`      <domain:transfer xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
        <domain:name>` + name + `</domain:name>`)
	if period != "" {
		b.WriteString("\n        <domain:period " + period + "</domain:period>")
	}
	if pw != "-" {
		b.WriteString("\n        <domain:authInfo>\n          " + pw + "\n        </domain:authInfo>")
	}
	b.WriteString("\n      </domain:transfer>")
	return b.String()
}

func transferDomainReq(op, name, period, pw, clTRID string) string {
	if pw != "-" && !strings.HasPrefix(pw, "<") {
		pw = "<domain:pw>" + pw + "</domain:pw>"
	}
	return transferCmd(op, transferDomainXML(name, period, pw), clTRID)
}

func transferContactReq(op, id, pw, clTRID string) string {
	obj := `      <contact:transfer xmlns:contact="urn:ietf:params:xml:ns:contact-1.0">
        <contact:id>` + id + `</contact:id>`
	if pw != "-" {
		obj += "\n        <contact:authInfo>\n          <contact:pw>" + pw + "</contact:pw>\n        </contact:authInfo>"
	}
	obj += "\n      </contact:transfer>"
	return transferCmd(op, obj, clTRID)
}

func transferWant(t *testing.T, resp []byte, code int, what string) {
	t.Helper()
	if got := epptest.Code(resp); got != code {
		t.Fatalf("%s: got %d, want %d\n%s", what, got, code, resp)
	}
}

var transferTagRE = regexp.MustCompile(`<(?:[a-z]+:)?(trStatus|reID|acID|clID|exDate|acDate|reDate)>([^<]*)<`)

// transferField returns the text of the first element with the local
// name tag in resp.
func transferField(resp []byte, tag string) string {
	for _, m := range transferTagRE.FindAllSubmatch(resp, -1) {
		if string(m[1]) == tag {
			return string(m[2])
		}
	}
	return ""
}

// RST epp-19: a domain transfer is requested with a wrong authInfo and
// with a period that would pass ten years (both refused), then properly;
// the domain is pendingTransfer until the losing reseller approves; after
// that the gaining reseller sponsors it, its authInfo is new, its expiry is
// a year later, and it is in the transferPeriod.
func TestRST_epp19_DomainTransfer(t *testing.T) {
	transferBoth(t, func(t *testing.T, dsn string) {
		e := transferSetup(t, dsn)
		h, clock := e.h, e.clock
		created := clock.Now().Add(-100 * transferDay)
		transferObjects(t, h, created, "example.test")
		acme, other := e.acme, e.other

		other.Golden("transfer/domain-request-badauth", transferDomainReq("request", "example.test", `unit="y">1`, "wrong-pw", "TRN-01"))
		other.Golden("transfer/domain-request-toolong", transferDomainReq("request", "example.test", `unit="y">10`, "domain-pw-1", "TRN-02"))
		other.Golden("transfer/domain-request-nopw", transferDomainReq("request", "example.test", "", "-", "TRN-03"))
		acme.Golden("transfer/domain-request-own", transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-04"))
		acme.Golden("transfer/domain-query-none", transferDomainReq("query", "example.test", "", "-", "TRN-05"))
		acme.Golden("transfer/domain-approve-none", transferDomainReq("approve", "example.test", "", "-", "TRN-06"))

		resp := other.Golden("transfer/domain-request", transferDomainReq("request", "example.test", `unit="y">1`, "domain-pw-1", "TRN-10"))
		transferWant(t, resp, 1001, "request")
		d := transferDomainOf(t, h, "example.test")
		if d.Transfer == nil || d.Transfer.Status != registry.TransferPending || d.SponsorClID != "acme" {
			t.Fatalf("after request: sponsor %s transfer %+v", d.SponsorClID, d.Transfer)
		}
		if st := h.Svc.DomainStatuses(t.Context(), nil, d, clock.Now()); !registry.HasStatus(st, registry.StatusPendingTransfer) {
			t.Errorf("statuses after request %v lack pendingTransfer", st)
		}
		other.Golden("transfer/domain-request-pending", transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-11"))
		other.Golden("transfer/domain-query", transferDomainReq("query", "example.test", "", "-", "TRN-12"))
		other.Golden("transfer/domain-approve-notsponsor", transferDomainReq("approve", "example.test", "", "-", "TRN-13"))
		acme.Golden("transfer/domain-cancel-notrequester", transferDomainReq("cancel", "example.test", "", "-", "TRN-14"))
		acme.Golden("poll/req-domain-transfer", pollReq("POLL-01"))

		clock.Advance(time.Hour)
		resp = acme.Golden("transfer/domain-approve", transferDomainReq("approve", "example.test", "", "-", "TRN-20"))
		transferWant(t, resp, 1000, "approve")
		d = transferDomainOf(t, h, "example.test")
		if d.SponsorClID != "other" || d.AuthInfo == "domain-pw-1" || !d.ExpiresAt.Equal(created.AddDate(2, 0, 0)) {
			t.Errorf("after approval: sponsor %s authInfo %q expiry %v", d.SponsorClID, d.AuthInfo, d.ExpiresAt)
		}
		if rgp := h.Svc.RGPStatuses(d, clock.Now()); len(rgp) != 1 || rgp[0] != registry.GraceTransferPeriod {
			t.Errorf("RGP statuses %v, want [transferPeriod]", rgp)
		}
		transferInfoCheck(t, other, d)
		// The old authInfo no longer works.
		third := e.third
		resp = third.Do(transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-21"))
		transferWant(t, resp, 2202, "request with the old authInfo")
		acme.Golden("transfer/domain-query-lost", transferDomainReq("query", "example.test", "", "-", "TRN-22"))
		other.Golden("poll/req-domain-approved", pollReq("POLL-02"))
	})
}

// transferInfoCheck checks with a domain info, when the domain flows are
// there, what RST epp-19 looks for after a transfer.
func transferInfoCheck(t *testing.T, c *epptest.Client, d *registry.Domain) {
	t.Helper()
	resp := c.Do(`<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info><domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">` +
		`<domain:name>` + d.Name + `</domain:name></domain:info></info><clTRID>INFO-1</clTRID></command></epp>`)
	if epptest.Code(resp) == 2101 {
		t.Log("domain info is not implemented yet; checked the store instead")
		return
	}
	transferWant(t, resp, 1000, "info after the transfer")
	s := string(resp)
	for _, want := range []string{"<domain:clID>other</domain:clID>", "<domain:pw>" + d.AuthInfo + "</domain:pw>", `s="transferPeriod"`} {
		if !strings.Contains(s, want) {
			t.Errorf("info after the transfer lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "pendingTransfer") {
		t.Errorf("info after the transfer shows pendingTransfer:\n%s", s)
	}
}

// RST epp-20: a rejected transfer leaves the domain with its sponsor and
// without pendingTransfer.
func TestRST_epp20_DomainTransferRejection(t *testing.T) {
	transferBoth(t, func(t *testing.T, dsn string) {
		e := transferSetup(t, dsn)
		h, clock := e.h, e.clock
		transferObjects(t, h, clock.Now().Add(-100*transferDay), "example.test")
		acme, other := e.acme, e.other
		transferWant(t, other.Do(transferDomainReq("request", "example.test", `unit="y">2`, "domain-pw-1", "TRN-30")), 1001, "request")
		other.Golden("transfer/domain-reject-notsponsor", transferDomainReq("reject", "example.test", "", "-", "TRN-31"))
		clock.Advance(time.Hour)
		resp := acme.Golden("transfer/domain-reject", transferDomainReq("reject", "example.test", "", "-", "TRN-32"))
		transferWant(t, resp, 1000, "reject")
		d := transferDomainOf(t, h, "example.test")
		if d.SponsorClID != "acme" || d.AuthInfo != "domain-pw-1" {
			t.Errorf("after reject: sponsor %s authInfo %q", d.SponsorClID, d.AuthInfo)
		}
		if st := h.Svc.DomainStatuses(t.Context(), nil, d, clock.Now()); registry.HasStatus(st, registry.StatusPendingTransfer) {
			t.Errorf("statuses after reject %v", st)
		}
		acme.Golden("transfer/domain-reject-again", transferDomainReq("reject", "example.test", "", "-", "TRN-33"))
		other.Golden("poll/req-domain-rejected", pollReq("POLL-03"))

		// Requested again, and cancelled by the requester.
		transferWant(t, other.Do(transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-34")), 1001, "request again")
		resp = other.Golden("transfer/domain-cancel", transferDomainReq("cancel", "example.test", "", "-", "TRN-35"))
		transferWant(t, resp, 1000, "cancel")
		if d := transferDomainOf(t, h, "example.test"); d.SponsorClID != "acme" || d.Transfer.Status != registry.TransferClientCancelled {
			t.Errorf("after cancel: sponsor %s transfer %+v", d.SponsorClID, d.Transfer)
		}
		other.Golden("transfer/domain-cancel-none", transferDomainReq("cancel", "example.test", "", "-", "TRN-36"))
	})
}

// The commands the registry refuses before it looks at the domain, and the
// policy refusals.
func TestTransferDomainRefusals(t *testing.T) {
	e := transferSetup(t, "")
	h, clock := e.h, e.clock
	created := clock.Now().Add(-59 * transferDay)
	transferObjects(t, h, created, "example.test", "locked.test")
	other, third := e.other, e.third
	var roid string
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		c, err := tx.Contact(ctx, "reg-1")
		if err == nil {
			roid = c.ROID
		}
		return err
	})

	other.Golden("transfer/domain-noop", transferDomainReq("", "example.test", "", "domain-pw-1", "TRN-40"))
	other.Golden("transfer/domain-badop", transferDomainReq("move", "example.test", "", "domain-pw-1", "TRN-41"))
	other.Golden("transfer/domain-ext-authinfo", transferDomainReq("request", "example.test", "",
		`<domain:ext><x:any xmlns:x="urn:example:x">z</x:any></domain:ext>`, "TRN-42"))
	other.Golden("transfer/domain-notfound", transferDomainReq("request", "nosuch.test", "", "domain-pw-1", "TRN-43"))
	other.Golden("transfer/domain-request-recent", transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-44"))
	other.Golden("transfer/domain-period-months", transferDomainReq("request", "example.test", `unit="m">18`, "domain-pw-1", "TRN-46"))
	transferWant(t, other.Do(transferCmd("request", `      <domain:transfer xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
        <domain:authInfo><domain:pw>domain-pw-1</domain:pw></domain:authInfo>
        <domain:name>example.test</domain:name>
      </domain:transfer>`, "TRN-47")), 2001, "elements out of order")
	transferWant(t, other.Do(transferCmd("request", `<domain:transfer xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"/>`, "TRN-48")), 2001, "no name")

	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		d, err := tx.LockDomain(ctx, "locked.test")
		if err != nil {
			return err
		}
		d.Statuses = []string{registry.StatusClientTransferProhibited}
		return tx.UpdateDomain(ctx, d)
	})
	clock.Advance(2 * transferDay)
	other.Golden("transfer/domain-period-range", transferDomainReq("request", "example.test", `unit="y">11`, "domain-pw-1", "TRN-45"))
	other.Golden("transfer/domain-request-prohibited", transferDomainReq("request", "locked.test", "", "domain-pw-1", "TRN-49"))
	resp := other.Golden("transfer/domain-request-registrant", transferDomainReq("request", "example.test", `unit="y">2`,
		`<domain:pw roid="`+roid+`">contact-pw-1</domain:pw>`, "TRN-50"))
	transferWant(t, resp, 1001, "request with the registrant's authInfo")
	if got, want := transferField(resp, "exDate"), epp.FormatTime(created.AddDate(3, 0, 0)); got != want {
		t.Errorf("exDate %q: want the expiry two years on, %s", got, want)
	}
	third.Golden("transfer/domain-query-stranger", transferDomainReq("query", "example.test", "", "-", "TRN-51"))
	third.Golden("transfer/domain-query-badauth", transferDomainReq("query", "example.test", "", "wrong-pw", "TRN-52"))
	resp = third.Do(transferDomainReq("query", "example.test", "", "domain-pw-1", "TRN-53"))
	transferWant(t, resp, 1000, "query with the authInfo")
	if transferField(resp, "trStatus") != "pending" || transferField(resp, "reID") != "other" || transferField(resp, "acID") != "acme" {
		t.Errorf("query answer:\n%s", resp)
	}
}

// A pending transfer the sponsor does not answer is approved by the
// registry at its acDate: by the due-event processing, or by the next
// transfer command on the object.
func TestTransferAutoApproveEPP(t *testing.T) {
	e := transferSetup(t, "")
	h, clock := e.h, e.clock
	transferObjects(t, h, clock.Now().Add(-100*transferDay), "example.test", "lazy.test")
	acme, other := e.acme, e.other
	transferWant(t, other.Do(transferDomainReq("request", "example.test", "", "domain-pw-1", "TRN-60")), 1001, "request")
	transferWant(t, other.Do(transferContactReq("request", "reg-1", "contact-pw-1", "TRN-61")), 1001, "contact request")
	clock.Advance(transferDay)
	transferWant(t, other.Do(transferDomainReq("request", "lazy.test", "", "domain-pw-1", "TRN-62")), 1001, "request")
	actBy := transferDomainOf(t, h, "example.test").Transfer.ActBy

	// Due-event processing approves example.test when its time has come.
	clock.Set(actBy.Add(-time.Second))
	if n, err := h.Svc.ProcessDue(t.Context(), 0); err != nil || n != 0 {
		t.Fatalf("ProcessDue before the time: %d domains, %v", n, err)
	}
	clock.Set(actBy.Add(time.Minute))
	transferProcessDue(t, h)
	d := transferDomainOf(t, h, "example.test")
	if d.SponsorClID != "other" || d.Transfer.Status != registry.TransferServerApproved || !d.TransferredAt.Equal(actBy) {
		t.Errorf("after processing: sponsor %s trDate %v transfer %+v", d.SponsorClID, d.TransferredAt, d.Transfer)
	}
	if d.AuthInfo == "domain-pw-1" || len(d.Grace) != 1 || d.Grace[0].Kind != registry.GraceTransferPeriod {
		t.Errorf("after processing: authInfo %q grace %+v", d.AuthInfo, d.Grace)
	}
	if !d.NextEventAt.Equal(d.Grace[0].Until) {
		t.Errorf("NextEventAt %v, want the end of the transfer grace %v", d.NextEventAt, d.Grace[0].Until)
	}
	hist, err := h.Svc.History(t.Context(), registry.ObjectDomain, d.ROID)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Action != "transfer-auto-approve" || last.Actor != "server" {
		t.Errorf("history ends with %s by %s", last.Action, last.Actor)
	}
	if pending := transferDomainOf(t, h, "lazy.test"); pending.Transfer.Status != registry.TransferPending {
		t.Errorf("lazy.test was approved before its time: %+v", pending.Transfer)
	}
	clock.Advance(transferDay)
	// lazy.test and the contact are approved when next touched.
	resp := acme.Golden("transfer/domain-query-auto", transferDomainReq("query", "lazy.test", "", "-", "TRN-63"))
	if transferField(resp, "trStatus") != registry.TransferServerApproved {
		t.Errorf("query after the deadline:\n%s", resp)
	}
	resp = other.Golden("transfer/contact-query-auto", transferContactReq("query", "reg-1", "-", "TRN-64"))
	if transferField(resp, "trStatus") != registry.TransferServerApproved {
		t.Errorf("contact query after the deadline:\n%s", resp)
	}
	// acme: three requests, three auto-approvals; other: three approvals.
	for _, who := range []struct {
		c    *epptest.Client
		want []string
	}{
		{acme, []string{"pending", "pending", "pending", "serverApproved", "serverApproved", "serverApproved"}},
		{other, []string{"serverApproved", "serverApproved", "serverApproved"}},
	} {
		if got := pollDrain(t, who.c); strings.Join(got, " ") != strings.Join(who.want, " ") {
			t.Errorf("poll messages %v, want %v", got, who.want)
		}
	}
}

// transferProcessDue has the registry do its timed work, as the server's
// background run does, and checks that it processed a domain.
func transferProcessDue(t *testing.T, h *epptest.Harness) {
	t.Helper()
	n, err := h.Svc.ProcessDue(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("ProcessDue processed no domain")
	}
}

func TestTransferContactEPP(t *testing.T) {
	e := transferSetup(t, "")
	h, clock := e.h, e.clock
	transferObjects(t, h, clock.Now().Add(-10*transferDay))
	acme, other := e.acme, e.other

	other.Golden("transfer/contact-request-badauth", transferContactReq("request", "reg-1", "wrong-pw", "CTR-01"))
	acme.Golden("transfer/contact-request-own", transferContactReq("request", "reg-1", "contact-pw-1", "CTR-02"))
	other.Golden("transfer/contact-query-none", transferContactReq("query", "reg-1", "contact-pw-1", "CTR-03"))
	other.Golden("transfer/contact-notfound", transferContactReq("request", "nosuch-1", "contact-pw-1", "CTR-04"))
	resp := other.Golden("transfer/contact-request", transferContactReq("request", "reg-1", "contact-pw-1", "CTR-05"))
	transferWant(t, resp, 1001, "request")
	other.Golden("transfer/contact-request-pending", transferContactReq("request", "reg-1", "contact-pw-1", "CTR-06"))
	other.Golden("transfer/contact-query", transferContactReq("query", "reg-1", "-", "CTR-07"))
	other.Golden("transfer/contact-approve-notsponsor", transferContactReq("approve", "reg-1", "-", "CTR-08"))
	acme.Golden("poll/req-contact-transfer", pollReq("POLL-10"))
	clock.Advance(time.Hour)
	resp = acme.Golden("transfer/contact-reject", transferContactReq("reject", "reg-1", "-", "CTR-09"))
	transferWant(t, resp, 1000, "reject")
	transferWant(t, other.Do(transferContactReq("request", "reg-1", "contact-pw-1", "CTR-10")), 1001, "request again")
	resp = other.Golden("transfer/contact-cancel", transferContactReq("cancel", "reg-1", "-", "CTR-11"))
	transferWant(t, resp, 1000, "cancel")
	transferWant(t, other.Do(transferContactReq("request", "reg-1", "contact-pw-1", "CTR-12")), 1001, "request a third time")
	resp = acme.Golden("transfer/contact-approve", transferContactReq("approve", "reg-1", "-", "CTR-13"))
	transferWant(t, resp, 1000, "approve")
	var c *registry.Contact
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) (err error) {
		c, err = tx.Contact(ctx, "reg-1")
		return err
	})
	if c.SponsorClID != "other" || c.AuthInfo == "contact-pw-1" || !c.TransferredAt.Equal(clock.Now()) {
		t.Errorf("after approval: sponsor %s authInfo %q trDate %v", c.SponsorClID, c.AuthInfo, c.TransferredAt)
	}
}

// Two resellers request the same domain at once: exactly one gets it
// pending, the other is told a transfer is pending.
func TestTransferConcurrentRequests(t *testing.T) {
	e := transferSetup(t, sqltest.Postgres(t))
	h, clock := e.h, e.clock
	names := []string{"race1.test", "race2.test", "race3.test", "race4.test", "race5.test"}
	transferObjects(t, h, clock.Now().Add(-100*transferDay), names...)
	other, third := e.other, e.third
	for _, n := range names {
		codes := make([]int, 2)
		errs := make([]error, 2)
		var start, done sync.WaitGroup
		start.Add(1)
		for i, c := range []*epptest.Client{other, third} {
			done.Go(func() {
				start.Wait()
				if err := c.Write(transferDomainReq("request", n, "", "domain-pw-1", "RACE-1")); err != nil {
					errs[i] = err
					return
				}
				b, err := c.Read()
				codes[i], errs[i] = epptest.Code(b), err
			})
		}
		start.Done()
		done.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if !(codes[0] == 1001 && codes[1] == 2300 || codes[0] == 2300 && codes[1] == 1001) {
			t.Errorf("%s: codes %v, want one 1001 and one 2300", n, codes)
		}
		d := transferDomainOf(t, h, n)
		winner := "other"
		if codes[1] == 1001 {
			winner = "third"
		}
		if d.Transfer == nil || d.Transfer.GainingClID != winner {
			t.Errorf("%s: transfer %+v, want one by %s", n, d.Transfer, winner)
		}
	}
	// acme was told of each request once.
	var count int
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) (err error) {
		_, count, err = tx.FirstMessage(ctx, "acme")
		return err
	})
	if count != len(names) {
		t.Errorf("acme has %d messages, want %d", count, len(names))
	}
}
