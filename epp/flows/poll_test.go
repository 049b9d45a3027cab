package flows_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// pollCmd builds a <poll> with the given attributes, such as `op="req"`.
func pollCmd(attrs, clTRID string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <poll` + attrs + `/>
    <clTRID>` + clTRID + `</clTRID>
  </command>
</epp>`
}

func pollReq(clTRID string) string { return pollCmd(` op="req"`, clTRID) }

func pollAck(id, clTRID string) string { return pollCmd(` op="ack" msgID="`+id+`"`, clTRID) }

var pollMsgQRE = regexp.MustCompile(`<msgQ count="(\d+)" id="([^"]+)"`)

// pollQueue returns the msgQ count and id of a response, or -1 and "" when
// it has none.
func pollQueue(resp []byte) (int, string) {
	m := pollMsgQRE.FindSubmatch(resp)
	if m == nil {
		return -1, ""
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, string(m[2])
}

// pollDrain reads and acknowledges c's messages, and returns the transfer
// status each carries ("" for one without).
func pollDrain(t *testing.T, c *epptest.Client) []string {
	t.Helper()
	var out []string
	for i := 0; ; i++ {
		resp := c.Do(pollReq("DRAIN-" + strconv.Itoa(i)))
		if epptest.Code(resp) == 1300 {
			return out
		}
		transferWant(t, resp, 1301, "poll req")
		_, id := pollQueue(resp)
		out = append(out, transferField(resp, "trStatus"))
		transferWant(t, c.Do(pollAck(id, "DRAIN-ACK")), 1000, "poll ack")
	}
}

// pollEnqueue queues messages directly in the store.
func pollEnqueue(t *testing.T, h *epptest.Harness, ms ...*registry.PollMessage) {
	t.Helper()
	transferStoreTx(t, h, func(ctx context.Context, tx registry.Tx) error {
		for _, m := range ms {
			if err := tx.EnqueueMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func pollJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPollCommands(t *testing.T) {
	e := transferSetup(t, "")
	h, clock := e.h, e.clock
	acme, other := e.acme, e.other
	acme.Golden("poll/req-empty", pollReq("POLL-20"))
	acme.Golden("poll/no-op", pollCmd("", "POLL-21"))
	acme.Golden("poll/bad-op", pollCmd(` op="peek"`, "POLL-22"))
	acme.Golden("poll/ack-no-msgid", pollCmd(` op="ack"`, "POLL-23"))
	acme.Golden("poll/ack-unknown", pollAck("4711", "POLL-24"))
	acme.Golden("poll/ack-not-a-number", pollAck("abc", "POLL-25"))

	now := clock.Now()
	tr := registry.Transfer{Status: registry.TransferPending, GainingClID: "other", RequestedAt: now.Add(-time.Hour),
		LosingClID: "acme", ActBy: now.Add(5 * transferDay)}
	pollEnqueue(t, h,
		&registry.PollMessage{RecipientID: "acme", QueuedAt: now, Msg: "Welcome to the registry"},
		&registry.PollMessage{RecipientID: "other", QueuedAt: now, Msg: "For other"},
		&registry.PollMessage{RecipientID: "acme", QueuedAt: now.Add(time.Minute), Msg: "Domain gone.test was purged",
			Kind: registry.PollPAN, Data: pollJSON(t, registry.PANNotice{Object: registry.ObjectDomain, Name: "gone.test",
				Result: true, ClTRID: "DEL-1", SvTRID: "SV-DEL-1", Date: now.Add(time.Minute)})},
		&registry.PollMessage{RecipientID: "acme", QueuedAt: now.Add(2 * time.Minute), Msg: "Transfer of contact c-1 requested by other",
			Kind: registry.PollTransfer, Data: pollJSON(t, registry.TransferNotice{Object: registry.ObjectContact, Name: "c-1", Transfer: tr})},
	)

	// A request shows the oldest message and leaves it queued.
	resp := acme.Golden("poll/req-text", pollReq("POLL-26"))
	n, first := pollQueue(resp)
	if n != 3 || first != "1" {
		t.Fatalf("msgQ count %d id %s, want 3 and 1", n, first)
	}
	if _, again := pollQueue(acme.Do(pollReq("POLL-27"))); again != first {
		t.Errorf("a second request shows message %s, want %s again", again, first)
	}
	// Another reseller's message cannot be acknowledged.
	other.Golden("poll/ack-others", pollAck("1", "POLL-28"))
	resp = acme.Golden("poll/ack", pollAck("1", "POLL-29"))
	if n, next := pollQueue(resp); n != 2 || next != "3" {
		t.Errorf("after ack: count %d id %s, want 2 and the next message, 3", n, next)
	}
	acme.Golden("poll/ack-again", pollAck("1", "POLL-30"))
	acme.Golden("poll/req-pan", pollReq("POLL-31"))
	transferWant(t, acme.Do(pollAck("3", "POLL-32")), 1000, "ack")
	acme.Golden("poll/req-contact-transfer-data", pollReq("POLL-33"))
	resp = acme.Golden("poll/ack-last", pollAck("4", "POLL-34"))
	if n, id := pollQueue(resp); n != 0 || id != "4" {
		t.Errorf("after the last ack: count %d id %s, want 0 and 4", n, id)
	}
	transferWant(t, acme.Do(pollReq("POLL-35")), 1300, "empty queue")
	transferWant(t, other.Do(pollReq("POLL-36")), 1301, "other's queue")
}

// A message about an object whose service the client did not select at
// login is shown as text only.
func TestPollUnselectedService(t *testing.T) {
	h := epptest.NewHarness(t, epptest.Options{Register: flows.Register})
	now := h.Svc.Clock().Now()
	pollEnqueue(t, h, &registry.PollMessage{RecipientID: "acme", QueuedAt: now, Msg: "Transfer of domain x.test requested by other",
		Kind: registry.PollTransfer, Data: pollJSON(t, registry.TransferNotice{Object: registry.ObjectDomain, Name: "x.test",
			Transfer: registry.Transfer{Status: "pending", GainingClID: "other", RequestedAt: now, LosingClID: "acme", ActBy: now}})})
	c := h.Dial(&h.Acme)
	login := strings.Replace(epptest.Login("acme", epptest.AcmePW, "login-1"),
		`<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI>`, "", 1)
	transferWant(t, c.Do(login), 1000, "login without the domain service")
	resp := c.Do(pollReq("POLL-40"))
	transferWant(t, resp, 1301, "poll req")
	if strings.Contains(string(resp), "resData") || !strings.Contains(string(resp), "Transfer of domain x.test") {
		t.Errorf("want the text without resData:\n%s", resp)
	}
}
