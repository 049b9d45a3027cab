package flows

import "github.com/eppd/eppd/epp"

// registerTransfer routes the transfer commands. Placeholder until they land.
func (f *Flows) registerTransfer(m *epp.Mux) {}
