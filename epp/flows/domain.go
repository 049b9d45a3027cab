package flows

import "github.com/eppd/eppd/epp"

// registerDomain routes the domain commands. Placeholder until they land.
func (f *Flows) registerDomain(m *epp.Mux) {}
