package history

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzLoad: any file content either loads or is refused, never panics,
// and what loads saves and loads back the same.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"sessions":[{"router":"r1","neighbor":"192.0.2.1","peer_asn":64501,"first_seen":"2026-01-01T00:00:00Z","last_seen":"2026-01-02T00:00:00Z","down_since":"2026-01-01T12:00:00Z","flaps":2,"last_error":"Connect"}]}`))
	f.Add([]byte(`{"format_version":1,"sessions":null}`))
	f.Add([]byte(`{"format_version":1,"sessions":[{"neighbor":"fe80::1%eth0"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "h.json")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := Load(p)
		if err != nil {
			return
		}
		// Saved as of the newest sighting, nothing is old enough to forget.
		var newest time.Time
		for _, s := range h.Sessions {
			if s.LastSeen.After(newest) {
				newest = s.LastSeen
			}
		}
		if err := h.Save(p, newest); err != nil {
			t.Fatal(err)
		}
		back, err := Load(p)
		if err != nil {
			t.Fatalf("saved history does not load: %v", err)
		}
		if len(back.Sessions) != len(h.Sessions) || (len(h.Sessions) > 0 && !reflect.DeepEqual(back.Sessions, h.Sessions)) {
			t.Fatalf("round trip changed the sessions:\n%+v\n%+v", h.Sessions, back.Sessions)
		}
	})
}
