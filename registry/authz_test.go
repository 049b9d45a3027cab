package registry

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The matrix's columns: who asks, about which domain.
type authzColumn struct {
	name     string // as AUTHORIZATION.md's header names it
	actor    string
	operator bool
	subject  Subject
}

// authzColumns puts the actor "me" in each position. Other resellers hold
// the remaining roles, so that a role is seen to count only for its holder.
var authzColumns = []authzColumn{
	{
		name:    "reseller-managed: reseller of record",
		actor:   "me",
		subject: Subject{Model: ModelReseller, ResellerOfRecord: "me"},
	},
	{
		name:    "reseller-managed: other reseller",
		actor:   "me",
		subject: Subject{Model: ModelReseller, ResellerOfRecord: "them"},
	},
	{
		name:  "registrant-managed: payer",
		actor: "me",
		subject: Subject{Model: ModelRegistrant, Roles: map[string][]Role{
			"me": {RolePayer}, "them": {RoleProxy, RoleNSAdmin},
		}},
	},
	{
		name:  "registrant-managed: proxy",
		actor: "me",
		subject: Subject{Model: ModelRegistrant, Roles: map[string][]Role{
			"me": {RoleProxy}, "them": {RolePayer, RoleNSAdmin},
		}},
	},
	{
		name:  "registrant-managed: NS admin",
		actor: "me",
		subject: Subject{Model: ModelRegistrant, Roles: map[string][]Role{
			"me": {RoleNSAdmin}, "them": {RolePayer, RoleProxy},
		}},
	},
	{
		name:  "registrant-managed: no role",
		actor: "me",
		subject: Subject{Model: ModelRegistrant, Roles: map[string][]Role{
			"them": {RolePayer, RoleProxy, RoleNSAdmin},
		}},
	},
	{
		name:     "operator",
		operator: true,
		subject:  Subject{Model: ModelRegistrant, Roles: map[string][]Role{"them": {RolePayer}}},
	},
}

// Expected decision codes, spelt out here rather than taken from the
// package's constants.
const (
	yes = "allowed"
	nrr = "not_reseller_of_record"
	rm  = "role_missing"
	reg = "registrant_only"
	lck = "registry_locked"
	opr = "operator_only"
	cns = "consent_required"
)

// authzExpected is the matrix, column by column as authzColumns: reseller
// of record, other reseller | payer, proxy, NS admin, no role | operator.
var authzExpected = []struct {
	action Action
	want   [7]string
}{
	{ActionInfoPublic, [7]string{yes, yes, yes, yes, yes, yes, yes}},
	{ActionInfoFull, [7]string{yes, nrr, yes, yes, yes, rm, yes}},
	{ActionRenew, [7]string{yes, nrr, yes, rm, rm, rm, yes}},
	{ActionRestore, [7]string{yes, nrr, yes, rm, rm, rm, yes}},
	{ActionPay, [7]string{yes, nrr, yes, rm, rm, rm, yes}},
	{ActionUpdateNS, [7]string{yes, nrr, rm, yes, yes, rm, yes}},
	{ActionUpdateDNSSEC, [7]string{yes, nrr, rm, yes, rm, rm, yes}},
	{ActionUpdateContactData, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionUpdateLockedContactData, [7]string{lck, lck, lck, lck, lck, lck, yes}},
	{ActionChangeRegistrant, [7]string{yes, opr, opr, opr, opr, opr, yes}},
	{ActionReplacePayer, [7]string{yes, nrr, rm, yes, rm, rm, yes}},
	{ActionReplaceProxy, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionReplaceNSAdmin, [7]string{yes, nrr, rm, yes, rm, rm, yes}},
	{ActionChangePeriod, [7]string{yes, nrr, yes, yes, rm, rm, yes}},
	{ActionUpdateStatus, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionUpdateAuthInfo, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionDelete, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionTransfer, [7]string{yes, nrr, reg, reg, reg, reg, yes}},
	{ActionChangeModelToReseller, [7]string{cns, cns, cns, cns, cns, cns, yes}},
	{ActionChangeModelToRegistrant, [7]string{opr, opr, opr, opr, opr, opr, yes}},
}

func TestAuthorizeMatrix(t *testing.T) {
	if len(authzExpected) != len(authzRules) {
		t.Fatalf("the expected matrix has %d actions, Authorize knows %d", len(authzExpected), len(authzRules))
	}
	for _, row := range authzExpected {
		if _, ok := authzRules[row.action]; !ok {
			t.Fatalf("Authorize does not know %q", row.action)
		}
		for i, col := range authzColumns {
			t.Run(string(row.action)+"/"+col.name, func(t *testing.T) {
				d := Authorize(col.actor, col.operator, row.action, col.subject)
				checkDecision(t, d, row.want[i])
			})
		}
	}
}

// checkDecision checks d against an expected code, and that a refusal has a
// reason and an allowance none.
func checkDecision(t *testing.T, d Decision, want string) {
	t.Helper()
	if d.Allow != (want == yes) || d.Code != want {
		t.Errorf("got allow=%v code=%q (%s), want %q", d.Allow, d.Code, d.Reason, want)
	}
	if d.Allow && d.Reason != "" {
		t.Errorf("allowed with reason %q", d.Reason)
	}
	if !d.Allow && strings.TrimSpace(d.Reason) == "" {
		t.Errorf("refused (%s) without a reason", d.Code)
	}
}

func TestAuthorizeRolesUnion(t *testing.T) {
	union := func(roles ...Role) Subject {
		return Subject{Model: ModelRegistrant, Roles: map[string][]Role{"me": roles}}
	}
	tests := []struct {
		roles []Role
		want  map[Action]string
	}{
		{[]Role{RolePayer, RoleNSAdmin}, map[Action]string{
			ActionRenew: yes, ActionUpdateNS: yes, ActionChangePeriod: yes, ActionInfoFull: yes,
			ActionUpdateDNSSEC: rm, ActionReplacePayer: rm, ActionDelete: reg,
		}},
		{[]Role{RoleProxy, RolePayer}, map[Action]string{
			ActionRenew: yes, ActionPay: yes, ActionUpdateNS: yes, ActionUpdateDNSSEC: yes,
			ActionReplacePayer: yes, ActionChangePeriod: yes, ActionUpdateContactData: reg, ActionChangeRegistrant: opr,
		}},
		// Listing a role twice, or in another order, changes nothing.
		{[]Role{RoleNSAdmin, RoleNSAdmin, RoleProxy}, map[Action]string{
			ActionUpdateNS: yes, ActionUpdateDNSSEC: yes, ActionRenew: rm,
		}},
	}
	for _, tt := range tests {
		for action, want := range tt.want {
			t.Run(string(action), func(t *testing.T) {
				checkDecision(t, Authorize("me", false, action, union(tt.roles...)), want)
			})
		}
	}
	if got := RolesOf("me", union(RoleNSAdmin, RolePayer, RoleNSAdmin, RoleProxy)); !slices.Equal(got, []Role{RolePayer, RoleProxy, RoleNSAdmin}) {
		t.Errorf("RolesOf = %v, want payer, proxy, ns-admin", got)
	}
}

func TestAuthorizeResellerOfRecordMeansNothingUnderRegistrant(t *testing.T) {
	// A stale reseller of record on a registrant-managed domain (say, from
	// before a move back to registrant management) gets no more than a
	// reseller with no role; stray roles in the map count for nothing.
	stale := Subject{Model: ModelRegistrant, ResellerOfRecord: "me",
		Roles: map[string][]Role{"me": {RoleResellerOfRecord, RoleNone}}}
	none := Subject{Model: ModelRegistrant}
	for _, row := range authzExpected {
		got, want := Authorize("me", false, row.action, stale), Authorize("me", false, row.action, none)
		if got != want {
			t.Errorf("%s: got %+v, want %+v as with no role", row.action, got, want)
		}
	}
	if roles := RolesOf("me", stale); len(roles) != 0 {
		t.Errorf("RolesOf = %v, want none", roles)
	}
}

func TestAuthorizeRolesDoNotCountUnderReseller(t *testing.T) {
	// Contact roles on a reseller-managed domain give another reseller
	// nothing: the reseller of record handles the domain.
	s := Subject{Model: ModelReseller, ResellerOfRecord: "them",
		Roles: map[string][]Role{"me": {RolePayer, RoleProxy, RoleNSAdmin}}}
	for _, row := range authzExpected {
		checkDecision(t, Authorize("me", false, row.action, s), row.want[1])
	}
	if roles := RolesOf("me", s); len(roles) != 0 {
		t.Errorf("RolesOf = %v, want none", roles)
	}
	if roles := RolesOf("them", s); !slices.Equal(roles, []Role{RoleResellerOfRecord}) {
		t.Errorf("RolesOf(reseller of record) = %v", roles)
	}
}

func TestAuthorizeOperatorAlwaysAllowed(t *testing.T) {
	subjects := []Subject{
		{Model: ModelReseller, ResellerOfRecord: "them"},
		{Model: ModelRegistrant},
		{Model: ModelRegistrant, Roles: map[string][]Role{"me": {RolePayer}}},
		{}, // even a domain whose model is missing
	}
	for _, s := range subjects {
		for _, row := range authzExpected {
			for _, actor := range []string{"", "me"} {
				if d := Authorize(actor, true, row.action, s); !d.Allow || d.Code != yes {
					t.Errorf("operator (actor %q), %s on %+v: %+v", actor, row.action, s, d)
				}
			}
		}
	}
}

func TestAuthorizeFailsClosed(t *testing.T) {
	reseller := Subject{Model: ModelReseller, ResellerOfRecord: ""}
	tests := []struct {
		name     string
		actor    string
		operator bool
		action   Action
		s        Subject
		want     string
	}{
		{"unknown action", "me", false, "transfer-in", reseller, "unknown_action"},
		{"unknown action, operator", "", true, "", reseller, "unknown_action"},
		{"no actor does not match an empty reseller of record", "", false, ActionRenew, reseller, "no_actor"},
		{"no actor, public info", "", false, ActionInfoPublic, reseller, "no_actor"},
		{"no actor does not match an empty role holder", "", false, ActionUpdateNS,
			Subject{Model: ModelRegistrant, Roles: map[string][]Role{"": {RoleProxy}}}, "no_actor"},
		{"unknown model", "me", false, ActionRenew, Subject{Model: "shared", ResellerOfRecord: "me"}, "unknown_model"},
		{"missing model", "me", false, ActionUpdateNS, Subject{Roles: map[string][]Role{"me": {RoleProxy}}}, "unknown_model"},
		{"unknown model, public info", "me", false, ActionInfoPublic, Subject{Model: "shared"}, yes},
		{"unknown model, locked data", "me", false, ActionUpdateLockedContactData, Subject{Model: "shared"}, lck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, Authorize(tt.actor, tt.operator, tt.action, tt.s), tt.want)
		})
	}
}

func TestAuthorizeReasons(t *testing.T) {
	// A refused role holder learns which role would do, and what it holds.
	proxy := Subject{Model: ModelRegistrant, Roles: map[string][]Role{"me": {RoleProxy}}}
	d := Authorize("me", false, ActionRenew, proxy)
	for _, part := range []string{"registrant-managed", "renew", "payer", "only its proxy"} {
		if !strings.Contains(d.Reason, part) {
			t.Errorf("reason %q does not mention %q", d.Reason, part)
		}
	}
	d = Authorize("me", false, ActionUpdateNS, Subject{Model: ModelRegistrant})
	for _, part := range []string{"proxy", "name-server admin", "no role"} {
		if !strings.Contains(d.Reason, part) {
			t.Errorf("reason %q does not mention %q", d.Reason, part)
		}
	}
	d = Authorize("me", false, ActionDelete, Subject{Model: ModelReseller, ResellerOfRecord: "them"})
	if !strings.Contains(d.Reason, "reseller of record") || !strings.Contains(d.Reason, "delete") {
		t.Errorf("reason %q", d.Reason)
	}
}

func TestRolesOf(t *testing.T) {
	tests := []struct {
		name  string
		actor string
		s     Subject
		want  []Role
	}{
		{"reseller of record", "me", Subject{Model: ModelReseller, ResellerOfRecord: "me"}, []Role{RoleResellerOfRecord}},
		{"other reseller", "me", Subject{Model: ModelReseller, ResellerOfRecord: "them"}, nil},
		{"clIDs are case-sensitive", "ME", Subject{Model: ModelReseller, ResellerOfRecord: "me"}, nil},
		{"empty actor", "", Subject{Model: ModelReseller}, nil},
		{"payer", "me", Subject{Model: ModelRegistrant, Roles: map[string][]Role{"me": {RolePayer}}}, []Role{RolePayer}},
		{"no role", "me", Subject{Model: ModelRegistrant, Roles: map[string][]Role{"them": {RolePayer}}}, nil},
		{"nil roles", "me", Subject{Model: ModelRegistrant}, nil},
		{"unknown model", "me", Subject{Model: "x", ResellerOfRecord: "me"}, nil},
	}
	for _, tt := range tests {
		if got := RolesOf(tt.actor, tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("%s: RolesOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestAuthorizationDocument reads the matrix in AUTHORIZATION.md and checks
// every cell against Authorize, so that the document resellers read says
// what the server does.
func TestAuthorizationDocument(t *testing.T) {
	f, err := os.Open("AUTHORIZATION.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	cells := func(line string) []string {
		parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	actionCell := regexp.MustCompile("^`([a-z-]+)`")
	refusal := regexp.MustCompile(`^no \(([a-z_]+)\)$`)

	var header []string
	columns := map[int]authzColumn{}
	seen := map[Action]bool{}
	inTable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case header == nil && strings.HasPrefix(line, "| action |"):
			header = cells(line)
			for i, h := range header[1:] {
				j := slices.IndexFunc(authzColumns, func(c authzColumn) bool { return c.name == h })
				if j < 0 {
					t.Fatalf("AUTHORIZATION.md: unknown column %q", h)
				}
				columns[i+1] = authzColumns[j]
			}
			if len(columns) != len(authzColumns) {
				t.Fatalf("AUTHORIZATION.md: %d columns, want %d", len(columns), len(authzColumns))
			}
			inTable = true
		case inTable && strings.HasPrefix(line, "| ---"):
		case inTable && strings.HasPrefix(line, "|"):
			row := cells(line)
			if len(row) != len(header) {
				t.Errorf("AUTHORIZATION.md: row %q has %d cells, want %d", line, len(row), len(header))
				continue
			}
			m := actionCell.FindStringSubmatch(row[0])
			if m == nil {
				t.Errorf("AUTHORIZATION.md: row %q does not start with an action in backquotes", row[0])
				continue
			}
			action := Action(m[1])
			if seen[action] {
				t.Errorf("AUTHORIZATION.md: %s listed twice", action)
			}
			seen[action] = true
			for i, cell := range row[1:] {
				col := columns[i+1]
				d := Authorize(col.actor, col.operator, action, col.subject)
				switch mm := refusal.FindStringSubmatch(cell); {
				case cell == "yes":
					if !d.Allow {
						t.Errorf("AUTHORIZATION.md says %s is allowed to %q; Authorize refuses (%s)", action, col.name, d.Code)
					}
				case mm != nil:
					if d.Allow || d.Code != mm[1] {
						t.Errorf("AUTHORIZATION.md says %s is refused to %q with %s; Authorize: allow=%v code=%s", action, col.name, mm[1], d.Allow, d.Code)
					}
				default:
					t.Errorf("AUTHORIZATION.md: cell %q (%s, %q) is neither \"yes\" nor \"no (code)\"", cell, action, col.name)
				}
			}
		case inTable:
			inTable = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if header == nil {
		t.Fatal("AUTHORIZATION.md has no table starting \"| action |\"")
	}
	for action := range authzRules {
		if !seen[action] {
			t.Errorf("AUTHORIZATION.md does not list %s", action)
		}
	}
}

// TestDomainChangeActions: every field of DomainChange is an action of the
// matrix, so that no part of an update escapes the policy; contacts by
// their role.
func TestDomainChangeActions(t *testing.T) {
	typ := reflect.TypeFor[DomainChange]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		var c DomainChange
		v := reflect.ValueOf(&c).Elem().Field(i)
		switch f.Type.Kind() {
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			v.Set(reflect.New(f.Type.Elem()))
		case reflect.Slice:
			v.Set(reflect.MakeSlice(f.Type, 1, 1))
			if f.Type.Elem() == reflect.TypeFor[DomainContact]() {
				v.Index(0).Set(reflect.ValueOf(DomainContact{Type: "tech", ID: "x"}))
			}
		default:
			t.Fatalf("DomainChange.%s: no test value for kind %s", f.Name, f.Type.Kind())
		}
		actions := domainChangeActions(&c)
		if len(actions) != 1 {
			t.Errorf("DomainChange.%s: actions %v, want one", f.Name, actions)
			continue
		}
		if _, ok := authzRules[actions[0]]; !ok {
			t.Errorf("DomainChange.%s is not named as an action of the matrix (got %q): add it to domainChangeActions", f.Name, actions[0])
		}
	}
	for typ, want := range map[string]Action{"billing": ActionReplacePayer, "admin": ActionReplaceProxy, "tech": ActionReplaceNSAdmin} {
		got := domainChangeActions(&DomainChange{RemContacts: []DomainContact{{Type: typ, ID: "x"}}})
		if !slices.Equal(got, []Action{want}) {
			t.Errorf("removing a %s contact: %v, want %s", typ, got, want)
		}
	}
	all := DomainChange{AddNS: []string{"a"}, RemDS: []DSData{{}}, AddStatuses: []string{"x"}, AuthInfo: new("x"),
		Registrant: new("x"), AddContacts: []DomainContact{{Type: "admin"}, {Type: "billing"}}, RemContacts: []DomainContact{{Type: "tech"}}}
	want := []Action{ActionUpdateNS, ActionUpdateDNSSEC, ActionUpdateStatus, ActionUpdateAuthInfo, ActionChangeRegistrant,
		ActionReplacePayer, ActionReplaceProxy, ActionReplaceNSAdmin}
	if got := domainChangeActions(&all); !slices.Equal(got, want) {
		t.Errorf("every change: %v, want %v", got, want)
	}
	if got := Authorize("me", true, domainChangeActions(&DomainChange{})[0], Subject{Model: ModelReseller}); got.Allow {
		t.Errorf("an update the policy cannot name is allowed: %+v", got)
	}
}
