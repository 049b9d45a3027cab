// Package registry is the registry's domain model: resellers and (later)
// domains, contacts, hosts and customer accounts, the policy that decides who
// may do what, the Store interface its data lives behind, and the history
// every change leaves.
//
// The package knows nothing of XML or of the EPP wire; the epp package calls
// it and maps its errors to result codes. SQL lives only in the store
// implementations (registry/sqlstore).
package registry
