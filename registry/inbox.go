package registry

import (
	"context"
	"strings"
	"time"
)

// AccountMessage is a message in a customer account's inbox: what the
// registry told the account holder, kept for the self-service channel to
// show. The e-mail that carries it goes through the outbox.
type AccountMessage struct {
	ID int64
	// Key, when set, is the writer's name for the message, such as
	// "bill/2027-000123/notice": a message with a key already in the
	// inbox is not added again.
	Key           string
	AccountNumber string
	CreatedAt     time.Time
	Subject       string
	Body          string
	// Domain is the domain the message is about, "" for none.
	Domain string
	// ReadAt is zero until the holder reads it.
	ReadAt time.Time
}

// AccountMessages returns the inbox of an account, oldest first;
// KindNotFound when there is no such account.
func (s *Service) AccountMessages(ctx context.Context, number string) ([]AccountMessage, error) {
	number = strings.TrimSpace(number)
	var out []AccountMessage
	err := s.store.Tx(ctx, func(tx Tx) error {
		if _, err := tx.Account(ctx, number); err != nil {
			return err
		}
		var err error
		out, err = tx.AccountMessages(ctx, number)
		return err
	})
	return out, err
}

// tellAccount puts a message in acc's inbox and, when acc has an e-mail
// address, queues the same text as an e-mail to it under key, all in the
// caller's transaction: the holder hears of a change if and only if it
// commits.
func (s *Service) tellAccount(ctx context.Context, tx Tx, acc *Account, key, domain, subject, body string) error {
	now := s.clock.Now()
	if _, err := tx.AddAccountMessage(ctx, &AccountMessage{
		Key: key, AccountNumber: acc.Number, CreatedAt: now, Subject: subject, Body: body, Domain: domain,
	}); err != nil {
		return err
	}
	if acc.Email == "" {
		return nil
	}
	_, err := tx.EnqueueOutbox(ctx, &OutboxMessage{
		Key: key, Channel: OutboxEmail, To: acc.Email, Subject: subject, Body: body,
		CreatedAt: now, NextAttemptAt: now,
	})
	return err
}

// AccountHoldings lists what an account holds now: the names of its
// domains and the IDs of its contacts, sorted, and how many messages its
// inbox has. A merged account holds nothing: its holdings went to the
// account it was merged into. KindNotFound when there is no such account.
func (s *Service) AccountHoldings(ctx context.Context, number string) (domains, contacts []string, messages int, err error) {
	number = strings.TrimSpace(number)
	err = s.store.Tx(ctx, func(tx Tx) error {
		if _, err := tx.Account(ctx, number); err != nil {
			return err
		}
		var err error
		if domains, err = tx.AccountDomains(ctx, number); err != nil {
			return err
		}
		if contacts, err = tx.AccountContacts(ctx, number); err != nil {
			return err
		}
		ms, err := tx.AccountMessages(ctx, number)
		messages = len(ms)
		return err
	})
	return domains, contacts, messages, err
}
