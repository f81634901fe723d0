package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageMap: the package map in docs/architecture.md lists every
// package `go list ./...` finds, and nothing else.
func TestPackageMap(t *testing.T) {
	root := Root(t)
	doc := filepath.Join(root, "docs", "architecture.md")
	f, err := os.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	inMap := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inMap = line == "## Package map"
			continue
		}
		// A row: | `path` | what it is |
		if rest, ok := strings.CutPrefix(line, "| `"); ok && inMap {
			if path, _, ok := strings.Cut(rest, "`"); ok {
				listed = append(listed, path)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(listed) == 0 {
		t.Fatalf("%s has no \"## Package map\" table", doc)
	}

	// go test puts the go command that runs it first in PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not in PATH: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-f", "{{.ImportPath}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	modCmd := exec.Command(gobin, "list", "-m")
	modCmd.Dir = root
	mod, err := modCmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	prefix := strings.TrimSpace(string(mod)) + "/"
	var packages []string
	for _, p := range strings.Fields(string(out)) {
		packages = append(packages, strings.TrimPrefix(p, prefix))
	}

	for _, p := range packages {
		if !slices.Contains(listed, p) {
			t.Errorf("package %s is missing from the package map in docs/architecture.md", p)
		}
	}
	for i, p := range listed {
		if !slices.Contains(packages, p) {
			t.Errorf("docs/architecture.md lists %s, which go list does not find", p)
		}
		if slices.Contains(listed[:i], p) {
			t.Errorf("docs/architecture.md lists %s twice", p)
		}
	}
}
