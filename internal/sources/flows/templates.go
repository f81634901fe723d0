package flows

import (
	"errors"
	"sync"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// errTemplateRefused is returned to goflow2 for a template the decoder
// will not keep; the datagram is counted as malformed.
var errTemplateRefused = errors.New("template refused")

// templates is one exporter's NetFlow v9 / IPFIX template cache, as
// goflow2's NetFlowTemplateSystem. goflow2's own cache is an unbounded
// map and accepts any template; this one:
//
//   - holds at most max templates, evicting the oldest-added one when a
//     new one arrives (a template flood costs the flooder its own
//     templates, never memory);
//   - refuses templates with more than maxFields fields, and templates
//     with no field of non-zero length: goflow2 decodes records of such a
//     template without consuming input, which never ends.
type templates struct {
	mu        sync.Mutex
	max       int
	maxFields int
	byKey     map[uint64]any
	order     []uint64 // keys in the order added, for eviction
	evicted   *counter
	refused   *counter
}

func newTemplates(max, maxFields int, evicted, refused *counter) *templates {
	return &templates{max: max, maxFields: maxFields, byKey: map[uint64]any{}, evicted: evicted, refused: refused}
}

func templateKey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

// AddTemplate implements netflow.NetFlowTemplateSystem.
func (t *templates) AddTemplate(version uint16, domain uint32, id uint16, tmpl any) error {
	if !t.acceptable(tmpl) {
		t.refused.add(1)
		return errTemplateRefused
	}
	k := templateKey(version, domain, id)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byKey[k]; !ok {
		if len(t.byKey) >= t.max {
			t.evictOldest()
		}
		t.order = append(t.order, k)
	}
	t.byKey[k] = tmpl
	return nil
}

// evictOldest drops the oldest template still held. order may hold keys
// removed since (withdrawn templates); they are skipped and compacted away.
func (t *templates) evictOldest() {
	for len(t.order) > 0 {
		k := t.order[0]
		t.order = t.order[1:]
		if _, ok := t.byKey[k]; ok {
			delete(t.byKey, k)
			t.evicted.add(1)
			break
		}
	}
	if cap(t.order) > 4*t.max { // keep the backing array bounded
		t.order = append([]uint64(nil), t.order...)
	}
}

// acceptable says whether a template can be decoded safely.
func (t *templates) acceptable(tmpl any) bool {
	var groups [][]netflow.Field
	switch r := tmpl.(type) {
	case netflow.TemplateRecord:
		groups = [][]netflow.Field{r.Fields}
	case netflow.NFv9OptionsTemplateRecord:
		groups = [][]netflow.Field{r.Scopes, r.Options}
	case netflow.IPFIXOptionsTemplateRecord:
		groups = [][]netflow.Field{r.Scopes, r.Options}
	default:
		return false
	}
	n, progress := 0, false
	for _, g := range groups {
		n += len(g)
		for _, f := range g {
			// A variable-length field (0xffff) reads at least its
			// length byte.
			if f.Length > 0 {
				progress = true
			}
		}
	}
	return progress && n <= t.maxFields
}

// GetTemplate implements netflow.NetFlowTemplateSystem.
func (t *templates) GetTemplate(version uint16, domain uint32, id uint16) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.byKey[templateKey(version, domain, id)]; ok {
		return v, nil
	}
	return nil, netflow.ErrorTemplateNotFound
}

// RemoveTemplate implements netflow.NetFlowTemplateSystem.
func (t *templates) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	k := templateKey(version, domain, id)
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.byKey[k]
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	delete(t.byKey, k)
	return v, nil
}

// GetTemplates implements netflow.NetFlowTemplateSystem.
func (t *templates) GetTemplates() netflow.FlowBaseTemplateSet {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(netflow.FlowBaseTemplateSet, len(t.byKey))
	for k, v := range t.byKey {
		out[k] = v
	}
	return out
}

// len is the number of templates held.
func (t *templates) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byKey)
}
