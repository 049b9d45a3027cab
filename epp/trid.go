package epp

import (
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"sync/atomic"
)

// tridGen makes server transaction and session identifiers: a random
// prefix chosen when the process starts, and a counter. Identifiers are
// unique across processes and restarts without asking the database.
type tridGen struct {
	prefix string
	n      atomic.Uint64
}

func newTridGen() (*tridGen, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &tridGen{prefix: base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)}, nil
}

// next returns a new identifier with the given tag, such as "S" for
// sessions and "T" for transactions.
func (g *tridGen) next(tag string) string {
	return tag + "-" + g.prefix + "-" + strconv.FormatUint(g.n.Add(1), 10)
}
