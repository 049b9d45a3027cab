package sqlstore

import (
	"context"
	"errors"

	"github.com/eppd/eppd/registry"
)

// errAccounts stands in until the account tables exist.
var errAccounts = errors.New("sqlstore: customer accounts are not stored yet")

func (t *tx) CreateAccount(context.Context, *registry.Account) error { return errAccounts }
func (t *tx) Account(context.Context, string) (*registry.Account, error) {
	return nil, errAccounts
}
func (t *tx) LockAccount(context.Context, string) (*registry.Account, error) {
	return nil, errAccounts
}
func (t *tx) AccountsByIdentity(context.Context, string) ([]registry.Account, error) {
	return nil, errAccounts
}
func (t *tx) Accounts(context.Context) ([]registry.Account, error)             { return nil, errAccounts }
func (t *tx) UpdateAccount(context.Context, *registry.Account) error           { return errAccounts }
func (t *tx) NextContactSeq(context.Context, string) (int, error)              { return 0, errAccounts }
func (t *tx) CreateConsentToken(context.Context, *registry.ConsentToken) error { return errAccounts }
func (t *tx) LockConsentToken(context.Context, string) (*registry.ConsentToken, error) {
	return nil, errAccounts
}
func (t *tx) UseConsentToken(context.Context, *registry.ConsentToken) error {
	return errAccounts
}
