package render

import (
	"errors"

	"github.com/peerctl/peerctl/model"
)

// Render returns the configuration of one router.
func Render(m *model.Model, router string, t *Templates) ([]byte, error) {
	v, err := NewView(m, router)
	if err != nil {
		return nil, err
	}
	return t.Execute(v)
}

// Output is one router's rendered configuration.
type Output struct {
	Router   string
	Platform string
	Config   []byte
	// View is what the config was rendered from; plans compare sessions
	// through it.
	View *View
}

// RenderAll renders every router of the model, in the model's (name)
// order. A router that fails does not stop the others: the error joins
// every failure, and Outputs holds the routers that rendered.
func RenderAll(m *model.Model, t *Templates) ([]Output, error) {
	var out []Output
	var errs []error
	for _, r := range m.Routers {
		v, err := NewView(m, r.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b, err := t.Execute(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Output{Router: r.Name, Platform: r.Platform, Config: b, View: v})
	}
	return out, errors.Join(errs...)
}
