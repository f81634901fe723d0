package intent

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Intent files are data, and a pull request writes them: they are read
// with bounded work before and after parsing.
//
// Before parsing, scanSource bounds how deeply brackets and template
// interpolations nest, strings and heredocs included ("${[[[…]]]}" would
// make the recursive parser overflow its stack), and how many values a
// file holds. After parsing, checkLiterals admits only literal values, so
// that evaluating a file costs nothing beyond reading it: no ${…}
// interpolation, no %{for} directive (three nested loops over
// 300-element lists took 75 s and 2.2 GB), no operators, conditionals,
// for expressions, variables or functions — except secret("NAME"), which
// names a value to read at deploy time.

// nestFrame is what the scanner is inside.
type nestFrame struct {
	kind   byte   // '{', '[', '(' a bracket, '$' an interpolation, '"' a string, '<' a heredoc
	marker []byte // a heredoc's closing marker
}

// Problems scanSource finds.
const (
	tooDeep  = "too deep"
	tooMany  = "too many"
	sourceOK = ""
)

// scanSource reports the position where brackets, braces, parentheses
// and template interpolations ("${", "%{") nest more than MaxNesting
// deep, counting those inside strings and heredocs (tooDeep), or where
// the file's values exceed MaxItems (tooMany): every list or object item
// and every attribute needs a ',', '=' or ':' outside strings and
// comments, and parsing and converting a list of n values costs memory
// in n and time in n² (cty unifies its element types pairwise). It is a
// linear scan whose memory is bounded by MaxNesting.
func scanSource(src []byte) (hcl.Pos, string) {
	pos := hcl.InitialPos
	var stack []nestFrame
	depth, items := 0, 0
	push := func(f nestFrame) bool {
		if f.kind != '"' && f.kind != '<' {
			depth++
		}
		stack = append(stack, f)
		return depth <= MaxNesting && len(stack) <= 2*MaxNesting
	}
	pop := func() {
		if f := stack[len(stack)-1]; f.kind != '"' && f.kind != '<' {
			depth--
		}
		stack = stack[:len(stack)-1]
	}
	top := func() byte {
		if len(stack) == 0 {
			return 0
		}
		return stack[len(stack)-1].kind
	}
	lineStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		start := pos
		step := 1 // bytes consumed
		switch top() {
		case '"':
			switch {
			case c == '\\':
				step = 2
			case c == '"' || c == '\n':
				pop()
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				step = 3 // "$${" and "%%{" are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				step = 2
				if !push(nestFrame{kind: '$'}) {
					return start, tooDeep
				}
			}
		case '<':
			if lineStart {
				if end := bytes.IndexByte(src[i:], '\n'); end >= 0 && bytes.Equal(bytes.TrimSpace(src[i:i+end]), stack[len(stack)-1].marker) ||
					end < 0 && bytes.Equal(bytes.TrimSpace(src[i:]), stack[len(stack)-1].marker) {
					pop()
					break
				}
			}
			switch {
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				step = 3
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				step = 2
				if !push(nestFrame{kind: '$'}) {
					return start, tooDeep
				}
			}
		default: // code: the top level, inside brackets or an interpolation
			switch {
			case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
				if end := bytes.IndexByte(src[i:], '\n'); end >= 0 {
					step = end
				} else {
					step = len(src) - i
				}
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				if end := bytes.Index(src[i+2:], []byte("*/")); end >= 0 {
					step = end + 4
				} else {
					step = len(src) - i
				}
			case c == '"':
				if !push(nestFrame{kind: '"'}) {
					return start, tooDeep
				}
			case c == '<' && i+1 < len(src) && src[i+1] == '<':
				// A heredoc: <<MARKER or <<-MARKER, then a newline.
				j := i + 2
				if j < len(src) && src[j] == '-' {
					j++
				}
				k := j
				for k < len(src) && (src[k] == '_' || src[k] >= 'A' && src[k] <= 'Z' || src[k] >= 'a' && src[k] <= 'z' || src[k] >= '0' && src[k] <= '9') {
					k++
				}
				step = k - i
				if k > j {
					if !push(nestFrame{kind: '<', marker: src[j:k]}) {
						return start, tooDeep
					}
				}
			case c == '{' || c == '[' || c == '(':
				if !push(nestFrame{kind: c}) {
					return start, tooDeep
				}
			case c == '}' && top() == '$', c == '}' && top() == '{', c == ']' && top() == '[', c == ')' && top() == '(':
				pop()
			case c == ',' || c == '=' || c == ':':
				if items++; items > MaxItems {
					return start, tooMany
				}
			}
		}
		for _, b := range src[i:min(i+step, len(src))] {
			if b == '\n' {
				pos.Line++
				pos.Column = 1
			} else if b < 0x80 || b >= 0xC0 {
				pos.Column++
			}
		}
		pos.Byte = i + step
		lineStart = src[min(i+step, len(src))-1] == '\n'
		i += step - 1
	}
	return pos, sourceOK
}

// checkLiterals reports every attribute of a native-syntax body whose value
// is not a literal (see above), at the expression.
func checkLiterals(body hcl.Body) hcl.Diagnostics {
	var c literalChecker
	c.body(body)
	return c.diags
}

type literalChecker struct {
	diags hcl.Diagnostics
}

func (c *literalChecker) body(body hcl.Body) {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	for _, a := range b.Attributes {
		if bad := c.nonLiteral(a.Expr); bad != nil {
			c.diags = append(c.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Expression not allowed",
				Detail: fmt.Sprintf("%s must be a literal value: a string, number, bool, list or object written out. Interpolation (${…}), "+
					"template directives (%%{…}), operators, conditionals, for expressions and functions other than secret(\"NAME\") are not evaluated in intents.", a.Name),
				Subject: bad.Range().Ptr(),
			})
		}
	}
	for _, blk := range b.Blocks {
		c.body(blk.Body)
	}
}

// nonLiteral returns the first part of e that is not a literal, or nil.
func (c *literalChecker) nonLiteral(e hclsyntax.Expression) hclsyntax.Expression {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return nil
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			if _, ok := p.(*hclsyntax.LiteralValueExpr); !ok {
				return p
			}
		}
		return nil
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			if bad := c.nonLiteral(x); bad != nil {
				return bad
			}
		}
		return nil
	case *hclsyntax.ObjectConsExpr:
		for _, it := range e.Items {
			if k, ok := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); !ok || k.ForceNonLiteral {
				return it.KeyExpr
			} else if _, bare := k.Wrapped.(*hclsyntax.ScopeTraversalExpr); !bare {
				if bad := c.nonLiteral(k.Wrapped); bad != nil {
					return bad
				}
			}
			if bad := c.nonLiteral(it.ValueExpr); bad != nil {
				return bad
			}
		}
		return nil
	case *hclsyntax.UnaryOpExpr:
		if _, num := e.Val.(*hclsyntax.LiteralValueExpr); num && e.Op == hclsyntax.OpNegate {
			return nil
		}
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "secret" && len(e.Args) == 1 && !e.ExpandFinal {
			return c.nonLiteral(e.Args[0])
		}
	}
	return e
}
