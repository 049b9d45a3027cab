package registry

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// DNSSEC delegation data (RFC 5910), as this registry accepts it:
//
//   - Only the DS data interface: a reseller gives DS records, never keys
//     for the registry to hash (the flows answer the key data interface,
//     and key data inside DS data, with 2102).
//   - Algorithms are those of the IANA "DNS Security Algorithm Numbers"
//     registry that may sign zones: 3, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16,
//     17 and 23, and the private algorithms 253 and 254. 0 (delete DS), 1
//     (RSAMD5, which RFC 8624 forbids), 2 (Diffie-Hellman, not a signing
//     algorithm), 252 (indirect keys), the reserved numbers (4, 9, 11,
//     123-251, 255) and the unassigned ones are KindPolicy.
//   - Digest types 1 (SHA-1, 40 hex digits), 2 (SHA-256, 64) and 4
//     (SHA-384, 96); other types are KindPolicy. A digest of other than
//     hex digits, or of the wrong length for its type, is KindInvalid.
//   - At most MaxDS records per domain, each once.

// MaxDS is the most DS records a domain may have.
const MaxDS = 8

// dsAlgorithms are the DNSSEC algorithm numbers accepted in DS records.
var dsAlgorithms = []uint8{3, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 23, 253, 254}

// dsDigestLen is the digest length in bytes of each accepted digest type.
var dsDigestLen = map[uint8]int{1: 20, 2: 32, 4: 48}

// normalizeDS checks one DS record and returns it with the digest in upper
// case.
func normalizeDS(ds DSData) (DSData, error) {
	if !slices.Contains(dsAlgorithms, ds.Alg) {
		return ds, Errorf(KindPolicy, "DS record with key tag %d: algorithm %d is not accepted (accepted: %s)",
			ds.KeyTag, ds.Alg, joinUint8(dsAlgorithms))
	}
	n, ok := dsDigestLen[ds.DigestType]
	if !ok {
		return ds, Errorf(KindPolicy, "DS record with key tag %d: digest type %d is not accepted (accepted: 1 SHA-1, 2 SHA-256, 4 SHA-384)",
			ds.KeyTag, ds.DigestType)
	}
	digest := strings.TrimSpace(ds.Digest)
	b, err := hex.DecodeString(digest)
	if err != nil {
		return ds, Errorf(KindInvalid, "DS record with key tag %d: the digest is not hexadecimal", ds.KeyTag)
	}
	if len(b) != n {
		return ds, Errorf(KindInvalid, "DS record with key tag %d: a digest of type %d has %d hex digits, not %d",
			ds.KeyTag, ds.DigestType, 2*n, len(digest))
	}
	ds.Digest = strings.ToUpper(digest)
	return ds, nil
}

// normalizeDSList checks DS records given in one list (of a create, or of
// an update's add or rem) and refuses duplicates.
func normalizeDSList(list []DSData) ([]DSData, error) {
	out := make([]DSData, 0, len(list))
	for _, ds := range list {
		n, err := normalizeDS(ds)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, n) {
			return nil, Errorf(KindPolicy, "DS record with key tag %d is given more than once", n.KeyTag)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinUint8(v []uint8) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
