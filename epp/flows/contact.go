package flows

import "github.com/eppd/eppd/epp"

// registerContact routes the contact commands. Placeholder until they land.
func (f *Flows) registerContact(m *epp.Mux) {}
