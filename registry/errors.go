package registry

import (
	"errors"
	"fmt"
)

// Kind classifies an Error. Each channel maps kinds to its own answers: the
// epp package to result codes, the command line to exit messages.
type Kind int

const (
	// KindInternal is a failure of the registry itself (store down, bug).
	KindInternal Kind = iota
	// KindNotFound: the object does not exist.
	KindNotFound
	// KindExists: an object with that identifier already exists.
	KindExists
	// KindInvalid: the request is malformed or breaks a value rule.
	KindInvalid
	// KindAuthentication: the credentials do not identify an actor.
	KindAuthentication
	// KindLockedOut: too many failed logins; refused even with good
	// credentials until the lockout passes.
	KindLockedOut
	// KindForbidden: the actor is known but may not do this.
	KindForbidden
	// KindStatusProhibits: the object's state forbids the operation.
	KindStatusProhibits
	// KindLinked: the object is referenced and cannot be removed.
	KindLinked
	// KindMissing: a required value was not given.
	KindMissing
	// KindRange: a value is outside the range the registry accepts.
	KindRange
	// KindPolicy: a value breaks the registry's policy.
	KindPolicy
	// KindAuthInfo: the authorisation information given is wrong.
	KindAuthInfo
	// KindBilling: the operation cannot be paid for.
	KindBilling
	// KindNotRenewable: the object is not eligible for renewal.
	KindNotRenewable
	// KindNotTransferable: the object is not eligible for transfer.
	KindNotTransferable
	// KindPendingTransfer: a transfer is already pending.
	KindPendingTransfer
	// KindNotPendingTransfer: no transfer is pending.
	KindNotPendingTransfer
	// KindUnimplemented: the registry does not offer this option.
	KindUnimplemented
)

var kindNames = map[Kind]string{
	KindInternal:           "internal",
	KindNotFound:           "not found",
	KindExists:             "exists",
	KindInvalid:            "invalid",
	KindAuthentication:     "authentication",
	KindLockedOut:          "locked out",
	KindForbidden:          "forbidden",
	KindStatusProhibits:    "status prohibits",
	KindLinked:             "linked",
	KindMissing:            "missing",
	KindRange:              "range",
	KindPolicy:             "policy",
	KindAuthInfo:           "auth info",
	KindBilling:            "billing",
	KindNotRenewable:       "not renewable",
	KindNotTransferable:    "not transferable",
	KindPendingTransfer:    "pending transfer",
	KindNotPendingTransfer: "not pending transfer",
	KindUnimplemented:      "unimplemented",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a registry failure with a reason a person can read. Reason is
// safe to show to the client; Err, if set, is the underlying cause and is
// only logged.
type Error struct {
	Kind   Kind
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted reason.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// ErrorKind returns the Kind of err: the kind of the first *Error in its
// chain, or KindInternal when there is none.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err carries the given kind.
func IsKind(err error, kind Kind) bool {
	return err != nil && ErrorKind(err) == kind
}
