package irr

import (
	"context"
	"fmt"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// answerer answers the queries of one Expand call. The expansion logic
// (what to ask, how to read the answers, limits, loops, warnings) is the
// same whoever answers: IRR servers over the network (pool) or a DB in
// process (dbAnswerer).
type answerer interface {
	// answer answers qs, in order. A query that could not be answered
	// carries the reason in its Err; a "D" or "F" reply is an answer.
	answer(ctx context.Context, qs []query) []answer
	// name says where the answers come from, for Result.Source.
	name() string
	// close releases what the answerer holds (connections).
	close()
}

// dbAnswerer answers from a DB, as a server holding the same objects
// would: the same replies, parsed by the same code.
type dbAnswerer struct {
	db      *DB
	def     []string // the sources an empty query.Sources means
	maxData int
	memo    map[string][]bgp.ASN // recursive set resolutions of this run
}

func newDBAnswerer(db *DB, sources []string, maxData int) *dbAnswerer {
	db.prepare()
	def := sources
	if len(def) == 0 {
		def = db.Sources()
	}
	return &dbAnswerer{db: db, def: def, maxData: maxData, memo: map[string][]bgp.ASN{}}
}

func (d *dbAnswerer) answer(ctx context.Context, qs []query) []answer {
	out := make([]answer, len(qs))
	for i, q := range qs {
		if ctx.Err() != nil {
			out[i] = answer{Err: context.Cause(ctx)}
			continue
		}
		sel := d.def
		if q.Sources != "" {
			var err error
			if sel, err = d.db.selectSources(q.Sources); err != nil {
				out[i] = answer{Err: err}
				continue
			}
		}
		r := d.db.answer(sel, q.Text, d.memo)
		// The limit a server's reply is held to.
		if n := len(r.Data) + 1; r.Kind == KindData && n > d.maxData {
			out[i] = answer{Err: fmt.Errorf("%w: reply of %d bytes exceeds the limit of %d", ErrProtocol, n, d.maxData)}
			continue
		}
		out[i] = answer{reply: r}
	}
	return out
}

func (d *dbAnswerer) name() string { return "snapshot " + d.db.Name() }

func (d *dbAnswerer) close() {}

// checkSources checks that every source the options select has objects
// in the DB: a server refuses such a selection too, but only when asked.
func checkSources(db *DB, sources []string) error {
	var missing []string
	for _, s := range sources {
		if !db.HasSource(s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("IRR source(s) %s: no object in %s has them (it has %s)",
			strings.Join(missing, ", "), db.Name(), strings.Join(db.Sources(), ", "))
	}
	return nil
}
