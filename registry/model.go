package registry

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A domain's management model at its creation, and changes of model
// (DOMAIN.md section 2). The rules, as this registry applies them:
//
//   - A reseller's create chooses the model with NewDomain.Model; when it
//     says nothing, consent evidence (Consent) asks for the reseller model
//     and a holder identity (Holder) for the registrant model; with
//     neither, the reseller's DefaultModel decides:
//   - DefaultModel "" (not configured): the reseller model, with consent
//     recorded as given under the reseller's general agreement with the
//     registry (Method ConsentByAgreement), which covers the
//     registrant's consent for every registration. Plain RFC 5731 creates
//     (and ICANN's registry system tests) keep working unchanged.
//   - DefaultModel "reseller": the reseller model, and every create must
//     carry the consent evidence (KindMissing otherwise).
//   - DefaultModel "registrant": the registrant model, unless the create
//     asks for the reseller model with consent evidence.
//   - The reseller model asked for explicitly always needs the consent
//     evidence (method and evidence; KindMissing without). The consent is
//     recorded as given to the acting reseller, at the date the evidence
//     names (not in the future: KindRange) or now.
//   - The registrant model needs the holder's identity number (KindMissing
//     without). The registry finds the holder's oldest active customer
//     account with that number or opens one (named after the registrant
//     contact, with the holder e-mail given or the contact's), and the
//     domain's registrant becomes a contact of that account: the contact
//     the create names when it already belongs to that account, otherwise
//     a copy, with a generated ID, of the named contact, which must then be
//     one the reseller sponsors (KindForbidden otherwise). The domain is
//     sponsored by the registry (RegistryClID) and held by the account; the
//     admin, billing and tech contacts stay as given, which gives the
//     reseller the proxy, payer and name-server admin roles they name.
//   - The operator creates registrant-managed domains only, for a customer
//     account it names (NewDomain.Account), with no reseller at all. The
//     registrant is a contact of that account, or a copy of a reseller's
//     contact made for it.
//   - A change of model (ChangeDomainModel) is its own command. To the
//     reseller model, a reseller needs a consent token the registrant had
//     the registry issue (IssueConsentToken); it is spent in the same
//     transaction as the change, and the reseller becomes the domain's
//     sponsor and reseller of record. To the registrant model is the
//     registrant's act (later through self-service) or the operator's,
//     never a reseller's (KindForbidden). The operator may also move a
//     domain to the reseller model on consent evidence it holds.
//   - A move to the reseller model takes the domain off the unpaid bill it
//     is on (its line removed; a bill left with none cancelled), and puts
//     it back into the zone if that bill had taken it out: its reseller of
//     record pays its renewals from then on, and automatic renewal charges
//     it at once when its period has ended. A reseller-managed domain is
//     so never on an unpaid bill.
//   - A change of model gives the domain new authorisation information, as
//     a transfer does: whoever handled it before no longer holds its
//     secret. Its automatic renewal setting goes back to the default. The account holding the domain stays with it in both models,
//     so that its holder still finds it (and a consent token is tied to
//     it).
//   - Every grant of consent and change of model is in the domain's
//     history: the create's entry holds the consent, a change is recorded
//     as "model-change".

// Consent methods the registry itself records. Resellers name their own
// in <rsl:consent> (such as "order-confirmation").
const (
	// ConsentByAgreement: consent covered by the reseller's general
	// agreement with the registry, for resellers with no DefaultModel.
	ConsentByAgreement = "reseller-agreement"
	// ConsentByToken: a consent token the registrant had the registry issue;
	// the evidence is the token's ID.
	ConsentByToken = "token"
	// ConsentByOperator: consent the operator holds (a signed form, a
	// letter) and records with the change.
	ConsentByOperator = "operator"
)

// generalAgreementEvidence is the evidence recorded with
// ConsentByAgreement.
const generalAgreementEvidence = "general agreement"

// HistoryModelChange is the history action of a change of model.
const HistoryModelChange = "model-change"

// maxConsentText is the longest consent method or evidence accepted, in
// characters (reseller-1.0.xsd evidenceType).
const maxConsentText = 255

// ParseModel reads a management model's name; KindInvalid for any other.
func ParseModel(s string) (Model, error) {
	switch m := Model(strings.TrimSpace(s)); m {
	case ModelRegistrant, ModelReseller:
		return m, nil
	}
	return "", Errorf(KindInvalid, "management model %q is neither %q nor %q", s, ModelRegistrant, ModelReseller)
}

// checkNewDomainModel checks, before any store access, the model fields of
// a create by a, and settles what follows from the actor alone. The
// holder's identity number is validated and normalised.
func (s *Service) checkNewDomainModel(a Actor, nd *NewDomain) error {
	if nd.Model != "" {
		m, err := ParseModel(string(nd.Model))
		if err != nil {
			return err
		}
		nd.Model = m
	}
	nd.Account = strings.TrimSpace(nd.Account)
	nd.HolderEmail = strings.TrimSpace(nd.HolderEmail)
	if isOperator(a) {
		switch {
		case nd.Model == ModelReseller || nd.Consent != nil:
			return Errorf(KindPolicy, "the operator creates registrant-managed domains only; a reseller-managed domain is created by its reseller")
		case nd.Account == "":
			return Errorf(KindMissing, "the operator creates a domain for a customer account: give the account's number")
		case nd.Holder != nil:
			return Errorf(KindPolicy, "the customer account is named; leave out the holder's identity number")
		}
		nd.Model = ModelRegistrant
	} else if nd.Account != "" {
		return Errorf(KindForbidden, "only the registry names the customer account of a new domain; give the holder's identity number instead")
	}
	if nd.Consent != nil {
		if nd.Model == ModelRegistrant {
			return Errorf(KindPolicy, "consent to reseller management does not go with the registrant model")
		}
		if nd.Holder != nil {
			return Errorf(KindPolicy, "a create gives the registrant's consent (reseller model) or the holder's identity number (registrant model), not both")
		}
		c := *nd.Consent
		c.Method, c.Evidence = strings.TrimSpace(c.Method), strings.TrimSpace(c.Evidence)
		for _, f := range []struct{ what, v string }{{"method", c.Method}, {"evidence", c.Evidence}} {
			if f.v == "" {
				return Errorf(KindMissing, "consent evidence required: the consent's %s is empty", f.what)
			}
			if n := utf8.RuneCountInString(f.v); n > maxConsentText {
				return Errorf(KindInvalid, "the consent's %s is %d characters long; at most %d are accepted", f.what, n, maxConsentText)
			}
			if r := contactBadRune(f.v, false); r != "" {
				return Errorf(KindInvalid, "the consent's %s %s", f.what, r)
			}
		}
		nd.Consent = &c
	}
	if nd.Holder != nil {
		if nd.Model == ModelReseller {
			return Errorf(KindPolicy, "the holder's identity number goes with the registrant model only; a reseller-managed domain needs no customer account")
		}
		id, err := s.checkIdentity(*nd.Holder)
		if err != nil {
			return err
		}
		nd.Holder = &id
	}
	if nd.HolderEmail != "" {
		if nd.Holder == nil {
			return Errorf(KindMissing, "a holder e-mail address needs the holder's identity number with it")
		}
		if err := ValidateEmail(nd.HolderEmail); err != nil {
			return err
		}
	}
	return nil
}

// applyCreateModel settles the management model of d, a domain a is
// creating from nd (checked by checkNewDomainModel), in the create's
// transaction: the model, the consent, the sponsor, the holding account and
// the registrant contact (created for the account when needed, with its own
// history entry).
func (s *Service) applyCreateModel(ctx context.Context, tx Tx, a Actor, nd *NewDomain, d *Domain) error {
	if isOperator(a) {
		return s.createForAccount(ctx, tx, a, nd, d)
	}
	r, err := tx.Reseller(ctx, a.ClID)
	if err != nil {
		return err
	}
	model := nd.Model
	if model == "" {
		switch {
		case nd.Consent != nil:
			model = ModelReseller
		case nd.Holder != nil:
			model = ModelRegistrant
		case r.DefaultModel == "":
			// The reseller's general agreement with the registry covers
			// the registrant's consent for every registration.
			d.Model = ModelReseller
			d.Consent = &Consent{ResellerClID: a.ClID, At: s.clock.Now(), Method: ConsentByAgreement, Evidence: generalAgreementEvidence}
			return nil
		default:
			model = r.DefaultModel
		}
	}
	switch model {
	case ModelReseller:
		return s.createResellerManaged(a, nd, d, nd.Model == "")
	case ModelRegistrant:
		return s.createRegistrantManaged(ctx, tx, a, nd, d)
	}
	return Errorf(KindInternal, "reseller %s has an unknown default management model %q", a.ClID, r.DefaultModel)
}

// createResellerManaged makes d reseller-managed by a on the consent
// evidence of nd. byDefault: the model is the reseller's default, not
// asked for.
func (s *Service) createResellerManaged(a Actor, nd *NewDomain, d *Domain, byDefault bool) error {
	c := nd.Consent
	if c == nil {
		if byDefault {
			return Errorf(KindMissing, "consent evidence required: reseller %s creates reseller-managed domains, each with the registrant's consent (give <rsl:consent> with its method and evidence)", a.ClID)
		}
		return Errorf(KindMissing, "consent evidence required: a reseller-managed domain needs the registrant's consent (give <rsl:consent> with its method and evidence)")
	}
	now := s.clock.Now()
	at := c.At
	switch {
	case at.IsZero():
		at = now
	case at.After(now):
		return Errorf(KindRange, "the consent's date %s lies in the future", at.UTC().Format(time.RFC3339))
	}
	d.Model = ModelReseller
	d.Consent = &Consent{ResellerClID: a.ClID, At: at.UTC(), Method: c.Method, Evidence: c.Evidence}
	return nil
}

// createRegistrantManaged makes d, created by reseller a, registrant-managed
// and held by the account of nd's holder.
func (s *Service) createRegistrantManaged(ctx context.Context, tx Tx, a Actor, nd *NewDomain, d *Domain) error {
	if nd.Holder == nil {
		return Errorf(KindMissing, "a registrant-managed domain needs the holder's identity number (<rsl:holder><rsl:identity>), by which the registry finds or opens the holder's customer account")
	}
	src, err := s.registrantSource(ctx, tx, nd.Registrant)
	if err != nil {
		return err
	}
	if src.AccountNumber == "" && src.SponsorClID != a.ClID {
		return Errorf(KindForbidden, "contact %s is another reseller's: the registrant of a registrant-managed domain is taken from a contact you sponsor", src.ID)
	}
	email := nd.HolderEmail
	if email == "" {
		email = src.Email
	}
	acc, err := s.findOrCreateAccount(ctx, tx, a, *nd.Holder, holderName(src, *nd.Holder), email)
	if err != nil {
		return err
	}
	if src.AccountNumber != "" && src.AccountNumber != acc.Number {
		return Errorf(KindForbidden, "contact %s belongs to a customer account other than the holder's", src.ID)
	}
	reg, err := s.accountRegistrant(ctx, tx, a, acc, src)
	if err != nil {
		return err
	}
	d.Model = ModelRegistrant
	d.SponsorClID = RegistryClID
	d.AccountNumber = acc.Number
	d.Registrant = reg
	d.Consent = nil
	return nil
}

// createForAccount makes d, created by the operator, registrant-managed and
// held by the account nd names.
func (s *Service) createForAccount(ctx context.Context, tx Tx, a Actor, nd *NewDomain, d *Domain) error {
	acc, err := s.activeAccount(ctx, tx, nd.Account)
	if err != nil {
		return err
	}
	src, err := s.registrantSource(ctx, tx, nd.Registrant)
	if err != nil {
		return err
	}
	if src.AccountNumber != "" && src.AccountNumber != acc.Number {
		return Errorf(KindPolicy, "contact %s belongs to customer account %s, not to %s", src.ID, src.AccountNumber, acc.Number)
	}
	reg, err := s.accountRegistrant(ctx, tx, a, acc, src)
	if err != nil {
		return err
	}
	d.Model = ModelRegistrant
	d.SponsorClID = RegistryClID
	d.CreatorClID = RegistryClID
	d.AccountNumber = acc.Number
	d.Registrant = reg
	d.Consent = nil
	return nil
}

// activeAccount returns the active account with the customer number.
// The account is locked: a merge that holds it finishes first, and its
// tombstone then takes nothing.
func (s *Service) activeAccount(ctx context.Context, tx Tx, number string) (*Account, error) {
	acc, err := tx.LockAccount(ctx, number)
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindNotFound, "customer account %s does not exist", number)
	}
	if err != nil {
		return nil, err
	}
	if acc.Status != AccountActive {
		return nil, Errorf(KindStatusProhibits, "customer account %s is %s: it takes no new domains", acc.Number, acc.Status)
	}
	return acc, nil
}

// registrantSource reads the contact a create names as registrant.
func (s *Service) registrantSource(ctx context.Context, tx Tx, id string) (*Contact, error) {
	c, err := tx.Contact(ctx, id)
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindNotFound, "registrant contact %q does not exist", id)
	}
	return c, err
}

// accountRegistrant returns the ID of the account's registrant contact for
// src: src itself when the account owns it, otherwise a new contact of the
// account with src's data and a generated ID, recorded in its history.
func (s *Service) accountRegistrant(ctx context.Context, tx Tx, a Actor, acc *Account, src *Contact) (string, error) {
	if src.AccountNumber == acc.Number {
		return src.ID, nil
	}
	id, err := s.newAccountContactID(ctx, tx, acc)
	if err != nil {
		return "", err
	}
	creator := a.ClID
	if creator == "" {
		creator = RegistryClID
	}
	c := &Contact{
		ID: id, AccountNumber: acc.Number, SponsorClID: RegistryClID, CreatorClID: creator,
		Postal: contactClonePostal(src.Postal), Voice: src.Voice, VoiceExt: src.VoiceExt, Fax: src.Fax, FaxExt: src.FaxExt,
		Email: src.Email, Disclose: contactCloneDisclose(src.Disclose),
		// The copy's secret is its own: the reseller's contact's
		// authorisation information must not open the holder's.
		AuthInfo:  rand.Text(),
		CreatedAt: s.clock.Now(),
	}
	if err := tx.CreateContact(ctx, c, s.cfg.ROIDSuffix); err != nil {
		return "", err
	}
	if err := s.record(ctx, tx, a, ObjectContact, c.ROID, "create", c); err != nil {
		return "", err
	}
	return c.ID, nil
}

// holderName is the name of the account opened for a holder with identity
// id from registrant contact c: the organisation for a corporate number
// when the contact has one, else the person's name; the local form first,
// as it spells the name as the holder does.
func holderName(c *Contact, id Identity) string {
	org := id.Kind == IdentitySEOrg || id.Kind == IdentityDKCVR
	var name string
	for _, typ := range []string{PostalLoc, PostalInt} {
		for _, p := range c.Postal {
			if p.Type != typ {
				continue
			}
			if org && p.Org != "" {
				return p.Org
			}
			if name == "" {
				name = p.Name
			}
		}
	}
	return name
}

// ModelChange is a change of a domain's management model.
type ModelChange struct {
	// To is the model the domain is to be in.
	To Model
	// ConsentToken is the token the registrant had the registry issue: a
	// reseller's move to the reseller model.
	ConsentToken string
	// Reseller and Evidence are the operator's move to the reseller
	// model: the reseller of record, and the registrant's consent as the
	// registry holds it (a form, a letter).
	Reseller string
	Evidence string
	// Account is the customer number of the account that is to hold the
	// domain, for the operator's move to the registrant model; "" for the
	// account that holds it already.
	Account string
}

// modelChangeState is what a change of model's history entry records: the
// domain after it, and where it came from.
type modelChangeState struct {
	*Domain
	FromModel   Model  `json:"fromModel"`
	FromSponsor string `json:"fromSponsor"`
}

// ChangeDomainModel moves a domain to another management model (see the
// rules at the top of this file).
//
// Errors: KindInvalid (a bad name or model), KindMissing (no consent token,
// evidence, or account), KindNotFound (the domain, reseller or account),
// KindForbidden (a reseller's move to the registrant model), KindAuthInfo
// (an unknown, used or expired consent token, or one for another domain
// or reseller), KindPolicy (the domain is in that model already),
// KindStatusProhibits (pending deletion, serverUpdateProhibited, a transfer
// pending, a closed account), KindInternal.
func (s *Service) ChangeDomainModel(ctx context.Context, a Actor, name string, ch ModelChange) (*Domain, error) {
	n, err := domainName(name)
	if err != nil {
		return nil, err
	}
	to, err := ParseModel(string(ch.To))
	if err != nil {
		return nil, err
	}
	ch.ConsentToken, ch.Evidence = strings.TrimSpace(ch.ConsentToken), strings.TrimSpace(ch.Evidence)
	ch.Reseller, ch.Account = strings.TrimSpace(ch.Reseller), strings.TrimSpace(ch.Account)
	op := isOperator(a)
	switch {
	case !op && a.ClID == "":
		return nil, Errorf(KindForbidden, "a change of management model is made by a reseller or the operator")
	case !op && to == ModelRegistrant:
		// A rule of the matrix that needs no domain to describe: no
		// reseller makes this move.
		dec := decide(a, ActionChangeModelToRegistrant, Subject{})
		return nil, s.refused(&Error{Kind: KindForbidden, Reason: "domain " + n + ": " + dec.Reason,
			Err: &Refusal{Action: ActionChangeModelToRegistrant, Decision: dec}})
	case !op && ch.ConsentToken == "":
		return nil, Errorf(KindMissing, "a move to reseller management needs the registrant's consent: give the consent token the registrant had the registry issue")
	case !op && (ch.Reseller != "" || ch.Evidence != "" || ch.Account != ""):
		return nil, Errorf(KindForbidden, "only the registry names the reseller, evidence or account of a change of model")
	case op && to == ModelReseller && ch.Reseller == "":
		return nil, Errorf(KindMissing, "name the reseller that is to manage the domain")
	case op && to == ModelReseller && ch.Evidence == "":
		return nil, Errorf(KindMissing, "consent evidence required: give the registrant's consent as the registry holds it")
	case op && to == ModelReseller && ch.Reseller == RegistryClID:
		return nil, Errorf(KindInvalid, "the registry is not a reseller: name the reseller that is to manage the domain")
	case op && utf8.RuneCountInString(ch.Evidence) > maxConsentText:
		return nil, Errorf(KindInvalid, "the consent evidence is longer than %d characters", maxConsentText)
	case op && contactBadRune(ch.Evidence, false) != "":
		return nil, Errorf(KindInvalid, "the consent evidence %s", contactBadRune(ch.Evidence, false))
	}
	var d *Domain
	err = s.store.Tx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		var err error
		if d, err = s.lockDomain(ctx, tx, n); err != nil {
			return err
		}
		if err := s.autoApproveTransfer(ctx, tx, d, now); err != nil {
			return err
		}
		from, fromSponsor := DomainModel(d), d.SponsorClID
		switch {
		case from == to:
			return Errorf(KindPolicy, "domain %s is %s-managed already", n, to)
		case inRedemption(d):
			return Errorf(KindStatusProhibits, "domain %s is pending deletion; restore it first", n)
		case !op && HasStatus(d.Statuses, StatusServerUpdateProhibited):
			return Errorf(KindStatusProhibits, "domain %s has status serverUpdateProhibited", n)
		case transferPending(d):
			return Errorf(KindStatusProhibits, "domain %s has a transfer pending; it must be resolved first", n)
		}
		if to == ModelReseller {
			err = s.toResellerModel(ctx, tx, a, d, ch)
		} else {
			err = s.toRegistrantModel(ctx, tx, a, d, ch)
		}
		if err != nil {
			return err
		}
		if to == ModelReseller {
			// From now on its reseller of record pays its renewals from
			// its balance (at once when its period has ended): the domain
			// leaves its unpaid bill, and is out of the zone no longer
			// for it. d.Model is still the old one, so that the payer,
			// who was billed, is told.
			was, err := s.takeOffBill(ctx, tx, a, d, now, HistoryModelChange,
				"was moved to reseller management ("+d.SponsorClID+" pays its renewals from its balance)")
			if err != nil {
				return err
			}
			if was == BillDeactivated {
				d.Statuses = slices.DeleteFunc(d.Statuses, func(st string) bool { return st == StatusServerHold })
			}
		}
		d.Model = to
		d.AuthInfo = rand.Text()
		// Automatic renewal is a reseller's choice (autorenew.go): a new
		// model starts with the default.
		d.AutoRenew = nil
		if err := s.saveDomain(ctx, tx, a, d, now, HistoryModelChange,
			modelChangeState{Domain: d, FromModel: from, FromSponsor: fromSponsor}); err != nil {
			return err
		}
		if from == ModelReseller && fromSponsor != RegistryClID {
			msg := fmt.Sprintf("Domain %s was moved to registrant management: you are no longer its reseller of record", n)
			return s.enqueuePoll(ctx, tx, fromSponsor, msg, "", nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// toResellerModel puts d under reseller management on the consent ch
// carries: a consent token the acting reseller spends, or the operator's
// evidence.
func (s *Service) toResellerModel(ctx context.Context, tx Tx, a Actor, d *Domain, ch ModelChange) error {
	now := s.clock.Now()
	if isOperator(a) {
		if _, err := tx.Reseller(ctx, ch.Reseller); IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "reseller %q does not exist", ch.Reseller)
		} else if err != nil {
			return err
		}
		d.SponsorClID = ch.Reseller
		d.Consent = &Consent{ResellerClID: ch.Reseller, At: now, Method: ConsentByOperator, Evidence: ch.Evidence}
		return nil
	}
	t, err := s.useConsentToken(ctx, tx, ch.ConsentToken, d.Name, a.ClID)
	if err != nil {
		return err
	}
	d.SponsorClID = a.ClID
	d.Consent = &Consent{ResellerClID: a.ClID, At: now, Method: ConsentByToken, Evidence: fmt.Sprint(t.ID)}
	return nil
}

// toRegistrantModel, the operator's act, puts d under the registry's
// sponsorship and its holder's account, whose contact becomes the
// registrant (a copy of the reseller's registrant contact when needed).
func (s *Service) toRegistrantModel(ctx context.Context, tx Tx, a Actor, d *Domain, ch ModelChange) error {
	number := ch.Account
	switch {
	case number == "" && d.AccountNumber == "":
		return Errorf(KindMissing, "no customer account holds domain %s: give the account that is to hold it", d.Name)
	case number == "":
		number = d.AccountNumber
	case d.AccountNumber != "" && number != d.AccountNumber:
		return Errorf(KindPolicy, "domain %s is held by customer account %s; moving it to another account is a change of holder", d.Name, d.AccountNumber)
	}
	acc, err := s.activeAccount(ctx, tx, number)
	if err != nil {
		return err
	}
	src, err := s.registrantSource(ctx, tx, d.Registrant)
	if err != nil {
		return err
	}
	if src.AccountNumber != "" && src.AccountNumber != acc.Number {
		return Errorf(KindPolicy, "the registrant contact %s of domain %s belongs to customer account %s, not to %s", src.ID, d.Name, src.AccountNumber, acc.Number)
	}
	if d.Registrant, err = s.accountRegistrant(ctx, tx, a, acc, src); err != nil {
		return err
	}
	d.SponsorClID = RegistryClID
	d.AccountNumber = acc.Number
	d.Consent = nil
	return nil
}
