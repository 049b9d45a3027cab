package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The glue between the authorisation matrix (Authorize, a pure function)
// and the service's operations on domains: it describes a domain as a
// Subject from inside the operation's transaction, asks Authorize, and
// turns a refusal into a KindForbidden *Error whose cause (a *Refusal) the
// operation reports to Config.OnRefusal once its transaction is over (a
// transaction may run more than once, and must have no effect outside it).
//
// A reseller-managed domain's reseller of record is its sponsor, so that
// for the domains from before the models existed (Model "") the policy
// answers as the sponsor check it replaces did, with the same reasons.

// Refusal is the cause carried by the *Error an operation returns when the
// authorisation policy refuses it: what was refused, and Authorize's
// decision.
type Refusal struct {
	Action   Action
	Decision Decision
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("authorisation policy refused %s (%s)", r.Action, r.Decision.Code)
}

// DomainModel is d's management model, "" read as ModelReseller.
func DomainModel(d *Domain) Model {
	if d.Model == "" {
		return ModelReseller
	}
	return d.Model
}

// roleOfContactType is the role the sponsor of a domain's contact holds on
// a registrant-managed domain, by contact type.
var roleOfContactType = map[string]Role{"billing": RolePayer, "admin": RoleProxy, "tech": RoleNSAdmin}

// domainSubject describes d for Authorize. A reseller-managed domain's
// reseller of record is its sponsor. A registrant-managed domain's roles
// are read from its contacts: the sponsor of each billing, admin and tech
// contact holds the payer, proxy and name-server admin role. Contacts the
// registry sponsors (those of customer accounts) give no reseller a role.
func domainSubject(ctx context.Context, tx Tx, d *Domain) (Subject, error) {
	s := Subject{Model: DomainModel(d)}
	switch s.Model {
	case ModelReseller:
		s.ResellerOfRecord = d.SponsorClID
	case ModelRegistrant:
		sponsors := map[string]string{}
		for _, c := range d.Contacts {
			role, ok := roleOfContactType[c.Type]
			if !ok {
				continue
			}
			sponsor, seen := sponsors[c.ID]
			if !seen {
				ct, err := tx.Contact(ctx, c.ID)
				if err != nil {
					return Subject{}, err
				}
				sponsor = ct.SponsorClID
				sponsors[c.ID] = sponsor
			}
			if sponsor == "" || sponsor == RegistryClID {
				continue
			}
			if s.Roles == nil {
				s.Roles = map[string][]Role{}
			}
			s.Roles[sponsor] = append(s.Roles[sponsor], role)
		}
	}
	return s, nil
}

// decide asks Authorize whether a may take action on the domain s
// describes.
func decide(a Actor, action Action, s Subject) Decision {
	return Authorize(a.ClID, isOperator(a), action, s)
}

// authorizeDomain checks that a may take every one of actions on d,
// stopping at the first refusal, which it returns (see refusal). The
// caller passes the error through s.refused once its transaction is over.
func (s *Service) authorizeDomain(ctx context.Context, tx Tx, a Actor, d *Domain, actions ...Action) error {
	return s.authorizeDomainAs(ctx, tx, a, d, "", actions...)
}

// authorizeDomainAs is authorizeDomain giving legacy as the reason for
// refusing a reseller that is not the reseller of record (see refusal).
func (s *Service) authorizeDomainAs(ctx context.Context, tx Tx, a Actor, d *Domain, legacy string, actions ...Action) error {
	subj, err := domainSubject(ctx, tx, d)
	if err != nil {
		return err
	}
	for _, action := range actions {
		if dec := decide(a, action, subj); !dec.Allow {
			return refusal(d, action, dec, legacy)
		}
	}
	return nil
}

// refusal is the KindForbidden *Error for Authorize's refusal of action on
// d. A refusal to a reseller that is not the reseller of record keeps the
// reason the sponsor check gave before the models existed (legacy, when
// set, else "domain ... is sponsored by another reseller"); any other
// names the domain and gives the decision's reason.
func refusal(d *Domain, action Action, dec Decision, legacy string) error {
	reason := dec.Reason
	switch {
	case dec.Code == AuthzNotResellerOfRecord && legacy != "":
		reason = legacy
	case dec.Code == AuthzNotResellerOfRecord:
		reason = forbidden(d).Error()
	case strings.HasPrefix(reason, "the domain "):
		reason = "domain " + d.Name + " " + strings.TrimPrefix(reason, "the domain ")
	default:
		reason = "domain " + d.Name + ": " + reason
	}
	return &Error{Kind: KindForbidden, Reason: reason, Err: &Refusal{Action: action, Decision: dec}}
}

// refused reports the policy's refusal carried by err, if any, to
// Config.OnRefusal, and returns err.
func (s *Service) refused(err error) error {
	var r *Refusal
	if errors.As(err, &r) {
		s.countRefusal(r)
	}
	return err
}

// countRefusal reports r to Config.OnRefusal.
func (s *Service) countRefusal(r *Refusal) {
	if s.cfg.OnRefusal != nil {
		s.cfg.OnRefusal(string(r.Action), r.Decision.Code)
	}
}

// domainChangeActions decomposes a domain update into the actions of the
// matrix it takes (TestDomainChangeActions checks that every field of
// DomainChange is named), in a fixed order: name servers, DNSSEC, client
// statuses, authorisation information, registrant, then the contacts by
// role (billing: replace-payer, admin: replace-proxy, tech:
// replace-ns-admin).
func domainChangeActions(c *DomainChange) []Action {
	var out []Action
	add := func(yes bool, action Action) {
		if yes {
			out = append(out, action)
		}
	}
	add(len(c.AddNS) > 0 || len(c.RemNS) > 0, ActionUpdateNS)
	add(len(c.AddDS) > 0 || len(c.RemDS) > 0 || c.RemAllDS, ActionUpdateDNSSEC)
	add(len(c.AddStatuses) > 0 || len(c.RemStatuses) > 0, ActionUpdateStatus)
	add(c.AuthInfo != nil, ActionUpdateAuthInfo)
	add(c.Registrant != nil, ActionChangeRegistrant)
	contacts := map[string]bool{}
	for _, ct := range c.AddContacts {
		contacts[ct.Type] = true
	}
	for _, ct := range c.RemContacts {
		contacts[ct.Type] = true
	}
	add(contacts["billing"], ActionReplacePayer)
	add(contacts["admin"], ActionReplaceProxy)
	add(contacts["tech"], ActionReplaceNSAdmin)
	if len(out) == 0 {
		// A change this function does not name (a field added to
		// DomainChange and not here) is an action Authorize does not know,
		// and is refused to everyone: the policy fails closed.
		out = append(out, "update")
	}
	return out
}

// checkLockedContactData refuses a reseller's change of a contact's
// registry-locked data: the postal name or organisation (of any postal
// type) of a contact that is the registrant of a domain. before and after
// are the contact before and after the change, both normalised.
func (s *Service) checkLockedContactData(ctx context.Context, tx Tx, a Actor, before []PostalInfo, after *Contact) error {
	if !postalNamesChanged(before, after.Postal) {
		return nil
	}
	holder, err := tx.ContactIsRegistrant(ctx, after.ID)
	if err != nil || !holder {
		return err
	}
	const action = ActionUpdateLockedContactData
	// The action is refused to every reseller whatever the domain, so no
	// domain needs describing.
	dec := Authorize(a.ClID, isOperator(a), action, Subject{})
	if dec.Allow {
		return nil
	}
	return &Error{
		Kind: KindForbidden,
		Reason: fmt.Sprintf("contact %q is a domain's registrant: its name and organisation are registry-locked and change "+
			"only through the registry, by a change of holder", after.ID),
		Err: &Refusal{Action: action, Decision: dec},
	}
}

// postalNamesChanged reports whether a postal name or organisation differs
// between before and after, a postal type added or removed included.
func postalNamesChanged(before, after []PostalInfo) bool {
	type names struct{ name, org string }
	of := func(ps []PostalInfo) map[string]names {
		m := make(map[string]names, len(ps))
		for _, p := range ps {
			m[p.Type] = names{p.Name, p.Org}
		}
		return m
	}
	b, a := of(before), of(after)
	if len(a) != len(b) {
		return true
	}
	for typ, n := range a {
		if old, ok := b[typ]; !ok || old != n {
			return true
		}
	}
	return false
}
