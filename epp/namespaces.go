package epp

// XML namespace URIs the server speaks.
const (
	NSEPP     = "urn:ietf:params:xml:ns:epp-1.0"
	NSDomain  = "urn:ietf:params:xml:ns:domain-1.0"
	NSContact = "urn:ietf:params:xml:ns:contact-1.0"
	NSHost    = "urn:ietf:params:xml:ns:host-1.0"
	NSSecDNS  = "urn:ietf:params:xml:ns:secDNS-1.1"
	NSRGP     = "urn:ietf:params:xml:ns:rgp-1.0"
	// NSReseller is eppd's own extension for the reseller model
	// (schemas/reseller-1.0.xsd).
	NSReseller = "urn:eppd:params:xml:ns:reseller-1.0"
)

// objectNames are the short names used in metrics and logs for the object
// namespaces; commands on any other namespace are counted as "other".
var objectNames = map[string]string{
	NSDomain:  "domain",
	NSContact: "contact",
	NSHost:    "host",
}
