package registry

import (
	"context"
	"slices"
	"strings"
)

// Registrant consolidation (DOMAIN.md section 3): after a merge a customer
// has several registrant contacts, and points its domains to one of them.
// Each domain switches in its own transaction through UpdateDomain, so the
// rule that a domain on an unpaid bill keeps its registrant applies as on
// every channel, and one refusal does not hold the others back.

// DomainOutcome is what a change did to one domain of several.
type DomainOutcome struct {
	Domain string
	// Changed is true when the domain changed; Err says why not, nil also
	// when there was nothing to change (Note says so).
	Changed bool
	Note    string
	Err     error
}

// SwitchRegistrant points each of the domains to the registrant contact
// contactID, as actor a. For a domain a customer account holds, the
// contact must be one of that account's: pointing it to someone else's
// contact would be a change of holder, not a consolidation. Every domain is
// reported, in the order given.
func (s *Service) SwitchRegistrant(ctx context.Context, a Actor, contactID string, domains []string) []DomainOutcome {
	contactID = strings.TrimSpace(contactID)
	out := make([]DomainOutcome, 0, len(domains))
	for _, name := range domains {
		o := DomainOutcome{Domain: name}
		o.Changed, o.Note, o.Err = s.switchRegistrant(ctx, a, contactID, name)
		out = append(out, o)
	}
	return out
}

func (s *Service) switchRegistrant(ctx context.Context, a Actor, contactID, domain string) (bool, string, error) {
	n, err := domainName(domain)
	if err != nil {
		return false, "", err
	}
	var same bool
	err = s.store.Tx(ctx, func(tx Tx) error {
		d, err := s.readDomain(ctx, tx, n)
		if err != nil {
			return err
		}
		c, err := tx.Contact(ctx, contactID)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "contact %q does not exist", contactID)
		}
		if err != nil {
			return err
		}
		if d.AccountNumber != "" && c.AccountNumber != d.AccountNumber {
			owner := "a reseller"
			if c.AccountNumber != "" {
				owner = "customer account " + c.AccountNumber
			}
			return Errorf(KindPolicy, "contact %s belongs to %s, and domain %s to customer account %s: the registrant is switched only to a contact of the account that holds the domain",
				c.ID, owner, n, d.AccountNumber)
		}
		same = d.Registrant == c.ID
		return nil
	})
	if err != nil {
		return false, "", err
	}
	if same {
		return false, "registrant is " + contactID + " already", nil
	}
	if _, err := s.UpdateDomain(ctx, a, n, DomainChange{Registrant: &contactID}); err != nil {
		return false, "", err
	}
	return true, "", nil
}

// ConnectContact adds contactID in role typ (admin, billing or tech) to
// each of the domains, and DisconnectContact removes it; each domain in its
// own transaction through UpdateDomain, each reported. A domain that has
// the contact in that role already (or, to disconnect, not) is reported
// unchanged, not as an error.
func (s *Service) ConnectContact(ctx context.Context, a Actor, typ, contactID string, domains []string) []DomainOutcome {
	return s.changeContactLinks(ctx, a, DomainContact{Type: typ, ID: strings.TrimSpace(contactID)}, true, domains)
}

// DisconnectContact: see ConnectContact.
func (s *Service) DisconnectContact(ctx context.Context, a Actor, typ, contactID string, domains []string) []DomainOutcome {
	return s.changeContactLinks(ctx, a, DomainContact{Type: typ, ID: strings.TrimSpace(contactID)}, false, domains)
}

func (s *Service) changeContactLinks(ctx context.Context, a Actor, ct DomainContact, add bool, domains []string) []DomainOutcome {
	out := make([]DomainOutcome, 0, len(domains))
	for _, name := range domains {
		o := DomainOutcome{Domain: name}
		d, err := s.currentDomain(ctx, name)
		switch {
		case err != nil:
			o.Err = err
		case add && slices.Contains(d.Contacts, ct):
			o.Note = ct.ID + " is a " + ct.Type + " contact already"
		case !add && !slices.Contains(d.Contacts, ct):
			o.Note = ct.ID + " is not a " + ct.Type + " contact"
		default:
			ch := DomainChange{RemContacts: []DomainContact{ct}}
			if add {
				ch = DomainChange{AddContacts: []DomainContact{ct}}
			}
			_, o.Err = s.UpdateDomain(ctx, a, name, ch)
			o.Changed = o.Err == nil
		}
		out = append(out, o)
	}
	return out
}

// currentDomain reads the domain with the name, whatever its state.
func (s *Service) currentDomain(ctx context.Context, name string) (*Domain, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		d, err = s.readDomain(ctx, tx, n)
		return err
	})
	return d, err
}

// ContactOutcome is what a delete did to one contact of several.
type ContactOutcome struct {
	ID      string
	Deleted bool
	Err     error
}

// DeleteUnlinkedContacts deletes every contact of the customer account
// that no domain links to, each in its own transaction through
// DeleteContact, and reports each contact of the account: deleted, or why
// not (linked contacts are kept, KindLinked).
func (s *Service) DeleteUnlinkedContacts(ctx context.Context, a Actor, number string) ([]ContactOutcome, error) {
	number = strings.TrimSpace(number)
	var ids []string
	err := s.store.Tx(ctx, func(tx Tx) error {
		acc, err := tx.Account(ctx, number)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "customer account %s does not exist", number)
		}
		if err != nil {
			return err
		}
		if acc.Status == AccountMerged {
			return Errorf(KindStatusProhibits, "customer account %s was merged into account %s: its contacts are there", number, acc.MergedInto)
		}
		ids, err = tx.AccountContacts(ctx, number)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]ContactOutcome, 0, len(ids))
	for _, id := range ids {
		err := s.DeleteContact(ctx, a, id)
		out = append(out, ContactOutcome{ID: id, Deleted: err == nil, Err: err})
	}
	return out, nil
}
