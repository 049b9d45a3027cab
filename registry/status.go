package registry

import "slices"

// Object statuses of RFC 5731-5733.
const (
	StatusOK                       = "ok"
	StatusLinked                   = "linked"
	StatusInactive                 = "inactive"
	StatusPendingCreate            = "pendingCreate"
	StatusPendingDelete            = "pendingDelete"
	StatusPendingRenew             = "pendingRenew"
	StatusPendingTransfer          = "pendingTransfer"
	StatusPendingUpdate            = "pendingUpdate"
	StatusClientDeleteProhibited   = "clientDeleteProhibited"
	StatusClientHold               = "clientHold"
	StatusClientRenewProhibited    = "clientRenewProhibited"
	StatusClientTransferProhibited = "clientTransferProhibited"
	StatusClientUpdateProhibited   = "clientUpdateProhibited"
	StatusServerDeleteProhibited   = "serverDeleteProhibited"
	StatusServerHold               = "serverHold"
	StatusServerRenewProhibited    = "serverRenewProhibited"
	StatusServerTransferProhibited = "serverTransferProhibited"
	StatusServerUpdateProhibited   = "serverUpdateProhibited"
)

// Client statuses a sponsor may set, per object type. Server statuses are
// the operator's alone; the others are derived.
var clientStatuses = map[string][]string{
	ObjectDomain: {StatusClientDeleteProhibited, StatusClientHold, StatusClientRenewProhibited,
		StatusClientTransferProhibited, StatusClientUpdateProhibited},
	ObjectContact: {StatusClientDeleteProhibited, StatusClientTransferProhibited, StatusClientUpdateProhibited},
	ObjectHost:    {StatusClientDeleteProhibited, StatusClientUpdateProhibited},
}

// serverStatuses the operator may set, per object type.
var serverStatuses = map[string][]string{
	ObjectDomain: {StatusServerDeleteProhibited, StatusServerHold, StatusServerRenewProhibited,
		StatusServerTransferProhibited, StatusServerUpdateProhibited},
	ObjectContact: {StatusServerDeleteProhibited, StatusServerTransferProhibited, StatusServerUpdateProhibited},
	ObjectHost:    {StatusServerDeleteProhibited, StatusServerUpdateProhibited},
}

// IsClientStatus reports whether a sponsor may set s on an object of the
// given type.
func IsClientStatus(objectType, s string) bool { return slices.Contains(clientStatuses[objectType], s) }

// IsServerStatus reports whether s is a server status of the object type.
func IsServerStatus(objectType, s string) bool { return slices.Contains(serverStatuses[objectType], s) }

// HasStatus reports whether statuses holds s.
func HasStatus(statuses []string, s string) bool { return slices.Contains(statuses, s) }

// Prohibits reports whether statuses forbid the operation: op is
// "Delete", "Renew", "Transfer" or "Update", and both the client and the
// server form of the prohibition count.
func Prohibits(statuses []string, op string) bool {
	return HasStatus(statuses, "client"+op+"Prohibited") || HasStatus(statuses, "server"+op+"Prohibited")
}
