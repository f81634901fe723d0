// Package proposal turns a change to the peering repository (files
// removed, files written) into one commit on a new branch: in the local
// repository, without touching the working tree or the checked-out branch,
// or on GitHub as a pull request. prune and request propose their changes
// this way, for a person to review and merge.
package proposal

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Change is one commit's worth of edits with its pull request text.
type Change struct {
	// Branch is the new branch's name; it must not exist.
	Branch string
	// Title is the commit subject and the pull request title; Body the
	// rest of the message and the pull request description.
	Title, Body string
	// Remove are repository-relative paths to delete; Write the files to
	// create or replace, by path.
	Remove []string
	Write  map[string][]byte
}

var branchRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$`)

// check refuses what could escape the repository or make an odd ref: a
// path with "..", an absolute one, a branch name git would refuse.
func (c Change) check() error {
	if !branchRE.MatchString(c.Branch) || strings.Contains(c.Branch, "..") || strings.HasSuffix(c.Branch, ".lock") ||
		strings.HasSuffix(c.Branch, "/") || strings.Contains(c.Branch, "//") {
		return fmt.Errorf("branch name %q is not allowed", c.Branch)
	}
	if strings.TrimSpace(c.Title) == "" || strings.ContainsAny(c.Title, "\r\n") {
		return errors.New("the title must be one non-empty line")
	}
	if len(c.Remove)+len(c.Write) == 0 {
		return errors.New("the change changes nothing")
	}
	for _, p := range c.paths() {
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || strings.HasPrefix(p, "../") || strings.Contains(p, "\\") ||
			slices.Contains(strings.Split(p, "/"), ".git") {
			return fmt.Errorf("path %q is not a plain repository-relative path", p)
		}
	}
	return nil
}

// paths lists every path the change touches, sorted.
func (c Change) paths() []string {
	out := slices.Clone(c.Remove)
	for p := range c.Write {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// message is the commit message.
func (c Change) message() string {
	if c.Body == "" {
		return c.Title + "\n"
	}
	return c.Title + "\n\n" + strings.TrimRight(c.Body, "\n") + "\n"
}
