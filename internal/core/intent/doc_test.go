package intent

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

// TestReferenceDocumentsEveryAttribute keeps docs/intents.md from drifting:
// every attribute and block the schema accepts must be mentioned there.
func TestReferenceDocumentsEveryAttribute(t *testing.T) {
	doc, err := os.ReadFile(testutil.Path(t, "docs/intents.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, kind, _ := strings.Cut(f.Tag.Get("hcl"), ",")
			switch kind {
			case "attr", "optional", "block":
				if !strings.Contains(string(doc), "`"+name) {
					t.Errorf("docs/intents.md does not mention %q (%s.%s)", name, typ.Name(), f.Name)
				}
			}
			if kind == "block" {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(rawPeerFile{}))
	walk(reflect.TypeOf(rawPolicyFile{}))
}
