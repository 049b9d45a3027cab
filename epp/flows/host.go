package flows

import "github.com/eppd/eppd/epp"

// registerHost routes the host commands. Placeholder until they land.
func (f *Flows) registerHost(m *epp.Mux) {}
