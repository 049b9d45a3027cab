package flows

import (
	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/registry"
)

// rslRoles are the reseller extension's names of the roles
// (reseller-1.0.xsd roleType).
var rslRoles = map[registry.Role]string{
	registry.RoleResellerOfRecord: "resellerOfRecord",
	registry.RolePayer:            "payer",
	registry.RoleProxy:            "proxy",
	registry.RoleNSAdmin:          "nsAdmin",
}

// resellerInfData is the <rsl:infData> of a domain info answer, for a
// client that selected the reseller extension at login: what the
// authorisation policy lets the asking reseller see of the domain's
// management (registry.DomainView decides each part).
//
//   - model: always.
//   - resellerOfRecord: the sponsor of a reseller-managed domain (public,
//     as <domain:clID> is).
//   - account: the customer account holding a registrant-managed domain,
//     to its role holders and the operator only.
//   - role: each role the asking reseller holds on the domain.
//   - consent: how and when the registrant consented to reseller
//     management, to the reseller of record only.
//   - autoRenew: whether a reseller-managed domain is renewed (and
//     charged) automatically at expiry, to those who see its full data.
func resellerInfData(v *registry.DomainView) *etree.Element {
	inf := NewObject(epp.NSReseller, "rsl", "infData")
	model := v.Model
	if model == "" {
		model = registry.ModelReseller
	}
	Add(inf, "model", string(model))
	if v.ResellerOfRecord != "" {
		Add(inf, "resellerOfRecord", v.ResellerOfRecord)
	}
	if v.Account != "" {
		Add(inf, "account", v.Account)
	}
	for _, r := range v.Roles {
		if name, ok := rslRoles[r]; ok {
			Add(inf, "role", name)
		}
	}
	if c := v.Consent; c != nil && c.Method != "" && !c.At.IsZero() {
		con := Add(inf, "consent", "")
		Add(con, "method", c.Method)
		Add(con, "date", epp.FormatTime(c.At))
	}
	if v.AutoRenew != nil {
		Add(inf, "autoRenew", Bool(*v.AutoRenew))
	}
	return inf
}
