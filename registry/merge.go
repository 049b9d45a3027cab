package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Account merging (DOMAIN.md section 3, "import"): a customer with several
// accounts under one identity number gathers them into one. Everything a
// source account owns moves to the target in one transaction; the source
// becomes a tombstone (status merged, MergedInto the target) that can never
// be used again but still answers where it went.

// MergeResult is what a merge moved.
type MergeResult struct {
	Target  string
	Sources []string
	// Domains and Contacts are the names and IDs moved, sorted.
	Domains  []string
	Contacts []string
	// Bills, Messages and ConsentTokens count the bills (in any state),
	// inbox messages and unused consent tokens moved.
	Bills, Messages, ConsentTokens int
}

// accountMove is what the history of a moved domain or contact records:
// the accounts it went from and to, and the object as it is now.
type accountMove struct {
	From   string `json:"from"`
	Into   string `json:"into"`
	Object any    `json:"object"`
}

// mergeState is what the target's and the sources' history record.
type mergeState struct {
	Account       accountState `json:"account"`
	Target        string       `json:"target"`
	Sources       []string     `json:"sources"`
	Domains       []string     `json:"domains"`
	Contacts      []string     `json:"contacts"`
	Bills         int          `json:"bills"`
	Messages      int          `json:"messages"`
	ConsentTokens int          `json:"consentTokens"`
}

// MergeAccounts merges the source accounts into the target: every domain
// (and with it its history, which is keyed by the domain), every contact,
// every bill, every inbox message and every unused consent token of each
// source moves to the target, contact IDs unchanged; the sources become
// tombstones pointing at the target. It is all or nothing: one
// transaction, refused as a whole with nothing changed when any source
// cannot be merged. The target's holder is told through its inbox and by
// e-mail. History: "merge" on the target, "merged" on each source,
// "account-merge" on every moved domain and contact.
//
// Errors: KindMissing (no target or no source), KindInvalid (a source that
// is the target, or named twice), KindNotFound (no such account),
// KindStatusProhibits (an account closed, or merged already), KindPolicy
// (identity numbers that differ), KindInternal.
func (s *Service) MergeAccounts(ctx context.Context, a Actor, target string, sources []string) (*MergeResult, error) {
	target = strings.TrimSpace(target)
	if target == "" {
		return nil, Errorf(KindMissing, "name the account to merge into")
	}
	if len(sources) == 0 {
		return nil, Errorf(KindMissing, "name at least one account to merge into account %s", target)
	}
	srcs := make([]string, len(sources))
	for i, src := range sources {
		src = strings.TrimSpace(src)
		switch {
		case src == "":
			return nil, Errorf(KindInvalid, "an empty account number is among the accounts to merge")
		case src == target:
			return nil, Errorf(KindInvalid, "account %s cannot be merged into itself", src)
		case slices.Contains(srcs[:i], src):
			return nil, Errorf(KindInvalid, "account %s is named twice among the accounts to merge", src)
		}
		srcs[i] = src
	}
	var res *MergeResult
	err := s.store.Tx(ctx, func(tx Tx) error {
		res = &MergeResult{Target: target, Sources: srcs}
		tgt, accs, err := s.lockForMerge(ctx, tx, target, srcs)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for _, src := range accs {
			moved, err := s.moveAccount(ctx, tx, a, src, tgt, res)
			if err != nil {
				return err
			}
			src.Status, src.MergedInto, src.UpdatedAt = AccountMerged, tgt.Number, now
			if err := tx.UpdateAccount(ctx, src); err != nil {
				return err
			}
			moved.Account = accountStateOf(src)
			if err := s.record(ctx, tx, a, HistoryAccount, src.Number, "merged", moved); err != nil {
				return err
			}
		}
		slices.Sort(res.Domains)
		slices.Sort(res.Contacts)
		tgt.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, tgt); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, HistoryAccount, tgt.Number, "merge", mergeState{
			Account: accountStateOf(tgt), Target: tgt.Number, Sources: srcs, Domains: res.Domains,
			Contacts: res.Contacts, Bills: res.Bills, Messages: res.Messages, ConsentTokens: res.ConsentTokens,
		}); err != nil {
			return err
		}
		subject, body := mergeLetter(tgt, res)
		return s.tellAccount(ctx, tx, tgt, "account-merge/"+tgt.Number+"/"+strings.Join(srcs, ","), "", subject, body)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// lockForMerge locks the target and the sources, in the order of their
// numbers so that two merges never wait for each other in a circle, and
// checks that they may merge.
func (s *Service) lockForMerge(ctx context.Context, tx Tx, target string, srcs []string) (*Account, []*Account, error) {
	numbers := slices.Sorted(slices.Values(append([]string{target}, srcs...)))
	locked := map[string]*Account{}
	for _, n := range numbers {
		acc, err := tx.LockAccount(ctx, n)
		if IsKind(err, KindNotFound) {
			return nil, nil, Errorf(KindNotFound, "customer account %s does not exist", n)
		}
		if err != nil {
			return nil, nil, err
		}
		switch acc.Status {
		case AccountClosed:
			return nil, nil, Errorf(KindStatusProhibits, "customer account %s is closed: a closed account cannot be merged", n)
		case AccountMerged:
			return nil, nil, Errorf(KindStatusProhibits, "customer account %s was merged into account %s already", n, acc.MergedInto)
		}
		locked[n] = acc
	}
	tgt := locked[target]
	accs := make([]*Account, len(srcs))
	for i, n := range srcs {
		accs[i] = locked[n]
		if accs[i].Identity.Key() != tgt.Identity.Key() {
			return nil, nil, Errorf(KindPolicy,
				"customer account %s belongs to identity number %s and account %s to %s: only accounts of one identity number merge",
				n, accs[i].Identity, target, tgt.Identity)
		}
	}
	return tgt, accs, nil
}

// moveAccount moves everything src owns to tgt, adding it to res, and
// returns what src's history is to record.
func (s *Service) moveAccount(ctx context.Context, tx Tx, a Actor, src, tgt *Account, res *MergeResult) (mergeState, error) {
	st := mergeState{Target: tgt.Number, Sources: []string{src.Number}}
	names, err := tx.AccountDomains(ctx, src.Number)
	if err != nil {
		return st, err
	}
	for _, n := range names {
		d, err := tx.LockDomain(ctx, n)
		if err != nil {
			return st, err
		}
		d.AccountNumber = tgt.Number
		if err := tx.UpdateDomain(ctx, d); err != nil {
			return st, err
		}
		if err := s.record(ctx, tx, a, ObjectDomain, d.ROID, "account-merge", accountMove{From: src.Number, Into: tgt.Number, Object: d}); err != nil {
			return st, err
		}
	}
	ids, err := tx.AccountContacts(ctx, src.Number)
	if err != nil {
		return st, err
	}
	for _, id := range ids {
		c, err := tx.LockContact(ctx, id)
		if err != nil {
			return st, err
		}
		c.AccountNumber = tgt.Number
		if err := tx.UpdateContact(ctx, c); err != nil {
			return st, err
		}
		if err := s.record(ctx, tx, a, ObjectContact, c.ROID, "account-merge", accountMove{From: src.Number, Into: tgt.Number, Object: c}); err != nil {
			return st, err
		}
	}
	bills, err := tx.MoveAccountBills(ctx, src.Number, tgt.Number)
	if err != nil {
		return st, err
	}
	msgs, err := tx.MoveAccountMessages(ctx, src.Number, tgt.Number)
	if err != nil {
		return st, err
	}
	tokens, err := tx.MoveConsentTokens(ctx, src.Number, tgt.Number)
	if err != nil {
		return st, err
	}
	res.Domains = append(res.Domains, names...)
	res.Contacts = append(res.Contacts, ids...)
	res.Bills += bills
	res.Messages += msgs
	res.ConsentTokens += tokens
	st.Domains, st.Contacts, st.Bills, st.Messages, st.ConsentTokens = names, ids, bills, msgs, tokens
	return st, nil
}

// mergeLetter is what the target's holder is told of a merge.
func mergeLetter(tgt *Account, res *MergeResult) (subject, body string) {
	subject = fmt.Sprintf("Your customer accounts are merged into account %s", tgt.Number)
	var b strings.Builder
	fmt.Fprintf(&b, "Dear %s,\n\n", tgt.Name)
	fmt.Fprintf(&b, "customer account(s) %s are now merged into your account %s. ", strings.Join(res.Sources, ", "), tgt.Number)
	b.WriteString("From now on you manage everything with the login of that account; the merged accounts can no longer be used.\n\n")
	fmt.Fprintf(&b, "Domains moved (%d):\n", len(res.Domains))
	for _, n := range res.Domains {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	fmt.Fprintf(&b, "Contacts moved (%d), with their IDs unchanged:\n", len(res.Contacts))
	for _, id := range res.Contacts {
		fmt.Fprintf(&b, "  %s\n", id)
	}
	fmt.Fprintf(&b, "Bills moved: %d. Messages moved: %d.\n\n", res.Bills, res.Messages)
	b.WriteString("Domains registered in the same month with the same registrant contact are billed together.\n")
	b.WriteString("To have them billed together, point them to one registrant contact.\n")
	return subject, b.String()
}
