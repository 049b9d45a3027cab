package registry

import (
	"fmt"
	"slices"
	"strings"
)

// The authorisation matrix: who may do what to a domain, by the domain's
// management model and the roles resellers hold on it (DOMAIN.md section
// 2). Every channel asks Authorize before acting; AUTHORIZATION.md is the
// same matrix for resellers to read, and a test keeps the two in step.
//
// Authorize answers only who may act. Whether the domain's state allows the
// act (statuses, an outstanding bill, grace periods) is the flow's check,
// made after this one and answered with 2304, not 2201.

// Model is a domain's management model.
type Model string

// Management models.
const (
	// ModelRegistrant: the registrant handles the domain with the registry
	// directly and the registry bills the payer; resellers act only in the
	// roles they hold.
	ModelRegistrant Model = "registrant"
	// ModelReseller: with the registrant's recorded consent, the reseller
	// of record handles the domain and pays for it from its balance.
	ModelReseller Model = "reseller"
)

// Role is what a reseller is to a domain.
type Role string

// Roles.
const (
	// RolePayer is the billing contact of a registrant-managed domain.
	RolePayer Role = "payer"
	// RoleProxy is the admin contact (Danish fuldmægtig) of a
	// registrant-managed domain.
	RoleProxy Role = "proxy"
	// RoleNSAdmin is the tech contact (name-server admin) of a
	// registrant-managed domain.
	RoleNSAdmin Role = "ns-admin"
	// RoleResellerOfRecord is the reseller handling a reseller-managed
	// domain.
	RoleResellerOfRecord Role = "reseller-of-record"
	// RoleNone names the absence of any role, for documents and metrics;
	// RolesOf never returns it.
	RoleNone Role = "none"
)

// Action is something a reseller asks to do to a domain over EPP.
type Action string

// Actions, in the order AUTHORIZATION.md lists them.
const (
	// ActionInfoPublic: check the domain and see its public data.
	ActionInfoPublic Action = "info-public"
	// ActionInfoFull: see all the domain's data (contacts, dates).
	ActionInfoFull Action = "info-full"
	// ActionRenew: renew the domain, paying from the reseller's balance.
	ActionRenew Action = "renew"
	// ActionRestore: restore a deleted domain (RFC 3915).
	ActionRestore Action = "restore"
	// ActionPay: settle the domain's open bill.
	ActionPay Action = "pay"
	// ActionUpdateNS: change the domain's name servers.
	ActionUpdateNS Action = "update-ns"
	// ActionUpdateDNSSEC: change the domain's DNSSEC data.
	ActionUpdateDNSSEC Action = "update-dnssec"
	// ActionUpdateContactData: update the registrant's contact data that
	// is not registry-locked (address, phone, e-mail).
	ActionUpdateContactData Action = "update-contact-data"
	// ActionUpdateLockedContactData: change the holder's name or identity
	// number.
	ActionUpdateLockedContactData Action = "update-locked-contact-data"
	// ActionChangeRegistrant: point the domain at another registrant (a
	// change of holder).
	ActionChangeRegistrant Action = "change-registrant"
	// ActionReplacePayer: replace the domain's billing contact.
	ActionReplacePayer Action = "replace-payer"
	// ActionReplaceProxy: replace the domain's admin contact.
	ActionReplaceProxy Action = "replace-proxy"
	// ActionReplaceNSAdmin: replace the domain's tech contact.
	ActionReplaceNSAdmin Action = "replace-ns-admin"
	// ActionChangePeriod: change the registration period the next bill or
	// renewal covers.
	ActionChangePeriod Action = "change-period"
	// ActionUpdateStatus: add or remove client statuses.
	ActionUpdateStatus Action = "update-status"
	// ActionUpdateAuthInfo: set the domain's authorisation information.
	ActionUpdateAuthInfo Action = "update-auth-info"
	// ActionDelete: delete the domain (end the right of use).
	ActionDelete Action = "delete"
	// ActionTransfer: as the losing side, approve or reject a request to
	// transfer the domain to another reseller. Requesting a transfer is
	// authorised by the domain's authorisation information, not by a role.
	ActionTransfer Action = "transfer"
	// ActionChangeModelToReseller: move the domain to reseller management.
	ActionChangeModelToReseller Action = "change-model-to-reseller"
	// ActionChangeModelToRegistrant: move the domain to registrant
	// management.
	ActionChangeModelToRegistrant Action = "change-model-to-registrant"
)

// Decision codes: short labels for metrics and logs.
const (
	// AuthzAllowed: the action is allowed.
	AuthzAllowed = "allowed"
	// AuthzNotResellerOfRecord: the domain is reseller-managed and the
	// actor is not its reseller of record.
	AuthzNotResellerOfRecord = "not_reseller_of_record"
	// AuthzRoleMissing: the domain is registrant-managed and the actor
	// lacks every role that allows the action.
	AuthzRoleMissing = "role_missing"
	// AuthzRegistrantOnly: the domain is registrant-managed and no
	// reseller role allows the action: the registrant acts directly.
	AuthzRegistrantOnly = "registrant_only"
	// AuthzRegistryLocked: the data is registry-locked (holder name,
	// identity number).
	AuthzRegistryLocked = "registry_locked"
	// AuthzOperatorOnly: only the registry (or the registrant through
	// self-service) may do this; for a change of registrant, the reseller
	// of record of a reseller-managed domain too.
	AuthzOperatorOnly = "operator_only"
	// AuthzConsentRequired: the action needs the registrant's consent and
	// is not a reseller's decision.
	AuthzConsentRequired = "consent_required"
	// AuthzNoActor: no reseller is named.
	AuthzNoActor = "no_actor"
	// AuthzUnknownModel: the domain's model is neither of the two.
	AuthzUnknownModel = "unknown_model"
	// AuthzUnknownAction: the action is not one of the Action values.
	AuthzUnknownAction = "unknown_action"
)

// Subject is what Authorize needs to know of a domain.
type Subject struct {
	Model Model
	// ResellerOfRecord is the clID of the reseller handling a
	// reseller-managed domain; ignored under ModelRegistrant.
	ResellerOfRecord string
	// Roles maps a reseller's clID to the roles it holds on a
	// registrant-managed domain (RolePayer, RoleProxy, RoleNSAdmin; others
	// are ignored); ignored under ModelReseller.
	Roles map[string][]Role
}

// Decision is Authorize's answer.
type Decision struct {
	Allow bool
	// Reason says, for a person, why the action is refused (EPP 2201);
	// empty when allowed.
	Reason string
	// Code is one of the Authz codes.
	Code string
}

// actionRule is one row of the matrix.
type actionRule struct {
	// what completes "may ...": a phrase for reasons.
	what string
	// fixed, when set, refuses every reseller in both models with that
	// code and fixedReason.
	fixed       string
	fixedReason string
	// byRoles are the roles that allow the action on a registrant-managed
	// domain; none means only the registrant may. The reseller of record
	// of a reseller-managed domain may do every action not fixed.
	byRoles []Role
	// registrantReason, when set, replaces the usual reason for refusing
	// an action no role allows.
	registrantReason string
	// othersFixed, when set, refuses with that code and othersReason
	// every reseller but the reseller of record of a reseller-managed
	// domain, in both models.
	othersFixed  string
	othersReason string
}

var authzRules = map[Action]actionRule{
	ActionInfoPublic:        {what: "see the domain's public data"},
	ActionInfoFull:          {what: "see all the domain's data", byRoles: []Role{RolePayer, RoleProxy, RoleNSAdmin}},
	ActionRenew:             {what: "renew the domain", byRoles: []Role{RolePayer}},
	ActionRestore:           {what: "restore the domain", byRoles: []Role{RolePayer}},
	ActionPay:               {what: "pay the domain's open bill", byRoles: []Role{RolePayer}},
	ActionUpdateNS:          {what: "change the domain's name servers", byRoles: []Role{RoleProxy, RoleNSAdmin}},
	ActionUpdateDNSSEC:      {what: "change the domain's DNSSEC data", byRoles: []Role{RoleProxy}},
	ActionUpdateContactData: {what: "update the registrant's contact data"},
	ActionUpdateLockedContactData: {
		what:        "change the holder's name or identity number",
		fixed:       AuthzRegistryLocked,
		fixedReason: "the holder's name and identity number are registry-locked: they change only by a change of holder, which the registry carries out",
	},
	ActionChangeRegistrant: {
		what:        "change the domain's registrant",
		othersFixed: AuthzOperatorOnly,
		othersReason: "only the reseller of record of a reseller-managed domain, on the registrant's behalf, or the registry " +
			"may change a domain's registrant (a change of holder)",
	},
	ActionReplacePayer: {what: "replace the domain's payer", byRoles: []Role{RoleProxy}},
	ActionReplaceProxy: {
		what: "replace the domain's proxy",
		registrantReason: "the domain is registrant-managed: only the registrant appoints its proxy (admin contact), " +
			"directly with the registry",
	},
	ActionReplaceNSAdmin: {what: "replace the domain's name-server admin", byRoles: []Role{RoleProxy}},
	ActionChangePeriod:   {what: "change the domain's registration period", byRoles: []Role{RolePayer, RoleProxy}},
	ActionUpdateStatus:   {what: "set or remove the domain's client statuses"},
	ActionUpdateAuthInfo: {what: "change the domain's authorisation information"},
	ActionDelete:         {what: "delete the domain"},
	ActionTransfer: {
		what:             "transfer the domain to another reseller",
		registrantReason: "the domain is registrant-managed: it has no reseller of record to transfer it from; a reseller takes it over only when the registrant consents to reseller management",
	},
	ActionChangeModelToReseller: {
		what:        "move the domain to reseller management",
		fixed:       AuthzConsentRequired,
		fixedReason: "a domain moves to reseller management only with the registrant's active consent, which the registry records; a reseller cannot make the move itself",
	},
	ActionChangeModelToRegistrant: {
		what:        "move the domain to registrant management",
		fixed:       AuthzOperatorOnly,
		fixedReason: "only the registrant (through self-service) or the registry can move a domain to registrant management",
	},
}

// Authorize decides whether the reseller actorClID, or the registry
// operator when operator is set, may take action on the domain described by
// s. The operator may take every action; an unknown action is refused to
// everyone.
func Authorize(actorClID string, operator bool, action Action, s Subject) Decision {
	rule, ok := authzRules[action]
	switch {
	case !ok:
		return deny(AuthzUnknownAction, fmt.Sprintf("unknown action %q", action))
	case operator:
		return Decision{Allow: true, Code: AuthzAllowed}
	case actorClID == "":
		return deny(AuthzNoActor, "no reseller is named as the actor")
	case action == ActionInfoPublic:
		return Decision{Allow: true, Code: AuthzAllowed}
	case rule.fixed != "":
		return deny(rule.fixed, rule.fixedReason)
	}
	switch s.Model {
	case ModelReseller:
		if actorClID == s.ResellerOfRecord {
			return Decision{Allow: true, Code: AuthzAllowed}
		}
		if rule.othersFixed != "" {
			return deny(rule.othersFixed, rule.othersReason)
		}
		return deny(AuthzNotResellerOfRecord,
			"the domain is reseller-managed: only its reseller of record may "+rule.what)
	case ModelRegistrant:
		if rule.othersFixed != "" {
			return deny(rule.othersFixed, rule.othersReason)
		}
		held := RolesOf(actorClID, s)
		for _, r := range rule.byRoles {
			if slices.Contains(held, r) {
				return Decision{Allow: true, Code: AuthzAllowed}
			}
		}
		if rule.registrantReason != "" {
			return deny(AuthzRegistrantOnly, rule.registrantReason)
		}
		if len(rule.byRoles) == 0 {
			return deny(AuthzRegistrantOnly,
				"the domain is registrant-managed: only the registrant may "+rule.what+", directly with the registry")
		}
		return deny(AuthzRoleMissing, fmt.Sprintf(
			"the domain is registrant-managed: to %s a reseller must be its %s; %s",
			rule.what, roleList(rule.byRoles, "or"), heldList(held)))
	default:
		return deny(AuthzUnknownModel, fmt.Sprintf("the domain's management model %q is unknown", s.Model))
	}
}

// RolesOf returns the roles actorClID holds on the domain described by s,
// in the order payer, proxy, NS admin (registrant-managed) or the reseller
// of record role (reseller-managed); nil when it holds none.
func RolesOf(actorClID string, s Subject) []Role {
	if actorClID == "" {
		return nil
	}
	switch s.Model {
	case ModelReseller:
		if actorClID == s.ResellerOfRecord {
			return []Role{RoleResellerOfRecord}
		}
	case ModelRegistrant:
		var held []Role
		for _, r := range []Role{RolePayer, RoleProxy, RoleNSAdmin} {
			if slices.Contains(s.Roles[actorClID], r) {
				held = append(held, r)
			}
		}
		return held
	}
	return nil
}

func deny(code, reason string) Decision {
	return Decision{Code: code, Reason: reason}
}

// roleNames are the roles as reasons name them.
var roleNames = map[Role]string{
	RolePayer:            "payer (billing contact)",
	RoleProxy:            "proxy (admin contact)",
	RoleNSAdmin:          "name-server admin (tech contact)",
	RoleResellerOfRecord: "reseller of record",
}

// roleList joins role names: "payer", "payer or proxy", "a, b or c".
func roleList(roles []Role, conj string) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = roleNames[r]
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

func heldList(held []Role) string {
	if len(held) == 0 {
		return "you hold no role on it"
	}
	return "you are only its " + roleList(held, "and")
}
