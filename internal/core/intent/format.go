package intent

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns the canonical formatting of an HCL native-syntax file
// (like `terraform fmt`: indentation, alignment of '=', spacing; comments
// and the order of everything are kept). It refuses files with syntax
// errors, because the formatter works on tokens and would happily reformat
// a broken file into a differently broken one.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if d := checkSource(filename, src); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// NeedsFormat reports whether Format would change src.
func NeedsFormat(src []byte, filename string) (bool, hcl.Diagnostics) {
	out, diags := Format(src, filename)
	if diags.HasErrors() {
		return false, diags
	}
	return !bytes.Equal(src, out), nil
}
