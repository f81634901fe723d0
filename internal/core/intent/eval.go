package intent

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/peerform/peerform/internal/change/secret"
)

// evalContext is what expressions in intents may use: no variables, and one
// function, secret("NAME"), which marks a value that is read from the
// environment at deploy time instead of being written in the repository.
func evalContext() *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{},
		Functions: map[string]function.Function{"secret": secretFunc},
	}
}

var secretType = cty.Object(map[string]cty.Type{"secret": cty.String})

// jsonSecretCall is secret("NAME") as a JSON file writes it.
var jsonSecretCall = regexp.MustCompile(`^\$\{\s*secret\(\s*"([^"]*)"\s*\)\s*\}$`)

var secretFunc = function.New(&function.Spec{
	Description: "Refers to a secret read from PEERFORM_SECRET_<NAME> at deploy time.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	Type:        function.StaticReturnType(secretType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		name := args[0].AsString()
		if msg := secret.CheckName(name); msg != "" {
			return cty.NilVal, fmt.Errorf("secret name %q %s", name, msg)
		}
		return cty.ObjectVal(map[string]cty.Value{"secret": cty.StringVal(name)}), nil
	},
})

// decodeSecret evaluates an optional attribute that must be a secret("…")
// call. Plain strings are refused: a password in the repository would be
// published with every fork and pull request.
func (v *validator) decodeSecret(expr hcl.Expression, attr string) *SecretRef {
	ctx := v.ctx
	if _, native := expr.(hclsyntax.Expression); !native {
		// JSON: never a template (see loader.evalContext); the call is
		// read from the string's text.
		ctx = nil
	}
	val, diags := expr.Value(ctx)
	v.diags = append(v.diags, diags...)
	if diags.HasErrors() || val.IsNull() {
		return nil
	}
	if ctx == nil && val.Type() == cty.String && val.IsKnown() {
		if m := jsonSecretCall.FindStringSubmatch(val.AsString()); m != nil {
			val = cty.ObjectVal(map[string]cty.Value{"secret": cty.StringVal(m[1])})
		}
	}
	rng := expr.Range()
	if !val.Type().Equals(secretType) || !val.IsWhollyKnown() || val.GetAttr("secret").IsNull() {
		v.errorf(rng, "Secret written in the repository",
			"%s must be secret(\"NAME\"), which reads the value from the environment variable PEERFORM_SECRET_NAME at deploy time; secrets never belong in the repository.", attr)
		return nil
	}
	// secret() checks its argument; an object written out as
	// { secret = "…" } has the same type and must pass the same check.
	name := val.GetAttr("secret").AsString()
	if msg := secret.CheckName(name); msg != "" {
		v.errorf(rng, "Invalid secret name", "The secret name %q %s.", name, msg)
		return nil
	}
	return &SecretRef{Name: name}
}
