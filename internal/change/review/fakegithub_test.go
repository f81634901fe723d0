package review

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// fakeGitHub speaks the REST paths go-github uses for issue comments, check
// runs, the pull requests of a commit and the token's identity, and is
// strict where GitHub is: GitHub's paging (Link headers), bodies of at
// most 65,536 characters, at most 50 annotations per request, output
// title and summary required, a conclusion only with status completed,
// comments attributed to the account of the token. Failures are
// programmable: canned answers (403/429 rate limits, 5xx), a 502 after the
// request was carried out, and a server that never answers.
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
	// writes are the times, by clock, at which writes arrived.
	writes []time.Time
	clock  *fakeClock

	// user is the login GET /user answers for the token; when empty the
	// token is an App installation token: GET /user is refused and
	// GET /app answers app.
	user, app string

	// failures answer the next requests matching "METHOD path-prefix",
	// once per entry.
	failures []fakeFailure
	// readOnly answers every write with 403, as GitHub does for the
	// read-only token of a pull request from a fork.
	readOnly bool
	done     chan struct{} // closed when the test ends
	// hung are how long each unanswered request waited for the client
	// to give up.
	hung []time.Duration
}

type fakeRun struct {
	Name, HeadSHA, ExternalID string
	Status, Conclusion        string
	Batches                   []int // annotations per request, in order
	Annotations               []*github.CheckRunAnnotation
	Title, Summary            string
	StatusesByRequest         []string
}

// failure kinds
const (
	failAnswer = iota // answer with status, header and body instead
	failAfter         // carry the request out, then answer with status
	failHang          // never answer
)

type fakeFailure struct {
	match  string // "POST /repos/o/r/issues/7/comments"
	kind   int
	status int
	header http.Header
	body   string
}

const fakePrefix = "/api-v3"

func newFakeGitHub(t *testing.T, clock *fakeClock) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, nextID: 1000, runs: map[int64]*fakeRun{}, clock: clock, user: "peerform-reviewer"}
	api := http.NewServeMux()
	api.HandleFunc("GET /user", f.getUser)
	api.HandleFunc("GET /app", f.getApp)
	api.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", f.listComments)
	api.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", f.createComment)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", f.editComment)
	api.HandleFunc("POST /repos/{owner}/{repo}/check-runs", f.createRun)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", f.updateRun)
	api.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/check-runs", f.listRuns)
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
			if r.Method != http.MethodGet && f.clock != nil {
				f.writes = append(f.writes, f.clock.Now())
			}
			fail, ok := f.takeFailure(r)
			readOnly := f.readOnly && r.Method != http.MethodGet
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			switch {
			case ok && fail.kind == failHang:
				// Read the body first: only then does the server notice
				// a client that gives up.
				_, _ = io.Copy(io.Discard, r.Body)
				start := time.Now()
				select {
				case <-r.Context().Done():
				case <-f.done:
				}
				f.mu.Lock()
				f.hung = append(f.hung, time.Since(start))
				f.mu.Unlock()
			case ok && fail.kind == failAfter:
				api.ServeHTTP(httptest.NewRecorder(), r)
				w.WriteHeader(fail.status)
				fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>`)
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
	f.done = make(chan struct{})
	t.Cleanup(func() { close(f.done) }) // runs before Close: hung handlers end
	return f
}

func (f *fakeGitHub) apiURL() string { return f.srv.URL + fakePrefix + "/" }

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
	f.failures = append(f.failures, fakeFailure{match: match, kind: failAnswer, status: status, header: header, body: body})
}

// failAfterDoing carries the next matching request out and answers 502,
// as a proxy in front of GitHub may.
func (f *fakeGitHub) failAfterDoing(match string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fakeFailure{match: match, kind: failAfter, status: http.StatusBadGateway})
}

// hang makes the next n matching requests never get an answer.
func (f *fakeGitHub) hang(match string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.failures = append(f.failures, fakeFailure{match: match, kind: failHang})
	}
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

// secondaryLimited is GitHub's secondary rate-limit answer: status 403 or
// 429, with Retry-After when retryAfter is not empty.
func (f *fakeGitHub) secondaryLimited(match string, status int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	f.failNext(match, status, h,
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

// login is the account the fake's token posts as.
func (f *fakeGitHub) login() string {
	if f.user != "" {
		return f.user
	}
	return f.app + "[bot]"
}

func (f *fakeGitHub) addComments(n int, login string, body func(i int) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.nextID++
		typ := "User"
		if strings.HasSuffix(login, "[bot]") {
			typ = "Bot"
		}
		f.comments = append(f.comments, &github.IssueComment{
			ID: github.Int64(f.nextID), Body: github.String(body(i)), User: &github.User{Login: github.String(login), Type: github.String(typ)},
		})
	}
}

// ours returns the comments the token's account wrote.
func (f *fakeGitHub) ours() []*github.IssueComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*github.IssueComment
	for _, c := range f.comments {
		if c.GetUser().GetLogin() == f.login() {
			out = append(out, c)
		}
	}
	return out
}

// checkRunsCompleted fails the test for every check run that is not
// completed: a run left in progress blocks a required check forever.
func (f *fakeGitHub) checkRunsCompleted(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, r := range f.runs {
		if r.Status != "completed" || r.Conclusion == "" {
			t.Errorf("check run %d is %q (conclusion %q), not completed", id, r.Status, r.Conclusion)
		}
	}
}

func (f *fakeGitHub) getUser(w http.ResponseWriter, r *http.Request) {
	if f.user == "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Resource not accessible by integration","status":"403"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(&github.User{Login: github.String(f.user), Type: github.String("User")})
}

func (f *fakeGitHub) getApp(w http.ResponseWriter, r *http.Request) {
	if f.user != "" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"A JSON web token could not be decoded","status":"401"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(&github.App{Slug: github.String(f.app)})
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

// tooLong is GitHub's answer to a body over its limit.
const tooLong = `{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}]}`

func (f *fakeGitHub) createComment(w http.ResponseWriter, r *http.Request) {
	var c github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.GetBody() == "" {
		http.Error(w, `{"message":"Invalid request"}`, http.StatusUnprocessableEntity)
		return
	}
	if utf8.RuneCountInString(c.GetBody()) > MaxCommentChars {
		http.Error(w, tooLong, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	f.nextID++
	c.ID = github.Int64(f.nextID)
	typ := "User"
	if f.user == "" {
		typ = "Bot"
	}
	c.User = &github.User{Login: github.String(f.login()), Type: github.String(typ)}
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
	if utf8.RuneCountInString(c.GetBody()) > MaxCommentChars {
		http.Error(w, tooLong, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, old := range f.comments {
		if old.GetID() == id {
			if old.GetUser().GetLogin() != f.login() {
				http.Error(w, `{"message":"Must have admin rights to Repository."}`, http.StatusForbidden)
				return
			}
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
	run := &fakeRun{Name: o.Name, HeadSHA: o.HeadSHA, ExternalID: o.GetExternalID(), Status: "queued"}
	if !f.applyRun(w, run, o.Status, o.Conclusion, o.Output) {
		return
	}
	f.nextID++
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
// A conclusion makes the run completed; a status without it keeps the
// conclusion it had.
func (f *fakeGitHub) applyRun(w http.ResponseWriter, run *fakeRun, status, conclusion *string, out *github.CheckRunOutput) bool {
	if out != nil && len(out.Annotations) > AnnotationsPerRequest {
		http.Error(w, `{"message":"Only 50 annotations are allowed per request"}`, http.StatusUnprocessableEntity)
		return false
	}
	if status != nil && *status == "completed" && conclusion == nil {
		http.Error(w, `{"message":"conclusion is required when status is completed"}`, http.StatusUnprocessableEntity)
		return false
	}
	if out != nil {
		if out.GetTitle() == "" || out.GetSummary() == "" || utf8.RuneCountInString(out.GetSummary()) > 65535 {
			http.Error(w, `{"message":"output needs a title and a summary of at most 65535 characters"}`, http.StatusUnprocessableEntity)
			return false
		}
		for _, a := range out.Annotations {
			if a.GetPath() == "" || a.GetStartLine() == 0 || a.GetAnnotationLevel() == "" || a.GetMessage() == "" ||
				(a.StartColumn != nil && a.GetStartLine() != a.GetEndLine()) || utf8.RuneCountInString(a.GetTitle()) > 255 {
				http.Error(w, `{"message":"invalid annotation"}`, http.StatusUnprocessableEntity)
				return false
			}
		}
		run.Title, run.Summary = out.GetTitle(), out.GetSummary()
		run.Batches = append(run.Batches, len(out.Annotations))
		run.Annotations = append(run.Annotations, out.Annotations...)
	}
	if status != nil {
		run.Status = *status
	}
	if conclusion != nil {
		run.Status, run.Conclusion = "completed", *conclusion
	}
	run.StatusesByRequest = append(run.StatusesByRequest, run.Status)
	return true
}

func (f *fakeGitHub) listRuns(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &github.ListCheckRunsResults{}
	for id, run := range f.runs {
		if run.HeadSHA != r.PathValue("sha") || (r.URL.Query().Has("check_name") && r.URL.Query().Get("check_name") != run.Name) {
			continue
		}
		res.CheckRuns = append(res.CheckRuns, &github.CheckRun{ID: github.Int64(id), Name: github.String(run.Name),
			ExternalID: github.String(run.ExternalID), Status: github.String(run.Status)})
	}
	res.Total = github.Int(len(res.CheckRuns))
	_ = json.NewEncoder(w).Encode(res)
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
