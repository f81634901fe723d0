// Package templates holds peerform's default router configuration
// templates, one folder per platform (bird2, frr, junos, iosxr, eos), each
// a text/template set whose "router" template prints a whole router's
// peering configuration from a render.View. They are embedded into the
// binary; `peerform render --templates DIR` uses a folder of the same
// layout instead.
//
// The templates only print: every name and value comes typed and checked
// from package render, so a template never quotes or escapes anything.
package templates

import "embed"

// FS holds <platform>/*.tmpl.
//
//go:embed bird2 frr junos iosxr eos
var FS embed.FS
