package registry

import (
	"context"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Contacts (RFC 5733): check, info, create, update and delete. Transfers
// are in the transfer code, which reaches contacts through the store.
//
// Error kinds, and so EPP result codes, follow one rule: a value RFC 5733
// or its schema does not allow is KindInvalid (2005); a value the schema
// allows but the registry does not is KindPolicy (2306); a missing
// mandatory value is KindInvalid too, since the schema requires it and an
// empty element is a bad value rather than an absent one. An update that
// changes nothing is KindMissing (2003).

// Limits of contact values (contact-1.0.xsd, RFC 5321 for e-mail).
const (
	contactMaxLine       = 255
	contactMaxPC         = 16
	contactMaxStreet     = 3
	contactMaxEmail      = 254
	contactMaxEmailLocal = 64
	contactMaxPhoneExt   = 10
	contactMinAuth       = 6
	contactMaxAuth       = 64
	contactMinID         = 3
	contactMaxID         = 16
)

// Postal information types (RFC 5733 section 2.4).
const (
	PostalInt = "int"
	PostalLoc = "loc"
)

// contactStatuses are the values of contact-1.0.xsd statusValueType.
var contactStatuses = []string{
	StatusClientDeleteProhibited, StatusClientTransferProhibited, StatusClientUpdateProhibited,
	StatusLinked, StatusOK, StatusPendingCreate, StatusPendingDelete, StatusPendingTransfer,
	StatusPendingUpdate, StatusServerDeleteProhibited, StatusServerTransferProhibited,
	StatusServerUpdateProhibited,
}

// IsContactStatus reports whether s is a status value of RFC 5733.
func IsContactStatus(s string) bool { return slices.Contains(contactStatuses, s) }

// contactE164 is contact-1.0.xsd's e164StringType without its empty alternative.
var contactE164 = regexp.MustCompile(`^\+[0-9]{1,3}\.[0-9]{1,14}$`)

// CheckContactID checks a contact identifier a client chooses: RFC 5730
// clIDType (3 to 16 characters; KindInvalid otherwise), narrowed by the
// registry, as client identifiers are, to letters, digits, '.', '_' and
// '-', starting with a letter or digit (KindPolicy otherwise).
func CheckContactID(id string) error {
	if n := utf8.RuneCountInString(id); n < contactMinID || n > contactMaxID {
		return Errorf(KindInvalid, "contact identifier %q must be %d to %d characters long", id, contactMinID, contactMaxID)
	}
	if !ValidClID(id) {
		return Errorf(KindPolicy, "contact identifier %q must consist of letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// ContactAvailability is the answer of a check for one identifier.
type ContactAvailability struct {
	ID    string
	Avail bool
	// Reason says why the identifier is not available.
	Reason string
}

// CheckContacts reports, for each identifier, whether a contact could be
// created with it now. An identifier the registry would refuse is not
// available, with the reason. Asking about more identifiers than
// Config.MaxCheck in one check is KindPolicy (2306).
func (s *Service) CheckContacts(ctx context.Context, a Actor, ids []string) ([]ContactAvailability, error) {
	if len(ids) == 0 {
		return nil, Errorf(KindMissing, "a check needs at least one contact identifier")
	}
	if len(ids) > s.cfg.MaxCheck {
		return nil, Errorf(KindPolicy, "a check may ask about at most %d identifiers, got %d", s.cfg.MaxCheck, len(ids))
	}
	out := make([]ContactAvailability, len(ids))
	err := s.store.Tx(ctx, func(tx Tx) error {
		for i, id := range ids {
			out[i] = ContactAvailability{ID: id}
			if err := CheckContactID(id); err != nil {
				out[i].Reason = "invalid contact identifier"
				continue
			}
			_, err := tx.Contact(ctx, id)
			switch {
			case IsKind(err, KindNotFound):
				out[i].Avail = true
			case err != nil:
				return err
			default:
				out[i].Reason = "in use"
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ContactView is a contact as an info shows it.
type ContactView struct {
	Contact *Contact
	// Statuses are the statuses to show: the stored ones and the derived
	// "linked" and "pendingTransfer", or "ok" (with "linked", if so) when
	// there is no other.
	Statuses []string
	// Sponsor reports whether the asker sponsors the contact (or is the
	// operator). Only then is Contact.AuthInfo set: RFC 5733 section 3.1.2
	// forbids showing it to anyone else.
	Sponsor bool
}

// ContactStatuses returns the statuses to show for a contact: the stored
// ones, "pendingTransfer" while a transfer is pending, "linked" when a
// domain refers to it, and "ok" when there is no status but "linked"
// (RFC 5733 section 2.2), sorted.
func ContactStatuses(c *Contact, linked bool) []string {
	out := slices.Clone(c.Statuses)
	if c.Transfer != nil && c.Transfer.Status == TransferPending && !HasStatus(out, StatusPendingTransfer) {
		out = append(out, StatusPendingTransfer)
	}
	if len(out) == 0 {
		out = append(out, StatusOK)
	}
	if linked {
		out = append(out, StatusLinked)
	}
	slices.Sort(out)
	return out
}

// isOperator reports whether a is the operator, who may see and change any
// object.
func isOperator(a Actor) bool { return a.ClID == "" && a.Name == ActorOperator }

// ContactInfo returns a contact for an info. The sponsor and the operator
// see it all; another reseller only with the contact's authorisation
// information (KindForbidden without it, KindAuthInfo when it is wrong),
// and never the authorisation information itself.
func (s *Service) ContactInfo(ctx context.Context, a Actor, id, authInfo string) (*ContactView, error) {
	var v ContactView
	err := s.store.Tx(ctx, func(tx Tx) error {
		c, err := s.currentContact(ctx, tx, id, false)
		if err != nil {
			return err
		}
		v.Sponsor = isOperator(a) || c.SponsorClID == a.ClID
		if !v.Sponsor {
			switch {
			case authInfo == "":
				return Errorf(KindForbidden, "contact %q is sponsored by another reseller; its authorisation information is needed to see it", id)
			case !secretEqual(authInfo, c.AuthInfo):
				return Errorf(KindAuthInfo, "the authorisation information for contact %q is wrong", id)
			}
			c.AuthInfo = ""
		}
		linked, err := tx.ContactLinked(ctx, id)
		if err != nil {
			return err
		}
		v.Contact, v.Statuses = c, ContactStatuses(c, linked)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateContact creates a contact from c's ID, Postal, Voice, VoiceExt, Fax,
// FaxExt, Email, AuthInfo and Disclose, sponsored by the acting reseller
// (by c.SponsorClID when the operator creates it). Values are trimmed of
// surrounding white space and checked as ValidateContact does. It returns
// the stored contact.
func (s *Service) CreateContact(ctx context.Context, a Actor, c *Contact) (*Contact, error) {
	if err := CheckContactID(c.ID); err != nil {
		return nil, err
	}
	sponsor := a.ClID
	if isOperator(a) {
		sponsor = c.SponsorClID
	}
	if sponsor == "" {
		return nil, Errorf(KindMissing, "a contact needs a sponsoring reseller")
	}
	n := &Contact{
		ID: c.ID, SponsorClID: sponsor, CreatorClID: sponsor,
		Postal: contactClonePostal(c.Postal), Voice: c.Voice, VoiceExt: c.VoiceExt, Fax: c.Fax, FaxExt: c.FaxExt,
		Email: c.Email, AuthInfo: c.AuthInfo, Disclose: contactCloneDisclose(c.Disclose),
		CreatedAt: s.clock.Now(),
	}
	normalizeContact(n)
	if err := ValidateContact(n); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(tx Tx) error {
		if err := tx.CreateContact(ctx, n, s.cfg.ROIDSuffix); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectContact, n.ROID, "create", n)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Phone is a telephone or fax number in E.164a form ("+46.812345678") with
// an optional extension.
type Phone struct {
	Number string
	Ext    string
}

// Address is the address part of postal information.
type Address struct {
	Street []string
	City   string
	SP     string
	PC     string
	CC     string
}

// PostalChange changes the postal information of one type; nil fields
// stay as they are. Org set to "" removes the organisation. Postal
// information of a type the contact does not have yet must be complete
// (name and address).
type PostalChange struct {
	Type string
	Name *string
	Org  *string
	Addr *Address
}

// ContactChange is an update of a contact (RFC 5733 section 3.2.5): nil
// fields stay as they are.
type ContactChange struct {
	// AddStatuses and RemStatuses are client statuses for a reseller;
	// the operator may add and remove server statuses too.
	AddStatuses []string
	RemStatuses []string
	Postal      []PostalChange
	// Voice and Fax replace the numbers; an empty Number removes one.
	Voice *Phone
	Fax   *Phone
	Email *string
	// AuthInfo replaces the authorisation information.
	AuthInfo *string
	// Disclose replaces the disclosure preference.
	Disclose *Disclose
}

func (ch *ContactChange) empty() bool {
	return len(ch.AddStatuses) == 0 && len(ch.RemStatuses) == 0 && len(ch.Postal) == 0 &&
		ch.Voice == nil && ch.Fax == nil && ch.Email == nil && ch.AuthInfo == nil && ch.Disclose == nil
}

// checkContactStatusChange checks the statuses an update adds and removes, before
// the contact is read: each must be a contact status (KindInvalid), one
// the actor may set (KindPolicy: server statuses are the operator's, the
// derived ones nobody's), and none may be both added and removed
// (KindPolicy).
func checkContactStatusChange(a Actor, ch *ContactChange) error {
	for _, list := range [][]string{ch.AddStatuses, ch.RemStatuses} {
		for _, st := range list {
			switch {
			case !IsContactStatus(st):
				return Errorf(KindInvalid, "%q is not a contact status", st)
			case IsClientStatus(ObjectContact, st):
			case IsServerStatus(ObjectContact, st):
				if !isOperator(a) {
					return Errorf(KindPolicy, "status %s is set by the registry only", st)
				}
			default:
				return Errorf(KindPolicy, "status %s is derived by the registry and cannot be added or removed", st)
			}
		}
	}
	for _, st := range ch.AddStatuses {
		if slices.Contains(ch.RemStatuses, st) {
			return Errorf(KindPolicy, "status %s is both added and removed", st)
		}
	}
	return nil
}

// UpdateContact changes a contact. Only its sponsor (or the operator) may
// (KindForbidden). A reseller's update is refused while the contact has
// clientUpdateProhibited, unless the same update removes it, or
// serverUpdateProhibited, or a pending operation (KindStatusProhibits).
// Adding a status the contact has, or removing one it has not, is
// KindPolicy, as is an update that changes nothing (KindMissing). The
// name and organisation of a contact linked to a domain are registry-locked
// (checkLockedContactData): a reseller's change of them is KindForbidden.
func (s *Service) UpdateContact(ctx context.Context, a Actor, id string, ch ContactChange) (*Contact, error) {
	if ch.empty() {
		return nil, Errorf(KindMissing, "the update of contact %q changes nothing", id)
	}
	if err := checkContactStatusChange(a, &ch); err != nil {
		return nil, err
	}
	var c *Contact
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if c, err = s.currentContact(ctx, tx, id, true); err != nil {
			return err
		}
		if !isOperator(a) && c.SponsorClID != a.ClID {
			return Errorf(KindForbidden, "contact %q is sponsored by another reseller; only its sponsor may update it", id)
		}
		if err := contactPending(c, "updated"); err != nil {
			return err
		}
		if !isOperator(a) {
			switch {
			case HasStatus(c.Statuses, StatusServerUpdateProhibited):
				return Errorf(KindStatusProhibits, "contact %q has status serverUpdateProhibited", id)
			case HasStatus(c.Statuses, StatusClientUpdateProhibited) && !slices.Contains(ch.RemStatuses, StatusClientUpdateProhibited):
				return Errorf(KindStatusProhibits, "contact %q has status clientUpdateProhibited; remove it first (in the same update, if you like)", id)
			}
		}
		before := contactClonePostal(c.Postal)
		if err := applyContactChange(c, &ch); err != nil {
			return err
		}
		if !isOperator(a) {
			c.UpdaterClID = a.ClID
		}
		c.UpdatedAt = s.clock.Now()
		normalizeContact(c)
		if err := s.checkLockedContactData(ctx, tx, a, before, c); err != nil {
			return err
		}
		if err := ValidateContact(c); err != nil {
			return err
		}
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectContact, c.ROID, "update", c)
	})
	if err != nil {
		return nil, s.refused(err)
	}
	return c, nil
}

// currentContact reads a contact (locked when lock is set) as it is now:
// a pending transfer whose auto-approval time has passed is completed
// first, so that every command sees the sponsor the contact has now.
func (s *Service) currentContact(ctx context.Context, tx Tx, id string, lock bool) (*Contact, error) {
	read := tx.Contact
	if lock {
		read = tx.LockContact
	}
	c, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if t := c.Transfer; t != nil && t.Status == TransferPending && !t.ActBy.After(now) {
		if !lock {
			if c, err = tx.LockContact(ctx, id); err != nil {
				return nil, err
			}
		}
		if err := s.autoApproveContactTransfer(ctx, tx, c, now); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// contactPending refuses a change while an operation on the contact is
// pending.
func contactPending(c *Contact, done string) error {
	if c.Transfer != nil && c.Transfer.Status == TransferPending {
		return Errorf(KindStatusProhibits, "contact %q has a transfer pending and cannot be %s", c.ID, done)
	}
	for _, st := range c.Statuses {
		if strings.HasPrefix(st, "pending") {
			return Errorf(KindStatusProhibits, "contact %q has status %s and cannot be %s", c.ID, st, done)
		}
	}
	return nil
}

// applyContactChange applies ch to c; the result is validated after.
func applyContactChange(c *Contact, ch *ContactChange) error {
	for _, st := range ch.RemStatuses {
		i := slices.Index(c.Statuses, st)
		if i < 0 {
			return Errorf(KindPolicy, "contact %q does not have status %s", c.ID, st)
		}
		c.Statuses = slices.Delete(c.Statuses, i, i+1)
	}
	for _, st := range ch.AddStatuses {
		if HasStatus(c.Statuses, st) {
			return Errorf(KindPolicy, "contact %q already has status %s", c.ID, st)
		}
		c.Statuses = append(c.Statuses, st)
	}
	slices.Sort(c.Statuses)
	seen := map[string]bool{}
	for _, pc := range ch.Postal {
		if pc.Type != PostalInt && pc.Type != PostalLoc {
			return Errorf(KindInvalid, "postal information type must be %q or %q, not %q", PostalInt, PostalLoc, pc.Type)
		}
		if seen[pc.Type] {
			return Errorf(KindInvalid, "postal information of type %q is given twice", pc.Type)
		}
		seen[pc.Type] = true
		i := slices.IndexFunc(c.Postal, func(p PostalInfo) bool { return p.Type == pc.Type })
		if i < 0 {
			if pc.Name == nil || pc.Addr == nil {
				return Errorf(KindInvalid, "contact %q has no postal information of type %q yet: give its name and address", c.ID, pc.Type)
			}
			c.Postal = append(c.Postal, PostalInfo{Type: pc.Type})
			i = len(c.Postal) - 1
		}
		p := &c.Postal[i]
		if pc.Name != nil {
			p.Name = *pc.Name
		}
		if pc.Org != nil {
			p.Org = *pc.Org
		}
		if ad := pc.Addr; ad != nil {
			p.Street, p.City, p.SP, p.PC, p.CC = slices.Clone(ad.Street), ad.City, ad.SP, ad.PC, ad.CC
		}
	}
	// "int" before "loc", as they are shown.
	slices.SortFunc(c.Postal, func(a, b PostalInfo) int { return strings.Compare(a.Type, b.Type) })
	if ch.Voice != nil {
		c.Voice, c.VoiceExt = ch.Voice.Number, ch.Voice.Ext
	}
	if ch.Fax != nil {
		c.Fax, c.FaxExt = ch.Fax.Number, ch.Fax.Ext
	}
	if ch.Email != nil {
		c.Email = *ch.Email
	}
	if ch.AuthInfo != nil {
		c.AuthInfo = *ch.AuthInfo
	}
	if ch.Disclose != nil {
		c.Disclose = contactCloneDisclose(ch.Disclose)
	}
	return nil
}

// DeleteContact deletes a contact. Only its sponsor (or the operator) may
// (KindForbidden); clientDeleteProhibited, serverDeleteProhibited or a
// pending operation refuse it (KindStatusProhibits, the server status for
// the operator too, who must remove it first), and so does a domain
// referring to it (KindLinked, 2305).
func (s *Service) DeleteContact(ctx context.Context, a Actor, id string) error {
	return s.store.Tx(ctx, func(tx Tx) error {
		c, err := s.currentContact(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !isOperator(a) && c.SponsorClID != a.ClID {
			return Errorf(KindForbidden, "contact %q is sponsored by another reseller; only its sponsor may delete it", id)
		}
		if err := contactPending(c, "deleted"); err != nil {
			return err
		}
		for _, st := range []string{StatusClientDeleteProhibited, StatusServerDeleteProhibited} {
			if HasStatus(c.Statuses, st) {
				return Errorf(KindStatusProhibits, "contact %q has status %s", id, st)
			}
		}
		if err := tx.DeleteContact(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectContact, c.ROID, "delete", c)
	})
}

// normalizeContact trims white space around every value, and turns the
// line breaks and tabs the schema's normalizedString values allow into
// spaces. The country code is upper-cased.
func normalizeContact(c *Contact) {
	for i := range c.Postal {
		p := &c.Postal[i]
		p.Name, p.Org, p.City, p.SP = contactNormLine(p.Name), contactNormLine(p.Org), contactNormLine(p.City), contactNormLine(p.SP)
		p.PC, p.CC = contactNormLine(p.PC), strings.ToUpper(contactNormLine(p.CC))
		for j := range p.Street {
			p.Street[j] = contactNormLine(p.Street[j])
		}
	}
	c.Voice, c.VoiceExt = strings.TrimSpace(c.Voice), strings.TrimSpace(c.VoiceExt)
	c.Fax, c.FaxExt = strings.TrimSpace(c.Fax), strings.TrimSpace(c.FaxExt)
	c.Email = strings.TrimSpace(c.Email)
}

func contactNormLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s))
}

// ValidateContact checks a contact's values (KindInvalid unless said
// otherwise):
//   - one or two postal informations, at most one of each type "int" and
//     "loc"; "int" in printable 7-bit ASCII only;
//   - name, city and country code required; name, organisation, street
//     lines, city and state or province at most 255 characters, postal
//     code at most 16; 0 to 3 street lines, none empty;
//   - the country code an assigned ISO 3166-1 alpha-2 code;
//   - voice and fax, when given, E.164a ("+CC.NUMBER", at most 17
//     characters), an extension only with a number and of 1 to 10 digits;
//   - an e-mail address (RFC 5322 addr-spec, no display name, a domain
//     with a valid host name);
//   - authorisation information of 6 to 64 characters (KindPolicy) without
//     control characters;
//   - a disclose preference, when given, naming at least one element.
func ValidateContact(c *Contact) error {
	if len(c.Postal) == 0 {
		return Errorf(KindInvalid, "a contact needs postal information")
	}
	if len(c.Postal) > 2 {
		return Errorf(KindInvalid, "a contact has at most two postal informations, one of each type")
	}
	seen := map[string]bool{}
	for i := range c.Postal {
		p := &c.Postal[i]
		if p.Type != PostalInt && p.Type != PostalLoc {
			return Errorf(KindInvalid, "postal information type must be %q or %q, not %q", PostalInt, PostalLoc, p.Type)
		}
		if seen[p.Type] {
			return Errorf(KindInvalid, "postal information of type %q is given twice", p.Type)
		}
		seen[p.Type] = true
		if err := validateContactPostal(p); err != nil {
			return err
		}
	}
	if err := validateContactPhone("voice", c.Voice, c.VoiceExt); err != nil {
		return err
	}
	if err := validateContactPhone("fax", c.Fax, c.FaxExt); err != nil {
		return err
	}
	if err := ValidateEmail(c.Email); err != nil {
		return err
	}
	if err := validateContactAuthInfo(c.AuthInfo); err != nil {
		return err
	}
	if d := c.Disclose; d != nil && !(d.NameInt || d.NameLoc || d.OrgInt || d.OrgLoc || d.AddrInt || d.AddrLoc || d.Voice || d.Fax || d.Email) {
		return Errorf(KindInvalid, "a disclose preference must name at least one element")
	}
	return nil
}

func validateContactPostal(p *PostalInfo) error {
	t := p.Type
	type line struct {
		what, v  string
		required bool
		max      int
	}
	lines := []line{
		{"name", p.Name, true, contactMaxLine},
		{"organisation", p.Org, false, contactMaxLine},
		{"city", p.City, true, contactMaxLine},
		{"state or province", p.SP, false, contactMaxLine},
		{"postal code", p.PC, false, contactMaxPC},
	}
	if len(p.Street) > contactMaxStreet {
		return Errorf(KindInvalid, "%s postal information has %d street lines; at most %d are allowed", t, len(p.Street), contactMaxStreet)
	}
	for _, st := range p.Street {
		if st == "" {
			return Errorf(KindInvalid, "%s postal information has an empty street line", t)
		}
		lines = append(lines, line{"street line", st, true, contactMaxLine})
	}
	for _, l := range lines {
		if l.v == "" {
			if l.required {
				return Errorf(KindInvalid, "%s postal information needs a %s", t, l.what)
			}
			continue
		}
		if n := utf8.RuneCountInString(l.v); n > l.max {
			return Errorf(KindInvalid, "%s postal information: the %s is %d characters long; at most %d are allowed", t, l.what, n, l.max)
		}
		if r := contactBadRune(l.v, t == PostalInt); r != "" {
			return Errorf(KindInvalid, "%s postal information: the %s %s", t, l.what, r)
		}
	}
	if p.CC == "" {
		return Errorf(KindInvalid, "%s postal information needs a country code", t)
	}
	if !IsCountryCode(p.CC) {
		return Errorf(KindInvalid, "%q is not an ISO 3166-1 alpha-2 country code", p.CC)
	}
	return nil
}

// contactBadRune says what is wrong with a character of s: a control character,
// an invalid encoding, or (when ascii) a character outside printable
// 7-bit ASCII, as RFC 5733 requires of "int" postal information.
func contactBadRune(s string, ascii bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return "contains a control character"
		case ascii && r > 0x7e:
			return "must be in 7-bit ASCII (use \"loc\" postal information for other characters)"
		}
	}
	return ""
}

func validateContactPhone(what, number, ext string) error {
	if number == "" {
		if ext != "" {
			return Errorf(KindInvalid, "a %s extension needs a %s number", what, what)
		}
		return nil
	}
	if len(number) > 17 || !contactE164.MatchString(number) {
		return Errorf(KindInvalid, "%s number %q must be in the form +CC.NUMBER (1 to 3 digits of country code, 1 to 14 digits of number)", what, number)
	}
	if ext != "" && (len(ext) > contactMaxPhoneExt || strings.Trim(ext, "0123456789") != "") {
		return Errorf(KindInvalid, "%s extension %q must be 1 to %d digits", what, ext, contactMaxPhoneExt)
	}
	return nil
}

// contactEmailIDNA converts an e-mail domain to A-labels for its check.
var contactEmailIDNA = idna.New(idna.MapForLookup(), idna.ValidateLabels(true), idna.StrictDomainName(true), idna.BidiRule())

// ValidateEmail checks an e-mail address: an RFC 5322 addr-spec without
// display name or angle brackets, at most 254 characters, a local part of
// at most 64, and a domain that is a valid host name (IDNs allowed).
func ValidateEmail(email string) error {
	if email == "" {
		return Errorf(KindInvalid, "an e-mail address is required")
	}
	bad := func(why string) error { return Errorf(KindInvalid, "e-mail address %q is not valid: %s", email, why) }
	if len(email) > contactMaxEmail {
		return bad("longer than 254 characters")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return bad("not a plain address such as name@example.se")
	}
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if len(local) > contactMaxEmailLocal {
		return bad("the part before @ is longer than 64 characters")
	}
	if strings.HasPrefix(domain, "[") {
		return bad("address literals are not accepted")
	}
	ascii, err := contactEmailIDNA.ToASCII(domain)
	if err != nil {
		return bad("the domain is not a valid host name")
	}
	if r := CheckHostname(NormalizeName(ascii)); r != "" || strings.HasSuffix(domain, ".") {
		return bad("the domain is not a valid host name")
	}
	return nil
}

func validateContactAuthInfo(pw string) error {
	if n := utf8.RuneCountInString(pw); n < contactMinAuth || n > contactMaxAuth {
		return Errorf(KindPolicy, "authorisation information must be %d to %d characters long", contactMinAuth, contactMaxAuth)
	}
	if r := contactBadRune(pw, false); r != "" {
		return Errorf(KindInvalid, "authorisation information %s", r)
	}
	return nil
}

func contactClonePostal(ps []PostalInfo) []PostalInfo {
	out := slices.Clone(ps)
	for i := range out {
		out[i].Street = slices.Clone(out[i].Street)
	}
	return out
}

func contactCloneDisclose(d *Disclose) *Disclose {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// IsCountryCode reports whether cc is an assigned ISO 3166-1 alpha-2 code
// (upper case).
func IsCountryCode(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	_, ok := contactCountryCodes[cc]
	return ok
}

// contactCountryCodes are the officially assigned ISO 3166-1 alpha-2 codes.
// Reserved codes (such as UK, EU, XK) are not among them.
var contactCountryCodes = func() map[string]struct{} {
	const all = "" +
		"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
		"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
		"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
		"DE DJ DK DM DO DZ " +
		"EC EE EG EH ER ES ET " +
		"FI FJ FK FM FO FR " +
		"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
		"HK HM HN HR HT HU " +
		"ID IE IL IM IN IO IQ IR IS IT " +
		"JE JM JO JP " +
		"KE KG KH KI KM KN KP KR KW KY KZ " +
		"LA LB LC LI LK LR LS LT LU LV LY " +
		"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
		"NA NC NE NF NG NI NL NO NP NR NU NZ " +
		"OM " +
		"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
		"QA " +
		"RE RO RS RU RW " +
		"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
		"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
		"UA UG UM US UY UZ " +
		"VA VC VE VG VI VN VU " +
		"WF WS " +
		"YE YT " +
		"ZA ZM ZW"
	m := map[string]struct{}{}
	for _, cc := range strings.Fields(all) {
		m[cc] = struct{}{}
	}
	return m
}()
