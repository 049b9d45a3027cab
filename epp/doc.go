// Package epp is the wire side of eppd: the TLS listener, RFC 5734 framing,
// sessions, the greeting, login and logout, the command router, result
// codes and response writing. It knows XML and nothing of SQL: every
// decision about registry data is the registry package's.
package epp
