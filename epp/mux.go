package epp

import (
	"context"
	"slices"
)

// Handler answers one command of a logged-in session.
type Handler interface {
	ServeEPP(ctx context.Context, s *Session, cmd *Command) *Response
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, s *Session, cmd *Command) *Response

// ServeEPP calls f.
func (f HandlerFunc) ServeEPP(ctx context.Context, s *Session, cmd *Command) *Response {
	return f(ctx, s, cmd)
}

type route struct{ verb, ns string }

// Mux routes commands to handlers on the verb and the namespace URI of the
// object element (never on a prefix), and knows which object and extension
// URIs the server announces in its greeting.
type Mux struct {
	routes     map[route]Handler
	objects    []string
	extensions []string
}

// NewMux returns a Mux announcing the given object URIs.
func NewMux(objects ...string) *Mux {
	return &Mux{routes: map[route]Handler{}, objects: slices.Clone(objects)}
}

// Handle routes verb on objects of namespace ns to h. Poll is routed with
// ns NSEPP. Handle announces ns as an object service if it is not yet.
func (m *Mux) Handle(verb, ns string, h Handler) {
	m.routes[route{verb, ns}] = h
	if ns != NSEPP && !slices.Contains(m.objects, ns) && !slices.Contains(m.extensions, ns) {
		m.objects = append(m.objects, ns)
	}
}

// AnnounceExtension lists uri among the greeting's extensions.
func (m *Mux) AnnounceExtension(uri string) {
	if !slices.Contains(m.extensions, uri) {
		m.extensions = append(m.extensions, uri)
	}
}

// Objects are the announced object URIs.
func (m *Mux) Objects() []string { return m.objects }

// Extensions are the announced extension URIs.
func (m *Mux) Extensions() []string { return m.extensions }

func (m *Mux) handler(verb, ns string) Handler { return m.routes[route{verb, ns}] }
