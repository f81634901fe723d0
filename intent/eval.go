package intent

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/peerctl/peerctl/secret"
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

var secretFunc = function.New(&function.Spec{
	Description: "Refers to a secret read from PEERCTL_SECRET_<NAME> at deploy time.",
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
	val, diags := expr.Value(v.ctx)
	v.diags = append(v.diags, diags...)
	if diags.HasErrors() || val.IsNull() {
		return nil
	}
	rng := expr.Range()
	if !val.Type().Equals(secretType) || !val.IsWhollyKnown() || val.GetAttr("secret").IsNull() {
		v.errorf(rng, "Secret written in the repository",
			"%s must be secret(\"NAME\"), which reads the value from the environment variable PEERCTL_SECRET_NAME at deploy time; secrets never belong in the repository.", attr)
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
