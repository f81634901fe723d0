package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/intent"
)

// printDiagnostics writes diagnostics to stderr the way validate does.
func printDiagnostics(a *app, diags hcl.Diagnostics, repo *intent.Repo) {
	if len(diags) == 0 {
		return
	}
	var files map[string]*hcl.File
	if repo != nil {
		files = repo.Files
	}
	if err := intent.WriteText(a.io.ErrOut, diags, files, a.io.ErrTTY); err != nil {
		fmt.Fprintln(a.io.ErrOut, diags.Error())
	}
}
