package registry

import (
	"context"
	"net/netip"
	"slices"
)

// Host rules (RFC 5732), as this registry applies them:
//
//   - A host whose name lies under a TLD the registry runs is internal;
//     its superordinate domain (the registered name it lies under) must
//     exist, and only that domain's sponsor may create the host or give it
//     addresses. Everyone else's attempt is KindForbidden, with or without
//     addresses ("narrow glue": ICANN RST epp-25 and epp-26).
//   - An internal host is created with at least one address (glue): DNS
//     needs one to reach a name server inside the zone it serves, so a
//     create without one is KindMissing. Its sponsor may later remove all
//     its addresses only while no domain delegates to it, and no domain may
//     be delegated to an internal host without addresses (CheckDelegation,
//     ICANN RST epp-27).
//   - An external host has no addresses: the registry publishes glue only
//     for names in its own zones (KindPolicy).
//   - Addresses are unicast addresses that can reach a name server:
//     unspecified, loopback, multicast, link-local, broadcast and
//     IPv4-mapped IPv6 addresses are KindPolicy. Private and documentation
//     ranges are accepted.
//   - Statuses a reseller may add or remove are IsClientStatus(ObjectHost);
//     server statuses are the operator's (a reseller touching one is
//     KindPolicy, as is any derived status: ok, linked, pendingCreate,
//     pendingDelete, pendingTransfer, pendingUpdate).
//   - Rename: the sponsor may rename a host. A name in the registry needs
//     the new superordinate domain to exist and be the actor's, and the
//     host to end the update with glue (KindMissing otherwise). A rename
//     out of the registry's namespace drops the host's addresses, as
//     nothing would publish them (RFC 5732 section 3.2.5 leaves this to
//     policy; ICANN RST epp-23 expects such a rename to succeed), but an
//     update that renames out and adds addresses is KindPolicy. An external
//     host that other resellers' domains delegate to cannot be renamed
//     (KindLinked, ICANN RST epp-23): that would change their delegations
//     to a name nobody in the registry vouches for. An internal host can,
//     as its superordinate domain's sponsor controls the names under it.

// hostStatuses are the statuses a host can show (host-1.0.xsd).
var hostStatuses = []string{
	StatusClientDeleteProhibited, StatusClientUpdateProhibited, StatusLinked, StatusOK,
	StatusPendingCreate, StatusPendingDelete, StatusPendingTransfer, StatusPendingUpdate,
	StatusServerDeleteProhibited, StatusServerUpdateProhibited,
}

// HostCheck is the answer about one name of a host check.
type HostCheck struct {
	// Name is the name as asked.
	Name  string
	Avail bool
	// Reason says briefly why the name is not available (at most 32
	// characters, as EPP's reasonType allows); "" when it is.
	Reason string
}

// HostChange is what a host update adds, removes and changes. Empty fields
// change nothing.
type HostChange struct {
	AddAddrs    []netip.Addr
	RemAddrs    []netip.Addr
	AddStatuses []string
	RemStatuses []string
	// NewName renames the host.
	NewName string
}

func (c *HostChange) empty() bool {
	return len(c.AddAddrs) == 0 && len(c.RemAddrs) == 0 && len(c.AddStatuses) == 0 &&
		len(c.RemStatuses) == 0 && c.NewName == ""
}

// onlyStatuses reports whether the change touches statuses alone.
func (c *HostChange) onlyStatuses() bool {
	return len(c.AddAddrs) == 0 && len(c.RemAddrs) == 0 && c.NewName == ""
}

// hostActorIsOperator reports whether a is the operator rather than a
// reseller. The operator may update and delete any host (within the same
// status prohibitions) and set server statuses; it creates none, as every
// host has a reseller as sponsor.
func hostActorIsOperator(a Actor) bool { return a.ClID == "" && a.Name == ActorOperator }

// checkHostName normalises a host name and checks its syntax.
func checkHostName(name string) (string, error) {
	n := NormalizeName(name)
	if r := CheckHostname(n); r != "" {
		return "", Errorf(KindInvalid, "%q is not a valid host name: %s", name, r)
	}
	return n, nil
}

// hostAddrProblem says why ip cannot be a name server's address, or ""
// when it can. The error kind is KindInvalid for a zone (not an address a
// DNS record can hold), KindPolicy otherwise.
func hostAddrProblem(ip netip.Addr) (Kind, string) {
	switch {
	case !ip.IsValid():
		return KindInvalid, "is not an IP address"
	case ip.Zone() != "":
		return KindInvalid, "has a zone, which DNS records cannot hold"
	case ip.Is4In6():
		return KindPolicy, "is an IPv4-mapped IPv6 address; give the IPv4 address with ip=\"v4\""
	case ip.IsUnspecified() || ip.Is4() && ip.As4()[0] == 0:
		return KindPolicy, "is an unspecified (\"this network\") address"
	case ip.IsLoopback():
		return KindPolicy, "is a loopback address"
	case ip.IsMulticast():
		return KindPolicy, "is a multicast address"
	case ip.IsLinkLocalUnicast():
		return KindPolicy, "is a link-local address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return KindPolicy, "is the broadcast address"
	}
	return 0, ""
}

// checkHostAddrs checks addresses for use as glue and refuses duplicates.
func checkHostAddrs(addrs []netip.Addr) error {
	for i, ip := range addrs {
		if kind, r := hostAddrProblem(ip); r != "" {
			return Errorf(kind, "address %s %s", ip, r)
		}
		if slices.Contains(addrs[:i], ip) {
			return Errorf(KindPolicy, "address %s is given more than once", ip)
		}
	}
	return nil
}

// checkHostStatus checks that the actor may add or remove status s.
func checkHostStatus(a Actor, s string) error {
	switch {
	case IsClientStatus(ObjectHost, s):
		return nil
	case IsServerStatus(ObjectHost, s):
		if hostActorIsOperator(a) {
			return nil
		}
		return Errorf(KindPolicy, "status %s is set by the registry only", s)
	case slices.Contains(hostStatuses, s):
		return Errorf(KindPolicy, "status %s is derived by the registry and cannot be set or removed", s)
	}
	return Errorf(KindInvalid, "%q is not a host status", s)
}

// hostNotFound words the store's KindNotFound for a host like the other
// host answers; other errors pass unchanged.
func hostNotFound(err error, name string) error {
	if IsKind(err, KindNotFound) {
		return Errorf(KindNotFound, "host %s does not exist", name)
	}
	return err
}

// sortAddrs orders addresses IPv4 first, then by value, so that they read
// the same every time.
func sortAddrs(addrs []netip.Addr) {
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
}

// CheckHosts answers whether each name is available for a host create:
// syntactically valid and not taken. An invalid name is unavailable, with
// the reason. More than Config().MaxCheck names is KindPolicy.
func (s *Service) CheckHosts(ctx context.Context, names []string) ([]HostCheck, error) {
	if len(names) == 0 {
		return nil, Errorf(KindMissing, "no host name to check")
	}
	if len(names) > s.cfg.MaxCheck {
		return nil, Errorf(KindPolicy, "at most %d names may be checked at once, %d were given", s.cfg.MaxCheck, len(names))
	}
	out := make([]HostCheck, len(names))
	err := s.store.Tx(ctx, func(tx Tx) error {
		for i, name := range names {
			out[i] = HostCheck{Name: name}
			n := NormalizeName(name)
			if r := CheckHostname(n); r != "" {
				out[i].Reason = "invalid host name"
				continue
			}
			_, err := tx.Host(ctx, n)
			switch {
			case err == nil:
				out[i].Reason = "in use"
			case IsKind(err, KindNotFound):
				out[i].Avail = true
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HostInfo returns a host and the statuses it shows (HostStatuses). Any
// reseller may see any host: RFC 5732 gives hosts no authorisation
// information.
func (s *Service) HostInfo(ctx context.Context, name string) (*Host, []string, error) {
	n, err := checkHostName(name)
	if err != nil {
		return nil, nil, err
	}
	var (
		h        *Host
		statuses []string
	)
	err = s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if h, err = tx.Host(ctx, n); err != nil {
			return hostNotFound(err, n)
		}
		statuses, err = s.HostStatuses(ctx, tx, h)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	sortAddrs(h.Addrs)
	return h, statuses, nil
}

// HostStatuses returns the statuses h shows: its stored ones, then the
// derived ones: "linked" while a domain delegates to it, "pendingTransfer"
// and "pendingDelete" while its superordinate domain has a transfer
// pending or awaits purging (RFC 5732 section 2.3), and "ok" when there is
// nothing else.
func (s *Service) HostStatuses(ctx context.Context, tx Tx, h *Host) ([]string, error) {
	out := slices.Clone(h.Statuses)
	slices.Sort(out)
	linked, err := tx.HostLinked(ctx, h.Name)
	if err != nil {
		return nil, err
	}
	if linked {
		out = append(out, StatusLinked)
	}
	pending, err := s.hostPending(ctx, tx, h)
	if err != nil {
		return nil, err
	}
	out = append(out, pending...)
	if len(out) == 0 {
		out = append(out, StatusOK)
	}
	return out, nil
}

// hostPending returns the pending statuses a host takes from its
// superordinate domain.
func (s *Service) hostPending(ctx context.Context, tx Tx, h *Host) ([]string, error) {
	if h.Superordinate == "" {
		return nil, nil
	}
	d, err := tx.Domain(ctx, h.Superordinate)
	if IsKind(err, KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	if !d.DeletedAt.IsZero() {
		out = append(out, StatusPendingDelete)
	}
	if d.Transfer != nil && d.Transfer.Status == TransferPending {
		out = append(out, StatusPendingTransfer)
	}
	return out, nil
}

// superordinateFor finds the domain an internal host name lies under and
// checks that the actor may put a host there: the domain exists
// (KindNotFound), is not deleted (KindStatusProhibits), and is sponsored
// by sponsor (KindForbidden). It returns "" for an external name. The
// domain stays locked, so that no transfer moves it to another sponsor
// (and its subordinate hosts with it) before the host is written.
func (s *Service) superordinateFor(ctx context.Context, tx Tx, name, sponsor string) (string, error) {
	sup, ok := s.InRegistry(name)
	if !ok {
		return "", nil
	}
	d, err := tx.LockDomain(ctx, sup)
	if IsKind(err, KindNotFound) {
		return "", Errorf(KindNotFound, "the superordinate domain %s does not exist", sup)
	}
	if err != nil {
		return "", err
	}
	if d.SponsorClID != sponsor {
		return "", Errorf(KindForbidden, "the superordinate domain %s is sponsored by another reseller; only its sponsor may have hosts under it", sup)
	}
	if !d.DeletedAt.IsZero() {
		return "", Errorf(KindStatusProhibits, "the superordinate domain %s is pending deletion", sup)
	}
	return sup, nil
}

// CreateHost creates a host sponsored by the acting reseller. Addresses
// are given only for an internal host, and an internal host needs at least
// one (see the rules at the top of this file).
func (s *Service) CreateHost(ctx context.Context, a Actor, name string, addrs []netip.Addr) (*Host, error) {
	if a.ClID == "" {
		return nil, Errorf(KindForbidden, "hosts are created by a reseller, which sponsors them")
	}
	n, err := checkHostName(name)
	if err != nil {
		return nil, err
	}
	if err := checkHostAddrs(addrs); err != nil {
		return nil, err
	}
	_, internal := s.InRegistry(n)
	if !internal && len(addrs) > 0 {
		return nil, Errorf(KindPolicy, "host %s is outside the registry's zones, so it cannot have addresses: they are only for hosts in the registry's namespace (glue)", n)
	}
	now := s.clock.Now()
	h := &Host{
		Name: n, SponsorClID: a.ClID, CreatorClID: a.ClID,
		Addrs: slices.Clone(addrs), CreatedAt: now,
	}
	sortAddrs(h.Addrs)
	err = s.store.Tx(ctx, func(tx Tx) error {
		_, err := tx.Host(ctx, n)
		if err == nil {
			return Errorf(KindExists, "host %s already exists", n)
		}
		if !IsKind(err, KindNotFound) {
			return err
		}
		if h.Superordinate, err = s.superordinateFor(ctx, tx, n, a.ClID); err != nil {
			return err
		}
		if internal && len(h.Addrs) == 0 {
			return Errorf(KindMissing, "host %s lies in the registry's namespace, so it needs at least one address (glue)", n)
		}
		if err := tx.CreateHost(ctx, h, s.cfg.ROIDSuffix); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectHost, h.ROID, "create", h)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// UpdateHost changes a host's addresses and statuses and renames it. Only
// its sponsor (or the operator) may; see the rules at the top of this
// file. The checks run in the order: syntax, existence, sponsorship,
// prohibitions, then the change itself.
func (s *Service) UpdateHost(ctx context.Context, a Actor, name string, c HostChange) (*Host, error) {
	n, err := checkHostName(name)
	if err != nil {
		return nil, err
	}
	if c.empty() {
		return nil, Errorf(KindMissing, "the update of host %s changes nothing: give <add>, <rem> or <chg>", n)
	}
	for _, st := range slices.Concat(c.AddStatuses, c.RemStatuses) {
		if err := checkHostStatus(a, st); err != nil {
			return nil, err
		}
	}
	for _, st := range c.AddStatuses {
		if slices.Contains(c.RemStatuses, st) {
			return nil, Errorf(KindPolicy, "status %s is both added and removed", st)
		}
	}
	if err := checkHostAddrs(c.AddAddrs); err != nil {
		return nil, err
	}
	for i, ip := range c.RemAddrs {
		if slices.Contains(c.RemAddrs[:i], ip) {
			return nil, Errorf(KindPolicy, "address %s is removed more than once", ip)
		}
		if slices.Contains(c.AddAddrs, ip) {
			return nil, Errorf(KindPolicy, "address %s is both added and removed", ip)
		}
	}
	newName := ""
	if c.NewName != "" {
		if newName, err = checkHostName(c.NewName); err != nil {
			return nil, err
		}
		if newName == n {
			newName = ""
		}
	}
	operator := hostActorIsOperator(a)

	var h *Host
	err = s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if h, err = tx.LockHost(ctx, n); err != nil {
			return hostNotFound(err, n)
		}
		if !operator && h.SponsorClID != a.ClID {
			return Errorf(KindForbidden, "host %s is sponsored by another reseller", n)
		}
		pending, err := s.hostPending(ctx, tx, h)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return Errorf(KindStatusProhibits, "host %s is %s with its superordinate domain", n, pending[0])
		}
		// RFC 5732: an update other than one removing the prohibition
		// is refused. A reseller cannot remove the server status
		// (checkHostStatus), so only the operator lifts that one.
		for _, st := range []string{StatusServerUpdateProhibited, StatusClientUpdateProhibited} {
			if HasStatus(h.Statuses, st) && !(slices.Contains(c.RemStatuses, st) && c.onlyStatuses()) {
				return Errorf(KindStatusProhibits, "host %s has status %s; an update may only remove it, and change nothing but statuses", n, st)
			}
		}

		// Statuses.
		for _, st := range c.RemStatuses {
			if !HasStatus(h.Statuses, st) {
				return Errorf(KindPolicy, "host %s does not have status %s", n, st)
			}
		}
		for _, st := range c.AddStatuses {
			if HasStatus(h.Statuses, st) {
				return Errorf(KindPolicy, "host %s already has status %s", n, st)
			}
		}
		h.Statuses = slices.DeleteFunc(h.Statuses, func(st string) bool { return slices.Contains(c.RemStatuses, st) })
		h.Statuses = append(h.Statuses, c.AddStatuses...)
		slices.Sort(h.Statuses)

		// Addresses.
		hadAddrs := len(h.Addrs) > 0
		for _, ip := range c.RemAddrs {
			if !slices.Contains(h.Addrs, ip) {
				return Errorf(KindPolicy, "host %s does not have address %s", n, ip)
			}
		}
		for _, ip := range c.AddAddrs {
			if slices.Contains(h.Addrs, ip) {
				return Errorf(KindPolicy, "host %s already has address %s", n, ip)
			}
		}
		h.Addrs = slices.DeleteFunc(h.Addrs, func(ip netip.Addr) bool { return slices.Contains(c.RemAddrs, ip) })
		h.Addrs = append(h.Addrs, c.AddAddrs...)
		sortAddrs(h.Addrs)

		if newName != "" {
			if err := s.renameHost(ctx, tx, h, newName, len(c.AddAddrs) > 0); err != nil {
				return err
			}
		} else if h.Superordinate == "" {
			if len(c.AddAddrs) > 0 {
				return Errorf(KindPolicy, "host %s is outside the registry's zones, so it cannot have addresses: they are only for hosts in the registry's namespace (glue)", n)
			}
		} else {
			if len(c.AddAddrs) > 0 {
				if _, err := s.superordinateFor(ctx, tx, n, h.SponsorClID); err != nil {
					return err
				}
			}
			if hadAddrs && len(h.Addrs) == 0 {
				linked, err := tx.HostLinked(ctx, n)
				if err != nil {
					return err
				}
				if linked {
					return Errorf(KindPolicy, "host %s is a name server of at least one domain, so it must keep at least one address (glue)", n)
				}
			}
		}

		h.UpdatedAt = s.clock.Now()
		if !operator {
			h.UpdaterClID = a.ClID
		}
		if err := tx.UpdateHost(ctx, h); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectHost, h.ROID, "update", h)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// renameHost gives h (with its addresses already updated, addedAddrs
// telling whether the update added some) the name newName, checking the
// rules for renames.
func (s *Service) renameHost(ctx context.Context, tx Tx, h *Host, newName string, addedAddrs bool) error {
	if h.Superordinate == "" {
		delegators, err := tx.HostDelegators(ctx, h.Name)
		if err != nil {
			return err
		}
		for _, clID := range delegators {
			if clID != h.SponsorClID {
				return Errorf(KindLinked, "host %s is a name server of domains of other resellers; an external host they use cannot be renamed", h.Name)
			}
		}
	}
	_, err := tx.Host(ctx, newName)
	if err == nil {
		return Errorf(KindExists, "host %s already exists", newName)
	}
	if !IsKind(err, KindNotFound) {
		return err
	}
	sup, err := s.superordinateFor(ctx, tx, newName, h.SponsorClID)
	if err != nil {
		return err
	}
	switch {
	case sup != "" && len(h.Addrs) == 0:
		return Errorf(KindMissing, "host %s would lie in the registry's namespace, so it needs at least one address (glue): add one in the same update", newName)
	case sup == "" && addedAddrs:
		return Errorf(KindPolicy, "host %s would lie outside the registry's zones, so it cannot have addresses: they are only for hosts in the registry's namespace (glue)", newName)
	case sup == "":
		h.Addrs = nil
	}
	h.Name, h.Superordinate = newName, sup
	return nil
}

// DeleteHost removes a host. Only its sponsor (or the operator) may, and
// only while no domain delegates to it (KindLinked) and no status
// prohibits it (KindStatusProhibits).
func (s *Service) DeleteHost(ctx context.Context, a Actor, name string) error {
	n, err := checkHostName(name)
	if err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx Tx) error {
		h, err := tx.LockHost(ctx, n)
		if err != nil {
			return hostNotFound(err, n)
		}
		if !hostActorIsOperator(a) && h.SponsorClID != a.ClID {
			return Errorf(KindForbidden, "host %s is sponsored by another reseller", n)
		}
		pending, err := s.hostPending(ctx, tx, h)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return Errorf(KindStatusProhibits, "host %s is %s with its superordinate domain", n, pending[0])
		}
		for _, st := range []string{StatusClientDeleteProhibited, StatusServerDeleteProhibited} {
			if HasStatus(h.Statuses, st) {
				return Errorf(KindStatusProhibits, "host %s has status %s", n, st)
			}
		}
		linked, err := tx.HostLinked(ctx, n)
		if err != nil {
			return err
		}
		if linked {
			return Errorf(KindLinked, "host %s is a name server of at least one domain; remove it from them first", n)
		}
		if err := tx.DeleteHost(ctx, n); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ObjectHost, h.ROID, "delete", h)
	})
}

// CheckDelegation checks, inside a domain create or update, the name
// servers it gives a domain: each must exist as a host object
// (KindNotFound), and an internal one must have at least one address
// (KindPolicy). A glueless internal host cannot serve a zone in the
// registry, and it may be one another reseller made under a domain it does
// not sponsor (ICANN RST epp-27 requires refusing such a delegation); the
// rule is the same whoever sponsors the host, actorClID only shapes the
// reason.
func (s *Service) CheckDelegation(ctx context.Context, tx Tx, actorClID string, nsNames []string) error {
	for _, name := range nsNames {
		n := NormalizeName(name)
		h, err := tx.Host(ctx, n)
		if IsKind(err, KindNotFound) {
			return Errorf(KindNotFound, "name server %s does not exist; create it as a host first", n)
		}
		if err != nil {
			return err
		}
		_, internal := s.InRegistry(h.Name)
		if (internal || h.Superordinate != "") && len(h.Addrs) == 0 {
			if h.SponsorClID == actorClID {
				return Errorf(KindPolicy, "name server %s lies in the registry's namespace but has no address (glue); add one to it first", n)
			}
			return Errorf(KindPolicy, "name server %s lies in the registry's namespace but has no address (glue), and is another reseller's", n)
		}
	}
	return nil
}
