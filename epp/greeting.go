package epp

import "time"

// marshalGreeting writes the <greeting> of RFC 5730 section 2.4.
func (srv *Server) marshalGreeting(now time.Time) ([]byte, error) {
	doc, root := newEPPDocument()
	g := root.CreateElement("greeting")
	g.CreateElement("svID").SetText(srv.cfg.ServerID)
	g.CreateElement("svDate").SetText(FormatTime(now))
	menu := g.CreateElement("svcMenu")
	menu.CreateElement("version").SetText("1.0")
	menu.CreateElement("lang").SetText("en")
	for _, uri := range srv.cfg.Mux.Objects() {
		menu.CreateElement("objURI").SetText(uri)
	}
	if exts := srv.cfg.Mux.Extensions(); len(exts) > 0 {
		se := menu.CreateElement("svcExtension")
		for _, uri := range exts {
			se.CreateElement("extURI").SetText(uri)
		}
	}
	// Data collection policy: the registry collects data to provision and
	// administer registrations; personal data is shown only as the
	// registry's disclosure rules allow, and kept as its stated policy
	// says.
	dcp := g.CreateElement("dcp")
	dcp.CreateElement("access").CreateElement("all")
	st := dcp.CreateElement("statement")
	p := st.CreateElement("purpose")
	p.CreateElement("admin")
	p.CreateElement("prov")
	rc := st.CreateElement("recipient")
	rc.CreateElement("ours")
	rc.CreateElement("public")
	st.CreateElement("retention").CreateElement("stated")
	return doc.WriteToBytes()
}
