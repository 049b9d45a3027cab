package registry

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// HistoryAccount is the history object type of customer accounts; the key
// is the customer number.
const HistoryAccount = "account"

// Consent token validity: the default, and the most the operator may give.
const (
	DefaultConsentTokenValidity = 7 * 24 * time.Hour
	MaxConsentTokenValidity     = 90 * 24 * time.Hour
)

// maxAccountName is the longest account name accepted, in characters.
const maxAccountName = 255

// accountHandleLen is the length of an account's handle: lower-case letters
// that begin the contact IDs the registry generates for it.
const accountHandleLen = 6

// maxAccountContactSeq is the highest sequence number a generated contact
// ID can carry: "abcdef0702-00001" is 16 characters, the most RFC 5730's
// clIDType allows.
const maxAccountContactSeq = 99999

// handleAttempts bounds how often CreateAccount draws a new handle when the
// one drawn is taken.
const handleAttempts = 8

// accountState is what an account's history entry records.
type accountState struct {
	Number     string        `json:"number"`
	Handle     string        `json:"handle"`
	Name       string        `json:"name"`
	Email      string        `json:"email"`
	Identity   string        `json:"identity"`
	Status     AccountStatus `json:"status"`
	MergedInto string        `json:"mergedInto,omitempty"`
}

func accountStateOf(a *Account) accountState {
	return accountState{
		Number: a.Number, Handle: a.Handle, Name: a.Name, Email: a.Email,
		Identity: a.Identity.String(), Status: a.Status, MergedInto: a.MergedInto,
	}
}

// NewAccount is what is needed to open a customer account. Identity is
// validated again (ParseIdentity) and kept in its normalised form.
type NewAccount struct {
	Name, Email string
	Identity    Identity
}

// CreateAccount opens an active customer account with a new customer
// number and a random handle.
//
// Errors: KindInvalid (empty or overlong name, bad e-mail address, missing
// or invalid identity number), KindInternal.
func (s *Service) CreateAccount(ctx context.Context, a Actor, n NewAccount) (*Account, error) {
	if _, err := s.checkNewAccount(&n); err != nil {
		return nil, err
	}
	var acc *Account
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		acc, err = s.createAccount(ctx, tx, a, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// checkNewAccount validates n and normalises it in place; it returns the
// identity's key.
func (s *Service) checkNewAccount(n *NewAccount) (string, error) {
	n.Name = strings.TrimSpace(n.Name)
	n.Email = strings.TrimSpace(n.Email)
	if n.Name == "" {
		return "", Errorf(KindInvalid, "an account needs a name: the registrant's name")
	}
	if r := contactBadRune(n.Name, false); r != "" {
		return "", Errorf(KindInvalid, "the account name %s", r)
	}
	if l := utf8.RuneCountInString(n.Name); l > maxAccountName {
		return "", Errorf(KindInvalid, "the account name is %d characters long; at most %d are accepted", l, maxAccountName)
	}
	if n.Email == "" {
		return "", Errorf(KindInvalid, "an account needs an e-mail address: where the registry writes to the registrant")
	}
	if err := ValidateEmail(n.Email); err != nil {
		return "", err
	}
	id, err := s.checkIdentity(n.Identity)
	if err != nil {
		return "", err
	}
	n.Identity = id
	return id.Key(), nil
}

// checkIdentity validates an identity, as ParseIdentity built it or not,
// and returns it normalised.
func (s *Service) checkIdentity(id Identity) (Identity, error) {
	if id.Kind == "" && id.Number == "" {
		return Identity{}, Errorf(KindInvalid, "an account needs an identity number: a personal identity number or a corporate registration number")
	}
	return ParseIdentityAt(id.Kind, id.Number, id.Country, s.clock.Now())
}

// createAccount inserts the account n describes, already checked, drawing
// handles until one is free, and records it.
func (s *Service) createAccount(ctx context.Context, tx Tx, a Actor, n NewAccount) (*Account, error) {
	now := s.clock.Now()
	for range handleAttempts {
		handle, err := newAccountHandle()
		if err != nil {
			return nil, err
		}
		acc := &Account{
			Handle: handle, Name: n.Name, Email: n.Email, Identity: n.Identity,
			Status: AccountActive, CreatedAt: now, UpdatedAt: now,
		}
		err = tx.CreateAccount(ctx, acc)
		if IsKind(err, KindExists) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := s.record(ctx, tx, a, HistoryAccount, acc.Number, "create", accountStateOf(acc)); err != nil {
			return nil, err
		}
		return acc, nil
	}
	return nil, Errorf(KindInternal, "no free account handle found in %d attempts", handleAttempts)
}

// newAccountHandle draws six lower-case letters, uniformly.
func newAccountHandle() (string, error) {
	var out [accountHandleLen]byte
	var buf [16]byte
	for i := 0; i < len(out); {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("draw an account handle: %w", err)
		}
		for _, b := range buf {
			// 234 = 9 * 26: rejecting larger bytes keeps the letters
			// equally likely.
			if b < 234 && i < len(out) {
				out[i] = 'a' + b%26
				i++
			}
		}
	}
	return string(out[:]), nil
}

// findOrCreateAccount returns the oldest active account with the identity
// id, or opens one with the name and e-mail address given, all in the
// caller's transaction. The identity is validated either way.
//
// Errors: KindInvalid (as CreateAccount), KindInternal.
func (s *Service) findOrCreateAccount(ctx context.Context, tx Tx, a Actor, id Identity, name, email string) (*Account, error) {
	id, err := s.checkIdentity(id)
	if err != nil {
		return nil, err
	}
	accs, err := tx.AccountsByIdentity(ctx, id.Key())
	if err != nil {
		return nil, err
	}
	slices.SortFunc(accs, func(x, y Account) int { return cmp.Compare(x.ID, y.ID) })
	for _, acc := range accs {
		if acc.Status != AccountActive {
			continue
		}
		// Locked, and read again: a merge holding the account may have
		// just made it a tombstone, which owns nothing more.
		locked, err := tx.LockAccount(ctx, acc.Number)
		if err != nil {
			return nil, err
		}
		if locked.Status == AccountActive {
			return locked, nil
		}
	}
	n := NewAccount{Name: name, Email: email, Identity: id}
	if _, err := s.checkNewAccount(&n); err != nil {
		return nil, err
	}
	return s.createAccount(ctx, tx, a, n)
}

// contactIDAttempts bounds how many sequence numbers newAccountContactID
// skips because a reseller already chose the ID they make.
const contactIDAttempts = 10

// newAccountContactID returns a fresh contact ID for a contact of the
// account, in the caller's transaction: the account's handle, today's date
// as MMDD (UTC), "-" and the next sequence number in five digits, such as
// "abcdef0702-00001". An ID some contact already has (a reseller may choose
// any free ID) is skipped.
//
// Errors: KindStatusProhibits (the account is closed or merged),
// KindPolicy (the account has used every sequence number), KindNotFound,
// KindInternal.
func (s *Service) newAccountContactID(ctx context.Context, tx Tx, acc *Account) (string, error) {
	if acc.Status != AccountActive {
		return "", Errorf(KindStatusProhibits, "account %s is %s: it takes no new contacts", acc.Number, acc.Status)
	}
	date := s.clock.Now().UTC().Format("0102")
	for range contactIDAttempts {
		seq, err := tx.NextContactSeq(ctx, acc.Number)
		if err != nil {
			return "", err
		}
		if seq > maxAccountContactSeq {
			return "", Errorf(KindPolicy, "account %s has used all %d contact identifiers the registry can generate for it",
				acc.Number, maxAccountContactSeq)
		}
		id := fmt.Sprintf("%s%s-%05d", acc.Handle, date, seq)
		_, err = tx.Contact(ctx, id)
		if IsKind(err, KindNotFound) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", Errorf(KindInternal, "no free contact identifier found for account %s in %d attempts", acc.Number, contactIDAttempts)
}

// Account returns the account with the customer number.
func (s *Service) Account(ctx context.Context, number string) (*Account, error) {
	var acc *Account
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		acc, err = tx.Account(ctx, strings.TrimSpace(number))
		return err
	})
	return acc, err
}

// Accounts lists every account, in any state, by number.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Accounts(ctx)
		return err
	})
	return out, err
}

// CloseAccount closes an active account: it can no longer be used, and
// keeps its number, which is never reused.
//
// Errors: KindNotFound, KindStatusProhibits (already closed, or merged),
// KindInternal.
func (s *Service) CloseAccount(ctx context.Context, a Actor, number string) error {
	number = strings.TrimSpace(number)
	return s.store.Tx(ctx, func(tx Tx) error {
		acc, err := tx.LockAccount(ctx, number)
		if err != nil {
			return err
		}
		switch acc.Status {
		case AccountClosed:
			return Errorf(KindStatusProhibits, "account %s is already closed", acc.Number)
		case AccountMerged:
			return Errorf(KindStatusProhibits, "account %s was merged into account %s: it cannot be closed", acc.Number, acc.MergedInto)
		}
		acc.Status = AccountClosed
		acc.UpdatedAt = s.clock.Now()
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		return s.record(ctx, tx, a, HistoryAccount, acc.Number, "close", accountStateOf(acc))
	})
}

// AccountHistory returns the history of an account, oldest first;
// KindNotFound when there is no such account.
func (s *Service) AccountHistory(ctx context.Context, number string) ([]HistoryEntry, error) {
	number = strings.TrimSpace(number)
	var out []HistoryEntry
	err := s.store.Tx(ctx, func(tx Tx) error {
		if _, err := tx.Account(ctx, number); err != nil {
			return err
		}
		var err error
		out, err = tx.History(ctx, HistoryAccount, number)
		return err
	})
	return out, err
}

// consentTokenState is what the domain's history records of an issued
// consent token: never the token, nor its hash.
type consentTokenState struct {
	TokenID   int64     `json:"tokenID"`
	Domain    string    `json:"domain"`
	Account   string    `json:"account"`
	Reseller  string    `json:"reseller,omitempty"`
	IssuedBy  string    `json:"issuedBy"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// hashConsentToken is the stored form of a consent token: the lower-case
// hex SHA-256 of the token as normalizeConsentToken leaves it.
func hashConsentToken(token string) string {
	sum := sha256.Sum256([]byte(normalizeConsentToken(token)))
	return hex.EncodeToString(sum[:])
}

// normalizeConsentToken forgives how people copy a token: surrounding
// space, lower case, and spaces or dashes used to group it.
func normalizeConsentToken(token string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(token)))
}

// IssueConsentToken issues a single-use token with which the registrant of
// a registrant-managed domain consents to its moving to reseller
// management. The operator gives the token to the registrant, who gives it
// to the reseller of their choice. When resellerClID is set, only that
// reseller may use it. validity is how long it stays usable: 0 for
// DefaultConsentTokenValidity, at most MaxConsentTokenValidity.
//
// The token is returned once; the registry keeps only its SHA-256. The
// issue is recorded in the domain's history, without the token.
//
// Errors: KindInvalid (bad domain name or validity, the registry named as
// reseller), KindRange (validity too long), KindNotFound (domain or
// reseller), KindStatusProhibits (the domain is reseller-managed, or
// deleted), KindInternal.
func (s *Service) IssueConsentToken(ctx context.Context, a Actor, domain, resellerClID string, validity time.Duration) (token string, t *ConsentToken, err error) {
	name, err := domainName(domain)
	if err != nil {
		return "", nil, err
	}
	switch {
	case validity == 0:
		validity = DefaultConsentTokenValidity
	case validity < 0:
		return "", nil, Errorf(KindInvalid, "a consent token's validity must be positive")
	case validity > MaxConsentTokenValidity:
		return "", nil, Errorf(KindRange, "a consent token can be valid for at most %d days", MaxConsentTokenValidity/(24*time.Hour))
	}
	resellerClID = strings.TrimSpace(resellerClID)
	if resellerClID == RegistryClID {
		return "", nil, Errorf(KindInvalid, "the registry is not a reseller: name the reseller that is to manage the domain")
	}
	// 26 characters of base32: 130 random bits.
	token = rand.Text()
	err = s.store.Tx(ctx, func(tx Tx) error {
		d, err := tx.Domain(ctx, name)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "domain %s does not exist", name)
		}
		if err != nil {
			return err
		}
		switch {
		case !d.DeletedAt.IsZero():
			return Errorf(KindStatusProhibits, "domain %s is pending deletion", name)
		case d.Model != ModelRegistrant:
			return Errorf(KindStatusProhibits, "domain %s is already reseller-managed (reseller of record %q): a consent token moves only a registrant-managed domain", name, d.SponsorClID)
		case d.AccountNumber == "":
			return Errorf(KindStatusProhibits, "domain %s is registrant-managed but no customer account holds it", name)
		}
		if resellerClID != "" {
			if _, err := tx.Reseller(ctx, resellerClID); err != nil {
				return err
			}
		}
		now := s.clock.Now()
		t = &ConsentToken{
			Hash: hashConsentToken(token), Domain: name, AccountNumber: d.AccountNumber,
			ResellerClID: resellerClID, IssuedBy: a.Name, IssuedAt: now, ExpiresAt: now.Add(validity),
		}
		if err := tx.CreateConsentToken(ctx, t); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectDomain, d.ROID, "consent-token-issued", consentTokenState{
			TokenID: t.ID, Domain: name, Account: t.AccountNumber, Reseller: resellerClID,
			IssuedBy: a.Name, ExpiresAt: t.ExpiresAt,
		})
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// useConsentToken spends a consent token, in the caller's transaction: the
// token must be one the registry issued, unused, unexpired, issued for the
// domain (while the customer account it names still holds the domain) and,
// if it names a reseller, for resellerClID. It is marked used and returned;
// the caller records the consent (Method "token", Evidence the token's ID).
//
// Errors: KindAuthInfo with the reason, KindNotFound (the domain),
// KindInternal.
func (s *Service) useConsentToken(ctx context.Context, tx Tx, token, domain, resellerClID string) (*ConsentToken, error) {
	if normalizeConsentToken(token) == "" {
		return nil, Errorf(KindAuthInfo, "unknown consent token")
	}
	t, err := tx.LockConsentToken(ctx, hashConsentToken(token))
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindAuthInfo, "unknown consent token")
	}
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	switch {
	case !t.UsedAt.IsZero():
		return nil, Errorf(KindAuthInfo, "consent token already used")
	case !now.Before(t.ExpiresAt):
		return nil, Errorf(KindAuthInfo, "consent token expired at %s", t.ExpiresAt.UTC().Format(time.RFC3339))
	case t.Domain != NormalizeName(domain):
		return nil, Errorf(KindAuthInfo, "consent token was issued for another domain")
	case t.ResellerClID != "" && t.ResellerClID != resellerClID:
		return nil, Errorf(KindAuthInfo, "consent token was issued for another reseller")
	}
	d, err := tx.Domain(ctx, t.Domain)
	if IsKind(err, KindNotFound) {
		return nil, Errorf(KindNotFound, "domain %s does not exist", t.Domain)
	}
	if err != nil {
		return nil, err
	}
	if d.AccountNumber != t.AccountNumber {
		return nil, Errorf(KindAuthInfo, "consent token was issued by the domain's previous holder")
	}
	t.UsedAt = now
	if err := tx.UseConsentToken(ctx, t); err != nil {
		if IsKind(err, KindStatusProhibits) {
			return nil, Errorf(KindAuthInfo, "consent token already used")
		}
		return nil, err
	}
	return t, nil
}
