package render

import (
	"errors"
	"runtime"
	"sync"

	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/core/platform"
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
	Platform platform.Name
	Config   []byte
	// View is what the config was rendered from; plans compare sessions
	// through it.
	View *View
}

// RenderAll renders every router of the model, in the model's (name)
// order. A router that fails does not stop the others: the error joins
// every failure, and the outputs hold the routers that rendered. Routers
// are rendered in parallel; each one's bytes depend on the model only.
func RenderAll(m *model.Model, t *Templates) ([]Output, error) {
	results := make([]Output, len(m.Routers))
	errs := make([]error, len(m.Routers))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(m.Routers)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := m.Routers[i]
				v, err := NewView(m, r.Name)
				if err == nil {
					var b []byte
					if b, err = t.Execute(v); err == nil {
						results[i] = Output{Router: r.Name, Platform: r.Platform, Config: b, View: v}
					}
				}
				errs[i] = err
			}
		}()
	}
	for i := range m.Routers {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []Output
	for i := range results {
		if errs[i] == nil {
			out = append(out, results[i])
		}
	}
	return out, errors.Join(errs...)
}
