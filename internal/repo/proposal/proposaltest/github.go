// Package proposaltest is a fake of the part of the GitHub API that
// proposal.PullRequest uses (git refs, commits, trees, pull requests),
// strict the way GitHub is: it refuses an unauthenticated request, a tree
// not based on the branch's, a deletion of a path that does not exist, a
// commit whose parent is not the branch tip, an existing branch name, and
// a pull request from a branch that does not exist.
package proposaltest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Prefix is the API root path of the fake (a GitHub Enterprise layout).
const Prefix = "/api/v3"

// GitHub is one repository with one branch of files.
type GitHub struct {
	Owner, Name, Base string
	srv               *httptest.Server

	mu       sync.Mutex
	files    map[string]string            // the base branch's files
	trees    map[string]map[string]string // created trees by sha
	commits  map[string]string            // commit sha -> tree sha
	refs     map[string]string            // branch -> commit sha
	Pulls    []PullRequest
	Requests []string
}

// PullRequest is a pull request opened on the fake, with its files.
type PullRequest struct {
	Number             int
	Title, Body        string
	Head, Base         string
	Files              map[string]string
	Message, CommitSHA string
}

// New starts a fake holding files on branch base of owner/name.
func New(t testing.TB, owner, name, base string, files map[string]string) *GitHub {
	g := &GitHub{Owner: owner, Name: name, Base: base, files: maps.Clone(files),
		trees: map[string]map[string]string{"tree0": maps.Clone(files)}, commits: map[string]string{"commit0": "tree0"},
		refs: map[string]string{base: "commit0"}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// URL is the API URL to give go-github ($GITHUB_API_URL).
func (g *GitHub) URL() string { return g.srv.URL + Prefix + "/" }

func (g *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.Requests = append(g.Requests, r.Method+" "+r.URL.Path)
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer ") && !strings.HasPrefix(a, "token ") {
		fail(http.StatusUnauthorized, "Requires authentication")
		return
	}
	repo := fmt.Sprintf("%s/repos/%s/%s/", Prefix, g.Owner, g.Name)
	path, ok := strings.CutPrefix(r.URL.Path, repo)
	if !ok {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	var body map[string]json.RawMessage
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			fail(http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	str := func(k string) string {
		var s string
		json.Unmarshal(body[k], &s)
		return s
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "git/ref/heads/"):
		branch := strings.TrimPrefix(path, "git/ref/heads/")
		sha, ok := g.refs[branch]
		if !ok {
			fail(http.StatusNotFound, "Not Found")
			return
		}
		reply(http.StatusOK, map[string]any{"ref": "refs/heads/" + branch, "object": map[string]string{"sha": sha, "type": "commit"}})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "git/commits/"):
		sha := strings.TrimPrefix(path, "git/commits/")
		tree, ok := g.commits[sha]
		if !ok {
			fail(http.StatusNotFound, "Not Found")
			return
		}
		reply(http.StatusOK, map[string]any{"sha": sha, "tree": map[string]string{"sha": tree}})
	case r.Method == http.MethodPost && path == "git/trees":
		base, ok := g.trees[str("base_tree")]
		if !ok {
			fail(http.StatusUnprocessableEntity, "base_tree is not a tree")
			return
		}
		var entries []map[string]*string
		if err := json.Unmarshal(body["tree"], &entries); err != nil || len(entries) == 0 {
			fail(http.StatusUnprocessableEntity, "tree is not a list of entries")
			return
		}
		files := maps.Clone(base)
		for _, e := range entries {
			p, mode, typ := e["path"], e["mode"], e["type"]
			if p == nil || mode == nil || *mode != "100644" || typ == nil || *typ != "blob" {
				fail(http.StatusUnprocessableEntity, "tree entry needs path, mode 100644 and type blob")
				return
			}
			sha, hasSHA := e["sha"]
			content := e["content"]
			switch {
			case hasSHA && sha == nil && content == nil:
				if _, ok := files[*p]; !ok {
					fail(http.StatusUnprocessableEntity, "GitRPC::BadObjectState: "+*p+" does not exist")
					return
				}
				delete(files, *p)
			case content != nil:
				files[*p] = *content
			default:
				fail(http.StatusUnprocessableEntity, "tree entry needs sha or content")
				return
			}
		}
		sha := fmt.Sprintf("tree%d", len(g.trees))
		g.trees[sha] = files
		reply(http.StatusCreated, map[string]string{"sha": sha})
	case r.Method == http.MethodPost && path == "git/commits":
		var parents []string
		json.Unmarshal(body["parents"], &parents)
		tree := str("tree")
		if _, ok := g.trees[tree]; !ok || len(parents) != 1 || parents[0] != g.refs[g.Base] || str("message") == "" {
			fail(http.StatusUnprocessableEntity, "commit needs a known tree, a message and the base tip as its parent")
			return
		}
		sha := fmt.Sprintf("commit%d", len(g.commits))
		g.commits[sha] = tree
		reply(http.StatusCreated, map[string]any{"sha": sha, "message": str("message"), "tree": map[string]string{"sha": tree}})
	case r.Method == http.MethodPost && path == "git/refs":
		branch, ok := strings.CutPrefix(str("ref"), "refs/heads/")
		if _, known := g.commits[str("sha")]; !ok || !known {
			fail(http.StatusUnprocessableEntity, "ref must be refs/heads/… of a known commit")
			return
		}
		if _, exists := g.refs[branch]; exists {
			fail(http.StatusUnprocessableEntity, "Reference already exists")
			return
		}
		g.refs[branch] = str("sha")
		reply(http.StatusCreated, map[string]any{"ref": str("ref"), "object": map[string]string{"sha": str("sha")}})
	case r.Method == http.MethodPost && path == "pulls":
		head, base := str("head"), str("base")
		sha, ok := g.refs[head]
		if !ok || base != g.Base || str("title") == "" {
			fail(http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		pr := PullRequest{Number: len(g.Pulls) + 1, Title: str("title"), Body: str("body"), Head: head, Base: base,
			Files: g.trees[g.commits[sha]], CommitSHA: sha}
		g.Pulls = append(g.Pulls, pr)
		reply(http.StatusCreated, map[string]any{"number": pr.Number, "html_url": fmt.Sprintf("https://github.example/%s/%s/pull/%d", g.Owner, g.Name, pr.Number)})
	default:
		fail(http.StatusNotFound, "Not Found")
	}
}

// Opened returns the pull requests opened so far.
func (g *GitHub) Opened() []PullRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]PullRequest(nil), g.Pulls...)
}
