package review

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// fakeGitHub speaks the REST paths go-github uses for issue comments, check
// runs and the pull requests of a commit, with GitHub's paging (Link
// headers), its 50-annotation limit and programmable failures.
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []string // "METHOD /path?query", without the API prefix
	comments []*github.IssueComment
	nextID   int64
	runs     map[int64]*fakeRun
	pulls    []*github.PullRequest
	auth     []string // Authorization headers seen

	// failures answers the next requests matching "METHOD path-prefix"
	// with a canned error, once per entry.
	failures []fakeFailure
	// readOnly answers every write with 403, as GitHub does for the
	// read-only token of a pull request from a fork.
	readOnly bool
}

type fakeRun struct {
	Name, HeadSHA       string
	Status, Conclusion  string
	Batches             []int // annotations per request, in order
	Annotations         []*github.CheckRunAnnotation
	Title, Summary      string
	StatusesByRequest   []string
	ConclusionByRequest []string
}

type fakeFailure struct {
	match  string // "POST /repos/o/r/issues/7/comments"
	status int
	header http.Header
	body   string
}

const fakePrefix = "/api-v3"

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, nextID: 1000, runs: map[int64]*fakeRun{}}
	api := http.NewServeMux()
	api.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", f.listComments)
	api.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", f.createComment)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", f.editComment)
	api.HandleFunc("POST /repos/{owner}/{repo}/check-runs", f.createRun)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", f.updateRun)
	api.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/pulls", f.commitPulls)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	})

	root := http.NewServeMux()
	handler := func(prefix string) http.Handler {
		return http.StripPrefix(prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
			f.auth = append(f.auth, r.Header.Get("Authorization"))
			fail, ok := f.takeFailure(r)
			readOnly := f.readOnly && r.Method != http.MethodGet
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			switch {
			case ok:
				for k, v := range fail.header {
					w.Header()[k] = v
				}
				w.WriteHeader(fail.status)
				fmt.Fprint(w, fail.body)
			case readOnly:
				w.Header().Set("X-RateLimit-Remaining", "4990")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment","status":"403"}`)
			default:
				api.ServeHTTP(w, r)
			}
		}))
	}
	// github.com's path layout under a prefix (as go-github's own tests
	// do, so absolute-URL mistakes show), and GitHub Enterprise's.
	root.Handle(fakePrefix+"/", handler(fakePrefix))
	root.Handle("/api/v3/", handler("/api/v3"))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the API prefix: %s %s", r.Method, r.URL.Path)
		http.Error(w, "bad prefix", http.StatusBadRequest)
	})
	f.srv = httptest.NewServer(root)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a fresh go-github client for the fake (fresh, because
// go-github remembers rate limits per client).
func (f *fakeGitHub) client() *github.Client {
	c, err := NewClient("test-token", f.srv.URL+fakePrefix+"/", f.srv.Client())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fakeGitHub) takeFailure(r *http.Request) (fakeFailure, bool) {
	for i, fl := range f.failures {
		m, p, _ := strings.Cut(fl.match, " ")
		if m == r.Method && strings.HasPrefix(r.URL.Path, p) {
			f.failures = append(f.failures[:i], f.failures[i+1:]...)
			return fl, true
		}
	}
	return fakeFailure{}, false
}

func (f *fakeGitHub) failNext(match string, status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fakeFailure{match: match, status: status, header: header, body: body})
}

// rateLimited is GitHub's primary rate-limit answer.
func (f *fakeGitHub) rateLimited(match string, reset time.Time) {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	f.failNext(match, http.StatusForbidden, h,
		`{"message":"API rate limit exceeded for installation ID 4242.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`)
}

// secondaryLimited is GitHub's secondary rate-limit answer, without a
// Retry-After header.
func (f *fakeGitHub) secondaryLimited(match string) {
	f.failNext(match, http.StatusForbidden, nil,
		`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
}

func (f *fakeGitHub) seen(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeGitHub) addComments(n int, login string, body func(i int) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.nextID++
		f.comments = append(f.comments, &github.IssueComment{
			ID: github.Int64(f.nextID), Body: github.String(body(i)), User: &github.User{Login: github.String(login)},
		})
	}
}

func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if perPage <= 0 || perPage > 100 {
		perPage = 30 // GitHub's default page size
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page <= 0 {
		page = 1
	}
	start := min((page-1)*perPage, len(f.comments))
	end := min(start+perPage, len(f.comments))
	last := max(1, (len(f.comments)+perPage-1)/perPage)
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<%s%s%s?page=%d&per_page=%d>; rel="%s"`, f.srv.URL, fakePrefix, r.URL.Path, p, perPage, rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	_ = json.NewEncoder(w).Encode(f.comments[start:end])
}

func (f *fakeGitHub) createComment(w http.ResponseWriter, r *http.Request) {
	var c github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.GetBody() == "" {
		http.Error(w, `{"message":"Invalid request"}`, http.StatusUnprocessableEntity)
		return
	}
	if len(c.GetBody()) > MaxCommentChars {
		http.Error(w, `{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}]}`, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	f.nextID++
	c.ID = github.Int64(f.nextID)
	c.User = &github.User{Login: github.String("github-actions[bot]")}
	f.comments = append(f.comments, &c)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(c)
}

func (f *fakeGitHub) editComment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var c github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.GetBody() == "" {
		http.Error(w, `{"message":"Invalid request"}`, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, old := range f.comments {
		if old.GetID() == id {
			old.Body = c.Body
			_ = json.NewEncoder(w).Encode(old)
			return
		}
	}
	http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
}

func (f *fakeGitHub) createRun(w http.ResponseWriter, r *http.Request) {
	var o github.CreateCheckRunOptions
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.Name == "" || o.HeadSHA == "" {
		http.Error(w, `{"message":"Invalid request"}`, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	run := &fakeRun{Name: o.Name, HeadSHA: o.HeadSHA}
	if !f.applyRun(w, run, o.Status, o.Conclusion, o.Output) {
		return
	}
	f.runs[f.nextID] = run
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(&github.CheckRun{ID: github.Int64(f.nextID), Name: github.String(o.Name)})
}

func (f *fakeGitHub) updateRun(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var o github.UpdateCheckRunOptions
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		http.Error(w, `{"message":"Invalid request"}`, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	run, ok := f.runs[id]
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	if !f.applyRun(w, run, o.Status, o.Conclusion, o.Output) {
		return
	}
	_ = json.NewEncoder(w).Encode(&github.CheckRun{ID: github.Int64(id), Name: github.String(run.Name)})
}

// applyRun checks a create or update the way GitHub does and records it.
func (f *fakeGitHub) applyRun(w http.ResponseWriter, run *fakeRun, status, conclusion *string, out *github.CheckRunOutput) bool {
	if out != nil && len(out.Annotations) > AnnotationsPerRequest {
		http.Error(w, `{"message":"Only 50 annotations are allowed per request"}`, http.StatusUnprocessableEntity)
		return false
	}
	if conclusion != nil && (status == nil || *status != "completed") {
		http.Error(w, `{"message":"conclusion requires status completed"}`, http.StatusUnprocessableEntity)
		return false
	}
	if out != nil {
		if out.GetTitle() == "" || out.GetSummary() == "" {
			http.Error(w, `{"message":"output needs title and summary"}`, http.StatusUnprocessableEntity)
			return false
		}
		for _, a := range out.Annotations {
			if a.GetPath() == "" || a.GetStartLine() == 0 || a.GetAnnotationLevel() == "" || a.GetMessage() == "" ||
				(a.StartColumn != nil && a.GetStartLine() != a.GetEndLine()) {
				http.Error(w, `{"message":"invalid annotation"}`, http.StatusUnprocessableEntity)
				return false
			}
		}
		run.Title, run.Summary = out.GetTitle(), out.GetSummary()
		run.Batches = append(run.Batches, len(out.Annotations))
		run.Annotations = append(run.Annotations, out.Annotations...)
	}
	run.Status = deref(status)
	run.Conclusion = deref(conclusion)
	run.StatusesByRequest = append(run.StatusesByRequest, run.Status)
	run.ConclusionByRequest = append(run.ConclusionByRequest, run.Conclusion)
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (f *fakeGitHub) commitPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(f.pulls)
}

// fakeClock records sleeps and advances instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}
