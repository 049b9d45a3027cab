package registry

import "context"

// AccountTx is the part of Tx that keeps customer accounts and consent
// tokens.
type AccountTx interface {
	// CreateAccount inserts a, assigning ID and Number; KindExists when
	// its Handle is taken (the caller picks another and retries).
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns the account with the customer number.
	Account(ctx context.Context, number string) (*Account, error)
	// LockAccount is Account, holding the row until the transaction ends.
	LockAccount(ctx context.Context, number string) (*Account, error)
	// AccountsByIdentity lists the accounts, in any state, whose
	// Identity.Key() is key, by number.
	AccountsByIdentity(ctx context.Context, key string) ([]Account, error)
	// Accounts lists every account by number.
	Accounts(ctx context.Context) ([]Account, error)
	// UpdateAccount writes every mutable field of a (all but ID, Number,
	// Handle and CreatedAt).
	UpdateAccount(ctx context.Context, a *Account) error
	// AccountDomains lists the names of the domains, in any state, the
	// account holds (Domain.AccountNumber), by name.
	AccountDomains(ctx context.Context, number string) ([]string, error)
	// AccountContacts lists the IDs of the contacts the account owns
	// (Contact.AccountNumber), by ID.
	AccountContacts(ctx context.Context, number string) ([]string, error)
	// MoveAccountBills gives every bill of account from, in any state, to
	// account to, and returns how many it moved.
	MoveAccountBills(ctx context.Context, from, to string) (int, error)
	// MoveAccountMessages gives every inbox message of account from to
	// account to, keeping their IDs and times, and returns how many.
	MoveAccountMessages(ctx context.Context, from, to string) (int, error)
	// MoveConsentTokens gives the unused consent tokens issued by account
	// from to account to, and returns how many. Used ones stay as the
	// record of what from did.
	MoveConsentTokens(ctx context.Context, from, to string) (int, error)
	// AddAccountMessage puts m in its account's inbox and sets its ID,
	// unless a message with its Key (when set) is there already: then it
	// adds nothing and reports false. KindNotFound when there is no such
	// account.
	AddAccountMessage(ctx context.Context, m *AccountMessage) (created bool, err error)
	// AccountMessages lists the account's inbox, oldest first.
	AccountMessages(ctx context.Context, number string) ([]AccountMessage, error)

	// NextContactSeq returns the account's next contact sequence number
	// (1, 2, ...), never the same twice.
	NextContactSeq(ctx context.Context, accountNumber string) (int, error)

	// CreateConsentToken inserts t and sets its ID; KindExists when its
	// Hash is taken.
	CreateConsentToken(ctx context.Context, t *ConsentToken) error
	// LockConsentToken returns the token with the hash, holding it until
	// the transaction ends; KindNotFound when there is none.
	LockConsentToken(ctx context.Context, hash string) (*ConsentToken, error)
	// UseConsentToken records t.UsedAt for the token with t.ID;
	// KindStatusProhibits when it was already used.
	UseConsentToken(ctx context.Context, t *ConsentToken) error
}
