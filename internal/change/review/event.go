package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"
)

// MaxEventBytes bounds an event payload file; GitHub caps webhook payloads
// at 25 MB.
const MaxEventBytes = 25 << 20

// Event is what a review needs from a GitHub Actions event payload.
type Event struct {
	// Name is the event: "pull_request", "pull_request_target" or "push".
	Name   string
	Action string // "opened", "synchronize", "closed", … (pull requests)
	// Owner and Repo name the base repository, where comments and check
	// runs go.
	Owner, Repo string

	// Pull requests.
	Number           int
	BaseSHA, BaseRef string
	HeadSHA, HeadRef string
	// HeadRepo is the head repository's owner/name. Fork is true when it
	// is not the base repository: on pull_request events such runs get a
	// read-only token and no secrets.
	HeadRepo string
	Fork     bool
	Merged   bool

	// Pushes: the ref and the commits before and after the push.
	Ref           string
	Before, After string
}

// ReadEventFile reads an event payload such as $GITHUB_EVENT_PATH. When
// name is empty the event is recognised from the payload's shape.
func ReadEventFile(name, file string) (*Event, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading event: %w", err)
	}
	defer f.Close()
	payload, err := io.ReadAll(io.LimitReader(f, MaxEventBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading event %s: %w", file, err)
	}
	if len(payload) > MaxEventBytes {
		return nil, fmt.Errorf("event %s: larger than %d bytes", file, MaxEventBytes)
	}
	ev, err := ParseEvent(name, payload)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", file, err)
	}
	return ev, nil
}

// ParseEvent reads an event payload. Everything the review later uses —
// names, numbers, commit hashes — is checked here, since the payload comes
// from outside.
func ParseEvent(name string, payload []byte) (*Event, error) {
	if name == "" {
		name = detectEvent(payload)
	}
	var ev *Event
	switch name {
	case "pull_request":
		var pe github.PullRequestEvent
		if err := json.Unmarshal(payload, &pe); err != nil {
			return nil, fmt.Errorf("decoding %s payload: %w", name, err)
		}
		ev = fromPullRequest(name, pe.GetAction(), pe.GetNumber(), pe.GetPullRequest(), pe.GetRepo())
	case "pull_request_target":
		var pe github.PullRequestTargetEvent
		if err := json.Unmarshal(payload, &pe); err != nil {
			return nil, fmt.Errorf("decoding %s payload: %w", name, err)
		}
		ev = fromPullRequest(name, pe.GetAction(), pe.GetNumber(), pe.GetPullRequest(), pe.GetRepo())
	case "push":
		var pe github.PushEvent
		if err := json.Unmarshal(payload, &pe); err != nil {
			return nil, fmt.Errorf("decoding %s payload: %w", name, err)
		}
		ev = &Event{Name: name, Ref: pe.GetRef(), Before: pe.GetBefore(), After: pe.GetAfter()}
		repo := pe.GetRepo()
		ev.Owner, ev.Repo = splitFullName(repo.GetFullName())
		if ev.Owner == "" {
			// Push payloads describe the owner with "name" as well as
			// "login"; take whichever is there.
			ev.Owner = repo.GetOwner().GetLogin()
			if ev.Owner == "" {
				ev.Owner = repo.GetOwner().GetName()
			}
			ev.Repo = repo.GetName()
		}
	case "":
		return nil, fmt.Errorf("unknown event: no event name given and the payload is neither a pull request nor a push")
	default:
		return nil, fmt.Errorf("event %q is not supported: peerform review runs on pull_request, pull_request_target and push", name)
	}
	if err := ev.validate(); err != nil {
		return nil, fmt.Errorf("%s payload: %w", name, err)
	}
	return ev, nil
}

func fromPullRequest(name, action string, number int, pr *github.PullRequest, repo *github.Repository) *Event {
	if number == 0 {
		number = pr.GetNumber()
	}
	ev := &Event{
		Name: name, Action: action, Number: number,
		BaseSHA: pr.GetBase().GetSHA(), BaseRef: pr.GetBase().GetRef(),
		HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(),
		HeadRepo: pr.GetHead().GetRepo().GetFullName(),
		Merged:   pr.GetMerged(),
	}
	full := repo.GetFullName()
	if full == "" {
		full = pr.GetBase().GetRepo().GetFullName()
	}
	ev.Owner, ev.Repo = splitFullName(full)
	// A deleted fork has no head repository; treat it as a fork, the
	// cautious reading.
	ev.Fork = ev.HeadRepo == "" || !strings.EqualFold(ev.HeadRepo, full)
	return ev
}

// ParseRepository splits an "owner/name" such as $GITHUB_REPOSITORY and
// checks both parts.
func ParseRepository(full string) (owner, repo string, err error) {
	owner, repo = splitFullName(full)
	if !validOwnerRepo(owner) || !validOwnerRepo(repo) {
		return "", "", fmt.Errorf("repository %q: want owner/name", truncate(full, 200))
	}
	return owner, repo, nil
}

func splitFullName(full string) (owner, repo string) {
	o, r, ok := strings.Cut(full, "/")
	if !ok {
		return "", ""
	}
	return o, r
}

// detectEvent recognises a payload when $GITHUB_EVENT_NAME is not given:
// pull request payloads carry "pull_request", pushes "ref" and "before".
func detectEvent(payload []byte) string {
	var probe struct {
		PullRequest json.RawMessage `json:"pull_request"`
		Ref         *string         `json:"ref"`
		Before      *string         `json:"before"`
	}
	if json.Unmarshal(payload, &probe) != nil {
		return ""
	}
	switch {
	case len(bytes.TrimSpace(probe.PullRequest)) > 0 && string(probe.PullRequest) != "null":
		return "pull_request"
	case probe.Ref != nil && probe.Before != nil:
		return "push"
	}
	return ""
}

func (e *Event) validate() error {
	if !validOwnerRepo(e.Owner) || !validOwnerRepo(e.Repo) {
		return fmt.Errorf("repository %q/%q: not a valid owner/name", truncate(e.Owner, 100), truncate(e.Repo, 100))
	}
	if e.Name == "push" {
		if !isObjectName(e.After) {
			return fmt.Errorf("after = %q: not a commit hash", truncate(e.After, 100))
		}
		if e.Before != "" && !isObjectName(e.Before) {
			return fmt.Errorf("before = %q: not a commit hash", truncate(e.Before, 100))
		}
		return nil
	}
	if e.Number <= 0 {
		return fmt.Errorf("no pull request number")
	}
	for field, sha := range map[string]string{"base.sha": e.BaseSHA, "head.sha": e.HeadSHA} {
		if !isObjectName(sha) {
			return fmt.Errorf("pull_request.%s = %q: not a commit hash", field, truncate(sha, 100))
		}
	}
	return nil
}

// validOwnerRepo accepts GitHub's user, organisation and repository name
// characters.
func validOwnerRepo(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// isObjectName accepts a full SHA-1 or SHA-256 hash in lower-case hex.
func isObjectName(s string) bool {
	return (len(s) == 40 || len(s) == 64) && isHex(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
