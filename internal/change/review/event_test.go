package review

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadEventFile(t *testing.T) {
	for _, tc := range []struct {
		file, name string
		want       Event
	}{
		{"pull_request.json", "pull_request", Event{
			Name: "pull_request", Action: "opened", Owner: "example", Repo: "peering", Number: 7,
			BaseSHA: "2e65efe2a145dda7ee51d1741299f848e5bf752e", BaseRef: "main",
			HeadSHA: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d", HeadRef: "add-as13335",
			HeadRepo: "example/peering",
		}},
		{"pull_request_fork.json", "pull_request", Event{
			Name: "pull_request", Action: "synchronize", Owner: "example", Repo: "peering", Number: 12,
			BaseSHA: "2e65efe2a145dda7ee51d1741299f848e5bf752e", BaseRef: "main",
			HeadSHA: "8f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", HeadRef: "main",
			HeadRepo: "peer-noc/peering", Fork: true,
		}},
		{"pull_request_target.json", "pull_request_target", Event{
			Name: "pull_request_target", Action: "closed", Owner: "example", Repo: "peering", Number: 7,
			BaseSHA: "2e65efe2a145dda7ee51d1741299f848e5bf752e", BaseRef: "main",
			HeadSHA: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d", HeadRef: "add-as13335",
			HeadRepo: "example/peering", Merged: true,
		}},
		{"push.json", "push", Event{
			Name: "push", Owner: "example", Repo: "peering", Ref: "refs/heads/main",
			Before: "2e65efe2a145dda7ee51d1741299f848e5bf752e", After: "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3",
		}},
		// Without $GITHUB_EVENT_NAME the shape decides.
		{"pull_request_fork.json", "", Event{
			Name: "pull_request", Action: "synchronize", Owner: "example", Repo: "peering", Number: 12,
			BaseSHA: "2e65efe2a145dda7ee51d1741299f848e5bf752e", BaseRef: "main",
			HeadSHA: "8f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", HeadRef: "main",
			HeadRepo: "peer-noc/peering", Fork: true,
		}},
		{"push.json", "", Event{
			Name: "push", Owner: "example", Repo: "peering", Ref: "refs/heads/main",
			Before: "2e65efe2a145dda7ee51d1741299f848e5bf752e", After: "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3",
		}},
	} {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			ev, err := ReadEventFile(tc.name, filepath.Join("testdata", "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*ev, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *ev, tc.want)
			}
		})
	}
}

func TestParseEventRejects(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "events", "pull_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	push, err := os.ReadFile(filepath.Join("testdata", "events", "push.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, event string
		payload     string
		want        string
	}{
		{"unsupported event", "issues", string(good), "not supported"},
		{"not json", "pull_request", "{", "decoding"},
		{"unknown shape", "", `{"zen":"Design for failure."}`, "unknown event"},
		{"bad head sha", "pull_request", strings.ReplaceAll(string(good), "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d", "HEAD; rm -rf /"), "head.sha"},
		{"bad repository", "pull_request", strings.ReplaceAll(string(good), `"example/peering"`, `"example/../etc"`), "repository"},
		{"no number", "pull_request", strings.ReplaceAll(strings.ReplaceAll(string(good), `"number": 7,`, ``), `"number": 7`, `"x": 1`), "number"},
		{"push without after", "push", strings.Replace(string(push), `"after": "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"`, `"after": "main"`, 1), "after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEvent(tc.event, []byte(tc.payload))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, make([]byte, MaxEventBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEventFile("push", big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized payload: %v", err)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, name := range []string{"pull_request.json", "pull_request_fork.json", "push.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("", b)
	}
	f.Add("pull_request_target", []byte(`{"pull_request":{"number":1}}`))
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		ev, err := ParseEvent(name, payload)
		if err != nil {
			return
		}
		// Whatever was accepted is safe to put into API paths and git.
		if !validOwnerRepo(ev.Owner) || !validOwnerRepo(ev.Repo) {
			t.Fatalf("accepted repository %q/%q", ev.Owner, ev.Repo)
		}
		if ev.Name == "push" {
			if !isObjectName(ev.After) {
				t.Fatalf("accepted after %q", ev.After)
			}
		} else if ev.Number <= 0 || !isObjectName(ev.BaseSHA) || !isObjectName(ev.HeadSHA) {
			t.Fatalf("accepted %+v", ev)
		}
	})
}
